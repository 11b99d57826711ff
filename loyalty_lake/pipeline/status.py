"""Status: the lake's tables with their versions, row counts and last batch."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.io import catalog, delta
from loyalty_lake.io.lake import LAYERS, LakeLike, as_lake

if TYPE_CHECKING:
    from datetime import datetime

    from loyalty_lake.io.lake import Layer


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
    """Every Delta table of the lake, layer by layer, sorted by name."""
    lake = as_lake(lake)
    tables = []
    for layer in LAYERS:
        for path in catalog.present(lake, layer):
            last = delta.last_commit(path)
            rows = delta.scan_table(path).select(pl.len()).collect().item()
            tables.append(
                TableStatus(
                    layer=layer,
                    name=path.name,
                    version=last.version,
                    rows=rows,
                    last_batch=last.metadata.get("batch_id"),
                    updated_at=last.timestamp,
                )
            )
    return tables
