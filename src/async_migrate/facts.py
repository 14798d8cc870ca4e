"""The facts the index extracts from the project: plain data that ``decide`` reads.

Positions are ``Span``s: 1-based lines and 0-based *character* columns (libcst's convention;
``ast`` counts UTF-8 bytes, the index converts), so that the codemods can find the very node a
fact is about.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, Protocol


class Span(NamedTuple):
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Location:
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class ImportBinding:
    """How a name used at a call site was imported, so the import can go once unused."""

    module: str
    name: str | None = None
    asname: str | None = None

    @property
    def local_name(self) -> str:
        """The name the import binds in the module."""
        return self.asname or self.name or self.module.partition(".")[0]


@dataclass(frozen=True)
class ProjectCallee:
    """A function or method defined in the analysed project."""

    qualname: str


@dataclass(frozen=True)
class ExternalCallee:
    """A function, class or method outside the project, named for the catalog."""

    qualname: str


@dataclass(frozen=True)
class UnknownCallee:
    """A call the index cannot name (a method on a value of unknown type, a call result...)."""

    why: str
    method: str | None = None
    """For ``x.name(...)`` on a value of unknown type: ``name``. It may be a project method of
    that name, so the call counts as a possible caller of each (``ProjectIndex.maybe_callers``)."""


@dataclass(frozen=True)
class LocalCallee:
    """A function defined inside the calling one; the calls in its body are facts of the caller."""

    name: str


Callee = ProjectCallee | ExternalCallee | UnknownCallee | LocalCallee


@dataclass(frozen=True)
class HandlerFact:
    """An ``except`` clause whose ``try`` body holds a call."""

    span: Span
    """The clause's type expression (the clause itself for a bare ``except:``)."""
    types: tuple[str | None, ...]
    """The qualified names it catches; ``None`` for one the index cannot name."""
    bound_uses: tuple[str, ...] = ()
    """How the clause's ``as`` name is used in its body (``swaps.http.calls.error_uses``): attribute
    names (``response.reason`` for one of its response), ``type`` for ``type(e)``, or ``""``
    for the name on its own."""
    type_checks: tuple[HandlerFact, ...] = ()
    """``isinstance(e, X)`` in its body: the class argument, as a clause of its own."""


@dataclass(frozen=True)
class ResponseUse:
    """A use of a requests response that reads differently on an httpx response."""

    kind: str
    """``ok`` / ``truth`` (``r.ok``, ``if r:``), ``error`` (``not r.ok``, ``not r``), ``bool``
    (``bool(r)``), ``reason``, ``url``, ``is_redirect``, ``status_code``, ``content``, ``json`` (the call
    ``r.json()``), or ``raise_for_status`` (the statement ``r.raise_for_status()``). Which of them
    need rewriting depends on the target client."""
    span: Span
    bare: bool = False
    """For ``ok``/``truth``/``bool``: the node is a condition on its own, so ``not x`` needs no
    parentheses."""
    awaitable: bool = True
    """An ``await`` may go here (not in a lambda, a nested function or a generator expression)."""


@dataclass(frozen=True)
class HttpFact:
    """A blocking HTTP call the tool may translate to an awaited async client request."""

    library: str
    """``requests`` or ``httpx``."""
    verb: str
    obstacle: str | None
    """Why it can't be translated exactly (it then runs in the threadpool as it is)."""
    statement: Span | None = None
    """The statement that holds the call: it moves into ``async with <client> as <name>:``."""
    client_name: str = "client"
    response_name: str = "response"
    """The local name the response is assigned to, or a free one for a response used in place."""
    uses: tuple[ResponseUse, ...] = ()
    raise_sites: tuple[tuple[HandlerFact, ...], ...] = ()
    """The handlers around each ``raise_for_status()`` of the response."""
    session: Span | None = None
    """For ``s.get(...)``: the ``with`` statement that opens the session ``s``."""
    session_binding: ImportBinding | None = None
    """How the session's class was imported (``requests``), so the import can go once unused."""
    form: bool = False
    """``data=`` is a dict, sent as a form (else a str or bytes body)."""
    optional_json: bool = False
    """``json=`` is a name that may be None (requests then sends no body and no Content-Type)."""
    named_headers: Span | None = None
    """``headers=name``: the dict literal bound to ``name``, where its values are encoded."""
    ascii_headers: bool = True
    """Every ``headers=`` value is an ASCII literal (requests sends values as Latin-1; httpx
    rejects non-ASCII str values, aiohttp sends UTF-8)."""
    timeout: str = "none"
    """The shape of requests' ``timeout=``: ``none``, ``number``, ``pair`` (connect, read) or
    ``unknown`` (a value that may be either)."""


@dataclass(frozen=True)
class CallFact:
    span: Span
    text: str
    callee: Callee
    awaitable: bool
    """An ``await`` may be put here once the function is async (not in a lambda, a nested
    function or a generator expression)."""
    awaited: bool
    use: str
    """How the result is used: ``with_item`` (context manager of a ``with``), ``method_call``
    (``open(p).read()``), ``streamed`` (the content of a ``StreamingResponse``), ``other``; or
    ``reference`` when this is not a call at all but a callable passed as an argument
    (``map(os.path.exists, paths)``), which will be called later; ``enter`` for the
    ``__enter__`` of an object named in a ``with`` statement (``with lock:``)."""
    outer_call: Span | None
    """For ``use == "method_call"``: the call of the method on this call's result."""
    with_blocks: tuple[Span, ...]
    """The ``with`` statements of the function that hold this call, outermost first."""
    offloaded: bool
    """The call is in a lambda or local function handed to ``run_in_threadpool``: it runs in a
    worker thread already."""
    binding: ImportBinding | None
    keywords: tuple[str, ...]
    has_star_kwargs: bool
    """The call passes ``**mapping``, whose keys the tool cannot see."""
    sole_numeric_arg: float | None
    """The value of the only argument when it is a number literal (``time.sleep(0.5)``)."""
    skip: bool = False
    """A ``# async-migrate: skip`` comment is on the call's first line."""
    handlers: tuple[HandlerFact, ...] = ()
    """The ``except`` clauses of the function around the call, innermost first."""
    http: HttpFact | None = None
    held: Span | None = None
    """For ``use == "enter"`` (the ``__enter__`` of an object named in a ``with``, ``with lock:``):
    the ``with`` statement, whose body runs while the object is held."""


@dataclass(frozen=True)
class WithFact:
    span: Span
    obstacle: str | None
    """Why the statement cannot be moved into a function run in the threadpool, if it can't."""
    returns: tuple[str, ...]
    """Names bound only inside the block and used after it: the extracted function returns them."""
    nonlocals: tuple[str, ...]
    globals: tuple[str, ...]
    has_return: bool


@dataclass(frozen=True)
class LazyLoad:
    """A read (or write) of an ORM relationship, which may run a query (see ``orm.py``)."""

    line: int
    what: str
    """For people: ``user.organizations``, or how the response model reaches a relationship."""


@dataclass(frozen=True)
class Decorator:
    qualname: str | None
    text: str
    kind: str
    """``route`` (registers the function with FastAPI), ``transparent`` (staticmethod,
    classmethod) or ``other`` (unknown to the tool: the function must keep its shape)."""


@dataclass
class FunctionFact:
    qualname: str
    name: str
    path: Path
    module: str
    span: Span
    end_line: int
    is_async: bool
    is_generator: bool
    generator_obstacle: str | None
    """Why the generator cannot become an async generator (``yield from``, ``return value``)."""
    decorators: list[Decorator]
    returns: str | None
    """Qualified name of the return annotation's type (``typing.Iterator``), if it names one."""
    returns_binding: ImportBinding | None
    """How that name was imported, when the annotation uses it bare (``Iterator[str]``)."""
    class_name: str | None
    calls: list[CallFact] = field(default_factory=list)
    withs: list[WithFact] = field(default_factory=list)
    thread_locals: tuple[str, ...] = ()
    """Module-level ``threading.local()`` objects the function uses."""
    lazy_loads: tuple[LazyLoad, ...] = ()
    """ORM relationships it reads, itself or through its response model (a route's)."""
    skip: bool = False
    """A ``# async-migrate: skip`` comment is on the ``def`` line."""
    names: frozenset[str] = frozenset()
    """The names the function binds itself."""
    module_names: frozenset[str] = frozenset()
    """The names its module binds: one set shared by the module's functions (a copy in each
    function, merged with its own, grew with functions times module names: 1.3 GB for 5,000
    routes in one module)."""

    @property
    def location(self) -> Location:
        return Location(self.path, self.span.line)

    @property
    def is_dunder(self) -> bool:
        return self.name.startswith("__") and self.name.endswith("__")


@dataclass(frozen=True)
class CallerRef:
    caller: str | None
    """Qualname of the calling function; ``None`` for module-level code."""
    location: Location
    span: Span
    awaitable: bool
    with_blocks: tuple[Span, ...]
    """The ``with`` statements of the caller around the call (if one moves to the threadpool,
    the call runs there, in sync code)."""


@dataclass(frozen=True)
class EntryPoint:
    kind: str
    """``route`` or ``dependency``."""
    location: Location


class NameUses(Protocol):
    """How often a module uses each name (loads and ``__all__`` entries), asked about one name
    at a time: the index answers from the text first and walks the tree only if that can't."""

    def more_than(self, name: str, count: int) -> bool: ...


@dataclass(frozen=True)
class ModuleFacts:
    """What ``decide`` and the swaps' planners know of a module: plain data, no syntax tree."""

    name: str
    path: Path
    imports: Mapping[str, tuple[str, ImportBinding]]
    """Each name an import binds at top level: the qualified name it stands for and the import."""
    identifiers: frozenset[str]
    """Every identifier-like word of the source (a name free to take is none of them)."""
    uses: NameUses
