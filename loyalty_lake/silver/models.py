# mypy: disable-error-code="valid-type"
"""Silver contracts: one pandera model per silver table, validated at the write boundary.

The models are the single description of each silver table: its columns,
their types and their checks. :func:`schema` turns a model into the Polars
schema the transforms produce.
"""

from __future__ import annotations

import datetime as dt

import pandera.polars as pa
import polars as pl
from pandera.engines import polars_engine as pe

from loyalty_lake.codes import RejectStatus, Stage

Money = pe.Decimal(18, 2)
Rate = pe.Decimal(18, 4)
UtcTimestamp = pe.DateTime(time_zone="UTC", time_unit="us")


class _Lineage(pa.DataFrameModel):
    """Where each silver row came from: its bronze row."""

    batch_id: str = pa.Field(alias="_batch_id")
    source_file: str = pa.Field(alias="_source_file")
    file_sha256: str = pa.Field(alias="_file_sha256", str_length=64)
    row_number: pl.Int64 = pa.Field(alias="_row_number", ge=1)
    ingested_at: UtcTimestamp = pa.Field(alias="_ingested_at")

    class Config:
        strict = True


class Stores(_Lineage):
    """One row per store (latest accepted version)."""

    store_id: str = pa.Field(unique=True)
    store_name: str = pa.Field(nullable=True)
    store_city: str = pa.Field(nullable=True)
    store_region: str = pa.Field(nullable=True)
    opening_date: dt.date = pa.Field(nullable=True)


class Products(_Lineage):
    """One row per product (latest accepted version)."""

    product_id: str = pa.Field(unique=True)
    product_name: str = pa.Field(nullable=True)
    product_category: str
    unit_price: Money = pa.Field(gt=0)
    current_stock_level: pl.Int64 = pa.Field(nullable=True)


class Customers(_Lineage):
    """One row per loyalty member (latest accepted version)."""

    customer_id: str = pa.Field(unique=True)
    first_name: str = pa.Field(nullable=True)
    last_name: str = pa.Field(nullable=True)
    email: str = pa.Field(nullable=True)
    phone: str = pa.Field(nullable=True)
    enrollment_date: dt.date = pa.Field(nullable=True)
    loyalty_status: str = pa.Field(nullable=True)


class Promotions(_Lineage):
    """One row per promotion (latest accepted version)."""

    promotion_id: str = pa.Field(unique=True)
    promotion_name: str = pa.Field(nullable=True)
    start_date: dt.date
    end_date: dt.date
    discount_percentage: Rate = pa.Field(nullable=True, ge=0, le=100)
    applicable_category: str
    points_multiplier: Rate = pa.Field(ge=0)


class LoyaltyRules(_Lineage):
    """One row per earning rule (latest accepted version)."""

    rule_id: str = pa.Field(unique=True)
    rule_name: str = pa.Field(nullable=True)
    points_per_unit_spend: Rate = pa.Field(ge=0)
    min_spend_threshold: Money = pa.Field(ge=0)
    bonus_points: pl.Int64 = pa.Field(ge=0)
    applicable_category: str
    valid_from: dt.date = pa.Field(nullable=True)
    valid_to: dt.date = pa.Field(nullable=True)
    days_of_week: str = pa.Field(nullable=True)


class SalesHeader(_Lineage):
    """One row per clean transaction (sale or return)."""

    transaction_id: str = pa.Field(unique=True)
    customer_id: str = pa.Field(nullable=True)
    store_id: str
    transaction_at: UtcTimestamp
    transaction_date: dt.date
    total_amount: Money = pa.Field(gt=0)
    transaction_type: str = pa.Field(isin=["SALE", "RETURN"])
    original_transaction_id: str = pa.Field(nullable=True)


class SalesLines(_Lineage):
    """One row per line of a clean transaction."""

    transaction_id: str
    line_item_id: str
    product_id: str
    promotion_id: str = pa.Field(nullable=True)
    quantity: pl.Int64 = pa.Field(gt=0)
    line_item_amount: Money = pa.Field(gt=0)

    @pa.dataframe_check
    @classmethod
    def unique_line_key(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """(transaction_id, line_item_id) identifies a line."""
        key = ["transaction_id", "line_item_id"]
        return data.lazyframe.select(pl.struct(key).is_unique())


class Redemptions(_Lineage):
    """One row per clean redemption (points balance checks come in gold)."""

    redemption_id: str = pa.Field(unique=True)
    customer_id: str
    redemption_date: dt.date
    points_redeemed: pl.Int64 = pa.Field(gt=0)
    store_id: str = pa.Field(nullable=True)


class Inventory(_Lineage):
    """One row per snapshot date, store and product."""

    snapshot_date: dt.date
    store_id: str
    product_id: str
    stock_level: pl.Int64 = pa.Field(ge=0)

    @pa.dataframe_check
    @classmethod
    def unique_snapshot_key(cls, data: pa.PolarsData) -> pl.LazyFrame:
        """(snapshot_date, store_id, product_id) identifies a snapshot row."""
        return data.lazyframe.select(
            pl.struct("snapshot_date", "store_id", "product_id").is_unique()
        )


#: The silver model of each landing table, by table name.
SILVER_MODELS: dict[str, type[_Lineage]] = {
    "stores": Stores,
    "products": Products,
    "customers": Customers,
    "promotions": Promotions,
    "loyalty_rules": LoyaltyRules,
    "sales_header": SalesHeader,
    "sales_lines": SalesLines,
    "redemptions": Redemptions,
    "inventory": Inventory,
}


class Rejects(pa.DataFrameModel):
    """One row per rejected bronze row, with its reasons and raw values."""

    table: str
    batch_id: str
    source_file: str
    file_sha256: str
    row_number: pl.Int64 = pa.Field(ge=1)
    ingested_at: UtcTimestamp
    key: str = pa.Field(nullable=True)
    transaction_id: str = pa.Field(nullable=True)
    reason_codes: pl.List(pl.String)
    message: str
    raw_values: str
    status: str = pa.Field(isin=[s.value for s in RejectStatus])
    #: Where the row was judged: "silver" (data quality) or "gold" (points balance).
    stage: str = pa.Field(isin=[s.value for s in Stage])
    run_id: str
    rejected_at: UtcTimestamp
    reprocessed_at: UtcTimestamp = pa.Field(nullable=True)

    class Config:
        strict = True


class Warnings(pa.DataFrameModel):
    """One row per silver row that broke a warn-severity rule."""

    table: str
    batch_id: str
    source_file: str
    file_sha256: str
    row_number: pl.Int64 = pa.Field(ge=1)
    key: str = pa.Field(nullable=True)
    reason_codes: pl.List(pl.String)
    message: str
    run_id: str
    detected_at: UtcTimestamp

    class Config:
        strict = True


#: ``processed_files``: one row per bronze file silver has processed, with its counts.
PROCESSED_FILES_SCHEMA = pl.Schema(
    {
        "table": pl.String(),
        "batch_id": pl.String(),
        "source_file": pl.String(),
        "file_sha256": pl.String(),
        "bronze_rows": pl.Int64(),
        "accepted": pl.Int64(),
        "rejected": pl.Int64(),
        "warned": pl.Int64(),
        "run_id": pl.String(),
        "processed_at": pl.Datetime("us", "UTC"),
    }
)


def schema(model: type[pa.DataFrameModel]) -> pl.Schema:
    """The Polars schema of a model: data columns first, lineage last."""
    columns = {name: column.dtype.type for name, column in model.to_schema().columns.items()}
    data = {n: t for n, t in columns.items() if not n.startswith("_")}
    lineage = {n: t for n, t in columns.items() if n.startswith("_")}
    return pl.Schema(data | lineage)


#: ``normalisations``: per bronze file, column and kind, how many values were normalised.
NORMALISATIONS_SCHEMA = pl.Schema(
    {
        "table": pl.String(),
        "batch_id": pl.String(),
        "source_file": pl.String(),
        "file_sha256": pl.String(),
        "column": pl.String(),
        "kind": pl.String(),
        "rows": pl.Int64(),
    }
)

#: The schema of every silver table by name: one per landing file, rejects,
#: warnings and processed_files.
SILVER_SCHEMAS: dict[str, pl.Schema] = {
    **{name: schema(model) for name, model in SILVER_MODELS.items()},
    "rejects": schema(Rejects),
    "warnings": schema(Warnings),
    "processed_files": PROCESSED_FILES_SCHEMA,
    "normalisations": NORMALISATIONS_SCHEMA,
}
