"""Notebook-style tour of loyalty_lake: generate data, land it, look at bronze.

Run it as a script (``python examples/quickstart.py``) or cell by cell in a
notebook; it works in a temporary folder and leaves ./lake alone.
"""

# %% Imports and a scratch lake
from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl

import loyalty_lake as ll

workdir = Path(tempfile.mkdtemp(prefix="loyalty-lake-"))
lake = ll.Lake(workdir / "lake")

# %% Generate three landing batches: an initial load and two daily batches
dataset = ll.generate(
    lake.landing,
    ll.GeneratorOptions(lines=30_000, batches=3, seed=7),
)
for batch in dataset.batches:
    print(batch.batch_id, dict(batch.rows), "anomalies:", batch.anomalies)

# %% Land every batch and build the layers
report = ll.build(lake=lake)
for ingest in report.ingests:
    print(ingest.batch_id, f"{ingest.rows_landed:,} rows landed")

# %% Bronze keeps every value as the text it was, with its lineage
lines = ll.scan(lake, "bronze", "sales_lines")
print(lines.head(5).collect())

# %% Which files landed, and which were refused?
print(
    ll.scan(lake, "bronze", "landed_files")
    .select("batch_id", "source_file", "status", "rows", "reason")
    .collect()
)

# %% A first look at the (still untyped) data: revenue by batch, cast on the fly
print(
    lines.group_by("_batch_id")
    .agg(
        pl.len().alias("lines"),
        pl.col("line_item_amount").cast(pl.Decimal(18, 2), strict=False).sum().alias("amount"),
    )
    .sort("_batch_id")
    .collect()
)

# %% The lake's tables
for table in ll.status(lake=lake):
    print(table.layer, table.name, "v", table.version, f"{table.rows:,} rows")
