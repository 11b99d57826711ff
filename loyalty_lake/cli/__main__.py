"""``python -m loyalty_lake.cli``: the command line."""

from loyalty_lake.cli import main

main()
