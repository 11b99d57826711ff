"""A big run checks its sales in parts: the result must not depend on how many."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import UTC, datetime
from types import SimpleNamespace

import polars as pl
import pytest

import loyalty_lake as ll
from loyalty_lake.codes import Reason, Severity
from loyalty_lake.config import load_config
from loyalty_lake.io import delta
from loyalty_lake.io.catalog import FACTS, MASTERS, PROCESSED, REJECTS, WARNINGS
from loyalty_lake.pipeline import build_silver, ingest
from loyalty_lake.pipeline import silver as silver_pipeline

NOW = datetime(2026, 11, 27, tzinfo=UTC)
CONFIG = load_config(env={})
TABLES = [*MASTERS, *FACTS, REJECTS, WARNINGS, PROCESSED]


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parts") / "landing"
    rates = ll.AnomalyRates(**dict.fromkeys(ll.AnomalyRates.__dataclass_fields__, 0.02))
    return ll.generate(
        folder, ll.GeneratorOptions(lines=12_000, batches=3, seed=11, anomalies=rates)
    )


def built(
    tmp_path, dataset, *, one_run: bool, progress=None, config=CONFIG
) -> dict[str, pl.DataFrame]:
    """Every silver table after building the batches in one run or one run each."""
    lake = ll.Lake(tmp_path / "lake")
    options = {"config": config, "now": NOW} | ({"progress": progress} if progress else {})
    for i, batch in enumerate(dataset.batches):
        ingest(batch.path, lake=lake)
        if not one_run:
            build_silver(lake=lake, run_id=f"r{i}", **options)
    if one_run:
        build_silver(lake=lake, run_id="r", **options)
    return tables(lake)


def tables(lake: ll.Lake) -> dict[str, pl.DataFrame]:
    frames = {}
    for name in TABLES:
        if not delta.table_exists(lake.table("silver", name)):  # e.g. no warning at all
            continue
        frame = delta.scan_table(lake.table("silver", name)).collect()
        # ingested_at: each test lands the batches anew
        frame = frame.drop(c for c in frame.columns if c.endswith("ingested_at"))
        frames[name] = frame.sort(frame.columns)
    return frames


@pytest.mark.parametrize("one_run", [True, False], ids=["one run", "a run per batch"])
def test_parts_give_the_same_silver_rejects_and_warnings(tmp_path, monkeypatch, landing, one_run):
    whole = built(tmp_path / "whole", landing, one_run=one_run)
    monkeypatch.setattr(silver_pipeline, "part_lines", lambda _config: 700)
    calls = []
    parts = built(
        tmp_path / "parts", landing, one_run=one_run, progress=lambda *call: calls.append(call)
    )
    assert calls[0] == ("Checking sales, in parts", 0, calls[0][2])
    assert calls[-1] == ("Checking sales, in parts", calls[0][2], calls[0][2])
    assert whole["sales_lines"].height > 4 * 700  # several parts per run
    returns = whole["sales_header"].filter(pl.col("transaction_type") == "RETURN")
    assert returns.height > 20  # accepted only when their sale is found in their part
    assert whole[WARNINGS].height > 0
    # Parts judge OUTLIER after the others: on accepted lines (a warning) and on
    # lines rejected for their transaction (the message names it too).
    outlier = pl.col("reason_codes").list.contains("OUTLIER")
    assert whole[WARNINGS].filter(outlier).height > 0
    for name in TABLES:
        assert parts[name].equals(whole[name]), name


def test_parts_give_the_same_result_when_outliers_reject(tmp_path, monkeypatch, landing):
    """OUTLIER as a reject changes transactions: parts gather the statistics first."""
    dq = dataclasses.replace(CONFIG.dq, severity={Reason.OUTLIER: Severity.REJECT})
    config = dataclasses.replace(CONFIG, dq=dq)
    whole = built(tmp_path / "whole", landing, one_run=True, config=config)
    monkeypatch.setattr(silver_pipeline, "part_lines", lambda _config: 700)
    parts = built(tmp_path / "parts", landing, one_run=True, config=config)
    assert whole[REJECTS].filter(pl.col("reason_codes").list.contains("OUTLIER")).height > 0
    assert parts.keys() == whole.keys()
    for name in whole:
        assert parts[name].equals(whole[name]), name


def test_an_outlier_of_a_rejected_transaction_gets_the_same_reject(tmp_path, monkeypatch, landing):
    """Parts judge OUTLIER last, and check its transactions again with it."""
    first = built(tmp_path / "first", landing, one_run=True)
    outlier = (
        first[WARNINGS].filter(pl.col("reason_codes").list.contains("OUTLIER")).row(0, named=True)
    )
    transaction = outlier["key"].split("|")[0]
    batches = []
    for batch in landing.batches:  # the same batches, the outlier's header naming no store
        copy = shutil.copytree(batch.path, tmp_path / "landing" / batch.path.name)
        header = pl.read_csv(copy / "sales_header.csv", infer_schema=False)
        header.with_columns(
            pl.when(pl.col("transaction_id") == transaction)
            .then(pl.lit("S-NOWHERE"))
            .otherwise(pl.col("store_id"))
            .alias("store_id")
        ).write_csv(copy / "sales_header.csv")
        batches.append(SimpleNamespace(path=copy))
    dataset = SimpleNamespace(batches=batches)
    whole = built(tmp_path / "whole", dataset, one_run=True)
    monkeypatch.setattr(silver_pipeline, "part_lines", lambda _config: 700)
    parts = built(tmp_path / "parts", dataset, one_run=True)
    rejected = whole[REJECTS].filter(pl.col("row_number") == outlier["row_number"])
    rejected = rejected.filter(pl.col("file_sha256") == outlier["file_sha256"])
    assert rejected["reason_codes"].to_list() == [["PARENT_REJECTED"]]
    assert rejected["message"].item() == f"another row of transaction '{transaction}' was rejected"
    for name in TABLES:
        assert parts[name].equals(whole[name]), name


class Killed(Exception):
    """Stands for the process dying between two parts."""


def test_a_run_stopped_between_parts_converges_on_the_next(tmp_path, monkeypatch, landing):
    whole = built(tmp_path / "whole", landing, one_run=True)
    monkeypatch.setattr(silver_pipeline, "part_lines", lambda _config: 700)
    lake = ll.Lake(tmp_path / "parts" / "lake")
    for batch in landing.batches:
        ingest(batch.path, lake=lake)
    write_fact, writes = silver_pipeline._write_fact, []

    def dying(*args, **kwargs):
        writes.append(args[1])
        if len(writes) == 7:  # sales of parts 1-3 are written, part 4 half
            raise Killed
        write_fact(*args, **kwargs)

    monkeypatch.setattr(silver_pipeline, "_write_fact", dying)
    with pytest.raises(Killed):
        build_silver(lake=lake, config=CONFIG, run_id="killed", now=NOW)
    assert delta.table_exists(lake.table("silver", "sales_lines"))
    assert not (lake.layer("silver") / "_staging").exists()
    monkeypatch.setattr(silver_pipeline, "_write_fact", write_fact)
    build_silver(lake=lake, config=CONFIG, run_id="r", now=NOW)
    again = tables(lake)
    for name in TABLES:
        assert again[name].equals(whole[name]), name


def test_parts_without_any_return(tmp_path, monkeypatch):
    dataset = ll.generate(
        tmp_path / "landing", ll.GeneratorOptions(lines=4_000, seed=5, return_share=0.0)
    )
    whole = built(tmp_path / "whole", dataset, one_run=True)
    assert whole["sales_header"].filter(pl.col("transaction_type") == "RETURN").is_empty()
    monkeypatch.setattr(silver_pipeline, "part_lines", lambda _config: 500)
    parts = built(tmp_path / "parts", dataset, one_run=True)
    for name in TABLES:
        assert parts[name].equals(whole[name]), name
