"""The per-customer inputs of the CLV models: frequency, recency, T and spend per repeat day.

The models count **purchase days**, not transactions: a customer's SALEs on
one day are one purchase of their summed amount (Fader, Hardie & Lee's CDNOW
data is built the same way). Only the date matters, so time is measured in
whole days and expressed in the chosen unit: a week is exactly 7 days, and a
span of 213 days is 30.428… weeks, not floored to 30. This is what reproduces
the published CDNOW parameters; ``lifetimes``' ``summary_data_from_transaction_data``
with ``freq="W"`` instead buckets dates into calendar weeks (several purchase
days in one week become one purchase, spans become whole weeks), which gives
other numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import polars as pl

from loyalty_lake.codes import MONEY

if TYPE_CHECKING:
    from datetime import date

#: The time unit of ``recency``, ``T``, the BG/NBD rate parameter α and horizons.
TimeUnit = Literal["week", "day"]

#: Days in one time unit.
DAYS_PER_UNIT: dict[TimeUnit, int] = {"week": 7, "day": 1}

#: The columns :func:`clv_inputs` returns, in order.
CLV_INPUT_COLUMNS = (
    "customer_id",
    "first_purchase_date",
    "last_purchase_date",
    "purchase_days",
    "frequency",
    "recency",
    "T",
    "repeat_spend",
    "avg_spend",
)


def clv_inputs(sales: pl.LazyFrame, *, as_of: date, time_unit: TimeUnit) -> pl.LazyFrame:
    """One row per customer with at least one purchase day up to ``as_of``.

    ``sales`` has one row per SALE transaction: ``customer_id``,
    ``transaction_date`` (Date) and ``amount`` (exact decimal money). The
    caller passes clean SALE transactions only; rows after ``as_of`` are
    ignored, and so are guest sales (a null ``customer_id``: nobody to
    predict for).

    Returns are not purchases and are not netted: pass SALE amounts. The
    models describe how often customers come to buy and how much they spend
    when they do; a later return does not undo the visit, and subtracting it
    from a purchase day could make that day's spend zero or negative, which
    the Gamma-Gamma spend model cannot take. (RFM's ``monetary`` is the place
    for net spend.)

    Columns:

    - ``first_purchase_date``, ``last_purchase_date`` (Date) and
      ``purchase_days`` (Int64): the distinct days with a SALE;
    - ``frequency`` (Int64): repeat purchase days, ``purchase_days - 1``;
    - ``recency`` (Float64): first to last purchase day, in ``time_unit``;
    - ``T`` (Float64): first purchase day to ``as_of``, in ``time_unit``;
    - ``repeat_spend`` (Decimal money, exact): the spend of the repeat
      purchase days (every day but the first, as ``lifetimes`` does);
    - ``avg_spend`` (Float64): ``repeat_spend / frequency``, the mean spend
      per repeat purchase day, null without a repeat day. It is the
      Gamma-Gamma model's input, not an amount anybody paid: a mean of cents
      has no exact two-place value, and the model's math is binary floating
      point, so the money becomes a float here, at the model's boundary,
      while ``repeat_spend`` keeps the exact amount it comes from.
    """
    return clv_inputs_of(purchase_summary(sales, as_of=as_of), as_of=as_of, time_unit=time_unit)


#: The columns of :func:`purchase_summary`: what :func:`clv_inputs_of` needs of a customer.
PURCHASE_SUMMARY_COLUMNS = (
    "customer_id",
    "first_purchase_date",
    "last_purchase_date",
    "purchase_days",
    "repeat_cents",
)


def purchase_summary(sales: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """The per-customer half of :func:`clv_inputs`: the purchase days, as of ``as_of``.

    One row per customer with a purchase day up to ``as_of``: the first and
    last days, their number and ``repeat_cents``, the spend of every day but
    the first in integer cents. Nothing here moves with ``as_of`` once the
    customer's sales are in: gold keeps it per customer and derives ``T``
    (:func:`clv_inputs_of`) at each build.
    """
    # Sums in integer cents: exact, and several times faster than decimal sums.
    cents = (pl.col("amount").cast(MONEY) * 100).cast(pl.Int64)
    purchase_days = (
        sales.filter((pl.col("transaction_date") <= as_of) & pl.col("customer_id").is_not_null())
        .group_by("customer_id", "transaction_date")
        .agg(cents.sum().alias("day_cents"))
    )
    return purchase_days.group_by("customer_id").agg(
        pl.col("transaction_date").min().alias("first_purchase_date"),
        pl.col("transaction_date").max().alias("last_purchase_date"),
        pl.len().cast(pl.Int64).alias("purchase_days"),
        # every day but the first: the total less the first day's
        (pl.col("day_cents").sum() - pl.col("day_cents").min_by("transaction_date")).alias(
            "repeat_cents"
        ),
    )


def clv_inputs_of(summary: pl.LazyFrame, *, as_of: date, time_unit: TimeUnit) -> pl.LazyFrame:
    """:func:`clv_inputs` of a :func:`purchase_summary`: frequency, recency, ``T``, spend."""
    days_per_unit = DAYS_PER_UNIT[time_unit]
    return (
        summary.with_columns((pl.col("purchase_days") - 1).alias("frequency"))
        .with_columns(
            _span(pl.col("first_purchase_date"), pl.col("last_purchase_date"), days_per_unit).alias(
                "recency"
            ),
            _span(pl.col("first_purchase_date"), pl.lit(as_of), days_per_unit).alias("T"),
            (pl.col("repeat_cents").cast(MONEY) / 100).cast(MONEY).alias("repeat_spend"),
            pl.when(pl.col("frequency") > 0)
            .then(pl.col("repeat_cents") / 100 / pl.col("frequency"))
            .alias("avg_spend"),
        )
        .select(CLV_INPUT_COLUMNS)
    )


def _span(start: pl.Expr, end: pl.Expr, days_per_unit: int) -> pl.Expr:
    """Whole days from ``start`` to ``end`` in time units (Float64, not floored)."""
    return (end - start).dt.total_days().cast(pl.Float64) / days_per_unit
