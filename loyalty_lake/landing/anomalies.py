"""Injected data-quality anomalies for the synthetic landing data, with ground truth.

The generator first builds a clean history as :class:`LandingTable` objects
(one per landing file: hidden typed columns plus one text expression per
contract column). The functions here corrupt a small, seeded share of rows,
one knob per anomaly kind (:class:`AnomalyRates`), and record every corrupted
row in the table's ``truth`` frame so the writer can emit ``_ground_truth.csv``
with the row numbers of the files as written.

A corruption is one of three things:

- an *override*: the text of one column of one row is replaced (``N/A``,
  an unknown id, an empty string ...);
- a *copy*: a row is repeated directly after its original, possibly with a
  changed non-key value (the copy is the corrupted row);
- both, where a kind must keep other values consistent (an outlier changes a
  line's quantity and amount and its header's total, but only the line is
  recorded).

Sales anomalies never share a transaction: every corrupted transaction carries
exactly one injected anomaly, and only the injected row is recorded.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from loyalty_lake.codes import Reason

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import date

    from loyalty_lake.landing.contract import LandingFile

logger = logging.getLogger(__name__)

#: Hidden column: the row's position in its table's history order.
ORD: Final = "_ord"
#: Hidden column: 0 for an original row, 1 for an inserted copy.
DUP: Final = "_dup"
#: Hidden column: the day index (0 = first day of the window) a row belongs to.
DAY: Final = "_day"
_KEY: Final = [ORD, DUP]
_TEXT_PREFIX: Final = "_text_"

#: Largest share of rows any single anomaly kind may corrupt.
MAX_RATE: Final = 0.2


@dataclass(frozen=True, kw_only=True, slots=True)
class AnomalyRates:
    """Share of eligible rows corrupted, one knob per kind (0 = none).

    A rate is applied to the row count of every file the kind can corrupt
    (``round(rate * rows)`` rows per file), the rows being drawn without
    replacement from the rows where the kind makes sense. Each rate must lie
    in ``[0, 0.2]``.
    """

    missing_required: float = 0.002
    duplicate_row: float = 0.002
    duplicate_key: float = 0.001
    unknown_product: float = 0.001
    unknown_store: float = 0.001
    unknown_customer: float = 0.001
    unknown_promotion: float = 0.001
    nonpositive_value: float = 0.001
    unparseable_number: float = 0.001
    unparseable_date: float = 0.001
    future_date: float = 0.001
    total_mismatch: float = 0.001
    outlier: float = 0.001
    redemption_over_balance: float = 0.01

    @classmethod
    def none(cls) -> AnomalyRates:
        """All rates zero: a clean batch."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def items(self) -> tuple[tuple[str, float], ...]:
        """Returns ``(kind, rate)`` pairs in declaration order."""
        return tuple((f.name, getattr(self, f.name)) for f in fields(self))


#: The reject reason each anomaly kind must produce.
EXPECTED_REASON: Mapping[str, Reason] = MappingProxyType(
    {
        "missing_required": Reason.NULL_REQUIRED,
        "duplicate_row": Reason.DUPLICATE,
        "duplicate_key": Reason.DUPLICATE,
        "unknown_product": Reason.UNKNOWN_PRODUCT,
        "unknown_store": Reason.UNKNOWN_STORE,
        "unknown_customer": Reason.UNKNOWN_CUSTOMER,
        "unknown_promotion": Reason.UNKNOWN_PROMOTION,
        "nonpositive_value": Reason.NEGATIVE_OR_ZERO,
        "unparseable_number": Reason.INVALID_TYPE,
        "unparseable_date": Reason.INVALID_TYPE,
        "future_date": Reason.INVALID_DATE,
        "total_mismatch": Reason.TOTAL_MISMATCH,
        "outlier": Reason.OUTLIER,
        "redemption_over_balance": Reason.INSUFFICIENT_POINTS,
    }
)

#: Columns of ``_ground_truth.csv``, in order.
GROUND_TRUTH_COLUMNS: Final = (
    "file",
    "row_number",
    "kind",
    "column",
    "expected_reason",
    "transaction_id",
    "detail",
)

_TRUTH_SCHEMA: Final = pl.Schema(
    {
        ORD: pl.Int64,
        DUP: pl.Int8,
        "kind": pl.String,
        "column": pl.String,
        "expected_reason": pl.String,
        "transaction_id": pl.String,
        "detail": pl.String,
    }
)
_OVERRIDE_SCHEMA: Final = pl.Schema(
    {ORD: pl.Int64, DUP: pl.Int8, "column": pl.String, "value": pl.String}
)


# --- text formats -------------------------------------------------------------


def id_text(prefix: str, width: int, column: str) -> pl.Expr:
    """Returns the text of a numeric id column, e.g. ``T000000042``; null stays null."""
    return pl.lit(prefix) + pl.col(column).cast(pl.String).str.zfill(width)


def money_text(cents: pl.Expr) -> pl.Expr:
    """Returns the text of a non-negative amount in integer cents, e.g. ``12.50``."""
    return (cents // 100).cast(pl.String) + "." + (cents % 100).cast(pl.String).str.zfill(2)


def _random_id_text(rng: np.random.Generator, prefix: str, width: int, n: int) -> pl.Series:
    """Returns ``n`` ids ``prefix`` + ``width`` random digits (never a generated id)."""
    numbers = pl.Series(rng.integers(0, 10**width, n))
    return pl.select(pl.lit(prefix) + numbers.cast(pl.String).str.zfill(width)).to_series()


# --- tables ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LandingTable:
    """The rows of one landing file over the whole history, before writing.

    ``frame`` holds one row per written row, in file order, with the hidden
    columns ``_ord`` (history position; equal to the row index until copies
    are inserted), ``_dup`` and ``_day`` plus whatever typed or text columns
    ``text`` needs. ``text`` maps every contract column, in canonical order,
    to the expression producing its text. ``overrides`` holds replaced texts
    (``_ord``, ``_dup``, ``_text_<column>`` ...) and ``truth`` the ground truth
    of the corrupted rows.
    """

    spec: LandingFile
    frame: pl.DataFrame
    text: Mapping[str, pl.Expr]
    overrides: pl.DataFrame | None = None
    truth: pl.DataFrame = field(default_factory=_TRUTH_SCHEMA.to_frame)

    def rows_text(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Returns ``rows`` (a slice of ``frame``) with every contract column as text."""
        return rows.with_columns(expr.alias(name) for name, expr in self.text.items())

    def written(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Returns the contract columns, as text with overrides applied, of ``frame``'s rows."""
        overridden: set[str] = set()
        if self.overrides is not None:
            frame = frame.join(self.overrides.lazy(), on=_KEY, how="left", maintain_order="left")
            overridden = {c.removeprefix(_TEXT_PREFIX) for c in self.overrides.columns}
        return frame.select(
            (pl.coalesce(pl.col(_TEXT_PREFIX + name), expr) if name in overridden else expr).alias(
                name
            )
            for name, expr in self.text.items()
        )

    def corrupted(self, pieces: Sequence[Piece]) -> LandingTable:
        """Returns this table with the copies, overrides and truth of ``pieces`` applied."""
        mine = [p for p in pieces if p.file == self.spec.name]
        if not mine:
            return self
        frame = self.frame
        copies = [p.copies for p in mine if p.copies is not None and p.copies.height]
        if copies:
            frame = _with_copies(frame, pl.concat([c.select(frame.columns) for c in copies]))
        overrides = pl.concat([p.overrides for p in mine])
        truth = pl.concat([self.truth, *(p.truth for p in mine)]).sort(_KEY)
        return replace(
            self,
            frame=frame,
            overrides=_wide_overrides(overrides, self.overrides),
            truth=truth,
        )


def _with_copies(frame: pl.DataFrame, copies: pl.DataFrame) -> pl.DataFrame:
    """Returns ``frame`` (sorted by ``_ord``) with each copy after the rows of its ``_ord``."""
    copies = copies.sort(_KEY)
    after = np.searchsorted(frame[ORD].to_numpy(), copies[ORD].to_numpy(), side="right")
    inserted = np.arange(frame.height, frame.height + copies.height)
    order = np.insert(np.arange(frame.height), after, inserted)
    return pl.concat([frame, copies]).select(pl.all().gather(pl.Series(order)))


def _wide_overrides(long: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame | None:
    """Returns one row per overridden row and one ``_text_<column>`` column per column."""
    if previous is not None:
        long = pl.concat([_long_overrides(previous), long])
    if not long.height:
        return None
    wide = long.select(_KEY).unique(maintain_order=True)
    for column in long["column"].unique(maintain_order=True):
        values = long.filter(pl.col("column") == column).select(
            *_KEY, pl.col("value").alias(_TEXT_PREFIX + column)
        )
        wide = wide.join(values, on=_KEY, how="left", maintain_order="left")
    return wide


def _long_overrides(wide: pl.DataFrame) -> pl.DataFrame:
    """Returns wide overrides back in the long ``column``/``value`` form."""
    return (
        wide.unpivot(index=_KEY, variable_name="column", value_name="value")
        .drop_nulls("value")
        .with_columns(pl.col("column").str.strip_prefix(_TEXT_PREFIX))
        .select(_OVERRIDE_SCHEMA.names())
    )


@dataclass(frozen=True, slots=True)
class Piece:
    """The corruption one anomaly kind makes in one file.

    ``copies`` are rows to insert (same columns as the table's frame, ``_dup``
    = 1), ``overrides`` replaced texts in long form (``_ord``, ``_dup``,
    ``column``, ``value``) and ``truth`` the recorded rows.
    """

    file: str
    overrides: pl.DataFrame
    truth: pl.DataFrame
    copies: pl.DataFrame | None = None


def _overrides(rows: pl.DataFrame, column: pl.Expr, value: pl.Expr, dup: int = 0) -> pl.DataFrame:
    """Returns override rows: for each of ``rows``, ``column`` gets the text ``value``."""
    return rows.select(
        pl.col(ORD).cast(pl.Int64),
        pl.lit(dup, pl.Int8).alias(DUP),
        column.cast(pl.String).alias("column"),
        value.cast(pl.String).alias("value"),
    )


def _truth(
    rows: pl.DataFrame,
    *,
    kind: str,
    column: pl.Expr | None,
    detail: pl.Expr,
    dup: int = 0,
) -> pl.DataFrame:
    """Returns ground-truth rows for ``rows`` corrupted by ``kind``."""
    tx = pl.col("transaction_id") if "transaction_id" in rows.columns else pl.lit(None)
    return rows.select(
        pl.col(ORD).cast(pl.Int64),
        pl.lit(dup, pl.Int8).alias(DUP),
        pl.lit(kind).alias("kind"),
        (column if column is not None else pl.lit(None)).cast(pl.String).alias("column"),
        pl.lit(EXPECTED_REASON[kind].value).alias("expected_reason"),
        tx.cast(pl.String).alias("transaction_id"),
        detail.cast(pl.String).alias("detail"),
    )


def _no_overrides() -> pl.DataFrame:
    """Returns an empty long overrides frame."""
    return _OVERRIDE_SCHEMA.to_frame()


def _pick(rng: np.random.Generator, options: Sequence[str], n: int) -> pl.Series:
    """Returns ``n`` random choices of ``options`` as a String series."""
    return pl.Series(
        np.asarray(options, dtype=object)[rng.integers(0, len(options), n)], dtype=pl.String
    )


def _variant(rng: np.random.Generator, variants: int, n: int) -> pl.Series:
    """Returns ``n`` random variant numbers in ``0..variants-1``."""
    return pl.Series("_variant", rng.integers(0, variants, n), dtype=pl.Int8)


def _when_variant(cases: Sequence[pl.Expr]) -> pl.Expr:
    """Returns ``cases[v]`` for each row's ``_variant`` ``v``."""
    expr = cases[-1]
    for number in range(len(cases) - 2, -1, -1):
        expr = pl.when(pl.col("_variant") == number).then(cases[number]).otherwise(expr)
    return expr


def _quoted(column: str | pl.Expr, value: pl.Expr) -> pl.Expr:
    """Returns a detail text such as ``quantity '0'``."""
    name = pl.lit(column) if isinstance(column, str) else column
    return pl.format("{} '{}'", name, value)


def share_count(rate: float, rows: int) -> int:
    """Returns how many of ``rows`` rows a rate corrupts (rounded half up)."""
    return math.floor(rate * rows + 0.5)


# --- sales ------------------------------------------------------------------------

_HEADER: Final = "sales_header"
_LINES: Final = "sales_lines"


@dataclass(frozen=True, slots=True)
class _SalesContext:
    """What the sales anomaly builders need besides their target rows."""

    rng: np.random.Generator
    header: LandingTable
    lines: LandingTable
    end_year: int


def _missing_in_header(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a header with a blank store_id, transaction_date or total_amount."""
    rows = rows.with_columns(
        _pick(ctx.rng, ("store_id", "transaction_date", "total_amount"), rows.height).alias("_col")
    )
    return [_blank_piece(_HEADER, rows)]


def _missing_in_lines(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a line with a blank product_id, quantity or line_item_amount."""
    rows = rows.with_columns(
        _pick(ctx.rng, ("product_id", "quantity", "line_item_amount"), rows.height).alias("_col")
    )
    return [_blank_piece(_LINES, rows)]


def _blank_piece(file: str, rows: pl.DataFrame) -> Piece:
    """Returns the piece blanking column ``_col`` of each of ``rows``."""
    return Piece(
        file=file,
        overrides=_overrides(rows, pl.col("_col"), pl.lit("")),
        truth=_truth(
            rows,
            kind="missing_required",
            column=pl.col("_col"),
            detail=pl.format("{} is empty", pl.col("_col")),
        ),
    )


def _exact_copy(file: str, kind: str) -> Callable[[pl.DataFrame, _SalesContext], list[Piece]]:
    """Returns a builder inserting an exact copy of each target row after it."""

    def build(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
        return [_copy_piece(file, rows, kind)]

    return build


def _copy_piece(file: str, rows: pl.DataFrame, kind: str, detail: pl.Expr | None = None) -> Piece:
    """Returns the piece inserting ``rows`` (with ``_dup`` = 1) as recorded copies."""
    copies = rows.with_columns(pl.lit(1, pl.Int8).alias(DUP))
    text = detail if detail is not None else pl.lit("exact copy of the previous row")
    return Piece(
        file=file,
        overrides=_no_overrides(),
        truth=_truth(rows, kind=kind, column=None, detail=text, dup=1),
        copies=copies,
    )


def _line_cents(price: pl.Expr, quantity: pl.Expr, discount: pl.Expr) -> pl.Expr:
    """Returns a line amount in cents: price × quantity × (1 − discount %), half up."""
    return (price * quantity * (100 - discount) + 50) // 100


def _line_key_copy(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a line copy with the same key but another quantity and amount."""
    bump = pl.Series(ctx.rng.integers(1, 4, rows.height))
    changed = rows.with_columns((pl.col("_qty") + bump).alias("_new_qty")).with_columns(
        _line_cents(pl.col("_price"), pl.col("_new_qty"), pl.col("_discount")).alias("_new_cents")
    )
    detail = pl.format(
        "same key as the previous row; quantity {} instead of {}",
        pl.col("_new_qty"),
        pl.col("_qty"),
    )
    piece = _copy_piece(_LINES, changed, "duplicate_key", detail)
    copies = changed.with_columns(
        pl.lit(1, pl.Int8).alias(DUP),
        pl.col("_new_qty").cast(ctx.lines.frame.schema["_qty"]).alias("_qty"),
        pl.col("_new_cents").cast(ctx.lines.frame.schema["_cents"]).alias("_cents"),
    )
    return [replace(piece, copies=copies)]


def _unknown_id(
    file: str, column: str, prefix: str, width: int
) -> Callable[[pl.DataFrame, _SalesContext], list[Piece]]:
    """Returns a builder replacing ``column`` by an id that no master row has."""
    kind = f"unknown_{column.removesuffix('_id')}"

    def build(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
        rows = rows.with_columns(_random_id_text(ctx.rng, prefix, width, rows.height).alias("_new"))
        return [
            Piece(
                file=file,
                overrides=_overrides(rows, pl.lit(column), pl.col("_new")),
                truth=_truth(
                    rows,
                    kind=kind,
                    column=pl.lit(column),
                    detail=pl.format("{} '{}' does not exist", pl.lit(column), pl.col("_new")),
                ),
            )
        ]

    return build


def _nonpositive_line(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a line whose quantity or amount is zero or negative."""
    rows = rows.with_columns(_variant(ctx.rng, 4, rows.height))
    column = _when_variant([pl.lit("quantity")] * 2 + [pl.lit("line_item_amount")] * 2)
    value = _when_variant(
        [
            pl.lit("0"),
            pl.lit("-") + pl.col("quantity"),
            pl.lit("0.00"),
            pl.lit("-") + pl.col("line_item_amount"),
        ]
    )
    return [_value_piece(_LINES, rows, "nonpositive_value", column, value)]


def _value_piece(
    file: str, rows: pl.DataFrame, kind: str, column: pl.Expr, value: pl.Expr
) -> Piece:
    """Returns the piece replacing ``column`` by ``value`` with a ``column 'value'`` detail."""
    rows = rows.with_columns(column.alias("_col"), value.alias("_new"))
    return Piece(
        file=file,
        overrides=_overrides(rows, pl.col("_col"), pl.col("_new")),
        truth=_truth(
            rows, kind=kind, column=pl.col("_col"), detail=_quoted(pl.col("_col"), pl.col("_new"))
        ),
    )


def _comma_decimal(column: str) -> pl.Expr:
    """Returns ``column``'s amount text with a decimal comma, e.g. ``12,50``."""
    return pl.col(column).str.replace(".", ",", literal=True)


def _unparseable_line(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a line whose quantity or amount is not a number."""
    rows = rows.with_columns(_variant(ctx.rng, 5, rows.height))
    column = _when_variant([pl.lit("quantity")] * 2 + [pl.lit("line_item_amount")] * 3)
    value = _when_variant(
        [
            pl.lit("two"),
            pl.lit("N/A"),
            _comma_decimal("line_item_amount"),
            pl.lit("1.2.3"),
            pl.lit("N/A"),
        ]
    )
    return [_value_piece(_LINES, rows, "unparseable_number", column, value)]


def _unparseable_total(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a header whose total_amount is not a number."""
    rows = rows.with_columns(_variant(ctx.rng, 3, rows.height))
    value = _when_variant([_comma_decimal("total_amount"), pl.lit("N/A"), pl.lit("1.2.3")])
    return [_value_piece(_HEADER, rows, "unparseable_number", pl.lit("total_amount"), value)]


def _unparseable_date(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a header whose transaction_date is not an ISO date."""
    rows = rows.with_columns(_variant(ctx.rng, 3, rows.height))
    value = _when_variant(
        [
            pl.col("_ts").dt.strftime("%d/%m/%Y"),
            pl.col("_ts").dt.strftime("%Y-02-30T%H:%M:%S"),
            pl.lit("not a date"),
        ]
    )
    return [_value_piece(_HEADER, rows, "unparseable_date", pl.lit("transaction_date"), value)]


def _future_date(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a header dated 50 to 80 years after the end of the history."""
    years = pl.Series(ctx.rng.integers(ctx.end_year + 51, ctx.end_year + 81, rows.height))
    value = (years.cast(pl.String) + pl.col("_ts").dt.strftime("-%m-%dT%H:%M:%S")).str.replace(
        "-02-29T", "-02-28T", literal=True
    )
    rows = rows.with_columns(value.alias("_new"))
    return [
        Piece(
            file=_HEADER,
            overrides=_overrides(rows, pl.lit("transaction_date"), pl.col("_new")),
            truth=_truth(
                rows,
                kind="future_date",
                column=pl.lit("transaction_date"),
                detail=pl.format("transaction_date '{}' is in the future", pl.col("_new")),
            ),
        )
    ]


def _total_mismatch(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a header whose total differs from its lines by 1.00 to 50.00."""
    delta = pl.Series(ctx.rng.integers(100, 5001, rows.height))
    lower = pl.Series(ctx.rng.random(rows.height) < 0.5)
    new = (
        pl.when(lower & (pl.col("_total") - delta > 0))
        .then(pl.col("_total") - delta)
        .otherwise(pl.col("_total") + delta)
    )
    rows = rows.with_columns(money_text(new).alias("_new"))
    return [
        Piece(
            file=_HEADER,
            overrides=_overrides(rows, pl.lit("total_amount"), pl.col("_new")),
            truth=_truth(
                rows,
                kind="total_mismatch",
                column=pl.lit("total_amount"),
                detail=pl.format(
                    "total_amount {} but its lines sum to {}",
                    pl.col("_new"),
                    pl.col("total_amount"),
                ),
            ),
        )
    ]


def _outlier(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a line with a 50-100× quantity (≥ 200), amount and header total kept consistent."""
    factor = pl.Series(ctx.rng.integers(50, 101, rows.height))
    rows = rows.with_columns(
        pl.max_horizontal(pl.col("_qty") * factor, pl.lit(200)).alias("_new_qty")
    ).with_columns(
        _line_cents(pl.col("_price"), pl.col("_new_qty"), pl.col("_discount")).alias("_new_cents")
    )
    header_rows = ctx.header.frame[(rows["_tx"] - 1).to_numpy()]
    header_rows = header_rows.with_columns(
        money_text(pl.col("_total") + (rows["_new_cents"] - rows["_cents"])).alias("_new")
    )
    line_overrides = pl.concat(
        [
            _overrides(rows, pl.lit("quantity"), pl.col("_new_qty").cast(pl.String)),
            _overrides(rows, pl.lit("line_item_amount"), money_text(pl.col("_new_cents"))),
        ]
    )
    return [
        Piece(
            file=_LINES,
            overrides=line_overrides,
            truth=_truth(
                rows,
                kind="outlier",
                column=pl.lit("quantity"),
                detail=pl.format("quantity {} (was {})", pl.col("_new_qty"), pl.col("_qty")),
            ),
        ),
        Piece(
            file=_HEADER,
            overrides=_overrides(header_rows, pl.lit("total_amount"), pl.col("_new")),
            truth=_TRUTH_SCHEMA.to_frame(),
        ),
    ]


#: Every (kind, file) the sales files can carry, with its builder, in draw order.
_SALES_JOBS: Final[
    tuple[tuple[str, str, Callable[[pl.DataFrame, _SalesContext], list[Piece]]], ...]
] = (
    ("missing_required", _HEADER, _missing_in_header),
    ("missing_required", _LINES, _missing_in_lines),
    ("duplicate_row", _HEADER, _exact_copy(_HEADER, "duplicate_row")),
    ("duplicate_row", _LINES, _exact_copy(_LINES, "duplicate_row")),
    ("duplicate_key", _LINES, _line_key_copy),
    ("unknown_product", _LINES, _unknown_id(_LINES, "product_id", "P9", 5)),
    ("unknown_store", _HEADER, _unknown_id(_HEADER, "store_id", "S9", 2)),
    ("unknown_customer", _HEADER, _unknown_id(_HEADER, "customer_id", "C9", 7)),
    ("unknown_promotion", _LINES, _unknown_id(_LINES, "promotion_id", "PR9", 2)),
    ("nonpositive_value", _LINES, _nonpositive_line),
    ("unparseable_number", _LINES, _unparseable_line),
    ("unparseable_number", _HEADER, _unparseable_total),
    ("unparseable_date", _HEADER, _unparseable_date),
    ("future_date", _HEADER, _future_date),
    ("total_mismatch", _HEADER, _total_mismatch),
    ("outlier", _LINES, _outlier),
)


def _sales_counts(
    rates: AnomalyRates, header_rows: int, line_rows: int, available: int
) -> list[int]:
    """Returns how many transactions each sales job corrupts, scaled to fit ``available``."""
    rows = {_HEADER: header_rows, _LINES: line_rows}
    counts = [share_count(getattr(rates, kind), rows[file]) for kind, file, _ in _SALES_JOBS]
    wanted = sum(counts)
    if wanted > available:
        logger.warning(
            "Anomaly rates ask for %d corrupted transactions but only %d are eligible; "
            "scaling every sales anomaly count down",
            wanted,
            available,
        )
        counts = [math.floor(c * available / wanted) for c in counts]
    return counts


def corrupt_sales(
    header: LandingTable,
    lines: LandingTable,
    rates: AnomalyRates,
    rng: np.random.Generator,
    *,
    end_date: date,
) -> tuple[LandingTable, LandingTable, np.ndarray]:
    """Returns the corrupted header and lines tables and the ``_ord`` of corrupted headers.

    Targets are distinct SALE transactions that have no RETURN (header column
    ``_eligible``); each gets exactly one anomaly. Line-level kinds corrupt
    one random line of their transaction.
    """
    eligible = header.frame.filter(pl.col("_eligible"))[ORD].to_numpy()
    counts = _sales_counts(rates, header.frame.height, lines.frame.height, eligible.size)
    chosen = rng.permutation(eligible)[: sum(counts)]
    line_tx = lines.frame["_tx"].to_numpy()
    ctx = _SalesContext(rng=rng, header=header, lines=lines, end_year=end_date.year)
    pieces: list[Piece] = []
    offset = 0
    for (_kind, file, build), count in zip(_SALES_JOBS, counts, strict=True):
        targets = np.sort(chosen[offset : offset + count])
        offset += count
        if not count:
            continue
        if file == _LINES:
            targets = _one_line_of(rng, targets + 1, line_tx)
        table = header if file == _HEADER else lines
        pieces.extend(build(table.rows_text(table.frame[targets]), ctx))
    return header.corrupted(pieces), lines.corrupted(pieces), np.sort(chosen)


def _one_line_of(rng: np.random.Generator, tx: np.ndarray, line_tx: np.ndarray) -> np.ndarray:
    """Returns the row of one random line of each transaction number in ``tx``."""
    first = np.searchsorted(line_tx, tx, side="left")
    size = np.searchsorted(line_tx, tx, side="right") - first
    return first + np.floor(rng.random(tx.size) * size).astype(np.int64)


# --- masters and redemptions -------------------------------------------------------


def _draw(rng: np.random.Generator, pool: np.ndarray, counts: Sequence[int]) -> list[np.ndarray]:
    """Returns disjoint sorted draws of ``counts`` rows from ``pool`` (capped at its size)."""
    shuffled = rng.permutation(pool)
    draws: list[np.ndarray] = []
    offset = 0
    for count in counts:
        take = shuffled[offset : offset + count]
        offset += take.size
        draws.append(np.sort(take))
    return draws


def _flagged(table: LandingTable, flag: str) -> np.ndarray:
    """Returns the ``_ord`` of the rows whose boolean column ``flag`` is true."""
    return table.frame.filter(pl.col(flag))[ORD].to_numpy()


def corrupt_customers(
    customers: LandingTable, rates: AnomalyRates, rng: np.random.Generator
) -> LandingTable:
    """Returns the customers table with blank ids and duplicate rows injected.

    A blank ``customer_id`` only hits members who never shop (column
    ``_blankable``) so no sale loses its customer; duplicates only hit rows
    flagged ``_duplicable`` (members whose details never change).
    """
    n = customers.frame.height
    (blank,) = _draw(
        rng, _flagged(customers, "_blankable"), [share_count(rates.missing_required, n)]
    )
    pool = np.setdiff1d(_flagged(customers, "_duplicable"), blank)
    exact, keyed = _draw(
        rng, pool, [share_count(rates.duplicate_row, n), share_count(rates.duplicate_key, n)]
    )
    pieces: list[Piece] = []
    if blank.size:
        rows = customers.frame[blank].with_columns(pl.lit("customer_id").alias("_col"))
        pieces.append(_blank_piece(customers.spec.name, rows))
    if exact.size:
        pieces.append(_copy_piece(customers.spec.name, customers.frame[exact], "duplicate_row"))
    if keyed.size:
        rows = customers.frame[keyed]
        new_email = pl.format(
            "{}.{}.alt@example.org", pl.col("first_name"), pl.col("last_name")
        ).str.to_lowercase()
        changed = rows.with_columns(new_email.alias("email"))
        detail = pl.format("same customer_id as the previous row; email '{}'", pl.col("email"))
        pieces.append(_copy_piece(customers.spec.name, changed, "duplicate_key", detail))
    return customers.corrupted(pieces)


def corrupt_products(
    products: LandingTable, rates: AnomalyRates, rng: np.random.Generator
) -> LandingTable:
    """Returns the products table with blank categories or prices injected.

    Only products that are never sold (column ``_blankable``) are hit, so no
    sales line loses its product.
    """
    count = share_count(rates.missing_required, products.frame.height)
    (blank,) = _draw(rng, _flagged(products, "_blankable"), [count])
    if not blank.size:
        return products
    rows = products.frame[blank].with_columns(
        _pick(rng, ("product_category", "unit_price"), blank.size).alias("_col")
    )
    return products.corrupted([_blank_piece(products.spec.name, rows)])


def corrupt_redemptions(
    redemptions: LandingTable, rates: AnomalyRates, rng: np.random.Generator
) -> LandingTable:
    """Returns the redemptions table with non-positive and over-balance points injected.

    An over-balance redemption asks for ``_over`` points, a number larger
    than the customer could ever have earned (at least 1,000,000).
    """
    n = redemptions.frame.height
    nonpositive, over = _draw(
        rng,
        redemptions.frame[ORD].to_numpy(),
        [share_count(rates.nonpositive_value, n), share_count(rates.redemption_over_balance, n)],
    )
    name = redemptions.spec.name
    pieces: list[Piece] = []
    if nonpositive.size:
        rows = redemptions.rows_text(redemptions.frame[nonpositive]).with_columns(
            _variant(rng, 2, nonpositive.size)
        )
        value = _when_variant([pl.lit("0"), pl.lit("-") + pl.col("points_redeemed")])
        pieces.append(
            _value_piece(name, rows, "nonpositive_value", pl.lit("points_redeemed"), value)
        )
    if over.size:
        rows = redemptions.frame[over].with_columns(pl.col("_over").cast(pl.String).alias("_new"))
        pieces.append(
            Piece(
                file=name,
                overrides=_overrides(rows, pl.lit("points_redeemed"), pl.col("_new")),
                truth=_truth(
                    rows,
                    kind="redemption_over_balance",
                    column=pl.lit("points_redeemed"),
                    detail=pl.format(
                        "points_redeemed {} exceeds any possible balance", pl.col("_new")
                    ),
                ),
            )
        )
    return redemptions.corrupted(pieces)
