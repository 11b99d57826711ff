"""Build: land new batches, then run every layer after them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loyalty_lake.config import load_config
from loyalty_lake.errors import LandingError
from loyalty_lake.io.landing import landing_files
from loyalty_lake.io.lock import holds_lake
from loyalty_lake.pipeline.gold import build_gold
from loyalty_lake.pipeline.ingest import IngestReport, ingest
from loyalty_lake.pipeline.silver import build_silver
from loyalty_lake.progress import Progress, no_progress

if TYPE_CHECKING:
    from datetime import date

    from loyalty_lake.config import Config
    from loyalty_lake.io.lake import Lake
    from loyalty_lake.pipeline.gold import GoldReport
    from loyalty_lake.pipeline.silver import SilverReport

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did: one ingest report per landing batch, then each layer's report."""

    run_id: str
    ingests: tuple[IngestReport, ...]
    silver: SilverReport | None = None
    gold: GoldReport | None = None


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


@holds_lake
def build(
    *,
    lake: Lake,
    config: Config | None = None,
    landing: str | Path | None = None,
    as_of: date | None = None,
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
    if not lake.layer("bronze").is_dir():
        return BuildReport(run_id=run_id, ingests=reports)
    progress("Building silver", 0, 1)
    config = config or load_config()
    silver = build_silver(lake=lake, config=config, run_id=run_id, progress=progress)
    progress("Building silver", 1, 1)
    progress("Building gold", 0, 1)
    gold = build_gold(lake=lake, config=config, run_id=run_id, as_of=as_of)
    progress("Building gold", 1, 1)
    return BuildReport(run_id=run_id, ingests=reports, silver=silver, gold=gold)
