"""Writing Delta tables (polars files, one commit) and counting their rows from the log."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl
import pytest
from deltalake.exceptions import SchemaMismatchError

from loyalty_lake.io import delta

if TYPE_CHECKING:
    from pathlib import Path

META = {"run_id": "test"}


def scanned(path: Path, version: int | None = None) -> int:
    return delta.scan_table(path, version=version).select(pl.len()).collect().item()


def test_the_log_counts_the_rows_of_every_version(tmp_path: Path):
    path = tmp_path / "table"
    rows = pl.DataFrame({"key": ["a", "b", "c"], "value": [1, 2, 3]})
    delta.write_table(path, rows, mode="append", metadata=META)  # v0: 3 rows
    delta.write_table(path, rows.head(2), mode="append", metadata=META)  # v1: 5
    delta.replace_where(path, rows.head(1), column="key", values=["a"], metadata=META)  # v2: 3
    delta.merge(  # v3: one row updated, one inserted: 4
        path,
        pl.DataFrame({"key": ["b", "z"], "value": [20, 26]}),
        on=["key"],
        update={"value": "s.value"},
        insert=True,
        metadata=META,
    )
    delta.write_table(path, rows.head(0), mode="overwrite", metadata=META)  # v4: none
    for version in range(5):
        assert delta.row_count(path, version=version) == scanned(path, version), version
    assert delta.row_count(path) == 0


def test_files_without_statistics_are_counted_by_a_scan(tmp_path: Path, monkeypatch):
    path = tmp_path / "table"
    delta.write_table(path, pl.DataFrame({"key": ["a", "b"]}), mode="append", metadata=META)

    def unknown_counts(self, flatten: bool = False):  # a file written by a writer without stats
        return pl.DataFrame({"path": ["part-0.parquet"], "num_records": [None]}, strict=False)

    monkeypatch.setattr(delta.DeltaTable, "get_add_actions", unknown_counts)
    assert delta.row_count(path) == 2


def test_frames_are_written_by_polars_and_committed_with_their_statistics(tmp_path, monkeypatch):
    path = tmp_path / "table"
    monkeypatch.setattr(delta, "FILE_ROWS", 2)  # a frame of 5 rows in three files
    rows = pl.DataFrame(
        {
            "key": ["c", "a", None, "e", "b"],
            "day": [date(2026, 1, 3), date(2026, 1, 1), None, None, date(2026, 1, 2)],
            "amount": [Decimal("1.50"), None, Decimal("2.00"), Decimal("0.10"), Decimal("9.99")],
        }
    )
    version = delta.write_table(path, rows, mode="append", metadata=META)
    assert version == 0
    assert delta.scan_table(path).collect().equals(rows)
    (commit,) = delta.table_history(path)
    assert commit.rows_added == 5
    assert commit.metadata == META  # what the commit records for itself stays out of it
    files = pl.DataFrame(delta.DeltaTable(str(path)).get_add_actions(flatten=True))
    assert files["num_records"].to_list() == [2, 2, 1]
    assert files["min.key"].to_list() == ["a", "e", "b"]
    assert files["max.day"].to_list() == [date(2026, 1, 3), None, date(2026, 1, 2)]
    assert files["null_count.amount"].to_list() == [1, 0, 0]
    if "min.amount" in files.columns:  # decimals: no bounds recorded
        assert files["min.amount"].is_null().all()
    assert scanned_where(path, pl.col("key") == "b") == 1  # readers may skip files by them
    assert scanned_where(path, pl.col("day") > date(2026, 1, 2)) == 1


def scanned_where(path: Path, condition: pl.Expr) -> int:
    return delta.scan_table(path).filter(condition).select(pl.len()).collect().item()


def test_a_frame_of_another_schema_is_left_to_deltalake(tmp_path: Path):
    path = tmp_path / "table"
    delta.write_table(path, pl.DataFrame({"key": ["a"]}), mode="append", metadata=META)
    delta.write_table(path, pl.DataFrame({"key": [1]}), mode="append", metadata=META)  # cast
    with pytest.raises(SchemaMismatchError):
        delta.write_table(path, pl.DataFrame({"other": ["b"]}), mode="append", metadata=META)
    assert delta.scan_table(path).collect().sort("key")["key"].to_list() == ["1", "a"]
    wider = pl.DataFrame({"key": ["b"], "extra": [2]})
    delta.write_table(path, wider, mode="append", metadata=META, add_columns=True)
    assert delta.scan_table(path).collect().sort("key")["extra"].to_list() == [None, None, 2]


def test_replacing_rows_no_file_holds_appends_and_an_overwrite_removes_every_file(tmp_path):
    path = tmp_path / "table"
    rows = pl.DataFrame({"sha": ["x", "x", "y"], "value": [1, 2, 3]})
    delta.replace_where(path, rows, column="sha", values=["x", "y"], metadata=META)
    again = delta.replace_where(path, rows, column="sha", values=["x", "y"], metadata=META)
    assert again == 1
    assert delta.row_count(path) == 3  # replaced, not doubled
    more = pl.DataFrame({"sha": ["z"], "value": [4]})
    assert delta.replace_where(path, more, column="sha", values=["z"], metadata=META) == 2
    assert delta.table_history(path, limit=1)[0].rows_added == 1
    nothing = more.head(0)
    assert delta.replace_where(path, nothing, column="sha", values=["w"], metadata=META) is None
    delta.write_table(path, more, mode="overwrite", metadata=META)
    assert delta.scan_table(path).collect().equals(more)
    assert len(delta.DeltaTable(str(path)).file_uris()) == 1


SCHEMA = pl.Schema({"key": pl.String, "value": pl.Int64})


def test_frames_are_appended_one_file_each_in_one_commit(tmp_path: Path):
    path = tmp_path / "table"
    frames = [pl.DataFrame({"key": ["a", "b"], "value": [1, 2]}), pl.DataFrame(schema=SCHEMA)]
    frames.append(pl.DataFrame({"key": ["c"], "value": [3]}))
    assert delta.append_frames(path, iter(frames), schema=SCHEMA, metadata=META) == 0
    assert delta.scan_table(path).collect().sort("key")["value"].to_list() == [1, 2, 3]
    assert len(delta.DeltaTable(str(path)).file_uris()) == 2  # the empty frame wrote nothing
    assert delta.table_history(path)[0].rows_added == 3
    assert delta.append_frames(path, iter([]), schema=SCHEMA, metadata=META) is None
    assert delta.table_version(path) == 0


def test_frames_that_fail_half_way_leave_no_commit_and_no_file(tmp_path: Path):
    path = tmp_path / "table"
    first = pl.DataFrame({"key": ["a"], "value": [1]})
    delta.write_table(path, first, mode="append", metadata=META)
    files = sorted(p.name for p in path.glob("*.parquet"))

    def failing():
        yield pl.DataFrame({"key": ["b"], "value": [2]})
        raise OSError("the file went away")

    with pytest.raises(OSError, match="went away"):
        delta.append_frames(path, failing(), schema=SCHEMA, metadata=META)
    assert delta.table_version(path) == 0
    assert sorted(p.name for p in path.glob("*.parquet")) == files


def test_frames_for_a_table_of_an_older_schema_add_their_columns(tmp_path: Path):
    path = tmp_path / "table"
    delta.write_table(path, pl.DataFrame({"key": ["a"]}), mode="append", metadata=META)
    frames = iter([pl.DataFrame({"key": ["b"], "value": [2]})])
    assert delta.append_frames(path, frames, schema=SCHEMA, metadata=META) == 1
    assert delta.scan_table(path).collect().sort("key")["value"].to_list() == [None, 2]


def test_long_text_and_far_dates_get_no_bounds(tmp_path: Path):
    """A reject's raw values can hold a whole row: the log must not copy it."""
    path = tmp_path / "table"
    rows = pl.DataFrame(
        {
            "raw": ["x" * 200_000, "a"],
            "key": ["k1", "k2"],
            "day": [date(2024, 1, 1), date(2024, 1, 1)],
        }
    ).with_columns(pl.col("day").dt.offset_by("120000mo").alias("far"))  # year 12024
    delta.write_table(path, rows, mode="append", metadata=META)
    log = path / "_delta_log" / "00000000000000000000.json"
    assert log.stat().st_size < 5_000
    files = pl.DataFrame(delta.DeltaTable(str(path)).get_add_actions(flatten=True))
    assert files["min.key"].to_list() == ["k1"]
    for column in ("min.raw", "max.far"):
        assert column not in files.columns or files[column].is_null().all()
    assert delta.scan_table(path).collect().equals(rows)


def test_a_write_that_fails_leaves_no_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "table"
    delta.write_table(path, pl.DataFrame({"key": ["a"]}), mode="append", metadata=META)
    files = sorted(p.name for p in path.glob("*.parquet"))
    monkeypatch.setattr(delta, "FILE_ROWS", 1)
    written = pl.DataFrame.write_parquet

    def full_disk(self, file, **kwargs):
        if self["key"][0] == "c":
            file.write_bytes(b"half a file")
            raise OSError("No space left on device")
        return written(self, file, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full_disk)
    with pytest.raises(OSError, match="No space"):
        delta.write_table(path, pl.DataFrame({"key": ["b", "c"]}), mode="append", metadata=META)
    assert sorted(p.name for p in path.glob("*.parquet")) == files
    assert delta.table_version(path) == 0
