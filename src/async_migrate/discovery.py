"""Which files to rewrite (the given paths) and which to analyse (the whole project around them).

A helper called from a script elsewhere in the project must stay sync even when only the API
folder is migrated, so the analysis sees the project: the nearest folder above the first path
with a ``pyproject.toml``, ``setup.cfg``, ``setup.py`` or ``.git``. Excludes, ``.gitignore``
and tool folders (virtualenvs, ``site-packages``, ``build``...) apply to both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from .config import Settings

SKIPPED_FOLDERS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        "build",
        "dist",
        "node_modules",
        "site-packages",
        "__pypackages__",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".eggs",
    }
)


class UsageError(Exception):
    """Bad command-line input; the CLI exits with 2."""


PROJECT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", ".git")


@dataclass(frozen=True)
class Discovery:
    rewritable: list[Path]
    """Python files under the given paths: the only files the tool may change."""
    context: list[Path]
    """The rest of the project: analysed for callers and helpers, never written."""
    refused: list[tuple[Path, str]]
    """Given files the tool won't touch, with the reason (a symlink out of the given paths)."""


def project_root(paths: list[Path]) -> Path | None:
    """The nearest folder above the first path that marks a project, unless that project's
    ``.gitignore`` ignores the path (the path then is not part of it: a virtualenv, a checkout
    of tools such as pyenv)."""
    first = paths[0].resolve()
    start = first if first.is_dir() else first.parent
    for folder in [start, *start.parents]:
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            ignores = [(f, spec) for f in [folder, *_between(folder, first)] if (spec := _gitignore(f))]
            return None if _ignored(ignores, first, is_dir=first.is_dir()) else folder
    return None


def _between(root: Path, path: Path) -> list[Path]:
    """The folders strictly between ``root`` and ``path``."""
    return [folder for folder in path.parents if folder != root and folder.is_relative_to(root)][::-1]


def discover(paths: list[Path], settings: Settings) -> Discovery:
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
    found = _python_files(paths, settings)
    # a symlink is rewritten through only when its target is inside the given paths
    targets = [Path(os.path.realpath(path) if path.is_dir() else os.path.abspath(path)) for path in paths]
    refused = [
        (path, "a symlink to a file outside the given paths; left unchanged")
        for path in found
        if path.is_symlink() and not any(Path(os.path.realpath(path)).is_relative_to(t) for t in targets)
    ]
    rewritable = [path for path in found if path not in {refused_path for refused_path, _ in refused}]
    root = project_root(paths)
    given = {os.path.abspath(path) for path in rewritable}
    around = _python_files([_near(root)], settings) if root else []
    context = [path for path in around if os.path.abspath(path) not in given]
    return Discovery(rewritable, context, refused)


def _near(folder: Path) -> Path:
    """``folder`` relative to the working directory when it is around it, so messages stay short."""
    here = Path.cwd().resolve()
    if here.is_relative_to(folder) or folder.is_relative_to(here):
        return Path(os.path.relpath(folder, here))
    return folder


def _python_files(paths: list[Path], settings: Settings) -> list[Path]:
    """Python files under ``paths`` (files given by name are always included), sorted."""
    excluded = pathspec.GitIgnoreSpec.from_lines(settings.exclude)
    included = pathspec.GitIgnoreSpec.from_lines(settings.include or ["*.py"])
    base = settings.root or Path.cwd()
    found: set[Path] = set()
    for path in paths:
        if path.is_file():
            found.add(path)
            continue
        for candidate in _walk(path, settings.respect_gitignore):
            if _matches(included, candidate, base) and not _matches(excluded, candidate, base):
                found.add(candidate)
    return sorted(found)


def _matches(spec: pathspec.PathSpec, path: Path, base: Path) -> bool:
    try:
        relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(base))
    except ValueError:
        relative = path
    return spec.match_file(relative.as_posix())


def _walk(top: Path, respect_gitignore: bool) -> Iterator[Path]:
    ignores: list[tuple[Path, pathspec.PathSpec]] = []
    if respect_gitignore:
        ignores = [(folder, spec) for folder in _git_ancestors(top) if (spec := _gitignore(folder))]
    for folder, subfolders, files in os.walk(top):
        here = Path(folder)
        if respect_gitignore and (spec := _gitignore(here)) and here not in (f for f, _ in ignores):
            ignores.append((here, spec))
        subfolders[:] = sorted(
            name
            for name in subfolders
            if name not in SKIPPED_FOLDERS
            and not name.endswith(".egg-info")
            and not (here / name).is_symlink()
            and not _ignored(ignores, here / name, is_dir=True)
        )
        for name in sorted(files):
            candidate = here / name
            if not candidate.is_symlink() and not _ignored(ignores, candidate):
                yield candidate


def _git_ancestors(top: Path) -> list[Path]:
    """Folders from the enclosing git work tree's root down to ``top``'s parent."""
    absolute = Path(os.path.abspath(top))
    chain = [absolute, *absolute.parents]
    for position, folder in enumerate(chain):
        if (folder / ".git").exists():
            return list(reversed(chain[1 : position + 1]))
    return []


def _gitignore(folder: Path) -> pathspec.PathSpec | None:
    path = folder / ".gitignore"
    if not path.is_file():
        return None
    try:
        return pathspec.GitIgnoreSpec.from_lines(
            path.read_text(encoding="utf-8", errors="replace").splitlines()
        )
    except (OSError, ValueError):
        return None


def _ignored(ignores: list[tuple[Path, pathspec.PathSpec]], path: Path, is_dir: bool = False) -> bool:
    absolute = Path(os.path.abspath(path))
    for folder, spec in ignores:
        try:
            relative = absolute.relative_to(os.path.abspath(folder)).as_posix()
        except ValueError:
            continue
        if spec.match_file(relative + "/" if is_dir else relative):
            return True
    return False
