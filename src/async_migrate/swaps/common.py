"""Helpers of the swaps that read the catalog: what an external call is, and how a report names
a call that blocks where ``await`` can't go."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..catalog import Catalog, Entry
from ..facts import CallFact, ExternalCallee, ProjectCallee
from ..rules import Rule
from .base import Blocker

if TYPE_CHECKING:
    from ..index import ProjectIndex


def catalog_entry(catalog: Catalog, call: CallFact) -> tuple[str, Entry | None] | None:
    """The call's name as reports show it and its catalog entry; ``None`` for a call that is
    not of a library function (a project function, an unknown callee)."""
    callee = call.callee
    if not isinstance(callee, ExternalCallee):
        return None
    return callee.qualname.removeprefix("builtins."), catalog.lookup(callee.qualname)


def called(call: CallFact, name: str | None = None) -> str:
    """How a report names what ``call`` runs: ``helper()``, or a callable passed to be called."""
    if call.use == "reference":
        return f"{name or call.text}, passed as a callable that is called here,"
    return f"{call.text}()" if name is None else name


def not_awaitable(call: CallFact, name: str) -> Blocker:
    return Blocker(Rule.NOT_AWAITABLE_HERE, f"{called(call, name)} blocks where await can't go")


def needs_lambda(call: CallFact) -> bool:
    """``run_in_threadpool(fn, *args, **kwargs)`` can't carry the call: ``func=`` would clash
    with its own parameter, and a ``**mapping`` may hold one."""
    return "func" in call.keywords or call.has_star_kwargs


def reachable(index: ProjectIndex, entries: set[str]) -> set[str]:
    """Entry points and every project function they call, directly or through others."""
    seen = set(entries)
    pending = list(entries)
    while pending:
        for call in index.functions[pending.pop()].calls:
            callee = call.callee
            if isinstance(callee, ProjectCallee) and callee.qualname not in seen:
                seen.add(callee.qualname)
                pending.append(callee.qualname)
    return seen
