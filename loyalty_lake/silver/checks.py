"""Data quality rules as named boolean expressions, and their evaluation.

A :class:`Rule` pairs a reason code with an expression that is true on the
rows that break it and a message expression. :func:`with_reasons` evaluates
a list of rules on every row at once and appends the reasons of the failed
rules to the row's ``_reasons`` (severity *reject*) or ``_warnings``
(severity *warn*) list, and their messages to ``_messages``. Nothing is
filtered: the split into clean rows and rejects happens once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.contract import Reason

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

REASONS = "_reasons"
WARNINGS = "_warnings"
MESSAGES = "_messages"
RAW = "_raw"
#: The order of bronze rows: by batch id (batch ids sort chronologically, e.g.
#: 2026-10-31), then file and row. The first of equal fact keys wins; the last
#: version of a master key wins. Landing order does not matter.
BATCH_ORDER = ("_batch_id", "_source_file", "_row_number")
LINEAGE = ("_batch_id", "_source_file", "_file_sha256", "_row_number", "_ingested_at")


class Severity(StrEnum):
    """What a failed rule does to its row."""

    REJECT = "reject"
    WARN = "warn"


#: Severities by default; reasons not listed reject.
DEFAULT_SEVERITY: Mapping[Reason, Severity] = {
    Reason.OUTLIER: Severity.WARN,
    Reason.INVALID_EMAIL: Severity.WARN,
    Reason.INVALID_PHONE: Severity.WARN,
}
#: Reasons whose severity may be configured. The others guard the silver
#: contract itself (types, keys, references) and always reject.
CONFIGURABLE = frozenset(
    {
        Reason.OUTLIER,
        Reason.INVALID_EMAIL,
        Reason.INVALID_PHONE,
        Reason.TOTAL_MISMATCH,
        Reason.UNKNOWN_PROMOTION,
    }
)


@dataclass(frozen=True, slots=True)
class Rule:
    """A data quality rule: rows where ``fails`` is true carry ``reason``."""

    reason: Reason
    fails: pl.Expr
    message: pl.Expr


def with_reasons(
    frame: pl.LazyFrame,
    rules: Sequence[Rule],
    *,
    severity: Mapping[Reason, Severity],
) -> pl.LazyFrame:
    """Evaluate ``rules`` on every row; append failures to the row's reasons."""
    if not rules:
        return frame
    names = frame.collect_schema().names()

    def failed(level: Severity) -> pl.Expr:
        codes = [
            pl.when(rule.fails.fill_null(False)).then(pl.lit(rule.reason.value))
            for rule in rules
            if severity.get(rule.reason, Severity.REJECT) is level
        ]
        column = REASONS if level is Severity.REJECT else WARNINGS
        before = pl.col(column) if column in names else pl.lit([], dtype=pl.List(pl.String))
        if not codes:
            return before.alias(column)
        return (
            pl.concat_list(before, *codes).list.drop_nulls().list.unique(maintain_order=True)
        ).alias(column)

    messages: list[pl.Expr] = [pl.col(MESSAGES)] if MESSAGES in names else []
    messages += [pl.when(rule.fails.fill_null(False)).then(rule.message) for rule in rules]
    return frame.with_columns(
        failed(Severity.REJECT),
        failed(Severity.WARN),
        pl.concat_str(messages, separator="; ", ignore_nulls=True).alias(MESSAGES),
    )


def is_rejected() -> pl.Expr:
    """True for rows with at least one reject reason."""
    return pl.col(REASONS).list.len() > 0


def has_own_reasons(*, ignoring: Sequence[Reason] = ()) -> pl.Expr:
    """True for rows with a reject reason other than ``ignoring``."""
    others = pl.col(REASONS).list.set_difference(pl.lit([r.value for r in ignoring]))
    return others.list.len() > 0


# --- rule builders --------------------------------------------------------------------


def raw(column: str) -> pl.Expr:
    """The bronze text of ``column``, trimmed; empty is null."""
    value = pl.col(RAW).struct.field(column).str.strip_chars()
    return pl.when(value != "").then(value)


def null_required(columns: Sequence[str]) -> list[Rule]:
    """NULL_REQUIRED: a required value is empty or missing."""
    return [Rule(Reason.NULL_REQUIRED, raw(c).is_null(), pl.lit(f"{c} is empty")) for c in columns]


def invalid_type(columns: Mapping[str, str]) -> list[Rule]:
    """INVALID_TYPE: text that did not parse as ``columns[c]`` (e.g. 'a date')."""
    return [
        Rule(
            Reason.INVALID_TYPE,
            raw(c).is_not_null() & pl.col(c).is_null(),
            pl.format(f"{c} {{}} is not {kind}", _quoted(raw(c))),
        )
        for c, kind in columns.items()
    ]


def non_positive(columns: Sequence[str], *, allow_zero: bool = False) -> list[Rule]:
    """NEGATIVE_OR_ZERO: a quantity, amount or count that must be positive is not."""
    return [
        Rule(
            Reason.NEGATIVE_OR_ZERO,
            pl.col(c) < 0 if allow_zero else pl.col(c) <= 0,
            pl.format(
                f"{c} {{}} must be {'zero or more' if allow_zero else 'positive'}",
                _quoted(raw(c)),
            ),
        )
        for c in columns
    ]


def future_date(column: str, *, latest: pl.Expr, source: str | None = None) -> Rule:
    """INVALID_DATE: an event dated after ``latest`` (now plus the tolerance).

    ``source`` names the bronze column the value was parsed from, if not ``column``.
    """
    text = source or column
    return Rule(
        Reason.INVALID_DATE,
        pl.col(column) > latest,
        pl.format(f"{text} {{}} is in the future", _quoted(raw(text))),
    )


def too_old(column: str, *, earliest: pl.Expr) -> Rule:
    """INVALID_DATE: a date before the earliest plausible one."""
    return Rule(
        Reason.INVALID_DATE,
        pl.col(column) < earliest,
        pl.format(f"{column} {{}} is before the earliest plausible date", _quoted(raw(column))),
    )


def ends_before_start(start: str, end: str) -> Rule:
    """INVALID_DATE: a window whose end comes before its start."""
    return Rule(
        Reason.INVALID_DATE,
        pl.col(end) < pl.col(start),
        pl.format(f"{end} {{}} is before {start} {{}}", _quoted(raw(end)), _quoted(raw(start))),
    )


def unknown_reference(column: str, reason: Reason, *, known: str) -> Rule:
    """UNKNOWN_*: a non-empty reference whose key is not known (``known`` is a flag)."""
    return Rule(
        reason,
        pl.col(column).is_not_null() & pl.col(known).not_(),
        pl.format(f"{column} {{}} is unknown", _quoted(raw(column))),
    )


def with_known(frame: pl.LazyFrame, column: str, keys: pl.LazyFrame, *, flag: str) -> pl.LazyFrame:
    """Add boolean ``flag``: whether ``column``'s value is one of ``keys``' (one column)."""
    (key,) = keys.collect_schema().names()
    known = keys.unique().rename({key: column}).with_columns(pl.lit(True).alias(flag))
    return frame.join(known, on=column, how="left").with_columns(pl.col(flag).fill_null(False))


def _quoted(value: pl.Expr) -> pl.Expr:
    return pl.format("'{}'", value.fill_null(""))


# --- duplicates ----------------------------------------------------------------------


def with_duplicates(
    frame: pl.LazyFrame,
    key: Sequence[str],
    *,
    within: Sequence[str] = (),
    existing: pl.LazyFrame | None = None,
    compare: Sequence[str] = (),
) -> pl.LazyFrame:
    """Add ``_dup_message``: why the row duplicates another (null if it does not).

    A row duplicates an earlier row (in batch order) with the same non-null ``key``
    (within each ``within`` group, e.g. per batch for master data), or a row
    already in silver (``existing``, which holds ``key``, ``compare`` and
    ``_batch_id``). Exact copies and conflicting rows are told apart.
    """
    group = [*key, *within]
    complete = pl.all_horizontal(pl.col(k).is_not_null() for k in key)
    first = pl.int_range(pl.len()).over(group, order_by=list(BATCH_ORDER)) == 0
    same_as_first = pl.col(RAW) == pl.col(RAW).first().over(group, order_by=list(BATCH_ORDER))
    first_place = pl.format(
        "{} row {}",
        pl.col("_source_file").first().over(group, order_by=list(BATCH_ORDER)),
        pl.col("_row_number").first().over(group, order_by=list(BATCH_ORDER)),
    )
    in_run = (
        pl.when(complete & first.not_())
        .then(
            pl.format(
                "{} of {} (same {})",
                pl.when(same_as_first)
                .then(pl.lit("exact duplicate"))
                .otherwise(pl.lit("conflicting duplicate")),
                first_place,
                pl.lit(", ".join(key)),
            )
        )
        .alias("_dup_message")
    )
    frame = frame.with_columns(in_run)
    if existing is None:
        return frame
    silver = existing.select(
        *key,
        pl.col("_batch_id").alias("_silver_batch"),
        pl.struct(compare).alias("_silver_values"),
    )
    in_silver = pl.when(pl.col("_silver_batch").is_not_null()).then(
        pl.format(
            "{} the row already in silver from batch {}",
            pl.when(pl.struct(compare) == pl.col("_silver_values"))
            .then(pl.lit("exact duplicate of"))
            .otherwise(pl.lit("conflicts with")),
            pl.col("_silver_batch"),
        )
    )
    return (
        frame.join(silver, on=list(key), how="left", nulls_equal=False)
        .with_columns(pl.coalesce("_dup_message", in_silver).alias("_dup_message"))
        .drop("_silver_batch", "_silver_values")
    )


def duplicate() -> Rule:
    """DUPLICATE: the row's key was seen before (see :func:`with_duplicates`)."""
    return Rule(Reason.DUPLICATE, pl.col("_dup_message").is_not_null(), pl.col("_dup_message"))
