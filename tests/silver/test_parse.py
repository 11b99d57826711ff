"""Text → typed values: what is certain is read and counted, nothing is guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

from loyalty_lake.config import IdRewrite
from loyalty_lake.silver.checks import RAW
from loyalty_lake.silver.parse import Parser, Reading, flag_columns


def parse(method: str, *texts: str | None, reading: Reading | None = None) -> tuple[list, dict]:
    """Parse ``texts`` (one file) with ``Parser.<method>``; the values and the kinds counted."""
    frame = pl.DataFrame(
        {"v": list(texts), "_file_sha256": ["f"] * len(texts)},
        schema={"v": pl.String, "_file_sha256": pl.String},
    )
    parser = Parser("t", reading or Reading())
    value = getattr(parser, method)("v")
    facts = {n: a.over("_file_sha256") for n, a in parser.facts().items()}
    prepared = parser.prepared(frame.lazy()).with_columns(**facts)
    out = prepared.with_columns(**parser.flags()).with_columns(value.alias("v")).collect()
    counts = {
        name.split("|")[2]: int(out[name].sum())
        for name in flag_columns(out.columns)
        if out[name].sum()
    }
    return out["v"].to_list(), counts


@pytest.mark.parametrize(
    ("text", "expected", "kinds"),
    [
        ("12", Decimal("12.00"), {}),
        (" 12.50 ", Decimal("12.50"), {"WHITESPACE": 1}),
        ("-0.10", Decimal("-0.10"), {}),
        ("9999999999999999.99", Decimal("9999999999999999.99"), {}),
        ("$1,234.50", Decimal("1234.50"), {"CURRENCY_MARK": 1, "THOUSANDS_SEPARATOR": 1}),
        ("₹9,106.76", Decimal("9106.76"), {"CURRENCY_MARK": 1, "THOUSANDS_SEPARATOR": 1}),
        ("INR 3,753.01", Decimal("3753.01"), {"CURRENCY_MARK": 1, "THOUSANDS_SEPARATOR": 1}),
        ("5393.00 INR", Decimal("5393.00"), {"CURRENCY_MARK": 1}),
        ("-INR 2,032.52", Decimal("-2032.52"), {"CURRENCY_MARK": 1, "THOUSANDS_SEPARATOR": 1}),
        ("1,234,567.5", Decimal("1234567.50"), {"THOUSANDS_SEPARATOR": 1}),
        ("N/A", None, {"NULL_TOKEN": 1}),
        ("12,50", None, {}),  # not a group of three: never a thousands separator
        ("12,34", None, {}),
        ("1,2345.00", None, {}),
        ("1.2.3", None, {}),
        ("12.345", None, {}),
        ("1e309", None, {}),
        ("inf", None, {}),
        (".5", None, {}),
        ("99999999999999999", None, {}),
        ("", None, {}),
        (None, None, {}),
    ],
)
def test_money_reads_marks_and_groups_and_never_guesses(text, expected, kinds):
    values, counts = parse("money", text)
    assert values == [expected]
    assert counts == kinds


def test_a_file_mixing_currencies_is_not_read():
    values, counts = parse("money", "$1.00", "₹2.00", "3.00")
    assert values == [None, None, Decimal("3.00")]
    assert "CURRENCY_MARK" not in counts


def test_decimal_commas_when_configured():
    reading = Reading(decimal_comma=("t",))
    values, counts = parse("money", "1.234,50", "12,5", "7", "1,234.50", reading=reading)
    assert values == [Decimal("1234.50"), Decimal("12.50"), Decimal("7.00"), None]
    assert counts == {"DECIMAL_COMMA": 2, "THOUSANDS_SEPARATOR": 1}


def test_with_a_decimal_comma_a_decimal_point_is_no_number():
    reading = Reading(decimal_comma=("t.v",))
    values, _ = parse("money", "12.50", "1.234", "1.234,5", reading=reading)
    assert values == [None, Decimal("1234.00"), Decimal("1234.50")]


def test_rates_read_a_configured_decimal_comma():
    reading = Reading(decimal_comma=("t",))
    values, counts = parse("rate", "1,5", "2", "0,0125", "1.5", reading=reading)
    assert values == [Decimal("1.5"), Decimal("2"), Decimal("0.0125"), None]
    assert counts == {"DECIMAL_COMMA": 2}
    assert parse("rate", "1,5")[0] == [None]  # not configured: not guessed


@pytest.mark.parametrize(
    ("text", "expected", "kinds"),
    [
        ("3", 3, {}),
        ("+7", 7, {}),
        (" 4 ", 4, {"WHITESPACE": 1}),
        ("3.0", 3, {"INTEGRAL_FLOAT": 1}),
        ("03", 3, {"LEADING_ZEROS": 1}),
        ("9223372036854775807", 2**63 - 1, {}),
        ("9223372036854775808", None, {}),  # 2**63: beyond 64 bits
        ("2.5", None, {}),  # never rounded
        ("1e3", None, {}),
        ("1,000", None, {}),
        ("three", None, {}),
        ("NULL", None, {"NULL_TOKEN": 1}),
    ],
)
def test_integers(text, expected, kinds):
    values, counts = parse("integer", text)
    assert values == [expected]
    assert counts == kinds


def test_ids_written_as_integral_floats_are_read_as_integers():
    values, counts = parse("ident", "15.0", "1.0", "T1", " C2 ", "1.5", "<NA>")
    assert values == ["15", "1", "T1", "C2", "1.5", None]
    assert counts == {"INTEGRAL_FLOAT": 2, "WHITESPACE": 1, "NULL_TOKEN": 1}


def test_ids_are_rewritten_by_the_configured_pattern_or_crosswalk():
    reading = Reading(
        id_rewrites=(
            IdRewrite(columns=("t.v",), pattern=r"Store-(S\d+)", replace="$1"),
            IdRewrite(columns=("t.v",), mapping={"C000421": "421", "S9": "S009"}),
            IdRewrite(columns=("t.other",), pattern=".*", replace="never"),
        )
    )
    texts = ("Store-S003", "xStore-S003", "C000421", "S9", "S003", "15.0", None)
    values, counts = parse("ident", *texts, reading=reading)
    assert values == ["S003", "xStore-S003", "421", "S009", "S003", "15", None]
    assert counts == {"ID_REWRITE": 3, "INTEGRAL_FLOAT": 1}


def test_the_first_matching_rewrite_wins():
    reading = Reading(
        id_rewrites=(
            IdRewrite(columns=("t.v",), pattern=r"0*(\d+)"),
            IdRewrite(columns=("t.v",), mapping={"007": "bond"}),
        )
    )
    assert parse("ident", "007", reading=reading)[0] == ["7"]


def test_null_tokens_are_configurable_per_column():
    reading = Reading(null_values={"t.v": ("0",)})
    assert parse("ident", "0", "P1", reading=reading)[0] == [None, "P1"]
    assert parse("ident", "0", "P1")[0] == ["0", "P1"]


@pytest.mark.parametrize(
    ("texts", "expected", "kind"),
    [
        (["2026-10-31", "2024-02-29"], [date(2026, 10, 31), date(2024, 2, 29)], None),
        (["2026-02-29", "2026-13-01", "20261031", "2026-1-5"], [None] * 4, None),
        (["2026-10-31T10:00:00"], [date(2026, 10, 31)], "DATETIME_AS_DATE"),
        (["2024/05/27"], [date(2024, 5, 27)], "YEAR_FIRST_SLASHES"),
        (["27/05/2024", "01/02/2024"], [date(2024, 5, 27), date(2024, 2, 1)], "DAY_FIRST_DATE"),
        (["05/27/2024", "01/02/2024"], [date(2024, 5, 27), date(2024, 1, 2)], "MONTH_FIRST_DATE"),
        (["31.12.2024"], [date(2024, 12, 31)], "DAY_FIRST_DATE"),
        (["05/05/2024"], [date(2024, 5, 5)], None),  # the same in both orders
        (["31/02/2024"], [None], None),
    ],
)
def test_dates(texts, expected, kind):
    values, counts = parse("date", *texts)
    assert values == expected
    if kind:
        assert kind in counts


def test_a_date_no_value_proves_is_not_guessed_unless_configured():
    assert parse("date", "01/02/2024", "03/04/2024")[0] == [None, None]
    day_first = Reading(dates={"t.v": "day-first"})
    assert parse("date", "01/02/2024", reading=day_first)[0] == [date(2024, 2, 1)]
    month_first = Reading(dates={"t.v": "month-first"})
    assert parse("date", "01/02/2024", reading=month_first)[0] == [date(2024, 1, 2)]
    formatted = Reading(dates={"t.v": "%d %b %Y"})
    assert parse("date", "01 Feb 2024", reading=formatted) == (
        [date(2024, 2, 1)],
        {"CONFIGURED_FORMAT": 1},
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-10-31", datetime(2026, 10, 31, tzinfo=UTC)),
        ("2026-10-31T10:00", datetime(2026, 10, 31, 10, tzinfo=UTC)),
        ("2026-10-31 10:00:00", datetime(2026, 10, 31, 10, tzinfo=UTC)),
        ("2026-10-31T10:00:00.5", datetime(2026, 10, 31, 10, 0, 0, 500_000, tzinfo=UTC)),
        ("2026-10-31T10:00:00Z", datetime(2026, 10, 31, 10, tzinfo=UTC)),
        ("2026-10-31T10:00:00+02:00", datetime(2026, 10, 31, 8, tzinfo=UTC)),
        ("2026-10-31T10:00-0130", datetime(2026, 10, 31, 11, 30, tzinfo=UTC)),
        ("2026/10/31 10:00", datetime(2026, 10, 31, 10, tzinfo=UTC)),
        ("13/12/2025 12:15:50 PM", datetime(2025, 12, 13, 12, 15, 50, tzinfo=UTC)),
        ("13/12/2025 12:15 AM", datetime(2025, 12, 13, 0, 15, tzinfo=UTC)),
        ("13/12/2025 1:05 pm", datetime(2025, 12, 13, 13, 5, tzinfo=UTC)),
        ("13/12/2025 13:05 PM", None),
        ("2026-02-30T10:00:00", None),
        ("2026-10-31T25:00:00", None),
        ("2026-10-31T10", None),
        ("yesterday", None),
    ],
)
def test_datetimes_are_utc_instants(text, expected):
    assert parse("datetime", text)[0] == [expected]


def test_naive_datetimes_are_taken_in_the_configured_zone():
    texts = ["2026-07-01T10:00", "2026-12-01T10:00", "2026-07-01T10:00:00Z", "2026-03-29T01:30"]
    values, _ = parse("datetime", *texts, reading=Reading(timezone="Europe/London"))
    assert values == [
        datetime(2026, 7, 1, 9, tzinfo=UTC),
        datetime(2026, 12, 1, 10, tzinfo=UTC),
        datetime(2026, 7, 1, 10, tzinfo=UTC),
        None,  # does not exist in London (clocks go forward)
    ]


def test_text_code_and_weekdays_trim_and_normalise():
    texts = [" sale ", "Return", "\tALL\n", "", "   ", None, "sat|Sun", " sat | sun "]
    assert parse("text", *texts)[0] == [
        "sale",
        "Return",
        "ALL",
        None,
        None,
        None,
        "sat|Sun",
        "sat | sun",
    ]
    assert parse("code", *texts)[0][:3] == ["SALE", "RETURN", "ALL"]
    assert parse("weekdays", *texts)[0] == [None] * 6 + ["SAT|SUN", "SAT|SUN"]
    for text in ["sat,sun", "SAT||SUN", "SATURDAY", "Mon|Funday"]:
        assert parse("weekdays", text)[0] == [None]


def invalid_type_messages(method: str, *texts: str, reading: Reading | None = None) -> list:
    """The INVALID_TYPE message of each text a column of ``method`` does not read."""
    frame = pl.DataFrame({"v": list(texts), "_file_sha256": ["f"] * len(texts)})
    frame = frame.with_columns(pl.struct("v").alias(RAW))
    parser = Parser("t", reading or Reading())
    value = getattr(parser, method)("v")
    (*_, rule) = parser.invalid_type({"v": "what it should be"})
    facts = {n: a.over("_file_sha256") for n, a in parser.facts().items()}
    prepared = parser.prepared(frame.lazy()).with_columns(**facts).with_columns(**parser.flags())
    out = prepared.with_columns(value.alias("v")).select(
        pl.when(rule.fails).then(rule.message).alias("message")
    )
    return out.collect()["message"].to_list()


def test_an_unread_amount_with_a_decimal_comma_names_the_setting():
    messages = invalid_type_messages("money", "12,50", "€ 3,5", "abc", "12.50")
    assert messages == [
        "v '12,50' is not what it should be (if the file writes decimal commas, "
        'add "t" to dq.decimal_comma)',
        "v '€ 3,5' is not what it should be (if the file writes decimal commas, "
        'add "t" to dq.decimal_comma)',
        "v 'abc' is not what it should be",
        None,
    ]


def test_an_unread_date_names_the_format_setting():
    (message, fine) = invalid_type_messages("date", "31 Oct 2026", "2026-10-31")
    assert message == (
        "v '31 Oct 2026' is not what it should be (if it is a date, set dq.dates.\"t.v\" "
        'to its strftime format, e.g. "%d.%m.%Y")'
    )
    assert fine is None


def test_a_configured_date_format_reads_iso_dates_too():
    reading = Reading(dates={"t.v": "%d.%m.%Y"})
    values, counts = parse("date", "31.10.2026", "2026-10-30", "10/31/2026", reading=reading)
    assert values == [date(2026, 10, 31), date(2026, 10, 30), None]
    assert counts == {"CONFIGURED_FORMAT": 1}
