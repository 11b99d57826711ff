"""``loyalty-lake clv`` and the summary it prints (``pipeline/clv.py``), on lakes built for it.

- a lake of 400 customers simulated from the models (``benchmarks/clv_fit.py``):
  the fits, their reading and the top customers, as text and as JSON;
- a lake of 300 customers who all still buy on ``as_of``: the BG/NBD fit runs
  to a bound, gold publishes the attempt, the command shows it and exits 1;
- a lake of two customers: no fit, a message with the count, exit 1;
- no gold at all: exit 2 with a hint.
"""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import loyalty_lake as ll
import loyalty_lake.cli.clv  # registers the command (as loyalty_lake.cli does)
from loyalty_lake import cli
from loyalty_lake.cli import app
from loyalty_lake.codes import MONEY
from loyalty_lake.config import Config
from loyalty_lake.errors import ExitCode
from loyalty_lake.gold.clv import ClvFitError
from loyalty_lake.io import catalog
from loyalty_lake.pipeline.clv import TOP_COLUMNS, clv_summary
from tests.gold.test_clv_lake import landing_batch

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_consoles(monkeypatch):
    """Consoles wide enough that no line of the tests' output wraps."""
    for shared in (cli.console, cli.err_console):
        monkeypatch.setattr(shared, "_width", 200)


def built(sales: pl.DataFrame, root: Path) -> ll.Lake:
    """A lake built from a landing batch of ``sales`` (as of the last sale)."""
    lake = ll.Lake(root / "lake")
    batch = landing_batch(sales, root / "landing" / "b1")
    report = ll.build(lake=lake, landing=batch, config=Config(lake_root=lake.root))
    assert report.clean
    return lake


def sales(rows: list[tuple[str, date, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [(c, d, Decimal(a)) for c, d, a in rows],
        schema={"customer_id": pl.String, "transaction_date": pl.Date, "amount": MONEY},
        orient="row",
    )


@pytest.fixture(scope="module")
def valued(tmp_path_factory: pytest.TempPathFactory) -> ll.Lake:
    """A lake whose gold has CLV: 400 customers simulated from BG/NBD and Gamma-Gamma."""
    from benchmarks.clv_fit import simulated_sales

    return built(simulated_sales(400, seed=3), tmp_path_factory.mktemp("valued"))


@pytest.fixture(scope="module")
def unconverged(tmp_path_factory: pytest.TempPathFactory) -> ll.Lake:
    """A lake where nobody seems to drop out: 200 customers buy every 10 days up to as_of."""
    start = date(2026, 1, 1)
    rows = [
        (f"C{n:04}", start + timedelta(days=10 * k), "10.00") for n in range(200) for k in range(6)
    ]
    rows += [(f"C{n:04}", start, "20.00") for n in range(200, 300)]
    return built(sales(rows), tmp_path_factory.mktemp("unconverged"))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> ll.Lake:
    """A lake of two customers, one of whom came back: too few to fit."""
    rows = [
        ("C1", date(2026, 10, 1), "12.50"),
        ("C1", date(2026, 10, 20), "7.00"),
        ("C1", date(2026, 10, 20), "3.00"),  # the same day: still one repeat purchase day
        ("C2", date(2026, 10, 31), "7.00"),
    ]
    return built(sales(rows), tmp_path_factory.mktemp("tiny"))


def clv(lake: ll.Lake, *args: str):
    return runner.invoke(app, ["clv", "--lake", str(lake.root), *args])


def gold(lake: ll.Lake, name: str) -> pl.DataFrame:
    return catalog.gold_snapshot(lake).scan(name).collect()


# --------------------------------------------------------------------------------------
# A lake with CLV
# --------------------------------------------------------------------------------------


def test_clv_prints_the_fits_their_reading_and_the_top_customers(valued):
    result = clv(valued, "--top", "3")
    assert result.exit_code == 0, result.output
    out = result.output
    as_of = catalog.gold_snapshot(valued).as_of
    assert f"CLV models as of {as_of}" in out
    assert "time in weeks" in out
    for label in ("BG/NBD", "Gamma-Gamma", "log-likelihood", "converged", "α"):
        assert label in out
    parameters = gold(valued, "clv_parameters")
    r = parameters.filter(pl.col("parameter") == "r")["value"].item()
    assert f"{r:.4g}" in out
    assert "r/α" in out
    assert "a/(a+b)" in out
    assert "p·v/(q−1)" in out
    value = gold(valued, "customer_value").sort("clv", descending=True)
    assert f"Top 3 of {value.height:,} customers by CLV" in out
    lines = out.splitlines()
    positions = [
        next(i for i, line in enumerate(lines) if customer in line)
        for customer in value["customer_id"][:3]
    ]
    assert positions == sorted(positions)
    assert value["customer_id"][3] not in out
    assert f"{value['clv'][0]:,.2f}" in out
    assert f"Total CLV {value['clv'].sum():,.2f} over {value.height:,} customers" in out
    assert "clv.horizon_months (now 12)" in out


def test_clv_json_is_the_summary_for_scripts(valued):
    result = clv(valued, "--top", "5", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    parameters = gold(valued, "clv_parameters")
    published = {
        (m, p): v for m, p, v in parameters.select("model", "parameter", "value").iter_rows()
    }
    fitted = {
        (fit["model"], name): value
        for fit in summary["fits"]
        for name, value in fit["parameters"].items()
    }
    assert fitted == published
    assert [fit["model"] for fit in summary["fits"]] == ["bg_nbd", "gamma_gamma"]
    assert all(fit["converged"] for fit in summary["fits"])
    assert summary["fits"][0]["customers"] == 400
    assert summary["time_unit"] == "week"
    assert summary["as_of"] == catalog.gold_snapshot(valued).as_of.isoformat()
    assert summary["problem"] is None
    reading = summary["reading"]
    p = {name: value for (_, name), value in published.items()}
    assert reading["purchase_rate"] == pytest.approx(p["r"] / p["alpha"])
    assert reading["purchases_per_year"] == pytest.approx(p["r"] / p["alpha"] * 365.2425 / 7)
    assert reading["dropout_probability"] == pytest.approx(p["a"] / (p["a"] + p["b"]))
    assert reading["mean_spend"] == pytest.approx(p["p"] * p["v"] / (p["q"] - 1))
    top = summary["top"]
    assert len(top) == 5
    assert list(top[0]) == list(TOP_COLUMNS)
    clvs = [Decimal(row["clv"]) for row in top]  # exact decimals, as text
    assert clvs == sorted(clvs, reverse=True)
    value = gold(valued, "customer_value")
    assert summary["customers"] == value.height
    assert Decimal(summary["total_clv"]) == value["clv"].sum()
    assert all(0 <= row["p_alive"] <= 1 for row in top)


def test_top_zero_shows_no_customer(valued):
    result = clv(valued, "--top", "0")
    assert result.exit_code == 0
    assert "customers by CLV" not in result.output
    assert "Total CLV" in result.output
    assert clv(valued, "--top", "-1").exit_code == ExitCode.USAGE


# --------------------------------------------------------------------------------------
# Gold without CLV, and no gold
# --------------------------------------------------------------------------------------


def test_a_fit_that_did_not_converge_is_shown_and_exits_1(unconverged):
    parameters = gold(unconverged, "clv_parameters")
    assert not parameters["converged"].any()
    assert gold(unconverged, "customer_value").is_empty()
    result = clv(unconverged)
    assert result.exit_code == ExitCode.DATA
    out = result.output
    assert "BG/NBD" in out
    assert "no" in out.split("converged", 1)[1]
    assert "Error: Gold (as of 2026-02-20) has no customer lifetime value" in out
    assert "BG/NBD fit did not converge" in out
    assert "Hint:" in out
    assert "r/α" not in out  # no reading of an unconverged fit
    assert "Total CLV" not in out


def test_too_few_repeat_customers_is_a_data_problem_with_the_count(tiny):
    result = clv(tiny)
    assert result.exit_code == ExitCode.DATA
    assert result.output.startswith("Error: Gold (as of 2026-10-31) has no customer lifetime value")
    assert "1 customer(s) bought on two days or more; at least 100 are needed" in result.output
    assert "clv.min_repeat_customers" in result.output
    assert "Hint: CLV needs customers who bought on two days or more" in result.output
    summary = clv_summary(lake=tiny.root, min_repeat_customers=3)
    assert "at least 3 are needed" in (summary.problem or "")
    with pytest.raises(ClvFitError) as raised:
        summary.check()
    assert raised.value.model == "bg_nbd"
    assert raised.value.exit_code == ExitCode.DATA


def test_json_without_clv_still_prints_the_summary_and_exits_1(tiny):
    result = runner.invoke(app, ["clv", "--lake", str(tiny.root), "--json"])
    assert result.exit_code == ExitCode.DATA
    assert result.stdout.startswith("{")
    summary = json.loads(result.stdout)
    assert summary["fits"] == []
    assert summary["top"] == []
    assert summary["customers"] == 0
    assert "too few repeat customers" in summary["problem"]
    assert summary["hint"]
    assert "Error:" in result.stderr


def test_a_lake_without_gold_is_a_usage_error_with_a_hint(tmp_path: Path):
    result = runner.invoke(app, ["clv", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == ExitCode.USAGE
    assert "has no gold tables yet" in result.output
    assert "Hint: Run `loyalty-lake build`" in result.output


def test_help_has_an_example():
    result = runner.invoke(app, ["clv", "--help"])
    assert result.exit_code == 0
    assert "Example: loyalty-lake clv --top 20" in result.output
    for option in ("--top", "--json", "--lake"):
        assert option in result.output


def test_the_summary_is_read_from_one_gold_snapshot(valued):
    summary = clv_summary(lake=valued, top=2)
    assert summary.snapshot == catalog.gold_snapshot(valued).snapshot
    assert summary.top.columns == list(TOP_COLUMNS)
    assert summary.top.height == 2
    assert summary.reading is not None
    assert math.isfinite(summary.reading.purchases_per_year)
    summary.check()  # CLV: nothing to raise
