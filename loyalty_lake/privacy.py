"""Personal data stays in the lake: pseudonyms for gold, masking for anything shown.

Bronze and silver keep customers' emails, phones and last names (they are
the retailer's records), in folders only their owner can read. Gold keeps the
first name and keyed pseudonyms only: HMAC-SHA256 of the normalised email and
phone under the secret ``LOYALTY_LAKE_PII_KEY`` (a CRM holding the same key
can join on them; nobody can read them back). Without a key the pseudonym
columns say ``<masked>``. Text shown to people goes through :func:`masked`
(a rejected row's raw values through :func:`masked_raw_values`), and text
shown on a terminal through :func:`printable` as well.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping

    import polars as pl

#: Bounded like real addresses (64 before the @, 255 after), so that a long run of text
#: without an @ is scanned in linear time.
_EMAIL = re.compile(r"[^@\s\"',;]{1,64}@[^@\s\"',;]{1,255}\.[A-Za-z]{2,}")
#: Values longer than this are cut when shown (a malformed row can hold a whole file).
SHOWN_CHARS = 500
#: A phone number candidate: digit groups, each optionally in brackets, joined by at most one
#: space or hyphen, with an optional ``+`` country code. It never starts inside a word, a
#: number, a date or a time (``31T10``, ``0.5``, ``05/27``, ``11:30``), and it is atomic and
#: possessive: a candidate is judged whole, never shortened to slip past the checks below.
#: (After a digit and a comma it may start: in a CSV row that is the next field.)
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[.:/-])"
    r"(?:\+ ?)?(?>\(\d{1,5}\)|\d+)(?:[ -]?(?>\(\d{1,5}\)|\d+))*+"
)
#: What follows a candidate whose last group belongs to something else: a word (``31T10``),
#: a time (``11:30``), a decimal (``1234567.50``) or a date (``2026/05``). Not a comma: in a
#: CSV row a phone is followed by a comma and the next field.
_CONTINUED = re.compile(r"\w|[.:/]\d")
#: An amount grouped in thousands by spaces, with decimals: ``1 234 567 890,50``.
_THOUSANDS = re.compile(r"\d{1,3}(?: \d{3})+")
_DECIMALS = re.compile(r"[.,]\d")
_LAST_GROUP = re.compile(r"[ -]?(?:\(\d{1,5}\)|\d+)$")
_COMPACT_DATE = r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"  # 20261031
_DATE = rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}-\d{{1,2}}-\d{{4}}|{_COMPACT_DATE})"
_LEADING_DATE = re.compile(rf"^{_DATE}(?= |$)")
_TRAILING_DATE = re.compile(rf"(?:^| ){_DATE}$")
#: A date-time without separators: 202610311030 or 20261031103000.
_COMPACT_DATE_TIME = re.compile(rf"{_COMPACT_DATE}(?:[01]\d|2[0-3])[0-5]\d(?:[0-5]\d)?")
_PHONE_DIGITS = 9  # fewer digits: a date, an amount or a count, not a phone number
_MAX_PHONE_DIGITS = 15  # the most an international number has (E.164)
#: Unicode categories that a terminal does not show as themselves: control (C0, DEL, C1),
#: format (bidi overrides, zero-width), surrogate (undecodable file names), line separators.
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: The key of a raw row's unknown columns: a JSON object encoded as a string.
_EXTRA = "_extra"

#: Layers whose folders hold personal data: created owner-only.
PRIVATE_LAYERS = frozenset({"landing", "bronze", "silver"})
#: The environment variable holding the pseudonym key (never logged, never in config).
PII_KEY_VARIABLE = "LOYALTY_LAKE_PII_KEY"
MASK = "<masked>"
#: Columns whose values are personal data, masked wherever a raw row is shown.
PERSONAL_COLUMNS = frozenset({"last_name", "email", "phone"})


def pii_key() -> str | None:
    """The pseudonym key from the environment, or None."""
    return os.environ.get(PII_KEY_VARIABLE) or None


def pseudonym(value: pl.Expr, *, key: str | None) -> pl.Expr:
    """HMAC-SHA256 (hex) of the trimmed, lower-cased value under ``key``; ``<masked>`` without one.

    Null stays null.
    """
    # Here, not at the top: the terminal masks text with this module without loading polars.
    import polars as pl
    import polars_hash  # noqa: F401 - registers the .chash expression namespace

    if key is None:
        return pl.when(value.is_not_null()).then(pl.lit(MASK))
    normalised = value.str.strip_chars().str.to_lowercase()
    return normalised.chash.hmac_sha256(key=key)  # type: ignore[attr-defined]


def masked(text: str) -> str:
    """``text`` with email addresses and phone numbers replaced by placeholders.

    Dates, date-times, amounts and ids stay as they are: ``2026-10-31T10:00:00+02:00``,
    ``13-12-2025 11:30:46``, ``1,234,567.50`` and ``T000000123`` are not phone numbers.
    """
    return _PHONE.sub(_phone, _EMAIL.sub("<email>", text))


def shortened(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters for showing, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


def _phone(match: re.Match[str]) -> str:
    """``<phone>`` for the part of a candidate that is a phone number, the rest as it was."""
    candidate, tail, head = match.group(), "", ""
    if _COMPACT_DATE_TIME.fullmatch(candidate) or (
        _THOUSANDS.fullmatch(candidate) and _DECIMALS.match(match.string, match.end())
    ):
        return candidate
    if _CONTINUED.match(match.string, match.end()):
        last = _LAST_GROUP.search(candidate)
        if last is not None:  # the last group is part of a time, an amount, a date or a word
            candidate, tail = candidate[: last.start()], last.group()
    if date := _LEADING_DATE.match(candidate):
        head, candidate = date.group(), candidate[date.end() :]
    if date := _TRAILING_DATE.search(candidate):
        candidate, tail = candidate[: date.start()], date.group() + tail
    number = candidate.lstrip(" -")
    digits = sum(c.isdigit() for c in number)
    if not _PHONE_DIGITS <= digits <= _MAX_PHONE_DIGITS:
        return match.group()
    return head + candidate[: len(candidate) - len(number)] + "<phone>" + tail


def masked_raw_values(raw_json: str, personal: Collection[str] = PERSONAL_COLUMNS) -> str:
    """A rejected row's ``raw_values`` JSON with personal values masked, then :func:`masked`.

    The values of the ``personal`` columns (matched trimmed and case-insensitively, also
    among the unknown columns under ``_extra``) become ``<masked>``; null and empty values
    stay as they are. Text that is not a JSON object is only :func:`masked`.
    """
    try:
        values = json.loads(raw_json)
    except ValueError:
        return masked(shortened(raw_json))
    if not isinstance(values, dict):
        return masked(shortened(raw_json))
    names = {name.strip().lower() for name in personal}
    shown = _masked_columns(values, names)
    extra = shown.get(_EXTRA)
    if isinstance(extra, dict):
        shown[_EXTRA] = _masked_columns(extra, names)
    elif isinstance(extra, str):
        try:
            unknown = json.loads(extra)
        except ValueError:
            unknown = None
        if isinstance(unknown, dict):
            shown[_EXTRA] = _json(_masked_columns(unknown, names))
    return masked(_json(shown))


def _masked_columns(values: Mapping[str, Any], names: Collection[str]) -> dict[str, Any]:
    """``values`` with the non-empty values of the columns in ``names`` masked, long ones cut."""
    return {
        column: MASK
        if column.strip().lower() in names and value not in (None, "")
        else shortened(value)
        if isinstance(value, str) and column != _EXTRA
        else value
        for column, value in values.items()
    }


def _json(values: Mapping[str, Any]) -> str:
    """Compact JSON, as polars writes it."""
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def printable(text: str) -> str:
    r"""``text`` safe to show on a terminal: invisible and control characters as escapes.

    Control characters (``\n``, ``\t``, ``\x1b``, DEL, C1), format characters such as
    bidi overrides (``\u202e``), undecodable bytes of file names and line separators become
    visible escapes like ``\x1b`` and ``\u202e``; everything else is kept.
    """
    if text.isprintable():
        return text
    return "".join(
        _escaped(char) if unicodedata.category(char) in _UNPRINTABLE else char for char in text
    )


def _escaped(char: str) -> str:
    """The escape sequence of one character, as Python writes it."""
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
