"""The ``loyalty-lake`` command line: each command parses options and calls the library."""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import sys
import uuid
from contextlib import contextmanager
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from loyalty_lake.config import Config, load_config
from loyalty_lake.errors import ConfigError, LoyaltyLakeError
from loyalty_lake.io import delta
from loyalty_lake.io.lake import Lake
from loyalty_lake.landing import AnomalyRates, GeneratorOptions, generate
from loyalty_lake.pipeline import (
    FileStatus,
    build,
    check_conservation,
    dq_report,
    export_gold,
    ingest,
    maintenance,
    reprocess,
    status,
)
from loyalty_lake.pipeline.demo import demo as run_demo
from loyalty_lake.pipeline.statement import points_statement
from loyalty_lake.privacy import masked, printable

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from loyalty_lake.pipeline import BuildReport, DqReport, IngestReport, TableStatus

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="loyalty-lake",
    help="Retail loyalty analytics lakehouse: landing CSV → bronze → silver → gold.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
#: Data is printed as it is: no emoji codes (``:x:``), no highlighting; markup is the CLI's own,
#: every data value goes through :func:`_shown`.
console = Console(emoji=False, highlight=False)
err_console = Console(stderr=True, emoji=False, highlight=False)

LakeOption = Annotated[
    Path | None,
    typer.Option("--lake", help="Lake root folder [default: ./lake, or lake_root in config]."),
]
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="TOML configuration file (see docs/configuration.md)."),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of", help="Compute gold as of this date, YYYY-MM-DD [default: latest transaction]."
    ),
]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="Log each step; show tracebacks of internal errors.")
]


def _shown(value: object) -> str:
    """``value`` as console text: masked, printed as it is (no markup, no control characters)."""
    return escape(printable(masked(str(value))))


def _shown_lines(text: str) -> str:
    """A message of several lines (e.g. with its hint) for the console, line by line."""
    return "\n".join(_shown(line) for line in text.splitlines())


class _ShownLogFormatter(logging.Formatter):
    """Log messages as the terminal shows them: masked, without control characters."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The record's message, masked and printable."""
        return printable(masked(super().formatMessage(record)))


def _log_handler() -> logging.Handler:
    """Log records to the error console, as plain text (no markup)."""
    handler = RichHandler(console=err_console, show_path=False, markup=False)
    handler.setFormatter(_ShownLogFormatter("%(message)s"))
    return handler


def _command(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command with logging set up and user errors shown as messages, not tracebacks."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        verbose = bool(kwargs.get("verbose"))
        logging.basicConfig(
            level=logging.INFO if verbose else logging.WARNING,
            handlers=[_log_handler()],
            force=True,
        )
        try:
            return fn(*args, **kwargs)
        except LoyaltyLakeError as exc:
            err_console.print(f"[bold red]Error:[/] {_shown(exc.message)}")
            if exc.hint:
                err_console.print(f"[yellow]Hint:[/] {_shown(exc.hint)}")
            raise typer.Exit(1) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if verbose:
                raise
            err_console.print(
                f"[bold red]Internal error:[/] {type(exc).__name__}: {_shown(str(exc))}"
            )
            err_console.print(
                "[yellow]Hint:[/] rerun with --verbose for the traceback and report it as a bug."
            )
            raise typer.Exit(2) from None

    return run


def _as_of(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(
            f"--as-of {value!r} is not a date.", hint="Use YYYY-MM-DD, e.g. 2026-10-31."
        ) from None


def _settings(lake: Path | None, config: Path | None) -> tuple[Config, Lake]:
    settings = load_config(config, overrides={"lake_root": lake})
    return settings, Lake(settings.lake_root)


class _Bars:
    """Turns the library's progress callbacks into rich progress bars."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, step: str, done: int, total: int | None) -> None:
        if step not in self._tasks:
            self._tasks[step] = self._progress.add_task(printable(step), total=total)
        self._progress.update(self._tasks[step], completed=done, total=total)


@contextmanager
def _progress_bars() -> Iterator[_Bars]:
    columns = (
        TextColumn("{task.description}", markup=False),  # steps name files and batches
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as progress:
        yield _Bars(progress)


def _parse_anomalies(values: list[str], *, clean: bool) -> AnomalyRates:
    rates = AnomalyRates.none() if clean else AnomalyRates()
    kinds = {f.name for f in fields(AnomalyRates)}
    changes: dict[str, float] = {}
    for value in values:
        kind, sep, rate = value.partition("=")
        kind = kind.strip().replace("-", "_")
        if not sep or kind not in kinds:
            raise ConfigError(
                f"--anomaly {value!r} is not KIND=RATE with a known kind.",
                hint=f"Kinds: {', '.join(sorted(kinds))}; e.g. --anomaly duplicate_row=0.01.",
            )
        try:
            changes[kind] = float(rate)
        except ValueError:
            raise ConfigError(
                f"--anomaly {value!r}: {rate!r} is not a number.",
                hint="Rates are shares of eligible rows, e.g. 0.01 for 1 %.",
            ) from None
    return replace(rates, **changes)


@app.command("generate")
@_command
def generate_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the batches [default: <lake>/landing].")
    ] = None,
    lines: Annotated[int, typer.Option(help="Number of sales lines to generate.")] = 20_000,
    days: Annotated[int, typer.Option(help="Days of history.")] = 120,
    end_date: Annotated[
        str | None, typer.Option("--end-date", help="Last day of history, YYYY-MM-DD.")
    ] = None,
    batches: Annotated[int, typer.Option(help="Initial load + (N-1) daily batches.")] = 1,
    seed: Annotated[
        int, typer.Option(help="Random seed; the same seed gives the same files.")
    ] = 42,
    stores: Annotated[int, typer.Option(help="Number of stores.")] = 8,
    products: Annotated[int, typer.Option(help="Number of products.")] = 300,
    customers: Annotated[
        int | None, typer.Option(help="Number of customers [default: from --lines].")
    ] = None,
    clean: Annotated[bool, typer.Option("--clean", help="Inject no anomalies.")] = False,
    anomaly: Annotated[
        list[str] | None,
        typer.Option("--anomaly", help="Set one anomaly rate, KIND=RATE (repeatable)."),
    ] = None,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Generate realistic retail landing batches with injected anomalies.

    Example: loyalty-lake generate --lines 3000000 --seed 7 --batches 3 --out data/landing
    """
    _, where = _settings(lake, config)
    defaults = GeneratorOptions()
    try:
        end = date.fromisoformat(end_date) if end_date else defaults.end_date
    except ValueError:
        raise ConfigError(
            f"--end-date {end_date!r} is not a date.", hint="Use YYYY-MM-DD, e.g. 2026-10-31."
        ) from None
    options = GeneratorOptions(
        seed=seed,
        lines=lines,
        days=days,
        end_date=end,
        stores=stores,
        products=products,
        customers=customers,
        batches=batches,
        anomalies=_parse_anomalies(anomaly or [], clean=clean),
    )
    with _progress_bars() as bars:
        dataset = generate(out or where.landing, options, progress=bars)
    table = Table(title=f"Generated {len(dataset.batches)} batch(es) in {_shown(dataset.root)}")
    table.add_column("batch")
    table.add_column("sales lines", justify="right")
    table.add_column("transactions", justify="right")
    table.add_column("anomalies", justify="right")
    for batch in dataset.batches:
        table.add_row(
            _shown(batch.batch_id),
            f"{batch.rows.get('sales_lines', 0):,}",
            f"{batch.rows.get('sales_header', 0):,}",
            f"{batch.anomalies:,}",
        )
    console.print(table)


@app.command("ingest")
@_command
def ingest_command(
    path: Annotated[Path, typer.Argument(help="A batch folder of CSV files, or one CSV file.")],
    batch_id: Annotated[
        str | None, typer.Option("--batch-id", help="Batch id [default: the folder's name].")
    ] = None,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Land a batch folder (or one file) into bronze; already landed files are skipped.

    Example: loyalty-lake ingest lake/landing/2026-10-31
    """
    _, where = _settings(lake, config)
    with _progress_bars() as bars:
        report = ingest(path, lake=where, batch_id=batch_id, progress=bars)
    _print_ingest(report)
    if report.count(FileStatus.REJECTED):
        raise typer.Exit(1)


@app.command("build")
@_command
def build_command(
    landing: Annotated[
        Path | None,
        typer.Argument(
            help="A landing folder (a batch or a folder of batches) [default: <lake>/landing]."
        ),
    ] = None,
    as_of: AsOfOption = None,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Land new batches, then build every layer. Running it twice changes nothing.

    Example: loyalty-lake build            # everything new under lake/landing
    """
    settings, where = _settings(lake, config)
    with _progress_bars() as bars:
        report = build(
            lake=where, config=settings, landing=landing, as_of=_as_of(as_of), progress=bars
        )
    _print_build(report, where)
    if not report.clean:
        raise typer.Exit(1)


@app.command("demo")
@_command
def demo_command(
    as_of: AsOfOption = None,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Generate sample data into <lake>/landing (if it has none), build everything, summarise.

    Example: loyalty-lake demo --lake /tmp/demo-lake
    """
    settings, where = _settings(lake, config)
    with _progress_bars() as bars:
        report = run_demo(lake=where, config=settings, as_of=_as_of(as_of), progress=bars)
    if report.generated is not None:
        console.print(
            f"Generated {len(report.generated.batches)} sample batch(es) in "
            f"{_shown(report.generated.root)}"
        )
    _print_landing(report.build)
    _print_silver(report.build)
    _print_status(report.tables, where)
    _print_points(report.build)
    _print_segments(report.build, where)
    if not report.build.clean:
        raise typer.Exit(1)


@app.command("dq")
@_command
def dq_command(
    batch: Annotated[
        str | None, typer.Option("--batch", help="Only this batch [default: every batch].")
    ] = None,
    examples: Annotated[int, typer.Option(help="Example rows per table and reason.")] = 3,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Show the data quality report: rejects and warnings by reason, with example rows.

    Example: loyalty-lake dq --batch 2026-10-31 --examples 5
    """
    settings, where = _settings(lake, config)
    _print_dq(dq_report(lake=where, batch_id=batch, examples=examples, config=settings))


@app.command("reprocess")
@_command
def reprocess_command(
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Retry open rejects whose cause may have gone (e.g. a customer that arrived later).

    Example: loyalty-lake reprocess --lake lake
    """
    settings, where = _settings(lake, config)
    promoted = reprocess(lake=where, config=settings, run_id=uuid.uuid4().hex)
    check_conservation(lake=where)
    console.print(f"Promoted {promoted:,} previously rejected row(s) into silver.")


@app.command("points")
@_command
def points_command(
    customer_id: Annotated[str, typer.Argument(help="The customer, e.g. C0000042.")],
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Explain a customer's points balance line by line, with tier and next expiry.

    Example: loyalty-lake points C0000042
    """
    _, where = _settings(lake, config)
    statement = points_statement(lake=where, customer_id=customer_id)
    name = _shown(statement.first_name) if statement.first_name else "no name"
    table = Table(
        title=f"Points statement of {_shown(statement.customer_id)} ({name})"
        f" as of {statement.as_of}"
    )
    for column in (
        "#",
        "date",
        "event",
        "points",
        "balance",
        "transaction / redemption",
        "rule",
        "expires",
    ):
        table.add_column(
            column, justify="right" if column in {"#", "points", "balance"} else "left"
        )
    for row in statement.ledger.rows(named=True):
        colour = "green" if row["points"] >= 0 else "red"
        table.add_row(
            str(row["sequence"]),
            str(row["event_date"]),
            _shown(row["event_type"]),
            f"[{colour}]{row['points']:+,}[/]",
            f"{row['balance_after']:,}",
            _shown(row["transaction_id"] or row["redemption_id"] or ""),
            _shown(row["rule_id"] or ""),
            str(row["expires_on"] or ""),
        )
    console.print(table)
    expiry = (
        f"{statement.points_expiring:,} points expire on {statement.next_expiry_date}"
        if statement.next_expiry_date
        else "no points due to expire"
    )
    console.print(
        f"Balance [bold]{statement.balance:,}[/] points · tier "
        f"[bold]{_shown(statement.loyalty_status)}[/]"
        f" · lifetime earned {statement.lifetime_points_earned:,} · {expiry}."
    )


@app.command("export")
@_command
def export_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the files [default: <lake>/export].")
    ] = None,
    file_format: Annotated[
        str, typer.Option("--format", help="parquet or csv (formula-safe).")
    ] = "parquet",
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Write every gold table as one plain file for BI tools (Power BI, Tableau, DuckDB).

    Example: loyalty-lake export --format csv --out /tmp/bi
    """
    _, where = _settings(lake, config)
    if file_format not in ("parquet", "csv"):
        raise ConfigError(f"--format {file_format!r} is not supported.", hint="Use parquet or csv.")
    files = export_gold(lake=where, out=out, file_format=file_format)  # type: ignore[arg-type]
    for path in files:
        console.print(f"  {_shown(path)}")
    console.print(f"Exported {len(files)} gold table(s).")


@app.command("dashboard")
@_command
def dashboard_command(
    host: Annotated[str, typer.Option(help="Address to serve on (localhost only by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8501,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Serve the dashboard (Streamlit) on the lake's gold tables.

    Example: loyalty-lake dashboard --lake lake --port 8501
    """
    _, where = _settings(lake, config)
    command = dashboard_command_line(where, host=host, port=port)
    console.print(
        f"Serving the dashboard of {_shown(where.root)} on http://{_shown(host)}:{port} "
        "(Ctrl+C stops)"
    )
    if importlib.util.find_spec("streamlit") is None:
        raise ConfigError(
            "Streamlit is not installed.",
            hint='Install the dashboard extra: pip install -e ".[dashboard]"',
        )
    sys.stdout.flush()
    os.execv(command[0], command)  # Streamlit takes over the process: signals reach it


def dashboard_command_line(lake: Lake, *, host: str, port: int) -> list[str]:
    """The ``streamlit run`` command that serves the dashboard of ``lake``."""
    import loyalty_lake.dashboard

    app_path = Path(loyalty_lake.dashboard.__file__).with_name("app.py")
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_path),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--",
        "--lake",
        str(lake.root),
    ]


@app.command("history")
@_command
def history_command(
    table: Annotated[str, typer.Argument(help="layer/name, e.g. silver/sales_lines.")],
    limit: Annotated[int, typer.Option(help="Newest versions to show.")] = 20,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Show a table's versions: time, operation, rows added, run and batch.

    Example: loyalty-lake history gold/customer_details
    """
    _, where = _settings(lake, config)
    shown = Table(title=f"History of {_shown(table)}")
    for column in ("version", "time (UTC)", "operation", "rows added", "run", "batch / as of"):
        shown.add_column(column, justify="right" if column in {"version", "rows added"} else "left")
    for commit in maintenance.history(lake=where, table=table, limit=limit):
        meta = commit.metadata
        shown.add_row(
            str(commit.version),
            commit.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            _shown(meta.get("operation", commit.operation)),
            "" if commit.rows_added is None else f"{commit.rows_added:,}",
            _shown(meta.get("run_id", "")[:8]),
            _shown(meta.get("batch_id") or meta.get("as_of", "")),
        )
    console.print(shown)
    console.print("Read an old version: ll.scan(lake, layer, name, version=N)")


@app.command("restore")
@_command
def restore_command(
    table: Annotated[str, typer.Argument(help="layer/name, e.g. gold/points_ledger.")],
    version: Annotated[int, typer.Argument(help="The version to go back to.")],
    yes: Annotated[bool, typer.Option("--yes", help="Really restore.")] = False,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Make an earlier version of a table current again (recorded as a new version).

    Example: loyalty-lake restore gold/points_ledger 3 --yes
    """
    _, where = _settings(lake, config)
    if not yes:
        console.print(f"Would restore {_shown(table)} to version {version}. Add --yes to do it.")
        return
    new = maintenance.restore(lake=where, table=table, version=version)
    console.print(f"Restored {_shown(table)} to version {version} (now version {new}).")


@app.command("optimize")
@_command
def optimize_command(
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Compact every table's small files (one new version per table).

    Example: loyalty-lake optimize --lake lake
    """
    _, where = _settings(lake, config)
    done = maintenance.optimize(lake=where)
    compacted = sum(1 for t in done if t.files)
    console.print(f"Optimized {len(done)} table(s); {compacted} had small files compacted.")


@app.command("vacuum")
@_command
def vacuum_command(
    retention_hours: Annotated[
        int, typer.Option(help="Keep the files of versions younger than this.")
    ] = maintenance.DEFAULT_RETENTION_HOURS,
    yes: Annotated[bool, typer.Option("--yes", help="Delete (default: dry run).")] = False,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Delete files no version younger than the retention (7 days) needs; a dry run without --yes.

    Example: loyalty-lake vacuum --retention-hours 168 --yes
    """
    _, where = _settings(lake, config)
    done = maintenance.vacuum(lake=where, retention_hours=retention_hours, dry_run=not yes)
    files = sum(t.files for t in done)
    verb = "Deleted" if yes else "Would delete"
    console.print(f"{verb} {files:,} unused file(s) in {len(done)} table(s).")
    if not yes and files:
        console.print(
            "Add --yes to delete them (versions older than the retention become unreadable)."
        )


@app.command("status")
@_command
def status_command(
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Show the lake's tables: version, rows, last batch, last update.

    Example: loyalty-lake status --lake lake
    """
    _, where = _settings(lake, config)
    tables = status(lake=where)
    if not tables:
        console.print(
            f"No tables in {_shown(where.root)} yet. Run `loyalty-lake demo` to create some."
        )
        return
    _print_status(tables, where)


def _print_ingest(report: IngestReport) -> None:
    table = Table(title=f"Batch {_shown(report.batch_id)}")
    for column in ("file", "table", "status", "rows"):
        table.add_column(column, justify="right" if column == "rows" else "left")
    table.add_column("detail", overflow="fold")
    colours = {FileStatus.LANDED: "green", FileStatus.REJECTED: "red"}
    for f in report.files:
        colour = colours.get(f.status, "dim")
        table.add_row(
            _shown(f.source_file),
            _shown(f.table or ""),
            f"[{colour}]{f.status.value}[/]",
            f"{f.rows:,}" if f.status is FileStatus.LANDED else "",
            _shown_lines(f.message or ""),
        )
    console.print(table)
    for warning in report.warnings:
        console.print(f"[yellow]Warning:[/] {_shown(warning)}")


def _print_build(report: BuildReport, lake: Lake) -> None:
    _print_landing(report)
    _print_silver(report)
    _print_points(report)
    _print_segments(report, lake)


def _print_segments(report: BuildReport, lake: Lake) -> None:
    if report.gold is None or "segment_summary" not in report.gold.tables:
        return
    summary = delta.scan_table(lake.table("gold", "segment_summary")).collect().sort("segment")
    table = Table(title=f"Segments as of {report.gold.as_of}")
    for column in ("segment", "customers", "share", "revenue", "average points"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for row in summary.rows(named=True):
        table.add_row(
            _shown(row["segment"]),
            f"{row['customers']:,}",
            f"{row['share_pct']:.1f} %",
            f"{row['revenue']:,.2f}",
            f"{row['average_points'] or 0:,.0f}",
        )
    console.print(table)
    console.print(f"BI export: {len(report.gold.exported)} Parquet files in {_shown(lake.export)}")


def _print_points(report: BuildReport) -> None:
    if report.gold is None or not report.gold.points:
        return
    p = report.gold.points
    console.print(
        f"Points as of {report.gold.as_of}: issued {p['issued']:,}, reversed {p['reversed']:,}, "
        f"redeemed {p['redeemed']:,}, expired {p['expired']:,}; "
        f"[bold]outstanding liability {p['outstanding']:,} points[/]."
    )


def _print_landing(report: BuildReport) -> None:
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
            _shown(r.batch_id),
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
                    f"[red]Rejected[/] {_shown(r.batch_id)}/{_shown(f.source_file)}: "
                    f"{_shown_lines(f.message or '')}"
                )
        for warning in r.warnings:
            console.print(f"[yellow]Warning:[/] {_shown(warning)}")
    for refused in report.refused_batches:
        console.print(
            f"[red]Refused batch[/] {_shown(refused.batch)}: {_shown_lines(refused.message)}"
        )


def _print_silver(report: BuildReport) -> None:
    if report.silver is None or not report.silver.tables:
        return
    table = Table(title="bronze → silver")
    for column in ("table", "bronze rows", "accepted", "rejected", "warned"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for t in report.silver.tables:
        table.add_row(
            _shown(t.table),
            f"{t.bronze_rows:,}",
            f"{t.accepted:,}",
            f"[red]{t.rejected:,}[/]" if t.rejected else "0",
            f"[yellow]{t.warned:,}[/]" if t.warned else "0",
        )
    console.print(table)
    if report.silver.reprocessed:
        console.print(f"Reprocessing promoted {report.silver.reprocessed:,} earlier reject(s).")
    console.print("Every bronze row is in silver or in rejects. See `loyalty-lake dq` for details.")


def _print_dq(report: DqReport) -> None:
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
                _shown(row["table"]),
                _shown(row["reason"]),
                f"[{colour}]{_shown(row['severity'])}[/]",
                f"{row['rows']:,}",
                f"{row['open_rows']:,}",
            )
        console.print(table)
    if not report.examples.is_empty():
        console.print("[bold]Example rejected rows[/]")
        for row in report.examples.rows(named=True):  # masked by dq_report
            console.print(
                f"  [red]{_shown(', '.join(row['reason_codes']))}[/] {_shown(row['batch_id'])}/"
                f"{_shown(row['source_file'])} row {row['row_number']}: {_shown(row['message'])}"
            )
            raw = printable(row["raw_values"])
            console.print(f"    raw: {escape(raw[:150])}{'…' if len(raw) > 150 else ''}")
    verdict = "[green]holds[/]" if report.balanced else "[red]is violated[/]"
    console.print(f"Conservation (bronze rows = silver + rejects, per table and batch) {verdict}.")


def _print_status(tables: list[TableStatus] | tuple[TableStatus, ...], lake: Lake) -> None:
    table = Table(title=f"Lake {_shown(lake.root)}")
    for column in ("layer", "table", "version", "rows", "last batch", "updated (UTC)"):
        table.add_column(column, justify="right" if column in {"version", "rows"} else "left")
    for t in tables:
        table.add_row(
            _shown(t.layer),
            _shown(t.name),
            str(t.version),
            f"{t.rows:,}",
            _shown(t.last_batch or ""),
            t.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    console.print(table)


def main() -> None:
    """Entry point of the ``loyalty-lake`` console script."""
    app()


if __name__ == "__main__":
    main()
