"""Where the dashboard's data comes from: the lake's gold tables, read through the catalogue.

The only module of the dashboard that reads the lake's tables; :mod:`data`
works on the frames it returns.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from loyalty_lake.dashboard.data import Gold
from loyalty_lake.io import catalog
from loyalty_lake.pipeline.maintenance import history

if TYPE_CHECKING:
    from loyalty_lake.io.lake import Lake

#: The gold table whose presence means the lake has been built, and whose
#: latest commit records the ``as_of`` date of the build.
_BUILT = "customer_details"


def gold_versions(lake: Lake) -> tuple[tuple[str, int | None], ...]:
    """The version of every gold table: the cache key of the dashboard's data."""
    return tuple(
        (name, catalog.version(lake, "gold", name)) for name in catalog.table_names("gold")
    )


def load_gold(lake: Lake) -> Gold | None:
    """Every gold table, or None when the lake has none yet."""
    present = [n for n in catalog.table_names("gold") if catalog.exists(lake, "gold", n)]
    if _BUILT not in present:
        return None
    tables = {name: catalog.scan(lake, "gold", name).collect() for name in present}
    return Gold(tables=tables, as_of=_as_of(lake))


def _as_of(lake: Lake) -> date | None:
    """The ``as_of`` date the gold tables were built for, from their latest commit."""
    (last,) = history(lake=lake, table=f"gold/{_BUILT}", limit=1)
    as_of = last.metadata.get("as_of")
    return date.fromisoformat(as_of) if as_of else None
