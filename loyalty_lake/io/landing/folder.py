"""Batch folders opened without following links; their files opened relative to them."""

from __future__ import annotations

import errno
import logging
import os
import stat
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from loyalty_lake.codes import BadFileReason
from loyalty_lake.errors import BadFileError, LandingError
from loyalty_lake.io.landing.archives import is_landing_name

if TYPE_CHECKING:
    from pathlib import Path


log = logging.getLogger(__name__)

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True, slots=True)
class LandingEntries:
    """What a batch folder holds: CSV files to land, CSV names refused unread, the rest.

    CSV files are ``.csv`` files and compressed ones (``.csv.gz``, ``.zip``).
    """

    files: tuple[str, ...]
    refused: tuple[tuple[str, BadFileError], ...]
    ignored: tuple[str, ...]


class BatchFolder:
    """A batch folder opened without following links; its files are opened relative to it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self._fd = os.open(path, _DIR_FLAGS)
        except OSError as exc:
            raise _folder_error(path, exc) from None

    def __enter__(self) -> BatchFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)

    def entries(self) -> LandingEntries:
        """The folder's entries, sorted by name; links and special files are never opened."""
        files: list[str] = []
        refused: list[tuple[str, BadFileError]] = []
        ignored: list[str] = []
        with os.scandir(self._fd) as scan:
            found = sorted(scan, key=lambda e: e.name)
        for entry in found:
            if not is_landing_name(entry.name):
                ignored.append(entry.name)
            elif entry.is_symlink():
                refused.append((entry.name, _symlink(entry.name)))
            elif entry.is_dir(follow_symlinks=False):
                ignored.append(entry.name)
            elif not entry.is_file(follow_symlinks=False):
                refused.append((entry.name, _not_a_file(entry.name)))
            else:
                files.append(entry.name)
        return LandingEntries(tuple(files), tuple(refused), tuple(ignored))

    def open(self, name: str) -> BinaryIO:
        """Open the regular file ``name`` for reading; a link or special file is refused."""
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=self._fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.EMLINK):
                raise _symlink(name) from None
            raise BadFileError(
                f"{name} cannot be opened ({os.strerror(exc.errno or 0)}).",
                reason=BadFileReason.UNREADABLE,
                hint="Check the file exists and the loyalty-lake user may read it.",
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise _not_a_file(name)
        return os.fdopen(fd, "rb")


def _folder_error(path: Path, exc: OSError) -> LandingError:
    if exc.errno in (errno.ELOOP, errno.EMLINK) or (
        exc.errno == errno.ENOTDIR and path.is_symlink()
    ):
        return LandingError(
            f"{path} is a symbolic link; loyalty-lake does not follow links in landing folders.",
            hint="Copy or move the batch into the landing folder instead of linking it.",
        )
    if exc.errno == errno.ENOENT:
        return LandingError(
            f"{path} does not exist.", hint="Pass a batch folder of CSV files or a single CSV file."
        )
    return LandingError(
        f"{path} cannot be opened as a folder ({os.strerror(exc.errno or 0)}).",
        hint="Pass a batch folder of CSV files (readable by this user) or a single CSV file.",
    )


def _symlink(name: str) -> BadFileError:
    return BadFileError(
        f"{name} is a symbolic link; it was not followed.",
        reason=BadFileReason.SYMLINK,
        hint="Put the file itself in the batch folder (links are never followed, so that a "
        "landing folder cannot make loyalty-lake read files elsewhere).",
    )


def _not_a_file(name: str) -> BadFileError:
    return BadFileError(
        f"{name} is not a regular file (a pipe, a device or a socket); it was not read.",
        reason=BadFileReason.NOT_A_FILE,
        hint="Landing folders hold regular CSV files only.",
    )
