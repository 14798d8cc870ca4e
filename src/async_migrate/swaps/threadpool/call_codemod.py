"""AM102 threadpool-call: a blocking call with no exact async twin runs in the threadpool.

The callable and its arguments are passed separately, so that only the call itself runs in the
worker thread. When that form can't carry the call faithfully (a ``func=`` keyword would clash
with ``run_in_threadpool``'s own parameter, a ``**mapping`` might hold one, or the call is a
method of a blocking object created in the same expression, as in ``open(p).read()``), the
whole expression moves into a ``lambda`` instead.

    out = subprocess.run(cmd, check=True)  ->  out = await run_in_threadpool(subprocess.run, cmd, check=True)
    text = open(path).read()               ->  text = await run_in_threadpool(lambda: open(path).read())
"""

from __future__ import annotations

import libcst as cst

from ...codemods.imports import ImportChanges
from ..base import Rewriting
from .edits import WrapCall

RUN_IN_THREADPOOL = ("fastapi.concurrency", "run_in_threadpool")


def in_threadpool(imports: ImportChanges, *args: cst.Arg) -> cst.Await:
    """``await run_in_threadpool(*args)``, with its import scheduled."""
    imports.need(*RUN_IN_THREADPOOL)
    return cst.Await(expression=cst.Call(func=cst.Name(RUN_IN_THREADPOOL[1]), args=args))


def wrap_call(call: cst.Call, edit: WrapCall, rewriting: Rewriting) -> cst.Await:
    imports = rewriting.imports
    if edit.as_lambda:
        bare = call.with_changes(lpar=(), rpar=())
        return in_threadpool(imports, cst.Arg(cst.Lambda(params=cst.Parameters(), body=bare)))
    layout = call.whitespace_before_args
    if isinstance(layout, cst.ParenthesizedWhitespace):
        # a call laid out one argument per line keeps that layout, the callable first
        first = cst.Arg(call.func, comma=cst.Comma(whitespace_after=layout))
        awaited = in_threadpool(imports, first, *call.args)
        return awaited.with_changes(expression=awaited.expression.with_changes(whitespace_before_args=layout))
    return in_threadpool(imports, cst.Arg(call.func), *call.args)
