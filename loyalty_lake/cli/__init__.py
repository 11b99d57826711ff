"""The ``loyalty-lake`` command line: each command parses options and calls the library.

What the commands print lives in :mod:`.show`, the terminal plumbing in :mod:`.terminal`.

A command imports what it runs inside its function: ``loyalty-lake --help`` imports
Typer, the options and the consoles only, and ``loyalty-lake status`` no transform
(docs/performance.md, "Startup"; ``tests/test_cli_startup.py`` holds them to it).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from loyalty_lake.cli.terminal import (
    Column,
    console,
    err_console,
    fitted_table,
    progress_bars,
    shown,
)
from loyalty_lake.errors import ConfigError, ExitCode
from loyalty_lake.io.export import ExportFormat  # noqa: TC001 - typer reads the annotations
from loyalty_lake.landing import ExportStyle

if TYPE_CHECKING:
    from loyalty_lake.io.lake import Lake
    from loyalty_lake.landing import AnomalyRates

from loyalty_lake.cli.app import (
    AsOfOption,
    ConfigOption,
    JsonOption,
    LakeOption,
    VerboseOption,
    app,
    as_of_date,
    command,
    settings_of,
)


def _parse_anomalies(values: list[str], *, clean: bool) -> AnomalyRates:
    from loyalty_lake.landing import AnomalyRates

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
@command
def generate_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the batches.", show_default="<lake>/landing"),
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
        int | None, typer.Option(help="Number of customers.", show_default="from --lines")
    ] = None,
    clean: Annotated[bool, typer.Option("--clean", help="Inject no anomalies.")] = False,
    anomaly: Annotated[
        list[str] | None,
        typer.Option("--anomaly", help="Set one anomaly rate, KIND=RATE (repeatable)."),
    ] = None,
    style: Annotated[
        list[ExportStyle] | None,
        typer.Option(
            "--style",
            case_sensitive=False,
            metavar="<style>",
            help="Write the files as a real export would: "
            f"{', '.join(s.value for s in ExportStyle)} (repeatable).",
        ),
    ] = None,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Generate realistic retail landing batches with injected anomalies.

    Example: loyalty-lake generate --lines 3000000 --seed 7 --batches 3 --out data/landing

    Example: loyalty-lake generate --lines 20000 --style currency --style day_first
    """
    from loyalty_lake.landing import GeneratorOptions, generate

    _, where = settings_of(lake, config)
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
        styles=tuple(s.value for s in style or []),
    )
    with progress_bars() as bars:
        dataset = generate(out or where.landing, options, progress=bars)
    rows = [
        (
            shown(batch.batch_id),
            f"{batch.rows.get('sales_lines', 0):,}",
            f"{batch.rows.get('sales_header', 0):,}",
            f"{batch.anomalies:,}",
        )
        for batch in dataset.batches
    ]
    columns = [Column("batch")] + [
        Column(header, "right") for header in ("sales lines", "transactions", "anomalies")
    ]
    title = f"Generated {len(dataset.batches)} batch(es) in {shown(dataset.root)}"
    console.print(fitted_table(title, columns, rows))
    if dataset.settings:
        console.print(
            "These batches need settings to be read as meant; add them to your "
            "configuration file (they are also in each batch's _settings.toml):"
        )
        console.print(dataset.settings.toml(), markup=False, highlight=False)


@app.command("ingest")
@command
def ingest_command(
    path: Annotated[Path, typer.Argument(help="A batch folder of CSV files, or one CSV file.")],
    batch_id: Annotated[
        str | None,
        typer.Option("--batch-id", help="Batch id.", show_default="the folder's name"),
    ] = None,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Land a batch folder (or one file) into bronze; already landed files are skipped.

    Example: loyalty-lake ingest lake/landing/2026-10-31
    """
    from loyalty_lake.cli.show import print_ingest
    from loyalty_lake.pipeline import FileStatus, ingest

    _, where = settings_of(lake, config)
    with progress_bars() as bars:
        report = ingest(path, lake=where, batch_id=batch_id, progress=bars)
    print_ingest(report)
    if report.count(FileStatus.REJECTED):
        raise typer.Exit(ExitCode.DATA)


@app.command("build")
@command
def build_command(
    landing: Annotated[
        Path | None,
        typer.Argument(
            help="A landing folder (a batch or a folder of batches).",
            show_default="<lake>/landing",
        ),
    ] = None,
    as_of: AsOfOption = None,
    keep_restored_gold: Annotated[
        bool,
        typer.Option(
            "--keep-restored-gold",
            help="Keep gold as `restore` put it back (see docs/operations.md) instead of "
            "publishing it again from silver.",
        ),
    ] = False,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Recompute all of gold from silver, not just the customers new rows touch "
            "(the result is the same; see docs/operations.md, Incremental builds).",
        ),
    ] = False,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Land new batches, then build every layer. Running it twice changes nothing.

    Gold is brought up to date incrementally when it can be; the output says
    whether the build was incremental or full, and why.

    Exits with status 1 when a file or a batch was refused (the rest is built).

    Example: loyalty-lake build            # everything new under lake/landing

    Example: loyalty-lake build --full     # recompute all of gold
    """
    from loyalty_lake.cli.show import print_build
    from loyalty_lake.pipeline import build

    settings, where = settings_of(lake, config)
    with progress_bars() as bars:
        report = build(
            lake=where,
            config=settings,
            landing=landing,
            as_of=as_of_date(as_of),
            progress=bars,
            keep_restored_gold=keep_restored_gold,
            full=full,
        )
    print_build(report, where)
    if not report.clean:
        raise typer.Exit(ExitCode.DATA)


@app.command("demo")
@command
def demo_command(
    as_of: AsOfOption = None,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Generate sample data into <lake>/landing (if it has none), build everything, summarise.

    Example: loyalty-lake demo --lake /tmp/demo-lake
    """
    from loyalty_lake.cli.show import (
        print_landing,
        print_points,
        print_segments,
        print_silver,
        print_status,
    )
    from loyalty_lake.pipeline.demo import demo as run_demo

    settings, where = settings_of(lake, config)
    with progress_bars() as bars:
        report = run_demo(lake=where, config=settings, as_of=as_of_date(as_of), progress=bars)
    if report.generated is not None:
        console.print(
            f"Generated {len(report.generated.batches)} sample batch(es) in "
            f"{shown(report.generated.root)}"
        )
    print_landing(report.build)
    print_silver(report.build)
    print_status(report.tables, where)
    print_points(report.build)
    print_segments(report.build, where)
    if not report.build.clean:
        raise typer.Exit(ExitCode.DATA)


@app.command("dq")
@command
def dq_command(
    batch: Annotated[
        str | None, typer.Option("--batch", help="Only this batch.", show_default="every batch")
    ] = None,
    examples: Annotated[int, typer.Option(help="Example rows per table and reason.")] = 3,
    json: JsonOption = False,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Show the data quality report: rejects and warnings by reason, with example rows.

    Exits with status 1 when conservation is violated (a bronze row is missing
    from silver and rejects, or counted twice).

    Example: loyalty-lake dq --batch 2026-10-31 --examples 5
    """
    from loyalty_lake.cli.show import print_dq, print_json
    from loyalty_lake.pipeline import dq_report

    settings, where = settings_of(lake, config)
    report = dq_report(lake=where, batch_id=batch, examples=examples, config=settings)
    if json:
        print_json(report)
    else:
        print_dq(report)
    if not report.balanced:
        raise typer.Exit(ExitCode.DATA)


@app.command("reprocess")
@command
def reprocess_command(
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Retry open rejects whose cause may have gone (e.g. a customer that arrived later).

    Rows that now pass move into silver, and gold is published again if any did.

    Example: loyalty-lake reprocess --lake lake
    """
    from loyalty_lake.pipeline.build import reprocess_rejects

    settings, where = settings_of(lake, config)
    report = reprocess_rejects(where, config=settings)
    console.print(f"Promoted {report.promoted:,} previously rejected row(s) into silver.")
    if report.gold is not None:
        console.print(f"Gold published again as of {report.gold.as_of}.")


@app.command("points")
@command
def points_command(
    customer_id: Annotated[str, typer.Argument(help="The customer, e.g. C0000042.")],
    json: JsonOption = False,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Explain a customer's points balance line by line, with tier and next expiry.

    Example: loyalty-lake points C0000042
    """
    from loyalty_lake.cli.show import print_json, print_statement
    from loyalty_lake.pipeline.statement import points_statement

    _, where = settings_of(lake, config)
    statement = points_statement(lake=where, customer_id=customer_id)
    if json:
        print_json(statement)
    else:
        print_statement(statement)


@app.command("export")
@command
def export_command(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the files.", show_default="<lake>/export"),
    ] = None,
    file_format: Annotated[
        ExportFormat,
        typer.Option("--format", case_sensitive=False, help="Parquet, or CSV (formula-safe)."),
    ] = "parquet",
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Write every gold table as one plain file for BI tools (Power BI, Tableau, DuckDB).

    Example: loyalty-lake export --format csv --out /tmp/bi
    """
    from loyalty_lake.pipeline import export_gold

    _, where = settings_of(lake, config)
    files = export_gold(lake=where, out=out, file_format=file_format)
    for path in files:
        console.print(f"  {shown(path)}")
    console.print(f"Exported {len(files)} gold table(s).")


@app.command("dashboard")
@command
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
    _, where = settings_of(lake, config)
    command = dashboard_command_line(where, host=host, port=port)
    console.print(
        f"Serving the dashboard of {shown(where.root)} on http://{shown(host)}:{port} "
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


# The maintenance commands register on the app after the commands above (their order in --help).
from loyalty_lake.cli import clv, inspect, notify, operations  # noqa: E402


def main() -> None:
    """Entry point of the ``loyalty-lake`` console script."""
    app()


if __name__ == "__main__":
    main()


__all__ = [
    "app",
    "clv",
    "console",
    "dashboard_command_line",
    "err_console",
    "inspect",
    "main",
    "notify",
    "operations",
]
