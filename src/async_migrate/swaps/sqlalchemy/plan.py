"""Planning the swap: each database call as ``decide`` meets it, then the group as a whole.

``decide`` plans a function's database calls with ``plan_call`` as if the group converts. Then
``settle`` checks the group: every function using a session or the engine converts, and
nothing the tool can't follow uses them. If so, it adds the module-level edits (the engine, the
session class's name); if not, the plan is made again without the swap, and each member says why.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...facts import CallFact, ExternalCallee, FunctionFact, Location
from ...index import ProjectIndex
from ...plan import Edit, Finding, Plan, Verdict
from ...rules import Rule
from . import recognise
from .edits import AsyncEngine, AsyncSessionName, AsyncSessionWith, AsyncUrl, AwaitDatabase, CreateAllAsync
from .names import ASYNC_SESSIONS, kind_of, touches_database

Block = Callable[[Rule, CallFact, str], None]


def plan_call(fact: FunctionFact, call: CallFact, qualname: str, edits: list[Edit], block: Block) -> None:
    """The edit of one database call in a function that would convert, or why it can't."""
    kind = kind_of(qualname)
    if kind == "legacy":
        block(Rule.ORM_LEGACY_QUERY, call, f"{call.text}(): the legacy query API, which AsyncSession lacks")
    elif kind == "engine":
        block(Rule.DB_GROUP, call, f"{call.text}(): an engine made in a function, not once for the app")
    elif kind == "construct":
        if call.use == "with_item":
            edits.append(AsyncSessionWith(Rule.DB_SESSION, fact.path, call.with_blocks[-1]))
    elif not call.awaitable:
        block(Rule.NOT_AWAITABLE_HERE, call, f"{call.text}() does I/O where await can't go")
    elif kind == "create_all":
        connection = _free_name(fact, "connection")
        edits.append(CreateAllAsync(Rule.DB_SESSION, fact.path, call.span, connection))
    elif kind == "await":
        edits.append(AwaitDatabase(Rule.DB_SESSION, fact.path, call.span))


def _free_name(fact: FunctionFact, base: str) -> str:
    name, number = base, 1
    while name in fact.names or name in fact.module_names:
        number += 1
        name = f"{base}_{number}"
    return name


@dataclass
class _Group:
    members: set[str] = field(default_factory=set)
    reasons: list[tuple[str, Finding]] = field(default_factory=list)
    """(member or ``""`` for the group itself, why it can't convert)."""
    edits: list[Edit] = field(default_factory=list)
    requires: set[str] = field(default_factory=set)


def settle(plan: Plan, index: ProjectIndex, without: Callable[[], Plan]) -> Plan:
    """``plan`` with the group's module-level edits, or ``without()`` when the group can't convert."""
    group = _group(plan, index)
    if not group.members:
        return plan
    if not group.reasons:
        edits = {path: list(found) for path, found in plan.edits.items()}
        for edit in group.edits:
            edits.setdefault(edit.path, []).append(edit)
        return replace(plan, edits=edits, requires=plan.requires | group.requires)
    fallback = without()
    for decision in fallback.decisions:
        if decision.qualname in group.members and decision.verdict is Verdict.KEPT_SYNC:
            own = [finding for who, finding in group.reasons if who == decision.qualname]
            others = [finding for who, finding in group.reasons if who != decision.qualname]
            decision.findings = own + [_group_finding(others, decision.location)] + decision.findings
    return fallback


def _group_finding(reasons: list[Finding], here: Location) -> Finding:
    listed = "; ".join(finding.message for finding in reasons[:3])
    more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
    return Finding(Rule.DB_GROUP, f"its database session group stays sync: {listed}{more}", here)


def _group(plan: Plan, index: ProjectIndex) -> _Group:
    group = _Group()
    decisions = {decision.qualname: decision for decision in plan.decisions}
    for qualname, fact in index.functions.items():
        if any(
            isinstance(c.callee, ExternalCallee) and touches_database(c.callee.qualname) for c in fact.calls
        ):
            group.members.add(qualname)
    if not group.members:
        return group

    def fail(who: str, rule: Rule, message: str, location: Location) -> None:
        group.reasons.append((who, Finding(rule, message, location)))

    for qualname in sorted(group.members):
        fact = index.functions[qualname]
        decision = decisions.get(qualname)
        if decision is None:
            fail(
                qualname, Rule.DB_GROUP, f"{fact.name} uses it outside the entry points' reach", fact.location
            )
        elif decision.verdict not in (Verdict.CONVERTED, Verdict.FIXED):
            why = next((f.message for f in decision.findings), "")
            fail("", Rule.DB_GROUP, f"{decision.name} stays sync ({why})", fact.location)
        else:
            _check_member(index, fact, fail)
    _engine_and_names(index, group, fail)
    return group


def _check_member(index: ProjectIndex, fact: FunctionFact, fail: Callable[..., None]) -> None:
    module = index.modules[fact.module]
    node = recognise.function_node(module, fact)
    if node is None:
        fail(fact.qualname, Rule.DB_GROUP, f"{fact.name}: its definition wasn't found", fact.location)
        return
    sessions = {
        call.text.rpartition(".")[0]
        for call in fact.calls
        if isinstance(call.callee, ExternalCallee) and kind_of(call.callee.qualname) in ("await", "plain")
    }
    for name, line, committed in recognise.expired_reads(node, sessions):
        message = f"{name} is read after commit() (line {committed}) with no refresh({name}) in between"
        fail(fact.qualname, Rule.ORM_EXPIRED, message, Location(fact.path, line))
    statements = {(s.lineno, s.col_offset): s for s in ast.walk(node) if isinstance(s, ast.stmt)}
    for call in fact.calls:
        if not isinstance(call.callee, ExternalCallee):
            continue
        kind = kind_of(call.callee.qualname)
        if kind == "create_all":
            statement = statements.get((call.span.line, call.span.column))
            if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
                message = f"{call.text}() is not a statement of its own"
                fail(fact.qualname, Rule.DB_GROUP, message, Location(fact.path, call.span.line))
        elif kind == "construct" and call.use == "with_item":
            statement = statements.get((call.with_blocks[-1].line, call.with_blocks[-1].column))
            if not isinstance(statement, ast.With) or len(statement.items) != 1:
                message = f"{call.text}() opens with other context managers in one with"
                fail(fact.qualname, Rule.DB_GROUP, message, Location(fact.path, call.span.line))


def _engine_and_names(index: ProjectIndex, group: _Group, fail: Callable[..., None]) -> None:
    engines = recognise.engines(index)
    anywhere = Location(Path("."), 0)
    if len(engines) != 1:
        count = (
            f"{len(engines)} module-level create_engine calls" if engines else "no module-level create_engine"
        )
        where = engines[0].module.path if engines else next(iter(index.modules.values())).path
        fail(
            "",
            Rule.DB_GROUP,
            f"{count} (the tool migrates one engine)",
            Location(where, 0) if engines else anywhere,
        )
        return
    (engine,) = engines
    here = Location(engine.module.path, engine.call.lineno)
    for problem in engine.problems:
        fail("", Rule.DB_GROUP, problem, here)
    if engine.problems or engine.driver is None:
        return
    module = engine.module
    binding = engine.binding
    group.edits.append(
        AsyncEngine(
            Rule.DB_SESSION,
            module.path,
            recognise.span_of(module, engine.call),
            engine.driver.drivername,
            engine.wrap_url,
            binding if binding and not index.used_beyond(module.path, binding.local_name, 1) else None,
        )
    )
    if engine.url is not None:
        group.edits.append(
            AsyncUrl(
                Rule.DB_SESSION, module.path, recognise.span_of(module, engine.url), engine.driver.drivername
            )
        )
    group.requires.add(engine.driver.package)
    statement = next(s for s in module.tree.body if getattr(s, "value", None) is engine.call)
    for problem in recognise.module_level_uses(module, {engine.name}, {id(statement)}):
        fail("", Rule.DB_GROUP, problem, here)
    for other in index.modules.values():
        names, problems = recognise.session_names(other)
        for problem in problems:
            fail("", Rule.DB_GROUP, problem, Location(other.path, 0))
        imported_engine = {
            local for local, (target, _) in other.imports.items() if target == f"{module.name}.{engine.name}"
        }
        local_classes = {
            local for local, (target, _) in other.imports.items() if target in recognise.SESSION_CLASSES
        }
        for problem in recognise.module_level_uses(other, imported_engine | local_classes, set()):
            fail("", Rule.DB_GROUP, problem, Location(other.path, 0))
        uses: dict[object, int] = {}
        for name in names:
            uses[name.binding] = uses.get(name.binding, 0) + 1
        for name in names:
            unused = (
                None
                if index.used_beyond(other.path, name.binding.local_name, uses[name.binding])
                else name.binding
            )
            group.edits.append(
                AsyncSessionName(
                    Rule.DB_SESSION, other.path, name.span, ASYNC_SESSIONS[name.library][0], unused
                )
            )
