"""The rollback rule of PROTOCOL.md, with its boundaries."""

from datetime import timedelta

import pytest

from bot.core import rollback
from bot.core.model import Severity
from bot.core.rollback import Advice, Deploy
from tests.core.timelines import SHIPPED, T0

RULE = SHIPPED[Severity.SEV1].rollback
assert RULE is not None


def deploy(age: timedelta, service: str = "checkout", version: str = "v1") -> Deploy:
    return Deploy(service=service, version=version, finished_at=T0 - age)


@pytest.mark.parametrize(
    ("age", "advice"),
    [
        (timedelta(0), Advice.ROLL_BACK_NOW),
        (timedelta(minutes=30), Advice.ROLL_BACK_NOW),
        (timedelta(minutes=59, seconds=59), Advice.ROLL_BACK_NOW),
        (timedelta(hours=1), Advice.ROLL_BACK_FIRST),
        (timedelta(hours=3, minutes=59), Advice.ROLL_BACK_FIRST),
        (timedelta(hours=4) - timedelta(seconds=1), Advice.ROLL_BACK_FIRST),
        (timedelta(hours=4), Advice.ESCALATE),
        (timedelta(hours=4, minutes=1), Advice.ESCALATE),
        (-timedelta(minutes=1), Advice.ESCALATE),
    ],
    ids=[
        "at-start",
        "30m",
        "59m59s",
        "exactly-1h",
        "3h59m",
        "4h-1s",
        "exactly-4h",
        "4h1m",
        "after-start",
    ],
)
def test_deploy_age_at_the_start_decides(age: timedelta, advice: Advice) -> None:
    recommendation = rollback.recommend(T0, {"checkout"}, [deploy(age)], RULE)
    assert recommendation.advice is advice
    assert len(recommendation.suspects) == (0 if advice is Advice.ESCALATE else 1)


def test_another_services_deploy_is_not_correlated() -> None:
    recommendation = rollback.recommend(
        T0, {"checkout"}, [deploy(timedelta(minutes=10), service="search")], RULE
    )
    assert (recommendation.advice, recommendation.services) == (Advice.ESCALATE, ("checkout",))


def test_no_deploys_means_escalate_to_the_owning_team() -> None:
    recommendation = rollback.recommend(T0, {"search", "checkout"}, [], RULE)
    assert recommendation.advice is Advice.ESCALATE
    assert recommendation.services == ("checkout", "search")
    assert not recommendation.rolls_back


def test_several_deploys_newest_first_and_the_newest_sets_the_urgency() -> None:
    old = deploy(timedelta(hours=2), version="v1")
    new = deploy(timedelta(minutes=40), version="v2")
    outside = deploy(timedelta(hours=5), version="v0")
    recommendation = rollback.recommend(T0, {"checkout"}, [old, outside, new], RULE)
    assert recommendation.advice is Advice.ROLL_BACK_NOW
    assert [s.deploy.version for s in recommendation.suspects] == ["v2", "v1"]
    assert recommendation.suspects[0].age_at_start == timedelta(minutes=40)


def test_several_services_each_contribute_their_deploys() -> None:
    deploys = [
        deploy(timedelta(hours=2), service="checkout"),
        deploy(timedelta(hours=3), service="accounts"),
        deploy(timedelta(minutes=5), service="search"),
    ]
    recommendation = rollback.recommend(T0, {"checkout", "accounts"}, deploys, RULE)
    assert recommendation.advice is Advice.ROLL_BACK_FIRST
    assert [s.deploy.service for s in recommendation.suspects] == ["checkout", "accounts"]


def test_an_earlier_start_time_moves_the_window() -> None:
    started = T0 - timedelta(hours=1)
    recommendation = rollback.recommend(
        started, {"checkout"}, [deploy(timedelta(minutes=30))], RULE
    )
    assert recommendation.advice is Advice.ESCALATE
