"""The weekly digest: the week's incidents and numbers against the weeks before, and one
chart, posted once to the channel the settings name, by a bot-wide durable timer.

Once across replicas: each week's send is one timer (keyed by its week, unique among the bot's
own), claimed by one replica at a time; a send that stopped after posting does not post again
(a fact notes the post), only uploads the chart it owes, and a week sent is not sent again
whatever the schedule becomes (a fact notes that too).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Protocol

from bot.core import digest
from bot.core.digest import WEEK, WEEKS_BEFORE, Schedule
from bot.core.insights import Report
from bot.core.timers import BOT_WIDE, Purpose
from bot.services.chat import Chat, ChatFailure, Message, Tag
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
        """Arm the first send after ``after`` (default: now) of a week not sent yet; returns
        when it is due. Arming it again, here or on another replica, changes nothing; with
        the schedule changed, it moves that week's send to the new time."""
        return self._arm(self.schedule.next_after(after or self.clock()))

    def _arm(self, due: datetime) -> datetime:
        try:
            with self.units() as uow:
                while uow.facts.get(_fact(self._key(due), SENT)) is not None:
                    due = self.schedule.next_after(due)  # moved within a week already sent
                key = self._key(due)
                uow.timers.arm(BOT_WIDE, key, Purpose.DIGEST, due, move=True)
                # A week's send armed under another schedule (another day, say) would tell a
                # stale span: the next send under this one tells everything since the last.
                uow.timers.retire_others(BOT_WIDE, digest.KEY_PREFIX, key, self.clock())
                uow.commit()
        except Conflict:
            pass  # another replica armed it at the same moment
        return due

    def send(self, timer_key: str) -> bool:
        """Send the digest of the week the timer ``timer_key`` names, then arm the next one;
        True when done (a key that names no digest, a week sent already, or one a later
        week's send is due after, as when the bot was down for weeks, is done).
        ChatFailure when its message could not be posted: try again (a chart Slack refuses is
        only logged)."""
        week = digest.week_of_key(timer_key)
        if week is None:
            return True
        now = self.clock()
        due = min(self.schedule.due_in(week), now)
        latest = self.schedule.next_after(now - WEEK)
        if latest <= now and self.schedule.week_of(latest) > week:
            # A later week's send is due too (the bot was down): only the latest is sent.
            self._arm(latest)
            return True
        with self.units() as uow:
            uow.read_only()
            sent = uow.facts.get(_fact(timer_key, SENT)) is not None
            posted = uow.facts.get(_fact(timer_key, POSTED))
            tried = uow.facts.get(_fact(timer_key, POSTING)) is not None
            charted = uow.facts.get(_fact(timer_key, CHARTED)) is not None
            last = uow.facts.get(LAST_UNTIL)
        if sent:
            self.arm(due)
            return True
        if posted is None:
            self._post(timer_key, due, _moment(last), tried, now)
        self.arm(due)  # next week's comes whatever becomes of this week's chart
        if not charted:
            self._chart(timer_key, due, now)
        self._note(now, (_fact(timer_key, SENT), now.isoformat()))
        log.info("weekly digest sent", extra={"timer": timer_key})
        return True

    def _note(self, now: datetime, *facts: tuple[str, str]) -> None:
        """Keep ``facts`` (key, value) together, as of ``now``."""
        with self.units() as uow:
            for key, value in facts:
                uow.facts.put(key, value, now)
            uow.commit()

    def _key(self, due: datetime) -> str:
        return digest.key(self.schedule.week_of(due))

    def _post(
        self, timer_key: str, due: datetime, last: datetime | None, tried: bool, now: datetime
    ) -> None:
        """Post the digest, once: a try that stopped before noting its post (the process
        died, the database blipped) finds its tagged message instead of posting it again."""
        start, end = self.schedule.span(due, last)
        tag = Tag("incident_digest", {"week": timer_key})
        if not tried:
            self._note(now, (_fact(timer_key, POSTING), now.isoformat()))
        if not tried or self.chat.find_tagged(self.channel, tag) is None:
            told = self.wording.message(
                self.insights.report(end - start, until=end),
                self.insights.report(WEEKS_BEFORE * WEEK, until=start),
            )
            self.chat.post(self.channel, told, tag)
        self._note(now, (_fact(timer_key, POSTED), end.isoformat()), (LAST_UNTIL, end.isoformat()))

    def _chart(self, timer_key: str, due: datetime, now: datetime) -> None:
        """Upload the chart, once: noted as soon as Slack has it (or refused it: the numbers
        were posted, the chart is not worth a loop)."""
        image, title = self.wording.chart(self._weeks(due))
        try:
            self.chat.upload(self.channel, image, f"incident-digest-{due:%Y-%m-%d}.png", title)
        except ChatFailure as refused:
            log.warning(
                "the digest's chart was not uploaded: %s", refused, extra={"timer": timer_key}
            )
        self._note(now, (_fact(timer_key, CHARTED), now.isoformat()))

    def _weeks(self, due: datetime) -> Report:
        """The chart's span: the ``WEEKS_BEFORE`` + 1 weeks before ``due``, each the
        digest's own (from one send time to the next, in its timezone), by its first day."""
        weeks = self.schedule.weeks_before(due, WEEKS_BEFORE + 1)
        span = self.insights.report(due - weeks[0][0], until=due)
        zone = self.schedule.zone
        by_week = {
            f"{start.astimezone(zone):%Y-%m-%d}": self.insights.report(
                end - start, until=end
            ).overall
            for start, end in weeks
        }
        return replace(span, by_period=by_week)


LAST_UNTIL = "digest:last_until"
"""The end of the span the last digest posted told (UTC, ISO 8601): the next one starts there."""


POSTING, POSTED, CHARTED, SENT = "posting", "posted", "charted", "sent"
"""How far a week's send got, each a fact ``<timer key>:<stage>``: its post tried, posted,
its chart uploaded (or refused), all done."""


def _fact(timer_key: str, stage: str) -> str:
    return f"{timer_key}:{stage}"


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
