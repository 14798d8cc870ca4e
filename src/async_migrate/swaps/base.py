"""What a swap is: the seam every kind of rewrite plugs into, so that adding one touches its own
folder and one line of the registry, not the planner and the rewriter.

A swap recognises some blocking calls (with the index's facts and the catalog), plans their
replacement as edits, and brings the codemods that apply its edits. ``decide`` asks the
registered swaps in order whether they take a call; ``rewrite`` asks the registry for the codemod
of each edit's type. See docs/architecture.md ("Adding a swap").
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from ..facts import CallFact, FunctionFact, Span
from ..plan import Edit, Finding
from ..rules import Rule

if TYPE_CHECKING:
    import libcst as cst

    from ..catalog import Catalog, Entry
    from ..codemods.imports import ImportChanges
    from ..index import ProjectIndex


@dataclass(frozen=True)
class Setting:
    """An option a swap reads: one ``[tool.async-migrate]`` key and the CLI flag of that name."""

    key: str
    """``http-client``: the config key; the flag is ``--http-client``; ``Settings.http_client``."""
    choices: tuple[str, ...]
    default: str
    help: str

    @property
    def field(self) -> str:
        """The ``Settings`` attribute that holds it."""
        return self.key.replace("-", "_")


@dataclass(frozen=True)
class Project:
    """What a swap's project-wide ``prepare`` step sees."""

    index: ProjectIndex
    catalog: Catalog
    frozen: frozenset[Path]
    """Files taken as they are written: nothing in them is rewritten."""
    options: Mapping[str, str]
    """The value of every registered ``Setting``, by key."""


class Weight(enum.IntEnum):
    """What a sync helper does, at worst, through everything it calls."""

    PURE = 0
    BLOCKING = 1
    UNKNOWN = 2


@dataclass(frozen=True)
class HelperStatus:
    """What a sync helper reaches: its caller awaits it in the threadpool (``BLOCKING``), calls
    it as it is (``PURE``), or stays sync (``UNKNOWN``)."""

    weight: Weight
    witness: str = ""
    """The call that made it so, followed through helpers (``a() -> b() -> requests.get``)."""
    rule: Rule = Rule.UNKNOWN_CALL
    """Why an ``UNKNOWN`` helper can't move off its caller's thread, for the caller's report."""


class Blocker(NamedTuple):
    """Why a call can't be taken off the loop: ``decide`` turns it into a finding on the call (or
    a note, in existing async code that the tool leaves as it is)."""

    rule: Rule
    message: str


@dataclass(frozen=True)
class Planned:
    """A swap's answer for a call it takes: the edits, or what blocks it (neither: the call is
    safe as it is)."""

    edits: tuple[Edit, ...] = ()
    blocker: Blocker | None = None
    covers: Span | None = None
    """An expression whose calls this plan takes along (a call moved whole into a ``lambda``):
    they are not planned on their own."""
    group: Hashable | None = None
    """The linked group (``Group.key``) the call belongs to: its function is then a member, and
    if any member stays sync the group is off and the call is planned again without this swap."""


@dataclass(frozen=True)
class FunctionPlan:
    """Edits of a function as a whole, planned before its calls (``with`` blocks moved whole)."""

    edits: tuple[Edit, ...] = ()
    blockers: tuple[Finding, ...] = ()
    blocks: frozenset[Span] = frozenset()
    """``with`` statements whose calls this plan takes along (``CallFact.with_blocks``)."""
    group: Hashable | None = None
    """The linked group it belongs to, as ``Planned.group``: dropped when the group is off."""


@dataclass(frozen=True)
class Group:
    """Linked edits that apply all together or not at all (an engine, the dependency handing out
    its sessions and every route using them): DESIGN.md, "Built to grow"."""

    key: Hashable
    members: frozenset[str] = frozenset()
    """Functions that must all become (or be) async; the functions a ``Planned`` or
    ``FunctionPlan`` of this group was used for are members too."""
    edits: tuple[Edit, ...] = ()
    """Edits outside any function (``engine = create_engine(...)``), made only when the group is
    on; a group with one in a file taken as it is (not rewritten) is off."""


class Swap:
    """One kind of rewrite. Subclass it, override the hooks it needs, register an instance in
    ``swaps/registry.py``. Every hook has a default that does nothing."""

    name: str = ""
    rules: tuple[Rule, ...] = ()
    """The rule codes its edits and findings carry (docs/rules.md lists them with the swap)."""
    settings: tuple[Setting, ...] = ()

    def catalog_rows(self, options: Mapping[str, str]) -> Mapping[str, Entry]:
        """Rows the swap adds to the catalog for a run with these options: return types the
        index follows, treatments its ``plan_call`` reads. The configuration's rows win; a call
        whose swap doesn't take it (its group is off) is an unknown call to the threadpool swap."""
        return {}

    def prepare(self, project: Project) -> Any:
        """Project-wide planning before any function is planned (HTTP: which calls translate,
        given every ``except`` clause of the project). The result is handed back to the other
        hooks as ``state``; ``None`` turns the swap off for the run."""
        return project

    def plan_function(self, state: Any, fact: FunctionFact) -> FunctionPlan | None:
        """Edits of ``fact`` as a whole, before its calls are planned one by one."""
        return None

    def plan_call(self, state: Any, fact: FunctionFact, call: CallFact) -> Planned | None:
        """The swap's plan for one call of ``fact`` that runs on the loop, or ``None``: not
        mine, ask the next swap. Asked only for calls of libraries and of unknown callees (the
        project's own functions are ``decide``'s)."""
        return None

    def helper_status(self, state: Any, name: str, entry: Entry | None) -> HelperStatus | None:
        """What a call of the library function ``name`` (catalog row ``entry``, ``None`` if it
        has none) makes of a sync helper that calls it, should the helper run in a worker
        thread; ``None``: not mine, ask the next swap. No swap answering makes it ``UNKNOWN``."""
        return None

    def plan_blocking_helper(
        self, state: Any, fact: FunctionFact, call: CallFact, witness: str
    ) -> Planned | None:
        """How a call of ``fact`` to a project's sync helper that blocks (``Weight.BLOCKING``,
        through ``witness``) runs off the loop, or ``None``: not mine. No swap answering makes
        it an unknown call."""
        return None

    def groups(self, state: Any) -> Iterable[Group]:
        """Its linked groups, each with the edits outside functions it makes when it is on."""
        return ()

    def group_off(
        self, state: Any, key: Hashable, causes: Mapping[str, list[Finding]]
    ) -> Mapping[str, list[Finding]]:
        """Findings to add to the members of its group ``key``, which is off: ``causes`` are the
        findings of the members that stayed sync in the plan that turned it off."""
        return {}

    def codemods(self) -> Mapping[type[Edit], Codemod]:
        """The codemod that applies each of its edit types, whatever node the edit is anchored
        to. Import them in the method: a run that stops at the plan never loads libcst."""
        return {}

    def finish(self, state: Any, edits: list[Edit]) -> list[Edit]:
        """One file's planned edits, all swaps' together, last touched by this swap (two
        translated calls under one ``except`` clause: one edit of the clause)."""
        return edits


class Rewriting(Protocol):
    """What a codemod may use besides its node and edit: the file's import changes, the module
    (its parsing config), and a way to wrap the statement that holds the node."""

    imports: ImportChanges
    module: cst.Module

    def wrap_statement(self, at: Span, wrap: StatementWrap) -> None:
        """Have the statement that starts where ``at`` starts replaced by ``wrap(statement)``
        once its own edits are applied (an HTTP request: a client opened around it)."""


StatementWrap = Callable[[Any], "cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]"]
Codemod = Callable[[Any, Any, Rewriting], Any]
"""``codemod(node, edit, rewriting) -> new node``: ``node`` is the one the edit's span names
(a ``cst.Call``, a statement or another expression), as rewritten so far."""
