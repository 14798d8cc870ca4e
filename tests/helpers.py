"""Shared by the tests that run the command line as users do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_tool(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m async_migrate ARGS`` in ``cwd``, with a bound on how long it may take."""
    return subprocess.run(
        [sys.executable, "-m", "async_migrate", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
