"""Failing one AWS call on purpose: which call (by its place in a run), and how it fails.

A :class:`FaultInjector` watches the clients the functions use (``newsdesk.dal.clients``) through
botocore's event hooks and numbers their calls from 1. Armed with a :class:`Fault`, it makes the
N-th call fail in one of these ways:

- ``throttled`` — DynamoDB's ``ProvisionedThroughputExceededException``, S3's ``SlowDown``: AWS
  did nothing;
- ``server_error`` — a 500 ``InternalServerError``: AWS did nothing;
- ``timeout_before`` — the connection timed out before the request reached AWS;
- ``timeout_after`` — AWS did the call, then the response was lost (``ReadTimeoutError``);
- ``closed_after`` — AWS did the call, then the connection closed (``ConnectionClosedError``).

The hooks run outside botocore's retry loop: ``before-call`` is emitted before the first attempt
and ``after-call`` after the last, so an injected failure is what the caller sees once botocore's
own retries are spent (a throttle that outlasted them, a timeout after the call completed). Nothing
in production code knows about this module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError


class FaultKind(StrEnum):
    THROTTLED = "throttled"
    SERVER_ERROR = "server_error"
    TIMEOUT_BEFORE = "timeout_before"
    TIMEOUT_AFTER = "timeout_after"
    CLOSED_AFTER = "closed_after"

    @property
    def after_the_call(self) -> bool:
        """Whether AWS has done the call when the caller sees the failure."""
        return self in (FaultKind.TIMEOUT_AFTER, FaultKind.CLOSED_AFTER)


# What each service answers when it throttles a caller (after the SDK's retries gave up).
_THROTTLE = {"dynamodb": ("ProvisionedThroughputExceededException", 400), "s3": ("SlowDown", 503)}


@dataclass(frozen=True)
class Fault:
    """Fail the ``call``-th call (1-based, counted from when the injector was armed) as ``kind``;
    with ``operation`` (``"dynamodb:PutItem"``), the ``call``-th call of that operation."""

    call: int
    kind: FaultKind
    operation: str | None = None


@dataclass(frozen=True)
class Injected:
    """A fault that fired: which call it hit."""

    call: int
    operation: str  # "dynamodb:PutItem"
    kind: FaultKind


def _client_error(service: str, operation: str, code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "injected by tests/support/faults.py"},
        "ResponseMetadata": {"HTTPStatusCode": status, "RetryAttempts": 2},
    }
    return ClientError(response, operation)


def failure(kind: FaultKind, service: str, operation: str, endpoint_url: str) -> Exception:
    """The exception a caller sees for ``kind`` on ``service``'s ``operation``."""
    if kind is FaultKind.THROTTLED:
        code, status = _THROTTLE.get(service, ("ThrottlingException", 400))
        return _client_error(service, operation, code, status)
    if kind is FaultKind.SERVER_ERROR:
        return _client_error(service, operation, "InternalServerError", 500)
    if kind is FaultKind.TIMEOUT_BEFORE:
        return ConnectTimeoutError(endpoint_url=endpoint_url)
    if kind is FaultKind.TIMEOUT_AFTER:
        return ReadTimeoutError(endpoint_url=endpoint_url)
    return ConnectionClosedError(endpoint_url=endpoint_url)


@dataclass
class FaultInjector:
    """Numbers the calls of the watched clients and fails the armed one.

    ``calls`` lists every call since the last :meth:`arm` or :meth:`count` as ``service:Operation``
    (a fault-free run's list says which calls there are to fail).
    """

    calls: list[str] = field(default_factory=list)
    injected: list[Injected] = field(default_factory=list)
    _fault: Fault | None = None
    _lose_next_response: FaultKind | None = None
    _clients: list[Any] = field(default_factory=list)

    def watch(self, *clients: Any) -> FaultInjector:
        for client in clients:
            service = client.meta.service_model.service_id.hyphenize()
            client.meta.events.register(f"before-call.{service}", self._before_call, unique_id=f"faults-{id(self)}-b")
            client.meta.events.register(f"after-call.{service}", self._after_call, unique_id=f"faults-{id(self)}-a")
            self._clients.append(client)
        return self

    def stop(self) -> None:
        for client in self._clients:
            service = client.meta.service_model.service_id.hyphenize()
            client.meta.events.unregister(f"before-call.{service}", unique_id=f"faults-{id(self)}-b")
            client.meta.events.unregister(f"after-call.{service}", unique_id=f"faults-{id(self)}-a")
        self._clients.clear()

    def count(self) -> None:
        """Count calls from here on, failing none."""
        self.calls.clear()
        self._fault = None
        self._lose_next_response = None

    def arm(self, fault: Fault) -> None:
        """Count calls from here on and fail the ``fault.call``-th."""
        self.count()
        self._fault = fault

    def disarm(self) -> None:
        self._fault = None
        self._lose_next_response = None

    @property
    def fired(self) -> Injected | None:
        """The last fault that fired since the injector was made."""
        return self.injected[-1] if self.injected else None

    def by_operation(self) -> Counter[str]:
        return Counter(self.calls)

    def _before_call(self, model: Any, context: Any = None, **_: Any) -> None:
        # A call that raised before its after-call (none of botocore's do) must not lose the next response.
        self._lose_next_response = None
        service = model.service_model.service_id.hyphenize()
        name = f"{service}:{model.name}"
        self.calls.append(name)
        fault = self._fault
        if fault is None:
            return
        if fault.operation is not None:
            if name != fault.operation or self.calls.count(name) != fault.call:
                return
        elif len(self.calls) != fault.call:
            return
        self._fault = None  # one failure per arming: the retry must find AWS working
        self.injected.append(Injected(call=len(self.calls), operation=name, kind=fault.kind))
        if fault.kind.after_the_call:
            self._lose_next_response = fault.kind
            return
        raise failure(fault.kind, service, model.name, _endpoint(context))

    def _after_call(self, model: Any, context: Any = None, **_: Any) -> None:
        kind, self._lose_next_response = self._lose_next_response, None
        if kind is not None:
            service = model.service_model.service_id.hyphenize()
            raise failure(kind, service, model.name, _endpoint(context))


def _endpoint(context: Any) -> str:
    if isinstance(context, dict):
        return str(context.get("client_config_endpoint", "https://aws.invalid"))
    return "https://aws.invalid"


@contextmanager
def injector_on_function_clients() -> Iterator[FaultInjector]:
    """A :class:`FaultInjector` on the DynamoDB and S3 clients every function uses (made if needed).

    The clients are cached per process (``newsdesk.dal.clients``); the injector is detached when the
    block ends, so the next test's hooks start clean.
    """
    from newsdesk.dal import clients

    injector = FaultInjector().watch(clients.dynamodb_client(), clients.s3_client())
    try:
        yield injector
    finally:
        injector.stop()
