"""Every mart adds up to silver: money exactly (``Decimal``), units, points and customers.

Two halves:

- a generated lake (two batches, the generator's anomalies included), built
  once per module: each mart, summed, equals what the test computes from the
  silver tables (and the points ledger) on its own;
- hypothesis: random small sets of sales and returns (returns on days
  without a sale, of a guest's sale, under another member's card, of a sale
  that is not in silver) through ``gold_tables``, with the same sums.

A mart that drops rows (a member's return-only day) or counts a line twice
fails here whatever the rows look like.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import loyalty_lake as ll
from loyalty_lake.codes import MONEY
from loyalty_lake.config import Config, EarningRule, LoyaltyConfig
from loyalty_lake.gold.models import GOLD_MODELS, SNAPSHOT_MODELS
from loyalty_lake.gold.tables import SilverTables, gold_tables
from tests.builders import silver

if TYPE_CHECKING:
    from collections.abc import Mapping

SALE, RETURN = "SALE", "RETURN"
ZERO = Decimal("0.00")


def total(frame: pl.DataFrame, column: str) -> Any:
    """The exact sum of a column (``Decimal`` for money, 0 of an empty frame)."""
    value = frame[column].sum()
    return ZERO if value is None else value


# --------------------------------------------------------------------------------------
# Silver, signed, computed here (not with the library's sale_lines)
# --------------------------------------------------------------------------------------


def signed_lines(header: pl.DataFrame, lines: pl.DataFrame, *, as_of: date) -> pl.DataFrame:
    """Silver lines up to ``as_of`` with their header; amount and quantity negative on RETURNs.

    ``member`` is who the line counts against: a RETURN's is the customer of
    its original sale when that sale is in silver, its own otherwise.
    """
    buyer = dict(zip(header["transaction_id"], header["customer_id"], strict=True))
    kept = header.filter(pl.col("transaction_date") <= as_of)
    members = [
        buyer[original] if kind == RETURN and original in buyer else customer
        for kind, original, customer in zip(
            kept["transaction_type"],
            kept["original_transaction_id"],
            kept["customer_id"],
            strict=True,
        )
    ]
    sign = pl.when(pl.col("transaction_type") == RETURN).then(-1).otherwise(1)
    return (
        lines.select("transaction_id", "product_id", "promotion_id", "quantity", "line_item_amount")
        .join(
            kept.with_columns(pl.Series("member", members, dtype=pl.String)).select(
                "transaction_id",
                "customer_id",
                "member",
                "store_id",
                pl.col("transaction_date").alias("date"),
                "transaction_type",
            ),
            on="transaction_id",
        )
        .with_columns(
            (pl.col("line_item_amount") * sign).cast(MONEY).alias("amount"),
            (pl.col("quantity") * sign).cast(pl.Int64).alias("units"),
        )
    )


def by(frame: pl.DataFrame, keys: list[str], **sums: str) -> pl.DataFrame:
    """``frame`` summed per ``keys`` (``sums``: output name -> column), sorted by the keys."""
    return (
        frame.group_by(keys)
        .agg(*(pl.col(column).sum().alias(name) for name, column in sums.items()))
        .sort(keys)
    )


def assert_sales_marts_add_up(gold: Mapping[str, pl.DataFrame], signed: pl.DataFrame) -> None:
    """sales_daily, store_daily, product_sales_daily, member_sales_daily against the lines."""
    revenue, units = total(signed, "amount"), total(signed, "units")
    returned = -total(signed.filter(pl.col("transaction_type") == RETURN), "amount")
    sales, stores, products = (
        gold["sales_daily"],
        gold["store_daily"],
        gold["product_sales_daily"],
    )
    assert (total(sales, "revenue"), total(sales, "units"), total(sales, "returns")) == (
        revenue,
        units,
        returned,
    )
    assert total(stores, "revenue") == revenue
    assert (total(products, "revenue"), total(products, "units")) == (revenue, units)

    # per day and store, every mart: nothing dropped, nothing counted twice
    expected = by(signed, ["date", "store_id"], revenue="amount", units="units")
    for mart in (sales, products):
        got = by(mart, ["date", "store_id"], revenue="revenue", units="units")
        assert_frame_equal(got, expected, check_dtypes=False)
    assert_frame_equal(
        by(stores, ["date", "store_id"], revenue="revenue"),
        expected.drop("units"),
        check_dtypes=False,
    )
    sold = signed.filter(pl.col("transaction_type") == SALE)
    assert total(stores, "transactions") == sold["transaction_id"].n_unique()

    # members: every member × day with a line, the return-only days included
    members = signed.filter(pl.col("member").is_not_null())
    expected_members = (
        members.group_by(pl.col("member").alias("customer_id"), "date")
        .agg(
            pl.col("amount").sum().alias("revenue"),
            pl.col("transaction_id")
            .filter(pl.col("transaction_type") == SALE)
            .n_unique()
            .cast(pl.Int64)
            .alias("transactions"),
        )
        .sort("customer_id", "date")
    )
    got_members = (  # a Delta table is read back in no particular order
        gold["member_sales_daily"]
        .select("customer_id", "date", "revenue", "transactions")
        .sort("customer_id", "date")
    )
    assert_frame_equal(got_members, expected_members, check_dtypes=False)
    assert total(gold["member_sales_daily"], "revenue") == total(members, "amount")


def assert_segments_add_up(gold: Mapping[str, pl.DataFrame], customers: pl.DataFrame) -> None:
    """segment_summary against customer_details, and customer_details against silver."""
    details, summary = gold["customer_details"], gold["segment_summary"]
    assert details.height == customers["customer_id"].n_unique()
    assert total(summary, "customers") == details.height
    assert total(summary, "buyers") == (details["frequency"] > 0).sum()
    assert total(summary, "revenue") == total(details, "monetary")
    assert total(summary, "points_outstanding") == total(details, "total_loyalty_points")
    for share in ("share_of_customers_pct", "share_of_buyers_pct"):
        assert abs(total(summary, share) - 100) <= 0.02 or total(summary, share) == 0
    for row in summary.iter_rows(named=True):
        people = details.filter(pl.col("segment") == row["segment"])
        assert row["customers"] == people.height
        assert row["revenue"] == total(people, "monetary")


def assert_member_revenue_is_monetary(
    gold: Mapping[str, pl.DataFrame], signed: pl.DataFrame
) -> None:
    """Each customer's net spend is the same number in customer_details and the member mart."""
    details = gold["customer_details"]
    from_lines = (
        signed.filter(pl.col("member").is_not_null())
        .group_by(pl.col("member").alias("customer_id"))
        .agg(pl.col("amount").sum().cast(MONEY).alias("spend"))
    )
    joined = (
        details.select("customer_id", "monetary")
        .join(from_lines, on="customer_id", how="left")
        .with_columns(pl.col("spend").fill_null(ZERO))
    )
    assert joined.filter(pl.col("monetary") != pl.col("spend")).is_empty()
    mart = gold["member_sales_daily"].join(details.select("customer_id"), on="customer_id")
    assert total(mart, "revenue") == total(gold["segment_summary"], "revenue")


def assert_loyalty_adds_up(
    gold: Mapping[str, pl.DataFrame], header: pl.DataFrame, *, as_of: date
) -> None:
    """loyalty_daily against the points ledger, and its active members against silver."""
    ledger, daily = gold["points_ledger"], gold["loyalty_daily"].sort("date")
    assert total(daily, "points_net") == total(ledger, "points")
    assert total(ledger, "points") == total(gold["customer_details"], "total_loyalty_points")
    for column, types in {
        "points_earned": ["EARN", "BONUS"],
        "points_reversed": ["REVERSAL"],
        "points_redeemed": ["REDEEM"],
        "points_expired": ["EXPIRE"],
    }.items():
        moved = ledger.filter(pl.col("event_type").is_in(types))
        assert total(daily, column) == abs(total(moved, "points")), column
    per_day = by(ledger, ["event_date"], points="points").rename({"event_date": "date"})
    assert_frame_equal(
        daily.filter(pl.col("date").is_in(per_day["date"].implode())).select(
            "date", pl.col("points_net").alias("points")
        ),
        per_day,
        check_dtypes=False,
    )
    active = (
        header.filter(
            (pl.col("transaction_type") == SALE)
            & pl.col("customer_id").is_not_null()
            & (pl.col("transaction_date") <= as_of)
        )
        .group_by(pl.col("transaction_date").alias("date"))
        .agg(pl.col("customer_id").n_unique().alias("active_members"))
        .sort("date")
    )
    assert_frame_equal(
        daily.filter(pl.col("active_members") > 0).select("date", "active_members"),
        active,
        check_dtypes=False,
    )


def assert_promotions_add_up(
    gold: Mapping[str, pl.DataFrame],
    signed: pl.DataFrame,
    promotions: pl.DataFrame,
    categories: Mapping[str, str],
    *,
    as_of: date,
) -> None:
    """promotion_performance's promoted and category sales against the SALE lines of silver."""
    performance = gold["promotion_performance"]
    started = promotions.filter(pl.col("start_date") <= as_of)
    assert sorted(performance["promotion_id"]) == sorted(started["promotion_id"])
    sold = signed.filter(pl.col("transaction_type") == SALE).with_columns(
        pl.col("product_id").replace_strict(categories, default="(unknown)").alias("category")
    )
    for promo in started.iter_rows(named=True):
        end = min(promo["end_date"], as_of)
        days = (end - promo["start_date"]).days + 1
        wanted = str(promo["applicable_category"])

        def in_category(frame: pl.DataFrame, wanted: str = wanted) -> pl.DataFrame:
            if wanted.upper() == "ALL":
                return frame
            return frame.filter(pl.col("category").str.to_lowercase() == wanted.lower())

        window = in_category(sold.filter(pl.col("date").is_between(promo["start_date"], end)))
        promoted = window.filter(pl.col("promotion_id") == promo["promotion_id"])
        baseline_start = promo["start_date"] - timedelta(days=days)
        baseline = in_category(
            sold.filter((pl.col("date") >= baseline_start) & (pl.col("date") < promo["start_date"]))
        )
        (row,) = performance.filter(pl.col("promotion_id") == promo["promotion_id"]).rows(
            named=True
        )
        assert row["promoted_revenue"] == total(promoted, "amount"), promo["promotion_id"]
        assert row["promoted_units"] == total(promoted, "units")
        assert row["promoted_transactions"] == promoted["transaction_id"].n_unique()
        assert row["category_revenue"] == total(window, "amount")
        first_day = signed.filter(pl.col("transaction_type") == SALE)["date"].min()
        if first_day is not None and baseline_start >= first_day:
            assert row["baseline_revenue"] == total(baseline, "amount")
        else:
            assert row["baseline_revenue"] is None


# --------------------------------------------------------------------------------------
# A generated lake
# --------------------------------------------------------------------------------------


def assert_stock_marts_add_up(gold: Mapping[str, pl.DataFrame], signed: pl.DataFrame) -> None:
    """inventory_daily's units are silver's, per store × product × day; store_performance's too."""
    sold = signed.filter(pl.col("transaction_type") == SALE)
    returned = signed.filter(pl.col("transaction_type") == RETURN)
    stock = gold["inventory_daily"]
    keys = ["store_id", "product_id", "date"]
    expected = by(sold, keys, units_sold="quantity")
    got = by(stock.filter(pl.col("units_sold") > 0), keys, units_sold="units_sold")
    assert_frame_equal(got, expected, check_dtypes=False)
    assert stock["units_returned"].sum() == returned["quantity"].sum()
    performance = gold["store_performance"]
    month = pl.col("date").dt.truncate("1mo").alias("month_start")
    revenue = signed.group_by("store_id", month).agg(pl.col("amount").sum().alias("revenue"))
    assert_frame_equal(
        performance.select("store_id", "month_start", "revenue").sort("store_id", "month_start"),
        revenue.sort("store_id", "month_start"),
        check_dtypes=False,
    )
    transactions = (
        sold.group_by("store_id", month)
        .agg(pl.col("transaction_id").n_unique().alias("transactions"))
        .sort("store_id", "month_start")
    )
    assert_frame_equal(
        performance.filter(pl.col("transactions") > 0)
        .select("store_id", "month_start", "transactions")
        .sort("store_id", "month_start"),
        transactions,
        check_dtypes=False,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> ll.Lake:
    """Two generated batches, anomalies and returns included, built into gold."""
    lake = ll.Lake(tmp_path_factory.mktemp("reconcile") / "lake")
    ll.generate(lake.landing, ll.GeneratorOptions(lines=2000, batches=2, seed=11))
    ll.build(lake=lake)
    return lake


@pytest.fixture(scope="module")
def lake_gold(built: ll.Lake) -> dict[str, pl.DataFrame]:
    return {name: ll.scan(built, "gold", name).collect() for name in GOLD_MODELS}


@pytest.fixture(scope="module")
def lake_silver(built: ll.Lake) -> dict[str, pl.DataFrame]:
    names = ("sales_header", "sales_lines", "customers", "products", "promotions")
    return {name: ll.scan(built, "silver", name).collect() for name in names}


@pytest.fixture(scope="module")
def lake_as_of(lake_silver: dict[str, pl.DataFrame]) -> date:
    """The build's default ``as_of``: the latest clean transaction."""
    return lake_silver["sales_header"]["transaction_date"].max()


@pytest.fixture(scope="module")
def lake_lines(lake_silver: dict[str, pl.DataFrame], lake_as_of: date) -> pl.DataFrame:
    return signed_lines(lake_silver["sales_header"], lake_silver["sales_lines"], as_of=lake_as_of)


def test_the_generated_lake_has_what_reconciliation_needs(lake_gold, lake_lines):
    assert (lake_lines["transaction_type"] == RETURN).sum() > 0
    members = lake_gold["member_sales_daily"]
    assert (members["transactions"] == 0).sum() > 0  # members' return-only days
    assert lake_gold["promotion_performance"].height > 0
    assert lake_gold["points_ledger"].height > 0


def test_sales_marts_add_up_to_the_silver_lines(lake_gold, lake_lines):
    assert_sales_marts_add_up(lake_gold, lake_lines)


def test_stock_marts_add_up_to_the_silver_lines(lake_gold, lake_lines):
    assert lake_gold["inventory_daily"]["stock_level"].is_not_null().sum() > 0
    assert_stock_marts_add_up(lake_gold, lake_lines)


def test_segment_summary_adds_up_to_customer_details(lake_gold, lake_silver):
    assert_segments_add_up(lake_gold, lake_silver["customers"])


def test_member_revenue_is_each_customers_monetary(lake_gold, lake_lines):
    assert_member_revenue_is_monetary(lake_gold, lake_lines)


def test_loyalty_daily_adds_up_to_the_points_ledger(lake_gold, lake_silver, lake_as_of):
    assert_loyalty_adds_up(lake_gold, lake_silver["sales_header"], as_of=lake_as_of)


def test_promotion_performance_adds_up_to_the_silver_lines(
    lake_gold, lake_silver, lake_lines, lake_as_of
):
    products = lake_silver["products"]
    categories = dict(zip(products["product_id"], products["product_category"], strict=True))
    assert_promotions_add_up(
        lake_gold, lake_lines, lake_silver["promotions"], categories, as_of=lake_as_of
    )


# --------------------------------------------------------------------------------------
# Random small silver frames
# --------------------------------------------------------------------------------------

D0 = date(2024, 3, 1)
CATEGORIES = {"P_FOOD": "Food", "P_TOYS": "Toys"}
#: One rule earning 1 point per unit spent, so that returns reverse points.
STANDARD = Config(
    loyalty=LoyaltyConfig(
        default_rules=(
            EarningRule(rule_id="STD", rule_name="Standard", points_per_unit_spend=Decimal(1)),
        )
    )
)
PROMOTIONS = silver(
    "promotions",
    [
        {
            "promotion_id": "PR1",
            "promotion_name": "Food days",
            "start_date": D0 + timedelta(days=3),
            "end_date": D0 + timedelta(days=6),
            "applicable_category": "Food",
            "points_multiplier": Decimal(2),
        },
        {
            "promotion_id": "PR2",
            "promotion_name": "All week",
            "start_date": D0 + timedelta(days=1),
            "end_date": D0 + timedelta(days=20),
            "applicable_category": "ALL",
            "points_multiplier": Decimal(1),
        },
    ],
)
line_strategy = st.tuples(
    st.sampled_from(sorted(CATEGORIES)),
    st.integers(1, 3),
    st.integers(1, 50_00).map(lambda cents: Decimal(cents) / 100),
    st.sampled_from([None, "PR1", "PR2"]),
)


@st.composite
def silver_sales(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Silver sales_header and sales_lines: sales, and returns of some of them (or of none)."""
    header: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []

    def add(
        transaction_id: str,
        customer: str | None,
        on: date,
        kind: str,
        bought: list[tuple[str, int, Decimal, str | None]],
        original: str | None = None,
    ) -> None:
        header.append(
            {
                "transaction_id": transaction_id,
                "customer_id": customer,
                "store_id": draw(st.sampled_from(["S1", "S2"])),
                "transaction_at": datetime.combine(on, time(10), tzinfo=UTC),
                "transaction_date": on,
                "total_amount": sum((line[2] for line in bought), ZERO),
                "transaction_type": kind,
                "original_transaction_id": original,
            }
        )
        for number, (product, quantity, amount, promotion) in enumerate(bought, 1):
            lines.append(
                {
                    "transaction_id": transaction_id,
                    "line_item_id": str(number),
                    "product_id": product,
                    "promotion_id": promotion,
                    "quantity": quantity,
                    "line_item_amount": amount,
                }
            )

    customer = st.sampled_from([None, "C1", "C2", "C3", "C4"])
    sales = draw(st.integers(1, 8))
    for n in range(sales):
        on = D0 + timedelta(days=draw(st.integers(0, 12)))
        add(
            f"T{n}", draw(customer), on, SALE, draw(st.lists(line_strategy, min_size=1, max_size=3))
        )
    for n in range(draw(st.integers(0, 4))):
        original = draw(st.sampled_from([*(f"T{i}" for i in range(sales)), "T_NOT_IN_SILVER"]))
        sold = next((h for h in header if h["transaction_id"] == original), None)
        start = sold["transaction_date"] if sold else D0
        on = start + timedelta(days=draw(st.integers(0, 8)))
        product, quantity, amount, promotion = draw(line_strategy)
        add(f"R{n}", draw(customer), on, RETURN, [(product, quantity, amount, promotion)], original)
    return silver("sales_header", header), silver("sales_lines", lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(silver_sales())
def test_random_sales_and_returns_add_up_in_every_mart(frames):
    header, lines = frames
    customers = silver("customers", [{"customer_id": c} for c in ("C1", "C2", "C3", "C4", "C5")])
    products = silver(
        "products",
        [{"product_id": p, "product_category": c} for p, c in CATEGORIES.items()],
    )
    as_of = header["transaction_date"].max()
    tables = SilverTables.of(
        sales_header=header,
        sales_lines=lines,
        customers=customers,
        products=products,
        promotions=PROMOTIONS,
    )
    gold = gold_tables(tables, config=STANDARD, as_of=as_of, pii_key=None).tables
    for name, frame in gold.items():
        SNAPSHOT_MODELS[name].validate(frame, lazy=True)
    signed = signed_lines(header, lines, as_of=as_of)
    assert_sales_marts_add_up(gold, signed)
    assert_segments_add_up(gold, customers)
    assert_member_revenue_is_monetary(gold, signed)
    assert_loyalty_adds_up(gold, header, as_of=as_of)
    assert_promotions_add_up(gold, signed, PROMOTIONS, CATEGORIES, as_of=as_of)
    assert_stock_marts_add_up(gold, signed)
