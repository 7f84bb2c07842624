"""Rollback decisions through the sandbox: the real bot over HTTP, buttons pressed as in Slack."""

from __future__ import annotations

from tests.entrypoints.sandbox.support import play


def test_a_decision_pressed_twice_is_recorded_once_and_a_change_of_mind_is_said() -> None:
    code, out = play(
        [
            "deploy checkout v412",
            "wait 30m",
            "/incident sev1 checkout is down",
            "expect [4] Roll back (danger)   [5] Not related   [6] Already rolled back",
            "press 5",
            "expect @alice marked `checkout` v412 as not related",
            "as @bob",
            "press 5",
            "expect @alice already decided `checkout` v412: not related",
            "press 4",
            "expect @bob changes the decision on `checkout` v412 from _not related_ (@alice)",
            "expect @bob is rolling back `checkout` v412",
        ]
    )
    assert code == 0, out


def test_no_decision_is_taken_on_a_resolved_incident() -> None:
    code, out = play(
        [
            "deploy checkout v412",
            "wait 30m",
            "/incident sev1 checkout is down",
            "/incident resolve",
            "press 4",
            "expect The incident is resolved: nothing to decide about `checkout` v412",
            "expect no is rolling back",
        ]
    )
    assert code == 0, out


def test_a_deploy_recorded_by_hand_names_its_deployer_as_a_person() -> None:
    code, out = play(
        [
            "/incident deploy search v9",
            "/incident deploys",
            "expect `search` v9 by @alice",
            "expect no U0ALICE",
        ]
    )
    assert code == 0, out
