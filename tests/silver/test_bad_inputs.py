"""The bad-input catalogue, end to end: a literal landing batch → bronze → silver.

Each test lands one small batch, builds silver and says where every bronze row
ended up: in its silver table, or in ``silver/rejects`` with its reasons. Every
build must conserve rows (bronze = accepted + rejected, per table and batch).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl
import pytest

from loyalty_lake.config import load_config
from loyalty_lake.io import delta
from loyalty_lake.pipeline.ingest import FileStatus, IngestReport, ingest
from loyalty_lake.pipeline.silver import build_silver, conservation
from loyalty_lake.silver.models import SILVER_MODELS, schema
from tests.conftest import HEADER, LINES, write_batch

if TYPE_CHECKING:
    from pathlib import Path

    from loyalty_lake.io.lake import Lake

NOW = datetime(2026, 11, 1, tzinfo=UTC)
CONFIG = load_config(env={})
BOM = b"\xef\xbb\xbf"
#: Minimal valid master data, so that the facts' references resolve.
MASTERS: dict[str, str | bytes] = {
    "stores.csv": "store_id,store_name\nS1,Main Street\n",
    "products.csv": "product_id,product_category,unit_price\nP1,Food,2.00\nP2,Food,3.00\n",
    "customers.csv": "customer_id,first_name,email\nC1,Ada,ada@example.com\n",
}
#: One clean transaction: T1, one line of 2.00.
SALE = {
    "sales_header.csv": HEADER + "T1,C1,S1,2026-10-30T10:00:00,2.00,SALE\n",
    "sales_lines.csv": LINES + "1,T1,P1,,1,2.00\n",
}


@dataclass(frozen=True)
class Built:
    """A lake after landing one batch (``b1``) and building silver."""

    lake: Lake
    report: IngestReport

    def status(self, file: str) -> tuple[FileStatus, str | None]:
        (outcome,) = [f for f in self.report.files if f.source_file == file]
        return outcome.status, outcome.reason

    def bronze(self, name: str) -> pl.DataFrame:
        path = self.lake.table("bronze", name)
        if not delta.table_exists(path):
            return pl.DataFrame()
        return delta.scan_table(path).collect().sort("_row_number")

    def silver(self, name: str) -> pl.DataFrame:
        path = self.lake.table("silver", name)
        if not delta.table_exists(path):
            return pl.DataFrame(schema=schema(SILVER_MODELS[name]))
        return delta.scan_table(path).collect().sort("_row_number")

    def rejects(self, table: str) -> pl.DataFrame:
        path = self.lake.table("silver", "rejects")
        if not delta.table_exists(path):
            return pl.DataFrame()
        rejects = delta.scan_table(path).filter(pl.col("table") == table).collect()
        return rejects.sort("row_number")

    def raw(self, table: str, row_number: int) -> dict[str, str | None]:
        """The raw values of a rejected row, decoded from the rejects table."""
        rejects = self.rejects(table).filter(pl.col("row_number") == row_number)
        return json.loads(rejects["raw_values"].item())

    def warnings(self, table: str) -> dict[int, list[str]]:
        """Bronze row number → the warnings of an accepted row that has some."""
        path = self.lake.table("silver", "warnings")
        if not delta.table_exists(path):
            return {}
        rows = delta.scan_table(path).filter(pl.col("table") == table).collect()
        return dict(sorted(rows.select("row_number", "reason_codes").iter_rows()))

    def fates(self, table: str) -> dict[int, list[str]]:
        """Bronze row number → [] if the row is in silver, else its reject reasons.

        Checks on the way that every bronze row is in exactly one place.
        """
        accepted = self.silver(table)["_row_number"].to_list()
        rejects = self.rejects(table)
        rejected: dict[int, list[str]] = (
            dict(rejects.select("row_number", "reason_codes").iter_rows()) if rejects.height else {}
        )
        assert not set(accepted) & set(rejected), "a row is both in silver and rejected"
        assert len(accepted) == len(set(accepted))
        fates = {n: [] for n in accepted} | rejected
        bronze = self.bronze(table)
        assert sorted(fates) == (bronze["_row_number"].to_list() if bronze.height else [])
        return dict(sorted(fates.items()))


def built(lake: Lake, tmp_path: Path, files: dict[str, str | bytes]) -> Built:
    """Land ``files`` as batch b1 (on top of :data:`MASTERS`), build silver, check conservation."""
    batch = write_batch(tmp_path / "landing" / "b1", {**MASTERS, **files})
    report = ingest(batch, lake=lake)
    build_silver(lake=lake, config=CONFIG, run_id="r1", now=NOW)
    balance = conservation(lake=lake)
    assert balance.height > 0
    assert balance["balanced"].all(), balance
    return Built(lake, report)


# --- encodings ---------------------------------------------------------------------------


def test_a_utf8_byte_order_mark_is_tolerated(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": BOM + SALE["sales_header.csv"].encode(),
            "sales_lines.csv": BOM + SALE["sales_lines.csv"].encode(),
            "customers.csv": BOM + "customer_id,first_name\nC1,Zoë 🎉\n".encode(),
        },
    )
    for file in ("sales_header.csv", "sales_lines.csv", "customers.csv"):
        assert out.status(file) == (FileStatus.LANDED, None)
    assert out.fates("sales_header") == {1: []}
    assert out.fates("sales_lines") == {1: []}
    assert out.fates("customers") == {1: []}
    assert out.silver("sales_header")["transaction_id"].to_list() == ["T1"]
    assert out.silver("customers").select("customer_id", "first_name").rows() == [("C1", "Zoë 🎉")]
    assert out.bronze("customers")["_extra"].to_list() == [None]  # no '\ufeffcustomer_id'


def test_latin_1_bytes_refuse_the_file(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            **SALE,
            "customers.csv": b"customer_id,first_name\nC1,Ada\nC2,Zo\xeb\n",
        },
    )
    assert out.status("customers.csv") == (FileStatus.REJECTED, "UNDECODABLE")
    assert out.bronze("customers").height == 0
    assert out.silver("customers").height == 0
    assert out.rejects("customers").height == 0
    # The batch's other files still land; C1 cannot be checked until a UTF-8 file arrives.
    assert out.fates("sales_header") == {1: []}
    assert out.warnings("sales_header") == {1: ["UNVERIFIED_CUSTOMER"]}
    assert out.fates("sales_lines") == {1: []}
    assert out.fates("stores") == {1: []}


# --- CSV structure -----------------------------------------------------------------------


def test_quoted_newlines_commas_and_quotes_stay_inside_one_value(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            **SALE,
            "stores.csv": (
                "store_id,store_name,store_city\n"
                'S1,"Main Street\nUnit 2","Leeds, West Yorkshire"\n'
                'S2,"The ""Big"" Shop",York\n'
                "S3,Corner,Hull\n"
            ),
        },
    )
    assert out.status("stores.csv") == (FileStatus.LANDED, None)
    assert out.fates("stores") == {1: [], 2: [], 3: []}  # a record spanning lines is one row
    assert out.silver("stores").select("store_id", "store_name", "store_city").rows() == [
        ("S1", "Main Street\nUnit 2", "Leeds, West Yorkshire"),
        ("S2", 'The "Big" Shop', "York"),
        ("S3", "Corner", "Hull"),
    ]
    assert out.fates("sales_header") == {1: []}


@pytest.mark.parametrize(
    "bad_row", ["2,T1,P1\n", "2,T1,P1,,1,2.00,extra\n"], ids=["too-few", "too-many"]
)
def test_a_ragged_row_is_one_malformed_reject(lake, tmp_path, bad_row):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": SALE["sales_header.csv"],
            "sales_lines.csv": SALE["sales_lines.csv"] + bad_row,
        },
    )
    assert out.status("sales_lines.csv") == (FileStatus.LANDED, None)
    assert out.fates("sales_lines") == {1: [], 2: ["MALFORMED_ROW"]}  # the rest of the file lands
    assert out.fates("sales_header") == {1: []}
    (message,) = out.rejects("sales_lines")["message"]
    assert message.startswith("malformed row (line 3: has ")
    assert json.loads(out.raw("sales_lines", 2)["_extra"]) == {"_record": bad_row.strip()}


def test_a_stray_quote_rejects_its_row_and_every_later_row_lands(lake, tmp_path):
    """``sed -i '28s/$/"/' sales_header.csv``: row 27 opens a quote that is never closed."""
    rows = [f"T{i},C1,S1,2026-10-30T10:00:00,2.00,SALE,\n" for i in range(1, 306)]
    rows[26] = rows[26].rstrip("\n") + '"\n'
    lines = "".join(f"1,T{i},P1,,1,2.00\n" for i in range(1, 306))
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": HEADER.rstrip("\n") + ",original_transaction_id\n" + "".join(rows),
            "sales_lines.csv": LINES + lines,
        },
    )
    fates = out.fates("sales_header")
    assert len(fates) == 305  # every physical record is in bronze
    assert fates[27] == ["MALFORMED_ROW"]
    assert {n for n, reasons in fates.items() if reasons} == {27}
    assert out.silver("sales_header")["original_transaction_id"].null_count() == 304
    # T27's line has no clean header now: it waits as an orphan (curable), never silently gone.
    assert out.fates("sales_lines")[27] == ["ORPHAN_LINE"]


def test_a_missing_required_column_refuses_the_file(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": SALE["sales_header.csv"],
            "sales_lines.csv": "line_item_id,transaction_id,product_id,line_item_amount\n"
            "1,T1,P1,2.00\n",
        },
    )
    assert out.status("sales_lines.csv") == (FileStatus.REJECTED, "MISSING_COLUMNS")
    assert out.bronze("sales_lines").height == 0
    assert out.fates("sales_header") == {1: ["MISSING_LINES"]}  # waits for a fixed file


def test_an_extra_column_is_kept_in_bronze_and_ignored_in_silver(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": (
                "transaction_id,customer_id,store_id,transaction_date,total_amount,Till\n"
                "T1,C1,S1,2026-10-30,2.00,7\n"
            ),
            "sales_lines.csv": SALE["sales_lines.csv"],
            "customers.csv": (
                "customer_id,first_name,enrollment_date, Favourite Colour \n"
                "C1,Ada,2024-01-01,blue\n"
                "C2,Bob,someday,green\n"
            ),
        },
    )
    assert out.bronze("customers")["_extra"].to_list() == [
        '{"Favourite Colour":"blue"}',
        '{"Favourite Colour":"green"}',
    ]
    assert out.bronze("sales_header")["_extra"].to_list() == ['{"Till":"7"}']
    assert out.fates("customers") == {1: [], 2: ["INVALID_TYPE"]}
    assert out.fates("sales_header") == {1: []}
    assert out.silver("customers").columns == list(schema(SILVER_MODELS["customers"]))
    assert out.silver("sales_header").columns == list(schema(SILVER_MODELS["sales_header"]))
    assert out.raw("customers", 2)["_extra"] == '{"Favourite Colour":"green"}'


def test_a_header_only_file_lands_no_rows(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": HEADER,
            "sales_lines.csv": LINES,
            "promotions.csv": "promotion_id,start_date,end_date\n",
        },
    )
    for file in ("sales_header.csv", "sales_lines.csv", "promotions.csv"):
        assert out.status(file) == (FileStatus.LANDED, None)
    assert out.report.rows_landed == 4  # the masters only
    assert out.fates("sales_header") == {}
    assert out.fates("sales_lines") == {}
    assert out.fates("promotions") == {}
    assert out.fates("customers") == {1: []}


def test_lines_whose_header_file_is_empty_are_orphans(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {"sales_header.csv": HEADER, "sales_lines.csv": SALE["sales_lines.csv"]},
    )
    assert out.fates("sales_lines") == {1: ["ORPHAN_LINE"]}
    assert out.rejects("sales_lines")["transaction_id"].to_list() == ["T1"]


# --- numbers -----------------------------------------------------------------------------


def test_numbers_beyond_64_bits_are_invalid_type(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": HEADER
            + "T1,C1,S1,2026-10-30,2.00,SALE\n"
            + "T2,C1,S1,2026-10-30,99999999999999999999.00,SALE\n"
            + "T3,C1,S1,2026-10-30,2.00,SALE\n",
            "sales_lines.csv": LINES
            + "1,T1,P1,,99999999999999999999,2.00\n"
            + "1,T2,P1,,1,2.00\n"
            + "1,T3,P1,,1,2.00\n",
            "redemptions.csv": "redemption_id,customer_id,redemption_date,points_redeemed\n"
            "RD1,C1,2026-10-30,18446744073709551616\n"
            "RD2,C1,2026-10-30,9223372036854775808\n"
            "RD3,C1,2026-10-30,50\n",
            "inventory.csv": "snapshot_date,store_id,product_id,stock_level\n"
            "2026-10-30,S1,P1,-99999999999999999999\n",
        },
    )
    assert out.fates("sales_header") == {1: ["PARENT_REJECTED"], 2: ["INVALID_TYPE"], 3: []}
    assert out.fates("sales_lines") == {1: ["INVALID_TYPE"], 2: ["PARENT_REJECTED"], 3: []}
    assert out.fates("redemptions") == {1: ["INVALID_TYPE"], 2: ["INVALID_TYPE"], 3: []}
    assert out.fates("inventory") == {1: ["INVALID_TYPE"]}
    assert out.raw("sales_lines", 1)["quantity"] == "99999999999999999999"
    assert out.raw("redemptions", 1)["points_redeemed"] == "18446744073709551616"
    assert out.silver("redemptions")["points_redeemed"].to_list() == [50]


def test_1e309_and_minus_zero_are_rejected_and_nan_is_missing(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": HEADER
            + "T1,C1,S1,2026-10-30,2.00,SALE\n"
            + "T2,C1,S1,2026-10-30,2.00,SALE\n"
            + "T3,C1,S1,2026-10-30,2.00,SALE\n"
            + "T4,C1,S1,2026-10-30,1e309,SALE\n"
            + "T5,C1,S1,2026-10-30,-0,SALE\n",
            "sales_lines.csv": LINES
            + "1,T1,P1,,1,1e309\n"
            + "1,T2,P1,,1,NaN\n"
            + "1,T3,P1,,-0,-0\n"
            + "1,T4,P1,,1,2.00\n"
            + "1,T5,P1,,1,2.00\n",
            "products.csv": "product_id,product_category,unit_price,current_stock_level\n"
            "P1,Food,2.00,-0\n"
            "P2,Food,NaN,\n"
            "P3,Food,-0,\n",
        },
    )
    assert out.fates("sales_lines") == {
        1: ["INVALID_TYPE"],
        2: ["NULL_REQUIRED"],  # NaN is a null token: the amount is missing
        3: ["NEGATIVE_OR_ZERO"],
        4: ["PARENT_REJECTED"],
        5: ["PARENT_REJECTED"],
    }
    assert out.fates("sales_header") == {
        1: ["PARENT_REJECTED"],
        2: ["PARENT_REJECTED"],
        3: ["PARENT_REJECTED"],
        4: ["INVALID_TYPE"],
        5: ["NEGATIVE_OR_ZERO", "TOTAL_MISMATCH"],  # its line of 2.00 is clean
    }
    # A stock level of -0 is zero, which is allowed.
    assert out.fates("products") == {1: [], 2: ["NULL_REQUIRED"], 3: ["NEGATIVE_OR_ZERO"]}
    assert out.silver("products")["current_stock_level"].to_list() == [0]
    assert [out.raw("sales_lines", n)["line_item_amount"] for n in (1, 2, 3)] == [
        "1e309",
        "NaN",
        "-0",
    ]


def test_thousands_separators_are_read_in_money_only(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": HEADER
            + 'T1,C1,S1,2026-10-30,"1,234.50",SALE\n'
            + "T2,C1,S1,2026-10-30,1234.50,SALE\n"
            + 'T3,C1,S1,2026-10-30,"12,34",SALE\n',
            "sales_lines.csv": LINES
            + '1,T1,P1,,617,"1,234.00"\n'
            + "2,T1,P1,,1,0.50\n"
            + "1,T2,P1,,617,1234.00\n"
            + "2,T2,P1,,1,0.50\n"
            + '1,T3,P1,,"1,000",12.34\n',
            "products.csv": "product_id,product_category,unit_price\n"
            'P1,Food,2.00\nP2,Food,"1,234.50"\n',
        },
    )
    assert out.fates("sales_header") == {1: [], 2: [], 3: ["INVALID_TYPE"]}
    assert out.fates("sales_lines") == {1: [], 2: [], 3: [], 4: [], 5: ["INVALID_TYPE"]}
    assert out.fates("products") == {1: [], 2: []}
    assert out.bronze("sales_header")["total_amount"][0] == "1,234.50"  # bronze keeps the text
    assert out.silver("sales_header")["total_amount"].to_list() == [Decimal("1234.50")] * 2
    message = out.rejects("sales_header")["message"].item()
    assert "total_amount '12,34' is not a decimal number with at most 2 places" in message
    counts = delta.scan_table(lake.table("silver", "normalisations")).collect()
    assert counts.filter(kind="THOUSANDS_SEPARATOR").sort("table")["rows"].to_list() == [1, 1, 1]


# --- dates -------------------------------------------------------------------------------


def test_dates_certain_in_meaning_are_read_and_others_rejected(lake, tmp_path):
    dates = [
        "2026-10-30",
        "2026-10-30T10:00:00Z",
        "2026-10-30 10:00",
        "2026-10-30T12:00:00+02:00",
        "31/10/2026",  # only day-first can read it
        "10/30/2026",  # only month-first can read it
        "2026/10/30",
        "30 Oct 2026",
        "20261030",
        "2026-02-30",
    ]
    headers = "".join(f"T{i},C1,S1,{d},2.00,SALE\n" for i, d in enumerate(dates, start=1))
    lines = "".join(f"1,T{i},P1,,1,2.00\n" for i in range(1, len(dates) + 1))
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": HEADER + headers,
            "sales_lines.csv": LINES + lines,
            "redemptions.csv": "redemption_id,customer_id,redemption_date,points_redeemed\n"
            "RD1,C1,2026-10-30,10\n"
            "RD2,C1,30/10/2026,10\n"
            "RD3,C1,2026-10-30T10:00,10\n",
            "stores.csv": "store_id,opening_date\nS1,2020-01-01\nS2,01.01.2020\n",
        },
    )
    read, other = range(1, 8), range(8, len(dates) + 1)
    assert out.fates("sales_header") == {i: [] for i in read} | {i: ["INVALID_TYPE"] for i in other}
    assert out.fates("sales_lines") == {i: [] for i in read} | {
        i: ["PARENT_REJECTED"] for i in other
    }
    assert out.silver("sales_header")["transaction_at"].to_list() == [
        datetime(2026, 10, 30, tzinfo=UTC),
        datetime(2026, 10, 30, 10, tzinfo=UTC),
        datetime(2026, 10, 30, 10, tzinfo=UTC),
        datetime(2026, 10, 30, 10, tzinfo=UTC),
        datetime(2026, 10, 31, tzinfo=UTC),
        datetime(2026, 10, 30, tzinfo=UTC),
        datetime(2026, 10, 30, tzinfo=UTC),
    ]
    # 30/10/2026 is day-first by its own proof; a date-time in a date column is its date;
    # 01.01.2020 reads the same in both orders.
    assert out.fates("redemptions") == {1: [], 2: [], 3: []}
    assert out.fates("stores") == {1: [], 2: []}
    assert out.bronze("sales_header")["transaction_date"][4] == "31/10/2026"


# --- lenient text ------------------------------------------------------------------------


def test_padded_whitespace_is_trimmed_in_silver_and_kept_in_bronze(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": HEADER + " T1 , C1 ,S1 , 2026-10-30 , 2.00 , SALE \n",
            "sales_lines.csv": LINES + " 1 , T1 , P1 ,  , 1 , 2.00 \n",
            "customers.csv": "customer_id,first_name\n C1 ,  Ada Lovelace  \n",
        },
    )
    assert out.fates("sales_header") == {1: []}
    assert out.fates("sales_lines") == {1: []}
    assert out.fates("customers") == {1: []}
    assert out.silver("sales_header").select(
        "transaction_id", "customer_id", "store_id", "total_amount", "transaction_type"
    ).rows() == [("T1", "C1", "S1", Decimal("2.00"), "SALE")]
    assert out.silver("sales_lines").select(
        "line_item_id", "transaction_id", "product_id", "promotion_id", "quantity"
    ).rows() == [("1", "T1", "P1", None, 1)]
    assert out.silver("customers").select("customer_id", "first_name").rows() == [
        ("C1", "Ada Lovelace")
    ]
    assert out.bronze("sales_header")["transaction_id"].to_list() == [" T1 "]


def test_mixed_case_codes_are_accepted(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": (
                "transaction_id,customer_id,store_id,transaction_date,total_amount,"
                "transaction_type,original_transaction_id\n"
                "T1,C1,S1,2026-10-20,2.00, sale ,\n"
                "T2,C1,S1,2026-10-21,2.00,Sale,\n"
                "R1,C1,S1,2026-10-22,2.00,return,T1\n"
                "R2,C1,S1,2026-10-23,2.00,RETURN,T2\n"
                "T3,C1,S1,2026-10-24,2.00,refund,\n"
            ),
            "sales_lines.csv": LINES
            + "".join(f"1,{t},P1,,1,2.00\n" for t in ("T1", "T2", "R1", "R2", "T3")),
            "promotions.csv": "promotion_id,start_date,end_date,applicable_category\n"
            "PR1,2026-10-01,2026-10-31,all\n"
            "PR2,2026-10-01,2026-10-31,Food\n",
            "loyalty_rules.csv": "rule_id,points_per_unit_spend,days_of_week\n"
            "R1,2,sat|Sun\n"
            "R2,1, mon | TUE \n"
            "R3,1,Sat;Sun\n",
        },
    )
    assert out.fates("sales_header") == {1: [], 2: [], 3: [], 4: [], 5: ["INVALID_TYPE"]}
    assert out.silver("sales_header")["transaction_type"].to_list() == [
        "SALE",
        "SALE",
        "RETURN",
        "RETURN",
    ]
    assert out.silver("promotions")["applicable_category"].to_list() == ["ALL", "Food"]
    assert out.fates("loyalty_rules") == {1: [], 2: [], 3: ["INVALID_TYPE"]}
    assert out.silver("loyalty_rules")["days_of_week"].to_list() == ["SAT|SUN", "MON|TUE"]


# --- values that look like spreadsheet formulas --------------------------------------------

FORMULAS = {
    "first_name": '=HYPERLINK("http://example.com/x","click")',
    "last_name": "+SUM(1,2)",
    "loyalty_status": "-2+3",
    "phone": "@SUM(A1)",
}


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def test_formula_like_values_are_kept_as_text(lake, tmp_path):
    columns = ",".join(FORMULAS)
    values = ",".join(_csv_field(v) for v in FORMULAS.values())
    out = built(
        lake,
        tmp_path,
        {
            **SALE,
            "customers.csv": f"customer_id,enrollment_date,{columns}\n"
            f"C1,2024-01-01,{values}\n"
            f"C2,never,{values}\n",
            "stores.csv": "store_id,store_name\nS1,\"=1+1\"\nS2, =cmd|' /C calc'!A0\n",
        },
    )
    assert out.fates("customers") == {1: [], 2: ["INVALID_TYPE"]}
    customer = out.silver("customers").row(0, named=True)
    assert {c: customer[c] for c in FORMULAS} == FORMULAS
    raw = out.raw("customers", 2)
    assert {c: raw[c] for c in FORMULAS} == FORMULAS
    assert out.silver("stores")["store_name"].to_list() == ["=1+1", "=cmd|' /C calc'!A0"]
    assert out.bronze("stores")["store_name"].to_list() == ["=1+1", " =cmd|' /C calc'!A0"]


def test_formula_like_keys_are_kept_in_rejects(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": HEADER + 'T1,"=1+1",S1,2026-10-30,2.00,SALE\n',
            "sales_lines.csv": LINES + '1,T1,"@SUM(A1)",,1,2.00\n',
        },
    )
    assert out.fates("sales_header") == {1: ["UNKNOWN_CUSTOMER"]}
    assert out.fates("sales_lines") == {1: ["UNKNOWN_PRODUCT"]}
    assert out.raw("sales_header", 1)["customer_id"] == "=1+1"
    assert out.raw("sales_lines", 1)["product_id"] == "@SUM(A1)"
    assert out.rejects("sales_lines")["key"].to_list() == ["T1|1"]
    assert "product_id '@SUM(A1)' is unknown" in out.rejects("sales_lines")["message"].item()


def test_a_sale_on_the_contract_day_boundaries(lake, tmp_path):
    """A sale within the future tolerance is kept; one beyond it is rejected."""
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": HEADER
            + "T1,C1,S1,2026-11-01T23:00:00,2.00,SALE\n"
            + "T2,C1,S1,2026-11-03,2.00,SALE\n"
            + "T3,C1,S1,1999-12-31,2.00,SALE\n",
            "sales_lines.csv": LINES + "1,T1,P1,,1,2.00\n1,T2,P1,,1,2.00\n1,T3,P1,,1,2.00\n",
        },
    )
    assert out.fates("sales_header") == {1: [], 2: ["INVALID_DATE"], 3: ["INVALID_DATE"]}
    assert out.silver("sales_header")["transaction_date"].to_list() == [date(2026, 11, 1)]


def test_windows_line_endings_and_blank_lines(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": (
                HEADER + "T1,C1,S1,2026-10-30,2.00,SALE\n\nT2,,S1,2026-10-30,3.00,SALE\n"
            )
            .replace("\n", "\r\n")
            .encode(),
            "sales_lines.csv": (LINES + "1,T1,P1,,1,2.00\n1,T2,P2,,1,3.00\n").replace("\n", "\r\n"),
            "stores.csv": 'store_id,store_name\r\nS1,"Main Street\r\nUnit 2"\r\n',
        },
    )
    assert out.fates("sales_header") == {1: [], 2: []}  # a blank line is not a record
    assert out.fates("sales_lines") == {1: [], 2: []}
    assert out.silver("sales_header")["transaction_type"].to_list() == ["SALE", "SALE"]
    assert out.bronze("sales_header")["transaction_type"].to_list() == ["SALE", "SALE"]
    assert out.silver("stores")["store_name"].to_list() == ["Main Street\r\nUnit 2"]


def test_column_names_match_in_any_order_case_and_padding(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": " Total_Amount ,STORE_ID,transaction_date,Transaction_ID\n"
            "2.00,S1,2026-10-30,T1\n",
            "sales_lines.csv": "Quantity,line_item_amount,PRODUCT_ID, transaction_id,line_item_id\n"
            "1,2.00,P1,T1,1\n",
        },
    )
    assert out.fates("sales_header") == {1: []}
    assert out.fates("sales_lines") == {1: []}
    header = out.silver("sales_header").row(0, named=True)
    assert (header["transaction_id"], header["customer_id"], header["total_amount"]) == (
        "T1",
        None,  # an absent optional column: a guest sale
        Decimal("2.00"),
    )


def test_duplicate_column_names_refuse_the_file(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "sales_header.csv": SALE["sales_header.csv"],
            "sales_lines.csv": LINES.rstrip("\n") + ",Quantity\n1,T1,P1,,1,2.00,1\n",
        },
    )
    assert out.status("sales_lines.csv") == (FileStatus.REJECTED, "DUPLICATE_COLUMNS")
    assert out.fates("sales_header") == {1: ["MISSING_LINES"]}


def test_a_first_name_holding_personal_data_is_warned_and_left_empty(lake, tmp_path):
    out = built(
        lake,
        tmp_path,
        {
            "customers.csv": "customer_id,first_name,last_name,email\n"
            "C1,Ada,Lovelace,ada@example.com\n"
            "C2,grace@example.com,Hopper,\n"
            "C3,+44 7700 900123,Smith,\n"
            "C4,Alan Turing,Turing,\n"
            "C5,Mary Ann,Evans,\n",
        },
    )
    assert out.fates("customers") == {n: [] for n in range(1, 6)}  # accepted, with a warning
    silver = out.silver("customers").sort("customer_id")
    assert silver["first_name"].to_list() == ["Ada", None, None, None, "Mary Ann"]
    warnings = delta.scan_table(lake.table("silver", "warnings")).collect().sort("row_number")
    assert warnings["row_number"].to_list() == [2, 3, 4]
    assert warnings["reason_codes"].to_list() == [["INVALID_NAME"]] * 3
    assert "example.com" not in " ".join(warnings["message"])
