"""Silver → gold: recompute the published tables for an ``as_of`` date.

Gold is a pure function of silver and ``as_of``: every table is recomputed
and replaced (only when it changed), and every commit records the ``as_of``
and the silver table versions it was computed from.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pandera.errors
import polars as pl

from loyalty_lake.errors import ContractViolation, LoyaltyLakeError
from loyalty_lake.gold.customers import customer_details
from loyalty_lake.gold.dq import dq_summary
from loyalty_lake.gold.marts import (
    batch_quality,
    loyalty_daily,
    member_sales_daily,
    product_sales_daily,
    promotion_performance,
    sale_lines,
    sales_daily,
    segment_summary,
    store_daily,
)
from loyalty_lake.gold.models import GOLD_MODELS
from loyalty_lake.gold.points import (
    configured_rules,
    ledger_events,
    published_ledger,
    scored_lines,
    settled_ledger,
)
from loyalty_lake.io import catalog, delta
from loyalty_lake.io.catalog import PROCESSED, REJECTS, WARNINGS
from loyalty_lake.io.export import ExportFormat, export_tables
from loyalty_lake.io.lock import holds_lake
from loyalty_lake.landing.contract import REDEMPTIONS
from loyalty_lake.privacy import pii_key
from loyalty_lake.silver.models import Rejects, schema

if TYPE_CHECKING:
    from pathlib import Path

    import pandera.polars as pa

    from loyalty_lake.config import Config
    from loyalty_lake.io.lake import Lake

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GoldReport:
    """What one gold run computed: the ``as_of`` date and rows per gold table."""

    run_id: str
    as_of: date | None
    tables: dict[str, int]
    points: dict[str, int]
    exported: tuple[Path, ...] = ()


def latest_transaction_date(lake: Lake) -> date | None:
    """The date of the latest clean transaction: the default ``as_of``."""
    latest = (
        catalog.scan(lake, "silver", "sales_header")
        .select(pl.col("transaction_date").max())
        .collect()
    )
    return latest.item()


@holds_lake
def build_gold(*, lake: Lake, config: Config, run_id: str, as_of: date | None = None) -> GoldReport:
    """Recompute every gold table from silver for ``as_of`` and replace it."""
    as_of = as_of or latest_transaction_date(lake)
    meta = _metadata(lake, run_id=run_id, as_of=as_of)
    tables: dict[str, pl.DataFrame] = {}
    totals: dict[str, int] = {}
    if as_of is not None:
        tables, insufficient = _gold_tables(lake, config=config, as_of=as_of)
        _record_insufficient(lake, insufficient, run_id=run_id, meta=meta)
        totals = _points_totals(tables["points_ledger"])
    tables["dq_summary"] = dq_summary(
        catalog.scan(lake, "silver", REJECTS), catalog.scan(lake, "silver", WARNINGS)
    ).collect()
    tables["batch_quality"] = batch_quality(
        catalog.scan(lake, "silver", PROCESSED), catalog.scan(lake, "silver", REJECTS)
    ).collect()
    log.info("Gold: validating and publishing")
    for name, rows in tables.items():
        _publish(lake, name, _validated(GOLD_MODELS[name], rows, name), meta)
    exported = export_tables(tables, folder=lake.export, file_format="parquet")
    return GoldReport(
        run_id=run_id,
        as_of=as_of,
        tables={name: rows.height for name, rows in tables.items()},
        points=totals,
        exported=tuple(exported),
    )


def export_gold(
    *, lake: Lake, out: Path | None = None, file_format: ExportFormat = "parquet"
) -> list[Path]:
    """Write every gold table to ``out`` (default ``<lake>/export``) as Parquet or CSV.

    Each file is replaced atomically; CSV values that would run as spreadsheet
    formulas are neutralised.
    """
    tables = {
        name: delta.scan_table(lake.table("gold", name)).collect()
        for name in GOLD_MODELS
        if delta.table_exists(lake.table("gold", name))
    }
    if not tables:
        raise LoyaltyLakeError(
            f"The lake at {lake.root} has no gold tables to export.",
            hint="Run `loyalty-lake build` (or `loyalty-lake demo`) first.",
        )
    return export_tables(tables, folder=out or lake.export, file_format=file_format)


def _gold_tables(
    lake: Lake, *, config: Config, as_of: date
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Every gold table but dq_summary, and the redemptions rejected for insufficient points."""
    landed_rules = catalog.scan(lake, "silver", "loyalty_rules").collect()
    rules = landed_rules if landed_rules.height else configured_rules(config.loyalty.default_rules)
    products = (
        catalog.scan(lake, "silver", "products")
        .select("product_id", "product_category", "product_name")
        .collect()
    )
    promotions = catalog.scan(lake, "silver", "promotions").collect()
    sales_header = catalog.scan(lake, "silver", "sales_header")
    sales_lines = catalog.scan(lake, "silver", "sales_lines")
    # Lines with their points are only ever summed: keep the sums, not the lines.
    scored = scored_lines(
        sales_header, sales_lines, products, rules=rules, promotions=promotions, as_of=as_of
    ).cache()
    events = ledger_events(
        scored, catalog.scan(lake, "silver", "redemptions"), rules=rules, as_of=as_of
    )
    promoted = scored.filter(pl.col("promotion_id").is_not_null()).select(
        "promotion_id", "transaction_type", "transaction_date", "points"
    )
    log.info("Gold: earning events")
    events_done, promoted_done = pl.collect_all([events, promoted])
    log.info("Gold: points ledger of %d events", events_done.height)
    ledger, insufficient = _points(lake, events_done, config=config, as_of=as_of)
    log.info("Gold: customer details")
    details = customer_details(
        catalog.scan(lake, "silver", "customers"),
        sales_header,
        ledger.lazy(),
        config=config,
        as_of=as_of,
        pii_key=pii_key(),
    ).collect()
    log.info("Gold: marts")
    lines = sale_lines(sales_header, sales_lines, products, as_of=as_of).cache()
    stores = catalog.scan(lake, "silver", "stores")
    daily, by_store, by_product, by_member, loyalty, promos, summary = pl.collect_all(
        [
            sales_daily(lines, stores),
            store_daily(lines, stores),
            product_sales_daily(lines, products, stores),
            member_sales_daily(lines),
            loyalty_daily(ledger.lazy(), sales_header, as_of=as_of),
            promotion_performance(lines, promoted_done.lazy(), promotions, as_of=as_of),
            segment_summary(details.lazy()),
        ]
    )
    tables = {
        "points_ledger": ledger,
        "customer_details": details,
        "sales_daily": daily,
        "store_daily": by_store,
        "product_sales_daily": by_product,
        "member_sales_daily": by_member,
        "loyalty_daily": loyalty,
        "promotion_performance": promos,
        "segment_summary": summary,
    }
    return tables, insufficient


def _points(
    lake: Lake, events: pl.DataFrame, *, config: Config, as_of: date
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The ledger of sequenced ``events``, and the redemptions rejected for insufficient points."""
    ledger, rejected = settled_ledger(
        events, as_of=as_of, expiry_months=config.loyalty.expiry_months
    )
    log.info("Gold: %d redemptions rejected for insufficient points", rejected.len())
    insufficient = (
        catalog.scan(lake, "silver", "redemptions")
        .filter(pl.col("redemption_id").is_in(rejected.implode()))
        .collect()
    )
    return published_ledger(ledger).collect(), insufficient


def _record_insufficient(
    lake: Lake, redemptions: pl.DataFrame, *, run_id: str, meta: dict[str, str]
) -> None:
    """Replace the gold-stage rejects: redemptions above the balance at their time."""
    raw = _with_raw_values(lake, redemptions)
    now = datetime.now(UTC)
    rows = raw.select(
        pl.lit("redemptions").alias("table"),
        pl.col("_batch_id").alias("batch_id"),
        pl.col("_source_file").alias("source_file"),
        pl.col("_file_sha256").alias("file_sha256"),
        pl.col("_row_number").alias("row_number"),
        pl.col("_ingested_at").alias("ingested_at"),
        pl.col("redemption_id").alias("key"),
        pl.lit(None, dtype=pl.String).alias("transaction_id"),
        pl.lit(["INSUFFICIENT_POINTS"]).alias("reason_codes"),
        pl.format(
            "redemption of {} points exceeds the balance available on {}",
            pl.col("points_redeemed"),
            pl.col("redemption_date"),
        ).alias("message"),
        pl.col("raw_values"),
        pl.lit("OPEN").alias("status"),
        pl.lit("gold").alias("stage"),
        pl.lit(run_id).alias("run_id"),
        pl.lit(now, dtype=pl.Datetime("us", "UTC")).alias("rejected_at"),
        pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("reprocessed_at"),
    ).cast(schema(Rejects))
    path = lake.table("silver", REJECTS)
    previous = (
        delta.scan_table(path).filter(pl.col("stage") == "gold").collect()
        if delta.table_exists(path)
        else rows.clear()
    )
    if (
        previous.drop("run_id", "rejected_at")
        .sort("file_sha256", "row_number")
        .equals(rows.drop("run_id", "rejected_at").sort("file_sha256", "row_number"))
    ):
        return
    delta.replace_where(path, rows, column="stage", values=["gold"], metadata=meta)


def _with_raw_values(lake: Lake, rows: pl.DataFrame) -> pl.DataFrame:
    """Silver redemption rows with their bronze text as ``raw_values`` JSON."""
    bronze_path = lake.table("bronze", "redemptions")
    if rows.is_empty() or not delta.table_exists(bronze_path):
        return rows.with_columns(pl.lit(None, dtype=pl.String).alias("raw_values"))
    raw = (
        delta.scan_table(bronze_path)
        .select(
            "_file_sha256",
            "_row_number",
            pl.struct(*REDEMPTIONS.columns, "_extra").struct.json_encode().alias("raw_values"),
        )
        .join(rows.lazy(), on=["_file_sha256", "_row_number"], how="inner")
    )
    return raw.collect()


def _points_totals(ledger: pl.DataFrame) -> dict[str, int]:
    sums = ledger.group_by("event_type").agg(pl.col("points").sum())
    by_type = dict(zip(sums["event_type"], sums["points"], strict=True))
    return {
        "issued": int(by_type.get("EARN", 0) + by_type.get("BONUS", 0)),
        "reversed": int(-by_type.get("REVERSAL", 0)),
        "redeemed": int(-by_type.get("REDEEM", 0)),
        "expired": int(-by_type.get("EXPIRE", 0)),
        "outstanding": int(ledger["points"].sum()),
    }


def _metadata(lake: Lake, *, run_id: str, as_of: date | None) -> dict[str, str]:
    versions = {
        name: delta.table_version(lake.table("silver", name))
        for name in (
            "sales_header",
            "sales_lines",
            "products",
            "promotions",
            "loyalty_rules",
            "redemptions",
            "customers",
            REJECTS,
            WARNINGS,
        )
    }
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


def _publish(lake: Lake, name: str, rows: pl.DataFrame, meta: dict[str, str]) -> None:
    """Replace a gold table unless it already holds exactly these rows (in any order)."""
    path = lake.table("gold", name)
    if delta.table_exists(path) and _same_rows(delta.scan_table(path).collect(), rows):
        log.info("gold/%s unchanged", name)
        return
    delta.write_table(path, rows, mode="overwrite", metadata=meta)


def _same_rows(old: pl.DataFrame, new: pl.DataFrame) -> bool:
    """Whether two frames hold the same rows, whatever their order."""
    if old.schema != new.schema or old.height != new.height:
        return False
    sortable = [c for c, t in new.schema.items() if not isinstance(t, pl.List)]
    return old.sort(sortable).equals(new.sort(sortable))
