"""Atomic file output: every file srzoo writes appears whole or not at all.

A reader (or a crash, or a full disk) sees the previous file or the new one, never half of one:
the data go to a temporary file in the same folder, are flushed to disk, and are renamed over the
target. A failed write removes the temporary file and leaves the old target as it was.

Two files are deliberately not written this way: ``metrics.jsonl`` is an append log (a line torn by
a crash or a full disk is skipped by its reader, and every earlier line stays whole), and a run
folder's lock file (its inode must stay the same for the OS lock on it to mean anything).
"""

from __future__ import annotations

import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from srzoo_core.errors import SrzooError

FULL_DISK = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class WriteError(SrzooError, OSError):
    """A file that could not be written (a full disk, a vanished or read-only folder). It is an
    ``OSError`` (``errno`` kept, ``filename`` the target, not the temporary file) for code that
    handles I/O failures, and an :class:`~srzoo_core.errors.SrzooError`, so a command that does not
    catch it still ends with one message instead of a traceback."""

    def __init__(self, path: str | Path, cause: OSError):
        OSError.__init__(self, cause.errno, cause.strerror or str(cause), str(path))
        self.message = f"cannot write {path}: {cause.strerror or cause}"
        self.hint = "the previous file, if any, is unchanged" + (
            "; free some disk space and run the command again" if cause.errno in FULL_DISK else "")


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems do not support fsync on directories; the rename is still atomic
    finally:
        os.close(fd)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same suffix, so writers that go by the suffix still
    work) that replaces ``path`` when the block ends without an exception. An ``OSError`` (in the
    block or in the rename) becomes a :class:`WriteError` naming ``path``."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent if str(path.parent) else ".")
    except OSError as exc:
        raise WriteError(path, exc) from exc
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the result gets the usual permissions
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(path, exc) from exc
        raise
    fsync_dir(path.parent if str(path.parent) else Path("."))


@contextmanager
def atomic_output(path: str | Path, mode: str = "wb", newline: str | None = None) -> Iterator[IO]:
    """An open file whose contents replace ``path`` atomically when the block ends."""
    with atomic_path(path) as tmp, open(tmp, mode, newline=newline) as handle:
        yield handle


def write_text_atomic(path: str | Path, text: str) -> None:
    with atomic_output(path, "w") as handle:
        handle.write(text)
