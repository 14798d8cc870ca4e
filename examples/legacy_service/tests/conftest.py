"""Test setup: a loopback stand-in for the upstream catalogue, and a TestClient on the app.

Works from the repository root (``pytest examples/legacy_service/tests``) and from a copy of
this directory anywhere else: the service root is put on sys.path before the app is imported.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

SERVICE_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(SERVICE_ROOT))

from legacy_service.config import get_settings  # noqa: E402
from legacy_service.main import app  # noqa: E402

DATA_DIR = SERVICE_ROOT / "data"

# what the fake catalogue knows; "500" makes it fail
ITEMS = {
    "1": {"id": 1, "name": "widget", "price_cents": 1250},
    "2": {"id": 2, "name": "gadget", "price_cents": 4999},
}


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
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="session")
def upstream_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), CatalogueHandler)
    server.daemon_threads = True
    server.timeout = 5
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def service_env(monkeypatch, upstream_url):
    """Point the service at the fake upstream and the bundled data/ directory."""
    monkeypatch.setenv("UPSTREAM_URL", upstream_url)
    monkeypatch.setenv("DATA_DIR", str(DATA_DIR))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def client(service_env):
    with TestClient(app) as test_client:
        yield test_client
