"""Before/after checks of one codemod: the edit is placed on a node found with ``ast`` (as the
index finds it) and applied by ``rewrite.apply_edits``, through the registry's codemod lookup."""

from __future__ import annotations

import ast
from pathlib import Path

from async_migrate.facts import Span
from async_migrate.rewrite import apply_edits

PATH = Path("app.py")


def span_of(code: str, kind: type[ast.AST], nth: int = 0) -> Span:
    """The span of the ``nth`` node of type ``kind`` in ``code``, in source order."""
    nodes = sorted(
        (node for node in ast.walk(ast.parse(code)) if isinstance(node, kind)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    node = nodes[nth]
    assert node.end_lineno is not None and node.end_col_offset is not None
    return Span(node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


def rewritten(code: str, *edits: object) -> str:
    return apply_edits(code, list(edits))  # type: ignore[arg-type]
