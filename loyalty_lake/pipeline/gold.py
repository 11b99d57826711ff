"""Silver → gold: recompute the published tables for an ``as_of`` date.

Gold is a pure function of silver and ``as_of``
(:func:`loyalty_lake.gold.tables.gold_tables`); this module only reads silver
through the catalogue, calls it, validates every table against its contract,
writes and exports. Every table is replaced only when it changed, and every
commit records the ``as_of`` and the versions of the silver tables gold read.

The tables are published together: once every table is written, one snapshot
naming each table's version is appended to ``gold/snapshots`` (the gold
manifest). Readers read the tables at the versions of the latest snapshot, so
they never see half of a republish; a build stopped before its snapshot leaves
readers on the previous one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Literal

import pandera.errors
import polars as pl

from loyalty_lake import memory
from loyalty_lake.codes import EventType, RedemptionStatus, Stage
from loyalty_lake.errors import ContractViolation, LoyaltyLakeError
from loyalty_lake.gold.incremental import (
    SPLICED_MARTS,
    PreviousGold,
    SilverChanges,
    fingerprints,
    incremental_gold_tables,
)
from loyalty_lake.gold.models import GOLD_MODELS, SNAPSHOT_MODELS, STATE_MODELS
from loyalty_lake.gold.notifications import outbox
from loyalty_lake.gold.tables import CustomerState, SilverTables, gold_tables
from loyalty_lake.io import catalog, delta
from loyalty_lake.io.catalog import REJECTS, SNAPSHOT_SCHEMA, SNAPSHOTS
from loyalty_lake.io.export import ExportFormat, export_tables
from loyalty_lake.io.lock import holds_lake
from loyalty_lake.privacy import pii_key

if TYPE_CHECKING:
    from pathlib import Path

    import pandera.polars as pa

    from loyalty_lake.config import Config
    from loyalty_lake.io.lake import Lake

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GoldReport:
    """What one gold run computed: the ``as_of`` date and rows per gold table.

    ``mode`` says whether the build was incremental or full and ``reason``
    why; ``recomputed`` counts the customers the per-customer stage computed.
    """

    run_id: str
    as_of: date | None
    tables: dict[str, int]
    points: dict[str, int]
    exported: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()
    mode: Literal["incremental", "full"] = "full"
    reason: str = ""
    recomputed: int = 0


def latest_transaction_date(lake: Lake) -> date | None:
    """The date of the latest clean transaction: the default ``as_of``."""
    latest = (
        catalog.scan(lake, "silver", "sales_header")
        .select(pl.col("transaction_date").max())
        .collect()
    )
    return latest.item()


@holds_lake
def build_gold(
    *,
    lake: Lake,
    config: Config,
    run_id: str,
    as_of: date | None = None,
    full: bool = False,
) -> GoldReport:
    """Bring gold up to date with silver for ``as_of`` and publish it.

    Incrementally when it can (:mod:`loyalty_lake.gold.incremental`): only the
    customers the new silver rows touch are recomputed. In full when asked
    (``full``), on the first build, or when the previous gold cannot be
    carried forward (:func:`plan_gold` says why). Either way the result is
    the same. An ``as_of`` after the latest transaction is computed as asked,
    with a warning: every member looks inactive since then and points expire
    by date.
    """
    latest = latest_transaction_date(lake)
    if as_of is not None and latest is not None and as_of > latest:
        log.warning(
            "as_of %s is %d day(s) after the latest transaction (%s): gold treats those days "
            "as days without sales (recency grows, points expire), not as missing data",
            as_of,
            (as_of - latest).days,
            latest,
        )
    as_of = as_of or latest
    meta = _metadata(lake, run_id=run_id, as_of=as_of)
    silver = SilverTables(
        **{name: catalog.scan(lake, "silver", name) for name in SilverTables.names()}
    )
    inputs = fingerprints(silver, config)
    plan = plan_gold(lake, silver, inputs, as_of=as_of, full=full)
    log.info("Gold: %s build (%s)", plan.mode, plan.reason)
    if plan.previous is not None and plan.changes is not None and as_of is not None:
        gold = incremental_gold_tables(
            silver, plan.previous, plan.changes, config=config, as_of=as_of, pii_key=pii_key()
        )
    else:
        gold = gold_tables(
            silver,
            config=config,
            as_of=as_of,
            pii_key=pii_key(),
            shards=customer_shards(lake, config),
        )
    _drop_refusals_from_rejects(lake, meta=meta)
    tables = dict(gold.tables)
    if gold.notification_events is not None:
        previous = catalog.gold_snapshot(lake).scan("notifications")
        events = gold.notification_events.lazy()
        tables["notifications"] = outbox(previous, events, now=datetime.now(UTC)).collect()
    if as_of is not None:
        tables["gold_inputs"] = pl.DataFrame(
            {"input": list(inputs), "fingerprint": list(inputs.values())}
        )
    log.info("Gold: validating and publishing")
    versions = {
        name: _publish(lake, name, _validated(SNAPSHOT_MODELS[name], rows, name), meta)
        for name, rows in tables.items()
    }
    before = catalog.gold_snapshot(lake)
    _record_snapshot(lake, versions, as_of=as_of, meta=meta)
    published = {name: rows for name, rows in tables.items() if name in GOLD_MODELS}
    stale = _stale_exports(lake, published, versions, before)
    export_tables(stale, folder=lake.export, file_format="parquet")
    exported = [_export_path(lake, name) for name in published]
    return GoldReport(
        run_id=run_id,
        as_of=as_of,
        tables={name: rows.height for name, rows in published.items()},
        points=_points_totals(tables["points_ledger"]) if as_of is not None else {},
        exported=tuple(exported),
        warnings=gold.warnings,
        mode=plan.mode,
        reason=plan.reason,
        recomputed=gold.recomputed,
    )


def _export_path(lake: Lake, name: str) -> Path:
    return lake.export / f"{name}.parquet"


def _stale_exports(
    lake: Lake,
    tables: dict[str, pl.DataFrame],
    versions: dict[str, int],
    before: catalog.GoldSnapshot,
) -> dict[str, pl.DataFrame]:
    """The ``tables`` whose Parquet export is missing or older than what gold now publishes.

    A table at the version of the previous snapshot keeps its file, unless the
    file predates that snapshot (a build stopped between publishing and exporting).
    """
    published_at = before.published_at.timestamp() if before.published_at else None

    def fresh(name: str) -> bool:
        path = _export_path(lake, name)
        return (
            versions[name] == before.versions.get(name)
            and published_at is not None
            and path.is_file()
            and path.stat().st_mtime >= published_at
        )

    return {name: rows for name, rows in tables.items() if not fresh(name)}


@dataclass(frozen=True, slots=True)
class GoldPlan:
    """How a build brings gold up to date: ``incremental`` or ``full``, and why.

    An incremental plan carries the previous gold and the silver rows added since.
    """

    mode: Literal["incremental", "full"]
    reason: str
    previous: PreviousGold | None = None
    changes: SilverChanges | None = None


#: The silver fact tables an incremental build reads the new rows of.
_FACTS = ("sales_header", "sales_lines", "redemptions", "inventory")


def plan_gold(
    lake: Lake,
    silver: SilverTables,
    inputs: dict[str, str],
    *,
    as_of: date | None,
    full: bool = False,
) -> GoldPlan:
    """Whether gold can be carried forward from the latest snapshot, and with what.

    A full build when asked, on the first build, after a gold restore, for an
    ``as_of`` before the previous one, when the loyalty rules, promotions,
    products or loyalty settings changed (``inputs["points"]``), or when a
    silver fact table lost or rewrote rows since (a restore, a compaction).
    Changed stores or products (``inputs["marts"]``) recompute the marts whole.
    """

    def full_build(reason: str) -> GoldPlan:
        return GoldPlan("full", reason)

    snapshot = catalog.gold_snapshot(lake)
    if full:
        return full_build("asked for")
    if as_of is None:
        return full_build("no clean transaction yet")
    if snapshot.as_of is None or not set(STATE_MODELS) <= set(snapshot.versions):
        return full_build("no previous gold to carry forward")
    if snapshot.restored_from is not None:
        return full_build(f"gold was restored to snapshot {snapshot.restored_from}")
    if as_of < snapshot.as_of:
        return full_build(f"as_of {as_of} is before the previous build's {snapshot.as_of}")
    before = dict(snapshot.scan("gold_inputs").collect().iter_rows())
    if before.get("points") != inputs["points"]:
        return full_build("the loyalty rules, promotions, products or [loyalty] settings changed")
    versions = snapshot.silver_version_map()
    added = {}
    for name in _FACTS:
        rows = catalog.appended(lake, "silver", name, since=versions.get(name))
        if rows is None:
            return full_build(f"silver/{name} was rewritten since the previous build")
        added[name] = rows
    refused = (
        snapshot.scan("redemption_verdicts")
        .filter(pl.col("status") == RedemptionStatus.REFUSED)
        .select("redemption_id")
        .collect()["redemption_id"]
    )
    state = CustomerState(
        ledger=snapshot.scan("points_ledger").collect(),
        figures=snapshot.scan("customer_state").collect(),
        promoted_points=snapshot.scan("promotion_points").collect(),
        refused_redemptions=silver.redemptions.filter(
            pl.col("redemption_id").is_in(refused.implode())
        ).collect(),
    )
    same_masters = before.get("marts") == inputs["marts"]
    marts = {name: snapshot.scan(name) for name in SPLICED_MARTS} if same_masters else None
    reason = f"from snapshot {snapshot.snapshot}, as of {snapshot.as_of}"
    if not same_masters:
        reason += "; stores or products changed, so the marts are recomputed whole"
    return GoldPlan(
        "incremental",
        reason,
        PreviousGold(as_of=snapshot.as_of, state=state, marts=marts),
        SilverChanges(**added),
    )


#: Memory the per-customer stage peaks at: about RUN_BYTES, plus LINE_BYTES per
#: silver sales line of a shard (measured on the benchmark's 10M-line lake: 3.7
#: GiB for the whole build's gold in one shard).
RUN_BYTES = 2**29
LINE_BYTES = 350
#: The smallest shard: below it, a shard's fixed costs outweigh the memory it saves.
LEAST_SHARD_LINES = 500_000


def customer_shards(lake: Lake, config: Config) -> int:
    """How many shards of customers a full build computes: one per ``gold.shard_lines`` lines.

    By default a shard holds as many lines as ``memory_budget`` allows.
    """
    lines = catalog.scan(lake, "silver", "sales_lines").select(pl.len()).collect().item()
    per_shard = config.gold.shard_lines or memory.rows_within(
        config.memory_budget, bytes_per_row=LINE_BYTES, fixed=RUN_BYTES, least=LEAST_SHARD_LINES
    )
    shards = max(1, -(-lines // per_shard))
    log.info("Gold: %d sales lines, %d customer shard(s) of at most %d", lines, shards, per_shard)
    return shards


def export_gold(
    *, lake: Lake, out: Path | None = None, file_format: ExportFormat = "parquet"
) -> list[Path]:
    """Write every gold table to ``out`` (default ``<lake>/export``) as Parquet or CSV.

    Each file is replaced atomically; CSV values that would run as spreadsheet
    formulas are neutralised.
    """
    snapshot = catalog.gold_snapshot(lake)
    tables = {
        name: snapshot.scan(name).collect() for name in GOLD_MODELS if name in snapshot.versions
    }
    if not tables:
        raise LoyaltyLakeError(
            f"The lake at {lake.root} has no gold tables to export.",
            hint="Run `loyalty-lake build` (or `loyalty-lake demo`) first.",
        )
    return export_tables(tables, folder=out or lake.export, file_format=file_format)


def _drop_refusals_from_rejects(lake: Lake, *, meta: dict[str, str]) -> None:
    """Remove the refused redemptions an older loyalty_lake recorded in ``silver/rejects``.

    Refusals are verdicts of gold (``redemption_verdicts``), not rejects: the
    redemption rows are in silver.
    """
    rejects = catalog.scan(lake, "silver", REJECTS)
    if rejects.filter(pl.col("stage") == Stage.GOLD).select(pl.len()).collect().item():
        delta.replace_where(
            lake.table("silver", REJECTS),
            rejects.clear().collect(),
            column="stage",
            values=[Stage.GOLD],
            metadata=meta,
        )


def _points_totals(ledger: pl.DataFrame) -> dict[str, int]:
    sums = ledger.group_by("event_type").agg(pl.col("points").sum())
    by_type = dict(zip(sums["event_type"], sums["points"], strict=True))
    return {
        "issued": int(by_type.get(EventType.EARN, 0) + by_type.get(EventType.BONUS, 0)),
        "reversed": int(-by_type.get(EventType.REVERSAL, 0)),
        "redeemed": int(-by_type.get(EventType.REDEEM, 0)),
        "expired": int(-by_type.get(EventType.EXPIRE, 0)),
        "outstanding": int(ledger["points"].sum()),
    }


def _metadata(lake: Lake, *, run_id: str, as_of: date | None) -> dict[str, str]:
    versions = {name: catalog.version(lake, "silver", name) for name in SilverTables.names()}
    return {
        "run_id": run_id,
        "layer": "gold",
        "as_of": as_of.isoformat() if as_of else "",
        "silver_versions": ",".join(f"{n}={v}" for n, v in versions.items() if v is not None),
    }


def _validated(model: type[pa.DataFrameModel], rows: pl.DataFrame, name: str) -> pl.DataFrame:
    try:
        return model.validate(rows, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        raise ContractViolation(
            f"Gold table {name} would break its contract: "
            f"{exc.failure_cases.head(3).select('column', 'check', 'failure_case').rows()}.",
            hint="This is a bug in loyalty_lake; please report it.",
        ) from exc


def _publish(lake: Lake, name: str, rows: pl.DataFrame, meta: dict[str, str]) -> int:
    """Replace a gold table unless it already holds exactly these rows (in any order).

    Returns the version that holds them.
    """
    latest = catalog.version(lake, "gold", name)
    if latest is not None and _same_rows(
        catalog.scan(lake, "gold", name, version=latest).collect(), rows
    ):
        log.info("gold/%s unchanged", name)
        return latest
    return delta.write_table(
        lake.table("gold", name), rows, mode="overwrite", metadata=meta, new_schema=True
    )


def _record_snapshot(
    lake: Lake, versions: dict[str, int], *, as_of: date | None, meta: dict[str, str]
) -> None:
    """Append the snapshot of ``versions`` to the gold manifest, unless it is the latest already."""
    current = catalog.gold_snapshot(lake)
    if current.snapshot is not None and current.versions == versions and current.as_of == as_of:
        return
    if current.restored_from is not None:
        log.warning(
            "Gold had been restored to snapshot %s; this build publishes gold computed "
            "from silver again",
            current.restored_from,
        )
    append_snapshot(lake, versions, as_of=as_of, meta=meta)


def append_snapshot(
    lake: Lake,
    versions: dict[str, int],
    *,
    as_of: date | None,
    meta: dict[str, str],
    restored_from: int | None = None,
) -> int:
    """Publish ``versions`` as gold's next snapshot (one commit); return its number.

    A snapshot's number is the version of ``gold/snapshots`` that added it.
    """
    path = lake.table("gold", SNAPSHOTS)
    latest = delta.table_version(path)
    number = 0 if latest is None else latest + 1
    rows = pl.DataFrame(
        {
            "snapshot": number,
            "table": list(versions),
            "version": list(versions.values()),
            "run_id": meta["run_id"],
            "as_of": as_of,
            "published_at": datetime.now(UTC),
            "silver_versions": meta.get("silver_versions", ""),
            "restored_from": restored_from,
        },
        schema=SNAPSHOT_SCHEMA,
    )
    written = delta.write_table(path, rows, mode="append", metadata=meta)
    if written != number:  # only one writer holds the lake: this cannot happen
        raise LoyaltyLakeError(f"gold/snapshots was written by another process ({written}).")
    log.info("Gold: published snapshot %d", number)
    return number


def _same_rows(old: pl.DataFrame, new: pl.DataFrame) -> bool:
    """Whether two frames hold the same rows, whatever their order."""
    if old.schema != new.schema or old.height != new.height:
        return False
    sortable = [c for c, t in new.schema.items() if not isinstance(t, pl.List)]
    return old.sort(sortable).equals(new.sort(sortable))
