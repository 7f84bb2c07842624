"""What a person hears when Slack refuses a call: what was done, what was not, why, and what to
do about it, in words (never the bare error code)."""

from __future__ import annotations

from bot.adapters.slack import blocks, mrkdwn, reasons
from bot.adapters.slack.gateway import SlackFailure
from bot.services.chat import ChatFailure
from bot.services.response import NotTold, StakeholdersNotTold
from bot.services.rooms import NotPosted


def reason(failure: ChatFailure, where: str, otherwise: str) -> str:
    """Why Slack refused, and what to do about it (mrkdwn sentences); ``where`` names the
    channel, ``otherwise`` is what to do when nothing in Slack needs fixing."""
    if not isinstance(failure, SlackFailure):
        return f"{mrkdwn.escape(str(failure))}. {otherwise}"
    return reasons.why(failure.error, where, otherwise, failure.needed)


def not_told(partial: NotTold) -> str:
    """A move that is recorded, while the people it was for could not be told."""
    if isinstance(partial, StakeholdersNotTold):
        return stakeholders_not_told(partial)
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


def stakeholders_not_told(partial: StakeholdersNotTold) -> str:
    """A status update recorded that did not reach every stakeholder channel: where, why, and
    that its deadline is not met until it reaches them (the bot keeps trying)."""
    view = partial.view
    lines = [
        f"Your status update is recorded on {blocks.headline(view)}, but *stakeholders "
        "were not told*:"
    ]
    shown = {r.channel for r in partial.refused}
    refusals = [*partial.refused]
    if partial.in_channel is not None and partial.in_channel.channel not in shown:
        refusals.append(partial.in_channel)
    for refused in refusals:
        lines.append(f"• {_not_posted(refused)}")
    lines.append(
        "I keep trying to tell them, and the status-update deadline is met once it reaches "
        "them. To tell them something newer, post a new update "
        f"(`/incident {view.id} update` opens the form)."
    )
    return "\n".join(lines)


def _not_posted(refused: NotPosted) -> str:
    if not refused.channel:
        return (
            "Not posted anywhere: the incident has no channel yet and no announcement channel "
            "is set (`INCIDENT_ANNOUNCE_CHANNEL`)."
        )
    where = mrkdwn.channel(refused.channel)
    return f"Not posted in {where}: {reason(refused.failure, where, 'I try again shortly.')}"
