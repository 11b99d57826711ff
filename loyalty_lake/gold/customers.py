"""``customer_details``: one row per customer with its points, RFM scores and segment.

Built in the two stages of :mod:`loyalty_lake.gold.tables`: the per-customer
columns (:func:`customer_profiles`: points, tier, last purchase, frequency,
monetary) read only that customer's rows (their sales, and the returns of
those sales, which are charged to the original buyer); :func:`customer_details`
then scores and segments them globally, over the one-row-per-customer table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import MONEY
from loyalty_lake.gold.models import CustomerDetails
from loyalty_lake.gold.points.balances import customer_points
from loyalty_lake.gold.rfm import customer_activity, customer_scores
from loyalty_lake.privacy import pseudonym

if TYPE_CHECKING:
    from datetime import date

    from loyalty_lake.config import SegmentConfig, TierThresholds


def customer_profiles(
    customers: pl.LazyFrame,
    sales_header: pl.LazyFrame,
    ledger: pl.LazyFrame,
    *,
    as_of: date,
    tiers: TierThresholds,
    pii_key: str | None,
) -> pl.LazyFrame:
    """One row per customer of silver ``customers``: first name, points, tier and activity.

    ``ledger`` is the published points ledger; emails and phones become keyed
    pseudonyms under ``pii_key`` (masked without one). Every column depends
    only on the customer's own rows.
    """
    loyalty = customer_points(ledger, sales_header, as_of=as_of, tiers=tiers)
    activity = customer_activity(sales_header, as_of=as_of)
    return (
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
            pl.col("monetary").fill_null(0).cast(MONEY),
            pl.col("loyalty_status").fill_null("Bronze"),
        )
    )


def customer_details(
    profiles: pl.LazyFrame,
    *,
    as_of: date,
    settings: SegmentConfig,
    value: pl.LazyFrame | None = None,
) -> pl.LazyFrame:
    """One row per customer: loyalty columns, RFM scores and segments (see ``CustomerDetails``).

    The global stage over :func:`customer_profiles`: quintiles and the top
    share rank every customer against all the others (:func:`customer_scores`).
    ``value`` (``customer_value``) gives ``p_alive`` and ``clv``; null without it.
    """
    values = (
        value.select("customer_id", "p_alive", "clv")
        if value is not None
        else pl.LazyFrame(schema={"customer_id": pl.String, "p_alive": pl.Float64, "clv": MONEY})
    )
    return (
        customer_scores(profiles, as_of=as_of, settings=settings)
        .join(values, on="customer_id", how="left")
        .select(list(CustomerDetails.to_schema().columns))
        .sort("customer_id")
    )
