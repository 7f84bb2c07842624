"""The Web API client's waits: a 429 is waited out, unless the timer firing it is for lost its
timer. Over HTTP to the stand-in; the sleep is recorded, not slept."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

import pytest
from slack_sdk.http_retry.response import HttpResponse

from bot.adapters.slack import gateway
from bot.adapters.slack.gateway import SlackFailure, SlackGateway
from bot.adapters.slack.retries import retry_after
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from bot.services import leases
from bot.services.ports import UnitsOfWork
from tests.core.timelines import T0

CHANNEL = "C0ANNOUNCE"


@dataclass
class Store:
    """A unit of work over a timer store that answers renewals with ``kept``, in turn (the
    last answer again once they run out)."""

    kept: list[bool]
    renewals: list[datetime] = field(default_factory=list)

    @property
    def timers(self) -> Store:
        return self

    def renew(self, timer_id: int, owner: str, until: datetime) -> bool:
        self.renewals.append(until)
        return self.kept[min(len(self.renewals), len(self.kept)) - 1]

    def commit(self) -> None:
        return None

    def read_only(self) -> None:
        return None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture
def stub() -> Iterator[SlackApiStub]:
    with SlackApiStub() as running:
        running.add_channel(CHANNEL, "incidents", members=[running.identity.bot_user_id])
        yield running


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def slack(stub: SlackApiStub, slept: list[float]) -> SlackGateway:
    return SlackGateway(gateway.client(stub.token, stub.base_url, sleep=slept.append))


def held(store: Store) -> leases.Lease:
    """A firing's claim, taken at T0 for 20 s, with a stopwatch standing still."""
    units = cast(UnitsOfWork, lambda: store)
    return leases.Lease(units, 1, "replica-a", timedelta(seconds=20), T0, lambda: 0.0, 0.0)


def statuses(stub: SlackApiStub) -> list[int]:
    return [call.status for call in stub.calls_to("chat.postMessage")]


def test_outside_a_firing_a_429_is_waited_out(
    slack: SlackGateway, stub: SlackApiStub, slept: list[float]
) -> None:
    stub.rate_limit_next("chat.postMessage", retry_after=7)
    slack.post(CHANNEL, [], "hello")
    assert statuses(stub) == [429, 200]
    assert len(slept) == 1
    assert 7 <= slept[0] < 8


def test_a_firing_renews_its_claim_for_the_wait_and_again_before_sending(
    slack: SlackGateway, stub: SlackApiStub, slept: list[float]
) -> None:
    store = Store(kept=[True])
    stub.rate_limit_next("chat.postMessage", retry_after=30)
    with leases.holding(held(store)):
        slack.post(CHANNEL, [], "overdue")
    assert statuses(stub) == [429, 200]
    before_post, for_the_wait, before_retry = store.renewals
    assert before_post == before_retry == T0 + timedelta(seconds=20)  # the stopwatch stood still
    assert for_the_wait == T0 + timedelta(seconds=slept[0] + 20)


def test_a_firing_whose_claim_is_already_lost_sends_nothing(
    slack: SlackGateway, stub: SlackApiStub, slept: list[float]
) -> None:
    lease = held(Store(kept=[False]))
    with leases.holding(lease), pytest.raises(SlackFailure, match="taken over"):
        slack.post(CHANNEL, [], "overdue")
    assert (statuses(stub), slept, lease.lost) == ([], [], True)


def test_a_claim_lost_before_the_wait_ends_the_call_with_its_429_at_once(
    slack: SlackGateway, stub: SlackApiStub, slept: list[float]
) -> None:
    lease = held(Store(kept=[True, False]))  # taken over while the first post was under way
    stub.rate_limit_next("chat.postMessage", retry_after=30)
    with leases.holding(lease), pytest.raises(SlackFailure, match="ratelimited"):
        slack.post(CHANNEL, [], "overdue")
    assert (statuses(stub), slept, lease.lost) == ([429], [], True)


def test_a_claim_lost_during_the_wait_ends_the_call_with_its_429(
    slack: SlackGateway, stub: SlackApiStub, slept: list[float]
) -> None:
    lease = held(Store(kept=[True, True, False]))  # taken over while waiting
    stub.rate_limit_next("chat.postMessage", retry_after=30)
    with leases.holding(lease), pytest.raises(SlackFailure, match="ratelimited"):
        slack.post(CHANNEL, [], "overdue")
    assert (statuses(stub), len(slept), lease.lost) == ([429], 1, True)


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"Retry-After": "30"}, 30), ({"retry-after": ["2"]}, 2), ({}, 1), ({"Retry-After": "x"}, 1)],
)
def test_retry_after_reads_the_header_whatever_its_case(
    headers: dict[str, str | list[str]], seconds: int
) -> None:
    assert retry_after(HttpResponse(status_code=429, headers=headers)) == seconds


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, "fatal_error"),
        (503, "service_unavailable"),
        (502, "bad_gateway"),
        (200, "internal_error"),
    ],
)
def test_a_server_error_is_tried_again_after_a_backoff(
    slack: SlackGateway, stub: SlackApiStub, slept: list[float], status: int, error: str
) -> None:
    stub.answer_next("chat.postMessage", status, error)
    slack.post(CHANNEL, [], "hello")
    assert statuses(stub) == [status, 200]
    assert len(slept) == 1


def test_server_errors_are_tried_again_within_a_budget(
    slack: SlackGateway, stub: SlackApiStub, slept: list[float]
) -> None:
    stub.answer_next("chat.postMessage", 500, times=5)
    with pytest.raises(SlackFailure, match="fatal_error"):
        slack.post(CHANNEL, [], "hello")
    assert statuses(stub) == [500, 500, 500]
    assert len(slept) == 2  # two more tries, each after a backoff


def test_a_call_that_is_wrong_is_not_tried_again(
    slack: SlackGateway, stub: SlackApiStub, slept: list[float]
) -> None:
    stub.fail_next("chat.postMessage", "is_archived")
    with pytest.raises(SlackFailure, match="is_archived"):
        slack.post(CHANNEL, [], "hello")
    assert (statuses(stub), slept) == ([200], [])


def test_a_post_that_can_be_found_again_is_not_sent_again_blindly(
    slack: SlackGateway, stub: SlackApiStub, slept: list[float]
) -> None:
    stub.answer_next("chat.postMessage", 500)
    metadata = {"event_type": "incident_card", "event_payload": {"incident": "1"}}
    with pytest.raises(SlackFailure, match="fatal_error"):
        slack.post(CHANNEL, [], "card", metadata)
    assert (statuses(stub), slept) == ([500], [])  # its poster looks for it before posting again
