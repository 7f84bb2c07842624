# ruff: noqa: E402
# (the review's test files joined: each part keeps its imports)
"""The timer burst path and the acks handed to the bot's pool, under the faults an outside
review found: one firing's database error holds back no other's record, a slow send or a
notice held back to be recorded never outlives its claim (so nothing is said twice), and work
after an ack that raises is logged and counted."""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy.exc import OperationalError

from bot.adapters.db.tables import TimerRow
from bot.adapters.db.timers import Timers
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.model import EventKind
from bot.services.incidents import IncidentService
from bot.services.timers import TimerRunner
from tests.services.timer_support import Recorder, Sessions, VirtualClock, declare


def test_one_firings_database_error_loses_the_records_of_the_notices_said_beside_it(
    sessions: Sessions,
    service: IncidentService,
    recorder: Recorder,
    clock: VirtualClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bot/services/timers.py TimerRunner._fire_all: ``item.result()`` re-raises an exception
    that escaped one firing (here _failed's renew meeting a dropped database connection) in
    the ticking thread, which leaves the loop with ``to_record`` and the _Said still queued
    unrecorded. Before b0341be each firing had recorded its own notice (pool.map raised only
    after the others had settled). For the on-call engineer: overdue notices are posted in
    Slack, but no miss is in the timeline, the card is not refreshed, and the timers stay
    claimed until the lease runs out; then they depend on a history search (already_said,
    which skips direct messages) not to be posted a second time."""
    incidents = [declare(service) for _ in range(4)]
    broken = incidents[1]
    broken_failed = threading.Event()

    def flaky(view: Any) -> None:
        if view.id == broken:
            raise ConnectionError("Slack is down")
        broken_failed.wait(5)  # the others' posts land just after the broken one failed
        time.sleep(0.3)

    recorder.before_saying = flaky
    renew = Timers.renew

    def renew_or_drop(self: Timers, timer_id: int, owner: str, until: Any) -> bool:
        if self.session.get(TimerRow, timer_id).incident_id == broken:  # type: ignore[union-attr]
            broken_failed.set()
            raise OperationalError("UPDATE timers", {}, Exception("server closed the connection"))
        return renew(self, timer_id, owner, until)

    monkeypatch.setattr(Timers, "renew", renew_or_drop)
    runner = TimerRunner(
        units_of_work(sessions), service, recorder, owner="a", lease=timedelta(seconds=20)
    )
    # the tick may say it failed; what was said must still be recorded
    with contextlib.suppress(Exception):
        runner.tick(clock.at(6))  # every incident's team-assembled notice falls due
    said = sorted(i for kind, i, key, _ in recorder.said if key == "assemble@1")
    assert said == sorted(i for i in incidents if i != broken)
    for incident in said:  # said in Slack: its miss must be in the timeline
        kinds = [e.kind for e in service.get(incident).events]
        assert kinds.count(EventKind.DEADLINE_MISSED) == 1, (
            f"incident {incident}: said, not recorded"
        )


# --- b9eee05 / 8cd7ccc: Lease.keep skips the renewal before a send -------------------------

from bot.services import leases
from tests.services.fakes import FakeChat, Posted
from tests.services.lease_support import CHANNEL, DUE, OVERDUE, Stopwatch, misses


def test_a_slow_post_started_with_just_over_half_the_lease_left_is_said_twice(
    replicas: tuple[TimerRunner, TimerRunner],
    chat: FakeChat,
    stopwatch: Stopwatch,
    incidents: IncidentService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bot/services/leases.py Lease.keep: a deadline timer's claim is not renewed before a send
    while more than half the lease (10 s of 20) is left, but the send itself is not counted:
    the Slack client's timeout is 10 s (gateway.py), so a post started with 10.5 s left (a
    firing queued behind the burst's others) that Slack answers in 11 s is still in flight
    when the lease runs out. Replica B claims the timer, finds no tagged message yet
    (already_said), and posts the overdue notice again: the on-call channel sees it twice.
    Renewing before every send (as before b9eee05), or skipping only while the lease left
    exceeds the send's own timeout plus a margin, closes this."""
    a, b = replicas
    post = chat.post
    during: list[object] = []
    first = [True]

    def slow_post(
        channel: str, message: Any, tag: Any = None, thread: Any = None, broadcast: bool = False
    ) -> str:
        if not first[0] or leases._held.get() is None or leases._held.get().owner != "a":
            return post(channel, message, tag, thread, broadcast)
        first[0] = False
        stopwatch.seconds += 9.5  # queued behind the burst's other firings
        assert leases.before_send()  # renewal skipped: 10.5 s of the lease left
        stopwatch.seconds += 11  # the request is in flight; Slack answers slowly
        during.append([f.outcome for f in b.tick(DUE + timedelta(seconds=20.5))])
        ts = f"ts-{len(chat.posted) + 1}"  # ... and then it lands
        chat.posted.append(Posted(channel, message.text, tag, ts, thread, broadcast))
        return ts

    monkeypatch.setattr(chat, "post", slow_post)
    a.tick(DUE)
    assert chat.texts(CHANNEL).count(OVERDUE) == 1, f"said twice (B's tick meanwhile: {during})"
    assert misses(incidents) == 1


# --- 45f3310: acks hand their work to the bot's pool (``soon``) ------------------------------

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt.request import BoltRequest

from bot.adapters.slack.listeners import Listeners
from bot.adapters.slack.replies import notice


def test_work_after_an_ack_that_raises_is_not_lost_without_a_word(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """bot/adapters/slack/listeners.py Listeners.command (and button, form, shortcut, pinned,
    unpinned): the work is handed to ``soon`` (app.py: ``workers.submit``) and the Future is
    dropped, so an exception escaping run_* (respond() to an expired or unreachable
    response_url, which _guarded does not catch; a KeyError in _clicker/_typist/pin_change,
    which run outside _guarded/_quietly) vanishes: no log line, no work_failures count.
    Bolt's lazy runner, used before, logged "Failed to run an internal function". For the
    on-call engineer a declaration whose answer could not be sent, and whose follow-up
    (reply.then: the room's set-up) is therefore never started, leaves no trace to debug.
    Suggested fix: submit a wrapper that logs and counts (self.failed) what escapes."""
    ran: list[str] = []

    class Handlers:
        def command(self, who: Any, command: Any) -> Any:
            ran.append("declared")
            return notice("declared")

    def respond(**_: Any) -> None:
        raise ConnectionResetError("response_url unreachable")

    pool = ThreadPoolExecutor(2)
    listeners = Listeners(
        cast(Any, Handlers()),
        cast(Any, None),
        cast(Any, None),
        lambda then: then(),
        soon=pool.submit,
    )
    body = {
        "text": "sev1 checkout is returning 500s",
        "user_id": "U1",
        "channel_id": "C1",
        "team_id": "T1",
        "trigger_id": "tr1",
    }
    request = BoltRequest(body="", headers={})
    with caplog.at_level(logging.DEBUG):
        listeners.command(lambda **_: None, body, request, cast(Any, respond))
        pool.shutdown(wait=True)
    assert ran == ["declared"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR], "the failure left no trace"


from tests.services.conftest import declare as declare_in_channel
from tests.services.lease_support import replica


def test_a_notice_held_back_to_be_recorded_outlives_its_lease_and_is_said_again(
    units: Any,
    incidents: IncidentService,
    chat: FakeChat,
    paged: Any,
    pager: Any,
    stopwatch: Stopwatch,
    now: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """bot/services/timers.py TimerRunner._fire_all (7364439): while other notices are still
    to be said, a notice said waits up to a quarter of the lease (5 s) before the ticking
    thread records it. "Well inside the claims" does not hold: Lease.keep lets a send start
    with just over half the lease left, so a post taking 6 s (Slack under load) plus the 5 s
    hold-back ends past the lease. Replica B claims the timer, cannot find the notice
    (already_said searches channels, not the direct messages it reached because the incident
    channel is archived) and the owning team's on-call is told twice. Suggested fix: record at once
    when the notice's lease has less than a quarter left (or renew it before holding it back)."""
    for _ in range(3):  # incidents 1-3 (CINC1-3): their notices due together
        declare_in_channel(incidents)
    chat.refusing["CINC1"] = "is_archived"  # the notice goes to the owning team's DMs
    monkeypatch.setattr(chat, "groups", {"S0PAYMENTS": ["U0BOB"]})
    a, b = (replica(o, units, incidents, chat, paged, pager, stopwatch) for o in ("a", "b"))
    post = chat.post
    hooks = {"first": True, "b": True}

    def slow_post(
        channel: str, message: Any, tag: Any = None, thread: Any = None, broadcast: bool = False
    ) -> str:
        held = leases._held.get()
        if held is None or held.owner != "a":
            return post(channel, message, tag, thread, broadcast)
        if channel == "CINC1" and hooks["first"]:
            hooks["first"] = False
            stopwatch.seconds += 9.5  # queued behind the burst's other firings
            return post(channel, message, tag, thread, broadcast)  # refused: archived
        if channel != "CINC1" and "CINC" not in channel:  # the DM: Slack takes 6 s
            ts = post(channel, message, tag, thread, broadcast)
            stopwatch.seconds += 6
            return ts
        if channel == "CINC2" and hooks["b"]:  # while the DM waits to be recorded
            hooks["b"] = False
            stopwatch.seconds += 5
            b.tick(DUE + timedelta(seconds=20.5))
        return post(channel, message, tag, thread, broadcast)

    monkeypatch.setattr(chat, "post", slow_post)
    now.now = DUE
    a.tick(DUE)
    told = [p for p in chat.posted if p.text == OVERDUE and not p.channel.startswith("CINC")]
    assert len(told) == 1, f"incident 1's overdue notice told {len(told)} times: {told}"
