"""Fixtures of the dashboard tests: tiny built lakes, one per test session (per xdist worker)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import loyalty_lake as ll
from loyalty_lake.dashboard import data, source
from loyalty_lake.io.notify import Message, SendFailed, Sink
from loyalty_lake.pipeline.notify import deliver

#: When the fixture's messages were delivered (a fixed time: the same lake every run).
DELIVERED_AT = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)
#: The reason the fixture's receiver gives for the messages it refuses.
REFUSED = "HTTP 422 Unprocessable Entity: template tier_downgrade is retired"


class Receiver(Sink):
    """A CRM that takes every message but the tier downgrades, which it refuses for good."""

    description = "test receiver"

    def send(self, message: Message) -> None:
        if message.kind == "TIER_DOWNGRADE":
            raise SendFailed(REFUSED, transient=False)


@pytest.fixture(scope="session")
def dash_lake(tmp_path_factory: pytest.TempPathFactory) -> ll.Lake:
    """Two generated batches built into gold, part of the outbox delivered: every view has data.

    150 members buying about 4,000 lines give the CLV models over 100 repeat
    customers to fit; a delivery of the 40 oldest messages leaves some SENT,
    some FAILED (the tier downgrades) and the rest PENDING.
    """
    lake = ll.Lake(tmp_path_factory.mktemp("dash") / "lake")
    ll.generate(lake.landing, ll.GeneratorOptions(lines=4000, customers=150, batches=2, seed=4))
    ll.build(lake=lake)
    deliver(lake=lake, sink=Receiver(), limit=40, now=DELIVERED_AT)
    return lake


@pytest.fixture(scope="session")
def small_lake(tmp_path_factory: pytest.TempPathFactory) -> ll.Lake:
    """50 members: too few repeat customers to fit the CLV models (customer_value is empty)."""
    lake = ll.Lake(tmp_path_factory.mktemp("small") / "lake")
    ll.generate(lake.landing, ll.GeneratorOptions(lines=1500, batches=2, seed=4))
    ll.build(lake=lake)
    return lake


@pytest.fixture(scope="session")
def gold(dash_lake: ll.Lake) -> data.Gold:
    loaded = source.load_gold(dash_lake)
    assert loaded is not None
    return loaded
