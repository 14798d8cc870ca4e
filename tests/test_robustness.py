"""Any Python is safe input: the whole standard library goes through ``--check`` without a
traceback, nothing is written, and exactly the files Python itself can't parse are reported
(once a FastAPI app is part of the run; without one there is nothing to parse)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

from async_migrate.config import Settings
from async_migrate.discovery import discover

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


def test_the_standard_library_alone_has_nothing_to_do() -> None:
    result = _check(STDLIB, quiet=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "" and "no FastAPI code in the project, nothing to do" in result.stderr


def test_check_over_the_standard_library(tmp_path: Path) -> None:
    files = discover([STDLIB], Settings(respect_gitignore=False)).rewritable
    assert len(files) > 1000
    rejected = {str(path) for path in files if _python_rejects(path)}
    app = tmp_path / "app.py"
    app.write_text("from fastapi import FastAPI\napp = FastAPI()\n")
    result = _check(STDLIB, app)
    assert "Traceback" not in result.stderr
    assert result.returncode == (123 if rejected else 0), result.stderr[-2000:]
    reported = set(re.findall(r"^error: (.+?\.py)(?::\d+)?: ", result.stderr, flags=re.MULTILINE))
    assert reported == rejected
