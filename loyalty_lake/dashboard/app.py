"""The loyalty_lake dashboard: ``loyalty-lake dashboard`` runs this script with Streamlit.

Run by hand: ``streamlit run loyalty_lake/dashboard/app.py -- --lake lake``.
It reads the gold tables through :mod:`loyalty_lake.dashboard.source` (cached per
table version) and aggregates them with the pure functions of
:mod:`loyalty_lake.dashboard.data` before anything is drawn.

Every value is shown one way (:func:`table`, :func:`chart`, the axis and
tooltip helpers): dates as 2026-07-11 (months as 2026-07), money with two
decimals and thousands separators (7,729.80), probabilities with three
decimals, empty cells blank, category labels (reason codes, promotion names,
notification kinds) whole. Money stays ``Decimal`` until it is drawn or shown.
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
from loyalty_lake.gold.clv.predict import ValueTier
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
#: The outbox's statuses: to send, delivered, given up on, no longer due.
STATUS_COLOURS = alt.Scale(
    domain=list(data.STATUSES), range=["#1565c0", "#2e7d32", "#c62828", "#9e9e9e"]
)
VALUE_TIERS = [tier.value for tier in ValueTier]

#: The views, one tab each, in order.
TABS = [
    "Overview",
    "Loyalty",
    "Segments & RFM",
    "Customer value",
    "Sales",
    "Inventory",
    "Promotions",
    "Notifications",
    "Data quality",
]
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
CHART_MONTH = "%Y-%m"
CHART_MONEY = ",.2f"
#: Integer columns that are ranks, scores or positions: no thousands separator.
ORDINALS = frozenset(
    {"rank", "rank_in_region", "sequence", "row_number", "r_score", "f_score", "m_score"}
)
#: Float columns that need more than one decimal: probabilities, model parameters, rates.
FLOAT_FORMATS: Mapping[str, str] = {
    "p_alive": "%.3f",
    "mean_p_alive": "%.3f",
    "value": "%.4f",
    "sell_rate_7d": "%.2f",
}
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
#: The store comparison's column labels.
STORE_LABELS: Mapping[str, str] = {
    "month_start": "Month",
    "rank_in_region": "Rank in region",
    "revenue": "Net revenue",
    "average_basket": "Average basket",
    "members_share_pct": "Members' share",
    "stock_out_days": "Stock-out days",
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
        elif dtype.is_float() and name in FLOAT_FORMATS:
            config[name] = st.column_config.NumberColumn(label, format=FLOAT_FORMATS[name])
        elif dtype.is_float():
            config[name] = st.column_config.NumberColumn(label, format="%,.1f")
        elif dtype == pl.Boolean:
            config[name] = st.column_config.CheckboxColumn(label)
        elif dtype == pl.List(pl.String) or "reason" in name or name == "last_error":
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
#: Fewer days (months) than this on a date (month) axis: a tick each (more: Vega's choice).
FEW_DAYS = 10


def date_x(frame: pl.DataFrame, title: str = "Date") -> alt.X:
    """A date axis of ``frame``'s dates, labelled 2026-07-11 whatever the browser's time zone.

    Over a few days, one tick a day at most (never 2026-10-30 twice, at 00:00 and 12:00).
    """
    days = frame["date"].n_unique()
    axis = (
        alt.Axis(format=CHART_DATE, tickCount=days)
        if days < FEW_DAYS
        else alt.Axis(format=CHART_DATE)
    )
    return alt.X(DAY, title=title, axis=axis)


def date_tooltip() -> alt.Tooltip:
    """The date of a point, as 2026-07-11."""
    return alt.Tooltip(DAY, title="Date", format=CHART_DATE)


#: A month column (a month's first day) as its calendar month.
MONTH = "utcyearmonth(month_start):T"


def month_x(frame: pl.DataFrame, title: str = "Month") -> alt.X:
    """A month axis of ``frame``'s months, labelled 2026-07 whatever the browser's time zone.

    Over a few months, one tick a month at most (never 2026-07 twice).
    """
    months = frame["month_start"].n_unique()
    axis = (
        alt.Axis(format=CHART_MONTH, tickCount=months)
        if months < FEW_DAYS
        else alt.Axis(format=CHART_MONTH)
    )
    return alt.X(MONTH, title=title, axis=axis)


def month_tooltip() -> alt.Tooltip:
    """The month of a point, as 2026-07."""
    return alt.Tooltip(MONTH, title="Month", format=CHART_MONTH)


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
            x=date_x(trend),
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
            x=date_x(movements),
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
            x=date_x(by_day),
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
    store_comparisons(gold, filters)
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


def built_before(gold: data.Gold, *names: str) -> bool:
    """Whether gold lacks ``names`` (a lake built by an earlier version), saying so if it does."""
    missing = [name for name in names if name not in gold.tables]
    if missing:
        st.info(
            f"This lake's gold has no {', '.join(missing)} yet: it was built by an earlier "
            "version of loyalty_lake. Run `loyalty-lake build` and reload this page."
        )
    return bool(missing)


#: Why ``customer_value`` can be empty (tables.customer_values leaves it so).
NO_CLV = (
    "No customer lifetime value in this build: gold/customer_value is empty because the "
    "BG/NBD and Gamma-Gamma models could not be fitted. They need enough repeat customers "
    "(members who bought on at least two days: 100 by default, setting "
    "`clv.min_repeat_customers`) and a fit that converges; `loyalty-lake build` printed "
    "which. Load more history and rebuild (or lower the setting knowingly)."
)


def customer_value_view(gold: data.Gold, filters: data.Filters) -> None:
    """CLV distribution, top customers, probability alive by recency × frequency, fit, win-back."""
    if built_before(gold, "customer_value", "clv_parameters"):
        return
    fit = data.fit_quality(gold)
    if gold["customer_value"].is_empty():
        st.info(NO_CLV)
        if not fit.is_empty():
            fit_quality_section(fit)
        return
    s = data.value_summary(gold, filters)
    unit = s.time_unit or "week"
    row = st.columns(4)
    row[0].metric("Customers valued", f"{s.customers:,}")
    row[1].metric(
        "CLV, total",
        f"{s.total_clv:,.2f}",
        help="Sum of customer_value.clv: the discounted expected spend over the horizon "
        "(clv.horizon_months, 12 by default). A forecast, not booked money.",
    )
    row[2].metric("CLV, average", "-" if s.average_clv is None else f"{s.average_clv:,.2f}")
    row[3].metric(
        "Mean probability alive",
        "-" if s.mean_p_alive is None else f"{s.mean_p_alive:.3f}",
        help="Mean of customer_value.p_alive (BG/NBD): the chance each is still a customer.",
    )
    st.caption(
        f"As of {gold.as_of}, fitted on every member with a sale; the segment filter applies, "
        "the dates, stores and categories do not."
    )
    if s.converged is False:
        st.warning("A CLV fit did not converge: read its figures with care (see Fit quality).")
    if s.customers:
        left, right = st.columns(2)
        left.altair_chart(clv_histogram_chart(data.clv_histogram(gold, filters)), width="stretch")
        right.altair_chart(p_alive_chart(data.p_alive_map(gold, filters), unit), width="stretch")
        st.subheader("Top customers by CLV")
        table(data.top_customers(gold, filters))
    else:
        st.info("No customer of the chosen segments has a lifetime value.")
    fit_quality_section(fit)
    win_back_section(gold, filters)


def clv_histogram_chart(bins: pl.DataFrame) -> alt.Chart:
    """Customers per CLV bin (the bins' edges are money)."""
    return (
        chart(bins, "Customers by CLV")
        .mark_bar()
        .encode(
            x=alt.X("clv_from:Q", bin="binned", title="CLV", axis=alt.Axis(format=",.0f")),
            x2="clv_to:Q",
            y=alt.Y("customers:Q", title="Customers"),
            tooltip=[
                money_tooltip("clv_from", "CLV from"),
                money_tooltip("clv_to", "CLV to (excluded)"),
                alt.Tooltip("customers:Q", title="Customers", format=",d"),
            ],
        )
    )


def p_alive_chart(cells: pl.DataFrame, unit: str) -> alt.Chart:
    """Mean probability alive per recency bin × frequency bin."""
    return (
        chart(cells, "Mean probability alive by recency × frequency")
        .mark_rect()
        .encode(
            x=alt.X(
                "frequency_bin:O",
                sort=alt.EncodingSortField(field="frequency_from", op="min"),
                axis=whole_labels("Frequency: repeat purchase days"),
            ),
            y=alt.Y(
                "recency_bin:O",
                sort=alt.EncodingSortField(field="recency_from", op="min", order="descending"),
                axis=whole_labels(f"Recency: {unit}s from first to last purchase"),
            ),
            color=alt.Color(
                "mean_p_alive:Q",
                title="Mean P(alive)",
                scale=alt.Scale(domain=[0, 1], scheme="redyellowgreen"),
            ),
            tooltip=[
                alt.Tooltip("recency_bin:O", title=f"Recency ({unit}s)"),
                alt.Tooltip("frequency_bin:O", title="Repeat purchase days"),
                alt.Tooltip("customers:Q", title="Customers", format=",d"),
                alt.Tooltip("mean_p_alive:Q", title="Mean P(alive)", format=".3f"),
            ],
        )
    )


def fit_quality_section(fit: pl.DataFrame) -> None:
    """The CLV models' parameters and fit quality (``clv_parameters``)."""
    st.subheader("Fit quality")
    st.caption(
        "Maximum-likelihood estimates: BG/NBD (r, alpha: purchase rate; a, b: drop-out) on "
        "every valued customer, Gamma-Gamma (p, q, v: spend per purchase) on the repeat "
        "customers; the log-likelihood of each fit, the customers it used and whether the "
        "optimiser converged."
    )
    table(fit)


def win_back_section(gold: data.Gold, filters: data.Filters) -> None:
    """At Risk customers with high CLV still likely alive, downloadable."""
    st.subheader("Win-back list")
    left, right = st.columns(2)
    least = left.slider(
        "Probability alive at least",
        min_value=0.0,
        max_value=1.0,
        value=data.WIN_BACK_P_ALIVE,
        step=0.05,
        key="win_back_p_alive",
    )
    tiers = right.multiselect(
        "Value tiers",
        VALUE_TIERS,
        default=list(data.WIN_BACK_TIERS),
        key="win_back_tiers",
        help="Top: the 10 % with the highest CLV; High: up to 25 %; Medium: up to 50 %. "
        "None chosen: every tier.",
    )
    chosen = ", ".join(tiers) if tiers else "any"
    listed = data.win_back(gold, filters, min_p_alive=least, tiers=tiers)
    st.caption(
        f"Customers flagged At Risk (is_at_risk) of value tier {chosen} whose probability of "
        f"still being a customer is {least:.2f} or more, highest CLV first: worth a win-back "
        "offer. The segment filter applies."
    )
    if listed.is_empty():
        st.info(
            f"No At Risk customer of value tier {chosen} has a probability alive of "
            f"{least:.2f} or more. At Risk customers have been silent for 30 days or more, "
            "which lowers their CLV: choose lower tiers or a lower probability to find them."
        )
        return
    st.download_button(
        f"Download the win-back list ({listed.height:,} customers, CSV)",
        neutralised(listed).write_csv(),
        file_name="win_back_customers.csv",
        mime="text/csv",
        key="win_back_download",
    )
    table(listed.head(200))


def store_comparisons(gold: data.Gold, filters: data.Filters) -> None:
    """Stores compared per month within their region (``store_performance``)."""
    st.subheader("Store comparisons")
    if built_before(gold, "store_performance"):
        return
    months = data.store_months(gold, filters)
    st.caption(
        "Per store and month (the months the date range touches; the category filter does not "
        "apply): net revenue, rank by revenue in the region, average basket (SALE revenue per "
        "SALE transaction), members' share of the SALE transactions, points issued and "
        "product-days out of stock. From gold store_performance."
    )
    st.altair_chart(
        chart(months, "Net revenue by store per month")
        .mark_line(point=True)
        .encode(
            x=month_x(months),
            y=alt.Y("revenue:Q", title="Net revenue"),
            color=alt.Color("store_id:N", title="Store"),
            tooltip=[
                month_tooltip(),
                "store_id:N",
                "store_name:N",
                "store_region:N",
                money_tooltip(),
                alt.Tooltip("rank_in_region:Q", title="Rank in region"),
            ],
        ),
        width="stretch",
    )
    table(months, STORE_LABELS)


def inventory_view(gold: data.Gold, filters: data.Filters) -> None:
    """Stock-outs over time and by pair, low cover on the latest day, sell-through by category."""
    if built_before(gold, "inventory_daily"):
        return
    latest = data.latest_snapshot(gold, filters)
    if latest is None:
        st.info("No stock snapshot within the filters: choose a wider date range or more stores.")
        return
    by_day = data.stock_outs_by_day(gold, filters)
    on_latest = by_day.filter(pl.col("date") == latest).row(0, named=True)
    row = st.columns(3)
    row[0].metric(
        "Stock-outs (store × product × day)",
        f"{int(by_day['stock_outs'].sum()):,}",
        help="Snapshots of stock 0 in the filters (inventory_daily.stock_out).",
    )
    row[1].metric(f"Out of stock on {latest}", f"{on_latest['stock_outs']:,}")
    row[2].metric("Days with a snapshot", f"{by_day.height:,}")
    st.caption(
        "From gold inventory_daily; a product's name and category are product_sales_daily's "
        f"(a product never sold is in category {data.NO_CATEGORY}). Every filter applies but "
        "the segment."
    )
    st.altair_chart(
        chart(by_day, "Store × product pairs out of stock per day")
        .mark_bar()
        .encode(
            x=date_x(by_day),
            y=alt.Y("stock_outs:Q", title="Pairs out of stock"),
            tooltip=[
                date_tooltip(),
                alt.Tooltip("stock_outs:Q", title="Out of stock", format=",d"),
                alt.Tooltip("snapshots:Q", title="Snapshots", format=",d"),
            ],
        ),
        width="stretch",
    )
    st.subheader("Most often out of stock")
    table(data.most_out_of_stock(gold, filters))
    below = st.slider(
        "Days of cover below", min_value=1, max_value=60, value=7, step=1, key="cover_below"
    )
    low = data.low_cover(gold, filters, below=below)
    st.subheader(f"Low cover on {latest} ({low.height:,})")
    st.caption(
        "Store × product pairs whose stock lasts under the chosen days at the trailing 7-day "
        "sell rate (days_of_cover); a pair without a sale in those 7 days has no figure."
    )
    table(low.head(200))
    st.subheader("Sell-through by category")
    through = data.sell_through(gold, filters)
    st.caption(
        "Units sold in the date range / (units sold + stock at its end) per category; the "
        "stock at the end is each pair's last snapshot in the range (blank without one)."
    )
    st.altair_chart(
        chart(through.filter(pl.col("sell_through_pct").is_not_null()), "Sell-through (%)")
        .mark_bar()
        .encode(
            y=alt.Y("category:N", sort="-x", axis=whole_labels("Category")),
            x=alt.X(
                "sell_through_pct:Q", title="Sell-through (%)", scale=alt.Scale(domain=[0, 100])
            ),
            tooltip=[
                "category:N",
                alt.Tooltip("sell_through_pct:Q", title="Sell-through (%)", format=".2f"),
                alt.Tooltip("units_sold:Q", title="Units sold", format=",d"),
                alt.Tooltip("stock_at_end:Q", title="Stock at the end", format=",d"),
            ],
        ),
        width="stretch",
    )
    table(through)


def notifications_view(gold: data.Gold) -> None:
    """The outbox: messages per kind and status, the failed ones, the latest ones."""
    if built_before(gold, "notifications"):
        return
    outbox = gold["notifications"]
    row = st.columns(len(data.STATUSES))
    for column, status in zip(row, data.STATUSES, strict=True):
        column.metric(status.capitalize(), f"{(outbox['status'] == status).sum():,}")
    st.caption(
        "The whole outbox (gold notifications, as the last build and `loyalty-lake notify` "
        "left it): the sidebar's filters do not apply. Contacts are pseudonyms; addresses "
        "are read from silver only when a message is sent."
    )
    if outbox.is_empty():
        st.info("The outbox is empty: no member has a message due.")
        return
    st.altair_chart(
        chart(data.notification_statuses(gold), "Messages by kind and status")
        .mark_bar()
        .encode(
            y=alt.Y("kind:N", sort="-x", axis=whole_labels("Kind")),
            x=alt.X("sum(messages):Q", title="Messages"),
            color=alt.Color("status:N", scale=STATUS_COLOURS, title="Status"),
            tooltip=["kind:N", "status:N", alt.Tooltip("messages:Q", format=",d")],
        ),
        width="stretch",
    )
    table(data.notification_counts(gold))
    failed = data.failed_notifications(gold)
    st.subheader(f"Failed messages ({failed.height:,})")
    if failed.is_empty():
        st.caption("No message has failed.")
    else:
        table(failed.head(200))
    st.subheader("Latest messages")
    table(data.recent_notifications(gold))


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
    tabs = st.tabs(TABS)
    with tabs[0]:
        overview_view(gold, filters)
    with tabs[1]:
        loyalty_view(lake, gold, filters)
    with tabs[2]:
        segments_view(gold, filters)
    with tabs[3]:
        customer_value_view(gold, filters)
    with tabs[4]:
        sales_view(gold, filters)
    with tabs[5]:
        inventory_view(gold, filters)
    with tabs[6]:
        promotions_view(gold, filters)
    with tabs[7]:
        notifications_view(gold)
    with tabs[8]:
        quality_view(lake, gold)


main()
