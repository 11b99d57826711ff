"""Text → typed values, as expressions. A value that cannot be parsed becomes null.

Bronze holds every value as text. Silver trims it (an empty value is a
missing value) and parses it strictly: anything the contract does not allow
(``1,234.50``, ``12.345`` as money, ``1e309``, ``NaN``, ``31/10/2026``,
``2026-02-30``, a number beyond 64 bits) is null here, and the rules flag
the row as INVALID_TYPE by comparing the text with the parsed value.
"""

from __future__ import annotations

import polars as pl

MONEY = pl.Decimal(18, 2)
RATE = pl.Decimal(18, 4)

_MONEY = r"^[+-]?\d{1,16}(\.\d{1,2})?$"
_RATE = r"^[+-]?\d{1,14}(\.\d{1,4})?$"
_INTEGER = r"^[+-]?\d{1,19}$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_NAIVE_DATETIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$"
_AWARE_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$"
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def text(column: str) -> pl.Expr:
    """The column's text trimmed of surrounding whitespace; empty text is null."""
    trimmed = pl.col(column).str.strip_chars()
    return pl.when(trimmed != "").then(trimmed)


def code(column: str) -> pl.Expr:
    """A code (``sale``, `` All ``) trimmed and upper-cased; empty is null."""
    return text(column).str.to_uppercase()


def money(column: str) -> pl.Expr:
    """An exact decimal with at most 2 places (``12``, ``12.5``, ``-0.10``)."""
    value = text(column)
    return pl.when(value.str.contains(_MONEY)).then(value).cast(MONEY, strict=False)


def rate(column: str) -> pl.Expr:
    """An exact decimal with at most 4 places, for rates and multipliers."""
    value = text(column)
    return pl.when(value.str.contains(_RATE)).then(value).cast(RATE, strict=False)


def integer(column: str) -> pl.Expr:
    """A whole number that fits 64 bits (``3``, ``-2``, ``+7``)."""
    value = text(column)
    return pl.when(value.str.contains(_INTEGER)).then(value).cast(pl.Int64, strict=False)


def iso_date(column: str) -> pl.Expr:
    """An ISO ``YYYY-MM-DD`` calendar date (``2026-02-30`` is not one)."""
    value = text(column)
    return pl.when(value.str.contains(_DATE)).then(
        value.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    )


def iso_datetime(column: str, *, timezone: str) -> pl.Expr:
    """An ISO 8601 date or date-time as a UTC instant.

    ``2026-10-31``, ``2026-10-31T10:00``, ``2026-10-31 10:00:00.5`` are naive
    and taken in ``timezone``; ``...Z`` and ``...+02:00`` carry their offset.
    """
    value = text(column)
    naive = value.str.replace(" ", "T")
    local = pl.coalesce(
        naive.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False),
        naive.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M", strict=False),
        naive.str.strptime(pl.Date, "%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
    )
    aware = naive.str.replace(r"Z$", "+00:00").str.strptime(
        pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False
    )
    aware_short = naive.str.replace(r"Z$", "+00:00").str.strptime(
        pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M%:z", strict=False
    )
    return (
        pl.when(value.str.contains(_NAIVE_DATETIME))
        .then(
            local.dt.replace_time_zone(
                timezone, ambiguous="earliest", non_existent="null"
            ).dt.convert_time_zone("UTC")
        )
        .when(value.str.contains(_AWARE_DATETIME))
        .then(pl.coalesce(aware, aware_short))
    )


def weekdays(column: str) -> pl.Expr:
    """Days of the week as ``MON|SAT|SUN`` (upper-cased, trimmed); null if any is unknown."""
    days = code(column).str.replace_all(r"\s", "")
    valid = days.str.split("|").list.eval(pl.element().is_in(_WEEKDAYS)).list.all()
    return pl.when(valid).then(days)


def unparsed(column: str, parsed: pl.Expr) -> pl.Expr:
    """True where the column has text that did not parse."""
    return text(column).is_not_null() & parsed.is_null()
