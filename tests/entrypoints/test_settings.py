"""Configuration: defaults, normalisation, and one clear line per bad variable, secrets unseen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.entrypoints import settings as config

SECRET = "xoxb-123-456-SUPERSECRETVALUE"


def test_defaults_use_embedded_sqlite_and_slacks_api() -> None:
    settings = config.Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == config.DEFAULT_DATABASE_URL
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////var/lib/bot.db", "sqlite:////var/lib/bot.db"),
    ],
)
def test_database_urls_are_normalised_to_psycopg3(given: str, expected: str) -> None:
    assert config.load(database_url=given).database_url == expected


def test_the_api_url_gets_its_trailing_slash() -> None:
    assert config.load(slack_api_url="http://127.0.0.1:9/api").slack_api_url == (
        "http://127.0.0.1:9/api/"
    )


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("database_url", "mysql://root@localhost/x", "DATABASE_URL: expected sqlite:///PATH"),
        ("port", "eighty", "PORT: Input should be a valid integer"),
        ("port", "70000", "PORT: Input should be less than or equal to 65535"),
        (
            "slack_bot_token",
            "not-a-token-SUPERSECRETVALUE",
            "SLACK_BOT_TOKEN: expected a bot token",
        ),
        (
            "slack_app_token",
            "xoxb-SUPERSECRETVALUE",
            "SLACK_APP_TOKEN: expected an app-level token",
        ),
        (
            "incident_announce_channel",
            "#general",
            "INCIDENT_ANNOUNCE_CHANNEL: a channel's id, like C0123ABCD, not its #name",
        ),
        ("digest_channel", "#incidents", "DIGEST_CHANNEL: a channel's id, like C0123ABCD"),
        ("incident_admin_group", "@ops", "INCIDENT_ADMIN_GROUP: a user group's id, like S0123"),
        ("digest_time", "9am", "DIGEST_TIME: a time of day, like 09:00"),
        (
            "incident_announce_channel",
            "C0000000000",
            "INCIDENT_ANNOUNCE_CHANNEL: expected your own id, not the example's",
        ),
        ("incident_admin_group", "S0000000000", "INCIDENT_ADMIN_GROUP: expected your own id"),
    ],
)
def test_a_bad_value_names_the_variable_and_never_echoes_it(
    field: str, value: str, expected: str
) -> None:
    with pytest.raises(config.ConfigurationError) as raised:
        config.load(**{field: value})
    assert expected in str(raised.value)
    assert "SUPERSECRETVALUE" not in str(raised.value)


def test_secrets_are_hidden_in_reprs() -> None:
    settings = config.load(slack_bot_token=SECRET, slack_signing_secret="s3cr3t-signing")
    assert SECRET not in repr(settings)
    assert "s3cr3t-signing" not in str(settings.model_dump())


def test_require_names_missing_variables() -> None:
    with pytest.raises(config.ConfigurationError, match="SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"):
        config.require(config.load(), "slack_bot_token", "slack_signing_secret")


def test_the_command_line_reports_a_bad_variable_in_one_line(tmp_path: Path) -> None:
    environment = {
        "PATH": "",
        "DATABASE_URL": "mysql://u:hunter2@db/x",
        "SLACK_BOT_TOKEN": "bad-SUPERSECRETVALUE",
    }
    finished = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        check=False,
    )
    assert finished.returncode == 2
    lines = finished.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]
    assert "SLACK_BOT_TOKEN" in lines[0]
    assert "hunter2" not in finished.stderr
    assert "SUPERSECRETVALUE" not in finished.stderr


def test_db_upgrade_creates_the_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    finished = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        capture_output=True,
        text=True,
        env={"PATH": "", "DATABASE_URL": url},
        cwd=tmp_path,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert "database is at revision 0020" in finished.stdout
    assert (tmp_path / "bot.sqlite3").exists()
