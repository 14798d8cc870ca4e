"""Is the migrated service faster? Serve examples/legacy_service as it is and as migrated.

Every endpoint is served, in one uvicorn worker started afresh for each row (so peak RSS belongs
to one endpoint), by the service as it is ("before"), as ``async-migrate`` leaves it ("after") and,
for the endpoints that wait (a sleep, the upstream catalogue), by hand-written async code ("async":
``asyncio.sleep``; one shared ``httpx.AsyncClient``). The upstream is the loopback asyncio server of
``_loadgen.py``, answering ``GET /items/{id}`` after a fixed latency. Each row gets one round of C
requests to warm up, then N requests with C in flight from the raw-socket load generator.

Prints a reproducibility header, a check that the harness alone reaches the latency floor, and per
endpoint: req/s before and after and their ratio, the hand-written async figure and the ratio to
it, the latency floor ``N / (ceil(N / C) x latency)`` where one applies, p50/p99, errors, peak RSS,
server CPU per request and whether the goal is met: threadpooled and CPU-bound endpoints no slower
than before within 10%, endpoints that wait within 15% of the hand-written async code.

    python bench/service_throughput.py                   # N=400, C=200, upstream 100 ms
    python bench/service_throughput.py -n 200 -c 50 --upstream-latency 0.5
    python bench/service_throughput.py --json docs/bench/service_throughput.json --chart
    python bench/service_throughput.py --replot docs/bench/service_throughput.json --chart  # no measuring
"""

from __future__ import annotations

import argparse
import difflib
import http.client
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
EXAMPLE = ROOT / "examples" / "legacy_service"
DEFAULT_CHART = ROOT / "docs" / "bench" / "service_throughput.png"
PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "h11",
    "anyio",
    "httpx",
    "httpcore",
    "requests",
    "urllib3",
)
VERSIONS = ("before", "after", "async")
VERSION_LABELS = {"before": "before (def)", "after": "after (migrated)", "async": "hand-written async"}
# (reference version, least after/reference ratio): the goal per kind of endpoint
GOALS: dict[str, tuple[tuple[str, float], ...]] = {
    "sleep": (("async", 0.85),),
    "upstream": (("before", 0.90), ("async", 0.85)),
}
DEFAULT_GOAL = (("before", 0.90),)
NOISY = 0.25  # cores used by other processes during a row, above which its figures are suspect
SHORT = 1.0  # s: a timed run shorter than this is at the mercy of one garbage collection
KINDS = {
    "trivial": "no I/O",
    "sleep": "sleeps",
    "upstream": "waits on the upstream",
    "file": "file I/O",
    "cpu": "CPU-bound",
    "threadpool": "sync helper",
    "kept-sync": "kept sync",
}

YARDSTICK_SOURCE = '''\
"""Hand-written async code for the endpoints that wait: what the migrated ones are measured against.

Same routes, validation and response bodies as examples/legacy_service.
"""

import asyncio
import os
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import FastAPI, HTTPException, Query, Request

UPSTREAM_URL = os.environ["UPSTREAM_URL"].rstrip("/")


@asynccontextmanager
async def lifespan(app: FastAPI):
    # one client for the process, as httpx's documentation advises, with its default pool (100
    # connections): an unlimited pool is slower at 200 in flight (see docs/bench/http_targets.json)
    async with httpx.AsyncClient(timeout=5) as client:
        app.state.client = client
        yield


app = FastAPI(lifespan=lifespan)


@app.get("/slow")
async def slow(delay: Annotated[float, Query(ge=0, le=2)] = 0.05):
    await asyncio.sleep(delay)
    return {"slept": delay}


@app.get("/quotes/{item_id}")
async def get_quote(item_id: int, request: Request):
    try:
        resp = await request.app.state.client.get(f"{UPSTREAM_URL}/items/{item_id}")
        resp.raise_for_status()
    except httpx.HTTPStatusError as exc:
        if exc.response.status_code == 404:
            raise HTTPException(status_code=404, detail="item not found") from exc
        raise HTTPException(status_code=502, detail="catalogue error") from exc
    except httpx.HTTPError as exc:
        raise HTTPException(status_code=502, detail="catalogue unreachable") from exc
    item = resp.json()
    cents = item["price_cents"]
    return {"item": item, "display_price": f"{cents // 100}.{cents % 100:02d} EUR"}
'''


@dataclass(frozen=True)
class Endpoint:
    """One endpoint to drive; ``waits`` is what one request waits for (s), when that sets a floor."""

    method: str
    path: str
    body: bytes | None
    kind: str
    waits: float | None = None
    yardstick: bool = False

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(latency: float) -> list[Endpoint]:
    """The endpoints of examples/legacy_service driven, with what each one spends its time on."""
    return [
        Endpoint("GET", "/health", None, "trivial"),
        Endpoint("GET", "/slow?delay=0.1", None, "sleep", 0.1, yardstick=True),
        Endpoint("GET", "/quotes/1", None, "upstream", latency, yardstick=True),
        Endpoint("GET", "/documents/welcome.txt", None, "file"),
        Endpoint("POST", "/hash", json.dumps({"password": "pw", "salt": "s"}).encode(), "cpu"),
        Endpoint("GET", "/reports/summary", None, "threadpool"),  # build_report stays sync: 2 x 10 ms sleep
        Endpoint("POST", "/uploads", json.dumps({"filename": "a.txt", "content": "hello"}).encode(), "file"),
        Endpoint("GET", "/inventory", None, "kept-sync"),  # sqlite3: the tool leaves it a def
    ]


# --- preparing ----------------------------------------------------------------------------------


def _git(*args: str) -> str:
    """Read-only git (no optional locks: never touches the index); empty when git cannot answer."""
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout if done.returncode == 0 else ""


def migrate(before: Path, after: Path, timeout: float) -> dict[str, Any]:
    """Run the tool on ``after`` (a copy of ``before``); return what it changed and which tool did it.

    The tool's source may be mid-edit in the working tree, so the commit and the modified files
    under src/ are recorded beside the diff of what it wrote.
    """
    command = [sys.executable, "-m", "async_migrate", "-q", str(after)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as error:
        raise SystemExit(f"async-migrate did not finish in {timeout} s") from error
    if done.returncode != 0:
        raise SystemExit(f"migration failed (exit {done.returncode}):\n{done.stderr}{done.stdout}")
    diff: list[str] = []
    changed = []
    for old in sorted(before.rglob("*.py")):
        relative = old.relative_to(before)
        new = after / relative
        old_lines, new_lines = old.read_text().splitlines(True), new.read_text().splitlines(True)
        if old_lines != new_lines:
            changed.append(str(relative))
            diff += difflib.unified_diff(old_lines, new_lines, f"a/{relative}", f"b/{relative}")
    return {
        "commit": _git("rev-parse", "--short", "HEAD").strip() or "unknown",
        "src_modified": [line[3:] for line in _git("status", "--porcelain", "--", "src").splitlines()],
        "files_changed": changed,
        "diff": "".join(diff),
    }


# --- measuring ----------------------------------------------------------------------------------


def fetch(port: int, endpoint: Endpoint, timeout: float) -> dict[str, Any]:
    """One request on its own, for its status and body: the versions must answer alike."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Content-Type": "application/json"} if endpoint.body is not None else {}
    try:
        connection.request(endpoint.method, endpoint.path, body=endpoint.body, headers=headers)
        response = connection.getresponse()
        return {"status": response.status, "body": response.read().decode(errors="replace")}
    except (OSError, http.client.HTTPException) as error:
        return {"status": 0, "body": f"{type(error).__name__}: {error}"}
    finally:
        connection.close()


def measure(
    version: str,
    root: Path,
    app: str,
    endpoint: Endpoint,
    env: dict[str, str],
    args: argparse.Namespace,
    upstream: subprocess.Popen[bytes],
    work: Path,
) -> dict[str, Any]:
    """One row: serve ``app`` afresh, ask once for the body, warm up with one round of C, time N."""
    row: dict[str, Any] = {"version": version, "status": "ok"}
    log = work / f"{version}-{endpoint.path.strip('/').replace('/', '_').replace('?', '_')}.log"
    serving = served(root, app, env, log, extra_args=UVICORN_ARGS, startup_timeout=args.startup_timeout)
    try:
        with serving as (server, port):
            try:
                row["sample"] = fetch(port, endpoint, args.request_timeout)
                figures = drive_warm(
                    port,
                    endpoint.method,
                    endpoint.path,
                    endpoint.body,
                    args.requests,
                    args.concurrency,
                    cpu_of={"server": server.pid, "upstream": upstream.pid},
                    request_timeout=args.request_timeout,
                )
                row["rss_mb"] = peak_rss_mb(server.pid)
            except (OSError, TimeoutError) as error:  # e.g. the C connections could not all be opened
                row.update(status="failed", note=f"{type(error).__name__}: {error}")
    except ServerDidNotStart as error:
        return {**row, "status": "did not start", "note": f"{error}: {tail(log, 1)}"}
    if row["status"] != "ok":
        row["server_log_tail"] = tail(log)
        return row
    row.update(row_figures(figures, args.requests, detailed=True))
    if row["errors"] or row["warmup_errors"] or row["sample"]["status"] != 200:
        row["server_log_tail"] = tail(log)
    return row


def check_harness(args: argparse.Namespace, upstream: subprocess.Popen[bytes], port: int) -> dict[str, Any]:
    """The load generator straight at the upstream: what the harness alone reaches at this N and C."""
    figures = drive_warm(
        port,
        "GET",
        "/items/1",
        None,
        args.requests,
        args.concurrency,
        cpu_of={"upstream": upstream.pid},
        request_timeout=args.request_timeout,
    )
    floor = floor_rps(args.requests, args.concurrency, args.upstream_latency)
    check = {
        "rps": figures["rps"],
        "floor_rps": floor,
        "errors": len(figures["errors"]) + len(figures["warmup_errors"]),
        "harness_cores": harness_cores(figures),
    }
    print(f"harness check: {check['rps']:.0f} req/s, {check['errors']} errors", file=sys.stderr)
    return check


def progress(entry: dict[str, Any], row: dict[str, Any], elapsed: float) -> None:
    """A line on stderr per row as it comes, so that a long run shows it is alive."""
    lead = f"[{elapsed:4.0f}s] {entry['endpoint']} {row['version']}"
    if "rps" not in row:
        print(f"{lead}: {row['status']} ({row.get('note', '')})", file=sys.stderr)
        return
    print(
        f"{lead}: {row['rps']:.0f} req/s, {row['errors']} errors, {row['server_cores']:.2f} server cores",
        file=sys.stderr,
    )


def run(args: argparse.Namespace, meta: dict[str, Any]) -> dict[str, Any]:
    """Copy and migrate the example, check the harness, then measure every endpoint in every version.

    The versions of one endpoint are measured back to back, so that a change in the machine's load
    during the run falls on all of them rather than on "before" or "after" only.
    """
    work = Path(tempfile.mkdtemp(prefix="am-throughput-"))
    upstream: subprocess.Popen[bytes] | None = None
    try:
        roots = {version: work / version for version in VERSIONS}
        for version in ("before", "after"):
            shutil.copytree(EXAMPLE, roots[version], ignore=shutil.ignore_patterns("__pycache__", "tests"))
        (roots["async"] / "data").mkdir(parents=True)
        (roots["async"] / "yardstick_app.py").write_text(YARDSTICK_SOURCE)
        meta["tool"] = migrate(roots["before"], roots["after"], args.migrate_timeout)
        print_migration(meta["tool"], verbose=args.verbose)

        upstream, ports = start_upstream([args.upstream_latency])
        upstream_url = f"http://127.0.0.1:{ports[args.upstream_latency]}"
        meta["harness_check"] = check_harness(args, upstream, ports[args.upstream_latency])
        apps = {
            "before": "legacy_service.main:app",
            "after": "legacy_service.main:app",
            "async": "yardstick_app:app",
        }
        entries: list[dict[str, Any]] = []
        started = time.monotonic()
        selected = [
            endpoint
            for endpoint in endpoints(args.upstream_latency)
            if not args.only or any(part in endpoint.path for part in args.only)
        ]
        for endpoint in selected:
            entry: dict[str, Any] = {
                "endpoint": endpoint.name,
                "kind": endpoint.kind,
                "floor_rps": floor_rps(args.requests, args.concurrency, endpoint.waits)
                if endpoint.waits
                else None,
            }
            runs: dict[str, list[dict[str, Any]]] = {}
            for _ in range(args.repeat):  # interleaved, so that a change of load falls on every version
                for version in VERSIONS if endpoint.yardstick else VERSIONS[:2]:
                    env = {
                        "UPSTREAM_URL": upstream_url,
                        "DATA_DIR": str(roots[version] / "data"),
                        "PYTHONPATH": str(roots[version]),
                    }
                    row = measure(version, roots[version], apps[version], endpoint, env, args, upstream, work)
                    runs.setdefault(version, []).append(row)
                    progress(entry, row, time.monotonic() - started)
            entry.update({version: median_run(rows) for version, rows in runs.items()})
            entries.append(entry)
        meta["wall_s"] = time.monotonic() - started
        return {"meta": meta, "endpoints": entries}
    finally:
        if upstream is not None:
            stop(upstream)
        shutil.rmtree(work, ignore_errors=True)


# --- reporting ----------------------------------------------------------------------------------


def header(argv: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """What a reader needs to reproduce the figures."""
    return {
        **describe_run(argv, PACKAGES),
        "uvicorn_args": " ".join(UVICORN_ARGS),
        "requests": args.requests,
        "repeat": args.repeat,
        "concurrency": args.concurrency,
        "upstream_latency": args.upstream_latency,
    }


def print_header(meta: dict[str, Any]) -> None:
    print_run_header(
        meta,
        "service throughput",
        f"row: {meta['uvicorn_args']}; N={meta['requests']}, C={meta['concurrency']}, "
        f"upstream latency {meta['upstream_latency'] * 1000:.0f} ms; "
        f"median of {meta.get('repeat', 1)} interleaved run(s) per version",
    )


def print_migration(tool: dict[str, Any], verbose: bool) -> None:
    modified = f"; modified under src/: {', '.join(tool['src_modified'])}" if tool["src_modified"] else ""
    print(
        f"# async-migrate at commit {tool['commit']}{modified}; "
        f"it rewrote {len(tool['files_changed'])} files: " + ", ".join(tool["files_changed"])
    )
    if verbose:
        for line in tool["diff"].splitlines():
            print(f"#     {line}")


def _rps(entry: dict[str, Any], version: str) -> float | None:
    return entry.get(version, {}).get("rps")


def verdict(entry: dict[str, Any]) -> tuple[bool, str]:
    """Whether the endpoint meets its goal, and the comparison that says so."""
    failures = sum(
        entry[version].get("errors", 0) + entry[version].get("warmup_errors", 0)
        for version in VERSIONS
        if version in entry
    )
    parts, met = [], failures == 0
    for reference, least in GOALS.get(entry["kind"], DEFAULT_GOAL):
        after, other = _rps(entry, "after"), _rps(entry, reference)
        if after is None or other is None:
            parts.append(f"no {reference} figure")
            met = False
            continue
        ratio = after / other
        met = met and ratio >= least
        parts.append(f"after/{reference} {ratio:.3f} {'>=' if ratio >= least else '<'} {least:.2f}")
    if failures:
        parts.append(f"{failures} failed requests")
    return met, ("met: " if met else "MISSED: ") + ", ".join(parts)


def _pair(entry: dict[str, Any], key: str, digits: int = 0) -> str:
    values = [entry[version].get(key) for version in ("before", "after")]
    return " / ".join("-" if value is None else f"{value:.{digits}f}" for value in values)


def _errors(row: dict[str, Any]) -> str:
    if "rps" not in row:
        return row["status"]
    text = str(row["errors"])
    if row["warmup_errors"]:
        text += f" (+{row['warmup_errors']} warm-up)"
    return text


def print_table(results: dict[str, Any]) -> None:
    """One markdown row per endpoint; ratios are of req/s; every failure is counted and shown below."""
    meta, entries = results["meta"], results["endpoints"]
    check = meta.get("harness_check")
    if check:
        print(
            f"# harness check: load generator straight at the upstream: {check['rps']:.0f} req/s, "
            f"{check['rps'] / check['floor_rps']:.0%} of the {check['floor_rps']:.0f} req/s floor, "
            f"{check['errors']} errors ({check['harness_cores']:.2f} cores for upstream + load generator)"
        )
    print(
        "| endpoint | kind | req/s before | req/s after | after/before | async req/s | after/async "
        "| floor req/s | p50 ms b / a | p99 ms b / a | errors b / a | peak RSS MB b / a "
        "| CPU ms/req b / a | others' cores b / a | goal |"
    )
    print("| --- | --- |" + " ---: |" * 12 + " --- |")
    for entry in entries:
        before, after, yardstick = _rps(entry, "before"), _rps(entry, "after"), _rps(entry, "async")
        cells = [
            entry["endpoint"],
            KINDS[entry["kind"]],
            f"{before:.0f}" if before else entry["before"]["status"],
            f"{after:.0f}" if after else entry["after"]["status"],
            f"{after / before:.2f}x" if before and after else "-",
            f"{yardstick:.0f}" if yardstick else "-",
            f"{after / yardstick:.2f}x" if yardstick and after else "-",
            f"{entry['floor_rps']:.0f}" if entry["floor_rps"] else "-",
            _pair(entry, "p50_ms"),
            _pair(entry, "p99_ms"),
            f"{_errors(entry['before'])} / {_errors(entry['after'])}",
            _pair(entry, "rss_mb"),
            _pair(entry, "cpu_ms_per_request", 2),
            _pair(entry, "other_cores", 2),
            verdict(entry)[1],
        ]
        print("| " + " | ".join(cells) + " |")
    print(
        "# b / a = before / after. N requests per row after a warm-up of one round of C, each row in a fresh "
        "server; req/s counts successful requests only; floor = N / (ceil(N/C) x what one request waits)."
    )
    print(
        "# goals: threadpooled and CPU-bound endpoints after >= 0.90 x before; endpoints that wait "
        "after >= 0.85 x hand-written async (asyncio.sleep; one shared httpx.AsyncClient, default pool) "
        "of the same run."
    )
    print(
        "# CPU ms/req: the server's CPU time over the timed run / N. others' cores: CPU that processes "
        f"other than the server, upstream and load generator used during the timed run; above {NOISY} "
        "the row competed for the 2 cores and its ratio is suspect."
    )
    short = [
        f"{entry['endpoint']} ({entry['before']['elapsed_s']:.2f} / {entry['after']['elapsed_s']:.2f} s)"
        for entry in entries
        if min(entry["before"].get("elapsed_s", SHORT), entry["after"].get("elapsed_s", SHORT)) < SHORT
    ]
    if short:
        print(
            f"# timed runs shorter than {SHORT:.0f} s: {', '.join(short)}. A full garbage collection of the "
            "server's heap takes some 40 ms and comes every few hundred requests, so such a window holds one "
            "or none: it moves the ratio by up to ~25% on the fastest rows. Judge a 10% goal with -n 4000."
        )
    repeated = [
        f"{entry['endpoint']} {version} " + "/".join(f"{rps:.0f}" if rps else "-" for rps in runs)
        for entry in entries
        for version in VERSIONS
        if len(runs := entry.get(version, {}).get("rps_runs", [])) > 1
    ]
    if repeated:
        print("# req/s of every run (the median stands in the table): " + "; ".join(repeated))
    noisy = [
        f"{entry['endpoint']} {version} ({entry[version]['other_cores']:.2f})"
        for entry in entries
        for version in VERSIONS
        if entry.get(version, {}).get("other_cores", 0.0) > NOISY
    ]
    if noisy:
        print(f"# WARNING: other processes competed with these rows: {', '.join(noisy)}")
    for entry in entries:
        row = entry.get("async")
        if row and "rps" in row:
            print(
                f"# hand-written async {entry['endpoint']}: {row['rps']:.0f} req/s, "
                f"p50 {row['p50_ms']:.0f} ms, p99 {row['p99_ms']:.0f} ms, {_errors(row)} errors, "
                f"peak RSS {row['rss_mb']:.0f} MB, "
                f"{row['cpu_ms_per_request']:.2f} CPU ms/req"
            )
        elif row:
            print(f"# hand-written async {entry['endpoint']}: {row['status']} ({row.get('note', '')})")
    print_failures(entries)


def print_failures(entries: list[dict[str, Any]]) -> None:
    """Every failed request, every odd first answer and every body that differs: never hidden."""
    clean = True
    for entry in entries:
        bodies = {}
        for version in VERSIONS:
            row = entry.get(version)
            if row is None:
                continue
            where = f"{entry['endpoint']} {version}"
            if row.get("note"):
                print(f"# {where}: {row['status']}: {row['note']}")
                clean = False
            sample = row.get("sample")
            if sample is not None:
                bodies[version] = sample["body"]
                if sample["status"] != 200:
                    print(f"# {where}: the first request answered {sample['status']}: {sample['body'][:200]}")
                    clean = False
            for kind in ("warmup_errors", "errors"):
                if row.get(kind):
                    label = "warm-up" if kind == "warmup_errors" else "timed run"
                    print(f"# {where}: {row[kind]} failed requests in the {label}:")
                    for message, count in row[f"{kind[:-1]}_samples"]:
                        print(f"#   {count} x {message}")
                    clean = False
            for line in row.get("server_log_tail", "").splitlines():
                print(f"#   server: {line}")
        for version, body in bodies.items():
            if version != "before" and "before" in bodies and body != bodies["before"]:
                print(
                    f"# {entry['endpoint']}: {version} answered {body[:200]!r}, "
                    f"before {bodies['before'][:200]!r}"
                )
                clean = False
    if clean:
        print("# no errors: every request of every row answered 200, and every version gave the same body")


# --- chart --------------------------------------------------------------------------------------

COLOURS = {"before": "#7f7f7f", "after": "#1f77b4", "async": "#ff7f0e"}


def draw_chart(results: dict[str, Any], path: Path) -> None:
    """One panel per endpoint, each on its own scale (req/s spans three orders of magnitude between
    /hash and /health): bars before, after and hand-written async, the after bar labelled with its
    ratios, the dashed line the latency floor, the title green when the goal is met and red if not.
    """
    plt = pyplot()
    meta, entries = results["meta"], results["endpoints"]
    columns = 2
    rows = math.ceil(len(entries) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(14, 1.75 * rows + 1.4), squeeze=False)
    for axis, entry in zip(axes.flat, entries, strict=False):  # the grid may have a spare panel
        versions = [version for version in VERSIONS if version in entry]
        values = [_rps(entry, version) or 0.0 for version in versions]
        axis.barh(range(len(versions)), values, color=[COLOURS[version] for version in versions], height=0.7)
        floor = entry["floor_rps"]
        limit = max([floor or 0.0, *values]) * 1.55 or 1.0
        if floor:
            axis.axvline(floor, color="black", linestyle="--", linewidth=1)
        axis.set_xlim(0, limit)
        before, after, yardstick = _rps(entry, "before"), _rps(entry, "after"), _rps(entry, "async")
        for index, version in enumerate(versions):
            row = entry[version]
            if "rps" not in row:
                text = row["status"]
            else:
                text = f"{row['rps']:.0f}"
                if version == "after" and before:
                    text += f"  {after / before:.2f}x before"
                    if yardstick:
                        text += f", {after / yardstick:.2f}x async"
                failures = row["errors"] + row["warmup_errors"]
                if failures:
                    text += f"  {failures} errors"
            label_bar(
                axis,
                values[index],
                limit,
                index,
                text,
                fontsize=8,
                fontweight="bold" if version == "after" else "normal",
            )
        axis.set_yticks(range(len(versions)), [VERSION_LABELS[version] for version in versions], fontsize=8)
        axis.set_ylim(len(VERSIONS) - 0.5, -0.6)  # same bar height in every panel, first version on top
        met, _ = verdict(entry)
        axis.set_title(
            f"{entry['endpoint']}  ({KINDS[entry['kind']]}"
            + (f"; floor {floor:.0f} req/s" if floor else "")
            + f"; goal {'met' if met else 'MISSED'})",
            fontsize=9,
            color="#2ca02c" if met else "#d62728",
        )
        style_panel(axis)
    for axis in axes.flat[len(entries) :]:
        axis.set_visible(False)
    save(
        figure,
        axes,
        "req/s (each panel on its own scale)",
        f"examples/legacy_service before and after async-migrate: req/s per endpoint, one uvicorn worker, "
        f"N={meta['requests']}, C={meta['concurrency']}, upstream {meta['upstream_latency'] * 1000:.0f} ms "
        f"(dashed: latency floor)\n{meta['date']}, Python {meta['python']}, {meta['cores']} cores, "
        f"async-migrate {meta['tool']['commit']}"
        + (" + uncommitted src/ changes" if meta["tool"]["src_modified"] else ""),
        path,
    )


# --- main ---------------------------------------------------------------------------------------


def _paths(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = bench_parser(__doc__)
    parser.add_argument("-c", "--concurrency", type=int, default=200, help="requests in flight [200]")
    parser.add_argument("--upstream-latency", type=float, default=0.1, help="of the upstream, s [0.1]")
    add_output_args(parser, DEFAULT_CHART)
    parser.add_argument(
        "--only", type=_paths, help="comma-separated parts of the paths to drive, e.g. quotes,hash [all]"
    )
    add_run_args(parser, verbose_help="print what the tool changed")
    parser.add_argument("--migrate-timeout", type=float, default=120, help="for async-migrate, s [120]")
    return parser.parse_args(argv)


def print_saved_header(meta: dict[str, Any], verbose: bool) -> None:
    """The header of a saved run, and what the tool changed in it (printed by ``run`` when measuring)."""
    print_header(meta)
    print_migration(meta["tool"], verbose=verbose)


def main(argv: list[str]) -> None:
    args = parse_args(argv[1:])
    bench_main(
        args,
        header=lambda: header(argv, args),
        print_header=print_header,
        run=lambda meta: run(args, meta),
        print_table=print_table,
        draw_chart=draw_chart,
        print_saved_header=lambda meta: print_saved_header(meta, args.verbose),
        load_average_in_footer=True,
    )


if __name__ == "__main__":
    run_interruptible(main, sys.argv)
