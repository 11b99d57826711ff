"""Time travel and maintenance: history, restore, optimize and vacuum of the lake's tables."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loyalty_lake.errors import ConfigError, LakePathError
from loyalty_lake.io import delta
from loyalty_lake.io.lake import LAYERS
from loyalty_lake.io.lock import holds_lake

if TYPE_CHECKING:
    from pathlib import Path

    from loyalty_lake.io.delta import Commit
    from loyalty_lake.io.lake import Lake, Layer

#: Vacuum keeps the files of the versions of the last 7 days by default.
DEFAULT_RETENTION_HOURS = 7 * 24


def locate(lake: Lake, table: str) -> tuple[Layer, Path]:
    """The layer and path of ``table``, named ``layer/name`` or just ``name`` if unambiguous."""
    if "/" in table:
        layer, _, name = table.partition("/")
        path = lake.table(layer, name)  # type: ignore[arg-type]
        if delta.table_exists(path):
            return layer, path  # type: ignore[return-value]
        candidates = []
    else:
        candidates = [
            (layer, lake.table(layer, table))
            for layer in LAYERS
            if delta.table_exists(lake.table(layer, table))
        ]
        if len(candidates) == 1:
            return candidates[0]
    names = ", ".join(f"{layer}/{path.name}" for layer, path in candidates)
    raise LakePathError(
        f"{table!r} is {'ambiguous: ' + names if candidates else 'not a table of the lake'}.",
        hint="Name it as layer/name, e.g. silver/sales_lines; `loyalty-lake status` lists them.",
    )


def history(*, lake: Lake, table: str, limit: int | None = None) -> list[Commit]:
    """The commits of ``table``, newest first: version, time, operation, rows, run and batch."""
    _, path = locate(lake, table)
    return delta.table_history(path, limit=limit)


@holds_lake
def restore(*, lake: Lake, table: str, version: int) -> int:
    """Restore ``table`` to ``version`` (recorded as a new version); return that new version."""
    layer, path = locate(lake, table)
    meta = {"run_id": uuid.uuid4().hex, "layer": layer, "operation": f"restore to {version}"}
    return delta.restore_table(path, version, metadata=meta)


@dataclass(frozen=True, slots=True)
class Maintained:
    """What optimize or vacuum did to one table."""

    table: str
    files: int


@holds_lake
def optimize(*, lake: Lake) -> list[Maintained]:
    """Compact the small files of every table (one commit per table that changed)."""
    done = []
    for layer in LAYERS:
        folder = lake.layer(layer)
        for path in sorted(p for p in folder.glob("*") if delta.table_exists(p)):
            meta = {"run_id": uuid.uuid4().hex, "layer": layer, "operation": "optimize"}
            metrics = delta.optimize_table(path, metadata=meta)
            done.append(Maintained(f"{layer}/{path.name}", int(metrics.get("numFilesRemoved", 0))))
    return done


@holds_lake
def vacuum(
    *, lake: Lake, retention_hours: int = DEFAULT_RETENTION_HOURS, dry_run: bool = True
) -> list[Maintained]:
    """Delete (or, in a dry run, list) files unused by versions younger than the retention.

    Versions older than the retention can no longer be read or restored afterwards.
    A negative retention is refused (:class:`ConfigError`).
    """
    if retention_hours < 0:
        raise ConfigError(
            f"The retention (--retention-hours) must be 0 or more hours, not {retention_hours}.",
            hint=f"The default, {DEFAULT_RETENTION_HOURS} hours, keeps a week of versions.",
        )
    done = []
    for layer in LAYERS:
        folder = lake.layer(layer)
        for path in sorted(p for p in folder.glob("*") if delta.table_exists(p)):
            files = delta.vacuum_table(path, retention_hours=retention_hours, dry_run=dry_run)
            done.append(Maintained(f"{layer}/{path.name}", len(files)))
    return done
