"""Personal data stays in the lake: pseudonyms for gold, masking for anything shown.

Bronze and silver keep customers' emails, phones and last names (they are
the retailer's records), in folders only their owner can read. Gold keeps the
first name and keyed pseudonyms only: HMAC-SHA256 of the normalised email and
phone under the secret ``LOYALTY_LAKE_PII_KEY`` (a CRM holding the same key
can join on them; nobody can read them back). Without a key the pseudonym
columns say ``<masked>``. Text shown on a terminal goes through :func:`masked`.
"""

from __future__ import annotations

import os
import re

import polars as pl
import polars_hash  # noqa: F401 - registers the .chash expression namespace

_EMAIL = re.compile(r"[^@\s\"',;]+@[^@\s\"',;]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w.])\+?\(?\d[\d ()-]{6,}\d(?![\w.])")
_PHONE_DIGITS = 9  # fewer digits: a date, an amount or a count, not a phone number

#: Layers whose folders hold personal data: created owner-only.
PRIVATE_LAYERS = frozenset({"landing", "bronze", "silver"})
#: The environment variable holding the pseudonym key (never logged, never in config).
PII_KEY_VARIABLE = "LOYALTY_LAKE_PII_KEY"
MASK = "<masked>"


def pii_key() -> str | None:
    """The pseudonym key from the environment, or None."""
    return os.environ.get(PII_KEY_VARIABLE) or None


def pseudonym(value: pl.Expr, *, key: str | None) -> pl.Expr:
    """HMAC-SHA256 (hex) of the trimmed, lower-cased value under ``key``; ``<masked>`` without one.

    Null stays null.
    """
    if key is None:
        return pl.when(value.is_not_null()).then(pl.lit(MASK))
    normalised = value.str.strip_chars().str.to_lowercase()
    return normalised.chash.hmac_sha256(key=key)  # type: ignore[attr-defined]


def masked(text: str) -> str:
    """``text`` with email addresses and phone numbers replaced by placeholders."""

    def phone(match: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in match.group())
        return "<phone>" if digits >= _PHONE_DIGITS else match.group()

    return _PHONE.sub(phone, _EMAIL.sub("<email>", text))
