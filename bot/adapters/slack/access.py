"""Refusals of access in Slack's words: who may declare, who may steer an incident."""

from __future__ import annotations

from bot.adapters.slack import mrkdwn
from bot.services.access import NotADeclarer, NotOnTheIncident


def refusal(refused: NotADeclarer | NotOnTheIncident) -> str:
    """What the person refused is told (mrkdwn)."""
    if isinstance(refused, NotADeclarer):
        return (
            f"Only members of {mrkdwn.user_group(refused.group)} may declare incidents. Ask "
            "one of them, or page the on-call."
        )
    who = (
        f"the incident commander ({mrkdwn.user(refused.commander)})"
        if refused.commander
        else "the incident commander"
    )
    admins = f", or {mrkdwn.user_group(refused.admins)}" if refused.admins else ""
    return (
        f"Only {who}, the declarer and the responders{admins} may {refused.action} this "
        "incident. To respond, type `/incident ack` first."
    )
