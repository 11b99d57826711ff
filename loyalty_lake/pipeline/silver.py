"""Bronze → silver: read the new bronze files, run the silver checks, validate and write.

The checks themselves are pure functions (:mod:`loyalty_lake.silver.run`,
:mod:`~loyalty_lake.silver.reprocess`, :mod:`~loyalty_lake.silver.conservation`);
this module only reads, calls, validates and writes.

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
from functools import partial
from typing import TYPE_CHECKING

import pandera.errors
import polars as pl

from loyalty_lake import memory
from loyalty_lake.codes import FileStatus, Reason, Severity
from loyalty_lake.errors import ConservationError, ContractViolation
from loyalty_lake.io import catalog, delta, staging
from loyalty_lake.io.catalog import (
    FACTS,
    MANIFEST,
    MASTERS,
    NORMALISATIONS,
    PROCESSED,
    REJECTS,
    WARNINGS,
)
from loyalty_lake.io.lock import holds_lake
from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.progress import Progress, no_progress
from loyalty_lake.silver import conservation as balance
from loyalty_lake.silver import reprocess as retry
from loyalty_lake.silver import run
from loyalty_lake.silver.models import SILVER_MODELS, Rejects, Warnings, schema
from loyalty_lake.silver.split import silver_rows
from loyalty_lake.silver.tables import (
    LATER,
    Checks,
    Known,
    Later,
    OutlierStats,
    SalesEvidence,
    candidate_stats,
    outlier_candidates,
    outlier_lines,
    outlier_values,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from pathlib import Path

    import pandera.polars as pa

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
    log.debug("Silver: memory budget %s", memory.describe(config.memory_budget))
    outcomes = _process(
        lake,
        pending,
        checks=checks,
        part_lines=part_lines(config),
        run_id=run_id,
        progress=progress,
    )
    return pending.height, tuple(outcomes)


# --- reading -------------------------------------------------------------------------------


def _pending_files(lake: Lake) -> pl.DataFrame:
    """(table, file_sha256, batch_id, source_file) of bronze files silver has not processed."""
    done = catalog.scan(lake, "silver", PROCESSED).select("table", "file_sha256")
    files = [
        catalog.scan(lake, "bronze", name)
        .select("_file_sha256", "_batch_id", "_source_file")
        .unique()
        .with_columns(pl.lit(name).alias("table"))
        for name in LANDING_FILES
        if catalog.exists(lake, "bronze", name)
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


def _bronze(lake: Lake, name: str, shas: list[str]) -> pl.LazyFrame:
    """Bronze rows of table ``name`` of the given files (an empty frame if there are none)."""
    if not shas:
        return pl.LazyFrame(schema=catalog.table_schema("bronze", name))
    return catalog.scan(lake, "bronze", name).filter(pl.col("_file_sha256").is_in(shas))


def _masters(lake: Lake) -> Known:
    """The master data facts may reference: silver's masters."""
    return Known.from_masters(
        {name: catalog.scan(lake, "silver", name).collect() for name in MASTERS}
    )


# --- one run -------------------------------------------------------------------------------


def _process(
    lake: Lake,
    pending: pl.DataFrame,
    *,
    checks: Checks,
    part_lines: int,
    run_id: str,
    progress: Progress,
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
    bronze = {name: _bronze(lake, name, shas[name]) for name in LANDING_FILES}
    latest: dict[str, pl.DataFrame] = {}
    for name, plan in run.checked_masters(bronze, checks=checks).items():
        checked = plan.collect().lazy()
        out.split({name: checked}, silver=False)
        existing_master = catalog.scan(lake, "silver", name)
        latest[name] = run.latest_masters(existing_master, checked, LANDING_FILES[name]).collect()
    known = Known.from_masters(latest)
    # Silver as it was before this run (the run's own parts are written meanwhile).
    existing = {
        name: catalog.scan(
            lake, "silver", name, version=catalog.version(lake, "silver", name)
        ).filter(pl.col("_file_sha256").is_in(shas[name]).not_())
        for name in FACTS
    }
    # Masters first: facts are checked against them, and a crash leaves facts to redo.
    for name in MASTERS:
        if shas[name]:
            _write_master(lake, name, latest[name], meta)

    def write(checked: Mapping[str, pl.LazyFrame], *, replace: bool) -> None:
        for name, rows in out.split(checked)[0].items():
            _write_fact(lake, name, rows, shas[name], meta, replace=replace)

    with staging.staging(lake.layer("silver") / "_staging") as folder:
        parts = _SalesParts.of(bronze, folder, checks=checks, part_lines=part_lines)
        _check_sales(
            lake,
            parts,
            out,
            known=known,
            existing=existing,
            checks=checks,
            shas=shas,
            meta=meta,
            progress=progress,
        )
    others = [group for group in run.FACT_CHECKS if group != run.SALES]
    write(
        run.checked_facts(bronze, known=known, existing=existing, checks=checks, groups=others),
        replace=True,
    )

    every_sha = pending["file_sha256"].unique().to_list()
    rejects, warnings = out.rejects(), out.warnings()
    _validate(Rejects, rejects, "rejects")
    _validate(Warnings, warnings, "warnings")
    small = ((REJECTS, rejects), (WARNINGS, warnings), (NORMALISATIONS, out.normalisations()))
    for name, rows in small:
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


def _check_sales(
    lake: Lake,
    parts: _SalesParts,
    out: _Outputs,
    *,
    known: Known,
    existing: Mapping[str, pl.LazyFrame],
    checks: Checks,
    shas: Mapping[str, list[str]],
    meta: Mapping[str, str],
    progress: Progress,
) -> None:
    """Check and write the run's sales, part by part.

    Each part is judged against the whole run's files (their facts, and the
    outlier statistics of all their clean lines). Where OUTLIER only warns (the
    default), parts are checked without it and the lines it flags are judged
    once all parts are done (:func:`_judge_outliers`): their verdicts only add
    warnings. Where it rejects, the statistics are gathered first, in a pass
    over the parts.
    """
    outliers: OutlierStats | Later | None = None
    evidence = None
    later = parts.count > 1 and checks.severity.get(Reason.OUTLIER) is Severity.WARN
    if parts.count > 1:
        evidence = SalesEvidence(*pl.collect_all(run.sales_evidence(parts.bronze, checks=checks)))
        outliers = LATER if later else _outlier_stats(parts, known, existing, checks, evidence)
    candidates: list[pl.DataFrame] = []
    derive = {"sales_lines": partial(outlier_candidates, products=known.products)} if later else {}
    for number, part in enumerate(parts):
        if parts.count > 1:
            log.info("Checking sales, part %d of %d", number + 1, parts.count)
            progress("Checking sales, in parts", number, parts.count)
        sales = run.checked_facts(
            part,
            known=known,
            existing=existing,
            checks=checks,
            outliers=outliers,
            evidence=evidence,
            groups=[run.SALES],
        )
        rows, derived = out.split(sales, derive=derive)
        candidates += derived.values()
        for name, table in rows.items():
            _write_fact(lake, name, table, shas[name], meta, replace=number == 0)
    if later:
        _judge_outliers(
            parts, candidates, out, known=known, existing=existing, checks=checks, evidence=evidence
        )
    if parts.count > 1:
        progress("Checking sales, in parts", parts.count, parts.count)


def _outlier_stats(
    parts: _SalesParts,
    known: Known,
    existing: Mapping[str, pl.LazyFrame],
    checks: Checks,
    evidence: SalesEvidence,
) -> OutlierStats:
    """The outlier statistics of the clean lines of every part (a pass of their line rules)."""
    values = [
        outlier_values(
            part["sales_lines"],
            known=known,
            existing=existing["sales_lines"],
            checks=checks,
            evidence=evidence,
        )
        for part in parts
    ]
    return OutlierStats.of(pl.concat([v.collect() for v in values]).lazy()).collect()


def _judge_outliers(
    parts: _SalesParts,
    candidates: list[pl.DataFrame],
    out: _Outputs,
    *,
    known: Known,
    existing: Mapping[str, pl.LazyFrame],
    checks: Checks,
    evidence: SalesEvidence | None,
) -> None:
    """Judge OUTLIER on the parts' candidate lines, now that the whole run's statistics are known.

    The transactions of the lines it flags (few) are checked again, with the
    rule, and their lines' rejects and warnings replace those of the first check.
    """
    every = pl.concat(candidates).lazy()
    stats = candidate_stats(every).collect()
    flagged = outlier_lines(every, stats, checks.outlier_threshold).collect()
    if flagged.is_empty():
        return
    log.info("Judging %d outlier lines against the whole run's statistics", flagged.height)
    whole = {name: pl.concat([part[name] for part in parts]) for name in run.SALES}
    lines = whole["sales_lines"].join(
        flagged.lazy(), on=["_file_sha256", "_row_number"], how="semi"
    )
    groups = (
        run.with_sales_anchor(lines, "sales_lines", parts.anchors, checks=checks)
        .select(run.SALES_ANCHOR)
        .unique()
        .collect()[run.SALES_ANCHOR]
    )
    rechecked = run.checked_facts(
        run.anchored_rows(whole, parts.anchors, groups, checks=checks),
        known=known,
        existing=existing,
        checks=checks,
        outliers=stats,
        evidence=evidence,
        groups=[run.SALES],
    )
    out.amend("sales_lines", rechecked["sales_lines"], flagged)


#: Memory a run's check peaks at: about RUN_BYTES, plus LINE_BYTES per sales line
#: of a part (measured on the benchmark's 10M-line batch: 1.5 GiB plus 450-700 bytes).
RUN_BYTES = 3 * 2**29
LINE_BYTES = 800
#: The smallest part: below it, a part's fixed costs outweigh the memory it saves.
LEAST_PART_LINES = 200_000


def part_lines(config: Config) -> int:
    """Sales lines checked at once: as many as ``config.memory_budget`` allows.

    A bigger run checks its sales in parts of about this many lines, each part
    whole transactions (a return with its original sale), which bounds the
    memory of the checks (the run's outlier measures, rejects and warnings are
    still held whole). A part has costs of its own, so there are as few as fit.
    """
    return memory.rows_within(
        config.memory_budget, bytes_per_row=LINE_BYTES, fixed=RUN_BYTES, least=LEAST_PART_LINES
    )


@dataclass(frozen=True, slots=True)
class _SalesParts:
    """A run's bronze sales, in parts of whole transactions (see :func:`run.with_sales_part`).

    Several parts are written once to a staging folder and read back one by one.
    """

    count: int
    bronze: Mapping[str, pl.LazyFrame]
    folder: Path
    #: The returns' anchors (see :func:`run.sales_anchors`), when in several parts.
    anchors: pl.DataFrame = field(default_factory=pl.DataFrame)

    @classmethod
    def of(
        cls, bronze: Mapping[str, pl.LazyFrame], folder: Path, *, checks: Checks, part_lines: int
    ) -> _SalesParts:
        """Parts of about ``part_lines`` lines, staged in ``folder`` when more than one."""
        lines = bronze["sales_lines"].select(pl.len()).collect().item()
        count = max(-(-lines // part_lines), 1)
        size = -(-lines // count)
        if count == 1:
            return cls(count=count, bronze=bronze, folder=folder)
        log.info("Silver: %d sales lines, checked in %d parts of about %d", lines, count, size)
        anchors = run.sales_anchors(bronze["sales_header"], checks=checks).collect()
        for name in run.SALES:
            rows = run.with_sales_part(bronze[name], name, anchors, parts=count, checks=checks)
            staging.write_parts(folder / name, rows, part=run.SALES_PART)
        return cls(count=count, bronze=bronze, folder=folder, anchors=anchors)

    def __iter__(self) -> Iterator[dict[str, pl.LazyFrame]]:
        """Each part's bronze sales headers and lines."""
        if self.count == 1:
            yield {name: self.bronze[name] for name in run.SALES}
            return
        schemas = {name: self.bronze[name].collect_schema() for name in run.SALES}
        for part in range(self.count):
            yield {
                name: staging.scan_part(self.folder / name, part, schema=schemas[name])
                for name in run.SALES
            }


@dataclass
class _Outputs:
    """The small outputs of a run, gathered table by table: rejects, warnings, counts."""

    run_id: str
    now: datetime
    _rejects: list[pl.DataFrame] = field(default_factory=list, init=False)
    _warnings: list[pl.DataFrame] = field(default_factory=list, init=False)
    _counts: list[pl.DataFrame] = field(default_factory=list, init=False)
    _normalisations: list[pl.DataFrame] = field(default_factory=list, init=False)

    def split(
        self,
        checked: Mapping[str, pl.LazyFrame],
        *,
        silver: bool = True,
        derive: Mapping[str, Callable[[pl.LazyFrame], pl.LazyFrame]] | None = None,
    ) -> tuple[dict[str, pl.DataFrame], dict[str, pl.DataFrame]]:
        """Evaluate checked tables once; keep their small outputs, return their silver rows.

        ``derive[name]`` makes one more output of table ``name``'s checked rows,
        returned second.
        """
        derive = derive or {}
        plans = []
        for name, frame in checked.items():
            table = run.outputs(
                name, frame, run_id=self.run_id, now=self.now, derive=derive.get(name)
            )
            plans += table.plans() if silver else table.plans()[1:]
        done = iter(pl.collect_all(plans))
        rows, derived = {}, {}
        for name in checked:
            if silver:
                rows[name] = _validated(name, next(done))
            self._rejects.append(next(done))
            self._warnings.append(next(done))
            self._counts.append(next(done))
            self._normalisations.append(next(done))
            if name in derive:
                derived[name] = next(done)
        return rows, derived

    def amend(self, name: str, checked: pl.LazyFrame, rows: pl.DataFrame) -> None:
        """Replace the rejects and warnings of table ``name``'s ``rows`` by ``checked``'s.

        ``rows`` (``_file_sha256``, ``_row_number``) were checked again, in
        ``checked``, with a rule that only warns: whether they were accepted
        stays, their messages and warnings may change, and their files' counts
        of warned rows with them.
        """
        on = ["table", "file_sha256", "row_number"]
        keys = rows.select(
            pl.lit(name).alias("table"),
            pl.col("_file_sha256").alias("file_sha256"),
            pl.col("_row_number").cast(schema(Rejects)["row_number"]).alias("row_number"),
        )
        table = run.outputs(name, checked, run_id=self.run_id, now=self.now)
        rejects, warnings = pl.collect_all(
            [f.join(keys.lazy(), on=on, how="semi") for f in (table.rejects, table.warnings)]
        )
        every_warning = self.warnings()
        before = every_warning.join(keys, on=on, how="semi")
        self._rejects = [self.rejects().join(keys, on=on, how="anti"), rejects]
        self._warnings = [every_warning.join(keys, on=on, how="anti"), warnings]
        self._counts.append(run.warned_change(before, warnings))

    def rejects(self) -> pl.DataFrame:
        """Every reject of the run."""
        return pl.concat(self._rejects)

    def warnings(self) -> pl.DataFrame:
        """Every warning of the run."""
        return pl.concat(self._warnings)

    def normalisations(self) -> pl.DataFrame:
        """Every normalisation count of the run."""
        return pl.concat(self._normalisations)

    def processed_files(self) -> pl.DataFrame:
        """One row per processed bronze file: its rows accepted, rejected and warned."""
        return run.processed_files(pl.concat(self._counts), run_id=self.run_id, now=self.now)


# --- writing -------------------------------------------------------------------------------


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


def _mark(lake: Lake, keys: pl.DataFrame, *, now: datetime, meta: Mapping[str, str]) -> None:
    """Mark the rejects ``keys`` REPROCESSED."""
    delta.merge(
        lake.table("silver", REJECTS),
        retry.reprocessed_marks(keys, now=now),
        on=list(retry.REJECT_KEY),
        update={"status": "s.status", "reprocessed_at": "s.reprocessed_at"},
        metadata=meta,
    )


# --- reprocessing --------------------------------------------------------------------------


@holds_lake
def reprocess(*, lake: Lake, config: Config, run_id: str, now: datetime | None = None) -> int:
    """Retry open rejects whose only reasons a later master can cure; return rows promoted.

    A transaction is retried whole. Rows that now pass move into silver and
    their rejects are marked REPROCESSED; the others stay open. Rejects of run
    ``run_id`` itself are not retried: they were judged against the same masters.
    """
    if not catalog.exists(lake, "silver", REJECTS):
        return 0
    now = now or datetime.now(UTC)
    meta = {"run_id": run_id, "layer": "silver", "operation": "reprocess"}
    rejects = catalog.scan(lake, "silver", REJECTS)
    candidates = retry.retry_candidates(rejects, run_id=run_id).collect()
    if candidates.is_empty():
        return 0
    repaired = _mark_promoted_already(lake, candidates, now=now, meta=meta)
    candidates = candidates.join(repaired, on=list(retry.REJECT_KEY), how="anti")

    def retried(name: str) -> pl.LazyFrame:
        keys = retry.bronze_keys(candidates, name)
        bronze = _bronze(lake, name, keys["_file_sha256"].unique().to_list())
        return bronze.join(keys.lazy(), on=["_file_sha256", "_row_number"], how="semi")

    silver = {name: catalog.scan(lake, "silver", name) for name in FACTS}
    checked = run.checked_facts(
        {name: retried(name) for name in FACTS},
        known=_masters(lake),
        existing=silver,
        checks=Checks.from_config(config, now=now),
        outliers=silver["sales_lines"],
    )
    done = dict(zip(checked, pl.collect_all(list(checked.values())), strict=True))
    promoted = []
    for name, frame in done.items():
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
        promoted.append(retry.promoted(rows, name))
    if not promoted:
        return 0
    keys = pl.concat(promoted)
    _mark(lake, keys, now=now, meta=meta)
    log.info("Reprocessing promoted %d rejected rows into silver", keys.height)
    return keys.height


def _mark_promoted_already(
    lake: Lake, candidates: pl.DataFrame, *, now: datetime, meta: Mapping[str, str]
) -> pl.DataFrame:
    """Mark REPROCESSED the open rejects already in silver: a run stopped after promoting them.

    Returns the (table, file_sha256, row_number) it marked.
    """
    found = [
        candidates.filter(pl.col("table") == name).join(
            retry.promoted(
                catalog.scan(lake, "silver", name).select("_file_sha256", "_row_number").collect(),
                name,
            ),
            on=list(retry.REJECT_KEY),
            how="semi",
        )
        for name in FACTS
    ]
    repaired = pl.concat(found)
    if repaired.height:
        _mark(lake, repaired, now=now, meta=meta)
        log.info("Marked %d rejects promoted by an interrupted run", repaired.height)
    return repaired


# --- conservation --------------------------------------------------------------------------


def conservation(*, lake: Lake) -> pl.DataFrame:
    """Per table and batch: bronze rows, accepted, rejected, and whether they add up.

    See :func:`loyalty_lake.silver.conservation.conservation`.
    """
    landed = [name for name in LANDING_FILES if catalog.exists(lake, "bronze", name)]
    if not landed and not catalog.exists(lake, "bronze", MANIFEST):
        return pl.DataFrame()

    def rows_per_batch(layer: str, name: str, column: str) -> pl.LazyFrame:
        return (
            catalog.scan(lake, layer, name)  # type: ignore[arg-type]
            .group_by(pl.col("_batch_id").alias("batch_id"))
            .agg(pl.len().cast(pl.Int64).alias(column))
            .select(pl.lit(name).alias("table"), "batch_id", column)
        )

    none = {"table": pl.String, "batch_id": pl.String, "bronze_rows": pl.Int64}
    bronze = pl.concat(  # a lake whose only landed files had no rows has no bronze table
        [
            pl.LazyFrame(schema=none),
            *(rows_per_batch("bronze", name, "bronze_rows") for name in landed),
        ]
    )
    held = pl.concat([rows_per_batch("silver", name, "in_silver") for name in LANDING_FILES])
    manifest = (
        catalog.scan(lake, "bronze", MANIFEST)
        .filter(pl.col("status") == FileStatus.LANDED)
        .group_by("table", "batch_id")
        .agg(pl.col("rows").sum().alias("landed_rows"))
    )
    return balance.conservation(
        manifest,
        bronze,
        catalog.scan(lake, "silver", PROCESSED),
        catalog.scan(lake, "silver", REJECTS),
        held,
        facts=FACTS,
    ).collect()


def check_conservation(*, lake: Lake) -> pl.DataFrame:
    """Raise :class:`ConservationError` unless every bronze row is in silver or rejects once."""
    table = conservation(lake=lake)
    broken = table.filter(pl.col("balanced").not_()) if table.height else table
    if broken.height:
        first = broken.row(0, named=True)
        raise ConservationError(
            f"Rows are lost or counted twice for {broken.height} table/batch pair(s), e.g. "
            f"{first['table']} batch {first['batch_id']}: {first['landed_rows']} rows landed, "
            f"{first['bronze_rows']} in bronze, "
            f"{first['accepted']} accepted, {first['rejected']} rejected, "
            f"{first['in_silver']} in silver. Nothing was published.",
            hint="Bronze no longer holds rows its manifest says landed: put bronze back whole "
            "with `loyalty-lake restore bronze/landed_files VERSION`, or restore the table "
            "that lost them."
            if first["landed_rows"] != first["bronze_rows"]
            else "Run `loyalty-lake build` again (an interrupted run converges); if it "
            "persists, report it with `loyalty-lake dq` output.",
        )
    return table
