"""From facts to a plan: which functions become async, and what happens to each call.

A pure function of the index and the catalog, so every rule is unit-testable without files.
A sync entry point converts only when every blocking call it makes can be taken off the loop
and every caller will await it; dropping one candidate can drop others (its callers now call a
sync function), so the candidate set shrinks to a fixpoint. Everything the tool is unsure
about keeps the function sync, with the reason.
"""

from __future__ import annotations

import enum
import fnmatch
import heapq
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .catalog import Catalog, Treatment
from .facts import (
    CallFact,
    ExternalCallee,
    FunctionFact,
    ImportBinding,
    LocalCallee,
    Location,
    ProjectCallee,
    Span,
    UnknownCallee,
    WithFact,
)
from .http_plan import Translation, merge_catches, plan_http
from .index import ProjectIndex
from .plan import (
    AsyncSleep,
    AsyncTwin,
    AwaitCall,
    Edit,
    Finding,
    FunctionDecision,
    HttpRequest,
    MakeAsync,
    Plan,
    Verdict,
    WrapBlock,
    WrapCall,
)
from .rules import Rule
from .swaps.sqlalchemy import plan as database


class Weight(enum.IntEnum):
    """What a sync helper does, at worst, through everything it calls."""

    PURE = 0
    BLOCKING = 1
    UNKNOWN = 2


@dataclass(frozen=True)
class HelperStatus:
    weight: Weight
    witness: str = ""
    """The call that made it so, followed through helpers (``a() -> b() -> requests.get``)."""
    rule: Rule = Rule.UNKNOWN_CALL
    """Why an ``UNKNOWN`` helper can't move off its caller's thread, for the caller's report."""


@dataclass
class _Outcome:
    """What converting (or fixing) one function would take."""

    edits: list[Edit]
    blockers: list[Finding]
    notes: list[Finding]


def decide(
    index: ProjectIndex,
    catalog: Catalog,
    frozen: frozenset[Path] = frozenset(),
    keep_sync: tuple[str, ...] = (),
    http_client: str | None = "httpx",
    convert_threadpool_only: bool = False,
) -> Plan:
    """The plan for ``index``; functions in ``frozen`` files are taken as they are written, and
    so are the functions ``keep_sync`` names (or matches, with ``*`` globs). Blocking HTTP calls
    are translated to ``http_client``'s async client where that is exact (``None``: never).
    With the database rows in the catalog (``--db-session async``), the session group converts
    as a whole or the plan is made again without them."""
    options = (frozen, keep_sync, http_client, convert_threadpool_only)
    plan = _decide(index, catalog, *options)
    if not catalog.has(Treatment.DB):
        return plan
    return database.settle(plan, index, lambda: _decide(index, catalog.without(Treatment.DB), *options))


def _decide(
    index: ProjectIndex,
    catalog: Catalog,
    frozen: frozenset[Path],
    keep_sync: tuple[str, ...],
    http_client: str | None,
    convert_threadpool_only: bool,
) -> Plan:
    helpers = _helper_statuses(index, catalog)
    http = plan_http(index, frozen, http_client) if http_client else {}
    entries = {q for q in index.entry_points if q in index.functions}
    # Starlette calls a sync startup/shutdown handler on the loop: taking its blocking calls off it,
    # even each to the threadpool, is a gain
    on_loop = {q for q in entries if any(entry.kind == "event" for entry in index.entry_points[q])}
    candidates = {q for q in _reachable(index, entries) if index.functions[q].path not in frozen}
    configured = {q for q in candidates if any(fnmatch.fnmatchcase(q, pattern) for pattern in keep_sync)}
    skipped = {q for q in candidates if index.functions[q].skip} | configured
    converting = {q for q in candidates - skipped if not index.functions[q].is_async}
    blocked: dict[str, list[Finding]] = {
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
    # existing async code the tool can't fix stays as written, so it can't start awaiting anything
    unfixable = frozenset(
        q
        for q in candidates
        if index.functions[q].is_async
        and (q in skipped or _plan_body(index.functions[q], index, catalog, helpers, set(), http).blockers)
    )
    outcomes: dict[str, _Outcome] = {}  # each one's last: taken with its final callers and callees

    def drops_out(qualname: str) -> bool:
        fact = index.functions[qualname]
        outcome = outcomes[qualname] = _plan_body(fact, index, catalog, helpers, converting, http)
        pure = not outcome.edits and not outcome.blockers or helpers[qualname].weight is Weight.PURE
        if qualname not in entries and pure:
            # a pure helper is called directly, as it is; one that only calls itself (recursion)
            # or another pure one in a cycle would otherwise await itself as a coroutine
            converting.discard(qualname)
            return True
        blockers = _shape_blockers(fact, index, catalog, converting, frozen | unfixable) + outcome.blockers
        if qualname not in on_loop and (qualname not in entries or not convert_threadpool_only):
            blockers += _no_gain(fact, outcome, qualname in entries)
        if blockers:
            converting.discard(qualname)
            blocked[qualname] = blockers
        return bool(blockers)

    # a plan reads ``converting`` at the function's callees (awaited or not) and its callers
    # (will they await it?): when one drops out, those two are planned again
    _until_stable(sorted(converting), converting.__contains__, drops_out, lambda q: _neighbours(index, q))

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
            outcome = _plan_body(fact, index, catalog, helpers, converting, http)
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
    planned = {
        path: merge_catches(_keep_used_imports(index, path, list(found))) for path, found in edits.items()
    }
    requires = frozenset(
        edit.target for found in planned.values() for edit in found if isinstance(edit, HttpRequest)
    )
    first_party = frozenset(name.partition(".")[0] for name in index.modules)
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


def _reachable(index: ProjectIndex, entries: set[str]) -> set[str]:
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
    # what kept its HTTP calls from being translated (the gain it would have had) is said too
    untranslated = [
        finding for finding in _findings_for(outcome.edits, fact) if finding.rule is Rule.HTTP_THREADPOOL
    ]
    return [Finding(Rule.NO_GAIN, message, here), *untranslated]


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
    still_used = {
        binding
        for binding, rewritten in dropping.items()
        if index.used_beyond(path, binding.local_name, rewritten)
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
    catalog: Catalog,
    converting: set[str],
    as_written: frozenset[Path | str],
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
        elif set(caller.with_blocks) & set(_blocks_to_move(caller_fact, catalog)):
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
    catalog: Catalog,
    helpers: dict[str, HelperStatus],
    converting: set[str],
    http: dict[tuple[Path, Span], Translation],
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
    moved_blocks = _blocks_to_move(fact, catalog)
    outermost = _outermost(moved_blocks, fact)
    for block_fact in (moved_blocks[span] for span in outermost):
        if block_fact.obstacle:
            outcome.blockers.append(
                Finding(
                    Rule.RESOURCE_ESCAPES,
                    f"with block cannot move to the threadpool: {block_fact.obstacle}",
                    Location(fact.path, block_fact.span.line),
                )
            )
    for span in outermost:
        block_fact = moved_blocks[span]
        if not block_fact.obstacle:
            outcome.edits.append(
                WrapBlock(
                    Rule.THREADPOOL_BLOCK,
                    fact.path,
                    span,
                    helper=_helper_name(fact, len([e for e in outcome.edits if isinstance(e, WrapBlock)])),
                    returns=block_fact.returns,
                    nonlocals=block_fact.nonlocals,
                    globals=block_fact.globals,
                    has_return=block_fact.has_return,
                )
            )
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
        if isinstance(callee, UnknownCallee):
            block(Rule.UNKNOWN_CALL, call, f"{call.text}(): {callee.why}")
        elif isinstance(callee, ProjectCallee):
            _plan_project_call(fact, call, callee.qualname, index, helpers, converting, outcome, block)
        elif call.awaitable and (fact.path, call.span) in http:
            _plan_http_call(fact, call, http[(fact.path, call.span)], outcome)
        else:
            _plan_external_call(fact, call, callee, catalog, outcome, block, lambda_spans)
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


def _blocks_to_move(fact: FunctionFact, catalog: Catalog) -> dict[Span, WithFact]:
    """``with`` statements whose context manager is a blocking resource."""
    by_span = {with_fact.span: with_fact for with_fact in fact.withs}
    found: dict[Span, WithFact] = {}
    for call in fact.calls:
        if call.use != "with_item" or not call.with_blocks or not isinstance(call.callee, ExternalCallee):
            continue
        if call.skip:
            continue
        entry = catalog.lookup(call.callee.qualname)
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


def _inside_any(span: Span, containers: list[Span]) -> bool:
    return any(
        (outer.line, outer.column) <= (span.line, span.column)
        and (span.end_line, span.end_column) <= (outer.end_line, outer.end_column)
        for outer in containers
    )


def _helper_name(fact: FunctionFact, taken: int) -> str:
    base = "_blocking_io"
    candidate = base if taken == 0 else f"{base}_{taken + 1}"
    while candidate in fact.names or candidate in fact.module_names:
        taken += 1
        candidate = f"{base}_{taken + 1}"
    return candidate


def _plan_project_call(fact, call, qualname, index, helpers, converting, outcome, block) -> None:  # noqa: ANN001
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
    elif not call.awaitable:
        block(
            Rule.NOT_AWAITABLE_HERE, call, f"{_called(call)} blocks ({status.witness}) where await can't go"
        )
    else:
        outcome.edits.append(WrapCall(Rule.THREADPOOL_CALL, fact.path, call.span, _needs_lambda(call)))


def _plan_external_call(fact, call, callee, catalog, outcome, block, lambda_spans) -> None:  # noqa: ANN001
    entry = catalog.lookup(callee.qualname)
    name = callee.qualname.removeprefix("builtins.")
    if entry is None:
        block(Rule.UNKNOWN_CALL, call, f"{name}() is not in the catalog and may block")
        return
    treatment = entry.treatment
    if treatment is Treatment.SAFE:
        return
    if treatment is Treatment.NEVER:
        block(Rule.MUST_NOT_MOVE, call, f"{name}() must stay where it runs today")
        return
    if treatment is Treatment.CONTEXT:
        block(Rule.CONTEXT_VARIABLE, call, f"{name}() sets a context variable in this function's context")
        return
    if treatment is Treatment.DB:
        database.plan_call(fact, call, callee.qualname, outcome.edits, block)
        return
    if treatment is Treatment.LOCK:
        owner = name.rpartition(".")[0]
        block(
            Rule.THREAD_LOCK, call, f"{call.text}() takes a {owner}, which must not be waited for on the loop"
        )
        return
    if not call.awaitable:
        block(Rule.NOT_AWAITABLE_HERE, call, f"{_called(call, name)} blocks where await can't go")
        return
    if treatment is Treatment.ASYNC_TWIN and entry.twin:
        twin = AsyncTwin(Rule.ASYNC_TWIN, fact.path, call.span, callee.qualname, entry.twin, call.binding)
        outcome.edits.append(twin)
    elif treatment is Treatment.SLEEP:
        library = "asyncio" if call.sole_numeric_arg is not None and call.sole_numeric_arg >= 0 else "anyio"
        outcome.edits.append(AsyncSleep(Rule.ASYNC_SLEEP, fact.path, call.span, library, call.binding))
    elif treatment is Treatment.RESOURCE:
        if call.use == "method_call" and call.outer_call is not None:
            outcome.edits.append(WrapCall(Rule.THREADPOOL_CALL, fact.path, call.outer_call, True))
            lambda_spans.append(call.outer_call)
        else:
            block(Rule.RESOURCE_ESCAPES, call, f"the result of {name}() is used outside a with block")
    else:
        outcome.edits.append(WrapCall(Rule.THREADPOOL_CALL, fact.path, call.span, _needs_lambda(call)))


def _plan_http_call(fact: FunctionFact, call: CallFact, translation: Translation, outcome: _Outcome) -> None:
    if isinstance(translation, str):
        wrap = WrapCall(Rule.HTTP_THREADPOOL, fact.path, call.span, _needs_lambda(call), why=translation)
        outcome.edits.append(wrap)
    else:
        outcome.edits.extend(translation)


def _called(call: CallFact, name: str | None = None) -> str:
    """How a report names what ``call`` runs: ``helper()``, or a callable passed to be called."""
    if call.use == "reference":
        return f"{name or call.text}, passed as a callable that is called here,"
    return f"{call.text}()" if name is None else name


def _needs_lambda(call: CallFact) -> bool:
    return "func" in call.keywords or call.has_star_kwargs


def _helper_statuses(index: ProjectIndex, catalog: Catalog) -> dict[str, HelperStatus]:
    """The worst thing each sync function reaches, as a fixpoint over the call graph."""
    statuses = {q: _own_status(fact) for q, fact in index.functions.items() if not fact.is_async}

    def worsens(qualname: str) -> bool:
        current = worst = statuses[qualname]
        for call in index.functions[qualname].calls:
            status = _call_status(call, index, catalog, statuses)
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
    call: CallFact, index: ProjectIndex, catalog: Catalog, statuses: dict[str, HelperStatus]
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
    entry = catalog.lookup(callee.qualname)
    name = callee.qualname.removeprefix("builtins.")
    if entry is None:
        return HelperStatus(Weight.UNKNOWN, f"{name}()")
    if entry.treatment is Treatment.SAFE:
        return HelperStatus(Weight.PURE)
    if entry.treatment is Treatment.DB:
        return HelperStatus(Weight.BLOCKING, f"{name}() (a database session)")
    if entry.treatment is Treatment.CONTEXT:
        # run in the threadpool, it would set the variable in a copy its caller never sees
        return HelperStatus(Weight.UNKNOWN, f"{name}() (sets a context variable)")
    return HelperStatus(Weight.BLOCKING, f"{name}()")
