"""Reading and writing user files without losing a byte we did not mean to change.

Files are read as bytes and decoded with the encoding Python itself would use (BOM or coding
cookie), so the text round-trips; line endings are never translated. Writes go to a temporary
file in the same directory that replaces the original in one ``os.replace``, so a crash leaves
either the old file or the new one, never half of each.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split where Python's tokenizer splits (not at form feeds)."""
    lines = _LINE.findall(text)
    return lines[:-1] if lines and lines[-1] == "" else lines


class SourceError(Exception):
    """A file that cannot be processed; ``line`` is 1-based when known."""

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        return f"{where}: {self.reason}"

    def detached(self) -> SourceError:
        """This error without its traceback and cause, whose frames would keep alive every
        object the failing code could reach (all the parsed trees, in the index)."""
        self.__traceback__ = self.__cause__ = self.__context__ = None
        return self


@dataclass(frozen=True)
class SourceFile:
    path: Path
    raw: bytes
    text: str
    encoding: str

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)


NOT_REGULAR = "not a regular file (a FIFO, socket or device); skipped, never opened"


def read_regular(path: str | Path) -> bytes:
    """The bytes of ``path`` if it is a regular file, else ``OSError``.

    A FIFO named ``*.py`` would make ``open`` wait forever for a writer, a device would be read
    forever, and opening some devices acts on them: such files are never opened. Opened without
    blocking and checked again on the open descriptor, so a file swapped for a FIFO after the
    first check can't hang the run either."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, NOT_REGULAR)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR)
        return handle.read()


def read_source(path: Path) -> SourceFile:
    try:
        raw = read_regular(path)
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from exc
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        raise SourceError(path, f"cannot decode: {exc.msg}", exc.lineno) from exc
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(path, f"cannot decode as {encoding}: {exc.reason}", line) from exc
    except (LookupError, ValueError) as exc:  # a cookie naming a codec that isn't text (hex, rot13)
        raise SourceError(path, f"cannot decode as {encoding}: {exc}") from exc
    return SourceFile(path, raw, text, encoding)


def write_atomically(source: SourceFile, new_text: str) -> None:
    """Replace ``source.path`` with ``new_text``, keeping its permission bits.

    Refuses when the file is read-only or changed on disk since it was read, so that nobody's
    edit is overwritten.
    """
    target = Path(os.path.realpath(source.path))
    try:
        info = target.stat()
    except OSError as exc:
        raise SourceError(source.path, f"cannot write: {exc.strerror or exc}") from exc
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        raise SourceError(source.path, "file is read-only; left unchanged")
    try:
        current = target.read_bytes()
    except OSError as exc:
        raise SourceError(source.path, f"cannot write: {exc.strerror or exc}") from exc
    if current != source.raw:
        raise SourceError(source.path, "file changed on disk while it was being migrated")
    data = source.encode(new_text)
    try:
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise SourceError(source.path, f"cannot write: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.chmod(tmp_name, stat.S_IMODE(info.st_mode))
        os.replace(tmp_name, target)
    except OSError as exc:
        Path(tmp_name).unlink(missing_ok=True)
        raise SourceError(source.path, f"cannot write: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
