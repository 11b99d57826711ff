"""The landing contract: which CSV files a batch may hold and their columns.

This module is the single source of truth for contract section 1 (see
``docs/data-contract.md``). The generator writes files that follow it, bronze
ingestion checks landed files against it, and silver types its columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True, slots=True)
class LandingFile:
    """One landing file of the contract.

    ``name`` is the canonical table name (the bronze and silver table are
    called the same); ``aliases`` are other file stems accepted for it;
    ``columns`` lists every contract column in canonical order and
    ``required`` the ones a file must have; ``column_aliases`` maps other
    header names (normalised) to the contract column they stand for.
    """

    name: str
    columns: tuple[str, ...]
    required: frozenset[str]
    key: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    is_fact: bool = False
    column_aliases: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def filename(self) -> str:
        """The canonical file name, e.g. ``sales_lines.csv``."""
        return f"{self.name}.csv"

    @property
    def optional(self) -> tuple[str, ...]:
        """Contract columns a file may leave out."""
        return tuple(c for c in self.columns if c not in self.required)


def _file(
    name: str,
    columns: str,
    required: str,
    key: str,
    *,
    aliases: tuple[str, ...] = (),
    is_fact: bool = False,
    column_aliases: Mapping[str, str] | None = None,
) -> LandingFile:
    return LandingFile(
        name=name,
        columns=tuple(columns.split()),
        required=frozenset(required.split()),
        key=tuple(key.split()),
        aliases=aliases,
        is_fact=is_fact,
        column_aliases=MappingProxyType(dict(column_aliases or {})),
    )


STORES = _file(
    "stores",
    "store_id store_name store_city store_region opening_date",
    "store_id",
    "store_id",
)
PRODUCTS = _file(
    "products",
    "product_id product_name product_category unit_price current_stock_level",
    "product_id product_category unit_price",
    "product_id",
)
CUSTOMERS = _file(
    "customers",
    "customer_id first_name last_name email phone enrollment_date loyalty_status",
    "customer_id",
    "customer_id",
    aliases=("customer_details",),
)
PROMOTIONS = _file(
    "promotions",
    "promotion_id promotion_name start_date end_date discount_percentage "
    "applicable_category points_multiplier",
    "promotion_id start_date end_date",
    "promotion_id",
    aliases=("promotion_details",),
)
LOYALTY_RULES = _file(
    "loyalty_rules",
    "rule_id rule_name points_per_unit_spend min_spend_threshold bonus_points "
    "applicable_category valid_from valid_to days_of_week",
    "rule_id points_per_unit_spend",
    "rule_id",
    # Exports that name a rule's validity like a promotion's.
    column_aliases={"start_date": "valid_from", "end_date": "valid_to"},
)
SALES_HEADER = _file(
    "sales_header",
    "transaction_id customer_id store_id transaction_date total_amount "
    "transaction_type original_transaction_id",
    "transaction_id store_id transaction_date total_amount",
    "transaction_id",
    aliases=("store_sales_header",),
    is_fact=True,
)
SALES_LINES = _file(
    "sales_lines",
    "line_item_id transaction_id product_id promotion_id quantity line_item_amount",
    "line_item_id transaction_id product_id quantity line_item_amount",
    "transaction_id line_item_id",
    aliases=("store_sales_line_items", "sales_line_items"),
    is_fact=True,
)
REDEMPTIONS = _file(
    "redemptions",
    "redemption_id customer_id redemption_date points_redeemed store_id",
    "redemption_id customer_id redemption_date points_redeemed",
    "redemption_id",
    is_fact=True,
)
INVENTORY = _file(
    "inventory",
    "snapshot_date store_id product_id stock_level",
    "snapshot_date store_id product_id stock_level",
    "snapshot_date store_id product_id",
    is_fact=True,
)

#: Every landing file of the contract, by canonical name, in load order
#: (masters before the facts that reference them).
LANDING_FILES: Mapping[str, LandingFile] = MappingProxyType(
    {
        f.name: f
        for f in (
            STORES,
            PRODUCTS,
            CUSTOMERS,
            PROMOTIONS,
            LOYALTY_RULES,
            SALES_HEADER,
            SALES_LINES,
            REDEMPTIONS,
            INVENTORY,
        )
    }
)

#: The references of fact files to master files: (file, column) → (master file, its key).
REFERENCES: Mapping[tuple[str, str], tuple[str, str]] = MappingProxyType(
    {
        ("sales_header", "customer_id"): ("customers", "customer_id"),
        ("sales_header", "store_id"): ("stores", "store_id"),
        ("sales_lines", "product_id"): ("products", "product_id"),
        ("sales_lines", "promotion_id"): ("promotions", "promotion_id"),
        ("redemptions", "customer_id"): ("customers", "customer_id"),
        ("redemptions", "store_id"): ("stores", "store_id"),
        ("inventory", "store_id"): ("stores", "store_id"),
        ("inventory", "product_id"): ("products", "product_id"),
    }
)

#: Files every batch must contain.
REQUIRED_FILES: frozenset[str] = frozenset({"sales_header", "sales_lines"})

_BY_STEM: Mapping[str, LandingFile] = MappingProxyType(
    {stem: f for f in LANDING_FILES.values() for stem in (f.name, *f.aliases)}
)


def landing_file_for(filename: str) -> LandingFile | None:
    """The contract file a landed file name stands for, or None if unknown.

    Matching is case-insensitive and accepts the canonical name or an alias:
    ``Customer_Details.CSV`` is the ``customers`` file.
    """
    stem, dot, ext = filename.strip().rpartition(".")
    if not dot or ext.lower() != "csv":
        return None
    return _BY_STEM.get(stem.lower())


def batch_order(batch_id: str) -> tuple[tuple[int, int | str], ...]:
    """A batch id's place in natural order: ``b9`` before ``b10``, dates as written.

    Runs of digits compare as numbers, other text case-insensitively. Used to
    land a landing folder's batches in order and to notice a batch landed after
    a newer one; which version of a master wins is decided by the landing order.
    """
    parts = re.findall(r"\d+|\D+", batch_id)
    return tuple((0, int(part)) if part.isdigit() else (1, part.lower()) for part in parts)


def normalise_column(name: str) -> str:
    """Column names are matched case-insensitively after trimming."""
    return name.strip().lower()


def column_aliases(spec: LandingFile, configured: Mapping[str, str]) -> dict[str, str]:
    """Header names standing for ``spec``'s contract columns: built-in, then configured.

    ``configured`` is the ``landing.column_aliases`` setting:
    ``{"file.header name": "column"}``, e.g. ``{"sales_lines.qty": "quantity"}``.
    """
    aliases = dict(spec.column_aliases)
    for key, column in configured.items():
        table, dot, header = key.partition(".")
        if dot and table.strip().lower() == spec.name:
            aliases[normalise_column(header)] = normalise_column(column)
    return aliases


# A landing file's records as read, before they are mapped to contract columns:
# ``c0, c1, ...`` (file order, text), the record's number among the file's data
# records, for a malformed record why and its raw text, and for a short record
# how many of its last fields were padded with nulls.
ROW_NUMBER, MALFORMED, RECORD = "_row_number", "_malformed", "_record"
PADDED = "_padded"


def raw_column(position: int) -> str:
    """The name a raw file column has before mapping: ``c0``, ``c1``, ..."""
    return f"c{position}"
