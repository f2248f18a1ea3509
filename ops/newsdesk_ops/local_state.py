"""What the local stack keeps across restarts of `make run`: ``.newsdesk/state/``.

moto keeps everything in memory, so a restarted stack had lost every article, partner and key.
When the stack stops it now writes, under the state directory:

- ``buckets/<LogicalId>/``: every object of every bucket of the template (the archive with the
  exact bytes of every accepted revision, the snapshots, the pictures), with its content type,
  cache control and metadata;
- ``table.jsonl``: every item of the table (DynamoDB JSON, one per line);
- ``keys.json``: the local partner's and the local site's keys (the table holds only their hashes).

When it starts again it puts the objects and every saved item back (the table as it was when the
stack stopped: partners, keys, counters, trending, what publish remembers, the articles), and, once
the stream pollers run, checks the articles against the archive with ``newsdesk rebuild
--from-archive``'s own code (``newsdesk_ops.rebuild.rebuild_from_archive``): the local stack
exercises the disaster-recovery path every time it restarts. The rebuild writes only what the table
lacks or holds at an older revision — all of it when table.jsonl lost the articles, and otherwise
what happened while the stack was stopped (a story whose rights ended is taken down) — and it
writes through the table, so its stream brings the change to publish and media as in AWS (a
rebuild before the pollers started left an expired story readable on the site). An embargo that
ended meanwhile is the embargo timer's work, at its next tick. If the rebuild fails, the saved
items stand, and the log says so.

Dead letters are not kept (they point into a stream that starts anew), and the rebuild does not see
them: the table already holds the change publish failed on. So when the stack stops with messages in
a dead-letter queue, ``dead_letters.json`` notes which queues held how many, and the next start,
once the stream pollers run, does what an operator does in AWS when the stream's records are gone:
the publish function's full rebuild (``Publisher.rebuild_all``, as ``newsdesk publish --all``). The
log says what was lost and what was redone. A start without the note does none of this.

``NEWSDESK_LOCAL_FRESH=1`` (``make run FRESH=1``) deletes the saved state and starts empty.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_DIR_ENV = "NEWSDESK_LOCAL_STATE_DIR"
FRESH_ENV = "NEWSDESK_LOCAL_FRESH"
DEFAULT_STATE_DIR = Path(".newsdesk/state")
TABLE_FILE = "table.jsonl"
KEYS_FILE = "keys.json"
BUCKETS_DIR = "buckets"
INDEX_FILE = "index.json"
# Which dead-letter queues held messages when the stack stopped (queue logical id -> messages).
DEAD_LETTERS_FILE = "dead_letters.json"
# What a full publish rebuild cannot redo, by dead-letter queue of the template (for the log).
_NOT_REDONE = {
    "ViewCounterDeadLetterQueue": "the views in it are not counted (a view counter batch cannot be recounted)",
    "MediaDeadLetterQueue": (
        "the pictures of stories whose media was still pending are fetched again only at the story's next change"
    ),
}
# Items of articles (newsdesk.dal.keys.ARTICLE_PREFIX), counted in the restore summary.
ARTICLE_PREFIX = "ARTICLE#"
# Object attributes kept beside the bytes (get_object name -> put_object name).
_OBJECT_ATTRIBUTES = {
    "ContentType": "ContentType",
    "CacheControl": "CacheControl",
    "ContentEncoding": "ContentEncoding",
    "ContentDisposition": "ContentDisposition",
    "Metadata": "Metadata",
}


def fresh_requested(environment: Mapping[str, str] = os.environ) -> bool:
    return environment.get(FRESH_ENV, "").strip().lower() in {"1", "yes", "true"}


def kept_state_dir(environment: Mapping[str, str] = os.environ) -> Path:
    return Path(environment.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR)


@dataclass(frozen=True)
class Resources:
    """Where the running stack keeps its state."""

    table_name: str
    buckets: dict[str, str]  # logical id -> bucket name
    archive_bucket: str
    snapshot_bucket: str
    endpoint_url: str
    region: str


@dataclass
class Restored:
    objects: int = 0
    items: int = 0
    articles: int = 0

    def summary(self) -> str:
        return f"{self.objects} object(s), {self.items} item(s) of which {self.articles} article item(s)"


class LocalState:
    """The state directory of one local stack."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def exists(self) -> bool:
        return (self.directory / TABLE_FILE).is_file()

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def keys(self) -> dict[str, str]:
        """The local keys saved last time ({} when none)."""
        try:
            saved = json.loads((self.directory / KEYS_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return {str(name): str(value) for name, value in saved.items()} if isinstance(saved, dict) else {}

    def dead_letters(self) -> dict[str, int]:
        """The dead-letter queues that held messages when the stack last stopped ({} when none)."""
        try:
            noted = json.loads((self.directory / DEAD_LETTERS_FILE).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return {}
        return {str(queue): int(count) for queue, count in noted.items()} if isinstance(noted, dict) else {}

    # --- save ----------------------------------------------------------------------------------------

    def save(
        self,
        resources: Resources,
        *,
        dynamodb: Any,
        s3: Any,
        keys: Mapping[str, str],
        dead_letters: Mapping[str, int] | None = None,
    ) -> tuple[int, int]:
        """Write everything to a new directory, then put it in place of the old one; (objects, items).

        ``dead_letters``: the dead-letter queues that hold messages (logical id -> messages), noted for
        the next start (see the module's docstring)."""
        partial = self.directory.with_name(self.directory.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        os.chmod(partial, 0o700)  # the keys file is a secret
        objects = sum(
            _save_bucket(s3, bucket, partial / BUCKETS_DIR / logical_id)
            for logical_id, bucket in sorted(resources.buckets.items())
        )
        items = 0
        with (partial / TABLE_FILE).open("w", encoding="utf-8") as stream:
            for item in _scan(dynamodb, resources.table_name):
                stream.write(json.dumps(_encode(item), ensure_ascii=False) + "\n")
                items += 1
        descriptor = os.open(partial / KEYS_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(dict(keys), stream, indent=2)
        if dead_letters:
            (partial / DEAD_LETTERS_FILE).write_text(json.dumps(dict(dead_letters), indent=2), encoding="utf-8")
        previous = self.directory.with_name(self.directory.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        if self.directory.exists():
            self.directory.rename(previous)
        partial.rename(self.directory)
        shutil.rmtree(previous, ignore_errors=True)
        return objects, items

    # --- restore -------------------------------------------------------------------------------------

    def restore(self, resources: Resources, *, dynamodb: Any, s3: Any) -> Restored:
        """Put back every saved object and item, as they were when the stack stopped."""
        restored = Restored()
        for logical_id, bucket in sorted(resources.buckets.items()):
            restored.objects += _restore_bucket(s3, bucket, self.directory / BUCKETS_DIR / logical_id)
        for item in self._items():
            dynamodb.put_item(TableName=resources.table_name, Item=item)
            restored.items += 1
            restored.articles += str(item.get("PK", {}).get("S", "")).startswith(ARTICLE_PREFIX)
        return restored

    def _items(self) -> Iterator[dict[str, Any]]:
        with (self.directory / TABLE_FILE).open(encoding="utf-8") as stream:
            for line in stream:
                if line.strip():
                    yield _decode(json.loads(line))


def rebuild_articles(resources: Resources) -> str:
    """Check the restored articles against the archive (see the module's docstring): what it did, for
    the log. Run once the stream pollers are reading, so that what it writes is published."""
    try:
        written, unchanged = _rebuild(resources)
    except Exception as error:  # the saved items stand: the stack must come up
        log.exception("local state: the rebuild from the archive failed; the saved article items stand")
        return f"the rebuild from the archive failed ({type(error).__name__}: {error}); the saved article items stand"
    return f"articles checked against the archive: {written} written, {unchanged} already current"


def queues_with_messages(sqs: Any, queues: Mapping[str, str]) -> dict[str, int]:
    """The queues (logical id -> URL) that hold messages, visible or not: logical id -> messages."""
    held: dict[str, int] = {}
    for logical_id, url in sorted(queues.items()):
        attributes = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        if messages := sum(int(value) for value in attributes.values()):
            held[logical_id] = messages
    return held


def republish_after_dead_letters(dead_letters: Mapping[str, int]) -> str:
    """After a restart that lost dead letters: the publish function's full rebuild, as `newsdesk
    publish --all` (the functions' environment is the running stack's); what was lost and redone, for
    the log. Run once the stream pollers are reading."""
    # 0: the queue could not be read when the stack stopped.
    lost = ", ".join(
        f"{queue} ({f'{count} message(s)' if count else 'could not be read'})"
        for queue, count in sorted(dead_letters.items())
    )
    lines = [
        f"the stack stopped with dead letters in {lost}; they are not kept across a restart, and the "
        "stream they point into starts anew, so `newsdesk redrive` cannot replay them"
    ]
    try:
        report = _publish_all()
    except Exception as error:  # the stack must come up; the operator can run it again
        log.exception("local state: the full publish rebuild after the lost dead letters failed")
        lines.append(f"the full publish rebuild failed ({type(error).__name__}: {error}); run `newsdesk publish --all`")
    else:
        outcome = (
            f"{report.articles} article(s), {report.files_written} file(s) written, "
            f"{report.files_unchanged} unchanged, {report.lists} list(s)"
        )
        if report.failed:
            outcome += f"; {len(report.failed)} article(s) not published: {', '.join(report.failed)}"
        lines.append(f"redone: every snapshot rebuilt from the table, as `newsdesk publish --all` ({outcome})")
    lines += [f"not redone: {queue}: {_NOT_REDONE[queue]}" for queue in sorted(dead_letters) if queue in _NOT_REDONE]
    return "; ".join(lines)


def _publish_all() -> Any:
    # Imported here: the publish function's package, on the path once the stack has its functions.
    from newsdesk.settings import get_settings
    from publish.publisher import Publisher

    return Publisher.from_settings(get_settings()).rebuild_all()


def _rebuild(resources: Resources) -> tuple[int, int]:
    from newsdesk_ops.rebuild import rebuild_from_archive
    from newsdesk_ops.target import Target

    target = Target(
        table_name=resources.table_name,
        archive_bucket=resources.archive_bucket,
        snapshot_bucket=resources.snapshot_bucket,
        endpoint_url=resources.endpoint_url,
        region=resources.region,
        description="the local stack's saved state",
    )
    report = rebuild_from_archive(target)
    if report.problems:
        log.warning("local state: %d article(s) not rebuilt: %s", len(report.problems), report.problems)
    return report.written, report.unchanged


def _scan(dynamodb: Any, table_name: str) -> Iterator[dict[str, Any]]:
    for page in dynamodb.get_paginator("scan").paginate(TableName=table_name):
        yield from page.get("Items", [])


def _save_bucket(s3: Any, bucket: str, directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    index: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for listed in page.get("Contents", []):
            found = s3.get_object(Bucket=bucket, Key=listed["Key"])
            name = f"{len(index):07d}"
            (directory / name).write_bytes(found["Body"].read())
            entry: dict[str, Any] = {"key": listed["Key"], "file": name}
            entry.update({attribute: found[attribute] for attribute in _OBJECT_ATTRIBUTES if found.get(attribute)})
            index.append(entry)
    (directory / INDEX_FILE).write_text(json.dumps(index, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(index)


def _restore_bucket(s3: Any, bucket: str, directory: Path) -> int:
    try:
        index = json.loads((directory / INDEX_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return 0
    for entry in index:
        extra = {_OBJECT_ATTRIBUTES[name]: entry[name] for name in _OBJECT_ATTRIBUTES if name in entry}
        s3.put_object(Bucket=bucket, Key=entry["key"], Body=(directory / entry["file"]).read_bytes(), **extra)
    return len(index)


def _encode(value: Any) -> Any:
    """DynamoDB JSON as the client returns it, with binary values in base64 (JSON has no bytes)."""
    if isinstance(value, bytes):
        return {"__base64__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, list | set | tuple):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__base64__"}:
            return base64.b64decode(value["__base64__"])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value
