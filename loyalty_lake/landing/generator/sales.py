"""Sales and returns: baskets drawn by traffic, member and category, then their two files.

Money stays in integer cents; a RETURN gives back lines of an earlier sale of
the same member and store. Transactions are numbered in date-time order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from loyalty_lake.codes import TransactionType
from loyalty_lake.landing.generator.reference import CATEGORIES
from loyalty_lake.landing.generator.tables import (
    DAY,
    LandingTable,
    id_text,
    money_text,
    typed_table,
)

if TYPE_CHECKING:
    from loyalty_lake.landing.generator.masters import Customers, Products, Stores
    from loyalty_lake.landing.generator.options import GeneratorOptions
    from loyalty_lake.landing.generator.promotions import Promotions
    from loyalty_lake.landing.generator.window import Calendar


_DOW_TRAFFIC: Final = np.array([0.85, 0.80, 0.90, 1.00, 1.20, 1.55, 1.30])
_QUANTITY_P: Final = np.array([0.62, 0.24, 0.08, 0.03, 0.02, 0.01])
_HOME_STORE_SHARE: Final = 0.85
_GUEST_EXTRA_LINES: Final = 1.8
_MEAN_BASKET: Final = 3.3
_PROMO_LIFT: Final = 1.8  # a promoted category's share of lines rises by this factor
_PROMO_LINE_SHARE: Final = 0.85  # share of a promoted category's lines carrying the promotion
_RETURN_ONE_LINE_SHARE: Final = 0.6
_RETURN_LINES_PER_SALE_LINE: Final = 0.55  # expected return lines per sale line per return share


# --- baskets --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Baskets:
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


def _traffic(cal: Calendar, promos: Promotions) -> np.ndarray:
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
    customers: Customers,
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
    rng: np.random.Generator, buyer: np.ndarray, customers: Customers, cumulative: np.ndarray
) -> np.ndarray:
    """Returns each transaction's day by inverse-CDF sampling of traffic in the buyer's window."""
    member = buyer >= 0
    low = np.where(member, customers.first[buyer], 0)
    high = np.where(member, customers.last[buyer], cumulative.size - 1)
    base = np.where(low > 0, cumulative[np.clip(low - 1, 0, None)], 0.0)
    u = base + rng.random(buyer.size) * (cumulative[high] - base)
    return np.clip(np.searchsorted(cumulative, u, side="right"), low, high)


def _shop_stores(
    rng: np.random.Generator, buyer: np.ndarray, customers: Customers, stores: Stores
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


def _category_cumulative(promos: Promotions) -> np.ndarray:
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
    rng: np.random.Generator, category: np.ndarray, products: Products
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
    rng: np.random.Generator, line_day: np.ndarray, category: np.ndarray, promos: Promotions
) -> np.ndarray:
    """Returns each line's promotion index (-1: none): most lines of a promoted category."""
    promotion = promos.active[line_day, category]
    used = (promotion >= 0) & (rng.random(line_day.size) < _PROMO_LINE_SHARE)
    return np.where(used, promotion, -1)


def _line_amounts(price: np.ndarray, quantity: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """Returns price × quantity × (1 − discount %) in cents, rounded half up, in integers."""
    return (price * quantity * (100 - discount) + 50) // 100


def sale_baskets(
    rng: np.random.Generator,
    options: GeneratorOptions,
    cal: Calendar,
    stores: Stores,
    products: Products,
    customers: Customers,
    promos: Promotions,
) -> Baskets:
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
    return Baskets(
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


# --- returns --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Returns:
    """RETURN transactions of sales: which sale, when, and which of its lines.

    ``line`` holds, for every returned line in order, the index of the sale
    line it gives back; return ``i`` owns ``size[i]`` consecutive entries.
    """

    sale: np.ndarray
    day: np.ndarray
    second: np.ndarray
    size: np.ndarray
    line: np.ndarray


def returns(rng: np.random.Generator, sales: Baskets, share: float, cal: Calendar) -> Returns:
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
    return Returns(sale=sale, day=day, second=second, size=size, line=line)


def in_time_order(sales: Baskets, returns: Returns) -> Baskets:
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
    return Baskets(
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


# --- the sales files ------------------------------------------------------------------


def _positive_or_null(column: str) -> pl.Expr:
    """Returns ``column`` with values ≤ 0 as null (1-based ids where 0 means none)."""
    return pl.when(pl.col(column) > 0).then(pl.col(column)).alias(column)


def sales_tables(baskets: Baskets, cal: Calendar) -> tuple[LandingTable, LandingTable]:
    """Returns the sales_header and sales_lines tables of transactions in time order."""
    return _header_table(baskets, cal), _lines_table(baskets)


def _header_table(baskets: Baskets, cal: Calendar) -> LandingTable:
    """Returns the sales_header table: one row per transaction.

    Hidden columns: ``_eligible`` (a SALE without a RETURN) and ``_n_lines``.
    """
    count = baskets.day.size
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
            "_total": np.add.reduceat(baskets.amount, baskets.start)
            if count
            else np.zeros(0, dtype=np.int64),
            "_is_return": is_return,
            "_original": baskets.original + 1,
            "_eligible": ~is_return & ~returned,
            "_n_lines": baskets.size.astype(np.int32),
        }
    ).with_columns(_positive_or_null("_customer"), _positive_or_null("_original"))
    text = {
        "transaction_id": id_text("T", 9, "_tx"),
        "customer_id": id_text("C", 7, "_customer"),
        "store_id": id_text("S", 3, "_store"),
        "transaction_date": pl.col("_ts").dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "total_amount": money_text(pl.col("_total")),
        "transaction_type": pl.when(pl.col("_is_return"))
        .then(pl.lit(TransactionType.RETURN.value))
        .otherwise(pl.lit(TransactionType.SALE.value)),
        "original_transaction_id": id_text("T", 9, "_original"),
    }
    return typed_table("sales_header", header, text)


def _lines_table(baskets: Baskets) -> LandingTable:
    """Returns the sales_lines table; ``_price`` and ``_discount`` are kept to recompute amounts."""
    count = baskets.day.size
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
    text = {
        "line_item_id": pl.col("_line").cast(pl.String),
        "transaction_id": id_text("T", 9, "_tx"),
        "product_id": id_text("P", 5, "_product"),
        "promotion_id": id_text("PR", 3, "_promotion"),
        "quantity": pl.col("_qty").cast(pl.String),
        "line_item_amount": money_text(pl.col("_cents")),
    }
    return typed_table("sales_lines", lines, text)
