"""Bronze: every landed row as the text it was, with its lineage."""

from loyalty_lake.bronze.ingest import (
    LINEAGE_COLUMNS,
    HeaderMapping,
    Lineage,
    bronze_rows,
    bronze_schema,
    map_header,
)

__all__ = [
    "LINEAGE_COLUMNS",
    "HeaderMapping",
    "Lineage",
    "bronze_rows",
    "bronze_schema",
    "map_header",
]
