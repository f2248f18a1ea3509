"""A local stand-in for the API Gateway HTTP API of template.yaml, and the functions behind it.

``LocalGateway`` serves the routes that ``http_routes(template)`` lists on loopback, turns each
HTTP request into the payload 2.0 event API Gateway would send, runs the route's Lambda
authorizer and then the route's handler in this process, and turns the handler's proxy result
back into an HTTP response. Where API Gateway answers on its own (no route, payload too large,
a route over its throttle from the template's stage settings, authorizer denied, function crashed)
it answers the way API Gateway does, except that an unknown
route gets the same problem+json 404 the app itself gives, so partners see one error format.

``LocalFunctions`` is the "Lambda service" of the local stack: it imports handlers by their
dotted name, gives them a context object, and runs invocations of one function concurrently
(one at a time where the handler's module keeps an invocation's state: newsdesk_ops.invocation). The
gateway uses it, and so can background workers (stream pollers, timers) of the local stack.

Nothing here talks to AWS; the handlers do, through the environment the local stack sets.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

from newsdesk.errors import NotFound, PayloadTooLarge
from newsdesk.problems import PROBLEM_CONTENT_TYPE, problem_body
from newsdesk_ops.invocation import FunctionState, keeps_invocation_state, separate_log_contexts
from newsdesk_ops.loopback import LoopbackServer
from newsdesk_ops.template import (
    FUNCTION_TYPE,
    HTTP_API_TYPE,
    LOCAL_ACCOUNT_ID,
    HttpRoute,
    RouteThrottles,
    Template,
    Throttle,
    authorizer_handler,
    cors_configuration,
    http_routes,
    route_throttles,
)

log = logging.getLogger(__name__)

# API Gateway's own limit on a request payload (HTTP APIs); the app enforces its smaller limit.
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
# A synchronous Lambda invocation takes at most 6 MB of event (the body, base64-encoded if binary,
# with headers and request context): a larger request never reaches the function.
LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024
# An HTTP API waits at most this long for its integration, then answers 503 itself.
INTEGRATION_TIMEOUT_SECONDS = 30.0
# HTTP API quota "Total combined size of request line and header values": 10240 bytes, not adjustable.
MAX_REQUEST_LINE_AND_HEADER_VALUES_BYTES = 10240
# A chunk-size line is hexadecimal digits only (RFC 9112 7.1); int(x, 16) also takes "-1", "+a",
# "0x10" and "1_0", and a negative size made rfile.read(-1) read to the end of the stream.
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]+")
LOCAL_API_ID = "local"
STAGE = "$default"
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_SECONDS = 3
# Media types API Gateway hands to Lambda as text; every other body arrives base64-encoded
# (form posts included), so handlers have to cope with isBase64Encoded either way.
_TEXT_MEDIA_TYPES = re.compile(
    r"^(text/[^;]+|application/(json|xml|javascript|[^;]+\+json|[^;]+\+xml))$", re.IGNORECASE
)
# Response headers the HTTP server sets itself.
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"}


# --------------------------------------------------------------------------------------------------
# Functions: import, context, one invocation at a time
# --------------------------------------------------------------------------------------------------


@dataclass
class LocalLambdaContext:
    """What handlers (and Powertools) read from the Lambda context object."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    deadline: float
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class LocalFunction:
    """One AWS::Serverless::Function of the template, as the local stack runs it."""

    logical_id: str
    handler: str
    function_name: str
    memory_mb: int
    timeout_seconds: int
    # Real Lambda gives each execution environment one event at a time. Locally every function
    # lives in one process: a function whose handler module keeps the current event or batch in
    # module state (Powertools' resolver: app.current_event; a batch processor) takes this lock, so
    # two invocations never share that state; every other function runs its invocations
    # concurrently, as Lambda scales out (newsdesk_ops.invocation). Log keys are per invocation.
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)
    log_state: FunctionState = field(default_factory=FunctionState, compare=False, repr=False)


class LocalFunctions:
    """The template's functions, invocable in this process by logical id or handler name.

    Handlers are imported on first use, so the local stack can set the functions' environment
    first (the functions read their settings when first called, never at import).
    """

    def __init__(self, template: Template, *, stack_name: str, region: str) -> None:
        self._region = region
        self._functions = {
            logical_id: _local_function(template, logical_id, resource, stack_name)
            for logical_id, resource in (template.get("Resources") or {}).items()
            if resource.get("Type") == FUNCTION_TYPE
        }
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        # Handlers whose module keeps one invocation's state: one invocation at a time.
        self._one_at_a_time: set[str] = set()
        self._import_lock = threading.Lock()
        separate_log_contexts()

    @property
    def functions(self) -> dict[str, LocalFunction]:
        return dict(self._functions)

    def by_handler(self, handler: str) -> LocalFunction:
        for function in self._functions.values():
            if function.handler == handler:
                return function
        raise KeyError(f"no function of the template has handler {handler!r}")

    def invoke(self, function_logical_id: str, event: Any, *, caller_timeout: float | None = None) -> Any:
        """Run the function's handler with ``event``, as one Lambda invocation; exceptions propagate.

        As Lambda, the invocation ends at the function's Timeout (FunctionTimedOut, "Task timed
        out"); ``caller_timeout`` is how long the caller waits (API Gateway: 30 s), InvocationAbandoned
        after that. The handler runs on a thread of its own, which Python cannot stop: it runs on
        unseen, and holds the function's lock (if it takes one) until it returns; a caller with a
        ``caller_timeout`` waits for that lock no longer than its timeout (InvocationAbandoned).
        """
        function = self._functions[function_logical_id]
        handler = self._handler(function.handler)
        context = LocalLambdaContext(
            function_name=function.function_name,
            memory_limit_in_mb=function.memory_mb,
            invoked_function_arn=(
                f"arn:aws:lambda:{self._region}:{LOCAL_ACCOUNT_ID}:function:{function.function_name}"
            ),
            aws_request_id=str(uuid.uuid4()),
            deadline=time.monotonic() + function.timeout_seconds,
            log_group_name=f"/aws/lambda/{function.function_name}",
        )
        exclusive = function.handler in self._one_at_a_time
        waiting_since = time.monotonic()
        # The caller's thread takes the lock (with the caller's bound) and the invocation's thread
        # releases it (a Lock may be released by any thread). An invocation past its Timeout keeps
        # running, holding the lock; without a bound the next request waited for it forever, where
        # API Gateway answers 503 at its integration timeout. An abandoned request never runs later.
        if exclusive and not function.lock.acquire(timeout=-1 if caller_timeout is None else caller_timeout):
            raise InvocationAbandoned(
                f"{function.function_name}: no answer within {caller_timeout:g} s (a previous invocation still runs)"
            )
        # The clock starts when the invocation does, not while it waited for the lock.
        context.deadline = time.monotonic() + function.timeout_seconds
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                with function.log_state.invocation():
                    outcome["result"] = handler(event, context)
            except BaseException as error:  # handed to the caller's thread as is
                outcome["error"] = error
            finally:
                if exclusive:
                    function.lock.release()

        thread = threading.Thread(target=run, name=f"invoke-{function.logical_id}", daemon=True)
        try:
            thread.start()
        except BaseException:
            if exclusive:
                function.lock.release()
            raise
        limit = float(function.timeout_seconds)
        caller_gives_up_first = False
        if caller_timeout is not None:
            # The wait for the lock counts against the caller's timeout (API Gateway's 30 s is the whole wait).
            caller_left = caller_timeout - (time.monotonic() - waiting_since)
            if caller_left < limit:
                limit, caller_gives_up_first = max(0.0, caller_left), True
        thread.join(limit)
        if thread.is_alive():
            if caller_gives_up_first:
                raise InvocationAbandoned(f"{function.function_name}: no answer within {caller_timeout:g} s")
            raise FunctionTimedOut(
                f"{function.function_name} {context.aws_request_id}: Task timed out after "
                f"{function.timeout_seconds} seconds"
            )
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("result")

    def import_handlers(self, function_logical_ids: list[str]) -> None:
        """Import these functions' handlers now (a warm start), not on their first invocation."""
        for logical_id in function_logical_ids:
            self._handler(self._functions[logical_id].handler)

    def _handler(self, dotted_name: str) -> Callable[[Any, Any], Any]:
        with self._import_lock:
            if dotted_name not in self._handlers:
                module_name, _, attribute = dotted_name.rpartition(".")
                module = importlib.import_module(module_name)
                self._handlers[dotted_name] = getattr(module, attribute)
                if keeps_invocation_state(module):
                    self._one_at_a_time.add(dotted_name)
            return self._handlers[dotted_name]


class FunctionTimedOut(Exception):
    """The function ran past its Timeout: Lambda ends the invocation with an error."""


class InvocationAbandoned(Exception):
    """The caller stopped waiting before the function's Timeout (API Gateway's integration timeout)."""


def _local_function(template: Template, logical_id: str, resource: dict[str, Any], stack_name: str) -> LocalFunction:
    properties = resource.get("Properties") or {}
    defaults = (template.get("Globals") or {}).get("Function") or {}

    def setting(name: str, fallback: Any) -> Any:
        return properties.get(name, defaults.get(name, fallback))

    handler = setting("Handler", None)
    if not isinstance(handler, str):
        raise ValueError(f"{logical_id} has no Handler")
    return LocalFunction(
        logical_id=logical_id,
        handler=handler,
        function_name=f"{stack_name}-{logical_id}",
        memory_mb=int(setting("MemorySize", DEFAULT_MEMORY_MB)),
        timeout_seconds=int(setting("Timeout", DEFAULT_TIMEOUT_SECONDS)),
    )


# --------------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str] | None  # None: the $default catch-all
    parameter_names: tuple[str, ...]

    @property
    def route_key(self) -> str:
        return "$default" if self.pattern is None else f"{self.route.method} {self.route.path}"

    def specificity(self) -> tuple[int, int, int, int]:
        """Sort key: API Gateway prefers literal paths, then {param}, then {greedy+}, then ANY."""
        if self.pattern is None:
            return (1, 0, 0, 0)
        segments = self.route.path.strip("/").split("/")
        literal = sum(1 for segment in segments if not segment.startswith("{"))
        greedy = int(any(segment.endswith("+}") for segment in segments))
        return (0, greedy, -literal, int(self.route.method == "ANY"))


def _compile(route: HttpRoute) -> _CompiledRoute:
    if route.path == "$default":
        return _CompiledRoute(route, None, ())
    names: list[str] = []
    parts: list[str] = []
    for segment in route.path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("+}"):
            names.append(segment[1:-2])
            parts.append("(.+)")
        elif segment.startswith("{") and segment.endswith("}"):
            names.append(segment[1:-1])
            parts.append("([^/]+)")
        else:
            parts.append(re.escape(segment))
    return _CompiledRoute(route, re.compile("/" + "/".join(parts)), tuple(names))


@dataclass(frozen=True)
class _Match:
    compiled: _CompiledRoute
    path_parameters: dict[str, str]


class _RouteTable:
    def __init__(self, routes: Iterable[HttpRoute]) -> None:
        self._routes = sorted((_compile(route) for route in routes), key=_CompiledRoute.specificity)

    @property
    def compiled(self) -> list[_CompiledRoute]:
        return list(self._routes)

    def match(self, method: str, path: str) -> _Match | None:
        for compiled in self._routes:
            if compiled.route.method not in (method, "ANY"):
                continue
            if compiled.pattern is None:
                return _Match(compiled, {})
            found = compiled.pattern.fullmatch(path)
            if found:
                values = (unquote(value) for value in found.groups())
                return _Match(compiled, dict(zip(compiled.parameter_names, values, strict=True)))
        return None


class TokenBucket:
    """API Gateway's throttle of one route: ``burst`` requests at once, refilled at ``rate`` per second."""

    def __init__(self, throttle: Throttle, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = throttle.rate
        self._capacity = float(throttle.burst)
        self._tokens = self._capacity
        self._clock = clock
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Use one token; False when none is left (the request is throttled)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
            self._updated = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


# --------------------------------------------------------------------------------------------------
# Events
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GatewayRequest:
    """An HTTP request as it reached the gateway."""

    method: str
    target: str  # path and query, as sent
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    host: str
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def raw_path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def raw_query(self) -> str:
        return self.target.partition("?")[2]


def _joined_headers(request: GatewayRequest) -> dict[str, str]:
    """Lower-cased names, repeated headers joined with "," (payload 2.0); cookies go elsewhere."""
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-forwarded-port", request.host.rpartition(":")[2] or "80")
    trace_time = format(int(request.received_at.timestamp()), "x")
    headers.setdefault("x-amzn-trace-id", f"Root=1-{trace_time}-{uuid.uuid4().hex[:24]}")
    return headers


def _cookies(request: GatewayRequest) -> list[str]:
    return [
        cookie.strip()
        for name, value in request.headers
        if name.lower() == "cookie"
        for cookie in value.split(";")
        if cookie.strip()
    ]


def _query_parameters(raw_query: str) -> dict[str, str]:
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _request_context(request: GatewayRequest, route_key: str, headers: Mapping[str, str]) -> dict[str, Any]:
    received = request.received_at
    return {
        "accountId": LOCAL_ACCOUNT_ID,
        "apiId": LOCAL_API_ID,
        "domainName": request.host,
        "domainPrefix": request.host.partition(".")[0].partition(":")[0],
        "http": {
            "method": request.method,
            "path": unquote(request.raw_path),
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request.request_id,
        "routeKey": route_key,
        "stage": STAGE,
        "time": received.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(received.timestamp() * 1000),
    }


def _is_text(headers: Mapping[str, str]) -> bool:
    media_type = headers.get("content-type", "").partition(";")[0].strip()
    return bool(_TEXT_MEDIA_TYPES.match(media_type))


def build_http_event(request: GatewayRequest, match: _Match) -> dict[str, Any]:
    """The payload 2.0 event API Gateway sends to a Lambda proxy integration."""
    headers = _joined_headers(request)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.compiled.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
        "headers": headers,
        "requestContext": _request_context(request, match.compiled.route_key, headers),
        "isBase64Encoded": False,
    }
    if cookies := _cookies(request):
        event["cookies"] = cookies
    if query := _query_parameters(request.raw_query):
        event["queryStringParameters"] = query
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    if request.body:
        text = _as_text(request.body) if _is_text(headers) else None
        if text is None:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
    return event


def _as_text(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def build_authorizer_event(
    http_event: Mapping[str, Any], identity_headers: Iterable[str], *, region: str
) -> dict[str, Any]:
    """The payload 2.0 REQUEST authorizer event for a request (no body, like API Gateway)."""
    context = http_event["requestContext"]
    headers: Mapping[str, str] = http_event["headers"]
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": (
            f"arn:aws:execute-api:{region}:{context['accountId']}:{context['apiId']}"
            f"/{context['stage']}/{context['http']['method']}{http_event['rawPath']}"
        ),
        "identitySource": [headers[name.lower()] for name in identity_headers if name.lower() in headers],
        "routeKey": http_event["routeKey"],
        "rawPath": http_event["rawPath"],
        "rawQueryString": http_event["rawQueryString"],
        "headers": dict(headers),
        "requestContext": dict(context),
    }
    for optional in ("cookies", "queryStringParameters", "pathParameters"):
        if optional in http_event:
            event[optional] = http_event[optional]
    return event


# --------------------------------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------------------------------


@dataclass
class GatewayResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _json_response(status: int, body: Mapping[str, Any], content_type: str = "application/json") -> GatewayResponse:
    return GatewayResponse(status, [("Content-Type", content_type)], json.dumps(body).encode("utf-8"))


def _gateway_message(status: HTTPStatus) -> GatewayResponse:
    """API Gateway's own error bodies: {"message": "<reason phrase>"}."""
    return _json_response(status.value, {"message": status.phrase})


def _event_bytes(event: Mapping[str, Any]) -> int:
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _payload_too_large() -> GatewayResponse:
    """An event over Lambda's synchronous limit: refused in the API's own format (as the app's 413)."""
    detail = f"The request is larger than a function can be invoked with ({LAMBDA_PAYLOAD_LIMIT_BYTES} bytes of event)."
    body = problem_body(PayloadTooLarge.status, PayloadTooLarge.type_slug, PayloadTooLarge.title, detail)
    return _json_response(PayloadTooLarge.status, body, PROBLEM_CONTENT_TYPE)


def _no_route(request: GatewayRequest) -> GatewayResponse:
    detail = f"No route for {request.method} {unquote(request.raw_path)}."
    body = problem_body(NotFound.status, NotFound.type_slug, NotFound.title, detail)
    return _json_response(NotFound.status, body, PROBLEM_CONTENT_TYPE)


def proxy_result_to_response(result: Any) -> GatewayResponse:
    """Interpret a handler's return value the way a payload 2.0 integration does.

    A dict with ``statusCode`` is a proxy result; anything else is the body of a 200 JSON
    response (API Gateway "infers" the format). A malformed proxy result raises ValueError.
    """
    if not (isinstance(result, dict) and "statusCode" in result):
        inferred = result if isinstance(result, str) else json.dumps(result)
        return GatewayResponse(HTTPStatus.OK, [("Content-Type", "application/json")], inferred.encode("utf-8"))
    status = result["statusCode"]
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"statusCode {status!r} is not an HTTP status")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in _HOP_BY_HOP:
            headers.append((name, str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if name.lower() not in _HOP_BY_HOP:
            headers.extend((name, str(value)) for value in values)
    headers.extend(("Set-Cookie", cookie) for cookie in result.get("cookies") or [])
    body = result.get("body") or ""
    if not isinstance(body, str):
        raise ValueError("body must be a string")
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    return GatewayResponse(status, headers, raw)


# --------------------------------------------------------------------------------------------------
# The gateway
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AuthorizerConfig:
    name: str
    function_logical_id: str
    identity_headers: tuple[str, ...]


class Invoke(Protocol):
    """Where the gateway's functions run: ``LocalFunctions.invoke`` (this process) or
    ``FunctionProcesses.invoke`` (worker processes, newsdesk_ops.function_processes)."""

    def __call__(self, function_logical_id: str, event: Any, *, caller_timeout: float | None = None) -> Any: ...


class LocalGateway:
    """The HTTP API of the template, served on loopback; handlers run in this process, or where
    ``invoke`` runs them.

    ``LocalGateway(template).start()`` returns the base URL ("http://127.0.0.1:PORT"); ``stop()``
    shuts it down. Routes, authorizers and functions all come from the template, so routes added
    there are served here without changes.
    """

    def __init__(
        self,
        template: Template,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        functions: LocalFunctions | None = None,
        invoke: Invoke | None = None,
        stack_name: str = "newsdesk-local",
        region: str = "eu-west-1",
        parameter_overrides: dict[str, str] | None = None,
        throttling: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``invoke`` runs the routes' functions and authorizers (default: ``functions.invoke``, in
        this process); ``throttling=False`` leaves out the template's route throttles (benchmarks
        that measure the functions, not the limits); ``clock`` drives the throttles' token buckets."""
        self._functions = functions or LocalFunctions(template, stack_name=stack_name, region=region)
        self._invoke: Invoke = invoke or self._functions.invoke
        self._cors = cors_configuration(template, parameter_overrides)
        self._routes = _RouteTable(http_routes(template))
        throttles = route_throttles(template, parameter_overrides) if throttling else RouteThrottles()
        # One bucket per route, as API Gateway keeps them (DefaultRouteSettings is per route, not shared).
        self._buckets = {
            route_key: TokenBucket(throttle, clock)
            for route_key in {_compile(route).route_key for route in http_routes(template)}
            if (throttle := throttles.for_route(route_key)) is not None
        }
        self._authorizers = {
            name: self._authorizer_config(template, name)
            for name in {route.authorizer for route in http_routes(template) if route.authorizer}
        }
        self._region = region
        self._address = (host, port)
        self._server = LoopbackServer("local gateway")

    def _authorizer_config(self, template: Template, name: str) -> _AuthorizerConfig:
        function = self._functions.by_handler(authorizer_handler(template, name))
        identity: dict[str, Any] = {}
        for resource in (template.get("Resources") or {}).values():
            if resource.get("Type") == HTTP_API_TYPE:
                authorizers = ((resource.get("Properties") or {}).get("Auth") or {}).get("Authorizers") or {}
                identity = (authorizers.get(name) or {}).get("Identity") or identity
        return _AuthorizerConfig(name, function.logical_id, tuple(identity.get("Headers") or ()))

    @property
    def function_logical_ids(self) -> list[str]:
        """The functions the routes and their authorizers invoke."""
        routed = {compiled.route.function_logical_id for compiled in self._routes.compiled}
        return sorted(routed | {authorizer.function_logical_id for authorizer in self._authorizers.values()})

    @property
    def url(self) -> str:
        host, port = self._server.address
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Bind, serve in a background thread, and return the base URL (ready to take requests)."""
        self._server.start(self._address, _make_request_handler(self))
        return self.url

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> LocalGateway:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # request handling

    def handle(self, request: GatewayRequest) -> GatewayResponse:
        """Route, authorize and invoke, answering like API Gateway where it would answer itself."""
        headers = {name.lower(): value for name, value in request.headers}
        origin = headers.get("origin", "")
        if self._cors is not None and request.method == "OPTIONS" and "access-control-request-method" in headers:
            response = self._preflight(origin)
        else:
            response = self._route(request)
            if self._cors is not None and origin and self._cors.allows(origin):
                # API Gateway puts its own CORS headers on every response to an allowed origin.
                response.headers = [(k, v) for k, v in response.headers if not k.lower().startswith("access-control-")]
                response.headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        # API Gateway names its request id in every response; it matches requestContext.requestId.
        response.headers.append(("Apigw-Requestid", request.request_id))
        return response

    def _preflight(self, origin: str) -> GatewayResponse:
        """A CORS preflight, answered by the gateway without calling any function."""
        response = GatewayResponse(HTTPStatus.NO_CONTENT.value, [], b"")
        if self._cors is not None and origin and self._cors.allows(origin):
            response.headers += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Methods", ",".join(self._cors.allow_methods)),
                ("Access-Control-Allow-Headers", ",".join(self._cors.allow_headers)),
                ("Access-Control-Max-Age", str(self._cors.max_age)),
                ("Vary", "Origin"),
            ]
        return response

    def _route(self, request: GatewayRequest) -> GatewayResponse:
        match = self._routes.match(request.method, request.raw_path)
        if match is None:
            return _no_route(request)
        bucket = self._buckets.get(match.compiled.route_key)
        if bucket is not None and not bucket.take():
            # API Gateway throttles before the authorizer and the function: its own 429 message.
            return _gateway_message(HTTPStatus.TOO_MANY_REQUESTS)
        event = build_http_event(request, match)
        if len(request.body) > LAMBDA_PAYLOAD_LIMIT_BYTES // 8 and _event_bytes(event) > LAMBDA_PAYLOAD_LIMIT_BYTES:
            # (A smaller body cannot make the event that large: JSON writes a character in 6 bytes at most.)
            return _payload_too_large()
        authorizer_name = match.compiled.route.authorizer
        if authorizer_name:
            denied = self._authorize(event, self._authorizers[authorizer_name])
            if denied is not None:
                return denied
        try:
            result = self._invoke(
                match.compiled.route.function_logical_id, event, caller_timeout=INTEGRATION_TIMEOUT_SECONDS
            )
            return proxy_result_to_response(result)
        except InvocationAbandoned as abandoned:
            log.error("%s", abandoned)
            return _gateway_message(HTTPStatus.SERVICE_UNAVAILABLE)
        except FunctionTimedOut as timed_out:
            # Lambda reports the timeout as a function error; API Gateway answers it with its 500.
            log.error("%s", timed_out)
            return _gateway_message(HTTPStatus.INTERNAL_SERVER_ERROR)
        except Exception:
            log.error("%s failed:\n%s", match.compiled.route.handler, traceback.format_exc())
            return _gateway_message(HTTPStatus.INTERNAL_SERVER_ERROR)

    def _authorize(self, event: dict[str, Any], authorizer: _AuthorizerConfig) -> GatewayResponse | None:
        """Run the Lambda authorizer; None lets the request through (its context added to the event)."""
        headers = event["headers"]
        if authorizer.identity_headers and not all(name.lower() in headers for name in authorizer.identity_headers):
            # With identity sources, API Gateway refuses a request that lacks one before any code runs.
            return _gateway_message(HTTPStatus.UNAUTHORIZED)
        authorizer_event = build_authorizer_event(event, authorizer.identity_headers, region=self._region)
        try:
            result = self._invoke(authorizer.function_logical_id, authorizer_event)
            authorized, context = _authorizer_decision(result)
        except Exception:
            log.error("authorizer %s failed:\n%s", authorizer.name, traceback.format_exc())
            return _gateway_message(HTTPStatus.INTERNAL_SERVER_ERROR)
        if not authorized:
            return _gateway_message(HTTPStatus.FORBIDDEN)
        event["requestContext"]["authorizer"] = {"lambda": context}
        return None


def _authorizer_decision(result: Any) -> tuple[bool, dict[str, Any]]:
    """(authorized, context) from a simple response, or from an IAM policy response."""
    if not isinstance(result, dict):
        raise ValueError(f"authorizer returned {type(result).__name__}, not an object")
    context = result.get("context") or {}
    if "isAuthorized" in result:
        return result["isAuthorized"] is True, context
    statements = (result.get("policyDocument") or {}).get("Statement") or []
    effects = {str(statement.get("Effect", "")).lower() for statement in statements}
    return ("allow" in effects and "deny" not in effects), context


def _make_request_handler(gateway: LocalGateway) -> type[BaseHTTPRequestHandler]:
    class GatewayRequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Idle keep-alive connections are dropped after this many seconds.
        timeout = 60

        def do_request(self) -> None:
            started = time.perf_counter()
            response = self._respond()
            self._send(response)
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", self.command, self.path, response.status, elapsed_ms)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_request

        def __getattr__(self, name: str) -> Any:
            # Any other method (QUERY, TRACE, PROPFIND...) goes through the routing too, so that it
            # gets the 404 API Gateway gives a method no route takes instead of http.server's 501.
            if name.startswith("do_"):
                return self.do_request
            raise AttributeError(name)

        def _respond(self) -> GatewayResponse:
            if self._request_line_and_header_values_bytes() > MAX_REQUEST_LINE_AND_HEADER_VALUES_BYTES:
                # API Gateway refuses these before any route, authorizer or function. The body stays
                # unread, so this connection cannot carry another request.
                self.close_connection = True
                return _gateway_message(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)
            body = self._read_body()
            if isinstance(body, GatewayResponse):
                return body
            request = GatewayRequest(
                method=self.command,
                target=self.path,
                protocol=self.request_version,
                headers=list(self.headers.items()),
                body=body,
                source_ip=self.client_address[0],
                host=self.headers.get("host") or gateway.url.removeprefix("http://"),
            )
            return gateway.handle(request)

        def _request_line_and_header_values_bytes(self) -> int:
            # As the quota counts: the request line and the header values (http.server decodes the
            # head as Latin-1, so a str's length is its length in bytes on the wire).
            return len(self.requestline) + sum(len(value) for value in self.headers.values())

        def _read_body(self) -> bytes | GatewayResponse:
            if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                return self._read_chunked()
            length_header = self.headers.get("content-length")
            if length_header is None:
                return b""
            # isascii: str.isdigit also takes "²" and other digits int() refuses (a traceback, no answer).
            if not (length_header.strip().isascii() and length_header.strip().isdigit()):
                self.close_connection = True
                return _gateway_message(HTTPStatus.BAD_REQUEST)
            length = int(length_header)
            if length > MAX_PAYLOAD_BYTES:
                # The body stays unread, so this connection cannot carry another request.
                self.close_connection = True
                return _gateway_message(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return self.rfile.read(length)

        def _read_chunked(self) -> bytes | GatewayResponse:
            # Every read is bounded: a size is checked against the payload limit before its chunk is
            # read, and the trailers count against the limit too. Anything malformed is a 400 (and
            # the rest of the stream is unread, so the connection closes).
            chunks: list[bytes] = []
            total = 0
            while True:
                size_line = self.rfile.readline(1024)
                size_text = size_line.split(b";", 1)[0].strip(b" \t\r\n")
                if not size_line.endswith(b"\n") or not _CHUNK_SIZE.fullmatch(size_text):
                    self.close_connection = True
                    return _gateway_message(HTTPStatus.BAD_REQUEST)
                size = int(size_text, 16)
                total += size
                if total > MAX_PAYLOAD_BYTES:
                    self.close_connection = True
                    return _gateway_message(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                if size == 0:
                    return self._skip_trailers(total, b"".join(chunks))
                chunk = self.rfile.read(size)
                if len(chunk) < size or self.rfile.readline(3).strip(b"\r\n"):
                    # The stream ended inside the chunk, or the chunk is longer than its size.
                    self.close_connection = True
                    return _gateway_message(HTTPStatus.BAD_REQUEST)
                chunks.append(chunk)

        def _skip_trailers(self, total: int, body: bytes) -> bytes | GatewayResponse:
            while line := self.rfile.readline(1024):
                total += len(line)
                if total > MAX_PAYLOAD_BYTES:
                    self.close_connection = True
                    return _gateway_message(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
                if not line.strip(b"\r\n"):
                    break
            return body

        def _send(self, response: GatewayResponse) -> None:
            # 204 and 304 never carry a body, whatever the handler returned.
            body = b"" if response.status in (204, 304) else response.body
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            # http.server's own refusals (a malformed request line 400, 414, 431, 505) would be its
            # HTML page; the gateway answers every refusal of its own as API Gateway does, in JSON.
            # The detail (which may quote the client's bytes) goes to the log, not the answer.
            self.log_error("code %d, message %s", code, message)
            self.close_connection = True
            if self.request_version == "HTTP/0.9":
                # A request line http.server could not read (bad syntax, bad or 2.0 version) leaves the
                # version at its HTTP/0.9 default, for which it writes a bare body: no status line.
                self.request_version = self.protocol_version
            try:
                status = HTTPStatus(code)
            except ValueError:
                status = HTTPStatus.BAD_REQUEST
            self._send(_gateway_message(status))

        def version_string(self) -> str:
            return "newsdesk-local-gateway"

        def log_message(self, format: str, *args: Any) -> None:
            # The access line is logged in do_request; the base class would print a second one.
            return

        def log_error(self, format: str, *args: Any) -> None:
            print(f"gateway: {format % args}", file=sys.stderr)

    return GatewayRequestHandler
