"""Sales checks: headers and lines together, because a transaction is all or nothing.

Row rules judge each header and line on its own; transaction rules then judge
the header against its lines (total), a return against its sale, and reject
every row of a transaction with a rejected row (PARENT_REJECTED).
"""

from __future__ import annotations

import polars as pl

from loyalty_lake.codes import Reason
from loyalty_lake.landing.contract import SALES_HEADER, SALES_LINES
from loyalty_lake.silver import parse
from loyalty_lake.silver.checks import (
    Rule,
    duplicate,
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
)
from loyalty_lake.silver.tables.common import (
    DECIMAL_2,
    INTEGER,
    Checks,
    Known,
    compared_values,
    judged,
    typed,
)
from loyalty_lake.silver.tables.outliers import (
    OutlierStats,
    outlier_rules,
    usable_for_outliers,
    with_outlier_measures,
    with_outlier_scores,
)

_TOLERANCE = pl.lit(0.01).cast(parse.MONEY)


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
    header2 = judged(
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
    header3 = judged(
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
    header_final = judged(header3, header_rules[-1:], checks)
    lines2 = lines1.join(transactions, on=per_transaction, how="left")
    last_line_rules = [_orphan_line(), _parent_rejected(pl.col("_tx_rejected"))]
    lines_final = judged(lines2, last_line_rules, checks)
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
    frame = typed(bronze, SALES_HEADER, parsers)
    frame = with_known(frame, "store_id", known.stores["store_id"], flag="_store_known")
    frame = with_known(frame, "customer_id", known.customers["customer_id"], flag="_customer_known")
    frame = with_duplicates(
        frame, ["transaction_id"], existing=existing, compare=compared_values(SALES_HEADER)
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
    return judged(frame, rules, checks), rules


def _checked_line_rows(
    bronze: pl.LazyFrame,
    *,
    known: Known,
    existing: pl.LazyFrame,
    checks: Checks,
    outliers: OutlierStats | pl.LazyFrame | None,
) -> tuple[pl.LazyFrame, list[Rule]]:
    frame, rules = _line_row_checks(bronze, known=known, existing=existing, checks=checks)
    outlier_checks = outlier_rules(checks.outlier_threshold)
    scored = with_outlier_scores(frame, known.products, outliers)
    return judged(scored, outlier_checks, checks), [*rules, *outlier_checks]


def _line_row_checks(
    bronze: pl.LazyFrame, *, known: Known, existing: pl.LazyFrame, checks: Checks
) -> tuple[pl.LazyFrame, list[Rule]]:
    """Sales lines typed and judged by the rules of a line on its own (no outliers yet)."""
    texts = ("line_item_id", "transaction_id", "product_id", "promotion_id")
    parsers = {c: parse.text(c) for c in texts} | {
        "quantity": parse.integer("quantity"),
        "line_item_amount": parse.money("line_item_amount"),
    }
    frame = typed(bronze, SALES_LINES, parsers)
    frame = with_known(frame, "product_id", known.products["product_id"], flag="_product_known")
    frame = with_known(
        frame, "promotion_id", known.promotions["promotion_id"], flag="_promotion_known"
    )
    frame = with_duplicates(
        frame, list(SALES_LINES.key), existing=existing, compare=compared_values(SALES_LINES)
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
    return judged(frame, rules, checks), rules


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
        with_outlier_measures(frame, known.products)
        .filter(usable_for_outliers())
        .select("product_id", "_category", "_q", "_p")
    )
