"""Master data checks: stores, products, customers, promotions, loyalty rules.

A key may appear once per batch; a later batch's version supersedes an earlier one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import MONEY, RATE, Reason
from loyalty_lake.landing.contract import CUSTOMERS, LOYALTY_RULES, PRODUCTS, PROMOTIONS, STORES
from loyalty_lake.silver.checks import (
    Rule,
    ends_before_start,
    future_date,
    non_positive,
    too_old,
)
from loyalty_lake.silver.tables.common import (
    DECIMAL_2,
    DECIMAL_4,
    INTEGER,
    ISO_DATE,
    Checks,
    category,
    defaulted,
    master,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from loyalty_lake.silver import parse

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PHONE = r"^\+?[0-9(][0-9 ().-]{5,19}$"


def checked_stores(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``stores`` row, typed and checked."""
    p = checks.parser(STORES.name)
    parsers = {"store_id": p.ident("store_id")} | {
        c: p.text(c) for c in ("store_name", "store_city", "store_region")
    }
    parsers |= {"opening_date": p.date("opening_date")}
    rules = [*p.null_required(["store_id"]), *p.invalid_type({"opening_date": ISO_DATE})]
    return master(bronze, STORES, p, parsers, rules, checks)


def checked_products(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``products`` row, typed and checked."""
    p = checks.parser(PRODUCTS.name)
    parsers = {
        "product_id": p.ident("product_id"),
        "product_name": p.text("product_name"),
        "product_category": p.text("product_category"),
        "unit_price": p.money("unit_price"),
        "current_stock_level": p.integer("current_stock_level"),
    }
    rules = [
        *p.null_required(["product_id", "product_category", "unit_price"]),
        *p.invalid_type({"unit_price": DECIMAL_2, "current_stock_level": INTEGER}),
        *non_positive(["unit_price"]),
        *non_positive(["current_stock_level"], allow_zero=True),
    ]
    return master(bronze, PRODUCTS, p, parsers, rules, checks)


def checked_customers(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``customers`` row, typed and checked."""
    p = checks.parser(CUSTOMERS.name)
    texts = ("last_name", "email", "phone", "loyalty_status")
    parsers = {"customer_id": p.ident("customer_id")} | {c: p.text(c) for c in texts}
    parsers |= {"first_name": _given_name(p), "enrollment_date": p.date("enrollment_date")}
    rules = [
        *p.null_required(["customer_id"]),
        *p.invalid_type({"enrollment_date": ISO_DATE}),
        future_date("enrollment_date", latest=checks.latest_date()),
        Rule(
            Reason.INVALID_EMAIL,
            pl.col("email").is_not_null() & pl.col("email").str.contains(_EMAIL).not_(),
            pl.lit("email is not an email address"),
        ),
        Rule(
            Reason.INVALID_PHONE,
            pl.col("phone").is_not_null() & pl.col("phone").str.contains(_PHONE).not_(),
            pl.lit("phone is not a phone number"),
        ),
        Rule(
            Reason.INVALID_NAME,
            p.given("first_name") & pl.col("first_name").is_null(),
            pl.lit(
                "first_name does not look like a given name (it holds an e-mail address, "
                "digits or the full name); it is left empty"
            ),
        ),
    ]
    return master(bronze, CUSTOMERS, p, parsers, rules, checks)


def _given_name(p: parse.Parser) -> pl.Expr:
    """``first_name``, or null when it is not a given name: personal data in the wrong column.

    An e-mail address or a phone number (``@``, digits), or the full name (it
    ends with the row's ``last_name``), would otherwise reach gold in clear.
    """
    first, last = p.text("first_name"), p.text("last_name")
    full_name = (
        first.str.to_lowercase()
        .str.ends_with(pl.lit(" ") + last.str.to_lowercase())
        .fill_null(False)
    )
    return pl.when(first.str.contains(r"[@\d]").not_() & full_name.not_()).then(first)


def checked_promotions(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``promotions`` row, typed and checked."""
    p = checks.parser(PROMOTIONS.name)
    parsers = {
        "promotion_id": p.ident("promotion_id"),
        "promotion_name": p.text("promotion_name"),
        "start_date": p.date("start_date"),
        "end_date": p.date("end_date"),
        "discount_percentage": p.rate("discount_percentage"),
        "applicable_category": category(p, "applicable_category"),
        "points_multiplier": defaulted(p, "points_multiplier", p.rate("points_multiplier"), 1).cast(
            RATE
        ),
    }
    rules = [
        *p.null_required(["promotion_id", "start_date", "end_date"]),
        *p.invalid_type(
            {
                "start_date": ISO_DATE,
                "end_date": ISO_DATE,
                "discount_percentage": DECIMAL_4,
                "points_multiplier": DECIMAL_4,
            }
        ),
        Rule(
            Reason.INVALID_TYPE,
            (pl.col("discount_percentage") < 0) | (pl.col("discount_percentage") > 100),
            pl.lit("discount_percentage is not between 0 and 100"),
        ),
        *non_positive(["points_multiplier"], allow_zero=True),
        ends_before_start("start_date", "end_date"),
        too_old("start_date", earliest=checks.earliest_date()),
    ]
    return master(bronze, PROMOTIONS, p, parsers, rules, checks)


def checked_loyalty_rules(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``loyalty_rules`` row, typed and checked."""
    p = checks.parser(LOYALTY_RULES.name)
    parsers = {
        "rule_id": p.ident("rule_id"),
        "rule_name": p.text("rule_name"),
        "points_per_unit_spend": p.rate("points_per_unit_spend"),
        "min_spend_threshold": defaulted(
            p, "min_spend_threshold", p.money("min_spend_threshold"), 0
        ).cast(MONEY),
        "bonus_points": defaulted(p, "bonus_points", p.integer("bonus_points"), 0).cast(pl.Int64),
        "applicable_category": category(p, "applicable_category"),
        "valid_from": p.date("valid_from"),
        "valid_to": p.date("valid_to"),
        "days_of_week": p.weekdays("days_of_week"),
    }
    rules = [
        *p.null_required(["rule_id", "points_per_unit_spend"]),
        *p.invalid_type(
            {
                "points_per_unit_spend": DECIMAL_4,
                "min_spend_threshold": DECIMAL_2,
                "bonus_points": INTEGER,
                "valid_from": ISO_DATE,
                "valid_to": ISO_DATE,
                "days_of_week": "days such as SAT|SUN",
            }
        ),
        *non_positive(
            ["points_per_unit_spend", "min_spend_threshold", "bonus_points"], allow_zero=True
        ),
        ends_before_start("valid_from", "valid_to"),
    ]
    return master(bronze, LOYALTY_RULES, p, parsers, rules, checks)


#: The check of each master data table, by table name.
MASTER_CHECKS: Mapping[str, Callable[..., pl.LazyFrame]] = {
    "stores": checked_stores,
    "products": checked_products,
    "customers": checked_customers,
    "promotions": checked_promotions,
    "loyalty_rules": checked_loyalty_rules,
}
