"""Watching SDK calls from outside the code under test: botocore event hooks on every client.

The functions create their clients themselves (lazily, wherever their data-access code lives), so
the bench cannot hand them instrumented clients. Instead :func:`watch_clients` wraps
``botocore.session.Session.create_client`` for a while: every client created meanwhile gets the
hooks of the active :class:`SdkLog`. What is recorded:

- ``provide-client-params``: the operation and the parameters as the caller passed them (what a
  replay needs);
- ``before-call``: the request as serialized for the wire (DynamoDB attribute values exactly as
  sent, whatever layer built them), and an optional observer that looks at the table before the
  write (``bench.support.capacity``);
- ``after-call``: the HTTP status and the parsed response (items read are counted from it, as
  DynamoDB bills them).

Nothing here changes what a call does; production code keeps no counters for the bench.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import botocore.session


@dataclass
class SdkCall:
    """One API call as the bench saw it."""

    service: str
    operation: str
    params: dict[str, Any]
    wire: dict[str, Any] = field(default_factory=dict)  # JSON body as sent (JSON protocols only)
    status: int = 0
    parsed: dict[str, Any] = field(default_factory=dict)
    error_code: str = ""
    observed: Any = None  # what an observer noted before the call (see SdkLog.observer)
    http: tuple[int, dict[str, str], bytes] | None = None  # raw response, with capture_http
    origin: str = ""  # the function running when the call was made (set by the local stack)
    client: Any = field(default=None, repr=False, compare=False)  # the client the call was made on
    sequence: int = 0

    @property
    def name(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def succeeded(self) -> bool:
        return 200 <= self.status < 300

    @property
    def items_read(self) -> int:
        """DynamoDB items read as billed: scanned (not returned) by Query/Scan, found by GetItem."""
        if self.service != "dynamodb" or not self.succeeded:
            return 0
        if self.operation in ("Query", "Scan"):
            return int(self.parsed.get("ScannedCount", 0))
        if self.operation == "GetItem":
            return 1 if self.parsed.get("Item") else 0
        if self.operation == "BatchGetItem":
            return sum(len(items) for items in self.parsed.get("Responses", {}).values())
        if self.operation == "TransactGetItems":
            return sum(1 for response in self.parsed.get("Responses", []) if response.get("Item"))
        return 0


Observer = Callable[[SdkCall], Any]


class SdkLog:
    """Every call made through the clients it is attached to, in order (thread-safe)."""

    def __init__(self, *, capture_http: bool = False) -> None:
        self.capture_http = capture_http
        self.origin = ""
        self.calls: list[SdkCall] = []
        self.observer: Observer | None = None
        self.after_observer: Callable[[SdkCall], None] | None = None
        self.enabled = True
        self._lock = threading.Lock()
        self._pending = threading.local()
        self._sequence = 0
        self._attached: dict[int, dict[str, Any]] = {}

    # --- attaching ----------------------------------------------------------------------------

    def attach(self, client: Any) -> None:
        events = client.meta.events
        # Bound per client, so that each call knows the client it was made on (for replays).
        handlers = {
            "provide-client-params": functools.partial(self._on_params, client=client),
            "before-call": self._on_before_call,
            "after-call": self._on_after_call,
            "after-call-error": self._on_call_error,
        }
        for event, handler in handlers.items():
            events.register(event, handler)
        self._attached[id(client)] = handlers

    def detach(self, client: Any) -> None:
        events = client.meta.events
        for event, handler in self._attached.pop(id(client), {}).items():
            events.unregister(event, handler)

    # --- reading ------------------------------------------------------------------------------

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[SdkCall]:
        with self._lock:
            return list(self.calls[mark:])

    @contextlib.contextmanager
    def segment(self) -> Iterator[list[SdkCall]]:
        """The calls made inside the block (the list is filled when the block ends)."""
        start = self.mark()
        calls: list[SdkCall] = []
        try:
            yield calls
        finally:
            calls.extend(self.since(start))

    # --- hooks --------------------------------------------------------------------------------

    def _on_params(self, params: dict[str, Any], model: Any, client: Any = None, **_: Any) -> None:
        if not self.enabled:
            return
        call = SdkCall(model.service_model.service_name, model.name, copy.deepcopy(params), origin=self.origin)
        call.client = client
        stack = getattr(self._pending, "stack", None)
        if stack is None:
            stack = self._pending.stack = []
        stack.append(call)

    def _on_before_call(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        call = self._current(model)
        if call is None:
            return
        body = params.get("body")
        if model.service_model.protocol in ("json", "smithy-rpc-v2-cbor") and isinstance(body, bytes | str) and body:
            with contextlib.suppress(ValueError):
                call.wire = json.loads(body)
        if self.observer is not None:
            call.observed = self.observer(call)

    def _on_after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        stack = getattr(self._pending, "stack", None)
        if not stack or not self.enabled:
            return
        call = stack.pop()
        call.status = int(getattr(http_response, "status_code", 0) or 0)
        call.parsed = parsed if isinstance(parsed, dict) else {}
        call.error_code = str(call.parsed.get("Error", {}).get("Code", "")) if not call.succeeded else ""
        if self.capture_http:
            raw = getattr(http_response, "raw", None)
            # moto's raw body is a BytesIO: read it without consuming what the caller will read.
            body = raw.getvalue() if raw is not None and hasattr(raw, "getvalue") else http_response.content
            call.http = (call.status, dict(http_response.headers), bytes(body))
        if self.after_observer is not None:
            self.after_observer(call)
        with self._lock:
            self._sequence += 1
            call.sequence = self._sequence
            self.calls.append(call)

    def _on_call_error(self, exception: Exception, model: Any, **_: Any) -> None:
        """The request never got a response (e.g. a connection error): log it as status 0."""
        stack = getattr(self._pending, "stack", None)
        if not stack or not self.enabled:
            return
        call = stack.pop()
        call.error_code = type(exception).__name__
        with self._lock:
            self._sequence += 1
            call.sequence = self._sequence
            self.calls.append(call)

    def _current(self, model: Any) -> SdkCall | None:
        stack = getattr(self._pending, "stack", None)
        if not stack or not self.enabled:
            return None
        call: SdkCall = stack[-1]
        return call if call.operation == model.name else None


def count_by_name(calls: list[SdkCall]) -> Counter[str]:
    return Counter(call.name for call in calls)


def items_read(calls: list[SdkCall]) -> int:
    return sum(call.items_read for call in calls)


def items_written(calls: list[SdkCall]) -> int:
    """DynamoDB items written (or attempted) by the calls, from the requests as sent."""
    total = 0
    for call in calls:
        if call.service != "dynamodb":
            continue
        if call.operation in ("PutItem", "UpdateItem", "DeleteItem"):
            total += 1
        elif call.operation == "TransactWriteItems":
            total += len(call.wire.get("TransactItems", []))
        elif call.operation == "BatchWriteItem":
            total += sum(len(requests) for requests in call.wire.get("RequestItems", {}).values())
    return total


# --------------------------------------------------------------------------------------------------
# Every client created while watching gets the hooks
# --------------------------------------------------------------------------------------------------

_ORIGINAL_CREATE_CLIENT = botocore.session.Session.create_client


@contextlib.contextmanager
def on_new_clients(attach: Callable[[Any], None], detach: Callable[[Any], None]) -> Iterator[list[Any]]:
    """Call ``attach`` on every botocore client created inside the block (``detach`` on leaving it);
    yields those clients. Clients created before the block are not seen."""
    created: list[Any] = []
    previous = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = previous(self, *args, **kwargs)
        attach(client)
        created.append(client)
        return client

    botocore.session.Session.create_client = create_client  # type: ignore[method-assign]
    try:
        yield created
    finally:
        botocore.session.Session.create_client = previous  # type: ignore[method-assign]
        for client in created:
            detach(client)


@contextlib.contextmanager
def watch_clients(log: SdkLog) -> Iterator[list[Any]]:
    """Attach ``log`` to every botocore client created inside the block; yields those clients.

    Clients created before the block are not watched: start watching before the code under test
    creates its clients (the harness clears the functions' cached clients on entry for this).
    """
    with on_new_clients(log.attach, log.detach) as created:
        yield created


def unwatched_client(service: str, **kwargs: Any) -> Any:
    """A client that no watcher sees (the bench's own reads of the table, setup writes)."""
    import boto3

    return _ORIGINAL_CREATE_CLIENT(boto3.Session()._session, service, **kwargs)
