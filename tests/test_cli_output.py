"""Output for people and scripts: tables that never cut a value, plain logs, JSON, help."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from io import StringIO
from pathlib import Path

import polars as pl
import pytest
from rich.console import Console
from rich.logging import RichHandler
from typer.testing import CliRunner

import loyalty_lake as ll
from loyalty_lake import cli, landing, pipeline
from loyalty_lake.cli import app, terminal
from loyalty_lake.cli.show import plain
from loyalty_lake.cli.terminal import Column, fitted_table
from loyalty_lake.codes import FileStatus
from loyalty_lake.io.delta import Commit
from loyalty_lake.pipeline import (
    DqReport,
    FileOutcome,
    IngestReport,
    TableStatus,
    maintenance,
    statement,
)
from loyalty_lake.pipeline.statement import Statement

runner = CliRunner()


@pytest.fixture
def narrow(monkeypatch):
    """Consoles 80 columns wide, as in a default terminal or a pipe."""
    for shared in (cli.console, cli.err_console):
        monkeypatch.setattr(shared, "_width", 80)


STATEMENT = Statement(
    customer_id="C0000041",
    first_name="ada@example.com",
    loyalty_status="Gold",
    balance=243,
    lifetime_points_earned=293,
    as_of=date(2026, 10, 31),
    next_expiry_date=date(2027, 7, 11),
    points_expiring=193,
    ledger=pl.DataFrame(
        {
            "customer_id": ["C0000041"] * 3,
            "sequence": [1, 2, 3],
            "event_date": [date(2026, 7, 11), date(2026, 7, 11), date(2026, 8, 2)],
            "event_type": ["EARN", "BONUS", "REDEEM"],
            "points": [243, 50, -50],
            "balance_after": [243, 293, 243],
            "transaction_id": ["T000000386", "T000000386", None],
            "redemption_id": [None, None, "RD0000071"],
            "rule_id": ["DEFAULT", "DEFAULT_BONUS", None],
            "expires_on": [date(2027, 7, 11), date(2027, 7, 11), None],
        }
    ),
)
UPDATED = datetime(2026, 12, 6, 2, 24, 5, tzinfo=UTC)
TABLES = [
    TableStatus("gold", "promotion_performance", 12, 9, None, UPDATED),
    TableStatus("gold", "normalisation_summary", 3, 0, None, UPDATED),
    TableStatus("bronze", "sales_lines", 2, 20_042, "2026-10-31", UPDATED),
]


def assert_whole(output: str, *values: str) -> None:
    assert "…" not in output
    for value in values:
        assert value in output, value


def test_points_at_80_columns_shows_whole_dates_and_ids(monkeypatch, narrow, tmp_path: Path):
    monkeypatch.setattr(statement, "points_statement", lambda **kwargs: STATEMENT)
    result = runner.invoke(app, ["points", "C0000041", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0
    assert_whole(result.output, "2026-07-11", "2026-08-02", "T000000386", "RD0000071")
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert "DEFAULT_BONUS" not in result.output  # the rule column made room


def test_points_on_a_wide_terminal_shows_every_column(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(cli.console, "_width", 160)
    monkeypatch.setattr(statement, "points_statement", lambda **kwargs: STATEMENT)
    result = runner.invoke(app, ["points", "C0000041", "--lake", str(tmp_path / "lake")])
    assert_whole(result.output, "DEFAULT_BONUS", "2027-07-11", "transaction / redemption")


def test_status_at_80_columns_shows_whole_names_and_times(monkeypatch, narrow, tmp_path: Path):
    monkeypatch.setattr(pipeline, "status", lambda *, lake: TABLES)
    result = runner.invoke(app, ["status", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0
    assert_whole(
        result.output, "promotion_performance", "normalisation_summary", "2026-12-06 02:24:05"
    )
    assert result.output.count("2026-12-06 02:24:05") == len(TABLES)  # one line each


def test_history_at_80_columns_shows_whole_times_and_batches(monkeypatch, narrow, tmp_path: Path):
    commits = [
        Commit(1, UPDATED, "RESTORE", None, {"operation": "restore gold/points_ledger to 0"}),
        Commit(0, UPDATED, "WRITE", 12_218, {"run_id": "28db31e6" * 4, "batch_id": "2026-10-31"}),
    ]
    monkeypatch.setattr(maintenance, "history", lambda **kwargs: commits)
    result = runner.invoke(app, ["history", "gold/points_ledger", "--lake", str(tmp_path)])
    assert result.exit_code == 0
    assert_whole(result.output, "2026-12-06 02:24:05", "2026-10-31", "12,218")


def test_dq_at_80_columns_shows_whole_reasons(monkeypatch, narrow, tmp_path: Path):
    summary = pl.DataFrame(
        {
            "table": ["sales_lines"],
            "reason": ["UNKNOWN_ORIGINAL_TRANSACTION"],
            "severity": ["warn"],
            "rows": [1_234_567],
            "open_rows": [1_234_567],
        }
    )
    report = DqReport(summary=summary, examples=pl.DataFrame(), conservation=pl.DataFrame())
    monkeypatch.setattr(pipeline, "dq_report", lambda **kwargs: report)
    result = runner.invoke(app, ["dq", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0
    assert_whole(result.output, "UNKNOWN_ORIGINAL_TRANSACTION", "1,234,567")
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_dq_examples_without_raw_values(monkeypatch, tmp_path: Path):
    examples = pl.DataFrame(
        {
            "table": ["redemptions"],
            "batch_id": ["2026-10-29"],
            "source_file": ["redemptions.csv"],
            "row_number": [71],
            "reason_codes": [["INSUFFICIENT_POINTS"]],
            "message": ["redemption of 1000000 points exceeds the balance"],
            "raw_values": [None],
        },
        schema_overrides={"raw_values": pl.String},
    )
    report = DqReport(summary=pl.DataFrame(), examples=examples, conservation=pl.DataFrame())
    monkeypatch.setattr(pipeline, "dq_report", lambda **kwargs: report)
    result = runner.invoke(app, ["dq", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0, result.output
    assert "2026-10-29/redemptions.csv row 71" in result.output
    assert "raw:" not in result.output


def render(table, width: int) -> str:
    out = Console(file=StringIO(), width=width, emoji=False, highlight=False)
    out.print(table)
    return out.file.getvalue()


def test_fitted_tables_drop_columns_lowest_first_and_never_cut(monkeypatch):
    monkeypatch.setattr(terminal.console, "_width", 40)
    columns = (
        Column("id"),
        Column("date"),
        Column("note", drop=2),
        Column("rule", drop=1),
        Column("detail", whole=False),
    )
    rows = [("C0000000042", "2026-10-31", "a note here", "DEFAULT_BONUS", "x " * 30)]
    text = render(fitted_table("t", columns, rows), 40)
    assert_whole(text, "C0000000042", "2026-10-31")
    assert "DEFAULT_BONUS" not in text
    assert "note" not in text
    assert max(len(line) for line in text.splitlines()) <= 40

    monkeypatch.setattr(terminal.console, "_width", 120)
    wide = render(fitted_table("t", columns, rows), 120)
    assert_whole(wide, "DEFAULT_BONUS", "a note here", "C0000000042")


def test_fitted_table_headers_wrap_only_when_narrow(monkeypatch):
    columns = (Column("still open", "right"),)
    monkeypatch.setattr(terminal.console, "_width", 80)
    assert "still open" in render(fitted_table("t", columns, [("1",)]), 80)


# --- logs ----------------------------------------------------------------------------------


def test_logs_off_a_terminal_are_plain_lines_with_iso_times(monkeypatch, tmp_path: Path):
    message = "a long message " * 20

    def logging_status(*, lake):
        logging.getLogger("loyalty_lake.test").warning("%s\nsecond line of it", message)
        return []

    monkeypatch.setattr(pipeline, "status", logging_status)
    result = runner.invoke(app, ["status", "--lake", str(tmp_path / "lake")])
    line = re.escape(f"{message}\\nsecond line of it")
    pattern = rf"^\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d WARNING loyalty_lake\.test: {line}$"
    assert re.search(pattern, result.stderr, re.MULTILINE), result.stderr


def test_logs_after_a_command_go_to_the_stderr_of_the_moment(tmp_path: Path, capsys):
    runner.invoke(app, ["status", "--lake", str(tmp_path / "lake")])  # its stderr is closed now
    logging.getLogger("loyalty_lake.test").warning("logged later")
    err = capsys.readouterr().err
    assert "Logging error" not in err
    assert "WARNING loyalty_lake.test: logged later" in err


def test_logs_on_a_terminal_go_through_rich(monkeypatch):
    monkeypatch.setattr(cli.err_console, "_force_terminal", True)
    assert isinstance(terminal.log_handler(), RichHandler)
    monkeypatch.setattr(cli.err_console, "_force_terminal", False)
    plain_handler = terminal.log_handler()
    assert not isinstance(plain_handler, RichHandler)
    assert isinstance(plain_handler.formatter, terminal.ShownLogFormatter)


# --- JSON ----------------------------------------------------------------------------------


def test_points_json_is_plain_data(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(statement, "points_statement", lambda **kwargs: STATEMENT)
    result = runner.invoke(app, ["points", "C0000041", "--json", "--lake", str(tmp_path)])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["first_name"] == "<email>"  # masked as on the terminal
    assert data["as_of"] == "2026-10-31"
    assert data["ledger"][2] == {
        "customer_id": "C0000041",
        "sequence": 3,
        "event_date": "2026-08-02",
        "event_type": "REDEEM",
        "points": -50,
        "balance_after": 243,
        "transaction_id": None,
        "redemption_id": "RD0000071",
        "rule_id": None,
        "expires_on": None,
    }


def test_status_json_lists_the_tables(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(pipeline, "status", lambda *, lake: TABLES)
    result = runner.invoke(app, ["status", "--json", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["lake"] == str(tmp_path / "lake")
    assert data["tables"][2] == {
        "layer": "bronze",
        "name": "sales_lines",
        "version": 2,
        "rows": 20_042,
        "last_batch": "2026-10-31",
        "updated_at": "2026-12-06T02:24:05+00:00",
    }


def test_json_of_an_empty_lake_is_still_json(tmp_path: Path):
    result = runner.invoke(app, ["status", "--json", "--lake", str(tmp_path / "lake")])
    assert json.loads(result.stdout) == {"lake": str(tmp_path / "lake"), "tables": []}


def test_json_errors_go_to_stderr_with_the_same_exit_code(tmp_path: Path):
    result = runner.invoke(app, ["points", "C1", "--json", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "has no points yet" in result.stderr


def test_plain_values_are_json_values():
    class Kind(StrEnum):
        EARN = "EARN"

    frame = pl.DataFrame(
        {"amount": [Decimal("1.10")], "at": [datetime(2026, 1, 2, 3, 4, 5)], "codes": [["A"]]},
        schema={"amount": pl.Decimal(10, 2), "at": pl.Datetime, "codes": pl.List(pl.String)},
    )
    value = {"frame": frame, "kind": Kind.EARN, "ratio": float("nan"), "path": Path("/x")}
    assert plain(value) == {
        "frame": [{"amount": "1.10", "at": "2026-01-02T03:04:05", "codes": ["A"]}],
        "kind": "EARN",
        "ratio": None,
        "path": "/x",
    }
    json.dumps(plain(STATEMENT))  # everything is serialisable


# --- a real lake, piped through a pipe at 80 columns ----------------------------------------


@pytest.fixture(scope="module")
def built_lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("built")
    ll.generate(root / "landing", ll.GeneratorOptions(lines=2_000, batches=1, seed=3))
    ll.build(lake=ll.Lake(root / "lake"), landing=root / "landing")
    return root / "lake"


def piped(*args: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "80"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "loyalty_lake.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_piped_points_at_80_columns_show_whole_dates_and_ids(built_lake: Path):
    ledger = ll.scan(ll.Lake(built_lake), "gold", "points_ledger").collect()
    customer = ledger.group_by("customer_id").len().sort("len", "customer_id")["customer_id"][-1]
    result = piped("points", customer, "--lake", str(built_lake))
    assert result.returncode == 0, result.stderr
    mine = ledger.filter(pl.col("customer_id") == customer)
    dates = {str(d) for d in mine["event_date"]}
    ids = {i for i in mine["transaction_id"].to_list() + mine["redemption_id"].to_list() if i}
    assert_whole(result.stdout, *dates, *ids)

    as_json = piped("points", customer, "--json", "--lake", str(built_lake))
    data = json.loads(as_json.stdout)
    assert data["balance"] == sum(row["points"] for row in data["ledger"])
    assert "[/]" not in as_json.stdout  # no console markup


def test_piped_status_history_and_dq_at_80_columns(built_lake: Path):
    status = piped("status", "--lake", str(built_lake))
    assert status.returncode == 0, status.stderr
    names = [t.name for t in ll.status(lake=ll.Lake(built_lake))]
    assert_whole(status.stdout, *names)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", status.stdout)

    history = piped("history", "gold/points_ledger", "--lake", str(built_lake))
    assert history.returncode == 0, history.stderr
    assert_whole(history.stdout)

    dq = piped("dq", "--json", "--lake", str(built_lake))
    assert dq.returncode == 0, dq.stderr
    report = json.loads(dq.stdout)
    assert report["balanced"] is True
    assert {row["reason"] for row in report["summary"]}


# --- version and help ----------------------------------------------------------------------


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"loyalty-lake {ll.__version__}\n"


def test_dash_h_is_help_on_the_app_and_every_command():
    assert "Usage: loyalty-lake" in runner.invoke(app, ["-h"]).output
    names = [c.name for c in app.registered_commands]
    assert {"build", "points", "status", "dq", "history"} <= set(names)
    for name in names:
        result = runner.invoke(app, [name, "-h"])
        assert result.exit_code == 0, name
        assert f"Usage: loyalty-lake {name}" in result.output


def test_help_shows_defaults_and_choices(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    build = runner.invoke(app, ["build", "--help"]).output
    assert "./lake, or lake_root in the config" in build
    assert "<lake>/landing" in build
    assert "the latest transaction" in build
    assert "parquet|csv" in runner.invoke(app, ["export", "--help"]).output
    assert "day_first" in runner.invoke(app, ["generate", "--help"]).output


def test_choices_accept_any_case(monkeypatch, tmp_path: Path):
    formats = []
    monkeypatch.setattr(
        pipeline, "export_gold", lambda *, lake, out, file_format: formats.append(file_format) or []
    )
    result = runner.invoke(app, ["export", "--format", "CSV", "--lake", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert formats == ["csv"]

    options = []

    def generate(out, chosen, progress):
        options.append(chosen)
        raise KeyboardInterrupt  # stop before writing anything

    monkeypatch.setattr(landing, "generate", generate)
    result = runner.invoke(app, ["generate", "--style", "Day_First", "--lake", str(tmp_path)])
    assert result.exit_code == 130
    assert options[0].styles == ("day_first",)


def test_ingest_table_keeps_file_names_whole(monkeypatch, narrow, tmp_path: Path):
    report = IngestReport(
        "2026-10-31",
        (
            FileOutcome(
                "sales_lines_2026-10-31_store_S0042.csv", "sales_lines", FileStatus.LANDED, 9
            ),
        ),
    )
    monkeypatch.setattr(pipeline, "ingest", lambda *args, **kwargs: report)
    result = runner.invoke(app, ["ingest", str(tmp_path), "--lake", str(tmp_path / "lake")])
    assert_whole(result.output, "sales_lines_2026-10-31_store_S0042.csv")
