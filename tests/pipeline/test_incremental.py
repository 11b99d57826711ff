"""Incremental gold equals full gold, whatever the nights bring.

One generated batch (with its anomalies) is cut into random nights: sales
arrive late or ahead of their lines, customers after their first sales (late
masters), redemptions on any night; between nights the loyalty rules may
change and rejects may be reprocessed. Each night is landed and built
incrementally; at the end a full build of the same lake must publish exactly
the same gold, table by table and value by value (the points ledger's
sequence numbers and running balances included).
"""

from __future__ import annotations

import random
import shutil
from datetime import timedelta
from typing import TYPE_CHECKING

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import loyalty_lake as ll
from loyalty_lake.config import load_config
from loyalty_lake.gold.models import SNAPSHOT_MODELS
from loyalty_lake.io import catalog
from loyalty_lake.pipeline.gold import build_gold

if TYPE_CHECKING:
    from pathlib import Path

#: The outbox is a log of what each build found due, not a function of the data.
NOT_COMPARED = {"notifications"}
#: Few members here: let the CLV models fit anyway, so that their tables are compared too.
CONFIG = load_config(env={}, overrides={"clv.min_repeat_customers": 5})


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """One generated batch: three months of sales of a few hundred members, anomalies included."""
    landing = tmp_path_factory.mktemp("source")
    ll.generate(landing, ll.GeneratorOptions(lines=2_500, days=90, batches=1, seed=11))
    return next(p for p in landing.iterdir() if p.is_dir())


def read(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{name}.csv", infer_schema=False)


def published(lake: ll.Lake) -> dict[str, pl.DataFrame]:
    snapshot = catalog.gold_snapshot(lake)
    return {
        name: snapshot.scan(name).collect()
        for name in SNAPSHOT_MODELS
        if name in snapshot.versions and name not in NOT_COMPARED
    }


def assert_same_gold(got: dict[str, pl.DataFrame], expected: dict[str, pl.DataFrame]) -> None:
    assert got.keys() == expected.keys()
    for name, frame in expected.items():
        mine = got[name]
        assert mine.schema == frame.schema, name
        keys = [c for c, t in frame.schema.items() if not isinstance(t, pl.List)]
        missing = frame.join(mine, on=keys, how="anti", nulls_equal=True)
        extra = mine.join(frame, on=keys, how="anti", nulls_equal=True)
        assert missing.is_empty(), (name, missing.head(3))
        assert extra.is_empty(), (name, extra.head(3))
        assert mine.height == frame.height, name


def nights_of(source: Path, *, nights: int, late: float, late_members: float, seed: int):
    """The source batch cut into ``nights`` batches of CSV frames (by date, some rows late)."""
    rng = random.Random(seed)
    header = read(source, "sales_header").sort("transaction_date")
    position = [i * nights // max(header.height, 1) for i in range(header.height)]

    def later(night: int) -> int:
        return min(nights - 1, night + 1) if rng.random() < late else night

    header_night = [later(n) for n in position]
    # Lines usually arrive with their sale, sometimes a night after it.
    line_night = dict(zip(header["transaction_id"], header_night, strict=True))
    lines = read(source, "sales_lines")
    lines_nights = [
        later(line_night.get(t, rng.randrange(nights))) for t in lines["transaction_id"]
    ]
    customers = read(source, "customers")
    customer_nights = [
        rng.randrange(1, nights) if rng.random() < late_members else 0
        for _ in range(customers.height)
    ]
    redemptions = read(source, "redemptions")
    redemption_nights = [rng.randrange(nights) for _ in range(redemptions.height)]
    inventory = read(source, "inventory")
    inventory_nights = [rng.randrange(nights) for _ in range(inventory.height)]
    masters = ("stores", "products", "promotions", "loyalty_rules")
    for night in range(nights):
        batch = {
            "sales_header": header.filter(pl.Series(header_night) == night),
            "sales_lines": lines.filter(pl.Series(lines_nights) == night),
            "customers": customers.filter(pl.Series(customer_nights) == night),
            "redemptions": redemptions.filter(pl.Series(redemption_nights) == night),
            "inventory": inventory.filter(pl.Series(inventory_nights) == night),
        }
        if night == 0:
            batch |= {name: read(source, name) for name in masters}
        yield batch


def changed_rules(source: Path) -> pl.DataFrame:
    """The source's loyalty rules with every rate doubled: a rule change mid-history."""
    rules = read(source, "loyalty_rules")
    return rules.with_columns(
        (pl.col("points_per_unit_spend").cast(pl.Float64) * 2).round(2).cast(pl.String)
    )


def land(batch: dict[str, pl.DataFrame], folder: Path) -> None:
    folder.mkdir(parents=True)
    for name, frame in batch.items():
        if frame.height:
            frame.write_csv(folder / f"{name}.csv")


@pytest.mark.slow
@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    nights=st.integers(2, 4),
    late=st.sampled_from([0.0, 0.05, 0.3]),
    late_members=st.sampled_from([0.0, 0.1]),
    rules_change_on=st.none() | st.integers(1, 3),
    reprocess_after=st.none() | st.integers(0, 3),
    seed=st.integers(0, 2**16),
)
def test_incremental_builds_publish_the_gold_of_a_full_build(
    tmp_path, source, nights, late, late_members, rules_change_on, reprocess_after, seed
):
    root = tmp_path / f"run-{seed}-{nights}"
    shutil.rmtree(root, ignore_errors=True)
    lake = ll.Lake(root / "lake")
    modes = []
    batches = nights_of(source, nights=nights, late=late, late_members=late_members, seed=seed)
    for night, batch in enumerate(batches):
        if night == rules_change_on:
            batch["loyalty_rules"] = changed_rules(source)
        land(batch, root / "landing" / f"night-{night + 1:02d}")
        report = ll.build(lake=lake, config=CONFIG, landing=root / "landing")
        modes.append(report.gold.mode)
        if night == reprocess_after:
            ll.reprocess(lake, config=CONFIG)
    incremental = published(lake)

    full = build_gold(lake=lake, config=CONFIG, run_id="full", full=True)

    assert full.mode == "full"
    assert modes[0] == "full"
    if rules_change_on is None or rules_change_on >= nights:
        assert "incremental" in modes[1:] or nights == 1
    assert_same_gold(published(lake), incremental)


@pytest.mark.slow
def test_a_build_says_why_it_is_full_and_how_many_customers_it_recomputed(tmp_path, source):
    batches = list(nights_of(source, nights=3, late=0.0, late_members=0.0, seed=1))
    lake = ll.Lake(tmp_path / "lake")
    reports = []
    for night, batch in enumerate(batches):
        land(batch, tmp_path / "landing" / f"night-{night + 1}")
        reports.append(ll.build(lake=lake, config=CONFIG, landing=tmp_path / "landing").gold)
    first, second, third = reports
    assert (first.mode, first.reason) == ("full", "no previous gold to carry forward")
    assert second.mode == third.mode == "incremental"
    members = ll.scan(lake, "gold", "customer_state").select(pl.len()).collect().item()
    assert 0 < third.recomputed < members

    again = ll.build(lake=lake, config=CONFIG, landing=tmp_path / "landing")
    assert again.gold.mode == "incremental"
    assert again.gold.recomputed == 0  # nothing new, nothing due

    (tmp_path / "landing" / "night-4").mkdir()
    changed_rules(source).write_csv(tmp_path / "landing" / "night-4" / "loyalty_rules.csv")
    changed = ll.build(lake=lake, config=CONFIG, landing=tmp_path / "landing").gold
    assert changed.mode == "full"
    assert "rules" in changed.reason

    asked = ll.build(lake=lake, config=CONFIG, landing=tmp_path / "landing", full=True).gold
    assert (asked.mode, asked.reason) == ("full", "asked for")


@pytest.mark.slow
def test_an_as_of_in_the_past_builds_in_full_and_a_later_one_expires_points(tmp_path, source):
    lake = ll.Lake(tmp_path / "lake")
    only = next(nights_of(source, nights=1, late=0.0, late_members=0.0, seed=2))
    land(only, tmp_path / "l" / "b")
    report = ll.build(lake=lake, config=CONFIG, landing=tmp_path / "l")
    as_of = report.gold.as_of
    past = ll.build(
        lake=lake, config=CONFIG, landing=tmp_path / "l", as_of=as_of - timedelta(days=10)
    ).gold
    assert past.mode == "full"
    assert "before the previous build" in past.reason

    # Time alone: a year later every lot has expired, for customers who bought nothing since.
    later = as_of + timedelta(days=400)
    moved = ll.build(lake=lake, config=CONFIG, landing=tmp_path / "l", as_of=later).gold
    assert moved.mode == "incremental"
    moved_gold = published(lake)
    build_gold(lake=lake, config=CONFIG, run_id="full", as_of=later, full=True)
    assert_same_gold(published(lake), moved_gold)
    balances = moved_gold["customer_state"]["total_loyalty_points"].drop_nulls()
    assert (balances <= 0).all()
