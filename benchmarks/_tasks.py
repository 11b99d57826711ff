"""Benchmark tasks, each run in its own process by the harness.

Every task prints one JSON line: seconds, peak_rss_mib, rows.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Callable


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _report(
    seconds: float, rows: int, *, phases: dict[str, float] | None = None, peak: float | None = None
) -> None:
    peak = peak if peak is not None else _peak_rss_mib()
    line = {"seconds": seconds, "peak_rss_mib": peak, "rows": rows, "phases": phases or {}}
    print(json.dumps(line))


def _sales_lines(batch: str) -> int:
    """The number of data rows of the batch's sales_lines.csv (the size of a dataset)."""
    return (
        pl.scan_csv(Path(batch) / "sales_lines.csv", infer_schema=False)
        .select(pl.len())
        .collect()
        .item()
    )


def e2e_loyalty_lake(batch: str, lake: str, out: str) -> None:
    """The whole build (landing → bronze → silver → gold → export), as ``build`` runs it."""
    from benchmarks.customers import from_lake
    from loyalty_lake import Lake, ingest
    from loyalty_lake.config import load_config
    from loyalty_lake.pipeline import build_gold, build_silver

    shutil.rmtree(lake, ignore_errors=True)
    target, config = Lake(Path(lake)), load_config(env={})
    start = time.perf_counter()
    ingest(batch, lake=target, run_id="bench")
    landed = time.perf_counter()
    build_silver(lake=target, config=config, run_id="bench")
    checked = time.perf_counter()
    build_gold(lake=target, config=config, run_id="bench")
    done = time.perf_counter()
    peak = _peak_rss_mib()
    from_lake(target.root).write_parquet(out)  # the compared result, not timed
    shutil.rmtree(lake, ignore_errors=True)
    phases = {"read": landed - start, "clean": checked - landed, "gold": done - checked}
    _report(done - start, _sales_lines(batch), phases=phases, peak=peak)


def e2e_pandas(batch: str, out: str) -> None:
    """The pandas implementation (``benchmarks/e2e_pandas.py``)."""
    from benchmarks import e2e_pandas as implementation

    _e2e_peer(implementation.run, batch, out)


def e2e_engine(batch: str, out: str) -> None:
    """loyalty_lake's transforms in memory (``benchmarks/e2e_engine.py``)."""
    from benchmarks import e2e_engine as implementation

    _e2e_peer(implementation.run, batch, out)


def e2e_duckdb(batch: str, out: str) -> None:
    """The DuckDB implementation (``benchmarks/e2e_duckdb.py``)."""
    from benchmarks import e2e_duckdb as implementation

    _e2e_peer(implementation.run, batch, out)


def _e2e_peer(run: Callable[[Path, Path], dict[str, float]], batch: str, out: str) -> None:
    start = time.perf_counter()
    phases = run(Path(batch), Path(out))
    seconds = time.perf_counter() - start
    phases = {k: v for k, v in phases.items() if k in ("read", "clean", "gold", "write")}
    _report(seconds, _sales_lines(batch), phases=phases)


def generate(out: str, lines: str) -> None:
    from loyalty_lake import GeneratorOptions, generate

    target = Path(out)
    shutil.rmtree(target, ignore_errors=True)
    start = time.perf_counter()
    dataset = generate(target, GeneratorOptions(lines=int(lines)))
    seconds = time.perf_counter() - start
    _report(seconds, sum(sum(b.rows.values()) for b in dataset.batches))


def ingest(batch: str, lake: str, keep: str = "") -> None:
    from loyalty_lake import Lake, ingest

    shutil.rmtree(lake, ignore_errors=True)
    start = time.perf_counter()
    report = ingest(batch, lake=Lake(Path(lake)))
    seconds = time.perf_counter() - start
    _report(seconds, report.rows_landed)
    if not keep:
        shutil.rmtree(lake, ignore_errors=True)


def silver(template: str, lake: str) -> None:
    """Build silver on a fresh copy of a bronze-only lake (the copy is not timed)."""
    from loyalty_lake import Lake
    from loyalty_lake.config import load_config
    from loyalty_lake.pipeline import build_silver

    shutil.rmtree(lake, ignore_errors=True)
    shutil.copytree(template, lake)
    start = time.perf_counter()
    report = build_silver(lake=Lake(Path(lake)), config=load_config(env={}), run_id="bench")
    seconds = time.perf_counter() - start
    _report(seconds, sum(t.bronze_rows for t in report.tables))
    shutil.rmtree(lake, ignore_errors=True)


def silver_template(bronze: str, lake: str) -> None:
    """Build silver once into ``lake`` from a bronze-only lake (not a measurement)."""
    from loyalty_lake import Lake
    from loyalty_lake.config import load_config
    from loyalty_lake.pipeline import build_silver

    shutil.copytree(bronze, lake)
    start = time.perf_counter()
    report = build_silver(lake=Lake(Path(lake)), config=load_config(env={}), run_id="bench")
    _report(time.perf_counter() - start, sum(t.bronze_rows for t in report.tables))


def gold_points(template: str, lake: str) -> None:
    """Points ledger, balances and tiers (build_gold) on a copy of a silver lake."""
    from loyalty_lake import Lake
    from loyalty_lake.config import load_config
    from loyalty_lake.pipeline import build_gold

    shutil.rmtree(lake, ignore_errors=True)
    shutil.copytree(template, lake)
    start = time.perf_counter()
    report = build_gold(lake=Lake(Path(lake)), config=load_config(env={}), run_id="bench")
    seconds = time.perf_counter() - start
    _report(seconds, report.tables.get("points_ledger", 0))
    shutil.rmtree(lake, ignore_errors=True)


def scan_points_inputs_floor(template: str) -> None:
    """Read the silver tables the points engine uses, in full: its floor."""
    from loyalty_lake import Lake, scan

    lake = Lake(Path(template))
    names = ("sales_header", "sales_lines", "redemptions", "products", "promotions", "customers")
    start = time.perf_counter()
    rows = sum(scan(lake, "silver", n).collect(engine="streaming").height for n in names)
    _report(time.perf_counter() - start, rows)


def scan_bronze_floor(template: str) -> None:
    """Read every bronze table of a lake in full: the floor for silver."""
    from loyalty_lake import Lake, scan
    from loyalty_lake.landing.contract import LANDING_FILES

    lake = Lake(Path(template))
    start = time.perf_counter()
    rows = sum(
        scan(lake, "bronze", name).collect(engine="streaming").height
        for name in LANDING_FILES
        if lake.table("bronze", name).is_dir()
    )
    _report(time.perf_counter() - start, rows)


def read_csv_floor(batch: str, rows: str = "all") -> None:
    """Read every CSV file of the batch once with polars (as text): the floor.

    ``rows``: ``all`` reports all rows read, ``lines`` the batch's sales lines.
    """
    start = time.perf_counter()
    read = 0
    for path in sorted(Path(batch).glob("[!_]*.csv")):
        read += pl.read_csv(path, infer_schema=False).height
    seconds = time.perf_counter() - start
    _report(seconds, _sales_lines(batch) if rows == "lines" else read)


def gold_template(template: str, lake: str) -> None:
    """Build gold once into ``lake`` from a copy of a silver lake (not a measurement)."""
    from loyalty_lake import Lake
    from loyalty_lake.config import load_config
    from loyalty_lake.pipeline import build_gold

    shutil.rmtree(lake, ignore_errors=True)
    shutil.copytree(template, lake)
    start = time.perf_counter()
    report = build_gold(lake=Lake(Path(lake)), config=load_config(env={}), run_id="bench")
    _report(time.perf_counter() - start, report.tables.get("points_ledger", 0))


def rfm_loyalty_lake(lake: str, inputs: str, out: str) -> None:
    """RFM and segments with loyalty_lake; ``inputs``: ``delta`` (read timed) or ``memory``."""
    from benchmarks import gold_duckdb

    _report(*gold_duckdb.run_loyalty_lake(Path(lake), inputs=inputs, out=Path(out)))


def rfm_duckdb(lake: str, inputs: str, out: str) -> None:
    """The same with DuckDB SQL; ``inputs``: ``parquet``, ``arrow`` (read timed) or ``memory``."""
    from benchmarks import gold_duckdb

    _report(*gold_duckdb.run_duckdb(Path(lake), inputs=inputs, out=Path(out)))


def rfm_inputs_floor(lake: str) -> None:
    """Read the columns RFM uses (silver sales headers, gold points ledger) with polars."""
    from benchmarks import gold_duckdb

    start = time.perf_counter()
    frames = gold_duckdb.read_inputs(Path(lake))
    _report(time.perf_counter() - start, sum(f.height for f in frames.values()))


if __name__ == "__main__":
    task, *args = sys.argv[1:]
    tasks = {
        "generate": generate,
        "ingest": ingest,
        "read_csv_floor": read_csv_floor,
        "e2e_loyalty_lake": e2e_loyalty_lake,
        "e2e_engine": e2e_engine,
        "e2e_pandas": e2e_pandas,
        "e2e_duckdb": e2e_duckdb,
        "silver": silver,
        "scan_bronze_floor": scan_bronze_floor,
        "silver_template": silver_template,
        "gold_points": gold_points,
        "scan_points_inputs_floor": scan_points_inputs_floor,
        "gold_template": gold_template,
        "rfm_loyalty_lake": rfm_loyalty_lake,
        "rfm_duckdb": rfm_duckdb,
        "rfm_inputs_floor": rfm_inputs_floor,
    }
    tasks[task](*args)
