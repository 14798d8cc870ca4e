"""Does async-migrate's cost grow linearly with the code it reads?

Two shapes: one module holding N sync routes (what made the plan quadratic: each edit was looked
up in a list of the file's edits, and each function's facts held a copy of all the module's
names), and the generated projects of ``tool_speed.py`` at 20,000 modules, as generated and
``--connected`` (every file parsed). Prints, for ``--check -j1`` (and a write ``-j1`` of the
single module), the wall time and the peak RSS of the tool's process, and the RSS per module.

    python bench/scale.py
    python bench/scale.py --routes 1000 5000 --modules 20000 --python /path/to/other/venv/bin/python

``--python`` runs another installation of the tool (say, the previous version) on the same
projects, for a before/after comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from tool_speed import generate, timed_process

ROUTE = "\n\n@app.get('/r{n}')\ndef r{n}():\n    time.sleep(0.01)\n    return {n}\n"


def one_module(root: Path, routes: int) -> None:
    """``root/app.py``: ``routes`` sync routes that all convert (each sleeps)."""
    root.mkdir(parents=True, exist_ok=True)
    body = "".join(ROUTE.format(n=n) for n in range(routes))
    (root / "app.py").write_text("import time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n" + body)


def run(python: str, args: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Median wall seconds and peak RSS (MB) of ``python -m async_migrate ARGS`` over ``repeat`` runs.

    A write run changes the project, so each write starts from a fresh copy."""
    times, peaks = [], []
    for _ in range(repeat):
        if "--check" not in args:
            subprocess.run(["git", "checkout", "-q", "--", "."], cwd=cwd, check=True)
        seconds, peak = timed_process([python, "-m", "async_migrate", *args], cwd)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), statistics.median(peaks)


def snapshot(root: Path) -> None:
    """A git repository of the project as generated, so that write runs can be undone."""
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "generated"], cwd=root, check=True)


def version(python: str) -> str:
    code = "import async_migrate, libcst, sys; from importlib import metadata as m;"
    code += "print(f'async-migrate {async_migrate.__version__} from {async_migrate.__file__}, "
    code += 'Python {sys.version.split()[0]}, libcst {m.version("libcst")}, typer {m.version("typer")}\')'
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--routes", type=int, nargs="+", default=[1000, 2000, 5000])
    parser.add_argument("--modules", type=int, nargs="+", default=[20_000])
    parser.add_argument("--repeat", type=int, default=1, help="runs of each figure; the median is printed")
    parser.add_argument("--python", default=sys.executable, help="the Python whose async-migrate to run")
    args = parser.parse_args()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# async-migrate scale; {when}; {version(args.python)}")
    print(f"# {os.cpu_count()} cores, {platform.platform()}; median of {args.repeat} run(s)")
    print(f"# command: python {' '.join(sys.argv)}")
    base = Path(tempfile.mkdtemp(prefix="am-scale-"))
    print("\n| routes in one module | --check -j1 | peak RSS | write -j1 | peak RSS |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for routes in args.routes:
        root = base / f"routes_{routes}"
        one_module(root, routes)
        snapshot(root)
        check = run(args.python, ["--check", "-q", "-j", "1", "."], root, args.repeat)
        write = run(args.python, ["-q", "-j", "1", "."], root, args.repeat)
        print(f"| {routes} | {check[0]:.2f} s | {check[1]:.0f} MB | {write[0]:.2f} s | {write[1]:.0f} MB |")
    print("\n| generated project | modules | --check -j1 | peak RSS | RSS per module |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for modules in args.modules:
        for connected in (False, True):
            root = base / f"project_{modules}{'_connected' if connected else ''}"
            generate(root, modules, connected)
            files = sum(1 for _ in root.rglob("*.py"))
            seconds, peak = run(args.python, ["--check", "-q", "-j", "1", "."], root, args.repeat)
            shape = "connected (all parsed)" if connected else "as generated"
            print(f"| {shape} | {files} | {seconds:.2f} s | {peak:.0f} MB | {peak * 1024 / files:.1f} KB |")


if __name__ == "__main__":
    main()
