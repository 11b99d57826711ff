"""Reprocessing, declared: which open rejects a late master may cure, and their marks.

A reject is retried when all its reasons are curable (a store, product,
customer, promotion or original sale that was unknown, an orphan line, a
rejected transaction); a transaction is retried whole, so a reject waits
while any other row of its transaction has a reason of its own. Retried rows
go through the same fact checks as new ones (:func:`.run.checked_facts`);
those that pass are promoted and their rejects marked REPROCESSED.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import CURABLE, Reason, RejectStatus

if TYPE_CHECKING:
    from datetime import datetime

#: The columns that name a reject's bronze row.
REJECT_KEY = ("table", "file_sha256", "row_number")


def retry_candidates(rejects: pl.LazyFrame, *, run_id: str) -> pl.LazyFrame:
    """The open rejects to retry: ``table``, ``file_sha256``, ``row_number``.

    Rejects of run ``run_id`` itself are not retried: they were judged
    against the same masters.
    """
    open_rejects = rejects.filter(
        (pl.col("status") == RejectStatus.OPEN) & (pl.col("run_id") != run_id)
    )
    curable = [r.value for r in CURABLE]
    judged = open_rejects.with_columns(
        pl.col("reason_codes")
        .list.set_difference(pl.lit(curable))
        .list.len()
        .eq(0)
        .alias("_curable")
    )
    duplicate = pl.col("reason_codes").list.contains(Reason.DUPLICATE.value)
    transactions = (  # a duplicate row is not part of its transaction
        judged.filter(pl.col("transaction_id").is_not_null() & duplicate.not_())
        .group_by("transaction_id", "batch_id")
        .agg(pl.col("_curable").all().alias("_all_curable"))
    )
    return (
        judged.join(transactions, on=["transaction_id", "batch_id"], how="left")
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
