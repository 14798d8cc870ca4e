"""The sleep swap's codemod, node before and after (AM101)."""

from __future__ import annotations

import ast

import pytest
from swap_helpers import PATH, rewritten, span_of

from async_migrate.facts import ImportBinding
from async_migrate.rules import Rule
from async_migrate.swaps.sleep.edits import AsyncSleep


@pytest.mark.parametrize(
    ("before", "library", "unused", "after"),
    [
        (
            "import time\n\n\nasync def f():\n    time.sleep(0.5)\n",
            "asyncio",
            ImportBinding("time"),
            "import asyncio\n\n\nasync def f():\n    await asyncio.sleep(0.5)\n",
        ),
        (
            "from time import sleep\n\n\nasync def f(delay):\n    sleep(delay)\n",
            "anyio",
            ImportBinding("time", "sleep"),
            "import anyio\n\n\nasync def f(delay):\n    await anyio.sleep(delay)\n",
        ),
        (  # the file binds asyncio to something else: the module comes under a free name
            "import time\n\n\nasync def f(asyncio):\n    time.sleep(1)\n",
            "asyncio",
            None,
            "import asyncio as _asyncio\nimport time\n\n\n"
            "async def f(asyncio):\n    await _asyncio.sleep(1)\n",
        ),
    ],
)
def test_async_sleep(before: str, library: str, unused: ImportBinding | None, after: str) -> None:
    edit = AsyncSleep(Rule.ASYNC_SLEEP, PATH, span_of(before, ast.Call), library, unused)
    assert rewritten(before, edit) == after
