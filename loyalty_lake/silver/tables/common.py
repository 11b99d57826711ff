"""What every table's checks share: the run's settings, typing, judging, master data steps.

A table's check types its bronze text (:func:`typed`, keeping the raw text in
``_raw``), evaluates its rules on every row (:func:`judged`) and explains the
failures (:func:`checked`); :mod:`loyalty_lake.silver.split` then splits the
checked rows into silver rows, rejects and warnings in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import DEFAULT_SEVERITY, NormalisationKind, Reason, Severity
from loyalty_lake.landing.contract import PADDED
from loyalty_lake.silver import parse
from loyalty_lake.silver.checks import (
    MALFORMED,
    RAW,
    Rule,
    duplicate,
    explained,
    malformed_row,
    unknown_reference,
    unverified_reference,
    with_duplicates,
    with_known,
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


@dataclass(frozen=True, slots=True)
class Checks:
    """The settings rules need, fixed for one run (``now`` makes them reproducible)."""

    now: datetime
    timezone: str = "UTC"
    future_tolerance: timedelta = timedelta(days=1)
    earliest: date = date(2000, 1, 1)
    outlier_threshold: float = 10.0
    severity: Mapping[Reason, Severity] = field(default_factory=lambda: dict(DEFAULT_SEVERITY))
    reading: parse.Reading = field(default_factory=parse.Reading)
    total_tolerance: Decimal = Decimal("0.01")
    #: A reference to a master that never landed: "warn" (UNVERIFIED_*) or "reject".
    unverified_references: str = "warn"

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
            reading=parse.Reading(
                timezone=config.timezone,
                null_tokens=config.dq.null_tokens,
                null_values=config.dq.null_values,
                dates=config.dq.dates,
                decimal_comma=config.dq.decimal_comma,
                id_rewrites=config.dq.id_rewrites,
            ),
            total_tolerance=config.dq.total_tolerance,
            unverified_references=config.dq.unverified_references,
        )

    def parser(self, table: str, *, staged: bool = True) -> parse.Parser:
        """A parser of ``table``'s columns under this run's reading settings.

        ``staged=False`` for a value used as one expression on its own (see
        :meth:`~loyalty_lake.silver.parse.Parser.prepared`).
        """
        return parse.Parser(table, self.reading, staged=staged)

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


def typed(
    bronze: pl.LazyFrame,
    spec: LandingFile,
    parser: parse.Parser,
    parsers: Mapping[str, pl.Expr],
    *,
    evidence: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """Keep the raw text in ``_raw``, parse the contract columns, flag the normalisations.

    ``parsers`` were built by ``parser``, whose flags (``_n|<column>|<kind>``)
    are added beside them. The file facts they need (a date column's order, a
    currency mix) are computed over each file's rows here, or taken from
    ``evidence`` (one row per ``_file_sha256``, see :func:`file_evidence`) when
    ``bronze`` is only a part of its files. A short row that landing padded
    (``_padded``) is counted as PADDED_ROW of the column ``(row)``. Bronze
    tables landed before malformed rows were kept lack ``_malformed``: their
    rows are all well-formed.
    """
    names = bronze.collect_schema().names()
    if MALFORMED not in names:
        bronze = bronze.with_columns(pl.lit(None, dtype=pl.String).alias(MALFORMED))
    padded = {PADDED_ROW: pl.col(PADDED).is_not_null()} if PADDED in names else {}
    bronze = parser.prepared(bronze)
    facts = parser.facts()
    if facts and evidence is None:
        bronze = bronze.with_columns(
            aggregation.over("_file_sha256").alias(name) for name, aggregation in facts.items()
        )
    elif facts and evidence is not None:
        bronze = bronze.with_columns(_looked_up(evidence, facts))
    return bronze.with_columns(
        pl.struct(*spec.columns, "_extra").alias(RAW), **parser.flags(), **padded
    ).with_columns(**parsers)


#: The flag of a short row padded with nulls by landing (see :func:`typed`).
PADDED_ROW = f"{parse.FLAG}(row)|{NormalisationKind.PADDED_ROW.value}"


def _looked_up(evidence: pl.DataFrame, facts: Mapping[str, pl.Expr]) -> list[pl.Expr]:
    """The file facts of each row, looked up by its file in ``evidence`` (a few rows).

    A lookup by value, not a join: joining millions of rows to a handful costs
    more than the checks it serves.
    """
    files = evidence["_file_sha256"]
    return [
        pl.col("_file_sha256").replace_strict(files, evidence[name], default=None).alias(name)
        for name in facts
    ]


def file_evidence(bronze: pl.LazyFrame, parser: parse.Parser) -> pl.LazyFrame:
    """One row per file of ``bronze``: the file facts ``parser``'s values need."""
    facts = parser.facts()
    if not facts:
        return bronze.select("_file_sha256").unique()
    return parser.prepared(bronze).group_by("_file_sha256").agg(**facts)


def defaulted(parser: parse.Parser, column: str, parsed: pl.Expr, default: object) -> pl.Expr:
    """``parsed``, or ``default`` where the text is missing (unparseable text stays null)."""
    return pl.when(parser.text(column).is_null()).then(pl.lit(default)).otherwise(parsed)


def category(parser: parse.Parser, column: str) -> pl.Expr:
    """A category, or ``ALL`` (any letter case); empty means ``ALL``."""
    value = parser.text(column)
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
    parser: parse.Parser,
    parsers: Mapping[str, pl.Expr],
    rules: list[Rule],
    checks: Checks,
) -> pl.LazyFrame:
    """Master data: a key may appear once per batch; a later batch updates it."""
    frame = with_duplicates(typed(bronze, spec, parser, parsers), spec.key, within=["_batch_id"])
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


#: Per master table: its key, the reason of a key it lacks, and of a master never landed.
_REFERENCES: Mapping[str, tuple[str, Reason, Reason]] = MappingProxyType(
    {
        "customers": ("customer_id", Reason.UNKNOWN_CUSTOMER, Reason.UNVERIFIED_CUSTOMER),
        "stores": ("store_id", Reason.UNKNOWN_STORE, Reason.UNVERIFIED_STORE),
        "products": ("product_id", Reason.UNKNOWN_PRODUCT, Reason.UNVERIFIED_PRODUCT),
        "promotions": ("promotion_id", Reason.UNKNOWN_PROMOTION, Reason.UNVERIFIED_PROMOTION),
    }
)


def referenced(
    frame: pl.LazyFrame, column: str, master: str, *, known: Known, checks: Checks
) -> tuple[pl.LazyFrame, Rule]:
    """``frame`` with ``column`` looked up in ``master``, and the rule that judges it.

    A key the master lacks is UNKNOWN_<MASTER> (curable: the master may land
    later). While the master has no accepted row (its file never landed, or
    none of its rows passed) a reference cannot be checked: with
    ``dq.unverified_references = "warn"`` (the default) it is accepted with an
    UNVERIFIED_<MASTER> warning.
    """
    key, unknown, unverified = _REFERENCES[master]
    keys: pl.DataFrame = getattr(known, master)
    if keys.is_empty() and checks.unverified_references == "warn":
        return frame, unverified_reference(column, unverified, master=master)
    flag = f"_{column}_known"
    return (
        with_known(frame, column, keys[key], flag=flag),
        unknown_reference(column, unknown, known=flag),
    )


def compared_values(spec: LandingFile) -> list[str]:
    """Typed columns compared to tell an exact duplicate from a conflicting one."""
    columns = [c for c in spec.columns if c not in spec.key]
    return ["transaction_at" if c == "transaction_date" else c for c in columns]
