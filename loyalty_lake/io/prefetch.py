"""Produce the next items of an iterator on a thread while the caller consumes the current one.

Landing reads and converts a file's next chunk (pyarrow's CSV reader and
polars release the GIL) while the Delta writer encodes the current one, so a
big file lands in about the time of the slower of the two rather than their sum.
"""

from __future__ import annotations

import queue
import threading
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator

T = TypeVar("T")

_DONE = object()
#: Seconds a blocked producer waits before it checks whether the consumer gave up.
_POLL = 0.1


def prefetched(items: Iterator[T], *, depth: int = 2) -> Generator[T, None, None]:
    """``items``, produced up to ``depth`` ahead on a thread.

    An exception raised by ``items`` is raised to the consumer in its place,
    after the items produced before it. When the consumer stops early (or
    raises), the producer stops at its next item and is joined before this
    generator returns: nothing reads ``items``' source afterwards.
    """
    ready: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=_POLL)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            offer(_Raised(exc))
            return
        offer(_DONE)

    worker = threading.Thread(target=produce, name="loyalty-lake-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


class _Raised:
    """An exception raised by the producer, on its way to the consumer."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
