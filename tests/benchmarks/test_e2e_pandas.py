"""The pandas peer computes exactly loyalty_lake's customer results.

Each test builds a lake with loyalty_lake from a landing batch and runs the
pandas implementation on the same CSV files; the results must not differ in
a single value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import polars as pl
import pytest

import loyalty_lake as ll
from benchmarks import e2e_pandas
from benchmarks.customers import SCHEMA, differences, from_lake
from loyalty_lake.config import load_config
from tests.benchmarks.test_e2e_duckdb import HARD_CASES, REAL_EXPORT_SETTINGS, REAL_EXPORTS
from tests.conftest import write_batch

RAISED = ll.AnomalyRates(
    missing_required=0.02,
    duplicate_row=0.02,
    duplicate_key=0.02,
    unknown_product=0.01,
    unknown_store=0.01,
    unknown_customer=0.01,
    unknown_promotion=0.01,
    nonpositive_value=0.01,
    unparseable_number=0.01,
    unparseable_date=0.01,
    future_date=0.01,
    total_mismatch=0.01,
    outlier=0.01,
    redemption_over_balance=0.2,
)


def compare(
    landing: Path,
    tmp_path: Path,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> pl.DataFrame:
    """Build ``landing`` (one batch) with loyalty_lake and with pandas; return pandas' result."""
    config = load_config(env=env or {}, overrides=overrides)
    lake = tmp_path / "lake"
    ll.build(lake=ll.Lake(lake), config=config, landing=landing)
    (batch,) = [p for p in landing.iterdir() if p.is_dir()]
    out = tmp_path / "pandas.parquet"
    timings = e2e_pandas.run(batch, out, config=config)
    actual = pl.read_parquet(out)
    assert actual.schema == pl.Schema(SCHEMA)
    assert timings["customers"] == actual.height
    assert set(timings) == {"read", "clean", "gold", "write", "customers"}
    assert differences(from_lake(lake), actual) == []
    return actual


@pytest.mark.parametrize(
    ("options", "drop", "env"),
    [
        pytest.param({"seed": 1}, [], {}, id="default-anomalies"),
        pytest.param({"seed": 2, "anomalies": RAISED}, [], {}, id="raised-anomalies"),
        pytest.param(
            {"seed": 3, "anomalies": ll.AnomalyRates.none()},
            ["loyalty_rules.csv"],
            {},
            id="clean-without-rules-file",
        ),
        pytest.param(
            {"seed": 4, "days": 420, "anomalies": RAISED, "return_share": 0.2},
            [],
            {"LOYALTY_LAKE_LOYALTY__EXPIRY_MONTHS": "2", "LOYALTY_LAKE_TIMEZONE": "Europe/London"},
            id="expiry-returns-timezone",
        ),
    ],
)
def test_generated_batches_agree(tmp_path, options, drop, env):
    dataset = ll.generate(tmp_path / "landing", ll.GeneratorOptions(lines=6_000, **options))
    for name in drop:
        (dataset.batches[0].path / name).unlink()
    result = compare(tmp_path / "landing", tmp_path, env)
    assert result["frequency"].gt(0).sum() > 100


def write(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")


#: Values that test the parsing and the rules one by one: trimmed ids, codes
#: in any case, money with 0-2 decimals or a sign, dates with offsets,
#: duplicates, unknown references, RETURNs of guest, unknown and other
#: customers' sales, a mismatching total, redemptions above the balance.
MESSY = {
    "stores.csv": "store_id,store_name,opening_date\n"
    "S1,One,2020-01-01\nS2,Two,not a date\n S4 ,Four,2021-02-03\nS4,Again,2021-02-03\n",
    "Products.CSV": " Product_ID ,product_category,unit_price,current_stock_level\n"
    "P1,Grocery,1.00,5\nP3,Health,10,+3\nP4,Toys,0,1\nP5,Toys,1.999,1\n"
    "P8,Toys,3.00,1\nP8,Toys,4.00,1\nP9,home,12.00,007\n",
    "customer_details.csv": "\ufeffcustomer_id,first_name,enrollment_date,extra\n"
    "C1,Ada,2020-01-01,x\nC2,Bob,,y\nC3,Cy,2099-01-01,z\nC5,Ed,2020-01-01,\n"
    "C5,Ed2,2020-01-01,\n C6 ,Fi,2020-01-01,\nC7,Gus,2020-01-01,\nC8,Hal,2020-01-01,\n"
    "C9,Ivy,2020-01-01,\n",
    "promotions.csv": "promotion_id,start_date,end_date,applicable_category,points_multiplier\n"
    "PR1,2026-10-01,2026-10-31,GROCERY,2\nPR2,2026-10-10,2026-10-20,all,1.5\n"
    "PR3,2026-10-01,2026-10-31,Health,\nPR4,2026-10-31,2026-10-01,ALL,3\n"
    "PR8,2026-10-01,2026-10-15,Toys,3.3333\nPR9,2026-10-01,9999-12-31,Home,1.25\n",
    "loyalty_rules.csv": "rule_id,points_per_unit_spend,min_spend_threshold,bonus_points,"
    "applicable_category,valid_from,valid_to,days_of_week\n"
    "R1,1,,,ALL,,,\nR2,1.0,100.00,50,all,,,\nR3,2,,,health,,,\n"
    "R4,3,,,Grocery,2026-10-01,,sat| sun\nR5,1.5,,10,Toys,2026-10-01,2026-10-15,\n"
    "R6,5,,,ALL,,,SATURDAY\nR9,0.3333,,,Home,,,Mon|TUE|wed|thu|fri|sat|sun\n"
    "R10,0.3333,,5,Home,,,\n",
    "sales_header.csv": "transaction_id,customer_id,store_id,transaction_date,total_amount,"
    "transaction_type,original_transaction_id\n"
    "T01,C1,S1,2026-10-03T10:00:00,13.50,SALE,\n"
    "T02,C1,S1,2026-10-04 11:00,120.00,sale,\n"
    "T03, C2 ,S4,2026-10-05,33.33,,\n"
    "T04,C5,S1,2026-10-06T10:00:00.123456789,10.00,SALE,\n"
    "T05,C6,S1,2026-10-07T10:00:00Z,25.00,SALE,\n"
    "T06,C7,S1,2026-10-07T23:30:00-02:00,40.00,SALE,\n"
    "T07,C7,S1,2026-10-08T10:00+0200,10.00,SALE,\n"
    "T08,C1,S1,2026-02-30,10.00,SALE,\n"
    "T10,C1,S2,2026-10-09,10.00,SALE,\n"
    "T12,C1,S1,2026-10-10,10.01,SALE,\n"
    "T13,C1,S1,2026-10-10,10.02,SALE,\n"
    "T14,C1,S1,2026-10-10,10.00,SALE,\n"
    "T14,C1,S1,2026-10-10,10.00,SALE,\n"
    "T15,C1,S1,2026-10-11,5.00,RETURN,T02\n"
    "T16,C2,S1,2026-10-12,13.50,RETURN,T01\n"
    "T17,,S1,2026-10-12,20.00,SALE,\n"
    "T18,C8,S1,2026-10-13,20.00,RETURN,T17\n"
    "T19,C8,S1,2026-10-13,5.00,RETURN,T99\n"
    "T22,C9,S1,2026-10-14,1e3,SALE,\n"
    'T23,C9,S1,2026-10-14,"1,234.50",SALE,\n'
    "T29,C9,S1,2026-10-15,5.00,SALE,\n"
    "T30,C1,S1,2026-10-16,30.00,SALE,\n"
    "T31,C5,S1,2026-10-17,20.00,RETURN,T33\n"
    "T33,C5,S1,2026-10-18,60.00,SALE,\n"
    "T35,C9,S1,2026-10-20,7.00,SALE,\n"
    "T36,C9,S1,2026-10-20,7.00,SALE,\n"
    "T40,C9,S1,2026-10-24,99.99,SALE,\n"
    "T41,C9,S1,2026-10-25,+8.00,SALE,\n",
    "sales_lines.csv": "line_item_id,transaction_id,product_id,promotion_id,quantity,"
    "line_item_amount\n"
    "1,T01,P1,PR1,1,3.50\n2,T01,P3,PR3,1,10.00\n"
    "1,T02,P9,PR9,2,24.00\n2,T02,P3,,3,30.00\n3,T02,P1,PR2,6,66.00\n"
    "1,T03,P9,,1,33.33\n1,T04,P1,,1,10.00\n1,T05,P1,,1,25.00\n1,T06,P1,,1,40.00\n"
    "1,T07,P1,,1,10.00\n1,T08,P1,,1,10.00\n1,T10,P1,,1,10.00\n1,T12,P1,,1,10.00\n"
    "1,T13,P1,,1,10.00\n1,T14,P1,,1,10.00\n1,T15,P9,PR9,1,5.00\n"
    "1,T16,P1,PR1,1,3.50\n2,T16,P3,PR3,1,10.00\n1,T17,P1,,2,20.00\n"
    "1,T18,P1,,2,20.00\n1,T19,P1,,1,5.00\n1,T29,P1,,1,5.00\n"
    "1,T30,P8,,1,3.00\n2,T30,P5,,1,27.00\n1,T31,P1,,1,20.00\n1,T33,P1,,3,60.00\n"
    "1,T35,P1,NA,1,7.00\n1,T36,P1,,1,7.00\n1,T36,P1,,1,7.00\n"
    "1,T40,P8,PR8,3,99.99\n1,T41,P1,,+2,8.00\n1,T98,P1,,1,4.00\n",
    "redemptions.csv": "redemption_id,customer_id,redemption_date,points_redeemed,store_id\n"
    "RD1,C1,2026-10-05,10,S1\nRD2,C1,2026-10-05,1000,S1\nRD3,C1,2026-10-05,5,S1\n"
    "RD4,C1,2026-10-12,300,\nRD5,C1,2026-10-20,+20,S1\nRD6,C1,2026-11-01,1,S1\n"
    "RD8,C1,2026-10-06,1,S9\nRD9,C5,2026-10-06,1,S1\nRD11,C5,2026-10-18,59,S1\n"
    "RD13,C7,2026-10-10,5,S1\nRD13,C7,2026-10-10,5,S1\n",
}


@pytest.mark.parametrize("expiry_months", ["12", "0"])
def test_a_messy_hand_written_batch_agrees(tmp_path, expiry_months):
    write(tmp_path / "landing" / "2026-10-31", MESSY)
    result = compare(
        tmp_path / "landing", tmp_path, {"LOYALTY_LAKE_LOYALTY__EXPIRY_MONTHS": expiry_months}
    )
    assert result["customer_id"].to_list() == ["C1", "C2", "C5", "C6", "C7", "C8", "C9"]


def test_money_is_parsed_exactly_and_points_are_floored():
    text = pd.Series(["12", "12.5", "-0.10", "+3.07", "1,5", "12.345", "1e3", None], dtype="str")
    cents = e2e_pandas.scaled_decimal(text, digits=16, places=2)
    assert cents.tolist() == [1200, 1250, -10, 307, pd.NA, pd.NA, pd.NA, pd.NA]
    big = pd.Series(["9223372036854775807", "9223372036854775808", "-7"], dtype="str")
    assert e2e_pandas.integer(big).tolist() == [2**63 - 1, pd.NA, -7]
    points = e2e_pandas.line_points(
        pd.Series([3333], dtype="int64"),  # 33.33 × 1.5 = 49.995 earns 49
        rate_e4=pd.Series([15_000]).to_numpy(),
        multiplier_e4=pd.Series([10_000]).to_numpy(),
    )
    assert points.tolist() == [49]


def with_rows(text: str, *, after: str, rows: str) -> str:
    """``text`` with ``rows`` inserted after its line ``after``."""
    head, found, tail = text.partition(after + "\n")
    assert found
    return head + found + rows + tail


def test_a_short_row_lacking_only_optional_fields_is_padded_and_a_malformed_row_dropped(
    tmp_path,
):
    files = {
        **MESSY,
        "customer_details.csv": with_rows(
            MESSY["customer_details.csv"],
            after="C1,Ada,2020-01-01,x",
            rows="C4,Dee,2020-01-01\n"  # a field short (optional): padded, C4 is a customer
            "C10,Jo,2020-01-01,x,y\n"  # too many
            "C11,Kim,2020-01-01,,\n",  # one (empty) field too many
        ),
        "sales_lines.csv": with_rows(
            MESSY["sales_lines.csv"],
            after="1,T01,P1,PR1,1,3.50",
            rows="3,T01,P3,,1\n"  # too few (an amount is required): would reject T01
            "\n"  # blank lines are skipped
            "3,T02,P1,,1,1.00,x\n"  # too many: T02's total would not match
            "2,T04,P1,,1,10.00,\n",  # one (empty) field too many
        ),
    }
    write(tmp_path / "landing" / "2026-10-31", files)
    result = compare(tmp_path / "landing", tmp_path)
    assert result["customer_id"].to_list() == ["C1", "C2", "C4", "C5", "C6", "C7", "C8", "C9"]


@pytest.mark.parametrize("settings", REAL_EXPORT_SETTINGS.values(), ids=REAL_EXPORT_SETTINGS)
def test_a_batch_as_real_exports_write_it_agrees(tmp_path, settings):
    write_batch(tmp_path / "landing" / "2026-10-31", REAL_EXPORTS)
    result = compare(tmp_path / "landing", tmp_path, overrides=settings)
    assert result["frequency"].gt(0).sum() >= 2


@pytest.mark.parametrize("unverified", ["warn", "reject"])
def test_references_to_a_master_that_never_landed(tmp_path, unverified):
    """Accepted unchecked (UNVERIFIED_*, a warning), or rejected when so configured."""
    files = {k: v for k, v in HARD_CASES.items() if k not in ("stores.csv", "products.csv")}
    write_batch(tmp_path / "landing" / "b1", files)
    compare(tmp_path / "landing", tmp_path, overrides={"dq.unverified_references": unverified})


@pytest.mark.parametrize(
    ("styles", "seed"),
    [(("messy",), 2), (("currency", "semicolons", "month_first", "gzip", "short_rows"), 3)],
)
def test_generated_styled_exports_agree(tmp_path, styles, seed):
    """The generator's export styles write the same values as real exports would."""
    options = ll.GeneratorOptions(lines=3_000, seed=seed, styles=styles)
    dataset = ll.generate(tmp_path / "landing", options)
    compare(tmp_path / "landing", tmp_path, overrides=dataset.settings.overrides())


def listed(values: pd.Series) -> list:
    """The values as a list, missing ones as None."""
    return values.astype(object).where(values.notna(), None).tolist()


def test_values_are_read_as_exports_write_them():
    files = pd.Series(0, index=range(6))  # one file
    money = pd.Series(["$1,234.50", "INR 3,753.01", "5393.00 INR", "12,34", "-INR 5", None])
    each = pd.Series(range(6))  # a file each: one currency per file
    assert listed(e2e_pandas.money(money.astype("str"), each)) == [
        123450,
        375301,
        539300,
        None,  # not a group of three
        -500,
        None,
    ]
    mixed = pd.Series(["$1.00", "€2.00", "3.00"], dtype="str")
    assert listed(e2e_pandas.money(mixed, files[:3])) == [None, None, 300]
    comma = pd.Series(["1.234,50", "12,5", "7", "12.50"], dtype="str")
    assert listed(e2e_pandas.money(comma, files[:4], decimal_comma=True)) == [
        123450,
        1250,
        700,
        None,  # with a decimal comma, no number
    ]
    numbers = pd.Series(["3.0", "03", "2.5", "-2.00"], dtype="str")
    assert listed(e2e_pandas.integer(numbers)) == [3, 3, None, -2]
    ids = pd.Series(["15.0", "T1.0", "007"], dtype="str")
    assert e2e_pandas.ident(ids).tolist() == ["15", "T1.0", "007"]
    dates = pd.Series(["27/05/2024", "01/02/2024", "2024/5/7", "2026-10-31T10:00:00Z"])
    read = e2e_pandas.calendar_date(dates.astype("str"), files[:4])
    assert read.dt.strftime("%Y-%m-%d").tolist() == [
        "2024-05-27",
        "2024-02-01",  # day-first: 27/05 proves it in this file
        "2024-05-07",
        "2026-10-31",
    ]
    unproven = pd.Series(["01/02/2024", "03/04/2024"], dtype="str")
    assert e2e_pandas.calendar_date(unproven, files[:2]).isna().all()  # AMBIGUOUS_DATE


def test_a_row_with_the_wrong_number_of_fields_is_counted_and_dropped(tmp_path, caplog):
    path = tmp_path / "sales_lines.csv"
    path.write_text(
        "line_item_id,transaction_id,product_id,promotion_id,quantity,line_item_amount\n"
        "1,T1,P1,,1,1.00\n2,T1,P1\n\n   \n3,T1,P1,,1,1.00,\n4,T1,P1,,1,1.00,x\n"
        '"5",T1,P1,"a\nb",1,1.00\n6,T1,P1,,1,1.00\n'
    )
    frame = e2e_pandas.read_text(path, "sales_lines")
    assert frame is not None
    assert frame["line_item_id"].tolist() == ["1", "5", "6"]
    assert "sales_lines.csv: 3 malformed rows dropped" in caplog.text


def test_an_unclosed_quote_stops_the_run(tmp_path):
    path = tmp_path / "stores.csv"
    path.write_text(
        'store_id,opening_date,store_name\nS1,2018-01-30,a\nS2,"2018-01-30,b\nS3,2018-01-30,c\n'
    )
    with pytest.raises(NotImplementedError, match="spans lines"):
        e2e_pandas.read_text(path, "stores")
