"""The DuckDB end-to-end peer computes exactly loyalty_lake's customer result.

Each test lands one batch, builds it with loyalty_lake into ``tmp_path`` (the
reference), runs ``benchmarks.e2e_duckdb`` on the same folder and compares the
two results row by row and column by column (``benchmarks.customers.differences``).
"""

from __future__ import annotations

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


def agree(batch: Path, tmp_path: Path, config: Config) -> pl.DataFrame:
    """Build ``batch`` with loyalty_lake and with DuckDB; assert equal results; return DuckDB's."""
    lake = tmp_path / "lake"
    ll.build(lake=ll.Lake(lake), config=config, landing=batch)
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
    # S2's first row is bad, so S2 is unknown; S3 is padded.
    "stores.csv": "store_id,opening_date\nS1,2018-01-30\nS2,30/01/2018\nS2,2018-01-30\n S3 ,\n",
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
    + "T14,C6,S2,2026-09-07,3.00,SALE,\n"  # unknown store
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
        assert header == (
            {
                "line_item_id": 0,
                "transaction_id": 1,
                "product_id": 2,
                "quantity": 3,
                "line_item_amount": 4,
            },
            6,
        )


def raw_ids(batch: Path, table: str, column: str) -> list[str]:
    """The ``column`` values DuckDB reads from the batch's ``table`` files, in file order."""
    con = duckdb.connect()
    try:
        e2e_duckdb.read_batch(con, batch)
        return [v for (v,) in con.execute(f"SELECT {column} FROM raw_{table}").fetchall()]
    finally:
        con.close()


def test_a_row_with_the_wrong_number_of_fields_is_dropped_and_the_rest_lands(tmp_path):
    header, *rows = HARD_CASES["promotions.csv"].splitlines(keepends=True)
    files = {
        **HARD_CASES,
        "promotions.csv": header
        + rows[0]
        + "PR6,2026-07-01\n"  # too few fields
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
    assert raw_ids(batch, "promotions", "promotion_id") == ["PR1", "PR2", "PR3", "PR4", "PR5"]
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
