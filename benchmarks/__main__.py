"""Benchmarks, measured side by side in one run.

    python -m benchmarks --lines 1e6,1e7 --repeat 3          # end to end (the default)
    python -m benchmarks ingest --lines 1e6,1e7 --repeat 3
    python -m benchmarks silver --lines 1e6,1e7 --repeat 3
    python -m benchmarks points --lines 1e6,1e7 --repeat 3
    python -m benchmarks duckdb --lines 1e6,1e7 --repeat 3

``e2e`` (default): the whole flow with loyalty_lake, pandas and DuckDB on the
same generated batch, results checked identical, against reading the CSVs once
with polars (see ``benchmarks/e2e.py``); writes ``results/e2e.md`` and ``e2e.png``.
``ingest``: synthetic data generation and bronze ingestion throughput, with
the time polars takes simply to read the same CSV files (the floor).
``silver``: the silver build (types, every data quality rule, rejects,
warnings, writes, conservation) of a freshly landed batch, with the time to
read the same bronze tables in full (the floor).
``points``: the gold build (points ledger with expiry and redemption
verdicts, balances, tiers, dq summary) on a built silver lake, with the time to
read the silver tables it uses in full (the floor).
``duckdb``: RFM and segments (the global part of customer_details, given the
points balances) with loyalty_lake and with the equivalent DuckDB SQL query
over the same silver and gold data, results checked equal (see
``benchmarks/gold_duckdb.py``).
Generated data is cached in ``benchmarks/data/``; results go to
``benchmarks/results/<suite>.md``.
"""

from __future__ import annotations

import argparse
import statistics
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._harness import DATA, RESULTS, Measurement, machine, measure, run_in_child
from benchmarks.e2e import e2e_suite


def _sizes(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",")]


def _report(title: str, intro: str, floor_name: str, rows: list[list[Measurement]]) -> str:
    """A Markdown report: one table row per measurement, with its ratio to the last (the floor)."""
    out = [
        f"# {title}",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; {intro}",
        "",
        f"| sales lines | step | seconds | rows/s | peak RSS (MiB) | × {floor_name} |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for group in rows:
        floor = group[-1]
        out += [
            f"| {m.lines:,} | {m.name} | {m.seconds:.2f} | {m.rows_per_second:,.0f} | "
            f"{m.peak_rss_mib:,.0f} | {m.seconds / floor.seconds:.2f} |"
            for m in group
        ]
    return "\n".join(out) + "\n"


def ingest_suite(sizes: list[int], repeat: int) -> str:
    rows = []
    for lines in sizes:
        folder = DATA / f"generated-{lines}"
        gen = measure("generate", lines, "generate", str(folder), str(lines), repeat=1)
        (batch,) = [p for p in folder.iterdir() if p.is_dir()]
        lake = DATA / f"lake-{lines}"
        ing = measure("ingest", lines, "ingest", str(batch), str(lake), repeat=repeat)
        floor = measure("read_csv", lines, "read_csv_floor", str(batch), repeat=repeat)
        rows.append([gen, ing, floor])
        print(
            f"{lines:,} lines: generate {gen.seconds:.1f}s, ingest {ing.seconds:.1f}s, "
            f"polars read {floor.seconds:.1f}s"
        )
    intro = (
        f"median of {repeat} runs (generation: 1 run), each in its own process. "
        "Rows = all rows of all files of the batch."
    )
    return _report("Generation and bronze ingestion", intro, "polars read", rows)


def _dataset(lines: int) -> tuple[Path, Path]:
    """The cached generated batch and bronze lake for ``lines`` sales lines."""
    folder = DATA / f"generated-{lines}"
    if not folder.is_dir():
        measure("generate", lines, "generate", str(folder), str(lines), repeat=1)
    (batch,) = [p for p in folder.iterdir() if p.is_dir()]
    bronze = DATA / f"bronze-{lines}"
    if not bronze.is_dir():
        measure("ingest", lines, "ingest", str(batch), str(bronze), "keep", repeat=1)
    return batch, bronze


def silver_suite(sizes: list[int], repeat: int) -> str:
    rows = []
    for lines in sizes:
        _, bronze = _dataset(lines)
        work = DATA / f"silver-{lines}"
        built = measure("silver", lines, "silver", str(bronze), str(work), repeat=repeat)
        floor = measure("scan bronze", lines, "scan_bronze_floor", str(bronze), repeat=repeat)
        rows.append([built, floor])
        print(f"{lines:,} lines: silver {built.seconds:.1f}s, bronze scan {floor.seconds:.1f}s")
    intro = (
        f"median of {repeat} runs, each in its own process, on a freshly landed "
        "single-batch lake (default anomaly rates). Rows = bronze rows of all nine tables."
    )
    return _report("Silver build", intro, "bronze scan", rows)


def points_suite(sizes: list[int], repeat: int) -> str:
    rows = []
    for lines in sizes:
        _, bronze = _dataset(lines)
        template = DATA / f"silver-lake-{lines}"
        if not template.is_dir():
            measure("silver", lines, "silver_template", str(bronze), str(template), repeat=1)
        work = DATA / f"gold-{lines}"
        built = measure("points", lines, "gold_points", str(template), str(work), repeat=repeat)
        floor = measure(
            "scan silver inputs", lines, "scan_points_inputs_floor", str(template), repeat=repeat
        )
        rows.append([built, floor])
        print(f"{lines:,} lines: points {built.seconds:.1f}s, silver scan {floor.seconds:.1f}s")
    intro = (
        f"median of {repeat} runs, each in its own process, on a built silver lake "
        "(single batch, default anomaly rates). Rows: ledger rows written (points); "
        "rows read (floor)."
    )
    return _report("Points engine (gold build)", intro, "silver scan", rows)


def _gold_lake(lines: int) -> Path:
    """The cached lake with silver and gold built for ``lines`` sales lines."""
    _, bronze = _dataset(lines)
    template = DATA / f"silver-lake-{lines}"
    if not template.is_dir():
        measure("silver", lines, "silver_template", str(bronze), str(template), repeat=1)
    lake = DATA / f"gold-lake-{lines}"
    if not lake.is_dir():
        measure("gold", lines, "gold_template", str(template), str(lake), repeat=1)
    return lake


#: The RFM variants of the duckdb suite, in report order: (name, task, inputs), grouped by
#: the row each group's ratio is taken to (the last). ``inputs=None``: the read alone.
RFM_VARIANTS: list[list[tuple[str, str, str | None]]] = [
    [
        ("loyalty_lake (reads Delta)", "rfm_loyalty_lake", "delta"),
        ("DuckDB (read_parquet of the Delta files)", "rfm_duckdb", "parquet"),
        ("polars read of the inputs", "rfm_inputs_floor", None),
        ("DuckDB (polars → Arrow)", "rfm_duckdb", "arrow"),
    ],
    [
        ("loyalty_lake, inputs in memory", "rfm_loyalty_lake", "memory"),
        ("DuckDB, inputs in memory", "rfm_duckdb", "memory"),
    ],
]


def duckdb_suite(sizes: list[int], repeat: int) -> str:
    """RFM and segments, loyalty_lake and DuckDB, in interleaved rounds, results checked equal.

    Each round runs every variant once (each in its own process), so that a
    change in the machine's load touches all of them alike; after each round
    every variant's result must equal the others'.
    """
    from benchmarks.gold_duckdb import check_equal

    rows = []
    for lines in sizes:
        lake = _gold_lake(lines)
        results = DATA / f"duckdb-{lines}"
        results.mkdir(exist_ok=True)
        runs: dict[str, list[dict]] = {}
        customers = 0
        for _ in range(repeat):
            outs = []
            for name, task, inputs in (v for group in RFM_VARIANTS for v in group):
                args = [str(lake)]
                if inputs is not None:
                    outs.append(results / f"{task}-{inputs}.parquet")
                    outs[-1].unlink(missing_ok=True)
                    args += [inputs, str(outs[-1])]
                runs.setdefault(name, []).append(run_in_child(task, *args))
            customers = check_equal(outs)
        measured = {
            name: Measurement(
                name=name,
                lines=lines,
                seconds=statistics.median(r["seconds"] for r in done),
                peak_rss_mib=max(r["peak_rss_mib"] for r in done),
                rows=done[0]["rows"],
            )
            for name, done in runs.items()
        }
        rows += [[measured[name] for name, _, _ in group] for group in RFM_VARIANTS]
        print(
            f"{lines:,} lines ({customers:,} customers, all results equal): "
            + ", ".join(f"{m.name} {m.seconds:.2f}s" for m in measured.values())
        )
    intro = (
        f"median of {repeat} runs, each in its own process, on a built silver and gold lake "
        "(single batch, default anomaly rates). The step: RFM and segments of every customer "
        "with a clean transaction, given the points balances (sum of the points ledger); "
        "the variants run in interleaved rounds, and after each round every variant's result "
        "was checked equal to the others' (customer_id, recency_days, frequency, monetary, "
        "balance, r/f/m scores, rfm_segment, is_high_spender, is_at_risk, segment). "
        "Rows: sales headers + ledger rows read. × DuckDB: ratio to the last row of each "
        "group: DuckDB on inputs read by polars into Arrow (read timed) for the first four "
        "rows, DuckDB on inputs already in memory (compute only) for the last two."
    )
    return _report("RFM and segments: loyalty_lake and DuckDB", intro, "DuckDB", rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "suite", nargs="?", default="e2e", choices=["e2e", "ingest", "silver", "points", "duckdb"]
    )
    parser.add_argument("--lines", default="1e6,1e7", help="comma-separated sizes, e.g. 1e6,1e7")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suite = {
        "e2e": e2e_suite,
        "ingest": ingest_suite,
        "silver": silver_suite,
        "points": points_suite,
        "duckdb": duckdb_suite,
    }[args.suite]
    report = suite(_sizes(args.lines), args.repeat)
    (RESULTS / f"{args.suite}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
