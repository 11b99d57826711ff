"""Where the dashboard's data comes from: the lake's gold tables, read through the catalogue.

The only module of the dashboard that reads the lake's tables; :mod:`data`
works on the frames it returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty_lake.dashboard.data import Gold
from loyalty_lake.io import catalog

if TYPE_CHECKING:
    from loyalty_lake.io.lake import Lake

#: The gold table whose presence means the lake has been built.
_BUILT = "customer_details"


def gold_versions(lake: Lake) -> tuple[tuple[str, int | None], ...]:
    """The published snapshot and its tables' versions: the cache key of the dashboard's data."""
    snapshot = catalog.gold_snapshot(lake)
    return (("snapshot", snapshot.snapshot), *sorted(snapshot.versions.items()))


def load_gold(lake: Lake) -> Gold | None:
    """Every gold table of the latest published snapshot, or None when there is none yet."""
    snapshot = catalog.gold_snapshot(lake)
    if _BUILT not in snapshot.versions:
        return None
    tables = {name: snapshot.scan(name).collect() for name in snapshot.versions}
    return Gold(tables=tables, as_of=snapshot.as_of)
