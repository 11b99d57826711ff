"""Landing: the CSV batches loyalty_lake ingests, and a synthetic generator for them."""

from __future__ import annotations

from loyalty_lake.landing.generator import (
    AnomalyRates,
    DatasetSettings,
    ExportStyle,
    GeneratedBatch,
    GeneratedDataset,
    GeneratorOptions,
    generate,
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
