"""RFM and segments (``gold/rfm.py``): literal cases, invariants and an independent oracle.

Every case runs the two stages as ``customer_details`` composes them: the
customers, left-joined with ``customer_activity`` (nulls filled: frequency 0,
monetary 0), with each customer's points balance (the per-customer columns of
``customer_profiles``), then the global ``customer_scores`` (``rfm``, then
``segments``).

The oracle at the bottom re-implements contract sections 3.2 and 3.3 in plain
Python (``Decimal``, ``Fraction``, dictionaries) without the library's code;
hypothesis compares the two on random transaction sets.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty_lake.codes import MONEY
from loyalty_lake.config import RfmSegmentRule, SegmentConfig
from loyalty_lake.gold.rfm import (
    charged_customers,
    customer_activity,
    customer_scores,
    quintile_score,
    rfm,
    rfm_segment,
    segments,
)
from loyalty_lake.silver.models import SILVER_MODELS, schema
from tests.builders import LINEAGE

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# --------------------------------------------------------------------------------------
# Literal silver frames and the library run
# --------------------------------------------------------------------------------------

AS_OF = date(2024, 6, 30)
CONFIG = SegmentConfig()

#: (transaction_id, customer_id, date, amount, transaction_type)
Txn = tuple[str, str | None, date, str | Decimal, str]


def ago(days: int) -> date:
    """The date ``days`` before ``AS_OF``."""
    return AS_OF - timedelta(days=days)


def header(transactions: Sequence[Txn]) -> pl.DataFrame:
    """A silver ``sales_header`` of literal transactions."""
    rows = [
        {
            **LINEAGE,
            "_row_number": number,
            "transaction_id": transaction_id,
            "customer_id": customer_id,
            "store_id": "S1",
            "transaction_at": datetime.combine(on, time(10), tzinfo=UTC),
            "transaction_date": on,
            "total_amount": Decimal(str(amount)),
            "transaction_type": kind,
            "original_transaction_id": None,
        }
        for number, (transaction_id, customer_id, on, amount, kind) in enumerate(transactions, 1)
    ]
    return pl.DataFrame(rows, schema=schema(SILVER_MODELS["sales_header"]))


def customer_rows(
    transactions: Sequence[Txn],
    balances: Mapping[str, int],
    *,
    as_of: date = AS_OF,
    config: SegmentConfig = CONFIG,
) -> pl.DataFrame:
    """Customer details (RFM and segment) of the customers in ``balances``, by customer id."""
    activity = customer_activity(header(transactions).lazy(), as_of=as_of)
    customers = pl.LazyFrame(
        {"customer_id": list(balances), "total_loyalty_points": list(balances.values())},
        schema={"customer_id": pl.String, "total_loyalty_points": pl.Int64},
    )
    joined = customers.join(activity, on="customer_id", how="left").with_columns(
        pl.col("frequency").fill_null(0),
        pl.col("monetary").fill_null(0).cast(MONEY),
    )
    return customer_scores(joined, as_of=as_of, settings=config).sort("customer_id").collect()


def by_customer(frame: pl.DataFrame, *columns: str) -> dict[str, tuple[Any, ...]]:
    return {row[0]: row[1:] for row in frame.select("customer_id", *columns).iter_rows()}


def spenders(amounts: Sequence[str], *, days_ago: int = 1) -> list[Txn]:
    """One SALE per customer C01, C02, ... of the given amounts."""
    return [
        (f"T{i:03}", f"C{i:02}", ago(days_ago), amount, "SALE")
        for i, amount in enumerate(amounts, 1)
    ]


def high_spenders(frame: pl.DataFrame) -> list[str]:
    return frame.filter("is_high_spender")["customer_id"].to_list()


# --------------------------------------------------------------------------------------
# customer_activity: recency, frequency, monetary
# --------------------------------------------------------------------------------------


def test_activity_counts_sales_nets_returns_and_ignores_guests_and_the_future():
    transactions: list[Txn] = [
        ("T1", "C1", ago(10), "0.10", "SALE"),
        ("T2", "C1", ago(3), "0.20", "SALE"),
        ("R1", "C1", ago(1), "0.05", "RETURN"),  # a return is not a purchase: recency stays 3
        ("T3", "C1", AS_OF + timedelta(days=1), "500.00", "SALE"),  # after as_of
        ("T4", None, ago(0), "99.00", "SALE"),  # guest
        ("T5", "C2", AS_OF, "12.34", "SALE"),  # on as_of itself
    ]
    rows = customer_rows(transactions, {"C1": 0, "C2": 0, "C3": 0})
    assert by_customer(rows, "last_purchase_date", "recency_days", "frequency", "monetary") == {
        "C1": (ago(3), 3, 2, Decimal("0.25")),
        "C2": (AS_OF, 0, 1, Decimal("12.34")),
        "C3": (None, None, 0, Decimal("0.00")),  # no transaction at all
    }
    assert rows.schema["monetary"] == pl.Decimal(18, 2)
    assert rows.schema["recency_days"] == pl.Int64


def test_activity_is_one_row_per_customer_with_a_transaction():
    transactions: list[Txn] = [
        ("T1", "C1", ago(5), "10.00", "SALE"),
        ("T2", "C1", ago(4), "10.00", "SALE"),
        ("R1", "C2", ago(4), "3.00", "RETURN"),
        ("T3", None, ago(4), "3.00", "SALE"),
    ]
    activity = customer_activity(header(transactions).lazy(), as_of=AS_OF).collect()
    assert sorted(activity["customer_id"]) == ["C1", "C2"]


def test_a_return_is_charged_to_the_customer_of_its_original_sale():
    transactions: list[Txn] = [
        ("T1", "C1", ago(5), "10.00", "SALE"),
        ("T2", None, ago(5), "4.00", "SALE"),  # a guest's sale
        ("R1", "C2", ago(2), "10.00", "RETURN"),  # of T1, under another card: C1's
        ("R2", "C3", ago(2), "4.00", "RETURN"),  # of the guest's T2: nobody's
        ("R3", "C4", ago(2), "1.00", "RETURN"),  # of a sale not in silver: its own
    ]
    originals = {"R1": "T1", "R2": "T2", "R3": "T_GONE"}
    sales = header(transactions).with_columns(
        pl.col("transaction_id")
        .replace_strict(originals, default=None)
        .alias("original_transaction_id")
    )
    charged = charged_customers(sales.lazy()).collect()
    assert charged.columns == sales.columns
    assert dict(charged.select("transaction_id", "customer_id").iter_rows()) == {
        "T1": "C1",
        "T2": None,
        "R1": "C1",
        "R2": None,
        "R3": "C4",
    }
    activity = customer_activity(sales.lazy(), as_of=AS_OF).collect()
    assert by_customer(activity, "frequency", "monetary") == {
        "C1": (1, Decimal("0.00")),
        "C4": (0, Decimal("-1.00")),
    }


def test_customer_with_only_returns_has_no_scores_and_is_others():
    transactions = [
        *spenders(["10.00", "20.00"]),
        ("R1", "C99", ago(40), "30.00", "RETURN"),
        ("R2", "C99", ago(35), "5.50", "RETURN"),
    ]
    rows = customer_rows(transactions, {"C01": 0, "C02": 0, "C99": 500})
    columns = (
        "frequency",
        "monetary",
        "recency_days",
        "r_score",
        "f_score",
        "m_score",
        "rfm_segment",
        "is_high_spender",
        "is_at_risk",
        "segment",
    )
    assert by_customer(rows, *columns)["C99"] == (
        0,
        Decimal("-35.50"),
        None,
        None,
        None,
        None,
        None,
        False,
        False,
        "Others",
    )
    # N = 2 (C99 does not count): scores of ranks 1 and 2 are 1 and 3.
    assert by_customer(rows, "m_score") == {"C01": (1,), "C02": (3,), "C99": (None,)}


def test_customers_without_any_transaction_are_others_with_null_scores():
    rows = customer_rows(spenders(["10.00"]), {"C01": 10, "C50": 10, "C51": 0})
    assert by_customer(rows, "r_score", "rfm_segment", "is_at_risk", "segment") == {
        "C01": (1, "Lost", False, "High Spender"),  # N = 1: the lone buyer is rank 1 → score 1
        "C50": (None, None, False, "Others"),
        "C51": (None, None, False, "Others"),
    }


# --------------------------------------------------------------------------------------
# Scores: 1 + floor(5 × (avg_rank − 1) / N)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranks", "customers", "expected"),
    [
        pytest.param([1.0], 1, [1], id="N=1"),
        pytest.param([1.0, 2.0], 2, [1, 3], id="N=2"),
        pytest.param([1.5, 1.5], 2, [2, 2], id="N=2 tied"),
        pytest.param([1.0, 2.0, 3.0, 4.0, 5.0], 5, [1, 2, 3, 4, 5], id="N=5"),
        pytest.param([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], 7, [1, 1, 2, 3, 3, 4, 5], id="N=7"),
        pytest.param([1.0, 2.5, 2.5, 4.0], 4, [1, 2, 2, 4], id="N=4 middle tie"),
        pytest.param([2.0, 2.0, 2.0], 3, [2, 2, 2], id="N=3 all tied"),
        pytest.param(
            [float(r) for r in range(1, 11)], 10, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5], id="N=10"
        ),
    ],
)
def test_quintile_score_matches_hand_values(ranks, customers, expected):
    frame = pl.DataFrame({"rank": ranks, "n": [customers] * len(ranks)})
    got = frame.select(quintile_score(pl.col("rank"), pl.col("n")).alias("score"))
    assert got.schema["score"] == pl.Int8
    assert got["score"].to_list() == expected


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        pytest.param(["5.00"], [1], id="N=1"),
        pytest.param(["5.00", "9.00"], [1, 3], id="N=2"),
        pytest.param(["1.00", "2.00", "3.00", "4.00", "5.00"], [1, 2, 3, 4, 5], id="N=5"),
        pytest.param(
            ["70.00", "10.00", "60.00", "20.00", "50.00", "30.00", "40.00"],
            [5, 1, 4, 1, 3, 2, 3],
            id="N=7 shuffled",
        ),
        pytest.param(["1.00", "2.00", "2.00", "3.00"], [1, 2, 2, 4], id="N=4 tie"),
    ],
)
def test_monetary_scores_through_rfm(amounts, expected):
    rows = customer_rows(spenders(amounts), {f"C{i:02}": 0 for i in range(1, len(amounts) + 1)})
    assert rows["m_score"].to_list() == expected


def test_recency_scores_smaller_is_better_and_frequency_scores_larger_is_better():
    transactions: list[Txn] = []
    # C1..C5 with recency 40, 30, 20, 10, 0 days and frequency 1..5 (the most recent buys most)
    for i in range(1, 6):
        for k in range(i):
            transactions.append((f"T{i}{k}", f"C{i}", ago(50 - 10 * i), "1.00", "SALE"))
    rows = customer_rows(transactions, {f"C{i}": 0 for i in range(1, 6)})
    assert by_customer(rows, "recency_days", "frequency", "r_score", "f_score") == {
        "C1": (40, 1, 1, 1),
        "C2": (30, 2, 2, 2),
        "C3": (20, 3, 3, 3),
        "C4": (10, 4, 4, 4),
        "C5": (0, 5, 5, 5),
    }


def test_tied_values_share_a_score_across_a_quintile_boundary():
    # N = 5, two customers tied for ranks 2 and 3: avg rank 2.5 → 1 + floor(5 × 1.5 / 5) = 2.
    rows = customer_rows(
        spenders(["1.00", "2.00", "2.00", "4.00", "5.00"]), {f"C0{i}": 0 for i in range(1, 6)}
    )
    assert rows["m_score"].to_list() == [1, 2, 2, 4, 5]


# --------------------------------------------------------------------------------------
# rfm_segment: the configurable first-match mapping
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ((5, 5, 5), "Champions"),
        ((4, 4, 4), "Champions"),  # also Loyal: the first matching rule wins
        ((3, 3, 3), "Loyal"),  # also Need Attention
        ((5, 3, 3), "Loyal"),  # also Potential Loyalist
        ((4, 2, 1), "Potential Loyalist"),
        ((5, 1, 1), "New"),
        ((4, 1, 5), "Promising"),
        ((3, 2, 1), "Need Attention"),
        ((3, 1, 1), "About to Sleep"),
        ((1, 5, 5), "Can't Lose Them"),
        ((2, 4, 1), "At Risk"),
        ((2, 1, 1), "Hibernating"),
        ((1, 1, 5), "Lost"),
        ((3, 4, 1), "Need Attention"),  # no rule: the fallback
        ((4, 5, 2), "Need Attention"),  # no rule: the fallback
        ((None, None, None), None),  # no sale
    ],
)
def test_default_rfm_segment_mapping(scores, expected):
    frame = pl.DataFrame(
        [scores], schema={f"{axis}_score": pl.Int8 for axis in "rfm"}, orient="row"
    )
    got = frame.select(rfm_segment(CONFIG.rfm_segments, fallback=CONFIG.rfm_fallback))
    assert got.item() == expected


def test_fallback_is_used_only_where_no_rule_matches():
    grid = pl.DataFrame(
        [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)],
        schema={f"{axis}_score": pl.Int8 for axis in "rfm"},
        orient="row",
    )
    named = grid.with_columns(rfm_segment(CONFIG.rfm_segments, fallback="FALLBACK").alias("s"))
    assert named["s"].null_count() == 0
    for r, f, m, name in named.iter_rows():
        matching = [
            rule.name
            for rule in CONFIG.rfm_segments
            if rule.r[0] <= r <= rule.r[1]
            and rule.f[0] <= f <= rule.f[1]
            and rule.m[0] <= m <= rule.m[1]
        ]
        assert name == (matching[0] if matching else "FALLBACK"), (r, f, m)
    assert set(named["s"]) <= {rule.name for rule in CONFIG.rfm_segments} | {"FALLBACK"}


def test_rfm_segment_mapping_is_configurable():
    config = SegmentConfig(
        rfm_segments=(
            RfmSegmentRule(name="VIP", r=(5, 5), f=(5, 5), m=(5, 5)),
            RfmSegmentRule(name="Big", m=(4, 5)),
            RfmSegmentRule(name="Sleepy", r=(1, 2)),
        ),
        rfm_fallback="Rest",
    )
    # N = 5 by monetary (1..5), the most recent and most frequent are the same customer.
    transactions: list[Txn] = []
    for i in range(1, 6):
        for k in range(i):
            transactions.append((f"T{i}{k}", f"C{i}", ago(10 * (5 - i)), f"{i}.00", "SALE"))
    rows = customer_rows(transactions, {f"C{i}": 0 for i in range(1, 6)}, config=config)
    assert by_customer(rows, "r_score", "f_score", "m_score", "rfm_segment") == {
        "C1": (1, 1, 1, "Sleepy"),
        "C2": (2, 2, 2, "Sleepy"),
        "C3": (3, 3, 3, "Rest"),
        "C4": (4, 4, 4, "Big"),
        "C5": (5, 5, 5, "VIP"),
    }


# --------------------------------------------------------------------------------------
# High Spender: fewer than ceil(share × N) customers with a strictly larger monetary
# --------------------------------------------------------------------------------------


def test_ties_for_second_place_with_n_20_make_three_high_spenders():
    amounts = ["100.00", "90.00", "90.00", *[f"{80 - i}.00" for i in range(17)]]
    rows = customer_rows(spenders(amounts), {f"C{i:02}": 0 for i in range(1, 21)})
    assert high_spenders(rows) == ["C01", "C02", "C03"]


def test_ties_just_below_the_quota_are_not_included():
    # N = 20, quota 2: the two tied for third place have two customers above them.
    amounts = ["100.00", "95.00", "90.00", "90.00", *[f"{80 - i}.00" for i in range(16)]]
    rows = customer_rows(spenders(amounts), {f"C{i:02}": 0 for i in range(1, 21)})
    assert high_spenders(rows) == ["C01", "C02"]


@pytest.mark.parametrize(
    ("customers", "quota"),
    [(1, 1), (9, 1), (10, 1), (11, 2), (20, 2), (21, 3), (30, 3), (31, 4)],
)
def test_high_spender_quota_is_ceil_of_ten_percent_exactly(customers, quota):
    # 0.1 × 30 is 3.0000000000000004 in binary floats: ceil would wrongly give 4.
    amounts = [f"{1000 - i}.00" for i in range(customers)]
    rows = customer_rows(spenders(amounts), {f"C{i:02}": 0 for i in range(1, customers + 1)})
    assert high_spenders(rows) == [f"C{i:02}" for i in range(1, quota + 1)]


def test_n_9_all_tied_at_the_top_are_all_high_spenders():
    amounts = ["50.00", "50.00", *[f"{40 - i}.00" for i in range(7)]]
    rows = customer_rows(spenders(amounts), {f"C{i:02}": 0 for i in range(1, 10)})
    assert high_spenders(rows) == ["C01", "C02"]


def test_customers_without_a_sale_do_not_count_towards_n():
    # 9 buyers (quota 1) and 3 customers without a sale: N stays 9, not 12 (quota 2).
    amounts = [f"{100 - i}.00" for i in range(9)]
    transactions = [*spenders(amounts), ("R1", "C50", ago(2), "1.00", "RETURN")]
    balances = {f"C{i:02}": 0 for i in range(1, 10)} | {"C50": 0, "C51": 0, "C52": 0}
    rows = customer_rows(transactions, balances)
    assert high_spenders(rows) == ["C01"]


def test_high_spender_share_is_configurable():
    config = SegmentConfig(high_spender_share=Decimal("0.25"))
    amounts = [f"{100 - i}.00" for i in range(9)]  # ceil(0.25 × 9) = 3
    rows = customer_rows(spenders(amounts), {f"C{i:02}": 0 for i in range(1, 10)}, config=config)
    assert high_spenders(rows) == ["C01", "C02", "C03"]


# --------------------------------------------------------------------------------------
# At Risk and the segment
# --------------------------------------------------------------------------------------


def test_at_risk_needs_thirty_days_and_a_positive_balance():
    transactions: list[Txn] = [
        ("T0", "C0_TOP", ago(40), "1000.00", "SALE"),  # the one high spender (N = 6, quota 1)
        ("T1", "C1_30D", ago(30), "10.00", "SALE"),
        ("T2", "C2_29D", ago(29), "10.00", "SALE"),
        ("T3", "C3_ZERO", ago(45), "10.00", "SALE"),
        ("T4", "C4_NEG", ago(45), "10.00", "SALE"),
        ("T5", "C5_OLD", ago(31), "10.00", "SALE"),
        ("T5b", "C5_OLD", ago(300), "10.00", "SALE"),
        ("R6", "C6_NOSALE", ago(90), "10.00", "RETURN"),
    ]
    balances = {
        "C0_TOP": 100,
        "C1_30D": 1,
        "C2_29D": 500,
        "C3_ZERO": 0,
        "C4_NEG": -5,
        "C5_OLD": 20,
        "C6_NOSALE": 20,
        "C7_NOTHING": 20,
    }
    rows = customer_rows(transactions, balances)
    assert by_customer(rows, "recency_days", "is_high_spender", "is_at_risk", "segment") == {
        "C0_TOP": (40, True, True, "High Spender"),  # both flags; High Spender wins
        "C1_30D": (30, False, True, "At Risk"),  # exactly 30 days
        "C2_29D": (29, False, False, "Others"),
        "C3_ZERO": (45, False, False, "Others"),
        "C4_NEG": (45, False, False, "Others"),
        "C5_OLD": (31, False, True, "At Risk"),
        "C6_NOSALE": (None, False, False, "Others"),
        "C7_NOTHING": (None, False, False, "Others"),
    }


def test_at_risk_days_is_configurable():
    config = SegmentConfig(at_risk_days=7)
    transactions = [*spenders(["100.00"]), ("T2", "C02", ago(7), "1.00", "SALE")]
    rows = customer_rows(transactions, {"C01": 1, "C02": 1}, config=config)
    assert by_customer(rows, "segment") == {"C01": ("High Spender",), "C02": ("At Risk",)}


def test_no_customer_with_a_sale_means_no_scores_and_no_high_spenders():
    rows = customer_rows([("R1", "C1", ago(3), "5.00", "RETURN")], {"C1": 10, "C2": 0})
    assert rows["r_score"].null_count() == 2
    assert not rows["is_high_spender"].any()
    assert set(rows["segment"]) == {"Others"}


def test_published_types():
    rows = customer_rows(spenders(["1.00", "2.00"]), {"C01": 1, "C02": 2})
    assert {name: rows.schema[name] for name in ("r_score", "f_score", "m_score")} == {
        "r_score": pl.Int8,
        "f_score": pl.Int8,
        "m_score": pl.Int8,
    }
    assert rows.schema["is_high_spender"] == pl.Boolean
    assert rows.schema["is_at_risk"] == pl.Boolean
    assert rows.schema["segment"] == pl.String


# --------------------------------------------------------------------------------------
# Invariants on random one-row-per-customer activity
# --------------------------------------------------------------------------------------


@st.composite
def activities(draw: st.DrawFn) -> pl.DataFrame:
    """Random customers: frequency, monetary, last purchase and balance (ties likely)."""
    size = draw(st.integers(0, 40))
    money = st.one_of(
        st.sampled_from([Decimal("10.00"), Decimal("20.50"), Decimal("99.99"), Decimal(0)]),
        st.integers(-5_000, 100_000).map(lambda cents: Decimal(cents).scaleb(-2)),
    )
    rows = []
    for i in range(size):
        frequency = draw(st.integers(0, 6))
        rows.append(
            {
                "customer_id": f"C{i:03}",
                "last_purchase_date": ago(draw(st.integers(0, 60))) if frequency else None,
                "frequency": frequency,
                "monetary": draw(money),
                "total_loyalty_points": draw(st.integers(-20, 200)),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.String,
            "last_purchase_date": pl.Date,
            "frequency": pl.Int64,
            "monetary": pl.Decimal(18, 2),
            "total_loyalty_points": pl.Int64,
        },
    )


def scored_activity(activity: pl.DataFrame) -> pl.DataFrame:
    scored = rfm(
        activity.lazy(), as_of=AS_OF, mapping=CONFIG.rfm_segments, fallback=CONFIG.rfm_fallback
    )
    return segments(
        scored, high_spender_share=CONFIG.high_spender_share, at_risk_days=CONFIG.at_risk_days
    ).collect()


@settings(max_examples=80, deadline=None)
@given(activities())
def test_scores_are_1_to_5_for_buyers_null_otherwise_and_monotone(activity):
    out = scored_activity(activity)
    assert out.height == activity.height
    buyers = out.filter(pl.col("frequency") > 0)
    others = out.filter(pl.col("frequency") == 0)
    for value, score, better_is_larger in (
        ("recency_days", "r_score", False),
        ("frequency", "f_score", True),
        ("monetary", "m_score", True),
    ):
        assert buyers[score].null_count() == 0
        assert buyers[score].is_between(1, 5).all()
        assert others[score].null_count() == others.height
        # tied values share a score, and a better value never scores lower
        pairs = sorted(buyers.select(value, score).iter_rows(), reverse=not better_is_larger)
        for (v1, s1), (v2, s2) in itertools.pairwise(pairs):
            assert s1 <= s2 if v1 != v2 else s1 == s2, (value, v1, s1, v2, s2)
    assert buyers["rfm_segment"].null_count() == 0
    assert others["rfm_segment"].null_count() == others.height


@settings(max_examples=80, deadline=None)
@given(activities())
def test_high_spenders_are_at_least_the_quota_and_minimal_given_ties(activity):
    out = scored_activity(activity)
    buyers = out.filter(pl.col("frequency") > 0)
    n = buyers.height
    high = buyers.filter("is_high_spender")
    assert not out.filter(pl.col("frequency") == 0)["is_high_spender"].any()
    if n == 0:
        assert high.is_empty()
        return
    quota = Fraction(1, 10) * n
    assert high.height >= quota
    lowest = high["monetary"].min()
    # closed upwards: everyone above the lowest high spender is one too
    assert buyers.filter(pl.col("monetary") >= lowest).height == high.height
    # minimal: without the lowest tie group the share would fall below the quota
    assert high.filter(pl.col("monetary") > lowest).height < quota


@settings(max_examples=80, deadline=None)
@given(activities())
def test_at_risk_and_segment_follow_their_definitions(activity):
    out = scored_activity(activity)
    for row in out.iter_rows(named=True):
        at_risk = (
            row["frequency"] > 0
            and row["recency_days"] >= CONFIG.at_risk_days
            and row["total_loyalty_points"] > 0
        )
        assert row["is_at_risk"] == at_risk, row
        expected = "High Spender" if row["is_high_spender"] else "At Risk" if at_risk else "Others"
        assert row["segment"] == expected, row


# --------------------------------------------------------------------------------------
# The oracle: contract 3.2 and 3.3 in plain Python
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    last_purchase_date: date | None
    recency_days: int | None
    frequency: int
    monetary: Decimal
    r_score: int | None
    f_score: int | None
    m_score: int | None
    rfm_segment: str | None
    is_high_spender: bool
    is_at_risk: bool
    segment: str


def oracle_scores(goodness: Mapping[str, Any]) -> dict[str, int]:
    """1 + floor(5 × (avg_rank − 1) / N), avg_rank ascending in goodness, exactly."""
    n = len(goodness)
    scores = {}
    for customer, value in goodness.items():
        below = sum(1 for other in goodness.values() if other < value)
        equal = sum(1 for other in goodness.values() if other == value)
        avg_rank = below + Fraction(equal + 1, 2)
        scores[customer] = 1 + math.floor(5 * (avg_rank - 1) / n)
    return scores


def oracle_rfm_segment(r: int, f: int, m: int, config: SegmentConfig) -> str:
    for rule in config.rfm_segments:
        low_r, high_r = rule.r
        low_f, high_f = rule.f
        low_m, high_m = rule.m
        if low_r <= r <= high_r and low_f <= f <= high_f and low_m <= m <= high_m:
            return rule.name
    return config.rfm_fallback


def oracle(
    transactions: Sequence[Txn],
    balances: Mapping[str, int],
    *,
    as_of: date,
    config: SegmentConfig = CONFIG,
) -> dict[str, Expected]:
    sales: dict[str, list[Txn]] = {c: [] for c in balances}
    returns: dict[str, list[Txn]] = {c: [] for c in balances}
    for txn in transactions:
        _, customer, on, _, kind = txn
        if customer is None or customer not in balances or on > as_of:
            continue
        (sales if kind == "SALE" else returns)[customer].append(txn)
    last = {c: max((t[2] for t in sales[c]), default=None) for c in balances}
    frequency = {c: len({t[0] for t in sales[c]}) for c in balances}
    monetary = {
        c: sum((Decimal(str(t[3])) for t in sales[c]), Decimal(0))
        - sum((Decimal(str(t[3])) for t in returns[c]), Decimal(0))
        for c in balances
    }
    recency = {c: (as_of - d).days if d is not None else None for c, d in last.items()}
    buyers = [c for c in balances if frequency[c] > 0]
    n = len(buyers)
    r_scores = oracle_scores({c: -recency[c] for c in buyers})
    f_scores = oracle_scores({c: frequency[c] for c in buyers})
    m_scores = oracle_scores({c: monetary[c] for c in buyers})
    share = Fraction(config.high_spender_share)
    quota = math.ceil(share * n)  # exact: share is a Fraction
    expected = {}
    for c in balances:
        is_buyer = frequency[c] > 0
        above = sum(1 for other in buyers if monetary[other] > monetary[c])
        high = is_buyer and above < quota
        at_risk = is_buyer and recency[c] >= config.at_risk_days and balances[c] > 0
        expected[c] = Expected(
            last_purchase_date=last[c],
            recency_days=recency[c],
            frequency=frequency[c],
            monetary=monetary[c],
            r_score=r_scores.get(c),
            f_score=f_scores.get(c),
            m_score=m_scores.get(c),
            rfm_segment=(
                oracle_rfm_segment(r_scores[c], f_scores[c], m_scores[c], config)
                if is_buyer
                else None
            ),
            is_high_spender=high,
            is_at_risk=at_risk,
            segment="High Spender" if high else "At Risk" if at_risk else "Others",
        )
    return expected


def library(
    transactions: Sequence[Txn], balances: Mapping[str, int], *, as_of: date
) -> dict[str, Expected]:
    rows = customer_rows(transactions, balances, as_of=as_of)
    fields = list(Expected.__dataclass_fields__)
    return {
        row["customer_id"]: Expected(**{name: row[name] for name in fields})
        for row in rows.iter_rows(named=True)
    }


def test_oracle_agrees_with_a_literal_case():
    transactions: list[Txn] = [
        ("T1", "C1", ago(40), "100.00", "SALE"),
        ("T2", "C1", ago(35), "50.00", "SALE"),
        ("R1", "C1", ago(20), "25.00", "RETURN"),
        ("T3", "C2", ago(5), "10.00", "SALE"),
        ("R2", "C3", ago(5), "10.00", "RETURN"),
    ]
    expected = oracle(transactions, {"C1": 10, "C2": 0, "C3": 5, "C4": 1}, as_of=AS_OF)
    assert expected["C1"] == Expected(
        ago(35), 35, 2, Decimal("125.00"), 1, 3, 3, "At Risk", True, True, "High Spender"
    )
    assert expected["C2"] == Expected(
        ago(5), 5, 1, Decimal("10.00"), 3, 1, 1, "About to Sleep", False, False, "Others"
    )
    assert expected["C3"].segment == "Others"
    assert expected["C3"].monetary == Decimal("-10.00")
    assert expected["C4"].frequency == 0
    assert library(transactions, {"C1": 10, "C2": 0, "C3": 5, "C4": 1}, as_of=AS_OF) == expected


@st.composite
def transaction_sets(draw: st.DrawFn) -> tuple[list[Txn], dict[str, int], date]:
    """A few dozen customers with random SALEs and RETURNs, dates and balances."""
    customers = [f"C{i:03}" for i in range(draw(st.integers(1, 40)))]
    as_of = AS_OF + timedelta(days=draw(st.integers(-5, 5)))
    amount = st.one_of(
        st.sampled_from(["10.00", "19.99", "0.01", "50.00"]),
        st.integers(1, 50_000).map(lambda cents: f"{cents // 100}.{cents % 100:02}"),
    )
    transaction = st.tuples(
        st.one_of(st.none(), st.sampled_from(customers)),
        # days before as_of: a few after it, and the at-risk boundary often
        (st.integers(-3, 70) | st.sampled_from([0, 29, 30, 31])).map(
            lambda days: as_of - timedelta(days=days)
        ),
        amount,
        st.sampled_from(["SALE", "SALE", "SALE", "RETURN"]),
    )
    drawn = draw(st.lists(transaction, max_size=120))
    transactions = [
        (f"T{i:04}", customer, on, value, kind)
        for i, (customer, on, value, kind) in enumerate(drawn)
    ]
    balances = {c: draw(st.integers(-10, 300) | st.just(0)) for c in customers}
    return transactions, balances, as_of


@settings(max_examples=60, deadline=None)
@given(transaction_sets())
def test_library_agrees_with_the_oracle(case):
    transactions, balances, as_of = case
    assert library(transactions, balances, as_of=as_of) == oracle(
        transactions, balances, as_of=as_of
    )
