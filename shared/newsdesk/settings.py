"""Settings of the functions, read from the environment once per process."""

from __future__ import annotations

import os
from functools import cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    """Everything the functions need to know about their environment.

    The names match the environment variables that template.yaml sets (upper-cased).
    """

    table_name: str = Field(min_length=1)
    archive_bucket: str = Field(min_length=1)
    snapshot_bucket: str = ""
    stage: str = "dev"
    max_body_bytes: int = 1024 * 1024
    # Articles listed in latest/sections/outlets snapshots.
    list_length: int = 50
    # Counts below this never trend (a single view must not make a story "most read").
    trending_min_count: int = 3
    trending_half_life_minutes: float = 360.0
    trending_window_hours: int = 48
    trending_list_length: int = 10
    site_origins: str = "*"


@cache
def get_settings() -> Settings:
    """The process's settings; cached so the environment is read once."""
    fields = Settings.model_fields
    values = {name: os.environ[name.upper()] for name in fields if name.upper() in os.environ}
    return Settings.model_validate(values)
