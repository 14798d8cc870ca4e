"""Settings, read from the environment once and cached."""

import functools
import os
from dataclasses import dataclass
from pathlib import Path

# data/ next to the package, so `uvicorn legacy_service.main:app` works from a checkout
DEFAULT_DATA_DIR = str(Path(__file__).resolve().parents[1] / "data")
DEFAULT_UPSTREAM_URL = "http://127.0.0.1:8081"


@dataclass(frozen=True)
class Settings:
    upstream_url: str
    data_dir: str


@functools.lru_cache
def get_settings() -> Settings:
    # read once per process; tests call get_settings.cache_clear() after changing the env
    return Settings(
        upstream_url=os.environ.get("UPSTREAM_URL", DEFAULT_UPSTREAM_URL).rstrip("/"),
        data_dir=os.environ.get("DATA_DIR", DEFAULT_DATA_DIR),
    )
