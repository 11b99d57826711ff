"""Anomalies of the sales files: one injected anomaly per corrupted transaction.

Targets are distinct SALE transactions without a RETURN; only the injected row
is recorded in the ground truth.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from loyalty_lake.landing.contract import SALES_HEADER, SALES_LINES
from loyalty_lake.landing.generator.corruption import (
    blank_piece,
    by_variant,
    copy_piece,
    override_rows,
    random_choices,
    random_id_text,
    random_variants,
    share_count,
    truth_rows,
    value_piece,
)
from loyalty_lake.landing.generator.tables import (
    DUP,
    ORD,
    TRUTH_SCHEMA,
    LandingTable,
    Piece,
    money_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    from loyalty_lake.landing.generator.options import AnomalyRates

logger = logging.getLogger(__name__)


_HEADER: Final = SALES_HEADER.name
_LINES: Final = SALES_LINES.name


@dataclass(frozen=True, slots=True)
class _SalesContext:
    """What the sales anomaly builders need besides their target rows."""

    rng: np.random.Generator
    header: LandingTable
    lines: LandingTable
    end_year: int


def _missing_in_header(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a header with a blank store_id, transaction_date or total_amount."""
    columns = ("store_id", "transaction_date", "total_amount")
    rows = rows.with_columns(random_choices(ctx.rng, columns, rows.height).alias("_col"))
    return [blank_piece(_HEADER, rows)]


def _missing_in_lines(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a line with a blank product_id, quantity or line_item_amount."""
    columns = ("product_id", "quantity", "line_item_amount")
    rows = rows.with_columns(random_choices(ctx.rng, columns, rows.height).alias("_col"))
    return [blank_piece(_LINES, rows)]


def _exact_copy(file: str, kind: str) -> Callable[[pl.DataFrame, _SalesContext], list[Piece]]:
    """Returns a builder inserting an exact copy of each target row after it."""

    def build(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
        return [copy_piece(file, rows, kind)]

    return build


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
    piece = copy_piece(_LINES, changed, "duplicate_key", detail)
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
        rows = rows.with_columns(random_id_text(ctx.rng, prefix, width, rows.height).alias("_new"))
        return [
            Piece(
                file=file,
                overrides=override_rows(rows, pl.lit(column), pl.col("_new")),
                truth=truth_rows(
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
    rows = rows.with_columns(random_variants(ctx.rng, 4, rows.height))
    column = by_variant([pl.lit("quantity")] * 2 + [pl.lit("line_item_amount")] * 2)
    value = by_variant(
        [
            pl.lit("0"),
            pl.lit("-") + pl.col("quantity"),
            pl.lit("0.00"),
            pl.lit("-") + pl.col("line_item_amount"),
        ]
    )
    return [value_piece(_LINES, rows, "nonpositive_value", column, value)]


def _comma_decimal(column: str) -> pl.Expr:
    """Returns ``column``'s amount text with a decimal comma, e.g. ``12,50``."""
    return pl.col(column).str.replace(".", ",", literal=True)


def _unparseable_line(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a line whose quantity or amount is not a number."""
    rows = rows.with_columns(random_variants(ctx.rng, 5, rows.height))
    column = by_variant([pl.lit("quantity")] * 2 + [pl.lit("line_item_amount")] * 3)
    value = by_variant(
        [
            pl.lit("two"),
            pl.lit("2.5"),  # a fractional quantity is never rounded
            _comma_decimal("line_item_amount"),
            pl.lit("1.2.3"),
            pl.lit("12.345"),  # money has at most 2 places
        ]
    )
    return [value_piece(_LINES, rows, "unparseable_number", column, value)]


def _unparseable_total(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a header whose total_amount is not a number."""
    rows = rows.with_columns(random_variants(ctx.rng, 3, rows.height))
    value = by_variant([_comma_decimal("total_amount"), pl.lit("12.345"), pl.lit("1.2.3")])
    return [value_piece(_HEADER, rows, "unparseable_number", pl.lit("total_amount"), value)]


def _unparseable_date(rows: pl.DataFrame, ctx: _SalesContext) -> list[Piece]:
    """Returns a header whose transaction_date is not an ISO date."""
    rows = rows.with_columns(random_variants(ctx.rng, 3, rows.height))
    value = by_variant(
        [
            pl.col("_ts").dt.strftime("%Y%m%d"),  # no separators: not a date it reads
            pl.col("_ts").dt.strftime("%Y-02-30T%H:%M:%S"),
            pl.lit("not a date"),
        ]
    )
    return [value_piece(_HEADER, rows, "unparseable_date", pl.lit("transaction_date"), value)]


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
            overrides=override_rows(rows, pl.lit("transaction_date"), pl.col("_new")),
            truth=truth_rows(
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
            overrides=override_rows(rows, pl.lit("total_amount"), pl.col("_new")),
            truth=truth_rows(
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
            override_rows(rows, pl.lit("quantity"), pl.col("_new_qty").cast(pl.String)),
            override_rows(rows, pl.lit("line_item_amount"), money_text(pl.col("_new_cents"))),
        ]
    )
    return [
        Piece(
            file=_LINES,
            overrides=line_overrides,
            truth=truth_rows(
                rows,
                kind="outlier",
                column=pl.lit("quantity"),
                detail=pl.format("quantity {} (was {})", pl.col("_new_qty"), pl.col("_qty")),
            ),
        ),
        Piece(
            file=_HEADER,
            overrides=override_rows(header_rows, pl.lit("total_amount"), pl.col("_new")),
            truth=TRUTH_SCHEMA.to_frame(),
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
