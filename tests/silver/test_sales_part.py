"""Which part of a big run a bronze sales row is checked in."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from loyalty_lake.config import IdRewrite
from loyalty_lake.silver import run
from loyalty_lake.silver.parse import Reading
from loyalty_lake.silver.tables import Checks

CHECKS = Checks(now=datetime(2026, 11, 27, tzinfo=UTC))


def headers(*rows: tuple[str, str, str]) -> pl.LazyFrame:
    ids, types, originals = zip(*rows, strict=True)
    return pl.LazyFrame(
        {
            "transaction_id": ids,
            "transaction_type": types,
            "original_transaction_id": originals,
            "_ingested_at": [datetime(2026, 11, 1, tzinfo=UTC)] * len(ids),
            "_batch_id": ["b1"] * len(ids),
            "_source_file": ["sales_header.csv"] * len(ids),
            "_row_number": list(range(1, len(ids) + 1)),
        }
    )


def parts(frame: pl.LazyFrame, table: str, anchors: pl.DataFrame, checks: Checks = CHECKS):
    with_part = run.with_sales_part(frame, table, anchors, parts=7, checks=checks).collect()
    assert with_part.columns == [*frame.collect_schema().names(), run.SALES_PART]
    assert with_part.height == frame.select(pl.len()).collect().item()  # no row lost or doubled
    return dict(zip(with_part["transaction_id"], with_part[run.SALES_PART], strict=True))


def test_a_transaction_and_a_return_share_the_part_of_the_sale():
    header = headers(
        *[(f"T{i}", "SALE", "") for i in range(50)],
        ("R1", "RETURN", " T7 "),
        ("R2", "return", "T8"),
        ("R3", "RETURN", "T404"),  # names no sale of the run: anchored all the same
    )
    anchors = run.sales_anchors(header, checks=CHECKS).collect()
    part = parts(header, "sales_header", anchors)
    assert part["R1"] == part["T7"]
    assert part["R2"] == part["T8"]
    assert len(set(part.values())) > 1  # 50 sales spread over the parts
    lines = pl.LazyFrame({"transaction_id": ["T7", " T7", "R1", "R2 ", None, "T9"]})
    line_part = parts(lines, "sales_lines", anchors)
    assert line_part[" T7"] == line_part["T7"] == line_part["R1"] == part["T7"]
    assert line_part["R2 "] == part["T8"]
    assert line_part["T9"] == part["T9"]
    assert line_part[None] in range(7)  # a line without a transaction still has a part


def test_ids_are_read_as_the_checks_read_them():
    """``15.0`` is ``15``; a configured rewrite of one table's ids applies to its rows."""
    rewrite = IdRewrite(columns=("sales_header.transaction_id",), pattern=r"TX-(\d+)", replace="$1")
    checks = Checks(now=CHECKS.now, reading=Reading(id_rewrites=(rewrite,)))
    header = headers(("TX-15", "SALE", ""), ("16", "SALE", ""))
    anchors = run.sales_anchors(header, checks=checks).collect()
    part = parts(header, "sales_header", anchors, checks)
    line_part = parts(
        pl.LazyFrame({"transaction_id": ["15.0", "15", "16.00"]}), "sales_lines", anchors, checks
    )
    assert line_part["15.0"] == line_part["15"] == part["TX-15"]
    assert line_part["16.00"] == part["16"]
