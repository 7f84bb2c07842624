"""The Web API rate budget: its arithmetic on a virtual clock, the timer leases it asks before a
wait, its fallback when the shared buckets fail, and a burst of posts to one channel against a
stand-in that limits as Slack does (real HTTP, virtual time: nothing is slept)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from bot.adapters.slack import budget, gateway
from bot.adapters.slack.budget import TIER_2, Budget, LocalBuckets, Rate
from bot.adapters.slack.gateway import SlackFailure, SlackGateway
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from bot.services import leases
from bot.services.ports import StorageUnavailable
from tests.adapters.slack.test_retries import CHANNEL, Store, held

T = 1_800_000_000.0  # epoch seconds


@dataclass
class VirtualTime:
    """A clock that moves only when slept on (``moves``; else callers that wait at once, in
    threads of their own); every sleep recorded."""

    now: float = T
    slept: list[float] = field(default_factory=list)
    moves: bool = True

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds if self.moves else 0


def paced(time: VirtualTime, **options: float) -> Budget:
    return Budget(clock=time, sleep=time.sleep, **options)  # type: ignore[arg-type]


# -- the arithmetic


def test_a_rate_is_an_interval_and_a_tolerance() -> None:
    assert (TIER_2.interval, TIER_2.tolerance) == (3.0, 12.0)  # 20 a minute, 5 at once
    assert Rate(60, 3).scaled(10) == Rate(600, 30)
    assert Rate(1, 1).scaled(0.5) == Rate(0.5, 1)  # never less than one call at once


def test_a_full_bucket_lets_a_burst_through_then_spaces_calls_at_the_rate() -> None:
    waits = []
    tat = 0.0
    for _ in range(7):
        tat, wait = budget.slot(tat, T, TIER_2.interval, TIER_2.tolerance, max_wait=60)
        waits.append(wait)
    assert waits == [0, 0, 0, 0, 0, 3, 6]
    assert tat == T + 21


def test_a_bucket_refills_at_the_rate_while_idle() -> None:
    tat = T + 21  # seven calls made at T
    assert budget.slot(tat, T + 9, 3, 12, 60) == (T + 24, 0)  # three intervals later: one free
    assert budget.slot(tat, T + 8, 3, 12, 60) == (T + 24, 1)


def test_a_slot_further_off_than_the_call_may_wait_is_not_taken() -> None:
    assert budget.slot(T + 100, T, 3, 12, max_wait=60) == (T + 100, None)
    assert budget.slot(T + 72, T, 3, 12, max_wait=60) == (T + 75, 60)  # exactly the bound: taken


# -- the budget


def test_calls_wait_their_turn_per_method_and_posts_per_channel() -> None:
    time = VirtualTime()
    paced_ = paced(time)
    for _ in range(6):
        assert paced_.wait_turn("conversations.create")
    assert time.slept == [3.0]  # the sixth Tier 2 call, an interval after the burst's start
    for channel in ("C1", "C1", "C1", "C2", "C1"):
        assert paced_.wait_turn("chat.postMessage", channel)
    assert time.slept == [3.0, 1.0]  # C1's fourth post; C2's first was free


def test_a_call_whose_turn_is_too_far_off_is_refused_and_reserves_nothing() -> None:
    time = VirtualTime(moves=False)
    paced_ = paced(time, max_wait=7)
    turns = [paced_.wait_turn("pins.add") for _ in range(8)]
    assert turns == [True] * 7 + [False]  # the 8th would wait 9 s
    assert time.slept == [3.0, 6.0]
    time.now += 4
    assert paced_.wait_turn("pins.add")  # the refused call took no slot: the next waits 5 s
    assert time.slept[-1] == 5.0


def test_views_open_waits_no_longer_than_its_trigger_lives() -> None:
    time = VirtualTime()
    paced_ = paced(time, scale=0.05, max_wait=600)  # 5 a minute, 2 at once: 12 s apart
    assert [paced_.wait_turn("views.open") for _ in range(3)] == [True, True, False]
    assert time.slept == []


def test_a_scale_makes_every_rate_faster() -> None:
    time = VirtualTime()
    paced_ = paced(time, scale=100)
    for _ in range(600):
        paced_.wait_turn("conversations.create")
    # 2,000 a minute, 500 at once: the last 100 spaced 0.03 s apart (not 3 s)
    assert sum(time.slept) == pytest.approx(3.0, rel=1e-3)


def test_a_wait_renews_the_firings_claim_and_asks_for_it_again_before_the_call() -> None:
    time = VirtualTime()
    paced_ = paced(time, scale=1 / 12)  # Tier 2 at one call a 36 s, none at once
    store = Store(kept=[True])
    paced_.wait_turn("pins.add")
    with leases.holding(held(store)):
        assert paced_.wait_turn("pins.add")
    assert time.slept == [36.0]
    assert len(store.renewals) == 2  # the wait outlasts the 20 s lease; then before the call


def test_a_firing_that_lost_its_claim_does_not_wait() -> None:
    time = VirtualTime()
    paced_ = paced(time, scale=1 / 12)
    paced_.wait_turn("pins.add")
    lease = held(Store(kept=[False]))
    with leases.holding(lease):
        assert not paced_.wait_turn("pins.add")
    assert (time.slept, lease.lost) == ([], True)


@dataclass
class Unreachable:
    asked: int = 0

    def reserve(self, *asked: object) -> float | None:
        self.asked += 1
        raise StorageUnavailable("connection refused")


def test_unreachable_shared_buckets_leave_the_pacing_to_this_replica_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = VirtualTime()
    shared = Unreachable()
    paced_ = Budget(shared, clock=time, sleep=time.sleep)
    with caplog.at_level(logging.INFO, "bot.adapters.slack.budget"):
        turns = [paced_.wait_turn("conversations.create") for _ in range(6)]
        assert turns == [True] * 6
        assert time.slept == [3.0]  # paced all the same, by the local bucket
        assert shared.asked == 1  # not asked again within RETRY_SHARED_SECONDS
        time.now += budget.RETRY_SHARED_SECONDS
        paced_.wait_turn("conversations.create")
        assert shared.asked == 2  # asked again once that passed, and logged no more
    said = [r.getMessage() for r in caplog.records if r.name == "bot.adapters.slack.budget"]
    assert said == ["the shared Slack rate budget is unreachable; pacing this replica alone"]


def test_shared_buckets_are_asked_when_reachable() -> None:
    time = VirtualTime()
    shared = LocalBuckets()  # any Buckets: another replica's share of the same ones
    one, two = (Budget(shared, clock=time, sleep=time.sleep) for _ in range(2))
    for _ in range(5):
        one.wait_turn("conversations.create")
    two.wait_turn("conversations.create")
    assert time.slept == [3.0]  # the second drew from what the first left


# -- over HTTP, against a stand-in that limits as Slack does


@pytest.fixture
def limited() -> Iterator[SlackApiStub]:
    with SlackApiStub() as stub:
        stub.add_channel(CHANNEL, "incidents", members=[stub.identity.bot_user_id])
        yield stub


def test_a_burst_of_posts_to_one_channel_is_spaced_at_slacks_rate_and_never_refused(
    limited: SlackApiStub,
) -> None:
    time = VirtualTime()
    limited.limit_rate("chat.postMessage", 60, 3, per_channel=True, clock=time)
    web = gateway.client(limited.token, limited.base_url, sleep=time.sleep)
    slack = SlackGateway(web, budget=paced(time))
    for n in range(10):
        slack.post(CHANNEL, [], f"update {n}")
    posts = limited.calls_to("chat.postMessage")
    assert [p.status for p in posts] == [200] * 10
    assert time.slept == pytest.approx([1.0] * 7)  # three at once, then one a second
    assert [m["text"] for m in limited.messages(CHANNEL)] == [f"update {n}" for n in range(10)]


def test_without_the_budget_the_same_burst_collects_429s(limited: SlackApiStub) -> None:
    time = VirtualTime()
    limited.limit_rate("chat.postMessage", 60, 3, per_channel=True, clock=time)
    web = gateway.client(limited.token, limited.base_url, sleep=time.sleep)
    slack = SlackGateway(web)
    for n in range(10):
        slack.post(CHANNEL, [], f"update {n}")
    statuses = [p.status for p in limited.calls_to("chat.postMessage")]
    # The posts after the third wait out 429s: a Retry-After of 1 s plus up to 1 s of jitter
    # buys one or two of them each.
    assert statuses[:4] == [200, 200, 200, 429]
    assert (statuses.count(200), statuses.count(429) >= 4) == (10, True)


def test_a_call_over_budget_fails_as_a_429_that_outlasted_the_retries(
    limited: SlackApiStub,
) -> None:
    time = VirtualTime()
    counted: list[tuple[str, str]] = []
    web = gateway.client(limited.token, limited.base_url, sleep=time.sleep)
    slack = SlackGateway(web, lambda *c: counted.append(c), paced(time, max_wait=0))
    for _ in range(5):
        slack.set_topic(CHANNEL, "investigating")
    with pytest.raises(SlackFailure, match=r"conversations\.setTopic failed: ratelimited"):
        slack.set_topic(CHANNEL, "investigating")
    assert len(limited.calls_to("conversations.setTopic")) == 5  # the sixth never left
    assert counted[-1] == ("conversations.setTopic", "over_budget")


def test_local_buckets_drop_idle_ones_without_forgetting_a_reservation() -> None:
    buckets = LocalBuckets()
    for n in range(LocalBuckets.KEPT - 1):
        buckets.reserve(f"slack:chat.postMessage:C{n}", T, 1.0, 2.0, 60.0)  # full again at T+1
    buckets.reserve("slack:pins.add", T + 5, 3.0, 0.0, 60.0)  # busy until T+8
    buckets.reserve("slack:chat.postMessage:CLAST", T + 6, 1.0, 2.0, 60.0)
    assert len(buckets) == 2  # the channels idle since T+1 dropped
    assert buckets.reserve("slack:pins.add", T + 6, 3.0, 0.0, 60.0) == 2.0  # still busy
