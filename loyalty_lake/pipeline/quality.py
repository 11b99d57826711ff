"""The data quality report: rejects and warnings by reason, with example rows.

Also the normalisations silver applied and the references it could not check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import Reason, RedemptionStatus, RejectStatus
from loyalty_lake.config import IdRewrite, load_config
from loyalty_lake.errors import ConfigError, LakePathError
from loyalty_lake.gold.marts.quality import dq_summary, unchecked_references
from loyalty_lake.gold.rejects import rejects_after_gold
from loyalty_lake.io import catalog
from loyalty_lake.io.catalog import MANIFEST, NORMALISATIONS, REJECTS, WARNINGS
from loyalty_lake.io.lake import LakeLike, as_lake
from loyalty_lake.landing.contract import REDEMPTIONS, REFERENCES, batch_order
from loyalty_lake.pipeline.silver import conservation
from loyalty_lake.privacy import PERSONAL_COLUMNS, masked, masked_raw_values, shortened
from loyalty_lake.silver import profile
from loyalty_lake.silver.tables.common import Checks

if TYPE_CHECKING:
    from collections.abc import Collection

    from loyalty_lake.config import Config
    from loyalty_lake.io.lake import Lake


@dataclass(frozen=True, slots=True)
class DqReport:
    """Counts by table and reason, a few example rows of each, and conservation.

    The examples are for people to read: their ``message`` and ``raw_values`` are masked
    (no emails, phones or values of personal columns). ``normalisations`` counts
    the values silver read as what they certainly mean (table, column, kind,
    rows); ``references`` the accepted rows whose master key could not be
    checked (see :func:`~loyalty_lake.gold.marts.quality.unchecked_references`).
    """

    summary: pl.DataFrame
    examples: pl.DataFrame
    conservation: pl.DataFrame
    normalisations: pl.DataFrame = field(default_factory=pl.DataFrame)
    references: pl.DataFrame = field(default_factory=pl.DataFrame)
    #: ``dq.id_rewrites`` entries that would map unknown ids onto master keys (to review).
    suggestions: tuple[IdRewrite, ...] = ()

    @property
    def balanced(self) -> bool:
        """Whether every bronze row is in silver or in rejects, exactly once."""
        return self.conservation.is_empty() or bool(self.conservation["balanced"].all())


def dq_report(
    *, lake: LakeLike, batch_id: str | None = None, examples: int = 3, config: Config | None = None
) -> DqReport:
    """The data quality report of the lake (or of one batch).

    The examples' raw values are masked in the built-in personal columns and
    in ``privacy.personal_columns`` of ``config``. A lake with no landed batch,
    a batch that never landed and a negative number of examples are refused
    (:class:`LakePathError`, :class:`ConfigError`): an empty report would say
    all is well.
    """
    lake = as_lake(lake)
    _check_request(lake, batch_id=batch_id, examples=examples)
    config = config or load_config()
    personal = PERSONAL_COLUMNS | set(config.privacy.personal_columns)
    rejects = _rejects_with_refusals(lake)
    warnings = catalog.scan(lake, "silver", WARNINGS)
    if batch_id is not None:
        rejects = rejects.filter(pl.col("batch_id") == batch_id)
        warnings = warnings.filter(pl.col("batch_id") == batch_id)
    summary = (
        dq_summary(rejects, warnings)
        .group_by("table", "reason", "severity")
        .agg(pl.col("rows").sum(), pl.col("open_rows").sum())
        .sort("table", "severity", "rows", descending=[False, False, True])
        .collect()
    )
    sample = (
        rejects.select(
            "table",
            "batch_id",
            "source_file",
            "row_number",
            "reason_codes",
            "message",
            "raw_values",
            "status",
        )
        .with_columns(pl.col("reason_codes").list.first().alias("reason"))
        .sort("table", "reason", "batch_id", "row_number")
        .group_by("table", "reason", maintain_order=True)
        .head(examples)
        .collect()
    )
    if not examples:  # group_by().head(0) keeps a row of each group
        sample = sample.clear()
    balance = conservation(lake=lake)
    if batch_id is not None and balance.height:
        balance = balance.filter(pl.col("batch_id") == batch_id)
    normalised = catalog.scan(lake, "silver", NORMALISATIONS)
    if batch_id is not None:
        normalised = normalised.filter(pl.col("batch_id") == batch_id)
    by_kind = (
        normalised.group_by("table", "column", "kind")
        .agg(pl.col("rows").sum().cast(pl.Int64))
        .sort("table", "rows", descending=[False, True])
    )
    normalisations, references = pl.collect_all([by_kind, _references(lake, batch_id)])
    return DqReport(
        summary=summary,
        examples=_masked_examples(sample, personal),
        conservation=balance,
        normalisations=normalisations,
        references=references,
        suggestions=suggested_rewrites(lake=lake, config=config, batch_id=batch_id),
    )


def _rejects_with_refusals(lake: Lake) -> pl.LazyFrame:
    """Silver's rejects, and the redemptions gold refused (INSUFFICIENT_POINTS, stage gold)."""
    rejects = catalog.scan(lake, "silver", REJECTS)
    refused = catalog.scan(lake, "silver", REDEMPTIONS.name).join(
        catalog.scan(lake, "gold", "redemption_verdicts")
        .filter(pl.col("status") == RedemptionStatus.REFUSED)
        .select("redemption_id"),
        on="redemption_id",
        how="semi",
    )
    return pl.concat(
        [rejects, rejects_after_gold(rejects.clear(), refused)], how="diagonal_relaxed"
    )


def _check_request(lake: Lake, *, batch_id: str | None, examples: int) -> None:
    """Refuse a report that could only be empty for a wrong reason."""
    if examples < 0:
        raise ConfigError(
            f"The number of examples (--examples) must be 0 or more, not {examples}.",
            hint="It is the number of example rows per table and reason (default 3).",
        )
    if not catalog.exists(lake, "bronze", MANIFEST):
        raise LakePathError(
            f"No lake at {lake.root}: no batch has landed there.",
            hint="Pass the lake's folder with --lake, or run `loyalty-lake build` first.",
        )
    if batch_id is None:
        return
    batches = catalog.scan(lake, "bronze", MANIFEST).select("batch_id").unique().collect()
    known = sorted(batches["batch_id"].drop_nulls().to_list(), key=batch_order)
    if batch_id not in known:
        shown = ", ".join(known[-5:])
        raise LakePathError(
            f"Batch {batch_id!r} never landed in {lake.root}.",
            hint=f"Landed batches ({len(known)}), the latest: {shown}.",
        )


def _facts(lake: Lake, batch_id: str | None) -> dict[str, pl.LazyFrame]:
    """The silver fact tables that reference masters (rows of one batch, or all)."""
    facts = {}
    for table in {table for table, _ in REFERENCES}:
        rows = catalog.scan(lake, "silver", table)
        facts[table] = rows if batch_id is None else rows.filter(pl.col("_batch_id") == batch_id)
    return facts


def _references(lake: Lake, batch_id: str | None) -> pl.LazyFrame:
    """Accepted rows (of one batch) whose reference is not a master key (yet)."""
    masters = {master: catalog.scan(lake, "silver", master) for master, _ in REFERENCES.values()}
    return unchecked_references(_facts(lake, batch_id), masters)


#: The reason of a reference to each master that the master lacks.
_UNKNOWN = {
    "customers": Reason.UNKNOWN_CUSTOMER,
    "stores": Reason.UNKNOWN_STORE,
    "products": Reason.UNKNOWN_PRODUCT,
    "promotions": Reason.UNKNOWN_PROMOTION,
}


def suggested_rewrites(
    *, lake: Lake, config: Config, batch_id: str | None = None
) -> tuple[IdRewrite, ...]:
    """``dq.id_rewrites`` that map the ids silver could not find onto master keys.

    The ids are those of open UNKNOWN_* rejects and of accepted rows whose
    master landed later without them (UNVERIFIED_* that turned out unknown),
    read as silver reads them. An id is matched to a key only when it is equal
    once case, padding or a prefix are ignored, and to one key only (see
    :func:`loyalty_lake.silver.profile.matched_ids`); nothing is applied.
    """
    rejects = catalog.scan(lake, "silver", REJECTS).filter(pl.col("status") == RejectStatus.OPEN)
    if batch_id is not None:
        rejects = rejects.filter(pl.col("batch_id") == batch_id)
    facts = _facts(lake, batch_id)
    checks = Checks.from_config(config, now=datetime.now(UTC))
    found: list[IdRewrite] = []
    for (table, column), (master, key) in REFERENCES.items():
        keys = catalog.scan(lake, "silver", master).select(pl.col(key).alias("key"))
        rejected = rejects.filter(
            (pl.col("table") == table)
            & pl.col("reason_codes").list.contains(_UNKNOWN[master].value)
        ).select(pl.col("raw_values").str.json_path_match(f"$.{column}").alias(column))
        read = checks.parser(table, staged=False).ident(column).alias("id")
        ids = pl.concat([rejected.select(read), facts[table].select(pl.col(column).alias("id"))])
        unknown = (
            ids.filter(pl.col("id").is_not_null())
            .group_by("id")
            .agg(pl.len().alias("rows"))
            .join(keys.select(pl.col("key").alias("id")), on="id", how="anti")
        )
        pairs, master_keys = pl.collect_all([profile.matched_ids(unknown, keys), keys])
        found += profile.id_rewrites(pairs, master_keys, columns=[f"{table}.{column}"])
    return tuple(found)


def _masked_examples(examples: pl.DataFrame, personal: Collection[str]) -> pl.DataFrame:
    """The example rows with ``message`` and ``raw_values`` masked (a handful of rows)."""
    return examples.with_columns(
        pl.Series(
            "message",
            [None if m is None else masked(shortened(m)) for m in examples["message"]],
            dtype=pl.String,
        ),
        pl.Series(
            "raw_values",
            [None if r is None else masked_raw_values(r, personal) for r in examples["raw_values"]],
            dtype=pl.String,
        ),
    )
