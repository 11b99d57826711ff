"""Nightly batches: one new day on years of history, incremental against a full rebuild.

For each size, the generator writes the history and one more day
(``--batches 2``). Measured side by side, each command in its own process
(wall time, peak RSS of that process):

- **full rebuild**: ``loyalty-lake build`` of a new lake from both batches;
- **one day**: on a lake that already holds the history (built beforehand, not
  timed), ``loyalty-lake ingest <day>`` then ``loyalty-lake build``, which
  brings gold up to date incrementally;
- **full gold**: ``loyalty-lake build --full`` on that same lake (silver is
  current, so this is gold recomputed whole, as after a rule change).

After each size the gold of the one-day lake and of the full rebuild are
compared table by table (the outbox excepted: it is a log of builds) and the
benchmark stops on any difference. ``--memory`` sizes run the full rebuild
only, for its peak RSS.

    python -m benchmarks.incremental --lines 3e6,3e7 --memory 1e7,3e7

The report goes to ``benchmarks/results/incremental.md``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from benchmarks._harness import DATA, RESULTS, machine

#: Gold tables that are logs of past builds rather than functions of the data.
NOT_COMPARED = {"notifications"}


@dataclass(frozen=True)
class Run:
    """One command: wall seconds and the peak RSS of its process."""

    seconds: float
    peak_rss_mib: float


def run(*args: str, cwd: Path) -> Run:
    """Run ``loyalty-lake args`` in its own process; its wall time and peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "loyalty_lake.cli", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        error = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"loyalty-lake {' '.join(args)} failed:\n{error[-2000:]}")
    return Run(seconds, usage.ru_maxrss / 1024)


def landing(lines: int) -> tuple[Path, Path]:
    """The history batch and the one-day batch of ``lines`` lines (generated once, cached)."""
    folder = DATA / f"incremental-{lines}"
    if not folder.is_dir():
        scratch = folder.with_suffix(".partial")
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        run(
            "generate",
            "--lines",
            str(lines),
            "--batches",
            "2",
            "--out",
            str(scratch / "landing"),
            "--lake",
            str(scratch / "unused"),
            cwd=scratch,
        )
        scratch.rename(folder)
    history, day = sorted(p for p in (folder / "landing").iterdir() if p.is_dir())
    return history, day


def history_lake(lines: int, history: Path) -> Path:
    """A lake holding the history only (built once, cached): where the night starts."""
    lake = DATA / f"incremental-{lines}" / "history-lake"
    if not (lake / "gold").is_dir():
        shutil.rmtree(lake, ignore_errors=True)
        run("ingest", str(history), "--lake", str(lake), cwd=lake.parent)
        run("build", "--lake", str(lake), cwd=lake.parent)
    return lake


def linked_copy(batch: Path, to: Path) -> None:
    """A landing batch at ``to`` whose files are hard links (landing refuses symbolic links)."""
    shutil.copytree(batch, to, copy_function=os.link)


def gold(lake: Path) -> dict[str, pl.DataFrame]:
    """Every gold table of the lake's latest snapshot (state included), the outbox excepted."""
    from loyalty_lake.gold.models import SNAPSHOT_MODELS
    from loyalty_lake.io import catalog

    snapshot = catalog.gold_snapshot(lake)
    return {
        name: snapshot.scan(name).collect()
        for name in SNAPSHOT_MODELS
        if name in snapshot.versions and name not in NOT_COMPARED
    }


def differences(left: dict[str, pl.DataFrame], right: dict[str, pl.DataFrame]) -> list[str]:
    """The tables whose rows differ (in any order)."""
    different = []
    for name in sorted(left.keys() | right.keys()):
        a, b = left.get(name), right.get(name)
        if a is None or b is None or a.schema != b.schema or a.height != b.height:
            different.append(name)
            continue
        keys = [c for c, t in a.schema.items() if not isinstance(t, pl.List)]
        if not a.sort(keys, nulls_last=True).equals(b.sort(keys, nulls_last=True)):
            different.append(name)
    return different


def nightly(lines: int, work: Path) -> dict[str, Run | int]:
    """Full rebuild, one day, and full gold on ``lines`` lines of history plus a day."""
    history, day = landing(lines)
    both = work / "both"
    both.mkdir(parents=True)
    for batch in (history, day):
        linked_copy(batch, both / batch.name)
    print(f"{lines:,} lines: full rebuild", flush=True)
    full = run("build", str(both), "--lake", str(work / "full"), cwd=work)
    night = work / "night"
    shutil.copytree(history_lake(lines, history), night, symlinks=True)
    print(f"{lines:,} lines: one day (ingest + build)", flush=True)
    ingest = run("ingest", str(day), "--lake", str(night), cwd=work)
    build = run("build", "--lake", str(night), cwd=work)
    different = differences(gold(night), gold(work / "full"))
    if different:
        raise SystemExit(f"Gold differs at {lines:,} lines: {', '.join(different)}")
    print(f"{lines:,} lines: full gold (build --full)", flush=True)
    full_gold = run("build", "--full", "--lake", str(night), cwd=work)
    return {"full": full, "ingest": ingest, "build": build, "full_gold": full_gold}


def report(nights: dict[int, dict[str, Run]], memory: dict[int, Run]) -> str:
    """The markdown report."""
    out = [
        "# Nightly batches: incremental against full",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; "
        "`python -m benchmarks.incremental`. Each command ran in its own process; "
        "peak RSS is that process's. Gold of the one-day lake and of the full rebuild "
        "were identical, table by table.",
        "",
        "| history lines | full rebuild s | peak RSS MiB | one day: ingest s | build s "
        "| ingest + build s | peak RSS MiB | speed-up | full gold s |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lines, runs in nights.items():
        full, ingest, build, full_gold = (
            runs["full"],
            runs["ingest"],
            runs["build"],
            runs["full_gold"],
        )
        day = ingest.seconds + build.seconds
        out.append(
            f"| {lines:,} | {full.seconds:.1f} | {full.peak_rss_mib:,.0f} | {ingest.seconds:.1f} "
            f"| {build.seconds:.1f} | {day:.1f} "
            f"| {max(ingest.peak_rss_mib, build.peak_rss_mib):,.0f} | {full.seconds / day:.1f}× "
            f"| {full_gold.seconds:.1f} |"
        )
    if memory:
        out += [
            "",
            "Full builds, for memory:",
            "",
            "| lines | full build s | peak RSS MiB |",
            "|---:|---:|---:|",
        ]
        out += [f"| {n:,} | {r.seconds:.1f} | {r.peak_rss_mib:,.0f} |" for n, r in memory.items()]
    return "\n".join(out) + "\n"


def sizes(text: str) -> list[int]:
    return [int(float(s)) for s in text.split(",") if s]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", default="3e6", help="history sizes, comma-separated")
    parser.add_argument("--memory", default="", help="sizes of full builds for peak RSS only")
    args = parser.parse_args()
    work_root = DATA / "incremental-work"
    nights: dict[int, dict[str, Run]] = {}
    memory: dict[int, Run] = {}
    for lines in sizes(args.lines):
        shutil.rmtree(work_root, ignore_errors=True)
        nights[lines] = nightly(lines, work_root)  # type: ignore[assignment]
    for lines in sizes(args.memory):
        shutil.rmtree(work_root, ignore_errors=True)
        history, day = landing(lines)
        for batch in (history, day):
            linked_copy(batch, work_root / "landing" / batch.name)
        print(f"{lines:,} lines: full build for memory", flush=True)
        memory[lines] = run(
            "build", str(work_root / "landing"), "--lake", str(work_root / "lake"), cwd=work_root
        )
    shutil.rmtree(work_root, ignore_errors=True)
    text = report(nights, memory)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "incremental.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
