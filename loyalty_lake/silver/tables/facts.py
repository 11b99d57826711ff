"""Checks of the facts checked alone: redemptions and inventory snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty_lake.landing.contract import INVENTORY, REDEMPTIONS
from loyalty_lake.silver.checks import (
    duplicate,
    future_date,
    malformed_row,
    non_positive,
    too_old,
    with_duplicates,
)
from loyalty_lake.silver.tables.common import (
    INTEGER,
    ISO_DATE,
    Checks,
    Known,
    checked,
    compared_values,
    referenced,
    typed,
)

if TYPE_CHECKING:
    import polars as pl


def checked_redemptions(
    bronze: pl.LazyFrame, *, known: Known, existing: pl.LazyFrame, checks: Checks
) -> pl.LazyFrame:
    """One row per bronze ``redemptions`` row, typed and checked.

    Whether the customer had the points is decided in gold (INSUFFICIENT_POINTS).
    """
    p = checks.parser(REDEMPTIONS.name)
    parsers = {c: p.ident(c) for c in ("redemption_id", "customer_id", "store_id")} | {
        "redemption_date": p.date("redemption_date"),
        "points_redeemed": p.integer("points_redeemed"),
    }
    frame = typed(bronze, REDEMPTIONS, p, parsers)
    frame, customer = referenced(frame, "customer_id", "customers", known=known, checks=checks)
    frame, store = referenced(frame, "store_id", "stores", known=known, checks=checks)
    frame = with_duplicates(
        frame, ["redemption_id"], existing=existing, compare=compared_values(REDEMPTIONS)
    )
    rules = [
        malformed_row(),
        *p.null_required(["redemption_id", "customer_id", "redemption_date", "points_redeemed"]),
        *p.invalid_type({"redemption_date": ISO_DATE, "points_redeemed": INTEGER}),
        *non_positive(["points_redeemed"]),
        future_date("redemption_date", latest=checks.latest_date()),
        too_old("redemption_date", earliest=checks.earliest_date()),
        customer,
        store,
        duplicate(),
    ]
    return checked(frame, rules, checks)


def checked_inventory(
    bronze: pl.LazyFrame, *, known: Known, existing: pl.LazyFrame, checks: Checks
) -> pl.LazyFrame:
    """One row per bronze ``inventory`` row, typed and checked."""
    p = checks.parser(INVENTORY.name)
    parsers = {
        "snapshot_date": p.date("snapshot_date"),
        "store_id": p.ident("store_id"),
        "product_id": p.ident("product_id"),
        "stock_level": p.integer("stock_level"),
    }
    frame = typed(bronze, INVENTORY, p, parsers)
    frame, store = referenced(frame, "store_id", "stores", known=known, checks=checks)
    frame, product = referenced(frame, "product_id", "products", known=known, checks=checks)
    frame = with_duplicates(frame, list(INVENTORY.key), existing=existing, compare=["stock_level"])
    rules = [
        malformed_row(),
        *p.null_required(list(INVENTORY.required)),
        *p.invalid_type({"snapshot_date": ISO_DATE, "stock_level": INTEGER}),
        *non_positive(["stock_level"], allow_zero=True),
        future_date("snapshot_date", latest=checks.latest_date()),
        store,
        product,
        duplicate(),
    ]
    return checked(frame, rules, checks)
