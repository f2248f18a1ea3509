"""Dead letters put in a queue on moto and drained by ``Redriver`` with a recording invoker."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import boto3

from newsdesk_ops.commands.redrive import Redriver, RedriveReport

# A queued letter: its body, and the message attributes it came with (EventBridge's undelivered events).
Letter = dict[str, Any] | tuple[dict[str, Any], dict[str, Any]]


def drain(
    queue_name: str, letters: Sequence[Letter], functions: Mapping[str, Sequence[Mapping[str, Any]]]
) -> tuple[RedriveReport, list[str]]:
    """Queue ``letters`` in ``newsdesk-{queue_name}``, redrive it with the stack's ``functions`` (name
    -> stream filters); the report and the names of the functions invoked (each invocation succeeds)."""
    sqs = boto3.client("sqs", region_name="eu-west-1")
    queue = sqs.create_queue(QueueName=f"newsdesk-{queue_name}")["QueueUrl"]
    for letter in letters:
        body, attributes = letter if isinstance(letter, tuple) else (letter, {})
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body), MessageAttributes=attributes)
    invoked: list[str] = []

    def invoke(name: str, event: dict[str, Any]) -> tuple[bool, str]:
        invoked.append(name)
        return True, ""

    report = RedriveReport()
    Redriver(sqs, boto3.client("dynamodbstreams", region_name="eu-west-1"), invoke, functions).drain(
        queue_name, queue, report
    )
    return report, invoked
