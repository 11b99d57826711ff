"""A realistic, fast and deterministic synthetic landing dataset with known anomalies.

``generate(out_dir, GeneratorOptions(...))`` builds a retailer's history once
from a seed -- stores, products, members, promotions, loyalty rules, sales with
returns, points redemptions and daily stock -- corrupts a seeded share of rows,
splits the history into batches by date and writes one folder of contract CSV
files per batch, plus ``_ground_truth.csv`` listing every corrupted row with
its row number. The files hold customers' personal data: the folders it
creates are owner-only.

The same seed and options always give byte-identical files, and the history
does not depend on ``batches``: one batch or one batch per day describe the
same sales. Everything is vectorised with numpy and polars; money stays in
integer cents until it is written as text.

The modules, in the order the generator uses them:

- ``options``: :class:`GeneratorOptions`, :class:`AnomalyRates` and their validation;
- ``window``: the history window as day indices, and its batches;
- ``reference``: categories, regions and names the data is drawn from;
- ``tables``: a landing file before writing (hidden columns, text, overrides, truth);
- ``masters``, ``inventory``, ``promotions``, ``sales``, ``redemptions``: the
  clean history, one landing file (or a few related ones) each;
- ``corruption``, ``sales_anomalies``, ``master_anomalies``: the injected anomalies;
- ``history``: every table built from the seed, in a fixed order of random draws;
- ``style_names``, ``styles``, ``export``, ``settings``: export styles -- their names,
  the same values written as real exports write them -- the files they make, and
  the settings they need;
- ``batches``: :func:`generate`, writing the batch folders and their ground truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loyalty_lake._lazy import lazy_exports

if TYPE_CHECKING:
    from loyalty_lake.landing.generator.batches import (
        GeneratedBatch,
        GeneratedDataset,
        generate,
    )
    from loyalty_lake.landing.generator.options import AnomalyRates, GeneratorOptions
    from loyalty_lake.landing.generator.settings import DatasetSettings
    from loyalty_lake.landing.generator.style_names import ExportStyle
else:
    # Imported on first use: ``--style`` lists the export styles without numpy or polars.
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "loyalty_lake.landing.generator.batches": [
                "GeneratedBatch",
                "GeneratedDataset",
                "generate",
            ],
            "loyalty_lake.landing.generator.options": ["AnomalyRates", "GeneratorOptions"],
            "loyalty_lake.landing.generator.settings": ["DatasetSettings"],
            "loyalty_lake.landing.generator.style_names": ["ExportStyle"],
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
