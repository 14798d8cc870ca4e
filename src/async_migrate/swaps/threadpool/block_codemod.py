"""AM103 threadpool-block: a ``with`` block around a blocking object runs in the threadpool.

A file or connection is used across several statements; moving its calls one by one would
leave some of them (and the ``with`` exit) on the loop. The whole statement moves into a local
function instead, called once through ``run_in_threadpool``. Names the block assigns and the
function reads afterwards are returned; names the function also binds elsewhere are shared
through ``nonlocal`` (``global`` where the function declared them so). A block that returns is
moved only when it ends the function, whose result is then the block's.

    with open(path) as fh:              def _blocking_io():
        text = fh.read()        ->          with open(path) as fh:
                                                text = fh.read()
                                            return text
                                        text = await run_in_threadpool(_blocking_io)

Leaves alone (the plan keeps the function sync) a block that yields, awaits, breaks out of an
enclosing loop, uses ``super()``, or binds a name only on some paths and reads it afterwards.
"""

from __future__ import annotations

import libcst as cst

from ..base import Rewriting
from .call_codemod import in_threadpool
from .edits import WrapBlock


def wrap_block(
    statement: cst.With, edit: WrapBlock, rewriting: Rewriting
) -> cst.FlattenSentinel[cst.BaseStatement]:
    imports = rewriting.imports
    config = rewriting.module.config_for_parsing
    header: list[cst.BaseStatement] = []
    if edit.nonlocals:
        header.append(cst.parse_statement(f"nonlocal {', '.join(edit.nonlocals)}", config))
    if edit.globals:
        header.append(cst.parse_statement(f"global {', '.join(edit.globals)}", config))
    footer: list[cst.BaseStatement] = []
    if edit.returns:
        footer.append(cst.parse_statement(f"return {', '.join(edit.returns)}", config))
    helper = cst.FunctionDef(
        name=cst.Name(edit.helper),
        params=cst.Parameters(),
        body=cst.IndentedBlock(body=[*header, statement.with_changes(leading_lines=()), *footer]),
        leading_lines=statement.leading_lines,
    )
    call = in_threadpool(imports, cst.Arg(cst.Name(edit.helper)))
    if edit.has_return:
        small: cst.BaseSmallStatement = cst.Return(value=call)
    elif edit.returns:
        target = cst.parse_expression(", ".join(edit.returns), config)
        small = cst.Assign(targets=[cst.AssignTarget(target)], value=call)
    else:
        small = cst.Expr(call)
    return cst.FlattenSentinel([helper, cst.SimpleStatementLine(body=[small])])
