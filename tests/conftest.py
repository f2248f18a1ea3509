"""Fixtures shared by every tier: fake AWS settings, the stack built from template.yaml, events."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from newsdesk.dal import clients as aws
from newsdesk.settings import get_settings
from tests.browser import screenshots as browser_screenshots
from tests.emulator import EmulatedStack

TESTS = Path(__file__).parent
EVENTS = TESTS / "events"
FIXTURES = TESTS / "fixtures"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text(encoding="utf-8"))


def load_ninjs_bytes(name: str) -> bytes:
    return (FIXTURES / "ninjs" / name).read_bytes()


def load_ninjs(name: str) -> dict[str, Any]:
    return json.loads(load_ninjs_bytes(name))


def forget_process_state() -> None:
    """Drop everything a warm Lambda process caches, as a new container would."""
    aws.reset_clients()
    get_settings.cache_clear()
    try:
        from ingest import app, authorizer, idempotency

        app.ingest_service.cache_clear()
        authorizer.partner_store.cache_clear()
        from publish import app as publish_app

        publish_app.publisher.cache_clear()
        idempotency._idempotent_run.cache_clear()
        idempotency._persistence.cache_clear()
        idempotency._config.cache_clear()
    except ImportError:  # the ingest package is importable in every checkout; keep fixtures usable alone
        pass


# What every AWS-facing test runs with: fake credentials, one region, no endpoint or profile of the
# developer's (so nothing can reach a real account), and the Powertools settings of the functions.
TEST_ENVIRONMENT = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_METRICS_NAMESPACE": "NewsdeskTest",
    "POWERTOOLS_SERVICE_NAME": "newsdesk",
    "AWS_LAMBDA_FUNCTION_NAME": "newsdesk-test-ingest",
}
STACK_NAME = "newsdesk-test"


def use_test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TEST_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_test_environment(monkeypatch)
    forget_process_state()
    yield
    forget_process_state()


@dataclass
class Stack:
    """The emulated stack: resources made from template.yaml, names as the functions see them."""

    table_name: str
    archive_bucket: str
    environment: dict[str, str]

    # One client of each per test: creating one costs milliseconds, and tests ask for them often.
    @cached_property
    def dynamodb(self) -> Any:
        return boto3.client("dynamodb")

    @cached_property
    def s3(self) -> Any:
        return boto3.client("s3")


@dataclass(frozen=True)
class _BuiltStack:
    environment: dict[str, str]
    emulator: EmulatedStack


@pytest.fixture(scope="module")
def _built_stack() -> Iterator[_BuiltStack]:
    """moto with every table and bucket of template.yaml, built once per test module.

    mock_aws stays on, and the test environment set, until the module's last test has run; the
    ``stack`` fixture empties the resources after every test.
    """
    from newsdesk_ops.template import create_resources, function_environment, load_template

    with pytest.MonkeyPatch.context() as monkeypatch, mock_aws():
        use_test_environment(monkeypatch)
        template = load_template()
        dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
        resources = create_resources(template, stack_name=STACK_NAME, dynamodb=dynamodb, s3=s3)
        emulator = EmulatedStack(dynamodb, s3, resources.tables.values(), resources.buckets.values())
        yield _BuiltStack(function_environment(template, "IngestFunction", resources), emulator)


@pytest.fixture
def stack(aws_env: None, _built_stack: _BuiltStack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stack]:
    environment = dict(_built_stack.environment)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    forget_process_state()
    yield Stack(
        table_name=environment["TABLE_NAME"],
        archive_bucket=environment["ARCHIVE_BUCKET"],
        environment=environment,
    )
    # Also after a failed test: the next one starts from the empty stack.
    _built_stack.emulator.reset()


@dataclass
class Partner:
    partner_id: str
    key: str
    context: dict[str, str]


@pytest.fixture
def make_partner(stack: Stack) -> Any:
    from newsdesk.dal.partners import PartnerStore

    def make(name: str = "Oboronka Daily", language: str = "ru", section: str = "defence-industry") -> Partner:
        partner, secret = PartnerStore(stack.table_name).add_partner(name, language, section)
        principal = PartnerStore(stack.table_name).resolve(secret)
        assert principal is not None
        return Partner(partner.partner_id, secret, principal.to_authorizer_context())

    return make


@pytest.fixture
def partner(make_partner: Any) -> Partner:
    return make_partner()


def api_event(
    method: str,
    path: str,
    *,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    authorizer: dict[str, str] | None = None,
    route: str | None = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event based on the canonical one in tests/events."""
    event = copy.deepcopy(load_event("http_api_request.json"))
    route_key = f"{method} {route or path}"
    event["routeKey"] = event["requestContext"]["routeKey"] = route_key
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = method
    event["requestContext"]["requestId"] = uuid.uuid4().hex
    event["requestContext"]["authorizer"] = {"lambda": authorizer or {"anonymous": "true"}}
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    if path_parameters:
        event["pathParameters"] = path_parameters
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    try:
        event["body"] = raw.decode("utf-8")
    except UnicodeDecodeError:
        # API Gateway passes what is not text as base64, and so do we.
        event["body"] = base64.b64encode(raw).decode("ascii")
        event["isBase64Encoded"] = True
    return event


class LambdaContextStub:
    function_name = "newsdesk-test-ingest"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:newsdesk-test-ingest"
    aws_request_id = "00000000-0000-4000-8000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


@pytest.fixture
def lambda_context() -> LambdaContextStub:
    return LambdaContextStub()


# --- Every response of the partner API is checked against the OpenAPI document it serves ---------


@pytest.fixture(autouse=True)
def responses_follow_the_contract(request: pytest.FixtureRequest) -> Iterator[None]:
    """Wrap ``ingest.app.app.resolve`` for the test, so that every response of the ingest handler, called
    in-process or by the local stack's gateway, is checked against functions/ingest/openapi.json
    (tests/support/openapi_contract.py). The gateway runs the handler on its own threads, so violations
    are collected and fail the test at teardown. Unit tests never call the handler and skip this."""
    if request.node.get_closest_marker("unit"):
        yield
        return
    from ingest.app import app
    from tests.support.openapi_contract import check_lambda_result

    violations: list[str] = []
    resolve = app.resolve

    def checked_resolve(event: dict[str, Any], context: Any) -> dict[str, Any]:
        result: dict[str, Any] = resolve(event, context)
        violations.extend(check_lambda_result(event, result))
        return result

    vars(app)["resolve"] = checked_resolve
    try:
        yield
    finally:
        vars(app).pop("resolve", None)
    if violations:
        pytest.fail("responses the OpenAPI document does not describe:\n" + "\n".join(violations), pytrace=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The reference site's screenshots (tests/browser/), listed here: under xdist only this conftest's
    hooks run in the controller. (Imported at the top: the module notes when the session started.)"""
    browser_screenshots.report(terminalreporter)


@pytest.fixture
def target(stack: Any) -> Any:
    """The emulated stack as the operator CLI addresses it (`newsdesk ... --stack`)."""
    from newsdesk_ops.target import Target

    return Target(
        table_name=stack.table_name,
        archive_bucket=stack.archive_bucket,
        snapshot_bucket=stack.environment["SNAPSHOT_BUCKET"],
        endpoint_url=None,
        region="eu-west-1",
    )
