"""Names from outside never become paths outside the lake."""

from __future__ import annotations

import pytest

import loyalty_lake as ll
from loyalty_lake.errors import LakePathError
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
