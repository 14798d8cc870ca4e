"""What a blocking HTTP call means, argument by argument, in the async client that replaces it.

One table for the index (which checks that a call only uses what maps exactly) and for the
codemod (which writes the translation), so the two can't drift apart. Every row was checked
against requests 2.34 and httpx 0.28 on a loopback server (see ``tests/test_http_translation.py``).
"""

from __future__ import annotations

VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
BODYLESS_VERBS = frozenset({"get", "head", "options", "delete"})
"""httpx's shortcuts for these take no body; a call with one goes through ``client.request``."""

SOURCES = {
    **{f"requests.{verb}": ("requests", verb) for verb in VERBS},
    "requests.request": ("requests", "request"),
    "requests.api.request": ("requests", "request"),
    **{f"requests.api.{verb}": ("requests", verb) for verb in VERBS},
    **{f"httpx.{verb}": ("httpx", verb) for verb in VERBS},
    "httpx.request": ("httpx", "request"),
}
"""Blocking module-level HTTP functions the tool translates: qualname -> (library, verb)."""

SESSIONS = {"requests.Session": "requests", "requests.sessions.Session": "requests", "httpx.Client": "httpx"}
"""Blocking clients whose ``with`` block becomes an ``async with`` of the async client."""

SESSION_METHODS = {
    f"{session}.{verb}": (library, verb)
    for session, library in SESSIONS.items()
    for verb in (*VERBS, "request")
}
"""Their request methods: qualname -> (library, verb)."""


def source(qualname: str) -> tuple[str, str] | None:
    """(library, verb) of a blocking HTTP function or session method, else ``None``."""
    return SOURCES.get(qualname) or SESSION_METHODS.get(qualname)


SESSION_ONLY_PER_CLIENT = frozenset({"verify", "cookies"})
"""requests arguments an httpx client takes only when it is built, not per request."""

# -- requests ---------------------------------------------------------------------------------

REQUESTS_KEYWORDS = frozenset(
    {"params", "data", "json", "headers", "timeout", "allow_redirects", "auth", "verify", "cookies"}
)
"""The keywords of a requests call that have an exact httpx meaning (checked per value)."""

REQUESTS_MAX_REDIRECTS = 30
"""requests' redirect limit (httpx stops at 20)."""

RESPONSE_ATTRIBUTES = frozenset({"status_code", "content", "headers", "json", "ok", "reason", "url"})
"""``requests.Response`` attributes the translation keeps working; any other use falls back."""

RESPONSE_RENAMES = {"reason": "reason_phrase", "is_redirect": "has_redirect_location"}
"""httpx's ``is_redirect`` is true for any 3xx; ``has_redirect_location`` is requests'
``is_redirect`` (301/302/303/307/308 with a Location)."""

HTTPX_READS = frozenset(
    {"ok", "truth", "error", "bool", "reason", "url", "raise_for_status", "is_redirect", "json"}
)
"""The response reads (``ResponseUse.kind``) that httpx spells differently."""
AIOHTTP_READS = frozenset({"truth", "error", "bool", "url", "status_code", "content", "json", "is_redirect"})
"""The response reads (``ResponseUse.kind``) that aiohttp spells differently."""

AWAITED_READS = frozenset({"content", "json"})
"""Reads that become awaits on an aiohttp response (its body is read with ``await r.read()``)."""

AIOHTTP_MAX_REDIRECTS = REQUESTS_MAX_REDIRECTS + 1
"""aiohttp gives up when the redirect count *reaches* its limit; requests when it passes it."""

HTTPX_EXCEPTIONS = {
    "requests.RequestException": ("HTTPError", "InvalidURL"),
    "requests.HTTPError": ("HTTPStatusError",),
    "requests.ConnectionError": (
        "ConnectError",
        "ConnectTimeout",
        "ReadError",
        "WriteError",
        "RemoteProtocolError",
        "ProxyError",
    ),
    "requests.Timeout": ("TimeoutException",),
    "requests.ConnectTimeout": ("ConnectTimeout",),
    "requests.ReadTimeout": ("ReadTimeout",),
    "requests.TooManyRedirects": ("TooManyRedirects",),
    "requests.JSONDecodeError": (),
}

AIOHTTP_EXCEPTIONS = {
    "requests.RequestException": ("ClientError",),
    "requests.HTTPError": ("ClientResponseError",),
    "requests.ConnectionError": ("ClientOSError", "ServerDisconnectedError", "ConnectionTimeoutError"),
    "requests.Timeout": ("ServerTimeoutError",),
    "requests.ConnectTimeout": ("ConnectionTimeoutError",),
    "requests.ReadTimeout": ("SocketTimeoutError",),
    "requests.TooManyRedirects": ("TooManyRedirects",),
    "requests.JSONDecodeError": (),
}

HTTPX_ERROR_ATTRIBUTES = frozenset(
    {"", "args", "response is None", "response.status_code", "response.content", "response.headers[]"}
)
"""What an ``except`` clause may read of the error it binds (``calls.error_uses``): of the
``response`` of an HTTPError (httpx's ``HTTPStatusError`` has one) what reads the same on an
httpx response."""
AIOHTTP_ERROR_ATTRIBUTES = frozenset({"", "args"})
"""aiohttp's ``ClientResponseError`` has no ``response``."""
"""requests' exceptions and the ones httpx raises in the same situations (names in the
client's module). ``response.json()`` is decoded by requests itself (``REQUESTS_JSON``), so its
errors are requests' own and need no counterpart.

``requests.HTTPError`` is raised by ``raise_for_status`` only: it maps to ``HTTPStatusError``,
never to httpx's ``HTTPError``, which is the base of every httpx error (timeouts included).
"""

CATCH_ALL = frozenset({"builtins.Exception", "builtins.BaseException"})
"""Handlers that catch requests' and httpx's exceptions alike."""

SHADOWING = frozenset(
    {"builtins.OSError", "builtins.IOError", "builtins.EnvironmentError", "builtins.ValueError"}
)
"""Builtin bases of requests' exceptions that httpx's don't share: a handler for one of these
around a requests call would stop catching its failures."""


def canonical_exception(qualname: str) -> str:
    """``requests.exceptions.HTTPError`` and ``requests.HTTPError`` are one class."""
    return qualname.replace("requests.exceptions.", "requests.", 1)
