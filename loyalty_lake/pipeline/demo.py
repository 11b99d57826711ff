"""Demo: generate a sample batch when the lake has none, then build everything."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loyalty_lake.landing import GeneratedDataset, GeneratorOptions, generate
from loyalty_lake.pipeline.build import BuildReport, build
from loyalty_lake.pipeline.status import TableStatus, status
from loyalty_lake.progress import Progress, no_progress

if TYPE_CHECKING:
    from datetime import date

    from loyalty_lake.config import Config
    from loyalty_lake.io.lake import Lake

log = logging.getLogger(__name__)

#: A small, realistic history: an initial load and two daily batches.
DEMO_OPTIONS = GeneratorOptions(lines=20_000, batches=3)


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What the demo did: the data it generated (if any), the build and the tables."""

    generated: GeneratedDataset | None
    build: BuildReport
    tables: tuple[TableStatus, ...]


def demo(
    *,
    lake: Lake,
    config: Config | None = None,
    as_of: date | None = None,
    options: GeneratorOptions = DEMO_OPTIONS,
    progress: Progress = no_progress,
) -> DemoReport:
    """Generate sample batches into ``<lake>/landing`` unless it has some, then build.

    Running the demo again reuses the landed batches, so it changes nothing.
    """
    has_batches = lake.landing.is_dir() and any(
        p.is_dir() and p.name[0] not in "._" for p in lake.landing.iterdir()
    )
    generated = None
    if not has_batches:
        log.info("Generating sample batches into %s", lake.landing)
        generated = generate(lake.landing, options, progress=progress)
    report = build(lake=lake, config=config, as_of=as_of, progress=progress)
    return DemoReport(generated=generated, build=report, tables=tuple(status(lake=lake)))
