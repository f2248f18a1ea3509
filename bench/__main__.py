"""Run the benchmarks: ``python -m bench [name ...] [--quick] [--strict]``, or ``python -m bench issue7 ...``.

Every module of ``bench.BENCHMARKS`` (or only those named) runs in turn, in this process; each prints
its tables and writes ``bench/results/{name}.json`` and ``.md``. A summary of all verdicts comes last.
With ``--strict`` the exit status is 1 when a target is missed (for CI); by default a miss is
reported, not treated as an error, because benchmark figures inform decisions rather than gate them.

``python -m bench issue7 [--quick] [--before-ref REF --before-python PY] ...`` compares this tree with
the tree before issue 7's restructuring (see ``bench/issue7.py`` and bench/README.md).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
import time
from pathlib import Path

from bench import BENCHMARKS
from bench.common import RESULTS_DIR, BenchResult, report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["issue7"]:
        from bench import issue7

        return issue7.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="name", help=f"any of {', '.join(BENCHMARKS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repetitions")
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where to write NAME.json and .md")
    arguments = parser.parse_args(argv)
    if unknown := sorted(set(arguments.names) - set(BENCHMARKS)):
        parser.error(f"unknown benchmark {', '.join(unknown)}; known: {', '.join(BENCHMARKS)} (or: issue7)")

    started = time.perf_counter()
    results: list[BenchResult] = []
    for name in arguments.names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        takes_quick = "quick" in inspect.signature(module.run).parameters
        result: BenchResult = module.run(quick=arguments.quick) if takes_quick else module.run()
        report(result, arguments.results_dir)
        results.append(result)

    print(f"== Summary ({time.perf_counter() - started:.0f} s) ==")
    for result in results:
        for verdict in result.verdicts:
            print(f"{result.name}: {verdict.describe()}")
    return 1 if arguments.strict and not all(result.passed for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
