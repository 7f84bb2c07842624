"""A firing's claim on its timer: kept through a wait on the chat, or given up, posting nothing.

Two replicas' runners share the test database; the chat is the in-memory fake, told to answer a
post as rate-limited Slack does (the wait is a callback: no time passes), and each runner reads
the time that passes during a firing from a stopwatch the test moves.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.adapters.db.tables import TimerRow
from bot.adapters.db.timers import Timers
from bot.services import leases
from bot.services.incidents import IncidentService
from bot.services.timers import TimerRunner
from tests.services.fakes import FakeChat
from tests.services.lease_support import (
    CHANNEL,
    DUE,
    LEASE,
    OVERDUE,
    SlowPager,
    Stopwatch,
    misses,
)


def lease_of(sessions: sessionmaker[Session]) -> tuple[str | None, datetime | None, str]:
    with sessions() as session:
        row = session.scalars(select(TimerRow).where(TimerRow.key == "assemble@1:due")).one()
    return row.claimed_by, row.lease_until, row.status


def test_a_wait_longer_than_the_lease_renews_it_so_no_other_replica_takes_the_timer(
    replicas: tuple[TimerRunner, TimerRunner],
    chat: FakeChat,
    stopwatch: Stopwatch,
    sessions: sessionmaker[Session],
    incidents: IncidentService,
) -> None:
    a, b = replicas
    during: list[object] = []

    def wait_out_retry_after() -> None:  # Slack said: retry after 30 s, longer than the lease
        held = lease_of(sessions)
        stopwatch.seconds += 30
        during.append((held, b.tick(DUE + timedelta(seconds=30))))

    chat.rate_limit("post", 30, wait_out_retry_after)
    assert [f.outcome for f in a.tick(DUE)] == ["fired"]
    # Renewed before the wait for the wait and a whole lease after it, so B found nothing due.
    assert during == [(("a", DUE + timedelta(seconds=30) + LEASE, "claimed"), [])]
    assert chat.texts(CHANNEL).count(OVERDUE) == 1
    assert lease_of(sessions) == ("a", None, "fired")
    assert misses(incidents) == 1


def test_a_firing_whose_timer_was_taken_over_during_the_wait_does_not_post(
    replicas: tuple[TimerRunner, TimerRunner],
    chat: FakeChat,
    stopwatch: Stopwatch,
    sessions: sessionmaker[Session],
    incidents: IncidentService,
) -> None:
    a, b = replicas
    taken: list[str] = []

    def wait_overrun() -> None:  # asked to wait 30 s, A was not back for 2 minutes
        stopwatch.seconds += 120
        taken.extend(f.outcome for f in b.tick(DUE + timedelta(minutes=2)))

    chat.rate_limit("post", 30, wait_overrun)
    assert [f.outcome for f in a.tick(DUE)] == ["skipped"]
    assert taken == ["fired"]  # B took the timer over once A's lease had run out, and said it
    assert chat.texts(CHANNEL).count(OVERDUE) == 1  # B's: A's post was never made again
    assert [call[0] for call in chat.calls].count("post") == 3  # reminder, A's 429, B's
    assert lease_of(sessions) == ("b", None, "fired")
    assert misses(incidents) == 1


def test_a_claim_lost_before_the_post_is_sent_sends_nothing(
    replicas: tuple[TimerRunner, TimerRunner],
    chat: FakeChat,
    pager: SlowPager,
    stopwatch: Stopwatch,
    sessions: sessionmaker[Session],
    incidents: IncidentService,
) -> None:
    a, _ = replicas
    later = DUE + timedelta(seconds=25)

    def slow_paging() -> None:  # PagerDuty took 25 s; B claimed the timer and is saying it
        stopwatch.seconds += 25
        with sessions.begin() as session:
            assert [t.key for t in Timers(session).claim(later, "b", LEASE)] == ["assemble@1:due"]

    pager.meanwhile.append(slow_paging)
    assert [f.outcome for f in a.tick(DUE)] == ["skipped"]
    assert OVERDUE not in chat.texts(CHANNEL)
    assert lease_of(sessions) == ("b", later + LEASE, "claimed")
    assert misses(incidents) == 0


def test_outside_a_firing_waits_and_sends_ask_nothing() -> None:
    assert leases.before_wait(30) is True
    assert leases.before_send() is True


def renewals(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """Each renewal of a claim the database is asked for, by the time it is renewed until."""
    asked: list[datetime] = []
    renew = Timers.renew

    def spy(self: Timers, timer_id: int, owner: str, until: datetime) -> bool:
        asked.append(until)
        return renew(self, timer_id, owner, until)

    monkeypatch.setattr(Timers, "renew", spy)
    return asked


def test_a_notice_said_early_in_its_lease_asks_the_database_nothing_before_it_is_sent(
    replicas: tuple[TimerRunner, TimerRunner],
    chat: FakeChat,
    monkeypatch: pytest.MonkeyPatch,
    sessions: sessionmaker[Session],
    incidents: IncidentService,
) -> None:
    """Nobody but its holder changes a claimed deadline timer before its lease runs out, so a
    burst of notices does not queue for the write lock just to renew claims taken a moment ago."""
    a, _ = replicas
    asked = renewals(monkeypatch)
    assert [f.outcome for f in a.tick(DUE)] == ["fired"]
    assert asked == []
    assert chat.texts(CHANNEL).count(OVERDUE) == 1
    assert lease_of(sessions) == ("a", None, "fired")
    assert misses(incidents) == 1


def test_a_notice_said_past_half_its_lease_renews_the_claim_first(
    replicas: tuple[TimerRunner, TimerRunner],
    chat: FakeChat,
    pager: SlowPager,
    stopwatch: Stopwatch,
    monkeypatch: pytest.MonkeyPatch,
    incidents: IncidentService,
) -> None:
    a, _ = replicas
    asked = renewals(monkeypatch)

    def slow_paging() -> None:  # PagerDuty took 11 s: less than half the lease is left
        stopwatch.seconds += 11

    pager.meanwhile.append(slow_paging)
    assert [f.outcome for f in a.tick(DUE)] == ["fired"]
    assert asked == [DUE + timedelta(seconds=11) + LEASE]  # once, right before the post
    assert chat.texts(CHANNEL).count(OVERDUE) == 1
    assert misses(incidents) == 1
