"""template.yaml as the single source of truth for local resources.

The local stack and the tests read the SAM template through this module: tables, buckets and queues
are created from their CloudFormation properties, function environments are resolved from Globals and
the function's own variables, and HTTP routes are listed the way API Gateway would wire them. A
change to template.yaml therefore changes the local system too; nothing here keeps a second list.

Nothing in this module talks to AWS at import time; the clients are passed in.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

Template = dict[str, Any]

DEFAULT_TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"

TABLE_TYPE = "AWS::DynamoDB::Table"
BUCKET_TYPE = "AWS::S3::Bucket"
QUEUE_TYPE = "AWS::SQS::Queue"
SECRET_TYPE = "AWS::SecretsManager::Secret"
FUNCTION_TYPE = "AWS::Serverless::Function"
HTTP_API_TYPE = "AWS::Serverless::HttpApi"

# moto's default account; the fake ARNs only have to look like ARNs and be stable.
LOCAL_ACCOUNT_ID = "123456789012"
# S3's limit is the tightest of the services we name resources for.
MAX_PHYSICAL_NAME_LENGTH = 63

# Short-form tags whose long form is not simply "Fn::<tag>".
_TAGS_WITHOUT_FN_PREFIX = {"Ref": "Ref", "Condition": "Condition"}


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


# libyaml's parser (in PyYAML's wheels) reads template.yaml in ~3 ms, the pure-Python one in ~50 ms;
# the tests and the local stack load it often. Both build the same objects.
try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class CloudFormationLoader(_SafeLoader):
    """A SafeLoader that reads CloudFormation short tags (!Ref, !Sub, ...) as their long forms."""


def _construct_intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    key = _TAGS_WITHOUT_FN_PREFIX.get(tag_suffix, f"Fn::{tag_suffix}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        # "!GetAtt Resource.Attribute" is the scalar spelling of ["Resource", "Attribute"].
        if tag_suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {key: value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path | None = None) -> Template:
    """Read a SAM/CloudFormation template, short tags turned into their long forms.

    ``!Ref X`` becomes ``{"Ref": "X"}``, ``!GetAtt A.B`` becomes ``{"Fn::GetAtt": ["A", "B"]}``,
    any other ``!Tag`` becomes ``{"Fn::Tag": ...}``. The default is the repository's template.yaml.
    """
    template_path = path or DEFAULT_TEMPLATE_PATH
    with template_path.open(encoding="utf-8") as stream:
        loaded = yaml.load(stream, Loader=CloudFormationLoader)
    if not isinstance(loaded, dict) or not isinstance(loaded.get("Resources"), dict):
        raise ValueError(f"{template_path} is not a CloudFormation template (no Resources mapping)")
    return loaded


def _resources_of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = template.get("Resources", {})
    return {logical_id: resource for logical_id, resource in resources.items() if resource.get("Type") == resource_type}


def _properties(resource: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = resource.get("Properties") or {}
    return properties


# --------------------------------------------------------------------------------------------------
# Tables, buckets and queues
# --------------------------------------------------------------------------------------------------


@dataclass
class LocalResources:
    """Physical names of the resources created locally, by logical id from the template (queues: URLs)."""

    stack_name: str
    tables: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    queues: dict[str, str] = field(default_factory=dict)


def physical_name(stack_name: str, logical_id: str) -> str:
    """The local name of a resource: ``{stack}-{logicalid}``, lower-case, valid as an S3 bucket name.

    Names longer than S3 allows are shortened and made unique again with a hash of the full name.
    """
    name = re.sub(r"[^a-z0-9-]+", "-", f"{stack_name}-{logical_id}".lower())
    name = re.sub(r"-{2,}", "-", name).strip("-")
    if len(name) > MAX_PHYSICAL_NAME_LENGTH:
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        name = f"{name[: MAX_PHYSICAL_NAME_LENGTH - len(digest) - 1].rstrip('-')}-{digest}"
    if len(name) < 3:
        raise ValueError(f"stack name {stack_name!r} gives no valid resource name for {logical_id}")
    return name


def create_resources(
    template: Template, *, stack_name: str, dynamodb: DynamoDBClient, s3: S3Client, sqs: Any = None
) -> LocalResources:
    """Create every DynamoDB table and S3 bucket of the template, configured as the template says,
    and with ``sqs`` every SQS queue (the functions' dead-letter queues).

    Safe to run again on the same emulator: resources that already exist are reconfigured, not
    duplicated.
    """
    resources = LocalResources(stack_name=stack_name, region=s3.meta.region_name or "us-east-1")
    for logical_id, resource in _resources_of_type(template, TABLE_TYPE).items():
        name = physical_name(stack_name, logical_id)
        _create_table(dynamodb, name, _properties(resource))
        resources.tables[logical_id] = name
    for logical_id, resource in _resources_of_type(template, BUCKET_TYPE).items():
        name = physical_name(stack_name, logical_id)
        _create_bucket(s3, name, _properties(resource), resources.region)
        resources.buckets[logical_id] = name
    if sqs is not None:
        for logical_id, resource in _resources_of_type(template, QUEUE_TYPE).items():
            resources.queues[logical_id] = _create_queue(sqs, physical_name(stack_name, logical_id), resource)
    return resources


def resource_names(template: Template, *, stack_name: str, region: str) -> LocalResources:
    """The names :func:`create_resources` gives the template's tables and buckets, created or not (for a
    process other than the local stack's that runs the functions against it; queues: local_queue_urls)."""

    def names(resource_type: str) -> dict[str, str]:
        return {
            logical_id: physical_name(stack_name, logical_id)
            for logical_id in _resources_of_type(template, resource_type)
        }

    return LocalResources(stack_name=stack_name, tables=names(TABLE_TYPE), buckets=names(BUCKET_TYPE), region=region)


def local_queue_urls(template: Template, *, stack_name: str, sqs: Any) -> dict[str, str]:
    """Logical id -> URL of the template's queues that exist for this stack name (none without a name)."""
    urls: dict[str, str] = {}
    for logical_id in _resources_of_type(template, QUEUE_TYPE) if stack_name else {}:
        try:
            urls[logical_id] = sqs.get_queue_url(QueueName=physical_name(stack_name, logical_id))["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            continue
    return urls


def delete_resources(
    template: Template, *, stack_name: str, dynamodb: DynamoDBClient, s3: S3Client, sqs: Any = None
) -> int:
    """Delete the template's tables, buckets (and with ``sqs`` queues) of this stack name where they
    exist; returns how many.

    moto's state lives as long as the process: a stack started again in the same process (the
    tests start one per module) would otherwise begin with what an earlier one left behind.
    """
    deleted = 0
    for logical_id in _resources_of_type(template, TABLE_TYPE):
        name = physical_name(stack_name, logical_id)
        try:
            dynamodb.delete_table(TableName=name)
        except dynamodb.exceptions.ResourceNotFoundException:
            continue
        dynamodb.get_waiter("table_not_exists").wait(TableName=name)
        deleted += 1
    for logical_id in _resources_of_type(template, BUCKET_TYPE):
        name = physical_name(stack_name, logical_id)
        try:
            pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=name))
        except s3.exceptions.NoSuchBucket:
            continue
        for page in pages:
            versions = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            for start in range(0, len(versions), 1000):
                chunk = versions[start : start + 1000]
                objects = [{"Key": item["Key"], "VersionId": item["VersionId"]} for item in chunk]
                s3.delete_objects(Bucket=name, Delete={"Objects": objects, "Quiet": True})  # type: ignore[typeddict-item]
        s3.delete_bucket(Bucket=name)
        deleted += 1
    for logical_id in _resources_of_type(template, QUEUE_TYPE) if sqs is not None else {}:
        try:
            url = sqs.get_queue_url(QueueName=physical_name(stack_name, logical_id))["QueueUrl"]
        except sqs.exceptions.QueueDoesNotExist:
            continue
        sqs.delete_queue(QueueUrl=url)
        deleted += 1
    return deleted


# GlobalSecondaryIndexes keys that CreateTable accepts (CloudFormation adds others, e.g.
# ContributorInsightsSpecification, that belong to other API calls).
_INDEX_KEYS = ("IndexName", "KeySchema", "Projection", "ProvisionedThroughput", "OnDemandThroughput")


def _create_table(dynamodb: DynamoDBClient, name: str, properties: dict[str, Any]) -> None:
    billing_mode = properties.get("BillingMode", "PROVISIONED")
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": billing_mode,
    }
    if billing_mode == "PROVISIONED":
        request["ProvisionedThroughput"] = properties["ProvisionedThroughput"]
    for index_property in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if indexes := properties.get(index_property):
            request[index_property] = [{key: index[key] for key in _INDEX_KEYS if key in index} for index in indexes]
    if stream := properties.get("StreamSpecification"):
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    try:
        dynamodb.create_table(**request)
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceInUseException":
            raise
    dynamodb.get_waiter("table_exists").wait(TableName=name)

    ttl = properties.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        already_on = current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        if not (already_on and current.get("AttributeName") == ttl["AttributeName"]):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )


def _create_bucket(s3: S3Client, name: str, properties: dict[str, Any], region: str) -> None:
    try:
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(
                Bucket=name,
                CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
            )
    except ClientError as error:
        if error.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise

    versioning = properties.get("VersioningConfiguration") or {}
    if versioning.get("Status") == "Enabled":
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if public_access := properties.get("PublicAccessBlockConfiguration"):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=public_access)
    if encryption := properties.get("BucketEncryption"):
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [_encryption_rule(rule) for rule in encryption["ServerSideEncryptionConfiguration"]]
            },
        )
    if ownership := properties.get("OwnershipControls"):
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=ownership)


# Queue properties that are CreateQueue attributes of the same name (the rest, tags and the name
# itself, do not change what a local queue does). Attribute values are strings.
_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
)


def _create_queue(sqs: Any, name: str, resource: dict[str, Any]) -> str:
    """Create (or reconfigure) a standard queue; returns its URL."""
    properties = _properties(resource)
    if properties.get("FifoQueue"):
        raise ValueError(f"queue {name}: FIFO queues are not created locally")
    attributes = {
        key: str(properties[key]).lower() if isinstance(properties[key], bool) else str(properties[key])
        for key in _QUEUE_ATTRIBUTES
        if key in properties
    }
    try:
        url: str = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    except ClientError as error:
        # A queue of that name with other attributes (an older template): take the template's.
        if error.response["Error"]["Code"] not in ("QueueAlreadyExists", "QueueNameExists"):
            raise
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        if attributes:
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    return url


def _encryption_rule(cloudformation_rule: dict[str, Any]) -> Any:
    """CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault."""
    rule = dict(cloudformation_rule)
    if default := rule.pop("ServerSideEncryptionByDefault", None):
        rule["ApplyServerSideEncryptionByDefault"] = default
    return rule


# --------------------------------------------------------------------------------------------------
# Function environments
# --------------------------------------------------------------------------------------------------


def function_environment(
    template: Template,
    function_logical_id: str,
    resources: LocalResources,
    parameter_overrides: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment variables a function gets, resolved against the local resources.

    Globals.Function variables are merged with the function's own (the function wins). References
    to tables and buckets become their local names, parameters their default (or override), list
    parameters are joined with ",". Anything that cannot be resolved locally raises ValueError.
    """
    function = _function(template, function_logical_id)
    global_variables = _environment_variables(template.get("Globals", {}).get("Function", {}))
    variables = {**global_variables, **_environment_variables(_properties(function))}
    resolver = _Resolver(template, resources, parameter_overrides or {})
    environment: dict[str, str] = {}
    for name, value in variables.items():
        try:
            environment[name] = resolver.as_string(value)
        except ValueError as error:
            raise ValueError(f"{function_logical_id}: environment variable {name}: {error}") from None
    return environment


def _environment_variables(function_properties: dict[str, Any]) -> dict[str, Any]:
    environment = function_properties.get("Environment") or {}
    variables: dict[str, Any] = environment.get("Variables") or {}
    return variables


class _Resolver:
    """Evaluates the intrinsic functions that can be answered without CloudFormation."""

    def __init__(self, template: Template, resources: LocalResources, overrides: dict[str, str]) -> None:
        self._template = template
        self._resources = resources
        self._overrides = overrides
        self._parameters: dict[str, dict[str, Any]] = template.get("Parameters") or {}

    def as_string(self, value: Any) -> str:
        resolved = self.resolve(value)
        if isinstance(resolved, list):
            return ",".join(resolved)
        return resolved

    def resolve(self, value: Any) -> str | list[str]:
        if isinstance(value, bool):
            # CloudFormation writes booleans the YAML way.
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        if isinstance(value, list):
            return [self.as_string(item) for item in value]
        if isinstance(value, dict) and len(value) == 1:
            ((function_name, argument),) = value.items()
            if function_name == "Ref":
                return self._ref(argument)
            if function_name == "Fn::GetAtt":
                return self._get_att(argument)
            if function_name == "Fn::Join":
                delimiter, parts = argument
                resolved_parts = self.resolve(parts)
                if isinstance(resolved_parts, str):
                    resolved_parts = [resolved_parts]
                return str(delimiter).join(resolved_parts)
            if function_name == "Fn::Select":
                index, items = argument
                resolved_items = self.resolve(items)
                if not isinstance(resolved_items, list):
                    raise ValueError(f"cannot resolve {value!r}: Fn::Select needs a list")
                return resolved_items[int(self.as_string(index))]
            if function_name == "Fn::Sub":
                return self._sub(argument)
        raise ValueError(f"cannot resolve {value!r} locally")

    def _ref(self, name: str) -> str | list[str]:
        if name in self._resources.tables:
            return self._resources.tables[name]
        if name in self._resources.buckets:
            return self._resources.buckets[name]
        if name in self._resources.queues:
            return self._resources.queues[name]
        if (self._template.get("Resources") or {}).get(name, {}).get("Type") == SECRET_TYPE:
            # No secrets are made locally: an empty secret id, and the function uses a key of its own
            # process (one process runs every function locally; newsdesk.settings.client_key_secret).
            return ""
        if name in self._parameters:
            parameter = self._parameters[name]
            raw = self._overrides.get(name, parameter.get("Default"))
            if raw is None:
                raise ValueError(f"parameter {name} has no default and no override")
            if str(parameter.get("Type", "")).startswith(("CommaDelimitedList", "List<")):
                return [item.strip() for item in str(raw).split(",")]
            return str(raw)
        pseudo = {
            "AWS::Region": self._resources.region,
            "AWS::StackName": self._resources.stack_name,
            "AWS::AccountId": LOCAL_ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }
        if name in pseudo:
            return pseudo[name]
        raise ValueError(f"cannot resolve Ref {name!r} locally (not a table, bucket or parameter)")

    def _get_att(self, argument: list[str]) -> str:
        logical_id, attribute = argument
        region = self._resources.region
        if attribute == "Arn":
            if logical_id in self._resources.tables:
                table = self._resources.tables[logical_id]
                return f"arn:aws:dynamodb:{region}:{LOCAL_ACCOUNT_ID}:table/{table}"
            if logical_id in self._resources.buckets:
                return f"arn:aws:s3:::{self._resources.buckets[logical_id]}"
            if logical_id in self._resources.queues:
                return queue_arn(self._resources.queues[logical_id], region)
            if logical_id in self._template.get("Resources", {}):
                return f"arn:aws:local:{region}:{LOCAL_ACCOUNT_ID}:{logical_id}"
        raise ValueError(f"cannot resolve Fn::GetAtt {logical_id}.{attribute} locally")

    def _sub(self, argument: str | list[Any]) -> str:
        if isinstance(argument, list):
            text, variables = argument
            local = {name: self.as_string(value) for name, value in variables.items()}
        else:
            text, local = argument, {}

        def substitute(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("!"):
                return "${" + expression[1:] + "}"
            if expression in local:
                return local[expression]
            if "." in expression:
                return self._get_att(expression.split(".", 1))
            return self.as_string({"Ref": expression})

        return re.sub(r"\$\{([^}]+)\}", substitute, text)


# --------------------------------------------------------------------------------------------------
# Event sources
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpRoute:
    """One HTTP API route: what API Gateway would invoke, and behind which authorizer."""

    method: str
    path: str
    function_logical_id: str
    handler: str
    authorizer: str | None


def _function(template: Template, function_logical_id: str) -> dict[str, Any]:
    function = _resources_of_type(template, FUNCTION_TYPE).get(function_logical_id)
    if function is None:
        raise ValueError(f"{function_logical_id} is not an AWS::Serverless::Function in the template")
    return function


def _handler(template: Template, function: dict[str, Any]) -> str:
    handler = _properties(function).get("Handler") or template.get("Globals", {}).get("Function", {}).get("Handler")
    if not isinstance(handler, str):
        raise ValueError(f"function has no Handler: {function!r}")
    return handler


def _function_events(template: Template, event_type: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for logical_id, function in _resources_of_type(template, FUNCTION_TYPE).items():
        for event in (_properties(function).get("Events") or {}).values():
            if event.get("Type") == event_type:
                found.append((logical_id, event.get("Properties") or {}))
    return found


def _default_authorizer(template: Template, api_id: Any) -> str | None:
    """The DefaultAuthorizer of the HttpApi an event is attached to (the implicit API without ApiId)."""
    if isinstance(api_id, dict) and "Ref" in api_id:
        api = _resources_of_type(template, HTTP_API_TYPE).get(api_id["Ref"])
        if api is None:
            raise ValueError(f"HttpApi event refers to unknown API {api_id['Ref']!r}")
        auth = _properties(api).get("Auth") or {}
    else:
        auth = template.get("Globals", {}).get("HttpApi", {}).get("Auth") or {}
    default: str | None = auth.get("DefaultAuthorizer")
    return default


def http_routes(template: Template) -> list[HttpRoute]:
    """Every HttpApi event of every function, with the authorizer API Gateway would run first.

    The authorizer is the event's own ``Auth.Authorizer``, else the API's DefaultAuthorizer;
    ``NONE`` means the route is public (authorizer None). An event without properties is the
    catch-all route: method ``ANY``, path ``$default``.
    """
    routes: list[HttpRoute] = []
    functions = _resources_of_type(template, FUNCTION_TYPE)
    for logical_id, properties in _function_events(template, "HttpApi"):
        authorizer = (properties.get("Auth") or {}).get("Authorizer") or _default_authorizer(
            template, properties.get("ApiId")
        )
        routes.append(
            HttpRoute(
                method=str(properties.get("Method", "ANY")).upper(),
                path=properties.get("Path", "$default"),
                function_logical_id=logical_id,
                handler=_handler(template, functions[logical_id]),
                authorizer=None if authorizer == "NONE" else authorizer,
            )
        )
    return routes


def authorizer_handler(template: Template, authorizer_name: str) -> str:
    """The Handler of the function behind a named HttpApi Lambda authorizer."""
    apis = list(_resources_of_type(template, HTTP_API_TYPE).values())
    global_auth = template.get("Globals", {}).get("HttpApi", {}).get("Auth") or {}
    authorizer_sets = [(_properties(api).get("Auth") or {}).get("Authorizers") or {} for api in apis]
    authorizer_sets.append(global_auth.get("Authorizers") or {})
    for authorizers in authorizer_sets:
        authorizer = authorizers.get(authorizer_name)
        if authorizer is None:
            continue
        function_arn = authorizer.get("FunctionArn")
        if isinstance(function_arn, dict) and "Fn::GetAtt" in function_arn:
            function_logical_id, _attribute = function_arn["Fn::GetAtt"]
            return _handler(template, _function(template, function_logical_id))
        # "!Ref Function.Alias": SAM's reference to the alias of the function's published versions.
        reference = function_arn.get("Ref") if isinstance(function_arn, dict) else None
        if isinstance(reference, str) and reference.endswith(".Alias"):
            return _handler(template, _function(template, reference.removesuffix(".Alias")))
        raise ValueError(f"authorizer {authorizer_name} does not point at a function of this template")
    raise ValueError(f"no HttpApi defines an authorizer named {authorizer_name!r}")


def other_events(template: Template, event_type: str) -> list[tuple[str, str, dict[str, Any]]]:
    """``(function_logical_id, handler, event_properties)`` for every event of a type.

    For the event sources the local stack drives itself, e.g. ``DynamoDB`` (table streams),
    ``Schedule`` and ``ScheduleV2`` (timers).
    """
    functions = _resources_of_type(template, FUNCTION_TYPE)
    return [
        (logical_id, _handler(template, functions[logical_id]), properties)
        for logical_id, properties in _function_events(template, event_type)
    ]


@dataclass(frozen=True)
class StreamSource:
    """A ``DynamoDB`` event of a function: which table's stream, and how Lambda would deliver it."""

    function_logical_id: str
    handler: str
    event_name: str
    table_logical_id: str
    starting_position: str
    batch_size: int
    maximum_retry_attempts: int
    bisect_on_error: bool
    report_batch_item_failures: bool
    # FilterCriteria patterns, parsed; a record is delivered when any matches (none: every record).
    filter_patterns: tuple[dict[str, Any], ...]
    # DestinationConfig.OnFailure: the logical id of the queue a batch goes to after its retries.
    on_failure_logical_id: str | None = None
    # MaximumBatchingWindowInSeconds (a parameter is read at its default): how long Lambda gathers
    # records for a fuller batch before it invokes.
    batching_window_seconds: float = 0.0


@dataclass(frozen=True)
class ScheduleSource:
    """A ``Schedule`` or ``ScheduleV2`` event of a function: an EventBridge timer."""

    function_logical_id: str
    handler: str
    event_name: str
    event_type: str
    expression: str
    enabled: bool


# Lambda's defaults for a DynamoDB event source mapping.
DEFAULT_STREAM_BATCH_SIZE = 100
# -1 is "retry until the record expires from the stream" in Lambda.
INFINITE_RETRIES = -1


def _named_function_events(template: Template, event_type: str) -> list[tuple[str, str, str, dict[str, Any]]]:
    """``(function_logical_id, handler, event_name, properties)`` for every event of a type."""
    found: list[tuple[str, str, str, dict[str, Any]]] = []
    for logical_id, function in _resources_of_type(template, FUNCTION_TYPE).items():
        for event_name, event in (_properties(function).get("Events") or {}).items():
            if event.get("Type") == event_type:
                found.append((logical_id, _handler(template, function), event_name, event.get("Properties") or {}))
    return found


def _get_att_of(value: Any, attribute: str) -> str | None:
    """The logical id that ``!GetAtt <LogicalId>.<attribute>`` names; None for anything else."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, named = value["Fn::GetAtt"]
        if named == attribute:
            return str(logical_id)
    return None


def _stream_table(function_logical_id: str, stream: Any) -> str:
    """The logical id of the table whose stream ``!GetAtt Table.StreamArn`` names."""
    if (table := _get_att_of(stream, "StreamArn")) is not None:
        return table
    raise ValueError(
        f"{function_logical_id}: the local stack follows streams given as !GetAtt <Table>.StreamArn, not {stream!r}"
    )


def _filter_patterns(function_logical_id: str, properties: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    filters = (properties.get("FilterCriteria") or {}).get("Filters") or []
    patterns: list[dict[str, Any]] = []
    for entry in filters:
        raw = entry.get("Pattern")
        try:
            pattern = json.loads(raw) if isinstance(raw, str) else None
        except json.JSONDecodeError as error:
            raise ValueError(f"{function_logical_id}: filter pattern is not JSON: {raw!r} ({error})") from None
        if not isinstance(pattern, dict):
            raise ValueError(f"{function_logical_id}: filter pattern must be a JSON object string, not {raw!r}")
        patterns.append(pattern)
    return tuple(patterns)


def _on_failure_queue(function_logical_id: str, properties: dict[str, Any]) -> str | None:
    """The queue ``DestinationConfig.OnFailure.Destination: !GetAtt Queue.Arn`` names, if any."""
    destination = ((properties.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
    if destination is None:
        return None
    if (queue := _get_att_of(destination, "Arn")) is not None:
        return queue
    raise ValueError(
        f"{function_logical_id}: the local stack sends failed batches to a destination given as "
        f"!GetAtt <Queue>.Arn, not {destination!r}"
    )


def queue_arn(url: str, region: str) -> str:
    """The ARN of the queue at ``url`` (its last path segment is the name)."""
    return f"arn:aws:sqs:{region}:{LOCAL_ACCOUNT_ID}:{url.rstrip('/').rsplit('/', 1)[-1]}"


def stream_sources(template: Template) -> list[StreamSource]:
    """Every function's ``DynamoDB`` events, with what the local stream poller needs to emulate them."""
    sources: list[StreamSource] = []
    resolver = _Resolver(template, LocalResources(stack_name="local"), {})
    for logical_id, handler, event_name, properties in _named_function_events(template, "DynamoDB"):
        sources.append(
            StreamSource(
                function_logical_id=logical_id,
                handler=handler,
                event_name=event_name,
                table_logical_id=_stream_table(logical_id, properties.get("Stream")),
                starting_position=str(properties.get("StartingPosition", "LATEST")),
                batch_size=int(properties.get("BatchSize", DEFAULT_STREAM_BATCH_SIZE)),
                maximum_retry_attempts=int(properties.get("MaximumRetryAttempts", INFINITE_RETRIES)),
                bisect_on_error=bool(properties.get("BisectBatchOnFunctionError", False)),
                report_batch_item_failures="ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or []),
                filter_patterns=_filter_patterns(logical_id, properties),
                on_failure_logical_id=_on_failure_queue(logical_id, properties),
                batching_window_seconds=_seconds(resolver, properties.get("MaximumBatchingWindowInSeconds", 0)),
            )
        )
    return sources


def _seconds(resolver: _Resolver, value: Any) -> float:
    """A number of seconds of the template, or 0 when it is not one (unresolvable, negative)."""
    try:
        return max(0.0, float(resolver.as_string(value)))
    except (TypeError, ValueError, KeyError):
        return 0.0


def schedule_sources(template: Template, parameter_overrides: dict[str, str] | None = None) -> list[ScheduleSource]:
    """Every function's ``Schedule`` and ``ScheduleV2`` events (EventBridge rules and schedules).

    The expression is resolved when it is a parameter (``Schedule: !Ref EmbargoSchedule``).
    """
    resolver = _Resolver(template, LocalResources(stack_name="local"), parameter_overrides or {})
    sources: list[ScheduleSource] = []
    for event_type, expression_key in (("Schedule", "Schedule"), ("ScheduleV2", "ScheduleExpression")):
        for logical_id, handler, event_name, properties in _named_function_events(template, event_type):
            enabled = properties.get("Enabled", True)
            if "State" in properties:
                enabled = properties["State"] == "ENABLED"
            sources.append(
                ScheduleSource(
                    function_logical_id=logical_id,
                    handler=handler,
                    event_name=event_name,
                    event_type=event_type,
                    expression=resolver.as_string(properties.get(expression_key, "")),
                    enabled=bool(enabled),
                )
            )
    return sources


@dataclass(frozen=True)
class CorsConfiguration:
    """The HTTP API's CORS settings; API Gateway answers preflights itself and adds the headers."""

    allow_origins: tuple[str, ...]
    allow_methods: tuple[str, ...]
    allow_headers: tuple[str, ...]
    max_age: int

    def allows(self, origin: str) -> bool:
        return "*" in self.allow_origins or origin in self.allow_origins


def cors_configuration(
    template: Template, parameter_overrides: dict[str, str] | None = None
) -> CorsConfiguration | None:
    """The CorsConfiguration of the template's HTTP API, with parameters resolved; None if it has none."""
    overrides = parameter_overrides or {}
    parameters = template.get("Parameters") or {}

    def values(value: Any) -> tuple[str, ...]:
        if isinstance(value, dict) and "Ref" in value:
            name = value["Ref"]
            raw = overrides.get(name, (parameters.get(name) or {}).get("Default", ""))
            return tuple(part.strip() for part in str(raw).split(",") if part.strip())
        if isinstance(value, list):
            return tuple(str(item) for item in value)
        return (str(value),) if value else ()

    for resource in _resources_of_type(template, "AWS::Serverless::HttpApi").values():
        cors = _properties(resource).get("CorsConfiguration")
        if isinstance(cors, dict):
            return CorsConfiguration(
                allow_origins=values(cors.get("AllowOrigins")),
                allow_methods=tuple(method.upper() for method in values(cors.get("AllowMethods"))),
                allow_headers=tuple(header.lower() for header in values(cors.get("AllowHeaders"))),
                max_age=int(cors.get("MaxAge") or 0),
            )
    return None


@dataclass(frozen=True)
class Throttle:
    """API Gateway's throttle of one route: a token bucket of ``burst`` refilled at ``rate`` per second."""

    rate: float
    burst: int


@dataclass(frozen=True)
class RouteThrottles:
    """The HTTP API stage's DefaultRouteSettings and RouteSettings throttles, parameters resolved."""

    default: Throttle | None = None
    routes: dict[str, Throttle] = field(default_factory=dict)

    def for_route(self, route_key: str) -> Throttle | None:
        """The throttle of a route key ("POST /v1/events"); None when nothing throttles it."""
        return self.routes.get(route_key, self.default)


def route_throttles(template: Template, parameter_overrides: dict[str, str] | None = None) -> RouteThrottles:
    """The throttles of the template's HTTP API: each route's own bucket, as API Gateway keeps them.

    A route without a RouteSettings entry gets the DefaultRouteSettings values (a bucket of its own,
    not one shared with the other routes); settings that do not name both limits are ignored, as
    are those of any HTTP API after the first.
    """
    resolver = _Resolver(template, LocalResources(stack_name="local"), parameter_overrides or {})

    def throttle(settings: Any) -> Throttle | None:
        if not isinstance(settings, dict) or not {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= settings.keys():
            return None
        return Throttle(
            rate=float(resolver.as_string(settings["ThrottlingRateLimit"])),
            burst=int(float(resolver.as_string(settings["ThrottlingBurstLimit"]))),
        )

    for resource in _resources_of_type(template, HTTP_API_TYPE).values():
        properties = _properties(resource)
        routes = {
            route_key: found
            for route_key, settings in (properties.get("RouteSettings") or {}).items()
            if (found := throttle(settings)) is not None
        }
        return RouteThrottles(default=throttle(properties.get("DefaultRouteSettings")), routes=routes)
    return RouteThrottles()
