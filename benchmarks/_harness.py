"""Run each measurement in its own process and report wall time and peak RSS."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
RESULTS = ROOT / "results"


@dataclass(frozen=True)
class Measurement:
    name: str
    lines: int
    seconds: float
    peak_rss_mib: float
    rows: int

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("nan")


def run_in_child(task: str, *args: str) -> dict:
    """Run ``benchmarks._tasks <task> <args>`` in a fresh interpreter; return its JSON line."""
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks._tasks", task, *args],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT.parent,
    )
    if out.returncode:
        tail = "\n".join(out.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"benchmark task {task} {' '.join(args)} failed:\n{tail}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(name: str, lines: int, task: str, *args: str, repeat: int) -> Measurement:
    """Median wall time and the largest peak RSS over ``repeat`` runs of a task."""
    runs = [run_in_child(task, *args) for _ in range(repeat)]
    return Measurement(
        name=name,
        lines=lines,
        seconds=statistics.median(r["seconds"] for r in runs),
        peak_rss_mib=max(r["peak_rss_mib"] for r in runs),
        rows=runs[0]["rows"],
    )


def machine() -> str:
    cpus = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpus} cores, {mem:.0f} GiB RAM, Python {sys.version.split()[0]}"
