"""CLV on a million customers: inputs, BG/NBD and Gamma-Gamma fits, predictions, timed.

    python -m benchmarks.clv_fit --customers 1e6 --time-unit week --repeat 3

The transactions are simulated from the models themselves (numpy, seeded), so
the fit has a truth to recover: each customer's first purchase day falls in
the first year of a two-year window; while active they buy at a rate
λ ~ Gamma(r, α) and drop out after each repeat purchase with probability
p ~ Beta(a, b); each purchase spends Gamma(p_s, ν) with ν ~ Gamma(q, v). The
purchases of one day merge into one purchase day (as the inputs count them).

Timed, each the median of ``--repeat`` runs in this process, on the sales
frame in memory: :func:`clv_inputs` (collected), :func:`bg_nbd_fit`,
:func:`gamma_gamma_fit` (each collects its distinct combinations and fits)
and :func:`customer_value` (collected). Printed: the times, the sizes, and the
true and fitted parameters.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from loyalty_lake.codes import MONEY
from loyalty_lake.gold.clv import (
    DAYS_PER_UNIT,
    bg_nbd_fit,
    clv_inputs,
    customer_value,
    gamma_gamma_fit,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from loyalty_lake.gold.clv import TimeUnit

START = date(2023, 1, 1)
AS_OF = START + timedelta(days=729)
#: The truth the sales are simulated from: BG/NBD with α per week, Gamma-Gamma.
TRUTH = {"r": 0.5, "alpha": 8.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "v": 15.0}


def simulated_sales(customers: int, *, seed: int = 17) -> pl.DataFrame:
    """One row per SALE: customer_id, transaction_date, amount (money), from :data:`TRUTH`."""
    rng = np.random.default_rng(seed)
    window = (AS_OF - START).days
    first = rng.integers(0, 365, customers)
    observed = (window - first).astype(np.float64)  # T in days
    rate = rng.gamma(TRUTH["r"], 1 / (TRUTH["alpha"] * 7), customers)  # per day
    drop = rng.beta(TRUTH["a"], TRUTH["b"], customers)
    # Purchases up to T of a customer who never dropped out: Poisson(λT) of them at
    # uniform times; they drop out after the J-th repeat purchase, J ~ Geometric(p).
    possible = rng.poisson(rate * observed)
    made = np.minimum(possible, rng.geometric(drop))
    owner = np.repeat(np.arange(customers), possible)
    at = rng.uniform(0, 1, owner.size) * observed[owner]
    order = np.lexsort((at, owner))
    owner, at = owner[order], at[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(possible) - possible, possible)
    kept = rank < made[owner]
    buyer = np.concatenate([np.arange(customers), owner[kept]])
    day = np.concatenate([first, first[owner[kept]] + np.floor(at[kept]).astype(np.int64)])
    # spend: Gamma(p, ν) per purchase, ν ~ Gamma(q, v) per customer
    nu = rng.gamma(TRUTH["q"], 1 / TRUTH["v"], customers)
    spend = np.maximum(rng.gamma(TRUTH["p"], 1 / nu[buyer]), 0.01)
    return pl.DataFrame(
        {"customer": buyer, "day": day, "amount": spend.round(2)},
    ).select(
        pl.format("C{}", pl.col("customer")).alias("customer_id"),
        (pl.lit(START) + pl.duration(days=pl.col("day"))).alias("transaction_date"),
        pl.col("amount").cast(MONEY),
    )


def timed(step: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median wall time of ``repeat`` runs of ``step``, and its last result."""
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=float, default=1e6, help="customers (default 1e6)")
    parser.add_argument("--time-unit", choices=sorted(DAYS_PER_UNIT), default="week")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (median)")
    args = parser.parse_args(argv)
    unit: TimeUnit = args.time_unit

    start = time.perf_counter()
    sales = simulated_sales(int(args.customers))
    print(f"simulated {sales.height:,} sales in {time.perf_counter() - start:.1f} s")

    seconds: dict[str, float] = {}
    seconds["clv_inputs"], inputs = timed(
        lambda: clv_inputs(sales.lazy(), as_of=AS_OF, time_unit=unit).collect(), args.repeat
    )
    seconds["bg_nbd_fit"], bg_nbd = timed(lambda: bg_nbd_fit(inputs), args.repeat)
    seconds["gamma_gamma_fit"], gamma_gamma = timed(lambda: gamma_gamma_fit(inputs), args.repeat)
    seconds["customer_value"], value = timed(
        lambda: customer_value(
            inputs.lazy(),
            bg_nbd=bg_nbd,
            gamma_gamma=gamma_gamma,
            horizon_months=12,
            annual_discount_rate=0.10,
            time_unit=unit,
        ).collect(),
        args.repeat,
    )

    print(
        f"{inputs.height:,} customers, {bg_nbd.repeat_customers:,} with a repeat purchase day; "
        f"time unit {unit}; median of {args.repeat}"
    )
    print(
        f"distinct combinations: {bg_nbd.combinations:,} (frequency, recency, T), "
        f"{gamma_gamma.combinations:,} (frequency, avg_spend)"
    )
    for step, value_seconds in seconds.items():
        print(f"  {step:<16} {value_seconds:6.2f} s")
    print(f"  {'fits together':<16} {seconds['bg_nbd_fit'] + seconds['gamma_gamma_fit']:6.2f} s")
    scale = 7 / DAYS_PER_UNIT[unit]  # the truth's α is a rate per week
    truth = TRUTH | {"alpha": TRUTH["alpha"] * scale}
    fitted = bg_nbd.parameters | gamma_gamma.parameters
    print("parameter      truth     fitted")
    for name, true in truth.items():
        print(f"  {name:<8} {true:9.3f} {fitted[name]:10.3f}")
    print(
        f"iterations: BG/NBD {bg_nbd.iterations}, Gamma-Gamma {gamma_gamma.iterations}; "
        f"total CLV {value['clv'].sum():,.2f}"
    )


if __name__ == "__main__":
    main()
