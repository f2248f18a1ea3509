"""A fake HTTP transport for botocore: a ``before-send`` hook that answers with canned responses.

Everything on the client side still runs (parameter validation, serialization, endpoint
resolution, signing, response parsing, retries' bookkeeping); only the network and the server are
replaced, by an ``AWSResponse`` built from a canned status, headers and body. No moto, no server:
what remains is the cost the SDK has on the client, which is what a function pays in Lambda
besides the network round trip.

Answers come from a *script* when one is given: responses recorded from moto for the same event,
replayed per (service, operation) in the order they were recorded (``record_script``). Anything
not in the script gets a neutral success: ``{}`` for JSON protocols (a miss for GetItem, an
accepted write), an empty 200 for S3.

The same hook is installed in child processes by ``child_prelude()``; it is deliberately tiny and
the same for every variant, so that it costs every variant alike.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
from collections import defaultdict, deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse

from bench.support.sdk import SdkCall, on_new_clients

Script = dict[str, list[list[Any]]]  # "dynamodb:GetItem" -> [[status, headers, body base64], ...]


class _RawBody(io.BytesIO):
    def stream(self, **_: Any) -> Iterator[bytes]:
        contents = self.read()
        while contents:
            yield contents
            contents = self.read()


def _neutral(service: str) -> tuple[int, dict[str, str], bytes]:
    if service == "s3":
        return 200, {"ETag": '"d41d8cd98f00b204e9800998ecf8427e"', "x-amz-request-id": "BENCH"}, b""
    return 200, {"x-amzn-RequestId": "BENCH", "Content-Type": "application/x-amz-json-1.0"}, b"{}"


class FakeTransport:
    """The ``before-send`` handler; ``answered`` and ``neutral`` count how requests were served."""

    def __init__(self, script: Script | None = None) -> None:
        self._script: dict[str, deque[list[Any]]] = defaultdict(deque)
        for name, responses in (script or {}).items():
            self._script[name].extend(responses)
        self.answered = 0
        self.neutral = 0

    def __call__(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse:
        service, operation = event_name.split(".", 2)[1:]
        queue = self._script.get(f"{service}:{operation}")
        if queue:
            status, headers, encoded = queue.popleft()
            raw = base64.b64decode(encoded)
            self.answered += 1
        else:
            status, headers, raw = _neutral(service)
            self.neutral += 1
        return AWSResponse(request.url, status, headers, _RawBody(raw))

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-send", self)

    def detach(self, client: Any) -> None:
        client.meta.events.unregister("before-send", self)


@contextlib.contextmanager
def fake_aws(transport: FakeTransport) -> Iterator[list[Any]]:
    """Every botocore client created inside the block talks to ``transport``; yields the clients."""
    with on_new_clients(transport.attach, transport.detach) as created:
        yield created


def record_script(calls: list[SdkCall]) -> Script:
    """The responses of recorded calls (``SdkLog(capture_http=True)``), as a script to replay."""
    script: Script = defaultdict(list)
    for call in calls:
        if call.http is None:
            continue
        status, headers, body = call.http
        script[call.name].append([status, headers, base64.b64encode(body).decode("ascii")])
    return dict(script)


def write_script(script: Script, path: Path) -> None:
    path.write_text(json.dumps(script), encoding="utf-8")


# Installed first in every child of the cold-start bench. Clients are created after it, by boto3
# or by the code under test, and each gets the before-send hook. Kept to what boto3 imports anyway
# (botocore.session, botocore.awsrequest) plus json, base64 and io.
CHILD_PRELUDE = """\
import base64 as _b64, io as _io, json as _json, os as _os
import botocore.session as _session
from botocore.awsrequest import AWSResponse as _Response
with open(_os.environ["BENCH_TRANSPORT_SCRIPT"], encoding="utf-8") as _file:
    _SCRIPT = {_name: list(_answers) for _name, _answers in _json.load(_file).items()}
_SERVED = {"script": 0, "neutral": 0, "clients": []}
class _Raw(_io.BytesIO):
    def stream(self, **_kwargs):
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()
def _send(request, event_name="", **_kwargs):
    _, service, operation = event_name.split(".", 2)
    answers = _SCRIPT.get(service + ":" + operation)
    if answers:
        status, headers, body = answers.pop(0)
        body = _b64.b64decode(body)
        _SERVED["script"] += 1
    elif service == "s3":
        status, headers, body = 200, {"ETag": '"d41d8cd98f00b204e9800998ecf8427e"'}, b""
        _SERVED["neutral"] += 1
    else:
        status, headers, body = 200, {"Content-Type": "application/x-amz-json-1.0"}, b"{}"
        _SERVED["neutral"] += 1
    return _Response(request.url, status, headers, _Raw(body))
_create_client = _session.Session.create_client
def _watched_create_client(self, service_name, *args, **kwargs):
    client = _create_client(self, service_name, *args, **kwargs)
    client.meta.events.register("before-send", _send)
    _SERVED["clients"].append(service_name)
    return client
_session.Session.create_client = _watched_create_client
"""

# Printed last by every child: how the transport served it (stderr, one JSON line).
CHILD_EPILOGUE = """
import sys as _sys
_sys.stderr.write("BENCH-SERVED " + _json.dumps(_SERVED) + "\\n")
"""
