#!/usr/bin/env python
"""Real-code check of ``--db-session async``: FastAPI's SQL tutorial and SQLModel's FastAPI
tutorial, migrated, with their own tests run before and after.

    python scripts/check_db_session_tutorials.py --fastapi /path/to/fastapi-sdist \\
        --sqlmodel /path/to/sqlmodel-checkout [--keep DIR]

For each project: ``docs_src/`` and ``tests/`` are copied to a work dir; the tutorial's tests run
on the unmigrated apps; ``async-migrate --db-session async`` rewrites the tutorial's folder; the
tests of the rewritten modules are adapted with the patterns of docs/db-session.md ("Tests"),
whose diff is written to ``<work>/<project>-tests.diff``; the tests run again. Both runs are
repeated with blockbuster active on the app's loop (``-p blockbuster_plugin``). All runs use
``-p no:warnings``: the projects' pytest settings name plugins this venv may lack, and warnings
are not what is compared. The tests need ``dirty-equals``, ``inline-snapshot`` and ``coverage``
besides the test extra. Exit status 0 when every test that passed before passes after.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from async_migrate.config import Settings
from async_migrate.runner import migrate
from async_migrate.source import write_atomically

TESTS_DIR = Path(__file__).resolve().parents[1] / "tests"
PROJECTS = {
    "fastapi": ("docs_src/sql_databases", "tests/test_tutorial/test_sql_databases"),
    "sqlmodel": ("docs_src/tutorial/fastapi", "tests/test_tutorial/test_fastapi"),
}

# The patterns of docs/db-session.md, "Tests": (what a test wrote for the sync engine, what it
# writes for the async one)
ENGINE_OVERRIDE = [
    (r'(\w+)\.sqlite_url = "sqlite://"', r'\1.sqlite_url = "sqlite+aiosqlite://"'),
    (r"(\w+)\.engine = create_engine\(", r"\1.engine = create_async_engine("),
    (r"(\w+)\.engine\.dispose\(\)", r"\1.engine.sync_engine.dispose()"),
]
INSPECTION = (
    r"( +)insp: Inspector = inspect\((\w+)\.engine\)\n +indexes = insp\.get_indexes\((.+)\)\n",
    "\\1async def read_indexes():\n"
    "\\1    async with \\2.engine.connect() as connection:\n"
    "\\1        table = \\3\n"
    "\\1        return await connection.run_sync(lambda sync: inspect(sync).get_indexes(table))\n\n"
    "\\1indexes = asyncio.run(read_indexes())\n",
)
DIRECT_READ = (r"with Session\((\w+)\.engine\) as session:", "if True:")
DIRECT_GET = (r"(\w+) = session\.get\((\w+)\.Hero, (\w+)\)", r"\1 = client.portal.call(get_hero, \2, \3)")
GET_HERO = """

async def get_hero(module, hero_id):
    async with AsyncSession(module.engine) as session:
        return await session.get(module.Hero, hero_id)
"""


def adapt_test(text: str) -> str:
    """``text`` with the documented patterns applied (unchanged when none applies)."""
    new = text
    for pattern, replacement in ENGINE_OVERRIDE:
        new = re.sub(pattern, replacement, new)
    new, inspected = re.subn(*INSPECTION, new)
    new, opened = re.subn(*DIRECT_READ, new)
    if opened:
        new = re.sub(*DIRECT_GET, new)
        new = new.replace("\n\n@pytest.fixture", GET_HERO + "\n\n@pytest.fixture", 1)
        new = "from sqlmodel.ext.asyncio.session import AsyncSession\n" + new
    if inspected:
        new = "import asyncio\n" + new
    if new != text:
        new = "from sqlalchemy.ext.asyncio import create_async_engine\n" + new
    return new


def run_tests(root: Path, tests: str, *extra: str) -> tuple[int, int, str]:
    """(passed, failed) of ``tests`` run in ``root``, and pytest's last line."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(TESTS_DIR)])}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        "-p",
        "no:warnings",
        "-W",
        "ignore::pytest.PytestConfigWarning",
        *extra,
        tests,
    ]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    log = root.parent / f"{root.name}-{'-'.join(extra).replace(':', '') or 'plain'}.log"
    with log.open("a") as out:
        out.write(done.stdout + done.stderr)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]
    passed = int(m.group(1)) if (m := re.search(r"(\d+) passed", last)) else 0
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|error)", last))
    return passed, failed, last


def check(name: str, source: Path, work: Path) -> bool:
    docs, tests = PROJECTS[name]
    root = work / f"{name}-copy"  # not named like the package it tests (a namespace package)
    shutil.rmtree(root, ignore_errors=True)
    for part in ("docs_src", "tests", "pyproject.toml"):
        if (source / part).is_dir():
            shutil.copytree(source / part, root / part)
        elif (source / part).exists():
            shutil.copy(source / part, root / part)
    before = run_tests(root, tests)
    blocked_before = run_tests(root, tests, "-p", "blockbuster_plugin")
    result = migrate([root / docs], Settings(db_session="async"))
    for change in result.changes:
        write_atomically(change.source, change.new_text)
    converted = sum(d.verdict.value == "converted" for d in result.plan.decisions)
    kept = sum(d.verdict.value == "kept sync" for d in result.plan.decisions)
    packages = {".".join(c.path.relative_to(root).parent.parts) for c in result.changes}
    adapted = []
    for test in sorted((root / tests).rglob("*.py")):
        text = test.read_text()
        if not any(f"{package}." in text or f'"{package}"' in text for package in packages):
            continue
        new = adapt_test(text)
        if new != text:
            test.write_text(new)
            shown = test.relative_to(root).as_posix()
            adapted.append(
                "".join(difflib.unified_diff(text.splitlines(True), new.splitlines(True), shown, shown))
            )
    after = run_tests(root, tests)
    blocked_after = run_tests(root, tests, "-p", "blockbuster_plugin")
    print(f"== {name}: {docs}")
    print(
        f"migrated: {len(result.changes)} files rewritten, {converted} functions converted, {kept} kept sync"
    )
    print(f"tests adapted by the documented patterns: {len(adapted)} files")
    print(f"before:                 {before[0]} passed, {before[1]} failed   ({before[2]})")
    print(f"after:                  {after[0]} passed, {after[1]} failed   ({after[2]})")
    print(f"before, blockbuster on: {blocked_before[0]} passed, {blocked_before[1]} failed")
    print(f"after, blockbuster on:  {blocked_after[0]} passed, {blocked_after[1]} failed")
    (work / f"{name}-tests.diff").write_text("".join(adapted))
    return before[0] > 0 and after[0] >= before[0] and after[1] <= before[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fastapi", type=Path, help="FastAPI source tree (sdist)")
    parser.add_argument("--sqlmodel", type=Path, help="SQLModel source tree")
    parser.add_argument("--keep", type=Path, help="work dir to keep (else a temporary one)")
    arguments = parser.parse_args()
    work = arguments.keep or Path(tempfile.mkdtemp(prefix="db-session-"))
    work.mkdir(parents=True, exist_ok=True)
    same = True
    for name in PROJECTS:
        source = getattr(arguments, name)
        if source is not None:
            same &= check(name, source, work)
    print(f"work dir: {work} (the adapted tests' diffs are there)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
