"""The weekly summary: aggregation (model), its JSON contract, and text, CSV and HTML renderings.

`ergod summary` (ergod/cli/summary.py) reads the store and prints one of these;
the daemon's weekly notification uses `headline()`; `ergod simulate --record`
and `--from-history` use `replay`. Nothing here runs at import.
"""
