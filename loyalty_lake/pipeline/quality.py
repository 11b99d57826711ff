"""The data quality report: rejects and warnings by reason, with example rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.gold.dq import dq_summary
from loyalty_lake.pipeline.silver import REJECTS, WARNINGS, conservation, scan_silver

if TYPE_CHECKING:
    from loyalty_lake.io.lake import Lake


@dataclass(frozen=True, slots=True)
class DqReport:
    """Counts by table and reason, a few example rows of each, and conservation."""

    summary: pl.DataFrame
    examples: pl.DataFrame
    conservation: pl.DataFrame

    @property
    def balanced(self) -> bool:
        """Whether every bronze row is in silver or in rejects, exactly once."""
        return self.conservation.is_empty() or bool(self.conservation["balanced"].all())


def dq_report(*, lake: Lake, batch_id: str | None = None, examples: int = 3) -> DqReport:
    """The data quality report of the lake (or of one batch)."""
    rejects = scan_silver(lake, REJECTS)
    warnings = scan_silver(lake, WARNINGS)
    if batch_id is not None:
        rejects = rejects.filter(pl.col("batch_id") == batch_id)
        warnings = warnings.filter(pl.col("batch_id") == batch_id)
    summary = (
        dq_summary(rejects, warnings)
        .group_by("table", "reason", "severity")
        .agg(pl.col("rows").sum(), pl.col("open_rows").sum())
        .sort("table", "severity", "rows", descending=[False, False, True])
        .collect()
    )
    sample = (
        rejects.select(
            "table",
            "batch_id",
            "source_file",
            "row_number",
            "reason_codes",
            "message",
            "raw_values",
            "status",
        )
        .with_columns(pl.col("reason_codes").list.first().alias("reason"))
        .sort("table", "reason", "batch_id", "row_number")
        .group_by("table", "reason", maintain_order=True)
        .head(examples)
        .collect()
    )
    balance = conservation(lake=lake)
    if batch_id is not None and balance.height:
        balance = balance.filter(pl.col("batch_id") == batch_id)
    return DqReport(summary=summary, examples=sample, conservation=balance)
