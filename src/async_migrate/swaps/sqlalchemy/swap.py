"""The sqlalchemy swap's planner: ``Swap`` hooks over ``plan``'s groups (``--db-session async``)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from ...catalog import Entry
from ...facts import CallFact, ExternalCallee, FunctionFact
from ...index import ProjectIndex
from ...plan import Edit, Finding
from ...rules import Rule
from ..base import Codemod, FunctionPlan, Group, Planned, Project, Setting, Swap
from . import plan
from .edits import (
    AsyncEngine,
    AsyncEngineBeside,
    AsyncSessionFactory,
    AsyncSessionName,
    AsyncSessionWith,
    AsyncUrl,
    AwaitDatabase,
    CreateAllAsync,
    ImportAsyncEngine,
    RefreshAfterCommit,
    RenameEngine,
)
from .names import catalog_rows, kind_of, touches_database

SETTING = Setting(
    "db-session",
    ("sync", "async"),
    "sync",
    "'async' migrates sync SQLAlchemy/SQLModel sessions, their engine and every function using them "
    "to AsyncSession, all together or not at all.",
)


@dataclass(frozen=True)
class _State:
    index: ProjectIndex
    by_module: dict[str, plan.Group]


class DatabaseSwap(Swap):
    name = "db-session"
    rules = (Rule.DB_SESSION, Rule.DB_GROUP, Rule.ORM_LEGACY_QUERY, Rule.ORM_EXPIRED)
    settings = (SETTING,)

    def catalog_rows(self, options: Mapping[str, str]) -> Mapping[str, Entry]:
        """The sessions' methods and results, typed for the index, when sessions migrate."""
        return catalog_rows() if options.get(SETTING.key) == "async" else {}

    def prepare(self, project: Project) -> _State | None:
        if project.options[SETTING.key] != "async":
            return None
        return _State(project.index, plan.groups(project.index))

    def plan_call(self, state: _State, fact: FunctionFact, call: CallFact) -> Planned | None:
        group = state.by_module.get(fact.module)
        if group is None or group.problems or not isinstance(call.callee, ExternalCallee):
            return None
        if not plan.uses_database(fact) or not _touches(call):
            return None
        return plan.plan_call(group, fact, call, kind_of(call.callee.qualname) or "")

    def plan_function(self, state: _State, fact: FunctionFact) -> FunctionPlan | None:
        group = state.by_module.get(fact.module)
        if group is None or fact.qualname not in group.members:
            return None
        edits, blockers = plan.plan_member(group, state.index, fact)
        return FunctionPlan(tuple(edits), tuple(blockers), group=None if group.problems else group.key)

    def groups(self, state: _State) -> Iterable[Group]:
        seen: dict[str, plan.Group] = {group.key: group for group in state.by_module.values()}
        return [
            Group(key, frozenset(group.members), plan.group_edits(group, state.index))
            for key, group in sorted(seen.items())
            if not group.problems
        ]

    def group_off(
        self, state: _State, key: Hashable, causes: Mapping[str, list[Finding]]
    ) -> Mapping[str, list[Finding]]:
        group = next((group for group in state.by_module.values() if group.key == key), None)
        return plan.explain_off(group, state.index, causes) if group is not None else {}

    def codemods(self) -> Mapping[type[Edit], Codemod]:
        from . import codemods

        return {
            AwaitDatabase: codemods.await_database,
            AsyncSessionWith: codemods.async_with,
            CreateAllAsync: codemods.create_all_async,
            AsyncSessionName: codemods.async_session_name,
            AsyncEngine: codemods.async_engine,
            AsyncUrl: codemods.async_url,
            AsyncSessionFactory: codemods.async_session_factory,
            RefreshAfterCommit: codemods.refresh_after_commit,
            AsyncEngineBeside: codemods.async_engine_beside,
            RenameEngine: codemods.rename_engine,
            ImportAsyncEngine: codemods.import_async_engine,
        }


def _touches(call: CallFact) -> bool:
    return isinstance(call.callee, ExternalCallee) and touches_database(call.callee.qualname)


SWAP = DatabaseSwap()
