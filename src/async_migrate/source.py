"""Reading and writing user files without losing a byte we did not mean to change.

Files are read as bytes and decoded with the encoding Python itself would use (BOM or coding
cookie), so the text round-trips; line endings are never translated. Writes go to a temporary
file in the same directory that replaces the original in one ``os.replace``, so a crash leaves
either the old file or the new one, never half of each; a file that replacing would harm (another
user's, one with other hard links, one changed since it was read) is refused instead.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import stat
import tempfile
import tokenize
from collections.abc import Callable, Iterable
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
class Stamp:
    """What says a file is still the one that was read: replaced (inode), rewritten (size,
    mtime) or not."""

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> Stamp:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    raw: bytes
    text: str
    encoding: str
    stamp: Stamp | None = None
    """The file as it was when read (taken before reading, so a write during the read shows)."""

    def encode(self, text: str) -> bytes:
        return text.encode(self.encoding)

    def unfaithful(self) -> str | None:
        """Why writing this file would change bytes no edit touches, if it would: its encoding
        does not give back the bytes read (``unicode_escape`` turns escapes into characters)."""
        try:
            same = self.encode(self.text) == self.raw
        except UnicodeError:
            same = False
        return None if same else f"encoding {self.encoding} does not give back its bytes; left unchanged"


NOT_REGULAR = "not a regular file (a FIFO, socket or device); skipped, never opened"


def read_regular(path: str | Path) -> bytes:
    """The bytes of ``path`` if it is a regular file, else ``OSError``."""
    return read_regular_stamped(path)[0]


def read_regular_stamped(path: str | Path) -> tuple[bytes, os.stat_result]:
    """The bytes of ``path`` and the status of what was read, if it is a regular file, else
    ``OSError``.

    A FIFO named ``*.py`` would make ``open`` wait forever for a writer, a device would be read
    forever, and opening some devices acts on them: such files are never opened. Opened without
    blocking and checked again on the open descriptor, so a file swapped for a FIFO after the
    first check can't hang the run either."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, NOT_REGULAR)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, NOT_REGULAR)
        return handle.read(), info


def read_source(path: Path) -> SourceFile:
    try:
        raw, info = read_regular_stamped(path)
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
    return SourceFile(path, raw, text, encoding, Stamp.of(info))


CHANGED = "file changed on disk while it was being migrated; left unchanged"


def write_problem(source: SourceFile) -> str | None:
    """Why ``source`` can't be replaced by a new file that keeps everything else about it.

    A file the running user can't write is read-only (whatever its mode bits say: the folder may
    let anyone rename over it); a file with other hard links would leave them on the old text;
    a new file would have the running user as owner, which only root can change.
    """
    target = os.path.realpath(source.path)
    try:
        info = os.stat(target)
    except OSError as exc:
        return f"cannot write: {exc.strerror or exc}"
    if source.stamp is not None and Stamp.of(info) != source.stamp:
        return CHANGED
    if not _can_write(target):
        return "file is read-only for this user; left unchanged"
    if not _can_write(os.path.dirname(target)):
        return "its folder is read-only for this user; left unchanged"
    if info.st_nlink > 1:
        return f"file has {info.st_nlink} hard links, which would keep the old text; left unchanged"
    if not _can_own(info):
        return "file belongs to another user or group, which a rewrite would change; left unchanged"
    return None


def _can_write(path: str) -> bool:
    effective = os.access in os.supports_effective_ids
    return os.access(path, os.W_OK, effective_ids=effective)


def _can_own(info: os.stat_result) -> bool:
    """Whether a file this process creates can be given ``info``'s owner and group."""
    if not hasattr(os, "geteuid") or os.geteuid() == 0:
        return True
    return info.st_uid == os.geteuid() and info.st_gid in {os.getegid(), *os.getgroups()}


def write_atomically(source: SourceFile, new_text: str) -> None:
    """Replace ``source.path`` with ``new_text``, keeping its permission bits, owner and group.

    Refuses what ``write_problem`` refuses, and a file changed on disk since it was read, checked
    once more right before the rename, so that nobody's edit is overwritten.
    """
    problem = write_problem(source)
    if problem is not None:
        raise SourceError(source.path, problem)
    target = Path(os.path.realpath(source.path))
    try:
        info = target.stat()
        current = target.read_bytes()
    except OSError as exc:
        raise SourceError(source.path, f"cannot write: {exc.strerror or exc}") from exc
    if current != source.raw:
        raise SourceError(source.path, CHANGED)

    def unchanged() -> bool:
        return source.stamp is None or Stamp.of(target.stat()) == source.stamp

    try:
        replace_atomically(target, source.encode(new_text), info, unchanged)
    except OSError as exc:
        raise SourceError(source.path, f"cannot write: {exc.strerror or exc}") from exc
    except Changed as exc:
        raise SourceError(source.path, CHANGED) from exc


class Changed(Exception):
    """The file to replace changed while its replacement was being written."""


def replace_atomically(
    target: Path, data: bytes, like: os.stat_result | None, unchanged: Callable[[], bool] = lambda: True
) -> None:
    """Write ``data`` to a temporary file beside ``target`` and rename it over ``target``.

    The new file gets ``like``'s mode, owner and group (or the umask's mode when None). The
    temporary file never outlives this call; ``unchanged`` runs right before the rename, and
    ``Changed`` is raised when it says no.
    """
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        if like is None:
            mode = 0o666 & ~_umask()
        else:
            mode = stat.S_IMODE(like.st_mode)
            if hasattr(os, "chown") and _owner(tmp_name) != (like.st_uid, like.st_gid):
                os.chown(tmp_name, like.st_uid, like.st_gid)  # before chmod: chown clears setuid
        os.chmod(tmp_name, mode)
        if not unchanged():
            raise Changed(str(target))
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _owner(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_uid, info.st_gid


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def report_problem(path: Path, inputs: Iterable[Path]) -> str | None:
    """Why a report can't replace ``path``: it is one of the run's input files (a hard link to one
    too), a symlink (the report would land wherever it points), not a regular file, or in a
    folder that can't take the temporary file (found before the run writes anything else)."""
    folder = path.parent
    if not folder.is_dir() or not _can_write(str(folder)):
        return "is in a folder that doesn't exist or can't be written"
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot write the report: {exc.strerror or exc}"
    if stat.S_ISLNK(info.st_mode):
        return "is a symlink; the report is not written through it"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    for source in inputs:
        with contextlib.suppress(OSError):
            if os.path.samestat(os.stat(source), info):
                return f"is {source}, one of the files the run reads"
    return None


def write_report(path: Path, text: str) -> None:
    """Replace ``path`` (which ``report_problem`` accepted) with ``text`` in one rename."""
    try:
        like = os.stat(path)
    except FileNotFoundError:
        like = None
    replace_atomically(path, text.encode("utf-8"), like)
