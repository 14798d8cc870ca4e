"""Which files to rewrite (the given paths) and which to analyse (the whole project around them).

A helper called from a script elsewhere in the project must stay sync even when only the API
folder is migrated, so the analysis sees the project: the nearest folder above the first path
with a ``pyproject.toml``, ``setup.cfg``, ``setup.py`` or ``.git``. ``.gitignore`` and tool
folders (virtualenvs, ``site-packages``, ``build``...) apply to both; excludes only to the files
rewritten, since an excluded script or test still calls the code that is.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pathspec

from .config import Settings
from .source import NOT_REGULAR

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
    """Given files the tool won't touch, with the reason (a symlink out of the given paths, a
    FIFO or device)."""


def project_root(paths: list[Path]) -> Path | None:
    """The nearest folder above the first path that marks a project, unless that project's
    ``.gitignore`` ignores the path (the path then is not part of it: a virtualenv, a checkout
    of tools such as pyenv)."""
    first = paths[0].resolve()
    start = first if first.is_dir() else first.parent
    for folder in [start, *start.parents]:
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            folders = [folder, *_between(folder, first)]
            ignores = [(os.path.join(f, ""), spec) for f in folders if (spec := _gitignore(f))]
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
    # a walk never follows symlinks; a file named on the command line may be one, and it is
    # rewritten through only when its target is inside the given paths
    targets = [Path(os.path.realpath(path) if path.is_dir() else os.path.abspath(path)) for path in paths]
    refused = [
        (path, "a symlink to a file outside the given paths; left unchanged")
        for path in paths
        if path.is_symlink()
        and path.is_file()
        and not any(Path(os.path.realpath(path)).is_relative_to(t) for t in targets)
    ]
    refused += [(path, NOT_REGULAR) for path in paths if not (path.is_dir() or path.is_file())]
    refused_paths = {path for path, _ in refused}
    rewritable = [path for path in found if path not in refused_paths]
    root = project_root(paths)
    context: list[Path] = []
    root_given = root is not None and any(os.path.samefile(path, root) for path in paths if path.is_dir())
    if settings.exclude or (root is not None and not root_given):
        # excluded files are left unwritten, not unread: a script or a test they hold still
        # calls the code that is rewritten
        tops = [_near(root)] if root is not None else [path for path in paths if path.is_dir()]
        given = {os.path.abspath(path) for path in rewritable}
        context = [
            path
            for path in _python_files(tops, replace(settings, exclude=()))
            if os.path.abspath(path) not in given
        ]
    return Discovery(rewritable, context, refused)


def _near(folder: Path) -> Path:
    """``folder`` relative to the working directory when it is around it, so messages stay short."""
    here = Path.cwd().resolve()
    if here.is_relative_to(folder) or folder.is_relative_to(here):
        return Path(os.path.relpath(folder, here))
    return folder


def _python_files(paths: list[Path], settings: Settings) -> list[Path]:
    """Python files under ``paths`` (files given by name are always included), sorted.

    Walked as strings with ``os.scandir``: pathlib objects for every file cost more than the
    walk itself on a big project."""
    excluded = pathspec.GitIgnoreSpec.from_lines(settings.exclude)
    included = pathspec.GitIgnoreSpec.from_lines(settings.include or ["*.py"])
    base = os.path.abspath(settings.root or Path.cwd()) + os.sep
    found: set[Path] = set()
    for path in paths:
        if path.is_file():
            found.add(path)
            continue
        if not path.is_dir():  # a FIFO or device: refused by name, never opened
            continue
        top = str(path)
        # every file found is ``top`` + a rest: when ``top`` is inside the root, made absolute
        # once (the root may also be inside ``top``: then each file is placed on its own)
        prefix = _relative(os.path.join(os.path.abspath(top), ""), base)
        for candidate in _walk(top, settings.respect_gitignore):
            if prefix is not None:
                relative = prefix + candidate[len(top) :].lstrip(os.sep).replace(os.sep, "/")
            else:
                relative = _relative(os.path.abspath(candidate), base) or candidate
            if included.match_file(relative) and not excluded.match_file(relative):
                found.add(Path(candidate))
    return sorted(found, key=lambda path: path.parts)


def _relative(absolute: str, folder: str) -> str | None:
    """``absolute`` relative to ``folder`` (which ends with a separator), or None if outside."""
    return absolute[len(folder) :].replace(os.sep, "/") if absolute.startswith(folder) else None


def _walk(top: str, respect_gitignore: bool) -> Iterator[str]:
    """Regular files under ``top``, in order, skipping symlinks, FIFOs, devices, tool folders and
    ignored paths."""
    ignores: list[tuple[str, pathspec.PathSpec]] = []
    if respect_gitignore:
        ignores = [(folder, spec) for folder in _git_ancestors(top) if (spec := _gitignore(folder))]
    yield from _walk_folder(top, ignores, respect_gitignore)


def _walk_folder(
    folder: str, ignores: list[tuple[str, pathspec.PathSpec]], respect_gitignore: bool
) -> Iterator[str]:
    if respect_gitignore and (spec := _gitignore(folder)):
        ignores = [*ignores, (os.path.abspath(folder) + os.sep, spec)]
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return
    subfolders = []
    for entry in entries:
        if entry.is_symlink():
            continue
        if entry.is_dir():
            if _wanted_folder(entry.name) and not _ignored(ignores, entry.path, is_dir=True):
                subfolders.append(entry.path)
        elif entry.is_file(follow_symlinks=False) and not _ignored(ignores, entry.path):
            yield entry.path
    for subfolder in subfolders:
        yield from _walk_folder(subfolder, ignores, respect_gitignore)


def _wanted_folder(name: str) -> bool:
    return name not in SKIPPED_FOLDERS and not name.endswith(".egg-info")


def _git_ancestors(top: str) -> list[str]:
    """Folders (with a trailing separator) from the enclosing git work tree's root down to
    ``top``'s parent."""
    absolute = Path(os.path.abspath(top))
    chain = [absolute, *absolute.parents]
    for position, folder in enumerate(chain):
        if (folder / ".git").exists():
            return [os.path.join(str(f), "") for f in reversed(chain[1 : position + 1])]
    return []


def _gitignore(folder: str | Path) -> pathspec.PathSpec | None:
    path = os.path.join(folder, ".gitignore")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return pathspec.GitIgnoreSpec.from_lines(file.read().splitlines())
    except (OSError, ValueError):
        return None


def _ignored(ignores: list[tuple[str, pathspec.PathSpec]], path: str | Path, is_dir: bool = False) -> bool:
    if not ignores:
        return False
    absolute = os.path.abspath(path)
    for folder, spec in ignores:
        relative = _relative(absolute, folder)
        if relative is not None and spec.match_file(relative + "/" if is_dir else relative):
            return True
    return False
