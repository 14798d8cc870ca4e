"""Behaviour is kept: ``tests/behaviour/service.py`` answers every request the same way before
and after migration, and the migrated app runs under blockbuster, so any blocking call left on
the event loop fails the test while calls moved to the threadpool pass."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from blockbuster import blockbuster_ctx
from fastapi.testclient import TestClient
from helpers import load_module, loopback_server, migrated_copy, send_json

from async_migrate.config import Settings

SERVICE = Path(__file__).parent / "behaviour" / "service.py"
REQUESTS = [
    ("GET", "/sleep"),
    ("GET", "/sleep/0.01"),
    ("GET", "/sleep/-1"),
    ("GET", "/annotated-local"),
    ("GET", "/files"),
    ("GET", "/files/a.txt"),
    ("GET", "/files/missing.txt"),
    ("GET", "/first-line/a.txt"),
    ("GET", "/first-line/a%2Fb"),
    ("GET", "/total"),
    ("GET", "/whole/b.txt"),
    ("GET", "/python"),
    ("POST", "/hash/secret"),
    ("GET", "/upstream/1"),
    ("GET", "/upstream/404"),
    ("POST", "/scratch"),
    ("GET", "/page?limit=3"),
    ("GET", "/already-async"),
    ("GET", "/ticks?count=4"),
    ("GET", "/stream-file/a.txt"),
]


class _Upstream(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        item = self.path.rsplit("/", 1)[-1]
        status, body = (200, {"id": int(item), "name": f"item {item}"}) if item != "404" else (404, {})
        send_json(self, status, body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with loopback_server(_Upstream) as url:
        yield url


@pytest.fixture(scope="module")
def environment(upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    data = tmp_path_factory.mktemp("data")
    (data / "a.txt").write_text("first line\nsecond\nthird\n")
    (data / "b.txt").write_text("only one line\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BEHAVIOUR_UPSTREAM", upstream)
        patch.setenv("BEHAVIOUR_DATA", str(data))
        yield


def _responses(app: Any) -> list[Any]:
    results = []
    with TestClient(app) as client:
        for method, url in REQUESTS:
            try:
                response = client.request(method, url)
            except Exception as exc:  # the app raised: the same exception type must come out
                results.append(("raised", type(exc).__name__))
            else:
                kind = response.headers["content-type"]
                body = response.json() if kind == "application/json" else response.text
                results.append((response.status_code, kind, body))
    return results


@pytest.fixture(scope="module", params=[False, True], ids=["default", "convert-threadpool-only"])
def migrated(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    return migrated_copy(
        SERVICE, tmp_path_factory.mktemp("migrated"), Settings(convert_threadpool_only=request.param)
    )


def test_the_migration_converts_the_service(migrated: Path) -> None:
    text = migrated.read_text()
    converted = text.count("async def ") - SERVICE.read_text().count("async def ")
    # endpoints whose blocking calls all need the threadpool convert only when asked to
    converting_all = text.count("run_in_threadpool(") > 5
    assert converted >= (16 if converting_all else 7), converted
    assert text.count("time.sleep(") == 1  # the one in a generator StreamingResponse runs in threads


def test_responses_are_identical_and_nothing_blocks_the_loop(environment: None, migrated: Path) -> None:
    before = _responses(load_module(SERVICE, "service_before").app)
    after_module = load_module(migrated, "service_after")
    with blockbuster_ctx():
        after = _responses(after_module.app)
    assert [r for r in before if r[0] == "raised"] == [("raised", "ValueError")]
    for request, old, new in zip(REQUESTS, before, after, strict=True):
        assert new == old, f"{request} answered differently after migration"


def test_blockbuster_catches_a_blocking_call_left_on_the_loop(environment: None, tmp_path: Path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text(SERVICE.read_text().replace("def sleep_literal", "async def sleep_literal"))
    app = load_module(broken, "service_broken").app
    with blockbuster_ctx(), TestClient(app) as client, pytest.raises(Exception, match="Blocking call"):
        client.get("/sleep")
