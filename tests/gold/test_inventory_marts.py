"""The stock marts: literal silver frames in, expected rows out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from loyalty_lake.gold.marts.inventory import inventory_daily, store_days, store_performance
from loyalty_lake.gold.marts.sales import sale_lines
from loyalty_lake.gold.models import PointsLedger
from loyalty_lake.silver.models import schema
from tests.builders import days_after, silver
from tests.gold.test_marts import PRODUCTS, STORES, Sales

D0 = date(2024, 3, 1)
day = days_after(D0)


def stock(*rows: tuple[int, str, str, int]) -> pl.LazyFrame:
    """Inventory snapshots: (day, store, product, level)."""
    return silver(
        "inventory",
        [
            {"snapshot_date": day(d), "store_id": s, "product_id": p, "stock_level": level}
            for d, s, p, level in rows
        ],
    ).lazy()


def lines_of(sales: Sales, *, as_of: date) -> pl.LazyFrame:
    header, lines = sales.frames()
    return sale_lines(header, lines, PRODUCTS, as_of=as_of)


def test_inventory_daily_puts_stock_beside_sales_with_the_trailing_sell_rate():
    sales = Sales()
    sales.add("T1", "C1", day(0), ("P_FOOD", 7, "7.00"))
    sales.add("T2", None, day(2), ("P_FOOD", 7, "7.00"))
    sales.add("R1", "C1", day(3), ("P_FOOD", 2, "2.00"), kind="RETURN", original="T1")
    sales.add("T3", "C1", day(9), ("P_FOOD", 1, "1.00"))  # after as_of
    inventory = stock((0, "S1", "P_FOOD", 20), (2, "S1", "P_FOOD", 0), (8, "S1", "P_FOOD", 6))
    got = inventory_daily(lines_of(sales, as_of=day(8)), inventory, as_of=day(8)).collect()
    assert got.select(
        "date", "stock_level", "stock_out", "units_sold", "units_returned", "days_of_cover"
    ).rows() == [
        (day(0), 20, False, 7, 0, 20.0),  # 7 sold in the window: 1 a day, 20 days of cover
        (day(2), 0, True, 7, 0, 0.0),
        (day(3), None, None, 0, 2, None),  # a return on a day without a snapshot
        (day(8), 6, False, 0, 0, 6 / (7 / 7)),  # day 2's 7 units are still in the window
    ]
    assert got["sell_rate_7d"].to_list() == [1.0, 2.0, 2.0, 1.0]


def test_inventory_daily_counts_every_unit_silver_sold():
    sales = Sales()
    sales.add("T1", "C1", day(0), ("P_FOOD", 3, "3.00"), ("P_TOYS", 2, "4.00"), store_id="S1")
    sales.add("T2", "C2", day(1), ("P_FOOD", 5, "5.00"), store_id="S2")
    lines = lines_of(sales, as_of=day(5))
    got = inventory_daily(lines, stock((1, "S1", "P_TOYS", 4)), as_of=day(5)).collect()
    assert got["units_sold"].sum() == 10
    assert got.height == 4  # three sold store × product × days, one snapshot-only day


def test_store_performance_compares_stores_within_their_region_per_month():
    sales = Sales()
    sales.add("T1", "C1", day(0), ("P_FOOD", 2, "10.00"), store_id="S1")
    sales.add("T2", None, day(1), ("P_FOOD", 1, "5.01"), store_id="S1")
    sales.add("R1", "C1", day(2), ("P_FOOD", 1, "5.00"), kind="RETURN", original="T1")
    sales.add("T3", "C2", day(0), ("P_TOYS", 1, "50.00"), store_id="S2")
    sales.add("T4", "C2", day(31), ("P_TOYS", 1, "1.00"), store_id="S2")  # April
    header, _ = sales.frames()
    lines = lines_of(sales, as_of=day(40))
    ledger = pl.LazyFrame(
        {
            "customer_id": ["C1", "C2", "C1"],
            "event_date": [day(0), day(0), day(2)],
            "event_type": ["EARN", "EARN", "REVERSAL"],
            "points": [10, 50, -5],
            "transaction_id": ["T1", "T3", "R1"],
        }
    )
    inventory = stock((0, "S1", "P_FOOD", 0), (1, "S1", "P_FOOD", 0), (1, "S2", "P_TOYS", 3))
    daily = inventory_daily(lines, inventory, as_of=day(40))
    stores = STORES.lazy().with_columns(pl.lit("North").alias("store_region"))
    days = store_days(lines)
    got = store_performance(days, ledger, header, daily, stores).sort("month_start", "store_id")
    assert got.select(
        "month_start",
        "store_id",
        "revenue",
        "transactions",
        "average_basket",
        "members_share_pct",
        "points_issued",
        "stock_out_days",
        "rank_in_region",
    ).collect().rows() == [
        (date(2024, 3, 1), "S1", Decimal("10.01"), 2, Decimal("7.50"), 50.0, 10, 2, 2),
        (date(2024, 3, 1), "S2", Decimal("50.00"), 1, Decimal("50.00"), 100.0, 50, 0, 1),
        (date(2024, 4, 1), "S2", Decimal("1.00"), 1, Decimal("1.00"), 100.0, 0, 0, 1),
    ]


@pytest.mark.parametrize("empty", [True, False])
def test_the_marts_take_empty_inputs(empty):
    sales = Sales()
    if not empty:
        sales.add("T1", "C1", day(0), ("P_FOOD", 1, "1.00"))
    header, _ = sales.frames()
    lines = lines_of(sales, as_of=day(1))
    daily = inventory_daily(lines, stock(), as_of=day(1))
    ledger = pl.LazyFrame(schema=schema(PointsLedger))
    got = store_performance(store_days(lines), ledger, header, daily, STORES.lazy()).collect()
    assert got.height == (0 if empty else 1)
