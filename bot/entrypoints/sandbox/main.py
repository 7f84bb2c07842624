"""`incident-bot sandbox`: the interactive prompt, and drills played from a file.

A drill prints its transcript: each step after the prompt it was typed at, then what the bot did.
The exit code says how it went: 0 all held, 1 an `expect` failed, 2 a line was not understood.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.entrypoints import logs
from bot.entrypoints.sandbox.session import Options, Outcome, Sandbox

# A drill without an `at` line starts here, so that it prints the same transcript every time.
DRILL_START = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
EXPECT_FAILED, NOT_UNDERSTOOD = 1, 2


class Tally:
    def __init__(self) -> None:
        self.held = self.failed = self.not_understood = 0

    def count(self, line: str, outcome: Outcome) -> None:
        if outcome.failed_expectation:
            self.failed += 1
        elif outcome.bad_input:
            self.not_understood += 1
        elif line.strip().lower().startswith("expect "):
            self.held += 1

    def exit_code(self) -> int:
        if self.failed:
            return EXPECT_FAILED
        return NOT_UNDERSTOOD if self.not_understood else 0

    def summary(self) -> str:
        return (
            f"drill over: {self.held} expectations held, {self.failed} failed, "
            f"{self.not_understood} lines not understood"
        )


def play(options: Options, lines: Iterable[str], out: TextIO) -> int:
    """Play ``lines`` as a drill, echoing each after its prompt; returns the exit code."""
    tally = Tally()
    with _quiet_logs(), Sandbox(options) as sandbox:
        _write(out, sandbox.opening())
        for line in lines:
            out.write(f"{sandbox.prompt}{line.rstrip()}".rstrip() + "\n")
            outcome = sandbox.feed(line)
            tally.count(line, outcome)
            _write(out, outcome.lines)
            if outcome.quit:
                break
    out.write(tally.summary() + "\n")
    return tally.exit_code()


def interact(options: Options, ask: Callable[[str], str], out: TextIO) -> int:
    """The prompt: read a step, show what the bot did, until `quit` or end of input."""
    with _quiet_logs(), Sandbox(options) as sandbox:
        _write(out, sandbox.opening())
        while True:
            try:
                line = ask(sandbox.prompt)
            except KeyboardInterrupt:  # Ctrl-C closes an open form, else leaves
                out.write("\n")
                if sandbox.form is None:
                    return 0
                _write(out, sandbox.cancel_form().lines)
                continue
            except EOFError:
                out.write("\n")
                return 0
            outcome = sandbox.feed(line)
            _write(out, outcome.lines)
            if outcome.quit:
                return 0


def drill_lines(path: Path) -> list[str]:
    """A drill's lines (UTF-8, a byte-order mark allowed); UnicodeDecodeError for other text."""
    return path.read_text(encoding="utf-8-sig").splitlines()


def run(options: Options, script: Path | None) -> int:
    if script is not None:
        return play(options, drill_lines(script), sys.stdout)
    if not sys.stdin.isatty():  # piped in: show the steps too, as a transcript
        return play(options, sys.stdin.read().splitlines(), sys.stdout)
    return interact(options, input, sys.stdout)


def _write(out: TextIO, lines: Iterable[str]) -> None:
    for line in lines:
        out.write(line + "\n")
    out.flush()


@contextmanager
def _quiet_logs() -> Iterator[None]:
    """The bot's own log lines would interleave with the transcript: only errors, on stderr.

    Logging is global: what it was is put back afterwards (tests run sessions in-process).
    """
    root = logging.getLogger()
    noisy = [logging.getLogger(name) for name in ("slack_bolt", "waitress")]
    saved = (list(root.handlers), root.level, [logger.level for logger in noisy])
    logs.configure("ERROR")
    for logger in noisy:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        for logger, level in zip(noisy, saved[2], strict=True):
            logger.setLevel(level)
