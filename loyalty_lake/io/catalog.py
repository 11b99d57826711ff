"""The catalogue: every table of a lake by layer and name, its schema, and reading it.

Bronze holds one table per landing file plus the manifest; silver one table
per landing file plus ``rejects``, ``warnings`` and ``processed_files``; gold
the tables of a gold snapshot (:data:`loyalty_lake.gold.models.SNAPSHOT_MODELS`) plus
``snapshots``, the gold manifest. Reading a known table that does not exist
yet gives an empty frame of its schema, so that the first build and a partial
lake need no special cases.

Gold is published as a whole: each build writes the tables that changed, then
appends one snapshot naming the version of every gold table, written last.
Reading gold without a version reads the tables at the versions of the latest
snapshot, so a reader never mixes two builds (:func:`gold_snapshot` gives one
snapshot to read several tables from).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.bronze.ingest import MANIFEST_SCHEMA, bronze_schema
from loyalty_lake.errors import LakePathError
from loyalty_lake.gold.models import SNAPSHOT_MODELS
from loyalty_lake.io import delta
from loyalty_lake.io.lake import LAYERS, Lake
from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.silver.models import SILVER_SCHEMAS, schema

if TYPE_CHECKING:
    from datetime import datetime

    from loyalty_lake.io.lake import Layer

#: The bronze manifest of landed and refused files.
MANIFEST = "landed_files"
#: Silver's record of the bronze files it has processed.
PROCESSED = "processed_files"
REJECTS = "rejects"
WARNINGS = "warnings"
#: Silver's counts of values normalised per file, column and kind.
NORMALISATIONS = "normalisations"
#: The gold manifest: one row per gold table per published snapshot.
SNAPSHOTS = "snapshots"
SNAPSHOT_SCHEMA = pl.Schema(
    {
        "snapshot": pl.Int64(),
        "table": pl.String(),
        "version": pl.Int64(),
        "run_id": pl.String(),
        "as_of": pl.Date(),
        "published_at": pl.Datetime("us", "UTC"),
        "silver_versions": pl.String(),
        "restored_from": pl.Int64(),
    }
)
#: Master data tables, in load order (masters before the facts that reference them).
MASTERS = tuple(name for name, spec in LANDING_FILES.items() if not spec.is_fact)
#: Fact tables.
FACTS = tuple(name for name, spec in LANDING_FILES.items() if spec.is_fact)

_SCHEMAS: dict[Layer, dict[str, pl.Schema]] = {
    "bronze": {
        **{name: bronze_schema(spec) for name, spec in LANDING_FILES.items()},
        MANIFEST: MANIFEST_SCHEMA,
    },
    "silver": dict(SILVER_SCHEMAS),
    "gold": {
        **{name: schema(model) for name, model in SNAPSHOT_MODELS.items()},
        SNAPSHOTS: SNAPSHOT_SCHEMA,
    },
}


def table_names(layer: Layer) -> tuple[str, ...]:
    """The tables ``layer`` holds once built, in catalogue order."""
    return tuple(_SCHEMAS[layer])


def table_schema(layer: Layer, name: str) -> pl.Schema:
    """The schema of catalogue table ``layer/name``."""
    try:
        return _SCHEMAS[layer][name]
    except KeyError:
        raise LakePathError(
            f"{layer}/{name} is not a table of the lake.",
            hint=f"The {layer} tables are: {', '.join(table_names(layer))}.",
        ) from None


def exists(lake: Lake, layer: Layer, name: str) -> bool:
    """Whether table ``layer/name`` has been written."""
    return delta.table_exists(lake.table(layer, name))


def version(lake: Lake, layer: Layer, name: str) -> int | None:
    """The latest version of table ``layer/name``, or None before it is written."""
    return delta.table_version(lake.table(layer, name))


def scan(
    lake: Lake | str | Path, layer: Layer, name: str, *, version: int | None = None
) -> pl.LazyFrame:
    """A lazy scan of table ``layer/name`` (at ``version`` for time travel).

    A catalogue table that has not been written yet scans as an empty frame
    of its schema; any other name that does not exist raises
    :class:`~loyalty_lake.errors.TableNotFoundError`.
    """
    lake = lake if isinstance(lake, Lake) else Lake(Path(lake))
    if layer == "gold" and version is None and name in SNAPSHOT_MODELS:
        return gold_snapshot(lake).scan(name)
    return _scan(lake, layer, name, version=version)


def appended(lake: Lake, layer: Layer, name: str, *, since: int | None) -> pl.LazyFrame | None:
    """The rows table ``layer/name`` gained after version ``since`` (all of them for None).

    None when rows were rewritten or removed since (see
    :func:`~loyalty_lake.io.delta.appended_since`).
    """
    if since is None:
        return _scan(lake, layer, name, version=None)
    return delta.appended_since(lake.table(layer, name), since, schema=table_schema(layer, name))


def _scan(lake: Lake, layer: Layer, name: str, *, version: int | None) -> pl.LazyFrame:
    path = lake.table(layer, name)
    if not delta.table_exists(path) and name in _SCHEMAS.get(layer, {}):
        return pl.LazyFrame(schema=_SCHEMAS[layer][name])
    return delta.scan_table(path, version=version)


@dataclass(frozen=True, slots=True)
class GoldSnapshot:
    """One published gold build: the version of each gold table, ``as_of`` and provenance.

    ``snapshot`` is None for a lake without a gold manifest yet (never built,
    or built by a loyalty_lake before snapshots): its tables are read at their
    latest versions.
    """

    lake: Lake
    snapshot: int | None
    versions: dict[str, int] = field(default_factory=dict)
    as_of: date | None = None
    run_id: str | None = None
    published_at: datetime | None = None
    silver_versions: str = ""
    restored_from: int | None = None

    def silver_version_map(self) -> dict[str, int]:
        """The version of each silver table this snapshot's gold was computed from."""
        pairs = (item.partition("=") for item in self.silver_versions.split(",") if item)
        return {name: int(version) for name, _, version in pairs}

    @property
    def published(self) -> bool:
        """Whether a build has published gold."""
        return bool(self.versions)

    def scan(self, name: str) -> pl.LazyFrame:
        """Gold table ``name`` as this snapshot published it (empty if it did not)."""
        if self.snapshot is not None and name not in self.versions:
            return pl.LazyFrame(schema=table_schema("gold", name))
        return _scan(self.lake, "gold", name, version=self.versions.get(name))


def gold_snapshot(lake: Lake | str | Path, *, snapshot: int | None = None) -> GoldSnapshot:
    """The latest published gold snapshot of ``lake`` (or snapshot number ``snapshot``)."""
    lake = lake if isinstance(lake, Lake) else Lake(Path(lake))
    path = lake.table("gold", SNAPSHOTS)
    if not delta.table_exists(path):
        return _unmanifested(lake)
    rows = delta.scan_table(path).collect()
    wanted = rows["snapshot"].max() if snapshot is None else snapshot
    chosen = rows.filter(pl.col("snapshot") == wanted)
    if chosen.is_empty():
        raise LakePathError(
            f"Gold has no snapshot {snapshot}.",
            hint="`loyalty-lake history gold/snapshots` lists the published snapshots.",
        )
    first = chosen.row(0, named=True)
    return GoldSnapshot(
        lake=lake,
        snapshot=first["snapshot"],
        versions=dict(zip(chosen["table"], chosen["version"], strict=True)),
        as_of=first["as_of"],
        run_id=first["run_id"],
        published_at=first["published_at"],
        silver_versions=first["silver_versions"] or "",
        restored_from=first["restored_from"],
    )


def _unmanifested(lake: Lake) -> GoldSnapshot:
    """Gold without a manifest: latest versions, ``as_of`` from the last build's commit."""
    versions = {
        name: v for name in SNAPSHOT_MODELS if (v := version(lake, "gold", name)) is not None
    }
    as_of = None
    for name in versions:
        built = next(
            (c for c in delta.table_history(lake.table("gold", name)) if "as_of" in c.metadata),
            None,
        )
        if built is not None and built.metadata["as_of"]:
            as_of = date.fromisoformat(built.metadata["as_of"])
            break
    return GoldSnapshot(lake=lake, snapshot=None, versions=versions, as_of=as_of)


def present(lake: Lake, layer: Layer) -> list[Path]:
    """The Delta tables in ``layer``'s folder, sorted by name; other entries are ignored."""
    folder = lake.layer(layer)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and delta.table_exists(p))


__all__ = [
    "FACTS",
    "LAYERS",
    "MANIFEST",
    "MASTERS",
    "NORMALISATIONS",
    "PROCESSED",
    "REJECTS",
    "SNAPSHOTS",
    "SNAPSHOT_SCHEMA",
    "WARNINGS",
    "GoldSnapshot",
    "exists",
    "gold_snapshot",
    "present",
    "scan",
    "table_names",
    "table_schema",
    "version",
]
