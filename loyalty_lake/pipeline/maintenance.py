"""Time travel and maintenance: history, restore, optimize and vacuum of the lake's tables."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import FileStatus
from loyalty_lake.config import load_config
from loyalty_lake.errors import ConfigError, LakePathError, TableNotFoundError
from loyalty_lake.io import catalog, delta
from loyalty_lake.io.lake import LAYERS
from loyalty_lake.io.lock import holds_lake
from loyalty_lake.pipeline.gold import append_snapshot, build_gold, export_gold
from loyalty_lake.pipeline.silver import build_silver

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from loyalty_lake.config import Config
    from loyalty_lake.io.delta import Commit
    from loyalty_lake.io.lake import Lake, Layer

log = logging.getLogger(__name__)

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


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore did.

    ``tables`` maps each table put back (``layer/name``) to its new version;
    ``snapshot`` is the gold snapshot gold now reads; ``unlanded`` the batches
    bronze no longer holds (the next build lands them again if their files are
    still in the landing folder); ``rebuilt`` whether silver and gold were
    derived again from the restored layers.
    """

    table: str
    version: int
    tables: dict[str, int]
    snapshot: int | None
    unlanded: tuple[str, ...] = ()
    rebuilt: bool = False


@holds_lake
def restore(*, lake: Lake, table: str, version: int, config: Config | None = None) -> Restored:
    """Put ``table`` back to ``version``, with everything that depends on it.

    The lake's layers stay consistent, so a restore is of a moment, not of one
    table alone:

    - a bronze or silver table: every table of its layer and of silver is put
      back to the moment ``version`` was committed, then silver is derived
      again from bronze (bronze files landed since are processed anew) and gold
      is republished;
    - a gold table (or ``gold/snapshots``): gold is published as a whole, so
      every gold table goes back to the snapshot that published ``version``
      (for ``gold/snapshots``, snapshot number ``version``) and the export is
      rewritten. The next build republishes gold computed from silver.

    Nothing is changed when any version needed was deleted by vacuum
    (:class:`~loyalty_lake.errors.TableNotFoundError`).
    """
    layer, path = locate(lake, table)
    name = f"{layer}/{path.name}"
    _check_version(path, version)
    if layer == "gold":
        return _restore_gold(lake, name, version)
    moment = _end_of_step(lake, layer, path, version)
    targets = {
        target: delta.version_at(target, moment)
        for later in LAYERS[LAYERS.index(layer) : LAYERS.index("silver") + 1]
        for target in catalog.present(lake, later)
    }
    for target, wanted in targets.items():
        if wanted is not None:
            _check_version(target, wanted)
    landed_before = _landed_batches(lake)
    built = {later: bool(catalog.present(lake, later)) for later in ("silver", "gold")}
    meta = {"run_id": uuid.uuid4().hex, "operation": f"restore {name} to {version}"}
    done = {}
    for target, wanted in targets.items():
        meta["layer"] = target.parent.name
        done[f"{target.parent.name}/{target.name}"] = (
            delta.empty_table(target, delta.scan_table(target).collect_schema(), metadata=meta)
            if wanted is None
            else delta.restore_table(target, wanted, metadata=meta)
        )
    unlanded = tuple(sorted(landed_before - _landed_batches(lake)))
    settings = config or load_config()
    if built["silver"]:  # derive again what had been derived, no more
        log.info("Restored %d table(s); deriving silver again", len(done))
        build_silver(lake=lake, config=settings, run_id=meta["run_id"])
    if built["gold"]:
        log.info("Publishing gold again")
        build_gold(lake=lake, config=settings, run_id=meta["run_id"])
    return Restored(
        table=name,
        version=version,
        tables=done,
        snapshot=catalog.gold_snapshot(lake).snapshot,
        unlanded=unlanded,
        rebuilt=built["silver"],
    )


def _end_of_step(lake: Lake, layer: Layer, path: Path, version: int) -> datetime:
    """When the step that committed ``version`` ended: the moment the lake goes back to.

    A bronze version goes back to the end of its batch's landing (every file of
    that batch, none of the next); a silver version to the end of the silver
    run that wrote it, the only moments at which silver's tables agree.
    """
    commit = next(c for c in delta.table_history(path) if c.version == version)
    run_id, batch_id = commit.metadata.get("run_id"), commit.metadata.get("batch_id")
    same_step = [
        c.timestamp
        for table in catalog.present(lake, layer)
        for c in delta.table_history(table)
        if c.metadata.get("run_id") == run_id
        and (layer != "bronze" or c.metadata.get("batch_id") == batch_id)
    ]
    return max([commit.timestamp, *same_step]) if run_id else commit.timestamp


def _restore_gold(lake: Lake, name: str, version: int) -> Restored:
    """Every gold table back to the snapshot that published ``name`` at ``version``."""
    published = catalog.scan(lake, "gold", catalog.SNAPSHOTS).collect()
    if name == f"gold/{catalog.SNAPSHOTS}":
        wanted = published.filter(pl.col("snapshot") == version)
    else:
        table = name.removeprefix("gold/")
        holding = published.filter((pl.col("table") == table) & (pl.col("version") == version))
        wanted = published.filter(pl.col("snapshot") == holding["snapshot"].max())
    if wanted.is_empty():
        raise TableNotFoundError(
            f"No published gold snapshot holds {name} version {version}; gold is restored "
            "as a whole, to a snapshot a build published.",
            hint="`loyalty-lake history gold/snapshots` lists the snapshots; "
            "`ll.scan(lake, 'gold', 'snapshots')` shows each table's version in them.",
        )
    snapshot = catalog.gold_snapshot(lake, snapshot=wanted["snapshot"][0])
    for table, kept in snapshot.versions.items():
        _check_version(lake.table("gold", table), kept)
    meta = {
        "run_id": uuid.uuid4().hex,
        "layer": "gold",
        "operation": f"restore gold to snapshot {snapshot.snapshot}",
        "as_of": snapshot.as_of.isoformat() if snapshot.as_of else "",
    }
    versions = {
        table: delta.restore_table(lake.table("gold", table), kept, metadata=meta)
        for table, kept in snapshot.versions.items()
    }
    number = append_snapshot(
        lake, versions, as_of=snapshot.as_of, meta=meta, restored_from=snapshot.snapshot
    )
    export_gold(lake=lake)
    return Restored(
        table=name,
        version=version,
        tables={f"gold/{table}": v for table, v in versions.items()},
        snapshot=number,
    )


def _check_gold_published(lake: Lake) -> None:
    """Refuse to vacuum while readers read gold tables at versions older than the latest.

    That happens only after a build stopped between writing gold and publishing
    its snapshot: vacuum could delete the files the published snapshot reads.
    """
    snapshot = catalog.gold_snapshot(lake)
    behind = sorted(
        name
        for name, published in snapshot.versions.items()
        if catalog.version(lake, "gold", name) != published
    )
    if snapshot.snapshot is not None and behind:
        raise LakePathError(
            f"Gold was left half-published by an interrupted build ({', '.join(behind)} "
            f"are newer than snapshot {snapshot.snapshot}, which readers read); vacuum "
            "could delete the files they read.",
            hint="Run `loyalty-lake build` first: it publishes gold again.",
        )


def _check_version(path: Path, version: int) -> None:
    """Raise unless ``version`` of the table at ``path`` exists and can still be read."""
    latest = delta.table_version(path)
    if latest is None or not 0 <= version <= latest:
        raise TableNotFoundError(
            f"{path.parent.name}/{path.name} has no version {version} (versions 0 to {latest}).",
            hint=f"`loyalty-lake history {path.parent.name}/{path.name}` lists the versions.",
        )
    if not delta.readable(path, version):
        raise TableNotFoundError(
            f"Version {version} of {path.parent.name}/{path.name} can no longer be restored: "
            "vacuum deleted its files. Nothing was changed.",
            hint=f"`loyalty-lake history {path.parent.name}/{path.name}` lists the versions; "
            "restore a younger one.",
        )


def _landed_batches(lake: Lake) -> set[str]:
    """The batches with at least one file landed in bronze."""
    return set(
        catalog.scan(lake, "bronze", catalog.MANIFEST)
        .filter(pl.col("status") == FileStatus.LANDED)
        .select("batch_id")
        .unique()
        .collect()["batch_id"]
    )


@dataclass(frozen=True, slots=True)
class Maintained:
    """What optimize or vacuum did to one table."""

    table: str
    files: int


@holds_lake
def optimize(*, lake: Lake) -> list[Maintained]:
    """Compact the small files of every table (one commit per table that changed).

    Compacting a gold table makes a new version of the same rows: the published
    snapshot is republished at the new versions, so readers keep one snapshot.
    """
    published = catalog.gold_snapshot(lake)
    current = {  # tables of an interrupted build's gold (newer than the snapshot) stay out
        name
        for name, version in published.versions.items()
        if catalog.version(lake, "gold", name) == version
    }
    done = []
    for layer in LAYERS:
        for path in catalog.present(lake, layer):
            meta = {"run_id": uuid.uuid4().hex, "layer": layer, "operation": "optimize"}
            metrics = delta.optimize_table(path, metadata=meta)
            done.append(Maintained(f"{layer}/{path.name}", int(metrics.get("numFilesRemoved", 0))))
    compacted = {
        name: latest
        for name in current
        if (latest := catalog.version(lake, "gold", name)) != published.versions[name]
        and latest is not None
    }
    if published.snapshot is not None and compacted:
        meta = {
            "run_id": published.run_id or uuid.uuid4().hex,
            "layer": "gold",
            "operation": "optimize",
            "silver_versions": published.silver_versions,
        }
        append_snapshot(
            lake,
            published.versions | compacted,
            as_of=published.as_of,
            meta=meta,
            restored_from=published.restored_from,
        )
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
    _check_gold_published(lake)
    done = []
    for layer in LAYERS:
        for path in catalog.present(lake, layer):
            files = delta.vacuum_table(path, retention_hours=retention_hours, dry_run=dry_run)
            done.append(Maintained(f"{layer}/{path.name}", len(files)))
    return done
