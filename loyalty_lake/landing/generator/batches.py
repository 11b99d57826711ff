"""Writing the history: one owner-only folder of contract CSVs per batch, plus ground truth.

With export styles (:mod:`.styles`) each file is written as its table's
:class:`~.styles.FileStyle` says (:mod:`.export`); the batch then also reports
the normalisations silver will count (``_normalisations.csv``) and, when the
dataset needs settings to be read as meant, ``_settings.toml``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import polars as pl

from loyalty_lake.errors import ConfigError
from loyalty_lake.landing.contract import LANDING_FILES, REQUIRED_FILES
from loyalty_lake.landing.generator.export import write_styled
from loyalty_lake.landing.generator.history import history
from loyalty_lake.landing.generator.inventory import inventory_table
from loyalty_lake.landing.generator.options import GeneratorOptions, validate
from loyalty_lake.landing.generator.settings import SETTINGS_FILE, DatasetSettings
from loyalty_lake.landing.generator.styles import (
    CONFIGURED_ALIASES,
    ExportStyle,
    FileStyle,
    file_rng,
    file_styles,
    null_token,
    resolve_styles,
    styled_file,
)
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
#: Name of the file of injected normalisations in every styled batch folder.
NORMALISATIONS_FILE: Final = "_normalisations.csv"
#: The injected normalisations: per file, column and kind, how many values silver normalises.
NORMALISATIONS_SCHEMA: Final = pl.Schema(
    {"table": pl.String, "column": pl.String, "kind": pl.String, "rows": pl.Int64}
)
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
    rows; ``anomalies`` counts the batch's ground-truth rows. ``files`` maps the
    contract name to the file's name as written (``store_sales_line_items.zip``
    with styles). ``normalisations`` holds, per ``table``, ``column`` and ``kind``
    (a :class:`~loyalty_lake.codes.NormalisationKind`), how many ``rows`` of the
    batch silver normalises, counted as silver counts them (empty without styles).
    """

    batch_id: str
    path: Path
    rows: Mapping[str, int]
    anomalies: int
    files: Mapping[str, str] = field(default_factory=dict)
    normalisations: pl.DataFrame = field(
        default_factory=NORMALISATIONS_SCHEMA.to_frame, compare=False
    )


@dataclass(frozen=True, slots=True)
class GeneratedDataset:
    """Every batch written by one :func:`generate` call, oldest first.

    ``settings`` are what a configuration must say to read the batches as
    meant (empty unless styles need it; see :class:`DatasetSettings`).
    """

    root: Path
    batches: tuple[GeneratedBatch, ...]
    options: GeneratorOptions
    settings: DatasetSettings = field(default_factory=DatasetSettings)

    @property
    def normalisations(self) -> pl.DataFrame:
        """The injected normalisations of every batch, with its ``batch_id`` first."""
        frames = [
            b.normalisations.select(pl.lit(b.batch_id).alias("batch_id"), pl.all())
            for b in self.batches
        ]
        empty = NORMALISATIONS_SCHEMA.to_frame().select(
            pl.lit(None, pl.String).alias("batch_id"), pl.all()
        )
        return pl.concat([empty, *frames])


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


def _batch_truth(table: LandingTable, rows: pl.LazyFrame, filename: str) -> pl.DataFrame:
    """Returns the ground-truth rows of one written file, numbered as written."""
    return (
        rows.select(ORD, DUP)
        .with_row_index("row_number", offset=1)
        .join(table.truth.lazy(), on=[ORD, DUP], how="inner")
        .sort("row_number")
        .select(
            pl.lit(filename).alias("file"),
            pl.col("row_number").cast(pl.Int64),
            *GROUND_TRUTH_COLUMNS[2:],
        )
        .collect()
    )


def _restyled_details(
    truth: pl.DataFrame, plain: pl.DataFrame, written: pl.DataFrame
) -> pl.DataFrame:
    """Returns ``truth`` whose details quote each corrupted value as written (``'-3.0'``).

    Cosmetic padding is left out: a detail quotes the value trimmed.
    """
    parts = [truth.filter(pl.col("column").is_null() | ~pl.col("column").is_in(plain.columns))]
    for column in truth["column"].drop_nulls().unique(maintain_order=True):
        if column not in plain.columns:
            continue
        values = pl.DataFrame(
            {
                "row_number": pl.int_range(1, plain.height + 1, eager=True, dtype=pl.Int64),
                "_old": plain[column],
                "_new": written[column].str.strip_chars(),
            }
        )
        mine = truth.filter(pl.col("column") == column).join(
            values, on="row_number", how="left", maintain_order="left"
        )
        changed = pl.col("_old").is_not_null() & pl.col("_new").is_not_null()
        changed &= pl.col("_old") != pl.col("_new")
        quoted_new = pl.lit("'") + pl.col("_new") + "'"
        detail = (
            pl.col("detail").str.split(pl.lit("'") + pl.col("_old") + "'").list.join(quoted_new)
        )
        parts.append(
            mine.with_columns(
                pl.when(changed).then(detail).otherwise(pl.col("detail")).alias("detail")
            ).drop("_old", "_new")
        )
    return pl.concat(parts).sort("row_number")


def _empty_truth() -> pl.DataFrame:
    """Returns an empty ground-truth frame."""
    schema = dict.fromkeys(GROUND_TRUTH_COLUMNS, pl.String) | {"row_number": pl.Int64}
    return pl.DataFrame(schema=schema).select(GROUND_TRUTH_COLUMNS)


@dataclass(frozen=True, slots=True)
class _Written:
    """One written file: its name, ground truth and injected normalisations."""

    name: str
    truth: pl.DataFrame | None
    normalisations: pl.DataFrame
    unproven: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Writer:
    """Writes the files of a dataset: plainly, or each table in its :class:`FileStyle`."""

    seed: int
    styles: Mapping[str, FileStyle] | None

    def write(self, folder: Path, table: LandingTable, rows: pl.LazyFrame, batch: int) -> _Written:
        """Writes ``table``'s ``rows`` (one batch's) into ``folder``."""
        name = table.spec.name
        if self.styles is None:
            table.written(rows).sink_csv(folder / table.spec.filename)
            truth = _batch_truth(table, rows, table.spec.filename) if table.truth.height else None
            return _Written(table.spec.filename, truth, NORMALISATIONS_SCHEMA.to_frame())
        style = self.styles[name]
        rng = file_rng(self.seed, batch, name)
        plain = table.written(rows).collect()
        styled = styled_file(plain, style, rng, token=null_token(self.seed, batch, name))
        filename = write_styled(folder, style, styled, rng)
        truth = None
        if table.truth.height:
            truth = _restyled_details(_batch_truth(table, rows, filename), plain, styled.frame)
        counts = styled.counts.select(pl.lit(name).alias("table"), pl.all())
        return _Written(filename, truth, counts, styled.unproven)


def _settings(
    styles: Mapping[str, FileStyle] | None, written: Mapping[str, set[str]], unproven: set[str]
) -> DatasetSettings:
    """Returns the settings the written files need: decimal commas, date orders, aliases."""
    if styles is None:
        return DatasetSettings()
    comma = tuple(
        t for t, s in styles.items() if s.decimal_comma and s.money_columns and t in written
    )
    dates = {
        f"{t}.{c}": "day-first" if styles[t].dates[c] is ExportStyle.DAY_FIRST else "month-first"
        for t, c in sorted(key.split(".", 1) for key in unproven)
    }
    aliases = {}
    if styles["sales_lines"].has(ExportStyle.ALIASES):
        aliases = {k: v for k, v in CONFIGURED_ALIASES.items() if k.partition(".")[0] in written}
    return DatasetSettings(
        decimal_comma=comma,
        dates=MappingProxyType(dates),
        column_aliases=MappingProxyType(aliases),
    )


def _write_batches(
    root: Path,
    spans: Sequence[BatchSpan],
    tables: Mapping[str, LandingTable],
    stock: Stock,
    cal: Calendar,
    report: Progress,
    writer: _Writer,
) -> tuple[tuple[GeneratedBatch, ...], DatasetSettings]:
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
    written: dict[str, set[str]] = {}
    unproven: set[str] = set()
    _make_private_folder(root)
    for number, span in enumerate(spans):
        folder = root / span.batch_id
        _make_private_folder(folder)
        counts: dict[str, int] = {}
        files: dict[str, str] = {}
        truths = [_empty_truth()]
        normalisations = [NORMALISATIONS_SCHEMA.to_frame()]
        for table_span, table, rows in plan:
            if table_span is not span:
                continue
            name = table.spec.name
            report(f"Writing {span.batch_id}/{table.spec.filename}", done, total)
            result = writer.write(folder, table, _batch_rows(table, span), number)
            if result.truth is not None:
                truths.append(result.truth)
            normalisations.append(result.normalisations)
            unproven |= {f"{name}.{column}" for column in result.unproven}
            written.setdefault(name, set()).add(span.batch_id)
            counts[name] = rows
            files[name] = result.name
            done += 1
        truth = pl.concat(truths)
        report(f"Writing {span.batch_id}/{GROUND_TRUTH_FILE}", done, total)
        truth.write_csv(folder / GROUND_TRUTH_FILE)
        injected = pl.concat(normalisations)
        if writer.styles is not None:
            injected.write_csv(folder / NORMALISATIONS_FILE)
        done += 1
        logger.debug("Wrote batch %s: %s, %d anomalies", span.batch_id, counts, truth.height)
        batches.append(
            GeneratedBatch(
                span.batch_id,
                folder,
                MappingProxyType(counts),
                truth.height,
                MappingProxyType(files),
                injected,
            )
        )
    settings = _settings(writer.styles, written, unproven)
    if settings:
        for batch in batches:
            (batch.path / SETTINGS_FILE).write_text(settings.toml())
    report("Done", total, total)
    return tuple(batches), settings


def generate(
    out_dir: str | Path,
    options: GeneratorOptions | None = None,
    *,
    progress: Progress | None = None,
) -> GeneratedDataset:
    """Returns the dataset written to ``out_dir``: one folder of landing CSVs per batch.

    Each batch folder is named by the ISO date of its last day and holds the
    contract files plus ``_ground_truth.csv`` (with styles also
    ``_normalisations.csv`` and, if the dataset needs settings, ``_settings.toml``).
    Raises ConfigError for invalid options or when a batch folder already
    exists and is not empty.
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
    styles = resolve_styles(options.styles)
    writer = _Writer(options.seed, file_styles(styles, options.seed) if styles else None)
    batches, settings = _write_batches(root, spans, tables, stock, cal, report, writer)
    logger.info(
        "Wrote %d batch(es) with %d injected anomalies",
        len(batches),
        sum(b.anomalies for b in batches),
    )
    return GeneratedDataset(root=root, batches=batches, options=options, settings=settings)
