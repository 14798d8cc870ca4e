"""The threadpool swap's codemods, node before and after (AM102 calls, AM103 with blocks)."""

from __future__ import annotations

import ast

from swap_helpers import PATH, rewritten, span_of

from async_migrate.rules import Rule
from async_migrate.swaps.threadpool.edits import WrapBlock, WrapCall

IMPORT = "from fastapi.concurrency import run_in_threadpool\n"


def test_a_call_moves_with_its_callable_and_arguments_apart() -> None:
    before = "import subprocess\n\n\nasync def f(cmd):\n    return subprocess.run(cmd, check=True)\n"
    edit = WrapCall(Rule.THREADPOOL_CALL, PATH, span_of(before, ast.Call), as_lambda=False)
    after = (
        f"import subprocess\n\n{IMPORT}\n\n"
        "async def f(cmd):\n    return await run_in_threadpool(subprocess.run, cmd, check=True)\n"
    )
    assert rewritten(before, edit) == after


def test_a_method_call_on_a_blocking_object_moves_whole_in_a_lambda() -> None:
    before = "async def f(path):\n    return open(path).read()\n"
    edit = WrapCall(Rule.THREADPOOL_CALL, PATH, span_of(before, ast.Call), as_lambda=True)
    after = f"{IMPORT}\n\nasync def f(path):\n    return await run_in_threadpool(lambda: open(path).read())\n"
    assert rewritten(before, edit) == after


def test_a_with_block_becomes_a_local_function_run_in_the_threadpool() -> None:
    before = (
        "async def f(path):\n    with open(path) as handle:\n        text = handle.read()\n    return text\n"
    )
    edit = WrapBlock(
        Rule.THREADPOOL_BLOCK, PATH, span_of(before, ast.With), "_blocking_io", ("text",), (), (), False
    )
    after = (
        f"{IMPORT}\n\nasync def f(path):\n"
        "    def _blocking_io():\n"
        "        with open(path) as handle:\n"
        "            text = handle.read()\n"
        "        return text\n"
        "    text = await run_in_threadpool(_blocking_io)\n"
        "    return text\n"
    )
    assert rewritten(before, edit) == after
