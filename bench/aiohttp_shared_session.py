"""What one aiohttp session per event loop (DummyCookieJar) changes against a session per call.

The aiohttp code async-migrate writes opens a session per request, as ``requests.get`` does; a
shared session is faster (bench/http_targets.py, docs/bench/aiohttp_session.md). This probe shows,
against a loopback aiohttp upstream, the differences a reader of the migrated service would see:

1. a cookie set by a redirecting response (a login that redirects) and sent on to the target;
2. how many connections 200 concurrent requests get (aiohttp's connector allows 100 by default);
3. how many connections sequential requests open (keep-alive: the upstream sees one client);
4. what becomes of the sessions of event loops that end without the app's shutdown running: a
   ``TestClient`` used without ``with`` runs no lifespan and a new event loop for every request.

    python bench/aiohttp_shared_session.py
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import warnings
from collections.abc import Callable
from typing import Any

import aiohttp
import requests
from aiohttp import web
from fastapi import FastAPI
from fastapi.testclient import TestClient

IN_FLIGHT = {"now": 0, "peak": 0}
PEERS: set[tuple[str, int]] = set()
SLOW_S = 0.3
# the session options the tool writes, less the timeout's per-phase values
OPTIONS: dict[str, Any] = {"timeout": aiohttp.ClientTimeout(total=None), "trust_env": True}
_SESSIONS: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

Factory = Callable[[], aiohttp.ClientSession]


async def login(request: web.Request) -> web.Response:
    response = web.HTTPFound("/whoami")
    response.set_cookie("sid", "abc")
    raise response


async def whoami(request: web.Request) -> web.Response:
    return web.json_response({"cookie": request.headers.get("Cookie")})


async def slow(request: web.Request) -> web.Response:
    """Counts requests in flight and the client connections (peer addresses) they came on."""
    assert request.transport is not None
    PEERS.add(request.transport.get_extra_info("peername"))
    IN_FLIGHT["now"] += 1
    IN_FLIGHT["peak"] = max(IN_FLIGHT["peak"], IN_FLIGHT["now"])
    await asyncio.sleep(SLOW_S)
    IN_FLIGHT["now"] -= 1
    return web.json_response({})


def serve() -> str:
    """The upstream, on 127.0.0.1 in a daemon thread with its own loop."""
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.add_routes([web.get("/login", login), web.get("/whoami", whoami), web.get("/slow", slow)])
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    threading.Thread(target=loop.run_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}"


def per_call() -> aiohttp.ClientSession:
    """What the tool writes today: a session per request, with a jar that keeps IP hosts' cookies."""
    return aiohttp.ClientSession(**OPTIONS, cookie_jar=aiohttp.CookieJar(unsafe=True))


def per_loop() -> aiohttp.ClientSession:
    """The candidate: one session per event loop, opened on first use, no cookie persistence."""
    loop = asyncio.get_running_loop()
    if loop not in _SESSIONS or _SESSIONS[loop].closed:
        _SESSIONS[loop] = aiohttp.ClientSession(**OPTIONS, cookie_jar=aiohttp.DummyCookieJar())
    return _SESSIONS[loop]


async def get_json(make: Factory, url: str) -> Any:
    session = make()
    try:
        async with session.get(url, max_redirects=31) as response:
            return await response.json()
    finally:
        if make is per_call:
            await session.close()


async def concurrent(make: Factory, url: str, count: int) -> str:
    IN_FLIGHT["peak"] = 0
    PEERS.clear()
    await asyncio.gather(*(get_json(make, url) for _ in range(count)))
    return f"peak {IN_FLIGHT['peak']} in flight at the upstream, {len(PEERS)} connections"


async def sequential(make: Factory, url: str, count: int) -> str:
    PEERS.clear()
    for _ in range(count):
        await get_json(make, url)
    return f"{len(PEERS)} connections"


def main() -> None:
    base = serve()
    shapes = {"aiohttp per call (tool)": per_call, "aiohttp per loop, dummy jar": per_loop}
    print("1. GET /login, which sets a cookie and redirects to /whoami (it echoes the Cookie header):")
    print(f"   {'requests.get':28} {requests.get(f'{base}/login', timeout=5).json()}")
    for name, make in shapes.items():
        print(f"   {name:28} {asyncio.run(get_json(make, f'{base}/login'))}")
    print(f"2. 200 concurrent requests to an upstream answering in {SLOW_S} s:")
    for name, make in shapes.items():
        print(f"   {name:28} {asyncio.run(concurrent(make, f'{base}/slow', 200))}")
    print("3. 5 sequential requests:")
    for name, make in shapes.items():
        print(f"   {name:28} {asyncio.run(sequential(make, f'{base}/slow', 5))}")
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)  # aiohttp logs each unclosed one at length
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _SESSIONS.clear()  # the sessions of 2. and 3.
        gc.collect()
    app = FastAPI()

    @app.get("/")
    async def proxy() -> Any:
        return await get_json(per_loop, f"{base}/whoami")

    client = TestClient(app)
    for _ in range(3):
        client.get("/")
    print(
        f"4. 3 requests through TestClient(app), no with: {len(_SESSIONS)} per-loop sessions, "
        f"{sum(not session.closed for session in _SESSIONS.values())} never closed"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _SESSIONS.clear()
        gc.collect()
    unclosed = [str(warning.message).split(" <")[0] for warning in caught]
    print(f"   collected: {', '.join(f'{unclosed.count(m)} x {m}' for m in sorted(set(unclosed)))}")


if __name__ == "__main__":
    main()
