"""``inspect``: a batch read as landing and silver would read it, without landing it."""

from __future__ import annotations

import gzip
import io
import os
import tomllib
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import loyalty_lake as ll
import loyalty_lake.cli.inspect
from loyalty_lake.bronze.ingest import bronze_schema
from loyalty_lake.cli import app
from loyalty_lake.config import IdRewrite, load_config
from loyalty_lake.io import delta
from loyalty_lake.io.lake import Lake
from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.pipeline import build, inspect_landing
from loyalty_lake.pipeline.inspect import FindingKind, InspectReport
from loyalty_lake.silver import profile, run
from loyalty_lake.silver.models import SILVER_SCHEMAS
from loyalty_lake.silver.tables import Checks, Known
from tests.conftest import HEADER, LINES, write_batch

CONFIG = load_config(env={})
NOW = datetime(2026, 11, 27, tzinfo=UTC)
STORES = "store_id,store_name,store_city\nS001,North,Paris\nS002,South,Lyon\nS003,East,Metz\n"
PRODUCTS = (
    "product_id,product_name,product_category,unit_price\n"
    "P1,Apple,Fruit,1.50\nP2,Bread,Bakery,2.00\n"
)
CUSTOMERS = "customer_id,first_name,email\nC1,Ada,ada@example.com\nC2,Bob,bob@example.com\n"
PROMOTIONS = "promotion_id,promotion_name,start_date,end_date,points_multiplier\n"
MASTERS = {"stores.csv": STORES, "products.csv": PRODUCTS, "customers.csv": CUSTOMERS}


def inspected(folder: Path, **options) -> InspectReport:
    return inspect_landing(folder, config=options.pop("config", CONFIG), now=NOW, **options)


def found(report: InspectReport, kind: FindingKind, column: str | None = None):
    return [f for f in report.findings if f.kind is kind and (column is None or f.column == column)]


def one(report: InspectReport, kind: FindingKind, column: str | None = None):
    (finding,) = found(report, kind, column)
    return finding


def file_of(report: InspectReport, name: str):
    (f,) = [f for f in report.files if f.source_file == name]
    return f


def setting(report: InspectReport, section: str, name: str = ""):
    (s,) = [s for s in report.settings if s.section == section and s.name == name]
    return s


# --- files as landing reads them ---------------------------------------------------------------


def test_files_are_read_as_landing_reads_them(tmp_path):
    header = (
        b"\xef\xbb\xbf"
        + HEADER.replace(",", ";").encode()
        + b"T1;C1;S1;2026-10-30T10:00:00;5.00;SALE\n"
        + b"\n"
        + b"T2;C1;S1;2026-10-30T11:00:00;5.00\n"  # lacks only the optional transaction_type
        + b"T3;C1;S1;2026-10-30T12:00:00;5.00;SALE;extra\n"  # one field too many
    )
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("customers.csv", CUSTOMERS)
    folder = write_batch(
        tmp_path / "b1",
        {
            "sales_header.csv": header,
            "sales_lines.csv.gz": gzip.compress((LINES + "1,T1,P1,,1,5.00\n").encode()),
            "customers.zip": zipped.getvalue(),
        },
    )
    report = inspected(folder)

    sales = file_of(report, "sales_header.csv")
    assert (sales.table, sales.delimiter, sales.encoding, sales.compression) == (
        "sales_header",
        ";",
        "utf-8 with BOM",
        None,
    )
    assert (sales.rows, sales.blank_lines, sales.padded_rows, sales.malformed_rows) == (3, 1, 1, 1)
    lines = file_of(report, "sales_lines.csv.gz")
    assert (lines.table, lines.compression, lines.encoding, lines.rows) == (
        "sales_lines",
        "gzip",
        "utf-8",
        1,
    )
    customers = file_of(report, "customers.zip")
    assert (customers.table, customers.compression, customers.rows) == ("customers", "zip", 2)
    assert one(report, FindingKind.PADDED_ROWS).rows == 1
    assert one(report, FindingKind.MALFORMED_ROWS).rows == 1
    assert all(f.lands for f in report.files)


def test_a_file_that_is_no_contract_file_is_named_by_its_header(tmp_path):
    folder = write_batch(tmp_path / "b1", {"export_2026.csv": LINES + "1,T1,P1,,1,5.00\n"})
    report = inspected(folder)
    (f,) = report.files
    assert (f.table, f.refused, f.rows) == (None, "UNKNOWN_FILE", 0)
    assert "the columns of sales_lines.csv: name it so" in (f.message or "")
    assert one(report, FindingKind.REFUSED_FILE).source_file == "export_2026.csv"


def test_text_that_is_not_utf8_is_refused_with_landings_reason(tmp_path):
    customers = "customer_id,first_name\nC1,Zoë\n".encode("latin-1")
    report = inspected(write_batch(tmp_path / "b1", {"customers.csv": customers, "stores.csv": ""}))
    assert file_of(report, "customers.csv").refused == "UNDECODABLE"
    assert "iconv" in (file_of(report, "customers.csv").message or "")
    assert file_of(report, "stores.csv").refused == "EMPTY_FILE"
    assert len(found(report, FindingKind.REFUSED_FILE)) == 2


def test_links_are_refused_unread(tmp_path):
    outside = write_batch(tmp_path / "elsewhere", {"secret.csv": "a,b\n1,2\n"})
    folder = write_batch(tmp_path / "b1", {"sales_lines.csv": LINES + "1,T1,P1,,1,5.00\n"})
    os.symlink(outside / "secret.csv", folder / "sales_header.csv")
    report = inspected(folder)
    assert file_of(report, "sales_header.csv").refused == "SYMLINK"
    assert file_of(report, "sales_lines.csv").lands


def test_one_file_can_be_inspected_alone(tmp_path):
    folder = write_batch(tmp_path / "b1", {"sales_lines.csv": LINES + "1,T1,P1,,1,5.00\n"})
    report = inspected(folder / "sales_lines.csv")
    assert [f.source_file for f in report.files] == ["sales_lines.csv"]


# --- columns -------------------------------------------------------------------------------------


def test_missing_required_and_unknown_columns(tmp_path):
    renamed = LINES.replace("quantity", "qty_sold").replace("\n", ",note\n")
    folder = write_batch(tmp_path / "b1", {"sales_lines.csv": renamed + "1,T1,P1,,1,5.00,x\n"})
    report = inspected(folder)
    (f,) = report.files
    assert (f.refused, f.missing_columns, f.unknown_columns) == (
        "MISSING_COLUMNS",
        ("quantity",),
        ("qty_sold", "note"),
    )
    assert "quantity" in one(report, FindingKind.MISSING_COLUMNS).message
    assert report.settings == ()  # "qty_sold" is no near-certain alias


def test_headers_that_write_a_contract_column_otherwise_are_suggested_as_aliases(tmp_path):
    folder = write_batch(
        tmp_path / "b1",
        {
            "stores.csv": "ID,Name,City,Manager\nS001,North,Paris,Ann\n",
            "sales_lines.csv": LINES.replace("transaction_id", "Transaction ID")
            + "1,T1,P1,,1,5.00\n",
        },
    )
    report = inspected(folder)
    aliases = {s.name: s.value for s in report.settings if s.section == "landing.column_aliases"}
    assert aliases == {
        "stores.id": "store_id",
        "stores.name": "store_name",
        "stores.city": "store_city",
        "sales_lines.transaction id": "transaction_id",
    }
    stores = file_of(report, "stores.csv")
    assert stores.lands
    assert stores.unknown_columns == ("Manager",)
    assert dict(stores.aliases) == {"ID": "store_id", "Name": "store_name", "City": "store_city"}


def test_columns_report_formats_and_normalisations(tmp_path):
    folder = write_batch(
        tmp_path / "b1",
        {
            **MASTERS,
            "sales_lines.csv": LINES
            + '1,T1,P1,,3.0,"$1,234.50"\n'
            + "2,T1,P1,NULL,1, 5.00\n"
            + "3,T1,P1,,01,5.00\n",
        },
    )
    report = inspected(folder)
    columns = {c.column: c for c in file_of(report, "sales_lines.csv").columns}
    quantity = columns["quantity"]
    assert (quantity.read_as, quantity.values, quantity.missing) == ("integer", 3, 0)
    assert dict(quantity.normalisations) == {"INTEGRAL_FLOAT": 1, "LEADING_ZEROS": 1}
    assert [(f.format, f.rows) for f in quantity.formats] == [("9", 1), ("9.9", 1), ("99", 1)]
    amount = columns["line_item_amount"]
    assert dict(amount.normalisations) == {
        "WHITESPACE": 1,
        "CURRENCY_MARK": 1,
        "THOUSANDS_SEPARATOR": 1,
    }
    assert columns["promotion_id"].missing == 3
    assert dict(columns["promotion_id"].normalisations) == {"NULL_TOKEN": 1}
    email = {c.column: c for c in file_of(report, "customers.csv").columns}["email"]
    assert [(f.format, f.example) for f in email.formats] == [("a@a.a", "<masked>")]
    assert report.findings == ()


# --- what silver could not read for certain -------------------------------------------------


def test_a_date_column_no_value_orders_takes_the_order_its_file_proves(tmp_path):
    folder = write_batch(
        tmp_path / "b1", {"promotions.csv": PROMOTIONS + "PR1,A,01/10/2026,13/10/2026,2\n"}
    )
    report = inspected(folder)
    finding = one(report, FindingKind.AMBIGUOUS_DATE)
    assert (finding.column, finding.rows, finding.examples) == ("start_date", 1, ("01/10/2026",))
    assert "promotions.end_date in the same file proves day-first ('13/10/2026')" in (
        finding.message
    )
    chosen = setting(report, "dq.dates", "promotions.start_date")
    assert (chosen.value, chosen.certain) == ("day-first", True)
    assert '"promotions.start_date" = "day-first"' in report.toml()


def test_a_date_column_without_evidence_is_left_to_choose(tmp_path):
    folder = write_batch(
        tmp_path / "b1",
        {
            "redemptions.csv": "redemption_id,customer_id,redemption_date,points_redeemed\n"
            "R1,C1,01/02/2026,10\n"
        },
    )
    report = inspected(folder)
    chosen = setting(report, "dq.dates", "redemptions.redemption_date")
    assert not chosen.certain
    assert '# "redemptions.redemption_date" = "day-first"' in report.toml()
    assert report.applied_to(CONFIG).dq.dates == {}


def test_dates_in_both_orders_are_not_settled(tmp_path):
    folder = write_batch(
        tmp_path / "b1",
        {
            "promotions.csv": PROMOTIONS
            + "PR1,A,13/01/2026,2026-02-01,1\nPR2,B,01/13/2026,2026-02-01,1\n"
            + "PR3,C,02/03/2026,2026-04-01,1\n"
        },
    )
    report = inspected(folder)
    finding = one(report, FindingKind.MIXED_DATE_ORDERS)
    assert (finding.column, finding.rows, finding.setting) == ("start_date", 1, None)
    assert set(finding.examples) == {"13/01/2026", "01/13/2026"}
    assert not [s for s in report.settings if s.section == "dq.dates"]


def test_decimal_commas_are_suggested_when_they_read_every_value(tmp_path):
    lines = LINES.replace(",", ";") + "1;T1;P1;;1;1.234,50\n2;T1;P1;;1;3,00\n3;T1;P1;;1;3\n"
    folder = write_batch(tmp_path / "b1", {"sales_lines.csv": lines})
    report = inspected(folder)
    finding = one(report, FindingKind.DECIMAL_COMMA)
    assert (finding.column, finding.rows, finding.examples) == (
        "line_item_amount",
        2,
        ("1.234,50", "3,00"),
    )
    assert setting(report, "dq", "decimal_comma").value == "sales_lines.line_item_amount"
    assert not found(report, FindingKind.INVALID_TYPE)  # all settled by the setting


def test_decimal_commas_beside_thousands_commas_are_not_settled(tmp_path):
    # "1,234" is 1234 as it is, and nothing with a decimal comma: no setting reads both.
    lines = LINES.replace(",", ";") + "1;T1;P1;;1;1.234,50\n2;T1;P1;;1;1,234\n3;T1;P1;;1;2.50\n"
    report = inspected(write_batch(tmp_path / "b1", {"sales_lines.csv": lines}))
    finding = one(report, FindingKind.MIXED_DECIMAL_MARKS)
    assert (finding.rows, finding.setting) == (1, None)
    assert "2 other(s) are written with a decimal point" in finding.message
    assert not [s for s in report.settings if s.section == "dq"]
    assert one(report, FindingKind.INVALID_TYPE).rows == 1


def test_mixed_currencies_are_reported_and_left_unsettled(tmp_path):
    sales = HEADER + "T1,,S1,2026-10-30,$5.00,SALE\nT2,,S1,2026-10-30,€3.00,SALE\n"
    report = inspected(write_batch(tmp_path / "b1", {"sales_header.csv": sales}))
    finding = one(report, FindingKind.MIXED_CURRENCIES)
    assert (finding.column, finding.rows, finding.setting) == ("total_amount", 2, None)
    assert "mixes currencies" in finding.examples[0]
    assert "MIXED_CURRENCIES" in report.toml().split("Not settled by any setting")[1]


def test_invalid_values_come_with_silvers_messages_personal_data_masked(tmp_path):
    lines = LINES + "1,T1,P1,,2.5,5.00\n2,T1,P1,,+33 6 12 34 56 78,5.00\n"
    report = inspected(write_batch(tmp_path / "b1", {"sales_lines.csv": lines}))
    finding = one(report, FindingKind.INVALID_TYPE)
    assert (finding.column, finding.rows) == ("quantity", 2)
    assert finding.examples == (
        "quantity '2.5' is not a whole number",
        "quantity '<phone>' is not a whole number",
    )


def test_placeholders_for_no_value_are_suggested_as_null_values(tmp_path):
    folder = write_batch(
        tmp_path / "b1",
        {
            "stores.csv": "store_id,opening_date\nS001,-\nS002,2020-01-01\n",
            "promotions.csv": PROMOTIONS + "PR1,A,2026-10-01,2026-10-12,2\n",
            "sales_lines.csv": LINES + "1,T1,P1,0,1,5.00\n2,T1,0,PR1,1,5.00\n",
            "products.csv": PRODUCTS,
        },
    )
    report = inspected(folder)
    nulls = {s.name: s.value for s in report.settings if s.section == "dq.null_values"}
    assert nulls == {"stores.opening_date": ("-",), "sales_lines.promotion_id": ("0",)}
    # product_id is required: a "0" there is an unknown product, not a missing value.
    unknown = one(report, FindingKind.UNKNOWN_REFERENCE, "product_id")
    assert (unknown.rows, unknown.setting) == (1, None)


def test_two_files_of_a_table_suggest_each_setting_once(tmp_path):
    rows = "1,T1,P1,0,1,5.00\n"
    folder = write_batch(
        tmp_path / "b1",
        {
            "products.csv": PRODUCTS,
            "promotions.csv": PROMOTIONS + "PR1,A,2026-10-01,2026-10-12,2\n",
            "sales_lines.csv": LINES + rows,
            "sales_line_items.csv": LINES + rows.replace("T1", "T2"),
        },
    )
    report = inspected(folder)
    assert len(found(report, FindingKind.NULL_PLACEHOLDER)) == 2
    (null,) = [s for s in report.settings if s.section == "dq.null_values"]
    assert null.value == ("0",)
    assert tomllib.loads(report.toml())["dq"]["null_values"] == {"sales_lines.promotion_id": ["0"]}


# --- references ----------------------------------------------------------------------------


def test_ids_written_otherwise_than_master_keys_get_a_rewrite(tmp_path):
    folder = write_batch(
        tmp_path / "b1",
        {
            "customers.csv": "customer_id,first_name\n421,Ada\n1234,Bob\n",
            "stores.csv": STORES,
            "sales_header.csv": HEADER
            + "T1,C000421,Store-S003,2026-10-30,5.00,SALE\n"
            + "T2,C001234,S001,2026-10-30,5.00,SALE\n"
            + "T3,C9,Store-S001,2026-10-30,5.00,SALE\n",
        },
    )
    report = inspected(folder)
    rewrites = {s.value.columns: s.value for s in report.settings if s.section == "dq.id_rewrites"}
    assert rewrites == {
        ("sales_header.customer_id",): IdRewrite(
            columns=("sales_header.customer_id",), pattern=r"^C0*(\d+)$", replace="$1"
        ),
        ("sales_header.store_id",): IdRewrite(
            columns=("sales_header.store_id",), pattern=r"^Store-S(\d+)$", replace="S$1"
        ),
    }
    customers = found(report, FindingKind.UNKNOWN_REFERENCE, "customer_id")
    assert [(f.rows, f.setting is not None) for f in customers] == [(2, True), (1, False)]
    assert customers[0].examples == ("C000421 → 421", "C001234 → 1234")
    assert customers[1].examples == ("C9",)
    # Once used, the rewrites leave only the id that is no key (read as the family reads it).
    again = inspected(folder, config=report.applied_to(CONFIG))
    assert [(f.column, f.examples) for f in found(again, FindingKind.UNKNOWN_REFERENCE)] == [
        ("customer_id", ("9",))
    ]


def test_references_to_masters_that_did_not_land_are_unverified(tmp_path):
    sales = HEADER + "T1,C1,S1,2026-10-30,5.00,SALE\n"
    report = inspected(write_batch(tmp_path / "b1", {"sales_header.csv": sales}))
    assert {f.column for f in found(report, FindingKind.UNVERIFIED_REFERENCE)} == {
        "customer_id",
        "store_id",
    }


def test_the_lakes_silver_masters_count_as_known(tmp_path):
    lake = Lake(tmp_path / "lake")
    write_batch(
        lake.landing / "b0", {**MASTERS, "sales_header.csv": HEADER, "sales_lines.csv": LINES}
    )
    build(lake=lake, config=CONFIG)
    sales = HEADER + "T1,C1,Store-S003,2026-10-30,5.00,SALE\n"
    folder = write_batch(tmp_path / "b1", {"sales_header.csv": sales})
    alone = inspected(folder)
    assert found(alone, FindingKind.UNVERIFIED_REFERENCE)
    with_lake = inspected(folder, lake=lake)
    assert not found(with_lake, FindingKind.UNVERIFIED_REFERENCE)
    assert setting(with_lake, "dq.id_rewrites").value.pattern == r"^Store-S(\d+)$"


@pytest.mark.parametrize(
    ("ids", "keys", "expected"),
    [
        (["s001", "S-002"], ["S001", "S002"], [("S-002", "S002"), ("s001", "S001")]),
        (["C000421"], ["421", "C1"], [("C000421", "421")]),
        (["Store-S003"], ["S003", "S030"], [("Store-S003", "S003")]),
        (["X1"], ["S001", "P001"], []),  # two keys around the number 1: ambiguous
        (["ZZ"], ["S001"], []),
    ],
)
def test_an_unknown_id_matches_one_key_or_none(ids, keys, expected):
    unknown = pl.LazyFrame({"id": ids})
    matched = profile.matched_ids(unknown, pl.LazyFrame({"key": keys})).collect().sort("id")
    assert matched.rows() == expected


@pytest.mark.parametrize(
    ("pairs", "keys", "expected"),
    [
        ({"C000421": "421", "C001234": "1234"}, ["421", "1234"], [(r"^C0*(\d+)$", "$1")]),
        ({"Store-S003": "S003"}, ["S003"], [(r"^Store-S(\d+)$", "S$1")]),
        ({"CUST-7-EU": "7"}, ["7"], [(r"^CUST-(\d+)-EU$", "$1")]),
        ({"NORTH.shop": "NORTH"}, ["NORTH"], [(r"^(.+)\.shop$", "$1")]),
        (
            {"3": "S003", "10": "S010"},
            ["S003", "S010", "S100"],
            [(r"^0*(\d{1})$", "S00$1"), (r"^0*(\d{2})$", "S0$1"), (r"^0*(\d{3,})$", "S$1")],
        ),
    ],
)
def test_rewrites_explain_every_pair_in_as_few_expressions_as_can(pairs, keys, expected):
    frame = pl.DataFrame({"id": list(pairs), "key": list(pairs.values())})
    keys_frame = pl.DataFrame({"key": keys})
    rewrites = profile.id_rewrites(frame, keys_frame, columns=["sales_header.store_id"])
    assert [(r.pattern, r.replace) for r in rewrites] == expected
    misses = profile.rewrite_misses(
        frame, keys_frame["key"], rewrites, table="sales_header", column="store_id"
    )
    assert misses.is_empty()


def test_ids_no_expression_explains_are_mapped_one_by_one():
    frame = pl.DataFrame({"id": ["north"], "key": ["NORTH"]})
    (rewrite,) = profile.id_rewrites(frame, pl.DataFrame({"key": ["NORTH"]}), columns=["x.y"])
    assert (rewrite.pattern, dict(rewrite.mapping)) == (None, {"north": "NORTH"})


# --- the same reading as silver -------------------------------------------------------------

MESSY = {
    "stores": {"store_id": [" S1 ", "2.0"], "opening_date": ["27/05/2024", "NULL"]},
    "products": {"product_id": ["P1", "P2"], "unit_price": ["$1,234.50", "2,5"]},
    "promotions": {"promotion_id": ["PR1", "PR2"], "start_date": ["2024/05/27", "05/06/2024"]},
    "sales_header": {
        "transaction_id": ["T1", "T2"],
        "store_id": ["S1", "S1"],
        "transaction_date": ["13/12/2025 12:15:50 PM", "01/02/2025"],
        "total_amount": ["INR 3,753.01", "5393.00 INR"],
    },
    "sales_lines": {
        "line_item_id": ["1", "2"],
        "transaction_id": ["T1", "T1"],
        "quantity": ["3.0", "03"],
    },
    "inventory": {
        "snapshot_date": ["2026-10-31T10:00:00", "2026-10-31"],
        "stock_level": ["1", "x"],
    },
}


def bronze_of(table: str, values: dict[str, list[str]]) -> pl.LazyFrame:
    spec = LANDING_FILES[table]
    height = len(next(iter(values.values())))
    columns = {c: values.get(c, [""] * height) for c in spec.columns}
    lineage = {
        "_extra": [None] * height,
        "_malformed": [None] * height,
        "_padded": [None] * height,
        "_batch_id": ["b1"] * height,
        "_source_file": [f"{table}.csv"] * height,
        "_file_sha256": ["sha"] * height,
        "_row_number": list(range(1, height + 1)),
        "_ingested_at": [NOW] * height,
    }
    return pl.DataFrame(columns | lineage, schema=bronze_schema(spec)).lazy()


@pytest.mark.parametrize("table", sorted(MESSY))
def test_columns_are_read_and_normalised_as_silvers_own_check_reads_them(table):
    checks = Checks.from_config(CONFIG, now=NOW)
    bronze = {name: bronze_of(name, MESSY.get(name, {"_": []})) for name in LANDING_FILES}
    masters = run.checked_masters(bronze, checks=checks)
    empty = {n: pl.LazyFrame(schema=s) for n, s in SILVER_SCHEMAS.items()}
    facts = run.checked_facts(bronze, known=_known(), existing=empty, checks=checks)
    checked = (masters | facts)[table].collect()
    reading = profile.table_reading(table, checks=checks)
    evidence = profile.evidence(bronze[table], reading).collect()
    typed = profile.typed_rows(bronze[table], reading, facts=evidence)
    typed = typed.collect().sort("_row_number")  # typed rows come in any order
    flags = [c for c in checked.columns if c.startswith("_n|")]
    assert flags
    assert flags == [c for c in typed.columns if c.startswith("_n|")]
    by_row = ["_row_number"]
    assert_frame_equal(checked.select(*by_row, *flags).sort(by_row), typed.select(*by_row, *flags))
    # The columns judged by type rules read the same values (a code's closed set aside).
    checked = checked.sort(by_row)
    for column, read in reading.columns.items():
        if read.rules and read.method != "code":
            given = typed.select(reading.parser.given(column)).to_series()
            assert (checked[column].is_null() & given).to_list() == (
                typed[column].is_null() & given
            ).to_list(), column


def _known() -> Known:
    return Known.from_masters(
        {n: pl.DataFrame(schema=SILVER_SCHEMAS[n]) for n in profile.MASTER_KEYS}
    )


# --- big files ---------------------------------------------------------------------------------


def test_a_file_is_read_in_chunks_and_judged_whole(tmp_path):
    """A malformed row sends it to the careful reader (chunks of 65,536 rows); the only value
    proving the date column day-first is in the last chunk."""
    rows = [f"T{i},,S1,01/10/2026,1.00,SALE" for i in range(70_000)]
    rows[5] += ",extra"
    rows[-1] = "T69999,,S1,13/10/2026,1.00,SALE"
    folder = write_batch(tmp_path / "b1", {"sales_header.csv": HEADER + "\n".join(rows) + "\n"})
    report = inspected(folder)
    sales = file_of(report, "sales_header.csv")
    assert (sales.rows, sales.malformed_rows) == (70_000, 1)
    assert not found(report, FindingKind.AMBIGUOUS_DATE)
    date_column = {c.column: c for c in sales.columns}["transaction_date"]
    assert dict(date_column.normalisations) == {"DAY_FIRST_DATE": 69_999}


# --- the snippet ---------------------------------------------------------------------------


def test_a_clean_batch_has_nothing_to_settle(tmp_path):
    folder = write_batch(
        tmp_path / "b1",
        {
            **MASTERS,
            "sales_header.csv": HEADER + "T1,C1,S001,2026-10-30T10:00:00,5.00,SALE\n",
            "sales_lines.csv": LINES + "1,T1,P1,,1,5.00\n",
        },
    )
    report = inspected(folder)
    assert (report.findings, report.settings) == ((), ())
    assert "Nothing to settle" in report.toml()


# --- the acceptance: a messy batch, once settled, builds as the clean one --------------------

CLEAN = {
    **MASTERS,
    "promotions.csv": PROMOTIONS + "PR1,Autumn,2026-10-01,2026-10-12,2\n",
    "redemptions.csv": "redemption_id,customer_id,redemption_date,points_redeemed,store_id\n"
    "R1,C2,2026-10-11,10,S003\nR2,C1,2026-10-12,500,S001\n",
    "sales_header.csv": HEADER
    + "T1,C1,S001,2026-10-13T10:00:00,1234.50,SALE\n"
    + "T2,C2,S003,2026-10-05T11:00:00,7.00,SALE\n"
    + "T3,,S003,2026-10-06T11:00:00,3.00,SALE\n",
    "sales_lines.csv": LINES + "1,T1,P1,,1,1234.50\n1,T2,P2,PR1,2,7.00\n1,T3,P1,,1,3.00\n",
}
MESSY_BATCH = {
    **MASTERS,
    # Day-first, every day at most 12: no value of these columns proves the order.
    "promotions.csv": PROMOTIONS + "PR1,Autumn,01/10/2026,12/10/2026,2\n",
    "redemptions.csv": "redemption_id,customer_id,redemption_date,points_redeemed,store_id\n"
    "R1,C2,11/10/2026,10,Store-S003\nR2,C1,12/10/2026,500,Store-S001\n",
    # ;-delimited with decimal commas, store ids written "Store-S003", day-first dates.
    "sales_header.csv": HEADER.replace(",", ";")
    + "T1;C1;Store-S001;13/10/2026 10:00;1.234,50;SALE\n"
    + "T2;C2;Store-S003;05/10/2026 11:00;7,00;SALE\n"
    + "T3;;S003;06/10/2026 11:00;3,00;SALE\n",
    "sales_lines.csv": LINES.replace(",", ";").replace("transaction_id", "Transaction ID")
    + "1;T1;P1;0;1;1.234,50\n1;T2;P2;PR1;2;7,00\n1;T3;P1;0;1;3,00\n",
}


def silver_tables(lake: Lake) -> dict[str, pl.DataFrame]:
    """Silver's tables without lineage; rejects as (table, key, reasons, status)."""
    tables = {}
    for name in [*LANDING_FILES, "rejects"]:
        path = lake.table("silver", name)
        if delta.table_exists(path):
            frame = delta.scan_table(path).collect()
            data = [c for c in frame.columns if not c.startswith("_")]
            if name == "rejects":
                data = ["table", "key", "reason_codes", "status", "stage"]
            tables[name] = frame.select(data).sort(data[:2])
    return tables


def test_the_suggested_settings_make_a_messy_batch_build_as_the_clean_one(tmp_path):
    write_batch(tmp_path / "clean" / "b1", CLEAN)
    messy = write_batch(tmp_path / "messy" / "b1", MESSY_BATCH)
    report = inspected(messy)
    snippet = tmp_path / "settings.toml"
    snippet.write_text(report.toml())
    assert {f.kind for f in report.findings} == {
        FindingKind.COLUMN_ALIAS,
        FindingKind.AMBIGUOUS_DATE,
        FindingKind.DECIMAL_COMMA,
        FindingKind.NULL_PLACEHOLDER,
        FindingKind.UNKNOWN_REFERENCE,
    }
    assert all(s.certain for s in report.settings)
    settings = load_config(snippet, env={})
    assert settings == report.applied_to(CONFIG)
    assert settings.dq.dates == {
        "promotions.start_date": "day-first",
        "promotions.end_date": "day-first",
        "redemptions.redemption_date": "day-first",
    }

    clean_lake, messy_lake = Lake(tmp_path / "clean_lake"), Lake(tmp_path / "messy_lake")
    build(lake=clean_lake, config=CONFIG, landing=tmp_path / "clean", as_of=date(2026, 10, 31))
    build(lake=messy_lake, config=settings, landing=tmp_path / "messy", as_of=date(2026, 10, 31))
    clean, settled = silver_tables(clean_lake), silver_tables(messy_lake)
    assert set(settled) == set(clean)
    for name, frame in clean.items():
        assert_frame_equal(settled[name], frame, check_row_order=False)
    # Neither has a reject; the one refusal of both is gold's verdict on a redemption beyond
    # the points earned by then.
    assert "rejects" not in settled
    for lake in (clean_lake, messy_lake):
        refused = ll.scan(lake, "gold", "redemption_verdicts").filter(pl.col("status") == "REFUSED")
        assert refused.select("redemption_id", "reason").collect().rows() == [
            ("R2", "INSUFFICIENT_POINTS")
        ]
    # And inspecting it again with the settings finds nothing left to settle.
    assert inspected(messy, config=settings).settings == ()


def test_the_snippet_is_valid_toml_even_with_quotes_and_odd_headers(tmp_path):
    folder = write_batch(
        tmp_path / "b1",
        {
            "stores.csv": 'Store "ID",Name\nS001,North\n',
            "redemptions.csv": "redemption_id,customer_id,redemption_date,points_redeemed\n"
            "R1,C1,01/02/2026,10\n",
        },
    )
    report = inspected(folder)
    parsed = tomllib.loads(report.toml())
    assert parsed["landing"]["column_aliases"] == {
        'stores.store "id"': "store_id",
        "stores.name": "store_name",
    }


# --- the command line ----------------------------------------------------------------------

runner = CliRunner()


def test_inspect_command_prints_the_report_and_writes_the_settings(tmp_path):
    messy = write_batch(tmp_path / "messy" / "b1", MESSY_BATCH)
    help_text = runner.invoke(app, ["inspect", "--help"], catch_exceptions=False).output
    assert "Example" in help_text
    assert "--toml" in help_text
    target = tmp_path / "fixes.toml"
    result = runner.invoke(
        app, ["inspect", str(messy), "--toml", str(target)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    for text in (
        "Files",
        "AMBIGUOUS_DATE",
        "DECIMAL_COMMA",
        "UNKNOWN_REFERENCE",
        "suggested setting(s)",
    ):
        assert text in result.output
    assert load_config(target, env={}).dq.decimal_comma == (
        "sales_header.total_amount",
        "sales_lines.line_item_amount",
    )
    printed = runner.invoke(app, ["inspect", str(messy)], catch_exceptions=False)
    assert "[[dq.id_rewrites]]" in printed.output


def test_inspect_command_reports_a_missing_path(tmp_path):
    result = runner.invoke(app, ["inspect", str(tmp_path / "nowhere")])
    assert result.exit_code == 2  # a usage error: the path given is wrong
    assert "does not exist" in result.output
