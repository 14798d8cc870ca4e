"""Name resolution across the modules of the project: imports and aliases, re-exports, classes
and their methods, and the types of module-level values, as far as static text allows.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass

from .. import orm
from ..catalog import ATTRIBUTES, HELD_ATTRIBUTES, HELD_MAPPINGS, SAFE_TYPES, VALUE_TYPES, Catalog, Treatment
from ..facts import Callee, ExternalCallee, ImportBinding, ProjectCallee, UnknownCallee
from .constants import (
    _BUILTIN_NAMES,
    APP_CLASSES,
    DATA,
    DEPENDENCY_MARKERS,
    ROUTE_REGISTRATIONS,
    THREAD_LOCALS,
)
from .scopes import _Scope
from .syntax import _dotted, _is_property
from .tables import ClassInfo, ModuleTable


@dataclass(frozen=True)
class NestedRoute:
    """A route or handler defined inside a setup function (``create_app()``): where it is
    defined, and which of its decorators register it (on a router local to that function)."""

    enclosing: str
    registering: frozenset[int]


class Project:
    """Name resolution across the modules of the analysed project."""

    def __init__(self, modules: dict[str, ModuleTable], catalog: Catalog) -> None:
        self.modules = modules
        self.catalog = catalog
        self.classes: dict[str, ClassInfo] = {}
        self.function_nodes: dict[
            str, tuple[ModuleTable, ast.FunctionDef | ast.AsyncFunctionDef, str | None]
        ] = {}
        self.nested: dict[str, NestedRoute] = {}
        """Routes and handlers defined inside a setup function, added to ``function_nodes`` as
        ``_fastapi_references`` finds them."""
        self._var_types: dict[str, str | None] = {}
        self._qualnames: dict[tuple[ast.expr, str], str | None] = {}
        for module in modules.values():
            for name, node in module.defs.items():
                qualname = f"{module.name}.{name}"
                if isinstance(node, ast.ClassDef):
                    self._add_class(module, node, qualname)
                else:
                    self.function_nodes[qualname] = (module, node, None)
        self.functions_by_module: dict[str, list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]] = {}
        for qualname, (owner, node, _) in self.function_nodes.items():
            self.functions_by_module.setdefault(owner.name, []).append((qualname, node))
        self.router_classes = APP_CLASSES | {q for q in self.classes if self.derives_from(q, APP_CLASSES)}
        """FastAPI, APIRouter and the project's subclasses of them (``class UserAPIRouter(APIRouter)``)."""
        routers = {
            f"{module.name}.{name}"
            for module in modules.values()
            for name, value in module.variables.items()
            if isinstance(value, ast.Call) and self.qualname(value.func, module) in self.router_classes
        }
        # a router whose routes only document callbacks (``callbacks=router.routes``) is never
        # served: its functions are not entry points
        self.callback_routers = self._callback_routers(routers)
        self.routers = routers - self.callback_routers
        self.thread_locals = {
            f"{module.name}.{name}"
            for module in modules.values()
            for name, value in module.variables.items()
            if isinstance(value, ast.Call)
            and self.derives_from(self.qualname(value.func, module), THREAD_LOCALS)
        }

    @functools.cached_property
    def registration_aliases(self) -> frozenset[str]:
        """Names the project's imports bind to ``Depends``, ``Security`` or a route registration,
        under a name of their own (``from fastapi import Depends as Need``)."""
        aliases = set()
        for module in self.modules.values():
            for local, (target, _) in module.imports.items():
                resolved = self.canonical(target)
                if resolved in DEPENDENCY_MARKERS or resolved.rpartition(".")[2] in ROUTE_REGISTRATIONS:
                    aliases.add(local)
        return frozenset(aliases)

    @functools.cached_property
    def relationships(self) -> dict[str, frozenset[str]]:
        """Mapped project class -> its relationship attributes (reading one may run a query)."""
        return orm.relationships(self)

    @functools.cached_property
    def relationship_names(self) -> frozenset[str]:
        """Every relationship attribute name: an attribute named otherwise is never one."""
        return frozenset().union(*self.relationships.values())

    @functools.cached_property
    def property_names(self) -> frozenset[str]:
        """The names of the project's ``@property``/``@cached_property`` methods: an attribute
        named otherwise is never one."""
        return frozenset(
            node.name for _, node, owner in self.function_nodes.values() if owner and _is_property(node)
        )

    def derives_from(self, qualname: str | None, bases: frozenset[str], depth: int = 0) -> bool:
        """Whether ``qualname`` is one of ``bases`` or a project class derived from one."""
        if qualname in bases:
            return True
        info = self.classes.get(qualname or "")
        return (
            info is not None
            and depth < 10
            and any(self.derives_from(b, bases, depth + 1) for b in info.bases)
        )

    def _callback_routers(self, routers: set[str]) -> set[str]:
        found: set[str] = set()
        for module in self.modules.values() if routers else ():
            if "callbacks" not in module.source.text:
                continue
            for node in ast.walk(module.tree):
                if isinstance(node, ast.keyword) and node.arg == "callbacks":
                    for inner in ast.walk(node.value):
                        if isinstance(inner, ast.Attribute) and inner.attr == "routes":
                            owner = self.qualname(inner.value, module)
                            if owner in routers:
                                found.add(owner)
        return found

    def _add_class(self, module: ModuleTable, node: ast.ClassDef, qualname: str) -> None:
        methods: dict[str, str] = {}
        fields: dict[str, ast.expr] = {}
        for statement in node.body:
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                methods[statement.name] = f"{qualname}.{statement.name}"
                self.function_nodes[f"{qualname}.{statement.name}"] = (module, statement, qualname)
            elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
                fields[statement.target.id] = statement.annotation
        # not remembered: the project's classes and functions are still being collected
        # a generic base (``Generic[T]``, ``Page[Item]``) is its class
        bases = [
            self._qualname(base.value if isinstance(base, ast.Subscript) else base, module)
            for base in node.bases
        ]
        self.classes[qualname] = ClassInfo(qualname, module, bases, methods, fields, node.lineno)

    # -- names --------------------------------------------------------------------------

    def qualname(self, node: ast.expr, module: ModuleTable) -> str | None:
        """The canonical dotted name of a global expression (``np.array``), else ``None``.

        Asked several times of each call's callee; remembered by node (the key holds the node,
        so its id can't be reused by another)."""
        key = (node, module.name)
        if key not in self._qualnames:
            self._qualnames[key] = self._qualname(node, module)
        return self._qualnames[key]

    def _qualname(self, node: ast.expr, module: ModuleTable) -> str | None:
        parts = _dotted(node)
        if parts is None:
            return None
        head, rest = parts[0], parts[1:]
        if head in module.imports:
            base = module.imports[head][0]
        elif head in module.defs or head in module.variables:
            base = f"{module.name}.{head}"
        elif head in _BUILTIN_NAMES:
            base = f"builtins.{head}"
        else:
            return None
        return self.canonical(".".join([base, *rest]))

    def canonical(self, qualname: str, depth: int = 0) -> str:
        """Follow re-exports: ``pkg.helper`` imported in ``pkg/__init__.py`` from ``pkg.util``."""
        if depth > 10 or qualname in self.function_nodes or qualname in self.classes:
            return qualname
        parts = qualname.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self.modules.get(".".join(parts[:cut]))
            if module is None:
                continue
            head, rest = parts[cut], parts[cut + 1 :]
            if head in module.imports and head not in module.defs:
                target = module.imports[head][0]
                return self.canonical(".".join([target, *rest]), depth + 1)
            return qualname
        return qualname

    def binding(self, node: ast.expr, module: ModuleTable) -> ImportBinding | None:
        parts = _dotted(node)
        if parts is None or parts[0] not in module.imports:
            return None
        return module.imports[parts[0]][1]

    # -- types --------------------------------------------------------------------------

    def annotation_type(self, node: ast.expr | None, module: ModuleTable, depth: int = 0) -> str | None:
        """The type an annotation promises, looking through ``Optional``/``Annotated``/``| None``."""
        if node is None:
            return None
        if isinstance(node, ast.Constant) and node.value is None:
            return "builtins.NoneType"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            members = {self.annotation_type(node.left, module), self.annotation_type(node.right, module)}
            members.discard("builtins.NoneType")
            return members.pop() if len(members) == 1 else None
        if isinstance(node, ast.Subscript):
            outer = self.qualname(node.value, module)
            inner = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if outer in {"typing.Annotated", "typing_extensions.Annotated"}:
                return self.annotation_type(inner[0], module)
            if outer in {"typing.Optional", "typing.Union"}:
                members = {self.annotation_type(item, module) for item in inner}
                members.discard("builtins.NoneType")
                return members.pop() if len(members) == 1 else None
            return self._type_name(outer)
        qualname = self.qualname(node, module)
        alias = self._type_alias(qualname)
        if alias is not None and depth < 10:
            return self.annotation_type(alias[1], alias[0], depth + 1)
        return self._type_name(qualname)

    def _type_alias(self, qualname: str | None) -> tuple[ModuleTable, ast.expr] | None:
        """``SessionDep = Annotated[Session, Depends(get_session)]``: the aliased annotation."""
        if qualname is None or qualname in self.classes:
            return None
        module_name, _, name = qualname.rpartition(".")
        module = self.modules.get(module_name)
        value = module.variables.get(name) if module else None
        if isinstance(value, (ast.Subscript, ast.BinOp)) and module is not None:
            return module, value
        return None

    def _type_name(self, qualname: str | None) -> str | None:
        if qualname is None:
            return None
        return {
            "typing.List": "builtins.list",
            "typing.Dict": "builtins.dict",
            "typing.Set": "builtins.set",
            "typing.Tuple": "builtins.tuple",
            "typing.Any": None,
        }.get(qualname, qualname)

    def class_alias(self, qualname: str) -> str | None:
        """The class a module variable names (``Page = RootModel[list[Item]]``, ``Model = Base``):
        a project class, or an external one, capitalised by convention; never a typing form."""
        module_name, _, name = qualname.rpartition(".")
        module = self.modules.get(module_name)
        value = module.variables.get(name) if module else None
        if isinstance(value, ast.Subscript):
            value = value.value
        if module is None or not isinstance(value, (ast.Name, ast.Attribute)):
            return None
        target = self.qualname(value, module)
        if target is None or target in self.classes:
            return target
        owner, _, last = target.rpartition(".")
        external = owner not in self.modules and owner.partition(".")[0] not in {
            "typing",
            "typing_extensions",
        }
        return target if external and last[:1].isupper() else None

    def variable_type(self, qualname: str) -> str | None:
        if qualname in self._var_types:
            return self._var_types[qualname]
        self._var_types[qualname] = None
        module_name, _, name = qualname.rpartition(".")
        module = self.modules.get(module_name)
        if module is None or name not in module.variables:
            return None
        scope = _Scope(self, module, None, {})
        result = scope.type_of(module.variables[name])
        self._var_types[qualname] = result
        return result

    def method(self, type_name: str, name: str) -> Callee:
        """The callee for ``<value of type_name>.name(...)``, searching project class bases."""
        seen: set[str] = set()
        pending = [type_name]
        while pending:
            current = pending.pop(0)
            if current in seen:
                continue
            seen.add(current)
            info = self.classes.get(current)
            if info is None:
                return ExternalCallee(f"{current}.{name}")
            if name in info.methods:
                return ProjectCallee(info.methods[name])
            if name in info.fields:
                return UnknownCallee(f"calls the attribute {name!r} of {current}")
            for base in info.bases:
                if base is None:
                    return UnknownCallee(f"{current} has a base class the index cannot name")
                pending.append(base)
        return ExternalCallee(f"builtins.object.{name}")

    def field_type(self, type_name: str, name: str) -> str | None:
        info = self.classes.get(type_name)
        if info is None:
            if f"{type_name}.{name}" in ATTRIBUTES:
                return ATTRIBUTES[f"{type_name}.{name}"]
            if type_name in SAFE_TYPES or type_name in VALUE_TYPES or type_name == DATA:
                return DATA
            if name in HELD_ATTRIBUTES and self.catalog.in_safe_module(type_name):
                return HELD_ATTRIBUTES[name]
            # an attribute of a framework object (request.scope) stays in its safe module
            return f"{type_name}.{name}" if self.catalog.in_safe_module(type_name) else None
        if name in info.fields:
            return self.annotation_type(info.fields[name], info.module)
        for base in info.bases:
            if base in self.classes:
                found = self.field_type(base, name)
                if found:
                    return found
        return None

    def constructor(self, class_qualname: str) -> Callee:
        """What runs when a project class is instantiated: its ``__init__`` or its bases'."""
        callee = self.method(class_qualname, "__init__")
        if isinstance(callee, ExternalCallee) and callee.qualname == "builtins.object.__init__":
            return ExternalCallee("builtins.object")
        if isinstance(callee, ExternalCallee):
            return ExternalCallee(callee.qualname.removesuffix(".__init__"))
        return callee

    def return_type(self, callee: Callee) -> str | None:
        if isinstance(callee, ProjectCallee):
            if callee.qualname in self.classes:
                return callee.qualname
            found = self.function_nodes.get(callee.qualname)
            if found is None:
                return None
            module, node, _ = found
            return self.annotation_type(node.returns, module)
        if isinstance(callee, ExternalCallee):
            name = callee.qualname
            if name.rpartition(".")[0] in HELD_MAPPINGS:
                return None
            if name.startswith("builtins."):
                return name if name in SAFE_TYPES else DATA
            entry = self.catalog.lookup(name)
            if entry is None:
                return None
            if entry.returns:
                return entry.returns
            if entry.treatment in {Treatment.THREADPOOL, Treatment.CPU}:
                return DATA
            if entry.treatment is Treatment.SAFE:
                # a catalogued function returns plain data, and so does a method of a type whose
                # methods are all safe (str.upper, Select.limit); a function of a safe module
                # returns an object of that module, whose methods are safe too (getLogger())
                plain = name in self.catalog.calls or name.rpartition(".")[0] in SAFE_TYPES
                if plain:
                    return DATA
                # a class (by convention, capitalised) makes instances of itself: Client().get is
                # Client.get; a function of a safe module returns one of that module's objects
                return name if name.rpartition(".")[2][:1].isupper() else f"{name}()"
        return None
