"""Issue 14, items 1-4, as behaviour: ``tests/behaviour/held_service.py`` answers the same
before and after migration with the migrated app under blockbuster, and the migrated app, served
by uvicorn on 127.0.0.1, answers concurrent requests that a wrong conversion would deadlock (a
thread lock held across an await) or serialise (an ``Event.wait`` kept on ``app.state``)."""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from blockbuster import blockbuster_ctx
from fastapi.testclient import TestClient
from helpers import load_module, migrated_copy

SERVICE = Path(__file__).parent / "behaviour" / "held_service.py"
CASES = {
    "sqlite-on-app-state": ["/items"],
    "object-on-request-state": ["/file/a.txt"],
    "event-on-app-state": ["/open", "/wait"],
    "thread-lock": ["/locked?delay=0.01"],
    "blocking-sort-key": ["/sizes?names=a.txt,b.txt"],
    "bound-method-mapped": ["/contents?names=a.txt,b.txt"],
    "pure-recursive-helper": ["/fib/15"],
}
"""Requests, in order, per item of the issue."""
SERVE = """
import sys
import uvicorn
from blockbuster import blockbuster_ctx

with blockbuster_ctx():
    port = int(sys.argv[1])
    uvicorn.run("held_service:app", host="127.0.0.1", port=port, log_level="error", access_log=False)
"""
"""Serves the migrated app with every blocking call on the event loop an error."""


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("held-data")
    (folder / "a.txt").write_text("a longer file\n")
    (folder / "b.txt").write_text("short\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HELD_DATA", str(folder))
        yield folder


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_copy(SERVICE, tmp_path_factory.mktemp("held-migrated"))


def _responses(app: Any, urls: list[str]) -> list[tuple[int, Any]]:
    with TestClient(app) as client:
        return [(r.status_code, r.json()) for r in (client.get(url) for url in urls)]


@pytest.mark.parametrize("case", CASES)
def test_answers_are_the_same_and_nothing_blocks_the_loop(case: str, data: Path, migrated: Path) -> None:
    before = _responses(load_module(SERVICE, f"held_before_{case}").app, CASES[case])
    after_module = load_module(migrated, f"held_after_{case}")
    with blockbuster_ctx():
        after = _responses(after_module.app, CASES[case])
    assert after == before
    assert [status for status, _ in before] == [200] * len(CASES[case])


def test_a_pure_recursive_helper_stays_a_plain_function(migrated: Path) -> None:
    after = load_module(migrated, "held_pure")
    assert inspect.iscoroutinefunction(after.fibonacci)  # the endpoint converts (it sleeps)...
    assert not inspect.iscoroutinefunction(after.fib)  # ...and calls fib as it is
    assert after.fib(15) == 610


@pytest.fixture
def served(data: Path, migrated: Path) -> Iterator[str]:
    """The migrated app under uvicorn and blockbuster, in a process of its own (killed at the
    end: a deadlocked loop would not answer a polite shutdown)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HELD_DATA": str(data), "PYTHONPATH": str(migrated.parent)}
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=migrated.parent, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                httpx.get(f"{url}/fib/1", timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.1)
        yield url
    finally:
        server.kill()
        server.wait(timeout=10)


def _get(url: str, timeout: float = 5) -> tuple[int, Any]:
    response = httpx.get(url, timeout=timeout)
    return response.status_code, response.json()


@pytest.mark.slow
def test_concurrent_requests_through_a_thread_lock_all_finish(served: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(_get, [f"{served}/locked?delay=0.2"] * 4))
    assert sorted(body["served"] for _, body in answers) == [1, 2, 3, 4]
    assert {status for status, _ in answers} == {200}


@pytest.mark.slow
def test_a_wait_on_app_state_lets_other_requests_run(served: str) -> None:
    # on the loop, the wait would hold /open back until it timed out (4 s), answering False
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(_get, f"{served}/wait", 8)
        time.sleep(0.3)
        assert _get(f"{served}/open", 8) == (200, {})
        assert waiting.result() == (200, {"opened": True})
