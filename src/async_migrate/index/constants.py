"""The names of the things the index recognises: route methods, app classes, dependency markers,
threadpool runners. Shared by every pass, so they live apart from any one of them.
"""

from __future__ import annotations

import ast
import builtins
import re

DATA = "builtins.object"
"""The type of plain values (parsed JSON, lists, stat results): their methods never block."""


ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route", "websocket"}
)


ROUTE_REGISTRATIONS = frozenset({"add_api_route", "add_api_websocket_route"})


APP_CLASSES = frozenset(
    {"fastapi.FastAPI", "fastapi.applications.FastAPI", "fastapi.APIRouter", "fastapi.routing.APIRouter"}
)


DEPENDENCY_MARKERS = frozenset(
    {
        "fastapi.Depends",
        "fastapi.Security",
        "fastapi.params.Depends",
        "fastapi.params.Security",
        "fastapi.param_functions.Depends",
        "fastapi.param_functions.Security",
    }
)


THREAD_LOCALS = frozenset({"threading.local", "_threading_local.local"})


TRANSPARENT_DECORATORS = frozenset({"builtins.staticmethod", "builtins.classmethod"})


STREAMING_RESPONSES = frozenset(
    {"fastapi.responses.StreamingResponse", "starlette.responses.StreamingResponse"}
)
"""Responses that iterate a sync iterator in the threadpool, one ``next()`` per hop."""


THREADPOOL_RUNNERS = frozenset(
    {
        "fastapi.concurrency.run_in_threadpool",
        "starlette.concurrency.run_in_threadpool",
        "anyio.to_thread.run_sync",
        "asyncio.to_thread",
    }
)
"""Functions that call their first argument in a worker thread: what they run is off the loop."""


PARTIALS = frozenset({"functools.partial", "functools.cmp_to_key"})
"""Wrap a callable: calling the result calls the callable."""


KEY_MAKERS = frozenset({"operator.itemgetter", "operator.attrgetter"})
"""Make a key function that only reads items or attributes."""


_BUILTIN_NAMES = frozenset(dir(builtins))


_TRY_STATEMENTS = (ast.Try, getattr(ast, "TryStar", ast.Try))  # try/except* is Python 3.11+


# ``type X = v`` (Python 3.12+ reads it natively; older ones read the lowered ``X = v``)
TYPE_ALIAS: tuple[type[ast.stmt], ...] = tuple(filter(None, [getattr(ast, "TypeAlias", None)]))


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


_SKIP = re.compile(r"#\s*async-migrate:\s*skip\b")
