"""The local site server (newsdesk_ops.site): the site's files, /v1/* from the snapshot bucket on the
same origin with the headers publish set, /config.json, and nothing outside site/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsdesk_ops.site import SiteServer
from tests.http.conftest import HttpResponse, http_request

pytestmark = pytest.mark.http

LATEST = b'{"kind":"list","items":[]}'


class FakeSnapshots:
    """What SiteServer uses of SnapshotServer: ``fetch`` (and ``bucket`` for its log)."""

    bucket = "snapshots"

    def fetch(self, key: str, *, with_body: bool) -> dict[str, Any] | None:
        if key != "v1/latest.json":
            return None
        return {
            "Body": LATEST if with_body else b"",
            "ContentLength": len(LATEST),
            "ContentType": "application/json; charset=utf-8",
            "CacheControl": "public, max-age=60, stale-while-revalidate=60",
            "ETag": '"abc"',
            "LastModified": datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("site-server")
    root = base / "site"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>Главная</title>", encoding="utf-8")
    (root / "js" / "app.js").write_text("export {};\n", encoding="utf-8")
    (base / "secret.txt").write_text("outside the site", encoding="utf-8")
    server = SiteServer(FakeSnapshots(), root=root, api_url="http://127.0.0.1:3000")  # type: ignore[arg-type]
    url = server.start(0)
    try:
        yield url, root
    finally:
        server.stop()


def get(url: str, path: str, headers: dict[str, str] | None = None) -> HttpResponse:
    return http_request(url, "GET", path, headers=headers)


def test_pages_and_scripts_are_served_with_their_types_and_revalidated(site: tuple[str, Path]) -> None:
    url, _ = site
    assert url.startswith("http://127.0.0.1:")
    page = get(url, "/")
    assert page.status == 200 and "Главная" in page.body.decode("utf-8")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert page.headers["x-content-type-options"] == "nosniff"
    # A <meta> policy cannot forbid framing: the header does (clickjacking of the article pages).
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert get(url, "/", {"If-None-Match": page.headers["etag"]}).status == 304
    script = get(url, "/js/app.js")
    assert (script.status, script.headers["content-type"]) == (200, "text/javascript; charset=utf-8")


def test_snapshots_come_from_the_bucket_on_the_same_origin(site: tuple[str, Path]) -> None:
    url, _ = site
    latest = get(url, "/v1/latest.json")
    assert (latest.status, latest.body) == (200, LATEST)
    assert latest.headers["content-type"] == "application/json; charset=utf-8"
    assert latest.headers["cache-control"] == "public, max-age=60, stale-while-revalidate=60"
    assert latest.headers["last-modified"] == "Mon, 30 Nov 2026 08:00:00 GMT"
    assert get(url, "/v1/latest.json", {"If-None-Match": '"abc"'}).status == 304
    assert get(url, "/v1/articles/none.json").status == 404


def test_config_names_the_api_that_counts_views(site: tuple[str, Path]) -> None:
    url, _ = site
    assert get(url, "/config.json").json() == {"events_url": "http://127.0.0.1:3000/v1/events"}


@pytest.mark.parametrize(
    "path", ["/../secret.txt", "/%2e%2e/secret.txt", "/js/..%2f..%2fsecret.txt", "/nothing.html", "/a%00b.html"]
)
def test_nothing_outside_the_site_folder_is_served(site: tuple[str, Path], path: str) -> None:
    url, _ = site
    answer = get(url, path)
    assert answer.status == 404
    assert b"outside the site" not in answer.body
