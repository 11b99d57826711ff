"""loyalty_lake benchmarks: run with ``python -m benchmarks --help``."""
