"""The ``incident-bot`` command line: one table of subcommands, each a small function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot import settings as config
from bot.db import engine as engines
from bot.db import migrate
from bot.playbooks import loader


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
    settings = config.load()
    engine = engines.connect(settings.database_url)
    try:
        migrate.upgrade(engine)
        print(f"database is at revision {migrate.current(engine)}")
    finally:
        engine.dispose()
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="incident-bot", description="Incident-response bot for Slack."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = commands.add_parser("check-playbooks", help="validate a playbooks directory")
    check.add_argument("directory", nargs="?", help="default: PLAYBOOKS_DIR or ./playbooks")
    check.set_defaults(run=check_playbooks)
    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(dest="db_command", required=True)
    database_commands.add_parser("upgrade", help="apply migrations").set_defaults(run=db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except config.ConfigurationError as error:
        print(f"incident-bot: configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
