"""End to end: loyalty_lake against pandas and DuckDB on the same landing batch.

Five implementations, each run in its own process, in interleaved rounds:

(a) loyalty_lake: the full build, landing CSV → bronze → silver → gold → export;
(a') loyalty_lake's transforms in memory (``benchmarks/e2e_engine.py``): the peers'
     work (read, every check, points, RFM, segments, one result file) with the
     library's own functions, nothing else written;
(b) pandas (``benchmarks/e2e_pandas.py``): read the CSVs, the same checks, points, RFM, segments;
(c) DuckDB SQL (``benchmarks/e2e_duckdb.py``): the same in one in-memory database;
(d) the floor: reading the input CSVs once with polars.

After every round the customer results of (a), (a'), (b) and (c) (points
balance, recency, frequency, monetary, R/F/M scores, RFM segment and segment of
every customer) must be identical, or the benchmark stops.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import polars as pl

from benchmarks._harness import DATA, RESULTS, machine, measure, run_in_child
from benchmarks.customers import check_equal

if TYPE_CHECKING:
    from pathlib import Path

#: (name, task) of the implementations, in report order; the floor last.
IMPLEMENTATIONS = (
    ("loyalty_lake", "e2e_loyalty_lake"),
    ("loyalty_lake transforms, in memory", "e2e_engine"),
    ("pandas", "e2e_pandas"),
    ("DuckDB", "e2e_duckdb"),
    ("polars CSV read (floor)", "read_csv_floor"),
)
PHASES = ("read", "clean", "gold")


@dataclass(frozen=True)
class Result:
    """The median run of one implementation on one dataset."""

    name: str
    lines: int
    seconds: float
    peak_rss_mib: float
    phases: dict[str, float]

    @property
    def silver_to_gold(self) -> float:
        """Seconds from typed, checked data to gold: the clean and gold phases."""
        return self.phases.get("clean", float("nan")) + self.phases.get("gold", float("nan"))


def dataset(lines: int) -> Path:
    """The cached generated batch of ``lines`` sales lines (default anomaly rates, seed 42)."""
    folder = DATA / f"generated-{lines}"
    if not folder.is_dir():
        measure("generate", lines, "generate", str(folder), str(lines), repeat=1)
    (batch,) = [p for p in folder.iterdir() if p.is_dir()]
    return batch


def run_size(lines: int, repeat: int) -> tuple[list[Result], int]:
    """Every implementation ``repeat`` times on one dataset; results checked equal each round."""
    batch = dataset(lines)
    work = DATA / f"e2e-{lines}"
    work.mkdir(exist_ok=True)
    runs: dict[str, list[dict]] = {name: [] for name, _ in IMPLEMENTATIONS}
    customers = 0
    for round_ in range(repeat):
        outs: dict[str, Path] = {}
        for name, task in IMPLEMENTATIONS:
            if task == "read_csv_floor":
                args = [str(batch), "lines"]
            else:
                outs[name] = work / f"{task}.parquet"
                outs[name].unlink(missing_ok=True)
                args = [str(batch), str(outs[name])]
                if task == "e2e_loyalty_lake":
                    args.insert(1, str(work / "lake"))
            runs[name].append(run_in_child(task, *args))
            print(f"  {lines:,} lines, round {round_ + 1}: {name} {runs[name][-1]['seconds']:.1f}s")
        customers = check_equal({name: pl.read_parquet(path) for name, path in outs.items()})
    results = []
    for name, done in runs.items():
        median = sorted(done, key=lambda r: r["seconds"])[len(done) // 2]
        results.append(
            Result(
                name=name,
                lines=lines,
                seconds=statistics.median(r["seconds"] for r in done),
                peak_rss_mib=max(r["peak_rss_mib"] for r in done),
                phases=median.get("phases", {}),
            )
        )
    return results, customers


def report(results: list[list[Result]], customers: dict[int, int], repeat: int) -> str:
    """The Markdown report: every implementation's figures, then the ratios per size."""
    out = [
        "# End to end: loyalty_lake, pandas and DuckDB",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}; median of {repeat} "
        "run(s), each implementation in its own process, in interleaved rounds; peak RSS is "
        "the largest of the runs. One generated batch per size (default anomaly rates). "
        "After every round the customer results of loyalty_lake (both variants), pandas and "
        "DuckDB were identical (points balance, recency, frequency, monetary, R/F/M scores, "
        "RFM segment, segment of every customer). Phases: read = landing (loyalty_lake: bronze "
        "ingestion; the others: reading the CSVs), clean = types and data quality checks "
        "(loyalty_lake: the silver build, with writes), gold = points, RFM, segments "
        "(loyalty_lake: every gold table, with writes and the export).",
        "",
        "| sales lines | implementation | seconds | lines/s | peak RSS (MiB) "
        "| read | clean | gold |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for group in results:
        for r in group:
            phases = [f"{r.phases[p]:.1f}" if p in r.phases else "" for p in PHASES]
            out.append(
                f"| {r.lines:,} | {r.name} | {r.seconds:.2f} | {r.lines / r.seconds:,.0f} | "
                f"{r.peak_rss_mib:,.0f} | " + " | ".join(phases) + " |"
            )
    out += [
        "",
        "Ratios of wall time (a = loyalty_lake's full build, a' = its transforms in memory, "
        "b = pandas, c = DuckDB, d = the CSV read); below 1 means loyalty_lake is faster. "
        "The silver → gold step: the clean + gold phases, loyalty_lake's against DuckDB's.",
        "",
        "| sales lines | customers | a/b | a/c | a/d | a'/b | a'/c "
        "| silver → gold, a/c | silver → gold, a'/c |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for group in results:
        a, engine, b, c, d = group
        out.append(
            f"| {a.lines:,} | {customers[a.lines]:,} | {a.seconds / b.seconds:.2f} | "
            f"{a.seconds / c.seconds:.2f} | {a.seconds / d.seconds:.2f} | "
            f"{engine.seconds / b.seconds:.2f} | {engine.seconds / c.seconds:.2f} | "
            f"{a.silver_to_gold / c.silver_to_gold:.2f} | "
            f"{engine.silver_to_gold / c.silver_to_gold:.2f} |"
        )
    return "\n".join(out) + "\n"


def chart(results: list[list[Result]], path: Path) -> None:
    """Wall time and peak RSS per size and implementation, as a PNG."""
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [group[0].lines for group in results]
    names = [r.name for r in results[0]]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(sizes))]
        for ax, value in zip(axes, ("seconds", "peak_rss_mib"), strict=True):
            values = [getattr(group[i], value) for group in results]
            ax.bar(xs, values, width, label=name)
    labels = [f"{s / 1e6:g}M" for s in sizes]
    for ax, title in zip(axes, ("Wall time (s, log)", "Peak RSS (MiB)"), strict=True):
        ax.set_xticks(range(len(sizes)), labels)
        ax.set_xlabel("sales lines")
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_yscale("log")
    axes[1].legend(fontsize=8)
    fig.suptitle("loyalty_lake end to end against pandas and DuckDB (same results)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def e2e_suite(sizes: list[int], repeat: int) -> str:
    """Run every size; write the chart; return the Markdown report."""
    results, customers = [], {}
    for lines in sizes:
        group, customers[lines] = run_size(lines, repeat)
        results.append(group)
        print(
            f"{lines:,} lines ({customers[lines]:,} customers, results equal): "
            + ", ".join(f"{r.name} {r.seconds:.1f}s" for r in group)
        )
    chart(results, RESULTS / "e2e.png")
    return report(results, customers, repeat) + "\n![End to end](e2e.png)\n"


__all__ = ["e2e_suite"]
