"""The Streamlit dashboard under ``streamlit.testing`` (no browser) and its pure data functions.

Every view renders without an exception and shows its metrics, charts and tables;
the sidebar filters, the customer lookup and the drill-down change what is shown;
an empty lake tells to run ``loyalty-lake demo``. Expected numbers are computed
here from the gold (and silver) tables with Polars, not through ``data.py``.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import loyalty_lake as ll
import loyalty_lake.dashboard
from loyalty_lake.cli.show import print_segments
from loyalty_lake.cli.terminal import console
from loyalty_lake.dashboard import data, source
from loyalty_lake.pipeline.build import BuildReport
from loyalty_lake.pipeline.gold import GoldReport
from loyalty_lake.privacy import masked

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from streamlit.testing.v1.element_tree import Block, UnknownElement

APP = Path(loyalty_lake.dashboard.__file__).with_name("app.py")
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
TOP = "★ top 3"


def render(lake: ll.Lake) -> AppTest:
    """Run the app script once on ``lake`` (``sys.argv`` must name it for every run)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    return at


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch) -> Callable[[ll.Lake], AppTest]:
    """Open the dashboard of a lake as ``loyalty-lake dashboard --lake`` would."""

    def open_(lake: ll.Lake) -> AppTest:
        monkeypatch.setattr(sys, "argv", ["app.py", "--lake", str(lake.root)])
        at = render(lake)
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_


@pytest.fixture(scope="module")
def rendered(dash_lake: ll.Lake) -> Iterator[AppTest]:
    """One untouched run of the app, shared by the read-only view tests."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sys, "argv", ["app.py", "--lake", str(dash_lake.root)])
        yield render(dash_lake)


def metrics(node: AppTest | Block) -> dict[str, str]:
    return {m.label: m.value for m in node.metric}


def number(text: str) -> float:
    """A metric's value as a number: '98,828.47' -> 98828.47, '12.2 %' -> 12.2."""
    return float(text.replace(",", "").removesuffix("%").strip())


def charts(node: AppTest | Block) -> list[UnknownElement]:
    return list(node.get("vega_lite_chart"))


def chart_title(chart: UnknownElement) -> str:
    return json.loads(chart.proto.spec)["title"]


def chart_rows(chart: UnknownElement) -> int:
    """The number of data rows Streamlit sent with an Altair chart."""
    proto = chart.proto
    payload = proto.datasets[0].data.data if proto.datasets else proto.data.data
    return pa.ipc.open_stream(payload).read_all().num_rows


def tab(at: AppTest, label: str) -> Block:
    (found,) = [t for t in at.tabs if t.label == label]
    return found


def drilled(at: AppTest):
    """The drill-down's table: the Sales tab's last (after the store comparison)."""
    return tab(at, "Sales").dataframe[-1]


def money(frame: pl.DataFrame) -> float:
    return float(frame["revenue"].sum() or 0)


def as_shown(frame: pl.DataFrame) -> str:
    """A mart's net revenue as the dashboard shows money: exact, 7,729.80."""
    return f"{frame['revenue'].sum():,.2f}"


# --- every view renders -------------------------------------------------------------------


def test_the_page_has_its_title_caption_tabs_and_filters(rendered, gold, dash_lake):
    at = rendered
    assert not at.exception
    assert [t.value for t in at.title] == ["loyalty_lake"]
    assert f"Lake {dash_lake.root}" in at.caption[0].value
    assert str(gold.as_of) in at.caption[0].value
    assert [t.label for t in at.tabs] == TABS

    daily = gold["sales_daily"]
    assert at.date_input(key="dates").value == (daily["date"].min(), daily["date"].max())
    assert at.multiselect(key="regions").options == sorted(daily["store_region"].unique())
    assert at.multiselect(key="stores").options == sorted(daily["store_id"].unique())
    assert at.multiselect(key="categories").options == sorted(daily["category"].unique())
    assert at.multiselect(key="segments").options == ["High Spender", "At Risk", "Others"]
    for key in ("regions", "stores", "categories", "segments"):
        assert at.multiselect(key=key).value == []
    # the only note: this lake's default win-back list is empty (see the Customer value tests)
    assert [i.value[:28] for i in at.info] == ["No At Risk customer of value"]
    assert not at.warning


VIEWS = {
    "Overview": (["Net revenue per day"], 0),
    "Loyalty": (["Points per day", "Customers per tier"], 0),
    "Segments & RFM": (
        [
            "Customers per segment",
            "Net revenue per segment",
            "Customers by recency × frequency score",
            "Customers per RFM segment",
        ],
        2,
    ),
    "Customer value": (
        ["Customers by CLV", "Mean probability alive by recency × frequency"],
        2,  # top customers, fit quality (no one in the default win-back list here)
    ),
    "Sales": (
        [
            "Transactions per day",
            "Net revenue by store",
            "Net revenue by region",
            "Net revenue by category",
            "Net revenue by store per month",
        ],
        2,
    ),
    "Inventory": (["Store × product pairs out of stock per day", "Sell-through (%)"], 3),
    "Promotions": (["Uplift vs. baseline (%)"], 1),
    "Notifications": (["Messages by kind and status"], 3),
    "Data quality": (["Rejected and warned rows by reason and batch"], 2),
}


@pytest.mark.parametrize("label", TABS)
def test_every_tab_shows_its_charts_with_data_and_its_tables(rendered, label):
    titles, tables = VIEWS[label]
    view = tab(rendered, label)
    assert not rendered.exception
    assert [chart_title(c) for c in charts(view)] == titles
    assert all(chart_rows(c) > 0 for c in charts(view)), label
    assert len(view.dataframe) == tables
    assert all(len(d.value) > 0 for d in view.dataframe), label


def test_overview_shows_the_headline_metrics(rendered, gold):
    shown = metrics(tab(rendered, "Overview"))
    quality = gold["batch_quality"]
    last = str(quality["batch_id"].max())
    assert list(shown) == [
        "Revenue (net)",
        "Transactions",
        "Active members",
        "Points outstanding (liability)",
        "High Spenders, % of customers",
        "At Risk, % of customers",
        f"Reject rate, batch {last}",
    ]
    people = gold["customer_details"]
    assert shown["Revenue (net)"] == as_shown(gold["sales_daily"])
    assert shown["Points outstanding (liability)"] == f"{people['total_loyalty_points'].sum():,}"
    # the segment's share of all customers, exactly as gold/segment_summary publishes it
    summary = gold["segment_summary"]
    for label, segment in [("High Spenders", "High Spender"), ("At Risk", "At Risk")]:
        published = summary.filter(pl.col("segment") == segment)["share_of_customers_pct"].item()
        assert shown[f"{label}, % of customers"] == f"{published:.2f} %"
        of_all = (people["segment"] == segment).sum() / people.height * 100
        assert published == round(of_all, 2)
    batch = quality.filter(pl.col("batch_id") == last)
    rate = batch["open_rejects"].sum() / batch["bronze_rows"].sum() * 100
    assert shown[f"Reject rate, batch {last}"] == f"{rate:.2f} %"
    assert not metrics(tab(rendered, "Loyalty"))  # no statement until an id is typed


def test_loyalty_tab_has_the_customer_lookup(rendered):
    view = tab(rendered, "Loyalty")
    assert [s.value for s in view.subheader] == ["Customer statement"]
    (box,) = view.text_input
    assert box.key == "customer"
    assert box.value == ""


def test_segments_tab_lists_at_risk_customers_with_a_download(rendered, gold):
    view = tab(rendered, "Segments & RFM")
    at_risk = gold["customer_details"].filter(pl.col("is_at_risk"))
    # flagged, High Spenders included: not the At Risk segment, and labelled so
    assert [s.value for s in view.subheader] == [f"Customers flagged At Risk ({at_risk.height:,})"]
    overlap = at_risk.filter(pl.col("segment") == "High Spender").height
    assert f"the {overlap:,} in the High Spender segment included" in view.caption[-1].value
    (button,) = view.get("download_button")
    assert button.label == "Download the At Risk list (CSV)"
    _, table = view.dataframe
    assert len(table.value) == min(at_risk.height, 200)
    assert set(table.value["customer_id"]) <= set(at_risk["customer_id"])
    assert "email" not in table.value.columns  # no contact data in the campaign list


def test_promotions_tab_marks_the_top_three(rendered):
    (table,) = tab(rendered, "Promotions").dataframe
    frame = table.value
    assert list(frame.columns[:4]) == ["top", "rank", "promotion_id", "promotion_name"]
    assert list(frame["top"][:3]) == [TOP] * 3
    assert set(frame["top"][3:]) <= {""}
    assert list(frame["rank"][:3]) == [1, 2, 3]


def test_data_quality_tab_shows_batch_quality_and_examples(rendered, gold):
    view = tab(rendered, "Data quality")
    normalised = gold["normalisation_summary"]
    expected = ["Normalised values"] if normalised.height else []
    assert [s.value for s in view.subheader] == [*expected, "Example rejected rows"]
    quality, *normalisations, examples = view.dataframe
    assert len(quality.value) == gold["batch_quality"].height
    if normalised.height:
        (by_kind,) = normalisations
        assert by_kind.value["rows"].sum() == normalised["rows"].sum()
    assert {"table", "batch_id", "reason_codes", "message"} <= set(examples.value.columns)
    assert "raw_values" not in examples.value.columns
    messages = list(examples.value["message"])
    assert messages == [masked(m) for m in messages]  # dq_report masked them


# --- filters change the numbers -------------------------------------------------------------


@pytest.mark.parametrize("segment", ["At Risk", "High Spender"])
def test_a_segment_changes_liability_and_active_members(open_app, dash_lake, gold, segment):
    at = open_app(dash_lake)
    before = metrics(at)
    at.multiselect(key="segments").select(segment).run()
    assert not at.exception
    after = metrics(at)

    people = gold["customer_details"].filter(pl.col("segment") == segment)
    assert after["Points outstanding (liability)"] == f"{people['total_loyalty_points'].sum():,}"
    assert after["Points outstanding (liability)"] != before["Points outstanding (liability)"]
    active = people.filter(pl.col("last_purchase_date").is_not_null()).height
    assert after["Active members"] == f"{active:,}"
    assert after["Active members"] != before["Active members"]
    assert after["Revenue (net)"] == before["Revenue (net)"]  # sales are not per segment
    for share in ("High Spenders, % of customers", "At Risk, % of customers"):
        assert after[share] == before[share]  # of all customers, whatever the filters


@pytest.mark.parametrize("key", ["categories", "stores", "regions"])
def test_a_category_store_or_region_changes_revenue(open_app, dash_lake, gold, key):
    at = open_app(dash_lake)
    before = metrics(at)["Revenue (net)"]
    widget = at.multiselect(key=key)
    choice = widget.options[0]
    widget.select(choice).run()
    assert not at.exception

    column = {"categories": "category", "stores": "store_id", "regions": "store_region"}[key]
    after = metrics(at)["Revenue (net)"]
    assert after == as_shown(gold["sales_daily"].filter(pl.col(column) == choice))
    assert after != before
    by = {"categories": "category", "stores": "store", "regions": "region"}[key]
    (chart,) = [c for c in charts(tab(at, "Sales")) if chart_title(c) == f"Net revenue by {by}"]
    assert chart_rows(chart) == 1


def test_a_region_narrows_the_store_choice(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    region = at.multiselect(key="regions").options[0]
    at.multiselect(key="regions").select(region).run()
    assert not at.exception
    daily = gold["sales_daily"]
    in_region = sorted(daily.filter(pl.col("store_region") == region)["store_id"].unique())
    assert at.multiselect(key="stores").options == in_region
    assert len(in_region) < daily["store_id"].n_unique()


def test_a_narrower_date_range_changes_revenue(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    before = metrics(at)
    first, _ = at.date_input(key="dates").value
    start, end = first + timedelta(days=14), first + timedelta(days=44)
    at.date_input(key="dates").set_value((start, end)).run()
    assert not at.exception

    daily = gold["sales_daily"].filter(pl.col("date").is_between(start, end))
    after = metrics(at)
    assert after["Revenue (net)"] == as_shown(daily)
    assert number(after["Revenue (net)"]) < number(before["Revenue (net)"])
    assert after["Points outstanding (liability)"] == before["Points outstanding (liability)"]
    (trend,) = charts(tab(at, "Overview"))
    assert chart_rows(trend) == daily["date"].n_unique() <= 31


def test_filters_narrow_the_promotions(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    category = at.multiselect(key="categories").options[0]
    at.multiselect(key="categories").select(category).run()
    assert not at.exception
    (table,) = tab(at, "Promotions").dataframe
    assert set(table.value["promo_category"]) <= {category, "ALL"}
    assert len(table.value) < gold["promotion_performance"].height


# --- customer lookup ------------------------------------------------------------------------


def test_customer_lookup_shows_balance_tier_and_next_expiry(open_app, dash_lake):
    people = ll.scan(dash_lake, "gold", "customer_details").collect()
    customer = people.filter(pl.col("total_loyalty_points") > 0).row(0, named=True)
    at = open_app(dash_lake)
    at.text_input(key="customer").input(customer["customer_id"]).run()
    assert not at.exception
    assert not at.warning

    view = tab(at, "Loyalty")
    shown = metrics(view)
    assert list(shown) == ["Balance", "Tier", "Next expiry"]
    assert shown["Balance"] == f"{customer['total_loyalty_points']:,}"
    assert shown["Tier"] == customer["loyalty_status"]
    statement = ll.points_statement(lake=dash_lake, customer_id=customer["customer_id"])
    assert statement.next_expiry_date is not None
    assert shown["Next expiry"] == (
        f"{statement.points_expiring:,} on {statement.next_expiry_date}"
    )
    (ledger,) = view.dataframe
    assert len(ledger.value) == statement.ledger.height > 0
    assert "customer_id" not in ledger.value.columns


def test_customer_lookup_warns_about_an_unknown_id(open_app, dash_lake):
    at = open_app(dash_lake)
    at.text_input(key="customer").input("C9999999").run()
    assert not at.exception
    (warning,) = at.warning
    assert "C9999999" in warning.value
    assert not metrics(tab(at, "Loyalty"))
    assert not tab(at, "Loyalty").dataframe


# --- drill-down -----------------------------------------------------------------------------


def test_the_drill_down_narrows_store_then_category_then_product(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    product_sales = gold["product_sales_daily"]

    stores = drilled(at)
    assert list(stores.value.columns) == ["store_id", "revenue", "units"]
    assert set(stores.value["store_id"]) == set(product_sales["store_id"])
    assert at.selectbox(key="drill_store").options == [
        "(all stores)",
        *stores.value["store_id"],
    ]
    assert [s.key for s in at.selectbox] == ["drill_store"]

    store = str(stores.value["store_id"][0])
    at.selectbox(key="drill_store").select(store).run()
    assert not at.exception
    categories = drilled(at)
    assert list(categories.value.columns) == ["category", "revenue", "units"]
    of_store = product_sales.filter(pl.col("store_id") == store)
    assert set(categories.value["category"]) == set(of_store["category"])
    assert categories.value["revenue"].sum() == pytest.approx(stores.value["revenue"][0])

    category = str(categories.value["category"][0])
    at.selectbox(key="drill_category").select(category).run()
    assert not at.exception
    products = drilled(at)
    assert list(products.value.columns) == ["product_name", "revenue", "units"]
    of_category = of_store.filter(pl.col("category") == category)
    assert set(products.value["product_name"]) == set(of_category["product_name"])
    assert len(products.value) < of_store["product_name"].n_unique()
    assert products.value["revenue"].sum() == pytest.approx(money(of_category), abs=0.005)


# --- empty lake -----------------------------------------------------------------------------


def test_an_empty_lake_tells_to_run_the_demo(open_app, tmp_path):
    at = open_app(ll.Lake(tmp_path / "lake"))
    assert not at.exception
    (info,) = at.info
    assert "loyalty-lake demo" in info.value
    assert str(tmp_path / "lake") in info.value
    assert [t.value for t in at.title] == ["loyalty_lake"]
    assert not at.tabs
    assert not at.metric
    assert not at.sidebar.multiselect


# --- counts across filters ----------------------------------------------------------------


def test_transactions_count_each_sale_once(open_app, dash_lake, gold):
    headers = ll.scan(dash_lake, "silver", "sales_header").filter(
        (pl.col("transaction_type") == "SALE") & (pl.col("transaction_date") <= gold.as_of)
    )
    lines = ll.scan(dash_lake, "silver", "sales_lines").select("transaction_id").unique()
    sales = headers.join(lines, on="transaction_id").collect()
    at = open_app(dash_lake)
    assert metrics(at)["Transactions"] == f"{sales['transaction_id'].n_unique():,}"


def test_a_region_narrows_the_drill_down(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    region = at.multiselect(key="regions").options[0]
    at.multiselect(key="regions").select(region).run()
    assert not at.exception
    daily = gold["sales_daily"]
    in_region = set(daily.filter(pl.col("store_region") == region)["store_id"])
    stores = drilled(at)
    assert set(stores.value["store_id"]) <= in_region
    assert set(at.selectbox(key="drill_store").options[1:]) <= in_region


def test_active_members_are_the_members_who_bought_in_the_date_range(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    first, _ = at.date_input(key="dates").value
    start, end = first + timedelta(days=14), first + timedelta(days=44)
    at.date_input(key="dates").set_value((start, end)).run()
    assert not at.exception
    members = gold["customer_details"]["customer_id"]
    bought = (
        ll.scan(dash_lake, "silver", "sales_header")
        .filter(
            (pl.col("transaction_type") == "SALE")
            & pl.col("transaction_date").is_between(start, end)
            & pl.col("customer_id").is_in(members.implode())
        )
        .select(pl.col("customer_id").n_unique())
        .collect()
        .item()
    )
    assert metrics(at)["Active members"] == f"{bought:,}"


# --- source.py and data.py on the lake ------------------------------------------------------


def test_load_gold_on_an_empty_lake_is_none(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    assert source.load_gold(lake) is None
    assert {version for _, version in source.gold_versions(lake)} == {None}


def test_gold_versions_name_every_table_loaded(dash_lake, gold):
    versions = dict(source.gold_versions(dash_lake))
    assert set(gold.tables) <= set(versions)
    assert all(versions[name] is not None for name in gold.tables)


def test_overview_without_filters_is_the_whole_lake(gold):
    o = data.overview(gold, data.Filters())
    people = gold["customer_details"]
    assert isinstance(o.revenue, Decimal)
    assert o.revenue == gold["sales_daily"]["revenue"].sum()
    assert o.points_outstanding == people["total_loyalty_points"].sum()
    assert o.active_members == people["last_purchase_date"].is_not_null().sum()
    buyers = people.filter(pl.col("frequency") > 0)
    for share, segment in [(o.high_spenders, "High Spender"), (o.at_risk, "At Risk")]:
        members = people.filter(pl.col("segment") == segment)
        assert (share.segment, share.customers, share.all_customers) == (
            segment,
            members.height,
            people.height,
        )
        assert (share.buyers, share.all_buyers) == (
            members.filter(pl.col("frequency") > 0).height,
            buyers.height,
        )
        assert share.share_of_customers_pct == round(members.height / people.height * 100, 2)
        assert share.share_of_buyers_pct == round(share.buyers / buyers.height * 100, 2)
        assert 0 < share.share_of_customers_pct < share.share_of_buyers_pct < 100
    assert o.last_batch == gold["batch_quality"]["batch_id"].max()
    assert o.last_batch_reject_rate is not None
    assert o.last_batch_reject_rate >= 0


def test_overview_with_filters(gold):
    daily = gold["sales_daily"]
    store = daily["store_id"].min()
    category = daily["category"].min()
    start = daily["date"].min() + timedelta(days=10)
    f = data.Filters(start=start, stores=(store,), categories=(category,), segments=("At Risk",))
    o = data.overview(gold, f)
    kept = daily.filter(
        (pl.col("store_id") == store) & (pl.col("category") == category) & (pl.col("date") >= start)
    )
    assert o.revenue == kept["revenue"].sum()
    assert o.transactions == kept["transactions"].sum()
    at_risk = gold["customer_details"].filter(pl.col("segment") == "At Risk")
    assert o.points_outstanding == at_risk["total_loyalty_points"].sum()
    unfiltered = data.overview(gold, data.Filters())
    assert (o.at_risk, o.high_spenders) == (unfiltered.at_risk, unfiltered.high_spenders)


def test_overview_of_filters_matching_nothing_is_zero(gold):
    o = data.overview(gold, data.Filters(stores=("no such store",), segments=("no such",)))
    assert (o.revenue, o.transactions, o.active_members, o.points_outstanding) == (0, 0, 0, 0)
    assert f"{o.revenue:,.2f}" == "0.00"


def test_drill_down_levels(gold):
    f = data.Filters()
    product_sales = gold["product_sales_daily"]
    stores = data.drill_down(gold, f, store=None, category=None)
    assert stores.columns == ["store_id", "revenue", "units"]
    assert stores["revenue"].is_sorted(descending=True)
    assert stores["revenue"].sum() == product_sales["revenue"].sum()  # exact: Decimal
    assert stores["units"].sum() == product_sales["units"].sum()

    store = stores["store_id"][0]
    categories = data.drill_down(gold, f, store=store, category=None)
    assert categories.columns == ["category", "revenue", "units"]
    assert categories["revenue"].sum() == stores["revenue"][0]

    category = categories["category"][0]
    products = data.drill_down(gold, f, store=store, category=category)
    assert products.columns == ["product_name", "revenue", "units"]
    assert products.height <= 50
    assert products["revenue"].sum() == categories["revenue"][0]
    assert products["units"].sum() == categories["units"][0]


def test_drill_down_follows_the_filters(gold):
    store = gold["product_sales_daily"]["store_id"].min()
    category = gold["product_sales_daily"]["category"].min()
    narrowed = data.drill_down(
        gold, data.Filters(stores=(store,), categories=(category,)), store=None, category=None
    )
    assert narrowed["store_id"].to_list() == [store]
    kept = gold["product_sales_daily"].filter(
        (pl.col("store_id") == store) & (pl.col("category") == category)
    )
    assert narrowed["revenue"][0] == kept["revenue"].sum()


def test_promotions_mark_the_top_three_in_rank_order(gold):
    ranked = data.promotions(gold, data.Filters())
    assert ranked.height == gold["promotion_performance"].height
    assert ranked["top"].to_list() == [
        TOP if rank is not None and rank <= 3 else "" for rank in ranked["rank"]
    ]
    assert (ranked["top"] == TOP).sum() == 3
    ranks = ranked["rank"].drop_nulls()
    assert ranks.is_sorted()
    assert ranked["rank"][: ranks.len()].null_count() == 0  # unranked last


def test_promotions_overlap_the_date_range_and_category(gold):
    all_promotions = gold["promotion_performance"]
    some = all_promotions.sort("start_date").row(0, named=True)
    f = data.Filters(start=some["start_date"], end=some["start_date"])
    ranked = data.promotions(gold, f)
    assert some["promotion_id"] in ranked["promotion_id"]
    assert (ranked["start_date"] <= some["start_date"]).all()
    assert (ranked["end_date"] >= some["start_date"]).all()
    assert ranked.height < all_promotions.height

    category = some["promo_category"]
    by_category = data.promotions(gold, data.Filters(categories=(category,)))
    assert set(by_category["promo_category"]) <= {category, "ALL"}
    assert by_category["top"].to_list() == [
        TOP if rank is not None and rank <= 3 else "" for rank in by_category["rank"]
    ]


# --- one definition per number --------------------------------------------------------------


def test_the_dashboard_and_the_cli_show_the_same_segment_shares(
    rendered, dash_lake, gold, monkeypatch
):
    """The tiles and `loyalty-lake build`'s segments table print segment_summary's columns."""
    monkeypatch.setattr(console, "_width", 200)  # every column of the table, one line a row
    report = BuildReport(
        run_id="t",
        ingests=(),
        gold=GoldReport(run_id="t", as_of=gold.as_of, tables={"segment_summary": 3}, points={}),
    )
    with console.capture() as captured:
        print_segments(report, dash_lake)
    printed = captured.get()
    header = next(line for line in printed.splitlines() if "% of customers" in line)
    assert "% of buyers" in header
    tiles = {m.label: m for m in tab(rendered, "Overview").metric}
    for label, segment in [("High Spenders", "High Spender"), ("At Risk", "At Risk")]:
        (row,) = [line for line in printed.splitlines() if f" {segment} " in line]
        tile = tiles[f"{label}, % of customers"]
        published = gold["segment_summary"].filter(pl.col("segment") == segment).row(0, named=True)
        of_customers = f"{published['share_of_customers_pct']:.2f} %"
        of_buyers = f"{published['share_of_buyers_pct']:.2f} %"
        assert tile.value == of_customers
        assert re.search(rf"\b{re.escape(of_customers)}.*\b{re.escape(of_buyers)}", row), row
        assert f"{of_buyers} of buyers" in tile.help  # the other share, named, in the tile's help


# --- formats: dates, money, empty cells, whole labels ---------------------------------------

DATE_COLUMNS = {
    "start_date",
    "end_date",
    "last_purchase_date",
    "event_date",
    "expires_on",
    "month_start",
    "date",
    "last_stock_out",
}
DATETIME_COLUMNS = {"created_at", "sent_at"}
MONEY_COLUMNS = {"revenue", "promoted_revenue", "monetary", "clv", "average_basket"}
PROBABILITY_COLUMNS = {"p_alive"}


def column_formats(frame_element) -> dict[str, dict]:
    """A shown table's column_config by column (label and type_config)."""
    return {k: v for k, v in json.loads(frame_element.proto.columns).items() if k != "_index"}


def every_table(open_app, dash_lake) -> list:
    """Every table of every tab, the customer statement's included."""
    customer = (
        ll.scan(dash_lake, "gold", "customer_details")
        .filter(pl.col("total_loyalty_points") > 0)
        .select("customer_id")
        .collect()
        .item(0, 0)
    )
    at = open_app(dash_lake)
    at.text_input(key="customer").input(customer).run()
    assert not at.exception
    return list(at.dataframe)


def test_tables_show_iso_dates_money_with_two_decimals_and_blank_empty_cells(open_app, dash_lake):
    tables = every_table(open_app, dash_lake)
    seen: set[str] = set()
    for shown in tables:
        assert shown.proto.placeholder == ""  # a missing value is a blank cell, not "None"
        for name, config in column_formats(shown).items():
            kind = config["type_config"]
            if name in DATE_COLUMNS:
                assert kind == {"type": "date", "format": "YYYY-MM-DD"}, name
                seen.add(name)
            if name in DATETIME_COLUMNS:
                assert kind == {"type": "datetime", "format": "YYYY-MM-DD HH:mm:ss"}, name
                seen.add(name)
            if name in MONEY_COLUMNS:
                assert kind == {"type": "number", "format": "%,.2f"}, name
                assert str(shown.value[name].dtype) == "float64", name  # converted to show
                seen.add(name)
            if name in PROBABILITY_COLUMNS:
                assert kind == {"type": "number", "format": "%.3f"}, name
                seen.add(name)
    # the tables that have them: promotions, the At Risk list, the statement, the drill-down,
    # the top customers, the store comparison, the inventory and the outbox tables
    assert seen == DATE_COLUMNS | DATETIME_COLUMNS | MONEY_COLUMNS | PROBABILITY_COLUMNS


def test_reason_codes_are_shown_whole(open_app, dash_lake):
    examples = every_table(open_app, dash_lake)[-1]
    formats = column_formats(examples)
    assert formats["reason_codes"]["width"] == "large"
    assert formats["reason_codes"]["type_config"] == {"type": "text"}
    codes = list(examples.value["reason_codes"])
    assert codes
    assert all(isinstance(c, str) and re.fullmatch(r"[A-Z_]+(, [A-Z_]+)*", c) for c in codes)


def axes(chart) -> dict[str, dict]:
    encoding = json.loads(chart.proto.spec)["encoding"]
    return {channel: encoding[channel] for channel in ("x", "y") if channel in encoding}


def test_charts_show_whole_category_labels_and_iso_dates(rendered):
    checked = {"nominal": 0, "temporal": 0, "monthly": 0}
    for chart in charts(rendered):
        for channel, axis in axes(chart).items():
            where = f"{chart_title(chart)} {channel}"
            if axis["type"] in {"nominal", "ordinal"}:
                assert axis["axis"]["labelLimit"] == 0, where  # UNKNOWN_PRO… no more
                checked["nominal"] += 1
            elif axis["type"] == "temporal" and axis["field"] == "month_start":
                assert axis["timeUnit"] == "utcyearmonth", where  # the month, in any zone
                assert axis["axis"]["format"] == "%Y-%m", where
                checked["monthly"] += 1
            elif axis["type"] == "temporal":
                assert axis["timeUnit"] == "utcyearmonthdate", where  # the day, in any zone
                assert axis["axis"]["format"] == "%Y-%m-%d", where
                checked["temporal"] += 1
        tips = json.loads(chart.proto.spec)["encoding"].get("tooltip", [])
        for tip in tips if isinstance(tips, list) else [tips]:
            field = tip.get("field", "") if isinstance(tip, dict) else ""
            if "revenue" in field or "clv" in field:
                assert tip["format"] == ",.2f", chart_title(chart)
    assert checked["nominal"] >= 12
    # revenue, points and transactions per day, pairs out of stock per day; revenue per month
    assert (checked["temporal"], checked["monthly"]) == (4, 1)
    (quality,) = [c for c in charts(rendered) if chart_title(c).startswith("Rejected and warned")]
    assert axes(quality)["y"]["field"] == "reason"


# --- customer value -------------------------------------------------------------------------


def test_customer_value_shows_the_clv_of_customer_value(rendered, gold):
    view = tab(rendered, "Customer value")
    values = gold["customer_value"]
    assert values.height > 0
    shown = metrics(view)
    assert list(shown) == [
        "Customers valued",
        "CLV, total",
        "CLV, average",
        "Mean probability alive",
    ]
    assert shown["Customers valued"] == f"{values.height:,}"
    total = values["clv"].sum()
    assert isinstance(total, Decimal)
    assert shown["CLV, total"] == f"{total:,.2f}"  # exact: the sum of the Decimal column
    assert shown["CLV, average"] == f"{(total / values.height).quantize(Decimal('0.01')):,.2f}"
    assert shown["Mean probability alive"] == f"{values['p_alive'].mean():.3f}"
    assert not view.warning  # the fits converged
    histogram, alive = charts(view)
    counts = pl.from_arrow(pa.ipc.open_stream(histogram.proto.datasets[0].data.data).read_all())
    assert counts["customers"].sum() == values.height  # every customer in one bin
    cells = pl.from_arrow(pa.ipc.open_stream(alive.proto.datasets[0].data.data).read_all())
    assert cells["customers"].sum() == values.height
    assert cells["mean_p_alive"].is_between(0, 1).all()


def test_top_customers_are_the_highest_clv(rendered, gold):
    (top, _) = tab(rendered, "Customer value").dataframe
    frame = top.value
    assert list(frame.columns) == [
        "customer_id",
        "first_name",
        "segment",
        "value_tier",
        "p_alive",
        "expected_purchases",
        "clv",
    ]
    best = gold["customer_value"].sort(["clv", "customer_id"], descending=[True, False]).head(20)
    assert list(frame["customer_id"]) == best["customer_id"].to_list()
    assert list(frame["clv"]) == pytest.approx([float(v) for v in best["clv"]])
    details = gold["customer_details"].filter(pl.col("customer_id").is_in(best["customer_id"]))
    assert set(zip(frame["customer_id"], frame["segment"], strict=True)) == set(
        details.select("customer_id", "segment").iter_rows()
    )


def test_fit_quality_is_clv_parameters(rendered, gold):
    view = tab(rendered, "Customer value")
    assert [s.value for s in view.subheader] == [
        "Top customers by CLV",
        "Fit quality",
        "Win-back list",
    ]
    (_, fit) = view.dataframe
    parameters = gold["clv_parameters"]
    assert len(fit.value) == parameters.height == 7
    assert list(fit.value["parameter"]) == ["r", "alpha", "a", "b", "p", "q", "v"]
    assert list(fit.value["log_likelihood"]) == pytest.approx(parameters["log_likelihood"])
    assert set(fit.value["customers"]) == set(parameters["customers"])
    assert all(fit.value["converged"])
    assert column_formats(fit)["converged"]["type_config"] == {"type": "checkbox"}
    assert column_formats(fit)["value"]["type_config"]["format"] == "%.4f"  # a = 0.4015


def win_back_expected(gold: data.Gold, *, least: float, tiers: set[str]) -> pl.DataFrame:
    """The win-back list's customers, from customer_details and customer_value directly."""
    return (
        gold["customer_details"]
        .join(gold["customer_value"].select("customer_id", "value_tier"), on="customer_id")
        .filter(
            pl.col("is_at_risk")
            & (pl.col("p_alive") >= least)
            & pl.col("value_tier").is_in(list(tiers))
        )
    )


def test_the_default_win_back_list_is_at_risk_high_value_and_alive(rendered, gold):
    view = tab(rendered, "Customer value")
    assert rendered.slider(key="win_back_p_alive").value == 0.5
    assert rendered.multiselect(key="win_back_tiers").value == ["Top", "High"]
    expected = win_back_expected(gold, least=0.5, tiers={"Top", "High"})
    # this lake's At Risk members (30+ days silent) all rank below the top quarter by CLV
    assert expected.is_empty()
    (message,) = view.info
    assert "No At Risk customer of value tier Top, High" in message.value
    assert not view.get("download_button")


def test_the_win_back_list_follows_its_rules(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    at.multiselect(key="win_back_tiers").set_value(["High", "Medium", "Low"])
    at.slider(key="win_back_p_alive").set_value(0.8).run()
    assert not at.exception
    view = tab(at, "Customer value")
    expected = win_back_expected(gold, least=0.8, tiers={"High", "Medium", "Low"})
    assert expected.height > 0
    assert expected.height < gold["customer_details"]["is_at_risk"].sum()  # the rules narrowed
    listed = view.dataframe[-1].value
    assert len(listed) == expected.height
    assert set(listed["customer_id"]) == set(expected["customer_id"])
    assert (listed["p_alive"] >= 0.8).all()
    assert set(listed["value_tier"]) <= {"High", "Medium", "Low"}
    assert list(listed["clv"]) == sorted(listed["clv"], reverse=True)  # most valuable first
    at_risk = set(gold["customer_details"].filter(pl.col("is_at_risk"))["customer_id"])
    assert set(listed["customer_id"]) <= at_risk
    assert "email" not in listed.columns  # no contact data: the pseudonym only
    (button,) = view.get("download_button")
    assert button.label == f"Download the win-back list ({expected.height:,} customers, CSV)"

    at.multiselect(key="win_back_tiers").set_value(["Top"]).run()
    assert not at.exception
    assert win_back_expected(gold, least=0.8, tiers={"Top"}).is_empty()
    (message,) = tab(at, "Customer value").info
    assert "No At Risk customer of value tier Top has a probability alive of 0.80" in (
        message.value
    )


FORMULA = '=HYPERLINK("http://example.com/x","click")'


def test_the_win_back_download_is_the_list_and_never_a_formula(
    open_app, dash_lake, gold, monkeypatch
):
    """A first name that a spreadsheet would run is written quoted ('=...), as the export does."""
    listed = win_back_expected(gold, least=0.8, tiers={"Medium", "Low"})
    first = listed.sort(["clv", "customer_id"], descending=[True, False])["customer_id"][0]
    details = gold["customer_details"].with_columns(
        pl.when(pl.col("customer_id") == first)
        .then(pl.lit(FORMULA))
        .otherwise(pl.col("first_name"))
        .alias("first_name")
    )
    hostile = data.Gold(tables={**gold.tables, "customer_details": details}, as_of=gold.as_of)
    monkeypatch.setattr(source, "load_gold", lambda lake: hostile)
    downloads: dict[str, str] = {}
    real_button = st.download_button

    def recorded(label: str, content: str, **kwargs: object) -> bool:
        downloads[str(kwargs["file_name"])] = content
        return real_button(label, content, **kwargs)

    monkeypatch.setattr(st, "download_button", recorded)
    st.cache_resource.clear()  # the app caches gold per lake and versions: read the hostile one
    try:
        at = open_app(dash_lake)
        at.multiselect(key="win_back_tiers").set_value(["Medium", "Low"])
        at.slider(key="win_back_p_alive").set_value(0.8).run()
        assert not at.exception
    finally:
        st.cache_resource.clear()
    csv = pl.read_csv(downloads["win_back_customers.csv"].encode(), infer_schema=False)
    assert (
        csv["customer_id"].to_list()
        == listed.sort(["clv", "customer_id"], descending=[True, False])["customer_id"].to_list()
    )  # every customer of the list (not only the 200 shown)
    assert csv.filter(pl.col("customer_id") == first)["first_name"].item() == "'" + FORMULA
    assert not [
        value
        for column in csv.columns
        for value in csv[column].drop_nulls()
        if value[:1] in {"=", "+", "-", "@"}
    ]
    assert {"email", "phone"}.isdisjoint(csv.columns)


def test_a_segment_narrows_the_customer_value(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    at.multiselect(key="segments").select("High Spender").run()
    assert not at.exception
    shown = metrics(tab(at, "Customer value"))
    spenders = gold["customer_details"].filter(pl.col("segment") == "High Spender")
    values = gold["customer_value"].join(spenders.select("customer_id"), on="customer_id")
    assert 0 < values.height < gold["customer_value"].height
    assert shown["Customers valued"] == f"{values.height:,}"
    assert shown["CLV, total"] == f"{values['clv'].sum():,.2f}"
    top = tab(at, "Customer value").dataframe[0].value
    assert set(top["segment"]) == {"High Spender"}


def test_a_lake_too_small_to_fit_says_why_instead_of_empty_charts(open_app, small_lake):
    at = open_app(small_lake)
    assert ll.scan(small_lake, "gold", "customer_value").collect().is_empty()
    view = tab(at, "Customer value")
    (message,) = view.info
    assert "gold/customer_value is empty" in message.value
    assert "repeat customers" in message.value
    assert "clv.min_repeat_customers" in message.value
    assert not charts(view)
    assert not view.metric
    assert not view.dataframe  # the fit never ran: no parameters either
    assert [t.label for t in at.tabs] == TABS  # the other views still render
    assert charts(tab(at, "Inventory"))


# --- store comparisons ----------------------------------------------------------------------


def test_sales_compares_stores_per_month(rendered, gold):
    view = tab(rendered, "Sales")
    assert [s.value for s in view.subheader] == ["Store comparisons", "Drill down"]
    months, _ = view.dataframe
    performance = gold["store_performance"]
    assert len(months.value) == performance.height
    assert list(months.value.columns) == [
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
    ]
    assert months.value["revenue"].sum() == pytest.approx(money(performance), abs=0.005)
    labels = {k: v["label"] for k, v in column_formats(months).items()}
    assert labels["rank_in_region"] == "Rank in region"
    assert labels["average_basket"] == "Average basket"
    assert column_formats(months)["members_share_pct"]["type_config"]["format"] == "%.2f %%"
    (by_month,) = [c for c in charts(view) if chart_title(c) == "Net revenue by store per month"]
    assert chart_rows(by_month) == performance.height


def test_a_region_and_dates_narrow_the_store_comparison(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    region = at.multiselect(key="regions").options[0]
    at.multiselect(key="regions").select(region).run()
    first, _ = at.date_input(key="dates").value
    start = first.replace(day=1) + timedelta(days=40)  # the second month, some days in
    at.date_input(key="dates").set_value((start, start + timedelta(days=20))).run()
    assert not at.exception
    months, _ = tab(at, "Sales").dataframe
    kept = gold["store_performance"].filter(
        (pl.col("store_region") == region) & (pl.col("month_start") == start.replace(day=1))
    )
    assert len(months.value) == kept.height > 0
    assert set(months.value["store_region"]) == {region}


# --- inventory ------------------------------------------------------------------------------


def test_inventory_counts_the_stock_outs_of_inventory_daily(rendered, gold):
    view = tab(rendered, "Inventory")
    stock = gold["inventory_daily"]
    snapshots = stock.filter(pl.col("stock_level").is_not_null())
    latest = snapshots["date"].max()
    shown = metrics(view)
    assert shown["Stock-outs (store × product × day)"] == f"{stock['stock_out'].sum():,}"
    assert stock["stock_out"].sum() > 0
    on_latest = snapshots.filter(pl.col("date") == latest)["stock_out"].sum()
    assert shown[f"Out of stock on {latest}"] == f"{on_latest:,}"
    assert shown["Days with a snapshot"] == f"{snapshots['date'].n_unique():,}"
    (per_day, _) = charts(view)
    assert chart_rows(per_day) == snapshots["date"].n_unique()

    most, _, _ = view.dataframe
    pairs = (
        snapshots.group_by("store_id", "product_id")
        .agg(pl.col("stock_out").sum().alias("days"))
        .filter(pl.col("days") > 0)
    )
    assert len(most.value) == min(pairs.height, 20)
    assert list(most.value["stock_out_days"]) == sorted(pairs["days"], reverse=True)[:20]


def test_low_cover_lists_the_pairs_under_the_threshold_on_the_latest_day(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    stock = gold["inventory_daily"]
    latest = stock.filter(pl.col("stock_level").is_not_null())["date"].max()
    for below in (7, 2):
        at.slider(key="cover_below").set_value(below).run()
        assert not at.exception
        view = tab(at, "Inventory")
        low = view.dataframe[1].value
        expected = stock.filter((pl.col("date") == latest) & (pl.col("days_of_cover") < below))
        assert len(low) == expected.height > 0
        assert (low["days_of_cover"] < below).all()
        assert {str(d)[:10] for d in low["date"]} == {str(latest)}
        assert f"Low cover on {latest} ({expected.height:,})" in [s.value for s in view.subheader]


def test_sell_through_is_units_sold_over_sold_and_stock_at_the_end(rendered, gold):
    through = tab(rendered, "Inventory").dataframe[-1].value
    stock = gold["inventory_daily"]
    categories = gold["product_sales_daily"].select("product_id", "category").unique()
    rows = stock.join(categories, on="product_id", how="left").with_columns(
        pl.col("category").fill_null("(no sales)")  # stocked, never sold: no category in gold
    )
    sold = rows.group_by("category").agg(pl.col("units_sold").sum())
    end = (
        rows.filter(pl.col("stock_level").is_not_null())
        .sort("date")
        .group_by("store_id", "product_id", "category")
        .agg(pl.col("stock_level").last())
        .group_by("category")
        .agg(pl.col("stock_level").sum().alias("stock_at_end"))
    )
    expected = sold.join(end, on="category").with_columns(
        (pl.col("units_sold") / (pl.col("units_sold") + pl.col("stock_at_end")) * 100).alias("pct")
    )
    shown = dict(zip(through["category"], through["sell_through_pct"], strict=True))
    assert set(shown) == set(expected["category"])
    for category, pct in expected.select("category", "pct").iter_rows():
        assert shown[category] == pytest.approx(pct)
    assert through["units_sold"].sum() == stock["units_sold"].sum()  # every unit sold, once


def test_a_store_narrows_the_inventory(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    store = at.multiselect(key="stores").options[0]
    at.multiselect(key="stores").select(store).run()
    assert not at.exception
    view = tab(at, "Inventory")
    of_store = gold["inventory_daily"].filter(pl.col("store_id") == store)
    shown = metrics(view)["Stock-outs (store × product × day)"]
    assert shown == f"{of_store['stock_out'].sum():,}"
    assert 0 < of_store["stock_out"].sum() < gold["inventory_daily"]["stock_out"].sum()
    most, low, _ = view.dataframe
    assert set(most.value["store_id"]) <= {store}
    assert set(low.value["store_id"]) <= {store}


def test_a_category_narrows_the_inventory(open_app, dash_lake, gold):
    at = open_app(dash_lake)
    category = at.multiselect(key="categories").options[0]
    at.multiselect(key="categories").select(category).run()
    assert not at.exception
    products = gold["product_sales_daily"].filter(pl.col("category") == category)
    of_category = gold["inventory_daily"].join(
        products.select("product_id").unique(), on="product_id"
    )
    view = tab(at, "Inventory")
    assert metrics(view)["Stock-outs (store × product × day)"] == (
        f"{of_category['stock_out'].sum():,}"
    )
    assert list(view.dataframe[-1].value["category"]) == [category]


# --- notifications --------------------------------------------------------------------------


def test_notifications_count_the_outbox_by_status_and_kind(rendered, gold):
    view = tab(rendered, "Notifications")
    outbox = gold["notifications"]
    shown = metrics(view)
    assert list(shown) == ["Pending", "Sent", "Failed", "Cancelled"]
    for status in ("PENDING", "SENT", "FAILED", "CANCELLED"):
        assert shown[status.capitalize()] == f"{(outbox['status'] == status).sum():,}"
    # the fixture delivered part of the outbox: every state but CANCELLED is there
    assert all(number(shown[label]) > 0 for label in ("Pending", "Sent", "Failed"))

    counts, failed, recent = view.dataframe
    expected = outbox.group_by("kind", "status").len()
    for row in counts.value.to_dict("records"):
        for status in ("PENDING", "SENT", "FAILED", "CANCELLED"):
            published = expected.filter(
                (pl.col("kind") == row["kind"]) & (pl.col("status") == status)
            )["len"]
            assert row[status] == (published.item() if published.len() else 0)
        assert row["total"] == (outbox["kind"] == row["kind"]).sum()
    assert counts.value["total"].sum() == outbox.height
    (chart,) = charts(view)
    assert chart_rows(chart) == expected.height

    rejected = outbox.filter(pl.col("status") == "FAILED")
    assert [s.value for s in view.subheader] == [
        f"Failed messages ({rejected.height:,})",
        "Latest messages",
    ]
    assert len(failed.value) == rejected.height
    assert set(failed.value["last_error"]) == set(rejected["last_error"])
    assert column_formats(failed)["last_error"]["width"] == "large"  # read whole
    assert len(recent.value) == min(outbox.height, 50)


def test_notifications_show_pseudonyms_never_addresses(rendered, dash_lake):
    view = tab(rendered, "Notifications")
    customers = ll.scan(dash_lake, "silver", "customers").collect()
    addresses = {
        value
        for column in ("email", "phone")
        if column in customers.columns
        for value in customers[column].drop_nulls()
    }
    assert addresses
    for shown in view.dataframe:
        assert not {"email", "phone", "address"} & set(shown.value.columns)
        cells = {str(v) for column in shown.value.columns for v in shown.value[column]}
        assert not cells & addresses
    (_, _, recent) = view.dataframe
    assert "contact_pseudonym" in recent.value.columns
