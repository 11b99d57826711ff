"""Notebook-style tour of loyalty_lake: generate data, build the lake, look at each layer.

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

# %% Silver: typed, clean rows; every other row is in rejects with its reasons
silver_lines = ll.scan(lake, "silver", "sales_lines")
print(
    silver_lines.group_by("_batch_id")
    .agg(pl.len().alias("lines"), pl.col("line_item_amount").sum().alias("amount"))
    .sort("_batch_id")
    .collect()
)
report = ll.dq_report(lake=lake, examples=1)
print(report.summary)
print("conservation holds:", report.balanced)

# %% Gold: the points ledger and each customer's balance and tier
details = ll.scan(lake, "gold", "customer_details").collect()
print(details.sort("total_loyalty_points", descending=True).head(5))
top = details.sort("total_loyalty_points", descending=True)["customer_id"][0]
statement = ll.points_statement(lake=lake, customer_id=top)
print(statement.loyalty_status, statement.balance, statement.next_expiry_date)
print(statement.ledger.tail(5))

# %% The lake's tables
for table in ll.status(lake=lake):
    print(table.layer, table.name, "v", table.version, f"{table.rows:,} rows")
