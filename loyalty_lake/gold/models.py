# mypy: disable-error-code="valid-type"
"""Gold contracts: one pandera model per published table."""

from __future__ import annotations

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
