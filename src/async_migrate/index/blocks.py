"""``with`` blocks in one function: what each holds, what its body calls and binds, and whether
it can be moved whole into a worker thread.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator

from ..facts import Span, WithFact
from .constants import _TRY_STATEMENTS
from .syntax import _children, _own_nodes


class _BlockAnalysis:
    """Decides whether a ``with`` statement can move into a function run in the threadpool."""

    def __init__(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        own: list[ast.AST],
        declared_global: set[str],
        declared_nonlocal: set[str],
        is_generator: bool,
    ) -> None:
        self.function = function
        self.own = own
        self.params = {
            arg.arg
            for arg in [
                *function.args.posonlyargs,
                *function.args.args,
                *function.args.kwonlyargs,
                *(a for a in (function.args.vararg, function.args.kwarg) if a),
            ]
        }
        self.declared_global = declared_global
        self.declared_nonlocal = declared_nonlocal
        self.is_generator = is_generator

    def analyse(self, statement: ast.With, span: Span) -> WithFact:
        inside = list(_own_nodes([statement]))
        inside_ids = {id(node) for node in inside}
        obstacle = self._obstacle(statement, inside)
        bound_inside = _bound_names(inside)
        bound_outside = _bound_names(n for n in self.own if id(n) not in inside_ids)
        read_outside = {
            n.id
            for n in _all_nodes_outside(self.function.body, inside_ids)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
        targets = {
            n.id
            for item in statement.items
            if item.optional_vars is not None
            for n in ast.walk(item.optional_vars)
            if isinstance(n, ast.Name)
        }
        unconditional = targets | _bound_names(statement.body, shallow=True)
        returns, nonlocals, globals_ = [], [], []
        for name in sorted(bound_inside):
            if name in self.declared_global:
                globals_.append(name)
            elif name in self.declared_nonlocal or name in bound_outside or name in self.params:
                nonlocals.append(name)
            elif name in read_outside:
                if name in targets:
                    obstacle = obstacle or f"the with target {name!r} is used after the block"
                elif name not in unconditional:
                    obstacle = obstacle or f"{name!r} is bound only on some paths through the block"
                returns.append(name)
        has_return = any(isinstance(n, ast.Return) for n in inside)
        if has_return and (self.function.body[-1] is not statement or self.is_generator):
            obstacle = obstacle or "the block returns, and is not the last statement of the function"
        if returns and self._may_see_partial_results(statement, set(returns)):
            obstacle = obstacle or (
                "an enclosing try could see names the block bound before it failed "
                f"({', '.join(returns)}); moved, they would be unbound"
            )
        return WithFact(span, obstacle, tuple(returns), tuple(nonlocals), tuple(globals_), has_return)

    def _may_see_partial_results(self, statement: ast.With, names: set[str]) -> bool:
        """Whether, when the block raises, code of this function can still read ``names``.

        The block's results come back only when it completes. That is the same as before unless
        an enclosing ``try`` reads them in a handler or ``finally``, or swallows the exception
        and carries on to code that may read what the block had bound.
        """
        for handlers, finalbody in self._enclosing_tries.get(id(statement), []):
            reads = {
                node.id
                for part in [*handlers, *finalbody]
                for node in ast.walk(part)
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            }
            if reads & names or any(
                not handler.body or not isinstance(handler.body[-1], ast.Raise) for handler in handlers
            ):
                return True
        return False

    @functools.cached_property
    def _enclosing_tries(self) -> dict[int, list[tuple[list[ast.ExceptHandler], list[ast.stmt]]]]:
        """For each statement of the function, the ``try`` statements whose body holds it."""
        found: dict[int, list[tuple[list[ast.ExceptHandler], list[ast.stmt]]]] = {}

        def visit(body: list[ast.stmt], tries: list[tuple[list[ast.ExceptHandler], list[ast.stmt]]]) -> None:
            for node in body:
                found[id(node)] = tries
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                if isinstance(node, _TRY_STATEMENTS):
                    visit(node.body, [*tries, (node.handlers, node.finalbody)])
                    for handler in node.handlers:
                        visit(handler.body, tries)
                    visit(node.orelse, tries)
                    visit(node.finalbody, tries)
                    continue
                for field_name in ("body", "orelse"):
                    visit(getattr(node, field_name, None) or [], tries)
                for case in getattr(node, "cases", []):
                    visit(case.body, tries)

        visit(self.function.body, [])
        return found

    def _obstacle(self, statement: ast.With, inside: list[ast.AST]) -> str | None:
        for node in inside:
            if isinstance(node, (ast.Yield, ast.YieldFrom)):
                return "the block yields"
            if isinstance(node, (ast.Await, ast.AsyncWith, ast.AsyncFor)):
                return "the block awaits"
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                return "the block declares global or nonlocal names"
            if isinstance(node, ast.Name) and node.id in {"super", "__class__"}:
                return "the block uses super()"
        if _escaping_jumps(statement.body):
            return "the block breaks or continues an enclosing loop"
        return None


def _escaping_jumps(body: list[ast.stmt]) -> bool:
    """A ``break``/``continue`` in ``body`` that targets a loop outside it."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Break, ast.Continue)):
            return True
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            stack.extend(node.orelse)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(_children(node))
    return False


def _bound_names(nodes: Iterable[ast.AST], shallow: bool = False) -> set[str]:
    """Names a function scope binds in ``nodes`` (comprehension variables bind their own scope).

    ``shallow``: only what the statements themselves assign, not their nested blocks.
    """
    nodes = list(nodes)
    comprehension_targets = {
        id(name) for node in nodes if isinstance(node, ast.comprehension) for name in ast.walk(node.target)
    }
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if id(node) not in comprehension_targets:
                names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)):
            if node.name:
                names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).partition(".")[0] for alias in node.names)
        if shallow and isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _all_nodes_outside(body: list[ast.stmt], excluded: set[int]) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if id(node) in excluded:
            continue
        yield node
        stack.extend(_children(node))


def _generator_obstacle(own: list[ast.AST]) -> tuple[bool, str | None]:
    is_generator = any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in own)
    if not is_generator:
        return False, None
    if any(isinstance(node, ast.YieldFrom) for node in own):
        return True, "the generator uses 'yield from', which async generators cannot"
    if any(isinstance(node, ast.Return) and node.value is not None for node in own):
        return True, "the generator returns a value, which async generators cannot"
    return True, None
