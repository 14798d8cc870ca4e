"""Faults lose nothing: interrupted writes, files that change or vanish, symlinks, odd files.
And the tool never runs the code it reads."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from helpers import run_tool, slow_after_first, unprivileged

ROUTE = (
    "import time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    "@app.get('/{n}')\ndef handler_{n}():\n    time.sleep(0.01)\n    return {{'n': {n}}}\n"
)


def _project(root: Path, files: int) -> dict[Path, str]:
    root.mkdir(parents=True, exist_ok=True)
    contents = {}
    for n in range(files):
        path = root / f"route_{n}.py"
        path.write_text(ROUTE.format(n=n))
        contents[path] = path.read_text()
    return contents


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_killing_a_write_run_leaves_every_file_old_or_new(tmp_path: Path, sig: signal.Signals) -> None:
    expected_dir = tmp_path / "expected"
    _project(expected_dir, 400)
    assert run_tool(".", cwd=expected_dir).returncode == 0
    new = {path.name: path.read_text() for path in expected_dir.glob("*.py")}
    work = tmp_path / "work"
    old = {path.name: text for path, text in _project(work, 400).items()}
    process = subprocess.Popen([sys.executable, "-m", "async_migrate", "."], cwd=work, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and all(
        (work / name).read_text() == text for name, text in list(old.items())[:50]
    ):
        time.sleep(0.005)
    process.send_signal(sig)
    process.wait(timeout=60)
    states = {"old": 0, "new": 0}
    for name in old:
        text = (work / name).read_text()
        assert text in (old[name], new[name]), f"{name} is neither the old nor the new file"
        states["old" if text == old[name] else "new"] += 1
    assert states["new"] > 0, "the run was killed before it wrote anything: the test proved nothing"
    leftovers = [path.name for path in work.iterdir() if path.suffix == ".tmp"]
    if sig != signal.SIGKILL:
        # Ctrl-C or SIGTERM lets the file being written finish, then stops cleanly
        assert leftovers == []
        assert process.returncode == 128 + sig
        assert b"interrupted; the files listed as rewritten are complete" in process.stderr.read()


def test_a_file_changed_after_reading_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from async_migrate import source as source_module
    from async_migrate.config import Settings
    from async_migrate.runner import migrate

    target = tmp_path / "app.py"
    target.write_text(ROUTE.format(n=1))
    (change,) = migrate([target], Settings()).changes
    target.write_text(ROUTE.format(n=1) + "# edited meanwhile by someone else\n")
    with pytest.raises(source_module.SourceError, match="changed on disk"):
        source_module.write_atomically(change.source, change.new_text)
    assert target.read_text().endswith("# edited meanwhile by someone else\n")


def test_a_file_that_vanished_is_an_error_and_the_run_goes_on(tmp_path: Path) -> None:
    from async_migrate.config import Settings
    from async_migrate.runner import migrate
    from async_migrate.source import SourceError, write_atomically

    _project(tmp_path, 2)
    changes = migrate([tmp_path], Settings()).changes
    (tmp_path / "route_0.py").unlink()
    with pytest.raises(SourceError, match="cannot write"):
        write_atomically(changes[0].source, changes[0].new_text)
    write_atomically(changes[1].source, changes[1].new_text)
    assert "async def" in (tmp_path / "route_1.py").read_text()
    assert not (tmp_path / "route_0.py").exists()


def test_symlinks_out_of_the_given_paths_are_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _project(outside, 1)
    app = tmp_path / "app"
    app.mkdir()
    (app / "linked.py").symlink_to(outside / "route_0.py")
    (app / "own.py").write_text(ROUTE.format(n=7))
    result = run_tool("app/linked.py", "app/own.py", cwd=tmp_path)
    assert result.returncode == 123
    assert "app/linked.py: a symlink to a file outside the given paths; left unchanged" in result.stderr
    assert (outside / "route_0.py").read_text() == ROUTE.format(n=0)
    assert (app / "linked.py").is_symlink()
    assert "async def handler_7" in (app / "own.py").read_text()
    # walking a folder never follows a symlink at all
    assert run_tool("app", cwd=tmp_path).returncode == 0
    assert (outside / "route_0.py").read_text() == ROUTE.format(n=0)


@pytest.mark.parametrize(
    ("content", "message"),
    slow_after_first(
        [
            (b"x = 1\n\x00\n", "2: cannot parse: source code string cannot contain null bytes"),
            (b"", None),
            (
                b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n",
                "1: cannot parse: too many nested parentheses",
            ),
        ]
    ),
    ids=["null-byte", "empty", "too-deep-for-python"],
)
def test_odd_files_get_a_clear_message_and_stay_as_they_are(
    tmp_path: Path, content: bytes, message: str | None
) -> None:
    (tmp_path / "odd.py").write_bytes(content)
    (tmp_path / "app.py").write_text("import odd  # noqa: F401\n" + ROUTE.format(n=3))
    result = run_tool(".", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert (tmp_path / "odd.py").read_bytes() == content
    assert "async def handler_3" in (tmp_path / "app.py").read_text()
    if message:
        assert result.returncode == 123 and f"odd.py:{message}" in result.stderr
    else:
        assert result.returncode == 0, result.stderr


def test_deeply_nested_code_is_migrated_or_reported(tmp_path: Path) -> None:
    deep = "(" * 150 + "1" + ")" * 150
    original = ROUTE.format(n=4).replace("return {'n': 4}", f"return {deep}")
    (tmp_path / "app.py").write_text(original)
    result = run_tool(".", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    text = (tmp_path / "app.py").read_text()
    if result.returncode == 123:
        assert "app.py: too deeply nested" in result.stderr and text == original
    else:
        assert result.returncode == 0 and "async def handler_4" in text


@pytest.mark.slow
def test_a_huge_file_is_processed(tmp_path: Path) -> None:
    body = "".join(f"def helper_{n}(x):\n    return x + {n}\n\n\n" for n in range(5_000))
    (tmp_path / "big.py").write_text(ROUTE.format(n=1) + body)
    result = run_tool(".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "async def handler_1" in (tmp_path / "big.py").read_text()


def test_the_tool_never_imports_or_runs_the_code_it_reads(tmp_path: Path) -> None:
    marker = tmp_path / "was-imported"
    (tmp_path / "trap.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('oops')\nraise SystemExit('imported!')\n"
    )
    (tmp_path / "app.py").write_text("import trap  # noqa\n" + ROUTE.format(n=2))
    result = run_tool(".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert "async def handler_2" in (tmp_path / "app.py").read_text()


def test_modules_in_the_working_folder_do_not_shadow_the_tools_own(tmp_path: Path) -> None:
    # `python -m` puts the working folder first on sys.path, where a project may have its own
    # typer.py or ast.py; importing one would run the project's code and break the tool
    marker = tmp_path / "was-imported"
    for name in ("typer", "ast", "pathspec", "libcst", "tokenize", "rich"):
        (tmp_path / f"{name}.py").write_text(
            f"from pathlib import Path\nPath({str(marker)!r}).write_text({name!r})\nraise SystemExit(1)\n"
        )
    (tmp_path / "app.py").write_text(ROUTE.format(n=5))
    result = run_tool("app.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert "async def handler_5" in (tmp_path / "app.py").read_text()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("named", slow_after_first([True, False]), ids=["named", "in-a-folder"])
def test_a_fifo_named_like_python_is_skipped_never_opened(tmp_path: Path, named: bool) -> None:
    # opening a FIFO for reading waits for a writer: a run that opened one would never end
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "app.py").write_text(ROUTE.format(n=6))
    result = run_tool(*(["pipe.py", "app.py"] if named else ["."]), cwd=tmp_path)
    assert "async def handler_6" in (tmp_path / "app.py").read_text()
    if named:
        assert result.returncode == 123
        assert (
            "pipe.py: not a regular file (a FIFO, socket or device); skipped, never opened" in result.stderr
        )
    else:
        assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_a_device_named_on_the_command_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(ROUTE.format(n=7))
    result = run_tool(os.devnull, "app.py", cwd=tmp_path)
    assert result.returncode == 123
    assert f"{os.devnull}: not a regular file" in result.stderr
    assert "async def handler_7" in (tmp_path / "app.py").read_text()


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes (a symlink's are its target's)."""
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize("target", slow_after_first(["input", "hard-link", "symlink", "config", "no-folder"]))
def test_the_output_file_is_never_an_input_nor_written_through_a_symlink(tmp_path: Path, target: str) -> None:
    project = tmp_path / "project"
    _project(project, 2)
    (project / "pyproject.toml").write_text("[tool.async-migrate]\n")
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("someone's notes\n")
    report = {
        "input": project / "route_0.py",
        "hard-link": project / "report.json",
        "symlink": project / "report.json",
        "config": project / "pyproject.toml",
        "no-folder": project / "reports" / "report.json",
    }[target]
    if target == "hard-link":
        os.link(project / "route_1.py", report)
    if target == "symlink":
        report.symlink_to(elsewhere)
    before = _tree(tmp_path)
    for mode in ([], ["--check"], ["--diff"]):
        result = run_tool(*mode, "--output-format", "json", "--output-file", report, ".", cwd=project)
        assert result.returncode == 2, result.stderr
        assert f"--output-file {report} " in result.stderr and "Traceback" not in result.stderr
        assert _tree(tmp_path) == before, "nothing may be written, source or report"


def test_check_with_an_output_file_writes_the_report_atomically_and_nothing_else(tmp_path: Path) -> None:
    project = tmp_path / "project"
    _project(project, 2)
    report = tmp_path / "report.json"
    report.write_text("old report\n")
    report.chmod(0o640)
    before = _tree(project)
    result = run_tool("--check", "--output-format", "json", "--output-file", report, ".", cwd=project)
    assert result.returncode == 1, result.stderr
    assert _tree(project) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["project", "report.json"]
    assert '"files_changed"' in report.read_text()
    assert stat.S_IMODE(report.stat().st_mode) == 0o640


def test_a_file_the_user_cannot_write_is_refused_whatever_its_mode(tmp_path: Path) -> None:
    """As root the file belongs to root (mode 644) and the tool runs as nobody in a folder anyone
    may write to: renaming over the file would work, and would replace someone else's file."""
    as_user = unprivileged()
    if as_user is None and os.geteuid() == 0:
        pytest.skip("running as root and setpriv can't drop to nobody: root may write any file")
    shared = Path(tempfile.mkdtemp(prefix="async-migrate-", dir="/tmp" if as_user else tmp_path))
    try:
        shared.chmod(0o777)
        (shared / "app.py").write_text(ROUTE.format(n=1))
        (shared / "app.py").chmod(0o644 if as_user else 0o444)
        (shared / "own.py").write_text(ROUTE.format(n=2))
        if as_user:
            os.chown(shared / "own.py", 65534, 65534)
            # writable by nobody, but a new file would be nobody's, no longer root's
            (shared / "theirs.py").write_text(ROUTE.format(n=3))
            (shared / "theirs.py").chmod(0o666)
        result = run_tool(".", cwd=shared, as_user=as_user or ())
        assert result.returncode == 123, result.stderr
        assert "app.py: file is read-only for this user; left unchanged" in result.stderr
        if as_user:
            assert "theirs.py: file belongs to another user or group" in result.stderr
            assert (shared / "theirs.py").read_text() == ROUTE.format(n=3)
        assert (shared / "app.py").read_text() == ROUTE.format(n=1)
        assert "async def handler_2" in (shared / "own.py").read_text()
    finally:
        shutil.rmtree(shared)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give files away")
def test_owner_and_group_are_kept_when_running_as_root(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(ROUTE.format(n=1))
    os.chown(tmp_path / "app.py", 65534, 65534)
    (tmp_path / "app.py").chmod(0o640)
    assert run_tool(".", cwd=tmp_path).returncode == 0
    info = (tmp_path / "app.py").stat()
    assert "async def handler_1" in (tmp_path / "app.py").read_text()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o640)


def test_a_file_with_other_hard_links_is_refused_and_its_callers_plan_without_it(tmp_path: Path) -> None:
    """Renamed over, one link would see the new text and the others the old: refused, before the
    plan, so that no other file awaits the helper that stays sync."""
    (tmp_path / "helpers.py").write_text("import time\n\n\ndef pause():\n    time.sleep(0.01)\n")
    os.link(tmp_path / "helpers.py", tmp_path / "helpers_link.txt")
    (tmp_path / "app.py").write_text(
        "from fastapi import FastAPI\n\nfrom helpers import pause\n\napp = FastAPI()\n\n\n"
        "@app.get('/')\ndef root():\n    pause()\n    return {}\n"
    )
    original = (tmp_path / "app.py").read_text()
    result = run_tool(".", cwd=tmp_path)
    assert result.returncode == 123, result.stderr
    assert "helpers.py: file has 2 hard links, which would keep the old text; left unchanged" in result.stderr
    assert (tmp_path / "helpers.py").read_text() == (tmp_path / "helpers_link.txt").read_text()
    assert "async def" not in (tmp_path / "helpers.py").read_text()
    assert "await" not in (tmp_path / "app.py").read_text()
    assert (tmp_path / "app.py").read_text() == original  # pause() would need the threadpool: AM210


def test_a_file_edited_while_its_replacement_is_written_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The edit lands after every check made before writing, right before the rename."""
    from async_migrate.config import Settings
    from async_migrate.runner import migrate
    from async_migrate.source import SourceError, write_atomically

    target = tmp_path / "app.py"
    target.write_text(ROUTE.format(n=1))
    (change,) = migrate([target], Settings()).changes
    real_fsync = os.fsync

    def fsync_then_edit(fd: int) -> None:
        real_fsync(fd)
        with target.open("a") as file:
            file.write("# edited meanwhile\n")

    monkeypatch.setattr(os, "fsync", fsync_then_edit)
    with pytest.raises(SourceError, match="changed on disk"):
        write_atomically(change.source, change.new_text)
    assert target.read_text() == ROUTE.format(n=1) + "# edited meanwhile\n"
    assert [path.name for path in tmp_path.iterdir()] == ["app.py"]


@pytest.mark.parametrize(
    "content",
    slow_after_first(
        [
            b"\x0c" + ROUTE.format(n=1).encode(),
            ROUTE.format(n=1).replace("\n", "\r").encode(),
            b"# coding: unicode_escape\nGREETING = 'caf\\xe9'\n" + ROUTE.format(n=1).encode(),
        ]
    ),
    ids=["form-feed", "cr-only", "unicode-escape"],
)
def test_a_file_that_would_not_come_back_byte_for_byte_is_refused(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "app.py").write_bytes(content)
    (tmp_path / "other.py").write_text(ROUTE.format(n=2))
    for mode in (["--diff"], []):
        result = run_tool(*mode, ".", cwd=tmp_path)
        assert result.returncode == 123, result.stderr
        assert "app.py: " in result.stderr and "left unchanged" in result.stderr
        assert (tmp_path / "app.py").read_bytes() == content
    assert "async def handler_2" in (tmp_path / "other.py").read_text()


FUTURE = "from __future__ import annotations\n"


@pytest.mark.parametrize("future", slow_after_first(["", FUTURE]))
def test_no_await_goes_into_an_annotation(tmp_path: Path, future: str) -> None:
    """A local variable's annotation is never evaluated (PEP 526), so a call in it is not a call
    of the function: the file is migrated and the annotation left as it is. (It used to be refused
    at the compile check, the await having gone into the annotation.)"""
    body = ROUTE.format(n=1).replace("    time.sleep", "    pause: time.sleep(1) = 0\n    time.sleep")
    (tmp_path / "app.py").write_text(future + body)
    result = run_tool(".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    migrated = (tmp_path / "app.py").read_text()
    assert "async def handler_1" in migrated
    assert "    pause: time.sleep(1) = 0\n    await asyncio.sleep(0.01)\n" in migrated


@pytest.mark.parametrize("future", slow_after_first(["", FUTURE]))
def test_an_annotation_a_definition_evaluates_is_not_awaited(tmp_path: Path, future: str) -> None:
    """A nested function's parameter and return annotations run in the route when the ``def``
    does, where ``await`` can't go: the route stays sync (AM206). Under the future import no
    annotation is evaluated, so the route is converted and the annotations stay as written."""
    inner = "    def inner(x: time.sleep(1)) -> time.sleep(2):\n        return x\n"
    body = ROUTE.format(n=1).replace("    time.sleep", inner + "    time.sleep")
    (tmp_path / "app.py").write_text(future + body)
    result = run_tool("--check", "--output-format", "json", ".", cwd=tmp_path)
    (decision,) = json.loads(result.stdout)["decisions"]
    if future:
        assert decision["verdict"] == "converted", decision
    else:
        assert decision["verdict"] == "kept sync", decision
        assert {f["rule"] for f in decision["findings"]} == {"AM206"}, decision
    run_tool(".", cwd=tmp_path)
    migrated = (tmp_path / "app.py").read_text()
    assert ("async def handler_1" in migrated) == bool(future)
    assert inner in migrated


def test_rewritten_code_is_compiled_not_only_parsed() -> None:
    from async_migrate.rewrite import RewriteError, _check_compiles

    _check_compiles("async def f():\n    await g()\n")
    with pytest.raises(RewriteError, match="would not compile \\('await' outside"):
        _check_compiles("def f():\n    await g()\n")


def _workers(pid: int) -> list[int]:
    ps = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, timeout=10)
    return [int(word) for word in ps.stdout.split()]


def _alive(pid: int) -> bool:
    """Running, not a zombie left for a parent (or a container's init) to reap."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def _run_with_busy_workers(work: Path) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A write run of 400 files in its own session, once its two workers exist."""
    _project(work, 400)
    command = [sys.executable, "-m", "async_migrate", "-j2", "."]
    process = subprocess.Popen(command, cwd=work, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while not (workers := _workers(process.pid)) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.01)
    assert workers, "the run started no workers: the test proved nothing"
    return process, workers


def _wait_until_gone(pids: list[int], timeout: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout
    while (alive := [pid for pid in pids if _alive(pid)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the workers")
def test_no_worker_outlives_a_killed_run(tmp_path: Path) -> None:
    process, workers = _run_with_busy_workers(tmp_path)
    process.kill()
    process.wait(timeout=30)
    survivors = _wait_until_gone(workers)
    for pid in survivors:
        os.kill(pid, signal.SIGKILL)
    assert survivors == []


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the workers")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_while_workers_rewrite_stops_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    """A terminal's Ctrl-C reaches the whole process group, workers included, and so does the
    SIGTERM of a CI runner cancelling a job."""
    process, workers = _run_with_busy_workers(tmp_path)
    time.sleep(0.2)
    os.killpg(process.pid, sig)
    _, stderr = process.communicate(timeout=60)
    assert _wait_until_gone(workers) == []
    assert process.returncode == 128 + sig
    assert b"Traceback" not in stderr
    assert stderr.decode().endswith("async-migrate: interrupted before writing anything\n")
    assert not [path for path in tmp_path.iterdir() if path.suffix == ".tmp"]
    assert all(path.read_text() == ROUTE.format(n=path.stem.split("_")[1]) for path in tmp_path.glob("*.py"))


def test_the_summary_after_a_failed_write_counts_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from async_migrate import cli
    from async_migrate.runner import migrate

    _project(tmp_path, 2)

    def migrate_then_edit(*args: object, **kwargs: object) -> object:
        result = migrate(*args, **kwargs)  # type: ignore[arg-type]
        with (tmp_path / "route_0.py").open("a") as file:
            file.write("# edited meanwhile\n")
        return result

    monkeypatch.setattr(cli, "migrate", migrate_then_edit)
    result = CliRunner().invoke(cli.app, [str(tmp_path)])
    assert result.exit_code == 123
    assert "route_0.py: file changed on disk" in result.stderr
    assert "1 file rewritten, 1 unchanged; functions: 1 converted to async," in result.stderr
    assert "1 sleep made async," in result.stderr and "1 file failed." in result.stderr
    assert "route_0.py:9: handler_0" not in result.stderr


def test_a_signal_after_the_writes_waits_for_the_report_that_lists_them(tmp_path: Path) -> None:
    _project(tmp_path, 2)
    signal_in_report = (
        "import os, signal\n"
        "from async_migrate import cli\n"
        "report = cli._report\n"
        "def interrupted_report(*args, **kwargs):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    report(*args, **kwargs)\n"
        "cli._report = interrupted_report\n"
        "cli.main()\n"
    )
    command = [sys.executable, "-c", signal_in_report, "."]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 143
    assert "2 files rewritten, 0 unchanged; functions: 2 converted to async," in result.stderr
    assert result.stderr.endswith("async-migrate: interrupted; the files listed as rewritten are complete\n")
