"""Stable codes for every rewrite and every keep-sync reason, each with a one-line explanation.

Codes never change meaning; reports, docs and ``async-migrate --explain`` read them from here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Rule(enum.Enum):
    def __new__(cls, code: str, title: str, explanation: str) -> Rule:
        member = object.__new__(cls)
        member._value_ = code
        member.title = title  # type: ignore[attr-defined]
        member.explanation = explanation  # type: ignore[attr-defined]
        return member

    # -- rewrites ---------------------------------------------------------------------------
    MAKE_ASYNC = (
        "AM001",
        "make-async",
        "A FastAPI endpoint or dependency becomes `async def`: every blocking call it makes was taken "
        "off the event loop and every caller awaits it.",
    )
    AWAIT_CALL = (
        "AM002",
        "await-call",
        "A call to a function converted in the same run gets `await`.",
    )
    ASYNC_SLEEP = (
        "AM101",
        "async-sleep",
        "`time.sleep(x)` becomes `await asyncio.sleep(x)`; `await anyio.sleep(x)` when x is not a "
        "literal, because anyio, like time.sleep, rejects negative delays.",
    )
    ASYNC_TWIN = (
        "AM104",
        "async-twin",
        'A call configured with an exact async twin (`blocking = {"mylib.fetch" = "mylib.afetch"}`) '
        "becomes an awaited call of the twin, with the same arguments.",
    )
    THREADPOOL_CALL = (
        "AM102",
        "threadpool-call",
        "A blocking call with no exact async twin runs in the threadpool: "
        "`await run_in_threadpool(fn, *args, **kwargs)`.",
    )
    THREADPOOL_BLOCK = (
        "AM103",
        "threadpool-block",
        "A `with` block around a blocking object (a file, a connection) moves into a local function "
        "that runs in the threadpool, so no method of that object runs on the loop.",
    )
    HTTP_CLIENT = (
        "AM105",
        "http-client",
        "A blocking `requests` or `httpx` call becomes an awaited request of an async client "
        "(`httpx.AsyncClient` by default) opened around its statement, with requests' defaults spelled "
        "out (no timeout, redirects followed up to 30), its response reads (`.ok`, `bool(r)`, `.url`, "
        "`.reason`, `raise_for_status()`) and the `except` clauses that catch its errors adapted. The "
        "User-Agent header names httpx, and ~/.netrc and REQUESTS_CA_BUNDLE are no longer read.",
    )
    HTTP_THREADPOOL = (
        "AM106",
        "http-threadpool",
        "A blocking HTTP call the tool cannot translate exactly (an argument, a use of the response or "
        "an `except` clause whose meaning would change) runs in the threadpool as it is; the report "
        "names what stopped it.",
    )
    DB_SESSION = (
        "AM107",
        "db-session",
        "With `--db-session async`: a sync SQLAlchemy or SQLModel session, its engine and every "
        "function using it become async together. `create_engine` becomes `create_async_engine` "
        "with the async driver of the same database, `Session` becomes `AsyncSession` (sqlmodel's "
        "for sqlmodel code), `with` becomes `async with`, the session's I/O methods are awaited and "
        "`metadata.create_all(engine)` runs through `conn.run_sync` in `engine.begin()`.",
    )
    # -- reasons to keep a function sync ----------------------------------------------------
    UNKNOWN_CALL = (
        "AM201",
        "unknown-call",
        "A call the tool cannot classify (third-party code, a method of a value of unknown type) may "
        "block; the function stays `def`. Declare it in `[tool.async-migrate]` if you know better.",
    )
    SYNC_CALLER = (
        "AM202",
        "sync-caller",
        "The function is called from sync code (module level, a script, a job, a test, a lambda), "
        "also from files excluded from the run, or a method of its name is called on a value of "
        "unknown type (a test's fixture); making it async would hand those callers a coroutine.",
    )
    USED_AS_VALUE = (
        "AM203",
        "used-as-value",
        "The function is passed or stored as a value (callback, map, key=, dict); whoever calls it "
        "later would get a coroutine.",
    )
    UNKNOWN_DECORATOR = (
        "AM204",
        "unknown-decorator",
        "A decorator the tool does not know (lru_cache, property, a third-party one) may not "
        "support coroutine functions.",
    )
    RESOURCE_ESCAPES = (
        "AM205",
        "resource-escapes",
        "A blocking object (a file, a connection) is used outside a `with` block that could move to "
        "the threadpool as a whole; moving its calls one by one would leave some on the loop.",
    )
    NOT_AWAITABLE_HERE = (
        "AM206",
        "not-awaitable-here",
        "A blocking call sits where `await` cannot go (a lambda, a nested function, a generator "
        "expression, an annotation a `def` evaluates, passed as a callable, or run by reading a "
        "project `@property`).",
    )
    MUST_NOT_MOVE = (
        "AM207",
        "must-not-move",
        "A call that must neither run on the loop nor move to another thread (process-global "
        "state such as os.chdir, an indefinite wait such as input(), or a nested event loop).",
    )
    GENERATOR = (
        "AM208",
        "generator",
        "A generator that cannot become an async generator (`yield from`, `return value`), or a "
        "blocking generator whose items would still be produced on the loop.",
    )
    SPECIAL_METHOD = (
        "AM209",
        "special-method",
        "Dunder methods are called by Python itself, which never awaits them.",
    )
    NO_GAIN = (
        "AM210",
        "no-gain",
        "A function whose every blocking call would need the threadpool anyway stays `def`: FastAPI "
        "(for an endpoint or dependency) or its async callers (for a helper) run it in the threadpool "
        "as a whole, one hop instead of one per call. `--convert-threadpool-only` converts such "
        "endpoints anyway. Startup/shutdown handlers are exempt: Starlette runs them on the loop.",
    )
    OVERRIDDEN = (
        "AM211",
        "overridden",
        "A method overridden in a subclass, or overriding a base class method: all of them would "
        "have to change colour together.",
    )
    CONTEXT_VARIABLE = (
        "AM212",
        "context-variable",
        "A function that sets a context variable stays `def`: FastAPI runs sync code in a copy of the "
        "request's context, so moving the call would change who sees the value.",
    )
    CLASS_DEPENDENCY = (
        "AM213",
        "class-dependency",
        "A class used as a dependency: FastAPI always instantiates it in the threadpool, and "
        "`__init__` cannot be async, so it stays as it is.",
    )
    THREAD_LOCAL = (
        "AM214",
        "thread-local",
        "A function that uses `threading.local` state stays `def`: on the event loop every request "
        "would share one thread's state, and in the threadpool its calls could land on other threads.",
    )
    SKIPPED = (
        "AM215",
        "skipped",
        "`# async-migrate: skip` on a `def` line (or the keep-sync setting) keeps that function as it "
        "is; on a call line it leaves that call alone (and a sync function stays sync if that call "
        "would block).",
    )
    THREAD_LOCK = (
        "AM216",
        "thread-lock",
        "A function that takes a thread lock (`with lock:`, `lock.acquire()`, `Condition.wait()` of "
        "a `threading` Lock, RLock, Semaphore or Condition), or that would await inside a `with` "
        "block of an object of unknown type, stays `def`: on the event loop a request that finds "
        "the lock taken blocks the loop, and if the holder is awaiting, nothing ever releases it.",
    )
    ORM_LAZY_LOAD = (
        "AM217",
        "orm-lazy-load",
        "A function that reads (or sets) a relationship of a SQLAlchemy or SQLModel instance "
        "(`user.organizations`), itself or through a helper, stays `def`: the read may run a query "
        "(a lazy load, or a reload after a commit expired it). So does a route returning a mapped "
        "instance whose response model has a field named like one of its relationships: FastAPI "
        "reads it while validating the response, on the event loop for an `async def` route.",
    )
    DB_GROUP = (
        "AM218",
        "db-session-group",
        "A function using a sync database session stays `def` because its session group can't "
        "become async as a whole: one member must stay sync (the report names it and why), the "
        "engine's URL or arguments have no exact async form, or the engine or session is used "
        "where the tool can't follow it. Without `--db-session async` every such function stays "
        "sync; the summary counts them.",
    )
    ORM_LEGACY_QUERY = (
        "AM219",
        "orm-legacy-query",
        "`session.query(...)` is SQLAlchemy's legacy query API, which `AsyncSession` doesn't have: "
        "the function, and its session group, stay sync.",
    )
    ORM_EXPIRED = (
        "AM220",
        "orm-expired-after-commit",
        "An instance the session loaded or added is read after `commit()` (or `rollback()`, or a "
        "helper given the session) with no `refresh()` of it in between, where the tool can't put "
        "`await session.refresh(obj)` before the first read (a list, a deleted instance, the "
        "instance itself handed on, a read in another block than the commit or in a loop): the sync "
        "session reloads it lazily (a query), which an `AsyncSession` can't do (`MissingGreenlet`). "
        "The function, and its session group, stay sync; the tool never turns `expire_on_commit` off.",
    )
    # -- notes on existing async code -------------------------------------------------------
    UNCHECKED_IN_ASYNC = (
        "AM301",
        "unchecked-in-async",
        "An existing `async def` makes a call the tool cannot classify; it is left as written.",
    )

    @property
    def code(self) -> str:
        return self.value


@dataclass(frozen=True)
class Tally:
    """One count of the summary's last part (``2 sleeps made async``)."""

    noun: str
    done: str
    rules: frozenset[Rule]
    always: bool = True
    """Said even when none: false for rewrites only a project's configuration asks for."""


TALLIES = (
    Tally(
        "call",
        "moved to the threadpool",
        frozenset({Rule.THREADPOOL_CALL, Rule.THREADPOOL_BLOCK, Rule.HTTP_THREADPOOL}),
    ),
    Tally("sleep", "made async", frozenset({Rule.ASYNC_SLEEP})),
    Tally("HTTP call", "made async", frozenset({Rule.HTTP_CLIENT})),
    Tally("call", "replaced by an async twin", frozenset({Rule.ASYNC_TWIN}), always=False),
    Tally("database call", "made async", frozenset({Rule.DB_SESSION}), always=False),
)
"""The rewrites of blocking calls the summary counts, in its order."""

CALL_REWRITES = frozenset({Rule.AWAIT_CALL}).union(*(tally.rules for tally in TALLIES))
"""Rules of the rewrites that take a call off the loop or await it: what makes a function safe
to convert besides having no blocking call."""
