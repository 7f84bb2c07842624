"""`incident-bot serve` as an operator starts it: refusals in one line, health, clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.entrypoints.sandbox.slack_api import APP_TOKEN, SlackApiStub
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def stub() -> Iterator[SlackApiStub]:
    with SlackApiStub() as running:
        yield running


def environment(tmp_path: Path, **variables: str) -> dict[str, str]:
    base = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": f"sqlite:///{tmp_path}/b.db",
        "PLAYBOOKS_DIR": str(ROOT / "playbooks"),
        "TEMPLATES_DIR": str(ROOT / "templates"),
    }
    return {**base, **variables}


def refusal(tmp_path: Path, stub: SlackApiStub, **variables: str) -> str:
    """The one line `serve` prints refusing to start (exit 2) with the stub's credentials and
    ``variables``."""
    env = environment(
        tmp_path,
        SLACK_BOT_TOKEN=stub.token,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=stub.base_url,
        **variables,
    )
    finished = run(env, tmp_path)
    assert finished.returncode == 2, finished.stderr
    [line] = finished.stderr.splitlines()
    return line


def copied_playbooks(tmp_path: Path, edit: Callable[[str], str] = str) -> Path:
    """``tmp_path/books``: the shipped playbooks, each file's text passed through ``edit``."""
    books = tmp_path / "books"
    books.mkdir()
    for path in (ROOT / "playbooks").glob("*.yaml"):
        (books / path.name).write_text(edit(path.read_text()))
    return books


def run(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", str(free_port())],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_tokens_it_exits_at_once_naming_them(tmp_path: Path) -> None:
    finished = run(environment(tmp_path), tmp_path)
    assert finished.returncode == 2
    assert finished.stderr.strip().splitlines() == [
        "incident-bot: configuration error: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET must be set "
        "for this command"
    ]


def test_it_refuses_to_start_on_an_invalid_playbook(tmp_path: Path, stub: SlackApiStub) -> None:
    books = copied_playbooks(tmp_path, lambda text: text.replace("within: 5m", "within: 5 mins"))
    line = refusal(tmp_path, stub, PLAYBOOKS_DIR=str(books))
    assert line.startswith(
        "incident-bot: refusing to start, the playbooks are invalid (PLAYBOOKS_DIR"
    )
    assert f"{books / 'sev1.yaml'}: response.within: '5 mins' is not a duration" in line


@pytest.mark.parametrize(
    ("database", "said"),
    [
        (
            f"postgresql://bot:hunter22@127.0.0.1:{free_port()}/bot",
            "incident-bot: cannot reach the database (OperationalError: ",
        ),
        ("sqlite:///{tmp}/no-such-folder/b.db", "incident-bot: cannot use the SQLite database: "),
    ],
    ids=["unreachable", "unwritable"],
)
def test_a_database_it_cannot_use_is_one_line_naming_the_setting(
    tmp_path: Path, stub: SlackApiStub, database: str, said: str
) -> None:
    env = environment(
        tmp_path,
        SLACK_BOT_TOKEN=stub.token,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=stub.base_url,
        DATABASE_URL=database.format(tmp=tmp_path),
    )
    finished = run(env, tmp_path)
    assert finished.returncode == 2
    [line] = finished.stderr.splitlines()
    assert line.startswith(said)
    assert "DATABASE_URL" in line
    assert "hunter22" not in line


def test_it_serves_health_and_stops_cleanly_on_sigterm(tmp_path: Path, stub: SlackApiStub) -> None:
    port = free_port()
    secret = "xoxb-SECRET-VALUE-THAT-MUST-NOT-BE-LOGGED"
    stub_token = stub.token
    env = environment(
        tmp_path,
        SLACK_BOT_TOKEN=stub_token,
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=stub.base_url,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz") as response:
                    health = response.read()
                break
            except OSError:
                time.sleep(0.1)
        assert health == b'{"status":"ok"}\n'
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=15)
    finally:
        process.kill()
    assert process.returncode == 0
    assert '"message": "serving"' in errors
    # One line per meaningful event: the migrations applied, a tracker the shipped catalog files
    # follow-ups in without its token, no AUDIT_KEY, serving, stopping; no chatter.
    messages = [json.loads(line)["message"] for line in errors.splitlines() if line]
    assert [m for m in messages if not m.startswith("Running upgrade")] == [
        "the catalog files checkout's follow-ups in github, but GITHUB_TOKEN is not set: they "
        "stay in the bot only",
        "AUDIT_KEY unset: rows are not sealed and no audit checkpoints are signed",
        "serving",
        "stopping",
    ]
    assert secret not in errors
    assert stub_token not in errors


def test_socket_mode_opens_its_connection_with_the_app_token(
    tmp_path: Path, stub: SlackApiStub
) -> None:
    env = environment(
        tmp_path,
        SLACK_BOT_TOKEN=stub.token,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=stub.base_url,
        SLACK_APP_TOKEN=APP_TOKEN,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        [opened] = stub.wait_for("apps.connections.open", timeout=30)
        assert opened.ok  # the stub accepts only the app-level token for this method
        # The stub's websocket address leads nowhere; the client keeps retrying until stopped.
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode == 0
    assert APP_TOKEN not in errors


def test_an_audit_checkpoint_file_it_cannot_append_to_is_one_line_at_start(
    tmp_path: Path, stub: SlackApiStub
) -> None:
    (tmp_path / "a-file").write_text("")  # no file can be made under it, even by root
    env = environment(
        tmp_path,
        SLACK_BOT_TOKEN=stub.token,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=stub.base_url,
        AUDIT_KEY="k" * 32,
        AUDIT_CHECKPOINT_FILE=str(tmp_path / "a-file" / "checkpoints.jsonl"),
    )
    finished = run(env, tmp_path)
    assert finished.returncode == 2
    [line] = finished.stderr.splitlines()
    assert line.startswith("incident-bot: configuration error: AUDIT_CHECKPOINT_FILE ")
    assert "cannot be appended to (Not a directory)" in line


def test_an_sqlite_file_it_cannot_write_is_named_in_one_line(
    tmp_path: Path, stub: SlackApiStub
) -> None:
    database = tmp_path / "ro.sqlite3"
    upgraded = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=environment(tmp_path, DATABASE_URL=f"sqlite:///{database}"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert upgraded.returncode == 0, upgraded.stderr
    env = environment(  # opened read-only, as a file this uid may not write (the test is root)
        tmp_path,
        SLACK_BOT_TOKEN=stub.token,
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=stub.base_url,
        DATABASE_URL=f"sqlite:///file:{database}?mode=ro&uri=true",
    )
    finished = run(env, tmp_path)
    assert finished.returncode == 2
    [line] = finished.stderr.splitlines()[-1:]
    assert line.startswith(
        f"incident-bot: cannot use the SQLite database: {database} is not writable by uid "
    )
    assert "DATABASE_URL" in line
    assert "cannot reach" not in line
    assert "Traceback" not in finished.stderr


def test_a_playbook_that_is_not_yaml_is_one_line_with_file_line_and_column(
    tmp_path: Path, stub: SlackApiStub
) -> None:
    books = copied_playbooks(tmp_path)
    broken = books / "sev1.yaml"
    lines = len(broken.read_text().splitlines())
    broken.write_text(broken.read_text() + "foo: [\n")
    line = refusal(tmp_path, stub, PLAYBOOKS_DIR=str(books))
    assert f"{broken}:{lines + 2}:1: cannot be read as YAML: " in line
    assert "expected the node content, but found '<stream end>'" in line


def test_a_status_page_half_set_names_both_settings(tmp_path: Path, stub: SlackApiStub) -> None:
    line = refusal(tmp_path, stub, STATUSPAGE_PAGE_ID="abcd1234")
    assert line.startswith("incident-bot: configuration error: STATUSPAGE_PAGE_ID and ")
    assert ": :" not in line


def test_a_database_that_accepts_and_never_answers_is_one_line_not_a_hang(
    tmp_path: Path, stub: SlackApiStub
) -> None:
    """A partition or a stalled server: the connection is taken and nothing comes back. The
    connect gives up after ``connect_timeout`` (5 s by default; 1 s asked in the URL here)."""
    silent = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    taking = threading.Thread(target=lambda: held.append(silent.accept()[0]), daemon=True)
    taking.start()
    port = silent.getsockname()[1]
    try:
        line = refusal(
            tmp_path,
            stub,
            DATABASE_URL=f"postgresql://bot:hunter22@127.0.0.1:{port}/bot?connect_timeout=1",
        )
    finally:
        silent.close()
        for connection in held:
            connection.close()
    assert line.startswith("incident-bot: cannot reach the database (ConnectionTimeout: ")
    assert "DATABASE_URL" in line and "hunter22" not in line
