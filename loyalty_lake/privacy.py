"""Personal data stays in the lake: masking for anything shown or logged.

Bronze and silver keep customers' emails, phones and last names (they are
the retailer's records), in folders only their owner can read; gold keeps the
first name only. Text shown on a terminal or in the dashboard goes through
:func:`masked` first.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[^@\s\"',;]+@[^@\s\"',;]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w.])\+?\(?\d[\d ()-]{6,}\d(?![\w.])")
_PHONE_DIGITS = 9  # fewer digits: a date, an amount or a count, not a phone number

#: Layers whose folders hold personal data: created owner-only.
PRIVATE_LAYERS = frozenset({"landing", "bronze", "silver"})


def masked(text: str) -> str:
    """``text`` with email addresses and phone numbers replaced by placeholders."""

    def phone(match: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in match.group())
        return "<phone>" if digits >= _PHONE_DIGITS else match.group()

    return _PHONE.sub(phone, _EMAIL.sub("<email>", text))
