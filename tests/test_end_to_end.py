"""Golden end-to-end run: generate a tiny dataset, build it into tmp_path, check every row."""

from __future__ import annotations

import polars as pl

import loyalty_lake as ll
from loyalty_lake.landing.contract import LANDING_FILES


def test_generated_batches_land_whole_and_only_once(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    dataset = ll.generate(lake.landing, ll.GeneratorOptions(lines=1_500, batches=2, seed=11))

    first = ll.build(lake=lake)
    second = ll.build(lake=lake)

    assert [r.batch_id for r in first.ingests] == [b.batch_id for b in dataset.batches]
    assert all(r.rows_landed == 0 for r in second.ingests)
    for batch in dataset.batches:
        for name, rows in batch.rows.items():
            landed = (
                ll.scan(lake, "bronze", name)
                .filter(pl.col("_batch_id") == batch.batch_id)
                .select(pl.len(), pl.col("_row_number").max())
                .collect()
            )
            assert landed.row(0) == (rows, rows or None), (batch.batch_id, name)

    manifest = ll.scan(lake, "bronze", "landed_files").collect()
    assert set(manifest["status"]) == {"LANDED"}
    assert manifest.height == sum(len(b.rows) for b in dataset.batches)
    assert set(manifest["table"]) <= set(LANDING_FILES)


def test_bronze_text_equals_the_landed_csv(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    (batch,) = ll.generate(lake.landing, ll.GeneratorOptions(lines=800, seed=5)).batches
    ll.build(lake=lake)
    for name in ("sales_header", "sales_lines", "customers"):
        expected = pl.read_csv(
            batch.path / f"{name}.csv", infer_schema=False, empty_string_is_null=False
        )
        landed = (
            ll.scan(lake, "bronze", name).sort("_row_number").select(expected.columns).collect()
        )
        assert landed.equals(expected), name


def test_the_bi_export_is_readable_by_duckdb(tmp_path):
    import duckdb

    from loyalty_lake.gold.models import GOLD_MODELS

    lake = ll.Lake(tmp_path / "lake")
    ll.generate(lake.landing, ll.GeneratorOptions(lines=800, seed=2))
    ll.build(lake=lake)
    files = sorted(p.name for p in lake.export.glob("*.parquet"))
    assert files == sorted(f"{name}.parquet" for name in GOLD_MODELS)
    for name in GOLD_MODELS:
        path = lake.export / f"{name}.parquet"
        ((count,),) = duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()
        assert count == ll.scan(lake, "gold", name).select(pl.len()).collect().item(), name
