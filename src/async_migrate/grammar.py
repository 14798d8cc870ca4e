"""Reading code written for a newer Python than the one running the tool.

The index reads files with stdlib ``ast``, about ten times faster than libcst, but ``ast`` knows
only the running Python's grammar. When it rejects a file, libcst (which reads Python 3.0 to 3.14)
parses it and ``lowering`` rewrites, in a copy of the text, each construct this Python lacks into
one it has that means the same to the analysis. ``ast`` parses the copy, every node's position is
moved back to where it is in the original, and the strings lowered to tuples become string nodes
again, so that edits planned from the tree land on the original text, which is never changed.
Files ``ast`` reads never get here: the fallback costs them nothing.
"""

from __future__ import annotations

import ast
import bisect
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .source import split_lines

Version = tuple[int, int]
Replacement = tuple[int, int, str]
"""Characters ``start`` to ``end`` of the text (never a line break) become the string."""
Key = tuple[int, int, int, int]
"""Where a node is: line, UTF-8 column, end line, end UTF-8 column (as ``ast`` has them)."""
StringBuilder = Callable[[Iterator[ast.expr]], ast.expr]
"""Builds a string's node from the tuple its placeholder parsed to, one element per expression."""


@dataclass
class Lowering:
    """What ``lowering.lower`` found newer than a version, and how to read it instead."""

    replacements: list[Replacement] = field(default_factory=list)
    strings: dict[Key, StringBuilder] = field(default_factory=dict)
    """The strings lowered to tuples, by where the tuple is."""
    dropped: list[tuple[str, int, int]] = field(default_factory=list)
    """The bounds and defaults of the type parameters dropped: text, line, UTF-8 column."""


class TemplateStr(ast.expr):
    """Python 3.14's ``t"..."``, which this Python's ``ast`` has no node for: like an f-string
    (its interpolations are ``FormattedValue``s) but not a ``str``, so no type is inferred."""

    _fields = ("values",)


class TypeParameterExpressions(ast.AST):
    """The bounds and defaults of type parameters, which no definition evaluates. They are kept
    out of every statement, in the module's ``type_ignores``, where a walk of the module still
    counts the names they use, so that an import only they use is never taken as unused."""

    _fields = ("expressions",)


def parse(text: str, filename: str = "<unknown>") -> ast.Module:
    """``ast.parse``, or, when this Python rejects the text, its tree read through libcst;
    raises ``ast.parse``'s own ``SyntaxError`` when neither reads it."""
    try:
        return ast.parse(text, filename=filename)
    except SyntaxError:
        tree = parse_lowered(text, filename, sys.version_info[:2])
        if tree is None:
            raise
        return tree


def parse_lowered(text: str, filename: str, version: Version) -> ast.Module | None:
    """The tree of ``text``, read as Python ``version`` would read its lowered form, with the
    positions of ``text``; ``None`` when libcst rejects the text, nothing in it is newer than
    ``version``, or ``ast`` still rejects it."""
    from .lowering import lower  # libcst is imported only when a file needs it

    lowered = lower(text, version)
    if lowered is None:
        return None
    new_text, columns = _apply(text, lowered.replacements)
    try:
        tree = ast.parse(new_text, filename=filename)
        in_order = sorted(lowered.dropped, key=lambda dropped: dropped[1:])
        dropped = [_expression_at(*expression) for expression in in_order]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    _move_back(tree, columns)
    tree = _StringsBack(lowered.strings).visit(tree)
    if dropped:
        tree.type_ignores.append(TypeParameterExpressions(dropped))  # type: ignore[arg-type]
    return tree


def _expression_at(code: str, line: int, column: int) -> ast.expr:
    """The expression ``code``, found at ``line`` and UTF-8 ``column`` of the text."""
    expression = ast.parse(f"({code})", mode="eval").body
    for node in ast.walk(expression):
        if isinstance(node, (ast.expr, ast.keyword, ast.arg)):
            if node.lineno == 1:
                node.col_offset += column - 1
            if node.end_lineno == 1 and node.end_col_offset is not None:
                node.end_col_offset += column - 1
    return ast.increment_lineno(expression, line - 1)


Columns = tuple[list[int], list[int]]
"""For a changed line, the original UTF-8 column of each new one: as a node's start, and as its
end (the two differ where text was dropped: a name before ``[T]`` ends before it, a body after
it starts after it). A column inside new text starts where the text it replaced began, and ends
where it ended, so a node the new text wraps spans exactly what it wrapped."""


def _apply(text: str, replacements: Sequence[Replacement]) -> tuple[str, dict[int, Columns]]:
    """The text with the replacements made, and the columns of each line they change."""
    lines = split_lines(text)
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line))
    by_line: dict[int, list[Replacement]] = {}
    for first, last, new in replacements:
        number = bisect.bisect_right(line_starts, first) - 1
        offset = line_starts[number]
        by_line.setdefault(number, []).append((first - offset, last - offset, new))
    columns: dict[int, Columns] = {}
    for number, edits in by_line.items():
        lines[number], columns[number + 1] = _apply_to_line(lines[number], sorted(edits))
    return "".join(lines), columns


def _apply_to_line(line: str, edits: Sequence[Replacement]) -> tuple[str, Columns]:
    """One line with its edits made (in order, none overlapping), and its columns."""
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = [0]
    done = byte = 0
    for first, last, new in [*edits, (len(line), len(line), "")]:
        kept = len(line[done:first].encode("utf-8"))
        starts += range(byte, byte + kept)
        ends += range(byte + 1, byte + kept + 1)
        byte += kept
        width = len(new.encode("utf-8"))
        replaced = byte + len(line[first:last].encode("utf-8"))
        starts += [byte] * width
        ends += [replaced] * width
        byte = replaced
        parts += [line[done:first], new]
        done = last
    starts.append(byte)
    return "".join(parts), (starts, ends)


def _move_back(tree: ast.AST, columns: Mapping[int, Columns]) -> None:
    """Every node's columns, on the lines the lowering changed, as in the original text."""
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if line in columns:
            node.col_offset = columns[line][0][node.col_offset]  # type: ignore[attr-defined]
        end = getattr(node, "end_lineno", None)
        if end in columns and node.end_col_offset is not None:  # type: ignore[attr-defined]
            node.end_col_offset = columns[end][1][node.end_col_offset]  # type: ignore[attr-defined]


class _StringsBack(ast.NodeTransformer):
    """Replaces each lowered string's tuple with the string node built from its elements."""

    def __init__(self, strings: Mapping[Key, StringBuilder]) -> None:
        self.strings = strings

    def visit_Tuple(self, node: ast.Tuple) -> ast.expr:
        self.generic_visit(node)
        where = (node.lineno, node.col_offset, node.end_lineno or 0, node.end_col_offset or 0)
        build = self.strings.get(where)
        if build is None:
            return node
        string = build(iter(node.elts))
        for child in ast.walk(string):
            if not hasattr(child, "lineno") and isinstance(child, ast.expr):
                ast.copy_location(child, node)
        return string
