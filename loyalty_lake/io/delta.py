"""The one place that reads and writes Delta tables.

Writes take a ``mode`` and commit metadata (run id, layer, batch, ...), which
``loyalty-lake history`` and the idempotency checks read back. Reads go
through :func:`polars.scan_delta`, so callers always get a LazyFrame.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import polars as pl
from deltalake import CommitProperties, DeltaTable, Schema, WriterProperties, write_deltalake
from deltalake.transaction import AddAction, RemoveAction, create_table_with_add_actions

from loyalty_lake.errors import TableNotFoundError
from loyalty_lake.privacy import PRIVATE_LAYERS

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

    import pyarrow as pa

log = logging.getLogger(__name__)
#: Row groups of at most this many rows: a streaming reader holds a few row groups at a
#: time, so this bounds the memory of scanning a big table (deltalake's default is ~1M).
ROW_GROUP_ROWS = 128 * 1024
_WRITER = WriterProperties(max_row_group_size=ROW_GROUP_ROWS)

WriteMode: TypeAlias = Literal["append", "overwrite"]
METADATA_PREFIX = "loyalty_lake."


def table_exists(path: Path) -> bool:
    """Whether ``path`` holds a Delta table (a folder with a transaction log)."""
    return (path / "_delta_log").is_dir() and DeltaTable.is_deltatable(str(path))


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


def row_count(path: Path, *, version: int | None = None) -> int:
    """The rows of the table at ``path`` (at ``version`` if given), from its log.

    Delta keeps each data file's row count in the log (``numRecords``): the
    count reads no data file (and imports no pyarrow, which keeps
    ``loyalty-lake status`` quick). A table with a file written without
    statistics, or with deletion vectors, is counted by a scan instead.
    """
    table = _existing(path) if version is None else DeltaTable(str(path), version=version)
    files = pl.DataFrame(table.get_add_actions(flatten=True))
    counted = "num_records" in files.columns and not files["num_records"].has_nulls()
    if counted and "deletionVectors" not in (table.protocol().reader_features or []):
        return int(files["num_records"].sum())
    return scan_table(path, version=version).select(pl.len()).collect().item()


def appended_since(path: Path, version: int, *, schema: pl.Schema) -> pl.LazyFrame | None:
    """The rows the table at ``path`` gained after ``version``, if it only gained rows.

    Delta never changes a data file: a commit that only appends adds files and
    removes none. Returns a scan of the files added since ``version`` (empty
    when none was), or None when rows may have changed or gone: a file was
    removed (an overwrite, a replace, a delete, a compaction), the table is
    older than ``version`` (a restore) or ``version`` cannot be read any more.
    """
    if not table_exists(path):
        return None
    current = DeltaTable(str(path))
    if current.version() < version:
        return None
    try:
        before = set(DeltaTable(str(path), version=version).file_uris())
    except Exception:  # that version's log is gone
        return None
    now = set(current.file_uris())
    if not before <= now:
        return None
    added = sorted(now - before)
    if not added:
        return pl.LazyFrame(schema=schema)
    return pl.scan_parquet(added, schema=schema, hive_partitioning=False)


def write_table(
    path: Path,
    data: pl.DataFrame | pa.RecordBatchReader | pa.Table,
    *,
    mode: WriteMode,
    metadata: Mapping[str, str],
    add_columns: bool = False,
    new_schema: bool = False,
) -> int:
    """Write ``data`` to the Delta table at ``path`` in one commit; return its version.

    A frame is written by polars' Parquet writer (:func:`_write_files`); a
    stream of record batches, or a frame whose columns differ from the
    table's, by deltalake's. The table is created on first write. ``metadata``
    is stored in the commit under ``loyalty_lake.<key>``. A reader that raises
    aborts the write: nothing is committed. ``add_columns`` lets an append add
    columns the table lacks (a table written by an older loyalty_lake); the old
    rows read them as null.
    ``new_schema`` lets an overwrite change the table's schema (a table a newer
    loyalty_lake publishes with other columns).
    """
    _make_parent(path)
    if isinstance(data, pl.DataFrame) and not add_columns:  # added columns: deltalake's writer
        version = _write_files(path, data, mode=mode, metadata=metadata)
        if version is not None:
            return version
    arrow = data.to_arrow() if isinstance(data, pl.DataFrame) else data
    write_deltalake(
        str(path),
        arrow,
        mode=mode,
        schema_mode="merge" if add_columns else "overwrite" if new_schema else None,
        commit_properties=_commit_properties(metadata),
        writer_properties=_WRITER,
    )
    version = DeltaTable(str(path)).version()
    log.debug("Wrote %s version %s (%s)", path, version, mode)
    return version


def replace_where(
    path: Path,
    data: pl.DataFrame,
    *,
    column: str,
    values: Sequence[str],
    metadata: Mapping[str, str],
) -> int | None:
    """Replace the rows whose ``column`` is one of ``values`` by ``data``, in one commit.

    Idempotent: writing the same ``data`` for the same ``values`` twice leaves
    one copy. ``data`` must only hold rows with those values. Returns the new
    version, or None when there was nothing to write or replace.
    """
    if not values:
        return None
    if not table_exists(path) or not _holds_any(path, column, values):
        if data.is_empty():
            return None
        return write_table(path, data, mode="append", metadata=metadata)
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    _make_parent(path)
    write_deltalake(
        str(path),
        data.to_arrow(),
        mode="overwrite",
        predicate=f"{column} IN ({quoted})",
        commit_properties=_commit_properties(metadata),
        writer_properties=_WRITER,
    )
    return DeltaTable(str(path)).version()


#: Rows per data file written by :func:`write_table` (a bigger frame is written in several).
FILE_ROWS = 4 * 2**20
#: Column types whose least and greatest values the log records for each file written
#: here (readers skip files by them); others have their null counts only.
_STATS_TYPES = (pl.String, pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.Date)
_ROWS_ADDED = "rows_added"
#: The longest text a file's bounds record (deltalake's own writer keeps 32 characters).
_BOUND_CHARS = 64


def _write_files(
    path: Path, data: pl.DataFrame, *, mode: WriteMode, metadata: Mapping[str, str]
) -> int | None:
    """Write ``data`` with polars' Parquet writer, then commit its files; None if not possible.

    Polars encodes a frame in about half the time of deltalake's writer, and
    smaller (zstd). The commit is deltalake's, in one transaction, with each
    file's row count and statistics in the log. A table whose schema differs
    from the frame's is left to deltalake's writer (which evolves or refuses it).
    """
    schema = Schema.from_arrow(data.head(0).to_arrow().schema)
    table = DeltaTable(str(path)) if table_exists(path) else None
    if table is not None and table.schema().to_json() != schema.to_json():
        return None
    path.mkdir(exist_ok=True)
    slices = (data.slice(start, FILE_ROWS) for start in range(0, data.height, FILE_ROWS))
    actions = _written_files(path, slices)
    return _commit_files(path, table, actions, schema, mode, metadata, data.height)


def _written_files(
    path: Path, frames: Iterable[pl.DataFrame], *, bounds: Collection[str] | None = None
) -> list[AddAction]:
    """Write each frame with rows as a data file of the table at ``path``; their add actions.

    If writing fails (or ``frames`` raises), the files written so far are removed.
    (A failed commit leaves its files: deltalake may have committed before
    failing, and ``vacuum`` removes files no version uses.)
    """
    actions: list[AddAction] = []
    try:
        for frame in frames:
            if frame.height:
                actions.append(_written(path, frame, bounds=bounds))
    except BaseException:
        for action in actions:
            (path / action.path).unlink(missing_ok=True)
        raise
    return actions


def _commit_files(
    path: Path,
    table: DeltaTable | None,
    actions: list[AddAction],
    schema: Schema,
    mode: WriteMode,
    metadata: Mapping[str, str],
    rows: int,
) -> int:
    """Commit the data files ``actions`` name (creating the table if ``table`` is None)."""
    properties = _commit_properties({**metadata, _ROWS_ADDED: str(rows)})
    if table is None:
        create_table_with_add_actions(
            str(path), schema, actions, mode="append", commit_properties=properties
        )
    else:
        added: list[AddAction | RemoveAction] = list(actions)
        table.create_write_transaction(
            added, mode=mode, schema=schema, commit_properties=properties
        )
    version = DeltaTable(str(path)).version()
    log.debug("Wrote %s version %s (%s, %d rows)", path, version, mode, rows)
    return version


def append_frames(
    path: Path,
    frames: Iterable[pl.DataFrame],
    *,
    schema: pl.Schema,
    metadata: Mapping[str, str],
    bounds: Collection[str] | None = None,
) -> int | None:
    """Append every frame of ``frames`` to the table at ``path`` in one commit; its version.

    Frames are read one at a time and each is written as a data file as it
    comes, so memory holds one frame. If ``frames`` raises, the files written
    so far are removed and nothing is committed. None when there was no row.
    A table of another schema (one written by an older loyalty_lake) gets the
    frames through deltalake's writer, which adds the columns it lacks.
    ``bounds`` limits the columns whose bounds the log records (default: all
    it can), which readers filter by.
    """
    _make_parent(path)
    frames = (frame.select(pl.col(c).cast(t) for c, t in schema.items()) for frame in frames)
    arrow = pl.DataFrame(schema=schema).to_arrow().schema
    table = DeltaTable(str(path)) if table_exists(path) else None
    if table is not None and table.schema().to_json() != Schema.from_arrow(arrow).to_json():
        first = next(frames, None)
        if first is None:
            return None
        import pyarrow  # only here: `loyalty-lake status` reads the log without it

        batches = (
            batch for frame in chain([first], frames) for batch in frame.to_arrow().to_batches()
        )
        reader = pyarrow.RecordBatchReader.from_batches(arrow, batches)
        return write_table(path, reader, mode="append", metadata=metadata, add_columns=True)
    path.mkdir(exist_ok=True)
    actions = _written_files(path, frames, bounds=bounds)
    if not actions:
        return None
    rows = sum(json.loads(action.stats)["numRecords"] for action in actions)
    return _commit_files(path, table, actions, Schema.from_arrow(arrow), "append", metadata, rows)


def _written(path: Path, rows: pl.DataFrame, *, bounds: Collection[str] | None = None) -> AddAction:
    """Write ``rows`` as a new data file of the table at ``path``; its add action.

    The action records the file's rows, null counts and the least and greatest
    values of the ``bounds`` columns (default: every column of a type that has
    them). Text longer than :data:`_BOUND_CHARS` in a column, or a date beyond
    year 9999, gives that column no bounds: the log stays small and readable.
    """
    name = f"part-{uuid.uuid4()}.parquet"
    try:
        rows.write_parquet(path / name, row_group_size=ROW_GROUP_ROWS)
    except BaseException:
        (path / name).unlink(missing_ok=True)
        raise
    ranged = {
        c: dtype
        for c, dtype in rows.schema.items()
        if dtype in _STATS_TYPES and (bounds is None or c in bounds)
    }

    def bound(column: str, dtype: pl.DataType, extreme: pl.Expr) -> pl.Expr:
        if dtype == pl.String:  # whole values, or none when one is long
            short = pl.col(column).str.len_chars().max() <= _BOUND_CHARS
            return pl.when(short).then(extreme)
        if dtype == pl.Date:  # ISO text with a four-digit year, as the log writes dates
            text = extreme.dt.to_string("%Y-%m-%d")
            return pl.when(text.str.len_chars() == 10).then(text)
        return extreme

    found = rows.select(
        *(bound(c, t, pl.col(c).min()).alias(f"min|{c}") for c, t in ranged.items()),
        *(bound(c, t, pl.col(c).max()).alias(f"max|{c}") for c, t in ranged.items()),
    ).row(0, named=True)

    def values(kind: str) -> dict[str, object]:
        return {c: found[f"{kind}|{c}"] for c in ranged if found[f"{kind}|{c}"] is not None}

    stats = {
        "numRecords": rows.height,
        "minValues": values("min"),
        "maxValues": values("max"),
        "nullCount": dict(zip(rows.columns, rows.null_count().row(0), strict=True)),
    }
    written = (path / name).stat()
    return AddAction(
        name, written.st_size, {}, int(written.st_mtime * 1000), True, json.dumps(stats)
    )


def _holds_any(path: Path, column: str, values: Sequence[str]) -> bool:
    """Whether the table at ``path`` has a row whose ``column`` is one of ``values``."""
    found = scan_table(path).filter(pl.col(column).is_in(list(values))).select(column).head(1)
    return found.collect().height > 0


def merge(
    path: Path,
    source: pl.DataFrame,
    *,
    on: Sequence[str],
    update: Mapping[str, str] | None = None,
    insert: bool = False,
    metadata: Mapping[str, str],
) -> None:
    """Merge ``source`` into the table at ``path`` on the ``on`` columns, in one commit.

    Matched rows get ``update`` (column → SQL expression over ``s.`` source
    columns); unmatched source rows are inserted when ``insert`` is true.
    Both are idempotent when repeated.
    """
    if source.is_empty():
        return
    if not table_exists(path):
        if insert:
            write_table(path, source, mode="append", metadata=metadata)
        return
    merger = DeltaTable(str(path)).merge(
        source.to_arrow(),
        predicate=" AND ".join(f"t.{c} = s.{c}" for c in on),
        source_alias="s",
        target_alias="t",
        commit_properties=_commit_properties(metadata),
        writer_properties=_WRITER,
    )
    if update:
        merger = merger.when_matched_update(updates=dict(update))
    if insert:
        merger = merger.when_not_matched_insert_all()
    merger.execute()


def _make_parent(path: Path) -> None:
    """Create the table's layer folder: owner-only for layers that hold personal data."""
    private = path.parent.name in PRIVATE_LAYERS
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)


def _commit_properties(metadata: Mapping[str, str]) -> CommitProperties:
    return CommitProperties(
        custom_metadata={METADATA_PREFIX + key: str(value) for key, value in metadata.items()}
    )


@dataclass(frozen=True, slots=True)
class Commit:
    """One entry of a table's history."""

    version: int
    timestamp: datetime
    operation: str
    rows_added: int | None
    metadata: Mapping[str, str]


def table_history(path: Path, *, limit: int | None = None) -> list[Commit]:
    """The commits of the table at ``path``, newest first (at most ``limit``).

    Another process may commit while the log is read: the newest commits are
    then one more than asked for, never fewer.
    """
    commits = sorted(
        (_commit(entry) for entry in _existing(path).history(limit)),
        key=lambda c: c.version,
        reverse=True,
    )
    return commits[:limit] if limit is not None else commits


def last_commit(path: Path) -> Commit:
    """The newest commit of the table at ``path``."""
    return table_history(path, limit=1)[0]


def version_at(path: Path, moment: datetime) -> int | None:
    """The table's latest version committed at or before ``moment``, or None if it is younger."""
    return next(
        (c.version for c in table_history(path) if c.timestamp <= moment),
        None,
    )


def readable(path: Path, version: int) -> bool:
    """Whether every data file of ``version`` is still on disk (vacuum deletes old ones)."""
    try:
        files = DeltaTable(str(path), version=version).file_uris()
    except Exception:  # the log itself is gone: not readable
        return False
    return all(Path(uri.removeprefix("file://")).exists() for uri in files)


def _commit(entry: Mapping[str, Any]) -> Commit:
    metrics = entry.get("operationMetrics") or {}
    return Commit(
        version=int(entry["version"]),
        timestamp=datetime.fromtimestamp(entry["timestamp"] / 1000, tz=UTC),
        operation=str(entry.get("operation", "")),
        rows_added=_rows_added(entry, metrics),
        metadata={
            key.removeprefix(METADATA_PREFIX): str(value)
            for key, value in entry.items()
            if key.startswith(METADATA_PREFIX) and key != METADATA_PREFIX + _ROWS_ADDED
        },
    )


def _rows_added(entry: Mapping[str, Any], metrics: Mapping[str, Any]) -> int | None:
    """Rows a commit added: deltalake's metrics, or what :func:`_write_files` recorded."""
    if "num_added_rows" in metrics:
        return int(metrics["num_added_rows"])
    recorded = entry.get(METADATA_PREFIX + _ROWS_ADDED)
    return None if recorded is None else int(recorded)


def restore_table(path: Path, version: int, *, metadata: Mapping[str, str]) -> int:
    """Make ``version`` the table's current state again (a new commit); return the new version."""
    table = _existing(path)
    if not 0 <= version <= table.version():
        raise TableNotFoundError(
            f"{path.name} has no version {version} (versions 0 to {table.version()}).",
            hint="`loyalty-lake history TABLE` lists the versions.",
        )
    if version == table.version():
        return version  # already current: nothing to do
    if not readable(path, version):
        raise TableNotFoundError(
            f"Version {version} of {path.name} can no longer be restored: "
            "vacuum deleted its files.",
            hint="`loyalty-lake history TABLE` lists the versions; restore a younger one.",
        )
    table.restore(version, commit_properties=_commit_properties(metadata))
    return DeltaTable(str(path)).version()


def optimize_table(path: Path, *, metadata: Mapping[str, str]) -> dict[str, Any]:
    """Compact the table's small files into bigger ones (a new commit); return the metrics."""
    table = _existing(path)
    return dict(
        table.optimize.compact(
            commit_properties=_commit_properties(metadata), writer_properties=_WRITER
        )
    )


def vacuum_table(path: Path, *, retention_hours: int, dry_run: bool) -> list[str]:
    """Files unused by versions younger than ``retention_hours``, deleted unless ``dry_run``."""
    return list(
        _existing(path).vacuum(
            retention_hours=retention_hours,
            dry_run=dry_run,
            enforce_retention_duration=False,
        )
    )


def empty_table(path: Path, schema: pl.Schema, *, metadata: Mapping[str, str]) -> int:
    """Replace every row of the table at ``path`` by none (a new version); return it."""
    return write_table(path, pl.DataFrame(schema=schema), mode="overwrite", metadata=metadata)


def _existing(path: Path) -> DeltaTable:
    if not table_exists(path):
        raise TableNotFoundError(
            f"There is no Delta table at {path}.",
            hint="Run `loyalty-lake status` to list the lake's tables.",
        )
    return DeltaTable(str(path))
