"""Fixtures of the handler tier beyond tests/conftest.py."""

from __future__ import annotations

from typing import Any

import pytest

from newsdesk_ops.target import Target


@pytest.fixture
def target(stack: Any) -> Target:
    """The emulated stack as the operator CLI addresses it (`newsdesk ... --stack`)."""
    return Target(
        table_name=stack.table_name,
        archive_bucket=stack.archive_bucket,
        snapshot_bucket=stack.environment["SNAPSHOT_BUCKET"],
        endpoint_url=None,
        region="eu-west-1",
    )
