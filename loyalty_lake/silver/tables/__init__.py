"""Bronze rows → checked rows: typed values plus every rule's verdict, per table.

Each ``checked_<table>`` function returns one row per bronze row it was given,
with the silver columns typed (null where the text did not parse), the raw
text in ``_raw``, and the lists ``_reasons`` (reject) and ``_warnings`` (warn)
with ``_messages``. :mod:`loyalty_lake.silver.split` then splits them into
silver rows, rejects and warnings in one pass.

Master data (:mod:`.masters`) is checked first; facts are checked against the
masters known after that (silver plus the masters accepted in the same run):
sales headers and lines together (:mod:`.sales`, with the OUTLIER rule of
:mod:`.outliers`), redemptions and inventory alone (:mod:`.facts`).
"""

from loyalty_lake.silver.tables.common import Checks, Known
from loyalty_lake.silver.tables.facts import checked_inventory, checked_redemptions
from loyalty_lake.silver.tables.masters import (
    MASTER_CHECKS,
    checked_customers,
    checked_loyalty_rules,
    checked_products,
    checked_promotions,
    checked_stores,
)
from loyalty_lake.silver.tables.outliers import (
    LATER,
    Later,
    OutlierStats,
    candidate_stats,
    outlier_candidates,
    outlier_lines,
)
from loyalty_lake.silver.tables.sales import (
    SalesEvidence,
    checked_sales,
    outlier_values,
    sales_evidence,
)

__all__ = [
    "LATER",
    "MASTER_CHECKS",
    "Checks",
    "Known",
    "Later",
    "OutlierStats",
    "SalesEvidence",
    "candidate_stats",
    "checked_customers",
    "checked_inventory",
    "checked_loyalty_rules",
    "checked_products",
    "checked_promotions",
    "checked_redemptions",
    "checked_sales",
    "checked_stores",
    "outlier_candidates",
    "outlier_lines",
    "outlier_values",
    "sales_evidence",
]
