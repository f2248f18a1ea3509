"""Scratch probes (deleted before the report)."""
from __future__ import annotations
import json
from typing import Any
import pytest
from tests.conftest import Partner, Stack, api_event
from tests.handler.ninjs_builders import article_doc, encode
from tests.handler.test_ingest_api import archived_keys, on_article, post, current_item, call

pytestmark = pytest.mark.handler

def show(label, res):
    s, h, b = res
    print(f"\n>>> {label}: {s} {json.dumps(b, ensure_ascii=False)[:250] if b else ''}")
    return res

def events(body, ctx, **headers):
    ev = api_event("POST", "/v1/events", body=body, headers={"content-type": "application/json", "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", **headers})
    return call(ev, ctx)

def test_probe(stack: Stack, partner: Partner, make_partner, lambda_context: Any) -> None:
    _,_,b = post(partner, encode(article_doc("urn:e:1")), lambda_context)
    aid = b["id"]
    show("surrogate visitor", events('{"events":[{"type":"view","article_id":"%s","visitor":"\\ud800"}]}' % aid, lambda_context))
    show("surrogate key", events('{"events":[{"type":"view","article_id":"%s","visitor":"x","\\ud800":1}]}' % aid, lambda_context))
    show("nul visitor", events('{"events":[{"type":"view","article_id":"%s","visitor":"\\u0000"}]}' % aid, lambda_context))
    show("bigint", events('{"events":[{"type":"comments","article_id":"%s","count":%s}]}' % (aid, "9"*5000), lambda_context))
    show("deep", events('['*100000 + ']'*100000, lambda_context))
    show("nan", events('{"events":[{"type":"comments","article_id":"%s","count":NaN}]}' % aid, lambda_context))
    show("aid newline", events('{"events":[{"type":"view","article_id":"%s\\n","visitor":"v"}]}' % aid, lambda_context))
    show("ua huge", events('{"events":[{"type":"view","article_id":"%s","visitor":"v2"}]}' % aid, lambda_context, **{"user-agent": "Mozilla/5.0 " + "x"*100000}))
    show("ua surrogate", events('{"events":[{"type":"view","article_id":"%s","visitor":"v3"}]}' % aid, lambda_context, **{"user-agent": "Mozilla/5.0 (X11; Linux x86_64) \ud800"}))
    show("bad src ip", call({**api_event("POST", "/v1/events", body='{"events":[{"type":"view","article_id":"%s","visitor":"v4"}]}' % aid, headers={"content-type":"application/json","user-agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"})}, lambda_context))
    show("events dict many keys", events(json.dumps({"events": [], **{f"k{i}": i for i in range(10000)}}), lambda_context))
    show("events 50 huge", events(json.dumps([{"type": "view", "article_id": aid, "visitor": "v", "junk": "x"*20000} for _ in range(50)]), lambda_context))
    # articles
    show("post surrogate body", post(partner, '{"uri":"urn:x:\\ud800","headlines":[{"value":"h"}],"bodies":[{"value":"b"}]}', lambda_context))
    show("post list", post(partner, '[]', lambda_context))
    show("post deep", post(partner, '{"a":' * 50000 + '1' + '}'*50000, lambda_context))
    show("post dup keys", post(partner, '{"uri":"urn:d:1","uri":"urn:d:2","headlines":[{"value":"h"}],"bodies":[{"value":"b"}]}', lambda_context))
    show("post bigfloat", post(partner, encode(article_doc("urn:f:1", urgency=1e308)), lambda_context))
    show("post float exp", post(partner, '{"uri":"urn:f:2","urgency":1e99999,"headlines":[{"value":"h"}],"bodies":[{"value":"b"}]}', lambda_context))
    show("post float long", post(partner, '{"uri":"urn:f:3","urgency":1.' + '1'*500000 + ',"headlines":[{"value":"h"}],"bodies":[{"value":"b"}]}', lambda_context))
    show("post neg zero", post(partner, '{"uri":"urn:f:4","urgency":-0,"headlines":[{"value":"h"}],"bodies":[{"value":"b"}]}', lambda_context))
