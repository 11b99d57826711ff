"""The exceptions loyalty_lake raises.

Every error a user can cause is a :class:`LoyaltyLakeError`: its message says
what was wrong and where, and its ``hint`` what to do about it. The CLI prints
them without a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loyalty_lake.codes import BadFileReason


class LoyaltyLakeError(Exception):
    """Base class of every loyalty_lake error."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\nHint: {self.hint}" if self.hint else self.message


class ConfigError(LoyaltyLakeError):
    """A configuration file, environment variable or option is invalid."""


class LakePathError(LoyaltyLakeError):
    """A lake path, table name or batch id is unsafe or does not exist."""


class LandingError(LoyaltyLakeError):
    """A landing file or folder cannot be ingested."""


class BadFileError(LandingError):
    """A landing file is refused as a whole; ``reason`` says why."""

    def __init__(self, message: str, *, reason: BadFileReason, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class TableNotFoundError(LoyaltyLakeError):
    """A lake table that was asked for does not exist (yet)."""


class LakeBusyError(LoyaltyLakeError):
    """Another process is writing to the lake."""


class ContractViolation(LoyaltyLakeError):
    """Rows about to be written break their table's pandera contract (a bug, not bad data)."""


class ConservationError(LoyaltyLakeError):
    """Bronze rows are missing from (or counted twice in) silver plus rejects."""


class UnsettledRedemptions(LoyaltyLakeError):
    """Redemption verdicts did not settle within the points engine's rounds."""
