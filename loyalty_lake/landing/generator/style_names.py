"""The export styles by name: what ``GeneratorOptions.styles`` and ``--style`` choose from.

A module of its own, importing nothing heavy, so that ``loyalty-lake --help`` lists
the styles without loading the generator; :mod:`.styles` applies them.
"""

from __future__ import annotations

from enum import StrEnum


class ExportStyle(StrEnum):
    """One way a real export writes its files; ``messy`` is all of them, mixed."""

    INTEGRAL_FLOATS = "integral_floats"
    LEADING_ZEROS = "leading_zeros"
    WHITESPACE = "whitespace"
    NULL_TOKENS = "null_tokens"
    CURRENCY = "currency"
    ISO_DATETIMES = "iso_datetimes"
    YEAR_FIRST_SLASHES = "year_first_slashes"
    DAY_FIRST = "day_first"
    MONTH_FIRST = "month_first"
    TWELVE_HOUR = "twelve_hour"
    BLANK_LINES = "blank_lines"
    SHORT_ROWS = "short_rows"
    SEMICOLONS = "semicolons"
    TABS = "tabs"
    PIPES = "pipes"
    GZIP = "gzip"
    ZIP = "zip"
    HEADER_CASE = "header_case"
    COLUMN_ORDER = "column_order"
    ALIASES = "aliases"
    BOM = "bom"
    CRLF = "crlf"
    MESSY = "messy"
