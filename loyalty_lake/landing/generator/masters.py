"""Stores, products and members: the master data and the behaviour that drives sales."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.landing.generator.reference import (
    ADJECTIVES,
    CATEGORIES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    REGIONS,
    STORE_SUFFIXES,
)
from loyalty_lake.landing.generator.tables import (
    DAY,
    LandingTable,
    id_text,
    ids,
    money_text,
    text_table,
)

if TYPE_CHECKING:
    from loyalty_lake.landing.generator.options import GeneratorOptions
    from loyalty_lake.landing.generator.window import Calendar


_PRICE_ENDINGS: Final = np.array([99, 49, 0, 95, 29])
_PRICE_ENDING_P: Final = np.array([0.45, 0.2, 0.15, 0.1, 0.1])
_CATALOGUE_ONLY_SHARE: Final = 0.03  # products that are listed but never sold

_PRE_WINDOW_SHARE: Final = 0.75  # members who enrolled before the window
_ENROLLED_YEARS: Final = 5
_DORMANT_SHARE: Final = 0.08  # members who never shop
_CHURN_SHARE: Final = 0.2  # members who stop shopping 35-100 days before the end
_EMAIL_CHANGE_SHARE: Final = 0.02
_MAX_ACTIVITY: Final = 8.0  # cap of the lognormal purchase rate (median 1): no 2-a-day shoppers
_BASKET_EXTRA_LINES: Final = 2.3  # mean Poisson extra lines of a member's basket


# --- stores and products ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stores:
    """Stores: their landing table and relative size (sums to 1)."""

    table: LandingTable
    weight: np.ndarray


def stores(rng: np.random.Generator, count: int, cal: Calendar) -> Stores:
    """Returns ``count`` stores spread over the regions, every region used first."""
    regions = list(REGIONS)
    region = np.where(
        np.arange(count) < len(regions),
        np.arange(count) % len(regions),
        rng.integers(0, len(regions), count),
    )
    city_pick = rng.random(count)
    cities = [
        REGIONS[regions[r]][int(u * len(REGIONS[regions[r]]))]
        for r, u in zip(region, city_pick, strict=True)
    ]
    seen: dict[str, int] = {}
    names = []
    for city in cities:  # a few hundred stores at most
        names.append(f"{city} {STORE_SUFFIXES[seen.get(city, 0) % len(STORE_SUFFIXES)]}")
        seen[city] = seen.get(city, 0) + 1
    opened = cal.epoch_day - rng.integers(200, 4000, count)
    frame = pl.DataFrame(
        {
            "store_id": ids("S", 3, count),
            "store_name": names,
            "store_city": cities,
            "store_region": [regions[r] for r in region],
            "opening_date": pl.Series(opened, dtype=pl.Int32).cast(pl.Date).cast(pl.String),
        }
    )
    weight = rng.lognormal(0.0, 0.5, count)
    return Stores(table=text_table("stores", frame), weight=weight / weight.sum())


@dataclass(frozen=True, slots=True)
class Products:
    """Products: category index, unit price in cents and popularity (0 = never sold)."""

    category: np.ndarray
    price: np.ndarray
    popularity: np.ndarray

    @property
    def count(self) -> int:
        """Returns the number of products."""
        return self.category.size


def products(rng: np.random.Generator, count: int) -> Products:
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
    return Products(
        category=category, price=price, popularity=np.where(catalogue_only, 0.0, popularity)
    )


def _product_names(rng: np.random.Generator, products: Products) -> pl.Series:
    """Returns a plausible name per product, e.g. ``Organic Coffee 12``."""
    nouns = [np.asarray(c.nouns, dtype=object) for c in CATEGORIES]
    noun = np.empty(products.count, dtype=object)
    for index, options in enumerate(nouns):
        mine = products.category == index
        noun[mine] = options[rng.integers(0, options.size, int(mine.sum()))]
    adjective = np.asarray(ADJECTIVES, dtype=object)[
        rng.integers(0, len(ADJECTIVES), products.count)
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


def products_table(
    rng: np.random.Generator, products: Products, stock_total: np.ndarray
) -> LandingTable:
    """Returns the products landing table; never-sold products are flagged ``_blankable``."""
    category_names = pl.Series([c.name for c in CATEGORIES])
    frame = pl.DataFrame(
        {
            "product_id": ids("P", 5, products.count),
            "product_name": _product_names(rng, products),
            "product_category": category_names.gather(products.category),
            "_price": products.price,
            "current_stock_level": pl.Series(stock_total).cast(pl.String),
            "_blankable": products.popularity == 0.0,
        }
    ).with_columns(money_text(pl.col("_price")).alias("unit_price"))
    return text_table("products", frame)


# --- customers --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Customers:
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


def customer_count(options: GeneratorOptions) -> int:
    """Returns the number of members: the option, or one per 30 lines (at least 50)."""
    return options.customers if options.customers is not None else max(50, options.lines // 30)


def customers(rng: np.random.Generator, count: int, cal: Calendar, stores: Stores) -> Customers:
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
    return Customers(enroll, first, last, active, dormant, activity, basket, home, change_day)


def _email_change_days(rng: np.random.Generator, eligible: np.ndarray, days: int) -> np.ndarray:
    """Returns per member the day its email changes, -1 for most members."""
    candidates = np.flatnonzero(eligible)
    count = min(round(eligible.size * _EMAIL_CHANGE_SHARE), candidates.size)
    chosen = rng.choice(candidates, count, replace=False)
    change_day = np.full(eligible.size, -1, dtype=np.int64)
    change_day[chosen] = rng.integers(0, days, count)
    return change_day


def _loyalty_statuses(customers: Customers) -> np.ndarray:
    """Returns the informational input tier of each member, by activity quantile."""
    quantile = np.argsort(np.argsort(customers.activity)) / customers.count
    status = np.select(
        [quantile >= 0.95, quantile >= 0.85, quantile >= 0.6],
        ["Platinum", "Gold", "Silver"],
        "Bronze",
    )
    return np.where(customers.dormant, "Bronze", status)


def customers_table(rng: np.random.Generator, customers: Customers, cal: Calendar) -> LandingTable:
    """Returns member rows: one per member, plus a row per email change.

    Hidden columns: ``_superseded_on`` (the day a later row replaces this
    one), ``_blankable`` (never shops, never changes) and ``_duplicable``.
    """
    n = customers.count
    first_names = np.asarray(FIRST_NAMES, dtype=object)[rng.integers(0, len(FIRST_NAMES), n)]
    last_names = np.asarray(LAST_NAMES, dtype=object)[rng.integers(0, len(LAST_NAMES), n)]
    domains = np.asarray(EMAIL_DOMAINS, dtype=object)[rng.choice(3, n, p=[0.7, 0.2, 0.1])]
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
    return text_table("customers", rows)
