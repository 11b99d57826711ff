"""The retailer's whole history, built once from the seed: every landing table, corrupted."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from loyalty_lake.landing.generator import (
    inventory,
    master_anomalies,
    masters,
    promotions,
    redemptions,
    sales,
    sales_anomalies,
)

if TYPE_CHECKING:
    from loyalty_lake.landing.generator.inventory import Stock
    from loyalty_lake.landing.generator.options import GeneratorOptions
    from loyalty_lake.landing.generator.tables import LandingTable
    from loyalty_lake.landing.generator.window import Calendar


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


def history(
    options: GeneratorOptions, cal: Calendar, stock_day: int
) -> tuple[dict[str, LandingTable], Stock]:
    """Returns every landing table but inventory (corrupted) and the stock model.

    ``stock_day`` is the day whose stock the products' current_stock_level shows.
    """
    rng = _rngs(options.seed)
    rates = options.anomalies
    stores = masters.stores(rng["stores"], options.stores, cal)
    products = masters.products(rng["products"], options.products)
    stock = inventory.stock(rng["stock"], stores, products)
    customers = masters.customers(rng["customers"], masters.customer_count(options), cal, stores)
    promos = promotions.promotions(rng["promotions"], cal)
    sold = sales.sale_baskets(rng["sales"], options, cal, stores, products, customers, promos)
    baskets = sales.in_time_order(
        sold, sales.returns(rng["returns"], sold, options.return_share, cal)
    )
    del sold
    header, lines = sales.sales_tables(baskets, cal)
    del baskets
    clean_header = header.frame
    header, lines, corrupted = sales_anomalies.corrupt_sales(
        header, lines, rates, rng["sales_anomalies"], end_date=options.end_date
    )
    redeemed = redemptions.redemptions_table(
        rng["redemptions"], customers, cal, clean_header, corrupted
    )
    del clean_header
    stock_total = stock.levels([stock_day]).reshape(stock.stores, stock.products).sum(axis=0)
    flawed = rng["master_anomalies"]
    tables = {
        "stores": stores.table,
        "products": master_anomalies.corrupt_products(
            masters.products_table(rng["products"], products, stock_total), rates, flawed
        ),
        "customers": master_anomalies.corrupt_customers(
            masters.customers_table(rng["customers"], customers, cal), rates, flawed
        ),
        "promotions": promotions.promotions_table(promos, cal),
        "loyalty_rules": promotions.rules_table(cal),
        "sales_header": header,
        "sales_lines": lines,
        "redemptions": master_anomalies.corrupt_redemptions(redeemed, rates, flawed),
    }
    return tables, stock
