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
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import TYPE_CHECKING

import polars as pl
import polars_hash  # noqa: F401 - registers the .chash expression namespace

from loyalty_lake.codes import TransactionType
from loyalty_lake.gold.clv import (
    PURCHASE_SUMMARY_COLUMNS,
    BgNbdFit,
    ClvFitError,
    GammaGammaFit,
    bg_nbd_fit,
    clv_inputs_of,
    customer_value,
    gamma_gamma_fit,
    purchase_summary,
)
from loyalty_lake.gold.customers import customer_details, customer_figures, customer_profiles
from loyalty_lake.gold.marts.inventory import (
    SELL_RATE_DAYS,
    inventory_daily,
    store_days,
    store_performance,
)
from loyalty_lake.gold.marts.loyalty import loyalty_daily
from loyalty_lake.gold.marts.promotions import earliest_day, promotion_performance
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
    from collections.abc import Mapping, Sequence
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
    """What the per-customer stage computed, for some customers: gold's state between builds.

    ``ledger`` is their part of the published points ledger; ``figures`` one
    row per customer with points or a clean transaction
    (:func:`~loyalty_lake.gold.customers.customer_figures`, published as
    ``customer_state``); ``promoted_points`` the points of their lines that
    carry a promotion (``promotion_points``); ``refused_redemptions`` their
    silver redemptions refused for insufficient points. Every row belongs to
    one customer, so the state of disjoint sets of customers concatenates
    (:meth:`concat`) and a customer's rows are replaced as a whole (:meth:`without`).
    """

    ledger: pl.DataFrame
    figures: pl.DataFrame
    promoted_points: pl.DataFrame
    refused_redemptions: pl.DataFrame

    @classmethod
    def concat(cls, parts: Sequence[CustomerState]) -> CustomerState:
        """The state of the customers of every part (disjoint sets)."""
        return cls(
            ledger=pl.concat([p.ledger for p in parts]),
            figures=pl.concat([p.figures for p in parts]).sort("customer_id"),
            promoted_points=pl.concat([p.promoted_points for p in parts]),
            refused_redemptions=pl.concat([p.refused_redemptions for p in parts]),
        )

    def only(self, customers: pl.Series) -> CustomerState:
        """The rows of ``customers``."""
        return self._where(pl.col("customer_id").is_in(customers.implode()))

    def without(self, customers: pl.Series) -> CustomerState:
        """The rows of every customer but ``customers``."""
        return self._where(pl.col("customer_id").is_in(customers.implode()).not_())

    def _where(self, keep: pl.Expr) -> CustomerState:
        return CustomerState(
            self.ledger.filter(keep),
            self.figures.filter(keep),
            self.promoted_points.filter(keep),
            self.refused_redemptions.filter(keep),
        )


@dataclass(frozen=True, slots=True)
class GoldTables:
    """Gold's output: the published tables by name, and what the pipeline still merges or tells.

    ``tables`` holds the published tables and gold's per-customer state
    (``customer_state``, ``promotion_points``), which is published with them
    and read back by the next incremental build.
    ``refused_redemptions`` are the silver redemption rows refused for
    INSUFFICIENT_POINTS; their verdicts are published in ``redemption_verdicts``
    (:func:`~loyalty_lake.gold.rejects.redemption_verdicts`).
    ``notification_events`` are the messages due, which the pipeline merges
    into the outbox (:func:`~loyalty_lake.gold.notifications.outbox`);
    ``warnings`` what the build should tell (e.g. a CLV fit that failed);
    ``recomputed`` how many customers the per-customer stage computed.
    """

    tables: dict[str, pl.DataFrame]
    refused_redemptions: pl.DataFrame
    notification_events: pl.DataFrame | None = None
    warnings: tuple[str, ...] = ()
    recomputed: int = 0


def customer_state(silver: SilverTables, *, config: Config, as_of: date) -> CustomerState:
    """The per-customer stage: points ledger, balances, tiers and activity, as of ``as_of``.

    Earning (:mod:`~loyalty_lake.gold.points.earning`), the ledger with its
    expiry and redemption verdicts (:mod:`~loyalty_lake.gold.points.ledger`),
    then one row per customer (:func:`~loyalty_lake.gold.customers.customer_figures`),
    for every customer of ``silver``'s sales and redemptions.
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
    events, promoted = pl.collect_all(
        [
            ledger_events(scored, silver.redemptions, rules=rules, as_of=as_of),
            promoted_lines(scored),
        ]
    )
    log.debug("Gold: points ledger of %d events", events.height)
    settled, refused_ids = settled_ledger(
        events, as_of=as_of, expiry_months=config.loyalty.expiry_months
    )
    refused = silver.redemptions.filter(
        pl.col("redemption_id").is_in(refused_ids.implode())
    ).collect()
    ledger = points_ledger(settled).collect()
    figures = customer_figures(
        silver.sales_header,
        ledger.lazy(),
        purchase_summary(_purchases(silver.sales_header), as_of=as_of),
        as_of=as_of,
        tiers=config.loyalty.tiers,
    ).collect()
    return CustomerState(ledger, figures.sort("customer_id"), promoted, refused)


def customer_state_of(
    silver: SilverTables, customers: pl.Series, *, config: Config, as_of: date
) -> CustomerState:
    """:func:`customer_state` of ``customers`` only, reading only the rows they depend on."""
    return customer_state(customer_rows(silver, customers), config=config, as_of=as_of).only(
        customers
    )


def customer_rows(silver: SilverTables, customers: pl.Series) -> SilverTables:
    """``silver`` with only the sales and redemptions the figures of ``customers`` depend on.

    A customer's figures read their own transactions and redemptions, the
    returns of their sales (charged to them, whoever brings the goods back)
    and, to charge their own returns, the original sales of those returns.
    Lines follow their headers. Masters are kept whole.
    """
    ids = customers.implode()
    header = silver.sales_header
    theirs = header.filter(pl.col("customer_id").is_in(ids)).collect()
    sold = theirs.filter(pl.col("transaction_type") == TransactionType.SALE)["transaction_id"]
    originals = theirs["original_transaction_id"].drop_nulls()
    related = header.filter(
        pl.col("original_transaction_id").is_in(sold.implode())
        | pl.col("transaction_id").is_in(originals.implode())
    ).collect()
    rows = pl.concat([theirs, related]).unique("transaction_id", keep="first")
    return replace(
        silver,
        sales_header=rows.lazy(),
        sales_lines=silver.sales_lines.filter(
            pl.col("transaction_id").is_in(rows["transaction_id"].implode())
        ),
        redemptions=silver.redemptions.filter(pl.col("customer_id").is_in(ids)),
    )


def shard_of(customer_id: pl.Expr, shards: int) -> pl.Expr:
    """A customer's shard: a stable hash of the id (the same on every machine and version)."""
    digest = customer_id.chash.sha2_256()  # type: ignore[attr-defined]
    return digest.str.slice(0, 8).str.to_integer(base=16) % shards


def members(silver: SilverTables) -> pl.Series:
    """Every customer id of silver's sales and redemptions, sorted."""
    return (
        pl.concat(
            [
                silver.sales_header.select("customer_id"),
                silver.redemptions.select("customer_id"),
            ]
        )
        .drop_nulls()
        .unique()
        .sort("customer_id")
        .collect()["customer_id"]
    )


def sharded_customer_state(
    silver: SilverTables, *, config: Config, as_of: date, shards: int
) -> CustomerState:
    """:func:`customer_state` of every customer, one shard of customers at a time.

    Memory is bounded by a shard's rows; the result does not depend on the
    number of shards (each customer's figures read only that customer's rows).
    """
    if shards <= 1:
        return customer_state(silver, config=config, as_of=as_of)
    everyone = (
        members(silver)
        .to_frame()
        .with_columns(shard_of(pl.col("customer_id"), shards).alias("shard"))
    )
    parts = []
    for shard in range(shards):
        log.info("Gold: customer shard %d of %d", shard + 1, shards)
        customers = everyone.filter(pl.col("shard") == shard)["customer_id"]
        parts.append(customer_state_of(silver, customers, config=config, as_of=as_of))
    return CustomerState.concat(parts)


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
    silver: SilverTables,
    *,
    config: Config,
    as_of: date | None,
    pii_key: str | None,
    shards: int = 1,
) -> GoldTables:
    """Every gold table of ``silver`` as of ``as_of``, and the redemptions refused: a full build.

    ``as_of`` None (no clean transaction yet) gives the quality marts only.
    Emails and phones become pseudonyms under ``pii_key`` (masked without one).
    The per-customer stage runs in ``shards`` shards of customers.
    """
    if as_of is None:
        refused = silver.redemptions.clear().collect()
        return GoldTables(_quality_marts(silver, rejects=silver.rejects), refused)
    log.info("Gold: per-customer stage")
    state = sharded_customer_state(silver, config=config, as_of=as_of, shards=shards)
    return published_tables(
        silver,
        state,
        config=config,
        as_of=as_of,
        pii_key=pii_key,
        recomputed=state.figures.height,
    )


@dataclass(frozen=True, slots=True)
class Splice:
    """Marts kept from the previous build up to the day before ``since``, recomputed from it on.

    ``previous`` holds the previous build's marts by name. Every mart row of a
    day (or month) depends only on that day's (month's) transactions, points
    events and stock, and the previous week's sales for the stock cover, so a
    build that changed nothing before ``since`` recomputes only the rest.
    """

    since: date
    previous: Mapping[str, pl.LazyFrame]

    def spliced(self, name: str, fresh: pl.LazyFrame, *, key: str = "date") -> pl.LazyFrame:
        """The previous ``name`` before the splice point, then ``fresh`` from it on."""
        start = self.since.replace(day=1) if key == "month_start" else self.since
        kept = self.previous[name].filter(pl.col(key) < start)
        return pl.concat([kept, fresh.filter(pl.col(key) >= start)])


def published_tables(
    silver: SilverTables,
    state: CustomerState,
    *,
    config: Config,
    as_of: date,
    pii_key: str | None,
    recomputed: int,
    splice: Splice | None = None,
) -> GoldTables:
    """The global stage and the marts over every customer's ``state``: what a build publishes.

    The CLV models are fitted on every customer (:func:`customer_values`),
    customers are scored and segmented (``customer_details``), then the
    marts, whole or from ``splice.since`` on, and the notification events.
    """
    log.info("Gold: customer lifetime value")
    figures = state.figures.lazy()
    inputs = clv_inputs_of(
        figures.filter(pl.col("purchase_days").is_not_null()).select(PURCHASE_SUMMARY_COLUMNS),
        as_of=as_of,
        time_unit=config.clv.time_unit,  # type: ignore[arg-type]
    ).collect()
    value = customer_values(inputs, config=config)
    log.info("Gold: customer details")
    profiles = customer_profiles(silver.customers, figures, pii_key=pii_key)
    details = customer_details(
        profiles, as_of=as_of, settings=config.segments, value=value.values.lazy()
    ).collect()
    log.info("Gold: marts")
    verdicts = redemption_verdicts(silver.redemptions, state.refused_redemptions.lazy())
    marts = _marts(silver, state, details, as_of=as_of, splice=splice)
    marts["redemption_verdicts"] = verdicts
    marts["_notification_events"] = notification_events(
        details.lazy(),
        state.ledger.lazy(),
        verdicts,
        silver.customers,
        expiring=figures.select("customer_id", "next_expiry_date", "points_expiring"),
        as_of=as_of,
        rules=config.notifications,
        tier_names=TIER_NAMES,
    )
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
        "customer_state": state.figures,
        "promotion_points": state.promoted_points,
    }
    return GoldTables(tables, state.refused_redemptions, events, value.warnings, recomputed)


def _marts(
    silver: SilverTables,
    state: CustomerState,
    details: pl.DataFrame,
    *,
    as_of: date,
    splice: Splice | None,
) -> dict[str, pl.LazyFrame]:
    """The sales, loyalty, stock, store, promotion and segment marts, whole or spliced."""
    products = _products(silver)
    promotions = silver.promotions.collect()
    ledger = state.ledger.lazy()
    header = silver.sales_header
    if splice is None:
        lines = sale_lines(header, silver.sales_lines, products, as_of=as_of).cache()
        stock = inventory_daily(lines, silver.inventory, as_of=as_of).cache()
        sales = sales_daily(lines, silver.stores).cache()
        days = store_days(lines).cache()
        return {
            "sales_daily": sales,
            "store_daily": store_daily(lines, silver.stores),
            "product_sales_daily": product_sales_daily(lines, products, silver.stores),
            "member_sales_daily": member_sales_daily(lines),
            "loyalty_daily": loyalty_daily(ledger, header, as_of=as_of),
            "promotion_performance": promotion_performance(
                lines, state.promoted_points.lazy(), promotions, as_of=as_of
            ),
            "segment_summary": segment_summary(details.lazy()),
            "inventory_daily": stock,
            "store_performance": store_performance(days, ledger, header, stock, silver.stores),
            "store_days": days,
        }
    since = splice.since
    month = since.replace(day=1)
    # Stock cover reads the week before a day.
    start = since - timedelta(days=SELL_RATE_DAYS - 1)
    lines = sale_lines(header, silver.sales_lines, products, as_of=as_of, since=start).cache()
    recent = lines.filter(pl.col("transaction_date") >= since)
    stock = splice.spliced(
        "inventory_daily",
        inventory_daily(
            lines, silver.inventory.filter(pl.col("snapshot_date") >= start), as_of=as_of
        ),
    ).cache()
    sales = splice.spliced("sales_daily", sales_daily(recent, silver.stores)).cache()
    first_day = (
        sales.filter(pl.col("transactions") > 0).select(pl.col("date").min()).collect().item()
    )
    earliest = earliest_day(promotions, as_of=as_of)
    promoted_lines_from = (
        lines
        if earliest is None or earliest >= start
        else sale_lines(header, silver.sales_lines, products, as_of=as_of, since=earliest)
    )
    this_month = pl.col("transaction_date") >= month
    days = splice.spliced("store_days", store_days(recent)).cache()
    return {
        "sales_daily": sales,
        "store_daily": splice.spliced("store_daily", store_daily(recent, silver.stores)),
        "product_sales_daily": splice.spliced(
            "product_sales_daily", product_sales_daily(recent, products, silver.stores)
        ),
        "member_sales_daily": splice.spliced("member_sales_daily", member_sales_daily(recent)).sort(
            "customer_id", "date"
        ),
        "loyalty_daily": splice.spliced(
            "loyalty_daily",
            loyalty_daily(
                ledger.filter(pl.col("event_date") >= since),
                header.filter(pl.col("transaction_date") >= since),
                as_of=as_of,
            ),
        ),
        "promotion_performance": promotion_performance(
            promoted_lines_from,
            state.promoted_points.lazy(),
            promotions,
            as_of=as_of,
            first_day=first_day,
        ),
        "segment_summary": segment_summary(details.lazy()),
        "inventory_daily": stock,
        "store_performance": splice.spliced(
            "store_performance",
            store_performance(
                days.filter(pl.col("date") >= month),
                ledger.filter(pl.col("event_date") >= month),
                header.filter(this_month),
                stock.filter(pl.col("date") >= month),
                silver.stores,
            ),
            key="month_start",
        ).sort("month_start", "store_id"),
        "store_days": days,
    }


def _quality_marts(silver: SilverTables, *, rejects: pl.LazyFrame) -> dict[str, pl.DataFrame]:
    """dq_summary, batch_quality, normalisation_summary: the only tables that need no sale."""
    return {
        "dq_summary": dq_summary(rejects, silver.warnings).collect(),
        "batch_quality": batch_quality(silver.processed_files, rejects).collect(),
        "normalisation_summary": normalisation_summary(silver.normalisations).collect(),
    }


def _products(silver: SilverTables) -> pl.DataFrame:
    return silver.products.select("product_id", "product_category", "product_name").collect()
