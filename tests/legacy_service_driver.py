"""Drive every endpoint of one copy of examples/legacy_service and dump the responses as JSON.

    python legacy_service_driver.py SERVICE_ROOT OUTPUT_JSON [--blockbuster]

Run by tests/test_example_service.py once for the original and once for the migrated copy, each
in its own process: both copies are the package ``legacy_service``. The upstream catalogue is a
loopback server on 127.0.0.1 started here, with the same answers as the example's conftest.
With --blockbuster (needs tests/ on PYTHONPATH) the requests run under blockbuster_plugin's
active_blockbuster(); an exception the app raises is recorded in the dump instead of a response.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from helpers import closed_port, loopback_server, send_json

ITEMS = {
    "1": {"id": 1, "name": "widget", "price_cents": 1250},
    "2": {"id": 2, "name": "gadget", "price_cents": 4999},
}

# (name, method, url, request kwargs, expected status on the original service)
CASES: list[tuple[str, str, str, dict, int]] = [
    ("health", "GET", "/health", {}, 200),
    ("health wrong method", "POST", "/health", {}, 405),
    ("unknown path", "GET", "/no-such-endpoint", {}, 404),
    ("openapi", "GET", "/openapi.json", {}, 200),
    ("docs page", "GET", "/docs", {}, 200),
    ("slow default", "GET", "/slow", {}, 200),
    ("slow zero", "GET", "/slow", {"params": {"delay": 0}}, 200),
    ("slow short", "GET", "/slow", {"params": {"delay": 0.01}}, 200),
    ("slow too long", "GET", "/slow", {"params": {"delay": 5}}, 422),
    ("slow negative", "GET", "/slow", {"params": {"delay": -1}}, 422),
    ("slow not a number", "GET", "/slow", {"params": {"delay": "soon"}}, 422),
    ("version", "GET", "/version", {}, 200),
    ("quote 1", "GET", "/quotes/1", {}, 200),
    ("quote 2", "GET", "/quotes/2", {}, 200),
    ("quote upstream 404", "GET", "/quotes/999", {}, 404),
    ("quote negative id, upstream 404", "GET", "/quotes/-1", {}, 404),
    ("quote upstream 500", "GET", "/quotes/500", {}, 502),
    ("quote id not an int", "GET", "/quotes/abc", {}, 422),
    ("document welcome", "GET", "/documents/welcome.txt", {}, 200),
    ("document returns policy", "GET", "/documents/returns-policy.txt", {}, 200),
    ("document missing", "GET", "/documents/nope.txt", {}, 404),
    ("document hidden", "GET", "/documents/.env", {}, 400),
    ("document dotdot", "GET", "/documents/%2E%2E", {}, 400),
    ("document backslash traversal", "GET", "/documents/..%5C..%5Cetc%5Cpasswd", {}, 400),
    ("document drive letter", "GET", "/documents/c:boot.ini", {}, 400),
    ("document encoded slash", "GET", "/documents/..%2F..%2Fetc%2Fpasswd", {}, 404),
    ("hash", "POST", "/hash", {"json": {"password": "hunter2", "salt": "pepper"}}, 200),
    ("hash default salt", "POST", "/hash", {"json": {"password": "hunter2"}}, 200),
    ("hash empty password", "POST", "/hash", {"json": {"password": ""}}, 422),
    ("hash salt too long", "POST", "/hash", {"json": {"password": "x", "salt": "s" * 65}}, 422),
    ("hash missing body", "POST", "/hash", {}, 422),
    (
        "hash malformed json",
        "POST",
        "/hash",
        {"content": b'{"password": ', "headers": {"content-type": "application/json"}},
        422,
    ),
    ("report summary", "GET", "/reports/summary", {}, 200),
    ("upload small", "POST", "/uploads", {"json": {"filename": "a.txt", "content": "abc"}}, 200),
    (
        "upload unicode 1.4 KiB",
        "POST",
        "/uploads",
        {"json": {"filename": "notes.txt", "content": "héllo wörld\n" * 100}},
        200,
    ),
    ("upload empty", "POST", "/uploads", {"json": {"filename": "empty.txt", "content": ""}}, 200),
    ("upload unsafe name", "POST", "/uploads", {"json": {"filename": "../escape.txt", "content": "x"}}, 400),
    ("upload hidden name", "POST", "/uploads", {"json": {"filename": ".profile", "content": "x"}}, 400),
    ("upload missing content", "POST", "/uploads", {"json": {"filename": "a.txt"}}, 422),
    ("inventory", "GET", "/inventory", {}, 200),
    ("inventory min 10", "GET", "/inventory", {"params": {"min_quantity": 10}}, 200),
    ("inventory min 1000 (empty)", "GET", "/inventory", {"params": {"min_quantity": 1000}}, 200),
    ("inventory negative min", "GET", "/inventory", {"params": {"min_quantity": -1}}, 422),
    ("inventory min not an int", "GET", "/inventory", {"params": {"min_quantity": "x"}}, 422),
]


class CatalogueHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        prefix = "/items/"
        key = self.path[len(prefix) :] if self.path.startswith(prefix) else None
        if key == "500":
            status, body = 500, {"detail": "catalogue exploded"}
        elif key in ITEMS:
            status, body = 200, ITEMS[key]
        else:
            status, body = 404, {"detail": "no such item"}
        send_json(self, status, body)

    def log_message(self, format, *args):
        pass


def unused_loopback_url() -> str:
    return f"http://127.0.0.1:{closed_port()}"


def record(client, name, method, url, kwargs, expected) -> dict:
    entry = {"name": name, "request": f"{method} {url} {kwargs.get('params', '')}".strip()}
    entry["expected_status"] = expected
    try:
        resp = client.request(method, url, **kwargs)
    except Exception as exc:  # the app raised (TestClient re-raises): keep it for the comparison
        entry["exception"] = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"
        return entry
    entry["status"] = resp.status_code
    entry["headers"] = sorted([k.lower(), v] for k, v in resp.headers.items())
    entry["body"] = resp.content.decode("utf-8", errors="backslashreplace")
    return entry


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("service_root", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--blockbuster", action="store_true")
    args = parser.parse_args()
    root = args.service_root.resolve()

    sys.path.insert(0, str(root))
    import legacy_service
    from fastapi.testclient import TestClient
    from legacy_service.config import get_settings
    from legacy_service.jobs import nightly
    from legacy_service.main import app

    # the two copies share a package name: make sure this process drives the one it was given
    assert Path(legacy_service.__file__).resolve().is_relative_to(root), legacy_service.__file__

    scratch_parent = Path(tempfile.mkdtemp(prefix="driver-scratch-"))
    tempfile.tempdir = str(scratch_parent)  # where the uploads dependency's mkdtemp() goes
    results: list[dict] = []
    guard = contextlib.nullcontext()
    if args.blockbuster:
        from blockbuster_plugin import active_blockbuster

        guard = active_blockbuster()
    with loopback_server(CatalogueHandler) as upstream:
        os.environ["UPSTREAM_URL"] = upstream
        os.environ["DATA_DIR"] = str(root / "data")
        get_settings.cache_clear()
        with guard, TestClient(app) as client:
            for name, method, url, kwargs, expected in CASES:
                entry = record(client, name, method, url, kwargs, expected)
                if url == "/uploads":  # the yield dependency must have removed its scratch dir
                    entry["scratch_left"] = sorted(os.listdir(scratch_parent))
                results.append(entry)

            os.environ["UPSTREAM_URL"] = unused_loopback_url()
            get_settings.cache_clear()
            results.append(record(client, "quote upstream down", "GET", "/quotes/1", {}, 502))
            os.environ["UPSTREAM_URL"] = upstream
            get_settings.cache_clear()

        report = root.parent / f"{root.name}-nightly.json"
        nightly.main(["--output", str(report)])
        results.append({"name": "nightly job report", "body": report.read_text(encoding="utf-8")})

    shutil.rmtree(scratch_parent, ignore_errors=True)
    args.output.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
