from __future__ import annotations

import gzip
import re
import tomllib
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty_lake.codes import NormalisationKind
from loyalty_lake.errors import ConfigError
from loyalty_lake.landing import AnomalyRates, ExportStyle, GeneratorOptions, generate
from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.landing.generator.batches import GROUND_TRUTH_COLUMNS
from loyalty_lake.landing.generator.corruption import EXPECTED_REASON
from loyalty_lake.landing.generator.styles import file_styles, resolve_styles, styled_file
from loyalty_lake.landing.generator.tables import money_text

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

END = date(2026, 10, 31)
CLEAN = GeneratorOptions(seed=7, lines=12_000, anomalies=AnomalyRates.none())
DIRTY_RATES = AnomalyRates(
    **{kind: 0.01 for kind, _ in AnomalyRates().items()} | {"redemption_over_balance": 0.05}
)
DIRTY = GeneratorOptions(seed=11, lines=12_000, anomalies=DIRTY_RATES)
MONEY = r"^\d+\.\d{2}$"


def read(folder: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(folder / f"{name}.csv", infer_schema=False)


def cents(column: str, *, strict: bool = True) -> pl.Expr:
    """Exact integer cents of a money text column with two decimals."""
    return pl.col(column).str.replace(".", "", literal=True).cast(pl.Int64, strict=strict)


def day_of(column: str) -> pl.Expr:
    return pl.col(column).str.slice(0, 10).str.to_date("%Y-%m-%d")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dataset = generate(tmp_path_factory.mktemp("clean"), CLEAN)
    assert [b.batch_id for b in dataset.batches] == ["2026-10-31"]
    return dataset.batches[0].path


@pytest.fixture(scope="module")
def dirty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("dirty"), DIRTY).batches[0].path


@pytest.fixture(scope="module")
def clean_sales(clean: Path) -> pl.DataFrame:
    """One row per sales line, with its header's columns."""
    return read(clean, "sales_lines").join(read(clean, "sales_header"), on="transaction_id")


# --- layout and formats ----------------------------------------------------------------


def test_every_contract_file_is_written_with_canonical_columns(clean: Path) -> None:
    for spec in LANDING_FILES.values():
        frame = read(clean, spec.name)
        assert tuple(frame.columns) == spec.columns, spec.name
        assert frame.height > 0, spec.name
    truth = pl.read_csv(clean / "_ground_truth.csv", infer_schema=False)
    assert tuple(truth.columns) == GROUND_TRUTH_COLUMNS
    assert truth.height == 0


def test_ids_have_their_formats_and_are_unique(clean: Path) -> None:
    formats = {
        ("stores", "store_id"): r"^S\d{3}$",
        ("products", "product_id"): r"^P\d{5}$",
        ("customers", "customer_id"): r"^C\d{7}$",
        ("promotions", "promotion_id"): r"^PR\d{3}$",
        ("loyalty_rules", "rule_id"): r"^R\d{3}$",
        ("sales_header", "transaction_id"): r"^T\d{9}$",
        ("redemptions", "redemption_id"): r"^RD\d{7}$",
    }
    for (name, column), pattern in formats.items():
        ids = read(clean, name)[column]
        assert ids.str.contains(pattern).all(), (name, column)
        assert ids.n_unique() == ids.len(), (name, column)
    lines = read(clean, "sales_lines").with_columns(pl.col("line_item_id").cast(pl.Int64))
    numbering = lines.group_by("transaction_id").agg(
        pl.col("line_item_id").min().alias("low"),
        pl.col("line_item_id").max().alias("high"),
        pl.len().alias("n"),
    )
    assert numbering.filter((pl.col("low") != 1) | (pl.col("high") != pl.col("n"))).is_empty()


def test_values_have_contract_formats(clean: Path) -> None:
    header = read(clean, "sales_header")
    lines = read(clean, "sales_lines")
    assert header["total_amount"].str.contains(MONEY).all()
    assert lines["line_item_amount"].str.contains(MONEY).all()
    assert read(clean, "products")["unit_price"].str.contains(MONEY).all()
    assert lines["quantity"].str.contains(r"^[1-9]\d*$").all()
    stamps = header["transaction_date"]
    assert stamps.str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$").all()
    parsed = stamps.str.to_datetime("%Y-%m-%dT%H:%M:%S")
    assert parsed.dt.hour().min() >= 8
    assert parsed.dt.hour().max() <= 21
    assert set(header["transaction_type"]) == {"SALE", "RETURN"}
    for name, column in [("customers", "enrollment_date"), ("redemptions", "redemption_date")]:
        assert read(clean, name)[column].str.to_date("%Y-%m-%d").max() <= END
    emails = read(clean, "customers")["email"].drop_nulls()
    assert emails.str.contains(r"^[a-z]+\.[a-z]+(\d+|\.\d+)?@example\.(com|org|net)$").all()


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_money_text_is_exact_decimal_text(amount: int) -> None:
    text = pl.select(money_text(pl.lit(amount, pl.Int64))).item()
    assert text == f"{Decimal(amount) / 100:.2f}"


# --- consistency of a clean batch ---------------------------------------------------------


def test_references_resolve(clean: Path, clean_sales: pl.DataFrame) -> None:
    def known(name: str, column: str) -> set[str]:
        return set(read(clean, name)[column])

    assert set(clean_sales["product_id"]) <= known("products", "product_id")
    assert set(clean_sales["promotion_id"].drop_nulls()) <= known("promotions", "promotion_id")
    assert set(clean_sales["customer_id"].drop_nulls()) <= known("customers", "customer_id")
    assert set(clean_sales["store_id"]) <= known("stores", "store_id")
    redemptions = read(clean, "redemptions")
    assert set(redemptions["customer_id"]) <= known("customers", "customer_id")
    inventory = read(clean, "inventory")
    # Catalogue-only products (never sold) are not stocked.
    stocked = set(inventory["product_id"])
    assert set(clean_sales["product_id"]) <= stocked <= known("products", "product_id")
    assert set(inventory["store_id"]) == known("stores", "store_id")
    assert inventory["snapshot_date"].n_unique() == CLEAN.days
    assert inventory["stock_level"].cast(pl.Int64).min() >= 0


def test_header_totals_are_the_exact_sum_of_their_lines(clean_sales: pl.DataFrame) -> None:
    totals = clean_sales.group_by("transaction_id").agg(
        cents("line_item_amount").sum().alias("lines"), cents("total_amount").first().alias("total")
    )
    assert totals.filter(pl.col("lines") != pl.col("total")).is_empty()
    sample = clean_sales.filter(pl.col("transaction_id") <= "T000000300")
    by_transaction: dict[str, list[Decimal]] = {}
    for tx, amount in sample.select("transaction_id", "line_item_amount").iter_rows():
        by_transaction.setdefault(tx, []).append(Decimal(amount))
    header_totals = dict(sample.select("transaction_id", "total_amount").unique().iter_rows())
    assert len(by_transaction) == 300
    for tx, amounts in by_transaction.items():
        assert sum(amounts) == Decimal(header_totals[tx])


def test_promoted_categories_sell_more_during_their_promotion(
    clean: Path, clean_sales: pl.DataFrame
) -> None:
    lines = clean_sales.filter(pl.col("transaction_type") == "SALE").join(
        read(clean, "products").select("product_id", "product_category"), on="product_id"
    )
    day = day_of("transaction_date")
    lifted = 0
    promos = read(clean, "promotions").filter(pl.col("applicable_category") != "ALL")
    for promo in promos.iter_rows(named=True):
        during = day.is_between(
            date.fromisoformat(promo["start_date"]), date.fromisoformat(promo["end_date"])
        )
        share = lines.group_by(during.alias("during")).agg(
            (pl.col("product_category") == promo["applicable_category"]).mean().alias("share")
        )
        shares = dict(share.iter_rows())
        if len(shares) == 2:
            lifted += shares[True] > shares[False]
    assert lifted >= 0.8 * promos.height


def test_line_amounts_are_price_times_quantity_less_discount(
    clean: Path, clean_sales: pl.DataFrame
) -> None:
    prices = read(clean, "products").select("product_id", "product_category", "unit_price")
    promos = read(clean, "promotions")
    lines = (
        clean_sales.join(prices, on="product_id")
        .join(promos, on="promotion_id", how="left")
        .with_columns(pl.col("discount_percentage").cast(pl.Int64).fill_null(0).alias("pct"))
    )
    expected = (
        cents("unit_price") * pl.col("quantity").cast(pl.Int64) * (100 - pl.col("pct")) + 50
    ) // 100
    assert lines.filter(cents("line_item_amount") != expected).is_empty()
    promoted = lines.filter(
        pl.col("promotion_id").is_not_null() & (pl.col("transaction_type") == "SALE")
    )
    assert promoted.height > 0
    on_day = day_of("transaction_date")
    in_window = on_day.is_between(
        pl.col("start_date").str.to_date(), pl.col("end_date").str.to_date()
    )
    category_fits = pl.col("applicable_category").is_in(["ALL"]) | (
        pl.col("applicable_category") == pl.col("product_category")
    )
    assert promoted.filter(~(in_window & category_fits)).is_empty()


def test_line_count_is_close_to_the_target(clean: Path) -> None:
    assert abs(read(clean, "sales_lines").height - CLEAN.lines) <= 0.05 * CLEAN.lines


def test_returns_give_back_lines_of_an_earlier_sale(clean: Path, clean_sales: pl.DataFrame) -> None:
    header = read(clean, "sales_header")
    sales = header.filter(pl.col("transaction_type") == "SALE")
    returns = header.filter(pl.col("transaction_type") == "RETURN")
    assert 0.015 <= returns.height / sales.height <= 0.035
    assert returns["original_transaction_id"].is_not_null().all()
    assert sales["original_transaction_id"].is_null().all()
    paired = returns.join(
        sales, left_on="original_transaction_id", right_on="transaction_id", suffix="_sale"
    )
    assert paired.height == returns.height
    assert (paired["transaction_id"] > paired["original_transaction_id"]).all()
    assert paired.filter(
        pl.col("customer_id").ne_missing(pl.col("customer_id_sale"))
        | (pl.col("store_id") != pl.col("store_id_sale"))
    ).is_empty()
    gap = (day_of("transaction_date") - day_of("transaction_date_sale")).dt.total_days()
    assert paired.select(gap.min()).item() >= 1
    assert paired.select(gap.max()).item() <= 30
    returned_lines = clean_sales.filter(pl.col("transaction_type") == "RETURN")
    sale_lines = clean_sales.filter(pl.col("transaction_type") == "SALE").select(
        pl.col("transaction_id").alias("original_transaction_id"),
        "product_id",
        "quantity",
        "line_item_amount",
    )
    matched = returned_lines.join(
        sale_lines, on=["original_transaction_id", "product_id", "quantity", "line_item_amount"]
    )
    assert matched["transaction_id"].n_unique() == returns.height
    assert returned_lines.join(
        sale_lines,
        on=["original_transaction_id", "product_id", "quantity", "line_item_amount"],
        how="anti",
    ).is_empty()


def test_guests_weekends_and_recency_look_like_retail(clean: Path) -> None:
    header = read(clean, "sales_header").filter(pl.col("transaction_type") == "SALE")
    guests = header["customer_id"].null_count() / header.height
    assert 0.07 <= guests <= 0.13
    per_day = header.group_by(day_of("transaction_date").alias("day")).len()
    weekend = per_day.filter(pl.col("day").dt.weekday() >= 6)["len"].mean()
    weekday = per_day.filter(pl.col("day").dt.weekday() <= 5)["len"].mean()
    assert weekend > 1.2 * weekday
    last_sale = (
        header.drop_nulls("customer_id")
        .group_by("customer_id")
        .agg(day_of("transaction_date").max().alias("last"))
    )
    lapsed = last_sale.filter(pl.col("last") <= END - timedelta(days=30)).height
    assert lapsed >= 0.05 * last_sale.height
    enrolled = read(clean, "customers")["enrollment_date"].str.to_date()
    window_start = END - timedelta(days=CLEAN.days - 1)
    assert (enrolled < window_start).any()
    assert (enrolled >= window_start).any()


def test_loyalty_rules_hold_the_documented_rules(clean: Path) -> None:
    rules = {row["rule_id"]: row for row in read(clean, "loyalty_rules").iter_rows(named=True)}
    assert rules["R001"]["points_per_unit_spend"] == "1.0"
    assert rules["R001"]["valid_from"] is None
    assert rules["R001"]["min_spend_threshold"] is None
    assert (rules["R002"]["min_spend_threshold"], rules["R002"]["bonus_points"]) == ("100.00", "50")
    assert (rules["R003"]["applicable_category"], rules["R003"]["points_per_unit_spend"]) == (
        "Health",
        "2.0",
    )
    assert rules["R004"]["applicable_category"] == "Electronics"
    assert rules["R005"]["days_of_week"] == "SAT|SUN"
    valid_from = date.fromisoformat(rules["R005"]["valid_from"])
    assert END - timedelta(days=CLEAN.days) < valid_from <= END


def test_redemptions_are_covered_by_half_the_clean_spend(
    clean: Path, clean_sales: pl.DataFrame
) -> None:
    header = read(clean, "sales_header").with_columns(day_of("transaction_date").alias("day"))
    line_counts = clean_sales.group_by("transaction_id").len("lines")
    returned = (
        header.filter(pl.col("transaction_type") == "RETURN")
        .group_by("original_transaction_id")
        .agg(cents("total_amount").sum().alias("returned"))
    )
    sales = (
        header.filter(pl.col("transaction_type") == "SALE")
        .join(line_counts, on="transaction_id")
        .join(returned, left_on="transaction_id", right_on="original_transaction_id", how="left")
        .select(
            "customer_id",
            "day",
            (cents("total_amount") - pl.col("returned").fill_null(0) - 100 * pl.col("lines")).alias(
                "net"
            ),
        )
    )
    redemptions = read(clean, "redemptions").with_columns(
        pl.col("redemption_date").str.to_date().alias("day"),
        pl.col("points_redeemed").cast(pl.Int64).alias("points"),
    )
    assert redemptions.height > 0
    assert (redemptions["points"] % 50 == 0).all()
    assert (redemptions["points"] >= 50).all()
    per_customer = redemptions.group_by("customer_id").agg(
        pl.col("day").min().alias("first"),
        pl.col("day").max().alias("last"),
        pl.col("points").sum().alias("points"),
        pl.len().alias("n"),
    )
    assert per_customer["n"].max() <= 2
    assert (per_customer["last"] - per_customer["first"]).dt.total_days().max() <= 30
    budget = (
        per_customer.join(sales, on="customer_id")
        .filter(
            pl.col("day").is_between(
                pl.col("first") - timedelta(days=300), pl.col("first") - timedelta(days=1)
            )
        )
        .group_by("customer_id", "points")
        .agg(pl.col("net").sum())
    )
    assert budget.height == per_customer.height
    assert budget.filter(pl.col("points") * 200 > pl.col("net")).is_empty()


# --- ground truth ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Landed:
    """One written batch, read back, with the master ids of its whole dataset."""

    files: dict[str, pl.DataFrame]
    ids: dict[str, set[str]]
    prices: dict[str, str]
    discounts: dict[str, str]
    line_sums: dict[str, int]

    @classmethod
    def read(cls, folder: Path, dataset: Sequence[Path]) -> Landed:
        files = {n: read(folder, n) for n in LANDING_FILES if (folder / f"{n}.csv").exists()}

        def everywhere(name: str, column: str) -> pl.DataFrame:
            parts = [read(f, name) for f in dataset if (f / f"{name}.csv").exists()]
            return pl.concat(parts).drop_nulls(column)

        ids = {
            column: set(everywhere(name, column)[column])
            for name, column in [
                ("products", "product_id"),
                ("stores", "store_id"),
                ("customers", "customer_id"),
                ("promotions", "promotion_id"),
            ]
        }
        sums = (
            files["sales_lines"]
            .group_by("transaction_id")
            .agg(cents("line_item_amount", strict=False).sum())
        )
        return cls(
            files=files,
            ids=ids,
            prices=dict(
                everywhere("products", "product_id").select("product_id", "unit_price").iter_rows()
            ),
            discounts=dict(
                everywhere("promotions", "promotion_id")
                .select("promotion_id", "discount_percentage")
                .iter_rows()
            ),
            line_sums=dict(sums.iter_rows()),
        )


def _blank(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    assert record[row["column"]] in (None, "")


def _exact_copy(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    assert record == previous


def _same_key(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    assert previous is not None
    key = LANDING_FILES[row["file"].removesuffix(".csv")].key
    assert all(record[k] == previous[k] for k in key)
    assert record != previous


def _unknown(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    value = record[row["column"]]
    assert value is not None
    assert value not in landed.ids[row["column"]]


def _nonpositive(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    assert Decimal(record[row["column"]]) <= 0


def _not_a_number(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    """Not the column's kind of number, even as silver reads numbers (``3.0``, ``$1,234.50``)."""
    whole = r"[+-]?\d+(\.0+)?"
    money = r"[+-]?(\d+|\d{1,3}(,\d{3})+)(\.\d{1,2})?"
    pattern = whole if row["column"] == "quantity" else money
    assert re.fullmatch(pattern, record[row["column"]] or "") is None


def _not_a_timestamp(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    with pytest.raises(ValueError, match=r"does not match|out of range|unconverted"):
        datetime.strptime(record[row["column"]] or "", "%Y-%m-%dT%H:%M:%S")


def _far_future(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    stamp = datetime.strptime(record[row["column"]], "%Y-%m-%dT%H:%M:%S")
    assert stamp.date() >= END + timedelta(days=50 * 365 + 13)


def _total_off(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    total = int(record["total_amount"].replace(".", ""))
    assert total > 0
    assert 100 <= abs(total - landed.line_sums[record["transaction_id"]]) <= 5000


def _consistent_outlier(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    quantity = int(record["quantity"])
    assert quantity >= 200
    pct = int(landed.discounts.get(record["promotion_id"], "0"))
    price = int(landed.prices[record["product_id"]].replace(".", ""))
    expected = (price * quantity * (100 - pct) + 50) // 100
    assert int(record["line_item_amount"].replace(".", "")) == expected
    header = landed.files["sales_header"].filter(
        pl.col("transaction_id") == record["transaction_id"]
    )
    assert (
        int(header["total_amount"].item().replace(".", ""))
        == (landed.line_sums[record["transaction_id"]])
    )


def _beyond_balance(landed: Landed, row: dict, record: dict, previous: dict | None) -> None:
    assert int(record["points_redeemed"]) >= 1_000_000
    assert record["customer_id"] in landed.ids["customer_id"]


CHECKS = {
    "missing_required": _blank,
    "duplicate_row": _exact_copy,
    "duplicate_key": _same_key,
    "unknown_product": _unknown,
    "unknown_store": _unknown,
    "unknown_customer": _unknown,
    "unknown_promotion": _unknown,
    "nonpositive_value": _nonpositive,
    "unparseable_number": _not_a_number,
    "unparseable_date": _not_a_timestamp,
    "future_date": _far_future,
    "total_mismatch": _total_off,
    "outlier": _consistent_outlier,
    "redemption_over_balance": _beyond_balance,
}


def assert_ground_truth_holds(dataset: Sequence[Path]) -> set[str]:
    """Check every ground-truth row of every batch; return the kinds seen."""
    kinds: set[str] = set()
    for folder in dataset:
        landed = Landed.read(folder, dataset)
        truth = pl.read_csv(folder / "_ground_truth.csv", infer_schema=False)
        for row in truth.iter_rows(named=True):
            frame = landed.files[row["file"].removesuffix(".csv")]
            index = int(row["row_number"]) - 1
            record = frame.row(index, named=True)
            previous = frame.row(index - 1, named=True) if index else None
            assert row["expected_reason"] == EXPECTED_REASON[row["kind"]].value
            assert row["transaction_id"] == record.get("transaction_id"), row
            CHECKS[row["kind"]](landed, row, record, previous)
            kinds.add(row["kind"])
    return kinds


def test_ground_truth_rows_show_their_corruption(dirty: Path) -> None:
    assert set(CHECKS) == {kind for kind, _ in AnomalyRates().items()}
    assert assert_ground_truth_holds([dirty]) == set(CHECKS)


def test_each_corrupted_transaction_carries_one_anomaly(dirty: Path) -> None:
    truth = pl.read_csv(dirty / "_ground_truth.csv", infer_schema=False)
    sales = truth.filter(pl.col("file").is_in(["sales_header.csv", "sales_lines.csv"]))
    assert sales["transaction_id"].is_not_null().all()
    assert sales["transaction_id"].n_unique() == sales.height
    assert truth.filter(~pl.col("file").str.starts_with("sales"))["transaction_id"].is_null().all()


def test_anomaly_counts_follow_the_rates(dirty: Path) -> None:
    truth = pl.read_csv(dirty / "_ground_truth.csv", infer_schema=False)
    in_lines = truth.filter(pl.col("file") == "sales_lines.csv")
    copies = in_lines.filter(pl.col("kind").str.starts_with("duplicate_")).height
    clean_lines = read(dirty, "sales_lines").height - copies
    per_kind = dict(in_lines.group_by("kind").len().iter_rows())
    for kind in ("outlier", "unknown_product", "missing_required", "duplicate_row"):
        assert per_kind[kind] == round(0.01 * clean_lines), kind


# --- determinism and batches ------------------------------------------------------------------


def _contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    options = GeneratorOptions(seed=3, lines=2_000, days=40, stores=3, products=40)
    first = generate(tmp_path / "a", options).batches[0].path
    second = generate(tmp_path / "b", options).batches[0].path
    other = generate(tmp_path / "c", replace(options, seed=4)).batches[0].path
    assert _contents(first) == _contents(second)
    assert _contents(first)["sales_lines.csv"] != _contents(other)["sales_lines.csv"]


def test_daily_batches_split_the_same_history(tmp_path: Path) -> None:
    options = GeneratorOptions(seed=5, lines=3_000, days=60, anomalies=DIRTY_RATES)
    single = generate(tmp_path / "one", options)
    daily = generate(tmp_path / "three", replace(options, batches=3))
    assert [b.batch_id for b in daily.batches] == ["2026-10-29", "2026-10-30", "2026-10-31"]
    for name in ("sales_header", "sales_lines", "redemptions"):
        whole = read(single.batches[0].path, name)
        parts = pl.concat(
            [read(b.path, name) for b in daily.batches if (b.path / f"{name}.csv").exists()]
        )
        assert parts.equals(whole), name
    later = daily.batches[1].path
    assert not (later / "stores.csv").exists()
    assert not (later / "products.csv").exists()
    header = read(later, "sales_header")
    assert header["transaction_date"].str.starts_with("2026-10-30").all() or header.is_empty()
    inventory = read(later, "inventory")
    assert set(inventory["snapshot_date"]) == {"2026-10-30"}
    first_stock = read(daily.batches[0].path, "inventory")
    assert set(first_stock["snapshot_date"]) == {"2026-10-29"}

    def truth_keys(dataset: object) -> set[tuple[str, str, str | None]]:
        rows = pl.concat(
            [pl.read_csv(b.path / "_ground_truth.csv", infer_schema=False) for b in dataset.batches]
        )
        return set(rows.select("kind", "file", "transaction_id").iter_rows())

    assert truth_keys(single) == truth_keys(daily)
    assert assert_ground_truth_holds([b.path for b in daily.batches])


def test_daily_batches_carry_new_and_changed_customers(tmp_path: Path) -> None:
    options = GeneratorOptions(
        seed=9, lines=6_000, days=30, batches=30, anomalies=AnomalyRates.none()
    )
    dataset = generate(tmp_path, options)
    assert len(dataset.batches) == 30
    first, *later = dataset.batches
    initial = read(first.path, "customers")
    updates = pl.concat(
        [read(b.path, "customers") for b in later if (b.path / "customers.csv").exists()]
    )
    assert updates.height > 0
    changed = updates.filter(pl.col("customer_id").is_in(initial["customer_id"].implode()))
    new = updates.join(initial, on="customer_id", how="anti")
    assert changed.height > 0
    assert new.height > 0
    batch_days = {b.batch_id for b in later}
    assert set(new["enrollment_date"]) <= batch_days
    latest = pl.concat([initial, updates]).unique("customer_id", keep="last", maintain_order=True)
    whole = read(
        generate(tmp_path / "whole", replace(options, batches=1)).batches[0].path, "customers"
    )
    assert latest.sort("customer_id").equals(whole.sort("customer_id"))


# --- options and errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "name"),
    [
        (GeneratorOptions(lines=0), "lines"),
        (GeneratorOptions(days=0), "days"),
        (GeneratorOptions(seed=-1), "seed"),
        (GeneratorOptions(stores=0), "stores"),
        (GeneratorOptions(stores=900), "stores"),
        (GeneratorOptions(products=3), "products"),
        (GeneratorOptions(customers=0), "customers"),
        (GeneratorOptions(days=10, batches=11), "batches"),
        (GeneratorOptions(batches=0), "batches"),
        (GeneratorOptions(guest_share=1.5), "guest_share"),
        (GeneratorOptions(return_share=-0.1), "return_share"),
        (GeneratorOptions(anomalies=AnomalyRates(outlier=0.5)), "anomalies.outlier"),
        (GeneratorOptions(anomalies=AnomalyRates(duplicate_row=-0.01)), "anomalies.duplicate_row"),
        (GeneratorOptions(end_date=datetime(2026, 1, 1)), "end_date"),  # type: ignore[arg-type]
        (GeneratorOptions(lines=1.5), "lines"),  # type: ignore[arg-type]
    ],
)
def test_invalid_options_raise_config_error_naming_the_option(
    tmp_path: Path, options: GeneratorOptions, name: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(f"{name}=")) as error:
        generate(tmp_path, options)
    assert error.value.hint
    assert not any(tmp_path.iterdir())


def test_refuses_to_overwrite_a_non_empty_batch_folder(tmp_path: Path) -> None:
    options = GeneratorOptions(lines=200, days=10, products=20, stores=2)
    generate(tmp_path, options)
    with pytest.raises(ConfigError, match="not empty") as error:
        generate(tmp_path, options)
    assert error.value.hint


def test_reports_progress_per_file(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    generate(
        tmp_path,
        GeneratorOptions(lines=300, days=5, batches=2, products=20),
        progress=lambda step, done, total: calls.append((step, done, total)),
    )
    written = [c for c in calls if c[0].startswith("Writing")]
    assert any("2026-10-31/sales_lines.csv" in step for step, _, _ in written)
    assert [done for _, done, _ in written] == list(range(len(written)))
    assert calls[-1][1] == calls[-1][2]


def test_tiny_runs_still_write_consistent_batches(tmp_path: Path) -> None:
    dataset = generate(tmp_path, GeneratorOptions(lines=1, days=1, customers=1, stores=1))
    batch = dataset.batches[0]
    assert batch.rows["sales_lines"] == 1
    assert set(batch.rows) == set(LANDING_FILES) - {"redemptions"}  # no sale to redeem from
    assert not (batch.path / "redemptions.csv").exists()
    for name, count in batch.rows.items():
        assert read(batch.path, name).height == count
    assert read(batch.path, "sales_header").height == 1


# --- export styles: literal values --------------------------------------------------------

STYLED = GeneratorOptions(
    seed=4, lines=300, days=12, stores=2, products=20, anomalies=AnomalyRates.none()
)


def styled(
    table: str, styles: Sequence[str], rows: dict[str, list[str | None]], *, token: str = "NULL"
) -> tuple[pl.DataFrame, dict[tuple[str, str], int]]:
    """``rows`` of ``table`` (absent columns empty) written under ``styles`` (seed 0: £)."""
    style = file_styles(resolve_styles(styles), seed=0)[table]
    height = len(next(iter(rows.values())))
    frame = pl.DataFrame(
        {c: rows.get(c, [None] * height) for c in LANDING_FILES[table].columns},
        schema=dict.fromkeys(LANDING_FILES[table].columns, pl.String),
    )
    out = styled_file(frame, style, np.random.default_rng(0), token=token)
    counts = {(r["column"], r["kind"]): r["rows"] for r in out.counts.iter_rows(named=True)}
    return out.frame, counts


def test_integral_floats_write_integers_and_numeric_ids_as_floats() -> None:
    frame, counts = styled(
        "sales_lines",
        ["integral_floats"],
        {
            "line_item_id": ["1", "2", "3"],
            "transaction_id": ["T000000001"] * 3,
            "quantity": ["3", "-2", "two"],
            "line_item_amount": ["12.50", "1.00", "3.00"],
        },
    )
    assert frame["line_item_id"].to_list() == ["1.0", "2.0", "3.0"]
    assert frame["transaction_id"].to_list() == ["T000000001"] * 3  # not a number: kept
    assert frame["quantity"].to_list() == ["3.0", "-2.0", "two"]  # an anomaly stays as it is
    assert counts == {("line_item_id", "INTEGRAL_FLOAT"): 3, ("quantity", "INTEGRAL_FLOAT"): 2}


def test_leading_zeros_pad_integers_but_never_ids() -> None:
    frame, counts = styled(
        "inventory",
        ["leading_zeros"],
        {
            "snapshot_date": ["2026-10-31"] * 3,
            "store_id": ["S001"] * 3,
            "product_id": ["P00001"] * 3,
            "stock_level": ["0", "42", "12345"],
        },
    )
    assert frame["stock_level"].to_list() == ["0000", "0042", "012345"]
    assert frame["store_id"].to_list() == ["S001"] * 3
    assert counts == {("stock_level", "LEADING_ZEROS"): 3}


def test_currency_marks_money_and_groups_thousands() -> None:
    lines, line_counts = styled(
        "sales_lines",
        ["currency"],
        {"line_item_amount": ["1234.50", "-12.50", "0.00", "1234567.00", "12,50", "1.2.3"]},
    )
    assert lines["line_item_amount"].to_list() == [
        "£1,234.50",
        "-£12.50",
        "£0.00",
        "£1,234,567.00",
        "12,50",  # anomalies are left unreadable
        "1.2.3",
    ]
    assert line_counts == {
        ("line_item_amount", "CURRENCY_MARK"): 4,
        ("line_item_amount", "THOUSANDS_SEPARATOR"): 2,
    }
    header, _ = styled("sales_header", ["currency"], {"total_amount": ["1234.50", "-3.00"]})
    assert header["total_amount"].to_list() == ["1,234.50 GBP", "-3.00 GBP"]
    rules, _ = styled("loyalty_rules", ["currency"], {"min_spend_threshold": ["100.00", None]})
    assert rules["min_spend_threshold"].to_list() == ["GBP 100.00", None]


def test_semicolon_files_write_money_with_a_decimal_comma() -> None:
    frame, counts = styled(
        "sales_lines",
        ["semicolons", "currency"],
        {"line_item_amount": ["1234.50", "12.50", "-0.99", "12,50", "12.345", "1.2.3"]},
    )
    assert frame["line_item_amount"].to_list() == [
        "1.234,50 £",
        "12,50 £",
        "-0,99 £",
        "12,500",  # the wrong-locale anomaly, still unreadable in a decimal-comma file
        "12,345",
        "1,2,3",
    ]
    assert counts == {
        ("line_item_amount", "DECIMAL_COMMA"): 3,
        ("line_item_amount", "CURRENCY_MARK"): 3,
        ("line_item_amount", "THOUSANDS_SEPARATOR"): 1,
    }


def test_date_notations_of_date_columns() -> None:
    dates = {"enrollment_date": ["2026-10-31", "2026-01-05", None]}
    day_first, day_counts = styled("customers", ["day_first"], dates)
    assert day_first["enrollment_date"].to_list() in (
        ["31/10/2026", "05/01/2026", None],
        ["31.10.2026", "05/01/2026", None],
        ["31/10/2026", "05.01.2026", None],
        ["31.10.2026", "05.01.2026", None],
    )
    assert day_counts == {("enrollment_date", "DAY_FIRST_DATE"): 2}
    month_first, month_counts = styled("customers", ["month_first"], dates)
    assert month_first["enrollment_date"].to_list() == ["10/31/2026", "1/5/2026", None]
    assert month_counts == {("enrollment_date", "MONTH_FIRST_DATE"): 2}
    slashes, slash_counts = styled("customers", ["year_first_slashes"], dates)
    assert slashes["enrollment_date"].to_list() == ["2026/10/31", "2026/01/05", None]
    assert slash_counts == {("enrollment_date", "YEAR_FIRST_SLASHES"): 2}
    iso, iso_counts = styled("customers", ["iso_datetimes"], dates)
    written = iso["enrollment_date"].to_list()
    assert [w[:10] for w in written[:2]] == dates["enrollment_date"][:2]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d[T ]00:00:00(\.000|Z)?", w) for w in written[:2])
    assert iso_counts == {("enrollment_date", "DATETIME_AS_DATE"): 2}


def test_date_notations_of_transaction_dates() -> None:
    stamps = {"transaction_date": ["2026-10-31T14:05:09", "2026-02-30T00:10:00", "not a date"]}
    twelve, counts = styled("sales_header", ["day_first", "twelve_hour"], stamps)
    assert twelve["transaction_date"].to_list() == [
        "31/10/2026 2:05:09 PM",
        "30/02/2026 12:10:00 AM",  # an impossible date stays impossible
        "not a date",
    ]
    assert counts == {
        ("transaction_date", "DAY_FIRST_DATE"): 2,
        ("transaction_date", "TWELVE_HOUR_CLOCK"): 2,
    }
    us, _ = styled("sales_header", ["twelve_hour"], stamps)  # alone: US dates
    assert us["transaction_date"][0] == "10/31/2026 2:05:09 PM"
    slashes, slash_counts = styled("sales_header", ["year_first_slashes"], stamps)
    assert slashes["transaction_date"][0] == "2026/10/31 14:05:09"
    assert slash_counts == {("transaction_date", "YEAR_FIRST_SLASHES"): 1}  # not 2026/02/30
    iso, iso_counts = styled("sales_header", ["iso_datetimes"], stamps)
    assert iso["transaction_date"][0] in (
        "2026-10-31T14:05:09",
        "2026-10-31 14:05:09",
        "2026-10-31T14:05:09.000",
        "2026-10-31 14:05:09.000000",
    )
    assert iso_counts == {}  # ISO 8601 variants are standard, not normalisations


def test_date_styles_spread_over_the_date_columns() -> None:
    plans = file_styles(resolve_styles(["messy"]), seed=0)
    assert plans["sales_header"].dates == {"transaction_date": ExportStyle.DAY_FIRST}
    notations = {n for plan in plans.values() for n in plan.dates.values()}
    assert notations == {
        ExportStyle.DAY_FIRST,
        ExportStyle.MONTH_FIRST,
        ExportStyle.YEAR_FIRST_SLASHES,
        ExportStyle.ISO_DATETIMES,
    }
    assert {plan.delimiter for plan in plans.values()} == {";", "\t", "|"}
    assert {plan.compression for plan in plans.values()} == {"gzip", "zip"}


def test_null_tokens_and_whitespace() -> None:
    rows = {"customer_id": ["C1", "C2", "C3", "C4"], "email": ["a@x.org", None, "", "d@x.org"]}
    tokens, counts = styled("customers", ["null_tokens"], rows, token="nan")
    assert tokens["email"].to_list() == ["a@x.org", "nan", "nan", "d@x.org"]
    assert counts[("email", "NULL_TOKEN")] == 2
    padded, pad_counts = styled("customers", ["whitespace"], {"customer_id": ["C1"] * 200})
    ids = padded["customer_id"]
    assert (ids.str.strip_chars() == "C1").all()
    assert 20 < (ids != "C1").sum() < 100
    assert pad_counts == {("customer_id", "WHITESPACE"): (ids != "C1").sum()}


def test_short_rows_drop_only_trailing_optional_empty_fields() -> None:
    frame, counts = styled(
        "sales_header",
        ["short_rows"],
        {
            "transaction_id": ["T1", "T2", "T3"],
            "store_id": ["S1", "S1", "S1"],
            "transaction_date": ["2026-10-31T10:00:00"] * 3,
            "total_amount": ["1.00", "1.00", None],  # a blank required value is never dropped
            "transaction_type": ["SALE", None, None],
        },
    )
    assert frame["_dropped"].to_list() == [1, 2, 2]
    assert counts == {("(row)", "PADDED_ROW"): 3}


def test_unknown_styles_raise_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'shiny' is no style") as error:
        generate(tmp_path, replace(STYLED, styles=("shiny",)))
    assert "messy" in (error.value.hint or "")
    with pytest.raises(ConfigError, match="styles="):
        generate(tmp_path, replace(STYLED, styles="messy"))  # type: ignore[arg-type]


# --- export styles: written files ---------------------------------------------------------


@pytest.fixture(scope="module")
def plain_styled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("plain"), STYLED).batches[0].path


def _written(options: GeneratorOptions, root: Path) -> tuple[Path, dict[str, str]]:
    (batch,) = generate(root, options).batches
    return batch.path, dict(batch.files)


def _text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    elif path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            assert member == path.name.removesuffix(".zip") + ".csv"
            data = archive.read(member)
    return data.decode("utf-8")


def test_without_styles_nothing_changes(plain_styled: Path) -> None:
    names = {p.name for p in plain_styled.iterdir()}
    assert names == {f"{n}.csv" for n in LANDING_FILES} | {"_ground_truth.csv"}


def test_delimiters_quote_only_what_they_must(tmp_path: Path, plain_styled: Path) -> None:
    for style, delimiter in [("semicolons", ";"), ("tabs", "\t"), ("pipes", "|")]:
        folder, files = _written(replace(STYLED, styles=(style,)), tmp_path / style)
        assert set(files.values()) == {f"{n}.csv" for n in LANDING_FILES}
        rules = _text(folder / "loyalty_rules.csv").splitlines()
        assert rules[0] == delimiter.join(LANDING_FILES["loyalty_rules"].columns)
        weekend = next(line for line in rules if "SAT|SUN" in line)
        assert ('"SAT|SUN"' in weekend) == (style == "pipes")
        plain = read(plain_styled, "inventory")
        again = pl.read_csv(folder / "inventory.csv", separator=delimiter, infer_schema=False)
        assert again.equals(plain)


def test_compressed_files_hold_the_same_text(tmp_path: Path, plain_styled: Path) -> None:
    folder, files = _written(replace(STYLED, styles=("gzip", "zip")), tmp_path)
    assert files["stores"] == "stores.csv.gz"
    assert files["products"] == "products.zip"
    for name, file in files.items():
        assert _text(folder / file) == (plain_styled / f"{name}.csv").read_text(), name
    again = generate(tmp_path / "again", replace(STYLED, styles=("gzip", "zip"))).batches[0]
    assert (again.path / "stores.csv.gz").read_bytes() == (folder / "stores.csv.gz").read_bytes()


def test_headers_bom_line_ends_and_aliases(tmp_path: Path) -> None:
    styles = ("header_case", "bom", "crlf", "aliases")
    folder, files = _written(replace(STYLED, styles=styles), tmp_path)
    assert files["sales_lines"] == "store_sales_line_items.csv"
    assert files["customers"] == "customer_details.csv"
    stores = (folder / "stores.csv").read_bytes()
    assert stores.startswith(b"\xef\xbb\xbfSTORE_ID,STORE_NAME,")
    assert stores.endswith(b"\r\n")
    assert b"\n" not in stores.replace(b"\r\n", b"")
    lines = _text(folder / files["sales_lines"]).splitlines()[0]
    assert lines == "\ufeffLINE_ITEM_ID,TRANSACTION_ID,PRODUCT_ID,PROMOTION_ID,QTY,LINE_ITEM_AMOUNT"
    products = _text(folder / "products.csv").splitlines()[0]
    assert products.startswith("\ufeffProduct_Id,Product_Name,Product_Category,")
    rules = _text(folder / "loyalty_rules.csv").splitlines()[0].lstrip("\ufeff")
    assert "START_DATE,END_DATE" in rules
    truth = pl.read_csv(folder / "_ground_truth.csv")
    assert truth.is_empty()
    settings = (folder / "_settings.toml").read_text()
    assert tomllib.loads(settings) == {
        "landing": {"column_aliases": {"sales_lines.qty": "quantity"}}
    }


def test_blank_lines_and_short_rows(tmp_path: Path, plain_styled: Path) -> None:
    folder, _ = _written(replace(STYLED, styles=("blank_lines", "short_rows")), tmp_path)
    text = (folder / "sales_header.csv").read_text()
    lines = text.split("\n")
    assert lines[0] == ""  # before the header
    assert text.endswith("\n\n")
    assert any(not line.strip() for line in lines[2:-2])
    records = [line for line in lines[2:] if line.strip()]
    plain = (plain_styled / "sales_header.csv").read_text().splitlines()[1:]
    assert records == [line.rstrip(",") for line in plain]
    assert any(line.count(",") == 5 for line in records)  # a sale has no original


def test_column_order_is_shuffled_per_table_and_the_same_in_every_batch(tmp_path: Path) -> None:
    dataset = generate(tmp_path, replace(STYLED, batches=2, styles=("column_order",)))
    headers = {
        b.batch_id: (b.path / "sales_lines.csv").read_text().splitlines()[0]
        for b in dataset.batches
    }
    first, second = headers.values()
    assert first == second
    assert first.split(",") != list(LANDING_FILES["sales_lines"].columns)
    assert sorted(first.split(",")) == sorted(LANDING_FILES["sales_lines"].columns)


def test_styles_keep_row_numbers_and_quote_corrupted_values_as_written(tmp_path: Path) -> None:
    options = replace(DIRTY, lines=3_000, styles=("messy",))
    (batch,) = generate(tmp_path, options).batches
    truth = pl.read_csv(batch.path / "_ground_truth.csv", infer_schema=False)
    plain = pl.read_csv(
        generate(tmp_path / "plain", replace(options, styles=())).batches[0].path
        / "_ground_truth.csv",
        infer_schema=False,
    )
    assert truth.select("row_number", "kind", "column", "transaction_id").equals(
        plain.select("row_number", "kind", "column", "transaction_id")
    )
    assert set(truth["file"]) <= set(batch.files.values())
    quantities = truth.filter(
        (pl.col("kind") == "nonpositive_value") & (pl.col("column") == "quantity")
    )
    integers = batch.files["sales_lines"]
    assert quantities.height > 0
    assert integers.startswith("store_sales_line_items")
    assert quantities["detail"].str.contains(r"^quantity '(-?\d+\.0|-?0\d+)'$").all()


def test_styled_batches_report_their_normalisations(tmp_path: Path) -> None:
    dataset = generate(tmp_path / "a", replace(STYLED, styles=("messy",)))
    (batch,) = dataset.batches
    again = generate(tmp_path / "b", replace(STYLED, styles=("messy",))).batches[0]
    assert _contents(again.path) == _contents(batch.path)  # byte-identical by seed
    reported = pl.read_csv(batch.path / "_normalisations.csv")
    assert reported.equals(batch.normalisations)
    kinds = set(dataset.normalisations["kind"])
    assert kinds == {k.value for k in NormalisationKind} - {"CONFIGURED_FORMAT", "ID_REWRITE"}
    assert dataset.normalisations["batch_id"].unique().to_list() == [batch.batch_id]
