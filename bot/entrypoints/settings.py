"""Configuration from the environment (and ``.env``), checked once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core import digest
from bot.core.digest import Schedule

DEFAULT_DATABASE_URL = "sqlite:///incident-bot.sqlite3"
SLACK_API_URL = "https://slack.com/api/"
STATUSPAGE_API_URL = "https://api.statuspage.io/v1"


# Patterns of settings whose refusal says what to type instead (``_SAY_INSTEAD``).
CHANNEL_ID = r"^[CG][A-Z0-9]{2,}$"
GROUP_ID = r"^S[A-Z0-9]{2,}$"
TIME_OF_DAY = r"^([01]?\d|2[0-3]):[0-5]\d$"
WEEKDAY = r"^(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday)$"


class Settings(BaseSettings):
    """Every variable the bot reads. Field ``slack_bot_token`` is variable SLACK_BOT_TOKEN."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    playbooks_dir: Path = Path("playbooks")
    templates_dir: Path = Path("templates")
    # Where `incident-bot postmortem export` writes drafts; the bot itself keeps them in the
    # database and writes nothing to disk.
    postmortem_dir: Path = Path("postmortems")
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    deploy_webhook_secret: SecretStr | None = None
    alertmanager_webhook_token: SecretStr | None = None
    incident_announce_channel: str | None = Field(default=None, pattern=CHANNEL_ID)
    incident_declarers_group: str | None = Field(default=None, pattern=GROUP_ID)
    incident_admin_group: str | None = Field(default=None, pattern=GROUP_ID)
    incident_triage_channel: str | None = Field(default=None, pattern=CHANNEL_ID)
    # Threads doing the Slack and database work after each acknowledgement. Few keep the acks
    # fast on a small machine (measured in benchmarks/ack_latency.py); raise it if Slack is slow.
    slack_workers: int = Field(default=4, ge=1, le=64)
    # Each Web API call waits its turn at Slack's published rate for its method (per channel
    # for posts), drawn from one budget by every replica on PostgreSQL; a call whose turn is
    # further off than SLACK_BUDGET_WAIT_SECONDS fails as a 429 would (the set-up timer and the
    # deadline notices try again). SLACK_RATE_SCALE multiplies every rate: raise it only where
    # Slack's limits are not Slack's (a stand-in), or for an app Slack granted more.
    slack_rate_scale: float = Field(default=1.0, gt=0, le=10_000)
    slack_budget_wait_seconds: float = Field(default=60.0, ge=0, le=3600)
    pagerduty_events_url: str = "https://events.pagerduty.com/v2/enqueue"
    # The team's tracker, for follow-ups (the catalog says which service files where).
    github_api_url: str = "https://api.github.com"
    github_token: SecretStr | None = None
    jira_base_url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    # How long a Jira issue just created may be missing from its search: a create whose answer
    # was lost (a 5xx, a timeout) is looked for that long before it is made again.
    jira_search_lag_seconds: float = Field(default=300.0, ge=0, le=3600)
    tracker_webhook_secret: SecretStr | None = None
    tracker_poll_seconds: float = Field(default=900.0, ge=10, le=86400)
    # Atlassian Statuspage: the page customers read. Both the page id and the key, or neither.
    statuspage_api_url: str = STATUSPAGE_API_URL
    statuspage_page_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{4,40}$")
    statuspage_api_key: SecretStr | None = None
    # The weekly digest: posted to DIGEST_CHANNEL (none: no digest) each DIGEST_DAY at
    # DIGEST_TIME on the clocks of DIGEST_TIMEZONE.
    digest_channel: str | None = Field(default=None, pattern=CHANNEL_ID)
    digest_day: str = Field(default="monday", pattern=WEEKDAY)
    digest_time: str = Field(default="09:00", pattern=TIME_OF_DAY)
    digest_timezone: str = "UTC"
    timer_poll_seconds: float = Field(default=1.0, gt=0, le=30)
    timer_lease_seconds: float = Field(default=20.0, ge=1, le=600)
    # A deadline announced this long after it fell due says how late it is (the bot was down).
    timer_late_notice_seconds: float = Field(default=5.0, gt=0, le=3600)
    # The audit trail's key: every audited row is sealed with it (HMAC-SHA256), and signed
    # checkpoints go to the log (and AUDIT_CHECKPOINT_FILE) every AUDIT_CHECKPOINT_SECONDS.
    audit_key: SecretStr | None = None
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_seconds: float = Field(default=300.0, ge=5, le=86400)
    host: str = "0.0.0.0"  # noqa: S104 - a container's server listens on every interface
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    # On SIGTERM, how long to let acknowledged work finish (seconds). Keep it under the grace
    # the platform gives (Kubernetes' terminationGracePeriodSeconds 30 minus the 5 s preStop,
    # compose's stop_grace_period 30s), with a margin for the last checkpoint and the exit.
    shutdown_drain_seconds: float = Field(default=15.0, ge=0, le=3600)

    def secret_values(self) -> list[str]:
        """Every secret this configuration holds, for the log redactor."""
        secrets = [
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.deploy_webhook_secret,
            self.alertmanager_webhook_token,
            self.github_token,
            self.jira_api_token,
            self.tracker_webhook_secret,
            self.statuspage_api_key,
            self.audit_key,
        ]
        found = [s.get_secret_value() for s in secrets if s is not None]
        password = urlsplit(self.database_url).password
        return [*found, *([password] if password else [])]

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, url: str) -> str:
        if url.startswith(("postgres://", "postgresql://")):
            return "postgresql+psycopg://" + url.split("://", 1)[1]
        if not url.startswith(("sqlite://", "postgresql+psycopg://")):
            raise ValueError("expected sqlite:///PATH or postgresql+psycopg://USER@HOST/DB")
        return url

    @field_validator("slack_api_url")
    @classmethod
    def _api_base(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("expected the Web API base URL, like https://slack.com/api/")
        return url if url.endswith("/") else url + "/"

    @field_validator("statuspage_api_url")
    @classmethod
    def _statuspage_base(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("expected the API base URL, like https://api.statuspage.io/v1")
        return url.rstrip("/")

    @field_validator("digest_timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected a timezone, like Europe/Paris or UTC") from None
        return name

    def digest_schedule(self) -> Schedule:
        """When the weekly digest is sent (``DIGEST_DAY``, ``DIGEST_TIME``, ``DIGEST_TIMEZONE``)."""
        hour, minute = self.digest_time.split(":")
        weekday = digest.DAYS.index(self.digest_day.lower())
        return Schedule(weekday, time(int(hour), int(minute)), ZoneInfo(self.digest_timezone))

    @model_validator(mode="after")
    def _statuspage_whole(self) -> Settings:
        if (self.statuspage_page_id is None) != (self.statuspage_api_key is None):
            raise ValueError(
                "STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY are set together (or neither)"
            )
        return self

    @field_validator(
        "incident_announce_channel",
        "incident_triage_channel",
        "incident_declarers_group",
        "incident_admin_group",
    )
    @classmethod
    def _not_the_placeholder(cls, value: str | None) -> str | None:
        if value is not None and not value[1:].strip("0"):  # C0000000000, as in settings.env
            raise ValueError("expected your own id, not the example's placeholder")
        return value

    @field_validator("audit_key")
    @classmethod
    def _long_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and len(key.get_secret_value()) < 32:
            raise ValueError("expected at least 32 characters, like `openssl rand -hex 32`")
        return key

    def audit_key_bytes(self) -> bytes | None:
        return self.audit_key.get_secret_value().encode() if self.audit_key else None

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and not token.get_secret_value().startswith("xoxb-"):
            raise ValueError("expected a bot token starting with xoxb-")
        return token

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and not token.get_secret_value().startswith("xapp-"):
            raise ValueError("expected an app-level token starting with xapp-")
        return token


class ConfigurationError(Exception):
    """A variable that is missing or malformed; the message names it and never its value."""


def load(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one line per variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        lines = [_said(detail) for detail in error.errors(include_input=False, include_url=False)]
        raise ConfigurationError("; ".join(lines)) from None


def _said(detail: Mapping[str, Any]) -> str:
    """One validation error as ``"NAME: what is wrong"``; a model-level validator's error
    (no field: its ``loc`` is empty) says only what is wrong, since it names the settings."""
    where = ".".join(str(part) for part in detail["loc"]).upper()
    what = _SAY_INSTEAD.get(
        str(detail.get("ctx", {}).get("pattern")),
        str(detail["msg"]).removeprefix("Value error, "),
    )
    return f"{where}: {what}" if where else what


_SAY_INSTEAD = {
    CHANNEL_ID: "a channel's id, like C0123ABCD, not its #name (Slack shows the id at the "
    "bottom of the channel's details)",
    GROUP_ID: "a user group's id, like S0123ABCD, not its @handle",
    TIME_OF_DAY: "a time of day, like 09:00",
    WEEKDAY: "a day of the week, like monday",
}
"""What a setting refused by its pattern should look like, said instead of the pattern."""


def require(settings: Settings, *names: str) -> None:
    """Fail with the variable's name when a setting the command needs is unset."""
    missing = [name.upper() for name in names if getattr(settings, name) is None]
    if missing:
        raise ConfigurationError(f"{', '.join(missing)} must be set for this command")
