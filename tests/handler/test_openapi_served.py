"""GET /v1/openapi.json serves the committed document, without generating anything at run time."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from ingest.contract.document import DOCUMENT_FILE
from tests.conftest import TESTS, api_event

pytestmark = pytest.mark.handler


def test_the_handler_serves_the_committed_document(aws_env: None, lambda_context: Any) -> None:
    from ingest.app import handler

    # When the document is asked for without a key
    result = handler(api_event("GET", "/v1/openapi.json"), lambda_context)
    # Then the answer is the committed file, as JSON
    assert result["statusCode"] == 200
    assert result["headers"]["Content-Type"].startswith("application/json")
    assert result["body"] == DOCUMENT_FILE.read_text(encoding="utf-8")
    assert set(json.loads(result["body"])["paths"]) >= {"/v1/articles", "/v1/articles/{article_id}", "/v1/events"}


def test_serving_the_document_imports_neither_pydantic_nor_the_contract() -> None:
    # Given a fresh process, as a cold Lambda (no AWS call is needed to serve the document)
    event = api_event("GET", "/v1/openapi.json")
    script = textwrap.dedent(
        """
        import json, sys
        from ingest.app import handler

        class Context:
            function_name, memory_limit_in_mb, aws_request_id = "ingest", 1024, "r-1"
            invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ingest"

        result = handler(json.loads(sys.stdin.read()), Context())
        loaded = sorted(name for name in sys.modules if name.split(".")[0] == "pydantic" or "contract" in name)
        print(json.dumps({"status": result["statusCode"], "loaded": loaded}))
        """
    )
    environment = {"AWS_DEFAULT_REGION": "eu-west-1", "POWERTOOLS_METRICS_NAMESPACE": "NewsdeskTest"}
    completed = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", script],
        cwd=TESTS.parent,
        env={**environment, "PATH": "/usr/bin:/bin"},
        input=json.dumps(event),
        capture_output=True,
        text=True,
        check=True,
    )
    # When it has answered GET /v1/openapi.json
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    # Then it served the document having imported neither pydantic nor ingest.contract
    assert outcome == {"status": 200, "loaded": []}
