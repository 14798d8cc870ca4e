"""How ``decide`` asks the registered swaps: in order, each with the state its ``prepare``
step made, leaving out what the linked groups turned off so far planned."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..facts import CallFact, FunctionFact, Span
from ..plan import Edit, Finding
from .base import HelperStatus, Planned, Project, Swap, Weight

if TYPE_CHECKING:
    from ..catalog import Entry


class SwapRun:
    """The swaps that are on for this run, each with its prepared state, asked in order; what a
    vetoed group planned is dropped (its calls go to the swaps after the one that planned them)."""

    def __init__(self, project: Project, swaps: Iterable[Swap]) -> None:
        self.active: list[tuple[Swap, Any]] = [
            (swap, state) for swap in swaps if (state := swap.prepare(project)) is not None
        ]
        self.vetoed: set[Hashable] = set()
        self.members: dict[Hashable, set[str]] = {}
        """The functions whose calls each group's plans were used for, this round."""

    def plan_call(self, fact: FunctionFact, call: CallFact) -> Planned | None:
        """The first plan of a swap that takes the call, and isn't of a vetoed group."""
        for swap, state in self.active:
            planned = swap.plan_call(state, fact, call)
            if planned is None or planned.group in self.vetoed:
                continue
            if planned.group is not None:
                self.members.setdefault(planned.group, set()).add(fact.qualname)
            return planned
        return None

    def plan_function(self, fact: FunctionFact) -> tuple[list[Edit], list[Finding], set[Span]]:
        """Every swap's edits and blockers of the function as a whole, and the blocks they take."""
        edits: list[Edit] = []
        blockers: list[Finding] = []
        blocks: set[Span] = set()
        for swap, state in self.active:
            planned = swap.plan_function(state, fact)
            if planned is None or planned.group in self.vetoed:
                continue
            if planned.group is not None:
                self.members.setdefault(planned.group, set()).add(fact.qualname)
            edits += planned.edits
            blockers += planned.blockers
            blocks |= planned.blocks
        return edits, blockers, blocks

    def helper_status(self, name: str, entry: Entry | None) -> HelperStatus:
        """The first swap's answer for a library call in a sync helper; unknown if none answers."""
        for swap, state in self.active:
            status = swap.helper_status(state, name, entry)
            if status is not None:
                return status
        return HelperStatus(Weight.UNKNOWN, f"{name}()")

    def plan_blocking_helper(self, fact: FunctionFact, call: CallFact, witness: str) -> Planned | None:
        """The first swap's plan for a call of a blocking sync helper."""
        for swap, state in self.active:
            planned = swap.plan_blocking_helper(state, fact, call, witness)
            if planned is not None:
                return planned
        return None

    def groups(self) -> list[tuple[Hashable, frozenset[str], tuple[Edit, ...]]]:
        """Every group not vetoed: its key, all its members, its edits outside functions."""
        return [
            (group.key, group.members | self.members.get(group.key, set()), group.edits)
            for swap, state in self.active
            for group in swap.groups(state)
            if group.key not in self.vetoed
        ]

    def explain_off(self, causes: Mapping[Hashable, Mapping[str, list[Finding]]]) -> dict[str, list[Finding]]:
        """What each member of a vetoed group says of it, from the group's swap (``group_off``)."""
        found: dict[str, list[Finding]] = {}
        for swap, state in self.active:
            for group in swap.groups(state):
                if group.key in causes:
                    for member, findings in swap.group_off(state, group.key, causes[group.key]).items():
                        found.setdefault(member, []).extend(findings)
        return found

    def finish(self, edits: list[Edit]) -> list[Edit]:
        """One file's edits, through every swap's ``finish``."""
        for swap, state in self.active:
            edits = swap.finish(state, edits)
        return edits
