"""Is the migrated service faster? Serve examples/legacy_service as it is and as migrated.

Each version runs in one uvicorn worker against a loopback upstream that answers after a fixed
latency; every endpoint gets N requests with C in flight from a raw-socket load generator
(keep-alive connections, a few microseconds of CPU per request, so that it is not the
bottleneck: the run first checks that it reaches the latency floor of a sleeping endpoint).
Prints, per endpoint, requests/s before and after, their ratio, the latency floor
``ceil(N / C) x latency`` where one applies, p50/p99 latency and each server's peak RSS.

    python bench/service_throughput.py                   # N=400, C=200, upstream 100 ms
    python bench/service_throughput.py -n 200 -c 50 --upstream-latency 0.5
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

from _loadgen import drive, peak_rss_mb, serve

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "legacy_service"


def endpoints(latency: float) -> list[tuple[str, str, bytes | None, float | None]]:
    """(method, path, JSON body, latency floor per request or None) for each endpoint driven."""
    return [
        ("GET", "/health", None, None),
        ("GET", "/slow?delay=0.1", None, 0.1),
        ("GET", "/quotes/1", None, latency),
        ("GET", "/documents/welcome.txt", None, None),
        ("POST", "/hash", json.dumps({"password": "pw", "salt": "s"}).encode(), None),
        ("GET", "/reports/summary", None, None),
        ("POST", "/uploads", json.dumps({"filename": "a.txt", "content": "hello"}).encode(), None),
        ("GET", "/inventory", None, None),
    ]


class _Upstream(BaseHTTPRequestHandler):
    latency = 0.1
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        time.sleep(self.latency)
        body = json.dumps({"id": 1, "name": "widget", "price_cents": 1250}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _env(root: Path, upstream: str) -> dict[str, str]:
    return {"UPSTREAM_URL": upstream, "DATA_DIR": str(root / "data"), "PYTHONPATH": str(root)}


def _drive(
    port: int, endpoint: tuple[str, str, bytes | None, float | None], total: int, concurrency: int
) -> dict:
    method, path, body, _ = endpoint
    return drive(port, method, path, body, total, concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=400)
    parser.add_argument("-c", "--concurrency", type=int, default=200)
    parser.add_argument("--upstream-latency", type=float, default=0.1)
    args = parser.parse_args()
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("fastapi", "uvicorn", "requests"))
    print(f"# service throughput; Python {platform.python_version()}, {versions}, {os.cpu_count()} cores")
    print(f"# command: python {' '.join(sys.argv)}")

    _Upstream.latency = args.upstream_latency
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    upstream.daemon_threads = True
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    upstream_url = f"http://127.0.0.1:{upstream.server_address[1]}"

    work = Path(tempfile.mkdtemp(prefix="am-throughput-"))
    before, after = work / "before", work / "after"
    for copy in (before, after):
        shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    migrated = subprocess.run(
        [sys.executable, "-m", "async_migrate", "-q", str(after)], capture_output=True, text=True
    )
    if migrated.returncode != 0:
        raise SystemExit(f"migration failed:\n{migrated.stderr}")

    # the yardstick: hand-written async code sleeping 100 ms; if the load generator keeps up with
    # it, it is not what limits the figures below
    floor_app = work / "floor"
    floor_app.mkdir()
    (floor_app / "floor_app.py").write_text(
        "import asyncio\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/sleep')\nasync def sleep():\n    await asyncio.sleep(0.1)\n    return {}\n"
    )
    server, port = serve(floor_app, "floor_app:app", _env(floor_app, upstream_url))
    try:
        floor = _drive(port, ("GET", "/sleep", None, 0.1), args.requests, args.concurrency)
    finally:
        server.terminate()
        server.wait(timeout=30)
    ideal = args.requests / (math.ceil(args.requests / args.concurrency) * 0.1)
    print(
        f"# load generator against hand-written async code sleeping 100 ms: {floor['rps']:.0f} req/s, "
        f"{floor['rps'] / ideal:.0%} of the {ideal:.0f} req/s the latency floor allows"
    )

    results: dict[str, dict[str, dict]] = {}
    rss: dict[str, float] = {}
    for label, root in (("before", before), ("after", after)):
        server, port = serve(root, "legacy_service.main:app", _env(root, upstream_url))
        try:
            for endpoint in endpoints(args.upstream_latency):
                results.setdefault(endpoint[1], {})[label] = _drive(
                    port, endpoint, args.requests, args.concurrency
                )
            rss[label] = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    upstream.shutdown()
    shutil.rmtree(work, ignore_errors=True)

    rounds = math.ceil(args.requests / args.concurrency)
    print(f"# N={args.requests} C={args.concurrency}, upstream latency {args.upstream_latency * 1000:.0f} ms")
    print(
        "| endpoint | req/s before | req/s after | ratio | floor req/s | p50 before | p50 after | p99 after |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for method, path, _, latency in endpoints(args.upstream_latency):
        old, new = results[path]["before"], results[path]["after"]
        floor = f"{args.requests / (rounds * latency):.0f}" if latency else "-"
        ratio = new["rps"] / old["rps"]
        print(
            f"| {method} {path} | {old['rps']:.0f} | {new['rps']:.0f} | {ratio:.2f}x | {floor} "
            f"| {old['p50'] * 1000:.0f} ms | {new['p50'] * 1000:.0f} ms | {new['p99'] * 1000:.0f} ms |"
        )
    print(f"# peak RSS of the server: before {rss['before']:.0f} MB, after {rss['after']:.0f} MB")


if __name__ == "__main__":
    main()
