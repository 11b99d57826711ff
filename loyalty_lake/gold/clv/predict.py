"""Per-customer predictions from fitted BG/NBD and Gamma-Gamma parameters, as Polars expressions.

Every expression reads the columns of
:func:`~loyalty_lake.gold.clv.inputs.clv_inputs` (``frequency``, ``recency``,
``T``, ``avg_spend``); the parameters are scalars, so the formulas are plain
expression arithmetic in log space. The one exception is the Gauss
hypergeometric function ₂F₁ of the expected purchases, which Polars does not
have: it is evaluated with ``scipy.special.hyp2f1`` at a numpy boundary, once
per **distinct** ``(frequency, T)`` pair of the column (about 12,000 pairs
for a million customers over two years), and joined back onto the rows. No
per-row Python.

The numbers are model estimates, Float64 by nature. :func:`customer_value`,
the frame of the published columns, rounds the money estimates to the cent
as exact decimals (``MONEY``), at the boundary back into the lake's tables.
"""

from __future__ import annotations

import math
from enum import StrEnum
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from scipy.special import hyp2f1

from loyalty_lake.codes import MONEY
from loyalty_lake.gold.clv.inputs import DAYS_PER_UNIT

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from decimal import Decimal

    import numpy.typing as npt

    from loyalty_lake.gold.clv.fit import BgNbdFit, GammaGammaFit
    from loyalty_lake.gold.clv.inputs import TimeUnit

    Floats = npt.NDArray[np.float64]

#: Days in a month: the mean Gregorian month, 365.2425 / 12 (``lifetimes``: 30 days, 4.345 weeks).
DAYS_PER_MONTH = 365.2425 / 12


class ValueTier(StrEnum):
    """A customer's CLV tier among the customers of the frame (see :func:`value_tier`)."""

    TOP = "Top"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"


#: The tiers above ``Low``: each takes the customers in the top share by CLV not in a tier above.
VALUE_TIER_SHARES: tuple[tuple[ValueTier, Fraction], ...] = (
    (ValueTier.TOP, Fraction(1, 10)),
    (ValueTier.HIGH, Fraction(1, 4)),
    (ValueTier.MEDIUM, Fraction(1, 2)),
)


def units_per_month(time_unit: TimeUnit) -> float:
    """Time units in a month: 30.436875 days, or 4.348125 weeks."""
    return DAYS_PER_MONTH / DAYS_PER_UNIT[time_unit]


def p_alive(fit: BgNbdFit) -> pl.Expr:
    """The probability that the customer is still active at ``T`` (BG/NBD), in 0..1.

    Fader, Hardie & Lee (2005), equation 13: 1 for a customer without a repeat
    purchase day (in BG/NBD a customer can drop out only right after a repeat
    purchase, so one seen once is alive by assumption: a known limitation of
    the model, to keep in mind when reading it), else::

        1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
    """
    x, recency, t = _frequency(), pl.col("recency"), pl.col("T")
    log_odds_gone = (
        math.log(fit.a)
        - (fit.b + x - 1).log()
        + (fit.r + x) * ((fit.alpha + t).log() - (fit.alpha + recency).log())
    )
    return pl.when(x > 0).then(1 / (1 + log_odds_gone.exp())).otherwise(1.0)


def expected_purchases(fit: BgNbdFit, *, horizon: float) -> pl.Expr:
    """The expected number of purchase days in the next ``horizon`` time units (BG/NBD).

    Fader, Hardie & Lee (2005), equation 10, E[Y(t) | x, t_x, T] =
    p_alive · (a+b+x−1)/(a−1) · (1 − G(t)), where the hypergeometric part
    ``((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; z)``, z = t/(α+T+t), is
    evaluated after Euler's transformation as
    ``G(t) = (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z)``: the same number, but
    bounded where the textbook form multiplies a vanishing power by a huge ₂F₁
    (many purchases, long horizons). ``a`` must not be exactly 1.
    """
    x = _frequency()
    survival = _on_distinct_pairs(lambda xs, ts: _g(fit, xs, ts, np.array([horizon]))[:, 0])
    return p_alive(fit) * (fit.a + fit.b + x - 1) / (fit.a - 1) * (1 - survival)


def expected_avg_spend(fit: GammaGammaFit) -> pl.Expr:
    """The expected spend per purchase day (Gamma-Gamma), Float64.

    Fader & Hardie (2013), equation 5: for a customer with x repeat purchase
    days of mean spend m, ``p(v + x·m) / (p·x + q − 1)``, a weighted mean of
    the population mean ``p·v/(q−1)`` and the customer's own m; for a customer
    without a repeat purchase day, the population mean.
    """
    x, spend = _frequency(), pl.col("avg_spend")
    own = fit.p * (fit.v + x * spend) / (fit.p * x + fit.q - 1)
    return pl.when(x > 0).then(own).otherwise(fit.mean_spend)


def clv(
    bg_nbd: BgNbdFit,
    gamma_gamma: GammaGammaFit,
    *,
    horizon_months: int,
    annual_discount_rate: Decimal | float,
    time_unit: TimeUnit,
) -> pl.Expr:
    """The discounted expected spend over the next ``horizon_months`` months, Float64.

    As ``lifetimes``' ``customer_lifetime_value``, in monthly steps::

        CLV = Σ_{m=1..H} E[Z] · (E[Y(m·u)] − E[Y((m−1)·u)]) / (1 + d)^(m/12)

    E[Z] is :func:`expected_avg_spend`, E[Y(t)] :func:`expected_purchases` up
    to t, u the time units in a month (:func:`units_per_month`) and d the annual
    discount rate (``lifetimes`` takes a monthly rate d_m: (1 + d)^(1/12) = 1 + d_m).
    Purchases of month m are discounted by m whole months. ``time_unit`` must
    be the one the fit's inputs were built with.
    """
    months = np.arange(horizon_months + 1, dtype=np.float64)
    horizons = months * units_per_month(time_unit)
    discount = (1 + float(annual_discount_rate)) ** -(months[1:] / 12)

    def discounted(xs: Floats, ts: Floats) -> Floats:
        survival = _g(bg_nbd, xs, ts, horizons)
        return (survival[:, :-1] - survival[:, 1:]) @ discount

    x = _frequency()
    purchases = (
        p_alive(bg_nbd)
        * (bg_nbd.a + bg_nbd.b + x - 1)
        / (bg_nbd.a - 1)
        * _on_distinct_pairs(discounted)
    )
    return expected_avg_spend(gamma_gamma) * purchases


def value_tier(value: pl.Expr) -> pl.Expr:
    """The :class:`ValueTier` of each value among the non-null values of the column.

    Top 10 %, then High to the top 25 %, Medium to the top 50 %, the rest Low
    (:data:`VALUE_TIER_SHARES`): a customer is in a tier when fewer than
    ceil(share × N) customers have a strictly larger value, so ties at a
    boundary all get the better tier (as the High Spender rule of RFM).
    """
    customers = value.count()
    strictly_above = value.rank("min", descending=True) - 1
    tier: pl.Expr = pl.lit(ValueTier.LOW)
    for name, share in reversed(VALUE_TIER_SHARES):
        quota = (customers * share.numerator + share.denominator - 1) // share.denominator
        tier = pl.when(strictly_above < quota).then(pl.lit(name)).otherwise(tier)
    return pl.when(value.is_not_null()).then(tier)


def customer_value(
    inputs: pl.LazyFrame,
    *,
    bg_nbd: BgNbdFit,
    gamma_gamma: GammaGammaFit,
    horizon_months: int,
    annual_discount_rate: Decimal | float,
    time_unit: TimeUnit,
) -> pl.LazyFrame:
    """One row per row of ``inputs`` (one per customer with a purchase day): inputs and predictions.

    Adds ``p_alive``, ``expected_purchases`` (purchase days over the horizon),
    ``expected_avg_spend`` and ``clv`` (money estimates rounded to the cent,
    Decimal ``MONEY``) and ``value_tier`` (ranked on the unrounded CLV).
    """
    horizon = horizon_months * units_per_month(time_unit)
    value = clv(
        bg_nbd,
        gamma_gamma,
        horizon_months=horizon_months,
        annual_discount_rate=annual_discount_rate,
        time_unit=time_unit,
    )
    return (
        inputs.with_columns(
            p_alive(bg_nbd).alias("p_alive"),
            expected_purchases(bg_nbd, horizon=horizon).alias("expected_purchases"),
            _money(expected_avg_spend(gamma_gamma)).alias("expected_avg_spend"),
            value.alias("_clv"),
        )
        .with_columns(
            _money(pl.col("_clv")).alias("clv"), value_tier(pl.col("_clv")).alias("value_tier")
        )
        .drop("_clv")
    )


def _money(estimate: pl.Expr) -> pl.Expr:
    """A Float64 money estimate rounded to the cent, as exact decimal money."""
    return estimate.round(2).cast(MONEY)


def _frequency() -> pl.Expr:
    return pl.col("frequency").cast(pl.Float64)


def _g(fit: BgNbdFit, x: Floats, t: Floats, horizons: Floats) -> Floats:
    """G(h) = (1−z)^(a−1) · ₂F₁(a+b−1−r, a−1; a+b+x−1; z), z = h/(α+T+h): rows × horizons."""
    z = horizons[np.newaxis, :] / (fit.alpha + t[:, np.newaxis] + horizons[np.newaxis, :])
    c = (fit.a + fit.b + x - 1)[:, np.newaxis]
    hypergeometric = hyp2f1(fit.a + fit.b - 1 - fit.r, fit.a - 1, c, z)
    return np.asarray((1 - z) ** (fit.a - 1) * hypergeometric, dtype=np.float64)


def _on_distinct_pairs(function: Callable[[Floats, Floats], Floats]) -> pl.Expr:
    """``function(frequency, T)`` evaluated once per distinct pair of the columns, joined back."""

    def batch(columns: Sequence[pl.Series]) -> pl.Series:
        pairs = pl.DataFrame({"x": columns[0].cast(pl.Float64), "t": columns[1].cast(pl.Float64)})
        distinct = pairs.unique().drop_nulls()
        values = function(distinct["x"].to_numpy(), distinct["t"].to_numpy())
        return pairs.join(
            distinct.with_columns(pl.Series("value", values, dtype=pl.Float64)),
            on=["x", "t"],
            how="left",
            maintain_order="left",
        ).get_column("value")

    return pl.map_batches(
        [pl.col("frequency"), pl.col("T")], batch, return_dtype=pl.Float64, is_elementwise=True
    )
