"""The loyalty points engine, in the order it runs; every function is pure (frames in, frames out).

- :mod:`~loyalty_lake.gold.points.earning`: the earning rules, each line's
  points (exact integers), and the EARN, BONUS, REVERSAL and REDEEM events;
- :mod:`~loyalty_lake.gold.points.ledger`: the events in ledger order, FIFO
  expiry, the redemption verdicts (INSUFFICIENT_POINTS) and the published
  ``points_ledger``;
- :mod:`~loyalty_lake.gold.points.balances`: balances, lifetime points and
  tiers per customer, and the next points to expire.

:func:`loyalty_lake.gold.tables.customer_state` composes them.
"""
