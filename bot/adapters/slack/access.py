"""Refusals of access in Slack's words: who may declare, who may do what to an incident."""

from __future__ import annotations

from bot.adapters.slack import mrkdwn
from bot.core.access import Right, Role
from bot.services.access import NotADeclarer, NotPermitted

_ORDER = (Role.COMMANDER, Role.DECLARER, Role.RESPONDER, Role.ADMIN)
_NEXT_STEP = {
    Right.STEER: "To respond, type `/incident ack` first.",
    Right.TAKE_COMMAND: "To respond, type `/incident ack` first.",
}


def refusal(refused: NotADeclarer | NotPermitted) -> str:
    """What the person refused is told (mrkdwn): who may, and what to do instead."""
    if isinstance(refused, NotADeclarer):
        return (
            f"Only members of {mrkdwn.user_group(refused.group)} may declare incidents. Ask "
            "one of them, or page the on-call."
        )
    who = [_named(role, refused) for role in _ORDER if role in refused.who]
    listed = [name for name in who if name]
    allowed = ", ".join(listed[:-1]) + f" or {listed[-1]}" if len(listed) > 1 else listed[0]
    step = _NEXT_STEP.get(refused.right) or _ask(refused)
    return f"Only {allowed} may {refused.right.value} this incident. {step}"


def _ask(refused: NotPermitted) -> str:
    """Whom to ask, naming who it is: its commander, else its declarer; and the admins."""
    owner = refused.commander or refused.declarer
    ask = f"Ask {mrkdwn.user(owner)}" if owner else "Ask the people on the incident"
    admins = f" or a member of {mrkdwn.user_group(refused.admins)}" if refused.admins else ""
    return f"{ask}{admins}."


def _named(role: Role, refused: NotPermitted) -> str | None:
    if role is Role.COMMANDER and refused.commander:
        return f"{role.value} ({mrkdwn.user(refused.commander)})"
    if role is Role.ADMIN:
        if refused.admins is None:
            return None
        return f"members of {mrkdwn.user_group(refused.admins)}"
    return str(role.value)
