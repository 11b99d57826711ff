"""Landing → bronze: land CSV files into bronze Delta tables, with a manifest.

A landing file is a CSV file, or a ``.csv.gz`` or ``.zip`` holding one; its
fields may be delimited by ``,``, ``;``, tab or ``|`` (the header row says
which). Each file lands in one Delta commit (all its rows or none) and is recorded in
the ``bronze/landed_files`` manifest right after. A file whose content
(SHA-256) already landed in the same table is skipped, so landing a batch twice
adds nothing. A bad file is refused with a reason and recorded; the batch's
good files still land. A malformed row lands as such (silver rejects it), so
one bad row never refuses its file.
"""

from __future__ import annotations

import csv
import logging
import uuid
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from loyalty_lake.bronze import Lineage, bronze_rows, bronze_schema, map_header
from loyalty_lake.bronze.ingest import MANIFEST_SCHEMA
from loyalty_lake.codes import BadFileReason, FileStatus
from loyalty_lake.config import load_config
from loyalty_lake.errors import BadFileError, LandingError
from loyalty_lake.io import delta
from loyalty_lake.io.catalog import MANIFEST
from loyalty_lake.io.lake import Lake, checked_batch_id
from loyalty_lake.io.landing import (
    BatchFolder,
    FileFacts,
    LandingEntries,
    LandingText,
    NotSimpleCsv,
    consume_records,
    csv_name,
    file_facts,
    landing_text,
    read_header,
    text_facts,
)
from loyalty_lake.io.lock import holds_lake
from loyalty_lake.io.prefetch import prefetched
from loyalty_lake.landing.contract import (
    LANDING_FILES,
    REQUIRED_FILES,
    batch_order,
    column_aliases,
    landing_file_for,
)
from loyalty_lake.privacy import masked, printable
from loyalty_lake.progress import Progress, no_progress

if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import BinaryIO

    from loyalty_lake.config import Config, LandingConfig
    from loyalty_lake.landing.contract import LandingFile

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """The outcome of landing one file (``delimiter``: the one its fields were split by)."""

    source_file: str
    table: str | None
    status: FileStatus
    rows: int = 0
    size_bytes: int = 0
    file_sha256: str | None = None
    reason: str | None = None
    message: str | None = None
    delimiter: str | None = None


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
    config: Config | None = None,
    batch_id: str | None = None,
    run_id: str | None = None,
    progress: Progress = no_progress,
) -> IngestReport:
    """Land a batch folder (or a single CSV file) into the lake's bronze tables.

    CSV files may be compressed (``.csv.gz``, or a ``.zip`` holding one).
    The batch id defaults to the folder's name (a single file's parent folder).
    Symbolic links and special files are refused unread; each file lands in
    one commit and is recorded in the manifest right after, so a run stopped
    at any point leaves every file landed and recorded, or not landed.
    """
    source = Path(path)
    if not source.exists() and not source.is_symlink():
        raise LandingError(
            f"{source} does not exist.",
            hint="Pass a batch folder of CSV files or a single CSV file.",
        )
    single = not source.is_dir() or (source.is_symlink() and not _is_folder_link(source))
    folder = source.parent if single else source
    batch = checked_batch_id(folder.absolute().name if batch_id is None else batch_id)
    limits = (config or load_config()).landing
    run = run_id or uuid.uuid4().hex
    ingested_at = datetime.now(UTC)
    with BatchFolder(folder) as opened:
        entries = _single(opened, source.name) if single else opened.entries()
        if not entries.files and not entries.refused:
            raise LandingError(
                f"{source} holds no CSV files to land.",
                hint="A batch folder holds files such as sales_header.csv and sales_lines.csv.",
            )
        known = _known_files(lake)
        outcomes = [FileOutcome(name, None, FileStatus.IGNORED) for name in entries.ignored]
        for name, refusal in entries.refused:
            outcome = _refused_unread(name, refusal, known)
            _finish(lake, batch, outcome, run, ingested_at)
            outcomes.append(outcome)
        for i, name in enumerate(entries.files):
            progress(f"Landing batch {batch}", i, len(entries.files))
            context = _Landing(
                lake=lake,
                batch_id=batch,
                run_id=run,
                ingested_at=ingested_at,
                known=known,
                limits=limits,
                progress=progress,
            )
            outcome = _land_file(opened, name, context)
            _finish(lake, batch, outcome, run, ingested_at)
            outcomes.append(outcome)
        progress(f"Landing batch {batch}", len(entries.files), len(entries.files))
    out_of_order = _order_warnings(batch, outcomes, known)
    for warning in out_of_order:
        log.warning("%s", warning)
    warnings = _batch_warnings(batch, outcomes, not single) + out_of_order
    return IngestReport(batch, tuple(outcomes), warnings)


def _is_folder_link(path: Path) -> bool:
    """A symbolic link to a folder: refused as a batch folder (not taken for a file)."""
    return path.is_symlink() and path.is_dir()


def _single(folder: BatchFolder, name: str) -> LandingEntries:
    """The entries of a single-file ingest: the one file, or its refusal."""
    entries = folder.entries()
    refused = tuple((n, e) for n, e in entries.refused if n == name)
    if refused or name in entries.files:
        return LandingEntries((name,) if not refused else (), refused, ())
    # Not named like a landing CSV: land it anyway, so that its name is judged and recorded.
    return LandingEntries((name,), (), ())


def _finish(
    lake: Lake, batch_id: str, outcome: FileOutcome, run_id: str, ingested_at: datetime
) -> None:
    """Record a file's outcome in the manifest (landed and refused files) and log it."""
    if outcome.status in _RECORDED:
        _record(lake, batch_id, [outcome], run_id, ingested_at)
    _log_outcome(batch_id, outcome)


_RECORDED = (FileStatus.LANDED, FileStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class _KnownFiles:
    """What the manifest already records: landed (table, sha), rejected (name, sha), batches."""

    landed: frozenset[tuple[str, str]]
    rejected: frozenset[tuple[str, str | None]]
    batches: frozenset[str] = frozenset()


def _known_files(lake: Lake) -> _KnownFiles:
    path = lake.table("bronze", MANIFEST)
    if not delta.table_exists(path):
        return _KnownFiles(frozenset(), frozenset())
    columns = ("status", "batch_id", "table", "source_file", "file_sha256")
    rows = delta.scan_table(path).select(columns).collect()
    landed = rows.filter(pl.col("status") == FileStatus.LANDED)
    rejected = rows.filter(pl.col("status") == FileStatus.REJECTED)
    return _KnownFiles(
        landed=frozenset(zip(landed["table"], landed["file_sha256"], strict=True)),
        rejected=frozenset(zip(rejected["source_file"], rejected["file_sha256"], strict=True)),
        batches=frozenset(landed["batch_id"].to_list()),
    )


def _rows_in_bronze(lake: Lake, table: str, sha256: str) -> int:
    """Rows bronze already holds of this file (also when the manifest missed it)."""
    path = lake.table("bronze", table)
    if not delta.table_exists(path):
        return 0
    found = delta.scan_table(path).filter(pl.col("_file_sha256") == sha256).select(pl.len())
    return int(found.collect().item())


def _refused_unread(name: str, refusal: BadFileError, known: _KnownFiles) -> FileOutcome:
    """A link or special file: refused by name, once (its content is never read)."""
    if (name, None) in known.rejected:
        return FileOutcome(
            name, None, FileStatus.IGNORED, reason=refusal.reason.value, message="already refused"
        )
    return FileOutcome(
        name, None, FileStatus.REJECTED, reason=refusal.reason.value, message=str(refusal)
    )


@dataclass(frozen=True, slots=True)
class _Landing:
    """What landing one file needs besides the file."""

    lake: Lake
    batch_id: str
    run_id: str
    ingested_at: datetime
    known: _KnownFiles
    limits: LandingConfig
    progress: Progress


#: Errors of reading a file that make it unreadable, not the lake broken.
_READ_ERRORS = (OSError, csv.Error, UnicodeError, pa.ArrowException)


def _land_file(folder: BatchFolder, name: str, context: _Landing) -> FileOutcome:
    facts: FileFacts | None = None
    try:
        with folder.open(name) as fh:
            facts = file_facts(fh)
            with landing_text(fh, name=name, size=facts.size) as text:
                return _land_opened(text, name, facts, context)
    except BadFileError as exc:
        refusal = exc
    except _READ_ERRORS as exc:
        refusal = _unreadable(name, exc)
    spec = landing_file_for(csv_name(name))
    if facts is not None and (name, facts.sha256) in context.known.rejected:
        return FileOutcome(
            name,
            spec.name if spec else None,
            FileStatus.IGNORED,
            size_bytes=facts.size,
            file_sha256=facts.sha256,
            message="already recorded as rejected",
        )
    return _rejected(name, spec, facts, refusal)


def _spec_for(name: str, text: LandingText) -> LandingFile | None:
    """The contract file of a landing file: by its name, else by its zip member's name."""
    spec = landing_file_for(csv_name(name))
    if spec is None and text.member_name is not None:
        return landing_file_for(text.member_name)
    return spec


def _unreadable(name: str, exc: BaseException) -> BadFileError:
    log.debug("Reading %s failed", name, exc_info=exc)
    return BadFileError(
        f"{name} could not be read ({type(exc).__name__}).",
        reason=BadFileReason.UNREADABLE,
        hint="Check the file is a complete UTF-8 CSV export and land it again; "
        "--verbose shows more.",
    )


def _land_opened(text: LandingText, name: str, facts: FileFacts, context: _Landing) -> FileOutcome:
    spec = _spec_for(name, text)
    known = context.known
    table = spec.name if spec else None

    def outcome(
        status: FileStatus, message: str | None = None, rows: int = 0, delimiter: str | None = None
    ) -> FileOutcome:
        return FileOutcome(
            name,
            table,
            status,
            rows=rows,
            size_bytes=facts.size,
            file_sha256=facts.sha256,
            message=message,
            delimiter=delimiter,
        )

    rejected_before = (name, facts.sha256) in known.rejected
    if spec is None:
        if rejected_before:
            return outcome(FileStatus.IGNORED, "already recorded as rejected")
        names = ", ".join(f.filename for f in LANDING_FILES.values())
        return _rejected(
            name,
            None,
            facts,
            BadFileError(
                f"{name} is not a file of the data contract.",
                reason=BadFileReason.UNKNOWN_FILE,
                hint=f"Name it as one of: {names} (or an alias, see docs/data-contract.md).",
            ),
        )
    if (spec.name, facts.sha256) in known.landed:
        return outcome(FileStatus.ALREADY_LANDED, "content landed before")
    if rows := _rows_in_bronze(context.lake, spec.name, facts.sha256):
        # An interrupted run committed the rows but not their manifest entry: record it now.
        return outcome(FileStatus.LANDED, "landed by an interrupted run; recorded now", rows)
    if rejected_before:
        return outcome(FileStatus.IGNORED, "already recorded as rejected")
    lineage = Lineage(context.batch_id, name, facts.sha256, context.ingested_at)
    try:
        if text.compression is not None:
            facts = text_facts(facts, text.stream)
        rows, delimiter = _append_to_bronze(
            text.stream, name, spec, facts, lineage=lineage, context=context
        )
    except BadFileError as exc:
        return _rejected(name, spec, facts, exc)
    except _READ_ERRORS as exc:
        return _rejected(name, spec, facts, _unreadable(name, exc))
    return outcome(FileStatus.LANDED, _delimiter_note(delimiter), rows, delimiter)


_DELIMITER_NAMES = {";": "';' (semicolon)", "\t": "tab", "|": "'|' (pipe)"}


def _delimiter_note(delimiter: str) -> str | None:
    """The outcome's message about a delimiter that is not a comma."""
    if delimiter == ",":
        return None
    return f"delimiter {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}, detected from the header"


def _rejected(
    name: str, spec: LandingFile | None, facts: FileFacts | None, exc: BadFileError
) -> FileOutcome:
    return FileOutcome(
        name,
        spec.name if spec else None,
        FileStatus.REJECTED,
        size_bytes=facts.size if facts else 0,
        file_sha256=facts.sha256 if facts else None,
        reason=exc.reason.value,
        message=str(exc),
    )


def _append_to_bronze(
    fh: BinaryIO,
    name: str,
    spec: LandingFile,
    facts: FileFacts,
    *,
    lineage: Lineage,
    context: _Landing,
) -> tuple[int, str]:
    """Append the file's rows to its bronze table in one commit.

    Returns the row count and the delimiter. A file the fast reader cannot
    judge alone is read again by the careful one (nothing of the first attempt
    is committed). A short row lacking only optional columns is padded.
    """
    header = read_header(fh, name=name)
    aliases = column_aliases(spec, context.limits.column_aliases)
    mapping = map_header(header.names, spec, source_file=name, aliases=aliases)
    schema = bronze_schema(spec)

    def write(chunks: Iterator[pl.DataFrame]) -> int:
        state = _ChunkState()

        def bronze_chunks() -> Iterator[pl.DataFrame]:
            try:
                for chunk in chunks:
                    rows = bronze_rows(
                        chunk.lazy(), spec=spec, header=mapping, lineage=lineage
                    ).collect()
                    state.rows += rows.height
                    state.bytes_read = min(
                        facts.text_size, state.bytes_read + int(chunk.estimated_size())
                    )
                    context.progress(f"  {name}", state.bytes_read, facts.text_size)
                    yield rows
            except (BadFileError, NotSimpleCsv) as exc:
                state.error = exc
                raise
            except _READ_ERRORS as exc:
                state.error = _unreadable(name, exc)
                raise state.error from exc

        # The next chunk is read and converted on a thread while this one is written.
        with closing(prefetched(bronze_chunks())) as chunks_read:
            try:
                version = delta.append_frames(
                    context.lake.table("bronze", spec.name),
                    chunks_read,
                    schema=schema,
                    bounds=[c for c in schema if c.startswith("_")],  # lineage, not raw text
                    metadata={
                        "run_id": context.run_id,
                        "layer": "bronze",
                        "batch_id": lineage.batch_id,
                        "source_file": lineage.source_file,
                        "file_sha256": lineage.file_sha256,
                    },
                )
            except Exception:
                if state.error is not None:  # raised by the file, not by the lake
                    raise state.error from None
                raise
        if version is None:
            log.info("%s has a header and no rows; nothing to append", name)
        return state.rows

    rows = consume_records(
        fh,
        write,
        name=name,
        header=header,
        facts=facts,
        limits=context.limits,
        min_fields=mapping.min_fields,
    )
    context.progress(f"  {name}", facts.text_size, facts.text_size)
    return rows, header.delimiter


@dataclass(slots=True)
class _ChunkState:
    rows: int = 0
    bytes_read: int = 0
    error: BadFileError | NotSimpleCsv | None = None


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
            "delimiter": [o.delimiter for o in outcomes],
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
        add_columns=True,  # a manifest written before ``delimiter`` gains it
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


def _order_warnings(
    batch_id: str, outcomes: list[FileOutcome], known: _KnownFiles
) -> tuple[str, ...]:
    """A warning when the batch lands after a batch that its name says is newer."""
    if not any(o.status is FileStatus.LANDED for o in outcomes):
        return ()
    newer = sorted(
        (b for b in known.batches - {batch_id} if batch_order(b) > batch_order(batch_id)),
        key=batch_order,
    )
    if not newer:
        return ()
    return (
        f"Batch {printable(batch_id)} landed out of order, after {printable(newer[-1])}: rows "
        "are ordered by landing, so where both hold the same master key (a customer, a "
        f"product...) the version in {printable(batch_id)} now supersedes the other. If that "
        "is wrong, land the corrected master again in a new batch.",
    )


def _log_outcome(batch_id: str, outcome: FileOutcome) -> None:
    """Log a file's outcome; names and messages masked and made printable (they are data)."""
    name = masked(printable(outcome.source_file))
    if outcome.status is FileStatus.REJECTED:
        message = masked(printable(outcome.message or ""))
        log.warning("%s/%s rejected (%s): %s", batch_id, name, outcome.reason, message)
    else:
        log.info("%s/%s: %s, %d rows", batch_id, name, outcome.status.value, outcome.rows)
