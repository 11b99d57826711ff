"""The catalogue: every table of a lake by layer and name, its schema, and reading it.

Bronze holds one table per landing file plus the manifest; silver one table
per landing file plus ``rejects``, ``warnings`` and ``processed_files``; gold
the published tables of :data:`loyalty_lake.gold.models.GOLD_MODELS`. Reading
a known table that does not exist yet gives an empty frame of its schema, so
that the first build and a partial lake need no special cases.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.bronze.ingest import MANIFEST_SCHEMA, bronze_schema
from loyalty_lake.errors import LakePathError
from loyalty_lake.gold.models import GOLD_MODELS
from loyalty_lake.io import delta
from loyalty_lake.io.lake import LAYERS, Lake
from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.silver.models import SILVER_SCHEMAS, schema

if TYPE_CHECKING:
    from loyalty_lake.io.lake import Layer

#: The bronze manifest of landed and refused files.
MANIFEST = "landed_files"
#: Silver's record of the bronze files it has processed.
PROCESSED = "processed_files"
REJECTS = "rejects"
WARNINGS = "warnings"
#: Silver's counts of values normalised per file, column and kind.
NORMALISATIONS = "normalisations"
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
    "gold": {name: schema(model) for name, model in GOLD_MODELS.items()},
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
    path = lake.table(layer, name)
    if not delta.table_exists(path) and name in _SCHEMAS.get(layer, {}):
        return pl.LazyFrame(schema=_SCHEMAS[layer][name])
    return delta.scan_table(path, version=version)


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
    "WARNINGS",
    "exists",
    "present",
    "scan",
    "table_names",
    "table_schema",
    "version",
]
