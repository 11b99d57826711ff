"""Conservation, declared: every bronze row is in silver or in rejects, exactly once.

Per table and batch: ``bronze_rows`` = ``accepted`` + ``rejected``, where
``accepted`` counts rows accepted when their file was processed and
``rejected`` every reject (promoted ones included); for facts, the rows silver
really holds (``in_silver``) = ``accepted`` + ``reprocessed``.
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
    "bronze_rows",
    "accepted",
    "rejected",
    "reprocessed",
    "in_silver",
    "balanced",
)


def conservation(
    bronze: pl.LazyFrame,
    processed_files: pl.LazyFrame,
    rejects: pl.LazyFrame,
    held: pl.LazyFrame,
    *,
    facts: Sequence[str],
) -> pl.LazyFrame:
    """One row per table and batch: the counts and whether they add up (``balanced``).

    ``bronze`` has ``table``, ``batch_id``, ``bronze_rows``; ``held`` the same
    keys with ``in_silver``, the rows silver holds of the ``facts`` tables
    (masters keep one version per key: their ``in_silver`` is null).
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
    return (
        bronze.join(accepted, on=keys, how="left")
        .join(rejected, on=keys, how="left")
        .join(held, on=keys, how="left")
        .with_columns(
            pl.col("accepted", "rejected", "reprocessed").fill_null(0),
            pl.when(pl.col("table").is_in(list(facts))).then(pl.col("in_silver").fill_null(0)),
        )
        .with_columns(
            (
                (pl.col("bronze_rows") == pl.col("accepted") + pl.col("rejected"))
                & (
                    pl.col("in_silver").is_null()
                    | (pl.col("in_silver") == pl.col("accepted") + pl.col("reprocessed"))
                )
            ).alias("balanced")
        )
        .select(COLUMNS)
        .sort("table", "batch_id")
    )
