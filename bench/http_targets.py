"""Outgoing HTTP before and after migration: which async client code should the tool write?

Serves, in one uvicorn worker each, FastAPI apps whose single endpoint ``GET /proxy`` fetches a
loopback upstream (answering after a fixed latency) and returns its JSON: the blocking original
(``requests.get``), what ``async-migrate --http-client TARGET`` makes of it, and hand-written
async code for httpx, httpx2 and aiohttp in several shapes (one shared client, a client per call
with and without a shared SSL context). Per upstream latency and concurrency it prints req/s, the
ratio to the blocking original, the latency floor, p50/p99, peak RSS and the server's CPU time per
request: an async endpoint is only faster if its client does not spend the CPU that waiting freed.

A server is started afresh for every (app, latency, concurrency) cell, so peak RSS belongs to one
cell. Before the matrix the load generator is pointed straight at the upstream (what the harness
alone reaches), and every cell has a ``floor-asyncio-sleep`` row: an ``async def`` endpoint that
only sleeps for the latency, i.e. what uvicorn + FastAPI cost before any client does.

    python bench/http_targets.py                                    # the full matrix, N=400
    python bench/http_targets.py --latency 0.5 --concurrency 200 \\
        --apps sync-requests,expert-httpx-per-call-sslctx
    python bench/http_targets.py --json docs/bench/http_targets.json --chart
    python bench/http_targets.py --latency 0.05,0.5 --concurrency 200 --repeat 5 \\
        --apps migrated-aiohttp,expert-aiohttp-tool-per-call,expert-aiohttp-tool-per-loop-dummy-jar
    python bench/http_targets.py --replot docs/bench/http_targets.json --chart  # no measuring
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _charts import label_bar, pyplot, save, style_panel
from _loadgen import (
    UVICORN_ARGS,
    ServerDidNotStart,
    add_output_args,
    add_run_args,
    bench_main,
    bench_parser,
    describe_run,
    drive_warm,
    floor_rps,
    harness_cores,
    median_run,
    peak_rss_mb,
    print_run_header,
    row_figures,
    run_interruptible,
    served,
    start_upstream,
    stop,
    tail,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CHART = ROOT / "docs" / "bench" / "http_targets.png"
LATENCIES = (0.05, 0.1, 0.5)
CONCURRENCIES = (50, 200)
TARGETS = ("httpx", "httpx2", "aiohttp")

SYNC_SOURCE = """\
import os

import requests
from fastapi import FastAPI

UPSTREAM_URL = os.environ["UPSTREAM_URL"]

app = FastAPI()


@app.get("/proxy")
def proxy():
    r = requests.get(UPSTREAM_URL, timeout=10)
    r.raise_for_status()
    return r.json()
"""

FLOOR_SOURCE = '''\
"""The yardstick: no client at all, only the wait."""

import asyncio
import os

from fastapi import FastAPI

LATENCY = float(os.environ["LATENCY"])

app = FastAPI()


@app.get("/proxy")
async def proxy():
    await asyncio.sleep(LATENCY)
    return {"id": 1, "name": "widget", "price_cents": 1250}
'''

_HTTPX_HEAD = """\
import os
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request

UPSTREAM_URL = os.environ["UPSTREAM_URL"]
"""

_HTTPX_SHARED = """
@asynccontextmanager
async def lifespan(app: FastAPI):
    async with httpx.AsyncClient({options}) as client:
        app.state.client = client
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/proxy")
async def proxy(request: Request):
    r = await request.app.state.client.get(UPSTREAM_URL, timeout=10)
    r.raise_for_status()
    return r.json()
"""

_HTTPX_PER_CALL = """{prelude}
app = FastAPI()


@app.get("/proxy")
async def proxy():
    async with httpx.AsyncClient({options}) as client:
        r = await client.get(UPSTREAM_URL, timeout=10)
    r.raise_for_status()
    return r.json()
"""

HTTPX_SHAPES = {
    "shared": _HTTPX_HEAD + _HTTPX_SHARED.format(options=""),
    "shared-unlimited": _HTTPX_HEAD
    + 'KEEPALIVE = int(os.environ["CONCURRENCY"])  # the benchmark\'s C\n'
    + _HTTPX_SHARED.format(
        options="limits=httpx.Limits(max_connections=None, max_keepalive_connections=KEEPALIVE)"
    ),
    "per-call-sslctx": _HTTPX_HEAD
    + _HTTPX_PER_CALL.format(
        prelude="SSL_CONTEXT = httpx.create_ssl_context()  # once: building one costs ~17 ms of CPU\n",
        options="verify=SSL_CONTEXT",
    ),
    "per-call-naive": _HTTPX_HEAD + _HTTPX_PER_CALL.format(prelude="", options=""),
}

_AIOHTTP_HEAD = """\
import asyncio
import json
import os
import ssl
from contextlib import asynccontextmanager

import aiohttp
from fastapi import FastAPI, Request

UPSTREAM_URL = os.environ["UPSTREAM_URL"]
TIMEOUT = aiohttp.ClientTimeout(total=10)
"""

_AIOHTTP_SHARED = """
@asynccontextmanager
async def lifespan(app: FastAPI):
    async with aiohttp.ClientSession({options}) as session:
        app.state.session = session
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/proxy")
async def proxy(request: Request):
    async with request.app.state.session.get(UPSTREAM_URL, timeout=TIMEOUT) as r:
        r.raise_for_status()
        return await r.json()
"""

_AIOHTTP_PER_CALL = """{prelude}
app = FastAPI()


@app.get("/proxy")
async def proxy():
    async with aiohttp.ClientSession({options}) as s:
        async with s.get(UPSTREAM_URL, timeout=TIMEOUT) as r:
            r.raise_for_status()
            data = await r.json()
    return data
"""

# The session options async-migrate --http-client aiohttp writes (trust_env, no total timeout,
# 31 redirects), so that the two shapes below differ only in how long a session lives.
_AIOHTTP_AS_TOOL = (
    "timeout=aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=10), trust_env=True, "
    "cookie_jar={jar}"
)

_AIOHTTP_TOOL_PER_CALL = """
app = FastAPI()


@app.get("/proxy")
async def proxy():
    async with aiohttp.ClientSession({options}) as client:
        r = await client.get(UPSTREAM_URL, max_redirects=31)
        await r.read()
    r.raise_for_status()
    return json.loads(await r.read())
"""

_AIOHTTP_TOOL_PER_LOOP = """
_SESSIONS: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {{}}


def shared_session() -> aiohttp.ClientSession:
    \"\"\"One session per event loop, opened on first use (TestClient and uvicorn run their own).\"\"\"
    loop = asyncio.get_running_loop()
    session = _SESSIONS.get(loop)
    if session is None or session.closed:
        session = _SESSIONS[loop] = aiohttp.ClientSession({options}{connector})
    return session


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    session = _SESSIONS.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


app = FastAPI(lifespan=lifespan)


@app.get("/proxy")
async def proxy():
    r = await shared_session().get(UPSTREAM_URL, max_redirects=31)
    await r.read()
    r.raise_for_status()
    return json.loads(await r.read())
"""

AIOHTTP_SHAPES = {
    "shared": _AIOHTTP_HEAD + _AIOHTTP_SHARED.format(options=""),
    "shared-unlimited": _AIOHTTP_HEAD
    + _AIOHTTP_SHARED.format(options="connector=aiohttp.TCPConnector(limit=0)"),
    "per-call": _AIOHTTP_HEAD + _AIOHTTP_PER_CALL.format(prelude="", options=""),
    "per-call-sslctx": _AIOHTTP_HEAD
    + _AIOHTTP_PER_CALL.format(
        prelude="SSL_CONTEXT = ssl.create_default_context()\n",
        options="connector=aiohttp.TCPConnector(ssl=SSL_CONTEXT)",
    ),
    "tool-per-call": _AIOHTTP_HEAD
    + _AIOHTTP_TOOL_PER_CALL.format(options=_AIOHTTP_AS_TOOL.format(jar="aiohttp.CookieJar(unsafe=True)")),
    "tool-per-loop-dummy-jar": _AIOHTTP_HEAD
    + _AIOHTTP_TOOL_PER_LOOP.format(
        options=_AIOHTTP_AS_TOOL.format(jar="aiohttp.DummyCookieJar()"), connector=""
    ),
    "tool-per-loop-dummy-jar-unlimited": _AIOHTTP_HEAD
    + _AIOHTTP_TOOL_PER_LOOP.format(
        options=_AIOHTTP_AS_TOOL.format(jar="aiohttp.DummyCookieJar()"),
        connector=", connector=aiohttp.TCPConnector(limit=0)",
    ),
}


@dataclass
class App:
    """One FastAPI app to serve: ``source`` is None when there is nothing to measure (``note`` says why).

    ``written`` is what the tool wrote, for the migrated apps, whether it is served or not.
    """

    name: str
    family: str
    source: str | None
    note: str = ""
    written: str | None = None


def expert_apps() -> list[App]:
    """The hand-written shapes; httpx2 has the same API as httpx, so the same code with its name."""
    apps = [App(f"expert-httpx-{shape}", "httpx", source) for shape, source in HTTPX_SHAPES.items()]
    apps += [
        App(f"expert-httpx2-{shape}", "httpx2", source.replace("httpx", "httpx2"))
        for shape, source in HTTPX_SHAPES.items()
    ]
    apps += [App(f"expert-aiohttp-{shape}", "aiohttp", source) for shape, source in AIOHTTP_SHAPES.items()]
    return apps


APP_NAMES = [
    "floor-asyncio-sleep",
    "sync-requests",
    "migrated-default",
    *(f"migrated-{target}" for target in TARGETS),
    *(app.name for app in expert_apps()),
]


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("async-migrate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "async_migrate"]


def family_of(source: str) -> str:
    """Which client a migrated app ended up with, for the chart's colours."""
    for family in ("aiohttp", "httpx2", "httpx"):
        if f"import {family}\n" in source:
            return family
    return "sync"


def migrate(target: str | None, work: Path) -> App:
    """Run the tool on a copy of the sync original; ``target`` None is the tool without --http-client.

    The flag is new: a tool that does not know it, rejects the target, or leaves ``requests.get``
    in the code gives a row that says "not translated" rather than a failed run.
    """
    name = f"migrated-{target or 'default'}"
    folder = work / name
    folder.mkdir()
    (folder / "app.py").write_text(SYNC_SOURCE)
    command = [*_cli(), *(["--http-client", target] if target else []), str(folder)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return App(name, target or "sync", None, "async-migrate timed out")
    if done.returncode != 0:
        output = done.stderr + done.stdout
        if "No such option" in output:
            reason = "no --http-client option yet"
        else:
            last = output.strip().splitlines()[-1:] or [""]
            reason = f"async-migrate exited {done.returncode}: {last[0][:200]}"
        return App(name, target or "sync", None, reason)
    source = (folder / "app.py").read_text()
    if target and "requests.get(" in source:  # the module may still use requests to decode JSON
        return App(name, target, None, "still calls requests.get", source)
    return App(name, family_of(source), source, written=source)


# --- measuring ----------------------------------------------------------------------------------


def measure(
    app: App,
    latency: float,
    concurrency: int,
    args: argparse.Namespace,
    upstream: subprocess.Popen[bytes],
    upstream_url: str,
    work: Path,
) -> dict[str, Any]:
    """One row: serve ``app`` afresh, warm it up with one round of C requests, time N requests."""
    row: dict[str, Any] = {
        "app": app.name,
        "family": app.family,
        "latency": latency,
        "concurrency": concurrency,
        "requests": args.requests,
        "floor_rps": floor_rps(args.requests, concurrency, latency),
        "status": "ok",
        "note": app.note,
    }
    if app.source is None:
        row["status"] = "not translated"
        return row
    folder = work / app.name
    if not folder.exists():
        folder.mkdir()
    (folder / "app.py").write_text(app.source)
    log = work / f"{app.name}-{latency}-{concurrency}.log"
    env = {"UPSTREAM_URL": upstream_url, "LATENCY": str(latency), "CONCURRENCY": str(concurrency)}
    try:
        with served(
            folder, "app:app", env, log, extra_args=UVICORN_ARGS, startup_timeout=args.startup_timeout
        ) as (server, port):
            figures = drive_warm(
                port,
                "GET",
                "/proxy",
                None,
                args.requests,
                concurrency,
                cpu_of={"server": server.pid, "upstream": upstream.pid},
                request_timeout=args.request_timeout,
            )
            row["rss_mb"] = peak_rss_mb(server.pid)
    except ServerDidNotStart as error:
        return {**row, "status": "did not start", "note": f"{error}: {tail(log, 1)}"}
    row.update(row_figures(figures, args.requests))
    if row["errors"]:
        row["server_log_tail"] = tail(log)
    return row


# --- reporting ----------------------------------------------------------------------------------


def header(argv: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """What a reader needs to reproduce the figures."""
    packages = (
        "fastapi",
        "starlette",
        "uvicorn",
        "h11",
        "httpx",
        "httpcore",
        "httpx2",
        "httpcore2",
        "aiohttp",
        "requests",
    )
    return {
        **describe_run(argv, packages),
        "uvicorn_args": " ".join(UVICORN_ARGS),
        "repeat": args.repeat,
        # httpx and requests read their CA bundle from these: they set what building an SSL context costs
        "ssl_env": {name: os.environ.get(name, "unset") for name in ("SSL_CERT_FILE", "SSL_CERT_DIR")},
    }


def print_header(meta: dict[str, Any]) -> None:
    ssl_env = ", ".join(f"{name}={value}" for name, value in meta["ssl_env"].items())
    print_run_header(meta, "http targets", f"app: {meta['uvicorn_args']}", load_prefix=f"{ssl_env}; ")


def _cells(rows: list[dict[str, Any]]) -> list[tuple[float, int]]:
    return sorted({(row["latency"], row["concurrency"]) for row in rows})


def _sync_rps(rows: list[dict[str, Any]], cell: tuple[float, int]) -> float | None:
    for row in rows:
        if (row["latency"], row["concurrency"]) == cell and row["app"] == "sync-requests" and "rps" in row:
            return row["rps"]
    return None


def print_table(rows: list[dict[str, Any]]) -> None:
    """One markdown table, grouped by (latency, C); the sync row of each cell is the 1.00x."""
    print(
        "| app | latency | C | req/s | vs sync | floor req/s | p50 ms | p99 ms | errors "
        "| peak RSS MB | server CPU s | CPU ms/req | server cores | harness cores |"
    )
    print(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for cell in _cells(rows):
        sync = _sync_rps(rows, cell)
        for row in rows:
            if (row["latency"], row["concurrency"]) != cell:
                continue
            lead = f"| {row['app']} | {row['latency'] * 1000:.0f} ms | {row['concurrency']} "
            if "rps" not in row:
                print(lead + f"| {row['status']} ({row['note']}) |" + " |" * 10)
                continue
            ratio = f"{row['rps'] / sync:.2f}x" if sync else "-"
            cells = [
                f"{row['rps']:.0f}",
                ratio,
                f"{row['floor_rps']:.0f}",
                f"{row['p50_ms']:.0f}",
                f"{row['p99_ms']:.0f}",
                str(row["errors"]),
                f"{row['rss_mb']:.0f}",
                f"{row['server_cpu_s']:.2f}",
                f"{row['cpu_ms_per_request']:.2f}",
                f"{row['server_cores']:.2f}",
                f"{row['harness_cores']:.2f}",
            ]
            print(lead + "| " + " | ".join(cells) + " |")
    print(
        "# N requests per row after a warm-up of one round of C; req/s counts successful requests only;"
        " floor = N / (ceil(N/C) x latency)."
    )
    print(
        "# server cores = server CPU s / wall s of the timed run (near 1.0: the single worker is CPU-bound);"
        " harness cores = the same for upstream + load generator, on the other core."
    )
    repeated = [
        f"{row['app']} {row['latency'] * 1000:.0f} ms C={row['concurrency']}: "
        + "/".join(f"{rps:.0f}" if rps else "-" for rps in row["rps_runs"])
        for row in rows
        if len(row.get("rps_runs", [])) > 1
    ]
    if repeated:
        print("# req/s of every run, interleaved (the median run stands in the table):")
        for line in repeated:
            print(f"#   {line}")
    failed = [row for row in rows if row.get("errors")]
    for row in failed:
        print(f"# errors in {row['app']} at {row['latency'] * 1000:.0f} ms, C={row['concurrency']}:")
        for message, count in row["error_samples"]:
            print(f"#   {count} x {message}")
        for line in row.get("server_log_tail", "").splitlines():
            print(f"#   server: {line}")
    if not failed:
        print("# no errors: every request of every row answered 200")


FAMILY_COLOURS = {
    "reference": "#c7c7c7",
    "sync": "#7f7f7f",
    "httpx": "#1f77b4",
    "httpx2": "#2ca02c",
    "aiohttp": "#ff7f0e",
}


def _ratio(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio < 1 else f"{ratio:.1f}x"


def draw_chart(rows: list[dict[str, Any]], meta: dict[str, Any], sources: dict[str, str], path: Path) -> None:
    """Horizontal bars of req/s per app, one panel per (latency, C); the dashed line is the floor."""
    plt = pyplot()
    cells = _cells(rows)
    latencies = sorted({latency for latency, _ in cells})
    concurrencies = sorted({concurrency for _, concurrency in cells})
    apps = list(dict.fromkeys(row["app"] for row in rows))
    figure, axes = plt.subplots(
        len(concurrencies),
        len(latencies),
        figsize=(5.2 * len(latencies) + 2.5, 0.28 * len(apps) * len(concurrencies) + 1.8),
        sharey=True,
        squeeze=False,
    )
    for (latency, concurrency), axis in (
        ((latency, concurrency), axes[i][j])
        for i, concurrency in enumerate(concurrencies)
        for j, latency in enumerate(latencies)
    ):
        by_app = {
            row["app"]: row for row in rows if (row["latency"], row["concurrency"]) == (latency, concurrency)
        }
        sync = _sync_rps(rows, (latency, concurrency))
        floor = floor_rps(rows[0]["requests"], concurrency, latency)
        values = [by_app.get(app, {}).get("rps", 0.0) for app in apps]
        families = [
            family_of(sources[app])
            if app.startswith("migrated-") and app in sources
            else by_app.get(app, {}).get("family", "")
            for app in apps
        ]
        colours = [FAMILY_COLOURS.get(family, "#c7c7c7") for family in families]
        bars = axis.barh(range(len(apps)), values, color=colours)
        for bar, app in zip(bars, apps, strict=True):
            if app.startswith("migrated-"):
                bar.set_hatch("//")
                bar.set_edgecolor("white")
        axis.axvline(floor, color="black", linestyle="--", linewidth=1)
        limit = max([floor, *values]) * 1.45
        axis.set_xlim(0, limit)
        for index, app in enumerate(apps):
            row = by_app.get(app)
            if row is None:
                continue
            if "rps" not in row:
                text = row["status"]
            else:
                text = f"{row['rps']:.0f}" + (f"  {_ratio(row['rps'] / sync)}" if sync else "")
                if row.get("errors"):
                    text += f"  {row['errors']} errors"
            label_bar(axis, values[index], limit, index, text, fontsize=7)
        axis.set_title(
            f"upstream {latency * 1000:.0f} ms, C={concurrency} (floor {floor:.0f} req/s)", fontsize=9
        )
        style_panel(axis)
    axes[0][0].set_yticks(range(len(apps)), apps, fontsize=8)
    axes[0][0].invert_yaxis()  # the y axis is shared: once, or the panels flip back
    for row_axes in axes:
        row_axes[0].tick_params(axis="y", labelsize=8)
    save(
        figure,
        axes,
        "req/s (label: req/s and ratio to sync-requests)",
        f"GET /proxy through one uvicorn worker, N={rows[0]['requests']}: req/s per app "
        f"(dashed: latency floor)\n{meta['date']}, Python {meta['python']}, {meta['cores']} cores",
        path,
    )


# --- main ---------------------------------------------------------------------------------------


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part]


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [name for name in names if name not in APP_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown app {', '.join(unknown)}; known: {', '.join(APP_NAMES)}")
    return names


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = bench_parser(__doc__)
    parser.add_argument(
        "--latency", type=_floats, default=list(LATENCIES), help="upstream latencies, s [0.05,0.1,0.5]"
    )
    parser.add_argument(
        "--concurrency", type=_ints, default=list(CONCURRENCIES), help="requests in flight [50,200]"
    )
    parser.add_argument(
        "--apps", type=_names, default=APP_NAMES, help=f"comma-separated subset of: {', '.join(APP_NAMES)}"
    )
    add_output_args(parser, DEFAULT_CHART)
    add_run_args(parser, verbose_help="print the migrated sources")
    return parser.parse_args(argv)


def progress(row: dict[str, Any], elapsed: float) -> None:
    """A line on stderr per row, as it comes; the harness check (the floor rows) on stdout."""
    cell = f"{row['latency'] * 1000:.0f} ms, C={row['concurrency']}"
    if "rps" not in row:
        print(f"[{elapsed:4.0f}s] {cell} {row['app']}: {row['status']}", file=sys.stderr)
        return
    print(
        f"[{elapsed:4.0f}s] {cell} {row['app']}: {row['rps']:.0f} req/s, {row['errors']} errors, "
        f"{row['server_cores']:.2f} server cores",
        file=sys.stderr,
    )
    if row["family"] == "reference":
        print(
            f"# harness check at {cell}: an async def endpoint that only sleeps gets {row['rps']:.0f} req/s, "
            f"{row['rps'] / row['floor_rps']:.0%} of the {row['floor_rps']:.0f} req/s floor (server "
            f"{row['server_cores']:.2f} cores, harness {row['harness_cores']:.2f}, {row['errors']} errors)",
            flush=True,
        )


def check_harness(
    args: argparse.Namespace, upstream: subprocess.Popen[bytes], urls: dict[float, str]
) -> list[dict[str, Any]]:
    """The load generator straight against the upstream: what the harness alone reaches per cell.

    The floor-asyncio-sleep rows then show what uvicorn + FastAPI add before any client does.
    """
    checks = []
    for latency in args.latency:
        for concurrency in args.concurrency:
            port = urlsplit(urls[latency]).port
            assert port is not None
            figures = drive_warm(
                port,
                "GET",
                "/item",
                None,
                args.requests,
                concurrency,
                cpu_of={"upstream": upstream.pid},
                request_timeout=args.request_timeout,
            )
            floor = floor_rps(args.requests, concurrency, latency)
            check = {
                "latency": latency,
                "concurrency": concurrency,
                "rps": figures["rps"],
                "floor_rps": floor,
                "errors": len(figures["errors"]),
                "harness_cores": harness_cores(figures),
            }
            checks.append(check)
            print(
                f"# harness check at {latency * 1000:.0f} ms, C={concurrency}: load generator straight at "
                f"the upstream gets {check['rps']:.0f} req/s, {check['rps'] / floor:.0%} of the {floor:.0f} "
                f"req/s floor ({check['harness_cores']:.2f} cores, {check['errors']} errors)",
                flush=True,
            )
    return checks


def run(args: argparse.Namespace, meta: dict[str, Any]) -> dict[str, Any]:
    """Migrate, check the harness against the floor, then measure every row of the matrix."""
    work = Path(tempfile.mkdtemp(prefix="am-http-targets-"))
    upstream: subprocess.Popen[bytes] | None = None
    try:
        upstream, ports = start_upstream(args.latency)
        urls = {latency: f"http://127.0.0.1:{port}/item" for latency, port in ports.items()}
        apps = {"floor-asyncio-sleep": App("floor-asyncio-sleep", "reference", FLOOR_SOURCE)}
        apps["sync-requests"] = App("sync-requests", "sync", SYNC_SOURCE)
        for target in (None, *TARGETS):
            name = f"migrated-{target or 'default'}"
            if name in args.apps:
                apps[name] = migrate(target, work)
                if args.verbose:
                    state = f"not translated ({apps[name].note})" if apps[name].note else "translated"
                    print(f"# {name}: {state}; the tool wrote:")
                    for line in (apps[name].written or "(nothing)").splitlines():
                        print(f"#     {line}")
        apps.update((app.name, app) for app in expert_apps())
        selected = [apps[name] for name in APP_NAMES if name in args.apps or name == "floor-asyncio-sleep"]

        meta["harness_check"] = check_harness(args, upstream, urls)
        rows: list[dict[str, Any]] = []
        started = time.monotonic()
        for latency in args.latency:
            for concurrency in args.concurrency:
                runs: dict[str, list[dict[str, Any]]] = {}
                for _ in range(args.repeat):  # interleaved, so that a change of load falls on every app
                    for app in selected:
                        row = measure(app, latency, concurrency, args, upstream, urls[latency], work)
                        runs.setdefault(app.name, []).append(row)
                        progress(row, time.monotonic() - started)
                rows += [median_run(app_runs) for app_runs in runs.values()]
        meta["wall_s"] = time.monotonic() - started  # bench_main adds the load average at the end
        sources = {app.name: app.written or app.source for app in selected if app.written or app.source}
        return {"meta": meta, "rows": rows, "sources": sources}
    finally:
        if upstream is not None:
            stop(upstream)  # closes its stdin first
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str]) -> None:
    args = parse_args(argv[1:])
    bench_main(
        args,
        header=lambda: header(argv, args),
        print_header=print_header,
        run=lambda meta: run(args, meta),
        print_table=lambda results: print_table(results["rows"]),
        draw_chart=lambda results, path: draw_chart(
            results["rows"], results["meta"], results.get("sources", {}), path
        ),
    )


if __name__ == "__main__":
    run_interruptible(main, sys.argv)
