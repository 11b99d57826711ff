"""A landing file before writing: hidden typed columns, text expressions, overrides, truth.

The generator builds the whole history as one :class:`LandingTable` per
landing file. Its ``frame`` holds typed hidden columns (``_ord``, ``_dup``,
``_day`` and whatever the text needs); ``text`` says how each contract column
is written. Anomalies are applied as :class:`Piece` objects: rows copied,
texts overridden, and ground-truth rows recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.landing.generator.window import BEFORE_HISTORY

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from loyalty_lake.landing.contract import LandingFile


#: Hidden column: the row's position in its table's history order.
ORD: Final = "_ord"
#: Hidden column: 0 for an original row, 1 for an inserted copy.
DUP: Final = "_dup"
#: Hidden column: the day index (0 = first day of the window) a row belongs to.
DAY: Final = "_day"
_KEY: Final = [ORD, DUP]
_TEXT_PREFIX: Final = "_text_"

#: A table's ground-truth rows: the corrupted row (``_ord``, ``_dup``) and what was done.
TRUTH_SCHEMA: Final = pl.Schema(
    {
        ORD: pl.Int64,
        DUP: pl.Int8,
        "kind": pl.String,
        "column": pl.String,
        "expected_reason": pl.String,
        "transaction_id": pl.String,
        "detail": pl.String,
    }
)
#: Replaced texts in long form: the row, the column and its new text.
OVERRIDE_SCHEMA: Final = pl.Schema(
    {ORD: pl.Int64, DUP: pl.Int8, "column": pl.String, "value": pl.String}
)


# --- text formats -------------------------------------------------------------------


def ids(prefix: str, width: int, count: int) -> pl.Series:
    """Returns the ids ``prefix`` + 1..count zero-padded to ``width`` digits."""
    numbers = pl.int_range(1, count + 1, eager=True).alias("n")
    return pl.select(pl.lit(prefix) + numbers.cast(pl.String).str.zfill(width)).to_series()


def id_text(prefix: str, width: int, column: str) -> pl.Expr:
    """Returns the text of a numeric id column, e.g. ``T000000042``; null stays null."""
    return pl.lit(prefix) + pl.col(column).cast(pl.String).str.zfill(width)


def money_text(cents: pl.Expr) -> pl.Expr:
    """Returns the text of a non-negative amount in integer cents, e.g. ``12.50``."""
    return (cents // 100).cast(pl.String) + "." + (cents % 100).cast(pl.String).str.zfill(2)


# --- tables and their corruption -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class LandingTable:
    """The rows of one landing file over the whole history, before writing.

    ``frame`` holds one row per written row, in file order, with the hidden
    columns ``_ord`` (history position; equal to the row index until copies
    are inserted), ``_dup`` and ``_day`` plus whatever typed or text columns
    ``text`` needs. ``text`` maps every contract column, in canonical order,
    to the expression producing its text. ``overrides`` holds replaced texts
    (``_ord``, ``_dup``, ``_text_<column>`` ...) and ``truth`` the ground truth
    of the corrupted rows.
    """

    spec: LandingFile
    frame: pl.DataFrame
    text: Mapping[str, pl.Expr]
    overrides: pl.DataFrame | None = None
    truth: pl.DataFrame = field(default_factory=TRUTH_SCHEMA.to_frame)

    def rows_text(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Returns ``rows`` (a slice of ``frame``) with every contract column as text."""
        return rows.with_columns(expr.alias(name) for name, expr in self.text.items())

    def written(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """Returns the contract columns, as text with overrides applied, of ``frame``'s rows."""
        overridden: set[str] = set()
        if self.overrides is not None:
            frame = frame.join(self.overrides.lazy(), on=_KEY, how="left", maintain_order="left")
            overridden = {c.removeprefix(_TEXT_PREFIX) for c in self.overrides.columns}
        return frame.select(
            (pl.coalesce(pl.col(_TEXT_PREFIX + name), expr) if name in overridden else expr).alias(
                name
            )
            for name, expr in self.text.items()
        )

    def corrupted(self, pieces: Sequence[Piece]) -> LandingTable:
        """Returns this table with the copies, overrides and truth of ``pieces`` applied."""
        mine = [p for p in pieces if p.file == self.spec.name]
        if not mine:
            return self
        frame = self.frame
        copies = [p.copies for p in mine if p.copies is not None and p.copies.height]
        if copies:
            frame = _with_copies(frame, pl.concat([c.select(frame.columns) for c in copies]))
        overrides = pl.concat([p.overrides for p in mine])
        truth = pl.concat([self.truth, *(p.truth for p in mine)]).sort(_KEY)
        return replace(
            self,
            frame=frame,
            overrides=_wide_overrides(overrides, self.overrides),
            truth=truth,
        )


def _with_copies(frame: pl.DataFrame, copies: pl.DataFrame) -> pl.DataFrame:
    """Returns ``frame`` (sorted by ``_ord``) with each copy after the rows of its ``_ord``."""
    copies = copies.sort(_KEY)
    after = np.searchsorted(frame[ORD].to_numpy(), copies[ORD].to_numpy(), side="right")
    inserted = np.arange(frame.height, frame.height + copies.height)
    order = np.insert(np.arange(frame.height), after, inserted)
    return pl.concat([frame, copies]).select(pl.all().gather(pl.Series(order)))


def _wide_overrides(long: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame | None:
    """Returns one row per overridden row and one ``_text_<column>`` column per column."""
    if previous is not None:
        long = pl.concat([_long_overrides(previous), long])
    if not long.height:
        return None
    wide = long.select(_KEY).unique(maintain_order=True)
    for column in long["column"].unique(maintain_order=True):
        values = long.filter(pl.col("column") == column).select(
            *_KEY, pl.col("value").alias(_TEXT_PREFIX + column)
        )
        wide = wide.join(values, on=_KEY, how="left", maintain_order="left")
    return wide


def _long_overrides(wide: pl.DataFrame) -> pl.DataFrame:
    """Returns wide overrides back in the long ``column``/``value`` form."""
    return (
        wide.unpivot(index=_KEY, variable_name="column", value_name="value")
        .drop_nulls("value")
        .with_columns(pl.col("column").str.strip_prefix(_TEXT_PREFIX))
        .select(OVERRIDE_SCHEMA.names())
    )


@dataclass(frozen=True, slots=True)
class Piece:
    """The corruption one anomaly kind makes in one file.

    ``copies`` are rows to insert (same columns as the table's frame, ``_dup``
    = 1), ``overrides`` replaced texts in long form (``_ord``, ``_dup``,
    ``column``, ``value``) and ``truth`` the recorded rows.
    """

    file: str
    overrides: pl.DataFrame
    truth: pl.DataFrame
    copies: pl.DataFrame | None = None


# --- building a table -----------------------------------------------------------------


def text_table(name: str, frame: pl.DataFrame) -> LandingTable:
    """Returns a table whose contract columns are already text, with hidden row columns.

    Rows without a ``_day`` column belong to the initial load.
    """
    spec = LANDING_FILES[name]
    if DAY not in frame.columns:
        frame = frame.with_columns(pl.lit(BEFORE_HISTORY, pl.Int32).alias(DAY))
    frame = frame.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ORD),
        pl.lit(0, pl.Int8).alias(DUP),
        pl.col(DAY).cast(pl.Int32),
    )
    return LandingTable(spec=spec, frame=frame, text={c: pl.col(c) for c in spec.columns})


def typed_table(name: str, frame: pl.DataFrame, text: Mapping[str, pl.Expr]) -> LandingTable:
    """Returns a table of typed hidden columns and the text expressions of its contract columns."""
    spec = LANDING_FILES[name]
    frame = frame.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ORD), pl.lit(0, pl.Int8).alias(DUP)
    )
    return LandingTable(spec=spec, frame=frame, text={c: text[c] for c in spec.columns})
