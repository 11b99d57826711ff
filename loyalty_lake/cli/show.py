"""What the commands print: reports as tables and lines, every data value shown inert."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from loyalty_lake.cli.terminal import console, shown, shown_lines
from loyalty_lake.codes import FileStatus
from loyalty_lake.io import catalog
from loyalty_lake.pipeline.inspect import id_rewrites_toml
from loyalty_lake.privacy import printable

if TYPE_CHECKING:
    import polars as pl

    from loyalty_lake.io.lake import Lake
    from loyalty_lake.pipeline import BuildReport, DqReport, IngestReport, TableStatus


def print_ingest(report: IngestReport) -> None:
    """One batch's landing: every file, its status, rows and why it was refused."""
    table = Table(title=f"Batch {shown(report.batch_id)}")
    for column in ("file", "table", "status", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    table.add_column("detail", overflow="fold")
    colours = {FileStatus.LANDED: "green", FileStatus.REJECTED: "red"}
    for f in report.files:
        colour = colours.get(f.status, "dim")
        table.add_row(
            shown(f.source_file),
            shown(f.table or ""),
            f"[{colour}]{f.status.value}[/]",
            f"{f.rows:,}" if f.status is FileStatus.LANDED else "",
            shown_lines(f.message or ""),
        )
    console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/] {shown(warning)}")


def print_build(report: BuildReport, lake: Lake) -> None:
    """A build's report: landing, silver, points and segments."""
    print_landing(report)
    print_silver(report)
    print_points(report)
    print_segments(report, lake)


def print_segments(report: BuildReport, lake: Lake) -> None:
    """The segment summary of the gold tables the build published."""
    if report.gold is None or "segment_summary" not in report.gold.tables:
        return
    summary = catalog.scan(lake, "gold", "segment_summary").collect().sort("segment")
    table = Table(title=f"Segments as of {report.gold.as_of}")
    for column in ("segment", "customers", "share", "revenue", "average points"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for row in summary.rows(named=True):
        table.add_row(
            shown(row["segment"]),
            f"{row['customers']:,}",
            f"{row['share_pct']:.1f} %",
            f"{row['revenue']:,.2f}",
            f"{row['average_points'] or 0:,.0f}",
        )
    console.print(table)
    console.print(f"BI export: {len(report.gold.exported)} Parquet files in {shown(lake.export)}")


def print_points(report: BuildReport) -> None:
    """The points totals and the outstanding liability."""
    if report.gold is None or not report.gold.points:
        return
    p = report.gold.points
    console.print(
        f"Points as of {report.gold.as_of}: issued {p['issued']:,}, reversed {p['reversed']:,}, "
        f"redeemed {p['redeemed']:,}, expired {p['expired']:,}; "
        f"[bold]outstanding liability {p['outstanding']:,} points[/]."
    )


def print_landing(report: BuildReport) -> None:
    """Landing per batch, then every refused file and batch with its reason."""
    if not report.ingests and not report.refused_batches:
        console.print(
            "No landing batches found. Put batch folders of CSV files in <lake>/landing/ "
            "(or pass a folder to build), or run `loyalty-lake demo`."
        )
        return
    table = Table(title=f"Build {report.run_id[:8]}: landing → bronze")
    for column in ("batch", "landed", "already landed", "rejected", "new rows"):
        table.add_column(column, justify="left" if column == "batch" else "right")
    for r in report.ingests:
        table.add_row(
            shown(r.batch_id),
            str(r.count(FileStatus.LANDED)),
            str(r.count(FileStatus.ALREADY_LANDED)),
            f"[red]{n}[/]" if (n := r.count(FileStatus.REJECTED)) else "0",
            f"{r.rows_landed:,}",
        )
    console.print(table)
    for r in report.ingests:
        for f in r.files:
            if f.status is FileStatus.REJECTED:
                console.print(
                    f"[red]Rejected[/] {shown(r.batch_id)}/{shown(f.source_file)}: "
                    f"{shown_lines(f.message or '')}"
                )
        for warning in r.warnings:
            console.print(f"[yellow]Warning:[/] {shown(warning)}")
    for refused in report.refused_batches:
        console.print(
            f"[red]Refused batch[/] {shown(refused.batch)}: {shown_lines(refused.message)}"
        )


def print_silver(report: BuildReport) -> None:
    """Silver per table: bronze rows, accepted, rejected, warned."""
    if report.silver is None or not report.silver.tables:
        return
    table = Table(title="bronze → silver")
    for column in ("table", "bronze rows", "accepted", "rejected", "warned"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for t in report.silver.tables:
        table.add_row(
            shown(t.table),
            f"{t.bronze_rows:,}",
            f"{t.accepted:,}",
            f"[red]{t.rejected:,}[/]" if t.rejected else "0",
            f"[yellow]{t.warned:,}[/]" if t.warned else "0",
        )
    console.print(table)
    if report.silver.reprocessed:
        console.print(f"Reprocessing promoted {report.silver.reprocessed:,} earlier reject(s).")
    console.print("Every bronze row is in silver or in rejects. See `loyalty-lake dq` for details.")


def print_dq(report: DqReport) -> None:
    """The data quality report: rows by table and reason, examples, conservation."""
    if report.summary.is_empty():
        console.print("No rejects or warnings.")
    else:
        table = Table(title="Data quality: rows by table and reason")
        for column in ("table", "reason", "severity", "rows", "still open"):
            table.add_column(
                column, justify="right" if column in {"rows", "still open"} else "left"
            )
        for row in report.summary.rows(named=True):
            colour = "red" if row["severity"] == "reject" else "yellow"
            table.add_row(
                shown(row["table"]),
                shown(row["reason"]),
                f"[{colour}]{shown(row['severity'])}[/]",
                f"{row['rows']:,}",
                f"{row['open_rows']:,}",
            )
        console.print(table)
    if not report.examples.is_empty():
        console.print("[bold]Example rejected rows[/]")
        for row in report.examples.rows(named=True):  # masked by dq_report
            console.print(
                f"  [red]{shown(', '.join(row['reason_codes']))}[/] {shown(row['batch_id'])}/"
                f"{shown(row['source_file'])} row {row['row_number']}: {shown(row['message'])}"
            )
            raw = printable(row["raw_values"])
            console.print(f"    raw: {escape(raw[:150])}{'…' if len(raw) > 150 else ''}")
    _print_normalisations(report.normalisations)
    _print_references(report.references)
    if report.suggestions:
        console.print(
            "[bold]Unknown ids that match master keys[/] once case, padding or a prefix are "
            "ignored; to read them so, review and add to your configuration:"
        )
        console.print(id_rewrites_toml(report.suggestions), markup=False, highlight=False)
    verdict = "[green]holds[/]" if report.balanced else "[red]is violated[/]"
    console.print(f"Conservation (bronze rows = silver + rejects, per table and batch) {verdict}.")


def _print_normalisations(normalisations: pl.DataFrame) -> None:
    """Values read as what they certainly mean ("3.0" as 3), by table, column and kind."""
    if normalisations.is_empty():
        return
    table = Table(title="Normalised values (read as what they certainly mean)")
    for column in ("table", "column", "kind", "values"):
        table.add_column(column, justify="right" if column == "values" else "left")
    for row in normalisations.rows(named=True):
        table.add_row(
            shown(row["table"]), shown(row["column"]), shown(row["kind"]), f"{row['rows']:,}"
        )
    console.print(table)


def _print_references(references: pl.DataFrame) -> None:
    """Accepted rows whose master key could not be checked, or turned out unknown."""
    for row in references.rows(named=True):
        where = f"{shown(row['table'])}.{shown(row['column'])}"
        if row["state"] == "unverified":
            console.print(
                f"[yellow]{row['rows']:,} {where} reference(s) ({row['values']:,} distinct) are "
                f"unverified: no {shown(row['master'])} have landed yet.[/]"
            )
        else:
            console.print(
                f"[red]{row['rows']:,} {where} reference(s) accepted unverified turned out "
                f"unknown: {row['values']:,} distinct id(s) are not in {shown(row['master'])}.[/]"
                "\n  Hint: land the missing master rows, or map the ids onto the master's keys "
                "with dq.id_rewrites (`loyalty-lake inspect` suggests one)."
            )


def print_status(tables: list[TableStatus] | tuple[TableStatus, ...], lake: Lake) -> None:
    """The lake's tables: layer, version, rows, last batch, last update."""
    table = Table(title=f"Lake {shown(lake.root)}")
    for column in ("layer", "table", "version", "rows", "last batch", "updated (UTC)"):
        table.add_column(column, justify="right" if column in {"version", "rows"} else "left")
    for t in tables:
        table.add_row(
            shown(t.layer),
            shown(t.name),
            str(t.version),
            f"{t.rows:,}",
            shown(t.last_batch or ""),
            t.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    console.print(table)
