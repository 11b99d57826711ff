"""The loyalty points engine: rules, earning, bonuses, returns, redemptions, FIFO expiry.

Every function is pure (frames in, frames out). Points are integers; money
is exact: a line's points are ``floor(amount × rate × multiplier)`` computed on
integers (cents × rate·10⁴ × multiplier·10⁴ // 10¹⁰), never on floats.

Grain of the points ledger: one row per points event, per customer:
EARN (per transaction and earning rule), BONUS (per transaction and bonus
rule), REVERSAL (per return transaction and rule), REDEEM (per accepted
redemption) and EXPIRE (per earning lot that expired unused). Within a day,
events are ordered: expiries first, then sales and returns by time, then
redemptions.

Expiry is first-in first-out without a loop: with E_j the customer's
cumulative points earned up to lot j, R(t) the cumulative points consumed
(redeemed or reversed) before t, and x_j the day lot j expires, the points
expired up to lot j are D_j = max(0, max_{k≤j} (E_k − R(x_k))), a cumulative
maximum; lot j expires D_j − D_{j−1} points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from loyalty_lake.errors import UnsettledRedemptions

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from loyalty_lake.config import EarningRule, TierThresholds

EARN, BONUS, REVERSAL, REDEEM, EXPIRE = "EARN", "BONUS", "REVERSAL", "REDEEM", "EXPIRE"
#: Order of events within a day.
_PHASE = {EXPIRE: 0, EARN: 1, BONUS: 1, REVERSAL: 1, REDEEM: 2}
_SCALE = 10**10  # cents (10²) × rate (10⁴) × multiplier (10⁴)
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

RULES_SCHEMA = pl.Schema(
    {
        "rule_id": pl.String(),
        "points_per_unit_spend": pl.Decimal(18, 4),
        "min_spend_threshold": pl.Decimal(18, 2),
        "bonus_points": pl.Int64(),
        "applicable_category": pl.String(),
        "valid_from": pl.Date(),
        "valid_to": pl.Date(),
        "days_of_week": pl.String(),
    }
)
LEDGER_SCHEMA = pl.Schema(
    {
        "customer_id": pl.String(),
        "event_date": pl.Date(),
        "event_type": pl.String(),
        "points": pl.Int64(),
        "transaction_id": pl.String(),
        "redemption_id": pl.String(),
        "rule_id": pl.String(),
        "expires_on": pl.Date(),
        "_phase": pl.Int8(),
        "_time": pl.Datetime("us", "UTC"),
    }
)


def line_points(amount: pl.Expr, rate: pl.Expr, multiplier: pl.Expr) -> pl.Expr:
    """floor(amount × rate × multiplier), exactly, for non-negative decimals."""
    cents = (amount * 100).cast(pl.Int128)
    rate_e4 = (rate * 10_000).cast(pl.Int128)
    multiplier_e4 = (multiplier * 10_000).cast(pl.Int128)
    return (cents * rate_e4 * multiplier_e4 // _SCALE).cast(pl.Int64)


def configured_rules(rules: Iterable[EarningRule]) -> pl.DataFrame:
    """The earning rules of the configuration, as a rules table (always valid)."""
    return pl.DataFrame(
        [
            {
                "rule_id": r.rule_id,
                "points_per_unit_spend": r.points_per_unit_spend,
                "min_spend_threshold": r.min_spend_threshold,
                "bonus_points": r.bonus_points,
                "applicable_category": r.applicable_category,
                "valid_from": None,
                "valid_to": None,
                "days_of_week": None,
            }
            for r in rules
        ],
        schema=RULES_SCHEMA,
    )


def _ranked(rules: pl.DataFrame) -> list[dict[str, Any]]:
    """Rules in priority order: category rules before ALL, then highest rate, then id."""
    return (
        rules.select(RULES_SCHEMA.names())
        .with_columns(
            (pl.col("applicable_category").str.to_uppercase() != "ALL").alias("_specific")
        )
        .sort(["_specific", "points_per_unit_spend", "rule_id"], descending=[True, True, False])
        .rows(named=True)
    )


def _valid(rule: dict[str, Any], *, day: pl.Expr, spend: pl.Expr) -> pl.Expr:
    """Whether ``rule``'s date window, weekdays and spend threshold admit the transaction."""
    valid = spend >= pl.lit(rule["min_spend_threshold"], dtype=pl.Decimal(18, 2))
    if rule["valid_from"] is not None:
        valid &= day >= pl.lit(rule["valid_from"])
    if rule["valid_to"] is not None:
        valid &= day <= pl.lit(rule["valid_to"])
    if rule["days_of_week"]:
        days = [WEEKDAYS.index(d) + 1 for d in str(rule["days_of_week"]).split("|")]
        valid &= day.dt.weekday().is_in(days)
    return valid


def _in_category(rule: dict[str, Any], category: pl.Expr) -> pl.Expr:
    wanted = str(rule["applicable_category"])
    if wanted.upper() == "ALL":
        return pl.lit(True)
    return category.str.to_lowercase() == wanted.lower()


def with_line_points(
    lines: pl.LazyFrame, *, rules: pl.DataFrame, promotions: pl.DataFrame
) -> pl.LazyFrame:
    """Add each line's earning ``rule_id``, ``multiplier`` and ``points``.

    ``lines`` has ``rule_day`` (the date rules are judged on), ``spend`` (the
    transaction total), ``category``, ``line_item_amount`` and ``promotion_id``.
    The rate is the most specific valid rule's (a category rule beats ``ALL``;
    among equals the highest rate); an active promotion for the line's
    category multiplies it. Lines no rule admits earn 0 with no rule id.
    """
    day, spend, category = pl.col("rule_day"), pl.col("spend"), pl.col("category")
    rule_id: pl.Expr = pl.lit(None, dtype=pl.String)
    rate: pl.Expr = pl.lit(0, dtype=pl.Decimal(18, 4))
    for rule in reversed(_ranked(rules)):  # the last `when` wraps the rest: highest priority wins
        admits = _valid(rule, day=day, spend=spend) & _in_category(rule, category)
        rule_id = pl.when(admits).then(pl.lit(rule["rule_id"])).otherwise(rule_id)
        rate = (
            pl.when(admits)
            .then(pl.lit(rule["points_per_unit_spend"], dtype=pl.Decimal(18, 4)))
            .otherwise(rate)
        )
    promos = promotions.unique("promotion_id")

    def promo(column: str) -> pl.Expr:
        return pl.col("promotion_id").replace_strict(
            promos["promotion_id"], promos[column], default=None
        )

    promo_category = promo("applicable_category")
    active = (
        (day >= promo("start_date"))
        & (day <= promo("end_date"))
        & (
            (promo_category.str.to_uppercase() == "ALL")
            | (promo_category.str.to_lowercase() == category.str.to_lowercase())
        )
    ).fill_null(False)
    multiplier = (
        pl.when(active)
        .then(promo("points_multiplier"))
        .otherwise(pl.lit(1, dtype=pl.Decimal(18, 4)))
    )
    return lines.with_columns(
        rule_id.alias("rule_id"),
        multiplier.cast(pl.Decimal(18, 4)).alias("multiplier"),
        line_points(pl.col("line_item_amount"), rate, multiplier).alias("points"),
    )


def _sale_context(sales_header: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    return sales_header.filter(pl.col("transaction_date") <= as_of).select(
        "transaction_id",
        "customer_id",
        "transaction_type",
        "original_transaction_id",
        "transaction_at",
        "transaction_date",
        "total_amount",
    )


def scored_lines(
    sales_header: pl.LazyFrame,
    sales_lines: pl.LazyFrame,
    products: pl.DataFrame,
    *,
    rules: pl.DataFrame,
    promotions: pl.DataFrame,
    as_of: date,
) -> pl.LazyFrame:
    """One row per line of a member's SALE or RETURN up to ``as_of``, with its points.

    A SALE line earns ``points``; a RETURN line reverses ``points`` (judged
    under its original sale's rules), charged to the sale's customer.
    """
    header = _sale_context(sales_header, as_of=as_of)
    original = sales_header.select(
        pl.col("transaction_id").alias("original_transaction_id"),
        pl.col("customer_id").alias("_original_customer"),
        pl.col("transaction_date").alias("_original_date"),
        pl.col("total_amount").alias("_original_total"),
    )
    categories = products.unique("product_id")
    category = pl.col("product_id").replace_strict(
        categories["product_id"], categories["product_category"], default=None
    )
    lines = (
        sales_lines.select(
            "transaction_id", "line_item_id", "product_id", "promotion_id", "line_item_amount"
        )
        .join(header, on="transaction_id")
        .join(original, on="original_transaction_id", how="left")
        .with_columns(
            category.alias("category"),
            # A return takes back the points of whoever earned them: the sale's customer.
            pl.when(pl.col("transaction_type") == "SALE")
            .then(pl.col("customer_id"))
            .otherwise(pl.col("_original_customer"))
            .alias("customer_id"),
        )
        .filter(pl.col("customer_id").is_not_null())
    )
    is_sale = pl.col("transaction_type") == "SALE"
    with_context = lines.with_columns(
        pl.when(is_sale)
        .then(pl.col("transaction_date"))
        .otherwise(pl.col("_original_date"))
        .alias("rule_day"),
        pl.when(is_sale)
        .then(pl.col("total_amount"))
        .otherwise(pl.col("_original_total"))
        .alias("spend"),
    ).filter(pl.col("rule_day").is_not_null())
    return with_line_points(with_context, rules=rules, promotions=promotions)


def events_of(scored: pl.LazyFrame, *, rules: pl.DataFrame) -> pl.LazyFrame:
    """EARN and REVERSAL events per transaction and rule, and BONUS events, of scored lines."""
    is_sale = pl.col("transaction_type") == "SALE"
    earned = (
        scored.group_by(
            "customer_id",
            "transaction_id",
            "transaction_type",
            "transaction_date",
            "transaction_at",
            "rule_id",
        )
        .agg(pl.col("points").sum())
        .filter(pl.col("rule_id").is_not_null())
        .select(
            "customer_id",
            pl.col("transaction_date").alias("event_date"),
            pl.when(is_sale).then(pl.lit(EARN)).otherwise(pl.lit(REVERSAL)).alias("event_type"),
            pl.when(is_sale).then(pl.col("points")).otherwise(-pl.col("points")).alias("points"),
            "transaction_id",
            pl.lit(None, dtype=pl.String).alias("redemption_id"),
            "rule_id",
            pl.col("transaction_at").alias("_time"),
        )
    )
    return pl.concat(
        [earned, _bonus_events(scored.filter(is_sale), rules)], how="diagonal_relaxed"
    ).pipe(_in_ledger_schema)


def _bonus_events(sale_lines: pl.LazyFrame, rules: pl.DataFrame) -> pl.LazyFrame:
    """One BONUS event per sale and valid rule with a bonus (once per transaction).

    A category rule's bonus needs at least one line of its category.
    """
    per_sale = ["customer_id", "transaction_id", "transaction_date", "transaction_at"]
    bonus_rules = [r for r in _ranked(rules) if int(r["bonus_points"] or 0) > 0]
    if not bonus_rules:
        return pl.LazyFrame(schema=LEDGER_SCHEMA)
    sales = sale_lines.group_by(per_sale).agg(
        pl.col("rule_day").first(),
        pl.col("spend").first(),
        *(
            _in_category(rule, pl.col("category")).any().alias(f"_has_{i}")
            for i, rule in enumerate(bonus_rules)
        ),
    )
    return pl.concat(
        [
            sales.filter(
                _valid(rule, day=pl.col("rule_day"), spend=pl.col("spend")) & pl.col(f"_has_{i}")
            ).select(
                "customer_id",
                pl.col("transaction_date").alias("event_date"),
                pl.lit(BONUS).alias("event_type"),
                pl.lit(rule["bonus_points"], dtype=pl.Int64).alias("points"),
                "transaction_id",
                pl.lit(None, dtype=pl.String).alias("redemption_id"),
                pl.lit(rule["rule_id"]).alias("rule_id"),
                pl.col("transaction_at").alias("_time"),
            )
            for i, rule in enumerate(bonus_rules)
        ]
    )


def redemption_events(redemptions: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """REDEEM events (negative points) of the redemptions up to ``as_of``."""
    return (
        redemptions.filter(pl.col("redemption_date") <= as_of)
        .select(
            "customer_id",
            pl.col("redemption_date").alias("event_date"),
            pl.lit(REDEEM).alias("event_type"),
            (-pl.col("points_redeemed")).alias("points"),
            pl.lit(None, dtype=pl.String).alias("transaction_id"),
            "redemption_id",
            pl.lit(None, dtype=pl.String).alias("rule_id"),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("_time"),
        )
        .pipe(_in_ledger_schema)
    )


def ledger_events(
    scored: pl.LazyFrame, redemptions: pl.LazyFrame, *, rules: pl.DataFrame, as_of: date
) -> pl.LazyFrame:
    """Every points event before the redemption verdicts, in ledger order (:func:`sequenced`).

    EARN, BONUS and REVERSAL events of the ``scored`` lines (see
    :func:`scored_lines`: guest sales earn nothing, a RETURN reverses what the
    same amount earned under its original sale's rules, bonuses are not
    reversed) and the REDEEM event of every silver redemption up to ``as_of``.
    """
    return pl.concat(
        [events_of(scored, rules=rules), redemption_events(redemptions, as_of=as_of)]
    ).pipe(sequenced)


def _in_ledger_schema(events: pl.LazyFrame) -> pl.LazyFrame:
    return events.with_columns(
        pl.col("event_type").replace_strict(_PHASE, return_dtype=pl.Int8).alias("_phase"),
        pl.lit(None, dtype=pl.Date).alias("expires_on"),
    ).select(pl.col(name).cast(dtype) for name, dtype in LEDGER_SCHEMA.items())


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


def sequenced(events: pl.LazyFrame) -> pl.LazyFrame:
    """``events`` in ledger order, numbered: ``_customer`` and ``_seq`` (integers).

    Sorting by strings once here lets every later step keep or restore the
    order with integer keys only.
    """
    return events.sort(_ORDER).with_columns(
        pl.col("customer_id").rank("dense").cast(pl.Int64).alias("_customer"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("_seq"),
    )


def points_ledger(
    events: pl.LazyFrame,
    *,
    rejected_redemptions: pl.Series,
    as_of: date,
    expiry_months: int,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """The points ledger, and a verdict for each redemption.

    ``events`` are the earning events and every redemption's REDEEM event, as
    returned by :func:`sequenced`; those in ``rejected_redemptions`` are left
    out. Returns the ledger (with EXPIRE events and each earning lot's
    ``expires_on``) and, per remaining redemption, ``available`` (the balance
    just before it) and ``sufficient``. Rejecting the first insufficient
    redemption of each customer and calling again until none is left gives the
    sequential verdicts (see the pipeline).
    """
    kept = events.filter(
        pl.col("redemption_id").is_in(rejected_redemptions.implode()).not_().fill_null(True)
    )
    ordered = kept.with_columns(
        pl.when(pl.col("points") > 0)
        .then(pl.col("points"))
        .otherwise(0)
        .cum_sum()
        .over("_customer")
        .alias("_earned"),
        pl.when(pl.col("points") < 0)
        .then(-pl.col("points"))
        .otherwise(0)
        .cum_sum()
        .over("_customer")
        .alias("_consumed"),
    ).cache()
    is_lot = pl.col("event_type").is_in([EARN, BONUS])
    lots = ordered.filter(is_lot).with_columns(
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
    verdicts = (
        ordered.filter(pl.col("event_type") == REDEEM)
        .join_asof(
            expired_by,
            left_on="event_date",
            right_on="expires_on",
            by="_customer",
            strategy="backward",
            check_sortedness=False,
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
    columns = [*LEDGER_SCHEMA.names(), "_customer", "_seq"]
    ledger = pl.concat(
        [
            ordered.filter(is_lot.not_()).select(columns),
            lots.select(columns),
            expiries.select(columns),
        ]
    )
    return ledger, verdicts


def _expiry(
    ordered: pl.LazyFrame, lots: pl.LazyFrame, *, as_of: date
) -> tuple[pl.LazyFrame, pl.LazyFrame, pl.LazyFrame]:
    """FIFO expiry by cumulative maximum: lots with ``_expired``, EXPIRE events, and D per lot."""
    consumed_before = (
        ordered.group_by("_customer", "event_date")
        .agg(pl.col("_consumed").max())
        .with_columns(pl.col("event_date").dt.offset_by("1d").alias("_from"))
        .select("_customer", "_from", pl.col("_consumed").alias("_consumed_before"))
        .sort("_customer", "_from")
    )
    lots = (
        lots.join_asof(
            consumed_before,
            left_on="expires_on",
            right_on="_from",
            by="_customer",
            strategy="backward",
            check_sortedness=False,
        )
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
                - pl.col("_expired_to_date").shift(1, fill_value=0).over("_customer")
            ).alias("_expired")
        )
        .cache()
    )
    expiries = lots.filter((pl.col("_expired") > 0) & (pl.col("expires_on") <= as_of)).select(
        "customer_id",
        pl.col("expires_on").alias("event_date"),
        pl.lit(EXPIRE).alias("event_type"),
        (-pl.col("_expired")).alias("points"),
        "transaction_id",
        pl.lit(None, dtype=pl.String).alias("redemption_id"),
        "rule_id",
        pl.lit(None, dtype=pl.Date).alias("expires_on"),
        pl.lit(_PHASE[EXPIRE], dtype=pl.Int8).alias("_phase"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("_time"),
        "_customer",
        "_seq",
    )
    expired_by = lots.filter(pl.col("expires_on") <= as_of).select(
        "_customer", "expires_on", "_expired_to_date"
    )
    return lots, expiries, expired_by


#: Enough rounds for any customer's run of insufficient redemptions.
MAX_REDEMPTION_ROUNDS = 100


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
    redeeming = events.filter(pl.col("event_type") == REDEEM)["_customer"].unique()
    theirs = events.filter(pl.col("_customer").is_in(redeeming.implode())).lazy()
    rejected = pl.Series("redemption_id", [], dtype=pl.String)
    for _ in range(MAX_REDEMPTION_ROUNDS):
        _, verdicts = points_ledger(
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
    ledger, _ = points_ledger(
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


def published_ledger(ledger: pl.LazyFrame) -> pl.LazyFrame:
    """The points ledger as published: with a per-customer sequence and running balance."""
    return (
        ledger.sort(_SEQUENCE)
        .with_columns(
            (pl.int_range(pl.len()).over("_customer") + 1).cast(pl.Int64).alias("sequence"),
            pl.col("points").cum_sum().over("_customer").alias("balance_after"),
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


def customer_points(
    ledger: pl.LazyFrame, sales_header: pl.LazyFrame, *, as_of: date, tiers: TierThresholds
) -> pl.LazyFrame:
    """One row per customer with points or a sale: balance, lifetime points, last purchase, tier.

    ``total_loyalty_points`` is the balance (the sum of the customer's ledger
    rows); ``lifetime_points_earned`` counts EARN and BONUS net of reversals;
    the tier (``loyalty_status``) comes from the same, in the 12 months up to
    ``as_of``.
    """
    window_start = pl.lit(as_of).dt.offset_by("-12mo")
    earned = pl.col("event_type").is_in([EARN, BONUS, REVERSAL])
    points = ledger.group_by("customer_id").agg(
        pl.col("points").sum().alias("total_loyalty_points"),
        pl.col("points").filter(earned).sum().alias("lifetime_points_earned"),
        pl.col("points")
        .filter(earned & (pl.col("event_date") > window_start))
        .sum()
        .alias("_recent"),
    )
    purchases = (
        sales_header.filter(
            (pl.col("transaction_type") == "SALE")
            & (pl.col("transaction_date") <= as_of)
            & pl.col("customer_id").is_not_null()
        )
        .group_by("customer_id")
        .agg(pl.col("transaction_date").max().alias("last_purchase_date"))
    )
    recent = pl.col("_recent").fill_null(0)
    return (
        points.join(purchases, on="customer_id", how="full", coalesce=True)
        .with_columns(pl.col("total_loyalty_points", "lifetime_points_earned").fill_null(0))
        .with_columns(
            pl.when(recent >= tiers.platinum)
            .then(pl.lit("Platinum"))
            .when(recent >= tiers.gold)
            .then(pl.lit("Gold"))
            .when(recent >= tiers.silver)
            .then(pl.lit("Silver"))
            .otherwise(pl.lit("Bronze"))
            .alias("loyalty_status")
        )
        .drop("_recent")
    )


def next_expiry(ledger: pl.LazyFrame, *, as_of: date) -> pl.LazyFrame:
    """One row per customer with unexpired points: the next expiry date and how many points.

    Lots are used oldest first, so what remains of lot j is
    clip(E_j − max(E_{j−1}, U), 0, points_j), U being everything consumed or
    expired so far.
    """
    lots = pl.col("event_type").is_in([EARN, BONUS])
    used = (
        ledger.filter(lots.not_())
        .group_by("customer_id")
        .agg((-pl.col("points").sum()).alias("_used"))
    )
    return (
        ledger.filter(lots)
        .sort("customer_id", "sequence")
        .with_columns(pl.col("points").cum_sum().over("customer_id").alias("_earned"))
        .join(used, on="customer_id", how="left")
        .with_columns(pl.col("_used").fill_null(0))
        .with_columns(
            (
                pl.col("_earned")
                - pl.max_horizontal(pl.col("_earned") - pl.col("points"), pl.col("_used"))
            )
            .clip(0, None)
            .alias("_left")
        )
        .filter((pl.col("_left") > 0) & (pl.col("expires_on") > as_of))
        .group_by("customer_id", "expires_on")
        .agg(pl.col("_left").sum().alias("points_expiring"))
        .sort("customer_id", "expires_on")
        .group_by("customer_id", maintain_order=True)
        .first()
        .rename({"expires_on": "next_expiry_date"})
    )
