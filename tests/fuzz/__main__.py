"""``python -m tests.fuzz`` (``make fuzz``): the full run; figures to bench/results/reliability/fuzz.json.

FUZZ_REQUESTS (default 5000) is how many requests to generate, FUZZ_SECONDS (default 900) the time
bound, FUZZ_SEED (default 8) the seed. Exits 1 on any 5xx, response outside the document or other
check failure, and when fewer requests than asked for were sent.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

from tests.fuzz.report import table, write_results
from tests.fuzz.runner import FuzzOptions, run_fuzz


def main() -> int:
    # The functions log every refused request; thousands of them would bury the table.
    logging.disable(logging.WARNING)
    # ... and every request's metrics (EMF lines on stdout).
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    warnings.filterwarnings("ignore", "No application metrics to publish", UserWarning)
    options = FuzzOptions(
        requests=int(os.environ.get("FUZZ_REQUESTS") or 5000),
        seconds=float(os.environ.get("FUZZ_SECONDS") or 900),
        seed=int(os.environ.get("FUZZ_SEED") or 8),
    )
    result = run_fuzz(options)
    figures, failures = result.figures(), result.tally.failure_list()
    write_results(figures, failures)
    print(table(figures, failures))
    short = figures["requests"] < options.requests
    if short:
        print(f"only {figures['requests']} of {options.requests} requests within {options.seconds:.0f} s")
    return 1 if failures or short else 0


if __name__ == "__main__":
    sys.exit(main())
