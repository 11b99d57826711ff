"""RFM and segments with loyalty_lake and, as its peer, the same query in DuckDB SQL.

The step compared is the global part of ``customer_details`` (contract 3.2-3.3)
given the points balances: per customer with a clean transaction up to
``as_of`` (the latest transaction date), recency, frequency and monetary from
silver ``sales_header``; the tie-safe quintile scores and the RFM segment; High
Spender, At Risk (balance = the sum of the customer's ``gold/points_ledger``
rows) and the segment.

- loyalty_lake: :func:`loyalty_lake.gold.rfm.customer_activity`, ``rfm`` and
  ``segments`` on lazy scans, collected once.
- DuckDB: ``_duckdb_gold.sql`` over the same columns of the same tables.

Inputs, per variant (``inputs``):

- ``delta``: loyalty_lake reads the Delta tables itself (lazy scans, only the
  columns it needs); the read is timed.
- ``arrow``: polars reads the same columns of the Delta tables into Arrow, which
  is registered in DuckDB (DuckDB's ``delta`` extension is not installable
  offline); the read is timed.
- ``parquet``: DuckDB reads the tables' live Parquet files itself
  (``read_parquet`` of the files in the Delta log, for tables without deletion
  vectors, column mapping or partitions); the read is timed.
- ``memory``: both sides start from the same columns already in memory; only
  the computation is timed.

Each variant writes its result to ``out`` (untimed) so that the suite can check
every measured result equal to every other (:func:`check_equal`).
"""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl
from deltalake import DeltaTable

from loyalty_lake.config import load_config
from loyalty_lake.gold.rfm import customer_activity, customer_scores
from loyalty_lake.io import delta

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loyalty_lake.config import Config

SQL = Path(__file__).with_name("_duckdb_gold.sql")

#: The columns each side reads, per table (``layer/name`` in the lake).
INPUTS: dict[str, tuple[str, ...]] = {
    "silver/sales_header": (
        "customer_id",
        "transaction_id",
        "transaction_date",
        "transaction_type",
        "total_amount",
        "original_transaction_id",
    ),
    "gold/points_ledger": ("customer_id", "points"),
}

#: The result, in this column order, sorted by customer_id, on both sides.
COLUMNS = (
    "customer_id",
    "recency_days",
    "frequency",
    "monetary",
    "total_loyalty_points",
    "r_score",
    "f_score",
    "m_score",
    "rfm_segment",
    "is_high_spender",
    "is_at_risk",
    "segment",
)


def _config() -> Config:
    return load_config(env={})


def _view_name(table: str) -> str:
    return table.split("/")[1]


def read_inputs(lake: Path) -> dict[str, pl.DataFrame]:
    """The columns both sides use, read with polars from the Delta tables."""
    return {
        _view_name(t): pl.scan_delta(str(lake / t)).select(cols).collect()
        for t, cols in INPUTS.items()
    }


# --- loyalty_lake ----------------------------------------------------------------------


def loyalty_lake_rfm(
    sales_header: pl.LazyFrame, points_ledger: pl.LazyFrame, *, config: Config
) -> pl.DataFrame:
    """The library's RFM and segments; ``as_of`` is the latest transaction date."""
    as_of = sales_header.select(pl.col("transaction_date").max()).collect().item()
    balances = points_ledger.group_by("customer_id").agg(
        pl.col("points").sum().alias("total_loyalty_points")
    )
    activity = (
        customer_activity(sales_header, as_of=as_of)
        .join(balances, on="customer_id", how="left")
        .with_columns(pl.col("total_loyalty_points").fill_null(0))
    )
    return (
        customer_scores(activity, as_of=as_of, settings=config.segments)
        .select(COLUMNS)
        .sort("customer_id")
        .collect()
    )


def run_loyalty_lake(lake: Path, *, inputs: str, out: Path) -> tuple[float, int]:
    """Time the loyalty_lake side; return (seconds, input rows) and write the result."""
    config = _config()
    if inputs == "delta":
        start = time.perf_counter()
        scans = {_view_name(t): delta.scan_table(lake / t) for t in INPUTS}
    elif inputs == "memory":
        frames = read_inputs(lake)
        scans = {name: frame.lazy() for name, frame in frames.items()}
        start = time.perf_counter()
    else:
        raise ValueError(f"unknown inputs {inputs!r} for loyalty_lake")
    result = loyalty_lake_rfm(scans["sales_header"], scans["points_ledger"], config=config)
    seconds = time.perf_counter() - start
    result.write_parquet(out)
    return seconds, _input_rows(lake)


# --- DuckDB ----------------------------------------------------------------------------


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def rfm_segment_case(config: Config) -> str:
    """The configured RFM segment mapping as a SQL CASE expression (first match wins)."""
    segments = config.segments
    whens = [
        "WHEN "
        + " AND ".join(
            f"{axis}_score BETWEEN {low} AND {high}"
            for axis, (low, high) in (("r", rule.r), ("f", rule.f), ("m", rule.m))
        )
        + f" THEN {_sql_text(rule.name)}"
        for rule in segments.rfm_segments
    ]
    return "CASE " + " ".join(whens) + f" ELSE {_sql_text(segments.rfm_fallback)} END"


def duckdb_query(config: Config) -> tuple[str, dict[str, int]]:
    """The SQL text and its parameters for ``config``."""
    share = Fraction(config.segments.high_spender_share)
    sql = SQL.read_text().replace("/*rfm_segment*/", rfm_segment_case(config))
    params = {
        "at_risk_days": config.segments.at_risk_days,
        "share_num": share.numerator,
        "share_den": share.denominator,
    }
    return sql, params


def _parquet_files(path: Path) -> list[str]:
    """The live Parquet files of a Delta table DuckDB can read as plain Parquet."""
    table = DeltaTable(str(path))
    protocol = table.protocol()
    if protocol.min_reader_version > 1 or table.metadata().partition_columns:
        raise RuntimeError(
            f"{path}: reader features or partitions; plain read_parquet would be wrong"
        )
    return table.file_uris()


def duckdb_rfm(con: duckdb.DuckDBPyConnection, *, config: Config) -> pl.DataFrame:
    """Run the SQL on ``con`` (which has ``sales_header`` and ``points_ledger``)."""
    sql, params = duckdb_query(config)
    return con.sql(sql, params=params).pl()


def run_duckdb(lake: Path, *, inputs: str, out: Path) -> tuple[float, int]:
    """Time the DuckDB side; return (seconds, input rows) and write the result."""
    config = _config()
    con = duckdb.connect()
    if inputs == "parquet":
        start = time.perf_counter()
        for table, cols in INPUTS.items():
            files = ", ".join(_sql_text(f) for f in _parquet_files(lake / table))
            con.execute(
                f"CREATE VIEW {_view_name(table)} AS "
                f"SELECT {', '.join(cols)} FROM read_parquet([{files}])"
            )
    elif inputs == "arrow":
        start = time.perf_counter()
        for name, frame in read_inputs(lake).items():
            con.register(name, frame.to_arrow())
    elif inputs == "memory":
        arrow = {name: frame.to_arrow() for name, frame in read_inputs(lake).items()}
        for name, table in arrow.items():
            con.register(name, table)
        start = time.perf_counter()
    else:
        raise ValueError(f"unknown inputs {inputs!r} for DuckDB")
    result = duckdb_rfm(con, config=config)
    seconds = time.perf_counter() - start
    result.write_parquet(out)
    return seconds, _input_rows(lake)


# --- checks ----------------------------------------------------------------------------


def _input_rows(lake: Path) -> int:
    """Rows of the input tables (the rows/s denominator, the same for every variant)."""
    return sum(pl.scan_delta(str(lake / t)).select(pl.len()).collect().item() for t in INPUTS)


class ResultsDiffer(AssertionError):
    """Two variants computed different results."""


def check_equal(results: Sequence[Path]) -> int:
    """Fail loudly unless every result file holds exactly the first one's rows; return its rows."""
    reference_path, *others = results
    reference = pl.read_parquet(reference_path)
    for path in others:
        other = pl.read_parquet(path)
        problems = _differences(reference, other)
        if problems:
            raise ResultsDiffer(
                f"{path.name} differs from {reference_path.name}:\n  " + "\n  ".join(problems)
            )
    return reference.height


def _differences(left: pl.DataFrame, right: pl.DataFrame) -> list[str]:
    if left.schema != right.schema:
        return [f"schemas differ: {dict(left.schema)} vs {dict(right.schema)}"]
    problems = []
    if left.height != right.height:
        problems.append(f"{left.height:,} rows vs {right.height:,}")
    joined = left.join(right, on="customer_id", how="full", suffix="_r")
    one_side = pl.col("customer_id").is_null() | pl.col("customer_id_r").is_null()
    if missing := joined.filter(one_side).height:
        problems.append(f"{missing:,} customers on one side only")
    both = joined.filter(one_side.not_())
    for column in COLUMNS[1:]:
        differ = both.filter(pl.col(column).ne_missing(pl.col(f"{column}_r")))
        if differ.height:
            sample = differ.select("customer_id", column, f"{column}_r").head(3).rows()
            problems.append(f"{column}: {differ.height:,} customers differ, e.g. {sample}")
    if not problems and not left.equals(right):
        problems.append("same values, different row order")
    return problems
