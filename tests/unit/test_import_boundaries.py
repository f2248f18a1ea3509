"""What each function loads: the boundaries the design relies on, checked in fresh interpreters.

- publish renders stored, normalized articles: it must not load the ninjs validator or the sanitizer;
- the ingest function's article routes answer without pydantic (its import alone costs more than the
  rest of a cold start), and nothing at all talks to AWS at import time;
- publish and trending handle their first event without pydantic either: the snapshot models are
  dataclasses, their schemas committed files, and the pydantic event models stay in
  ``newsdesk.events``, which only the events route imports;
- domain modules import no boto3: only ``newsdesk.dal`` does.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsdesk.models import (
    ArticleContent,
    ArticleStatus,
    LeadImage,
    Mention,
    Mentions,
    PubStatus,
    Rights,
    content_from_json,
    content_to_json,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, os, sys
os.environ.update(TABLE_NAME="t", ARCHIVE_BUCKET="a", SNAPSHOT_BUCKET="s", AWS_DEFAULT_REGION="eu-west-1")
{body}
print(json.dumps(sorted(name for name in sys.modules)))
"""


def modules_loaded_by(body: str) -> set[str]:
    output = subprocess.run(
        [sys.executable, "-c", PROBE.format(body=body)], check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return set(json.loads(output.splitlines()[-1]))


def test_the_publish_function_loads_neither_the_validator_nor_the_sanitizer() -> None:
    loaded = modules_loaded_by("import publish.app")
    assert "publish.app" in loaded
    assert not {name for name in loaded if name.startswith(("newsdesk.ninjs", "jsonschema_rs", "nh3"))}
    assert "newsdesk.sanitize" not in loaded


def test_the_ingest_articles_path_answers_without_pydantic() -> None:
    # A whole first request: the handler, its validator (a 422 builds it) and the stores.
    loaded = modules_loaded_by(
        "import ingest.app\n"
        "from newsdesk.ninjs import validate_document\n"
        "from newsdesk.errors import ValidationFailed\n"
        "try:\n"
        "    validate_document({'uri': 'x'}, default_language='ru')\n"
        "except ValidationFailed:\n"
        "    pass\n"
    )
    assert "ingest.app" in loaded and "newsdesk.ninjs" in loaded
    assert not {name for name in loaded if name.split(".")[0] == "pydantic"}


# A fake AWS for a fresh process: every botocore client gets a before-send hook that answers like an
# empty table and bucket ({} for DynamoDB, an empty 200 for S3; GetObject returns NORMALIZED), and
# the keys of the files PUT are noted. Installed before the handler is imported.
FAKE_AWS = """
import io
import botocore.session
from botocore.awsrequest import AWSResponse
PUT = []
class _Raw(io.BytesIO):
    def stream(self, **_):
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()
def _send(request, event_name="", **_):
    _, service, operation = event_name.split(".", 2)
    if service == "s3":
        body = NORMALIZED if operation == "GetObject" else b""
        return AWSResponse(request.url, 200, {"ETag": '"0"'}, _Raw(body))
    return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"}, _Raw(b"{}"))
def _note_put(params, **_):
    PUT.append(params["Key"])
_create_client = botocore.session.Session.create_client
def _fake_client(self, *args, **kwargs):
    client = _create_client(self, *args, **kwargs)
    client.meta.events.register("before-send", _send)
    client.meta.events.register("before-parameter-build.s3.PutObject", _note_put)
    return client
botocore.session.Session.create_client = _fake_client
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "probe", 1024, "r-1"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:probe"
"""


def first_event_in_fresh_process(handler_module: str, event: dict[str, Any], normalized: bytes = b"") -> Any:
    """Run a function's handler on its first event in a fresh interpreter against FAKE_AWS: what it
    answered, the files it PUT and every module it loaded."""
    body = (
        f"NORMALIZED = {normalized!r}\n"
        + FAKE_AWS
        + f"import {handler_module} as function\n"
        + f"answer = function.handler(json.loads({json.dumps(event)!r}), Context())\n"
        + 'print("PROBE-OUTCOME " + json.dumps({"answer": answer, "put": sorted(PUT)}))\n'
    )
    output = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", PROBE.format(body=body)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            **os.environ,
            "POWERTOOLS_METRICS_NAMESPACE": "NewsdeskTest",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        },
    ).stdout
    lines = output.splitlines()
    (outcome,) = [
        json.loads(line.removeprefix("PROBE-OUTCOME ")) for line in lines if line.startswith("PROBE-OUTCOME ")
    ]
    return outcome, set(json.loads(lines[-1]))


def pydantic_modules(loaded: set[str]) -> set[str]:
    return {name for name in loaded if name.split(".")[0] in ("pydantic", "pydantic_core")}


def stream_record(new_image: dict[str, Any], sequence_number: str) -> dict[str, Any]:
    return {
        "eventID": sequence_number,
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "awsRegion": "eu-west-1",
        "dynamodb": {
            "Keys": {"PK": new_image["PK"], "SK": new_image["SK"]},
            "NewImage": new_image,
            "SequenceNumber": sequence_number,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }


def test_the_publish_function_handles_its_first_batch_without_pydantic() -> None:
    from datetime import UTC, datetime

    from newsdesk.articles import ArticleRecord
    from newsdesk.dal.articles import current_item
    from newsdesk.dal.engagement import StoredTrending
    from newsdesk.dal.items import to_item
    from newsdesk.dal.keys import TRENDING_PK, TRENDING_SK
    from newsdesk.trending import ArticleActivity, ListedArticle, build_trending

    # Given a stream batch: a new published article, and rankings the trending function stored
    moment = datetime(2026, 11, 25, 8, tzinfo=UTC)
    article_id = "a" + "b" * 24
    record = ArticleRecord(
        article_id=article_id,
        partner_id="oboronka-daily",
        uri="urn:x:1",
        revision=1,
        status=ArticleStatus.PUBLISHED,
        content_hash="0" * 64,
        archive_key=f"raw/oboronka-daily/{article_id}/00000001-0000000000000000.json",
        normalized_key=f"normalized/oboronka-daily/{article_id}/00000001-0000000000000000.json",
        headline="Заголовок",
        language="ru",
        section="defence-industry",
        outlet="Oboronka Daily",
        published_at=moment,
        updated_at=moment,
        received_at=moment,
    )
    normalized = json.dumps(
        content_to_json(ArticleContent(uri="urn:x:1", headline="Заголовок", body_html="<p>Текст</p>", language="ru"))
    ).encode("utf-8")
    rankings = build_trending(
        {article_id: ArticleActivity(article_id, "defence-industry", views=5, read_score=5.0, comments=4)},
        lambda ids: {
            article_id: ListedArticle(
                article_id=article_id, headline="Заголовок", published_at=moment, section="defence-industry"
            )
        },
        now=moment,
        list_length=10,
        min_count=3,
        window_hours=48,
        half_life_minutes=360.0,
    )
    stored = StoredTrending.of(rankings)
    trending_item = to_item(
        {
            "PK": TRENDING_PK,
            "SK": TRENDING_SK,
            "kind": "trending",
            "digest": stored.digest,
            "generated_at": stored.generated_at,
            "trending": stored.trending,
            "counters": stored.counters,
        }
    )
    event = {"Records": [stream_record(current_item(record), "1"), stream_record(trending_item, "2")]}
    # When a fresh process handles it
    outcome, loaded = first_event_in_fresh_process("publish.app", event, normalized)
    # Then every file was written: the page, its lists, the schemas, the trending files, the manifest
    assert outcome["answer"] == {"batchItemFailures": []}
    assert {
        f"v1/articles/{article_id}.json",
        "v1/latest.json",
        "v1/sections/defence-industry.json",
        "v1/schemas/article.json",
        "v1/trending.json",
        "v1/counters.json",
        "v1/manifest.json",
    } <= set(outcome["put"])
    # And pydantic was never imported
    assert "publish.app" in loaded and "newsdesk.snapshots" in loaded
    assert pydantic_modules(loaded) == set()


def test_the_trending_functions_run_without_pydantic() -> None:
    # Given a fresh process running one scheduled trending run (an empty window: nothing to rank)
    event = {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2026-11-25T12:00:00Z"}
    outcome, loaded = first_event_in_fresh_process("trending.app", event)
    # Then it ranked, rendered and stored the (empty) rankings
    assert outcome["answer"]["written"] is True and outcome["answer"]["candidates"] == 0
    assert "newsdesk.snapshots.render" in loaded and "newsdesk.dal.engagement" in loaded
    assert pydantic_modules(loaded) == set()
    # And the view counter function (the same package, fed by the table's stream) does not load it either
    assert pydantic_modules(modules_loaded_by("import trending.counting")) == set()


def test_domain_modules_import_no_boto3() -> None:
    shared = ROOT / "shared" / "newsdesk"
    offenders = []
    for path in shared.rglob("*.py"):
        if "dal" in path.relative_to(shared).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            if any(name.split(".")[0] in ("boto3", "botocore") for name in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_stored_form_of_an_article_reads_back_as_the_same_article() -> None:
    from datetime import UTC, datetime

    content = ArticleContent(
        uri="urn:x:1",
        headline="Заголовок",
        body_html="<p>Текст</p>",
        language="ru",
        pubstatus=PubStatus.WITHHELD,
        versioncreated=datetime(2026, 11, 25, 8, 0, 0, 500000, tzinfo=UTC),
        rights=Rights(holder="ТАСС", info_url="https://example.com/rights"),
        lead_image=LeadImage(url="https://example.com/a.jpg", width=800, height=600),
        mentions=Mentions(companies=[Mention(name="Уралвагонзавод", uri="urn:org:uvz")]),
        section_hints=["medtop:11000000"],
    )
    stored = content_to_json(content)
    assert stored["versioncreated"] == "2026-11-25T08:00:00.500000Z" and stored["pubstatus"] == "withheld"
    assert content_from_json(json.loads(json.dumps(stored))) == content
