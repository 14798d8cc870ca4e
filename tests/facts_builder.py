"""Facts by hand: a ``ProjectIndex`` from a few lines of data, so that a rule of ``decide`` is
tested on exactly the facts it reads, with no source to parse and no index to build.

    index = index_of({
        "app.route": fn("app.helper", "os.listdir", entry="route"),
        "app.helper": fn("time.sleep"),
    })

A callee is a function of the index being built (``app.helper``), an unknown one (``?why``), or
else a library function, named as the catalog names it. Each function of ``app`` lives in
``app.py``, ten lines below the one before it; its calls are on the lines after its ``def``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from async_migrate.facts import (
    Callee,
    CallerRef,
    CallFact,
    EntryPoint,
    ExternalCallee,
    FunctionFact,
    Location,
    ModuleFacts,
    ProjectCallee,
    Span,
    UnknownCallee,
)
from async_migrate.index import ProjectIndex


@dataclass(frozen=True)
class Call:
    """One call a function makes (a plain string in ``fn`` is a call with these defaults)."""

    callee: str
    awaitable: bool = True
    """``False``: in a lambda or a generator expression, where ``await`` can't go."""
    awaited: bool = False
    use: str = "other"


@dataclass(frozen=True)
class Fn:
    calls: tuple[Call, ...] = ()
    entry: str | None = None
    """``route``, ``dependency`` or ``event``: FastAPI calls it."""
    is_async: bool = False


def fn(*calls: str | Call, entry: str | None = None, is_async: bool = False) -> Fn:
    return Fn(tuple(Call(c) if isinstance(c, str) else c for c in calls), entry, is_async)


@dataclass(frozen=True)
class CountedUses:
    """``NameUses`` from counts given by hand."""

    counts: Mapping[str, int]

    def more_than(self, name: str, count: int) -> bool:
        return self.counts.get(name, 0) > count


def path_of(qualname: str) -> Path:
    return Path(qualname.rpartition(".")[0].replace(".", "/") + ".py")


def index_of(functions: Mapping[str, Fn], called_at_module_level: Iterable[str] = ()) -> ProjectIndex:
    """The index of ``functions`` (qualified name -> what it does); the functions named in
    ``called_at_module_level`` are also called by their module's own top-level code."""
    facts = {
        qualname: _function_fact(qualname, spec, 10 * position + 1, functions)
        for position, (qualname, spec) in enumerate(functions.items())
    }
    callers: dict[str, list[CallerRef]] = {}
    for fact in facts.values():
        for call in fact.calls:
            if isinstance(call.callee, ProjectCallee):
                where = Location(fact.path, call.span.line)
                ref = CallerRef(fact.qualname, where, call.span, call.awaitable, ())
                callers.setdefault(call.callee.qualname, []).append(ref)
    for qualname in called_at_module_level:
        line = 10 * len(facts) + 1
        span = Span(line, 0, line, len(qualname) + 2)
        ref = CallerRef(None, Location(path_of(qualname), line), span, False, ())
        callers.setdefault(qualname, []).append(ref)
    entry_points = {
        qualname: [EntryPoint(spec.entry, facts[qualname].location)]
        for qualname, spec in functions.items()
        if spec.entry
    }
    return ProjectIndex(facts, entry_points, callers, {}, [], {}, module_facts=_module_facts(facts.values()))


def _function_fact(qualname: str, spec: Fn, line: int, functions: Mapping[str, Fn]) -> FunctionFact:
    module, _, name = qualname.rpartition(".")
    calls = [
        CallFact(
            span=Span(line + offset, 4, line + offset, 4 + len(_text(call.callee, functions)) + 2),
            text=_text(call.callee, functions),
            callee=_callee(call.callee, functions),
            awaitable=call.awaitable,
            awaited=call.awaited,
            use=call.use,
            outer_call=None,
            with_blocks=(),
            offloaded=False,
            binding=None,
            keywords=(),
            has_star_kwargs=False,
            sole_numeric_arg=None,
        )
        for offset, call in enumerate(spec.calls, start=1)
    ]
    return FunctionFact(
        qualname,
        name,
        path_of(qualname),
        module,
        Span(line, 0, line, 4 + len(name)),
        line + len(calls),
        spec.is_async,
        is_generator=False,
        generator_obstacle=None,
        decorators=[],
        returns=None,
        returns_binding=None,
        class_name=None,
        calls=calls,
    )


def _callee(name: str, functions: Mapping[str, Fn]) -> Callee:
    if name.startswith("?"):
        return UnknownCallee(name[1:])
    return ProjectCallee(name) if name in functions else ExternalCallee(name)


def _text(name: str, functions: Mapping[str, Fn]) -> str:
    """How the call is written: ``helper``, ``time.sleep``, ``value.method`` (an unknown callee)."""
    if name.startswith("?"):
        return "value.method"
    return name.rpartition(".")[2] if name in functions else name


def _module_facts(facts: Iterable[FunctionFact]) -> dict[str, ModuleFacts]:
    names: dict[str, Counter[str]] = {}
    paths: dict[str, Path] = {}
    for fact in facts:
        names.setdefault(fact.module, Counter())[fact.name] += 1
        paths[fact.module] = fact.path
    return {
        module: ModuleFacts(module, paths[module], {}, frozenset(used), CountedUses(used))
        for module, used in names.items()
    }
