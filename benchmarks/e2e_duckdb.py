"""loyalty_lake's end-to-end customer result in DuckDB SQL: a peer in the end-to-end benchmark.

:func:`run` reads one landing batch folder of CSV files into an in-memory DuckDB
database (every value as text), runs ``_e2e_duckdb.sql`` statement by statement
and writes the result Parquet file: one row per customer of the clean customer
master with the columns of :data:`benchmarks.customers.SCHEMA` (points balance,
RFM, scores and segments), exactly as loyalty_lake's gold ``customer_details``.

What it computes, in SQL (the comments in the SQL file say where in loyalty_lake
each rule comes from):

- **clean**: loyalty_lake silver's rejecting rules: values read strictly (trimmed
  text, exact decimals, 64-bit integers, ISO dates and date-times with offsets or
  in the configured zone) and, where that fails, as real exports write them when
  the meaning is certain (null tokens, integral floats, currency marks and
  thousands groups, decimal commas when configured, date-times in date columns,
  year-first slashes, 12-hour clocks, day/month dates whose order the column
  proves in its file, configured date formats and id rewrites); required values,
  non-positive values, future and too-old dates, windows ending before they
  start, unknown stores / customers / products / promotions (unchecked while a
  master has no clean row), duplicates (the first row of a key in file order
  decides), a transaction all or nothing, a header with lines and a total
  matching them, RETURNs naming a clean SALE; OUTLIER, INVALID_EMAIL /
  INVALID_PHONE, TOTAL_MISMATCH and UNKNOWN_PROMOTION follow their configured
  severity.
- **gold**: points per line (the most specific valid rule, promotion
  multipliers, floor on integers), bonuses, reversals, redemption verdicts in
  rounds driven from Python (one rejection per member and round, over the
  members whose redemptions changed), FIFO expiry, balances; then recency,
  frequency, monetary, tie-safe quintile scores, RFM segment and segment.

Files are found and refused as bronze does: canonical names or aliases, as
``.csv``, ``.csv.gz`` or a ``.zip`` holding one CSV file, names starting with
``_`` or ``.`` ignored; the delimiter is the one (``,`` ``;`` tab ``|``) that
splits the header into the most fields; a file without a header, with a
missing required or a repeated column (after column aliases), or not UTF-8
lands nothing. A row shorter than its header that lacks only optional columns
is padded with NULLs; a row with fewer fields, or more, is dropped alone
(loyalty_lake lands it as a malformed row and silver rejects it,
MALFORMED_ROW); the rest of its file lands. Other malformed rows that
loyalty_lake rejects alone are not mimicked: a value over
``landing.max_field_chars`` lands, a stray quote that swallows the following
rows into a row of the right width lands as that one row, and a quote DuckDB
cannot close stops the run (NotImplementedError) rather than drop rows
silently. ``inventory.csv`` is not read: nothing in the result depends on it.

The configuration (default rules, severities, thresholds, time zone, expiry,
segments, how values are read) comes from :func:`loyalty_lake.config.load_config`
(``env={}``: the defaults) unless one is passed; nothing else of loyalty_lake
is used.

Usage: ``python -m benchmarks.e2e_duckdb BATCH OUT [--threads N]``.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import dataclasses
import io
import json
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from benchmarks._landing import landing_text
from benchmarks.gold_duckdb import rfm_segment_case
from loyalty_lake.config import load_config

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from loyalty_lake.config import Config, IdRewrite

SQL = Path(__file__).with_name("_e2e_duckdb.sql")

#: Redemption rounds before giving up (as loyalty_lake does).
MAX_REDEMPTION_ROUNDS = 100
#: Characters trimmed from values: Unicode White_Space (what polars' strip_chars trims).
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_HEADER_PROBE = 1 << 20
#: The errors of a row that read_csv skips (ignore_errors) and loyalty_lake rejects
#: alone as MALFORMED_ROW: a row with the wrong number of fields.
_FIELD_COUNT_ERRORS = frozenset({"TOO MANY COLUMNS", "MISSING COLUMNS"})
#: Where read_csv lists the rows it skipped (temporary tables, dropped after each file).
_REJECTS, _REJECT_SCANS = "csv_rejects", "csv_reject_scans"


@dataclass(frozen=True, slots=True)
class _Table:
    """A landing file as read here: the columns loaded and the ones a file must have.

    ``others`` are its other contract columns (not loaded, but a header alias
    never stands for one a file has); ``column_aliases`` header names that
    stand for a column, built in.
    """

    columns: tuple[str, ...]
    required: frozenset[str]
    aliases: tuple[str, ...] = ()
    others: frozenset[str] = frozenset()
    column_aliases: Mapping[str, str] = dataclasses.field(default_factory=dict)


def _table(
    columns: str,
    required: str,
    *aliases: str,
    others: str = "",
    column_aliases: Mapping[str, str] | None = None,
) -> _Table:
    return _Table(
        tuple(columns.split()),
        frozenset(required.split()),
        aliases,
        frozenset(others.split()),
        dict(column_aliases or {}),
    )


#: The contract files the result depends on (``inventory`` does not), by canonical name.
TABLES: Mapping[str, _Table] = {
    "stores": _table(
        "store_id opening_date", "store_id", others="store_name store_city store_region"
    ),
    "products": _table(
        "product_id product_category unit_price current_stock_level",
        "product_id product_category unit_price",
        others="product_name",
    ),
    "customers": _table(
        "customer_id enrollment_date email phone",
        "customer_id",
        "customer_details",
        others="first_name last_name loyalty_status",
    ),
    "promotions": _table(
        "promotion_id start_date end_date discount_percentage applicable_category "
        "points_multiplier",
        "promotion_id start_date end_date",
        "promotion_details",
        others="promotion_name",
    ),
    "loyalty_rules": _table(
        "rule_id points_per_unit_spend min_spend_threshold bonus_points applicable_category "
        "valid_from valid_to days_of_week",
        "rule_id points_per_unit_spend",
        others="rule_name",
        column_aliases={"start_date": "valid_from", "end_date": "valid_to"},
    ),
    "sales_header": _table(
        "transaction_id customer_id store_id transaction_date total_amount transaction_type "
        "original_transaction_id",
        "transaction_id store_id transaction_date total_amount",
        "store_sales_header",
    ),
    "sales_lines": _table(
        "line_item_id transaction_id product_id promotion_id quantity line_item_amount",
        "line_item_id transaction_id product_id quantity line_item_amount",
        "store_sales_line_items",
        "sales_line_items",
    ),
    "redemptions": _table(
        "redemption_id customer_id redemption_date points_redeemed store_id",
        "redemption_id customer_id redemption_date points_redeemed",
    ),
}


# --- the SQL file ------------------------------------------------------------------------

_BLOCK = re.compile(r"^-- @(\w+) (\w+)(?: (when|unless) (\w+))?$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of the SQL file: its phase, name and text."""

    phase: str
    name: str
    sql: str


def statements(config: Config) -> list[Statement]:
    """The SQL file's statements that apply to ``config``, placeholders filled in."""
    text = SQL.read_text()
    for placeholder, sql in placeholders(config).items():
        text = text.replace(f"/*{placeholder}*/", sql)
    flags = _flags(config)
    found = list(_BLOCK.finditer(text))
    chosen = []
    for match, following in zip(found, [*found[1:], None], strict=True):
        phase, name, condition, flag = match.groups()
        if condition is not None and flags[flag] != (condition == "when"):
            continue
        body = text[match.end() : following.start() if following else len(text)]
        chosen.append(Statement(phase, name, body.strip().removesuffix(";")))
    return chosen


def placeholders(config: Config) -> dict[str, str]:
    """What each placeholder comment of the SQL file stands for under ``config``.

    How values are read (``dq.null_tokens`` ...) becomes the bodies of macros
    that take a column's key ``'table.column'``, a constant, so that DuckDB
    folds them to the column's own setting.
    """
    dq = config.dq
    return {
        "ws": "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE),
        "zone": _quoted(config.timezone),
        "default_rules": default_rules_query(config),
        "rfm_segment": rfm_segment_case(config),
        "null_tokens": null_token_test(dq.null_tokens, dq.null_values),
        "decimal_comma": _listed("k", dq.decimal_comma)
        + " OR "
        + _listed("split_part(k, '.', 1)", dq.decimal_comma),
        "date_order": _by_key(
            {k: _quoted(v) for k, v in dq.dates.items() if v in DATE_ORDERS}, "NULL::VARCHAR"
        ),
        "date_format": _by_key(
            {k: _quoted(v) for k, v in dq.dates.items() if v not in DATE_ORDERS}, "NULL::VARCHAR"
        ),
        "formatted": _by_key(
            {
                k: f"try_strptime(t, {_quoted(v)})"
                for k, v in dq.dates.items()
                if v not in DATE_ORDERS
            },
            "NULL::TIMESTAMP",
        ),
        "id_rewrites": id_rewrites_case(dq.id_rewrites),
    }


#: The values of ``dq.dates`` that say an order (any other is a strftime format).
DATE_ORDERS = ("day-first", "month-first")


def null_token_test(tokens: Iterable[str], per_column: Mapping[str, Iterable[str]]) -> str:
    """Whether text ``t`` of column ``k`` is a null token (``dq.null_tokens`` / ``null_values``)."""
    tests = [_listed("t", tokens)]
    tests += [
        f"(k = {_quoted(key)} AND {_listed('t', extra)})" for key, extra in per_column.items()
    ]
    return " OR ".join(tests)


def id_rewrites_case(rewrites: Iterable[IdRewrite]) -> str:
    """Id ``x`` of column ``k`` rewritten by ``dq.id_rewrites``: the first that matches wins."""
    by_column: dict[str, list[str]] = {}
    for rewrite in rewrites:
        if rewrite.pattern is not None:
            whole = _quoted(f"^(?:{rewrite.pattern})$")
            replace = _quoted(_backreferences(rewrite.replace))
            when = f"regexp_full_match(x, {whole})"
            then = f"regexp_replace(x, {whole}, {replace})"
        else:
            pairs = ", ".join(f"{_quoted(a)}: {_quoted(b)}" for a, b in rewrite.mapping.items())
            when = _listed("x", rewrite.mapping)
            then = f"map_extract_value(MAP {{{pairs}}}, x)"
        for column in rewrite.columns:
            by_column.setdefault(column, []).append(f"WHEN {when} THEN {then}")
    cases = {k: f"CASE {' '.join(whens)} ELSE x END" for k, whens in by_column.items()}
    return _by_key(cases, "x")


def _backreferences(replace: str) -> str:
    """A replacement as loyalty_lake writes it (``$1``, ``${1}``, ``$$``), as RE2's (``\\1``)."""

    def group(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        number = match.group(1) or match.group(2)
        if not (number.isdigit() and len(number) == 1):
            raise NotImplementedError(f"id rewrite replacement {replace!r}: groups $0 to $9 only")
        return "\\" + number

    return re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)", group, replace.replace("\\", "\\\\"))


def _listed(expression: str, values: Iterable[str]) -> str:
    """``expression IN (values)``, or false when there are none."""
    quoted = [_quoted(v) for v in values]
    return f"{expression} IN ({', '.join(quoted)})" if quoted else "false"


def _by_key(cases: Mapping[str, str], default: str) -> str:
    """A CASE on the column key ``k`` (just ``default`` when no column has a case)."""
    if not cases:
        return default
    whens = " ".join(f"WHEN {_quoted(k)} THEN {sql}" for k, sql in cases.items())
    return f"CASE k {whens} ELSE {default} END"


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _severity_rejects(config: Config) -> dict[str, bool]:
    """Whether each configurable rule rejects (loyalty_lake's defaults, then the config)."""
    rejects = {
        "OUTLIER": False,
        "INVALID_EMAIL": False,
        "INVALID_PHONE": False,
        "TOTAL_MISMATCH": True,
        "UNKNOWN_PROMOTION": True,
    }
    for reason, severity in config.dq.severity.items():
        rejects[str(reason)] = str(severity) == "reject"
    return rejects


def _flags(config: Config) -> dict[str, bool]:
    return {
        "zoned": config.timezone.upper() not in {"UTC", "ETC/UTC"},
        "reject_outlier": _severity_rejects(config)["OUTLIER"],
    }


def default_rules_query(config: Config) -> str:
    """The configured earning rules (used when no clean loyalty rule landed) as a query."""
    columns = (
        "rule_id, points_per_unit_spend, min_spend_threshold, bonus_points, applicable_category"
    )
    rows = [
        f"({_quoted(r.rule_id)}, CAST('{r.points_per_unit_spend}' AS DECIMAL(18, 4)), "
        f"CAST('{r.min_spend_threshold}' AS DECIMAL(18, 2)), "
        f"CAST({int(r.bonus_points)} AS BIGINT), {_quoted(r.applicable_category)})"
        for r in config.loyalty.default_rules
    ]
    if not rows:
        return (
            "SELECT NULL::VARCHAR AS rule_id, NULL::DECIMAL(18, 4) AS points_per_unit_spend, "
            "NULL::DECIMAL(18, 2) AS min_spend_threshold, NULL::BIGINT AS bonus_points, "
            "NULL::VARCHAR AS applicable_category WHERE false"
        )
    return f"SELECT * FROM (VALUES {', '.join(rows)}) AS configured({columns})"


def settings(config: Config, *, now: datetime) -> dict[str, object]:
    """The DuckDB variables the SQL reads (getvariable)."""
    latest = (now + timedelta(days=config.dq.future_tolerance_days)).astimezone(UTC)
    share = Fraction(config.segments.high_spender_share)
    rejects = _severity_rejects(config)
    return {
        "latest_at": latest.replace(tzinfo=None),
        "latest_date": latest.date(),
        "earliest": config.dq.earliest_date,
        "reject_total_mismatch": rejects["TOTAL_MISMATCH"],
        "reject_unknown_promotion": rejects["UNKNOWN_PROMOTION"],
        "reject_email": rejects["INVALID_EMAIL"],
        "reject_phone": rejects["INVALID_PHONE"],
        "outlier_threshold": float(config.dq.outlier_threshold),
        "total_tolerance": config.dq.total_tolerance,
        "reject_unverified": config.dq.unverified_references == "reject",
        "expiry_months": config.loyalty.expiry_months,
        "at_risk_days": config.segments.at_risk_days,
        "share_num": share.numerator,
        "share_den": share.denominator,
        "round": 0,
    }


# --- reading the batch -------------------------------------------------------------------


def batch_files(batch: Path) -> dict[str, list[Path]]:
    """The batch's CSV files per table, in batch order (by name), as bronze lands them.

    A file is ``<stem>.csv``, ``<stem>.csv.gz`` or ``<stem>.zip``, its stem a
    table's name or alias in any letter case.
    """
    by_stem = {stem: name for name, t in TABLES.items() for stem in (name, *t.aliases)}
    found: dict[str, list[Path]] = {name: [] for name in TABLES}
    for path in sorted(p for p in batch.iterdir() if p.is_file()):
        name = path.name.strip().lower()
        stem = re.sub(r"\.(csv|csv\.gz|zip)$", "", name)
        if path.name[0] in "._" or stem == name:
            continue
        table = by_stem.get(stem)
        if table is not None:
            found[table].append(path)
    return found


def column_aliases(name: str, configured: Mapping[str, str]) -> dict[str, str]:
    """Header names standing for table ``name``'s columns: built in, then configured.

    ``configured`` is ``landing.column_aliases``: ``{"table.header": "column"}``.
    """
    aliases = dict(TABLES[name].column_aliases)
    for key, column in configured.items():
        table, dot, header = key.partition(".")
        if dot and table.strip().lower() == name:
            aliases[header.strip().lower()] = column.strip().lower()
    return aliases


@dataclass(frozen=True, slots=True)
class Header:
    """A file's header row as bronze reads it.

    ``positions`` of the table's loaded columns; ``width`` (fields) and
    ``delimiter`` of the row; ``line``: the physical line it is on (blank
    lines before it are skipped); ``min_fields``: the fewest fields a row
    needs to hold every required column (a row between that and ``width`` is
    padded).
    """

    positions: dict[str, int]
    width: int
    delimiter: str = ","
    line: int = 1
    min_fields: int = 1


#: The delimiters a header may use, in order of preference when they split it alike.
DELIMITERS = (",", ";", "\t", "|")
MAX_COLUMNS, MAX_COLUMN_NAME = 1024, 256


def header_positions(
    path: Path, table: _Table, *, aliases: Mapping[str, str] | None = None
) -> Header | None:
    """The file's header (:class:`Header`), or None when bronze would refuse the file.

    Refused: empty, UTF-16 or not UTF-8 (within the first MiB), a header row no
    delimiter splits (an unbalanced quote) or that is not plausibly one, a
    column named twice or a required column missing (names are compared
    trimmed and in lower case, after ``aliases``: header names standing for a
    column). The delimiter is the one of :data:`DELIMITERS` that splits the
    row into the most fields.
    """
    try:
        with landing_text(path) as raw:
            probe = raw.read(_HEADER_PROBE)
    except (OSError, EOFError, zipfile.BadZipFile, ValueError):
        return None  # BAD_ARCHIVE
    if probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None  # UNDECODABLE
    if not probe.removeprefix(codecs.BOM_UTF8).strip():
        return None  # EMPTY_FILE
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(probe, final=len(probe) < _HEADER_PROBE)
    except UnicodeDecodeError:
        return None  # UNDECODABLE
    line, row = next((n, r) for n, r in enumerate(io.StringIO(text, newline=""), 1) if r.strip())
    split = header_fields(row.rstrip("\r\n"))
    if split is None:
        return None  # BAD_HEADER
    delimiter, fields = split
    if len(fields) > MAX_COLUMNS or max(len(f) for f in fields) > MAX_COLUMN_NAME:
        return None  # BAD_HEADER
    names = [name.strip().lower() or f"column_{i + 1}" for i, name in enumerate(fields)]
    contract = set(table.columns) | table.others
    aliases = aliases if aliases is not None else dict(table.column_aliases)
    names = [
        aliases[n] if n not in contract and aliases.get(n) in contract - set(names) else n
        for n in names
    ]
    if len(set(names)) < len(names) or not table.required <= set(names):
        return None  # DUPLICATE_COLUMNS, MISSING_COLUMNS
    positions = {name: i for i, name in enumerate(names) if name in table.columns}
    return Header(
        positions,
        len(names),
        delimiter,
        line,
        min_fields=1 + max(i for name, i in positions.items() if name in table.required),
    )


def header_fields(row: str) -> tuple[str, list[str]] | None:
    """The delimiter splitting a header row into the most fields (the earlier on a tie)."""
    best: tuple[str, list[str]] | None = None
    for delimiter in DELIMITERS:
        if delimiter != "," and delimiter not in row:
            continue
        try:
            fields = next(csv.reader([row], delimiter=delimiter, strict=True))
        except csv.Error:
            continue
        if best is None or len(fields) > len(best[1]):
            best = (delimiter, fields)
    return best


def read_batch(
    con: duckdb.DuckDBPyConnection, batch: Path, *, config: Config | None = None
) -> None:
    """Load the batch's files as text into raw_<table> (contract columns, file order).

    A column the file lacks is NULL, and so is an empty value; ``_file``
    numbers the files of the batch (silver judges some facts per file). A
    short row lacking only optional columns is padded with NULLs, a row with
    the wrong number of fields dropped (see :func:`read_file`).
    """
    configured = config.landing.column_aliases if config is not None else {}
    files = batch_files(batch)
    number = 0
    for name, table in TABLES.items():
        columns = ", ".join(f"{c} VARCHAR" for c in table.columns)
        con.execute(f"CREATE TABLE raw_{name} ({columns}, _file INTEGER)")
        for path in files[name]:
            number += 1
            read_file(con, path, name, table, file=number, aliases=column_aliases(name, configured))


def csv_scan(
    path: Path,
    header: Header,
    *,
    parallel: bool = True,
    compression: str = "none",
) -> str:
    """A read_csv of ``path`` giving ``c0 .. c<width>``: one column more than the header.

    Every field is read as VARCHAR with an explicit RFC 4180 dialect and the
    header's delimiter (nothing is sniffed or converted), an empty field as ''
    (``nullstr`` is a NUL character, which no landing text holds) and a short
    row padded with NULLs, so a row's fields are the columns before the first
    NULL. The extra column is needed because DuckDB drops trailing empty fields
    past the last column it reads (``1,2,3,`` reads as three fields). A row
    with still more fields is skipped (``ignore_errors``) and listed in the
    rejects table, as is anything else read_csv skips.
    """
    types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(header.width + 1))
    return (
        f"read_csv({_quoted(str(path))}, columns = {{{types}}}, header = true, "
        f"skip = {header.line - 1}, delim = {_quoted(header.delimiter)}, "
        "quote = '\"', escape = '\"', auto_detect = false, nullstr = chr(0), "
        f"null_padding = true, compression = '{compression}', ignore_errors = true, "
        f"store_rejects = true, rejects_table = '{_REJECTS}', rejects_scan = '{_REJECT_SCANS}'"
        f"{'' if parallel else ', parallel = false'})"
    )


def read_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    table: _Table,
    *,
    file: int = 0,
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Append one landing file's rows to raw_<name>, or nothing if bronze refuses it.

    A row with at least the fields of the required columns and at most the
    header's is kept (a short one padded); any other is dropped (loyalty_lake:
    MALFORMED_ROW). A file that is not UTF-8 beyond its header lands nothing
    (UNDECODABLE). A ``.csv.gz`` file is read as it is; a ``.zip``'s CSV file
    is unpacked to a temporary folder first. Raises NotImplementedError if
    read_csv skipped rows for another reason (an unbalanced quote, an overlong
    line): loyalty_lake splits those differently, and dropping them here would
    go unnoticed.
    """
    header = header_positions(path, table, aliases=aliases)
    if header is None:
        return
    with contextlib.ExitStack() as stack:
        source, compression = path, "none"
        if path.name.strip().lower().endswith(".csv.gz"):
            compression = "gzip"
        elif path.name.strip().lower().endswith(".zip"):
            source = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "member.csv"
            with landing_text(path) as text, source.open("wb") as out:
                shutil.copyfileobj(text, out)
        _insert_rows(con, source, name, table, header, file=file, compression=compression)


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str,
    table: _Table,
    header: Header,
    *,
    file: int,
    compression: str,
) -> None:
    select = ", ".join(
        f"nullif(c{header.positions[c]}, '')" if c in header.positions else "NULL"
        for c in table.columns
    )
    well_formed = f"c{header.min_fields - 1} IS NOT NULL AND c{header.width} IS NULL"
    for parallel in (True, False):
        con.begin()
        try:
            scan = csv_scan(path, header, parallel=parallel, compression=compression)
            con.execute(
                f"INSERT INTO raw_{name} SELECT {select}, {file} FROM {scan} WHERE {well_formed}"
            )
        except duckdb.Error as exc:
            con.rollback()
            if parallel and "null_padding" in str(exc):
                continue  # quoted line breaks: the parallel reader cannot pad rows
            raise
        break
    skipped = {
        str(error)
        for (error,) in con.execute(
            f"SELECT DISTINCT CAST(error_type AS VARCHAR) FROM {_REJECTS}"
        ).fetchall()
    }
    if skipped <= _FIELD_COUNT_ERRORS:
        con.commit()
    else:
        con.rollback()
    con.execute(f"DROP TABLE IF EXISTS {_REJECTS}; DROP TABLE IF EXISTS {_REJECT_SCANS}")
    if "INVALID ENCODING" in skipped:
        return  # UNDECODABLE: the file lands nothing
    if unexpected := skipped - _FIELD_COUNT_ERRORS:
        raise NotImplementedError(
            f"{path.name}: read_csv skipped rows ({', '.join(sorted(unexpected))}) that "
            "loyalty_lake would read otherwise; the DuckDB peer does not mimic that."
        )


# --- running -----------------------------------------------------------------------------


def _execute(con: duckdb.DuckDBPyConnection, chosen: Iterable[Statement]) -> int:
    """Run statements in order; return the row count the last one reported (an INSERT's)."""
    count = 0
    for statement in chosen:
        row = con.execute(statement.sql).fetchone()
        count = int(row[0]) if row and isinstance(row[0], int) else 0
    return count


def _phase(all_statements: list[Statement], phase: str) -> list[Statement]:
    return [s for s in all_statements if s.phase == phase]


def compute(con: duckdb.DuckDBPyConnection, config: Config, *, now: datetime) -> dict[str, float]:
    """Clean the raw tables and compute ``result`` on ``con``; return the phase timings."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    for name, value in settings(config, now=now).items():
        con.execute(f"SET VARIABLE {name} = ?", [value])
    sql = statements(config)
    _execute(con, _phase(sql, "clean"))
    timings["clean"] = time.perf_counter() - start

    start = time.perf_counter()
    _execute(con, _phase(sql, "gold"))
    for round_number in range(1, MAX_REDEMPTION_ROUNDS + 1):
        con.execute("SET VARIABLE round = ?", [round_number])
        _execute(con, _phase(sql, "ledger"))
        verdict, next_scope = _phase(sql, "verdict")
        if not _execute(con, [verdict]):
            break
        _execute(con, [next_scope])
    else:
        raise RuntimeError(
            f"Redemption checks did not settle after {MAX_REDEMPTION_ROUNDS} rounds."
        )
    _execute(con, _phase(sql, "final"))
    _execute(con, _phase(sql, "ledger"))
    _execute(con, _phase(sql, "balance"))
    timings["gold"] = time.perf_counter() - start
    return timings


def run(
    batch: Path,
    out: Path,
    *,
    threads: int | None = None,
    config: Config | None = None,
    now: datetime | None = None,
) -> dict[str, float]:
    """Read one landing batch folder of CSVs into DuckDB, compute, write the result to `out`.

    The result is a Parquet file with the columns of ``benchmarks.customers.SCHEMA``.
    Returns phase timings in seconds: {"read": ..., "clean": ..., "gold": ..., "write": ...,
    "customers": n}. ``config`` defaults to loyalty_lake's default configuration; ``now``
    (for the future-date rules) to the current time.
    """
    config = config or load_config(env={})
    now = now or datetime.now(UTC)
    con = duckdb.connect(":memory:")
    try:
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        start = time.perf_counter()
        read_batch(con, Path(batch), config=config)
        timings = {"read": time.perf_counter() - start}
        timings |= compute(con, config, now=now)
        start = time.perf_counter()
        con.execute(f"COPY result TO {_quoted(str(out))} (FORMAT parquet)")
        timings["write"] = time.perf_counter() - start
        (customers,) = con.execute("SELECT count(*) FROM result").fetchone() or (0,)
        timings["customers"] = customers
        return timings
    finally:
        con.close()


def main(argv: list[str] | None = None) -> None:
    """Command line: run one batch and print the timings as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("batch", type=Path, help="a landing batch folder of CSV files")
    parser.add_argument("out", type=Path, help="the result Parquet file to write")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all)")
    args = parser.parse_args(argv)
    timings = run(args.batch, args.out, threads=args.threads)
    print(json.dumps({k: round(v, 3) for k, v in timings.items()}))


if __name__ == "__main__":
    main()
