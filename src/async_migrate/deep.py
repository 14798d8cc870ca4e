"""Deep trees cost at most their file.

The index walks trees recursively, so a file nested deeper than Python's recursion limit allows
(a 1000-term ``+``, a 1000-long attribute chain) would end the run with a ``RecursionError``; the
index leaves such a file out and reports it instead (``index.build_index``). libcst needs no such
limit to take minutes: its parse time grows much faster than the depth (1 s at 1000 levels, 25 s
at 4000, minutes at 30,000), so it is given no file deeper than ``REWRITE_DEPTH``.
"""

from __future__ import annotations

import ast

REWRITE_DEPTH = 1000
"""Deeper files are reported as too deeply nested to rewrite, never handed to libcst."""


def tree_depth(tree: ast.AST) -> int:
    """How deep ``tree`` goes, walked without recursing (it may be deeper than any limit)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest
