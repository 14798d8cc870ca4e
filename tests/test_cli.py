"""The command line as users run it: modes, exit codes, messages, and files left intact."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import run_tool

SLEEPY = (
    "import time\n"
    "\n"
    "from fastapi import FastAPI\n"
    "\n"
    "app = FastAPI()\n"
    "\n"
    "\n"
    "@app.get('/')\n"
    "def root():\n"
    "    time.sleep(0.1)\n"
    "    return {}\n"
)
ASYNC_DONE = "async def root():\n    await asyncio.sleep(0.1)\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(SLEEPY, encoding="utf-8")
    return tmp_path


def test_write_mode_rewrites_in_place_and_is_idempotent(project: Path) -> None:
    first = run_tool("app.py", cwd=project)
    assert first.returncode == 0, first.stderr
    assert ASYNC_DONE in (project / "app.py").read_text()
    assert "1 file rewritten" in first.stderr
    second = run_tool("app.py", cwd=project)
    assert second.returncode == 0
    assert "0 files rewritten" in second.stderr


def test_diff_writes_nothing_and_git_applies(project: Path) -> None:
    result = run_tool("--diff", ".", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "app.py").read_text() == SLEEPY
    assert result.stdout.startswith("--- a/app.py\n+++ b/app.py\n")
    assert "\033[" not in result.stdout  # no colour when stdout is not a terminal
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    (project / "change.patch").write_text(result.stdout)
    subprocess.run(["git", "apply", "change.patch"], cwd=project, check=True, timeout=30)
    assert ASYNC_DONE in (project / "app.py").read_text()


def test_check_exits_1_when_something_would_change(project: Path) -> None:
    result = run_tool("--check", ".", cwd=project)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "1 file would be rewritten" in result.stderr
    assert (project / "app.py").read_text() == SLEEPY


def test_check_exits_0_when_nothing_would_change(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text("def f():\n    return 1\n")
    result = run_tool("--check", ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_missing_path_is_a_one_line_usage_error(tmp_path: Path) -> None:
    result = run_tool("no/such/dir", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "async-migrate: error: no/such/dir: no such file or directory"
    ]


def test_bad_option_is_a_one_line_usage_error(tmp_path: Path) -> None:
    result = run_tool("--frobnicate", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--frobnicate" in lines[0]
    assert "Traceback" not in result.stderr


def test_a_text_check_stops_at_the_plan_and_never_loads_libcst(project: Path) -> None:
    """Which files change is known from the plan; libcst is most of a run's time."""
    probe = (
        "import sys\n"
        "from async_migrate.cli import main\n"
        "sys.argv = ['async-migrate', '--check', 'app.py']\n"
        "try:\n    main()\nexcept SystemExit as exit_:\n    print(exit_.code, 'libcst' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.split() == ["1", "False"], result.stderr
    assert "1 file would be rewritten" in result.stderr
    assert (project / "app.py").read_text() == SLEEPY


def test_syntax_error_is_reported_and_other_files_still_processed(project: Path) -> None:
    broken = "from fastapi import APIRouter\ndef broken(:\n    pass\n"
    (project / "broken.py").write_text(broken)
    result = run_tool(".", cwd=project)
    assert result.returncode == 123
    assert "error: broken.py:2: cannot parse" in result.stderr
    assert (project / "broken.py").read_text() == broken
    assert ASYNC_DONE in (project / "app.py").read_text()


def test_undecodable_file_is_reported_with_its_line(project: Path) -> None:
    (project / "bad.py").write_bytes(b"import app\ny = '\xff\xfe'\n")
    result = run_tool("--check", ".", cwd=project)
    assert result.returncode == 123
    assert "bad.py:2: cannot decode as utf-8" in result.stderr


def test_a_broken_file_fastapi_code_cannot_reach_is_not_read(project: Path) -> None:
    """It imports nothing of the app and the app imports nothing of it: it can't matter."""
    broken = "import json\ndef broken(:\n    pass\n"
    (project / "script.py").write_text(broken)
    (project / "bad.py").write_bytes(b"y = '\xff\xfe'\n")
    result = run_tool(".", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "script.py" not in result.stderr and "bad.py" not in result.stderr
    assert (project / "script.py").read_text() == broken
    assert ASYNC_DONE in (project / "app.py").read_text()


@pytest.mark.slow
def test_latin1_file_with_coding_cookie_round_trips(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\n" + SLEEPY.replace("return {}", "return {'caf\xe9': 1}")
    (tmp_path / "app.py").write_bytes(source.encode("latin-1"))
    assert run_tool("app.py", cwd=tmp_path).returncode == 0
    raw = (tmp_path / "app.py").read_bytes()
    assert raw.startswith(b"# -*- coding: latin-1 -*-\n")
    assert b"'caf\xe9': 1" in raw
    assert ASYNC_DONE.encode() in raw


def test_crlf_line_endings_are_kept(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_bytes(SLEEPY.replace("\n", "\r\n").encode())
    assert run_tool("app.py", cwd=tmp_path).returncode == 0
    raw = (tmp_path / "app.py").read_bytes()
    assert ASYNC_DONE.replace("\n", "\r\n").encode() in raw
    assert b"\n" not in raw.replace(b"\r\n", b"")


@pytest.mark.slow
def test_crlf_diff_applies_with_git(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_bytes(SLEEPY.replace("\n", "\r\n").encode())
    result = subprocess.run(
        [sys.executable, "-m", "async_migrate", "--diff", "app.py"],
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "change.patch").write_bytes(result.stdout)
    subprocess.run(["git", "apply", "change.patch"], cwd=tmp_path, check=True, timeout=30)
    assert ASYNC_DONE.replace("\n", "\r\n").encode() in (tmp_path / "app.py").read_bytes()


def test_bom_is_kept(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_bytes(b"\xef\xbb\xbf" + SLEEPY.encode())
    assert run_tool("app.py", cwd=tmp_path).returncode == 0
    raw = (tmp_path / "app.py").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfimport asyncio\n\nfrom fastapi import FastAPI\n")
    assert raw.count(b"\xef\xbb\xbf") == 1
    assert ASYNC_DONE.encode() in raw


@pytest.mark.slow
def test_file_permissions_are_kept(project: Path) -> None:
    os.chmod(project / "app.py", 0o640)
    assert run_tool("app.py", cwd=project).returncode == 0
    assert stat.S_IMODE((project / "app.py").stat().st_mode) == 0o640


def test_json_report_lists_decisions(project: Path) -> None:
    result = run_tool("--check", "--output-format", "json", ".", cwd=project)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    (decision,) = report["decisions"]
    assert decision["function"] == "app.root"
    assert decision["verdict"] == "converted"
    assert [finding["rule"] for finding in decision["findings"]] == ["AM101"]


def test_kept_sync_reasons_are_in_the_summary(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SLEEPY + "\n\ndef job():\n    root()\n")
    result = run_tool("--check", ".", cwd=tmp_path)
    assert result.returncode == 0
    assert "root (route): kept sync" in result.stderr
    assert "AM202 called from app.py:15 (app.job, sync)" in result.stderr
    assert "1 kept sync;" in result.stderr
    assert "kept sync, functions per reason (one can have several): 1 sync-caller." in result.stderr


UNRESOLVED = """\
from fastapi import FastAPI

app = FastAPI()


def register(target, endpoint):
    target.add_api_route("/dynamic", endpoint)


def create_app():
    inner = FastAPI()

    @inner.on_event("startup")
    def warm():
        pass

    return inner, warm


@app.get("/")
def root():
    return {}
"""


@pytest.mark.slow
def test_registrations_not_resolved_are_counted_never_dropped(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(UNRESOLVED)
    result = run_tool("--check", ".", cwd=tmp_path)
    assert "app.py:7: route registration not resolved: add_api_route() on target, not known" in result.stderr
    assert (
        "app.py:13: route registration not resolved: warm (@inner.on_event), registered inside"
        " create_app(), is not followed (warm is named there, line 17)" in result.stderr
    )
    assert "; 2 route registrations not resolved." in result.stderr
    report = json.loads(run_tool("--check", "--output-format", "json", ".", cwd=tmp_path).stdout)
    github = run_tool("--check", "--output-format", "github", ".", cwd=tmp_path).stdout
    assert "::warning file=app.py,line=7,title=route registration not resolved::add_api_route()" in github
    assert [(item["file"], item["line"]) for item in report["unresolved_registrations"]] == [
        ("app.py", 7),
        ("app.py", 13),
    ]


@pytest.mark.slow
def test_config_non_blocking_key_and_flag(tmp_path: Path) -> None:
    code = (
        "import vendor\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\ndef root():\n    return vendor.lookup()\n"
    )
    (tmp_path / "app.py").write_text(code)
    assert "AM201" in run_tool("--check", ".", cwd=tmp_path).stderr
    assert run_tool("--check", "--non-blocking", "vendor", ".", cwd=tmp_path).returncode == 1
    (tmp_path / "pyproject.toml").write_text('[tool.async-migrate]\nnon-blocking = ["vendor.lookup"]\n')
    assert run_tool("--check", ".", cwd=tmp_path).returncode == 1


def test_config_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.async-migrate]\nnon_blocking = ["x"]\n')
    result = run_tool("--check", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "pyproject.toml: unknown key 'non_blocking' in [tool.async-migrate]" in result.stderr


def test_explain_rule(tmp_path: Path) -> None:
    result = run_tool("--explain", "AM101", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("AM101 async-sleep:")


def test_gitignored_and_virtualenv_files_are_skipped(project: Path) -> None:
    (project / ".gitignore").write_text("generated/\n")
    for folder in ("generated", ".venv/lib", "build"):
        (project / folder).mkdir(parents=True)
        (project / folder / "app.py").write_text(SLEEPY)
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    result = run_tool(".", cwd=project)
    assert result.returncode == 0
    for folder in ("generated", ".venv/lib", "build"):
        assert (project / folder / "app.py").read_text() == SLEEPY


def test_help_lists_every_option(tmp_path: Path) -> None:
    # --help goes through typer's formatting of every option, which no other run does (typer
    # 0.13 with click 8.2 or newer failed here while every other test passed)
    result = run_tool("--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for option in ("--diff", "--check", "--output-format", "--jobs", "--keep-sync", "--http-client"):
        assert option in result.stdout


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("async-migrate")
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("async-migrate ")


@pytest.mark.slow
def test_callers_outside_the_given_paths_keep_functions_sync(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'svc'\n")
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__init__.py").write_text("")
    (tmp_path / "svc" / "api.py").write_text(SLEEPY)
    (tmp_path / "svc" / "helpers.py").write_text("import os\n\n\ndef names():\n    return os.listdir('.')\n")
    (tmp_path / "svc" / "views.py").write_text(
        "from fastapi import APIRouter\nfrom svc.helpers import names\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/names')\ndef list_names():\n    return names()\n"
    )
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "warm.py").write_text("from svc.api import root\n\nroot()\n")
    convert = "--convert-threadpool-only"
    result = run_tool("--check", convert, "svc/api.py", "svc/views.py", cwd=tmp_path)
    assert "AM202 called from scripts/warm.py:3 (module-level code)" in result.stderr
    assert "1 file would be rewritten" in result.stderr  # views.py: helpers.py is analysed, not written
    assert run_tool(convert, "svc/views.py", cwd=tmp_path).returncode == 0
    assert "return await run_in_threadpool(names)" in (tmp_path / "svc" / "views.py").read_text()
    assert (tmp_path / "svc" / "helpers.py").read_text().startswith("import os\n\n\ndef names")


def test_tests_and_excluded_scripts_of_the_project_count_when_only_app_is_given(tmp_path: Path) -> None:
    case = Path(__file__).parent / "fixtures" / "keep_method_called_on_unknown_value" / "input"
    shutil.copytree(case, tmp_path, dirs_exist_ok=True)
    (tmp_path / "pyproject.toml").write_text('[tool.async-migrate]\nexclude = ["scripts/"]\n')
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "nightly.py").write_text("from app.main import Clock\n\nprint(Clock().tick())\n")
    result = run_tool("--check", "app", cwd=tmp_path)
    stderr = result.stderr
    assert "AM202 may be called from tests/clock_checks.py:16 (.tick() of a value of unknown type)" in stderr
    assert "AM202 called from scripts/nightly.py:3 (module-level code)" in stderr


@pytest.mark.slow
def test_github_annotations_and_a_report_file_beside_the_diff(project: Path) -> None:
    (project / "job.py").write_text("from app import root\n\nroot()\n")
    result = run_tool("--check", "--output-format", "github", ".", cwd=project)
    assert result.stdout == (
        "::warning file=app.py,line=9,title=AM202 sync-caller::root (route): kept sync%0A"
        "AM202 called from job.py:3 (module-level code)\n"
    )
    (project / "job.py").unlink()
    result = run_tool("--diff", "--output-format", "json", "--output-file", "report.json", ".", cwd=project)
    assert result.returncode == 0
    assert result.stdout.startswith("--- a/app.py\n")
    report = json.loads((project / "report.json").read_text())
    assert [d["verdict"] for d in report["decisions"]] == ["converted"]
    assert "1 file would be rewritten" in result.stderr


@pytest.mark.slow
def test_keep_sync_setting_and_flag(project: Path) -> None:
    result = run_tool("--check", "--keep-sync", "app.ro*", ".", cwd=project)
    assert result.returncode == 0
    assert "AM215 line 9: kept as it is by the keep-sync setting" in result.stderr
    (project / "pyproject.toml").write_text('[tool.async-migrate]\nkeep-sync = ["app.root"]\n')
    assert run_tool("--check", ".", cwd=project).returncode == 0
    assert run_tool("--check", "--config", "/dev/null", ".", cwd=project).returncode == 1


@pytest.mark.slow
def test_parallel_rewrites_give_the_same_result_as_one_process(tmp_path: Path) -> None:
    for n in range(24):
        (tmp_path / f"route_{n}.py").write_text(SLEEPY.replace("def root", f"def root_{n}"))
    one = run_tool("--diff", "--jobs", "1", ".", cwd=tmp_path)
    many = run_tool("--diff", "--jobs", "3", ".", cwd=tmp_path)
    assert one.returncode == many.returncode == 0
    assert one.stdout.count("+async def root_") == 24
    assert many.stdout == one.stdout
    assert many.stderr == one.stderr


@pytest.mark.slow
def test_include_and_exclude_patterns(project: Path) -> None:
    (project / "legacy").mkdir()
    (project / "legacy" / "old.py").write_text(SLEEPY)
    (project / "tool.pyw").write_text(SLEEPY)
    result = run_tool("--check", "--exclude", "legacy/", ".", cwd=project)
    assert "1 file would be rewritten" in result.stderr
    result = run_tool("--check", "--include", "*.pyw", ".", cwd=project)
    assert "1 file would be rewritten, 0 unchanged" in result.stderr
    result = run_tool("--check", "--include", "*.py", "--include", "*.pyw", ".", cwd=project)
    assert "3 files would be rewritten" in result.stderr


def test_progress_on_a_terminal_counts_files_without_failing() -> None:
    from async_migrate.cli import _progress

    with _progress(enabled=True) as tick:
        for _ in range(3):
            tick()


SESSION_APP = (
    "from fastapi import Depends, FastAPI\n"
    "from sqlmodel import Session, create_engine\n\n"
    'engine = create_engine("sqlite:///app.db")\n'
    "app = FastAPI()\n\n\n"
    "def get_session():\n"
    "    with Session(engine) as session:\n"
    "        yield session\n\n\n"
    '@app.get("/")\n'
    "def count(session: Session = Depends(get_session)):\n"
    '    return {"n": session.scalar(1)}\n'
)


def test_db_session_flag_and_key_choose_whether_sessions_migrate(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(SESSION_APP)
    kept = run_tool("--check", "app.py", cwd=tmp_path)
    assert kept.returncode == 0 and "--db-session async migrates sessions" in kept.stderr, kept.stderr
    flag = run_tool("--diff", "--db-session", "async", "app.py", cwd=tmp_path)
    assert '+engine = create_async_engine("sqlite+aiosqlite:///app.db")' in flag.stdout, flag.stderr
    assert "note: the rewritten code needs aiosqlite; add it to the project's dependencies" in flag.stderr
    # SQLAlchemy 2.1 installs greenlet, which its asyncio extension runs on, only with [asyncio]
    assert "note: the rewritten code needs greenlet;" in flag.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.async-migrate]\ndb-session = "async"\n')
    assert run_tool("--diff", "app.py", cwd=tmp_path).stdout == flag.stdout
    (tmp_path / "pyproject.toml").write_text('[tool.async-migrate]\ndb-session = "yes"\n')
    refused = run_tool("--check", "app.py", cwd=tmp_path)
    assert refused.returncode == 2 and "db-session must be one of sync, async" in refused.stderr
