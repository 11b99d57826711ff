"""Start-up time of the command line, side by side with Python's and polars' own.

    python -m benchmarks.cli_startup              # 7 runs of each command
    python -m benchmarks.cli_startup --runs 15 --lake path/to/lake

Each command runs in a fresh process, in interleaved rounds (every command once
per round, so that a change in the machine's load touches all of them alike),
after one untimed round; the table gives the median wall time and the spread:

- ``python -c "pass"``: the interpreter's floor;
- ``python -c "import polars, deltalake"``: the peers' floor, what any command
  that reads the lake pays before it reads;
- ``loyalty-lake --help``, ``--version``;
- ``loyalty-lake status`` on a demo lake, made once with ``loyalty-lake demo``
  in a temporary folder (or the lake given with ``--lake``).

``loyalty-lake`` is the console script installed next to this Python (not a
version manager's shim, which adds its own start-up). Writes
``benchmarks/results/cli_startup.md`` (or ``--out``) and prints it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from benchmarks._harness import RESULTS, machine

#: The issue's targets (issue 19, "Start fast"), in seconds of wall time on 2 cores.
TARGETS = {"--help": 0.3, "status": 0.5}


@dataclass(frozen=True)
class Command:
    """One command line to time, and the target it must meet (None: a floor, for comparison)."""

    label: str
    argv: list[str]
    target: float | None = None


@dataclass(frozen=True)
class Timing:
    """The wall times of one command's runs, in seconds."""

    command: Command
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def verdict(self) -> str:
        target = self.command.target
        if target is None:
            return ""
        return "met" if self.median <= target else "**not met**"


def program() -> str:
    """The ``loyalty-lake`` console script of this Python's installation."""
    beside = Path(sys.executable).with_name("loyalty-lake")
    if beside.is_file():
        return str(beside)
    found = shutil.which("loyalty-lake")
    if found is None:
        raise SystemExit('loyalty-lake is not installed: pip install -e ".[dev]"')
    return found


def demo_lake(cli: str, folder: Path) -> Path:
    """A lake built by ``loyalty-lake demo`` in ``folder``."""
    lake = folder / "lake"
    done = subprocess.run(
        [cli, "demo", "--lake", str(lake)],
        capture_output=True,
        text=True,
        cwd=folder,
        check=False,
    )
    if done.returncode not in (0, 1):  # 1: some demo data was refused, the lake is built
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"loyalty-lake demo failed ({done.returncode}):\n{tail}")
    return lake


def tables(lake: Path) -> int:
    """How many Delta tables the lake holds."""
    return sum(1 for log in lake.glob("*/*/_delta_log") if log.is_dir())


def timed(command: Command, cwd: Path) -> float:
    """The wall time of one run of ``command``, which must succeed."""
    start = time.perf_counter()
    done = subprocess.run(
        command.argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(f"{command.label} failed ({done.returncode}):\n{done.stderr.decode()}")
    return seconds


def measure(commands: list[Command], runs: int, cwd: Path) -> list[Timing]:
    """``runs`` timed rounds of every command, after one untimed round."""
    for command in commands:
        timed(command, cwd)
    seconds: dict[str, list[float]] = {c.label: [] for c in commands}
    for _ in range(runs):
        for command in commands:
            seconds[command.label].append(timed(command, cwd))
    return [Timing(c, seconds[c.label]) for c in commands]


def report(timings: list[Timing], *, runs: int, lake: str, load: tuple[float, float]) -> str:
    """The Markdown report: one row per command, with its target and verdict.

    ``load`` is the machine's 1-minute load average before and after: other work
    slows every row, the floors with the rest.
    """
    bytecode = (
        "off (PYTHONDONTWRITEBYTECODE is set: loyalty_lake's modules are compiled at every "
        "start; installed packages have theirs)"
        if sys.dont_write_bytecode
        else "on"
    )
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("polars", "deltalake", "typer", "rich")
    )
    out = [
        "# Command line start-up",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; {packages}. "
        f"Median wall time of {runs} runs, each a fresh process, in interleaved rounds after "
        f"one untimed round; `status` on {lake}. Bytecode caching: {bytecode}. "
        f"Load average before and after: {load[0]:.2f}, {load[1]:.2f}.",
        "",
        "| command | median (s) | min–max (s) | target (s) | |",
        "|---|---:|---:|---:|---|",
    ]
    for t in timings:
        target = "" if t.command.target is None else f"≤ {t.command.target:.1f}"
        out.append(
            f"| `{t.command.label}` | {t.median:.3f} | "
            f"{min(t.seconds):.3f}–{max(t.seconds):.3f} | {target} | {t.verdict} |"
        )
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cli_startup",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command")
    parser.add_argument("--lake", type=Path, help="time status on this lake (default: a demo lake)")
    parser.add_argument("--out", type=Path, default=RESULTS / "cli_startup.md")
    args = parser.parse_args()
    cli = program()
    with tempfile.TemporaryDirectory(prefix="cli-startup-") as scratch:
        folder = Path(scratch)
        lake = args.lake.resolve() if args.lake else demo_lake(cli, folder)
        where = (
            f"`{lake}` ({tables(lake)} tables)"
            if args.lake
            else f"the demo lake ({tables(lake)} tables)"
        )
        python = sys.executable
        commands = [
            Command('python -c "pass"', [python, "-c", "pass"]),
            Command(
                'python -c "import polars, deltalake"', [python, "-c", "import polars, deltalake"]
            ),
            Command("loyalty-lake --help", [cli, "--help"], TARGETS["--help"]),
            Command("loyalty-lake --version", [cli, "--version"]),
            Command(
                "loyalty-lake status --lake <lake>",
                [cli, "status", "--lake", str(lake)],
                TARGETS["status"],
            ),
        ]
        before = os.getloadavg()[0]
        timings = measure(commands, args.runs, folder)
    text = report(timings, runs=args.runs, lake=where, load=(before, os.getloadavg()[0]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
