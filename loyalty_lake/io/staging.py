"""Scratch space of a run: a big input split once into parts, then read back part by part.

A staging folder lives in a private layer (it holds raw bronze text), belongs to
one run and is removed when the run ends; a run that was killed leaves one
behind, which the next run of the same stage removes before it starts. Whatever
is in the staging folder's place is removed as it is: a symbolic link is unlinked,
never followed.
"""

from __future__ import annotations

import shutil
import stat
from contextlib import contextmanager
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_PART = "_part"
#: Rows buffered per part before they are written: bounds the memory of a split.
_ROW_GROUP = 64_000


@contextmanager
def staging(folder: Path) -> Iterator[Path]:
    """A fresh, owner-only folder for one run's parts, removed afterwards."""
    _remove(folder)  # left by a killed run
    folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.mkdir(mode=0o700)
    try:
        yield folder
    finally:
        _remove(folder)


def _remove(path: Path) -> None:
    """Remove the folder ``path`` with its content; a link or a file there is only unlinked."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(path, ignore_errors=True)  # unlinks the links inside, never follows them
    else:
        path.unlink(missing_ok=True)


def write_parts(folder: Path, frame: pl.LazyFrame, *, part: pl.Expr | str) -> None:
    """Write ``frame`` split by the integer ``part`` of each row, streaming, in one pass.

    ``part`` is an expression, or the name of the column of ``frame`` that holds
    it (not written).
    """
    keyed = (
        frame.with_columns(part.alias(_PART))
        if isinstance(part, pl.Expr)
        else frame.rename({part: _PART})
    )
    keyed.sink_parquet(
        pl.PartitionBy(folder, key=_PART, include_key=False),
        compression="lz4",
        row_group_size=_ROW_GROUP,
        mkdir=True,
    )


def scan_part(folder: Path, part: int, *, schema: pl.Schema) -> pl.LazyFrame:
    """The rows of ``part`` written by :func:`write_parts` (none: an empty frame)."""
    path = folder / f"{_PART}={part}"
    if not path.is_dir():
        return pl.LazyFrame(schema=schema)
    return pl.scan_parquet(path / "*.parquet", hive_partitioning=False, schema=schema)
