"""Reading landing CSV files as text, exactly as they were written.

pyarrow's streaming CSV reader is used rather than ``polars.scan_csv``
because it reports rows with too few or too many fields (polars pads short
rows silently), which must refuse the file; its chunks are handed to the
polars bronze transform.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.csv as pa_csv

from loyalty_lake.errors import BadFileError, BadFileReason

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from pathlib import Path

log = logging.getLogger(__name__)

_HASH_CHUNK = 1 << 22
_HEADER_PROBE = 1 << 20
_BLOCK_SIZE = 1 << 24


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def landing_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The CSV files of a batch folder to ingest, and the files it ignores.

    Names starting with ``_`` or ``.`` (such as the generator's
    ``_ground_truth.csv``) and non-CSV files are ignored; sub-folders too.
    """
    entries = sorted(p for p in folder.iterdir() if p.is_file())
    wanted = [p for p in entries if p.suffix.lower() == ".csv" and p.name[0] not in "._"]
    return wanted, [p for p in entries if p not in wanted]


def read_header(path: Path) -> list[str]:
    """The header row of a CSV file (a UTF-8 byte order mark is dropped).

    Raises :class:`BadFileError` if the file is empty or not UTF-8.
    """
    with path.open("rb") as fh:
        probe = fh.read(_HEADER_PROBE)
    if not probe.removeprefix(codecs.BOM_UTF8).strip():
        raise BadFileError(
            f"{path.name} is empty.",
            reason=BadFileReason.EMPTY_FILE,
            hint="A landing file needs at least a header row; leave out files with nothing to say.",
        )
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(probe, final=len(probe) < _HEADER_PROBE)
    except UnicodeDecodeError as exc:
        raise _undecodable(path, f"byte 0x{probe[exc.start]:02x} at offset {exc.start}") from exc
    return next(csv.reader(io.StringIO(text)))


@dataclass(slots=True)
class _RaggedRows:
    expected: int
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def __call__(self, row: pa_csv.InvalidRow) -> str:
        self.count += 1
        if not self.examples:
            self.examples.append(
                f"a row with {row.actual_columns} fields where the header has "
                f"{row.expected_columns}, starting {row.text[:40]!r}"
            )
        return "skip"


def read_text_chunks(path: Path, column_names: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """Stream a CSV file's data rows as text, in chunks, under ``column_names``.

    Every field is read as a string (empty fields as ``""``, nothing inferred);
    quoted fields may hold commas, quotes and newlines; blank lines are
    skipped. Raises :class:`BadFileError` when a row has too few or too many
    fields or the bytes are not UTF-8; callers must not commit what they
    consumed before that.
    """
    ragged = _RaggedRows(expected=len(column_names))
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(
                column_names=list(column_names), skip_rows=1, block_size=_BLOCK_SIZE
            ),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=ragged),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(column_names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for chunk in reader:
            if ragged.count:
                break
            yield chunk
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc) or "utf8" in str(exc).lower():
            raise _undecodable(path, "invalid UTF-8 data") from exc
        raise BadFileError(
            f"{path.name} cannot be read as CSV: {exc}.",
            reason=BadFileReason.UNREADABLE,
            hint="Check the file is a comma-separated, RFC 4180 quoted CSV export.",
        ) from exc
    if ragged.count:
        raise BadFileError(
            f"{path.name} has {ragged.count} row(s) whose number of fields differs from "
            f"the header, e.g. {ragged.examples[0]}.",
            reason=BadFileReason.RAGGED_ROWS,
            hint="Quote values that contain commas or newlines, and give every row the "
            "header's number of fields.",
        )


def _undecodable(path: Path, where: str) -> BadFileError:
    return BadFileError(
        f"{path.name} is not UTF-8 text ({where}).",
        reason=BadFileReason.UNDECODABLE,
        hint="Export the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`) and land it again.",
    )
