"""What the snapshot bucket must never show, checked on every PUT and on the final state.

- An article file never goes back to an older revision, and a list never shows an article at an
  older revision than an earlier version of the same list did ("never an older state over a
  newer one"); the trending files never go back to an earlier generation.
- Finally, every list entry points at an article file that exists and is not a tombstone, and
  every manifest entry at a file with the hash the manifest gives ("no snapshot pointing at nothing").

Two runs are compared by what a reader sees (:func:`reader_view`): every article and trending file
byte for byte, and every list's entries, a list that was never written reading as an empty one.
The manifest and the schemas are not compared: they follow from the other files, and
:func:`dangling` checks that they agree with them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import Stack
from tests.faults.harness import bucket_files


@dataclass
class SnapshotWatch:
    """Watches the PutObject calls of one client into one bucket, from when the call has landed."""

    bucket: str
    regressions: list[str] = field(default_factory=list)
    puts: int = 0
    _revisions: dict[str, int] = field(default_factory=dict)  # article file -> revision
    _listed: dict[tuple[str, str], int] = field(default_factory=dict)  # (list, article id) -> revision
    _generated: dict[str, str] = field(default_factory=dict)  # trending files -> generated_at
    _pending: tuple[str, bytes] | None = None
    _client: Any = None

    def watch(self, client: Any) -> SnapshotWatch:
        # First, so that the fault injector's after-call (a lost response) cannot hide a PUT that landed.
        client.meta.events.register_first(
            "provide-client-params.s3.PutObject", self._before, unique_id="snapshot-watch-b"
        )
        client.meta.events.register_first("after-call.s3.PutObject", self._after, unique_id="snapshot-watch-a")
        self._client = client
        return self

    def stop(self) -> None:
        if self._client is not None:
            self._client.meta.events.unregister("provide-client-params.s3.PutObject", unique_id="snapshot-watch-b")
            self._client.meta.events.unregister("after-call.s3.PutObject", unique_id="snapshot-watch-a")
            self._client = None

    def _before(self, params: dict[str, Any], **_: Any) -> None:
        body = params.get("Body", b"")
        if params.get("Bucket") == self.bucket:
            self._pending = (str(params.get("Key", "")), body if isinstance(body, bytes) else b"")

    def _after(self, http_response: Any, **_: Any) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and http_response.status_code < 300:
            self.landed(*pending)

    def landed(self, path: str, body: bytes) -> None:
        """A file was written: compare it with what this path (or list) showed before."""
        self.puts += 1
        try:
            document = json.loads(body)
        except ValueError:
            return
        if not isinstance(document, dict):
            return
        kind = document.get("kind")
        if kind in ("article", "tombstone"):
            revision = int(document["revision"])
            before = self._revisions.get(path, 0)
            if revision < before:
                self.regressions.append(f"{path}: revision {revision} written over revision {before} ({kind})")
            self._revisions[path] = max(before, revision)
        elif kind == "list":
            for item in document.get("items", []):
                listed = (path, str(item["id"]))
                before = self._listed.get(listed, 0)
                if int(item["revision"]) < before:
                    self.regressions.append(
                        f"{path}: article {item['id']} listed at revision {item['revision']} after revision {before}"
                    )
                self._listed[listed] = max(before, int(item["revision"]))
        elif kind in ("trending", "counters"):
            generated = str(document.get("generated_at") or "")
            before_generated = self._generated.get(path, "")
            if generated < before_generated:
                self.regressions.append(f"{path}: generated {generated} written over {before_generated}")
            self._generated[path] = max(before_generated, generated)


def dangling(stack: Stack, bucket: str) -> list[str]:
    """List entries and manifest entries that point at nothing (or at a tombstone, or a stale hash)."""
    files = bucket_files(stack, bucket)
    problems: list[str] = []
    for path, body in files.items():
        document = json.loads(body) if path.endswith(".json") else None
        if not isinstance(document, dict):
            continue
        if document.get("kind") == "list":
            for item in document.get("items", []):
                target = f"v1/articles/{item['id']}.json"
                page = json.loads(files[target]) if target in files else None
                if page is None:
                    problems.append(f"{path} lists {item['id']}, whose file does not exist")
                elif page.get("kind") != "article":
                    problems.append(f"{path} lists {item['id']}, whose file is a {page.get('kind')}")
        if document.get("kind") == "manifest":
            for entry in [*document.get("entries", []), *document.get("schemas", [])]:
                target = str(entry["path"]).lstrip("/")
                if target not in files:
                    problems.append(f"manifest names {target}, which does not exist")
                elif hashlib.sha256(files[target]).hexdigest() != entry["sha256"]:
                    problems.append(f"manifest gives {target} a hash its bytes do not have")
    return problems


def reader_view(files: dict[str, bytes]) -> dict[str, Any]:
    """What the website can read from the files: articles and trending as bytes, lists as entries."""
    view: dict[str, Any] = {}
    for path, body in files.items():
        document = json.loads(body) if path.endswith(".json") else None
        kind = document.get("kind") if isinstance(document, dict) else None
        if kind == "list":
            assert isinstance(document, dict)
            if document.get("items"):
                view[path] = document["items"]
        elif kind not in ("manifest", None) and not path.startswith("v1/schemas/"):
            view[path] = body
    return view
