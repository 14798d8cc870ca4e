"""One function's facts: its scope, calls, with-blocks, decorators and response model, put
together from the passes that each look at one side of it.
"""

from __future__ import annotations

import ast

from ..catalog import SAFE_TYPES, Treatment
from ..facts import Decorator, ExternalCallee, FunctionFact, LazyLoad, Location, Span, WithFact
from .blocks import _BlockAnalysis, _generator_obstacle
from .calls import _CallCollector
from .constants import TRANSPARENT_DECORATORS
from .entrypoints import _decorator_kind, _is_route_method, _scope_of
from .names import Project
from .scopes import _function_bindings, _Imported, _Scope, _Self
from .syntax import _has_decorator, _keyword, _own_nodes, _text, _with_nested
from .tables import ModuleTable


def _scan_function(
    project: Project,
    module: ModuleTable,
    qualname: str,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    class_qualname: str | None,
) -> tuple[FunctionFact, list[tuple[str, Location]]]:
    own = list(_own_nodes(node.body))
    bindings, declared_global, declared_nonlocal = _function_bindings(node, own)
    if class_qualname and node.args.args and not _has_decorator(node, "staticmethod"):
        bindings[node.args.args[0].arg] = [_Self()]
    nested = project.nested.get(qualname)
    if nested is not None:
        _add_enclosing_bindings(bindings, declared_global, _scope_of(project, nested.enclosing).bindings)
    local_functions = frozenset(
        child.name
        for child in own
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and bindings.get(child.name) == [None]
    )
    scope = _Scope(project, module, node, bindings, class_qualname, local_functions)
    is_generator, generator_obstacle = _generator_obstacle(own)
    blocks = _BlockAnalysis(node, own, declared_global, declared_nonlocal, is_generator)
    with_spans: dict[int, Span] = {}
    withs: list[WithFact] = []
    for child in own:
        if isinstance(child, ast.With) and _holds_resource(scope, child):
            span = module.columns.start(child)
            with_spans[id(child)] = span
            withs.append(blocks.analyse(child, span))
    collector = _CallCollector(scope, module, with_spans)
    collector.collect(node.body, awaitable=True, reachable=_with_nested(own))
    returned = node.returns.value if isinstance(node.returns, ast.Subscript) else node.returns
    fact = FunctionFact(
        qualname=qualname,
        name=node.name,
        path=module.path,
        module=module.name,
        span=module.columns.start(node),
        end_line=node.end_lineno or node.lineno,
        is_async=isinstance(node, ast.AsyncFunctionDef),
        is_generator=is_generator,
        generator_obstacle=generator_obstacle,
        decorators=[
            _decorator(project, module, d, nested is not None and id(d) in nested.registering)
            for d in node.decorator_list
        ],
        returns=project.qualname(returned, module) if returned is not None else None,
        returns_binding=project.binding(returned, module) if isinstance(returned, ast.Name) else None,
        class_name=class_qualname,
        calls=collector.with_http_sites(),
        withs=withs,
        thread_locals=tuple(sorted(collector.thread_locals)),
        lazy_loads=(*collector.lazy_loads, *_response_lazy_loads(project, module, scope, node, own)),
        skip=node.lineno in module.skip_lines,
        names=frozenset(bindings),
        module_names=module.global_names,
    )
    return fact, collector.value_refs


def _response_lazy_loads(
    project: Project,
    module: ModuleTable,
    scope: _Scope,
    node: ast.FunctionDef | ast.AsyncFunctionDef,
    own: list[ast.AST],
) -> list[LazyLoad]:
    """A route returning a mapped instance whose response model has a field named like one of
    its relationships: FastAPI reads that relationship while validating the response, on the
    loop once the route is ``async def``. A model the index can't see may have such a field."""
    if not project.relationships:
        return []
    model = _response_model(project, module, node)
    if model is None:
        return []
    found = []
    for child in own:
        if isinstance(child, ast.Return) and child.value is not None:
            returned = scope.type_of(child.value)
            relationships = project.relationships.get(returned or "", frozenset())
            fields = _model_fields(project, module, model)
            read = relationships if fields is None else relationships & fields
            if read:
                what = f"the response model {_text(model)} reads {returned.rpartition('.')[2]}.{min(read)}"
                found.append(LazyLoad(child.lineno, what))
    return found


def _response_model(
    project: Project, module: ModuleTable, node: ast.FunctionDef | ast.AsyncFunctionDef
) -> ast.expr | None:
    """The ``response_model=`` of the function's route decorator, else its return annotation
    (FastAPI's order); ``None`` when FastAPI validates nothing."""
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            target = project.qualname(decorator.func, module)
            model = _keyword(decorator, "response_model")
            if target and _is_route_method(project, target) and model is not None:
                return None if isinstance(model, ast.Constant) and model.value is None else model
    return node.returns


def _model_fields(
    project: Project, module: ModuleTable, model: ast.expr, depth: int = 0
) -> frozenset[str] | None:
    """The field names of a response model (through ``list[...]``, ``Optional[...]``, unions);
    ``None`` when some class of it is not the project's, so its fields are unknown."""
    if isinstance(model, ast.Constant) and model.value is None:
        return frozenset()
    if isinstance(model, ast.BinOp):
        left = _model_fields(project, module, model.left, depth + 1)
        right = _model_fields(project, module, model.right, depth + 1)
        return None if left is None or right is None else left | right
    if isinstance(model, ast.Subscript):
        items = model.slice.elts if isinstance(model.slice, ast.Tuple) else [model.slice]
        outer = project.qualname(model.value, module) or ""
        if outer in {"typing.Annotated", "typing_extensions.Annotated"}:
            items = items[:1]
        if outer in project.classes:  # a generic model of the project: its fields, then its parameters
            fields = _class_fields(project, outer)
        elif outer.partition(".")[0] in {"typing", "typing_extensions", "builtins", "collections"}:
            fields = frozenset()
        else:
            return None
        for item in items:
            found = _model_fields(project, module, item, depth + 1)
            if found is None:
                return None
            fields |= found
        return fields
    qualname = project.qualname(model, module)
    alias = project._type_alias(qualname)
    if alias is not None and depth < 10:
        return _model_fields(project, alias[0], alias[1], depth + 1)
    if qualname in project.classes:
        return _class_fields(project, qualname) - project.relationships.get(qualname, frozenset())
    if qualname == "typing.Any" or qualname in SAFE_TYPES:
        return frozenset()
    return None


def _class_fields(project: Project, qualname: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
    info = project.classes[qualname]
    fields = frozenset(info.fields)
    for base in info.bases:
        if base in project.classes and base not in seen:
            fields |= _class_fields(project, base, seen | {qualname})
    return fields


def _holds_resource(scope: _Scope, statement: ast.With) -> bool:
    """A ``with`` around a blocking resource: the only kind that may move to the threadpool, or
    around a database session (``--db-session async``), which becomes ``async with``."""
    for item in statement.items:
        if isinstance(item.context_expr, ast.Call):
            callee = scope.callee(item.context_expr)
            if isinstance(callee, ExternalCallee):
                entry = scope.project.catalog.lookup(callee.qualname)
                if entry is not None and entry.treatment in (Treatment.RESOURCE, Treatment.DB):
                    return True
    return False


def _add_enclosing_bindings(
    bindings: dict[str, list[ast.expr | None]],
    declared_global: set[str],
    enclosing: dict[str, list[ast.expr | None]],
) -> None:
    """Give a nested function the names its enclosing function binds (its closure): their own
    imports resolve as there, any other value is unknown, so a free name never resolves to a
    module global the enclosing function shadows."""
    for name, values in enclosing.items():
        if name not in bindings and name not in declared_global:
            imported = values and all(isinstance(value, _Imported) for value in values)
            bindings[name] = list(values) if imported else [None]


def _decorator(project: Project, module: ModuleTable, node: ast.expr, registers: bool = False) -> Decorator:
    """``registers``: the decorator is known to register the function on a router (one the
    module-level resolution can't see, local to a setup function)."""
    qualname = project.qualname(node.func if isinstance(node, ast.Call) else node, module)
    kind = "other"
    if qualname in TRANSPARENT_DECORATORS:
        kind = "transparent"
    elif registers or _decorator_kind(project, module, node):
        kind = "route"  # registers the function (a route or an event handler)
    return Decorator(qualname, _text(node), kind)
