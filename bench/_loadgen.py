"""Pieces shared by the serving benchmarks: uvicorn in a subprocess, a loopback upstream, a load
generator, /proc readings and the reproducibility header.

The load generator speaks HTTP/1.1 over raw keep-alive sockets, far cheaper per request than the
server under test (tens of microseconds against a millisecond or so), so that on a 2-core machine
it is not what limits that server; each benchmark checks that it reaches the latency floor of a
sleeping endpoint before trusting its figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import select
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import IO, Any

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# uvicorn's defaults on this machine (no uvloop, no httptools), spelled out so that they stay fixed
UVICORN_ARGS = ("--loop", "asyncio", "--http", "h11", "--timeout-graceful-shutdown", "5")


class ServerDidNotStart(SystemExit):
    """uvicorn did not accept connections in time; uncaught it ends the run like SystemExit."""


def free_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(
    root: Path,
    app: str,
    env: dict[str, str],
    *,
    extra_args: tuple[str, ...] = (),
    startup_timeout: float = 30,
    stderr: IO[bytes] | None = None,
) -> tuple[subprocess.Popen[bytes], int]:
    """Serve ``app`` from ``root`` in one uvicorn worker on 127.0.0.1; return it once it accepts.

    ``env`` is added to this process's environment. uvicorn binds only after the app's lifespan
    start-up has run, so an accepted connection means the app is ready.
    """
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "error", *extra_args]
    server = subprocess.Popen(command, cwd=root, env={**os.environ, **env}, stderr=stderr)
    deadline = time.monotonic() + startup_timeout
    try:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise ServerDidNotStart(f"uvicorn exited with status {server.returncode} before serving")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return server, port
            except OSError:
                time.sleep(0.05)
        raise ServerDidNotStart("uvicorn did not start")
    except BaseException:  # including Ctrl-C while waiting: never leave the server behind
        stop(server, timeout=0)
        raise


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Terminate ``process``, and kill it if it has not gone after ``timeout`` seconds.

    A stdin pipe is closed first: that is how the upstream learns to leave on its own.
    """
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=min(timeout, 2))
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- the upstream -------------------------------------------------------------------------------

# what the loopback catalogue knows, as examples/legacy_service/tests/conftest.py has it
ITEMS: dict[str, dict[str, Any]] = {
    "1": {"id": 1, "name": "widget", "price_cents": 1250},
    "2": {"id": 2, "name": "gadget", "price_cents": 4999},
}


def _answer(status: bytes, payload: dict[str, Any]) -> tuple[bytes, bytes]:
    return status, json.dumps(payload).encode()


# GET path (without the query) -> (status, JSON body); anything else is a 404 like the test stand-in
_ROUTES: dict[bytes, tuple[bytes, bytes]] = {
    b"/item": _answer(b"200 OK", ITEMS["1"]),  # the single resource of http_targets.py
    **{f"/items/{key}".encode(): _answer(b"200 OK", item) for key, item in ITEMS.items()},
}
_NOT_FOUND = _answer(b"404 Not Found", {"detail": "no such item"})


class _UpstreamProtocol(asyncio.Protocol):
    """Answers every complete request after ``latency``, keeping the connection open unless asked.

    ``GET /items/{id}`` gets the item of ITEMS or a 404, ``GET /item`` item 1. A raw protocol on
    one event loop in its own process: no thread per connection and some tens of microseconds of
    CPU per request, so that hundreds of concurrent connections, or a new one per request, cost
    little; its listener's backlog is large, so a burst of connects is never dropped and retried
    a second later (ThreadingHTTPServer's backlog of 5 did that).
    """

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            request_line, _, headers = self.buffer[:end].partition(b"\r\n")
            headers = headers.lower()
            length = 0
            for line in headers.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            method, _, rest = request_line.partition(b" ")
            target = rest.partition(b" ")[0].partition(b"?")[0]
            answer = _ROUTES.get(target, _NOT_FOUND) if method == b"GET" else _NOT_FOUND
            close = b"connection: close" in headers or request_line.endswith(b"HTTP/1.0")
            asyncio.get_running_loop().call_later(self.latency, self.respond, answer, close)

    def respond(self, answer: tuple[bytes, bytes], close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        status, body = answer
        connection = b"Connection: close\r\n" if close else b""
        self.transport.write(
            b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
            % (status, len(body), connection, body)
        )
        if close:
            self.transport.close()


def serve_upstream(latencies: list[float], backlog: int = 4096) -> None:
    """The upstream process: one listener per latency; prints their ports; ends when stdin closes.

    It ignores Ctrl-C (the terminal sends it to the whole process group): the benchmark that
    started it closes its stdin in a ``finally`` block, and a traceback from here would only be noise.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        ports = []
        for latency in latencies:
            server = await loop.create_server(
                lambda latency=latency: _UpstreamProtocol(latency), "127.0.0.1", 0, backlog=backlog
            )
            ports.append([latency, server.sockets[0].getsockname()[1]])
        print(json.dumps(ports), flush=True)
        closed = loop.create_future()

        def on_stdin() -> None:
            if not os.read(sys.stdin.fileno(), 1024) and not closed.done():
                closed.set_result(None)

        loop.add_reader(sys.stdin.fileno(), on_stdin)
        await closed

    asyncio.run(main())


def start_upstream(
    latencies: list[float], startup_timeout: float = 10
) -> tuple[subprocess.Popen[bytes], dict[float, int]]:
    """The upstream in its own process, so that it shares no GIL with the load generator or a server.

    Returns the process and the port of the listener for each latency (on 127.0.0.1); ``stop`` it.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-upstream", json.dumps(latencies)]
    upstream = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert upstream.stdout is not None
    try:
        ready, _, _ = select.select([upstream.stdout], [], [], startup_timeout)
        line = upstream.stdout.readline() if ready else b""
        if not line:
            raise ServerDidNotStart("the upstream did not start")
        return upstream, dict(json.loads(line))  # [[latency, port], ...]
    except BaseException:
        stop(upstream, timeout=0)
        raise


# --- readings -----------------------------------------------------------------------------------


def peak_rss_mb(pid: int) -> float:
    """High-water mark of the resident set of ``pid`` (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time that ``pid`` (all its threads) has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime and stime, fields 14 and 15


def floor_rps(total: int, concurrency: int, latency: float) -> float:
    """The best a perfect server can do: ceil(N / C) rounds of one latency each."""
    return total / (math.ceil(total / concurrency) * latency)


def system_cpu_seconds() -> float:
    """CPU time the whole machine has been busy so far (all cores, /proc/stat), to see what others used."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()  # cpu user nice system idle iowait irq softirq steal ...
    return sum(int(fields[index]) for index in (1, 2, 3, 6, 7, 8)) / CLOCK_TICKS


def p50(ordered: list[float]) -> float:
    """Median of an ordered, non-empty list."""
    return statistics.median(ordered)


def p99(ordered: list[float]) -> float:
    """99th percentile by nearest rank of an ordered, non-empty list."""
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


@dataclass
class Load:
    """What one load run saw: the latency of every successful request and every failure."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0


async def load(
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    total: int,
    concurrency: int,
    *,
    strict: bool = True,
    request_timeout: float | None = None,
    run_timeout: float = 600,
    connect_first: bool = False,
) -> Load:
    """Send ``total`` requests over ``concurrency`` keep-alive connections to 127.0.0.1:``port``.

    ``strict`` raises at the first non-2xx answer; otherwise non-2xx answers, connection failures
    and requests slower than ``request_timeout`` are counted in ``errors`` (the connection is
    opened again after a failure) so that every one of the ``total`` requests is accounted for.
    ``connect_first`` opens the connections before the clock starts: with few rounds (N = 2 C)
    the burst of C connects would otherwise be a visible share of the elapsed time.
    """
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    request = (head + "\r\n").encode() + (body or b"")
    remaining = [total]
    result = Load()

    async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[bytes, bool]:
        writer.write(request)
        status = await reader.readline()
        if not status:
            raise ConnectionError("connection closed by the server")
        length, close = 0, False
        while (line := await reader.readline()) not in (b"\r\n", b""):
            lowered = line.lower()
            if lowered.startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif lowered.startswith(b"connection:") and b"close" in lowered:
                close = True
        await reader.readexactly(length)
        return status, close

    Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
    loop = asyncio.get_running_loop()

    async def connect() -> Streams:
        return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), request_timeout)

    async def connection(streams: Streams | None) -> None:
        try:
            while remaining[0] > 0:
                remaining[0] -= 1
                timer: asyncio.TimerHandle | None = None
                try:
                    if streams is None:
                        streams = await connect()
                    started = time.perf_counter()
                    # a timer that aborts the socket rather than asyncio.wait_for, which on Python 3.11
                    # can swallow a cancellation (Ctrl-C) when the request completes at the same moment
                    if request_timeout is not None:
                        timer = loop.call_later(request_timeout, streams[1].transport.abort)
                    status, close = await exchange(*streams)
                except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError) as error:
                    if strict:
                        raise
                    if timer is not None and timer.when() <= loop.time():
                        result.errors.append(f"TimeoutError: no answer within {request_timeout} s")
                    else:
                        result.errors.append(f"{type(error).__name__}: {error}".rstrip(": "))
                    if streams is not None:
                        streams[1].close()
                    streams = None
                    continue
                finally:
                    if timer is not None:
                        timer.cancel()
                if not status.startswith(b"HTTP/1.1 2"):
                    if strict:
                        raise RuntimeError(f"{path}: {status.decode().strip()}")
                    result.errors.append(status.decode(errors="replace").strip())
                    close = True  # uvicorn drops the connection after a 500: don't count that twice
                else:
                    result.latencies.append(time.perf_counter() - started)
                if close:
                    streams[1].close()
                    streams = None
        finally:
            if streams is not None:
                streams[1].close()

    opened: list[Streams | None] = [None] * concurrency
    if connect_first:
        opened = list(await asyncio.gather(*(connect() for _ in range(concurrency))))
    started = time.perf_counter()
    tasks = [asyncio.ensure_future(connection(streams)) for streams in opened]
    # asyncio.wait rather than wait_for(gather(...)): no cancellation lost or exception left unread
    done, pending = await asyncio.wait(tasks, timeout=run_timeout, return_when=asyncio.FIRST_EXCEPTION)
    result.elapsed = time.perf_counter() - started
    for task in pending:
        task.cancel()
    for task in done:
        task.result()  # the first failure of a strict run
    if pending:
        raise TimeoutError(f"{path}: the load did not finish in {run_timeout} s")
    return result


def drive(
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    total: int,
    concurrency: int,
    *,
    warmup: tuple[int, int] | None = None,
    cpu_of: dict[str, int] | None = None,
    strict: bool = True,
    request_timeout: float | None = None,
    connect_first: bool = False,
) -> dict[str, Any]:
    """Warm up, then time ``total`` requests at ``concurrency`` in flight.

    ``warmup`` is (requests, concurrency), by default (20, 4). ``cpu_of`` names processes (name: pid)
    whose CPU time during the timed run is reported as ``<name>_cpu_s``: what the requests cost the
    server, and whether the rest of the harness had the CPU it needed. Failures of the warm-up are
    kept in ``warmup_errors``, so that a caller can show them rather than lose them. ``system_cpu_s``
    is what the whole machine used meanwhile: minus the named processes and the load generator, it
    is what other processes took from the run.
    """

    def run(count: int, in_flight: int) -> Load:
        return asyncio.run(
            load(
                port,
                method,
                path,
                body,
                count,
                in_flight,
                strict=strict,
                request_timeout=request_timeout,
                connect_first=connect_first,
            )
        )

    warmed = run(*(warmup or (min(20, total), min(4, concurrency))))
    cpu_before = {name: cpu_seconds(pid) for name, pid in (cpu_of or {}).items()}
    own_cpu_before = time.process_time()
    system_before = system_cpu_seconds()
    result = run(total, concurrency)
    elapsed = result.elapsed
    latencies = sorted(result.latencies)
    figures: dict[str, Any] = {
        "rps": len(latencies) / elapsed,  # successful requests only
        "elapsed_s": elapsed,
        "p50": p50(latencies) if latencies else float("nan"),
        "p99": p99(latencies) if latencies else float("nan"),
        "ok": len(latencies),
        "errors": result.errors,
        "warmup_errors": warmed.errors,
        "loadgen_cpu_s": time.process_time() - own_cpu_before,
        "system_cpu_s": system_cpu_seconds() - system_before,
    }
    for name, pid in (cpu_of or {}).items():
        figures[f"{name}_cpu_s"] = cpu_seconds(pid) - cpu_before[name]
    return figures


def drive_warm(
    port: int,
    method: str,
    path: str,
    body: bytes | None,
    total: int,
    concurrency: int,
    *,
    cpu_of: dict[str, int],
    request_timeout: float | None,
) -> dict[str, Any]:
    """``drive`` as the benchmarks use it: a warm-up of one round of C, failures counted, not raised."""
    return drive(
        port,
        method,
        path,
        body,
        total,
        concurrency,
        warmup=(min(total, concurrency), concurrency),
        cpu_of=cpu_of,
        strict=False,
        request_timeout=request_timeout,
        connect_first=True,
    )


def harness_cores(figures: dict[str, Any]) -> float:
    """Cores the upstream and the load generator used during the timed run of ``drive``."""
    return (figures["upstream_cpu_s"] + figures["loadgen_cpu_s"]) / figures["elapsed_s"]


def row_figures(figures: dict[str, Any], total: int, *, detailed: bool = False) -> dict[str, Any]:
    """The figures of one result row, from those of ``drive`` with a server and an upstream in ``cpu_of``.

    ``detailed`` adds the successful count, the warm-up's failures and ``other_cores``: what the rest
    of the machine took meanwhile, i.e. other processes competing for the cores.
    """
    elapsed = figures["elapsed_s"]
    errors: list[str] = figures["errors"]
    row: dict[str, Any] = {
        "rps": figures["rps"],
        "elapsed_s": elapsed,
        "p50_ms": figures["p50"] * 1000,
        "p99_ms": figures["p99"] * 1000,
    }
    if detailed:
        row["ok"] = figures["ok"]
    row.update(errors=len(errors), error_samples=Counter(errors).most_common(3))
    if detailed:
        warmup_errors: list[str] = figures["warmup_errors"]
        row.update(
            warmup_errors=len(warmup_errors), warmup_error_samples=Counter(warmup_errors).most_common(3)
        )
    row.update(
        server_cpu_s=figures["server_cpu_s"],
        cpu_ms_per_request=figures["server_cpu_s"] * 1000 / total,
        server_cores=figures["server_cpu_s"] / elapsed,
        upstream_cpu_s=figures["upstream_cpu_s"],
        loadgen_cpu_s=figures["loadgen_cpu_s"],
        harness_cores=harness_cores(figures),
    )
    if detailed:
        measured = figures["server_cpu_s"] + figures["upstream_cpu_s"] + figures["loadgen_cpu_s"]
        row["other_cores"] = max(0.0, figures["system_cpu_s"] - measured) / elapsed
    return row


def tail(path: Path, lines: int = 6) -> str:
    """The last ``lines`` lines of a server's log."""
    return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])


@contextlib.contextmanager
def served(
    root: Path,
    app: str,
    env: dict[str, str],
    log: Path,
    *,
    extra_args: tuple[str, ...],
    startup_timeout: float,
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``serve`` with its stderr in ``log``, stopped on leaving; raises ServerDidNotStart."""
    with log.open("wb") as stderr:
        server, port = serve(
            root, app, env, extra_args=extra_args, startup_timeout=startup_timeout, stderr=stderr
        )
        try:
            yield server, port
        finally:
            stop(server)


# --- reproducibility ----------------------------------------------------------------------------


def describe_run(argv: list[str], packages: tuple[str, ...]) -> dict[str, Any]:
    """Date, interpreter, machine, package versions and command line: what a reader needs to rerun it.

    The 1-minute load average says whether something else was competing for the cores.
    """

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cores": os.cpu_count(),
        "versions": {name: version(name) for name in packages},
        "load_average_at_start": os.getloadavg()[0],
        "command": "python " + shlex.join(argv),
    }


def print_run_header(meta: dict[str, Any], title: str, workers: str, load_prefix: str = "") -> None:
    """The reproducibility header of ``describe_run``'s ``meta``; ``workers`` ends the uvicorn line."""
    print(f"# {title}; {meta['date']}; Python {meta['python']}; {meta['platform']}; {meta['cores']} cores")
    print("# " + ", ".join(f"{name} {version}" for name, version in meta["versions"].items()))
    print(f"# one uvicorn worker per {workers}")
    print(
        f"# {load_prefix}1-min load average at start {meta['load_average_at_start']:.2f}"
        + (f", at end {meta['load_average_at_end']:.2f}" if "load_average_at_end" in meta else "")
    )
    print(f"# command: {meta['command']}")


# --- main ---------------------------------------------------------------------------------------


def bench_parser(doc: str) -> argparse.ArgumentParser:
    """The command line of a serving benchmark, described by the first paragraph of ``doc``, with -n."""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--requests", type=int, default=400, help="timed requests per row [400]")
    return parser


def add_output_args(parser: argparse.ArgumentParser, default_chart: Path) -> None:
    """--chart, --json and --replot, as ``bench_main`` reads them."""
    parser.add_argument(
        "--chart", type=Path, nargs="?", const=default_chart, help=f"write a PNG [{default_chart}]"
    )
    parser.add_argument("--json", type=Path, help="write the raw results here")
    parser.add_argument(
        "--replot", type=Path, metavar="JSON", help="print the table (and chart) of a saved run"
    )


def median_run(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median req/s stands for the version; every run's req/s is kept beside it,
    and failed requests of any run count against it."""
    measured = sorted((row for row in rows if "rps" in row), key=lambda row: row["rps"])
    if not measured:
        return rows[0]
    chosen = dict(measured[(len(measured) - 1) // 2])
    chosen["rps_runs"] = [row.get("rps") for row in rows]
    chosen["errors"] = sum(row.get("errors", 0) for row in measured)
    chosen["warmup_errors"] = sum(row.get("warmup_errors", 0) for row in measured)
    if len(measured) < len(rows):
        chosen.update(status="failed", note=f"{len(rows) - len(measured)} of {len(rows)} runs failed")
    return chosen


def add_run_args(parser: argparse.ArgumentParser, verbose_help: str) -> None:
    """-v, the timeouts of a request and of a server's start, and the runs per row."""
    parser.add_argument("-v", "--verbose", action="store_true", help=verbose_help)
    parser.add_argument("--request-timeout", type=float, default=30, help="per request, s [30]")
    parser.add_argument("--startup-timeout", type=float, default=30, help="per server start, s [30]")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each row, interleaved; the median counts [1]"
    )


def bench_main(
    args: argparse.Namespace,
    *,
    header: Callable[[], dict[str, Any]],
    print_header: Callable[[dict[str, Any]], None],
    run: Callable[[dict[str, Any]], dict[str, Any]],
    print_table: Callable[[dict[str, Any]], None],
    draw_chart: Callable[[dict[str, Any], Path], None],
    print_saved_header: Callable[[dict[str, Any]], None] | None = None,
    load_average_in_footer: bool = False,
) -> None:
    """What a serving benchmark does with its ``--replot``, ``--json`` and ``--chart``.

    Either reads a saved run (``--replot``: its header is printed by ``print_saved_header``, by
    default ``print_header``) or prints the header of ``header()`` and measures with ``run(meta)``;
    then prints the table, the time the measuring took, writes the raw results and the chart.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the clean-up of `finally` blocks
    if args.replot:
        results = json.loads(args.replot.read_text())
        (print_saved_header or print_header)(results["meta"])
    else:
        meta = header()
        print_header(meta)
        results = run(meta)
        meta["load_average_at_end"] = os.getloadavg()[0]
    print_table(results)
    meta = results["meta"]
    if "wall_s" in meta:
        print(
            f"# the measuring took {meta['wall_s']:.0f} s"
            + (
                f"; 1-min load average at end {meta.get('load_average_at_end', float('nan')):.2f}"
                if load_average_in_footer
                else ""
            )
        )
    if args.json and not args.replot:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")
        print(f"# raw results written to {args.json}")
    if args.chart:
        draw_chart(results, args.chart)


def run_interruptible(main: Callable[[list[str]], None], argv: list[str]) -> None:
    """``main(argv)``; Ctrl-C ends it with status 130 (the ``finally`` blocks have stopped every server)."""
    try:
        main(argv)
    except KeyboardInterrupt:
        print("interrupted; every server was stopped", file=sys.stderr)
        sys.exit(130)


if __name__ == "__main__":  # start_upstream runs this file as the upstream process
    parser = argparse.ArgumentParser(description="the loopback upstream of the serving benchmarks")
    parser.add_argument("--serve-upstream", required=True, metavar="JSON", help="latencies, s, as a list")
    serve_upstream([float(latency) for latency in json.loads(parser.parse_args().serve_upstream)])
