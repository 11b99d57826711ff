"""Exit codes: 0 done, 1 data refused, 2 usage errors, 3 bugs, 130 interrupted."""

from __future__ import annotations

import importlib
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from loyalty_lake import pipeline
from loyalty_lake.cli import app
from loyalty_lake.codes import BadFileReason
from loyalty_lake.errors import (
    BadFileError,
    ConfigError,
    ConservationError,
    ContractViolation,
    ExitCode,
    LakeBusyError,
    LakePathError,
    LandingError,
    LoyaltyLakeError,
    TableNotFoundError,
    UnsettledRedemptions,
)
from loyalty_lake.pipeline import DqReport
from tests.conftest import HEADER, LINES, write_batch

runner = CliRunner()


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (LoyaltyLakeError("no points yet"), ExitCode.USAGE),
        (ConfigError("bad option"), ExitCode.USAGE),
        (LakePathError("bad path"), ExitCode.USAGE),
        (LandingError("no such landing folder"), ExitCode.USAGE),
        (TableNotFoundError("no such table"), ExitCode.USAGE),
        (LakeBusyError("busy"), ExitCode.USAGE),
        (BadFileError("refused", reason=BadFileReason.UNREADABLE), ExitCode.DATA),
        (ConservationError("rows lost"), ExitCode.DATA),
        (ContractViolation("a bug"), ExitCode.INTERNAL),
        (UnsettledRedemptions("a bug"), ExitCode.INTERNAL),
    ],
)
def test_each_error_exits_with_its_code(monkeypatch, tmp_path: Path, error, code):
    def failing_status(*, lake):
        raise error

    monkeypatch.setattr(pipeline, "status", failing_status)
    result = runner.invoke(app, ["status", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == code == error.exit_code
    label = "Internal error:" if code is ExitCode.INTERNAL else "Error:"
    assert result.output.startswith(f"{label} {error.message}")
    assert "Traceback" not in result.output


def test_a_bug_exits_3_and_asks_for_a_report(monkeypatch, tmp_path: Path):
    def failing_status(*, lake):
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "status", failing_status)
    result = runner.invoke(app, ["status", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 3
    assert "Internal error: RuntimeError: boom" in result.output
    assert "report it as a bug" in result.output
    assert "Traceback" not in result.output

    verbose = runner.invoke(app, ["status", "--lake", str(tmp_path / "lake"), "--verbose"])
    assert verbose.exit_code == 3
    assert "Traceback" in verbose.output


def test_ctrl_c_exits_130_without_a_traceback(monkeypatch, tmp_path: Path):
    def interrupted_status(*, lake):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "status", interrupted_status)
    result = runner.invoke(app, ["status", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 130
    assert result.output == "Interrupted.\n"


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--lines", "many"],
        ["export", "--format", "xlsx"],
        ["status", "--no-such-option"],
        ["points"],
    ],
)
def test_option_values_typer_refuses_exit_2(tmp_path: Path, args):
    result = runner.invoke(app, [*args, "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2


def test_a_negative_lock_wait_is_a_usage_error(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("LOYALTY_LAKE_LOCK_WAIT_SECONDS", "-1")
    result = runner.invoke(app, ["status", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2
    assert "lock_wait_seconds" in result.output


def _unbalanced_report() -> DqReport:
    empty = pl.DataFrame()
    conservation = pl.DataFrame(
        {"table": ["sales_lines"], "batch_id": ["b1"], "bronze_rows": [3], "balanced": [False]}
    )
    return DqReport(summary=empty, examples=empty, conservation=conservation)


@pytest.mark.parametrize("json", [False, True])
def test_dq_exits_1_when_conservation_is_violated(monkeypatch, tmp_path: Path, json):
    monkeypatch.setattr(pipeline, "dq_report", lambda **kwargs: _unbalanced_report())
    args = ["dq", "--lake", str(tmp_path / "lake"), *(["--json"] if json else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert ('"balanced": false' if json else "is violated") in result.stdout


def test_reprocess_exits_1_when_conservation_breaks(monkeypatch, tmp_path: Path):
    def broken(lake, **kwargs):
        raise ConservationError("2 bronze rows of sales_lines are neither in silver nor rejects.")

    # the module: the attribute loyalty_lake.pipeline.build is the function build()
    pipeline_build = importlib.import_module("loyalty_lake.pipeline.build")
    monkeypatch.setattr(pipeline_build, "reprocess_rejects", broken)
    result = runner.invoke(app, ["reprocess", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1
    assert "neither in silver nor rejects" in result.output


# --- real builds: a refused file or batch makes build and demo exit 1 ------------------------


SALES = {
    "sales_header.csv": HEADER + "T1,C1,S1,2026-10-30T10:00:00,10.00,SALE\n",
    "sales_lines.csv": LINES + "1,T1,P1,,1,10.00\n",
}


def _batch_with_a_refused_file(folder: Path) -> Path:
    return write_batch(folder, SALES | {"stores.csv": "no_such_column\nS1\n"})  # MISSING_COLUMNS


def test_build_exits_1_when_a_file_is_refused(tmp_path: Path):
    landing = tmp_path / "landing"
    _batch_with_a_refused_file(landing / "2026-10-31")
    result = runner.invoke(app, ["build", str(landing), "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1, result.output
    assert "Rejected 2026-10-31/stores.csv" in result.output

    again = runner.invoke(app, ["build", str(landing), "--lake", str(tmp_path / "lake")])
    assert again.exit_code == 0, again.output  # nothing new was refused


def test_build_exits_1_when_a_batch_is_refused(tmp_path: Path):
    landing = tmp_path / "landing"
    write_batch(landing / "2026-10-30", SALES)
    (landing / "2026-10-31").symlink_to(landing / "2026-10-30")  # batches are never linked
    result = runner.invoke(app, ["build", str(landing), "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 1, result.output
    assert "Refused batch 2026-10-31" in result.output
    assert "Rejected" not in result.output  # the other batch landed whole


def test_demo_exits_1_when_a_file_is_refused(tmp_path: Path):
    lake = tmp_path / "lake"
    _batch_with_a_refused_file(lake / "landing" / "2026-10-31")
    result = runner.invoke(app, ["demo", "--lake", str(lake)])
    assert result.exit_code == 1, result.output
    assert "Generated" not in result.output  # the lake's own batch is built
    assert "Rejected 2026-10-31/stores.csv" in result.output
