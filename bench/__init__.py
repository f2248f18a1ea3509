"""Benchmarks of issue 2. ``python -m bench`` (``make bench``) runs every module listed here.

Adding a benchmark: write ``bench/<name>.py`` with ``run() -> bench.common.BenchResult`` (and a
``main()`` that calls ``bench.common.report(run())``), then add ``"<name>"`` to ``BENCHMARKS``.
"""

from __future__ import annotations

# Run in this order: cold start first, while the machine is least disturbed by this process.
BENCHMARKS: tuple[str, ...] = (
    "cold_start",
    "ingest_overhead",
    "publish",
    "trending",
    "validation",
)
