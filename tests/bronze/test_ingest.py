from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from loyalty_lake.bronze import Lineage, bronze_rows, bronze_schema, map_header
from loyalty_lake.contract import CUSTOMERS, SALES_LINES
from loyalty_lake.errors import BadFileError, BadFileReason

LINEAGE = Lineage("b1", "customers.csv", "abc", datetime(2026, 11, 1, tzinfo=UTC))


def test_header_is_matched_case_insensitively_after_trimming():
    mapping = map_header(
        [" Customer_ID ", "EMAIL", "Favourite Colour"], CUSTOMERS, source_file="c.csv"
    )
    assert mapping.columns == {"customer_id": 0, "email": 1}
    assert mapping.extras == {"Favourite Colour": 2}


def test_missing_required_column_names_the_column():
    with pytest.raises(BadFileError, match="quantity") as err:
        map_header(
            ["line_item_id", "transaction_id", "product_id", "line_item_amount"],
            SALES_LINES,
            source_file="sales_lines.csv",
        )
    assert err.value.reason is BadFileReason.MISSING_COLUMNS
    assert "sales_lines.csv" in str(err.value)


def test_repeated_column_is_refused():
    with pytest.raises(BadFileError) as err:
        map_header(["customer_id", "Customer_Id"], CUSTOMERS, source_file="c.csv")
    assert err.value.reason is BadFileReason.DUPLICATE_COLUMNS


def test_bronze_rows_keep_text_fill_absent_columns_and_add_lineage():
    header = map_header(["email", "customer_id", "note"], CUSTOMERS, source_file="c.csv")
    raw = pl.LazyFrame({"c0": ["a@x.org", ""], "c1": [" C1 ", "C2"], "c2": ["=1+1", ""]})
    rows = bronze_rows(raw, spec=CUSTOMERS, header=header, lineage=LINEAGE, first_row=5).collect()

    assert rows.schema == bronze_schema(CUSTOMERS)
    assert rows["customer_id"].to_list() == [" C1 ", "C2"]
    assert rows["email"].to_list() == ["a@x.org", ""]
    assert rows["first_name"].to_list() == [None, None]
    assert [json.loads(x) for x in rows["_extra"]] == [{"note": "=1+1"}, {"note": ""}]
    expected_lineage = pl.DataFrame(
        {
            "_batch_id": ["b1", "b1"],
            "_source_file": ["customers.csv"] * 2,
            "_file_sha256": ["abc"] * 2,
            "_row_number": [5, 6],
            "_ingested_at": [LINEAGE.ingested_at] * 2,
        },
        schema_overrides={"_ingested_at": pl.Datetime("us", "UTC")},
    )
    assert_frame_equal(rows.select(expected_lineage.columns), expected_lineage)


def test_no_extra_columns_gives_null_extra():
    header = map_header(["customer_id"], CUSTOMERS, source_file="c.csv")
    rows = bronze_rows(
        pl.LazyFrame({"c0": ["C1"]}), spec=CUSTOMERS, header=header, lineage=LINEAGE, first_row=1
    ).collect()
    assert rows["_extra"].to_list() == [None]
