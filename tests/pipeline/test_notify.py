"""Delivering the notification outbox: sinks, retries, the journal, crashes, personal data.

Every test writes a small lake in ``tmp_path``: silver ``customers`` with real
contacts and a ``gold/notifications`` outbox of literal rows. The webhook tests
talk to a real HTTP server on 127.0.0.1 that counts effects by idempotency key.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import stat
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import loyalty_lake.cli.notify  # noqa: F401 - registers the notify command
from loyalty_lake.cli import app
from loyalty_lake.errors import ConfigError, LakePathError, TableNotFoundError
from loyalty_lake.gold.notifications import OUTBOX_SCHEMA
from loyalty_lake.io import catalog, delta
from loyalty_lake.io.lake import Lake
from loyalty_lake.io.notify import (
    JOURNAL_SCHEMA,
    JsonLinesSink,
    Message,
    Sink,
    WebhookSink,
    journal_path,
    messages_path,
    read_journal,
)
from loyalty_lake.pipeline.gold import append_snapshot
from loyalty_lake.pipeline.notify import deliver, due, folded_outbox

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
CREATED = datetime(2024, 6, 30, 8, 0, tzinfo=UTC)
#: The real contacts of the test members: none may appear outside silver and the sink.
CONTACTS = {
    "C1": ("Ada", "ada.lovelace@example.com", None),
    "C2": ("Grace", None, "+44 7700 900123"),
    "C3": ("Alan", "alan.turing@example.org", "+44 7700 900456"),
}
SECRETS = ("ada.lovelace", "alan.turing", "7700 900123", "7700 900456", "7700900")
#: (id, customer, kind, channel) of the outbox's pending messages, oldest first.
MESSAGES = (
    ("n1", "C1", "TIER_UPGRADE", "email"),
    ("n2", "C2", "POINTS_EXPIRING", "sms"),
    ("n3", "C3", "WIN_BACK", "email"),
)
PARAMETERS = {
    "TIER_UPGRADE": {"from_tier": "Silver", "to_tier": "Gold"},
    "POINTS_EXPIRING": {"points": 300, "expiry_date": "2024-07-10"},
    "WIN_BACK": {"points": 40, "days_since_purchase": 45},
    "POINTS_MILESTONE": {"milestone": 1000},
}

runner = CliRunner()


@pytest.fixture(autouse=True)
def _root_logging():
    """Give the root logger back its handlers: a command installs its own (on a closed stream)."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


# --- a small lake ----------------------------------------------------------------------------


def write_customers(lake: Lake, contacts: dict = CONTACTS) -> None:
    rows = [
        {
            "customer_id": customer,
            "first_name": first,
            "last_name": "Secret",
            "email": email,
            "phone": phone,
            "_batch_id": "b1",
            "_source_file": "customers.csv",
            "_file_sha256": "0" * 64,
            "_row_number": number,
            "_ingested_at": CREATED,
        }
        for number, (customer, (first, email, phone)) in enumerate(contacts.items(), 1)
    ]
    frame = pl.DataFrame(rows, schema=catalog.table_schema("silver", "customers"))
    delta.write_table(
        lake.table("silver", "customers"), frame, mode="overwrite", metadata={"run_id": "t"}
    )


def outbox_row(
    notification_id: str,
    customer: str,
    kind: str,
    channel: str,
    *,
    status: str = "PENDING",
    created_at: datetime = CREATED,
    attempts: int = 0,
) -> dict:
    return {
        "notification_id": notification_id,
        "customer_id": customer,
        "kind": kind,
        "event_date": date(2024, 6, 30),
        "channel": channel,
        "contact_pseudonym": f"hash-of-{customer}",
        "template": kind.lower(),
        "parameters": json.dumps(PARAMETERS[kind]),
        "status": status,
        "created_at": created_at,
        "attempts": attempts,
        "last_error": None,
        "sent_at": None,
    }


def write_outbox(lake: Lake, rows: list[dict] | None = None) -> int:
    if rows is None:
        rows = [
            outbox_row(*m, created_at=CREATED + timedelta(minutes=i))
            for i, m in enumerate(MESSAGES)
        ]
    return delta.write_table(
        lake.table("gold", "notifications"),
        pl.DataFrame(rows, schema=OUTBOX_SCHEMA),
        mode="overwrite",
        metadata={"run_id": "build"},
    )


def outbox(lake: Lake) -> pl.DataFrame:
    return delta.scan_table(lake.table("gold", "notifications")).collect().sort("notification_id")


def statuses(lake: Lake) -> dict[str, tuple[str, int]]:
    return {
        r[0]: (r[1], r[2])
        for r in outbox(lake).select("notification_id", "status", "attempts").rows()
    }


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake(tmp_path / "lake")
    write_customers(lake)
    write_outbox(lake)
    return lake


class Recorder(Sink):
    """An in-memory sink: what was sent, in order."""

    description = "recorder"

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)


# --- a local webhook receiver ----------------------------------------------------------------


class Receiver(ThreadingHTTPServer):
    """A webhook on 127.0.0.1 that acts once per Idempotency-Key and counts everything.

    ``answer(key, tries_of_key)`` says how to answer: ``(status, delay_seconds)``.
    ``hold_after``: after that many effects, the handler of the last one waits
    for ``release`` before answering (and sets ``held``).
    """

    daemon_threads = True

    def __init__(self, answer=lambda key, tries: (200, 0.0), *, hold_after: int | None = None):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.hold_after = hold_after
        self.held = threading.Event()
        self.release = threading.Event()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict, dict]] = []  # key, headers, body
        self.effects: Counter[str] = Counter()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/loyalty?token=s3cret"

    def tries(self, key: str) -> int:
        return sum(1 for k, _, _ in self.requests if k == key)

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (timeout, SIGKILL) closed the socket: expected here

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.release.set()
        self.shutdown()
        self.server_close()
        self.thread.join()


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def log_message(self, format, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers["Idempotency-Key"]
        server = self.server
        with server.lock:
            server.requests.append((key, dict(self.headers), body))
            status, delay, *custom = server.answer(key, server.tries(key))
            hold = False
            if 200 <= status < 300 and not server.effects[key]:
                server.effects[key] += 1  # the effect: once per key, whatever the retries
                hold = server.hold_after is not None and sum(server.effects.values()) == (
                    server.hold_after
                )
        if delay:
            server.stop.wait(delay)
        if hold:
            server.held.set()
            server.release.wait(30)
        answer = json.dumps({"echo": body}).encode() if status >= 400 else b"{}"
        answer = custom[0] if custom else answer
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
        except OSError:
            pass  # the sender is gone


def fail_first(times: int, status: int = 503):
    return lambda key, tries: (status, 0.0) if tries <= times else (200, 0.0)


# --- the outbox fold (a pure function) -------------------------------------------------------


def journal(*entries: tuple[str, str, int, str | None]) -> pl.LazyFrame:
    return pl.LazyFrame(
        [(i, s, a, e, NOW) for i, s, a, e in entries], schema=JOURNAL_SCHEMA, orient="row"
    )


def test_folding_the_journal_closes_messages_and_counts_attempts():
    before = pl.DataFrame(
        [
            outbox_row("a", "C1", "WIN_BACK", "email"),
            outbox_row("b", "C1", "WIN_BACK", "email"),
            outbox_row("c", "C1", "WIN_BACK", "email", status="CANCELLED", attempts=1),
            outbox_row("d", "C1", "WIN_BACK", "email", status="CANCELLED", attempts=1),
            outbox_row("e", "C1", "WIN_BACK", "email", status="SENT", attempts=1),
            outbox_row("f", "C1", "WIN_BACK", "email"),
        ],
        schema=OUTBOX_SCHEMA,
    )
    entries = journal(
        ("a", "PENDING", 1, "HTTP 503"),
        ("a", "SENT", 2, None),
        ("b", "PENDING", 1, "timed out"),
        ("c", "PENDING", 2, "timed out"),  # cancelled by a build since: stays cancelled
        ("d", "SENT", 2, None),  # delivered before the build cancelled it: it was sent
        ("e", "PENDING", 1, "late line"),  # a closed message never reopens
        ("zz", "SENT", 1, None),  # not in the outbox: ignored
    )
    got = folded_outbox(before.lazy(), entries).collect()
    assert got.select("notification_id", "status", "attempts", "last_error", "sent_at").rows() == [
        ("a", "SENT", 2, None, NOW),
        ("b", "PENDING", 1, "timed out", None),
        ("c", "CANCELLED", 2, "timed out", None),
        ("d", "SENT", 2, None, NOW),
        ("e", "SENT", 1, None, None),
        ("f", "PENDING", 0, None, None),
    ]
    assert got.schema == before.schema
    assert_frame_equal(folded_outbox(got.lazy(), entries).collect(), got)


# --- JSON Lines ------------------------------------------------------------------------------


def test_json_lines_delivery_sends_each_message_once(lake: Lake):
    report = deliver(lake=lake, sink=JsonLinesSink(messages_path(lake)), now=NOW)
    assert (report.sent, report.failed, report.retrying, report.pending) == (3, 0, 0, 0)

    path = messages_path(lake)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines == [
        {
            "notification_id": "n1",
            "kind": "TIER_UPGRADE",
            "template": "tier_upgrade",
            "parameters": PARAMETERS["TIER_UPGRADE"],
            "channel": "email",
            "address": "ada.lovelace@example.com",
            "first_name": "Ada",
        },
        {
            "notification_id": "n2",
            "kind": "POINTS_EXPIRING",
            "template": "points_expiring",
            "parameters": PARAMETERS["POINTS_EXPIRING"],
            "channel": "sms",
            "address": "+44 7700 900123",
            "first_name": "Grace",
        },
        {
            "notification_id": "n3",
            "kind": "WIN_BACK",
            "template": "win_back",
            "parameters": PARAMETERS["WIN_BACK"],
            "channel": "email",
            "address": "alan.turing@example.org",
            "first_name": "Alan",
        },
    ]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(journal_path(lake).stat().st_mode) == 0o600
    rows = outbox(lake)
    assert rows["status"].to_list() == ["SENT"] * 3
    assert rows["sent_at"].to_list() == [NOW] * 3
    assert rows["attempts"].to_list() == [1, 1, 1]
    assert read_journal(journal_path(lake)).select("notification_id", "status").rows() == [
        ("n1", "SENT"),
        ("n2", "SENT"),
        ("n3", "SENT"),
    ]

    version = delta.table_version(lake.table("gold", "notifications"))
    content, journaled = path.read_bytes(), journal_path(lake).read_bytes()
    again = deliver(lake=lake, sink=JsonLinesSink(messages_path(lake)), now=NOW)
    assert (again.sent, again.failed, again.pending, again.recovered) == (0, 0, 0, 0)
    assert path.read_bytes() == content
    assert journal_path(lake).read_bytes() == journaled
    assert delta.table_version(lake.table("gold", "notifications")) == version


def test_a_message_written_but_not_journaled_is_not_written_twice(lake: Lake):
    """The crash window of the file sink: the line is written, the run dies before journaling."""
    path = messages_path(lake)
    path.parent.mkdir(mode=0o700)
    first = json.dumps({"notification_id": "n1", "kind": "TIER_UPGRADE"}) + "\n"
    path.write_text(first + '{"notification_id": "n2", "kin')  # n2's line was cut short
    report = deliver(lake=lake, sink=JsonLinesSink(path), now=NOW)
    assert report.sent == 3
    ids = [json.loads(line)["notification_id"] for line in path.read_text().splitlines()]
    assert ids == ["n1", "n2", "n3"]
    assert set(statuses(lake).values()) == {("SENT", 1)}


def test_the_journal_of_an_interrupted_run_is_folded_in_before_sending(lake: Lake):
    path = journal_path(lake)
    path.parent.mkdir(mode=0o700)
    at = "2024-07-01T11:00:00.000000+00:00"
    path.write_text(
        json.dumps(
            {"notification_id": "n1", "status": "SENT", "attempts": 1, "error": None, "at": at}
        )
        + "\n"
        + '{"notification_id": "n2", "status": "SE'  # cut short by the crash: not recorded
    )
    sink = Recorder()
    report = deliver(lake=lake, sink=sink, now=NOW)
    assert report.recovered == 1
    assert [m.notification_id for m in sink.sent] == ["n2", "n3"]
    rows = outbox(lake)
    assert rows["status"].to_list() == ["SENT"] * 3
    assert rows["sent_at"].to_list() == [datetime(2024, 7, 1, 11, tzinfo=UTC), NOW, NOW]
    lines = path.read_text().splitlines()
    assert [json.loads(line)["notification_id"] for line in lines] == ["n1", "n2", "n3"]


def test_limit_sends_the_oldest_first_and_leaves_the_rest_pending(lake: Lake):
    sink = Recorder()
    report = deliver(lake=lake, sink=sink, limit=2, now=NOW)
    assert [m.notification_id for m in sink.sent] == ["n1", "n2"]
    assert (report.sent, report.pending) == (2, 1)
    assert statuses(lake)["n3"] == ("PENDING", 0)


def test_a_member_without_a_contact_left_is_failed_at_once(tmp_path: Path):
    lake = Lake(tmp_path / "lake")
    write_customers(lake, {"C1": ("Ada", None, "+44 7700 900123")})  # email erased
    write_outbox(
        lake,
        [
            outbox_row("n1", "C1", "WIN_BACK", "email"),
            outbox_row("n9", "C9", "WIN_BACK", "sms"),  # no longer in silver
        ],
    )
    sink = Recorder()
    report = deliver(lake=lake, sink=sink, now=NOW)
    assert sink.sent == []
    assert report.failed == 2
    reasons = dict(outbox(lake).select("notification_id", "last_error").rows())
    assert reasons == {
        "n1": "the customer has no email left in silver customers",
        "n9": "the customer is no longer in silver customers",
    }
    assert statuses(lake) == {"n1": ("FAILED", 1), "n9": ("FAILED", 1)}


def test_a_symlinked_messages_file_is_refused(lake: Lake, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("precious\n")
    path = messages_path(lake)
    path.parent.mkdir(mode=0o700)
    path.symlink_to(elsewhere)
    with pytest.raises(LakePathError, match="symbolic link"):
        deliver(lake=lake, sink=JsonLinesSink(path), now=NOW)
    assert elsewhere.read_text() == "precious\n"
    assert statuses(lake)["n1"] == ("PENDING", 0)


def test_a_lake_without_an_outbox_or_customers_says_what_to_run(tmp_path: Path):
    lake = Lake(tmp_path / "lake")
    with pytest.raises(TableNotFoundError, match="no notification outbox"):
        deliver(lake=lake, sink=Recorder())
    write_outbox(lake)
    with pytest.raises(TableNotFoundError, match="no silver customers"):
        deliver(lake=lake, sink=Recorder())
    assert statuses(lake)["n1"] == ("PENDING", 0)  # not failed for want of addresses


# --- publishing ------------------------------------------------------------------------------


def test_delivery_publishes_a_snapshot_with_the_new_outbox_version(lake: Lake):
    published = delta.table_version(lake.table("gold", "notifications"))
    meta = {"run_id": "build", "silver_versions": "customers=0"}
    append_snapshot(
        lake,
        {"customer_details": 7, "notifications": published},
        as_of=date(2024, 6, 30),
        meta=meta,
    )
    write_outbox(lake, [])  # a build that died before publishing: not what readers see

    report = deliver(lake=lake, sink=Recorder(), now=NOW)
    assert report.sent == 3
    snapshot = catalog.gold_snapshot(lake)
    assert snapshot.snapshot == report.snapshot == 1
    assert snapshot.versions == {"customer_details": 7, "notifications": report.version}
    assert (snapshot.as_of, snapshot.silver_versions) == (date(2024, 6, 30), "customers=0")
    rows = delta.scan_table(lake.table("gold", "notifications"), version=report.version)
    assert rows.collect()["status"].to_list() == ["SENT"] * 3


# --- the webhook -----------------------------------------------------------------------------


def test_a_webhook_failing_twice_then_succeeding_gets_each_message_once(lake: Lake):
    with Receiver(fail_first(2)) as receiver:
        sink = WebhookSink(receiver.url, timeout=5, retries=3, backoff=0.01)
        report = deliver(lake=lake, sink=sink, now=NOW)
        assert (report.sent, report.failed, report.retrying) == (3, 0, 0)
        assert receiver.effects == {"n1": 1, "n2": 1, "n3": 1}
        assert [k for k, _, _ in receiver.requests] == ["n1"] * 3 + ["n2"] * 3 + ["n3"] * 3
        for key, headers, body in receiver.requests:
            assert headers["Idempotency-Key"] == body["notification_id"] == key
            assert headers["Content-Type"].startswith("application/json")
        assert receiver.requests[-1][2] == {
            "notification_id": "n3",
            "kind": "WIN_BACK",
            "template": "win_back",
            "parameters": PARAMETERS["WIN_BACK"],
            "channel": "email",
            "address": "alan.turing@example.org",
            "first_name": "Alan",
        }

        again = deliver(lake=lake, sink=sink, now=NOW)
        assert again.sent == 0
        assert len(receiver.requests) == 9  # a delivered message is never sent again
    assert set(statuses(lake).values()) == {("SENT", 1)}


def test_a_webhook_that_times_out_is_retried_on_later_runs_then_failed(lake: Lake):
    write_outbox(lake, [outbox_row("n1", "C1", "WIN_BACK", "email")])
    with Receiver(lambda key, tries: (200, 2.0)) as receiver:
        sink = WebhookSink(receiver.url, timeout=0.2, retries=1, backoff=0.01)
        first = deliver(lake=lake, sink=sink, max_attempts=2, now=NOW)
        assert (first.sent, first.failed, first.retrying, first.pending) == (0, 0, 1, 1)
        row = outbox(lake).row(0, named=True)
        assert (row["status"], row["attempts"]) == ("PENDING", 1)
        assert row["last_error"] == "timed out (tried 2 times)"

        second = deliver(lake=lake, sink=sink, max_attempts=2, now=NOW)
        assert (second.sent, second.failed, second.pending) == (0, 1, 0)
        assert receiver.tries("n1") == 4
    row = outbox(lake).row(0, named=True)
    assert (row["status"], row["attempts"]) == ("FAILED", 2)
    assert row["last_error"] == "gave up after 2 attempt(s): timed out (tried 2 times)"

    third = deliver(lake=lake, sink=Recorder(), max_attempts=2, now=NOW)
    assert third.outcomes == ()  # FAILED is final


def test_a_receiver_that_is_down_stops_the_run(lake: Lake):
    with Receiver(lambda key, tries: (503, 0.0)) as receiver:
        sink = WebhookSink(receiver.url, timeout=5, retries=0, backoff=0)
        report = deliver(lake=lake, sink=sink, max_consecutive_failures=2, now=NOW)
        assert [k for k, _, _ in receiver.requests] == ["n1", "n2"]
    assert report.stopped is not None
    assert "1 message(s) were not tried" in report.stopped
    assert statuses(lake) == {"n1": ("PENDING", 1), "n2": ("PENDING", 1), "n3": ("PENDING", 0)}


def test_a_400_fails_at_once_with_the_reason_and_no_address(lake: Lake, tmp_path: Path):
    write_outbox(lake, [outbox_row("n1", "C1", "WIN_BACK", "email")])
    with Receiver(lambda key, tries: (400, 0.0)) as receiver:
        result = runner.invoke(app, ["notify", "--webhook", receiver.url, "--lake", str(lake.root)])
        assert receiver.tries("n1") == 1  # permanent: not retried
    assert result.exit_code == 1, result.output
    assert "Sent 0, failed 1, still pending 0" in result.output
    row = outbox(lake).row(0, named=True)
    assert (row["status"], row["attempts"]) == ("FAILED", 1)
    assert row["last_error"].startswith("HTTP 400 Bad Request: ")
    assert '"address": "<masked>", "first_name": "<mask' in row["last_error"]  # echoed back
    assert not any(secret in row["last_error"] + result.output for secret in SECRETS)
    assert "s3cret" not in result.output  # the webhook's token is not shown


@pytest.mark.parametrize("padding", range(180, 215, 3))
def test_an_answer_cut_short_never_shows_part_of_an_address(lake: Lake, padding: int):
    write_outbox(lake, [outbox_row("n1", "C1", "WIN_BACK", "email")])
    answer = b"x" * padding + b" ada.lovelace@example.com +44 7700 900123 Ada"
    with Receiver(lambda key, tries: (422, 0.0, answer)) as receiver:
        deliver(lake=lake, sink=WebhookSink(receiver.url), now=NOW)
    error = outbox(lake)["last_error"][0]
    assert error.startswith("HTTP 422")
    assert not any(part in error for part in ("ada.", "lovelace", "@ex", "7700 9", "Ada"))


@pytest.mark.parametrize(
    ("status", "transient"), [(301, False), (404, False), (408, True), (429, True), (500, True)]
)
def test_http_answers_are_transient_or_permanent(lake: Lake, status: int, transient: bool):
    write_outbox(lake, [outbox_row("n1", "C1", "WIN_BACK", "email")])
    with Receiver(lambda key, tries: (status, 0.0)) as receiver:
        sink = WebhookSink(receiver.url, timeout=5, retries=1, backoff=0)
        report = deliver(lake=lake, sink=sink, now=NOW)
        assert receiver.tries("n1") == (2 if transient else 1)
    expected = "PENDING" if transient else "FAILED"
    assert [o.status for o in report.outcomes] == [expected]
    assert outbox(lake)["last_error"][0].startswith(f"HTTP {status}")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "https://", "crm"])
def test_only_http_webhooks_are_accepted(url: str):
    with pytest.raises(ConfigError, match="not an http"):
        WebhookSink(url)


@pytest.mark.reliability
def test_a_sender_killed_mid_run_loses_nothing_and_sends_nothing_twice(tmp_path: Path):
    lake = Lake(tmp_path / "lake")
    write_customers(lake)
    ids = [f"n{i}" for i in range(1, 7)]
    customers = ["C1", "C2", "C3"] * 2
    channels = {"C1": "email", "C2": "sms", "C3": "email"}
    write_outbox(
        lake,
        [
            outbox_row(n, c, "WIN_BACK", channels[c], created_at=CREATED + timedelta(minutes=i))
            for i, (n, c) in enumerate(zip(ids, customers, strict=True))
        ],
    )
    script = textwrap.dedent(
        """
        import sys
        from loyalty_lake.io.lake import Lake
        from loyalty_lake.io.notify import WebhookSink
        from loyalty_lake.pipeline.notify import deliver

        deliver(lake=Lake(sys.argv[1]), sink=WebhookSink(sys.argv[2], timeout=60, retries=0))
        """
    )
    with Receiver(lambda key, tries: (200, 0.05), hold_after=3) as receiver:
        sender = subprocess.Popen(
            [sys.executable, "-c", script, str(lake.root), receiver.url],
            cwd=Path(__file__).parents[2],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            # n3 has had its effect; its answer is held: the sender waits for it
            assert receiver.held.wait(60), sender.stderr.read() if sender.poll() else ""
        finally:
            os.kill(sender.pid, signal.SIGKILL)
            sender.wait()
            sender.stderr.close()
        assert receiver.effects == {"n1": 1, "n2": 1, "n3": 1}
        journaled = read_journal(journal_path(lake))
        assert journaled.select("notification_id", "status").rows() == [
            ("n1", "SENT"),
            ("n2", "SENT"),
        ]
        assert set(statuses(lake).values()) == {("PENDING", 0)}  # the run never folded

        receiver.hold_after = None
        receiver.release.set()
        report = deliver(lake=lake, sink=WebhookSink(receiver.url, timeout=10), now=NOW)

        assert report.recovered == 2  # n1 and n2 from the journal: not sent again
        assert [o.notification_id for o in report.outcomes] == ["n3", "n4", "n5", "n6"]
        assert receiver.effects == dict.fromkeys(ids, 1)  # every message, once in effect
        assert Counter(k for k, _, _ in receiver.requests) == {
            "n1": 1,
            "n2": 1,
            "n3": 2,  # in flight at the kill: sent again, the receiver deduplicated it
            "n4": 1,
            "n5": 1,
            "n6": 1,
        }
    assert set(statuses(lake).values()) == {("SENT", 1)}
    sent = read_journal(journal_path(lake)).filter(pl.col("status") == "SENT")
    assert sorted(sent["notification_id"]) == ids


# --- personal data and the command line ------------------------------------------------------


def test_no_address_reaches_the_outbox_the_journal_logs_or_output(
    lake: Lake, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG)
    answer = lambda key, tries: (500, 0.0) if key == "n2" else (200, 0.0)  # noqa: E731
    with Receiver(answer) as receiver:
        sink = WebhookSink(receiver.url, timeout=5, retries=1, backoff=0)
        deliver(lake=lake, sink=sink, limit=2, now=NOW)  # n1 sent, n2 to retry
        logs = caplog.text
        dry = runner.invoke(app, ["notify", "--dry-run", "--lake", str(lake.root)])
        result = runner.invoke(
            app,
            ["notify", "--webhook", receiver.url, "--timeout", "5", "--lake", str(lake.root), "-v"],
        )
        assert receiver.effects == {"n1": 1, "n3": 1}
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0, still pending 1 (1 to retry)" in result.output
    assert "n2 (POINTS_EXPIRING by sms) not delivered" in logs + result.output  # by id
    texts = {
        "outbox": outbox(lake).write_ndjson(),
        "journal": journal_path(lake).read_text(),
        "logs": logs,
        "output": result.output + dry.output,  # with the command's log lines (-v)
    }
    leaked = [(where, s) for where, text in texts.items() for s in SECRETS if s in text]
    assert leaked == []
    assert "Secret" not in texts["outbox"] + texts["journal"]  # nor the last name


def test_dry_run_lists_what_would_be_sent_and_sends_nothing(lake: Lake):
    version = delta.table_version(lake.table("gold", "notifications"))
    result = runner.invoke(app, ["notify", "--dry-run", "--limit", "2", "--lake", str(lake.root)])
    assert result.exit_code == 0, result.output
    for expected in ("n1", "TIER_UPGRADE", "email", "n2", "POINTS_EXPIRING", "sms"):
        assert expected in result.output
    assert "n3" not in result.output
    assert "Dry run: nothing was sent." in result.output
    assert not messages_path(lake).exists()
    assert not journal_path(lake).exists()
    assert delta.table_version(lake.table("gold", "notifications")) == version
    assert due(lake=lake)["notification_id"].to_list() == ["n1", "n2", "n3"]


def test_notify_writes_json_lines_by_default_and_to_out(lake: Lake, tmp_path: Path):
    out = tmp_path / "sent" / "messages.jsonl"
    result = runner.invoke(app, ["notify", "--out", str(out), "--lake", str(lake.root)])
    assert result.exit_code == 0, result.output
    assert "Sent 3, failed 0, still pending 0" in result.output
    assert len(out.read_text().splitlines()) == 3
    assert not messages_path(lake).exists()
    assert not any(secret in result.output for secret in SECRETS)


def test_notify_refuses_two_sinks_and_has_help_with_an_example(lake: Lake):
    both = runner.invoke(
        app,
        ["notify", "--webhook", "https://x.example", "--out", "m.jsonl", "--lake", str(lake.root)],
    )
    assert both.exit_code == 2
    assert "--webhook and --out" in both.output
    helped = runner.invoke(app, ["notify", "--help"])
    assert helped.exit_code == 0
    assert "Example: loyalty-lake notify" in helped.output
