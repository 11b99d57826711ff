"""Where notifications go: sinks that deliver a message, and the delivery journal.

A sink takes one :class:`Message` (the outbox row with the member's real
address, resolved from silver at the moment of sending) and either delivers
it or raises :class:`SendFailed`, saying whether trying again later may help.
Both sinks make a repeated delivery of the same message harmless:

- :class:`JsonLinesSink` appends one JSON object per message to a file (for a
  downstream sender) and never writes a notification id the file already holds;
- :class:`WebhookSink` POSTs the message with the header
  ``Idempotency-Key: <notification_id>``: the receiver acts once per key.

The :class:`Journal` is the durable record of what was delivered: one JSON
line per outcome, synced to disk before the next message is tried. It holds
ids, statuses, attempt counts, errors and times only, never an address.

Files here are owner-only and never opened through a symbolic link: the
messages file holds members' addresses.
"""

from __future__ import annotations

import errno
import http.client
import io
import json
import logging
import os
import re
import stat
import time
import urllib.error
import urllib.parse
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import polars as pl

from loyalty_lake.errors import ConfigError, ExitCode, LakePathError, LoyaltyLakeError
from loyalty_lake.privacy import MASK, masked, shortened

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime
    from types import TracebackType

    from loyalty_lake.io.lake import Lake

log = logging.getLogger(__name__)

#: The journal's columns: one row per delivery outcome, in the order they happened.
JOURNAL_SCHEMA = pl.Schema(
    {
        "notification_id": pl.String(),
        "status": pl.String(),
        "attempts": pl.Int64(),
        "error": pl.String(),
        "at": pl.Datetime("us", "UTC"),
    }
)
#: HTTP statuses worth trying again: timeouts, rate limits, and every 5xx.
RETRYABLE_STATUSES = frozenset({408, 425, 429})
#: The longest a webhook's ``Retry-After`` makes a delivery wait before trying again.
MAX_RETRY_AFTER_SECONDS = 30.0
#: How much of a webhook's error response is kept in the reason (masked).
_ERROR_BODY_CHARS = 200
_READ_CHUNK = 64 * 1024


def outbox_folder(lake: Lake) -> Path:
    """The lake's folder of delivery files: the journal and the default messages file."""
    return lake.root / "outbox"


def journal_path(lake: Lake) -> Path:
    """The lake's delivery journal."""
    return outbox_folder(lake) / "journal.jsonl"


def messages_path(lake: Lake) -> Path:
    """The default file of :class:`JsonLinesSink`."""
    return outbox_folder(lake) / "messages.jsonl"


@dataclass(frozen=True, slots=True)
class Message:
    """One message to deliver: an outbox row with its real address.

    The address and first name are personal data: they are not part of the
    message's ``repr`` and never logged.
    """

    notification_id: str
    kind: str
    template: str
    parameters: str
    channel: str
    address: str = field(repr=False)
    first_name: str | None = field(repr=False, default=None)

    def payload(self) -> dict[str, Any]:
        """The JSON object a sink delivers (see docs/notifications.md, "The webhook contract")."""
        return {
            "notification_id": self.notification_id,
            "kind": self.kind,
            "template": self.template,
            "parameters": json.loads(self.parameters) if self.parameters else {},
            "channel": self.channel,
            "address": self.address,
            "first_name": self.first_name,
        }

    def scrubbed(self, text: str) -> str:
        """``text`` (a receiver's answer) with this message's address and first name masked."""
        if self.address:
            text = text.replace(self.address, MASK)
        if self.first_name and self.first_name.strip():
            name = re.escape(self.first_name.strip())
            text = re.sub(rf"(?<!\w){name}(?!\w)", MASK, text)
        return masked(text)


class SendFailed(LoyaltyLakeError):
    """A message was not delivered; ``transient`` says whether a later try may succeed.

    The message is masked: it never holds the address.
    """

    exit_code = ExitCode.DATA

    def __init__(self, message: str, *, transient: bool, hint: str | None = None) -> None:
        super().__init__(masked(message), hint=hint)
        self.transient = transient


class Sink(ABC):
    """Delivers messages; used as a context manager around a delivery run."""

    #: What the sink is, for logs and reports (never a secret or an address).
    description: str = "sink"

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def open(self) -> None:  # noqa: B027 - a sink without set-up needs none
        """Get ready to send (called once the lake's writer lock is held)."""

    def close(self) -> None:  # noqa: B027 - a sink without resources needs none
        """Release what :meth:`open` took."""

    @abstractmethod
    def send(self, message: Message) -> None:
        """Deliver ``message``, or raise :class:`SendFailed`.

        Delivering a message that was delivered before must have no second effect.
        """


class JsonLinesSink(Sink):
    """Appends one JSON object per message to ``path`` (created owner-only, 0o600).

    Never opens the file through a symbolic link. The ids already in the file
    are read when it is opened, and a message whose id is there is not written
    again: a run stopped between writing a message and journaling it does not
    duplicate it. A last line cut short by a crash is removed (that message
    was not delivered; it is written again whole).
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.description = f"JSON Lines file {self.path}"
        self._fd: int | None = None
        self._written: set[str] = set()

    def open(self) -> None:
        """Open the file for appending and read the ids it holds."""
        fd = open_private_append(self.path)
        try:
            lines = read_complete_lines(fd)
            self._written = set(_ids(lines, self.path))
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        log.debug("%s holds %d message(s)", self.path, len(self._written))

    def close(self) -> None:
        """Close the file."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def send(self, message: Message) -> None:
        """Append ``message`` as one line and sync it to disk, unless the file has it already."""
        if self._fd is None:
            raise RuntimeError("JsonLinesSink.send called outside `with sink:`")
        if message.notification_id in self._written:
            log.info("%s is already in %s: not written again", message.notification_id, self.path)
            return
        line = json.dumps(message.payload(), ensure_ascii=False, separators=(",", ":")) + "\n"
        try:
            write_durably(self._fd, line.encode())
        except OSError as exc:
            raise SendFailed(
                f"Could not write to {self.path}: {exc.strerror or exc}", transient=True
            ) from None
        self._written.add(message.notification_id)


class WebhookSink(Sink):
    """POSTs each message as JSON to an http(s) ``url``, with ``Idempotency-Key``.

    Within one delivery, connection errors, timeouts (``timeout`` seconds per
    connection and per read), 5xx, 408, 425 and 429 are tried again up to
    ``retries`` more times, after ``backoff`` seconds doubling each time (or
    the ``Retry-After`` the receiver asks for, up to 30 s). They are
    *transient* failures: the message stays pending for the next run. Any
    other answer (3xx, 4xx) is *permanent*. Redirects are not followed (a
    redirected POST would arrive without its body).
    """

    def __init__(
        self, url: str, *, timeout: float = 10.0, retries: int = 3, backoff: float = 0.5
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(
                f"The webhook URL {_origin(url)!r} is not an http:// or https:// URL.",
                hint="Pass the receiver's address, e.g. --webhook https://crm.example.com/hooks/loyalty.",
            )
        if timeout <= 0 or retries < 0 or backoff < 0:
            raise ConfigError(
                f"Webhook timeout {timeout}, retries {retries} and backoff {backoff} "
                "must be positive (retries and backoff may be 0).",
                hint="E.g. --timeout 10.",
            )
        self.url = url
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        # Only the origin is shown: a webhook's path or query often holds its secret token.
        self.description = f"webhook {_origin(url)}"
        self._opener = urllib.request.build_opener(_NoRedirects())

    def send(self, message: Message) -> None:
        """POST ``message``; retry transient failures; raise :class:`SendFailed` if undelivered."""
        body = json.dumps(message.payload(), ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": message.notification_id,
                "User-Agent": "loyalty-lake",
            },
        )
        tries = self.retries + 1
        for attempt in range(1, tries + 1):
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    _drain(response)
                return
            except urllib.error.HTTPError as exc:
                failure = _http_failure(exc, message)
                wait = _retry_after(exc)
                exc.close()
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                failure = SendFailed(_network_reason(exc), transient=True)
                wait = None
            if not failure.transient or attempt == tries:
                if failure.transient and tries > 1:
                    raise SendFailed(f"{failure.message} (tried {tries} times)", transient=True)
                raise failure
            delay = self.backoff * 2 ** (attempt - 1)
            if wait is not None:
                delay = max(delay, wait)
            log.info(
                "%s: %s; trying again in %.1f s (%d of %d)",
                message.notification_id,
                failure.message,
                delay,
                attempt + 1,
                tries,
            )
            time.sleep(delay)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Refuses redirects: a 3xx answer is an :class:`~urllib.error.HTTPError` like a 4xx."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        """Follow no redirect."""
        return None


def _http_failure(exc: urllib.error.HTTPError, message: Message) -> SendFailed:
    """The failure of an HTTP error answer: transient for 408, 425, 429 and 5xx."""
    transient = exc.code in RETRYABLE_STATUSES or 500 <= exc.code <= 599
    try:
        answer = exc.read(_ERROR_BODY_CHARS * 4).decode("utf-8", errors="replace").strip()
    except (OSError, http.client.HTTPException):
        answer = ""
    reason = f"HTTP {exc.code} {exc.reason}"
    if answer:  # scrubbed whole, then cut: a cut address would no longer be recognised
        reason += ": " + shortened(message.scrubbed(" ".join(answer.split())), _ERROR_BODY_CHARS)
    return SendFailed(reason, transient=transient)


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    """The seconds a 429 or 503 answer asks to wait (``Retry-After``), at most 30."""
    value = exc.headers.get("Retry-After") if exc.headers else None
    try:
        seconds = float(value) if value is not None else None
    except ValueError:  # an HTTP date: use the backoff
        return None
    return None if seconds is None else min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _network_reason(exc: BaseException) -> str:
    """What went wrong on the network, without the URL (it may hold a token)."""
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else OSError(str(exc.reason))
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _drain(response: Any) -> None:
    """Read the (ignored) body of a successful answer, so it is complete before we go on."""
    while response.read(_READ_CHUNK):
        pass


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``: what can be shown of it."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}" if parts.scheme else "(no scheme)"


# --- the journal ---------------------------------------------------------------------------


class Journal:
    """The lake's delivery journal: append-only, one JSON line per outcome, synced each time.

    Used as a context manager; :meth:`record` returns once the line is on disk.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> Self:
        self._fd = open_private_append(self.path)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def record(
        self,
        notification_id: str,
        *,
        status: str,
        attempts: int,
        error: str | None,
        at: datetime,
    ) -> None:
        """Append one outcome and sync it to disk. ``error`` is masked again, to be sure."""
        if self._fd is None:
            raise RuntimeError("Journal.record called outside `with journal:`")
        entry = {
            "notification_id": notification_id,
            "status": status,
            "attempts": attempts,
            "error": masked(error) if error is not None else None,
            "at": at.isoformat(timespec="microseconds"),
        }
        write_durably(self._fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode())


def read_journal(path: Path) -> pl.DataFrame:
    """Every complete entry of the journal at ``path``, in order (none if there is no journal).

    A last line cut short by a crash was never recorded: it is left out.
    """
    if not path.exists() and not path.is_symlink():
        return pl.DataFrame(schema=JOURNAL_SCHEMA)
    fd = _open_private(path, os.O_RDONLY)
    try:
        data = b"".join(read_complete_lines(fd))
    finally:
        os.close(fd)
    if not data.strip():
        return pl.DataFrame(schema=JOURNAL_SCHEMA)
    raw = pl.read_ndjson(io.BytesIO(data), schema={**JOURNAL_SCHEMA, "at": pl.String()})
    return raw.with_columns(pl.col("at").str.to_datetime(time_unit="us", time_zone="UTC")).select(
        JOURNAL_SCHEMA.names()
    )


# --- private files -------------------------------------------------------------------------


def open_private_append(path: Path) -> int:
    """A descriptor appending to ``path``, created owner-only in an owner-only folder.

    Refuses a symbolic link (the file or its folder) and anything but a
    regular file. A last line cut short by a crash is cut off, so the next
    line starts on a line of its own.
    """
    _private_folder(path.parent)
    existed = path.exists()
    fd = _open_private(path, os.O_RDWR | os.O_APPEND | os.O_CREAT)
    try:
        size = os.fstat(fd).st_size
        complete = sum(len(line) for line in read_complete_lines(fd))
        if complete < size:
            log.warning(
                "%s ended with an incomplete line (a run was stopped while writing it); "
                "removing it",
                path,
            )
            os.ftruncate(fd, complete)
            os.fsync(fd)
        if not existed:
            _sync_folder(path.parent)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_complete_lines(fd: int) -> list[bytes]:
    """The lines of the file ``fd`` that end with a newline (a cut-short last line is left out)."""
    chunks = []
    offset = 0
    while chunk := os.pread(fd, _READ_CHUNK, offset):
        chunks.append(chunk)
        offset += len(chunk)
    data = b"".join(chunks)
    end = data.rfind(b"\n") + 1
    return data[:end].splitlines(keepends=True)


def write_durably(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` and sync it to disk."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    os.fsync(fd)


def _open_private(path: Path, flags: int) -> int:
    """Open ``path`` with ``flags`` (mode 0o600 if created), never through a link."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LakePathError(
                f"{path} is a symbolic link; refusing to follow it.",
                hint=f"Remove the link {path} (or pass another file); "
                "loyalty-lake creates a plain owner-only file.",
            ) from None
        if exc.errno in (errno.EISDIR, errno.ENXIO):
            raise _not_a_file(path) from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _not_a_file(path)
    return fd


def _private_folder(folder: Path) -> None:
    """Create ``folder`` owner-only if missing; refuse it if it is a symbolic link."""
    if folder.is_symlink():
        raise LakePathError(
            f"{folder} is a symbolic link; refusing to write personal data through it.",
            hint=f"Replace the link {folder} by a folder (or pass another file).",
        )
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)


def _sync_folder(folder: Path) -> None:
    """Sync a folder, so that a file just created in it survives a crash."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _not_a_file(path: Path) -> LakePathError:
    return LakePathError(
        f"{path} is not a regular file; refusing to use it.",
        hint=f"Remove {path} or pass another file.",
    )


def _ids(lines: Iterable[bytes], path: Path) -> list[str]:
    """The notification ids of the JSON lines of a messages file."""
    ids = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise LakePathError(
                f"Line {number} of {path} is not JSON: it is not a messages file of loyalty-lake.",
                hint="Pass another file with --out (or move this one away).",
            ) from None
        if isinstance(record, dict) and isinstance(record.get("notification_id"), str):
            ids.append(record["notification_id"])
    return ids
