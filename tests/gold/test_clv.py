"""Customer lifetime value (``gold/clv``): inputs, fits, predictions, the published CDNOW figures.

- ``clv_inputs`` on literal sales, and against a plain-Python oracle on random ones;
- the predictions against the textbook formulas (written out here with numpy and
  scipy, without the Euler transformation the library uses), bounds and
  monotonicity with hypothesis;
- the fits: weights, units, penalizer, recovery of simulated parameters, and the
  errors (too few repeat customers, no convergence, inconsistent inputs);
- the validation: the CDNOW sample gives the published BG/NBD and Gamma-Gamma
  parameters within 1 %.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from scipy.optimize import approx_fprime
from scipy.special import hyp2f1

from loyalty_lake.codes import MONEY
from loyalty_lake.errors import ExitCode, LoyaltyLakeError
from loyalty_lake.gold.clv import (
    CLV_INPUT_COLUMNS,
    BgNbdFit,
    ClvFitError,
    GammaGammaFit,
    ValueTier,
    bg_nbd_fit,
    clv,
    clv_inputs,
    customer_value,
    expected_avg_spend,
    expected_purchases,
    gamma_gamma_fit,
    p_alive,
    units_per_month,
    value_tier,
)
from loyalty_lake.gold.clv.fit import (
    _bg_nbd_data,
    _bg_nbd_log_likelihood,
    _gamma_gamma_data,
    _gamma_gamma_log_likelihood,
)
from tests.gold.cdnow import CALIBRATION_END, CdnowUnavailable, cdnow_sales, cdnow_sample

AS_OF = date(2024, 6, 30)

#: The published CDNOW fits (Fader, Hardie & Lee 2005; Fader & Hardie 2013), weeks.
PUBLISHED_BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}


def bg_nbd(r: float = 0.243, alpha: float = 4.414, a: float = 0.793, b: float = 2.426) -> BgNbdFit:
    """A BG/NBD fit with the given parameters (the published CDNOW ones by default)."""
    return BgNbdFit(
        r=r,
        alpha=alpha,
        a=a,
        b=b,
        log_likelihood=0.0,
        customers=0,
        repeat_customers=0,
        combinations=0,
        penalizer=0.0,
        converged=True,
        iterations=0,
        message="literal",
    )


def gamma_gamma(p: float = 6.25, q: float = 3.74, v: float = 15.44) -> GammaGammaFit:
    """A Gamma-Gamma fit with the given parameters (the published CDNOW ones by default)."""
    return GammaGammaFit(
        p=p,
        q=q,
        v=v,
        log_likelihood=0.0,
        customers=0,
        combinations=0,
        penalizer=0.0,
        converged=True,
        iterations=0,
        message="literal",
    )


def sales(rows: list[tuple[str | None, date, str]]) -> pl.LazyFrame:
    """Literal SALE transactions: (customer_id, transaction_date, amount as text)."""
    return pl.LazyFrame(
        [(customer, on, Decimal(amount)) for customer, on, amount in rows],
        schema={"customer_id": pl.String, "transaction_date": pl.Date, "amount": MONEY},
        orient="row",
    )


def summaries(rows: list[tuple[int, float, float, float | None]]) -> pl.DataFrame:
    """Literal inputs: (frequency, recency, T, avg_spend)."""
    return pl.DataFrame(
        rows,
        schema={
            "frequency": pl.Int64,
            "recency": pl.Float64,
            "T": pl.Float64,
            "avg_spend": pl.Float64,
        },
        orient="row",
    )


# --------------------------------------------------------------------------------------
# clv_inputs
# --------------------------------------------------------------------------------------


def test_clv_inputs_counts_purchase_days_up_to_as_of_in_weeks():
    out = (
        clv_inputs(
            sales(
                [
                    ("C1", AS_OF - timedelta(days=70), "10.00"),
                    ("C1", AS_OF - timedelta(days=70), "5.50"),  # same day: one purchase day
                    ("C1", AS_OF - timedelta(days=35), "20.01"),
                    ("C1", AS_OF - timedelta(days=14), "4.00"),
                    ("C1", AS_OF + timedelta(days=1), "99.00"),  # after as_of
                    ("C2", AS_OF, "7.25"),
                    (None, AS_OF - timedelta(days=3), "50.00"),  # a guest
                    ("C3", AS_OF + timedelta(days=2), "1.00"),  # only after as_of
                ]
            ),
            as_of=AS_OF,
            time_unit="week",
        )
        .collect()
        .sort("customer_id")
    )
    expected = pl.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "first_purchase_date": [AS_OF - timedelta(days=70), AS_OF],
            "last_purchase_date": [AS_OF - timedelta(days=14), AS_OF],
            "purchase_days": [3, 1],
            "frequency": [2, 0],
            "recency": [8.0, 0.0],
            "T": [10.0, 0.0],
            "repeat_spend": [Decimal("24.01"), Decimal("0.00")],
            "avg_spend": [12.005, None],
        },
        schema_overrides={"repeat_spend": MONEY},
    )
    assert_frame_equal(out, expected)
    assert out.columns == list(CLV_INPUT_COLUMNS)


def test_clv_inputs_in_days_are_weeks_times_seven_and_not_floored():
    rows = [("C1", AS_OF - timedelta(days=10), "1.00"), ("C1", AS_OF - timedelta(days=1), "2.00")]
    weeks = clv_inputs(sales(rows), as_of=AS_OF, time_unit="week").collect()
    days = clv_inputs(sales(rows), as_of=AS_OF, time_unit="day").collect()
    assert days.select("recency", "T").row(0) == (9.0, 10.0)
    assert weeks.select("recency", "T").row(0) == pytest.approx((9 / 7, 10 / 7))
    assert_frame_equal(weeks.drop("recency", "T"), days.drop("recency", "T"))


def test_clv_inputs_is_lazy_and_empty_in_empty_out():
    out = clv_inputs(sales([]), as_of=AS_OF, time_unit="day")
    assert isinstance(out, pl.LazyFrame)
    frame = out.collect()
    assert frame.height == 0
    assert frame.schema["frequency"] == pl.Int64
    assert frame.schema["repeat_spend"] == MONEY
    assert frame.schema["avg_spend"] == pl.Float64


@st.composite
def random_sales(draw: st.DrawFn) -> list[tuple[str | None, date, str]]:
    customer = st.one_of(st.none(), st.sampled_from(["A", "B", "C", "D"]))
    day = st.integers(-5, 60).map(lambda days: AS_OF - timedelta(days=days))
    cents = st.integers(1, 100_000).map(lambda c: f"{c // 100}.{c % 100:02}")
    return draw(st.lists(st.tuples(customer, day, cents), max_size=40))


@settings(max_examples=60, deadline=None)
@given(random_sales(), st.sampled_from(["week", "day"]))
def test_clv_inputs_agree_with_a_plain_python_oracle(rows, unit):
    per_day: dict[str, dict[date, Decimal]] = {}
    for customer, on, amount in rows:
        if customer is not None and on <= AS_OF:
            days = per_day.setdefault(customer, {})
            days[on] = days.get(on, Decimal(0)) + Decimal(amount)
    width = 7 if unit == "week" else 1
    expected = {}
    for customer, days in per_day.items():
        first, last = min(days), max(days)
        repeat = sum((v for d, v in days.items() if d != first), Decimal(0))
        frequency = len(days) - 1
        expected[customer] = (
            frequency,
            (last - first).days / width,
            (AS_OF - first).days / width,
            repeat,
            float(repeat) / frequency if frequency else None,
        )
    out = clv_inputs(sales(rows), as_of=AS_OF, time_unit=unit).collect()
    actual = {
        row[0]: row[1:]
        for row in out.select(
            "customer_id", "frequency", "recency", "T", "repeat_spend", "avg_spend"
        ).iter_rows()
    }
    assert actual.keys() == expected.keys()
    for customer, (frequency, recency, t, repeat, avg) in expected.items():
        got = actual[customer]
        assert got[:4] == (frequency, pytest.approx(recency), pytest.approx(t), repeat)
        assert got[4] == (None if avg is None else pytest.approx(avg))


# --------------------------------------------------------------------------------------
# Predictions against the textbook formulas
# --------------------------------------------------------------------------------------


def textbook_p_alive(x, t_x, t, fit: BgNbdFit):
    """FHL 2005 eq. 13."""
    if x == 0:
        return 1.0
    ratio = ((fit.alpha + t) / (fit.alpha + t_x)) ** (fit.r + x)
    return 1 / (1 + fit.a / (fit.b + x - 1) * ratio)


def textbook_expected_purchases(x, t_x, t, horizon, fit: BgNbdFit):
    """FHL 2005 eq. 10, as written (no Euler transformation)."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    z = horizon / (alpha + t + horizon)
    power = ((alpha + t) / (alpha + t + horizon)) ** (r + x)
    numerator = (a + b + x - 1) / (a - 1) * (1 - power * hyp2f1(r + x, b + x, a + b + x - 1, z))
    return numerator * textbook_p_alive(x, t_x, t, fit)


LITERAL = [(0, 0.0, 38.86), (2, 30.43, 38.86), (1, 1.71, 38.86), (7, 20.0, 38.0), (26, 30.86, 31.0)]


@pytest.mark.parametrize("horizon", [1.0, 39.0, 52.0, 104.0])
def test_predictions_equal_the_textbook_formulas(horizon):
    fit = bg_nbd()
    frame = summaries([(x, t_x, t, None) for x, t_x, t in LITERAL])
    out = frame.select(
        p_alive(fit).alias("p_alive"),
        expected_purchases(fit, horizon=horizon).alias("expected"),
    )
    for (x, t_x, t), (alive, expected) in zip(LITERAL, out.iter_rows(), strict=True):
        assert alive == pytest.approx(textbook_p_alive(x, t_x, t, fit), rel=1e-12)
        assert expected == pytest.approx(
            textbook_expected_purchases(x, t_x, t, horizon, fit), rel=1e-9
        )


def test_expected_purchases_reproduce_the_published_worked_example():
    # The worked example of the BG/NBD paper (FHL 2005): customer 1516 of the CDNOW
    # sample (x = 26, t_x = 30.86, T = 31) is expected to make 25.76 purchases in
    # the next 52 weeks.
    out = summaries([(26, 30.86, 31.0, None)]).select(expected_purchases(bg_nbd(), horizon=52))
    assert out.item() == pytest.approx(25.76, abs=0.005)


def test_expected_avg_spend_shrinks_towards_the_population_mean():
    fit = gamma_gamma()
    out = summaries([(0, 0.0, 10.0, None), (1, 5.0, 10.0, 100.0), (50, 5.0, 10.0, 100.0)]).select(
        expected_avg_spend(fit)
    )
    population = 6.25 * 15.44 / 2.74
    assert out.to_series().to_list() == pytest.approx(
        [population, 6.25 * (15.44 + 100) / (6.25 + 2.74), 6.25 * (15.44 + 5000) / (312.5 + 2.74)]
    )
    assert population < out.item(1, 0) < out.item(2, 0) < 100


def test_clv_is_the_discounted_sum_of_monthly_expected_purchases_times_spend():
    bg, gg = bg_nbd(), gamma_gamma()
    frame = summaries([(x, t_x, t, 20.0 + x) for x, t_x, t in LITERAL])
    month = units_per_month("week")
    annual = 0.10
    monthly = [
        expected_purchases(bg, horizon=m * month) - expected_purchases(bg, horizon=(m - 1) * month)
        for m in range(1, 13)
    ]
    explicit = expected_avg_spend(gg) * pl.sum_horizontal(
        purchases / (1 + annual) ** (m / 12) for m, purchases in enumerate(monthly, 1)
    )
    out = frame.select(
        clv(bg, gg, horizon_months=12, annual_discount_rate=annual, time_unit="week").alias("clv"),
        explicit.alias("explicit"),
        (expected_avg_spend(gg) * expected_purchases(bg, horizon=12 * month)).alias("undiscounted"),
    )
    assert out["clv"].to_list() == pytest.approx(out["explicit"].to_list(), rel=1e-9)
    assert (out["clv"] < out["undiscounted"]).all()
    assert (out["clv"] > 0.9 * out["undiscounted"]).all()  # 10 % a year, a year ahead


def test_clv_in_days_equals_clv_in_weeks_for_the_same_model():
    weeks = summaries([(x, t_x, t, 30.0) for x, t_x, t in LITERAL])
    days = weeks.with_columns(pl.col("recency", "T") * 7)
    bg_days = bg_nbd(alpha=4.414 * 7)
    kwargs = {"horizon_months": 6, "annual_discount_rate": Decimal("0.05")}
    in_weeks = weeks.select(clv(bg_nbd(), gamma_gamma(), time_unit="week", **kwargs))
    in_days = days.select(clv(bg_days, gamma_gamma(), time_unit="day", **kwargs))
    assert in_days.to_series().to_list() == pytest.approx(in_weeks.to_series().to_list())


fits = st.builds(
    bg_nbd,
    r=st.floats(0.05, 5),
    alpha=st.floats(0.5, 50),
    a=st.floats(0.05, 5).filter(lambda a: abs(a - 1) > 1e-3),
    b=st.floats(0.05, 5),
)


@settings(max_examples=80, deadline=None)
@given(
    fits,
    st.integers(0, 40),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0.1, 200),
    st.floats(0.5, 60),
)
def test_p_alive_is_a_probability_that_rises_with_recency_and_falls_with_t(
    fit, x, share_earlier, share_later, t, horizon
):
    earlier, later = sorted((share_earlier * t, share_later * t))
    assume(x > 0 or earlier == later == 0)
    frame = summaries(
        [
            (x, earlier, t, None),  # last purchase earlier ...
            (x, later, t, None),  # ... or later, same x and T
            (x, earlier, t + 10, None),  # same x and recency, observed longer
        ]
    )
    out = frame.select(
        p_alive(fit).alias("p"),
        expected_purchases(fit, horizon=horizon).alias("short"),
        expected_purchases(fit, horizon=2 * horizon).alias("long"),
    )
    p = out["p"].to_list()
    assert all(0 <= value <= 1 for value in p)
    if x == 0:
        assert p == [1.0, 1.0, 1.0]
    assert p[0] <= p[1] + 1e-12  # a more recent last purchase: more likely alive
    assert p[2] <= p[0] + 1e-12  # a longer silence: less likely alive
    assert ((out["short"] >= 0) & (out["short"] <= out["long"] + 1e-9)).all()


def test_value_tiers_take_the_top_shares_and_ties_get_the_better_tier():
    values = pl.DataFrame({"clv": [float(v) for v in range(20, 0, -1)] + [1.0, None]})
    tiers = values.select(value_tier(pl.col("clv"))).to_series().to_list()
    # 21 customers with a value: Top < ceil(2.1) = 3 above, High < 6, Medium < 11
    assert tiers[:3] == [ValueTier.TOP] * 3
    assert tiers[3:6] == [ValueTier.HIGH] * 3
    assert tiers[6:11] == [ValueTier.MEDIUM] * 5
    assert tiers[11:19] == [ValueTier.LOW] * 8
    assert tiers[19] == tiers[20] == ValueTier.LOW  # the tied 1.0s
    assert tiers[21] is None
    tied = pl.DataFrame({"clv": [5.0] * 10}).select(value_tier(pl.col("clv")))
    assert tied.to_series().to_list() == [ValueTier.TOP] * 10


def test_customer_value_adds_the_predictions_to_every_input_row():
    inputs = clv_inputs(
        sales(
            [
                ("C1", AS_OF - timedelta(days=200), "10.00"),
                ("C1", AS_OF - timedelta(days=100), "30.00"),
                ("C2", AS_OF - timedelta(days=50), "12.34"),
            ]
        ),
        as_of=AS_OF,
        time_unit="week",
    )
    out = (
        customer_value(
            inputs,
            bg_nbd=bg_nbd(),
            gamma_gamma=gamma_gamma(),
            horizon_months=12,
            annual_discount_rate=Decimal("0.10"),
            time_unit="week",
        )
        .collect()
        .sort("customer_id")
    )
    assert out.columns == [
        *CLV_INPUT_COLUMNS,
        "p_alive",
        "expected_purchases",
        "expected_avg_spend",
        "clv",
        "value_tier",
    ]
    assert out.schema["expected_avg_spend"] == MONEY
    assert out.schema["clv"] == MONEY
    assert out["p_alive"].to_list()[1] == 1.0
    assert out["expected_avg_spend"].to_list()[1] == Decimal("35.22")  # p·v/(q−1), to the cent
    # of two customers, one is the top 10 % (and 25 %, and 50 %): the other is Low
    assert out["value_tier"].to_list() == [ValueTier.TOP, ValueTier.LOW]
    assert (out["clv"] > 0).all()


# --------------------------------------------------------------------------------------
# Fits
# --------------------------------------------------------------------------------------


def simulated_inputs(customers: int, *, seed: int) -> pl.DataFrame:
    """Inputs simulated from BG/NBD (r 0.5, α 8, a 0.8, b 2.5) and Gamma-Gamma (6, 4, 15)."""
    from benchmarks.clv_fit import AS_OF as SIMULATED_AS_OF
    from benchmarks.clv_fit import simulated_sales

    simulated = simulated_sales(customers, seed=seed)
    return clv_inputs(simulated.lazy(), as_of=SIMULATED_AS_OF, time_unit="week").collect()


@pytest.fixture(scope="module")
def simulated() -> pl.DataFrame:
    return simulated_inputs(30_000, seed=5)


def test_fits_recover_the_parameters_of_simulated_customers(simulated):
    bg, gg = bg_nbd_fit(simulated), gamma_gamma_fit(simulated)
    # Gamma-Gamma's p, q and v trade off against each other: their mean p·v/(q−1) is
    # pinned down much more tightly than each of them
    truth = {"r": 0.5, "alpha": 8.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "v": 15.0}
    fitted = bg.parameters | gg.parameters
    for name, value in truth.items():
        assert fitted[name] == pytest.approx(value, rel=0.1 if name in bg.parameters else 0.15), (
            name
        )
    assert gg.mean_spend == pytest.approx(6.0 * 15.0 / 3.0, rel=0.03)
    assert bg.converged
    assert gg.converged
    assert bg.customers == simulated.height
    assert bg.repeat_customers == simulated.filter(pl.col("frequency") > 0).height
    assert bg.combinations < simulated.height


def test_a_fit_weights_each_combination_by_its_customers(simulated):
    bg, gg = bg_nbd_fit(simulated), gamma_gamma_fit(simulated)
    tripled = pl.concat([simulated.reverse(), simulated, simulated.sample(fraction=1, seed=1)])
    bg3, gg3 = bg_nbd_fit(tripled.lazy()), gamma_gamma_fit(tripled)
    for one, three in ((bg, bg3), (gg, gg3)):
        assert three.parameters == pytest.approx(one.parameters, rel=1e-5)
        assert three.log_likelihood == pytest.approx(3 * one.log_likelihood, rel=1e-9)
        assert three.combinations == one.combinations
    assert (bg3.customers, gg3.customers) == (3 * bg.customers, 3 * gg.customers)


def test_the_analytic_gradients_match_finite_differences(simulated):
    data = _bg_nbd_data(simulated.head(3000))
    point = np.array([0.6, 9.0, 0.7, 2.0])
    value, gradient = _bg_nbd_log_likelihood(data, *point)
    numeric = approx_fprime(point, lambda p: _bg_nbd_log_likelihood(data, *p)[0], 1e-6)
    assert math.isfinite(value)
    assert gradient == pytest.approx(numeric, rel=1e-4)
    spends = _gamma_gamma_data(simulated.head(3000))
    point = np.array([5.0, 3.0, 20.0])
    _, gradient = _gamma_gamma_log_likelihood(spends, *point)
    numeric = approx_fprime(point, lambda p: _gamma_gamma_log_likelihood(spends, *p)[0], 1e-6)
    assert gradient == pytest.approx(numeric, rel=1e-4)


def test_a_penalizer_shrinks_the_parameters_and_costs_likelihood(simulated):
    plain = bg_nbd_fit(simulated)
    penalised = bg_nbd_fit(simulated, penalizer=0.1)
    assert penalised.penalizer == 0.1
    assert penalised.log_likelihood < plain.log_likelihood
    assert penalised.r**2 + penalised.a**2 + penalised.b**2 < plain.r**2 + plain.a**2 + plain.b**2


def test_too_few_repeat_customers_is_a_clear_error():
    inputs = summaries(
        [(1, 5.0, 10.0, 20.0)] * 99 + [(0, 0.0, 10.0, None)] * 500 + [(2, 5.0, 10.0, -1.0)]
    )
    with pytest.raises(ClvFitError) as raised:
        bg_nbd_fit(inputs, min_repeat_customers=101)
    error = raised.value
    assert isinstance(error, LoyaltyLakeError)
    assert error.model == "bg_nbd"
    assert error.fit is None
    assert "100" in error.message
    assert "101" in error.message
    assert error.hint
    assert "repeat" in error.hint
    assert error.exit_code == ExitCode.DATA
    # the customer with a non-positive mean spend does not count for Gamma-Gamma
    with pytest.raises(ClvFitError, match="99, at least 100") as raised:
        gamma_gamma_fit(inputs)
    assert raised.value.model == "gamma_gamma"


def test_a_fit_that_runs_to_a_bound_is_an_error_carrying_the_attempt():
    # every repeat customer bought right up to T: nothing shows anybody dropping out
    inputs = summaries([(5, 50.0, 50.0, 10.0)] * 200 + [(0, 0.0, 50.0, None)] * 100)
    with pytest.raises(ClvFitError, match="did not converge") as raised:
        bg_nbd_fit(inputs)
    fit = raised.value.fit
    assert isinstance(fit, BgNbdFit)
    assert not fit.converged
    assert fit.customers == 300
    assert raised.value.hint


def test_inconsistent_inputs_are_refused():
    inputs = summaries([(1, 12.0, 10.0, 5.0)] * 200)
    with pytest.raises(ClvFitError, match="recency <= T"):
        bg_nbd_fit(inputs)


def test_a_fit_is_frozen():
    fit = bg_nbd()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.r = 1.0


# --------------------------------------------------------------------------------------
# Validation: the CDNOW sample and its published parameters
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def cdnow(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The CDNOW sample's transactions (downloaded once, kept in pytest's cache)."""
    cache = getattr(pytestconfig, "cache", None)  # None under -p no:cacheprovider
    folder = cache.mkdir("cdnow") if cache is not None else tmp_path_factory.mktemp("cdnow")
    try:
        path = cdnow_sample(Path(folder))
    except (CdnowUnavailable, OSError) as error:
        pytest.skip(f"the CDNOW sample cannot be fetched: {error}")
    return cdnow_sales(path)


@pytest.fixture(scope="session")
def cdnow_inputs(cdnow: pl.DataFrame) -> pl.DataFrame:
    return clv_inputs(cdnow.lazy(), as_of=CALIBRATION_END, time_unit="week").collect()


def test_cdnow_inputs_are_the_published_summary(cdnow_inputs):
    # 2,357 customers, 946 with a repeat purchase; the first rows of the published
    # summary (ID 1, 2: x, t_x, T, mean repeat spend)
    assert cdnow_inputs.height == 2357
    assert cdnow_inputs.filter(pl.col("frequency") > 0).height == 946
    rows = {
        row[0]: row[1:]
        for row in cdnow_inputs.select(
            "customer_id", "frequency", "recency", "T", "avg_spend"
        ).iter_rows()
    }
    assert rows["00004"] == (
        2,
        pytest.approx(30.43, abs=0.005),
        pytest.approx(38.86, abs=0.005),
        22.345,
    )
    assert rows["00021"] == (
        1,
        pytest.approx(1.71, abs=0.005),
        pytest.approx(38.86, abs=0.005),
        11.77,
    )


def test_cdnow_reproduces_the_published_bg_nbd_parameters(cdnow_inputs):
    fit = bg_nbd_fit(cdnow_inputs)
    for name, published in PUBLISHED_BG_NBD.items():
        assert fit.parameters[name] == pytest.approx(published, rel=0.01), name
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.05)  # FHL 2005, table 1
    assert (fit.customers, fit.repeat_customers) == (2357, 946)
    assert fit.converged


def test_cdnow_reproduces_the_published_gamma_gamma_parameters(cdnow_inputs):
    fit = gamma_gamma_fit(cdnow_inputs)
    for name, published in PUBLISHED_GAMMA_GAMMA.items():
        assert fit.parameters[name] == pytest.approx(published, rel=0.01), name
    assert fit.customers == 946
    assert fit.converged


def test_cdnow_in_days_gives_the_same_model(cdnow, cdnow_inputs):
    weeks = bg_nbd_fit(cdnow_inputs)
    days = bg_nbd_fit(clv_inputs(cdnow.lazy(), as_of=CALIBRATION_END, time_unit="day"))
    assert days.alpha == pytest.approx(7 * weeks.alpha, rel=1e-6)
    for name in ("r", "a", "b"):
        assert days.parameters[name] == pytest.approx(weeks.parameters[name], rel=1e-6)


def test_cdnow_in_calendar_weeks_does_not_reproduce_the_published_fit(cdnow):
    # lifetimes' summary_data_from_transaction_data(freq="W") buckets dates into
    # calendar weeks (purchase weeks, whole-week spans): other numbers, hence
    # clv_inputs' days / 7.
    bucketed = cdnow.with_columns(pl.col("transaction_date").dt.truncate("1w"))
    as_of = CALIBRATION_END - timedelta(days=CALIBRATION_END.weekday())
    fit = bg_nbd_fit(clv_inputs(bucketed.lazy(), as_of=as_of, time_unit="week"))
    assert fit.r != pytest.approx(PUBLISHED_BG_NBD["r"], rel=0.1)
    assert fit.alpha != pytest.approx(PUBLISHED_BG_NBD["alpha"], rel=0.1)
