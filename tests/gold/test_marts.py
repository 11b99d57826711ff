"""The analytics marts (``gold/marts/``): literal silver frames in, expected frames out.

Each mart function runs on the inputs ``gold_tables`` gives it (``sale_lines``
feeds the sales marts); ``promotion_performance``, which also needs each line's
points, runs through ``gold_tables`` itself. Every result is validated with its
pandera model in ``GOLD_MODELS``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pandera.errors
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from loyalty_lake.codes import MONEY, RATE
from loyalty_lake.config import Config, EarningRule, LoyaltyConfig
from loyalty_lake.gold.marts.loyalty import loyalty_daily
from loyalty_lake.gold.marts.sales import (
    member_sales_daily,
    product_sales_daily,
    sale_lines,
    sales_daily,
    store_daily,
)
from loyalty_lake.gold.marts.segments import segment_summary
from loyalty_lake.gold.models import GOLD_MODELS, PointsLedger
from loyalty_lake.gold.tables import SilverTables, gold_tables
from loyalty_lake.silver.models import schema
from tests.builders import days_after, silver

if TYPE_CHECKING:
    from collections.abc import Sequence

D0 = date(2024, 3, 1)
#: No landed rules; the configuration's one rule earns 1 point per unit spent.
STANDARD = Config(
    loyalty=LoyaltyConfig(
        default_rules=(
            EarningRule(rule_id="STD", rule_name="Standard", points_per_unit_spend=Decimal(1)),
        )
    )
)

#: (product_id, quantity, amount[, promotion_id])
Line = tuple[str, int, str] | tuple[str, int, str, str | None]


day = days_after(D0)


PRODUCTS = silver(
    "products",
    [
        {"product_id": "P_FOOD", "product_category": "Food"},
        {"product_id": "P_TOYS", "product_category": "Toys"},
    ],
)


class Sales:
    """Literal silver ``sales_header`` and ``sales_lines`` rows."""

    def __init__(self) -> None:
        self.header: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []

    def add(
        self,
        transaction_id: str,
        customer_id: str | None,
        on: date,
        *lines: Line,
        store_id: str = "S1",
        kind: str = "SALE",
        original: str | None = None,
    ) -> Sales:
        self.header.append(
            {
                "transaction_id": transaction_id,
                "customer_id": customer_id,
                "store_id": store_id,
                "transaction_at": datetime.combine(on, time(10), tzinfo=UTC),
                "transaction_date": on,
                "total_amount": sum(Decimal(line[2]) for line in lines),
                "transaction_type": kind,
                "original_transaction_id": original,
            }
        )
        for number, line in enumerate(lines, 1):
            self.lines.append(
                {
                    "transaction_id": transaction_id,
                    "line_item_id": str(number),
                    "product_id": line[0],
                    "promotion_id": line[3] if len(line) > 3 else None,
                    "quantity": line[1],
                    "line_item_amount": Decimal(line[2]),
                }
            )
        return self

    def frames(self) -> tuple[pl.LazyFrame, pl.LazyFrame]:
        return silver("sales_header", self.header).lazy(), silver("sales_lines", self.lines).lazy()


def validated(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` after validation with its published model (raises on any failure)."""
    return GOLD_MODELS[name].validate(frame, lazy=True)


# --------------------------------------------------------------------------------------
# sales_daily
# --------------------------------------------------------------------------------------

STORES = silver(
    "stores",
    [
        {"store_id": "S1", "store_name": "Main Street", "store_region": "North"},
        {"store_id": "S2", "store_name": "Harbour", "store_region": "South"},
    ],
)


def test_sale_lines_are_signed_and_categorised():
    sales = Sales()
    sales.add("T1", "C1", day(0), ("P_FOOD", 2, "10.00"), ("P_TOYS", 1, "5.00", "PR1"))
    sales.add("R1", "C1", day(1), ("P_FOOD", 1, "5.00"), kind="RETURN", original="T1")
    sales.add("T9", "C1", day(9), ("P_FOOD", 1, "1.00"))  # after as_of
    header, lines = sales.frames()
    got = (
        sale_lines(header, lines, PRODUCTS, as_of=day(1))
        .sort("transaction_type", "product_id")
        .collect()
    )
    assert got.select("category", "promotion_id", "amount", "units", "transaction_type").rows() == [
        ("Food", None, Decimal("-5.00"), -1, "RETURN"),
        ("Food", None, Decimal("10.00"), 2, "SALE"),
        ("Toys", "PR1", Decimal("5.00"), 1, "SALE"),
    ]
    # A number per transaction, to count them: T1's two lines share one, R1 has its own.
    returned, *sold = got["transaction"].to_list()
    assert sold[0] == sold[1] != returned


def test_sales_daily_nets_returns_on_their_date_and_counts_sales_and_members():
    sales = Sales()
    sales.add("T1", "C1", day(0), ("P_FOOD", 2, "10.00"), ("P_TOYS", 1, "5.00"))
    sales.add("T2", None, day(0), ("P_FOOD", 1, "4.00"))  # guest: revenue, not a customer
    sales.add("T3", "C2", day(0), ("P_FOOD", 1, "6.00"))
    sales.add("T4", "C1", day(0), ("P_FOOD", 1, "1.00"))  # C1 again: one customer
    sales.add("R1", "C1", day(2), ("P_FOOD", 1, "5.00"), kind="RETURN", original="T1")
    sales.add("T5", "C3", day(2), ("P_TOYS", 3, "30.00"), store_id="S2")
    sales.add("T6", "C1", day(5), ("P_FOOD", 1, "99.00"))  # after as_of
    header, lines = sales.frames()
    got = sales_daily(sale_lines(header, lines, PRODUCTS, as_of=day(3)), STORES.lazy()).collect()
    expected = pl.DataFrame(
        [
            (day(0), "S1", "Main Street", "North", "Food", "21.00", "0.00", 5, 4, 2),
            (day(0), "S1", "Main Street", "North", "Toys", "5.00", "0.00", 1, 1, 1),
            (day(2), "S1", "Main Street", "North", "Food", "-5.00", "5.00", -1, 0, 0),
            (day(2), "S2", "Harbour", "South", "Toys", "30.00", "0.00", 3, 1, 1),
        ],
        schema={
            "date": pl.Date,
            "store_id": pl.String,
            "store_name": pl.String,
            "store_region": pl.String,
            "category": pl.String,
            "revenue": pl.String,
            "returns": pl.String,
            "units": pl.Int64,
            "transactions": pl.Int64,
            "customers": pl.Int64,
        },
        orient="row",
    ).with_columns(pl.col("revenue", "returns").cast(MONEY))
    assert_frame_equal(got, expected)
    validated("sales_daily", got)


def test_sales_daily_of_an_unknown_store_keeps_its_rows():
    sales = Sales().add("T1", "C1", day(0), ("P_FOOD", 1, "1.00"), store_id="S_NEW")
    header, lines = sales.frames()
    got = sales_daily(sale_lines(header, lines, PRODUCTS, as_of=day(0)), STORES.lazy()).collect()
    assert got.select("store_id", "store_name", "revenue").rows() == [
        ("S_NEW", None, Decimal("1.00"))
    ]
    validated("sales_daily", got)


def return_only_days() -> Sales:
    """C1 buys on day 0 and returns on day 2, when neither C1 nor anybody else buys in S1."""
    sales = Sales()
    sales.add("T1", "C1", day(0), ("P_FOOD", 2, "10.00"), ("P_TOYS", 1, "5.00"))
    sales.add("T2", "C2", day(0), ("P_FOOD", 1, "3.00"))
    sales.add("R1", "C1", day(2), ("P_FOOD", 1, "5.00"), kind="RETURN", original="T1")
    sales.add("T3", "C2", day(2), ("P_TOYS", 1, "7.00"), store_id="S2")
    return sales


def test_member_sales_daily_books_a_return_on_a_day_without_a_sale():
    header, lines = return_only_days().frames()
    got = member_sales_daily(sale_lines(header, lines, PRODUCTS, as_of=day(3))).collect()
    expected = pl.DataFrame(
        [
            ("C1", day(0), 1, "15.00", "0.00"),
            ("C1", day(2), 0, "-5.00", "5.00"),  # the return, on its own day
            ("C2", day(0), 1, "3.00", "0.00"),
            ("C2", day(2), 1, "7.00", "0.00"),
        ],
        schema={
            "customer_id": pl.String,
            "date": pl.Date,
            "transactions": pl.Int64,
            "revenue": pl.String,
            "returns": pl.String,
        },
        orient="row",
    ).with_columns(pl.col("revenue", "returns").cast(MONEY))
    assert_frame_equal(got, expected)
    validated("member_sales_daily", got)


def test_member_sales_daily_charges_a_return_to_the_member_of_the_original_sale():
    sales = Sales()
    sales.add("T1", "C1", day(0), ("P_FOOD", 1, "10.00"))
    sales.add("T2", None, day(0), ("P_FOOD", 1, "4.00"))  # a guest's sale
    # returned at the till under another card, and a guest's sale returned with a card:
    sales.add("R1", "C2", day(1), ("P_FOOD", 1, "10.00"), kind="RETURN", original="T1")
    sales.add("R2", "C3", day(1), ("P_FOOD", 1, "4.00"), kind="RETURN", original="T2")
    # the original sale is not in silver: the return's own member
    sales.add("R3", "C4", day(1), ("P_FOOD", 1, "2.00"), kind="RETURN", original="T_GONE")
    header, lines = sales.frames()
    got = member_sales_daily(sale_lines(header, lines, PRODUCTS, as_of=day(1))).collect()
    assert got.select("customer_id", "date", "revenue").rows() == [
        ("C1", day(0), Decimal("10.00")),
        ("C1", day(1), Decimal("-10.00")),
        ("C4", day(1), Decimal("-2.00")),
    ]
    validated("member_sales_daily", got)


def test_store_and_product_marts_keep_a_return_on_a_day_without_a_sale():
    header, lines = return_only_days().frames()
    signed = sale_lines(header, lines, PRODUCTS, as_of=day(3))
    stores = store_daily(signed, STORES.lazy()).collect()
    assert stores.select("date", "store_id", "revenue", "transactions", "customers").rows() == [
        (day(0), "S1", Decimal("18.00"), 2, 2),
        (day(2), "S1", Decimal("-5.00"), 0, 0),
        (day(2), "S2", Decimal("7.00"), 1, 1),
    ]
    validated("store_daily", stores)
    products = product_sales_daily(signed, PRODUCTS, STORES.lazy()).collect()
    assert products.select("date", "store_id", "product_id", "revenue", "units").rows() == [
        (day(0), "S1", "P_FOOD", Decimal("13.00"), 3),
        (day(0), "S1", "P_TOYS", Decimal("5.00"), 1),
        (day(2), "S1", "P_FOOD", Decimal("-5.00"), -1),
        (day(2), "S2", "P_TOYS", Decimal("7.00"), 1),
    ]
    validated("product_sales_daily", products)


# --------------------------------------------------------------------------------------
# loyalty_daily
# --------------------------------------------------------------------------------------


def ledger(rows: Sequence[tuple[str, date, str, int]]) -> pl.LazyFrame:
    """A published points ledger of (customer_id, event_date, event_type, points) rows."""
    full = []
    balances: dict[str, int] = {}
    for sequence, (customer_id, on, event_type, points) in enumerate(rows, 1):
        balances[customer_id] = balances.get(customer_id, 0) + points
        full.append(
            {
                "customer_id": customer_id,
                "sequence": sequence,
                "event_date": on,
                "event_type": event_type,
                "points": points,
                "balance_after": balances[customer_id],
            }
        )
    return pl.DataFrame(full, schema=schema(PointsLedger)).lazy()


def test_loyalty_daily_sums_points_by_type_and_counts_active_members():
    events = ledger(
        [
            ("C1", day(0), "EARN", 100),
            ("C1", day(0), "BONUS", 50),
            ("C2", day(0), "EARN", 20),
            ("C1", day(1), "REDEEM", -30),
            ("C1", day(2), "REVERSAL", -10),
            ("C2", day(2), "EXPIRE", -20),
        ]
    )
    sales = Sales()
    sales.add("T1", "C1", day(0), ("P_FOOD", 1, "100.00"))
    sales.add("T2", "C1", day(0), ("P_FOOD", 1, "1.00"))
    sales.add("T3", "C2", day(0), ("P_FOOD", 1, "20.00"))
    sales.add("T4", None, day(0), ("P_FOOD", 1, "9.00"))  # guest: not a member
    sales.add("R1", "C1", day(2), ("P_FOOD", 1, "10.00"), kind="RETURN", original="T1")
    sales.add("T5", "C3", day(3), ("P_FOOD", 1, "0.50"))  # no points, still active
    sales.add("T6", "C1", day(4), ("P_FOOD", 1, "5.00"))  # after as_of
    header, _ = sales.frames()
    got = loyalty_daily(events, header, as_of=day(3)).collect()
    expected = pl.DataFrame(
        [
            (day(0), 170, 0, 0, 0, 170, 2),
            (day(1), 0, 0, 30, 0, -30, 0),
            (day(2), 0, 10, 0, 20, -30, 0),
            (day(3), 0, 0, 0, 0, 0, 1),
        ],
        schema={
            "date": pl.Date,
            "points_earned": pl.Int64,
            "points_reversed": pl.Int64,
            "points_redeemed": pl.Int64,
            "points_expired": pl.Int64,
            "points_net": pl.Int64,
            "active_members": pl.Int64,
        },
        orient="row",
    )
    assert_frame_equal(got, expected)
    validated("loyalty_daily", got)


def test_loyalty_daily_net_equals_the_ledger_total():
    events = ledger(
        [
            ("C1", day(0), "EARN", 7),
            ("C1", day(5), "REDEEM", -7),
            ("C2", day(5), "EARN", 3),
        ]
    )
    header, _ = Sales().frames()
    got = loyalty_daily(events, header, as_of=day(5)).collect()
    assert got["points_net"].sum() == 3
    assert got["date"].to_list() == [day(0), day(5)]
    validated("loyalty_daily", got)


# --------------------------------------------------------------------------------------
# promotion_performance
# --------------------------------------------------------------------------------------


def promotion(
    promotion_id: str, start: date, end: date, category: str, multiplier: str
) -> dict[str, Any]:
    return {
        "promotion_id": promotion_id,
        "promotion_name": f"Promo {promotion_id}",
        "start_date": start,
        "end_date": end,
        "discount_percentage": Decimal(10),
        "applicable_category": category,
        "points_multiplier": Decimal(multiplier),
    }


PROMOTIONS = silver(
    "promotions",
    [
        # clipped at as_of (day 19): 10 days, baseline days 0..9
        promotion("PA", day(10), day(30), "Food", "2"),
        # 3 days, baseline days 0..2 starts on the first transaction's day: it counts
        promotion("PB", day(3), day(5), "ALL", "3"),
        # 3 days, baseline days -1..1 starts before the first transaction: null
        promotion("PC", day(2), day(4), "toys", "1.5"),
        # baseline days 13..14 hold no Toys sale: 0, so no uplift
        promotion("PE", day(15), day(16), "Toys", "2"),
        # starts after as_of: not reported
        promotion("PD", day(25), day(26), "Food", "2"),
    ],
)


def promotion_sales() -> Sales:
    sales = Sales()
    sales.add("T01", "C1", day(0), ("P_FOOD", 1, "10.00"), ("P_TOYS", 1, "20.00"))
    sales.add("T03", "C1", day(1), ("P_FOOD", 1, "5.00"))
    sales.add("T04", "C1", day(3), ("P_FOOD", 1, "8.00", "PB"), ("P_TOYS", 1, "4.00", "PC"))
    sales.add("T05", None, day(4), ("P_FOOD", 1, "2.00"))
    sales.add("T06", None, day(5), ("P_TOYS", 1, "60.00", "PB"))  # a guest earns no points
    sales.add("T07", "C2", day(6), ("P_FOOD", 1, "100.00", "PB"))  # after PB's window
    sales.add("T08", "C2", day(9), ("P_FOOD", 1, "7.00"))
    sales.add("T09", "C1", day(10), ("P_FOOD", 2, "30.00", "PA"))
    sales.add("T10", "C2", day(12), ("P_FOOD", 1, "15.00"))
    # a return of a promoted line counts neither as promoted nor as category revenue
    sales.add("R1", "C1", day(12), ("P_FOOD", 1, "10.00", "PA"), kind="RETURN", original="T09")
    sales.add("T11", "C2", day(16), ("P_FOOD", 1, "50.00", "PA"), store_id="S2")
    sales.add("T13", "C3", day(15), ("P_TOYS", 1, "9.00", "PE"))
    sales.add("T12", "C1", day(20), ("P_FOOD", 1, "1000.00", "PA"))  # after as_of
    return sales


def run_promotions(sales: Sales, promotions: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """promotion_performance as gold computes it (each line's points from the STANDARD rule)."""
    header, lines = sales.frames()
    silver_tables = SilverTables.of(
        sales_header=header, sales_lines=lines, products=PRODUCTS, promotions=promotions
    )
    gold = gold_tables(silver_tables, config=STANDARD, as_of=as_of, pii_key=None)
    return gold.tables["promotion_performance"]


def test_promotion_performance_windows_baselines_uplift_points_and_rank():
    got = run_promotions(promotion_sales(), PROMOTIONS, as_of=day(19))
    # PA: Food days 10..19: 30 + 15 + 50 = 95; baseline Food days 0..9:
    #     10 + 5 + 8 + 2 + 100 + 7 = 132; uplift (95 − 132) / 132 = −28.03 %;
    #     promoted T09 + T11 = 80.00, 3 units; points 30 × 2 + 50 × 2 = 160.
    # PB: all categories days 3..5: 12 + 2 + 60 = 74; baseline days 0..2: 35;
    #     uplift 111.43 %; promoted 8 + 60 = 68.00; points 8 × 3 = 24 (T06 is a guest).
    # PC: Toys days 2..4: 4.00; baseline null; promoted 4.00; points floor(4 × 1.5) = 6.
    # PE: Toys days 15..16: 9.00; baseline 0 → no uplift; points 9 × 2 = 18.
    expected = pl.DataFrame(
        [
            (1, "PB", "ALL", day(3), day(5), 3, "3", "68.00", 2, 2, "74.00", "35.00", 111.43, 24),
            (
                2,
                "PA",
                "Food",
                day(10),
                day(30),
                10,
                "2",
                "80.00",
                3,
                2,
                "95.00",
                "132.00",
                -28.03,
                160,
            ),
            (None, "PC", "toys", day(2), day(4), 3, "1.5", "4.00", 1, 1, "4.00", None, None, 6),
            (None, "PE", "Toys", day(15), day(16), 2, "2", "9.00", 1, 1, "9.00", "0.00", None, 18),
        ],
        schema={
            "rank": pl.Int64,
            "promotion_id": pl.String,
            "promo_category": pl.String,
            "start_date": pl.Date,
            "end_date": pl.Date,
            "days": pl.Int64,
            "points_multiplier": pl.String,
            "promoted_revenue": pl.String,
            "promoted_units": pl.Int64,
            "promoted_transactions": pl.Int64,
            "category_revenue": pl.String,
            "baseline_revenue": pl.String,
            "uplift_pct": pl.Float64,
            "points_issued": pl.Int64,
        },
        orient="row",
    ).with_columns(
        pl.concat_str(pl.lit("Promo "), "promotion_id").alias("promotion_name"),
        pl.lit(Decimal(10)).cast(RATE).alias("discount_percentage"),
        pl.col("points_multiplier").cast(RATE),
        pl.col("promoted_revenue", "category_revenue", "baseline_revenue").cast(MONEY),
    )
    assert_frame_equal(got, expected.select(got.columns))
    validated("promotion_performance", got)


def test_promotion_baseline_exactly_as_long_as_the_clipped_window():
    # as_of on day 12: PA's window is days 10..12 (3 days), its baseline days 7..9 (just T08).
    got = run_promotions(promotion_sales(), PROMOTIONS, as_of=day(12))
    pa = got.filter(pl.col("promotion_id") == "PA").row(0, named=True)
    assert (pa["days"], pa["category_revenue"], pa["baseline_revenue"]) == (
        3,
        Decimal("45.00"),
        Decimal("7.00"),
    )
    assert pa["uplift_pct"] == pytest.approx(542.86)
    assert pa["promoted_revenue"] == Decimal("30.00")
    validated("promotion_performance", got)


def test_equal_uplifts_share_a_rank():
    promotions = silver(
        "promotions",
        [
            promotion("P1", day(1), day(1), "Food", "1"),
            promotion("P2", day(1), day(1), "Food", "1"),
            promotion("P3", day(1), day(1), "Toys", "1"),
        ],
    )
    sales = Sales()
    sales.add("T0", "C1", day(0), ("P_FOOD", 1, "10.00"), ("P_TOYS", 1, "10.00"))
    sales.add("T1", "C1", day(1), ("P_FOOD", 1, "20.00"), ("P_TOYS", 1, "5.00"))
    got = run_promotions(sales, promotions, as_of=day(1))
    assert got.select("promotion_id", "uplift_pct", "rank").rows() == [
        ("P1", 100.0, 1),
        ("P2", 100.0, 1),
        ("P3", -50.0, 3),
    ]
    validated("promotion_performance", got)


def test_no_promotion_started_gives_an_empty_valid_table():
    promotions = silver("promotions", [promotion("PX", day(5), day(6), "ALL", "2")])
    sales = Sales().add("T0", "C1", day(0), ("P_FOOD", 1, "10.00"))
    got = run_promotions(sales, promotions, as_of=day(1))
    assert got.is_empty()
    validated("promotion_performance", got)


# --------------------------------------------------------------------------------------
# segment_summary
# --------------------------------------------------------------------------------------


def test_segment_summary_counts_shares_revenue_and_points():
    details = pl.LazyFrame(
        [
            ("C1", "High Spender", 3, "100.00", 10),
            ("C2", "High Spender", 1, "50.50", 21),
            ("C3", "At Risk", 1, "20.00", 7),
            ("C4", "Others", 0, "0.00", 0),  # no sale: a customer, not a buyer
            ("C5", "Others", 1, "-5.00", 0),
            ("C6", "Others", 2, "10.00", 1),
        ],
        schema={
            "customer_id": pl.String,
            "segment": pl.String,
            "frequency": pl.Int64,
            "monetary": pl.String,
            "total_loyalty_points": pl.Int64,
        },
        orient="row",
    ).with_columns(pl.col("monetary").cast(MONEY))
    got = segment_summary(details).collect()
    # 6 customers, 5 of them with a sale
    expected = pl.DataFrame(
        [
            ("At Risk", 1, 16.67, 1, 20.0, "20.00", 7.0, 7),
            ("High Spender", 2, 33.33, 2, 40.0, "150.50", 15.5, 31),
            ("Others", 3, 50.0, 2, 40.0, "5.00", 0.3, 1),
        ],
        schema={
            "segment": pl.String,
            "customers": pl.Int64,
            "share_of_customers_pct": pl.Float64,
            "buyers": pl.Int64,
            "share_of_buyers_pct": pl.Float64,
            "revenue": pl.String,
            "average_points": pl.Float64,
            "points_outstanding": pl.Int64,
        },
        orient="row",
    ).with_columns(pl.col("revenue").cast(MONEY))
    assert_frame_equal(got, expected)
    validated("segment_summary", got)


def test_segment_summary_shares_name_their_population():
    """No bare share: one of all customers, one of the customers with a sale (buyers)."""
    shares = [c for c in GOLD_MODELS["segment_summary"].to_schema().columns if "share" in c]
    assert shares == ["share_of_customers_pct", "share_of_buyers_pct"]


def test_segment_summary_buyers_cannot_exceed_customers():
    bad = pl.DataFrame(
        {
            "segment": ["Others"],
            "customers": [1],
            "share_of_customers_pct": [100.0],
            "buyers": [2],
            "share_of_buyers_pct": [100.0],
            "revenue": [Decimal("1.00")],
            "average_points": [0.0],
            "points_outstanding": [0],
        },
        schema_overrides={"revenue": MONEY},
    )
    with pytest.raises(pandera.errors.SchemaErrors, match="buyers_are_customers"):
        validated("segment_summary", bad)


# --------------------------------------------------------------------------------------
# No data at all
# --------------------------------------------------------------------------------------


def test_marts_of_no_sales_are_valid():
    header, lines = Sales().frames()
    daily = sales_daily(sale_lines(header, lines, PRODUCTS, as_of=day(19)), STORES.lazy())
    loyalty = loyalty_daily(ledger([]), header, as_of=day(19))
    summary = segment_summary(
        pl.LazyFrame(
            schema={
                "segment": pl.String,
                "frequency": pl.Int64,
                "monetary": MONEY,
                "total_loyalty_points": pl.Int64,
            }
        )
    )
    for name, frame in {"sales_daily": daily, "loyalty_daily": loyalty}.items():
        assert validated(name, frame.collect()).is_empty(), name
    # every segment is listed, empty ones too
    segments = validated("segment_summary", summary.collect())
    assert segments.select(
        "segment", "customers", "share_of_customers_pct", "buyers", "share_of_buyers_pct"
    ).rows() == [
        ("At Risk", 0, 0.0, 0, 0.0),
        ("High Spender", 0, 0.0, 0, 0.0),
        ("Others", 0, 0.0, 0, 0.0),
    ]
    # started promotions are still reported: nothing sold, no baseline, no rank
    promotions = run_promotions(Sales(), PROMOTIONS, as_of=day(19))
    validated("promotion_performance", promotions)
    assert promotions.select(
        "promotion_id", "category_revenue", "baseline_revenue", "rank"
    ).rows() == [(p, Decimal("0.00"), None, None) for p in ("PA", "PB", "PC", "PE")]
