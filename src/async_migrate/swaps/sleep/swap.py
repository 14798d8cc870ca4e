"""The sleep swap: it takes the calls the catalog marks ``SLEEP`` (``time.sleep`` however imported)."""

from __future__ import annotations

from collections.abc import Mapping

from ...catalog import Treatment
from ...facts import CallFact, FunctionFact
from ...plan import Edit
from ...rules import Rule
from ..base import Codemod, Planned, Project, Swap
from ..common import catalog_entry, not_awaitable
from .edits import AsyncSleep


class SleepSwap(Swap):
    name = "sleep"
    rules = (Rule.ASYNC_SLEEP,)

    def codemods(self) -> Mapping[type[Edit], Codemod]:
        from .codemods import async_sleep

        return {AsyncSleep: async_sleep}

    def plan_call(self, state: Project, fact: FunctionFact, call: CallFact) -> Planned | None:
        found = catalog_entry(state.catalog, call)
        if found is None or found[1] is None or found[1].treatment is not Treatment.SLEEP:
            return None
        if not call.awaitable:
            return Planned(blocker=not_awaitable(call, found[0]))
        # asyncio.sleep returns at once for a negative delay where time.sleep raises: anyio.sleep
        # raises as time.sleep does, for a value the index can't read
        library = "asyncio" if call.sole_numeric_arg is not None and call.sole_numeric_arg >= 0 else "anyio"
        return Planned((AsyncSleep(Rule.ASYNC_SLEEP, fact.path, call.span, library, call.binding),))


SWAP = SleepSwap()
