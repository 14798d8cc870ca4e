"""Which blocking HTTP calls become async client requests, and what else changes with them.

Part of ``decide``, and as pure. The index already judged each call on its own (arguments,
response uses); what is left needs the whole project: every ``except`` clause that may catch the
call's errors, in its function and in every function that calls it, directly or not. A clause
for requests' errors also gets the async client's; one whose meaning would change (``except
OSError``, which requests' errors subclass and httpx's don't) keeps the call as it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ...facts import (
    CallFact,
    FunctionFact,
    HandlerFact,
    HttpFact,
    Location,
    Span,
)
from ...plan import Edit
from ...rules import Rule
from . import httpmap
from .edits import CatchAlso, HttpRequest, Latin1Headers, OpenSession, ResponseRead
from .targets import Target

if TYPE_CHECKING:
    from ...index import ProjectIndex


@dataclass(frozen=True)
class _Guard:
    """A handler that may catch a translated call's errors (not those of ``response.json()``,
    which requests still decodes: ``codemods.http_client.requests_json``)."""

    path: Path
    handler: HandlerFact


Translation = list[Edit] | str
"""The edits of a translated call, or why it stays as it is."""


def plan_http(
    index: ProjectIndex, frozen: frozenset[Path], target: Target
) -> dict[tuple[Path, Span], Translation]:
    """Every HTTP call of the index's functions, translated or with the reason it isn't."""
    found: dict[tuple[Path, Span], Translation] = {}
    ssl_names: dict[Path, str] = {}
    reach = _Reach(index)
    app_handlers = _app_handlers(index, reach)
    remote = _remote_guards(index, reach)
    for fact in index.functions.values():
        for call in fact.calls:
            if call.http is None:
                continue
            key = (fact.path, call.span)
            if call.http.obstacle:
                found[key] = call.http.obstacle
                continue
            if fact.path not in ssl_names:
                ssl_names[fact.path] = _free_name(index, fact.path, "_SSL_CONTEXT")
            found[key] = _translate(
                index, frozen, target, fact, call, ssl_names[fact.path], app_handlers, remote
            )
    _whole_sessions(index, found, target, ssl_names)
    return found


def _whole_sessions(
    index: ProjectIndex,
    found: dict[tuple[Path, Span], Translation],
    target: Target,
    ssl_names: dict[Path, str],
) -> None:
    """A session becomes an async client only if every request made on it can be translated;
    then its ``with`` statement is rewritten along with each of them."""
    members: dict[tuple[Path, Span], list[tuple[Path, Span]]] = {}
    openers: dict[tuple[Path, Span], HttpFact] = {}
    for fact in index.functions.values():
        for call in fact.calls:
            if call.http is not None and call.http.session is not None:
                session = (fact.path, call.http.session)
                members.setdefault(session, []).append((fact.path, call.span))
                openers[session] = call.http
                if call.with_blocks or call.skip or not call.awaitable:
                    # it would stay a blocking call (in a block moved to the threadpool, skipped,
                    # or where await can't go) on what has become an async client
                    found[(fact.path, call.span)] = "this request can't be awaited where it is"
    for (path, span), calls in members.items():
        stuck = next(((key, found[key]) for key in calls if isinstance(found[key], str)), None)
        if stuck is not None:
            (_, where), why = stuck
            for key in calls:
                if not isinstance(found[key], str):
                    found[key] = (
                        f"the request at line {where.line} on the same session can't be translated: {why}"
                    )
            continue
        http = openers[(path, span)]
        opening = OpenSession(
            Rule.HTTP_CLIENT, path, span, http.library, target.name, ssl_names[path], http.session_binding
        )
        for key in calls:
            translation = found[key]
            assert not isinstance(translation, str)
            translation.append(opening)


AppHandler = tuple[str, Location, set[str]]
"""An app-wide handler of an exception a translation would change, where it is registered, and
the modules whose errors can reach it."""


def _translate(
    index: ProjectIndex,
    frozen: frozenset[Path],
    target: Target,
    fact: FunctionFact,
    call: CallFact,
    ssl_name: str,
    app_handlers: list[AppHandler],
    remote: list[tuple[_Guard, set[str]]],
) -> Translation:
    http = call.http
    assert http is not None and http.statement is not None
    edits: list[Edit] = [
        HttpRequest(
            Rule.HTTP_CLIENT,
            fact.path,
            call.span,
            http.library,
            http.verb,
            target.name,
            http.statement,
            http.client_name,
            ssl_name,
            http.response_name,
            http.session is not None,
            http.form,
            http.optional_json,
            None if http.session is not None else call.binding,
        )
    ]
    if http.library == "httpx":
        if target.family != "httpx":
            return f"httpx calls are translated to httpx's own async client only (not {target.name})"
        return edits  # the same library's async client: same response, same exceptions
    for name, where, modules in app_handlers:
        if fact.module in modules:
            # its argument is one class: it can't also name the async client's errors
            return f"the app handles {name} at {where}"
    reads = [use for use in http.uses if use.kind in target.reads]
    if http.named_headers is not None and not http.ascii_headers and target.latin1_headers:
        edits.append(Latin1Headers(Rule.HTTP_CLIENT, fact.path, http.named_headers))
    if target.obstacle is not None:
        problem = target.obstacle(http, call.keywords, reads)
        if problem:
            return problem
    edits += [
        ResponseRead(Rule.HTTP_CLIENT, fact.path, use.span, use.kind, use.bare, target.family)
        for use in reads
    ]
    reaching = (guard for guard, modules in remote if fact.module in modules)
    for guard in _merged(_guards(index, fact, call), reaching):
        outcome = _adapt(guard, target)
        if isinstance(outcome, str):
            return outcome
        if outcome and guard.path in frozen:
            where = f"{guard.path}:{guard.handler.span.line}"
            return f"an except clause at {where}, in a file not being rewritten, catches its errors"
        edits += outcome
    return edits


def _guards(index: ProjectIndex, fact: FunctionFact, call: CallFact) -> Iterator[_Guard]:
    """The handlers around the call, its response's ``raise_for_status()``, and (transitively)
    the calls of the function that makes it."""
    http = call.http
    assert http is not None
    for handler in call.handlers:
        yield _Guard(fact.path, handler)
    for handlers in http.raise_sites:
        for handler in handlers:
            yield _Guard(fact.path, handler)
    seen = {fact.qualname}
    pending = [fact.qualname]
    while pending:
        for ref in index.callers.get(pending.pop(), []):
            if ref.caller is None or ref.caller in seen:
                continue
            seen.add(ref.caller)
            pending.append(ref.caller)
            caller = index.functions[ref.caller]
            site = next(c for c in caller.calls if c.span == ref.span)
            for handler in site.handlers:
                yield _Guard(caller.path, handler)


def _may_see_requests_errors(caught: str | None) -> bool:
    name = httpmap.canonical_exception(caught) if caught else None
    return name is None or name.startswith("requests.") or name in httpmap.SHADOWING | httpmap.CATCH_ALL


class _Reach:
    """Which modules' errors can reach code in a module that no call leads to (an app-wide
    handler, a middleware): those of every module that one module of the project imports
    together with it (the app's main module usually imports both)."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self._closures: dict[str, set[str]] | None = None

    def of(self, path: Path) -> set[str]:
        if self._closures is None:
            self._closures = _import_closures(self.index)
        module = self.index.module_facts_at(path)
        name = module.name if module is not None else None
        return set().union(*(closure for closure in self._closures.values() if name in closure))


def _app_handlers(index: ProjectIndex, reach: _Reach) -> list[AppHandler]:
    """``@app.exception_handler(requests.X)`` (or ``OSError``...), and the modules whose errors
    it sees."""
    return [
        (
            httpmap.canonical_exception(caught) if caught else "an exception the tool can't name",
            where,
            reach.of(where.path),
        )
        for caught, where in index.exception_handlers
        if _may_see_requests_errors(caught) and caught not in httpmap.CATCH_ALL
    ]


def _remote_guards(index: ProjectIndex, reach: _Reach) -> list[tuple[_Guard, set[str]]]:
    """The clauses around a middleware's ``call_next`` or a dependency's ``yield`` that may
    catch requests' errors, and the modules whose errors they see."""
    return [
        (_Guard(path, handler), reach.of(path))
        for path, handler in index.remote_handlers
        if any(map(_may_see_requests_errors, handler.types))
    ]


def _import_closures(index: ProjectIndex) -> dict[str, set[str]]:
    """Each project module with everything it imports from the project, directly or not."""
    direct = {
        name: {
            imported
            for imported in (_module_of(index, item[0]) for item in module.imports.values())
            if imported
        }
        for name, module in index.module_facts.items()
    }
    closures: dict[str, set[str]] = {}
    for start in direct:
        seen = {start}
        pending = [start]
        while pending:
            for imported in direct.get(pending.pop(), ()):
                if imported not in seen:
                    seen.add(imported)
                    pending.append(imported)
        closures[start] = seen
    return closures


def _module_of(index: ProjectIndex, qualname: str) -> str | None:
    """The project module a qualified name lives in (``app.routers.items.router``: ``app.routers.items``)."""
    name = qualname
    while name:
        if name in index.module_facts:
            return name
        name = name.rpartition(".")[0]
    return None


def _merged(*guards: Iterator[_Guard]) -> list[_Guard]:
    """One guard per clause, however many times it is seen."""
    return list(dict.fromkeys(guard for some in guards for guard in some))


def merge_catches(edits: list[Edit]) -> list[Edit]:
    """Two translated calls under one clause: the clause gets the types both need, once."""
    also: dict[tuple[Path, Span], tuple[str, ...]] = {}
    for edit in edits:
        if isinstance(edit, CatchAlso):
            key = (edit.path, edit.span)
            also[key] = tuple(dict.fromkeys([*also.get(key, ()), *edit.also]))
    merged: list[Edit] = []
    for edit in edits:
        if isinstance(edit, CatchAlso):
            key = (edit.path, edit.span)
            if key not in also:
                continue
            edit = replace(edit, also=also.pop(key))
        merged.append(edit)
    return merged


def _adapt(guard: _Guard, target: Target) -> list[CatchAlso] | str:
    """The clause's new types (and those of its ``isinstance`` checks), or why it can't be
    adapted."""
    handler = guard.handler
    where = Location(guard.path, handler.span.line)
    also, requests_types = _counterparts(handler, target, where)
    if isinstance(also, str):
        return also
    catches_all = not httpmap.CATCH_ALL.isdisjoint(handler.types)
    if not also and not catches_all:
        return []
    if "type" in handler.bound_uses or "__class__" in handler.bound_uses:
        return f"the except clause at {where} tells the error by its class, which differs for {target.name}"
    readable = target.error_attributes
    for use in handler.bound_uses:
        if use.startswith("response") and set(requests_types) != {"requests.HTTPError"}:
            return f"the except clause at {where} reads .response of an error that may not have one"
        if use not in readable:
            return (
                f"the except clause at {where} reads .{use} of the error, "
                f"which {target.name} spells differently"
            )
    edits = [CatchAlso(Rule.HTTP_CLIENT, guard.path, handler.span, also)] if also else []
    for check in handler.type_checks:
        outcome = _adapt(_Guard(guard.path, check), target)
        if isinstance(outcome, str):
            return outcome.replace("except clause", "isinstance() check")
        edits += outcome
    return edits


def _counterparts(
    handler: HandlerFact, target: Target, where: Location
) -> tuple[tuple[str, ...] | str, list[str]]:
    """The target's errors to add to what the clause catches, and the requests errors it names
    (or why it can't be adapted)."""
    also: list[str] = []
    requests_types: list[str] = []
    for caught in handler.types:
        if caught is None:
            return f"the except clause at {where} catches something the tool can't name", []
        if caught in httpmap.CATCH_ALL:
            continue
        name = httpmap.canonical_exception(caught)
        if name in httpmap.SHADOWING:
            short = name.removeprefix("builtins.")
            return (
                f"except {short} at {where} catches requests' errors (all {short}s), "
                f"not all of {target.name}'s",
                [],
            )
        if not name.startswith("requests."):
            continue
        if name not in target.exceptions:
            return f"except {name} at {where} has no exact {target.name} counterpart", []
        requests_types.append(name)
        also += [f"{target.module}.{item}" for item in target.exceptions[name]]
    return tuple(dict.fromkeys(also)), requests_types


def _free_name(index: ProjectIndex, path: Path, wanted: str) -> str:
    module = index.module_facts_at(path)
    taken = module.identifiers if module is not None else frozenset()
    name, n = wanted, 1
    while name in taken:
        n += 1
        name = f"{wanted}_{n}"
    return name
