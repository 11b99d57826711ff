"""User mistakes with paths are usage errors (exit 2) naming the path, never internal errors."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loyalty_lake import pipeline
from loyalty_lake.cli import app
from loyalty_lake.cli.app import os_problem

runner = CliRunner()


def assert_usage_error(output: str, *texts: str) -> None:
    for text in texts:
        assert text in output, text
    assert "Hint:" in output
    assert "Internal error" not in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["build"],
        ["dq"],
        ["vacuum"],
        ["optimize"],
        ["points", "C1"],
        ["history", "gold/points_ledger"],
        ["export"],
        ["ingest", "."],
        ["demo"],
    ],
)
def test_a_file_as_lake_is_a_usage_error(tmp_path: Path, args):
    lake = tmp_path / "lake.toml"
    lake.write_text("lake_root = 'lake'\n")
    result = runner.invoke(app, [*args, "--lake", str(lake)])
    assert result.exit_code == 2
    assert_usage_error(result.output, f"The lake root {lake} is a file, not a folder.")
    assert lake.read_text() == "lake_root = 'lake'\n"


def test_a_lake_under_a_file_is_a_usage_error(tmp_path: Path):
    (tmp_path / "notes").write_text("x")
    result = runner.invoke(app, ["build", "--lake", str(tmp_path / "notes" / "lake")])
    assert result.exit_code == 2
    assert_usage_error(result.output, f"lies under {tmp_path / 'notes'}, which is a file")


def test_a_file_as_the_configured_lake_root_is_a_usage_error(tmp_path: Path, monkeypatch):
    (tmp_path / "lake").write_text("x")
    monkeypatch.setenv("LOYALTY_LAKE_LAKE_ROOT", str(tmp_path / "lake"))
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 2
    assert_usage_error(result.output, "is a file, not a folder", "lake_root")


def test_a_file_as_inspect_lake_is_a_usage_error(tmp_path: Path, small_batch: Path):
    (tmp_path / "lake").write_text("x")
    result = runner.invoke(app, ["inspect", str(small_batch), "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2
    assert_usage_error(result.output, "is a file, not a folder")


@pytest.mark.parametrize("command", ["build", "ingest", "inspect"])
def test_a_missing_landing_path_is_a_usage_error(tmp_path: Path, command):
    missing = tmp_path / "landing" / "2026-10-31"
    result = runner.invoke(app, [command, str(missing), "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2
    assert_usage_error(result.output, str(missing), "does not exist")


@pytest.mark.parametrize(
    ("error", "texts"),
    [
        (
            PermissionError(13, "Permission denied", "/srv/lake/.lock"),
            ["/srv/lake/.lock", "ls -ld"],
        ),
        (NotADirectoryError(20, "Not a directory", "/srv/lake/bronze"), ["/srv/lake/bronze"]),
        (FileExistsError(17, "File exists", "/srv/lake"), ["File exists: /srv/lake"]),
        (OSError(28, "No space left on device", "/srv/lake/x.parquet"), ["free some space"]),
        (
            RuntimeError(  # deltalake's and polars' errors quote the OS error
                "Failed to parse parquet: External: Generic LocalFileSystem error: Unable to "
                "open file /srv/lake/bronze/customers/part-0.parquet#1: Permission denied "
                "(os error 13)"
            ),
            ["/srv/lake/bronze/customers/part-0.parquet", "ls -ld"],
        ),
        (
            RuntimeError(
                "Could not create local directory: /srv/lake/gold/snapshots\n"
                'Error: Os { code: 30, kind: ReadOnlyFilesystem, message: "Read-only file system" }'
            ),
            ["Read-only file system: Could not create local directory: /srv/lake/gold/snapshots"],
        ),
    ],
)
def test_operating_system_errors_are_usage_errors(monkeypatch, tmp_path: Path, error, texts):
    def failing_status(*, lake):
        raise error

    monkeypatch.setattr(pipeline, "status", failing_status)
    result = runner.invoke(app, ["status", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 2
    assert_usage_error(result.output, *texts)


def test_other_errors_are_not_taken_for_operating_system_errors():
    assert os_problem(RuntimeError("cannot concat empty list")) is None
    assert os_problem(KeyError("error 13")) is None


# --- a real read-only lake ------------------------------------------------------------------

#: Root bypasses file modes; without these capabilities it cannot.
_DROP_ROOT_POWERS = [
    "setpriv",
    "--bounding-set",
    "-dac_override,-dac_read_search,-fowner",
    "--",
]


def as_an_ordinary_user() -> list[str]:
    """The prefix that runs a command without the power to ignore file modes."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root, and setpriv (util-linux) is missing to drop its powers")
    probe = subprocess.run([*_DROP_ROOT_POWERS, "true"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"running as root, and setpriv cannot drop its powers: {probe.stderr!r}")
    return _DROP_ROOT_POWERS


@pytest.fixture
def read_only_lake(tmp_path: Path):
    lake = tmp_path / "lake"
    lake.mkdir()
    lake.chmod(0o555)
    yield lake
    lake.chmod(0o755)


@pytest.mark.parametrize(
    "args",
    [
        ["build", "{landing}"],
        ["ingest", "{landing}"],
        ["optimize"],
        ["vacuum"],
        ["generate", "--lines", "100", "--out", "{lake}/landing"],
    ],
)
def test_a_read_only_lake_is_a_usage_error(
    tmp_path: Path, small_batch: Path, read_only_lake: Path, args
):
    prefix = as_an_ordinary_user()
    filled = [a.format(landing=small_batch, lake=read_only_lake) for a in args]
    result = subprocess.run(
        [*prefix, sys.executable, "-m", "loyalty_lake.cli", *filled, "--lake", str(read_only_lake)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert_usage_error(result.stderr, "Permission denied", str(read_only_lake))
    assert not any(read_only_lake.iterdir())
