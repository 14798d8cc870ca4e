"""The HTTP swap's edits: the request, the session opened by ``with``, and what changes with a
translated call (its response's reads, the ``except`` clauses around it, a dict of headers)."""

from __future__ import annotations

from dataclasses import dataclass

from ...facts import ImportBinding, Span
from ...plan import Anchor, Edit


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
    """The async client's name (``targets.TARGETS``): ``httpx``, ``httpx2`` or ``aiohttp``."""
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

    @property
    def first_line(self) -> int:
        return min(self.span.line, self.statement.line)  # its client opens around the statement

    @property
    def requires(self) -> tuple[str, ...]:
        return (self.target,)


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
