"""A realistic, fast and deterministic synthetic landing dataset with known anomalies.

``generate(out_dir, GeneratorOptions(...))`` builds a retailer's history once
from a seed -- stores, products, members, promotions, loyalty rules, sales with
returns, points redemptions and daily stock -- corrupts a seeded share of rows
(:mod:`loyalty_lake.landing.anomalies`), splits the history into batches by
date and writes one folder of contract CSV files per batch, plus
``_ground_truth.csv`` listing every corrupted row with its row number. The
files hold customers' personal data: the folders it creates are owner-only.

The same seed and options always give byte-identical files, and the history
does not depend on ``batches``: one batch or one batch per day describe the
same sales. Everything is vectorised with numpy and polars; money stays in
integer cents until it is written as text.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from loyalty_lake.errors import ConfigError
from loyalty_lake.landing.anomalies import (
    DAY,
    DUP,
    GROUND_TRUTH_COLUMNS,
    MAX_RATE,
    ORD,
    AnomalyRates,
    LandingTable,
    corrupt_customers,
    corrupt_products,
    corrupt_redemptions,
    corrupt_sales,
    id_text,
    money_text,
)
from loyalty_lake.landing.contract import LANDING_FILES, REQUIRED_FILES
from loyalty_lake.progress import no_progress

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from loyalty_lake.progress import Progress

__all__ = [
    "AnomalyRates",
    "GeneratedBatch",
    "GeneratedDataset",
    "GeneratorOptions",
    "generate",
]

logger = logging.getLogger(__name__)

#: Name of the ground-truth file in every batch folder.
GROUND_TRUTH_FILE: Final = "_ground_truth.csv"


# --- options and results ------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class GeneratorOptions:
    """What to generate. The seed alone determines the output for given options.

    ``lines`` is the target number of clean sales line rows (sales and
    returns, within a few percent); ``customers`` defaults to ``lines / 30``
    (at least 50). With ``batches`` > 1 the first batch is an initial load up
    to ``end_date - (batches - 1)`` days and every following day is a batch.
    """

    seed: int = 42
    lines: int = 20_000
    days: int = 120
    end_date: date = date(2026, 10, 31)
    stores: int = 8
    products: int = 300
    customers: int | None = None
    batches: int = 1
    guest_share: float = 0.10
    return_share: float = 0.025
    anomalies: AnomalyRates = field(default_factory=AnomalyRates)


@dataclass(frozen=True, slots=True)
class GeneratedBatch:
    """One written batch folder.

    ``rows`` maps each written file, by its contract name (``sales_lines``, as
    in :data:`loyalty_lake.landing.contract.LANDING_FILES`), to its number of data
    rows; ``anomalies`` counts the batch's ground-truth rows.
    """

    batch_id: str
    path: Path
    rows: Mapping[str, int]
    anomalies: int


@dataclass(frozen=True, slots=True)
class GeneratedDataset:
    """Every batch written by one :func:`generate` call, oldest first."""

    root: Path
    batches: tuple[GeneratedBatch, ...]
    options: GeneratorOptions


# --- validation -----------------------------------------------------------------------

_MAX_LINES: Final = 200_000_000
_MAX_DAYS: Final = 3650
_MAX_STORES: Final = 899  # S900..S999 are reserved for unknown-store anomalies
_MAX_PRODUCTS: Final = 99_999
_MAX_CUSTOMERS: Final = 9_999_999
_MAX_RETURN_SHARE: Final = 0.2
_MAX_GUEST_SHARE: Final = 0.9
_EARLIEST_END: Final = date(1950, 1, 1)
_LATEST_END: Final = date(9000, 12, 31)


def _bad_option(name: str, value: object, allowed: str) -> ConfigError:
    """Returns the error for option ``name`` having an invalid ``value``."""
    return ConfigError(
        f"Invalid generator option {name}={value!r}: it must be {allowed}.",
        hint=f"Pass GeneratorOptions({name}=...) with {allowed}.",
    )


def _check_int(name: str, value: object, low: int, high: int) -> None:
    """Raises ConfigError unless ``value`` is an int in ``low..high``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad_option(name, value, f"an integer from {low:,} to {high:,}")


def _check_share(name: str, value: object, high: float) -> None:
    """Raises ConfigError unless ``value`` is a number in ``0..high``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= high:
        raise _bad_option(name, value, f"a number from 0 to {high}")


def _validate(options: GeneratorOptions) -> None:
    """Raises ConfigError naming the first invalid option."""
    if not isinstance(options, GeneratorOptions):
        raise ConfigError(
            f"Expected GeneratorOptions, got {type(options).__name__}.",
            hint="Build the options with loyalty_lake.landing.GeneratorOptions(...).",
        )
    _check_int("seed", options.seed, 0, 2**63 - 1)
    _check_int("lines", options.lines, 1, _MAX_LINES)
    _check_int("days", options.days, 1, _MAX_DAYS)
    end = options.end_date
    if (
        not isinstance(end, date)
        or isinstance(end, datetime)
        or not (_EARLIEST_END <= end <= _LATEST_END)
    ):
        raise _bad_option("end_date", end, f"a date from {_EARLIEST_END} to {_LATEST_END}")
    _check_int("stores", options.stores, 1, _MAX_STORES)
    _check_int("products", options.products, len(CATEGORIES), _MAX_PRODUCTS)
    if options.customers is not None:
        _check_int("customers", options.customers, 1, _MAX_CUSTOMERS)
    _check_int("batches", options.batches, 1, options.days)
    _check_share("guest_share", options.guest_share, _MAX_GUEST_SHARE)
    _check_share("return_share", options.return_share, _MAX_RETURN_SHARE)
    if not isinstance(options.anomalies, AnomalyRates):
        raise _bad_option("anomalies", options.anomalies, "an AnomalyRates instance")
    for kind, rate in options.anomalies.items():
        _check_share(f"anomalies.{kind}", rate, MAX_RATE)


# --- the calendar and batches -----------------------------------------------------------

#: Day index of rows that exist before the window (masters of the initial load).
_BEFORE_HISTORY: Final = -(10**6)
_EPOCH: Final = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class _Calendar:
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
class _BatchSpan:
    """The days (inclusive day indices) whose rows make up one batch."""

    batch_id: str
    first_day: int
    last_day: int
    inventory_days: tuple[int, ...]
    is_first: bool


def _batch_spans(options: GeneratorOptions, cal: _Calendar) -> tuple[_BatchSpan, ...]:
    """Returns the batches, oldest first: an initial load, then one batch per day."""
    first_end = options.days - options.batches
    initial_stock = tuple(range(options.days)) if options.batches == 1 else (first_end,)
    spans = [_BatchSpan(cal.iso(first_end), _BEFORE_HISTORY, first_end, initial_stock, True)]
    spans.extend(
        _BatchSpan(cal.iso(day), day, day, (day,), False)
        for day in range(first_end + 1, options.days)
    )
    return tuple(spans)


# --- reference data -------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """Returns the whitespace-separated words of ``text``."""
    return tuple(text.split())


@dataclass(frozen=True, slots=True)
class _Category:
    """A product category: price range, share of sales lines and product nouns."""

    name: str
    low: int
    high: int
    share: float
    nouns: tuple[str, ...]


CATEGORIES: Final = (
    _Category(
        "Grocery", 1, 25, 0.26, ("Coffee", "Pasta", "Olive Oil", "Granola", "Tea", "Chocolate")
    ),
    _Category(
        "Health",
        3,
        60,
        0.12,
        ("Vitamins", "Pain Relief", "Plasters", "Protein Powder", "Cough Syrup"),
    ),
    _Category(
        "Beauty", 4, 90, 0.11, ("Shampoo", "Face Cream", "Lipstick", "Perfume", "Body Lotion")
    ),
    _Category("Apparel", 10, 150, 0.12, ("T-Shirt", "Jeans", "Jacket", "Socks", "Hoodie", "Dress")),
    _Category("Home", 8, 250, 0.12, ("Towel Set", "Cookware", "Lamp", "Cushion", "Kettle")),
    _Category(
        "Electronics", 40, 900, 0.07, ("Headphones", "Speaker", "Smartwatch", "Tablet", "Camera")
    ),
    _Category(
        "Toys", 6, 120, 0.09, ("Puzzle", "Board Game", "Building Set", "Plush Bear", "Toy Car")
    ),
    _Category(
        "Sports",
        10,
        300,
        0.11,
        ("Yoga Mat", "Running Shoes", "Dumbbells", "Football", "Bike Helmet"),
    ),
)
_ADJECTIVES: Final = _words(
    "Classic Premium Everyday Eco Pro Compact Deluxe Essential Organic Ultra"
)
_REGIONS: Final = {
    "London": ("London", "Croydon", "Kingston upon Thames"),
    "South East": ("Brighton", "Reading", "Oxford", "Southampton"),
    "Midlands": ("Birmingham", "Nottingham", "Leicester", "Coventry"),
    "North": ("Manchester", "Leeds", "Liverpool", "Newcastle upon Tyne", "Sheffield"),
    "Scotland": ("Glasgow", "Edinburgh", "Aberdeen"),
}
_STORE_SUFFIXES: Final = (
    "Central",
    "Retail Park",
    "High Street",
    "Shopping Centre",
    "Station",
    "Outlet",
)
_FIRST_NAMES: Final = _words(
    "Oliver Amelia George Isla Harry Ava Noah Mia Jack Ivy Leo Lily Arthur Sophia Muhammad "
    "Grace Oscar Freya Charlie Emily Thomas Ella James Poppy William Chloe Henry Evie Alfie "
    "Ruby Priya Aisha Mohammed Zara Daniel Sarah David Emma Lucas Hannah"
)
_LAST_NAMES: Final = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Robinson Wright Thompson "
    "Evans Walker White Roberts Green Hall Wood Jackson Clarke Khan Lewis Harris Martin "
    "Cooper King Lee Baker Hughes Edwards Turner Hill Moore Clark Ahmed Singh Scott Young "
    "Mitchell"
)
_EMAIL_DOMAINS: Final = ("example.com", "example.org", "example.net")

_DOW_TRAFFIC: Final = np.array([0.85, 0.80, 0.90, 1.00, 1.20, 1.55, 1.30])
_QUANTITY_P: Final = np.array([0.62, 0.24, 0.08, 0.03, 0.02, 0.01])
_PRICE_ENDINGS: Final = np.array([99, 49, 0, 95, 29])
_PRICE_ENDING_P: Final = np.array([0.45, 0.2, 0.15, 0.1, 0.1])
_DISCOUNTS: Final = np.array([5, 10, 15, 20, 25, 30])
_MULTIPLIERS: Final = np.array([1, 2, 3])
_MULTIPLIER_P: Final = np.array([0.6, 0.3, 0.1])

_PRE_WINDOW_SHARE: Final = 0.75  # members who enrolled before the window
_ENROLLED_YEARS: Final = 5
_DORMANT_SHARE: Final = 0.08  # members who never shop
_CHURN_SHARE: Final = 0.2  # members who stop shopping 35-100 days before the end
_EMAIL_CHANGE_SHARE: Final = 0.02
_CATALOGUE_ONLY_SHARE: Final = 0.03  # products that are listed but never sold
_HOME_STORE_SHARE: Final = 0.85
_MAX_ACTIVITY: Final = 8.0  # cap of the lognormal purchase rate (median 1): no 2-a-day shoppers
_BASKET_EXTRA_LINES: Final = 2.3  # mean Poisson extra lines of a member's basket
_GUEST_EXTRA_LINES: Final = 1.8
_MEAN_BASKET: Final = 3.3
_PROMO_LIFT: Final = 1.8  # a promoted category's share of lines rises by this factor
_PROMO_LINE_SHARE: Final = 0.85  # share of a promoted category's lines carrying the promotion
_ALL_PROMO_SHARE: Final = 0.2
_ANNOUNCE_DAYS: Final = 7  # promotions land in the batch a week before they start
_RETURN_ONE_LINE_SHARE: Final = 0.6
_RETURN_LINES_PER_SALE_LINE: Final = 0.55  # expected return lines per sale line per return share
_REDEEMER_SHARE: Final = 0.25
_TWICE_SHARE: Final = 0.35
_REDEMPTION_LOOKBACK: Final = 300
_REDEMPTION_SPREAD: Final = 30
_POINTS_STEP: Final = 50


def _rngs(seed: int) -> dict[str, np.random.Generator]:
    """Returns one independent random generator per part of the history."""
    parts = (
        "stores",
        "products",
        "stock",
        "customers",
        "promotions",
        "sales",
        "returns",
        "sales_anomalies",
        "redemptions",
        "master_anomalies",
    )
    children = np.random.SeedSequence(seed).spawn(len(parts))
    return {part: np.random.default_rng(child) for part, child in zip(parts, children, strict=True)}


def _ids(prefix: str, width: int, count: int) -> pl.Series:
    """Returns the ids ``prefix`` + 1..count zero-padded to ``width`` digits."""
    numbers = pl.int_range(1, count + 1, eager=True).alias("n")
    return pl.select(pl.lit(prefix) + numbers.cast(pl.String).str.zfill(width)).to_series()


def _text_table(name: str, frame: pl.DataFrame) -> LandingTable:
    """Returns a table whose contract columns are already text, with hidden row columns.

    Rows without a ``_day`` column belong to the initial load.
    """
    spec = LANDING_FILES[name]
    if DAY not in frame.columns:
        frame = frame.with_columns(pl.lit(_BEFORE_HISTORY, pl.Int32).alias(DAY))
    frame = frame.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ORD),
        pl.lit(0, pl.Int8).alias(DUP),
        pl.col(DAY).cast(pl.Int32),
    )
    return LandingTable(spec=spec, frame=frame, text={c: pl.col(c) for c in spec.columns})


def _typed_table(name: str, frame: pl.DataFrame, text: Mapping[str, pl.Expr]) -> LandingTable:
    """Returns a table of typed hidden columns and the text expressions of its contract columns."""
    spec = LANDING_FILES[name]
    frame = frame.with_columns(
        pl.int_range(pl.len(), dtype=pl.Int64).alias(ORD), pl.lit(0, pl.Int8).alias(DUP)
    )
    return LandingTable(spec=spec, frame=frame, text={c: text[c] for c in spec.columns})


# --- stores and products -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Stores:
    """Stores: their landing table and relative size (sums to 1)."""

    table: LandingTable
    weight: np.ndarray


def _stores(rng: np.random.Generator, count: int, cal: _Calendar) -> _Stores:
    """Returns ``count`` stores spread over the regions, every region used first."""
    regions = list(_REGIONS)
    region = np.where(
        np.arange(count) < len(regions),
        np.arange(count) % len(regions),
        rng.integers(0, len(regions), count),
    )
    city_pick = rng.random(count)
    cities = [
        _REGIONS[regions[r]][int(u * len(_REGIONS[regions[r]]))]
        for r, u in zip(region, city_pick, strict=True)
    ]
    seen: dict[str, int] = {}
    names = []
    for city in cities:  # a few hundred stores at most
        names.append(f"{city} {_STORE_SUFFIXES[seen.get(city, 0) % len(_STORE_SUFFIXES)]}")
        seen[city] = seen.get(city, 0) + 1
    opened = cal.epoch_day - rng.integers(200, 4000, count)
    frame = pl.DataFrame(
        {
            "store_id": _ids("S", 3, count),
            "store_name": names,
            "store_city": cities,
            "store_region": [regions[r] for r in region],
            "opening_date": pl.Series(opened, dtype=pl.Int32).cast(pl.Date).cast(pl.String),
        }
    )
    weight = rng.lognormal(0.0, 0.5, count)
    return _Stores(table=_text_table("stores", frame), weight=weight / weight.sum())


@dataclass(frozen=True, slots=True)
class _Products:
    """Products: category index, unit price in cents and popularity (0 = never sold)."""

    category: np.ndarray
    price: np.ndarray
    popularity: np.ndarray

    @property
    def count(self) -> int:
        """Returns the number of products."""
        return self.category.size


def _products(rng: np.random.Generator, count: int) -> _Products:
    """Returns ``count`` products: Zipf-like popularity, lognormal prices per category."""
    k = len(CATEGORIES)
    shares = np.array([c.share for c in CATEGORIES])
    category = np.concatenate([np.arange(k), rng.choice(k, count - k, p=shares)])
    low = np.log(np.array([c.low for c in CATEGORIES], dtype=float))[category]
    high = np.log(np.array([c.high for c in CATEGORIES], dtype=float))[category]
    raw = np.exp(rng.normal((low + high) / 2, (high - low) / 4))
    whole = np.clip(np.floor(raw), np.exp(low).round(), np.exp(high).round() - 1).astype(np.int64)
    price = whole * 100 + rng.choice(_PRICE_ENDINGS, count, p=_PRICE_ENDING_P)
    popularity = 1.0 / (rng.permutation(count) + 1.0) ** 0.9
    catalogue_only = (np.arange(count) >= k) & (rng.random(count) < _CATALOGUE_ONLY_SHARE)
    return _Products(
        category=category, price=price, popularity=np.where(catalogue_only, 0.0, popularity)
    )


def _product_names(rng: np.random.Generator, products: _Products) -> pl.Series:
    """Returns a plausible name per product, e.g. ``Organic Coffee 12``."""
    nouns = [np.asarray(c.nouns, dtype=object) for c in CATEGORIES]
    noun = np.empty(products.count, dtype=object)
    for index, options in enumerate(nouns):
        mine = products.category == index
        noun[mine] = options[rng.integers(0, options.size, int(mine.sum()))]
    adjective = np.asarray(_ADJECTIVES, dtype=object)[
        rng.integers(0, len(_ADJECTIVES), products.count)
    ]
    model = rng.integers(1, 100, products.count)
    return pl.select(
        pl.format(
            "{} {} {}",
            pl.Series(adjective, dtype=pl.String),
            pl.Series(noun, dtype=pl.String),
            pl.Series(model),
        )
    ).to_series()


def _products_table(
    rng: np.random.Generator, products: _Products, stock_total: np.ndarray
) -> LandingTable:
    """Returns the products landing table; never-sold products are flagged ``_blankable``."""
    category_names = pl.Series([c.name for c in CATEGORIES])
    frame = pl.DataFrame(
        {
            "product_id": _ids("P", 5, products.count),
            "product_name": _product_names(rng, products),
            "product_category": category_names.gather(products.category),
            "_price": products.price,
            "current_stock_level": pl.Series(stock_total).cast(pl.String),
            "_blankable": products.popularity == 0.0,
        }
    ).with_columns(money_text(pl.col("_price")).alias("unit_price"))
    return _text_table("products", frame)


@dataclass(frozen=True, slots=True)
class _Stock:
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


def _stock(rng: np.random.Generator, stores: _Stores, products: _Products) -> _Stock:
    """Returns the stock model: bigger stores and popular products hold more."""
    store_scale = 0.5 + stores.weight * stores.weight.size
    popular = 1.0 + 3.0 * products.popularity / products.popularity.max()
    base = rng.lognormal(2.3, 0.6, (stores.weight.size, products.count))
    capacity = np.round(4 + base * store_scale[:, None] * popular[None, :]).ravel()
    usage = capacity * rng.uniform(0.05, 0.2, capacity.size)
    phase = rng.integers(0, 7, capacity.size)
    return _Stock(
        capacity, usage, phase, stores.weight.size, products.count, products.popularity > 0
    )


def _inventory_table(stock: _Stock, days: Sequence[int], cal: _Calendar) -> LandingTable:
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
    return _typed_table("inventory", frame, text)


# --- customers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Customers:
    """Members (index ``i`` is ``C{i+1}``), ordered by enrolment.

    ``enroll`` is the enrolment day index (negative: before the window),
    ``first``/``last`` the days a member may shop (``active`` false: never),
    ``activity`` a heavy-tailed purchase rate, ``basket`` the Poisson mean of
    extra lines per basket, ``home`` the home store index and ``change_day``
    the day the member's email changes (-1: never).
    """

    enroll: np.ndarray
    first: np.ndarray
    last: np.ndarray
    active: np.ndarray
    dormant: np.ndarray
    activity: np.ndarray
    basket: np.ndarray
    home: np.ndarray
    change_day: np.ndarray

    @property
    def count(self) -> int:
        """Returns the number of members."""
        return self.enroll.size


def _customer_count(options: GeneratorOptions) -> int:
    """Returns the number of members: the option, or one per 30 lines (at least 50)."""
    return options.customers if options.customers is not None else max(50, options.lines // 30)


def _customers(rng: np.random.Generator, count: int, cal: _Calendar, stores: _Stores) -> _Customers:
    """Returns members enrolled over the years before and during the window; some churn."""
    days = cal.days
    before = rng.random(count) < _PRE_WINDOW_SHARE
    enroll = np.sort(
        np.where(
            before, -rng.integers(1, _ENROLLED_YEARS * 365 + 1, count), rng.integers(0, days, count)
        )
    )
    dormant = rng.random(count) < _DORMANT_SHARE
    churned = rng.random(count) < _CHURN_SHARE
    last = np.where(churned, days - 1 - rng.integers(35, 101, count), days - 1)
    first = np.maximum(enroll, 0)
    active = ~dormant & (last >= first)
    if not active.any():  # a tiny run where nobody could shop: nobody churns or sleeps
        last = np.full(count, days - 1)
        dormant = np.zeros(count, dtype=bool)
        active = np.ones(count, dtype=bool)
    activity = np.minimum(rng.lognormal(0.0, 0.9, count), _MAX_ACTIVITY)
    basket = _BASKET_EXTRA_LINES * rng.lognormal(-0.06, 0.35, count)
    home = rng.choice(stores.weight.size, count, p=stores.weight)
    change_day = _email_change_days(rng, (enroll < 0) & ~dormant, days)
    return _Customers(enroll, first, last, active, dormant, activity, basket, home, change_day)


def _email_change_days(rng: np.random.Generator, eligible: np.ndarray, days: int) -> np.ndarray:
    """Returns per member the day its email changes, -1 for most members."""
    candidates = np.flatnonzero(eligible)
    count = min(round(eligible.size * _EMAIL_CHANGE_SHARE), candidates.size)
    chosen = rng.choice(candidates, count, replace=False)
    change_day = np.full(eligible.size, -1, dtype=np.int64)
    change_day[chosen] = rng.integers(0, days, count)
    return change_day


def _loyalty_statuses(customers: _Customers) -> np.ndarray:
    """Returns the informational input tier of each member, by activity quantile."""
    quantile = np.argsort(np.argsort(customers.activity)) / customers.count
    status = np.select(
        [quantile >= 0.95, quantile >= 0.85, quantile >= 0.6],
        ["Platinum", "Gold", "Silver"],
        "Bronze",
    )
    return np.where(customers.dormant, "Bronze", status)


def _customers_table(
    rng: np.random.Generator, customers: _Customers, cal: _Calendar
) -> LandingTable:
    """Returns member rows: one per member, plus a row per email change.

    Hidden columns: ``_superseded_on`` (the day a later row replaces this
    one), ``_blankable`` (never shops, never changes) and ``_duplicable``.
    """
    n = customers.count
    first_names = np.asarray(_FIRST_NAMES, dtype=object)[rng.integers(0, len(_FIRST_NAMES), n)]
    last_names = np.asarray(_LAST_NAMES, dtype=object)[rng.integers(0, len(_LAST_NAMES), n)]
    domains = np.asarray(_EMAIL_DOMAINS, dtype=object)[rng.choice(3, n, p=[0.7, 0.2, 0.1])]
    members = pl.DataFrame(
        {
            "_cust": np.arange(1, n + 1),
            "first_name": pl.Series(first_names, dtype=pl.String),
            "last_name": pl.Series(last_names, dtype=pl.String),
            "_domain": pl.Series(domains, dtype=pl.String),
            "_has_email": rng.random(n) >= 0.03,
            "_phone": rng.integers(0, 1000, n),
            "_has_phone": rng.random(n) >= 0.1,
            "_enroll": customers.enroll,
            "loyalty_status": pl.Series(_loyalty_statuses(customers), dtype=pl.String),
            "_change_day": customers.change_day,
            "_dormant": customers.dormant,
        }
    )
    local = pl.concat_str(pl.col("first_name"), pl.lit("."), pl.col("last_name")).str.to_lowercase()
    repeat = pl.col("_cust").cum_count().over("first_name", "last_name")
    suffix = pl.when(repeat > 1).then(repeat.cast(pl.String)).otherwise(pl.lit(""))
    members = members.with_columns(
        id_text("C", 7, "_cust").alias("customer_id"),
        pl.when("_has_email").then(local + suffix + "@" + pl.col("_domain")).alias("email"),
        pl.when("_has_phone")
        .then(pl.lit("+44 7700 900") + pl.col("_phone").cast(pl.String).str.zfill(3))
        .alias("phone"),
        cal.date_text("_enroll").alias("enrollment_date"),
        pl.lit(0, pl.Int8).alias("_version"),
        pl.col("_enroll").alias(DAY),
        pl.when(pl.col("_change_day") >= 0).then(pl.col("_change_day")).alias("_superseded_on"),
        (pl.col("_dormant") & (pl.col("_change_day") < 0)).alias("_blankable"),
        (pl.col("_change_day") < 0).alias("_duplicable"),
    )
    changed = members.filter(pl.col("_change_day") >= 0).with_columns(
        pl.format("{}.{}@example.net", local, pl.col("_cust")).alias("email"),
        pl.lit(1, pl.Int8).alias("_version"),
        pl.col("_change_day").alias(DAY),
        pl.lit(None, pl.Int64).alias("_superseded_on"),
        pl.lit(False).alias("_blankable"),
        pl.lit(False).alias("_duplicable"),
    )
    spec = LANDING_FILES["customers"]
    hidden = [DAY, "_superseded_on", "_blankable", "_duplicable"]
    rows = pl.concat([members, changed]).sort("_cust", "_version").select(*spec.columns, *hidden)
    return _text_table("customers", rows)


# --- promotions and rules ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Promotions:
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


def _promotions(rng: np.random.Generator, cal: _Calendar) -> _Promotions:
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
    return _Promotions(
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


def _promotions_table(promos: _Promotions, cal: _Calendar) -> LandingTable:
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
            "promotion_id": _ids("PR", 3, promos.start.size),
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
    return _text_table("promotions", frame)


def _rules_table(cal: _Calendar) -> LandingTable:
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
    return _text_table("loyalty_rules", frame)


# --- sales ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Baskets:
    """Transactions (per-transaction arrays) and their lines (per-line arrays).

    The lines of transaction ``i`` are ``start[i] : start[i] + size[i]``.
    ``buyer`` is a member index or -1 (guest); ``original`` is, for a RETURN,
    the index of the sale it returns (-1 for sales). Money is in cents.
    """

    buyer: np.ndarray
    store: np.ndarray
    day: np.ndarray
    second: np.ndarray
    original: np.ndarray
    size: np.ndarray
    product: np.ndarray
    promotion: np.ndarray
    quantity: np.ndarray
    price: np.ndarray
    discount: np.ndarray
    amount: np.ndarray

    @property
    def start(self) -> np.ndarray:
        """Returns the index of each transaction's first line."""
        return np.cumsum(self.size) - self.size


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Returns the concatenation of ``arange(s, s + n)`` over ``starts`` and ``lengths``."""
    offsets = np.cumsum(lengths) - lengths
    return np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))


def _sale_line_target(options: GeneratorOptions) -> int:
    """Returns how many sale lines to draw so that sale plus return lines ≈ ``lines``."""
    return max(1, round(options.lines / (1 + _RETURN_LINES_PER_SALE_LINE * options.return_share)))


def _traffic(cal: _Calendar, promos: _Promotions) -> np.ndarray:
    """Returns the relative number of baskets per day: weekends, promotions, a slight trend."""
    trend = 1.0 + 0.1 * np.arange(cal.days) / max(cal.days - 1, 1)
    promoted = np.where(promos.storewide, 1.2, 1.0) * np.where(promos.lifted.any(axis=1), 1.05, 1.0)
    return _DOW_TRAFFIC[cal.weekday] * trend * promoted


def _window_traffic(first: np.ndarray, last: np.ndarray, cumulative: np.ndarray) -> np.ndarray:
    """Returns the traffic summed over each ``first..last`` window (0 when empty)."""
    top = cumulative[np.clip(last, 0, cumulative.size - 1)]
    base = np.where(first > 0, cumulative[np.clip(first - 1, 0, None)], 0.0)
    return np.where(last >= first, top - base, 0.0)


def _buyers(
    rng: np.random.Generator,
    count: int,
    guest_share: float,
    customers: _Customers,
    cumulative: np.ndarray,
) -> np.ndarray:
    """Returns the member index (-1 = guest) of each transaction, heavy-tailed per member."""
    weight = customers.activity * _window_traffic(customers.first, customers.last, cumulative)
    weight = np.where(customers.active, weight, 0.0)
    guests = round(count * guest_share) if weight.sum() > 0 else count
    members = np.zeros(0, dtype=np.int64)
    if guests < count:
        members = rng.choice(customers.count, count - guests, p=weight / weight.sum())
    return np.concatenate([members, np.full(guests, -1, dtype=np.int64)])


def _purchase_days(
    rng: np.random.Generator, buyer: np.ndarray, customers: _Customers, cumulative: np.ndarray
) -> np.ndarray:
    """Returns each transaction's day by inverse-CDF sampling of traffic in the buyer's window."""
    member = buyer >= 0
    low = np.where(member, customers.first[buyer], 0)
    high = np.where(member, customers.last[buyer], cumulative.size - 1)
    base = np.where(low > 0, cumulative[np.clip(low - 1, 0, None)], 0.0)
    u = base + rng.random(buyer.size) * (cumulative[high] - base)
    return np.clip(np.searchsorted(cumulative, u, side="right"), low, high)


def _shop_stores(
    rng: np.random.Generator, buyer: np.ndarray, customers: _Customers, stores: _Stores
) -> np.ndarray:
    """Returns each transaction's store: mostly the member's home store."""
    at_home = (buyer >= 0) & (rng.random(buyer.size) < _HOME_STORE_SHARE)
    elsewhere = rng.choice(stores.weight.size, buyer.size, p=stores.weight)
    return np.where(at_home, customers.home[buyer], elsewhere)


def _shop_seconds(rng: np.random.Generator, weekday: np.ndarray) -> np.ndarray:
    """Returns seconds after midnight within opening hours (Sun 10-16, else 8-22), midday peak."""
    sunday = weekday == 6
    opens = np.where(sunday, 10, 8) * 3600
    span = np.where(sunday, 6, 14) * 3600
    peak = (rng.random(weekday.size) + rng.random(weekday.size)) / 2
    return opens + np.floor(peak * span).astype(np.int64)


def _basket_sizes(rng: np.random.Generator, extra_lines: np.ndarray, target: int) -> np.ndarray:
    """Returns 1 + Poisson lines per basket, nudged so they sum to exactly ``target``."""
    size = 1 + rng.poisson(extra_lines)
    surplus = int(size.sum()) - target
    if surplus > 0:
        extra = np.repeat(np.arange(size.size), size - 1)
        dropped = rng.choice(extra.size, surplus, replace=False)
        size -= np.bincount(extra[dropped], minlength=size.size)
    elif surplus < 0:
        size += np.bincount(rng.integers(0, size.size, -surplus), minlength=size.size)
    return size


def _category_cumulative(promos: _Promotions) -> np.ndarray:
    """Returns per day the cumulative category shares of lines, promoted categories lifted."""
    shares = np.array([c.share for c in CATEGORIES])[None, :] * np.where(
        promos.lifted, _PROMO_LIFT, 1.0
    )
    return np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)


def _line_categories(
    rng: np.random.Generator, line_day: np.ndarray, cumulative: np.ndarray
) -> np.ndarray:
    """Returns each line's category drawn from its day's category shares."""
    u = rng.random(line_day.size)
    category = np.zeros(line_day.size, dtype=np.int64)
    for k in range(cumulative.shape[1] - 1):
        category += u >= cumulative[line_day, k]
    return category


def _line_products(
    rng: np.random.Generator, category: np.ndarray, products: _Products
) -> np.ndarray:
    """Returns each line's product, by popularity within the line's category."""
    order = np.argsort(products.category, kind="stable")
    weight = products.popularity[order]
    grouped = products.category[order]
    cumulative = np.cumsum(weight)
    first = np.searchsorted(grouped, np.arange(len(CATEGORIES)), side="left")
    before = np.where(first > 0, cumulative[np.clip(first - 1, 0, None)], 0.0)
    total = np.bincount(grouped, weights=weight, minlength=len(CATEGORIES))
    last_sold = np.array(
        [np.flatnonzero((grouped == k) & (weight > 0)).max() for k in range(len(CATEGORIES))]
    )
    u = before[category] + rng.random(category.size) * total[category]
    position = np.minimum(np.searchsorted(cumulative, u, side="right"), last_sold[category])
    return order[position]


def _line_promotions(
    rng: np.random.Generator, line_day: np.ndarray, category: np.ndarray, promos: _Promotions
) -> np.ndarray:
    """Returns each line's promotion index (-1: none): most lines of a promoted category."""
    promotion = promos.active[line_day, category]
    used = (promotion >= 0) & (rng.random(line_day.size) < _PROMO_LINE_SHARE)
    return np.where(used, promotion, -1)


def _line_amounts(price: np.ndarray, quantity: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """Returns price × quantity × (1 − discount %) in cents, rounded half up, in integers."""
    return (price * quantity * (100 - discount) + 50) // 100


def _sale_baskets(
    rng: np.random.Generator,
    options: GeneratorOptions,
    cal: _Calendar,
    stores: _Stores,
    products: _Products,
    customers: _Customers,
    promos: _Promotions,
) -> _Baskets:
    """Returns the sales of the window (no returns yet) in date-time order."""
    target = _sale_line_target(options)
    count = int(np.clip(round(target / _MEAN_BASKET), 1, target))
    cumulative = np.cumsum(_traffic(cal, promos))
    buyer = _buyers(rng, count, options.guest_share, customers, cumulative)
    day = _purchase_days(rng, buyer, customers, cumulative)
    store = _shop_stores(rng, buyer, customers, stores)
    second = _shop_seconds(rng, cal.weekday[day])
    order = np.lexsort((second, day))
    buyer, store, day, second = buyer[order], store[order], day[order], second[order]
    size = _basket_sizes(
        rng, np.where(buyer >= 0, customers.basket[buyer], _GUEST_EXTRA_LINES), target
    )
    line_day = np.repeat(day, size)
    category = _line_categories(rng, line_day, _category_cumulative(promos))
    product = _line_products(rng, category, products)
    promotion = _line_promotions(rng, line_day, category, promos)
    del line_day, category
    quantity = rng.choice(
        np.arange(1, _QUANTITY_P.size + 1, dtype=np.int32), size.sum(), p=_QUANTITY_P
    )
    price = products.price[product]
    discount = np.where(promotion >= 0, promos.discount[promotion], 0).astype(np.int32)
    return _Baskets(
        buyer=buyer,
        store=store,
        day=day,
        second=second,
        original=np.full(count, -1, dtype=np.int64),
        size=size,
        product=product.astype(np.int32),
        promotion=promotion.astype(np.int32),
        quantity=quantity,
        price=price,
        discount=discount,
        amount=_line_amounts(price, quantity, discount),
    )


@dataclass(frozen=True, slots=True)
class _Returns:
    """RETURN transactions of sales: which sale, when, and which of its lines.

    ``line`` holds, for every returned line in order, the index of the sale
    line it gives back; return ``i`` owns ``size[i]`` consecutive entries.
    """

    sale: np.ndarray
    day: np.ndarray
    second: np.ndarray
    size: np.ndarray
    line: np.ndarray


def _returns(rng: np.random.Generator, sales: _Baskets, share: float, cal: _Calendar) -> _Returns:
    """Returns RETURNs of about ``share`` of the sales, 1-30 days later (not after the end).

    A return gives back one line or all lines of its sale with the same
    quantities and amounts, at the same store, for the same customer.
    """
    candidates = np.flatnonzero(sales.day <= cal.days - 2)
    count = min(round(share * sales.day.size), candidates.size)
    sale = np.sort(rng.choice(candidates, count, replace=False))
    latest = np.minimum(30, cal.days - 1 - sales.day[sale])
    day = sales.day[sale] + rng.integers(1, latest + 1)
    one_line = rng.random(count) < _RETURN_ONE_LINE_SHARE
    pick = np.floor(rng.random(count) * sales.size[sale]).astype(np.int64)
    size = np.where(one_line, 1, sales.size[sale])
    line = _ranges(sales.start[sale] + np.where(one_line, pick, 0), size)
    second = _shop_seconds(rng, cal.weekday[day])
    return _Returns(sale=sale, day=day, second=second, size=size, line=line)


def _in_time_order(sales: _Baskets, returns: _Returns) -> _Baskets:
    """Returns sales and returns as one set of transactions sorted by date-time.

    Transaction ids follow this order, so a RETURN always comes after its sale.
    """
    sale_lines = sales.amount.size

    def both(sold: np.ndarray, returned: np.ndarray) -> np.ndarray:
        return np.concatenate([sold, returned])

    day = both(sales.day, returns.day)
    second = both(sales.second, returns.second)
    size = both(sales.size, returns.size)
    start = both(sales.start, sale_lines + np.cumsum(returns.size) - returns.size)
    order = np.lexsort((second, day))
    position = np.empty_like(order)
    position[order] = np.arange(order.size)
    original = both(sales.original, returns.sale)[order]
    source = both(np.arange(sale_lines), returns.line)[_ranges(start[order], size[order])]
    return _Baskets(
        buyer=both(sales.buyer, sales.buyer[returns.sale])[order],
        store=both(sales.store, sales.store[returns.sale])[order],
        day=day[order],
        second=second[order],
        original=np.where(original >= 0, position[original], -1),
        size=size[order],
        product=sales.product[source],
        promotion=sales.promotion[source],
        quantity=sales.quantity[source],
        price=sales.price[source],
        discount=sales.discount[source],
        amount=sales.amount[source],
    )


def _positive_or_null(column: str) -> pl.Expr:
    """Returns ``column`` with values ≤ 0 as null (1-based ids where 0 means none)."""
    return pl.when(pl.col(column) > 0).then(pl.col(column)).alias(column)


def _sales_tables(baskets: _Baskets, cal: _Calendar) -> tuple[LandingTable, LandingTable]:
    """Returns the sales_header and sales_lines tables of transactions in time order.

    Header hidden columns: ``_eligible`` (a SALE without a RETURN) and
    ``_n_lines``; lines keep ``_price`` and ``_discount`` to recompute amounts.
    """
    count = baskets.day.size
    start = baskets.start
    is_return = baskets.original >= 0
    returned = np.zeros(count, dtype=bool)
    returned[baskets.original[is_return]] = True
    micros = ((cal.epoch_day + baskets.day.astype(np.int64)) * 86_400 + baskets.second) * 1_000_000
    header = pl.DataFrame(
        {
            DAY: baskets.day.astype(np.int32),
            "_tx": np.arange(1, count + 1, dtype=np.int64),
            "_customer": baskets.buyer + 1,
            "_store": (baskets.store + 1).astype(np.int32),
            "_ts": pl.Series(micros, dtype=pl.Int64).cast(pl.Datetime("us")),
            "_total": np.add.reduceat(baskets.amount, start)
            if count
            else np.zeros(0, dtype=np.int64),
            "_is_return": is_return,
            "_original": baskets.original + 1,
            "_eligible": ~is_return & ~returned,
            "_n_lines": baskets.size.astype(np.int32),
        }
    ).with_columns(_positive_or_null("_customer"), _positive_or_null("_original"))
    lines = pl.DataFrame(
        {
            DAY: np.repeat(baskets.day, baskets.size).astype(np.int32),
            "_tx": np.repeat(np.arange(1, count + 1, dtype=np.int64), baskets.size),
            "_line": (_ranges(np.zeros(count, dtype=np.int64), baskets.size) + 1).astype(np.int32),
            "_product": (baskets.product + 1).astype(np.int32),
            "_promotion": (baskets.promotion + 1).astype(np.int32),
            "_qty": baskets.quantity.astype(np.int32),
            "_cents": baskets.amount.astype(np.int64),
            "_price": baskets.price.astype(np.int64),
            "_discount": baskets.discount.astype(np.int32),
        }
    ).with_columns(_positive_or_null("_promotion"))
    header_text = {
        "transaction_id": id_text("T", 9, "_tx"),
        "customer_id": id_text("C", 7, "_customer"),
        "store_id": id_text("S", 3, "_store"),
        "transaction_date": pl.col("_ts").dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "total_amount": money_text(pl.col("_total")),
        "transaction_type": pl.when(pl.col("_is_return"))
        .then(pl.lit("RETURN"))
        .otherwise(pl.lit("SALE")),
        "original_transaction_id": id_text("T", 9, "_original"),
    }
    lines_text = {
        "line_item_id": pl.col("_line").cast(pl.String),
        "transaction_id": id_text("T", 9, "_tx"),
        "product_id": id_text("P", 5, "_product"),
        "promotion_id": id_text("PR", 3, "_promotion"),
        "quantity": pl.col("_qty").cast(pl.String),
        "line_item_amount": money_text(pl.col("_cents")),
    }
    return _typed_table("sales_header", header, header_text), _typed_table(
        "sales_lines", lines, lines_text
    )


# --- redemptions ------------------------------------------------------------------------


def _redemption_draws(
    rng: np.random.Generator, customers: _Customers, cal: _Calendar
) -> pl.DataFrame:
    """Returns the random choices of the members who try to redeem (about a quarter)."""
    n = customers.count
    return pl.DataFrame(
        {
            "_customer": np.arange(1, n + 1, dtype=np.int64),
            "_redeems": rng.random(n) < _REDEEMER_SHARE,
            "_first_day": rng.integers(min(30, cal.days - 1), cal.days, n),
            "_fraction": rng.uniform(0.25, 1.0, n),
            "_twice": rng.random(n) < _TWICE_SHARE,
            "_split": rng.random(n),
            "_gap": rng.random(n),
            "_store": (customers.home + 1).astype(np.int32),
        }
    ).filter(pl.col("_redeems"))


def _redeemable_units(
    draws: pl.DataFrame, header: pl.DataFrame, corrupted: np.ndarray
) -> pl.DataFrame:
    """Returns per drawn member the number of 50-point units it may redeem in total.

    The bound holds under rule R001 alone: half of (net spend in the 300 days
    before the first redemption − one unit per line), counting only clean
    sales and subtracting every return of them, in integer cents.
    """
    returned = (
        header.filter(pl.col("_is_return"))
        .group_by("_original")
        .agg(pl.col("_total").sum().alias("_returned"))
        .rename({"_original": "_tx"})
    )
    sales = (
        header.filter(~pl.col("_is_return") & pl.col("_customer").is_not_null())
        .join(pl.DataFrame({ORD: corrupted}, schema={ORD: pl.Int64}), on=ORD, how="anti")
        .select("_tx", "_customer", DAY, "_total", "_n_lines")
        .join(returned, on="_tx", how="left")
    )
    net = pl.col("_total") - pl.col("_returned").fill_null(0) - 100 * pl.col("_n_lines")
    window = pl.col(DAY).is_between(
        pl.col("_first_day") - _REDEMPTION_LOOKBACK, pl.col("_first_day") - 1
    )
    budget = (
        draws.select("_customer", "_first_day")
        .join(sales, on="_customer")
        .filter(window)
        .group_by("_customer")
        .agg(net.sum().alias("_net_cents"))
    )
    units = (
        (pl.col("_net_cents") // (2 * 100 * _POINTS_STEP) * pl.col("_fraction"))
        .floor()
        .cast(pl.Int64)
    )
    return (
        draws.join(budget, on="_customer")
        .with_columns(units.alias("_units"))
        .filter(pl.col("_units") >= 1)
    )


def _over_balance_points(header: pl.DataFrame) -> pl.DataFrame:
    """Returns per member a points amount no balance can reach (≥ 1,000,000).

    Any balance is at most 6 points per unit spent (rate 2.0 × multiplier 3)
    plus 50 bonus points per sale; ten times that is out of reach.
    """
    lifetime = (
        header.filter(~pl.col("_is_return") & pl.col("_customer").is_not_null())
        .group_by("_customer")
        .agg((pl.col("_total").sum() // 100).alias("_spend"), pl.len().alias("_sales"))
    )
    reach = 10 * (6 * pl.col("_spend") + 50 * pl.col("_sales"))
    return lifetime.select(
        "_customer", pl.max_horizontal((reach // 1000 + 1) * 1000, pl.lit(1_000_000)).alias("_over")
    )


def _redemptions_table(
    rng: np.random.Generator,
    customers: _Customers,
    cal: _Calendar,
    header: pl.DataFrame,
    corrupted: np.ndarray,
) -> LandingTable:
    """Returns redemptions covered by the redeeming member's clean points balance.

    A member redeems once or twice (within 30 days), in multiples of 50
    points; ``_over`` is kept for over-balance anomalies.
    """
    allowed = _redeemable_units(_redemption_draws(rng, customers, cal), header, corrupted)
    last_day = cal.days - 1
    twice = pl.col("_twice") & (pl.col("_units") >= 2) & (pl.col("_first_day") < last_day)
    first_units = pl.when(twice).then(
        1 + (pl.col("_split") * (pl.col("_units") - 1)).floor().cast(pl.Int64)
    )
    gap = 1 + (
        pl.col("_gap")
        * pl.min_horizontal(pl.lit(_REDEMPTION_SPREAD), last_day - pl.col("_first_day"))
    )
    allowed = allowed.with_columns(
        first_units.otherwise(pl.col("_units")).alias("_first_units"),
        (pl.col("_first_day") + gap.floor().cast(pl.Int64)).alias("_second_day"),
        twice.alias("_twice"),
    )
    first = allowed.select(
        "_customer",
        "_store",
        pl.col("_first_day").alias(DAY),
        pl.col("_first_units").alias("_units"),
        pl.lit(0).alias("_seq"),
    )
    second = allowed.filter("_twice").select(
        "_customer",
        "_store",
        pl.col("_second_day").alias(DAY),
        (pl.col("_units") - pl.col("_first_units")).alias("_units"),
        pl.lit(1).alias("_seq"),
    )
    frame = (
        pl.concat([first, second])
        .sort(DAY, "_customer", "_seq")
        .join(_over_balance_points(header), on="_customer", how="left", maintain_order="left")
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("_id"),
            pl.col(DAY).cast(pl.Int32),
            (pl.col("_units") * _POINTS_STEP).alias("_points"),
        )
    )
    text = {
        "redemption_id": id_text("RD", 7, "_id"),
        "customer_id": id_text("C", 7, "_customer"),
        "redemption_date": cal.date_text(DAY),
        "points_redeemed": pl.col("_points").cast(pl.String),
        "store_id": id_text("S", 3, "_store"),
    }
    return _typed_table("redemptions", frame, text)


# --- the history ------------------------------------------------------------------------


def _history(
    options: GeneratorOptions, cal: _Calendar, stock_day: int
) -> tuple[dict[str, LandingTable], _Stock]:
    """Returns every landing table but inventory (corrupted) and the stock model.

    ``stock_day`` is the day whose stock the products' current_stock_level shows.
    """
    rng = _rngs(options.seed)
    stores = _stores(rng["stores"], options.stores, cal)
    products = _products(rng["products"], options.products)
    stock = _stock(rng["stock"], stores, products)
    customers = _customers(rng["customers"], _customer_count(options), cal, stores)
    promos = _promotions(rng["promotions"], cal)
    sales = _sale_baskets(rng["sales"], options, cal, stores, products, customers, promos)
    baskets = _in_time_order(sales, _returns(rng["returns"], sales, options.return_share, cal))
    del sales
    header, lines = _sales_tables(baskets, cal)
    del baskets
    clean_header = header.frame
    header, lines, corrupted = corrupt_sales(
        header, lines, options.anomalies, rng["sales_anomalies"], end_date=options.end_date
    )
    redemptions = _redemptions_table(rng["redemptions"], customers, cal, clean_header, corrupted)
    del clean_header
    stock_total = stock.levels([stock_day]).reshape(stock.stores, stock.products).sum(axis=0)
    masters = rng["master_anomalies"]
    tables = {
        "stores": stores.table,
        "products": corrupt_products(
            _products_table(rng["products"], products, stock_total), options.anomalies, masters
        ),
        "customers": corrupt_customers(
            _customers_table(rng["customers"], customers, cal), options.anomalies, masters
        ),
        "promotions": _promotions_table(promos, cal),
        "loyalty_rules": _rules_table(cal),
        "sales_header": header,
        "sales_lines": lines,
        "redemptions": corrupt_redemptions(redemptions, options.anomalies, masters),
    }
    return tables, stock


# --- writing ----------------------------------------------------------------------------


def _ensure_writable(root: Path, spans: Iterable[_BatchSpan]) -> None:
    """Raises ConfigError if ``root`` is a file or a batch folder exists and is not empty."""
    if root.exists() and not root.is_dir():
        raise ConfigError(
            f"Output path {root} exists and is not a folder.",
            hint="Pass a folder path as out_dir.",
        )
    for span in spans:
        folder = root / span.batch_id
        if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
            raise ConfigError(
                f"Batch folder {folder} already exists and is not empty; refusing to overwrite it.",
                hint=f"Generate into an empty folder, or delete {folder} first.",
            )


def _make_private_folder(folder: Path) -> None:
    """Create ``folder`` owner-only (0o700, whatever the umask); leave an existing one as it is."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(folder, 0o700)


def _batch_rows(table: LandingTable, span: _BatchSpan) -> pl.LazyFrame:
    """Returns the rows of ``table`` that belong to ``span``'s batch, in file order."""
    keep = pl.col(DAY).is_between(span.first_day, span.last_day)
    if "_superseded_on" in table.frame.columns:
        keep &= pl.col("_superseded_on").is_null() | (pl.col("_superseded_on") > span.last_day)
    return table.frame.lazy().filter(keep)


def _should_write(table: LandingTable, span: _BatchSpan, rows: int) -> bool:
    """Whether a batch gets this file: never empty, except sales files and first-load masters."""
    return (
        rows > 0 or table.spec.name in REQUIRED_FILES or (span.is_first and not table.spec.is_fact)
    )


def _batch_truth(table: LandingTable, rows: pl.LazyFrame) -> pl.DataFrame:
    """Returns the ground-truth rows of one written file, numbered as written."""
    return (
        rows.select(ORD, DUP)
        .with_row_index("row_number", offset=1)
        .join(table.truth.lazy(), on=[ORD, DUP], how="inner")
        .sort("row_number")
        .select(
            pl.lit(table.spec.filename).alias("file"),
            pl.col("row_number").cast(pl.Int64),
            *GROUND_TRUTH_COLUMNS[2:],
        )
        .collect()
    )


def _empty_truth() -> pl.DataFrame:
    """Returns an empty ground-truth frame."""
    schema = dict.fromkeys(GROUND_TRUTH_COLUMNS, pl.String) | {"row_number": pl.Int64}
    return pl.DataFrame(schema=schema).select(GROUND_TRUTH_COLUMNS)


def _write_batches(
    root: Path,
    spans: Sequence[_BatchSpan],
    tables: Mapping[str, LandingTable],
    stock: _Stock,
    cal: _Calendar,
    report: Progress,
) -> tuple[GeneratedBatch, ...]:
    """Returns the batches after writing their files and ground truth, oldest first."""
    plan: list[tuple[_BatchSpan, LandingTable, int]] = []
    for span in spans:
        batch_tables = {**tables, "inventory": _inventory_table(stock, span.inventory_days, cal)}
        for name in LANDING_FILES:
            table = batch_tables[name]
            rows = _batch_rows(table, span).select(pl.len()).collect().item()
            if _should_write(table, span, rows):
                plan.append((span, table, rows))
    total = len(plan) + len(spans)
    done = 0
    batches = []
    _make_private_folder(root)
    for span in spans:
        folder = root / span.batch_id
        _make_private_folder(folder)
        counts: dict[str, int] = {}
        truths = [_empty_truth()]
        for table_span, table, rows in plan:
            if table_span is not span:
                continue
            report(f"Writing {span.batch_id}/{table.spec.filename}", done, total)
            batch_rows = _batch_rows(table, span)
            table.written(batch_rows).sink_csv(folder / table.spec.filename)
            if table.truth.height:
                truths.append(_batch_truth(table, batch_rows))
            counts[table.spec.name] = rows
            done += 1
        truth = pl.concat(truths)
        report(f"Writing {span.batch_id}/{GROUND_TRUTH_FILE}", done, total)
        truth.write_csv(folder / GROUND_TRUTH_FILE)
        done += 1
        logger.debug("Wrote batch %s: %s, %d anomalies", span.batch_id, counts, truth.height)
        batches.append(
            GeneratedBatch(span.batch_id, folder, MappingProxyType(counts), truth.height)
        )
    report("Done", total, total)
    return tuple(batches)


def generate(
    out_dir: str | Path,
    options: GeneratorOptions | None = None,
    *,
    progress: Progress | None = None,
) -> GeneratedDataset:
    """Returns the dataset written to ``out_dir``: one folder of landing CSVs per batch.

    Each batch folder is named by the ISO date of its last day and holds the
    contract files plus ``_ground_truth.csv``. Raises ConfigError for invalid
    options or when a batch folder already exists and is not empty.
    """
    options = GeneratorOptions() if options is None else options
    _validate(options)
    report = no_progress if progress is None else progress
    root = Path(out_dir)
    cal = _Calendar(start=options.end_date - timedelta(days=options.days - 1), days=options.days)
    spans = _batch_spans(options, cal)
    _ensure_writable(root, spans)
    logger.info(
        "Generating about %d sales lines over %d days (%s..%s) in %d batch(es) into %s",
        options.lines,
        options.days,
        cal.start,
        options.end_date,
        len(spans),
        root,
    )
    report("Generating history", 0, None)
    tables, stock = _history(options, cal, spans[0].last_day)
    batches = _write_batches(root, spans, tables, stock, cal, report)
    logger.info(
        "Wrote %d batch(es) with %d injected anomalies",
        len(batches),
        sum(b.anomalies for b in batches),
    )
    return GeneratedDataset(root=root, batches=batches, options=options)
