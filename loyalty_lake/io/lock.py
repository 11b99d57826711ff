"""One writer at a time per lake: an exclusive lock on ``<lake>/.lock``.

The lock is an operating-system file lock (``flock``): the kernel releases it
when its holder exits in any way, a SIGKILL included, so a crashed build never
leaves the lake locked. A second writer waits for the first, up to a timeout
(the ``lock_wait_seconds`` setting on the command line), saying at once and
every half minute whom it waits for, then stops with a clear message.

The lock file is a control file of the lake: it is opened without following a
symbolic link and only if it is a regular file, so a planted link cannot make a
writer truncate and overwrite a file elsewhere.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import logging
import os
import stat
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from loyalty_lake.errors import LakeBusyError, LakePathError
from loyalty_lake.io.lake import as_lake

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from loyalty_lake.io.lake import Lake

log = logging.getLogger(__name__)

#: How long a writer waits for another one by default.
DEFAULT_WAIT_SECONDS = 600.0
#: How often a waiting writer says again that it is waiting.
REMIND_SECONDS = 30.0
_POLL_SECONDS = 0.2
#: How long writers of the current context wait: :func:`set_wait` changes it.
_wait_seconds: ContextVar[float] = ContextVar("lock_wait_seconds", default=DEFAULT_WAIT_SECONDS)
#: Lakes this process holds, with how deeply: a build holds the lake for its stages.
_held: dict[str, int] = {}


P = ParamSpec("P")
R = TypeVar("R")


def set_wait(seconds: float) -> None:
    """Make writers of the current context wait up to ``seconds`` for another one (0: don't).

    The command line sets it from the ``lock_wait_seconds`` setting, for the
    command it runs (in a context of its own).
    """
    _wait_seconds.set(seconds)


@contextmanager
def writer_lock(lake: Lake, *, wait: float | None = None) -> Iterator[None]:
    """Hold the lake's writer lock for the duration of the block.

    Waits up to ``wait`` seconds for another writer to finish (0: don't wait;
    None: as long as :func:`set_wait` said, 600 s by default), logging a
    warning that names the holder at once and every 30 s. Re-entrant within a
    process: a build's stages share the build's lock.
    """
    wait = _wait_seconds.get() if wait is None else wait
    key = str(lake.root)
    if _held.get(key):
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    lake.root.mkdir(parents=True, exist_ok=True)
    fd = _open_lock_file(lake.root / ".lock")
    try:
        _acquire(fd, lake, wait=wait)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _held[key] = 1
        try:
            yield
        finally:
            _held.pop(key, None)
    finally:
        os.close(fd)  # closing releases the lock


def _acquire(fd: int, lake: Lake, *, wait: float) -> None:
    """Lock ``fd`` exclusively, waiting up to ``wait`` seconds and saying whom for."""
    started = time.monotonic()
    reminder = 0.0  # how far into the wait to say (again) whom it waits for
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            waited = time.monotonic() - started
            if waited >= wait:
                raise LakeBusyError(
                    f"Another loyalty-lake process (pid {_holder(fd)}) is writing to "
                    f"{lake.root}; waited {wait:.0f} s.",
                    hint="Wait for it to finish (a crashed process releases the lake "
                    "by itself), then run the command again; the setting lock_wait_seconds "
                    "(LOYALTY_LAKE_LOCK_WAIT_SECONDS) sets how long to wait.",
                ) from None
            if waited >= reminder:
                so_far = f"{waited:.0f} s so far, " if reminder else ""
                log.warning(
                    "Waiting for loyalty-lake process pid %s writing to %s (%sup to %.0f s; "
                    "Ctrl-C to stop)",
                    _holder(fd),
                    lake.root,
                    so_far,
                    wait,
                )
                reminder += REMIND_SECONDS
            time.sleep(min(_POLL_SECONDS, max(wait - waited, 0)))


def _holder(fd: int) -> str:
    """The pid the holder of the lock wrote into the lock file ("unknown" before it did)."""
    return os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"


def _open_lock_file(path: Path) -> int:
    """The descriptor of the lock file ``path``, created owner-only; never through a link.

    Raises LakePathError if ``path`` is a symbolic link or anything but a regular file.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)  # O_NONBLOCK: a FIFO planted there cannot block us
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LakePathError(
                f"The lake's lock file {path} is a symbolic link; refusing to follow it.",
                hint=f"Remove the link {path}; the next command creates a plain lock file.",
            ) from None
        if exc.errno in (errno.EISDIR, errno.ENXIO):
            raise _not_a_file(path) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _not_a_file(path)
    return fd


def _not_a_file(path: Path) -> LakePathError:
    """The error for a lock file that is a folder, a FIFO, a device or a socket."""
    return LakePathError(
        f"The lake's lock file {path} is not a regular file; refusing to use it.",
        hint=f"Remove {path}; the next command creates a plain lock file.",
    )


def holds_lake(fn: Callable[P, R]) -> Callable[P, R]:
    """Run ``fn`` (which takes ``lake=`` as a keyword) holding that lake's writer lock.

    ``lake`` may be given as its root folder (a str or path): ``fn`` gets a :class:`Lake`.
    """

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        lake = as_lake(kwargs["lake"])  # type: ignore[arg-type]
        kwargs["lake"] = lake
        with writer_lock(lake):
            return fn(*args, **kwargs)

    return run
