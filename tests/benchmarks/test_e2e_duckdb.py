"""The DuckDB end-to-end peer computes exactly loyalty_lake's customer result.

Each test lands one batch, builds it with loyalty_lake into ``tmp_path`` (the
reference), runs ``benchmarks.e2e_duckdb`` on the same folder and compares the
two results row by row and column by column (``benchmarks.customers.differences``).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest

import loyalty_lake as ll
from benchmarks import e2e_duckdb
from benchmarks.customers import SCHEMA, differences, from_lake
from loyalty_lake.config import load_config
from loyalty_lake.landing import AnomalyRates
from tests.conftest import write_batch

if TYPE_CHECKING:
    from pathlib import Path

    from loyalty_lake.config import Config

#: Every anomaly kind ten times as often as by default (and many impossible redemptions).
RAISED = AnomalyRates(
    **{kind: min(rate * 10, 0.02) for kind, rate in AnomalyRates().items()}
    | {"redemption_over_balance": 0.15}
)


def agree(
    batch: Path, tmp_path: Path, config: Config, *, landing: Path | None = None
) -> pl.DataFrame:
    """Build ``batch`` with loyalty_lake and with DuckDB; assert equal results; return DuckDB's.

    ``landing``: the folder loyalty_lake builds (default ``batch`` itself).
    """
    lake = tmp_path / "lake"
    ll.build(lake=ll.Lake(lake), config=config, landing=landing or batch)
    out = tmp_path / "duckdb.parquet"
    timings = e2e_duckdb.run(batch, out, threads=2, config=config)
    actual = pl.read_parquet(out)
    assert actual.schema == pl.Schema(SCHEMA)
    assert differences(from_lake(lake), actual) == []
    assert timings["customers"] == actual.height
    assert set(timings) == {"read", "clean", "gold", "write", "customers"}
    return actual


@pytest.mark.parametrize(
    ("seed", "lines", "anomalies", "without"),
    [
        (7, 12_000, AnomalyRates(), None),
        (11, 5_000, RAISED, None),
        (12, 5_000, AnomalyRates.none(), None),
        (5, 5_000, RAISED, "loyalty_rules.csv"),
    ],
    ids=["default-12k", "raised", "clean", "no-loyalty-rules"],
)
def test_generated_batches_agree(tmp_path, seed, lines, anomalies, without):
    (batch,) = ll.generate(
        tmp_path / "landing", ll.GeneratorOptions(lines=lines, seed=seed, anomalies=anomalies)
    ).batches
    if without:
        (batch.path / without).unlink()
    agree(batch.path, tmp_path, load_config(env={}))


def test_a_configured_lake_agrees(tmp_path):
    """Expiry within the history, another zone, other severities and segment settings."""
    (batch,) = ll.generate(
        tmp_path / "landing", ll.GeneratorOptions(lines=5_000, seed=21, anomalies=RAISED)
    ).batches
    config = load_config(
        env={},
        overrides={
            "timezone": "Europe/London",
            "loyalty.expiry_months": 1,
            "dq.severity": {"OUTLIER": "reject", "TOTAL_MISMATCH": "warn"},
            "segments.high_spender_share": "0.25",
            "segments.at_risk_days": 10,
        },
    )
    agree(batch.path, tmp_path, config)


# --- a batch of hard cases -------------------------------------------------------------------

HEADER = (
    "transaction_id,customer_id,store_id,transaction_date,total_amount,transaction_type,"
    "original_transaction_id\n"
)
LINES = "line_item_id,transaction_id,product_id,promotion_id,quantity,line_item_amount\n"
HARD_CASES = {
    # S2's first row is day-first (30 > 12 proves it), its second a duplicate; S3 is
    # padded with spaces; S4's first row is bad (no 30 February), so S4 is unknown.
    "stores.csv": (
        "store_id,opening_date\nS1,2018-01-30\nS2,30/01/2018\nS2,2018-01-30\n S3 ,\n"
        "S4,2018-02-30\nS4,2018-01-30\n"
    ),
    # Columns in another order and case; P5 is rejected; P1's second row is a duplicate.
    "products.csv": (
        " Unit_Price ,product_id,PRODUCT_CATEGORY,notes\n"
        "2.00,P1,Food,x\n10.00,P2,health,\n10.00,P3,Health,\n5.00,P4,Toys,\n"
        "-1,P5,Food,\n9.00,P1,Toys,\n"
    ),
    # Two files of one table: customer_details.csv comes first (batch order is by name).
    "customer_details.csv": (
        "customer_id,email,enrollment_date\nC1,c1@example.com,2021-01-01\n"
        "C2,c2@example.com,\nC7,c7@example.com,2090-01-01\nC8,not an email,\n"
    ),
    "customers.csv": (
        "\ufeffcustomer_id,first_name,email\r\nC2,Dup,\r\nC3,Cy,\r\n C4 ,Di,\r\n"
        "C5,Ed,\r\nC6,Fa,\r\nC9,Gu,\r\n"
    ),
    "promotions.csv": (
        "promotion_id,start_date,end_date,applicable_category,points_multiplier,"
        "discount_percentage\n"
        "PR1,2026-07-01,2026-10-31,all,1.5,10\nPR2,2026-07-01,2026-10-31, health ,,\n"
        "PR3,2026-07-01,2026-10-31,ALL,0,\nPR4,2026-10-31,2026-07-01,ALL,2,\n"
        "PR5,2026-07-01,2026-10-31,ALL,2,150\n"
    ),
    "loyalty_rules.csv": (
        "rule_id,points_per_unit_spend,min_spend_threshold,bonus_points,applicable_category,"
        "valid_from,valid_to,days_of_week\n"
        "R1,1.0,,,ALL,,,\nR2,1.0,100.00,50,all,,,\nR3,2.0,,,health,,,\nR4,2.0,,,Health,,,\n"
        "R5,3.0,300,,ALL,,, mon|Tue | WED|thu|FRI \nR6,0.5,20,25,Toys,2026-08-01,2026-10-31,\n"
        "R7,-1,,,ALL,,,\nR8,9,,,ALL,2026-09-01,2026-08-01,\nR9,9,,,ALL,,,FUNDAY\n"
        "R1,9,,,ALL,,,\n"
    ),
    "sales_header.csv": HEADER
    + "T01,C1,S1,2026-07-01T10:00:00,12.50,SALE,\n"  # PR2 on a health line
    + "T02,,S1,2026-09-01T10:00,7.00,SALE,\n"  # guest
    + "T03, C2 , S3 ,2026-09-02T23:30:00-02:00,20.00,sale,\n"  # UTC date 09-03
    + "T04,C3,S1,2026-09-05T12:00:00Z,5.00,RETURN,T01\n"  # C1's points reversed
    + "T05,C3,S1,2026-09-05,5.00,RETURN,T404\n"  # unknown original
    + "T06,C3,S1,2026-09-05,4.00,SALE,\n"  # a bad line rejects it all
    + "T07,C4,S1,2026-09-05,1.00,SALE,\n"  # conflicting duplicate first: it wins
    + "T07,C4,S1,2026-09-05,9.00,SALE,\n"
    + "T08,C4,S1,2026-09-05,8.00,SALE,\n"  # total mismatch
    + "T09,C5,S1,2026-09-05,4.01,SALE,\n"  # within a cent; duplicate line ignored
    + "T10,C8,S1,2026-09-06,2.00,SALE,\n"
    + "T11,C3,S1,2026-10-31T23:59:60,2.00,Sale,\n"  # leap second: 2026-11-01
    + "T12,C9,S1,2026-09-07 11:00,+350.0,,\n"  # a Monday over 300: R5 and R2's bonus
    + "T13,C5,S1,2026-09-07T09:00:00.123456789+01:00,30.00,SALE,\n"  # Toys: R6's bonus
    + "T14,C6,S4,2026-09-07,3.00,SALE,\n"  # unknown store
    + "T15,C6,S1,2090-01-01T00:00,3.00,SALE,\n"  # future
    + "T16,C7,S1,2026-09-08,3.00,SALE,\n"  # unknown customer (future enrolment)
    + "T17,C1,S1,2026-07-02T24:00,3.00,SALE,\n"  # no such hour
    + "T18,C1,S1,2026-07-03,120.00,SALE,\n"
    + "T19,C6,S1,2026-10-25T01:30:00,40.00,REFUND,\n"
    + "T20,C6,S1,2026-10-25T01:30:00,40.00,SALE,\n",
    "sales_lines.csv": LINES
    + "1,T01,P1,,1,10.00\n2,T01,P2,PR2,1,2.50\n"
    + "1,T02,P1,,1,7.00\n"
    + "1,T03,P3,PR1,2,20.00\n"
    + "1,T04,P1,,1,5.00\n"
    + "1,T05,P1,,1,5.00\n"
    + "1,T06,P1,,0,2.00\n2,T06,P1,,1,2.00\n"
    + "1,T07,P1,,1,1.00\n"
    + "1,T08,P1,,1,7.00\n"
    + "1,T09,P1,,1,4.00\n1,T09,P1,,1,3.00\n"
    + "1,T10,P1,PR3,1,2.00\n"
    + "1,T11,P1,,1,2.00\n"
    + "1,T12,P1,PR1,5,350.00\n"
    + "1,T13,P4,,6,30.00\n"
    + "1,T14,P1,,1,3.00\n1,T15,P1,,1,3.00\n1,T16,P1,,1,3.00\n1,T17,P1,,1,3.00\n"
    + "1,T18,P2, PR1 ,12,120.00\n"
    + "1,T19,P1,,1,40.00\n1,T20,P1,PR4,1,40.00\n"
    + "1,T99,P1,,1,1.00\n",  # no header: an orphan
    # C1: same-day redemptions by id; RD3 is too much, RD4 then still fits.
    "redemptions.csv": (
        "redemption_id,customer_id,redemption_date,points_redeemed,store_id\n"
        "RD2,C1,2026-07-03,10,S1\nRD1,C1,2026-07-03,5,\nRD3,C1,2026-07-04,500,S1\n"
        "RD4,C1,2026-07-04,100,S1\nRD5,C9,2026-09-06,1,S1\nRD6,C9,2026-09-08,1000,S1\n"
        "RD7,C9,2026-09-08,200,S1\nRD8,C9,2026-09-08,0,S1\nRD9,C5,2026-09-07,5,S2\n"
        "RD9,C5,2026-09-07,1,S1\n"
    ),
    "_ground_truth.csv": "ignored\n",
}


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"loyalty.expiry_months": 1, "timezone": "Europe/London"},
        {"dq.severity": {"INVALID_EMAIL": "reject", "TOTAL_MISMATCH": "warn"}},
    ],
    ids=["defaults", "expiry-and-zone", "severities"],
)
def test_a_batch_of_hard_cases_agrees(tmp_path, overrides):
    batch = write_batch(tmp_path / "landing" / "2026-11-01", HARD_CASES)
    result = agree(batch, tmp_path, load_config(env={}, overrides=overrides))
    # C7 enrolled in the future; C8's email rejects it only when so configured
    expected = {"C1", "C2", "C3", "C4", "C5", "C6", "C9"} | (
        {"C8"} if not overrides.get("dq.severity") else set()
    )
    assert set(result["customer_id"]) == expected


def test_without_a_loyalty_rules_file_the_configured_rules_apply(tmp_path):
    files = {k: v for k, v in HARD_CASES.items() if k != "loyalty_rules.csv"}
    agree(write_batch(tmp_path / "landing" / "b1", files), tmp_path, load_config(env={}))


# --- a batch as real exports write it -------------------------------------------------------


def gzipped(text: str) -> bytes:
    """``text`` as the bytes of a ``.csv.gz`` file."""
    return gzip.compress(text.encode(), mtime=0)


def zipped(member: str, text: str) -> bytes:
    """``text`` as the bytes of a ``.zip`` file holding the one file ``member``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, text)
    return buffer.getvalue()


#: Values whose meaning is certain written as exports write them, values whose meaning
#: is not, and the settings that settle some (see REAL_EXPORT_SETTINGS). Used by the
#: pandas peer's tests too.
REAL_EXPORTS: dict[str, str | bytes] = {
    # ';' after blank lines; 30/01 proves the file day-first (05/02 is 5 February); an
    # id written as a float (15.0 is store 15); a short row padded (S3).
    "stores.csv": "\n \nstore_id;store_name;opening_date\n"
    "S1;One;30/01/2018\nS2;Two;05/02/2019\n15.0;Fifteen;2019/03/04\nS3;Three\n",
    # This file mixes $ and €: its marked prices are not read (P5, P6).
    "products.csv": (
        "product_id,product_category,unit_price\nP5,Food,$4.00\nP6,Food,€4.00\nP7,Toys,4.00\n"
    ),
    # Marks and groups, an integral float and leading zeros as stock, a null token; 12,34
    # is not a group of three (P8 is rejected).
    "products.csv.gz": gzipped(
        "product_id,product_category,unit_price,current_stock_level\n"
        'P1,Food,$2,3.0\nP2,Health,"$1,234.50",007\nP3,Toys,$5,NA\nP8,Toys,"12,34",1\n'
    ),
    # Tabs in a zip; nothing proves 01/02/2020's order (C2: AMBIGUOUS_DATE, unless
    # configured); a date-time as a date; a null token; a short row; year-first slashes.
    "customers.zip": zipped(
        "export/customers.csv",
        "customer_id\tfirst_name\tenrollment_date\nC1\tAda\t2020-01-01\nC2\tBo\t01/02/2020\n"
        "15.0\tFi\t2020-01-01T00:00:00\nC5\tEd\tNULL\nC6\tGu\nC9\tIvy\t2020/01/05\n",
    ),
    # '|'; 10/31 proves the file month-first; null tokens: category ALL, multiplier 1.
    "promotions.csv": "promotion_id|start_date|end_date|applicable_category|points_multiplier\n"
    "PR1|10/01/2026|10/31/2026|#N/A|2.0\nPR2|10/05/2026|10/20/2026|Food|nan\n",
    # start_date/end_date name valid_from/valid_to; a threshold with a mark; no days.
    "loyalty_rules.csv": "rule_id,points_per_unit_spend,min_spend_threshold,bonus_points,"
    "applicable_category,start_date,end_date,days_of_week\n"
    "R1,1.0,,,ALL,,,None\nR2,2,$100.00,50.0,ALL,2026-10-01T00:00:00,2026/10/31,\n"
    "R3,3.0,,,Health,,,\n",
    "sales_header.csv": HEADER
    + 'T1,C1,S1,13/10/2026 1:15 PM,"$1,236.50",SALE,\n'  # day-first, a 12-hour clock
    + "T2,15.0,15,14/10/2026 09:00,$12,<NA>,\n"  # ids as floats; a SALE by default
    + "T3,NULL,S2,15/10/2026,7.00,,\n"  # a guest
    + "T4,C1,S1,16/10/2026 12:00 AM,$2,RETURN,T1.0\n"  # T1.0 is no id as a float
    + "T5,C2,S1,17/10/2026,$3,SALE,\n"  # C2 is known only with its dates settled
    + "T6,C9,S3,18/10/2026 13:05 PM,$4,SALE,\n"  # no such hour on a 12-hour clock
    + "T7,C5,S1,19/10/2026,$9,SALE,\n"  # MISSING_LINES
    + "T8,C6,Store-S1,20/10/2026,$10,SALE,\n"  # an unknown store, unless rewritten
    + "T9,CARD-9,S1,21/10/2026,$6,SALE,\n"  # an unknown customer, unless mapped
    + "T10,C1,S1,22/10/2026 23:59:60,10.04,SALE,\n",  # 0.04 off its line; a leap second
    # A second header file: ';', month-first (10/23), INR before and after, a negative.
    "store_sales_header.csv": "transaction_id;customer_id;store_id;transaction_date;total_amount\n"
    "T20;C9;S1;10/23/2026 10:00;INR 3,753.01\nT21;C9;S2;10/24/2026;5393.00 INR\n"
    "T22;C1;S1;10/25/2026;-INR 5.00\nT23;C6;S1;2026/10/26 08:30;INR 12\n",
    "sales_lines.csv": LINES
    + '1,T1,P2,N/A,1.0,"$1,234.50"\n2,T1,P1,PR1,01,$2\n'
    + "1,T2,P1,0,6,$12\n"  # promotion 0: unknown, unless a null value of the column
    + "1,T3,P7,,1,7.00\n1,T4,P1,,1,$2\n1,T5,P3,,1,$3\n1,T6,P1,,1,$4\n"
    + "1,T8,P1,,1,$10\n1,T9,P1,,1,$6\n1,T10,P1,,1,10.00\n"
    + "1,T30,P1,,2.5,1.00\n",  # never rounded (and an orphan)
    # Decimal commas: read only when configured.
    "sales_line_items.csv": "line_item_id;transaction_id;product_id;promotion_id;quantity;"
    "line_item_amount\n1;T20;P2;;1;3.753,01\n1;T21;P3;PR2;2;5393\n1;T22;P1;;1;5,00\n"
    "1;T23;P1;;2;12,0\n",
    "redemptions.csv": "redemption_id,customer_id,redemption_date,points_redeemed,store_id\n"
    "RD1,C1,2026/10/14,5.0,S1\nRD2,C9,30/10/2026,1,N/A\nRD3,15.0,2026-10-30,1,\n",
}
#: Configurations for REAL_EXPORTS: what is uncertain settled, or read otherwise.
REAL_EXPORT_SETTINGS = {
    "defaults": {},
    "settled": {
        "dq.dates": {"customers.enrollment_date": "day-first"},
        "dq.null_values": {"sales_lines.promotion_id": ["0"]},
        "dq.total_tolerance": "0.05",
        "dq.id_rewrites": [
            {"columns": ["sales_header.store_id"], "pattern": r"Store-(S\d+)", "replace": "$1"},
            {"columns": ["sales_header.customer_id"], "mapping": {"CARD-9": "C9"}},
        ],
        "timezone": "Europe/London",
    },
    "decimal-comma": {
        "dq.decimal_comma": ["sales_lines"],
        "dq.dates": {"promotions.start_date": "%m/%d/%Y"},
        "dq.severity": {"TOTAL_MISMATCH": "warn"},
        "dq.unverified_references": "reject",
    },
}


@pytest.mark.parametrize("settings", REAL_EXPORT_SETTINGS.values(), ids=REAL_EXPORT_SETTINGS)
def test_a_batch_as_real_exports_write_it_agrees(tmp_path, settings):
    batch = write_batch(tmp_path / "landing" / "2026-10-31", REAL_EXPORTS)
    result = agree(batch, tmp_path, load_config(env={}, overrides=settings))
    assert result.filter(pl.col("frequency") > 0).height >= 2


@pytest.mark.parametrize("unverified", ["warn", "reject"])
@pytest.mark.parametrize("without", ["stores.csv", "products.csv"])
def test_references_to_a_master_that_never_landed(tmp_path, without, unverified):
    """Accepted unchecked (UNVERIFIED_*, a warning), or rejected when so configured."""
    files = {k: v for k, v in HARD_CASES.items() if k != without}
    batch = write_batch(tmp_path / "landing" / "b1", files)
    overrides = {"dq.unverified_references": unverified}
    agree(batch, tmp_path, load_config(env={}, overrides=overrides))


@pytest.mark.parametrize(
    ("styles", "seed"),
    [
        (("messy",), 1),
        (("currency", "semicolons", "day_first", "zip"), 5),
        (("twelve_hour", "month_first", "short_rows", "null_tokens", "pipes"), 6),
    ],
)
def test_generated_styled_exports_agree(tmp_path, styles, seed):
    """The generator's export styles write the same values as real exports would."""
    options = ll.GeneratorOptions(lines=3_000, seed=seed, styles=styles)
    dataset = ll.generate(tmp_path / "landing", options)
    (batch,) = dataset.batches
    config = load_config(env={}, overrides=dataset.settings.overrides())
    # The landing folder, not the batch: loyalty_lake takes a folder of only compressed
    # files for a folder of batches (pipeline.build.batch_folders looks for .csv files).
    agree(batch.path, tmp_path, config, landing=tmp_path / "landing")


# --- reading the batch ------------------------------------------------------------------------


def test_files_are_found_by_name_or_alias_in_batch_order(tmp_path):
    batch = write_batch(
        tmp_path,
        {
            "customers.csv": "customer_id\n",
            "Customer_Details.CSV": "customer_id\n",
            "_ground_truth.csv": "x\n",
            ".hidden.csv": "x\n",
            "inventory.csv": "snapshot_date\n",
            "notes.txt": "x\n",
        },
    )
    files = e2e_duckdb.batch_files(batch)
    assert [p.name for p in files["customers"]] == ["Customer_Details.CSV", "customers.csv"]
    assert sum(len(v) for v in files.values()) == 2


@pytest.mark.parametrize(
    ("content", "lands"),
    [
        (b"", False),
        (b"\xef\xbb\xbf", False),
        (b"transaction_id,store_id\n", False),  # required columns missing
        (b"a,A,transaction_id\n", False),  # a repeated column
        (b"customer_id,transaction_id,line_item_id\n", False),
        (
            b"\xef\xbb\xbf Line_Item_ID ,transaction_id,product_id,quantity,"
            b"line_item_amount,extra\n",
            True,
        ),
    ],
)
def test_a_file_bronze_would_refuse_lands_nothing(tmp_path, content, lands):
    path = tmp_path / "sales_lines.csv"
    path.write_bytes(content)
    header = e2e_duckdb.header_positions(path, e2e_duckdb.TABLES["sales_lines"])
    assert (header is not None) == lands
    if lands:
        assert header == e2e_duckdb.Header(
            positions={
                "line_item_id": 0,
                "transaction_id": 1,
                "product_id": 2,
                "quantity": 3,
                "line_item_amount": 4,
            },
            width=6,
            delimiter=",",
            line=1,
            min_fields=5,  # a row with the required columns, and no more, is padded
        )


def raw_ids(batch: Path, table: str, column: str) -> list[str]:
    """The ``column`` values DuckDB reads from the batch's ``table`` files, in file order."""
    con = duckdb.connect()
    try:
        e2e_duckdb.read_batch(con, batch)
        return [v for (v,) in con.execute(f"SELECT {column} FROM raw_{table}").fetchall()]
    finally:
        con.close()


def test_a_short_row_lacking_only_optional_fields_is_padded_and_a_malformed_row_dropped(
    tmp_path,
):
    header, *rows = HARD_CASES["promotions.csv"].splitlines(keepends=True)
    files = {
        **HARD_CASES,
        "promotions.csv": header
        + rows[0]
        + "PR6,2026-07-01\n"  # too few fields: end_date (required) missing
        + "PR7,2026-07-01,2026-10-31,ALL,2,,\n"  # one (empty) field too many
        + "PR8,2026-07-01,2026-10-31,ALL,2,,,x\n"  # three too many
        + "\n"  # blank lines are skipped
        + "PR9,2026-07-01,2026-10-31,ALL,2\n"  # a field short: padded, a valid promotion
        + '"PR10\nx",2026-07-01\n'  # too few, on two lines (DuckDB reads it sequentially)
        + "".join(rows[1:]),
        "sales_lines.csv": HARD_CASES["sales_lines.csv"]
        + "2,T18,P1,,12,120.00,\n"  # would break T18's total if it landed
        + "2,T13,P4\n",  # would reject T13 (a missing amount) if padded
    }
    batch = write_batch(tmp_path / "landing" / "b1", files)
    promotions = ["PR1", "PR9", "PR2", "PR3", "PR4", "PR5"]
    assert raw_ids(batch, "promotions", "promotion_id") == promotions
    lines = HARD_CASES["sales_lines.csv"].count("\n") - 1
    assert len(raw_ids(batch, "sales_lines", "line_item_id")) == lines
    agree(batch, tmp_path, load_config(env={}))


def test_a_file_not_utf8_beyond_its_header_probe_lands_nothing(tmp_path):
    # Over a megabyte of redemptions that would use C1's points, then a Latin-1 byte.
    rows = "".join(f"RX{i},C1,2026-07-03,1,S1\n" for i in range(50_000))
    files = {
        **HARD_CASES,
        "redemptions.csv": (
            "redemption_id,customer_id,redemption_date,points_redeemed,store_id\n"
            + rows
            + "RD1,C1,2026-07-03,5,Zoë\n"
        ).encode("latin-1"),
    }
    batch = write_batch(tmp_path / "landing" / "b1", files)
    assert len(rows) > 1 << 20
    assert raw_ids(batch, "redemptions", "redemption_id") == []
    agree(batch, tmp_path, load_config(env={}))


def test_rows_read_csv_would_skip_for_another_reason_stop_the_run(tmp_path):
    stores = (  # a quote never closed
        'store_id,opening_date,store_name\nS1,2018-01-30,a\nS2,"2018-01-30,b\nS3,2018-01-30,c\n'
    )
    batch = write_batch(tmp_path / "b1", {"stores.csv": stores})
    with pytest.raises(NotImplementedError, match="UNQUOTED VALUE"):
        raw_ids(batch, "stores", "store_id")
