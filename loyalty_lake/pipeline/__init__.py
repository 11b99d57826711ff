"""The only place that joins I/O and transforms: each function runs one stage."""

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
