"""The sandbox as a user meets it: bad input, buttons, forms, time, other playbooks, a kept db."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.entrypoints.sandbox import main as drills
from tests.entrypoints.sandbox.support import ROOT, options, play


def test_bad_input_is_explained_and_the_session_goes_on() -> None:
    code, out = play(
        [
            "/incident sev1 checkout is down",
            "frobnicate the widgets",
            "press 99",
            "wait -5m",
            "wait soon",
            "as @nobody",
            "in #nowhere",
            "/deploy checkout",
            "/incident ack",
            "expect is responding",
        ]
    )
    assert "`frobnicate` is not a sandbox step; type `help` for the list" in out
    assert "there is no button [99]; buttons shown so far: 1 to 3" in out
    assert "time only moves forward: type a positive duration, like `wait 5m`" in out
    assert "`wait soon` is not a duration" in out
    assert "nobody here is called @nobody; the people are @alice, @bob" in out
    assert "there is no #nowhere; the channels are #general, #incidents, #triage" in out
    assert "the bot answers `/incident` only, not `/deploy`" in out
    # After all that, the session still works: the ack reached the bot and was answered.
    assert "✓ expect 'is responding'" in out
    assert code == drills.NOT_UNDERSTOOD
    assert "7 lines not understood" in out


def test_a_bad_slash_command_gets_the_bots_own_ephemeral_answer() -> None:
    code, out = play(["/incident sevv1 checkout", "expect not an /incident command"])
    assert code == 0, out
    assert "only @alice sees" in out


def test_a_button_is_pressed_by_number_as_the_current_person() -> None:
    code, out = play(
        [
            "/incident sev2 search is slow",
            "as @bob",
            "press 1",  # the card's "I'm responding"
            "expect @bob is responding",
            "expect *Responders* @bob",
        ]
    )
    assert code == 0, out


def test_a_button_someone_else_was_shown_privately_cannot_be_pressed() -> None:
    _, out = play(
        [
            "/incident sev1 checkout is down",
            "/incident severity",  # not a command: answered privately, no buttons
            "/incident sev2",  # change severity: a private confirmation with buttons
            "as @bob",
            "press 4",
        ]
    )
    assert "only @alice sees button [4]; type `as @alice`" in out, out


def test_a_form_is_filled_field_by_field_and_wrong_answers_are_asked_again() -> None:
    code, out = play(
        [
            "/incident sev1 checkout is down",
            "/incident update",
            "",  # required: asked again
            "payments fail",
            "10%",
            "rolling back",
            "9",  # not a choice
            "1",
            "",
            "expect Next update in 15 minutes",
        ]
    )
    assert "We are aware of… is required" in out
    assert "`9` is not one of the choices: type a number from 1 to 3" in out
    assert "└ form sent" in out
    assert "✓ expect 'Next update in 15 minutes'" in out
    assert code == drills.NOT_UNDERSTOOD  # the two wrong answers


def test_the_bots_own_form_validation_comes_back_to_the_field() -> None:
    _, out = play(
        [
            "/incident sev1 checkout is down",
            "/incident update",
            "payments fail",
            "10%",
            "rolling back",
            "1",
            "soon",  # the optional custom time must be a duration: the bot says so
            "45m",
            "expect Next update in 45 minutes",
        ]
    )
    assert "! …or another time (like 45m): When is the next update?" in out
    assert "✓ expect 'Next update in 45 minutes'" in out


def test_a_form_can_be_cancelled() -> None:
    code, out = play(["/incident sev1 checkout is down", "/incident update", "cancel", "help"])
    assert "└ form closed, nothing sent" in out
    assert "press N" in out  # `help` is a step again once the form is gone
    assert code == 0


def test_wait_until_a_clock_time_fires_what_falls_due_on_the_way() -> None:
    code, out = play(
        [
            "at 2026-03-14 23:50",
            "/incident sev1 checkout is down",
            "wait until 00:10",
            "expect Overdue: incident team assembled",
            "expect (it is now 00:10 UTC)",
        ]
    )
    assert code == 0, out
    assert "══ Sunday 15 March 2026 ══" in out
    # The reminder and the overdue each come at their own minute, in order.
    assert out.index("── 23:53 UTC ──") < out.index("── 23:55 UTC ──")


def test_times_are_shown_in_the_chosen_timezone() -> None:
    code, out = play(
        ["at 2026-07-01 09:00", "/incident sev1 checkout is down", "expect due Today 09:05"],
        tz=ZoneInfo("Europe/Paris"),
    )
    assert code == 0, out
    assert "[09:00 CEST] @alice in #general" in out


def test_at_only_sets_the_start_before_anything_happened() -> None:
    _, out = play(["wait 1m", "at 2026-03-14 01:00"])
    assert "`at` sets the start, before anything has happened" in out


@pytest.fixture
def team_playbooks(tmp_path: Path) -> Path:
    """The shipped playbooks with the catalog replaced by another team's."""
    directory = tmp_path / "playbooks"
    shutil.copytree(ROOT / "playbooks", directory, ignore=shutil.ignore_patterns("drills"))
    catalog = {
        "kind": "catalog",
        "services": [
            {
                "name": "ledger",
                "team": "Storage Team",
                "user_group": "S0STORAGE",
                "dependencies": ["ledger-db.internal:5432"],
                "rollback": {
                    "instructions": "`ledgerctl rollback`",
                    "webhook": "https://deploy.example.invalid/rollback",
                },
                "pagerduty_routing_key": "R0UTINGKEY0000000000000000000000",
            }
        ],
    }
    (directory / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    return directory


def test_a_teams_own_playbooks_are_rehearsed_with_people_made_up_for_its_groups(
    team_playbooks: Path,
) -> None:
    code, out = play(
        [
            "who",
            "expect @storage-team: @storage-team-oncall, @storage-team-lead",
            "dependency ledger-db.internal:5432 down",
            "deploy ledger v7",
            "wait 10m",
            "/incident sev1 ledger totals are wrong",
            "expect @storage-team-oncall",
            "expect Roll back now",
            "press 4",
            "expect `ledgerctl rollback`",
            # Drills never call a team's real webhook or PagerDuty: the stand-in takes both.
            "expect rollback webhook https://deploy.example.invalid/rollback (called on",
            "wait 6m",
            "expect PagerDuty page (to the stand-in)",
            "dependency 127.0.0.1:6379 down",
        ],
        playbooks_dir=team_playbooks,
    )
    assert "`127.0.0.1:6379` is not a catalog dependency; they are ledger-db.internal:5432" in out
    assert code == drills.NOT_UNDERSTOOD
    assert "0 failed" in out


def test_a_kept_database_resumes_where_the_last_session_stopped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drill.sqlite3'}"
    first, out = play(["/incident sev1 checkout is down", "wait 2m"], database_url=url)
    assert first == 0, out
    code, out = play(
        [
            "in #inc-20260314-1",
            "/incident status",
            "expect checkout is down",
            "wait 6m",
            "expect Overdue: incident team assembled",
        ],
        database_url=url,
    )
    assert code == 0, out
    assert "[02:02 UTC] @alice in #general" in out  # time goes on from the kept record


def test_interactive_sessions_read_until_end_of_input() -> None:
    answers = iter(["/incident help", "who"])
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)  # StopIteration is not EOF: raise EOFError at the end

    def ask_or_eof(prompt: str) -> str:
        try:
            return ask(prompt)
        except StopIteration:
            raise EOFError from None

    out = io.StringIO()
    assert drills.interact(options(), ask_or_eof, out) == 0
    assert asked[0] == "[02:00 UTC] @alice in #general > "
    assert "declare a Sev1" in out.getvalue()
    assert "people: @alice, @bob, @carol" in out.getvalue()


def test_a_second_session_on_a_kept_database_declares_anew_and_edits_the_old_card(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'drill.sqlite3'}"
    play(["/incident sev1 checkout is down", "wait 3m"], database_url=url)
    code, out = play(
        [
            "/incident sev2 search is slow",
            "expect Sev2 incident 2",
            "in #inc-20260314-1",
            "/incident ack",
            "expect @alice is responding",
            "expect no Slack answered",
        ],
        database_url=url,
    )
    assert code == 0, out
    assert "#inc-20260314-2-search-is-slow created" in out
    assert "[02:03 UTC]" in out


def test_time_moves_in_real_hours_across_a_clock_change() -> None:
    new_york = ZoneInfo("America/New_York")
    code, out = play(
        ["at 2026-11-01 01:30", "wait 1h", "expect (it is now 01:30 EST)"], tz=new_york
    )
    assert code == 0, out  # 01:30 EDT plus one hour is 01:30 EST
    _, out = play(["at 2026-03-08 02:30"], tz=new_york)
    assert "2026-03-08 02:30 does not exist in America/New_York" in out
    code, out = play(
        ["at 2026-03-08 01:30", "wait 30m", "expect (it is now 03:00 EDT)"], tz=new_york
    )
    assert code == 0, out


def test_waits_too_far_in_time_are_refused_and_the_session_goes_on() -> None:
    _, out = play(["wait 3000000d", "at 9999-12-31 23:00", "wait 1m", "expect 02:01"])
    assert "wait at most a year at a time" in out
    assert "pick a date between the years 2000 and 2999" in out
    assert "✓ expect '02:01'" in out


def test_a_command_typed_into_an_open_form_is_not_taken_as_an_answer() -> None:
    _, out = play(["/incident sev1 checkout is down", "/incident update", "/incident note hi"])
    assert "a form is open: answer “We are aware of…” first, or type `cancel`" in out


def test_a_channel_prefix_that_fits_several_channels_lists_them() -> None:
    _, out = play(["/incident sev1 checkout is down", "/incident sev1 search is down", "in #inc"])
    assert "#inc could be any of #incidents, #inc-20260314-1-checkout-is-down, #inc-2026" in out


def test_a_drill_with_a_byte_order_mark_plays(tmp_path: Path) -> None:
    drill = tmp_path / "bom.drill"
    drill.write_bytes("\ufeffat 2026-03-14 03:00\nexpect Saturday".encode())
    assert drills.drill_lines(drill)[0] == "at 2026-03-14 03:00"
