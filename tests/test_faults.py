"""Faults lose nothing: interrupted writes, files that change or vanish, symlinks, odd files.
And the tool never runs the code it reads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import run_tool

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


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
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
    if sig == signal.SIGINT:
        # Ctrl-C lets the file being written finish, then stops cleanly
        assert leftovers == []
        assert process.returncode == 130
        assert b"interrupted" in process.stderr.read()


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
    [
        (b"", None),
        (b"x = 1\n\x00\n", "2: cannot parse: source code string cannot contain null bytes"),
        (b"x = " + b"(" * 300 + b"1" + b")" * 300 + b"\n", "1: cannot parse: too many nested parentheses"),
    ],
    ids=["empty", "null-byte", "too-deep-for-python"],
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
@pytest.mark.parametrize("named", [False, True], ids=["in-a-folder", "named"])
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


def test_a_device_named_on_the_command_line_is_refused(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(ROUTE.format(n=7))
    result = run_tool(os.devnull, "app.py", cwd=tmp_path)
    assert result.returncode == 123
    assert f"{os.devnull}: not a regular file" in result.stderr
    assert "async def handler_7" in (tmp_path / "app.py").read_text()
