"""Start fast: what ``loyalty-lake --help`` and ``status`` import, never how long they take.

The timings are measured side by side with Python and polars by
``python -m benchmarks.cli_startup`` (docs/performance.md, "Startup"); here
each run is a fresh interpreter whose imported modules are checked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from loyalty_lake.cli import operations
from loyalty_lake.io import delta
from loyalty_lake.io.lake import Lake
from loyalty_lake.pipeline import maintenance

#: What no command's start may import: the contracts (pandera) and the transforms.
CONTRACTS_AND_TRANSFORMS = ("pandera", "loyalty_lake.gold", "loyalty_lake.silver")
#: What --help and a bare import do not need either (polars alone costs most of --help's budget).
DATA_LIBRARIES = ("polars", "deltalake", "pyarrow", "numpy", "scipy")
COMMANDS = (
    "generate",
    "ingest",
    "build",
    "demo",
    "dq",
    "reprocess",
    "points",
    "export",
    "dashboard",
    "clv",
    "inspect",
    "notify",
    "history",
    "restore",
    "optimize",
    "vacuum",
    "status",
)
_MODULES = "modules: "


def fresh(code: str, *args: str) -> tuple[str, set[str]]:
    """Run ``code`` with ``args`` in a fresh interpreter: what it printed, and every module loaded.

    ``code`` sees its arguments as ``sys.argv[1:]``.
    """
    script = f"import json, sys\n{code}\nprint({_MODULES!r} + json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=os.environ | {"COLUMNS": "200"},
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output, _, modules = result.stdout.rpartition(_MODULES)
    return output, set(json.loads(modules))


def cli(*args: str) -> tuple[str, set[str]]:
    """Run ``loyalty-lake args`` in a fresh interpreter: its output and every module it loaded."""
    return fresh(
        "from loyalty_lake.cli import main\n"
        "sys.argv = ['loyalty-lake', *sys.argv[1:]]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as end:\n"
        "    assert not end.code, end.code",
        *args,
    )


def heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The modules of ``modules`` that are one of ``names`` or a submodule of one."""
    return sorted(m for m in modules if m in names or m.startswith(tuple(n + "." for n in names)))


@pytest.mark.parametrize("module", ["loyalty_lake", "loyalty_lake.cli"])
def test_importing_loads_no_contract_transform_or_data_library(module: str):
    _, modules = fresh(f"import {module}")
    assert module in modules
    assert heavy(modules, CONTRACTS_AND_TRANSFORMS + DATA_LIBRARIES) == []


def test_help_lists_every_command_and_loads_none():
    output, modules = cli("--help")
    listed = {line.strip(" │").split(" ")[0] for line in output.splitlines()}
    assert set(COMMANDS) <= listed
    assert heavy(modules, CONTRACTS_AND_TRANSFORMS + DATA_LIBRARIES) == []


def test_version_loads_no_data_library():
    output, modules = cli("--version")
    assert output.startswith("loyalty-lake ")
    assert heavy(modules, CONTRACTS_AND_TRANSFORMS + DATA_LIBRARIES) == []


def test_status_reads_the_tables_without_contracts_or_transforms(tmp_path: Path):
    lake = Lake(tmp_path / "lake")
    delta.write_table(
        lake.table("bronze", "stores"),
        pl.DataFrame({"store_id": ["S1", "S2", "S3"]}),
        mode="append",
        metadata={"batch_id": "2026-10-31"},
    )
    output, modules = cli("status", "--json", "--lake", str(lake.root))
    (table,) = json.loads(output)["tables"]
    assert (table["layer"], table["name"], table["rows"]) == ("bronze", "stores", 3)
    assert table["last_batch"] == "2026-10-31"
    # Rows are counted from the Delta log: no data file is read, so no pyarrow either.
    assert heavy(modules, (*CONTRACTS_AND_TRANSFORMS, "pyarrow")) == []


def test_vacuum_help_shows_the_library_default():
    assert operations.DEFAULT_RETENTION_HOURS == maintenance.DEFAULT_RETENTION_HOURS
