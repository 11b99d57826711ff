"""The shared vocabulary: codes, closed sets and dtypes every layer speaks.

One module, imported by everything and importing nothing of loyalty_lake, so
that a new reason code, event type or status is one edit here (plus the rule
or the stage that uses it). ``config.py`` reads its defaults from here.
"""

from __future__ import annotations

from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Money: exact decimals with 2 places (never binary floating point).
MONEY = pl.Decimal(18, 2)
#: Earning rates, multipliers and discounts: exact decimals with 4 places.
RATE = pl.Decimal(18, 4)


class Reason(StrEnum):
    """Reason codes of the rejects and warnings tables and the data quality report."""

    NULL_REQUIRED = "NULL_REQUIRED"
    INVALID_TYPE = "INVALID_TYPE"
    NEGATIVE_OR_ZERO = "NEGATIVE_OR_ZERO"
    INVALID_DATE = "INVALID_DATE"
    DUPLICATE = "DUPLICATE"
    UNKNOWN_CUSTOMER = "UNKNOWN_CUSTOMER"
    UNKNOWN_STORE = "UNKNOWN_STORE"
    UNKNOWN_PRODUCT = "UNKNOWN_PRODUCT"
    UNKNOWN_PROMOTION = "UNKNOWN_PROMOTION"
    UNKNOWN_ORIGINAL_TRANSACTION = "UNKNOWN_ORIGINAL_TRANSACTION"
    TOTAL_MISMATCH = "TOTAL_MISMATCH"
    ORPHAN_LINE = "ORPHAN_LINE"
    PARENT_REJECTED = "PARENT_REJECTED"
    OUTLIER = "OUTLIER"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    MALFORMED_ROW = "MALFORMED_ROW"
    INVALID_NAME = "INVALID_NAME"
    AMBIGUOUS_DATE = "AMBIGUOUS_DATE"
    MISSING_LINES = "MISSING_LINES"
    UNVERIFIED_CUSTOMER = "UNVERIFIED_CUSTOMER"
    UNVERIFIED_STORE = "UNVERIFIED_STORE"
    UNVERIFIED_PRODUCT = "UNVERIFIED_PRODUCT"
    UNVERIFIED_PROMOTION = "UNVERIFIED_PROMOTION"


class Severity(StrEnum):
    """What a failed rule does to its row."""

    REJECT = "reject"
    WARN = "warn"


#: Severities by default; reasons not listed reject.
DEFAULT_SEVERITY: Mapping[Reason, Severity] = MappingProxyType(
    {
        Reason.OUTLIER: Severity.WARN,
        Reason.INVALID_EMAIL: Severity.WARN,
        Reason.INVALID_PHONE: Severity.WARN,
        Reason.INVALID_NAME: Severity.WARN,
        Reason.UNVERIFIED_CUSTOMER: Severity.WARN,
        Reason.UNVERIFIED_STORE: Severity.WARN,
        Reason.UNVERIFIED_PRODUCT: Severity.WARN,
        Reason.UNVERIFIED_PROMOTION: Severity.WARN,
    }
)
#: Reasons whose severity may be configured. The others guard the silver
#: contract itself (types, keys, references) and always reject.
CONFIGURABLE = frozenset(
    {
        Reason.OUTLIER,
        Reason.INVALID_EMAIL,
        Reason.INVALID_PHONE,
        Reason.INVALID_NAME,
        Reason.TOTAL_MISMATCH,
        Reason.UNKNOWN_PROMOTION,
    }
)
#: Reasons that a later batch can cure (a master that arrives late): their rejects
#: are retried by reprocessing.
CURABLE = frozenset(
    {
        Reason.UNKNOWN_CUSTOMER,
        Reason.UNKNOWN_STORE,
        Reason.UNKNOWN_PRODUCT,
        Reason.UNKNOWN_PROMOTION,
        Reason.UNKNOWN_ORIGINAL_TRANSACTION,
        Reason.ORPHAN_LINE,
        Reason.MISSING_LINES,
        Reason.PARENT_REJECTED,
    }
)
#: Curable reasons of the two halves of a sale, headers and lines, that may land in
#: different runs: their rejects are retried even by the run that made them.
AWAITING_PARTNER = frozenset({Reason.ORPHAN_LINE, Reason.MISSING_LINES})


class NormalisationKind(StrEnum):
    """A formatting of a value whose meaning is certain, read as what it means and counted."""

    WHITESPACE = "WHITESPACE"
    NULL_TOKEN = "NULL_TOKEN"
    INTEGRAL_FLOAT = "INTEGRAL_FLOAT"
    LEADING_ZEROS = "LEADING_ZEROS"
    CURRENCY_MARK = "CURRENCY_MARK"
    THOUSANDS_SEPARATOR = "THOUSANDS_SEPARATOR"
    DECIMAL_COMMA = "DECIMAL_COMMA"
    DATETIME_AS_DATE = "DATETIME_AS_DATE"
    YEAR_FIRST_SLASHES = "YEAR_FIRST_SLASHES"
    DAY_FIRST_DATE = "DAY_FIRST_DATE"
    MONTH_FIRST_DATE = "MONTH_FIRST_DATE"
    TWELVE_HOUR_CLOCK = "TWELVE_HOUR_CLOCK"
    CONFIGURED_FORMAT = "CONFIGURED_FORMAT"
    ID_REWRITE = "ID_REWRITE"
    PADDED_ROW = "PADDED_ROW"


class BadFileReason(StrEnum):
    """Why a landing file was refused as a whole."""

    UNKNOWN_FILE = "UNKNOWN_FILE"
    EMPTY_FILE = "EMPTY_FILE"
    UNDECODABLE = "UNDECODABLE"
    BINARY = "BINARY"
    BAD_HEADER = "BAD_HEADER"
    MISSING_COLUMNS = "MISSING_COLUMNS"
    DUPLICATE_COLUMNS = "DUPLICATE_COLUMNS"
    SYMLINK = "SYMLINK"
    NOT_A_FILE = "NOT_A_FILE"
    UNREADABLE = "UNREADABLE"
    BAD_ARCHIVE = "BAD_ARCHIVE"
    ARCHIVE_TOO_LARGE = "ARCHIVE_TOO_LARGE"


class FileStatus(StrEnum):
    """What happened to a landing file (the manifest's ``status``)."""

    LANDED = "LANDED"
    ALREADY_LANDED = "ALREADY_LANDED"
    REJECTED = "REJECTED"
    IGNORED = "IGNORED"


class RejectStatus(StrEnum):
    """Whether a reject is still open or was promoted into silver by reprocessing."""

    OPEN = "OPEN"
    REPROCESSED = "REPROCESSED"


class RedemptionStatus(StrEnum):
    """The points engine's verdict on a redemption (gold's ``redemption_verdicts``)."""

    CONFIRMED = "CONFIRMED"
    REFUSED = "REFUSED"


class NotificationKind(StrEnum):
    """What a message tells a member; its template key is the lower-case name."""

    TIER_UPGRADE = "TIER_UPGRADE"
    TIER_DOWNGRADE = "TIER_DOWNGRADE"
    POINTS_EXPIRING = "POINTS_EXPIRING"
    WIN_BACK = "WIN_BACK"
    REDEMPTION_CONFIRMED = "REDEMPTION_CONFIRMED"
    REDEMPTION_REFUSED = "REDEMPTION_REFUSED"
    POINTS_MILESTONE = "POINTS_MILESTONE"


class NotificationStatus(StrEnum):
    """Where a message of the outbox is: to send, sent, given up on, or no longer due."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class Stage(StrEnum):
    """The stage that rejected a row: the silver checks, or gold's points engine."""

    SILVER = "silver"
    GOLD = "gold"


class TransactionType(StrEnum):
    """A sales header's ``transaction_type``."""

    SALE = "SALE"
    RETURN = "RETURN"


class EventType(StrEnum):
    """A points ledger event."""

    EARN = "EARN"
    BONUS = "BONUS"
    REVERSAL = "REVERSAL"
    REDEEM = "REDEEM"
    EXPIRE = "EXPIRE"


class Segment(StrEnum):
    """The mission's three customer segments."""

    HIGH_SPENDER = "High Spender"
    AT_RISK = "At Risk"
    OTHERS = "Others"
