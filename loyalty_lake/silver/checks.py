"""Data quality rules as named boolean expressions, and their evaluation.

A :class:`Rule` pairs a reason code with an expression that is true on the
rows that break it and a message expression. :func:`with_reasons` evaluates
a list of rules on every row at once and records the failed rules' reasons in
the row's reject or warn bit set (by the rule's severity); rules of later
stages can ask whether a row already failed (:func:`is_rejected`).
:func:`explained` finally lists the reasons and messages of the rows that
failed. Nothing is filtered: the split into clean rows and rejects happens
once, at the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import Reason, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

REASONS = "_reasons"
WARNINGS = "_warnings"
REJECT_BITS = "_reject_bits"
WARN_BITS = "_warn_bits"
MESSAGES = "_messages"
RAW = "_raw"
#: Why bronze could not split a row into the header's fields (null for well-formed rows).
MALFORMED = "_malformed"
#: The order of bronze rows: by landing time (the batch landed last is the newest,
#: whatever its name: "b10" after "b9"), then batch, file and row. The first of
#: equal fact keys wins; the last version of a master key wins.
BATCH_ORDER = ("_ingested_at", "_batch_id", "_source_file", "_row_number")
LINEAGE = ("_batch_id", "_source_file", "_file_sha256", "_row_number", "_ingested_at")


@dataclass(frozen=True, slots=True)
class Rule:
    """A data quality rule: rows where ``fails`` is true carry ``reason``."""

    reason: Reason
    fails: pl.Expr
    message: pl.Expr


def _bit(reason: Reason) -> int:
    return 1 << list(Reason).index(reason)  # at most 64 reasons: a UInt64 bit set


def _bits(reasons: Iterable[Reason]) -> pl.Expr:
    return pl.lit(sum(_bit(r) for r in set(reasons)), dtype=pl.UInt64)


def with_reasons(
    frame: pl.LazyFrame,
    rules: Sequence[Rule],
    *,
    severity: Mapping[Reason, Severity],
) -> pl.LazyFrame:
    """Evaluate ``rules`` on every row; add the failed ones' reasons to the row's bit sets.

    Bit sets (``_reject_bits``, ``_warn_bits``) keep this cheap on every row;
    :func:`explained` turns them into reason lists and messages at the end,
    for the rows that failed only. A malformed row (see :func:`malformed_row`)
    is judged by that rule alone: its fields are not the file's columns.
    """
    names = frame.collect_schema().names()

    def bits(level: Severity) -> pl.Expr:
        column = REJECT_BITS if level is Severity.REJECT else WARN_BITS
        total = pl.col(column) if column in names else pl.lit(0, dtype=pl.UInt64)
        for rule in rules:
            if severity.get(rule.reason, Severity.REJECT) is level:
                total = total | pl.when(_fails(rule)).then(_bits([rule.reason])).otherwise(
                    pl.lit(0, dtype=pl.UInt64)
                )
        return total.alias(column)

    return frame.with_columns(bits(Severity.REJECT), bits(Severity.WARN))


def _fails(rule: Rule) -> pl.Expr:
    """Where ``rule`` fails: never on a malformed row, unless it is the malformed-row rule."""
    fails = rule.fails.fill_null(False)
    if rule.reason is Reason.MALFORMED_ROW:
        return fails
    return fails & pl.col(MALFORMED).is_null()


def explained(frame: pl.LazyFrame, rules: Sequence[Rule]) -> pl.LazyFrame:
    """Add ``_reasons`` and ``_warnings`` (lists of codes) and ``_messages``.

    ``rules`` are all the rules evaluated on ``frame``; their messages are
    built for the rows that failed something (clean rows get empty lists).
    """

    def codes(column: str) -> pl.Expr:
        return pl.concat_list(
            pl.when((pl.col(column) & _bits([r])) != 0).then(pl.lit(r.value)) for r in Reason
        ).list.drop_nulls()

    flagged = (pl.col(REJECT_BITS) | pl.col(WARN_BITS)) != 0
    empty = pl.lit([], dtype=pl.List(pl.String))
    frame = frame.cache()  # read by both halves below
    clean = frame.filter(flagged.not_()).with_columns(
        empty.alias(REASONS), empty.alias(WARNINGS), pl.lit(None, dtype=pl.String).alias(MESSAGES)
    )
    failed = frame.filter(flagged).with_columns(
        codes(REJECT_BITS).alias(REASONS),
        codes(WARN_BITS).alias(WARNINGS),
        pl.concat_str(
            [pl.when(_fails(rule)).then(rule.message) for rule in rules],
            separator="; ",
            ignore_nulls=True,
        ).alias(MESSAGES),
    )
    return pl.concat([clean, failed])


def is_rejected() -> pl.Expr:
    """True for rows with at least one reject reason."""
    return pl.col(REJECT_BITS) != 0


def has_own_reasons(*, ignoring: Sequence[Reason] = ()) -> pl.Expr:
    """True for rows with a reject reason other than ``ignoring``."""
    return (pl.col(REJECT_BITS) & ~_bits(ignoring)) != 0


# --- rule builders --------------------------------------------------------------------


def raw(column: str) -> pl.Expr:
    """The bronze text of ``column``, trimmed; empty is null."""
    value = pl.col(RAW).struct.field(column).str.strip_chars()
    return pl.when(value != "").then(value)


def malformed_row() -> Rule:
    """MALFORMED_ROW: bronze could not split the row into the header's fields."""
    return Rule(
        Reason.MALFORMED_ROW,
        pl.col(MALFORMED).is_not_null(),
        pl.format("malformed row ({})", pl.col(MALFORMED)),
    )


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


def unverified_reference(column: str, reason: Reason, *, master: str) -> Rule:
    """UNVERIFIED_*: a non-empty reference to a master table that has never landed."""
    return Rule(
        reason,
        pl.col(column).is_not_null(),
        pl.format(
            f"{column} {{}} cannot be verified: no {master} have landed yet", _quoted(raw(column))
        ),
    )


def with_known(
    frame: pl.LazyFrame, column: str, keys: pl.Series | pl.LazyFrame, *, flag: str
) -> pl.LazyFrame:
    """Add boolean ``flag``: whether ``column``'s value is one of ``keys``.

    ``keys`` is a Series (looked up by value: fast for small master data) or
    a one-column LazyFrame (joined: for large key sets such as earlier sales).
    """
    if isinstance(keys, pl.Series):
        return frame.with_columns(
            pl.col(column).is_in(keys.unique().implode()).fill_null(False).alias(flag)
        )
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
    order = list(BATCH_ORDER)
    complete = pl.all_horizontal(pl.col(k).is_not_null() for k in key)
    shared = complete & pl.struct(group).is_duplicated()

    def first(column: str | pl.Expr) -> pl.Expr:
        expr = pl.col(column) if isinstance(column, str) else column
        return expr.first().over(group, order_by=order)

    in_run = pl.when(pl.int_range(pl.len()).over(group, order_by=order) > 0).then(
        pl.format(
            "{} of {} row {} (same {})",
            pl.when(pl.col(RAW) == first(RAW))
            .then(pl.lit("exact duplicate"))
            .otherwise(pl.lit("conflicting duplicate")),
            first("_source_file"),
            first("_row_number"),
            pl.lit(", ".join(key)),
        )
    )
    # Keys are almost always unique: order the few shared ones only.
    flagged = frame.with_columns(shared.alias("_shared")).cache()
    frame = pl.concat(
        [
            flagged.filter(pl.col("_shared").not_()).with_columns(
                pl.lit(None, dtype=pl.String).alias("_dup_message")
            ),
            flagged.filter(pl.col("_shared")).with_columns(in_run.alias("_dup_message")),
        ]
    ).drop("_shared")
    if existing is None:
        return frame
    # Silver holds a key once. Joined whole: narrowing it to the frame's keys
    # first costs a unique of every key, more than the join saves.
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
