"""Planning the swap: each database call as ``decide`` meets it, then the group as a whole.

``decide`` plans a function's database calls with ``plan_call`` as if the group converts. Then
``settle`` checks the group: every function using a session or the engine converts, and
nothing the tool can't follow uses them. If so, it adds the module-level edits (the engine, the
session class's name); if not, the plan is made again without the swap, and each member says why.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ...facts import CallFact, ExternalCallee, FunctionFact, Location, ProjectCallee
from ...index import ProjectIndex
from ...plan import Edit, Finding, Plan, Verdict
from ...rules import Rule
from . import recognise
from .edits import AsyncEngine, AsyncSessionName, AsyncSessionWith, AsyncUrl, AwaitDatabase, CreateAllAsync
from .names import ASYNC_SESSIONS, kind_of, touches_database

Block = Callable[[Rule, CallFact, str], None]
_SWAP_RULES = frozenset({Rule.ORM_LEGACY_QUERY, Rule.ORM_EXPIRED, Rule.DB_GROUP})
"""Reasons of the swap's own, which a member kept sync says again when the plan is made without it."""


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


@dataclass(frozen=True)
class _Reason:
    member: str
    """The member it is about; ``""`` for the group itself (the engine, the session class)."""
    finding: Finding
    summary: bool = False
    """What the other members are told of ``member`` (its own findings say it in full)."""

    def said_by(self, qualname: str) -> bool:
        return self.member == qualname and not self.summary

    def told_to(self, qualname: str) -> bool:
        return self.member == "" or (self.summary and self.member != qualname)


@dataclass
class _Group:
    """One engine and the modules whose sessions come from it."""

    engine: recognise.Engine | None
    """``None``: the modules whose engine the tool can't tell."""
    modules: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)


def settle(plan: Plan, index: ProjectIndex, replan: Callable[[frozenset[Path]], Plan]) -> Plan:
    """``plan`` with the module-level edits of each group that converts as a whole; the files of
    the groups that can't are planned again without the swap (``replan``), until none fails anew."""
    groups = [group for group in _groups(index) if group.members]
    if not groups:
        return plan
    failed: dict[int, list[_Reason]] = {}
    off: set[Path] = set()
    while True:
        for number, group in enumerate(groups):
            if number not in failed:
                reasons = _check(group, plan, index)
                if reasons:
                    failed[number] = reasons
        paths = {index.modules[name].path for number in failed for name in groups[number].modules}
        if paths <= off:
            break
        off |= paths
        plan = replan(frozenset(off))
    edits = {path: list(found) for path, found in plan.edits.items()}
    requires = set(plan.requires)
    for number, group in enumerate(groups):
        if number in failed:
            _explain(plan, group, failed[number])
            continue
        assert group.engine is not None and group.engine.driver is not None
        requires.add(group.engine.driver.package)
        for edit in _group_edits(group, index):
            edits.setdefault(edit.path, []).append(edit)
    return replace(plan, edits=edits, requires=frozenset(requires))


def sync_session_users(plan: Plan, index: ProjectIndex) -> int:
    """How many functions kept sync use a database session or engine, themselves or through the
    project functions they call (what ``--db-session async`` is about)."""
    users = {
        qualname
        for qualname, fact in index.functions.items()
        if any(
            isinstance(c.callee, ExternalCallee) and touches_database(c.callee.qualname) for c in fact.calls
        )
    }
    if not users:
        return 0
    callers: dict[str, set[str]] = {}
    for qualname, fact in index.functions.items():
        for call in fact.calls:
            if isinstance(call.callee, ProjectCallee):
                callers.setdefault(call.callee.qualname, set()).add(qualname)
    pending = list(users)
    while pending:
        for caller in callers.get(pending.pop(), ()):
            if caller not in users:
                users.add(caller)
                pending.append(caller)
    return sum(
        decision.verdict is Verdict.KEPT_SYNC and decision.qualname in users for decision in plan.decisions
    )


def _explain(plan: Plan, group: _Group, reasons: list[_Reason]) -> None:
    """Each member kept sync says why its group stays sync: its own reasons, then the others'."""
    for decision in plan.decisions:
        if decision.qualname in group.members and decision.verdict is Verdict.KEPT_SYNC:
            own = [reason.finding for reason in reasons if reason.said_by(decision.qualname)]
            others = [reason.finding for reason in reasons if reason.told_to(decision.qualname)]
            found = [_group_finding(others, decision.location)] if others else []
            decision.findings = own + found + decision.findings


def _group_finding(reasons: list[Finding], here: Location) -> Finding:
    listed = "; ".join(finding.message for finding in reasons[:3])
    more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
    return Finding(Rule.DB_GROUP, f"its database session group stays sync: {listed}{more}", here)


def is_test_file(path: Path) -> bool:
    """Tests build their own engines and sessions: they are adapted by hand (docs), not grouped."""
    name = path.name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or "tests" in path.parts
    )


def _groups(index: ProjectIndex) -> list[_Group]:
    """The groups of the project: each module with database calls or a session class joins the
    group of the engine it defines or imports, or the only engine of the project."""
    engines = recognise.engines(index)
    groups = [_Group(engine) for engine in engines]
    unknown = _Group(None)
    by_name = {
        f"{engine.module.name}.{engine.name}": group for engine, group in zip(engines, groups, strict=True)
    }
    members: dict[str, set[str]] = {}
    for qualname, fact in index.functions.items():
        if is_test_file(fact.path):
            continue
        if any(
            isinstance(c.callee, ExternalCallee) and touches_database(c.callee.qualname) for c in fact.calls
        ):
            members.setdefault(fact.module, set()).add(qualname)
    for name, module in index.modules.items():
        if is_test_file(module.path):
            continue
        classes = any(target in recognise.SESSION_CLASSES for target, _ in module.imports.values())
        if name not in members and not classes:
            continue
        own = [group for group in groups if group.engine is not None and group.engine.module is module]
        imported = [by_name[target] for target, _ in module.imports.values() if target in by_name]
        choices = own or imported or (groups if len(groups) == 1 else [])
        group = choices[0] if len({id(choice) for choice in choices}) == 1 else unknown
        group.modules.add(name)
        group.members |= members.get(name, set())
    for group in groups:
        if group.engine is not None:
            group.modules.add(group.engine.module.name)
    return [*groups, unknown]


def _check(group: _Group, plan: Plan, index: ProjectIndex) -> list[_Reason]:
    """Why ``group`` can't convert as a whole under ``plan`` (nothing when it can)."""
    reasons: list[_Reason] = []

    def fail(who: str, rule: Rule, message: str, location: Location, summary: bool = False) -> None:
        reasons.append(_Reason(who, Finding(rule, message, location), summary))

    decisions = {decision.qualname: decision for decision in plan.decisions}
    for qualname in sorted(group.members):
        fact = index.functions[qualname]
        decision = decisions.get(qualname)
        if decision is None:
            fail(
                qualname, Rule.DB_GROUP, f"{fact.name} uses it outside the entry points' reach", fact.location
            )
        elif decision.verdict not in (Verdict.CONVERTED, Verdict.FIXED):
            own = [finding for finding in decision.findings if finding.rule in _SWAP_RULES]
            for finding in own:
                fail(qualname, finding.rule, finding.message, finding.location)
            why = (own or decision.findings)[0].message if decision.findings else "an async caller is missing"
            fail(qualname, Rule.DB_GROUP, f"{decision.name} stays sync ({why})", fact.location, summary=True)
        else:
            before = len(reasons)
            _check_member(index, fact, fail)
            if len(reasons) > before:
                why = reasons[before].finding.message
                fail(
                    qualname,
                    Rule.DB_GROUP,
                    f"{decision.name} can't convert ({why})",
                    fact.location,
                    summary=True,
                )
    _check_engine_and_names(group, index, fail)
    return reasons


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


def _check_engine_and_names(group: _Group, index: ProjectIndex, fail: Callable[..., None]) -> None:
    engine = group.engine
    some_member = index.functions[min(group.members)]
    if engine is None:
        message = "which engine its sessions come from is unknown (no module-level create_engine it imports)"
        fail("", Rule.DB_GROUP, message, some_member.location)
        return
    here = Location(engine.module.path, engine.call.lineno)
    for problem in engine.problems:
        fail("", Rule.DB_GROUP, problem, here)
    statement = next((s for s in engine.module.tree.body if getattr(s, "value", None) is engine.call), None)
    allowed = {id(statement)} if statement is not None else set()
    for name in sorted(group.modules):
        module = index.modules[name]
        _, problems = recognise.session_names(module)
        for problem in problems:
            fail("", Rule.DB_GROUP, problem, Location(module.path, 0))
        engine_names = {engine.name} if module is engine.module else set()
        engine_names |= {
            local
            for local, (target, _) in module.imports.items()
            if target == f"{engine.module.name}.{engine.name}"
        }
        classes = {
            local for local, (target, _) in module.imports.items() if target in recognise.SESSION_CLASSES
        }
        used = recognise.module_level_uses(
            module, engine_names | classes, allowed if module is engine.module else set()
        )
        for problem in used:
            fail("", Rule.DB_GROUP, problem, Location(module.path, 0))


def _group_edits(group: _Group, index: ProjectIndex) -> list[Edit]:
    """The engine becomes an async engine; the session class's name, ``AsyncSession``."""
    engine = group.engine
    assert engine is not None and engine.driver is not None
    module = engine.module
    binding = engine.binding
    unused = binding if binding and not index.used_beyond(module.path, binding.local_name, 1) else None
    span = recognise.span_of(module, engine.call)
    edits: list[Edit] = [
        AsyncEngine(Rule.DB_SESSION, module.path, span, engine.driver.drivername, engine.wrap_url, unused)
    ]
    if engine.url is not None:
        url = recognise.span_of(module, engine.url)
        edits.append(AsyncUrl(Rule.DB_SESSION, module.path, url, engine.driver.drivername))
    for name in sorted(group.modules):
        other = index.modules[name]
        names, _ = recognise.session_names(other)
        uses = Counter(found.binding for found in names)
        for found in names:
            local = found.binding.local_name
            unused = None if index.used_beyond(other.path, local, uses[found.binding]) else found.binding
            target = ASYNC_SESSIONS[found.library][0]
            edits.append(AsyncSessionName(Rule.DB_SESSION, other.path, found.span, target, unused))
    return edits
