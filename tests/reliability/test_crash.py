"""Kill a build with SIGKILL at random moments, run it again: the lake converges.

The rerun must give exactly the gold tables and silver rows of an uninterrupted
build: no bronze or silver row lost or duplicated, conservation holding.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import polars as pl
import pytest

import loyalty_lake as ll
from loyalty_lake.gold.models import GOLD_MODELS, SNAPSHOT_MODELS
from loyalty_lake.pipeline import conservation

pytestmark = pytest.mark.reliability

KILLS = 20
FACTS = ("sales_header", "sales_lines", "redemptions", "inventory")


def build_command(landing, lake) -> list[str]:
    return [sys.executable, "-m", "loyalty_lake.cli", "build", str(landing), "--lake", str(lake)]


#: Columns that say when a build ran, not what it computed.
WHEN = {"created_at"}  # of a message in the outbox


def table(lake, layer: str, name: str) -> pl.DataFrame:
    frame = ll.scan(lake, layer, name).collect()
    data = sorted(c for c in frame.columns if not c.startswith("_") and c not in WHEN)
    return frame.select(data).sort(pl.all())


@pytest.mark.slow
def test_builds_killed_at_random_moments_converge(tmp_path):
    landing = tmp_path / "landing"
    ll.generate(landing, ll.GeneratorOptions(lines=4_000, batches=3, seed=17))
    clean = ll.Lake(tmp_path / "clean")
    started = time.monotonic()
    subprocess.run(build_command(landing, clean.root), check=True, capture_output=True)
    duration = time.monotonic() - started

    rng = random.Random(17)
    killed = lost = duplicated = 0
    for attempt in range(KILLS):
        lake = ll.Lake(tmp_path / f"killed-{attempt}")
        process = subprocess.Popen(
            build_command(landing, lake.root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.1, 0.7 * duration))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        subprocess.run(build_command(landing, lake.root), check=True, capture_output=True)

        for name in FACTS:
            expected, got = table(clean, "silver", name), table(lake, "silver", name)
            lost += expected.join(got, on=expected.columns, how="anti", nulls_equal=True).height
            duplicated += got.height - got.unique().height
            assert got.equals(expected), (attempt, name)
            bronze = ll.scan(lake, "bronze", name).select(pl.len()).collect().item()
            assert bronze == ll.scan(clean, "bronze", name).select(pl.len()).collect().item()
        for name in GOLD_MODELS:
            assert table(lake, "gold", name).equals(table(clean, "gold", name)), (attempt, name)
        assert conservation(lake=lake)["balanced"].all()
    print(
        f"\nkills survived: {killed} of {KILLS} builds, rows lost: {lost}, "
        f"rows duplicated: {duplicated}"
    )
    assert killed >= KILLS // 4  # the kills that landed before the build ended


@pytest.mark.slow
def test_incremental_builds_killed_at_random_moments_converge(tmp_path):
    """A nightly (incremental) build killed anywhere, then run again, publishes the same gold.

    The per-customer state is published in the same snapshot as the gold it
    belongs to, so a rerun starts from the last complete build.
    """
    source = tmp_path / "source"
    ll.generate(source, ll.GeneratorOptions(lines=4_000, batches=3, seed=23))
    first, *nights = sorted(p for p in source.iterdir() if p.is_dir())
    base = tmp_path / "base"
    shutil.copytree(first, base / "landing" / first.name)
    subprocess.run(build_command(base / "landing", base / "lake"), check=True, capture_output=True)

    def next_nights(root):
        shutil.copytree(base, root)
        for night in nights:
            shutil.copytree(night, root / "landing" / night.name)
        return root / "landing", ll.Lake(root / "lake")

    landing, clean = next_nights(tmp_path / "clean")
    started = time.monotonic()
    subprocess.run(build_command(landing, clean.root), check=True, capture_output=True)
    duration = time.monotonic() - started

    rng = random.Random(23)
    killed = 0
    for attempt in range(KILLS // 2):
        landing, lake = next_nights(tmp_path / f"killed-{attempt}")
        process = subprocess.Popen(
            build_command(landing, lake.root), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(rng.uniform(0.1, 0.9 * duration))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            killed += 1
        process.wait()
        subprocess.run(build_command(landing, lake.root), check=True, capture_output=True)
        for name in SNAPSHOT_MODELS:
            assert table(lake, "gold", name).equals(table(clean, "gold", name)), (attempt, name)
        assert conservation(lake=lake)["balanced"].all()
    assert killed >= KILLS // 8
