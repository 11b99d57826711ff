"""loyalty_lake's transforms alone: the peers' work, with the library's own functions.

The full build (``loyalty-lake build``) persists every layer: bronze with
checksums, silver with its rejects (raw values, messages) and warnings, eleven
gold tables, the export, a commit per write, pandera validation. The pandas and
DuckDB peers compute the customer results in memory and write nothing else.
This variant does what the peers do, with loyalty_lake's pure functions: read
the CSVs as bronze rows, run every silver rule, compute points, RFM and
segments, and write the one result file. The difference between it and the full
build is the cost of the lakehouse; between it and the peers, of the engine.
Files are read with polars' ``scan_csv`` and taken to be well-formed, as
generated batches are: a row with the wrong number of fields, which the build
lands as a malformed row, fails the read here if too long and is padded with
nulls if too short.

    python -m benchmarks.e2e_engine BATCH OUT
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from benchmarks.customers import conform
from loyalty_lake.bronze import bronze_schema
from loyalty_lake.bronze.ingest import Lineage, bronze_rows, map_header
from loyalty_lake.config import load_config
from loyalty_lake.gold.customers import customer_details, customer_profiles
from loyalty_lake.gold.tables import SilverTables, customer_state
from loyalty_lake.landing.contract import (
    LANDING_FILES,
    MALFORMED,
    PADDED,
    RECORD,
    ROW_NUMBER,
    landing_file_for,
    raw_column,
)
from loyalty_lake.silver.models import SILVER_MODELS, schema
from loyalty_lake.silver.split import silver_rows
from loyalty_lake.silver.tables import (
    MASTER_CHECKS,
    Checks,
    Known,
    checked_redemptions,
    checked_sales,
)

if TYPE_CHECKING:
    from loyalty_lake.config import Config


def read_bronze(batch: Path) -> dict[str, pl.DataFrame]:
    """Every landing file of the batch as bronze rows (text and lineage), in memory."""
    now = datetime.now(UTC)
    frames = {}
    for path in sorted(batch.glob("[!_.]*.csv")):
        spec = landing_file_for(path.name)
        if spec is None or spec.name == "inventory":  # no customer figure depends on it
            continue
        raw = pl.scan_csv(path, infer_schema=False)
        header = raw.collect_schema().names()
        records = raw.rename({name: raw_column(i) for i, name in enumerate(header)}).with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW_NUMBER),
            pl.lit(None, dtype=pl.String).alias(MALFORMED),  # every row is well-formed
            pl.lit(None, dtype=pl.String).alias(RECORD),
            pl.lit(None, dtype=pl.Int32).alias(PADDED),
        )
        frames[spec.name] = bronze_rows(
            records,
            spec=spec,
            header=map_header(header, spec, source_file=path.name),
            lineage=Lineage(batch.name, path.name, "", now),
        )
    return dict(zip(frames, pl.collect_all(frames.values()), strict=True))


def clean(bronze: dict[str, pl.DataFrame], *, config: Config) -> dict[str, pl.DataFrame]:
    """The silver rows of one batch: every rule, as the silver build applies them."""
    specs = LANDING_FILES

    def rows(name: str) -> pl.LazyFrame:
        frame = bronze.get(name)
        return (
            frame.lazy() if frame is not None else pl.LazyFrame(schema=bronze_schema(specs[name]))
        )

    def no_rows(name: str) -> pl.LazyFrame:  # nothing in silver before this batch
        return pl.LazyFrame(schema=schema(SILVER_MODELS[name]))

    checks = Checks.from_config(config, now=datetime.now(UTC))
    masters = [
        silver_rows(check(rows(n), checks=checks), specs[n]) for n, check in MASTER_CHECKS.items()
    ]
    silver = dict(zip(MASTER_CHECKS, pl.collect_all(masters), strict=True))
    known = Known.from_masters(silver)
    header, lines = checked_sales(
        rows("sales_header"),
        rows("sales_lines"),
        known=known,
        existing_header=no_rows("sales_header"),
        existing_lines=no_rows("sales_lines"),
        checks=checks,
    )
    redemptions = checked_redemptions(
        rows("redemptions"), known=known, existing=no_rows("redemptions"), checks=checks
    )
    facts = {"sales_header": header, "sales_lines": lines, "redemptions": redemptions}
    plans = [silver_rows(frame, specs[name]) for name, frame in facts.items()]
    return silver | dict(zip(facts, pl.collect_all(plans), strict=True))


def customers(silver: dict[str, pl.DataFrame], *, config: Config) -> pl.DataFrame:
    """Points, RFM and segments of every customer, as the gold build computes them.

    Gold's two customer stages (the per-customer state, then the global
    scoring of ``customer_details``), without the marts.
    """
    as_of = silver["sales_header"]["transaction_date"].max()
    tables = SilverTables.of(**{n: f for n, f in silver.items() if n in SilverTables.names()})
    state = customer_state(tables, config=config, as_of=as_of)
    profiles = customer_profiles(tables.customers, state.figures.lazy(), pii_key=None)
    details = customer_details(profiles, as_of=as_of, settings=config.segments)
    return details.with_columns(monetary_cents=(pl.col("monetary") * 100).cast(pl.Int64)).collect()


def run(batch: Path, out: Path) -> dict[str, float]:
    """Read, check, compute and write the result of one batch; the seconds of each phase."""
    config = load_config(env={})
    start = time.perf_counter()
    bronze = read_bronze(batch)
    read = time.perf_counter()
    silver = clean(bronze, config=config)
    checked = time.perf_counter()
    result = customers(silver, config=config)
    computed = time.perf_counter()
    conform(result).write_parquet(out)
    done = time.perf_counter()
    return {
        "read": read - start,
        "clean": checked - read,
        "gold": computed - checked,
        "write": done - computed,
        "customers": float(result.height),
    }


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2]))))
