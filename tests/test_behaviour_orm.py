"""Relationship reads stay off the loop: ``tests/behaviour/orm_service.py`` runs on a real
SQLAlchemy session over a sqlite file. Its routes answer the same before and after migration,
the migrated app runs under blockbuster, and the test shows that converting a function that
reads a relationship (as the tool once did) puts the lazy load's query on the event loop."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from blockbuster import blockbuster_ctx
from fastapi.testclient import TestClient
from helpers import load_module, migrated_copy

SERVICE = Path(__file__).parent / "behaviour" / "orm_service.py"
REQUESTS = ["/role", "/role?organization=globex", "/role?organization=x", "/organizations", "/me", "/me/name"]
READS_RELATIONSHIPS = ["get_role", "organizations", "me"]
"""A dependency calling a method that iterates a backref, a route iterating it, a route whose
response model has it as a field."""


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORM_DB", str(tmp_path_factory.mktemp("orm") / "app.db"))
        yield


def _load(path: Path, name: str) -> ModuleType:
    module = load_module(path, name)
    module.create_data()
    return module


def _responses(app: Any) -> list[tuple[int, Any]]:
    with TestClient(app) as client:
        return [(response.status_code, response.json()) for response in map(client.get, REQUESTS)]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_copy(SERVICE, tmp_path_factory.mktemp("migrated"))


def test_functions_reading_relationships_stay_sync(migrated: Path) -> None:
    text = migrated.read_text()
    for name in READS_RELATIONSHIPS:
        assert f"\ndef {name}(" in text, name
    # the tool did convert what reads no relationship: the route given the role, the name route
    assert "async def role(" in text and "async def my_name(" in text


def test_responses_are_identical_and_nothing_blocks_the_loop(database: None, migrated: Path) -> None:
    before = _responses(_load(SERVICE, "orm_service_before").app)
    after_module = _load(migrated, "orm_service_after")
    with blockbuster_ctx():
        after = _responses(after_module.app)
    assert before[0] == (200, {"role": "owner"}) and before[4][1]["memberships"], before
    assert after == before


@pytest.mark.parametrize("name", READS_RELATIONSHIPS)
def test_converting_a_relationship_read_would_block_the_loop(
    database: None, migrated: Path, tmp_path: Path, name: str
) -> None:
    broken = tmp_path / "orm_broken.py"
    broken.write_text(migrated.read_text().replace(f"\ndef {name}(", f"\nasync def {name}("))
    app = _load(broken, f"orm_broken_{name}").app
    path = {"get_role": "/role", "organizations": "/organizations", "me": "/me"}[name]
    with blockbuster_ctx(), TestClient(app) as client, pytest.raises(Exception, match="Blocking call"):
        client.get(path)
