"""Earning: the rules, each line's points, and the points events of sales, returns and redemptions.

A line's points are ``floor(amount × rate × multiplier)`` computed on integers
(cents × rate·10⁴ × multiplier·10⁴ // 10¹⁰), never on floats. The events
come out in the ledger's columns (:data:`LEDGER_SCHEMA`), not yet in order:
:mod:`loyalty_lake.gold.points.ledger` sequences and settles them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from loyalty_lake.codes import MONEY, RATE, EventType, TransactionType

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import date

    from loyalty_lake.config import EarningRule

#: Order of events within a day: expiries first, then sales and returns, then redemptions.
PHASE = {
    EventType.EXPIRE: 0,
    EventType.EARN: 1,
    EventType.BONUS: 1,
    EventType.REVERSAL: 1,
    EventType.REDEEM: 2,
}
_SCALE = 10**10  # cents (10²) × rate (10⁴) × multiplier (10⁴)
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_IS_SALE = pl.col("transaction_type") == TransactionType.SALE

RULES_SCHEMA = pl.Schema(
    {
        "rule_id": pl.String(),
        "points_per_unit_spend": RATE,
        "min_spend_threshold": MONEY,
        "bonus_points": pl.Int64(),
        "applicable_category": pl.String(),
        "valid_from": pl.Date(),
        "valid_to": pl.Date(),
        "days_of_week": pl.String(),
    }
)
#: A points event: the published ledger's columns before sequencing, with the
#: phase within the day and the transaction time that order it.
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


def earning_rules(loyalty_rules: pl.DataFrame, *, default: Iterable[EarningRule]) -> pl.DataFrame:
    """The landed silver ``loyalty_rules``, or the configured ``default`` rules if none landed."""
    return loyalty_rules if loyalty_rules.height else configured_rules(default)


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
    valid = spend >= pl.lit(rule["min_spend_threshold"], dtype=MONEY)
    if rule["valid_from"] is not None:
        valid &= day >= pl.lit(rule["valid_from"])
    if rule["valid_to"] is not None:
        valid &= day <= pl.lit(rule["valid_to"])
    if rule["days_of_week"]:
        days = [WEEKDAYS.index(d) + 1 for d in str(rule["days_of_week"]).split("|")]
        valid &= day.dt.weekday().is_in(days)
    return valid


def _in_category(rule: dict[str, Any], category: pl.Expr) -> pl.Expr:
    """Whether ``rule`` applies to a line's ``category`` (lower case: names match in any case)."""
    wanted = str(rule["applicable_category"])
    if wanted.upper() == "ALL":
        return pl.lit(True)
    return category == wanted.lower()


def with_line_points(
    lines: pl.LazyFrame, *, rules: pl.DataFrame, promotions: pl.DataFrame
) -> pl.LazyFrame:
    """Add each line's earning ``rule_id``, ``multiplier`` and ``points``.

    ``lines`` has ``rule_day`` (the date rules are judged on), ``spend`` (the
    transaction total), ``category`` (in lower case: rules and promotions name
    categories in any case), ``line_item_amount`` and ``promotion_id``.
    The rate is the most specific valid rule's (a category rule beats ``ALL``;
    among equals the highest rate); an active promotion for the line's
    category multiplies it. Lines no rule admits earn 0 with no rule id.
    """
    day, spend, category = pl.col("rule_day"), pl.col("spend"), pl.col("category")
    rule_id: pl.Expr = pl.lit(None, dtype=pl.String)
    rate: pl.Expr = pl.lit(0, dtype=RATE)
    for rule in reversed(_ranked(rules)):  # the last `when` wraps the rest: highest priority wins
        admits = _valid(rule, day=day, spend=spend) & _in_category(rule, category)
        rule_id = pl.when(admits).then(pl.lit(rule["rule_id"])).otherwise(rule_id)
        rate = (
            pl.when(admits).then(pl.lit(rule["points_per_unit_spend"], dtype=RATE)).otherwise(rate)
        )
    multiplier = pl.col("_multiplier")
    return (
        _with_promotion_multiplier(lines, promotions)
        .with_columns(
            rule_id.alias("rule_id"),
            multiplier.cast(RATE).alias("multiplier"),
            line_points(pl.col("line_item_amount"), rate, multiplier).alias("points"),
        )
        .drop("_multiplier")
    )


def _with_promotion_multiplier(lines: pl.LazyFrame, promotions: pl.DataFrame) -> pl.LazyFrame:
    """``lines`` with ``_multiplier``: their promotion's when active for their category, else 1.

    Promotions are few: they are joined to the lines (a lookup per attribute
    would hash every line's promotion id once per attribute).
    """
    day, category = pl.col("rule_day"), pl.col("category")
    promos = promotions.unique("promotion_id").select(
        "promotion_id",
        pl.col("start_date").alias("_start"),
        pl.col("end_date").alias("_end"),
        pl.col("points_multiplier").alias("_promotion_multiplier"),
        pl.col("applicable_category").str.to_lowercase().alias("_promotion_category"),
    )
    promo_category = pl.col("_promotion_category")
    active = (
        (day >= pl.col("_start"))
        & (day <= pl.col("_end"))
        & ((promo_category == "all") | (promo_category == category))
    ).fill_null(False)
    return (
        lines.join(promos.lazy(), on="promotion_id", how="left", maintain_order="left")
        .with_columns(
            pl.when(active)
            .then(pl.col("_promotion_multiplier"))
            .otherwise(pl.lit(1, dtype=RATE))
            .alias("_multiplier")
        )
        .drop("_start", "_end", "_promotion_multiplier", "_promotion_category")
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
    under its original sale's rules), charged to the sale's customer. The
    line's product ``category`` is in lower case.
    """
    original = sales_header.select(
        pl.col("transaction_id").alias("original_transaction_id"),
        pl.col("customer_id").alias("_original_customer"),
        pl.col("transaction_date").alias("_original_date"),
        pl.col("total_amount").alias("_original_total"),
    )
    categories = products.unique("product_id")
    category = pl.col("product_id").replace_strict(  # lower case: see with_line_points
        categories["product_id"], categories["product_category"].str.to_lowercase(), default=None
    )
    lines = (
        sales_lines.select(
            "transaction_id", "line_item_id", "product_id", "promotion_id", "line_item_amount"
        )
        .join(_sale_context(sales_header, as_of=as_of), on="transaction_id")
        .join(original, on="original_transaction_id", how="left")
        .with_columns(
            category.alias("category"),
            # A return takes back the points of whoever earned them: the sale's customer.
            pl.when(_IS_SALE)
            .then(pl.col("customer_id"))
            .otherwise(pl.col("_original_customer"))
            .alias("customer_id"),
        )
        .filter(pl.col("customer_id").is_not_null())
    )
    with_context = lines.with_columns(
        pl.when(_IS_SALE)
        .then(pl.col("transaction_date"))
        .otherwise(pl.col("_original_date"))
        .alias("rule_day"),
        pl.when(_IS_SALE)
        .then(pl.col("total_amount"))
        .otherwise(pl.col("_original_total"))
        .alias("spend"),
    ).filter(pl.col("rule_day").is_not_null())
    return with_line_points(with_context, rules=rules, promotions=promotions)


def promoted_lines(scored: pl.LazyFrame) -> pl.LazyFrame:
    """The points of the ``scored`` lines with a promotion id: what promotion_performance credits.

    One row per customer, promotion, transaction type and day: the sum of the
    lines' ``points`` (gold keeps it per customer, with the customer's other figures).
    """
    return (
        scored.filter(pl.col("promotion_id").is_not_null())
        .group_by("customer_id", "promotion_id", "transaction_type", "transaction_date")
        .agg(pl.col("points").sum().cast(pl.Int64))
    )


def events_of(scored: pl.LazyFrame, *, rules: pl.DataFrame) -> pl.LazyFrame:
    """EARN and REVERSAL events per transaction and rule, and BONUS events, of scored lines."""
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
            pl.when(_IS_SALE)
            .then(pl.lit(EventType.EARN))
            .otherwise(pl.lit(EventType.REVERSAL))
            .alias("event_type"),
            pl.when(_IS_SALE).then(pl.col("points")).otherwise(-pl.col("points")).alias("points"),
            "transaction_id",
            pl.lit(None, dtype=pl.String).alias("redemption_id"),
            "rule_id",
            pl.col("transaction_at").alias("_time"),
        )
    )
    return pl.concat(
        [earned, _bonus_events(scored.filter(_IS_SALE), rules)], how="diagonal_relaxed"
    ).pipe(in_ledger_schema)


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
                pl.lit(EventType.BONUS).alias("event_type"),
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
            pl.lit(EventType.REDEEM).alias("event_type"),
            (-pl.col("points_redeemed")).alias("points"),
            pl.lit(None, dtype=pl.String).alias("transaction_id"),
            "redemption_id",
            pl.lit(None, dtype=pl.String).alias("rule_id"),
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("_time"),
        )
        .pipe(in_ledger_schema)
    )


def in_ledger_schema(events: pl.LazyFrame) -> pl.LazyFrame:
    """``events`` with their ``_phase`` and no expiry yet, in :data:`LEDGER_SCHEMA`."""
    return events.with_columns(
        pl.col("event_type").replace_strict(PHASE, return_dtype=pl.Int8).alias("_phase"),
        pl.lit(None, dtype=pl.Date).alias("expires_on"),
    ).select(pl.col(name).cast(dtype) for name, dtype in LEDGER_SCHEMA.items())
