"""Conservation, declared: every landed row is in bronze, and in silver or in rejects once.

Per table and batch:

- ``landed_rows`` (what the bronze manifest says landed) = ``bronze_rows``
  (what bronze holds), so a batch lost from bronze is caught;
- ``bronze_rows`` = ``accepted`` + ``rejected``, where ``accepted`` counts rows
  accepted when their file was processed and ``rejected`` every reject
  (promoted ones included);
- for facts, the rows silver really holds (``in_silver``) = ``accepted`` +
  ``reprocessed``; for masters, which keep the latest version of each key,
  ``in_silver`` (the batch's rows that are the current version of their key)
  is at most ``accepted``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import RejectStatus, Stage

if TYPE_CHECKING:
    from collections.abc import Sequence

COLUMNS = (
    "table",
    "batch_id",
    "landed_rows",
    "bronze_rows",
    "accepted",
    "rejected",
    "reprocessed",
    "in_silver",
    "balanced",
)


def conservation(
    landed: pl.LazyFrame,
    bronze: pl.LazyFrame,
    processed_files: pl.LazyFrame,
    rejects: pl.LazyFrame,
    held: pl.LazyFrame,
    *,
    facts: Sequence[str],
) -> pl.LazyFrame:
    """One row per table and batch: the counts and whether they add up (``balanced``).

    ``landed`` has ``table``, ``batch_id``, ``landed_rows`` (the manifest's
    landed files); ``bronze`` the same keys with ``bronze_rows``; ``held`` the
    same keys with ``in_silver``, the rows silver holds of each table.
    """
    accepted = processed_files.group_by("table", "batch_id").agg(pl.col("accepted").sum())
    rejected = (
        rejects.filter(pl.col("stage") == Stage.SILVER)  # points' rejects come from silver rows
        .group_by("table", "batch_id")
        .agg(
            pl.len().cast(pl.Int64).alias("rejected"),
            (pl.col("status") == RejectStatus.REPROCESSED)
            .sum()
            .cast(pl.Int64)
            .alias("reprocessed"),
        )
    )
    keys = ["table", "batch_id"]
    is_fact = pl.col("table").is_in(list(facts))
    return (
        landed.join(bronze, on=keys, how="full", coalesce=True)
        .join(accepted, on=keys, how="left")
        .join(rejected, on=keys, how="left")
        .join(held, on=keys, how="left")
        .with_columns(
            pl.col(
                "landed_rows", "bronze_rows", "accepted", "rejected", "reprocessed", "in_silver"
            ).fill_null(0)
        )
        .with_columns(
            (
                (pl.col("landed_rows") == pl.col("bronze_rows"))
                & (pl.col("bronze_rows") == pl.col("accepted") + pl.col("rejected"))
                & pl.when(is_fact)
                .then(pl.col("in_silver") == pl.col("accepted") + pl.col("reprocessed"))
                .otherwise(pl.col("in_silver") <= pl.col("accepted"))
            ).alias("balanced")
        )
        .select(COLUMNS)
        .sort("table", "batch_id")
    )
