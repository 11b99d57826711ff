"""Gold's rejects: the redemptions the points engine refused, as rows of ``silver/rejects``.

A redemption larger than the balance available at its time is refused with
reason INSUFFICIENT_POINTS at stage ``gold``. Every gold run replaces the
gold-stage rows of ``silver/rejects`` with the refusals it computed, so the
data quality marts count these rows, not the previous run's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import Reason, RejectStatus, Stage
from loyalty_lake.landing.contract import REDEMPTIONS
from loyalty_lake.silver.models import Rejects, schema

if TYPE_CHECKING:
    from datetime import datetime

_UTC = pl.Datetime("us", "UTC")


def _reject_columns() -> list[pl.Expr]:
    """The rejects' columns of a refused silver redemption, but its raw values and run."""
    return [
        pl.lit(REDEMPTIONS.name).alias("table"),
        pl.col("_batch_id").alias("batch_id"),
        pl.col("_source_file").alias("source_file"),
        pl.col("_file_sha256").alias("file_sha256"),
        pl.col("_row_number").alias("row_number"),
        pl.col("_ingested_at").alias("ingested_at"),
        pl.col("redemption_id").alias("key"),
        pl.lit(None, dtype=pl.String).alias("transaction_id"),
        pl.lit([Reason.INSUFFICIENT_POINTS.value]).alias("reason_codes"),
        pl.format(
            "redemption of {} points exceeds the balance available on {}",
            pl.col("points_redeemed"),
            pl.col("redemption_date"),
        ).alias("message"),
        pl.lit(RejectStatus.OPEN).alias("status"),
        pl.lit(Stage.GOLD).alias("stage"),
    ]


def rejects_after_gold(rejects: pl.LazyFrame, refused: pl.LazyFrame) -> pl.LazyFrame:
    """``silver/rejects`` once the ``refused`` redemptions replace its gold-stage rows.

    Without the raw values and run columns: what the data quality marts read.
    """
    columns = [expr.meta.output_name() for expr in _reject_columns()]
    dtypes = schema(Rejects)
    return pl.concat(
        [
            rejects.filter(pl.col("stage") != Stage.GOLD).select(columns),
            refused.select(_reject_columns()).cast({name: dtypes[name] for name in columns}),
        ]
    )


def gold_rejects(
    refused: pl.DataFrame,
    bronze_redemptions: pl.LazyFrame,
    *,
    run_id: str,
    rejected_at: datetime,
) -> pl.DataFrame:
    """One ``silver/rejects`` row per ``refused`` silver redemption, with its bronze text.

    ``raw_values`` is the bronze row's text (its landing columns and extras) as
    JSON; null only if the row is missing from ``bronze_redemptions``.
    """
    raw = bronze_redemptions.select(
        "_file_sha256",
        "_row_number",
        pl.struct(*REDEMPTIONS.columns, "_extra").struct.json_encode().alias("raw_values"),
    )
    return (
        refused.lazy()
        .join(raw, on=["_file_sha256", "_row_number"], how="left")
        .select(
            *_reject_columns(),
            "raw_values",
            pl.lit(run_id).alias("run_id"),
            pl.lit(rejected_at, dtype=_UTC).alias("rejected_at"),
            pl.lit(None, dtype=_UTC).alias("reprocessed_at"),
        )
        .select(schema(Rejects).names())
        .cast(schema(Rejects))
        .collect()
    )
