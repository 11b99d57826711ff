from __future__ import annotations

import logging
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from loyalty_lake import cli, pipeline
from loyalty_lake.cli import app
from loyalty_lake.gold.models import GOLD_MODELS
from loyalty_lake.io import delta
from loyalty_lake.io.lake import Lake
from loyalty_lake.pipeline import BuildReport, FileOutcome, FileStatus, IngestReport
from tests.conftest import HEADER, write_batch

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_help_lists_commands_with_examples():
    result = invoke("--help")
    assert result.exit_code == 0
    commands = (
        "generate",
        "ingest",
        "build",
        "demo",
        "status",
        "dq",
        "inspect",
        "reprocess",
        "points",
        "export",
        "clv",
        "notify",
        "history",
        "restore",
        "optimize",
        "vacuum",
    )
    for command in commands:
        assert command in result.output
        sub = invoke(command, "--help")
        assert sub.exit_code == 0
        assert "Example" in sub.output
        assert "--lake" in sub.output


def test_generate_ingest_status(tmp_path: Path):
    landing = tmp_path / "landing"
    lake = tmp_path / "lake"
    result = invoke(
        "generate", "--out", str(landing), "--lines", "2000", "--seed", "3", "--lake", str(lake)
    )
    assert result.exit_code == 0, result.output
    (batch,) = [p for p in landing.iterdir() if p.is_dir()]

    result = invoke("ingest", str(batch), "--lake", str(lake))
    assert result.exit_code == 0, result.output
    assert "LANDED" in result.output
    lines = delta.scan_table(Lake(lake).table("bronze", "sales_lines")).select(pl.len())
    count = lines.collect().item()

    again = invoke("ingest", str(batch), "--lake", str(lake))
    assert again.exit_code == 0
    assert "ALREADY_LANDED" in again.output
    assert lines.collect().item() == count

    status = invoke("status", "--lake", str(lake))
    assert status.exit_code == 0
    assert "sales_lines" in status.output
    assert batch.name in status.output


def test_bad_file_exits_non_zero_with_the_reason(tmp_path: Path):
    batch = tmp_path / "b1"
    batch.mkdir()
    (batch / "sales_header.csv").write_text("transaction_id\nT1\n")
    result = invoke("ingest", str(batch), "--lake", str(tmp_path / "lake"))
    assert result.exit_code == 1
    assert "MISSING_COLUMNS" in result.output or "REJECTED" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ingest", "does-not-exist"), "does not exist"),
        (("ingest", ".", "--batch-id", "../x"), "not a valid batch id"),
        (("generate", "--lines", "0"), "lines"),
        (("generate", "--end-date", "31/10/2026"), "--end-date"),
        (("generate", "--anomaly", "bogus=0.1"), "--anomaly"),
        (("status", "--config", "missing.toml"), "does not exist"),
    ],
)
def test_user_errors_are_messages_not_tracebacks(tmp_path: Path, args, message):
    result = runner.invoke(app, [*args, "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2  # a usage error
    assert message in result.output
    assert "Hint:" in result.output
    assert "Traceback" not in result.output


def test_status_of_an_empty_lake_suggests_the_demo(tmp_path: Path):
    result = invoke("status", "--lake", str(tmp_path / "lake"))
    assert result.exit_code == 0
    assert "loyalty-lake demo" in result.output


def test_demo_builds_and_is_idempotent(tmp_path: Path):
    lake = tmp_path / "lake"
    first = invoke("demo", "--lake", str(lake))
    assert first.exit_code == 0, first.output
    assert "Generated" in first.output
    tables = {p.name for p in (lake / "bronze").iterdir()}
    assert {"sales_header", "sales_lines", "customers", "landed_files"} <= tables
    rows = delta.scan_table(Lake(lake).table("bronze", "sales_lines")).select(pl.len())
    before = rows.collect().item()

    assert "bronze → silver" in first.output
    assert {"sales_lines", "rejects", "warnings"} <= {p.name for p in (lake / "silver").iterdir()}
    assert (lake / "gold" / "dq_summary").is_dir()

    second = invoke("demo", "--lake", str(lake))
    assert second.exit_code == 0
    assert "Generated" not in second.output
    assert rows.collect().item() == before

    dq = invoke("dq", "--lake", str(lake), "--examples", "1")
    assert dq.exit_code == 0
    for text in ("PARENT_REJECTED", "DUPLICATE", "OUTLIER", "Example rejected rows", "holds"):
        assert text in dq.output
    one_batch = invoke("dq", "--lake", str(lake), "--batch", "2026-10-31")
    assert one_batch.exit_code == 0
    assert "2026-10-29/" not in one_batch.output

    again = invoke("reprocess", "--lake", str(lake))
    assert again.exit_code == 0
    assert "Promoted 0" in again.output

    assert "outstanding liability" in first.output
    statement = invoke("points", "C0000041", "--lake", str(lake))
    assert statement.exit_code == 0, statement.output
    assert "Balance" in statement.output
    assert "EARN" in statement.output
    unknown = runner.invoke(app, ["points", "NOPE", "--lake", str(lake)])
    assert unknown.exit_code == 2
    assert "not in gold/customer_details" in unknown.output

    assert first.output.index("Segments as of") > first.output.index("outstanding liability")
    assert f"BI export: {len(GOLD_MODELS)} Parquet files" in first.output
    exported = invoke(
        "export", "--lake", str(lake), "--format", "csv", "--out", str(tmp_path / "bi")
    )
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "bi" / "customer_details.csv").is_file()
    wrong = runner.invoke(app, ["export", "--lake", str(lake), "--format", "xlsx"])
    assert wrong.exit_code == 2
    assert "--format" in wrong.output
    assert "'xlsx' is not one of 'parquet'" in " ".join(wrong.output.split())

    history = invoke("history", "gold/points_ledger", "--lake", str(lake))
    assert history.exit_code == 0, history.output
    assert "as-of" in history.output
    dry = invoke("vacuum", "--lake", str(lake))
    assert dry.exit_code == 0
    assert "Would delete" in dry.output
    ambiguous = runner.invoke(app, ["history", "customers", "--lake", str(lake)])
    assert ambiguous.exit_code == 2
    assert "ambiguous" in ambiguous.output
    assert "--yes" in invoke("restore", "gold/points_ledger", "0", "--lake", str(lake)).output

    assert_restores(lake, "gold/points_ledger")

    earlier = invoke("build", "--lake", str(lake), "--as-of", "2026-09-30")
    assert "Points as of 2026-09-30" in earlier.output
    bad = runner.invoke(app, ["build", "--lake", str(lake), "--as-of", "30/09/2026"])
    assert bad.exit_code == 2
    assert "--as-of" in bad.output


def assert_restores(lake: Path, table: str) -> None:
    restored = invoke("restore", table, "0", "--yes", "--lake", str(lake))
    assert restored.exit_code == 0, restored.output
    said = " ".join(restored.output.split())
    assert f"Restored {table} to version 0:" in said
    assert "gold reads snapshot" in said


def test_dashboard_command_line_serves_the_app_on_localhost(tmp_path: Path):
    from loyalty_lake.cli import dashboard_command_line

    command = dashboard_command_line(Lake(tmp_path / "lake"), host="127.0.0.1", port=8765)
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert command[4].endswith("dashboard/app.py")
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    assert command[command.index("--server.port") + 1] == "8765"
    assert command[-2:] == ["--lake", str(tmp_path / "lake")]


def test_build_of_an_empty_lake_says_what_to_do(tmp_path: Path):
    result = invoke("build", "--lake", str(tmp_path / "lake"))
    assert result.exit_code == 0
    assert "No landing batches found" in result.output
    assert "loyalty-lake demo" in result.output


# --- data is shown as it is: no markup, no emoji codes, no terminal escapes, masked --------

HOSTILE_NAMES = ("[bold red]x.csv", "root:x:0:0.csv", "esc\x1b[31mred.csv", "rtl\u202egnp.csv")


@pytest.fixture
def wide_consoles(monkeypatch):
    """Consoles wide enough that no line of the tests' output wraps."""
    for shared in (cli.console, cli.err_console):
        monkeypatch.setattr(shared, "_width", 200)


def assert_shown_as_text(output: str) -> None:
    """No terminal escape, bidi override or emoji reached the output."""
    assert "\x1b" not in output
    assert "\u202e" not in output
    assert "❌" not in output  # the emoji of :x:


def test_file_names_are_shown_as_they_are(tmp_path: Path, wide_consoles):
    batch = write_batch(
        tmp_path / "b1",
        {"sales_header.csv": HEADER + "T1,C1,S1,2026-10-30T10:00:00,12.50,SALE\n"}
        | dict.fromkeys(HOSTILE_NAMES, "x\n"),
    )
    result = invoke("ingest", str(batch), "--lake", str(tmp_path / "lake"))
    assert "LANDED" in result.output
    assert_shown_as_text(result.output)
    for shown in ("[bold red]x.csv", "root:x:0:0.csv", "esc\\x1b[31mred.csv", "rtl\\u202egnp.csv"):
        assert shown in result.output, shown


REFUSED = FileOutcome(
    "[bold red]x.csv",
    "customers",
    FileStatus.REJECTED,
    reason="MISSING_COLUMNS",
    message="first line 'ada@example.com,+44 7700 900123,2026-10-31T10:00:00+02:00,"
    "1,234.50,:x:,\x1b[2J,[blink]'",
)


def assert_refusal_is_masked(output: str) -> None:
    assert_shown_as_text(output)
    for shown in (
        "[bold red]x.csv",
        "<email>",
        "<phone>",
        "2026-10-31T10:00:00+02:00",
        "1,234.50",
        ":x:",
        "\\x1b[2J",
        "[blink]",
    ):
        assert shown in output, shown
    assert "ada@example.com" not in output
    assert "7700" not in output


def test_refused_files_are_shown_masked_by_ingest(tmp_path: Path, monkeypatch, wide_consoles):
    report = IngestReport("b1", (REFUSED,), warnings=("Batch b1 has no usable [red]x.csv",))
    monkeypatch.setattr(pipeline, "ingest", lambda *args, **kwargs: report)
    result = runner.invoke(app, ["ingest", str(tmp_path), "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1
    assert_refusal_is_masked(result.output)
    assert "[red]x.csv" in result.output


def test_refused_files_are_shown_masked_by_build(tmp_path: Path, monkeypatch, wide_consoles):
    report = BuildReport("0" * 32, (IngestReport("b1", (REFUSED,)),))
    monkeypatch.setattr(pipeline, "build", lambda *args, **kwargs: report)
    result = runner.invoke(app, ["build", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1  # a refused file is a data problem
    assert f"Rejected b1/{REFUSED.source_file}: " in result.output
    assert_refusal_is_masked(result.output)


def test_error_messages_are_shown_as_they_are(tmp_path: Path, wide_consoles):
    config = tmp_path / "[bold red]:x:\x1b[31m.toml"
    result = runner.invoke(app, ["status", "--config", str(config)])
    assert result.exit_code == 2
    assert "[bold red]:x:\\x1b[31m.toml" in result.output
    assert_shown_as_text(result.output)


def test_log_lines_are_masked_and_printable(tmp_path: Path, monkeypatch, wide_consoles):
    def logging_status(*, lake):
        logging.getLogger("loyalty_lake.test").warning(
            "%s: ada@example.com, +44 7700 900123 [bold]", "esc\x1b[31m:x:"
        )
        return []

    monkeypatch.setattr(pipeline, "status", logging_status)
    result = invoke("status", "--lake", str(tmp_path / "lake"))
    assert "esc\\x1b[31m:x:: <email>, <phone> [bold]" in result.output
    assert_shown_as_text(result.output)
