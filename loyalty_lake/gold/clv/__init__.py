"""Customer lifetime value: BG/NBD and Gamma-Gamma, fitted on a lakehouse table in seconds.

Contract section 3.5. Three steps, usable on any frame from a notebook::

    inputs = clv_inputs(sales, as_of=as_of, time_unit="week")   # one row per customer
    bg_nbd, gamma_gamma = bg_nbd_fit(inputs), gamma_gamma_fit(inputs)
    value = customer_value(inputs, bg_nbd=bg_nbd, gamma_gamma=gamma_gamma,
                           horizon_months=12, annual_discount_rate=0.10, time_unit="week")

- :mod:`~loyalty_lake.gold.clv.inputs`: :func:`clv_inputs`, the per-customer
  ``frequency`` (repeat purchase days), ``recency``, ``T`` and ``avg_spend``
  from clean SALE transactions (a lazy transform);
- :mod:`~loyalty_lake.gold.clv.fit`: :func:`bg_nbd_fit` and
  :func:`gamma_gamma_fit`, maximum likelihood on the distinct input
  combinations with customer counts as weights (the fit collects: it returns
  numbers); :class:`ClvFitError` when the data cannot support a fit;
- :mod:`~loyalty_lake.gold.clv.predict`: expressions over the inputs:
  :func:`p_alive`, :func:`expected_purchases`, :func:`expected_avg_spend`,
  :func:`clv`, :func:`value_tier`; :func:`customer_value` adds them all.

The models, and what they assume:

- **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy
  way"): while active, a customer buys at a steady random rate λ
  (Poisson); after each repeat purchase, they drop out for good with
  probability p. Across customers, λ ~ Gamma(r, α) (mean r/α purchases per
  time unit) and p ~ Beta(a, b) (mean a/(a+b)). A long silence relative to a
  customer's own pace makes them probably gone: ``p_alive``. Customers never
  come back after dropping out; purchases are counted as purchase days.
- **Gamma-Gamma** (Fader & Hardie 2013): the spend of a purchase day varies
  around a customer's own mean, which varies across customers; spend is
  independent of how often one buys (check it: the correlation of
  ``frequency`` and ``avg_spend`` among repeat customers should be weak).
  A customer's expected spend shrinks their own mean towards the population
  mean p·v/(q−1), the more the fewer purchases they made.
- **CLV** is the expected spend of the next ``horizon_months`` months,
  discounted monthly: a forecast for ranking and budgeting, not booked money.

The published CDNOW results (2,357 customers, 39 weeks) are reproduced by the
tests: r = 0.243, α = 4.414, a = 0.793, b = 2.426, and on the 946 repeat
customers p = 6.25, q = 3.74, v = 15.44.
"""

from __future__ import annotations

from loyalty_lake.gold.clv.fit import (
    MIN_REPEAT_CUSTOMERS,
    BgNbdFit,
    ClvFitError,
    GammaGammaFit,
    bg_nbd_fit,
    gamma_gamma_fit,
)
from loyalty_lake.gold.clv.inputs import (
    CLV_INPUT_COLUMNS,
    DAYS_PER_UNIT,
    PURCHASE_SUMMARY_COLUMNS,
    TimeUnit,
    clv_inputs,
    clv_inputs_of,
    purchase_summary,
)
from loyalty_lake.gold.clv.predict import (
    DAYS_PER_MONTH,
    VALUE_TIER_SHARES,
    ValueTier,
    clv,
    customer_value,
    expected_avg_spend,
    expected_purchases,
    p_alive,
    units_per_month,
    value_tier,
)

__all__ = [
    "CLV_INPUT_COLUMNS",
    "DAYS_PER_MONTH",
    "DAYS_PER_UNIT",
    "MIN_REPEAT_CUSTOMERS",
    "PURCHASE_SUMMARY_COLUMNS",
    "VALUE_TIER_SHARES",
    "BgNbdFit",
    "ClvFitError",
    "GammaGammaFit",
    "TimeUnit",
    "ValueTier",
    "bg_nbd_fit",
    "clv",
    "clv_inputs",
    "clv_inputs_of",
    "customer_value",
    "expected_avg_spend",
    "expected_purchases",
    "gamma_gamma_fit",
    "p_alive",
    "purchase_summary",
    "units_per_month",
    "value_tier",
]
