"""Unified diffs that ``git apply`` and ``patch -p1`` accept: ``a/``/``b/`` paths, line endings
kept as they are (CRLF included), and the ``No newline at end of file`` marker."""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from .source import split_lines

_NO_NEWLINE = "\\ No newline at end of file\n"


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when it is inside it, with forward slashes."""
    try:
        # abspath, not resolve: a symlink is shown as the link the user named
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(Path.cwd())).as_posix()
    except ValueError:
        return path.as_posix()


def unified_diff(path: Path, old: str, new: str) -> str:
    name = display_path(path)
    lines = difflib.unified_diff(split_lines(old), split_lines(new), f"a/{name}", f"b/{name}")
    out: list[str] = []
    for line in lines:
        if line.startswith(("---", "+++")):
            out.append(line.rstrip("\n") + "\n")
        elif line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n" + _NO_NEWLINE)
    return "".join(out)


def colourize(diff: str) -> str:
    colours = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
    out = []
    for line in diff.splitlines(keepends=True):
        colour = "\033[1m" if line.startswith(("+++", "---")) else colours.get(line[:1])
        out.append(f"{colour}{line.rstrip(os.linesep)}\033[0m\n" if colour else line)
    return "".join(out)
