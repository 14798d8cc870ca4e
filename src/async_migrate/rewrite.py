"""Applies a file's share of the plan to its source with libcst, and only that share.

One pass over the tree: each node the plan names (by its position in the original source)
goes to the codemod for its kind of edit; then the imports the rewrites need are added and the
ones they left unused dropped. The result is checked before anyone sees it: every edit found
its node, and the new code parses.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .codemods.async_sleep import async_sleep
from .codemods.async_twin import async_twin
from .codemods.await_call import await_call
from .codemods.imports import ImportChanges, apply_import_changes
from .codemods.make_async import make_async
from .codemods.threadpool_block import wrap_block
from .codemods.threadpool_call import wrap_call
from .facts import Span
from .plan import AsyncSleep, AsyncTwin, AwaitCall, Edit, MakeAsync, WrapBlock, WrapCall


class RewriteError(Exception):
    """The plan could not be applied faithfully; the file is left alone."""


class _PlanApplier(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: Sequence[Edit], imports: ImportChanges, module: cst.Module) -> None:
        super().__init__()
        self.imports = imports
        self.module = module
        self.calls: dict[Span, list[Edit]] = {}
        self.statements: dict[tuple[int, int], Edit] = {}
        for edit in edits:
            if isinstance(edit, MakeAsync | WrapBlock):
                self.statements[(edit.span.line, edit.span.column)] = edit
            else:
                self.calls.setdefault(edit.span, []).append(edit)
        self.pending = set(edits)

    def _span(self, node: cst.CSTNode) -> Span:
        position = self.get_metadata(PositionProvider, node)
        return Span(position.start.line, position.start.column, position.end.line, position.end.column)

    def _statement_edit(self, node: cst.CSTNode) -> Edit | None:
        span = self._span(node)
        return self.statements.get((span.line, span.column))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        result: cst.BaseExpression = updated_node
        # several edits on one call compose from the inside out: the call, then its wrapping
        for edit in sorted(self.calls.get(self._span(original_node), []), key=_call_edit_order):
            self.pending.discard(edit)
            assert isinstance(result, cst.Call)
            if isinstance(edit, AsyncSleep):
                result = async_sleep(result, edit, self.imports)
            elif isinstance(edit, AsyncTwin):
                result = async_twin(result, edit, self.imports)
            elif isinstance(edit, WrapCall):
                result = wrap_call(result, edit, self.imports)
            elif isinstance(edit, AwaitCall):
                result = await_call(result)
        if isinstance(result, cst.Await) and original_node.lpar:
            result = result.with_changes(lpar=original_node.lpar, rpar=original_node.rpar)
            result = result.with_changes(expression=result.expression.with_changes(lpar=(), rpar=()))
        return result

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        edit = self._statement_edit(original_node)
        if isinstance(edit, MakeAsync):
            self.pending.discard(edit)
            return make_async(updated_node, edit, self.imports)
        return updated_node

    def leave_With(
        self, original_node: cst.With, updated_node: cst.With
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        edit = self._statement_edit(original_node)
        if isinstance(edit, WrapBlock):
            self.pending.discard(edit)
            return wrap_block(updated_node, edit, self.imports, self.module)
        return updated_node

    # ``await f().x`` would await the attribute: an awaited call used as a value gets parentheses.
    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        return updated_node.with_changes(value=_parenthesized(updated_node.value))

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.Subscript:
        return updated_node.with_changes(value=_parenthesized(updated_node.value))


def _call_edit_order(edit: Edit) -> int:
    return 1 if isinstance(edit, AwaitCall) else 0


def _parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, cst.Await) and not node.lpar:
        return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
    return node


def apply_edits(code: str, edits: Sequence[Edit], first_party: frozenset[str] = frozenset()) -> str:
    """The source with ``edits`` applied; raises ``RewriteError`` rather than guess."""
    try:
        module = cst.parse_module(code)
    except RecursionError as exc:
        raise RewriteError("too deeply nested for libcst to parse; file left unchanged") from exc
    except cst.ParserSyntaxError as exc:
        raise RewriteError(f"libcst cannot parse this file: {exc.message} (line {exc.raw_line})") from exc
    imports = ImportChanges(first_party)
    applier = _PlanApplier(edits, imports, module)
    try:
        rewritten = MetadataWrapper(module, unsafe_skip_copy=True).visit(applier)
    except RecursionError as exc:
        raise RewriteError("too deeply nested for libcst to rewrite; file left unchanged") from exc
    if applier.pending:
        missed = sorted(f"{type(edit).__name__} at line {edit.span.line}" for edit in applier.pending)
        raise RewriteError(f"could not locate {', '.join(missed)}; file left unchanged")
    rewritten = apply_import_changes(rewritten, imports)
    new_code = rewritten.code
    try:
        ast.parse(new_code)
    except SyntaxError as exc:
        raise RewriteError(
            f"the rewrite would not parse ({exc.msg}, line {exc.lineno}); file left unchanged"
        ) from exc
    return new_code
