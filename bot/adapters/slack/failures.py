"""What a person hears when Slack refuses a call: what was done, what was not, why, and what to
do about it, in words (never the bare error code)."""

from __future__ import annotations

from bot.adapters.slack import blocks, mrkdwn
from bot.adapters.slack.gateway import SCOPE_HINT, SlackFailure
from bot.services.chat import ChatFailure
from bot.services.response import NotTold

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


def reason(failure: ChatFailure, where: str, otherwise: str) -> str:
    """Why Slack refused, and what to do about it (mrkdwn sentences); ``where`` names the
    channel, ``otherwise`` is what to do when nothing in Slack needs fixing."""
    if not isinstance(failure, SlackFailure):
        return f"{mrkdwn.escape(str(failure))}. {otherwise}"
    code = failure.error
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
        needed = f" (`{mrkdwn.escape(failure.needed)}`)" if failure.needed else ""
        return f"The app lacks a Slack permission{needed}: {SCOPE_HINT}."
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


def not_told(partial: NotTold) -> str:
    """A move that is recorded, while the people it was for could not be told."""
    view = partial.view
    where = (
        mrkdwn.channel(partial.channel)
        if partial.channel
        else "the incident's channel or the announcement channel"
    )
    done = f": {partial.said.text}" if partial.said else ""
    by_hand = f"Tell people in {where} by hand."
    return (
        f"Done, and recorded on {blocks.headline(view)}{done}\n"
        f"Not posted in {where}: {reason(partial.failure, where, by_hand)}\n"
        f"No need to do it again; `/incident {view.id} timeline` shows it."
    )


def refused(failure: SlackFailure) -> str:
    """A call Slack refused before anything was recorded (a use case that records first says
    so with NotTold)."""
    why = reason(failure, "the channel", "Try again in a minute.")
    return f"Slack refused `{failure.method}`, so it was not done: {why}"
