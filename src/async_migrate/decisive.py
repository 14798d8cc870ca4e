"""Which of a function's findings to show first: the one that decides it stays sync.

A function kept sync often has dozens of AM201 findings, most of them a method such as
``value.strip()`` on a value the tool cannot type; the one a reader must see first is the
database query or the HTTP request among them, or a reason that holds whatever the calls are
(a sync caller, a connection that escapes its block). Only the order of the report changes,
never the decision.
"""

from __future__ import annotations

import re

from .plan import Finding
from .rules import Rule

_BUILTIN_METHODS = frozenset(
    name for kind in (str, bytes, list, dict, set, tuple, int, float) for name in dir(kind) if name[0] != "_"
)
"""Method names of the builtin types: on an unknown value, most likely one of those."""

_IO_METHODS = frozenset(
    {
        *("query", "execute", "executemany", "commit", "rollback", "flush", "refresh", "scalar", "scalars"),
        *("fetch", "fetchone", "fetchall", "fetchmany", "send", "sendall", "recv", "connect", "urlopen"),
        *("request", "get", "post", "put", "patch", "delete", "head", "options", "upload", "download"),
        "publish",
    }
)
"""Method names of database, HTTP and socket clients."""

_IO_RECEIVERS = frozenset(
    {
        *("session", "db", "database", "conn", "connection", "cursor", "engine", "redis", "s3", "boto3"),
        *("client", "requests", "httpx", "urllib", "http", "api", "socket", "sock", "smtp", "ftp"),
    }
)
"""Words in the name of the value a method is called on that say it talks to another system."""


def decisive_first(findings: list[Finding]) -> list[Finding]:
    """``findings`` ordered by how surely each keeps its function sync; unknown calls of one rank
    by line, the others as they came."""
    return sorted(findings, key=lambda f: (_rank(f), f.location.line if f.rule is Rule.UNKNOWN_CALL else 0))


def _rank(finding: Finding) -> int:
    """0: a reason that holds whatever the calls are, or a rewrite; 1: an unknown call that looks
    like I/O (an HTTP or database client, a session); 2: any other unknown call; 3: a builtin
    type's method name (``s.strip()``) on a value of unknown type; 4: a note on existing async code."""
    if finding.rule is Rule.UNCHECKED_IN_ASYNC:
        return 4
    if finding.rule is not Rule.UNKNOWN_CALL:
        return 0
    # "f() reaches g() -> x.m() (method 'm' of ...): ..." is about the last call named
    call = re.split(r" reaches | -> ", finding.message)[-1]
    call = call.split("()", 1)[0]
    method = re.search(r"method '(\w+)'", finding.message)
    names = re.findall(r"[A-Za-z_]\w*", call)
    name = method.group(1) if method else (names[-1] if names else "")
    before = call[: call.rfind(name)] if name in call else call
    receiver = {word for word in re.split(r"[^a-z0-9]+", before.lower()) if word}
    looks_io = bool(receiver & _IO_RECEIVERS)
    if name in _BUILTIN_METHODS and not looks_io:
        return 3
    if looks_io or name in _IO_METHODS:
        return 1
    return 2
