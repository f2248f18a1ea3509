"""What each function loads: the boundaries the design relies on, checked in fresh interpreters.

- publish renders stored, normalized articles: it must not load the ninjs validator or the sanitizer;
- the ingest function's article routes answer without pydantic (its import alone costs more than the
  rest of a cold start), and nothing at all talks to AWS at import time;
- domain modules import no boto3: only ``newsdesk.dal`` does.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from newsdesk.models import (
    ArticleContent,
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
