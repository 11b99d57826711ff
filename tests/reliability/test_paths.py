"""Names from outside never become paths outside the lake; its control files are never links."""

from __future__ import annotations

import os
import stat

import pytest

import loyalty_lake as ll
from loyalty_lake.errors import LakePathError
from loyalty_lake.io.lock import writer_lock
from loyalty_lake.pipeline import ingest, maintenance
from tests.conftest import HEADER, write_batch

pytestmark = pytest.mark.reliability

BAD_BATCH_IDS = ["../evil", "a/b", "/abs", "..", ".hidden", "x" * 200, "a\x00b", "a b", "~root"]
BAD_TABLES = ["../x", "bronze/../../etc", "silver/../gold/x", "Sales", "a-b", "/etc/passwd", ""]


def test_malicious_batch_ids_and_table_names_are_refused(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    batch = write_batch(tmp_path / "b1", {"sales_header.csv": HEADER})
    refused = 0
    for batch_id in BAD_BATCH_IDS:
        with pytest.raises(LakePathError):
            ingest(batch, lake=lake, batch_id=batch_id)
        refused += 1
    for name in BAD_TABLES:
        with pytest.raises(LakePathError):
            maintenance.history(lake=lake, table=name)
        with pytest.raises(LakePathError):
            lake.table("silver", name)
        refused += 1
    with pytest.raises(LakePathError):
        lake.table("../../tmp", "x")  # type: ignore[arg-type]
    refused += 1
    outside = [p for p in tmp_path.rglob("*") if lake.root not in p.parents and p != lake.root]
    assert all(p.is_relative_to(tmp_path / "b1") for p in outside)
    print(f"\nmalicious paths refused: {refused}")


def test_a_lock_file_linked_outside_the_lake_is_refused_and_its_target_kept(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    lake.root.mkdir()
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    target.chmod(0o644)
    missing = tmp_path / "missing.txt"
    for link_to in (target, missing):
        (lake.root / ".lock").unlink(missing_ok=True)
        (lake.root / ".lock").symlink_to(link_to)
        with pytest.raises(LakePathError, match="symbolic link") as info, writer_lock(lake):
            pass
        assert "Remove the link" in str(info.value.hint)
        with pytest.raises(LakePathError, match="symbolic link"):
            ll.build(lake=lake)
    assert target.read_text() == "keep me\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert not missing.exists()


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_lock_file_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    lake = ll.Lake(tmp_path / "lake")
    lake.root.mkdir()
    lock = lake.root / ".lock"
    if kind == "folder":
        lock.mkdir()
    else:
        os.mkfifo(lock)
    with pytest.raises(LakePathError, match="not a regular file"), writer_lock(lake, wait=0):
        pass


def test_the_lock_file_is_created_owner_only(tmp_path):
    lake = ll.Lake(tmp_path / "lake")
    with writer_lock(lake):
        assert (lake.root / ".lock").read_text() == str(os.getpid())
    assert stat.S_IMODE((lake.root / ".lock").stat().st_mode) == 0o600
