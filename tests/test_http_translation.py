"""Differential tests of the requests -> async client translation: every endpoint of
``tests/http/client_app.py`` exercises one mapped feature against a loopback upstream; the file
is migrated with each target, and the original (sync, called directly) and the migrated (async,
awaited under blockbuster, so a blocking call left on the loop fails) must return the same
result, and the upstream must have seen the same request (the User-Agent aside)."""

from __future__ import annotations

import asyncio
import inspect
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from blockbuster import blockbuster_ctx
from helpers import closed_port, load_module, loopback_server

from async_migrate.config import Settings
from async_migrate.result import RunResult
from async_migrate.rules import Rule
from async_migrate.runner import migrate

HERE = Path(__file__).parent / "http"
TARGETS = ["httpx", "httpx2", "aiohttp"]
_EVERY_TARGET = {"semicolons": "shares a line"}
EXPECTED_FALLBACKS = {
    "httpx": _EVERY_TARGET,
    "httpx2": _EVERY_TARGET,
    "aiohttp": {
        **_EVERY_TARGET,
        "raise_for_status": ".response",
        "form": "auth=",
        "httpx_get": "httpx's own",
        "httpx_client": "httpx's own",
        "latin_header": "ASCII",
        "named_dicts": "ASCII",
        "token_header": "ASCII",
        "any_header": "ASCII",
        "redirect_info": "is_redirect",
    },
}
"""Calls that stay as they are for a target, and a word of the reason: a statement that shares
its line can't move into a client block alone; aiohttp's ClientResponseError has no
``.response`` for the except clause to read, its Basic auth clashes with ~/.netrc credentials,
it sends header values as UTF-8 where requests sends Latin-1, its response has no
``is_redirect``, and httpx code only moves to httpx's own async client."""

CASES: list[tuple[str, dict[str, Any]]] = [
    ("redirect_chain", {}),
    ("too_many_redirects", {}),
    ("thirty_redirects", {}),
    ("no_follow", {}),
    ("head", {}),
    ("params", {"q": "a b/é&+"}),
    ("text_body", {"text": "héllo wörld ✓"}),
    ("bytes_body", {}),
    ("form", {"name": "Zoë & co"}),
    ("json_body", {"name": "é\u2028"}),
    ("delete_with_body", {}),
    ("status", {"code": 200}),
    ("status", {"code": 302}),
    ("status", {"code": 404}),
    ("status", {"code": 503}),
    ("raise_for_status", {"code": 204}),
    ("raise_for_status", {"code": 304}),
    ("raise_for_status", {"code": 404}),
    ("raise_for_status", {"code": 500}),
    ("refused", {}),
    ("timeout", {}),
    ("bad_json", {}),
    ("session_cookies", {}),
    ("httpx_get", {"q": "x y"}),
    ("httpx_client", {}),
    ("named_dicts", {"name": "Zoë"}),
    ("latin_header", {"name": "Zoë"}),
    ("latin_header", {"name": "plain"}),
    ("redirect_info", {"path": "redirect/1"}),
    ("redirect_info", {"path": "status/304"}),
    ("redirect_info", {"path": "echo"}),
    ("token_header", {"token": "abc"}),
    ("token_header", {"token": ""}),
    ("token_header", {"token": "Zoë "}),
    ("semicolons", {}),
    ("charset_json", {"charset": "iso-8859-1", "media": "application/json; charset=iso-8859-1"}),
    ("charset_json", {"charset": "utf-16", "media": "application/json; charset=utf-16"}),
    ("charset_json", {"charset": "iso-8859-1", "media": "text/plain"}),
    ("charset_json", {"charset": "utf-8", "media": "application/json"}),
    ("charset_json", {"charset": "iso-8859-1", "media": "application/json"}),
    ("charset_json", {"charset": "utf-8", "media": "application/octet-stream", "length": 0}),
    ("shadowed_names", {"name": "Zoë"}),
    ("optional_json", {"name": None}),
    ("optional_json", {"name": "Zoë"}),
    ("any_header", {"value": "plain"}),
    ("any_header", {"value": "trailing \t"}),
    ("any_header", {"value": " leading"}),
    ("any_header", {"value": ""}),
]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import sys

    sys.path.insert(0, str(HERE))
    try:
        from upstream import Handler

        with pytest.MonkeyPatch.context() as environment, loopback_server(Handler) as url:
            # requests (and aiohttp) read ~/.netrc, httpx doesn't (a documented difference):
            # the comparison runs with no netrc, whatever the machine has
            environment.setenv("NETRC", str(tmp_path_factory.mktemp("home") / "no-netrc"))
            environment.setenv("HOME", str(tmp_path_factory.mktemp("home")))
            yield url
    finally:
        sys.path.remove(str(HERE))


def _migrate_for(target: str, app_file: str, project: Path) -> tuple[RunResult, Path, dict[str, str]]:
    """``tests/http/<app_file>`` migrated for ``target`` in ``project`` (a service depending on
    it), beside the original as ``migrated_<app_file>``; with the calls kept on requests and why.
    The calls kept on requests run in the threadpool of an async def, to check that too."""
    (project / "pyproject.toml").write_text(f'[project]\nname = "svc"\ndependencies = ["{target}"]\n')
    shutil.copy(HERE / app_file, project / app_file)
    result = migrate([project], Settings(http_client=target, convert_threadpool_only=True))
    assert not result.errors
    (change,) = result.changes
    migrated_path = project / f"migrated_{app_file}"
    migrated_path.write_text(change.new_text)
    fallbacks = {
        decision.name: finding.message
        for decision in result.plan.decisions
        for finding in decision.findings
        if finding.rule is Rule.HTTP_THREADPOOL
    }
    return result, migrated_path, fallbacks


@pytest.fixture(scope="module", params=TARGETS)
def versions(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, upstream: str):
    target = request.param
    result, migrated_path, fallbacks = _migrate_for(
        target, "client_app.py", tmp_path_factory.mktemp(f"http-{target}")
    )
    expected = EXPECTED_FALLBACKS.get(target, {})
    assert fallbacks.keys() == expected.keys(), fallbacks  # everything else maps exactly
    assert all(word in fallbacks[name] for name, word in expected.items()), fallbacks
    translated = [d for d in result.plan.decisions if any(f.rule is Rule.HTTP_CLIENT for f in d.findings)]
    assert len(translated) == len({name for name, _ in CASES}) - len(expected)
    original = load_module(HERE / "client_app.py", f"client_app_original_{target}")
    migrated = load_module(migrated_path, f"client_app_{target}")
    for module in (original, migrated):
        module.UPSTREAM = upstream
    return target, original, migrated


@pytest.mark.parametrize(("name", "arguments"), CASES, ids=[f"{n}-{a}" if a else n for n, a in CASES])
def test_migrated_call_behaves_like_requests(versions, name: str, arguments: dict[str, Any]) -> None:
    target, original, migrated = versions
    if name == "refused":
        arguments = {"port": closed_port()}
    sync_function = getattr(original, name)
    async_function = getattr(migrated, name)
    assert not inspect.iscoroutinefunction(sync_function)
    assert inspect.iscoroutinefunction(async_function)

    before = sync_function(**arguments)

    async def on_the_loop() -> Any:
        with blockbuster_ctx():
            return await async_function(**arguments)

    after = asyncio.run(on_the_loop())
    if target == "aiohttp":
        # yarl writes "/" and "?" unescaped inside query values; servers decode both alike
        before, after = _decoded_query(before), _decoded_query(after)
    assert after == before


ERROR_FALLBACKS = {"reason": ".response.", "class_name": "by its class"}
"""Endpoints of ``tests/http/errors_app.py`` kept on requests, for every target, and a word of
why: their except clauses read what the new client's errors spell differently."""
ERROR_PATHS = [
    "/refused",
    "/slow",
    "/checked/200",
    "/checked/500",
    "/isinstance",
    "/status-detail/404",
    "/reason/404",
    "/class-name",
]


@pytest.fixture(scope="module", params=TARGETS)
def error_apps(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, upstream: str):
    target = request.param
    _, migrated_path, fallbacks = _migrate_for(
        target, "errors_app.py", tmp_path_factory.mktemp(f"errors-{target}")
    )
    expected = {**ERROR_FALLBACKS, **({"status_detail": ".response"} if target == "aiohttp" else {})}
    assert fallbacks.keys() == expected.keys(), fallbacks
    assert all(word in fallbacks[name] for name, word in expected.items()), fallbacks
    refused = f"http://127.0.0.1:{closed_port()}"
    apps = []
    for path, name in ((HERE / "errors_app.py", "original"), (migrated_path, "migrated")):
        module = load_module(path, f"errors_app_{name}_{target}")
        module.UPSTREAM, module.REFUSED = upstream, refused
        apps.append(module.app)
    return apps


@pytest.mark.parametrize("path", ERROR_PATHS)
def test_migrated_app_answers_upstream_failures_as_before(error_apps, path: str) -> None:
    """The middleware, the yield dependency, the isinstance check still turn the new client's
    errors into the status codes they answered before."""
    from fastapi.testclient import TestClient

    original, migrated = error_apps
    with TestClient(original, raise_server_exceptions=False) as client:
        before = client.get(path)
    with blockbuster_ctx(), TestClient(migrated, raise_server_exceptions=False) as client:
        after = client.get(path)
    assert (after.status_code, after.text) == (before.status_code, before.text)


def _decoded_query(result: Any) -> Any:
    if isinstance(result, dict) and isinstance(result.get("target"), str):
        path, _, query = result["target"].partition("?")
        return {**result, "target": (path, parse_qsl(query, keep_blank_values=True))}
    return result
