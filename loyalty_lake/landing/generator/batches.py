"""Writing the history: one owner-only folder of contract CSVs per batch, plus ground truth."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import polars as pl

from loyalty_lake.errors import ConfigError
from loyalty_lake.landing.contract import LANDING_FILES, REQUIRED_FILES
from loyalty_lake.landing.generator.history import history
from loyalty_lake.landing.generator.inventory import inventory_table
from loyalty_lake.landing.generator.options import GeneratorOptions, validate
from loyalty_lake.landing.generator.tables import DAY, DUP, ORD
from loyalty_lake.landing.generator.window import BatchSpan, Calendar, batch_spans
from loyalty_lake.progress import no_progress

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from loyalty_lake.landing.generator.inventory import Stock
    from loyalty_lake.landing.generator.tables import LandingTable
    from loyalty_lake.progress import Progress

logger = logging.getLogger(__name__)


#: Name of the ground-truth file in every batch folder.
GROUND_TRUTH_FILE: Final = "_ground_truth.csv"
#: Columns of ``_ground_truth.csv``, in order.
GROUND_TRUTH_COLUMNS: Final = (
    "file",
    "row_number",
    "kind",
    "column",
    "expected_reason",
    "transaction_id",
    "detail",
)


@dataclass(frozen=True, slots=True)
class GeneratedBatch:
    """One written batch folder.

    ``rows`` maps each written file, by its contract name (``sales_lines``, as
    in :data:`loyalty_lake.landing.contract.LANDING_FILES`), to its number of data
    rows; ``anomalies`` counts the batch's ground-truth rows.
    """

    batch_id: str
    path: Path
    rows: Mapping[str, int]
    anomalies: int


@dataclass(frozen=True, slots=True)
class GeneratedDataset:
    """Every batch written by one :func:`generate` call, oldest first."""

    root: Path
    batches: tuple[GeneratedBatch, ...]
    options: GeneratorOptions


def _ensure_writable(root: Path, spans: Iterable[BatchSpan]) -> None:
    """Raises ConfigError if ``root`` is a file or a batch folder exists and is not empty."""
    if root.exists() and not root.is_dir():
        raise ConfigError(
            f"Output path {root} exists and is not a folder.",
            hint="Pass a folder path as out_dir.",
        )
    for span in spans:
        folder = root / span.batch_id
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise ConfigError(
                f"Batch folder {folder} already exists and is not empty; refusing to overwrite it.",
                hint=f"Generate into an empty folder, or delete {folder} first.",
            )


def _make_private_folder(folder: Path) -> None:
    """Create ``folder`` owner-only (0o700, whatever the umask); leave an existing one as it is."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(folder, 0o700)


def _batch_rows(table: LandingTable, span: BatchSpan) -> pl.LazyFrame:
    """Returns the rows of ``table`` that belong to ``span``'s batch, in file order."""
    keep = pl.col(DAY).is_between(span.first_day, span.last_day)
    if "_superseded_on" in table.frame.columns:
        keep &= pl.col("_superseded_on").is_null() | (pl.col("_superseded_on") > span.last_day)
    return table.frame.lazy().filter(keep)


def _should_write(table: LandingTable, span: BatchSpan, rows: int) -> bool:
    """Whether a batch gets this file: never empty, except sales files and first-load masters."""
    return (
        rows > 0 or table.spec.name in REQUIRED_FILES or (span.is_first and not table.spec.is_fact)
    )


def _batch_truth(table: LandingTable, rows: pl.LazyFrame) -> pl.DataFrame:
    """Returns the ground-truth rows of one written file, numbered as written."""
    return (
        rows.select(ORD, DUP)
        .with_row_index("row_number", offset=1)
        .join(table.truth.lazy(), on=[ORD, DUP], how="inner")
        .sort("row_number")
        .select(
            pl.lit(table.spec.filename).alias("file"),
            pl.col("row_number").cast(pl.Int64),
            *GROUND_TRUTH_COLUMNS[2:],
        )
        .collect()
    )


def _empty_truth() -> pl.DataFrame:
    """Returns an empty ground-truth frame."""
    schema = dict.fromkeys(GROUND_TRUTH_COLUMNS, pl.String) | {"row_number": pl.Int64}
    return pl.DataFrame(schema=schema).select(GROUND_TRUTH_COLUMNS)


def _write_batches(
    root: Path,
    spans: Sequence[BatchSpan],
    tables: Mapping[str, LandingTable],
    stock: Stock,
    cal: Calendar,
    report: Progress,
) -> tuple[GeneratedBatch, ...]:
    """Returns the batches after writing their files and ground truth, oldest first."""
    plan: list[tuple[BatchSpan, LandingTable, int]] = []
    for span in spans:
        batch_tables = {**tables, "inventory": inventory_table(stock, span.inventory_days, cal)}
        for name in LANDING_FILES:
            table = batch_tables[name]
            rows = _batch_rows(table, span).select(pl.len()).collect().item()
            if _should_write(table, span, rows):
                plan.append((span, table, rows))
    total = len(plan) + len(spans)
    done = 0
    batches = []
    _make_private_folder(root)
    for span in spans:
        folder = root / span.batch_id
        _make_private_folder(folder)
        counts: dict[str, int] = {}
        truths = [_empty_truth()]
        for table_span, table, rows in plan:
            if table_span is not span:
                continue
            report(f"Writing {span.batch_id}/{table.spec.filename}", done, total)
            batch_rows = _batch_rows(table, span)
            table.written(batch_rows).sink_csv(folder / table.spec.filename)
            if table.truth.height:
                truths.append(_batch_truth(table, batch_rows))
            counts[table.spec.name] = rows
            done += 1
        truth = pl.concat(truths)
        report(f"Writing {span.batch_id}/{GROUND_TRUTH_FILE}", done, total)
        truth.write_csv(folder / GROUND_TRUTH_FILE)
        done += 1
        logger.debug("Wrote batch %s: %s, %d anomalies", span.batch_id, counts, truth.height)
        batches.append(
            GeneratedBatch(span.batch_id, folder, MappingProxyType(counts), truth.height)
        )
    report("Done", total, total)
    return tuple(batches)


def generate(
    out_dir: str | Path,
    options: GeneratorOptions | None = None,
    *,
    progress: Progress | None = None,
) -> GeneratedDataset:
    """Returns the dataset written to ``out_dir``: one folder of landing CSVs per batch.

    Each batch folder is named by the ISO date of its last day and holds the
    contract files plus ``_ground_truth.csv``. Raises ConfigError for invalid
    options or when a batch folder already exists and is not empty.
    """
    options = GeneratorOptions() if options is None else options
    validate(options)
    report = no_progress if progress is None else progress
    root = Path(out_dir)
    cal = Calendar(start=options.end_date - timedelta(days=options.days - 1), days=options.days)
    spans = batch_spans(options, cal)
    _ensure_writable(root, spans)
    logger.info(
        "Generating about %d sales lines over %d days (%s..%s) in %d batch(es) into %s",
        options.lines,
        options.days,
        cal.start,
        options.end_date,
        len(spans),
        root,
    )
    report("Generating history", 0, None)
    tables, stock = history(options, cal, spans[0].last_day)
    batches = _write_batches(root, spans, tables, stock, cal, report)
    logger.info(
        "Wrote %d batch(es) with %d injected anomalies",
        len(batches),
        sum(b.anomalies for b in batches),
    )
    return GeneratedDataset(root=root, batches=batches, options=options)
