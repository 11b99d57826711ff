"""The promotions mart: each promotion's sales, uplift against a baseline, and points issued."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import MONEY, TransactionType

if TYPE_CHECKING:
    from datetime import date

_IS_SALE = pl.col("transaction_type") == TransactionType.SALE
#: A line's category is the promotion's (case-insensitively), or the promotion is for ALL.
_IN_CATEGORY = (pl.col("promo_category").str.to_uppercase() == "ALL") | (
    pl.col("category").str.to_lowercase() == pl.col("promo_category").str.to_lowercase()
)


def promotion_performance(
    lines: pl.LazyFrame,
    scored: pl.LazyFrame,
    promotions: pl.DataFrame,
    *,
    as_of: date,
    first_day: date | None = None,
) -> pl.LazyFrame:
    """One row per promotion started by ``as_of``: sales, uplift vs. baseline, points, rank.

    The window runs from the start to the end (or ``as_of``, if earlier). The
    baseline is the same categories (all of them for an ``ALL`` promotion) in
    all stores during an equally long window just before the start; uplift %
    compares the categories' revenue in the window with it (null when the
    baseline window starts before the first transaction, or had no sales).
    Every figure is gross of returns: category and baseline revenue, promoted
    revenue and units count SALE lines only (a promotion is judged by what it
    sold; its returns are in the net sales marts, on the return's date).
    Promoted revenue and units count the lines that carry the promotion and
    are of its category; points issued are the points those lines earned
    (multiplier included; ``scored`` lines, see
    :func:`~loyalty_lake.gold.points.earning.promoted_lines`). Rank 1 is the
    highest uplift.

    ``first_day`` is the day of the first SALE line (default: the first of
    ``lines``); given it, ``lines`` need only start at :func:`earliest_day`.
    """
    promos = _windows(promotions, as_of=as_of)
    sales = lines.filter(_IS_SALE)
    first_day_frame = (
        sales.select(pl.col("transaction_date").min().alias("_first_day"))
        if first_day is None
        else pl.LazyFrame({"_first_day": [first_day]}, schema={"_first_day": pl.Date})
    )
    uplift = (
        (pl.col("category_revenue") - pl.col("baseline_revenue")).cast(pl.Float64)
        / pl.col("baseline_revenue").cast(pl.Float64)
        * 100
    ).round(2)
    return (
        promos.join(_category_revenue(promos, sales), on="promotion_id", how="left")
        .join(_promoted_sales(promos, sales), on="promotion_id", how="left")
        .join(_points_issued(promos, scored), on="promotion_id", how="left")
        .join(first_day_frame, how="cross")
        .with_columns(
            pl.col("category_revenue", "baseline_revenue", "promoted_revenue")
            .fill_null(pl.lit(0, dtype=MONEY))
            .cast(MONEY),
            pl.col("promoted_units", "promoted_transactions", "points_issued").fill_null(0),
        )
        .with_columns(  # no baseline when its window starts before the data does
            pl.when(pl.col("_baseline_start") >= pl.col("_first_day")).then(
                pl.col("baseline_revenue")
            )
        )
        .with_columns(
            pl.when(pl.col("baseline_revenue") > 0).then(uplift).alias("uplift_pct"),
        )
        .with_columns(
            pl.col("uplift_pct").rank("min", descending=True).cast(pl.Int64).alias("rank")
        )
        .select(
            "rank",
            "promotion_id",
            "promotion_name",
            "promo_category",
            "start_date",
            "end_date",
            "days",
            "discount_percentage",
            "points_multiplier",
            "promoted_revenue",
            "promoted_units",
            "promoted_transactions",
            "category_revenue",
            "baseline_revenue",
            "uplift_pct",
            "points_issued",
        )
        .sort(pl.col("rank"), "promotion_id", nulls_last=True)
    )


def earliest_day(promotions: pl.DataFrame, *, as_of: date) -> date | None:
    """The first day any promotion started by ``as_of`` reads: its baseline window's start."""
    start = _windows(promotions, as_of=as_of).select(pl.col("_baseline_start").min()).collect()
    return start.item()


def _windows(promotions: pl.DataFrame, *, as_of: date) -> pl.LazyFrame:
    """The promotions started by ``as_of``, with their window and the baseline's start."""
    window_end = pl.min_horizontal(pl.col("end_date"), pl.lit(as_of))
    days = (window_end - pl.col("start_date")).dt.total_days() + 1
    return (
        promotions.lazy()
        .filter(pl.col("start_date") <= as_of)
        .select(
            "promotion_id",
            "promotion_name",
            pl.col("applicable_category").alias("promo_category"),
            "start_date",
            "end_date",
            "discount_percentage",
            "points_multiplier",
            days.cast(pl.Int64).alias("days"),
            window_end.alias("_window_end"),
            (pl.col("start_date") - pl.duration(days=days)).alias("_baseline_start"),
        )
    )


def _category_revenue(promos: pl.LazyFrame, sales: pl.LazyFrame) -> pl.LazyFrame:
    """Per promotion: its categories' sales in the window and in the baseline window."""
    daily = sales.group_by(pl.col("transaction_date").alias("date"), "category").agg(
        pl.col("amount").sum().alias("revenue")
    )
    return (
        promos.join(daily, how="cross")
        .filter(_IN_CATEGORY)
        .group_by("promotion_id")
        .agg(
            pl.col("revenue")
            .filter(pl.col("date").is_between(pl.col("start_date"), pl.col("_window_end")))
            .sum()
            .alias("category_revenue"),
            pl.col("revenue")
            .filter(
                (pl.col("date") >= pl.col("_baseline_start"))
                & (pl.col("date") < pl.col("start_date"))
            )
            .sum()
            .alias("baseline_revenue"),
        )
    )


def _promoted_sales(promos: pl.LazyFrame, sales: pl.LazyFrame) -> pl.LazyFrame:
    """Per promotion: revenue, units and transactions of the lines that carry it, in its window."""
    return (
        sales.filter(pl.col("promotion_id").is_not_null())
        .join(
            promos.select("promotion_id", "promo_category", "start_date", "_window_end"),
            on="promotion_id",
        )
        .filter(
            pl.col("transaction_date").is_between(pl.col("start_date"), pl.col("_window_end"))
            & _IN_CATEGORY
        )
        .group_by("promotion_id")
        .agg(
            pl.col("amount").sum().alias("promoted_revenue"),
            pl.col("units").sum().cast(pl.Int64).alias("promoted_units"),
            pl.col("transaction").n_unique().cast(pl.Int64).alias("promoted_transactions"),
        )
    )


def _points_issued(promos: pl.LazyFrame, scored: pl.LazyFrame) -> pl.LazyFrame:
    """Per promotion: the points its lines earned in its window."""
    return (
        scored.filter(_IS_SALE & pl.col("promotion_id").is_not_null())
        .join(promos.select("promotion_id", "start_date", "_window_end"), on="promotion_id")
        .filter(pl.col("transaction_date").is_between(pl.col("start_date"), pl.col("_window_end")))
        .group_by("promotion_id")
        .agg(pl.col("points").sum().cast(pl.Int64).alias("points_issued"))
    )
