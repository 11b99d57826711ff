"""The result every end-to-end implementation produces, and the check that they agree.

Each implementation (loyalty_lake, pandas, DuckDB) turns one landing batch into
one row per customer of the clean customer master with these columns; the
benchmark compares them exactly, so a faster implementation cannot be one that
computes something else.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

#: The compared result: one row per customer, sorted by customer_id.
SCHEMA: dict[str, pl.DataType] = {
    "customer_id": pl.String(),
    "total_loyalty_points": pl.Int64(),
    "recency_days": pl.Int64(),
    "frequency": pl.Int64(),
    "monetary_cents": pl.Int64(),
    "r_score": pl.Int8(),
    "f_score": pl.Int8(),
    "m_score": pl.Int8(),
    "rfm_segment": pl.String(),
    "segment": pl.String(),
}


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with exactly the compared columns, types and order (by customer_id)."""
    return frame.select(pl.col(name).cast(dtype) for name, dtype in SCHEMA.items()).sort(
        "customer_id"
    )


def from_lake(lake: Path) -> pl.DataFrame:
    """loyalty_lake's result: gold ``customer_details`` of a built lake."""
    from loyalty_lake import Lake, scan

    details = scan(Lake(lake), "gold", "customer_details")
    return conform(
        details.with_columns(
            monetary_cents=(pl.col("monetary") * 100).cast(pl.Int64),
        ).collect()
    )


def differences(expected: pl.DataFrame, actual: pl.DataFrame, *, limit: int = 5) -> list[str]:
    """Human-readable differences between two results (empty when they are equal)."""
    expected, actual = conform(expected), conform(actual)
    problems = []
    missing = expected.join(actual, on="customer_id", how="anti")
    extra = actual.join(expected, on="customer_id", how="anti")
    if missing.height:
        problems.append(f"{missing.height} customers missing, e.g. {missing['customer_id'][:3]}")
    if extra.height:
        problems.append(f"{extra.height} customers extra, e.g. {extra['customer_id'][:3]}")
    both = expected.join(actual, on="customer_id", suffix="_actual")
    for column in list(SCHEMA)[1:]:
        differ = both.filter(pl.col(column).ne_missing(pl.col(f"{column}_actual")))
        if differ.height:
            sample = differ.select("customer_id", column, f"{column}_actual").head(limit)
            problems.append(f"{column}: {differ.height} customers differ, e.g.\n{sample}")
    return problems


def check_equal(results: dict[str, pl.DataFrame]) -> int:
    """Raise unless every result equals the first; return the number of customers."""
    (first_name, first), *others = results.items()
    for name, other in others:
        problems = differences(first, other)
        if problems:
            raise AssertionError(f"{name} differs from {first_name}:\n" + "\n".join(problems))
    return first.height
