"""Status: the lake's tables with their versions, row counts and last batch.

It reads the Delta tables only, never the catalogue, whose contracts load pandera:
``loyalty-lake status`` stays quick (docs/performance.md, "Startup").
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loyalty_lake.io import delta
from loyalty_lake.io.lake import LAYERS, LakeLike, as_lake

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from loyalty_lake.io.lake import Lake, Layer


@dataclass(frozen=True, slots=True)
class TableStatus:
    """One Delta table of the lake."""

    layer: Layer
    name: str
    version: int
    rows: int
    last_batch: str | None
    updated_at: datetime


def status(*, lake: LakeLike) -> list[TableStatus]:
    """Every Delta table of the lake, layer by layer, sorted by name.

    The tables' logs are read on threads (Delta reads without the GIL); rows
    are counted from the logs' file statistics at the versions shown.
    """
    lake = as_lake(lake)
    found = [(layer, path) for layer in LAYERS for path in _present(lake, layer)]
    with ThreadPoolExecutor() as pool:
        tables = list(pool.map(_version_and_rows, [path for _, path in found]))
    return [
        TableStatus(
            layer=layer,
            name=path.name,
            version=commit.version,
            rows=rows,
            last_batch=commit.metadata.get("batch_id"),
            updated_at=commit.timestamp,
        )
        for (layer, path), (commit, rows) in zip(found, tables, strict=True)
    ]


def _version_and_rows(path: Path) -> tuple[delta.Commit, int]:
    """The table's newest commit and its rows at that version."""
    commit = delta.last_commit(path)
    return commit, delta.row_count(path, version=commit.version)


def _present(lake: Lake, layer: Layer) -> list[Path]:
    """The Delta tables in ``layer``'s folder, sorted by name, as ``catalog.present`` lists them."""
    folder = lake.layer(layer)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and delta.table_exists(p))
