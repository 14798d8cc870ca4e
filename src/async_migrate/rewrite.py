"""Applies a file's share of the plan to its source with libcst, and only that share.

Only the top-level statements that hold an edit are visited, and node positions are computed
for those alone (positions cost libcst a second printing of the code: most of a rewrite's time
in a big module where one function changes). In them each node the plan names (by its position
in the original source) goes to the codemod for its kind of edit; then the imports the rewrites
need are added and the ones they left unused dropped. The result is checked before anyone sees
it: libcst gave back the original byte for byte (else bytes no edit touches could change), every
edit found its node, no ``await`` went into an annotation, and the new code compiles.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeGuard, TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from . import grammar
from .codemods import aiohttp_client, http_client
from .codemods.async_sleep import async_sleep
from .codemods.async_twin import async_twin
from .codemods.await_call import await_call
from .codemods.http_client import (
    ClientRequest,
    catch_also,
    latin1_dict,
    open_client,
    open_session,
    raise_for_error_status,
)
from .codemods.imports import ImportChanges, apply_import_changes
from .codemods.make_async import make_async
from .codemods.threadpool_block import wrap_block
from .codemods.threadpool_call import wrap_call
from .facts import Span
from .plan import (
    AsyncSleep,
    AsyncTwin,
    AwaitCall,
    CatchAlso,
    Edit,
    HttpRequest,
    Latin1Headers,
    MakeAsync,
    OpenSession,
    ResponseRead,
    WrapBlock,
    WrapCall,
)
from .source import split_lines
from .swaps.sqlalchemy import codemods as database
from .swaps.sqlalchemy.edits import (
    AsyncEngine,
    AsyncSessionName,
    AsyncSessionWith,
    AsyncUrl,
    AwaitDatabase,
    CreateAllAsync,
)


class RewriteError(Exception):
    """The plan could not be applied faithfully; the file is left alone."""


class _PlanApplier(cst.CSTTransformer):
    def __init__(self, edits: Sequence[Edit], imports: ImportChanges, module: cst.Module) -> None:
        super().__init__()
        self.imports = imports
        self.module = module
        self.positions: Mapping[cst.CSTNode, CodeRange] = {}
        self.first_line = 1
        """Where the statement being visited starts in the file (its positions start at 1)."""
        self.calls: dict[Span, list[Edit]] = {}
        self.statements: dict[tuple[int, int], Edit] = {}
        self.expressions: dict[Span, Edit] = {}
        """Edits of one expression node that is not a call (``r.ok``, an except clause's types)."""
        self.clients: dict[tuple[int, int], ClientRequest | aiohttp_client.SessionRequest] = {}
        """The HTTP requests made, by the statement their client is opened around."""
        for edit in edits:
            if edit.anchor == "statement":
                self.statements[(edit.span.line, edit.span.column)] = edit
            elif edit.anchor == "expression":
                self.expressions[edit.span] = edit
            else:
                self.calls.setdefault(edit.span, []).append(edit)
        self.pending = set(edits)
        self.annotations = 0
        """How many annotations the node being visited is in."""

    def visit_statement(self, statement: cst.BaseStatement, first_line: int) -> _Visited:
        """``statement``, which starts on ``first_line`` of the file, with its edits applied."""
        lone = cst.Module(
            body=[statement],
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
        )
        self.positions = node_positions(lone)
        self.first_line = first_line
        return statement.visit(self)

    def _span(self, node: cst.CSTNode) -> Span:
        position = self.positions[node]
        shift = self.first_line - 1
        return Span(
            position.start.line + shift, position.start.column, position.end.line + shift, position.end.column
        )

    def _statement_edit(self, node: cst.CSTNode) -> Edit | None:
        span = self._span(node)
        return self.statements.get((span.line, span.column))

    def visit_Annotation(self, node: cst.Annotation) -> bool:
        self.annotations += 1
        return True

    def leave_Annotation(self, original_node: cst.Annotation, updated_node: cst.Annotation) -> cst.Annotation:
        self.annotations -= 1
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        result: cst.BaseExpression = updated_node
        if self.annotations and self.calls.get(self._span(original_node)):
            # an await there doesn't compile under ``from __future__ import annotations``, and
            # the call may never run: what it would mean is no rewrite's to guess
            line = self._span(original_node).line
            raise RewriteError(f"line {line}: a call to rewrite is in an annotation; file left unchanged")
        # several edits on one call compose from the inside out: the call, then its wrapping
        for edit in sorted(self.calls.get(self._span(original_node), []), key=_call_edit_order):
            self.pending.discard(edit)
            assert isinstance(result, cst.Call)
            if isinstance(edit, HttpRequest) and edit.target == "aiohttp":
                session = aiohttp_client.SessionRequest(result, edit, self.imports)
                self.clients[(edit.statement.line, edit.statement.column)] = session
                return session.replacement()
            elif isinstance(edit, HttpRequest):
                request = ClientRequest(result, edit, self.imports)
                if not edit.on_session:
                    self.clients[(edit.statement.line, edit.statement.column)] = request
                result = request.awaited
            else:
                result = _CALL_CODEMODS[type(edit)](result, edit, self.imports)
        if not isinstance(result, cst.Await):
            result = self._expression_edit(original_node, result)
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
        if isinstance(edit, AsyncSessionWith):
            self.pending.discard(edit)
            return database.async_with(updated_node)
        if isinstance(edit, OpenSession):
            self.pending.discard(edit)
            if edit.unused_import is not None:
                self.imports.drop(edit.unused_import)
            if edit.target == "aiohttp":
                return aiohttp_client.open_session(updated_node, self.imports)
            return open_session(updated_node, edit, self.imports)
        return updated_node

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
        span = self._span(original_node)
        request = self.clients.pop((span.line, span.column), None)
        if isinstance(request, aiohttp_client.SessionRequest):
            return aiohttp_client.fetch_and_read(updated_node, request)
        if request is not None:
            return open_client(updated_node, request)
        edit = self.statements.get((span.line, span.column))
        if isinstance(edit, CreateAllAsync):
            self.pending.discard(edit)
            return database.create_all_async(updated_node, edit)
        if isinstance(edit, ResponseRead):
            self.pending.discard(edit)
            return raise_for_error_status(updated_node)
        return updated_node

    def _expression_edit(
        self, original: cst.BaseExpression, updated: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not self.expressions:
            return updated
        span = self._span(original)
        edit = self.expressions.get(span)
        if edit is None and isinstance(original, cst.Tuple) and original.lpar:
            # ``ast`` counts a tuple's parentheses in its span (``except (A, B)``), libcst doesn't
            edit = self.expressions.get(span._replace(column=span.column - 1, end_column=span.end_column + 1))
        if edit is None:
            return updated
        self.pending.discard(edit)
        return _EXPRESSION_CODEMODS[type(edit)](updated, edit, self.imports)

    def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.BaseExpression:
        return self._expression_edit(original_node, updated_node)

    def leave_SimpleString(
        self, original_node: cst.SimpleString, updated_node: cst.SimpleString
    ) -> cst.BaseExpression:
        return self._expression_edit(original_node, updated_node)

    def leave_FormattedString(
        self, original_node: cst.FormattedString, updated_node: cst.FormattedString
    ) -> cst.BaseExpression:
        return self._expression_edit(original_node, updated_node)

    def leave_UnaryOperation(
        self, original_node: cst.UnaryOperation, updated_node: cst.UnaryOperation
    ) -> cst.BaseExpression:
        return self._expression_edit(original_node, updated_node)

    def leave_Dict(self, original_node: cst.Dict, updated_node: cst.Dict) -> cst.BaseExpression:
        return self._expression_edit(original_node, updated_node)

    def leave_Tuple(self, original_node: cst.Tuple, updated_node: cst.Tuple) -> cst.BaseExpression:
        return self._expression_edit(original_node, updated_node)

    # ``await f().x`` would await the attribute: an awaited call used as a value gets parentheses.
    def leave_Attribute(
        self, original_node: cst.Attribute, updated_node: cst.Attribute
    ) -> cst.BaseExpression:
        return self._expression_edit(original_node, _value_parenthesized(updated_node))

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.Subscript:
        return _value_parenthesized(updated_node)


_Visited = cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel


def _latin1_headers(node: cst.BaseExpression, edit: Latin1Headers, imports: ImportChanges) -> cst.Dict:
    """The dict's values are all that changes: no import, nothing read from the edit."""
    assert isinstance(node, cst.Dict)
    return latin1_dict(node)


def _response_read(
    node: cst.BaseExpression, edit: ResponseRead, imports: ImportChanges
) -> cst.BaseExpression:
    """The read of the response of the client the call was translated for."""
    module = aiohttp_client if edit.family == "aiohttp" else http_client
    return module.read_response(node, edit, imports)


# Each kind of edit of one node the rewriter looks up: the codemod that applies it, called with
# the node as rewritten so far, the edit, and the imports the file gains and loses. (An HTTP
# request opens its client around its statement too; statements go to the visitor's leave_*.)
_CALL_CODEMODS: dict[type[Edit], Callable[[cst.Call, Any, ImportChanges], cst.BaseExpression]] = {
    AsyncSleep: async_sleep,
    AsyncTwin: async_twin,
    WrapCall: wrap_call,
    AwaitCall: lambda call, edit, imports: await_call(call),
    AwaitDatabase: lambda call, edit, imports: await_call(call),
    AsyncEngine: database.async_engine,
}
_EXPRESSION_CODEMODS: dict[
    type[Edit], Callable[[cst.BaseExpression, Any, ImportChanges], cst.BaseExpression]
] = {
    CatchAlso: catch_also,
    Latin1Headers: _latin1_headers,
    ResponseRead: _response_read,
    AsyncSessionName: database.async_session_name,
    AsyncUrl: database.async_url,
}


def node_positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """What ``MetadataWrapper.resolve(PositionProvider)`` gives, at half the cost: ``resolve``
    also runs an empty batch of providers, which is one more visit of the whole tree."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    generate = getattr(PositionProvider(), "_gen", None)
    return generate(wrapper) if generate is not None else wrapper.resolve(PositionProvider)


def _only_made_async(statement: cst.BaseStatement, edits: list[Edit]) -> TypeGuard[cst.FunctionDef]:
    """A top-level function whose one edit is its own conversion (a route with no blocking call)."""
    (edit, *others) = edits
    return (
        not others
        and isinstance(edit, MakeAsync)
        and edit.span.column == 0
        and isinstance(statement, cst.FunctionDef)
    )


def _first_line(edit: Edit) -> int:
    if isinstance(edit, HttpRequest):  # its client opens around the statement holding the call
        return min(edit.span.line, edit.statement.line)
    return edit.span.line


def _line_count(code: str) -> int:
    """Lines ``code`` spans, as Python counts them (``\\r\\n``, ``\\r`` or ``\\n`` ends one)."""
    return len(split_lines(code))


def _call_edit_order(edit: Edit) -> int:
    return 1 if isinstance(edit, AwaitCall) else 0


_WithValue = TypeVar("_WithValue", cst.Attribute, cst.Subscript)


def _value_parenthesized(node: _WithValue) -> _WithValue:
    """``(await f()).x`` rather than ``await f().x``, which would await the attribute."""
    value = node.value
    if isinstance(value, cst.Await) and not value.lpar:
        return node.with_changes(value=value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()]))
    return node


def apply_edits(code: str, edits: Sequence[Edit], first_party: frozenset[str] = frozenset()) -> str:
    """The source with ``edits`` applied; raises ``RewriteError`` rather than guess."""
    try:
        module = cst.parse_module(code)
    except RecursionError as exc:
        raise RewriteError("too deeply nested for libcst to parse; file left unchanged") from exc
    except cst.ParserSyntaxError as exc:
        raise RewriteError(f"libcst cannot parse this file: {exc.message} (line {exc.raw_line})") from exc
    if module.code != code:  # form feeds, \r-only line endings: libcst would drop or change them
        raise RewriteError("libcst does not give back this file byte for byte; file left unchanged")
    imports = ImportChanges(first_party, code=code)
    applier = _PlanApplier(edits, imports, module)
    by_line: dict[int, list[Edit]] = {}
    for edit in edits:
        by_line.setdefault(_first_line(edit), []).append(edit)
    body: list[cst.BaseStatement] = []
    line = 1 + len(module.header)  # the file's first lines: each an EmptyLine (blank or comment)
    try:
        for statement in module.body:
            lines = range(line, line + _line_count(module.code_for_node(statement)))
            inside = [edit for number in lines for edit in by_line.get(number, ())]
            if not inside:
                body.append(statement)
            elif _only_made_async(statement, inside):
                # nothing in it moves: no positions needed (the only def at column 0 is its own)
                applier.pending.discard(inside[0])
                body.append(make_async(statement, inside[0], imports))
            else:
                visited = applier.visit_statement(statement, lines.start)
                if isinstance(visited, cst.FlattenSentinel):
                    body.extend(visited)
                elif isinstance(visited, cst.BaseStatement):
                    body.append(visited)
            line = lines.stop
    except RecursionError as exc:
        raise RewriteError("too deeply nested for libcst to rewrite; file left unchanged") from exc
    rewritten = module.with_changes(body=body)
    if applier.pending:
        missed = sorted(f"{type(edit).__name__} at line {edit.span.line}" for edit in applier.pending)
        raise RewriteError(f"could not locate {', '.join(missed)}; file left unchanged")
    rewritten = apply_import_changes(rewritten, imports)
    new_code = rewritten.code
    _check_compiles(new_code)
    return new_code


def _check_compiles(code: str) -> None:
    """Compile, not only parse: ``await`` outside an async function, or in an annotation, parses.

    Code written for a newer Python than the running one can't be compiled here; for it, the
    check is that ``grammar`` still reads it as the original was read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the code's own warnings (escapes) are not ours to print
            compile(code, "<rewrite>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        if not _newer_than_this_python(code):
            raise RewriteError(
                f"the rewrite would not compile ({exc.msg}, line {exc.lineno}); file left unchanged"
            ) from exc
    except (RecursionError, MemoryError) as exc:
        raise RewriteError("the rewrite is too deeply nested to compile; file left unchanged") from exc


def _newer_than_this_python(code: str) -> bool:
    """Whether only ``grammar``'s lowering reads ``code`` (raises ``RewriteError`` when nothing does)."""
    try:
        ast.parse(code)
    except SyntaxError:
        pass
    else:
        return False
    try:
        grammar.parse(code)
    except SyntaxError as exc:
        raise RewriteError(
            f"the rewrite would not parse ({exc.msg}, line {exc.lineno}); file left unchanged"
        ) from exc
    return True
