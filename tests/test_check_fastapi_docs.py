"""scripts/check_fastapi_docs.py leaves out, of both test runs, the tests whose packages are
missing, rather than having pytest stop at their conftest and judge nothing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[1] / "scripts" / "check_fastapi_docs.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_fastapi_docs", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_tests_needing_a_missing_package_are_left_out_and_the_rest_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, results = tmp_path / "sdist", tmp_path / "results"
    results.mkdir()
    files = {
        "tests/test_telemetry/conftest.py": "import am_missing_sdk.trace\n",
        "tests/test_telemetry/test_spans.py": "def test_spans():\n    pass\n",
        "tests/test_tutorial/test_ok.py": "def test_ok():\n    pass\n",
        "tests/test_tutorial/test_needs.py": "import am_missing_other\n",
        "tests/test_tutorial/test_local.py": "import docs_src.missing\n",
        "docs_src/__init__.py": "",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    script = _script()
    monkeypatch.setattr(script, "TARGET", {"migrate": "docs_src", "pytest": ["tests"]})
    left_out = script.uncollectable(root, results, timeout=120)
    # the sdist's own module is no dependency: its test stays in (and errs in both runs)
    assert left_out == {
        "tests/test_telemetry": "am_missing_sdk",
        "tests/test_tutorial/test_needs.py": "am_missing_other",
    }
    selection = script.selection(root, left_out)
    assert selection == ["tests/test_tutorial/test_local.py", "tests/test_tutorial/test_ok.py"]
    # the left-out conftest is not loaded, so the rest runs
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", selection[-1]],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout
