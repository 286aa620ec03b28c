"""srzoo's benchmarks. Each module has ``run() -> dict`` (the results, for a runner to collect) and
runs on its own as ``python -m benchmarks.<name>``, printing a Markdown table:

- ``startup``: wall time of ``srzoo list`` / ``srzoo --help`` and the import-time breakdown.
"""
