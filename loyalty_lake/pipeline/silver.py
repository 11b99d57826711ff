"""Bronze → silver: check new bronze files, write silver, rejects and warnings.

Incremental and idempotent: a bronze file (table, SHA-256) is processed once,
recorded in ``silver/processed_files`` after everything else it produced was
committed. Each write replaces exactly the rows of the files being processed
(or, for master data, the whole small table), so a run stopped half-way and
started again converges to the same tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pandera.errors
import pandera.polars as pa
import polars as pl

from loyalty_lake.codes import CURABLE, Reason, RejectStatus, Stage
from loyalty_lake.errors import ConservationError, ContractViolation
from loyalty_lake.io import catalog, delta, staging
from loyalty_lake.io.catalog import FACTS, MASTERS, PROCESSED, REJECTS, WARNINGS
from loyalty_lake.io.lock import holds_lake
from loyalty_lake.landing.contract import LANDING_FILES, LandingFile
from loyalty_lake.progress import Progress, no_progress
from loyalty_lake.silver import parse
from loyalty_lake.silver.checks import BATCH_ORDER, WARN_BITS, is_rejected
from loyalty_lake.silver.models import PROCESSED_FILES_SCHEMA, SILVER_MODELS, Rejects, Warnings
from loyalty_lake.silver.split import reject_rows, silver_rows, warning_rows
from loyalty_lake.silver.tables import (
    MASTER_CHECKS,
    Checks,
    Known,
    OutlierStats,
    checked_inventory,
    checked_redemptions,
    checked_sales,
    outlier_values,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path

    from loyalty_lake.config import Config
    from loyalty_lake.io.lake import Lake

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TableOutcome:
    """What one silver run did to one table."""

    table: str
    bronze_rows: int
    accepted: int
    rejected: int
    warned: int


@dataclass(frozen=True, slots=True)
class SilverReport:
    """What one silver run did."""

    run_id: str
    files: int
    tables: tuple[TableOutcome, ...]
    reprocessed: int


@holds_lake
def build_silver(
    *,
    lake: Lake,
    config: Config,
    run_id: str,
    now: datetime | None = None,
    progress: Progress = no_progress,
) -> SilverReport:
    """Process every bronze file silver has not seen, retry curable rejects, check conservation."""
    now = now or datetime.now(UTC)
    files, outcomes = process_new_files(
        lake=lake, config=config, run_id=run_id, now=now, progress=progress
    )
    promoted = reprocess(lake=lake, config=config, run_id=run_id, now=now)
    check_conservation(lake=lake)
    return SilverReport(run_id=run_id, files=files, tables=outcomes, reprocessed=promoted)


def process_new_files(
    *, lake: Lake, config: Config, run_id: str, now: datetime, progress: Progress = no_progress
) -> tuple[int, tuple[TableOutcome, ...]]:
    """Check the bronze files silver has not processed; return their count and outcomes.

    ``progress`` hears of each part of a big run's sales as it is checked.
    """
    pending = _pending_files(lake)
    if not pending.height:
        return 0, ()
    checks = Checks.from_config(config, now=now)
    outcomes = _process(lake, pending, checks=checks, run_id=run_id, progress=progress)
    return pending.height, tuple(outcomes)


# --- which bronze rows are new -------------------------------------------------------


def _pending_files(lake: Lake) -> pl.DataFrame:
    """(table, file_sha256, batch_id, source_file) of bronze files silver has not processed."""
    done = catalog.scan(lake, "silver", PROCESSED).select("table", "file_sha256")
    files = [
        delta.scan_table(lake.table("bronze", name))
        .select("_file_sha256", "_batch_id", "_source_file")
        .unique()
        .with_columns(pl.lit(name).alias("table"))
        for name in LANDING_FILES
        if delta.table_exists(lake.table("bronze", name))
    ]
    if not files:
        return pl.DataFrame(schema={"table": pl.String, "file_sha256": pl.String})
    return (
        pl.concat(files)
        .rename(
            {"_file_sha256": "file_sha256", "_batch_id": "batch_id", "_source_file": "source_file"}
        )
        .join(done, on=["table", "file_sha256"], how="anti")
        .collect()
    )


def _bronze(lake: Lake, spec: LandingFile, shas: list[str]) -> pl.LazyFrame:
    """Bronze rows of the given files (an empty frame if there are none)."""
    if not shas:
        return pl.LazyFrame(schema=catalog.table_schema("bronze", spec.name))
    return catalog.scan(lake, "bronze", spec.name).filter(pl.col("_file_sha256").is_in(shas))


# --- one run ---------------------------------------------------------------------------


def _process(
    lake: Lake, pending: pl.DataFrame, *, checks: Checks, run_id: str, progress: Progress
) -> list[TableOutcome]:
    shas = {
        name: pending.filter(pl.col("table") == name)["file_sha256"].to_list()
        for name in LANDING_FILES
    }
    batches = sorted(set(pending["batch_id"]))
    meta = {
        "run_id": run_id,
        "layer": "silver",
        "batch_id": batches[-1],
        "batches": ",".join(batches),
    }
    out = _Outputs(run_id=run_id, now=checks.now)
    current: dict[str, pl.DataFrame] = {}
    for name in MASTERS:
        spec = LANDING_FILES[name]
        checked = MASTER_CHECKS[name](_bronze(lake, spec, shas[name]), checks=checks).collect()
        out.add(name, checked.lazy())
        current[name] = _latest_versions(
            catalog.scan(lake, "silver", name), silver_rows(checked.lazy(), spec), spec
        )
    known = Known.from_masters(current)
    # Silver as it was before this run (the run's own parts are written meanwhile).
    existing = {
        name: catalog.scan(
            lake, "silver", name, version=delta.table_version(lake.table("silver", name))
        ).filter(pl.col("_file_sha256").is_in(shas[name]).not_())
        for name in FACTS
    }
    bronze = {name: _bronze(lake, LANDING_FILES[name], shas[name]) for name in FACTS}
    # Masters first: facts are checked against them, and a crash leaves facts to redo.
    for name in MASTERS:
        if shas[name]:
            _write_master(lake, name, current[name], meta)

    with staging.staging(lake.layer("silver") / "_staging") as folder:
        parts = _SalesPartitions.of(bronze["sales_header"], bronze["sales_lines"], folder)
        outliers = None
        if parts.count > 1:  # each part is judged against the whole run's lines
            values = [
                outlier_values(lines, known=known, existing=existing["sales_lines"], checks=checks)
                for _, lines in parts
            ]
            outliers = OutlierStats.of(pl.concat([v.collect() for v in values]).lazy()).collect()
        for part, (header, lines) in enumerate(parts):
            if parts.count > 1:
                log.info("Checking sales, part %d of %d", part + 1, parts.count)
                progress("Checking sales, in parts", part, parts.count)
            checked_header, checked_lines = checked_sales(
                header,
                lines,
                known=known,
                existing_header=existing["sales_header"],
                existing_lines=existing["sales_lines"],
                checks=checks,
                outliers=outliers,
            )
            frames = {"sales_header": checked_header, "sales_lines": checked_lines}
            for name, rows in out.split(frames).items():
                _write_fact(lake, name, rows, shas[name], meta, replace=part == 0)
        if parts.count > 1:
            progress("Checking sales, in parts", parts.count, parts.count)
    others = {
        "redemptions": checked_redemptions(
            bronze["redemptions"], known=known, existing=existing["redemptions"], checks=checks
        ),
        "inventory": checked_inventory(
            bronze["inventory"], known=known, existing=existing["inventory"], checks=checks
        ),
    }
    for name, rows in out.split(others).items():
        _write_fact(lake, name, rows, shas[name], meta, replace=True)

    every_sha = pending["file_sha256"].unique().to_list()
    rejects, warnings = out.rejects(), out.warnings()
    _validate(Rejects, rejects, "rejects")
    _validate(Warnings, warnings, "warnings")
    for name, rows in ((REJECTS, rejects), (WARNINGS, warnings)):
        delta.replace_where(
            lake.table("silver", name), rows, column="file_sha256", values=every_sha, metadata=meta
        )
    processed = out.processed_files()
    delta.write_table(lake.table("silver", PROCESSED), processed, mode="append", metadata=meta)
    totals = processed.group_by("table").agg(
        pl.col("bronze_rows", "accepted", "rejected", "warned").sum()
    )
    order = list(LANDING_FILES)
    return [
        TableOutcome(**row)
        for row in totals.sort(pl.col("table").replace_strict(order, range(len(order)))).rows(
            named=True
        )
    ]


#: Sales lines checked at once. A bigger run checks its sales in parts of about
#: this many lines, each part whole transactions (a return with its original
#: sale), which bounds the memory of the checks (the run's outlier measures,
#: rejects and warnings are still held whole).
PART_LINES = 2_000_000


@dataclass(frozen=True, slots=True)
class _SalesPartitions:
    """A run's bronze sales, in parts of whole transactions.

    A transaction's rows are in one part, and a RETURN goes with the sale it
    names (its anchor), so that every rule of a transaction, and whether a
    return's original is a clean sale, is decided within its part. The anchor
    of a transaction is decided by its first header row (later rows are
    duplicates). Several parts are written once to a staging folder and read
    back one by one.
    """

    count: int
    header: pl.LazyFrame
    lines: pl.LazyFrame
    folder: Path

    @classmethod
    def of(cls, header: pl.LazyFrame, lines: pl.LazyFrame, folder: Path) -> _SalesPartitions:
        """Parts of about :data:`PART_LINES` lines, staged in ``folder`` when more than one."""
        count = -(-lines.select(pl.len()).collect().item() // PART_LINES)
        parts = cls(count=max(count, 1), header=header, lines=lines, folder=folder)
        if parts.count > 1:
            part = parts._part(header)
            staging.write_parts(folder / "sales_header", header, part=part)
            staging.write_parts(folder / "sales_lines", lines, part=part)
        return parts

    def _part(self, header: pl.LazyFrame) -> pl.Expr:
        """The part of a header or line row: a hash of its transaction's anchor."""
        rows = header.select(
            parse.text("transaction_id").alias("transaction_id"),
            parse.code("transaction_type").alias("type"),
            parse.text("original_transaction_id").alias("anchor"),
            *BATCH_ORDER,
        )
        # Few transactions are returns: find their first rows only.
        maybe_returns = rows.filter(pl.col("type") == "RETURN").select("transaction_id").unique()
        returns = (
            rows.join(maybe_returns, on="transaction_id", how="semi")
            .group_by("transaction_id")
            .agg(pl.col("type", "anchor").sort_by(*BATCH_ORDER).first())
            .filter((pl.col("type") == "RETURN") & pl.col("anchor").is_not_null())
            .select("transaction_id", "anchor")
            .collect()
        )
        transaction = parse.text("transaction_id")
        anchor = transaction.replace_strict(
            returns["transaction_id"], returns["anchor"], default=transaction
        )
        return (anchor.hash(seed=0) % self.count).cast(pl.Int64)

    def __iter__(self) -> Iterator[tuple[pl.LazyFrame, pl.LazyFrame]]:
        """Each part's (header, lines) bronze rows."""
        if self.count == 1:
            yield self.header, self.lines
            return
        frames = {"sales_header": self.header, "sales_lines": self.lines}
        schemas = {name: frame.collect_schema() for name, frame in frames.items()}

        def scan(name: str, part: int) -> pl.LazyFrame:
            return staging.scan_part(self.folder / name, part, schema=schemas[name])

        for part in range(self.count):
            yield scan("sales_header", part), scan("sales_lines", part)


@dataclass
class _Outputs:
    """The small outputs of a run, gathered table by table: rejects, warnings, counts."""

    run_id: str
    now: datetime
    _rejects: list[pl.DataFrame] = field(default_factory=list, init=False)
    _warnings: list[pl.DataFrame] = field(default_factory=list, init=False)
    _counts: list[pl.DataFrame] = field(default_factory=list, init=False)

    def add(self, name: str, checked: pl.LazyFrame) -> None:
        """Keep the rejects, warnings and per-file counts of one checked table."""
        self.split({name: checked}, silver=False)

    def split(
        self, checked: Mapping[str, pl.LazyFrame], *, silver: bool = True
    ) -> dict[str, pl.DataFrame]:
        """Evaluate checked tables once; keep their small outputs, return their silver rows."""
        plans = []
        for name, plan in checked.items():
            spec = LANDING_FILES[name]
            frame = plan.cache()  # one evaluation feeds every output
            plans += [
                reject_rows(frame, spec, run_id=self.run_id, now=self.now),
                warning_rows(frame, spec, run_id=self.run_id, now=self.now),
                _file_counts(frame, name),
            ]
            if silver:
                plans.append(silver_rows(frame, spec))
        done = iter(pl.collect_all(plans))
        rows = {}
        for name in checked:
            self._rejects.append(next(done))
            self._warnings.append(next(done))
            self._counts.append(next(done))
            if silver:
                rows[name] = _validated(name, next(done))
        return rows

    def rejects(self) -> pl.DataFrame:
        """Every reject of the run."""
        return pl.concat(self._rejects)

    def warnings(self) -> pl.DataFrame:
        """Every warning of the run."""
        return pl.concat(self._warnings)

    def processed_files(self) -> pl.DataFrame:
        """One row per processed bronze file: its rows accepted, rejected and warned."""
        return (
            pl.concat(self._counts)
            .group_by("table", "batch_id", "source_file", "file_sha256")
            .agg(pl.col("bronze_rows", "accepted", "rejected", "warned").sum())
            .select(
                *PROCESSED_FILES_SCHEMA.names()[:8],
                pl.lit(self.run_id).alias("run_id"),
                pl.lit(self.now, dtype=pl.Datetime("us", "UTC")).alias("processed_at"),
            )
            .sort("table", "batch_id", "source_file")
        )


def _file_counts(checked: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """Per bronze file of a checked table: rows, accepted, rejected, warned."""
    return (
        checked.group_by(
            pl.col("_batch_id").alias("batch_id"),
            pl.col("_source_file").alias("source_file"),
            pl.col("_file_sha256").alias("file_sha256"),
        )
        .agg(
            pl.len().cast(pl.Int64).alias("bronze_rows"),
            is_rejected().not_().sum().cast(pl.Int64).alias("accepted"),
            is_rejected().sum().cast(pl.Int64).alias("rejected"),
            (is_rejected().not_() & (pl.col(WARN_BITS) != 0)).sum().cast(pl.Int64).alias("warned"),
        )
        .select(pl.lit(name).alias("table"), pl.all())
    )


def _write_fact(
    lake: Lake,
    name: str,
    rows: pl.DataFrame,
    shas: list[str],
    meta: Mapping[str, str],
    *,
    replace: bool,
) -> None:
    """Write a fact table's new rows: replacing its files' rows, or adding another part's."""
    path = lake.table("silver", name)
    if replace:
        delta.replace_where(path, rows, column="_file_sha256", values=shas, metadata=meta)
    elif rows.height:
        delta.write_table(path, rows, mode="append", metadata=meta)


def _latest_versions(
    existing: pl.LazyFrame, accepted: pl.LazyFrame, spec: LandingFile
) -> pl.DataFrame:
    """Master data: the latest accepted version of each key (the last batch wins)."""
    return (
        pl.concat([existing, accepted])
        .sort(list(BATCH_ORDER))
        .unique(subset=list(spec.key), keep="last", maintain_order=True)
        .collect()
    )


def _write_master(lake: Lake, name: str, rows: pl.DataFrame, meta: Mapping[str, str]) -> None:
    _validated(name, rows)
    delta.write_table(lake.table("silver", name), rows, mode="overwrite", metadata=meta)


def _validated(name: str, rows: pl.DataFrame) -> pl.DataFrame:
    return _validate(SILVER_MODELS[name], rows, name)


def _validate(model: type[pa.DataFrameModel], rows: pl.DataFrame, name: str) -> pl.DataFrame:
    try:
        return model.validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases.head(5)
        raise ContractViolation(
            f"Silver table {name} would break its contract ({len(exc.failure_cases)} failures), "
            f"e.g. {cases.select('column', 'check', 'failure_case').rows()}. Nothing was written.",
            hint="This is a bug in loyalty_lake's checks; please report it with the batch.",
        ) from exc


# --- reprocessing --------------------------------------------------------------------


@holds_lake
def reprocess(*, lake: Lake, config: Config, run_id: str, now: datetime | None = None) -> int:
    """Retry open rejects whose only reasons a later master can cure; return rows promoted.

    A transaction is retried whole. Rows that now pass move into silver and
    their rejects are marked REPROCESSED; the others stay open. Rejects of run
    ``run_id`` itself are not retried: they were judged against the same masters.
    """
    path = lake.table("silver", REJECTS)
    if not delta.table_exists(path):
        return 0
    now = now or datetime.now(UTC)
    checks = Checks.from_config(config, now=now)
    meta = {"run_id": run_id, "layer": "silver", "operation": "reprocess"}
    open_rejects = delta.scan_table(path).filter(
        (pl.col("status") == RejectStatus.OPEN) & (pl.col("run_id") != run_id)
    )
    curable = [r.value for r in CURABLE]
    cured_rows = open_rejects.with_columns(
        pl.col("reason_codes")
        .list.set_difference(pl.lit(curable))
        .list.len()
        .eq(0)
        .alias("_curable")
    )
    duplicate = pl.col("reason_codes").list.contains(Reason.DUPLICATE.value)
    blocked_transactions = (  # a duplicate row is not part of its transaction
        cured_rows.filter(pl.col("transaction_id").is_not_null() & duplicate.not_())
        .group_by("transaction_id", "batch_id")
        .agg(pl.col("_curable").all().alias("_all_curable"))
    )
    candidates = (
        cured_rows.join(blocked_transactions, on=["transaction_id", "batch_id"], how="left")
        .filter(pl.col("_curable") & pl.col("_all_curable").fill_null(True))
        .select("table", "file_sha256", "row_number")
        .collect()
    )
    if candidates.is_empty():
        return 0
    repaired = _mark_promoted_already(lake, candidates, now=now, meta=meta)
    if repaired.height:
        candidates = candidates.join(
            repaired, on=["table", "file_sha256", "row_number"], how="anti"
        )
    known = Known.from_masters(
        {name: catalog.scan(lake, "silver", name).collect() for name in MASTERS}
    )

    def retried(name: str) -> pl.LazyFrame:
        rows = candidates.filter(pl.col("table") == name).select(
            pl.col("file_sha256").alias("_file_sha256"), pl.col("row_number").alias("_row_number")
        )
        spec = LANDING_FILES[name]
        return _bronze(lake, spec, rows["_file_sha256"].unique().to_list()).join(
            rows.lazy(), on=["_file_sha256", "_row_number"], how="semi"
        )

    header, lines = checked_sales(
        retried("sales_header"),
        retried("sales_lines"),
        known=known,
        existing_header=catalog.scan(lake, "silver", "sales_header"),
        existing_lines=catalog.scan(lake, "silver", "sales_lines"),
        checks=checks,
        outliers=catalog.scan(lake, "silver", "sales_lines"),
    )
    redemptions = checked_redemptions(
        retried("redemptions"),
        known=known,
        existing=catalog.scan(lake, "silver", "redemptions"),
        checks=checks,
    )
    inventory = checked_inventory(
        retried("inventory"),
        known=known,
        existing=catalog.scan(lake, "silver", "inventory"),
        checks=checks,
    )
    frames = dict(zip(FACTS, pl.collect_all([header, lines, redemptions, inventory]), strict=True))
    promoted = []
    for name, frame in frames.items():
        rows = silver_rows(frame.lazy(), LANDING_FILES[name]).collect()
        if rows.is_empty():
            continue
        _validated(name, rows)
        delta.merge(
            lake.table("silver", name),
            rows,
            on=["_file_sha256", "_row_number"],
            insert=True,
            metadata=meta,
        )
        promoted.append(
            rows.select(
                pl.lit(name).alias("table"),
                pl.col("_file_sha256").alias("file_sha256"),
                pl.col("_row_number").alias("row_number"),
            )
        )
    if not promoted:
        return 0
    marks = pl.concat(promoted).with_columns(
        pl.lit(RejectStatus.REPROCESSED.value).alias("status"),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("reprocessed_at"),
    )
    delta.merge(
        path,
        marks,
        on=["table", "file_sha256", "row_number"],
        update={"status": "s.status", "reprocessed_at": "s.reprocessed_at"},
        metadata=meta,
    )
    log.info("Reprocessing promoted %d rejected rows into silver", marks.height)
    return marks.height


def _mark_promoted_already(
    lake: Lake, candidates: pl.DataFrame, *, now: datetime, meta: Mapping[str, str]
) -> pl.DataFrame:
    """Mark REPROCESSED the open rejects already in silver: a run stopped after promoting them.

    Returns the (table, file_sha256, row_number) it marked.
    """
    found = [
        candidates.filter(pl.col("table") == name).join(
            catalog.scan(lake, "silver", name)
            .select(
                pl.col("_file_sha256").alias("file_sha256"),
                pl.col("_row_number").alias("row_number"),
            )
            .collect(),
            on=["file_sha256", "row_number"],
            how="semi",
        )
        for name in FACTS
    ]
    repaired = pl.concat(found)
    if repaired.height:
        marks = repaired.with_columns(
            pl.lit(RejectStatus.REPROCESSED.value).alias("status"),
            pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("reprocessed_at"),
        )
        delta.merge(
            lake.table("silver", REJECTS),
            marks,
            on=["table", "file_sha256", "row_number"],
            update={"status": "s.status", "reprocessed_at": "s.reprocessed_at"},
            metadata=meta,
        )
        log.info("Marked %d rejects promoted by an interrupted run", repaired.height)
    return repaired


# --- conservation -------------------------------------------------------------------


def conservation(*, lake: Lake) -> pl.DataFrame:
    """Per table and batch: bronze rows, accepted, rejected, and whether they add up.

    ``accepted`` counts rows accepted when their file was processed plus rejects
    promoted later; for facts ``in_silver`` counts the rows silver really holds.
    """
    processed = catalog.scan(lake, "silver", PROCESSED)
    rejects = catalog.scan(lake, "silver", REJECTS).filter(
        pl.col("stage") == Stage.SILVER  # gold-stage rejects (points) stay in silver too
    )
    frames = []
    for name in LANDING_FILES:
        path = lake.table("bronze", name)
        if not delta.table_exists(path):
            continue
        bronze = (
            delta.scan_table(path)
            .group_by(pl.col("_batch_id").alias("batch_id"))
            .agg(pl.len().cast(pl.Int64).alias("bronze_rows"))
        )
        accepted = (
            processed.filter(pl.col("table") == name)
            .group_by("batch_id")
            .agg(pl.col("accepted").sum())
        )
        rejected = (
            rejects.filter(pl.col("table") == name)
            .group_by("batch_id")
            .agg(
                pl.len().cast(pl.Int64).alias("rejected"),
                (pl.col("status") == RejectStatus.REPROCESSED)
                .sum()
                .cast(pl.Int64)
                .alias("reprocessed"),
            )
        )
        frame = (
            bronze.join(accepted, on="batch_id", how="left")
            .join(rejected, on="batch_id", how="left")
            .with_columns(
                pl.lit(name).alias("table"),
                pl.col("accepted", "rejected", "reprocessed").fill_null(0),
            )
        )
        if name in FACTS:
            held = (
                catalog.scan(lake, "silver", name)
                .group_by(pl.col("_batch_id").alias("batch_id"))
                .agg(pl.len().cast(pl.Int64).alias("in_silver"))
            )
            frame = frame.join(held, on="batch_id", how="left").with_columns(
                pl.col("in_silver").fill_null(0)
            )
        else:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("in_silver"))
        frames.append(frame)
    if not frames:
        return pl.DataFrame()
    return (
        pl.concat(frames, how="diagonal")
        .with_columns(
            (
                (pl.col("bronze_rows") == pl.col("accepted") + pl.col("rejected"))
                & (
                    pl.col("in_silver").is_null()
                    | (pl.col("in_silver") == pl.col("accepted") + pl.col("reprocessed"))
                )
            ).alias("balanced")
        )
        .select(
            "table",
            "batch_id",
            "bronze_rows",
            "accepted",
            "rejected",
            "reprocessed",
            "in_silver",
            "balanced",
        )
        .sort("table", "batch_id")
        .collect()
    )


def check_conservation(*, lake: Lake) -> pl.DataFrame:
    """Raise :class:`ConservationError` unless every bronze row is in silver or rejects once."""
    table = conservation(lake=lake)
    broken = table.filter(pl.col("balanced").not_()) if table.height else table
    if broken.height:
        first = broken.row(0, named=True)
        raise ConservationError(
            f"Rows are lost or counted twice for {broken.height} table/batch pair(s), e.g. "
            f"{first['table']} batch {first['batch_id']}: {first['bronze_rows']} bronze rows, "
            f"{first['accepted']} accepted, {first['rejected']} rejected, "
            f"{first['in_silver']} in silver. Nothing was published.",
            hint="Run `loyalty-lake build` again (an interrupted run converges); if it persists, "
            "report it with `loyalty-lake dq` output.",
        )
    return table
