"""What the dashboard shows, as pure functions over gold tables (no Streamlit, no I/O here).

The app reads the gold tables once per set of table versions (cached, through
:mod:`loyalty_lake.dashboard.source`) and passes them through these functions,
which filter and aggregate in Polars so that only small frames reach the browser.
Money stays exact (``Decimal``) here; the app converts it only to draw or show it.
Every segment figure is a column of ``gold/segment_summary``, as the CLI shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import Segment

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
