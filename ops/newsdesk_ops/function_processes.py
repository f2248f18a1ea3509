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
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from newsdesk_ops.gateway import LocalFunctions
from newsdesk_ops.template import Template

# NEWSDESK_LOCAL_FUNCTION_PROCESSES: how many worker processes `make run` gives the stream and timer
# functions (0: they run in the stack's own process).
PROCESSES_ENV = "NEWSDESK_LOCAL_FUNCTION_PROCESSES"
DEFAULT_PROCESSES = 2

# The worker process's own functions (set by _start_worker; one per process).
_worker_functions: LocalFunctions | None = None


class FunctionFailed(Exception):
    """The function raised, timed out or lost its process: an invocation error, as Lambda reports it."""


def processes_from_environment() -> int:
    raw = os.environ.get(PROCESSES_ENV, "").strip()
    if not raw:
        return DEFAULT_PROCESSES
    if not raw.isdigit():
        raise ValueError(f"{PROCESSES_ENV} must be a whole number of processes (0: none), not {raw!r}")
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
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        # "spawn": a fork would copy this process's threads' locks (moto's, the gateway's) mid-use.
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=self._start_arguments,
        )

    def invoke(self, function_logical_id: str, event: Any) -> Any:
        """Run one invocation in a worker and return its result; FunctionFailed if it failed."""
        with self._lock:
            pool = self._pool
        try:
            outcome = pool.submit(_invoke_in_worker, function_logical_id, event).result()
        except BrokenProcessPool as broken:
            self._replace(pool)
            raise FunctionFailed(f"{function_logical_id}: its worker process died ({broken})") from None
        except RuntimeError as closed:  # submit after close(): the stack is stopping
            raise FunctionFailed(f"{function_logical_id}: the worker processes are closed ({closed})") from None
        status, value = outcome
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


def _invoke_in_worker(function_logical_id: str, event: Any) -> tuple[str, Any]:
    """("ok", result), or ("error", what happened with the worker's traceback): an exception of the
    function's own may not survive the way back (pickling), its text does."""
    assert _worker_functions is not None, "the worker was not started"
    try:
        return "ok", _worker_functions.invoke(function_logical_id, event)
    except BaseException as error:  # every failure is the invocation's error
        return "error", f"{type(error).__name__}: {error}\n{traceback.format_exc()}"
