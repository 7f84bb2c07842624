"""The weekly digest: the week's incidents and numbers against the weeks before, and one
chart, posted once to the channel the settings name, by a bot-wide durable timer.

Once across replicas: each week's send is one timer (keyed by its due time, unique among the
bot's own), claimed by one replica at a time; a send that stopped after posting does not post
again (a fact notes the post), only uploads the chart it owes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.core import digest
from bot.core.digest import WEEK, WEEKS_BEFORE, Schedule
from bot.core.insights import Report
from bot.core.timers import BOT_WIDE, Purpose
from bot.services.chat import Chat, ChatFailure, Message
from bot.services.insights import Insights
from bot.services.ports import Conflict, UnitsOfWork

log = logging.getLogger(__name__)


class DigestWording(Protocol):
    """What the digest says (Slack: bot/adapters/slack/digest.py)."""

    def message(self, week: Report, before: Report) -> Message:
        """The week's numbers against the ``WEEKS_BEFORE`` weeks before."""
        ...

    def chart(self, span: Report) -> tuple[bytes, str]:
        """The chart over the whole span, as a PNG, and its title."""
        ...


class Digests:
    def __init__(
        self,
        units: UnitsOfWork,
        insights: Insights,
        chat: Chat,
        wording: DigestWording,
        schedule: Schedule,
        channel: str,
        clock: Callable[[], datetime],
    ) -> None:
        self.units = units
        self.insights = insights
        self.chat = chat
        self.wording = wording
        self.schedule = schedule
        self.channel = channel
        self.clock = clock

    def arm(self, after: datetime | None = None) -> datetime:
        """Arm the first send after ``after`` (default: now); returns when it is due. Arming
        it again, here or on another replica, changes nothing."""
        due = self.schedule.next_after(after or self.clock())
        try:
            with self.units() as uow:
                uow.timers.arm(BOT_WIDE, digest.key(due), Purpose.DIGEST, due)
                uow.commit()
        except Conflict:
            pass  # another replica armed it at the same moment
        return due

    def send(self, timer_key: str) -> bool:
        """Send the digest the timer ``timer_key`` stands for, then arm the next one; True
        when done (a key that names no digest is done already). ChatFailure when its message
        could not be posted: try again (a chart Slack refuses is only logged)."""
        due = digest.due_of(timer_key)
        if due is None:
            return True
        week = self.insights.report(WEEK, until=due)
        before = self.insights.report(WEEKS_BEFORE * WEEK, until=due - WEEK)
        posted = f"{timer_key}:posted"
        with self.units() as uow:
            already = uow.facts.get(posted) is not None
        if not already:
            self.chat.post(self.channel, self.wording.message(week, before))
            with self.units() as uow:
                uow.facts.put(posted, self.clock().isoformat(), self.clock())
                uow.commit()
        self.arm(due)  # next week's comes whatever becomes of this week's chart
        span = self.insights.report((WEEKS_BEFORE + 1) * WEEK, until=due)
        image, title = self.wording.chart(span)
        try:
            self.chat.upload(self.channel, image, f"incident-digest-{due:%Y-%m-%d}.png", title)
        except ChatFailure as refused:  # the numbers were posted; the chart is not worth a loop
            log.warning(
                "the digest's chart was not uploaded: %s", refused, extra={"timer": timer_key}
            )
        log.info("weekly digest sent", extra={"timer": timer_key})
        return True
