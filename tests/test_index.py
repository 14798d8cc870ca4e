"""The index's shortcuts give the answer of the full walk they save."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from async_migrate.catalog import Catalog
from async_migrate.index import ProjectIndex, build_index
from async_migrate.source import read_source

ROOT = Path(__file__).parent.parent
SOURCES = sorted((ROOT / "tests" / "fixtures").rglob("*.py")) + sorted(
    (ROOT / "examples" / "legacy_service").rglob("*.py")
)


def _index_of(path: Path) -> ProjectIndex:
    return build_index([read_source(path)], Catalog())


def _assert_used_beyond_is_the_walk(index: ProjectIndex, path: Path) -> None:
    module = index.module_at(path)
    assert module is not None
    walked = index._name_uses_in(module)
    for name in sorted(set(re.findall(r"\w+", module.source.text))):
        for rewritten in range(4):
            assert index.used_beyond(path, name, rewritten) == (walked[name] > rewritten), (name, rewritten)


@pytest.mark.parametrize("path", SOURCES, ids=lambda path: str(path.relative_to(ROOT)))
def test_used_beyond_agrees_with_the_walk_on_every_word(path: Path) -> None:
    _assert_used_beyond_is_the_walk(_index_of(path), path)


@pytest.mark.parametrize(
    "code",
    [
        "import time\ntime.sleep(1)\n",
        "import time; time.sleep(1); time.sleep(2)\n",
        "from time import *\nsleep(1)\nsleep(2)\n",  # the star spells no name out
        'import time\n"""time is mentioned here"""\ntime.sleep(1)\n',
        "import time as time\nfrom os import path as time\ntime.sleep(1)\n",
        "from . import time\nfrom .time import sleep\n__all__ = ['time', 'sleep']\nsleep(1)\n",
        "import os.path\nos.path.join('a')\nos = 1\n",
        "if True:\n    import time\nelse:\n    time = None\nx = f'{time}'\n",
    ],
)
def test_used_beyond_agrees_with_the_walk_on_tricky_imports(code: str, tmp_path: Path) -> None:
    path = tmp_path / "module.py"
    path.write_text(code, encoding="utf-8")
    _assert_used_beyond_is_the_walk(_index_of(path), path)
