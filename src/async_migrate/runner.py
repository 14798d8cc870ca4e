"""The pipeline: discover → index → decide → rewrite, as one pure-ish run over the files.

Nothing here prints or writes: the CLI decides what to do with the result (write in place,
print a diff, exit 1 for --check) and the reporters render it.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .config import Settings
from .decide import decide
from .deep import REWRITE_DEPTH, tree_depth
from .discovery import Discovery, discover, project_root
from .index import build_index
from .plan import Edit, Plan
from .relevance import imported_words, relevant_files
from .result import FileChange, RunResult
from .source import SourceError, SourceFile, read_regular, read_source, write_problem
from .swaps.sqlalchemy.plan import sync_session_users


def migrate(
    paths: list[Path],
    settings: Settings,
    *,
    jobs: int = 1,
    on_file: Callable[[], None] = lambda: None,
    rewrite: bool = True,
    writing: bool = False,
) -> RunResult:
    """Everything the tool would do to ``paths``, computed without touching the disk.

    ``jobs``: worker processes for the rewrites; ``on_file`` is called as each file is done.
    ``rewrite=False`` stops at the plan, for answers that need no new text (``--check``): the
    plan alone says which files change, and libcst, most of a run's time, is never loaded.
    ``writing``: the changes will be written, so files that can't be are left out of the plan.
    """
    found = discover(paths, settings)
    errors: list[SourceError] = [SourceError(path, reason) for path, reason in found.refused]
    sources = _read_relevant(found, errors)
    if sources is None:
        return RunResult(
            Plan([], {}), [], errors, len(found.rewritable), without_fastapi=True, inputs=_inputs(found)
        )
    rewritable, context = sources
    catalog = settings.catalog()
    index = build_index([*rewritable, *context], catalog)
    targets = {source.path for source in rewritable}
    # a file outside the given paths can't fail the run: it is only read for context
    errors.extend(error for error in index.errors if error.path in targets)
    by_path = {source.path: source for source in rewritable}
    frozen: set[Path] = {source.path for source in context}
    trees = {module.path: module.tree for module in index.modules.values()}
    while True:
        # a file whose rewrite fails (or can't be written) is frozen as it is, and the plan redone
        # without it, so that no other file awaits a function that stayed sync
        plan = decide(
            index,
            catalog,
            frozen=frozenset(frozen),
            keep_sync=settings.keep_sync,
            options=settings.swap_options(),
            convert_threadpool_only=settings.convert_threadpool_only,
        )
        if settings.db_session == "sync":
            plan.sync_sessions = sync_session_users(plan, index)
        failures = _unwritable(plan, by_path, writing)
        if rewrite and not failures:
            failures = _too_deep(plan, trees)
        changes: list[FileChange] = []
        if rewrite and not failures:
            changes, failures = _rewrite(plan, by_path, jobs, on_file)
        if not failures:
            break
        for path, error in failures.items():
            frozen.add(path)
            errors.append(SourceError(path, str(error)))
    if not rewrite:
        planned = sorted(path for path, edits in plan.edits.items() if edits)
        return _result(plan, [], errors, targets, found, paths, planned)
    return _result(plan, changes, errors, targets, found, paths)


def _too_deep(plan: Plan, trees: dict[Path, ast.Module]) -> dict[Path, str]:
    """libcst would take minutes over a tree thousands deep: such a file is reported instead."""
    deep = [path for path in sorted(plan.edits) if tree_depth(trees[path]) > REWRITE_DEPTH]
    return dict.fromkeys(deep, "too deeply nested for libcst to rewrite; file left unchanged")


def _result(
    plan: Plan,
    changes: list[FileChange],
    errors: list[SourceError],
    targets: set[Path],
    found: Discovery,
    paths: list[Path],
    planned: list[Path] | None = None,
) -> RunResult:
    plan.decisions = [decision for decision in plan.decisions if decision.location.path in targets]
    plan.unresolved = [(where, why) for where, why in plan.unresolved if where.path in targets]
    errors.sort(key=lambda error: (str(error.path), error.line or 0))
    undeclared = _undeclared(project_root(paths), plan.requires) if changes or planned else ()
    return RunResult(
        plan, changes, errors, len(found.rewritable), undeclared, planned=planned, inputs=_inputs(found)
    )


def _inputs(found: Discovery) -> tuple[Path, ...]:
    return (*found.rewritable, *found.context, *(path for path, _ in found.refused))


DEPENDENCY_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "requirements*.txt", "requirements/*.txt")


def _undeclared(root: Path | None, required: frozenset[str]) -> tuple[str, ...]:
    """The required distributions no dependency file of the project mentions by name."""
    if root is None or not required:
        return tuple(sorted(required))
    texts = []
    for pattern in DEPENDENCY_FILES:
        for path in root.glob(pattern):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                texts.append(read_regular(path).decode("utf-8"))
    text = "\n".join(texts)
    return tuple(
        name for name in sorted(required) if not re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", text)
    )


def _read_relevant(
    found: Discovery, errors: list[SourceError]
) -> tuple[list[SourceFile], list[SourceFile]] | None:
    """The files that matter, decoded: those given (to rewrite) and those around them (context).

    ``None`` when no file mentions FastAPI: no entry point can exist, nothing can change, and
    nothing needs parsing. Of the other files only the words of their imports are kept, so that
    memory doesn't grow with the files the run leaves alone.
    """
    files = [*found.rewritable, *found.context]
    seeds, imported = [], []
    for path in files:
        text = _peek(path)
        # a file that can't be read counts as one that matters, so that reading it again says why
        seeds.append(text is None or "fastapi" in text)
        imported.append(frozenset() if text is None else imported_words(text))
    if not any(seeds):
        return None
    needed = relevant_files(files, seeds, imported)  # the others can't reach or be reached from FastAPI
    rewritable: list[SourceFile] = []
    context: list[SourceFile] = []
    for position, path in enumerate(files):
        if not needed[position]:
            continue
        is_target = position < len(found.rewritable)
        try:
            source = read_source(path)
        except SourceError as error:
            if is_target:  # a file outside the given paths can't fail the run
                errors.append(error.detached())
            continue
        (rewritable if is_target else context).append(source)
    return rewritable, context


def _peek(path: Path) -> str | None:
    """The text of a file for the relevance filter (the encoding doesn't matter for its words)."""
    try:
        return read_regular(path).decode("utf-8", "surrogateescape")
    except OSError:
        return None


def _unwritable(plan: Plan, sources: dict[Path, SourceFile], writing: bool) -> dict[Path, str]:
    """The files the plan changes that can't be written back byte for byte outside the edits,
    or (when ``writing``) can't be written at all, with why: checked before anything is written,
    so that a refused file is one the plan already leaves alone."""
    problems = {}
    for path, edits in plan.edits.items():
        if edits:
            source = sources[path]
            problem = source.unfaithful() or (write_problem(source) if writing else None)
            if problem is not None:
                problems[path] = problem
    return problems


PARALLEL_FROM = 8
"""Fewer files than this are rewritten in-process: starting workers would cost more than it saves."""


def _rewrite(
    plan: Plan, sources: dict[Path, SourceFile], jobs: int, on_file: Callable[[], None]
) -> tuple[list[FileChange], dict[Path, str]]:
    """Apply the plan to each file, in parallel with ``jobs`` workers; the result is the same as
    with one (files are handled independently and collected in a fixed order)."""
    paths = sorted(plan.edits)
    work = [(sources[path].text, plan.edits[path], plan.first_party) for path in paths]
    if jobs > 1 and len(work) >= PARALLEL_FROM:
        import multiprocessing  # here: most runs start no workers, and the import costs 25 ms
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
        workers = min(jobs, len(work))
        with ProcessPoolExecutor(workers, context, initializer=_worker, initargs=(os.getpid(),)) as pool:
            outcomes = []
            try:
                with _signals_held():  # until the workers, forked meanwhile, have their own handlers
                    results = pool.map(_apply_one, work, chunksize=max(1, len(work) // (jobs * 4)))
                for outcome in results:
                    outcomes.append(outcome)
                    on_file()
            except BaseException:  # Ctrl-C: the files not yet handed out are never started
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    else:
        outcomes = []
        for item in work:
            outcomes.append(_apply_one(item))
            on_file()
    changes: list[FileChange] = []
    failures: dict[Path, str] = {}
    for path, (new_text, failure) in zip(paths, outcomes, strict=True):
        if failure is not None:
            failures[path] = failure
        elif new_text is not None and new_text != sources[path].text:
            changes.append(FileChange(sources[path], new_text))
    return changes, failures


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait (in this process and in the processes it forks) until the block
    ends; a fork then doesn't run the parent's handler before the worker installs its own."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: workers are spawned, not forked
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _worker(parent: int) -> None:
    """Set up a worker: SIGINT and SIGTERM are the parent's to handle (Ctrl-C reaches the whole
    process group, and so does a CI runner's SIGTERM: a traceback from every worker would bury
    the parent's message, and a pool whose workers died makes Python print errors at exit), and
    the worker exits when the parent dies, even by SIGKILL, rather than wait forever for work."""
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()


def _exit_when_orphaned(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(1)


def _apply_one(item: tuple[str, list[Edit], frozenset[str]]) -> tuple[str | None, str | None]:
    """The rewritten text, or why the file can't be rewritten (plain data: it crosses processes)."""
    from .rewrite import RewriteError, apply_edits  # libcst is loaded only when a file changes

    text, edits, first_party = item
    try:
        return apply_edits(text, edits, first_party), None
    except RewriteError as error:
        return None, str(error)
    except Exception as error:  # a bug of ours must cost one file, not the run
        return None, f"internal error ({type(error).__name__}: {error}); please report it"
