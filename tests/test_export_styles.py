"""Export styles change how a batch is written, never what silver, rejects and gold hold.

A batch written in any mix of styles builds exactly the same silver tables
(values, not text), rejects (reasons and rows), warnings and gold as the same
batch written plainly, and silver counts exactly the normalisations the
generator says it injected.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import loyalty_lake as ll
from loyalty_lake.codes import NormalisationKind
from loyalty_lake.config import load_config
from loyalty_lake.gold.models import GOLD_MODELS
from loyalty_lake.io import delta
from loyalty_lake.landing import ExportStyle, GeneratedDataset
from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.pipeline import build_gold, build_silver, ingest

#: Daily batches of early November: days ≤ 12 prove no date order (settings needed).
OPTIONS = ll.GeneratorOptions(
    seed=3,
    lines=400,
    days=20,
    end_date=date(2026, 11, 5),
    stores=3,
    products=40,
    batches=3,
    anomalies=ll.AnomalyRates(**{kind: 0.02 for kind, _ in ll.AnomalyRates().items()}),
)
NOW = datetime(2026, 11, 7, tzinfo=UTC)
AS_OF = date(2026, 11, 5)
#: Where a row came from and when: the file's name and checksum differ by style.
LINEAGE = ("_source_file", "_file_sha256", "_ingested_at")
#: The one gold table about how values were written.
FORMATTING = {"normalisation_summary"}


@dataclass(frozen=True)
class Built:
    dataset: GeneratedDataset
    lake: ll.Lake

    def table(self, layer: str, name: str) -> pl.DataFrame | None:
        path = self.lake.table(layer, name)  # type: ignore[arg-type]
        return delta.scan_table(path).collect() if delta.table_exists(path) else None


def built(root: Path, styles: tuple[str, ...], *, with_settings: bool = True) -> Built:
    """Generates ``OPTIONS`` in ``styles`` and builds it, with the settings it says it needs."""
    dataset = ll.generate(root / "landing", replace(OPTIONS, styles=styles))
    config = load_config(env={})
    if with_settings:
        config = dataset.settings.applied(config)
    lake = ll.Lake(root / "lake")
    for batch in dataset.batches:
        ingest(batch.path, lake=lake, config=config, run_id="styles")
    build_silver(lake=lake, config=config, run_id="styles", now=NOW)
    build_gold(lake=lake, config=config, run_id="styles", as_of=AS_OF)
    return Built(dataset, lake)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(pl.all(), nulls_last=True) if frame.height else frame


def comparable(build: Built) -> dict[str, pl.DataFrame]:
    """Every silver and gold table as values: lineage of the written files left out."""
    tables: dict[str, pl.DataFrame] = {}
    for name in LANDING_FILES:
        frame = build.table("silver", name)
        if frame is not None:
            tables[f"silver/{name}"] = _sorted(frame.drop(LINEAGE))
    rejects = build.table("silver", "rejects")
    if rejects is not None:
        tables["silver/rejects"] = _sorted(
            rejects.select(
                "table",
                "batch_id",
                "row_number",
                "transaction_id",
                pl.col("reason_codes").list.sort(),
                "status",
                "stage",
            )
        )
    warnings = build.table("silver", "warnings")
    if warnings is not None:
        tables["silver/warnings"] = _sorted(
            warnings.select("table", "batch_id", "row_number", pl.col("reason_codes").list.sort())
        )
    for name in set(GOLD_MODELS) - FORMATTING:
        frame = build.table("gold", name)
        if frame is not None:
            # Lineage names the landing file, whose name an export style may change.
            # And the outbox says when each message was first due: the time of the build.
            frame = frame.drop("source_file", "created_at", strict=False)
            tables[f"gold/{name}"] = _sorted(frame)
    return tables


def counted(build: Built) -> pl.DataFrame:
    """silver/normalisations per batch, table, column and kind (one file each)."""
    frame = build.table("silver", "normalisations")
    key = ["batch_id", "table", "column", "kind"]
    if frame is None:
        return build.dataset.normalisations.select(*key, "rows").clear()
    return _sorted(frame.group_by(key).agg(pl.col("rows").sum()).select(*key, "rows"))


def assert_same(left: pl.DataFrame, right: pl.DataFrame, name: str) -> None:
    try:
        assert_frame_equal(left, right)
    except AssertionError as error:
        raise AssertionError(f"{name}: {error}") from None


def assert_reads_as_plain(plain: dict[str, pl.DataFrame], styled: Built) -> None:
    tables = comparable(styled)
    assert tables.keys() == plain.keys()
    for name, frame in plain.items():
        assert_same(tables[name], frame, name)
    injected = _sorted(styled.dataset.normalisations)
    assert_frame_equal(counted(styled), injected, check_dtypes=False)


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    build = built(tmp_path_factory.mktemp("plain"), ())
    assert counted(build).is_empty()
    tables = comparable(build)
    assert tables["silver/rejects"].height > 0  # the anomalies are there, and must stay
    assert tables["silver/warnings"].height > 0
    return tables


def test_a_messy_batch_builds_exactly_the_plain_lake(
    plain: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    messy = built(tmp_path, ("messy",))
    assert messy.dataset.settings.overrides().keys() == {
        "dq.decimal_comma",
        "dq.dates",
        "landing.column_aliases",
    }
    assert_reads_as_plain(plain, messy)
    kinds = set(messy.dataset.normalisations["kind"])
    assert kinds == {k.value for k in NormalisationKind} - {
        "CONFIGURED_FORMAT",  # a strftime format the config names; styles need none
        "ID_REWRITE",  # ids mapped by a configured rewrite; styles never change an id
    }


def test_without_the_settings_it_names_the_batch_is_not_certain(tmp_path: Path) -> None:
    """The settings the generator reports are needed: without them values are not guessed."""
    build = built(tmp_path, ("semicolons", "day_first", "aliases"), with_settings=False)
    settings = build.dataset.settings
    assert settings.decimal_comma == ("products", "loyalty_rules", "sales_header", "sales_lines")
    assert "inventory.snapshot_date" in settings.dates
    rejects = build.table("silver", "rejects")
    assert rejects is not None
    reasons = set(rejects["reason_codes"].explode())
    assert {"AMBIGUOUS_DATE", "INVALID_TYPE"} <= reasons
    manifest = ll.scan(build.lake, "bronze", "landed_files").collect()
    refused = manifest.filter(pl.col("status") == "REJECTED")
    assert set(refused["source_file"]) == {"store_sales_line_items.csv"}  # qty: no quantity


@pytest.mark.slow
@settings(max_examples=12, deadline=None, derandomize=True)
@given(styles=st.sets(st.sampled_from(list(ExportStyle)), min_size=1, max_size=6))
def test_any_mix_of_styles_builds_exactly_the_plain_lake(
    plain: dict[str, pl.DataFrame], styles: set[ExportStyle]
) -> None:
    with tempfile.TemporaryDirectory() as root:
        assert_reads_as_plain(plain, built(Path(root), tuple(sorted(styles))))


def test_reject_and_warning_keys_are_the_keys_silver_reads(tmp_path: Path) -> None:
    options = replace(OPTIONS, batches=1, end_date=date(2026, 10, 31))
    keys = {}
    for styles in [(), ("integral_floats", "whitespace", "null_tokens")]:
        dataset = ll.generate(
            tmp_path / str(len(styles)) / "landing", replace(options, styles=styles)
        )
        lake = ll.Lake(tmp_path / str(len(styles)) / "lake")
        ingest(dataset.batches[0].path, lake=lake, config=load_config(env={}), run_id="k")
        build_silver(lake=lake, config=load_config(env={}), run_id="k", now=NOW)
        keys[styles] = {
            name: ll.scan(lake, "silver", name)
            .select("table", "row_number", "key")
            .sort("table", "row_number")
            .collect()
            for name in ("rejects", "warnings")
        }
    plain_keys, styled_keys = keys.values()
    for name in ("rejects", "warnings"):
        assert_same(styled_keys[name], plain_keys[name], name)
