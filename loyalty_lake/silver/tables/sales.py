"""Sales checks: headers and lines together, because a transaction is all or nothing.

Row rules judge each header and line on its own; transaction rules then judge
the header against its lines (total), a return against its sale, and reject
every row of a transaction with a rejected row (PARENT_REJECTED).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import Reason, TransactionType
from loyalty_lake.landing.contract import SALES_HEADER, SALES_LINES
from loyalty_lake.silver.checks import (
    Rule,
    duplicate,
    explained,
    future_date,
    has_own_reasons,
    is_rejected,
    malformed_row,
    non_positive,
    too_old,
    with_duplicates,
    with_known,
)
from loyalty_lake.silver.tables.common import (
    DECIMAL_2,
    INTEGER,
    Checks,
    Known,
    compared_values,
    file_evidence,
    judged,
    referenced,
    typed,
)
from loyalty_lake.silver.tables.outliers import (
    Later,
    OutlierStats,
    outlier_rules,
    usable_for_outliers,
    with_outlier_measures,
    with_outlier_scores,
)

if TYPE_CHECKING:
    from decimal import Decimal

    from loyalty_lake.silver.parse import Parser


def checked_sales(
    header: pl.LazyFrame,
    lines: pl.LazyFrame,
    *,
    known: Known,
    existing_header: pl.LazyFrame,
    existing_lines: pl.LazyFrame,
    checks: Checks,
    outliers: OutlierStats | pl.LazyFrame | Later | None = None,
    evidence: SalesEvidence | None = None,
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Bronze sales headers and lines, typed and checked; a transaction is all or nothing.

    ``known.products`` holds ``product_id`` and ``product_category``; the other
    ``known`` frames one key column. ``existing_*`` are the silver tables
    (facts take new keys only). Outliers are judged by ``outliers``: statistics
    (:class:`OutlierStats`), reference lines to compute them from, or by
    default the given lines' own clean lines; ``LATER`` leaves the rule out (see
    :func:`~loyalty_lake.silver.tables.outliers.outlier_candidates`). ``evidence``
    holds the file facts (:func:`sales_evidence`) when the rows are only a part
    of their files.
    """
    evidence = evidence or SalesEvidence()
    header1, header_rules = _checked_header_rows(
        header, known=known, existing=existing_header, checks=checks, evidence=evidence.header
    )
    lines1, line_rules = _checked_line_rows(
        lines,
        known=known,
        existing=existing_lines,
        checks=checks,
        outliers=outliers,
        evidence=evidence.lines,
    )
    # The transaction checks read the row checks several times: compute them once.
    header1 = header1.cache()
    lines1 = lines1.cache()

    per_transaction = ["transaction_id", "_batch_id"]
    # Lines are grouped by their own batch, then each group goes to its header's batch.
    groups = header_batches(
        lines1.filter(pl.col("transaction_id").is_not_null()).select(per_transaction).unique(),
        header1,
    ).cache()
    line_totals = (
        lines1.filter(pl.col("_dup_message").is_null() & pl.col("transaction_id").is_not_null())
        .group_by(per_transaction)
        .agg(
            is_rejected().any().alias("_lines_rejected"),
            pl.col("line_item_amount").sum().alias("_lines_amount"),
            pl.len().alias("_lines"),
        )
        .join(groups, on=per_transaction)
        .group_by("transaction_id", pl.col(HEADER_BATCH).alias("_batch_id"))
        .agg(pl.col("_lines_rejected").any(), pl.col("_lines_amount", "_lines").sum())
    )
    header_rules += [_missing_lines(), _total_mismatch(checks.total_tolerance)]
    header2 = judged(
        header1.join(line_totals, on=per_transaction, how="left"), header_rules[-2:], checks
    ).cache()
    sold = header2.filter(
        pl.col("_dup_message").is_null()
        & is_rejected().not_()
        & pl.col("_lines_rejected").not_().fill_null(True)
        & (pl.col("transaction_type") == TransactionType.SALE)
    ).select("transaction_id")
    earlier_sales = existing_header.filter(
        pl.col("transaction_type") == TransactionType.SALE
    ).select("transaction_id")
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
    per_group = groups.join(
        transactions.rename({"_batch_id": HEADER_BATCH}), on=["transaction_id", HEADER_BATCH]
    ).select(*per_transaction, "_tx_rejected")
    lines2 = lines1.join(per_group, on=per_transaction, how="left")
    last_line_rules = [_orphan_line(), _parent_rejected(pl.col("_tx_rejected"))]
    lines_final = judged(lines2, last_line_rules, checks)
    return (
        explained(header_final, header_rules),
        explained(lines_final, [*line_rules, *last_line_rules]),
    )


@dataclass(frozen=True, slots=True)
class SalesEvidence:
    """Facts of whole sales files (a date column's order, a currency mix) for checking parts.

    One row per ``_file_sha256``: the results of :func:`sales_evidence`'s plans.
    """

    header: pl.DataFrame | None = None
    lines: pl.DataFrame | None = None


def sales_evidence(
    header: pl.LazyFrame, lines: pl.LazyFrame, *, checks: Checks
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Plans of the file facts of the whole run's bronze sales (headers, lines).

    Collected, they are the :class:`SalesEvidence` to check the run part by part.
    """
    p_header, p_lines = checks.parser(SALES_HEADER.name), checks.parser(SALES_LINES.name)
    _header_parsers(p_header, checks)
    _line_parsers(p_lines)
    return file_evidence(header, p_header), file_evidence(lines, p_lines)


def _header_parsers(p: Parser, checks: Checks) -> dict[str, pl.Expr]:
    transaction_at = p.datetime("transaction_date")
    transaction_type = p.code("transaction_type")
    return {
        "transaction_id": p.ident("transaction_id"),
        "customer_id": p.ident("customer_id"),
        "store_id": p.ident("store_id"),
        "transaction_at": transaction_at,
        "transaction_date": transaction_at.dt.convert_time_zone(checks.timezone).dt.date(),
        "total_amount": p.money("total_amount"),
        "transaction_type": pl.when(transaction_type.is_null())
        .then(pl.lit(TransactionType.SALE.value))
        .when(transaction_type.is_in(list(TransactionType)))
        .then(transaction_type),
        "original_transaction_id": p.ident("original_transaction_id"),
    }


def _line_parsers(p: Parser) -> dict[str, pl.Expr]:
    ids = ("line_item_id", "transaction_id", "product_id", "promotion_id")
    return {c: p.ident(c) for c in ids} | {
        "quantity": p.integer("quantity"),
        "line_item_amount": p.money("line_item_amount"),
    }


def _checked_header_rows(
    bronze: pl.LazyFrame,
    *,
    known: Known,
    existing: pl.LazyFrame,
    checks: Checks,
    evidence: pl.DataFrame | None = None,
) -> tuple[pl.LazyFrame, list[Rule]]:
    p = checks.parser(SALES_HEADER.name)
    parsers = _header_parsers(p, checks)
    frame = typed(bronze, SALES_HEADER, p, parsers, evidence=evidence)
    frame, store = referenced(frame, "store_id", "stores", known=known, checks=checks)
    frame, customer = referenced(frame, "customer_id", "customers", known=known, checks=checks)
    frame = with_duplicates(
        frame, ["transaction_id"], existing=existing, compare=compared_values(SALES_HEADER)
    )
    rules = [
        malformed_row(),
        *p.null_required(["transaction_id", "store_id", "transaction_date", "total_amount"]),
        *p.invalid_type(
            {
                "total_amount": DECIMAL_2,
                "transaction_type": "SALE or RETURN",
                "transaction_date": "an ISO 8601 date or date-time",
            }
        ),
        *non_positive(["total_amount"]),
        future_date("transaction_at", latest=pl.lit(checks.latest), source="transaction_date"),
        too_old("transaction_date", earliest=checks.earliest_date()),
        store,
        customer,
        duplicate(),
    ]
    return judged(frame, rules, checks), rules


def _checked_line_rows(
    bronze: pl.LazyFrame,
    *,
    known: Known,
    existing: pl.LazyFrame,
    checks: Checks,
    outliers: OutlierStats | pl.LazyFrame | Later | None,
    evidence: pl.DataFrame | None = None,
) -> tuple[pl.LazyFrame, list[Rule]]:
    frame, rules = _line_row_checks(
        bronze, known=known, existing=existing, checks=checks, evidence=evidence
    )
    if isinstance(outliers, str):  # LATER
        return frame, rules
    outlier_checks = outlier_rules(checks.outlier_threshold)
    scored = with_outlier_scores(frame, known.products, outliers)
    return judged(scored, outlier_checks, checks), [*rules, *outlier_checks]


def _line_row_checks(
    bronze: pl.LazyFrame,
    *,
    known: Known,
    existing: pl.LazyFrame,
    checks: Checks,
    evidence: pl.DataFrame | None = None,
) -> tuple[pl.LazyFrame, list[Rule]]:
    """Sales lines typed and judged by the rules of a line on its own (no outliers yet)."""
    p = checks.parser(SALES_LINES.name)
    frame = typed(bronze, SALES_LINES, p, _line_parsers(p), evidence=evidence)
    frame, product = referenced(frame, "product_id", "products", known=known, checks=checks)
    frame, promotion = referenced(frame, "promotion_id", "promotions", known=known, checks=checks)
    frame = with_duplicates(
        frame, list(SALES_LINES.key), existing=existing, compare=compared_values(SALES_LINES)
    )
    rules = [
        malformed_row(),
        *p.null_required(
            ["line_item_id", "transaction_id", "product_id", "quantity", "line_item_amount"]
        ),
        *p.invalid_type({"quantity": INTEGER, "line_item_amount": DECIMAL_2}),
        *non_positive(["quantity", "line_item_amount"]),
        product,
        promotion,
        duplicate(),
    ]
    return judged(frame, rules, checks), rules


#: The batch of the header a sales line belongs to (see :func:`header_batches`).
HEADER_BATCH = "_header_batch"


def header_batches(lines: pl.LazyFrame, header: pl.LazyFrame) -> pl.LazyFrame:
    """``lines`` (one row per ``transaction_id``, ``_batch_id``) with ``_header_batch``.

    ``_header_batch`` is the batch of the header the group of lines belongs to
    (null for none).

    A line belongs to its transaction's header in its own batch. A line whose
    batch has no header of its transaction (the two files of a sale landed in
    different batches: a refused file fixed and landed later) belongs to the
    transaction's first-seen header among the rows checked together (see
    :mod:`loyalty_lake.silver.reprocess`) if that header has no line in its own
    batch: a complete transaction never adopts a stray line. Else it is null.
    """
    ids = pl.col("transaction_id").is_not_null()
    same_batch = (
        header.filter(ids)
        .select("transaction_id", "_batch_id", pl.col("_batch_id").alias("_same_batch"))
        .unique()
    )
    with_lines = lines.filter(ids).select("transaction_id", "_batch_id").unique()
    first_seen = (
        header.filter(ids & pl.col("_dup_message").is_null())
        .join(with_lines, on=["transaction_id", "_batch_id"], how="anti")
        .select("transaction_id", pl.col("_batch_id").alias("_other_batch"))
    )
    return (
        lines.join(same_batch, on=["transaction_id", "_batch_id"], how="left")
        .join(first_seen, on="transaction_id", how="left")
        .with_columns(pl.coalesce("_same_batch", "_other_batch").alias(HEADER_BATCH))
        .drop("_same_batch", "_other_batch")
    )


def _missing_lines() -> Rule:
    """MISSING_LINES: no line of the transaction has landed (yet); curable."""
    return Rule(
        Reason.MISSING_LINES,
        pl.col("_dup_message").is_null()
        & pl.col("transaction_id").is_not_null()
        & pl.col("_lines").is_null(),
        pl.format(
            "no sales_lines of transaction '{}' have landed yet: the header waits for them",
            pl.col("transaction_id"),
        ),
    )


def _total_mismatch(tolerance: Decimal) -> Rule:
    """TOTAL_MISMATCH, judged only when the transaction has lines and all are clean."""
    difference = (pl.col("total_amount") - pl.col("_lines_amount")).abs()
    return Rule(
        Reason.TOTAL_MISMATCH,
        pl.col("_dup_message").is_null()
        & pl.col("transaction_id").is_not_null()
        & pl.col("_lines").is_not_null()
        & pl.col("_lines_rejected").not_().fill_null(True)
        & (difference > pl.lit(str(tolerance)).cast(pl.Decimal(24, 8))),  # exact, not rounded
        pl.format(
            f"total_amount {{}} differs from the sum {{}} of its {{}} line(s) by more than "
            f"{tolerance} (dq.total_tolerance)",
            pl.col("total_amount"),
            pl.col("_lines_amount"),
            pl.col("_lines"),
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
    """ORPHAN_LINE: the line's transaction has no header (yet); curable."""
    return Rule(
        Reason.ORPHAN_LINE,
        pl.col("_dup_message").is_null()
        & pl.col("transaction_id").is_not_null()
        & pl.col("_tx_rejected").is_null(),
        pl.format(
            "no sales_header of transaction '{}' has landed yet: the line waits for it",
            pl.col("transaction_id"),
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
    lines: pl.LazyFrame,
    *,
    known: Known,
    existing: pl.LazyFrame,
    checks: Checks,
    evidence: SalesEvidence | None = None,
) -> pl.LazyFrame:
    """The measures of the clean bronze ``lines`` that :class:`OutlierStats` summarises.

    Clean: no reason of a line on its own (types, references, duplicates) and a
    positive quantity. Computing them part by part and summarising once gives the
    statistics of the whole run, which is what checking a big batch in
    partitions needs.
    """
    frame, _ = _line_row_checks(
        lines,
        known=known,
        existing=existing,
        checks=checks,
        evidence=(evidence or SalesEvidence()).lines,
    )
    return (
        with_outlier_measures(frame, known.products)
        .filter(usable_for_outliers())
        .select("product_id", "_category", "_q", "_p")
    )
