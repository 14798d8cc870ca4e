"""One fast pass over the project with stdlib ``ast``: who defines what, who calls what.

The index turns source into facts (``facts.py``) and makes no decision. It resolves names the
way Python would at run time, as far as static text allows: imports and aliases, re-exports in
``__init__.py``, module globals, classes and their methods, and the types of local values where
they are evident (literals, annotations, constructors, catalog return types). Whatever it
cannot name it reports as unknown, never as safe.

Its type tests take tuples, never ``A | B``: a union is built anew at each test, which cost 4 %
of a run's instructions.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import gc
import io
import os
import re
import tokenize
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import grammar, httpmap, orm
from .catalog import (
    ATTRIBUTES,
    CALLS_ITS_ARGUMENTS,
    HELD_ATTRIBUTES,
    HELD_MAPPINGS,
    SAFE_TYPES,
    VALUE_TYPES,
    Catalog,
    Treatment,
)
from .deep import tree_depth
from .facts import (
    Callee,
    CallerRef,
    CallFact,
    Decorator,
    EntryPoint,
    ExternalCallee,
    FunctionFact,
    HandlerFact,
    HttpFact,
    ImportBinding,
    LazyLoad,
    LocalCallee,
    Location,
    ProjectCallee,
    Span,
    UnknownCallee,
    WithFact,
)
from .http_calls import HttpCallAnalysis, error_uses, parent_map, remote_handlers
from .source import SourceError, SourceFile, split_lines

DATA = "builtins.object"
"""The type of plain values (parsed JSON, lists, stat results): their methods never block."""

ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket"}
)
ROUTE_REGISTRATIONS = frozenset({"add_api_route", "add_api_websocket_route"})
APP_CLASSES = frozenset(
    {"fastapi.FastAPI", "fastapi.applications.FastAPI", "fastapi.APIRouter", "fastapi.routing.APIRouter"}
)
DEPENDENCY_MARKERS = frozenset(
    {
        "fastapi.Depends",
        "fastapi.Security",
        "fastapi.params.Depends",
        "fastapi.params.Security",
        "fastapi.param_functions.Depends",
        "fastapi.param_functions.Security",
    }
)
THREAD_LOCALS = frozenset({"threading.local", "_threading_local.local"})
TRANSPARENT_DECORATORS = frozenset({"builtins.staticmethod", "builtins.classmethod"})
STREAMING_RESPONSES = frozenset(
    {"fastapi.responses.StreamingResponse", "starlette.responses.StreamingResponse"}
)
"""Responses that iterate a sync iterator in the threadpool, one ``next()`` per hop."""
THREADPOOL_RUNNERS = frozenset(
    {
        "fastapi.concurrency.run_in_threadpool",
        "starlette.concurrency.run_in_threadpool",
        "anyio.to_thread.run_sync",
        "asyncio.to_thread",
    }
)
"""Functions that call their first argument in a worker thread: what they run is off the loop."""
PARTIALS = frozenset({"functools.partial", "functools.cmp_to_key"})
"""Wrap a callable: calling the result calls the callable."""
KEY_MAKERS = frozenset({"operator.itemgetter", "operator.attrgetter"})
"""Make a key function that only reads items or attributes."""
_BUILTIN_NAMES = frozenset(dir(builtins))
_TRY_STATEMENTS = (ast.Try, getattr(ast, "TryStar", ast.Try))  # try/except* is Python 3.11+
# ``type X = v`` (Python 3.12+ reads it natively; older ones read the lowered ``X = v``)
TYPE_ALIAS: tuple[type[ast.stmt], ...] = tuple(filter(None, [getattr(ast, "TypeAlias", None)]))
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SKIP = re.compile(r"#\s*async-migrate:\s*skip\b")


def module_name_for(path: Path) -> str:
    """The dotted name Python would import ``path`` as, from the package layout on disk."""
    package = _package_of(str(path.parent))
    name = "" if path.name == "__init__.py" else path.stem
    return ".".join(part for part in (package, name) if part) or path.stem


@functools.cache
def _package_of(folder: str) -> str:
    """The dotted package name of a folder ("" when it is not a package)."""
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return ""
    parent = os.path.dirname(folder)
    outer = _package_of(parent) if parent != folder else ""
    name = os.path.basename(folder)
    return f"{outer}.{name}" if outer else name


class _Columns:
    """Converts ``ast``'s UTF-8 byte columns to the character columns libcst uses."""

    def __init__(self, text: str) -> None:
        self._ascii = text.isascii()
        self._lines = None if self._ascii else split_lines(text)

    def span(self, node: ast.expr | ast.stmt) -> Span:
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset if node.end_col_offset is not None else node.col_offset
        return Span(
            node.lineno, self.col(node.lineno, node.col_offset), end_line, self.col(end_line, end_col)
        )

    def start(self, node: ast.stmt) -> Span:
        column = self.col(node.lineno, node.col_offset)
        return Span(node.lineno, column, node.lineno, column)

    def col(self, line: int, byte_col: int) -> int:
        if self._ascii or self._lines is None:
            return byte_col
        return len(self._lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace"))


@dataclass
class ModuleTable:
    """What a module binds at top level, as the index needs it for name resolution."""

    name: str
    source: SourceFile
    tree: ast.Module
    columns: _Columns
    is_package: bool
    imports: dict[str, tuple[str, ImportBinding]] = field(default_factory=dict)
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef] = field(default_factory=dict)
    variables: dict[str, ast.expr] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)
    """Modules imported with ``from m import *``, whose names ``_expand_star_imports`` binds."""

    @property
    def path(self) -> Path:
        return self.source.path

    @functools.cached_property
    def identifiers(self) -> frozenset[str]:
        """Every identifier-like word of the source, for cheap "does it mention f?" checks."""
        return frozenset(_IDENTIFIER.findall(self.source.text))

    @functools.cached_property
    def lazy_annotations(self) -> bool:
        """``from __future__ import annotations``: no annotation of the module is evaluated."""
        return any(
            isinstance(statement, ast.ImportFrom)
            and statement.module == "__future__"
            and any(alias.name == "annotations" for alias in statement.names)
            for statement in self.tree.body
        )

    @functools.cached_property
    def skip_lines(self) -> frozenset[int]:
        """Lines carrying a ``# async-migrate: skip`` comment (comments only, not strings)."""
        if "async-migrate" not in self.source.text:
            return frozenset()
        lines: set[int] = set()
        try:
            for token in tokenize.generate_tokens(io.StringIO(self.source.text).readline):
                if token.type == tokenize.COMMENT and _SKIP.match(token.string):
                    lines.add(token.start[0])
        except (tokenize.TokenError, SyntaxError):
            pass
        return frozenset(lines)

    @functools.cached_property
    def global_names(self) -> frozenset[str]:
        """Every name bound at module level (asked once the star imports are expanded)."""
        return frozenset(self.defs).union(self.imports, self.variables)

    @functools.cached_property
    def _lines(self) -> list[str]:
        return split_lines(self.source.text)

    def identifiers_in(self, node: ast.stmt) -> frozenset[str]:
        """The identifier-like words of the lines a statement spans."""
        return frozenset(_IDENTIFIER.findall(self.lines(node.lineno, node.end_lineno or node.lineno)))

    def lines(self, first: int, last: int) -> str:
        """The text of lines ``first`` to ``last``, both included."""
        return "".join(self._lines[first - 1 : last])


@dataclass
class ClassInfo:
    qualname: str
    module: ModuleTable
    bases: list[str | None]
    methods: dict[str, str]
    fields: dict[str, ast.expr]
    line: int


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
    middleware, around ``yield`` in a dependency (``http_calls.remote_handlers``)."""
    unresolved: list[tuple[Location, str]] = field(default_factory=list)
    """Route, event and lifespan registrations the index can't follow to a project function or
    a router, with why: reported, so that no entry point is missed silently."""
    _name_uses: dict[Path, Counter[str]] = field(default_factory=dict)

    @functools.cached_property
    def _by_path(self) -> dict[Path, ModuleTable]:
        return {module.path: module for module in self.modules.values()}

    def module_at(self, path: Path) -> ModuleTable | None:
        return self._by_path.get(path)

    def used_beyond(self, path: Path, name: str, rewritten: int) -> bool:
        """Whether a module uses ``name`` (``__all__`` entries included) more than ``rewritten``
        times. The text answers first, without walking the tree: each use is a word of it that
        no import statement holds, so the words outside imports bound the uses."""
        module = self.module_at(path)
        assert module is not None, path
        words = len(re.findall(rf"(?<!\w){re.escape(name)}(?!\w)", module.source.text))
        in_imports = sum(
            _import_words(statement).count(name)
            for statement in _top_level_statements(module.tree.body)
            if isinstance(statement, (ast.Import, ast.ImportFrom))
        )
        return words - in_imports > rewritten and self._name_uses_in(module)[name] > rewritten

    def _name_uses_in(self, module: ModuleTable) -> Counter[str]:
        """How often each name occurs in a module (``__all__`` entries included), counted once."""
        path = module.path
        if path not in self._name_uses:
            tree = module.tree
            counts = Counter(node.id for node in _walk(tree) if isinstance(node, ast.Name))
            exported = tree.body and [
                node.value
                for statement in tree.body
                if isinstance(statement, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__all__" for t in statement.targets)
                for node in ast.walk(statement.value)
                if isinstance(node, ast.Constant) and isinstance(node.value, str)
            ]
            counts.update(exported or [])
            self._name_uses[path] = counts
        return self._name_uses[path]


def parse_module(source: SourceFile) -> ast.Module:
    """The module's tree; ``build_index`` silences the warnings (invalid escapes and the like
    are the user's business, not noise for our output) once for all files."""
    try:
        return grammar.parse(source.text, filename=str(source.path))
    except SyntaxError as exc:
        raise SourceError(source.path, f"cannot parse: {exc.msg}", exc.lineno or _null_line(source)) from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise SourceError(source.path, f"cannot parse: {exc}", _null_line(source)) from exc


def _null_line(source: SourceFile) -> int | None:
    """The line of the first null byte, which Python reports without one."""
    position = source.text.find("\0")
    return source.text[:position].count("\n") + 1 if position >= 0 else None


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *parts]
    return None


def _relative_base(module: ModuleTable, level: int) -> str:
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for _ in range(level - 1):
        package = package.rpartition(".")[0]
    return package


def _imported(
    statement: ast.Import | ast.ImportFrom, module: ModuleTable
) -> Iterator[tuple[str, str, ImportBinding | None]]:
    """What an import statement binds: (local name, qualified name, binding) for each name, and
    ("*", module, None) for a star import. In a module or in a function alike."""
    if isinstance(statement, ast.Import):
        for alias in statement.names:
            if alias.asname:
                yield alias.asname, alias.name, ImportBinding(alias.name, None, alias.asname)
            else:
                top = alias.name.partition(".")[0]
                yield top, top, ImportBinding(alias.name)
        return
    base = statement.module or ""
    if statement.level:
        prefix = _relative_base(module, statement.level)
        base = f"{prefix}.{base}" if base and prefix else (base or prefix)
    for alias in statement.names:
        if alias.name == "*":
            yield "*", base, None
        else:
            yield (
                alias.asname or alias.name,
                f"{base}.{alias.name}",
                ImportBinding(base, alias.name, alias.asname),
            )


def _collect_module_table(module: ModuleTable) -> None:
    for statement in _top_level_statements(module.tree.body):
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for local, target, binding in _imported(statement, module):
                if binding is None:
                    module.star_imports.append(target)
                else:
                    module.imports[local] = (target, binding)
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            module.defs[statement.name] = statement
            module.imports.pop(statement.name, None)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    module.variables[target.id] = statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            module.variables[statement.target.id] = statement.value or statement.annotation
        elif isinstance(statement, TYPE_ALIAS):
            module.variables[statement.name.id] = statement.value


def _import_words(statement: ast.Import | ast.ImportFrom) -> list[str]:
    """The names an import statement spells out, each a word of its text."""
    words = (statement.module or "").split(".") if isinstance(statement, ast.ImportFrom) else []
    for alias in statement.names:
        words += [*alias.name.split("."), *([alias.asname] if alias.asname else [])]
    return words


def _top_level_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Module-level statements, looking into ``if``/``try`` blocks (``if TYPE_CHECKING``...)."""
    for statement in body:
        if isinstance(statement, ast.If):
            yield from _top_level_statements(statement.body)
            yield from _top_level_statements(statement.orelse)
        elif isinstance(statement, ast.Try):
            yield from _top_level_statements(statement.body)
            for handler in statement.handlers:
                yield from _top_level_statements(handler.body)
            yield from _top_level_statements(statement.orelse)
        else:
            yield statement


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
            return self.project.return_type(self.callee(node))
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


@functools.cache
def _node_fields(kind: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes worth visiting: not ``ctx`` and operators,
    leaf nodes that are read as attributes (``isinstance(node.ctx, ast.Load)``), never visited."""
    return tuple(name for name in kind._fields if name not in {"ctx", "op", "ops"})


def _children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes`` without the leaves of ``_node_fields`` (the index's walks spent
    a quarter of their time there)."""
    found: list[ast.AST] = []
    for name in _node_fields(type(node)):
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            found.append(value)
        elif value and isinstance(value, list):
            found += [item for item in value if isinstance(item, ast.AST)]
    return found


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node under ``node`` (itself included) but those leaves, in no particular order."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(_children(node))


_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
_DEFINITIONS = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})


def _own_nodes(body: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """Every node of a function body that belongs to the function's own scope.

    Nested functions, lambdas and classes are yielded themselves (their names bind here) but
    not entered. Comprehensions are entered: their walrus targets bind in this scope.
    """
    stack = list(body)[::-1]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _NESTED_SCOPES):
            continue
        stack.extend(reversed(_children(node)))


def _with_nested(own: list[ast.AST]) -> Iterator[ast.AST]:
    """``own`` (from ``_own_nodes``) and every node of the nested scopes it holds: with it, a
    function's full walk costs only what its nested functions add."""
    for node in own:
        yield node
        if isinstance(node, _NESTED_SCOPES):
            for child in _children(node):
                yield from _walk(child)


@dataclass(frozen=True)
class _Where:
    """Where the collector is: can ``await`` go here, inside which ``with`` blocks, in a thread?"""

    awaitable: bool
    withs: tuple[Span, ...] = ()
    offloaded: bool = False
    handlers: tuple[ast.ExceptHandler, ...] = ()
    """The ``except`` clauses around this point, innermost ``try`` first."""

    def nested(self, offloaded: bool) -> _Where:
        return _Where(False, self.withs, self.offloaded or offloaded)

    def inside(self, statement: ast.With | ast.Try, with_span: Span | None) -> _Where:
        if with_span is not None:
            return replace(self, withs=(*self.withs, with_span))
        assert isinstance(statement, _TRY_STATEMENTS)
        return replace(self, handlers=(*statement.handlers, *self.handlers))


class _CallCollector:
    """Walks one scope and records a ``CallFact`` for each call (and callable argument)."""

    def __init__(self, scope: _Scope, module: ModuleTable, with_spans: dict[int, Span]) -> None:
        self.scope = scope
        self.module = module
        self.columns = module.columns
        self.with_spans = with_spans
        self.calls: list[CallFact] = []
        self.value_refs: list[tuple[str, Location]] = []
        self.thread_locals: set[str] = set()
        self.lazy_loads: list[LazyLoad] = []
        self._outer_call: dict[int, Span] = {}
        self._offloaded_lambdas: set[int] = set()
        self._offloaded_names: set[str] = set()
        self._streamed_calls: set[int] = set()
        self._handler_facts: dict[int, HandlerFact] = {}
        self._http: HttpCallAnalysis | None = None
        self._http_sites: dict[Span, tuple[Span, ...]] = {}
        self._class_depth = 0
        """How many class bodies inside the function the walk is in (they evaluate annotations)."""

    def collect(self, nodes: Iterable[ast.AST], awaitable: bool, reachable: Iterable[ast.AST]) -> None:
        """Record the calls of ``nodes``; ``reachable``: every node under them that the scope's
        code runs or defines, in any order (``_with_nested``), for the prepass."""
        self._prepare(reachable)
        for node in nodes:
            self._visit(node, None, _Where(awaitable))

    def _prepare(self, reachable: Iterable[ast.AST]) -> None:
        """Find method calls (for ``open(p).read()``) and what is handed to the threadpool."""
        for node in reachable:
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Attribute):
                    self._outer_call[id(node.func)] = self.columns.span(node)
                if node.args and self._is_runner(node):
                    target = node.args[0]
                    if isinstance(target, ast.Lambda):
                        self._offloaded_lambdas.add(id(target))
                    elif isinstance(target, ast.Name):
                        self._offloaded_names.add(target.id)
                content = self._streamed(node)
                if content is not None:
                    self._streamed_calls.add(id(content))
                    if isinstance(content.func, ast.Name) and content.func.id in self.scope.local_functions:
                        # a local sync generator handed to the response runs in the threadpool
                        self._offloaded_names.add(content.func.id)

    def _skips_annotations(self, local: bool) -> bool:
        """Annotations never evaluated: all of them under ``from __future__ import annotations``;
        else a function's ``local`` variable annotations (not those of a class body in it)."""
        if self.module.lazy_annotations:
            return True
        return local and self.scope.function is not None and not self._class_depth

    def _streamed(self, call: ast.Call) -> ast.Call | None:
        """The generator call given as a ``StreamingResponse``'s content, if any."""
        if self.scope.qualname(call.func) not in STREAMING_RESPONSES:
            return None
        content = call.args[0] if call.args else _keyword(call, "content")
        return content if isinstance(content, ast.Call) else None

    def _is_runner(self, call: ast.Call) -> bool:
        return self.scope.qualname(call.func) in THREADPOOL_RUNNERS

    def _visit(self, node: ast.AST, parent: ast.AST | None, where: _Where) -> None:
        # tested by exact type, the commonest kinds first: this runs for every node of the project
        # code that matters (ast's node classes are never subclassed in a parsed tree)
        kind = type(node)
        if kind is ast.Constant:
            return  # the commonest leaf: nothing to record, nothing under it
        if kind is ast.Name or kind is ast.Attribute:
            if type(node.ctx) is ast.Load:
                self._maybe_value_use(node, parent)
                self._maybe_thread_local(node)
                if kind is ast.Attribute and node.attr in self.scope.project.property_names:
                    self._maybe_property_read(node, where)
            if kind is ast.Name:
                return  # a leaf too
            if node.attr in self.scope.project.relationship_names:
                self._maybe_lazy_load(node, where)
        elif kind is ast.Call:
            callee = self._record(node, parent, where)
            called = self._called_arguments(node, callee)
            arguments = [*node.args, *(keyword.value for keyword in node.keywords)]
            for argument in arguments[1:] if self._is_runner(node) else arguments:
                if id(argument) in called:
                    self._reference(argument, where)
                else:
                    self._maybe_reference(argument, where)
        elif kind is ast.AnnAssign and self._skips_annotations(local=True):
            # PEP 526: a local variable's annotation is never evaluated
            for child in filter(None, [node.target, node.value]):
                self._visit(child, node, where)
            return
        elif kind in _DEFINITIONS:
            # decorators, bases and defaults run here; a function body runs later, elsewhere
            for child in [*node.decorator_list, *_defaults(node, annotated=False)]:
                self._visit(child, node, where)
            if not self._skips_annotations(local=False):
                # evaluated here too, but ``await`` can't go into an annotation
                for child in filter(None, _annotations(node)):
                    self._visit(child, node, where.nested(offloaded=False))
            if self.scope.function is not None:
                inner = where.nested(offloaded=node.name in self._offloaded_names)
                self._class_depth += kind is ast.ClassDef
                for child in node.body:
                    self._visit(child, node, inner)
                self._class_depth -= kind is ast.ClassDef
            elif kind is ast.ClassDef:
                for child in node.body:
                    self._visit(child, node, where)
            return
        elif kind is ast.Lambda or kind is ast.GeneratorExp:
            inner = where.nested(offloaded=id(node) in self._offloaded_lambdas)
            for child in _children(node):
                self._visit(child, node, inner)
            return
        elif kind is ast.With:
            self._enter_held(node, where)
            if id(node) in self.with_spans:
                where = where.inside(node, self.with_spans[id(node)])
        elif kind in _TRY_STATEMENTS and self.scope.function is not None:
            # only the ``try`` body is covered by the clauses; they and the rest are not
            guarded = where.inside(node, None)
            for child in node.body:
                self._visit(child, node, guarded)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:
                self._visit(child, node, where)
            return
        for child in _children(node):
            self._visit(child, node, where)

    def _record(self, node: ast.Call, parent: ast.AST | None, where: _Where) -> Callee:
        callee = self.scope.callee(node)
        if self.scope.function is None and not _may_call_project(callee):
            return callee  # module-level code matters only as a caller of the project's functions
        use, outer = "other", None
        if id(node) in self._streamed_calls:
            use = "streamed"
        elif isinstance(parent, ast.withitem) and parent.context_expr is node:
            use = "with_item"
        elif isinstance(parent, ast.Attribute) and parent.value is node:
            use = "method_call"
            outer = self._outer_call.get(id(parent))
        sole = None
        if len(node.args) == 1 and not node.keywords and isinstance(node.args[0], ast.Constant):
            value = node.args[0].value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sole = float(value)
        self.calls.append(
            CallFact(
                span=self.columns.span(node),
                text=_text(node.func),
                callee=callee,
                awaitable=where.awaitable,
                awaited=isinstance(parent, ast.Await),
                use=use,
                outer_call=outer,
                with_blocks=where.withs,
                offloaded=where.offloaded,
                binding=self.scope.binding(node.func),
                keywords=tuple(keyword.arg for keyword in node.keywords if keyword.arg),
                has_star_kwargs=any(keyword.arg is None for keyword in node.keywords),
                sole_numeric_arg=sole,
                skip=node.lineno in self.module.skip_lines,
                handlers=tuple(self._handler_fact(handler) for handler in where.handlers),
                http=self._http_fact(node, callee),
            )
        )
        return callee

    def _handler_fact(self, handler: ast.ExceptHandler) -> HandlerFact:
        if id(handler) not in self._handler_facts:
            self._handler_facts[id(handler)] = _handler_fact(self.scope.project, self.module, handler)
        return self._handler_facts[id(handler)]

    def _http_fact(self, node: ast.Call, callee: Callee) -> HttpFact | None:
        if not isinstance(callee, ExternalCallee) or (_dotted(node.func) or [""])[0] in self.scope.imports:
            # a library the function imports itself is left to the threadpool: the except
            # clauses naming its errors resolve through module-level imports only
            return None
        source = httpmap.source(callee.qualname)
        if source is None:
            return None
        function = self.scope.function
        if function is None:
            return None
        if self._http is None:
            self._http = HttpCallAnalysis(
                function,
                parent_map(function),
                self.columns.span,
                self.scope.type_of,
                self.scope.bindings,
                self.module.identifiers,
                self._is_http_call,
                self._session_library,
                self.scope.binding,
                lambda line: self.module.lines(line, line),
            )
        library, verb = source
        fact = self._http.analyse(node, library, verb, callee.qualname in httpmap.SESSION_METHODS)
        self._http_sites[self.columns.span(node)] = tuple(self._http.raise_sites)
        return fact

    def _is_http_call(self, node: ast.Call) -> bool:
        callee = self.scope.callee(node)
        return isinstance(callee, ExternalCallee) and httpmap.source(callee.qualname) is not None

    def _session_library(self, node: ast.Call) -> str | None:
        return httpmap.SESSIONS.get(self.scope.qualname(node.func) or "")

    def with_http_sites(self) -> list[CallFact]:
        """The calls, each HTTP fact completed with the handlers around its response's
        ``raise_for_status()`` calls (collected after it)."""
        if not self._http_sites:
            return self.calls
        handlers = {call.span: call.handlers for call in self.calls}
        completed = []
        for call in self.calls:
            if call.http is not None and call.span in self._http_sites:
                raises = self._http_sites[call.span]
                http = replace(call.http, raise_sites=tuple(handlers.get(span, ()) for span in raises))
                call = replace(call, http=http)
            completed.append(call)
        return completed

    def _called_arguments(self, node: ast.Call, callee: Callee) -> set[int]:
        """The arguments ``node``'s callee calls on this thread (``map``'s function, ``key=``)."""
        if self.scope.function is None or not isinstance(callee, ExternalCallee):
            return set()
        positions, keywords = CALLS_ITS_ARGUMENTS.get(callee.qualname, ((), ()))
        called = {id(node.args[i]) for i in positions if i < len(node.args)}
        return called | {id(keyword.value) for keyword in node.keywords if keyword.arg in keywords}

    def _reference(self, argument: ast.expr, where: _Where) -> None:
        """A callable that the call it is passed to calls here, on the loop once converted: what
        it would do counts as a call that can't be awaited (whatever it is: a project helper, a
        bound method, a value of unknown type)."""
        target = argument
        if isinstance(target, ast.Call) and self.scope.project.qualname(target.func, self.module) in PARTIALS:
            if not target.args:
                return
            target = target.args[0]  # the partial calls what it wraps
        if isinstance(target, ast.Lambda):
            return  # its body's calls are recorded where they are
        kind = self.scope.type_of(target)
        if kind in SAFE_TYPES or kind == DATA:
            return  # a plain value, not a callable (re.sub's replacement string)
        if isinstance(target, (ast.Name, ast.Attribute)):
            callee = self.scope.callee(ast.Call(func=target, args=[], keywords=[]))
        elif (
            isinstance(target, ast.Call)
            and self.scope.project.qualname(target.func, self.module) in KEY_MAKERS
        ):
            return  # operator.itemgetter(1) & co. only read items and attributes
        else:
            callee = UnknownCallee("a callable the index cannot name")
        if isinstance(callee, LocalCallee):
            return  # its body's calls are recorded where they are, where await can't go
        if isinstance(callee, ExternalCallee):
            entry = self.scope.project.catalog.lookup(callee.qualname)
            if entry is not None and entry.treatment is Treatment.SAFE:
                return
        location = Location(self.module.path, argument.lineno)
        if isinstance(callee, ProjectCallee) and (callee.qualname, location) not in self.value_refs:
            self.value_refs.append((callee.qualname, location))  # ``self.load`` is a value too
        self._append_reference(target, callee, where)

    def _maybe_reference(self, argument: ast.expr, where: _Where) -> None:
        """A blocking function passed as a callable (``map(os.path.exists, ...)``) will be called."""
        if self.scope.function is None or not isinstance(argument, (ast.Name, ast.Attribute)):
            return  # (module-level code matters only as a caller of the project's functions)
        qualname = self.scope.qualname(argument)
        if qualname is None or qualname.rpartition(".")[0] in self.scope.project.modules:
            return
        entry = self.scope.project.catalog.lookup(qualname)
        if entry is None or entry.treatment is Treatment.SAFE:
            return
        self._append_reference(argument, ExternalCallee(qualname), where)

    def _enter_held(self, statement: ast.With, where: _Where) -> None:
        """``with lock:`` calls ``lock.__enter__()``, judged by the object's type (a call in the
        ``with`` is judged as a call: its callee says what it returns)."""
        if self.scope.function is None:
            return
        for item in statement.items:
            held = item.context_expr
            if isinstance(held, ast.Call):
                continue
            owner = self.scope.type_of(held)
            callee = (
                UnknownCallee(f"{_text(held)} is held by a with statement, and its type is unknown")
                if owner is None
                else self.scope.project.method(owner, "__enter__")
            )
            self._append_reference(held, callee, where, "enter", self.columns.span(statement))

    def _append_reference(
        self,
        argument: ast.expr,
        callee: Callee,
        where: _Where,
        use: str = "reference",
        held: Span | None = None,
    ) -> None:
        """A call that the code makes without writing one: a callable passed to be called, or
        the ``__enter__`` of a ``with``; either way, ``await`` can't go there."""
        self.calls.append(
            CallFact(
                span=self.columns.span(argument),
                text=_text(argument) if held is None else f"{_text(argument)}.__enter__",
                callee=callee,
                awaitable=False,
                awaited=False,
                use=use,
                held=held,
                outer_call=None,
                with_blocks=where.withs,
                offloaded=where.offloaded,
                binding=None,
                keywords=(),
                has_star_kwargs=False,
                sole_numeric_arg=None,
            )
        )

    def _maybe_thread_local(self, node: ast.Name | ast.Attribute) -> None:
        if isinstance(node, ast.Name) and self.scope.project.thread_locals:
            qualname = self.scope.qualname(node)
            if qualname in self.scope.project.thread_locals:
                self.thread_locals.add(qualname)

    def _maybe_lazy_load(self, node: ast.Attribute, where: _Where) -> None:
        """``user.organizations`` on a mapped instance, unless it runs in a worker thread already."""
        if self.scope.function is None or where.offloaded:
            return
        owner = self.scope.type_of(node.value)
        if node.attr in self.scope.project.relationships.get(owner or "", ()):
            self.lazy_loads.append(LazyLoad(node.lineno, _text(node)))

    def _maybe_property_read(self, node: ast.Attribute, where: _Where) -> None:
        """``self.group`` where ``group`` is a project ``@property``: reading it runs the getter
        (a query, a directory listing) here, so it counts as a call no ``await`` can go on."""
        if self.scope.function is None:
            return
        owner = self.scope.type_of(node.value)
        callee = self.scope.project.method(owner, node.attr) if owner else None
        if not isinstance(callee, ProjectCallee) or not _is_property(
            self.scope.project.function_nodes[callee.qualname][1]
        ):
            return
        self.calls.append(
            CallFact(
                span=self.columns.span(node),
                text=_text(node),
                callee=callee,
                awaitable=False,
                awaited=False,
                use="other",
                outer_call=None,
                with_blocks=where.withs,
                offloaded=where.offloaded,
                binding=None,
                keywords=(),
                has_star_kwargs=False,
                sole_numeric_arg=None,
                handlers=tuple(self._handler_fact(handler) for handler in where.handlers),
            )
        )

    def _maybe_value_use(self, node: ast.Name | ast.Attribute, parent: ast.AST | None) -> None:
        if isinstance(parent, ast.Attribute):
            return  # only the whole dotted expression counts
        if isinstance(parent, ast.Call) and parent.func is node:
            return
        qualname = self.scope.qualname(node)
        if qualname in self.scope.project.function_nodes:
            self.value_refs.append((qualname, Location(self.module.path, node.lineno)))


def _defaults(
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, annotated: bool = True
) -> list[ast.expr]:
    """What a definition evaluates where it stands: bases, defaults and (``annotated``) the
    parameters' annotations."""
    if isinstance(node, ast.ClassDef):
        return [*node.bases, *(keyword.value for keyword in node.keywords)]
    args = node.args
    annotations = _annotations(node)[:-1] if annotated else []
    return [*args.defaults, *(d for d in args.kw_defaults if d is not None), *filter(None, annotations)]


def _annotations(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.expr | None]:
    """A definition's annotations, the return annotation last (``None``: not annotated)."""
    if isinstance(node, ast.ClassDef):
        return []
    args = node.args
    parameters = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
    return [*(arg.annotation for arg in parameters if arg is not None), node.returns]


def _handler_fact(project: Project, module: ModuleTable, handler: ast.ExceptHandler) -> HandlerFact:
    if handler.type is None:
        return HandlerFact(module.columns.start(handler), ("builtins.BaseException",))
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    types = tuple(project.qualname(node, module) for node in caught)
    uses, checked = error_uses(handler)
    checks = tuple(
        HandlerFact(
            module.columns.span(node),
            tuple(
                project.qualname(item, module)
                for item in (node.elts if isinstance(node, ast.Tuple) else [node])
            ),
        )
        for node in checked
    )
    return HandlerFact(module.columns.span(handler.type), types, uses, checks)


def _text(node: ast.expr) -> str:
    """The code of an expression, short, for reports; a dotted name without ``ast.unparse``,
    which costs more than the rest of recording a call."""
    parts = _dotted(node)
    return _short(".".join(parts) if parts is not None else ast.unparse(node))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 60 else text[:57] + "..."


class _BlockAnalysis:
    """Decides whether a ``with`` statement can move into a function run in the threadpool."""

    def __init__(
        self,
        function: ast.FunctionDef | ast.AsyncFunctionDef,
        own: list[ast.AST],
        declared_global: set[str],
        declared_nonlocal: set[str],
        is_generator: bool,
    ) -> None:
        self.function = function
        self.own = own
        self.params = {
            arg.arg
            for arg in [
                *function.args.posonlyargs,
                *function.args.args,
                *function.args.kwonlyargs,
                *(a for a in (function.args.vararg, function.args.kwarg) if a),
            ]
        }
        self.declared_global = declared_global
        self.declared_nonlocal = declared_nonlocal
        self.is_generator = is_generator

    def analyse(self, statement: ast.With, span: Span) -> WithFact:
        inside = list(_own_nodes([statement]))
        inside_ids = {id(node) for node in inside}
        obstacle = self._obstacle(statement, inside)
        bound_inside = _bound_names(inside)
        bound_outside = _bound_names(n for n in self.own if id(n) not in inside_ids)
        read_outside = {
            n.id
            for n in _all_nodes_outside(self.function.body, inside_ids)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
        }
        targets = {
            n.id
            for item in statement.items
            if item.optional_vars is not None
            for n in ast.walk(item.optional_vars)
            if isinstance(n, ast.Name)
        }
        unconditional = targets | _bound_names(statement.body, shallow=True)
        returns, nonlocals, globals_ = [], [], []
        for name in sorted(bound_inside):
            if name in self.declared_global:
                globals_.append(name)
            elif name in self.declared_nonlocal or name in bound_outside or name in self.params:
                nonlocals.append(name)
            elif name in read_outside:
                if name in targets:
                    obstacle = obstacle or f"the with target {name!r} is used after the block"
                elif name not in unconditional:
                    obstacle = obstacle or f"{name!r} is bound only on some paths through the block"
                returns.append(name)
        has_return = any(isinstance(n, ast.Return) for n in inside)
        if has_return and (self.function.body[-1] is not statement or self.is_generator):
            obstacle = obstacle or "the block returns, and is not the last statement of the function"
        if returns and self._may_see_partial_results(statement, set(returns)):
            obstacle = obstacle or (
                "an enclosing try could see names the block bound before it failed "
                f"({', '.join(returns)}); moved, they would be unbound"
            )
        return WithFact(span, obstacle, tuple(returns), tuple(nonlocals), tuple(globals_), has_return)

    def _may_see_partial_results(self, statement: ast.With, names: set[str]) -> bool:
        """Whether, when the block raises, code of this function can still read ``names``.

        The block's results come back only when it completes. That is the same as before unless
        an enclosing ``try`` reads them in a handler or ``finally``, or swallows the exception
        and carries on to code that may read what the block had bound.
        """
        for handlers, finalbody in self._enclosing_tries.get(id(statement), []):
            reads = {
                node.id
                for part in [*handlers, *finalbody]
                for node in ast.walk(part)
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
            }
            if reads & names or any(
                not handler.body or not isinstance(handler.body[-1], ast.Raise) for handler in handlers
            ):
                return True
        return False

    @functools.cached_property
    def _enclosing_tries(self) -> dict[int, list[tuple[list[ast.ExceptHandler], list[ast.stmt]]]]:
        """For each statement of the function, the ``try`` statements whose body holds it."""
        found: dict[int, list[tuple[list[ast.ExceptHandler], list[ast.stmt]]]] = {}

        def visit(body: list[ast.stmt], tries: list[tuple[list[ast.ExceptHandler], list[ast.stmt]]]) -> None:
            for node in body:
                found[id(node)] = tries
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                if isinstance(node, _TRY_STATEMENTS):
                    visit(node.body, [*tries, (node.handlers, node.finalbody)])
                    for handler in node.handlers:
                        visit(handler.body, tries)
                    visit(node.orelse, tries)
                    visit(node.finalbody, tries)
                    continue
                for field_name in ("body", "orelse"):
                    visit(getattr(node, field_name, None) or [], tries)
                for case in getattr(node, "cases", []):
                    visit(case.body, tries)

        visit(self.function.body, [])
        return found

    def _obstacle(self, statement: ast.With, inside: list[ast.AST]) -> str | None:
        for node in inside:
            if isinstance(node, (ast.Yield, ast.YieldFrom)):
                return "the block yields"
            if isinstance(node, (ast.Await, ast.AsyncWith, ast.AsyncFor)):
                return "the block awaits"
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                return "the block declares global or nonlocal names"
            if isinstance(node, ast.Name) and node.id in {"super", "__class__"}:
                return "the block uses super()"
        if _escaping_jumps(statement.body):
            return "the block breaks or continues an enclosing loop"
        return None


def _escaping_jumps(body: list[ast.stmt]) -> bool:
    """A ``break``/``continue`` in ``body`` that targets a loop outside it."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Break, ast.Continue)):
            return True
        if isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            stack.extend(node.orelse)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(_children(node))
    return False


def _bound_names(nodes: Iterable[ast.AST], shallow: bool = False) -> set[str]:
    """Names a function scope binds in ``nodes`` (comprehension variables bind their own scope).

    ``shallow``: only what the statements themselves assign, not their nested blocks.
    """
    nodes = list(nodes)
    comprehension_targets = {
        id(name) for node in nodes if isinstance(node, ast.comprehension) for name in ast.walk(node.target)
    }
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            if id(node) not in comprehension_targets:
                names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.ExceptHandler)):
            if node.name:
                names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).partition(".")[0] for alias in node.names)
        if shallow and isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _all_nodes_outside(body: list[ast.stmt], excluded: set[int]) -> Iterator[ast.AST]:
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if id(node) in excluded:
            continue
        yield node
        stack.extend(_children(node))


def _generator_obstacle(own: list[ast.AST]) -> tuple[bool, str | None]:
    is_generator = any(isinstance(node, (ast.Yield, ast.YieldFrom)) for node in own)
    if not is_generator:
        return False, None
    if any(isinstance(node, ast.YieldFrom) for node in own):
        return True, "the generator uses 'yield from', which async generators cannot"
    if any(isinstance(node, ast.Return) and node.value is not None for node in own):
        return True, "the generator returns a value, which async generators cannot"
    return True, None


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
    """A ``with`` around a blocking resource: the only kind that may move to the threadpool."""
    for item in statement.items:
        if isinstance(item.context_expr, ast.Call):
            callee = scope.callee(item.context_expr)
            if isinstance(callee, ExternalCallee):
                entry = scope.project.catalog.lookup(callee.qualname)
                if entry is not None and entry.treatment is Treatment.RESOURCE:
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


PROPERTY_DECORATORS = frozenset({"property", "cached_property"})


def _is_property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Decorated ``@property`` or ``@(functools.)cached_property``: read as an attribute, it runs."""
    return any(
        (decorator.id if isinstance(decorator, ast.Name) else getattr(decorator, "attr", None))
        in PROPERTY_DECORATORS
        for decorator in node.decorator_list
    )


def _has_decorator(node: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> bool:
    return any(isinstance(d, ast.Name) and d.id == name for d in node.decorator_list)


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


def _may_call_project(callee: Callee) -> bool:
    """A call that is, or may be, of a project function (a method of a value of unknown type)."""
    return isinstance(callee, ProjectCallee) or (
        isinstance(callee, UnknownCallee) and callee.method is not None
    )


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


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
