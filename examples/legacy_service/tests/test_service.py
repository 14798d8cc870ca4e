"""One test (or a few) per endpoint, all through the TestClient; the job is run directly."""

import hashlib
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from legacy_service import __version__
from legacy_service.config import DEFAULT_UPSTREAM_URL, get_settings
from legacy_service.jobs import nightly

# conftest has already put the service root on sys.path
SERVICE_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = SERVICE_ROOT / "data"

EXPECTED_REPORT = {
    "files": [
        {"name": "returns-policy.txt", "lines": 4, "words": 33},
        {"name": "welcome.txt", "lines": 3, "words": 17},
    ],
    "file_count": 2,
    "total_words": 50,
}


# -- /health -----------------------------------------------------------------------------


def test_health(client):
    resp = client.get("/health")
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "service": "legacy-service", "version": __version__}


# -- /slow -------------------------------------------------------------------------------


def test_slow_sleeps(client):
    started = time.perf_counter()
    resp = client.get("/slow", params={"delay": 0.05})
    assert time.perf_counter() - started >= 0.05
    assert resp.status_code == 200
    assert resp.json() == {"slept": 0.05}


def test_slow_rejects_long_delays(client):
    assert client.get("/slow", params={"delay": 5}).status_code == 422


# -- /quotes/{item_id}: requests to the upstream ----------------------------------------


def test_quote(client):
    resp = client.get("/quotes/1")
    assert resp.status_code == 200
    assert resp.json() == {
        "item": {"id": 1, "name": "widget", "price_cents": 1250},
        "display_price": "12.50 EUR",
    }


def test_quote_upstream_404_becomes_404(client):
    resp = client.get("/quotes/999")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "item not found"}


def test_quote_upstream_error_becomes_502(client):
    resp = client.get("/quotes/500")
    assert resp.status_code == 502
    assert resp.json() == {"detail": "catalogue error"}


def test_quote_upstream_down_becomes_502(client, monkeypatch):
    with socket.socket() as sock:  # grab a free port, then close it so nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("UPSTREAM_URL", f"http://127.0.0.1:{port}")
    get_settings.cache_clear()
    resp = client.get("/quotes/1")
    assert resp.status_code == 502
    assert resp.json() == {"detail": "catalogue unreachable"}


# -- /documents/{name}: file read --------------------------------------------------------


def test_document(client):
    resp = client.get("/documents/welcome.txt")
    assert resp.status_code == 200
    assert resp.json() == {
        "name": "welcome.txt",
        "lines": 3,
        "text": (DATA_DIR / "welcome.txt").read_text(encoding="utf-8"),
    }


def test_document_missing(client):
    resp = client.get("/documents/nope.txt")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "document not found"}


@pytest.mark.parametrize(
    "name",
    [".env", "%2E%2E", "..%5C..%5Cetc%5Cpasswd", "..%5Clegacy_service%5Cconfig.py", "c:boot.ini"],
)
def test_document_path_traversal_rejected(client, name):
    resp = client.get(f"/documents/{name}")
    assert resp.status_code == 400
    assert resp.json() == {"detail": "invalid document name"}


def test_document_encoded_slash_never_reaches_the_disk(client):
    resp = client.get("/documents/..%2F..%2Fetc%2Fpasswd")
    assert resp.status_code == 404
    assert resp.json() == {"detail": "Not Found"}


# -- /version: subprocess ----------------------------------------------------------------


def test_version(client):
    resp = client.get("/version")
    assert resp.status_code == 200
    assert resp.json() == {
        "runtime": f"Python {platform.python_version()}",
        "service_version": __version__,
    }


# -- /hash: CPU-bound --------------------------------------------------------------------


def test_hash(client):
    resp = client.post("/hash", json={"password": "hunter2", "salt": "pepper"})
    expected = hashlib.pbkdf2_hmac("sha256", b"hunter2", b"pepper", 100_000).hex()
    assert resp.status_code == 200
    assert resp.json() == {"algorithm": "pbkdf2_sha256", "iterations": 100_000, "hash": expected}


def test_hash_default_salt(client):
    resp = client.post("/hash", json={"password": "hunter2"})
    expected = hashlib.pbkdf2_hmac("sha256", b"hunter2", b"legacy-service", 100_000).hex()
    assert resp.status_code == 200
    assert resp.json()["hash"] == expected


def test_hash_rejects_empty_password(client):
    assert client.post("/hash", json={"password": ""}).status_code == 422


# -- /reports/summary: shared helper -----------------------------------------------------


def test_report_summary(client):
    resp = client.get("/reports/summary")
    assert resp.status_code == 200
    assert resp.json() == EXPECTED_REPORT


# -- /uploads: yield dependency with cleanup ---------------------------------------------


def test_upload_reports_size_and_cleans_up(client, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where mkdtemp() creates dirs
    content = "héllo wörld\n" * 100
    resp = client.post("/uploads", json={"filename": "notes.txt", "content": content})
    assert resp.status_code == 200
    size = len(content.encode("utf-8"))
    assert resp.json() == {"filename": "notes.txt", "size": size, "size_human": "1.4 KiB"}
    assert list(tmp_path.iterdir()) == []  # the scratch dir is gone


def test_upload_small_file(client):
    resp = client.post("/uploads", json={"filename": "a.txt", "content": "abc"})
    assert resp.status_code == 200
    assert resp.json() == {"filename": "a.txt", "size": 3, "size_human": "3 B"}


def test_upload_rejects_unsafe_name_and_cleans_up(client, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    resp = client.post("/uploads", json={"filename": "../escape.txt", "content": "x"})
    assert resp.status_code == 400
    assert resp.json() == {"detail": "invalid file name"}
    assert list(tmp_path.iterdir()) == []


# -- /inventory: sqlite3, must stay sync -------------------------------------------------


def test_inventory(client):
    resp = client.get("/inventory")
    assert resp.status_code == 200
    body = resp.json()
    assert [item["sku"] for item in body["items"]] == ["A-100", "A-200", "B-300", "C-400"]
    assert body["items"][3] == {
        "sku": "C-400",
        "name": "flux capacitor",
        "quantity": 3,
        "price": "12100.00 EUR",
    }
    assert body["total_quantity"] == 265


def test_inventory_min_quantity(client):
    resp = client.get("/inventory", params={"min_quantity": 10})
    assert resp.status_code == 200
    assert resp.json() == {
        "items": [
            {"sku": "A-100", "name": "widget", "quantity": 12, "price": "12.50 EUR"},
            {"sku": "B-300", "name": "sprocket", "quantity": 250, "price": "0.75 EUR"},
        ],
        "total_quantity": 262,
    }


# -- the app as a whole ------------------------------------------------------------------


def test_openapi_lists_every_endpoint(client):
    paths = set(client.get("/openapi.json").json()["paths"])
    assert paths == {
        "/health",
        "/slow",
        "/version",
        "/quotes/{item_id}",
        "/documents/{name}",
        "/hash",
        "/reports/summary",
        "/uploads",
        "/inventory",
    }


# -- the nightly job (calls build_report directly, not through HTTP) ---------------------


def test_nightly_job_writes_the_same_report_as_the_endpoint(client, tmp_path):
    out = tmp_path / "report.json"
    nightly.main(["--output", str(out)])
    assert json.loads(out.read_text(encoding="utf-8")) == EXPECTED_REPORT
    assert client.get("/reports/summary").json() == EXPECTED_REPORT


def test_nightly_job_to_stdout(service_env, capsys):
    nightly.main([])
    assert json.loads(capsys.readouterr().out) == EXPECTED_REPORT


def test_nightly_job_as_a_script():
    env = {**os.environ, "DATA_DIR": str(DATA_DIR)}
    proc = subprocess.run(
        [sys.executable, "-m", "legacy_service.jobs.nightly"],
        cwd=SERVICE_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(proc.stdout) == EXPECTED_REPORT


# -- configuration -----------------------------------------------------------------------


def test_settings_defaults(monkeypatch):
    monkeypatch.delenv("UPSTREAM_URL", raising=False)
    monkeypatch.delenv("DATA_DIR", raising=False)
    get_settings.cache_clear()
    try:
        settings = get_settings()
        assert settings.upstream_url == DEFAULT_UPSTREAM_URL
        assert settings.data_dir == str(DATA_DIR)
    finally:
        get_settings.cache_clear()
