"""AM101 async-sleep: ``time.sleep(x)`` becomes an awaited async sleep, whatever the import style.

``asyncio.sleep`` when ``x`` is a non-negative number literal. Otherwise ``anyio.sleep``
(Starlette's own dependency): like ``time.sleep`` and unlike ``asyncio.sleep``, it raises
``ValueError`` for a negative delay, so a bad value fails the same way as before.

    time.sleep(0.5)      ->   await asyncio.sleep(0.5)
    sleep(delay)         ->   await anyio.sleep(delay)      # from time import sleep

A file that binds ``asyncio`` or ``anyio`` to something else (a parameter, a local, a global)
gets the module under a free name (``import asyncio as _asyncio``).
"""

from __future__ import annotations

import libcst as cst

from ..base import Rewriting
from .edits import AsyncSleep


def async_sleep(call: cst.Call, edit: AsyncSleep, rewriting: Rewriting) -> cst.Await:
    imports = rewriting.imports
    library = imports.module(edit.library)
    if edit.unused_import is not None:
        imports.drop(edit.unused_import)
    sleep = cst.Attribute(value=cst.Name(library), attr=cst.Name("sleep"))
    return cst.Await(expression=call.with_changes(func=sleep))
