"""Silver → gold: recompute the published tables."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandera.errors

from loyalty_lake.gold.dq import dq_summary
from loyalty_lake.gold.models import DqSummary
from loyalty_lake.io import delta
from loyalty_lake.pipeline.silver import REJECTS, WARNINGS, ContractViolation, scan_silver

if TYPE_CHECKING:
    import polars as pl

    from loyalty_lake.io.lake import Lake

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GoldReport:
    """What one gold run wrote: rows per gold table."""

    run_id: str
    tables: dict[str, int]


def build_gold(*, lake: Lake, run_id: str) -> GoldReport:
    """Recompute every gold table from silver and replace it."""
    summary = dq_summary(scan_silver(lake, REJECTS), scan_silver(lake, WARNINGS)).collect()
    _publish(lake, "dq_summary", _validated(summary), run_id=run_id)
    return GoldReport(run_id=run_id, tables={"dq_summary": summary.height})


def _validated(summary: pl.DataFrame) -> pl.DataFrame:
    try:
        return DqSummary.validate(summary, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise ContractViolation(
            f"Gold table dq_summary would break its contract: {exc.failure_cases.head(3).rows()}.",
            hint="This is a bug in loyalty_lake; please report it.",
        ) from exc


def _publish(lake: Lake, name: str, rows: pl.DataFrame, *, run_id: str) -> None:
    """Replace a gold table unless it already holds exactly these rows."""
    path = lake.table("gold", name)
    if delta.table_exists(path) and delta.scan_table(path).collect().equals(rows):
        log.info("gold/%s unchanged", name)
        return
    delta.write_table(path, rows, mode="overwrite", metadata={"run_id": run_id, "layer": "gold"})
