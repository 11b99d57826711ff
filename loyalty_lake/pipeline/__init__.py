"""The only place that joins I/O and transforms: each function runs one stage."""

from loyalty_lake.pipeline.build import BuildReport, build
from loyalty_lake.pipeline.ingest import FileOutcome, FileStatus, IngestReport, ingest
from loyalty_lake.pipeline.status import TableStatus, status

__all__ = [
    "BuildReport",
    "FileOutcome",
    "FileStatus",
    "IngestReport",
    "TableStatus",
    "build",
    "ingest",
    "status",
]
