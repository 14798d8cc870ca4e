"""Any Python is safe input: the index reads the whole standard library without a traceback and
reports exactly the files Python itself can't parse; ``--check`` over it writes nothing, and
reads none of it when no FastAPI code can reach it. Any configuration is safe input too: a
mistake is one line and exit 2."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

import pytest
from helpers import run_tool, slow_after_first

from async_migrate.config import Settings
from async_migrate.discovery import discover
from async_migrate.index import build_index
from async_migrate.source import SourceError, read_source

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _python_rejects(path: Path) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, UnicodeDecodeError):
            return True
    return False


def _check(*paths: Path, quiet: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "async_migrate", "--check", "--no-respect-gitignore"]
    command += ["-q"] if quiet else []
    return subprocess.run([*command, *map(str, paths)], capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_the_standard_library_alone_has_nothing_to_do() -> None:
    result = _check(STDLIB, quiet=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "" and "no FastAPI code in the project, nothing to do" in result.stderr


@pytest.mark.slow
def test_the_index_reads_the_whole_standard_library() -> None:
    files = discover([STDLIB], Settings(respect_gitignore=False)).rewritable
    assert len(files) > 1000
    rejected = {path for path in files if _python_rejects(path)}
    sources, unreadable = [], set()
    for path in files:
        try:
            sources.append(read_source(path))
        except SourceError:
            unreadable.add(path)
    index = build_index(sources, Settings().catalog())
    assert unreadable | {error.path for error in index.errors} == rejected
    assert len(index.modules) == len(files) - len(rejected)


@pytest.mark.slow
def test_check_over_the_standard_library_with_an_app(tmp_path: Path) -> None:
    """Nothing of the standard library imports the app, which imports only FastAPI."""
    app = tmp_path / "app.py"
    app.write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    result = _check(STDLIB, app)
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, result.stderr[-2000:]


APP = "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/')\ndef root():\n    return 1\n"


@pytest.mark.parametrize(
    ("pyproject", "flags", "message"),
    slow_after_first(
        [
            ("tool = 5\n", [], "pyproject.toml: [tool] must be a table, not int"),
            (
                "[tool]\nasync-migrate = 5\n",
                [],
                "pyproject.toml: [tool.async-migrate] must be a table, not int",
            ),
            ("[tool]\nasync-migrate = [1]\n", [], "[tool.async-migrate] must be a table, not list"),
            ('[tool.async-migrate]\nexclude = ["!"]\n', [], "exclude: '!' is not a valid gitignore pattern"),
            (
                '[tool.async-migrate]\ninclude = ["a\\\\"]\n',
                [],
                "include: 'a\\\\' is not a valid gitignore pattern",
            ),
            ("", ["--exclude", "!"], "--exclude: '!' is not a valid gitignore pattern"),
            ("", ["--include", "\\"], "--include: '\\\\' is not a valid gitignore pattern"),
            (
                '[tool.async-migrate]\nblocking = {"mylib.fetch" = "mylib.a fetch"}\n',
                [],
                "blocking: async twin 'mylib.a fetch' of mylib.fetch must be a dotted name",
            ),
            (
                "",
                ["--blocking", "mylib.fetch=afetch"],
                "--blocking: async twin 'afetch' of mylib.fetch must be",
            ),
            (
                "",
                ["--blocking", "mylib.fetch=mylib.class"],
                "async twin 'mylib.class' of mylib.fetch must be",
            ),
            ("", ["--blocking", "=mylib.afetch"], "--blocking: '' is not a dotted name"),
            ("", ["--config", "pipe.toml"], "pipe.toml: cannot read configuration: not a regular file"),
        ]
    ),
)
def test_a_configuration_mistake_is_one_line_and_exit_2(
    tmp_path: Path, pyproject: str, flags: list[str], message: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "app.py").write_text(APP)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.toml")  # never opened: opening a FIFO waits for a writer
    result = run_tool("--check", *flags, "app.py", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


@pytest.mark.parametrize("check", [True, False], ids=["check", "write"])
def test_any_coding_cookie_is_read_or_reported_per_file(tmp_path: Path, check: bool) -> None:
    # each names a codec Python knows that can't decode the file (or isn't a text codec at all)
    cookies = ["rot13", "hex", "base64", "zlib_codec", "undefined", "punycode", "utf-32", "nonsense"]
    for cookie in cookies:
        (tmp_path / f"m_{cookie}.py").write_text(f"# -*- coding: {cookie} -*-\nimport app\n")
    (tmp_path / "app.py").write_text(APP)
    result = run_tool(*(["--check"] if check else []), ".", cwd=tmp_path)
    assert result.returncode == 123, result.stderr
    assert "Traceback" not in result.stderr
    errors = {line.split(":")[1].strip() for line in result.stderr.splitlines() if "cannot decode" in line}
    assert errors == {f"m_{cookie}.py" for cookie in cookies}
    assert ("1 file would be rewritten" if check else "1 file rewritten") in result.stderr
    assert check or "async def root" in (tmp_path / "app.py").read_text()


DEEP = {
    # what CPython compiles: migrated, or reported for that file alone
    "plus-400": "return " + " + ".join(["1"] * 400),
    "plus-1000": "return " + " + ".join(["1"] * 1000),
    "attributes-1000": "return x" + ".y" * 1000,
    "subscripts-1000": "return x" + "[0]" * 1000,
    "lambdas-190": "return (" + "lambda: " * 190 + "1)",
    # deeper than CPython compiles (or ast.parse builds)
    "plus-30000": "return " + " + ".join(["1"] * 30_000),
    "plus-80000": "return " + " + ".join(["1"] * 80_000),
}


@pytest.mark.slow
@pytest.mark.parametrize("body", DEEP.values(), ids=DEEP.keys())
@pytest.mark.parametrize("flags", [["--check", "-j1"], ["--diff", "-j1"], ["--diff", "-j2"]], ids=" ".join)
def test_deep_nesting_costs_at_most_its_file(tmp_path: Path, body: str, flags: list[str]) -> None:
    route = (
        "import time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/')\ndef {name}(x):\n"
    )
    (tmp_path / "deep.py").write_text(route.format(name="deep") + f"    time.sleep(0.01)\n    {body}\n")
    for n in range(8):  # enough files for -j2 to start workers
        (tmp_path / f"r{n}.py").write_text(route.format(name=f"r{n}") + "    time.sleep(0.01)\n")
    result = run_tool(*flags, ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    if result.returncode == 123:
        assert "deep.py: too deeply nested" in result.stderr or (
            "deep.py: cannot parse: maximum recursion depth exceeded" in result.stderr
        )
        assert "8 files would be rewritten" in result.stderr
        assert "+async def deep" not in result.stdout
    else:
        assert result.returncode == (1 if "--check" in flags else 0), result.stderr
        assert "9 files would be rewritten" in result.stderr
    assert "--diff" not in flags or result.stdout.count("+async def r") == 8


SCALE_PROBE = """
import resource, sys, time
from pathlib import Path
from async_migrate.config import Settings
from async_migrate.runner import migrate
start = time.perf_counter()
result = migrate([Path(sys.argv[1])], Settings(), rewrite=False)
print(len(result.plan.edits[Path(sys.argv[1])]), time.perf_counter() - start)
status = Path("/proc/self/status")
if status.exists():  # this process's own peak; ru_maxrss keeps the forking parent's across exec
    print(int(status.read_text().split("VmHWM:")[1].split()[0]) * 1024)
else:
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * (1 if sys.platform == "darwin" else 1024))
"""


@pytest.mark.slow
def test_thousands_of_routes_in_one_module_cost_linear_time_and_memory(tmp_path: Path) -> None:
    # each function's facts held a copy of every module-level name (3000 routes: 9 million
    # entries, 420 MB) and each edit was looked up in a list of the file's edits (29 s)
    routes = 3000
    body = "".join(
        f"\n\n@app.get('/r{n}')\ndef r{n}():\n    time.sleep(0.01)\n    return {n}\n" for n in range(routes)
    )
    (tmp_path / "app.py").write_text("import time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n" + body)
    probe = subprocess.run(
        [sys.executable, "-c", SCALE_PROBE, "app.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert probe.returncode == 0, probe.stderr
    edits, seconds, peak = (float(value) for value in probe.stdout.split())
    assert edits == 2 * routes  # async def and the sleep made async, for each route
    assert peak < 200 * 2**20, f"{peak / 2**20:.0f} MB"
    assert seconds < 20, f"{seconds:.1f} s"
