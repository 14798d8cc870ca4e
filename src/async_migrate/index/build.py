"""Builds the ``ProjectIndex``: parses every file, resolves names, then scans every function,
with the cyclic garbage collector paused while the trees are alive.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..catalog import Catalog
from ..deep import tree_depth
from ..facts import (
    CallerRef,
    CallFact,
    EntryPoint,
    FunctionFact,
    HandlerFact,
    ImportBinding,
    Location,
    ModuleFacts,
    ProjectCallee,
    UnknownCallee,
)
from ..source import SourceError, SourceFile
from ..swaps.http.calls import remote_handlers
from .calls import _CallCollector, _handler_fact
from .entrypoints import _fastapi_references
from .functions import _scan_function
from .names import Project
from .scopes import _Scope
from .tables import (
    ModuleTable,
    _collect_module_table,
    _Columns,
    module_name_for,
    parse_module,
)
from .uses import ModuleNameUses


@dataclass
class ProjectIndex:
    functions: dict[str, FunctionFact]
    entry_points: dict[str, list[EntryPoint]]
    callers: dict[str, list[CallerRef]]
    value_uses: dict[str, list[Location]]
    errors: list[SourceError]
    modules: dict[str, ModuleTable]
    overrides: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Method -> the methods of the same name in its project base classes and subclasses."""
    classes: dict[str, Location] = field(default_factory=dict)
    """Project classes and where they are defined."""
    maybe_callers: dict[str, list[CallerRef]] = field(default_factory=dict)
    """Method name -> the calls ``x.name(...)`` on values of unknown type, not awaited: each may
    call any project method of that name (a test calling a fixture's method)."""
    exception_handlers: list[tuple[str | None, Location]] = field(default_factory=list)
    """App-wide handlers (``@app.exception_handler(X)``, ``add_exception_handler(X, ...)``): the
    exception each handles (``None`` when it can't be named), and where."""
    remote_handlers: list[tuple[Path, HandlerFact]] = field(default_factory=list)
    """``except`` clauses that see errors of code they don't call: around ``call_next`` in a
    middleware, around ``yield`` in a dependency (``swaps.http.calls.remote_handlers``)."""
    unresolved: list[tuple[Location, str]] = field(default_factory=list)
    """Route, event and lifespan registrations the index can't follow to a project function or
    a router, with why: reported, so that no entry point is missed silently."""
    module_facts: dict[str, ModuleFacts] = field(default_factory=dict)
    """What ``decide`` and the swaps' planners read of each module, by name (``modules`` holds
    the index's own tables, trees included)."""

    @functools.cached_property
    def _by_path(self) -> dict[Path, ModuleTable]:
        return {module.path: module for module in self.modules.values()}

    @functools.cached_property
    def _facts_by_path(self) -> dict[Path, ModuleFacts]:
        return {module.path: module for module in self.module_facts.values()}

    def module_at(self, path: Path) -> ModuleTable | None:
        return self._by_path.get(path)

    def module_facts_at(self, path: Path) -> ModuleFacts | None:
        return self._facts_by_path.get(path)

    def used_beyond(self, path: Path, name: str, rewritten: int) -> bool:
        """Whether a module uses ``name`` (``__all__`` entries included) more than ``rewritten``
        times."""
        module = self.module_facts_at(path)
        assert module is not None, path
        return module.uses.more_than(name, rewritten)


def _module_facts(module: ModuleTable) -> ModuleFacts:
    # the identifiers are read for every module while the index is built: taking them costs nothing
    return ModuleFacts(module.name, module.path, module.imports, module.identifiers, ModuleNameUses(module))


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Parsing thousands of files while keeping their trees makes the cyclic garbage collector
    rescan every tree kept so far, again and again (5x the parse time on the standard library).
    The index creates next to no reference cycles, so there is little for it to find meanwhile;
    and what it built lives as long as the run, so it is frozen out of later collections, which
    would otherwise rescan every tree while the rewrites allocate (2 s of a 5,000-module run).
    Freezing doesn't keep anything alive: the trees are still freed when the index is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _add_module(modules: dict[str, ModuleTable], source: SourceFile, errors: list[SourceError]) -> None:
    try:
        tree = parse_module(source)
    except SourceError as error:
        errors.append(error.detached())
        return
    name = module_name_for(source.path)
    table = ModuleTable(name, source, tree, _Columns(source.text), source.path.name == "__init__.py")
    _collect_module_table(table)
    if name in modules:
        # two top-level scripts with one name: keep both, importable by neither
        name = table.name = f"{name}@{len(modules)}"
    modules[name] = table


def _expand_star_imports(modules: dict[str, ModuleTable]) -> None:
    """``from m import *`` of a project module binds m's public names (its ``__all__``, if it
    lists them), so that calls through them are seen: a sync caller reached that way must keep
    the function it calls sync. Names the module binds itself win, then the last star import's,
    as in Python; chains are followed."""
    done: set[str] = set()

    def expand(module: ModuleTable, seen: frozenset[str]) -> None:
        if module.name in done or module.name in seen:
            return
        for name in reversed(module.star_imports):
            source = modules.get(name)
            if source is None:
                continue
            expand(source, seen | {module.name})
            for exported in _public_names(source):
                if all(exported not in bound for bound in (module.imports, module.defs, module.variables)):
                    binding = ImportBinding(source.name, exported)
                    module.imports[exported] = (f"{source.name}.{exported}", binding)
        done.add(module.name)

    for module in modules.values():
        expand(module, frozenset())


def _public_names(module: ModuleTable) -> list[str]:
    listed = module.variables.get("__all__")
    if isinstance(listed, (ast.List, ast.Tuple)) and all(
        isinstance(item, ast.Constant) and isinstance(item.value, str) for item in listed.elts
    ):
        return [item.value for item in listed.elts]  # type: ignore[attr-defined]
    names = [*module.defs, *module.imports, *module.variables]
    return [name for name in names if not name.startswith("_")]


def build_index(sources: Iterable[SourceFile], catalog: Catalog) -> ProjectIndex:
    """Index the project as far as its FastAPI entry points reach (see ``_build_index``).

    The walks recurse, so a tree deeper than the recursion limit allows would end the run;
    instead the deepest file is left out, reported, and the index built again without it (this
    costs a second parse only when it happens)."""
    sources = list(sources)
    too_deep: list[SourceError] = []
    with _no_cyclic_gc(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while True:
            try:
                index = _build_index(sources, catalog)
            except RecursionError:
                deepest = max(sources, key=_depth)
                sources.remove(deepest)
                too_deep.append(
                    SourceError(deepest.path, "too deeply nested to analyse; file left unchanged")
                )
                continue
            index.errors.extend(too_deep)
            return index


def _depth(source: SourceFile) -> int:
    """How deep the file's tree goes (0 if it doesn't parse)."""
    try:
        return tree_depth(parse_module(source))
    except SourceError:
        return 0


def _build_index(sources: Iterable[SourceFile], catalog: Catalog) -> ProjectIndex:
    """Index the project as far as its FastAPI entry points reach.

    Every file is parsed (files that don't parse are reported, the rest still indexed), but only
    the functions that matter are scanned in depth: the entry points, everything they call, and
    the functions and module-level code of the modules that mention any of those by name (their
    possible callers). A project without FastAPI costs little more than parsing it.
    """
    errors: list[SourceError] = []
    modules: dict[str, ModuleTable] = {}
    for source in sources:
        _add_module(modules, source, errors)
    _expand_star_imports(modules)
    project = Project(modules, catalog)
    entry_points: dict[str, list[EntryPoint]] = {}
    registered: dict[Path, set[tuple[str, int]]] = {}
    unresolved: list[tuple[Location, str]] = []
    for module in modules.values():
        found = _fastapi_references(project, module)
        registered[module.path] = found.registered
        unresolved += found.unresolved
        for qualname, entry in found.entries:
            entry_points.setdefault(qualname, []).append(entry)

    functions: dict[str, FunctionFact] = {}
    value_refs: list[tuple[str, Location]] = []

    def scan(qualname: str) -> FunctionFact:
        if qualname not in functions:
            module, node, class_qualname = project.function_nodes[qualname]
            functions[qualname], refs = _scan_function(project, module, qualname, node, class_qualname)
            value_refs.extend(refs)
        return functions[qualname]

    pending = [q for q in entry_points if q in project.function_nodes]
    pending += [f"{q}.__init__" for q in entry_points if f"{q}.__init__" in project.function_nodes]
    while pending:
        for call in scan(pending.pop()).calls:
            if isinstance(call.callee, ProjectCallee) and call.callee.qualname not in functions:
                pending.append(call.callee.qualname)
    wanted = {qualname.rpartition(".")[2] for qualname in functions}
    callers: dict[str, list[CallerRef]] = {}
    maybe_callers: dict[str, list[CallerRef]] = {}
    methods = {qualname.rpartition(".")[2] for qualname, fact in functions.items() if fact.class_name}

    def note_callers(caller: str | None, path: Path, calls: list[CallFact]) -> None:
        for call in calls:
            callee = call.callee
            if isinstance(callee, ProjectCallee):
                found = callers.setdefault(callee.qualname, [])
            elif isinstance(callee, UnknownCallee) and callee.method in methods and not call.awaited:
                found = maybe_callers.setdefault(callee.method, [])
            else:
                continue
            awaitable = call.awaitable and caller is not None
            found.append(
                CallerRef(caller, Location(path, call.span.line), call.span, awaitable, call.with_blocks)
            )

    for module in modules.values():
        if not wanted or wanted.isdisjoint(module.identifiers):
            continue  # can't call what it never names
        for qualname, node in project.functions_by_module.get(module.name, []):
            if not wanted.isdisjoint(module.identifiers_in(node)):
                scan(qualname)
        collector = _CallCollector(_Scope(project, module, None, {}), module, {})
        # no prepass: what it finds (method calls, offloaded and streamed code) refines the facts
        # of calls made in functions, and module-level calls count only as callers
        collector.collect(module.tree.body, awaitable=False, reachable=())
        note_callers(None, module.path, collector.calls)
        value_refs.extend(collector.value_refs)
    for fact in functions.values():
        note_callers(fact.qualname, fact.path, fact.calls)
    value_uses: dict[str, list[Location]] = {}
    for ref, location in value_refs:
        if (ref, location.line) not in registered[location.path]:
            value_uses.setdefault(ref, []).append(location)
    classes = {
        qualname: Location(info.module.path, info.line)
        for qualname, info in project.classes.items()
        if qualname in entry_points
    }
    return ProjectIndex(
        functions,
        entry_points,
        callers,
        value_uses,
        errors,
        modules,
        _overrides(project),
        classes,
        maybe_callers,
        _exception_handlers(project),
        [
            (module.path, _handler_fact(project, module, handler))
            for module in project.modules.values()
            for handler in remote_handlers(module.tree, module.identifiers)
        ],
        sorted(unresolved, key=lambda item: (str(item[0].path), item[0].line)),
        {name: _module_facts(module) for name, module in modules.items()},
    )


def _exception_handlers(project: Project) -> list[tuple[str | None, Location]]:
    """The exceptions the app handles wherever they are raised: an HTTP call whose errors one of
    them handles can only be translated if that still happens."""
    found: list[tuple[str | None, Location]] = []
    for module in project.modules.values():
        if (
            "exception_handler" not in module.identifiers
            and "add_exception_handler" not in module.identifiers
        ):
            continue
        for node in ast.walk(module.tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"exception_handler", "add_exception_handler"}
                and node.args
                and not isinstance(node.args[0], ast.Constant)  # a status code, not an exception
            ):
                caught = project.qualname(node.args[0], module)
                found.append((caught, Location(module.path, node.lineno)))
    return found


def _overrides(project: Project) -> dict[str, tuple[str, ...]]:
    """Methods that share a name with a method of a related (base or derived) project class."""
    ancestors: dict[str, set[str]] = {}

    def bases_of(name: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if name not in ancestors:
            found: set[str] = set()
            for base in project.classes[name].bases:
                if base in project.classes and base not in seen:
                    found |= {base} | bases_of(base, seen | {name})
            ancestors[name] = found
        return ancestors[name]

    related: dict[str, set[str]] = {}
    for name, info in project.classes.items():
        for base in bases_of(name):
            for method, qualname in info.methods.items():
                other = project.classes[base].methods.get(method)
                if other and not (method.startswith("__") and method.endswith("__")):
                    related.setdefault(qualname, set()).add(other)
                    related.setdefault(other, set()).add(qualname)
    return {qualname: tuple(sorted(others)) for qualname, others in related.items()}
