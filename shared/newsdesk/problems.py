"""Domain errors to RFC 9457 problem+json responses: the one place where that mapping happens."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response

from newsdesk.errors import NewsdeskError

PROBLEM_CONTENT_TYPE = "application/problem+json"
# Problem types are documented in docs/api.md under these anchors.
PROBLEM_BASE = "https://newsdesk.invalid/problems/"


def problem_body(
    status: int, type_slug: str, title: str, detail: str, errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + type_slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(error: NewsdeskError, headers: dict[str, str] | None = None) -> Response[str]:
    body = problem_body(
        error.status,
        error.type_slug,
        error.title,
        error.detail,
        [item.as_json() for item in error.errors],
    )
    return Response(
        status_code=error.status,
        content_type=PROBLEM_CONTENT_TYPE,
        body=json.dumps(body, ensure_ascii=False),
        headers=headers or {},
    )


def internal_error_response() -> Response[str]:
    """Our own fault: say so without leaking internals; the request id is in the logs."""
    body = problem_body(500, "internal-error", "Internal error", "Newsdesk failed; the request can be retried.")
    return Response(status_code=500, content_type=PROBLEM_CONTENT_TYPE, body=json.dumps(body))
