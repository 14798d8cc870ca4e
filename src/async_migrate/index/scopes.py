"""The names one function binds and the types of its local values where they are evident
(literals, annotations, constructors, catalog return types), resolved the way Python would.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..catalog import HELD_ATTRIBUTES, INSTANCE_OF_FIRST_ARGUMENT, SAFE_TYPES
from ..facts import Callee, ExternalCallee, ImportBinding, LocalCallee, ProjectCallee, UnknownCallee
from .constants import DATA, THREADPOOL_RUNNERS, TYPE_ALIAS
from .syntax import _dotted, _text
from .tables import ModuleTable, _imported

if TYPE_CHECKING:
    from .names import Project  # names resolves through scopes


class _Scope:
    """Name resolution and type inference inside one function (or at module level)."""

    def __init__(
        self,
        project: Project,
        module: ModuleTable,
        function: ast.FunctionDef | ast.AsyncFunctionDef | None,
        bindings: dict[str, list[ast.expr | None]],
        class_qualname: str | None = None,
        local_functions: frozenset[str] = frozenset(),
    ) -> None:
        self.project = project
        self.local_functions = local_functions
        """Names bound only to functions defined in this one: their bodies are judged in place."""
        self.module = module
        self.function = function
        self.bindings = bindings
        self.class_qualname = class_qualname
        self._types: dict[str, str | None] = {}
        self.imports = self._local_imports()
        """Names bound only by the function's own imports, each to one name: resolved as a
        module's imports are."""

    def _local_imports(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, values in self.bindings.items():
            statements = [value.statement for value in values if isinstance(value, _Imported)]
            if statements and len(statements) == len(values):
                targets = {
                    target
                    for statement in statements
                    for local, target, binding in _imported(statement, self.module)
                    if local == name and binding is not None
                }
                if len(targets) == 1:
                    found[name] = targets.pop()
        return found

    def is_local(self, name: str) -> bool:
        """A name bound in the function by anything but its own imports."""
        return name in self.bindings and name not in self.imports

    def qualname(self, node: ast.expr) -> str | None:
        """``Project.qualname`` seen from inside the function: its own imports first, and none
        for the other names it binds."""
        parts = _dotted(node)
        if parts is None or parts[0] not in self.bindings:
            return self.project.qualname(node, self.module)
        target = self.imports.get(parts[0])
        return None if target is None else self.project.canonical(".".join([target, *parts[1:]]))

    def binding(self, node: ast.expr) -> ImportBinding | None:
        """The module-level import a call's name comes from (a function's own imports stay)."""
        parts = _dotted(node)
        return None if parts and parts[0] in self.bindings else self.project.binding(node, self.module)

    def local_type(self, name: str) -> str | None:
        if name in self._types:
            return self._types[name]
        self._types[name] = None
        types = {self.binding_type(value) for value in self.bindings[name]}
        result = types.pop() if len(types) == 1 else _plain(types)
        self._types[name] = result
        return result

    def binding_type(self, value: ast.expr | None) -> str | None:
        if value is None:
            return None
        if isinstance(value, _Annotated):
            return self.project.annotation_type(value.annotation, self.module)
        if isinstance(value, _Element):
            return self.element_type(value.iterable)
        if isinstance(value, _Self):
            return self.class_qualname
        return self.type_of(value)

    def type_of(self, node: ast.expr) -> str | None:
        """The type of an expression's value when it is evident, else ``None``."""
        if isinstance(node, ast.Constant):
            return f"builtins.{type(node.value).__name__}"
        if isinstance(node, ast.JoinedStr):
            return "builtins.str"
        literal_types = {
            ast.List: "builtins.list",
            ast.ListComp: "builtins.list",
            ast.Tuple: "builtins.tuple",
            ast.Dict: "builtins.dict",
            ast.DictComp: "builtins.dict",
            ast.Set: "builtins.set",
            ast.SetComp: "builtins.set",
        }
        for kind, name in literal_types.items():
            if isinstance(node, kind):
                return name
        if isinstance(node, ast.Name):
            if self.is_local(node.id):
                return self.local_type(node.id)
            qualname = self.qualname(node)
            if qualname in self.project.classes:
                return None
            if qualname and qualname.rpartition(".")[0] in self.project.modules:
                return self.project.variable_type(qualname)
            return None
        if isinstance(node, ast.Attribute):
            owner = self.type_of(node.value)
            return self.project.field_type(owner, node.attr) if owner else None
        if isinstance(node, ast.Subscript):
            owner = self.type_of(node.value)
            return DATA if owner in SAFE_TYPES or owner == DATA else None
        if isinstance(node, ast.BinOp):
            left = self.type_of(node.left)
            if left == "pathlib.Path" and isinstance(node.op, ast.Div):
                return left
            return left if left in SAFE_TYPES or left == DATA else None
        if isinstance(node, ast.Await) and isinstance(node.value, ast.Call):
            return self._offloaded_result_type(node.value)
        if isinstance(node, ast.Call):
            constructed = self.qualname(node.func)
            if constructed in self.project.classes:
                return constructed
            returned = self.project.return_type(self.callee(node))
            if returned == INSTANCE_OF_FIRST_ARGUMENT:
                given = self.qualname(node.args[0]) if node.args else None
                return given if given in self.project.classes else None
            return returned
        if isinstance(node, ast.IfExp):
            body, orelse = self.type_of(node.body), self.type_of(node.orelse)
            return body if body == orelse else _plain({body, orelse})
        if isinstance(node, ast.BoolOp):  # ``name or ""``: one of its operands
            types = {self.type_of(value) for value in node.values}
            return types.pop() if len(types) == 1 else _plain(types)
        if isinstance(node, ast.Compare):  # ``is`` and ``in`` give a bool; the others may be overloaded
            if all(isinstance(op, (ast.Is, ast.IsNot, ast.In, ast.NotIn)) for op in node.ops):
                return "builtins.bool"
            return "builtins.bool" if _plain({self.type_of(node.left)}) else None
        if isinstance(node, ast.UnaryOp):
            return "builtins.bool" if isinstance(node.op, ast.Not) else _plain({self.type_of(node.operand)})
        return None

    def _unknown_method(self, func: ast.Attribute) -> UnknownCallee:
        holder = self.held_by_framework(func.value)
        if holder is None:
            return UnknownCallee(f"method {func.attr!r} of a value whose type is unknown", func.attr)
        value = _text(func.value)
        return UnknownCallee(
            f"method {func.attr!r} of {value}, an object the service keeps on {holder}: its type is unknown",
            func.attr,
        )

    def held_by_framework(self, node: ast.expr) -> str | None:
        """The framework attribute (``request.app``, ``request.state``...) that ``node`` is read
        through, if any: what the service stores there is its own, of unknown type."""
        while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
            inner = node.func if isinstance(node, ast.Call) else node.value
            if isinstance(node, ast.Attribute) and node.attr in HELD_ATTRIBUTES:
                owner = self.type_of(inner)
                if owner and owner not in self.project.classes and self.project.catalog.in_safe_module(owner):
                    return _text(node)
            node = inner
        return None

    def _offloaded_result_type(self, call: ast.Call) -> str | None:
        """``await run_in_threadpool(fn, *args)`` has the type of ``fn(*args)``."""
        if self.qualname(call.func) not in THREADPOOL_RUNNERS or not call.args:
            return None
        target = call.args[0]
        if isinstance(target, ast.Lambda):
            return self.type_of(target.body)
        return self.type_of(ast.Call(func=target, args=call.args[1:], keywords=call.keywords))

    def element_type(self, iterable: ast.expr) -> str | None:
        """The type of the items a ``for`` takes from ``iterable``."""
        container = self.type_of(iterable)
        return DATA if container in SAFE_TYPES or container == DATA else None

    def callee(self, call: ast.Call) -> Callee:
        func = call.func
        if isinstance(func, ast.Name) and self.is_local(func.id):
            if func.id in self.local_functions:
                return LocalCallee(func.id)
            return UnknownCallee(f"calls the local value {func.id!r}")
        if isinstance(func, ast.Attribute):
            if isinstance(func.value, ast.Name) and self.is_local(func.value.id):
                owner = self.local_type(func.value.id)
                if owner is None:
                    why = f"method {func.attr!r} of {func.value.id!r}, whose type is unknown"
                    return UnknownCallee(why, func.attr)
                return self.project.method(owner, func.attr)
            if not isinstance(func.value, (ast.Name, ast.Attribute)) or _dotted(func.value) is None:
                owner = self.type_of(func.value)
                if owner is None:
                    return self._unknown_method(func)
                return self.project.method(owner, func.attr)
        qualname = self.qualname(func)
        if qualname is None:
            if isinstance(func, ast.Attribute):
                owner = self.type_of(func.value)
                if owner is not None:
                    return self.project.method(owner, func.attr)
                if self.held_by_framework(func.value):
                    return self._unknown_method(func)
                return UnknownCallee("the callee cannot be named", func.attr)
            return UnknownCallee("the callee cannot be named")
        if qualname in self.project.function_nodes:
            return ProjectCallee(qualname)
        if qualname in self.project.classes:
            return self.project.constructor(qualname)
        owner_name, _, attr = qualname.rpartition(".")
        if owner_name in self.project.classes:
            return self.project.method(owner_name, attr)
        if owner_name.rpartition(".")[0] in self.project.modules or owner_name in self.project.modules:
            if owner_name in self.project.modules:
                aliased = self.project.class_alias(qualname)
                if aliased is None:
                    # a module variable holding a callable object the catalog knows (a sessionmaker)
                    called = self.project.variable_type(qualname)
                    if called is not None and f"{called}.__call__" in self.project.catalog.calls:
                        return ExternalCallee(f"{called}.__call__")
                    return UnknownCallee(f"{qualname} is not a function the index knows")
                if aliased in self.project.classes:
                    return self.project.constructor(aliased)
                return ExternalCallee(aliased)
            aliased = self.project.class_alias(owner_name)
            if aliased is not None:
                return self.project.method(aliased, attr)
            owner = self.project.variable_type(owner_name)
            if owner is None:
                return UnknownCallee(f"method {attr!r} of {owner_name}, whose type is unknown", attr)
            return self.project.method(owner, attr)
        return ExternalCallee(qualname)


_BINDING_NODES = frozenset(
    {
        ast.Global,
        ast.Nonlocal,
        ast.Assign,
        ast.AnnAssign,
        ast.AugAssign,
        ast.NamedExpr,
        ast.For,
        ast.AsyncFor,
        ast.comprehension,
        ast.withitem,
        ast.ExceptHandler,
        ast.Import,
        ast.ImportFrom,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        *TYPE_ALIAS,
    }
)
"""The node types ``_function_bindings`` looks at."""


def _plain(types: set[str | None]) -> str | None:
    """``DATA`` when each of the types a value may have is a plain value type (``None``, a str,
    a list, parsed data), whose methods never block; else unknown."""
    return DATA if types and all(t in SAFE_TYPES or t == DATA for t in types) else None


def _function_bindings(
    function: ast.FunctionDef | ast.AsyncFunctionDef, own: list[ast.AST]
) -> tuple[dict[str, list[ast.expr | None]], set[str], set[str]]:
    """Local names of a function with the expressions bound to them (``None``: unknown value)."""
    bindings: dict[str, list[ast.expr | None]] = {}
    declared_global: set[str] = set()
    declared_nonlocal: set[str] = set()
    args = function.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        bindings.setdefault(arg.arg, []).append(
            None if arg.annotation is None else _Annotated(arg.annotation)
        )
    for arg in (args.vararg, args.kwarg):
        if arg is not None:
            bindings.setdefault(arg.arg, []).append(None)
    for node in own:
        if type(node) not in _BINDING_NODES:
            continue  # one lookup for the many nodes (names, calls, constants) that bind nothing
        if isinstance(node, ast.Global):
            declared_global.update(node.names)
        elif isinstance(node, ast.Nonlocal):
            declared_nonlocal.update(node.names)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                _bind_target(bindings, target, node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            bindings.setdefault(node.target.id, []).append(_Annotated(node.annotation))
        elif isinstance(node, TYPE_ALIAS):
            bindings.setdefault(node.name.id, []).append(node.value)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            bindings.setdefault(node.target.id, [])
        elif isinstance(node, ast.NamedExpr):
            bindings.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            _bind_target(bindings, node.target, _Element(node.iter))
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            # most context managers return themselves from __enter__ (files, connections)
            _bind_target(bindings, node.optional_vars, node.context_expr)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bindings.setdefault(node.name, []).append(None)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                local = (alias.asname or alias.name).partition(".")[0]
                bindings.setdefault(local, []).append(_Imported(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bindings.setdefault(node.name, []).append(None)
    for name in declared_global | declared_nonlocal:
        bindings.pop(name, None)
    return bindings, declared_global, declared_nonlocal


class _Annotated(ast.expr):
    """Marks a binding whose type is given by an annotation rather than a value."""

    def __init__(self, annotation: ast.expr) -> None:
        super().__init__()
        self.annotation = annotation


class _Imported(ast.expr):
    """Marks a binding made by an import statement of the function itself."""

    def __init__(self, statement: ast.Import | ast.ImportFrom) -> None:
        super().__init__()
        self.statement = statement


class _Self(ast.expr):
    """Marks the ``self``/``cls`` parameter of a method: its type is the enclosing class."""


class _Element(ast.expr):
    """Marks a binding to the items of an iterable (a ``for`` target)."""

    def __init__(self, iterable: ast.expr) -> None:
        super().__init__()
        self.iterable = iterable


def _bind_target(
    bindings: dict[str, list[ast.expr | None]], target: ast.expr, value: ast.expr | None
) -> None:
    if isinstance(target, ast.Name):
        bindings.setdefault(target.id, []).append(value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        element = value if isinstance(value, _Element) else None
        for item in target.elts:
            _bind_target(bindings, item.value if isinstance(item, ast.Starred) else item, element)
