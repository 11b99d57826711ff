from __future__ import annotations

import gzip
import hashlib
import io
import os
import time
import zipfile
from pathlib import Path

import deltalake
import polars as pl
import pytest
from polars.testing import assert_frame_equal

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


# --- real exports: short rows, delimiters, compressed files ---------------------------------

LINE_ROWS = "1,T1,P1,,1,10.00\n2,T1,P2,PR1,1,2.50\n1,T2,P1,,1,7.00\n"


def lineage_free(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.drop("_batch_id", "_source_file", "_file_sha256", "_ingested_at")


def manifest(lake) -> pl.DataFrame:
    return delta.scan_table(lake.table("bronze", "landed_files")).collect()


def test_short_rows_lacking_only_optional_columns_are_padded(lake, tmp_path):
    """Required columns first: a row stopping after them is a row; one stopping before is not."""
    header = (
        "transaction_id,store_id,transaction_date,total_amount,customer_id,transaction_type,Till\n"
    )
    batch = write_batch(
        tmp_path / "b1",
        {
            "sales_header.csv": header
            + "T1,S1,2026-10-30T10:00:00,1.00,C1,SALE,7\n"
            + "T2,S1,2026-10-30T10:00:00,2.00\n"  # no customer, type or till: padded
            + "T3,S1,2026-10-30T10:00:00,3.00,,SALE\n"  # no till: padded
            + "T4,S1,2026-10-30T10:00:00\n"  # no total_amount (required): malformed
            + "T5,S1,2026-10-30T10:00:00,5.00,C1,SALE,7,?\n",  # one field too many: malformed
            "sales_lines.csv": LINES + "1,T1,P1,,1,1.00\n1,T2,P1,,2,2.00\n1,T3,P1,,3,3.00\n",
            "stores.csv": "store_id\nS1\n",
            "products.csv": "product_id,product_category,unit_price\nP1,Food,1.00\n",
            "customers.csv": "customer_id\nC1\n",
        },
    )
    outcome = next(f for f in ingest(batch, lake=lake).files if f.table == "sales_header")
    assert (outcome.status, outcome.rows, outcome.message) == (FileStatus.LANDED, 5, None)
    rows = bronze(lake, "sales_header")
    assert rows["transaction_id"].to_list() == ["T1", "T2", "T3", None, None]
    assert rows["customer_id"].to_list() == ["C1", None, "", None, None]
    assert rows["transaction_type"].to_list() == ["SALE", None, "SALE", None, None]
    assert rows["_padded"].to_list() == [None, 3, 1, None, None]
    assert rows["_extra"].to_list()[:3] == ['{"Till":"7"}', '{"Till":null}', '{"Till":null}']
    assert rows["_malformed"].to_list()[3:] == [
        "line 5: has 3 fields where the header has 7 (its required columns need at least 4)",
        "line 6: has 8 fields where the header has 7",
    ]
    assert rows["_extra"].to_list()[3] == '{"_record":"T4,S1,2026-10-30T10:00:00"}'

    ll.build(lake=lake, landing=tmp_path / "b1")
    silver = delta.scan_table(lake.table("silver", "sales_header")).collect()
    assert sorted(silver["transaction_id"]) == ["T1", "T2", "T3"]
    rejects = delta.scan_table(lake.table("silver", "rejects")).collect()
    rejects = rejects.filter(pl.col("table") == "sales_header")
    assert sorted(rejects["row_number"]) == [4, 5]
    assert all(codes.to_list() == ["MALFORMED_ROW"] for codes in rejects["reason_codes"])


def test_a_short_row_is_padded_only_from_the_optional_end(lake, tmp_path):
    """In the canonical column order sales_lines ends with required columns: no padding."""
    batch = write_batch(tmp_path / "b1", {"sales_lines.csv": LINES + "1,T1,P1,,1\n"})
    ingest(batch, lake=lake)
    (row,) = bronze(lake, "sales_lines").rows(named=True)
    assert row["_malformed"] == "line 2: has 5 fields where the header has 6"
    assert row["_padded"] is None


@pytest.mark.parametrize(
    ("delimiter", "said"), [(";", "';' (semicolon)"), ("\t", "tab"), ("|", "'|' (pipe)")]
)
def test_files_delimited_otherwise_land_like_comma_files(lake, tmp_path, delimiter, said):
    comma = write_batch(tmp_path / "comma", {"sales_lines.csv": LINES + LINE_ROWS})
    other = write_batch(
        tmp_path / "other",
        {"sales_lines.csv": (LINES + LINE_ROWS).replace(",", delimiter)},
    )
    ingest(comma, lake=lake)
    (outcome,) = ingest(other, lake=lake).files
    assert (outcome.status, outcome.delimiter) == (FileStatus.LANDED, delimiter)
    assert outcome.message == f"delimiter {said}, detected from the header"
    rows = bronze(lake, "sales_lines")
    by_batch = rows.partition_by("_batch_id", as_dict=True)
    assert_frame_equal(lineage_free(by_batch[("comma",)]), lineage_free(by_batch[("other",)]))
    recorded = manifest(lake).sort("batch_id")
    assert recorded["delimiter"].to_list() == [",", delimiter]
    assert recorded["message"].to_list() == [None, outcome.message]


def test_a_semicolon_file_keeps_quoted_semicolons_and_decimal_commas_as_text(lake, tmp_path):
    batch = write_batch(
        tmp_path / "b1",
        {
            "customers.csv": "customer_id;first_name;last_name;Note\r\n"
            'C1;"Ada; Countess";Lovelace;"1,5"\r\n'
            "C2;Bob;Smith;2,50\r\n"
            "C3;Eve\r\n",  # padded: last_name and Note not given
        },
    )
    (outcome,) = ingest(batch, lake=lake).files
    assert (outcome.status, outcome.rows) == (FileStatus.LANDED, 3)
    rows = bronze(lake, "customers")
    assert rows["first_name"].to_list() == ["Ada; Countess", "Bob", "Eve"]
    assert rows["last_name"].to_list() == ["Lovelace", "Smith", None]
    assert rows["_extra"].to_list() == ['{"Note":"1,5"}', '{"Note":"2,50"}', '{"Note":null}']
    assert rows["_padded"].to_list() == [None, None, 2]
    assert rows["_malformed"].null_count() == 3


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "pack"),
    [
        ("sales_lines.csv.gz", gzip.compress),
        ("Sales_Line_Items.CSV.GZ", gzip.compress),
        ("sales_lines.zip", lambda data: zipped({"sales_lines.csv": data})),
        ("sales_lines.zip", lambda data: zipped({"out/export.csv": data})),
        ("export-2026-10-31.zip", lambda data: zipped({"2026/sales_lines.csv": data})),
    ],
    ids=["gzip", "gzip-alias", "zip", "zip-any-csv", "zip-named-by-member"],
)
def test_compressed_files_land_like_the_plain_file(lake, tmp_path, name, pack):
    text = (LINES + LINE_ROWS + "9,T9,P1\n").encode()  # with a malformed row, too
    plain = write_batch(tmp_path / "plain", {"sales_lines.csv": text})
    packed = write_batch(tmp_path / "packed", {name: pack(text)})
    ingest(plain, lake=lake)
    (outcome,) = ingest(packed, lake=lake).files
    assert (outcome.status, outcome.table, outcome.rows) == (FileStatus.LANDED, "sales_lines", 4)
    sha = hashlib.sha256((packed / name).read_bytes()).hexdigest()
    assert outcome.file_sha256 == sha  # the checksum of the bytes on disk
    assert outcome.size_bytes == (packed / name).stat().st_size
    rows = bronze(lake, "sales_lines")
    by_batch = rows.partition_by("_batch_id", as_dict=True)
    assert_frame_equal(lineage_free(by_batch[("plain",)]), lineage_free(by_batch[("packed",)]))
    assert set(by_batch[("packed",)]["_source_file"]) == {name}
    assert set(by_batch[("packed",)]["_file_sha256"]) == {sha}
    assert sha not in set(by_batch[("plain",)]["_file_sha256"])
    # The same compressed file again adds nothing.
    again = write_batch(tmp_path / "again", {name: (packed / name).read_bytes()})
    assert ingest(again, lake=lake).files[0].status is FileStatus.ALREADY_LANDED


def test_bad_archives_are_refused_once_and_the_good_files_still_land(lake, tmp_path):
    good = gzip.compress(b"store_id,store_name\nS1,Main\n")
    batch = write_batch(
        tmp_path / "b1",
        {
            "stores.csv.gz": good,
            "sales_lines.csv.gz": gzip.compress((LINES + LINE_ROWS).encode())[:-30],
            "customers.zip": zipped({"customers.csv": b"customer_id\nC1\n", "b.csv": b"x\n"}),
            "products.zip": b"PK\x03\x04 not really a zip",
            "promotions.zip": zipped({}),
            "notes.zip": zipped({"notes.csv": b"a\n1\n"}),
            "inventory.csv.gz": gzip.compress(
                b"snapshot_date,store_id,product_id,stock_level\n2026-10-30,S1,P1,\x00\n"
            ),
        },
    )
    report = ingest(batch, lake=lake)
    by_file = {f.source_file: (f.status, f.reason) for f in report.files}
    assert by_file == {
        "stores.csv.gz": (FileStatus.LANDED, None),
        "sales_lines.csv.gz": (FileStatus.REJECTED, "BAD_ARCHIVE"),
        "customers.zip": (FileStatus.REJECTED, "BAD_ARCHIVE"),
        "products.zip": (FileStatus.REJECTED, "BAD_ARCHIVE"),
        "promotions.zip": (FileStatus.REJECTED, "BAD_ARCHIVE"),
        "notes.zip": (FileStatus.REJECTED, "UNKNOWN_FILE"),
        "inventory.csv.gz": (FileStatus.REJECTED, "BINARY"),
    }
    messages = {f.source_file: f.message for f in report.files}
    assert messages["sales_lines.csv.gz"].startswith("sales_lines.csv.gz cannot be unpacked: ")
    assert "holds 2 files" in messages["customers.zip"]
    recorded = manifest(lake)
    refused = recorded.filter(pl.col("status") == "REJECTED")
    assert refused["file_sha256"].null_count() == 0  # refused files are known by their checksum
    assert set(refused["table"]) == {
        "sales_lines",
        "customers",
        "products",
        "promotions",
        "inventory",
        None,
    }
    assert bronze(lake, "stores")["store_id"].to_list() == ["S1"]
    for table in ("sales_lines", "customers", "products", "promotions", "inventory"):
        assert not delta.table_exists(lake.table("bronze", table))
    again = ingest(batch, lake=lake)  # recorded once
    assert again.count(FileStatus.REJECTED) == 0
    assert manifest(lake).height == recorded.height


def test_a_gzip_bomb_is_refused_and_nothing_of_it_lands(lake, tmp_path):
    row = b"1,T1,P1,,1,1.00\n"
    member = gzip.compress(row * ((16 << 20) // len(row)), compresslevel=9)
    bomb = gzip.compress(LINES.encode()) + member * 64  # 1 GiB of rows in about 1 MiB
    batch = write_batch(tmp_path / "b1", {"sales_lines.csv.gz": bomb})
    started = time.perf_counter()
    (outcome,) = ingest(batch, lake=lake).files
    assert time.perf_counter() - started < 30
    assert (outcome.status, outcome.reason) == (FileStatus.REJECTED, "ARCHIVE_TOO_LARGE")
    assert "unpacks to more than" in (outcome.message or "")
    assert outcome.file_sha256 == hashlib.sha256(bomb).hexdigest()
    assert not delta.table_exists(lake.table("bronze", "sales_lines"))


def test_a_single_compressed_file_lands(lake, tmp_path):
    folder = write_batch(tmp_path / "b1", {"customers.csv.gz": gzip.compress(b"customer_id\nC1\n")})
    report = ingest(folder / "customers.csv.gz", lake=lake, batch_id="manual-1")
    assert report.files[0].status is FileStatus.LANDED
    assert bronze(lake, "customers")["customer_id"].to_list() == ["C1"]


def test_a_manifest_and_bronze_tables_from_before_gain_the_new_columns(lake, tmp_path):
    """A lake from an earlier version: no manifest ``delimiter``, no ``_padded`` in bronze."""
    ingest(write_batch(tmp_path / "b1", {"sales_lines.csv": LINES + LINE_ROWS}), lake=lake)
    for name, column in (("landed_files", "delimiter"), ("sales_lines", "_padded")):
        path = lake.table("bronze", name)
        old = delta.scan_table(path).collect().drop(column)
        deltalake.write_deltalake(
            str(path), old.to_arrow(), mode="overwrite", schema_mode="overwrite"
        )
        assert column not in delta.scan_table(path).collect_schema()
    new = write_batch(
        tmp_path / "b2", {"sales_lines.csv": (LINES + "1,T5,P1,,1,1.00\n").replace(",", ";")}
    )
    (outcome,) = ingest(new, lake=lake).files
    assert outcome.status is FileStatus.LANDED
    assert manifest(lake).sort("batch_id")["delimiter"].to_list() == [None, ";"]
    assert (
        delta.scan_table(lake.table("bronze", "sales_lines")).collect()["_padded"].null_count() == 4
    )
