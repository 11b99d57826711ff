"""Counting a Delta table's rows from its log, as ``loyalty-lake status`` does."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

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
