"""End-to-end behaviour tests: migrate a copy of examples/legacy_service and check it still works.

Every run happens in a subprocess on a copy under tmp_path (examples/ itself is never touched):

* the example's own suite passes before migration, and after it with blockbuster active
  (tests/blockbuster_plugin.py), so no blocking call was left on the event loop;
* blockbuster as set up here flags blocking calls on the loop thread and only there;
* a blocking call injected into a migrated ``async def`` endpoint makes that suite fail;
* every endpoint (error paths included) answers byte for byte the same before and after.

Only loopback servers started by these tests (or by the example's conftest) are contacted.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parent
REPO = TESTS_DIR.parent
EXAMPLE = REPO / "examples" / "legacy_service"
DRIVER = TESTS_DIR / "legacy_service_driver.py"
PLUGIN = "blockbuster_plugin"  # tests/blockbuster_plugin.py, importable with TESTS_DIR on PYTHONPATH

TIMEOUT = 60  # seconds, per subprocess; each normally takes 1-2 s

# what the example's README says must stay sync: the report helper shared with the nightly
# job, the job itself, the sqlite3 endpoint (as a whole) and the lru_cached settings dependency
MUST_STAY_SYNC = {
    "legacy_service/services/reports.py": {"build_report"},
    "legacy_service/jobs/nightly.py": {"main"},
    "legacy_service/routers/inventory.py": {"list_inventory"},
    "legacy_service/config.py": {"get_settings"},
}


# -- helpers -------------------------------------------------------------------------------


def copy_service(dest: Path) -> Path:
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    return dest


def subprocess_env(*, blockbuster: bool) -> dict[str, str]:
    env = dict(os.environ)
    # nothing from the outer run may leak in: pytest options/plugins, the service's settings,
    # proxies (the service and the tests must talk to 127.0.0.1 directly)
    for var in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "UPSTREAM_URL", "DATA_DIR", "PYTHONPATH"):
        env.pop(var, None)
    for var in list(env):
        if var.lower() in ("http_proxy", "https_proxy", "all_proxy"):
            del env[var]
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    # the same copy is run, rewritten in place, then run again: never reuse stale bytecode
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if blockbuster:
        env["PYTHONPATH"] = str(TESTS_DIR)
    return env


def run(cmd: list[str], *, cwd: Path, blockbuster: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=subprocess_env(blockbuster=blockbuster),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@dataclass
class SuiteRun:
    proc: subprocess.CompletedProcess[str]
    tests: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # test name -> failure/error text
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return f"exit code {self.proc.returncode}\n{self.proc.stdout}\n{self.proc.stderr}"


def run_example_suite(service: Path, *, blockbuster: bool) -> SuiteRun:
    """``python -m pytest <service>/tests -q -p no:cacheprovider`` in a subprocess, parsed."""
    work = service.parent
    ini = work / "isolated-pytest.ini"  # keeps any pytest config above tmp_path out of the run
    ini.write_text("[pytest]\n", encoding="utf-8")
    junit = work / f"{service.name}-junit-{'bb' if blockbuster else 'plain'}.xml"
    cmd = [sys.executable, "-m", "pytest", str(service / "tests"), "-q", "-p", "no:cacheprovider"]
    cmd += ["-c", str(ini), "--rootdir", str(service), f"--junitxml={junit}"]
    if blockbuster:
        cmd += ["-p", PLUGIN]
    result = SuiteRun(run(cmd, cwd=service, blockbuster=blockbuster))
    if junit.exists():
        suite = ET.parse(junit).getroot().find("testsuite")
        result.tests = int(suite.get("tests"))
        for prop in suite.iter("property"):
            result.properties[prop.get("name")] = prop.get("value")
        for case in suite.iter("testcase"):
            for problem in [*case.findall("failure"), *case.findall("error")]:
                result.failed[case.get("name")] = f"{problem.get('message')}\n{problem.text or ''}"
    return result


def migrate(service: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "async_migrate", str(service)], cwd=service.parent)


def python_sources(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(root.rglob("*.py"))
    }


def functions(source: str) -> tuple[set[str], set[str]]:
    """Names of the (sync, async) functions defined anywhere in a module."""
    sync, asyn = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef):
            sync.add(node.name)
        elif isinstance(node, ast.AsyncFunctionDef):
            asyn.add(node.name)
    return sync, asyn


@pytest.fixture(scope="module")
def migrated_service(tmp_path_factory) -> Path:
    """A copy of the example, migrated in place (for the tests that don't check the run itself)."""
    service = copy_service(tmp_path_factory.mktemp("migrated") / "legacy_service")
    proc = migrate(service)
    assert proc.returncode == 0, proc.stderr
    return service


# -- 1. the example's own suite, before and after ------------------------------------------


@pytest.mark.slow
def test_example_suite_passes_before_and_after_migration_under_blockbuster(tmp_path):
    service = copy_service(tmp_path / "legacy_service")
    before = python_sources(service)
    data_before = {p.name: p.read_bytes() for p in (service / "data").iterdir()}

    plain = run_example_suite(service, blockbuster=False)
    assert plain.proc.returncode == 0, plain.output
    assert plain.tests > 0 and not plain.failed, plain.output

    proc = migrate(service)
    assert proc.returncode == 0, f"async-migrate failed:\n{proc.stdout}\n{proc.stderr}"

    after = python_sources(service)
    assert set(after) == set(before), "files appeared or disappeared"
    changed = sorted(name for name in before if before[name] != after[name])
    assert changed, f"the migration changed nothing:\n{proc.stderr}"
    # the suite is the yardstick: it (and the data it reads) must come out untouched
    assert not [name for name in changed if not name.startswith("legacy_service/")], changed
    assert {p.name: p.read_bytes() for p in (service / "data").iterdir()} == data_before

    converted = {}
    for name in changed:
        sync_before, async_before = functions(before[name])
        sync_after, async_after = functions(after[name])
        assert not async_before - async_after, f"{name}: async functions went missing"
        converted[name] = sync_before & async_after
    assert any(converted.values()), f"no def became async def in {changed}"
    for name, keep in MUST_STAY_SYNC.items():
        sync_after, async_after = functions(after[name])
        assert keep <= sync_after and not keep & async_after, f"{name}: {keep} must stay sync"

    migrated = run_example_suite(service, blockbuster=True)
    assert migrated.properties.get("blockbuster", "").startswith("active"), migrated.output
    assert migrated.proc.returncode == 0, migrated.output
    assert not migrated.failed, migrated.failed
    assert migrated.tests == plain.tests, migrated.output


def test_migration_is_idempotent(migrated_service):
    proc = run(
        [sys.executable, "-m", "async_migrate", "--check", str(migrated_service)],
        cwd=migrated_service.parent,
    )
    assert proc.returncode == 0, f"a second run would change the migrated code again:\n{proc.stderr}"


# -- 2. the blockbuster plugin: loop thread only -------------------------------------------

PROBE_TESTS = """
import time

import pytest
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.testclient import TestClient

app = FastAPI()


@app.get("/loop-sleep")
async def loop_sleep():
    time.sleep(0.001)
    return {}


@app.get("/loop-read")
async def loop_read():
    with open(__file__, encoding="utf-8") as fh:
        return {"size": len(fh.read())}


@app.get("/threadpool-sleep")
async def threadpool_sleep():
    await run_in_threadpool(time.sleep, 0.001)
    return {}


def _read():
    with open(__file__, encoding="utf-8") as fh:
        return len(fh.read())


@app.get("/threadpool-read")
async def threadpool_read():
    return {"size": await run_in_threadpool(_read)}


@app.get("/sync-sleep")
def sync_sleep():  # FastAPI runs def endpoints in the threadpool
    time.sleep(0.001)
    return {}


@pytest.fixture
def client():
    with TestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "url", ["/loop-sleep", "/loop-read", "/threadpool-sleep", "/threadpool-read", "/sync-sleep"]
)
def test_endpoint(client, url):
    assert client.get(url).status_code == 200


def test_main_thread_is_not_checked(tmp_path):
    (tmp_path / "out.txt").write_text("the test's own I/O", encoding="utf-8")
    time.sleep(0.001)
"""


@pytest.mark.slow
def test_blockbuster_plugin_flags_blocking_calls_on_the_loop_thread_only(tmp_path):
    probe = tmp_path / "probe"
    (probe / "tests").mkdir(parents=True)
    (probe / "tests" / "test_probe.py").write_text(PROBE_TESTS, encoding="utf-8")

    result = run_example_suite(probe, blockbuster=True)
    assert result.properties.get("blockbuster", "").startswith("active"), result.output
    assert result.tests == 6, result.output
    assert sorted(result.failed) == ["test_endpoint[/loop-read]", "test_endpoint[/loop-sleep]"], result.output
    assert "BlockingError: Blocking call to time.sleep" in result.failed["test_endpoint[/loop-sleep]"]
    assert (
        "BlockingError: Blocking call to io.TextIOWrapper.read" in result.failed["test_endpoint[/loop-read]"]
    )

    # the very same probe passes without the plugin: the failures above are blockbuster's doing
    assert run_example_suite(probe, blockbuster=False).proc.returncode == 0


# -- 3. negative control: a blocking call left on the loop must fail the migrated suite ----

INJECTIONS = {
    "time.sleep": "import time as _blocking_time; _blocking_time.sleep(0.01)",
    "io.TextIOWrapper.read": 'with open(__file__, encoding="utf-8") as _fh: _fh.read()',
}


def inject_into_async_endpoint(module: Path, func_name: str, statement: str) -> None:
    """Put ``statement`` first in the body of ``async def func_name`` (in place)."""
    source = module.read_text(encoding="utf-8")
    targets = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.AsyncFunctionDef) and node.name == func_name
    ]
    assert len(targets) == 1, f"expected the migration to have made {func_name} async:\n{source}"
    first = targets[0].body[0]
    lines = source.splitlines(keepends=True)
    lines.insert(first.lineno - 1, " " * first.col_offset + statement + "\n")
    module.write_text("".join(lines), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("blocking_call", sorted(INJECTIONS))
def test_blocking_call_left_on_the_loop_fails_the_migrated_suite(migrated_service, tmp_path, blocking_call):
    service = tmp_path / "legacy_service"
    shutil.copytree(migrated_service, service)
    inject_into_async_endpoint(
        service / "legacy_service" / "routers" / "ops.py", "health", INJECTIONS[blocking_call]
    )

    # the example's suite alone doesn't notice: the endpoint still answers correctly...
    plain = run_example_suite(service, blockbuster=False)
    assert plain.proc.returncode == 0, plain.output
    # ...blockbuster does, in exactly the test that hits GET /health
    result = run_example_suite(service, blockbuster=True)
    assert result.proc.returncode == 1, result.output
    assert list(result.failed) == ["test_health"], result.output
    assert f"BlockingError: Blocking call to {blocking_call}" in result.failed["test_health"], result.output
    assert result.tests == plain.tests


# -- 4. same responses before and after ------------------------------------------------------


def drive(service: Path, *, blockbuster: bool) -> list[dict]:
    out = service.parent / f"{service.name}-responses.json"
    cmd = [sys.executable, str(DRIVER), str(service), str(out)]
    if blockbuster:
        cmd.append("--blockbuster")
    proc = run(cmd, cwd=service.parent, blockbuster=blockbuster)
    assert proc.returncode == 0, f"driver failed on {service}:\n{proc.stdout}\n{proc.stderr}"
    return json.loads(out.read_text(encoding="utf-8"))


def test_every_endpoint_answers_the_same_after_migration(migrated_service, tmp_path):
    original = drive(copy_service(tmp_path / "legacy_service"), blockbuster=False)
    # the migrated side runs under blockbuster too: the error paths the example's suite doesn't
    # cover must not block the loop either (a BlockingError shows up as an "exception" entry)
    migrated = drive(migrated_service, blockbuster=True)

    # the driver really exercised what it meant to, on the original
    unexpected = [
        (entry["name"], entry.get("status", entry.get("exception")), entry["expected_status"])
        for entry in original
        if "expected_status" in entry and entry.get("status") != entry["expected_status"]
    ]
    assert not unexpected, unexpected
    assert all(entry.get("scratch_left", []) == [] for entry in original)
    by_name = {entry["name"]: entry for entry in original}
    assert json.loads(by_name["quote 1"]["body"])["display_price"] == "12.50 EUR"
    assert ["content-type", "application/json"] in by_name["health"]["headers"]
    assert ["content-type", "text/html; charset=utf-8"] in by_name["docs page"]["headers"]

    assert [e["name"] for e in migrated] == [e["name"] for e in original]
    differences = [
        {"before": before, "after": after}
        for before, after in zip(original, migrated, strict=True)
        if before != after
    ]
    assert not differences, json.dumps(differences, indent=1)[:20_000]
