"""Gold: the published tables, recomputed from silver for an ``as_of`` date; pure functions only.

- :mod:`~loyalty_lake.gold.tables`: the flow, declared once (:func:`gold_tables`
  and its stages); start reading here;
- :mod:`~loyalty_lake.gold.points`: the points engine (earning, ledger, balances);
- :mod:`~loyalty_lake.gold.customers` and :mod:`~loyalty_lake.gold.rfm`:
  ``customer_details``, its per-customer columns and its global scores;
- :mod:`~loyalty_lake.gold.marts`: sales, loyalty, promotions, segments and quality marts;
- :mod:`~loyalty_lake.gold.rejects`: the redemptions refused, as ``silver/rejects`` rows;
- :mod:`~loyalty_lake.gold.models`: one pandera model per published table (``GOLD_MODELS``).

Reading and writing the lake is ``pipeline/gold.py``'s job.
"""
