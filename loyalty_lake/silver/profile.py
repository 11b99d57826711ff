"""What silver would make of a landing file's rows, summarised: the pure side of ``inspect``.

``loyalty-lake inspect`` reads a batch without landing it and reports what
silver would do to each column. It never restates a parsing rule:
:func:`table_reading` runs the table's own silver check (``silver/tables/``)
on an empty frame with a parser that records, per column, the parser method
the check chose, the parsed value and the INVALID_TYPE / AMBIGUOUS_DATE rules
the column is judged by; :func:`typed_rows` then types bronze rows as the
check does (:func:`~loyalty_lake.silver.tables.common.typed`), with the
normalisation flags ``_n|<column>|<kind>``.

The rest summarises, as expressions and small frames: a column's counts and
examples (:func:`column_summary`), its value formats (:func:`formats`), and
for ids that are not master keys (:func:`unknown_ids`) the master key each
matches once case, padding, leading zeros or a constant prefix or suffix are
ignored (:func:`matched_ids`) and the ``dq.id_rewrites`` entries that map them
all consistently (:func:`id_rewrites`), checked with the parser silver reads
ids with (:func:`rewrite_misses`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import polars as pl

from loyalty_lake.bronze.ingest import bronze_schema
from loyalty_lake.config import IdRewrite
from loyalty_lake.landing.contract import LANDING_FILES, PADDED
from loyalty_lake.silver import parse, run
from loyalty_lake.silver.checks import MALFORMED, Rule
from loyalty_lake.silver.models import SILVER_SCHEMAS
from loyalty_lake.silver.tables import MASTER_CHECKS, Checks, Known
from loyalty_lake.silver.tables.common import file_evidence, typed

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

#: The parser's own name of a row's "the file mixes currencies" flag (silver/parse.py).
_MIXED = parse._MIXED

#: Text that stands for "no value" in an export: ``0``, ``-``, ``?``, ``none``, ``n/a``...
PLACEHOLDER = r"(?i)^(?:0+|-+|\?+|\.+|none|nil|null|n/?a|n\.a\.|unknown|tbd|guest|x+|#+)$"
#: A decimal point: ``12.50``, ``$3.5``, ``7.00 EUR`` (``1.234`` is a thousands group).
_DECIMAL_POINT = r"\d\.\d{1,2}\s*(?:[$€£¥₹]|[A-Z]{3})?\s*$"
#: Examples kept per finding.
EXAMPLES = 3
_SHAPE_CHARS = 40


# --- what silver's check does to each column ----------------------------------------------


@dataclass(frozen=True, slots=True)
class ColumnReading:
    """How silver reads one column: the parser method, the parsed value, its type rules."""

    column: str
    method: str
    value: pl.Expr
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True, slots=True)
class TableReading:
    """How silver's check of ``table`` reads its columns (see :func:`table_reading`)."""

    table: str
    parser: parse.Parser
    columns: Mapping[str, ColumnReading]

    def reading_with(self, **changes: Any) -> parse.Parser:
        """A fresh parser of the table under the reading settings with ``changes``.

        Its values are whole expressions (not staged): they are computed beside
        the check's own values, whose steps they must not take for theirs.
        """
        return parse.Parser(self.table, replace(self.parser.reading, **changes), staged=False)

    def key(self, column: str) -> str:
        """``"<table>.<column>"``, as settings name a column."""
        return f"{self.table}.{column}"


@dataclass(slots=True)
class _RecordingParser(parse.Parser):
    """A parser that remembers what the check asked of it, column by column.

    The outermost call for a column is the one the check chose (``money``
    calls ``text``; ``defaulted`` asks ``text`` after ``rate``): the first
    outermost call is kept.
    """

    parsed: dict[str, tuple[str, pl.Expr]] = field(default_factory=dict)
    rules: dict[str, list[Rule]] = field(default_factory=dict)
    depth: int = 0

    def _recorded(
        self, method: str, column: str, call: Callable[[parse.Parser, str], pl.Expr]
    ) -> pl.Expr:
        self.depth += 1
        try:
            value = call(self, column)
        finally:
            self.depth -= 1
        if self.depth == 0:
            self.parsed.setdefault(column, (method, value))
        return value

    def text(self, column: str) -> pl.Expr:
        return self._recorded("text", column, parse.Parser.text)

    def code(self, column: str) -> pl.Expr:
        return self._recorded("code", column, parse.Parser.code)

    def ident(self, column: str) -> pl.Expr:
        return self._recorded("ident", column, parse.Parser.ident)

    def integer(self, column: str) -> pl.Expr:
        return self._recorded("integer", column, parse.Parser.integer)

    def money(self, column: str) -> pl.Expr:
        return self._recorded("money", column, parse.Parser.money)

    def rate(self, column: str) -> pl.Expr:
        return self._recorded("rate", column, parse.Parser.rate)

    def date(self, column: str) -> pl.Expr:
        return self._recorded("date", column, parse.Parser.date)

    def datetime(self, column: str) -> pl.Expr:
        return self._recorded("datetime", column, parse.Parser.datetime)

    def weekdays(self, column: str) -> pl.Expr:
        return self._recorded("weekdays", column, parse.Parser.weekdays)

    def invalid_type(self, columns: Mapping[str, str]) -> list[Rule]:
        rules = []
        for column, kind in columns.items():
            own = parse.Parser.invalid_type(self, {column: kind})
            self.rules.setdefault(column, []).extend(own)
            rules += own
        return rules


@dataclass(frozen=True, slots=True)
class _RecordingChecks(Checks):
    """Checks whose parsers record what the table's check asks of them."""

    recorded: dict[str, _RecordingParser] = field(default_factory=dict)

    @classmethod
    def of(cls, checks: Checks) -> _RecordingChecks:
        return cls(**{f.name: getattr(checks, f.name) for f in fields(Checks)})

    def parser(self, table: str, *, staged: bool = True) -> parse.Parser:
        parser = _RecordingParser(table, self.reading, staged=staged)
        if staged or table not in self.recorded:  # the check's own parser
            self.recorded[table] = parser
        return parser


#: The master tables facts reference, and the key column of each.
MASTER_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "stores": "store_id",
        "products": "product_id",
        "customers": "customer_id",
        "promotions": "promotion_id",
    }
)


def _no_masters() -> Known:
    return Known.from_masters(
        {name: pl.DataFrame(schema=SILVER_SCHEMAS[name]) for name in MASTER_KEYS}
    )


def table_reading(table: str, *, checks: Checks) -> TableReading:
    """How silver's own check of ``table`` reads each column under ``checks``.

    The check runs on empty frames (nothing is computed); its parser records
    the method chosen for each column, the parsed value, and the type rules.
    """
    recorder = _RecordingChecks.of(checks)
    bronze = {
        name: pl.LazyFrame(schema=bronze_schema(spec)) for name, spec in LANDING_FILES.items()
    }
    if table in MASTER_CHECKS:
        MASTER_CHECKS[table](bronze[table], checks=recorder)
    else:
        (group,) = [g for g in run.FACT_CHECKS if table in g]
        run.checked_facts(
            bronze,
            known=_no_masters(),
            existing={name: pl.LazyFrame(schema=SILVER_SCHEMAS[name]) for name in group},
            checks=recorder,
            groups=[group],
        )
    parser = recorder.recorded[table]
    return TableReading(
        table=table,
        parser=parser,
        columns=MappingProxyType(
            {
                column: ColumnReading(column, method, value, tuple(parser.rules.get(column, ())))
                for column, (method, value) in parser.parsed.items()
            }
        ),
    )


def evidence(bronze: pl.LazyFrame, reading: TableReading) -> pl.LazyFrame:
    """The file facts silver's values need (a date column's order, a currency mix), per file."""
    return file_evidence(bronze, reading.parser)


def typed_rows(bronze: pl.LazyFrame, reading: TableReading, *, facts: pl.DataFrame) -> pl.LazyFrame:
    """Bronze rows typed as silver types them, with ``_raw`` and the normalisation flags.

    ``facts`` is :func:`evidence` of the same rows, collected (computed once
    beforehand, so that this plan streams).
    """
    spec = LANDING_FILES[reading.table]
    values = {column: r.value for column, r in reading.columns.items()}
    return typed(bronze, spec, reading.parser, values | _alternatives(reading), evidence=facts)


#: The prefix of a column's value under another reading: ``_as|<column>|<reading>``.
ALTERNATIVE = "_as|"
_COMMA = "decimal-comma"


def _alternatives(reading: TableReading) -> dict[str, pl.Expr]:
    """Each column's value under the readings that could settle it (parsed from the text).

    Dates: read day-first and month-first; money: read with a decimal comma.
    """
    found: dict[str, pl.Expr] = {}
    for column, read in reading.columns.items():
        key = reading.key(column)
        if read.method in ("date", "datetime"):
            for order in (parse.DAY_FIRST, parse.MONTH_FIRST):
                dates = {**reading.parser.reading.dates, key: order}
                parser = reading.reading_with(dates=dates)
                value = parser.date(column) if read.method == "date" else parser.datetime(column)
                found[f"{ALTERNATIVE}{column}|{order}"] = value
        elif read.method == "money":
            comma = (*reading.parser.reading.decimal_comma, key)
            value = reading.reading_with(decimal_comma=comma).money(column)
            found[f"{ALTERNATIVE}{column}|{_COMMA}"] = value
    return found


# --- one column, summarised -------------------------------------------------------------


_ROW = "_row_number"


def _examples(value: pl.Expr, where: pl.Expr) -> pl.Expr:
    """A few distinct values of ``value`` where ``where`` holds, first in the file, as a list.

    Typed rows may come in any order: the first rows are found by their number.
    """
    rows = pl.col(_ROW).filter(where)
    first = pl.struct(rows.alias("row"), value.filter(where).alias("value")).bottom_k_by(rows, 200)
    values = first.sort().struct.field("value")
    return values.unique(maintain_order=True).head(EXAMPLES).implode()


def text_of(column: str) -> pl.Expr:
    """A column's bronze text, trimmed (from ``_raw``)."""
    return pl.col(parse.RAW).struct.field(column).str.strip_chars()


def well_formed() -> pl.Expr:
    """Rows bronze could split into the header's fields."""
    return pl.col(MALFORMED).is_null()


def column_summary(reading: TableReading, column: str) -> pl.Expr:
    """One struct of a column's counts and examples over typed rows (see :func:`typed_rows`).

    Fields: ``values`` (given), ``missing``, ``n|<kind>`` per normalisation
    kind; per type rule ``rule<i>`` (rows failing it), ``rule<i>|examples``
    (its messages), ``rule<i>|mixed`` (money: rows failing for a currency
    mix) and ``rule<i>|residual`` (rows a decimal comma or null token would
    not settle); by method: ``proves|<order>`` (dates: values only that
    day/month order reads) and ``unread|<order>`` (values that order does not
    read), ``comma|candidates`` and ``comma|conflicts`` (money: values only a
    decimal comma reads, values it would read otherwise), ``placeholders``
    (values that do not parse and look like "no value").
    """
    read = reading.columns[column]
    ok = well_formed()
    given = reading.parser.given(column) & ok
    text = text_of(column)
    unparsed = given & pl.col(column).is_null()
    parts: dict[str, pl.Expr] = {"values": given.sum(), "missing": (ok & given.not_()).sum()}
    prefix = f"{parse.FLAG}{column}|"
    for name in reading.parser.flags():
        if name.startswith(prefix):
            parts[f"n|{name.removeprefix(prefix)}"] = (pl.col(name) & ok).sum()
    settled = pl.lit(False)
    if read.method in ("date", "datetime"):
        orders = (parse.DAY_FIRST, parse.MONTH_FIRST)
        for order, other in (orders, orders[::-1]):
            as_order = pl.col(f"{ALTERNATIVE}{column}|{order}")
            as_other = pl.col(f"{ALTERNATIVE}{column}|{other}")
            proves = given & as_order.is_not_null() & as_other.is_null()
            parts[f"proves|{order}"] = proves.sum()
            parts[f"proves|{order}|examples"] = _examples(text, proves)
            parts[f"unread|{order}"] = (given & as_order.is_null()).sum()
    if read.method == "money":
        comma = pl.col(f"{ALTERNATIVE}{column}|{_COMMA}")
        candidates = unparsed & comma.is_not_null()
        parts["comma|candidates"] = candidates.sum()
        parts["comma|candidates|examples"] = _examples(text, candidates)
        # A value read otherwise with a decimal comma, or written with a decimal point:
        # the column is no decimal-comma column (a few "12,50" there are errors).
        read_otherwise = pl.col(column).is_not_null() & (
            comma.is_null() | (comma != pl.col(column))
        )
        pointed = given & text.str.contains(_DECIMAL_POINT)
        parts["comma|conflicts"] = (read_otherwise | pointed).sum()
        settled = settled | candidates
    if read.method != "ident":
        placeholder = unparsed & text.str.contains(PLACEHOLDER)
        parts["placeholders"] = _examples(text, placeholder)
        parts["placeholders|rows"] = placeholder.sum()
        settled = settled | placeholder
    mixed = f"{_MIXED}{column}"
    for i, rule in enumerate(read.rules):
        fails = rule.fails.fill_null(False) & ok
        residual = fails & settled.not_()
        parts[f"rule{i}"] = fails.sum()
        parts[f"rule{i}|examples"] = _examples(rule.message, fails)
        parts[f"rule{i}|residual"] = residual.sum()
        parts[f"rule{i}|residual|examples"] = _examples(rule.message, residual)
        if mixed in reading.parser.flags():
            parts[f"rule{i}|mixed"] = (fails & pl.col(mixed)).sum()
    return pl.struct([expr.alias(name) for name, expr in parts.items()]).alias(column)


def file_summary() -> pl.Expr:
    """One struct of a file's row counts: rows, padded rows, malformed rows and why."""
    malformed = pl.col(MALFORMED).is_not_null()
    return pl.struct(
        rows=pl.len(),
        padded=pl.col(PADDED).is_not_null().sum(),
        malformed=malformed.sum(),
        malformed_reasons=_examples(pl.col(MALFORMED), malformed),
    ).alias("_file")


def shape(value: pl.Expr) -> pl.Expr:
    """The format of a text value: digits as ``9``, runs of letters as ``a``, the rest kept."""
    return (
        value.str.replace_all(r"\d", "9")
        .str.replace_all(r"[^\W\d_]+", "a")
        .str.slice(0, _SHAPE_CHARS)
    )


def formats(
    rows: pl.LazyFrame, reading: TableReading, column: str, *, top: int = 5
) -> pl.LazyFrame:
    """The most frequent formats of a column's given values: ``format``, ``rows``, ``example``.

    Codes (``transaction_type``, days of the week) are shown as the values they are.
    """
    text = text_of(column)
    method = reading.columns[column].method
    form = text.str.to_uppercase() if method in ("code", "weekdays") else shape(text)
    return (
        rows.filter(reading.parser.given(column) & well_formed())
        .group_by(form.alias("format"))
        .agg(pl.len().alias("rows"), text.get(pl.col(_ROW).arg_min()).alias("example"))
        .sort(["rows", "format"], descending=[True, False])
        .head(top)
    )


# --- references to master data --------------------------------------------------------------


def unknown_ids(rows: pl.LazyFrame, column: str, keys: pl.LazyFrame) -> pl.LazyFrame:
    """The ids of ``column`` (as silver reads them) that are not ``keys``: ``id``, ``rows``."""
    return (
        rows.filter(pl.col(column).is_not_null() & well_formed())
        .group_by(pl.col(column).alias("id"))
        .agg(pl.len().alias("rows"))
        .join(keys.select(pl.col("key").alias("id")), on="id", how="anti")
    )


def _squashed(value: pl.Expr) -> pl.Expr:
    return value.str.to_uppercase().str.replace_all(r"[^\p{L}\p{N}]", "")


def _unpadded(value: pl.Expr) -> pl.Expr:
    return _squashed(value).str.replace_all(r"(^|\D)0+(\d)", "${1}${2}")


def _number(value: pl.Expr) -> pl.Expr:
    return value.str.extract(r"(\d+)\D*$").str.replace(r"^0+(\d)", "${1}")


#: How an id may differ from its master key, from the closest to the loosest.
_LEVELS: tuple[tuple[Callable[[pl.Expr], pl.Expr], bool], ...] = (
    (_squashed, False),  # letter case and punctuation
    (_unpadded, False),  # leading zeros
    (_number, True),  # a constant prefix or suffix around the same key
    (_number, False),  # another prefix or suffix around the same number
)


def matched_ids(unknown: pl.LazyFrame, keys: pl.LazyFrame) -> pl.LazyFrame:
    """The one master key each unknown id stands for: ``id``, ``key``.

    An id matches a key when they are equal once letter case and punctuation,
    then leading zeros, then a constant prefix or suffix (one contains the
    other), then any prefix or suffix around the same number are ignored. The
    closest level with a match decides; an id matching several keys there is
    left out (it is ambiguous).
    """
    ids = unknown.select("id")
    found = []
    for level, (core, contained) in enumerate(_LEVELS):
        pairs = ids.with_columns(core(pl.col("id")).alias("_core")).join(
            keys.select("key", core(pl.col("key")).alias("_core")), on="_core"
        )
        if contained:
            u, k = _unpadded(pl.col("id")), _unpadded(pl.col("key"))
            pairs = pairs.filter(u.str.contains(k, literal=True) | k.str.contains(u, literal=True))
        found.append(pairs.select("id", "key", pl.lit(level).alias("_level")))
    return (
        pl.concat(found)
        .filter(pl.col("_level") == pl.col("_level").min().over("id"))
        .filter(pl.len().over("id") == 1)
        .select("id", "key")
    )


_DIGITS = r"^(.*?)(\d+)(\D*)$"


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: str
    replace: str


def _escaped(text: str) -> str:
    """``text`` as a regular expression matching it literally (only metacharacters escaped)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _replacement(before: str, after: str) -> str:
    """A replacement: literal ``before``, the first group, literal ``after``."""
    group = "${1}" if after else "$1"
    return before.replace("$", "$$") + group + after.replace("$", "$$")


def _stripped(pairs: pl.DataFrame) -> tuple[dict[tuple[str, str], _Rule], pl.DataFrame]:
    """Rules for keys found whole inside their ids (``Store-S003`` → ``S003``), by prefix/suffix."""
    at = pl.col("id").str.find(pl.col("key"), literal=True)
    found = pairs.with_columns(at.alias("_at")).filter(pl.col("_at").is_not_null())
    found = found.with_columns(
        pl.col("id").str.slice(0, pl.col("_at")).alias("_pre"),
        pl.col("id").str.slice(pl.col("_at") + pl.col("key").str.len_chars()).alias("_suf"),
    )
    rules = {
        (pre, suf): _Rule(f"^{_escaped(pre)}(.+){_escaped(suf)}$", _replacement("", ""))
        for pre, suf in found.select("_pre", "_suf").unique(maintain_order=True).iter_rows()
    }
    return rules, found.select("id", "key", pl.struct("_pre", "_suf").alias("_group"))


def _renumbered(
    pairs: pl.DataFrame, keys: pl.DataFrame
) -> tuple[dict[tuple[str, str, str, str], list[_Rule]], pl.DataFrame]:
    """Rules for ids and keys around the same number (``C000421`` → ``421``, ``3`` → ``S003``).

    A key family (its text before and after the number) zero-pads its numbers
    to one width, or not at all; an id's number is padded as its family's keys are.
    """
    parts = ("_pre", "_digits", "_suf")

    def split(column: str, names: Sequence[str]) -> pl.Expr:
        groups = pl.col(column).str.extract_groups(_DIGITS)
        return groups.struct.rename_fields(list(names)).alias(f"_{column}_parts")

    key_parts = ["_kpre", "_kdigits", "_ksuf"]
    families = (
        keys.select(split("key", key_parts))
        .unnest("_key_parts")
        .drop_nulls("_kdigits")
        .group_by("_kpre", "_ksuf")
        .agg(
            (pl.col("_kdigits").str.starts_with("0") & (pl.col("_kdigits").str.len_chars() > 1))
            .any()
            .alias("_padded"),
            pl.col("_kdigits").str.len_chars().unique().alias("_widths"),
        )
    )
    found = (
        pairs.with_columns(split("id", parts), split("key", key_parts))
        .unnest("_id_parts", "_key_parts")
        .drop_nulls(["_digits", "_kdigits"])
        .filter(_number(pl.col("_digits")) == _number(pl.col("_kdigits")))
        .join(families, on=["_kpre", "_ksuf"], how="left")
        .filter(pl.col("_padded").not_() | (pl.col("_widths").list.len() == 1))
    )
    groups = found.group_by("_pre", "_suf", "_kpre", "_ksuf", maintain_order=True).agg(
        (pl.col("_digits") == pl.col("_kdigits")).all().alias("_same"),
        pl.col("_padded", "_widths").first(),
    )
    rules: dict[tuple[str, str, str, str], list[_Rule]] = {}
    for pre, suf, kpre, ksuf, same, padded, widths in groups.iter_rows():
        head, tail, group = _escaped(pre), _escaped(suf), (pre, suf, kpre, ksuf)
        if same or not padded:  # the digits as they are, or the number without its zeros
            digits = "(\\d+)" if same else "0*(\\d+)"
            rules[group] = [_Rule(f"^{head}{digits}{tail}$", _replacement(kpre, ksuf))]
            continue
        (width,) = widths
        rules[group] = [
            _Rule(
                f"^{head}0*(\\d{{{length}}}){tail}$",
                _replacement(kpre + "0" * (width - length), ksuf),
            )
            for length in range(1, width)
        ] + [_Rule(f"^{head}0*(\\d{{{width},}}){tail}$", _replacement(kpre, ksuf))]
    return rules, found.select(
        "id", "key", pl.struct("_pre", "_suf", "_kpre", "_ksuf").alias("_group")
    )


def id_rewrites(
    pairs: pl.DataFrame, keys: pl.DataFrame, *, columns: Sequence[str]
) -> tuple[IdRewrite, ...]:
    """``dq.id_rewrites`` entries mapping each ``id`` of ``pairs`` onto its ``key``.

    Regular expressions, as few as explain every pair: a constant prefix or
    suffix around the key stripped, or the number of the id written as its key
    family writes it; the pairs no expression explains go to a ``mapping``.
    ``keys`` (column ``key``) are the master's keys; ``columns`` the
    ``"table.column"`` names the entries apply to.
    """
    if pairs.is_empty():
        return ()
    pairs = pairs.sort("id")
    stripped, by_strip = _stripped(pairs)
    renumbered, by_number = _renumbered(pairs, keys)
    schemes = []
    for first, second in ((by_number, by_strip), (by_strip, by_number)):  # a tie: numbers
        one = first
        two = second.join(one.select("id"), on="id", how="anti")
        rest = pairs.join(pl.concat([one.select("id"), two.select("id")]), on="id", how="anti")
        groups = [
            *one["_group"].unique(maintain_order=True).to_list(),
            *two["_group"].unique(maintain_order=True).to_list(),
        ]
        rules = [rule for group in groups for rule in _rules_of(group, stripped, renumbered)]
        schemes.append((len(rules) + rest.height, rules, rest))
    _, rules, rest = min(schemes, key=lambda scheme: scheme[0])
    found = tuple(
        IdRewrite(columns=tuple(columns), pattern=r.pattern, replace=r.replace) for r in rules
    )
    if rest.height:
        mapping = dict(zip(rest["id"].to_list(), rest["key"].to_list(), strict=True))
        found += (IdRewrite(columns=tuple(columns), mapping=mapping),)
    return found


def _rules_of(
    group: dict[str, str],
    stripped: Mapping[tuple[str, str], _Rule],
    renumbered: Mapping[tuple[str, str, str, str], list[_Rule]],
) -> list[_Rule]:
    if "_kpre" in group:
        return renumbered[(group["_pre"], group["_suf"], group["_kpre"], group["_ksuf"])]
    return [stripped[(group["_pre"], group["_suf"])]]


def rewrite_misses(
    pairs: pl.DataFrame,
    known: pl.Series,
    rewrites: Sequence[IdRewrite],
    *,
    table: str,
    column: str,
) -> pl.DataFrame:
    """Where ``rewrites``, applied as silver applies them, miss: ``id``, ``expected``, ``read``.

    Each id of ``pairs`` must read as its ``key``, and each ``known`` id
    (already a master key) as itself.
    """
    parser = parse.Parser(table, parse.Reading(id_rewrites=tuple(rewrites)), staged=False)
    expected = pl.concat(
        [
            pairs.select(pl.col("id"), pl.col("key").alias("expected")),
            known.to_frame("id").select("id", pl.col("id").alias("expected")),
        ]
    )
    return (
        expected.select(pl.col("id").alias(column), "expected")
        .with_columns(parser.ident(column).alias("read"))
        .filter(pl.col("read").ne_missing(pl.col("expected")))
        .select(pl.col(column).alias("id"), "expected", "read")
    )
