"""The async-twin swap: it takes the calls the catalog (from the ``blocking`` setting) gives a twin."""

from __future__ import annotations

from collections.abc import Mapping

from ...catalog import Treatment
from ...facts import CallFact, ExternalCallee, FunctionFact
from ...plan import Edit
from ...rules import Rule
from ..base import Codemod, Planned, Project, Swap
from ..common import catalog_entry, not_awaitable
from .edits import AsyncTwin


class AsyncTwinSwap(Swap):
    name = "async-twin"
    rules = (Rule.ASYNC_TWIN,)

    def codemods(self) -> Mapping[type[Edit], Codemod]:
        from .codemods import async_twin

        return {AsyncTwin: async_twin}

    def plan_call(self, state: Project, fact: FunctionFact, call: CallFact) -> Planned | None:
        found = catalog_entry(state.catalog, call)
        if found is None or found[1] is None:
            return None
        name, entry = found
        if entry.treatment is not Treatment.ASYNC_TWIN or not entry.twin:
            return None
        if not call.awaitable:
            return Planned(blocker=not_awaitable(call, name))
        assert isinstance(call.callee, ExternalCallee)
        twin = AsyncTwin(
            Rule.ASYNC_TWIN, fact.path, call.span, call.callee.qualname, entry.twin, call.binding
        )
        return Planned((twin,))


SWAP = AsyncTwinSwap()
