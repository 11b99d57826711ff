"""``loyalty-lake inspect``: what landing and silver would make of a batch, without landing it."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - typer reads the annotations at run time
from typing import TYPE_CHECKING, Annotated

import typer

from loyalty_lake.cli.app import ConfigOption, VerboseOption, app, command, lake_at
from loyalty_lake.cli.terminal import console, shown, shown_lines

if TYPE_CHECKING:
    from rich.table import Table

    from loyalty_lake.pipeline.inspect import FileInspection, Finding, InspectReport

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_FORMATS_SHOWN = 3


@app.command("inspect")
@command
def inspect_command(
    path: Annotated[Path, typer.Argument(help="A batch folder of CSV files, or one CSV file.")],
    lake: Annotated[
        Path | None,
        typer.Option(
            "--lake", help="Also check ids against this lake's silver master data (if it exists)."
        ),
    ] = None,
    toml: Annotated[
        Path | None,
        typer.Option(
            "--toml",
            help="Write the suggested settings to this TOML file (pass it to build with --config).",
        ),
    ] = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Inspect a batch without landing it: files, columns, formats, and what is ambiguous.

    Reports per file the table, delimiter, encoding, compression, rows, blank
    lines, padded and malformed rows, missing and unknown columns; per column
    how silver reads it, its formats and the normalisations silver would count;
    then the findings: dates no value orders, decimal commas, mixed
    currencies, values silver would reject, ids that are not master keys.
    The settings that settle them are printed as TOML (or written with --toml):
    review them, then build with them.

    Example: loyalty-lake inspect landing/2026-10-31 --toml fixes.toml
    """
    from loyalty_lake.config import load_config
    from loyalty_lake.pipeline import inspect_landing

    settings = load_config(config)
    where = lake_at(lake) if lake is not None else None
    report = inspect_landing(path, config=settings, lake=where)
    console.print(f"Inspected {shown(report.path)} (nothing was landed).")
    console.print(_files_table(report))
    for f in report.files:
        if f.columns:
            console.print(_columns_table(f))
    if report.findings:
        console.print(_findings_table(report.findings))
    else:
        console.print("No findings: the batch reads as it is.")
    if toml is not None:
        toml.write_text(report.toml(), encoding="utf-8")
        settled = sum(1 for s in report.settings if s.certain)
        console.print(
            f"Wrote {len(report.settings)} suggested setting(s) to {shown(toml)} ({settled} "
            f"active). Review it, then: loyalty-lake build --config {shown(toml)}",
            soft_wrap=True,
        )
    elif report.settings:
        console.print("\n[bold]Suggested settings[/] (write them with --toml FILE):")
        console.print(shown_lines(report.toml()), soft_wrap=True)


def _files_table(report: InspectReport) -> Table:
    from rich.table import Table

    table = Table(title="Files")
    for column in ("file", "table", "lands", "read as"):
        table.add_column(column)
    for column in ("rows", "blank", "padded", "malformed"):
        table.add_column(column, justify="right")
    table.add_column("columns")
    for f in report.files:
        read_as = [_DELIMITERS.get(f.delimiter or "", ""), f.encoding or "", f.compression or ""]
        table.add_row(
            shown(f.source_file),
            shown(f.table or "?"),
            "yes" if f.lands else f"[red]no[/] ({shown(f.refused)})",
            shown(", ".join(part for part in read_as if part)),
            f"{f.rows:,}",
            f"{f.blank_lines:,}",
            f"{f.padded_rows:,}",
            f"{f.malformed_rows:,}",
            _columns_note(f),
        )
    return table


def _columns_note(f: FileInspection) -> str:
    notes = []
    if f.missing_columns:
        notes.append("missing " + ", ".join(f.missing_columns))
    if f.unknown_columns:
        notes.append("unknown " + ", ".join(shown(c) for c in f.unknown_columns))
    if f.aliases:
        notes.append(", ".join(f"{shown(h)} → {c}" for h, c in f.aliases.items()))
    return "; ".join(notes)


def _columns_table(f: FileInspection) -> Table:
    from rich.table import Table

    table = Table(title=f"{shown(f.source_file)} → {f.table}")
    table.add_column("column")
    table.add_column("header")
    table.add_column("read as")
    table.add_column("values", justify="right")
    table.add_column("missing", justify="right")
    table.add_column("formats (rows, e.g.)")
    table.add_column("normalised")
    for c in f.columns:
        formats = "\n".join(
            f"{shown(v.format)} ({v.rows:,}, {shown(v.example)})"
            for v in c.formats[:_FORMATS_SHOWN]
        )
        normalised = "\n".join(f"{kind} {rows:,}" for kind, rows in c.normalisations.items())
        table.add_row(
            c.column,
            shown(c.header),
            c.read_as,
            f"{c.values:,}",
            f"{c.missing:,}",
            formats,
            normalised,
        )
    return table


def _findings_table(findings: tuple[Finding, ...]) -> Table:
    from rich.table import Table

    table = Table(title="Findings")
    table.add_column("finding", no_wrap=True, min_width=max(len(f.kind.value) for f in findings))
    table.add_column("where")
    table.add_column("rows", justify="right")
    table.add_column("what")
    table.add_column("settled by")
    for f in findings:
        where = shown(f.source_file) + (f"\n{f.column}" if f.column else "")
        what = shown(f.message)
        if f.examples:
            what += "\ne.g. " + "; ".join(shown(e) for e in f.examples)
        table.add_row(
            f.kind.value,
            where,
            f"{f.rows:,}" if f.rows else "",
            what,
            shown(f.setting) if f.setting else "",
        )
    return table
