"""Gold: the published tables, recomputed from silver."""
