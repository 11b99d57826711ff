"""Anomalies of the master files and of redemptions, drawn from rows where they are safe."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from loyalty_lake.landing.generator.corruption import (
    blank_piece,
    by_variant,
    copy_piece,
    override_rows,
    random_choices,
    random_variants,
    share_count,
    truth_rows,
    value_piece,
)
from loyalty_lake.landing.generator.tables import ORD, LandingTable, Piece

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loyalty_lake.landing.generator.options import AnomalyRates


def _draw(rng: np.random.Generator, pool: np.ndarray, counts: Sequence[int]) -> list[np.ndarray]:
    """Returns disjoint sorted draws of ``counts`` rows from ``pool`` (capped at its size)."""
    shuffled = rng.permutation(pool)
    draws: list[np.ndarray] = []
    offset = 0
    for count in counts:
        take = shuffled[offset : offset + count]
        offset += take.size
        draws.append(np.sort(take))
    return draws


def _flagged(table: LandingTable, flag: str) -> np.ndarray:
    """Returns the ``_ord`` of the rows whose boolean column ``flag`` is true."""
    return table.frame.filter(pl.col(flag))[ORD].to_numpy()


def corrupt_customers(
    customers: LandingTable, rates: AnomalyRates, rng: np.random.Generator
) -> LandingTable:
    """Returns the customers table with blank ids and duplicate rows injected.

    A blank ``customer_id`` only hits members who never shop (column
    ``_blankable``) so no sale loses its customer; duplicates only hit rows
    flagged ``_duplicable`` (members whose details never change).
    """
    n = customers.frame.height
    (blank,) = _draw(
        rng, _flagged(customers, "_blankable"), [share_count(rates.missing_required, n)]
    )
    pool = np.setdiff1d(_flagged(customers, "_duplicable"), blank)
    exact, keyed = _draw(
        rng, pool, [share_count(rates.duplicate_row, n), share_count(rates.duplicate_key, n)]
    )
    pieces: list[Piece] = []
    if blank.size:
        rows = customers.frame[blank].with_columns(pl.lit("customer_id").alias("_col"))
        pieces.append(blank_piece(customers.spec.name, rows))
    if exact.size:
        pieces.append(copy_piece(customers.spec.name, customers.frame[exact], "duplicate_row"))
    if keyed.size:
        rows = customers.frame[keyed]
        new_email = pl.format(
            "{}.{}.alt@example.org", pl.col("first_name"), pl.col("last_name")
        ).str.to_lowercase()
        changed = rows.with_columns(new_email.alias("email"))
        detail = pl.format("same customer_id as the previous row; email '{}'", pl.col("email"))
        pieces.append(copy_piece(customers.spec.name, changed, "duplicate_key", detail))
    return customers.corrupted(pieces)


def corrupt_products(
    products: LandingTable, rates: AnomalyRates, rng: np.random.Generator
) -> LandingTable:
    """Returns the products table with blank categories or prices injected.

    Only products that are never sold (column ``_blankable``) are hit, so no
    sales line loses its product.
    """
    count = share_count(rates.missing_required, products.frame.height)
    (blank,) = _draw(rng, _flagged(products, "_blankable"), [count])
    if not blank.size:
        return products
    rows = products.frame[blank].with_columns(
        random_choices(rng, ("product_category", "unit_price"), blank.size).alias("_col")
    )
    return products.corrupted([blank_piece(products.spec.name, rows)])


def corrupt_redemptions(
    redemptions: LandingTable, rates: AnomalyRates, rng: np.random.Generator
) -> LandingTable:
    """Returns the redemptions table with non-positive and over-balance points injected.

    An over-balance redemption asks for ``_over`` points, a number larger
    than the customer could ever have earned (at least 1,000,000).
    """
    n = redemptions.frame.height
    nonpositive, over = _draw(
        rng,
        redemptions.frame[ORD].to_numpy(),
        [share_count(rates.nonpositive_value, n), share_count(rates.redemption_over_balance, n)],
    )
    name = redemptions.spec.name
    pieces: list[Piece] = []
    if nonpositive.size:
        rows = redemptions.rows_text(redemptions.frame[nonpositive]).with_columns(
            random_variants(rng, 2, nonpositive.size)
        )
        value = by_variant([pl.lit("0"), pl.lit("-") + pl.col("points_redeemed")])
        pieces.append(
            value_piece(name, rows, "nonpositive_value", pl.lit("points_redeemed"), value)
        )
    if over.size:
        rows = redemptions.frame[over].with_columns(pl.col("_over").cast(pl.String).alias("_new"))
        pieces.append(
            Piece(
                file=name,
                overrides=override_rows(rows, pl.lit("points_redeemed"), pl.col("_new")),
                truth=truth_rows(
                    rows,
                    kind="redemption_over_balance",
                    column=pl.lit("points_redeemed"),
                    detail=pl.format(
                        "points_redeemed {} exceeds any possible balance", pl.col("_new")
                    ),
                ),
            )
        )
    return redemptions.corrupted(pieces)
