"""Promotions (which one applies per day and category) and the loyalty rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.landing.generator.reference import CATEGORIES
from loyalty_lake.landing.generator.tables import DAY, LandingTable, ids, text_table

if TYPE_CHECKING:
    from loyalty_lake.landing.generator.window import Calendar


_DISCOUNTS: Final = np.array([5, 10, 15, 20, 25, 30])
_MULTIPLIERS: Final = np.array([1, 2, 3])
_MULTIPLIER_P: Final = np.array([0.6, 0.3, 0.1])
_ALL_PROMO_SHARE: Final = 0.2
_ANNOUNCE_DAYS: Final = 7  # promotions land in the batch a week before they start


@dataclass(frozen=True, slots=True)
class Promotions:
    """Promotions and, per day × category, which one applies.

    ``category`` is -1 for storewide (``ALL``) promotions; ``active[d, c]`` is
    the promotion applying to category ``c`` on day ``d`` (-1: none; a
    category promotion beats a storewide one), ``lifted[d, c]`` whether a
    category promotion runs and ``storewide[d]`` whether an ``ALL`` one does.
    """

    start: np.ndarray
    end: np.ndarray
    category: np.ndarray
    discount: np.ndarray
    multiplier: np.ndarray
    active: np.ndarray
    lifted: np.ndarray
    storewide: np.ndarray


def promotions(rng: np.random.Generator, cal: Calendar) -> Promotions:
    """Returns one promotion about every two weeks, 7-14 days long, from before the window."""
    slots = cal.days // 11 + 4
    gaps = 14 + rng.integers(-3, 4, slots)
    start_all = -10 + rng.integers(0, 7) + np.cumsum(gaps) - gaps[0]
    length = rng.integers(7, 15, slots)
    shares = np.array([c.share for c in CATEGORIES])
    category = np.where(
        rng.random(slots) < _ALL_PROMO_SHARE, -1, rng.choice(len(CATEGORIES), slots, p=shares)
    )
    discount = rng.choice(_DISCOUNTS, slots)
    multiplier = rng.choice(_MULTIPLIERS, slots, p=_MULTIPLIER_P)
    keep = start_all <= cal.days - 1 + _ANNOUNCE_DAYS
    start = start_all[keep]
    end = start + length[keep] - 1
    category = category[keep]
    active, lifted, storewide = _active_promotions(cal.days, start, end, category)
    return Promotions(
        start, end, category, discount[keep], multiplier[keep], active, lifted, storewide
    )


def _active_promotions(
    days: int, start: np.ndarray, end: np.ndarray, category: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns the (active, lifted, storewide) day tables of the promotions."""
    active = np.full((days, len(CATEGORIES)), -1, dtype=np.int64)
    lifted = np.zeros((days, len(CATEGORIES)), dtype=bool)
    storewide = np.zeros(days, dtype=bool)
    for index in np.argsort(category >= 0, kind="stable"):  # storewide first, then override
        low, high = max(int(start[index]), 0), min(int(end[index]), days - 1)
        if low > high:
            continue
        if category[index] < 0:
            active[low : high + 1, :] = index
            storewide[low : high + 1] = True
        else:
            active[low : high + 1, category[index]] = index
            lifted[low : high + 1, category[index]] = True
    return active, lifted, storewide


def promotions_table(promos: Promotions, cal: Calendar) -> LandingTable:
    """Returns promotion rows; each lands in the batch a week before it starts."""
    names = []
    for category, discount, multiplier in zip(
        promos.category, promos.discount, promos.multiplier, strict=True
    ):
        scope = "Storewide" if category < 0 else CATEGORIES[category].name
        bonus = f" + {multiplier}x points" if multiplier > 1 else ""
        names.append(f"{scope} {discount}% off{bonus}")
    frame = pl.DataFrame(
        {
            "promotion_id": ids("PR", 3, promos.start.size),
            "promotion_name": pl.Series(names, dtype=pl.String),
            "_start": promos.start,
            "_end": promos.end,
            "discount_percentage": pl.Series(promos.discount).cast(pl.String),
            "applicable_category": pl.Series(
                ["ALL" if c < 0 else CATEGORIES[c].name for c in promos.category], dtype=pl.String
            ),
            "points_multiplier": pl.Series(promos.multiplier).cast(pl.String),
            DAY: promos.start - _ANNOUNCE_DAYS,
        }
    ).with_columns(
        cal.date_text("_start").alias("start_date"), cal.date_text("_end").alias("end_date")
    )
    return text_table("promotions", frame)


def rules_table(cal: Calendar) -> LandingTable:
    """Returns the loyalty rules: standard, big-basket bonus, category rates, a weekend rule."""
    festival = cal.days // 2
    rows = [
        ("R001", "Standard", "1.0", None, None, "ALL", None, None, None),
        ("R002", "Big basket bonus", "1.0", "100.00", "50", "ALL", None, None, None),
        ("R003", "Health double points", "2.0", None, None, "Health", None, None, None),
        ("R004", "Electronics boost", "1.5", None, None, "Electronics", None, None, None),
        (
            "R005",
            "Grocery weekend",
            "2.0",
            None,
            None,
            "Grocery",
            cal.iso(cal.days // 3),
            None,
            "SAT|SUN",
        ),
        (
            "R006",
            "Toy festival",
            "1.5",
            None,
            None,
            "Toys",
            cal.iso(festival),
            cal.iso(min(festival + 13, cal.days - 1)),
            None,
        ),
    ]
    spec = LANDING_FILES["loyalty_rules"]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(spec.columns, pl.String), orient="row")
    return text_table("loyalty_rules", frame)
