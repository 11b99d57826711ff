"""Bronze rows → checked rows: typed values plus every rule's verdict, per table.

Each ``checked_<table>`` function returns one row per bronze row it was given,
with the silver columns typed (null where the text did not parse), the raw
text in ``_raw``, and the lists ``_reasons`` (reject) and ``_warnings`` (warn)
with ``_messages``. :mod:`loyalty_lake.silver.split` then splits them into
silver rows, rejects and warnings in one pass.

Master data (stores, products, customers, promotions, loyalty rules) is
checked first; facts are checked against the masters known after that
(silver plus the masters accepted in the same run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import DEFAULT_SEVERITY, Reason, Severity
from loyalty_lake.landing.contract import (
    CUSTOMERS,
    INVENTORY,
    LOYALTY_RULES,
    PRODUCTS,
    PROMOTIONS,
    REDEMPTIONS,
    SALES_HEADER,
    SALES_LINES,
    STORES,
)
from loyalty_lake.silver import parse
from loyalty_lake.silver.checks import (
    MALFORMED,
    RAW,
    Rule,
    duplicate,
    ends_before_start,
    explained,
    future_date,
    has_own_reasons,
    invalid_type,
    is_rejected,
    malformed_row,
    non_positive,
    null_required,
    raw,
    too_old,
    unknown_reference,
    with_duplicates,
    with_known,
    with_reasons,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from loyalty_lake.config import Config
    from loyalty_lake.landing.contract import LandingFile

ISO_DATE = "an ISO date (YYYY-MM-DD)"
DECIMAL_2 = "a decimal number with at most 2 places"
DECIMAL_4 = "a decimal number with at most 4 places"
INTEGER = "a whole number"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PHONE = r"^\+?[0-9(][0-9 ().-]{5,19}$"
_TOLERANCE = pl.lit(0.01).cast(parse.MONEY)


@dataclass(frozen=True, slots=True)
class Checks:
    """The settings rules need, fixed for one run (``now`` makes them reproducible)."""

    now: datetime
    timezone: str = "UTC"
    future_tolerance: timedelta = timedelta(days=1)
    earliest: date = date(2000, 1, 1)
    outlier_threshold: float = 10.0
    severity: Mapping[Reason, Severity] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))

    @classmethod
    def from_config(cls, config: Config, *, now: datetime) -> Checks:
        """The checks a configuration asks for."""
        return cls(
            now=now,
            timezone=config.timezone,
            future_tolerance=timedelta(days=config.dq.future_tolerance_days),
            earliest=config.dq.earliest_date,
            outlier_threshold=config.dq.outlier_threshold,
            severity={**DEFAULT_SEVERITY, **config.dq.severity},
        )

    @property
    def latest(self) -> datetime:
        """The latest plausible event time."""
        return (self.now + self.future_tolerance).astimezone(UTC)

    def latest_date(self) -> pl.Expr:
        """The latest plausible event date, as a literal."""
        return pl.lit(self.latest.date())

    def earliest_date(self) -> pl.Expr:
        """The earliest plausible date, as a literal."""
        return pl.lit(self.earliest)


# --- shared steps ------------------------------------------------------------------------


def _typed(bronze: pl.LazyFrame, spec: LandingFile, parsers: Mapping[str, pl.Expr]) -> pl.LazyFrame:
    """Keep the raw text in ``_raw`` and parse the contract columns.

    Bronze tables landed before malformed rows were kept lack ``_malformed``:
    their rows are all well-formed.
    """
    if MALFORMED not in bronze.collect_schema().names():
        bronze = bronze.with_columns(pl.lit(None, dtype=pl.String).alias(MALFORMED))
    return bronze.with_columns(pl.struct(*spec.columns, "_extra").alias(RAW)).with_columns(
        **parsers
    )


def _defaulted(column: str, parsed: pl.Expr, default: object) -> pl.Expr:
    """``parsed``, or ``default`` where the text is empty (unparseable text stays null)."""
    return pl.when(parse.text(column).is_null()).then(pl.lit(default)).otherwise(parsed)


def _category(column: str) -> pl.Expr:
    """A category, or ``ALL`` (any letter case); empty means ``ALL``."""
    value = parse.text(column)
    return (
        pl.when(value.is_null() | (value.str.to_uppercase() == "ALL"))
        .then(pl.lit("ALL"))
        .otherwise(value)
    )


def _check(frame: pl.LazyFrame, rules: list[Rule], checks: Checks) -> pl.LazyFrame:
    return with_reasons(frame, rules, severity=checks.severity)


def _checked(frame: pl.LazyFrame, rules: list[Rule], checks: Checks) -> pl.LazyFrame:
    """Evaluate ``rules`` (the only ones) and explain the failures."""
    return explained(_check(frame, rules, checks), rules)


def _master(
    bronze: pl.LazyFrame,
    spec: LandingFile,
    parsers: Mapping[str, pl.Expr],
    rules: list[Rule],
    checks: Checks,
) -> pl.LazyFrame:
    """Master data: a key may appear once per batch; a later batch updates it."""
    frame = with_duplicates(_typed(bronze, spec, parsers), spec.key, within=["_batch_id"])
    return _checked(frame, [malformed_row(), *rules, duplicate()], checks)


# --- master data -------------------------------------------------------------------------


def checked_stores(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``stores`` row, typed and checked."""
    parsers = {c: parse.text(c) for c in ("store_id", "store_name", "store_city", "store_region")}
    rules = [*null_required(["store_id"]), *invalid_type({"opening_date": ISO_DATE})]
    return _master(
        bronze, STORES, parsers | {"opening_date": parse.iso_date("opening_date")}, rules, checks
    )


def checked_products(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``products`` row, typed and checked."""
    parsers = {
        "product_id": parse.text("product_id"),
        "product_name": parse.text("product_name"),
        "product_category": parse.text("product_category"),
        "unit_price": parse.money("unit_price"),
        "current_stock_level": parse.integer("current_stock_level"),
    }
    rules = [
        *null_required(["product_id", "product_category", "unit_price"]),
        *invalid_type({"unit_price": DECIMAL_2, "current_stock_level": INTEGER}),
        *non_positive(["unit_price"]),
        *non_positive(["current_stock_level"], allow_zero=True),
    ]
    return _master(bronze, PRODUCTS, parsers, rules, checks)


def checked_customers(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``customers`` row, typed and checked."""
    texts = ("customer_id", "last_name", "email", "phone", "loyalty_status")
    parsers = {c: parse.text(c) for c in texts} | {"first_name": _given_name()}
    rules = [
        *null_required(["customer_id"]),
        *invalid_type({"enrollment_date": ISO_DATE}),
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
            raw("first_name").is_not_null() & pl.col("first_name").is_null(),
            pl.lit(
                "first_name does not look like a given name (it holds an e-mail address, "
                "digits or the full name); it is left empty"
            ),
        ),
    ]
    return _master(
        bronze,
        CUSTOMERS,
        parsers | {"enrollment_date": parse.iso_date("enrollment_date")},
        rules,
        checks,
    )


def _given_name() -> pl.Expr:
    """``first_name``, or null when it is not a given name: personal data in the wrong column.

    An e-mail address or a phone number (``@``, digits), or the full name (it
    ends with the row's ``last_name``), would otherwise reach gold in clear.
    """
    first, last = parse.text("first_name"), parse.text("last_name")
    full_name = (
        first.str.to_lowercase()
        .str.ends_with(pl.lit(" ") + last.str.to_lowercase())
        .fill_null(False)
    )
    return pl.when(first.str.contains(r"[@\d]").not_() & full_name.not_()).then(first)


def checked_promotions(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``promotions`` row, typed and checked."""
    parsers = {
        "promotion_id": parse.text("promotion_id"),
        "promotion_name": parse.text("promotion_name"),
        "start_date": parse.iso_date("start_date"),
        "end_date": parse.iso_date("end_date"),
        "discount_percentage": parse.rate("discount_percentage"),
        "applicable_category": _category("applicable_category"),
        "points_multiplier": _defaulted(
            "points_multiplier", parse.rate("points_multiplier"), 1
        ).cast(parse.RATE),
    }
    rules = [
        *null_required(["promotion_id", "start_date", "end_date"]),
        *invalid_type(
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
    return _master(bronze, PROMOTIONS, parsers, rules, checks)


def checked_loyalty_rules(bronze: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """One row per bronze ``loyalty_rules`` row, typed and checked."""
    parsers = {
        "rule_id": parse.text("rule_id"),
        "rule_name": parse.text("rule_name"),
        "points_per_unit_spend": parse.rate("points_per_unit_spend"),
        "min_spend_threshold": _defaulted(
            "min_spend_threshold", parse.money("min_spend_threshold"), 0
        ).cast(parse.MONEY),
        "bonus_points": _defaulted("bonus_points", parse.integer("bonus_points"), 0).cast(pl.Int64),
        "applicable_category": _category("applicable_category"),
        "valid_from": parse.iso_date("valid_from"),
        "valid_to": parse.iso_date("valid_to"),
        "days_of_week": parse.weekdays("days_of_week"),
    }
    rules = [
        *null_required(["rule_id", "points_per_unit_spend"]),
        *invalid_type(
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
    return _master(bronze, LOYALTY_RULES, parsers, rules, checks)


# --- facts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Known:
    """The master data facts may reference: silver plus this run's accepted rows.

    Master data is small next to the facts, so it is held in memory and looked
    up by value (no join over the facts). ``products`` has ``product_id`` and
    ``product_category``; the others their key column.
    """

    stores: pl.DataFrame
    products: pl.DataFrame
    customers: pl.DataFrame
    promotions: pl.DataFrame

    @classmethod
    def from_masters(cls, masters: Mapping[str, pl.DataFrame]) -> Known:
        """The keys of silver master tables (``stores``, ``products``, ...)."""
        return cls(
            stores=masters["stores"].select("store_id"),
            products=masters["products"].select("product_id", "product_category"),
            customers=masters["customers"].select("customer_id"),
            promotions=masters["promotions"].select("promotion_id"),
        )


def checked_sales(
    header: pl.LazyFrame,
    lines: pl.LazyFrame,
    *,
    known: Known,
    existing_header: pl.LazyFrame,
    existing_lines: pl.LazyFrame,
    checks: Checks,
    outliers: OutlierStats | pl.LazyFrame | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Bronze sales headers and lines, typed and checked; a transaction is all or nothing.

    ``known.products`` holds ``product_id`` and ``product_category``; the other
    ``known`` frames one key column. ``existing_*`` are the silver tables
    (facts take new keys only). Outliers are judged by ``outliers``: statistics
    (:class:`OutlierStats`), reference lines to compute them from, or by
    default the given lines' own clean lines.
    """
    header1, header_rules = _checked_header_rows(
        header, known=known, existing=existing_header, checks=checks
    )
    lines1, line_rules = _checked_line_rows(
        lines, known=known, existing=existing_lines, checks=checks, outliers=outliers
    )
    # The transaction checks read the row checks several times: compute them once.
    header1, lines1 = header1.cache(), lines1.cache()

    per_transaction = ["transaction_id", "_batch_id"]
    line_totals = (
        lines1.filter(pl.col("_dup_message").is_null() & pl.col("transaction_id").is_not_null())
        .group_by(per_transaction)
        .agg(
            is_rejected().any().alias("_lines_rejected"),
            pl.col("line_item_amount").sum().alias("_lines_amount"),
            pl.len().alias("_lines"),
        )
    )
    header_rules += [_total_mismatch()]
    header2 = _check(
        header1.join(line_totals, on=per_transaction, how="left"), header_rules[-1:], checks
    ).cache()
    sold = header2.filter(
        pl.col("_dup_message").is_null()
        & is_rejected().not_()
        & pl.col("_lines_rejected").not_().fill_null(True)
        & (pl.col("transaction_type") == "SALE")
    ).select("transaction_id")
    earlier_sales = existing_header.filter(pl.col("transaction_type") == "SALE").select(
        "transaction_id"
    )
    header_rules += [_unknown_original()]
    header3 = _check(
        with_known(
            header2,
            "original_transaction_id",
            pl.concat([earlier_sales, sold]).rename({"transaction_id": "original_transaction_id"}),
            flag="_original_known",
        ),
        header_rules[-1:],
        checks,
    ).cache()
    transactions = header3.filter(
        pl.col("_dup_message").is_null() & pl.col("transaction_id").is_not_null()
    ).select(
        *per_transaction,
        (is_rejected() | pl.col("_lines_rejected").fill_null(False)).alias("_tx_rejected"),
    )
    header_rules += [_parent_rejected(pl.col("_lines_rejected"))]
    header_final = _check(header3, header_rules[-1:], checks)
    lines2 = lines1.join(transactions, on=per_transaction, how="left")
    last_line_rules = [_orphan_line(), _parent_rejected(pl.col("_tx_rejected"))]
    lines_final = _check(lines2, last_line_rules, checks)
    return (
        explained(header_final, header_rules),
        explained(lines_final, [*line_rules, *last_line_rules]),
    )


def _checked_header_rows(
    bronze: pl.LazyFrame, *, known: Known, existing: pl.LazyFrame, checks: Checks
) -> tuple[pl.LazyFrame, list[Rule]]:
    transaction_at = parse.iso_datetime("transaction_date", timezone=checks.timezone)
    transaction_type = parse.code("transaction_type")
    parsers = {
        "transaction_id": parse.text("transaction_id"),
        "customer_id": parse.text("customer_id"),
        "store_id": parse.text("store_id"),
        "transaction_at": transaction_at,
        "transaction_date": transaction_at.dt.convert_time_zone(checks.timezone).dt.date(),
        "total_amount": parse.money("total_amount"),
        "transaction_type": pl.when(transaction_type.is_null())
        .then(pl.lit("SALE"))
        .when(transaction_type.is_in(["SALE", "RETURN"]))
        .then(transaction_type),
        "original_transaction_id": parse.text("original_transaction_id"),
    }
    frame = _typed(bronze, SALES_HEADER, parsers)
    frame = with_known(frame, "store_id", known.stores["store_id"], flag="_store_known")
    frame = with_known(frame, "customer_id", known.customers["customer_id"], flag="_customer_known")
    frame = with_duplicates(
        frame, ["transaction_id"], existing=existing, compare=_values(SALES_HEADER)
    )
    rules = [
        malformed_row(),
        *null_required(["transaction_id", "store_id", "transaction_date", "total_amount"]),
        *invalid_type({"total_amount": DECIMAL_2, "transaction_type": "SALE or RETURN"}),
        Rule(
            Reason.INVALID_TYPE,
            raw("transaction_date").is_not_null() & pl.col("transaction_at").is_null(),
            pl.format(
                "transaction_date '{}' is not an ISO 8601 date or date-time",
                raw("transaction_date"),
            ),
        ),
        *non_positive(["total_amount"]),
        future_date("transaction_at", latest=pl.lit(checks.latest), source="transaction_date"),
        too_old("transaction_date", earliest=checks.earliest_date()),
        unknown_reference("store_id", Reason.UNKNOWN_STORE, known="_store_known"),
        unknown_reference("customer_id", Reason.UNKNOWN_CUSTOMER, known="_customer_known"),
        duplicate(),
    ]
    return _check(frame, rules, checks), rules


def _checked_line_rows(
    bronze: pl.LazyFrame,
    *,
    known: Known,
    existing: pl.LazyFrame,
    checks: Checks,
    outliers: OutlierStats | pl.LazyFrame | None,
) -> tuple[pl.LazyFrame, list[Rule]]:
    frame, rules = _line_row_checks(bronze, known=known, existing=existing, checks=checks)
    outlier_rules = _outliers(checks.outlier_threshold)
    scored = _with_outlier_scores(frame, known.products, outliers)
    return _check(scored, outlier_rules, checks), [*rules, *outlier_rules]


def _line_row_checks(
    bronze: pl.LazyFrame, *, known: Known, existing: pl.LazyFrame, checks: Checks
) -> tuple[pl.LazyFrame, list[Rule]]:
    """Sales lines typed and judged by the rules of a line on its own (no outliers yet)."""
    texts = ("line_item_id", "transaction_id", "product_id", "promotion_id")
    parsers = {c: parse.text(c) for c in texts} | {
        "quantity": parse.integer("quantity"),
        "line_item_amount": parse.money("line_item_amount"),
    }
    frame = _typed(bronze, SALES_LINES, parsers)
    frame = with_known(frame, "product_id", known.products["product_id"], flag="_product_known")
    frame = with_known(
        frame, "promotion_id", known.promotions["promotion_id"], flag="_promotion_known"
    )
    frame = with_duplicates(
        frame, list(SALES_LINES.key), existing=existing, compare=_values(SALES_LINES)
    )
    rules = [
        malformed_row(),
        *null_required(
            ["line_item_id", "transaction_id", "product_id", "quantity", "line_item_amount"]
        ),
        *invalid_type({"quantity": INTEGER, "line_item_amount": DECIMAL_2}),
        *non_positive(["quantity", "line_item_amount"]),
        unknown_reference("product_id", Reason.UNKNOWN_PRODUCT, known="_product_known"),
        unknown_reference("promotion_id", Reason.UNKNOWN_PROMOTION, known="_promotion_known"),
        duplicate(),
    ]
    return _check(frame, rules, checks), rules


def _values(spec: LandingFile) -> list[str]:
    """Typed columns compared to tell an exact duplicate from a conflicting one."""
    columns = [c for c in spec.columns if c not in spec.key]
    return ["transaction_at" if c == "transaction_date" else c for c in columns]


def _total_mismatch() -> Rule:
    """TOTAL_MISMATCH, judged only when all the transaction's lines are clean."""
    difference = (pl.col("total_amount") - pl.col("_lines_amount").fill_null(0)).abs()
    return Rule(
        Reason.TOTAL_MISMATCH,
        pl.col("_dup_message").is_null()
        & pl.col("transaction_id").is_not_null()
        & pl.col("_lines_rejected").not_().fill_null(True)
        & (difference > _TOLERANCE),
        pl.format(
            "total_amount {} differs from the sum {} of its {} line(s)",
            pl.col("total_amount"),
            pl.col("_lines_amount").fill_null(0),
            pl.col("_lines").fill_null(0),
        ),
    )


def _unknown_original() -> Rule:
    """UNKNOWN_ORIGINAL_TRANSACTION: a RETURN must name a clean earlier SALE."""
    is_return = pl.col("transaction_type") == "RETURN"
    return Rule(
        Reason.UNKNOWN_ORIGINAL_TRANSACTION,
        is_return & pl.col("_dup_message").is_null() & pl.col("_original_known").not_(),
        pl.when(pl.col("original_transaction_id").is_null())
        .then(pl.lit("a RETURN must name its original_transaction_id"))
        .otherwise(
            pl.format(
                "original_transaction_id '{}' is not a known sale",
                pl.col("original_transaction_id"),
            )
        ),
    )


def _orphan_line() -> Rule:
    """ORPHAN_LINE: no header of the line's transaction in the same batch."""
    return Rule(
        Reason.ORPHAN_LINE,
        pl.col("_dup_message").is_null()
        & pl.col("transaction_id").is_not_null()
        & pl.col("_tx_rejected").is_null(),
        pl.format(
            "no sales_header for transaction '{}' in batch {}",
            pl.col("transaction_id"),
            pl.col("_batch_id"),
        ),
    )


def _parent_rejected(transaction_rejected: pl.Expr) -> Rule:
    """PARENT_REJECTED: another row of the row's transaction was rejected."""
    return Rule(
        Reason.PARENT_REJECTED,
        pl.col("_dup_message").is_null()
        & has_own_reasons(ignoring=[Reason.PARENT_REJECTED]).not_()
        & transaction_rejected.fill_null(False),
        pl.format("another row of transaction '{}' was rejected", pl.col("transaction_id")),
    )


# --- outliers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutlierStats:
    """What the OUTLIER rule judges a line against: medians and MADs of clean lines.

    ``quantity``: per product category (``_category``, ``_q_median``, ``_q_mad``);
    ``unit_price``: the log unit price per product (``product_id``, ``_p_median``,
    ``_p_mad``).
    """

    quantity: pl.LazyFrame
    unit_price: pl.LazyFrame

    @classmethod
    def of(cls, values: pl.LazyFrame) -> OutlierStats:
        """The statistics of ``values`` (see :func:`outlier_values`)."""

        def stats(column: str, group: str) -> pl.LazyFrame:
            return values.group_by(group).agg(
                pl.col(column).median().alias(f"{column}_median"),
                (pl.col(column) - pl.col(column).median()).abs().median().alias(f"{column}_mad"),
            )

        return cls(quantity=stats("_q", "_category"), unit_price=stats("_p", "product_id"))

    def collect(self) -> OutlierStats:
        """The same statistics computed now (small frames: one row per category or product)."""
        quantity, unit_price = pl.collect_all([self.quantity, self.unit_price])
        return OutlierStats(quantity=quantity.lazy(), unit_price=unit_price.lazy())


def outlier_values(
    lines: pl.LazyFrame, *, known: Known, existing: pl.LazyFrame, checks: Checks
) -> pl.LazyFrame:
    """The measures of the clean bronze ``lines`` that :class:`OutlierStats` summarises.

    Clean: no reason of a line on its own (types, references, duplicates) and a
    positive quantity. Computing them part by part and summarising once gives the
    statistics of the whole run, which is what checking a big batch in
    partitions needs.
    """
    frame, _ = _line_row_checks(lines, known=known, existing=existing, checks=checks)
    return (
        _with_outlier_measures(frame, known.products)
        .filter(_usable_for_outliers())
        .select("product_id", "_category", "_q", "_p")
    )


def _usable_for_outliers() -> pl.Expr:
    return is_rejected().not_() & (pl.col("quantity") > 0)


def _with_outlier_measures(lines: pl.LazyFrame, products: pl.DataFrame) -> pl.LazyFrame:
    """Add the line's category, quantity and log unit price as floats."""
    products = products.unique("product_id")
    category = pl.col("product_id").replace_strict(
        products["product_id"], products["product_category"], default=None
    )
    quantity = pl.col("quantity").cast(pl.Float64)
    unit_price = (pl.col("line_item_amount").cast(pl.Float64) / quantity).log()
    return lines.with_columns(
        category.alias("_category"), quantity.alias("_q"), unit_price.alias("_p")
    )


def _with_outlier_scores(
    lines: pl.LazyFrame, products: pl.DataFrame, outliers: OutlierStats | pl.LazyFrame | None
) -> pl.LazyFrame:
    """Add robust z-scores of quantity (within the category) and log unit price (the product).

    z = (x − median) / (1.4826 · MAD), the MAD floored so that a group whose
    lines are all alike does not make every small difference an outlier. A
    product's unit price is compared with its own usual price (prices within a
    category vary too much to judge one against the other). The medians come
    from ``outliers``: given statistics, reference lines, or (None) the lines'
    own clean lines.
    """
    lines = _with_outlier_measures(lines, products)
    groups = {"_q": "_category", "_p": "product_id"}
    if outliers is None:  # the run's own clean lines, as windows: no join over the lines
        usable = _usable_for_outliers()
        lines = lines.with_columns(
            pl.col(c).filter(usable).median().over(g).alias(f"{c}_median")
            for c, g in groups.items()
        ).with_columns(
            (pl.col(c) - pl.col(f"{c}_median"))
            .abs()
            .filter(usable)
            .median()
            .over(g)
            .alias(f"{c}_mad")
            for c, g in groups.items()
        )
    else:
        if isinstance(outliers, pl.LazyFrame):
            reference = _with_outlier_measures(outliers, products)
            outliers = OutlierStats.of(reference.filter(pl.col("quantity") > 0))
        lines = lines.join(outliers.quantity, on="_category", how="left").join(
            outliers.unit_price, on="product_id", how="left"
        )
    q_scale = pl.max_horizontal(1.4826 * pl.col("_q_mad"), pl.lit(1.0))
    p_scale = pl.max_horizontal(1.4826 * pl.col("_p_mad"), pl.lit(0.1))
    return lines.with_columns(
        ((pl.col("_q") - pl.col("_q_median")) / q_scale).alias("_q_score"),
        ((pl.col("_p") - pl.col("_p_median")) / p_scale).alias("_p_score"),
    )


def _outliers(threshold: float) -> list[Rule]:
    clean = has_own_reasons(ignoring=[Reason.OUTLIER]).not_()
    return [
        Rule(
            Reason.OUTLIER,
            clean & (pl.col("_q_score") > threshold),
            pl.format("quantity {} is far above its category's usual", pl.col("quantity")),
        ),
        Rule(
            Reason.OUTLIER,
            clean & (pl.col("_p_score").abs() > threshold),
            pl.format(
                "unit price {} is far from this product's usual",
                (pl.col("line_item_amount") / pl.col("quantity")).round(2),
            ),
        ),
    ]


def checked_redemptions(
    bronze: pl.LazyFrame, *, known: Known, existing: pl.LazyFrame, checks: Checks
) -> pl.LazyFrame:
    """One row per bronze ``redemptions`` row, typed and checked.

    Whether the customer had the points is decided in gold (INSUFFICIENT_POINTS).
    """
    parsers = {c: parse.text(c) for c in ("redemption_id", "customer_id", "store_id")} | {
        "redemption_date": parse.iso_date("redemption_date"),
        "points_redeemed": parse.integer("points_redeemed"),
    }
    frame = _typed(bronze, REDEMPTIONS, parsers)
    frame = with_known(frame, "customer_id", known.customers["customer_id"], flag="_customer_known")
    frame = with_known(frame, "store_id", known.stores["store_id"], flag="_store_known")
    frame = with_duplicates(
        frame, ["redemption_id"], existing=existing, compare=_values(REDEMPTIONS)
    )
    rules = [
        malformed_row(),
        *null_required(["redemption_id", "customer_id", "redemption_date", "points_redeemed"]),
        *invalid_type({"redemption_date": ISO_DATE, "points_redeemed": INTEGER}),
        *non_positive(["points_redeemed"]),
        future_date("redemption_date", latest=checks.latest_date()),
        too_old("redemption_date", earliest=checks.earliest_date()),
        unknown_reference("customer_id", Reason.UNKNOWN_CUSTOMER, known="_customer_known"),
        unknown_reference("store_id", Reason.UNKNOWN_STORE, known="_store_known"),
        duplicate(),
    ]
    return _checked(frame, rules, checks)


def checked_inventory(
    bronze: pl.LazyFrame, *, known: Known, existing: pl.LazyFrame, checks: Checks
) -> pl.LazyFrame:
    """One row per bronze ``inventory`` row, typed and checked."""
    parsers = {
        "snapshot_date": parse.iso_date("snapshot_date"),
        "store_id": parse.text("store_id"),
        "product_id": parse.text("product_id"),
        "stock_level": parse.integer("stock_level"),
    }
    frame = _typed(bronze, INVENTORY, parsers)
    frame = with_known(frame, "store_id", known.stores["store_id"], flag="_store_known")
    frame = with_known(frame, "product_id", known.products["product_id"], flag="_product_known")
    frame = with_duplicates(frame, list(INVENTORY.key), existing=existing, compare=["stock_level"])
    rules = [
        malformed_row(),
        *null_required(list(INVENTORY.required)),
        *invalid_type({"snapshot_date": ISO_DATE, "stock_level": INTEGER}),
        *non_positive(["stock_level"], allow_zero=True),
        future_date("snapshot_date", latest=checks.latest_date()),
        unknown_reference("store_id", Reason.UNKNOWN_STORE, known="_store_known"),
        unknown_reference("product_id", Reason.UNKNOWN_PRODUCT, known="_product_known"),
        duplicate(),
    ]
    return _checked(frame, rules, checks)


#: The check of each master data table, by table name.
MASTER_CHECKS: Mapping[str, Callable[..., pl.LazyFrame]] = {
    "stores": checked_stores,
    "products": checked_products,
    "customers": checked_customers,
    "promotions": checked_promotions,
    "loyalty_rules": checked_loyalty_rules,
}

__all__ = [
    "MASTER_CHECKS",
    "Checks",
    "Known",
    "OutlierStats",
    "checked_customers",
    "checked_inventory",
    "checked_loyalty_rules",
    "checked_products",
    "checked_promotions",
    "checked_redemptions",
    "checked_sales",
    "checked_stores",
    "outlier_values",
]
