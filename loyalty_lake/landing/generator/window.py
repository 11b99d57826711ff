"""The history window as day indices (0 = first day), and how it is cut into batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

if TYPE_CHECKING:
    from loyalty_lake.landing.generator.options import GeneratorOptions


#: Day index of rows that exist before the window (masters of the initial load).
BEFORE_HISTORY: Final = -(10**6)
_EPOCH: Final = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Calendar:
    """The history window: day index 0 is ``start``, ``days - 1`` the end date."""

    start: date
    days: int

    @property
    def weekday(self) -> np.ndarray:
        """Returns the weekday (0 = Monday) of every day of the window."""
        return (np.arange(self.days) + self.start.weekday()) % 7

    @property
    def epoch_day(self) -> int:
        """Returns the number of days from 1970-01-01 to the first day."""
        return (self.start - _EPOCH).days

    def iso(self, day: int) -> str:
        """Returns the ISO date of day index ``day``."""
        return (self.start + timedelta(days=day)).isoformat()

    def date_text(self, column: str) -> pl.Expr:
        """Returns the ISO date text of a day-index column."""
        return (pl.col(column).cast(pl.Int32) + self.epoch_day).cast(pl.Date).cast(pl.String)


@dataclass(frozen=True, slots=True)
class BatchSpan:
    """The days (inclusive day indices) whose rows make up one batch."""

    batch_id: str
    first_day: int
    last_day: int
    inventory_days: tuple[int, ...]
    is_first: bool


def batch_spans(options: GeneratorOptions, cal: Calendar) -> tuple[BatchSpan, ...]:
    """Returns the batches, oldest first: an initial load, then one batch per day."""
    first_end = options.days - options.batches
    initial_stock = tuple(range(options.days)) if options.batches == 1 else (first_end,)
    spans = [BatchSpan(cal.iso(first_end), BEFORE_HISTORY, first_end, initial_stock, True)]
    spans.extend(
        BatchSpan(cal.iso(day), day, day, (day,), False)
        for day in range(first_end + 1, options.days)
    )
    return tuple(spans)
