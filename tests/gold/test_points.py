"""The points engine (``gold/points/``): literal cases, an independent oracle, invariants.

Every case runs gold itself (``gold_tables``, the one composition the pipeline
runs) on literal silver frames: earning and redemption events, then rounds of
``judged_ledger`` that reject each customer's first insufficient redemption
until none is left, then the published ``points_ledger``.

The oracle at the bottom re-implements contract section 3.1 in plain Python
(``Decimal``, dictionaries, a FIFO queue of lots) without the library's code;
hypothesis compares the two on random event streams.
"""

from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any
from unittest import mock

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from loyalty_lake.config import Config, LoyaltyConfig, TierThresholds
from loyalty_lake.gold.points.balances import customer_points, next_expiry
from loyalty_lake.gold.points.earning import line_points
from loyalty_lake.gold.points.ledger import first_insufficient, judged_ledger
from loyalty_lake.gold.tables import SilverTables, gold_tables
from tests.builders import days_after, products, silver

if TYPE_CHECKING:
    import random
    from collections.abc import Mapping, Sequence

# --------------------------------------------------------------------------------------
# Literal silver frames and the engine run
# --------------------------------------------------------------------------------------

D0 = date(2024, 1, 10)  # a Wednesday
#: product_id -> product_category
CATEGORIES_BY_PRODUCT = {
    "P_FOOD": "Food",
    "P_HEALTH": "Health",
    "P_ELEC": "Electronics",
    "P_TOYS": "Toys",
}
#: Enough rounds for any customer's run of insufficient redemptions (as the pipeline).
MAX_ROUNDS = 100

Line = tuple[str, str | Decimal] | tuple[str, str | Decimal, str | None]


day = days_after(D0)


PRODUCTS = products(CATEGORIES_BY_PRODUCT)


def rule(
    rule_id: str,
    rate: str,
    *,
    category: str = "ALL",
    min_spend: str = "0",
    bonus: int = 0,
    valid_from: date | None = None,
    valid_to: date | None = None,
    days: str | None = None,
) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "rule_name": rule_id.title(),
        "points_per_unit_spend": Decimal(rate),
        "min_spend_threshold": Decimal(min_spend),
        "bonus_points": bonus,
        "applicable_category": category,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "days_of_week": days,
    }


def promotion(
    promotion_id: str, start: date, end: date, category: str, multiplier: str
) -> dict[str, Any]:
    return {
        "promotion_id": promotion_id,
        "promotion_name": promotion_id,
        "start_date": start,
        "end_date": end,
        "discount_percentage": Decimal(10),
        "applicable_category": category,
        "points_multiplier": Decimal(multiplier),
    }


STANDARD = rule("STD", "1")
#: No landed rules: the configuration's default rules apply.
DEFAULT_RULES: tuple[dict[str, Any], ...] = ()


@dataclass
class Batch:
    """The silver rows of one case: transactions (header and lines) and redemptions."""

    header: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)
    redemptions: list[dict[str, Any]] = field(default_factory=list)

    def sale(
        self,
        transaction_id: str,
        customer_id: str | None,
        on: date,
        *lines: Line,
        at: time = time(10),
        total: str | None = None,
        kind: str = "SALE",
        original: str | None = None,
    ) -> None:
        """A transaction; each line is (product_id, amount[, promotion_id])."""
        amounts = [Decimal(str(line[1])) for line in lines]
        self.header.append(
            {
                "transaction_id": transaction_id,
                "customer_id": customer_id,
                "store_id": "S1",
                "transaction_at": datetime.combine(on, at, tzinfo=UTC),
                "transaction_date": on,
                "total_amount": Decimal(total) if total is not None else sum(amounts),
                "transaction_type": kind,
                "original_transaction_id": original,
            }
        )
        for number, (line, amount) in enumerate(zip(lines, amounts, strict=True), 1):
            self.lines.append(
                {
                    "transaction_id": transaction_id,
                    "line_item_id": str(number),
                    "product_id": line[0],
                    "promotion_id": line[2] if len(line) > 2 else None,
                    "quantity": 1,
                    "line_item_amount": amount,
                }
            )

    def refund(
        self,
        transaction_id: str,
        original: str,
        on: date,
        *lines: Line,
        customer_id: str | None = None,
        at: time = time(12),
    ) -> None:
        """A RETURN of ``original``; amounts are positive, as in silver."""
        if customer_id is None:
            customer_id = next(
                (h["customer_id"] for h in self.header if h["transaction_id"] == original), None
            )
        self.sale(transaction_id, customer_id, on, *lines, at=at, kind="RETURN", original=original)

    def redeem(self, redemption_id: str, customer_id: str, on: date, points: int) -> None:
        self.redemptions.append(
            {
                "redemption_id": redemption_id,
                "customer_id": customer_id,
                "redemption_date": on,
                "points_redeemed": points,
                "store_id": "S1",
            }
        )


@dataclass(frozen=True)
class Points:
    """What the engine published: the ledger and the rejected redemption ids."""

    ledger: pl.DataFrame
    rejected: list[str]

    def rows(self, *columns: str, customer_id: str | None = None) -> list[tuple[Any, ...]]:
        """The ledger's rows in published order (optionally of one customer)."""
        ledger = self.ledger
        if customer_id is not None:
            ledger = ledger.filter(pl.col("customer_id") == customer_id)
        return ledger.sort("customer_id", "sequence").select(columns).rows()

    def balances(self) -> dict[str, int]:
        sums = self.ledger.group_by("customer_id").agg(pl.col("points").sum())
        return dict(sums.iter_rows())


def run_points(
    batch: Batch,
    *,
    rules: Sequence[Mapping[str, Any]],
    promotions: Sequence[Mapping[str, Any]] = (),
    products: pl.DataFrame = PRODUCTS,
    as_of: date,
    expiry_months: int = 12,
) -> Points:
    """Run gold (:func:`gold_tables`) on literal silver rows: its ledger and refusals.

    ``rules`` are the landed loyalty rules; none (:data:`DEFAULT_RULES`) means
    the configuration's defaults.
    """
    silver_tables = SilverTables.of(
        sales_header=silver("sales_header", batch.header),
        sales_lines=silver("sales_lines", batch.lines),
        redemptions=silver("redemptions", batch.redemptions),
        loyalty_rules=silver("loyalty_rules", rules),
        promotions=silver("promotions", promotions),
        products=products,
    )
    config = Config(loyalty=LoyaltyConfig(expiry_months=expiry_months))
    gold = gold_tables(silver_tables, config=config, as_of=as_of, pii_key=None)
    return Points(
        gold.tables["points_ledger"], sorted(gold.refused_redemptions["redemption_id"].to_list())
    )


def rounds_over_everyone(
    events: pl.DataFrame, *, as_of: date, expiry_months: int
) -> tuple[pl.LazyFrame, pl.Series]:
    """The redemption rounds over every customer's events: what settled_ledger shortens."""
    rejected = pl.Series("redemption_id", [], dtype=pl.String)
    for _ in range(MAX_ROUNDS):
        ledger, verdicts = judged_ledger(
            events.lazy(),
            rejected_redemptions=rejected,
            as_of=as_of,
            expiry_months=expiry_months,
        )
        newly = first_insufficient(verdicts).collect()["redemption_id"]
        if newly.is_empty():
            return ledger, rejected
        rejected = pl.concat([rejected, newly])
    pytest.fail(f"redemption rounds did not settle after {MAX_ROUNDS} rounds")


# --------------------------------------------------------------------------------------
# Line points: floor(amount × rate × multiplier), exactly
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "rate", "multiplier", "expected"),
    [
        ("0.10", "10", "1", 1),
        ("0.20", "10", "1", 2),
        ("0.29", "10", "1", 2),
        ("0.29", "100", "1", 29),  # 0.29 * 100 == 28.999999999999996 in binary floats
        ("1.15", "100", "1", 115),  # 114.99999999999999 in floats
        ("4.35", "100", "1", 435),
        ("33.33", "1.5", "1", 49),  # 49.995
        ("10.00", "0.7", "3", 21),  # 0.7 * 3 * 10 == 20.999999999999996 in floats
        ("33.33", "1.5", "1.5", 74),  # 74.9925
        ("0.99", "1", "1", 0),
        ("99999999.99", "2.5", "4", 999999999),  # 999999999.9 without overflow
    ],
)
def test_line_points_is_an_exact_floor(amount, rate, multiplier, expected):
    frame = pl.DataFrame(
        {"amount": [Decimal(amount)], "rate": [Decimal(rate)], "multiplier": [Decimal(multiplier)]},
        schema={
            "amount": pl.Decimal(18, 2),
            "rate": pl.Decimal(18, 4),
            "multiplier": pl.Decimal(18, 4),
        },
    )
    got = frame.select(line_points(pl.col("amount"), pl.col("rate"), pl.col("multiplier")))
    assert got.item() == expected


# --------------------------------------------------------------------------------------
# Rules: threshold, window, specificity, rate, weekday
# --------------------------------------------------------------------------------------


def test_bonus_needs_the_threshold_exactly():
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "60.00"), ("P_HEALTH", "40.00"))  # total 100.00
    batch.sale("T2", "C2", day(0), ("P_FOOD", "99.99"))
    points = run_points(batch, rules=DEFAULT_RULES, as_of=day(1))
    assert points.rows("customer_id", "transaction_id", "event_type", "points", "rule_id") == [
        ("C1", "T1", "EARN", 100, "DEFAULT"),
        ("C1", "T1", "BONUS", 50, "DEFAULT_BONUS"),
        ("C2", "T2", "EARN", 99, "DEFAULT"),
    ]


def test_threshold_is_judged_on_the_transaction_total_not_the_line():
    rules = [STANDARD, rule("BIG", "2", min_spend="100")]
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "50.00"), ("P_FOOD", "50.00"))
    batch.sale("T2", "C1", day(0), ("P_FOOD", "50.00"), total="99.99")  # header total rules
    points = run_points(batch, rules=rules, as_of=day(1))
    assert points.rows("transaction_id", "event_type", "points", "rule_id") == [
        ("T1", "EARN", 200, "BIG"),
        ("T2", "EARN", 50, "STD"),
    ]


def test_rule_window_is_inclusive_at_both_ends():
    rules = [STANDARD, rule("WINDOW", "3", valid_from=day(1), valid_to=day(5))]
    batch = Batch()
    for offset in (0, 1, 5, 6):
        batch.sale(f"T{offset}", "C1", day(offset), ("P_FOOD", "10.00"))
    points = run_points(batch, rules=rules, as_of=day(10))
    assert points.rows("event_date", "points", "rule_id") == [
        (day(0), 10, "STD"),
        (day(1), 30, "WINDOW"),
        (day(5), 30, "WINDOW"),  # valid on its last day
        (day(6), 10, "STD"),  # not the day after
    ]


def test_category_rule_beats_a_higher_all_rule_case_insensitively():
    rules = [rule("ALL5", "5"), rule("FOOD2", "2", category="FOOD")]
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "10.00"), ("P_HEALTH", "10.00"))
    points = run_points(batch, rules=rules, as_of=day(0))
    assert points.rows("event_type", "points", "rule_id") == [
        ("EARN", 50, "ALL5"),
        ("EARN", 20, "FOOD2"),
    ]


def test_an_invalid_category_rule_falls_back_to_the_all_rule():
    rules = [STANDARD, rule("FOOD_BIG", "4", category="Food", min_spend="50")]
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "10.00"))
    batch.sale("T2", "C1", day(0), ("P_FOOD", "50.00"), at=time(11))
    points = run_points(batch, rules=rules, as_of=day(0))
    assert points.rows("transaction_id", "points", "rule_id") == [
        ("T1", 10, "STD"),
        ("T2", 200, "FOOD_BIG"),
    ]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param([rule("A", "1"), rule("B", "1.5")], [(15, "B")], id="highest ALL rate"),
        pytest.param(
            [rule("H1", "2", category="Food"), rule("H2", "3", category="food"), rule("A", "9")],
            [(30, "H2")],
            id="highest category rate",
        ),
        pytest.param([rule("Z1", "2"), rule("Y1", "2")], [(20, "Y1")], id="tie: lowest id"),
    ],
)
def test_highest_rate_among_equals_then_lowest_rule_id(rules, expected):
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "10.00"))
    points = run_points(batch, rules=rules, as_of=day(0))
    assert points.rows("points", "rule_id") == expected


def test_weekday_rule_applies_on_its_days_only():
    rules = [STANDARD, rule("WEEKEND", "2", days="SAT|SUN")]
    batch = Batch()
    for offset in (2, 3, 4, 5):  # Fri, Sat, Sun, Mon
        batch.sale(f"T{offset}", "C1", day(offset), ("P_FOOD", "10.00"))
    points = run_points(batch, rules=rules, as_of=day(5))
    assert [d.strftime("%a") for d in (day(2), day(5))] == ["Fri", "Mon"]
    assert points.rows("transaction_id", "points", "rule_id") == [
        ("T2", 10, "STD"),
        ("T3", 20, "WEEKEND"),
        ("T4", 20, "WEEKEND"),
        ("T5", 10, "STD"),
    ]


def test_a_line_no_rule_admits_earns_nothing():
    rules = [rule("FOOD", "1", category="Food")]
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_TOYS", "10.00"))
    assert run_points(batch, rules=rules, as_of=day(0)).ledger.is_empty()


# --------------------------------------------------------------------------------------
# Promotions
# --------------------------------------------------------------------------------------


def test_promotion_multiplies_only_inside_its_window_and_category():
    promotions = [
        promotion("PR_FOOD", day(1), day(9), "food", "2"),
        promotion("PR_ALL", day(1), day(9), "ALL", "3"),
    ]
    cases = {
        "T_BEFORE": (0, ("P_FOOD", "10.00", "PR_FOOD"), 10),
        "T_FIRST": (1, ("P_FOOD", "10.00", "PR_FOOD"), 20),
        "T_LAST": (9, ("P_FOOD", "10.00", "PR_FOOD"), 20),
        "T_AFTER": (10, ("P_FOOD", "10.00", "PR_FOOD"), 10),
        "T_OTHER_CAT": (5, ("P_HEALTH", "10.00", "PR_FOOD"), 10),
        "T_ALL": (5, ("P_HEALTH", "10.00", "PR_ALL"), 30),
        "T_UNKNOWN": (5, ("P_FOOD", "10.00", "PR_NOPE"), 10),
        "T_NONE": (5, ("P_FOOD", "10.00", None), 10),
    }
    batch = Batch()
    for transaction_id, (offset, line, _) in cases.items():
        batch.sale(transaction_id, "C1", day(offset), line)
    points = run_points(batch, rules=[STANDARD], promotions=promotions, as_of=day(10))
    got = dict(points.rows("transaction_id", "points"))
    assert got == {t: expected for t, (_, _, expected) in cases.items()}


def test_promotion_applies_per_line():
    promotions = [promotion("PR", day(0), day(0), "Food", "1.5")]
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "33.33", "PR"), ("P_FOOD", "10.00"))
    points = run_points(batch, rules=[rule("R", "1.5")], promotions=promotions, as_of=day(0))
    assert points.rows("points", "rule_id") == [(74 + 15, "R")]  # floor(74.9925) + 15


# --------------------------------------------------------------------------------------
# The hackathon example and decimal exactness
# --------------------------------------------------------------------------------------


def test_hackathon_example_every_line_earns_floor_amount_times_rate():
    rules = [
        rule("STANDARD", "1.0"),
        rule("HEALTH", "2.0", category="Health"),
        rule("ELECTRONICS", "1.5", category="Electronics"),
    ]
    batch = Batch()
    batch.sale(
        "T1",
        "C1",
        day(0),
        ("P_FOOD", "12.34"),  # 12
        ("P_HEALTH", "12.34"),  # 24.68 -> 24
        ("P_ELEC", "33.33"),  # 49.995 -> 49
        ("P_ELEC", "99.99"),  # 149.985 -> 149
    )
    batch.sale("T2", "C1", day(1), ("P_HEALTH", "0.99"), ("P_HEALTH", "0.99"))  # 1 + 1, not 3
    batch.sale("T3", "C2", day(1), ("P_TOYS", "250.00"))
    points = run_points(batch, rules=rules, as_of=day(1))
    assert points.rows("customer_id", "transaction_id", "event_type", "points", "rule_id") == [
        ("C1", "T1", "EARN", 198, "ELECTRONICS"),
        ("C1", "T1", "EARN", 24, "HEALTH"),
        ("C1", "T1", "EARN", 12, "STANDARD"),
        ("C1", "T2", "EARN", 2, "HEALTH"),
        ("C2", "T3", "EARN", 250, "STANDARD"),
    ]
    assert points.balances() == {"C1": 236, "C2": 250}


@pytest.mark.parametrize(
    ("amounts", "rate", "multiplier", "expected"),
    [
        (("0.10", "0.20", "0.29"), "10", None, 1 + 2 + 2),
        (("0.10", "0.20", "0.29", "1.15", "4.35"), "100", None, 10 + 20 + 29 + 115 + 435),
        (("33.33",), "1.5", None, 49),
        (("10.00",), "0.7", "3", 21),
        (("0.01",) * 3, "99.99", None, 0),  # 0.9999 per line, floored per line
    ],
)
def test_points_are_exact_decimals(amounts, rate, multiplier, expected):
    promotions = [promotion("PR", day(0), day(0), "ALL", multiplier)] if multiplier else []
    batch = Batch()
    batch.sale("T1", "C1", day(0), *(("P_FOOD", a, "PR") for a in amounts))
    points = run_points(batch, rules=[rule("R", rate)], promotions=promotions, as_of=day(0))
    assert points.rows("event_type", "points") == [("EARN", expected)]


# --------------------------------------------------------------------------------------
# Bonuses
# --------------------------------------------------------------------------------------


def test_two_bonuses_at_once_and_a_category_bonus_needs_its_category():
    rules = [
        rule("DEFAULT", "1"),
        rule("DEFAULT_BONUS", "1", min_spend="100", bonus=50),
        rule("TOYS", "1", category="toys", bonus=20),
    ]
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_TOYS", "20.00"), ("P_FOOD", "80.00"))
    batch.sale("T2", "C1", day(1), ("P_FOOD", "100.00"))
    batch.sale("T3", "C1", day(2), ("P_TOYS", "5.00"), ("P_TOYS", "5.00"))
    points = run_points(batch, rules=rules, as_of=day(2))
    assert points.rows("transaction_id", "event_type", "points", "rule_id") == [
        ("T1", "EARN", 80, "DEFAULT"),
        ("T1", "BONUS", 50, "DEFAULT_BONUS"),
        ("T1", "BONUS", 20, "TOYS"),  # within a transaction: by rule id, then event type
        ("T1", "EARN", 20, "TOYS"),
        ("T2", "EARN", 100, "DEFAULT"),
        ("T2", "BONUS", 50, "DEFAULT_BONUS"),
        ("T3", "BONUS", 20, "TOYS"),  # once per transaction, not per line
        ("T3", "EARN", 10, "TOYS"),
    ]


# --------------------------------------------------------------------------------------
# Returns
# --------------------------------------------------------------------------------------


def test_return_reverses_under_the_original_sales_rules():
    rules = [
        STANDARD,
        rule("SPRING", "3", valid_from=day(1), valid_to=day(10)),
        rule("BIG", "2", min_spend="100", bonus=25),
    ]
    promotions = [promotion("PR", day(0), day(3), "Food", "2")]
    batch = Batch()
    # C1: the rule of the sale has expired by the return.
    batch.sale("T1", "C1", day(5), ("P_FOOD", "40.00"))
    batch.refund("T1R", "T1", day(30), ("P_FOOD", "40.00"))
    # C2: the return alone is below the threshold; the sale's total counts; no bonus back.
    batch.sale("T2", "C2", day(0), ("P_FOOD", "100.00"), ("P_HEALTH", "50.00"))
    batch.refund("T2R", "T2", day(1), ("P_HEALTH", "50.00"))
    # C3: promoted line returned after the promotion ended; the return has no customer id.
    batch.sale("T3", "C3", day(0), ("P_FOOD", "10.00", "PR"), ("P_HEALTH", "10.00"))
    batch.sale(
        "T3R", None, day(20), ("P_FOOD", "5.00", "PR"), kind="RETURN", original="T3", at=time(9)
    )
    points = run_points(batch, rules=rules, promotions=promotions, as_of=day(40))
    assert points.rows("customer_id", "event_date", "event_type", "points", "rule_id") == [
        ("C1", day(5), "EARN", 120, "SPRING"),
        ("C1", day(30), "REVERSAL", -120, "SPRING"),
        ("C2", day(0), "BONUS", 25, "BIG"),
        ("C2", day(0), "EARN", 300, "BIG"),
        ("C2", day(1), "REVERSAL", -100, "BIG"),
        ("C3", day(0), "EARN", 30, "STD"),
        ("C3", day(20), "REVERSAL", -10, "STD"),
    ]
    assert points.balances() == {"C1": 0, "C2": 225, "C3": 20}


def test_return_after_expiry_reverses_points_already_expired():
    """The contract's balance (earned − reversed − redeemed − expired) goes negative.

    The debt is then paid by the next points earned, which therefore never expire.
    """
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "100.00"))
    expired_on = date(2025, 1, 10)
    batch.refund("T1R", "T1", expired_on + timedelta(days=10), ("P_FOOD", "100.00"))
    batch.sale("T2", "C1", expired_on + timedelta(days=20), ("P_FOOD", "30.00"))
    points = run_points(batch, rules=[STANDARD], as_of=date(2026, 12, 31))
    assert points.rows("event_date", "event_type", "points", "balance_after", "expires_on") == [
        (day(0), "EARN", 100, 100, expired_on),
        (expired_on, "EXPIRE", -100, 0, None),
        (date(2025, 1, 20), "REVERSAL", -100, -100, None),
        (date(2025, 1, 30), "EARN", 30, -70, date(2026, 1, 30)),
    ]


def test_guest_sales_their_returns_and_returns_of_unknown_sales_earn_nothing():
    batch = Batch()
    batch.sale("G1", None, day(0), ("P_FOOD", "200.00"))
    batch.refund("G1R", "G1", day(1), ("P_FOOD", "200.00"))
    batch.sale("T1", "C1", day(0), ("P_FOOD", "10.00"))
    batch.refund("X1R", "NO_SUCH_SALE", day(1), ("P_FOOD", "10.00"), customer_id="C1")
    points = run_points(batch, rules=DEFAULT_RULES, as_of=day(1))
    assert points.rows("customer_id", "transaction_id", "event_type", "points") == [
        ("C1", "T1", "EARN", 10),
    ]


def test_a_return_reverses_the_points_of_the_customer_who_earned_them():
    batch = Batch()
    batch.sale("G1", None, day(0), ("P_FOOD", "200.00"))
    batch.refund("G1R", "G1", day(1), ("P_FOOD", "200.00"), customer_id="C1")
    batch.sale("T2", "C2", day(0), ("P_FOOD", "50.00"))
    batch.refund("T2R", "T2", day(1), ("P_FOOD", "50.00"), customer_id="C3")
    points = run_points(batch, rules=[STANDARD], as_of=day(1))
    assert points.rows("customer_id", "transaction_id", "event_type", "points") == [
        ("C2", "T2", "EARN", 50),
        ("C2", "T2R", "REVERSAL", -50),
    ]


# --------------------------------------------------------------------------------------
# Redemptions
# --------------------------------------------------------------------------------------


def test_redemption_of_the_whole_balance_is_accepted_one_point_more_is_not():
    batch = Batch()
    for customer in ("C1", "C2"):
        batch.sale(f"T_{customer}", customer, day(0), ("P_FOOD", "100.00"))
    batch.redeem("R1", "C1", day(1), 100)
    batch.redeem("R2", "C2", day(1), 101)
    batch.sale("T_C3", "C3", day(0), ("P_FOOD", "50.00"), at=time(23, 59))
    batch.redeem("R3", "C3", day(0), 50)  # same day: sales come before redemptions
    points = run_points(batch, rules=[STANDARD], as_of=day(1))
    assert points.rejected == ["R2"]
    assert points.rows("customer_id", "event_type", "points", "redemption_id") == [
        ("C1", "EARN", 100, None),
        ("C1", "REDEEM", -100, "R1"),
        ("C2", "EARN", 100, None),
        ("C3", "EARN", 50, None),
        ("C3", "REDEEM", -50, "R3"),
    ]
    assert points.balances() == {"C1": 0, "C2": 100, "C3": 0}


def test_a_rejected_redemption_does_not_block_a_later_valid_one():
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "100.00"))
    batch.redeem("R1", "C1", day(1), 150)  # rejected
    batch.redeem("R2", "C1", day(2), 80)
    batch.redeem("R3", "C1", day(3), 30)  # rejected: 20 left
    batch.redeem("R4", "C1", day(3), 20)  # same day, later id
    batch.redeem("R5", "C1", day(4), 1)  # rejected: nothing left
    points = run_points(batch, rules=[STANDARD], as_of=day(5))
    assert points.rejected == ["R1", "R3", "R5"]
    assert points.rows("event_date", "event_type", "points", "redemption_id") == [
        (day(0), "EARN", 100, None),
        (day(2), "REDEEM", -80, "R2"),
        (day(3), "REDEEM", -20, "R4"),
    ]


def test_points_expire_at_the_start_of_their_expiry_day():
    batch = Batch()
    for customer in ("C1", "C2"):
        batch.sale(f"T_{customer}", customer, day(0), ("P_FOOD", "100.00"))
    expires_on = date(2025, 1, 10)
    batch.redeem("R1", "C1", expires_on - timedelta(days=1), 100)
    batch.redeem("R2", "C2", expires_on, 1)
    points = run_points(batch, rules=[STANDARD], as_of=expires_on)
    assert points.rejected == ["R2"]
    assert points.rows("customer_id", "event_date", "event_type", "points") == [
        ("C1", day(0), "EARN", 100),
        ("C1", date(2025, 1, 9), "REDEEM", -100),
        ("C2", day(0), "EARN", 100),
        ("C2", expires_on, "EXPIRE", -100),
    ]


def test_expired_earn_and_bonus_lots_of_one_day_are_both_gone_for_a_later_redemption():
    batch = Batch()
    for customer in ("C1", "C2"):
        batch.sale(f"T_{customer}", customer, day(0), ("P_FOOD", "100.00"))
    batch.sale("T_C2b", "C2", date(2024, 6, 1), ("P_FOOD", "10.00"))
    batch.redeem("R1", "C1", date(2025, 2, 1), 10)
    batch.redeem("R2", "C2", date(2025, 2, 1), 11)
    points = run_points(batch, rules=DEFAULT_RULES, as_of=date(2025, 3, 1))
    assert points.rejected == ["R1", "R2"]
    assert points.balances() == {"C1": 0, "C2": 10}


def test_another_customers_expiry_never_counts_against_a_redemption():
    """C1's points expired; C2, next in the ledger, redeems before any of theirs expire."""
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "100.00"))
    batch.redeem("R1", "C1", day(1), 10)  # verdicts are settled among customers who redeem
    batch.sale("T2", "C2", date(2024, 12, 1), ("P_FOOD", "100.00"))
    batch.redeem("R2", "C2", date(2025, 2, 1), 100)
    points = run_points(batch, rules=[STANDARD], as_of=date(2025, 3, 1))
    assert points.rejected == []
    assert points.balances() == {"C1": 0, "C2": 0}


# --------------------------------------------------------------------------------------
# Expiry
# --------------------------------------------------------------------------------------


def _fifo_batch() -> Batch:
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "100.00"))
    batch.sale("T2", "C1", day(40), ("P_FOOD", "100.00"))
    batch.redeem("R1", "C1", day(60), 150)
    return batch


def test_expiry_is_first_in_first_out():
    as_of = date(2025, 1, 10) + timedelta(days=40)  # day 0 + 12 months + 40 days
    points = run_points(_fifo_batch(), rules=[STANDARD], as_of=as_of)
    expected = pl.DataFrame(
        {
            "customer_id": ["C1"] * 4,
            "sequence": [1, 2, 3, 4],
            "event_date": [day(0), day(40), day(60), date(2025, 2, 19)],
            "event_type": ["EARN", "EARN", "REDEEM", "EXPIRE"],
            "points": [100, 100, -150, -50],
            "balance_after": [100, 200, 50, 0],
            "transaction_id": ["T1", "T2", None, "T2"],
            "redemption_id": [None, None, "R1", None],
            "rule_id": ["STD", "STD", None, "STD"],
            "expires_on": [date(2025, 1, 10), date(2025, 2, 19), None, None],
        },
        schema=points.ledger.schema,
    )
    assert_frame_equal(points.ledger, expected)
    # The first lot was used up by the redemption: nothing expired on its day.
    early = run_points(_fifo_batch(), rules=[STANDARD], as_of=as_of - timedelta(days=1))
    assert early.rows("event_type", "points")[-1] == ("REDEEM", -150)
    assert early.balances() == {"C1": 50}


def test_expiry_months_zero_never_expires():
    points = run_points(_fifo_batch(), rules=[STANDARD], as_of=date(2030, 1, 1), expiry_months=0)
    assert points.rows("event_type", "points", "expires_on") == [
        ("EARN", 100, None),
        ("EARN", 100, None),
        ("REDEEM", -150, None),
    ]


def test_expiry_of_a_month_end_lot_clips_to_the_shorter_month():
    batch = Batch()
    batch.sale("T1", "C1", date(2024, 1, 31), ("P_FOOD", "10.00"))
    batch.sale("T2", "C1", date(2024, 2, 29), ("P_FOOD", "10.00"))
    points = run_points(batch, rules=[STANDARD], as_of=date(2025, 3, 1), expiry_months=1)
    assert points.rows("event_date", "event_type", "points") == [
        (date(2024, 1, 31), "EARN", 10),
        (date(2024, 2, 29), "EXPIRE", -10),
        (date(2024, 2, 29), "EARN", 10),
        (date(2024, 3, 29), "EXPIRE", -10),
    ]


# --------------------------------------------------------------------------------------
# as_of
# --------------------------------------------------------------------------------------


def test_nothing_after_as_of_counts():
    as_of = day(30)
    batch = Batch()
    batch.sale("T1", "C1", day(0), ("P_FOOD", "10.00"))
    batch.sale("T2", "C1", as_of, ("P_FOOD", "20.00"))
    batch.sale("T3", "C1", as_of + timedelta(days=1), ("P_FOOD", "40.00"))
    batch.refund("T1R", "T1", as_of + timedelta(days=1), ("P_FOOD", "10.00"))
    batch.redeem("R1", "C1", as_of, 5)
    batch.redeem("R2", "C1", as_of + timedelta(days=1), 1000)  # neither kept nor rejected
    batch.sale("T4", "C2", date(2023, 2, 10), ("P_FOOD", "10.00"))  # expires the day after
    points = run_points(batch, rules=[STANDARD], as_of=as_of)
    assert points.rejected == []
    assert points.rows("customer_id", "event_type", "points", "transaction_id") == [
        ("C1", "EARN", 10, "T1"),
        ("C1", "EARN", 20, "T2"),
        ("C1", "REDEEM", -5, None),
        ("C2", "EARN", 10, "T4"),
    ]


# --------------------------------------------------------------------------------------
# Customer points: balance, lifetime, last purchase, tier
# --------------------------------------------------------------------------------------


def test_customer_points_and_tiers_at_exact_thresholds():
    as_of = date(2025, 6, 30)
    recent = date(2025, 1, 15)
    batch = Batch()
    for customer, amount in {
        "C_0999": "999.00",
        "C_1000": "1000.00",
        "C_2999": "2999.00",
        "C_3000": "3000.00",
        "C_4999": "4999.00",
        "C_5000": "5000.00",
    }.items():
        batch.sale(f"T_{customer}", customer, recent, ("P_FOOD", amount))
    batch.sale("T_OLD", "C_OLD", date(2024, 6, 30), ("P_FOOD", "6000.00"))  # 12 months back
    batch.sale("T_OLD2", "C_OLD", date(2024, 7, 1), ("P_FOOD", "1.00"))
    batch.sale("T_NET", "C_NET", recent, ("P_FOOD", "999.00"), ("P_FOOD", "1.00"))
    batch.refund("T_NETR", "T_NET", as_of, ("P_FOOD", "1.00"))
    batch.redeem("R1", "C_5000", as_of, 4000)  # redeeming does not lower the tier
    batch.sale("G1", None, as_of, ("P_FOOD", "9000.00"))
    points = run_points(batch, rules=[STANDARD], as_of=as_of, expiry_months=0)
    details = (
        customer_points(
            points.ledger.lazy(),
            silver("sales_header", batch.header).lazy(),
            as_of=as_of,
            tiers=TierThresholds(),
        )
        .select(
            "customer_id",
            "total_loyalty_points",
            "lifetime_points_earned",
            "last_purchase_date",
            "loyalty_status",
        )
        .sort("customer_id")
        .collect()
    )
    assert details.rows() == [
        ("C_0999", 999, 999, recent, "Bronze"),
        ("C_1000", 1000, 1000, recent, "Silver"),
        ("C_2999", 2999, 2999, recent, "Silver"),
        ("C_3000", 3000, 3000, recent, "Gold"),
        ("C_4999", 4999, 4999, recent, "Gold"),
        ("C_5000", 1000, 5000, recent, "Platinum"),
        ("C_NET", 999, 999, recent, "Bronze"),  # tier counts points net of reversals
        ("C_OLD", 6001, 6001, date(2024, 7, 1), "Bronze"),
    ]


# --------------------------------------------------------------------------------------
# The oracle: contract section 3.1 in plain Python
# --------------------------------------------------------------------------------------

_WEEKDAY_CODES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_PHASE = {"EXPIRE": 0, "EARN": 1, "BONUS": 1, "REVERSAL": 1, "REDEEM": 2}


def add_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, clipped to the month's last day."""
    years, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + years, month0 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _same(category: str, wanted: str) -> bool:
    return wanted.upper() == "ALL" or wanted.lower() == category.lower()


def _admits(r: Mapping[str, Any], on: date, spend: Decimal) -> bool:
    if spend < r["min_spend_threshold"]:
        return False
    if r["valid_from"] is not None and on < r["valid_from"]:
        return False
    if r["valid_to"] is not None and on > r["valid_to"]:
        return False
    return not r["days_of_week"] or _WEEKDAY_CODES[on.weekday()] in r["days_of_week"].split("|")


def _earning_rule(
    rules: Sequence[Mapping[str, Any]], category: str, on: date, spend: Decimal
) -> Mapping[str, Any] | None:
    valid = [
        r for r in rules if _admits(r, on, spend) and _same(category, r["applicable_category"])
    ]
    if not valid:
        return None
    return min(
        valid,
        key=lambda r: (
            r["applicable_category"].upper() == "ALL",
            -r["points_per_unit_spend"],
            r["rule_id"],
        ),
    )


def _multiplier(
    promotions: Mapping[str, Mapping[str, Any]], promotion_id: str | None, category: str, on: date
) -> Decimal:
    promo = promotions.get(promotion_id) if promotion_id else None
    if (
        promo is not None
        and promo["start_date"] <= on <= promo["end_date"]
        and _same(category, promo["applicable_category"])
    ):
        return promo["points_multiplier"]
    return Decimal(1)


@dataclass(frozen=True, order=True)
class _Event:
    on: date
    phase: int
    at: datetime
    ref: str
    kind: str
    points: int
    rule_id: str | None = None


@dataclass
class Expected:
    """What the oracle expects: per customer balances, totals by type, verdicts, tiers."""

    balances: dict[str, int]
    totals: dict[tuple[str, str], int]
    rejected: list[str]
    lifetime: dict[str, int]
    recent: dict[str, int]


def oracle(  # noqa: C901, PLR0915 - the contract's rules read top to bottom
    batch: Batch,
    *,
    rules: Sequence[Mapping[str, Any]],
    promotions: Sequence[Mapping[str, Any]],
    categories: Mapping[str, str],
    as_of: date,
    expiry_months: int,
) -> Expected:
    promos = {p["promotion_id"]: p for p in promotions}
    headers = {h["transaction_id"]: h for h in batch.header}
    lines_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in batch.lines:
        lines_of[line["transaction_id"]].append(line)
    events: dict[str, list[_Event]] = defaultdict(list)

    for h in batch.header:
        if h["transaction_date"] > as_of:
            continue
        sale = h if h["transaction_type"] == "SALE" else headers.get(h["original_transaction_id"])
        if sale is None or sale["customer_id"] is None:
            continue
        customer = sale["customer_id"]  # who earned the points (the contract's reading)
        on, spend = sale["transaction_date"], sale["total_amount"]
        per_rule: Counter[str] = Counter()
        for line in lines_of[h["transaction_id"]]:
            category = categories[line["product_id"]]
            chosen = _earning_rule(rules, category, on, spend)
            if chosen is None:
                continue
            exact = (
                line["line_item_amount"]
                * chosen["points_per_unit_spend"]
                * _multiplier(promos, line["promotion_id"], category, on)
            )
            per_rule[chosen["rule_id"]] += int(exact.to_integral_value(rounding=ROUND_FLOOR))
        kind, sign = ("EARN", 1) if h is sale else ("REVERSAL", -1)
        for rule_id, points in per_rule.items():
            events[customer].append(
                _Event(
                    h["transaction_date"],
                    _PHASE[kind],
                    h["transaction_at"],
                    h["transaction_id"],
                    kind,
                    sign * points,
                    rule_id,
                )
            )
        if h is sale:
            bought = {categories[line["product_id"]] for line in lines_of[h["transaction_id"]]}
            for r in rules:
                if (
                    r["bonus_points"] > 0
                    and _admits(r, on, spend)
                    and any(_same(c, r["applicable_category"]) for c in bought)
                ):
                    events[customer].append(
                        _Event(
                            on,
                            _PHASE["BONUS"],
                            h["transaction_at"],
                            h["transaction_id"],
                            "BONUS",
                            r["bonus_points"],
                            r["rule_id"],
                        )
                    )
    midnight = datetime.min.replace(tzinfo=UTC)
    for red in batch.redemptions:
        if red["redemption_date"] <= as_of:
            events[red["customer_id"]].append(
                _Event(
                    red["redemption_date"],
                    _PHASE["REDEEM"],
                    midnight,
                    red["redemption_id"],
                    "REDEEM",
                    -red["points_redeemed"],
                )
            )

    balances: dict[str, int] = {}
    totals: Counter[tuple[str, str]] = Counter()
    lifetime: Counter[str] = Counter()
    recent: Counter[str] = Counter()
    rejected: list[str] = []
    window_start = add_months(as_of, -12)
    for customer, stream in events.items():
        lots: list[list[Any]] = []  # [expires_on or None, remaining], oldest first
        debt = 0

        def expire_until(on: date, customer: str = customer, lots: list[list[Any]] = lots) -> None:
            while lots and lots[0][0] is not None and lots[0][0] <= on:
                _, remaining = lots.pop(0)
                totals[customer, "EXPIRE"] -= remaining

        def consume(points: int, lots: list[list[Any]] = lots) -> int:
            for lot in lots:
                taken = min(lot[1], points)
                lot[1] -= taken
                points -= taken
            return points  # what no lot could cover: a debt

        for event in sorted(stream):
            expire_until(event.on)
            if event.kind in ("EARN", "BONUS"):
                paid = min(debt, event.points)
                debt -= paid
                expires = add_months(event.on, expiry_months) if expiry_months else None
                lots.append([expires, event.points - paid])
            elif event.kind == "REDEEM":
                if -event.points > sum(lot[1] for lot in lots) - debt:
                    rejected.append(event.ref)
                    continue
                debt += consume(-event.points)
            else:
                debt += consume(-event.points)
            totals[customer, event.kind] += event.points
            if event.kind != "REDEEM":
                lifetime[customer] += event.points
                if event.on > window_start:
                    recent[customer] += event.points
        expire_until(as_of)
        balances[customer] = sum(lot[1] for lot in lots) - debt
        assert balances[customer] == sum(v for (c, _), v in totals.items() if c == customer)
    return Expected(
        balances=balances,
        totals={k: v for k, v in totals.items() if v},
        rejected=sorted(rejected),
        lifetime=dict(lifetime),
        recent=dict(recent),
    )


def test_oracle_agrees_with_the_literal_fifo_case():
    """The oracle itself, on the case worked out by hand above."""
    as_of = date(2025, 2, 19)
    expected = oracle(
        _fifo_batch(),
        rules=[STANDARD],
        promotions=[],
        categories=CATEGORIES_BY_PRODUCT,
        as_of=as_of,
        expiry_months=12,
    )
    assert expected.balances == {"C1": 0}
    assert expected.totals == {("C1", "EARN"): 200, ("C1", "REDEEM"): -150, ("C1", "EXPIRE"): -50}


# --------------------------------------------------------------------------------------
# Random event streams
# --------------------------------------------------------------------------------------

START = date(2023, 1, 2)
CUSTOMERS = ("C1", "C2")
CATEGORIES = {"P1": "Food", "P2": "Health", "P3": "Toys"}
RANDOM_PRODUCTS = products(CATEGORIES)
BASE_RULE = rule("BASE", "1")
OPTIONAL_RULES = (
    rule("HEALTH", "2", category="health"),
    rule("WEEKEND", "1.5", days="SAT|SUN"),
    rule("BIG", "1.25", min_spend="100", bonus=50),
    rule("SPRING", "3", valid_from=START + timedelta(60), valid_to=START + timedelta(120)),
    rule("TOYS", "1", category="Toys", min_spend="30", bonus=20),
)
RANDOM_PROMOTIONS = (
    promotion("PR1", START + timedelta(30), START + timedelta(200), "Food", "2"),
    promotion("PR2", START + timedelta(400), START + timedelta(500), "ALL", "1.5"),
)


@dataclass
class Scenario:
    batch: Batch
    rules: list[dict[str, Any]]
    as_of: date
    expiry_months: int

    def run(self, batch: Batch | None = None, **shuffled: Any) -> Points:
        return run_points(
            batch or self.batch,
            rules=shuffled.get("rules", self.rules),
            promotions=shuffled.get("promotions", RANDOM_PROMOTIONS),
            products=shuffled.get("products", RANDOM_PRODUCTS),
            as_of=self.as_of,
            expiry_months=self.expiry_months,
        )

    def expected(self) -> Expected:
        return oracle(
            self.batch,
            rules=self.rules,
            promotions=RANDOM_PROMOTIONS,
            categories=CATEGORIES,
            as_of=self.as_of,
            expiry_months=self.expiry_months,
        )


amounts = st.one_of(
    st.integers(1, 20_000), st.sampled_from([2_999, 3_000, 9_999, 10_000, 29, 115])
).map(lambda cents: Decimal(cents).scaleb(-2))


@st.composite
def scenarios(draw: st.DrawFn, *, returns: bool = True) -> Scenario:
    batch = Batch()
    sales: list[tuple[str, str | None, date, list[tuple[str, Decimal, str | None]]]] = []
    for i in range(draw(st.integers(0, 8))):
        customer = draw(st.sampled_from([*CUSTOMERS, None]))
        on = START + timedelta(days=draw(st.integers(0, 730)))
        lines = draw(
            st.lists(
                st.tuples(
                    st.sampled_from(list(CATEGORIES)),
                    amounts,
                    st.sampled_from([None, "PR1", "PR2", "PRX"]),
                ),
                min_size=1,
                max_size=3,
            )
        )
        batch.sale(f"T{i:02d}", customer, on, *lines, at=time(draw(st.integers(8, 19)), i))
        sales.append((f"T{i:02d}", customer, on, lines))
    if returns and sales:
        for i in range(draw(st.integers(0, 3))):
            transaction_id, customer, sold_on, lines = draw(st.sampled_from(sales))
            returned = draw(st.lists(st.sampled_from(lines), min_size=1, max_size=len(lines)))
            partial = [
                (product, Decimal(draw(st.integers(1, int(amount * 100)))).scaleb(-2), promo)
                if draw(st.booleans())
                else (product, amount, promo)
                for product, amount, promo in returned
            ]
            batch.sale(
                f"RT{i}",
                customer if draw(st.booleans()) else None,
                sold_on + timedelta(days=draw(st.integers(0, 400))),
                *partial,
                at=time(20, i),
                kind="RETURN",
                original=transaction_id,
            )
    members = [(c, on) for _, c, on, _ in sales if c is not None] or [("C1", START)]
    for i in range(draw(st.integers(0, 6))):
        customer, after = draw(st.sampled_from(members))  # mostly after one of their sales
        batch.redeem(
            f"R{i:02d}",
            customer,
            after + timedelta(days=draw(st.integers(-30, 400))),
            draw(st.one_of(st.integers(1, 60), st.integers(1, 500))),
        )
    chosen = draw(st.sets(st.sampled_from(range(len(OPTIONAL_RULES)))))
    return Scenario(
        batch=batch,
        rules=[BASE_RULE, *(OPTIONAL_RULES[i] for i in sorted(chosen))],
        as_of=START + timedelta(days=draw(st.integers(200, 800))),
        expiry_months=draw(st.sampled_from([0, 1, 6, 12])),
    )


def _totals(ledger: pl.DataFrame) -> dict[tuple[str, str], int]:
    sums = ledger.group_by("customer_id", "event_type").agg(pl.col("points").sum())
    return {(c, t): p for c, t, p in sums.iter_rows() if p}


@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_engine_agrees_with_the_oracle(scenario):
    points = scenario.run()
    expected = scenario.expected()
    assert points.rejected == expected.rejected
    assert _totals(points.ledger) == expected.totals
    assert {c: b for c, b in points.balances().items() if b} == {
        c: b for c, b in expected.balances.items() if b
    }
    details = customer_points(
        points.ledger.lazy(),
        silver("sales_header", scenario.batch.header).lazy(),
        as_of=scenario.as_of,
        tiers=TierThresholds(silver=100, gold=300, platinum=500),
    ).collect()
    lifetime = dict(details.select("customer_id", "lifetime_points_earned").iter_rows())
    assert {c: v for c, v in lifetime.items() if v} == {
        c: v for c, v in expected.lifetime.items() if v
    }
    tiers = dict(details.select("customer_id", "loyalty_status").iter_rows())
    for customer, status in tiers.items():
        recent = expected.recent.get(customer, 0)
        assert status == (
            "Platinum"
            if recent >= 500
            else "Gold"
            if recent >= 300
            else "Silver"
            if recent >= 100
            else "Bronze"
        ), customer


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_settling_only_the_redeeming_customers_changes_nothing(scenario):
    settled = scenario.run()
    # The same composition, with the verdict rounds run over every customer's events.
    with mock.patch(
        "loyalty_lake.gold.tables.settled_ledger", wraps=rounds_over_everyone
    ) as rounds:
        everyone = scenario.run()
    assert rounds.called
    assert settled.rejected == everyone.rejected
    assert settled.rows(*settled.ledger.columns) == everyone.rows(*everyone.ledger.columns)


# --------------------------------------------------------------------------------------
# Invariants
# --------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(scenarios())
def test_balance_is_the_sum_of_the_ledger_and_expiry_never_takes_consumed_points(scenario):
    ledger = scenario.run().ledger.sort("customer_id", "sequence")
    running = ledger.select(
        pl.col("sequence") == pl.int_range(1, pl.len() + 1).over("customer_id"),
        pl.col("balance_after") == pl.col("points").cum_sum().over("customer_id"),
    )
    assert running.to_series(0).all()
    assert running.to_series(1).all()
    last = ledger.group_by("customer_id").agg(
        pl.col("balance_after").last(), pl.col("points").sum()
    )
    assert last["balance_after"].to_list() == last["points"].to_list()
    # An expiry only takes what is left of its lot: never below zero, never more than the lot.
    assert (ledger.filter(pl.col("event_type") == "EXPIRE")["balance_after"] >= 0).all()
    key = ["customer_id", "transaction_id", "rule_id"]  # an EXPIRE row names its lot's key
    lots = (
        ledger.filter(pl.col("event_type").is_in(["EARN", "BONUS"]))
        .group_by(key)
        .agg(lot=pl.col("points").sum())
    )
    expired = (
        ledger.filter(pl.col("event_type") == "EXPIRE")
        .group_by(key)
        .agg(expired=-pl.col("points").sum())
        .join(lots, on=key, how="left")
    )
    assert (expired["lot"].is_not_null() & (expired["expired"] <= expired["lot"])).all()


@settings(max_examples=40, deadline=None)
@given(scenarios(returns=False))
def test_without_returns_balances_never_go_negative(scenario):
    ledger = scenario.run().ledger
    assert (ledger["balance_after"] >= 0).all()
    for _customer, rows in ledger.group_by("customer_id"):
        total = dict(rows.group_by("event_type").agg(pl.col("points").sum()).iter_rows())
        earned = total.get("EARN", 0) + total.get("BONUS", 0)
        consumed = -total.get("REDEEM", 0) - total.get("REVERSAL", 0)
        assert -total.get("EXPIRE", 0) <= earned - consumed


@settings(max_examples=30, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_the_next_expiry_does_not_depend_on_the_ledgers_row_order(scenario, rng):
    """A customer statement reads its ledger from the lake, in no particular order."""
    ledger = scenario.run().ledger
    as_of = ledger["event_date"].min() if ledger.height else date(2025, 1, 1)
    expected = next_expiry(ledger.lazy(), as_of=as_of).collect().sort("customer_id")
    order = _shuffled(range(ledger.height), rng)
    shuffled = ledger[order] if ledger.height else ledger
    again = next_expiry(shuffled.lazy(), as_of=as_of).collect().sort("customer_id")
    assert_frame_equal(again, expected)


def _shuffled(rows: Sequence[Any], rng: random.Random) -> list[Any]:
    out = list(rows)
    rng.shuffle(out)
    return out


@settings(max_examples=30, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_input_row_order_does_not_matter(scenario, rng):
    points = scenario.run()
    batch = Batch(
        header=_shuffled(scenario.batch.header, rng),
        lines=_shuffled(scenario.batch.lines, rng),
        redemptions=_shuffled(scenario.batch.redemptions, rng),
    )
    again = scenario.run(
        batch,
        rules=_shuffled(scenario.rules, rng),
        promotions=_shuffled(RANDOM_PROMOTIONS, rng),
        products=RANDOM_PRODUCTS.sample(fraction=1.0, shuffle=True, seed=rng.randrange(2**32)),
    )
    assert again.balances() == points.balances()
    assert again.rejected == points.rejected
    assert_frame_equal(again.ledger, points.ledger)


@settings(max_examples=30, deadline=None)
@given(scenarios())
def test_lots_expire_expiry_months_after_they_were_earned(scenario):
    ledger = scenario.run().ledger
    lots = ledger.filter(pl.col("event_type").is_in(["EARN", "BONUS"]))
    expected = [
        add_months(d, scenario.expiry_months) if scenario.expiry_months else None
        for d in lots["event_date"]
    ]
    assert lots["expires_on"].to_list() == expected
    assert (
        ledger.filter(pl.col("event_type").is_in(["EARN", "BONUS"]).not_())["expires_on"]
        .is_null()
        .all()
    )
