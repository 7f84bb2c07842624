"""Follow-ups after a declaration wait behind the declarations still queued."""

from __future__ import annotations

import time

from bot.adapters.slack.priority import BacklogFirst
from bot.entrypoints.pools import WorkTracker


def test_follow_ups_do_not_wait_on_a_pool_that_has_shut_down() -> None:
    """A stopping bot finishes its follow-ups at once: a shut-down pool holds no backlog."""
    tracker = WorkTracker()
    workers = tracker.pool(2, "lazy")
    workers.submit(lambda: None)
    workers.shutdown(wait=True)
    gate = BacklogFirst(workers.wait_empty, max_wait=5)
    started = time.monotonic()
    gate.wait()
    assert time.monotonic() - started < 0.5
