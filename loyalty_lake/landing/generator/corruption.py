"""How an anomaly is injected: the building blocks every anomaly kind is made of.

A corruption is one of three things:

- an *override*: the text of one column of one row is replaced (``two``,
  an unknown id, an empty string ...);
- a *copy*: a row is repeated directly after its original, possibly with a
  changed non-key value (the copy is the corrupted row);
- both, where a kind must keep other values consistent (an outlier changes a
  line's quantity and amount and its header's total, but only the line is
  recorded).

Each is a :class:`~loyalty_lake.landing.generator.tables.Piece` whose truth
rows name the reject reason the kind must produce (:data:`EXPECTED_REASON`).
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from loyalty_lake.codes import Reason
from loyalty_lake.landing.generator.tables import DUP, ORD, OVERRIDE_SCHEMA, Piece

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


#: The reject reason each anomaly kind must produce.
EXPECTED_REASON: Mapping[str, Reason] = MappingProxyType(
    {
        "missing_required": Reason.NULL_REQUIRED,
        "duplicate_row": Reason.DUPLICATE,
        "duplicate_key": Reason.DUPLICATE,
        "unknown_product": Reason.UNKNOWN_PRODUCT,
        "unknown_store": Reason.UNKNOWN_STORE,
        "unknown_customer": Reason.UNKNOWN_CUSTOMER,
        "unknown_promotion": Reason.UNKNOWN_PROMOTION,
        "nonpositive_value": Reason.NEGATIVE_OR_ZERO,
        "unparseable_number": Reason.INVALID_TYPE,
        "unparseable_date": Reason.INVALID_TYPE,
        "future_date": Reason.INVALID_DATE,
        "total_mismatch": Reason.TOTAL_MISMATCH,
        "outlier": Reason.OUTLIER,
        "redemption_over_balance": Reason.INSUFFICIENT_POINTS,
    }
)


def override_rows(
    rows: pl.DataFrame, column: pl.Expr, value: pl.Expr, dup: int = 0
) -> pl.DataFrame:
    """Returns override rows: for each of ``rows``, ``column`` gets the text ``value``."""
    return rows.select(
        pl.col(ORD).cast(pl.Int64),
        pl.lit(dup, pl.Int8).alias(DUP),
        column.cast(pl.String).alias("column"),
        value.cast(pl.String).alias("value"),
    )


def truth_rows(
    rows: pl.DataFrame,
    *,
    kind: str,
    column: pl.Expr | None,
    detail: pl.Expr,
    dup: int = 0,
) -> pl.DataFrame:
    """Returns ground-truth rows for ``rows`` corrupted by ``kind``."""
    tx = pl.col("transaction_id") if "transaction_id" in rows.columns else pl.lit(None)
    return rows.select(
        pl.col(ORD).cast(pl.Int64),
        pl.lit(dup, pl.Int8).alias(DUP),
        pl.lit(kind).alias("kind"),
        (column if column is not None else pl.lit(None)).cast(pl.String).alias("column"),
        pl.lit(EXPECTED_REASON[kind].value).alias("expected_reason"),
        tx.cast(pl.String).alias("transaction_id"),
        detail.cast(pl.String).alias("detail"),
    )


def no_overrides() -> pl.DataFrame:
    """Returns an empty long overrides frame."""
    return OVERRIDE_SCHEMA.to_frame()


def random_choices(rng: np.random.Generator, options: Sequence[str], n: int) -> pl.Series:
    """Returns ``n`` random choices of ``options`` as a String series."""
    return pl.Series(
        np.asarray(options, dtype=object)[rng.integers(0, len(options), n)], dtype=pl.String
    )


def random_variants(rng: np.random.Generator, variants: int, n: int) -> pl.Series:
    """Returns ``n`` random variant numbers in ``0..variants-1``."""
    return pl.Series("_variant", rng.integers(0, variants, n), dtype=pl.Int8)


def by_variant(cases: Sequence[pl.Expr]) -> pl.Expr:
    """Returns ``cases[v]`` for each row's ``_variant`` ``v``."""
    expr = cases[-1]
    for number in range(len(cases) - 2, -1, -1):
        expr = pl.when(pl.col("_variant") == number).then(cases[number]).otherwise(expr)
    return expr


def quoted(column: str | pl.Expr, value: pl.Expr) -> pl.Expr:
    """Returns a detail text such as ``quantity '0'``."""
    name = pl.lit(column) if isinstance(column, str) else column
    return pl.format("{} '{}'", name, value)


def share_count(rate: float, rows: int) -> int:
    """Returns how many of ``rows`` rows a rate corrupts (rounded half up)."""
    return math.floor(rate * rows + 0.5)


def random_id_text(rng: np.random.Generator, prefix: str, width: int, n: int) -> pl.Series:
    """Returns ``n`` ids ``prefix`` + ``width`` random digits (never a generated id)."""
    numbers = pl.Series(rng.integers(0, 10**width, n))
    return pl.select(pl.lit(prefix) + numbers.cast(pl.String).str.zfill(width)).to_series()


def blank_piece(file: str, rows: pl.DataFrame) -> Piece:
    """Returns the piece blanking column ``_col`` of each of ``rows``."""
    return Piece(
        file=file,
        overrides=override_rows(rows, pl.col("_col"), pl.lit("")),
        truth=truth_rows(
            rows,
            kind="missing_required",
            column=pl.col("_col"),
            detail=pl.format("{} is empty", pl.col("_col")),
        ),
    )


def copy_piece(file: str, rows: pl.DataFrame, kind: str, detail: pl.Expr | None = None) -> Piece:
    """Returns the piece inserting ``rows`` (with ``_dup`` = 1) as recorded copies."""
    copies = rows.with_columns(pl.lit(1, pl.Int8).alias(DUP))
    text = detail if detail is not None else pl.lit("exact copy of the previous row")
    return Piece(
        file=file,
        overrides=no_overrides(),
        truth=truth_rows(rows, kind=kind, column=None, detail=text, dup=1),
        copies=copies,
    )


def value_piece(file: str, rows: pl.DataFrame, kind: str, column: pl.Expr, value: pl.Expr) -> Piece:
    """Returns the piece replacing ``column`` by ``value`` with a ``column 'value'`` detail."""
    rows = rows.with_columns(column.alias("_col"), value.alias("_new"))
    return Piece(
        file=file,
        overrides=override_rows(rows, pl.col("_col"), pl.col("_new")),
        truth=truth_rows(
            rows, kind=kind, column=pl.col("_col"), detail=quoted(pl.col("_col"), pl.col("_new"))
        ),
    )
