"""AM001 make-async: ``def f(...)`` becomes ``async def f(...)``.

Applies only to functions the plan converts: every blocking call inside is rewritten by the
other codemods and every caller awaits the function. A ``def`` with ``yield`` becomes an async
generator; its ``try``/``finally`` around the ``yield`` stays exactly as written.

    def read_item(item_id: int):        async def read_item(item_id: int):
        time.sleep(0.1)          ->          await asyncio.sleep(0.1)
"""

from __future__ import annotations

import libcst as cst


def make_async(function: cst.FunctionDef) -> cst.FunctionDef:
    return function.with_changes(asynchronous=cst.Asynchronous())
