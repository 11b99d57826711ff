"""Real retailer exports end to end: batches landed out of name order, late halves of a sale."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from decimal import Decimal

import polars as pl
import pytest

from loyalty_lake.config import load_config
from loyalty_lake.io import delta
from loyalty_lake.landing.contract import batch_order
from loyalty_lake.pipeline import build, build_silver, check_conservation, dq_report, ingest
from loyalty_lake.pipeline.build import batch_folders
from tests.conftest import HEADER, LINES, write_batch

NOW = datetime(2026, 11, 27, tzinfo=UTC)
CONFIG = load_config(env={})
CUSTOMERS = "customer_id,first_name,email\n"


def silver(lake, name: str) -> pl.DataFrame:
    return delta.scan_table(lake.table("silver", name)).collect()


def accepted(lake, name: str) -> int:
    path = lake.table("silver", name)
    return silver(lake, name).height if delta.table_exists(path) else 0


def sale_batch(folder, *, customers: str, tx: str = "T1") -> None:
    write_batch(
        folder,
        {
            "customers.csv": CUSTOMERS + customers,
            "sales_header.csv": HEADER + f"{tx},C1,S1,2026-10-30T10:00:00,5.00,SALE\n",
            "sales_lines.csv": LINES + f"1,{tx},P1,,1,5.00\n",
        },
    )


# --- batch order ------------------------------------------------------------------------------


def test_batch_ids_sort_in_natural_order():
    names = ["b10", "b9", "b1", "2026-10-31", "2026-10-30", "B2"]
    assert sorted(names, key=batch_order) == ["2026-10-30", "2026-10-31", "b1", "B2", "b9", "b10"]


def test_a_landing_folder_lands_b9_before_b10(tmp_path):
    for name in ("b10", "b9", "b1"):
        (tmp_path / name).mkdir()
    assert [p.name for p in batch_folders(tmp_path)] == ["b1", "b9", "b10"]


def test_the_newer_batch_wins_whatever_its_name(lake, tmp_path):
    """b10 is newer than b9: its customer record supersedes b9's, though "b10" < "b9"."""
    sale_batch(lake.landing / "b9", customers="C1,Old,old@example.com\n", tx="T9")
    sale_batch(lake.landing / "b10", customers="C1,New,new@example.com\n", tx="T10")
    build(lake=lake, config=CONFIG)
    (customer,) = silver(lake, "customers").rows(named=True)
    assert (customer["first_name"], customer["_batch_id"]) == ("New", "b10")


def test_a_batch_landed_after_a_newer_one_wins_and_is_warned_about(lake, tmp_path):
    sale_batch(tmp_path / "b10", customers="C1,New,new@example.com\n", tx="T10")
    sale_batch(tmp_path / "b9", customers="C1,Late,late@example.com\n", tx="T9")
    first = ingest(tmp_path / "b10", lake=lake)
    late = ingest(tmp_path / "b9", lake=lake)
    assert first.warnings == ()
    (warning,) = late.warnings
    assert "b9 landed out of order, after b10" in warning
    build_silver(lake=lake, config=CONFIG, run_id="r1", now=NOW)
    (customer,) = silver(lake, "customers").rows(named=True)
    assert customer["first_name"] == "Late"  # landing order decides, as the warning says


# --- recoverable batches ----------------------------------------------------------------------

RENAMED_LINES = LINES.replace("quantity", "qty_sold")  # refused whole: a required column missing
SALES = HEADER + "T1,,S1,2026-10-30T10:00:00,5.00,SALE\nT2,,S1,2026-10-30T11:00:00,7.50,SALE\n"
LINE_ROWS = "1,T1,P1,,1,5.00\n1,T2,P1,,1,2.50\n2,T2,P2,,1,5.00\n"


def open_rejects(lake) -> pl.DataFrame:
    return silver(lake, "rejects").filter(pl.col("status") == "OPEN")


@pytest.mark.parametrize("fixed_in", ["b1", "b2"], ids=["same-batch", "later-batch"])
def test_a_sale_whose_lines_file_was_refused_waits_and_lands_when_fixed(lake, fixed_in):
    """The renamed-column scenario: headers wait as MISSING_LINES, then land with their lines."""
    batch = {"sales_header.csv": SALES, "sales_lines.csv": RENAMED_LINES + LINE_ROWS}
    write_batch(lake.landing / "b1", batch)
    first = build(lake=lake, config=CONFIG)
    assert first.refused_files == 1
    waiting = open_rejects(lake)
    assert waiting["reason_codes"].to_list() == [["MISSING_LINES"]] * 2
    assert "waits for them" in waiting["message"][0]
    assert accepted(lake, "sales_header") == 0

    # The fixed file lands in the same batch (replacing the refused one) or a later one.
    write_batch(lake.landing / fixed_in, {"sales_lines.csv": LINES + LINE_ROWS})
    build(lake=lake, config=CONFIG)
    assert open_rejects(lake).is_empty()
    assert silver(lake, "sales_header")["transaction_id"].sort().to_list() == ["T1", "T2"]
    assert silver(lake, "sales_lines")["_batch_id"].unique().to_list() == [fixed_in]
    check_conservation(lake=lake)
    daily = delta.scan_table(lake.table("gold", "sales_daily")).collect()
    assert daily["revenue"].sum() == Decimal("12.50")


def test_lines_that_land_before_their_header_wait_for_it(lake):
    write_batch(lake.landing / "b1", {"sales_lines.csv": LINES + LINE_ROWS})
    build(lake=lake, config=CONFIG)
    assert open_rejects(lake)["reason_codes"].to_list() == [["ORPHAN_LINE"]] * 3
    write_batch(lake.landing / "b2", {"sales_header.csv": SALES})
    build(lake=lake, config=CONFIG)
    assert open_rejects(lake).is_empty()
    assert silver(lake, "sales_lines").height == 3


def test_a_half_that_never_comes_keeps_its_partner_waiting(lake):
    write_batch(
        lake.landing / "b1", {"sales_header.csv": SALES, "sales_lines.csv": LINES + LINE_ROWS[:16]}
    )
    build(lake=lake, config=CONFIG)
    rejects = open_rejects(lake).sort("transaction_id")
    assert rejects["transaction_id"].to_list() == ["T2"]
    assert rejects["reason_codes"].to_list() == [["MISSING_LINES"]]
    write_batch(
        lake.landing / "b2",
        {
            "sales_header.csv": HEADER + "T3,,S1,2026-10-31T10:00:00,1.00,SALE\n",
            "sales_lines.csv": LINES + "1,T3,P1,,1,1.00\n",
        },
    )
    build(lake=lake, config=CONFIG)
    assert open_rejects(lake)["transaction_id"].to_list() == ["T2"]


# --- references to masters that never landed --------------------------------------------------


def warnings_of(lake) -> list[str]:
    reasons = silver(lake, "warnings")["reason_codes"].explode()
    return sorted(reasons.unique().to_list())


def test_references_to_masters_that_never_landed_are_accepted_with_a_warning(lake):
    write_batch(
        lake.landing / "b1", {"sales_header.csv": SALES, "sales_lines.csv": LINES + LINE_ROWS}
    )
    build(lake=lake, config=CONFIG)
    assert accepted(lake, "sales_header") == 2
    assert accepted(lake, "sales_lines") == 3
    assert warnings_of(lake) == ["UNVERIFIED_PRODUCT", "UNVERIFIED_STORE"]
    message = silver(lake, "warnings").filter(pl.col("table") == "sales_header")["message"][0]
    assert message == "store_id 'S1' cannot be verified: no stores have landed yet"
    references = dq_report(lake=lake).references.sort("table", "column")
    assert references.select("table", "column", "state", "rows").rows() == [
        ("sales_header", "store_id", "unverified", 2),
        ("sales_lines", "product_id", "unverified", 3),
    ]


def test_dq_tells_how_many_unverified_references_turned_out_unknown(lake):
    write_batch(
        lake.landing / "b1", {"sales_header.csv": SALES, "sales_lines.csv": LINES + LINE_ROWS}
    )
    build(lake=lake, config=CONFIG)
    write_batch(
        lake.landing / "b2",
        {
            "stores.csv": "store_id,store_name\nS1,High Street\n",
            "products.csv": "product_id,product_category,unit_price\nP1,Grocery,5.00\n",
        },
    )
    build(lake=lake, config=CONFIG)
    references = dq_report(lake=lake).references
    assert references.select("table", "column", "master", "state", "rows", "values").rows() == [
        ("sales_lines", "product_id", "products", "unknown", 1, 1)  # P2 never became a product
    ]


def test_unverified_references_can_be_rejected_instead(lake):
    config = load_config(env={}, overrides={"dq.unverified_references": "reject"})
    write_batch(
        lake.landing / "b1", {"sales_header.csv": SALES, "sales_lines.csv": LINES + LINE_ROWS}
    )
    build(lake=lake, config=config)
    reasons = open_rejects(lake)["reason_codes"].explode().unique().sort().to_list()
    assert reasons == ["UNKNOWN_PRODUCT", "UNKNOWN_STORE"]


# --- id rewrites -------------------------------------------------------------------------------


def test_store_ids_written_otherwise_are_mapped_by_the_configured_rewrite(lake):
    config = load_config(
        env={},
        overrides={
            "dq.id_rewrites": [
                {"columns": ["sales_header.store_id"], "pattern": r"Store-(S\d+)", "replace": "$1"}
            ]
        },
    )
    write_batch(
        lake.landing / "b1",
        {
            "stores.csv": "store_id,store_name\nS1,High Street\n",
            "sales_header.csv": SALES.replace(",S1,", ",Store-S1,"),
            "sales_lines.csv": LINES + LINE_ROWS,
        },
    )
    build(lake=lake, config=config)
    assert silver(lake, "sales_header")["store_id"].to_list() == ["S1", "S1"]
    assert "UNKNOWN_STORE" not in warnings_of(lake)
    report = dq_report(lake=lake)
    kinds = report.normalisations.filter(pl.col("column") == "store_id")
    assert kinds.select("table", "kind", "rows").rows() == [("sales_header", "ID_REWRITE", 2)]


def test_padded_short_rows_are_counted_like_every_normalisation(lake):
    write_batch(
        lake.landing / "b1",
        {
            "customers.csv": CUSTOMERS + "C1,Ada,ada@example.com\nC2,Bo\nC3\n",
            "sales_header.csv": SALES,
            "sales_lines.csv": LINES + LINE_ROWS,
        },
    )
    build(lake=lake, config=CONFIG)
    emails = silver(lake, "customers").sort("customer_id")["email"].to_list()
    assert emails == ["ada@example.com", None, None]
    counts = dq_report(lake=lake).normalisations.filter(pl.col("kind") == "PADDED_ROW")
    assert counts.select("table", "column", "rows").rows() == [("customers", "(row)", 2)]
    summary = delta.scan_table(lake.table("gold", "normalisation_summary")).collect()
    assert summary.filter(pl.col("kind") == "PADDED_ROW")["rows"].to_list() == [2]


def test_dq_suggests_id_rewrites_for_the_unknown_ids_it_rejected(lake):
    write_batch(
        lake.landing / "b1",
        {
            "stores.csv": "store_id,store_name\nS001,High Street\nS002,Mall\n",
            "sales_header.csv": SALES.replace(",S1,", ",Store-S001,", 1).replace(
                ",S1,", ",Store-S002,"
            ),
            "sales_lines.csv": LINES + LINE_ROWS,
        },
    )
    build(lake=lake, config=CONFIG)
    report = dq_report(lake=lake)
    (rewrite,) = report.suggestions
    assert rewrite.columns == ("sales_header.store_id",)
    entry = {
        "columns": list(rewrite.columns),
        "pattern": rewrite.pattern,
        "replace": rewrite.replace,
    }
    config = load_config(env={}, overrides={"dq.id_rewrites": [entry]})
    build(lake=lake, config=config)  # reprocessing reads the ids as the suggestion says
    assert sorted(silver(lake, "sales_header")["store_id"].to_list()) == ["S001", "S002"]
    assert dq_report(lake=lake, config=config).suggestions == ()


def test_a_batch_folder_of_compressed_files_alone_is_a_batch(tmp_path):
    batch = tmp_path / "b1"
    batch.mkdir()
    (batch / "sales_header.csv.gz").write_bytes(gzip.compress(SALES.encode()))
    assert batch_folders(batch) == [batch]


@pytest.mark.parametrize("name", ["customers.csv", "customer_details.csv"])
def test_a_corrected_master_redelivered_in_the_same_batch_wins(lake, name):
    """The later delivery is the newer version, whatever its file name (landing order)."""
    letters = [chr(ord("A") + i) for i in range(21)]  # names hold no digits (INVALID_NAME)
    rows = "".join(f"C{i},Old{x},old{i}@example.com\n" for i, x in enumerate(letters))
    sale_batch(lake.landing / "b1", customers=rows)
    build(lake=lake, config=CONFIG)
    corrected = "".join(f"C{i},New{x},new{i}@example.com\n" for i, x in enumerate(letters))
    (lake.landing / "b1" / "customers.csv").unlink()
    write_batch(lake.landing / "b1", {name: CUSTOMERS + corrected})
    build(lake=lake, config=CONFIG)
    names = silver(lake, "customers")["first_name"].to_list()
    assert sorted(names) == [f"New{x}" for x in letters]
