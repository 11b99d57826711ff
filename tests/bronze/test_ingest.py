from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from loyalty_lake.bronze import Lineage, bronze_rows, bronze_schema, map_header
from loyalty_lake.codes import BadFileReason
from loyalty_lake.errors import BadFileError
from loyalty_lake.landing.contract import (
    CUSTOMERS,
    LOYALTY_RULES,
    PROMOTIONS,
    SALES_LINES,
    column_aliases,
)

LINEAGE = Lineage("b1", "customers.csv", "abc", datetime(2026, 11, 1, tzinfo=UTC))


def records(fields: dict[str, list[str | None]], *, first: int = 1) -> pl.LazyFrame:
    """A chunk as the landing reader yields it: well-formed records from row ``first``."""
    height = len(next(iter(fields.values())))
    return pl.LazyFrame(fields, schema=dict.fromkeys(fields, pl.String)).with_columns(
        pl.Series("_row_number", range(first, first + height), dtype=pl.Int64),
        pl.lit(None, dtype=pl.String).alias("_malformed"),
        pl.lit(None, dtype=pl.String).alias("_record"),
        pl.lit(None, dtype=pl.Int32).alias("_padded"),
    )


def test_header_is_matched_case_insensitively_after_trimming():
    mapping = map_header(
        [" Customer_ID ", "EMAIL", "Favourite Colour"], CUSTOMERS, source_file="c.csv"
    )
    assert mapping.columns == {"customer_id": 0, "email": 1}
    assert mapping.extras == {"Favourite Colour": 2}


@pytest.mark.parametrize(
    ("header", "spec", "min_fields"),
    [
        (["customer_id", "first_name", "email"], CUSTOMERS, 1),
        (["first_name", "Shoe Size", "customer_id", "email"], CUSTOMERS, 3),
        (
            ["promotion_id", "start_date", "promotion_name", "end_date", "points_multiplier"],
            PROMOTIONS,
            4,
        ),
        (
            [
                "line_item_id",
                "transaction_id",
                "product_id",
                "promotion_id",
                "quantity",
                "line_item_amount",
            ],
            SALES_LINES,
            6,
        ),
    ],
    ids=["key-first", "key-third", "required-fourth", "required-last"],
)
def test_min_fields_is_one_past_the_last_required_column(header, spec, min_fields):
    assert map_header(header, spec, source_file="f.csv").min_fields == min_fields


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
    raw = records({"c0": ["a@x.org", ""], "c1": [" C1 ", "C2"], "c2": ["=1+1", ""]}, first=5)
    rows = bronze_rows(raw, spec=CUSTOMERS, header=header, lineage=LINEAGE).collect()

    assert rows.schema == bronze_schema(CUSTOMERS)
    assert rows["customer_id"].to_list() == [" C1 ", "C2"]
    assert rows["email"].to_list() == ["a@x.org", ""]
    assert rows["first_name"].to_list() == [None, None]
    assert [json.loads(x) for x in rows["_extra"]] == [{"note": "=1+1"}, {"note": ""}]
    assert rows["_malformed"].to_list() == [None, None]
    assert rows["_padded"].to_list() == [None, None]
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
        records({"c0": ["C1"]}), spec=CUSTOMERS, header=header, lineage=LINEAGE
    ).collect()
    assert rows["_extra"].to_list() == [None]


def test_a_malformed_record_keeps_its_raw_text_and_reason():
    header = map_header(["customer_id", "note"], CUSTOMERS, source_file="c.csv")
    raw = records({"c0": ["C1", None], "c1": ["x", None]}).with_columns(
        pl.Series("_malformed", [None, "line 3: has 3 fields where the header has 2"]),
        pl.Series("_record", [None, 'C2,"a",b']),
    )
    rows = bronze_rows(raw, spec=CUSTOMERS, header=header, lineage=LINEAGE).collect()
    assert rows["customer_id"].to_list() == ["C1", None]
    assert rows["_malformed"].to_list() == [None, "line 3: has 3 fields where the header has 2"]
    assert [json.loads(x) for x in rows["_extra"]] == [{"note": "x"}, {"_record": 'C2,"a",b'}]


def test_a_padded_record_keeps_null_for_what_the_file_did_not_give():
    header = map_header(["customer_id", "email", "note"], CUSTOMERS, source_file="c.csv")
    raw = records({"c0": ["C1", "C2", "C3"], "c1": ["", "b@x.org", None], "c2": ["x", None, None]})
    raw = raw.with_columns(pl.Series("_padded", [None, 1, 2], dtype=pl.Int32))
    rows = bronze_rows(raw, spec=CUSTOMERS, header=header, lineage=LINEAGE).collect()
    assert rows.schema == bronze_schema(CUSTOMERS)
    assert rows["email"].to_list() == ["", "b@x.org", None]  # given empty vs not given
    extras = [json.loads(x) for x in rows["_extra"]]
    assert extras == [{"note": "x"}, {"note": None}, {"note": None}]
    assert rows["_padded"].to_list() == [None, 1, 2]
    assert rows["_malformed"].to_list() == [None, None, None]


def test_messages_quote_contract_names_only():
    """A file without a header: its first data row must not be echoed (personal data)."""
    with pytest.raises(BadFileError) as err:
        map_header(["C1", "Ada", "ada@example.com", "+44 7700 900123"], CUSTOMERS, source_file="c")
    assert err.value.reason is BadFileReason.MISSING_COLUMNS
    assert "Ada" not in str(err.value)
    assert "example.com" not in str(err.value)
    assert "7700" not in str(err.value)
    with pytest.raises(BadFileError) as err:
        map_header(["customer_id", "Ada", "ada"], CUSTOMERS, source_file="c")
    assert err.value.reason is BadFileReason.DUPLICATE_COLUMNS
    assert "ada" not in str(err.value).lower().replace("a column name", "")


def test_loyalty_rules_may_name_their_validity_like_a_promotion():
    header = ["rule_id", "points_per_unit_spend", "Start_Date", "end_date "]
    mapping = map_header(header, LOYALTY_RULES, source_file="loyalty_rules.csv")
    assert mapping.columns == {
        "rule_id": 0,
        "points_per_unit_spend": 1,
        "valid_from": 2,
        "valid_to": 3,
    }
    assert mapping.extras == {}


def test_an_alias_gives_way_to_the_column_under_its_own_name():
    header = ["rule_id", "points_per_unit_spend", "valid_from", "start_date"]
    mapping = map_header(header, LOYALTY_RULES, source_file="loyalty_rules.csv")
    assert mapping.columns["valid_from"] == 2
    assert mapping.extras == {"start_date": 3}


def test_configured_column_aliases_add_to_the_built_in_ones():
    aliases = column_aliases(SALES_LINES, {"sales_lines.Qty": "quantity", "customers.x": "email"})
    assert aliases == {"qty": "quantity"}
    header = ["transaction_id", "line_item_id", "product_id", "QTY", "line_item_amount"]
    mapping = map_header(header, SALES_LINES, source_file="sales_lines.csv", aliases=aliases)
    assert mapping.columns["quantity"] == 3
