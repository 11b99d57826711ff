"""Shared builders of literal frames for the tests: lineage, silver tables, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from loyalty_lake.silver.models import SILVER_MODELS, schema

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

#: The lineage columns of a literal silver row (``_row_number`` is numbered per table).
LINEAGE: dict[str, Any] = {
    "_batch_id": "batch-1",
    "_source_file": "test.csv",
    "_file_sha256": "0" * 64,
    "_ingested_at": datetime(2024, 1, 1, tzinfo=UTC),
}


def silver(name: str, rows: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    """A silver table of literal rows (lineage filled in, absent columns null)."""
    full = [{**LINEAGE, "_row_number": i, **row} for i, row in enumerate(rows, 1)]
    return pl.DataFrame(full, schema=schema(SILVER_MODELS[name]))


def products(categories: Mapping[str, str]) -> pl.DataFrame:
    """Silver ``products`` of the given categories (product_id -> product_category)."""
    return silver(
        "products", [{"product_id": p, "product_category": c} for p, c in categories.items()]
    )


def days_after(start: date) -> Callable[[int], date]:
    """``day(n)``: the date ``n`` days after ``start``."""

    def day(offset: int) -> date:
        return start + timedelta(days=offset)

    return day
