"""The public JSON snapshots the website reads (under ``v1/`` in the snapshot bucket).

- :mod:`~newsdesk.snapshots.models` — article, tombstone, list and manifest models (frozen dataclasses)
- :mod:`~newsdesk.snapshots.trending` — the trending and counters models, and :class:`Rankings`
  (one trending run's two files)
- :mod:`~newsdesk.snapshots.sections` — ``v1/sections.json``: every section, its titles and its list
- :mod:`~newsdesk.snapshots.build` — from an article's record and content to its snapshots
- :mod:`~newsdesk.snapshots.paths` — bucket keys and Cache-Control of each kind of file
- :mod:`~newsdesk.snapshots.render` — the bytes of a file, and a stored file read back into its model
- :mod:`~newsdesk.snapshots.schemas` — the JSON Schemas published beside the files: generated from the
  models with pydantic at development time (``make schemas``) and committed as package data

Nothing here talks to AWS (the bucket is :mod:`newsdesk.dal.snapshots`), and nothing here imports
pydantic at runtime (publish and trending load this package on their cold start). The names other
modules use are re-exported here.
"""

from newsdesk.snapshots.build import (
    article_snapshot,
    article_summary,
    changed_at,
    outlet_ref,
    section_ref,
    tombstone_snapshot,
)
from newsdesk.snapshots.counts import CountsSnapshot
from newsdesk.snapshots.models import (
    SCHEMA_VERSION,
    ArticleSnapshot,
    ArticleSummary,
    ImageSnapshot,
    ListSnapshot,
    ManifestEntry,
    ManifestSnapshot,
    MentionSnapshot,
    MentionsSnapshot,
    OutletRef,
    RightsSnapshot,
    SchemaEntry,
    SectionRef,
    SnapshotModel,
    TombstoneSnapshot,
    UtcTime,
)
from newsdesk.snapshots.paths import (
    ARTICLE_CACHE_CONTROL,
    CONTENT_TYPE,
    COUNTERS_PATH,
    LATEST_PATH,
    LIST_CACHE_CONTROL,
    MANIFEST_CACHE_CONTROL,
    MANIFEST_PATH,
    PREFIX,
    SCHEMA_CACHE_CONTROL,
    SECTIONS_PATH,
    TRENDING_PATH,
    article_path,
    cache_control_for,
    counts_path,
    is_article_path,
    outlet_path,
    schema_path,
    section_path,
)
from newsdesk.snapshots.render import parse, render, render_json, sha256_of, to_json
from newsdesk.snapshots.schemas import SNAPSHOT_KINDS, json_schemas, schema_fingerprint
from newsdesk.snapshots.sections import SectionEntry, SectionsSnapshot, sections_snapshot
from newsdesk.snapshots.trending import (
    ArticleCountsSnapshot,
    CountersSnapshot,
    DiscussedEntrySnapshot,
    Rankings,
    TrendingEntrySnapshot,
    TrendingListsSnapshot,
    TrendingSnapshot,
    entry_path,
)

__all__ = [
    "ARTICLE_CACHE_CONTROL",
    "CONTENT_TYPE",
    "COUNTERS_PATH",
    "LATEST_PATH",
    "LIST_CACHE_CONTROL",
    "MANIFEST_CACHE_CONTROL",
    "MANIFEST_PATH",
    "PREFIX",
    "SCHEMA_CACHE_CONTROL",
    "SCHEMA_VERSION",
    "SECTIONS_PATH",
    "SNAPSHOT_KINDS",
    "TRENDING_PATH",
    "ArticleCountsSnapshot",
    "ArticleSnapshot",
    "ArticleSummary",
    "CountersSnapshot",
    "CountsSnapshot",
    "DiscussedEntrySnapshot",
    "ImageSnapshot",
    "ListSnapshot",
    "ManifestEntry",
    "ManifestSnapshot",
    "MentionSnapshot",
    "MentionsSnapshot",
    "OutletRef",
    "Rankings",
    "RightsSnapshot",
    "SchemaEntry",
    "SectionEntry",
    "SectionRef",
    "SectionsSnapshot",
    "SnapshotModel",
    "TombstoneSnapshot",
    "TrendingEntrySnapshot",
    "TrendingListsSnapshot",
    "TrendingSnapshot",
    "UtcTime",
    "article_path",
    "article_snapshot",
    "article_summary",
    "cache_control_for",
    "changed_at",
    "counts_path",
    "entry_path",
    "is_article_path",
    "json_schemas",
    "outlet_path",
    "outlet_ref",
    "parse",
    "render",
    "render_json",
    "schema_fingerprint",
    "schema_path",
    "section_path",
    "section_ref",
    "sections_snapshot",
    "sha256_of",
    "to_json",
    "tombstone_snapshot",
]
