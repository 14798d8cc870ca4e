"""The async clients a blocking HTTP call can be translated to, each an object with what sets it
apart: its family (one API, one table), its exceptions and response reads, what keeps a call
from it, and its codemods. ``--http-client`` and the ``http-client`` key take their choices from
``TARGETS``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

from ...facts import HttpFact, ResponseUse
from . import httpmap

Obstacle = Callable[[HttpFact, tuple[str, ...], list[ResponseUse]], "str | None"]


@dataclass(frozen=True)
class Target:
    name: str
    """What the user names: ``http-client = "httpx2"``; what the edits carry."""
    family: str
    """Clients of one family share an API: ``httpx`` and ``httpx2``."""
    module: str
    """The module the rewritten code imports it from."""
    exceptions: Mapping[str, tuple[str, ...]]
    """requests' exceptions and the client's in the same situations (names in ``module``)."""
    reads: frozenset[str]
    """The response reads (``ResponseUse.kind``) it spells differently, rewritten with the call."""
    error_attributes: frozenset[str]
    """What an ``except`` clause may read of the error it binds and read the same."""
    transport: str | None
    """The library it imports lazily when its first client is made: the rewritten module
    imports it up front so that this doesn't happen on the event loop."""
    latin1_headers: bool
    """A dict of headers bound to a name gets its values encoded as requests sends them."""
    obstacle: Obstacle | None
    """What, beyond the family's table, keeps a requests call from this client exactly."""
    codemods_module: str
    """Its codemods' module in this package, loaded on the first rewrite (a plan needs none):
    ``request(call, edit, target, rewriting)``, the awaited request with its client opened
    around the statement; ``open_session(with_statement, edit, target, imports)``, ``async
    with`` its client; ``read_response(node, edit, imports)``, one read of its response."""

    @property
    def codemods(self) -> ModuleType:
        return importlib.import_module(f"{__package__}.{self.codemods_module}")


def _aiohttp_obstacle(http: HttpFact, keywords: tuple[str, ...], reads: list[ResponseUse]) -> str | None:
    if not http.ascii_headers:
        return "a headers= value may not be ASCII: requests sends it as Latin-1, aiohttp as UTF-8"
    if "auth" in keywords:
        # aiohttp's credentials either clash with a ~/.netrc entry (trust_env) or are deprecated
        return "auth= with aiohttp: its Basic auth can't be given without clashing with ~/.netrc"
    if http.timeout == "unknown":
        return "timeout= may be a number or a (connect, read) pair, which aiohttp spells differently"
    for use in reads:
        if use.kind == "is_redirect":
            return "response.is_redirect: aiohttp's response has no such property"
        if use.kind in httpmap.AWAITED_READS and not use.awaitable:
            return f"response.{use.kind} is read where await can't go (aiohttp reads the body with await)"
    return None


def _httpx(name: str, transport: str) -> Target:
    """httpx, or httpx2: httpx's API under another name."""
    return Target(
        name=name,
        family="httpx",
        module=name,
        exceptions=httpmap.HTTPX_EXCEPTIONS,
        reads=httpmap.HTTPX_READS,
        error_attributes=httpmap.HTTPX_ERROR_ATTRIBUTES,
        transport=transport,
        latin1_headers=True,
        obstacle=None,
        codemods_module="httpx_codemods",
    )


AIOHTTP = Target(
    name="aiohttp",
    family="aiohttp",
    module="aiohttp",
    exceptions=httpmap.AIOHTTP_EXCEPTIONS,
    reads=httpmap.AIOHTTP_READS,
    error_attributes=httpmap.AIOHTTP_ERROR_ATTRIBUTES,
    transport=None,
    latin1_headers=False,
    obstacle=_aiohttp_obstacle,
    codemods_module="aiohttp_codemods",
)

TARGETS: dict[str, Target] = {
    target.name: target for target in (_httpx("httpx", "httpcore"), _httpx("httpx2", "httpcore2"), AIOHTTP)
}
"""Every client the tool can write, by name, in the order the option lists them."""


def of_family(family: str) -> Target:
    """The first target of ``family``: what reads a response of that family's API."""
    return next(target for target in TARGETS.values() if target.family == family)
