"""The loyalty_lake dashboard: ``loyalty-lake dashboard`` runs this script with Streamlit.

Run by hand: ``streamlit run loyalty_lake/dashboard/app.py -- --lake lake``.
It reads the gold tables through :mod:`loyalty_lake.dashboard.source` (cached per
table version) and aggregates them with the pure functions of
:mod:`loyalty_lake.dashboard.data` before anything is drawn.

Every value is shown one way (:func:`table`, :func:`chart`, the axis and
tooltip helpers): dates as 2026-07-11, money with two decimals and thousands
separators (7,729.80), empty cells blank, category labels (reason codes,
promotion names) whole. Money stays ``Decimal`` until it is drawn or shown.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

import altair as alt
import polars as pl
import streamlit as st

from loyalty_lake.codes import MONEY, Segment
from loyalty_lake.dashboard import data, source
from loyalty_lake.errors import LoyaltyLakeError
from loyalty_lake.io.export import neutralised
from loyalty_lake.io.lake import Lake
from loyalty_lake.pipeline.quality import dq_report
from loyalty_lake.pipeline.statement import points_statement

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from streamlit.delta_generator import DeltaGenerator
    from streamlit.elements.lib.column_types import ColumnConfig

SEGMENTS = [segment.value for segment in Segment]
SEGMENT_COLOURS = alt.Scale(domain=SEGMENTS, range=["#2e7d32", "#c62828", "#9e9e9e"])
MOVEMENT_COLOURS = alt.Scale(
    domain=["earned", "redeemed", "expired", "reversed"],
    range=["#2e7d32", "#1565c0", "#c62828", "#ef6c00"],
)

#: The Overview's segment tiles, by segment.
TILES: Mapping[str, str] = {Segment.HIGH_SPENDER: "High Spenders", Segment.AT_RISK: "At Risk"}

#: Table formats (``st.column_config``: moment.js dates, sprintf-js numbers).
DATE_FORMAT = "YYYY-MM-DD"
DATETIME_FORMAT = "YYYY-MM-DD HH:mm:ss"
MONEY_FORMAT = "%,.2f"
COUNT_FORMAT = "%,d"
PERCENT_FORMAT = "%.2f %%"
#: Chart formats (Vega: d3-time-format, d3-format).
CHART_DATE = "%Y-%m-%d"
CHART_MONEY = ",.2f"
#: Integer columns that are ranks, scores or positions: no thousands separator.
ORDINALS = frozenset({"rank", "sequence", "row_number", "r_score", "f_score", "m_score"})
#: Column labels that say what a number is of (other columns show their name).
LABELS: Mapping[str, str] = {
    "segment": "Segment",
    "customers": "Customers",
    "share_of_customers_pct": "% of customers",
    "buyers": "Buyers",
    "share_of_buyers_pct": "% of buyers",
    "revenue": "Net revenue",
    "average_points": "Average points",
    "points_outstanding": "Points outstanding",
}


def displayed(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` as a browser takes it: money as floats, lists as text (for display only)."""
    return frame.with_columns(
        pl.col(pl.Decimal).cast(pl.Float64),
        pl.col(pl.List(pl.String)).list.join(", "),
    )


def column_config(
    frame: pl.DataFrame, labels: Mapping[str, str] | None = None
) -> dict[str, ColumnConfig]:
    """How :func:`table` shows each column of ``frame``, by its type (and name)."""
    config: dict[str, ColumnConfig] = {}
    for name, dtype in frame.schema.items():
        label = (labels or {}).get(name, name)
        if dtype == pl.Date:
            config[name] = st.column_config.DateColumn(label, format=DATE_FORMAT)
        elif isinstance(dtype, pl.Datetime):
            config[name] = st.column_config.DatetimeColumn(label, format=DATETIME_FORMAT)
        elif isinstance(dtype, pl.Decimal) and dtype.scale == MONEY.scale:  # sums widen it
            config[name] = st.column_config.NumberColumn(label, format=MONEY_FORMAT)
        elif isinstance(dtype, pl.Decimal):  # rates and multipliers
            config[name] = st.column_config.NumberColumn(label)
        elif dtype.is_integer():
            number = "%d" if name in ORDINALS else COUNT_FORMAT
            config[name] = st.column_config.NumberColumn(label, format=number)
        elif dtype.is_float() and name.endswith("_pct"):
            config[name] = st.column_config.NumberColumn(label, format=PERCENT_FORMAT)
        elif dtype.is_float():
            config[name] = st.column_config.NumberColumn(label, format="%,.1f")
        elif dtype == pl.List(pl.String) or "reason" in name:
            # reason codes are read whole: UNKNOWN_PRODUCT is not UNKNOWN_PROMOTION
            config[name] = st.column_config.TextColumn(label, width="large")
        else:
            config[name] = st.column_config.TextColumn(label)
    return config


def table(frame: pl.DataFrame, labels: Mapping[str, str] | None = None) -> None:
    """Show ``frame`` as a table: dates, money and counts formatted, empty cells blank."""
    st.dataframe(
        displayed(frame),
        column_config=column_config(frame, labels),
        hide_index=True,
        placeholder="",
    )


def chart(frame: pl.DataFrame, title: str) -> alt.Chart:
    """An Altair chart of ``frame`` (money as floats, for drawing only)."""
    return alt.Chart(displayed(frame), title=title)


#: A date column as calendar days: Vega reads a date as UTC midnight, so a day
#: shown in the browser's zone could be the day before.
DAY = "utcyearmonthdate(date):T"


def date_x(title: str = "Date") -> alt.X:
    """A date axis, labelled 2026-07-11 whatever the browser's time zone."""
    return alt.X(DAY, title=title, axis=alt.Axis(format=CHART_DATE))


def date_tooltip() -> alt.Tooltip:
    """The date of a point, as 2026-07-11."""
    return alt.Tooltip(DAY, title="Date", format=CHART_DATE)


def money_tooltip(field: str = "revenue", title: str = "Net revenue") -> alt.Tooltip:
    """An amount of money, as 7,729.80."""
    return alt.Tooltip(f"{field}:Q", title=title, format=CHART_MONEY)


def whole_labels(title: str, *, upright: bool = False) -> alt.Axis:
    """A category axis whose labels are never cut short (reason codes, names).

    ``upright``: an x axis's labels read horizontally (short labels).
    """
    if upright:
        return alt.Axis(title=title, labelLimit=0, labelAngle=0)
    return alt.Axis(title=title, labelLimit=0)


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


def segment_tile(column: DeltaGenerator, share: data.SegmentShare) -> None:
    """A segment's share of all customers (``segment_summary.share_of_customers_pct``)."""
    column.metric(
        f"{TILES[share.segment]}, % of customers",
        f"{share.share_of_customers_pct:.2f} %",
        help=(
            f"{share.customers:,} of all {share.all_customers:,} customers, whatever the "
            f"filters; {share.share_of_buyers_pct:.2f} % of buyers ({share.buyers:,} of the "
            f"{share.all_buyers:,} customers with a sale). From gold segment_summary, as "
            "`loyalty-lake build` prints it."
        ),
    )


def overview_view(gold: data.Gold, filters: data.Filters) -> None:
    """Headline numbers and the revenue trend."""
    o = data.overview(gold, filters)
    sales, points = st.columns(4), st.columns(3)
    sales[0].metric("Revenue (net)", f"{o.revenue:,.2f}")
    sales[1].metric("Transactions", f"{o.transactions:,}")
    sales[2].metric("Active members", f"{o.active_members:,}")
    sales[3].metric("Points outstanding (liability)", f"{o.points_outstanding:,}")
    segment_tile(points[0], o.high_spenders)
    segment_tile(points[1], o.at_risk)
    points[2].metric(
        f"Reject rate, batch {o.last_batch or '-'}",
        "-" if o.last_batch_reject_rate is None else f"{o.last_batch_reject_rate:.2f} %",
    )
    trend = data.revenue_by_day(gold, filters)
    st.altair_chart(
        chart(trend, "Net revenue per day")
        .mark_line(point=False)
        .encode(
            x=date_x(),
            y=alt.Y("revenue:Q", title="Net revenue"),
            tooltip=[date_tooltip(), money_tooltip()],
        ),
        width="stretch",
    )


def loyalty_view(lake: Lake, gold: data.Gold, filters: data.Filters) -> None:
    """Points movements, tiers and a customer's statement."""
    movements = data.points_over_time(gold, filters)
    st.altair_chart(
        chart(movements, "Points per day")
        .mark_line()
        .encode(
            x=date_x(),
            y=alt.Y("points:Q", title="Points"),
            color=alt.Color("movement:N", scale=MOVEMENT_COLOURS, title="Movement"),
            tooltip=[date_tooltip(), "movement:N", alt.Tooltip("points:Q", format=",d")],
        ),
        width="stretch",
    )
    st.altair_chart(
        chart(data.tier_mix(gold, filters), "Customers per tier")
        .mark_bar()
        .encode(
            x=alt.X("loyalty_status:N", sort=None, axis=whole_labels("Tier", upright=True)),
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
        table(statement.ledger.drop("customer_id"))


def _per_segment(sizes: pl.DataFrame, value: str, title: str) -> alt.Chart:
    """A bar per segment, in the segments' colours."""
    tooltip = money_tooltip(value, title) if value == "revenue" else f"{value}:Q"
    return (
        chart(sizes, f"{title} per segment")
        .mark_bar()
        .encode(
            x=alt.X("segment:N", axis=whole_labels("Segment", upright=True)),
            y=alt.Y(f"{value}:Q", title=title),
            color=alt.Color("segment:N", scale=SEGMENT_COLOURS, legend=None),
            tooltip=["segment:N", tooltip],
        )
    )


def segments_view(gold: data.Gold, filters: data.Filters) -> None:
    """Segment sizes and revenue, R × F heat map, RFM segments, the At Risk list."""
    sizes = data.segment_sizes(gold, filters)
    left, right = st.columns(2)
    left.altair_chart(_per_segment(sizes, "customers", "Customers"), width="stretch")
    right.altair_chart(_per_segment(sizes, "revenue", "Net revenue"), width="stretch")
    st.caption(
        "Segments are exclusive (High Spender before At Risk before Others). Buyers are "
        "the customers with a sale; a share is of all customers or of all buyers."
    )
    table(sizes, LABELS)
    st.altair_chart(
        chart(data.rf_heatmap(gold, filters), "Customers by recency × frequency score")
        .mark_rect()
        .encode(
            x=alt.X("f_score:O", axis=whole_labels("Frequency score (5 = most frequent)")),
            y=alt.Y(
                "r_score:O",
                axis=whole_labels("Recency score (5 = most recent)"),
                sort="descending",
            ),
            color=alt.Color("customers:Q", title="Customers", scale=alt.Scale(scheme="blues")),
            tooltip=["r_score", "f_score", "customers"],
        ),
        width="stretch",
    )
    st.altair_chart(
        chart(data.rfm_segments(gold, filters), "Customers per RFM segment")
        .mark_bar()
        .encode(
            y=alt.Y("rfm_segment:N", sort="-x", axis=whole_labels("RFM segment")),
            x=alt.X("customers:Q", title="Customers"),
            tooltip=["rfm_segment:N", "customers:Q", money_tooltip()],
        ),
        width="stretch",
    )
    at_risk = data.at_risk_list(gold)
    high_spenders = int((at_risk["segment"] == Segment.HIGH_SPENDER).sum())
    st.subheader(f"Customers flagged At Risk ({at_risk.height:,})")
    st.caption(
        f"The win-back list: every customer with is_at_risk, the {high_spenders:,} in the "
        "High Spender segment included (the At Risk segment leaves them out)."
    )
    st.download_button(
        "Download the At Risk list (CSV)",
        neutralised(at_risk).write_csv(),
        file_name="at_risk_customers.csv",
        mime="text/csv",
    )
    table(at_risk.head(200))


def sales_view(gold: data.Gold, filters: data.Filters) -> None:
    """Trends by day, store, region, category; drill-down store → category → product."""
    by_day = data.revenue_by_day(gold, filters)
    st.altair_chart(
        chart(by_day, "Transactions per day")
        .mark_bar()
        .encode(
            x=date_x(),
            y=alt.Y("transactions:Q", title="Transactions"),
            tooltip=[date_tooltip(), alt.Tooltip("transactions:Q", format=",d")],
        ),
        width="stretch",
    )
    columns = st.columns(3)
    for column, (dimension, title) in zip(
        columns,
        [("store_id", "store"), ("store_region", "region"), ("category", "category")],
        strict=True,
    ):
        column.altair_chart(
            chart(data.revenue_by(gold, filters, dimension), f"Net revenue by {title}")
            .mark_bar()
            .encode(
                y=alt.Y(f"{dimension}:N", sort="-x", axis=whole_labels(title.capitalize())),
                x=alt.X("revenue:Q", title="Net revenue"),
                tooltip=[f"{dimension}:N", money_tooltip()],
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
    table(data.drill_down(gold, filters, store=store, category=category))


def promotions_view(gold: data.Gold, filters: data.Filters) -> None:
    """Uplift ranking with the top 3 highlighted."""
    ranked = data.promotions(gold, filters)
    uplifts = ranked.filter(pl.col("uplift_pct").is_not_null())
    st.altair_chart(
        chart(uplifts, "Uplift vs. baseline (%)")
        .mark_bar()
        .encode(
            y=alt.Y("promotion_name:N", sort="-x", axis=whole_labels("Promotion")),
            x=alt.X("uplift_pct:Q", title="Uplift (%)"),
            color=alt.condition(alt.datum.rank <= 3, alt.value("#2e7d32"), alt.value("#9e9e9e")),
            tooltip=[
                "promotion_name:N",
                alt.Tooltip("uplift_pct:Q", title="Uplift (%)", format=".2f"),
                money_tooltip("promoted_revenue", "Promoted revenue"),
            ],
        ),
        width="stretch",
    )
    table(
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
        )
    )


def quality_view(lake: Lake, gold: data.Gold) -> None:
    """Rejects by reason and batch, with example rows."""
    reasons = data.rejects_by_reason(gold)
    st.altair_chart(
        chart(reasons, "Rejected and warned rows by reason and batch")
        .mark_bar()
        .encode(
            x=alt.X("rows:Q", title="Rows"),
            y=alt.Y("reason:N", sort="-x", axis=whole_labels("Reason")),
            color=alt.Color("batch_id:N", title="Batch"),
            tooltip=["reason:N", "severity:N", "batch_id:N", alt.Tooltip("rows:Q", format=",d")],
        ),
        width="stretch",
    )
    table(gold["batch_quality"])
    normalised = data.normalisations_by_kind(gold)
    if not normalised.is_empty():
        st.subheader("Normalised values")
        st.caption(
            "Formatting whose meaning is certain, read as what it means "
            '("3.0" as 3, "$1,234.50" as 1234.50) and counted, never guessed.'
        )
        st.altair_chart(
            chart(normalised, "Normalised values by kind and table")
            .mark_bar()
            .encode(
                x=alt.X("sum(rows):Q", title="Values"),
                y=alt.Y("kind:N", sort="-x", axis=whole_labels("Kind")),
                color=alt.Color("table:N", title="Table"),
                tooltip=["table", "column", "kind", "rows"],
            ),
            width="stretch",
        )
        table(normalised)
    report = dq_report(lake=lake, examples=2)
    if not report.references.is_empty():
        st.subheader("References not checked against a master")
        table(report.references)
    st.subheader("Example rejected rows")
    table(
        report.examples.select(
            "table", "batch_id", "source_file", "row_number", "reason_codes", "message", "status"
        )
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
