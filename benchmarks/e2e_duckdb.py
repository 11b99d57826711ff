"""loyalty_lake's end-to-end customer result in DuckDB SQL: a peer in the end-to-end benchmark.

:func:`run` reads one landing batch folder of CSV files into an in-memory DuckDB
database (every value as text), runs ``_e2e_duckdb.sql`` statement by statement
and writes the result Parquet file: one row per customer of the clean customer
master with the columns of :data:`benchmarks.customers.SCHEMA` (points balance,
RFM, scores and segments), exactly as loyalty_lake's gold ``customer_details``.

What it computes, in SQL (the comments in the SQL file say where in loyalty_lake
each rule comes from):

- **clean**: loyalty_lake silver's rejecting rules: strict parsing (trimmed text,
  exact decimals, 64-bit integers, ISO dates and date-times with offsets or in the
  configured zone), required values, non-positive values, future and too-old
  dates, windows ending before they start, unknown stores / customers / products
  / promotions, duplicates (the first row of a key in file order decides), a
  transaction all or nothing, header total against its lines, RETURNs naming a
  clean SALE; OUTLIER, INVALID_EMAIL / INVALID_PHONE, TOTAL_MISMATCH and
  UNKNOWN_PROMOTION follow their configured severity.
- **gold**: points per line (the most specific valid rule, promotion
  multipliers, floor on integers), bonuses, reversals, redemption verdicts in
  rounds driven from Python (one rejection per member and round, over the
  members whose redemptions changed), FIFO expiry, balances; then recency,
  frequency, monetary, tie-safe quintile scores, RFM segment and segment.

Files are found and refused as bronze does: canonical names or aliases, names
starting with ``_`` or ``.`` ignored, a file without a header, with a missing
required or a repeated column, or not UTF-8 lands nothing. A row with more or
fewer fields than its header is dropped alone (loyalty_lake lands it as a
malformed row and silver rejects it, MALFORMED_ROW); the rest of its file lands.
Other malformed rows that loyalty_lake rejects alone are not mimicked: a
value over ``landing.max_field_chars`` lands, a stray quote that swallows the
following rows into a row of the right width lands as that one row, and a
quote DuckDB cannot close stops the run (NotImplementedError) rather than
drop rows silently.
``inventory.csv`` is not read: nothing in the result depends on it.

The configuration (default rules, severities, thresholds, time zone, expiry,
segments) comes from :func:`loyalty_lake.config.load_config` (``env={}``: the
defaults) unless one is passed; nothing else of loyalty_lake is used.

Usage: ``python -m benchmarks.e2e_duckdb BATCH OUT [--threads N]``.
"""

from __future__ import annotations

import argparse
import codecs
import csv
import io
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from benchmarks.gold_duckdb import rfm_segment_case
from loyalty_lake.config import load_config

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from loyalty_lake.config import Config

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
    """A landing file as read here: the columns loaded and the ones a file must have."""

    columns: tuple[str, ...]
    required: frozenset[str]
    aliases: tuple[str, ...] = ()


def _table(columns: str, required: str, *aliases: str) -> _Table:
    return _Table(tuple(columns.split()), frozenset(required.split()), aliases)


#: The contract files the result depends on (``inventory`` does not), by canonical name.
TABLES: Mapping[str, _Table] = {
    "stores": _table("store_id opening_date", "store_id"),
    "products": _table(
        "product_id product_category unit_price current_stock_level",
        "product_id product_category unit_price",
    ),
    "customers": _table(
        "customer_id enrollment_date email phone", "customer_id", "customer_details"
    ),
    "promotions": _table(
        "promotion_id start_date end_date discount_percentage applicable_category "
        "points_multiplier",
        "promotion_id start_date end_date",
        "promotion_details",
    ),
    "loyalty_rules": _table(
        "rule_id points_per_unit_spend min_spend_threshold bonus_points applicable_category "
        "valid_from valid_to days_of_week",
        "rule_id points_per_unit_spend",
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
    text = (
        SQL.read_text()
        .replace("/*ws*/", "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE))
        .replace("/*zone*/", _quoted(config.timezone))
        .replace("/*default_rules*/", default_rules_query(config))
        .replace("/*rfm_segment*/", rfm_segment_case(config))
    )
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
        "expiry_months": config.loyalty.expiry_months,
        "at_risk_days": config.segments.at_risk_days,
        "share_num": share.numerator,
        "share_den": share.denominator,
        "round": 0,
    }


# --- reading the batch -------------------------------------------------------------------


def batch_files(batch: Path) -> dict[str, list[Path]]:
    """The batch's CSV files per table, in batch order (by name), as bronze lands them."""
    by_stem = {stem: name for name, t in TABLES.items() for stem in (name, *t.aliases)}
    found: dict[str, list[Path]] = {name: [] for name in TABLES}
    for path in sorted(p for p in batch.iterdir() if p.is_file()):
        stem, dot, ext = path.name.strip().rpartition(".")
        if path.name[0] in "._" or not dot or ext.lower() != "csv":
            continue
        table = by_stem.get(stem.lower())
        if table is not None:
            found[table].append(path)
    return found


def header_positions(path: Path, table: _Table) -> tuple[dict[str, int], int] | None:
    """The positions of the table's columns in the file's header, and the header's width.

    None when bronze would refuse the file for its header: empty, not UTF-8, a
    column named twice or a required column missing (names are compared trimmed
    and in lower case).
    """
    with path.open("rb") as fh:
        probe = fh.read(_HEADER_PROBE)
    if not probe.removeprefix(codecs.BOM_UTF8).strip():
        return None  # EMPTY_FILE
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        text = decoder.decode(probe, final=len(probe) < _HEADER_PROBE)
    except UnicodeDecodeError:
        return None  # UNDECODABLE
    header = next(csv.reader(io.StringIO(text)))
    names = [name.strip().lower() or f"column_{i + 1}" for i, name in enumerate(header)]
    if len(set(names)) < len(names) or not table.required <= set(names):
        return None  # DUPLICATE_COLUMNS, MISSING_COLUMNS
    return {name: i for i, name in enumerate(names) if name in table.columns}, len(names)


def read_batch(con: duckdb.DuckDBPyConnection, batch: Path) -> None:
    """Load the batch's files as text into raw_<table> (contract columns, file order).

    A column the file lacks is NULL, and so is an empty value; a row with the
    wrong number of fields is dropped (see :func:`read_file`).
    """
    files = batch_files(batch)
    for name, table in TABLES.items():
        columns = ", ".join(f"{c} VARCHAR" for c in table.columns)
        con.execute(f"CREATE TABLE raw_{name} ({columns})")
        for path in files[name]:
            read_file(con, path, name, table)


def csv_scan(path: Path, width: int, *, parallel: bool = True) -> str:
    """A read_csv of ``path`` giving ``c0 .. c<width>``: one column more than the header.

    Every field is read as VARCHAR with an explicit RFC 4180 dialect (nothing
    is sniffed or converted), an empty field as '' (``nullstr`` is a NUL
    character, which no landing text holds) and a short row padded with NULLs,
    so a row has exactly the header's fields where ``c<width-1>`` is not NULL
    and ``c<width>`` is. The extra column is needed because DuckDB drops
    trailing empty fields past the last column it reads (``1,2,3,`` reads as
    three fields). A row with still more fields is skipped (``ignore_errors``)
    and listed in the rejects table, as is anything else read_csv skips.
    """
    types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width + 1))
    return (
        f"read_csv({_quoted(str(path))}, columns = {{{types}}}, header = true, delim = ',', "
        "quote = '\"', escape = '\"', auto_detect = false, nullstr = chr(0), "
        "null_padding = true, ignore_errors = true, store_rejects = true, "
        f"rejects_table = '{_REJECTS}', rejects_scan = '{_REJECT_SCANS}'"
        f"{'' if parallel else ', parallel = false'})"
    )


def read_file(con: duckdb.DuckDBPyConnection, path: Path, name: str, table: _Table) -> None:
    """Append one landing file's well-formed rows to raw_<name>, or nothing if bronze refuses it.

    A row with more or fewer fields than the header is dropped (loyalty_lake:
    MALFORMED_ROW); a file that is not UTF-8 beyond its header lands nothing
    (UNDECODABLE). Raises NotImplementedError if read_csv skipped rows for
    another reason (an unbalanced quote, an overlong line): loyalty_lake
    splits those differently, and dropping them here would go unnoticed.
    """
    header = header_positions(path, table)
    if header is None:
        return
    positions, width = header
    select = ", ".join(
        f"nullif(c{positions[c]}, '')" if c in positions else "NULL" for c in table.columns
    )
    well_formed = f"c{width - 1} IS NOT NULL AND c{width} IS NULL"
    for parallel in (True, False):
        con.begin()
        try:
            con.execute(
                f"INSERT INTO raw_{name} SELECT {select} "
                f"FROM {csv_scan(path, width, parallel=parallel)} WHERE {well_formed}"
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
        read_batch(con, Path(batch))
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
