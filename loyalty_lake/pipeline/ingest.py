"""Landing → bronze: land CSV files into bronze Delta tables, with a manifest.

Each file lands in one Delta commit (all its rows or none) and is recorded in
the ``bronze/landed_files`` manifest. A file whose content (SHA-256) already
landed in the same table is skipped, so landing a batch twice adds nothing. A
bad file is refused with a reason and recorded; the batch's good files still
land.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from loyalty_lake.bronze import Lineage, bronze_rows, bronze_schema, map_header
from loyalty_lake.bronze.ingest import raw_column
from loyalty_lake.contract import LANDING_FILES, REQUIRED_FILES, landing_file_for
from loyalty_lake.errors import BadFileError, BadFileReason, LandingError
from loyalty_lake.io import delta
from loyalty_lake.io.lake import Lake, checked_batch_id
from loyalty_lake.io.landing import file_sha256, landing_files, read_header, read_text_chunks
from loyalty_lake.io.lock import holds_lake
from loyalty_lake.progress import Progress, no_progress

if TYPE_CHECKING:
    from collections.abc import Iterator

    from loyalty_lake.contract import LandingFile

log = logging.getLogger(__name__)

MANIFEST = "landed_files"
MANIFEST_SCHEMA = pl.Schema(
    {
        "batch_id": pl.String(),
        "source_file": pl.String(),
        "table": pl.String(),
        "file_sha256": pl.String(),
        "size_bytes": pl.Int64(),
        "rows": pl.Int64(),
        "status": pl.String(),
        "reason": pl.String(),
        "message": pl.String(),
        "run_id": pl.String(),
        "ingested_at": pl.Datetime("us", "UTC"),
    }
)


class FileStatus(StrEnum):
    """What happened to a landing file."""

    LANDED = "LANDED"
    ALREADY_LANDED = "ALREADY_LANDED"
    REJECTED = "REJECTED"
    IGNORED = "IGNORED"


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """The outcome of landing one file."""

    source_file: str
    table: str | None
    status: FileStatus
    rows: int = 0
    size_bytes: int = 0
    file_sha256: str | None = None
    reason: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class IngestReport:
    """The outcome of landing one batch."""

    batch_id: str
    files: tuple[FileOutcome, ...]
    warnings: tuple[str, ...] = ()

    def count(self, status: FileStatus) -> int:
        """How many files ended with ``status``."""
        return sum(1 for f in self.files if f.status is status)

    @property
    def rows_landed(self) -> int:
        """Rows appended to bronze by this ingest."""
        return sum(f.rows for f in self.files if f.status is FileStatus.LANDED)


@holds_lake
def ingest(
    path: str | Path,
    *,
    lake: Lake,
    batch_id: str | None = None,
    run_id: str | None = None,
    progress: Progress = no_progress,
) -> IngestReport:
    """Land a batch folder (or a single CSV file) into the lake's bronze tables.

    The batch id defaults to the folder's name (a single file's parent folder).
    """
    source = Path(path)
    if not source.exists():
        raise LandingError(
            f"{source} does not exist.",
            hint="Pass a batch folder of CSV files or a single CSV file.",
        )
    folder = source if source.is_dir() else source.parent
    batch = checked_batch_id(folder.absolute().name if batch_id is None else batch_id)
    if source.is_dir():
        files, ignored = landing_files(source)
        if not files:
            raise LandingError(
                f"{source} holds no CSV files to land.",
                hint="A batch folder holds files such as sales_header.csv and sales_lines.csv.",
            )
    else:
        files, ignored = [source], []
    run = run_id or uuid.uuid4().hex
    ingested_at = datetime.now(UTC)
    known = _known_files(lake)
    outcomes = [FileOutcome(p.name, None, FileStatus.IGNORED) for p in ignored]
    for i, file in enumerate(files):
        progress(f"Landing batch {batch}", i, len(files))
        outcome = _land_file(
            file,
            lake=lake,
            batch_id=batch,
            run_id=run,
            ingested_at=ingested_at,
            known=known,
            progress=progress,
        )
        outcomes.append(outcome)
        _log_outcome(batch, outcome)
    progress(f"Landing batch {batch}", len(files), len(files))
    _record(lake, batch, [o for o in outcomes if o.status in _RECORDED], run, ingested_at)
    return IngestReport(batch, tuple(outcomes), _batch_warnings(batch, outcomes, source.is_dir()))


_RECORDED = (FileStatus.LANDED, FileStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class _KnownFiles:
    """What the manifest already records: landed (table, sha) and rejected (name, sha)."""

    landed: frozenset[tuple[str, str]]
    rejected: frozenset[tuple[str, str]]


def _known_files(lake: Lake) -> _KnownFiles:
    path = lake.table("bronze", MANIFEST)
    if not delta.table_exists(path):
        return _KnownFiles(frozenset(), frozenset())
    manifest = delta.scan_table(path).select("status", "table", "source_file", "file_sha256")
    rows = manifest.collect()
    landed = rows.filter(pl.col("status") == FileStatus.LANDED)
    rejected = rows.filter(pl.col("status") == FileStatus.REJECTED)
    return _KnownFiles(
        landed=frozenset(zip(landed["table"], landed["file_sha256"], strict=True)),
        rejected=frozenset(zip(rejected["source_file"], rejected["file_sha256"], strict=True)),
    )


def _rows_in_bronze(lake: Lake, table: str, sha256: str) -> int:
    """Rows bronze already holds of this file (also when the manifest missed it)."""
    path = lake.table("bronze", table)
    if not delta.table_exists(path):
        return 0
    found = delta.scan_table(path).filter(pl.col("_file_sha256") == sha256).select(pl.len())
    return int(found.collect().item())


def _land_file(
    file: Path,
    *,
    lake: Lake,
    batch_id: str,
    run_id: str,
    ingested_at: datetime,
    known: _KnownFiles,
    progress: Progress,
) -> FileOutcome:
    size = file.stat().st_size
    sha256 = file_sha256(file)
    spec = landing_file_for(file.name)
    if spec is None:
        if (file.name, sha256) in known.rejected:
            return FileOutcome(
                file.name,
                None,
                FileStatus.IGNORED,
                size_bytes=size,
                file_sha256=sha256,
                message="already recorded as rejected",
            )
        names = ", ".join(f.filename for f in LANDING_FILES.values())
        return _rejected(
            file,
            None,
            size,
            sha256,
            BadFileError(
                f"{file.name} is not a file of the data contract.",
                reason=BadFileReason.UNKNOWN_FILE,
                hint=f"Name it as one of: {names} (or an alias, see docs/data-contract.md).",
            ),
        )
    if (spec.name, sha256) in known.landed:
        return FileOutcome(
            file.name,
            spec.name,
            FileStatus.ALREADY_LANDED,
            size_bytes=size,
            file_sha256=sha256,
            message="content landed before",
        )
    if rows := _rows_in_bronze(lake, spec.name, sha256):
        # An interrupted run committed the rows but not their manifest entry: record it now.
        return FileOutcome(
            file.name,
            spec.name,
            FileStatus.LANDED,
            rows=rows,
            size_bytes=size,
            file_sha256=sha256,
            message="landed by an interrupted run; recorded now",
        )
    if (file.name, sha256) in known.rejected:
        return FileOutcome(
            file.name,
            spec.name,
            FileStatus.IGNORED,
            size_bytes=size,
            file_sha256=sha256,
            message="already recorded as rejected",
        )
    lineage = Lineage(batch_id, file.name, sha256, ingested_at)
    try:
        rows = _append_to_bronze(
            file, spec, lake=lake, lineage=lineage, run_id=run_id, size=size, progress=progress
        )
    except BadFileError as exc:
        return _rejected(file, spec.name, size, sha256, exc)
    return FileOutcome(
        file.name, spec.name, FileStatus.LANDED, rows=rows, size_bytes=size, file_sha256=sha256
    )


def _rejected(
    file: Path, table: str | None, size: int, sha256: str, exc: BadFileError
) -> FileOutcome:
    return FileOutcome(
        file.name,
        table,
        FileStatus.REJECTED,
        size_bytes=size,
        file_sha256=sha256,
        reason=exc.reason.value,
        message=str(exc),
    )


def _append_to_bronze(
    file: Path,
    spec: LandingFile,
    *,
    lake: Lake,
    lineage: Lineage,
    run_id: str,
    size: int,
    progress: Progress,
) -> int:
    """Append the file's rows to its bronze table in one commit; return the row count."""
    header = read_header(file)
    mapping = map_header(header, spec, source_file=file.name)
    schema = pl.DataFrame(schema=bronze_schema(spec)).to_arrow().schema
    chunks = read_text_chunks(file, [raw_column(i) for i in range(len(header))])
    state = _ChunkState()

    def bronze_chunks() -> Iterator[pa.RecordBatch]:
        try:
            for chunk in chunks:
                raw = pl.from_arrow(chunk)
                assert isinstance(raw, pl.DataFrame)
                rows = bronze_rows(
                    raw.lazy(), spec=spec, header=mapping, lineage=lineage, first_row=state.rows + 1
                ).collect()
                state.rows += rows.height
                state.bytes_read = min(size, state.bytes_read + chunk.nbytes)
                progress(f"  {file.name}", state.bytes_read, size)
                yield from rows.to_arrow().cast(schema).to_batches()
        except BadFileError as exc:
            state.error = exc
            raise

    batches = bronze_chunks()
    first = next(batches, None)
    if first is None:
        log.info("%s has a header and no rows; nothing to append", file.name)
        return 0
    reader = pa.RecordBatchReader.from_batches(schema, _prepend(first, batches))
    try:
        delta.write_table(
            lake.table("bronze", spec.name),
            reader,
            mode="append",
            metadata={
                "run_id": run_id,
                "layer": "bronze",
                "batch_id": lineage.batch_id,
                "source_file": lineage.source_file,
                "file_sha256": lineage.file_sha256,
            },
        )
    except Exception:
        if state.error is not None:
            raise state.error from None
        raise
    progress(f"  {file.name}", size, size)
    return state.rows


@dataclass(slots=True)
class _ChunkState:
    rows: int = 0
    bytes_read: int = 0
    error: BadFileError | None = None


def _prepend(first: pa.RecordBatch, rest: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    yield first
    yield from rest


def _record(
    lake: Lake, batch_id: str, outcomes: list[FileOutcome], run_id: str, ingested_at: datetime
) -> None:
    """Append the landed and rejected files to the manifest."""
    if not outcomes:
        return
    rows = pl.DataFrame(
        {
            "batch_id": [batch_id] * len(outcomes),
            "source_file": [o.source_file for o in outcomes],
            "table": [o.table for o in outcomes],
            "file_sha256": [o.file_sha256 for o in outcomes],
            "size_bytes": [o.size_bytes for o in outcomes],
            "rows": [o.rows for o in outcomes],
            "status": [o.status.value for o in outcomes],
            "reason": [o.reason for o in outcomes],
            "message": [o.message for o in outcomes],
            "run_id": [run_id] * len(outcomes),
            "ingested_at": [ingested_at] * len(outcomes),
        },
        schema=MANIFEST_SCHEMA,
    )
    delta.write_table(
        lake.table("bronze", MANIFEST),
        rows,
        mode="append",
        metadata={"run_id": run_id, "layer": "bronze", "batch_id": batch_id},
    )


def _batch_warnings(
    batch_id: str, outcomes: list[FileOutcome], whole_batch: bool
) -> tuple[str, ...]:
    if not whole_batch:
        return ()
    present = {o.table for o in outcomes if o.status is not FileStatus.REJECTED}
    return tuple(
        f"Batch {batch_id} has no usable {name}.csv; every batch should carry its sales."
        for name in sorted(REQUIRED_FILES - present)
    )


def _log_outcome(batch_id: str, outcome: FileOutcome) -> None:
    if outcome.status is FileStatus.REJECTED:
        log.warning(
            "%s/%s rejected (%s): %s",
            batch_id,
            outcome.source_file,
            outcome.reason,
            outcome.message,
        )
    else:
        log.info(
            "%s/%s: %s, %d rows", batch_id, outcome.source_file, outcome.status.value, outcome.rows
        )
