"""What `make fuzz` found in the local stack's API Gateway stand-in, over real HTTP."""

from __future__ import annotations

import pytest

from tests.http.conftest import LocalApi

pytestmark = pytest.mark.http


@pytest.mark.parametrize("method", ["QUERY", "TRACE", "PROPFIND", "CONNECT"])
@pytest.mark.parametrize("path", ["/v1/articles/some-id", "/v1/openapi.json", "/v1/events"])
def test_a_method_no_route_takes_is_the_documented_404_not_a_501(local_api: LocalApi, method: str, path: str) -> None:
    # Given a method http.server has no handler for (schemathesis sends QUERY and TRACE)
    # When it reaches the local stack (LocalApi.request checks the answer against the served document)
    response = local_api.request(method, path, key=local_api.key)
    # Then it is the NoRoute 404 problem, as API Gateway answers a method no route takes, not a 501
    assert response.status == 404, response
    assert response.headers["content-type"].startswith("application/problem+json")
