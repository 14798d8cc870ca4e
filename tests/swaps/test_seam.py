"""The seam itself: the registry covers every edit type once, and the rewriter applies edits of
any anchor through it, including the shapes the next swaps need (a module-level statement, a
``with`` made ``async with``, a name in an annotation renamed)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst
import pytest
from swap_helpers import PATH, rewritten, span_of

from async_migrate import config
from async_migrate.catalog import Entry, Treatment
from async_migrate.config import Settings
from async_migrate.facts import Span
from async_migrate.plan import Anchor, Edit
from async_migrate.rewrite import RewriteError
from async_migrate.rules import Rule
from async_migrate.swaps import registry
from async_migrate.swaps.base import Rewriting, Swap


def _edit_types(kind: type[Edit]) -> set[type[Edit]]:
    found = set()
    for sub in kind.__subclasses__():
        if sub.__module__.startswith("async_migrate."):
            found.add(sub)
        found |= _edit_types(sub)
    return found


def test_every_edit_type_of_the_package_has_one_codemod() -> None:
    assert _edit_types(Edit) == set(registry.codemods())


def test_no_two_swaps_own_a_rule_and_every_default_is_a_choice() -> None:
    owned = [rule for swap in registry.SWAPS for rule in swap.rules]
    assert len(owned) == len(set(owned))
    assert all(setting.default in setting.choices for setting in registry.SETTINGS)


@dataclass(frozen=True)
class AsyncWith(Edit):
    @property
    def anchor(self) -> Anchor:
        return "statement"


@dataclass(frozen=True)
class Rename(Edit):
    new: str

    @property
    def anchor(self) -> Anchor:
        return "expression"


@dataclass(frozen=True)
class AsyncEngine(Edit):
    """A module-level ``engine = create_engine(url)``: the call renamed, a comment put before
    its statement through ``wrap_statement``."""

    statement: Span


def _async_with(node: cst.With, edit: AsyncWith, rewriting: Rewriting) -> cst.With:
    return node.with_changes(asynchronous=cst.Asynchronous())


def _rename(node: cst.Name | cst.SimpleString, edit: Rename, rewriting: Rewriting) -> cst.BaseExpression:
    return node.with_changes(value=edit.new)


def _async_engine(node: cst.Call, edit: AsyncEngine, rewriting: Rewriting) -> cst.Call:
    rewriting.imports.need("sqlalchemy.ext.asyncio", "create_async_engine")

    def commented(statement: cst.SimpleStatementLine) -> cst.SimpleStatementLine:
        comment = cst.EmptyLine(comment=cst.Comment("# async engine"))
        return statement.with_changes(leading_lines=[*statement.leading_lines, comment])

    rewriting.wrap_statement(edit.statement, commented)
    return node.with_changes(func=cst.Name("create_async_engine"))


@pytest.fixture
def fake_codemods(monkeypatch: pytest.MonkeyPatch) -> None:
    for kind, codemod in ((AsyncWith, _async_with), (Rename, _rename), (AsyncEngine, _async_engine)):
        monkeypatch.setitem(registry.codemods(), kind, codemod)


def test_statement_expression_and_module_level_edits_go_through_the_registry(fake_codemods: None) -> None:
    before = (
        "from sqlalchemy import create_engine\n"
        "engine = create_engine('sqlite:///db')\n\n\n"
        "async def f(session: Session) -> None:\n"
        "    with make(engine) as session:\n"
        "        pass\n"
    )
    annotation = span_of(before, ast.Name, 2)
    edits = [
        AsyncEngine(Rule.AWAIT_CALL, PATH, span_of(before, ast.Call), span_of(before, ast.Assign)),
        Rename(Rule.AWAIT_CALL, PATH, span_of(before, ast.Constant), "'sqlite+aiosqlite:///db'"),
        Rename(Rule.AWAIT_CALL, PATH, annotation, "AsyncSession"),
        AsyncWith(Rule.AWAIT_CALL, PATH, span_of(before, ast.With)),
    ]
    after = (
        "from sqlalchemy import create_engine\n"
        "from sqlalchemy.ext.asyncio import create_async_engine\n"
        "# async engine\n"
        "engine = create_async_engine('sqlite+aiosqlite:///db')\n\n\n"
        "async def f(session: AsyncSession) -> None:\n"
        "    async with make(engine) as session:\n"
        "        pass\n"
    )
    assert rewritten(before, *edits) == after


def test_a_statement_to_wrap_that_is_not_found_leaves_the_file_alone(fake_codemods: None) -> None:
    before = "from sqlalchemy import create_engine\nengine = create_engine(URL)\n"
    call = span_of(before, ast.Call)
    with pytest.raises(RewriteError, match="could not locate"):
        rewritten(before, AsyncEngine(Rule.AWAIT_CALL, PATH, call, call))  # the call's span: no statement


def test_a_swap_adds_catalog_rows_for_its_option_and_the_configuration_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class RowsSwap(Swap):
        name = "rows"

        def catalog_rows(self, options: Mapping[str, str]) -> Mapping[str, Entry]:
            if options["http-client"] != "aiohttp":
                return {}
            return {"db.query": Entry(Treatment.SAFE), "db.commit": Entry(Treatment.SAFE)}

    monkeypatch.setattr(config, "SWAPS", (RowsSwap(), *registry.SWAPS))
    settings = Settings(http_client="aiohttp", blocking=("db.commit",))
    catalog = settings.catalog()
    assert catalog.lookup("db.query") == Entry(Treatment.SAFE)
    assert catalog.lookup("db.commit") == Entry(Treatment.THREADPOOL)
    assert Settings().catalog().lookup("db.query") is None
