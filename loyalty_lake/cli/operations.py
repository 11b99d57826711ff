"""Time travel and maintenance commands: history, restore, optimize, vacuum, status."""

from __future__ import annotations

from typing import Annotated

import typer

from loyalty_lake.cli.app import (
    ConfigOption,
    JsonOption,
    LakeOption,
    VerboseOption,
    app,
    command,
    settings_of,
)
from loyalty_lake.cli.terminal import console, shown

#: Vacuum's default retention, a week: ``maintenance.DEFAULT_RETENTION_HOURS``, written here
#: so that --help shows it without importing the maintenance code (a test keeps them equal).
DEFAULT_RETENTION_HOURS = 7 * 24


@app.command("history")
@command
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
    from loyalty_lake.cli.show import print_history
    from loyalty_lake.pipeline import maintenance

    _, where = settings_of(lake, config)
    print_history(table, maintenance.history(lake=where, table=table, limit=limit))


@app.command("restore")
@command
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
    from loyalty_lake.pipeline import maintenance

    settings, where = settings_of(lake, config)
    if not yes:
        console.print(f"Would restore {shown(table)} to version {version}. Add --yes to do it.")
        return
    done = maintenance.restore(lake=where, table=table, version=version, config=settings)
    rebuilt = "; silver and gold derived again" if done.rebuilt else ""
    snapshot = f"; gold reads snapshot {done.snapshot}" if done.snapshot is not None else ""
    console.print(
        f"Restored {shown(done.table)} to version {version}: {len(done.tables)} table(s) put "
        f"back{rebuilt}{snapshot}."
    )
    if done.unlanded:
        console.print(
            f"Bronze no longer holds batch(es) {', '.join(shown(b) for b in done.unlanded)}; "
            "the next build lands them again if their files are still in the landing folder."
        )


@app.command("optimize")
@command
def optimize_command(
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Compact every table's small files (one new version per table).

    Example: loyalty-lake optimize --lake lake
    """
    from loyalty_lake.pipeline import maintenance

    _, where = settings_of(lake, config)
    done = maintenance.optimize(lake=where)
    compacted = sum(1 for t in done if t.files)
    console.print(f"Optimized {len(done)} table(s); {compacted} had small files compacted.")


@app.command("vacuum")
@command
def vacuum_command(
    retention_hours: Annotated[
        int, typer.Option(help="Keep the files of versions younger than this.")
    ] = DEFAULT_RETENTION_HOURS,
    yes: Annotated[bool, typer.Option("--yes", help="Delete (default: dry run).")] = False,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Delete files no version younger than the retention (7 days) needs; a dry run without --yes.

    Example: loyalty-lake vacuum --retention-hours 168 --yes
    """
    from loyalty_lake.pipeline import maintenance

    _, where = settings_of(lake, config)
    done = maintenance.vacuum(lake=where, retention_hours=retention_hours, dry_run=not yes)
    files = sum(t.files for t in done)
    verb = "Deleted" if yes else "Would delete"
    console.print(f"{verb} {files:,} unused file(s) in {len(done)} table(s).")
    if not yes and files:
        console.print(
            "Add --yes to delete them (versions older than the retention become unreadable)."
        )


@app.command("status")
@command
def status_command(
    json: JsonOption = False,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Show the lake's tables: version, rows, last batch, last update.

    Example: loyalty-lake status --lake lake --json
    """
    from loyalty_lake.cli.show import print_json, print_status
    from loyalty_lake.pipeline import status

    _, where = settings_of(lake, config)
    tables = status(lake=where)
    if json:
        print_json({"lake": where.root, "tables": tables})
    elif not tables:
        console.print(
            f"No tables in {shown(where.root)} yet. Run `loyalty-lake demo` to create some."
        )
    else:
        print_status(tables, where)
