"""Which stream records of a CURRENT item the media function may pass over: only its own mark with no
picture left for later (newsdesk.dal.media.is_settled_mark)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from newsdesk.dal.media import is_settled_mark

PUBLISHED: dict[str, Any] = {"PK": "ARTICLE#a1", "SK": "CURRENT", "status": "published", "revision": Decimal(1)}
MARKED = PUBLISHED | {"image_path": "v1/media/a1/k/640.webp", "media_settled": Decimal(2), "media_deferred": Decimal(0)}


def test_its_own_mark_with_nothing_deferred_is_passed_over() -> None:
    assert is_settled_mark(PUBLISHED, MARKED)
    assert is_settled_mark(MARKED | {"media_settled": Decimal(1)}, MARKED)


def test_a_mark_that_left_pictures_for_later_is_handled() -> None:
    assert not is_settled_mark(PUBLISHED, MARKED | {"media_deferred": Decimal(3)})


def test_any_other_change_is_handled() -> None:
    # a takedown, a new revision (ingest writes the item anew, without the mark), a rebuild from
    # the archive (the same item without the mark), an insert, a removal
    assert not is_settled_mark(MARKED, MARKED | {"status": "retracted"})
    assert not is_settled_mark(MARKED, PUBLISHED | {"revision": Decimal(2)})
    assert not is_settled_mark(MARKED, PUBLISHED)
    assert not is_settled_mark(None, MARKED)
    assert not is_settled_mark(MARKED, None)
    # a mark written before media_deferred existed says nothing about what is left
    assert not is_settled_mark(PUBLISHED, {k: v for k, v in MARKED.items() if k != "media_deferred"})
