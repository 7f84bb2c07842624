"""A follow-up due sooner than the playbook's ``remind_before`` (Sev1: 2 days) is reminded
halfway to its due time, not first heard of in its overdue notice. Virtual clock."""

from __future__ import annotations

from datetime import timedelta

from bot.core.deadline_kinds import DeadlineKind
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.incidents import IncidentService
from bot.services.timers import TimerRunner
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.timer_support import Recorder


def test_due_in_36_hours_is_reminded_at_18(units, playbooks, now) -> None:  # type: ignore[no-untyped-def]
    service = IncidentService(units, playbooks.policies, now)
    follow_ups = FollowUps(service, Access(FakeChat(), None, None), playbooks, {})
    said = Recorder()
    runner = TimerRunner(units, service, said, owner="a")
    incident = declare(service)
    follow_ups.add("U0ALICE", incident, "rotate the leaked key", "U0BOB", T0 + timedelta(hours=36))
    [deadline] = [d for d in service.get(incident).deadlines if d.kind is DeadlineKind.FOLLOW_UP]
    assert deadline.reminders == (T0 + timedelta(hours=18),)
    for hour in range(1, 36):
        now.now = T0 + timedelta(hours=hour)
        runner.tick(now.now)
    told = [(what, at) for (what, _i, key, at) in said.said if key == deadline.key]
    assert told == [("remind", T0 + timedelta(hours=18))]


def test_due_within_two_hours_is_not_reminded(units, playbooks, now) -> None:  # type: ignore[no-untyped-def]
    service = IncidentService(units, playbooks.policies, now)
    follow_ups = FollowUps(service, Access(FakeChat(), None, None), playbooks, {})
    incident = declare(service)
    follow_ups.add("U0ALICE", incident, "page the DBA", "U0BOB", T0 + timedelta(minutes=90))
    [deadline] = [d for d in service.get(incident).deadlines if d.kind is DeadlineKind.FOLLOW_UP]
    assert deadline.reminders == ()
