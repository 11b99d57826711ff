"""Incremental gold: a nightly batch recomputes the customers it touches, not the history.

A full build (:func:`~loyalty_lake.gold.tables.gold_tables`) computes every
customer's state from all of silver. An incremental build starts from the
previous build's state (:class:`PreviousGold`) and the silver rows added since
(:class:`SilverChanges`):

1. :func:`touched_customers`: the customers whose figures can have changed:
   those of the new (or newly due) sales, returns and redemptions, the buyers
   of returned sales, and the customers time alone changes: points that expire
   by the new ``as_of`` (``next_expiry_date``) or a tier window that loses an
   event (``tier_window_from``). Everybody else's figures stay exactly as they
   were: they depend only on their own rows, which did not change.
2. The per-customer stage runs for those customers only
   (:func:`~loyalty_lake.gold.tables.customer_state_of`), and their rows
   replace theirs in the state.
3. The global stage (CLV fit, scores, segments) runs over the whole
   one-row-per-customer state, as in a full build.
4. The marts keep their rows before :func:`first_changed_day` and recompute
   the rest (:class:`~loyalty_lake.gold.tables.Splice`).

The result equals a full build's, table by table and value by value; what
cannot be done this way (rules or settings that changed, silver rows that
were rewritten, an ``as_of`` that moved back) is the pipeline's to detect
with :func:`fingerprints` and the silver versions, and then it builds in full.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import polars as pl

import loyalty_lake
from loyalty_lake.codes import TransactionType
from loyalty_lake.gold.points.balances import tier_window_start
from loyalty_lake.gold.tables import (
    CustomerState,
    GoldTables,
    SilverTables,
    Splice,
    customer_state_of,
    published_tables,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from loyalty_lake.config import Config

log = logging.getLogger(__name__)

#: The marts an incremental build splices (the others are recomputed whole, from small inputs).
SPLICED_MARTS = (
    "sales_daily",
    "store_daily",
    "product_sales_daily",
    "member_sales_daily",
    "loyalty_daily",
    "inventory_daily",
    "store_performance",
    "store_days",
)


@dataclass(frozen=True, slots=True)
class SilverChanges:
    """The silver rows added since the previous gold build, per fact table."""

    sales_header: pl.LazyFrame
    sales_lines: pl.LazyFrame
    redemptions: pl.LazyFrame
    inventory: pl.LazyFrame


@dataclass(frozen=True, slots=True)
class PreviousGold:
    """What the previous build published: its ``as_of``, every customer's state, the marts.

    ``marts`` is None when the marts cannot be spliced (their masters changed):
    they are then recomputed whole.
    """

    as_of: date
    state: CustomerState
    marts: Mapping[str, pl.LazyFrame] | None


def incremental_gold_tables(
    silver: SilverTables,
    previous: PreviousGold,
    changes: SilverChanges,
    *,
    config: Config,
    as_of: date,
    pii_key: str | None,
) -> GoldTables:
    """Gold as of ``as_of`` from the previous build's and the silver rows added since.

    Equal to :func:`~loyalty_lake.gold.tables.gold_tables` of the same
    silver, as long as the rules, promotions, products and loyalty settings
    did not change, silver only gained rows and ``as_of`` did not move back.
    """
    touched = touched_customers(
        silver,
        changes,
        previous.state.figures.lazy(),
        previous_as_of=previous.as_of,
        as_of=as_of,
    )
    log.info("Gold: recomputing %d customers", touched.len())
    fresh = customer_state_of(silver, touched, config=config, as_of=as_of)
    state = CustomerState.concat([previous.state.without(touched), fresh])
    splice = None
    if previous.marts is not None:
        since = first_changed_day(silver, changes, previous_as_of=previous.as_of)
        log.info("Gold: marts from %s on", since)
        splice = Splice(since=since, previous=previous.marts)
    return published_tables(
        silver,
        state,
        config=config,
        as_of=as_of,
        pii_key=pii_key,
        recomputed=touched.len(),
        splice=splice,
    )


def _new_or_due(silver: SilverTables, changes: SilverChanges, *, previous_as_of: date) -> pl.Expr:
    """Sales headers that are new, have new lines, or came due since ``previous_as_of``."""
    new = pl.concat(
        [
            changes.sales_header.select("transaction_id"),
            changes.sales_lines.select("transaction_id"),
        ]
    ).collect()["transaction_id"]
    return pl.col("transaction_id").is_in(new.implode()) | (
        pl.col("transaction_date") > previous_as_of
    )


def _changed_sales(
    silver: SilverTables, changes: SilverChanges, *, previous_as_of: date
) -> pl.DataFrame:
    """The sales and returns whose figures changed since ``previous_as_of``.

    New, with new lines, newly due, or a return whose original sale just
    arrived (a return is charged to its sale's buyer once the sale is in).
    """
    header = silver.sales_header.select(
        "transaction_id",
        "customer_id",
        "transaction_type",
        "original_transaction_id",
        "transaction_date",
    )
    changed = header.filter(_new_or_due(silver, changes, previous_as_of=previous_as_of)).collect()
    sold = changed.filter(pl.col("transaction_type") == TransactionType.SALE)["transaction_id"]
    returns = header.filter(pl.col("original_transaction_id").is_in(sold.implode())).collect()
    return pl.concat([changed, returns]).unique("transaction_id")


def touched_customers(
    silver: SilverTables,
    changes: SilverChanges,
    figures: pl.LazyFrame,
    *,
    previous_as_of: date,
    as_of: date,
) -> pl.Series:
    """The customers whose per-customer figures may differ from the previous build's, sorted.

    ``figures`` is the previous build's ``customer_state``. A customer is
    touched by a changed sale or return of theirs (:func:`_changed_sales`),
    as the buyer of a changed return, by a redemption that is new or came
    due, and by time: points that expire by ``as_of``, or a tier window that
    loses its oldest event.
    """
    sales = _changed_sales(silver, changes, previous_as_of=previous_as_of)
    buyers = silver.sales_header.filter(
        pl.col("transaction_id").is_in(sales["original_transaction_id"].drop_nulls().implode())
    ).select("customer_id")
    redeemers = pl.concat(
        [
            changes.redemptions.select("customer_id"),
            silver.redemptions.filter(pl.col("redemption_date") > previous_as_of).select(
                "customer_id"
            ),
        ]
    )
    due = figures.filter(
        (pl.col("next_expiry_date") <= as_of)
        | (pl.col("tier_window_from") <= tier_window_start(as_of))
    ).select("customer_id")
    return (
        pl.concat([sales.lazy().select("customer_id"), buyers, redeemers, due])
        .drop_nulls()
        .unique()
        .sort("customer_id")
        .collect()["customer_id"]
    )


def first_changed_day(
    silver: SilverTables, changes: SilverChanges, *, previous_as_of: date
) -> date:
    """The first day whose mart rows can differ from the previous build's.

    The earliest of: the day after ``previous_as_of`` (new days, expiries), the
    days of the changed sales and returns, of new redemptions and of new
    stock snapshots. The ledger of a recomputed customer changes only from
    the first of their changed days on.
    """
    sales = _changed_sales(silver, changes, previous_as_of=previous_as_of)
    days = pl.concat(
        [
            sales.lazy().select(pl.col("transaction_date").alias("day")),
            changes.redemptions.select(pl.col("redemption_date").alias("day")),
            changes.inventory.select(pl.col("snapshot_date").alias("day")),
        ]
    )
    earliest = days.select(pl.col("day").min()).collect().item()
    following = previous_as_of + timedelta(days=1)
    return following if earliest is None else min(earliest, following)


def fingerprints(silver: SilverTables, config: Config) -> dict[str, str]:
    """What the per-customer state (``points``) and the marts (``marts``) were computed from.

    ``points``: the loyalty rules, promotions, product categories and the
    ``[loyalty]`` settings (and the loyalty_lake version); ``marts``: the
    stores and products. Lineage columns do not count: a master landed again
    unchanged leaves its fingerprint as it was.
    """
    products = silver.products.select("product_id", "product_name", "product_category")
    return {
        "points": _digest(
            [silver.loyalty_rules, silver.promotions, products.drop("product_name")],
            f"{config.loyalty!r} {loyalty_lake.__version__}",
        ),
        "marts": _digest([silver.stores, products], ""),
    }


def _digest(frames: list[pl.LazyFrame], settings: str) -> str:
    """SHA-256 of the frames' rows (in a canonical order, lineage left out) and ``settings``."""
    digest = hashlib.sha256(settings.encode())
    for frame in frames:
        data = frame.select(pl.exclude("^_.*$")).collect()
        digest.update(data.sort(data.columns, nulls_last=True).write_csv().encode())
    return digest.hexdigest()
