"""The Slack rate budget in the database: replicas draw from one budget (SQLite, or PostgreSQL
with TEST_DATABASE_URL); time is virtual, nothing is slept."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bot.adapters.db.rate_buckets import PRUNE_AFTER, SharedBuckets
from bot.adapters.db.tables import StateRow
from bot.adapters.slack import gateway
from bot.adapters.slack.budget import Budget
from bot.adapters.slack.gateway import SlackGateway
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.test_budget import VirtualTime

CHANNEL = "C0INCIDENT"
T = 1_800_000_000.0


@pytest.fixture
def shared(engine: Engine) -> Iterator[Callable[[], SharedBuckets]]:
    """Makes the budget's buckets on the test database, as replicas do; each closed after."""
    made: list[SharedBuckets] = []

    def make() -> SharedBuckets:
        made.append(SharedBuckets(engine))
        return made[-1]

    yield make
    for buckets in made:
        buckets.close()


def keys(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.scalars(select(StateRow.key)))


def test_a_bucket_is_made_on_its_first_call_and_taken_from_after(
    engine: Engine, shared: Callable[[], SharedBuckets]
) -> None:
    buckets = shared()
    waits = [buckets.reserve("slack:pins.add", T, 3.0, 12.0, 60.0) for _ in range(7)]
    assert waits == [0, 0, 0, 0, 0, 3, 6]
    assert buckets.reserve("slack:pins.add", T, 3.0, 12.0, 8.0) is None  # 9 s off: not taken
    assert buckets.reserve("slack:pins.add", T + 1, 3.0, 12.0, 8.0) == 8  # the same slot
    assert keys(engine) == ["slack:pins.add"]


def test_reservations_made_at_once_each_get_a_slot_of_their_own(
    shared: Callable[[], SharedBuckets],
) -> None:
    replicas = [shared() for _ in range(4)]

    def reserve(n: int) -> float | None:
        buckets = replicas[n % len(replicas)]
        return buckets.reserve("slack:conversations.create", T, 3.0, 0.0, 600.0)

    with ThreadPoolExecutor(8) as pool:
        waits = list(pool.map(reserve, range(40)))
    assert sorted(w for w in waits if w is not None) == [3.0 * n for n in range(40)]


def test_idle_channel_buckets_are_dropped_after_an_hour(
    engine: Engine, shared: Callable[[], SharedBuckets]
) -> None:
    buckets = shared()
    buckets.reserve("slack:chat.postMessage:C1", T, 1.0, 2.0, 60.0)
    buckets.reserve("slack:pins.add", T, 3.0, 12.0, 60.0)
    later = T + PRUNE_AFTER.total_seconds() + 60
    buckets.reserve("slack:chat.postMessage:C2", later, 1.0, 2.0, 60.0)
    assert keys(engine) == ["slack:chat.postMessage:C2", "slack:pins.add"]
    with Session(engine) as session:
        row = session.get(StateRow, "slack:chat.postMessage:C2")
        assert row is not None
        assert row.updated_at == datetime.fromtimestamp(later, UTC)


@pytest.fixture
def limited() -> Iterator[SlackApiStub]:
    with SlackApiStub() as stub:
        stub.add_channel(CHANNEL, "inc-checkout", members=[stub.identity.bot_user_id])
        yield stub


def test_two_replicas_post_to_one_channel_at_slacks_rate_between_them(
    shared: Callable[[], SharedBuckets], limited: SlackApiStub
) -> None:
    time = VirtualTime()
    limited.limit_rate("chat.postMessage", 60, 3, per_channel=True, clock=time)

    def replica() -> SlackGateway:
        web = gateway.client(limited.token, limited.base_url, sleep=time.sleep)
        return SlackGateway(web, budget=Budget(shared(), clock=time, sleep=time.sleep))

    a, b = replica(), replica()
    for n in range(5):
        a.post(CHANNEL, [], f"from a {n}")
        b.post(CHANNEL, [], f"from b {n}")
    assert [p.status for p in limited.calls_to("chat.postMessage")] == [200] * 10
    assert time.slept == pytest.approx([1.0] * 7)  # three at once, then one a second


def test_replicas_with_their_own_buckets_would_each_spend_slacks_budget(
    limited: SlackApiStub,
) -> None:
    time = VirtualTime()
    limited.limit_rate("chat.postMessage", 60, 3, per_channel=True, clock=time)

    def replica() -> SlackGateway:
        web = gateway.client(limited.token, limited.base_url, sleep=time.sleep)
        return SlackGateway(web, budget=Budget(clock=time, sleep=time.sleep))

    a, b = replica(), replica()
    for n in range(3):
        a.post(CHANNEL, [], f"from a {n}")
        b.post(CHANNEL, [], f"from b {n}")
    assert 429 in [p.status for p in limited.calls_to("chat.postMessage")]
