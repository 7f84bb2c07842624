"""``/incident follow-up …`` and ``/incident follow-ups``: the follow-ups use case, worded for
Slack. The channel hears each change; the person who typed it elsewhere is told where."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from bot.adapters.slack import access, blocks, mrkdwn
from bot.adapters.slack.commands import Command
from bot.adapters.slack.mrkdwn import escape, truncate
from bot.adapters.slack.replies import Invocation, Reply, closed, error, notice
from bot.core.follow_ups import DueError, FollowUp, FollowUpState, due_from
from bot.services.access import NotPermitted
from bot.services.chat import Chat, ChatFailure, Message
from bot.services.follow_ups import (
    DueInThePast,
    FollowUpClosed,
    FollowUps,
    NoSuchFollowUp,
    Refusal,
)
from bot.services.incidents import IncidentService
from bot.services.read_model import IncidentView

log = logging.getLogger(__name__)
STATE_EMOJI = {
    FollowUpState.OPEN: ":white_circle:",
    FollowUpState.DONE: ":white_check_mark:",
    FollowUpState.WONT_DO: ":heavy_minus_sign:",
}
SHOWN = 40
"""Follow-ups listed in one reply (Slack allows 50 blocks): open ones first, soonest due first,
so none overdue is ever left out for a closed one."""


class FollowUpHandlers:
    def __init__(self, follow_ups: FollowUps, incidents: IncidentService, chat: Chat) -> None:
        self.follow_ups = follow_ups
        self.incidents = incidents
        self.chat = chat

    def command(self, who: Invocation, command: Command, view: IncidentView) -> Reply | None:
        """Add one, or move one (done, won't do, owner, due, edit)."""
        move, *rest = command.words
        number = int(rest[0]) if move != "add" else 0
        typed_due = rest[-1] if rest else ""
        try:
            due = due_from(typed_due, self.incidents.clock()) if typed_due else None
        except DueError as bad:
            quote = (
                ' (to add words that end in "due …", put them in quotes)' if move == "add" else ""
            )
            return error(escape(str(bad)) + quote)
        user = who.user
        result: FollowUp | Refusal
        match move:
            case "add":
                result = self.follow_ups.add(user, view.id, command.text, command.user, due)
                said = "added"
            case "done":
                result = self.follow_ups.done(user, view.id, number)
                said = "marked done"
            case "wontdo":
                result = self.follow_ups.drop(user, view.id, number, command.text)
                said = "dropped (won't do)"
            case "owner":
                result = self.follow_ups.change(user, view.id, number, owner=command.user)
                said = "reassigned"
            case "due":
                result = self.follow_ups.change(user, view.id, number, due=due)
                said = "moved the due date of"
            case _:
                result = self.follow_ups.change(user, view.id, number, what=command.text)
                said = "edited"
        if not isinstance(result, FollowUp):
            return error(refusal(result, view))
        reply = self._tell(who, view, result, said)
        self._file(view.id)  # filed, closed, or tried again after a refusal
        return reply

    def _file(self, incident_id: int) -> None:
        """File (or close) it in the tracker now; the tracker timer does it later if this
        fails, so a failure is only logged."""
        try:
            self.follow_ups.sync(incident_id)
        except Exception:
            log.exception("could not sync the tracker", extra={"incident_id": incident_id})

    def _tell(
        self, who: Invocation, view: IncidentView, follow_up: FollowUp, said: str
    ) -> Reply | None:
        line = f"{mrkdwn.user(who.user)} {said} {line_of(view, follow_up)}"
        if view.channel_id is None:
            return notice(f"{blocks.headline(view)}: {line}", ":pushpin:")
        try:
            self.chat.post(view.channel_id, Message(blocks.notice(line, ":pushpin:"), line))
        except ChatFailure:
            return closed(
                f"Recorded: {line}",
                f"Not posted in {mrkdwn.channel(view.channel_id)}: Slack refused it; "
                "`/incident follow-ups` shows it.",
                ":pushpin:",
            )
        if view.channel_id == who.channel:
            return None
        return closed(line, f"Told in {mrkdwn.channel(view.channel_id)}.", ":pushpin:")

    def from_message(self, who: Invocation, text: str, ts: str) -> Reply | None:
        """A message made a follow-up of the incident whose channel it is in (its text and a
        link to it; owner and due date the defaults, changed with `follow-up <n> owner|due`)."""
        view = self.incidents.in_channel(who.channel)
        if view is None:
            return error(
                "That message is not in an incident's channel, so I can't tell which incident "
                "it follows up. Type `/incident &lt;number&gt; follow-up &lt;what&gt; @owner due "
                "&lt;when&gt;` "
                "(`/incident list` shows the numbers)."
            )
        try:
            link = self.chat.permalink(who.channel, ts) if ts else None
        except ChatFailure:
            link = None
        what = mrkdwn.shortened(" ".join(text.split()), 1000) or "the linked message"
        what = f"{what} ({link})" if link else what
        result = self.follow_ups.add(who.user, view.id, what)
        if not isinstance(result, FollowUp):
            return error(refusal(result, view))
        reply = self._tell(who, view, result, "added")
        self._file(view.id)
        hint = (
            f"Added as follow-up {result.number}. Change its owner or due date with "
            f"`/incident {view.id} follow-up {result.number} owner @x` or `due &lt;when&gt;`."
        )
        return reply or notice(hint, ":pushpin:")

    def closed_there(self, view: IncidentView, follow_up: FollowUp) -> None:
        """Tell the channel a follow-up is done (or won't be) because its issue was closed in
        the tracker. Raises ChatFailure."""
        if view.channel_id is None or follow_up.link is None:
            return
        issue = mrkdwn.link(follow_up.link.url, follow_up.link.key)
        what = escape(mrkdwn.shortened(follow_up.what, 500))
        about = f"follow-up {follow_up.number} of incident {view.id}"
        if follow_up.state is FollowUpState.WONT_DO:
            line = f"{issue} was closed as not planned, so {about} won't be done: {what}"
        else:
            line = f"{issue} was closed, so {about} is done: {what}"
        emoji = STATE_EMOJI[follow_up.state]
        self.chat.post(view.channel_id, Message(blocks.notice(line, emoji), line))

    def refused(self, view: IncidentView, follow_up: FollowUp) -> None:
        """Tell the channel the tracker refused a follow-up, and what happens next. Raises
        ChatFailure."""
        if view.channel_id is None:
            return
        why = escape(truncate(follow_up.refused, 300))
        number = f"`/incident {view.id} follow-up {follow_up.number}"
        if follow_up.gone:
            then = (
                "Its issue no longer exists there; it stays open here. Change it "
                f"({number} edit …` or `due …`) to file it anew, or close it ({number} done` "
                f"or {number} wontdo …`)."
            )
        elif follow_up.link is not None and not follow_up.is_open:
            then = (
                f"It is {follow_up.state} here; I will try to close its issue again later, or "
                "close it in the tracker by hand."
            )
        else:
            then = (
                "I keep trying, less often as it goes on: once the tracker's settings are "
                "fixed (its token, repository or project), it goes through."
            )
        line = f"The tracker refused {line_of(view, follow_up)}: {why}. {then}"
        self.chat.post(view.channel_id, Message(blocks.notice(line, ":warning:"), line))

    def listing(self, view: IncidentView) -> Reply:
        """The incident's follow-ups with their owners, due dates, states and issues."""
        found = view.follow_ups
        if not found:
            text = (
                f"{blocks.headline(view)} has no follow-ups yet. Add one: "
                f"`/incident {view.id} follow-up add retries to the payment client @bob due 14d`"
            )
            return notice(text, ":pushpin:")
        header = f"*Follow-ups of {blocks.headline(view)}*"
        first = sorted(found, key=lambda f: (not f.is_open, f.due_at if f.is_open else f.number))
        shown, left = first[:SHOWN], first[SHOWN:]
        rows = [_row(view, f) for f in shown]
        still_open = sum(1 for f in left if f.is_open)
        hidden = (
            [
                f"_Open ones first, soonest due first; {len(left)} more not shown "
                f"({still_open} open, due later; {len(left) - still_open} done or dropped)_"
            ]
            if left
            else []
        )
        content = [
            SectionBlock(text=MarkdownTextObject(text=truncate(r, 3000)))
            for r in [header, *hidden, *rows]
        ]
        return Reply([b.to_dict() for b in content], f"Follow-ups of incident {view.id}")


def line_of(view: IncidentView, follow_up: FollowUp) -> str:
    """``follow-up 2 of incident 7: <what> (owner, due, issue)`` in mrkdwn, user text escaped."""
    return f"follow-up {follow_up.number} of incident {view.id}: {_details(follow_up)}"


def _details(follow_up: FollowUp) -> str:
    link = follow_up.link
    filed = f", {mrkdwn.link(link.url, link.key)}" if link else ""
    what = escape(mrkdwn.shortened(follow_up.what, 500))
    # Its day in UTC, shown as the date it is everywhere: Slack renders a date token in each
    # reader's zone, and noon UTC is that same date from UTC-11 to UTC+11.
    noon = datetime.combine(follow_up.due_at.astimezone(UTC).date(), time(12), tzinfo=UTC)
    due = mrkdwn.date(noon, "{date_short_pretty}")
    return f"{what} ({mrkdwn.user(follow_up.owner)}, due {due}{filed})"


def _row(view: IncidentView, follow_up: FollowUp) -> str:
    state = STATE_EMOJI[follow_up.state]
    late = " *overdue*" if follow_up.is_open and follow_up.due_at < view.now else ""
    why = f": {escape(mrkdwn.shortened(follow_up.why_not, 300))}" if follow_up.why_not else ""
    closed = "" if follow_up.is_open else f" _{follow_up.state}{why}_"
    refused = (
        f" :warning: _the tracker refused it: {escape(truncate(follow_up.refused, 200))}_"
        if follow_up.refused
        else ""
    )
    return f"{state} *{follow_up.number}.* {_details(follow_up)}{late}{closed}{refused}"


def refusal(refused: Refusal, view: IncidentView) -> str:
    """Why a follow-up was not changed, and what to type instead."""
    if isinstance(refused, NoSuchFollowUp):
        have = f"it has {refused.known}" if refused.known else "it has none yet"
        return (
            f"Incident {view.id} has no follow-up {refused.number} ({have}): "
            f"`/incident {view.id} follow-ups` lists them."
        )
    if isinstance(refused, FollowUpClosed):
        state = "done" if refused.follow_up.state is FollowUpState.DONE else "dropped"
        return f"Follow-up {refused.follow_up.number} is {state} already: nothing to change."
    if isinstance(refused, DueInThePast):
        return "That due date is past: give a later one, such as `due 14d` or `due 2026-12-15`."
    assert isinstance(refused, NotPermitted)
    return (
        access.refusal(refused)
        + " A follow-up's owner may also mark it done, drop it, edit it or move it."
    )
