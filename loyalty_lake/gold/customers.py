"""``customer_details``: one row per customer with its points, RFM scores and segment.

The per-customer columns (points, tier, last purchase, frequency, monetary)
come from stages that read only that customer's rows (their sales, and the
returns of those sales, which are charged to the original buyer); the scores
and segments are then a global step over the one-row-per-customer table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.gold.models import CustomerDetails
from loyalty_lake.gold.points import customer_points
from loyalty_lake.gold.rfm import customer_activity, segmented
from loyalty_lake.privacy import pseudonym

if TYPE_CHECKING:
    from datetime import date

    from loyalty_lake.config import Config


def customer_details(
    customers: pl.LazyFrame,
    sales_header: pl.LazyFrame,
    ledger: pl.LazyFrame,
    *,
    config: Config,
    as_of: date,
    pii_key: str | None,
) -> pl.LazyFrame:
    """One row per customer of silver ``customers``: first name, loyalty columns, RFM, segment.

    ``ledger`` is the published points ledger; emails and phones become keyed
    pseudonyms under ``pii_key`` (masked without one).
    """
    loyalty = customer_points(ledger, sales_header, as_of=as_of, tiers=config.loyalty.tiers)
    activity = customer_activity(sales_header, as_of=as_of)
    details = (
        customers.select(
            "customer_id",
            "first_name",
            pseudonym(pl.col("email"), key=pii_key).alias("email_pseudonym"),
            pseudonym(pl.col("phone"), key=pii_key).alias("phone_pseudonym"),
        )
        .join(activity, on="customer_id", how="left")
        .join(loyalty.drop("last_purchase_date"), on="customer_id", how="left")
        .with_columns(
            pl.col("frequency", "total_loyalty_points", "lifetime_points_earned").fill_null(0),
            pl.col("monetary").fill_null(0).cast(pl.Decimal(18, 2)),
            pl.col("loyalty_status").fill_null("Bronze"),
        )
    )
    return (
        segmented(details, as_of=as_of, settings=config.segments)
        .select(list(CustomerDetails.to_schema().columns))
        .sort("customer_id")
    )
