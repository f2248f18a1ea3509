"""Benchmarks. ``python -m bench`` (``make bench``) runs every module listed here.

``python -m bench issue7`` runs issue 7's benchmarks against this tree and the tree before the
restructuring and puts the figures side by side (``bench/issue7.py``).

Adding a benchmark: write ``bench/<name>.py`` with ``run(quick: bool = False) -> bench.common.BenchResult``
and a ``main()`` that calls ``bench.common.main_of(run)``, then add ``"<name>"`` to ``BENCHMARKS``.
Benchmarks drive the functions only from outside (handlers, the local gateway, the CLI, botocore
hooks; see ``bench.support``), so that they run against any version of the tree.
"""

from __future__ import annotations

# Run in this order: cold start first, while the machine is least disturbed by this process.
BENCHMARKS: tuple[str, ...] = (
    "cold_start",
    "snapstart",
    "ingest_warm",
    "ingest_overhead",
    "write_capacity",
    "publish_reads",
    "trending_queries",
    "validation",
)
