"""Planning the swap: the groups (one per engine) found before any function is planned, each
database call as ``decide`` meets it, the checks of a member function as a whole, and the edits
outside functions a group makes when it is on.

A group the tool can't migrate whatever its functions do (an engine URL it can't map, the engine
used at module level, a Session class named by attribute) is off from the start: its functions
say why, once each, and their database calls stay what they are without the swap (unknown
calls). The others are all or nothing through ``decide``: a member kept sync turns its group off.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ...facts import CallFact, ExternalCallee, FunctionFact, Location, ProjectCallee
from ...index import ProjectIndex
from ...index.tables import ModuleTable
from ...plan import Edit, Finding, Plan, Verdict
from ...rules import Rule
from ..base import Blocker, Planned
from ..common import reachable
from . import recognise
from .edits import (
    AsyncEngine,
    AsyncEngineBeside,
    AsyncSessionFactory,
    AsyncSessionName,
    AsyncSessionWith,
    AsyncUrl,
    AwaitDatabase,
    CreateAllAsync,
    ImportAsyncEngine,
    RefreshAfterCommit,
    RenameEngine,
)
from .names import ASYNC_SESSIONS, kind_of, touches_database


@dataclass
class Group:
    """One engine and the modules whose sessions come from it."""

    key: str
    engine: recognise.Engine | None
    """``None``: the modules whose engine the tool can't tell."""
    modules: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    problems: list[Finding] = field(default_factory=list)
    """Why it can't convert whatever its functions do (it is off from the start)."""
    outside: set[str] = field(default_factory=set)
    """Modules outside the entry points' reach that use the engine (scripts, CLI jobs): they keep
    the sync engine, and the app's modules get an async engine beside it from the same URL."""

    @property
    def async_engine(self) -> str:
        """The name of the async engine: the engine's own, or the one added beside it."""
        assert self.engine is not None
        return ASYNC_ENGINE if self.outside else self.engine.name

    expires_on_commit: bool = True
    """``False`` when every session of the group is made with ``expire_on_commit=False``: a read
    after commit then reads what the instance holds, in the sync session as in the async one."""


def is_test_file(path: Path) -> bool:
    """Tests build their own engines and sessions: they are adapted by hand (docs), not grouped."""
    name = path.name
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
        or "tests" in path.parts
    )


def uses_database(fact: FunctionFact) -> bool:
    return any(
        isinstance(c.callee, ExternalCallee) and touches_database(c.callee.qualname) for c in fact.calls
    )


def groups(index: ProjectIndex) -> dict[str, Group]:
    """Module name -> its group: a module with database calls or a session class joins the group
    of the engine it defines or imports, or the project's only engine."""
    engines = recognise.engines(index)
    found = [Group(f"{engine.module.name}.{engine.name}", engine) for engine in engines]
    unknown = Group("?", None)
    by_name = {group.key: group for group in found}
    by_module: dict[str, Group] = {}
    made = _factory_names(index)
    for name, module in index.modules.items():
        if is_test_file(module.path):
            continue
        # a module importing the engine or a session factory uses them, reached or not
        classes = any(
            target in recognise.SESSION_CLASSES or target in made or target in by_name
            for target, _ in module.imports.values()
        )
        if (
            not classes
            and not recognise.factories(module)
            and not any(uses_database(index.functions[q]) for q in _functions_of(index, name))
        ):
            continue
        own = [group for group in found if group.engine is not None and group.engine.module is module]
        imported = [by_name[target] for target, _ in module.imports.values() if target in by_name]
        choices = own or imported or (found if len(found) == 1 else [])
        group = choices[0] if len({id(choice) for choice in choices}) == 1 else unknown
        group.modules.add(name)
        by_module[name] = group
    reached = reachable(index, {q for q in index.entry_points if q in index.functions})
    for group in [*found, unknown]:
        if group.engine is not None:
            group.modules.add(group.engine.module.name)
            group.outside = _outside(group, index, reached)
            group.modules -= group.outside
            for name in group.outside:
                del by_module[name]
        group.members = {
            q
            for name in group.modules
            for q in _functions_of(index, name)
            if uses_database(index.functions[q]) or _takes_session(index, index.functions[q])
        }
        _check_group(group, index)
        group.expires_on_commit = not recognise.never_expire(
            [index.modules[name] for name in sorted(group.modules)]
        )
    return by_module


def _factory_names(index: ProjectIndex) -> set[str]:
    """The qualified names of the project's module-level session factories."""
    return {
        f"{name}.{factory.name}"
        for name, module in index.modules.items()
        for factory in recognise.factories(module)
    }


def _takes_session(index: ProjectIndex, fact: FunctionFact) -> bool:
    """A parameter annotated with the session class: the function gets the group's session even
    when it only hands it on (``ItemRepo(db).all()``), so it converts with the group or keeps it
    sync."""
    node = recognise.function_node(index.modules[fact.module], fact)
    return node is not None and bool(recognise.session_parameters(node))


ASYNC_ENGINE = "async_engine"


def _outside(group: Group, index: ProjectIndex, reached: set[str]) -> set[str]:
    """The group's modules no entry point reaches and no module of the app imports from: they
    keep the sync engine (the engine's own module stays in the group)."""
    assert group.engine is not None
    candidates = {
        name
        for name in group.modules
        if name != group.engine.module.name and not any(q in reached for q in _functions_of(index, name))
    }
    inside = group.modules - candidates
    return {
        name
        for name in candidates
        if not any(
            target == name or target.startswith(f"{name}.")
            for other in inside
            for target, _ in index.modules[other].imports.values()
        )
    }


def _functions_of(index: ProjectIndex, module: str) -> list[str]:
    return [q for q, fact in index.functions.items() if fact.module == module]


def _check_group(group: Group, index: ProjectIndex) -> None:
    def fail(message: str, path: Path, line: int) -> None:
        group.problems.append(Finding(Rule.DB_GROUP, message, Location(path, line)))

    engine = group.engine
    if engine is None:
        if group.modules:
            module = index.modules[min(group.modules)]
            fail(
                "which engine its sessions come from is unknown (no module-level create_engine it imports)",
                module.path,
                0,
            )
        return
    for problem in engine.problems:
        fail(problem, engine.module.path, engine.call.lineno)
    for module in index.modules.values():  # the mapped classes may be anywhere in the project
        if not is_test_file(module.path):
            for problem in recognise.updated_by_database(module):
                fail(problem, module.path, 0)
    made = {
        f"{module.name}.{factory.name}": factory
        for module in map(index.modules.__getitem__, group.modules)
        for factory in recognise.factories(module)
    }
    for name in sorted(group.modules):
        module = index.modules[name]
        _, problems = recognise.session_names(module)
        for problem in problems:
            fail(problem, module.path, 0)
        engine_names = {engine.name} if module is engine.module else set()
        engine_names |= {local for local, (target, _) in module.imports.items() if target == group.key}
        classes = {
            local for local, (target, _) in module.imports.items() if target in recognise.SESSION_CLASSES
        }
        own = [factory for factory in made.values() if factory.module is module]
        factory_names = {factory.name for factory in own}
        factory_names |= {local for local, (target, _) in module.imports.items() if target in made}
        for factory in own:
            for problem in factory.problems:
                fail(problem, module.path, factory.call.lineno)
            if factory.bind is not None and factory.bind not in engine_names:
                message = f"the sessionmaker {factory.name} binds {factory.bind}, not the engine"
                fail(message, module.path, factory.call.lineno)
        made_here = [factory.call for factory in own] + ([engine.call] if module is engine.module else [])
        allowed = {
            id(statement)
            for statement in module.tree.body
            if any(getattr(statement, "value", None) is call for call in made_here)
        }
        names = engine_names | classes | factory_names
        for problem in recognise.module_level_uses(module, names, allowed):
            fail(problem, module.path, 0)
        scanned = {
            id(recognise.function_node(module, fact))
            for fact in index.functions.values()
            if fact.module == name
        }
        for problem in recognise.unscanned_uses(module, names, scanned):
            fail(problem, module.path, 0)
        for problem in recognise.server_side_cursors(module):
            fail(problem, module.path, 0)
    if group.outside:
        _check_beside(group, index, set(made), fail)


def _check_beside(
    group: Group, index: ProjectIndex, factories: set[str], fail: Callable[[str, Path, int], None]
) -> None:
    """An async engine beside the sync one: its name is free where it goes, the URL can be read
    twice, and the modules outside get nothing the app's modules make async."""
    engine = group.engine
    assert engine is not None
    where = engine.call.lineno
    url = engine.call.args[0] if engine.call.args else None
    if url is None or not recognise.reads_nothing(url):
        fail(
            "the engine's URL, needed by a second (async) engine, is not a name, attribute or literal",
            engine.module.path,
            where,
        )
    for name in sorted(group.modules):
        module = index.modules[name]
        if ASYNC_ENGINE in module.identifiers:
            fail(f"{ASYNC_ENGINE}, the async engine's name, is taken in {module.path}", module.path, 0)
    for name in sorted(group.outside):
        module = index.modules[name]
        for local, (target, _) in module.imports.items():
            if target in factories:
                fail(f"{module.path}, outside the app, uses the session factory {local}", module.path, 0)


SWAP_RULES = frozenset({Rule.ORM_LEGACY_QUERY, Rule.ORM_EXPIRED, Rule.DB_GROUP})
"""The swap's own reasons, which a member says again once its group is off (its database calls
are then unknown calls, as without the swap)."""


def explain_off(
    group: Group, index: ProjectIndex, causes: Mapping[str, list[Finding]]
) -> dict[str, list[Finding]]:
    """Each member of a group that is off: its own reasons, then the members that kept it off."""
    said = {}
    for member, findings in causes.items():
        own = [finding for finding in findings if finding.rule in SWAP_RULES]
        first = (
            (own or findings)[0].message if findings else "not reached from an entry point, or a sync caller"
        )
        said[member] = f"{index.functions[member].name} stays sync ({first})"
    found: dict[str, list[Finding]] = {}
    for member in sorted(group.members):
        own = [finding for finding in causes.get(member, []) if finding.rule in SWAP_RULES]
        others = [message for who, message in said.items() if who != member]
        if others:
            more = f" (and {len(others) - 3} more)" if len(others) > 3 else ""
            message = f"its database session group stays sync: {'; '.join(others[:3])}{more}"
            own.append(Finding(Rule.DB_GROUP, message, index.functions[member].location))
        if own:
            found[member] = own
    return found


def plan_call(group: Group, fact: FunctionFact, call: CallFact, kind: str) -> Planned:
    """The edit of one database call in a function that would convert, or why it can't."""
    key = group.key
    if kind == "legacy":
        message = f"{call.text}(): the legacy query API, which AsyncSession lacks"
        return Planned(blocker=Blocker(Rule.ORM_LEGACY_QUERY, message), group=key)
    if kind in ("engine", "factory"):
        message = f"{call.text}(): an engine or session factory made in a function, not once for the app"
        return Planned(blocker=Blocker(Rule.DB_GROUP, message), group=key)
    if kind == "construct":
        if call.use != "with_item":
            return Planned(group=key)  # making an AsyncSession does no I/O; its class is renamed apart
        return Planned((AsyncSessionWith(Rule.DB_SESSION, fact.path, call.with_blocks[-1]),), group=key)
    if kind == "plain":
        return Planned(group=key)
    if not call.awaitable:
        message = f"{call.text}() does I/O where await can't go"
        return Planned(blocker=Blocker(Rule.NOT_AWAITABLE_HERE, message), group=key)
    if kind == "create_all":
        connection = _free_name(fact, "connection")
        return Planned((CreateAllAsync(Rule.DB_SESSION, fact.path, call.span, connection),), group=key)
    if kind == "await":
        return Planned((AwaitDatabase(Rule.DB_SESSION, fact.path, call.span),), group=key)
    # a method of a session or engine the async API has no exact twin of, as far as the tool knows
    name = call.callee.qualname if isinstance(call.callee, ExternalCallee) else call.text
    return Planned(
        blocker=Blocker(Rule.UNKNOWN_CALL, f"{name}() is not in the catalog and may block"), group=key
    )


def _free_name(fact: FunctionFact, base: str) -> str:
    name, number = base, 1
    while name in fact.names or name in fact.module_names:
        number += 1
        name = f"{base}_{number}"
    return name


def plan_member(group: Group, index: ProjectIndex, fact: FunctionFact) -> tuple[list[Edit], list[Finding]]:
    """A member as a whole: the refreshes of instances read after a commit, and what keeps it from
    converting whatever its calls (an instance read after commit that can't be refreshed where it
    is read, a ``create_all`` that is not a statement of its own, a session opened with other
    context managers)."""
    if group.problems:
        listed = "; ".join(problem.message for problem in group.problems[:3])
        more = f" (and {len(group.problems) - 3} more)" if len(group.problems) > 3 else ""
        message = f"its database session group stays sync: {listed}{more}"
        return [], [Finding(Rule.DB_GROUP, message, fact.location)]
    module = index.modules[fact.module]
    node = recognise.function_node(module, fact)
    if node is None:
        return [], [Finding(Rule.DB_GROUP, f"{fact.name}: its definition wasn't found", fact.location)]
    edits: list[Edit] = []
    found = []
    sessions = {
        call.text.rpartition(".")[0]
        for call in fact.calls
        if isinstance(call.callee, ExternalCallee) and kind_of(call.callee.qualname) in ("await", "plain")
    }
    sites, left = recognise.refresh_sites(
        node, recognise.expired_reads(node, sessions, group.expires_on_commit)
    )
    for read in left:
        name, committed = read.name, read.commit.lineno
        func = read.commit.func
        ended = (
            f"{func.attr}()"
            if isinstance(func, ast.Attribute)
            else f"{ast.unparse(func)}(), which may commit,"
        )
        message = f"{name} is read after {ended} (line {committed}) with no refresh({name}) in between"
        found.append(Finding(Rule.ORM_EXPIRED, message, Location(fact.path, read.line)))
    for statement, (session, names) in sites.items():
        span = recognise.span_of(module, statement)
        edits.append(RefreshAfterCommit(Rule.DB_SESSION, fact.path, span, session, names))
    callees = {(call.span.line, call.span.column): call.callee for call in fact.calls}
    for escape in recognise.session_escapes(node, sessions, _session_makers(index, module)):
        call = escape.call
        if call is not None and isinstance(callees.get((call.lineno, call.col_offset)), ProjectCallee):
            continue  # a project function given the session is planned with the group
        line = getattr(escape.node, "lineno", fact.span.line)
        message = f"{escape.what}, where the tool can't follow its uses"
        found.append(Finding(Rule.DB_GROUP, message, Location(fact.path, line)))
    statements = {(s.lineno, s.col_offset): s for s in ast.walk(node) if isinstance(s, ast.stmt)}
    for call in fact.calls:
        if not isinstance(call.callee, ExternalCallee):
            continue
        kind = kind_of(call.callee.qualname)
        here = Location(fact.path, call.span.line)
        if kind == "create_all":
            statement = statements.get((call.span.line, call.span.column))
            if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
                found.append(Finding(Rule.DB_GROUP, f"{call.text}() is not a statement of its own", here))
        elif kind == "construct" and call.use == "with_item":
            statement = statements.get((call.with_blocks[-1].line, call.with_blocks[-1].column))
            if not isinstance(statement, ast.With) or len(statement.items) != 1:
                message = f"{call.text}() opens with other context managers in one with"
                found.append(Finding(Rule.DB_GROUP, message, here))
    return edits, found


def _session_makers(index: ProjectIndex, module: ModuleTable) -> set[str]:
    """The local names that make a session: the session classes and the session factories."""
    made = _factory_names(index)
    return {factory.name for factory in recognise.factories(module)} | {
        local
        for local, (target, _) in module.imports.items()
        if target in recognise.SESSION_CLASSES or target in made
    }


def group_edits(group: Group, index: ProjectIndex) -> tuple[Edit, ...]:
    """The engine becomes an async engine; the session class's name, ``AsyncSession``."""
    engine = group.engine
    if engine is None or engine.driver is None or group.problems:
        return ()
    module = engine.module
    binding = engine.binding
    unused = binding if binding and not index.used_beyond(module.path, binding.local_name, 1) else None
    span = recognise.span_of(module, engine.call)
    driver = engine.driver
    edits: list[Edit]
    if group.outside:
        edits = _beside(group, index)
    else:
        edits = [
            AsyncEngine(
                Rule.DB_SESSION, module.path, span, driver.drivername, driver.package, engine.wrap_url, unused
            )
        ]
    if engine.url is not None and not group.outside:
        url = recognise.span_of(module, engine.url)
        edits.append(AsyncUrl(Rule.DB_SESSION, module.path, url, driver.drivername))
    for name in sorted(group.modules):
        other = index.modules[name]
        for factory in recognise.factories(other):
            made = factory.binding
            dropped = made if made and not index.used_beyond(other.path, made.local_name, 1) else None
            span = recognise.span_of(other, factory.call)
            edits.append(AsyncSessionFactory(Rule.DB_SESSION, other.path, span, dropped))
        names, _ = recognise.session_names(other)
        uses = Counter(found.binding for found in names)
        for found in names:
            local = found.binding.local_name
            dropped = None if index.used_beyond(other.path, local, uses[found.binding]) else found.binding
            target = ASYNC_SESSIONS[found.library][0]
            edits.append(AsyncSessionName(Rule.DB_SESSION, other.path, found.span, target, dropped))
    return tuple(edits)


def _beside(group: Group, index: ProjectIndex) -> list[Edit]:
    """The async engine added beside the sync one, and the app's uses of the engine renamed to it:
    in the engine's module (its functions, its session factories), and the imports of it."""
    engine = group.engine
    assert engine is not None and engine.driver is not None
    module, driver = engine.module, engine.driver
    statement = next(s for s in module.tree.body if getattr(s, "value", None) is engine.call)
    in_call = engine.url is engine.call.args[0]
    edits: list[Edit] = [
        AsyncEngineBeside(
            Rule.DB_SESSION,
            module.path,
            recognise.span_of(module, statement),
            driver.drivername,
            driver.package,
            not in_call,
            name=ASYNC_ENGINE,
            literal_url=in_call,
        )
    ]
    uses = [
        node
        for statement in module.tree.body
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef)
        or any(getattr(statement, "value", None) is factory.call for factory in recognise.factories(module))
        for node in ast.walk(statement)
        if isinstance(node, ast.Name) and node.id == engine.name and isinstance(node.ctx, ast.Load)
    ]
    edits += [
        RenameEngine(Rule.DB_SESSION, module.path, recognise.span_of(module, use), ASYNC_ENGINE)
        for use in uses
    ]
    for name in sorted(group.modules - {module.name}):
        other = index.modules[name]
        for statement in other.tree.body:
            if isinstance(statement, ast.ImportFrom) and any(
                f"{other.imports.get(alias.asname or alias.name, ('', None))[0]}" == group.key
                for alias in statement.names
            ):
                span = recognise.span_of(other, statement)
                edits.append(ImportAsyncEngine(Rule.DB_SESSION, other.path, span, engine.name, ASYNC_ENGINE))
    return edits


def sync_session_users(plan: Plan, index: ProjectIndex) -> int:
    """How many functions kept sync use a database session or engine, themselves or through the
    project functions they call (what ``--db-session async`` is about)."""
    users = {qualname for qualname, fact in index.functions.items() if uses_database(fact)}
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
