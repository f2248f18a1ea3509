"""Every key of the single table: partition and sort keys, and the attributes of its sparse indexes.

One place, so that no other module builds a key (layout and reasons: docs/design.md,
docs/engagement.md). Keys of one kind of item:

| item                                | PK                               | SK                           |
|-------------------------------------|----------------------------------|------------------------------|
| article, current state              | ``ARTICLE#{id}``                 | ``CURRENT``                  |
| article, one revision (immutable)   | ``ARTICLE#{id}``                 | ``REV#{revision:08d}#{hash}``|
| hash record of an article's file    | ``ARTICLE#{id}``                 | ``SNAPSHOT``                 |
| an article's pictures (media item)  | ``ARTICLE#{id}``                 | ``MEDIA``                    |
| hash record of a list/manifest/schema| ``SNAPSHOTS``                   | ``{path}``                   |
| partner profile                     | ``PARTNERS``                     | ``{partner id}``             |
| partner key (hash only)             | ``PARTNER#{partner id}``         | ``KEY#{key id}``             |
| key lookup (one GetItem a request)  | ``APIKEY#{sha256 of key}``       | ``APIKEY``                   |
| Idempotency-Key record (Powertools) | ``IDEMPOTENCY#ingest``           | hashed key                   |
| dedupe record of a visit            | ``SEEN#{article id}#{hour}``     | ``{visit hash}``             |
| a client's new views (article, hour)| ``CLIENT#{client hash}``         | ``VIEWS``                    |
| view counter (sharded)              | ``COUNTERS#{day}``               | ``{hour}#VIEWS#{article id}#{shard}``|
| comment count                       | ``COUNTERS#{day}``               | ``{hour}#COMMENTS#{article id}``|
| rankings                            | ``TRENDING``                     | ``CURRENT``                  |
| a partner's requests in one window  | ``RATE#{partner id}#{start}``    | ``RATE``                     |
| article withdrawn from the rankings | ``WITHDRAWN``                    | ``{article id}``             |
| article's all-time views, comments  | ``ARTICLE#{id}``                 | ``COUNTS``                   |
| counts changed, file not yet written| ``COUNTS_CHANGED``               | ``{article id}``             |
| lease of the counts files' writer   | ``LEASE``                        | ``COUNTS``                   |
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from newsdesk.articles import ArticleRecord, utc_text
from newsdesk.models import ArticleStatus

PK = "PK"
SK = "SK"
# DynamoDB's own limits per call.
BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25

# --- articles ----------------------------------------------------------------------------------

ARTICLE_PREFIX = "ARTICLE#"
CURRENT = "CURRENT"
REVISION_PREFIX = "REV#"
ARTICLE_FILE_SK = "SNAPSHOT"
# The media function's record of an article's pictures (newsdesk.pictures, docs/media.md).
MEDIA_SK = "MEDIA"


def article_pk(article_id: str) -> str:
    return f"{ARTICLE_PREFIX}{article_id}"


def article_id_of(pk: str) -> str | None:
    """The article id of an ``ARTICLE#`` partition key, or None for any other item."""
    return pk.removeprefix(ARTICLE_PREFIX) if pk.startswith(ARTICLE_PREFIX) else None


def revision_sk(revision: int, content_hash: str) -> str:
    """One revision's item. The content hash keeps two writers racing for one number apart:
    neither overwrites the other's history item, and only the one that advances CURRENT counts."""
    return f"{REVISION_PREFIX}{revision:08d}#{content_hash[:16]}"


def key(pk: str, sk: str) -> dict[str, Any]:
    """A table key in the low-level client's attribute-value form."""
    return {PK: {"S": pk}, SK: {"S": sk}}


# --- sparse indexes of article records (template.yaml) -------------------------------------------

LATEST_INDEX = "LatestIndex"
SECTION_INDEX = "SectionIndex"
OUTLET_INDEX = "OutletIndex"
EMBARGO_INDEX = "EmbargoIndex"
# Articles shown (or waiting for their embargo) that carry a ninjs expires time: the expiry timer's.
EXPIRY_INDEX = "ExpiryIndex"
# Every article's CURRENT item and nothing else, so that a full rebuild reads articles, not history.
ARTICLE_INDEX = "ArticleIndex"
LIST_INDEX_KEYS = {LATEST_INDEX: "latest_pk", SECTION_INDEX: "section_pk", OUTLET_INDEX: "outlet_pk"}
LATEST_LIST = "LATEST"
EMBARGOED = "EMBARGOED"
EXPIRING = "EXPIRING"
ALL_ARTICLES = "ARTICLES"


def section_list_pk(section: str) -> str:
    return f"SECTION#{section}"


def outlet_list_pk(partner_id: str) -> str:
    return f"OUTLET#{partner_id}"


def sort_time(moment: datetime) -> str:
    """A fixed-width UTC form, so that index sort keys order by time."""
    return utc_text(moment)


def embargo_until_sk(moment: datetime) -> str:
    # "~" sorts after every article id, so an embargo ending exactly at ``moment`` is included.
    return f"{sort_time(moment)}#~"


def expiry_until_sk(moment: datetime) -> str:
    # As for embargoes: an article expiring exactly at ``moment`` is included.
    return f"{sort_time(moment)}#~"


def index_attributes(record: ArticleRecord) -> dict[str, str]:
    """Keys of the sparse indexes for this state of the article (its CURRENT item)."""
    attributes = {"all_pk": ALL_ARTICLES, "all_sk": record.article_id}
    if record.status is ArticleStatus.PUBLISHED:
        attributes |= {
            "latest_pk": LATEST_LIST,
            "section_pk": section_list_pk(record.section),
            "outlet_pk": outlet_list_pk(record.partner_id),
            "list_sk": f"{sort_time(record.published_at)}#{record.article_id}",
        }
    elif record.status is ArticleStatus.EMBARGOED and record.embargoed_until is not None:
        attributes |= {
            "embargo_pk": EMBARGOED,
            "embargo_sk": f"{sort_time(record.embargoed_until)}#{record.article_id}",
        }
    # Beside the list or embargo keys (an embargoed story may expire before the timer releases it):
    # a separate index, which the write that retracts or withholds the story takes it out of.
    if record.expires_at is not None and record.status in (ArticleStatus.PUBLISHED, ArticleStatus.EMBARGOED):
        attributes |= {
            "expiry_pk": EXPIRING,
            "expiry_sk": f"{sort_time(record.expires_at)}#{record.article_id}",
        }
    return attributes


# --- snapshots ---------------------------------------------------------------------------------

SHARED_FILES_PK = "SNAPSHOTS"


def day_pages_pk(folder: str) -> str:
    """The hash records of one list's day pages (``folder``: "v1/latest", "v1/sections/news"): a partition
    of their own, so that the shared records (one Query per batch, the manifest) do not grow with the days."""
    return f"PAGES#{folder}"


# Articles taken out of publication recently (retracted, withheld, expired): the rankings drop them
# from the moment their tombstone is published, whatever rankings the trending function stored.
WITHDRAWN_PK = "WITHDRAWN"

# --- partners ----------------------------------------------------------------------------------

DIRECTORY_PK = "PARTNERS"
LOOKUP_SK = "APIKEY"


def partner_pk(partner_id: str) -> str:
    return f"PARTNER#{partner_id}"


def key_sk(key_id: str) -> str:
    return f"KEY#{key_id}"


def lookup_pk(secret_hash: str) -> str:
    return f"APIKEY#{secret_hash}"


# --- per-partner rate limit (newsdesk.ratelimit) -------------------------------------------------

RATE_SK = "RATE"


def rate_pk(partner_id: str, window_start: int) -> str:
    """A partition per partner and window: the next window's writes land on a new key, so no key
    stays hot for longer than one window (docs/operations.md, "Traffic limits")."""
    return f"RATE#{partner_id}#{window_start}"


# --- idempotency (Powertools' persistence layer builds the sort key) -------------------------------

IDEMPOTENCY_PK = "IDEMPOTENCY#ingest"

# --- engagement --------------------------------------------------------------------------------

SEEN_PREFIX = "SEEN#"
TRENDING_PK = "TRENDING"
TRENDING_SK = "CURRENT"
# One partition per UTC day holds that day's view counters and comment counts, sorted by hour, so
# that a trending run reads its window with one Query per day it spans: a key range of hours
# (docs/engagement.md, "Data layout, and why").
COUNTERS_PREFIX = "COUNTERS#"
VIEWS_SK_PART = "VIEWS#"
COMMENTS_SK_PART = "COMMENTS#"
_HOUR_LENGTH = len("2026-11-25T10")


def counters_pk(hour: str) -> str:
    """The partition of an hour's counters: its day (``COUNTERS#2026-11-25``)."""
    return f"{COUNTERS_PREFIX}{hour[:10]}"


def view_sk(hour: str, article_id: str, shard: int) -> str:
    return f"{hour}#{VIEWS_SK_PART}{article_id}#{shard}"


def comment_sk(hour: str, article_id: str) -> str:
    return f"{hour}#{COMMENTS_SK_PART}{article_id}"


def hours_range(first_hour: str, last_hour: str) -> tuple[str, str]:
    """Sort-key bounds (inclusive) of every counter from ``first_hour`` to ``last_hour`` of one day."""
    return f"{first_hour}#", f"{last_hour}#~"


def hour_of_counter_sk(sk: str) -> str:
    return sk[:_HOUR_LENGTH]


def article_of_view_sk(sk: str) -> str | None:
    """The article id of a view counter's sort key, or None for any other item of the day."""
    rest = sk[_HOUR_LENGTH + 1 :]
    if sk[_HOUR_LENGTH : _HOUR_LENGTH + 1] != "#" or not rest.startswith(VIEWS_SK_PART):
        return None
    article_id, separator, _ = rest.removeprefix(VIEWS_SK_PART).rpartition("#")
    return article_id if separator and article_id else None


def article_of_comment_sk(sk: str) -> str | None:
    """The article id of a comment count's sort key, or None for any other item of the day."""
    rest = sk[_HOUR_LENGTH + 1 :]
    if sk[_HOUR_LENGTH : _HOUR_LENGTH + 1] != "#" or not rest.startswith(COMMENTS_SK_PART):
        return None
    return rest.removeprefix(COMMENTS_SK_PART) or None


# Lasting counts (docs/engagement.md, "Counters that last"): an article's all-time views and current
# comments in its own partition; a marker per article whose counts changed since its counts file
# was written; the lease that lets one publish run at a time write counts files.
COUNTS_SK = "COUNTS"
COUNTS_CHANGED_PK = "COUNTS_CHANGED"
LEASE_PK = "LEASE"
COUNTS_LEASE_SK = "COUNTS"


def seen_pk(article_id: str, hour: str) -> str:
    return f"{SEEN_PREFIX}{article_id}#{hour}"


CLIENT_PREFIX = "CLIENT#"
CLIENT_VIEWS_SK = "VIEWS"


def client_pk(client_hash: str) -> str:
    """A client's count of new views of one article in one hour (the hash is scoped to both): one
    partition per item, so no client, however busy, shares a partition with another."""
    return f"{CLIENT_PREFIX}{client_hash}"


def article_and_hour_of_seen_pk(pk: str) -> tuple[str, str] | None:
    """``(article_id, hour)`` of a dedupe record's partition key, or None if it is not one."""
    if not pk.startswith(SEEN_PREFIX):
        return None
    article_id, separator, hour = pk.removeprefix(SEEN_PREFIX).rpartition("#")
    if not separator or not article_id:
        return None
    try:
        datetime.strptime(hour, "%Y-%m-%dT%H")
    except ValueError:
        return None
    return article_id, hour
