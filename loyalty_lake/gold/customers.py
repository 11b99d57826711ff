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
from loyalty_lake.gold.points.balances import customer_points, next_expiry
from loyalty_lake.gold.rfm import customer_activity, customer_scores
from loyalty_lake.privacy import pseudonym

if TYPE_CHECKING:
    from datetime import date

    from loyalty_lake.config import SegmentConfig, TierThresholds


#: The per-customer figures gold keeps between builds (``customer_state``), by name.
FIGURE_COLUMNS = (
    "customer_id",
    "total_loyalty_points",
    "lifetime_points_earned",
    "loyalty_status",
    "tier_window_from",
    "next_expiry_date",
    "points_expiring",
    "last_purchase_date",
    "frequency",
    "monetary",
    "first_purchase_date",
    "purchase_days",
    "repeat_cents",
)


def customer_figures(
    sales_header: pl.LazyFrame,
    ledger: pl.LazyFrame,
    purchases: pl.LazyFrame,
    *,
    as_of: date,
    tiers: TierThresholds,
) -> pl.LazyFrame:
    """One row per customer with points or a clean transaction: the per-customer stage's figures.

    ``ledger`` is the published points ledger; ``purchases`` the customer's
    purchase days (:func:`~loyalty_lake.gold.clv.purchase_summary`). Points,
    tier, next expiry, activity (last purchase, frequency, monetary) and
    purchase days: every column depends only on the customer's own rows.
    Two dates say when time alone would change them: ``next_expiry_date``
    (points expire) and ``tier_window_from`` (the oldest event counted toward
    the tier leaves its 12-month window).
    """
    loyalty = customer_points(ledger, sales_header, as_of=as_of, tiers=tiers)
    activity = customer_activity(sales_header, as_of=as_of)
    return (
        loyalty.drop("last_purchase_date")
        .join(activity, on="customer_id", how="full", coalesce=True)
        .join(next_expiry(ledger, as_of=as_of), on="customer_id", how="left")
        .join(purchases.drop("last_purchase_date"), on="customer_id", how="left")
        .select(FIGURE_COLUMNS)
    )


def customer_profiles(
    customers: pl.LazyFrame, figures: pl.LazyFrame, *, pii_key: str | None
) -> pl.LazyFrame:
    """One row per customer of silver ``customers``: first name, pseudonyms and their figures.

    ``figures`` are :func:`customer_figures`; emails and phones become keyed
    pseudonyms under ``pii_key`` (masked without one). A member with no
    figures yet has no points and no activity.
    """
    return (
        customers.select(
            "customer_id",
            "first_name",
            pseudonym(pl.col("email"), key=pii_key).alias("email_pseudonym"),
            pseudonym(pl.col("phone"), key=pii_key).alias("phone_pseudonym"),
        )
        .join(
            figures.select(
                "customer_id",
                "last_purchase_date",
                "frequency",
                "monetary",
                "total_loyalty_points",
                "lifetime_points_earned",
                "loyalty_status",
            ),
            on="customer_id",
            how="left",
        )
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
