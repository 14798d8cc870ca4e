"""The pre-commit hook works on the files pre-commit passes, in a scratch repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SLEEPY = (
    "import time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/')\n"
    "def root():\n    time.sleep(1)\n"
)


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.mark.slow
def test_pre_commit_try_repo_runs_the_check_hook(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.py").write_text(SLEEPY)
    (repo / "plain.py").write_text("def f():\n    return 1\n")
    _git("init", "-q", cwd=repo)
    _git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".", cwd=repo)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}

    def hook(*files: str) -> subprocess.CompletedProcess[str]:
        command = [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(ROOT),
            "async-migrate",
            "--files",
            *files,
        ]
        return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=900)

    failing = hook("app.py", "plain.py")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "1 file would be rewritten" in failing.stdout
    assert (repo / "app.py").read_text() == SLEEPY  # check mode writes nothing
    passing = hook("plain.py")
    assert passing.returncode == 0, passing.stdout + passing.stderr
