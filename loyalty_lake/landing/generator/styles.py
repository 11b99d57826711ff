"""Export styles: the same values written the many ways real retailer exports write them.

A style changes how a value or a file is written, never what it means:
``3`` becomes ``3.0`` (pandas), ``12.50`` becomes ``£1,234.50`` or ``1.234,50``,
``2026-10-31`` becomes ``31/10/2026``, a missing value ``NULL``, a row loses its
empty last fields. Silver reads every such value as what it means and counts
each normalisation; the generator counts them the same way
(:attr:`StyledFile.counts`), so a test can hold silver to it.

Styles that cannot all apply to one value or file at once (the families:
integer notations, date notations, delimiters, compressions) are spread when
several are chosen: the columns or tables of a family take the chosen styles
in turn, in contract order (``sales_header.transaction_date`` first among the
dates, so that a 12-hour clock has a date-time to show on).

Only canonical texts are restyled (``12.50``, ``3``, ``2026-10-31``): an injected
anomaly (``two``, ``1.2.3``, ``not a date``) stays what it is, so it is rejected
for the same reason; in a decimal-comma file the wrong-locale anomalies are
written in that file's locale (``12,345`` for ``12.345``), see :func:`_money`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal

import numpy as np
import polars as pl

from loyalty_lake.codes import NormalisationKind
from loyalty_lake.config import NULL_TOKENS
from loyalty_lake.errors import ConfigError
from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.landing.generator.style_names import ExportStyle

if TYPE_CHECKING:
    from collections.abc import Sequence

S = ExportStyle

#: Integer notations, date notations, delimiters and compressions: one per column or table.
_INTEGER_STYLES: Final = (S.INTEGRAL_FLOATS, S.LEADING_ZEROS)
_DATE_STYLES: Final = (S.DAY_FIRST, S.MONTH_FIRST, S.YEAR_FIRST_SLASHES, S.ISO_DATETIMES)
_DELIMITERS: Final = MappingProxyType({S.SEMICOLONS: ";", S.TABS: "\t", S.PIPES: "|"})
Compression = Literal["gzip", "zip"]
_COMPRESSIONS: Final[Mapping[ExportStyle, Compression]] = MappingProxyType(
    {S.GZIP: "gzip", S.ZIP: "zip"}
)


def resolve_styles(styles: object) -> frozenset[ExportStyle]:
    """Returns the styles named by ``styles`` (``messy`` expanded); ConfigError if unknown."""
    if isinstance(styles, str) or not isinstance(styles, Collection):
        raise ConfigError(
            f"Invalid generator option styles={styles!r}: it must be a tuple of style names.",
            hint="Pass e.g. GeneratorOptions(styles=('currency', 'day_first')).",
        )
    known = {s.value for s in ExportStyle}
    resolved: set[ExportStyle] = set()
    for name in styles:
        if not isinstance(name, str) or name not in known:
            raise ConfigError(
                f"Invalid generator option styles={tuple(styles)!r}: {name!r} is no style.",
                hint=f"Styles: {', '.join(sorted(known))}.",
            )
        style = ExportStyle(name)
        resolved |= set(ExportStyle) - {S.MESSY} if style is S.MESSY else {style}
    return frozenset(resolved)


# --- what each column is, as silver reads it --------------------------------------------


class Role(StrEnum):
    """How silver reads a column (:mod:`loyalty_lake.silver.parse`): which styles apply."""

    ID = "id"
    INTEGER = "integer"
    MONEY = "money"
    RATE = "rate"
    DATE = "date"
    DATETIME = "datetime"
    TEXT = "text"


_ROLES: Final[dict[str, dict[str, Role]]] = {
    "stores": {"store_id": Role.ID, "opening_date": Role.DATE},
    "products": {
        "product_id": Role.ID,
        "unit_price": Role.MONEY,
        "current_stock_level": Role.INTEGER,
    },
    "customers": {"customer_id": Role.ID, "enrollment_date": Role.DATE},
    "promotions": {
        "promotion_id": Role.ID,
        "start_date": Role.DATE,
        "end_date": Role.DATE,
        "discount_percentage": Role.RATE,
        "points_multiplier": Role.RATE,
    },
    "loyalty_rules": {
        "rule_id": Role.ID,
        "points_per_unit_spend": Role.RATE,
        "min_spend_threshold": Role.MONEY,
        "bonus_points": Role.INTEGER,
        "valid_from": Role.DATE,
        "valid_to": Role.DATE,
    },
    "sales_header": {
        "transaction_id": Role.ID,
        "customer_id": Role.ID,
        "store_id": Role.ID,
        "transaction_date": Role.DATETIME,
        "total_amount": Role.MONEY,
        "original_transaction_id": Role.ID,
    },
    "sales_lines": {
        "line_item_id": Role.ID,
        "transaction_id": Role.ID,
        "product_id": Role.ID,
        "promotion_id": Role.ID,
        "quantity": Role.INTEGER,
        "line_item_amount": Role.MONEY,
    },
    "redemptions": {
        "redemption_id": Role.ID,
        "customer_id": Role.ID,
        "store_id": Role.ID,
        "redemption_date": Role.DATE,
        "points_redeemed": Role.INTEGER,
    },
    "inventory": {
        "snapshot_date": Role.DATE,
        "store_id": Role.ID,
        "product_id": Role.ID,
        "stock_level": Role.INTEGER,
    },
}

#: Every contract column's role, by table (columns not named are plain text).
ROLES: Final[Mapping[str, Mapping[str, Role]]] = MappingProxyType(
    {
        name: MappingProxyType({c: _ROLES[name].get(c, Role.TEXT) for c in spec.columns})
        for name, spec in LANDING_FILES.items()
    }
)


def _columns_of(role: Role) -> list[str]:
    """Returns every ``table.column`` of ``role`` in contract order."""
    return [f"{t}.{c}" for t, roles in ROLES.items() for c, r in roles.items() if r is role]


# --- the plan of each table's files ------------------------------------------------------

#: Built-in file aliases written by the ``aliases`` style.
_FILE_ALIASES: Final = MappingProxyType(
    {
        "customers": "customer_details",
        "promotions": "promotion_details",
        "sales_header": "store_sales_header",
        "sales_lines": "store_sales_line_items",
    }
)
#: Header names written by the ``aliases`` style: built-in ones, and ``qty`` (configured).
_HEADER_ALIASES: Final = MappingProxyType(
    {
        "loyalty_rules": {"valid_from": "start_date", "valid_to": "end_date"},
        "sales_lines": {"quantity": "qty"},
    }
)
#: The ``landing.column_aliases`` setting the ``aliases`` style needs.
CONFIGURED_ALIASES: Final = MappingProxyType({"sales_lines.qty": "quantity"})
#: The currencies a dataset may use (one per dataset, picked by seed): mark and ISO code.
_CURRENCIES: Final = (("£", "GBP"), ("$", "USD"), ("€", "EUR"), ("₹", "INR"))
Notation = Literal["symbol", "code_prefix", "code_suffix"]
_NOTATIONS: Final[tuple[Notation, ...]] = ("symbol", "code_prefix", "code_suffix")


@dataclass(frozen=True, slots=True)
class FileStyle:
    """How every file of one table is written in a dataset (the same in every batch).

    ``columns`` are the contract columns in written order and ``headers`` their
    header texts. ``integers`` and ``dates`` give the notation of each integer
    and date column that has one; ``currency`` is the money's mark, ISO code
    and notation.
    """

    table: str
    stem: str
    columns: tuple[str, ...]
    headers: Mapping[str, str]
    styles: frozenset[ExportStyle]
    delimiter: str = ","
    compression: Compression | None = None
    header_case: Literal["upper", "title"] | None = None
    currency: tuple[str, str, Notation] | None = None
    integers: Mapping[str, ExportStyle] = field(default_factory=dict)
    dates: Mapping[str, ExportStyle] = field(default_factory=dict)

    @property
    def decimal_comma(self) -> bool:
        """Whether money (and rates, with money in the table) has a decimal comma (a ``;`` file)."""
        return self.delimiter == ";"

    @property
    def filename(self) -> str:
        """The written file's name: ``customer_details.csv.gz``, ``sales_lines.zip``..."""
        suffix = {"gzip": ".csv.gz", "zip": ".zip", None: ".csv"}[self.compression]
        return self.stem + suffix

    def has(self, style: ExportStyle) -> bool:
        """Whether ``style`` applies to this table's files."""
        return style in self.styles

    @property
    def money_columns(self) -> tuple[str, ...]:
        """The table's money columns."""
        return tuple(c for c, r in ROLES[self.table].items() if r is Role.MONEY)


def _in_turn(chosen: Sequence[ExportStyle], items: Sequence[str]) -> dict[str, ExportStyle]:
    """Returns ``items`` each with one of ``chosen``, in turn (nothing if none is chosen)."""
    return {item: chosen[i % len(chosen)] for i, item in enumerate(items)} if chosen else {}


def _date_notations(styles: frozenset[ExportStyle]) -> dict[str, ExportStyle]:
    """Returns the notation of each date column (``table.column``) that gets one."""
    keys = [*_columns_of(Role.DATETIME), *_columns_of(Role.DATE)]
    chosen = [s for s in _DATE_STYLES if s in styles]
    if S.TWELVE_HOUR in styles and not {S.DAY_FIRST, S.MONTH_FIRST} & styles:
        return {keys[0]: S.MONTH_FIRST} | _in_turn(chosen, keys[1:])
    return _in_turn(chosen, keys)


def file_styles(styles: frozenset[ExportStyle], seed: int) -> dict[str, FileStyle]:
    """Returns how each table's files are written under ``styles`` (all plain if none)."""
    tables = list(LANDING_FILES)
    delimiters = _in_turn([s for s in _DELIMITERS if s in styles], tables)
    compressions = _in_turn([s for s in _COMPRESSIONS if s in styles], tables)
    integers = _in_turn([s for s in _INTEGER_STYLES if s in styles], _columns_of(Role.INTEGER))
    dates = _date_notations(styles)
    mark, code = _CURRENCIES[seed % len(_CURRENCIES)]
    money_tables = [t for t in tables if Role.MONEY in ROLES[t].values()]
    plans = {}
    for number, table in enumerate(tables):
        spec = LANDING_FILES[table]
        columns = spec.columns
        if S.COLUMN_ORDER in styles:
            order = np.random.default_rng([seed, number, 101]).permutation(len(columns))
            columns = tuple(columns[i] for i in order)
        aliases = _HEADER_ALIASES.get(table, {}) if S.ALIASES in styles else {}
        currency = None
        if S.CURRENCY in styles and table in money_tables:
            currency = (mark, code, _NOTATIONS[money_tables.index(table) % len(_NOTATIONS)])
        plans[table] = FileStyle(
            table=table,
            stem=_FILE_ALIASES.get(table, table) if S.ALIASES in styles else table,
            columns=columns,
            headers=MappingProxyType({c: aliases.get(c, c) for c in columns}),
            styles=styles,
            delimiter=_DELIMITERS[delimiters[table]] if table in delimiters else ",",
            compression=_COMPRESSIONS[compressions[table]] if table in compressions else None,
            header_case=("upper", "title")[number % 2] if S.HEADER_CASE in styles else None,
            currency=currency,
            integers=MappingProxyType(
                {c: s for k, s in integers.items() for t, c in [k.split(".")] if t == table}
            ),
            dates=MappingProxyType(
                {c: s for k, s in dates.items() for t, c in [k.split(".")] if t == table}
            ),
        )
    return plans


# --- values -----------------------------------------------------------------------------

#: Share of the present values the ``whitespace`` style pads.
_PADDED_SHARE: Final = 0.3
_CANONICAL_INTEGER: Final = r"^-?\d+$"
_CANONICAL_MONEY: Final = r"^-?\d+\.\d{2}$"
_CANONICAL_DATE: Final = r"^\d{4}-\d{2}-\d{2}$"
_CANONICAL_DATETIME: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
#: Hidden column: how many trailing fields a short row leaves out.
DROPPED: Final = "_dropped"
#: The pseudo-column silver counts a padded short row under.
ROW: Final = "(row)"


@dataclass(frozen=True, slots=True)
class StyledFile:
    """One file's rows as written under a :class:`FileStyle`.

    ``frame`` holds the written text of the contract columns in written order
    (null: an empty field) and ``_dropped``, the number of trailing fields a
    short row leaves out. ``counts`` are the normalisations silver will count
    (``column``, ``kind``, ``rows``; only kinds that occur); ``unproven`` names
    the day-first or month-first columns whose values do not prove their order.
    """

    frame: pl.DataFrame
    counts: pl.DataFrame
    unproven: tuple[str, ...] = ()


@dataclass(slots=True)
class _Column:
    """One column being restyled: its text and the normalisations it now holds."""

    text: pl.Expr
    flags: dict[NormalisationKind, pl.Expr] = field(default_factory=dict)

    def restyle(self, where: pl.Expr, text: pl.Expr, *kinds: NormalisationKind) -> None:
        self.text = pl.when(where).then(text).otherwise(self.text)
        for kind in kinds:
            self.flags[kind] = self.flags.get(kind, pl.lit(False)) | where.fill_null(False)


def _variant(rng: np.random.Generator, count: int, rows: int) -> pl.Series:
    """Returns a random variant number in ``0..count-1`` per row."""
    return pl.Series(rng.integers(0, count, rows), dtype=pl.Int8)


def _grouped(digits: pl.Expr, separator: str) -> pl.Expr:
    """Returns whole-number digits grouped by three: ``1234567`` → ``1,234,567``."""
    return (
        digits.str.reverse()
        .str.replace_all(r"(\d{3})", "${1}" + separator)
        .str.strip_suffix(separator)
        .str.reverse()
    )


def _integer(column: _Column, style: ExportStyle | None) -> None:
    """``3`` as ``3.0`` (integral floats) or ``0003`` (leading zeros)."""
    value = column.text
    canonical = value.str.contains(_CANONICAL_INTEGER)
    if style is S.INTEGRAL_FLOATS:
        column.restyle(canonical, value + ".0", NormalisationKind.INTEGRAL_FLOAT)
    elif style is S.LEADING_ZEROS:
        sign = pl.when(value.str.starts_with("-")).then(pl.lit("-")).otherwise(pl.lit(""))
        digits = value.str.strip_prefix("-")
        column.restyle(canonical, sign + "0" + digits.str.zfill(3), NormalisationKind.LEADING_ZEROS)


def _money(column: _Column, style: FileStyle) -> None:
    """Money with a currency mark, thousands groups and, in a ``;`` file, a decimal comma.

    A non-canonical amount (an anomaly) in a decimal-comma file is written in
    that file's locale so it stays unreadable: ``.`` and ``,`` swap (``12,345``,
    ``1,2,3``), and ``12,50`` (readable there) gains a third decimal, ``12,500``.
    """
    value = column.text
    comma = style.decimal_comma
    if not (comma or style.currency):
        return
    canonical = value.str.contains(_CANONICAL_MONEY)
    negative = value.str.starts_with("-")
    sign = pl.when(negative).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = value.str.strip_prefix("-").str.extract(r"^(\d+)\.")
    cents = value.str.extract(r"\.(\d{2})$")
    grouped = whole.str.len_chars() > 3
    number = _grouped(whole, "." if comma else ",") + ("," if comma else ".") + cents
    if style.currency is not None:
        mark, code, notation = style.currency
        if notation == "symbol" and comma:
            number = number + " " + mark
        elif notation == "symbol":
            number = mark + number
        elif notation == "code_prefix":
            number = code + " " + number
        else:
            number = number + " " + code
    text = sign + number
    if comma:
        swapped = (
            value.str.replace_all(".", "\x00", literal=True)
            .str.replace_all(",", ".", literal=True)
            .str.replace_all("\x00", ",", literal=True)
        )
        unreadable = (
            pl.when(value.str.contains(r"^-?\d+,\d{1,2}$")).then(value + "0").otherwise(swapped)
        )
        column.restyle(value.is_not_null() & canonical.not_(), unreadable)
        column.restyle(canonical, text, NormalisationKind.DECIMAL_COMMA)
    else:
        column.restyle(canonical, text)
    if style.currency is not None:
        column.flags[NormalisationKind.CURRENCY_MARK] = canonical
    column.flags[NormalisationKind.THOUSANDS_SEPARATOR] = canonical & grouped


def _rate_with_comma(column: _Column) -> None:
    """A rate with decimals in a decimal-comma file (its table is read so): ``1.5`` → ``1,5``."""
    value = column.text
    decimals = value.str.contains(r"^[+-]?\d+\.\d+$")
    column.restyle(
        decimals, value.str.replace(".", ",", literal=True), NormalisationKind.DECIMAL_COMMA
    )


def _date(column: _Column, notation: ExportStyle, variant: pl.Expr) -> None:
    """A date as a date-time at midnight, ``2026/10/31``, ``31/10/2026`` or ``10/31/2026``."""
    value = column.text
    canonical = value.str.contains(_CANONICAL_DATE)
    valid = value.str.strptime(pl.Date, "%Y-%m-%d", strict=False).is_not_null()
    year, month, day = value.str.slice(0, 4), value.str.slice(5, 2), value.str.slice(8, 2)
    if notation is S.ISO_DATETIMES:
        stamp = (
            pl.when(variant == 0)
            .then(value + "T00:00:00")
            .when(variant == 1)
            .then(value + " 00:00:00")
            .when(variant == 2)
            .then(value + "T00:00:00Z")
            .otherwise(value + "T00:00:00.000")
        )
        column.restyle(canonical, stamp)
        column.flags[NormalisationKind.DATETIME_AS_DATE] = (canonical & valid).fill_null(False)
    elif notation is S.YEAR_FIRST_SLASHES:
        column.restyle(canonical, pl.format("{}/{}/{}", year, month, day))
        column.flags[NormalisationKind.YEAR_FIRST_SLASHES] = (canonical & valid).fill_null(False)
    elif notation is S.DAY_FIRST:
        separator = pl.when(variant == 0).then(pl.lit(".")).otherwise(pl.lit("/"))
        day_first = pl.concat_str(day, separator, month, separator, year)
        column.restyle(canonical, day_first, NormalisationKind.DAY_FIRST_DATE)
    elif notation is S.MONTH_FIRST:
        month_first = pl.format("{}/{}/{}", _unpadded(month), _unpadded(day), year)
        column.restyle(canonical, month_first, NormalisationKind.MONTH_FIRST_DATE)


def _unpadded(part: pl.Expr) -> pl.Expr:
    """Returns digits without leading zeros (``05`` → ``5``), as Excel writes US dates."""
    return part.cast(pl.Int32).cast(pl.String)


def _datetime(
    column: _Column, notation: ExportStyle | None, variant: pl.Expr, *, twelve_hour: bool
) -> None:
    """A date-time with a space or fractional seconds, with slashes, day- or month-first."""
    value = column.text
    canonical = value.str.contains(_CANONICAL_DATETIME)
    valid = value.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False)
    year, month, day = value.str.slice(0, 4), value.str.slice(5, 2), value.str.slice(8, 2)
    clock = value.str.slice(11, 8)
    if twelve_hour and notation in (S.DAY_FIRST, S.MONTH_FIRST):
        hour = value.str.slice(11, 2).cast(pl.Int32)
        meridiem = pl.when(hour < 12).then(pl.lit("AM")).otherwise(pl.lit("PM"))
        clock = pl.format("{}{} {}", (hour + 11) % 12 + 1, value.str.slice(13, 6), meridiem)
        column.flags[NormalisationKind.TWELVE_HOUR_CLOCK] = canonical.fill_null(False)
    if notation is S.ISO_DATETIMES:
        date = value.str.slice(0, 10)
        text = (
            pl.when(variant == 0)
            .then(value)
            .when(variant == 1)
            .then(date + " " + clock)
            .when(variant == 2)
            .then(value + ".000")
            .otherwise(date + " " + clock + ".000000")
        )
        column.restyle(canonical, text)
    elif notation is S.YEAR_FIRST_SLASHES:
        column.restyle(canonical, pl.format("{}/{}/{} {}", year, month, day, clock))
        flag = (canonical & valid.is_not_null()).fill_null(False)
        column.flags[NormalisationKind.YEAR_FIRST_SLASHES] = flag
    elif notation is S.DAY_FIRST:
        text = pl.format("{}/{}/{} {}", day, month, year, clock)
        column.restyle(canonical, text, NormalisationKind.DAY_FIRST_DATE)
    elif notation is S.MONTH_FIRST:
        text = pl.format("{}/{}/{} {}", _unpadded(month), _unpadded(day), year, clock)
        column.restyle(canonical, text, NormalisationKind.MONTH_FIRST_DATE)


def _order_proven(text: pl.Series, notation: ExportStyle) -> bool:
    """Whether a file's day-first (month-first) column proves its order, as silver decides.

    One value's day above 12 and no value's month above 12 prove it; a column
    with no such value at all needs no proof.
    """
    parts = text.str.extract_groups(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-]\d{4}")
    first = parts.struct.field("1").cast(pl.Int32)
    second = parts.struct.field("2").cast(pl.Int32)
    if first.null_count() == first.len():
        return True
    day, month = (first, second) if notation is S.DAY_FIRST else (second, first)
    return bool((day > 12).any()) and not bool((month > 12).any())


def _value_columns(style: FileStyle) -> dict[str, _Column]:
    """Returns each column's restyled text and flags, as expressions over the plain text."""
    roles = ROLES[style.table]
    variant = pl.col("_variant")
    columns = {c: _Column(pl.col(c)) for c in style.columns}
    for name, column in columns.items():
        role = roles[name]
        if role is Role.INTEGER:
            _integer(column, style.integers.get(name))
        elif role is Role.ID and style.has(S.INTEGRAL_FLOATS):
            canonical = pl.col(name).str.contains(r"^\d+$")
            column.restyle(canonical, pl.col(name) + ".0", NormalisationKind.INTEGRAL_FLOAT)
        elif role is Role.MONEY:
            _money(column, style)
        elif role is Role.RATE and style.decimal_comma and style.money_columns:
            _rate_with_comma(column)
        elif role is Role.DATE and name in style.dates:
            _date(column, style.dates[name], variant)
        elif role is Role.DATETIME:
            twelve = style.has(S.TWELVE_HOUR)
            _datetime(column, style.dates.get(name), variant, twelve_hour=twelve)
    return columns


def _flag(name: str, kind: NormalisationKind) -> str:
    """Returns the name of the hidden flag column of a normalisation, ``_n|column|KIND``."""
    return f"_n|{name}|{kind.value}"


def _applied(work: pl.DataFrame, columns: Mapping[str, _Column]) -> pl.DataFrame:
    """Returns ``work`` with each column's new text and flags, all computed on the old text."""
    flags = {
        _flag(name, kind): expr.fill_null(False)
        for name, column in columns.items()
        for kind, expr in column.flags.items()
    }
    return work.with_columns(
        *(column.text.alias(name) for name, column in columns.items()), **flags
    )


def styled_file(
    frame: pl.DataFrame, style: FileStyle, rng: np.random.Generator, *, token: str
) -> StyledFile:
    """Returns ``frame`` (contract columns as text) written under ``style``.

    ``token`` is the null token this file writes for a missing value (with
    ``null_tokens``). Random choices (which values are padded, which
    date-time variant) come from ``rng``.
    """
    work = frame.select(
        pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in style.columns
    ).with_columns(_variant(rng, 4, frame.height).alias("_variant"))
    work = _applied(work, _value_columns(style))
    unproven = tuple(
        name
        for name, notation in style.dates.items()
        if notation in (S.DAY_FIRST, S.MONTH_FIRST) and not _order_proven(work[name], notation)
    )
    work = _with_dropped(work, style)
    work = _applied(work, _missing_and_padded(work, style, rng, token=token))
    work = work.with_columns((pl.col(DROPPED) > 0).alias(_flag(ROW, NormalisationKind.PADDED_ROW)))
    flags = [c for c in work.columns if c.startswith("_n|")]
    counts = (
        work.select(pl.col(flags).sum())
        .unpivot(variable_name="_flag", value_name="rows")
        .filter(pl.col("rows") > 0)
        .select(
            pl.col("_flag").str.split("|").list.get(1).alias("column"),
            pl.col("_flag").str.split("|").list.get(2).alias("kind"),
            pl.col("rows").cast(pl.Int64),
        )
    )
    return StyledFile(frame=work.select(*style.columns, DROPPED), counts=counts, unproven=unproven)


def _with_dropped(work: pl.DataFrame, style: FileStyle) -> pl.DataFrame:
    """Adds ``_dropped``: how many empty trailing optional fields a short row leaves out."""
    if not style.has(S.SHORT_ROWS):
        return work.with_columns(pl.lit(0, pl.Int32).alias(DROPPED))
    required = LANDING_FILES[style.table].required
    last_required = max(i for i, c in enumerate(style.columns) if c in required)
    dropped: pl.Expr = pl.lit(0, pl.Int32)
    run: pl.Expr = pl.lit(True)
    for name in reversed(style.columns[last_required + 1 :]):
        run = run & pl.col(name).is_null()
        dropped = dropped + run.cast(pl.Int32)
    return work.with_columns(dropped.alias(DROPPED))


def _missing_and_padded(
    work: pl.DataFrame, style: FileStyle, rng: np.random.Generator, *, token: str
) -> dict[str, _Column]:
    """Each column with a null token for a missing kept field, and some values padded.

    A dropped field (a short row's) stays out. Padding a null token is no
    whitespace normalisation: the value is still missing.
    """
    width = len(style.columns)
    columns = {}
    for position, name in enumerate(style.columns):
        column = _Column(pl.col(name))
        present = pl.col(name).is_not_null()
        if style.has(S.NULL_TOKENS):
            kept = pl.lit(width) - pl.col(DROPPED) > position
            column.restyle(present.not_() & kept, pl.lit(token), NormalisationKind.NULL_TOKEN)
        if style.has(S.WHITESPACE):
            padded = pl.lit(pl.Series(rng.random(work.height) < _PADDED_SHARE))
            side = pl.lit(pl.Series(rng.integers(0, 3, work.height)))
            text = column.text
            spaced = (
                pl.when(side == 0)
                .then(" " + text)
                .when(side == 1)
                .then(text + "  ")
                .otherwise("  " + text + " ")
            )
            column.restyle(padded & text.is_not_null(), spaced)
            column.flags[NormalisationKind.WHITESPACE] = padded & present
        columns[name] = column
    return columns


def null_token(seed: int, batch: int, table: str) -> str:
    """Returns the null token one file writes (pandas writes one ``na_rep`` per file)."""
    return NULL_TOKENS[(seed + 3 * batch + list(LANDING_FILES).index(table)) % len(NULL_TOKENS)]


def file_rng(seed: int, batch: int, table: str) -> np.random.Generator:
    """Returns the random generator of one file's styled values."""
    return np.random.default_rng([seed, batch, list(LANDING_FILES).index(table), 7])
