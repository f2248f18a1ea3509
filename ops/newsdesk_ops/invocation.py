"""What Lambda keeps apart and the local stack, running every function in one process, must keep apart.

Lambda runs each invocation in an execution environment of its own function: module state is never
shared between two functions, nor between two invocations that run at the same time. Locally all
functions share one process and run on threads, so:

- **Log and metrics context.** Powertools' Logger keeps its keys (function_name, function_request_id,
  cold_start, partner_id...) in its formatter, one per process. An ingest 500 was logged as the
  publish function, invoked last on another thread. :func:`separate_log_contexts` makes that state
  per invocation: each starts from what its own function's previous invocation left (as a warm
  environment does; a key an invocation forgets to clear shows locally too) and changes only its
  own copy. The metrics provider's pending metrics and dimensions are kept the same way.
- **Module state of one invocation.** A Powertools event handler keeps the current event in
  module (class) state, and a batch processor the current batch. A function whose handler module
  holds one runs one invocation at a time (:func:`keeps_invocation_state`); every other function
  runs its invocations concurrently, as Lambda scales out.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from types import ModuleType
from typing import Any

# Attribute values of the running invocation, by (id(object), attribute name); None outside one.
_invocation_values: ContextVar[dict[tuple[int, str], Any] | None] = ContextVar("invocation_values", default=None)
_installed = False
_install_lock = threading.Lock()


class PerInvocationAttribute:
    """A data descriptor: outside an invocation the object's own attribute; inside one, the
    invocation's copy of it (made on first use)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        values = _invocation_values.get()
        if values is None:
            return obj.__dict__[self.name]
        key = (id(obj), self.name)
        if key not in values:
            values[key] = copy.copy(obj.__dict__[self.name])
        return values[key]

    def __set__(self, obj: Any, value: Any) -> None:
        values = _invocation_values.get()
        if values is None or self.name not in obj.__dict__:
            obj.__dict__[self.name] = value
        if values is not None:
            values[(id(obj), self.name)] = value


def separate_log_contexts() -> None:
    """Make Powertools' log keys and pending metrics per invocation (once per process; outside
    invocations nothing changes)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

        LambdaPowertoolsFormatter.log_format = PerInvocationAttribute("log_format")  # type: ignore[assignment]
        # The metrics waiting to be flushed and their dimensions (Stage, FunctionName) likewise: a
        # publish metric was flushed with the trending function's FunctionName.
        for name in _METRICS_STATE:
            setattr(AmazonCloudWatchEMFProvider, name, PerInvocationAttribute(name))
        _installed = True


# What Powertools' EMF provider keeps between add_metric and flush, and its default dimensions.
_METRICS_STATE = ("metric_set", "dimension_set", "dimension_sets", "metadata_set", "default_dimensions")


class FunctionState:
    """One function's log context between its invocations (what its warm environment would keep)."""

    def __init__(self) -> None:
        self._values: dict[tuple[int, str], Any] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def invocation(self) -> Iterator[None]:
        """Run the body as one invocation: with a copy of the function's state, kept when it ends."""
        with self._lock:
            values = {key: copy.copy(value) for key, value in self._values.items()}
        token = _invocation_values.set(values)
        try:
            yield
        finally:
            _invocation_values.reset(token)
            with self._lock:
                self._values = values


def keeps_invocation_state(module: ModuleType) -> bool:
    """Whether the handler's module holds the current event or batch in module state: a Powertools
    event handler (its current event is class state) or batch processor (its current batch)."""
    from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
    from aws_lambda_powertools.utilities.batch.base import BasePartialProcessor

    return any(isinstance(value, BaseRouter | BasePartialProcessor) for value in vars(module).values())
