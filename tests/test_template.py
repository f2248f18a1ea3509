"""template.yaml is deployable, and the local resources built from it match what it declares."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws
from moto.core.models import MockAWS

from newsdesk_ops.template import (
    DEFAULT_TEMPLATE_PATH,
    HttpRoute,
    LocalResources,
    Throttle,
    authorizer_handler,
    create_resources,
    function_environment,
    http_routes,
    load_template,
    other_events,
    physical_name,
    route_throttles,
    schedule_sources,
    stream_sources,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

STACK = "newsdesk-test"


@dataclass
class Clients:
    dynamodb: DynamoDBClient
    s3: S3Client


@pytest.fixture
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="module")
def emulator() -> Iterator[MockAWS]:
    # One mock for the module: starting one per test made each test load boto3's service models again.
    with mock_aws() as mock:
        yield mock


@pytest.fixture
def aws(aws_env: None, emulator: MockAWS) -> Iterator[Clients]:
    """Emulated DynamoDB and S3 in eu-west-1 (fake credentials come from conftest's aws_env), empty
    for every test: moto's reset drops whatever the previous test created."""
    yield Clients(dynamodb=boto3.client("dynamodb"), s3=boto3.client("s3"))
    emulator.reset()


def write_template(tmp_path: Path, text: str) -> dict[str, Any]:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return load_template(path)


# --- the template itself ------------------------------------------------------------------------


@pytest.mark.unit
def test_template_passes_cfn_lint_without_warnings() -> None:
    # Given the cfn-lint installed beside this interpreter
    cfn_lint = Path(sys.executable).parent / "cfn-lint"

    # When it lints the repository's template
    result = subprocess.run([str(cfn_lint), str(DEFAULT_TEMPLATE_PATH)], capture_output=True, text=True, check=False)

    # Then it reports nothing (errors, warnings and informational findings all fail the test)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


@pytest.mark.unit
def test_function_policies_name_actions_and_resources_explicitly(template: dict[str, Any]) -> None:
    # Given every function in the template
    functions = {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    # Then each one has inline statements only (no broad policy templates) and no wildcard action
    assert functions
    for logical_id, properties in functions.items():
        for policy in properties.get("Policies", []):
            assert set(policy) == {"Statement"}, f"{logical_id} uses a policy template: {policy}"
            for statement in policy["Statement"]:
                # NotResource only narrows: the stream functions' Deny of every stream but the table's.
                assert "Resource" in statement or statement["Effect"] == "Deny", logical_id
                assert statement.get("Resource") != "*", logical_id
                assert all("*" not in action for action in statement["Action"]), logical_id


@pytest.mark.unit
def test_authorizer_has_no_identity_source_and_no_cache(template: dict[str, Any]) -> None:
    # Given the HTTP API's authorizers
    authorizer = template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["PartnerKeyAuthorizer"]

    # Then API Gateway cannot answer for us: every request reaches the authorizer function
    assert authorizer["Identity"] == {"ReauthorizeEvery": 0}
    assert authorizer["EnableSimpleResponses"] is True
    assert authorizer["AuthorizerPayloadFormatVersion"] == "2.0"


# --- loading ------------------------------------------------------------------------------------


@pytest.mark.unit
def test_short_tags_load_as_long_forms(tmp_path: Path) -> None:
    # Given a template written with short tags, scalar and sequence forms
    loaded = write_template(
        tmp_path,
        """
Resources:
  Thing:
    Type: AWS::S3::Bucket
    Properties:
      A: !Ref Table
      B: !GetAtt Table.StreamArn
      C: !Sub "${AWS::StackName}-x"
      D: !Join [",", !Ref Origins]
      E: !Select [0, !Split [",", "a,b"]]
      F: !If [IsProd, yes-value, !Ref AWS::NoValue]
""",
    )

    # Then each one is the long form CloudFormation documents
    properties = loaded["Resources"]["Thing"]["Properties"]
    assert properties["A"] == {"Ref": "Table"}
    assert properties["B"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert properties["C"] == {"Fn::Sub": "${AWS::StackName}-x"}
    assert properties["D"] == {"Fn::Join": [",", {"Ref": "Origins"}]}
    assert properties["E"] == {"Fn::Select": [0, {"Fn::Split": [",", "a,b"]}]}
    assert properties["F"] == {"Fn::If": ["IsProd", "yes-value", {"Ref": "AWS::NoValue"}]}


@pytest.mark.unit
def test_a_file_without_resources_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no Resources"):
        write_template(tmp_path, "Parameters: {}\n")


@pytest.mark.unit
def test_physical_names_are_valid_bucket_names_even_for_long_stacks() -> None:
    # Given a stack name far longer than S3 allows, with characters S3 refuses
    long_stack = "Newsdesk_" + "x" * 80

    # When two resources are named in it
    first = physical_name(long_stack, "ArchiveBucket")
    second = physical_name(long_stack, "SnapshotBucket")

    # Then both are lower-case, at most 63 characters, and still distinct
    assert physical_name("newsdesk-local", "ArchiveBucket") == "newsdesk-local-archivebucket"
    for name in (first, second):
        assert len(name) <= 63
        assert name == name.lower()
        assert "_" not in name
    assert first != second


# --- routes and events --------------------------------------------------------------------------


@pytest.mark.unit
def test_http_routes_lists_partner_routes_behind_the_authorizer(template: dict[str, Any]) -> None:
    # When the routes are read from the template
    routes = http_routes(template)

    # Then the five partner routes go to the ingest handler; only the OpenAPI document is public
    def ingest(method: str, path: str, authorizer: str | None) -> HttpRoute:
        return HttpRoute(method, path, "IngestFunction", "ingest.app.handler", authorizer)

    assert set(routes) >= {
        ingest("POST", "/v1/articles", "PartnerKeyAuthorizer"),
        ingest("GET", "/v1/articles/{id}", "PartnerKeyAuthorizer"),
        ingest("PUT", "/v1/articles/{id}", "PartnerKeyAuthorizer"),
        ingest("DELETE", "/v1/articles/{id}", "PartnerKeyAuthorizer"),
        ingest("GET", "/v1/openapi.json", None),
    }
    assert authorizer_handler(template, "PartnerKeyAuthorizer") == "ingest.authorizer.handler"


@pytest.mark.unit
def test_unknown_authorizer_is_refused(template: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="NoSuchAuthorizer"):
        authorizer_handler(template, "NoSuchAuthorizer")


@pytest.mark.unit
def test_other_events_lists_stream_and_timer_sources(tmp_path: Path) -> None:
    # Given a function on the table's stream and one on a timer
    loaded = write_template(
        tmp_path,
        """
Globals:
  Function:
    Handler: default.handler
Resources:
  Publish:
    Type: AWS::Serverless::Function
    Properties:
      Handler: publish.app.handler
      Events:
        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            StartingPosition: LATEST
  Trending:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Every5Minutes:
          Type: ScheduleV2
          Properties:
            ScheduleExpression: rate(5 minutes)
""",
    )

    # Then each event type finds its function, handler and properties
    assert other_events(loaded, "DynamoDB") == [
        (
            "Publish",
            "publish.app.handler",
            {"Stream": {"Fn::GetAtt": ["Table", "StreamArn"]}, "StartingPosition": "LATEST"},
        )
    ]
    assert other_events(loaded, "ScheduleV2") == [
        ("Trending", "default.handler", {"ScheduleExpression": "rate(5 minutes)"})
    ]
    assert other_events(loaded, "Schedule") == []


# --- publish: stream, timer, snapshot bucket and its distribution --------------------------------


@pytest.mark.unit
def test_publish_function_reads_current_items_from_the_stream_with_partial_batches(template: dict[str, Any]) -> None:
    # Given the publish function's DynamoDB event
    publish = template["Resources"]["PublishFunction"]["Properties"]
    assert publish["Handler"] == "publish.app.handler"
    assert 60 <= publish["Timeout"] <= 120
    (stream,) = [event["Properties"] for event in publish["Events"].values() if event["Type"] == "DynamoDB"]

    # Then it reads the table's stream, reports failed records alone and isolates poisoned ones
    assert stream["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["BisectBatchOnFunctionError"] is True
    assert stream["MaximumRetryAttempts"] == 5
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["PublishDeadLetterQueue", "Arn"]}
    # And only items with SK "CURRENT" (articles' current state, the trending item) invoke it
    patterns = [json.loads(entry["Pattern"]) for entry in stream["FilterCriteria"]["Filters"]]
    assert patterns == [{"dynamodb": {"Keys": {"SK": {"S": ["CURRENT"]}}}}]
    queue = template["Resources"]["PublishDeadLetterQueue"]["Properties"]
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600


@pytest.mark.unit
def test_view_counter_counts_dedupe_record_inserts_in_big_batches(template: dict[str, Any]) -> None:
    # Given the view counter function and its DynamoDB event
    counter = template["Resources"]["ViewCounterFunction"]["Properties"]
    assert counter["Handler"] == "trending.counting.handler"
    (stream,) = [event["Properties"] for event in counter["Events"].values() if event["Type"] == "DynamoDB"]

    # Then it reads big batches gathered over a configurable window, with partial batch responses
    assert stream["Stream"] == {"Fn::GetAtt": ["Table", "StreamArn"]}
    assert stream["BatchSize"] == 1000
    assert stream["MaximumBatchingWindowInSeconds"] == {"Ref": "ViewCountBatchingWindowSeconds"}
    assert template["Parameters"]["ViewCountBatchingWindowSeconds"]["Default"] == 10
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["BisectBatchOnFunctionError"] is True
    assert stream["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["ViewCounterDeadLetterQueue", "Arn"]
    }
    # And only inserts of dedupe records invoke it
    patterns = [json.loads(entry["Pattern"]) for entry in stream["FilterCriteria"]["Filters"]]
    assert patterns == [{"eventName": ["INSERT"], "dynamodb": {"Keys": {"PK": {"S": [{"prefix": "SEEN#"}]}}}}]
    # And it may only update items (and put the counts-changed markers, in the same transaction)
    # and read the stream (and report failed batches)
    actions = {
        action: statement["Resource"]
        for policy in counter["Policies"]
        for statement in policy["Statement"]
        if statement["Effect"] == "Allow"
        for action in statement["Action"]
    }
    assert actions == {
        "dynamodb:UpdateItem": {"Fn::GetAtt": ["Table", "Arn"]},
        "dynamodb:PutItem": {"Fn::GetAtt": ["Table", "Arn"]},
        "dynamodb:DescribeStream": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "dynamodb:GetRecords": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "dynamodb:GetShardIterator": {"Fn::GetAtt": ["Table", "StreamArn"]},
        "sqs:SendMessage": {"Fn::GetAtt": ["ViewCounterDeadLetterQueue", "Arn"]},
    }


@pytest.mark.unit
def test_the_api_access_log_stores_no_source_ip(template: dict[str, Any]) -> None:
    log_format = template["Resources"]["HttpApi"]["Properties"]["AccessLogSettings"]["Format"]
    assert "$context.requestId" in log_format and "$context.status" in log_format
    assert "sourceIp" not in log_format and "$context.identity" not in log_format


@pytest.mark.unit
def test_stream_and_schedule_sources_describe_what_the_local_stack_emulates(template: dict[str, Any]) -> None:
    # When the event sources are read the way the local workers read them
    (stream,) = [source for source in stream_sources(template) if source.function_logical_id == "PublishFunction"]
    schedules = {(source.function_logical_id, source.event_name): source for source in schedule_sources(template)}

    # Then the stream source carries the template's batching, retries and parsed filter
    assert (stream.table_logical_id, stream.starting_position, stream.batch_size) == ("Table", "LATEST", 100)
    assert stream.report_batch_item_failures and stream.bisect_on_error
    assert stream.filter_patterns == ({"dynamodb": {"Keys": {"SK": {"S": ["CURRENT"]}}}},)
    # And the embargo timer's expression is the parameter's default (or an override)
    embargo = schedules[("PublishFunction", "EmbargoTimer")]
    assert (embargo.expression, embargo.enabled) == ("rate(1 minute)", True)
    overridden = schedule_sources(template, {"EmbargoSchedule": "rate(2 minutes)"})
    assert "rate(2 minutes)" in {source.expression for source in overridden}


@pytest.mark.unit
def test_snapshot_bucket_is_private_and_readable_only_by_its_distribution(template: dict[str, Any]) -> None:
    resources = template["Resources"]
    bucket = resources["SnapshotBucket"]
    properties = bucket["Properties"]

    # The bucket blocks every kind of public access and is retained
    assert bucket["DeletionPolicy"] == "Retain"
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    encryption = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"

    # Its policy lets only CloudFront read, and only for this stack's distribution
    statements = resources["SnapshotBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source_arn = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source_arn.endswith(":distribution/${SnapshotDistribution}")


@pytest.mark.unit
def test_distribution_signs_with_origin_access_control_and_keeps_file_cache_headers(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    config = resources["SnapshotDistribution"]["Properties"]["DistributionConfig"]

    # The origin is the bucket, reached through an origin access control that always signs
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["SnapshotBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SnapshotOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    access_control = resources["SnapshotOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (access_control["SigningBehavior"], access_control["SigningProtocol"]) == ("always", "sigv4")

    # HTTPS only, compressed, and the files' own Cache-Control decides (MinTTL 0)
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["Compress"] is True
    cache_policy = resources["SnapshotCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert behavior["CachePolicyId"] == {"Ref": "SnapshotCachePolicy"}
    assert cache_policy["MinTTL"] == 0

    # CORS for the site's origins, reads only
    cors = resources["SnapshotResponseHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["CorsConfig"]
    assert cors["AccessControlAllowOrigins"]["Items"] == {"Ref": "SiteOrigins"}
    assert cors["AccessControlAllowMethods"]["Items"] == ["GET", "HEAD"]
    assert template["Outputs"]["SnapshotsUrl"]["Value"] == {"Fn::Sub": "https://${SnapshotDistribution.DomainName}/"}


@pytest.mark.handler
def test_resources_the_local_stack_cannot_create_are_skipped(template: dict[str, Any], aws: Clients) -> None:
    # When the resources are created locally
    resources = create_resources(template, stack_name=STACK, dynamodb=aws.dynamodb, s3=aws.s3)

    # Then the snapshot bucket exists, private like the template says; queue and CDN are not made
    snapshots = resources.buckets["SnapshotBucket"]
    block = aws.s3.get_public_access_block(Bucket=snapshots)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert set(resources.tables) == {"Table"}
    assert "PublishDeadLetterQueue" not in resources.buckets


# --- environments -------------------------------------------------------------------------------


@pytest.mark.unit
def test_function_environment_names_what_it_cannot_resolve(tmp_path: Path) -> None:
    # Given a variable that only CloudFormation could fill in
    loaded = write_template(
        tmp_path,
        """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: x.handler
      Environment:
        Variables:
          STREAM_ARN: !GetAtt Table.StreamArn
  Table:
    Type: AWS::DynamoDB::Table
""",
    )
    resources = LocalResources(stack_name=STACK, tables={"Table": "t"})

    # Then resolving it fails with the variable and the expression in the message
    with pytest.raises(ValueError, match=r"STREAM_ARN.*Table\.StreamArn"):
        function_environment(loaded, "Fn", resources)


@pytest.mark.unit
def test_function_environment_refuses_unknown_function(template: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="NoSuchFunction"):
        function_environment(template, "NoSuchFunction", LocalResources(stack_name=STACK))


@pytest.mark.handler
def test_function_environment_resolves_ingest_variables_to_local_names(template: dict[str, Any], aws: Clients) -> None:
    # Given the template's resources created locally
    resources = create_resources(template, stack_name=STACK, dynamodb=aws.dynamodb, s3=aws.s3)

    # When the ingest function's environment is resolved, one parameter overridden
    environment = function_environment(
        template, "IngestFunction", resources, {"SiteOrigins": "https://a.example, https://b.example"}
    )

    # Then every variable is a plain value naming the local resources
    assert environment == {
        "POWERTOOLS_SERVICE_NAME": "newsdesk",
        "POWERTOOLS_METRICS_NAMESPACE": "Newsdesk",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "TABLE_NAME": resources.tables["Table"],
        "ARCHIVE_BUCKET": resources.buckets["ArchiveBucket"],
        "SNAPSHOT_BUCKET": resources.buckets["SnapshotBucket"],
        "STAGE": "dev",
        "MAX_BODY_BYTES": "1048576",
        "SITE_ORIGINS": "https://a.example,https://b.example",
        "PARTNER_RATE_LIMIT": "600",
        "PARTNER_RATE_WINDOW_SECONDS": "60",
        "PARTNER_RATE_LIMIT_OVERRIDES": "",
        "CLIENT_KEY_SECRET": "",
    }


# --- resources in moto --------------------------------------------------------------------------


@pytest.mark.handler
def test_table_is_created_as_the_template_declares(template: dict[str, Any], aws: Clients) -> None:
    # When the template's resources are created
    resources = create_resources(template, stack_name=STACK, dynamodb=aws.dynamodb, s3=aws.s3)

    # Then the table has the PK/SK keys, the stream and TTL on `expiration`
    table = aws.dynamodb.describe_table(TableName=resources.tables["Table"])["Table"]
    assert {(key["AttributeName"], key["KeyType"]) for key in table["KeySchema"]} == {
        ("PK", "HASH"),
        ("SK", "RANGE"),
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ttl = aws.dynamodb.describe_time_to_live(TableName=resources.tables["Table"])["TimeToLiveDescription"]
    assert ttl["TimeToLiveStatus"] == "ENABLED"
    assert ttl["AttributeName"] == "expiration"


@pytest.mark.handler
def test_buckets_are_created_as_the_template_declares(template: dict[str, Any], aws: Clients) -> None:
    # When the template's resources are created
    resources = create_resources(template, stack_name=STACK, dynamodb=aws.dynamodb, s3=aws.s3)

    # Then every bucket of the template exists in the region
    declared = {
        logical_id for logical_id, resource in template["Resources"].items() if resource["Type"] == "AWS::S3::Bucket"
    }
    assert set(resources.buckets) == declared
    for bucket in resources.buckets.values():
        assert aws.s3.get_bucket_location(Bucket=bucket)["LocationConstraint"] == "eu-west-1"

    # And the archive is versioned, private and encrypted
    archive = resources.buckets["ArchiveBucket"]
    assert aws.s3.get_bucket_versioning(Bucket=archive)["Status"] == "Enabled"
    block = aws.s3.get_public_access_block(Bucket=archive)["PublicAccessBlockConfiguration"]
    assert block == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    rules = aws.s3.get_bucket_encryption(Bucket=archive)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    ownership = aws.s3.get_bucket_ownership_controls(Bucket=archive)["OwnershipControls"]
    assert ownership["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]


@pytest.mark.handler
def test_creating_resources_twice_is_harmless(template: dict[str, Any], aws: Clients) -> None:
    # Given resources created once
    first = create_resources(template, stack_name=STACK, dynamodb=aws.dynamodb, s3=aws.s3)

    # When they are created again
    second = create_resources(template, stack_name=STACK, dynamodb=aws.dynamodb, s3=aws.s3)

    # Then the same names come back and nothing was duplicated
    assert second == first
    assert aws.dynamodb.list_tables()["TableNames"] == sorted(first.tables.values())
    assert sorted(b["Name"] for b in aws.s3.list_buckets()["Buckets"]) == sorted(first.buckets.values())


# --- traffic limits: API Gateway throttling and reserved concurrency (issue 8, 'What broke' 10) ---


def parameter_default(template: dict[str, Any], reference: Any) -> float:
    """The default of the parameter a value refers to (``{"Ref": Name}``); a plain number is refused."""
    assert isinstance(reference, dict) and set(reference) == {"Ref"}, f"not a parameter: {reference!r}"
    parameter = template["Parameters"][reference["Ref"]]
    assert parameter["Type"] == "Number", reference
    return float(parameter["Default"])


@pytest.mark.unit
@pytest.mark.attack(10)
def test_every_route_is_throttled_and_events_tighter_than_the_rest(template: dict[str, Any]) -> None:
    # Given the HTTP API's stage settings
    api = template["Resources"]["HttpApi"]["Properties"]
    default = api["DefaultRouteSettings"]
    events = api["RouteSettings"]["POST /v1/events"]

    # Then every route has a rate and a burst, both template parameters
    default_rate = parameter_default(template, default["ThrottlingRateLimit"])
    default_burst = parameter_default(template, default["ThrottlingBurstLimit"])
    events_rate = parameter_default(template, events["ThrottlingRateLimit"])
    events_burst = parameter_default(template, events["ThrottlingBurstLimit"])
    assert 0 < default_rate <= default_burst
    assert 0 < events_rate <= events_burst

    # And the anonymous events route gets less than the partners' routes
    assert events_rate < default_rate
    assert events_burst < default_burst

    # And every route named in RouteSettings is a route of the API (API Gateway refuses others)
    route_keys = {f"{route.method} {route.path}" for route in http_routes(template)}
    assert set(api["RouteSettings"]) <= route_keys


# Functions whose concurrency is reserved, and why (docs/operations.md, "Traffic limits"): ingest and
# the authorizer are capped so that no flood through the API can take the account's concurrency;
# publish, the view counter and trending are guaranteed theirs, so a flood cannot starve the pipeline.
RESERVED = {
    "IngestFunction": "IngestReservedConcurrency",
    "AuthorizerFunction": "AuthorizerReservedConcurrency",
    "PublishFunction": "StreamReservedConcurrency",
    "ViewCounterFunction": "StreamReservedConcurrency",
    "TrendingFunction": "TrendingReservedConcurrency",
}
# Lambda keeps at least 100 of an account's concurrency unreserved; the default account has 1,000.
DEFAULT_ACCOUNT_CONCURRENCY = 1000
UNRESERVED_MINIMUM = 100


@pytest.mark.unit
@pytest.mark.attack(10)
def test_functions_reserve_concurrency_from_parameters_that_can_switch_it_off(template: dict[str, Any]) -> None:
    # Given the functions whose concurrency protects the pipeline
    functions = template["Resources"]
    conditions = template["Conditions"]
    total = 0.0
    for logical_id, parameter in RESERVED.items():
        reserved = functions[logical_id]["Properties"]["ReservedConcurrentExecutions"]

        # Then each reserves its parameter's value, unless the parameter is 0 (an account too small to
        # reserve anything: 0 reserved would mean "never run")
        condition, value, otherwise = reserved["Fn::If"]
        assert value == {"Ref": parameter}
        assert otherwise == {"Ref": "AWS::NoValue"}
        assert conditions[condition] == {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, 0]}]}
        assert template["Parameters"][parameter]["MinValue"] == 0
        default = parameter_default(template, value)
        assert default >= 1, logical_id
        total += default

    # And the defaults fit an account with the default limit, leaving Lambda's 100 unreserved
    assert total <= DEFAULT_ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM

    # And the stream consumers get enough for one invocation per shard and more; trending one run at a time
    assert parameter_default(template, {"Ref": "StreamReservedConcurrency"}) >= 2
    assert parameter_default(template, {"Ref": "TrendingReservedConcurrency"}) == 1


@pytest.mark.unit
def test_ingest_gets_the_partner_rate_limit_from_parameters(template: dict[str, Any], aws: Clients) -> None:
    # Given the template's resources in moto
    resources = create_resources(template, stack_name=STACK, dynamodb=aws.dynamodb, s3=aws.s3)

    # When the ingest function's environment is resolved, with and without overrides
    environment = function_environment(template, "IngestFunction", resources)
    overridden = function_environment(
        template,
        "IngestFunction",
        resources,
        {"PartnerRateLimit": "0", "PartnerRateLimitOverrides": "dpa=1200,tt=60"},
    )

    # Then the limit, its window and the per-partner overrides come from the parameters
    parameters = template["Parameters"]
    assert environment["PARTNER_RATE_LIMIT"] == str(parameters["PartnerRateLimit"]["Default"])
    assert environment["PARTNER_RATE_WINDOW_SECONDS"] == str(parameters["PartnerRateWindowSeconds"]["Default"])
    assert environment["PARTNER_RATE_LIMIT_OVERRIDES"] == ""
    assert overridden["PARTNER_RATE_LIMIT"] == "0"
    assert overridden["PARTNER_RATE_LIMIT_OVERRIDES"] == "dpa=1200,tt=60"


@pytest.mark.unit
def test_route_throttles_resolve_the_stage_settings_for_the_local_gateway(template: dict[str, Any]) -> None:
    # When the local gateway's view of the throttles is read, with and without overrides
    throttles = route_throttles(template)
    overridden = route_throttles(template, {"EventsThrottlingBurstLimit": "2", "ApiThrottlingRateLimit": "7"})

    # Then every route has its limits: the defaults, and the tighter ones on POST /v1/events
    parameters = template["Parameters"]
    default = Throttle(
        rate=float(parameters["ApiThrottlingRateLimit"]["Default"]),
        burst=int(parameters["ApiThrottlingBurstLimit"]["Default"]),
    )
    assert throttles.default == default
    assert throttles.for_route("POST /v1/articles") == default
    assert throttles.for_route("POST /v1/events") == Throttle(
        rate=float(parameters["EventsThrottlingRateLimit"]["Default"]),
        burst=int(parameters["EventsThrottlingBurstLimit"]["Default"]),
    )
    assert overridden.for_route("POST /v1/events") == Throttle(
        rate=float(parameters["EventsThrottlingRateLimit"]["Default"]), burst=2
    )
    assert overridden.for_route("GET /v1/articles/{id}") == Throttle(rate=7.0, burst=default.burst)


@pytest.mark.unit
def test_a_template_without_throttling_has_no_route_throttles(tmp_path: Path) -> None:
    loaded = write_template(tmp_path, "Resources:\n  Api:\n    Type: AWS::Serverless::HttpApi\n")
    assert route_throttles(loaded).for_route("POST /v1/events") is None
