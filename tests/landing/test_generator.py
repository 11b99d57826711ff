from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loyalty_lake.errors import ConfigError
from loyalty_lake.landing import AnomalyRates, GeneratorOptions, generate
from loyalty_lake.landing.contract import LANDING_FILES
from loyalty_lake.landing.generator.batches import GROUND_TRUTH_COLUMNS
from loyalty_lake.landing.generator.corruption import EXPECTED_REASON
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
