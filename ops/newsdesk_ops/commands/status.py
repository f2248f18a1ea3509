"""``newsdesk status``: what the stack holds and whether anything needs an operator.

Articles by status (the article index, then the CURRENT items: reads grow with the number of
articles, not their history), the last publish (``v1/manifest.json``'s ``generated_at``) and the
last trending run that changed the rankings (the TRENDING item's ``generated_at``), the depth of
the template's dead-letter queues and the stack's alarms in state ALARM. On the local stack the
queues are its own (created from the template on its moto; the stream pollers send failed batches
there); alarms are not emulated locally, and status says so.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError

from newsdesk.dal.articles import ArticleStore
from newsdesk.dal.engagement import CounterStore
from newsdesk.snapshots.paths import MANIFEST_PATH
from newsdesk_ops.template import load_template, local_queue_urls

if TYPE_CHECKING:
    from newsdesk_ops.cli import Runtime, Subparsers
    from newsdesk_ops.target import Target

NOT_EMULATED = "not emulated on the local stack"


def register(commands: Subparsers) -> None:
    status = commands.add_parser("status", help="articles by status, last runs, dead letters, alarms firing")
    status.set_defaults(run=run)


def run(args: argparse.Namespace, runtime: Runtime) -> int:
    target = runtime.target()
    print(f"Newsdesk: {target.description or target.table_name}")
    counts = articles_by_status(target)
    total = sum(counts.values())
    listed = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
    print(f"Articles: {total}" + (f" ({listed})" if listed else ""))
    print(f"Last publish: {last_publish(target)}")
    trending = CounterStore(target.table_name, target.dynamodb_client()).get_trending()
    print(f"Last trending change: {trending.generated_at if trending else 'never (no rankings stored)'}")
    if target.is_local:
        sqs = target.sqs_client()
        queues = local_queue_urls(load_template(), stack_name=target.stack_name, sqs=sqs)
        alarms: dict[str, str] = {}
    else:
        resources = stack_resources(args.stack, target.region)
        sqs = boto3.client("sqs", region_name=target.region)
        queues, alarms = resources.get("AWS::SQS::Queue", {}), resources.get("AWS::CloudWatch::Alarm", {})
    depths = queue_depths(sqs, queues)
    waiting = sum(depth for depth in depths.values() if depth > 0)
    print("Dead letters: " + (", ".join(f"{name} {depth}" for name, depth in sorted(depths.items())) or "no queues"))
    firing: list[str] = []
    if target.is_local:
        print(f"Alarms firing: {NOT_EMULATED}")
    else:
        firing = firing_alarms(boto3.client("cloudwatch", region_name=target.region), list(alarms.values()))
        print("Alarms firing: " + (", ".join(firing) if firing else "none"))
    if waiting:
        print("Dead letters are waiting: fix the cause, then `newsdesk redrive` (docs/operations.md).")
    return 1 if waiting or firing else 0


def articles_by_status(target: Target) -> Counter[str]:
    store = ArticleStore(target.table_name, client=target.dynamodb_client())
    return Counter(record.status.value for record in store.all_current())


def last_publish(target: Target) -> str:
    if not target.snapshot_bucket:
        return "unknown (no snapshot bucket)"
    try:
        body = target.s3_client().get_object(Bucket=target.snapshot_bucket, Key=MANIFEST_PATH)["Body"].read()
        manifest: Any = json.loads(body)
    except ClientError:
        return "never (no v1/manifest.json)"
    except ValueError:
        return "unreadable v1/manifest.json"
    generated = manifest.get("generated_at") if isinstance(manifest, dict) else None
    return f"manifest generated at {generated}" if generated else "manifest without generated_at"


def stack_resources(stack: str, region: str) -> dict[str, dict[str, str]]:
    """Resource type -> logical id -> physical id (a queue's URL, an alarm's name) of the stack."""
    found: dict[str, dict[str, str]] = {}
    pages = boto3.client("cloudformation", region_name=region).get_paginator("list_stack_resources")
    for page in pages.paginate(StackName=stack):
        for resource in page["StackResourceSummaries"]:
            physical = resource.get("PhysicalResourceId")
            if physical:
                found.setdefault(resource["ResourceType"], {})[resource["LogicalResourceId"]] = physical
    return found


def queue_depths(sqs: Any, queues: dict[str, str]) -> dict[str, int]:
    """Logical id -> ApproximateNumberOfMessages of every dead-letter queue among ``queues`` (id -> URL)."""
    depths: dict[str, int] = {}
    for name, url in queues.items():
        if "DeadLetter" not in name:
            continue
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        depths[name] = int(attributes["Attributes"]["ApproximateNumberOfMessages"])
    return depths


def firing_alarms(cloudwatch: Any, names: list[str]) -> list[str]:
    """Those of ``names`` in state ALARM (describe_alarms takes 100 names a call)."""
    firing: list[str] = []
    for start in range(0, len(names), 100):
        response = cloudwatch.describe_alarms(AlarmNames=names[start : start + 100], StateValue="ALARM")
        found = response.get("MetricAlarms", []) + response.get("CompositeAlarms", [])
        # Checked here too: moto (the local tests) applies no state filter beside AlarmNames.
        firing += [alarm["AlarmName"] for alarm in found if alarm.get("StateValue") == "ALARM"]
    return sorted(firing)
