"""Everything that touches disk: lake paths, Delta tables and landing CSV files.

Transforms never import from here; :mod:`loyalty_lake.pipeline` joins the two.
"""
