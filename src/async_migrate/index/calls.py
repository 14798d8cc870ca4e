"""Every call in one function: what it calls (project, catalog or unknown), where and how, so
that the planner can tell what blocks. Whatever it cannot name it reports as unknown, never as safe.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..catalog import CALLS_ITS_ARGUMENTS, SAFE_TYPES, Treatment
from ..facts import (
    Callee,
    CallFact,
    ExternalCallee,
    HandlerFact,
    HttpFact,
    LazyLoad,
    LocalCallee,
    Location,
    ProjectCallee,
    Span,
    UnknownCallee,
)
from ..swaps.http import httpmap
from ..swaps.http.calls import HttpCallAnalysis, error_uses, parent_map
from .constants import _TRY_STATEMENTS, DATA, KEY_MAKERS, PARTIALS, STREAMING_RESPONSES, THREADPOOL_RUNNERS
from .names import Project
from .scopes import _Scope
from .syntax import _DEFINITIONS, _children, _dotted, _is_property, _keyword, _text
from .tables import ModuleTable


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


def _may_call_project(callee: Callee) -> bool:
    """A call that is, or may be, of a project function (a method of a value of unknown type)."""
    return isinstance(callee, ProjectCallee) or (
        isinstance(callee, UnknownCallee) and callee.method is not None
    )
