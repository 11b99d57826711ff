"""The loyalty_lake dashboard: ``loyalty-lake dashboard`` runs this script with Streamlit.

Run by hand: ``streamlit run loyalty_lake/dashboard/app.py -- --lake lake``.
It reads the gold tables through :mod:`loyalty_lake.dashboard.source` (cached per
table version) and aggregates them with the pure functions of
:mod:`loyalty_lake.dashboard.data` before anything is drawn.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

import altair as alt
import polars as pl
import streamlit as st

from loyalty_lake.codes import Segment
from loyalty_lake.dashboard import data, source
from loyalty_lake.errors import LoyaltyLakeError
from loyalty_lake.io.export import neutralised
from loyalty_lake.io.lake import Lake
from loyalty_lake.pipeline.quality import dq_report
from loyalty_lake.pipeline.statement import points_statement

if TYPE_CHECKING:
    from datetime import date

SEGMENTS = [segment.value for segment in Segment]
SEGMENT_COLOURS = alt.Scale(domain=SEGMENTS, range=["#2e7d32", "#c62828", "#9e9e9e"])
MOVEMENT_COLOURS = alt.Scale(
    domain=["earned", "redeemed", "expired", "reversed"],
    range=["#2e7d32", "#1565c0", "#c62828", "#ef6c00"],
)


def lake_from_arguments(argv: list[str]) -> Lake:
    """The lake named by ``--lake`` after Streamlit's ``--`` (default ./lake)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--lake", default="lake")
    known, _ = parser.parse_known_args(argv)
    return Lake(Path(known.lake))


@st.cache_resource(show_spinner="Reading the gold tables…", max_entries=4)
def cached_gold(root: str, versions: tuple[tuple[str, int | None], ...]) -> data.Gold | None:
    """The gold tables, read once per set of table versions."""
    del versions  # the cache key: a new build brings new versions
    return source.load_gold(Lake(Path(root)))


def sidebar_filters(gold: data.Gold) -> data.Filters:
    """The filters that apply across every view."""
    st.sidebar.header("Filters")
    daily = gold["sales_daily"]
    first = cast("date", daily["date"].min())
    last = cast("date", daily["date"].max())
    chosen = st.sidebar.date_input(
        "Date range", value=(first, last), min_value=first, max_value=last, key="dates"
    )
    start, end = chosen if isinstance(chosen, tuple) and len(chosen) == 2 else (first, last)
    regions = st.sidebar.multiselect(
        "Region", sorted(daily["store_region"].drop_nulls().unique()), key="regions"
    )
    stores_in = daily.filter(pl.col("store_region").is_in(regions)) if regions else daily
    stores = st.sidebar.multiselect("Store", sorted(stores_in["store_id"].unique()), key="stores")
    categories = st.sidebar.multiselect(
        "Category", sorted(daily["category"].unique()), key="categories"
    )
    segments = st.sidebar.multiselect("Segment", SEGMENTS, key="segments")
    return data.Filters(
        start=start,
        end=end,
        regions=tuple(regions),
        stores=tuple(stores),
        categories=tuple(categories),
        segments=tuple(segments),
    )


def overview_view(gold: data.Gold, filters: data.Filters) -> None:
    """Headline numbers and the revenue trend."""
    o = data.overview(gold, filters)
    sales, points = st.columns(4), st.columns(3)
    sales[0].metric("Revenue (net)", f"{o.revenue:,.2f}")
    sales[1].metric("Transactions", f"{o.transactions:,}")
    sales[2].metric("Active members", f"{o.active_members:,}")
    sales[3].metric("Points outstanding (liability)", f"{o.points_outstanding:,}")
    points[0].metric("High Spenders", f"{o.high_spender_share:.1f} %")
    points[1].metric("At Risk", f"{o.at_risk_share:.1f} %")
    points[2].metric(
        f"Reject rate, batch {o.last_batch or '-'}",
        "-" if o.last_batch_reject_rate is None else f"{o.last_batch_reject_rate:.2f} %",
    )
    trend = data.revenue_by_day(gold, filters)
    st.altair_chart(
        alt.Chart(trend, title="Net revenue per day")
        .mark_line(point=False)
        .encode(x=alt.X("date:T", title="Date"), y=alt.Y("revenue:Q", title="Revenue")),
        width="stretch",
    )


def loyalty_view(lake: Lake, gold: data.Gold, filters: data.Filters) -> None:
    """Points movements, tiers and a customer's statement."""
    movements = data.points_over_time(gold, filters)
    st.altair_chart(
        alt.Chart(movements, title="Points per day")
        .mark_line()
        .encode(
            x=alt.X("date:T", title="Date"),
            y=alt.Y("points:Q", title="Points"),
            color=alt.Color("movement:N", scale=MOVEMENT_COLOURS, title="Movement"),
        ),
        width="stretch",
    )
    st.altair_chart(
        alt.Chart(data.tier_mix(gold, filters), title="Customers per tier")
        .mark_bar()
        .encode(
            x=alt.X("loyalty_status:N", sort=None, title="Tier"),
            y=alt.Y("customers:Q", title="Customers"),
        ),
        width="stretch",
    )
    st.subheader("Customer statement")
    customer = st.text_input("Customer id", placeholder="e.g. C0000041", key="customer")
    if customer.strip():
        try:
            statement = points_statement(lake=lake, customer_id=customer.strip())
        except LoyaltyLakeError as exc:
            st.warning(f"{exc.message} {exc.hint or ''}")
            return
        row = st.columns(3)
        row[0].metric("Balance", f"{statement.balance:,}")
        row[1].metric("Tier", statement.loyalty_status)
        row[2].metric(
            "Next expiry",
            f"{statement.points_expiring:,} on {statement.next_expiry_date}"
            if statement.next_expiry_date
            else "none",
        )
        st.dataframe(statement.ledger.drop("customer_id"), hide_index=True)


def _per_segment(sizes: pl.DataFrame, value: str, title: str) -> alt.Chart:
    """A bar per segment, in the segments' colours."""
    return (
        alt.Chart(sizes, title=f"{title} per segment")
        .mark_bar()
        .encode(
            x=alt.X("segment:N", title="Segment"),
            y=alt.Y(f"{value}:Q", title=title),
            color=alt.Color("segment:N", scale=SEGMENT_COLOURS, legend=None),
        )
    )


def segments_view(gold: data.Gold, filters: data.Filters) -> None:
    """Segment sizes and revenue, R × F heat map, RFM segments, the At Risk list."""
    sizes = data.segment_sizes(gold, filters)
    left, right = st.columns(2)
    left.altair_chart(_per_segment(sizes, "customers", "Customers"), width="stretch")
    right.altair_chart(_per_segment(sizes, "revenue", "Net revenue"), width="stretch")
    st.altair_chart(
        alt.Chart(data.rf_heatmap(gold, filters), title="Customers by recency × frequency score")
        .mark_rect()
        .encode(
            x=alt.X("f_score:O", title="Frequency score (5 = most frequent)"),
            y=alt.Y("r_score:O", title="Recency score (5 = most recent)", sort="descending"),
            color=alt.Color("customers:Q", title="Customers", scale=alt.Scale(scheme="blues")),
            tooltip=["r_score", "f_score", "customers"],
        ),
        width="stretch",
    )
    st.altair_chart(
        alt.Chart(data.rfm_segments(gold, filters), title="Customers per RFM segment")
        .mark_bar()
        .encode(
            y=alt.Y("rfm_segment:N", sort="-x", title="RFM segment"),
            x=alt.X("customers:Q", title="Customers"),
        ),
        width="stretch",
    )
    at_risk = data.at_risk_list(gold)
    st.subheader(f"At Risk customers ({at_risk.height:,})")
    st.download_button(
        "Download the At Risk list (CSV)",
        neutralised(at_risk).write_csv(),
        file_name="at_risk_customers.csv",
        mime="text/csv",
    )
    st.dataframe(at_risk.head(200), hide_index=True)


def sales_view(gold: data.Gold, filters: data.Filters) -> None:
    """Trends by day, store, region, category; drill-down store → category → product."""
    by_day = data.revenue_by_day(gold, filters)
    st.altair_chart(
        alt.Chart(by_day, title="Transactions per day")
        .mark_bar()
        .encode(x=alt.X("date:T", title="Date"), y=alt.Y("transactions:Q", title="Transactions")),
        width="stretch",
    )
    columns = st.columns(3)
    for column, (dimension, title) in zip(
        columns,
        [("store_id", "store"), ("store_region", "region"), ("category", "category")],
        strict=True,
    ):
        column.altair_chart(
            alt.Chart(data.revenue_by(gold, filters, dimension), title=f"Net revenue by {title}")
            .mark_bar()
            .encode(
                y=alt.Y(f"{dimension}:N", sort="-x", title=title.capitalize()),
                x=alt.X("revenue:Q", title="Revenue"),
            ),
            width="stretch",
        )
    st.subheader("Drill down")
    stores = data.drill_down(gold, filters, store=None, category=None)
    store = st.selectbox("Store", ["(all stores)", *stores["store_id"]], key="drill_store")
    store = None if store == "(all stores)" else store
    category = None
    if store is not None:
        categories = data.drill_down(gold, filters, store=store, category=None)
        picked = st.selectbox("Category", ["(all)", *categories["category"]], key="drill_category")
        category = None if picked == "(all)" else picked
    st.dataframe(data.drill_down(gold, filters, store=store, category=category), hide_index=True)


def promotions_view(gold: data.Gold, filters: data.Filters) -> None:
    """Uplift ranking with the top 3 highlighted."""
    ranked = data.promotions(gold, filters)
    chart = ranked.filter(pl.col("uplift_pct").is_not_null())
    st.altair_chart(
        alt.Chart(chart, title="Uplift vs. baseline (%)")
        .mark_bar()
        .encode(
            y=alt.Y("promotion_name:N", sort="-x", title="Promotion"),
            x=alt.X("uplift_pct:Q", title="Uplift (%)"),
            color=alt.condition(alt.datum.rank <= 3, alt.value("#2e7d32"), alt.value("#9e9e9e")),
        ),
        width="stretch",
    )
    st.dataframe(
        ranked.select(
            "top",
            "rank",
            "promotion_id",
            "promotion_name",
            "promo_category",
            "start_date",
            "end_date",
            "promoted_revenue",
            "uplift_pct",
            "points_issued",
        ),
        hide_index=True,
    )


def quality_view(lake: Lake, gold: data.Gold) -> None:
    """Rejects by reason and batch, with example rows."""
    reasons = data.rejects_by_reason(gold)
    st.altair_chart(
        alt.Chart(reasons, title="Rejected and warned rows by reason and batch")
        .mark_bar()
        .encode(
            x=alt.X("rows:Q", title="Rows"),
            y=alt.Y("reason:N", sort="-x", title="Reason"),
            color=alt.Color("batch_id:N", title="Batch"),
        ),
        width="stretch",
    )
    st.dataframe(gold["batch_quality"], hide_index=True)
    normalised = data.normalisations_by_kind(gold)
    if not normalised.is_empty():
        st.subheader("Normalised values")
        st.caption(
            "Formatting whose meaning is certain, read as what it means "
            '("3.0" as 3, "$1,234.50" as 1234.50) and counted, never guessed.'
        )
        st.altair_chart(
            alt.Chart(normalised, title="Normalised values by kind and table")
            .mark_bar()
            .encode(
                x=alt.X("sum(rows):Q", title="Values"),
                y=alt.Y("kind:N", sort="-x", title="Kind"),
                color=alt.Color("table:N", title="Table"),
                tooltip=["table", "column", "kind", "rows"],
            ),
            width="stretch",
        )
        st.dataframe(normalised, hide_index=True)
    report = dq_report(lake=lake, examples=2)
    if not report.references.is_empty():
        st.subheader("References not checked against a master")
        st.dataframe(report.references, hide_index=True)
    st.subheader("Example rejected rows")
    st.dataframe(
        report.examples.select(
            "table", "batch_id", "source_file", "row_number", "reason_codes", "message", "status"
        ),
        hide_index=True,
    )


def main() -> None:
    """Draw the dashboard."""
    st.set_page_config(page_title="loyalty_lake", page_icon="🛒", layout="wide")
    lake = lake_from_arguments(sys.argv[1:])
    st.title("loyalty_lake")
    gold = cached_gold(str(lake.root), source.gold_versions(lake))
    if gold is None:
        st.info(
            f"There is no gold data in {lake.root} yet. Run `loyalty-lake demo` (or "
            "`loyalty-lake build`) and reload this page."
        )
        return
    st.caption(f"Lake {lake.root} · as of {gold.as_of}")
    filters = sidebar_filters(gold)
    tabs = st.tabs(["Overview", "Loyalty", "Segments & RFM", "Sales", "Promotions", "Data quality"])
    with tabs[0]:
        overview_view(gold, filters)
    with tabs[1]:
        loyalty_view(lake, gold, filters)
    with tabs[2]:
        segments_view(gold, filters)
    with tabs[3]:
        sales_view(gold, filters)
    with tabs[4]:
        promotions_view(gold, filters)
    with tabs[5]:
        quality_view(lake, gold)


main()
