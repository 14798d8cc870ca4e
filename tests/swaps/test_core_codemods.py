"""The core's codemods, node before and after: every swap relies on them (AM001, AM002)."""

from __future__ import annotations

import ast

from swap_helpers import PATH, rewritten, span_of

from async_migrate.facts import ImportBinding
from async_migrate.plan import AwaitCall, MakeAsync
from async_migrate.rules import Rule


def test_make_async_keeps_the_function_as_written_but_for_async() -> None:
    before = "@app.get('/')\ndef f(x: int) -> int:  # note\n    return x\n"
    edit = MakeAsync(Rule.MAKE_ASYNC, PATH, span_of(before, ast.FunctionDef))
    assert rewritten(before, edit) == before.replace("def f", "async def f")


def test_a_generator_made_async_gets_the_async_annotation() -> None:
    before = "from typing import Iterator\n\n\ndef f() -> Iterator[int]:\n    yield 1\n"
    binding = ImportBinding("typing", "Iterator")
    edit = MakeAsync(
        Rule.MAKE_ASYNC, PATH, span_of(before, ast.FunctionDef), "AsyncIterator", binding, binding
    )
    after = "from typing import AsyncIterator\n\n\nasync def f() -> AsyncIterator[int]:\n    yield 1\n"
    assert rewritten(before, edit) == after


def test_await_call_awaits_and_keeps_an_attribute_read_on_the_result() -> None:
    before = "async def f():\n    return load().name\n"
    edit = AwaitCall(Rule.AWAIT_CALL, PATH, span_of(before, ast.Call))
    assert rewritten(before, edit) == "async def f():\n    return (await load()).name\n"
