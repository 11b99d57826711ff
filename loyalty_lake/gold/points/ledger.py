"""The ledger: events in order, FIFO expiry, the redemption verdicts, and the published ledger.

Grain of the points ledger: one row per points event, per customer: EARN
(per transaction and earning rule), BONUS (per transaction and bonus rule),
REVERSAL (per return transaction and rule), REDEEM (per accepted redemption)
and EXPIRE (per earning lot that expired unused). Within a day, events are
ordered: expiries first, then sales and returns by time, then redemptions.

Expiry is first-in first-out without a loop: with E_j the customer's
cumulative points earned up to lot j, R(t) the cumulative points consumed
(redeemed or reversed) before t, and x_j the day lot j expires, the points
expired up to lot j are D_j = max(0, max_{k≤j} (E_k − R(x_k))), a cumulative
maximum; lot j expires D_j − D_{j−1} points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import EventType
from loyalty_lake.errors import UnsettledRedemptions
from loyalty_lake.gold.points.earning import (
    LEDGER_SCHEMA,
    PHASE,
    events_of,
    redemption_events,
)

if TYPE_CHECKING:
    from datetime import date

_ORDER = [
    "customer_id",
    "event_date",
    "_phase",
    "_time",
    "transaction_id",
    "redemption_id",
    "rule_id",
    "event_type",
]
#: The ledger order as integers: customer, day, phase within the day, event.
_SEQUENCE = ["_customer", "event_date", "_phase", "_seq"]
_IS_LOT = pl.col("event_type").is_in([EventType.EARN, EventType.BONUS])
_CUSTOMER = pl.col("_customer")
#: The first of a customer's rows, in rows sorted by customer.
_FIRST_OF_CUSTOMER = _CUSTOMER.ne_missing(_CUSTOMER.shift(1))
#: Enough rounds for any customer's run of insufficient redemptions.
MAX_REDEMPTION_ROUNDS = 100


def ledger_events(
    scored: pl.LazyFrame, redemptions: pl.LazyFrame, *, rules: pl.DataFrame, as_of: date
) -> pl.LazyFrame:
    """Every points event before the redemption verdicts, in ledger order (:func:`sequenced`).

    EARN, BONUS and REVERSAL events of the ``scored`` lines (see
    :func:`~loyalty_lake.gold.points.earning.scored_lines`: guest sales earn
    nothing, a RETURN reverses what the same amount earned under its original
    sale's rules, bonuses are not reversed) and the REDEEM event of every
    silver redemption up to ``as_of``.
    """
    return pl.concat(
        [events_of(scored, rules=rules), redemption_events(redemptions, as_of=as_of)]
    ).pipe(sequenced)


def sequenced(events: pl.LazyFrame) -> pl.LazyFrame:
    """``events`` in ledger order, numbered: ``_customer`` and ``_seq`` (integers).

    Sorting by strings once here lets every later step keep or restore the
    order with integer keys only.
    """
    customer = pl.col("customer_id")
    # Sorted by customer first: a customer's number is a count of changes (no second sort).
    starts = customer.ne_missing(customer.shift(1)) & customer.is_not_null()
    return events.sort(_ORDER).with_columns(
        pl.when(customer.is_not_null()).then(starts.cum_sum()).cast(pl.Int64).alias("_customer"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_seq"),
    )


def judged_ledger(
    events: pl.LazyFrame,
    *,
    rejected_redemptions: pl.Series,
    as_of: date,
    expiry_months: int,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The ledger (unpublished), and a verdict for each redemption.

    ``events`` are the earning events and every redemption's REDEEM event, as
    returned by :func:`sequenced`; those in ``rejected_redemptions`` are left
    out. Returns the ledger (with EXPIRE events and each earning lot's
    ``expires_on``) and, per remaining redemption, ``available`` (the balance
    just before it) and ``sufficient``. Rejecting the first insufficient
    redemption of each customer and calling again until none is left gives the
    sequential verdicts (:func:`settled_ledger`).
    """
    kept = events.filter(
        pl.col("redemption_id").is_in(rejected_redemptions.implode()).not_().fill_null(True)
    )
    ordered = kept.with_columns(
        running_sum(pl.when(pl.col("points") > 0).then(pl.col("points")).otherwise(0)).alias(
            "_earned"
        ),
        running_sum(pl.when(pl.col("points") < 0).then(-pl.col("points")).otherwise(0)).alias(
            "_consumed"
        ),
    ).cache()
    lots = ordered.filter(_IS_LOT).with_columns(
        (
            pl.col("event_date").dt.offset_by(f"{expiry_months}mo")
            if expiry_months
            else pl.lit(None, dtype=pl.Date)
        ).alias("expires_on")
    )
    if expiry_months:
        lots, expiries, expired_by = _expiry(ordered, lots, as_of=as_of)
    else:
        expiries = pl.LazyFrame(schema=LEDGER_SCHEMA | {"_customer": pl.Int64, "_seq": pl.Int64})
        expired_by = pl.LazyFrame(
            schema={"_customer": pl.Int64, "expires_on": pl.Date, "_expired_to_date": pl.Int64}
        )
    columns = [*LEDGER_SCHEMA.names(), "_customer", "_seq"]
    ledger = pl.concat(
        [
            ordered.filter(_IS_LOT.not_()).select(columns),
            lots.select(columns),
            expiries.select(columns),
        ]
    )
    return ledger, _verdicts(ordered, expired_by)


def _verdicts(ordered: pl.LazyFrame, expired_by: pl.LazyFrame) -> pl.LazyFrame:
    """Per redemption: the balance ``available`` just before it, and whether it is ``sufficient``.

    ``expired_by`` is each lot's cumulative expiry D (see the module docstring).
    """
    return (
        _as_of_day(
            ordered.filter(pl.col("event_type") == EventType.REDEEM),
            expired_by,
            left_on="event_date",
            right_on="expires_on",
        )
        .with_columns(
            (
                pl.col("_earned")
                - (pl.col("_consumed") + pl.col("points"))
                - pl.col("_expired_to_date").fill_null(0)
            ).alias("available")
        )
        .select(
            "customer_id",
            "redemption_id",
            "event_date",
            "_seq",
            "available",
            (-pl.col("points")).alias("points_redeemed"),
            (pl.col("available") >= -pl.col("points")).alias("sufficient"),
        )
    )


def _expiry(
    ordered: pl.LazyFrame, lots: pl.LazyFrame, *, as_of: date
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """FIFO expiry by cumulative maximum: lots with ``_expired``, EXPIRE events, and D per lot."""
    # What a customer consumed up to the end of each day: the day's last running total.
    last_of_day = _CUSTOMER.ne_missing(_CUSTOMER.shift(-1)) | pl.col("event_date").ne_missing(
        pl.col("event_date").shift(-1)
    )
    consumed_before = ordered.filter(last_of_day).select(
        "_customer",
        pl.col("event_date").dt.offset_by("1d").alias("_from"),
        pl.col("_consumed").alias("_consumed_before"),
    )
    lots = (
        _as_of_day(lots, consumed_before, left_on="expires_on", right_on="_from")
        .with_columns(pl.col("_consumed_before").fill_null(0))
        .with_columns(
            pl.when(pl.col("expires_on") <= as_of)
            .then(pl.col("_earned") - pl.col("_consumed_before"))
            .otherwise(0)
            .cum_max()
            .over("_customer")
            .clip(lower_bound=0)
            .alias("_expired_to_date")
        )
        .with_columns(
            (
                pl.col("_expired_to_date")
                - pl.when(_FIRST_OF_CUSTOMER.not_()).then(pl.col("_expired_to_date").shift(1))
            )
            .fill_null(pl.col("_expired_to_date"))
            .alias("_expired")
        )
        .cache()
    )
    expiries = lots.filter((pl.col("_expired") > 0) & (pl.col("expires_on") <= as_of)).select(
        "customer_id",
        pl.col("expires_on").alias("event_date"),
        pl.lit(EventType.EXPIRE).alias("event_type"),
        (-pl.col("_expired")).alias("points"),
        "transaction_id",
        pl.lit(None, dtype=pl.String).alias("redemption_id"),
        "rule_id",
        pl.lit(None, dtype=pl.Date).alias("expires_on"),
        pl.lit(PHASE[EventType.EXPIRE], dtype=pl.Int8).alias("_phase"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("_time"),
        "_customer",
        "_seq",
    )
    expired_by = lots.filter(pl.col("expires_on") <= as_of).select(
        "_customer", "expires_on", "_expired_to_date"
    )
    return lots, expiries, expired_by


def running_sum(value: pl.Expr) -> pl.Expr:
    """``value`` summed over the customer's rows up to each row, in rows sorted by customer.

    The running sum of every row less its value where the customer's rows
    begin: no grouping, where ``cum_sum().over("_customer")`` hashes every row.
    (Integer sums wrap alike on both sides, so the difference is exact.)
    """
    total = value.cum_sum()
    return total - pl.when(_FIRST_OF_CUSTOMER).then(total - value).forward_fill()


#: A customer and a day as one sortable integer: days span ±2²² (years ±11,000).
_DAY_BITS = 23


def _as_of_day(
    left: pl.LazyFrame, right: pl.LazyFrame, *, left_on: str, right_on: str
) -> pl.LazyFrame:
    """``left`` with the other columns of the customer's last ``right`` row dated on or before.

    An as-of join by customer and day (``left_on`` and ``right_on``) on one
    integer key, both sides sorted by customer, then day: a join ``by`` the
    customer hashes every row. ``right``'s other columns are null where the
    customer has no such row.
    """

    def key(day: str) -> pl.Expr:
        offset = 1 << (_DAY_BITS - 1)
        return _CUSTOMER * (1 << _DAY_BITS) + (pl.col(day).cast(pl.Int64) + offset)

    matched = "_as_of_customer"
    columns = [c for c in right.collect_schema().names() if c not in {"_customer", right_on}]
    found = right.select(key(right_on).alias("_key"), _CUSTOMER.alias(matched), *columns)
    return (
        left.with_columns(key(left_on).alias("_key"))
        .join_asof(found, on="_key", strategy="backward", check_sortedness=False)
        .with_columns(  # the row before the customer's first is another customer's
            pl.when(pl.col(matched) == _CUSTOMER).then(pl.col(c)).alias(c) for c in columns
        )
        .drop("_key", matched)
    )


def settled_ledger(
    events: pl.DataFrame, *, as_of: date, expiry_months: int
) -> tuple[pl.LazyFrame, pl.Series]:
    """The ledger of sequenced ``events`` with every redemption judged; the rejected ids.

    Verdicts are settled in rounds, each rejecting every customer's first
    insufficient redemption (a later redemption's verdict depends on the earlier
    ones), over the events of customers who redeem: the only ones a verdict can
    change. The ledger is then computed once for everyone. (The one loop of
    the engine: each round is a vectorised pass over all those customers.)
    """
    redeeming = events.filter(pl.col("event_type") == EventType.REDEEM)["_customer"].unique()
    theirs = events.filter(pl.col("_customer").is_in(redeeming.implode())).lazy()
    rejected = pl.Series("redemption_id", [], dtype=pl.String)
    for _ in range(MAX_REDEMPTION_ROUNDS):
        _, verdicts = judged_ledger(
            theirs, rejected_redemptions=rejected, as_of=as_of, expiry_months=expiry_months
        )
        newly = first_insufficient(verdicts).collect()["redemption_id"]
        if newly.is_empty():
            break
        rejected = pl.concat([rejected, newly])
    else:
        raise UnsettledRedemptions(
            f"Redemption checks did not settle after {MAX_REDEMPTION_ROUNDS} rounds.",
            hint="A customer has more insufficient redemptions than expected; please report it.",
        )
    ledger, _ = judged_ledger(
        events.lazy(), rejected_redemptions=rejected, as_of=as_of, expiry_months=expiry_months
    )
    return ledger, rejected


def first_insufficient(verdicts: pl.LazyFrame) -> pl.LazyFrame:
    """Each customer's earliest redemption that exceeds the balance available then."""
    return (
        verdicts.filter(pl.col("sufficient").not_())
        .group_by("customer_id")
        .agg(pl.col("redemption_id").sort_by("_seq").first())
        .select("redemption_id")
    )


def points_ledger(ledger: pl.LazyFrame) -> pl.LazyFrame:
    """One row per points event of a customer, in order, with its ``sequence`` and running balance.

    The published points ledger of a :func:`settled_ledger`.
    """
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    return (
        ledger.sort(_SEQUENCE)
        .with_columns(
            (row - pl.when(_FIRST_OF_CUSTOMER).then(row).forward_fill() + 1).alias("sequence"),
            running_sum(pl.col("points")).alias("balance_after"),
        )
        .select(
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
        )
    )
