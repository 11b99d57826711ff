"""Landing: the CSV batches loyalty_lake ingests, and a synthetic generator for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty_lake._lazy import lazy_exports

if TYPE_CHECKING:
    from loyalty_lake.landing.generator import (
        AnomalyRates,
        DatasetSettings,
        ExportStyle,
        GeneratedBatch,
        GeneratedDataset,
        GeneratorOptions,
        generate,
    )
else:
    # The generator (numpy, polars) is imported on first use: reading the landing contract
    # does not need it.
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "loyalty_lake.landing.generator": [
                "AnomalyRates",
                "DatasetSettings",
                "ExportStyle",
                "GeneratedBatch",
                "GeneratedDataset",
                "GeneratorOptions",
                "generate",
            ]
        },
    )

__all__ = [
    "AnomalyRates",
    "DatasetSettings",
    "ExportStyle",
    "GeneratedBatch",
    "GeneratedDataset",
    "GeneratorOptions",
    "generate",
]
