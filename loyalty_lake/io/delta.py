"""The one place that reads and writes Delta tables.

Writes take a ``mode`` and commit metadata (run id, layer, batch, ...), which
``loyalty-lake history`` and the idempotency checks read back. Reads go
through :func:`polars.scan_delta`, so callers always get a LazyFrame.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import polars as pl
from deltalake import CommitProperties, DeltaTable, write_deltalake

from loyalty_lake.errors import TableNotFoundError

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    import pyarrow as pa

log = logging.getLogger(__name__)

WriteMode: TypeAlias = Literal["append", "overwrite"]
METADATA_PREFIX = "loyalty_lake."


def table_exists(path: Path) -> bool:
    """Whether ``path`` holds a Delta table."""
    return DeltaTable.is_deltatable(str(path))


def table_version(path: Path) -> int | None:
    """The latest version of the table at ``path``, or None if there is none."""
    return DeltaTable(str(path)).version() if table_exists(path) else None


def scan_table(path: Path, *, version: int | None = None) -> pl.LazyFrame:
    """A lazy scan of the Delta table at ``path`` (at ``version`` if given)."""
    if not table_exists(path):
        raise TableNotFoundError(
            f"There is no Delta table at {path}.",
            hint="Run `loyalty-lake build` (or `loyalty-lake demo`) to create the lake's tables.",
        )
    return pl.scan_delta(str(path), version=version)


def write_table(
    path: Path,
    data: pl.DataFrame | pa.RecordBatchReader | pa.Table,
    *,
    mode: WriteMode,
    metadata: Mapping[str, str],
) -> int:
    """Write ``data`` to the Delta table at ``path`` in one commit; return its version.

    The table is created on first write. ``metadata`` is stored in the commit
    under ``loyalty_lake.<key>``. A reader that raises aborts the write: nothing
    is committed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    arrow = data.to_arrow() if isinstance(data, pl.DataFrame) else data
    custom = {METADATA_PREFIX + key: str(value) for key, value in metadata.items()}
    write_deltalake(
        str(path),
        arrow,
        mode=mode,
        commit_properties=CommitProperties(custom_metadata=custom),
    )
    version = DeltaTable(str(path)).version()
    log.debug("Wrote %s version %s (%s)", path, version, mode)
    return version


@dataclass(frozen=True, slots=True)
class Commit:
    """One entry of a table's history."""

    version: int
    timestamp: datetime
    operation: str
    rows_added: int | None
    metadata: Mapping[str, str]


def table_history(path: Path, *, limit: int | None = None) -> list[Commit]:
    """The commits of the table at ``path``, newest first."""
    if not table_exists(path):
        raise TableNotFoundError(
            f"There is no Delta table at {path}.",
            hint="Run `loyalty-lake status` to list the lake's tables.",
        )
    return [_commit(entry) for entry in DeltaTable(str(path)).history(limit)]


def _commit(entry: Mapping[str, Any]) -> Commit:
    metrics = entry.get("operationMetrics") or {}
    return Commit(
        version=int(entry["version"]),
        timestamp=datetime.fromtimestamp(entry["timestamp"] / 1000, tz=UTC),
        operation=str(entry.get("operation", "")),
        rows_added=metrics.get("num_added_rows"),
        metadata={
            key.removeprefix(METADATA_PREFIX): str(value)
            for key, value in entry.items()
            if key.startswith(METADATA_PREFIX)
        },
    )
