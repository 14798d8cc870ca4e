"""What in a file is newer than a Python version, and the text that version reads instead.

libcst reads the file; each construct the version lacks becomes a text replacement that keeps
what the analysis reads (names, calls, the types caught) and drops what only a type checker
reads. Line breaks are kept, so every line keeps its number; ``grammar`` moves the columns back.

- ``except A, B:`` (3.14): ``except (A, B):``, the same handler.
- ``t"..."`` (3.14) and f-strings only 3.12 reads (quotes reused inside, backslashes, comments
  or line breaks in a replacement field): a tuple of the string's expressions, which ``grammar``
  turns back into an f-string node (a ``TemplateStr`` for a t-string) with its literal parts.
- type parameters ``def f[T](...)``, ``class C[T]`` (3.12): dropped from the text; they bind no
  name the analysis follows, and their bounds and defaults are evaluated lazily, never at the
  definition, so ``grammar`` keeps those expressions out of every statement.
- ``type X = ...`` (3.12): ``X = ...``, so the alias binds ``X`` (FastAPI reads an ``Annotated``
  dependency through it).
- ``except*`` (3.11), under 3.10: ``except``, the same handlers to the analysis.
"""

from __future__ import annotations

import ast
import bisect
from collections.abc import Callable, Iterator, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from .grammar import Key, Lowering, TemplateStr, Version

_Part = cst.SimpleString | cst.FormattedString | cst.TemplatedString
_Expression = cst.FormattedStringExpression | cst.TemplatedStringExpression
_Text = cst.FormattedStringText | cst.TemplatedStringText


def lower(text: str, version: Version) -> Lowering | None:
    """How Python ``version`` can read ``text``; ``None`` when libcst rejects the text or
    nothing in it is newer than ``version``."""
    try:
        wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
        lowering = _Lowering(text, wrapper, version)
        wrapper.module.visit(lowering)
    except (cst.ParserSyntaxError, cst.CSTValidationError, RecursionError, ValueError):
        return None
    if lowering.refused or not lowering.found.replacements:
        return None
    return lowering.found


class _Lowering(cst.CSTVisitor):
    """One walk over libcst's tree, collecting what to lower and how."""

    def __init__(self, text: str, wrapper: MetadataWrapper, version: Version) -> None:
        super().__init__()
        self.text = text
        self.module = wrapper.module
        self.positions = wrapper.resolve(PositionProvider)
        self.version = version
        self.line_starts = [0]
        for index, char in enumerate(text):
            if char == "\n" or (char == "\r" and text[index + 1 : index + 2] != "\n"):
                self.line_starts.append(index + 1)
        self.found = Lowering()
        self.replacements = self.found.replacements
        self.refused = False
        self._in_strings: set[int] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        """Every node, each before its children (a concatenation before the strings it joins)."""
        older = self.version
        if isinstance(node, (cst.ExceptHandler, cst.ExceptStarHandler)) and older < (3, 14):
            kinds = node.type
            if isinstance(kinds, cst.Tuple) and not kinds.lpar and node.name is None:
                start, end = self._range(kinds)
                self.replacements += [(start, start, "("), (end, end, ")")]
        if isinstance(node, cst.ExceptStarHandler) and older < (3, 11):
            star = self._range(node)[0] + len("except") + len(self._code(node.whitespace_after_except))
            self.replacements.append((star, star + 1, ""))
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.TypeAlias)) and older < (3, 12):
            if isinstance(node, cst.TypeAlias):
                self._erase(self._range(node)[0], self._range(node.name)[0])
            if node.type_parameters:
                self._drop_type_parameters(node.type_parameters)
        if isinstance(node, (cst.ConcatenatedString, _Part)) and id(node) not in self._in_strings:
            self._lower_string(node)
        return True

    def _drop_type_parameters(self, node: cst.TypeParameters) -> None:
        self._erase(*self._range(node))
        for parameter in node.params:
            bound = parameter.param.bound if isinstance(parameter.param, cst.TypeVar) else None
            for expression in (bound, parameter.default):
                if expression is not None:
                    start, end = self._range_with_parentheses(expression)
                    self.found.dropped.append((self.text[start:end], *self._byte_position(start)))

    def _lower_string(self, node: cst.BaseString) -> None:
        parts = list(_parts(node))
        self._in_strings.update(id(part) for part in parts)
        self._in_strings.update(id(n) for n in _concatenations(node))
        templates = [isinstance(part, cst.TemplatedString) for part in parts]
        if any(templates) and not all(templates):
            self.refused = True  # 3.14 rejects a t-string beside other strings; so do we
            return
        newer = (any(templates) and self.version < (3, 14)) or (
            self.version < (3, 12)
            and any(isinstance(part, cst.FormattedString) and not _reads(self._code(part)) for part in parts)
        )
        if newer:
            self._to_tuple(node, parts, template=any(templates))

    def _to_tuple(self, node: cst.BaseString, parts: Sequence[_Part], template: bool) -> None:
        """``f"a{x}b{y:{w}}"`` -> ``((x),(y),(w),)``: the expressions stay where they are."""
        start, end = self._range(node)
        kept = [self._range_with_parentheses(expression.expression) for expression in _expressions(parts)]
        starts = [start, *(last for _, last in kept)]
        gaps = list(zip(starts, [*(first for first, _ in kept), end], strict=True))
        for index, (first, last) in enumerate(gaps):
            opening = "(" if index == 0 else "),"
            closing = "(" if index < len(gaps) - 1 else ")"
            self._replace_gap(first, last, opening, closing)
        code = self._code
        self.found.strings[self._key(start, end)] = lambda elements: _string_node(
            parts, elements, template, code
        )

    def _replace_gap(self, first: int, last: int, opening: str, closing: str) -> None:
        """Characters ``first`` to ``last`` (line breaks kept) become ``opening + closing``,
        ``opening`` on the first line and ``closing`` on the last, so the tuple begins and ends
        exactly where the string did."""
        segments = list(self._segments(first, last))
        if len(segments) == 1:
            self.replacements.append((first, last, opening + closing))
            return
        (head, head_end), *middle, (tail, tail_end) = segments
        self.replacements.append((head, head_end, opening))
        self.replacements += [(a, b, "") for a, b in middle]
        self.replacements.append((tail, tail_end, closing))

    def _erase(self, first: int, last: int) -> None:
        """Drops characters ``first`` to ``last``, ending each line they leave open with a
        backslash, so the statement stays one logical line."""
        *opened, (tail, tail_end) = self._segments(first, last)
        self.replacements += [(a, b, "\\") for a, b in opened]
        self.replacements.append((tail, tail_end, ""))

    def _segments(self, first: int, last: int) -> Iterator[tuple[int, int]]:
        """The stretch ``first`` to ``last`` cut at line breaks, which no segment includes."""
        line = bisect.bisect_right(self.line_starts, first)
        while line < len(self.line_starts) and self.line_starts[line] <= last:
            end = self.line_starts[line]
            while end > first and self.text[end - 1] in "\r\n":
                end -= 1
            yield first, end
            first = self.line_starts[line]
            line += 1
        yield first, last

    def _range(self, node: cst.CSTNode) -> tuple[int, int]:
        """Where the node is in the text, its own parentheses left out (as libcst has it)."""
        start, end = self.positions[node].start, self.positions[node].end
        return self._offset(start.line, start.column), self._offset(end.line, end.column)

    def _range_with_parentheses(self, node: cst.BaseExpression) -> tuple[int, int]:
        start, end = self._range(node)
        start -= sum(1 + len(self._code(paren.whitespace_after)) for paren in node.lpar)
        end += sum(1 + len(self._code(paren.whitespace_before)) for paren in node.rpar)
        return start, end

    def _offset(self, line: int, column: int) -> int:
        return self.line_starts[line - 1] + column

    def _key(self, start: int, end: int) -> Key:
        return (*self._byte_position(start), *self._byte_position(end))

    def _byte_position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, offset)
        return line, len(self.text[self.line_starts[line - 1] : offset].encode("utf-8"))

    def _code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


def _reads(code: str) -> bool:
    """Whether this Python reads an f-string on its own."""
    try:
        ast.parse(f"(\n{code}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _parts(node: cst.BaseExpression) -> Iterator[_Part]:
    """The strings an implicit concatenation joins, in order."""
    if isinstance(node, cst.ConcatenatedString):
        yield from _parts(node.left)
        yield from _parts(node.right)
    else:
        assert isinstance(node, _Part)
        yield node


def _concatenations(node: cst.BaseExpression) -> Iterator[cst.ConcatenatedString]:
    if isinstance(node, cst.ConcatenatedString):
        yield node
        yield from _concatenations(node.left)
        yield from _concatenations(node.right)


def _expressions(parts: Sequence[_Part]) -> Iterator[_Expression]:
    """Every replacement field of the strings, format specs' included, in the order of the text."""

    def fields(contents: Sequence[cst.CSTNode]) -> Iterator[_Expression]:
        for content in contents:
            if isinstance(content, _Expression):
                yield content
                yield from fields(content.format_spec or ())

    for part in parts:
        if not isinstance(part, cst.SimpleString):
            yield from fields(part.parts)


def _string_node(
    parts: Sequence[_Part], elements: Iterator[ast.expr], template: bool, code: Callable[[cst.CSTNode], str]
) -> ast.expr:
    """The node Python 3.14 would make of the strings (``TemplateStr`` standing for its own),
    the expressions taken from ``elements`` in the order of the text."""

    def values(part: _Part, contents: Sequence[cst.CSTNode]) -> list[ast.expr]:
        found: list[ast.expr] = []
        for content in contents:
            if isinstance(content, _Text):
                found.append(ast.Constant(_literal(content.value, part)))
                continue
            assert isinstance(content, _Expression)
            if content.equal is not None:  # f"{x=}": the text up to "=" comes first
                spelled = [content.whitespace_before_expression, content.expression]
                spelled += [content.whitespace_after_expression, content.equal]
                found.append(ast.Constant("".join(map(code, spelled))))
            conversion = ord(content.conversion) if content.conversion else -1
            if content.equal is not None and conversion == -1 and content.format_spec is None:
                conversion = ord("r")
            value = next(elements)  # before the format spec's, which follow it in the text
            spec = None if content.format_spec is None else ast.JoinedStr(values(part, content.format_spec))
            found.append(ast.FormattedValue(value, conversion, spec))
        return _merged(found)

    joined: list[ast.expr] = []
    for part in parts:
        if isinstance(part, cst.SimpleString):
            joined.append(ast.Constant(part.evaluated_value))
        else:
            joined += values(part, part.parts)
    return TemplateStr(values=_merged(joined)) if template else ast.JoinedStr(values=_merged(joined))


def _literal(text: str, part: _Part) -> str:
    """A literal stretch of an f-string or t-string as the string it stands for."""
    text = text.replace("{{", "{").replace("}}", "}")
    if "r" in part.prefix.lower():
        return text
    try:
        value = ast.literal_eval(f"{part.quote}{text}{part.quote}")
    except (SyntaxError, ValueError):
        return text
    return value if isinstance(value, str) else text


def _merged(values: list[ast.expr]) -> list[ast.expr]:
    """Adjacent literal parts as one, as ``ast`` has them."""
    merged: list[ast.expr] = []
    for value in values:
        if merged and isinstance(value, ast.Constant) and isinstance(merged[-1], ast.Constant):
            merged[-1] = ast.Constant(merged[-1].value + value.value)
        elif not (isinstance(value, ast.Constant) and value.value == ""):
            merged.append(value)
    return merged
