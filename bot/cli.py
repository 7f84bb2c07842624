"""The ``incident-bot`` command line: one table of subcommands, each a small function.

What only serving, recording a deploy or the sandbox needs (Slack, the HTTP server, the
sandbox's Slack stand-in) is imported by those commands, so ``db`` and ``audit`` start quickly.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot import logs, template_samples
from bot import settings as config
from bot.core.rollback import Deploy
from bot.db import audit, migrate
from bot.db import engine as engines
from bot.db.tables import EventRow
from bot.playbooks import loader
from bot.services.deploys import DeployService
from bot.templates import TemplateProblem, Templates
from bot.webhooks import deploys as deploy_payloads

log = logging.getLogger("bot")


def check_playbooks(args: argparse.Namespace) -> int:
    directory = Path(args.directory) if args.directory else config.load().playbooks_dir
    try:
        playbooks = loader.load(directory)
    except loader.InvalidPlaybooks as invalid:
        for problem in invalid.problems:
            print(problem, file=sys.stderr)
        print(f"{len(invalid.problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    services = len(playbooks.catalog.services)
    print(f"{directory}: {len(playbooks.by_severity)} playbooks and {services} services are valid")
    return 0


def db_upgrade(_args: argparse.Namespace) -> int:
    return _migrate(migrate.upgrade)


def db_downgrade(args: argparse.Namespace) -> int:
    return _migrate(lambda engine: migrate.downgrade(engine, args.revision))


def _migrate(step: Callable[[Engine], None]) -> int:
    engine = engines.connect(config.load().database_url)
    try:
        step(engine)
        print(f"database is at revision {migrate.current(engine)}")
    finally:
        engine.dispose()
    return 0


def serve(args: argparse.Namespace) -> int:
    from bot import app
    from bot.server import Server

    overrides = {k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    settings = config.load(**overrides)
    logs.configure(settings.log_level, secrets=settings.secret_values())
    try:
        runtime = app.build(settings)
    except loader.InvalidPlaybooks as invalid:
        print(
            f"incident-bot: refusing to start, the playbooks are invalid:\n{invalid}",
            file=sys.stderr,
        )
        return 1
    except TemplateProblem as problem:
        print(f"incident-bot: refusing to start, a template is broken: {problem}", file=sys.stderr)
        return 1
    logs.configure(settings.log_level, secrets=runtime.secrets())  # now with the catalog's
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    sys.setswitchinterval(0.001)  # acks wait less for the GIL behind the lazy work
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # saturation is a metric
    server = Server(runtime, settings.host, settings.port).start()
    socket_mode = app.socket_mode(runtime)
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
    runtime.close()
    return 0


def record_deploy(args: argparse.Namespace) -> int:
    """Record a deploy from a pipeline; with Slack configured, advise the incidents it affects."""
    settings = config.load()
    finished = deploy_payloads.time(args.at, "--at") if args.at else datetime.now(UTC)
    deploy = Deploy(
        service=args.service.lower(),
        version=args.version,
        finished_at=finished,
        deployer=args.deployer,
        commit=args.commit,
        environment=args.environment,
    )
    if settings.slack_bot_token and settings.slack_signing_secret:
        from bot import app

        runtime = app.build(settings)
        try:
            runtime.deploys.record(deploy, source="cli")
            advised = runtime.advisor.deploy_reported(deploy)
        finally:
            runtime.close()
        print(f"recorded {deploy.service} {deploy.version}; advised {advised} open incident(s)")
        return 0

    def store(engine: Engine) -> None:
        migrate.upgrade(engine)
        DeployService(engines.sessions(engine), lambda: datetime.now(UTC)).record(deploy, "cli")

    _migrate(store)
    print(f"recorded {deploy.service} {deploy.version} (Slack not configured: no advice posted)")
    return 0


def audit_verify(_args: argparse.Namespace) -> int:
    with _session() as session:
        problems = audit.verify(session)
        entries = session.scalar(select(func.count()).select_from(EventRow)) or 0
    for problem in problems:
        print(f"TAMPERED: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"the audit trail is intact: {entries} entries, each committing to the one before")
    return 0


def audit_export(args: argparse.Namespace) -> int:
    with _session() as session:
        for entry in audit.export(session, args.incident):
            print(json.dumps(entry, ensure_ascii=False))
    return 0


@contextmanager
def _session() -> Iterator[Session]:
    engine = engines.connect(config.load().database_url)
    try:
        migrate.upgrade(engine)
        with engines.sessions(engine)() as session:
            yield session
    finally:
        engine.dispose()


def check_templates(args: argparse.Namespace) -> int:
    directory = Path(args.directory) if args.directory else config.load().templates_dir
    templates = Templates(directory)
    try:
        templates.check()
        problems = templates.check_samples(template_samples.SAMPLES)
    except TemplateProblem as broken:
        problems = [str(broken)]
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    print(f"{directory}: {len(template_samples.SAMPLES)} templates render")
    return 0


def sandbox(args: argparse.Namespace) -> int:
    from bot.sandbox import main as drills
    from bot.sandbox.session import Options

    try:
        tz = ZoneInfo(args.tz)
    except (ZoneInfoNotFoundError, ValueError):
        print(
            f"incident-bot: --tz {args.tz!r} is not a timezone, like Europe/Paris", file=sys.stderr
        )
        return 2
    if args.script is not None and not args.script.is_file():
        print(f"incident-bot: no drill at {args.script}", file=sys.stderr)
        return 2
    start = (
        drills.DRILL_START if args.script else datetime.now(UTC).replace(second=0, microsecond=0)
    )
    options = Options(args.playbooks, args.templates, tz, start, args.db)
    try:
        return drills.run(options, args.script)
    except UnicodeDecodeError:
        print(f"incident-bot: {args.script} is not UTF-8 text", file=sys.stderr)
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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="incident-bot", description="Incident-response bot for Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("check-playbooks", help="validate a playbooks directory")
    check.add_argument("directory", nargs="?", help="default: PLAYBOOKS_DIR or ./playbooks")
    check.set_defaults(run=check_playbooks)
    templates = commands.add_parser("check-templates", help="render every message template")
    templates.add_argument("directory", nargs="?", help="default: TEMPLATES_DIR or ./templates")
    templates.set_defaults(run=check_templates)
    run = commands.add_parser("serve", help="run the bot (HTTP, or Socket Mode with an app token)")
    run.add_argument("--host", help="default: HOST or 0.0.0.0")
    run.add_argument("--port", type=int, help="default: PORT or 3000")
    run.set_defaults(run=serve)
    drill = commands.add_parser(
        "sandbox", help="try the bot without Slack: a local drill with a clock you move"
    )
    drill.add_argument("--script", type=Path, help="play this drill and print its transcript")
    drill.add_argument(
        "--playbooks", type=Path, default=Path("playbooks"), help="default: ./playbooks"
    )
    drill.add_argument(
        "--templates", type=Path, default=Path("templates"), help="default: ./templates"
    )
    drill.add_argument("--db", help="keep the sandbox's database here (default: a temporary one)")
    drill.add_argument("--tz", default="UTC", help="the timezone times are shown in (default: UTC)")
    drill.set_defaults(run=sandbox)
    deploys = commands.add_parser("deploys", help="deploys the rollback rule looks at")
    deploy_commands = deploys.add_subparsers(dest="deploys_command", required=True)
    record = deploy_commands.add_parser("record", help="record a finished deploy")
    record.add_argument("--service", required=True)
    record.add_argument("--version", required=True)
    record.add_argument("--deployer")
    record.add_argument("--commit")
    record.add_argument("--environment", default="production")
    record.add_argument("--at", help="when it finished, like 2026-11-26T03:14:00Z (default: now)")
    record.set_defaults(run=record_deploy)
    trail = commands.add_parser("audit", help="the tamper-evident audit trail")
    trail_commands = trail.add_subparsers(dest="audit_command", required=True)
    trail_commands.add_parser("verify", help="detect edited or deleted entries").set_defaults(
        run=audit_verify
    )
    exporting = trail_commands.add_parser("export", help="write the trail as JSON Lines")
    exporting.add_argument("--incident", type=int, help="only this incident's entries")
    exporting.set_defaults(run=audit_export)
    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    database_commands.add_parser("upgrade", help="apply migrations").set_defaults(run=db_upgrade)
    down = database_commands.add_parser(
        "downgrade", help="step back to a revision (before running an older bot image)"
    )
    down.add_argument("revision", help="e.g. 0005, or -1 for one step back")
    down.set_defaults(run=db_downgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except config.ConfigurationError as error:
        print(f"incident-bot: configuration error: {error}", file=sys.stderr)
        return 2
    except deploy_payloads.MalformedDeploy as error:
        print(f"incident-bot: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
