"""Property tests: on arbitrary valid Python, the tool never crashes, never emits code that
doesn't parse, is idempotent, and leaves code without FastAPI entry points byte-identical.

Programs come from hypothesmith (generated from Python's grammar); to exercise the codemods,
the same programs are also wrapped into the body of a FastAPI route and of a dependency.
"""

from __future__ import annotations

import ast
import textwrap
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from async_migrate import grammar
from async_migrate.catalog import Catalog
from async_migrate.decide import decide
from async_migrate.index import build_index
from async_migrate.rewrite import RewriteError, apply_edits
from async_migrate.source import SourceFile

# hypothesmith compiles its candidates, and generated code draws SyntaxWarnings by the dozen
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")

ROUTE = """\
import time
import os
from fastapi import Depends, FastAPI

app = FastAPI()


def dependency():
    time.sleep(0)
{body}


@app.get("/")
def handler(value=Depends(dependency)):
    os.path.exists("/")
{body}
"""

EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


def _programs() -> st.SearchStrategy[str]:
    """Generated programs that parse; deferred, because hypothesmith builds a parser for Python's
    grammar first (seconds), which a run that leaves these tests out should not pay for."""
    return st.deferred(lambda: hypothesmith.from_grammar().filter(_parses))


def _migrate(code: str) -> str:
    """The whole pipeline on one in-memory module; the plan's rewrite, or the code unchanged."""
    source = SourceFile(Path("generated.py"), code.encode(), code, "utf-8")
    catalog = Catalog()
    plan = decide(build_index([source], catalog), catalog)
    edits = plan.edits.get(source.path, [])
    if not edits:
        return code
    try:
        return apply_edits(code, edits, plan.first_party)
    except RewriteError:
        return code  # reported and left alone: also an acceptable outcome


def _parses(code: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # generated code is full of "x is not callable" warnings
        try:
            ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


@pytest.mark.slow
@EXAMPLES
@given(_programs())
def test_code_without_entry_points_is_left_byte_identical(code: str) -> None:
    assert _migrate(code) == code


def _as_body(code: str) -> str:
    return textwrap.indent(code.strip("\n") or "pass", "    ")


@pytest.mark.slow
@EXAMPLES
@given(_programs().map(lambda code: ROUTE.format(body=_as_body(code))).filter(_parses))
def test_routes_around_arbitrary_code_migrate_to_valid_idempotent_code(code: str) -> None:
    migrated = _migrate(code)
    assert _parses(migrated)
    assert _migrate(migrated) == migrated


@pytest.mark.parametrize(
    "body",
    [
        "match value:\n    case [x, *rest]:\n        time.sleep(x)\n    case _:\n        pass",
        "if (n := len(str(value))) > 1:\n    time.sleep(n)",
        "global counter\ncounter = f'{value!r:>{10}}'",
        "def inner[T](x: T) -> T:\n    return x\ntime.sleep(0.1)",
        "type Pair[T] = tuple[T, T]\ntry:\n    time.sleep(0.1)\nexcept ValueError, TypeError:\n    pass",
        'label = f"{value["name"]}" if time.sleep(0.1) is None else t"{value}"',
        "async def nested():\n    async with value as v:\n        async for _ in v:\n            pass",
        "x = [time.sleep(0) for _ in range(2)]",
        "y = lambda: time.sleep(1)",
        "@(lambda f: f)\ndef decorated():\n    pass",
    ],
)
def test_modern_syntax_is_migrated(body: str) -> None:
    """Syntax newer than this Python's too: read through libcst, never reported as an error."""
    code = ROUTE.format(body=_as_body(body))
    source = SourceFile(Path("new.py"), code.encode(), code, "utf-8")
    assert build_index([source], Catalog()).errors == []
    migrated = _migrate(code)
    grammar.parse(migrated)
    assert _migrate(migrated) == migrated
