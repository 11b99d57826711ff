"""The exceptions loyalty_lake raises.

Every error a user can cause is a :class:`LoyaltyLakeError`: its message says
what was wrong and where, and its ``hint`` what to do about it. The CLI prints
them without a traceback.
"""

from __future__ import annotations

from enum import StrEnum


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


class BadFileError(LandingError):
    """A landing file is refused as a whole; ``reason`` says why."""

    def __init__(self, message: str, *, reason: BadFileReason, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class TableNotFoundError(LoyaltyLakeError):
    """A lake table that was asked for does not exist (yet)."""
