"""One writer at a time per lake: an exclusive lock on ``<lake>/.lock``.

The lock is an operating-system file lock (``flock``): the kernel releases it
when its holder exits in any way, a SIGKILL included, so a crashed build never
leaves the lake locked. A second writer waits for the first, up to a timeout,
then stops with a clear message.

The lock file is a control file of the lake: it is opened without following a
symbolic link and only if it is a regular file, so a planted link cannot make a
writer truncate and overwrite a file elsewhere.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import os
import stat
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from loyalty_lake.errors import LakeBusyError, LakePathError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from loyalty_lake.io.lake import Lake

#: How long a writer waits for another one by default.
DEFAULT_WAIT_SECONDS = 600.0
_POLL_SECONDS = 0.2
#: Lakes this process holds, with how deeply: a build holds the lake for its stages.
_held: dict[str, int] = {}


P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def writer_lock(lake: Lake, *, wait: float = DEFAULT_WAIT_SECONDS) -> Iterator[None]:
    """Hold the lake's writer lock for the duration of the block.

    Waits up to ``wait`` seconds for another writer to finish (0: don't wait).
    Re-entrant within a process: a build's stages share the build's lock.
    """
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
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                    raise LakeBusyError(
                        f"Another loyalty-lake process (pid {holder}) is writing to "
                        f"{lake.root}; waited {wait:.0f} s.",
                        hint="Wait for it to finish (a crashed process releases the lake "
                        "by itself), then run the command again.",
                    ) from None
                time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _held[key] = 1
        try:
            yield
        finally:
            _held.pop(key, None)
    finally:
        os.close(fd)  # closing releases the lock


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
    """Run ``fn`` (which takes ``lake=`` as a keyword) holding that lake's writer lock."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        lake = kwargs["lake"]
        with writer_lock(lake):  # type: ignore[arg-type]
            return fn(*args, **kwargs)

    return run
