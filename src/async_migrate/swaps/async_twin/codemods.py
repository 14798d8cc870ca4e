"""AM104 async-twin: a blocking call with an exact async twin named in the configuration is
replaced by an awaited call of the twin, arguments unchanged.

    [tool.async-migrate]
    blocking = {"mylib.fetch" = "mylib.afetch"}

    data = mylib.fetch(url, retries=2)   ->   data = await mylib.afetch(url, retries=2)
    data = fetch(url)                    ->   data = await afetch(url)   # from mylib import afetch

Applies only when the configuration names the twin; the user vouches that it behaves the same.
"""

from __future__ import annotations

import libcst as cst

from ..base import Rewriting
from .edits import AsyncTwin


def async_twin(call: cst.Call, edit: AsyncTwin, rewriting: Rewriting) -> cst.Await:
    imports = rewriting.imports
    owner, _, name = edit.twin.rpartition(".")
    func = call.func
    if isinstance(func, cst.Attribute) and owner == edit.original.rpartition(".")[0]:
        # same module or type, reached the same way: only the attribute changes
        new_func: cst.BaseExpression = func.with_changes(attr=cst.Name(name))
    else:
        imports.need(owner, name)
        if edit.unused_import is not None:
            imports.drop(edit.unused_import)
        new_func = cst.Name(name)
    return cst.Await(expression=call.with_changes(func=new_func))
