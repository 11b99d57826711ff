"""The silver run, declared: pure functions from bronze rows to checked tables and outputs.

A run checks the bronze files silver has not seen:

1. master data first (:func:`checked_masters`), whole (it is small); the
   latest accepted version of each key (:func:`latest_masters`) is what the
   facts may reference (:class:`~loyalty_lake.silver.tables.Known`);
2. the facts against those masters (:func:`checked_facts`): a transaction's
   header and lines together, all or nothing, the other facts alone. A big
   run checks its sales in parts of whole transactions (:func:`sales_anchors`
   and :func:`with_sales_part` say which part a row belongs to);
3. every checked table splits once (:func:`outputs`) into its silver rows,
   rejects, warnings and per-file counts (:func:`processed_files`).

Reprocessing (:mod:`.reprocess`) runs the same fact checks on the rejects a
late master may cure; conservation (:mod:`.conservation`) checks the counts.
The pipeline (:mod:`loyalty_lake.pipeline.silver`) reads, calls, validates
and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import polars as pl

from loyalty_lake.codes import TransactionType
from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.silver import parse, tables
from loyalty_lake.silver.checks import BATCH_ORDER, WARN_BITS, is_rejected
from loyalty_lake.silver.models import NORMALISATIONS_SCHEMA, PROCESSED_FILES_SCHEMA
from loyalty_lake.silver.split import reject_rows, silver_rows, warning_rows
from loyalty_lake.silver.tables import (
    MASTER_CHECKS,
    Checks,
    Known,
    Later,
    OutlierStats,
    SalesEvidence,
    checked_inventory,
    checked_redemptions,
    checked_sales,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from datetime import datetime

    from loyalty_lake.landing.contract import LandingFile


# --- master data ---------------------------------------------------------------------------


def checked_masters(
    bronze: Mapping[str, pl.LazyFrame], *, checks: Checks
) -> dict[str, pl.LazyFrame]:
    """Each master table's bronze rows (``bronze[name]``), typed and checked."""
    return {name: check(bronze[name], checks=checks) for name, check in MASTER_CHECKS.items()}


def latest_masters(
    existing: pl.LazyFrame, checked: pl.LazyFrame, spec: LandingFile
) -> pl.LazyFrame:
    """Master data: the latest accepted version of each key (the last batch wins)."""
    return (
        pl.concat([existing, silver_rows(checked, spec)])
        .sort(list(BATCH_ORDER))
        .unique(subset=list(spec.key), keep="last", maintain_order=True)
    )


# --- facts ---------------------------------------------------------------------------------


class FactCheck(Protocol):
    """Checks a group of fact tables: bronze rows in, checked rows out, by table name."""

    def __call__(
        self,
        bronze: Mapping[str, pl.LazyFrame],
        *,
        known: Known,
        existing: Mapping[str, pl.LazyFrame],
        checks: Checks,
        outliers: OutlierStats | pl.LazyFrame | Later | None,
        evidence: SalesEvidence | None,
    ) -> dict[str, pl.LazyFrame]:
        """The checked rows of each table of the group."""
        ...


def _sales(
    bronze: Mapping[str, pl.LazyFrame],
    *,
    known: Known,
    existing: Mapping[str, pl.LazyFrame],
    checks: Checks,
    outliers: OutlierStats | pl.LazyFrame | Later | None,
    evidence: SalesEvidence | None,
) -> dict[str, pl.LazyFrame]:
    header, lines = checked_sales(
        bronze["sales_header"],
        bronze["sales_lines"],
        known=known,
        existing_header=existing["sales_header"],
        existing_lines=existing["sales_lines"],
        checks=checks,
        outliers=outliers,
        evidence=evidence,
    )
    return {"sales_header": header, "sales_lines": lines}


def _alone(name: str, check: Callable[..., pl.LazyFrame]) -> FactCheck:
    """The check of fact table ``name`` on its own, by ``check(bronze, known=, ...)``."""

    def checked(
        bronze: Mapping[str, pl.LazyFrame],
        *,
        known: Known,
        existing: Mapping[str, pl.LazyFrame],
        checks: Checks,
        outliers: OutlierStats | pl.LazyFrame | Later | None,
        evidence: SalesEvidence | None,
    ) -> dict[str, pl.LazyFrame]:
        return {name: check(bronze[name], known=known, existing=existing[name], checks=checks)}

    return checked


#: The fact tables, by how they are checked: a transaction's header and lines
#: together, every other fact alone. A new fact table is one entry here.
FACT_CHECKS: Mapping[tuple[str, ...], FactCheck] = {
    ("sales_header", "sales_lines"): _sales,
    ("redemptions",): _alone("redemptions", checked_redemptions),
    ("inventory",): _alone("inventory", checked_inventory),
}
SALES = ("sales_header", "sales_lines")


def checked_facts(
    bronze: Mapping[str, pl.LazyFrame],
    *,
    known: Known,
    existing: Mapping[str, pl.LazyFrame],
    checks: Checks,
    outliers: OutlierStats | pl.LazyFrame | Later | None = None,
    evidence: SalesEvidence | None = None,
    groups: Sequence[tuple[str, ...]] | None = None,
) -> dict[str, pl.LazyFrame]:
    """Each fact table's bronze rows, typed and checked against ``known`` masters.

    ``existing`` holds each fact table's silver rows (new keys only may enter);
    ``outliers`` is what sales lines are judged against (see
    :func:`~loyalty_lake.silver.tables.checked_sales`); ``groups`` limits the
    run to some of :data:`FACT_CHECKS` (default: all of them); ``evidence``
    holds the facts of whole sales files when the rows are a part of them.
    """
    checked: dict[str, pl.LazyFrame] = {}
    for group in groups or tuple(FACT_CHECKS):
        check = FACT_CHECKS[group]
        checked |= check(
            bronze,
            known=known,
            existing=existing,
            checks=checks,
            outliers=outliers,
            evidence=evidence,
        )
    return checked


def sales_evidence(
    bronze: Mapping[str, pl.LazyFrame], *, checks: Checks
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Plans of the facts of the whole run's sales files, headers and lines.

    Collected, they make the :class:`~loyalty_lake.silver.tables.SalesEvidence`
    of a run checked in parts.
    """
    return tables.sales_evidence(bronze["sales_header"], bronze["sales_lines"], checks=checks)


def sales_anchors(header: pl.LazyFrame, *, checks: Checks) -> pl.LazyFrame:
    """Bronze sales headers → one row per RETURN transaction: ``transaction_id``, ``anchor``.

    The anchor is the sale the return names; a transaction's rows, and a
    return's with its sale, must be checked in the same part. A transaction's
    first header row decides (later rows are duplicates). Few transactions are
    returns: only their rows are grouped.
    """
    p = checks.parser("sales_header")  # ids read as the checks read them
    read = [
        p.ident("transaction_id").alias("transaction_id"),
        p.code("transaction_type").alias("type"),
        p.ident("original_transaction_id").alias("anchor"),
    ]
    rows = p.prepared(header).select(*read, *BATCH_ORDER)
    is_return = pl.col("type") == TransactionType.RETURN
    maybe_returns = rows.filter(is_return).select("transaction_id").unique()
    return (
        rows.join(maybe_returns, on="transaction_id", how="semi")
        .group_by("transaction_id")
        .agg(pl.col("type", "anchor").sort_by(*BATCH_ORDER).first())
        .filter(is_return & pl.col("anchor").is_not_null())
        .select("transaction_id", "anchor")
    )


#: The columns :func:`with_sales_anchor` and :func:`with_sales_part` add.
SALES_ANCHOR, SALES_PART = "_sales_anchor", "_sales_part"


def with_sales_anchor(
    bronze: pl.LazyFrame, table: str, anchors: pl.DataFrame, *, checks: Checks
) -> pl.LazyFrame:
    """Bronze sales rows of ``table`` with their transaction's anchor in ``_sales_anchor``.

    The anchor (:func:`sales_anchors`) is the transaction itself, or for a return
    the sale it names: rows with the same anchor are checked together. The
    transaction id is read as the table's checks read it, its reading's steps
    computed once, and the few returns find their anchor by a join (a lookup by
    value over every row costs several times more).
    """
    p = checks.parser(table)
    read = p.ident("transaction_id")  # registers the reading's steps: before prepared()
    transaction, anchor = "_sales_transaction", "_sales_return_anchor"
    named = anchors.lazy().rename({"transaction_id": transaction, "anchor": anchor})
    return (
        p.prepared(bronze)
        .with_columns(read.alias(transaction))
        .join(named, on=transaction, how="left")
        .select(
            *bronze.collect_schema().names(),
            pl.coalesce(anchor, transaction).alias(SALES_ANCHOR),
        )
    )


def with_sales_part(
    bronze: pl.LazyFrame, table: str, anchors: pl.DataFrame, *, parts: int, checks: Checks
) -> pl.LazyFrame:
    """Bronze sales rows of ``table`` with their part (0 ≤ part < ``parts``) in ``_sales_part``.

    A hash of the row's anchor (:func:`with_sales_anchor`).
    """
    anchored = with_sales_anchor(bronze, table, anchors, checks=checks)
    part = (pl.col(SALES_ANCHOR).hash(seed=0) % parts).cast(pl.Int64).alias(SALES_PART)
    return anchored.select(*bronze.collect_schema().names(), part)


# --- outputs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableOutputs:
    """What one checked table becomes (lazy: one evaluation of the checks feeds them all)."""

    silver: pl.LazyFrame
    rejects: pl.LazyFrame
    warnings: pl.LazyFrame
    counts: pl.LazyFrame
    normalisations: pl.LazyFrame
    #: What ``derive`` (given to :func:`outputs`) makes of the checked rows, if given.
    derived: pl.LazyFrame | None = None

    def plans(self) -> list[pl.LazyFrame]:
        """The plans, in field order (to collect them together); ``derived`` last, if any."""
        plans = [self.silver, self.rejects, self.warnings, self.counts, self.normalisations]
        return plans if self.derived is None else [*plans, self.derived]


def outputs(
    name: str,
    checked: pl.LazyFrame,
    *,
    run_id: str,
    now: datetime,
    derive: Callable[[pl.LazyFrame], pl.LazyFrame] | None = None,
) -> TableOutputs:
    """Silver rows, rejects, warnings and per-file counts of checked table ``name``.

    ``derive`` makes one more output of the checked rows, evaluated with the others.
    """
    spec = LANDING_FILES[name]
    frame = checked.cache()
    return TableOutputs(
        silver=silver_rows(frame, spec),
        rejects=reject_rows(frame, spec, run_id=run_id, now=now),
        warnings=warning_rows(frame, spec, run_id=run_id, now=now),
        counts=file_counts(frame, name),
        normalisations=normalisations(frame, name),
        derived=None if derive is None else derive(frame),
    )


def file_counts(checked: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """One row per bronze file of a checked table: rows, accepted, rejected, warned."""
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


def normalisations(checked: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """Per bronze file, column and kind: how many values were normalised (kinds that occurred)."""
    flags = parse.flag_columns(checked.collect_schema().names())
    lineage = ["_batch_id", "_source_file", "_file_sha256"]
    if not flags:
        return pl.LazyFrame(schema=NORMALISATIONS_SCHEMA)
    return (
        checked.group_by(lineage)
        .agg(pl.col(flags).sum())
        .unpivot(index=lineage, variable_name="_flag", value_name="rows")
        .filter(pl.col("rows") > 0)
        .select(
            pl.lit(name).alias("table"),
            pl.col("_batch_id").alias("batch_id"),
            pl.col("_source_file").alias("source_file"),
            pl.col("_file_sha256").alias("file_sha256"),
            pl.col("_flag").str.split("|").list.get(1).alias("column"),
            pl.col("_flag").str.split("|").list.get(2).alias("kind"),
            pl.col("rows").cast(pl.Int64),
        )
    )


def anchored_rows(
    bronze: Mapping[str, pl.LazyFrame],
    anchors: pl.DataFrame,
    keep: pl.Series,
    *,
    checks: Checks,
) -> dict[str, pl.LazyFrame]:
    """The bronze sales rows (``bronze[name]`` of :data:`SALES`) whose anchor is in ``keep``.

    Whole groups of rows checked together (see :func:`with_sales_anchor`): checked
    again on their own, they get the verdicts they got among all the others.
    """
    return {
        name: with_sales_anchor(bronze[name], name, anchors, checks=checks)
        .filter(pl.col(SALES_ANCHOR).is_in(keep.implode()))
        .drop(SALES_ANCHOR)
        for name in SALES
    }


def warned_change(before: pl.DataFrame, after: pl.DataFrame) -> pl.DataFrame:
    """Per-file counts (as :func:`file_counts`) that change warnings rows ``before`` to ``after``.

    Only ``warned`` changes (added up by :func:`processed_files`): the rows
    themselves were counted already.
    """
    per_file = ["table", "batch_id", "source_file", "file_sha256"]
    changes = [
        rows.group_by(per_file).agg((pl.len().cast(pl.Int64) * sign).alias("warned"))
        for rows, sign in ((after, 1), (before, -1))
    ]
    none = pl.lit(0, dtype=pl.Int64)
    return pl.concat(changes).select(
        *per_file,
        none.alias("bronze_rows"),
        none.alias("accepted"),
        none.alias("rejected"),
        "warned",
    )


def processed_files(counts: pl.DataFrame, *, run_id: str, now: datetime) -> pl.DataFrame:
    """One row per processed bronze file (``processed_files``) from per-part file counts."""
    return (
        counts.group_by("table", "batch_id", "source_file", "file_sha256")
        .agg(pl.col("bronze_rows", "accepted", "rejected", "warned").sum())
        .select(
            *PROCESSED_FILES_SCHEMA.names()[:8],
            pl.lit(run_id).alias("run_id"),
            pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("processed_at"),
        )
        .sort("table", "batch_id", "source_file")
    )
