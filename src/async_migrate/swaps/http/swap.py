"""The HTTP swap: project-wide planning (``planner.plan_http``) decides which calls translate to
the configured client; the calls it translated are this swap's, the others it leaves to the
threadpool swap with the reason (AM106)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ...facts import CallFact, FunctionFact, Span
from ...plan import Edit
from ...rules import Rule
from ..base import Codemod, Planned, Project, Setting, Swap
from ..common import needs_lambda
from ..threadpool.edits import WrapCall
from .planner import Translation, merge_catches, plan_http
from .targets import TARGETS

THREADPOOL = "threadpool"
"""The ``http-client`` value that keeps every HTTP call as it is (the threadpool swap moves it)."""

Translations = dict[tuple[Path, Span], Translation]


class HttpSwap(Swap):
    name = "http"
    rules = (Rule.HTTP_CLIENT, Rule.HTTP_THREADPOOL)
    settings = (
        Setting(
            "http-client",
            (*TARGETS, THREADPOOL),
            "httpx",
            "Async client for blocking HTTP calls; 'threadpool' keeps them as they are.",
        ),
    )

    def codemods(self) -> Mapping[type[Edit], Codemod]:
        from .codemods import CODEMODS

        return CODEMODS

    def prepare(self, project: Project) -> Translations | None:
        client = project.options["http-client"]
        if client == THREADPOOL:
            return None
        return plan_http(project.index, project.frozen, TARGETS[client])

    def plan_call(self, state: Translations, fact: FunctionFact, call: CallFact) -> Planned | None:
        translation = state.get((fact.path, call.span))
        if translation is None or not call.awaitable:
            return None
        if isinstance(translation, str):
            why = translation
            return Planned(
                (WrapCall(Rule.HTTP_THREADPOOL, fact.path, call.span, needs_lambda(call), why=why),)
            )
        return Planned(tuple(translation))

    def finish(self, state: Translations, edits: list[Edit]) -> list[Edit]:
        return merge_catches(edits)


SWAP = HttpSwap()
