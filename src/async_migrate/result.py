"""What a run produced: the plan, the new text of each file and what went wrong, apart from the
pipeline that computes it (``runner.py``), so that the reporters and the CLI that render it
don't depend on the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .plan import Plan
from .source import SourceError, SourceFile


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
    undeclared: tuple[str, ...] = ()
    """Distributions the rewritten code needs that the project's dependency files don't name."""
    without_fastapi: bool = False
    """No file of the project mentions FastAPI: nothing was parsed, there is nothing to do."""
    planned: list[Path] | None = None
    """The files the plan rewrites, when the run stopped at the plan (no new text computed)."""
    inputs: tuple[Path, ...] = ()
    """Every file found for the run, read or not: none may be overwritten by a report."""

    @property
    def changed_paths(self) -> list[Path]:
        """The files rewritten, or that the plan would rewrite when the run stopped at it."""
        return self.planned if self.planned is not None else [change.path for change in self.changes]
