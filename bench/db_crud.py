"""Is the service migrated with ``--db-session async`` as fast as hand-written async code? A CRUD
read against a real PostgreSQL whose query waits in the server, served sync, migrated, hand-written.

The service is tests/behaviour/pg_crud_service.py (SQLModel, a sync Session from a yield
dependency, psycopg2), served as it is ("sync"), as ``async-migrate --db-session async`` leaves a
copy of it, run here ("migrated"), and as tests/behaviour/pg_crud_async.py writes it by hand
(AsyncSession, asyncpg: "async"). PostgreSQL is started here as the tests start it
(tests/postgres.py: a throwaway cluster on 127.0.0.1), each version gets a database of its own
with one hero in it, and the endpoint driven is ``GET /heroes/1/slow?delay=D``, whose query runs
``pg_sleep(D)`` once. Every version has the same pool (``--pool-size``, no overflow); the sync
version's routes and dependency run on anyio's default thread pool of 40. One uvicorn worker per
version, started afresh; one round of C requests to warm up (it also fills the pool), then N
requests with C in flight from _loadgen's raw-socket load generator in this process.

Prints a reproducibility header, what the tool did to the copy, and per version: req/s, p50/p99,
errors, server CPU per request, the ratio to the hand-written version and the goal (migrated within
15 % of hand-written).

    python bench/db_crud.py                              # N=2000, C=200, pg_sleep 50 ms, pool 200
    python bench/db_crud.py --repeat 3 --pool-size 40    # median of 3 interleaved runs per version
    python bench/db_crud.py -n 40 -c 10 --delay 0.01 --pool-size 5   # a smoke run
"""

from __future__ import annotations

import argparse
import difflib
import http.client
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _loadgen import (
    UVICORN_ARGS,
    ServerDidNotStart,
    add_run_args,
    bench_parser,
    describe_run,
    drive,
    drive_warm,
    floor_rps,
    median_run,
    print_run_header,
    run_interruptible,
    served,
    tail,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tests' PostgreSQL helper, shared rather than copied
from postgres import PostgresServer, create_database, running_postgres  # noqa: E402

BEHAVIOUR = ROOT / "tests" / "behaviour"
SOURCES = {"sync": "pg_crud_service.py", "migrated": "pg_crud_service.py", "async": "pg_crud_async.py"}
LABELS = {
    "sync": "sync (def, psycopg2)",
    "migrated": "migrated (--db-session async)",
    "async": "hand-written async (asyncpg)",
}
PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "anyio",
    "sqlalchemy",
    "sqlmodel",
    "psycopg2-binary",
    "asyncpg",
    "greenlet",
)
GOAL = 0.85  # migrated req/s over hand-written req/s, at least
SYNC_THREADS = 40  # anyio's default thread limiter: what serves a sync app's routes and dependencies
HERO = {"name": "Deadpond", "secret_name": "Dive Wilson", "age": 30}


def migrate(source: Path, target: Path, timeout: float) -> dict[str, Any]:
    """``async-migrate --db-session async`` on ``target`` (a copy of ``source``): its summary and diff."""
    shutil.copy(source, target)
    command = [sys.executable, "-m", "async_migrate", "--db-session", "async", str(target)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=target.parent)
    except subprocess.TimeoutExpired as error:
        raise SystemExit(f"async-migrate did not finish in {timeout} s") from error
    if done.returncode != 0:
        raise SystemExit(f"async-migrate failed (exit {done.returncode}):\n{done.stderr}{done.stdout}")
    summary = [line for line in done.stderr.splitlines() if "converted to async" in line]
    diff = difflib.unified_diff(
        source.read_text().splitlines(True), target.read_text().splitlines(True), "sync", "migrated"
    )
    return {"summary": summary[-1] if summary else done.stderr.strip(), "diff": "".join(diff)}


def request(
    port: int, method: str, path: str, body: dict[str, Any] | None, timeout: float
) -> tuple[int, Any]:
    """One request on its own: the seed and the sample every version must answer alike."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def backends(server: PostgresServer) -> list[int]:
    """The server's processes (the postmaster's children): one per connection, plus its helpers."""
    postmaster = (server.folder / "data" / "postmaster.pid").read_text().split()[0]
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # gone meanwhile
            continue
        if fields[1] == postmaster:
            children.append(int(stat.parent.name))
    return children


def measure(
    version: str, root: Path, server: PostgresServer, args: argparse.Namespace, work: Path, run: int
) -> dict[str, Any]:
    """One row: a new database, the version served afresh on it, one hero, the sample, then the load."""
    database = create_database(server, f"bench_{version}_{run}")
    env = {
        **server.client_env,
        "DATABASE_URL": server.url("psycopg2", database),
        "DB_POOL_SIZE": str(args.pool_size),
        "PYTHONPATH": str(root),
    }
    app = f"{Path(SOURCES[version]).stem}:app"
    log = work / f"{version}-{run}.log"
    path = f"/heroes/1/slow?delay={args.delay}"
    row: dict[str, Any] = {"version": version, "status": "ok"}
    try:
        with served(root, app, env, log, extra_args=UVICORN_ARGS, startup_timeout=args.startup_timeout) as (
            uvicorn,
            port,
        ):
            row["seed"] = request(port, "POST", "/heroes/", HERO, args.request_timeout)
            row["sample"] = request(port, "GET", path, None, args.request_timeout)
            # one round of C first, so that the pool's connections, and their server processes whose
            # CPU time is counted, exist before drive_warm's own warm-up and timed run
            drive(port, "GET", path, None, args.concurrency, args.concurrency, strict=False)
            postgres = {f"postgres {pid}": pid for pid in backends(server)}
            figures = drive_warm(
                port,
                "GET",
                path,
                None,
                args.requests,
                args.concurrency,
                cpu_of={"server": uvicorn.pid, **postgres},
                request_timeout=args.request_timeout,
            )
    except ServerDidNotStart as error:
        return {**row, "status": "did not start", "note": f"{error}: {tail(log, 3)}"}
    except (OSError, TimeoutError, http.client.HTTPException) as error:
        return {**row, "status": "failed", "note": f"{type(error).__name__}: {error}", "log": tail(log)}
    errors = figures["errors"] + figures["warmup_errors"]
    postgres_cpu = sum(figures[f"{name}_cpu_s"] for name in postgres)
    measured = figures["server_cpu_s"] + postgres_cpu + figures["loadgen_cpu_s"]
    row.update(
        rps=figures["rps"],
        p50_ms=figures["p50"] * 1000,
        p99_ms=figures["p99"] * 1000,
        errors=len(errors),
        error_samples=sorted(set(errors))[:3],
        cpu_ms_per_request=figures["server_cpu_s"] * 1000 / args.requests,
        postgres_cpu_ms_per_request=postgres_cpu * 1000 / args.requests,
        server_cores=figures["server_cpu_s"] / figures["elapsed_s"],
        loadgen_cores=figures["loadgen_cpu_s"] / figures["elapsed_s"],
        other_cores=max(0.0, figures["system_cpu_s"] - measured) / figures["elapsed_s"],
    )
    if errors or row["sample"][0] != 200:
        row["log"] = tail(log)
    return row


def run(args: argparse.Namespace, meta: dict[str, Any]) -> dict[str, Any]:
    """Prepare the three versions, start PostgreSQL, measure them interleaved ``--repeat`` times."""
    work = Path(tempfile.mkdtemp(prefix="am-db-crud-"))
    try:
        roots = {version: work / version for version in SOURCES}
        for version, root in roots.items():
            root.mkdir()
            if version != "migrated":
                shutil.copy(BEHAVIOUR / SOURCES[version], root)
        meta["tool"] = migrate(BEHAVIOUR / SOURCES["migrated"], roots["migrated"] / SOURCES["migrated"], 120)
        print(f"# async-migrate --db-session async: {meta['tool']['summary']}")
        if args.verbose:
            print("".join(f"#     {line}\n" for line in meta["tool"]["diff"].splitlines()), end="")
        runs: dict[str, list[dict[str, Any]]] = {version: [] for version in SOURCES}
        started = time.monotonic()
        with running_postgres(max_connections=2 * args.pool_size + 20) as server:
            for number in range(args.repeat):  # interleaved: a change of load falls on every version
                for version, root in roots.items():
                    row = measure(version, root, server, args, work, number)
                    runs[version].append(row)
                    figures = f"{row['rps']:.0f} req/s" if "rps" in row else row["status"]
                    print(f"[{time.monotonic() - started:4.0f}s] {version}: {figures}", file=sys.stderr)
        meta["wall_s"] = time.monotonic() - started
        return {"meta": meta, "rows": {version: median_run(rows) for version, rows in runs.items()}}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def print_table(results: dict[str, Any], args: argparse.Namespace) -> bool:
    """The table and the goal; returns whether every version was measured without a failed request
    and answered the sample like the sync one."""
    rows = results["rows"]
    floor = floor_rps(args.requests, args.concurrency, args.delay) if args.delay else float("inf")
    print(f"# the floor, N / (ceil(N / C) x delay): {floor:.0f} req/s")
    print(
        "| version | req/s | p50 ms | p99 ms | errors | server CPU ms/req | PostgreSQL CPU ms/req "
        "| server cores | load generator cores | other processes' cores | vs hand-written |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    reference = rows["async"].get("rps")
    for version, row in rows.items():
        if "rps" not in row:
            print(f"| {LABELS[version]} | {row['status']}: {row.get('note', '')} |" + " |" * 9)
            continue
        ratio = f"{row['rps'] / reference:.2f}×" if reference else "n/a"
        print(
            f"| {LABELS[version]} | {row['rps']:.0f} | {row['p50_ms']:.0f} | {row['p99_ms']:.0f} "
            f"| {row['errors']} | {row['cpu_ms_per_request']:.2f} | {row['postgres_cpu_ms_per_request']:.2f} "
            f"| {row['server_cores']:.2f} | {row['loadgen_cores']:.2f} | {row['other_cores']:.2f} | {ratio} |"
        )
    if args.repeat > 1:
        runs = "; ".join(
            f"{version} {', '.join(f'{rps:.0f}' if rps else '-' for rps in row.get('rps_runs', []))}"
            for version, row in rows.items()
        )
        print(f"# req/s of every run, in order: {runs}")
    for version, row in rows.items():
        for key in ("error_samples", "log"):
            if row.get(key):
                print(f"# {version} {key}: {row[key]}")
    samples = {version: row.get("sample") for version, row in rows.items()}
    alike = len({json.dumps(sample) for sample in samples.values()}) == 1 and samples["sync"][0] == 200
    if not alike:
        print(f"# the versions answered differently: {samples}")
    sound = alike and not sum(row.get("errors", 1) for row in rows.values())
    migrated = rows["migrated"].get("rps")
    ratio = f"{migrated / reference:.2f}" if migrated and reference else "n/a"
    if not results["meta"]["tool"]["diff"]:
        verdict = "not applicable: the tool changed nothing, the migrated version is the sync one"
    elif sound and migrated and reference and migrated >= GOAL * reference:
        verdict = "met"
    else:
        verdict = "NOT met"
    print(f"# goal: migrated within {1 - GOAL:.0%} of hand-written ({ratio}): {verdict}")
    return sound


def main(argv: list[str]) -> None:
    parser = bench_parser(__doc__)
    parser.set_defaults(requests=2000)
    parser.add_argument("-c", "--concurrency", type=int, default=200, help="requests in flight [200]")
    parser.add_argument("--delay", type=float, default=0.05, help="pg_sleep in each query, s [0.05]")
    parser.add_argument(
        "--pool-size", type=int, default=200, help="each version's pool_size, max_overflow 0 [200]"
    )
    add_run_args(parser, verbose_help="print what the tool changed")
    args = parser.parse_args(argv[1:])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the `finally` blocks: stop PostgreSQL
    meta = describe_run(argv, PACKAGES)
    print_run_header(
        meta,
        "database CRUD read on PostgreSQL",
        f"version: {' '.join(UVICORN_ARGS)}; N={args.requests}, C={args.concurrency}, "
        f"pg_sleep {args.delay * 1000:.0f} ms per query; pool_size={args.pool_size}, max_overflow=0; "
        f"the sync version on anyio's {SYNC_THREADS} threads; "
        f"median of {args.repeat} interleaved run(s) per version",
    )
    results = run(args, meta)
    sound = print_table(results, args)
    print(f"# the measuring took {results['meta']['wall_s']:.0f} s")
    sys.exit(0 if sound else 1)


if __name__ == "__main__":
    run_interruptible(main, sys.argv)
