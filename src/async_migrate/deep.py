"""Room for deep trees: the run goes on a thread with a large stack and a recursion limit to match.

Python's default recursion limit (1000) stops a tree walk at about 500 levels, yet CPython compiles
expressions nested several times deeper (a 1000-term ``+``, a long chain of method calls, nested
lambdas), and generated code has them. The index and the plan walk trees recursively, so they
get the room here. Deeper still, a ``RecursionError`` is caught where a file is processed and costs
that file only.

libcst is the exception: its walks take time that grows much faster than the depth (a rewrite of a
3000-deep expression took 24 s, of a 10,000-deep one over 5 minutes), so rewrites keep Python's
default limit and a file too deep for it is reported at once, as before.
"""

from __future__ import annotations

import ast
import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

STACK_BYTES = 512 * 1024 * 1024
"""Reserved, not committed: memory is only used as deep as a walk goes."""
RECURSION_LIMIT = 50_000
"""Python frames; a few hundred bytes of C stack each at most, well within ``STACK_BYTES``."""
DEFAULT_LIMIT = 1000
"""Python's own default."""
REWRITE_DEPTH = 1000
"""Deeper files are not given to libcst: parsing a 1000-deep expression takes it 1 s, 4000-deep 25 s."""

_T = TypeVar("_T")


def run_deep(function: Callable[..., _T], *args: object, **kwargs: object) -> _T:
    """``function(*args, **kwargs)`` on a thread with room for deep recursion; its exception, if any,
    is raised here."""
    outcome: list[_T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(function(*args, **kwargs))
        except BaseException as error:  # handed to the caller's thread
            failure.append(error)

    previous_stack = threading.stack_size(STACK_BYTES)
    previous_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous_limit, RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=target, name="async-migrate", daemon=True)
        thread.start()
    finally:
        threading.stack_size(previous_stack)
    try:
        thread.join()
    finally:
        sys.setrecursionlimit(previous_limit)
    if failure:
        raise failure[0]
    return outcome[0]


@contextlib.contextmanager
def default_recursion_limit() -> Iterator[None]:
    """Python's default recursion limit for the block (for libcst; see the module's docstring)."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(DEFAULT_LIMIT)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def tree_depth(tree: ast.AST) -> int:
    """How deep ``tree`` goes, walked without recursing (it may be deeper than any limit)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest
