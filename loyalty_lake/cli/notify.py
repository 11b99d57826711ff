"""The ``notify`` command: deliver the notification outbox to a JSON Lines file or a webhook."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - typer reads the annotations
from typing import TYPE_CHECKING, Annotated

import typer

from loyalty_lake.cli.app import ConfigOption, LakeOption, VerboseOption, app, command, settings_of
from loyalty_lake.cli.terminal import Column, console, err_console, fitted_table, shown
from loyalty_lake.errors import ConfigError, ExitCode

if TYPE_CHECKING:
    import polars as pl

    from loyalty_lake.io.lake import Lake
    from loyalty_lake.io.notify import Sink
    from loyalty_lake.pipeline.notify import DeliveryReport

#: The webhook's timeout when --timeout is not given.
DEFAULT_TIMEOUT = 10.0


@app.command("notify")
@command
def notify_command(
    webhook: Annotated[
        str | None,
        typer.Option(
            "--webhook",
            metavar="URL",
            help="POST each message as JSON to this http(s) URL, with an Idempotency-Key header.",
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE",
            help="Append each message as one JSON line to this file (owner-only).",
            show_default="<lake>/outbox/messages.jsonl",
        ),
    ] = None,
    max_attempts: Annotated[
        int,
        typer.Option(
            "--max-attempts",
            min=1,
            help="Runs that may try a message before it is FAILED (transient failures).",
        ),
    ] = 5,
    limit: Annotated[
        int | None,
        typer.Option("--limit", min=0, help="Send at most this many messages, oldest first."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0.001,
            help="Seconds the webhook may take to connect or answer, per try.",
            show_default=str(DEFAULT_TIMEOUT),
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="List what would be sent (ids, kinds, channels); send nothing."
        ),
    ] = False,
    lake: LakeOption = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Send the pending notifications: to a JSON Lines file (default) or a webhook.

    A delivered message is never sent again; one that failed for a while
    (network, 5xx, 408, 429) is retried on the next run, up to
    --max-attempts; one refused for good (4xx, no contact in silver) is
    FAILED with the reason. Exits with status 1 when a message ended FAILED.

    Example: loyalty-lake notify --webhook https://crm.example.com/hooks/loyalty --timeout 5

    Example: loyalty-lake notify --dry-run --limit 20
    """
    from loyalty_lake.pipeline.notify import deliver, due

    _, where = settings_of(lake, config)
    if webhook is not None and out is not None:
        raise ConfigError(
            "--webhook and --out choose where messages go: pass one of them.",
            hint="E.g. loyalty-lake notify --out messages.jsonl",
        )
    if timeout is not None and webhook is None:
        raise ConfigError(
            "--timeout applies to a --webhook only.",
            hint="E.g. loyalty-lake notify --webhook https://crm.example.com/hooks --timeout 5",
        )
    if dry_run:
        print_due(due(lake=where, limit=limit), sink=_sink(where, webhook, out, timeout))
        return
    report = deliver(
        lake=where,
        sink=_sink(where, webhook, out, timeout),
        max_attempts=max_attempts,
        limit=limit,
    )
    print_delivery(report)
    if report.failed:
        raise typer.Exit(ExitCode.DATA)


def _sink(lake: Lake, webhook: str | None, out: Path | None, timeout: float | None) -> Sink:
    """The sink the options choose: the webhook, or the JSON Lines file."""
    from loyalty_lake.io.notify import JsonLinesSink, WebhookSink, messages_path

    if webhook is not None:
        return WebhookSink(webhook, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
    return JsonLinesSink(out or messages_path(lake))


def print_due(rows: pl.DataFrame, *, sink: Sink) -> None:
    """The messages a run would send, without addresses."""
    if rows.is_empty():
        console.print("Nothing to send: no message is pending.")
        return
    table = fitted_table(
        f"{rows.height:,} message(s) would be sent to the {shown(sink.description)}",
        [
            Column("notification"),
            Column("kind"),
            Column("channel"),
            Column("attempts", "right", drop=2),
            Column("created", drop=1),
            Column("contact"),
        ],
        [
            (
                shown(row["notification_id"]),
                shown(row["kind"]),
                shown(row["channel"]),
                str(row["attempts"]),
                shown(f"{row['created_at']:%Y-%m-%d %H:%M}" if row["created_at"] else ""),
                "yes" if row["has_contact"] else "[red]none in silver[/]",
            )
            for row in rows.iter_rows(named=True)
        ],
    )
    console.print(table)
    console.print("Dry run: nothing was sent.")


def print_delivery(report: DeliveryReport) -> None:
    """What a delivery run did: counts by outcome, then the messages it gave up on."""
    if report.recovered:
        console.print(
            f"Recorded first {report.recovered:,} journaled outcome(s) the outbox lacked "
            "(an interrupted run's); those messages were not sent again."
        )
    if not report.outcomes and not report.pending:
        console.print("Nothing to send: no message is pending.")
        return
    console.print(
        f"Sent {report.sent:,}, failed {report.failed:,}, still pending {report.pending:,} "
        f"({report.retrying:,} to retry) — {shown(report.sink)}."
    )
    if report.stopped:
        err_console.print(f"[yellow]Stopped early:[/] {shown(report.stopped)}.", soft_wrap=True)
    failed = [o for o in report.outcomes if o.status == "FAILED"]
    if failed:
        console.print(
            fitted_table(
                f"{len(failed):,} message(s) FAILED",
                [Column("notification"), Column("kind"), Column("reason", whole=False)],
                [(shown(o.notification_id), shown(o.kind), shown(o.error)) for o in failed],
            )
        )
