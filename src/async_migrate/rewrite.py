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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from . import grammar
from .codemods.imports import ImportChanges, apply_import_changes
from .facts import Span
from .plan import Edit
from .source import split_lines
from .swaps.base import StatementWrap
from .swaps.registry import codemod_for


class RewriteError(Exception):
    """The plan could not be applied faithfully; the file is left alone."""


class _PlanApplier(cst.CSTTransformer):
    """Visits the statements that hold edits; for each node an edit names, calls the codemod
    registered for the edit's type. It is the codemods' ``Rewriting`` too."""

    def __init__(self, edits: Sequence[Edit], imports: ImportChanges, module: cst.Module) -> None:
        super().__init__()
        self.imports = imports
        self.module = module
        self.positions: Mapping[cst.CSTNode, CodeRange] = {}
        self.first_line = 1
        """Where the statement being visited starts in the file (its positions start at 1)."""
        self.calls: dict[Span, list[Edit]] = {}
        self.statements: dict[tuple[int, int], list[Edit]] = {}
        self.expressions: dict[Span, list[Edit]] = {}
        """Edits of one expression node that is not a call (``r.ok``, an except clause's types)."""
        self.wraps: dict[tuple[int, int], list[StatementWrap]] = {}
        """What codemods asked to wrap around a statement (a client opened around a request)."""
        for edit in edits:
            if edit.anchor == "statement":
                self.statements.setdefault((edit.span.line, edit.span.column), []).append(edit)
            elif edit.anchor == "expression":
                self.expressions.setdefault(edit.span, []).append(edit)
            else:
                self.calls.setdefault(edit.span, []).append(edit)
        self.pending = set(edits)
        self.annotations = 0
        """How many annotations the node being visited is in."""

    def wrap_statement(self, at: Span, wrap: StatementWrap) -> None:
        self.wraps.setdefault((at.line, at.column), []).append(wrap)

    def apply(self, node: Any, edits: Iterable[Edit]) -> Any:
        """``node`` with ``edits`` applied in turn, each by its type's codemod."""
        for edit in edits:
            self.pending.discard(edit)
            node = codemod_for(type(edit))(node, edit, self)
        return node

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

    def visit_Annotation(self, node: cst.Annotation) -> bool:
        self.annotations += 1
        return True

    def leave_Annotation(self, original_node: cst.Annotation, updated_node: cst.Annotation) -> cst.Annotation:
        self.annotations -= 1
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        edits = self.calls.get(self._span(original_node), [])
        if self.annotations and edits:
            # an await there doesn't compile under ``from __future__ import annotations``, and
            # the call may never run: what it would mean is no rewrite's to guess
            line = self._span(original_node).line
            raise RewriteError(f"line {line}: a call to rewrite is in an annotation; file left unchanged")
        # several edits on one call compose from the inside out: the call, then its wrapping
        result = self.apply(updated_node, sorted(edits, key=lambda edit: edit.call_order))
        if not isinstance(result, cst.Await):
            result = self._expression_edit(original_node, result)
        if isinstance(result, cst.Await) and original_node.lpar:
            result = result.with_changes(lpar=original_node.lpar, rpar=original_node.rpar)
            result = result.with_changes(expression=result.expression.with_changes(lpar=(), rpar=()))
        return result

    def _statement_edits(self, original: cst.BaseStatement, updated: Any) -> Any:
        """The statement's own edits, then what codemods of nodes in it asked to wrap it in."""
        span = self._span(original)
        where = (span.line, span.column)
        result = self.apply(updated, self.statements.get(where, ()))
        for wrap in self.wraps.pop(where, ()):
            result = wrap(result)
        return result

    def leave_FunctionDef(self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef) -> Any:
        return self._statement_edits(original_node, updated_node)

    def leave_With(self, original_node: cst.With, updated_node: cst.With) -> Any:
        return self._statement_edits(original_node, updated_node)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> Any:
        return self._statement_edits(original_node, updated_node)

    def _expression_edit(
        self, original: cst.BaseExpression, updated: cst.BaseExpression
    ) -> cst.BaseExpression:
        if not self.expressions:
            return updated
        span = self._span(original)
        edits = self.expressions.get(span)
        if edits is None and isinstance(original, cst.Tuple) and original.lpar:
            # ``ast`` counts a tuple's parentheses in its span (``except (A, B)``), libcst doesn't
            edits = self.expressions.get(
                span._replace(column=span.column - 1, end_column=span.end_column + 1)
            )
        return self.apply(updated, edits or ())

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        """Any expression but a call (``leave_Call`` has its own) may be an edit's node."""
        result = super().on_leave(original_node, updated_node)
        if isinstance(original_node, cst.BaseExpression) and not isinstance(original_node, cst.Call):
            return self._expression_edit(original_node, result)
        return result

    # ``await f().x`` would await the attribute: an awaited call used as a value gets parentheses.
    def leave_Attribute(self, original_node: cst.Attribute, updated_node: cst.Attribute) -> cst.Attribute:
        return _value_parenthesized(updated_node)

    def leave_Subscript(self, original_node: cst.Subscript, updated_node: cst.Subscript) -> cst.Subscript:
        return _value_parenthesized(updated_node)


_Visited = cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement] | cst.RemovalSentinel


def node_positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """What ``MetadataWrapper.resolve(PositionProvider)`` gives, at half the cost: ``resolve``
    also runs an empty batch of providers, which is one more visit of the whole tree."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    generate = getattr(PositionProvider(), "_gen", None)
    return generate(wrapper) if generate is not None else wrapper.resolve(PositionProvider)


def _only_its_own(statement: cst.BaseStatement, edits: list[Edit]) -> bool:
    """A top-level function whose one edit is of the function itself (its conversion, for a
    route with no blocking call): a statement edit at column 0 in a top-level ``def`` is it."""
    (edit, *others) = edits
    return (
        not others
        and edit.anchor == "statement"
        and edit.span.column == 0
        and isinstance(statement, cst.FunctionDef)
    )


def _line_count(code: str) -> int:
    """Lines ``code`` spans, as Python counts them (``\\r\\n``, ``\\r`` or ``\\n`` ends one)."""
    return len(split_lines(code))


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
        by_line.setdefault(edit.first_line, []).append(edit)
    body: list[cst.BaseStatement] = []
    line = 1 + len(module.header)  # the file's first lines: each an EmptyLine (blank or comment)
    try:
        for statement in module.body:
            lines = range(line, line + _line_count(module.code_for_node(statement)))
            inside = [edit for number in lines for edit in by_line.get(number, ())]
            if not inside:
                body.append(statement)
            elif _only_its_own(statement, inside):
                # nothing in it moves: no positions needed (the only def at column 0 is its own)
                body.append(applier.apply(statement, inside))
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
    if applier.pending or applier.wraps:
        missed = sorted(f"{type(edit).__name__} at line {edit.span.line}" for edit in applier.pending)
        missed += sorted(f"the statement at line {line} to wrap" for line, _ in applier.wraps)
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
