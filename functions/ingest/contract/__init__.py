"""The API contract: every request and response body as a pydantic model (``bodies``), the routes with
their statuses, headers and security (``routes``), and the OpenAPI 3.1 document built from both
(``document``).

The document is generated once, at development time, and committed as ``ingest/openapi.json``; the
handler serves that file and imports none of this (nor pydantic). Regenerate it with
``python -m ingest.contract`` (``make openapi``); a test fails while the committed file is stale, and
tests check every response the handler and HTTP suites see against it.
"""
