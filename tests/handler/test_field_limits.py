"""Every field of a POST /v1/articles document has a limit, checked before anything is written
(issue 8, 'What broke' 1): just over it is a 4xx problem+json and leaves no archive object and no
item; exactly at it the document is accepted. The limits are those of docs/api.md, "Limits"."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest

from newsdesk.ninjs import limits
from tests.conftest import Partner, Stack, api_event
from tests.handler.ninjs_builders import article_doc as _article_doc
from tests.handler.ninjs_builders import encode

pytestmark = [pytest.mark.handler, pytest.mark.attack(1)]

CYRILLIC = "я"


def article_doc(**fields: Any) -> dict[str, Any]:
    """The builder's document with any fields added (of any JSON type)."""
    return _article_doc(**fields)


# The base document's own fields: uri, type, language, headlines, bodies, version, versioncreated.
BASE_FIELDS = len(article_doc())


@dataclass(frozen=True)
class Limit:
    """A document whose field has ``size`` units (characters, items, ...), and where the error points."""

    name: str
    limit: int
    pointer: str
    make: Callable[[int], dict[str, Any]]


def text(size: int) -> str:
    return CYRILLIC * size


def url(prefix: str, size: int) -> str:
    return prefix + "p" * (size - len(prefix))


def language_tag(size: int) -> str:
    """A well-formed tag of exactly ``size`` characters: a language and subtags of up to 8 letters."""
    prefix = "en" if (size - 2) % 9 != 1 else "eng"
    full, rest = divmod(size - len(prefix), 9)
    return prefix + "-aaaaaaaa" * full + ("-" + "a" * (rest - 1) if rest else "")


def items(key: str, size: int) -> dict[str, Any]:
    if key == "keywords":
        return article_doc(keywords=[f"k{index}" for index in range(size)])
    if key == "headlines":
        doc = article_doc()
        doc["headlines"] += [{"role": "other", "value": f"h{index}"} for index in range(size - 1)]
        return doc
    if key == "bodies":
        doc = article_doc()
        doc["bodies"] += [{"role": "other", "contenttype": "text/plain", "value": "b"} for _ in range(size - 1)]
        return doc
    if key == "descriptions":
        return article_doc(descriptions=[{"role": "summary", "value": f"d{index}"} for index in range(size)])
    if key == "renditions":
        renditions = [{"name": f"r{index}", "href": f"https://cdn.example/{index}.jpg"} for index in range(size)]
        return article_doc(
            associations=[{"name": "photo", "uri": "urn:x:photo", "type": "picture", "renditions": renditions}]
        )
    if key == "associations":
        return article_doc(
            associations=[{"name": f"a{index}", "uri": f"urn:x:{index}", "type": "picture"} for index in range(size)]
        )
    return article_doc(**{key: [{"name": f"{key} {index}"} for index in range(size)]})


def with_fields(size: int) -> dict[str, Any]:
    return article_doc(**{f"x-field-{index:03d}": 1 for index in range(size - BASE_FIELDS)})


def body_of_json_size(size: int) -> dict[str, Any]:
    # As JSON text the sanitized body is the quotes, "<p>", the letters and "</p>": 9 bytes and the letters.
    return article_doc(body="<p>" + "a" * (size - 9) + "</p>")


ARRAYS = (
    "organisations", "people", "places", "objects", "subjects", "genres", "infosources", "events",
    "keywords", "headlines", "bodies", "descriptions", "associations", "renditions",
)  # fmt: skip
ARRAY_POINTER = {"renditions": "/associations/0/renditions"}

LIMITS = [
    Limit("uri", 1_024, "/uri", lambda n: article_doc(uri=url("urn:x:", n))),
    Limit("headline", 1_000, "/headlines/0/value", lambda n: article_doc(headline=text(n))),
    Limit("version", 100, "/version", lambda n: article_doc(version="9" * n)),
    Limit("language", 35, "/language", lambda n: article_doc(language=language_tag(n))),
    Limit("field name", limits.MAX_FIELD_NAME_CHARS, "", lambda n: article_doc(**{"x" * n: 1})),
    Limit("fields of an object", limits.MAX_OBJECT_FIELDS, "", with_fields),
    *(
        Limit(f"{key} items", limits.MAX_ARRAY_ITEMS, ARRAY_POINTER.get(key, f"/{key}"), partial(items, key))
        for key in ARRAYS
    ),
    Limit("mention name", 200, "/organisations/0/name", lambda n: article_doc(organisations=[{"name": text(n)}])),
    Limit(
        "mention uri",
        1_024,
        "/organisations/0/uri",
        lambda n: article_doc(organisations=[{"name": "АО «Контур»", "uri": url("urn:x:", n)}]),
    ),
    Limit("byline", 300, "/by", lambda n: article_doc(by=text(n))),
    Limit("copyrightholder", 300, "/copyrightholder", lambda n: article_doc(copyrightholder=text(n))),
    Limit("copyrightnotice", 1_000, "/copyrightnotice", lambda n: article_doc(copyrightnotice=text(n))),
    Limit("usageterms", 2_000, "/usageterms", lambda n: article_doc(usageterms=text(n))),
    Limit("keyword", 200, "/keywords/0", lambda n: article_doc(keywords=[text(n)])),
    Limit(
        "description",
        10_000,
        "/descriptions/0/value",
        lambda n: article_doc(descriptions=[{"role": "summary", "value": text(n)}]),
    ),
    Limit(
        "subheadline",
        10_000,
        "/headlines/1/value",
        lambda n: {**article_doc(), "headlines": [{"role": "main", "value": "З"}, {"role": "sub", "value": text(n)}]},
    ),
    Limit(
        "rendition href",
        8_192,
        "/associations/0/renditions/0/href",
        lambda n: article_doc(
            associations=[
                {
                    "name": "p",
                    "uri": "urn:x:p",
                    "type": "picture",
                    "renditions": [{"name": "r", "href": url("https://cdn.example/", n)}],
                }
            ]
        ),
    ),
    Limit(
        "rights link",
        8_192,
        "/rightsinfo/linkedrights",
        lambda n: article_doc(rightsinfo={"linkedrights": url("https://rights.example/", n)}),
    ),
    Limit("slugline", 2_000, "/slugline", lambda n: article_doc(slugline=text(n))),
    Limit("ednote", 2_000, "/ednote", lambda n: article_doc(ednote=text(n))),
    Limit("located", 2_000, "/located", lambda n: article_doc(located=text(n))),
    Limit("unknown field value", 2_000, "/x-note", lambda n: article_doc(**{"x-note": text(n)})),
    Limit("body HTML as JSON", 512 * 1024, "/bodies/0/value", body_of_json_size),
    Limit("integer", 2**53 - 1, "/x-count", lambda n: article_doc(**{"x-count": n})),
    Limit("negative integer", 2**53 - 1, "/x-count", lambda n: article_doc(**{"x-count": -n})),
]


def post(partner: Partner, doc: dict[str, Any], ctx: Any) -> tuple[int, dict[str, str], Any]:
    from ingest.app import handler

    event = api_event(
        "POST",
        "/v1/articles",
        body=encode(doc),
        headers={"content-type": "application/json"},
        authorizer=partner.context,
    )
    result = handler(event, ctx)
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    return result["statusCode"], headers, json.loads(result["body"]) if result.get("body") else None


def nothing_written(stack: Stack) -> None:
    objects = stack.s3.list_objects_v2(Bucket=stack.archive_bucket).get("Contents", [])
    assert objects == [], [item["Key"] for item in objects]
    items = stack.dynamodb.scan(TableName=stack.table_name)["Items"]
    articles = [item for item in items if item["PK"]["S"].startswith("ARTICLE#")]
    assert articles == []


@pytest.mark.parametrize("case", LIMITS, ids=[case.name for case in LIMITS])
def test_just_over_a_limit_is_a_4xx_problem_and_writes_nothing(
    stack: Stack, partner: Partner, lambda_context: Any, case: Limit
) -> None:
    status, headers, problem = post(partner, case.make(case.limit + 1), lambda_context)
    assert 400 <= status < 500, problem
    assert headers["content-type"].startswith("application/problem+json")
    assert case.pointer in [error["pointer"] for error in problem["errors"]], problem["errors"]
    nothing_written(stack)


@pytest.mark.parametrize("case", LIMITS, ids=[case.name for case in LIMITS])
def test_at_a_limit_the_document_is_accepted(stack: Stack, partner: Partner, lambda_context: Any, case: Limit) -> None:
    status, _, body = post(partner, case.make(case.limit), lambda_context)
    assert status == 201, body


def test_thirty_unknown_fields_with_20_kb_names_are_refused_before_anything_is_written(
    stack: Stack, partner: Partner, lambda_context: Any
) -> None:
    """The issue's reproduction: the archive object was written, then the item failed (a 500)."""
    doc = article_doc(**{f"{index:02d}" + "n" * 20_000: 1 for index in range(30)})
    status, _, problem = post(partner, doc, lambda_context)
    assert status == 422 and len(json.dumps(problem)) < 20_000
    nothing_written(stack)


def test_a_batch_of_events_over_its_limit_is_refused_and_writes_nothing(stack: Stack, lambda_context: Any) -> None:
    from ingest.app import handler
    from newsdesk.events import MAX_EVENTS_PER_BATCH

    events = [{"type": "view", "article_id": "a" * 25, "visitor": f"v{index}"} for index in range(51)]
    assert len(events) == MAX_EVENTS_PER_BATCH + 1
    event = api_event(
        "POST", "/v1/events", body=json.dumps({"events": events}), headers={"content-type": "application/json"}
    )
    result = handler(event, lambda_context)
    assert result["statusCode"] == 422
    assert stack.dynamodb.scan(TableName=stack.table_name)["Items"] == []
