"""Where things live in a lake, with every name checked before it becomes a path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeAlias

from loyalty_lake.errors import LakePathError

if TYPE_CHECKING:
    import os

Layer: TypeAlias = Literal["bronze", "silver", "gold"]
LAYERS: tuple[Layer, ...] = ("bronze", "silver", "gold")

_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def checked_table_name(name: str) -> str:
    """Return ``name`` if it is a safe table name (lowercase letters, digits, ``_``)."""
    if not _TABLE_NAME.fullmatch(name):
        raise LakePathError(
            f"{name!r} is not a valid table name.",
            hint="Table names are lowercase letters, digits and '_', starting with a letter.",
        )
    return name


def checked_batch_id(batch_id: str) -> str:
    """Return ``batch_id`` if it is safe to use in paths and lineage."""
    if not _BATCH_ID.fullmatch(batch_id) or ".." in batch_id:
        raise LakePathError(
            f"{batch_id!r} is not a valid batch id.",
            hint="Use letters, digits, '.', '_' and '-' (at most 128), e.g. 2026-10-31; "
            "pass --batch-id to choose one.",
        )
    return batch_id


@dataclass(frozen=True, slots=True)
class Lake:
    """A lake rooted at a local folder (``./lake`` by default).

    ``<root>/landing/<batch>/*.csv`` holds landing batches, ``<root>/<layer>/<name>``
    the Delta tables, ``<root>/export/<name>.parquet`` the BI export.
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).expanduser().absolute())

    @property
    def landing(self) -> Path:
        """The folder landing batches are dropped into."""
        return self.root / "landing"

    @property
    def export(self) -> Path:
        """The folder of the plain-Parquet BI export."""
        return self.root / "export"

    def layer(self, layer: Layer) -> Path:
        """The folder holding a layer's Delta tables."""
        if layer not in LAYERS:
            raise LakePathError(
                f"{layer!r} is not a lake layer.", hint=f"Use one of {', '.join(LAYERS)}."
            )
        return self.root / layer

    def table(self, layer: Layer, name: str) -> Path:
        """The folder of Delta table ``name`` in ``layer``."""
        return self.layer(layer) / checked_table_name(name)

    def batch(self, batch_id: str) -> Path:
        """The landing folder of batch ``batch_id``."""
        return self.landing / checked_batch_id(batch_id)


#: What the library accepts as a lake: a :class:`Lake` or its root folder.
LakeLike: TypeAlias = "Lake | str | os.PathLike[str]"


def as_lake(lake: LakeLike) -> Lake:
    """``lake`` as a :class:`Lake` (a str or path is its root folder)."""
    return lake if isinstance(lake, Lake) else Lake(Path(lake))
