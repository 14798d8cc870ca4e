"""From facts to a plan: which functions become async, and what happens to each call.

A pure function of the index and the catalog, so every rule is unit-testable without files.
A sync entry point converts only when every blocking call it makes can be taken off the loop
and every caller will await it; dropping one candidate can drop others (its callers now call a
sync function), so the candidate set shrinks to a fixpoint. Everything the tool is unsure
about keeps the function sync, with the reason.

What happens to a library call is not decided here: the registered swaps (``swaps.registry``)
are asked in order whether they take it. A swap's linked group is all or nothing: when one of
its members stays sync the group is off, and the plan is made again without it.
"""

from __future__ import annotations

import fnmatch
import heapq
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .catalog import Catalog
from .facts import (
    CallFact,
    FunctionFact,
    ImportBinding,
    LocalCallee,
    Location,
    ProjectCallee,
    Span,
    UnknownCallee,
)
from .index import ProjectIndex
from .plan import AwaitCall, Edit, Finding, FunctionDecision, MakeAsync, Plan, Verdict
from .rules import Rule
from .swaps.base import HelperStatus, Project, Swap, Weight
from .swaps.common import reachable
from .swaps.registry import SWAPS, default_options
from .swaps.run import SwapRun


@dataclass
class _Outcome:
    """What converting (or fixing) one function would take."""

    edits: list[Edit]
    blockers: list[Finding]
    notes: list[Finding]


@dataclass
class _Round:
    """One plan of the functions, with the groups vetoed so far."""

    converting: set[str]
    blocked: dict[str, list[Finding]]
    outcomes: dict[str, _Outcome] = field(default_factory=dict)
    """Each function's last: taken with its final callers and callees."""


def decide(
    index: ProjectIndex,
    catalog: Catalog,
    frozen: frozenset[Path] = frozenset(),
    keep_sync: tuple[str, ...] = (),
    options: Mapping[str, str] | None = None,
    convert_threadpool_only: bool = False,
    swaps: Iterable[Swap] = SWAPS,
) -> Plan:
    """The plan for ``index``; functions in ``frozen`` files are taken as they are written, and
    so are the functions ``keep_sync`` names (or matches, with ``*`` globs). ``options`` are the
    swaps' settings by key (``{"http-client": "aiohttp"}``), their defaults for those not given."""
    project = Project(index, catalog, frozen, {**default_options(), **(options or {})})
    active = SwapRun(project, swaps)
    helpers = _helper_statuses(index, catalog, active)
    entries = {q for q in index.entry_points if q in index.functions}
    # Starlette calls a sync startup/shutdown handler on the loop: taking its blocking calls off it,
    # even each to the threadpool, is a gain
    on_loop = {q for q in entries if any(entry.kind == "event" for entry in index.entry_points[q])}
    candidates = {q for q in reachable(index, entries) if index.functions[q].path not in frozen}
    configured = {q for q in candidates if any(fnmatch.fnmatchcase(q, pattern) for pattern in keep_sync)}
    skipped = {q for q in candidates if index.functions[q].skip} | configured
    sync_candidates = {q for q in candidates - skipped if not index.functions[q].is_async}
    skip_findings: dict[str, list[Finding]] = {
        q: [
            Finding(
                Rule.SKIPPED,
                "kept as it is by the keep-sync setting"
                if q in configured
                else "skipped by a '# async-migrate: skip' comment",
                index.functions[q].location,
            )
        ]
        for q in skipped
    }

    def plan_round() -> tuple[_Round, frozenset[str]]:
        active.members = {}
        converting = set(sync_candidates)
        this = _Round(converting, dict(skip_findings))
        # existing async code the tool can't fix stays as written, so it can't start awaiting anything
        unfixable = frozenset(
            q
            for q in candidates
            if index.functions[q].is_async
            and (q in skipped or _plan_body(index.functions[q], index, helpers, set(), active).blockers)
        )

        def drops_out(qualname: str) -> bool:
            fact = index.functions[qualname]
            outcome = this.outcomes[qualname] = _plan_body(fact, index, helpers, converting, active)
            pure = not outcome.edits and not outcome.blockers or helpers[qualname].weight is Weight.PURE
            if qualname not in entries and pure:
                # a pure helper is called directly, as it is; one that only calls itself (recursion)
                # or another pure one in a cycle would otherwise await itself as a coroutine
                converting.discard(qualname)
                return True
            blockers = _shape_blockers(fact, index, converting, frozen | unfixable, active) + outcome.blockers
            if qualname not in on_loop and (qualname not in entries or not convert_threadpool_only):
                blockers += _no_gain(fact, outcome, qualname in entries)
            if blockers:
                converting.discard(qualname)
                this.blocked[qualname] = blockers
            return bool(blockers)

        # a plan reads ``converting`` at the function's callees (awaited or not) and its callers
        # (will they await it?): when one drops out, those two are planned again
        _until_stable(sorted(converting), converting.__contains__, drops_out, lambda q: _neighbours(index, q))
        return this, unfixable

    def stays_sync(qualname: str, this: _Round, unfixable: frozenset[str]) -> bool:
        """Whether a function ends up sync, or async with the edits in it left unmade."""
        fact = index.functions.get(qualname)
        if qualname in this.converting:
            return False
        if fact is None or not fact.is_async or qualname not in candidates or qualname in unfixable:
            return True
        return bool(_plan_body(fact, index, helpers, this.converting, active).blockers)

    causes: dict[Hashable, dict[str, list[Finding]]] = {}
    """For each group turned off, the findings of its members that stayed sync then."""
    while True:
        this, unfixable = plan_round()
        # a group is all or nothing: one member kept sync (or none at all), or an edit of it in a
        # file taken as it is, turns it off
        for key, members, outside in active.groups():
            kept = [member for member in sorted(members) if stays_sync(member, this, unfixable)]
            if kept or not members or any(edit.path in frozen for edit in outside):
                causes[key] = {member: this.blocked.get(member, []) for member in kept}
        off = set(causes) - active.vetoed
        if not off:
            break
        active.vetoed |= off
    converting, blocked, outcomes = this.converting, this.blocked, this.outcomes
    for member, findings in active.explain_off(causes).items():
        if member in blocked:
            blocked[member] = findings + blocked[member]

    decisions: list[FunctionDecision] = []
    edits: dict[Path, dict[Edit, None]] = {}
    for qualname in sorted(candidates, key=lambda q: (str(index.functions[q].path), index.functions[q].span)):
        fact = index.functions[qualname]
        kinds = {entry.kind for entry in index.entry_points.get(qualname, [])}
        role = ", ".join(sorted(kinds)) or "helper"
        name = qualname.removeprefix(f"{fact.module}.")
        decision = FunctionDecision(
            qualname, name, fact.location, role, Verdict.UNCHANGED, end_line=fact.end_line
        )
        if qualname in converting:
            outcome = outcomes[qualname]
            decision.verdict = Verdict.CONVERTED
            _add(edits, [_make_async(fact), *outcome.edits])
            decision.findings = _findings_for(outcome.edits, fact)
        elif qualname in blocked:
            decision.verdict = Verdict.UNCHANGED if fact.is_async else Verdict.KEPT_SYNC
            decision.findings = blocked[qualname]
        elif not fact.is_async:
            pass  # a pure helper
        else:  # an existing async def
            outcome = _plan_body(fact, index, helpers, converting, active)
            if outcome.blockers:
                decision.findings = outcome.blockers + outcome.notes
            elif outcome.edits:
                decision.verdict = Verdict.FIXED
                decision.findings = _findings_for(outcome.edits, fact) + outcome.notes
                _add(edits, outcome.edits)
            else:
                decision.findings = outcome.notes
        decisions.append(decision)
    decisions += _class_dependencies(index, helpers)
    _add(edits, _awaits_outside_candidates(index, converting, candidates | _functions_in(index, frozen)))
    for _, _, outside in active.groups():
        _add(edits, outside)
    planned = {
        path: active.finish(_keep_used_imports(index, path, list(found))) for path, found in edits.items()
    }
    requires = frozenset(name for found in planned.values() for edit in found for name in edit.requires)
    first_party = frozenset(name.partition(".")[0] for name in index.module_facts)
    return Plan(decisions, planned, first_party, requires, index.unresolved)


def _class_dependencies(index: ProjectIndex, helpers: dict[str, HelperStatus]) -> list[FunctionDecision]:
    """Classes used as dependencies: FastAPI instantiates them in the threadpool, always."""
    decisions = []
    for qualname, location in sorted(index.classes.items()):
        init = index.functions.get(f"{qualname}.__init__")
        status = helpers.get(init.qualname) if init else None
        blocking = status is not None and status.weight is not Weight.PURE
        message = "FastAPI runs a class dependency in the threadpool; __init__ cannot be async"
        if blocking:
            message += f" (it reaches {status.witness})"
        finding = Finding(Rule.CLASS_DEPENDENCY, message, location)
        verdict = Verdict.KEPT_SYNC if blocking else Verdict.UNCHANGED
        name = qualname.rpartition(".")[2]
        decisions.append(FunctionDecision(qualname, name, location, "dependency", verdict, [finding]))
    return decisions


def _no_gain(fact: FunctionFact, outcome: _Outcome, entry: bool) -> list[Finding]:
    """A function converts only for a gain: no blocking call at all (an endpoint then skips the
    threadpool hop), a sleep made async, an HTTP call translated, or a converted function
    awaited. One whose every blocking call would need the threadpool anyway stays ``def``: run
    whole in the threadpool (by FastAPI, or by its async callers) it costs one hop, not one per
    call (measured: the example's file-reading endpoint served 14 % fewer requests converted)."""
    here = fact.location
    if fact.is_generator and not entry:
        return [Finding(Rule.GENERATOR, "a helper generator is iterated by sync code", here)]
    if not outcome.edits or any(edit.gain for edit in outcome.edits):
        return []
    runs = "FastAPI runs it" if entry else "its async callers run it"
    message = (
        f"every blocking call in it would need the threadpool anyway: it stays def and {runs} in "
        "the threadpool as a whole"
    )
    # what kept its calls from an exact rewrite (the gain it would have had) is said too
    missed = [_finding_for(edit, fact) for edit in outcome.edits if edit.reported and edit.missed_gain]
    return [Finding(Rule.NO_GAIN, message, here), *missed]


ASYNC_GENERATOR_TYPES = {
    f"{module}.{name}": f"Async{name}"
    for module in ("typing", "collections.abc", "typing_extensions")
    for name in ("Iterator", "Iterable", "Generator")
}
"""Return annotations of a sync generator and the names they take for an async generator."""


def _make_async(fact: FunctionFact) -> MakeAsync:
    """``def`` -> ``async def``; a generator's ``Iterator[X]`` annotation -> ``AsyncIterator[X]``."""
    edit = MakeAsync(Rule.MAKE_ASYNC, fact.path, fact.span)
    if not fact.is_generator or fact.returns not in ASYNC_GENERATOR_TYPES:
        return edit
    binding = fact.returns_binding
    return replace(
        edit,
        async_annotation=ASYNC_GENERATOR_TYPES[fact.returns],
        annotation_import=binding,
        unused_import=binding,
    )


def _keep_used_imports(index: ProjectIndex, path: Path, edits: list[Edit]) -> list[Edit]:
    """An import is dropped only when every use of its name was rewritten by this plan."""
    dropping = Counter(binding for edit in edits if (binding := _unused_import(edit)))
    if not dropping:
        return edits
    module = index.module_facts_at(path)
    assert module is not None, path
    still_used = {
        binding
        for binding, rewritten in dropping.items()
        if module.uses.more_than(binding.local_name, rewritten)
    }
    return [
        replace(edit, unused_import=None) if _unused_import(edit) in still_used else edit for edit in edits
    ]


def _unused_import(edit: Edit) -> ImportBinding | None:
    """The import ``edit`` would leave unused, for the kinds of edit that drop one."""
    return getattr(edit, "unused_import", None) if edit.drops_import else None


def _functions_in(index: ProjectIndex, paths: frozenset[Path]) -> set[str]:
    return {qualname for qualname, fact in index.functions.items() if fact.path in paths}


def _add(edits: dict[Path, dict[Edit, None]], new: Iterable[Edit]) -> None:
    """Each edit once per file, in the order first added: a dict as an ordered set (looking
    each one up in a list made 5,000 routes in one module take minutes)."""
    for edit in new:
        edits.setdefault(edit.path, {})[edit] = None


def _findings_for(edits: list[Edit], fact: FunctionFact) -> list[Finding]:
    """One finding per rewrite; the response reads and except clauses that come with a
    translated HTTP call are part of it."""
    return [_finding_for(edit, fact) for edit in edits if edit.reported]


def _finding_for(edit: Edit, fact: FunctionFact) -> Finding:
    return Finding(edit.rule, edit.message, Location(fact.path, edit.span.line))


def _awaits_outside_candidates(index: ProjectIndex, converting: set[str], candidates: set[str]) -> list[Edit]:
    """``await`` for calls to converted functions from existing async code that isn't an entry point."""
    found: list[Edit] = []
    for qualname in converting:
        for caller in index.callers.get(qualname, []):
            if caller.caller is None or caller.caller in candidates:
                continue
            fact = index.functions[caller.caller]
            call = next(c for c in fact.calls if c.span == caller.span)
            if fact.is_async and not call.awaited:
                found.append(AwaitCall(Rule.AWAIT_CALL, fact.path, call.span))
    return found


def _neighbours(index: ProjectIndex, qualname: str) -> set[str]:
    """The functions that call ``qualname`` or that it calls."""
    callees = {
        call.callee.qualname
        for call in index.functions[qualname].calls
        if isinstance(call.callee, ProjectCallee)
    }
    return callees | _callers(index, qualname)


def _callers(index: ProjectIndex, qualname: str) -> set[str]:
    return {caller.caller for caller in index.callers.get(qualname, []) if caller.caller}


def _until_stable(
    order: list[str],
    alive: Callable[[str], bool],
    update: Callable[[str], bool],
    dependents: Callable[[str], Iterable[str]],
) -> None:
    """Update the functions of ``order`` (those still ``alive``), in that order, in rounds, until a
    round changes nothing.

    A function is updated again only once one it depends on has changed (``update`` returned True
    for it; ``dependents`` are the functions that read it): otherwise it would compute what it did
    last time. The result is that of updating every function every round, in the same order, but
    the work grows with the changes, not with rounds × functions (a chain of helpers changing one
    step at a time made that quadratic). A change seen before a dependent's turn in this round is
    taken up in this round, as it would have been; after it, in the next.
    """
    rank = {qualname: position for position, qualname in enumerate(order)}
    this_round = list(range(len(order)))  # positions, as a heap: sorted is one
    queued = set(this_round)
    while this_round:
        next_round: set[int] = set()
        while this_round:
            position = heapq.heappop(this_round)
            qualname = order[position]
            if not alive(qualname) or not update(qualname):
                continue
            for dependent in dependents(qualname):
                later = rank.get(dependent)
                if later is None:
                    continue
                if later <= position:
                    next_round.add(later)
                elif later not in queued:
                    queued.add(later)
                    heapq.heappush(this_round, later)
        this_round = sorted(next_round)
        queued = next_round


def _shape_blockers(
    fact: FunctionFact,
    index: ProjectIndex,
    converting: set[str],
    as_written: frozenset[Path | str],
    swaps: SwapRun,
) -> list[Finding]:
    """Reasons outside the body: decorators, callers, value uses, generator shape.

    ``as_written``: files (frozen) and functions (unfixable async code) the plan won't touch;
    their calls can't gain an ``await``, so they count as sync callers.
    """
    found: list[Finding] = []
    here = fact.location
    if fact.is_dunder:
        found.append(Finding(Rule.SPECIAL_METHOD, f"{fact.name} is called by Python, never awaited", here))
    for decorator in fact.decorators:
        if decorator.kind == "other":
            found.append(Finding(Rule.UNKNOWN_DECORATOR, f"decorated with @{decorator.text}", here))
    if fact.generator_obstacle:
        found.append(Finding(Rule.GENERATOR, fact.generator_obstacle, here))
    for caller in index.callers.get(fact.qualname, []):
        caller_fact = index.functions.get(caller.caller) if caller.caller else None
        if fact.is_generator:
            # whoever calls it iterates it; an async generator would need ``async for``
            message = f"a generator called directly from {caller.location}"
            found.append(Finding(Rule.GENERATOR, message, caller.location))
            continue
        if caller_fact is None:
            why = "module-level code"
        elif caller_fact.path in as_written or not (caller_fact.is_async or caller.caller in converting):
            why = f"{caller.caller}, sync"
        elif caller.caller in as_written:
            why = f"{caller.caller}, async but left as written"
        elif not caller.awaitable:
            why = f"{caller.caller}, where await can't go"
        elif set(caller.with_blocks) & swaps.plan_function(caller_fact)[2]:
            why = f"{caller.caller}, in a block run in the threadpool"
        else:
            continue
        found.append(Finding(Rule.SYNC_CALLER, f"called from {caller.location} ({why})", caller.location))
    for caller in index.maybe_callers.get(fact.name, []) if fact.class_name else ():
        # nothing would await it there: ``x.name()`` on a value the index can't type may be this
        message = f"may be called from {caller.location} (.{fact.name}() of a value of unknown type)"
        found.append(Finding(Rule.SYNC_CALLER, message, caller.location))
    for location in index.value_uses.get(fact.qualname, []):
        found.append(Finding(Rule.USED_AS_VALUE, f"used as a value at {location}", location))
    for other in index.overrides.get(fact.qualname, ()):
        found.append(Finding(Rule.OVERRIDDEN, f"{other} has the same method in a related class", here))
    return found


def _plan_body(
    fact: FunctionFact,
    index: ProjectIndex,
    helpers: dict[str, HelperStatus],
    converting: set[str],
    swaps: SwapRun,
) -> _Outcome:
    """The edits that take every blocking call of ``fact`` off the loop, or why that can't be."""
    outcome = _Outcome([], [], [])
    tolerant = fact.is_async  # existing async code: unknown calls are the author's choice

    def block(rule: Rule, call: CallFact, message: str) -> None:
        finding = Finding(rule, message, Location(fact.path, call.span.line))
        if tolerant and rule is Rule.UNKNOWN_CALL:
            outcome.notes.append(Finding(Rule.UNCHECKED_IN_ASYNC, message, finding.location))
        elif tolerant and rule in (Rule.ORM_LAZY_LOAD, Rule.THREAD_LOCK):
            # the author's choice in existing async code, reported; for a lock, only an await the
            # tool would add inside it (``_awaits_while_held``) keeps the function as written
            outcome.notes.append(finding)
        else:
            outcome.blockers.append(finding)

    if not tolerant:
        for name in fact.thread_locals:
            message = f"uses the thread-local {name.rpartition('.')[2]}"
            outcome.blockers.append(Finding(Rule.THREAD_LOCAL, message, fact.location))
    for load in fact.lazy_loads:
        message = f"{load.what}: a relationship, which may run a query"
        finding = Finding(Rule.ORM_LAZY_LOAD, message, Location(fact.path, load.line))
        (outcome.notes if tolerant else outcome.blockers).append(finding)
    whole_edits, whole_blockers, moved_blocks = swaps.plan_function(fact)
    outcome.blockers += whole_blockers
    outcome.edits += whole_edits
    lambda_spans: list[Span] = []
    held: list[CallFact] = []  # ``with x:`` of an object not known to be safe to hold on the loop
    for call in fact.calls:
        if any(span in moved_blocks for span in call.with_blocks) or _inside_any(call.span, lambda_spans):
            continue
        if call.awaited or call.offloaded:
            continue
        callee = call.callee
        if isinstance(callee, LocalCallee):
            continue  # its body's calls are judged where they are
        before = (len(outcome.edits), len(outcome.blockers), len(outcome.notes))
        if isinstance(callee, ProjectCallee):
            _plan_project_call(fact, call, callee.qualname, index, helpers, converting, swaps, outcome, block)
        elif (planned := swaps.plan_call(fact, call)) is not None:
            outcome.edits += planned.edits
            if planned.blocker is not None:
                block(planned.blocker.rule, call, planned.blocker.message)
            if planned.covers is not None:
                lambda_spans.append(planned.covers)
        else:  # a call of an unknown callee (or, with no swap for the rest, of a library)
            why = callee.why if isinstance(callee, UnknownCallee) else "no swap takes it"
            block(Rule.UNKNOWN_CALL, call, f"{call.text}(): {why}")
        if call.skip and (len(outcome.edits), len(outcome.blockers), len(outcome.notes)) != before:
            # the user asked to leave this call alone: no edit, and a sync function stays sync
            del outcome.edits[before[0] :], outcome.blockers[before[1] :], outcome.notes[before[2] :]
            finding = Finding(
                Rule.SKIPPED, f"{call.text}() skipped by a comment", Location(fact.path, call.span.line)
            )
            (outcome.notes if tolerant else outcome.blockers).append(finding)
        elif (
            call.use == "enter" and (len(outcome.edits), len(outcome.blockers), len(outcome.notes)) != before
        ):
            held.append(call)
    outcome.blockers += _awaits_while_held(fact, outcome.edits, held)
    return outcome


def _awaits_while_held(fact: FunctionFact, edits: list[Edit], held: list[CallFact]) -> list[Finding]:
    """An ``await`` inside ``with lock:`` lets another request run while the lock is held: if it
    waits for the lock on the loop, the holder never resumes to release it."""
    found = []
    for edit in edits:
        if not edit.awaits:
            continue
        holder = next((call for call in held if call.held and _inside_any(edit.span, [call.held])), None)
        if holder is not None:
            message = (
                f"would await inside 'with {holder.text.removesuffix('.__enter__')}' "
                f"(line {holder.span.line}), which may hold a thread lock: a second request waiting "
                "for it would block the event loop, and this one could never release it"
            )
            found.append(Finding(Rule.THREAD_LOCK, message, Location(fact.path, edit.span.line)))
    return found


def _inside_any(span: Span, containers: list[Span]) -> bool:
    return any(
        (outer.line, outer.column) <= (span.line, span.column)
        and (span.end_line, span.end_column) <= (outer.end_line, outer.end_column)
        for outer in containers
    )


def _plan_project_call(fact, call, qualname, index, helpers, converting, swaps, outcome, block) -> None:  # noqa: ANN001
    callee_fact = index.functions[qualname]
    if qualname in converting and call.use != "reference":
        outcome.edits.append(AwaitCall(Rule.AWAIT_CALL, fact.path, call.span))
        return
    if callee_fact.is_async:
        return
    status = helpers.get(qualname, HelperStatus(Weight.PURE))
    if status.weight is Weight.PURE:
        return
    if status.weight is Weight.UNKNOWN:
        message = f"{call.text}() reaches {status.witness}: not safe to move off this thread"
        block(status.rule, call, message)
        return
    if callee_fact.is_generator and call.use == "streamed":
        return  # StreamingResponse runs each step of a sync generator in the threadpool
    if callee_fact.is_generator:
        block(Rule.GENERATOR, call, f"{call.text}() is a blocking generator ({status.witness})")
        return
    planned = swaps.plan_blocking_helper(fact, call, status.witness)
    if planned is None:
        block(Rule.UNKNOWN_CALL, call, f"{call.text}(): blocks ({status.witness}) and no swap takes it")
        return
    outcome.edits += planned.edits
    if planned.blocker is not None:
        block(planned.blocker.rule, call, planned.blocker.message)


def _helper_statuses(index: ProjectIndex, catalog: Catalog, swaps: SwapRun) -> dict[str, HelperStatus]:
    """The worst thing each sync function reaches, as a fixpoint over the call graph."""
    statuses = {q: _own_status(fact) for q, fact in index.functions.items() if not fact.is_async}

    def worsens(qualname: str) -> bool:
        current = worst = statuses[qualname]
        for call in index.functions[qualname].calls:
            status = _call_status(call, catalog, swaps, statuses)
            if status.weight > worst.weight:
                worst = status
        statuses[qualname] = worst
        return worst is not current

    _until_stable(list(statuses), lambda _: True, worsens, lambda qualname: _callers(index, qualname))
    return statuses


def _own_status(fact: FunctionFact) -> HelperStatus:
    """What a sync function's own body does before its calls are counted."""
    if fact.thread_locals:
        # thread-local state pins a helper to its caller's thread: it can't be moved on its own
        return HelperStatus(Weight.UNKNOWN, f"thread-local {fact.thread_locals[0]}")
    if fact.lazy_loads:
        # a relationship read may query, and what it returns may query again when read later: its
        # callers stay sync too
        load = fact.lazy_loads[0]
        return HelperStatus(
            Weight.UNKNOWN, f"{load.what} (a relationship, which may run a query)", Rule.ORM_LAZY_LOAD
        )
    return HelperStatus(Weight.PURE)


def _call_status(
    call: CallFact, catalog: Catalog, swaps: SwapRun, statuses: dict[str, HelperStatus]
) -> HelperStatus:
    callee = call.callee
    if isinstance(callee, LocalCallee):
        return HelperStatus(Weight.PURE)
    if isinstance(callee, UnknownCallee):
        return HelperStatus(Weight.UNKNOWN, f"{call.text}() ({callee.why})")
    if isinstance(callee, ProjectCallee):
        inner = statuses.get(callee.qualname)
        if inner is None or inner.weight is Weight.PURE:
            return HelperStatus(Weight.PURE)
        return replace(inner, witness=f"{call.text}() -> {inner.witness}")
    return swaps.helper_status(callee.qualname.removeprefix("builtins."), catalog.lookup(callee.qualname))
