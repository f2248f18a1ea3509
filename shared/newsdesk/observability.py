"""One place for logging, metrics and tracing, shared by every function."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from newsdesk.settings import SettingsError, get_settings

# The service name comes from POWERTOOLS_SERVICE_NAME (template.yaml Globals). The namespace is fixed
# here so that metrics never depend on what the environment held when this module was imported.
METRIC_NAMESPACE = "Newsdesk"
logger = Logger()
metrics = Metrics(namespace=METRIC_NAMESPACE)
# Makes no AWS call here: segments go to the X-Ray daemon's UDP port during invocations, and only in
# Lambda (outside it, e.g. in tests and the local stack, Powertools disables the tracer itself).
tracer = Tracer()

# Dimensions of every metric besides Powertools' "service": two stages (or two stacks) in one
# account never add up in one series, and an alarm can name one function's metric.
STAGE_DIMENSION = "Stage"
FUNCTION_DIMENSION = "FunctionName"

ENTRY_MARK = "newsdesk_lambda_entry"

Handler = Callable[[dict[str, Any], LambdaContext], Any]


def lambda_entry(
    *, correlation_id_path: str | None = None, log_event: bool | None = None
) -> Callable[[Handler], Handler]:
    """Wrap a function's handler with what every invocation needs.

    - an X-Ray segment for the invocation (the response is not recorded: it can be large, and the
      authorizer's names a partner);
    - the metrics' default dimensions (stage, function name) and a ColdStart metric, flushed as EMF
      at the end;
    - the logger's Lambda context, with the previous invocation's appended keys (partner_id, ...)
      dropped first: a warm container serves many callers.
    """

    def decorate(handler: Handler) -> Handler:
        inner = metrics.log_metrics(handler, capture_cold_start_metric=True)
        inner = logger.inject_lambda_context(
            inner, correlation_id_path=correlation_id_path, log_event=log_event, clear_state=True
        )

        @functools.wraps(handler)
        def with_dimensions(event: dict[str, Any], context: LambdaContext) -> Any:
            try:
                stage = get_settings().stage
            except SettingsError:
                # The handler reports its own configuration error when it needs a setting; metrics
                # must never be what fails an invocation.
                stage = "unknown"
            set_dimensions({STAGE_DIMENSION: stage, FUNCTION_DIMENSION: context.function_name})
            return inner(event, context)

        traced: Handler = tracer.capture_lambda_handler(with_dimensions, capture_response=False)
        # Lets a test check that every function of the template is wrapped (tests/test_observe.py).
        traced.__dict__[ENTRY_MARK] = True
        return traced

    return decorate


def set_dimensions(wanted: dict[str, str]) -> None:
    """Make ``wanted`` the metrics' default dimensions, per invocation rather than at import (the
    settings are read after import). In Lambda they change only on the first invocation; the local
    stack keeps them per invocation (newsdesk_ops.invocation), as every function shares its process."""
    with _dimensions_lock:
        if all(metrics.provider.default_dimensions.get(name) == value for name, value in wanted.items()):
            return
        # Powertools keeps the defaults in the current dimension set too, and warns when one is added
        # again: drop the old values first.
        for name in wanted:
            metrics.provider.dimension_set.pop(name, None)
        metrics.set_default_dimensions(**wanted)


# The local stack invokes functions on several threads of one process (Lambda: one invocation per process).
_dimensions_lock = threading.Lock()
