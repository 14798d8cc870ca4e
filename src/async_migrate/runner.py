"""The pipeline: discover → index → decide → rewrite, as one pure-ish run over the files.

Nothing here prints or writes: the CLI decides what to do with the result (write in place,
print a diff, exit 1 for --check) and the reporters render it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import Settings
from .decide import decide
from .discovery import discover
from .index import build_index
from .plan import Plan
from .rewrite import RewriteError, apply_edits
from .source import SourceError, SourceFile, read_source


@dataclass(frozen=True)
class FileChange:
    source: SourceFile
    new_text: str

    @property
    def path(self) -> Path:
        return self.source.path


@dataclass
class RunResult:
    plan: Plan
    changes: list[FileChange]
    errors: list[SourceError] = field(default_factory=list)
    files_checked: int = 0


def migrate(paths: list[Path], settings: Settings) -> RunResult:
    """Everything the tool would do to ``paths``, computed without touching the disk."""
    found = discover(paths, settings)
    rewritable: list[SourceFile] = []
    errors: list[SourceError] = []
    errors.extend(SourceError(path, reason) for path, reason in found.refused)
    for path in found.rewritable:
        try:
            rewritable.append(read_source(path))
        except SourceError as error:
            errors.append(error.detached())
    context = [source for source in map(_readable, found.context) if source is not None]
    catalog = settings.catalog()
    index = build_index([*rewritable, *context], catalog)
    targets = {source.path for source in rewritable}
    # a file outside the given paths can't fail the run: it is only read for context
    errors.extend(error for error in index.errors if error.path in targets)
    by_path = {source.path: source for source in rewritable}
    frozen: set[Path] = {source.path for source in context}
    while True:
        # a file whose rewrite fails is frozen as it is, and the plan redone without it, so that
        # no other file awaits a function that stayed sync
        plan = decide(index, catalog, frozen=frozenset(frozen), keep_sync=settings.keep_sync)
        changes, failures = _rewrite(plan, by_path)
        if not failures:
            break
        for path, error in failures.items():
            frozen.add(path)
            errors.append(SourceError(path, str(error)))
    plan.decisions = [decision for decision in plan.decisions if decision.location.path in targets]
    errors.sort(key=lambda error: (str(error.path), error.line or 0))
    return RunResult(plan, changes, errors, len(found.rewritable))


def _readable(path: Path) -> SourceFile | None:
    try:
        return read_source(path)
    except SourceError:
        return None


def _rewrite(
    plan: Plan, sources: dict[Path, SourceFile]
) -> tuple[list[FileChange], dict[Path, RewriteError]]:
    changes: list[FileChange] = []
    failures: dict[Path, RewriteError] = {}
    for path in sorted(plan.edits):
        source = sources[path]
        try:
            new_text = apply_edits(source.text, plan.edits[path], plan.first_party)
        except RewriteError as error:
            failures[path] = error
            continue
        except Exception as error:  # a bug of ours must cost one file, not the run
            failures[path] = RewriteError(
                f"internal error ({type(error).__name__}: {error}); please report it"
            )
            continue
        if new_text != source.text:
            changes.append(FileChange(source, new_text))
    return changes, failures
