"""The points engine's verdicts on redemptions, and how the data quality marts count them.

A redemption larger than the balance available at its time is refused with
reason INSUFFICIENT_POINTS. The redemption itself is valid data and stays in
``silver/redemptions``; the verdict lives in one place, gold's
``redemption_verdicts``. The data quality marts count refusals with the
silver rejects, as rejects of stage ``gold``.
"""

from __future__ import annotations

import polars as pl

from loyalty_lake.codes import Reason, RedemptionStatus, RejectStatus, Stage
from loyalty_lake.landing.contract import REDEMPTIONS
from loyalty_lake.silver.models import Rejects, schema


def redemption_verdicts(redemptions: pl.LazyFrame, refused: pl.LazyFrame) -> pl.LazyFrame:
    """One row per silver redemption: CONFIRMED, or REFUSED if it is one of ``refused``."""
    is_refused = pl.col("refused").fill_null(value=False)
    verdicts = redemptions.join(
        refused.select("redemption_id", pl.lit(value=True).alias("refused")),
        on="redemption_id",
        how="left",
    )
    return verdicts.select(
        "redemption_id",
        "customer_id",
        "redemption_date",
        "points_redeemed",
        pl.when(is_refused)
        .then(pl.lit(RedemptionStatus.REFUSED.value))
        .otherwise(pl.lit(RedemptionStatus.CONFIRMED.value))
        .alias("status"),
        pl.when(is_refused)
        .then(pl.lit(Reason.INSUFFICIENT_POINTS.value))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("reason"),
        pl.col("_batch_id").alias("batch_id"),
        pl.col("_source_file").alias("source_file"),
        pl.col("_row_number").alias("row_number"),
    )


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
    """``silver/rejects`` with the ``refused`` silver redemptions as rejects of stage gold.

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
