"""Build: land new batches, then run every layer after them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from loyalty_lake.codes import FileStatus
from loyalty_lake.config import load_config
from loyalty_lake.errors import LandingError
from loyalty_lake.io import catalog
from loyalty_lake.io.lake import LakeLike, as_lake
from loyalty_lake.io.landing import is_landing_name
from loyalty_lake.io.lock import holds_lake, writer_lock
from loyalty_lake.landing.contract import batch_order
from loyalty_lake.pipeline.gold import build_gold
from loyalty_lake.pipeline.ingest import IngestReport, ingest
from loyalty_lake.pipeline.silver import build_silver, check_conservation, reprocess
from loyalty_lake.privacy import printable
from loyalty_lake.progress import Progress, no_progress

if TYPE_CHECKING:
    from datetime import date

    from loyalty_lake.config import Config
    from loyalty_lake.io.lake import Lake
    from loyalty_lake.pipeline.gold import GoldReport
    from loyalty_lake.pipeline.silver import SilverReport

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RefusedBatch:
    """A landing batch that could not be landed at all (e.g. a linked folder), and why."""

    batch: str
    message: str


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a build did: one ingest report per landing batch, then each layer's report."""

    run_id: str
    ingests: tuple[IngestReport, ...]
    silver: SilverReport | None = None
    gold: GoldReport | None = None
    refused_batches: tuple[RefusedBatch, ...] = ()

    @property
    def refused_files(self) -> int:
        """Files of this build's batches that were refused."""
        return sum(r.count(FileStatus.REJECTED) for r in self.ingests)

    @property
    def clean(self) -> bool:
        """True when no batch and no file was refused."""
        return not self.refused_batches and not self.refused_files


def batch_folders(landing: Path) -> list[Path]:
    """The batch folders under ``landing``, oldest first (natural order: b9 before b10).

    A folder that holds CSV files itself is one batch; otherwise each of its
    sub-folders is a batch. A linked sub-folder is listed too: landing it is
    refused with a reason (links are never followed).
    """
    if not landing.is_dir():
        raise LandingError(
            f"Landing folder {landing} does not exist.",
            hint="Put batches in <lake>/landing/<batch>/ or pass a folder to build.",
        )
    entries = sorted(landing.iterdir())
    if any(p.is_file() and is_landing_name(p.name) for p in entries):
        return [landing]
    batches = [p for p in entries if (p.is_dir() or p.is_symlink()) and p.name[0] not in "._"]
    return sorted(batches, key=lambda p: batch_order(p.name))


@holds_lake
def build(
    *,
    lake: Lake,
    config: Config | None = None,
    landing: str | Path | None = None,
    as_of: date | None = None,
    progress: Progress = no_progress,
    keep_restored_gold: bool = False,
    full: bool = False,
) -> BuildReport:
    """Land every batch of ``landing`` (default ``<lake>/landing``) and build the layers.

    Batches that already landed are skipped file by file, so building twice
    changes nothing. Gold is brought up to date incrementally when it can be,
    recomputing only the customers the new rows touch; ``full`` recomputes it
    all (the result is the same). Gold that ``restore`` put back to an earlier snapshot is
    published again from silver, unless ``keep_restored_gold``: then it stays
    as restored (and behind silver) until a build without it.
    """
    run_id = uuid.uuid4().hex
    folder = Path(landing) if landing is not None else lake.landing
    batches = batch_folders(folder) if landing is not None or folder.is_dir() else []
    if not batches and (landing is not None or not lake.layer("bronze").is_dir()):
        log.warning("No landing batches in %s", folder)
    elif not batches:
        log.info("No landing batches in %s; building from what bronze holds", folder)
    config = config or load_config()
    reports: list[IngestReport] = []
    refused: list[RefusedBatch] = []
    for batch in batches:
        try:
            reports.append(
                ingest(batch, lake=lake, config=config, run_id=run_id, progress=progress)
            )
        except LandingError as exc:  # one bad batch never stops the others
            log.warning("Batch %s refused: %s", printable(batch.name), exc)
            refused.append(RefusedBatch(batch.name, str(exc)))
    landed = BuildReport(run_id=run_id, ingests=tuple(reports), refused_batches=tuple(refused))
    if not lake.layer("bronze").is_dir():
        return landed
    progress("Building silver", 0, 1)
    silver = build_silver(lake=lake, config=config, run_id=run_id, progress=progress)
    progress("Building silver", 1, 1)
    restored = catalog.gold_snapshot(lake).restored_from
    if keep_restored_gold and restored is not None:
        log.warning(
            "Gold stays as restored to snapshot %s (asked to keep it): it does not show this "
            "build's silver; build without --keep-restored-gold to publish it again",
            restored,
        )
        return replace(landed, silver=silver)
    progress("Building gold", 0, 1)
    gold = build_gold(lake=lake, config=config, run_id=run_id, as_of=as_of, full=full)
    progress("Building gold", 1, 1)
    return replace(landed, silver=silver, gold=gold)


@dataclass(frozen=True, slots=True)
class ReprocessReport:
    """What a reprocess did: rows promoted from rejects into silver, and gold if republished."""

    run_id: str
    promoted: int
    gold: GoldReport | None = None


def reprocess_rejects(
    lake: LakeLike, *, config: Config | None = None, as_of: date | None = None
) -> ReprocessReport:
    """Retry the open rejects whose cause may have gone (e.g. a customer that landed later).

    Rows that now pass move into silver (their rejects are marked REPROCESSED),
    conservation is checked, and gold is published again when anything moved.
    """
    lake = as_lake(lake)
    with writer_lock(lake):
        run_id = uuid.uuid4().hex
        config = config or load_config()
        promoted = reprocess(lake=lake, config=config, run_id=run_id)
        check_conservation(lake=lake)
        gold = (
            build_gold(lake=lake, config=config, run_id=run_id, as_of=as_of)
            if promoted or as_of is not None
            else None
        )
    return ReprocessReport(run_id=run_id, promoted=promoted, gold=gold)
