"""Deliver the notification outbox to a sink, with exactly-once effects.

The outbox (``gold/notifications``) says what to send; the lake's delivery
journal (``<lake>/outbox/journal.jsonl``) says what happened to each message.
A run:

1. folds the journal into the outbox (what an interrupted run delivered
   becomes SENT before anything is sent), publishing the change;
2. sends the PENDING messages, oldest first, to the sink, resolving each
   member's address from silver ``customers`` at that moment, and appends
   each outcome to the journal, synced to disk, before the next message;
3. folds the journal into the outbox again and publishes it as a new gold
   snapshot (the other gold tables' versions and ``as_of`` unchanged).

A message is sent at least once and acted on once: a run killed between a
delivery and its journal line sends that message again, and the sink makes
the repeat harmless (the JSON Lines file skips ids it holds, the webhook's
receiver sees the same ``Idempotency-Key``). A SENT message is never sent
again; a transient failure leaves the message PENDING with one more attempt
and its error, until ``max_attempts``; a permanent one (an HTTP 4xx, no
contact left in silver) makes it FAILED with the reason at once.

Addresses never reach the outbox, the journal or a log line; errors are
masked with :func:`loyalty_lake.privacy.masked`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import polars as pl

from loyalty_lake.codes import NotificationStatus
from loyalty_lake.errors import ConfigError, LoyaltyLakeError, TableNotFoundError
from loyalty_lake.gold.notifications import OUTBOX_SCHEMA
from loyalty_lake.io import catalog, delta
from loyalty_lake.io.lock import holds_lake
from loyalty_lake.io.notify import Journal, Message, SendFailed, journal_path, read_journal
from loyalty_lake.pipeline.gold import append_snapshot

if TYPE_CHECKING:
    from collections.abc import Callable

    from loyalty_lake.io.lake import Lake
    from loyalty_lake.io.notify import Sink

log = logging.getLogger(__name__)

#: The outbox's gold table.
NOTIFICATIONS = "notifications"
#: The silver column holding each channel's address.
CONTACT_COLUMNS = {"email": "email", "sms": "phone"}
#: Statuses a message never leaves.
_CLOSED = (NotificationStatus.SENT.value, NotificationStatus.FAILED.value)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a run did with one message: its status afterwards, attempts so far, the error."""

    notification_id: str
    kind: str
    channel: str
    status: NotificationStatus
    attempts: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one delivery run did.

    ``outcomes``: one per message tried, in order. ``recovered``: messages
    whose journaled outcome (from an interrupted run) was folded into the
    outbox at the start. ``pending``: PENDING messages left in the outbox
    (to retry, or not tried because of ``limit`` or an early stop).
    ``stopped``: why the run stopped before trying every due message.
    ``version`` and ``snapshot``: the outbox version and gold snapshot the
    run published (None if it changed nothing, or the lake has no snapshots).
    """

    run_id: str
    sink: str
    outcomes: tuple[Outcome, ...]
    recovered: int
    pending: int
    stopped: str | None = None
    version: int | None = None
    snapshot: int | None = None

    def count(self, status: NotificationStatus) -> int:
        """Messages of this run that ended with ``status``."""
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def sent(self) -> int:
        """Messages delivered by this run."""
        return self.count(NotificationStatus.SENT)

    @property
    def failed(self) -> int:
        """Messages this run gave up on (FAILED)."""
        return self.count(NotificationStatus.FAILED)

    @property
    def retrying(self) -> int:
        """Messages this run tried that stay PENDING for the next run."""
        return self.count(NotificationStatus.PENDING)


# --- transforms ------------------------------------------------------------------------------


def folded_outbox(outbox: pl.LazyFrame, journal: pl.LazyFrame) -> pl.LazyFrame:
    """One row per outbox message, with the latest journal entry of each applied.

    A journaled SENT or FAILED closes the message (with ``sent_at`` for SENT);
    a journaled PENDING (a transient failure) only counts its attempts and
    error, so a message the build cancelled since stays CANCELLED. A closed
    message never reopens. Journal entries of messages not in the outbox are
    ignored. Applying the same journal twice changes nothing.
    """
    latest = (
        journal.unique("notification_id", keep="last", maintain_order=True)
        .select(
            "notification_id",
            pl.col("status").alias("_status"),
            pl.col("attempts").alias("_attempts"),
            pl.col("error").alias("_error"),
            pl.col("at").alias("_at"),
        )
        .with_columns(_journaled=pl.lit(True))
    )
    columns = outbox.collect_schema().names()
    journaled = pl.col("_journaled").fill_null(False)
    closed_before = pl.col("status").is_in(_CLOSED)
    closes = journaled & pl.col("_status").is_in(_CLOSED) & closed_before.not_()
    return (
        outbox.join(latest, on="notification_id", how="left", maintain_order="left")
        .with_columns(
            pl.when(closes).then(pl.col("_status")).otherwise(pl.col("status")).alias("status"),
            pl.when(journaled)
            .then(pl.max_horizontal(pl.col("attempts").fill_null(0), pl.col("_attempts")))
            .otherwise(pl.col("attempts"))
            .alias("attempts"),
            pl.when(journaled & closed_before.not_())
            .then(pl.col("_error"))
            .otherwise(pl.col("last_error"))
            .alias("last_error"),
            pl.when(closes & (pl.col("_status") == NotificationStatus.SENT.value))
            .then(pl.col("_at"))
            .otherwise(pl.col("sent_at"))
            .alias("sent_at"),
        )
        .select(columns)
    )


def due_messages(outbox: pl.LazyFrame, *, limit: int | None = None) -> pl.LazyFrame:
    """One row per PENDING message, oldest first (then by id); at most ``limit``."""
    due = (
        outbox.filter(pl.col("status") == NotificationStatus.PENDING.value)
        .with_columns(pl.col("attempts").fill_null(0))
        .sort("created_at", "notification_id", nulls_last=True)
    )
    return due if limit is None else due.head(limit)


def addressed_messages(due: pl.LazyFrame, customers: pl.LazyFrame) -> pl.LazyFrame:
    """One row per due message, with the member's address for its channel and first name.

    ``customers`` is silver ``customers``. ``address`` is the trimmed email
    (channel ``email``) or phone (``sms``), null when silver has none (or the
    channel is unknown); ``known`` is false when the customer is no longer in
    silver.
    """
    contacts = customers.select(
        "customer_id",
        "first_name",
        *(_trimmed(column).alias(f"_{channel}") for channel, column in CONTACT_COLUMNS.items()),
        pl.lit(True).alias("known"),
    )
    address = pl.coalesce(
        pl.when(pl.col("channel") == channel).then(pl.col(f"_{channel}"))
        for channel in CONTACT_COLUMNS
    )
    return (
        due.join(contacts, on="customer_id", how="left", maintain_order="left")
        .with_columns(address.alias("address"), pl.col("known").fill_null(False))
        .drop(*(f"_{channel}" for channel in CONTACT_COLUMNS))
    )


def _trimmed(column: str) -> pl.Expr:
    """The column's value without surrounding blanks; null if nothing is left."""
    value = pl.col(column).str.strip_chars()
    return pl.when(value.str.len_chars() > 0).then(value)


def changed_rows(before: pl.LazyFrame, after: pl.LazyFrame) -> pl.LazyFrame:
    """The rows of ``after`` that are not rows of ``before`` (every column compared)."""
    return after.join(before, on=after.collect_schema().names(), how="anti", nulls_equal=True)


# --- delivery --------------------------------------------------------------------------------


@holds_lake
def deliver(
    *,
    lake: Lake,
    sink: Sink,
    max_attempts: int = 5,
    limit: int | None = None,
    now: datetime | None = None,
    max_consecutive_failures: int = 3,
) -> DeliveryReport:
    """Send the outbox's PENDING messages (oldest first, at most ``limit``) to ``sink``.

    Holds the lake's writer lock. A message failing transiently for the
    ``max_attempts``-th time, or permanently, ends FAILED with the reason.
    After ``max_consecutive_failures`` messages in a row failed transiently
    (the receiver is down), the run stops and leaves the rest untouched.
    ``now`` fixes the time recorded (default: the clock, per message).
    """
    if max_attempts < 1:
        raise ConfigError(
            f"max_attempts must be at least 1, not {max_attempts}.", hint="E.g. --max-attempts 5."
        )
    if limit is not None and limit < 0:
        raise ConfigError(f"limit must not be negative, not {limit}.", hint="E.g. --limit 100.")
    if max_consecutive_failures < 1:
        raise ConfigError(
            f"max_consecutive_failures must be at least 1, not {max_consecutive_failures}.",
            hint="E.g. 3: stop after 3 messages in a row could not reach the receiver.",
        )
    run_id = uuid.uuid4().hex
    clock = _clock(now)
    base = published_outbox(lake)
    journal = journal_path(lake)

    start = folded_outbox(base.lazy(), read_journal(journal).lazy()).collect()
    recovered = changed_rows(base.lazy(), start.lazy()).select(pl.len()).collect().item()
    written = base
    version = snapshot = None
    if recovered:
        log.info(
            "Recording %d journaled outcome(s) the outbox lacked (an interrupted run)", recovered
        )
        version, snapshot = _publish(lake, start, run_id=run_id)
        written = start

    due = addressed_messages(due_messages(start.lazy(), limit=limit), _customers(lake)).collect()
    log.info("Delivering %d message(s) to the %s", due.height, sink.description)
    outcomes, stopped = (
        _send(
            due,
            sink,
            Journal(journal),
            max_attempts=max_attempts,
            max_consecutive_failures=max_consecutive_failures,
            clock=clock,
        )
        if due.height
        else ([], None)
    )

    end = folded_outbox(base.lazy(), read_journal(journal).lazy()).collect()
    if changed_rows(written.lazy(), end.lazy()).select(pl.len()).collect().item():
        version, snapshot = _publish(lake, end, run_id=run_id)
    pending = end.filter(pl.col("status") == NotificationStatus.PENDING.value).height
    report = DeliveryReport(
        run_id=run_id,
        sink=sink.description,
        outcomes=tuple(outcomes),
        recovered=recovered,
        pending=pending,
        stopped=stopped,
        version=version,
        snapshot=snapshot,
    )
    log.info(
        "Delivery: %d sent, %d failed, %d to retry, %d pending in the outbox",
        report.sent,
        report.failed,
        report.retrying,
        report.pending,
    )
    return report


def due(*, lake: Lake, limit: int | None = None) -> pl.DataFrame:
    """What :func:`deliver` would send now, in order, without addresses (for ``--dry-run``).

    One row per message: ``notification_id``, ``kind``, ``channel``,
    ``template``, ``attempts``, ``created_at`` and ``has_contact`` (whether
    silver holds an address for its channel). Reads only: takes no lock.
    """
    outbox = folded_outbox(published_outbox(lake).lazy(), read_journal(journal_path(lake)).lazy())
    return (
        addressed_messages(due_messages(outbox, limit=limit), _customers(lake))
        .select(
            "notification_id",
            "kind",
            "channel",
            "template",
            "attempts",
            "created_at",
            (pl.col("known") & pl.col("address").is_not_null()).alias("has_contact"),
        )
        .collect()
    )


def published_outbox(lake: Lake) -> pl.DataFrame:
    """The outbox as gold's latest snapshot published it (its latest version without snapshots)."""
    path = lake.table("gold", NOTIFICATIONS)
    if not delta.table_exists(path):
        raise TableNotFoundError(
            f"The lake at {lake.root} has no notification outbox (gold/{NOTIFICATIONS}).",
            hint="Run `loyalty-lake build` (or `loyalty-lake demo`): it writes the outbox.",
        )
    published = catalog.gold_snapshot(lake)
    version = published.versions.get(NOTIFICATIONS) if published.snapshot is not None else None
    rows = delta.scan_table(path, version=version).collect()
    missing = [name for name in OUTBOX_SCHEMA.names() if name not in rows.columns]
    if missing:
        raise LoyaltyLakeError(
            f"gold/{NOTIFICATIONS} lacks the outbox columns {', '.join(missing)}.",
            hint="Run `loyalty-lake build` to write the outbox again.",
        )
    return rows


def _send(
    due: pl.DataFrame,
    sink: Sink,
    journal: Journal,
    *,
    max_attempts: int,
    max_consecutive_failures: int,
    clock: Callable[[], datetime],
) -> tuple[list[Outcome], str | None]:
    """Send ``due`` in order, journaling each outcome; the outcomes, and why it stopped early."""
    outcomes: list[Outcome] = []
    in_a_row = 0
    with journal, sink:
        for row in due.iter_rows(named=True):
            outcome, transient = _deliver_one(row, sink, max_attempts=max_attempts)
            journal.record(
                outcome.notification_id,
                status=outcome.status.value,
                attempts=outcome.attempts,
                error=outcome.error,
                at=clock(),
            )
            outcomes.append(outcome)
            in_a_row = in_a_row + 1 if transient else 0
            if in_a_row >= max_consecutive_failures and len(outcomes) < due.height:
                stopped = (
                    f"{in_a_row} messages in a row could not reach the {sink.description}; "
                    f"{due.height - len(outcomes)} message(s) were not tried"
                )
                log.warning("Stopping: %s", stopped)
                return outcomes, stopped
    return outcomes, None


def _customers(lake: Lake) -> pl.LazyFrame:
    """Silver ``customers``, where the addresses are; refused if silver has none yet.

    (Without the table every message would fail for good as "no contact".)
    """
    if not catalog.exists(lake, "silver", "customers"):
        raise TableNotFoundError(
            f"The lake at {lake.root} has no silver customers table: "
            "the members' addresses are read from it.",
            hint="Run `loyalty-lake build` with the customers file landed.",
        )
    return catalog.scan(lake, "silver", "customers")


def _deliver_one(row: dict[str, Any], sink: Sink, *, max_attempts: int) -> tuple[Outcome, bool]:
    """Try one message once; its outcome, and whether it failed transiently."""
    attempts = int(row["attempts"] or 0) + 1
    notification_id, kind, channel = row["notification_id"], row["kind"], row["channel"]
    try:
        sink.send(_message(row))
    except SendFailed as exc:
        failure = exc
    else:
        log.info("Sent %s (%s by %s)", notification_id, kind, channel)
        return Outcome(notification_id, kind, channel, NotificationStatus.SENT, attempts), False
    if failure.transient and attempts < max_attempts:
        status, error = NotificationStatus.PENDING, failure.message
    elif failure.transient:
        status, error = (
            NotificationStatus.FAILED,
            f"gave up after {attempts} attempt(s): {failure.message}",
        )
    else:
        status, error = NotificationStatus.FAILED, failure.message
    log.warning(
        "%s (%s by %s) not delivered, %s: %s", notification_id, kind, channel, status, error
    )
    return Outcome(notification_id, kind, channel, status, attempts, error), failure.transient


def _message(row: dict[str, Any]) -> Message:
    """The message of an addressed outbox row; SendFailed (permanent) without an address."""
    channel = str(row["channel"])
    if not row["known"]:
        raise SendFailed("the customer is no longer in silver customers", transient=False)
    if channel not in CONTACT_COLUMNS:
        raise SendFailed(f"unknown channel {channel!r}", transient=False)
    address = row["address"]
    if not isinstance(address, str):
        raise SendFailed(
            f"the customer has no {CONTACT_COLUMNS[channel]} left in silver customers",
            transient=False,
        )
    first_name = row["first_name"]
    return Message(
        notification_id=str(row["notification_id"]),
        kind=str(row["kind"]),
        template=str(row["template"]),
        parameters=str(row["parameters"] or "{}"),
        channel=channel,
        address=address,
        first_name=first_name if isinstance(first_name, str) else None,
    )


def _publish(lake: Lake, rows: pl.DataFrame, *, run_id: str) -> tuple[int, int | None]:
    """Write ``rows`` as the outbox's new version and publish it in a gold snapshot.

    Returns the version and the snapshot (None when the lake has no gold
    snapshots yet: then the table alone is written).
    """
    published = catalog.gold_snapshot(lake)
    meta = {"run_id": run_id, "layer": "gold", "operation": "notify"}
    if published.as_of is not None:
        meta["as_of"] = published.as_of.isoformat()
    if published.silver_versions:
        meta["silver_versions"] = published.silver_versions
    version = delta.write_table(
        lake.table("gold", NOTIFICATIONS), rows, mode="overwrite", metadata=meta
    )
    if published.snapshot is None:
        return version, None
    snapshot = append_snapshot(
        lake,
        {**published.versions, NOTIFICATIONS: version},
        as_of=published.as_of,
        meta=meta,
        restored_from=published.restored_from,
    )
    return version, snapshot


def _clock(now: datetime | None) -> Callable[[], datetime]:
    """The time to record: ``now`` (as UTC) if given, else the clock's."""
    if now is None:
        return lambda: datetime.now(UTC)
    fixed = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(UTC)
    return lambda: fixed


__all__ = [
    "NOTIFICATIONS",
    "DeliveryReport",
    "Outcome",
    "addressed_messages",
    "changed_rows",
    "deliver",
    "due",
    "due_messages",
    "folded_outbox",
    "published_outbox",
]
