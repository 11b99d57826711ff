"""The BI export: one plain file per gold table, replaced atomically.

A reader (Power BI, Tableau, DuckDB, pandas) never sees a half-written file:
each file is written under a temporary name in the same folder, then renamed
over the old one. CSV exports neutralise values that a spreadsheet would run
as a formula.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Mapping

ExportFormat: TypeAlias = Literal["parquet", "csv"]
#: A value starting with one of these is a formula to a spreadsheet (OWASP CSV injection).
FORMULA_START = r"^[=+\-@\t\r]"


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Text values that start like a formula, prefixed with a quote (``'=1+1``)."""
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def write_atomically(frame: pl.DataFrame, target: Path, *, file_format: ExportFormat) -> Path:
    """Write ``frame`` to ``target`` through a temporary file and an atomic rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    try:
        if file_format == "csv":
            neutralised(frame).write_csv(temporary)
        else:
            frame.write_parquet(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp made it owner-only
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def export_tables(
    tables: Mapping[str, pl.DataFrame], *, folder: Path, file_format: ExportFormat
) -> list[Path]:
    """Write each table to ``<folder>/<name>.<format>``; return the files."""
    return [
        write_atomically(frame, folder / f"{name}.{file_format}", file_format=file_format)
        for name, frame in tables.items()
    ]
