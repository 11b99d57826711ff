"""loyalty_lake: a retail loyalty analytics lakehouse on Polars and Delta Lake.

The medallion flow reads in the package tree::

    landing/    synthetic landing batches (the generator)
    bronze/     landed rows as text, with lineage
    silver/     typed rows, data quality rules, rejects and warnings
    gold/       points engine, data quality mart, contracts of published tables
    io/         lake paths, Delta tables, landing CSV files (all disk access)
    pipeline/   runs each stage: ingest, silver, gold, build, demo, status, reports
    cli.py      the ``loyalty-lake`` command line

Typical notebook use::

    import loyalty_lake as ll

    lake = ll.Lake("lake")
    ll.generate("lake/landing", ll.GeneratorOptions(lines=50_000, batches=3))
    ll.build(lake=lake)
    ll.scan(lake, "gold", "customer_details").head().collect()
    ll.points_statement(lake=lake, customer_id="C0000042").ledger
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty_lake._lazy import lazy_exports

if TYPE_CHECKING:
    from pathlib import Path

    import polars as pl

    from loyalty_lake.config import Config, load_config
    from loyalty_lake.errors import (
        BadFileError,
        ConfigError,
        ConservationError,
        ContractViolation,
        LakeBusyError,
        LakePathError,
        LandingError,
        LoyaltyLakeError,
        TableNotFoundError,
        UnsettledRedemptions,
    )
    from loyalty_lake.io.lake import Lake, Layer
    from loyalty_lake.landing import AnomalyRates, GeneratorOptions, generate
    from loyalty_lake.pipeline.build import build
    from loyalty_lake.pipeline.build import reprocess_rejects as reprocess
    from loyalty_lake.pipeline.demo import demo
    from loyalty_lake.pipeline.ingest import ingest
    from loyalty_lake.pipeline.inspect import inspect_landing
    from loyalty_lake.pipeline.quality import dq_report
    from loyalty_lake.pipeline.statement import points_statement
    from loyalty_lake.pipeline.status import status
else:
    # Imported on first use: ``import loyalty_lake`` stays cheap (docs/performance.md).
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "loyalty_lake.config": ["Config", "load_config"],
            "loyalty_lake.errors": [
                "BadFileError",
                "ConfigError",
                "ConservationError",
                "ContractViolation",
                "LakeBusyError",
                "LakePathError",
                "LandingError",
                "LoyaltyLakeError",
                "TableNotFoundError",
                "UnsettledRedemptions",
            ],
            "loyalty_lake.io.lake": ["Lake"],
            "loyalty_lake.landing": ["AnomalyRates", "GeneratorOptions", "generate"],
            "loyalty_lake.pipeline.build": ["build", "reprocess_rejects as reprocess"],
            "loyalty_lake.pipeline.demo": ["demo"],
            "loyalty_lake.pipeline.ingest": ["ingest"],
            "loyalty_lake.pipeline.inspect": ["inspect_landing"],
            "loyalty_lake.pipeline.quality": ["dq_report"],
            "loyalty_lake.pipeline.statement": ["points_statement"],
            "loyalty_lake.pipeline.status": ["status"],
        },
    )

__version__ = "0.1.0"


def scan(
    lake: Lake | str | Path, layer: Layer, name: str, *, version: int | None = None
) -> pl.LazyFrame:
    """A lazy scan of table ``name`` of ``layer`` (at ``version`` for time travel).

    ``lake`` is a :class:`Lake` or its root folder. A table of the catalogue
    that has not been built yet scans as an empty frame of its schema.
    """
    from loyalty_lake.io import catalog

    return catalog.scan(lake, layer, name, version=version)


__all__ = [
    "AnomalyRates",
    "BadFileError",
    "Config",
    "ConfigError",
    "ConservationError",
    "ContractViolation",
    "GeneratorOptions",
    "Lake",
    "LakeBusyError",
    "LakePathError",
    "LandingError",
    "LoyaltyLakeError",
    "TableNotFoundError",
    "UnsettledRedemptions",
    "__version__",
    "build",
    "demo",
    "dq_report",
    "generate",
    "ingest",
    "inspect_landing",
    "load_config",
    "points_statement",
    "reprocess",
    "scan",
    "status",
]
