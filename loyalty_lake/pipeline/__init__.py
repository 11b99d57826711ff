"""The only place that joins I/O and transforms: each function runs one stage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty_lake._lazy import lazy_exports

if TYPE_CHECKING:
    from loyalty_lake.codes import FileStatus
    from loyalty_lake.pipeline.build import BuildReport, build
    from loyalty_lake.pipeline.gold import GoldReport, build_gold, export_gold
    from loyalty_lake.pipeline.ingest import FileOutcome, IngestReport, ingest
    from loyalty_lake.pipeline.inspect import InspectReport, inspect_landing
    from loyalty_lake.pipeline.quality import DqReport, dq_report
    from loyalty_lake.pipeline.silver import (
        SilverReport,
        build_silver,
        check_conservation,
        conservation,
        reprocess,
    )
    from loyalty_lake.pipeline.status import TableStatus, status
else:
    # Each stage is imported on first use: `loyalty-lake status` needs no transform.
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "loyalty_lake.codes": ["FileStatus"],
            "loyalty_lake.pipeline.build": ["BuildReport", "build"],
            "loyalty_lake.pipeline.gold": ["GoldReport", "build_gold", "export_gold"],
            "loyalty_lake.pipeline.ingest": ["FileOutcome", "IngestReport", "ingest"],
            "loyalty_lake.pipeline.inspect": ["InspectReport", "inspect_landing"],
            "loyalty_lake.pipeline.quality": ["DqReport", "dq_report"],
            "loyalty_lake.pipeline.silver": [
                "SilverReport",
                "build_silver",
                "check_conservation",
                "conservation",
                "reprocess",
            ],
            "loyalty_lake.pipeline.status": ["TableStatus", "status"],
        },
    )

__all__ = [
    "BuildReport",
    "DqReport",
    "FileOutcome",
    "FileStatus",
    "GoldReport",
    "IngestReport",
    "InspectReport",
    "SilverReport",
    "TableStatus",
    "build",
    "build_gold",
    "build_silver",
    "check_conservation",
    "conservation",
    "dq_report",
    "export_gold",
    "ingest",
    "inspect_landing",
    "reprocess",
    "status",
]
