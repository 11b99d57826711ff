"""Inspect a landing batch without landing it: what landing and silver would make of it.

:func:`inspect_landing` reads a batch folder (or one file) as landing reads it
(``io/landing``: no links followed, the same delimiter, encoding and
compression rules, blank lines skipped, short rows padded, malformed rows
kept), types the rows as silver's own checks type them
(:mod:`loyalty_lake.silver.profile`) and reports, per file and column: the
contract table, missing and unknown columns, value formats, the
normalisations silver would count, and what silver could not read for
certain: dates no value orders (AMBIGUOUS_DATE), money in mixed currencies,
decimal commas, values that would be INVALID_TYPE, ids that are not master
keys. Nothing is written to the lake; the rows are staged in a private
temporary folder while they are summarised (bounded memory).

Every ambiguity a setting can settle comes with that setting, checked on the
batch's own values: :meth:`InspectReport.toml` writes them as a TOML snippet
(``[dq.dates]``, ``dq.decimal_comma``, ``[dq.null_values]``,
``[[dq.id_rewrites]]``, ``[landing.column_aliases]``) to review and pass to
``--config``. A setting without evidence is written commented out: the
snippet suggests, it never decides silently.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import json
import logging
import re
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import polars as pl
import polars.selectors as cs
import pyarrow as pa

from loyalty_lake.bronze import Lineage, bronze_rows, bronze_schema, map_header
from loyalty_lake.codes import BadFileReason, Reason
from loyalty_lake.config import Config, IdRewrite, load_config
from loyalty_lake.errors import BadFileError, LandingError
from loyalty_lake.io import catalog, staging
from loyalty_lake.io.landing import (
    BatchFolder,
    compression_of,
    consume_records,
    csv_name,
    file_facts,
    landing_text,
    read_header,
    text_facts,
)
from loyalty_lake.landing.contract import (
    LANDING_FILES,
    REFERENCES,
    column_aliases,
    landing_file_for,
    normalise_column,
)
from loyalty_lake.privacy import MASK, PERSONAL_COLUMNS, masked, printable, shortened
from loyalty_lake.silver import profile
from loyalty_lake.silver.parse import DAY_FIRST, MONTH_FIRST, STEP
from loyalty_lake.silver.tables import Checks

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from typing import BinaryIO

    from loyalty_lake.bronze.ingest import HeaderMapping
    from loyalty_lake.io.lake import Lake
    from loyalty_lake.io.landing import FileFacts, Header, LandingText
    from loyalty_lake.landing.contract import LandingFile

log = logging.getLogger(__name__)

#: Errors of reading a file that make it unreadable (as landing judges them).
_READ_ERRORS = (OSError, csv.Error, UnicodeError, pa.ArrowException)
_SHOWN_CHARS = 80


class FindingKind(StrEnum):
    """What inspecting a batch found."""

    REFUSED_FILE = "REFUSED_FILE"
    MISSING_COLUMNS = "MISSING_COLUMNS"
    UNKNOWN_COLUMNS = "UNKNOWN_COLUMNS"
    COLUMN_ALIAS = "COLUMN_ALIAS"
    PADDED_ROWS = "PADDED_ROWS"
    MALFORMED_ROWS = "MALFORMED_ROWS"
    AMBIGUOUS_DATE = "AMBIGUOUS_DATE"
    MIXED_DATE_ORDERS = "MIXED_DATE_ORDERS"
    MIXED_CURRENCIES = "MIXED_CURRENCIES"
    DECIMAL_COMMA = "DECIMAL_COMMA"
    MIXED_DECIMAL_MARKS = "MIXED_DECIMAL_MARKS"
    NULL_PLACEHOLDER = "NULL_PLACEHOLDER"
    INVALID_TYPE = "INVALID_TYPE"
    UNKNOWN_REFERENCE = "UNKNOWN_REFERENCE"
    UNVERIFIED_REFERENCE = "UNVERIFIED_REFERENCE"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a batch leaves to settle (or that silver would reject), with examples.

    ``rows`` counts the rows concerned; ``examples`` are a few values or
    messages, personal data masked; ``setting`` is the TOML line that settles
    it (None when no setting does).
    """

    kind: FindingKind
    source_file: str
    table: str | None
    column: str | None
    rows: int
    message: str
    examples: tuple[str, ...] = ()
    setting: str | None = None


@dataclass(frozen=True, slots=True)
class ValueFormat:
    """A format of a column's values (digits as ``9``, letters as ``a``), how often, an example."""

    format: str
    rows: int
    example: str


@dataclass(frozen=True, slots=True)
class ColumnInspection:
    """One contract column of a file: how silver reads it and what it found there.

    ``read_as`` is the silver parser that reads it (``ident``, ``money``,
    ``date``, ``datetime``, ``integer``, ``rate``, ``code``, ``weekdays``,
    ``text``); ``values`` counts rows with a value, ``missing`` rows without
    (empty or a null token); ``normalisations`` counts the values silver
    would normalise, by kind (as ``silver/normalisations`` would).
    """

    column: str
    header: str
    read_as: str
    values: int
    missing: int
    formats: tuple[ValueFormat, ...] = ()
    normalisations: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FileInspection:
    """One file of the batch as landing would read it.

    ``refused`` is the reason landing would refuse it (a :class:`BadFileReason`
    value) with ``message``; ``encoding`` is ``utf-8`` or ``utf-8 with BOM``
    (the mark is dropped); ``compression`` ``gzip``, ``zip`` or None;
    ``blank_lines`` are skipped, ``padded_rows`` lacked only optional last
    fields (padded with nulls), ``malformed_rows`` land as such and silver
    rejects them (MALFORMED_ROW). ``aliases`` maps headers to the contract
    column they stand for (configured, built in or suggested).
    """

    source_file: str
    table: str | None
    size_bytes: int = 0
    refused: str | None = None
    message: str | None = None
    compression: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    rows: int = 0
    blank_lines: int = 0
    padded_rows: int = 0
    malformed_rows: int = 0
    missing_columns: tuple[str, ...] = ()
    absent_columns: tuple[str, ...] = ()
    unknown_columns: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    columns: tuple[ColumnInspection, ...] = ()

    @property
    def lands(self) -> bool:
        """Whether landing would land the file."""
        return self.refused is None


Section = Literal["landing.column_aliases", "dq", "dq.dates", "dq.null_values", "dq.id_rewrites"]


@dataclass(frozen=True, slots=True)
class Setting:
    """One suggested setting: where it goes, its value, why, and whether evidence backs it.

    ``section`` is the TOML table; ``name`` the key in it (``decimal_comma``
    in ``dq``, ``"<table>.<column>"`` in ``dq.dates``...; empty for an
    ``id_rewrites`` entry). A setting that is not ``certain`` (nothing in the
    batch decides it) is written commented out.
    """

    section: Section
    name: str
    value: str | tuple[str, ...] | IdRewrite
    why: str
    certain: bool = True


@dataclass(frozen=True, slots=True)
class InspectReport:
    """What :func:`inspect_landing` found: files, findings, and the settings that settle them."""

    path: Path
    files: tuple[FileInspection, ...]
    findings: tuple[Finding, ...]
    settings: tuple[Setting, ...]

    def toml(self) -> str:
        """The suggested settings as a TOML snippet, ready to pass to ``--config``."""
        return _toml(self)

    def applied_to(self, config: Config) -> Config:
        """``config`` with the certain suggested settings added."""
        return _applied(config, [s for s in self.settings if s.certain])


# --- the batch -----------------------------------------------------------------------------


def inspect_landing(
    path: str | Path,
    *,
    config: Config | None = None,
    lake: Lake | None = None,
    now: datetime | None = None,
) -> InspectReport:
    """Inspect a batch folder (or one CSV file) without landing it.

    Reads every file as landing would, types its rows as silver would (under
    ``config``'s settings) and reports what is ambiguous or would be
    rejected, with the settings that settle it. Ids are checked against the
    master files of the same folder and, with ``lake``, its silver masters.
    """
    source = Path(path)
    if not source.exists() and not source.is_symlink():
        raise LandingError(
            f"{source} does not exist.",
            hint="Pass a batch folder of CSV files or a single CSV file.",
        )
    settings = config or load_config()
    checks = Checks.from_config(settings, now=now or datetime.now(UTC))
    single = not source.is_dir()
    folder = source.parent if single else source
    with BatchFolder(folder) as opened, _scratch() as scratch:
        names, refused = _entries(opened, source.name if single else None)
        inspections = [
            FileInspection(name, _table_of(name), refused=error.reason.value, message=str(error))
            for name, error in refused
        ]
        read = [
            _read(opened, name, settings=settings, scratch=scratch / str(i), batch=folder.name)
            for i, name in enumerate(names)
        ]
        staged = [r for r in read if isinstance(r, _Staged)]
        inspections += [r for r in read if isinstance(r, FileInspection)]
        personal = frozenset(PERSONAL_COLUMNS | set(settings.privacy.personal_columns))
        profiles = [_profiled(s, checks, personal=personal) for s in staged]
        return _report(source, inspections, profiles, lake=lake, personal=personal)


@contextlib.contextmanager
def _scratch() -> Iterator[Path]:
    """A private temporary folder for the rows being inspected (they hold raw personal data)."""
    with (
        tempfile.TemporaryDirectory(prefix="loyalty-lake-inspect-") as root,
        staging.staging(Path(root) / "rows") as folder,
    ):
        yield folder


def _entries(
    folder: BatchFolder, single: str | None
) -> tuple[list[str], list[tuple[str, BadFileError]]]:
    """The files to read and those refused unread (links, special files)."""
    entries = folder.entries()
    if single is None:
        return list(entries.files), list(entries.refused)
    refused = [(name, error) for name, error in entries.refused if name == single]
    return ([] if refused else [single]), refused


def _table_of(name: str) -> str | None:
    spec = landing_file_for(csv_name(name))
    return spec.name if spec else None


# --- reading one file ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Staged:
    """A readable contract file: its inspection so far and its bronze rows, staged."""

    inspection: FileInspection
    spec: LandingFile
    mapping: HeaderMapping
    header: tuple[str, ...]
    rows: pl.LazyFrame
    suggested: Mapping[str, str]
    scratch: Path


def _read(
    folder: BatchFolder, name: str, *, settings: Config, scratch: Path, batch: str
) -> _Staged | FileInspection:
    """Read one file as landing would; stage its bronze rows."""
    size = 0
    try:
        with folder.open(name) as fh:
            facts = file_facts(fh)
            size = facts.size
            with landing_text(fh, name=name, size=facts.size) as text:
                return _read_text(
                    text, name, facts, settings=settings, scratch=scratch, batch=batch
                )
    except BadFileError as exc:
        refusal = exc
    except _READ_ERRORS as exc:
        log.debug("Reading %s failed", name, exc_info=exc)
        refusal = BadFileError(
            f"{name} could not be read ({type(exc).__name__}).", reason=BadFileReason.UNREADABLE
        )
    return FileInspection(
        name,
        _table_of(name),
        size_bytes=size,
        refused=refusal.reason.value,
        message=_hinted(refusal),
        compression=compression_of(name),
    )


def _hinted(error: BadFileError) -> str:
    return f"{error.message} Hint: {error.hint}" if error.hint else error.message


def _read_text(
    text: LandingText, name: str, facts: FileFacts, *, settings: Config, scratch: Path, batch: str
) -> _Staged | FileInspection:
    spec = landing_file_for(csv_name(name))
    if spec is None and text.member_name is not None:
        spec = landing_file_for(text.member_name)
    if text.compression is not None:
        facts = text_facts(facts, text.stream)
    header = read_header(text.stream, name=name)
    base = FileInspection(
        name,
        spec.name if spec else None,
        size_bytes=facts.size,
        compression=text.compression,
        encoding=_encoding(text.stream),
        delimiter=header.delimiter,
        blank_lines=facts.blank_lines,
    )
    if spec is None:
        return _unknown_file(base, header)
    configured = column_aliases(spec, settings.landing.column_aliases)
    loose = map_header(
        header.names, replace(spec, required=frozenset()), source_file=name, aliases=configured
    )
    suggested = _suggested_aliases(loose.extras, spec, present=loose.columns)
    aliases = configured | suggested
    present = map_header(
        header.names, replace(spec, required=frozenset()), source_file=name, aliases=aliases
    )
    used = {
        header.names[i].strip(): column
        for column, i in present.columns.items()
        if normalise_column(header.names[i]) != column
    }
    base = replace(
        base,
        missing_columns=tuple(c for c in spec.columns if c in spec.required - set(present.columns)),
        absent_columns=tuple(c for c in spec.optional if c not in present.columns),
        unknown_columns=tuple(present.extras),
        aliases=MappingProxyType(used),
    )
    if base.missing_columns:
        return replace(
            base,
            refused=BadFileReason.MISSING_COLUMNS.value,
            message=f"required column(s) {', '.join(base.missing_columns)} missing",
        )
    mapping = map_header(header.names, spec, source_file=name, aliases=aliases)
    lineage = Lineage(batch, name, facts.sha256, datetime.now(UTC))
    rows = _stage(text.stream, name, header, facts, spec, mapping, lineage, settings, scratch)
    return _Staged(base, spec, mapping, header.names, rows, MappingProxyType(suggested), scratch)


def _encoding(stream: BinaryIO) -> str:
    """How landing decodes the text: UTF-8, its byte order mark dropped if there is one."""
    stream.seek(0)
    return "utf-8 with BOM" if stream.read(3) == codecs.BOM_UTF8 else "utf-8"


def _stage(
    stream: BinaryIO,
    name: str,
    header: Header,
    facts: FileFacts,
    spec: LandingFile,
    mapping: HeaderMapping,
    lineage: Lineage,
    settings: Config,
    scratch: Path,
) -> pl.LazyFrame:
    """Write the file's bronze rows to ``scratch``, chunk by chunk; scan them back."""
    attempts = iter(range(2))
    schema = bronze_schema(spec)

    def write(chunks: Iterator[pl.DataFrame]) -> pl.LazyFrame:
        folder = scratch / f"attempt{next(attempts)}"  # a careful re-read starts afresh
        parts = 0
        for chunk in chunks:
            rows = bronze_rows(chunk.lazy(), spec=spec, header=mapping, lineage=lineage)
            staging.write_parts(folder, rows, part=pl.lit(parts))
            parts += 1
        scans = [staging.scan_part(folder, part, schema=schema) for part in range(parts)]
        return pl.concat(scans) if scans else pl.LazyFrame(schema=schema)

    return consume_records(
        stream,
        write,
        name=name,
        header=header,
        facts=facts,
        limits=settings.landing,
        min_fields=mapping.min_fields,
    )


def _unknown_file(base: FileInspection, header: Header) -> FileInspection:
    """A file that is no contract file: refused, with the contract file its header resembles."""
    names = ", ".join(f.filename for f in LANDING_FILES.values())
    guess = _resembled(header.names)
    hint = (
        f" Its header has the columns of {guess.filename}: name it so."
        if guess is not None
        else f" Name it as one of: {names}."
    )
    return replace(
        base,
        refused=BadFileReason.UNKNOWN_FILE.value,
        message=f"{base.source_file} is not a file of the data contract.{hint}",
    )


def _squashed(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _forms(spec: LandingFile, column: str) -> set[str]:
    """How a header may write ``column`` for sure: squashed, or without the file's entity."""
    entities = {key.removesuffix("_id") for key in spec.key if key.endswith("_id")}
    forms = {_squashed(column)}
    forms |= {
        _squashed(column.removeprefix(f"{e}_")) for e in entities if column.startswith(f"{e}_")
    }
    return forms


def _suggested_aliases(
    extras: Mapping[str, int], spec: LandingFile, *, present: Mapping[str, int]
) -> dict[str, str]:
    """Near-certain aliases: an unknown header that writes one missing column otherwise.

    ``Transaction ID`` or ``TransactionId`` for ``transaction_id``, ``Name``
    in stores.csv for ``store_name``: only when exactly one missing column
    matches and no other header does.
    """
    missing = [c for c in spec.columns if c not in present]
    matches = {
        normalise_column(name): [c for c in missing if _squashed(name) in _forms(spec, c)]
        for name in extras
    }
    chosen = {name: found[0] for name, found in matches.items() if len(found) == 1}
    taken = [column for column in chosen.values()]
    return {name: column for name, column in chosen.items() if taken.count(column) == 1}


def _resembled(header: Sequence[str]) -> LandingFile | None:
    """The one contract file whose required columns a header holds (most columns wins)."""
    names = {_squashed(n) for n in header}
    scores = []
    for spec in LANDING_FILES.values():
        held = {c for c in spec.columns if _forms(spec, c) & names}
        if spec.required <= held:
            scores.append((len(held), spec))
    if not scores:
        return None
    best = max(score for score, _ in scores)
    winners = [spec for score, spec in scores if score == best]
    return winners[0] if len(winners) == 1 else None


# --- typing the rows as silver would -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Profile:
    """A staged file typed as silver would type it, and summarised."""

    staged: _Staged
    reading: profile.TableReading
    typed: pl.LazyFrame
    facts: pl.DataFrame
    file: Mapping[str, Any]
    columns: Mapping[str, Mapping[str, Any]]
    formats: Mapping[str, tuple[ValueFormat, ...]]

    @property
    def table(self) -> str:
        return self.staged.spec.name

    @property
    def name(self) -> str:
        return self.staged.inspection.source_file

    def present(self) -> list[str]:
        """The contract columns the file has."""
        return [c for c in self.staged.spec.columns if c in self.staged.mapping.columns]


def _profiled(staged: _Staged, checks: Checks, *, personal: frozenset[str]) -> _Profile:
    """Type the staged rows as silver's check would and summarise each column (streaming)."""
    reading = profile.table_reading(staged.spec.name, checks=checks)
    facts = profile.evidence(staged.rows, reading).collect(engine="streaming")
    # Typed once, streaming, and staged: every summary below reads it.
    typed = profile.typed_rows(staged.rows, reading, facts=facts)
    typed = typed.select(cs.exclude(cs.starts_with(STEP)))
    staging.write_parts(staged.scratch / "typed", typed, part=pl.lit(0))
    typed = staging.scan_part(staged.scratch / "typed", 0, schema=typed.collect_schema())
    present = [c for c in staged.spec.columns if c in staged.mapping.columns]
    summary = typed.select(
        profile.file_summary(), *(profile.column_summary(reading, c) for c in present)
    ).collect(engine="streaming")
    row = summary.row(0, named=True)
    shapes = pl.collect_all(
        [profile.formats(typed, reading, c) for c in present], engine="streaming"
    )
    formats = {
        column: tuple(
            ValueFormat(_shown(shape, None), rows, _shown(example, column, personal))
            for shape, rows, example in frame.iter_rows()
        )
        for column, frame in zip(present, shapes, strict=True)
    }
    columns = {c: row[c] for c in present}
    return _Profile(staged, reading, typed, facts, row["_file"], columns, formats)


def _shown(value: object, column: str | None, personal: frozenset[str] = frozenset()) -> str:
    """A value for the report: personal columns masked, e-mail addresses and phones too, cut."""
    if column is not None and column in personal:
        return MASK
    return printable(masked(shortened(str(value), _SHOWN_CHARS)))


def _file_inspection(p: _Profile) -> FileInspection:
    """The file's inspection with its row counts and columns."""
    staged = p.staged
    columns = tuple(
        ColumnInspection(
            column=c,
            header=printable(staged.header[staged.mapping.columns[c]].strip()),
            read_as=p.reading.columns[c].method,
            values=p.columns[c]["values"],
            missing=p.columns[c]["missing"],
            formats=p.formats[c],
            normalisations=MappingProxyType(
                {
                    name.removeprefix("n|"): count
                    for name, count in p.columns[c].items()
                    if name.startswith("n|") and count
                }
            ),
        )
        for c in p.present()
    )
    return replace(
        staged.inspection,
        rows=p.file["rows"],
        padded_rows=p.file["padded"],
        malformed_rows=p.file["malformed"],
        columns=columns,
    )


# --- findings and settings -----------------------------------------------------------------


@dataclass(slots=True)
class _Found:
    """Findings and settings, gathered."""

    findings: list[Finding] = field(default_factory=list)
    settings: list[Setting] = field(default_factory=list)

    def add(self, finding: Finding, setting: Setting | None = None) -> None:
        if setting is not None:
            finding = replace(finding, setting=_setting_line(setting))
            self.settings.append(setting)
        self.findings.append(finding)


def _report(
    source: Path,
    inspections: list[FileInspection],
    profiles: list[_Profile],
    *,
    lake: Lake | None,
    personal: frozenset[str],
) -> InspectReport:
    files = sorted(
        [*inspections, *(_file_inspection(p) for p in profiles)], key=lambda f: f.source_file
    )
    found = _Found()
    for inspection in files:
        _file_findings(found, inspection)
    for p in profiles:
        for header, column in p.staged.suggested.items():
            _alias(found, p, header, column)
        for column in p.present():
            _column_findings(found, p, column, personal=personal)
    _date_findings(found, profiles)
    _reference_findings(found, profiles, lake=lake)
    settings = _deduplicated(found.settings)
    return InspectReport(source, tuple(files), tuple(found.findings), settings)


def _deduplicated(settings: Sequence[Setting]) -> tuple[Setting, ...]:
    """One setting per key: several files of a table may each suggest it.

    Null tokens add up; two date orders for one column leave it to choose.
    """
    merged: dict[tuple[str, str], Setting] = {}
    for s in settings:
        key = (s.section, str(s.value) if s.section in ("dq", "dq.id_rewrites") else s.name)
        old = merged.get(key)
        if old is None:
            merged[key] = s
        elif isinstance(old.value, tuple) and isinstance(s.value, tuple):
            tokens = tuple(dict.fromkeys((*old.value, *s.value)))
            merged[key] = replace(old, value=tokens, why=f"{old.why}; {s.why}")
        else:
            agree = old.value == s.value
            merged[key] = replace(old, why=f"{old.why}; {s.why}", certain=old.certain and agree)
    return tuple(merged.values())


def _file_findings(found: _Found, f: FileInspection) -> None:
    def add(kind: FindingKind, rows: int, message: str, examples: Sequence[str] = ()) -> None:
        found.add(Finding(kind, f.source_file, f.table, None, rows, message, tuple(examples)))

    if f.missing_columns:
        add(
            FindingKind.MISSING_COLUMNS,
            0,
            f"required column(s) {', '.join(f.missing_columns)} missing: landing would refuse "
            "the file (rename the header, or name it in [landing.column_aliases])",
        )
    elif f.refused is not None:
        add(
            FindingKind.REFUSED_FILE, 0, f"landing would refuse the file ({f.refused}): {f.message}"
        )
    if f.unknown_columns:
        names = ", ".join(repr(_shown(n, None)) for n in f.unknown_columns)
        add(
            FindingKind.UNKNOWN_COLUMNS,
            0,
            f"unknown column(s) {names}: kept in bronze (_extra), ignored by silver",
        )
    if f.padded_rows:
        add(
            FindingKind.PADDED_ROWS,
            f.padded_rows,
            "short rows lacking only optional last fields: landing pads them with nulls "
            "(counted as PADDED_ROW)",
        )
    if f.malformed_rows:
        add(
            FindingKind.MALFORMED_ROWS,
            f.malformed_rows,
            "rows that cannot be split into the header's fields: silver rejects them "
            "(MALFORMED_ROW)",
        )


def _alias(found: _Found, p: _Profile, header: str, column: str) -> None:
    name = f"{p.table}.{header}"
    why = f"{p.name}: header {_shown(header, None)!r} is the contract column {column}"
    found.add(
        Finding(FindingKind.COLUMN_ALIAS, p.name, p.table, column, 0, why),
        Setting("landing.column_aliases", name, column, why),
    )


def _column_findings(found: _Found, p: _Profile, column: str, *, personal: frozenset[str]) -> None:
    """Type findings of one column: currency mixes, decimal commas, placeholders, the rest."""
    summary = p.columns[column]
    key = f"{p.table}.{column}"
    settled = False

    def finding(kind: FindingKind, rows: int, message: str, examples: Sequence[Any]) -> Finding:
        shown = tuple(_shown(e, column, personal) for e in examples)
        return Finding(kind, p.name, p.table, column, rows, message, shown)

    if summary.get("comma|candidates"):
        candidates = summary["comma|candidates"]
        examples = summary["comma|candidates|examples"]
        if summary["comma|conflicts"]:
            found.add(
                finding(
                    FindingKind.MIXED_DECIMAL_MARKS,
                    candidates,
                    f"{candidates} value(s) read only with a decimal comma, but "
                    f"{summary['comma|conflicts']} other(s) are written with a decimal point "
                    "(or would read otherwise with a comma): no decimal-comma setting reads "
                    "the column, silver rejects these (INVALID_TYPE)",
                    examples,
                )
            )
        else:
            settled = True
            why = f"{p.name}: {candidates} value(s) of {column} read only with a decimal comma"
            found.add(
                finding(FindingKind.DECIMAL_COMMA, candidates, why, examples),
                Setting("dq", "decimal_comma", key, why),
            )
    if summary.get("placeholders|rows") and column in p.staged.spec.optional:
        settled = True
        tokens = tuple(str(t) for t in summary["placeholders"])
        why = f"{p.name}: {column} writes 'no value' as {', '.join(map(repr, tokens))}"
        found.add(
            finding(FindingKind.NULL_PLACEHOLDER, summary["placeholders|rows"], why, tokens),
            Setting("dq.null_values", key, tokens, why),
        )
    for i, rule in enumerate(p.reading.columns[column].rules):
        if rule.reason is Reason.AMBIGUOUS_DATE or not summary[f"rule{i}"]:
            continue
        if summary.get(f"rule{i}|mixed") == summary[f"rule{i}"]:
            found.add(
                finding(
                    FindingKind.MIXED_CURRENCIES,
                    summary[f"rule{i}"],
                    "the file mixes currencies in this column: silver rejects these amounts "
                    "(INVALID_TYPE) and no setting converts them; export one currency",
                    summary[f"rule{i}|examples"],
                )
            )
            continue
        part = "|residual" if settled else ""
        if rows := summary[f"rule{i}{part}"]:
            found.add(
                finding(
                    FindingKind.INVALID_TYPE,
                    rows,
                    f"values silver would reject as {rule.reason.value}",
                    summary[f"rule{i}{part}|examples"],
                )
            )


# --- dates ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _DateColumn:
    """A date column of a file: how many values no order settles, which orders its values prove."""

    profile: _Profile
    column: str
    ambiguous: int
    ambiguous_examples: tuple[str, ...]
    proves: Mapping[str, int]
    proof: Mapping[str, tuple[str, ...]]
    unread: Mapping[str, int]
    invalid: int

    @property
    def key(self) -> str:
        return f"{self.profile.table}.{self.column}"

    @property
    def order(self) -> str | None:
        """The order the column's own values prove (None: neither, or both)."""
        day, month = self.proves[DAY_FIRST], self.proves[MONTH_FIRST]
        if bool(day) == bool(month):
            return None
        return DAY_FIRST if day else MONTH_FIRST


def _date_columns(profiles: Sequence[_Profile]) -> list[_DateColumn]:
    found = []
    for p in profiles:
        for column in p.present():
            read = p.reading.columns[column]
            if read.method not in ("date", "datetime"):
                continue
            s = p.columns[column]
            ambiguous = invalid = 0
            examples: tuple[str, ...] = ()
            for i, rule in enumerate(read.rules):
                if rule.reason is Reason.AMBIGUOUS_DATE:
                    ambiguous = s[f"rule{i}"]
                    examples = tuple(_text_in(m) for m in s[f"rule{i}|examples"])
                else:
                    invalid += s[f"rule{i}"]
            orders = (DAY_FIRST, MONTH_FIRST)
            found.append(
                _DateColumn(
                    profile=p,
                    column=column,
                    ambiguous=ambiguous,
                    ambiguous_examples=examples,
                    proves={o: s[f"proves|{o}"] for o in orders},
                    proof={o: tuple(s[f"proves|{o}|examples"]) for o in orders},
                    unread={o: s[f"unread|{o}"] for o in orders},
                    invalid=invalid,
                )
            )
    return found


def _text_in(message: str) -> str:
    """The value a rule's message quotes (``column 'value' could be ...``)."""
    start, end = message.find("'"), message.rfind("' ")
    return message[start + 1 : end] if 0 <= start < end else message


def _date_findings(found: _Found, profiles: Sequence[_Profile]) -> None:
    """Date columns no value orders: the order the batch proves elsewhere, else a choice."""
    columns = _date_columns(profiles)
    decided = [c for c in columns if c.order is not None]
    for c in columns:
        if not c.ambiguous:
            continue
        p = c.profile
        if c.order is None and all(c.proves.values()):
            examples = (*c.proof[DAY_FIRST][:2], *c.proof[MONTH_FIRST][:2])
            found.add(
                Finding(
                    FindingKind.MIXED_DATE_ORDERS,
                    p.name,
                    p.table,
                    c.column,
                    c.ambiguous,
                    f"{c.column} has values only day-first reads and values only month-first "
                    "reads: no setting reads them all; fix the export",
                    tuple(_shown(e, None) for e in examples),
                )
            )
            continue
        order, basis, certain = _date_order(c, decided)
        certain = certain and c.unread[order] <= c.invalid
        message = (
            f"{c.ambiguous} value(s) of {c.column} could be day-first or month-first and no "
            f"value of the column proves which; {basis}"
        )
        found.add(
            Finding(
                FindingKind.AMBIGUOUS_DATE,
                p.name,
                p.table,
                c.column,
                c.ambiguous,
                message,
                tuple(_shown(e, None) for e in c.ambiguous_examples),
            ),
            Setting("dq.dates", c.key, order, f"{p.name}: {basis}", certain=certain),
        )


def _date_order(column: _DateColumn, decided: Sequence[_DateColumn]) -> tuple[str, str, bool]:
    """The order to suggest for an ambiguous date column, why, and whether evidence backs it.

    Evidence, strongest first: the other date columns of the same file, then
    of the folder, all proving one order; then the notation of the export
    (dates with dots, decimal commas or a ``;`` delimiter are day-first locales').
    """
    for scope, where in (
        ([d for d in decided if d.profile is column.profile], "the same file"),
        (decided, "the batch"),
    ):
        orders = {d.order for d in scope}
        if len(orders) == 1:
            (order,) = orders
            assert order is not None
            d = scope[0]
            example = _shown(d.proof[order][0], None) if d.proof[order] else ""
            return order, f"{d.key} in {where} proves {order} ('{example}')", True
    p = column.profile
    formats = {f.format for f in p.formats[column.column]}
    money = [s for c, s in p.columns.items() if p.reading.columns[c].method == "money"]
    if any(re.match(r"^9{1,2}\.9{1,2}\.9{4}", f) for f in formats):
        return DAY_FIRST, "its dates are written with dots (27.05.2024), as day-first", True
    if any(s.get("comma|candidates") for s in money) or p.staged.inspection.delimiter == ";":
        return (
            DAY_FIRST,
            "the file writes decimal commas or ';' delimiters, as exports of day-first "
            "locales do (check)",
            True,
        )
    return DAY_FIRST, "nothing in the batch proves either order: choose one", False


# --- references to master data -------------------------------------------------------------


def _master_keys(profiles: Sequence[_Profile], lake: Lake | None) -> dict[str, pl.DataFrame]:
    """Each master's keys: the folder's master files (read as silver reads them), the lake's."""
    keys: dict[str, list[pl.LazyFrame]] = {name: [] for name in profile.MASTER_KEYS}
    for p in profiles:
        if (key := profile.MASTER_KEYS.get(p.table)) is not None:
            keys[p.table].append(p.typed.select(pl.col(key).alias("key")))
    if lake is not None:
        for name, key in profile.MASTER_KEYS.items():
            keys[name].append(catalog.scan(lake, "silver", name).select(pl.col(key).alias("key")))
    frames = pl.collect_all(
        [
            pl.concat(scans).drop_nulls().unique()
            if scans
            else pl.LazyFrame(schema={"key": pl.String})
            for scans in keys.values()
        ],
        engine="streaming",
    )
    return dict(zip(keys, frames, strict=True))


def _reference_findings(found: _Found, profiles: Sequence[_Profile], *, lake: Lake | None) -> None:
    """Ids that are not master keys; a rewrite where they match keys one to one."""
    keys = _master_keys(profiles, lake)
    rewrites: list[tuple[str, IdRewrite, str]] = []
    for p in profiles:
        for column in p.present():
            master, _key = REFERENCES.get((p.table, column), (None, None))
            if master is None or not p.columns[column]["values"]:
                continue
            if keys[master].is_empty():
                found.add(
                    Finding(
                        FindingKind.UNVERIFIED_REFERENCE,
                        p.name,
                        p.table,
                        column,
                        p.columns[column]["values"],
                        f"no {master} in the batch{' or the lake' if lake else ''}: silver "
                        f"cannot check these ids (UNVERIFIED_{_entity(master)}, a warning)",
                    )
                )
                continue
            rewrites += _unknown_references(found, p, column, master, keys[master])
    for rewrite, why in _merged(rewrites):
        found.settings.append(Setting("dq.id_rewrites", "", rewrite, why))


def _entity(master: str) -> str:
    return master.removesuffix("s").upper()


def _unknown_references(
    found: _Found, p: _Profile, column: str, master: str, keys: pl.DataFrame
) -> list[tuple[str, IdRewrite, str]]:
    """Findings of one reference column; its rewrites as (master, rewrite, why)."""
    unknown = (
        profile.unknown_ids(p.typed, column, keys.lazy())
        .sort("rows", "id", descending=[True, False])
        .collect(engine="streaming")
    )
    if unknown.is_empty():
        return []
    key = f"{p.table}.{column}"
    reason = f"UNKNOWN_{_entity(master)}"
    placeholder = pl.col("id").str.contains(profile.PLACEHOLDER)
    if column in p.staged.spec.optional and (tokens := unknown.filter(placeholder)).height:
        values = tuple(tokens["id"].to_list())
        why = f"{p.name}: {column} writes 'no {_entity(master).lower()}' as " + ", ".join(
            map(repr, values)
        )
        found.add(
            Finding(
                FindingKind.NULL_PLACEHOLDER,
                p.name,
                p.table,
                column,
                int(tokens["rows"].sum()),
                why,
                tuple(_shown(v, None) for v in values[:3]),
            ),
            Setting("dq.null_values", key, values, why),
        )
        unknown = unknown.filter(placeholder.not_())
    pairs = profile.matched_ids(unknown.lazy(), keys.lazy()).collect()
    rewrites = _checked_rewrites(p, column, pairs, keys)
    matched = unknown.join(pairs, on="id").sort("rows", "id", descending=[True, False])
    alone = unknown.join(pairs, on="id", how="anti")
    if matched.height:
        examples = tuple(
            f"{_shown(i, None)} → {_shown(k, None)}"
            for i, k in matched.select("id", "key").head(3).iter_rows()
        )
        why = (
            f"{matched.height} id(s) of {key} ({int(matched['rows'].sum())} rows) are {master} "
            "keys written otherwise"
        )
        found.add(
            Finding(
                FindingKind.UNKNOWN_REFERENCE,
                p.name,
                p.table,
                column,
                int(matched["rows"].sum()),
                f"{why}: silver rejects them ({reason}) unless rewritten",
                examples,
                setting=f"[[dq.id_rewrites]] for {key}"
                + (f" ({len(rewrites)} entries)" if len(rewrites) > 1 else ""),
            )
        )
    if alone.height:
        found.add(
            Finding(
                FindingKind.UNKNOWN_REFERENCE,
                p.name,
                p.table,
                column,
                int(alone["rows"].sum()),
                f"{alone.height} id(s) are no {master} key and resemble none: silver rejects "
                f"them ({reason}; a later {master} file can cure them)",
                tuple(_shown(i, None) for i in alone["id"].head(3).to_list()),
            )
        )
    why = f"{p.name}: {matched.height} {column} value(s) such as " + ", ".join(
        f"{_shown(i, None)!r} → {_shown(k, None)!r}"
        for i, k in matched.select("id", "key").head(2).iter_rows()
    )
    return [(master, rewrite, why) for rewrite in rewrites]


def _checked_rewrites(
    p: _Profile, column: str, pairs: pl.DataFrame, keys: pl.DataFrame
) -> tuple[IdRewrite, ...]:
    """Rewrites of ``pairs``, checked as silver applies them; a plain mapping if they miss."""
    if pairs.is_empty():
        return ()
    key = f"{p.table}.{column}"
    rewrites = profile.id_rewrites(pairs, keys, columns=[key])
    known = (
        p.typed.filter(pl.col(column).is_not_null())
        .select(pl.col(column).alias("key"))
        .unique()
        .join(keys.lazy(), on="key", how="semi")
        .collect(engine="streaming")
    )["key"]
    misses = profile.rewrite_misses(pairs, known, rewrites, table=p.table, column=column)
    if misses.is_empty():
        return rewrites
    log.info("%s: the rewrites derived miss %d id(s); suggesting a mapping", key, misses.height)
    mapping = dict(zip(pairs["id"].to_list(), pairs["key"].to_list(), strict=True))
    return (IdRewrite(columns=(key,), mapping=mapping),)


def _merged(rewrites: Sequence[tuple[str, IdRewrite, str]]) -> list[tuple[IdRewrite, str]]:
    """One entry per distinct rewrite of a master, naming every column it was found for."""
    merged: dict[tuple[str, str | None, str, str], tuple[IdRewrite, list[str]]] = {}
    for master, rewrite, why in rewrites:
        kind = (master, rewrite.pattern, rewrite.replace, "map" if rewrite.mapping else "")
        if kind in merged:
            done, whys = merged[kind]
            columns = tuple(dict.fromkeys((*done.columns, *rewrite.columns)))
            mapping = {**done.mapping, **rewrite.mapping}
            merged[kind] = (replace(done, columns=columns, mapping=mapping), [*whys, why])
        else:
            merged[kind] = (rewrite, [why])
    return [(rewrite, "; ".join(dict.fromkeys(whys))) for rewrite, whys in merged.values()]


# --- the settings as TOML, and as configuration --------------------------------------------


def _toml_string(text: str) -> str:
    """A TOML string: a literal one when it can be (regular expressions read better)."""
    if "'" not in text and text.isprintable():
        return f"'{text}'"
    return json.dumps(text, ensure_ascii=False)


def _toml_key(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _toml_value(value: str | tuple[str, ...]) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str) -> str:
    return "# " + printable(masked(text))


def _setting_line(setting: Setting) -> str:
    """The setting as one would write it in a configuration file, for the report."""
    if isinstance(setting.value, IdRewrite):
        return "[[dq.id_rewrites]]"
    if setting.section == "dq":
        return f"dq.{setting.name} += [{_toml_value(setting.value)}]"
    return f"[{setting.section}] {_toml_key(setting.name)} = {_toml_value(setting.value)}"


def _rewrite_lines(rewrite: IdRewrite) -> list[str]:
    lines = [f"columns = {_toml_value(rewrite.columns)}"]
    if rewrite.pattern is not None:
        lines.append(f"pattern = {_toml_string(rewrite.pattern)}")
        lines.append(f"replace = {_toml_string(rewrite.replace)}")
    else:
        pairs = ", ".join(f"{_toml_key(k)} = {_toml_key(v)}" for k, v in rewrite.mapping.items())
        lines.append(f"mapping = {{ {pairs} }}")
    return lines


def id_rewrites_toml(rewrites: Sequence[IdRewrite]) -> str:
    """``[[dq.id_rewrites]]`` tables of ``rewrites``, ready for a configuration file."""
    return "\n".join(
        line for rewrite in rewrites for line in ("[[dq.id_rewrites]]", *_rewrite_lines(rewrite))
    )


def _table_lines(settings: Sequence[Setting], section: Section) -> list[str]:
    """The TOML table ``section`` of ``settings`` (none: no lines); uncertain ones commented."""
    chosen = [s for s in settings if s.section == section]
    lines = ["", f"[{section}]"] if chosen else []
    for s in chosen:
        assert not isinstance(s.value, IdRewrite)
        line = f"{_toml_key(s.name)} = {_toml_value(s.value)}"
        lines += [_comment(s.why), line if s.certain else f"# {line}"]
        if not s.certain and section == "dq.dates":
            lines.append(f'# (or "{MONTH_FIRST if s.value == DAY_FIRST else DAY_FIRST}")')
    return lines


def _toml(report: InspectReport) -> str:
    lines = [
        _comment(f"loyalty-lake inspect {report.path}: what the batch leaves ambiguous, settled."),
        "# Review, then pass this file with --config (or add its entries to your own file).",
    ]
    settings = report.settings
    if not settings:
        lines.append("# Nothing to settle: the batch reads as it is.")
    lines += _table_lines(settings, "landing.column_aliases")
    commas = [s for s in settings if s.section == "dq"]
    if commas:
        lines += ["", "[dq]", *(_comment(s.why) for s in commas)]
        lines.append(f"decimal_comma = {_toml_value(tuple(str(s.value) for s in commas))}")
    lines += _table_lines(settings, "dq.dates") + _table_lines(settings, "dq.null_values")
    for s in settings:
        if isinstance(s.value, IdRewrite):
            lines += ["", "[[dq.id_rewrites]]", _comment(s.why), *_rewrite_lines(s.value)]
    unsettled = [f for f in report.findings if f.kind in _UNSETTLED and f.setting is None]
    if unsettled:
        lines += ["", "# Not settled by any setting (see the report):"]
        lines += [
            _comment(f"- {f.source_file} {f.column or ''}: {f.kind.value}, {f.rows} row(s)")
            for f in unsettled
        ]
    return "\n".join(lines) + "\n"


#: Findings no setting settles, listed at the end of the snippet.
_UNSETTLED = frozenset(
    {
        FindingKind.MIXED_CURRENCIES,
        FindingKind.MIXED_DATE_ORDERS,
        FindingKind.MIXED_DECIMAL_MARKS,
        FindingKind.INVALID_TYPE,
        FindingKind.UNKNOWN_REFERENCE,
        FindingKind.MISSING_COLUMNS,
        FindingKind.REFUSED_FILE,
    }
)


def _applied(config: Config, settings: Sequence[Setting]) -> Config:
    """``config`` with ``settings`` added to its own."""
    aliases = dict(config.landing.column_aliases)
    dates = dict(config.dq.dates)
    nulls = {k: tuple(v) for k, v in config.dq.null_values.items()}
    commas = list(config.dq.decimal_comma)
    rewrites = list(config.dq.id_rewrites)
    for s in settings:
        value = s.value
        if isinstance(value, IdRewrite):
            rewrites.append(value)
        elif s.section == "landing.column_aliases":
            aliases[s.name] = str(value)
        elif s.section == "dq.dates":
            dates[s.name] = str(value)
        elif s.section == "dq.null_values":
            nulls[s.name] = tuple(dict.fromkeys((*nulls.get(s.name, ()), *value)))
        else:
            commas.append(str(value))
    return replace(
        config,
        landing=replace(config.landing, column_aliases=aliases),
        dq=replace(
            config.dq,
            dates=dates,
            null_values=nulls,
            decimal_comma=tuple(dict.fromkeys(commas)),
            id_rewrites=tuple(rewrites),
        ),
    )
