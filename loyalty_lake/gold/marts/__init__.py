"""The marts: aggregates for BI, one function per table, each named after the table it returns.

- :mod:`~loyalty_lake.gold.marts.sales`: sales_daily, store_daily,
  product_sales_daily, member_sales_daily (from the signed ``sale_lines``);
- :mod:`~loyalty_lake.gold.marts.loyalty`: loyalty_daily;
- :mod:`~loyalty_lake.gold.marts.promotions`: promotion_performance;
- :mod:`~loyalty_lake.gold.marts.segments`: segment_summary;
- :mod:`~loyalty_lake.gold.marts.quality`: dq_summary and batch_quality.
"""
