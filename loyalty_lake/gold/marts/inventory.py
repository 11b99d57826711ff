"""The stock marts: stock against sales per store × product × day, and stores compared per month.

Inventory snapshots say how much stock a store held of a product at the end of
a day; the sales lines say how much it sold. ``inventory_daily`` puts them side
by side with the trailing sell rate and the days of cover it gives;
``store_performance`` compares stores month by month within their region.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import MONEY, EventType, TransactionType
from loyalty_lake.gold.marts.sales import distinct_where

if TYPE_CHECKING:
    from datetime import date

#: The trailing window of the sell rate, in days (the day itself included).
SELL_RATE_DAYS = 7

_IS_SALE = pl.col("transaction_type") == TransactionType.SALE
_KEYS = ("store_id", "product_id", "date")


def _where(condition: pl.Expr, value: pl.Expr) -> pl.Expr:
    """``value`` where ``condition`` holds, else null: for sums over millions of lines.

    In a group-by, ``when`` keeps the rows in place where ``filter`` gathers
    them (see :func:`~loyalty_lake.gold.marts.sales.distinct_where`).
    """
    return pl.when(condition).then(value)


def inventory_daily(lines: pl.LazyFrame, inventory: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """One row per store × product × day with a stock snapshot or a sale, up to ``as_of``.

    ``lines`` are the signed clean lines of
    :func:`~loyalty_lake.gold.marts.sales.sale_lines`. ``units_sold`` counts
    SALE units and ``units_returned`` RETURN units of the day; ``stock_level``
    is the day's snapshot (null on a day with sales but no snapshot), and
    ``stock_out`` whether it was 0. ``sell_rate_7d`` is the units sold in the 7
    days ending that day, per day; ``days_of_cover`` the stock divided by that
    rate (null without a snapshot or without a sale in the window).
    """
    sold = lines.group_by("store_id", "product_id", pl.col("transaction_date").alias("date")).agg(
        _where(_IS_SALE, pl.col("units")).sum().cast(pl.Int64).alias("units_sold"),
        _where(_IS_SALE.not_(), -pl.col("units")).sum().cast(pl.Int64).alias("units_returned"),
    )
    stock = (
        inventory.filter(pl.col("snapshot_date") <= as_of)
        .group_by("store_id", "product_id", pl.col("snapshot_date").alias("date"))
        .agg(pl.col("stock_level").last())  # silver holds one snapshot per key
    )
    rate = pl.col("units_sold").rolling_sum_by("date", window_size=f"{SELL_RATE_DAYS}d") / float(
        SELL_RATE_DAYS
    )
    return (
        stock.join(sold, on=list(_KEYS), how="full", coalesce=True)
        .with_columns(pl.col("units_sold", "units_returned").fill_null(0))
        .sort(*_KEYS)
        .with_columns(rate.over("store_id", "product_id").alias("sell_rate_7d"))
        .with_columns(
            (pl.col("stock_level") == 0).alias("stock_out"),
            pl.when(pl.col("sell_rate_7d") > 0)
            .then(pl.col("stock_level") / pl.col("sell_rate_7d"))
            .alias("days_of_cover"),
        )
        .select(
            "date",
            "store_id",
            "product_id",
            "stock_level",
            "stock_out",
            "units_sold",
            "units_returned",
            "sell_rate_7d",
            "days_of_cover",
        )
    )


def store_days(lines: pl.LazyFrame) -> pl.LazyFrame:
    """One row per store × day with a line: what :func:`store_performance` sums by month.

    ``revenue`` (net), ``sale_revenue``, SALE ``transactions``, SALE ``units``
    and SALE transactions by members. Every column adds up across days (a
    transaction has one day and one store), so gold keeps this table and an
    incremental build recomputes only the days that changed.
    """
    is_member = pl.col("customer_id").is_not_null()
    return lines.group_by("store_id", pl.col("transaction_date").alias("date")).agg(
        pl.col("amount").sum().cast(MONEY).alias("revenue"),
        _where(_IS_SALE, pl.col("amount")).sum().cast(MONEY).alias("sale_revenue"),
        distinct_where(_IS_SALE, "transaction").alias("transactions"),
        _where(_IS_SALE, pl.col("units")).sum().cast(pl.Int64).alias("units"),
        distinct_where(_IS_SALE & is_member, "transaction").alias("member_transactions"),
    )


def store_performance(
    days: pl.LazyFrame,
    ledger: pl.LazyFrame,
    sales_header: pl.LazyFrame,
    stock: pl.LazyFrame,
    stores: pl.LazyFrame,
) -> pl.LazyFrame:
    """One row per store × month with a sale: revenue, baskets, members, points, stock-outs, rank.

    ``days`` are :func:`store_days` of the signed clean lines up to
    ``as_of``; ``ledger`` the points ledger (EARN and BONUS points are
    credited to the store of their
    transaction); ``stock`` is :func:`inventory_daily`. ``revenue`` is net of
    returns; ``average_basket`` is SALE revenue per SALE transaction (cut to
    the cent); ``members_share_pct`` the share of SALE transactions made by a
    member; ``stock_out_days`` the product-days the store had a product out of
    stock; ``rank_in_region`` ranks the month's stores of a region by revenue
    (1 = most).
    """
    month = pl.col("date").dt.truncate("1mo").alias("month")
    sales = days.group_by("store_id", month).agg(
        pl.col("revenue").sum().cast(MONEY),
        pl.col("sale_revenue").sum().alias("_sale_revenue"),
        pl.col("transactions").sum().cast(pl.Int64),
        pl.col("units").sum().alias("_units"),
        pl.col("member_transactions").sum().alias("_member_transactions"),
    )
    earned = (
        ledger.filter(pl.col("event_type").is_in([EventType.EARN, EventType.BONUS]))
        .join(sales_header.select("transaction_id", "store_id"), on="transaction_id", how="inner")
        .group_by("store_id", pl.col("event_date").alias("date").dt.truncate("1mo").alias("month"))
        .agg(pl.col("points").sum().cast(pl.Int64).alias("points_issued"))
    )
    outs = (
        stock.filter(pl.col("stock_out").fill_null(value=False))
        .group_by("store_id", month)
        .agg(pl.len().cast(pl.Int64).alias("stock_out_days"))
    )
    per_transaction = pl.col("transactions").cast(pl.Float64)
    return (
        sales.join(earned, on=["store_id", "month"], how="left")
        .join(outs, on=["store_id", "month"], how="left")
        .join(stores.select("store_id", "store_name", "store_region"), on="store_id", how="left")
        .with_columns(
            pl.col("points_issued", "stock_out_days").fill_null(0),
            pl.col("store_region").fill_null("(unknown)"),
            pl.when(pl.col("transactions") > 0)
            .then(pl.col("_sale_revenue") / pl.col("transactions"))
            .cast(MONEY)
            .alias("average_basket"),
            pl.when(pl.col("transactions") > 0)
            .then(pl.col("_units") / per_transaction)
            .alias("units_per_transaction"),
            pl.when(pl.col("transactions") > 0)
            .then(pl.col("_member_transactions") / per_transaction * 100)
            .alias("members_share_pct"),
        )
        .with_columns(
            pl.col("revenue")
            .rank("min", descending=True)
            .over("store_region", "month")
            .cast(pl.Int64)
            .alias("rank_in_region")
        )
        .select(
            pl.col("month").alias("month_start"),
            "store_id",
            "store_name",
            "store_region",
            "revenue",
            "transactions",
            "average_basket",
            "units_per_transaction",
            "members_share_pct",
            "points_issued",
            "stock_out_days",
            "rank_in_region",
        )
    )
