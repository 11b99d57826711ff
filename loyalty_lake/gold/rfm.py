"""RFM and segments, in two stages that scale apart.

:func:`customer_activity` is per-customer work: it depends only on each
customer's own transactions, so it can run sharded by customer (and
incrementally per batch). :func:`customer_scores` (:func:`rfm`, then
:func:`segments`) is the global scoring over the small one-row-per-customer
table: quintiles, the top 10 %, segments.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import MONEY, Segment, TransactionType

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date
    from decimal import Decimal

    from loyalty_lake.config import RfmSegmentRule, SegmentConfig


def charged_customers(
    sales_header: pl.LazyFrame, *, originals: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """``sales_header`` with ``customer_id`` the customer each transaction counts against.

    A SALE counts against its own customer. A RETURN counts against the
    customer of its original sale (null: a guest's sale), as its points do,
    and against its own customer only when the sale is not in ``sales_header``.
    RFM's ``monetary`` and the member marts book returns by this rule.
    ``originals`` is where the original sales are looked up (default
    ``sales_header`` itself; the whole of it when ``sales_header`` is a part).
    """
    is_sale = pl.col("transaction_type") == TransactionType.SALE
    buyers = (sales_header if originals is None else originals).select(
        pl.col("transaction_id").alias("original_transaction_id"),
        pl.col("customer_id").alias("_buyer"),
        pl.lit(True).alias("_sold_here"),
    )
    return (
        sales_header.join(buyers, on="original_transaction_id", how="left")
        .with_columns(
            pl.when(is_sale | pl.col("_sold_here").is_null())
            .then(pl.col("customer_id"))
            .otherwise(pl.col("_buyer"))
            .alias("customer_id")
        )
        .drop("_buyer", "_sold_here")
    )


def customer_activity(sales_header: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """One row per customer with a clean transaction up to ``as_of``.

    ``last_purchase_date`` (last SALE), ``frequency`` (distinct SALEs) and
    ``monetary`` (SALE amounts − RETURN amounts, exact; a RETURN counts against
    the customer of its original sale: :func:`charged_customers`).
    """
    is_sale = pl.col("transaction_type") == TransactionType.SALE
    signed = pl.when(is_sale).then(pl.col("total_amount")).otherwise(-pl.col("total_amount"))
    return (
        charged_customers(sales_header)
        .filter((pl.col("transaction_date") <= as_of) & pl.col("customer_id").is_not_null())
        .group_by("customer_id")
        .agg(
            pl.when(is_sale).then(pl.col("transaction_date")).max().alias("last_purchase_date"),
            pl.when(is_sale)
            .then(pl.col("transaction_id"))
            .drop_nulls()
            .n_unique()
            .cast(pl.Int64)
            .alias("frequency"),
            signed.sum().cast(MONEY).alias("monetary"),
        )
    )


def quintile_score(rank: pl.Expr, customers: pl.Expr) -> pl.Expr:
    """1 + floor(5 × (avg_rank − 1) / N): 1..5, tied values share a score."""
    return (1 + (5 * (rank - 1) / customers).floor()).cast(pl.Int8)


def rfm(
    activity: pl.LazyFrame, *, as_of: date, mapping: Sequence[RfmSegmentRule], fallback: str
) -> pl.LazyFrame:
    """One row per customer with activity: recency, scores (customers with a sale) and segment.

    Scores rank customers with at least one sale, ascending in goodness (a
    smaller recency is better); tied values get the average rank, hence the
    same score.
    """
    has_sale = pl.col("frequency") > 0
    customers = has_sale.sum()
    recency = (pl.lit(as_of) - pl.col("last_purchase_date")).dt.total_days()

    return (
        activity.with_columns(recency.cast(pl.Int64).alias("recency_days"))
        .with_columns(
            _score(pl.col("recency_days"), has_sale, customers, smaller_is_better=True).alias(
                "r_score"
            ),
            _score(pl.col("frequency"), has_sale, customers).alias("f_score"),
            _score(pl.col("monetary"), has_sale, customers).alias("m_score"),
        )
        .with_columns(rfm_segment(mapping, fallback=fallback).alias("rfm_segment"))
    )


def _score(
    value: pl.Expr, has_sale: pl.Expr, customers: pl.Expr, *, smaller_is_better: bool = False
) -> pl.Expr:
    """The quintile score of ``value`` among customers with a sale (null for the others)."""
    rank = pl.when(has_sale).then(value).rank("average", descending=smaller_is_better)
    return pl.when(has_sale).then(quintile_score(rank, customers))


def rfm_segment(mapping: Sequence[RfmSegmentRule], *, fallback: str) -> pl.Expr:
    """The named RFM segment of (r_score, f_score, m_score): the first matching rule."""
    segment: pl.Expr = pl.lit(fallback)
    for rule in reversed(mapping):
        matches = pl.all_horizontal(
            pl.col(f"{axis}_score").is_between(*getattr(rule, axis)) for axis in ("r", "f", "m")
        )
        segment = pl.when(matches).then(pl.lit(rule.name)).otherwise(segment)
    return pl.when(pl.col("r_score").is_not_null()).then(segment)


def segments(
    scored: pl.LazyFrame, *, high_spender_share: Decimal, at_risk_days: int
) -> pl.LazyFrame:
    """Add ``is_high_spender``, ``is_at_risk`` and ``segment`` (High Spender > At Risk > Others).

    High spenders: among N customers with a sale, those with fewer than
    ceil(share × N) customers strictly above their monetary (ties at the
    boundary are all in). At risk: ``at_risk_days`` or more since the last sale
    and a positive points balance. ``scored`` needs ``total_loyalty_points``.
    """
    share = Fraction(high_spender_share)
    has_sale = pl.col("frequency").fill_null(0) > 0
    customers = has_sale.sum()
    quota = (customers * share.numerator + share.denominator - 1) // share.denominator
    strictly_above = pl.when(has_sale).then(pl.col("monetary")).rank("min", descending=True) - 1
    high = has_sale & (strictly_above < quota)
    at_risk = (
        has_sale & (pl.col("recency_days") >= at_risk_days) & (pl.col("total_loyalty_points") > 0)
    )
    return scored.with_columns(
        high.fill_null(False).alias("is_high_spender"), at_risk.fill_null(False).alias("is_at_risk")
    ).with_columns(
        pl.when(pl.col("is_high_spender"))
        .then(pl.lit(Segment.HIGH_SPENDER))
        .when(pl.col("is_at_risk"))
        .then(pl.lit(Segment.AT_RISK))
        .otherwise(pl.lit(Segment.OTHERS))
        .alias("segment")
    )


def customer_scores(
    customers: pl.LazyFrame, *, as_of: date, settings: SegmentConfig
) -> pl.LazyFrame:
    """The global scoring stage: :func:`rfm` then :func:`segments` of one row per customer.

    ``customers`` has the columns of :func:`customer_activity` and
    ``total_loyalty_points``; every score depends on all customers, so this
    runs once over the whole (small) one-row-per-customer table.
    """
    scored = rfm(
        customers, as_of=as_of, mapping=settings.rfm_segments, fallback=settings.rfm_fallback
    )
    return segments(
        scored,
        high_spender_share=settings.high_spender_share,
        at_risk_days=settings.at_risk_days,
    )
