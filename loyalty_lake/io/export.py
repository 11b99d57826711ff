"""The BI export: one plain file per gold table, replaced atomically.

A reader (Power BI, Tableau, DuckDB, pandas) never sees a half-written file:
each file is written under a temporary name in the same folder, then renamed
over the old one. CSV exports neutralise values that a spreadsheet would run
as a formula. The writer holds a lock on its temporary file until the rename,
so the temporary files of a killed export, unlocked, are removed by the next
export of the same names and those of a running one are left alone.
"""

from __future__ import annotations

import fcntl
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import polars as pl

ExportFormat: TypeAlias = Literal["parquet", "csv"]
#: A value starting with one of these is a formula to a spreadsheet (OWASP CSV injection).
FORMULA_START = r"^[=+\-@\t\r]"


def neutralised(frame: pl.DataFrame) -> pl.DataFrame:
    """Text values that start like a formula, prefixed with a quote (``'=1+1``)."""
    import polars as pl  # here: the command line reads ExportFormat without loading polars

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
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=_temporary_prefix(target.name))
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # in use: not stale (the kernel unlocks it on exit)
        if file_format == "csv":
            neutralised(frame).write_csv(temporary)
        else:
            frame.write_parquet(temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp made it owner-only
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        os.close(handle)
    return target


def _temporary_prefix(file_name: str) -> str:
    """How the names of :func:`write_atomically`'s temporary files for ``file_name`` start."""
    return f".{file_name}."


def _remove_stale_temporaries(folder: Path, file_names: Iterable[str]) -> list[Path]:
    """Remove the temporary files that killed exports of ``file_names`` left in ``folder``.

    Only regular files named like :func:`write_atomically`'s temporary files and
    not locked by a running export are removed; links are never followed. Returns
    the removed files.
    """
    prefixes = tuple(_temporary_prefix(name) for name in file_names)
    if not prefixes or not folder.is_dir():
        return []
    with os.scandir(folder) as entries:
        candidates = [
            Path(entry.path)
            for entry in entries
            if entry.name.startswith(prefixes) and entry.is_file(follow_symlinks=False)
        ]
    return [path for path in candidates if _removed_if_unlocked(path)]


def _removed_if_unlocked(path: Path) -> bool:
    """Whether the regular file ``path`` was unlocked, so removed; never through a link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:  # gone, a link swapped in, or unreadable: not ours to remove
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # a running export is writing it
        return False
    else:
        path.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def export_tables(
    tables: Mapping[str, pl.DataFrame], *, folder: Path, file_format: ExportFormat
) -> list[Path]:
    """Write each table to ``<folder>/<name>.<format>``; return the files.

    Temporary files that a killed export of these files left behind are removed first.
    """
    _remove_stale_temporaries(folder, [f"{name}.{file_format}" for name in tables])
    return [
        write_atomically(frame, folder / f"{name}.{file_format}", file_format=file_format)
        for name, frame in tables.items()
    ]
