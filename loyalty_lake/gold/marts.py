"""The analytics marts: sales, loyalty, promotions and segments, one function per table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import RejectStatus, Stage
from loyalty_lake.gold.points import BONUS, EARN, EXPIRE, REDEEM, REVERSAL
from loyalty_lake.gold.rfm import AT_RISK, HIGH_SPENDER, OTHERS

if TYPE_CHECKING:
    from datetime import date


def sale_lines(
    sales_header: pl.LazyFrame,
    sales_lines: pl.LazyFrame,
    products: pl.DataFrame,
    *,
    as_of: date,
) -> pl.LazyFrame:
    """One row per clean line up to ``as_of`` with its transaction's date, store, type, category.

    ``amount`` and ``units`` are signed: negative for RETURN lines. The marts
    count distinct transactions and members over millions of lines: their ids
    are categorical here (cheap to count), strings again in every mart.
    """
    categories = products.unique("product_id")
    is_return = pl.col("transaction_type") == "RETURN"
    header = sales_header.filter(pl.col("transaction_date") <= as_of).select(
        "transaction_id",
        pl.col("transaction_id").cast(pl.Categorical).alias("_transaction"),
        pl.col("customer_id").cast(pl.Categorical),
        "store_id",
        "transaction_date",
        "transaction_type",
    )
    return (
        sales_lines.select(
            "transaction_id", "product_id", "promotion_id", "quantity", "line_item_amount"
        )
        .join(header, on="transaction_id")
        .drop("transaction_id")
        .rename({"_transaction": "transaction_id"})
        .with_columns(
            pl.col("product_id")
            .replace_strict(categories["product_id"], categories["product_category"], default=None)
            .alias("category"),
            pl.when(is_return)
            .then(-pl.col("line_item_amount"))
            .otherwise(pl.col("line_item_amount"))
            .alias("amount"),
            pl.when(is_return)
            .then(-pl.col("quantity"))
            .otherwise(pl.col("quantity"))
            .alias("units"),
        )
    )


MONEY = pl.Decimal(18, 2)
_IS_SALE = pl.col("transaction_type") == "SALE"


def net_revenue() -> pl.Expr:
    """Sales minus returns of signed lines, as ``revenue``."""
    return pl.col("amount").sum().cast(MONEY).alias("revenue")


def distinct_where(condition: pl.Expr, column: str) -> pl.Expr:
    """The number of distinct non-null ``column`` values where ``condition`` holds.

    For group-bys over millions of lines: ``when`` keeps the group's rows in
    place, where ``filter`` inside an aggregation gathers them (about twice the
    time and a copy of the column).
    """
    return pl.when(condition).then(pl.col(column)).drop_nulls().n_unique().cast(pl.Int64)


def sales_and_members() -> list[pl.Expr]:
    """Distinct SALE ``transactions`` and distinct members among them (``customers``)."""
    return [
        distinct_where(_IS_SALE, "transaction_id").alias("transactions"),
        distinct_where(_IS_SALE, "customer_id").alias("customers"),
    ]


def sales_daily(lines: pl.LazyFrame, stores: pl.LazyFrame) -> pl.LazyFrame:
    """One row per date × store × category: net revenue, returns, units, transactions, customers.

    Revenue and units are net of returns (booked on the return's date);
    ``transactions`` counts SALEs and ``customers`` the members among them.
    """
    return (
        lines.group_by(pl.col("transaction_date").alias("date"), "store_id", "category")
        .agg(
            net_revenue(),
            pl.when(_IS_SALE.not_()).then(-pl.col("amount")).sum().cast(MONEY).alias("returns"),
            pl.col("units").sum().cast(pl.Int64).alias("units"),
            *sales_and_members(),
        )
        .join(stores.select("store_id", "store_name", "store_region"), on="store_id", how="left")
        .select(
            "date",
            "store_id",
            "store_name",
            "store_region",
            "category",
            "revenue",
            "returns",
            "units",
            "transactions",
            "customers",
        )
        .sort("date", "store_id", "category")
    )


def store_daily(lines: pl.LazyFrame, stores: pl.LazyFrame) -> pl.LazyFrame:
    """One row per date × store: net revenue, distinct SALE transactions and members.

    Unlike summing ``sales_daily`` over categories, counts each sale once.
    """
    return (
        lines.group_by(pl.col("transaction_date").alias("date"), "store_id")
        .agg(net_revenue(), *sales_and_members())
        .join(stores.select("store_id", "store_region"), on="store_id", how="left")
        .select("date", "store_id", "store_region", "revenue", "transactions", "customers")
        .sort("date", "store_id")
    )


def member_sales_daily(lines: pl.LazyFrame) -> pl.LazyFrame:
    """One row per member × date with a SALE: how many sales and their net amount that day."""
    is_sale = pl.col("transaction_type") == "SALE"
    return (
        lines.filter(pl.col("customer_id").is_not_null())
        .group_by("customer_id", pl.col("transaction_date").alias("date"))
        .agg(
            distinct_where(is_sale, "transaction_id").alias("transactions"),
            pl.col("amount").sum().cast(pl.Decimal(18, 2)).alias("revenue"),
        )
        .filter(pl.col("transactions") > 0)
        .with_columns(pl.col("customer_id").cast(pl.String))
        .sort("customer_id", "date")
    )


def product_sales_daily(
    lines: pl.LazyFrame, products: pl.DataFrame, stores: pl.LazyFrame
) -> pl.LazyFrame:
    """One row per date × store × product: net revenue, units and transactions.

    The drill-down below ``sales_daily`` (store → category → product).
    """
    names = products.unique("product_id").select("product_id", "product_name").lazy()
    is_sale = pl.col("transaction_type") == "SALE"
    return (
        lines.group_by(pl.col("transaction_date").alias("date"), "store_id", "product_id")
        .agg(
            pl.col("category").first(),
            pl.col("amount").sum().cast(pl.Decimal(18, 2)).alias("revenue"),
            pl.col("units").sum().cast(pl.Int64).alias("units"),
            distinct_where(is_sale, "transaction_id").alias("transactions"),
        )
        .join(names, on="product_id", how="left")
        .join(stores.select("store_id", "store_region"), on="store_id", how="left")
        .select(
            "date",
            "store_id",
            "store_region",
            "product_id",
            "product_name",
            "category",
            "revenue",
            "units",
            "transactions",
        )
        .sort("date", "store_id", "product_id")
    )


def batch_quality(processed_files: pl.LazyFrame, rejects: pl.LazyFrame) -> pl.LazyFrame:
    """One row per batch × table: bronze rows, accepted, open rejects, reprocessed, warned.

    ``reject_rate_pct`` is the share of the batch's bronze rows still rejected.
    """
    processed = processed_files.group_by("batch_id", "table").agg(
        pl.col("bronze_rows", "accepted", "rejected", "warned").sum().cast(pl.Int64)
    )
    promoted = (
        rejects.filter(pl.col("stage") == Stage.SILVER)
        .group_by("batch_id", "table")
        .agg(
            (pl.col("status") == RejectStatus.REPROCESSED).sum().cast(pl.Int64).alias("reprocessed")
        )
    )
    open_rejects = pl.col("rejected") - pl.col("reprocessed")
    return (
        processed.join(promoted, on=["batch_id", "table"], how="left")
        .with_columns(pl.col("reprocessed").fill_null(0))
        .select(
            "batch_id",
            "table",
            "bronze_rows",
            (pl.col("accepted") + pl.col("reprocessed")).alias("accepted"),
            open_rejects.alias("open_rejects"),
            "reprocessed",
            "warned",
            (open_rejects / pl.col("bronze_rows").clip(1, None) * 100)
            .round(3)
            .alias("reject_rate_pct"),
        )
        .sort("batch_id", "table")
    )


def loyalty_daily(ledger: pl.LazyFrame, sales_header: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """One row per date: points earned, reversed, redeemed, expired, net, and active members.

    Active members: distinct customers with a SALE that day.
    """

    def total(*types: str) -> pl.Expr:
        return pl.when(pl.col("event_type").is_in(types)).then(pl.col("points")).sum().abs()

    points = ledger.group_by(pl.col("event_date").alias("date")).agg(
        total(EARN, BONUS).cast(pl.Int64).alias("points_earned"),
        total(REVERSAL).cast(pl.Int64).alias("points_reversed"),
        total(REDEEM).cast(pl.Int64).alias("points_redeemed"),
        total(EXPIRE).cast(pl.Int64).alias("points_expired"),
        pl.col("points").sum().cast(pl.Int64).alias("points_net"),
    )
    members = (
        sales_header.filter(
            (pl.col("transaction_type") == "SALE")
            & pl.col("customer_id").is_not_null()
            & (pl.col("transaction_date") <= as_of)
        )
        .group_by(pl.col("transaction_date").alias("date"))
        .agg(pl.col("customer_id").n_unique().cast(pl.Int64).alias("active_members"))
    )
    counts = ["points_earned", "points_reversed", "points_redeemed", "points_expired", "points_net"]
    return (
        points.join(members, on="date", how="full", coalesce=True)
        .with_columns(pl.col(*counts, "active_members").fill_null(0))
        .select("date", *counts, "active_members")
        .sort("date")
    )


def promotion_performance(
    lines: pl.LazyFrame,
    scored: pl.LazyFrame,
    promotions: pl.DataFrame,
    *,
    as_of: date,
) -> pl.LazyFrame:
    """One row per promotion started by ``as_of``: sales, uplift vs. baseline, points, rank.

    The window runs from the start to the end (or ``as_of``, if earlier). The
    baseline is the same categories (all of them for an ``ALL`` promotion) in
    all stores during an equally long window just before the start; uplift %
    compares the categories' revenue in the window with it (null when the
    baseline window starts before the first transaction, or had no sales).
    Category and baseline revenue are sales (returns not deducted).
    Promoted revenue and units count the lines that carry the promotion and
    are of its category;
    points issued are the points those lines earned (multiplier included).
    Rank 1 is the highest uplift.
    """
    started = promotions.lazy().filter(pl.col("start_date") <= as_of)
    window_end = pl.min_horizontal(pl.col("end_date"), pl.lit(as_of))
    days = (window_end - pl.col("start_date")).dt.total_days() + 1
    promos = started.select(
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
    sales = lines.filter(pl.col("transaction_type") == "SALE")
    daily = sales.group_by(pl.col("transaction_date").alias("date"), "category").agg(
        pl.col("amount").sum().alias("revenue")
    )
    in_category = (pl.col("promo_category").str.to_uppercase() == "ALL") | (
        pl.col("category").str.to_lowercase() == pl.col("promo_category").str.to_lowercase()
    )
    category_revenue = (
        promos.join(daily, how="cross")
        .filter(in_category)
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
    promoted = (
        sales.filter(pl.col("promotion_id").is_not_null())
        .join(
            promos.select("promotion_id", "promo_category", "start_date", "_window_end"),
            on="promotion_id",
        )
        .filter(
            pl.col("transaction_date").is_between(pl.col("start_date"), pl.col("_window_end"))
            & in_category
        )
        .group_by("promotion_id")
        .agg(
            pl.col("amount").sum().alias("promoted_revenue"),
            pl.col("units").sum().cast(pl.Int64).alias("promoted_units"),
            pl.col("transaction_id").n_unique().cast(pl.Int64).alias("promoted_transactions"),
        )
    )
    points = (
        scored.filter((pl.col("transaction_type") == "SALE") & pl.col("promotion_id").is_not_null())
        .join(promos.select("promotion_id", "start_date", "_window_end"), on="promotion_id")
        .filter(pl.col("transaction_date").is_between(pl.col("start_date"), pl.col("_window_end")))
        .group_by("promotion_id")
        .agg(pl.col("points").sum().cast(pl.Int64).alias("points_issued"))
    )
    first_day = sales.select(pl.col("transaction_date").min().alias("_first_day"))
    zero = pl.lit(0, dtype=pl.Decimal(18, 2))
    uplift = (
        (pl.col("category_revenue") - pl.col("baseline_revenue")).cast(pl.Float64)
        / pl.col("baseline_revenue").cast(pl.Float64)
        * 100
    ).round(2)
    return (
        promos.join(category_revenue, on="promotion_id", how="left")
        .join(promoted, on="promotion_id", how="left")
        .join(points, on="promotion_id", how="left")
        .join(first_day, how="cross")
        .with_columns(
            pl.col("category_revenue", "baseline_revenue", "promoted_revenue")
            .fill_null(zero)
            .cast(pl.Decimal(18, 2)),
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


def segment_summary(customer_details: pl.LazyFrame) -> pl.LazyFrame:
    """One row per segment (all three, empty ones too): customers, share, revenue, points."""
    every = pl.LazyFrame({"segment": [HIGH_SPENDER, AT_RISK, OTHERS]})
    summary = customer_details.group_by("segment").agg(
        pl.len().cast(pl.Int64).alias("customers"),
        pl.col("monetary").sum().cast(pl.Decimal(18, 2)).alias("revenue"),
        pl.col("total_loyalty_points").mean().round(1).alias("average_points"),
        pl.col("total_loyalty_points").sum().cast(pl.Int64).alias("points_outstanding"),
    )
    return (
        every.join(summary, on="segment", how="left")
        .with_columns(
            pl.col("customers", "points_outstanding").fill_null(0),
            pl.col("revenue").fill_null(0).cast(pl.Decimal(18, 2)),
        )
        .with_columns(
            (pl.col("customers") / pl.col("customers").sum().clip(1, None) * 100)
            .round(2)
            .alias("share_pct")
        )
        .select(
            "segment", "customers", "share_pct", "revenue", "average_points", "points_outstanding"
        )
        .sort("segment")
    )
