"""The published customer lifetime value, read back: the fits, what they say, the top customers.

:func:`clv_summary` reads ``clv_parameters`` and ``customer_value`` from one
gold snapshot (contract section 3.5, docs/analytics.md); it computes nothing
new but the population figures the parameters imply (:class:`ClvReading`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import TransactionType
from loyalty_lake.errors import LoyaltyLakeError
from loyalty_lake.gold.clv import DAYS_PER_UNIT, MIN_REPEAT_CUSTOMERS, ClvFitError, clv_inputs
from loyalty_lake.io import catalog
from loyalty_lake.io.lake import LakeLike, as_lake

if TYPE_CHECKING:
    from datetime import date

    from loyalty_lake.gold.clv.fit import Model
    from loyalty_lake.io.catalog import GoldSnapshot

#: The columns of the top customers, in order.
TOP_COLUMNS = (
    "customer_id",
    "value_tier",
    "p_alive",
    "expected_purchases",
    "expected_avg_spend",
    "clv",
)
#: The parameters of each model, in the order the papers give them.
MODEL_PARAMETERS: dict[Model, tuple[str, ...]] = {
    "bg_nbd": ("r", "alpha", "a", "b"),
    "gamma_gamma": ("p", "q", "v"),
}
_DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True, slots=True)
class ModelFit:
    """One published fit (rows of ``clv_parameters``): parameters and fit quality."""

    model: Model
    parameters: dict[str, float]
    log_likelihood: float
    customers: int
    converged: bool


@dataclass(frozen=True, slots=True)
class ClvReading:
    """What the fitted parameters say about the population, in plain figures.

    ``purchase_rate``: mean purchase days per time unit of an active customer
    (BG/NBD r/α), also per year; ``dropout_probability``: mean probability of
    dropping out after a repeat purchase day (a/(a+b)); ``mean_spend``: the
    population's mean spend per purchase day (Gamma-Gamma p·v/(q−1)), None
    without a usable Gamma-Gamma fit.
    """

    purchase_rate: float
    purchases_per_year: float
    dropout_probability: float
    mean_spend: float | None


@dataclass(frozen=True, slots=True)
class ClvSummary:
    """The CLV of one gold snapshot: fits, their reading, the top customers by CLV.

    ``customers`` and ``total_clv`` are over every row of ``customer_value``;
    ``top`` holds its first rows by CLV (:data:`TOP_COLUMNS`). ``problem`` says
    why gold has no customer lifetime value (None: it has), ``hint`` what to do.
    """

    as_of: date | None
    snapshot: int | None
    time_unit: str | None
    fits: tuple[ModelFit, ...]
    reading: ClvReading | None
    customers: int
    total_clv: Decimal
    top: pl.DataFrame
    problem: str | None = None
    hint: str | None = None

    def check(self) -> None:
        """Raise :class:`~loyalty_lake.gold.clv.ClvFitError` (a data problem) without CLV."""
        if self.problem is None:
            return
        fitted = {fit.model: fit for fit in self.fits}
        unfitted = [m for m in MODEL_PARAMETERS if m not in fitted or not fitted[m].converged]
        raise ClvFitError(self.problem, model=unfitted[0] if unfitted else "bg_nbd", hint=self.hint)


def clv_summary(
    *, lake: LakeLike, top: int = 10, min_repeat_customers: int = MIN_REPEAT_CUSTOMERS
) -> ClvSummary:
    """The customer lifetime value of the last published gold build, and its ``top`` customers.

    Raises :class:`~loyalty_lake.errors.LoyaltyLakeError` (a usage error) when
    gold was never published. A published gold without CLV (no sale, too few
    repeat customers, a fit that did not converge) gives a summary whose
    ``problem`` says so, with what was fitted; :meth:`ClvSummary.check` raises
    it. ``min_repeat_customers`` is the ``clv`` setting, for that message.
    """
    lake = as_lake(lake)
    gold = catalog.gold_snapshot(lake)
    if not gold.published:
        raise LoyaltyLakeError(
            f"The lake at {lake.root} has no gold tables yet.",
            hint="Run `loyalty-lake build` (or `loyalty-lake demo`) first.",
        )
    if gold.as_of is not None and not {"clv_parameters", "customer_value"} <= gold.versions.keys():
        raise LoyaltyLakeError(
            f"The gold tables of the lake at {lake.root} were published without customer "
            "lifetime value (by an earlier loyalty_lake).",
            hint="Run `loyalty-lake build` to publish gold again, CLV included.",
        )
    parameters = gold.scan("clv_parameters").collect()
    fits = _fits(parameters)
    value = gold.scan("customer_value")
    totals = value.select(pl.len(), pl.col("clv").sum()).collect()
    customers, total = totals.row(0)
    best = (
        value.sort(["clv", "customer_id"], descending=[True, False])
        .head(top)
        .select(TOP_COLUMNS)
        .collect()
    )
    time_unit = str(parameters["time_unit"][0]) if parameters.height else None
    summary = ClvSummary(
        as_of=gold.as_of,
        snapshot=gold.snapshot,
        time_unit=time_unit,
        fits=fits,
        reading=_reading(fits, time_unit),
        customers=customers,
        total_clv=total or Decimal("0.00"),
        top=best,
    )
    if customers:
        return summary
    problem, hint = _problem(gold, fits, min_repeat_customers=min_repeat_customers)
    return replace(summary, problem=problem, hint=hint)


def _fits(parameters: pl.DataFrame) -> tuple[ModelFit, ...]:
    """One :class:`ModelFit` per model of ``clv_parameters``, BG/NBD first."""
    fits = []
    for model, names in MODEL_PARAMETERS.items():
        rows = parameters.filter(pl.col("model") == model)
        if rows.is_empty():
            continue
        values = dict(rows.select("parameter", "value").iter_rows())
        first = rows.row(0, named=True)
        fits.append(
            ModelFit(
                model=model,
                parameters={name: values[name] for name in names if name in values},
                log_likelihood=first["log_likelihood"],
                customers=first["customers"],
                converged=bool(rows["converged"].all()),
            )
        )
    return tuple(fits)


def _reading(fits: tuple[ModelFit, ...], time_unit: str | None) -> ClvReading | None:
    """The population figures of converged fits (None without a converged BG/NBD)."""
    by_model = {fit.model: fit for fit in fits if fit.converged}
    if "bg_nbd" not in by_model or time_unit not in DAYS_PER_UNIT:
        return None
    bg = by_model["bg_nbd"].parameters
    rate = bg["r"] / bg["alpha"]
    units_per_year = _DAYS_PER_YEAR / DAYS_PER_UNIT[time_unit]
    mean_spend = None
    if "gamma_gamma" in by_model:
        gg = by_model["gamma_gamma"].parameters
        mean_spend = gg["p"] * gg["v"] / (gg["q"] - 1) if gg["q"] > 1 else None
    return ClvReading(
        purchase_rate=rate,
        purchases_per_year=rate * units_per_year,
        dropout_probability=bg["a"] / (bg["a"] + bg["b"]),
        mean_spend=mean_spend,
    )


def _problem(
    gold: GoldSnapshot, fits: tuple[ModelFit, ...], *, min_repeat_customers: int
) -> tuple[str, str]:
    """Why a published gold has no ``customer_value`` rows, and what to do."""
    where = f"Gold (as of {gold.as_of})" if gold.as_of else "Gold"
    failed = [fit for fit in fits if not fit.converged]
    if failed:
        names = " and ".join(_NAMES[fit.model] for fit in failed)
        return (
            f"{where} has no customer lifetime value: the {names} fit did not converge "
            f"(its attempt is shown).",
            "The data do not pin the model down yet (too short a history, or no sign of "
            "customers dropping out): build again when more repeat customers have come back.",
        )
    if gold.as_of is None:
        return (
            f"{where} has no customer lifetime value: there is no clean sale to value.",
            "Land sales (`loyalty-lake build`); `loyalty-lake dq` shows why rows were rejected.",
        )
    repeat = _repeat_customers(gold)
    counted = "" if repeat is None else f" {repeat:,} customer(s) bought on two days or more;"
    model = "Gamma-Gamma" if fits else "BG/NBD"
    return (
        f"{where} has no customer lifetime value: too few repeat customers to fit the "
        f"{model} model:{counted} at least {min_repeat_customers:,} are needed "
        "(clv.min_repeat_customers).",
        "CLV needs customers who bought on two days or more: build again on a longer "
        "history, or lower clv.min_repeat_customers knowingly (a fit on few customers is "
        "a rough one).",
    )


_NAMES: dict[Model, str] = {"bg_nbd": "BG/NBD", "gamma_gamma": "Gamma-Gamma"}


def _repeat_customers(gold: GoldSnapshot) -> int | None:
    """Members with a SALE on two days or more up to ``as_of``, in the silver gold was built from.

    None when the silver version gold read is not recorded or no longer readable.
    """
    versions = dict(item.split("=", 1) for item in gold.silver_versions.split(",") if "=" in item)
    if "sales_header" not in versions or gold.as_of is None:
        return None
    try:
        sales = catalog.scan(
            gold.lake, "silver", "sales_header", version=int(versions["sales_header"])
        )
        purchases = sales.filter(
            (pl.col("transaction_type") == TransactionType.SALE)
            & pl.col("customer_id").is_not_null()
        ).select("customer_id", "transaction_date", pl.col("total_amount").alias("amount"))
        inputs = clv_inputs(purchases, as_of=gold.as_of, time_unit="day")
        return int(inputs.filter(pl.col("frequency") > 0).select(pl.len()).collect().item())
    except Exception:  # e.g. a vacuumed version: the message goes without the count
        return None
