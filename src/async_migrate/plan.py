"""The plan: what ``decide`` concluded, as data the codemods apply and the reports render."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from .facts import ImportBinding, Location, Span
from .rules import Rule


class Verdict(enum.Enum):
    CONVERTED = "converted"
    KEPT_SYNC = "kept sync"
    FIXED = "fixed"
    """An existing ``async def`` whose blocking calls were taken off the loop."""
    UNCHANGED = "unchanged"
    """An existing ``async def`` with nothing to fix, or one the tool cannot fix safely."""


@dataclass(frozen=True)
class Finding:
    rule: Rule
    message: str
    location: Location


@dataclass
class FunctionDecision:
    qualname: str
    name: str
    """The name within its module (``Class.method``), for people."""
    location: Location
    role: str
    """``route``, ``dependency`` or ``route, dependency``."""
    verdict: Verdict
    findings: list[Finding] = field(default_factory=list)
    end_line: int = 0
    """The function's last line, so a report can tie the rewritten lines to it."""


@dataclass(frozen=True)
class Edit:
    """One change to one node, found by its position in the original file."""

    rule: Rule
    path: Path
    span: Span

    # what each kind of edit is, read by the planner, the rewriter and the reports alike
    gain: ClassVar[bool] = False
    """Converting a function for this edit pays off (``decide``'s no-gain rule)."""
    awaits: ClassVar[bool] = False
    """It puts an ``await`` where it is (``decide``'s thread-lock rule)."""
    drops_import: ClassVar[bool] = False
    """It has an ``unused_import`` to remove when no other use of the name is left."""
    reported: ClassVar[bool] = True
    """It gets a finding of its own; the response reads and except clauses that come with a
    translated HTTP call are part of that call's."""

    @property
    def anchor(self) -> Anchor:
        """The node the span names: a call, a statement, or another expression."""
        return "call"

    @property
    def message(self) -> str:
        """What the report says of a reported edit."""
        raise NotImplementedError(f"{type(self).__name__} is not reported on its own")


Anchor = Literal["call", "statement", "expression"]


@dataclass(frozen=True)
class MakeAsync(Edit):
    drops_import = True

    @property
    def anchor(self) -> Anchor:
        return "statement"

    async_annotation: str | None = None
    """For a generator becoming an async generator: the async name for its return annotation's
    type (``Iterator[str]`` becomes ``AsyncIterator[str]``)."""
    annotation_import: ImportBinding | None = None
    """Where the old annotation name was imported from, when it was imported bare: the async
    name is imported from there too."""
    unused_import: ImportBinding | None = None


@dataclass(frozen=True)
class AwaitCall(Edit):
    gain = True
    awaits = True

    @property
    def message(self) -> str:
        return "awaits a function converted in this run"


@dataclass(frozen=True)
class AsyncSleep(Edit):
    gain = True
    awaits = True
    drops_import = True

    library: str
    """``asyncio`` or ``anyio``."""
    unused_import: ImportBinding | None
    """The import of ``time``/``sleep`` this rewrite leaves unused, to remove."""

    @property
    def message(self) -> str:
        return "time.sleep becomes an async sleep"


@dataclass(frozen=True)
class AsyncTwin(Edit):
    gain = True
    awaits = True
    drops_import = True

    original: str
    """Qualified name of the blocking function called now."""
    twin: str
    """Qualified name of the async function to await instead."""
    unused_import: ImportBinding | None

    @property
    def message(self) -> str:
        return "blocking call replaced by its async twin"


@dataclass(frozen=True)
class WrapCall(Edit):
    awaits = True

    as_lambda: bool
    """Wrap as ``run_in_threadpool(lambda: call)`` when ``fn, *args, **kwargs`` can't be used
    (a ``func=`` keyword, a ``**mapping``, a call on a call's result)."""
    why: str = ""
    """For an HTTP call that could have been translated: what kept it as it is."""

    @property
    def message(self) -> str:
        if self.why:
            return f"HTTP call moved to the threadpool as it is: {self.why}"
        return "blocking call moved to the threadpool"


@dataclass(frozen=True)
class HttpRequest(Edit):
    """A blocking HTTP call becomes an awaited request of an async client opened around its
    statement (``async with httpx.AsyncClient(...) as client:``)."""

    gain = True
    awaits = True
    drops_import = True

    library: str
    """What it calls today: ``requests`` or ``httpx``."""
    verb: str
    target: str
    """The async client's module: ``httpx`` or ``httpx2``."""
    statement: Span
    client_name: str
    ssl_context: str
    """The module-level name of the SSL context every client of the module shares."""
    response_name: str = "response"
    """aiohttp: the name its response is bound to while the body is read."""
    on_session: bool = False
    """A request of a session opened by ``with`` (``OpenSession``): no client of its own."""
    form: bool = False
    """``data=`` is a dict (a form); else a str or bytes body."""
    optional_json: bool = False
    """``json=`` is a name that may be None: a body and a Content-Type only when it isn't."""
    unused_import: ImportBinding | None = None

    @property
    def message(self) -> str:
        return f"{self.library}.{self.verb} becomes an awaited {self.target}.AsyncClient request"


@dataclass(frozen=True)
class OpenSession(Edit):
    """``with requests.Session() as s:`` -> ``async with httpx.AsyncClient(...) as s:``."""

    awaits = True
    drops_import = True
    reported = False

    @property
    def anchor(self) -> Anchor:
        return "statement"

    library: str
    target: str
    ssl_context: str
    unused_import: ImportBinding | None = None


@dataclass(frozen=True)
class ResponseRead(Edit):
    """A use of a requests response rewritten for an httpx one (``r.ok`` -> ``not r.is_error``)."""

    reported = False

    kind: str
    bare: bool
    family: str = "httpx"

    @property
    def anchor(self) -> Anchor:
        return "statement" if self.kind == "raise_for_status" else "expression"


@dataclass(frozen=True)
class Latin1Headers(Edit):
    """A dict of headers bound to a name and only passed to translated calls: its values are
    encoded as requests sends them (Latin-1), where it is written."""

    reported = False

    @property
    def anchor(self) -> Anchor:
        return "expression"


@dataclass(frozen=True)
class CatchAlso(Edit):
    """An ``except`` clause for requests' errors also catches the async client's equivalents."""

    reported = False

    @property
    def anchor(self) -> Anchor:
        return "expression"

    also: tuple[str, ...]
    """Qualified names (``httpx.HTTPStatusError``) added to the clause's types."""


@dataclass(frozen=True)
class WrapBlock(Edit):
    awaits = True

    @property
    def anchor(self) -> Anchor:
        return "statement"

    helper: str
    returns: tuple[str, ...]
    nonlocals: tuple[str, ...]
    globals: tuple[str, ...]
    has_return: bool

    @property
    def message(self) -> str:
        return "with block moved to the threadpool"


@dataclass
class Plan:
    decisions: list[FunctionDecision]
    edits: dict[Path, list[Edit]]
    first_party: frozenset[str] = frozenset()
    """The project's own top-level packages, for placing new imports."""
    requires: frozenset[str] = frozenset()
    """Distributions the rewritten code imports that it may not have imported before (httpx)."""
    unresolved: list[tuple[Location, str]] = field(default_factory=list)
    """Route, event and lifespan registrations the tool couldn't follow, with why."""
    sync_sessions: int = 0
    """Functions kept sync that use a sync database session, themselves or through a helper,
    when the run didn't migrate sessions (``--db-session async`` would try)."""
