# mypy: disable-error-code="valid-type"
"""Gold contracts: one pandera model per published table."""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl


class DqSummary(pa.DataFrameModel):
    """One row per batch, table, reason code and severity."""

    batch_id: str
    table: str
    reason: str
    severity: str = pa.Field(isin=["reject", "warn"])
    rows: pl.Int64 = pa.Field(ge=1)
    open_rows: pl.Int64 = pa.Field(ge=0)

    class Config:
        strict = True
        unique = ["batch_id", "table", "reason", "severity"]  # noqa: RUF012 - pandera reads it


class PointsLedger(pa.DataFrameModel):
    """One row per points event of a customer, in order.

    The sum of a customer's rows is the customer's balance.
    """

    customer_id: str
    sequence: pl.Int64 = pa.Field(ge=1)
    event_date: dt.date
    event_type: str = pa.Field(isin=["EARN", "BONUS", "REVERSAL", "REDEEM", "EXPIRE"])
    points: pl.Int64
    balance_after: pl.Int64
    transaction_id: str = pa.Field(nullable=True)
    redemption_id: str = pa.Field(nullable=True)
    rule_id: str = pa.Field(nullable=True)
    expires_on: dt.date = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["customer_id", "sequence"]  # noqa: RUF012 - pandera reads it

    @pa.dataframe_check
    @classmethod
    def signs(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """Earning events add points; reversals, redemptions and expiries take them."""
        adds = pl.col("event_type").is_in(["EARN", "BONUS"])
        return data.lazyframe.select(
            pl.when(adds).then(pl.col("points") >= 0).otherwise(pl.col("points") <= 0)
        )


class CustomerDetails(pa.DataFrameModel):
    """One row per customer (loyalty member) with their points, last purchase and tier."""

    customer_id: str = pa.Field(unique=True)
    first_name: str = pa.Field(nullable=True)
    loyalty_status: str = pa.Field(isin=["Bronze", "Silver", "Gold", "Platinum"])
    total_loyalty_points: pl.Int64
    lifetime_points_earned: pl.Int64
    last_purchase_date: dt.date = pa.Field(nullable=True)

    class Config:
        strict = True
