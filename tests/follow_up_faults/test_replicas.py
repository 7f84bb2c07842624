"""two replicas (two engines, two runners, two FollowUps) on one database
file or PostgreSQL, ticking at once with a slow tracker: every follow-up filed once, notices once.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from bot.adapters.db import engine as engines
from bot.adapters.db.unit_of_work import units_of_work
from bot.core.follow_ups import Destination, FollowUpState
from bot.services.access import Access
from bot.services.follow_ups import FollowUps
from bot.services.incidents import IncidentService
from bot.services.timers import TimerRunner
from bot.services.trackers import Issue, NewIssue, TrackerUnavailable
from tests.core.timelines import T0
from tests.services.conftest import declare
from tests.services.fakes import FakeChat
from tests.services.timer_support import Recorder


class SlowTracker:
    name = "github"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.issues: dict[str, tuple[NewIssue, FollowUpState]] = {}
        self.opened: list[str] = []
        self.down = True

    search_lag = timedelta(0)

    def find(self, where: Destination, marker: str, since: datetime | None = None) -> Issue | None:
        time.sleep(0.05)
        with self.lock:
            if self.down:
                raise TrackerUnavailable("GitHub answered 502")
            for key, (issue, state) in self.issues.items():
                if issue.marker == marker:
                    return Issue(key, "u", state)
        return None

    def open(self, where: Destination, issue: NewIssue) -> Issue:
        time.sleep(0.05)
        with self.lock:
            key = f"{where.place}#{len(self.issues) + 1}"
            self.issues[key] = (issue, FollowUpState.OPEN)
            self.opened.append(issue.marker)
            return Issue(key, "u")

    def get(self, key: str) -> Issue:
        with self.lock:
            return Issue(key, "u", self.issues[key][1])

    def close(self, key: str, state: FollowUpState) -> None:
        with self.lock:
            self.issues[key] = (self.issues[key][0], state)


def test_two_replicas_file_each_follow_up_once_and_say_each_notice_once(engine, filing, now):
    tracker = SlowTracker()
    replicas = []
    others = []
    for name in ("a", "b"):
        other = engines.connect(engine.url.render_as_string(hide_password=False))
        others.append(other)
        units = units_of_work(engines.sessions(other))
        service = IncidentService(units, filing.policies, now)
        follow_ups = FollowUps(service, Access(FakeChat(), None, None), filing, {"github": tracker})
        said = Recorder()
        replicas.append(
            (
                service,
                follow_ups,
                TimerRunner(units, service, said, owner=name, tracker=follow_ups),
                said,
            )
        )
    service, follow_ups, _, _ = replicas[0]
    incident = declare(service)
    for n in range(3):
        follow_ups.add("U0ALICE", incident, f"task {n}", "U0BOB", T0 + timedelta(days=3))
        follow_ups.sync(incident)  # down
    tracker.down = False
    for step in [timedelta(minutes=m) for m in (1, 2, 4, 8, 16, 40)] + [
        timedelta(days=d) for d in (1, 2, 3, 4)
    ]:
        now.now = T0 + step + timedelta(seconds=1)
        threads = [threading.Thread(target=r[2].tick, args=(now.now,)) for r in replicas]
        # and a request on replica b syncing at the same moment
        threads.append(threading.Thread(target=replicas[1][1].sync, args=(incident,)))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(tracker.opened) == [f"incident-bot:{incident}:{n}" for n in (1, 2, 3)]
    view = service.get(incident)
    assert all(f.link is not None for f in view.follow_ups)
    said = [w for r in replicas for (w, _i, key, _t) in r[3].said if key.startswith("follow_up@")]
    for other in others:
        other.dispose()
    assert said.count("overdue") == 3
    assert said.count("remind") == 3
    assert said.count("escalate 1 owner") == 3
