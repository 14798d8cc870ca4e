"""Which files can matter to the migration, told from their text before anything is parsed.

On a big project most modules never touch FastAPI code, and parsing and indexing them is most of
the cost of a run. A module matters when it can hold an entry point (it mentions ``fastapi``),
when entry points can reach its functions (a module that matters imports it), or when it can
call or re-export a function that might convert (it imports a module that matters). Imports are
read from the text: every word of every statement that mentions ``import``, matched against the
last name of each module of the project. That over-approximates (a word may match a module it
doesn't import), which costs only time; it never misses an import, relative, aliased,
parenthesised, continued or nested in a function, since each names the module it imports or a
package on the way to it, and packages on the way are kept too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

_IMPORT_STATEMENT = re.compile(r"^.*\bimport\b(?:\([^)]*\)|\\\r?\n|.)*", re.MULTILINE)
"""A line that mentions ``import``, with what a parenthesis or a backslash carries over."""
_WORD = re.compile(r"\w+")


def relevant_files(paths: Sequence[Path], texts: Sequence[str]) -> list[bool]:
    """For each file, whether the migration needs to read it (``texts[i]`` is ``paths[i]``'s)."""
    stems = [_stem(path) for path in paths]
    by_stem: dict[str, list[int]] = {}
    for position, stem in enumerate(stems):
        by_stem.setdefault(stem, []).append(position)
    imported = [_imported_words(text) for text in texts]
    importers: dict[str, list[int]] = {}
    for position, words in enumerate(imported):
        for word in words:
            importers.setdefault(word, []).append(position)
    packages = _packages(paths)

    relevant = [False] * len(paths)
    pending = [position for position, text in enumerate(texts) if "fastapi" in text]
    while pending:
        position = pending.pop()
        if relevant[position]:
            continue
        relevant[position] = True
        pending.extend(importers.get(stems[position], ()))  # who imports it
        for word in imported[position]:  # what it imports
            pending.extend(by_stem.get(word, ()))
        pending.extend(packages.get(position, ()))
    return relevant


def _stem(path: Path) -> str:
    """The name a module is imported by, last part only (a package's is its folder's)."""
    return path.parent.name if path.name == "__init__.py" else path.stem


def _imported_words(text: str) -> frozenset[str]:
    if "import" not in text:
        return frozenset()
    return frozenset(word for match in _IMPORT_STATEMENT.finditer(text) for word in _WORD.findall(match[0]))


def _packages(paths: Sequence[Path]) -> dict[int, list[int]]:
    """For each file, the ``__init__.py`` files of the folders above it (importing a module runs
    them, and name resolution goes through them)."""
    inits = {path.parent: position for position, path in enumerate(paths) if path.name == "__init__.py"}
    packages: dict[int, list[int]] = {}
    for position, path in enumerate(paths):
        above = [inits[folder] for folder in path.parents if folder in inits]
        if above:
            packages[position] = above
    return packages
