"""Issue 10, "Correct on AWS, not only locally" and "Observe": what the template and the handlers do
on AWS that the local stack cannot show (catch-all route, payload cap, per-request log keys, metric
dimensions, tracing, alarms, dashboard)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsdesk_ops.template import DEFAULT_TEMPLATE_PATH, http_routes, load_template
from tests.conftest import Partner, Stack, api_event

# Lambda refuses a synchronous invocation whose request payload exceeds 6 MB (6,291,456 bytes): the
# event, with the body base64-encoded when API Gateway treats it as binary, must fit.
LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = load_template()
    return loaded


def resources_of_type(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == resource_type}


# --- unknown routes ------------------------------------------------------------------------------


@pytest.mark.unit
def test_the_api_has_a_catch_all_route_to_the_ingest_function_without_the_authorizer(
    template: dict[str, Any],
) -> None:
    # Given the routes API Gateway would wire from the template
    catch_all = [route for route in http_routes(template) if route.path == "$default"]

    # Then exactly one catch-all exists (API Gateway would otherwise answer {"message":"Not Found"}),
    # it goes to the ingest function, whose router answers 404 problem+json, and no key lookup runs
    # for a path nobody serves
    assert len(catch_all) == 1
    assert catch_all[0].function_logical_id == "IngestFunction"
    assert catch_all[0].method == "ANY"
    assert catch_all[0].authorizer is None


@pytest.mark.handler
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/nothing-here"), ("PATCH", "/v1/articles/some-id"), ("GET", "/"), ("POST", "/v2/articles")],
)
def test_the_catch_all_route_answers_404_problem_json(
    stack: Stack, lambda_context: Any, method: str, path: str
) -> None:
    from ingest.app import handler

    # Given a request API Gateway sends through the $default route: no authorizer ran
    event = api_event(method, path, headers={"content-type": "application/json"})
    event["routeKey"] = event["requestContext"]["routeKey"] = "$default"
    del event["requestContext"]["authorizer"]

    # When the ingest function handles it
    result = handler(event, lambda_context)

    # Then the answer is a 404 problem document naming the request, not a 401 or a 5xx
    assert result["statusCode"] == 404
    headers = {k.lower(): v for k, v in result["headers"].items()}
    assert headers["content-type"].startswith("application/problem+json")
    problem = json.loads(result["body"])
    assert problem["status"] == 404
    assert path in problem["detail"]


# --- body size -----------------------------------------------------------------------------------


@pytest.mark.unit
def test_max_body_bytes_fits_a_synchronous_lambda_invocation(template: dict[str, Any]) -> None:
    # Given the largest body the template lets an operator configure
    parameter = template["Parameters"]["MaxBodyBytes"]
    largest = int(parameter["MaxValue"])

    # Then even base64-encoded (4 bytes per 3) it leaves room for the event's envelope (headers,
    # request context: up to ~40 KB) inside Lambda's 6 MB request payload
    base64_size = 4 * ((largest + 2) // 3)
    assert base64_size + 512 * 1024 <= LAMBDA_SYNC_PAYLOAD_BYTES
    assert int(parameter["Default"]) <= largest


# --- per-request log keys ------------------------------------------------------------------------


@pytest.mark.handler
def test_an_anonymous_request_after_a_partners_is_not_logged_as_that_partner(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    from ingest.app import handler
    from newsdesk.observability import logger

    with _captured(logger) as buffer:
        # Given a warm function that served partner A
        first = api_event("GET", "/v1/articles/aabc", authorizer=partner.context, route="/v1/articles/{article_id}")
        first["pathParameters"] = {"article_id": "aabc"}
        assert handler(first, lambda_context)["statusCode"] == 404
        # When an anonymous request follows
        second = api_event("GET", "/v1/articles/aabc", route="/v1/articles/{article_id}")
        second["pathParameters"] = {"article_id": "aabc"}
        assert handler(second, lambda_context)["statusCode"] == 401
    lines = [json.loads(line) for line in buffer.getvalue().splitlines() if line.startswith("{")]

    # Then the first request's lines name the partner, and the 401's line names nobody
    refused = [line for line in lines if line.get("message") == "request refused"]
    assert [line.get("status") for line in refused] == [404, 401]
    assert refused[0].get("partner_id") == partner.partner_id
    assert "partner_id" not in refused[1]


class _captured:
    """Send the shared logger's output to a buffer for a block."""

    def __init__(self, logger: Any) -> None:
        self._handler = logger.registered_handler
        self._previous: Any = None
        self.buffer = io.StringIO()

    def __enter__(self) -> io.StringIO:
        self._previous = self._handler.setStream(self.buffer)
        return self.buffer

    def __exit__(self, *_: object) -> None:
        self._handler.setStream(self._previous)


# --- metric dimensions ---------------------------------------------------------------------------


def emf_documents(text: str) -> list[dict[str, Any]]:
    documents = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [document for document in documents if "_aws" in document]


@pytest.mark.handler
def test_metrics_carry_the_stage_and_the_function_name(
    stack: Stack, lambda_context: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ingest.app import handler
    from newsdesk.settings import get_settings

    # Given the function deployed as stage "prod"
    monkeypatch.setenv("STAGE", "prod")
    get_settings.cache_clear()
    capsys.readouterr()

    # When it handles an events request (which records metrics)
    event = api_event(
        "POST", "/v1/events", body=json.dumps({"events": []}), headers={"content-type": "application/json"}
    )
    handler(event, lambda_context)

    # Then every metric it writes is dimensioned by the stage and the function, so two stages in one
    # account never add up in the same series
    documents = [d for d in emf_documents(capsys.readouterr().out) if "ColdStart" not in d]
    assert documents
    for document in documents:
        dimension_sets = document["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
        assert all({"Stage", "FunctionName"} <= set(names) for names in dimension_sets), dimension_sets
        assert document["Stage"] == "prod"
        assert document["FunctionName"] == lambda_context.function_name


# --- the managed stream policy -------------------------------------------------------------------


@pytest.mark.unit
def test_stream_functions_are_denied_every_stream_but_the_tables(template: dict[str, Any]) -> None:
    # Given the functions SAM gives the managed AWSLambdaDynamoDBExecutionRole (stream reads on "*")
    functions = resources_of_type(template, "AWS::Serverless::Function")
    stream_functions = {
        name
        for name, function in functions.items()
        if any(event["Type"] == "DynamoDB" for event in function["Properties"].get("Events", {}).values())
    }
    assert stream_functions == {"PublishFunction", "ViewCounterFunction", "MediaFunction"}

    # Then each one's own statements deny the stream reads on anything but the table's stream
    for name in stream_functions:
        statements = [s for p in functions[name]["Properties"]["Policies"] for s in p["Statement"]]
        denials = [s for s in statements if s["Effect"] == "Deny"]
        assert denials, name
        assert {action for s in denials for action in s["Action"]} == {
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
        }
        assert all(s["NotResource"] == {"Fn::GetAtt": ["Table", "StreamArn"]} for s in denials), name


# --- tracing -------------------------------------------------------------------------------------


@pytest.mark.unit
def test_every_function_is_traced_and_wrapped_by_lambda_entry(template: dict[str, Any]) -> None:
    import importlib

    from newsdesk.observability import ENTRY_MARK

    # Given active tracing for every function (HTTP APIs have no X-Ray tracing of their own)
    assert template["Globals"]["Function"]["Tracing"] == "Active"
    assert "TracingEnabled" not in template["Resources"]["HttpApi"]["Properties"]

    # Then every handler of the template goes through lambda_entry (tracer, metrics, logger)
    for name, function in resources_of_type(template, "AWS::Serverless::Function").items():
        module_name, _, attribute = function["Properties"]["Handler"].rpartition(".")
        handler = getattr(importlib.import_module(module_name), attribute)
        assert handler.__dict__.get(ENTRY_MARK) is True, name


@pytest.mark.handler
def test_the_first_invocation_records_a_cold_start(
    stack: Stack, lambda_context: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from aws_lambda_powertools.metrics.provider import cold_start

    from ingest.app import handler

    # Given a fresh process (Powertools remembers whether it ran before)
    cold_start.is_cold_start = True
    capsys.readouterr()

    # When it serves two requests
    for _ in range(2):
        handler(api_event("GET", "/v1/openapi.json"), lambda_context)

    # Then one ColdStart metric names the function
    cold = [d for d in emf_documents(capsys.readouterr().out) if "ColdStart" in d]
    assert len(cold) == 1
    assert cold[0]["function_name"] == lambda_context.function_name


# --- alarms and dashboard ------------------------------------------------------------------------


def alarm_metrics(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    """The metrics an alarm watches: its own, or those of its metric math."""
    properties = alarm["Properties"]
    if "MetricName" in properties:
        return [{key: properties[key] for key in ("Namespace", "MetricName", "Dimensions")}]
    return [query["MetricStat"]["Metric"] for query in properties["Metrics"] if "MetricStat" in query]


def watched(template: dict[str, Any], namespace: str, metric: str) -> list[Any]:
    """The dimension values of every alarm on ``namespace/metric``."""
    return [
        dimension["Value"]
        for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values()
        for watched_metric in alarm_metrics(alarm)
        if (watched_metric["Namespace"], watched_metric["MetricName"]) == (namespace, metric)
        for dimension in watched_metric["Dimensions"]
    ]


@pytest.mark.unit
def test_every_alarm_notifies_the_alarm_topic(template: dict[str, Any]) -> None:
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm")
    assert alarms
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["Properties"]["TreatMissingData"] == "notBreaching", name
    subscription = template["Resources"]["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert template["Parameters"]["AlarmEmail"]["Default"] == ""


@pytest.mark.unit
def test_every_dead_letter_queue_has_a_depth_alarm(template: dict[str, Any]) -> None:
    queues = set(resources_of_type(template, "AWS::SQS::Queue"))
    assert queues >= {"PublishDeadLetterQueue", "ViewCounterDeadLetterQueue", "MediaDeadLetterQueue"}
    alarmed = watched(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert sorted(value["Fn::GetAtt"][0] for value in alarmed) == sorted(queues)


@pytest.mark.unit
def test_functions_are_alarmed_on_errors_throttles_and_stream_lag(template: dict[str, Any]) -> None:
    functions = resources_of_type(template, "AWS::Serverless::Function")
    every = sorted(functions)
    assert sorted(value["Ref"] for value in watched(template, "AWS/Lambda", "Errors")) == every
    assert sorted(value["Ref"] for value in watched(template, "AWS/Lambda", "Throttles")) == every
    stream_driven = sorted(
        name
        for name, function in functions.items()
        if any(event["Type"] == "DynamoDB" for event in function["Properties"].get("Events", {}).values())
    )
    assert sorted(value["Ref"] for value in watched(template, "AWS/Lambda", "IteratorAge")) == stream_driven
    assert watched(template, "AWS/ApiGateway", "5xx") == [{"Ref": "HttpApi"}]


@pytest.mark.unit
def test_failed_stream_records_are_alarmed_with_the_dimensions_the_functions_write(template: dict[str, Any]) -> None:
    from newsdesk.observability import FUNCTION_DIMENSION, STAGE_DIMENSION

    # Given the alarm on the functions' own failure metrics
    alarm = template["Resources"]["FailedStreamRecordsAlarm"]
    metrics = alarm_metrics(alarm)
    assert {m["MetricName"] for m in metrics} == {"StreamRecordsFailed", "ViewRecordsFailed", "MediaRecordsFailed"}

    # Then it names exactly the dimension set Powertools writes (service, stage, function): a metric
    # with any other set is another series, and the alarm would never see it
    for metric in metrics:
        assert metric["Namespace"] == "Newsdesk"
        names = [dimension["Name"] for dimension in metric["Dimensions"]]
        assert sorted(names) == sorted(["service", STAGE_DIMENSION, FUNCTION_DIMENSION])


@pytest.mark.unit
def test_timer_runs_that_fail_leave_dead_letters(template: dict[str, Any]) -> None:
    functions = resources_of_type(template, "AWS::Serverless::Function")
    timers = [
        (name, event)
        for name, function in functions.items()
        for event in function["Properties"].get("Events", {}).values()
        if event["Type"] in ("Schedule", "ScheduleV2")
    ]
    assert len(timers) == 2
    queue = {"Fn::GetAtt": ["ScheduleDeadLetterQueue", "Arn"]}
    for name, event in timers:
        assert event["Properties"]["DeadLetterConfig"] == {"Arn": queue}, name
        on_failure = functions[name]["Properties"]["EventInvokeConfig"]["DestinationConfig"]["OnFailure"]
        assert on_failure == {"Type": "SQS", "Destination": queue}, name


@pytest.mark.unit
def test_the_dashboard_is_json_naming_every_function(template: dict[str, Any]) -> None:
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(body)["widgets"]
    assert len(widgets) >= 6
    for name in resources_of_type(template, "AWS::Serverless::Function"):
        assert "${" + name + "}" in body, name


# --- lint ----------------------------------------------------------------------------------------


@pytest.mark.unit
def test_template_passes_cfn_lints_serverless_rules() -> None:
    # Given cfn-lint with the serverless rules (cfn-lint-serverless), as `make lint` runs it
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    command = [str(cfn_lint), str(DEFAULT_TEMPLATE_PATH), "--append-rules", "cfn_lint_serverless.rules"]

    # Then it finds nothing: what the rules flag and we keep is skipped beside its resource, with why
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
