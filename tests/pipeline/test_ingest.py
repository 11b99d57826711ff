from __future__ import annotations

import hashlib
import os
from pathlib import Path

import deltalake
import polars as pl
import pytest

import loyalty_lake as ll
from loyalty_lake.errors import LakePathError, LandingError
from loyalty_lake.io import delta
from loyalty_lake.pipeline import FileStatus, ingest
from tests.conftest import HEADER, LINES, write_batch


def bronze(lake, name: str) -> pl.DataFrame:
    return delta.scan_table(lake.table("bronze", name)).collect().sort("_row_number")


def test_round_trip_keeps_text_and_lineage(lake, small_batch):
    report = ingest(small_batch, lake=lake)

    assert report.batch_id == "2026-10-31"
    assert report.count(FileStatus.LANDED) == 3
    assert report.rows_landed == 6
    header = bronze(lake, "sales_header")
    assert header["transaction_id"].to_list() == ["T1", "T2"]
    assert header["customer_id"].to_list() == ["C1", ""]  # empty stays empty text
    assert header["original_transaction_id"].to_list() == [None, None]  # absent column
    assert header["total_amount"].to_list() == ["12.50", "7.00"]
    assert header["_row_number"].to_list() == [1, 2]
    assert set(header["_batch_id"]) == {"2026-10-31"}
    assert set(header["_source_file"]) == {"sales_header.csv"}
    sha = hashlib.sha256((small_batch / "sales_header.csv").read_bytes()).hexdigest()
    assert set(header["_file_sha256"]) == {sha}
    assert header["_ingested_at"].null_count() == 0


def test_landing_the_same_content_again_adds_nothing(lake, small_batch, tmp_path):
    ingest(small_batch, lake=lake)
    versions = {n: delta.table_version(lake.table("bronze", n)) for n in ("sales_lines",)}

    again = ingest(small_batch, lake=lake)
    copy = write_batch(
        tmp_path / "other" / "2026-11-01",
        {p.name: p.read_bytes() for p in small_batch.iterdir()},
    )
    renamed = ingest(copy, lake=lake)

    for report in (again, renamed):
        assert report.count(FileStatus.ALREADY_LANDED) == 3
        assert report.rows_landed == 0
    assert bronze(lake, "sales_lines").height == 3
    assert delta.table_version(lake.table("bronze", "sales_lines")) == versions["sales_lines"]


def test_bronze_is_the_truth_when_the_manifest_missed_a_file(lake, small_batch):
    ingest(small_batch, lake=lake)
    manifest = lake.table("bronze", "landed_files")
    # Simulate a crash between the bronze commit and the manifest commit.
    import shutil

    shutil.rmtree(manifest)
    report = ingest(small_batch, lake=lake)
    assert report.count(FileStatus.LANDED) == 3  # recorded now, not appended again
    assert all("interrupted run" in f.message for f in report.files)
    assert bronze(lake, "sales_header").height == 2
    recorded = delta.scan_table(manifest).collect()
    assert sorted(recorded["rows"]) == [1, 2, 3]
    assert ingest(small_batch, lake=lake).count(FileStatus.ALREADY_LANDED) == 3


def test_a_bad_file_is_recorded_and_the_good_ones_still_land(lake, tmp_path):
    batch = write_batch(
        tmp_path / "b1",
        {
            "sales_header.csv": HEADER + "T1,C1,S1,2026-10-30,1.00,SALE\n",
            "sales_lines.csv": LINES + "1,T1,P1,,1,1.00\n1,T1\n",  # ragged
            "weather.csv": "day,temp\n1,2\n",  # unknown name
            "stores.csv": "store_name\nDowntown\n",  # missing store_id
            "products.csv": b"product_id,product_category,unit_price\nP1,Caf\xe9,1.00\n",
            "customers.csv": "",  # empty
            "promotions.csv": "promotion_id,start_date,end_date\n",  # header only: fine
        },
    )
    report = ingest(batch, lake=lake)
    by_file = {f.source_file: f for f in report.files}

    assert by_file["sales_header.csv"].status is FileStatus.LANDED
    assert by_file["promotions.csv"].status is FileStatus.LANDED
    assert by_file["promotions.csv"].rows == 0
    # A ragged row is one malformed row: the rest of its file lands.
    assert (by_file["sales_lines.csv"].status, by_file["sales_lines.csv"].rows) == (
        FileStatus.LANDED,
        2,
    )
    lines = bronze(lake, "sales_lines")
    assert lines["_malformed"].to_list() == [None, "line 3: has 2 fields where the header has 6"]
    reasons = {
        name: by_file[name].reason
        for name in (
            "weather.csv",
            "stores.csv",
            "products.csv",
            "customers.csv",
        )
    }
    assert reasons == {
        "weather.csv": "UNKNOWN_FILE",
        "stores.csv": "MISSING_COLUMNS",
        "products.csv": "UNDECODABLE",
        "customers.csv": "EMPTY_FILE",
    }

    manifest = delta.scan_table(lake.table("bronze", "landed_files")).collect()
    assert manifest.filter(pl.col("status") == "REJECTED").height == 4
    assert "store_id" in manifest.filter(pl.col("source_file") == "stores.csv")["message"].item()

    # Landing the batch again records nothing twice.
    ingest(batch, lake=lake)
    assert (
        delta.scan_table(lake.table("bronze", "landed_files")).collect().height == manifest.height
    )


def test_a_ragged_row_after_many_good_rows_lands_as_one_malformed_row(lake, tmp_path):
    body = "".join(f"{i},T{i},P1,,1,1.00\n" for i in range(200_000))
    batch = write_batch(tmp_path / "b2", {"sales_lines.csv": LINES + body + "1,T1,P1\n"})
    report = ingest(batch, lake=lake)
    assert (report.files[0].status, report.files[0].rows) == (FileStatus.LANDED, 200_001)
    rows = bronze(lake, "sales_lines")
    assert rows.height == 200_001
    assert rows["_row_number"].sort().to_list() == list(range(1, 200_002))
    (bad,) = rows.filter(pl.col("_malformed").is_not_null()).rows(named=True)
    assert bad["_row_number"] == 200_001
    assert bad["_extra"] == '{"_record":"1,T1,P1"}'
    assert len(delta.table_history(lake.table("bronze", "sales_lines"))) == 1  # one commit


def test_aliases_and_extra_columns(lake, tmp_path):
    batch = write_batch(
        tmp_path / "b3",
        {"Customer_Details.csv": "Customer_ID,First_Name,Shoe Size\nC1,Ada,38\n"},
    )
    report = ingest(batch, lake=lake)
    assert report.files[0].table == "customers"
    rows = bronze(lake, "customers")
    assert rows["first_name"].to_list() == ["Ada"]
    assert rows["_extra"].to_list() == ['{"Shoe Size":"38"}']


def test_single_file_and_batch_id(lake, small_batch):
    report = ingest(small_batch / "customers.csv", lake=lake, batch_id="manual-1")
    assert report.batch_id == "manual-1"
    assert set(bronze(lake, "customers")["_batch_id"]) == {"manual-1"}


@pytest.mark.parametrize("batch_id", ["../evil", "a/b", "", ".hidden", "x" * 200])
def test_unsafe_batch_ids_are_refused(lake, small_batch, batch_id):
    with pytest.raises(LakePathError):
        ingest(small_batch, lake=lake, batch_id=batch_id)


def test_missing_or_empty_paths_are_clear_errors(lake, tmp_path):
    with pytest.raises(LandingError, match="does not exist"):
        ingest(tmp_path / "nope", lake=lake)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LandingError, match="no CSV files"):
        ingest(tmp_path / "empty", lake=lake)


def test_every_commit_carries_lineage_metadata(lake, small_batch):
    ingest(small_batch, lake=lake, run_id="run-1")
    (commit,) = delta.table_history(lake.table("bronze", "sales_lines"))
    assert commit.metadata["run_id"] == "run-1"
    assert commit.metadata["batch_id"] == "2026-10-31"
    assert commit.metadata["layer"] == "bronze"
    assert commit.rows_added == 3


def test_progress_is_reported(lake, small_batch):
    calls: list[tuple[str, int, int | None]] = []
    ingest(small_batch, lake=lake, progress=lambda *a: calls.append(a))
    assert ("Landing batch 2026-10-31", 3, 3) in calls
    assert any(step.strip() == "sales_lines.csv" for step, _, _ in calls)


def test_folder_name_is_the_default_batch_id(lake, tmp_path: Path, small_batch):
    assert ingest(small_batch, lake=lake).batch_id == small_batch.name


def test_schema_drift_creates_no_new_table_schema(lake, tmp_path):
    """Extra and renamed columns land in _extra; a missing required column refuses the file."""
    base = write_batch(tmp_path / "b1", {"customers.csv": "customer_id,email\nC1,a@x.org\n"})
    ingest(base, lake=lake)
    path = lake.table("bronze", "customers")
    schema = delta.scan_table(path).collect_schema()
    drifted = write_batch(
        tmp_path / "b2",
        {"customers.csv": "CUSTOMER_ID,e_mail,loyalty_tier,Extra\nC2,b@x.org,Gold,1\n"},
    )
    ingest(drifted, lake=lake)
    assert delta.scan_table(path).collect_schema() == schema
    row = bronze(lake, "customers").filter(pl.col("customer_id") == "C2")
    assert row["email"].to_list() == [None]  # renamed: not the contract's column
    assert row["_extra"].to_list() == ['{"e_mail":"b@x.org","loyalty_tier":"Gold","Extra":"1"}']
    renamed_key = write_batch(tmp_path / "b3", {"customers.csv": "cust_id,email\nC3,c@x.org\n"})
    report = ingest(renamed_key, lake=lake)
    assert report.files[0].reason == "MISSING_COLUMNS"
    assert delta.scan_table(path).collect_schema() == schema


# --- landing you can trust: links, malformed files, wedges ------------------------------


def test_linked_files_are_refused_by_name_and_never_read(lake, tmp_path, monkeypatch):
    monkeypatch.setenv("LOYALTY_LAKE_PII_KEY", "env-secret-value")
    outside = write_batch(tmp_path / "outside", {"stores.csv": "store_id\nS_OUTSIDE\n"})
    batch = write_batch(
        tmp_path / "b1", {"sales_header.csv": HEADER + "T1,C1,S1,2026-10-30,1,SALE\n"}
    )
    (batch / "products.csv").symlink_to("/proc/self/environ")
    (batch / "stores.csv").symlink_to(outside / "stores.csv")
    (batch / "customers.csv").symlink_to("/etc/shadow")
    os.mkfifo(batch / "promotions.csv")
    report = ingest(batch, lake=lake)
    by_file = {f.source_file: f for f in report.files}
    assert {name: (f.status, f.reason) for name, f in by_file.items()} == {
        "customers.csv": (FileStatus.REJECTED, "SYMLINK"),
        "products.csv": (FileStatus.REJECTED, "SYMLINK"),
        "promotions.csv": (FileStatus.REJECTED, "NOT_A_FILE"),
        "sales_header.csv": (FileStatus.LANDED, None),
        "stores.csv": (FileStatus.REJECTED, "SYMLINK"),
    }
    assert not delta.table_exists(lake.table("bronze", "stores"))  # the outside CSV never landed
    manifest = delta.scan_table(lake.table("bronze", "landed_files")).collect()
    text = manifest.write_csv() + " ".join(f.message or "" for f in report.files)
    for secret in ("env-secret-value", "root:", "S_OUTSIDE", "/proc", "/etc"):
        assert secret not in text
    # Refused once: landing the batch again does not record the links again.
    again = ingest(batch, lake=lake)
    assert again.count(FileStatus.REJECTED) == 0
    assert (
        delta.scan_table(lake.table("bronze", "landed_files")).collect().height == manifest.height
    )


def test_a_linked_batch_folder_is_refused_and_the_other_batches_still_build(lake, tmp_path):
    landing = tmp_path / "landing"
    write_batch(landing / "b1", {"sales_header.csv": HEADER + "T1,,S1,2026-10-30,1.00,SALE\n"})
    elsewhere = write_batch(tmp_path / "elsewhere", {"sales_lines.csv": LINES + "1,T9,P1,,1,1\n"})
    (landing / "b2").symlink_to(elsewhere)
    with pytest.raises(LandingError, match="symbolic link"):
        ingest(landing / "b2", lake=lake)
    report = ll.build(lake=lake, landing=landing)
    assert [r.batch_id for r in report.ingests] == ["b1"]
    assert [b.batch for b in report.refused_batches] == ["b2"]
    assert not report.clean
    assert not delta.table_exists(lake.table("bronze", "sales_lines"))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("sales_lines.csv", (LINES + "1,T1,P1,,1,1.00\n").replace("\n", "\r").encode()),
        ("sales_lines.csv", b"line_item_id," + b"x" * 140_000 + b"\n1,2\n"),
        ("sales_lines.csv", b"PK\x03\x04\x00\x00binary"),
    ],
    ids=["cr-only", "huge-header-field", "binary"],
)
def test_a_malformed_file_never_wedges_the_batch_or_later_builds(lake, tmp_path, name, content):
    landing = tmp_path / "landing"
    write_batch(landing / "b1", {"sales_header.csv": HEADER + "T1,,S1,2026-10-30,1.00,SALE\n"})
    write_batch(landing / "b1", {name: content})
    write_batch(landing / "b2", {"sales_header.csv": HEADER + "T2,,S1,2026-10-31,1.00,SALE\n"})
    first = ll.build(lake=lake, landing=landing)
    manifest = delta.scan_table(lake.table("bronze", "landed_files")).collect()
    assert manifest.filter(pl.col("status") == "LANDED").height >= 2  # every landed file recorded
    assert {r.batch_id for r in first.ingests} == {"b1", "b2"}
    second = ll.build(lake=lake, landing=landing)  # nothing new, nothing stuck
    assert all(r.rows_landed == 0 for r in second.ingests)
    assert bronze(lake, "sales_header")["transaction_id"].sort().to_list() == ["T1", "T2"]
    assert second.silver is not None  # silver and gold were built both times


def test_bronze_tables_landed_before_malformed_rows_get_the_column(lake, tmp_path):
    """A lake from an earlier version: bronze without ``_malformed`` takes new files."""
    old = write_batch(tmp_path / "b1", {"sales_lines.csv": LINES + "1,T1,P1,,1,1.00\n"})
    ingest(old, lake=lake)
    path = lake.table("bronze", "sales_lines")
    rows = delta.scan_table(path).collect().drop("_malformed")
    deltalake.write_deltalake(str(path), rows.to_arrow(), mode="overwrite", schema_mode="overwrite")
    assert "_malformed" not in delta.scan_table(path).collect_schema()
    new = write_batch(tmp_path / "b2", {"sales_lines.csv": LINES + "1,T2,P1,,1,1.00\n2,T2\n"})
    assert ingest(new, lake=lake).files[0].status is FileStatus.LANDED
    assert delta.scan_table(path).collect()["_malformed"].null_count() == 2
