"""Points through the whole pipeline: landing CSVs → build → gold ledger, details, rejects."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import polars as pl

import loyalty_lake as ll
from loyalty_lake.config import Config, LoyaltyConfig
from loyalty_lake.io import catalog

if TYPE_CHECKING:
    from pathlib import Path

AS_OF = date(2025, 2, 5)

BATCH = {
    "stores.csv": "store_id,store_name\nS1,Main Street\n",
    "products.csv": (
        "product_id,product_name,product_category,unit_price\n"
        "P1,Tea,Food,10.00\n"
        "P2,Vitamins,Health,5.00\n"
    ),
    "customers.csv": "customer_id,first_name\nC1,Ada\nC2,Bob\nC3,Cy\n",
    "loyalty_rules.csv": (
        "rule_id,rule_name,points_per_unit_spend,min_spend_threshold,bonus_points,"
        "applicable_category,valid_from,valid_to,days_of_week\n"
        "STD,Standard,1,0,0,ALL,,,\n"
        "HEALTH,Health,2,0,0,Health,,,\n"
        "STD_BONUS,Big basket,1,100,50,ALL,,,\n"
    ),
    "promotions.csv": (
        "promotion_id,promotion_name,start_date,end_date,discount_percentage,"
        "applicable_category,points_multiplier\n"
        "PR1,January food,2024-01-01,2024-01-31,10,Food,2\n"
    ),
    "sales_header.csv": (
        "transaction_id,customer_id,store_id,transaction_date,total_amount,"
        "transaction_type,original_transaction_id\n"
        "T1,C1,S1,2024-01-10T10:00:00,120.00,SALE,\n"
        "T2,C2,S1,2024-02-01T09:00:00,30.00,SALE,\n"
        "T3,,S1,2024-02-01T09:30:00,80.00,SALE,\n"
        "T4,C1,S1,2024-02-15T12:00:00,20.00,RETURN,T1\n"
    ),
    "sales_lines.csv": (
        "line_item_id,transaction_id,product_id,promotion_id,quantity,line_item_amount\n"
        "1,T1,P1,PR1,10,100.00\n"
        "2,T1,P2,,4,20.00\n"
        "1,T2,P1,,3,30.00\n"
        "1,T3,P1,,8,80.00\n"
        "1,T4,P2,,4,20.00\n"
    ),
    "redemptions.csv": (
        "redemption_id,customer_id,redemption_date,points_redeemed,store_id\n"
        "R1,C1,2024-02-20,200,S1\n"
        "R2,C2,2024-02-20,31,S1\n"
        "R3,C2,2024-02-21,30,S1\n"
    ),
}


def _land(folder: Path) -> None:
    folder.mkdir(parents=True)
    for name, text in BATCH.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_points_from_landing_files_to_gold(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    _land(lake.landing / "2024-02-21")
    config = Config(lake_root=lake.root, loyalty=LoyaltyConfig(expiry_months=12))

    report = ll.build(lake=lake, config=config, as_of=AS_OF)

    ledger = ll.scan(lake, "gold", "points_ledger").sort("customer_id", "sequence").collect()
    assert ledger.select(
        "customer_id",
        "sequence",
        "event_date",
        "event_type",
        "points",
        "balance_after",
        "transaction_id",
        "redemption_id",
        "rule_id",
        "expires_on",
    ).rows() == [
        # T1: 100.00 of promoted food (x2) + 20.00 of health (rate 2) + the 50 bonus.
        ("C1", 1, date(2024, 1, 10), "EARN", 40, 40, "T1", None, "HEALTH", date(2025, 1, 10)),
        ("C1", 2, date(2024, 1, 10), "EARN", 200, 240, "T1", None, "STD", date(2025, 1, 10)),
        (
            "C1",
            3,
            date(2024, 1, 10),
            "BONUS",
            50,
            290,
            "T1",
            None,
            "STD_BONUS",
            date(2025, 1, 10),
        ),
        ("C1", 4, date(2024, 2, 15), "REVERSAL", -40, 250, "T4", None, "HEALTH", None),
        ("C1", 5, date(2024, 2, 20), "REDEEM", -200, 50, None, "R1", None, None),
        # FIFO: the reversal and the redemption used the oldest 240; the bonus lot's 50 expire.
        ("C1", 6, date(2025, 1, 10), "EXPIRE", -50, 0, "T1", None, "STD_BONUS", None),
        ("C2", 1, date(2024, 2, 1), "EARN", 30, 30, "T2", None, "STD", date(2025, 2, 1)),
        ("C2", 2, date(2024, 2, 21), "REDEEM", -30, 0, None, "R3", None, None),
    ]
    assert report.gold is not None
    assert report.gold.points == {
        "issued": 320,
        "reversed": 40,
        "redeemed": 230,
        "expired": 50,
        "outstanding": 0,
    }

    details = (
        ll.scan(lake, "gold", "customer_details")
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
        ("C1", 0, 250, date(2024, 1, 10), "Bronze"),
        ("C2", 0, 30, date(2024, 2, 1), "Bronze"),
        ("C3", 0, 0, None, "Bronze"),
    ]

    # The refused redemption is valid data, in silver; the verdict lives only in gold.
    verdicts = ll.scan(lake, "gold", "redemption_verdicts").sort("redemption_id").collect()
    assert verdicts.select("redemption_id", "status", "reason").rows() == [
        ("R1", "CONFIRMED", None),
        ("R2", "REFUSED", "INSUFFICIENT_POINTS"),
        ("R3", "CONFIRMED", None),
    ]
    assert set(ll.scan(lake, "silver", "redemptions").collect()["redemption_id"]) == {
        "R1",
        "R2",
        "R3",
    }
    assert ll.scan(lake, "silver", "rejects").filter(pl.col("key") == "R2").collect().is_empty()
    report = ll.dq_report(lake=lake)
    refused = report.summary.filter(pl.col("reason") == "INSUFFICIENT_POINTS")
    assert refused.select("table", "rows").rows() == [("redemptions", 1)]


def test_rebuilding_the_same_silver_leaves_points_unchanged(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    _land(lake.landing / "2024-02-21")
    config = Config(lake_root=lake.root)
    ll.build(lake=lake, config=config, as_of=AS_OF)
    first = ll.scan(lake, "gold", "points_ledger").collect()
    version = catalog.version(lake, "gold", "points_ledger")

    ll.build(lake=lake, config=config, as_of=AS_OF)

    assert catalog.version(lake, "gold", "points_ledger") == version
    assert ll.scan(lake, "gold", "points_ledger").collect().equals(first)
