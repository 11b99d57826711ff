"""The notification outbox: the messages members should get, derived from gold by declared rules.

Each rule turns gold rows into events (:func:`notification_events`): a tier
that changed from the one the CRM holds, points about to expire, an At Risk
member with points to win back, a redemption confirmed or refused, a lifetime
points milestone crossed. An event has a stable id, a hash of its kind and of
what makes it that event (the customer and the tiers, the expiry date, the
redemption...), so rebuilding never makes a second message for it.

The outbox itself (:func:`outbox`) is the previous outbox with the new events
added as PENDING; a pending message whose event no longer holds (the tier went
back before it was sent) is CANCELLED. Delivered messages keep their status:
only ``loyalty-lake notify`` changes them.

Contacts are pseudonyms here; the real address is read from silver only at the
moment of sending.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import polars as pl
import polars_hash  # noqa: F401 - registers the .chash expression namespace

from loyalty_lake.codes import EventType, NotificationKind, NotificationStatus, RedemptionStatus
from loyalty_lake.gold.models import Notifications
from loyalty_lake.silver.models import schema

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime

    from loyalty_lake.config import NotificationConfig


#: The outbox's columns, in order: those of its contract.
OUTBOX_SCHEMA = schema(Notifications)


def notification_events(
    details: pl.LazyFrame,
    ledger: pl.LazyFrame,
    verdicts: pl.LazyFrame,
    customers: pl.LazyFrame,
    *,
    expiring: pl.LazyFrame,
    as_of: date,
    rules: NotificationConfig,
    tier_names: Sequence[str],
) -> pl.LazyFrame:
    """One row per message due as of ``as_of``, to members with an email or a phone.

    ``details`` is ``customer_details``, ``ledger`` the points ledger,
    ``verdicts`` the redemption verdicts, ``customers`` silver customers (the
    CRM's tier), ``expiring`` each customer's next expiry (``next_expiry_date``
    and ``points_expiring``, as :func:`~loyalty_lake.gold.points.balances.next_expiry`
    gives them). ``tier_names`` lists the tiers from lowest to highest.
    """
    recent = as_of - timedelta(days=rules.lookback_days)
    events = pl.concat(
        [
            _tier_changes(details, customers, as_of=as_of, tier_names=tier_names),
            _expiring(expiring, as_of=as_of, within=rules.expiring_within_days),
            _win_back(details, as_of=as_of),
            _redemptions(verdicts, since=recent, as_of=as_of),
            _milestones(ledger, since=recent, as_of=as_of, milestones=rules.milestones),
        ]
    )
    contact = details.select(
        "customer_id",
        pl.when(pl.col("email_pseudonym").is_not_null())
        .then(pl.lit("email"))
        .when(pl.col("phone_pseudonym").is_not_null())
        .then(pl.lit("sms"))
        .alias("channel"),
        pl.coalesce("email_pseudonym", "phone_pseudonym").alias("contact_pseudonym"),
    )
    return (
        events.join(contact, on="customer_id", how="inner")
        .filter(pl.col("channel").is_not_null())
        .select(
            pl.concat_str("kind", "customer_id", "key", separator="|")
            .chash.sha2_256()  # type: ignore[attr-defined]
            .str.head(32)
            .alias("notification_id"),
            "customer_id",
            "kind",
            "event_date",
            "channel",
            "contact_pseudonym",
            pl.col("kind").str.to_lowercase().alias("template"),
            "parameters",
        )
        .unique("notification_id", keep="first")
        .sort("notification_id")
    )


def outbox(previous: pl.LazyFrame, events: pl.LazyFrame, *, now: datetime) -> pl.LazyFrame:
    """The outbox after a build: ``previous`` with ``events`` merged in by notification id.

    SENT and FAILED messages never change here. Every event not yet sent is
    PENDING, with its latest parameters (a new one created ``now``); a PENDING
    message whose event no longer holds is CANCELLED (and PENDING again if it
    comes back).
    """
    done = pl.col("status").is_in([NotificationStatus.SENT, NotificationStatus.FAILED])
    closed = previous.filter(done)
    open_ = previous.filter(done.not_())
    carried = ("created_at", "attempts", "last_error", "sent_at")
    due = (
        events.join(closed, on="notification_id", how="anti")
        .join(open_.select("notification_id", *carried), on="notification_id", how="left")
        .with_columns(
            pl.lit(NotificationStatus.PENDING.value).alias("status"),
            pl.col("created_at").fill_null(pl.lit(now, dtype=OUTBOX_SCHEMA["created_at"])),
            pl.col("attempts").fill_null(0),
        )
    )
    cancelled = open_.join(events, on="notification_id", how="anti").with_columns(
        pl.lit(NotificationStatus.CANCELLED.value).alias("status")
    )
    columns = OUTBOX_SCHEMA.names()
    return (
        pl.concat([closed.select(columns), due.select(columns), cancelled.select(columns)])
        .cast(OUTBOX_SCHEMA)
        .sort("notification_id")
    )


# --- the rules -------------------------------------------------------------------------------


def _event(
    kind: NotificationKind, event_date: pl.Expr, key: pl.Expr, **params: pl.Expr
) -> list[pl.Expr]:
    """The columns of an event: its customer, kind, date, identifying key and parameters."""
    return [
        pl.col("customer_id"),
        pl.lit(kind.value).alias("kind"),
        event_date.cast(pl.Date).alias("event_date"),
        key.cast(pl.String).alias("key"),
        pl.struct(*(expr.alias(name) for name, expr in params.items()))
        .struct.json_encode()
        .alias("parameters"),
    ]


def _tier_changes(
    details: pl.LazyFrame, customers: pl.LazyFrame, *, as_of: date, tier_names: Sequence[str]
) -> pl.LazyFrame:
    """A member whose tier as of ``as_of`` differs from the one the CRM holds."""
    rank = {name.lower(): i for i, name in enumerate(tier_names)}
    crm = customers.select(
        "customer_id", pl.col("loyalty_status").str.strip_chars().alias("crm_tier")
    )
    changed = (
        details.select("customer_id", "loyalty_status")
        .join(crm, on="customer_id", how="inner")
        .with_columns(
            pl.col("loyalty_status")
            .str.to_lowercase()
            .replace_strict(rank, default=None)
            .alias("_to"),
            pl.col("crm_tier").str.to_lowercase().replace_strict(rank, default=None).alias("_from"),
        )
        .filter(pl.col("_to").is_not_null() & pl.col("_from").is_not_null())
        .filter(pl.col("_to") != pl.col("_from"))
    )
    key = pl.concat_str("crm_tier", "loyalty_status", separator=">")
    return pl.concat(
        [
            changed.filter(pl.col("_to") > pl.col("_from")).select(
                _event(
                    NotificationKind.TIER_UPGRADE,
                    pl.lit(as_of),
                    key,
                    from_tier=pl.col("crm_tier"),
                    to_tier=pl.col("loyalty_status"),
                )
            ),
            changed.filter(pl.col("_to") < pl.col("_from")).select(
                _event(
                    NotificationKind.TIER_DOWNGRADE,
                    pl.lit(as_of),
                    key,
                    from_tier=pl.col("crm_tier"),
                    to_tier=pl.col("loyalty_status"),
                )
            ),
        ]
    )


def _tier_rank(tier: pl.Expr, rank: dict[str, int]) -> pl.Expr:
    """The tier's place from the lowest (0); null for a name that is not a tier."""
    return tier.str.to_lowercase().replace_strict(rank, default=None, return_dtype=pl.Int64)


def _expiring(expiring: pl.LazyFrame, *, as_of: date, within: int) -> pl.LazyFrame:
    """A member whose next points expire within ``within`` days."""
    return (
        expiring.filter(pl.col("next_expiry_date") > as_of)
        .filter(pl.col("next_expiry_date") <= as_of + timedelta(days=within))
        .select(
            _event(
                NotificationKind.POINTS_EXPIRING,
                pl.lit(as_of),
                pl.col("next_expiry_date").dt.to_string(),
                points=pl.col("points_expiring"),
                expiry_date=pl.col("next_expiry_date").dt.to_string(),
            )
        )
    )


def _win_back(details: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """An At Risk member with points: one message per lapse (per last purchase)."""
    return details.filter(pl.col("is_at_risk") & (pl.col("total_loyalty_points") > 0)).select(
        _event(
            NotificationKind.WIN_BACK,
            pl.lit(as_of),
            pl.col("last_purchase_date").dt.to_string().fill_null("never"),
            points=pl.col("total_loyalty_points"),
            days_since_purchase=pl.col("recency_days"),
        )
    )


def _redemptions(verdicts: pl.LazyFrame, *, since: date, as_of: date) -> pl.LazyFrame:
    """A redemption of the last days, confirmed or refused."""
    recent = verdicts.filter(pl.col("redemption_date").is_between(since, as_of, closed="right"))
    params = {
        "redemption_id": pl.col("redemption_id"),
        "points": pl.col("points_redeemed"),
        "redemption_date": pl.col("redemption_date").dt.to_string(),
    }
    refused = pl.col("status") == RedemptionStatus.REFUSED
    return pl.concat(
        [
            recent.filter(refused.not_()).select(
                _event(
                    NotificationKind.REDEMPTION_CONFIRMED,
                    pl.col("redemption_date"),
                    pl.col("redemption_id"),
                    **params,
                )
            ),
            recent.filter(refused).select(
                _event(
                    NotificationKind.REDEMPTION_REFUSED,
                    pl.col("redemption_date"),
                    pl.col("redemption_id"),
                    **params,
                    reason=pl.col("reason"),
                )
            ),
        ]
    )


def _milestones(
    ledger: pl.LazyFrame, *, since: date, as_of: date, milestones: Sequence[int]
) -> pl.LazyFrame:
    """Lifetime points earned (EARN and BONUS) crossing a milestone in the last days."""
    earned = (
        ledger.filter(pl.col("event_type").is_in([EventType.EARN, EventType.BONUS]))
        .filter(pl.col("event_date") <= as_of)
        .sort("customer_id", "sequence")
        .with_columns(pl.col("points").cum_sum().over("customer_id").alias("_after"))
        .with_columns((pl.col("_after") - pl.col("points")).alias("_before"))
        .filter(pl.col("event_date") > since)
    )
    crossed = earned.join(
        pl.LazyFrame({"milestone": list(milestones)}, schema={"milestone": pl.Int64}),
        how="cross",
    ).filter((pl.col("_before") < pl.col("milestone")) & (pl.col("milestone") <= pl.col("_after")))
    return crossed.select(
        _event(
            NotificationKind.POINTS_MILESTONE,
            pl.col("event_date"),
            pl.col("milestone"),
            milestone=pl.col("milestone"),
        )
    )
