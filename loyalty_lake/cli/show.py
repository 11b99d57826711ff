"""What the commands print: reports as tables and lines, every data value shown inert.

Tables fit the terminal without cutting a date or an id (:func:`.terminal.fitted_table`);
``--json`` prints a report as JSON instead (:func:`print_json`).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import date, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

import polars as pl
import typer
from rich.markup import escape

from loyalty_lake.cli.terminal import Column, console, fitted_table, shown, shown_lines
from loyalty_lake.codes import FileStatus
from loyalty_lake.privacy import masked, printable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loyalty_lake.io.delta import Commit
    from loyalty_lake.io.lake import Lake
    from loyalty_lake.pipeline import BuildReport, DqReport, IngestReport, TableStatus
    from loyalty_lake.pipeline.statement import Statement


def print_json(value: object) -> None:
    """``value`` as JSON on stdout, for scripts (see :func:`plain`)."""
    typer.echo(json.dumps(plain(value), indent=2))


def plain(value: object) -> Any:
    """``value`` as JSON values, generically.

    A dataclass becomes an object of its fields and public properties, a polars
    frame a list of row objects; dates and times are ISO text, decimals text
    (exact), enums their value, non-finite floats null; text is masked as it
    is on the terminal.
    """
    if isinstance(value, pl.DataFrame):
        return [plain(row) for row in value.rows(named=True)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        members = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        for name, member in vars(type(value)).items():
            if isinstance(member, property) and not name.startswith("_"):
                members[name] = getattr(value, name)
        return plain(members)
    if isinstance(value, Mapping):
        return {str(plain(key)): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset | pl.Series):
        return [plain(item) for item in value]
    return _plain_scalar(value)


def _plain_scalar(value: object) -> Any:
    """A value that holds no others as a JSON value."""
    if isinstance(value, Enum):
        return _plain_scalar(value.value)
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, date | time):  # a datetime is a date
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return str(value)
    return masked(str(value))


def print_ingest(report: IngestReport) -> None:
    """One batch's landing: every file, its status, rows and why it was refused."""
    colours = {FileStatus.LANDED: "green", FileStatus.REJECTED: "red"}
    rows = [
        (
            shown(f.source_file),
            shown(f.table or ""),
            f"[{colours.get(f.status, 'dim')}]{f.status.value}[/]",
            f"{f.rows:,}" if f.status is FileStatus.LANDED else "",
            shown_lines(f.message or ""),
        )
        for f in report.files
    ]
    columns = (
        Column("file"),
        Column("table"),
        Column("status"),
        Column("rows", "right"),
        Column("detail", whole=False),
    )
    console.print(fitted_table(f"Batch {shown(report.batch_id)}", columns, rows))
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/] {shown(warning)}")


def print_build(report: BuildReport, lake: Lake) -> None:
    """A build's report: landing, silver, points and segments."""
    print_landing(report)
    print_silver(report)
    print_gold_mode(report)
    print_points(report)
    print_segments(report, lake)


def print_gold_mode(report: BuildReport) -> None:
    """Whether gold was brought up to date incrementally or recomputed in full, and why."""
    gold = report.gold
    if gold is None or gold.as_of is None:
        return
    if gold.mode == "incremental":
        console.print(
            f"Gold: incremental, {gold.recomputed:,} customers recomputed ({gold.reason})."
        )
    else:
        console.print(f"Gold: full build, {gold.recomputed:,} customers ({gold.reason}).")


def print_segments(report: BuildReport, lake: Lake) -> None:
    """The segment summary of the gold tables the build published, as ``segment_summary`` has it.

    Each share names its population, with the columns and labels the
    dashboard shows: of all customers (``share_of_customers_pct``) and of the
    customers with a sale (``share_of_buyers_pct``).
    """
    if report.gold is None or "segment_summary" not in report.gold.tables:
        return
    from loyalty_lake.io import catalog  # the contracts: not for `loyalty-lake status`

    summary = catalog.scan(lake, "gold", "segment_summary").collect().sort("segment")
    columns = [
        Column("segment"),
        Column("customers", "right"),
        Column("% of customers", "right"),
        Column("buyers", "right", drop=1),
        Column("% of buyers", "right", drop=2),
        Column("net revenue", "right"),
        Column("average points", "right", drop=0),
    ]
    rows = [
        (
            shown(row["segment"]),
            f"{row['customers']:,}",
            f"{row['share_of_customers_pct']:.2f} %",
            f"{row['buyers']:,}",
            f"{row['share_of_buyers_pct']:.2f} %",
            f"{row['revenue']:,.2f}",
            f"{row['average_points'] or 0:,.0f}",
        )
        for row in summary.rows(named=True)
    ]
    console.print(fitted_table(f"Segments as of {report.gold.as_of}", columns, rows))
    console.print("Buyers are the customers with a sale; a share is of the population it names.")
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
    rows = [
        (
            shown(r.batch_id),
            str(r.count(FileStatus.LANDED)),
            str(r.count(FileStatus.ALREADY_LANDED)),
            f"[red]{n}[/]" if (n := r.count(FileStatus.REJECTED)) else "0",
            f"{r.rows_landed:,}",
        )
        for r in report.ingests
    ]
    columns = [Column("batch")] + [
        Column(header, "right") for header in ("landed", "already landed", "rejected", "new rows")
    ]
    console.print(fitted_table(f"Build {report.run_id[:8]}: landing → bronze", columns, rows))
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
    rows = [
        (
            shown(t.table),
            f"{t.bronze_rows:,}",
            f"{t.accepted:,}",
            f"[red]{t.rejected:,}[/]" if t.rejected else "0",
            f"[yellow]{t.warned:,}[/]" if t.warned else "0",
        )
        for t in report.silver.tables
    ]
    columns = [Column("table")] + [
        Column(header, "right") for header in ("bronze rows", "accepted", "rejected", "warned")
    ]
    console.print(fitted_table("bronze → silver", columns, rows))
    if report.silver.reprocessed:
        console.print(f"Reprocessing promoted {report.silver.reprocessed:,} earlier reject(s).")
    console.print("Every bronze row is in silver or in rejects. See `loyalty-lake dq` for details.")


_SEVERITY_COLOURS = {"reject": "red", "warn": "yellow"}


def print_dq(report: DqReport) -> None:
    """The data quality report: rows by table and reason, examples, conservation."""
    if report.summary.is_empty():
        console.print("No rejects or warnings.")
    else:
        rows = [
            (
                shown(row["table"]),
                shown(row["reason"]),
                f"[{_SEVERITY_COLOURS.get(row['severity'], 'yellow')}]{shown(row['severity'])}[/]",
                f"{row['rows']:,}",
                f"{row['open_rows']:,}",
            )
            for row in report.summary.rows(named=True)
        ]
        columns = (
            Column("table"),
            Column("reason"),
            Column("severity"),
            Column("rows", "right"),
            Column("still open", "right", drop=1),
        )
        console.print(fitted_table("Data quality: rows by table and reason", columns, rows))
    if not report.examples.is_empty():
        console.print("[bold]Example rejected rows[/]")
        for row in report.examples.rows(named=True):  # masked by dq_report
            console.print(
                f"  [red]{shown(', '.join(row['reason_codes']))}[/] {shown(row['batch_id'])}/"
                f"{shown(row['source_file'])} row {row['row_number']}: {shown(row['message'])}"
            )
            if row["raw_values"] is None:  # a refusal of gold (stage gold) keeps no raw text
                continue
            raw = printable(row["raw_values"])
            console.print(f"    raw: {escape(raw[:150])}{'…' if len(raw) > 150 else ''}")
    _print_normalisations(report.normalisations)
    _print_references(report.references)
    if report.suggestions:
        from loyalty_lake.pipeline.inspect import id_rewrites_toml

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
    rows = [
        (shown(row["table"]), shown(row["column"]), shown(row["kind"]), f"{row['rows']:,}")
        for row in normalisations.rows(named=True)
    ]
    columns = (Column("table"), Column("column"), Column("kind"), Column("values", "right"))
    title = "Normalised values (read as what they certainly mean)"
    console.print(fitted_table(title, columns, rows))


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


def print_status(tables: Sequence[TableStatus], lake: Lake) -> None:
    """The lake's tables: layer, version, rows, last batch, last update."""
    rows = [
        (
            shown(t.layer),
            shown(t.name),
            str(t.version),
            f"{t.rows:,}",
            shown(t.last_batch or ""),
            t.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
        for t in tables
    ]
    columns = (
        Column("layer"),
        Column("table"),
        Column("version", "right", drop=1),
        Column("rows", "right"),
        Column("last batch", drop=2),
        Column("updated (UTC)"),
    )
    console.print(fitted_table(f"Lake {shown(lake.root)}", columns, rows))


def print_history(table: str, commits: Sequence[Commit]) -> None:
    """A table's versions: time, operation, rows added, run and batch (or as-of date)."""
    rows = [
        (
            str(commit.version),
            commit.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            shown(commit.metadata.get("operation", commit.operation)),
            "" if commit.rows_added is None else f"{commit.rows_added:,}",
            shown(commit.metadata.get("run_id", "")[:8]),
            shown(commit.metadata.get("batch_id") or commit.metadata.get("as_of", "")),
        )
        for commit in commits
    ]
    columns = (
        Column("version", "right"),
        Column("time (UTC)"),
        Column("operation", whole=False),
        Column("rows added", "right"),
        Column("run", drop=1),
        Column("batch / as-of"),
    )
    console.print(fitted_table(f"History of {shown(table)}", columns, rows))
    console.print("Read an old version: ll.scan(lake, layer, name, version=N)")


def print_statement(statement: Statement) -> None:
    """A customer's points ledger line by line, then balance, tier and next expiry."""
    rows = [
        (
            str(row["sequence"]),
            str(row["event_date"]),
            shown(row["event_type"]),
            f"[{'green' if row['points'] >= 0 else 'red'}]{row['points']:+,}[/]",
            f"{row['balance_after']:,}",
            shown(row["transaction_id"] or row["redemption_id"] or ""),
            shown(row["rule_id"] or ""),
            str(row["expires_on"] or ""),
        )
        for row in statement.ledger.rows(named=True)
    ]
    columns = (
        Column("#", "right", drop=3),
        Column("date"),
        Column("event"),
        Column("points", "right"),
        Column("balance", "right"),
        Column("transaction / redemption"),
        Column("rule", drop=1),
        Column("expires", drop=2),
    )
    name = shown(statement.first_name) if statement.first_name else "no name"
    title = f"Points statement of {shown(statement.customer_id)} ({name}) as of {statement.as_of}"
    console.print(fitted_table(title, columns, rows))
    expiry = (
        f"{statement.points_expiring:,} points expire on {statement.next_expiry_date}"
        if statement.next_expiry_date
        else "no points due to expire"
    )
    console.print(
        f"Balance [bold]{statement.balance:,}[/] points · tier "
        f"[bold]{shown(statement.loyalty_status)}[/]"
        f" · lifetime earned {statement.lifetime_points_earned:,} · {expiry}."
    )
