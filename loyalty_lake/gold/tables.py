"""Gold, declared: every published table as one pure function of the silver tables and ``as_of``.

:func:`gold_tables` is the whole of gold, frames in and frames out; the
pipeline (``pipeline/gold.py``) only reads silver, calls it, validates and
writes. It runs in stages that scale apart:

1. :func:`customer_state`, the **per-customer stage**: earning, the points
   ledger with its FIFO expiry and redemption verdicts, balances, tiers, and
   each customer's last purchase, frequency and monetary. Every figure of a
   customer depends only on that customer's rows.
   It also gives each customer's CLV inputs (purchase days, recency, T,
   spend per repeat day).
2. The **global stage** over the one-row-per-customer table: the CLV models
   are fitted and applied (:func:`customer_values`), then
   :func:`~loyalty_lake.gold.customers.customer_details` scores: quintiles,
   the top share, segments (:func:`~loyalty_lake.gold.rfm.customer_scores`).
3. The **marts** (:mod:`loyalty_lake.gold.marts`), from the sale lines, the
   ledger, the stock snapshots and the scored customers; and the
   notification events (:mod:`loyalty_lake.gold.notifications`), which the
   pipeline merges into the outbox.
4. The **quality marts**, which need no sale: with no clean transaction
   (``as_of`` None) they are the only tables.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import TransactionType
from loyalty_lake.gold.clv import (
    BgNbdFit,
    ClvFitError,
    GammaGammaFit,
    bg_nbd_fit,
    clv_inputs,
    customer_value,
    gamma_gamma_fit,
)
from loyalty_lake.gold.customers import customer_details, customer_profiles
from loyalty_lake.gold.marts.inventory import inventory_daily, store_performance
from loyalty_lake.gold.marts.loyalty import loyalty_daily
from loyalty_lake.gold.marts.promotions import promotion_performance
from loyalty_lake.gold.marts.quality import batch_quality, dq_summary, normalisation_summary
from loyalty_lake.gold.marts.sales import (
    member_sales_daily,
    product_sales_daily,
    sale_lines,
    sales_daily,
    store_daily,
)
from loyalty_lake.gold.marts.segments import segment_summary
from loyalty_lake.gold.models import ClvParameters, CustomerValue
from loyalty_lake.gold.notifications import notification_events
from loyalty_lake.gold.points.balances import TIER_NAMES
from loyalty_lake.gold.points.earning import earning_rules, promoted_lines, scored_lines
from loyalty_lake.gold.points.ledger import ledger_events, points_ledger, settled_ledger
from loyalty_lake.gold.rejects import redemption_verdicts, rejects_after_gold
from loyalty_lake.silver.models import SILVER_SCHEMAS, schema

if TYPE_CHECKING:
    from datetime import date

    from loyalty_lake.config import Config

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SilverTables:
    """The silver tables gold reads, whole (gold keeps what is up to ``as_of`` itself)."""

    stores: pl.LazyFrame
    products: pl.LazyFrame
    customers: pl.LazyFrame
    promotions: pl.LazyFrame
    loyalty_rules: pl.LazyFrame
    sales_header: pl.LazyFrame
    sales_lines: pl.LazyFrame
    redemptions: pl.LazyFrame
    inventory: pl.LazyFrame
    rejects: pl.LazyFrame
    warnings: pl.LazyFrame
    processed_files: pl.LazyFrame
    normalisations: pl.LazyFrame

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The names of the silver tables gold reads (as the lake names them)."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def of(cls, **tables: pl.LazyFrame | pl.DataFrame) -> SilverTables:
        """The given silver tables; any other is empty, with its silver schema."""
        unknown = set(tables) - set(cls.names())
        if unknown:
            raise TypeError(f"Not a silver table gold reads: {', '.join(sorted(unknown))}.")
        empty = SILVER_SCHEMAS
        return cls(
            **{
                name: tables[name].lazy() if name in tables else pl.LazyFrame(schema=empty[name])
                for name in cls.names()
            }
        )


@dataclass(frozen=True, slots=True)
class CustomerState:
    """What the per-customer stage computed.

    ``ledger`` is the published points ledger; ``customers`` has one row per
    silver customer with the per-customer columns of ``customer_details``
    (:func:`~loyalty_lake.gold.customers.customer_profiles`);
    ``promoted_lines`` are the members' lines that carry a promotion, with
    their points; ``refused_redemptions`` the silver redemptions refused for
    insufficient points; ``clv_inputs`` one row per customer with a sale
    (:func:`~loyalty_lake.gold.clv.clv_inputs`).
    """

    ledger: pl.DataFrame
    customers: pl.DataFrame
    promoted_lines: pl.DataFrame
    refused_redemptions: pl.DataFrame
    clv_inputs: pl.DataFrame


@dataclass(frozen=True, slots=True)
class GoldTables:
    """Gold's output: the published tables by name, and what the pipeline still merges or tells.

    ``refused_redemptions`` are the silver redemption rows refused for
    INSUFFICIENT_POINTS; their verdicts are published in ``redemption_verdicts``
    (:func:`~loyalty_lake.gold.rejects.redemption_verdicts`).
    ``notification_events`` are the messages due, which the pipeline merges
    into the outbox (:func:`~loyalty_lake.gold.notifications.outbox`);
    ``warnings`` what the build should tell (e.g. a CLV fit that failed).
    """

    tables: dict[str, pl.DataFrame]
    refused_redemptions: pl.DataFrame
    notification_events: pl.DataFrame | None = None
    warnings: tuple[str, ...] = ()


def customer_state(
    silver: SilverTables, *, config: Config, as_of: date, pii_key: str | None
) -> CustomerState:
    """The per-customer stage: points ledger, balances, tiers and activity, as of ``as_of``.

    Earning (:mod:`~loyalty_lake.gold.points.earning`), the ledger with its
    expiry and redemption verdicts (:mod:`~loyalty_lake.gold.points.ledger`),
    then one row per customer (:func:`~loyalty_lake.gold.customers.customer_profiles`).
    """
    rules = earning_rules(silver.loyalty_rules.collect(), default=config.loyalty.default_rules)
    promotions = silver.promotions.collect()
    # Lines with their points are only ever summed: keep the sums, not the lines.
    scored = scored_lines(
        silver.sales_header,
        silver.sales_lines,
        _products(silver),
        rules=rules,
        promotions=promotions,
        as_of=as_of,
    ).cache()
    log.info("Gold: earning events")
    events, promoted = pl.collect_all(
        [
            ledger_events(scored, silver.redemptions, rules=rules, as_of=as_of),
            promoted_lines(scored),
        ]
    )
    log.info("Gold: points ledger of %d events", events.height)
    settled, refused_ids = settled_ledger(
        events, as_of=as_of, expiry_months=config.loyalty.expiry_months
    )
    log.info("Gold: %d redemptions rejected for insufficient points", refused_ids.len())
    refused = silver.redemptions.filter(
        pl.col("redemption_id").is_in(refused_ids.implode())
    ).collect()
    ledger = points_ledger(settled).collect()
    log.info("Gold: customer profiles")
    customers, inputs = pl.collect_all(
        [
            customer_profiles(
                silver.customers,
                silver.sales_header,
                ledger.lazy(),
                as_of=as_of,
                tiers=config.loyalty.tiers,
                pii_key=pii_key,
            ),
            clv_inputs(
                _purchases(silver.sales_header),
                as_of=as_of,
                time_unit=config.clv.time_unit,  # type: ignore[arg-type]
            ),
        ]
    )
    return CustomerState(ledger, customers, promoted, refused, inputs)


def _purchases(sales_header: pl.LazyFrame) -> pl.LazyFrame:
    """The CLV models' purchases: members' clean SALE transactions (returns are not purchases)."""
    return sales_header.filter(
        (pl.col("transaction_type") == TransactionType.SALE) & pl.col("customer_id").is_not_null()
    ).select("customer_id", "transaction_date", pl.col("total_amount").alias("amount"))


@dataclass(frozen=True, slots=True)
class CustomerValues:
    """The CLV stage's output: ``customer_value``, ``clv_parameters``, and what went wrong."""

    values: pl.DataFrame
    parameters: pl.DataFrame
    warnings: tuple[str, ...] = ()


def customer_values(inputs: pl.DataFrame, *, config: Config) -> CustomerValues:
    """The global CLV stage: fit BG/NBD and Gamma-Gamma on every customer, predict each one.

    A fit the data cannot support (too few repeat customers, no convergence)
    leaves ``customer_value`` empty with a warning; the parameters of a fit
    that ran but did not converge are still published, marked as such.
    """
    settings = config.clv
    fits: list[BgNbdFit | GammaGammaFit] = []
    try:
        bg_nbd = bg_nbd_fit(inputs.lazy(), min_repeat_customers=settings.min_repeat_customers)
        fits.append(bg_nbd)
        gamma_gamma = gamma_gamma_fit(
            inputs.lazy(), min_repeat_customers=settings.min_repeat_customers
        )
        fits.append(gamma_gamma)
    except ClvFitError as exc:
        if exc.fit is not None:
            fits.append(exc.fit)
        log.warning("Gold: no customer lifetime value: %s", exc.message)
        empty = pl.DataFrame(schema=schema(CustomerValue))
        warning = f"No customer lifetime value: {exc.message} {exc.hint or ''}".strip()
        return CustomerValues(empty, _parameters(fits, settings.time_unit), (warning,))
    values = customer_value(
        inputs.lazy(),
        bg_nbd=bg_nbd,
        gamma_gamma=gamma_gamma,
        horizon_months=settings.horizon_months,
        annual_discount_rate=settings.annual_discount_rate,
        time_unit=settings.time_unit,  # type: ignore[arg-type]
    ).collect()
    return CustomerValues(values, _parameters(fits, settings.time_unit))


def _parameters(fits: list[BgNbdFit | GammaGammaFit], time_unit: str) -> pl.DataFrame:
    """``clv_parameters``: one row per model × parameter of ``fits``."""
    rows = [
        {
            "model": fit.model,
            "parameter": name,
            "value": value,
            "time_unit": time_unit,
            "log_likelihood": fit.log_likelihood,
            "customers": fit.customers,
            "converged": fit.converged,
        }
        for fit in fits
        for name, value in fit.parameters.items()
    ]
    return pl.DataFrame(rows, schema=schema(ClvParameters))


def gold_tables(
    silver: SilverTables, *, config: Config, as_of: date | None, pii_key: str | None
) -> GoldTables:
    """Every gold table of ``silver`` as of ``as_of``, and the redemptions refused.

    ``as_of`` None (no clean transaction yet) gives the quality marts only.
    Emails and phones become pseudonyms under ``pii_key`` (masked without one).
    """
    if as_of is None:
        refused = silver.redemptions.clear().collect()
        return GoldTables(_quality_marts(silver, rejects=silver.rejects), refused)
    state = customer_state(silver, config=config, as_of=as_of, pii_key=pii_key)
    log.info("Gold: customer lifetime value")
    value = customer_values(state.clv_inputs, config=config)
    log.info("Gold: customer details")
    details = customer_details(
        state.customers.lazy(), as_of=as_of, settings=config.segments, value=value.values.lazy()
    ).collect()
    log.info("Gold: marts")
    products = _products(silver)
    lines = sale_lines(silver.sales_header, silver.sales_lines, products, as_of=as_of).cache()
    stock = inventory_daily(lines, silver.inventory, as_of=as_of).cache()
    verdicts = redemption_verdicts(silver.redemptions, state.refused_redemptions.lazy())
    marts = {
        "redemption_verdicts": verdicts,
        "sales_daily": sales_daily(lines, silver.stores),
        "store_daily": store_daily(lines, silver.stores),
        "product_sales_daily": product_sales_daily(lines, products, silver.stores),
        "member_sales_daily": member_sales_daily(lines),
        "loyalty_daily": loyalty_daily(state.ledger.lazy(), silver.sales_header, as_of=as_of),
        "promotion_performance": promotion_performance(
            lines, state.promoted_lines.lazy(), silver.promotions.collect(), as_of=as_of
        ),
        "segment_summary": segment_summary(details.lazy()),
        "inventory_daily": stock,
        "store_performance": store_performance(
            lines, state.ledger.lazy(), silver.sales_header, stock, silver.stores
        ),
        "_notification_events": notification_events(
            details.lazy(),
            state.ledger.lazy(),
            verdicts,
            silver.customers,
            as_of=as_of,
            rules=config.notifications,
            tier_names=TIER_NAMES,
        ),
    }
    rejects = rejects_after_gold(silver.rejects, state.refused_redemptions.lazy())
    computed = dict(zip(marts, pl.collect_all(marts.values()), strict=True))
    events = computed.pop("_notification_events")
    tables = {
        "points_ledger": state.ledger,
        "customer_details": details,
        "customer_value": value.values,
        "clv_parameters": value.parameters,
        **computed,
        **_quality_marts(silver, rejects=rejects),
    }
    return GoldTables(tables, state.refused_redemptions, events, value.warnings)


def _quality_marts(silver: SilverTables, *, rejects: pl.LazyFrame) -> dict[str, pl.DataFrame]:
    """dq_summary, batch_quality, normalisation_summary: the only tables that need no sale."""
    return {
        "dq_summary": dq_summary(rejects, silver.warnings).collect(),
        "batch_quality": batch_quality(silver.processed_files, rejects).collect(),
        "normalisation_summary": normalisation_summary(silver.normalisations).collect(),
    }


def _products(silver: SilverTables) -> pl.DataFrame:
    return silver.products.select("product_id", "product_category", "product_name").collect()
