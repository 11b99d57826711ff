"""The dashboard in a real browser.

``loyalty-lake dashboard`` serves a tiny lake on a free loopback port; Playwright
drives Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run``; Playwright's
own browser download is not used) through every tab, checks that no Streamlit
exception is shown, reads what the tables and charts show (ISO dates and
months, money as 7,729.80, probabilities as 0.987, whole reason codes and
errors; in a browser west of UTC, where a date drawn as local midnight would
be the day before), and saves the Overview to ``docs/images/dashboard.png``
and the Customer value, Inventory and Notifications views next to it.

Outside CI the test is skipped when Chromium is missing; in CI it fails instead.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect, sync_playwright

import loyalty_lake as ll

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPO = Path(__file__).resolve().parents[2]
#: The README's screenshot; the test refreshes it when UPDATE_SCREENSHOTS=1.
SCREENSHOT = REPO / "docs" / "images" / "dashboard.png"
#: docs/dashboard.md's screenshots of the newer views (refreshed with the README's), by tab.
VIEW_SCREENSHOTS = {
    "Customer value": "dashboard-customer-value.png",
    "Inventory": "dashboard-inventory.png",
    "Notifications": "dashboard-notifications.png",
}
VIEWPORT = {"width": 1400, "height": 1000}
#: Records every text drawn on a canvas: the tables (Glide) draw their cells there.
RECORD_DRAWN = """
window.drawnTexts = new Set();
const fillText = CanvasRenderingContext2D.prototype.fillText;
CanvasRenderingContext2D.prototype.fillText = function (text, ...rest) {
    window.drawnTexts.add(String(text));
    return fillText.call(this, text, ...rest);
};
"""
#: Scrolls every scrolled element back to its top (Streamlit scrolls its main block, not the page).
SCROLL_TO_TOP = "document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0; })"
GOLD_SHOWN = (
    "store_daily",
    "promotion_performance",
    "segment_summary",
    "dq_summary",
    "customer_value",
    "inventory_daily",
    "store_performance",
    "notifications",
)
#: West of UTC: a calendar day drawn as local time would show the day before.
TIMEZONE = "America/Los_Angeles"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MONTH = re.compile(r"\d{4}-\d{2}")
STARTUP_SECONDS = 60
UI_TIMEOUT_MS = 60_000

# Tab -> (charts, tables, a text the tab shows).
TABS = {
    "Overview": (1, 0, "Revenue (net)"),
    "Loyalty": (2, 0, "Customer statement"),
    "Segments & RFM": (4, 2, "Customers flagged At Risk"),
    "Customer value": (2, 2, "Win-back list"),
    "Sales": (5, 2, "Drill down"),
    "Inventory": (2, 3, "Sell-through by category"),
    "Promotions": (1, 1, None),
    "Notifications": (1, 3, "Latest messages"),
    "Data quality": (1, 2, "Example rejected rows"),
}

pytestmark = pytest.mark.slow


def require_chromium() -> None:
    """Skip without Debian's Chromium, except in CI, where its absence is a failure."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing: apt-get install chromium (the browser test drives it)"
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser test: {message}")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli() -> str:
    """The ``loyalty-lake`` script of this interpreter's environment."""
    here = str(Path(sys.executable).parent)
    found = shutil.which("loyalty-lake", path=os.pathsep.join([here, os.environ.get("PATH", "")]))
    if found is None:
        pytest.fail('loyalty-lake is not installed: pip install -e ".[dev,dashboard]"')
    return found


def healthy(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, no proxy
    try:
        with opener.open(url, timeout=2) as response:
            return bool(response.read().strip() == b"ok")
    except (urllib.error.URLError, OSError):
        return False


def stop(server: subprocess.Popen[bytes]) -> None:
    """End the server and everything in its process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # stragglers the leader left behind
        os.killpg(server.pid, signal.SIGKILL)


def server_environment() -> dict[str, str]:
    """This checkout first on the server's path, as pytest's ``pythonpath`` puts it for us."""
    path = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    }


@pytest.fixture
def dashboard(dash_lake: ll.Lake, tmp_path: Path) -> Iterator[str]:
    """The URL of ``loyalty-lake dashboard`` serving the session's lake."""
    require_chromium()
    port = free_port()
    log_path = tmp_path / "dashboard.log"
    command = [cli(), "dashboard", "--lake", str(dash_lake.root), "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, ended whole in stop()
            env=server_environment(),
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while not healthy(f"{url}/_stcore/health"):
            if server.poll() is not None:
                pytest.fail(f"the dashboard exited ({server.returncode}):\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"no health 'ok' in {STARTUP_SECONDS} s:\n{log_path.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        stop(server)
    assert server.returncode is not None


def no_exception_shown(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)


def axis_labels(chart: Locator) -> list[str]:
    """The tick labels of a Vega chart's axes, as drawn (SVG text)."""
    expect(chart.locator("g.role-axis-label text").first).to_be_attached()
    return [str(t.text_content()) for t in chart.locator("g.role-axis-label text").all()]


def drawn(page: Page, wanted: list[str]) -> set[str]:
    """The texts drawn on canvases (the tables) since the last reset, once ``wanted`` are."""
    with contextlib.suppress(PlaywrightTimeoutError):
        page.wait_for_function(
            "wanted => wanted.every(t => window.drawnTexts.has(t))", arg=wanted, timeout=20_000
        )
    texts = set(page.evaluate("Array.from(window.drawnTexts)"))
    assert set(wanted) <= texts, sorted(set(wanted) - texts)
    return texts


def date_labels(panel: Locator, first: str, last: str) -> None:
    """The first chart's date axis reads ISO days from ``first`` to ``last`` (one more day,
    the end of the last bar)."""
    labels = axis_labels(panel.locator(".vega-embed").first)
    dates = [text for text in labels if not text.replace(",", "").isdigit()]
    assert dates, labels
    assert all(ISO_DATE.fullmatch(d) and first <= d for d in dates), dates
    assert all(d <= last for d in dates[:-1]), dates


def check_formats(page: Page, label: str, panel: Locator, dash_lake: ll.Lake) -> None:
    """Dates, money, empty cells and reason codes as the open tab ``label`` draws them."""
    gold = {name: ll.scan(dash_lake, "gold", name).collect() for name in GOLD_SHOWN}
    if label == "Overview":
        daily = gold["store_daily"]["date"]
        first, last = str(daily.min()), str(daily.max())
        labels = axis_labels(panel.locator(".vega-embed").first)
        dates = [text for text in labels if not text.replace(",", "").isdigit()]
        assert dates, labels
        assert all(ISO_DATE.fullmatch(d) and first <= d <= last for d in dates), dates
    elif label == "Promotions":
        promotions = gold["promotion_performance"]
        assert promotions["rank"].null_count() > 0  # unranked rows: empty cells to draw
        wanted = [str(d) for d in promotions["start_date"]]
        wanted += [f"{m:,.2f}" for m in promotions["promoted_revenue"]]
        texts = drawn(page, wanted)
        assert not [t for t in texts if t == "None" or "00:00:00" in t]
    elif label == "Segments & RFM":
        summary = gold["segment_summary"]
        wanted = [f"{m:,.2f}" for m in summary["revenue"]]
        wanted += [f"{p:.2f} %" for p in summary["share_of_customers_pct"]]
        texts = drawn(page, ["% of customers", "% of buyers", *wanted])
        assert "None" not in texts
    elif label == "Data quality":
        reasons = set(gold["dq_summary"]["reason"])
        labels = axis_labels(panel.locator(".vega-embed").first)
        # whole: UNKNOWN_PRODUCT and UNKNOWN_PROMOTION, never twice UNKNOWN_PRO…
        assert {text for text in labels if not text.replace(",", "").isdigit()} == reasons
    else:
        NEWER_VIEWS.get(label, lambda *_: None)(page, panel, gold)


def check_customer_value(page: Page, panel: Locator, gold: dict[str, pl.DataFrame]) -> None:
    """The top customers' CLV as money, their probability alive with three decimals."""
    top = gold["customer_value"].sort(["clv", "customer_id"], descending=[True, False]).head(5)
    wanted = [f"{m:,.2f}" for m in top["clv"]] + [f"{p:.3f}" for p in top["p_alive"]]
    texts = drawn(page, [*wanted, "r", "alpha", "gamma_gamma"])
    assert "None" not in texts
    expect(panel.get_by_test_id("stMetricValue").nth(1)).to_have_text(
        f"{gold['customer_value']['clv'].sum():,.2f}"
    )


def check_sales(page: Page, panel: Locator, gold: dict[str, pl.DataFrame]) -> None:
    """The store comparison: months as 2026-07 on its axis, ISO dates and money in its table."""
    performance = gold["store_performance"]
    months = {str(m)[:7] for m in performance["month_start"]}
    labels = axis_labels(panel.locator(".vega-embed").nth(4))
    shown = [text for text in labels if ISO_MONTH.fullmatch(text)]
    assert shown, labels
    assert set(shown) <= months
    latest = performance.filter(pl.col("month_start") == pl.col("month_start").max())
    wanted = [str(latest["month_start"][0])]  # the latest month comes first: its rows show
    wanted += [f"{m:,.2f}" for m in latest["average_basket"].head(3)]
    drawn(page, wanted)


def check_inventory(page: Page, panel: Locator, gold: dict[str, pl.DataFrame]) -> None:
    """Stock-outs per day on an ISO date axis, the days the snapshots were taken."""
    days = gold["inventory_daily"].filter(pl.col("stock_level").is_not_null())["date"]
    first, last = str(days.min()), str(days.max())
    date_labels(panel, first, last)
    texts = drawn(page, [last])
    assert "None" not in texts


def check_notifications(page: Page, panel: Locator, gold: dict[str, pl.DataFrame]) -> None:
    """Failed messages with their whole reason, times to the second; kinds whole on the axis."""
    outbox = gold["notifications"]
    failed = outbox.filter(pl.col("status") == "FAILED")
    assert failed.height
    latest = str(outbox["created_at"].max())[:19]  # in UTC, as the outbox holds it
    texts = drawn(page, [*set(failed["last_error"]), "SENT", "FAILED", latest])
    assert "None" not in texts
    labels = axis_labels(panel.locator(".vega-embed").first)
    assert set(outbox["kind"]) <= set(labels)


#: The checks of the newer views, by tab.
NEWER_VIEWS = {
    "Customer value": check_customer_value,
    "Sales": check_sales,
    "Inventory": check_inventory,
    "Notifications": check_notifications,
}


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_the_dashboard_in_chromium(dashboard, dash_lake, tmp_path):
    expect.set_options(timeout=UI_TIMEOUT_MS)
    shot = SCREENSHOT if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path / "dashboard.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    customer = (
        ll.scan(dash_lake, "gold", "customer_details")
        .filter(pl.col("total_loyalty_points") > 0)
        .select("customer_id")
        .collect()
        .item(0, 0)
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport=VIEWPORT,
            timezone_id=TIMEZONE,
        )
        try:
            browser.add_init_script(RECORD_DRAWN)
            page = browser.pages[0] if browser.pages else browser.new_page()
            page_errors: list[str] = []
            page.on("pageerror", lambda error: page_errors.append(str(error)))
            page.goto(dashboard, wait_until="domcontentloaded")

            expect(page).to_have_title("loyalty_lake")
            liability = page.get_by_test_id("stMetricLabel").filter(has_text="Points outstanding")
            expect(liability).to_be_visible()
            # every tab is in the page: 7 Overview, 4 Customer value, 3 Inventory, 4 Notifications
            expect(page.get_by_test_id("stMetric")).to_have_count(7 + 4 + 3 + 4)
            no_exception_shown(page)

            for label, (charts, tables, text) in TABS.items():
                tab = page.get_by_role("tab", name=label, exact=True)
                page.evaluate("window.drawnTexts.clear()")
                tab.click()
                expect(tab).to_have_attribute("aria-selected", "true")
                panel = page.locator(
                    f'[role="tabpanel"][aria-labelledby="{tab.get_attribute("id")}"]'
                )
                expect(panel).to_be_visible()
                expect(panel.get_by_test_id("stVegaLiteChart")).to_have_count(charts)
                expect(panel.locator(".vega-embed")).to_have_count(charts)
                for chart in panel.locator(".vega-embed").all():
                    expect(chart).to_be_visible()
                expect(panel.get_by_test_id("stDataFrame")).to_have_count(tables)
                if text is not None:
                    expect(panel.get_by_text(text).first).to_be_visible()
                no_exception_shown(page)
                check_formats(page, label, panel, dash_lake)
                if label in VIEW_SCREENSHOTS:
                    page.evaluate(SCROLL_TO_TOP)
                    page.wait_for_timeout(1_000)  # let the charts finish drawing
                    page.screenshot(path=str(shot.with_name(VIEW_SCREENSHOTS[label])))

                if label == "Loyalty":  # a rerun through the websocket: the statement lookup
                    box = panel.get_by_label("Customer id")
                    box.fill(customer)
                    box.press("Enter")
                    expect(
                        panel.get_by_test_id("stMetricLabel").filter(has_text="Balance")
                    ).to_be_visible()
                    no_exception_shown(page)

            overview = page.get_by_role("tab", name="Overview", exact=True)
            overview.click()
            expect(overview).to_have_attribute("aria-selected", "true")
            expect(liability).to_be_visible()
            expect(page.locator(".vega-embed").first).to_be_visible()
            expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)  # not running
            page.wait_for_timeout(1_000)  # let the chart finish drawing
            no_exception_shown(page)
            page.screenshot(path=str(shot), full_page=True)
            assert not page_errors, page_errors
        finally:
            browser.close()

    for path in [shot, *(shot.with_name(name) for name in VIEW_SCREENSHOTS.values())]:
        width, height = png_size(path)
        assert width == VIEWPORT["width"], path
        assert height >= VIEWPORT["height"], path
