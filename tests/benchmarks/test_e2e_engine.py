"""loyalty_lake's transforms in memory give the full build's customer results."""

from __future__ import annotations

import polars as pl
import pytest

import loyalty_lake as ll
from benchmarks import e2e_engine
from benchmarks.customers import SCHEMA, differences, from_lake
from loyalty_lake.config import load_config

RAISED = ll.AnomalyRates(**dict.fromkeys(ll.AnomalyRates.__dataclass_fields__, 0.02))


@pytest.mark.parametrize(
    "options",
    [{"seed": 3}, {"seed": 4, "anomalies": RAISED}],
    ids=["default-anomalies", "raised-anomalies"],
)
def test_the_transforms_in_memory_equal_the_build(tmp_path, options):
    landing = tmp_path / "landing"
    ll.generate(landing, ll.GeneratorOptions(lines=8_000, **options))
    lake = tmp_path / "lake"
    ll.build(lake=ll.Lake(lake), config=load_config(env={}), landing=landing)
    (batch,) = [p for p in landing.iterdir() if p.is_dir()]
    timings = e2e_engine.run(batch, tmp_path / "engine.parquet")
    actual = pl.read_parquet(tmp_path / "engine.parquet")
    assert actual.schema == pl.Schema(SCHEMA)
    assert timings["customers"] == actual.height > 0
    assert differences(from_lake(lake), actual) == []
