"""The exceptions loyalty_lake raises.

Every error a user can cause is a :class:`LoyaltyLakeError`: its message says
what was wrong and where, and its ``hint`` what to do about it. The CLI prints
them without a traceback.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from loyalty_lake.codes import BadFileReason


class ExitCode(IntEnum):
    """The exit status of a ``loyalty-lake`` command (see docs/operations.md, "Exit codes")."""

    #: The command did what was asked.
    OK = 0
    #: Data was refused: a file or batch, rows the command reports as failures, conservation.
    DATA = 1
    #: The command could not run as asked: an option, a path, the configuration, permissions.
    USAGE = 2
    #: A bug in loyalty_lake.
    INTERNAL = 3
    #: Stopped by Ctrl-C (SIGINT), as shells report it (128 + 2).
    INTERRUPTED = 130


class LoyaltyLakeError(Exception):
    """Base class of every loyalty_lake error."""

    #: What the command line exits with: most errors a user can cause are usage errors.
    exit_code: ClassVar[ExitCode] = ExitCode.USAGE

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

    exit_code = ExitCode.DATA

    def __init__(self, message: str, *, reason: BadFileReason, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class TableNotFoundError(LoyaltyLakeError):
    """A lake table that was asked for does not exist (yet)."""


class LakeBusyError(LoyaltyLakeError):
    """Another process is writing to the lake."""


class ContractViolation(LoyaltyLakeError):
    """Rows about to be written break their table's pandera contract (a bug, not bad data)."""

    exit_code = ExitCode.INTERNAL


class ConservationError(LoyaltyLakeError):
    """Bronze rows are missing from (or counted twice in) silver plus rejects."""

    exit_code = ExitCode.DATA


class UnsettledRedemptions(LoyaltyLakeError):
    """Redemption verdicts did not settle within the points engine's rounds."""

    exit_code = ExitCode.INTERNAL
