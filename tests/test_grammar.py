"""Code newer than the running Python is read through libcst into the tree this Python makes of
its nearest equivalent, with every node where it is in the original text."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from async_migrate import lowering
from async_migrate.catalog import Catalog
from async_migrate.grammar import TemplateStr, TypeParameterExpressions, parse, parse_lowered
from async_migrate.index import build_index
from async_migrate.source import read_source

ROOT = Path(__file__).parent.parent
FULL_STACK = ROOT / "tests" / "fixtures" / "newer_syntax_full_stack_deps" / "input"


PYTHON = sys.version_info[:2]


def _reads(text: str) -> bool:
    """Whether this Python's own parser reads the text."""
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


WITH_F_STRINGS = [
    path
    for folder in ("tests/fixtures", "examples")
    for path in sorted((ROOT / folder).rglob("*.py"))
    if re.search(r"\bf['\"]", path.read_text(encoding="utf-8")) and _reads(path.read_text(encoding="utf-8"))
]


def _assert_names_where_they_are(text: str, tree: ast.AST) -> None:
    """Every name's position spans exactly that name in the original text."""
    names = [node for node in ast.walk(tree) if isinstance(node, ast.Name)]
    assert names
    for node in names:
        assert ast.get_source_segment(text, node) == node.id, ast.dump(node, include_attributes=True)


@pytest.mark.parametrize(
    ("version", "newer", "equivalent"),
    [
        # PEP 701 (3.12): quotes reused inside, non-ASCII text, conversions, nested specs, "="
        (
            (3, 11),
            'x = f"é{d["k"]}?{y!r:>{w}} {z=}" + call(a, "é")\n',
            'x = f"é{d[\'k\']}?{y!r:>{w}} {z=}" + call(a, "é")\n',
        ),
        # debug fields with a format spec or a conversion; an empty string joined to the rest
        ((3, 11), 'x = "" f"{d["k"]}" f"{y=:>10}{z=!s}"\n', 'x = "" f"{d[\'k\']}" f"{y=:>10}{z=!s}"\n'),
        # a comment and a line break inside a replacement field; a concatenation with a plain string
        ((3, 11), 'x = (f"{a  # the first\n    + b}" "?", c)\n', 'x = (f"{a + b}" "?", c)\n'),
        ((3, 11), 'x = f"{f"{f"{a}"}"}" + g(b)\n', "x = f'''{f\"{f'{a}'}\"}''' + g(b)\n"),
        # PEP 758 (3.14)
        ((3, 13), "try:\n    f()\nexcept A, B:\n    g()\n", "try:\n    f()\nexcept (A, B):\n    g()\n"),
        ((3, 13), "try:\n    f()\nexcept* A, B:\n    g()\n", "try:\n    f()\nexcept* (A, B):\n    g()\n"),
        # PEP 654 (3.11), read by 3.10 as a plain except
        ((3, 10), "try:\n    f()\nexcept* (A, B):\n    g()\n", "try:\n    f()\nexcept (A, B):\n    g()\n"),
        # PEP 695 and 696 (3.12, 3.13): type parameters dropped, aliases bound
        (
            (3, 11),
            "def f[T: int = str, *Ts, **P](x: T) -> T:\n    return g(x)\n",
            "def f(x: T) -> T:\n    return g(x)\n",
        ),
        (
            (3, 11),
            "class C[\n    T,  # the item\n](Base[T]):\n    x: T = h()\n",
            "class C(Base[T]):\n\n\n    x: T = h()\n",
        ),
        ((3, 11), "if x:\n    type Pair[T] = tuple[T, T]\n", "if x:\n    Pair = tuple[T, T]\n"),
    ],
)
def test_newer_syntax_reads_as_its_equivalent(version: tuple[int, int], newer: str, equivalent: str) -> None:
    if version < (3, 12) <= PYTHON and 'f"' in newer:
        pytest.skip("this Python reads every f-string, and its parser picks the f-strings to lower")
    if not _reads(equivalent):
        pytest.skip("the equivalent is newer than this Python")
    tree = parse_lowered(newer, "<test>", version)
    assert tree is not None
    assert ast.dump(ast.Module(tree.body, [])) == ast.dump(ast.parse(equivalent))
    _assert_names_where_they_are(newer, tree)


def test_the_names_type_parameters_use_stay_in_the_tree() -> None:
    """Never in a statement (no definition evaluates them), but where a walk of the module
    counts them, so an import only they use is not taken as unused."""
    newer = "def f[T: (time.struct_time, B) = C, *Ts = D](x):\n    pass\ntype X[\n    U: E\n] = F\n"
    tree = parse_lowered(newer, "<test>", (3, 11))
    assert tree is not None
    (kept,) = tree.type_ignores
    assert isinstance(kept, TypeParameterExpressions)
    assert [ast.unparse(expression) for expression in kept.expressions] == [
        "(time.struct_time, B)",
        "C",
        "D",
        "E",
    ]
    _assert_names_where_they_are(newer, kept)


def test_each_statement_keeps_its_line() -> None:
    newer = "class C[\n    T,\n](Base):\n    x = f(\n        f'{a[\"k\"]}'\n    )\n"
    tree = parse_lowered(newer.replace("'", '"'), "<test>", (3, 11))
    assert tree is not None
    (klass,) = tree.body
    assert isinstance(klass, ast.ClassDef) and klass.body[0].lineno == 4 and klass.body[0].end_lineno == 6


def test_a_t_string_is_a_template_not_a_str() -> None:
    tree = parse_lowered('x = t"{a}-{b!r:>{w}}" + f(c)\n', "<test>", (3, 13))
    assert tree is not None
    template = tree.body[0].value.left  # type: ignore[attr-defined]
    assert isinstance(template, TemplateStr) and not isinstance(template, ast.JoinedStr)
    assert ast.dump(ast.JoinedStr(template.values)) == ast.dump(ast.parse('f"{a}-{b!r:>{w}}"').body[0].value)  # type: ignore[attr-defined]
    assert (template.col_offset, template.end_col_offset) == (4, 21)


@pytest.mark.parametrize(
    "text",
    [
        "try:\n    f()\nexcept A, B as error:\n    g()\n",  # no Python reads it
        "def f[T](x: T) -> T:\n    return x\nx = = 1\n",  # newer syntax, and an error
        'x = t"a" "b"\n',  # 3.14 does not let a t-string join other strings
        "x = (\n",
    ],
)
def test_what_neither_parser_reads_is_reported_as_python_reports_it(text: str) -> None:
    with pytest.raises(SyntaxError) as python:
        ast.parse(text)
    with pytest.raises(SyntaxError) as ours:
        parse(text)
    assert (ours.value.msg, ours.value.lineno) == (python.value.msg, python.value.lineno)


def test_syntax_this_python_reads_is_neither_lowered_nor_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    if PYTHON < (3, 11):
        pytest.skip("except* is newer than this Python")
    tree = parse_lowered("try:\n    f()\nexcept* A, B:\n    g()\nexcept* C:\n    pass\n", "<test>", (3, 13))
    assert tree is not None and type(tree.body[0]).__name__ == "TryStar"

    def fail(text: str, version: tuple[int, int]) -> None:
        raise AssertionError("lowered a file ast reads")

    monkeypatch.setattr(lowering, "lower", fail)
    assert ast.dump(parse("x = f'{a}'\n")) == ast.dump(ast.parse("x = f'{a}'\n"))


def test_the_full_stack_templates_dependencies_are_indexed() -> None:
    """Its ``deps.py`` catches ``except InvalidTokenError, ValidationError:`` (Python 3.14)."""
    paths = sorted(FULL_STACK.rglob("*.py"))
    index = build_index([read_source(path) for path in paths], Catalog())
    assert index.errors == []
    deps = {name for name in index.functions if name.startswith("app.api.deps.")}
    assert deps == {
        "app.api.deps.get_db",
        "app.api.deps.get_current_user",
        "app.api.deps.get_current_active_superuser",
    }
    assert deps <= set(index.entry_points)


@pytest.mark.parametrize("path", WITH_F_STRINGS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_f_string_lowered_reads_as_python_reads_it(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lowering each f-string of real code, not only those this Python can't read, gives the
    tree ``ast`` gives, with every name, call and attribute where ``ast`` has it."""
    monkeypatch.setattr(lowering, "_reads", lambda code: False)
    text = path.read_text(encoding="utf-8")
    tree = parse_lowered(text, str(path), (3, 11))
    python = ast.parse(text)
    assert tree is not None and ast.dump(tree) == ast.dump(python)
    for ours, its in zip(ast.walk(tree), ast.walk(python), strict=True):
        if isinstance(ours, (ast.Name, ast.Call, ast.Attribute)):
            where = (ours.lineno, ours.col_offset, ours.end_lineno, ours.end_col_offset)
            assert where == (its.lineno, its.col_offset, its.end_lineno, its.end_col_offset), ast.dump(ours)


def test_a_type_statement_binds_its_alias_as_an_assignment_does(tmp_path: Path) -> None:
    """``type DB = Annotated[Session, Depends(get_db)]``: FastAPI reads the alias, so a parameter
    ``db: DB`` is a ``Session``. Python 3.12+ reads the statement natively (``ast.TypeAlias``);
    older ones read it lowered to ``DB = ...``. Both must bind ``DB``; run under each to cover both."""
    (tmp_path / "app.py").write_text(
        "from typing import Annotated\n\n"
        "from fastapi import Depends, FastAPI\n"
        "from sqlalchemy.orm import Session\n\n"
        "app = FastAPI()\n\n\n"
        "def get_db():\n    return Session()\n\n\n"
        "type DB = Annotated[Session, Depends(get_db)]\n\n\n"
        "@app.get('/')\n"
        "def read(db: DB):\n    return db.execute('select 1')\n"
    )
    tree = parse((tmp_path / "app.py").read_text())
    native = hasattr(ast, "TypeAlias") and any(isinstance(node, ast.TypeAlias) for node in tree.body)
    assert native == (PYTHON >= (3, 12))
    index = build_index([read_source(tmp_path / "app.py")], Catalog())
    (call,) = index.functions["app.read"].calls
    assert getattr(call.callee, "qualname", None) == "sqlalchemy.orm.Session.execute", call.callee
