"""Benchmarks, measured side by side in one run.

    python -m benchmarks ingest --lines 1e6,1e7 --repeat 3

``ingest``: synthetic data generation and bronze ingestion throughput, with
the time polars takes simply to read the same CSV files (the floor).
Results go to ``benchmarks/results/<suite>.md``.
"""

from __future__ import annotations

import argparse
import shutil
from datetime import UTC, datetime

from benchmarks._harness import DATA, RESULTS, Measurement, machine, measure


def _sizes(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",")]


def ingest_suite(sizes: list[int], repeat: int) -> str:
    rows: list[tuple[Measurement, Measurement, Measurement]] = []
    for lines in sizes:
        folder = DATA / f"generated-{lines}"
        gen = measure("generate", lines, "generate", str(folder), str(lines), repeat=1)
        (batch,) = [p for p in folder.iterdir() if p.is_dir()]
        lake = DATA / f"lake-{lines}"
        ing = measure("ingest", lines, "ingest", str(batch), str(lake), repeat=repeat)
        floor = measure("read_csv", lines, "read_csv_floor", str(batch), repeat=repeat)
        shutil.rmtree(lake, ignore_errors=True)
        rows.append((gen, ing, floor))
        print(
            f"{lines:,} lines: generate {gen.seconds:.1f}s, ingest {ing.seconds:.1f}s, "
            f"polars read {floor.seconds:.1f}s"
        )
    out = [
        "# Generation and bronze ingestion",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; median of {repeat} "
        "runs (generation: 1 run), each in its own process. Rows = all rows of all files "
        "of the batch.",
        "",
        "| sales lines | step | seconds | rows/s | peak RSS (MiB) | × polars read |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for gen, ing, floor in rows:
        for m in (gen, ing, floor):
            out.append(
                f"| {m.lines:,} | {m.name} | {m.seconds:.2f} | {m.rows_per_second:,.0f} | "
                f"{m.peak_rss_mib:,.0f} | {m.seconds / floor.seconds:.2f} |"
            )
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("suite", choices=["ingest"])
    parser.add_argument("--lines", default="1e6,1e7", help="comma-separated sizes, e.g. 1e6,1e7")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = ingest_suite(_sizes(args.lines), args.repeat)
    (RESULTS / f"{args.suite}.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
