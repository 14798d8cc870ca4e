"""Entry points however registered (an APIRouter subclass, a class, a setup function, a route
defined inside one, a lifespan, startup and shutdown handlers) answer the same after migration,
and under blockbuster nothing they run blocks the loop; before it, the sync startup handler did
(Starlette calls it there)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from blockbuster import blockbuster_ctx
from fastapi.testclient import TestClient
from helpers import load_module, migrated_copy

SERVICE = Path(__file__).parent / "behaviour" / "entry_points.py"
REQUESTS = ["/users/pause", "/users/pause?delay=0.02", "/reports/latest", "/events", "/status"]


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "report.txt").write_text("all quiet")
    monkeypatch.setenv("ENTRY_POINTS_DATA", str(folder))
    yield folder


def _responses(module: ModuleType, data: Path) -> list[Any]:
    with TestClient(module.app) as client:
        answers = [(url, client.get(url).status_code, client.get(url).json()) for url in REQUESTS]
    with TestClient(module.legacy) as client:
        answers.append(client.get("/warm").json())
    answers.append((data / "closed.txt").read_text())  # the shutdown handler ran
    answers.append(list(module.events))  # the lifespan ran, both halves
    return answers


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # on_event is deprecated, and still served
def test_every_entry_point_answers_the_same_and_nothing_blocks_the_loop(data: Path, tmp_path: Path) -> None:
    target = migrated_copy(SERVICE, tmp_path)
    text = target.read_text()
    for converted in ("def pause", "def latest", "def list_events", "def status", "def warm", "def close"):
        assert f"async {converted}(" in text, converted
    assert "time.sleep" not in text
    before = _responses(load_module(SERVICE, "entry_points_before"), data)
    (data / "closed.txt").unlink()
    after_module = load_module(target, "entry_points_after")
    with blockbuster_ctx():
        after = _responses(after_module, data)
    assert after == before
    assert before[-1] == ["lifespan started", "lifespan ended"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_sync_startup_handler_blocked_the_loop_before(data: Path) -> None:
    """Why converting it is a gain: Starlette runs a sync startup handler on the event loop."""
    legacy = load_module(SERVICE, "entry_points_original").legacy
    with blockbuster_ctx(), pytest.raises(Exception, match="Blocking call"), TestClient(legacy):
        pass
