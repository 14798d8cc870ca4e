"""Which files can matter to the migration, told from their text before anything is parsed.

On a big project most modules never touch FastAPI code, and parsing and indexing them is most of
the cost of a run. A module matters when it can hold an entry point (it mentions ``fastapi``),
when entry points can reach its functions (a module that matters imports it), or when it can
call or re-export a function that might convert (it imports a module that matters). Imports are
read from the text: every word of every import statement, matched against the last name of each
module of the project. That over-approximates (a word may match a module it
doesn't import), which costs only time; it never misses an import, relative, aliased,
parenthesised, continued or nested in a function, since each names the module it imports or a
package on the way to it, and packages on the way are kept too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

_BEFORE_IMPORT = re.compile(r"(?:.*[;:])?[ \t]*(?:from[ \t]+[.\w]+[ \t]+)?")
"""What may precede ``import`` on its line: indentation, ``from pkg``, or another statement."""
_REST_OF_STATEMENT = re.compile(r"(?:\([^)]*\)|\\(?:\r\n?|\n)|[^\r\n;])*")
"""To the end of the statement, through what parentheses and backslashes carry over."""
_WORD = re.compile(r"\w+")


def relevant_files(
    paths: Sequence[Path], seeds: Sequence[bool], imported: Sequence[frozenset[str]]
) -> list[bool]:
    """For each file, whether the migration needs to read it: ``seeds[i]`` says that ``paths[i]``
    mentions ``fastapi``, ``imported[i]`` is what ``imported_words`` found in it."""
    stems = [_stem(path) for path in paths]
    by_stem: dict[str, list[int]] = {}
    for position, stem in enumerate(stems):
        by_stem.setdefault(stem, []).append(position)
    importers: dict[str, list[int]] = {}
    for position, words in enumerate(imported):
        for word in words:
            importers.setdefault(word, []).append(position)
    packages = _Packages(paths)

    relevant = [False] * len(paths)
    pending = [position for position, seed in enumerate(seeds) if seed]
    while pending:
        position = pending.pop()
        if relevant[position]:
            continue
        relevant[position] = True
        pending.extend(importers.get(stems[position], ()))  # who imports it
        for word in imported[position]:  # what it imports
            pending.extend(by_stem.get(word, ()))
        pending.extend(packages.above(position))
    return relevant


def imported_words(text: str) -> frozenset[str]:
    """Every word of every import statement of ``text`` (and a little more: the statement before
    an ``import`` on the same line). Found with ``str.find``: a regular expression tried at every
    position of the text is ten times slower on the standard library."""
    words: set[str] = set()
    position = text.find("import")
    while position != -1:
        start = max(text.rfind("\n", 0, position), text.rfind("\r", 0, position)) + 1
        after = position + len("import")
        if _BEFORE_IMPORT.fullmatch(text, start, position) and not _is_word_character(text, after):
            end = _REST_OF_STATEMENT.match(text, after).end()  # type: ignore[union-attr]
            words.update(_WORD.findall(text, start, end))
            position = text.find("import", end)
        else:
            position = text.find("import", after)
    return frozenset(words)


def _is_word_character(text: str, position: int) -> bool:
    return position < len(text) and (text[position].isalnum() or text[position] == "_")


def _stem(path: Path) -> str:
    """The name a module is imported by, last part only (a package's is its folder's)."""
    return path.parent.name if path.name == "__init__.py" else path.stem


class _Packages:
    """The ``__init__.py`` files of the packages each file is in (importing a module runs them,
    and name resolution goes through them). Compared as absolute paths: the given files and the
    project around them may be named from different places. Worked out only for the files that
    turn out to matter."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self._paths = paths
        self._inits = {
            os.path.dirname(os.path.abspath(path)): position
            for position, path in enumerate(paths)
            if path.name == "__init__.py"
        }

    def above(self, position: int) -> list[int]:
        folder = os.path.dirname(os.path.abspath(self._paths[position]))
        found: list[int] = []
        while folder in self._inits and self._inits[folder] not in found:  # a root is its own parent
            found.append(self._inits[folder])
            folder = os.path.dirname(folder)
        return found
