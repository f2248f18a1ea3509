"""Fixtures of the handler tier beyond tests/conftest.py."""

from __future__ import annotations

import pytest

from newsdesk.dal.partners import PartnerStore
from newsdesk.partners import Principal
from newsdesk_ops.target import Target
from tests.conftest import Partner


@pytest.fixture
def principal(target: Target, partner: Partner) -> Principal:
    """The ``partner`` fixture as ingest sees it once its key is resolved."""
    resolved = PartnerStore(target.table_name, target.dynamodb_client()).resolve(partner.key)
    assert resolved is not None
    return resolved
