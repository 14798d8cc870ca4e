"""One module's table: its source, its tree and its top-level bindings (imports, definitions,
assignments). The first pass builds these for every file before any name is resolved across files.
"""

from __future__ import annotations

import ast
import functools
import io
import os
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import grammar
from ..facts import ImportBinding, Span
from ..source import SourceError, SourceFile, split_lines
from .constants import _IDENTIFIER, _SKIP, TYPE_ALIAS


def module_name_for(path: Path) -> str:
    """The dotted name Python would import ``path`` as, from the package layout on disk."""
    package = _package_of(str(path.parent))
    name = "" if path.name == "__init__.py" else path.stem
    return ".".join(part for part in (package, name) if part) or path.stem


@functools.cache
def _package_of(folder: str) -> str:
    """The dotted package name of a folder ("" when it is not a package)."""
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return ""
    parent = os.path.dirname(folder)
    outer = _package_of(parent) if parent != folder else ""
    name = os.path.basename(folder)
    return f"{outer}.{name}" if outer else name


class _Columns:
    """Converts ``ast``'s UTF-8 byte columns to the character columns libcst uses."""

    def __init__(self, text: str) -> None:
        self._ascii = text.isascii()
        self._lines = None if self._ascii else split_lines(text)

    def span(self, node: ast.expr | ast.stmt) -> Span:
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Span(
            node.lineno, self.col(node.lineno, node.col_offset), end_line, self.col(end_line, end_col)
        )

    def start(self, node: ast.stmt) -> Span:
        column = self.col(node.lineno, node.col_offset)
        return Span(node.lineno, column, node.lineno, column)

    def col(self, line: int, byte_col: int) -> int:
        if self._ascii or self._lines is None:
            return byte_col
        return len(self._lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace"))


@dataclass
class ModuleTable:
    """What a module binds at top level, as the index needs it for name resolution."""

    name: str
    source: SourceFile
    tree: ast.Module
    columns: _Columns
    is_package: bool
    imports: dict[str, tuple[str, ImportBinding]] = field(default_factory=dict)
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = field(default_factory=dict)
    variables: dict[str, ast.expr] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    """Modules imported with ``from m import *``, whose names ``_expand_star_imports`` binds."""

    @property
    def path(self) -> Path:
        return self.source.path

    @functools.cached_property
    def identifiers(self) -> frozenset[str]:
        """Every identifier-like word of the source, for cheap "does it mention f?" checks."""
        return frozenset(_IDENTIFIER.findall(self.source.text))

    @functools.cached_property
    def lazy_annotations(self) -> bool:
        """``from __future__ import annotations``: no annotation of the module is evaluated."""
        return any(
            isinstance(statement, ast.ImportFrom)
            and statement.module == "__future__"
            and any(alias.name == "annotations" for alias in statement.names)
            for statement in self.tree.body
        )

    @functools.cached_property
    def skip_lines(self) -> frozenset[int]:
        """Lines carrying a ``# async-migrate: skip`` comment (comments only, not strings)."""
        if "async-migrate" not in self.source.text:
            return frozenset()
        lines: set[int] = set()
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.source.text).readline):
                if token.type == tokenize.COMMENT and _SKIP.match(token.string):
                    lines.add(token.start[0])
        except (tokenize.TokenError, SyntaxError):
            pass
        return frozenset(lines)

    @functools.cached_property
    def global_names(self) -> frozenset[str]:
        """Every name bound at module level (asked once the star imports are expanded)."""
        return frozenset(self.defs).union(self.imports, self.variables)

    @functools.cached_property
    def _lines(self) -> list[str]:
        return split_lines(self.source.text)

    def identifiers_in(self, node: ast.stmt) -> frozenset[str]:
        """The identifier-like words of the lines a statement spans."""
        return frozenset(_IDENTIFIER.findall(self.lines(node.lineno, node.end_lineno or node.lineno)))

    def lines(self, first: int, last: int) -> str:
        """The text of lines ``first`` to ``last``, both included."""
        return "".join(self._lines[first - 1 : last])


@dataclass
class ClassInfo:
    qualname: str
    module: ModuleTable
    bases: list[str | None]
    methods: dict[str, str]
    fields: dict[str, ast.expr]
    line: int


def parse_module(source: SourceFile) -> ast.Module:
    """The module's tree; ``build_index`` silences the warnings (invalid escapes and the like
    are the user's business, not noise for our output) once for all files."""
    try:
        return grammar.parse(source.text, filename=str(source.path))
    except SyntaxError as exc:
        raise SourceError(source.path, f"cannot parse: {exc.msg}", exc.lineno or _null_line(source)) from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SourceError(source.path, f"cannot parse: {exc}", _null_line(source)) from exc


def _null_line(source: SourceFile) -> int | None:
    """The line of the first null byte, which Python reports without one."""
    position = source.text.find("\0")
    return source.text[:position].count("\n") + 1 if position >= 0 else None


def _relative_base(module: ModuleTable, level: int) -> str:
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def _imported(
    statement: ast.Import | ast.ImportFrom, module: ModuleTable
) -> Iterator[tuple[str, str, ImportBinding | None]]:
    """What an import statement binds: (local name, qualified name, binding) for each name, and
    ("*", module, None) for a star import. In a module or in a function alike."""
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if alias.asname:
                yield alias.asname, alias.name, ImportBinding(alias.name, None, alias.asname)
            else:
                top = alias.name.partition(".")[0]
                yield top, top, ImportBinding(alias.name)
        return
    base = statement.module or ""
    if statement.level:
        prefix = _relative_base(module, statement.level)
        base = f"{prefix}.{base}" if base and prefix else (base or prefix)
    for alias in statement.names:
        if alias.name == "*":
            yield "*", base, None
        else:
            yield (
                alias.asname or alias.name,
                f"{base}.{alias.name}",
                ImportBinding(base, alias.name, alias.asname),
            )


def _collect_module_table(module: ModuleTable) -> None:
    for statement in _top_level_statements(module.tree.body):
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for local, target, binding in _imported(statement, module):
                if binding is None:
                    module.star_imports.append(target)
                else:
                    module.imports[local] = (target, binding)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            module.defs[statement.name] = statement
            module.imports.pop(statement.name, None)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    module.variables[target.id] = statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            module.variables[statement.target.id] = statement.value or statement.annotation
        elif isinstance(statement, TYPE_ALIAS):
            module.variables[statement.name.id] = statement.value


def _import_words(statement: ast.Import | ast.ImportFrom) -> list[str]:
    """The names an import statement spells out, each a word of its text."""
    words = (statement.module or "").split(".") if isinstance(statement, ast.ImportFrom) else []
    for alias in statement.names:
        words += [*alias.name.split("."), *([alias.asname] if alias.asname else [])]
    return words


def _top_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, looking into ``if``/``try`` blocks (``if TYPE_CHECKING``...)."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _top_level_statements(statement.body)
            yield from _top_level_statements(statement.orelse)
        elif isinstance(statement, ast.Try):
            yield from _top_level_statements(statement.body)
            for handler in statement.handlers:
                yield from _top_level_statements(handler.body)
            yield from _top_level_statements(statement.orelse)
        else:
            yield statement
