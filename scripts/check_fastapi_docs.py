#!/usr/bin/env python
"""Real-code check: migrate FastAPI's own tutorial apps (``docs_src/``) and re-run their tests.

    python scripts/check_fastapi_docs.py [--keep DIR] [--install-deps] [--no-blockbuster]
                                         [--target docs|tests]

Steps (stdlib + subprocess only; run it with the venv's python, where async-migrate is installed):

1. ``pip download`` the source distribution of the *installed* fastapi version and unpack it into a
   work dir (a temporary one, or DIR with ``--keep``; a kept DIR is re-unpacked fresh on every run, the
   download is reused).
   With ``--install-deps``, the tests' dependencies are installed first (one by one when the set doesn't
   resolve); test folders (a conftest's) or modules that can't be collected because a package they import
   is missing are left out of *both* test runs, and listed in the output and ``report.json``.
2. Run ``tests/test_tutorial/`` against the unmigrated ``docs_src/`` (baseline, per-test outcome from
   ``--junitxml``).
3. ``python -m async_migrate --check --output-format json docs_src`` for the machine-readable decisions,
   then ``python -m async_migrate docs_src`` (write mode), timed, with its exit code and summary line.
4. Run the same tests again; a test that passed before and does not pass after is a regression.
5. With blockbuster installed (default on), both test runs are repeated with blockbuster active for calls
   made from ``docs_src`` code on a running event loop: a test that passed before and fails after there
   is an endpoint the tool made async that still blocks the loop.

``--target tests`` does the same to FastAPI's own ``tests/`` (their modules define hundreds of small apps
inline) and judges it by the whole suite (benchmarks excluded).

Everything lands in ``<work>/results/``: junit files, pytest logs, the tool's stdout/stderr, the JSON
decisions, a unified diff of what the tool wrote (``migrate.diff``) and ``report.json``.  Exit status: 0
when there is no regression and the tool exited 0, 1 otherwise, 2 when the check itself could not run.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from importlib import metadata
from pathlib import Path

# What FastAPI's `tests` dependency group needs for tests/test_tutorial (pyproject.toml of the sdist),
# minus the linters, coverage and observability vendors the tutorial tests don't import.
TEST_DEPS = [
    "sqlmodel",
    "dirty-equals",
    "inline-snapshot",
    "pyjwt",
    "pwdlib[argon2]",
    "pydantic-settings",
    "opentelemetry-sdk",
    "strawberry-graphql",
    "orjson",
    "ujson",
    "flask",
    "a2wsgi",
    "python-multipart",
    "jinja2",
    "email-validator",
    "itsdangerous",
    "pytest-timeout",  # the sdist's pytest config sets `timeout`, an error under --strict-config without it
    "pytest-xdist",  # registers the `xdist_group` marker used under --strict-markers
    "anyio[trio]",
    "httpx2",  # starlette's TestClient warns (an error under filterwarnings=error) without it
]
# import name -> package, to tell what is missing without asking pip.
TEST_MODULES = {
    "sqlmodel": "sqlmodel",
    "dirty_equals": "dirty-equals",
    "inline_snapshot": "inline-snapshot",
    "jwt": "pyjwt",
    "pwdlib": "pwdlib[argon2]",
    "pydantic_settings": "pydantic-settings",
    "opentelemetry.sdk": "opentelemetry-sdk",
    "strawberry": "strawberry-graphql",
    "orjson": "orjson",
    "ujson": "ujson",
    "flask": "flask",
    "a2wsgi": "a2wsgi",
    "multipart": "python-multipart",
    "jinja2": "jinja2",
    "email_validator": "email-validator",
    "pytest_timeout": "pytest-timeout",
    "xdist": "pytest-xdist",
    "httpx2": "httpx2",
}

BLOCKBUSTER_PLUGIN = '''\
"""Loaded with -p by check_fastapi_docs.py: blockbuster on for the whole session, scanning the
migrated tree (AM_CHECK_DOCS_SRC)."""
import os

_bb = None


def pytest_sessionstart(session):
    global _bb
    from blockbuster import BlockBuster
    from blockbuster.blockbuster import _ModulePaths

    _bb = BlockBuster(scanned_modules=_ModulePaths([os.environ["AM_CHECK_DOCS_SRC"]]))
    _bb.activate()


def pytest_sessionfinish(session, exitstatus):
    if _bb is not None:
        _bb.deactivate()
'''

PY = sys.executable
# --target: what gets migrated, and which tests judge it.
TARGETS = {
    # FastAPI's tutorial apps, judged by their own tests.
    "docs": {"migrate": "docs_src", "pytest": ["tests/test_tutorial"]},
    # FastAPI's own test suite, whose test modules define hundreds of small apps inline.
    "tests": {
        "migrate": "tests",
        "pytest": ["tests", "--ignore=tests/benchmarks", "--ignore=tests/memory_benchmarks"],
    },
}
TARGET = TARGETS["docs"]
PRISTINE_TREE: set[str] = set()  # every path of the freshly unpacked sdist


def log(msg: str) -> None:
    print(f"[check] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], *, cwd: Path, timeout: float, env: dict | None = None, out: Path | None = None):
    """Run ``cmd``; return (exit code or None on timeout, stdout, stderr, seconds)."""
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        code, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code = None
        stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        stderr = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
    seconds = time.perf_counter() - start
    if out is not None:
        out.write_text(
            f"$ {' '.join(cmd)}\n# exit {code}, {seconds:.1f}s\n{stdout}\n--- stderr ---\n{stderr}"
        )
    return code, stdout, stderr, seconds


# --------------------------------------------------------------------------------------------- setup


def fastapi_version() -> str:
    try:
        return metadata.version("fastapi")
    except metadata.PackageNotFoundError:
        sys.exit("fastapi is not installed in this interpreter (" + PY + "): run this with the venv's python")


def tool_revision() -> str:
    """Which async-migrate ran: version, and the git commit of its source (+dirty) when editable."""
    import importlib.util

    try:
        version = metadata.version("async-migrate")
    except metadata.PackageNotFoundError:
        version = "?"
    spec = importlib.util.find_spec("async_migrate")
    if spec is None or not spec.origin:
        return version
    src = Path(spec.origin).parent
    head = subprocess.run(
        ["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    if head.returncode != 0:
        return version
    dirty = subprocess.run(
        ["git", "-C", str(src), "status", "--porcelain", "--", "."], capture_output=True, text=True
    )
    return f"{version} @ {head.stdout.strip()}{' + uncommitted changes' if dirty.stdout.strip() else ''}"


def missing_modules() -> list[str]:
    import importlib.util

    missing = []
    for module, package in TEST_MODULES.items():
        try:
            if importlib.util.find_spec(module) is None:
                missing.append(package)
        except ModuleNotFoundError:
            missing.append(package)
    return missing


def install_deps(results: Path) -> list[str]:
    """Install TEST_DEPS, pinned to whatever is installed already so nothing the venv has moves.

    When the whole set doesn't resolve (a package missing from the index), each is installed on its
    own so that one missing package costs only the tests that need it; returns those that failed."""
    code, freeze, _, _ = run([PY, "-m", "pip", "freeze"], cwd=results, timeout=300)
    pins = [
        line for line in freeze.splitlines() if line and not line.startswith(("#", "-e ")) and "==" in line
    ]
    constraints = results / "constraints.txt"
    constraints.write_text("\n".join(pins) + "\n")
    install = [PY, "-m", "pip", "install", "-q", "-c", str(constraints)]
    log(f"installing test dependencies ({len(TEST_DEPS)} packages, existing versions pinned)")
    code, _, _, _ = run([*install, *TEST_DEPS], cwd=results, timeout=1200, out=results / "pip-install.log")
    if code == 0:
        return []
    log(f"pip install of the whole set failed (exit {code}); installing them one by one")
    failed = []
    for package in TEST_DEPS:
        log_file = results / f"pip-install-{re.sub(r'[^A-Za-z0-9]+', '_', package)}.log"
        code, _, _, _ = run([*install, package], cwd=results, timeout=600, out=log_file)
        if code != 0:
            failed.append(package)
            log(f"could not install {package} (exit {code}); see {log_file}")
    return failed


def fetch_sdist(work: Path, version: str) -> Path:
    download = work / "download"
    download.mkdir(parents=True, exist_ok=True)
    tarball = download / f"fastapi-{version}.tar.gz"
    if not tarball.exists():
        log(f"downloading the fastapi {version} sdist")
        code, stdout, stderr, _ = run(
            [
                PY,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"fastapi=={version}",
                "-d",
                str(download),
            ],
            cwd=work,
            timeout=600,
        )
        if code != 0 or not tarball.exists():
            sys.stderr.write(stdout + stderr)
            raise SystemExit(2)
    root = work / f"fastapi-{version}"
    if root.exists():
        shutil.rmtree(root)
    with tarfile.open(tarball) as tar:
        tar.extractall(work, filter="data")
    pristine = work / f"{TARGET['migrate']}.orig"
    if pristine.exists():
        shutil.rmtree(pristine)
    shutil.copytree(root / TARGET["migrate"], pristine)
    PRISTINE_TREE.update(snapshot(root))
    return root


# --------------------------------------------------------------------------------------------- pytest


def clear_bytecode(tree: Path) -> None:
    for cache in tree.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def snapshot(tree: Path) -> set[str]:
    return {p.relative_to(tree).as_posix() for p in tree.rglob("*")}


def remove_leftovers(tree: Path, keep: set[str]) -> list[str]:
    """Delete what a test run left behind (static/, templates/, log.txt, *.db...) when its teardown failed,
    so that it cannot break the next run."""
    removed = []
    for path in sorted(tree.rglob("*"), key=lambda p: len(p.parts)):
        rel = path.relative_to(tree).as_posix()
        if rel in keep or not (path.exists() or path.is_symlink()):
            continue
        removed.append(rel)
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return removed


def run_tests(
    root: Path,
    results: Path,
    label: str,
    timeout: float,
    left_out: dict[str, str],
    *,
    blockbuster: bool = False,
):
    """Run the target's tests but those ``left_out``; return ({node id: outcome}, summary line,
    seconds, exit code)."""
    junit = results / f"{label}.xml"
    junit.unlink(missing_ok=True)
    clear_bytecode(root)
    leftovers = remove_leftovers(root, PRISTINE_TREE)
    if leftovers:
        log(f"removed what an earlier test run left behind: {[p for p in leftovers if '/' not in p]}")
    env = _no_bytecode()
    cmd = [PY, "-m", "pytest", *selection(root, left_out), "-q", "-p", "no:cacheprovider"]
    cmd.append(f"--junitxml={junit}")
    if blockbuster:
        (results / "_am_blockbuster.py").write_text(BLOCKBUSTER_PLUGIN)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(results), env.get("PYTHONPATH")]))
        env["AM_CHECK_DOCS_SRC"] = str(root / TARGET["migrate"])
        cmd += ["-p", "_am_blockbuster"]
    log(f"pytest ({label})")
    code, stdout, stderr, seconds = run(cmd, cwd=root, env=env, timeout=timeout, out=results / f"{label}.log")
    tail = [
        line for line in stdout.splitlines() if re.search(r"\b(passed|failed|error|no tests ran)\b", line)
    ]
    summary_line = tail[-1].strip("= ") if tail else ("TIMEOUT" if code is None else f"exit {code}")
    return parse_junit(junit), summary_line, seconds, code


_COLLECT_ERROR = re.compile(
    r"^_+ ERROR collecting (?P<file>\S+) _+$|^ImportError while loading conftest '(?P<conftest>[^']+)'"
)
_MISSING_MODULE = re.compile(r"^E\s+ModuleNotFoundError: No module named '(?P<module>[^']+)'")


def uncollectable(root: Path, results: Path, timeout: float) -> dict[str, str]:
    """Test paths that can't be collected because a package they import isn't installed
    ({path relative to root: missing module}): a conftest's folder, else the test module.

    pytest stops at the first conftest that fails to import and a module that fails to import
    interrupts the whole session, so without leaving these out neither run yields any result.
    They are left out of *both* runs, so what is compared stays the same; a module the sdist
    itself provides (a missing ``docs_src`` module, say) is not a dependency and stays in."""
    left_out: dict[str, str] = {}
    for attempt in range(20):  # one conftest per round: pytest stops at the first
        cmd = [PY, "-m", "pytest", *selection(root, left_out), "--collect-only", "-q"]
        cmd += ["-p", "no:cacheprovider"]
        _, stdout, stderr, _ = run(
            cmd, cwd=root, timeout=timeout, out=results / f"collect-{attempt}.log", env=_no_bytecode()
        )
        found = _missing_imports(root, stdout + "\n" + stderr)
        found = {path: module for path, module in found.items() if path not in left_out}
        if not found:
            break
        left_out.update(found)
    return left_out


def _missing_imports(root: Path, output: str) -> dict[str, str]:
    """{test path: missing module} from a pytest collection's output."""
    found: dict[str, str] = {}
    current = None
    for line in output.splitlines():
        header = _COLLECT_ERROR.match(line)
        if header:
            if header["conftest"]:
                current = Path(header["conftest"]).resolve().parent.relative_to(root.resolve()).as_posix()
            else:
                current = header["file"]
            continue
        missing = _MISSING_MODULE.match(line)
        if missing and current is not None:
            top = missing["module"].split(".")[0]
            if not (root / top).exists() and not (root / f"{top}.py").exists():
                found.setdefault(current, missing["module"])
            current = None
    return found


def selection(root: Path, left_out: dict[str, str]) -> list[str]:
    """The target's pytest arguments without the paths ``left_out``.

    ``--ignore`` is not enough: pytest loads the conftest of every ``test*`` folder directly under
    a path it is given, ignored or not. So a given folder holding a left-out path is replaced by
    its test folders and modules, down to the left-out path's parent."""
    ignored = {arg.partition("=")[2] for arg in TARGET["pytest"] if arg.startswith("--ignore=")}
    return [
        part
        for arg in TARGET["pytest"]
        for part in ([arg] if arg.startswith("-") else _without(root, arg, set(left_out) | ignored))
    ]


def _without(root: Path, path: str, excluded: set[str]) -> list[str]:
    if path in excluded:
        return []
    if not any(other.startswith(path + "/") for other in excluded):
        return [path]
    return [
        part
        for entry in sorted((root / path).iterdir())
        if (entry.is_dir() and entry.name != "__pycache__")
        or re.fullmatch(r"test_.*\.py|.*_test\.py", entry.name)
        for part in _without(root, f"{path}/{entry.name}", excluded)
    ]


def _no_bytecode() -> dict[str, str]:
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1")


_RANK = {"passed": 0, "skipped": 1, "xfailed": 1, "failed": 2, "error": 3}


def parse_junit(junit: Path) -> dict[str, str]:
    outcomes: dict[str, str] = {}
    if not junit.exists():
        return outcomes
    for case in ET.parse(junit).getroot().iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        node = f"{classname.replace('.', '/')}.py::{name}" if classname else name
        outcome = "passed"
        for child in case:
            if child.tag == "failure":
                outcome = "failed"
            elif child.tag == "error":
                outcome = "error"
            elif child.tag == "skipped":
                outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
        if _RANK[outcome] >= _RANK.get(outcomes.get(node, "passed"), 0):
            outcomes[node] = outcome
    return outcomes


def first_error_line(results: Path, label: str, node: str) -> str:
    """The `E ...` line that pytest printed for a test, best effort, from its junit message."""
    junit = results / f"{label}.xml"
    if not junit.exists():
        return ""
    for case in ET.parse(junit).getroot().iter("testcase"):
        classname, name = case.get("classname", ""), case.get("name", "")
        if (f"{classname.replace('.', '/')}.py::{name}" if classname else name) != node:
            continue
        for child in case:
            if child.tag in ("failure", "error"):
                return (child.get("message") or "").splitlines()[0][:200] if child.get("message") else ""
    return ""


def regressions(before: dict[str, str], after: dict[str, str]) -> dict[str, str]:
    return {
        node: after.get(node, "missing")
        for node, outcome in sorted(before.items())
        if outcome == "passed" and after.get(node, "missing") != "passed"
    }


# --------------------------------------------------------------------------------------------- the tool


SUMMARY_PARTS = {
    "files_rewritten": r"(\d+) files? rewritten",
    "files_unchanged": r"(\d+) unchanged",
    "converted": r"(\d+) converted to async",
    "async_fixed": r"(\d+) async fixed",
    "kept_sync": r"(\d+) kept sync",
    "threadpool_calls": r"(\d+) calls? moved to the threadpool",
    "async_sleeps": r"(\d+) sleeps? made async",
    "files_failed": r"(\d+) files? failed",
}


def parse_summary(stderr: str) -> tuple[str, dict[str, int]]:
    lines = [
        line
        for line in stderr.splitlines()
        if re.search(r"converted to async|files? (rewritten|failed)", line)
    ]
    line = lines[-1] if lines else ""
    numbers = {}
    for key, pattern in SUMMARY_PARTS.items():
        match = re.search(pattern, line)
        if match:
            numbers[key] = int(match.group(1))
    return line, numbers


def changed_files(pristine: Path, migrated: Path) -> list[str]:
    changed = []
    for path in sorted(migrated.rglob("*.py")):
        rel = path.relative_to(migrated)
        orig = pristine / rel
        if not orig.exists() or orig.read_bytes() != path.read_bytes():
            changed.append(rel.as_posix())
    return changed


def write_diff(pristine: Path, migrated: Path, files: list[str], out: Path) -> None:
    chunks = []
    for rel in files:
        before = (pristine / rel).read_text().splitlines(keepends=True) if (pristine / rel).exists() else []
        after = (migrated / rel).read_text().splitlines(keepends=True)
        name = f"{TARGET['migrate']}/{rel}"
        chunks.extend(difflib.unified_diff(before, after, f"a/{name}", f"b/{name}"))
    out.write_text("".join(chunks))


def syntax_errors(migrated: Path, files: list[str]) -> list[str]:
    errors = []
    for rel in files:
        try:
            compile((migrated / rel).read_text(), rel, "exec")
        except SyntaxError as exc:
            errors.append(f"{rel}:{exc.lineno}: {exc.msg}")
    return errors


def ruff_new_findings(pristine: Path, migrated: Path, files: list[str], results: Path) -> list[str] | None:
    """Pyflakes-level findings (F, E9) in the migrated files that the originals did not have."""
    ruff = shutil.which("ruff", path=str(Path(PY).parent)) or shutil.which("ruff")
    if not ruff or not files:
        return None if not ruff else []

    def findings(tree: Path) -> Counter:
        present = [rel for rel in files if (tree / rel).exists()]
        code, stdout, _, _ = run(
            [
                ruff,
                "check",
                "--isolated",
                "--select",
                "F,E9",
                "--output-format",
                "json",
                "--no-cache",
                *present,
            ],
            cwd=tree,
            timeout=300,
        )
        try:
            items = json.loads(stdout or "[]")
        except json.JSONDecodeError:
            return Counter()
        return Counter(
            (Path(i["filename"]).relative_to(tree).as_posix(), i["code"], i["message"]) for i in items
        )

    new = findings(migrated) - findings(pristine)
    return sorted(f"{f}: {code} {msg}" for (f, code, msg), n in new.items() for _ in range(n))


def decision_stats(decisions_doc: dict) -> dict:
    decisions = decisions_doc.get("decisions", [])
    verdicts = Counter(d["verdict"] for d in decisions)
    messages = Counter()
    exact = Counter()
    rules = Counter()
    for d in decisions:
        if d["verdict"] != "kept sync":
            continue
        seen = set()
        for f in d["findings"]:
            pattern = normalise_message(f["message"])
            if (f["rule"], pattern) in seen:
                continue
            seen.add((f["rule"], pattern))
            messages[f"{f['rule']} {pattern}"] += 1
            exact[f"{f['rule']} {f['message']}"] += 1
            rules[f"{f['rule']} {f['name']}"] += 1
    return {
        "verdicts": dict(verdicts),
        "kept_sync_rules": rules.most_common(),
        "kept_sync_messages": messages.most_common(),
        "kept_sync_exact_messages": exact.most_common(),
    }


def normalise_message(message: str) -> str:
    """Group finding messages by callee *method* and reason.

    'sqlmodel.Session.get() is not in the catalog...' and 'SessionDep.get() is not in the catalog...'
    both become '.get() is not in the catalog...'."""
    message = re.sub(r"\S+\.py:\d+( \([^)]*\))?", "<where>", message)  # AM202/AM203 call sites
    match = re.match(r"^(.*?)\(\)(:? )\s*(.*)$", message)
    if not match:
        return re.sub(r"'[^']*'", "<name>", message)
    callee, sep, reason = match.groups()
    method = callee.rsplit(".", 1)[-1] if "." in callee else callee
    prefix = "." if "." in callee else ""
    reason = re.sub(r"'[^']*'", "<name>", reason)
    return f"{prefix}{method}(){sep.rstrip()} {reason}"


# --------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--keep", metavar="DIR", type=Path, help="work dir to use and keep (default: a temp dir)"
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per pytest run (default 1800)")
    parser.add_argument(
        "--install-deps", action="store_true", help="pip install the tutorial tests' deps first"
    )
    parser.add_argument(
        "--target",
        choices=sorted(TARGETS),
        default="docs",
        help="docs: migrate docs_src, run tests/test_tutorial (default); tests: migrate tests/, run them all",
    )
    parser.add_argument("--no-blockbuster", action="store_true", help="skip the two blockbuster test runs")
    args = parser.parse_args()
    global TARGET
    TARGET = TARGETS[args.target]

    version = fastapi_version()
    work = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="am-fastapi-docs-"))
    work.mkdir(parents=True, exist_ok=True)
    results = work / "results"
    if results.exists():
        shutil.rmtree(results)
    results.mkdir()
    try:
        not_installed = install_deps(results) if args.install_deps else []
        missing = missing_modules()
        if missing:
            hint = "" if args.install_deps else "; --install-deps installs them"
            log(f"missing test packages (the tests that import them are left out): {missing}{hint}")
        root = fetch_sdist(work, version)
        docs = root / TARGET["migrate"]
        pristine = work / f"{TARGET['migrate']}.orig"
        log(f"work dir {work}; sdist at {root}")
        left_out = uncollectable(root, results, args.timeout)
        for path, module in sorted(left_out.items()):
            log(f"leaving {path} out of both test runs: it needs {module}, which is not installed")

        before, before_line, before_s, _ = run_tests(root, results, "baseline", args.timeout, left_out)
        if not before:
            log(f"baseline produced no results ({before_line}); see {results / 'baseline.log'}")
            return 2
        use_bb = not args.no_blockbuster and _has_module("blockbuster")
        bb_before = (
            run_tests(root, results, "baseline-blockbuster", args.timeout, left_out, blockbuster=True)
            if use_bb
            else None
        )

        log("async-migrate --check --output-format json (decisions)")
        code_j, stdout_j, stderr_j, _ = run(
            [PY, "-m", "async_migrate", "--check", "--output-format", "json", TARGET["migrate"]],
            cwd=root,
            timeout=1200,
            out=results / "decisions.log",
        )
        try:
            decisions_doc = json.loads(stdout_j)
        except json.JSONDecodeError:
            decisions_doc = {}
        (results / "decisions.json").write_text(json.dumps(decisions_doc, indent=2))

        log(f"async-migrate {TARGET['migrate']} (write mode)")
        tool_code, tool_out, tool_err, tool_s = run(
            [PY, "-m", "async_migrate", TARGET["migrate"]], cwd=root, timeout=1200, out=results / "tool.log"
        )
        (results / "tool.stderr").write_text(tool_err)
        summary_line, numbers = parse_summary(tool_err)
        tool_errors = [line for line in tool_err.splitlines() if line.startswith("error:")]
        tool_errors += [
            f"error: {e['file']}:{e.get('line') or ''}: {e['message']}"
            for e in decisions_doc.get("errors", [])
            if f"error: {e['file']}" not in "\n".join(tool_errors)
        ]
        if tool_code not in (0, 1, 123) and "Traceback" in tool_err:
            tool_errors.append("CRASH: " + tool_err.strip().splitlines()[-1])

        files = changed_files(pristine, docs)
        write_diff(pristine, docs, files, results / "migrate.diff")
        syntax = syntax_errors(docs, files)
        ruff_new = ruff_new_findings(pristine, docs, files, results)

        after, after_line, after_s, _ = run_tests(root, results, "after", args.timeout, left_out)
        bb_after = (
            run_tests(root, results, "after-blockbuster", args.timeout, left_out, blockbuster=True)
            if use_bb
            else None
        )

        regs = regressions(before, after)
        bb_regs = regressions(bb_before[0], bb_after[0]) if use_bb else {}
        # blockbuster-only regressions: those the plain run doesn't already show.
        bb_only = {n: o for n, o in bb_regs.items() if n not in regs}
        stats = decision_stats(decisions_doc)

        report = {
            "fastapi_version": version,
            "target": args.target,
            "tool_revision": tool_revision(),
            "migrated": TARGET["migrate"],
            "tests": " ".join(TARGET["pytest"]),
            "work_dir": str(work),
            "not_installed": not_installed,
            "left_out": left_out,
            "sdist_root": str(root),
            "baseline": {
                "summary": before_line,
                "seconds": round(before_s, 1),
                "counts": dict(Counter(before.values())),
            },
            "after": {
                "summary": after_line,
                "seconds": round(after_s, 1),
                "counts": dict(Counter(after.values())),
            },
            "regressions": {
                n: {"after": o, "error": first_error_line(results, "after", n)} for n, o in regs.items()
            },
            "fixed": sorted(n for n, o in before.items() if o != "passed" and after.get(n) == "passed"),
            "tool": {
                "exit_code": tool_code,
                "seconds": round(tool_s, 2),
                "summary_line": summary_line,
                "summary": numbers,
                "errors": tool_errors,
                "check_json_exit_code": code_j,
            },
            "files_changed": files,
            "syntax_errors": syntax,
            "ruff_new_findings": ruff_new,
            "decisions": stats,
        }
        if use_bb:
            report["blockbuster"] = {
                "baseline": {"summary": bb_before[1], "counts": dict(Counter(bb_before[0].values()))},
                "after": {"summary": bb_after[1], "counts": dict(Counter(bb_after[0].values()))},
                "regressions_not_in_plain_run": {
                    n: {"after": o, "error": first_error_line(results, "after-blockbuster", n)}
                    for n, o in bb_only.items()
                },
            }
        (results / "report.json").write_text(json.dumps(report, indent=2))
        print_table(report)
        return 0 if not regs and tool_code == 0 and not syntax else 1
    finally:
        if not args.keep:
            log(f"removing {work} (use --keep DIR to keep it)")
            shutil.rmtree(work, ignore_errors=True)


def _has_module(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None


def print_table(report: dict) -> None:
    base, after, tool = report["baseline"], report["after"], report["tool"]
    s = tool["summary"]
    rows = [
        ("fastapi sdist", f"{report['fastapi_version']} at {report['sdist_root']}"),
        ("migrated / judged by", f"{report['migrated']}/  /  pytest {report['tests']}"),
        (
            "tests before",
            f"{base['counts'].get('passed', 0)} passed / {sum(base['counts'].values())} ({base['summary']})",
        ),
        (
            "tests after",
            f"{after['counts'].get('passed', 0)} passed / {sum(after['counts'].values())} "
            f"({after['summary']})",
        ),
        ("REGRESSIONS", str(len(report["regressions"]))),
        ("left out of both runs", str(len(report["left_out"])) + " test paths (missing packages, below)"),
    ]
    if "blockbuster" in report:
        bb = report["blockbuster"]
        rows.append(
            (
                "blocking on the loop (new)",
                f"{len(bb['regressions_not_in_plain_run'])} more failing under blockbuster "
                f"(before {bb['baseline']['summary']}; after {bb['after']['summary']})",
            )
        )
    rows += [
        ("tool", report["tool_revision"]),
        ("tool exit code", str(tool["exit_code"])),
        ("tool wall time", f"{tool['seconds']:.2f}s"),
        (
            "files changed",
            f"{len(report['files_changed'])} (tool says {s.get('files_rewritten', '?')} rewritten, "
            f"{s.get('files_unchanged', '?')} unchanged)",
        ),
        ("functions converted", str(s.get("converted", "?"))),
        ("async fixed", str(s.get("async_fixed", "?"))),
        ("kept sync", str(s.get("kept_sync", "?"))),
        (
            "threadpool calls / async sleeps",
            f"{s.get('threadpool_calls', '?')} / {s.get('async_sleeps', '?')}",
        ),
        ("tool errors", str(len(tool["errors"]))),
        ("syntax errors in output", str(len(report["syntax_errors"]))),
        (
            "new ruff F/E9 findings",
            "n/a" if report["ruff_new_findings"] is None else str(len(report["ruff_new_findings"])),
        ),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    print(f"summary line: {tool['summary_line']}")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    for title, items in (
        ("regressions", [f"{n}  [{v['after']}] {v['error']}" for n, v in report["regressions"].items()]),
        (
            "blockbuster-only regressions",
            [
                f"{n}  [{v['after']}] {v['error']}"
                for n, v in report.get("blockbuster", {}).get("regressions_not_in_plain_run", {}).items()
            ],
        ),
        ("packages that could not be installed", report["not_installed"]),
        (
            "left out of both test runs (a package they import is missing)",
            [f"{path}  (needs {module})" for path, module in sorted(report["left_out"].items())],
        ),
        ("tool errors", tool["errors"]),
        ("syntax errors", report["syntax_errors"]),
        ("new ruff findings", report["ruff_new_findings"] or []),
    ):
        if items:
            print(f"\n{title}:")
            for item in items:
                print(f"  {item}")
    top = report["decisions"].get("kept_sync_messages", [])[:10]
    if top:
        print("\ntop kept-sync reasons (per function, grouped):")
        for message, n in top:
            print(f"  {n:4d}  {message}")
    print(f"\nresults: {Path(report['work_dir']) / 'results'}")


if __name__ == "__main__":
    sys.exit(main())
