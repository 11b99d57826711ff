"""Fixtures of the dashboard tests: one tiny built lake per test session (per xdist worker)."""

from __future__ import annotations

import pytest

import loyalty_lake as ll
from loyalty_lake.dashboard import data, source


@pytest.fixture(scope="session")
def dash_lake(tmp_path_factory: pytest.TempPathFactory) -> ll.Lake:
    """Two generated batches built into gold: every dashboard view has data."""
    lake = ll.Lake(tmp_path_factory.mktemp("dash") / "lake")
    ll.generate(lake.landing, ll.GeneratorOptions(lines=1500, batches=2, seed=4))
    ll.build(lake=lake)
    return lake


@pytest.fixture(scope="session")
def gold(dash_lake: ll.Lake) -> data.Gold:
    loaded = source.load_gold(dash_lake)
    assert loaded is not None
    return loaded
