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
TABS = ["Overview", "Loyalty", "Segments & RFM", "Sales", "Promotions", "Data quality"]
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
    assert not at.info
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
    "Sales": (
        [
            "Transactions per day",
            "Net revenue by store",
            "Net revenue by region",
            "Net revenue by category",
        ],
        1,
    ),
    "Promotions": (["Uplift vs. baseline (%)"], 1),
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

    (stores,) = tab(at, "Sales").dataframe
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
    (categories,) = tab(at, "Sales").dataframe
    assert list(categories.value.columns) == ["category", "revenue", "units"]
    of_store = product_sales.filter(pl.col("store_id") == store)
    assert set(categories.value["category"]) == set(of_store["category"])
    assert categories.value["revenue"].sum() == pytest.approx(stores.value["revenue"][0])

    category = str(categories.value["category"][0])
    at.selectbox(key="drill_category").select(category).run()
    assert not at.exception
    (products,) = tab(at, "Sales").dataframe
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
    (stores,) = tab(at, "Sales").dataframe
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

DATE_COLUMNS = {"start_date", "end_date", "last_purchase_date", "event_date", "expires_on"}
MONEY_COLUMNS = {"revenue", "promoted_revenue", "monetary"}


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
            if name in MONEY_COLUMNS:
                assert kind == {"type": "number", "format": "%,.2f"}, name
                assert str(shown.value[name].dtype) == "float64", name  # converted to show
                seen.add(name)
    # the tables that have them: promotions, the At Risk list, the statement, the drill-down
    assert seen == DATE_COLUMNS | MONEY_COLUMNS


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
    checked = {"nominal": 0, "temporal": 0}
    for chart in charts(rendered):
        for channel, axis in axes(chart).items():
            where = f"{chart_title(chart)} {channel}"
            if axis["type"] in {"nominal", "ordinal"}:
                assert axis["axis"]["labelLimit"] == 0, where  # UNKNOWN_PRO… no more
                checked["nominal"] += 1
            elif axis["type"] == "temporal":
                assert axis["timeUnit"] == "utcyearmonthdate", where  # the day, in any zone
                assert axis["axis"]["format"] == "%Y-%m-%d", where
                checked["temporal"] += 1
        tips = json.loads(chart.proto.spec)["encoding"].get("tooltip", [])
        for tip in tips if isinstance(tips, list) else [tips]:
            if isinstance(tip, dict) and "revenue" in tip.get("field", ""):
                assert tip["format"] == ",.2f", chart_title(chart)
    assert checked["nominal"] >= 8
    assert checked["temporal"] == 3
    (quality,) = [c for c in charts(rendered) if chart_title(c).startswith("Rejected and warned")]
    assert axes(quality)["y"]["field"] == "reason"
