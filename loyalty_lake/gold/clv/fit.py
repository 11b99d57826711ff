"""Maximum likelihood fits of BG/NBD (r, α, a, b) and Gamma-Gamma (p, q, v).

Both fits read the :func:`~loyalty_lake.gold.clv.inputs.clv_inputs` frame,
collect its **distinct** combinations with their customer counts once
(``(frequency, recency, T)`` for BG/NBD, ``(frequency, avg_spend)`` for
Gamma-Gamma) and maximise the customer-weighted log-likelihood over them with
numpy and ``scipy.special``: a million customers are at most a few hundred
thousand rows. Terms that depend on the frequency alone are evaluated once per
distinct frequency.

The optimiser is L-BFGS-B with the analytic gradient, on the logarithms of the
parameters (so they stay positive), within bounds, on rescaled data: times in
units of the mean time between repeat purchases, spends in units of the mean
spend, so that the same starting values and bounds suit weeks or days, daily
or yearly buyers, cents or yen (α and v are scaled back). The objective is the
mean negative log-likelihood plus an optional L2 penalty
``penalizer × Σ parameter²`` as in ``lifetimes`` (default 0: plain maximum
likelihood), on the rescaled parameters, so that a penalizer means the same
whatever the units.

A fit that cannot be trusted raises :class:`ClvFitError`: too few repeat
customers, an optimiser that stops without converging, a parameter that runs
to its bound (the data do not identify it), or Gamma-Gamma's ``q <= 1`` (no
finite mean spend). The error carries the attempt, so the caller can warn,
publish the rest and show the numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
import polars as pl
from scipy.optimize import OptimizeResult, minimize
from scipy.special import betaln, digamma, gammaln

from loyalty_lake.errors import ExitCode, LoyaltyLakeError

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy.typing as npt

    Floats = npt.NDArray[np.float64]

#: The model names of ``clv_parameters``.
Model = Literal["bg_nbd", "gamma_gamma"]

#: Bounds of every parameter of the rescaled fit (the optimiser works on their logarithms).
#: A fit that ends within a factor 10 of them is refused: see :func:`_convergence_problem`.
PARAMETER_BOUNDS = (1e-4, 1e4)
#: Fewer repeat customers than this cannot support a fit (the default of ``min_repeat_customers``).
MIN_REPEAT_CUSTOMERS = 100

_LOG_BOUNDS = (math.log(PARAMETER_BOUNDS[0]), math.log(PARAMETER_BOUNDS[1]))
_OPTIONS = {"maxiter": 1000, "ftol": 1e-13, "gtol": 1e-9}
#: A fit has converged when no gradient component of the objective (the mean
#: log-likelihood per customer, in log parameters) exceeds this, whatever the
#: optimiser's own stopping rule said: at the optimum, rounding can make its line
#: search give up ("ABNORMAL") where the gradient is already ~1e-9.
GRADIENT_TOLERANCE = 1e-6


@dataclass(frozen=True, kw_only=True, slots=True)
class BgNbdFit:
    """A BG/NBD fit: purchase rates ~ Gamma(r, α), drop-out probabilities ~ Beta(a, b).

    ``alpha`` is in the time unit of the inputs (``time_unit``); ``log_likelihood``
    is the total over ``customers`` (unpenalised); ``combinations`` is the
    number of distinct ``(frequency, recency, T)`` rows the optimiser saw.
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    repeat_customers: int
    combinations: int
    penalizer: float
    converged: bool
    iterations: int
    message: str

    model: ClassVar[Model] = "bg_nbd"

    @property
    def parameters(self) -> dict[str, float]:
        """The parameters by name: ``r``, ``alpha``, ``a``, ``b``."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True, kw_only=True, slots=True)
class GammaGammaFit:
    """A Gamma-Gamma fit: spend per purchase ~ Gamma(p, ν), ν ~ Gamma(q, v).

    ``v`` is the scale Fader & Hardie (2013) and the data contract call γ
    (``lifetimes`` calls it ``v``); it is in the currency of the spends. The
    fit uses the ``customers`` with a repeat purchase day and a positive
    ``avg_spend``; ``combinations`` is the number of distinct
    ``(frequency, avg_spend)`` rows.
    """

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int
    combinations: int
    penalizer: float
    converged: bool
    iterations: int
    message: str

    model: ClassVar[Model] = "gamma_gamma"

    @property
    def parameters(self) -> dict[str, float]:
        """The parameters by name: ``p``, ``q``, ``v``."""
        return {"p": self.p, "q": self.q, "v": self.v}

    @property
    def mean_spend(self) -> float:
        """The population's mean spend per purchase day, p·v / (q − 1)."""
        return self.p * self.v / (self.q - 1)


class ClvFitError(LoyaltyLakeError):
    """A CLV model could not be fitted: too few repeat customers, or no convergence.

    ``model`` names the model; ``fit`` is the attempt when the optimiser ran
    (``converged`` False), None when the data were too few to try.
    """

    exit_code = ExitCode.DATA

    def __init__(
        self,
        message: str,
        *,
        model: Model,
        fit: BgNbdFit | GammaGammaFit | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.model = model
        self.fit = fit


# --------------------------------------------------------------------------------------
# BG/NBD
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class _BgNbdData:
    """Distinct (frequency, recency, T) with customer counts, split by frequency 0 or not."""

    frequencies: Floats  # distinct frequencies ...
    frequency_weights: Floats  # ... and their customers
    idle_t: Floats  # T of customers without a repeat purchase ...
    idle_weights: Floats  # ... and their customers
    x: Floats  # frequency, recency, T and customers of the repeat customers
    recency: Floats
    t: Floats
    weights: Floats

    @property
    def customers(self) -> float:
        return float(self.frequency_weights.sum())

    def scaled(self, unit: float) -> _BgNbdData:
        """The same data with times divided by ``unit``."""
        return _BgNbdData(
            frequencies=self.frequencies,
            frequency_weights=self.frequency_weights,
            idle_t=self.idle_t / unit,
            idle_weights=self.idle_weights,
            x=self.x,
            recency=self.recency / unit,
            t=self.t / unit,
            weights=self.weights,
        )


def _bg_nbd_data(inputs: pl.LazyFrame | pl.DataFrame) -> _BgNbdData:
    combinations = (
        inputs.lazy()
        .group_by("frequency", "recency", "T")
        .agg(pl.len().cast(pl.Float64).alias("customers"))
        .with_columns(pl.col("frequency", "recency", "T").cast(pl.Float64))
        .sort("frequency", "recency", "T")  # the same sums in the same order: reproducible
        .collect()
    )
    _check_bg_nbd_inputs(combinations)
    by_frequency = (
        combinations.group_by("frequency").agg(pl.col("customers").sum()).sort("frequency")
    )
    idle = combinations.filter(pl.col("frequency") == 0)
    repeat = combinations.filter(pl.col("frequency") > 0)
    return _BgNbdData(
        frequencies=by_frequency["frequency"].to_numpy(),
        frequency_weights=by_frequency["customers"].to_numpy(),
        idle_t=idle["T"].to_numpy(),
        idle_weights=idle["customers"].to_numpy(),
        x=repeat["frequency"].to_numpy(),
        recency=repeat["recency"].to_numpy(),
        t=repeat["T"].to_numpy(),
        weights=repeat["customers"].to_numpy(),
    )


def _check_bg_nbd_inputs(combinations: pl.DataFrame) -> None:
    bad = combinations.filter(
        pl.any_horizontal(pl.col("frequency", "recency", "T").is_null())
        | pl.any_horizontal(~pl.col("frequency", "recency", "T").is_finite())
        | (pl.col("frequency") < 0)
        | (pl.col("recency") < 0)
        | (pl.col("recency") > pl.col("T"))
        | ((pl.col("frequency") == 0) & (pl.col("recency") != 0))
    )
    if bad.height:
        raise ClvFitError(
            f"BG/NBD inputs are inconsistent, e.g. {bad.row(0, named=True)}: frequency, "
            "recency and T must be non-negative, recency <= T, recency 0 without a repeat "
            "purchase.",
            model="bg_nbd",
            hint="Build the inputs with loyalty_lake.gold.clv.clv_inputs.",
        )


def _bg_nbd_log_likelihood(
    data: _BgNbdData, r: float, alpha: float, a: float, b: float
) -> tuple[float, Floats]:
    """The customer-weighted BG/NBD log-likelihood and its gradient in (r, α, a, b).

    Fader, Hardie & Lee (2005), equation 6, per customer (x, t_x, T)::

        ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
               + ln( (α+T)^−(r+x) + [x > 0] · a/(b+x−1) · (α+t_x)^−(r+x) )

    The last term is a log-sum-exp; customers without a repeat purchase have
    only its first part.
    """
    xs, wx = data.frequencies, data.frequency_weights
    # terms of the frequency alone
    per_x = gammaln(r + xs) - gammaln(r) + r * math.log(alpha) + betaln(a, b + xs) - betaln(a, b)
    log_likelihood = _dot(wx, per_x)
    d_r = _dot(wx, digamma(r + xs) - digamma(r) + math.log(alpha))
    d_alpha = wx.sum() * r / alpha
    d_a = _dot(wx, digamma(a + b) - digamma(a + b + xs))
    d_b = _dot(wx, digamma(b + xs) - digamma(a + b + xs) - digamma(b) + digamma(a + b))
    # customers without a repeat purchase: A3 = −r ln(α + T)
    idle_log = np.log(alpha + data.idle_t)
    log_likelihood -= r * _dot(data.idle_weights, idle_log)
    d_r -= _dot(data.idle_weights, idle_log)
    d_alpha -= r * _dot(data.idle_weights, 1 / (alpha + data.idle_t))
    # repeat customers: ln(e^A3 + e^A4) = A3 + softplus(A4 − A3), and the share of
    # e^A4 in the sum, sigmoid(A4 − A3), from one exponential of −|A4 − A3|
    x, w = data.x, data.weights
    rx = r + x
    log_t, log_recency = np.log(alpha + data.t), np.log(alpha + data.recency)
    gap = log_t - log_recency
    a3 = -rx * log_t
    drop = math.log(a) - np.log(b + x - 1) + rx * gap  # A4 − A3
    tail = np.exp(-np.abs(drop))
    log_likelihood += _dot(w, a3 + np.maximum(drop, 0) + np.log1p(tail))
    weighted_share = w * np.where(drop >= 0, 1.0, tail) / (1 + tail)  # w · e^A4 / (e^A3 + e^A4)
    d_r -= _dot(w, log_t) - _dot(weighted_share, gap)
    d_alpha -= _dot(w, rx / (alpha + data.t)) - _dot(
        weighted_share, rx * (1 / (alpha + data.t) - 1 / (alpha + data.recency))
    )
    d_a += weighted_share.sum() / a
    d_b -= _dot(weighted_share, 1 / (b + x - 1))
    return float(log_likelihood), np.array([d_r, d_alpha, d_a, d_b])


def bg_nbd_fit(
    inputs: pl.LazyFrame | pl.DataFrame,
    *,
    penalizer: float = 0.0,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> BgNbdFit:
    """The maximum likelihood BG/NBD fit of :func:`clv_inputs` (``frequency``, ``recency``, ``T``).

    Raises :class:`ClvFitError` with fewer than ``min_repeat_customers``
    customers with a repeat purchase day, or when the fit does not converge.
    """
    data = _bg_nbd_data(inputs)
    repeat_customers = int(data.weights.sum())
    _require_repeat_customers(repeat_customers, min_repeat_customers, model="bg_nbd")
    # Times in units of the mean time between repeat purchases (Σ T / Σ x), so that
    # the rate r/α is of the order of 1 whatever the unit and the pace of buying;
    # start at r = α = 1 and a = b = 1 (a uniform drop-out probability).
    total_t = _dot(data.idle_weights, data.idle_t) + _dot(data.weights, data.t)
    unit = total_t / _dot(data.weights, data.x) or 1.0
    scaled = data.scaled(unit)
    start = np.ones(4)

    def objective(theta: Floats) -> tuple[float, Floats]:
        return _penalised(
            lambda p: _bg_nbd_log_likelihood(scaled, *p), theta, data.customers, penalizer
        )

    result = minimize(
        objective,
        np.log(start),
        jac=True,
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * 4,
        options=_OPTIONS,
    )
    r, alpha_scaled, a, b = np.exp(result.x)
    alpha = float(alpha_scaled * unit)
    fit = BgNbdFit(
        r=float(r),
        alpha=alpha,
        a=float(a),
        b=float(b),
        log_likelihood=_bg_nbd_log_likelihood(data, r, alpha, a, b)[0],
        customers=int(data.customers),
        repeat_customers=repeat_customers,
        combinations=int(data.idle_t.size + data.x.size),
        penalizer=penalizer,
        converged=False,
        iterations=int(result.nit),
        message=str(result.message),
    )
    problem = _convergence_problem(result, names=("r", "alpha", "a", "b"))
    if problem:
        raise ClvFitError(
            f"The BG/NBD fit did not converge: {problem} (r={fit.r:.4g}, alpha={fit.alpha:.4g}, "
            f"a={fit.a:.4g}, b={fit.b:.4g}; {repeat_customers} repeat customers of "
            f"{fit.customers}).",
            model="bg_nbd",
            fit=fit,
            hint="The data do not pin the model down (too short a history, or no sign of "
            "customers dropping out): fit on a longer history with more repeat customers; a "
            "small penalizer (e.g. 0.001) holds back parameters that run to infinity.",
        )
    return replace(fit, converged=True)


# --------------------------------------------------------------------------------------
# Gamma-Gamma
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class _GammaGammaData:
    """Distinct (frequency, avg_spend) of repeat customers, with customer counts."""

    frequencies: Floats  # distinct frequencies ...
    frequency_weights: Floats  # ... and their customers
    x: Floats
    spend: Floats
    weights: Floats

    @property
    def customers(self) -> float:
        return float(self.weights.sum())

    def scaled(self, unit: float) -> _GammaGammaData:
        """The same data with spends divided by ``unit``."""
        return _GammaGammaData(
            frequencies=self.frequencies,
            frequency_weights=self.frequency_weights,
            x=self.x,
            spend=self.spend / unit,
            weights=self.weights,
        )


def _gamma_gamma_data(inputs: pl.LazyFrame | pl.DataFrame) -> _GammaGammaData:
    combinations = (
        inputs.lazy()
        .filter((pl.col("frequency") > 0) & (pl.col("avg_spend") > 0))
        .group_by("frequency", "avg_spend")
        .agg(pl.len().cast(pl.Float64).alias("customers"))
        .with_columns(pl.col("frequency", "avg_spend").cast(pl.Float64))
        .sort("frequency", "avg_spend")  # the same sums in the same order: reproducible
        .collect()
    )
    by_frequency = (
        combinations.group_by("frequency").agg(pl.col("customers").sum()).sort("frequency")
    )
    return _GammaGammaData(
        frequencies=by_frequency["frequency"].to_numpy(),
        frequency_weights=by_frequency["customers"].to_numpy(),
        x=combinations["frequency"].to_numpy(),
        spend=combinations["avg_spend"].to_numpy(),
        weights=combinations["customers"].to_numpy(),
    )


def _gamma_gamma_log_likelihood(
    data: _GammaGammaData, p: float, q: float, v: float
) -> tuple[float, Floats]:
    """The customer-weighted Gamma-Gamma log-likelihood and its gradient in (p, q, v).

    Fader & Hardie (2013), per repeat customer with x repeat purchases of mean
    spend m (the density of the mean)::

        ln L = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln v + (px−1) ln m + px ln x
               − (px+q) ln(xm + v)
    """
    xs, wx = data.frequencies, data.frequency_weights
    x, m, w = data.x, data.spend, data.weights
    n = wx.sum()
    pxs = p * xs
    log_m = np.log(m)
    log_total = np.log(x * m + v)
    log_likelihood = (
        _dot(wx, gammaln(pxs + q) - gammaln(pxs) + pxs * np.log(xs))
        + n * (q * math.log(v) - gammaln(q))
        + _dot(w, (p * x - 1) * log_m - (p * x + q) * log_total)
    )
    d_p = _dot(wx, xs * (digamma(pxs + q) - digamma(pxs) + np.log(xs))) + _dot(
        w, x * (log_m - log_total)
    )
    d_q = _dot(wx, digamma(pxs + q)) - n * (digamma(q) - math.log(v)) - _dot(w, log_total)
    d_v = n * q / v - _dot(w, (p * x + q) / (x * m + v))
    return float(log_likelihood), np.array([d_p, d_q, d_v])


def gamma_gamma_fit(
    inputs: pl.LazyFrame | pl.DataFrame,
    *,
    penalizer: float = 0.0,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> GammaGammaFit:
    """The maximum likelihood Gamma-Gamma fit of :func:`clv_inputs` (``frequency``, ``avg_spend``).

    Fitted on the customers with a repeat purchase day and a positive
    ``avg_spend`` (the model's spends are positive). Raises
    :class:`ClvFitError` with fewer than ``min_repeat_customers`` of them,
    when the fit does not converge, or when ``q <= 1`` (the population's mean
    spend p·v/(q − 1), used for customers without a repeat purchase, would be
    infinite).
    """
    data = _gamma_gamma_data(inputs)
    customers = int(data.customers)
    _require_repeat_customers(customers, min_repeat_customers, model="gamma_gamma")
    # Spends in units of the mean spend; start at p = 1, q = 2, v = 1 (mean spend 1).
    unit = _dot(data.weights, data.spend) / data.customers
    scaled = data.scaled(unit)

    def objective(theta: Floats) -> tuple[float, Floats]:
        return _penalised(
            lambda p: _gamma_gamma_log_likelihood(scaled, *p), theta, data.customers, penalizer
        )

    result = minimize(
        objective,
        np.log([1.0, 2.0, 1.0]),
        jac=True,
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * 3,
        options=_OPTIONS,
    )
    p, q, v_scaled = np.exp(result.x)
    v = float(v_scaled * unit)
    fit = GammaGammaFit(
        p=float(p),
        q=float(q),
        v=v,
        log_likelihood=_gamma_gamma_log_likelihood(data, p, q, v)[0],
        customers=customers,
        combinations=int(data.x.size),
        penalizer=penalizer,
        converged=False,
        iterations=int(result.nit),
        message=str(result.message),
    )
    problem = _convergence_problem(result, names=("p", "q", "v"))
    failure = "did not converge"
    if not problem and fit.q <= 1:
        failure, problem = "is unusable", f"q = {fit.q:.4g} <= 1: the mean spend is infinite"
    if problem:
        raise ClvFitError(
            f"The Gamma-Gamma fit {failure}: {problem} (p={fit.p:.4g}, q={fit.q:.4g}, "
            f"v={fit.v:.4g}; {customers} repeat customers).",
            model="gamma_gamma",
            fit=fit,
            hint="Spends this spread out need more repeat customers, or a small penalizer "
            "(e.g. 0.001); check avg_spend for outliers.",
        )
    return replace(fit, converged=True)


# --------------------------------------------------------------------------------------
# Shared
# --------------------------------------------------------------------------------------


def _dot(weights: Floats, values: Floats) -> float:
    """Σ weights · values (einsum: BLAS' dot spins its threads on a busy machine)."""
    return float(np.einsum("i,i->", weights, values))


def _penalised(
    log_likelihood: Callable[[Floats], tuple[float, Floats]],
    theta: Floats,
    customers: float,
    penalizer: float,
) -> tuple[float, Floats]:
    """The objective in log parameters: −mean log-likelihood + penalizer·Σ parameter², gradient."""
    params = np.exp(theta)
    value, gradient = log_likelihood(params)
    objective = -value / customers + penalizer * float(params @ params)
    # chain rule: d/d ln θ = θ · d/dθ
    return objective, params * (-gradient / customers + 2 * penalizer * params)


def _convergence_problem(result: OptimizeResult, *, names: tuple[str, ...]) -> str | None:
    """Why an optimiser result cannot be trusted (None: it can)."""
    if not np.isfinite(result.fun) or not np.all(np.isfinite(result.x)):
        return "the likelihood is not finite"
    # within a factor 10 of a bound: the likelihood is flat that way (e.g. a → 0 and
    # b → ∞ when nobody seems to drop out), and where the optimiser stopped is arbitrary
    at_bound = [
        name
        for name, value in zip(names, result.x, strict=True)
        if min(value - _LOG_BOUNDS[0], _LOG_BOUNDS[1] - value) < math.log(10)
    ]
    if at_bound:
        return (
            f"{', '.join(at_bound)} ran towards the bounds {PARAMETER_BOUNDS} "
            "of the rescaled fit (times in mean times between purchases, spends in mean spends)"
        )
    gradient = float(np.max(np.abs(result.jac)))
    if not gradient <= GRADIENT_TOLERANCE:
        return f"the optimiser stopped ({result.message}) with a gradient of {gradient:.2g}"
    return None


def _require_repeat_customers(found: int, required: int, *, model: Model) -> None:
    """Raise unless ``found`` reaches ``required`` (and 1: no fit without a repeat customer)."""
    required = max(required, 1)
    if found < required:
        raise ClvFitError(
            f"Too few repeat customers to fit {model}: {found}, at least {required} needed.",
            model=model,
            hint="CLV needs customers who bought on two days or more: wait for more history, "
            "or lower min_repeat_customers knowingly.",
        )
