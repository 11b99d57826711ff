"""What every table's checks share: the run's settings, typing, judging, master data steps.

A table's check types its bronze text (:func:`typed`, keeping the raw text in
``_raw``), evaluates its rules on every row (:func:`judged`) and explains the
failures (:func:`checked`); :mod:`loyalty_lake.silver.split` then splits the
checked rows into silver rows, rejects and warnings in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import DEFAULT_SEVERITY, Reason, Severity
from loyalty_lake.silver import parse
from loyalty_lake.silver.checks import (
    MALFORMED,
    RAW,
    Rule,
    duplicate,
    explained,
    malformed_row,
    with_duplicates,
    with_reasons,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loyalty_lake.config import Config
    from loyalty_lake.landing.contract import LandingFile

ISO_DATE = "an ISO date (YYYY-MM-DD)"
DECIMAL_2 = "a decimal number with at most 2 places"
DECIMAL_4 = "a decimal number with at most 4 places"
INTEGER = "a whole number"
_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_PHONE = r"^\+?[0-9(][0-9 ().-]{5,19}$"
_TOLERANCE = pl.lit(0.01).cast(parse.MONEY)


@dataclass(frozen=True, slots=True)
class Checks:
    """The settings rules need, fixed for one run (``now`` makes them reproducible)."""

    now: datetime
    timezone: str = "UTC"
    future_tolerance: timedelta = timedelta(days=1)
    earliest: date = date(2000, 1, 1)
    outlier_threshold: float = 10.0
    severity: Mapping[Reason, Severity] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))

    @classmethod
    def from_config(cls, config: Config, *, now: datetime) -> Checks:
        """The checks a configuration asks for."""
        return cls(
            now=now,
            timezone=config.timezone,
            future_tolerance=timedelta(days=config.dq.future_tolerance_days),
            earliest=config.dq.earliest_date,
            outlier_threshold=config.dq.outlier_threshold,
            severity={**DEFAULT_SEVERITY, **config.dq.severity},
        )

    @property
    def latest(self) -> datetime:
        """The latest plausible event time."""
        return (self.now + self.future_tolerance).astimezone(UTC)

    def latest_date(self) -> pl.Expr:
        """The latest plausible event date, as a literal."""
        return pl.lit(self.latest.date())

    def earliest_date(self) -> pl.Expr:
        """The earliest plausible date, as a literal."""
        return pl.lit(self.earliest)


def typed(bronze: pl.LazyFrame, spec: LandingFile, parsers: Mapping[str, pl.Expr]) -> pl.LazyFrame:
    """Keep the raw text in ``_raw`` and parse the contract columns.

    Bronze tables landed before malformed rows were kept lack ``_malformed``:
    their rows are all well-formed.
    """
    if MALFORMED not in bronze.collect_schema().names():
        bronze = bronze.with_columns(pl.lit(None, dtype=pl.String).alias(MALFORMED))
    return bronze.with_columns(pl.struct(*spec.columns, "_extra").alias(RAW)).with_columns(
        **parsers
    )


def defaulted(column: str, parsed: pl.Expr, default: object) -> pl.Expr:
    """``parsed``, or ``default`` where the text is empty (unparseable text stays null)."""
    return pl.when(parse.text(column).is_null()).then(pl.lit(default)).otherwise(parsed)


def category(column: str) -> pl.Expr:
    """A category, or ``ALL`` (any letter case); empty means ``ALL``."""
    value = parse.text(column)
    return (
        pl.when(value.is_null() | (value.str.to_uppercase() == "ALL"))
        .then(pl.lit("ALL"))
        .otherwise(value)
    )


def judged(frame: pl.LazyFrame, rules: list[Rule], checks: Checks) -> pl.LazyFrame:
    """Evaluate ``rules`` on ``frame``, recording failures in the row's bit sets."""
    return with_reasons(frame, rules, severity=checks.severity)


def checked(frame: pl.LazyFrame, rules: list[Rule], checks: Checks) -> pl.LazyFrame:
    """Evaluate ``rules`` (the only ones) and explain the failures."""
    return explained(judged(frame, rules, checks), rules)


def master(
    bronze: pl.LazyFrame,
    spec: LandingFile,
    parsers: Mapping[str, pl.Expr],
    rules: list[Rule],
    checks: Checks,
) -> pl.LazyFrame:
    """Master data: a key may appear once per batch; a later batch updates it."""
    frame = with_duplicates(typed(bronze, spec, parsers), spec.key, within=["_batch_id"])
    return checked(frame, [malformed_row(), *rules, duplicate()], checks)


@dataclass(frozen=True, slots=True)
class Known:
    """The master data facts may reference: silver plus this run's accepted rows.

    Master data is small next to the facts, so it is held in memory and looked
    up by value (no join over the facts). ``products`` has ``product_id`` and
    ``product_category``; the others their key column.
    """

    stores: pl.DataFrame
    products: pl.DataFrame
    customers: pl.DataFrame
    promotions: pl.DataFrame

    @classmethod
    def from_masters(cls, masters: Mapping[str, pl.DataFrame]) -> Known:
        """The keys of silver master tables (``stores``, ``products``, ...)."""
        return cls(
            stores=masters["stores"].select("store_id"),
            products=masters["products"].select("product_id", "product_category"),
            customers=masters["customers"].select("customer_id"),
            promotions=masters["promotions"].select("promotion_id"),
        )


def compared_values(spec: LandingFile) -> list[str]:
    """Typed columns compared to tell an exact duplicate from a conflicting one."""
    columns = [c for c in spec.columns if c not in spec.key]
    return ["transaction_at" if c == "transaction_date" else c for c in columns]
