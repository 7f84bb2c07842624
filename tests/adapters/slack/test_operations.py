"""Operating the bot: readiness with the database stopped and started, metrics, redacted logs."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql
from sqlalchemy import Engine, text, update
from sqlalchemy.orm import Session

from bot.adapters.db import migrate
from bot.adapters.db.tables import TimerRow
from bot.entrypoints import logs
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.adapters.slack.conftest import BotClient, on_the_card, running_bot


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def readiness(bot: BotClient) -> tuple[int, dict[str, Any]]:
    status, body = get(f"{bot.url}/readyz")
    return status, json.loads(body)


@contextmanager
def database_stopped(engine: Engine) -> Iterator[None]:
    """Make the bot's database unreachable, then bring it back."""
    url = engine.url
    if engine.dialect.name == "postgresql":
        admin = url.set(database="postgres").render_as_string(hide_password=False)
        admin = admin.replace("postgresql+psycopg://", "postgresql://")
        name = sql.Identifier(str(url.database))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [url.database],
            )
        try:
            yield
        finally:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))
    else:  # SQLite: the file (and its WAL) gone, and nothing that can be opened in its place
        path = Path(str(url.database))
        files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]
        for file in files:
            shutil.move(file, f"{file}.saved")
        path.mkdir()
        try:
            yield
        finally:
            path.rmdir()
            for file in files:
                shutil.move(f"{file}.saved", file)


@pytest.fixture
def ticking_bot(slack: SlackApiStub, engine: Engine, repo_root: Path) -> Iterator[BotClient]:
    """A bot whose scheduler runs, polling seldom: no tick of its own races the test's."""
    with running_bot(slack, engine, repo_root, timer_poll_seconds=30) as client:
        yield client


def started(bot: BotClient) -> None:
    """Start the timers and wait for the scheduler's first tick to be over."""
    bot.runtime.start_timers()
    assert bot.runtime.ticker.wait_for_tick(timeout=10), "the scheduler never ticked"


def test_ready_only_once_the_scheduler_runs(ticking_bot: BotClient) -> None:
    bot = ticking_bot
    status, body = readiness(bot)
    assert (status, body["failing"]) == (503, ["scheduler"])
    started(bot)
    status, body = readiness(bot)
    assert (status, body["ready"]) == (200, True)
    assert set(body["checks"]) == {"database", "migrations", "scheduler", "timers", "slack"}


@contextmanager
def migrated_ahead(engine: Engine, readers: str) -> Iterator[None]:
    """The database as a newer bot's migration leaves it during a rollout, then as it was."""
    head = migrate.head(engine)
    mark = text("INSERT INTO bot_state (key, value, updated_at) VALUES (:key, :value, :at)")
    forget = text("DELETE FROM bot_state WHERE key = :key")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
        connection.execute(forget, {"key": migrate.READERS})
        value = readers.format(head=head)
        connection.execute(mark, {"key": migrate.READERS, "value": value, "at": datetime.now(UTC)})
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": head})
            connection.execute(forget, {"key": migrate.READERS})


def test_ready_on_a_database_one_expand_only_migration_ahead(ticking_bot: BotClient) -> None:
    bot = ticking_bot
    started(bot)
    with migrated_ahead(bot.runtime.engine, "0099,{head}"):
        status, body = readiness(bot)
        assert (status, body["failing"]) == (200, [])
        assert "one expand-only migration ahead" in body["checks"]["migrations"]["detail"]
    with migrated_ahead(bot.runtime.engine, "0099"):
        status, body = readiness(bot)
        detail = body["checks"]["migrations"]["detail"]
        assert (status, body["failing"]) == (503, ["migrations"])
        assert "newer than this code" in detail and "db upgrade" not in detail


def test_not_ready_while_a_due_timer_stays_unfired(ticking_bot: BotClient) -> None:
    """A holder stuck on a timer (here: another replica's claim that will not run out) keeps it
    from firing; the replica is still ticking, but its timers are stalled."""
    bot = ticking_bot
    started(bot)
    bot.reply(bot.command("sev1 checkout is down"))
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    with Session(bot.runtime.engine) as session, session.begin():
        session.execute(
            update(TimerRow)
            .where(TimerRow.key == "assemble@1:due")
            .values(
                fire_at=long_ago,
                status="claimed",
                claimed_by="stuck-replica",
                lease_until=datetime.now(UTC) + timedelta(hours=1),
            )
        )
    status, body = readiness(bot)
    assert (status, body["failing"]) == (503, ["timers"])
    assert body["checks"]["timers"]["detail"].startswith("1 due and not fired, the oldest since")


def test_readiness_follows_the_database_down_and_up(ticking_bot: BotClient, engine: Engine) -> None:
    bot = ticking_bot
    started(bot)
    bot.runtime.engine.dispose()
    with database_stopped(engine):
        bot.runtime.engine.dispose()
        status, body = readiness(bot)
        assert status == 503
        assert "database" in body["failing"]
        assert get(f"{bot.url}/healthz")[0] == 200  # alive, just not ready
    bot.runtime.engine.dispose()
    status, body = readiness(bot)
    assert (status, body["failing"]) == (200, [])


def test_metrics_count_real_requests_and_slack_calls(bot: BotClient) -> None:
    sent = bot.command("sev1 checkout is down")
    bot.reply(sent)
    assert bot.command("sev1 forged", secret="wrong").status == 401
    status, body = get(f"{bot.url}/metrics")
    assert status == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }
    assert samples[("incident_bot_requests_total", (("kind", "command"), ("outcome", "ok")))] == 1
    assert (
        samples[("incident_bot_requests_total", (("kind", "command"), ("outcome", "refused")))] == 1
    )
    assert (
        samples[
            (
                "incident_bot_slack_calls_total",
                (("method", "conversations.create"), ("result", "ok")),
            )
        ]
        == 1
    )
    assert samples[("incident_bot_open_incidents", (("severity", "sev1"),))] == 1
    assert samples[("incident_bot_open_incidents", (("severity", "sev2"),))] == 0
    assert samples[("incident_bot_request_seconds_count", (("kind", "command"),))] == 2
    assert ("incident_bot_timers_due", ()) in samples


def metric_samples(bot: BotClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body = get(f"{bot.url}/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_work_failing_after_the_ack_is_counted_as_a_failure(
    bot: BotClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.reply(bot.command("sev1 checkout is down"))

    def broken(_: object) -> str:
        raise RuntimeError("the draft could not be written")

    monkeypatch.setattr(bot.runtime.handlers.use.postmortems, "write", broken)
    reply = bot.reply(bot.command("1 postmortem"))

    assert "Something went wrong on my side" in reply["text"]
    samples = metric_samples(bot)
    failed = (("cause", "error"), ("kind", "command"))
    assert samples[("incident_bot_work_failures_total", failed)] == 1
    acked = (("kind", "command"), ("outcome", "ok"))
    assert samples[("incident_bot_requests_total", acked)] == 2  # both acks were 200


def test_met_deadlines_are_counted(bot: BotClient) -> None:
    bot.reply(bot.command("sev2 search slow"))
    channel = bot.slack.calls_to("conversations.create")[0].response["channel"]["id"]
    bot.command("ack", channel=channel)
    bot.slack.wait_for("chat.update", predicate=on_the_card)
    _, body = get(f"{bot.url}/metrics")
    assert 'incident_bot_deadlines_total{kind="respond",outcome="met"} 1.0' in body.decode()


SECRETS = ["xoxb-1234-5678-SECRETTOKEN", "s1gn1ng-s3cr3t-value", "hunter2hunter2"]


@pytest.mark.parametrize(
    "message",
    [
        "token is xoxb-1234-5678-SECRETTOKEN",
        "headers {'Authorization': 'Bearer xoxb-1234-5678-SECRETTOKEN'}",
        "signing secret s1gn1ng-s3cr3t-value rejected",
        "connect to postgresql://bot:hunter2hunter2@db/incidents failed",
        "another workspace token xoxp-9-9-OTHER and app token xapp-1-A-B",
    ],
)
def test_log_lines_never_carry_secrets(message: str, capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("DEBUG", secrets=SECRETS)
    try:
        try:
            raise RuntimeError(message)
        except RuntimeError:
            logging.getLogger("bot.test").exception(message, extra={"detail": message})
        line = capsys.readouterr().err.strip()
    finally:
        logging.getLogger().handlers.clear()
    entry = json.loads(line)
    assert entry["level"] == "error"
    for secret in [*SECRETS, "OTHER", "xapp-1-A-B"]:
        assert secret not in line
    assert "[REDACTED]" in entry["message"]


def test_a_log_line_is_one_json_object_with_the_agreed_keys(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure("INFO")
    try:
        with logs.bound(request_id="0123456789abcdef", incident_id=7):
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                logging.getLogger("bot.test").exception("failed %s", "here", extra={"tries": 2})
        lines = capsys.readouterr().err.splitlines()
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    (line,) = lines
    entry = json.loads(line)
    agreed = {"time", "level", "logger", "message", "request_id", "incident_id", "tries", "error"}
    assert set(entry) == agreed
    assert datetime.fromisoformat(entry["time"]).utcoffset() == timedelta(0)
    assert entry["level"] == "error"
    assert (entry["logger"], entry["message"]) == ("bot.test", "failed here")
    assert (entry["request_id"], entry["incident_id"], entry["tries"]) == ("0123456789abcdef", 7, 2)
    assert entry["error"].startswith("Traceback") and "RuntimeError: boom" in entry["error"]


def test_a_served_bot_logs_no_secret_even_on_errors(tmp_path: Path) -> None:
    import subprocess
    import sys
    import threading

    root = Path(__file__).resolve().parents[3]
    token, secret = "xoxb-42-42-VERYSECRET", "signing-VERYSECRET"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "LOG_LEVEL": "DEBUG",
        "PLAYBOOKS_DIR": str(root / "playbooks"),
        "TEMPLATES_DIR": str(root / "templates"),
    }
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", port],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(30, process.kill)  # a bot that never says it serves
    watchdog.start()
    try:
        assert process.stderr is not None
        logged = []
        for line in process.stderr:  # up to "serving": start-up, the failed auth.test included
            logged.append(line)
            if line.startswith("{") and json.loads(line).get("message") == "serving":
                break
        process.terminate()  # and the way down
        _, rest = process.communicate(timeout=20)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    errors = "".join(logged) + rest
    assert "auth.test failed" in errors  # Slack is unreachable: an error path was logged
    assert "VERYSECRET" not in errors


def _with_thread_name(record: logging.LogRecord) -> bool:
    """Test-only: name the thread in each line, to tell the ack path from the pools' work."""
    record.thread_name = record.threadName
    return True


@contextmanager
def json_log_lines(
    bot: BotClient, capsys: pytest.CaptureFixture[str]
) -> Iterator[list[dict[str, Any]]]:
    """The bot's JSON log lines written inside the block, once the work it set off is done."""
    logs.configure("DEBUG", secrets=[bot.slack.token])
    logging.getLogger().handlers[0].addFilter(_with_thread_name)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
        assert bot.runtime.work.wait_idle()  # lazy listeners and follow-ups have all finished
        err = capsys.readouterr().err
    finally:
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)
    assert bot.slack.token not in err
    lines.extend(json.loads(line) for line in err.splitlines() if line.startswith("{"))


def request_ids(lines: list[dict[str, Any]], thread_prefix: str) -> set[object]:
    """The request_id of each line logged by threads named ``thread_prefix``..."""
    mine = [line for line in lines if str(line["thread_name"]).startswith(thread_prefix)]
    assert mine, f"no line from a {thread_prefix} thread"
    return {line.get("request_id") for line in mine}


def test_log_lines_carry_the_request_and_the_slack_method(
    bot: BotClient, capsys: pytest.CaptureFixture[str]
) -> None:
    with json_log_lines(bot, capsys) as lines:
        bot.slack.fail_next(
            "conversations.create", "missing_scope", extra={"needed": "channels:manage"}
        )
        bot.reply(bot.command("sev1 checkout is down"))
    (refused,) = [line for line in lines if line.get("slack_method") == "conversations.create"]
    assert refused["error"] == "missing_scope"
    assert refused["thread_name"].startswith("lazy")  # logged by the lazy listener...
    (acked,) = request_ids(lines, "waitress")
    assert len(str(acked)) == 16
    assert refused["request_id"] == acked  # ...with the request_id the ack path logged


def test_work_a_request_sets_off_logs_its_request_id(
    bot: BotClient, capsys: pytest.CaptureFixture[str]
) -> None:
    with json_log_lines(bot, capsys) as lines:
        bot.reply(bot.command("sev1 checkout is down"))
    (acked,) = request_ids(lines, "waitress")
    assert request_ids(lines, "lazy") == {acked}  # the declaration
    assert request_ids(lines, "follow-up") == {acked}  # first actions, rollback advice

    with json_log_lines(bot, capsys) as lines:
        bot.reply(bot.command("status"))  # the same worker threads, for another request
    (again,) = request_ids(lines, "waitress")
    assert again != acked
    assert request_ids(lines, "lazy") == {again}


def test_pagerduty_routing_keys_are_redacted_once_the_catalog_is_loaded(
    slack: SlackApiStub, engine: Engine, repo_root: Path, tmp_path: Path
) -> None:
    playbooks = tmp_path / "playbooks"
    shutil.copytree(repo_root / "playbooks", playbooks, ignore=shutil.ignore_patterns("drills"))
    catalog = playbooks / "catalog.yaml"
    key = "R0UT1NGKEY-checkout-0000000000"
    catalog.write_text(
        catalog.read_text().replace(
            "    user_group: S0PAYMENTS\n",
            f"    user_group: S0PAYMENTS\n    pagerduty_routing_key: {key}\n",
        )
    )
    with running_bot(slack, engine, repo_root, playbooks_dir=playbooks) as bot:
        assert key in bot.runtime.secrets()
        assert logs.Redactor(bot.runtime.secrets())(f"paging with {key}") == (
            "paging with [REDACTED]"
        )


def test_an_idle_replica_logs_nothing_per_tick_or_probe(
    slack: SlackApiStub, engine: Engine, repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_bot(slack, engine, repo_root, timer_poll_seconds=0.01) as bot:
        logs.configure("INFO", secrets=[slack.token])
        try:
            bot.runtime.start_timers()
            ticked = bot.runtime.ticker
            for _ in range(5):  # five ticks, each begun after the one before was over
                assert ticked.wait_for_tick(after=ticked.last_tick, timeout=10)
            for _ in range(3):
                assert readiness(bot)[0] == 200
                assert get(f"{bot.url}/metrics")[0] == 200
            err = capsys.readouterr().err
        finally:
            logging.getLogger().handlers.clear()
            logging.getLogger().setLevel(logging.WARNING)
    assert [line for line in err.splitlines() if line.startswith("{")] == []
