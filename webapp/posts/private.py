"""Folders and files that only this user (or root) can change, opened without following links.

The search index and the post store live in files that other users of the
host must not read (they hold drafts) or write (the site would show what
they wrote). By default they sit in the shared temporary directory, where
anyone can plant a file, a folder or a link under a name the server will
use. So every folder on the way to such a file is opened one name at a
time from ``/``, each with ``O_NOFOLLOW`` and checked on the open
descriptor (``os.fstat``), never by a second look at the path:

- a folder on the way must belong to this user or root and either be
  unwritable by group and others, or be sticky like ``/tmp`` (there only
  an entry's owner can rename or remove it, and the next name is checked
  in turn);
- the file's own folder must belong to this user or root and be unwritable
  by group and others; folders that are missing are made, mode 0700;
- the file itself, if it exists, must be a regular file (not a link) of
  this user or root; one that group or others could write may hold
  anything, so it is replaced; one they could read is made 0600. SQLite's
  companions (``-wal``, ``-shm``, ``-journal``) get the same checks.

Links among the folders above the file's own folder (``/var/run`` to
``/run``, say) are resolved once, before the walk, and the walk then
checks the folders they lead to.

SQLite is then given the walked path (links resolved) and opens it by name.
That is safe because of what the walk proved: every folder on the path is
one that only this user or root can change, or a sticky folder whose next
entry belongs to this user or root. No one else can rename, remove or
replace any name on the path, so the name SQLite opens is the file that
was checked, now and for as long as the process runs. The file's folder
is unwritable by others, so no one else can plant the ``-wal`` or
``-shm`` files SQLite creates beside it either; SQLite gives those the
main file's mode (0600).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC

#: The files SQLite keeps beside a database.
COMPANIONS = ("-wal", "-shm", "-journal")


class NotPrivate(Exception):
    """A path that other users could have planted or could change, and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _ours(info: os.stat_result) -> bool:
    return info.st_uid in (os.getuid(), 0)


def _what_is(folder_fd: int, name: str) -> str:
    """What ``name`` is, for a message, when it could not be opened as a folder."""
    try:
        info = os.stat(name, dir_fd=folder_fd, follow_symlinks=False)
    except OSError:
        return "it cannot be opened"
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    return "it cannot be opened"


def open_folder(folder: Path) -> tuple[int, Path]:
    """Open ``folder`` after checking every folder on the way; make missing ones 0700.

    Returns its descriptor (the caller closes it) and its path with links
    above it resolved. Raises NotPrivate if anyone else could change what
    is in it.
    """
    folder = Path(os.path.abspath(folder))  # lexically: "..", a relative path
    parent = Path(os.path.realpath(folder.parent))
    names = (*parent.parts[1:], folder.name) if folder.name else ()
    walked = Path("/")
    fd = os.open("/", _FOLDER)
    try:
        for name in names:
            info = os.fstat(fd)
            if not _ours(info):
                raise NotPrivate(walked, "it belongs to another user")
            if info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX:
                raise NotPrivate(walked, "other users can write to it")
            walked = walked / name
            try:
                child = os.open(name, _FOLDER, dir_fd=fd)
            except FileNotFoundError:
                with contextlib.suppress(FileExistsError):  # made meanwhile by another worker
                    os.mkdir(name, 0o700, dir_fd=fd)
                child = os.open(name, _FOLDER, dir_fd=fd)
            except OSError as error:
                if error.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise NotPrivate(walked, _what_is(fd, name)) from None
                raise
            os.close(fd)
            fd = child
        info = os.fstat(fd)
        if not _ours(info):
            raise NotPrivate(walked, "it belongs to another user")
        if info.st_mode & 0o022:
            raise NotPrivate(walked, "other users can write to it")
        return fd, walked
    except BaseException:
        os.close(fd)
        raise


def _check_file(folder_fd: int, folder: Path, name: str) -> bool:
    """Check one existing file of the folder; False if it is missing.

    Raises NotPrivate for a link, a foreign file or anything but a regular
    file; returns True for a file that others could have written (its
    content cannot be trusted), after making a merely readable one 0600.
    """
    try:
        fd = os.open(name, _FILE, dir_fd=folder_fd)
    except FileNotFoundError:
        return False
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotPrivate(folder / name, "it is a symbolic link") from None
        raise NotPrivate(folder / name, f"it cannot be opened ({error.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotPrivate(folder / name, "it is not a regular file")
        if not _ours(info):
            raise NotPrivate(folder / name, "it belongs to another user")
        if info.st_mode & 0o022:
            return True
        if info.st_mode & 0o077:
            try:
                os.fchmod(fd, 0o600)
            except PermissionError:  # root's file, and this process is not root
                raise NotPrivate(folder / name, "other users can read it") from None
        return False
    finally:
        os.close(fd)


def prepare_file(folder_fd: int, folder: Path, name: str) -> bool:
    """Make sure ``name`` in the open folder is a file only this user can read or write.

    Creates it (empty, 0600) if it is missing; replaces it, and the files
    SQLite keeps beside it, if others could have written any of them.
    Returns whether it was replaced. Raises NotPrivate for what must not
    be touched (a link, a foreign file).
    """
    untrusted = False
    for suffix in ("", *COMPANIONS):
        untrusted |= _check_file(folder_fd, folder, name + suffix)
    if untrusted:
        remove(folder_fd, name)
    try:
        os.close(
            os.open(
                name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=folder_fd
            )
        )
    except FileExistsError:
        pass
    return untrusted


def remove(folder_fd: int, name: str) -> None:
    """Remove a database and its companions from the open folder."""
    for suffix in ("", *COMPANIONS):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name + suffix, dir_fd=folder_fd)
