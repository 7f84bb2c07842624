"""The ``incident-bot`` command line (click); each command imports what it uses when it runs."""

# `incident-bot --help` and `incident-bot COMMAND --help` import only click and this module:
# every import of the bot (SQLAlchemy, pydantic, Slack, the sandbox's Slack spec) is inside the
# command that needs it. tests/test_cli.py checks that, benchmarks/cli_startup.py times it.

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

TEN_YEARS = timedelta(days=3660)
"""The longest period a report covers."""

if TYPE_CHECKING:
    from sqlalchemy import Engine

PROG = "incident-bot"
_NEGATIVE_NUMBER = re.compile(r"-\d+|-\d*\.\d+")


class _Group(click.Group):
    """Lists its commands in the order they are defined, each with its whole first line of help."""

    group_class = type  # subgroups are _Group too

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [
            (name, (command.help or "").partition("\n")[0])
            for name, command in self.commands.items()
            if not command.hidden
        ]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class _NegativeNumbersAreValues(click.Command):
    """As with argparse, an argument like ``-1`` is a value, not an unknown option.

    For commands whose options are flags only (no option takes a value): the options are moved
    before a ``--``, the values after it, each group in the order given.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if "--" not in args and any(_NEGATIVE_NUMBER.fullmatch(arg) for arg in args):
            options = [arg for arg in args if _is_option(arg)]
            args = [*options, "--", *(arg for arg in args if not _is_option(arg))]
        return super().parse_args(ctx, args)


def _is_option(arg: str) -> bool:
    return arg.startswith("-") and not _NEGATIVE_NUMBER.fullmatch(arg)


@click.group(
    cls=_Group,
    help="Incident-response bot for Slack.",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=False,  # a missing command is a usage error (exit 2), as with argparse
)
def cli() -> None:
    pass


@cli.command(
    "check-playbooks",
    help="validate a playbooks directory\n\nDIRECTORY: default: PLAYBOOKS_DIR or ./playbooks",
)
@click.argument("directory", required=False)
def check_playbooks(directory: str | None) -> int:
    from bot.entrypoints import settings as config
    from bot.playbooks import loader

    where = Path(directory) if directory else config.load().playbooks_dir
    try:
        playbooks = loader.load(where)
    except loader.InvalidPlaybooks as invalid:
        for problem in invalid.problems:
            print(problem, file=sys.stderr)
        print(f"{len(invalid.problems)} problem(s) in {where}", file=sys.stderr)
        return 1
    services = len(playbooks.catalog.services)
    print(f"{where}: {len(playbooks.by_severity)} playbooks and {services} services are valid")
    return 0


@cli.command(
    "check-templates",
    help="render every message template\n\nDIRECTORY: default: TEMPLATES_DIR or ./templates",
)
@click.argument("directory", required=False)
def check_templates(directory: str | None) -> int:
    from bot.adapters import template_samples
    from bot.adapters.templates import TemplateProblem, Templates
    from bot.entrypoints import settings as config

    where = Path(directory) if directory else config.load().templates_dir
    templates = Templates(where)
    try:
        templates.check()
        problems = templates.check_samples(template_samples.SAMPLES)
    except TemplateProblem as broken:
        problems = [str(broken)]
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    print(f"{where}: {len(template_samples.SAMPLES)} templates render")
    return 0


@cli.command("serve", help="run the bot (HTTP, or Socket Mode with an app token)")
@click.option("--host", metavar="HOST", help="default: HOST or 0.0.0.0")
@click.option("--port", type=int, metavar="PORT", help="default: PORT or 3000")
def serve(host: str | None, port: int | None) -> int:
    import logging
    import signal
    import threading

    from bot.adapters.templates import TemplateProblem
    from bot.entrypoints import app, logs
    from bot.entrypoints import settings as config
    from bot.entrypoints import socket_mode as socket
    from bot.entrypoints.http import Server
    from bot.playbooks import loader

    log = logging.getLogger("bot")
    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = config.load(**overrides)
    logs.configure(settings.log_level, secrets=settings.secret_values())
    try:
        runtime = app.build(settings)
    except loader.InvalidPlaybooks as invalid:
        problems = "; ".join(str(problem) for problem in invalid.problems)
        print(
            f"incident-bot: refusing to start, the playbooks are invalid (PLAYBOOKS_DIR): "
            f"{problems} (`incident-bot check-playbooks` lists each)",
            file=sys.stderr,
        )
        return 2
    except TemplateProblem as problem:
        print(
            f"incident-bot: refusing to start, a template is broken (TEMPLATES_DIR): {problem}",
            file=sys.stderr,
        )
        return 2
    logs.configure(settings.log_level, secrets=runtime.secrets())  # now with the catalog's
    if settings.audit_key is None:
        log.warning("AUDIT_KEY unset: rows are not sealed and no audit checkpoints are signed")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    sys.setswitchinterval(0.001)  # acks wait less for the GIL behind the lazy work
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # saturation is a metric
    server = Server(runtime, settings.host, settings.port).start()
    socket_mode = socket.connect(runtime)
    reconciled = runtime.start_timers()
    log.info(
        "serving",
        extra={
            "url": server.url,
            "socket_mode": socket_mode is not None,
            "active_incidents": reconciled,
        },
    )
    stop.wait()
    log.info("stopping")
    if socket_mode is not None:
        socket_mode.close()  # type: ignore[no-untyped-call]
    server.stop()
    if runtime.close():  # work left running would hold the exit past the platform's grace
        import os

        logging.shutdown()
        os._exit(0)
    return 0


@cli.command("sandbox", help="try the bot without Slack: a local drill with a clock you move")
@click.option(
    "--script",
    type=click.Path(path_type=Path),
    metavar="SCRIPT",
    help="play this drill and print its transcript",
)
@click.option(
    "--playbooks",
    type=click.Path(path_type=Path),
    default=Path("playbooks"),
    metavar="PLAYBOOKS",
    help="default: ./playbooks",
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path),
    default=Path("templates"),
    metavar="TEMPLATES",
    help="default: ./templates",
)
@click.option(
    "--db", metavar="DB", help="keep the sandbox's database here (default: a temporary one)"
)
@click.option(
    "--tz", default="UTC", metavar="TZ", help="the timezone times are shown in (default: UTC)"
)
def sandbox(script: Path | None, playbooks: Path, templates: Path, db: str | None, tz: str) -> int:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from bot.adapters.templates import TemplateProblem
    from bot.entrypoints.sandbox import main as drills
    from bot.entrypoints.sandbox.session import Options
    from bot.playbooks import loader

    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        print(f"incident-bot: --tz {tz!r} is not a timezone, like Europe/Paris", file=sys.stderr)
        return 2
    if script is not None and not script.is_file():
        print(f"incident-bot: no drill at {script}", file=sys.stderr)
        return 2
    start = drills.DRILL_START if script else datetime.now(UTC).replace(second=0, microsecond=0)
    options = Options(playbooks, templates, zone, start, db)
    try:
        return drills.run(options, script)
    except UnicodeDecodeError:
        print(f"incident-bot: {script} is not UTF-8 text", file=sys.stderr)
        return 2
    except ValidationError:
        print(
            "incident-bot: --db: expected sqlite:///PATH or postgresql://USER@HOST/DB",
            file=sys.stderr,
        )
        return 2
    except SQLAlchemyError as error:
        print(
            f"incident-bot: --db: cannot use the database: {error.__class__.__name__}: "
            f"{str(error).splitlines()[0]}",
            file=sys.stderr,
        )
        return 2
    except loader.InvalidPlaybooks as invalid:
        print(f"incident-bot: the playbooks are invalid:\n{invalid}", file=sys.stderr)
        return 1
    except TemplateProblem as problem:
        print(f"incident-bot: a template is broken: {problem}", file=sys.stderr)
        return 1


@cli.command(
    "report",
    help="how the team responded: response times, deadlines kept, rollbacks\n\n"
    "Every incident declared in the period, measured from the record (times are UTC).",
)
@click.option("--since", default="90d", metavar="SINCE", help="how far back (default: 90d)")
@click.option(
    "--severity",
    "severities",
    multiple=True,
    type=click.Choice(["sev1", "sev2", "sev3"], case_sensitive=False),
    help="only these (repeat for more)",
)
@click.option(
    "--service",
    "services",
    multiple=True,
    metavar="SERVICE",
    help="only these (repeat, or separate with commas, for more)",
)
@click.option(
    "--by",
    "period",
    type=click.Choice(["week", "month"]),
    default="week",
    help="the period numbers are grouped by (default: week)",
)
@click.option(
    "--format",
    "form",
    type=click.Choice(["text", "csv", "json", "html"]),
    default="text",
    help="default: text",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="write it here (default: standard output)",
)
def report(
    since: str,
    severities: tuple[str, ...],
    services: tuple[str, ...],
    period: str,
    form: str,
    output: Path | None,
) -> int:
    from datetime import UTC, datetime

    from bot.adapters import reports
    from bot.adapters.db import engine as engines
    from bot.adapters.db.unit_of_work import units_of_work
    from bot.core import durations
    from bot.core.insights import Grouping
    from bot.core.model import Severity
    from bot.entrypoints import settings as config
    from bot.playbooks import loader
    from bot.services.insights import Insights, collector_paused

    try:
        back = durations.parse(since)
    except durations.DurationError as wrong:
        raise click.BadParameter(str(wrong), param_hint="--since") from None
    if back > TEN_YEARS:
        raise click.BadParameter("ten years at most, like 3650d", param_hint="--since")
    chosen = [Severity(s.lower()) for s in severities]
    services = tuple(name.strip() for each in services for name in each.split(","))
    if any(not name for name in services):
        raise click.BadParameter(
            "a service's name, like --service checkout (or checkout,search)",
            param_hint="--service",
        )
    settings = config.load()
    policies = loader.load(settings.playbooks_dir).policies
    engine = engines.connect(settings.database_url)
    with collector_paused():
        try:
            units = units_of_work(engines.sessions(engine))
            found = Insights(units, policies, lambda: datetime.now(UTC)).report(
                back, chosen, services, Grouping(period)
            )
        finally:
            engine.dispose()
        if form == "html":
            from bot.adapters import report_html

            document = report_html.html(found)
        else:
            writer = {"text": reports.text, "csv": reports.csv_text, "json": reports.json_text}
            document = writer[form](found)
    if output is None:
        sys.stdout.write(document)
    else:
        output.write_text(document, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    return 0


@cli.group("deploys", help="deploys the rollback rule looks at", no_args_is_help=False)
def deploys_commands() -> None:
    pass


@deploys_commands.command("record", help="record a finished deploy")
@click.option("--service", required=True, metavar="SERVICE")
@click.option("--version", required=True, metavar="VERSION")
@click.option("--deployer", metavar="DEPLOYER")
@click.option("--commit", metavar="COMMIT")
@click.option("--environment", default="production", metavar="ENVIRONMENT")
@click.option(
    "--at", metavar="AT", help="when it finished, like 2026-11-26T03:14:00Z (default: now)"
)
def record_deploy(
    service: str,
    version: str,
    deployer: str | None,
    commit: str | None,
    environment: str,
    at: str | None,
) -> int:
    """Record a deploy from a pipeline; with Slack configured, advise the incidents it affects."""
    from datetime import UTC, datetime

    from bot.adapters.db import engine as engines
    from bot.adapters.db import migrate
    from bot.adapters.db.unit_of_work import units_of_work
    from bot.core.rollback import Deploy
    from bot.entrypoints import app
    from bot.entrypoints import settings as config
    from bot.entrypoints.webhooks import deploys as deploy_payloads
    from bot.services.deploys import DeployService

    settings = config.load()
    finished = deploy_payloads.time(at, "--at") if at else datetime.now(UTC)
    deploy = Deploy(
        service=service.lower(),
        version=version,
        finished_at=finished,
        deployer=deployer,
        commit=commit,
        environment=environment,
    )
    if settings.slack_bot_token and settings.slack_signing_secret:
        runtime = app.build(settings)
        try:
            runtime.deploys.record(deploy, source="cli")
            advised = runtime.advisor.deploy_reported(deploy)
        finally:
            runtime.close()
        print(f"recorded {deploy.service} {deploy.version}; advised {advised} open incident(s)")
        return 0

    engine = engines.connect(settings.database_url)
    try:
        migrate.upgrade(engine)
        units = units_of_work(engines.sessions(engine))
        DeployService(units, lambda: datetime.now(UTC)).record(deploy, "cli")
    finally:
        engine.dispose()
    print(f"recorded {deploy.service} {deploy.version} (Slack not configured: no advice posted)")
    return 0


@cli.group("audit", help="the tamper-evident audit trail", no_args_is_help=False)
def audit_commands() -> None:
    pass


@audit_commands.command("verify", help="detect edited or deleted entries")
@click.option(
    "--checkpoints",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    metavar="FILE",
    help="signed checkpoints to hold the database to (AUDIT_CHECKPOINT_FILE, or the bot's log)",
)
def audit_verify(checkpoints: Path | None) -> int:
    from bot.adapters.db import audit
    from bot.entrypoints import checkpoints as signed
    from bot.entrypoints import settings as config

    settings = config.load()
    key = settings.audit_key_bytes()
    if checkpoints is not None and key is None:
        raise config.ConfigurationError("AUDIT_KEY must be set to check signed checkpoints")
    lines = checkpoints.read_text(encoding="utf-8").splitlines() if checkpoints else []
    points = signed.read(lines)
    checked = audit.check(settings.database_url, key, points, signed.sealings(lines))
    for problem in checked.problems:
        print(f"TAMPERED: {problem}", file=sys.stderr)
    if any(" row " in problem and "seal" in problem for problem in checked.problems):
        print(
            "if those rows were written by a bot without AUDIT_KEY or one migration behind, or "
            "AUDIT_KEY changed: check them, then `incident-bot audit seal --reseal` (recorded)",
            file=sys.stderr,
        )
    if checked.problems:
        return 1
    sealed = "every row sealed with AUDIT_KEY" if key else "AUDIT_KEY unset: seals not checked"
    kept = len(signed.sealings(lines))
    held = f", {len(points)} checkpoint(s) and {kept} sealing record(s) held" if checkpoints else ""
    told = ""
    if checked.sealings:
        last = checked.sealings[-1]
        told = f"; {len(checked.sealings)} sealing(s) recorded, the last a {last['action']} on "
        told += str(last["at"])
    print(
        f"the audit trail is intact: {checked.entries} entries, each committing to the one "
        f"before; {sealed}{held}{told}"
    )
    return 0


@audit_commands.command("seal", help="seal the rows written without AUDIT_KEY (recorded)")
@click.option(
    "--reseal",
    is_flag=True,
    help="also reseal rows whose seal does not match (after `audit verify` named them: written "
    "by a bot one migration behind or without AUDIT_KEY, or under a previous AUDIT_KEY)",
)
def audit_seal(reseal: bool) -> int:
    import json
    from datetime import UTC, datetime

    from bot.adapters.db import audit
    from bot.entrypoints import settings as config

    settings = config.load()
    config.require(settings, "audit_key")
    key = settings.audit_key_bytes()
    assert key is not None
    done = audit.seal(settings.database_url, key, datetime.now(UTC), reseal)
    for problem in done.refused:
        print(f"TAMPERED: {problem}", file=sys.stderr)
    if done.refused:
        print("nothing sealed: a seal cannot mend the trail itself", file=sys.stderr)
        return 1
    rows: dict[str, list[int]] = done.record["rows"]
    print(f"{done.record['action']}ed {sum(map(len, rows.values()))} row(s)")
    if not rows:
        return 0  # nothing done, nothing to record
    if reseal:
        for table, ids in rows.items():
            print(f"  {table}: {', '.join(map(str, ids))}")
    line = json.dumps({"audit_sealing": done.record}, sort_keys=True)
    print(line, file=sys.stderr)  # the log's copy, outside the database
    if settings.audit_checkpoint_file is not None:
        try:
            with settings.audit_checkpoint_file.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        except OSError as error:
            print(
                f"incident-bot: sealed, but the record was not added to AUDIT_CHECKPOINT_FILE "
                f"({error.strerror}): keep the line above",
                file=sys.stderr,
            )
            return 1
    return 0


@audit_commands.command("export", help="write the trail as JSON Lines")
@click.option("--incident", type=int, metavar="INCIDENT", help="only this incident's entries")
def audit_export(incident: int | None) -> int:
    import json

    from bot.adapters.db import audit
    from bot.entrypoints import settings as config

    for entry in audit.entries(config.load().database_url, incident):
        print(json.dumps(entry, ensure_ascii=False))
    return 0


@cli.group("postmortem", help="post-mortem drafts kept in the database", no_args_is_help=False)
def postmortem_commands() -> None:
    pass


@postmortem_commands.command("export", help="write the drafts to a folder, one Markdown file each")
@click.option("--incident", type=int, metavar="INCIDENT", help="only this incident's draft")
@click.option(
    "--to",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    metavar="FOLDER",
    help="default: POSTMORTEM_DIR or ./postmortems",
)
def postmortem_export(incident: int | None, folder: Path | None) -> int:
    from bot.adapters import drafts
    from bot.adapters.db import engine as engines
    from bot.adapters.db.postmortems import Postmortems
    from bot.entrypoints import settings as config

    settings = config.load()
    where = folder or settings.postmortem_dir
    engine = engines.connect(settings.database_url)
    try:
        with engines.sessions(engine)() as session:
            written = drafts.export(Postmortems(session).drafts(incident), where)
    except OSError as error:
        raise config.ConfigurationError(
            f"cannot write the drafts to {where} ({error.strerror}): set POSTMORTEM_DIR, or "
            "--to, to a folder this user may write (in the image: a mounted volume, or /tmp)"
        ) from error
    finally:
        engine.dispose()
    for path in written:
        print(path)
    if not written:
        print(f"no post-mortem draft{f' for incident {incident}' if incident else ''} yet")
        return 1 if incident else 0
    return 0


@cli.group("db", help="database maintenance", no_args_is_help=False)
def db_commands() -> None:
    pass


@db_commands.command("upgrade", help="apply migrations")
def db_upgrade() -> int:
    """Also what the pods' init container runs: a database one expand-only migration ahead
    (an image rolled back) is left as it is."""
    from bot.adapters.db import schema

    return _migrate(schema.prepare)  # with AUDIT_KEY, if set


@db_commands.command(
    "downgrade",
    cls=_NegativeNumbersAreValues,
    help="step back to a revision (before running an older bot image)\n\n"
    "REVISION: e.g. 0005, or -1 for one step back",
)
@click.argument("revision")
def db_downgrade(revision: str) -> int:
    from bot.adapters.db import migrate

    return _migrate(lambda engine, key: migrate.downgrade(engine, revision, key))


def _migrate(step: Callable[[Engine, bytes | None], object]) -> int:
    """Run ``step`` on the database with AUDIT_KEY (None if unset: a migration that changes
    sealed rows leaves their seals stale)."""
    from alembic.util import CommandError

    from bot.adapters.db import engine as engines
    from bot.adapters.db import migrate
    from bot.entrypoints import settings as config

    settings = config.load()
    engine = engines.connect(settings.database_url)
    try:
        step(engine, settings.audit_key_bytes())
        print(f"database is at revision {migrate.current(engine)}")
    except CommandError as error:  # a revision this image does not know
        print(
            f"incident-bot: cannot migrate: {error} (the database is at revision "
            f"{migrate.current(engine)}, this image knows up to {migrate.head(engine)}): step "
            "back with the image that migrated it (docs/runbooks/bot-down.md)",
            file=sys.stderr,
        )
        return 2
    finally:
        engine.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line on ``argv`` (default: ``sys.argv[1:]``); returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        with cli.make_context(PROG, args) as ctx:
            return int(cli.invoke(ctx))
    except click.exceptions.Exit as done:  # --help
        return done.exit_code
    except click.ClickException as error:  # usage errors: exit 2
        error.show()
        return error.exit_code
    except Exception as error:
        message = _one_line(error)
        if message is None:
            raise
        print(message, file=sys.stderr)
        return 2


def _one_line(error: Exception) -> str | None:
    """What to print, instead of a traceback, for a failure the operator can fix by hand."""
    # A command that raised one of these has imported its module already.
    from bot.entrypoints import settings as config
    from bot.entrypoints.webhooks import deploys as deploy_payloads

    if isinstance(error, config.ConfigurationError):
        return f"incident-bot: configuration error: {error}"
    if isinstance(error, deploy_payloads.MalformedDeploy):
        return f"incident-bot: {error}"
    return (
        _playbooks_problem(error)
        or _database_problem(error)
        or _file_problem(error)
        or _listening_problem(error)
    )


def _playbooks_problem(error: Exception) -> str | None:
    from bot.playbooks.loader import InvalidPlaybooks

    if isinstance(error, InvalidPlaybooks):
        first = " ".join(str(error).split())[:300]
        return f"incident-bot: the playbooks cannot be used ({first}): check PLAYBOOKS_DIR"
    return None


def _database_problem(error: Exception) -> str | None:
    """An unreachable database, an SQLite file that cannot be written, a schema too new."""
    import sqlite3

    from sqlalchemy.exc import SQLAlchemyError

    from bot.adapters.db import schema
    from bot.entrypoints import logs
    from bot.services.ports import StorageUnavailable

    if isinstance(error, schema.SchemaAhead):
        return f"incident-bot: refusing to start: {error}"
    if isinstance(error, schema.NotThisRevision):
        return f"incident-bot: {error}"
    said = str(error)
    if isinstance(error, (StorageUnavailable, SQLAlchemyError)) and _MISSING_TABLE.search(said):
        reason = logs.Redactor()(" ".join(said.split()))[:300]
        return (
            f"incident-bot: the database's tables are missing or older than this incident-bot "
            f"({reason}): run `incident-bot db upgrade`, or check DATABASE_URL names the bot's "
            "database"
        )
    cause = _driver_error(error)
    if isinstance(cause, sqlite3.Error):
        return _sqlite_problem(cause)
    if isinstance(error, StorageUnavailable):
        reason = logs.Redactor()(" ".join(str(error).split()))[:300]
        return (
            f"incident-bot: cannot reach the database ({reason}): check DATABASE_URL and that "
            "the database is up"
        )
    if not isinstance(error, SQLAlchemyError):
        return None
    reason = logs.Redactor()(" ".join(str(cause).split()))[:300]
    return (
        f"incident-bot: cannot reach the database ({type(cause).__name__}: {reason}): check "
        "DATABASE_URL (host, port, user, password, database name) and that the database is up"
    )


def _driver_error(error: BaseException) -> BaseException:
    """The database driver's own error under ``error`` (a ``StorageUnavailable`` raised from a
    SQLAlchemy error raised from the driver's), or ``error`` itself."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.services.ports import StorageUnavailable

    if isinstance(error, StorageUnavailable) and error.__cause__ is not None:
        error = error.__cause__
    if isinstance(error, SQLAlchemyError):
        return getattr(error, "orig", None) or error
    return error


def _sqlite_problem(cause: BaseException) -> str:
    """An SQLite file that cannot be opened or written, named, with what to do."""
    import os

    from bot.entrypoints import logs

    reason = logs.Redactor()(" ".join(str(cause).split()))[:300]
    where = _sqlite_file()
    if "readonly" in reason:
        problem = f"{where} is not writable by uid {os.getuid()}"
    else:
        problem = f"{where} cannot be opened by uid {os.getuid()}"
    return (
        f"incident-bot: cannot use the SQLite database: {problem} ({reason}): set DATABASE_URL "
        "to a file that this user can write, in a folder it can write (SQLite writes its "
        "journal there; in the image: a volume mounted at /data), or to PostgreSQL"
    )


def _sqlite_file() -> str:
    """The SQLite file DATABASE_URL names, or "the file DATABASE_URL names" when unknown."""
    from sqlalchemy.engine import make_url

    from bot.entrypoints import settings as config

    try:
        database = make_url(config.load().database_url).database
        database = database.removeprefix("file:") if database else None
    except Exception:  # the settings were read before; this only words a message
        database = None
    return database or "the file DATABASE_URL names"


_MISSING_TABLE = re.compile(r"no such (?:table|column)|Undefined(?:Table|Column)")
"""How SQLite and psycopg say a table or a column is missing (a database never migrated, or
migrated by an older incident-bot)."""


def _file_problem(error: Exception) -> str | None:
    """A file or folder a command could not read or write (listening has no file name)."""
    if isinstance(error, OSError) and error.filename is not None:
        return f"incident-bot: cannot use {error.filename}: {error.strerror}"
    return None


def _listening_problem(error: Exception) -> str | None:
    import errno

    if isinstance(error, OSError) and error.errno in (errno.EADDRINUSE, errno.EACCES):
        return (
            f"incident-bot: cannot listen ({error.strerror}): set PORT (or --port) to a free "
            "port this user may open, or HOST to an address of this machine"
        )
    return None


if __name__ == "__main__":
    sys.exit(main())
