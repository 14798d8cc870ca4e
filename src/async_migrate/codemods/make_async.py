"""AM001 make-async: ``def f(...)`` becomes ``async def f(...)``.

Applies only to functions the plan converts: every blocking call inside is rewritten by the
other codemods and every caller awaits the function. A ``def`` with ``yield`` becomes an async
generator; its ``try``/``finally`` around the ``yield`` stays exactly as written, and its
return annotation follows (``Iterator[X]`` becomes ``AsyncIterator[X]``).

    def read_item(item_id: int):        async def read_item(item_id: int):
        time.sleep(0.1)          ->          await asyncio.sleep(0.1)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from ..plan import MakeAsync

if TYPE_CHECKING:
    from ..swaps.base import Rewriting


def make_async(function: cst.FunctionDef, edit: MakeAsync, rewriting: Rewriting) -> cst.FunctionDef:
    imports = rewriting.imports
    function = function.with_changes(asynchronous=cst.Asynchronous())
    if edit.async_annotation is None or function.returns is None:
        return function
    # a generator's annotation follows it: Iterator[X] -> AsyncIterator[X], and
    # Generator[Y, S, R] -> AsyncGenerator[Y, S] (async generators return nothing)
    annotation = function.returns.annotation
    subscript = annotation if isinstance(annotation, cst.Subscript) else None
    named = subscript.value if subscript else annotation
    if isinstance(named, cst.Name):
        renamed: cst.BaseExpression = named.with_changes(value=edit.async_annotation)
        if edit.annotation_import is not None:
            imports.need(edit.annotation_import.module, edit.async_annotation)
            if edit.unused_import is not None:
                imports.drop(edit.unused_import)
    elif isinstance(named, cst.Attribute):
        renamed = named.with_changes(attr=cst.Name(edit.async_annotation))
    else:
        return function
    if subscript is None:
        return function.with_changes(returns=function.returns.with_changes(annotation=renamed))
    elements = list(subscript.slice)
    if edit.async_annotation == "AsyncGenerator" and len(elements) == 3:
        elements = elements[:2]
        elements[-1] = elements[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    new = subscript.with_changes(value=renamed, slice=elements)
    return function.with_changes(returns=function.returns.with_changes(annotation=new))
