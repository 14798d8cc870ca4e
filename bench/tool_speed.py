"""How fast is async-migrate on projects of growing size?

Generates a FastAPI-shaped project (routers with sync handlers, a service layer, and mostly plain
modules that must stay untouched), then times ``--check``, ``--diff`` and a write run on it, beside
two yardsticks measured in the same run: ``ast.parse`` of every file, and a libcst parse +
code-generation round trip of every file. Prints one table row per size.

``ast.parse`` is measured twice: in this process on texts already read (the parse alone), and as
a script in its own process that finds, reads and parses every file (what a user would time next
to the tool, which is timed the same way, start-up included). Each figure is the median of
``--repeat`` interleaved rounds: a shared machine's speed drifts by a third within minutes.
The start-up column is a ``--check`` of the smallest project (one router, one service): the cost
any run pays whatever the project's size, which the last column takes out of the ratio.

    python bench/tool_speed.py                  # 100, 1000 and 5000 modules
    python bench/tool_speed.py --sizes 200 --keep /tmp/gen
    python bench/tool_speed.py --sizes 5000 --connected   # every file reachable: nothing skipped
    python bench/tool_speed.py --repeat 1                  # one run of each, faster and noisier
    python bench/tool_speed.py --instructions              # counted by valgrind: noise-free

``--instructions`` counts what the start-up, ``--check -j1`` and the two ``ast.parse`` yardsticks
execute instead of timing them (the parse alone is the parse script's count minus that of the same
script reading without parsing).
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import re
import shutil
import statistics
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
    """``modules`` files: 10 % routers, 10 % services, the rest plain code, replacing whatever
    ``root`` held (a write run changes the project: each one starts from it as generated).

    ``connected``: each service imports its share of the plain modules, so that every file can
    reach or be reached from FastAPI code and none can be left unread (the worst case)."""
    shutil.rmtree(root, ignore_errors=True)
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


PARSE_SCRIPT = """\
import ast, os, sys
parse = sys.argv[2] == "parse"
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith(".py"):
            with open(os.path.join(folder, name), "rb") as handle:
                text = handle.read()
            if parse:
                ast.parse(text)
"""
"""The ``ast.parse`` pass as its own program: find, read and parse (or only read) every file."""


def parse_pass(mode: str) -> list[str]:
    """The command of ``PARSE_SCRIPT`` run on the working directory, ``mode`` "parse" or "read"."""
    return [sys.executable, "-c", PARSE_SCRIPT, ".", mode]


CHECK_ONE = ["--check", "-q", "-j", "1", "."]
"""The run the goal is about: ``--check`` with one process, of the working directory."""


def expected_exit(command: list[str]) -> int:
    """The exit code of a run that worked: 1 for ``--check``, since the generated routers always
    change, 0 for the rest. A crash exits 1 too: it must stop the benchmark, not be timed."""
    return 1 if "--check" in command else 0


def timed_process(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS in MB of one child process, which must exit as expected.

    The RSS is that process's own (``wait4``), not its worker processes'."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != expected_exit(command):
            stderr.seek(0)
            sys.exit(f"{' '.join(command)} failed ({code}):\n{stderr.read()[-2000:].decode()}")
    return seconds, usage.ru_maxrss / 1024


def timed_tool(args: list[str], cwd: Path) -> tuple[float, float]:
    """``timed_process`` of one async-migrate run."""
    return timed_process([sys.executable, "-m", "async_migrate", *args], cwd)


def measure(root: Path, size: int, connected: bool, repeat: int) -> str:
    """One table row: every figure for a generated project of ``size`` modules at ``root``.

    The runs are interleaved (each round measures everything once) and each figure is the median
    over the rounds; a ratio is the median of the rounds' ratios, so that a tool run is compared
    with yardsticks taken moments apart, not minutes apart on a machine whose speed drifts."""

    def tool(*args: str) -> tuple[float, float]:
        return timed_tool([*args, "."], root)

    def write_run(*jobs: str) -> tuple[float, float]:
        generate(root, size, connected)
        return tool("-q", *jobs)

    def roundtrip(text: str) -> str:
        return libcst.parse_module(text).code

    smallest = root.parent / "project_1"
    generate(smallest, 1)
    generate(root, size, connected)
    texts = [path.read_text() for path in sorted(root.rglob("*.py"))]
    rounds: list[dict[str, float]] = []
    for _ in range(repeat):
        figures: dict[str, float] = {}
        figures["startup"] = timed_tool(CHECK_ONE, smallest)[0]
        figures["parse_all"] = timed_each(ast.parse, texts)
        figures["parse_own"] = timed_process(parse_pass("parse"), root)[0]
        figures["check_one"], figures["check_rss"] = timed_tool(CHECK_ONE, root)
        figures["libcst_all"] = timed_each(roundtrip, texts)
        figures["check_all"] = tool("--check", "-q")[0]
        figures["diff"] = tool("--diff", "-q")[0]
        figures["write_one"], figures["write_rss"] = write_run("-j", "1")
        figures["write_all"] = write_run()[0]
        generate(root, size, connected)  # the next round's checks need the project as generated
        figures["to_parse_all"] = figures["check_one"] / figures["parse_all"]
        figures["to_parse_own"] = figures["check_one"] / figures["parse_own"]
        figures["beyond_startup"] = (figures["check_one"] - figures["startup"]) / figures["parse_all"]
        rounds.append(figures)
    median = {key: statistics.median(figures[key] for figures in rounds) for key in rounds[0]}
    seconds = (
        "parse_all",
        "parse_own",
        "libcst_all",
        "check_one",
        "check_all",
        "diff",
        "write_one",
        "write_all",
    )
    cells = [
        str(len(texts)),
        f"{median['startup']:.2f} s",
        *(f"{median[key]:.2f} s" for key in seconds),
        f"{median['check_rss']:.0f} MB",
        f"{median['write_rss']:.0f} MB",
        f"{median['to_parse_all']:.2f}×, {median['to_parse_own']:.2f}×",
        f"{median['beyond_startup']:.2f}×",
    ]
    return f"| {' | '.join(cells)} |"


def instructions(command: list[str], cwd: Path) -> int:
    """Instructions one run of ``command`` executes, counted by valgrind's callgrind: a figure
    that, unlike time, a busy or throttled machine doesn't move."""
    run = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Collected : (\d+)", run.stderr)
    if run.returncode != expected_exit(command) or found is None:
        sys.exit(f"{' '.join(command)} under callgrind failed ({run.returncode}):\n{run.stderr[-2000:]}")
    return int(found.group(1))


def count(root: Path, size: int, connected: bool) -> str:
    """One row of the ``--instructions`` table for a generated project of ``size`` modules."""
    smallest = root.parent / "project_1"
    generate(smallest, 1)
    generate(root, size, connected)
    files = sum(1 for _ in root.rglob("*.py"))
    check_one = [sys.executable, "-m", "async_migrate", *CHECK_ONE]
    startup = instructions(check_one, smallest)
    parse_own = instructions(parse_pass("parse"), root)
    read_own = instructions(parse_pass("read"), root)
    check = instructions(check_one, root)
    parse_alone = parse_own - read_own
    cells = [
        str(files),
        *(f"{figure / 1e9:.2f} G" for figure in (startup, parse_alone, parse_own, check)),
        f"{check / parse_alone:.2f}×, {check / parse_own:.2f}×",
        f"{(check - startup) / parse_alone:.2f}×",
    ]
    return f"| {' | '.join(cells)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--keep", type=Path, help="generate here and keep it (default: a temp dir)")
    parser.add_argument(
        "--connected",
        action="store_true",
        help="services import the plain modules: no file can be left unread (the worst case)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each figure; the median is printed")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count what the start-up, --check -j1 and the ast.parse pass execute (valgrind); no timing",
    )
    args = parser.parse_args()
    if args.instructions and shutil.which("valgrind") is None:
        sys.exit("--instructions needs valgrind (apt install valgrind)")
    versions = f"Python {platform.python_version()}, libcst {metadata.version('libcst')}"
    versions += f", typer {metadata.version('typer')}"  # its option handling is most of the start-up
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# async-migrate tool speed; {when}; {versions}, {os.cpu_count()} cores, {platform.platform()}")
    print(f"# command: python {' '.join(sys.argv)}")
    if args.instructions:
        print("# instructions executed (valgrind --tool=callgrind), one run of each")
        columns = ["start-up: --check -j1 of one router + one service", "ast.parse all (parse alone)"]
        columns += ["ast.parse all (own process)", "--check -j1", "check / parse alone, own process"]
        columns.append("(check − start-up) / parse alone")
    else:
        print(f"# each figure: the median of {args.repeat} runs")
        bare = statistics.median(
            timed_process([sys.executable, "-c", "pass"], Path.cwd())[0] for _ in range(args.repeat)
        )
        print(f"# python alone starts in {bare:.2f} s")
        cores = os.cpu_count() or 1
        columns = ["start-up: --check -j1 of one router + one service", "ast.parse all (in-process)"]
        columns += ["ast.parse all (own process)", "libcst round trip all"]
        columns += ["--check -j1", f"--check -j{cores}", f"--diff -j{cores}", "write -j1", f"write -j{cores}"]
        columns += [
            "peak RSS (check -j1)",
            "peak RSS (write -j1)",
            "check -j1 / ast.parse in-process, own process",
            "(check -j1 − start-up) / ast.parse in-process",
        ]
    print(f"| modules | {' | '.join(columns)} |")
    print(f"| ---: |{' ---: |' * len(columns)}")
    for size in args.sizes:
        base = args.keep or Path(tempfile.mkdtemp(prefix="am-bench-"))
        root = base / f"project_{size}"
        if args.instructions:
            print(count(root, size, args.connected), flush=True)
        else:
            print(measure(root, size, args.connected, args.repeat), flush=True)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
