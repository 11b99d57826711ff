"""Silver rules, one at a time: small literal bronze frames in, exact reasons out."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from loyalty_lake.bronze import bronze_schema
from loyalty_lake.codes import DEFAULT_SEVERITY, Reason, Severity
from loyalty_lake.landing.contract import LANDING_FILES, SALES_HEADER, SALES_LINES
from loyalty_lake.silver.models import SILVER_MODELS, Rejects, Warnings, schema
from loyalty_lake.silver.split import reject_rows, silver_rows, warning_rows
from loyalty_lake.silver.tables import (
    Checks,
    Known,
    checked_customers,
    checked_inventory,
    checked_loyalty_rules,
    checked_products,
    checked_promotions,
    checked_redemptions,
    checked_sales,
    checked_stores,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from loyalty_lake.landing.contract import LandingFile

NOW = datetime(2026, 11, 1, tzinfo=UTC)
INGESTED_AT = datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
CHECKS = Checks(now=NOW)
KNOWN = Known(
    stores=pl.DataFrame({"store_id": ["S1", "S2"]}),
    products=pl.DataFrame(
        {"product_id": ["P1", "P2", "P3"], "product_category": ["Food", "Food", "Toys"]}
    ),
    customers=pl.DataFrame({"customer_id": ["C1", "C2"]}),
    promotions=pl.DataFrame({"promotion_id": ["PR1"]}),
)

#: One valid bronze row per table; tests override single values.
VALID: dict[str, dict[str, str]] = {
    "stores": {
        "store_id": "S1",
        "store_name": "Main Street",
        "store_city": "Leeds",
        "store_region": "North",
        "opening_date": "2020-01-01",
    },
    "products": {
        "product_id": "P1",
        "product_name": "Tea",
        "product_category": "Food",
        "unit_price": "10.00",
        "current_stock_level": "5",
    },
    "customers": {
        "customer_id": "C1",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "phone": "+44 20 7946 0958",
        "enrollment_date": "2024-05-01",
        "loyalty_status": "Gold",
    },
    "promotions": {
        "promotion_id": "PR1",
        "promotion_name": "Autumn",
        "start_date": "2026-10-01",
        "end_date": "2026-10-31",
        "discount_percentage": "10",
        "applicable_category": "Food",
        "points_multiplier": "2",
    },
    "loyalty_rules": {
        "rule_id": "R1",
        "rule_name": "Standard",
        "points_per_unit_spend": "1",
        "min_spend_threshold": "0",
        "bonus_points": "0",
        "applicable_category": "ALL",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "days_of_week": "",
    },
    "sales_header": {
        "transaction_id": "T1",
        "customer_id": "C1",
        "store_id": "S1",
        "transaction_date": "2026-10-30T10:00:00",
        "total_amount": "10.00",
        "transaction_type": "SALE",
        "original_transaction_id": "",
    },
    "sales_lines": {
        "line_item_id": "1",
        "transaction_id": "T1",
        "product_id": "P1",
        "promotion_id": "",
        "quantity": "1",
        "line_item_amount": "10.00",
    },
    "redemptions": {
        "redemption_id": "RD1",
        "customer_id": "C1",
        "redemption_date": "2026-10-30",
        "points_redeemed": "100",
        "store_id": "S1",
    },
    "inventory": {
        "snapshot_date": "2026-10-30",
        "store_id": "S1",
        "product_id": "P1",
        "stock_level": "7",
    },
}
MASTER_CHECKS = {
    "stores": checked_stores,
    "products": checked_products,
    "customers": checked_customers,
    "promotions": checked_promotions,
    "loyalty_rules": checked_loyalty_rules,
}
FACT_CHECKS = {"redemptions": checked_redemptions, "inventory": checked_inventory}


# --- helpers ---------------------------------------------------------------------------


def row(name: str, **values: str | None) -> dict[str, str | None]:
    """A valid bronze row of table ``name`` with ``values`` replaced."""
    return {**VALID[name], **values}


def header(transaction_id: str = "T1", **values: str | None) -> dict[str, str | None]:
    return row("sales_header", **{"transaction_id": transaction_id, **values})


def line(
    transaction_id: str = "T1", item: str = "1", **values: str | None
) -> dict[str, str | None]:
    return row("sales_lines", **{"transaction_id": transaction_id, "line_item_id": item, **values})


def bronze(
    spec: LandingFile, rows: Sequence[Mapping[str, str | None]], *, batch: str = "b1"
) -> pl.LazyFrame:
    """Bronze rows of one landed file: text values, no extras, lineage filled in."""
    n = len(rows)
    data: dict[str, list[object]] = {c: [r.get(c) for r in rows] for c in spec.columns}
    data |= {
        "_extra": [None] * n,
        "_malformed": [None] * n,
        "_padded": [None] * n,
        "_batch_id": [batch] * n,
        "_source_file": [spec.filename] * n,
        "_file_sha256": [f"{batch}-{spec.name}".ljust(64, "0")] * n,
        "_row_number": list(range(1, n + 1)),
        "_ingested_at": [INGESTED_AT] * n,
    }
    return pl.LazyFrame(data, schema=bronze_schema(spec))


def empty_silver(name: str) -> pl.LazyFrame:
    return pl.LazyFrame(schema=schema(SILVER_MODELS[name]))


def checked(
    name: str,
    *rows: Mapping[str, str | None],
    checks: Checks = CHECKS,
    existing: pl.LazyFrame | None = None,
    frame: pl.LazyFrame | None = None,
) -> pl.DataFrame:
    """Check the rows of one master table, redemptions or inventory; sorted by arrival."""
    spec = LANDING_FILES[name]
    bronze_rows = bronze(spec, rows) if frame is None else frame
    if name in MASTER_CHECKS:
        out = MASTER_CHECKS[name](bronze_rows, checks=checks)
    else:
        out = FACT_CHECKS[name](
            bronze_rows,
            known=KNOWN,
            existing=empty_silver(name) if existing is None else existing,
            checks=checks,
        )
    return out.collect().sort("_batch_id", "_row_number")


def sales(
    headers: Sequence[Mapping[str, str | None]] | pl.LazyFrame,
    lines: Sequence[Mapping[str, str | None]] | pl.LazyFrame,
    *,
    checks: Checks = CHECKS,
    existing_header: pl.LazyFrame | None = None,
    existing_lines: pl.LazyFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Checked sales headers and lines, each sorted by arrival."""
    h = headers if isinstance(headers, pl.LazyFrame) else bronze(SALES_HEADER, headers)
    ln = lines if isinstance(lines, pl.LazyFrame) else bronze(SALES_LINES, lines)
    out_h, out_l = checked_sales(
        h,
        ln,
        known=KNOWN,
        existing_header=empty_silver("sales_header")
        if existing_header is None
        else existing_header,
        existing_lines=empty_silver("sales_lines") if existing_lines is None else existing_lines,
        checks=checks,
    )
    order = ["_batch_id", "_row_number"]
    return out_h.collect().sort(order), out_l.collect().sort(order)


def messages(frame: pl.DataFrame) -> list[list[str]]:
    """Each row's messages, one per failed rule."""
    return [[m for m in (text or "").split("; ") if m] for text in frame["_messages"]]


def reasons(frame: pl.DataFrame) -> list[list[str]]:
    return frame["_reasons"].to_list()


def warnings(frame: pl.DataFrame) -> list[list[str]]:
    return frame["_warnings"].to_list()


def verdicts(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select("_row_number", "_reasons", "_warnings")


def expected_verdicts(*rows: tuple[list[str], list[str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "_row_number": list(range(1, len(rows) + 1)),
            "_reasons": [r for r, _ in rows],
            "_warnings": [w for _, w in rows],
        },
        schema={
            "_row_number": pl.Int64,
            "_reasons": pl.List(pl.String),
            "_warnings": pl.List(pl.String),
        },
    )


def _other_key(name: str) -> dict[str, str]:
    """Values that give a second valid row its own key."""
    spec = LANDING_FILES[name]
    if name == "inventory":
        return {"snapshot_date": "2026-10-29"}
    return {spec.key[0]: f"{VALID[name][spec.key[0]]}-2"}


# --- NULL_REQUIRED ---------------------------------------------------------------------

REQUIRED_SINGLE_TABLE = [
    ("stores", "store_id"),
    ("products", "product_id"),
    ("products", "product_category"),
    ("products", "unit_price"),
    ("customers", "customer_id"),
    ("promotions", "promotion_id"),
    ("promotions", "start_date"),
    ("promotions", "end_date"),
    ("loyalty_rules", "rule_id"),
    ("loyalty_rules", "points_per_unit_spend"),
    ("redemptions", "redemption_id"),
    ("redemptions", "customer_id"),
    ("redemptions", "redemption_date"),
    ("redemptions", "points_redeemed"),
    ("inventory", "snapshot_date"),
    ("inventory", "store_id"),
    ("inventory", "product_id"),
    ("inventory", "stock_level"),
]


@pytest.mark.parametrize(("name", "column"), REQUIRED_SINGLE_TABLE)
@pytest.mark.parametrize("value", ["", "   ", None], ids=["empty", "blank", "absent"])
def test_an_empty_required_value_is_null_required(name, column, value):
    out = checked(name, row(name, **{column: value}), row(name, **_other_key(name)))
    # The second row is the valid one; it must stay clean.
    assert reasons(out) == [["NULL_REQUIRED"], []]
    assert messages(out)[0] == [f"{column} is empty"]


@pytest.mark.parametrize(
    ("column", "header_reasons", "line_reasons"),
    [
        # A header without an id has no lines, so its total cannot match either,
        # and the line has no header left.
        ("transaction_id", ["NULL_REQUIRED"], ["ORPHAN_LINE"]),
        ("store_id", ["NULL_REQUIRED"], ["PARENT_REJECTED"]),
        ("transaction_date", ["NULL_REQUIRED"], ["PARENT_REJECTED"]),
        ("total_amount", ["NULL_REQUIRED"], ["PARENT_REJECTED"]),
    ],
)
def test_an_empty_required_header_value_is_null_required(column, header_reasons, line_reasons):
    h, ln = sales([header(**{column: " "})], [line()])
    assert reasons(h) == [header_reasons]
    assert reasons(ln) == [line_reasons]


@pytest.mark.parametrize(
    ("column", "header_reasons"),
    [
        ("line_item_id", ["PARENT_REJECTED"]),
        ("product_id", ["PARENT_REJECTED"]),
        ("quantity", ["PARENT_REJECTED"]),
        ("line_item_amount", ["PARENT_REJECTED"]),
        # A line without a transaction id belongs to no transaction: T1 has no lines.
        ("transaction_id", ["MISSING_LINES"]),
    ],
)
def test_an_empty_required_line_value_is_null_required(column, header_reasons):
    h, ln = sales([header()], [line(**{column: ""})])
    assert reasons(ln) == [["NULL_REQUIRED"]]
    assert reasons(h) == [header_reasons]


def test_optional_values_may_be_empty():
    out = checked(
        "customers",
        row(
            "customers",
            first_name="",
            last_name="",
            email="",
            phone="",
            enrollment_date="",
            loyalty_status="",
        ),
    )
    assert reasons(out) == [[]]
    assert warnings(out) == [[]]
    h, ln = sales([header(transaction_type="", original_transaction_id="")], [line()])
    assert reasons(h) == [[]]
    assert reasons(ln) == [[]]
    assert h["transaction_type"].to_list() == ["SALE"]  # the default


# --- INVALID_TYPE ----------------------------------------------------------------------

BAD_MONEY = ["12,50", "12,34", "1.2.3", "12.345", "1e309", "inf", "1,2345.00", "$1.2.3"]


@pytest.mark.parametrize("text", ["N/A", "NaN", "NULL", "<NA>"])
def test_a_null_token_in_a_required_column_is_null_required(text):
    h, _ = sales([header(total_amount=text)], [line()])
    assert reasons(h) == [["NULL_REQUIRED"]]


@pytest.mark.parametrize("text", BAD_MONEY)
def test_a_total_that_is_not_money_is_invalid_type(text):
    h, ln = sales([header(total_amount=text)], [line()])
    assert reasons(h) == [["INVALID_TYPE"]]
    assert reasons(ln) == [["PARENT_REJECTED"]]
    assert h["total_amount"].to_list() == [None]


@pytest.mark.parametrize("text", BAD_MONEY)
def test_a_line_amount_that_is_not_money_is_invalid_type(text):
    h, ln = sales([header()], [line(line_item_amount=text)])
    assert reasons(ln) == [["INVALID_TYPE"]]
    assert reasons(h) == [["PARENT_REJECTED"]]


@pytest.mark.parametrize(
    "text",
    ["99999999999999999999", "9223372036854775808", "-9223372036854775809", "1.5", "2e3", "two"],
)
def test_a_quantity_that_is_not_a_64_bit_integer_is_invalid_type(text):
    h, ln = sales([header()], [line(quantity=text)])
    assert reasons(ln) == [["INVALID_TYPE"]]
    assert reasons(h) == [["PARENT_REJECTED"]]


@pytest.mark.parametrize(
    ("text", "unknown_notation"),
    [
        ("2026-02-30", False),  # a known notation, an impossible date: no format to set
        ("20261031", True),
        ("13/13/2026", False),
        ("31/10/26", True),
        ("2026-10-30T25:00", False),
        ("soon", True),
    ],
)
def test_a_transaction_date_that_is_not_iso_8601_is_invalid_type(text, unknown_notation):
    h, ln = sales([header(transaction_date=text)], [line()])
    assert reasons(h) == [["INVALID_TYPE"]]
    assert reasons(ln) == [["PARENT_REJECTED"]]
    hint = (
        ' (if it is a date, set dq.dates."sales_header.transaction_date" to its strftime '
        'format, e.g. "%d.%m.%Y")'
    )
    message = f"transaction_date '{text}' is not an ISO 8601 date or date-time"
    assert messages(h)[0] == [message + (hint if unknown_notation else "")]


@pytest.mark.parametrize("text", ["REFUND", "S", "sale-return", "VOID"])
def test_an_unknown_transaction_type_is_invalid_type(text):
    h, _ = sales([header(transaction_type=text)], [line()])
    assert reasons(h) == [["INVALID_TYPE"]]
    assert h["transaction_type"].to_list() == [None]


@pytest.mark.parametrize(
    ("name", "column", "text"),
    [
        ("stores", "opening_date", "31.13.2026"),
        ("products", "unit_price", "12,34"),
        ("products", "unit_price", "12.345"),
        ("products", "current_stock_level", "2.5"),
        ("products", "current_stock_level", "99999999999999999999"),
        ("customers", "enrollment_date", "2026-02-30"),
        ("promotions", "start_date", "2026-10-1"),
        ("promotions", "discount_percentage", "ten"),
        ("promotions", "discount_percentage", "150"),
        ("promotions", "discount_percentage", "-5"),
        ("promotions", "points_multiplier", "x2"),
        ("loyalty_rules", "points_per_unit_spend", "1.23456"),
        ("loyalty_rules", "min_spend_threshold", "12.345"),
        ("loyalty_rules", "bonus_points", "1e3"),
        ("loyalty_rules", "valid_from", "2026-13-01"),
        ("loyalty_rules", "days_of_week", "sat,sun"),
        ("loyalty_rules", "days_of_week", "weekend"),
        ("redemptions", "redemption_date", "2026-02-30"),
        ("redemptions", "redemption_date", "31/10/26"),
        ("redemptions", "points_redeemed", "99999999999999999999"),
        ("redemptions", "points_redeemed", "1.5"),
        ("inventory", "snapshot_date", "2026/10/30/1"),
        ("inventory", "stock_level", "1.5"),
    ],
)
def test_a_value_of_the_wrong_type_is_invalid_type(name, column, text):
    out = checked(name, row(name, **{column: text}), row(name, **_other_key(name)))
    assert reasons(out) == [["INVALID_TYPE"], []]


def test_an_invalid_type_message_quotes_the_text():
    h, _ = sales([header(total_amount="12,50")], [line()])
    assert messages(h)[0] == [
        "total_amount '12,50' is not a decimal number with at most 2 places "
        '(if the file writes decimal commas, add "sales_header" to dq.decimal_comma)'
    ]


# --- NEGATIVE_OR_ZERO ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "text"),
    [
        ("quantity", "0"),
        ("quantity", "-1"),
        ("quantity", "-0"),
        ("line_item_amount", "-0"),
        ("line_item_amount", "0.00"),
        ("line_item_amount", "-10.00"),
    ],
)
def test_a_line_quantity_or_amount_must_be_positive(column, text):
    h, ln = sales([header()], [line(**{column: text})])
    assert reasons(ln) == [["NEGATIVE_OR_ZERO"]]
    assert reasons(h) == [["PARENT_REJECTED"]]


@pytest.mark.parametrize(
    ("name", "column", "text", "expected"),
    [
        ("redemptions", "points_redeemed", "-5", ["NEGATIVE_OR_ZERO"]),
        ("redemptions", "points_redeemed", "0", ["NEGATIVE_OR_ZERO"]),
        ("inventory", "stock_level", "0", []),  # an empty shelf is a fact
        ("inventory", "stock_level", "-1", ["NEGATIVE_OR_ZERO"]),
        ("products", "unit_price", "0", ["NEGATIVE_OR_ZERO"]),
        ("products", "unit_price", "-0", ["NEGATIVE_OR_ZERO"]),
        ("products", "current_stock_level", "0", []),
        ("products", "current_stock_level", "-3", ["NEGATIVE_OR_ZERO"]),
        ("promotions", "points_multiplier", "0", []),
        ("promotions", "points_multiplier", "-1", ["NEGATIVE_OR_ZERO"]),
        ("loyalty_rules", "points_per_unit_spend", "0", []),
        ("loyalty_rules", "points_per_unit_spend", "-0.5", ["NEGATIVE_OR_ZERO"]),
        ("loyalty_rules", "bonus_points", "-1", ["NEGATIVE_OR_ZERO"]),
        ("loyalty_rules", "min_spend_threshold", "-0.01", ["NEGATIVE_OR_ZERO"]),
    ],
)
def test_counts_and_amounts_must_not_be_negative(name, column, text, expected):
    out = checked(name, row(name, **{column: text}))
    assert reasons(out) == [expected]


def test_a_negative_total_with_a_negative_line_keeps_only_their_own_reasons():
    h, ln = sales([header(total_amount="-0")], [line(line_item_amount="-0")])
    assert reasons(h) == [["NEGATIVE_OR_ZERO"]]
    assert reasons(ln) == [["NEGATIVE_OR_ZERO"]]
    assert messages(h)[0] == ["total_amount '-0' must be positive"]


# --- INVALID_DATE ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01T23:59:59", []),  # within the 1-day tolerance
        ("2026-11-02T00:00:00", []),  # exactly now + 1 day
        ("2026-11-02", []),
        ("2026-11-02T01:00:00+02:00", []),  # 23:00 UTC on 1 November
        ("2026-11-02T00:00:01", ["INVALID_DATE"]),
        ("2026-11-02T00:00:01Z", ["INVALID_DATE"]),
        ("2026-11-03", ["INVALID_DATE"]),
        ("2027-01-01", ["INVALID_DATE"]),
        ("2000-01-01", []),
        ("1999-12-31T23:59:59", ["INVALID_DATE"]),
        ("1970-01-01", ["INVALID_DATE"]),
    ],
)
def test_a_transaction_date_must_be_plausible(text, expected):
    h, ln = sales([header(transaction_date=text)], [line()])
    assert reasons(h) == [expected]
    assert reasons(ln) == [["PARENT_REJECTED"] if expected else []]


def test_the_future_tolerance_is_configurable():
    checks = Checks(now=NOW, future_tolerance=timedelta(0))
    h, _ = sales(
        [
            header("T1", transaction_date="2026-11-01T00:00:00"),
            header("T2", transaction_date="2026-11-01T00:00:01"),
        ],
        [line("T1"), line("T2")],
        checks=checks,
    )
    assert reasons(h) == [[], ["INVALID_DATE"]]
    assert messages(h)[1] == ["transaction_date '2026-11-01T00:00:01' is in the future"]


@pytest.mark.parametrize(
    ("name", "column", "text", "expected"),
    [
        ("redemptions", "redemption_date", "2026-11-02", []),
        ("redemptions", "redemption_date", "2026-11-03", ["INVALID_DATE"]),
        ("redemptions", "redemption_date", "1999-12-31", ["INVALID_DATE"]),
        ("inventory", "snapshot_date", "2026-11-02", []),
        ("inventory", "snapshot_date", "2026-11-03", ["INVALID_DATE"]),
        ("customers", "enrollment_date", "2026-11-02", []),
        ("customers", "enrollment_date", "2026-11-03", ["INVALID_DATE"]),
        ("promotions", "start_date", "1999-12-31", ["INVALID_DATE"]),
    ],
)
def test_dates_must_not_be_in_the_future_or_too_old(name, column, text, expected):
    out = checked(name, row(name, **{column: text}))
    assert reasons(out) == [expected]


@pytest.mark.parametrize(
    ("name", "start", "end", "expected"),
    [
        ("promotions", "2026-10-31", "2026-10-01", ["INVALID_DATE"]),
        ("promotions", "2026-10-01", "2026-10-01", []),
        ("loyalty_rules", "2026-12-31", "2026-01-01", ["INVALID_DATE"]),
        ("loyalty_rules", "2026-01-01", "2026-01-01", []),
    ],
)
def test_a_window_must_not_end_before_it_starts(name, start, end, expected):
    columns = ("start_date", "end_date") if name == "promotions" else ("valid_from", "valid_to")
    out = checked(name, row(name, **dict(zip(columns, (start, end), strict=True))))
    assert reasons(out) == [expected]
    if expected:
        assert messages(out)[0] == [f"{columns[1]} '{end}' is before {columns[0]} '{start}'"]


# --- DUPLICATE -------------------------------------------------------------------------


def test_master_duplicates_within_a_batch_are_exact_or_conflicting():
    out = checked(
        "stores",
        row("stores"),
        row("stores"),
        row("stores", store_name="Market Square"),
        row("stores", store_id="S2"),
    )
    assert reasons(out) == [[], ["DUPLICATE"], ["DUPLICATE"], []]
    assert messages(out) == [
        [],
        ["exact duplicate of stores.csv row 1 (same store_id)"],
        ["conflicting duplicate of stores.csv row 1 (same store_id)"],
        [],
    ]


def test_the_same_master_key_in_two_batches_is_an_update_not_a_duplicate():
    frame = pl.concat(
        [
            bronze(LANDING_FILES["customers"], [row("customers")], batch="b1"),
            bronze(LANDING_FILES["customers"], [row("customers")], batch="b2"),
            bronze(
                LANDING_FILES["customers"], [row("customers", first_name="Augusta")], batch="b3"
            ),
        ]
    )
    out = checked("customers", frame=frame)
    assert reasons(out) == [[], [], []]


def test_a_sales_header_copied_within_a_batch_is_a_duplicate():
    h, ln = sales(
        [header(), header(), header(total_amount="11.00"), header("T2")],
        [line(), line("T2")],
    )
    assert reasons(h) == [[], ["DUPLICATE"], ["DUPLICATE"], []]
    assert messages(h)[1] == ["exact duplicate of sales_header.csv row 1 (same transaction_id)"]
    assert messages(h)[2] == [
        "conflicting duplicate of sales_header.csv row 1 (same transaction_id)"
    ]
    # The first copy and its lines are clean: a duplicate does not reject its original.
    assert reasons(ln) == [[], []]


def test_a_sales_line_copied_within_a_batch_is_a_duplicate():
    h, ln = sales(
        [header(total_amount="10.00")],
        [line(), line(), line(line_item_amount="9.00")],
    )
    assert reasons(ln) == [[], ["DUPLICATE"], ["DUPLICATE"]]
    assert messages(ln) == [
        [],
        ["exact duplicate of sales_lines.csv row 1 (same transaction_id, line_item_id)"],
        ["conflicting duplicate of sales_lines.csv row 1 (same transaction_id, line_item_id)"],
    ]
    assert reasons(h) == [[]]  # the total matches the one line that counts


def test_a_fact_key_in_two_batches_of_one_run_is_a_duplicate():
    frame = pl.concat(
        [
            bronze(LANDING_FILES["redemptions"], [row("redemptions")], batch="b1"),
            bronze(LANDING_FILES["redemptions"], [row("redemptions")], batch="b2"),
        ]
    )
    out = checked("redemptions", frame=frame)
    assert reasons(out) == [[], ["DUPLICATE"]]


@pytest.mark.parametrize(
    ("name", "changed"),
    [
        ("redemptions", {"points_redeemed": "200"}),
        ("inventory", {"stock_level": "9"}),
    ],
)
def test_fact_duplicates_within_a_batch(name, changed):
    out = checked(name, row(name), row(name), row(name, **changed))
    assert reasons(out) == [[], ["DUPLICATE"], ["DUPLICATE"]]
    assert out["_messages"][1].startswith("exact duplicate of")
    assert out["_messages"][2].startswith("conflicting duplicate of")


def _silver_sales(
    headers: Sequence[Mapping[str, str | None]], lines: Sequence[Mapping[str, str | None]]
) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Silver sales tables holding the clean rows of an earlier batch b0."""
    h, ln = checked_sales(
        bronze(SALES_HEADER, headers, batch="b0"),
        bronze(SALES_LINES, lines, batch="b0"),
        known=KNOWN,
        existing_header=empty_silver("sales_header"),
        existing_lines=empty_silver("sales_lines"),
        checks=CHECKS,
    )
    return (
        silver_rows(h, SALES_HEADER).collect().lazy(),
        silver_rows(ln, SALES_LINES).collect().lazy(),
    )


def test_a_transaction_already_in_silver_is_a_duplicate():
    existing_header, existing_lines = _silver_sales([header()], [line()])
    assert existing_header.collect().height == 1
    h, ln = sales(
        [header(), header("T2"), header("T3", total_amount="20.00")],
        [line(), line("T2"), line("T3", line_item_amount="20.00")],
        existing_header=existing_header,
        existing_lines=existing_lines,
    )
    assert reasons(h) == [["DUPLICATE"], [], []]
    assert messages(h)[0] == ["exact duplicate of the row already in silver from batch b0"]
    assert reasons(ln) == [["DUPLICATE"], [], []]
    assert messages(ln)[0] == ["exact duplicate of the row already in silver from batch b0"]


def test_a_changed_transaction_already_in_silver_conflicts():
    existing_header, existing_lines = _silver_sales([header()], [line()])
    h, ln = sales(
        [header(total_amount="12.00")],
        [line(line_item_amount="12.00")],
        existing_header=existing_header,
        existing_lines=existing_lines,
    )
    assert reasons(h) == [["DUPLICATE"]]
    assert messages(h)[0] == ["conflicts with the row already in silver from batch b0"]
    assert reasons(ln) == [["DUPLICATE"]]
    assert messages(ln)[0] == ["conflicts with the row already in silver from batch b0"]


def test_a_transaction_whose_date_changed_conflicts_with_silver():
    existing_header, existing_lines = _silver_sales([header()], [line()])
    h, _ = sales(
        [header(transaction_date="2026-10-20T09:00:00")],
        [line()],
        existing_header=existing_header,
        existing_lines=existing_lines,
    )
    assert reasons(h) == [["DUPLICATE"]]
    assert messages(h)[0] == ["conflicts with the row already in silver from batch b0"]


def test_a_redemption_already_in_silver_is_a_duplicate():
    first = checked("redemptions", row("redemptions"))
    existing = silver_rows(first.lazy(), LANDING_FILES["redemptions"]).collect().lazy()
    out = checked(
        "redemptions",
        row("redemptions"),
        row("redemptions", redemption_id="RD2"),
        existing=existing,
    )
    assert reasons(out) == [["DUPLICATE"], []]
    assert messages(out)[0] == ["exact duplicate of the row already in silver from batch b1"]


# --- UNKNOWN_* -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"customer_id": "C9"}, ["UNKNOWN_CUSTOMER"]),
        ({"store_id": "S9"}, ["UNKNOWN_STORE"]),
        ({"customer_id": "C9", "store_id": "S9"}, ["UNKNOWN_CUSTOMER", "UNKNOWN_STORE"]),
    ],
)
def test_a_header_naming_an_unknown_master_is_rejected(values, expected):
    h, ln = sales([header(**values)], [line()])
    # Every failed rule is listed (the order of the codes is not part of the contract).
    assert [sorted(r) for r in reasons(h)] == [expected]
    assert reasons(ln) == [["PARENT_REJECTED"]]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"product_id": "P9"}, ["UNKNOWN_PRODUCT"]),
        ({"promotion_id": "PR9"}, ["UNKNOWN_PROMOTION"]),
        ({"promotion_id": "PR1"}, []),
        ({"promotion_id": ""}, []),
    ],
)
def test_a_line_naming_an_unknown_product_or_promotion_is_rejected(values, expected):
    h, ln = sales([header()], [line(**values)])
    assert reasons(ln) == [expected]
    assert reasons(h) == [["PARENT_REJECTED"] if expected else []]


def test_an_unknown_reference_message_quotes_the_key():
    _, ln = sales([header()], [line(product_id="P9")])
    assert messages(ln)[0] == ["product_id 'P9' is unknown"]


@pytest.mark.parametrize(
    ("name", "values", "expected"),
    [
        ("redemptions", {"customer_id": "C9"}, ["UNKNOWN_CUSTOMER"]),
        ("redemptions", {"store_id": "S9"}, ["UNKNOWN_STORE"]),
        ("redemptions", {"store_id": ""}, []),  # the store is optional
        ("inventory", {"store_id": "S9"}, ["UNKNOWN_STORE"]),
        ("inventory", {"product_id": "P9"}, ["UNKNOWN_PRODUCT"]),
    ],
)
def test_facts_naming_unknown_masters_are_rejected(name, values, expected):
    out = checked(name, row(name, **values))
    assert reasons(out) == [expected]


def test_a_guest_sale_is_accepted():
    h, ln = sales([header(customer_id="")], [line()])
    assert reasons(h) == [[]]
    assert reasons(ln) == [[]]
    assert h["customer_id"].to_list() == [None]


def _return(transaction_id: str, original: str, **values: str) -> dict[str, str | None]:
    return header(
        transaction_id,
        **{"transaction_type": "RETURN", "original_transaction_id": original, **values},
    )


def test_returns_must_name_a_known_clean_sale():
    h, ln = sales(
        [
            header("T1"),
            _return("R1", "T1"),  # a sale of the same run
            _return("R2", "T404"),  # unknown
            _return("R3", ""),  # names nothing
            header("T2", store_id="S9"),  # a rejected sale
            _return("R4", "T2"),
            _return("R5", "R1"),  # a return is not a sale
        ],
        [line("T1"), line("R1"), line("R2"), line("R3"), line("T2"), line("R4"), line("R5")],
    )
    assert reasons(h) == [
        [],
        [],
        ["UNKNOWN_ORIGINAL_TRANSACTION"],
        ["UNKNOWN_ORIGINAL_TRANSACTION"],
        ["UNKNOWN_STORE"],
        ["UNKNOWN_ORIGINAL_TRANSACTION"],
        ["UNKNOWN_ORIGINAL_TRANSACTION"],
    ]
    assert messages(h)[2] == ["original_transaction_id 'T404' is not a known sale"]
    assert messages(h)[3] == ["a RETURN must name its original_transaction_id"]
    assert reasons(ln) == [[], [], *[["PARENT_REJECTED"]] * 5]


def test_a_return_may_name_a_sale_already_in_silver():
    existing_header, existing_lines = _silver_sales([header("T1")], [line("T1")])
    h, _ = sales(
        [_return("R1", "T1")],
        [line("R1")],
        existing_header=existing_header,
        existing_lines=existing_lines,
    )
    assert reasons(h) == [[]]
    assert h["transaction_type"].to_list() == ["RETURN"]


# --- TOTAL_MISMATCH --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "amounts", "expected"),
    [
        ("10.02", ["10.00"], ["TOTAL_MISMATCH"]),
        ("9.98", ["10.00"], ["TOTAL_MISMATCH"]),
        ("10.01", ["10.00"], []),  # off by exactly the tolerance
        ("9.99", ["10.00"], []),
        ("0.30", ["0.10", "0.20"], []),  # exact decimals, no 0.30000000000000004
        ("0.29", ["0.10", "0.20"], []),  # binary floats would make this 0.0100000000000001
        ("0.31", ["0.10", "0.20"], []),
        ("0.32", ["0.10", "0.20"], ["TOTAL_MISMATCH"]),
        ("30.00", ["10.00", "10.00", "10.00"], []),
    ],
)
def test_a_total_must_match_its_lines_within_a_cent(total, amounts, expected):
    lines = [
        line(item=str(i), line_item_amount=amount) for i, amount in enumerate(amounts, start=1)
    ]
    h, ln = sales([header(total_amount=total)], lines)
    assert reasons(h) == [expected]
    assert reasons(ln) == [["PARENT_REJECTED"] if expected else []] * len(amounts)


def test_a_total_mismatch_message_names_the_sum_and_the_lines():
    h, _ = sales(
        [header(total_amount="10.02")],
        [line(item="1", line_item_amount="4.00"), line(item="2", line_item_amount="6.00")],
    )
    assert messages(h)[0] == [
        "total_amount 10.02 differs from the sum 10.00 of its 2 line(s) by more than 0.01 "
        "(dq.total_tolerance)"
    ]


def test_the_total_tolerance_is_compared_exactly():
    def total_reasons(tolerance: str) -> list:
        checks = replace(CHECKS, total_tolerance=Decimal(tolerance))
        h, _ = sales([header(total_amount="10.02")], [line()], checks=checks)
        return reasons(h)

    assert total_reasons("0.019") == [["TOTAL_MISMATCH"]]  # not rounded to 0.02
    assert total_reasons("0.02") == [[]]


def test_a_header_without_lines_waits_for_them():
    h, _ = sales([header()], [])
    assert reasons(h) == [["MISSING_LINES"]]
    assert messages(h) == [
        ["no sales_lines of transaction 'T1' have landed yet: the header waits for them"]
    ]


# --- ORPHAN_LINE -----------------------------------------------------------------------


def test_a_line_without_its_header_is_an_orphan():
    h, ln = sales([header("T1")], [line("T1"), line("T2")])
    assert reasons(h) == [[]]
    assert reasons(ln) == [[], ["ORPHAN_LINE"]]
    assert messages(ln)[1] == [
        "no sales_header of transaction 'T2' has landed yet: the line waits for it"
    ]


def test_a_header_waiting_in_another_batch_adopts_its_lines():
    """The two files of a sale landed in different batches: paired when checked together."""
    h, ln = sales(
        bronze(SALES_HEADER, [header()], batch="b1"),
        bronze(SALES_LINES, [line()], batch="b2"),
    )
    assert reasons(ln) == [[]]
    assert reasons(h) == [[]]


def test_a_complete_transaction_does_not_adopt_a_line_of_another_batch():
    h, ln = sales(
        pl.concat([bronze(SALES_HEADER, [header()], batch="b1")]),
        pl.concat(
            [
                bronze(SALES_LINES, [line()], batch="b1"),
                bronze(SALES_LINES, [line("T1", "2")], batch="b2"),
            ]
        ),
    )
    assert reasons(h) == [[]]
    assert reasons(ln) == [[], ["ORPHAN_LINE"]]


# --- PARENT_REJECTED: a transaction is all or nothing ------------------------------------


def test_a_rejected_header_rejects_its_clean_lines():
    h, ln = sales(
        [header("T1", store_id="S9", total_amount="20.00"), header("T2")],
        [line("T1", "1"), line("T1", "2"), line("T2", "1")],
    )
    assert reasons(h) == [["UNKNOWN_STORE"], []]
    assert reasons(ln) == [["PARENT_REJECTED"], ["PARENT_REJECTED"], []]
    assert messages(ln)[0] == ["another row of transaction 'T1' was rejected"]


def test_a_bad_line_rejects_its_header_and_siblings():
    h, ln = sales(
        [header("T1", total_amount="30.00"), header("T2")],
        [line("T1", "1"), line("T1", "2", product_id="P9"), line("T1", "3"), line("T2", "1")],
    )
    assert reasons(h) == [["PARENT_REJECTED"], []]
    assert reasons(ln) == [["PARENT_REJECTED"], ["UNKNOWN_PRODUCT"], ["PARENT_REJECTED"], []]


def test_rows_with_their_own_reasons_keep_only_their_own():
    h, ln = sales(
        [header("T1", customer_id="C9", total_amount="30.00")],
        [line("T1", "1"), line("T1", "2", product_id="P9"), line("T1", "3", quantity="0")],
    )
    assert reasons(h) == [["UNKNOWN_CUSTOMER"]]
    assert reasons(ln) == [["PARENT_REJECTED"], ["UNKNOWN_PRODUCT"], ["NEGATIVE_OR_ZERO"]]


def test_messages_of_later_checks_have_no_leading_separator():
    # Regression: messages of the checks that run after the per-row ones (PARENT_REJECTED,
    # TOTAL_MISMATCH, ORPHAN_LINE, ...) once started with '; ' on otherwise clean rows.
    h, ln = sales(
        [header("T1", store_id="S9"), header("T2", total_amount="10.02")],
        [line("T1"), line("T2"), line("T3")],
    )
    assert ln["_messages"].to_list() == [
        "another row of transaction 'T1' was rejected",
        "another row of transaction 'T2' was rejected",
        "no sales_header of transaction 'T3' has landed yet: the line waits for it",
    ]
    assert h["_messages"][1] == (
        "total_amount 10.02 differs from the sum 10.00 of its 1 line(s) by more than 0.01 "
        "(dq.total_tolerance)"
    )


# --- OUTLIER and severities ------------------------------------------------------------


def _outlier_sales() -> tuple[list[dict[str, str | None]], list[dict[str, str | None]]]:
    """Four transactions of 1-3 units at 2.00, and one with 500 units and a sibling line."""
    headers = [
        header("T1", total_amount="2.00"),
        header("T2", total_amount="4.00"),
        header("T3", total_amount="6.00"),
        header("T4", total_amount="4.00"),
        header("T5", total_amount="1002.00"),
    ]
    lines = [
        line("T1", quantity="1", line_item_amount="2.00"),
        line("T2", quantity="2", line_item_amount="4.00"),
        line("T3", quantity="3", line_item_amount="6.00"),
        line("T4", quantity="2", line_item_amount="4.00"),
        line("T5", "1", quantity="500", line_item_amount="1000.00"),
        line("T5", "2", quantity="1", line_item_amount="2.00"),
    ]
    return headers, lines


def test_a_far_larger_quantity_is_an_outlier_warning():
    h, ln = sales(*_outlier_sales())
    assert_frame_equal(
        verdicts(ln),
        expected_verdicts(([], []), ([], []), ([], []), ([], []), ([], ["OUTLIER"]), ([], [])),
    )
    assert reasons(h) == [[]] * 5
    assert messages(ln)[4] == ["quantity 500 is far above its category's usual"]


def test_a_far_higher_unit_price_is_an_outlier_warning():
    headers = [header(f"T{i}", total_amount="2.00") for i in range(1, 5)]
    headers.append(header("T5", total_amount="200.00"))
    lines = [line(f"T{i}", line_item_amount="2.00") for i in range(1, 5)]
    lines.append(line("T5", line_item_amount="200.00"))
    h, ln = sales(headers, lines)
    assert reasons(h) == [[]] * 5
    assert reasons(ln) == [[]] * 5
    assert warnings(ln) == [[]] * 4 + [["OUTLIER"]]
    assert messages(ln)[4] == ["unit price 200.00 is far from this product's usual"]


def test_outliers_are_judged_within_the_category():
    # P3 is a toy: 500 toys among 1-3 food items is no outlier of its own category.
    headers, lines = _outlier_sales()
    lines[4] = line("T5", "1", product_id="P3", quantity="500", line_item_amount="1000.00")
    _, ln = sales(headers, lines)
    assert warnings(ln) == [[]] * 6


def test_severity_can_turn_an_outlier_into_a_reject():
    checks = Checks(
        now=NOW,
        severity={
            Reason.OUTLIER: Severity.REJECT,
            Reason.INVALID_EMAIL: Severity.WARN,
            Reason.INVALID_PHONE: Severity.WARN,
        },
    )
    _, ln = sales(*_outlier_sales(), checks=checks)
    assert reasons(ln)[4] == ["OUTLIER"]
    assert warnings(ln)[4] == []
    assert reasons(ln)[:4] == [[]] * 4


def test_an_outlier_configured_to_reject_rejects_its_whole_transaction():
    checks = Checks(now=NOW, severity={**DEFAULT_SEVERITY, Reason.OUTLIER: Severity.REJECT})
    h, ln = sales(*_outlier_sales(), checks=checks)
    assert reasons(ln)[4:] == [["OUTLIER"], ["PARENT_REJECTED"]]
    assert reasons(h)[4] == ["PARENT_REJECTED"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"email": "not-an-email"}, ["INVALID_EMAIL"]),
        ({"email": "ada@example"}, ["INVALID_EMAIL"]),
        ({"email": "ada @example.com"}, ["INVALID_EMAIL"]),
        ({"email": " ada@example.com "}, []),  # trimmed
        ({"phone": "call me"}, ["INVALID_PHONE"]),
        ({"phone": "12"}, ["INVALID_PHONE"]),
        ({"phone": "020 7946-0958"}, []),
        ({"phone": "+1 (555) 123-4567"}, []),
        pytest.param(
            {"phone": "(555) 123-4567"},
            [],
            id="area-code-in-parentheses",
        ),
        ({"email": "x", "phone": "y"}, ["INVALID_EMAIL", "INVALID_PHONE"]),
    ],
)
def test_a_bad_email_or_phone_is_a_warning(values, expected):
    out = checked("customers", row("customers", **values))
    assert reasons(out) == [[]]
    assert warnings(out) == [expected]


def test_severity_can_turn_a_bad_email_into_a_reject():
    checks = Checks(now=NOW, severity={**DEFAULT_SEVERITY, Reason.INVALID_EMAIL: Severity.REJECT})
    out = checked("customers", row("customers", email="nope", phone="call me"), checks=checks)
    assert reasons(out) == [["INVALID_EMAIL"]]
    assert warnings(out) == [["INVALID_PHONE"]]
    assert messages(out)[0] == ["email is not an email address", "phone is not a phone number"]


def test_severity_can_turn_an_unknown_promotion_into_a_warning():
    checks = Checks(now=NOW, severity={**DEFAULT_SEVERITY, Reason.UNKNOWN_PROMOTION: Severity.WARN})
    h, ln = sales([header()], [line(promotion_id="PR9")], checks=checks)
    assert reasons(ln) == [[]]
    assert warnings(ln) == [["UNKNOWN_PROMOTION"]]
    assert reasons(h) == [[]]


# --- lenient text: whitespace and letter case --------------------------------------------


def test_padded_whitespace_and_mixed_case_codes_are_accepted():
    h, ln = sales(
        [
            header(
                " T1 ",
                customer_id=" C1 ",
                store_id="\tS1 ",
                transaction_date=" 2026-10-30 ",
                total_amount=" 10.00 ",
                transaction_type=" sale ",
            ),
            _return("R1", " T1 ", transaction_type="return"),
            header("T2", transaction_type="Sale"),
        ],
        [
            line(" T1 ", " 1 ", product_id=" P1 ", quantity=" 1 ", line_item_amount=" 10.00 "),
            line("R1"),
            line("T2", promotion_id=" PR1 "),
        ],
    )
    assert reasons(h) == [[], [], []]
    assert reasons(ln) == [[], [], []]
    assert h.select(
        "transaction_id",
        "customer_id",
        "store_id",
        "transaction_date",
        "total_amount",
        "transaction_type",
        "original_transaction_id",
    ).rows() == [
        ("T1", "C1", "S1", date(2026, 10, 30), Decimal("10.00"), "SALE", None),
        ("R1", "C1", "S1", date(2026, 10, 30), Decimal("10.00"), "RETURN", "T1"),
        ("T2", "C1", "S1", date(2026, 10, 30), Decimal("10.00"), "SALE", None),
    ]
    assert ln.select("transaction_id", "line_item_id", "product_id", "promotion_id").rows() == [
        ("T1", "1", "P1", None),
        ("R1", "1", "P1", None),
        ("T2", "1", "P1", "PR1"),
    ]


def test_categories_and_weekdays_are_normalised():
    promotions = checked(
        "promotions",
        row("promotions", applicable_category="all"),
        row("promotions", promotion_id="PR2", applicable_category=" Food "),
        row("promotions", promotion_id="PR3", applicable_category="", points_multiplier=""),
    )
    assert reasons(promotions) == [[], [], []]
    assert promotions["applicable_category"].to_list() == ["ALL", "Food", "ALL"]
    assert promotions["points_multiplier"].to_list() == [
        Decimal("2.0000"),
        Decimal("2.0000"),
        Decimal("1.0000"),
    ]
    rules = checked(
        "loyalty_rules",
        row("loyalty_rules", days_of_week="sat|Sun", applicable_category="All"),
        row("loyalty_rules", rule_id="R2", days_of_week="", min_spend_threshold=""),
    )
    assert reasons(rules) == [[], []]
    assert rules["days_of_week"].to_list() == ["SAT|SUN", None]
    assert rules["applicable_category"].to_list() == ["ALL", "ALL"]
    assert rules["min_spend_threshold"].to_list() == [Decimal("0.00"), Decimal("0.00")]


def test_decimal_amounts_stay_exact():
    h, ln = sales(
        [header(total_amount="0.30")],
        [line(item="1", line_item_amount="0.10"), line(item="2", line_item_amount="0.20")],
    )
    assert reasons(h) == [[]]
    assert reasons(ln) == [[], []]
    assert ln.schema["line_item_amount"] == pl.Decimal(18, 2)
    assert ln["line_item_amount"].sum() == Decimal("0.30")


# --- shape of the checked frames ---------------------------------------------------------


def test_each_bronze_row_gives_exactly_one_checked_row():
    h, ln = sales(
        [header("T1"), header("T1"), header("T2", store_id="S9")],
        [line("T1"), line("T1"), line("T2"), line("T3")],
    )
    assert h["_row_number"].to_list() == [1, 2, 3]
    assert ln["_row_number"].to_list() == [1, 2, 3, 4]


def test_a_product_listed_twice_in_known_does_not_double_lines():
    known = Known(
        stores=KNOWN.stores,
        products=pl.DataFrame({"product_id": ["P1", "P1"], "product_category": ["Food", "Food"]}),
        customers=KNOWN.customers,
        promotions=KNOWN.promotions,
    )
    _, ln = checked_sales(
        bronze(SALES_HEADER, [header()]),
        bronze(SALES_LINES, [line()]),
        known=known,
        existing_header=empty_silver("sales_header"),
        existing_lines=empty_silver("sales_lines"),
        checks=CHECKS,
    )
    assert ln.collect().height == 1


# --- the split: silver rows, rejects and warnings ------------------------------------------


def _checked_valid(name: str) -> pl.LazyFrame:
    if name == "sales_header":
        return checked_sales(
            bronze(SALES_HEADER, [header()]),
            bronze(SALES_LINES, [line()]),
            known=KNOWN,
            existing_header=empty_silver("sales_header"),
            existing_lines=empty_silver("sales_lines"),
            checks=CHECKS,
        )[0]
    if name == "sales_lines":
        return checked_sales(
            bronze(SALES_HEADER, [header()]),
            bronze(SALES_LINES, [line()]),
            known=KNOWN,
            existing_header=empty_silver("sales_header"),
            existing_lines=empty_silver("sales_lines"),
            checks=CHECKS,
        )[1]
    return checked(name, row(name)).lazy()


@pytest.mark.parametrize("name", list(LANDING_FILES))
def test_silver_rows_follow_the_silver_model(name):
    rows = silver_rows(_checked_valid(name), LANDING_FILES[name]).collect()
    assert rows.height == 1
    assert rows.schema == schema(SILVER_MODELS[name])
    SILVER_MODELS[name].validate(rows)


def test_silver_rows_hold_typed_values_and_lineage():
    rows = silver_rows(_checked_valid("sales_header"), SALES_HEADER).collect()
    assert rows.row(0, named=True) == {
        "transaction_id": "T1",
        "customer_id": "C1",
        "store_id": "S1",
        "transaction_at": datetime(2026, 10, 30, 10, tzinfo=UTC),
        "transaction_date": date(2026, 10, 30),
        "total_amount": Decimal("10.00"),
        "transaction_type": "SALE",
        "original_transaction_id": None,
        "_batch_id": "b1",
        "_source_file": "sales_header.csv",
        "_file_sha256": "b1-sales_header".ljust(64, "0"),
        "_row_number": 1,
        "_ingested_at": INGESTED_AT,
    }


def test_the_split_puts_every_row_in_exactly_one_place():
    h, ln = sales(
        [header("T1"), header("T2", store_id="S9"), header("T1")],
        [line("T1"), line("T2")],
    )
    for frame, spec in ((h, SALES_HEADER), (ln, SALES_LINES)):
        accepted = silver_rows(frame.lazy(), spec).collect()
        rejected = reject_rows(frame.lazy(), spec, run_id="r1", now=NOW).collect()
        assert accepted.height + rejected.height == frame.height
        assert set(accepted["_row_number"]).isdisjoint(rejected["row_number"])
    rejects = reject_rows(h.lazy(), SALES_HEADER, run_id="r1", now=NOW).collect()
    Rejects.validate(rejects)
    assert rejects.schema == schema(Rejects)
    assert rejects.select(
        "row_number", "key", "transaction_id", "reason_codes", "status"
    ).rows() == [
        (2, "T2", "T2", ["UNKNOWN_STORE"], "OPEN"),
        (3, "T1", "T1", ["DUPLICATE"], "OPEN"),
    ]
    raw = json.loads(rejects["raw_values"][0])
    assert raw == {**header("T2", store_id="S9"), "_extra": None}


def test_raw_values_keep_the_bronze_text_exactly():
    name = ' =HYPERLINK("http://x","y") '
    out = checked(
        "customers",
        row("customers", first_name=name, last_name="+1", enrollment_date="@SUM(A1)"),
    )
    rejects = reject_rows(out.lazy(), LANDING_FILES["customers"], run_id="r1", now=NOW).collect()
    raw = json.loads(rejects["raw_values"][0])
    assert raw["first_name"] == name
    assert raw["last_name"] == "+1"
    assert raw["enrollment_date"] == "@SUM(A1)"
    assert rejects["reason_codes"].to_list() == [["INVALID_TYPE"]]


def test_warning_rows_hold_accepted_rows_that_broke_a_warn_rule():
    out = checked(
        "customers",
        row("customers", email="nope"),
        row("customers", customer_id="C2"),
        row("customers", customer_id="C3", email="nope", enrollment_date="never"),
    )
    spec = LANDING_FILES["customers"]
    warned = warning_rows(out.lazy(), spec, run_id="r1", now=NOW).collect()
    Warnings.validate(warned)
    assert warned.schema == schema(Warnings)
    assert warned.select("row_number", "key", "reason_codes", "message").rows() == [
        (1, "C1", ["INVALID_EMAIL"], "email is not an email address"),
    ]
    assert silver_rows(out.lazy(), spec).collect()["customer_id"].to_list() == ["C1", "C2"]


@pytest.mark.parametrize("name", ["stores", "customers", "redemptions", "inventory"])
def test_a_malformed_row_is_rejected_for_that_alone(name):
    spec = LANDING_FILES[name]
    frame = bronze(spec, [{}]).with_columns(
        pl.lit("line 2: has 9 fields where the header has 3").alias("_malformed"),
        pl.lit('{"_record":"a,b,c,d,e,f,g,h,i"}').alias("_extra"),
    )
    out = checked(name, frame=frame)
    assert out["_reasons"].to_list() == [["MALFORMED_ROW"]]
    assert out["_warnings"].to_list() == [[]]
    assert out["_messages"].to_list() == [
        "malformed row (line 2: has 9 fields where the header has 3)"
    ]
