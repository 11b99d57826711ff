"""Build: land new batches, then run every layer after them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loyalty_lake.errors import LandingError
from loyalty_lake.io.landing import landing_files
from loyalty_lake.pipeline.ingest import IngestReport, ingest
from loyalty_lake.progress import Progress, no_progress

if TYPE_CHECKING:
    from loyalty_lake.io.lake import Lake

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did: one ingest report per landing batch."""

    run_id: str
    ingests: tuple[IngestReport, ...]


def batch_folders(landing: Path) -> list[Path]:
    """The batch folders under ``landing``, oldest first (sorted by name).

    A folder that holds CSV files itself is one batch; otherwise each of its
    sub-folders is a batch.
    """
    if not landing.is_dir():
        raise LandingError(
            f"Landing folder {landing} does not exist.",
            hint="Put batches in <lake>/landing/<batch>/ or pass a folder to build.",
        )
    if landing_files(landing)[0]:
        return [landing]
    return sorted(p for p in landing.iterdir() if p.is_dir() and p.name[0] not in "._")


def build(
    *,
    lake: Lake,
    landing: str | Path | None = None,
    progress: Progress = no_progress,
) -> BuildReport:
    """Land every batch of ``landing`` (default ``<lake>/landing``) and build the layers.

    Batches that already landed are skipped file by file, so building twice
    changes nothing.
    """
    run_id = uuid.uuid4().hex
    folder = Path(landing) if landing is not None else lake.landing
    batches = batch_folders(folder) if landing is not None or folder.is_dir() else []
    if not batches:
        log.warning("No landing batches in %s", folder)
    reports = tuple(ingest(batch, lake=lake, run_id=run_id, progress=progress) for batch in batches)
    return BuildReport(run_id=run_id, ingests=reports)
