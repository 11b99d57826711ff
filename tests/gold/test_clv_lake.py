"""CDNOW through loyalty_lake's own landing files: the published CLV parameters, end to end.

The CDNOW sample (2,357 customers, every purchase of 1997-01-01 to 1998-06-30)
becomes one data-contract batch: ``customers.csv`` (the CDNOW ids, enrolled on
their first purchase day), ``stores.csv`` (one online store), ``products.csv``
(one product, a CD), ``sales_header.csv`` (one SALE per line of the sample:
the purchase date, the dollar value as ``total_amount``) and
``sales_lines.csv`` (one line per sale, quantity 1, the total as its amount).
The lake builds it with ``as_of`` = 1997-09-30, the end of the 39-week
calibration period: the holdout purchases are landed too, and only ``as_of``
keeps them out of the fit. Gold's ``clv_parameters`` must give the published
figures within 1 %: BG/NBD r = 0.243, α = 4.414 (weeks), a = 0.793,
b = 2.426 (Fader, Hardie & Lee 2005) and Gamma-Gamma p = 6.25, q = 3.74,
γ = 15.44 on the 946 repeat customers (Fader & Hardie 2013).

Two things of the sample are not what a retailer's export would hold:

- **Free purchases.** 8 lines have a dollar value of 0.00 (all in the
  calibration period, each the only calibration purchase of its customer).
  The contract's amounts are positive, so silver rejects those sales
  (NEGATIVE_OR_ZERO, their lines too) and the lake values 2,349 customers,
  not 2,357. The fixture lands them as they are rather than inventing a
  price: the rejects are asserted, and the fit on the clean rows is still
  within 1 % of the published one (r = 0.2439, α = 4.422, a = 0.7925,
  b = 2.423; Gamma-Gamma is unchanged, none of the 8 is a repeat customer).
  The published figures count those 8 as one-off customers: fitted on the
  sample as a frame (``tests/gold/test_clv.py``) the parameters are 0.2426,
  4.414, 0.7929 and 2.426.
- **Several purchases on one day** are several sales here (one per line of
  the sample), and one purchase day for the models, as in the published data.

The calibration/holdout comparison of docs/analytics.md is computed here from
the sample fitted as a frame (all 2,357 customers, as published): the
expected purchase days of weeks 40-78 (horizon 39 weeks) against the actual
purchase days of 1997-10-01 to 1998-06-30, per calibration frequency; and
from the lake's own ``clv_parameters`` and ``customer_value``, which predict
the same.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

import loyalty_lake as ll
from loyalty_lake.codes import Reason
from loyalty_lake.config import Config, DataQualityConfig
from loyalty_lake.gold.clv import (
    BgNbdFit,
    bg_nbd_fit,
    clv_inputs,
    expected_purchases,
)
from loyalty_lake.io import catalog
from tests.gold.cdnow import (
    CALIBRATION_END,
    HOLDOUT_END,
    CdnowUnavailable,
    cdnow_sales,
    cdnow_sample,
)

#: The published CDNOW fits (Fader, Hardie & Lee 2005; Fader & Hardie 2013), weeks.
PUBLISHED = {
    ("bg_nbd", "r"): 0.243,
    ("bg_nbd", "alpha"): 4.414,
    ("bg_nbd", "a"): 0.793,
    ("bg_nbd", "b"): 2.426,
    ("gamma_gamma", "p"): 6.25,
    ("gamma_gamma", "q"): 3.74,
    ("gamma_gamma", "v"): 15.44,
}
#: The holdout: weeks 40-78, 1997-10-01 to 1998-06-30 (273 days).
HOLDOUT_WEEKS = (HOLDOUT_END - CALIBRATION_END).days / 7
STORE = "S001"
PRODUCT = "CD"


def landing_batch(sales: pl.DataFrame, folder: Path) -> Path:
    """A data-contract landing batch of ``sales`` (customer_id, transaction_date, amount).

    One SALE with one line (quantity 1, the whole amount) per row, in one
    store, of one product; a customer is enrolled on their first purchase day
    (see the module docstring).
    """
    folder.mkdir(parents=True)
    numbered = sales.sort("transaction_date", "customer_id").with_row_index("n", offset=1)
    transaction_id = pl.format("T{}", pl.col("n").cast(pl.String).str.zfill(6))
    amount = pl.col("amount").cast(pl.String)
    customers = sales.group_by("customer_id").agg(
        pl.col("transaction_date").min().alias("enrollment_date")
    )
    customers.sort("customer_id").write_csv(folder / "customers.csv")
    pl.DataFrame(
        {
            "store_id": [STORE],
            "store_name": ["CDNOW online"],
            "store_city": ["Fort Washington"],
            "store_region": ["Online"],
        }
    ).write_csv(folder / "stores.csv")
    pl.DataFrame(
        {
            "product_id": [PRODUCT],
            "product_name": ["Compact disc"],
            "product_category": ["Music"],
            "unit_price": ["15.00"],
        }
    ).write_csv(folder / "products.csv")
    numbered.select(
        transaction_id.alias("transaction_id"),
        "customer_id",
        pl.lit(STORE).alias("store_id"),
        pl.col("transaction_date").dt.to_string("%Y-%m-%d"),
        amount.alias("total_amount"),
        pl.lit("SALE").alias("transaction_type"),
    ).write_csv(folder / "sales_header.csv")
    numbered.select(
        pl.lit("1").alias("line_item_id"),
        transaction_id.alias("transaction_id"),
        pl.lit(PRODUCT).alias("product_id"),
        pl.lit(1).alias("quantity"),
        amount.alias("line_item_amount"),
    ).write_csv(folder / "sales_lines.csv")
    return folder


@pytest.fixture(scope="module")
def cdnow(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    """The CDNOW sample's transactions (downloaded once, kept in pytest's cache)."""
    cache = getattr(pytestconfig, "cache", None)  # None under -p no:cacheprovider
    folder = cache.mkdir("cdnow") if cache is not None else tmp_path_factory.mktemp("cdnow")
    try:
        path = cdnow_sample(Path(folder))
    except (CdnowUnavailable, OSError) as error:
        pytest.skip(f"the CDNOW sample cannot be fetched: {error}")
    return cdnow_sales(path)


@pytest.fixture(scope="module")
def cdnow_landing(cdnow: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDNOW sample as a landing batch folder."""
    return landing_batch(cdnow, tmp_path_factory.mktemp("landing") / "cdnow")


@pytest.fixture(scope="module")
def cdnow_lake(cdnow_landing: Path, tmp_path_factory: pytest.TempPathFactory) -> ll.Lake:
    """A lake built from the CDNOW batch as of the end of the calibration period."""
    lake = ll.Lake(tmp_path_factory.mktemp("cdnow") / "lake")
    # CDNOW's 1997 dates are older than the default earliest plausible date (2000)
    config = Config(lake_root=lake.root, dq=DataQualityConfig(earliest_date=date(1990, 1, 1)))
    report = ll.build(lake=lake, landing=cdnow_landing, as_of=CALIBRATION_END, config=config)
    assert report.clean
    assert report.gold is not None
    assert report.gold.as_of == CALIBRATION_END
    assert report.gold.warnings == ()
    return lake


def gold(lake: ll.Lake, name: str) -> pl.DataFrame:
    return catalog.gold_snapshot(lake).scan(name).collect()


def test_every_cdnow_purchase_lands_and_only_the_free_ones_are_rejected(
    cdnow, cdnow_landing, cdnow_lake
):
    header = ll.scan(cdnow_lake, "silver", "sales_header").collect()
    lines = ll.scan(cdnow_lake, "silver", "sales_lines").collect()
    rejects = ll.scan(cdnow_lake, "silver", "rejects").collect()
    landed = pl.read_csv(cdnow_landing / "sales_header.csv", infer_schema=False)
    free = set(landed.filter(pl.col("total_amount") == "0.00")["transaction_id"])
    assert len(free) == cdnow.filter(pl.col("amount") == 0).height == 8
    assert header.height == lines.height == cdnow.height - len(free)
    assert (header["transaction_date"].min(), header["transaction_date"].max()) == (
        date(1997, 1, 1),
        HOLDOUT_END,
    )
    # the free sales and their lines, and nothing else
    for table in ("sales_header", "sales_lines"):
        rejected = rejects.filter(pl.col("table") == table)
        assert set(rejected["transaction_id"]) == free, table
        assert rejected.height == len(free)
        assert all(Reason.NEGATIVE_OR_ZERO in codes for codes in rejected["reason_codes"])
    assert rejects.height == 2 * len(free)


def test_the_lake_reproduces_the_published_parameters(cdnow_lake):
    parameters = gold(cdnow_lake, "clv_parameters")
    assert parameters.height == len(PUBLISHED)
    fitted = {
        (row["model"], row["parameter"]): row["value"] for row in parameters.iter_rows(named=True)
    }
    for key, published in PUBLISHED.items():
        assert fitted[key] == pytest.approx(published, rel=0.01), key
    assert set(parameters["time_unit"]) == {"week"}
    assert parameters["converged"].all()
    customers = dict(parameters.select("model", "customers").unique().iter_rows())
    assert customers == {"bg_nbd": 2349, "gamma_gamma": 946}
    # without the 8 customers of a free purchase (the published −9,582.4 counts them)
    log_likelihood = dict(parameters.select("model", "log_likelihood").unique().iter_rows())
    assert log_likelihood["bg_nbd"] == pytest.approx(-9578.2, abs=0.05)


def test_customer_value_counts_only_the_calibration_period(cdnow, cdnow_lake):
    value = gold(cdnow_lake, "customer_value")
    assert value.height == 2349
    assert value.filter(pl.col("frequency") > 0).height == 946
    assert value["last_purchase_date"].max() <= CALIBRATION_END
    # the same inputs as the sample's own, up to as_of, without the 8 free purchases
    paid = cdnow.filter(pl.col("amount") > 0)
    expected = clv_inputs(paid.lazy(), as_of=CALIBRATION_END, time_unit="week").collect()
    columns = ["customer_id", "purchase_days", "frequency", "recency", "T", "repeat_spend"]
    assert (
        value.select(columns)
        .sort("customer_id")
        .equals(expected.select(columns).sort("customer_id"))
    )
    # customer 00004 (the first of the published summary): x = 2, t_x = 30.43, T = 38.86
    row = value.filter(pl.col("customer_id") == "00004").row(0, named=True)
    assert (row["frequency"], round(row["recency"], 2), round(row["T"], 2)) == (2, 30.43, 38.86)
    details = gold(cdnow_lake, "customer_details")
    assert details.filter(pl.col("clv").is_not_null()).height == 2349


def holdout_comparison(sales: pl.DataFrame, fit: BgNbdFit, inputs: pl.DataFrame) -> pl.DataFrame:
    """Predicted and actual purchase days of weeks 40-78 per calibration frequency (7 = 7+)."""
    actual = (
        sales.filter(
            (pl.col("transaction_date") > CALIBRATION_END)
            & (pl.col("transaction_date") <= HOLDOUT_END)
        )
        .group_by("customer_id")
        .agg(pl.col("transaction_date").n_unique().alias("actual"))
    )
    return (
        inputs.with_columns(expected_purchases(fit, horizon=HOLDOUT_WEEKS).alias("predicted"))
        .join(actual, on="customer_id", how="left")
        .group_by(pl.col("frequency").clip(upper_bound=7))
        .agg(
            pl.len().alias("customers"),
            pl.col("predicted").sum(),
            pl.col("actual").fill_null(0).sum(),
        )
        .sort("frequency")
    )


def test_the_holdout_comparison_of_the_docs(cdnow):
    inputs = clv_inputs(cdnow.lazy(), as_of=CALIBRATION_END, time_unit="week").collect()
    fit = bg_nbd_fit(inputs)
    table = holdout_comparison(cdnow, fit, inputs)
    print(table)  # the figures of docs/analytics.md
    assert HOLDOUT_WEEKS == 39
    assert table["customers"].sum() == 2357
    assert table["actual"].sum() == 1882
    assert table["predicted"].sum() == pytest.approx(1653.4, abs=0.1)
    assert table["customers"].to_list() == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert table["actual"].to_list() == [334, 306, 298, 156, 157, 112, 112, 407]
    predicted = [round(p) for p in table["predicted"]]
    assert predicted == [318, 230, 223, 152, 134, 101, 102, 394]


def test_the_lake_predicts_the_holdout_as_the_sample_does(cdnow, cdnow_lake):
    parameters = gold(cdnow_lake, "clv_parameters").filter(pl.col("model") == "bg_nbd")
    first = parameters.row(0, named=True)
    fit = BgNbdFit(
        **dict(parameters.select("parameter", "value").iter_rows()),
        log_likelihood=first["log_likelihood"],
        customers=first["customers"],
        repeat_customers=946,
        combinations=0,
        penalizer=0.0,
        converged=first["converged"],
        iterations=0,
        message="gold/clv_parameters",
    )
    table = holdout_comparison(cdnow, fit, gold(cdnow_lake, "customer_value"))
    # the 8 customers of a free purchase only bought nothing in the holdout either
    assert table["customers"].sum() == 2349
    assert table["actual"].sum() == 1882
    assert table["predicted"].sum() == pytest.approx(1653.4, rel=1e-3)
