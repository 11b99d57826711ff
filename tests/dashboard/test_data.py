"""The dashboard's pure data functions of the newer views, on small literal gold frames.

Customer value (CLV bins, the probability-alive map, the win-back rules),
inventory (stock-outs, low cover, sell-through), store comparisons
and the notification outbox: each frame in, the expected frame or numbers out.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from loyalty_lake.codes import MONEY
from loyalty_lake.dashboard import data

AS_OF = date(2026, 10, 31)


def money(*values: str) -> pl.Series:
    return pl.Series([Decimal(v) for v in values], dtype=MONEY)


def value_gold(rows: list[tuple[str, str, float, int, float, str, bool, str]]) -> data.Gold:
    """A gold of customer_details and customer_value from one row per customer.

    Each row: customer id, segment, recency, frequency, p_alive, clv, is_at_risk, value tier.
    """
    ids, segments, recency, frequency, alive, clv, at_risk, tiers = (
        list(c) for c in zip(*rows, strict=True)
    )
    details = pl.DataFrame(
        {
            "customer_id": ids,
            "first_name": [f"Name {i}" for i in ids],
            "email_pseudonym": [f"pseudo-{i}" for i in ids],
            "segment": segments,
            "loyalty_status": ["Gold"] * len(ids),
            "total_loyalty_points": [100] * len(ids),
            "last_purchase_date": [date(2026, 9, 1)] * len(ids),
            "recency_days": [60] * len(ids),
            "is_at_risk": at_risk,
            "p_alive": alive,
        }
    ).with_columns(clv=money(*clv))
    values = pl.DataFrame(
        {
            "customer_id": ids,
            "recency": recency,
            "frequency": frequency,
            "p_alive": alive,
            "expected_purchases": [2.0] * len(ids),
            "value_tier": tiers,
        }
    ).with_columns(clv=money(*clv))
    parameters = pl.DataFrame(
        {
            "model": ["bg_nbd", "bg_nbd"],
            "parameter": ["r", "alpha"],
            "value": [0.24, 4.4],
            "time_unit": ["week", "week"],
            "log_likelihood": [-9.0, -9.0],
            "customers": [len(ids)] * 2,
            "converged": [True, True],
        }
    )
    tables = {"customer_details": details, "customer_value": values, "clv_parameters": parameters}
    return data.Gold(tables=tables, as_of=AS_OF)


CUSTOMERS = [
    # id, segment, recency, frequency, p_alive, clv, at risk, tier
    ("C1", "At Risk", 0.0, 0, 1.00, "0.04", True, "Low"),
    ("C2", "At Risk", 3.5, 2, 0.70, "12.34", True, "Top"),
    ("C3", "At Risk", 9.9, 9, 0.49, "4000.00", True, "Top"),
    ("C4", "High Spender", 10.0, 19, 0.95, "46082.46", True, "High"),
    ("C5", "Others", 17.0, 25, 0.99, "900.00", False, "Top"),
    ("C6", "At Risk", 12.0, 3, 0.50, "2500.00", True, "High"),
]


def test_clv_bins_are_round_exact_and_hold_every_customer():
    bins = data.clv_histogram(value_gold(CUSTOMERS), data.Filters(), bins=30)
    assert bins.schema == pl.Schema({"clv_from": MONEY, "clv_to": MONEY, "customers": pl.Int64()})
    # 46,082.42 over 30 bins: 1,536.08 each, rounded up to 2,000.00
    assert bins["clv_from"][0] == Decimal("0.00")
    assert (bins["clv_to"] - bins["clv_from"] == Decimal("2000.00")).all()
    assert bins.height == 24  # 0.00 to 48,000.00, the empty bins included
    assert bins["customers"].sum() == len(CUSTOMERS)
    counts = dict(zip(bins["clv_from"], bins["customers"], strict=True))
    assert counts[Decimal("0.00")] == 3  # 0.04, 12.34, 900.00
    assert counts[Decimal("2000.00")] == 1  # 2,500.00
    assert counts[Decimal("4000.00")] == 1  # 4,000.00 starts its bin
    assert counts[Decimal("46000.00")] == 1
    assert counts[Decimal("20000.00")] == 0


def test_clv_bins_of_one_value_and_of_none():
    one = data.clv_histogram(value_gold(CUSTOMERS[:1]), data.Filters())
    assert one.rows() == [(Decimal("0.04"), Decimal("0.05"), 1)]
    none = data.clv_histogram(value_gold(CUSTOMERS), data.Filters(segments=("no such",)))
    assert none.is_empty()
    assert none.columns == ["clv_from", "clv_to", "customers"]


def test_the_probability_alive_map_bins_recency_and_frequency():
    cells = data.p_alive_map(value_gold(CUSTOMERS), data.Filters(), bins=10)
    # recency up to 17 weeks: bins of 2; frequency up to 25: bins of 3 (0-2, 3-5, ...)
    assert cells["customers"].sum() == len(CUSTOMERS)
    by_cell = {
        (r, f): (n, p)
        for r, f, n, p in cells.select(
            "recency_bin", "frequency_bin", "customers", "mean_p_alive"
        ).iter_rows()
    }
    assert by_cell[("0–2", "0–2")] == (1, 1.0)
    assert by_cell[("2–4", "0–2")] == (1, 0.70)
    assert by_cell[("10–12", "18–20")] == (1, 0.95)
    assert by_cell[("12–14", "3–5")] == (1, 0.50)
    assert cells["recency_from"].is_sorted()
    single = data.p_alive_map(value_gold(CUSTOMERS[:2]), data.Filters(), bins=10)
    assert set(single["frequency_bin"]) == {"0", "2"}  # bins of one repeat day: one label


def test_the_win_back_list_follows_its_rules():
    gold = value_gold(CUSTOMERS)
    listed = data.win_back(gold, data.Filters())
    # at risk, Top or High, p_alive >= 0.5: C4 (High), C6 (High, 0.50 exactly), C2 (Top);
    # not C1 (Low), C3 (0.49), C5 (not at risk); highest CLV first
    assert listed["customer_id"].to_list() == ["C4", "C6", "C2"]
    assert listed["clv"].dtype == MONEY  # exact until shown
    assert "email" not in listed.columns
    assert data.win_back(gold, data.Filters(), min_p_alive=0.8)["customer_id"].to_list() == ["C4"]
    every_tier = data.win_back(gold, data.Filters(), tiers=())
    assert every_tier["customer_id"].to_list() == ["C4", "C6", "C2", "C1"]
    at_risk_segment = data.win_back(gold, data.Filters(segments=("At Risk",)))
    assert at_risk_segment["customer_id"].to_list() == ["C6", "C2"]


def test_the_value_summary_is_exact():
    summary = data.value_summary(value_gold(CUSTOMERS), data.Filters())
    total = sum(Decimal(row[5]) for row in CUSTOMERS)
    assert summary.total_clv == total
    assert summary.average_clv == (total / len(CUSTOMERS)).quantize(Decimal("0.01"))
    assert summary.customers == len(CUSTOMERS)
    assert summary.time_unit == "week"
    assert summary.converged is True
    nobody = data.value_summary(value_gold(CUSTOMERS), data.Filters(segments=("no such",)))
    assert (nobody.customers, nobody.total_clv, nobody.average_clv) == (0, Decimal("0.00"), None)
    assert nobody.mean_p_alive is None


# --- inventory ------------------------------------------------------------------------------

D1, D2, D3 = date(2026, 10, 29), date(2026, 10, 30), date(2026, 10, 31)


def inventory_gold() -> data.Gold:
    """Two stores in two regions; P1 (Toys), P2 (Home), P3 stocked but never sold."""
    stock = pl.DataFrame(
        {
            "date": [D1, D2, D3, D1, D3, D2, D3, D3],
            "store_id": ["S1", "S1", "S1", "S2", "S2", "S1", "S1", "S2"],
            "product_id": ["P1", "P1", "P1", "P1", "P1", "P2", "P2", "P3"],
            "stock_level": [5, 0, 0, None, 4, None, 10, 3],
            "units_sold": [3, 2, 0, 6, 1, 7, 0, 0],
            "units_returned": [0] * 8,
            "sell_rate_7d": [3 / 7, 5 / 7, 5 / 7, 6 / 7, 1.0, 1.0, 1.0, 0.0],
        }
    ).with_columns(
        stock_out=pl.col("stock_level") == 0,
        days_of_cover=pl.when(pl.col("sell_rate_7d") > 0).then(
            pl.col("stock_level") / pl.col("sell_rate_7d")
        ),
    )
    stores = pl.DataFrame({"store_id": ["S1", "S2"], "store_region": ["North", "South"]})
    products = pl.DataFrame(
        {
            "product_id": ["P1", "P2"],
            "product_name": ["Bear", "Lamp"],
            "category": ["Toys", "Home"],
        }
    )
    return data.Gold(
        tables={"inventory_daily": stock, "store_daily": stores, "product_sales_daily": products},
        as_of=D3,
    )


def test_stock_outs_per_day_and_per_pair():
    gold = inventory_gold()
    per_day = data.stock_outs_by_day(gold, data.Filters())
    assert per_day.rows() == [(D1, 0, 1), (D2, 1, 1), (D3, 1, 4)]
    most = data.most_out_of_stock(gold, data.Filters())
    assert most.select("store_id", "product_id", "product_name", "category").rows() == [
        ("S1", "P1", "Bear", "Toys")
    ]
    assert most.select("stock_out_days", "snapshot_days", "last_stock_out").row(0) == (2, 3, D3)
    assert data.stock_outs_by_day(gold, data.Filters(regions=("South",)))["stock_outs"].sum() == 0


def test_low_cover_is_of_the_latest_snapshot_day():
    gold = inventory_gold()
    assert data.latest_snapshot(gold, data.Filters()) == D3
    low = data.low_cover(gold, data.Filters(), below=5)
    # on D3: S1/P1 0 days, S2/P1 4 days; S1/P2 10 days is enough; S2/P3 no sales: no figure
    assert low.select("store_id", "product_id", "days_of_cover").rows() == [
        ("S1", "P1", 0.0),
        ("S2", "P1", 4.0),
    ]
    early = data.Filters(end=D2)
    assert data.latest_snapshot(gold, early) == D2
    assert data.low_cover(gold, early, below=5)["date"].to_list() == [D2]
    assert data.latest_snapshot(gold, data.Filters(start=D3, stores=("S9",))) is None


def test_sell_through_is_sold_over_sold_and_the_last_stock():
    through = data.sell_through(inventory_gold(), data.Filters())
    expected = pl.DataFrame(
        {
            # Toys: 12 sold; last stock S1/P1 0 + S2/P1 4. Home: 7 sold, last stock 10.
            "category": ["Toys", "Home", "(no sales)"],
            "units_sold": [12, 7, 0],
            "stock_at_end": [4, 10, 3],
            "sell_through_pct": [75.0, 7 / 17 * 100, 0.0],
        }
    )
    assert_frame_equal(through, expected, check_dtypes=False)
    # before any snapshot of Home: units sold but no stock to compare, so no figure (blank)
    early = data.sell_through(inventory_gold(), data.Filters(end=D2))
    home = early.filter(pl.col("category") == "Home")
    assert home.select("units_sold", "stock_at_end", "sell_through_pct").rows() == [(7, None, None)]
    assert early["category"].to_list()[-1] == "Home"  # no figure: last
    toys = data.sell_through(inventory_gold(), data.Filters(categories=("Toys",)))
    assert toys["category"].to_list() == ["Toys"]


# --- stores and notifications ---------------------------------------------------------------


def test_store_months_are_the_months_the_range_touches():
    performance = pl.DataFrame(
        {
            "month_start": [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)] * 2,
            "store_id": ["S1"] * 3 + ["S2"] * 3,
            "store_name": ["One"] * 3 + ["Two"] * 3,
            "store_region": ["North"] * 3 + ["South"] * 3,
            "rank_in_region": [1] * 6,
            "revenue": [Decimal("10.00")] * 6,
            "transactions": [1] * 6,
            "average_basket": [Decimal("10.00")] * 6,
            "members_share_pct": [50.0] * 6,
            "points_issued": [10] * 6,
            "stock_out_days": [0] * 6,
        }
    )
    gold = data.Gold(tables={"store_performance": performance}, as_of=AS_OF)
    f = data.Filters(start=date(2026, 8, 20), end=date(2026, 9, 1), regions=("South",))
    months = data.store_months(gold, f)
    assert months.select("month_start", "store_id").rows() == [
        (date(2026, 9, 1), "S2"),
        (date(2026, 8, 1), "S2"),
    ]


def test_notification_counts_have_every_status():
    at = datetime(2026, 11, 1, tzinfo=UTC)
    outbox = pl.DataFrame(
        {
            "notification_id": ["n1", "n2", "n3", "n4"],
            "customer_id": ["C1", "C2", "C3", "C4"],
            "kind": ["WIN_BACK", "WIN_BACK", "TIER_UPGRADE", "WIN_BACK"],
            "event_date": [D1, D2, D3, D3],
            "channel": ["email", "sms", "email", "email"],
            "contact_pseudonym": ["p1", "p2", "p3", "p4"],
            "template": ["win_back", "win_back", "tier_upgrade", "win_back"],
            "parameters": ["{}"] * 4,
            "status": ["SENT", "FAILED", "PENDING", "FAILED"],
            "created_at": [at] * 4,
            "attempts": [1, 5, 0, 1],
            "last_error": [None, "gave up after 5 attempt(s): timeout", None, "HTTP 410 Gone"],
            "sent_at": [at, None, None, None],
        }
    )
    gold = data.Gold(tables={"notifications": outbox}, as_of=AS_OF)
    counts = data.notification_counts(gold)
    assert counts.columns == ["kind", "PENDING", "SENT", "FAILED", "CANCELLED", "total"]
    assert counts.rows() == [("WIN_BACK", 0, 1, 2, 0, 3), ("TIER_UPGRADE", 1, 0, 0, 0, 1)]
    assert data.notification_statuses(gold).rows() == [
        ("TIER_UPGRADE", "PENDING", 1),
        ("WIN_BACK", "SENT", 1),
        ("WIN_BACK", "FAILED", 2),
    ]
    failed = data.failed_notifications(gold)
    assert failed.select("notification_id", "last_error").rows() == [
        ("n4", "HTTP 410 Gone"),
        ("n2", "gave up after 5 attempt(s): timeout"),
    ]
    recent = data.recent_notifications(gold, n=2)
    assert recent.height == 2
    assert "contact_pseudonym" in recent.columns
    assert not {"address", "email", "phone"} & set(recent.columns)


@pytest.mark.parametrize("step", [1, 2, 3, 7, 10, 11, 153608, 200000])
def test_nice_steps_are_one_two_or_five_times_a_power_of_ten(step):
    nice = data._nice_step(step)
    assert nice >= step
    assert str(nice).rstrip("0") in {"1", "2", "5"}
    assert nice < step * 5 or step == 1
