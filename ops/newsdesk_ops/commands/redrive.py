"""``newsdesk redrive [--dry-run]``: replay the dead letters of the stack's queues.

What the template sends to its dead-letter queues (``DestinationConfig.OnFailure``):
- stream consumers (publish, view counter, media): a batch that kept failing. The message holds no
  records, only where they were: ``DDBStreamBatchInfo`` (stream, shard, first and last sequence
  number) and the function (``requestContext.functionArn``). Redrive reads that range of the shard
  again, keeps the records the function's FilterCriteria (template.yaml) would have let through, and
  invokes the function with them. The stream keeps records 24 hours: older ones are no longer
  readable, and redrive says so (publish: run ``newsdesk publish --all``; the view counter: those
  views are not counted) and leaves the message unless ``--discard-unreadable``.
- timers (embargo, trending): an asynchronous invocation that failed; the message holds the event
  (``requestPayload``), which is invoked again.
- timers again (``DeadLetterConfig`` of their Schedule events): a scheduled event EventBridge could not
  deliver. The message body is the event itself; the target is in the message attributes
  (``TARGET_ARN``, with ``RULE_ARN``, ``ERROR_CODE`` and ``ERROR_MESSAGE``); the event is invoked again.
Anyone allowed to send to a queue writes its letters, so a letter is replayed only as the template could
have produced it: a stream consumer's from its table's stream (never records the letter carries), an event
only to a timer's function (a Schedule event in the template) and only when it is a scheduled event.
Any other letter is counted as failed and left in the queue. A message is deleted only after its replay
succeeded.

On the local stack the queues are its own (its stream pollers send the batches they give up on
there, and keep those records in the stream until the stack restarts); the stream is read through
its moto endpoint, and the functions run in this process with the environment the stack gives them.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError, ParamValidationError

from newsdesk_ops.commands.status import stack_resources
from newsdesk_ops.event_filters import passes_filters
from newsdesk_ops.stream_records import lambda_stream_record
from newsdesk_ops.template import Template, load_template, local_queue_urls, schedule_sources, stream_sources

if TYPE_CHECKING:
    from newsdesk_ops.cli import Runtime, Subparsers
    from newsdesk_ops.gateway import LocalFunctions
    from newsdesk_ops.target import Target

# (function name or ARN, event) -> (succeeded, what went wrong)
Invoke = Callable[[str, dict[str, Any]], tuple[bool, str]]
_UNREADABLE = {"TrimmedDataAccessException", "ExpiredIteratorException", "ResourceNotFoundException"}


@dataclass
class RedriveReport:
    replayed: int = 0
    unreadable: int = 0
    failed: int = 0
    discarded: int = 0
    notes: list[str] = field(default_factory=list)


def register(commands: Subparsers) -> None:
    redrive = commands.add_parser("redrive", help="replay the dead letters of the stack's queues")
    redrive.add_argument("--dry-run", action="store_true", help="say what each dead letter holds, replay nothing")
    redrive.add_argument(
        "--discard-unreadable",
        action="store_true",
        help="delete dead letters whose stream records are gone (after `publish --all`)",
    )
    redrive.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    target = runtime.target()
    if target.is_local:
        return run_local(args, target)
    resources = stack_resources(args.stack, target.region)
    queues = {name: url for name, url in resources.get("AWS::SQS::Queue", {}).items() if "DeadLetter" in name}
    functions = resources.get("AWS::Lambda::Function", {})
    # Every function's physical name -> its stream filters (by logical id in the template; none: a timer's).
    filters: dict[str, Sequence[Mapping[str, Any]]] = {name: () for name in functions.values()}
    template = load_template()
    filters |= {
        functions[source.function_logical_id]: source.filter_patterns
        for source in stream_sources(template)
        if source.function_logical_id in functions
    }
    return redrive(
        args,
        target,
        template,
        functions,
        queues=queues,
        sqs=boto3.client("sqs", region_name=target.region),
        streams=boto3.client("dynamodbstreams", region_name=target.region),
        invoke=lambda_invoker(boto3.client("lambda", region_name=target.region)),
        filters=filters,
    )


def run_local(args: argparse.Namespace, target: Target) -> int:
    """Redrive on the local stack: its queues and stream through its endpoint, its functions in this process."""
    from newsdesk_ops.local_stack import functions_of_running_stack  # moto's server only when needed

    template = load_template()
    sqs = target.sqs_client()
    queues = {
        name: url
        for name, url in local_queue_urls(template, stack_name=target.stack_name, sqs=sqs).items()
        if "DeadLetter" in name
    }
    with functions_of_running_stack(
        template,
        stack_name=target.stack_name,
        region=target.region,
        endpoint_url=str(target.endpoint_url),
        site_url=target.site_url,
    ) as functions:
        names = {logical_id: function.function_name for logical_id, function in functions.functions.items()}
        return redrive(
            args,
            target,
            template,
            names,
            queues=queues,
            sqs=sqs,
            streams=target.streams_client(),
            invoke=local_invoker(functions),
            filters={name: () for name in names.values()}
            | {names[source.function_logical_id]: source.filter_patterns for source in stream_sources(template)},
        )


def redrive(
    args: argparse.Namespace,
    target: Target,
    template: Template,
    names: Mapping[str, str],
    *,
    queues: Mapping[str, str],
    sqs: Any,
    streams: Any,
    invoke: Invoke,
    filters: Mapping[str, Sequence[Mapping[str, Any]]],
) -> int:
    """Replay the dead letters of ``queues`` through ``invoke`` (``names``: the functions' logical id ->
    physical name; ``filters``: each function's stream filters), then report."""
    consumers, timers = replayable_functions(template, names)
    redriver = Redriver(
        sqs=sqs,
        streams=streams,
        invoke=invoke,
        filters=filters,
        consumers=consumers,
        timers=timers,
        stream_prefixes=stack_stream_prefixes(target),
        dry_run=args.dry_run,
        discard_unreadable=args.discard_unreadable,
    )
    return drain_and_report(redriver, queues, args)


def replayable_functions(template: Template, names: Mapping[str, str]) -> tuple[frozenset[str], frozenset[str]]:
    """The physical names (``names``: logical id -> name) of the stream consumers and of the timers' functions."""
    consumers = {source.function_logical_id for source in stream_sources(template)}
    timers = {source.function_logical_id for source in schedule_sources(template)}
    return (
        frozenset(names[logical_id] for logical_id in consumers if logical_id in names),
        frozenset(names[logical_id] for logical_id in timers if logical_id in names),
    )


def stack_stream_prefixes(target: Target) -> frozenset[str]:
    """``arn:...:table/<the stack's table>/stream/``: the streams a letter's positions may name (any label).

    Any label, so a letter of a stream the table had before its stream was turned off and on stays readable.
    """
    table = target.dynamodb_client().describe_table(TableName=target.table_name)["Table"]
    latest = table.get("LatestStreamArn")
    return frozenset({latest.split("/stream/")[0] + "/stream/"}) if latest else frozenset()


def drain_and_report(redriver: Redriver, queues: Mapping[str, str], args: argparse.Namespace) -> int:
    report = RedriveReport()
    for name, url in sorted(queues.items()):
        redriver.drain(name, url, report)
    for note in report.notes:
        print(f"  {note}", file=sys.stderr)
    mode = " (dry run)" if args.dry_run else ""
    print(
        f"Dead letters{mode}: {report.replayed} replayed, {report.unreadable} no longer readable, "
        f"{report.failed} failed again, {report.discarded} discarded."
    )
    return 1 if report.failed or (report.unreadable and not args.discard_unreadable) else 0


def lambda_invoker(client: Any) -> Invoke:
    def invoke(function: str, event: dict[str, Any]) -> tuple[bool, str]:
        response = client.invoke(FunctionName=function, Payload=json.dumps(event).encode("utf-8"))
        payload = response["Payload"].read()
        if response.get("FunctionError"):
            return False, f"function error: {payload[:300]!r}"
        return _answered(json.loads(payload or b"null"))

    return invoke


def local_invoker(functions: LocalFunctions) -> Invoke:
    """Invokes the local stack's functions in this process, by the function name the dead letter's ARN holds."""
    logical_ids = {function.function_name: logical_id for logical_id, function in functions.functions.items()}

    def invoke(function: str, event: dict[str, Any]) -> tuple[bool, str]:
        name = function.split(":function:")[-1].split(":")[0]
        if name not in logical_ids:
            return False, f"{name} is not a function of the local stack"
        try:
            answer = functions.invoke(logical_ids[name], event)
        except Exception as error:  # the function's own error, as Lambda reports it
            return False, f"function error: {error!r}"[:300]
        return _answered(answer)

    return invoke


def _attribute(message: Mapping[str, Any], name: str) -> str | None:
    """A message attribute's string value (EventBridge's dead letters: RULE_ARN, TARGET_ARN, ERROR_CODE...)."""
    value = message.get("MessageAttributes", {}).get(name, {}).get("StringValue")
    return str(value) if value is not None else None


def _is_scheduled_event(event: Any) -> bool:
    """An EventBridge scheduled event, what a timer's function is invoked with.

    Without records: publish reads any event holding stream records as a stream batch first.
    """
    return (
        isinstance(event, dict)
        and event.get("source") == "aws.events"
        and event.get("detail-type") == "Scheduled Event"
        and "Records" not in event
    )


def _answered(answer: Any) -> tuple[bool, str]:
    """Whether a function's answer is a success: a partial batch response with failures is not."""
    if isinstance(answer, dict) and answer.get("batchItemFailures"):
        return False, f"{len(answer['batchItemFailures'])} records failed again"
    return True, ""


@dataclass
class Redriver:
    sqs: Any
    streams: Any
    invoke: Invoke
    # Every function of the stack by name, with its stream filters (none for a timer's function). A
    # letter naming any other function is not replayed: anyone allowed to send to a queue writes its
    # letters, and the operator's credentials must invoke nothing outside the stack.
    filters: Mapping[str, Sequence[Mapping[str, Any]]]
    # The stream consumers (replayed from the stream only) and the timers' functions (replayed a
    # scheduled event), from the template. None: every function of ``filters`` (callers that know no
    # template; `newsdesk redrive` always gives both).
    consumers: Collection[str] | None = None
    timers: Collection[str] | None = None
    # The streams a letter's positions may name (ARN prefixes); None: any.
    stream_prefixes: Collection[str] | None = None
    dry_run: bool = False
    discard_unreadable: bool = False

    def drain(self, queue_name: str, url: str, report: RedriveReport) -> None:
        seen: set[str] = set()
        kept: list[str] = []  # receipt handles of the letters left in the queue
        while True:
            # The attributes hold the target of an event EventBridge could not deliver (TARGET_ARN).
            messages = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=120, MessageAttributeNames=["All"]
            ).get("Messages", [])
            fresh = [message for message in messages if message["MessageId"] not in seen]
            if not fresh:
                break
            for message in fresh:
                seen.add(message["MessageId"])
                if self.replay(queue_name, message, report):
                    self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    kept.append(message["ReceiptHandle"])
        # Received letters stay hidden for the visibility timeout: a redrive right after a dry run would
        # find none, and status would count none. The ones left are visible again once the drain is done.
        for handle in kept:
            self.sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)

    def replay(self, queue_name: str, message: Mapping[str, Any], report: RedriveReport) -> bool:
        """Replay one dead letter; True when it may be deleted."""

        def refuse(note: str) -> bool:
            report.failed += 1
            report.notes.append(f"{queue_name} {message['MessageId']}: {note}; left in the queue")
            return False

        try:
            letter = json.loads(message["Body"])
        except ValueError:
            return refuse("not JSON")
        if not isinstance(letter, dict):
            return refuse("not a Lambda failure record nor an undelivered event")
        target_arn = _attribute(message, "TARGET_ARN")
        if "requestContext" not in letter and target_arn is not None:
            # EventBridge's dead letter: the event it could not deliver, as it is.
            function, event = target_arn, letter
            undelivered = f" (EventBridge could not deliver it: {_attribute(message, 'ERROR_CODE')})"
        else:
            try:
                function = str(letter["requestContext"]["functionArn"])
            except (KeyError, TypeError):
                return refuse("not a Lambda failure record nor an undelivered event")
            event, undelivered = None, ""
        name = function.split(":function:")[-1].split(":")[0]
        if name not in self.filters:
            return refuse(f"names {name[:100]!r}, not a function of this stack")
        consumers = self.filters.keys() if self.consumers is None else self.consumers
        timers = self.filters.keys() if self.timers is None else self.timers
        if event is None and "DDBStreamBatchInfo" in letter:
            if name not in consumers:
                return refuse(f"stream positions for {name}, which reads no stream")
            info = letter["DDBStreamBatchInfo"]
            stream_arn = str(info.get("streamArn")) if isinstance(info, dict) else ""
            if self.stream_prefixes is not None and not stream_arn.startswith(tuple(self.stream_prefixes)):
                return refuse(f"stream positions {str(info)[:200]} are not of the stack's table stream")
            try:
                event = {"Records": self.stream_records(info, self.filters[name])}
            except (LookupError, TypeError, ValueError, AttributeError, ParamValidationError):
                return refuse(f"stream positions {str(info)[:200]} are incomplete or not of a stream")
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in _UNREADABLE:
                    return refuse(f"the stream could not be read ({code}: {str(error)[:200]})")
                report.unreadable += 1
                report.notes.append(
                    f"{queue_name}: records {info.get('startSequenceNumber')}..{info.get('endSequenceNumber')} of "
                    f"{name} are no longer in the stream (kept 24 hours); publish: run `newsdesk publish --all`"
                )
                if self.discard_unreadable and not self.dry_run:
                    report.discarded += 1
                    return True
                return False
        else:
            if event is None:
                event = letter.get("requestPayload")
            if name not in timers:
                return refuse(f"an event for {name}, which has no Schedule event in the template")
            if not _is_scheduled_event(event):
                return refuse(f"an event for {name} that is not a scheduled event")
        assert isinstance(event, dict)
        if self.dry_run:
            count = len(event["Records"]) if "Records" in event else 1
            report.notes.append(f"{queue_name}: would replay {count} record(s) to {name}{undelivered}")
            return False
        # By name, so in the operator's own account and region whatever account the ARN names.
        succeeded, problem = self.invoke(name, event)
        if succeeded:
            report.replayed += 1
            return True
        report.failed += 1
        report.notes.append(f"{queue_name}: {name} failed again: {problem}; left in the queue")
        return False

    def stream_records(self, info: Mapping[str, Any], patterns: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The records of ``info``'s range of the shard that the function's filters let through."""
        stream_arn, end = str(info["streamArn"]), int(info["endSequenceNumber"])
        iterator = self.streams.get_shard_iterator(
            StreamArn=stream_arn,
            ShardId=info["shardId"],
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            SequenceNumber=str(info["startSequenceNumber"]),
        ).get("ShardIterator")
        region = stream_arn.split(":")[3]
        found: list[dict[str, Any]] = []
        while iterator:
            page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            records = page.get("Records", [])
            for record in records:
                if int(record["dynamodb"]["SequenceNumber"]) > end:
                    return found
                delivered = lambda_stream_record(record, stream_arn, region)
                if passes_filters(patterns, delivered):
                    found.append(delivered)
            if not records:
                return found
            iterator = page.get("NextShardIterator")
        return found
