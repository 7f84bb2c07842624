"""r18 (questionable, a design call): a follow-up that missed its due date counts as "done on
time" in the post-mortem's compliance once its due date is moved after it was missed: the
compliance table shows its deadline missed, and the count says 1 of 1 done on time.
"""

from __future__ import annotations

from datetime import timedelta

from bot.core.deadline_kinds import DeadlineKind
from bot.core.deadlines import DeadlineStatus
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat

DAY = timedelta(days=1)


def test_a_missed_follow_up_is_not_on_time_after_its_due_date_is_moved(
    incidents, filing, now
) -> None:
    follow_ups = FollowUps(incidents, Access(FakeChat(), None, None), filing, {})
    incident = declare(incidents)
    follow_ups.add("U0ALICE", incident, "add retries", "U0BOB", T0 + DAY)
    now.now = T0 + 3 * DAY  # missed two days ago
    follow_ups.change("U0BOB", incident, 1, due=T0 + 10 * DAY)
    now.now = T0 + 4 * DAY
    follow_ups.done("U0BOB", incident, 1)

    view = incidents.get(incident)
    statuses = [d.status for d in view.deadlines if d.kind is DeadlineKind.FOLLOW_UP]
    assert DeadlineStatus.MISSED in statuses  # the compliance table says missed ...
    assert not view.follow_ups[0].done_on_time  # ... and the count says on time
