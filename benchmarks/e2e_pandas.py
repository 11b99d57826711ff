"""loyalty_lake's end-to-end customer results in plain pandas: the benchmark's peer.

One landing batch folder of CSV files in, one row per customer of the clean
customer master out (the columns of :data:`benchmarks.customers.SCHEMA`),
computed with the definitions of loyalty_lake (contract, data quality rules,
points engine, RFM and segments) the way a competent data scientist writes a
hackathon MVP: every file read as text, values parsed with vectorised string
methods, each data quality rule a boolean mask, ``merge``/``groupby`` for the
rest, and a plain Python loop per customer only where the order of events
matters (a redemption above the balance, FIFO expiry). Only configuration
values come from loyalty_lake (``load_config``); none of its code computes
anything here.

Values are read as loyalty_lake's silver reads them (docs/data-quality.md):
strictly first, and where that fails, what real exports write when its meaning
is certain: null tokens, integral floats (``3.0``, ids ``15.0``), currency
marks and strict thousands groups, decimal commas when configured, date-times
in date columns, year-first slashes, 12-hour clocks and day/month dates whose
order the column proves in its file. The fallbacks run only on the values the
strict reading left, so a clean export pays little for them.

    python -m benchmarks.e2e_pandas BATCH OUT

``inventory.csv`` is not read: no customer figure depends on stock.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import logging
import math
import re
import sys
import zipfile
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from time import perf_counter
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from benchmarks._landing import BadArchive
from benchmarks._landing import landing_text as opened_text
from loyalty_lake.config import load_config

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from loyalty_lake.config import Config, IdRewrite

log = logging.getLogger(__name__)

# --- the landing contract (files, aliases, columns) ----------------------------------------

#: table → (columns, required columns, file name aliases). Inventory is left out.
CONTRACT: dict[str, tuple[list[str], set[str], tuple[str, ...]]] = {
    "stores": (
        ["store_id", "store_name", "store_city", "store_region", "opening_date"],
        {"store_id"},
        (),
    ),
    "products": (
        ["product_id", "product_name", "product_category", "unit_price", "current_stock_level"],
        {"product_id", "product_category", "unit_price"},
        (),
    ),
    "customers": (
        [
            "customer_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "enrollment_date",
            "loyalty_status",
        ],
        {"customer_id"},
        ("customer_details",),
    ),
    "promotions": (
        [
            "promotion_id",
            "promotion_name",
            "start_date",
            "end_date",
            "discount_percentage",
            "applicable_category",
            "points_multiplier",
        ],
        {"promotion_id", "start_date", "end_date"},
        ("promotion_details",),
    ),
    "loyalty_rules": (
        [
            "rule_id",
            "rule_name",
            "points_per_unit_spend",
            "min_spend_threshold",
            "bonus_points",
            "applicable_category",
            "valid_from",
            "valid_to",
            "days_of_week",
        ],
        {"rule_id", "points_per_unit_spend"},
        (),
    ),
    "sales_header": (
        [
            "transaction_id",
            "customer_id",
            "store_id",
            "transaction_date",
            "total_amount",
            "transaction_type",
            "original_transaction_id",
        ],
        {"transaction_id", "store_id", "transaction_date", "total_amount"},
        ("store_sales_header",),
    ),
    "sales_lines": (
        [
            "line_item_id",
            "transaction_id",
            "product_id",
            "promotion_id",
            "quantity",
            "line_item_amount",
        ],
        {"line_item_id", "transaction_id", "product_id", "quantity", "line_item_amount"},
        ("store_sales_line_items", "sales_line_items"),
    ),
    "redemptions": (
        ["redemption_id", "customer_id", "redemption_date", "points_redeemed", "store_id"],
        {"redemption_id", "customer_id", "redemption_date", "points_redeemed"},
        (),
    ),
}
TABLE_OF_STEM = {
    stem: table for table, (_, _, aliases) in CONTRACT.items() for stem in (table, *aliases)
}
#: Header names standing for a contract column (besides ``landing.column_aliases``).
COLUMN_ALIASES = {"loyalty_rules": {"start_date": "valid_from", "end_date": "valid_to"}}
#: The delimiters a header may use, in order of preference when they split it alike.
DELIMITERS = (",", ";", "\t", "|")
#: How much of a file (its text) is read to find its header row.
HEADER_PROBE = 1 << 20
MAX_COLUMNS, MAX_COLUMN_NAME = 1024, 256
#: A file's column of which file of its table a row came from (facts are judged per file).
FILE = "_file"

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
EARN, BONUS, REVERSAL, REDEEM = "EARN", "BONUS", "REVERSAL", "REDEEM"
EVENT_TYPES = pd.CategoricalDtype(sorted([EARN, BONUS, REVERSAL, REDEEM]), ordered=True)
#: Order of events within a day (expiries come first, at the start of the day).
PHASE = {EARN: 1, BONUS: 1, REVERSAL: 1, REDEEM: 2}
POINTS_SCALE = 10**10  # cents (10²) × rate (10⁴) × multiplier (10⁴)


# --- reading --------------------------------------------------------------------------------


def read_batch(
    batch: Path, *, column_aliases: Mapping[str, str] | None = None
) -> dict[str, pd.DataFrame]:
    """Every contract file of the batch as text columns, by table (absent tables are left out).

    Files are matched by canonical name or alias, case-insensitively, as
    ``.csv``, ``.csv.gz`` or a ``.zip`` holding one CSV file; names starting
    with ``_`` or ``.`` are ignored. Several files of one table are
    concatenated in file name order; :data:`FILE` numbers them.
    ``column_aliases`` is the ``landing.column_aliases`` setting.
    """
    parts: dict[str, list[pd.DataFrame]] = {}
    for number, (table, path) in enumerate(landing_files(batch)):
        frame = read_text(path, table, aliases=aliases_of(table, column_aliases or {}))
        if frame is not None:
            parts.setdefault(table, []).append(frame.assign(**{FILE: number}))
    return {
        table: frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        for table, frames in parts.items()
    }


def landing_files(batch: Path) -> list[tuple[str, Path]]:
    """(table, path) of the batch's contract files, in batch order (by name)."""
    found = []
    for path in sorted(p for p in batch.iterdir() if p.is_file()):
        name = path.name.strip().lower()
        stem = re.sub(r"\.(csv|csv\.gz|zip)$", "", name)
        if path.name[0] in "._" or stem == name:
            continue
        table = TABLE_OF_STEM.get(stem)
        if table is not None:
            found.append((table, path))
    return found


def aliases_of(table: str, configured: Mapping[str, str]) -> dict[str, str]:
    """Header names standing for ``table``'s columns: built in, then ``"table.header" = column``."""
    aliases = dict(COLUMN_ALIASES.get(table, {}))
    for key, column in configured.items():
        name, dot, header = key.partition(".")
        if dot and name.strip().lower() == table:
            aliases[header.strip().lower()] = column.strip().lower()
    return aliases


class Refused(Exception):
    """A file that lands nothing (empty, not UTF-8, a bad header or archive)."""


@contextlib.contextmanager
def landing_text(path: Path) -> Iterator[IO[bytes]]:
    """The CSV text of a landing file (see :func:`benchmarks._landing.landing_text`).

    An archive that cannot be unpacked, or a zip not holding one CSV file, is refused.
    """
    try:
        with opened_text(path) as text:
            yield text
    except BadArchive as exc:
        raise Refused(str(exc)) from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise Refused(f"{path.name} cannot be unpacked ({exc})") from exc


@dataclass(frozen=True)
class Header:
    """A file's header row: the contract columns it has and how its rows are split.

    ``line`` is the physical line it is on (blank lines before it are
    skipped); ``min_fields`` the fewest fields a row needs to hold every
    required column (a row between that and ``width`` fields is padded).
    """

    columns: dict[str, int]  # contract column → position
    width: int
    delimiter: str
    line: int
    min_fields: int


def read_header(text: IO[bytes], table: str, *, aliases: Mapping[str, str]) -> Header:
    """The header of a landing file's text, as bronze reads it; raises Refused.

    Refused: empty, UTF-16 or not UTF-8 (within the probe), a header row no
    delimiter splits (an unbalanced quote), too many or too long names, a
    name twice (after aliases) or a required column missing. The delimiter is
    the one of :data:`DELIMITERS` splitting the row into the most fields.
    """
    columns, required, _ = CONTRACT[table]
    probe = text.read(HEADER_PROBE)
    if probe.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise Refused("UTF-16 text")
    if not probe.removeprefix(codecs.BOM_UTF8).strip():
        raise Refused("empty")
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        decoded = decoder.decode(probe, final=len(probe) < HEADER_PROBE)
    except UnicodeDecodeError as exc:
        raise Refused("not UTF-8") from exc
    number, line = next(
        (n, s) for n, s in enumerate(io.StringIO(decoded, newline=""), 1) if s.strip()
    )
    split = header_fields(line.rstrip("\r\n"))
    if split is None:
        raise Refused("an unbalanced quote in the header")
    delimiter, fields = split
    if len(fields) > MAX_COLUMNS or max(len(f) for f in fields) > MAX_COLUMN_NAME:
        raise Refused("not a header row")
    names = [name.strip().lower() or f"column_{i + 1}" for i, name in enumerate(fields)]
    names = [
        aliases[n] if n not in columns and aliases.get(n) in set(columns) - set(names) else n
        for n in names
    ]
    if len(set(names)) < len(names) or not required <= set(names):
        raise Refused("a required column is missing or a column repeated")
    positions = {name: i for i, name in enumerate(names) if name in columns}
    return Header(
        columns=positions,
        width=len(names),
        delimiter=delimiter,
        line=number,
        min_fields=1 + max(positions[c] for c in required),
    )


def header_fields(line: str) -> tuple[str, list[str]] | None:
    """The delimiter splitting a header row into the most fields (the earlier on a tie)."""
    best: tuple[str, list[str]] | None = None
    for delimiter in DELIMITERS:
        if delimiter != "," and delimiter not in line:
            continue
        try:
            fields = next(csv.reader([line], delimiter=delimiter, strict=True))
        except csv.Error:
            continue
        if best is None or len(fields) > len(best[1]):
            best = (delimiter, fields)
    return best


def read_text(
    path: Path, table: str, *, aliases: Mapping[str, str] | None = None
) -> pd.DataFrame | None:
    """A landing file as text (nothing inferred, ``NA`` stays text), or None if refused.

    Columns are matched case-insensitively after trimming (``aliases``: header
    names standing for a column); a file that is empty, not UTF-8, misses a
    required column or repeats a column is refused whole. A row shorter than
    the header that lacks only optional columns is padded with missing values;
    a row with fewer fields, or more than the header, is dropped alone
    (loyalty_lake lands it as a malformed row that silver rejects,
    MALFORMED_ROW); blank lines are skipped. Not mimicked: a value over
    ``landing.max_field_chars`` lands, and so does a stray quote that swallows
    the following rows into one row of the right width (loyalty_lake rejects
    only its own line).
    """
    columns = CONTRACT[table][0]
    try:
        with landing_text(path) as text:
            header = read_header(text, table, aliases=aliases or {})
            text.seek(0)
            frame = read_rows(text, header, name=path.name)
    except (Refused, UnicodeDecodeError, ValueError) as exc:  # ValueError: not UTF-8 rows
        log.warning("%s refused: %s", path.name, exc)
        return None
    frame = frame.iloc[:, list(header.columns.values())].set_axis(list(header.columns), axis=1)
    for column in columns:
        if column not in frame.columns:
            frame[column] = pd.Series(np.nan, index=frame.index, dtype="str")
    return frame[columns]


def read_rows(text: IO[bytes], header: Header, *, name: str) -> pd.DataFrame:
    """A file's data rows as text (one column per header field), well-formed or padded.

    pyarrow reads the file; a row with the wrong number of fields goes to
    :class:`BadRows`. When some short row may be padded, pyarrow cannot pad
    it: the file is read once more (:func:`with_padded_rows`).
    """
    bad = BadRows(header.width, header.min_fields, header.delimiter)
    try:
        frame = pd.read_csv(
            text,
            sep=header.delimiter,
            skiprows=header.line - 1,
            dtype=str,
            keep_default_na=False,
            engine="pyarrow",
            on_bad_lines=bad,
        )
    except (ValueError, pa.ArrowInvalid) as exc:
        if bad.spanning:
            raise NotImplementedError(
                f"{name}: a row with the wrong number of fields spans lines (an "
                "unbalanced quote?); the pandas peer does not split it as loyalty_lake does."
            ) from exc
        raise
    if bad.malformed:
        log.warning("%s: %d malformed rows dropped", name, bad.malformed)
    if bad.padded:
        text.seek(0)
        frame = with_padded_rows(text, header)
    return frame.set_axis([f"c{i}" for i in range(header.width)], axis=1)


@dataclass
class BadRows:
    """pyarrow's handler of rows with the wrong number of fields: count them, skip them.

    (The ``c`` and ``python`` engines pad every short row, even one that lacks
    a required field.) A row spanning lines is one row to loyalty_lake too,
    unless a line of it is a complete row by itself: then the quote that
    opened it is likely unbalanced, and loyalty_lake splits it into a
    malformed line and the complete rows after it. That is not mimicked: the
    read fails and :func:`read_rows` stops the run rather than drop those rows.
    """

    width: int
    min_fields: int
    delimiter: str = ","
    malformed: int = 0
    padded: int = 0
    spanning: bool = False

    def __call__(self, row: Any) -> str:
        """``"skip"`` (a line of only spaces is blank, not counted), or ``"error"``."""
        lines = io.StringIO(row.text, newline="").readlines()
        if any(self.is_row(line) for line in lines[1:]):
            self.spanning = True
            return "error"
        if row.text.strip():
            if self.min_fields <= row.actual_columns < self.width:
                self.padded += 1
            else:
                self.malformed += 1
        return "skip"

    def is_row(self, line: str) -> bool:
        """Whether ``line`` alone is a row of the header's width."""
        body = line.rstrip("\r\n")
        if not body.strip() or body.count('"') % 2:
            return False
        return len(next(csv.reader([body], delimiter=self.delimiter))) == self.width


def with_padded_rows(text: IO[bytes], header: Header) -> pd.DataFrame:
    """The file's rows read again, a short row lacking only optional fields padded in place.

    pyarrow numbers the rows it hands to the handler when it reads on one
    thread: the header is row ``skip + 1``, so a row's place among the data
    rows is its number minus ``skip + 2``. The good rows fill the other places.
    """
    skip = header.line - 1
    short: dict[int, list[str | None]] = {}
    places: list[int] = []

    def pad(row: Any) -> str:
        place = row.number - skip - 2
        places.append(place)
        if row.text.strip() and header.min_fields <= row.actual_columns < header.width:
            fields = next(csv.reader(io.StringIO(row.text, newline=""), delimiter=header.delimiter))
            short[place] = [*fields, *[None] * (header.width - len(fields))]
        return "skip"

    names = [f"c{i}" for i in range(header.width)]
    table = pa_csv.read_csv(
        text,
        read_options=pa_csv.ReadOptions(use_threads=False, skip_rows=skip + 1, column_names=names),
        parse_options=pa_csv.ParseOptions(
            delimiter=header.delimiter, newlines_in_values=True, invalid_row_handler=pad
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    good = table.to_pandas().astype("str")
    good.index = np.setdiff1d(np.arange(len(good) + len(places)), places)
    padded = pd.DataFrame.from_dict(short, orient="index", columns=names, dtype="str")
    return pd.concat([good, padded]).sort_index().reset_index(drop=True)


def empty(table: str) -> pd.DataFrame:
    """A text frame of ``table`` without rows (for a file the batch does not have)."""
    return pd.DataFrame({c: pd.Series(dtype="str") for c in CONTRACT[table][0]}).assign(
        **{FILE: pd.Series(dtype="int64")}
    )


# --- parsing text into values (what is not certain → missing) ------------------------------------

#: Unicode White_Space, as a regular expression class's items (what loyalty_lake trims).
WHITESPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
#: A currency mark: a symbol, or a three-letter code (``INR``) standing alone.
MARK = r"[$€£¥₹]|\b[A-Z]{3}\b"
NAIVE_DATETIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
AWARE_DATETIME = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
    r"(Z|[+-][0-9]{2}:?[0-9]{2})"
)
#: ``2024/05/27``, with a time.
YEAR_FIRST = (
    r"^(?P<year>[0-9]{4})/(?P<month>[0-9]{1,2})/(?P<day>[0-9]{1,2})"
    r"(?:[ T](?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?)?$"
)
#: ``27/05/2024`` or ``05/27/2024``, with a time (on a 12-hour clock).
DAY_MONTH = (
    r"^(?P<first>[0-9]{1,2})[/.-](?P<second>[0-9]{1,2})[/.-](?P<year>[0-9]{4})"
    r"(?:[ T](?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<seconds>[0-9]{2}))?"
    rf"[{WHITESPACE}]*(?P<meridiem>[AaPp][Mm])?)?$"
)
DAY_FIRST, MONTH_FIRST = "day-first", "month-first"


def arrow(text: pd.Series) -> pa.Array:
    """A text column as an Arrow array (for pyarrow's string kernels)."""
    return pa.array(text, type=pa.large_string())


def extract(text: pd.Series, pattern: str) -> pd.DataFrame:
    """The named groups of ``pattern`` in each text, as text columns (missing: no match).

    pyarrow's ``extract_regex`` (pandas' ``str.extract`` runs Python's ``re``
    value by value on Arrow strings). It gives an optional group that did not
    match as ``""``: missing here (no group of these patterns matches nothing).
    """
    found = pc.extract_regex(arrow(text), pattern)
    groups = {}
    for name in re.compile(pattern).groupindex:
        group = pd.Series(pc.struct_field(found, name), index=text.index, dtype="str")
        groups[name] = group.mask(group == "")
    return pd.DataFrame(groups, index=text.index)


def texts(raw: pd.DataFrame, table: str, settings: Settings) -> pd.DataFrame:
    """Every column's text trimmed of surrounding whitespace; empty text and null tokens missing.

    The null tokens are ``dq.null_tokens`` and the column's ``dq.null_values``.
    """
    frame = {}
    for column in raw.columns.drop(FILE):
        value = raw[column].str.strip()
        tokens = [*settings.null_tokens, *settings.null_values.get(f"{table}.{column}", ())]
        frame[column] = value.mask((value == "") | value.isin(tokens))
    return pd.DataFrame(frame).assign(**{FILE: raw[FILE]})


def scaled_decimal(text: pd.Series, *, digits: int, places: int) -> pd.Series:
    """An exact decimal (at most ``digits``.``places`` digits) as an integer of 10⁻ᵖˡᵃᶜᵉˢ units.

    ``12.5`` with 2 places is 1250. Anything else (``1,5``, ``1e3``, ``12.345``)
    is missing (Int64 NA). Never goes through binary floating point.
    """
    pattern = rf"[+-]?[0-9]{{1,{digits}}}(?:\.[0-9]{{1,{places}}})?"
    valid = text.where(text.str.fullmatch(pattern))
    dot = valid.str.find(".")
    decimals = np.where(dot >= 0, valid.str.len() - dot - 1, 0).astype("int64")
    units = valid.str.replace(".", "", regex=False).str.lstrip("+")
    return units.astype("int64[pyarrow]").astype("Int64") * 10 ** (places - decimals)


def whole_numbers(text: pd.Series, *, sign: str = "[+-]?") -> pd.Series:
    """``text`` with integral floats (``3.0``, ``15.00``) written as the integers they are."""
    dotted = text.str.contains(".", regex=False)
    if not dotted.any():
        return text
    floats = text[dotted].str.fullmatch(rf"{sign}[0-9]{{1,19}}\.0+")
    return text.mask(dotted & floats, text[dotted].str.replace(r"\.0+$", "", regex=True))


def integer(text: pd.Series) -> pd.Series:
    """A whole number that fits 64 bits (``3``, ``-2``, ``+7``, ``03``, ``3.0``; not ``2.5``)."""
    text = whole_numbers(text)
    valid = text.where(text.str.fullmatch(r"[+-]?[0-9]{1,19}")).str.lstrip("+")
    long = valid.str.lstrip("-").str.len() >= 19  # may not fit 64 bits: judged one by one
    if long.any():
        fits = valid[long].map(lambda v: -(2**63) <= int(v) < 2**63)
        valid = valid.mask(long & ~fits.reindex(valid.index, fill_value=True))
    return valid.astype("int64[pyarrow]").astype("Int64")


def ident(text: pd.Series, rewrites: tuple[IdRewrite, ...] = ()) -> pd.Series:
    """An id: its text, an integral float (``15.0``, as pandas writes ids) as ``15``.

    Then the column's ``dq.id_rewrites``, the first that matches: a pattern
    matching the whole id (``$1`` in its replacement is the first group), or
    a mapping of ids.
    """
    value = whole_numbers(text, sign="")
    result, done = value.copy(), pd.Series(False, index=value.index)
    for rewrite in rewrites:
        if rewrite.pattern is not None:
            whole = f"^(?:{rewrite.pattern})$"
            hit = ~done & value.str.fullmatch(f"(?:{rewrite.pattern})")
            new = value[hit].str.replace(whole, backreferences(rewrite.replace), regex=True)
        else:
            hit = ~done & value.isin(list(rewrite.mapping))
            new = value[hit].map(rewrite.mapping)
        result = result.mask(hit, new)
        done |= hit
    return result


def backreferences(replace: str) -> str:
    """A replacement as loyalty_lake writes it (``$1``, ``${1}``, ``$$``), as Python's."""

    def group(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        number = match.group(1) or match.group(2)
        if not number.isdigit():
            raise NotImplementedError(f"named groups in id rewrites ({replace!r})")
        return rf"\g<{number}>"

    return re.sub(r"\$\$|\$\{(\w+)\}|\$(\w+)", group, replace.replace("\\", "\\\\"))


def money(text: pd.Series, files: pd.Series, *, decimal_comma: bool = False) -> pd.Series:
    """Money as integer cents: ``12.5``, and what an export writes beside it, exactly.

    A currency mark before or after (``$1,234.50``, ``INR 3,753.01``, ``-INR 5``),
    thousands strictly grouped in threes, a decimal comma when configured
    (``1.234,50``; then ``12.50`` is no number). A file whose column mixes
    currencies reads only plain numbers. Anything else (``12,34``, ``12.345``)
    is missing.
    """
    # The contract's form; with a decimal comma, 12.50 is no number: only whole ones are.
    canonical = text.where(~text.str.contains(".", regex=False)) if decimal_comma else text
    cents = scaled_decimal(canonical, digits=16, places=2)
    odd = text.notna() & cents.isna()
    if not odd.any():
        return cents
    value = text[odd]
    # pyarrow's kernels for the marks (pandas would run Python's re on \b value by value)
    marks = pd.Series(pc.count_substring_regex(arrow(value), MARK), index=value.index)
    mark = extract(value, f"(?P<mark>{MARK})")["mark"]
    one_mark = marks <= 1
    if (~one_mark).any():  # several marks: are they one currency? (a rare sight)
        one_mark[~one_mark] = [len(set(re.findall(MARK, v))) == 1 for v in value[~one_mark]]
    mixed = mark.groupby(files[odd]).transform("nunique") > 1
    unmarked = pc.replace_substring_regex(arrow(value), MARK, "")
    body = pd.Series(unmarked, index=value.index, dtype="str").str.replace(
        f"[{WHITESPACE}]", "", regex=True
    )
    sign = pd.Series(np.where(body.str.contains("-", regex=False), "-", ""), index=body.index)
    digits = body.str.replace("[+-]", "", regex=True)
    if decimal_comma:
        grouped = digits.str.fullmatch(r"[0-9]{1,3}(\.[0-9]{3})+(,[0-9]{1,2})?")
        plain = digits.str.fullmatch(r"[0-9]{1,16}(,[0-9]{1,2})?")
        canonical = digits.str.replace(".", "", regex=False).str.replace(",", ".", n=1)
    else:
        grouped = digits.str.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,2})?")
        plain = digits.str.fullmatch(r"[0-9]{1,16}(\.[0-9]{1,2})?")
        canonical = digits.str.replace(",", "", regex=False)
    readable = (body.str.count("[+-]") <= 1) & one_mark & ~mixed & (grouped | plain)
    cents[odd] = scaled_decimal((sign + canonical).where(readable), digits=16, places=2)
    return cents


def calendar_date(text: pd.Series, files: pd.Series, *, setting: str | None = None) -> pd.Series:
    """A calendar date: ISO ``YYYY-MM-DD``, and what is certain beside it.

    A date-time (its date as written), ``2024/05/27``, and ``27/05/2024`` or
    ``05/27/2024`` in the order the column proves in its file
    (:func:`day_month_order`). ``setting`` is the column's ``dq.dates``: an
    order, or a strftime format, which then alone reads the column.
    """
    if setting and setting not in (DAY_FIRST, MONTH_FIRST):
        return pd.to_datetime(text, format=setting, errors="coerce").dt.normalize()
    dates = iso_date(text)
    odd = text.notna() & dates.isna()
    if not odd.any():
        return dates
    value = text[odd]
    iso_like = value.str.fullmatch(AWARE_DATETIME) | (
        value.str.fullmatch(NAIVE_DATETIME) & ~value.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
    )
    ymd = extract(value, YEAR_FIRST)
    year_first = ymd["year"] + "-" + ymd["month"].str.zfill(2) + "-" + ymd["day"].str.zfill(2)
    day_month = day_month_parts(value, files[odd], setting=setting)
    dates[odd] = iso_date(
        value.str.slice(0, 10).where(iso_like).fillna(year_first).fillna(day_month["date"])
    )
    return dates


def instant(
    text: pd.Series, files: pd.Series, *, timezone: str, setting: str | None = None
) -> pd.Series:
    """An ISO 8601 date or date-time as a UTC instant, and what is certain beside it.

    Naive values are in ``timezone``: ISO ones, ``2024/05/27 10:00``, and
    ``13/12/2025 12:15:50 PM`` in the order the column proves (or by the
    ``setting``'s strftime format).
    """
    moments = iso_instant(text, timezone=timezone)
    odd = text.notna() & moments.isna()
    if not odd.any():
        return moments
    value = text[odd]
    ymd = extract(value, YEAR_FIRST)
    year_first = wall_clock(
        ymd["year"] + "-" + ymd["month"].str.zfill(2) + "-" + ymd["day"].str.zfill(2),
        hour=ymd["hour"].astype("Int64"),
        minute=ymd["minute"].astype("Int64"),
        second=ymd["second"].astype("Int64"),
    )
    if setting and setting not in (DAY_FIRST, MONTH_FIRST):
        other = pd.to_datetime(value, format=setting, errors="coerce")
    else:
        parts = day_month_parts(value, files[odd], setting=setting)
        other = wall_clock(
            parts["date"], hour=parts["hour"], minute=parts["minute"], second=parts["second"]
        )
    local = year_first.fillna(other)
    moments[odd] = local.dt.tz_localize(
        timezone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="NaT"
    ).dt.tz_convert("UTC")
    return moments


def wall_clock(
    date: pd.Series, *, hour: pd.Series, minute: pd.Series, second: pd.Series
) -> pd.Series:
    """A naive date-time from an ISO date's text and clock parts (missing parts are 0).

    Hours to 23, minutes to 59, seconds to 60 (a leap second is the first
    second of the next minute, as loyalty_lake's parser reads it).
    """
    hour, minute, second = (part.fillna(0) for part in (hour, minute, second))
    valid = (hour <= 23) & (minute <= 59) & (second <= 60)
    day = iso_date(date.where(valid.fillna(False)))
    clock = pd.to_timedelta((hour * 3600 + minute * 60 + second).astype("float64"), unit="s")
    return (day + clock).astype("datetime64[us]")


def day_month_parts(value: pd.Series, files: pd.Series, *, setting: str | None) -> pd.DataFrame:
    """``27/05/2024 1:15 PM`` (day and month in either order) as an ISO date's text and a clock.

    The order is the column's ``setting``, else what its values in the file
    prove (:func:`day_month_order`); a value that reads one way only (a day
    above 12, or day and month equal) needs no proof. An hour with AM/PM is
    1 to 12. Columns: ``date`` (missing when not certain), ``hour``,
    ``minute``, ``second``.
    """
    parts = extract(value, DAY_MONTH)
    first, second = parts["first"].astype("Int64"), parts["second"].astype("Int64")
    if setting in (DAY_FIRST, MONTH_FIRST):
        decided = pd.Series(True, index=value.index)
        order_day_first = pd.Series(setting == DAY_FIRST, index=value.index)
    else:
        day_first, month_first = day_month_order(first, second, files)
        decided = day_first != month_first
        order_day_first = day_first & ~month_first
    certain = decided | (first == second) | (first > 12) | (second > 12)
    day_is_first = order_day_first.where(decided, first > 12) | (first == second)
    day, month = first.where(day_is_first, second), second.where(day_is_first, first)
    date = (
        parts["year"]
        + "-"
        + month.astype("str").str.zfill(2)
        + "-"
        + day.astype("str").str.zfill(2)
    )
    written = parts["hour"].astype("Int64")
    meridiem = parts["meridiem"].str.upper()
    hour = written.mask(meridiem == "AM", written % 12).mask(meridiem == "PM", written % 12 + 12)
    hour = hour.mask(meridiem.notna() & ((written < 1) | (written > 12)), 99)  # not a time
    return pd.DataFrame(
        {
            "date": date.where(true(certain)).astype("str"),
            "hour": hour,
            "minute": parts["minute"].astype("Int64"),
            "second": parts["seconds"].astype("Int64"),
        }
    )


def day_month_order(
    first: pd.Series, second: pd.Series, files: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Per value, what its file's column proves: day-first (a first part above 12) and
    month-first (a second part above 12). The order is decided when exactly one holds."""
    proof = pd.DataFrame({"day_first": true(first > 12), "month_first": true(second > 12)})
    by_file = proof.groupby(files.to_numpy()).transform("any")
    return by_file["day_first"], by_file["month_first"]


def iso_date(text: pd.Series) -> pd.Series:
    """An ISO ``YYYY-MM-DD`` calendar date (``2026-02-30`` is not one)."""
    valid = text.where(text.str.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"))
    dates = pd.to_datetime(valid, format="%Y-%m-%d", errors="coerce")
    retry = valid.notna() & dates.isna()
    if retry.any():  # pandas has no year 0 (ISO's 1 BC); numpy has: judge the few one by one
        dates[retry] = [numpy_date(value) for value in valid[retry]]
    return dates


def numpy_date(value: str) -> np.datetime64:
    """A date numpy knows (year 0 included), or NaT."""
    try:
        return np.datetime64(value, "D")
    except ValueError:
        return np.datetime64("NaT")


def iso_instant(text: pd.Series, *, timezone: str) -> pd.Series:
    """An ISO 8601 date or date-time as a UTC instant; naive values are in ``timezone``."""
    naive = text.str.fullmatch(NAIVE_DATETIME)
    aware = text.str.fullmatch(AWARE_DATETIME)
    stamp = text.str.replace(" ", "T", n=1)
    leap = stamp.str.contains(r"T[0-9]{2}:[0-9]{2}:60", regex=True)
    if leap.any():  # a leap second (:60) is the first second of the next minute
        stamp = stamp.mask(leap, stamp[leap].str.slice_replace(17, 19, "59"))
    local = pd.to_datetime(stamp.where(naive), format="ISO8601", errors="coerce")
    moments = local.dt.tz_localize(
        timezone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="NaT"
    ).dt.tz_convert("UTC")
    if aware.any():
        offset = stamp.where(aware).str.replace("Z", "+00:00")
        at_offset = pd.to_datetime(offset, format="ISO8601", utc=True, errors="coerce")
        moments = moments.fillna(at_offset.astype(moments.dtype))
    if leap.any():
        moments += pd.to_timedelta(leap.astype("int64"), unit="s")
    return moments


def category(text: pd.Series) -> pd.Series:
    """A category, or ``ALL`` (any letter case, or empty)."""
    return text.mask(text.isna() | (text.str.upper() == "ALL"), "ALL")


def weekdays(text: pd.Series) -> pd.Series:
    """Days of the week such as ``SAT|SUN`` (upper-cased, blanks dropped); missing if unknown."""
    days = text.str.upper().str.replace(f"[{WHITESPACE}]", "", regex=True)
    day = "(?:" + "|".join(WEEKDAYS) + ")"
    return days.where(days.str.fullmatch(rf"{day}(?:\|{day})*"))


def unparsed(text: pd.Series, parsed: pd.Series) -> pd.Series:
    """True where there is text that did not parse."""
    return text.notna() & parsed.isna()


def missing(texts: pd.DataFrame, columns: list[str]) -> pd.Series:
    """True where any of the required ``columns`` is empty."""
    return texts[columns].isna().any(axis=1)


def duplicated(*keys: pd.Series) -> pd.Series:
    """True for every row but the first of equal complete keys (file order decides)."""
    frame = pd.concat(keys, axis=1)
    return frame.notna().all(axis=1) & frame.duplicated(keep="first")


def encoded(*columns: pd.Series) -> list[np.ndarray]:
    """The columns' text as integer codes, equal across columns (missing: -1).

    ``pd.factorize`` encodes Arrow strings in Arrow; pandas' ``isin``, joins
    and index lookups on them go through Python objects, slow and memory
    hungry for millions of values, so ids are compared as codes.
    """
    codes, _ = pd.factorize(pd.concat([c.astype("str") for c in columns], ignore_index=True))
    return np.split(codes, np.cumsum([len(c) for c in columns])[:-1])


def known(values: pd.Series, keys: pd.Series) -> pd.Series:
    """True where the value is one of ``keys`` (a missing value never is)."""
    mine, theirs = encoded(values, keys)
    return pd.Series((mine >= 0) & np.isin(mine, theirs), index=values.index)


def true(condition: pd.Series) -> pd.Series:
    """A condition with missing values (a comparison with NA) taken as false."""
    return condition.fillna(False).astype(bool)


# --- silver: which rows are clean ----------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the data quality rules need, fixed for one run."""

    timezone: str
    latest: pd.Timestamp  # the latest plausible event instant (now + tolerance, UTC)
    earliest: pd.Timestamp
    total_mismatch_rejects: bool
    unknown_promotion_rejects: bool
    #: A header's total may differ from its lines' sum by this many cents (exactly).
    total_tolerance_cents: Fraction = Fraction(1)
    #: A reference to a master without any clean row rejects (else it is accepted, unchecked).
    unverified_rejects: bool = False
    null_tokens: tuple[str, ...] = ()
    null_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dates: Mapping[str, str] = field(default_factory=dict)
    decimal_comma: tuple[str, ...] = ()
    id_rewrites: tuple[IdRewrite, ...] = ()

    @classmethod
    def from_config(cls, config: Config, *, now: datetime) -> Settings:
        """The settings ``config`` asks for, at ``now``."""
        severity = {str(reason): str(level) for reason, level in config.dq.severity.items()}
        if severity.get("OUTLIER", "warn") != "warn":
            raise NotImplementedError("the pandas peer implements OUTLIER as a warning only")
        latest = (now + timedelta(days=config.dq.future_tolerance_days)).astimezone(UTC)
        dq = config.dq
        return cls(
            timezone=config.timezone,
            latest=pd.Timestamp(latest),
            earliest=pd.Timestamp(dq.earliest_date),
            total_mismatch_rejects=severity.get("TOTAL_MISMATCH", "reject") == "reject",
            unknown_promotion_rejects=severity.get("UNKNOWN_PROMOTION", "reject") == "reject",
            total_tolerance_cents=Fraction(dq.total_tolerance) * 100,
            unverified_rejects=dq.unverified_references == "reject",
            null_tokens=tuple(dq.null_tokens),
            null_values=dict(dq.null_values),
            dates=dict(dq.dates),
            decimal_comma=tuple(dq.decimal_comma),
            id_rewrites=tuple(dq.id_rewrites),
        )

    @property
    def latest_date(self) -> pd.Timestamp:
        """The latest plausible event date (UTC)."""
        return self.latest.tz_localize(None).normalize()

    def reader(self, table: str, t: pd.DataFrame) -> Reader:
        """How ``table``'s columns (its text ``t``) are read under these settings."""
        return Reader(table, t, self)


@dataclass(frozen=True)
class Reader:
    """One table's text columns read as values, under the run's settings (keys ``table.column``)."""

    table: str
    t: pd.DataFrame
    settings: Settings

    def ident(self, column: str) -> pd.Series:
        """An id (:func:`ident`) with the column's ``dq.id_rewrites``."""
        key = f"{self.table}.{column}"
        rewrites = tuple(r for r in self.settings.id_rewrites if key in r.columns)
        return ident(self.t[column], rewrites)

    def money(self, column: str) -> pd.Series:
        """Money in cents (:func:`money`), with a decimal comma if the table or column has one."""
        comma = self._decimal_comma(column)
        return money(self.t[column], self.t[FILE], decimal_comma=comma)

    def rate(self, column: str) -> pd.Series:
        """A rate ×10⁴ (at most 4 places); with a decimal comma ``1,5`` (and ``1.5`` no number)."""
        text = self.t[column]
        if self._decimal_comma(column):
            commas = text.str.fullmatch(r"[+-]?[0-9]{1,14},[0-9]{1,4}")
            whole = text.str.fullmatch(r"[+-]?[0-9]{1,14}")
            text = text.str.replace(",", ".", regex=False).where(commas | whole)
        return scaled_decimal(text, digits=14, places=4)

    def _decimal_comma(self, column: str) -> bool:
        """Whether ``dq.decimal_comma`` names the column or its table."""
        names = set(self.settings.decimal_comma)
        return self.table in names or f"{self.table}.{column}" in names

    def date(self, column: str) -> pd.Series:
        """A calendar date (:func:`calendar_date`) read as the column's ``dq.dates`` says."""
        setting = self.settings.dates.get(f"{self.table}.{column}")
        return calendar_date(self.t[column], self.t[FILE], setting=setting)

    def instant(self, column: str) -> pd.Series:
        """A UTC instant (:func:`instant`); naive values are in the configured zone."""
        setting = self.settings.dates.get(f"{self.table}.{column}")
        return instant(
            self.t[column], self.t[FILE], timezone=self.settings.timezone, setting=setting
        )

    def references(self, values: pd.Series, keys: pd.Series) -> pd.Series:
        """Whether each reference (an id as read) may stand: missing, or a key of the master.

        While the master has no clean row at all (its file never landed), a
        reference cannot be checked and is accepted (loyalty_lake warns,
        UNVERIFIED_*), unless ``dq.unverified_references = "reject"``.
        """
        if keys.empty and not self.settings.unverified_rejects:
            return pd.Series(True, index=values.index)
        return values.isna() | known(values, keys)


@dataclass(frozen=True)
class Silver:
    """The clean rows the customer results need."""

    customers: pd.Series  # customer_id
    products: pd.DataFrame  # product_id, product_category
    promotions: pd.DataFrame  # promotion_id, start_date, end_date, promotion_category, ...
    rules: pd.DataFrame  # accepted loyalty rules (may be empty)
    header: pd.DataFrame  # clean sales headers, indexed by tx (a code of transaction_id)
    lines: pd.DataFrame  # clean sales lines, with their header's tx
    redemptions: pd.DataFrame  # clean redemptions


def clean_stores(t: pd.DataFrame, settings: Settings) -> pd.Series:
    """Store ids of the accepted stores (``t``: the text of the file, see :func:`texts`)."""
    read = settings.reader("stores", t)
    store_id = read.ident("store_id")
    opening = read.date("opening_date")
    bad = missing(t, ["store_id"]) | unparsed(t["opening_date"], opening) | duplicated(store_id)
    return store_id[~bad]


def clean_products(t: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per accepted product: product_id, product_category."""
    read = settings.reader("products", t)
    product_id = read.ident("product_id")
    price = read.money("unit_price")
    stock = integer(t["current_stock_level"])
    bad = (
        missing(t, ["product_id", "product_category", "unit_price"])
        | unparsed(t["unit_price"], price)
        | unparsed(t["current_stock_level"], stock)
        | true(price <= 0)
        | true(stock < 0)
        | duplicated(product_id)
    )
    products = pd.DataFrame({"product_id": product_id, "product_category": t["product_category"]})
    return products[~bad]


def clean_customers(t: pd.DataFrame, settings: Settings) -> pd.Series:
    """Customer ids of the accepted customers (email and phone checks only warn)."""
    read = settings.reader("customers", t)
    customer_id = read.ident("customer_id")
    enrolled = read.date("enrollment_date")
    bad = (
        missing(t, ["customer_id"])
        | unparsed(t["enrollment_date"], enrolled)
        | (enrolled > settings.latest_date)
        | duplicated(customer_id)
    )
    return customer_id[~bad]


def clean_promotions(t: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per accepted promotion: window, category and points multiplier (×10⁴)."""
    read = settings.reader("promotions", t)
    promotions = pd.DataFrame(
        {
            "promotion_id": read.ident("promotion_id"),
            "start_date": read.date("start_date"),
            "end_date": read.date("end_date"),
            "promotion_category": category(t["applicable_category"]),
            "multiplier_e4": read.rate("points_multiplier").mask(
                t["points_multiplier"].isna(), 10_000
            ),
        }
    )
    discount = read.rate("discount_percentage")
    p = promotions
    bad = (
        missing(t, ["promotion_id", "start_date", "end_date"])
        | unparsed(t["start_date"], p["start_date"])
        | unparsed(t["end_date"], p["end_date"])
        | unparsed(t["discount_percentage"], discount)
        | unparsed(t["points_multiplier"], p["multiplier_e4"])
        | true((discount < 0) | (discount > 100 * 10_000))
        | true(p["multiplier_e4"] < 0)
        | (p["end_date"] < p["start_date"])
        | (p["start_date"] < settings.earliest)
        | duplicated(p["promotion_id"])
    )
    return promotions[~bad]


def clean_loyalty_rules(t: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """One row per accepted loyalty rule (rates ×10⁴, money in cents)."""
    read = settings.reader("loyalty_rules", t)
    rules = pd.DataFrame(
        {
            "rule_id": read.ident("rule_id"),
            "rate_e4": read.rate("points_per_unit_spend"),
            "min_spend_cents": read.money("min_spend_threshold").mask(
                t["min_spend_threshold"].isna(), 0
            ),
            "bonus_points": integer(t["bonus_points"]).mask(t["bonus_points"].isna(), 0),
            "category": category(t["applicable_category"]),
            "valid_from": read.date("valid_from"),
            "valid_to": read.date("valid_to"),
            "days_of_week": weekdays(t["days_of_week"]),
        }
    )
    r = rules
    bad = (
        missing(t, ["rule_id", "points_per_unit_spend"])
        | unparsed(t["points_per_unit_spend"], r["rate_e4"])
        | unparsed(t["min_spend_threshold"], r["min_spend_cents"])
        | unparsed(t["bonus_points"], r["bonus_points"])
        | unparsed(t["valid_from"], r["valid_from"])
        | unparsed(t["valid_to"], r["valid_to"])
        | unparsed(t["days_of_week"], r["days_of_week"])
        | true((r["rate_e4"] < 0) | (r["min_spend_cents"] < 0) | (r["bonus_points"] < 0))
        | (r["valid_to"] < r["valid_from"])
        | duplicated(r["rule_id"])
    )
    return rules[~bad]


def checked_header(
    t: pd.DataFrame, *, stores: pd.Series, customers: pd.Series, settings: Settings
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Typed sales headers, whether each breaks a rule of its own, and whether it is a duplicate.

    (The rules that need the lines come later.)
    """
    read = settings.reader("sales_header", t)
    moment = read.instant("transaction_date")
    kind = t["transaction_type"].str.upper().fillna("SALE")
    header = pd.DataFrame(
        {
            "transaction_id": read.ident("transaction_id"),
            "customer_id": read.ident("customer_id"),
            "transaction_at": moment,
            "transaction_date": moment.dt.tz_convert(settings.timezone)
            .dt.tz_localize(None)
            .dt.normalize(),
            "total_cents": read.money("total_amount"),
            "transaction_type": kind.where(kind.isin(["SALE", "RETURN"])).astype("category"),
            "original_transaction_id": read.ident("original_transaction_id"),
        }
    )
    dup = duplicated(header["transaction_id"])
    bad = (
        missing(t, ["transaction_id", "store_id", "transaction_date", "total_amount"])
        | unparsed(t["total_amount"], header["total_cents"])
        | unparsed(t["transaction_type"], header["transaction_type"])
        | unparsed(t["transaction_date"], header["transaction_at"])
        | true(header["total_cents"] <= 0)
        | (header["transaction_at"] > settings.latest)
        | (header["transaction_date"] < settings.earliest)
        | ~read.references(read.ident("store_id"), stores)
        | ~read.references(header["customer_id"], customers)
        | dup
    )
    return header, bad, dup


def checked_lines(
    t: pd.DataFrame, *, products: pd.DataFrame, promotions: pd.DataFrame, settings: Settings
) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Typed sales lines, whether each breaks a rule of its own, and whether it is a duplicate."""
    read = settings.reader("sales_lines", t)
    quantity = integer(t["quantity"])
    lines = pd.DataFrame(
        {
            "transaction_id": read.ident("transaction_id"),
            "product_id": read.ident("product_id"),
            "promotion_id": read.ident("promotion_id"),
            "amount_cents": read.money("line_item_amount"),
        }
    )
    dup = duplicated(lines["transaction_id"], read.ident("line_item_id"))
    bad = (
        missing(t, ["line_item_id", "transaction_id", "product_id", "quantity", "line_item_amount"])
        | unparsed(t["quantity"], quantity)
        | unparsed(t["line_item_amount"], lines["amount_cents"])
        | true(quantity <= 0)
        | true(lines["amount_cents"] <= 0)
        | ~read.references(lines["product_id"], products["product_id"])
        | (
            ~read.references(lines["promotion_id"], promotions["promotion_id"])
            & settings.unknown_promotion_rejects
        )
        | dup
    )
    return lines, bad, dup


def clean_sales(
    header_text: pd.DataFrame,
    lines_text: pd.DataFrame,
    *,
    stores: pd.Series,
    customers: pd.Series,
    products: pd.DataFrame,
    promotions: pd.DataFrame,
    settings: Settings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean sales headers and lines: a transaction is all or nothing.

    A header is clean when its own rules pass (types, required values, a
    positive total, plausible dates, known store and customer, first of its
    id), it has lines (MISSING_LINES) and its total is their sum (within
    ``dq.total_tolerance``), a RETURN names a clean SALE, and no line of it is
    rejected; a line is clean when its own rules pass (types, positive
    quantity and amount, known product and promotion, first of its key) and
    its header is clean.
    """
    header, header_bad, header_dup = checked_header(
        header_text, stores=stores, customers=customers, settings=settings
    )
    lines, line_bad, line_dup = checked_lines(
        lines_text, products=products, promotions=promotions, settings=settings
    )

    # Transactions are compared by integer codes of their ids from here on.
    header["tx"], header["original_tx"], lines["tx"] = encoded(
        header["transaction_id"], header["original_transaction_id"], lines["transaction_id"]
    )

    # Per transaction: its (non-duplicate) lines, whether one is rejected, and their sum.
    counted = ~line_dup & (lines["tx"] >= 0)
    per_transaction = (
        pd.DataFrame(
            {
                "lines_rejected": line_bad,
                "lines_cents": lines["amount_cents"],
                "lines": 1,
            }
        )[counted]
        .groupby(lines.loc[counted, "tx"])
        .agg({"lines_rejected": "any", "lines_cents": "sum", "lines": "sum"})
    )
    totals = header[["tx", "total_cents"]].join(per_transaction, on="tx")
    lines_rejected = true(totals["lines_rejected"])
    has_lines = totals["lines"].notna()
    judged = ~header_dup & (header["tx"] >= 0)
    header_bad |= judged & ~has_lines  # MISSING_LINES
    difference = (totals["total_cents"] - totals["lines_cents"]).abs()
    # TOTAL_MISMATCH (exact: cents above the tolerance in cents)
    mismatch = true(difference > math.floor(settings.total_tolerance_cents))
    header_bad |= judged & has_lines & ~lines_rejected & mismatch & settings.total_mismatch_rejects

    is_sale = header["transaction_type"] == "SALE"
    sold = header.loc[~header_dup & ~header_bad & ~lines_rejected & is_sale, "tx"]
    is_return = header["transaction_type"] == "RETURN"
    header_bad |= is_return & ~header_dup & ~header["original_tx"].isin(sold)

    clean_header = header[~header_bad & ~lines_rejected].set_index("tx")
    clean_lines = lines.loc[
        ~line_bad & lines["tx"].isin(clean_header.index),
        ["tx", "product_id", "promotion_id", "amount_cents"],
    ]
    return clean_header, clean_lines.astype(
        {"product_id": "category", "promotion_id": "category", "amount_cents": "int64"}
    )


def clean_redemptions(
    t: pd.DataFrame, *, stores: pd.Series, customers: pd.Series, settings: Settings
) -> pd.DataFrame:
    """Clean redemptions (whether the points were there is decided with the points)."""
    read = settings.reader("redemptions", t)
    redemptions = pd.DataFrame(
        {
            "redemption_id": read.ident("redemption_id"),
            "customer_id": read.ident("customer_id"),
            "redemption_date": read.date("redemption_date"),
            "points": integer(t["points_redeemed"]),
        }
    )
    r = redemptions
    bad = (
        missing(t, ["redemption_id", "customer_id", "redemption_date", "points_redeemed"])
        | unparsed(t["redemption_date"], r["redemption_date"])
        | unparsed(t["points_redeemed"], r["points"])
        | true(r["points"] <= 0)
        | (r["redemption_date"] > settings.latest_date)
        | (r["redemption_date"] < settings.earliest)
        | ~read.references(r["customer_id"], customers)
        | ~read.references(read.ident("store_id"), stores)
        | duplicated(r["redemption_id"])
    )
    return redemptions[~bad].astype({"points": "int64"})


def silver(raw: dict[str, pd.DataFrame], settings: Settings) -> Silver:
    """The clean rows of a batch: masters first, then the facts checked against them.

    The text frames are taken out of ``raw`` as they are cleaned (at tens of
    millions of lines, holding the text twice would not fit in memory).
    """

    def text(name: str) -> pd.DataFrame:
        return texts(raw.pop(name) if name in raw else empty(name), name, settings)

    stores = clean_stores(text("stores"), settings)
    customers = clean_customers(text("customers"), settings)
    products = clean_products(text("products"), settings)
    promotions = clean_promotions(text("promotions"), settings)
    rules = clean_loyalty_rules(text("loyalty_rules"), settings)
    redemptions = clean_redemptions(
        text("redemptions"), stores=stores, customers=customers, settings=settings
    )
    header, lines = clean_sales(
        text("sales_header"),
        text("sales_lines"),
        stores=stores,
        customers=customers,
        products=products,
        promotions=promotions,
        settings=settings,
    )
    return Silver(
        customers=customers,
        products=products,
        promotions=promotions,
        rules=rules,
        header=header,
        lines=lines,
        redemptions=redemptions,
    )


# --- gold: points -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """An earning rule, exact: rate ×10⁴, threshold in cents."""

    rule_id: str
    rate_e4: int
    min_spend_cents: int
    bonus_points: int
    category: str
    valid_from: pd.Timestamp | None
    valid_to: pd.Timestamp | None
    days_of_week: str | None

    @property
    def specific(self) -> bool:
        """Whether the rule is for one category (it beats an ``ALL`` rule)."""
        return self.category.upper() != "ALL"

    def admits(self, day: pd.Series, spend_cents: pd.Series) -> pd.Series:
        """Whether the rule's window, weekdays and threshold admit each transaction."""
        valid = spend_cents >= self.min_spend_cents
        if self.valid_from is not None:
            valid &= day >= self.valid_from
        if self.valid_to is not None:
            valid &= day <= self.valid_to
        if self.days_of_week:
            valid &= day.dt.day_of_week.isin(
                [WEEKDAYS.index(d) for d in self.days_of_week.split("|")]
            )
        return valid

    def covers(self, category_lower: pd.Series) -> pd.Series:
        """Whether the rule applies to each line's (lower-cased) category."""
        if not self.specific:
            return pd.Series(True, index=category_lower.index)
        return category_lower == self.category.lower()


def ranked_rules(landed: pd.DataFrame, config: Config) -> list[Rule]:
    """The rules in priority order (category rules first, then highest rate, then rule_id).

    The landed rules, or the configuration's when none was accepted.
    """
    if len(landed):
        rules = [
            Rule(
                rule_id=r.rule_id,
                rate_e4=int(r.rate_e4),
                min_spend_cents=int(r.min_spend_cents),
                bonus_points=int(r.bonus_points),
                category=r.category,
                valid_from=None if pd.isna(r.valid_from) else r.valid_from,
                valid_to=None if pd.isna(r.valid_to) else r.valid_to,
                days_of_week=None if pd.isna(r.days_of_week) else r.days_of_week,
            )
            for r in landed.itertuples(index=False)
        ]
    else:
        rules = [
            Rule(
                rule_id=r.rule_id,
                rate_e4=int(r.points_per_unit_spend * 10_000),
                min_spend_cents=int(r.min_spend_threshold * 100),
                bonus_points=r.bonus_points,
                category="ALL" if r.applicable_category.upper() == "ALL" else r.applicable_category,
                valid_from=None,
                valid_to=None,
                days_of_week=None,
            )
            for r in config.loyalty.default_rules
        ]
    return sorted(rules, key=lambda r: (not r.specific, -r.rate_e4, r.rule_id))


def transaction_context(header: pd.DataFrame, *, as_of: pd.Timestamp) -> pd.DataFrame:
    """The clean transactions up to ``as_of``, with who earns their points and how (by tx).

    A SALE earns for its customer, judged on its own date and total; a RETURN
    reverses for the original sale's customer (``earner``), judged on the
    sale's date and total (``rule_day``, ``spend_cents``). ``sold_here`` says
    whether a RETURN's original sale is a clean transaction.
    """
    is_sale = header["transaction_type"] == "SALE"
    returned = header.loc[~is_sale, "original_tx"]
    original = header.reindex(returned.to_numpy()).set_axis(returned.index)
    context = header.assign(
        earner=header["customer_id"].where(is_sale, original["customer_id"]),
        rule_day=header["transaction_date"].where(is_sale, original["transaction_date"]),
        spend_cents=header["total_cents"].where(is_sale, original["total_cents"]),
        sold_here=is_sale | header["original_tx"].isin(header.index),
    )
    later = context["transaction_date"] > as_of
    return context[~later] if later.any() else context


def line_points(cents: pd.Series, rate_e4: np.ndarray, multiplier_e4: np.ndarray) -> pd.Series:
    """floor(amount × rate × multiplier), exactly, on integers."""
    if cents.empty:
        return cents.astype("int64")
    largest = int(cents.max()) * int(rate_e4.max()) * int(multiplier_e4.max())
    if largest < 2**63:
        return cents * rate_e4 * multiplier_e4 // POINTS_SCALE
    exact = [  # beyond 64 bits: Python integers (never needed for retail amounts)
        int(c) * int(r) * int(m) // POINTS_SCALE
        for c, r, m in zip(cents, rate_e4, multiplier_e4, strict=True)
    ]
    return pd.Series(exact, index=cents.index, dtype="int64")


def scored_lines(silver: Silver, context: pd.DataFrame, rules: list[Rule]) -> pd.DataFrame:
    """Lines of members' transactions with their earning rule (index into ``rules``) and points.

    The earning rule is the first (most specific) rule that admits the line;
    ``rule`` is -1 (no points) where none does. An active promotion for the
    line's category multiplies the rate.
    """
    earning = context.loc[
        context["earner"].notna() & context["rule_day"].notna(),
        ["transaction_type", "rule_day", "spend_cents"],
    ]
    categories = pd.DataFrame(
        {
            "product_id": silver.products["product_id"],
            "category": silver.products["product_category"].str.lower().astype("category"),
        }
    )
    lines = silver.lines.join(earning, on="tx", how="inner").merge(
        categories, on="product_id", how="left"
    )

    day, spend = lines["rule_day"], lines["spend_cents"]
    if rules:
        chosen = np.select(
            [(r.admits(day, spend) & r.covers(lines["category"])).to_numpy() for r in rules],
            list(range(len(rules))),
            default=-1,
        )
    else:
        chosen = np.full(len(lines), -1)
    rates = np.array([r.rate_e4 for r in rules] + [0], dtype="int64")  # -1: no rule, rate 0

    multiplier = np.full(len(lines), 10_000, dtype="int64")
    promoted = lines["promotion_id"].notna()
    if promoted.any():
        promos = lines.loc[promoted, ["promotion_id", "rule_day", "category"]].merge(
            silver.promotions, on="promotion_id", how="left"
        )
        promo_category = promos["promotion_category"]
        active = (
            (promos["rule_day"] >= promos["start_date"])
            & (promos["rule_day"] <= promos["end_date"])
            & (
                (promo_category == "ALL")
                | (promo_category.str.lower() == promos["category"].astype("str"))
            )
        )
        multiplier[promoted.to_numpy()] = np.where(
            active, promos["multiplier_e4"].fillna(10_000).to_numpy("int64"), 10_000
        )
    lines["rule"] = chosen
    lines["points"] = line_points(lines["amount_cents"], rates[chosen], multiplier)
    return lines[["tx", "transaction_type", "category", "rule", "points"]]


def points_events(
    silver: Silver, context: pd.DataFrame, rules: list[Rule], *, as_of: pd.Timestamp
) -> pd.DataFrame:
    """One row per points event (EARN, BONUS, REVERSAL, REDEEM) of members up to ``as_of``.

    EARN/REVERSAL: per transaction and earning rule, dated on the transaction;
    BONUS: per sale and valid bonus rule (a category rule's bonus needs a line
    of its category); REDEEM: every clean redemption (whether it is accepted is
    decided with the balance).
    """
    lines = scored_lines(silver, context, rules)
    by_transaction = context[
        [
            "transaction_id",
            "earner",
            "transaction_type",
            "transaction_date",
            "transaction_at",
            "rule_day",
            "spend_cents",
        ]
    ]
    columns = {
        "customer_id": "str",
        "event_date": "datetime64[us]",
        "event_type": EVENT_TYPES,
        "points": "int64",
        "transaction_id": "str",
        "redemption_id": "str",
        "rule_id": pd.CategoricalDtype(sorted({r.rule_id for r in rules}), ordered=True),
        "time": "datetime64[us, UTC]",
    }

    def ledger_rows(**values: pd.Series) -> pd.DataFrame:
        """Events in the same columns and types (the columns not given are missing)."""
        index = next(iter(values.values())).index
        return pd.DataFrame(
            {
                name: values[name].astype(dtype)
                if name in values
                else pd.Series(index=index, dtype=dtype)
                for name, dtype in columns.items()
            }
        ).reset_index(drop=True)

    earned = (
        lines.loc[lines["rule"] >= 0, ["tx", "rule", "points"]]
        .groupby(["tx", "rule"], sort=False)["points"]
        .sum()
        .reset_index()
        .join(by_transaction, on="tx")
    )
    rule_of = pd.Series([r.rule_id for r in rules], dtype=columns["rule_id"])
    is_sale = earned["transaction_type"] == "SALE"
    events = [
        ledger_rows(
            customer_id=earned["earner"],
            event_date=earned["transaction_date"],
            event_type=pd.Series(REVERSAL, index=earned.index, dtype=EVENT_TYPES).mask(
                is_sale, EARN
            ),
            points=earned["points"].where(is_sale, -earned["points"]),
            transaction_id=earned["transaction_id"],
            rule_id=rule_of.iloc[earned["rule"]].set_axis(earned.index),
            time=earned["transaction_at"],
        )
    ]

    sale_lines = lines.loc[lines["transaction_type"] == "SALE", ["tx", "category"]]
    sales = by_transaction.join(
        sale_lines.groupby("tx", sort=False).size().rename("lines"), how="inner"
    )
    for rule in (r for r in rules if r.bonus_points > 0):
        has = rule.covers(sale_lines["category"]).groupby(sale_lines["tx"]).any()
        won = sales[rule.admits(sales["rule_day"], sales["spend_cents"]) & has]
        events.append(
            ledger_rows(
                customer_id=won["earner"],
                event_date=won["transaction_date"],
                event_type=pd.Series(BONUS, index=won.index),
                points=pd.Series(rule.bonus_points, index=won.index),
                transaction_id=won["transaction_id"],
                rule_id=pd.Series(rule.rule_id, index=won.index),
                time=won["transaction_at"],
            )
        )

    redeemed = silver.redemptions[silver.redemptions["redemption_date"] <= as_of]
    events.append(
        ledger_rows(
            customer_id=redeemed["customer_id"],
            event_date=redeemed["redemption_date"],
            event_type=pd.Series(REDEEM, index=redeemed.index),
            points=-redeemed["points"],
            redemption_id=redeemed["redemption_id"],
        )
    )
    events = pd.concat(events, ignore_index=True)
    events["phase"] = events["event_type"].map(PHASE).astype("int8")
    return events


def add_months(day: pd.Series, months: int) -> pd.Series:
    """``day`` plus ``months`` calendar months (clipped to the end of a shorter month)."""
    return day + pd.DateOffset(months=months)


def day_numbers(day: pd.Series | pd.Timestamp) -> Any:
    """Dates as whole days since 1970-01-01 (for the loop over events)."""
    if isinstance(day, pd.Timestamp):
        return (day.normalize() - pd.Timestamp(0)).days
    return day.to_numpy("datetime64[D]").astype("int64")


def customer_balance(
    days: list[int],
    points: list[int],
    is_lot: list[bool],
    is_redemption: list[bool],
    expires: list[int],
    *,
    as_of: int,
) -> int:
    """One customer's balance at ``as_of``, following their events in ledger order.

    Lots (EARN, BONUS) are used oldest first by reversals and redemptions;
    what is left of a lot on its expiry day expires (at the start of the day);
    a redemption above the balance available just before it is rejected
    (INSUFFICIENT_POINTS) and does not count; what no lot could cover is a
    debt that the next lots pay first.
    """
    lots: deque[list[int]] = deque()  # [expiry day, points left], oldest first
    held = debt = 0

    def expire(until: int) -> None:
        nonlocal held
        while lots and lots[0][0] <= until:
            held -= lots.popleft()[1]

    def consume(amount: int) -> None:
        nonlocal held, debt
        while amount and lots:
            taken = min(lots[0][1], amount)
            lots[0][1] -= taken
            held -= taken
            amount -= taken
            if not lots[0][1]:
                lots.popleft()
        debt += amount

    for day, amount, lot, redemption, expiry in zip(
        days, points, is_lot, is_redemption, expires, strict=True
    ):
        expire(day)
        if lot:
            paid = min(debt, amount)
            debt -= paid
            lots.append([expiry, amount - paid])
            held += amount - paid
        elif redemption and -amount > held - debt:
            continue  # INSUFFICIENT_POINTS: rejected
        else:
            consume(-amount)
    expire(as_of)
    return held - debt


def points_balances(events: pd.DataFrame, *, as_of: pd.Timestamp, expiry_months: int) -> pd.Series:
    """Each customer's points balance at ``as_of`` (earned − reversed − redeemed − expired).

    Most customers need no event order: nothing of theirs expires by
    ``as_of`` and every redemption fits their balance, so their balance is a
    sum. The others are followed event by event (:func:`customer_balance`).
    """
    customer, names = pd.factorize(events["customer_id"])
    balances = events["points"].groupby(customer).sum()
    is_lot = events["event_type"].isin([EARN, BONUS]).to_numpy()
    is_redemption = (events["event_type"] == REDEEM).to_numpy()
    never = np.iinfo("int64").max
    expires = (
        day_numbers(add_months(events["event_date"], expiry_months))
        if expiry_months
        else np.full(len(events), never)
    )
    expires = np.where(is_lot, expires, never)
    ordered = pd.Series(expires <= day_numbers(as_of)).groupby(customer).transform("any")

    redeemers = pd.Series(is_redemption).groupby(customer).transform("any")
    if redeemers.any():
        # With every redemption accepted, one is too large where the running balance goes
        # below zero right after it; within a day, redemptions come after sales and returns.
        running = (
            events.loc[redeemers, ["event_date", "phase", "points"]]
            .assign(customer=customer[redeemers])
            .sort_values(["customer", "event_date", "phase"], kind="stable")
        )
        balance = running.groupby("customer")["points"].cumsum()
        short = running.loc[is_redemption[running.index] & (balance < 0), "customer"]
        ordered |= pd.Series(np.isin(customer, short))
    if not ordered.any():
        return pd.Series(balances.to_numpy(), index=names[balances.index])

    # Ledger order: by day; within a day expiries, then sales and returns (their order
    # does not change a balance: a day's lots expire together), then redemptions by id.
    followed = (
        events.loc[ordered, ["event_date", "phase", "time", "points"]]
        .assign(
            customer=customer[ordered],
            day=day_numbers(events.loc[ordered, "event_date"]),
            redemption=pd.factorize(events.loc[ordered, "redemption_id"], sort=True)[0],
            is_lot=is_lot[ordered],
            is_redemption=is_redemption[ordered],
            expires=expires[ordered],
        )
        .sort_values(["customer", "event_date", "phase", "time", "redemption"], na_position="first")
    )
    today = day_numbers(as_of)
    for code, rows in followed.groupby("customer").indices.items():
        stream = followed.iloc[rows]
        balances[code] = customer_balance(
            stream["day"].tolist(),
            stream["points"].tolist(),
            stream["is_lot"].tolist(),
            stream["is_redemption"].tolist(),
            stream["expires"].tolist(),
            as_of=today,
        )
    return pd.Series(balances.to_numpy(), index=names[balances.index])


# --- gold: RFM and segments ---------------------------------------------------------------------


def customer_activity(context: pd.DataFrame, *, as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per customer with a transaction up to ``as_of``: last sale, frequency, monetary.

    A RETURN counts against the customer of its original sale (its own
    customer if the sale is unknown); monetary = SALE − RETURN amounts (cents).
    """
    tx = context[context["transaction_date"] <= as_of]
    is_sale = tx["transaction_type"] == "SALE"
    customer = tx["customer_id"].where(is_sale | ~tx["sold_here"], tx["earner"])
    signed = tx["total_cents"].where(is_sale, -tx["total_cents"])
    sales = tx[is_sale].groupby(customer[is_sale])
    return (
        pd.DataFrame(
            {
                "last_purchase_date": sales["transaction_date"].max(),
                "frequency": sales["transaction_id"].nunique(),
                "monetary_cents": signed.groupby(customer).sum(),
            }
        )
        .rename_axis("customer_id")
        .reset_index()
    )


def quintile(value: pd.Series, *, ascending: bool = True) -> pd.Series:
    """1 + floor(5 × (avg_rank − 1) / N), exactly: tied values share a score."""
    twice_rank = value.rank(method="min", ascending=ascending) + value.rank(
        method="max", ascending=ascending
    )
    return (1 + 5 * (twice_rank.astype("int64") - 2) // (2 * len(value))).astype("int8")


def rfm_segment(scores: pd.DataFrame, config: Config) -> pd.Series:
    """The first configured RFM segment whose score ranges hold the customer's scores."""
    conditions = [
        (
            scores["r_score"].between(*rule.r)
            & scores["f_score"].between(*rule.f)
            & scores["m_score"].between(*rule.m)
        ).to_numpy()
        for rule in config.segments.rfm_segments
    ]
    names = [rule.name for rule in config.segments.rfm_segments]
    chosen = np.select(conditions, names, default=config.segments.rfm_fallback)
    return pd.Series(chosen, index=scores.index, dtype="str")


#: The result's columns and their types.
RESULT = {
    "customer_id": "str",
    "total_loyalty_points": "int64",
    "recency_days": "Int64",
    "frequency": "int64",
    "monetary_cents": "int64",
    "r_score": "Int8",
    "f_score": "Int8",
    "m_score": "Int8",
    "rfm_segment": "str",
    "segment": "str",
}


def customer_results(
    silver: Silver, config: Config, *, as_of: pd.Timestamp | None = None
) -> pd.DataFrame:
    """One row per clean customer: points balance, RFM, scores and segments.

    Without a clean transaction there is no ``as_of``: loyalty_lake builds no
    customer_details then, and there are no rows.
    """
    if as_of is None:
        as_of = silver.header["transaction_date"].max()
    if pd.isna(as_of):
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in RESULT.items()})
    rules = ranked_rules(silver.rules, config)
    context = transaction_context(silver.header, as_of=as_of)
    events = points_events(silver, context, rules, as_of=as_of)
    balances = points_balances(events, as_of=as_of, expiry_months=config.loyalty.expiry_months)
    result = (
        silver.customers.to_frame("customer_id")
        .merge(customer_activity(context, as_of=as_of), on="customer_id", how="left")
        .merge(
            balances.rename("total_loyalty_points").rename_axis("customer_id").reset_index(),
            on="customer_id",
            how="left",
        )
        .fillna({"frequency": 0, "monetary_cents": 0, "total_loyalty_points": 0})
    )
    result["recency_days"] = (as_of - result["last_purchase_date"]).dt.days.astype("Int64")

    buyers = result[result["frequency"] > 0]
    scores = pd.DataFrame(
        {
            "r_score": quintile(buyers["recency_days"], ascending=False),
            "f_score": quintile(buyers["frequency"]),
            "m_score": quintile(buyers["monetary_cents"]),
        }
    )
    scores["rfm_segment"] = rfm_segment(scores, config)
    result = result.join(scores)  # on the row number: customers without a sale get no scores

    share = Fraction(config.segments.high_spender_share)
    quota = -(-len(buyers) * share.numerator // share.denominator)  # ceil(share × N)
    strictly_above = buyers["monetary_cents"].rank(method="min", ascending=False) - 1
    at_risk = (buyers["recency_days"] >= config.segments.at_risk_days) & (
        buyers["total_loyalty_points"] > 0
    )
    result["segment"] = "Others"
    result.loc[at_risk.index[at_risk], "segment"] = "At Risk"
    result.loc[strictly_above.index[strictly_above < quota], "segment"] = "High Spender"

    return result.astype(RESULT)[list(RESULT)].sort_values("customer_id", ignore_index=True)


# --- the run ------------------------------------------------------------------------------------


def run(
    batch: Path,
    out: Path,
    *,
    config: Config | None = None,
    now: datetime | None = None,
) -> dict[str, float]:
    """Read one landing batch folder of CSVs, compute, write the result Parquet to ``out``.

    Returns phase timings in seconds: ``{"read": ..., "clean": ..., "gold": ...,
    "write": ..., "customers": n}``. ``config`` defaults to loyalty_lake's
    defaults (``load_config(env={})``); ``now`` (for the future-date rules) to
    the current time.
    """
    config = config or load_config(env={})
    settings = Settings.from_config(config, now=now or datetime.now(UTC))
    started = perf_counter()
    raw = read_batch(Path(batch), column_aliases=config.landing.column_aliases)
    read = perf_counter()
    clean = silver(raw, settings)
    del raw
    cleaned = perf_counter()
    result = customer_results(clean, config)
    computed = perf_counter()
    result.to_parquet(out, index=False)
    written = perf_counter()
    return {
        "read": read - started,
        "clean": cleaned - read,
        "gold": computed - cleaned,
        "write": written - computed,
        "customers": len(result),
    }


if __name__ == "__main__":
    batch_folder, out_file = sys.argv[1:3]
    print(json.dumps(run(Path(batch_folder), Path(out_file))))
