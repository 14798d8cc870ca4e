"""How fast is async-migrate on projects of growing size?

Generates a FastAPI-shaped project (routers with sync handlers, a service layer, and mostly plain
modules that must stay untouched), then times ``--check``, ``--diff`` and a write run on it, beside
two yardsticks measured in the same run: ``ast.parse`` of every file, and a libcst parse +
code-generation round trip of every file. Prints one table row per size.

    python bench/tool_speed.py                  # 100, 1000 and 5000 modules
    python bench/tool_speed.py --sizes 200 --keep /tmp/gen
    python bench/tool_speed.py --sizes 5000 --connected   # every file reachable: nothing skipped
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import libcst

ROUTER = """\
import time

from fastapi import APIRouter, Depends

from gen.services.svc_{n} import load_{n}, total_{n}

router = APIRouter(prefix="/r{n}")


def paging_{n}(limit: int = 10, offset: int = 0) -> dict:
    return {{"limit": limit, "offset": offset}}


@router.get("/items")
def list_items_{n}(page: dict = Depends(paging_{n})):
    time.sleep(0.001)
    return {{"items": load_{n}(page["limit"]), "page": page}}


@router.get("/total")
def total_view_{n}():
    return {{"total": total_{n}([1, 2, 3])}}
"""

SERVICE = """\
import os


def load_{n}(limit: int) -> list[str]:
    return sorted(os.listdir("."))[:limit]


def total_{n}(values: list[int]) -> int:
    return sum(values)
"""

PLAIN = '''\
"""Plain module {n}: nothing here is reached from FastAPI."""

import json
import math


class Shape{n}:
    def __init__(self, size: float) -> None:
        self.size = size

    def area(self) -> float:
        return math.pi * self.size**2

    def describe(self) -> str:
        return json.dumps({{"size": self.size, "area": self.area()}})


def compute_{n}(values: list[float]) -> float:
    total = 0.0
    for value in values:
        total += Shape{n}(value).area()
    return total
'''


def generate(root: Path, modules: int, connected: bool = False) -> None:
    """``modules`` files: 10 % routers, 10 % services, the rest plain code.

    ``connected``: each service imports its share of the plain modules, so that every file can
    reach or be reached from FastAPI code and none can be left unread (the worst case)."""
    package = root / "gen"
    for folder in (package, package / "routers", package / "services", package / "lib"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "__init__.py").write_text("")
    routers = max(1, modules // 10)
    plain = max(0, modules - 2 * routers)
    for n in range(routers):
        (package / "routers" / f"r_{n}.py").write_text(ROUTER.format(n=n))
        share = range(n, plain, routers) if connected else range(0)
        imports = "".join(f"from gen.lib import m_{m}  # noqa: F401\n" for m in share)
        (package / "services" / f"svc_{n}.py").write_text(imports + SERVICE.format(n=n))
    for n in range(plain):
        (package / "lib" / f"m_{n}.py").write_text(PLAIN.format(n=n))
    (root / "pyproject.toml").write_text("[project]\nname = 'gen'\n")


def timed_each(work: Callable[[str], object], texts: list[str]) -> float:
    """Seconds to apply ``work`` to every text."""
    start = time.perf_counter()
    for text in texts:
        work(text)
    return time.perf_counter() - start


def timed_tool(args: list[str], cwd: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MB and exit code of one async-migrate run in a child process.

    The RSS is that process's own (``wait4``), not its worker processes'."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "async_migrate", *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            stderr.seek(0)
            sys.exit(f"async-migrate {' '.join(args)} failed ({code}):\n{stderr.read()[-2000:].decode()}")
    return seconds, usage.ru_maxrss / 1024, code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--keep", type=Path, help="generate here and keep it (default: a temp dir)")
    parser.add_argument(
        "--connected",
        action="store_true",
        help="services import the plain modules: no file can be left unread (the worst case)",
    )
    args = parser.parse_args()
    versions = f"Python {platform.python_version()}, libcst {metadata.version('libcst')}"
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# async-migrate tool speed; {when}; {versions}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"# command: python {' '.join(sys.argv)}")
    cores = os.cpu_count() or 1
    startup, _, _ = timed_tool(["--version"], Path.cwd())
    print(f"# start-up alone (async-migrate --version, imports included): {startup:.2f} s")
    print(
        f"| modules | ast.parse all | libcst round trip all | --check -j1 | --check -j{cores} "
        f"| --diff -j{cores} | write -j1 | write -j{cores} | peak RSS (check -j1) | peak RSS (write -j1) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size in args.sizes:
        base = args.keep or Path(tempfile.mkdtemp(prefix="am-bench-"))
        root = base / f"project_{size}"
        shutil.rmtree(root, ignore_errors=True)
        generate(root, size, args.connected)
        files = sorted(root.rglob("*.py"))
        texts = [path.read_text() for path in files]
        parse_all = timed_each(ast.parse, texts)
        roundtrip = timed_each(lambda text: libcst.parse_module(text).code, texts)
        check_one, rss, _ = timed_tool(["--check", "-q", "-j", "1", "."], root)
        check_all, _, _ = timed_tool(["--check", "-q", "."], root)
        diff, _, _ = timed_tool(["--diff", "-q", "."], root)
        write_one, write_rss, _ = timed_tool(["-q", "-j", "1", "."], root)
        shutil.rmtree(root)
        generate(root, size, args.connected)
        write_all, _, _ = timed_tool(["-q", "."], root)
        print(
            f"| {len(files)} | {parse_all:.2f} s | {roundtrip:.2f} s | {check_one:.2f} s | {check_all:.2f} s "
            f"| {diff:.2f} s | {write_one:.2f} s | {write_all:.2f} s | {rss:.0f} MB | {write_rss:.0f} MB |",
            flush=True,
        )
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
