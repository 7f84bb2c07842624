"""Rollback decisions through the sandbox: the real bot over HTTP, buttons pressed as in Slack."""

from __future__ import annotations

from tests.entrypoints.sandbox.support import play


def test_a_decision_gives_way_to_explicit_changes_of_mind() -> None:
    code, out = play(
        [
            "deploy checkout v412",
            "wait 30m",
            "/incident sev1 checkout is down",
            "expect [4] Roll back (danger)   [5] Not related   [6] Already rolled back",
            "press 5",
            "expect @alice marked `checkout` v412 as not related",
            "expect @alice decided about `checkout` v412: _not related_.",
            "expect [7] Change to: roll back (danger)   [8] Change to: already rolled back",
            "as @bob",
            "/incident ack",
            "press 7",
            "expect @bob changes the decision on `checkout` v412 from _not related_ (@alice)",
            "expect @bob is rolling back `checkout` v412",
            "expect @bob decided about `checkout` v412: _roll back_.",
        ]
    )
    assert code == 0, out


def test_a_stale_copy_of_the_buttons_decides_nothing() -> None:
    code, out = play(
        [
            "deploy checkout v412",
            "wait 30m",
            "/incident sev1 checkout is down",
            "press 5",  # not related: the advice's buttons give way
            "press 7",  # change to: roll back (on the basis of one decision)
            "press 7",
        ]
    )
    assert code != 0  # the second press finds its button gone from the message
    assert "no longer on its message" in out
    assert out.count("is rolling back") == 1


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
