"""The local stack's stream and timer functions, run in worker processes of their own.

On AWS every function runs in execution environments of its own. Locally the gateway, moto and the
functions shared one Python process, and so one core (the GIL): while publish rendered a batch and
media settled pictures, the partners' POSTs waited for them. With :class:`FunctionProcesses` the
functions the stream pollers and timers invoke (publish, media, the view counter, trending) run in
``processes`` worker processes instead, each a warm execution environment that handles one invocation
at a time, and talk to the stack's moto over HTTP as they do in this process. The API's functions
(the authorizer, ingest) stay in the gateway's process, where their timeouts and per-invocation state
are emulated (newsdesk_ops.gateway, newsdesk_ops.invocation).

An invocation that fails in a worker raises :class:`FunctionFailed` here with the worker's traceback in
its message, as Lambda reports a function error to an event source mapping; a worker that dies is
replaced, and the invocation it ran fails.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as WaitTimedOut
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from newsdesk_ops.gateway import FunctionTimedOut, InvocationAbandoned, LocalFunctions
from newsdesk_ops.template import Template

# NEWSDESK_LOCAL_FUNCTION_PROCESSES: how many worker processes `make run` gives the stream and timer
# functions (0: they run in the stack's own process).
PROCESSES_ENV = "NEWSDESK_LOCAL_FUNCTION_PROCESSES"
DEFAULT_PROCESSES = 2
# NEWSDESK_LOCAL_API_PROCESSES: how many the API's functions get, so many requests at once (0: they
# run in the gateway's process). Four: the partners' clients of the benchmarks and the demo.
API_PROCESSES_ENV = "NEWSDESK_LOCAL_API_PROCESSES"
DEFAULT_API_PROCESSES = 4

# The worker process's own functions (set by _start_worker; one per process).
_worker_functions: LocalFunctions | None = None


class FunctionFailed(Exception):
    """The function raised, timed out or lost its process: an invocation error, as Lambda reports it."""


def processes_from_environment(variable: str = PROCESSES_ENV, default: int = DEFAULT_PROCESSES) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise ValueError(f"{variable} must be a whole number of processes (0: none), not {raw!r}")
    return int(raw)


class FunctionProcesses:
    """Invokes the template's functions in worker processes: ``invoke`` as LocalFunctions.invoke."""

    def __init__(
        self, template: Template, *, stack_name: str, region: str, environment: dict[str, str], processes: int
    ) -> None:
        if processes < 1:
            raise ValueError("FunctionProcesses needs at least one process")
        # What a worker is started with: the functions' environment as this process has it now
        # (moto's endpoint, fake credentials, the functions' variables and Lambda's own).
        self._start_arguments = (template, stack_name, region, dict(environment))
        self._processes = processes
        self._lock = threading.Lock()
        self._free_workers = threading.BoundedSemaphore(processes)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # "spawn": a fork would copy this process's threads' locks (moto's, the gateway's) mid-use.
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=self._start_arguments,
        )

    def warm(self, function_logical_ids: list[str]) -> None:
        """Start every worker now, each with these functions' handlers imported: the first requests
        then find warm environments (as provisioned concurrency), not a process start each."""
        with self._lock:
            pool = self._pool
        # One call per worker, all submitted before any is waited for: the pool starts a process
        # for each call it cannot hand to an idle one.
        calls = [pool.submit(_import_handlers, function_logical_ids) for _ in range(self._processes)]
        for call in calls:
            call.result()

    def invoke(self, function_logical_id: str, event: Any, *, caller_timeout: float | None = None) -> Any:
        """Run one invocation in a worker and return its result; FunctionFailed if it failed,
        FunctionTimedOut past the function's Timeout.

        ``caller_timeout`` is how long the caller waits, the wait for a free worker included (API
        Gateway: 30 s): InvocationAbandoned after that, as LocalFunctions.invoke. An invocation
        that has not started by then is dropped, so an abandoned request never runs later."""
        # The caller's deadline, on time.monotonic (one clock for every process of the machine).
        deadline = None if caller_timeout is None else time.monotonic() + caller_timeout
        # A worker taken before the submit: ProcessPoolExecutor hands a submitted call to its queue
        # at once, where it can no longer be cancelled; a caller waits here instead, abandonably.
        if not self._free_workers.acquire(timeout=caller_timeout):  # None: as long as it takes
            raise InvocationAbandoned(f"{function_logical_id}: no answer within {caller_timeout:g} s (no free worker)")
        with self._lock:
            pool = self._pool
        try:
            try:
                # The deadline goes with the call: a worker whose function is still busy with an
                # earlier invocation (one at a time, past its Timeout) gives up on it then, before
                # it runs, as LocalFunctions does in this process.
                future = pool.submit(_invoke_in_worker, function_logical_id, event, deadline)
            except BaseException:
                self._free_workers.release()
                raise
            future.add_done_callback(lambda _: self._free_workers.release())
            try:
                outcome = future.result(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
            except WaitTimedOut:
                raise InvocationAbandoned(f"{function_logical_id}: no answer within {caller_timeout:g} s") from None
        except BrokenProcessPool as broken:
            self._replace(pool)
            raise FunctionFailed(f"{function_logical_id}: its worker process died ({broken})") from None
        except RuntimeError as closed:  # submit after close(): the stack is stopping
            raise FunctionFailed(f"{function_logical_id}: the worker processes are closed ({closed})") from None
        status, value = outcome
        if status == "timed_out":
            raise FunctionTimedOut(value)
        if status == "abandoned":
            raise InvocationAbandoned(value)
        if status == "error":
            raise FunctionFailed(f"{function_logical_id}: {value}")
        return value

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = self._new_pool()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Wait for the invocations under way, then end the workers."""
        with self._lock:
            pool = self._pool
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(template: Template, stack_name: str, region: str, environment: dict[str, str]) -> None:
    """A worker process's start: the functions' environment, and no Ctrl-C of its own (the stack's
    process stops it when it stops)."""
    global _worker_functions
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.update(environment)
    _worker_functions = LocalFunctions(template, stack_name=stack_name, region=region)


def _import_handlers(function_logical_ids: list[str]) -> None:
    assert _worker_functions is not None, "the worker was not started"
    _worker_functions.import_handlers(function_logical_ids)


def _invoke_in_worker(function_logical_id: str, event: Any, deadline: float | None = None) -> tuple[str, Any]:
    """("ok", result), ("timed_out", Lambda's message), ("abandoned", ...) when the caller's ``deadline``
    (time.monotonic) passed first, or ("error", what happened with the worker's traceback): an
    exception of the function's own may not survive the way back (pickling), its text does."""
    assert _worker_functions is not None, "the worker was not started"
    caller_timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
    try:
        return "ok", _worker_functions.invoke(function_logical_id, event, caller_timeout=caller_timeout)
    except FunctionTimedOut as timed_out:
        return "timed_out", str(timed_out)
    except InvocationAbandoned as abandoned:
        return "abandoned", str(abandoned)
    except BaseException as error:  # every failure is the invocation's error
        return "error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
