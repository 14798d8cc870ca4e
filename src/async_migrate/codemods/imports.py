"""Imports the rewrites need, added once; imports they left unused, removed.

The plan already knows which import bindings the rewrites make unused (the index counted every
use of the name), so this module only edits import statements; it doesn't re-analyse scopes,
which is what makes libcst's generic import visitors slow (20-50 ms per file).

New imports go where isort would put them, as far as the file's own layout tells: into the
blank-line separated group that already imports from the same package (``fastapi``), else the
first group of the same kind (standard library or not), in sorted position; else a new group
after the last one. A name already imported at top level is not imported again.

A module the rewritten code refers to by name (``json``, ``httpx``) is imported under another
name when the file binds that name to something else anywhere (``import orjson as json``, a
local variable ``json``): ``import json as _json``; a builtin (``str``) is then called through
``builtins``.
"""

from __future__ import annotations

import ast
import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

from .. import grammar
from ..facts import ImportBinding


@dataclass
class ImportChanges:
    first_party: frozenset[str] = frozenset()
    """Top-level packages of the project itself: isort puts their imports in a group of their own."""
    needed: set[tuple[str, str | None]] = field(default_factory=set)
    """``(module, None)`` for ``import module``; ``(module, name)`` for ``from module import name``."""
    unused: set[ImportBinding] = field(default_factory=set)
    constants: dict[str, str] = field(default_factory=dict)
    """Module-level assignments the rewrites refer to (name -> statement), placed after the imports."""

    comments: dict[tuple[str, str | None], str] = field(default_factory=dict)
    """Why an import that the code doesn't otherwise use is there."""
    code: str = ""
    """The file's original source, read (once) when a rewrite asks for a module by name."""
    aliases: dict[str, str] = field(default_factory=dict)
    """Modules imported under another name, because the file binds theirs to something else."""
    helpers: dict[str, str] = field(default_factory=dict)

    def need(self, module: str, name: str | None = None, *, comment: str | None = None) -> None:
        self.needed.add((module, name))
        if comment:
            self.comments[(module, name)] = comment

    def module(self, module: str) -> str:
        """The name the rewritten code calls ``module`` by (imported once): its own, unless the
        file binds that name to something else, then a free one."""
        if module not in self.aliases:
            rebound = _names(self.code)[0]
            self.aliases[module] = self.free(f"_{module}") if module in rebound else module
        self.need(module)
        self.unused.discard(ImportBinding(module))  # a rewrite dropped it, another one uses it
        return self.aliases[module]

    def builtin(self, name: str) -> cst.Name | cst.Attribute:
        """A builtin the rewritten code calls (``str``), through ``builtins`` if the file
        binds its name to something else."""
        if name not in _names(self.code)[0]:
            return cst.Name(name)
        return cst.Attribute(cst.Name(self.module("builtins")), cst.Name(name))

    def free(self, name: str) -> str:
        """``name``, or ``name_2``... if the file already uses it."""
        taken = _names(self.code)[1]
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}_{n}"
        return candidate

    def helper(self, name: str, define: Callable[[str], str]) -> str:
        """The name of a module-level function the rewrites call (``define(own_name)`` is its
        code), defined once after the imports."""
        if name not in self.helpers:
            self.helpers[name] = self.free(name)
            self.constant(self.helpers[name], define(self.helpers[name]))
        return self.helpers[name]

    def local_name(self, item: tuple[str, str | None]) -> str:
        module, name = item
        return name if name else self.aliases.get(module, module.partition(".")[0])

    def constant(self, name: str, statement: str) -> None:
        self.constants[name] = statement

    def drop(self, binding: ImportBinding) -> None:
        self.unused.add(binding)


_NAMED_BINDINGS = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.ExceptHandler,
    ast.MatchAs,
    ast.MatchStar,
)


@functools.lru_cache(maxsize=4)
def _names(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """The names ``code`` binds other than by importing the module of that name (anywhere:
    a local ``json = ...`` breaks ``json.dumps`` in that function), and every name it uses."""
    rebound: set[str] = set()
    used: set[str] = set()
    for node in ast.walk(grammar.parse(code)):  # code newer than this Python too
        if isinstance(node, ast.Name):
            used.add(node.id)
            if not isinstance(node.ctx, ast.Load):
                rebound.add(node.id)
        elif isinstance(node, ast.arg):
            rebound.add(node.arg)
        elif isinstance(node, _NAMED_BINDINGS) and node.name:
            rebound.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            rebound.add(node.rest)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                local = alias.asname or alias.name.partition(".")[0]
                if isinstance(node, ast.ImportFrom) or local != alias.name.partition(".")[0]:
                    rebound.add(local)
    return frozenset(rebound), frozenset(used | rebound)


def apply_import_changes(module: cst.Module, changes: ImportChanges) -> cst.Module:
    if changes.unused:
        module = _remove(module, changes.unused)
    missing = sorted(
        (item for item in changes.needed if changes.local_name(item) not in _top_level_import_names(module)),
        key=lambda item: (item[1] is not None, item),
    )
    if missing:
        module = _insert(module, missing, changes)
    return _add_constants(module, changes.constants) if changes.constants else module


def _add_constants(module: cst.Module, constants: dict[str, str]) -> cst.Module:
    """After the last leading import (or the docstring), one blank line above and below (two
    around a function, as PEP 8 has it)."""
    body = list(module.body)
    position = 0
    for index, statement in enumerate(body):
        if _is_import(statement) or (index == 0 and _is_docstring(statement)):
            position = index + 1
        else:
            break
    new = []
    for index, statement in enumerate(constants[name] for name in sorted(constants)):
        parsed = cst.parse_statement(statement, module.config_for_parsing)
        blanks = 2 if isinstance(parsed, cst.FunctionDef) else 1 if position and index == 0 else 0
        new.append(parsed.with_changes(leading_lines=[cst.EmptyLine()] * blanks))
    if position < len(body):
        following = body[position]
        blanks = 2 if isinstance(new[-1], cst.FunctionDef) else 1
        lines = list(following.leading_lines)
        while len(lines) < blanks or any(line.comment is not None for line in lines[:blanks]):
            lines.insert(0, cst.EmptyLine())
        body[position] = following.with_changes(leading_lines=lines)
    return module.with_changes(body=[*body[:position], *new, *body[position:]])


def _top_level_import_names(module: cst.Module) -> set[str]:
    names: set[str] = set()
    for statement in module.body:
        if not _is_import(statement):
            continue
        assert isinstance(statement, cst.SimpleStatementLine)
        for small in statement.body:
            aliases = small.names if isinstance(small.names, list | tuple) else []
            for alias in aliases:
                if alias.asname is None:
                    full = _dotted(alias.name)
                    names.add(full if isinstance(small, cst.ImportFrom) else full.partition(".")[0])
    return names


def _statements(
    missing: list[tuple[str, str | None]], changes: ImportChanges
) -> list[tuple[tuple[str, str | None], str]]:
    """The import lines to add, each with the item that places it: the names a file needs from
    one module go on one line (``from m import a, b``), except one carrying a comment of its own."""
    lines: list[tuple[tuple[str, str | None], str]] = []
    merged: dict[str, int] = {}
    for item in missing:
        mod, name = item
        alias = changes.local_name(item)
        imported = name or mod
        if alias not in {mod, name}:
            imported += f" as {alias}"
        if name is not None and item not in changes.comments and mod in merged:
            position = merged[mod]
            lines[position] = (lines[position][0], f"{lines[position][1]}, {imported}")
            continue
        text = f"from {mod} import {imported}" if name else f"import {imported}"
        if item in changes.comments:
            text += f"  # {changes.comments[item]}"
        elif name is not None:
            merged[mod] = len(lines)
        lines.append((item, text))
    return lines


def _insert(module: cst.Module, missing: list[tuple[str, str | None]], changes: ImportChanges) -> cst.Module:
    for item, text in _statements(missing, changes):
        new = cst.parse_statement(text, module.config_for_parsing)
        body = list(module.body)
        position, placement = _placement(body, item, changes.first_party)
        if placement == "new group after":
            new = new.with_changes(leading_lines=[cst.EmptyLine()])
        elif placement in {"group start", "new group before"}:
            # the new line takes the blank lines above the line it goes before, not its comments
            following = body[position]
            lines = list(following.leading_lines)
            blanks = []
            while lines and lines[0].comment is None:
                blanks.append(lines.pop(0))
            new = new.with_changes(leading_lines=blanks)
            if placement == "new group before":
                lines.insert(0, cst.EmptyLine())
            body[position] = following.with_changes(leading_lines=lines)
        elif placement == "top" and body and not _starts_with_blank(body[0]):
            # the file had no imports (or lost its only one): the code moves below the new line,
            # separated as PEP 8 has it (two blank lines before a top-level def or class)
            blanks = [cst.EmptyLine()] * (2 if isinstance(body[0], cst.FunctionDef | cst.ClassDef) else 1)
            body[0] = body[0].with_changes(leading_lines=[*blanks, *body[0].leading_lines])
        body.insert(position, new)
        module = module.with_changes(body=body)
    return module


def _placement(
    body: list[cst.BaseStatement], item: tuple[str, str | None], first_party: frozenset[str]
) -> tuple[int, str]:
    """Where the new import goes: a position, and how it relates to the groups around it."""
    groups = _import_groups(body)
    if not groups:
        start = 1 if body and _is_docstring(body[0]) else 0
        return start, "new group after" if start else "top"
    package = item[0].partition(".")[0]
    kind = _kind(package, first_party)
    same_package = [g for g in groups if any(_package(body[i]) == package for i in g)]
    same_kind = [g for g in groups if all(_kind(_package(body[i]), first_party) == kind for i in g)]
    target = (same_package or same_kind or [None])[0]
    if target is None:
        # sections in isort's order: standard library, third party, then the package's own
        later = [
            g for g in groups if _KINDS.index(_kind(_package(body[g[0]]), first_party)) > _KINDS.index(kind)
        ]
        if later:
            return later[0][0], "new group before"
        return groups[-1][-1] + 1, "new group after"
    key = (item[1] is not None, item[0].lower())
    for position in target:
        if _statement_key(body[position]) > key:
            return position, "group start" if position == target[0] else "inside"
    return target[-1] + 1, "inside"


_KINDS = ("stdlib", "third-party", "first-party", "relative")


def _kind(package: str, first_party: frozenset[str]) -> str:
    if package.startswith("."):
        return "relative"
    if package in sys.stdlib_module_names:
        return "stdlib"
    return "first-party" if package in first_party else "third-party"


def _import_groups(body: list[cst.BaseStatement]) -> list[list[int]]:
    """Positions of the leading imports (not ``__future__``), in blank-line separated groups."""
    groups: list[list[int]] = []
    for position, statement in enumerate(body):
        if position == 0 and _is_docstring(statement):
            continue
        if not _is_import(statement):
            break
        if _package(statement) == "__future__":
            continue
        if not groups or any(line.comment is None for line in statement.leading_lines):
            groups.append([])
        groups[-1].append(position)
    return groups


def _starts_with_blank(statement: cst.BaseStatement) -> bool:
    return any(line.comment is None for line in statement.leading_lines[:1])


def _is_import(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and bool(statement.body)
        and all(isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body)
    )


def _first_import(statement: cst.BaseStatement) -> cst.Import | cst.ImportFrom:
    assert isinstance(statement, cst.SimpleStatementLine)
    small = statement.body[0]
    assert isinstance(small, cst.Import | cst.ImportFrom)
    return small


def _module_of(small: cst.Import | cst.ImportFrom) -> str:
    if isinstance(small, cst.Import):
        return _dotted(small.names[0].name)
    dots = "." * len(small.relative)
    return dots + (_dotted(small.module) if small.module else "")


def _package(statement: cst.BaseStatement) -> str:
    module = _module_of(_first_import(statement))
    return module if module.startswith(".") else module.partition(".")[0]


def _statement_key(statement: cst.BaseStatement) -> tuple[bool, str]:
    small = _first_import(statement)
    return isinstance(small, cst.ImportFrom), _module_of(small).lower()


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _remove(module: cst.Module, unused: set[ImportBinding]) -> cst.Module:
    body: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []
    separated = False
    """The removed line began a blank-line separated group: the line after it begins it now."""
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            kept = [small for small in (_without(small, unused) for small in statement.body) if small]
            if not kept:
                # keep the comments that were above the removed line, and its group's separation
                carried += [line for line in statement.leading_lines if line.comment is not None]
                separated = separated or any(line.comment is None for line in statement.leading_lines)
                continue
            statement = statement.with_changes(body=kept)
        lines = [*carried, *statement.leading_lines]
        if separated and not any(line.comment is None for line in lines):
            lines.insert(0, cst.EmptyLine())
        if carried or separated:
            statement = statement.with_changes(leading_lines=lines)
            carried, separated = [], False
        body.append(statement)
    if body and not module.header and len(body) < len(module.body):
        first = body[0]
        lines = list(first.leading_lines)
        while lines and lines[0].comment is None:
            lines.pop(0)
        body[0] = first.with_changes(leading_lines=lines)
    return module.with_changes(body=body)


def _without(small: cst.BaseSmallStatement, unused: set[ImportBinding]) -> cst.BaseSmallStatement | None:
    if isinstance(small, cst.Import):
        names = [
            alias
            for alias in small.names
            if ImportBinding(_dotted(alias.name), None, _asname(alias)) not in unused
        ]
    elif isinstance(small, cst.ImportFrom) and isinstance(small.names, list | tuple) and not small.relative:
        module = _dotted(small.module) if small.module else ""
        names = [
            alias
            for alias in small.names
            if ImportBinding(module, _dotted(alias.name), _asname(alias)) not in unused
        ]
    else:
        return small
    if len(names) == len(small.names):
        return small
    if not names:
        return None
    names[-1] = names[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return small.with_changes(names=names)


def _dotted(node: cst.BaseExpression) -> str:
    """The dotted name an import names (``a.b``); read from the nodes, not printed (5x faster)."""
    name = get_full_name_for_node(node)
    assert name is not None, "an import names a Name or an Attribute"
    return name


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is None:
        return None
    return _dotted(alias.asname.name)
