"""Run the built image as the pods run it, and check what a deployment relies on.

Read-only root, a tmpfs /tmp (and /data for its SQLite file), non-root (uid 10001), every
capability dropped, no new privileges; host networking (the engine here runs without a bridge),
Slack played by the stand-in on the loopback. Checked: health and readiness, one declaration
through a signed slash command, a post-mortem draft, a clean stop on SIGTERM, no pip in the
image, and no secret in `docker history` or in the log. Usage: python .ci/image_check.py IMAGE
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

from bot.entrypoints.sandbox import signing
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.support.net import free_port


def docker(*words: str, check: bool = True, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["docker", *words], capture_output=True, text=True, check=False, env=env, timeout=120
    )
    if check and done.returncode != 0:
        raise SystemExit(f"image: docker {words[0]} failed: {done.stderr.strip()}")
    return done.stdout


def docker_logs(name: str) -> str:
    logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True, check=False)
    return logs.stdout + logs.stderr


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def wait_until(what: str, ready: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(ready) and ready():
            return
        time.sleep(0.2)
    raise SystemExit(f"image: {what} did not happen within {seconds:.0f} s")


def command(url: str, stub: SlackApiStub, secret: str, text: str, channel: str, key: str) -> None:
    body = signing.slash_command_body(
        text=text,
        user_id="U0ALICE",
        channel_id=channel,
        team_id=stub.identity.team_id,
        trigger_id=f"trigger-{key}",
        response_url=stub.response_url(key),
    )
    code, _, _ = signing.post(f"{url}/slack/events", body, signing.FORM, secret)
    if code != 200:
        raise SystemExit(f"image: /incident {text} answered {code}")


def main(image: str) -> None:
    started = time.monotonic()
    signing_secret = secrets.token_hex(16)
    audit_key = secrets.token_hex(32)
    port = free_port()
    name = f"incident-bot-ci-{os.getpid()}"
    with SlackApiStub() as stub:
        stub.add_user("U0ALICE", "alice")
        for channel_id, channel_name in (("C0ANNOUNCE", "incidents"), ("C0GENERAL", "general")):
            stub.add_channel(channel_id, channel_name, [stub.identity.bot_user_id, "U0ALICE"])
        values = {
            "SLACK_BOT_TOKEN": stub.token,
            "SLACK_SIGNING_SECRET": signing_secret,
            "AUDIT_KEY": audit_key,
        }
        settings = {
            "SLACK_API_URL": stub.base_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "INCIDENT_ANNOUNCE_CHANNEL": "C0ANNOUNCE",
        }
        # Secrets by name only: their values never appear on a command line.
        pod = ["--read-only", "--tmpfs", "/tmp", "--tmpfs", "/data:uid=10001,gid=10001"]
        pod += ["--user", "10001:10001", "--cap-drop", "ALL"]
        pod += ["--security-opt", "no-new-privileges", "--network", "host"]
        named = [w for key in values for w in ("-e", key)]
        named += [w for key, value in settings.items() for w in ("-e", f"{key}={value}")]
        docker("run", "-d", "--name", name, *pod, *named, image, env={**os.environ, **values})
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until("/healthz answering 200", lambda: status(f"{url}/healthz") == 200)
            wait_until("/readyz answering 200", lambda: status(f"{url}/readyz") == 200)
            command(url, stub, signing_secret, "sev2 checkout is slow", "C0GENERAL", "declare")
            [created] = stub.wait_for("conversations.create", timeout=30)
            channel = str(created.response["channel"]["id"])
            # The channel is the incident's once the bot has stored it, a moment after Slack
            # made it; the announcement is posted after that, so a command typed there then
            # finds its incident (sent at once, it could race the store on a slow machine).
            stub.wait_for(
                "chat.postMessage",
                timeout=30,
                predicate=lambda call: call.params.get("channel") == "C0ANNOUNCE",
            )
            command(url, stub, signing_secret, "postmortem", channel, "postmortem")
            try:
                stub.wait_for("files.completeUploadExternal", timeout=60)
                told = json.dumps(stub.wait_for_response("postmortem", timeout=30))
            except AssertionError:
                # What the bot answered and logged says why; the stub's message alone does not.
                print(f"image: answers to /incident postmortem: {stub.responses('postmortem')}")
                print(docker_logs(name)[-4000:])
                raise
            if "kept with the incident" not in told:
                raise SystemExit(f"image: the post-mortem answer was {told[:300]}")
            docker("stop", "--time", "30", name)
            code = docker("inspect", "-f", "{{.State.ExitCode}}", name).strip()
            log = docker_logs(name)
            if code != "0" or '"message": "stopping"' not in log:
                raise SystemExit(f"image: no clean stop on SIGTERM (exit {code}): {log[-500:]}")
        finally:
            docker("rm", "-f", name, check=False)
    history = docker("history", "--no-trunc", image)
    leaked = [k for k, v in values.items() if v in history or v in log]
    if leaked or "xoxb-" in history:
        raise SystemExit(f"image: secrets in docker history or the log: {leaked}")
    pip = docker(
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "python",
        image,
        "-c",
        "import importlib.util as u; print(u.find_spec('pip'), u.find_spec('setuptools'))",
    )
    if pip.strip() != "None None":
        raise SystemExit(f"image: pip or setuptools ships in the image: {pip.strip()}")
    took = time.monotonic() - started
    print(
        f"image: {image} ran as the pods do: healthy, ready, a declaration and a post-mortem "
        f"draft, stopped cleanly on SIGTERM, no secret in its history, no pip ({took:.0f} s)"
    )


if __name__ == "__main__":
    main(sys.argv[1])
