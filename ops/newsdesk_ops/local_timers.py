"""The local stack's EventBridge: every ``Schedule``/``ScheduleV2`` event of the template fires its
function every ``NEWSDESK_LOCAL_TIMER_SECONDS`` seconds (default 5) while the stack is busy (its
table changed in the last minute), and at its own rate when the stack is idle (:func:`timer_due`).
The stream pollers tell it when a table changed (:func:`note_table_change`).
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newsdesk_ops.template import (
    LOCAL_ACCOUNT_ID,
    ScheduleSource,
    schedule_sources,
)

if TYPE_CHECKING:
    from newsdesk_ops.local_stack import RunningStack

log = logging.getLogger(__name__)

TIMER_SECONDS_ENV = "NEWSDESK_LOCAL_TIMER_SECONDS"
DEFAULT_TIMER_SECONDS = 5.0
# How long a stopping worker waits for its thread.
STOP_TIMEOUT_SECONDS = 10.0


# --------------------------------------------------------------------------------------------------
# When the local tables last changed (the stream pollers see it; the timers use it)
# --------------------------------------------------------------------------------------------------

_last_change: dict[str, float] = {}
_last_change_lock = threading.Lock()


def note_table_change(table: str) -> None:
    """Remember that ``table`` changed now: its stream carried a record."""
    with _last_change_lock:
        _last_change[table] = time.monotonic()


def seconds_since_change(tables: Iterable[str]) -> float:
    """Seconds since any of these tables last changed (infinite when none was seen to change)."""
    with _last_change_lock:
        changes = [_last_change[table] for table in tables if table in _last_change]
    return time.monotonic() - max(changes) if changes else float("inf")


# --------------------------------------------------------------------------------------------------
# Timers
# --------------------------------------------------------------------------------------------------


def scheduled_event(source: ScheduleSource, *, stack_name: str, region: str, now: datetime) -> dict[str, Any]:
    """The event EventBridge sends a function on a schedule (the rule's ARN names the event)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": LOCAL_ACCOUNT_ID,
        "time": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [
            f"arn:aws:events:{region}:{LOCAL_ACCOUNT_ID}:rule/{stack_name}-{source.function_logical_id}"
            f"-{source.event_name}"
        ],
        "detail": {},
    }


def timer_seconds() -> float:
    raw = os.environ.get(TIMER_SECONDS_ENV)
    try:
        seconds = float(raw) if raw else DEFAULT_TIMER_SECONDS
    except ValueError:
        raise ValueError(f"{TIMER_SECONDS_ENV} must be a number of seconds, not {raw!r}") from None
    if seconds <= 0:
        raise ValueError(f"{TIMER_SECONDS_ENV} must be positive, not {raw!r}")
    return seconds


# How long after a change of the table the local timers keep firing at the local period.
LOCAL_BUSY_SECONDS = 60.0
_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def rate_seconds(expression: str) -> float | None:
    """The period of a ``rate(...)`` schedule expression in seconds; None for cron or anything else."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        return None
    return float(int(match.group(1)) * _UNIT_SECONDS[match.group(2).removesuffix("s")])


def timer_due(rate: float | None, quiet_for: float, since_fired: float) -> bool:
    """Whether a local timer tick invokes the function.

    Every tick does while the stack is busy: its table changed within the last
    ``LOCAL_BUSY_SECONDS`` (or the schedule's rate, if shorter), so the function may have new work
    (views to rank, an embargo to release) and a developer sees the result within seconds. An
    idle stack fires each schedule at its own rate, as EventBridge would: an idle tick costs
    nothing, where a trending run Queries every hour of the window (and moto walks the whole table
    for each Query, so an idle stack with history spent most of a core on it). What only the clock
    changes (an embargo ending later, an hour leaving the window) is picked up at the rate, as in
    AWS. A schedule that is not a rate (cron) fires every tick.
    """
    if rate is None:
        return True
    return quiet_for < min(rate, LOCAL_BUSY_SECONDS) or since_fired >= rate


def timers(stack: RunningStack) -> Callable[[], None]:
    """Worker: every enabled schedule of the template fires every ``NEWSDESK_LOCAL_TIMER_SECONDS``
    while the stack is busy, and at its own rate while it is idle (:func:`timer_due`)."""
    seconds = timer_seconds()
    sources = [source for source in schedule_sources(stack.template) if source.enabled]
    rates = {(source.function_logical_id, source.event_name): rate_seconds(source.expression) for source in sources}
    last_fired: dict[tuple[str, str], float] = {}
    tables = list(stack.resources.tables.values())
    stop_requested = threading.Event()
    stack_name = stack.resources.stack_name

    def fire(source: ScheduleSource) -> None:
        event = scheduled_event(source, stack_name=stack_name, region=stack.region, now=datetime.now(UTC))
        try:
            result = stack.invoke_in_background(source.function_logical_id, event)
        except Exception:
            log.exception("timer %s.%s: the function failed", source.function_logical_id, source.event_name)
            return
        log.debug("timer %s.%s: %r", source.function_logical_id, source.event_name, result)

    def run() -> None:
        while not stop_requested.wait(seconds):
            quiet_for = seconds_since_change(tables)
            for source in sources:
                if stop_requested.is_set():
                    return
                name = (source.function_logical_id, source.event_name)
                since_fired = time.monotonic() - last_fired.get(name, float("-inf"))
                if not timer_due(rates[name], quiet_for, since_fired):
                    continue
                last_fired[name] = time.monotonic()
                fire(source)

    thread = threading.Thread(target=run, name="local-timers", daemon=True)
    if sources:
        thread.start()
        for source in sources:
            log.info(
                "timer %s.%s (%s) every %g s locally while the table changes, at its rate when idle",
                source.function_logical_id,
                source.event_name,
                source.expression,
                seconds,
            )

    def stop() -> None:
        stop_requested.set()
        if thread.is_alive():
            thread.join(timeout=STOP_TIMEOUT_SECONDS)

    return stop
