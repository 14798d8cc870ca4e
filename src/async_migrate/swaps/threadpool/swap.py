"""The threadpool swap: every library call the swaps before it didn't take, judged by its
catalog entry, and the ``with`` blocks around blocking resources, moved whole."""

from __future__ import annotations

from collections.abc import Mapping

from ...catalog import Entry, Treatment
from ...facts import CallFact, ExternalCallee, FunctionFact, Location, Span, WithFact
from ...plan import Edit, Finding
from ...rules import Rule
from ..base import Blocker, Codemod, FunctionPlan, HelperStatus, Planned, Project, Swap, Weight
from ..common import called, catalog_entry, needs_lambda, not_awaitable
from .edits import WrapBlock, WrapCall

_MOVABLE = frozenset(
    {Treatment.THREADPOOL, Treatment.CPU, Treatment.RESOURCE, Treatment.SLEEP, Treatment.ASYNC_TWIN}
)
"""What it moves to the threadpool when no swap before it took the call (a sleep or a twin only
if their swaps aren't registered, or for a twin, none is named)."""


class ThreadpoolSwap(Swap):
    name = "threadpool"
    rules = (Rule.THREADPOOL_CALL, Rule.THREADPOOL_BLOCK, Rule.RESOURCE_ESCAPES)

    def codemods(self) -> Mapping[type[Edit], Codemod]:
        from .block_codemod import wrap_block
        from .call_codemod import wrap_call

        return {WrapCall: wrap_call, WrapBlock: wrap_block}

    def helper_status(self, state: Project, name: str, entry: Entry | None) -> HelperStatus:
        """A helper runs whole in a worker thread: what it calls there blocks that thread only,
        except a context variable (set in a copy its caller never sees) and what no row or a
        treatment of another swap (a database session's helper converts with its group or
        stays sync, as without that swap) leaves unknown."""
        treatment = entry.treatment if entry is not None else None
        if treatment is Treatment.SAFE:
            return HelperStatus(Weight.PURE)
        if treatment is Treatment.CONTEXT:
            return HelperStatus(Weight.UNKNOWN, f"{name}() (sets a context variable)")
        if treatment in _MOVABLE or treatment in (Treatment.LOCK, Treatment.NEVER):
            return HelperStatus(Weight.BLOCKING, f"{name}()")
        return HelperStatus(Weight.UNKNOWN, f"{name}()")

    def plan_blocking_helper(
        self, state: Project, fact: FunctionFact, call: CallFact, witness: str
    ) -> Planned:
        """The helper runs whole in the threadpool, awaited."""
        if not call.awaitable:
            return Planned(
                blocker=Blocker(
                    Rule.NOT_AWAITABLE_HERE, f"{called(call)} blocks ({witness}) where await can't go"
                )
            )
        return Planned((WrapCall(Rule.THREADPOOL_CALL, fact.path, call.span, needs_lambda(call)),))

    def plan_function(self, state: Project, fact: FunctionFact) -> FunctionPlan:
        moved = _blocks_to_move(fact, state)
        blockers: list[Finding] = []
        edits: list[WrapBlock] = []
        for block in (moved[span] for span in _outermost(moved, fact)):
            if block.obstacle:
                message = f"with block cannot move to the threadpool: {block.obstacle}"
                blockers.append(Finding(Rule.RESOURCE_ESCAPES, message, Location(fact.path, block.span.line)))
                continue
            edits.append(
                WrapBlock(
                    Rule.THREADPOOL_BLOCK,
                    fact.path,
                    block.span,
                    helper=_helper_name(fact, len(edits)),
                    returns=block.returns,
                    nonlocals=block.nonlocals,
                    globals=block.globals,
                    has_return=block.has_return,
                )
            )
        return FunctionPlan(tuple(edits), tuple(blockers), frozenset(moved))

    def plan_call(self, state: Project, fact: FunctionFact, call: CallFact) -> Planned | None:
        found = catalog_entry(state.catalog, call)
        if found is None:
            return None
        name, entry = found
        if entry is None:
            return Planned(
                blocker=Blocker(Rule.UNKNOWN_CALL, f"{name}() is not in the catalog and may block")
            )
        treatment = entry.treatment
        if treatment is Treatment.SAFE:
            return Planned()
        if treatment is Treatment.NEVER:
            return Planned(blocker=Blocker(Rule.MUST_NOT_MOVE, f"{name}() must stay where it runs today"))
        if treatment is Treatment.CONTEXT:
            message = f"{name}() sets a context variable in this function's context"
            return Planned(blocker=Blocker(Rule.CONTEXT_VARIABLE, message))
        if treatment is Treatment.LOCK:
            owner = name.rpartition(".")[0]
            message = f"{call.text}() takes a {owner}, which must not be waited for on the loop"
            return Planned(blocker=Blocker(Rule.THREAD_LOCK, message))
        if treatment not in _MOVABLE:
            # a treatment of another swap that didn't take the call (its group is off)
            message = f"{name}() is left as it is by the rewrite its catalog entry is for, and may block"
            return Planned(blocker=Blocker(Rule.UNKNOWN_CALL, message))
        if not call.awaitable:
            return Planned(blocker=not_awaitable(call, name))
        if treatment is not Treatment.RESOURCE:
            return Planned((WrapCall(Rule.THREADPOOL_CALL, fact.path, call.span, needs_lambda(call)),))
        if call.use == "method_call" and call.outer_call is not None:
            # ``open(p).read()``: the object and the method call on it move together
            wrap = WrapCall(Rule.THREADPOOL_CALL, fact.path, call.outer_call, True)
            return Planned((wrap,), covers=call.outer_call)
        return Planned(
            blocker=Blocker(Rule.RESOURCE_ESCAPES, f"the result of {name}() is used outside a with block")
        )


def _blocks_to_move(fact: FunctionFact, state: Project) -> dict[Span, WithFact]:
    """``with`` statements whose context manager is a blocking resource."""
    by_span = {with_fact.span: with_fact for with_fact in fact.withs}
    found: dict[Span, WithFact] = {}
    for call in fact.calls:
        if call.use != "with_item" or not call.with_blocks or not isinstance(call.callee, ExternalCallee):
            continue
        if call.skip:
            continue
        entry = state.catalog.lookup(call.callee.qualname)
        if entry is not None and entry.treatment is Treatment.RESOURCE:
            found[call.with_blocks[-1]] = by_span[call.with_blocks[-1]]
    return found


def _outermost(blocks: dict[Span, WithFact], fact: FunctionFact) -> list[Span]:
    """The blocks not nested in another block that moves (that one carries them along)."""
    nested: set[Span] = set()
    for call in fact.calls:
        moving = [span for span in call.with_blocks if span in blocks]
        nested.update(moving[1:])
    return [span for span in blocks if span not in nested]


def _helper_name(fact: FunctionFact, taken: int) -> str:
    base = "_blocking_io"
    candidate = base if taken == 0 else f"{base}_{taken + 1}"
    while candidate in fact.names or candidate in fact.module_names:
        taken += 1
        candidate = f"{base}_{taken + 1}"
    return candidate


SWAP = ThreadpoolSwap()
