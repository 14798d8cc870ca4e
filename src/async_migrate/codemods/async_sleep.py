"""AM101 async-sleep: ``time.sleep(x)`` becomes an awaited async sleep, whatever the import style.

``asyncio.sleep`` when ``x`` is a non-negative number literal. Otherwise ``anyio.sleep``
(Starlette's own dependency): like ``time.sleep`` and unlike ``asyncio.sleep``, it raises
``ValueError`` for a negative delay, so a bad value fails the same way as before.

    time.sleep(0.5)      ->   await asyncio.sleep(0.5)
    sleep(delay)         ->   await anyio.sleep(delay)      # from time import sleep
"""

from __future__ import annotations

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor, RemoveImportsVisitor

from ..plan import AsyncSleep


def async_sleep(call: cst.Call, edit: AsyncSleep, context: CodemodContext) -> cst.Await:
    AddImportsVisitor.add_needed_import(context, edit.library)
    if edit.binding is not None:
        binding = edit.binding
        RemoveImportsVisitor.remove_unused_import(context, binding.module, binding.name, binding.asname)
    sleep = cst.Attribute(value=cst.Name(edit.library), attr=cst.Name("sleep"))
    return cst.Await(expression=call.with_changes(func=sleep))
