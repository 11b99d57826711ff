"""Two writers at once, and a killed writer: the lake's lock keeps it consistent."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import loyalty_lake as ll
from loyalty_lake.errors import LakeBusyError
from loyalty_lake.io import lock
from loyalty_lake.io.lock import writer_lock
from loyalty_lake.pipeline import conservation

pytestmark = pytest.mark.reliability


def hold_lock_process(root, seconds: float) -> subprocess.Popen:
    """A separate process that takes the lake's lock and sleeps."""
    code = textwrap.dedent(
        f"""
        import time, sys
        from pathlib import Path
        from loyalty_lake.io.lake import Lake
        from loyalty_lake.io.lock import writer_lock
        with writer_lock(Lake(Path({str(root)!r}))):
            print("locked", flush=True)
            time.sleep({seconds})
        """
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "locked"
    return process


def stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait()
    process.stdout.close()


def test_a_second_writer_is_told_who_holds_the_lake(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    holder = hold_lock_process(lake.root, 30)
    try:
        with (
            pytest.raises(LakeBusyError, match=f"pid {holder.pid}") as err,
            writer_lock(lake, wait=0.5),
        ):
            pass
        assert "Wait for it" in str(err.value)
    finally:
        stop(holder)


def test_a_killed_writer_releases_the_lake(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    holder = hold_lock_process(lake.root, 300)
    os.kill(holder.pid, signal.SIGKILL)
    stop(holder)
    started = time.monotonic()
    with writer_lock(lake, wait=5):
        pass
    assert time.monotonic() - started < 2


def test_two_builds_at_once_give_the_same_lake_as_one(tmp_path):
    landing = tmp_path / "landing"
    ll.generate(landing, ll.GeneratorOptions(lines=3_000, batches=2, seed=9))
    lake = ll.Lake(tmp_path / "lake")
    command = [
        sys.executable,
        "-m",
        "loyalty_lake.cli",
        "build",
        str(landing),
        "--lake",
        str(lake.root),
    ]
    runs = [
        subprocess.Popen([*command], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for run in runs:
        _, err = run.communicate(timeout=300)
        assert run.returncode == 0, err.decode()

    single = ll.Lake(tmp_path / "single")
    ll.build(lake=single, landing=landing)
    for layer, name in [
        ("bronze", "sales_lines"),
        ("silver", "sales_lines"),
        ("gold", "points_ledger"),
    ]:
        both = ll.scan(lake, layer, name).collect()
        one = ll.scan(single, layer, name).collect()
        assert both.height == one.height, (layer, name)
    lines = ll.scan(lake, "silver", "sales_lines").collect()
    assert lines.select("transaction_id", "line_item_id").is_duplicated().sum() == 0
    assert conservation(lake=lake)["balanced"].all()
    print(f"\nconcurrent builds: 2, rows duplicated: 0, lines in silver: {lines.height:,}")


def test_a_waiting_writer_says_whom_it_waits_for(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(lock, "REMIND_SECONDS", 0.4)
    lake = ll.Lake(tmp_path / "lake")
    holder = hold_lock_process(lake.root, 30)
    try:
        with (
            caplog.at_level(logging.WARNING, logger="loyalty_lake.io.lock"),
            pytest.raises(LakeBusyError, match="waited 1 s"),
            writer_lock(lake, wait=1),
        ):
            pass
    finally:
        stop(holder)
    said = [r.getMessage() for r in caplog.records]
    assert said[0] == (
        f"Waiting for loyalty-lake process pid {holder.pid} writing to {lake.root} "
        "(up to 1 s; Ctrl-C to stop)"
    )
    assert len(said) >= 2  # and again while it waits
    assert re.fullmatch(r"Waiting .* \(\d s so far, up to 1 s; Ctrl-C to stop\)", said[1])


def test_a_writer_that_need_not_wait_says_nothing(tmp_path, caplog):
    lake = ll.Lake(tmp_path / "lake")
    with caplog.at_level(logging.WARNING), writer_lock(lake, wait=5):
        pass
    assert not caplog.records


def waiting_build(lake: ll.Lake, **env: str) -> subprocess.Popen:
    """``loyalty-lake build`` on ``lake`` once it says it waits for this process."""
    command = [sys.executable, "-m", "loyalty_lake.cli", "build", "--lake", str(lake.root)]
    build = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | env,
    )
    line = build.stderr.readline()
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d WARNING loyalty_lake\.io\.lock: Waiting for "
        rf"loyalty-lake process pid {os.getpid()} writing to {re.escape(str(lake.root))} "
        rf"\(up to {env.get('LOYALTY_LAKE_LOCK_WAIT_SECONDS', 600)} s; Ctrl-C to stop\)\n",
        line,
    ), line
    return build


def test_ctrl_c_while_waiting_for_the_lake_exits_130(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    with writer_lock(lake):
        build = waiting_build(lake)
        build.send_signal(signal.SIGINT)
        out, err = build.communicate(timeout=60)
    assert build.returncode == 130
    assert err == "Interrupted.\n"
    assert out == ""


def test_how_long_a_writer_waits_is_a_setting(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    started = time.monotonic()
    with writer_lock(lake):
        build = waiting_build(lake, LOYALTY_LAKE_LOCK_WAIT_SECONDS="1")
        _, err = build.communicate(timeout=60)
    assert time.monotonic() - started < 30
    assert build.returncode == 2
    assert f"(pid {os.getpid()}) is writing to {lake.root}; waited 1 s." in err
    assert "lock_wait_seconds" in err
