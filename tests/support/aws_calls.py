"""Counting what code asks of AWS, from botocore's event hooks: calls, items read, objects written.

Production classes count nothing for tests; a test (or a benchmark) attaches an :class:`AwsCalls`
to the clients it wants watched and reads the tallies afterwards.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


def items_read(operation: str, parsed: dict[str, Any]) -> int:
    """DynamoDB items a response read, as DynamoDB bills them (scanned, not returned)."""
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", 0))
    if operation == "GetItem":
        return 1 if parsed.get("Item") else 0
    if operation == "BatchGetItem":
        return sum(len(items) for items in parsed.get("Responses", {}).values())
    return 0


@dataclass
class AwsCalls:
    """Calls by ``service:Operation``, DynamoDB items read, and the keys of S3 objects written."""

    calls: Counter[str] = field(default_factory=Counter)
    items_read: int = 0
    s3_puts: list[str] = field(default_factory=list)
    s3_gets: list[str] = field(default_factory=list)
    _clients: list[Any] = field(default_factory=list)

    def watch(self, *clients: Any) -> AwsCalls:
        for client in clients:
            service = client.meta.service_model.service_name
            client.meta.events.register(f"after-call.{service}", self._after_call)
            client.meta.events.register(f"provide-client-params.{service}.PutObject", self._put_object)
            client.meta.events.register(f"provide-client-params.{service}.GetObject", self._get_object)
            self._clients.append(client)
        return self

    def stop(self) -> None:
        for client in self._clients:
            service = client.meta.service_model.service_name
            client.meta.events.unregister(f"after-call.{service}", self._after_call)
            client.meta.events.unregister(f"provide-client-params.{service}.PutObject", self._put_object)
            client.meta.events.unregister(f"provide-client-params.{service}.GetObject", self._get_object)
        self._clients.clear()

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0
        self.s3_puts.clear()
        self.s3_gets.clear()

    def count(self, operation: str) -> int:
        """Calls of one operation (``Query``) or one service's operation (``dynamodb:Query``)."""
        if ":" in operation:
            return self.calls[operation]
        return sum(number for name, number in self.calls.items() if name.endswith(f":{operation}"))

    def _after_call(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        self.calls[f"{service}:{model.name}"] += 1
        if service == "dynamodb":
            self.items_read += items_read(model.name, parsed)

    def _put_object(self, params: dict[str, Any], **_: Any) -> None:
        self.s3_puts.append(str(params.get("Key", "")))

    def _get_object(self, params: dict[str, Any], **_: Any) -> None:
        self.s3_gets.append(str(params.get("Key", "")))

    def archive_reads(self) -> list[str]:
        """Keys read from the archive (raw and normalized articles), not from the snapshot bucket."""
        return [key for key in self.s3_gets if key.startswith(("raw/", "normalized/"))]
