"""Checks one HTTP response against the OpenAPI document the API serves (functions/ingest/openapi.json).

Given the request's method and path and the response's status, headers and body, the checker finds
the operation, insists that the status is documented, that required response headers are there and
match their schemas, that the content type is one the response documents, and validates the body with
jsonschema-rs against the schema the document gives for it (the whole document is the registry, so
every ``$ref`` resolves as a standard tool would resolve it). A method and path no route takes must
be answered as ``components/responses/NoRoute`` says (a 404 problem).

The hooks that run it for every response of the handler and HTTP suites are in tests/conftest.py
(``ingest.app.app.resolve``) and tests/http/conftest.py (``LocalApi.request``).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jsonschema_rs

DOCUMENT_FILE = Path(__file__).parents[2] / "functions" / "ingest" / "openapi.json"
# The document's identity in the registry; any absolute URI will do.
BASE_URI = "urn:newsdesk:openapi"
NO_ROUTE = "/components/responses/NoRoute"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class ContractViolation(AssertionError):
    """A response the served document does not describe."""


def escape(token: str) -> str:
    """One JSON pointer token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


class Contract:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._registry = jsonschema_rs.Registry([(BASE_URI, document)])
        self._validators: dict[str, jsonschema_rs.Validator] = {}
        # Templated paths as patterns; a path without parameters wins over one with them.
        templates = sorted(document["paths"], key=lambda template: (template.count("{"), template))
        self._paths = [(re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(t)) + "$"), t) for t in templates]

    # --- lookups ---------------------------------------------------------------------------------

    def resolve(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.lstrip("/").split("/"):
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return node

    def _follow(self, pointer: str) -> tuple[str, dict[str, Any]]:
        """The pointer and object at ``pointer``, after following a local ``$ref`` (Response, Header)."""
        node = self.resolve(pointer)
        while "$ref" in node:
            pointer = node["$ref"].removeprefix("#")
            node = self.resolve(pointer)
        return pointer, node

    def validator(self, pointer: str) -> jsonschema_rs.Validator:
        """A validator for the schema at ``pointer`` inside the document, built once."""
        if pointer not in self._validators:
            reference = BASE_URI + "#" + quote(pointer, safe="/~")
            self._validators[pointer] = jsonschema_rs.Draft202012Validator(
                {"$ref": reference}, registry=self._registry, validate_formats=True, offline=True
            )
        return self._validators[pointer]

    def operation(self, method: str, path: str) -> str | None:
        """The pointer of the operation serving ``method path``, or None when no route takes it."""
        path = urlsplit(path).path
        if method != method.upper():
            # Methods are case-sensitive (RFC 9110 9.1), as API Gateway's routes: "post" is no route's
            # method (the document's lower-case keys name the upper-case methods).
            return None
        for pattern, template in self._paths:
            if pattern.match(path):
                operation = self.document["paths"][template].get(method.lower())
                return f"/paths/{escape(template)}/{method.lower()}" if operation is not None else None
        return None

    # --- the check -------------------------------------------------------------------------------

    def violations(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes | str | None
    ) -> list[str]:
        """What is wrong with this response by the document; empty when it conforms."""
        where = f"{method} {path} -> {status}"
        raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        operation = self.operation(method, path)
        if operation is None:
            response_pointer = NO_ROUTE
            if status != 404:
                return [f"{where}: no route takes {method} {path}; the document says that is a 404 problem"]
        else:
            responses = self.resolve(operation + "/responses")
            key = str(status) if str(status) in responses else "default" if "default" in responses else None
            if key is None:
                return [f"{where}: status {status} is not documented (documented: {', '.join(responses)})"]
            response_pointer = f"{operation}/responses/{key}"
        response_pointer, response = self._follow(response_pointer)
        lower = {name.lower(): value for name, value in headers.items()}
        found = self._header_violations(where, response_pointer, response, lower)
        content = response.get("content")
        if not content:
            return found + ([f"{where}: documented without a body, got {raw[:200]!r}"] if raw else [])
        media_type = lower.get("content-type", "").split(";")[0].strip().lower()
        if media_type not in content:
            return [*found, f"{where}: content type {media_type or 'none'!r} is not one of {sorted(content)}"]
        try:
            instance = json.loads(raw)
        except ValueError:
            return [*found, f"{where}: the {media_type} body is not JSON: {raw[:200]!r}"]
        schema_pointer = f"{response_pointer}/content/{escape(media_type)}/schema"
        for error in self.validator(schema_pointer).iter_errors(instance):
            pointer = "/" + "/".join(str(part) for part in error.instance_path)
            found.append(f"{where}: body {pointer}: {error.message}")
        return found

    def _header_violations(
        self, where: str, response_pointer: str, response: dict[str, Any], headers: Mapping[str, str]
    ) -> list[str]:
        found: list[str] = []
        for name in response.get("headers", {}):
            header_pointer, header = self._follow(f"{response_pointer}/headers/{escape(name)}")
            value = headers.get(name.lower())
            if value is None:
                if header.get("required"):
                    found.append(f"{where}: required header {name} is missing")
                continue
            for error in self.validator(header_pointer + "/schema").iter_errors(value):
                found.append(f"{where}: header {name}: {error.message}")
        return found

    def check(self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes | str | None) -> None:
        """Raise ContractViolation listing everything the document does not describe."""
        found = self.violations(method, path, status, headers, body)
        if found:
            raise ContractViolation("\n".join(found))


@cache
def served_contract() -> Contract:
    """The committed document, i.e. what GET /v1/openapi.json serves."""
    return Contract(json.loads(DOCUMENT_FILE.read_text(encoding="utf-8")))


def is_cors_preflight(method: str, request_headers: Mapping[str, str]) -> bool:
    """API Gateway answers these itself from the template's CorsConfiguration; the API never sees them."""
    names = {name.lower() for name in request_headers}
    return method.upper() == "OPTIONS" and "access-control-request-method" in names


def check_lambda_result(event: Mapping[str, Any], result: Mapping[str, Any]) -> list[str]:
    """The violations of an API Gateway (payload 2.0) proxy result, for the request in ``event``."""
    method = event["requestContext"]["http"]["method"]
    path = event.get("rawPath") or event["requestContext"]["http"]["path"]
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = {**(result.get("headers") or {})}
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.setdefault(name, ",".join(values))
    return served_contract().violations(method, path, int(result["statusCode"]), headers, raw)
