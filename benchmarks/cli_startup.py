"""Start-up time of the command line: the median wall time of ``incident-bot --help``.

Runs the console script next to this interpreter (else ``python -m bot``) ``--runs`` times after
one warm-up run, so the figure is the cost of importing and parsing with the bytecode cache warm.
The CPU time (user + system) is printed too: on a shared machine it varies less than wall time.

    python -m benchmarks.cli_startup [--runs 10] [ARGS ...]   (default ARGS: --help)
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path


def command() -> list[str]:
    """The ``incident-bot`` script next to this interpreter, else ``python -m bot``."""
    script = Path(sys.executable).with_name("incident-bot")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "bot"]


def once(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("args", nargs=argparse.REMAINDER, help="default: --help")
    options = parser.parse_args()
    words = options.args or ["--help"]
    argv = [*command(), *words]
    once(argv)  # warm-up: bytecode cache, page cache
    walls, cpus = zip(*(once(argv) for _ in range(options.runs)), strict=True)
    print(
        f"incident-bot {' '.join(words)}: median {statistics.median(walls):.3f} s wall "
        f"(min {min(walls):.3f}, max {max(walls):.3f}), {statistics.median(cpus):.3f} s CPU, "
        f"over {options.runs} runs"
    )


if __name__ == "__main__":
    main()
