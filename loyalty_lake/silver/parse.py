"""Text → typed values, as expressions, normalising only what is certain.

Bronze holds every value as text. Silver trims it, reads null tokens
(``NULL``, ``N/A``, ``nan``...) as missing, and parses what real exports
write when its meaning is certain: ``3.0`` or ``03`` in an integer column is
3, ``15.0`` as an id is ``15``, ``$1,234.50``, ``₹9,106.76``, ``5393.00 INR``
are money, ``2024/05/27`` and ``27/05/2024 1:15 PM`` are dates once the
column proves its day-first (or month-first) order. What is not certain
(``2.5`` as a quantity, ``12,34``, a column mixing currencies, ``01/02/2024``
without proof) is never guessed: it stays null here and a rule rejects the
row, naming the setting that settles it.

Every normalisation is recorded: a :class:`Parser` remembers, per column,
the kinds it applied as boolean columns ``_n|<column>|<kind>`` added next to
the parsed values (:meth:`Parser.flags`); silver counts them per file.

A value's reading reuses its steps many times (the trimmed text, a masked
copy, the parts of a date); written as one expression each step would be a
copy of the ones before, so the parser computes them once, as columns
``_s|<column>|<step>`` added in order before the values (:meth:`Parser.stages`,
:meth:`Parser.prepared`). Values already canonical (nearly all of them) are
masked out of the costly steps, which skip nulls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from loyalty_lake.codes import MONEY, RATE, NormalisationKind, Reason
from loyalty_lake.config import NULL_TOKENS, IdRewrite
from loyalty_lake.silver.checks import RAW, Rule

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: The prefix of the flag columns a parser adds: ``_n|<column>|<kind>``.
FLAG = "_n|"
_AMBIGUOUS = "_ambiguous|"
_FACT = "_file|"
_MIXED = "_mixed|"
#: The prefix of the columns of a reading's steps: ``_s|<column>|<step>``.
STEP = "_s|"

_MONEY = r"^[+-]?\d{1,16}(\.\d{1,2})?$"
_RATE = r"^[+-]?\d{1,14}(\.\d{1,4})?$"
_INTEGER = r"^[+-]?\d{1,19}$"
_INTEGRAL_FLOAT = r"^[+-]?\d{1,19}\.0+$"
_LEADING_ZEROS = r"^[+-]?0\d"
_ID_FLOAT = r"^\d{1,19}\.0+$"
_CURRENCY = r"^[+-]?\s*(?:[$€£¥₹]|[A-Z]{3})?\s*[+-]?[\d.,]+\s*(?:[$€£¥₹]|[A-Z]{3})?$"
_MARK = r"[$€£¥₹]|\b[A-Z]{3}\b"
_GROUPED = r"^\d{1,3}(,\d{3})+(\.\d{1,2})?$"
_GROUPED_COMMA = r"^\d{1,3}(\.\d{3})+(,\d{1,2})?$"
_DECIMAL_COMMA = r"^\d{1,16}(,\d{1,2})?$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_NAIVE_DATETIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$"
_AWARE_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$"
_YEAR_FIRST_SLASHES = r"^\d{4}/\d{1,2}/\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"
#: Day and month in either order: ``27/05/2024``, ``5-27-2024``, ``27.05.2024``, with a time.
_NUMERIC_DATE = (
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?)?$"
)
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")

DAY_FIRST, MONTH_FIRST = "day-first", "month-first"


@dataclass(frozen=True, slots=True)
class Reading:
    """How values are read, beyond what is certain: the answers to the ambiguous cases.

    Keys of the mappings are ``"<table>.<column>"``. ``dates`` holds
    ``"day-first"``, ``"month-first"`` or a strftime format; ``decimal_comma``
    names tables (``"sales_lines"``) or columns whose money uses a decimal comma.
    """

    timezone: str = "UTC"
    null_tokens: tuple[str, ...] = NULL_TOKENS
    null_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dates: Mapping[str, str] = field(default_factory=dict)
    decimal_comma: tuple[str, ...] = ()
    id_rewrites: tuple[IdRewrite, ...] = ()


@dataclass(slots=True)
class Parser:
    """Parses one table's columns under a :class:`Reading` and records its normalisations.

    Each method returns the parsed value of a bronze text column (null where
    the text is missing or not certain) and remembers the normalisations it
    may apply; :meth:`flags` gives them as boolean columns of the bronze rows.
    """

    table: str
    reading: Reading = field(default_factory=Reading)
    #: False: every step inline (one expression per value, for a single use).
    staged: bool = True
    _flags: dict[str, pl.Expr] = field(default_factory=dict)
    _facts: dict[str, pl.Expr] = field(default_factory=dict)
    _steps: dict[str, pl.Expr] = field(default_factory=dict)
    _levels: dict[str, int] = field(default_factory=dict)

    # --- plain text ---------------------------------------------------------------------

    def _key(self, column: str) -> str:
        return f"{self.table}.{column}"

    def _trimmed(self, column: str) -> pl.Expr:
        return self._step(column, "trimmed", pl.col(column).str.strip_chars())

    def _missing(self, column: str) -> pl.Expr:
        """Whether the text is missing: empty, or a null token (of the table or the column)."""
        tokens = [*self.reading.null_tokens, *self.reading.null_values.get(self._key(column), ())]
        trimmed = self._trimmed(column)
        return self._step(column, "missing", (trimmed == "") | trimmed.is_in(tokens))

    def _file_fact(self, name: str, aggregation: pl.Expr) -> pl.Expr:
        """A fact of a whole file (``aggregation`` over its rows), as a column of each row.

        Facts decide per column and file what no single value can (the order of
        a date column, a mix of currencies); see :meth:`facts`.
        """
        self._facts[f"{_FACT}{name}"] = aggregation
        return pl.col(f"{_FACT}{name}")

    def _step(self, column: str, step: str, expr: pl.Expr) -> pl.Expr:
        """``expr`` computed once as the column ``_s|<column>|<step>`` (see :meth:`stages`).

        Steps come before the file facts (which read them), so a step that reads a
        fact stays inline.
        """
        roots = expr.meta.root_names()
        if not self.staged or any(root.startswith(_FACT) for root in roots):
            return expr
        name = f"{STEP}{column}|{step}"
        if name not in self._levels:
            used = [self._levels.get(root, -1) for root in roots]
            self._levels[name] = 1 + max(used, default=-1)
            self._steps[name] = expr
        return pl.col(name)

    def _flag(self, column: str, kind: NormalisationKind, condition: pl.Expr) -> None:
        self._flags[f"{FLAG}{column}|{kind.value}"] = condition.fill_null(False)

    def text(self, column: str) -> pl.Expr:
        """The column's text trimmed of surrounding whitespace; empty and null tokens are null."""
        value = pl.col(column)
        trimmed = self._trimmed(column)
        missing = self._missing(column)
        self._flag(column, NormalisationKind.WHITESPACE, missing.not_() & (trimmed != value))
        self._flag(column, NormalisationKind.NULL_TOKEN, (trimmed != "") & missing)
        return self._step(column, "text", pl.when(missing.not_()).then(trimmed))

    def code(self, column: str) -> pl.Expr:
        """A code (``sale``, `` All ``) trimmed and upper-cased; missing is null."""
        return self.text(column).str.to_uppercase()

    def ident(self, column: str) -> pl.Expr:
        """An id or reference: text, with an integral float (``15.0``, pandas' ids) as ``15``.

        The configured ``dq.id_rewrites`` of the column apply next (the first that
        matches): ``Store-S003`` → ``S003`` by a pattern, ``C000421`` → ``421`` by a
        crosswalk.
        """
        value = self.text(column)
        # A step: the reading and the normalisation flag test it once.
        floated = self._step(column, "floated", value.str.contains(_ID_FLOAT))
        self._flag(column, NormalisationKind.INTEGRAL_FLOAT, floated)
        value = self._step(
            column, "ident", pl.when(floated).then(value.str.replace(r"\.0+$", "")).otherwise(value)
        )
        rewrites = [r for r in self.reading.id_rewrites if self._key(column) in r.columns]
        if not rewrites:
            return value
        rewritten: pl.Expr = value
        matched = pl.lit(False)
        for rewrite in reversed(rewrites):  # the first rule that matches wins
            if rewrite.pattern is not None:
                whole = f"^(?:{rewrite.pattern})$"
                hit = value.str.contains(whole)
                new = value.str.replace(whole, rewrite.replace)
            else:
                hit = value.is_in(list(rewrite.mapping))
                new = value.replace_strict(rewrite.mapping, default=None, return_dtype=pl.String)
            rewritten = pl.when(hit).then(new).otherwise(rewritten)
            matched = matched | hit
        self._flag(column, NormalisationKind.ID_REWRITE, matched & (rewritten != value))
        return rewritten

    # --- numbers --------------------------------------------------------------------------

    def integer(self, column: str) -> pl.Expr:
        """A whole number within 64 bits: ``3``, ``-2``, ``+7``, ``03``, ``3.0`` (never ``2.5``)."""
        value = self.text(column)
        floated = self._step(column, "floated", value.str.contains(_INTEGRAL_FLOAT))
        self._flag(column, NormalisationKind.INTEGRAL_FLOAT, floated)
        self._flag(column, NormalisationKind.LEADING_ZEROS, value.str.contains(_LEADING_ZEROS))
        whole = pl.when(floated).then(value.str.replace(r"\.0+$", "")).otherwise(value)
        return pl.when(whole.str.contains(_INTEGER)).then(whole).cast(pl.Int64, strict=False)

    def money(self, column: str) -> pl.Expr:
        """An exact decimal with at most 2 places, currency marks and thousands groups read.

        ``12``, ``-0.10``, ``$1,234.50``, ``₹9,106.76``, ``INR 3,753.01``, ``5393.00 INR``,
        ``-INR 2,032.52``. Groups are strict (``12,34`` is not money); a file whose
        column mixes currencies is not read (see :meth:`invalid_type`). With a decimal
        comma configured, ``1.234,50`` is 1234.50.
        """
        text = self.text(column)
        comma = self._decimal_comma(column)
        # With a decimal comma, "12.50" is no number: only whole numbers are canonical.
        canonical_form = r"^[+-]?\d{1,16}$" if comma else _MONEY
        strict = self._step(column, "money_strict", text.str.contains(canonical_form))
        # The reading below is costly; canonical values (nearly all) skip it as nulls.
        value = self._step(column, "money_odd", pl.when(strict.not_()).then(text))
        marks = self._step(column, "marks", value.str.extract_all(_MARK))
        mark = marks.list.first()
        body = self._step(
            column, "body", value.str.replace_all(_MARK, "").str.replace_all(r"\s", "")
        )
        sign = pl.when(body.str.contains("-")).then(pl.lit("-")).otherwise(pl.lit(""))
        digits = self._step(column, "digits", body.str.replace_all(r"[+-]", ""))
        signs_ok = body.str.count_matches(r"[+-]") <= 1
        if comma:
            grouped = digits.str.contains(_GROUPED_COMMA) & digits.str.contains(r"\.")
            plain = digits.str.contains(_DECIMAL_COMMA)
            canonical = self._step(
                column,
                "canonical",
                pl.when(grouped | plain).then(
                    digits.str.replace_all(r"\.", "").str.replace(",", ".")
                ),
            )
            self._flag(
                column,
                NormalisationKind.DECIMAL_COMMA,
                digits.str.contains(",") & canonical.is_not_null(),
            )
        else:
            grouped = digits.str.contains(_GROUPED)
            plain = digits.str.contains(r"^\d{1,16}(\.\d{1,2})?$")
            canonical = self._step(
                column, "canonical", pl.when(grouped | plain).then(digits.str.replace_all(",", ""))
            )
        self._flag(column, NormalisationKind.THOUSANDS_SEPARATOR, grouped & canonical.is_not_null())
        has_mark = marks.list.len() > 0
        one_mark = marks.list.unique().list.len() <= 1
        mixed = self._file_fact(f"{column}|currencies", mark.drop_nulls().n_unique()) > 1
        self._flags[f"{_MIXED}{column}"] = (has_mark & mixed).fill_null(False)
        self._flag(column, NormalisationKind.CURRENCY_MARK, has_mark & mixed.not_())
        read = pl.when(signs_ok & one_mark & mixed.not_()).then(pl.concat_str(sign, canonical))
        normalised = self._step(column, "money", pl.when(strict).then(text).otherwise(read))
        return pl.when(normalised.str.contains(_MONEY)).then(normalised).cast(MONEY, strict=False)

    def rate(self, column: str) -> pl.Expr:
        """An exact decimal with at most 4 places, for rates, multipliers and discounts.

        With a decimal comma configured, ``1,5`` is 1.5 (and ``1.5`` no number).
        """
        value = self.text(column)
        if self._decimal_comma(column):
            commas = value.str.contains(r"^[+-]?\d{1,14},\d{1,4}$")
            self._flag(column, NormalisationKind.DECIMAL_COMMA, commas)
            value = (
                pl.when(commas)
                .then(value.str.replace(",", "."))
                .when(value.str.contains(r"^[+-]?\d{1,14}$"))
                .then(value)
            )
        return pl.when(value.str.contains(_RATE)).then(value).cast(RATE, strict=False)

    def _decimal_comma(self, column: str) -> bool:
        """Whether ``dq.decimal_comma`` names the column or its table."""
        return (
            self._key(column) in self.reading.decimal_comma
            or self.table in self.reading.decimal_comma
        )

    # --- dates ----------------------------------------------------------------------------

    def _numeric(self, column: str, value: pl.Expr, *, with_time: bool) -> pl.Expr:
        """A day/month/year ``value`` (with a time) in the order its column proves; naive."""
        parts = self._step(column, "date_parts", value.str.extract_groups(_NUMERIC_DATE))
        first = self._step(column, "first", parts.struct.field("1").cast(pl.Int32, strict=False))
        second = self._step(column, "second", parts.struct.field("2").cast(pl.Int32, strict=False))
        configured = self.reading.dates.get(self._key(column))
        day_first = self._file_fact(f"{column}|day_first", (first > 12).any())
        month_first = self._file_fact(f"{column}|month_first", (second > 12).any())
        if configured == DAY_FIRST:
            order_day_first: pl.Expr = pl.lit(True)
            decided: pl.Expr = pl.lit(True)
        elif configured == MONTH_FIRST:
            order_day_first, decided = pl.lit(False), pl.lit(True)
        else:
            order_day_first = day_first & month_first.not_()
            decided = day_first != month_first
        # Certain: the column proves the order, or the value reads one way only (or not at all).
        certain = decided | (first == second) | (first > 12) | (second > 12)
        own_day_first = pl.when(decided).then(order_day_first).otherwise(first > 12)
        day = pl.when(own_day_first | (first == second)).then(first).otherwise(second)
        month = pl.when(own_day_first | (first == second)).then(second).otherwise(first)
        hour = parts.struct.field("4").cast(pl.Int32, strict=False).fill_null(0)
        meridiem = parts.struct.field("7").str.to_uppercase()
        self._flag(column, NormalisationKind.TWELVE_HOUR_CLOCK, meridiem.is_not_null())
        hour = (
            pl.when(meridiem.is_null())
            .then(hour)
            .when((hour < 1) | (hour > 12))
            .then(None)
            .when(meridiem == "AM")
            .then(hour % 12)
            .otherwise(hour % 12 + 12)
        )

        def two(part: pl.Expr) -> pl.Expr:
            return part.cast(pl.String).str.zfill(2)

        minute = parts.struct.field("5").fill_null("0")
        second_of = parts.struct.field("6").fill_null("0")
        iso = pl.format(
            "{}-{}-{}T{}:{}:{}",
            parts.struct.field("3"),
            two(month),
            two(day),
            two(hour) if with_time else pl.lit("00"),
            two(minute) if with_time else pl.lit("00"),
            two(second_of) if with_time else pl.lit("00"),
        )
        matched = parts.struct.field("3").is_not_null()
        self._flags[f"{_AMBIGUOUS}{column}"] = (matched & certain.not_()).fill_null(False)
        day_first_read = pl.when(decided).then(order_day_first).otherwise(first >= second)
        self._flag(column, NormalisationKind.DAY_FIRST_DATE, matched & certain & day_first_read)
        self._flag(
            column, NormalisationKind.MONTH_FIRST_DATE, matched & certain & day_first_read.not_()
        )
        # An impossible date (31/02, month 13) does not parse: it stays null.
        return self._step(
            column,
            "numeric",
            pl.when(matched & certain).then(
                iso.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False)
            ),
        )

    def _formatted(self, column: str, value: pl.Expr, fmt: str, dtype: pl.DataType) -> pl.Expr:
        """A ``value`` in a configured strftime format."""
        parsed = value.str.strptime(dtype, fmt, strict=False)  # type: ignore[arg-type]
        self._flag(column, NormalisationKind.CONFIGURED_FORMAT, parsed.is_not_null())
        return parsed

    def date(self, column: str) -> pl.Expr:
        """A calendar date: ISO ``YYYY-MM-DD``, and what is certain beside it.

        ``2026-10-31T10:00:00`` (a date-time: its date), ``2024/05/27``, and
        ``27/05/2024`` or ``05/27/2024`` in the order the column proves.
        """
        configured = self.reading.dates.get(self._key(column))
        text = self.text(column)
        is_iso = self._step(column, "is_iso_date", text.str.contains(_DATE))
        iso = pl.when(is_iso).then(text.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
        # The readings below are costly; ISO dates (nearly all) skip them as nulls.
        value = self._step(column, "date_odd", pl.when(is_iso.not_()).then(text))
        if configured and configured not in (DAY_FIRST, MONTH_FIRST):  # ISO, else the format
            return pl.coalesce(iso, self._formatted(column, value, configured, pl.Date()))
        is_datetime = value.str.contains(_NAIVE_DATETIME) | value.str.contains(_AWARE_DATETIME)
        as_datetime = pl.when(is_datetime).then(
            value.str.slice(0, 10).str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        )
        self._flag(column, NormalisationKind.DATETIME_AS_DATE, as_datetime.is_not_null())
        slashed = pl.when(value.str.contains(_YEAR_FIRST_SLASHES)).then(
            value.str.extract(r"^(\d{4}/\d{1,2}/\d{1,2})").str.strptime(
                pl.Date, "%Y/%m/%d", strict=False
            )
        )
        self._flag(column, NormalisationKind.YEAR_FIRST_SLASHES, slashed.is_not_null())
        numeric = self._numeric(column, value, with_time=False).dt.date()
        return pl.coalesce(iso, as_datetime, slashed, numeric)

    def datetime(self, column: str) -> pl.Expr:
        """An ISO 8601 date or date-time as a UTC instant, and what is certain beside it.

        ``2026-10-31``, ``2026-10-31T10:00``, ``2026-10-31 10:00:00.5`` are naive
        and taken in the reading's ``timezone``; ``...Z`` and ``...+02:00`` carry
        their offset; ``2024/05/27 10:00`` and ``13/12/2025 12:15:50 PM`` (in the
        order the column proves) are naive too.
        """
        timezone = self.reading.timezone
        configured = self.reading.dates.get(self._key(column))
        text = self.text(column)
        # The common form first; the costly readings below skip its values as nulls.
        common = self._step(
            column,
            "common",
            pl.when(text.str.len_bytes() == 19).then(
                text.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False)
            ),
        )
        value = self._step(column, "datetime_odd", pl.when(common.is_null()).then(text))
        naive_text = self._step(
            column,
            "naive",
            pl.when(value.str.contains(_NAIVE_DATETIME)).then(value.str.replace(" ", "T")),
        )
        iso = pl.coalesce(
            common,
            naive_text.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S%.f", strict=False),
            naive_text.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M", strict=False),
            naive_text.str.strptime(pl.Date, "%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
        )
        slashed_text = self._step(
            column,
            "slashed",
            pl.when(value.str.contains(_YEAR_FIRST_SLASHES)).then(
                value.str.replace(r"^(\d{4})/(\d{1,2})/(\d{1,2})", "$1-$2-$3").str.replace(" ", "T")
            ),
        )
        slashed = pl.coalesce(
            slashed_text.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M:%S", strict=False),
            slashed_text.str.strptime(pl.Datetime("us"), "%Y-%m-%dT%H:%M", strict=False),
            slashed_text.str.strptime(pl.Date, "%Y-%m-%d", strict=False).cast(pl.Datetime("us")),
        )
        self._flag(column, NormalisationKind.YEAR_FIRST_SLASHES, slashed.is_not_null())
        if configured and configured not in (DAY_FIRST, MONTH_FIRST):
            numeric = self._formatted(column, value, configured, pl.Datetime("us"))
        else:
            numeric = self._numeric(column, value, with_time=True).cast(pl.Datetime("us"))
        local = self._step(column, "local", pl.coalesce(iso, slashed, numeric))
        aware_text = self._step(
            column,
            "aware",
            pl.when(value.str.contains(_AWARE_DATETIME)).then(
                value.str.replace(" ", "T").str.replace(r"Z$", "+00:00")
            ),
        )
        aware = pl.when(aware_text.is_not_null()).then(
            pl.coalesce(
                aware_text.str.strptime(
                    pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%.f%:z", strict=False
                ),
                aware_text.str.strptime(
                    pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M%:z", strict=False
                ),
            )
        )
        in_zone = local.dt.replace_time_zone(
            timezone, ambiguous="earliest", non_existent="null"
        ).dt.convert_time_zone("UTC")
        return pl.coalesce(aware, in_zone)

    def weekdays(self, column: str) -> pl.Expr:
        """Days of the week as ``MON|SAT|SUN`` (upper-cased, trimmed); null if any is unknown."""
        days = self.code(column).str.replace_all(r"\s", "")
        valid = days.str.split("|").list.eval(pl.element().is_in(_WEEKDAYS)).list.all()
        return pl.when(valid).then(days)

    # --- what the parser did --------------------------------------------------------------

    def stages(self) -> list[dict[str, pl.Expr]]:
        """The reading's steps as columns to add in order: name → expression, per stage."""
        stages: list[dict[str, pl.Expr]] = [{} for _ in range(len(set(self._levels.values())))]
        for name, expr in self._steps.items():
            stages[self._levels[name]][name] = expr
        return stages

    def prepared(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """``frame`` with the reading's steps added: what its values and flags read."""
        for stage in self.stages():
            frame = frame.with_columns(**stage)
        return frame

    def facts(self) -> dict[str, pl.Expr]:
        """The file facts the parsed values need: name → aggregation over a file's rows."""
        return dict(self._facts)

    def flags(self) -> dict[str, pl.Expr]:
        """The boolean columns of the normalisations, ambiguities and currency mixes met."""
        return dict(self._flags)

    def null_required(self, columns: Sequence[str]) -> list[Rule]:
        """NULL_REQUIRED: a required value is empty, missing or a null token."""
        return [
            Rule(Reason.NULL_REQUIRED, self.given(c).not_(), pl.lit(f"{c} is empty"))
            for c in columns
        ]

    def invalid_type(self, columns: Mapping[str, str]) -> list[Rule]:
        """INVALID_TYPE and AMBIGUOUS_DATE of columns parsed by this parser.

        ``columns[c]`` says what ``c`` should be (``"a whole number"``). A date
        no proof settles is AMBIGUOUS_DATE (naming the setting that settles it);
        money in a column that mixes currencies is INVALID_TYPE saying so.
        """
        rules = []
        for column, kind in columns.items():
            text = pl.col(RAW).struct.field(column)
            unparsed = self._given(column, text) & pl.col(column).is_null()
            ambiguous = pl.col(f"{_AMBIGUOUS}{column}") if self._has(_AMBIGUOUS, column) else None
            mixed = pl.col(f"{_MIXED}{column}") if self._has(_MIXED, column) else None
            plain = unparsed
            if ambiguous is not None:
                plain = plain & ambiguous.not_()
                rules.append(
                    Rule(
                        Reason.AMBIGUOUS_DATE,
                        unparsed & ambiguous,
                        pl.format(
                            f"{column} '{{}}' could be day-first or month-first and the "
                            f'column does not prove which; set dq.dates."{self._key(column)}" '
                            'to "day-first" or "month-first"',
                            text.str.strip_chars(),
                        ),
                    )
                )
            if mixed is not None:
                plain = plain & mixed.not_()
                rules.append(
                    Rule(
                        Reason.INVALID_TYPE,
                        unparsed & mixed,
                        pl.format(
                            f"{column} '{{}}': the file mixes currencies in this column; "
                            "amounts in different currencies are not converted",
                            text.str.strip_chars(),
                        ),
                    )
                )
            rules.append(
                Rule(
                    Reason.INVALID_TYPE,
                    plain,
                    pl.format(
                        f"{column} '{{}}' is not {kind}{{}}",
                        text.str.strip_chars(),
                        self._hint(column, text.str.strip_chars()),
                    ),
                )
            )
        return rules

    def _hint(self, column: str, text: pl.Expr) -> pl.Expr:
        """The setting that would read ``text``, when one would: a decimal comma, a format."""
        hints = pl.lit("")
        if f"{FLAG}{column}|{NormalisationKind.THOUSANDS_SEPARATOR.value}" in self._flags:
            if not self._decimal_comma(column):  # money whose decimals follow a comma
                hints = pl.when(text.str.contains(r"^[^.]*\d,\d{1,2}(\D*)$")).then(
                    pl.lit(
                        " (if the file writes decimal commas, add "
                        f'"{self.table}" to dq.decimal_comma)'
                    )
                )
        elif f"{FLAG}{column}|{NormalisationKind.YEAR_FIRST_SLASHES.value}" in self._flags:
            known = [_DATE, _NAIVE_DATETIME, _AWARE_DATETIME, _YEAR_FIRST_SLASHES, _NUMERIC_DATE]
            notation = pl.any_horizontal(text.str.contains(p) for p in known)
            hints = pl.when(notation.not_()).then(  # an impossible date needs no format
                pl.lit(
                    f' (if it is a date, set dq.dates."{self._key(column)}" to its strftime '
                    'format, e.g. "%d.%m.%Y")'
                )
            )
        return hints.fill_null("")

    def _given(self, column: str, text: pl.Expr) -> pl.Expr:
        """Whether the raw ``text`` of ``column`` holds a value (not empty, not a null token)."""
        tokens = [*self.reading.null_tokens, *self.reading.null_values.get(self._key(column), ())]
        trimmed = text.str.strip_chars()
        return (trimmed != "") & trimmed.is_in(tokens).not_()

    def given(self, column: str) -> pl.Expr:
        """Whether the bronze text of ``column`` (in ``_raw``) holds a value."""
        return self._given(column, pl.col(RAW).struct.field(column)).fill_null(False)

    def _has(self, prefix: str, column: str) -> bool:
        return f"{prefix}{column}" in self._flags


def flag_columns(names: Sequence[str]) -> list[str]:
    """The normalisation flag columns among ``names``."""
    return [name for name in names if name.startswith(FLAG)]
