"""A customer's points statement: the ledger line by line, with balance, tier and next expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from loyalty_lake.errors import LoyaltyLakeError
from loyalty_lake.gold.points.balances import next_expiry
from loyalty_lake.io import catalog
from loyalty_lake.io.lake import LakeLike, as_lake


@dataclass(frozen=True, slots=True)
class Statement:
    """One customer's points, explained.

    ``ledger`` has one row per points event with the balance after it.
    """

    customer_id: str
    first_name: str | None
    loyalty_status: str
    balance: int
    lifetime_points_earned: int
    as_of: date | None
    next_expiry_date: date | None
    points_expiring: int
    ledger: pl.DataFrame


def points_statement(*, lake: LakeLike, customer_id: str) -> Statement:
    """The statement of ``customer_id`` from the gold tables of the last published build."""
    lake = as_lake(lake)
    gold = catalog.gold_snapshot(lake)
    if not {"customer_details", "points_ledger"} <= gold.versions.keys():
        raise LoyaltyLakeError(
            f"The lake at {lake.root} has no points yet.",
            hint="Run `loyalty-lake build` (or `loyalty-lake demo`) first.",
        )
    details = gold.scan("customer_details").filter(pl.col("customer_id") == customer_id).collect()
    if details.is_empty():
        raise LoyaltyLakeError(
            f"Customer {customer_id!r} is not in gold/customer_details.",
            hint="Check the id (ids are case-sensitive, e.g. C0000042).",
        )
    ledger = gold.scan("points_ledger").filter(pl.col("customer_id") == customer_id)
    as_of = gold.as_of
    expiring = next_expiry(ledger, as_of=as_of or date.max).collect()
    row = details.row(0, named=True)
    soonest = expiring.row(0, named=True) if expiring.height else {}
    return Statement(
        customer_id=customer_id,
        first_name=row["first_name"],
        loyalty_status=row["loyalty_status"],
        balance=row["total_loyalty_points"],
        lifetime_points_earned=row["lifetime_points_earned"],
        as_of=as_of,
        next_expiry_date=soonest.get("next_expiry_date"),
        points_expiring=soonest.get("points_expiring", 0),
        ledger=ledger.sort("sequence").collect(),
    )
