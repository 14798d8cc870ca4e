"""Include and exclude patterns match paths from the root, however the walked folder is named."""

from __future__ import annotations

from pathlib import Path

import pytest

from async_migrate.config import Settings
from async_migrate.discovery import discover


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("pkg/app.py", "pkg/skip/old.py", "pkg/deep/skip/kept.py", "top.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    return tmp_path


def _found(paths: list[Path]) -> set[str]:
    return {path.resolve().as_posix() for path in paths}


@pytest.mark.parametrize("top", [".", "./", "pkg", "pkg/", "pkg/../pkg", "./pkg//", "ABSOLUTE"])
def test_patterns_are_matched_from_the_root(project: Path, top: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    walked = project if top == "ABSOLUTE" else Path(top)
    settings = Settings(exclude=("/pkg/skip/",), root=project)
    found = _found(discover([walked], settings).rewritable)
    assert (project / "pkg/app.py").resolve().as_posix() in found
    assert (project / "pkg/deep/skip/kept.py").resolve().as_posix() in found  # anchored: only pkg/skip
    assert (project / "pkg/skip/old.py").resolve().as_posix() not in found


def test_a_root_inside_the_walked_folder_places_each_file_from_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "pkg")  # no config: the working directory is the root
    found = _found(discover([Path("..")], Settings(exclude=("/skip/",))).rewritable)
    assert (project / "pkg/skip/old.py").resolve().as_posix() not in found
    assert {(project / name).resolve().as_posix() for name in ("top.py", "pkg/app.py")} <= found


@pytest.mark.parametrize("marker", [True, False], ids=["in-a-project", "no-project"])
def test_excluded_files_are_read_as_context_never_rewritten(project: Path, marker: bool) -> None:
    """An excluded script or test still calls the code being rewritten: it is analysed."""
    if marker:
        (project / "pyproject.toml").write_text("")
    found = discover([project / "pkg"], Settings(exclude=("/pkg/skip/",), root=project))
    old = (project / "pkg/skip/old.py").resolve().as_posix()
    assert old not in _found(found.rewritable)
    assert old in _found(found.context)
    assert ((project / "top.py").resolve().as_posix() in _found(found.context)) is marker
