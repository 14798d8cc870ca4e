"""Shared by the tests: running the command line as users do, loopback HTTP servers, and the
quick loop's share of a parametrized test."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def run_tool(*args: str | Path, cwd: Path, as_user: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """``python -m async_migrate ARGS`` in ``cwd``, with a bound on how long it may take;
    ``as_user`` is a command that runs it as another user (``unprivileged()``)."""
    return subprocess.run(
        [*as_user, sys.executable, "-m", "async_migrate", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def slow_after_first(values: Sequence[Any]) -> list[Any]:
    """``parametrize`` values with all but the first marked ``slow`` (a tuple is one value per
    argument name): a variant that spawns the tool keeps its area in the quick loop, ``pytest
    -m "not slow"``, and CI runs every variant."""
    return [
        pytest.param(*(value if isinstance(value, tuple) else (value,)), marks=[pytest.mark.slow] * (n > 0))
        for n, value in enumerate(values)
    ]


UNPRIVILEGED = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")


def unprivileged() -> tuple[str, ...] | None:
    """A command prefix that runs a program as ``nobody``, when running as root and it works:
    root may write any file, so what a user can't write is seen only as another user."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None:
        return None
    probe = subprocess.run([*UNPRIVILEGED, sys.executable, "-c", "import async_migrate"], timeout=60)
    return UNPRIVILEGED if probe.returncode == 0 else None


@contextlib.contextmanager
def loopback_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A threaded HTTP server on 127.0.0.1 for the block's duration; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A port nothing listens on: bound for a moment, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def send_json(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    """Answer with ``body`` as JSON."""
    payload = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


def load_module(path: Path, name: str) -> ModuleType:
    """The file at ``path`` imported as module ``name``: a service before or after migration, each
    under its own name so that both can be served in one test run."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # pydantic looks up the module of a generic model made at import
    spec.loader.exec_module(module)
    return module


def migrated_copy(service: Path, folder: Path, settings: Any = None) -> Path:
    """``service`` copied into ``folder`` and migrated there as write mode would (``settings``
    defaults to the tool's defaults); the run must report no error."""
    from async_migrate.config import Settings
    from async_migrate.runner import migrate
    from async_migrate.source import write_atomically

    target = folder / service.name
    shutil.copy(service, target)
    result = migrate([target], settings or Settings())
    assert result.errors == []
    for change in result.changes:
        write_atomically(change.source, change.new_text)
    return target
