"""The catalog's calls, run: ``tests/behaviour/catalog_service.py`` answers the same before and
after migration, with the migrated app under blockbuster, and each call the catalog now sends to
the threadpool (``json.load`` of an upload rolled to disk, ``ZoneInfo`` of a zone not cached)
raises there when left on the loop, as the tool once left it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from blockbuster import blockbuster_ctx
from fastapi.testclient import TestClient
from helpers import load_module, migrated_copy

SERVICE = Path(__file__).parent / "behaviour" / "catalog_service.py"
BIG = json.dumps({f"key{i}": "x" * 100 for i in range(12_000)}).encode()
"""Past Starlette's 1 MB spool limit: the upload is a file on disk."""
assert len(BIG) > 1024 * 1024
REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/upload/json", {"files": {"file": ("small.json", b'{"a": 1}')}}),
    ("POST", "/upload/json", {"files": {"file": ("big.json", BIG)}}),
    ("POST", "/upload/first-byte", {"files": {"file": ("big.json", BIG)}}),
    ("GET", "/local-import", {}),
    ("GET", "/logged", {}),
    ("GET", "/mime/photo.png", {}),
    ("GET", "/clock/Asia/Tokyo", {}),
    ("GET", "/clock/Nowhere/Atlantis", {}),
    ("POST", "/items", {"json": {"items": [{"name": "a", "size": 2}]}}),
    ("GET", "/evident?name=a-b", {}),
    ("GET", "/evident", {}),
]
CONVERTED = [
    "upload_json",
    "upload_first_byte",
    "local_import",
    "logged",
    "mime",
    "clock",
    "items",
    "evident",
]


def _responses(app: Any) -> list[tuple[int, Any]]:
    ZoneInfo.clear_cache()  # as in a process that has not loaded these zones yet
    with TestClient(app, raise_server_exceptions=False) as client:
        return [
            (response.status_code, response.json() if response.status_code != 500 else response.text)
            for response in (client.request(method, url, **extra) for method, url, extra in REQUESTS)
        ]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_copy(SERVICE, tmp_path_factory.mktemp("migrated"))


def test_every_route_converts_with_its_blocking_calls_off_the_loop(migrated: Path) -> None:
    text = migrated.read_text()
    assert [name for name in CONVERTED if f"async def {name}(" not in text] == []
    assert "await run_in_threadpool(json.load, file.file)" in text
    assert "await run_in_threadpool(ZoneInfo, zone)" in text


def test_responses_are_identical_and_nothing_blocks_the_loop(migrated: Path) -> None:
    before = _responses(load_module(SERVICE, "catalog_service_before").app)
    after_module = load_module(migrated, "catalog_service_after")
    with blockbuster_ctx():
        after = _responses(after_module.app)
    assert before[1] == (200, {"keys": 12_000}) and before[7][0] == 500, before
    assert after == before


@pytest.mark.parametrize(
    ("moved", "request_index"),
    [("await run_in_threadpool(json.load, file.file)", 1), ("await run_in_threadpool(ZoneInfo, zone)", 6)],
)
def test_the_call_left_on_the_loop_would_block(
    migrated: Path, tmp_path: Path, moved: str, request_index: int
) -> None:
    left = moved.removeprefix("await run_in_threadpool(").replace(", ", "(", 1)
    broken = tmp_path / "catalog_broken.py"
    broken.write_text(migrated.read_text().replace(moved, left))
    app = load_module(broken, f"catalog_broken_{request_index}").app
    method, url, extra = REQUESTS[request_index]
    ZoneInfo.clear_cache()
    with blockbuster_ctx(), TestClient(app) as client, pytest.raises(Exception, match="Blocking call"):
        client.request(method, url, **extra)
