"""Why Slack refused a call, in words a person can act on (never the bare error code)."""

from __future__ import annotations

from bot.adapters.slack import mrkdwn
from bot.adapters.slack.gateway import SCOPE_HINT

BOT = "@incident-bot"
UNREACHABLE = frozenset(
    {
        "ratelimited",
        "fatal_error",
        "internal_error",
        "service_unavailable",
        "request_timeout",
    }
)
TOO_BIG = frozenset({"msg_too_long", "invalid_blocks", "invalid_attachments"})
NO_TOKEN = frozenset({"account_inactive", "token_revoked", "invalid_auth", "not_authed"})


def why(code: str, where: str, otherwise: str, needed: str | None = None) -> str:
    """Why Slack refused with error ``code``, and what to do about it (mrkdwn sentences);
    ``where`` names the channel, ``otherwise`` is what to do when nothing in Slack needs
    fixing, ``needed`` the scope Slack said was missing."""
    if code == "not_in_channel":
        return f"I am not a member of {where}. Invite me there (`/invite {BOT}`)."
    if code == "channel_not_found":
        return (
            f"{where} does not exist any more, or I cannot see it (a private channel I was "
            f"removed from). Invite me back (`/invite {BOT}`), or tell people there by hand."
        )
    if code == "is_archived":
        return f"{where} is archived. Unarchive it, or tell people there by hand."
    if code == "missing_scope":
        scope = f" (`{mrkdwn.escape(needed)}`)" if needed else ""
        return f"The app lacks a Slack permission{scope}: {SCOPE_HINT}."
    if code in NO_TOKEN:
        return "Slack no longer accepts my token. An admin must reinstall the app."
    if code in TOO_BIG:
        return (
            f"Slack found the message too long or not well formed (`{code}`): my fault, and "
            f"logged. {otherwise}"
        )
    if code in UNREACHABLE or code.startswith("could not reach Slack"):
        return f"Slack is busy or unreachable right now. {otherwise}"
    return f"Slack answered `{mrkdwn.escape(code)}`. {otherwise}"
