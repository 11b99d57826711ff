"""Stock: a per store × product model of weekly restocks, and the daily inventory snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from loyalty_lake.landing.generator.tables import DAY, LandingTable, id_text, typed_table

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loyalty_lake.landing.generator.masters import Products, Stores
    from loyalty_lake.landing.generator.window import Calendar


@dataclass(frozen=True, slots=True)
class Stock:
    """Per store × product stock model: weekly restock with daily sales."""

    capacity: np.ndarray
    usage: np.ndarray
    phase: np.ndarray
    stores: int
    products: int
    #: Products on the shelves; catalogue-only products (never sold) have no stock rows.
    stocked: np.ndarray

    def levels(self, days: Sequence[int]) -> np.ndarray:
        """Returns stock levels, shape (len(days), stores × products), all ≥ 0."""
        day = np.asarray(days, dtype=np.int64)[:, None]
        cell = np.arange(self.capacity.size, dtype=np.int64)[None, :]
        since_restock = (day + self.phase[None, :]) % 7
        noise = (day * 7919 + cell * 104729) % 7 - 3
        level = self.capacity[None, :] - np.floor(self.usage[None, :] * since_restock) + noise
        return np.maximum(level, 0).astype(np.int64)


def stock(rng: np.random.Generator, stores: Stores, products: Products) -> Stock:
    """Returns the stock model: bigger stores and popular products hold more."""
    store_scale = 0.5 + stores.weight * stores.weight.size
    popular = 1.0 + 3.0 * products.popularity / products.popularity.max()
    base = rng.lognormal(2.3, 0.6, (stores.weight.size, products.count))
    capacity = np.round(4 + base * store_scale[:, None] * popular[None, :]).ravel()
    usage = capacity * rng.uniform(0.05, 0.2, capacity.size)
    phase = rng.integers(0, 7, capacity.size)
    return Stock(
        capacity, usage, phase, stores.weight.size, products.count, products.popularity > 0
    )


def inventory_table(stock: Stock, days: Sequence[int], cal: Calendar) -> LandingTable:
    """Returns one stock snapshot per day × store × stocked product."""
    cells = stock.stores * stock.products
    on_shelf = np.tile(stock.stocked, stock.stores * len(days))
    frame = pl.DataFrame(
        {
            DAY: np.repeat(np.asarray(days, dtype=np.int32), cells)[on_shelf],
            "_store": np.tile(np.repeat(np.arange(1, stock.stores + 1), stock.products), len(days))[
                on_shelf
            ],
            "_product": np.tile(np.arange(1, stock.products + 1), stock.stores * len(days))[
                on_shelf
            ],
            "_level": stock.levels(days).ravel()[on_shelf],
        }
    )
    text = {
        "snapshot_date": cal.date_text(DAY),
        "store_id": id_text("S", 3, "_store"),
        "product_id": id_text("P", 5, "_product"),
        "stock_level": pl.col("_level").cast(pl.String),
    }
    return typed_table("inventory", frame, text)
