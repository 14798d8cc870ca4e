"""The plan: what ``decide`` concluded, as data the codemods apply and the reports render.

The edits of the core live here (``MakeAsync``, ``AwaitCall``); each swap defines its own in its
folder (``swaps/*/edits.py``)."""

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
    call_order: ClassVar[int] = 0
    """Several edits of one call compose from the lowest order out (an ``await`` goes last)."""

    @property
    def anchor(self) -> Anchor:
        """The node the span names: a call, a statement, or another expression."""
        return "call"

    @property
    def message(self) -> str:
        """What the report says of a reported edit."""
        raise NotImplementedError(f"{type(self).__name__} is not reported on its own")

    @property
    def first_line(self) -> int:
        """The first line of the file the rewrite touches (an edit may reach outside its span)."""
        return self.span.line

    @property
    def requires(self) -> tuple[str, ...]:
        """Distributions the rewritten code needs that it may not have needed before."""
        return ()

    @property
    def missed_gain(self) -> bool:
        """It stands for an exact rewrite that something kept from happening (an HTTP call left
        to the threadpool): a function kept ``def`` for want of a gain says what it was."""
        return False


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
    call_order = 1

    @property
    def message(self) -> str:
        return "awaits a function converted in this run"


@dataclass
class Plan:
    decisions: list[FunctionDecision]
    edits: dict[Path, list[Edit]]
    first_party: frozenset[str] = frozenset()
    """The project's own top-level packages, for placing new imports."""
    requires: frozenset[str] = frozenset()
    """Distributions the rewritten code needs that it may not have needed before (httpx, a driver)."""
    unresolved: list[tuple[Location, str]] = field(default_factory=list)
    """Route, event and lifespan registrations the tool couldn't follow, with why."""
    sync_sessions: int = 0
    """Functions kept sync that use a sync database session, themselves or through a helper,
    when the run didn't migrate sessions (``--db-session async`` would try)."""
