"""Time travel and maintenance of the lake's tables."""

from __future__ import annotations

import polars as pl
import pytest

import loyalty_lake as ll
from loyalty_lake.errors import ConfigError, LakePathError, TableNotFoundError
from loyalty_lake.io import delta
from loyalty_lake.pipeline import ingest, maintenance
from tests.conftest import HEADER, LINES, write_batch


@pytest.fixture
def two_batches(lake, tmp_path):
    for day, rows in (
        ("2026-10-30", "T1,,S1,2026-10-30,1.00,SALE\n"),
        ("2026-10-31", "T2,,S1,2026-10-31,2.00,SALE\n"),
    ):
        batch = write_batch(
            tmp_path / day,
            {
                "sales_header.csv": HEADER + rows,
                "sales_lines.csv": LINES + f"1,{rows[:2]},P1,,1,1.00\n",
            },
        )
        ingest(batch, lake=lake)
    return lake


def test_history_lists_versions_with_their_batch(two_batches):
    commits = maintenance.history(lake=two_batches, table="bronze/sales_header")
    assert [c.version for c in commits] == [1, 0]
    assert [c.metadata["batch_id"] for c in commits] == ["2026-10-31", "2026-10-30"]
    assert commits[0].rows_added == 1


def test_any_version_can_be_read_and_restored(two_batches):
    path = two_batches.table("bronze", "sales_header")
    assert ll.scan(two_batches, "bronze", "sales_header", version=0).collect().height == 1
    restored = maintenance.restore(lake=two_batches, table="bronze/sales_header", version=0)
    # The manifest goes back with the rows it lists.
    assert set(restored.tables) == {
        "bronze/landed_files",
        "bronze/sales_header",
        "bronze/sales_lines",
    }
    manifest = ll.scan(two_batches, "bronze", "landed_files").collect()
    assert set(manifest["batch_id"]) == {"2026-10-30"}
    assert restored.unlanded == ("2026-10-31",)
    assert not restored.rebuilt  # there was no silver to derive again
    assert delta.scan_table(path).collect()["transaction_id"].to_list() == ["T1"]
    last = delta.last_commit(path)
    assert last.metadata["operation"] == "restore bronze/sales_header to 0"
    again = maintenance.restore(lake=two_batches, table="bronze/sales_header", version=2)
    assert again.tables["bronze/sales_header"] == 2


def test_unknown_or_ambiguous_tables_and_versions_are_clear_errors(two_batches):
    with pytest.raises(LakePathError, match="not a table"):
        maintenance.history(lake=two_batches, table="nope")
    with pytest.raises(LakePathError, match="not a valid table name"):
        maintenance.history(lake=two_batches, table="bronze/../x")
    with pytest.raises(TableNotFoundError, match="no version 9"):
        maintenance.restore(lake=two_batches, table="sales_header", version=9)


def test_optimize_compacts_and_vacuum_is_a_dry_run_by_default(two_batches):
    before = ll.scan(two_batches, "bronze", "sales_lines").collect().sort(pl.all())
    done = {t.table: t.files for t in maintenance.optimize(lake=two_batches)}
    assert done["bronze/sales_lines"] == 2  # two small files became one
    assert ll.scan(two_batches, "bronze", "sales_lines").collect().sort(pl.all()).equals(before)
    dry = {t.table: t.files for t in maintenance.vacuum(lake=two_batches, retention_hours=0)}
    assert dry["bronze/sales_lines"] == 2
    assert ll.scan(two_batches, "bronze", "sales_lines", version=0).collect().height == 1
    deleted = maintenance.vacuum(lake=two_batches, retention_hours=0, dry_run=False)
    assert sum(t.files for t in deleted) >= 2
    assert ll.scan(two_batches, "bronze", "sales_lines").collect().sort(pl.all()).equals(before)


def test_a_negative_retention_is_refused_with_a_hint(two_batches):
    with pytest.raises(ConfigError, match="must be 0 or more hours, not -5") as err:
        maintenance.vacuum(lake=two_batches, retention_hours=-5)
    assert "168" in err.value.hint
