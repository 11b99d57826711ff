"""What the dashboard shows, as pure functions over gold tables (no Streamlit, no I/O here).

The app reads the gold tables once per set of table versions (cached, through
:mod:`loyalty_lake.dashboard.source`) and passes them through these functions,
which filter and aggregate in Polars so that only small frames reach the browser.
Money stays exact (``Decimal``) here; the app converts it only to draw or show it.
Every segment figure is a column of ``gold/segment_summary``, as the CLI shows it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, cast

import polars as pl

from loyalty_lake.codes import MONEY, NotificationStatus, Segment
from loyalty_lake.gold.clv.predict import ValueTier

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date


@dataclass(frozen=True, slots=True)
class Gold:
    """The gold tables of one lake, in memory (small marts) or as frames."""

    tables: dict[str, pl.DataFrame]
    as_of: date | None

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name]


@dataclass(frozen=True, slots=True)
class Filters:
    """The sidebar's filters; empty tuples mean "all"."""

    start: date | None = None
    end: date | None = None
    regions: tuple[str, ...] = ()
    stores: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()


def _dates(column: str, f: Filters) -> pl.Expr:
    keep = pl.lit(True)
    if f.start is not None:
        keep &= pl.col(column) >= f.start
    if f.end is not None:
        keep &= pl.col(column) <= f.end
    return keep


def _within(column: str, values: Sequence[str]) -> pl.Expr:
    return pl.col(column).is_in(list(values)) if values else pl.lit(True)


def sales(frame: pl.DataFrame, f: Filters) -> pl.DataFrame:
    """Rows of a sales mart (by date and store) within the filters."""
    keep = _dates("date", f) & _within("store_id", f.stores) & _within("store_region", f.regions)
    if "category" in frame.columns:
        keep &= _within("category", f.categories)
    return frame.filter(keep)


def customers(frame: pl.DataFrame, f: Filters) -> pl.DataFrame:
    """Rows of ``customer_details`` (or of ``segment_summary``) of the chosen segments."""
    return frame.filter(_within("segment", f.segments))


@dataclass(frozen=True, slots=True)
class SegmentShare:
    """One segment's row of ``segment_summary``: each share with its population.

    ``share_of_customers_pct`` is ``customers`` among all ``all_customers``
    (every customer of ``customer_details``); ``share_of_buyers_pct`` is
    ``buyers`` among ``all_buyers`` (the customers with a sale).
    """

    segment: str
    customers: int
    all_customers: int
    share_of_customers_pct: float
    buyers: int
    all_buyers: int
    share_of_buyers_pct: float


def segment_share(gold: Gold, segment: str) -> SegmentShare:
    """The sizes and shares of ``segment``, as ``segment_summary`` publishes them."""
    summary = gold["segment_summary"]
    row = summary.filter(pl.col("segment") == segment).row(0, named=True)
    return SegmentShare(
        segment=segment,
        customers=row["customers"],
        all_customers=int(summary["customers"].sum()),
        share_of_customers_pct=row["share_of_customers_pct"],
        buyers=row["buyers"],
        all_buyers=int(summary["buyers"].sum()),
        share_of_buyers_pct=row["share_of_buyers_pct"],
    )


@dataclass(frozen=True, slots=True)
class Overview:
    """The headline numbers."""

    revenue: Decimal
    transactions: int
    active_members: int
    points_outstanding: int
    high_spenders: SegmentShare
    at_risk: SegmentShare
    last_batch: str | None
    last_batch_reject_rate: float | None


def overview(gold: Gold, f: Filters) -> Overview:
    """Revenue and transactions in the filters, members and points of the chosen segments.

    Without a category filter, sales come from ``store_daily`` (each sale once);
    with one, from ``sales_daily`` (a sale counts once per chosen category it
    has lines in). Active members: distinct members of the chosen segments with
    a sale in the date range. The segment shares are ``segment_summary``'s, of
    the whole lake as of ``as_of``: no filter changes them.
    """
    daily = sales(gold["sales_daily" if f.categories else "store_daily"], f)
    people = customers(gold["customer_details"], f)
    active = (
        gold["member_sales_daily"]
        .filter(_dates("date", f) & (pl.col("transactions") > 0))
        .join(people.select("customer_id"), on="customer_id", how="semi")
        .select(pl.col("customer_id").n_unique())
        .item()
    )
    quality = gold.tables.get("batch_quality")
    last_batch, rate = None, None
    if quality is not None and quality.height:
        last_batch = str(quality["batch_id"].max())
        batch = quality.filter(pl.col("batch_id") == last_batch)
        rate = float(batch["open_rejects"].sum() / max(int(batch["bronze_rows"].sum()), 1) * 100)
    return Overview(
        revenue=_money(daily["revenue"]),
        transactions=int(daily["transactions"].sum() or 0),
        active_members=int(active),
        points_outstanding=int(customers(gold["segment_summary"], f)["points_outstanding"].sum()),
        high_spenders=segment_share(gold, Segment.HIGH_SPENDER),
        at_risk=segment_share(gold, Segment.AT_RISK),
        last_batch=last_batch,
        last_batch_reject_rate=rate,
    )


def _money(values: pl.Series) -> Decimal:
    """The exact sum of a money column (0.00 of none)."""
    total = values.sum()
    return Decimal("0.00") if total is None else Decimal(total)


def revenue_by_day(gold: Gold, f: Filters) -> pl.DataFrame:
    """Net revenue and transactions per day (each sale once without a category filter)."""
    return (
        sales(gold["sales_daily" if f.categories else "store_daily"], f)
        .group_by("date")
        .agg(pl.col("revenue").sum(), pl.col("transactions").sum())
        .sort("date")
    )


def revenue_by(gold: Gold, f: Filters, dimension: str) -> pl.DataFrame:
    """Net revenue per store, region or category, largest first."""
    return (
        sales(gold["sales_daily"], f)
        .group_by(dimension)
        .agg(pl.col("revenue").sum(), pl.col("units").sum())
        .sort("revenue", descending=True)
    )


def drill_down(gold: Gold, f: Filters, *, store: str | None, category: str | None) -> pl.DataFrame:
    """Store → category → product: revenue of the next level down."""
    frame = sales(gold["product_sales_daily"], f)
    if store is None:
        level = "store_id"
    elif category is None:
        frame, level = frame.filter(pl.col("store_id") == store), "category"
    else:
        frame = frame.filter((pl.col("store_id") == store) & (pl.col("category") == category))
        level = "product_name"
    return (
        frame.group_by(level)
        .agg(pl.col("revenue").sum(), pl.col("units").sum())
        .sort("revenue", descending=True)
        .head(50)
    )


def points_over_time(gold: Gold, f: Filters) -> pl.DataFrame:
    """Points earned, redeemed and expired per day, long format for a line chart."""
    daily = gold["loyalty_daily"].filter(_dates("date", f))
    return daily.unpivot(
        index="date",
        on=["points_earned", "points_redeemed", "points_expired", "points_reversed"],
        variable_name="movement",
        value_name="points",
    ).with_columns(pl.col("movement").str.replace("points_", ""))


def tier_mix(gold: Gold, f: Filters) -> pl.DataFrame:
    """Customers per tier."""
    order = {"Bronze": 0, "Silver": 1, "Gold": 2, "Platinum": 3}
    return (
        customers(gold["customer_details"], f)
        .group_by("loyalty_status")
        .agg(pl.len().alias("customers"))
        .sort(pl.col("loyalty_status").replace_strict(order, default=9))
    )


def segment_sizes(gold: Gold, f: Filters) -> pl.DataFrame:
    """The chosen segments' rows of ``segment_summary`` (all three without a segment filter)."""
    return customers(gold["segment_summary"], f).sort("segment")


def rf_heatmap(gold: Gold, f: Filters) -> pl.DataFrame:
    """Customers per (r_score, f_score)."""
    return (
        customers(gold["customer_details"], f)
        .filter(pl.col("r_score").is_not_null())
        .group_by("r_score", "f_score")
        .agg(pl.len().alias("customers"))
        .sort("r_score", "f_score")
    )


def rfm_segments(gold: Gold, f: Filters) -> pl.DataFrame:
    """Customers and revenue per named RFM segment."""
    return (
        customers(gold["customer_details"], f)
        .filter(pl.col("rfm_segment").is_not_null())
        .group_by("rfm_segment")
        .agg(pl.len().alias("customers"), pl.col("monetary").sum().alias("revenue"))
        .sort("customers", descending=True)
    )


def at_risk_list(gold: Gold) -> pl.DataFrame:
    """At Risk customers with their balance, for a win-back campaign (no contact data)."""
    return (
        gold["customer_details"]
        .filter(pl.col("is_at_risk"))
        .select(
            "customer_id",
            "first_name",
            "email_pseudonym",
            "loyalty_status",
            "total_loyalty_points",
            "last_purchase_date",
            "recency_days",
            "monetary",
            "segment",
        )
        .sort("total_loyalty_points", descending=True)
    )


def promotions(gold: Gold, f: Filters) -> pl.DataFrame:
    """Promotions overlapping the date range, ranked by uplift, top 3 marked."""
    frame = gold["promotion_performance"]
    if f.start is not None:
        frame = frame.filter(pl.col("end_date") >= f.start)
    if f.end is not None:
        frame = frame.filter(pl.col("start_date") <= f.end)
    if f.categories:
        frame = frame.filter(pl.col("promo_category").is_in([*f.categories, "ALL"]))
    return frame.with_columns(
        pl.when(pl.col("rank") <= 3).then(pl.lit("★ top 3")).otherwise(pl.lit("")).alias("top")
    ).sort(pl.col("rank"), nulls_last=True)


def rejects_by_reason(gold: Gold) -> pl.DataFrame:
    """Rejected and warned rows per batch and reason."""
    return (
        gold["dq_summary"]
        .group_by("batch_id", "reason", "severity")
        .agg(pl.col("rows").sum())
        .sort("batch_id", "rows", descending=[False, True])
    )


def normalisations_by_kind(gold: Gold) -> pl.DataFrame:
    """Values silver read as what they certainly mean, per table, column and kind."""
    summary = gold.tables.get("normalisation_summary")
    if summary is None:  # a lake built before normalisations were counted
        return pl.DataFrame(
            schema={"table": pl.String, "column": pl.String, "kind": pl.String, "rows": pl.Int64}
        )
    return (
        summary.group_by("table", "column", "kind")
        .agg(pl.col("rows").sum())
        .sort("rows", "table", "column", descending=[True, False, False])
    )


# --- customer value ---------------------------------------------------------------------------

#: One cent: the step of money.
MONEY_CENT = Decimal("0.01")
#: The value tiers of a win-back list by default: high CLV.
WIN_BACK_TIERS: tuple[str, ...] = (ValueTier.TOP, ValueTier.HIGH)
#: The least probability of being alive a win-back customer has by default.
WIN_BACK_P_ALIVE = 0.5
#: ``customer_details`` columns the value view shows next to ``customer_value``'s.
_PROFILE = ("customer_id", "first_name", "segment")


def valued_customers(gold: Gold, f: Filters) -> pl.DataFrame:
    """Rows of ``customer_value`` of the chosen segments, with first name and segment."""
    profile = gold["customer_details"].select(_PROFILE)
    return (
        gold["customer_value"]
        .join(profile, on="customer_id", how="left")
        .filter(_within("segment", f.segments))
    )


@dataclass(frozen=True, slots=True)
class ValueSummary:
    """The Customer value view's headline numbers, of the chosen segments.

    ``total_clv`` is the sum of ``customer_value.clv``; ``time_unit`` the unit
    the models count time in (``clv_parameters.time_unit``, None without a fit).
    """

    customers: int
    total_clv: Decimal
    average_clv: Decimal | None
    mean_p_alive: float | None
    time_unit: str | None
    converged: bool | None


def value_summary(gold: Gold, f: Filters) -> ValueSummary:
    """Customers valued, their total and average CLV, mean probability alive, the fit's state."""
    values = valued_customers(gold, f)
    total = _money(values["clv"])
    parameters = gold["clv_parameters"]
    mean_p_alive = values["p_alive"].mean()
    return ValueSummary(
        customers=values.height,
        total_clv=total,
        average_clv=(total / values.height).quantize(MONEY_CENT) if values.height else None,
        mean_p_alive=None if mean_p_alive is None else float(cast("float", mean_p_alive)),
        time_unit=str(parameters["time_unit"][0]) if parameters.height else None,
        converged=bool(parameters["converged"].all()) if parameters.height else None,
    )


def _nice_step(raw: int) -> int:
    """The smallest 1, 2 or 5 × 10^k at least ``raw`` (``raw`` ≥ 1)."""
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if step >= raw:
                return step
        power *= 10


def clv_histogram(gold: Gold, f: Filters, *, bins: int = 30) -> pl.DataFrame:
    """One row per CLV bin: customers in it, empty bins too.

    The bins have a round width (1, 2 or 5 × 10^k cents, the smallest that
    needs at most ``bins`` bins; one more when the first starts below the
    lowest CLV). ``clv_from`` is included and ``clv_to`` excluded, both exact money.
    """
    schema = pl.Schema({"clv_from": MONEY, "clv_to": MONEY, "customers": pl.Int64()})
    values = valued_customers(gold, f)
    if values.is_empty():
        return pl.DataFrame(schema=schema)
    cents = (pl.col("clv") * 100).cast(pl.Int64)
    low, high = values.select(cents.min().alias("low"), cents.max().alias("high")).row(0)
    width = _nice_step(max(-(-(high - low + 1) // bins), 1))
    first, last = low // width, high // width  # bin numbers counted from 0.00 (floor)
    counts = values.group_by((cents // width - first).alias("bin")).agg(
        pl.len().cast(pl.Int64).alias("customers")
    )
    starts = [Decimal(number * width) / 100 for number in range(first, last + 2)]
    edges = pl.DataFrame(
        {"bin": range(last - first + 1), "clv_from": starts[:-1], "clv_to": starts[1:]},
        schema={"bin": pl.Int64, "clv_from": schema["clv_from"], "clv_to": schema["clv_to"]},
    )
    return (
        edges.join(counts, on="bin", how="left")
        .with_columns(pl.col("customers").fill_null(0))
        .select(schema.names())
        .sort("clv_from")
    )


def top_customers(gold: Gold, f: Filters, *, n: int = 20) -> pl.DataFrame:
    """The ``n`` customers of the chosen segments with the highest CLV, highest first."""
    return (
        valued_customers(gold, f)
        .sort(["clv", "customer_id"], descending=[True, False])
        .head(n)
        .select(
            "customer_id",
            "first_name",
            "segment",
            "value_tier",
            "p_alive",
            "expected_purchases",
            "clv",
        )
    )


def _binned(column: str, width: int) -> pl.Expr:
    """The start of ``column``'s bin of ``width`` (an integer, floor)."""
    return ((pl.col(column) // width) * width).cast(pl.Int64)


def p_alive_map(gold: Gold, f: Filters, *, bins: int = 10) -> pl.DataFrame:
    """Mean probability alive and customers per recency bin × frequency bin (at most ``bins`` each).

    Recency and frequency are ``customer_value``'s (time from first to last purchase, in
    the models' time unit; repeat purchase days). A bin's label reads from–to: recency
    ``4–6`` is 4 up to but not including 6, frequency ``5–9`` is 5 to 9 repeat days.
    """
    values = valued_customers(gold, f)
    schema = pl.Schema(
        {
            "recency_from": pl.Int64,
            "recency_bin": pl.String,
            "frequency_from": pl.Int64,
            "frequency_bin": pl.String,
            "customers": pl.Int64,
            "mean_p_alive": pl.Float64,
        }
    )
    if values.is_empty():
        return pl.DataFrame(schema=schema)
    most_recency, most_frequency = values.select(
        pl.col("recency").max(), pl.col("frequency").max()
    ).row(0)
    recency_width = max(math.ceil(most_recency / bins), 1)
    frequency_width = max(math.ceil((most_frequency + 1) / bins), 1)
    last_frequency = pl.col("frequency_from") + (frequency_width - 1)
    return (
        values.group_by(
            _binned("recency", recency_width).alias("recency_from"),
            _binned("frequency", frequency_width).alias("frequency_from"),
        )
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("p_alive").mean().alias("mean_p_alive"),
        )
        .with_columns(
            pl.format("{}–{}", "recency_from", pl.col("recency_from") + recency_width).alias(
                "recency_bin"
            ),
            (
                pl.format("{}–{}", "frequency_from", last_frequency)
                if frequency_width > 1
                else pl.col("frequency_from").cast(pl.String)
            ).alias("frequency_bin"),
        )
        .select(schema.names())
        .sort("recency_from", "frequency_from")
    )


def fit_quality(gold: Gold) -> pl.DataFrame:
    """``clv_parameters`` as published: each model's parameters (in the models' order), its fit."""
    return gold["clv_parameters"].sort("model", maintain_order=True)


def win_back(
    gold: Gold,
    f: Filters,
    *,
    min_p_alive: float = WIN_BACK_P_ALIVE,
    tiers: Sequence[str] = WIN_BACK_TIERS,
) -> pl.DataFrame:
    """At Risk customers worth winning back: ``is_at_risk``, in ``tiers``, ``p_alive`` ≥ the least.

    One row per such customer of the chosen segments, highest CLV first; no
    contact data (the pseudonym only). ``tiers`` empty: every value tier.
    """
    tier = gold["customer_value"].select("customer_id", "value_tier", "expected_purchases")
    return (
        customers(gold["customer_details"], f)
        .filter(pl.col("is_at_risk") & (pl.col("p_alive") >= min_p_alive))
        .join(tier, on="customer_id", how="inner")
        .filter(_within("value_tier", tiers))
        .select(
            "customer_id",
            "first_name",
            "email_pseudonym",
            "segment",
            "loyalty_status",
            "total_loyalty_points",
            "last_purchase_date",
            "recency_days",
            "value_tier",
            "p_alive",
            "expected_purchases",
            "clv",
        )
        .sort(["clv", "customer_id"], descending=[True, False])
    )


# --- inventory --------------------------------------------------------------------------------

#: A product's category when gold has no sale of it (``product_sales_daily`` names categories).
NO_CATEGORY = "(no sales)"


def inventory(gold: Gold, f: Filters) -> pl.DataFrame:
    """Rows of ``inventory_daily`` within the filters, with region, product name and category.

    ``inventory_daily`` has neither: the store's region comes from ``store_daily``
    and the product's name and category from ``product_sales_daily`` (a product
    never sold has no category there: :data:`NO_CATEGORY`).
    """
    regions = gold["store_daily"].group_by("store_id").agg(pl.col("store_region").max())
    products = (
        gold["product_sales_daily"]
        .group_by("product_id")
        .agg(pl.col("product_name").max(), pl.col("category").max())
    )
    return (
        gold["inventory_daily"]
        .join(regions, on="store_id", how="left")
        .join(products, on="product_id", how="left")
        .with_columns(pl.col("category").fill_null(NO_CATEGORY))
        .filter(
            _dates("date", f)
            & _within("store_id", f.stores)
            & _within("store_region", f.regions)
            & _within("category", f.categories)
        )
    )


def stock_outs_by_day(gold: Gold, f: Filters) -> pl.DataFrame:
    """Store × product pairs out of stock, and pairs with a snapshot, per day with snapshots."""
    return (
        inventory(gold, f)
        .filter(pl.col("stock_level").is_not_null())
        .group_by("date")
        .agg(
            pl.col("stock_out").sum().cast(pl.Int64).alias("stock_outs"),
            pl.len().cast(pl.Int64).alias("snapshots"),
        )
        .sort("date")
    )


def most_out_of_stock(gold: Gold, f: Filters, *, n: int = 20) -> pl.DataFrame:
    """The ``n`` store × product pairs out of stock on the most days, most first."""
    return (
        inventory(gold, f)
        .filter(pl.col("stock_level").is_not_null())
        .group_by("store_id", "product_id")
        .agg(
            pl.col("product_name").first(),
            pl.col("category").first(),
            pl.col("stock_out").sum().cast(pl.Int64).alias("stock_out_days"),
            pl.len().cast(pl.Int64).alias("snapshot_days"),
            pl.col("date").filter(pl.col("stock_out")).max().alias("last_stock_out"),
        )
        .filter(pl.col("stock_out_days") > 0)
        .sort(["stock_out_days", "store_id", "product_id"], descending=[True, False, False])
        .head(n)
    )


def latest_snapshot(gold: Gold, f: Filters) -> date | None:
    """The last day within the filters with a stock snapshot."""
    days = inventory(gold, f).filter(pl.col("stock_level").is_not_null())["date"]
    return cast("date | None", days.max())


def low_cover(gold: Gold, f: Filters, *, below: float) -> pl.DataFrame:
    """Pairs whose ``days_of_cover`` is under ``below`` on :func:`latest_snapshot`, least first.

    A pair without a sale in the 7 days before has no cover figure and is not listed.
    """
    latest = latest_snapshot(gold, f)
    return (
        inventory(gold, f)
        .filter((pl.col("date") == latest) & (pl.col("days_of_cover") < below))
        .select(
            "date",
            "store_id",
            "product_id",
            "product_name",
            "category",
            "stock_level",
            "sell_rate_7d",
            "days_of_cover",
        )
        .sort("days_of_cover", "store_id", "product_id")
    )


def sell_through(gold: Gold, f: Filters) -> pl.DataFrame:
    """Per category: units sold in the date range, stock at its end, and sell-through %.

    Stock at the end is each store × product pair's last snapshot in the range;
    sell-through is units sold / (units sold + stock at the end) × 100, null
    (blank) for a category without a snapshot in the range.
    """
    rows = inventory(gold, f)
    sold = rows.group_by("category").agg(pl.col("units_sold").sum().cast(pl.Int64))
    stock = (
        rows.filter(pl.col("stock_level").is_not_null())
        .sort("date")
        .group_by("store_id", "product_id", "category")
        .agg(pl.col("stock_level").last())
        .group_by("category")
        .agg(pl.col("stock_level").sum().cast(pl.Int64).alias("stock_at_end"))
    )
    total = pl.col("units_sold") + pl.col("stock_at_end")
    return (
        sold.join(stock, on="category", how="full", coalesce=True)
        .with_columns(pl.col("units_sold").fill_null(0))
        .with_columns(
            pl.when(total > 0)
            .then(pl.col("units_sold") / total * 100)
            .otherwise(None)
            .alias("sell_through_pct")
        )
        .sort("sell_through_pct", "category", descending=[True, False], nulls_last=True)
    )


# --- store performance ------------------------------------------------------------------------


def store_months(gold: Gold, f: Filters) -> pl.DataFrame:
    """Rows of ``store_performance`` of the chosen stores and regions, months the range touches."""
    keep = _within("store_id", f.stores) & _within("store_region", f.regions)
    if f.start is not None:
        keep &= pl.col("month_start") >= f.start.replace(day=1)
    if f.end is not None:
        keep &= pl.col("month_start") <= f.end
    return (
        gold["store_performance"]
        .filter(keep)
        .select(
            "month_start",
            "store_id",
            "store_name",
            "store_region",
            "rank_in_region",
            "revenue",
            "transactions",
            "average_basket",
            "members_share_pct",
            "points_issued",
            "stock_out_days",
        )
        .sort(["month_start", "store_region", "rank_in_region"], descending=[True, False, False])
    )


# --- notifications ----------------------------------------------------------------------------

#: The outbox's statuses, in the order a message goes through them.
STATUSES: tuple[str, ...] = tuple(NotificationStatus)


def notification_counts(gold: Gold) -> pl.DataFrame:
    """Messages per kind × status (every status a column, 0 when none), and their total."""
    counts = (
        gold["notifications"]
        .group_by("kind")
        .agg(
            *((pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in STATUSES),
            pl.len().cast(pl.Int64).alias("total"),
        )
    )
    return counts.sort(["total", "kind"], descending=[True, False])


def notification_statuses(gold: Gold) -> pl.DataFrame:
    """Messages per kind and status, long format for a chart (only the pairs with messages)."""
    return (
        gold["notifications"]
        .group_by("kind", "status")
        .agg(pl.len().cast(pl.Int64).alias("messages"))
        .sort("kind", pl.col("status").replace_strict(STATUSES, list(range(len(STATUSES)))))
    )


def failed_notifications(gold: Gold) -> pl.DataFrame:
    """Messages given up on, with why the last attempt failed, newest event first."""
    return (
        gold["notifications"]
        .filter(pl.col("status") == NotificationStatus.FAILED)
        .select(
            "notification_id",
            "customer_id",
            "kind",
            "event_date",
            "channel",
            "attempts",
            "last_error",
            "created_at",
        )
        .sort(["event_date", "notification_id"], descending=[True, False])
    )


def recent_notifications(gold: Gold, *, n: int = 50) -> pl.DataFrame:
    """The ``n`` messages most recently due (pseudonymised contacts only), newest first."""
    return (
        gold["notifications"]
        .sort(["created_at", "event_date", "notification_id"], descending=[True, True, False])
        .head(n)
        .select(
            "created_at",
            "event_date",
            "kind",
            "status",
            "customer_id",
            "channel",
            "contact_pseudonym",
            "template",
            "parameters",
            "attempts",
            "sent_at",
        )
    )
