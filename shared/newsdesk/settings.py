"""Settings of the functions, read from the environment once per process."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache


class SettingsError(ValueError):
    """An environment variable is missing or malformed: a deployment mistake, reported at first use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the functions need to know about their environment.

    The names match the environment variables that template.yaml sets (upper-cased). A plain
    dataclass: every function reads it on its first request, and pydantic's import would double
    the ingest function's cold start for eleven scalar fields.
    """

    table_name: str
    archive_bucket: str
    snapshot_bucket: str = ""
    stage: str = "dev"
    max_body_bytes: int = 1024 * 1024
    # Articles listed in latest/sections/outlets snapshots.
    list_length: int = 50
    # The reader site's absolute URL ending in "/": article links in feeds and the news sitemap are
    # {site_url}article.html?id={id}; "" makes them site-root paths (docs/snapshots.md, "Feeds").
    site_url: str = ""
    site_name: str = "Newsdesk"
    # Counts below this never trend (a single view must not make a story "most read").
    trending_min_count: int = 3
    trending_half_life_minutes: float = 360.0
    trending_window_hours: int = 48
    trending_list_length: int = 10
    # recently_discussed in trending.json: stories with a new comment in the last hours (at most the
    # trending window), newest first, whatever their count from this minimum (docs/engagement.md).
    recent_discussion_hours: int = 24
    recent_discussion_list_length: int = 10
    recent_discussion_min_comments: int = 0
    site_origins: str = "*"
    # Requests per partner per window on the articles routes, 0: none; "partner=limit,..." replaces
    # it for some partners (newsdesk.ratelimit, docs/operations.md "Traffic limits").
    partner_rate_limit: int = 600
    partner_rate_window_seconds: int = 60
    partner_rate_limit_overrides: str = ""
    # New views one client (address or IPv6 /64) may add per article and hour (docs/engagement.md).
    views_per_client_hour: int = 60
    # Secrets Manager secret (ARN or name) holding the key of the client-address hash; empty
    # (locally, in tests): the process makes a key of its own.
    client_key_secret: str = ""
    # Pictures (docs/media.md): the private bucket of originals; "host:port" entries a fetch may
    # reach although they are private or loopback (local stacks and tests only); rendition widths.
    media_bucket: str = ""
    media_fetch_allowlist: str = ""
    media_widths: str = "320,640,1024"

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Settings:
        values: dict[str, object] = {}
        for setting in fields(cls):
            name = setting.name.upper()
            if name not in environment:
                continue
            text = environment[name]
            try:
                values[setting.name] = _CONVERTERS.get(str(setting.type), str)(text)
            except ValueError as error:
                raise SettingsError(f"{name}={text!r} is not a valid {setting.type}") from error
        for required in ("table_name", "archive_bucket"):
            if not values.get(required):
                raise SettingsError(f"{required.upper()} must be set")
        return cls(**values)  # type: ignore[arg-type]


_CONVERTERS = {"int": int, "float": float, "str": str}


@cache
def get_settings() -> Settings:
    """The process's settings; cached so the environment is read once."""
    return Settings.from_environment(os.environ)
