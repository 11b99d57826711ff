from __future__ import annotations

from pathlib import Path

import pytest

from loyalty_lake.io.lake import Lake

HEADER = "transaction_id,customer_id,store_id,transaction_date,total_amount,transaction_type\n"
LINES = "line_item_id,transaction_id,product_id,promotion_id,quantity,line_item_amount\n"


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    return Lake(tmp_path / "lake")


def write_batch(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write a landing batch folder of literal files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


@pytest.fixture
def small_batch(tmp_path: Path) -> Path:
    return write_batch(
        tmp_path / "landing" / "2026-10-31",
        {
            "sales_header.csv": HEADER
            + "T1,C1,S1,2026-10-30T10:00:00,12.50,SALE\n"
            + "T2,,S1,2026-10-31T11:30:00,7.00,SALE\n",
            "sales_lines.csv": LINES
            + "1,T1,P1,,1,10.00\n"
            + "2,T1,P2,PR1,1,2.50\n"
            + "1,T2,P1,,1,7.00\n",
            "customers.csv": "customer_id,first_name,email\nC1,Ada,ada@example.com\n",
        },
    )
