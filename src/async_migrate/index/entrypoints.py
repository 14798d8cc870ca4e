"""The functions FastAPI and Starlette call: routes and routers, ``add_api_route`` style
registrations, lifespan and event hooks, and the registrations the index cannot resolve.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..facts import EntryPoint, Location, ProjectCallee
from .calls import _defaults
from .constants import DEPENDENCY_MARKERS, ROUTE_METHODS, ROUTE_REGISTRATIONS
from .names import NestedRoute, Project
from .scopes import _function_bindings, _Scope, _Self
from .syntax import _has_decorator, _keyword, _own_nodes, _text, _walk
from .tables import ModuleTable

_REGISTRATION_WORDS = (
    "Depends",
    "Security",
    "add_api_",
    "dependency_overrides",
    "add_event_handler",
    "lifespan",
    "on_startup",
    "on_shutdown",
)


_HOOK_KEYWORDS = {"lifespan": "lifespan", "on_startup": "event", "on_shutdown": "event"}
"""Keywords of ``FastAPI(...)`` / ``APIRouter(...)`` naming functions that Starlette runs."""


_DECORATOR_METHODS = "|".join(sorted({*ROUTE_METHODS, "on_event"}))


_NESTED_ROUTE = re.compile(rf"^[ \t]+@[\w.]+\.(?:{_DECORATOR_METHODS})\(", re.M)
"""An indented route or event decorator: perhaps on a function nested in another."""


@dataclass
class _References:
    """What ``_fastapi_references`` finds in one module."""

    entries: list[tuple[str, EntryPoint]] = field(default_factory=list)
    registered: set[tuple[str, int]] = field(default_factory=set)
    """Function references FastAPI consumes (not uses as a value), with their lines."""
    unresolved: list[tuple[Location, str]] = field(default_factory=list)
    """Registrations whose function or router the index can't name, with why."""


def _fastapi_references(project: Project, module: ModuleTable) -> _References:
    """Entry points defined in ``module``, the function references FastAPI consumes there, and
    the registrations it can't follow.

    Entry points are routes (router decorators, ``add_api_route``), dependencies
    (``Depends``/``Security``), lifespans and startup/shutdown handlers (``on_event``,
    ``add_event_handler``, ``on_startup=``), on routers however they are reached: module globals,
    parameters, locals, ``self.router``. The references (``Depends(f)``, endpoints, dependency
    override keys) are not "uses as a value" that would keep a function sync.
    """
    found = _References()
    for qualname, node in project.functions_by_module.get(module.name, []):
        for decorator in node.decorator_list:
            kind = _decorator_kind(project, module, decorator)
            if kind:
                found.entries.append((qualname, EntryPoint(kind, Location(module.path, node.lineno))))
            elif why := _unresolved_decorator(project, module, decorator):
                found.unresolved.append((Location(module.path, decorator.lineno), why))
    if _NESTED_ROUTE.search(module.source.text):
        _nested_registrations(project, module, found)
    if not any(word in module.source.text for word in _REGISTRATION_WORDS):
        return found
    scopes = _OwnerScopes(project, module)
    for node, owner in _registration_candidates(project, module):
        if isinstance(node, ast.Subscript):
            if isinstance(node.value, ast.Attribute) and node.value.attr == "dependency_overrides":
                key = project.qualname(node.slice, module)
                if key:
                    found.registered.add((key, node.slice.lineno))
            continue
        if not isinstance(node, ast.Call):
            continue
        called = project.qualname(node.func, module) or ""
        if called in DEPENDENCY_MARKERS:
            target = node.args[0] if node.args else _keyword(node, "dependency")
            function = project.qualname(target, module) if target is not None else None
            if target is None or function is None:
                continue
            found.registered.add((function, target.lineno))
            if function in project.classes or function in project.function_nodes:
                found.entries.append((function, EntryPoint("dependency", Location(module.path, node.lineno))))
        elif called in project.router_classes:
            for keyword in node.keywords:
                if keyword.arg in _HOOK_KEYWORDS:
                    value = keyword.value
                    targets = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
                    for target in targets:
                        _register(scopes.of(owner), node, target, _HOOK_KEYWORDS[keyword.arg], found)
        elif isinstance(node.func, ast.Attribute) and (name := _registration_name(called, node.func)):
            event = name == "add_event_handler"
            target = node.args[1] if len(node.args) > 1 else _keyword(node, "func" if event else "endpoint")
            scope = scopes.of(owner)
            router = True if called and _is_router(project, called) else _router_value(scope, node.func.value)
            if router is None:
                where = Location(module.path, node.lineno)
                found.unresolved.append(
                    (where, f"{name}() on {_text(node.func.value)}, not known to be a router")
                )
            elif router and target is not None:
                _register(scope, node, target, "event" if event else "route", found)
    return found


def _registration_name(called: str, func: ast.Attribute) -> str | None:
    """``add_api_route``-like method names, as resolved (an alias) or as written."""
    for name in (called.rpartition(".")[2], func.attr):
        if name in ROUTE_REGISTRATIONS or name == "add_event_handler":
            return name
    return None


def _register(scope: _Scope, call: ast.Call, target: ast.expr, kind: str, found: _References) -> None:
    """Record ``target`` (an endpoint, a handler, a lifespan) as an entry point of ``kind``, or
    as a registration not resolved."""
    where = Location(scope.module.path, call.lineno)
    function = _function_named(scope, target)
    if function is None:
        found.unresolved.append((where, f"{_text(target)} can't be named as a function of the project"))
        return
    found.registered.add((function, target.lineno))
    if kind == "lifespan" and not isinstance(scope.project.function_nodes[function][1], ast.AsyncFunctionDef):
        found.unresolved.append((where, f"the lifespan {_text(target)} is not an async def: left as it is"))
        return
    found.entries.append((function, EntryPoint(kind, where)))


def _function_named(scope: _Scope, node: ast.expr) -> str | None:
    """The project function or method an expression names (``handler``, ``self.handler``,
    ``module.handler``), else ``None`` (a class, a lambda, a parameter, a nested function)."""
    if (
        not isinstance(node, (ast.Name, ast.Attribute))
        or scope.project.qualname(node, scope.module) in scope.project.classes
    ):
        return None
    callee = scope.callee(ast.Call(func=node, args=[], keywords=[]))
    if isinstance(callee, ProjectCallee) and callee.qualname in scope.project.function_nodes:
        return callee.qualname
    return None


def _router_value(scope: _Scope, node: ast.expr) -> bool | None:
    """Whether an expression is a FastAPI app or router: ``None`` when the index can't tell."""
    project = scope.project
    if isinstance(node, ast.Name) and node.id in scope.bindings:
        answers = {_is_router_binding(scope, value) for value in scope.bindings[node.id]}
        return answers.pop() if len(answers) == 1 else None
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in scope.bindings
    ):
        owner = scope.local_type(node.value.id)
        if owner in project.classes:
            return _attribute_is_router(project, owner, node.attr)
    qualname = project.qualname(node, scope.module)
    if qualname in project.routers:
        return True
    return _is_router_type(project, scope.type_of(node))


def _is_router_binding(scope: _Scope, value: ast.expr | None) -> bool | None:
    """Whether a value bound to a name (``APIRouter()``, a parameter ``app: FastAPI``) is a router."""
    if (
        isinstance(value, ast.Call)
        and scope.project.qualname(value.func, scope.module) in scope.project.router_classes
    ):
        return True
    return _is_router_type(scope.project, scope.binding_type(value))


def _is_router_type(project: Project, type_name: str | None) -> bool | None:
    return None if type_name is None else type_name in project.router_classes


def _attribute_is_router(project: Project, class_qualname: str, attribute: str) -> bool | None:
    """Whether ``self.<attribute>`` is a router: what the class (or a project base) annotates it
    with, or every value its methods assign to it (``self.router = APIRouter()``)."""
    answers: set[bool | None] = set()
    for name in [class_qualname, *_project_bases(project, class_qualname)]:
        info = project.classes[name]
        if attribute in info.fields:
            answers.add(
                _is_router_type(project, project.annotation_type(info.fields[attribute], info.module))
            )
        for method in info.methods.values():
            node = project.function_nodes[method][1]
            own = node.args.args[0].arg if node.args.args else None
            for child in _own_nodes(node.body):
                if not isinstance(child, (ast.Assign, ast.AnnAssign)) or child.value is None:
                    continue
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                if any(
                    isinstance(target, ast.Attribute)
                    and target.attr == attribute
                    and isinstance(target.value, ast.Name)
                    and target.value.id == own
                    for target in targets
                ):
                    answers.add(_is_router_binding(_scope_of(project, method), child.value))
    return answers.pop() if len(answers) == 1 else None


def _project_bases(project: Project, class_qualname: str, depth: int = 0) -> list[str]:
    info = project.classes[class_qualname]
    found = [base for base in info.bases if base in project.classes and base != class_qualname]
    return found + [b for base in found if depth < 10 for b in _project_bases(project, base, depth + 1)]


def _scope_of(project: Project, qualname: str) -> _Scope:
    """The name resolution of a project function, as its scan builds it."""
    module, node, class_qualname = project.function_nodes[qualname]
    own = list(_own_nodes(node.body))
    bindings, _, _ = _function_bindings(node, own)
    if class_qualname and node.args.args and not _has_decorator(node, "staticmethod"):
        bindings[node.args.args[0].arg] = [_Self()]
    return _Scope(project, module, node, bindings, class_qualname)


class _OwnerScopes:
    """The scope of each project function holding a registration, built once, when first asked."""

    def __init__(self, project: Project, module: ModuleTable) -> None:
        self._project = project
        self._module_scope = _Scope(project, module, None, {})
        self._scopes: dict[str, _Scope] = {}

    def of(self, owner: str | None) -> _Scope:
        if owner is None:
            return self._module_scope
        if owner not in self._scopes:
            self._scopes[owner] = _scope_of(self._project, owner)
        return self._scopes[owner]


def _decorator_kind(project: Project, module: ModuleTable, decorator: ast.expr) -> str | None:
    """``route`` for ``@router.get(...)`` and the like, ``event`` for ``@app.on_event(...)``."""
    target = project.qualname(decorator.func if isinstance(decorator, ast.Call) else decorator, module)
    if not target or not _is_router(project, target):
        return None
    method = target.rpartition(".")[2]
    return "route" if method in ROUTE_METHODS else "event" if method == "on_event" else None


def _unresolved_decorator(project: Project, module: ModuleTable, decorator: ast.expr) -> str | None:
    """Why ``@x.get("/path")`` (or ``@x.on_event(...)``) can't be taken as a registration: the
    index can't tell whether ``x`` is a router."""
    func = _registration_decorator(decorator)
    if func is None or _router_value(_Scope(project, module, None, {}), func.value) is not None:
        return None
    return f"@{_text(func)}(...): {_text(func.value)} is not known to be a FastAPI app or router"


def _registration_decorator(decorator: ast.expr) -> ast.Attribute | None:
    """``x.get`` of ``@x.get("/path", ...)``, ``x.on_event`` of ``@x.on_event("startup")``: what
    registers a route or a handler if ``x`` is a router (a route's path starts with a slash)."""
    func = decorator.func if isinstance(decorator, ast.Call) else None
    if not isinstance(func, ast.Attribute) or func.attr not in {*ROUTE_METHODS, "on_event"}:
        return None
    first = decorator.args[0] if decorator.args else None  # type: ignore[union-attr]
    if isinstance(first, ast.JoinedStr) and func.attr != "on_event":
        return func  # f"{prefix}/items"
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return None
    return func if func.attr == "on_event" or first.value.startswith("/") else None


def _nested_registrations(project: Project, module: ModuleTable, found: _References) -> None:
    """Route and event decorators on functions nested in others (``create_app()`` defining its
    routes). One defined right in a module-level function or method, on a router the index can
    type there, and never named there but by its ``def`` (so FastAPI alone calls it) is an entry
    point, analysed with its closure's names; any other is reported."""
    for qualname, node in project.functions_by_module.get(module.name, []):
        if "@" not in module.lines(node.lineno + 1, node.end_lineno or node.lineno):
            continue  # no decorator in its body
        scope = None
        for inner in _walk(node):
            if inner is node or not isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            registering: list[tuple[ast.expr, str]] = []
            reported = False
            for decorator in inner.decorator_list:
                func = decorator.func if isinstance(decorator, ast.Call) else None
                if not isinstance(func, ast.Attribute) or func.attr not in {*ROUTE_METHODS, "on_event"}:
                    continue
                scope = scope or _scope_of(project, qualname)
                router = _router_value(scope, func.value)
                if router or (router is None and _registration_decorator(decorator) is not None):
                    where = Location(module.path, decorator.lineno)
                    label = f"{inner.name} (@{_text(func)}), registered inside {node.name}()"
                    why = "" if router else "is not followed"
                    why = why or _nested_obstacle(node, inner, scope)
                    if why:
                        found.unresolved.append((where, f"{label}, {why}"))
                        reported = True
                    else:
                        registering.append((decorator, "event" if func.attr == "on_event" else "route"))
            if registering and not reported:
                _add_nested(project, module, qualname, inner, registering, found)


def _nested_obstacle(
    enclosing: ast.FunctionDef | ast.AsyncFunctionDef,
    inner: ast.FunctionDef | ast.AsyncFunctionDef,
    scope: _Scope,
) -> str | None:
    """Why a route defined in ``enclosing`` can't be taken as an entry point: if it is
    converted, nothing but FastAPI may call it, and the analysis must see its whole closure."""
    if not any(child is inner for child in _own_nodes(enclosing.body)):
        return "is not followed (defined deeper than one function)"
    if scope.bindings.get(inner.name) != [None]:
        return f"is not followed ({inner.name} is bound more than once there)"
    for child in _walk(enclosing):
        if isinstance(child, ast.Name) and child.id in {inner.name, "locals", "vars"}:
            return f"is not followed ({child.id} is named there, line {child.lineno})"
    return None


def _add_nested(
    project: Project,
    module: ModuleTable,
    enclosing: str,
    inner: ast.FunctionDef | ast.AsyncFunctionDef,
    registering: list[tuple[ast.expr, str]],
    found: _References,
) -> None:
    """Record a nested route or handler as an entry point, under Python's name for it."""
    qualname = f"{enclosing}.<locals>.{inner.name}"
    project.function_nodes[qualname] = (module, inner, None)
    project.nested[qualname] = NestedRoute(enclosing, frozenset(id(d) for d, _ in registering))
    for _, kind in registering:
        found.entries.append((qualname, EntryPoint(kind, Location(module.path, inner.lineno))))


def _registration_candidates(project: Project, module: ModuleTable) -> Iterator[tuple[ast.AST, str | None]]:
    """The nodes of the top-level statements that can hold a registration, each with the project
    function (a module-level function or a method) it is in. A registration names ``Depends``,
    ``Security``, ``add_api_...``, ``dependency_overrides`` or a lifespan/event hook, or an
    import binds the name it uses to one of them (resolution follows imports only), so a
    statement whose text holds none of those words holds none."""
    words = (*_REGISTRATION_WORDS, *project.registration_aliases)
    for statement in reversed(module.tree.body):
        decorators = getattr(statement, "decorator_list", [])
        first = min([statement.lineno, *(decorator.lineno for decorator in decorators)])
        text = module.lines(first, statement.end_lineno or statement.lineno)
        if not any(word in text for word in words):
            continue
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield from _owned(_walk(statement), f"{module.name}.{statement.name}", statement)
        elif isinstance(statement, ast.ClassDef):
            qualname = f"{module.name}.{statement.name}"
            for child in statement.body:
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield from _owned(_walk(child), f"{qualname}.{child.name}", child)
                else:
                    yield from ((node, None) for node in _walk(child))
            yield from ((node, None) for node in [*statement.decorator_list, *_defaults(statement)])
        else:
            yield from ((node, None) for node in _walk(statement))


def _owned(
    nodes: Iterable[ast.AST], owner: str, definition: ast.FunctionDef | ast.AsyncFunctionDef
) -> Iterator[tuple[ast.AST, str | None]]:
    """A function's nodes: its decorators and defaults run in the enclosing scope, its body in its own."""
    outside = {
        id(node)
        for expression in [*definition.decorator_list, *_defaults(definition)]
        for node in _walk(expression)
    }
    for node in nodes:
        yield node, None if id(node) in outside else owner


def _is_router(project: Project, qualname: str) -> bool:
    """Whether ``qualname`` is an attribute of a router: a module global made by a router class,
    or typed as one (``app = create_app()``, annotated ``-> FastAPI``)."""
    owner = qualname.rpartition(".")[0]
    return (
        owner in project.routers
        or (owner.endswith(".router") and owner.removesuffix(".router") in project.routers)
        or (owner not in project.callback_routers and project.variable_type(owner) in project.router_classes)
    )


def _is_route_method(project: Project, qualname: str) -> bool:
    return qualname.rpartition(".")[2] in ROUTE_METHODS and _is_router(project, qualname)
