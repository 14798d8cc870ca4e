"""The HTTP swap's codemods, node before and after (AM105), for each target where they differ.
What each translation means at run time is tested against a loopback server in
tests/test_http_translation.py; these show the shapes."""

from __future__ import annotations

import ast

import pytest
from swap_helpers import PATH, rewritten, span_of

from async_migrate.facts import ImportBinding
from async_migrate.rules import Rule
from async_migrate.swaps.http.edits import CatchAlso, HttpRequest, Latin1Headers, OpenSession, ResponseRead

R = Rule.HTTP_CLIENT
SSL = "_SSL_CONTEXT"
GET = "import requests\n\n\nasync def f(u):\n    r = requests.get(u, timeout=5)\n    return r.status_code\n"
REDIRECTS = "follow_redirects=True, max_redirects=30"


def _httpx_header(module: str, transport: str) -> str:
    return (
        f"import {transport}  # noqa: F401 - {module} imports it on first use, on the loop\n"
        f"import {module}\n\n{SSL} = {module}.create_ssl_context()\n\n\n"
    )


def _request(code: str, target: str, **extra: object) -> HttpRequest:
    return HttpRequest(
        R,
        PATH,
        span_of(code, ast.Call),
        "requests",
        "get",
        target,
        span_of(code, ast.Assign),
        "client",
        SSL,
        "r",
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(("module", "transport"), [("httpx", "httpcore"), ("httpx2", "httpcore2")])
def test_a_request_opens_an_httpx_family_client_around_its_statement(module: str, transport: str) -> None:
    edit = _request(GET, module, unused_import=ImportBinding("requests"))
    after = _httpx_header(module, transport) + (
        "async def f(u):\n"
        f"    async with {module}.AsyncClient(verify={SSL}, timeout=5, {REDIRECTS}) as client:\n"
        "        r = await client.get(u)\n"
        "    return r.status_code\n"
    )
    assert rewritten(GET, edit) == after


def test_an_aiohttp_request_reads_the_body_inside_its_session() -> None:
    edits = [
        _request(GET, "aiohttp", unused_import=ImportBinding("requests")),
        ResponseRead(R, PATH, span_of(GET, ast.Attribute, 1), "status_code", False, "aiohttp"),
    ]
    after = (
        "import aiohttp\n\n\nasync def f(u):\n"
        "    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_connect=5, "
        "sock_read=5), trust_env=True, cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:\n"
        "        r = await client.get(u, max_redirects=31)\n"
        "        await r.read()\n"
        "    return r.status\n"
    )
    assert rewritten(GET, *edits) == after


SESSION = (
    "import requests\n\n\nasync def f(u):\n    with requests.Session() as s:\n        r = s.get(u)\n"
    "    r.raise_for_status()\n    return r.url\n"
)


def test_a_session_becomes_an_async_client_and_its_response_reads_follow() -> None:
    edits = [
        OpenSession(R, PATH, span_of(SESSION, ast.With), "requests", "httpx", SSL, ImportBinding("requests")),
        HttpRequest(
            R,
            PATH,
            span_of(SESSION, ast.Call, 1),
            "requests",
            "get",
            "httpx",
            span_of(SESSION, ast.Assign),
            "s",
            SSL,
            on_session=True,
        ),
        ResponseRead(R, PATH, span_of(SESSION, ast.Expr), "raise_for_status", False),
        ResponseRead(R, PATH, span_of(SESSION, ast.Attribute, 3), "url", False),
    ]
    after = _httpx_header("httpx", "httpcore") + (
        "async def f(u):\n"
        f"    async with httpx.AsyncClient(verify={SSL}, timeout=None, {REDIRECTS}) as s:\n"
        "        r = await s.get(u)\n"
        "    if r.is_error:\n"
        "        r.raise_for_status()\n"
        "    return str(r.url)\n"
    )
    assert rewritten(SESSION, *edits) == after


def test_an_aiohttp_session_keeps_requests_defaults() -> None:
    code = "import requests\n\n\nasync def f(u):\n    with requests.Session() as s:\n        return s\n"
    edit = OpenSession(
        R, PATH, span_of(code, ast.With), "requests", "aiohttp", SSL, ImportBinding("requests")
    )
    after = (
        "import aiohttp\n\n\nasync def f(u):\n"
        "    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None), trust_env=True, "
        "cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:\n"
        "        return s\n"
    )
    assert rewritten(code, edit) == after


def test_named_headers_are_encoded_as_requests_sends_them_and_except_clauses_catch_both() -> None:
    code = (
        "import requests\n\n\nasync def f(u, token):\n    headers = {'X-Token': token}\n    try:\n"
        "        return requests.get(u, headers=headers).status_code\n"
        "    except requests.HTTPError:\n        return None\n"
    )
    edits = [
        HttpRequest(
            R,
            PATH,
            span_of(code, ast.Call),
            "requests",
            "get",
            "httpx",
            span_of(code, ast.Return),
            "client",
            SSL,
        ),
        Latin1Headers(R, PATH, span_of(code, ast.Dict)),
        CatchAlso(R, PATH, span_of(code, ast.Attribute, 2), ("httpx.HTTPStatusError",)),
    ]
    after = (
        "import httpcore  # noqa: F401 - httpx imports it on first use, on the loop\n"
        f"import httpx\nimport requests\n\n{SSL} = httpx.create_ssl_context()\n\n\n"
        "async def f(u, token):\n"
        '    headers = {\'X-Token\': token.rstrip(" \\t").encode("latin-1")}\n'
        "    try:\n"
        f"        async with httpx.AsyncClient(verify={SSL}, timeout=None, {REDIRECTS}) as client:\n"
        "            return (await client.get(u, headers=headers)).status_code\n"
        "    except (requests.HTTPError, httpx.HTTPStatusError):\n"
        "        return None\n"
    )
    assert rewritten(code, *edits) == after
