"""The developer scripts run end to end: the tool-speed benchmark the README quotes and the
database benchmark (on tiny sizes: figures not judged), and the plan fingerprint used to check that
a speed-up changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from postgres import binaries_or_skip

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
def test_tool_speed_prints_a_full_row_per_size(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "tool_speed.py"),
            "--sizes",
            "20",
            "--repeat",
            "1",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    header, row = [line for line in run.stdout.splitlines() if line.startswith("| ")][0::2]
    cells = row.strip("| ").split(" | ")
    assert len(cells) == len(header.strip("| ").split(" | ")) == 14
    assert cells[0] == "24"  # 20 modules and the package files
    assert all(cell.endswith(" s") for cell in cells[1:10]), cells
    assert cells[-2].count("×") == 2
    assert cells[-1].endswith("×")
    # the write runs left the generated project as generated: a check finds the routers to convert
    check = subprocess.run(
        [sys.executable, "-m", "async_migrate", "--check", "-q", "."],
        cwd=tmp_path / "project_20",
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 1, check.stderr


def test_plan_fingerprint_prints_every_decision_and_edit_of_the_example() -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "plan_fingerprint.py"),
            str(ROOT / "examples" / "legacy_service"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("## ")
    assert sum(line.startswith("D ") for line in lines) >= 10  # the example's functions, each decided
    assert sum(line.startswith("E ") for line in lines) == 2  # the two files the README's diff shows


@pytest.mark.slow
def test_db_crud_bench_measures_every_version_on_its_own_postgres() -> None:
    binaries_or_skip()
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "db_crud.py"), "-n", "40", "-c", "10", "--delay", "0.01"]
        + ["--pool-size", "10", "--request-timeout", "10"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr  # 0: every version answered alike, no failed request
    lines = run.stdout.splitlines()
    rows = [line.strip("| ").split(" | ") for line in lines if line.startswith("| ")][2:]
    assert [row[0] for row in rows] == [
        "sync (def, psycopg2)",
        "migrated (--db-session async)",
        "hand-written async (asyncpg)",
    ]
    for row in rows:
        assert len(row) == 11 and float(row[1]) > 0 and row[4] == "0", row
    assert rows[2][-1] == "1.00×"
    assert any(line.startswith("# async-migrate --db-session async: ") for line in lines)
    assert any(line.startswith("# goal: migrated within 15% of hand-written") for line in lines)
