"""Small helpers over stdlib ``ast`` nodes (dotted names, source text, own-scope walks, decorators)
that every pass shares; they know nothing of the project.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *parts]
    return None


@functools.cache
def _node_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes worth visiting: not ``ctx`` and operators,
    leaf nodes that are read as attributes (``isinstance(node.ctx, ast.Load)``), never visited."""
    return tuple(name for name in kind._fields if name not in {"ctx", "op", "ops"})


def _children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` without the leaves of ``_node_fields`` (the index's walks spent
    a quarter of their time there)."""
    found: list[ast.AST] = []
    for name in _node_fields(type(node)):
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            found.append(value)
        elif value and isinstance(value, list):
            found += [item for item in value if isinstance(item, ast.AST)]
    return found


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` (itself included) but those leaves, in no particular order."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(_children(node))


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


_DEFINITIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})


def _own_nodes(body: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node of a function body that belongs to the function's own scope.

    Nested functions, lambdas and classes are yielded themselves (their names bind here) but
    not entered. Comprehensions are entered: their walrus targets bind in this scope.
    """
    stack = list(body)[::-1]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _NESTED_SCOPES):
            continue
        stack.extend(reversed(_children(node)))


def _with_nested(own: list[ast.AST]) -> Iterator[ast.AST]:
    """``own`` (from ``_own_nodes``) and every node of the nested scopes it holds: with it, a
    function's full walk costs only what its nested functions add."""
    for node in own:
        yield node
        if isinstance(node, _NESTED_SCOPES):
            for child in _children(node):
                yield from _walk(child)


def _text(node: ast.expr) -> str:
    """The code of an expression, short, for reports; a dotted name without ``ast.unparse``,
    which costs more than the rest of recording a call."""
    parts = _dotted(node)
    return _short(".".join(parts) if parts is not None else ast.unparse(node))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


PROPERTY_DECORATORS = frozenset({"property", "cached_property"})


def _is_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Decorated ``@property`` or ``@(functools.)cached_property``: read as an attribute, it runs."""
    return any(
        (decorator.id if isinstance(decorator, ast.Name) else getattr(decorator, "attr", None))
        in PROPERTY_DECORATORS
        for decorator in node.decorator_list
    )


def _has_decorator(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    return any(isinstance(d, ast.Name) and d.id == name for d in node.decorator_list)


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)
