"""The index's shortcuts give the answer of the full walk they save."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

from async_migrate.catalog import Catalog
from async_migrate.index import ProjectIndex, build_index, constants, scopes, syntax
from async_migrate.index.uses import ModuleNameUses
from async_migrate.source import read_source

ROOT = Path(__file__).parent.parent
SOURCES = sorted((ROOT / "tests" / "fixtures").rglob("*.py")) + sorted(
    (ROOT / "examples" / "legacy_service").rglob("*.py")
)


def _index_of(path: Path) -> ProjectIndex:
    return build_index([read_source(path)], Catalog())


def _assert_used_beyond_is_the_walk(index: ProjectIndex, path: Path) -> None:
    module = index.module_at(path)
    facts = index.module_facts_at(path)
    assert module is not None and facts is not None
    walked = ModuleNameUses(module).counts()
    for name in sorted(set(re.findall(r"\w+", module.source.text))):
        for rewritten in range(4):
            assert facts.uses.more_than(name, rewritten) == (walked[name] > rewritten), (name, rewritten)


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


DEPS = """\
from fastapi import Depends as Need


def get_settings():
    return {}
"""

MAIN = """\
import time

from fastapi import APIRouter, Depends, FastAPI

from app import deps
from app.deps import Need as Wanted

app = FastAPI()
router = APIRouter()


def dep_a():
    time.sleep(1)


def dep_b():
    time.sleep(1)


def dep_c():
    time.sleep(1)


def endpoint_d():
    time.sleep(1)


@router.get(
    "/x",
    dependencies=[deps.Need(dep_a)],
)
def route_x(b=Wanted(dep_b)):
    return b


def make(register=app.add_api_route):
    register("/d", endpoint_d)
    app.add_api_route("/d", endpoint_d)


app.dependency_overrides[dep_c] = dep_b
"""


def test_registrations_are_found_through_aliases_and_re_exports(tmp_path: Path) -> None:
    """The index looks for registrations only in statements that name ``Depends`` & co. or a name
    an import binds to one of them: these are the spellings that test that filter."""
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "deps.py").write_text(DEPS)
    (tmp_path / "app" / "main.py").write_text(MAIN)
    sources = [read_source(tmp_path / "app" / name) for name in ("__init__.py", "deps.py", "main.py")]
    index = build_index(sources, Catalog())
    kinds = {qualname: {entry.kind for entry in entries} for qualname, entries in index.entry_points.items()}
    assert kinds["app.main.dep_a"] == {"dependency"}  # deps.Need: an alias re-exported by a module
    assert kinds["app.main.dep_b"] == {"dependency"}  # Wanted: an alias of that alias
    assert kinds["app.main.endpoint_d"] == {"route"}
    assert kinds["app.main.route_x"] == {"route"}
    assert "app.main.dep_c" not in index.value_uses  # an override key is no use as a value


NOT_A_ROUTER = """\
from fastapi import FastAPI


class Registry:
    def add_api_route(self, path, endpoint):
        self.routes = [(path, endpoint)]


class Api:
    def __init__(self):
        self.registry = Registry()
        self.registry.add_api_route("/x", self.handler)

    def handler(self):
        return 1


def handler():
    return 2


registry = Registry()
registry.add_api_route("/y", handler)
app = FastAPI()


@app.get("/z")
def z():
    return handler()
"""


def test_add_api_route_on_a_value_known_not_to_be_a_router_registers_nothing(tmp_path: Path) -> None:
    """A project class's own add_api_route may call the function as it is: no entry point, and
    the function passed counts as a use as a value (not as a registration FastAPI consumes)."""
    (tmp_path / "main.py").write_text(NOT_A_ROUTER)
    index = build_index([read_source(tmp_path / "main.py")], Catalog())
    assert list(index.entry_points) == ["main.z"]
    assert [location.line for location in index.value_uses.get("main.handler", [])] == [23]
    assert index.unresolved == []


def test_every_node_type_the_bindings_filter_lets_through_binds_its_names() -> None:
    # _function_bindings skips, by one set lookup, the node types outside _BINDING_NODES: f uses
    # every type in that set, and each must still bind (or declare) what it does
    body = (
        "nonlocal z",
        "global g",
        "v = 1",
        "b: int = 1",
        "c += 1",
        "if (d := 2):\n    pass",
        "for e in a:\n    pass",
        "async for h in a:\n    pass",
        "[i for i in a]",
        "with open(a) as j:\n    pass",
        "try:\n    pass\nexcept OSError as k:\n    pass",
        "import os.path as m",
        "from x import n",
        "def o():\n    pass",
        "async def p():\n    pass",
        "class Q:\n    pass",
    ) + (("type r = int",) if constants.TYPE_ALIAS else ())  # Python 3.12+
    outer = ast.parse(
        "def outer():\n    z = 0\n    async def f(a):\n" + textwrap.indent("\n".join(body), " " * 8)
    )
    function = outer.body[0].body[1]  # type: ignore[attr-defined]
    assert isinstance(function, ast.AsyncFunctionDef)
    own = list(syntax._own_nodes(function.body))
    assert {type(node) for node in own} >= scopes._BINDING_NODES
    bindings, declared_global, declared_nonlocal = scopes._function_bindings(function, own)
    assert (declared_global, declared_nonlocal) == ({"g"}, {"z"})
    expected = {"a", "v", "b", "c", "d", "e", "h", "i", "j", "k", "m", "n", "o", "p", "Q"}
    assert set(bindings) == expected | ({"r"} if constants.TYPE_ALIAS else set())
