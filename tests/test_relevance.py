"""Shortcuts that must change nothing but the time a run takes: the relevance filter (files
FastAPI code can't reach, and that can't reach it, are not read) and a check that stops at the
plan (the files it names are exactly the ones a full run rewrites)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import async_migrate.runner
from async_migrate.config import find_config, load_settings
from async_migrate.plan import Verdict
from async_migrate.relevance import imported_words, relevant_files
from async_migrate.result import RunResult
from async_migrate.runner import migrate

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = Path(__file__).parent.parent / "examples" / "legacy_service"

PROJECT = {
    "app/__init__.py": "",
    "app/core.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n",
    # no mention of fastapi: an entry point only through the router it imports
    "app/routes.py": (
        "from .core import router\n"
        "from app import (\n"
        "    services,\n"
        ")\n"
        "from app import \\\n"
        "    tools\n"
        "\n\n"
        "@router.get('/')\n"
        "def index():\n"
        "    from app import audit\n"
        "    audit.log(); x = 1; import app.stamps\n"
        "    return services.load() + tools.clock()\n"
    ),
    "app/services/__init__.py": "from .impl import load\n",
    "app/services/impl.py": "import time\n\n\ndef load():\n    time.sleep(0.1)\n    return 1\n",
    "app/tools.py": "def clock():\n    return 0\n",
    "app/audit.py": "def log():\n    pass\n",
    "app/stamps.py": "STAMP = 1\n",
    # reached by a relative import only: its package's __init__ is kept for the package's sake
    "app/sub/__init__.py": "",
    "app/sub/views.py": "from ..core import router\n\n\n@router.get('/sub')\ndef sub():\n    return 1\n",
    # a sync caller of the helper, reached only because it imports what matters
    "scripts/report.py": "from app.services import load\n\n\ndef main():\n    return load()\n",
    "lib/__init__.py": "",
    "lib/plain.py": "import json\n\n\ndef dump(x):\n    return json.dumps(x)\n",
    "lib/broken.py": "def broken(:\n",
}
EXPECTED = {name for name in PROJECT if not name.startswith("lib/")}


def _write(root: Path, files: dict[str, str]) -> None:
    shutil.rmtree(root, ignore_errors=True)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_every_import_shape_is_followed_both_ways(tmp_path: Path) -> None:
    _write(tmp_path, PROJECT)
    paths = [tmp_path / name for name in PROJECT]
    texts = [path.read_text() for path in paths]
    flags = relevant_files(paths, ["fastapi" in text for text in texts], list(map(imported_words, texts)))
    relevant = {name for name, flag in zip(PROJECT, flags, strict=True) if flag}
    assert relevant == EXPECTED


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_import_words_whatever_the_line_endings(newline: str) -> None:
    text = newline.join(
        ["import a", "x = 1; import b", "if y: from c import (d,", "  e)", "from f import \\", "  g", ""]
    )
    assert {"a", "b", "c", "d", "e", "f", "g"} <= imported_words(text)
    assert "import_module" not in imported_words("importlib.import_module('h')\n")


def test_a_caller_found_through_its_imports_keeps_the_helper_sync(tmp_path: Path) -> None:
    _write(tmp_path, {**PROJECT, "pyproject.toml": "[project]\nname = 'x'\n"})
    result = migrate([tmp_path / "app"], load_settings(find_config(tmp_path)))
    (load,) = [d for d in result.plan.decisions if d.qualname == "app.services.impl.load"]
    assert load.verdict is Verdict.KEPT_SYNC
    assert any("report.py" in str(finding) for finding in load.findings), load.findings


def _summary(result: RunResult, root: Path) -> tuple[object, ...]:
    return (
        sorted((str(change.path.relative_to(root)), change.new_text) for change in result.changes),
        sorted(repr(decision) for decision in result.plan.decisions),
        sorted(str(error) for error in result.errors),
    )


MULTI_FILE = [case for case in sorted(FIXTURES.iterdir()) if (case / "input").is_dir()] + [EXAMPLE]
EVERY_CASE = [case for case in sorted(FIXTURES.iterdir()) if case.is_dir()] + [EXAMPLE]
_IGNORED = shutil.ignore_patterns("__pycache__", ".venv")


def _copy(case: Path, root: Path) -> Path:
    """The case's input as a project of its own (single-file cases keep their settings)."""
    if case == EXAMPLE or (case / "input").is_dir():
        shutil.copytree(case if case == EXAMPLE else case / "input", root, ignore=_IGNORED)
    else:
        root.mkdir()
        shutil.copy(case / "input.py", root / "app.py")
        if (case / "pyproject.toml").is_file():
            shutil.copy(case / "pyproject.toml", root)
    if not (root / "pyproject.toml").exists():
        (root / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return root


@pytest.mark.parametrize("case", MULTI_FILE, ids=lambda case: case.name)
def test_leaving_files_out_changes_nothing(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy(case, tmp_path / "project")
    settings = load_settings(find_config(root))
    filtered = _summary(migrate([root], settings), root)
    monkeypatch.setattr(async_migrate.runner, "relevant_files", lambda paths, *_: [True] * len(paths))
    assert _summary(migrate([root], settings), root) == filtered


@pytest.mark.parametrize("case", EVERY_CASE, ids=lambda case: case.name)
def test_a_check_that_stops_at_the_plan_names_the_files_a_run_rewrites(case: Path, tmp_path: Path) -> None:
    root = _copy(case, tmp_path / "project")
    settings = load_settings(find_config(root))
    full = migrate([root], settings)
    planned = migrate([root], settings, rewrite=False)
    assert planned.changed_paths == full.changed_paths
    assert [repr(d) for d in planned.plan.decisions] == [repr(d) for d in full.plan.decisions]
