"""Lambda SnapStart: what a function builds before its snapshot, and what it renews after a restore.

With SnapStart (template.yaml: the ingest and authorizer functions) Lambda runs a function's init
once per published version, snapshots the memory, and starts new execution environments by
resuming that snapshot instead of importing everything again. So:

- the expensive, call-free parts of the first request (boto3 clients, the compiled ninjs
  validator, the HTML cleaners, settings) are built during that init, only when Lambda says it is
  initializing for a snapshot (``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start``): locally, in tests
  and on an on-demand init nothing happens at import time. Creating a client makes no AWS call;
  nothing here may make one.
- everything that must differ between environments is renewed after each restore, through the
  runtime's Snapshot Restore for Python hooks (``snapshot_restore_py``, part of the managed Python
  runtimes): every resumed environment would otherwise share the snapshot's random state.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Mapping

from newsdesk.observability import logger

SNAPSHOT_INIT = "snap-start"


def initializing_for_snapshot(environ: Mapping[str, str] = os.environ) -> bool:
    """True while Lambda runs the init whose memory it will snapshot."""
    return environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == SNAPSHOT_INIT


def prepare_snapshot(warm_up: Callable[[], None], after_restore: Callable[[], None] | None = None) -> bool:
    """During a snapshot init: run ``warm_up`` now and ``after_restore`` after every restore.

    Returns whether it did (False everywhere but a SnapStart init).
    """
    if not initializing_for_snapshot():
        return False
    warm_up()
    register_after_restore(renew_randomness)
    if after_restore is not None:
        register_after_restore(after_restore)
    logger.debug("Warmed up before the snapshot")
    return True


def register_after_restore(hook: Callable[[], None]) -> None:
    # Provided by the Lambda runtime (and absent elsewhere, where nothing is ever restored).
    from snapshot_restore_py import register_after_restore as register

    register(hook)


def renew_randomness() -> None:
    """Reseed ``random`` from the OS: the snapshot's state would give every environment the same draws
    (the view-counter shard of newsdesk.dal.engagement, the retry jitter of newsdesk.dal.items).
    ``secrets`` and ``uuid4`` read the OS at every call and need nothing."""
    random.seed()
