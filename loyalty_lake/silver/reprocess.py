"""Reprocessing, declared: which open rejects a late master may cure, and their marks.

A reject is retried when all its reasons are curable (a store, product,
customer, promotion or original sale that was unknown, a line whose header or
a header whose lines have not landed, a rejected transaction); a transaction
is retried whole, so a reject waits while any other row of its transaction
has a reason of its own. The two halves of a sale may land in different
batches and runs (a refused ``sales_lines.csv`` fixed and landed again): a
half rejected by this very run for want of the other is retried with the
other's open rejects. Retried rows go through the same fact checks as new
ones (:func:`.run.checked_facts`); those that pass are promoted and their
rejects marked REPROCESSED.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import AWAITING_PARTNER, CURABLE, Reason, RejectStatus

if TYPE_CHECKING:
    from datetime import datetime

#: The columns that name a reject's bronze row.
REJECT_KEY = ("table", "file_sha256", "row_number")


def retry_candidates(rejects: pl.LazyFrame, *, run_id: str) -> pl.LazyFrame:
    """The open rejects to retry: ``table``, ``file_sha256``, ``row_number``.

    Rejects of run ``run_id`` itself were judged against the same masters:
    they are retried only when they wait for the other half of their sale
    and an earlier run's open reject may be it.
    """

    def only(reasons: frozenset[Reason]) -> pl.Expr:
        values = pl.lit([r.value for r in reasons], dtype=pl.List(pl.String))
        return pl.col("reason_codes").list.set_difference(values).list.len().eq(0)

    def any_of(reasons: frozenset[Reason]) -> pl.Expr:
        values = pl.lit([r.value for r in reasons], dtype=pl.List(pl.String))
        return pl.col("reason_codes").list.set_intersection(values).list.len().gt(0)

    open_rejects = rejects.filter(pl.col("status") == RejectStatus.OPEN).with_columns(
        only(CURABLE).alias("_curable")
    )
    earlier = open_rejects.filter(pl.col("run_id") != run_id)
    awaiting = open_rejects.filter(
        (pl.col("run_id") == run_id) & pl.col("_curable") & any_of(AWAITING_PARTNER)
    ).join(earlier.select("transaction_id"), on="transaction_id", how="semi")
    judged = pl.concat([earlier, awaiting])
    duplicate = pl.col("reason_codes").list.contains(Reason.DUPLICATE.value)
    transactions = (  # a duplicate row is not part of its transaction
        judged.filter(pl.col("transaction_id").is_not_null() & duplicate.not_())
        .group_by("transaction_id")
        .agg(pl.col("_curable").all().alias("_all_curable"))
    )
    return (
        judged.join(transactions, on="transaction_id", how="left")
        .filter(pl.col("_curable") & pl.col("_all_curable").fill_null(True))
        .select(*REJECT_KEY)
    )


def bronze_keys(rows: pl.DataFrame, table: str) -> pl.DataFrame:
    """The bronze row keys (``_file_sha256``, ``_row_number``) of ``table``'s ``rows``."""
    return rows.filter(pl.col("table") == table).select(
        pl.col("file_sha256").alias("_file_sha256"), pl.col("row_number").alias("_row_number")
    )


def promoted(silver: pl.DataFrame, table: str) -> pl.DataFrame:
    """The reject keys of ``table``'s silver rows (rows promoted by reprocessing)."""
    return silver.select(
        pl.lit(table).alias("table"),
        pl.col("_file_sha256").alias("file_sha256"),
        pl.col("_row_number").alias("row_number"),
    )


def reprocessed_marks(keys: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
    """The update that marks the rejects ``keys`` REPROCESSED at ``now``."""
    return keys.select(*REJECT_KEY).with_columns(
        pl.lit(RejectStatus.REPROCESSED.value).alias("status"),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("reprocessed_at"),
    )
