"""The $default (catch-all) route never dispatches to a real route of the ingest function.

API Gateway sends a request that matches no route (an unknown path, a method no route takes, a
lower-case method: methods are case-sensitive) to $default: no authorizer, the default throttle.
Powertools upper-cases the method and would run the real handler, past the route's authorizer and
throttle. Whatever reaches the function through $default gets the 404 of an unknown route.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Stack, api_event

pytestmark = pytest.mark.handler


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/v1/events"), ("get", "/v1/openapi.json"), ("Post", "/v1/articles"), ("PATCH", "/v1/events")],
)
def test_a_request_on_the_catch_all_route_runs_no_route_handler(
    stack: Stack, lambda_context: Any, method: str, path: str
) -> None:
    from ingest.app import handler

    # Given a request that reached the function through the $default route (no authorizer ran)
    event = api_event(method, path, body="{}", headers={"content-type": "application/json"})
    event["routeKey"] = event["requestContext"]["routeKey"] = "$default"
    del event["requestContext"]["authorizer"]

    # When the ingest function handles it
    result = handler(event, lambda_context)

    # Then it is the unknown route's 404 problem, naming the request as sent, not any route's answer
    assert result["statusCode"] == 404
    headers = {k.lower(): v for k, v in result["headers"].items()}
    assert headers["content-type"].startswith("application/problem+json")
    problem = json.loads(result["body"])
    assert problem["status"] == 404
    assert problem["detail"] == f"No route for {method} {path}."


def test_the_routes_own_route_key_still_reaches_its_handler(stack: Stack, lambda_context: Any) -> None:
    from ingest.app import handler

    # Given the same request on its own route (after API Gateway's authorizer and throttle)
    event = api_event("GET", "/v1/openapi.json")

    # Then its handler answers
    assert handler(event, lambda_context)["statusCode"] == 200
