"""Points redemptions, each covered by the member's clean points balance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import polars as pl

from loyalty_lake.landing.generator.tables import DAY, ORD, LandingTable, id_text, typed_table

if TYPE_CHECKING:
    from loyalty_lake.landing.generator.masters import Customers
    from loyalty_lake.landing.generator.window import Calendar


_REDEEMER_SHARE: Final = 0.25
_TWICE_SHARE: Final = 0.35
_REDEMPTION_LOOKBACK: Final = 300
_REDEMPTION_SPREAD: Final = 30
_POINTS_STEP: Final = 50


def _redemption_draws(
    rng: np.random.Generator, customers: Customers, cal: Calendar
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


def redemptions_table(
    rng: np.random.Generator,
    customers: Customers,
    cal: Calendar,
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
    return typed_table("redemptions", frame, text)
