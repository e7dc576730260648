"""Files on disk: atomic writes, owner-only secrets, a lock for read-modify-write, bounded reads.

Every file zkmargin writes goes through `write_atomic`, so a crash or a concurrent reader
never sees half a file. Portfolios and secrets (keys, openings) are written 0600, and a
secret that others may read is refused by `require_private`.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from zkmargin.errors import InputError

MAX_FILE_BYTES = 64 << 20
"""Largest file read (64 MiB): params for 500 instruments × 400 scenarios take about 2 MiB."""


def require_regular_file(path: Path) -> None:
    """Refuse a file sent in that exists but is not a regular file: a FIFO dropped among
    proofs would block its read. (`read_bounded` itself reads pipes, which the commands
    that take one file accept on purpose.)"""
    if path.exists() and not path.is_file():
        raise InputError(f"{path_text(path)}: not a regular file")


def path_text(path: str | os.PathLike) -> str:
    """`path` as text any database and terminal takes: the kernel allows any bytes in a name,
    and bytes that are not UTF-8 (which Python holds as lone surrogates, which neither SQLite
    nor PostgreSQL can store) are written as `\\xff`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def files_under(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Named files, and every file under named directories (hidden entries skipped), oldest
    first (modification time, then path): what `ledger submit` and `ledger open` take in."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += _files_in_tree(path)
        elif os.path.lexists(path):  # a dangling link is one more unreadable file, for the caller to name
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    return sorted(set(found), key=_age)


def _files_in_tree(top: Path) -> Iterator[Path]:
    """Every file under the directory `top`, hidden entries skipped, as `os.walk` finds them
    (links to directories not followed, unreadable directories passed over). The folders
    wait on a list, not on the call stack: Python 3.11's `os.walk` recurses once per level,
    and whoever can make folders in an inbox could nest them past the recursion limit."""
    pending = [top]
    while pending:
        try:
            with os.scandir(pending.pop()) as listing:
                entries = [entry for entry in listing if not entry.name.startswith(".")]
        except OSError:
            continue
        for entry in entries:
            if not _is_directory(entry):
                yield Path(entry.path)
            elif not os.path.islink(entry.path):
                pending.append(Path(entry.path))


def _is_directory(entry: os.DirEntry) -> bool:
    """Whether `entry` is a directory or a link to one (not a file, whether or not the walk enters it)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _age(path: Path) -> tuple[float, str]:
    try:
        return path.stat().st_mtime, str(path)
    except OSError:
        return 0.0, str(path)


def read_bounded(path: Path, what: str, kind: str) -> bytes:
    """The bytes of `path`, refusing more than MAX_FILE_BYTES (a /dev/zero never ends)."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(f"no such file: {path_text(path)}") from None
    except IsADirectoryError:
        raise InputError(f"{what}: is a directory, not {kind}") from None
    except OSError as error:
        raise InputError(f"{what}: cannot read: {error.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"{what}: larger than {MAX_FILE_BYTES >> 20} MiB, not {kind} zkmargin reads")
    return raw


def write_atomic(
    path: str | os.PathLike, text: str | bytes, *, overwrite: bool = True, private: bool = False
) -> Path:
    """Write `text` (UTF-8) or bytes to `path` so readers see either the old file or the whole new one.

    The text goes to a new temporary file in the same directory, is flushed to disk and
    then renamed over `path`. A replaced file keeps its permissions; a new one gets the
    usual umask permissions. With `private=True` (a portfolio, openings, a key) the file is
    owner-only (0600), new or replaced. With `overwrite=False` an existing file is an `InputError`, decided
    atomically by a hard link. Overwriting through a symlink replaces the file it points
    to, and the link stays: renaming over the link itself would cut it, and the file the
    user meant would never see the new text. A new file is never created through a link, and
    a device, FIFO or directory is never replaced (`InputError`).
    """
    path = Path(path)
    if overwrite and path.is_symlink() and path.exists():
        path = Path(os.path.realpath(path))
    if overwrite and path.exists() and not path.is_file():
        # Renaming over /dev/null (as root) or a FIFO would replace it with a regular file.
        raise InputError(f"{path}: not a regular file (a device, FIFO or directory); name a file to write")
    if not overwrite and os.path.lexists(path):
        raise InputError(f"refusing to overwrite existing file: {path}")
    if not path.parent.is_dir():
        raise InputError(f"no such directory: {path.parent}")
    temporary = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o666)
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8") if isinstance(text, str) else text)
            stream.flush()
            if overwrite and path.exists() and not private:
                os.fchmod(stream.fileno(), path.stat().st_mode & 0o7777)
            os.fsync(stream.fileno())
        if overwrite:
            os.replace(temporary, path)
        else:
            try:
                os.link(temporary, path)
            except FileExistsError:
                raise InputError(f"refusing to overwrite existing file: {path}") from None
    except OSError as error:
        raise InputError(f"{path}: cannot write: {error.strerror}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return path


def require_private(path: str | os.PathLike) -> None:
    """Refuse a secret file that its group or other users may read or write (`InputError`)."""
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read: {error.strerror}") from None
    if mode & 0o077:
        raise InputError(
            f"{path}: is a secret but its permissions are {mode & 0o777:o}, open to other users; "
            f"run `chmod 600 {path}` if nobody else has read it, else make a new one"
        )


@contextmanager
def exclusive(path: str | os.PathLike) -> Iterator[Path]:
    """Hold an exclusive lock for a read-modify-write of `path`; yields the real file's path.

    The lock is taken on a `.NAME.lock` file beside the real file (through symlinks), not on
    the file itself: `write_atomic` replaces the file's inode, and a lock on the old inode
    would let the next writer read the old text and lose this write. Advisory: it orders
    zkmargin's own writers, which is what two `account deposit` runs at once need.
    """
    target = Path(os.path.realpath(path))
    try:
        handle = os.open(target.parent / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise InputError(f"{path}: cannot lock: {error.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield target
    finally:
        os.close(handle)
