"""Filesystem primitives behind the queue guarantees: atomic writes, durable renames, owners.

A file enters a folder only by renaming a completely written, fsynced temp file, and the
folder is fsynced afterwards. Every claimed file carries its owner's tag (pid plus the
process start time) so recovery can tell a dead owner from a live one, even after pid reuse.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import itertools
import os
import re
import stat
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

# Tasks, results, call state and dead letters hold names, numbers and emails: owner only.
FILE_MODE = 0o600
DIR_MODE = 0o700
PRIVATE_UMASK = 0o077

_SAFE_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9._\-]{0,127}")
_counter = itertools.count()


def is_safe_name(name: str) -> bool:
    """1-128 chars of [A-Za-z0-9._-], not starting with a dot: safe to use as a file name."""
    return bool(_SAFE_NAME.fullmatch(name))


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_temp(data: bytes, tmp_dir: Path, name: str, *, mtime: float | None = None) -> Path:
    """A complete, fsynced temp file holding `data`; removed again if anything fails."""
    tmp = tmp_dir / f"{owner_tag()}.{next(_counter)}.{name}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if mtime is not None:
            os.utime(tmp, (mtime, mtime))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)  # a full disk must not leave half a file behind until we die
        raise
    return tmp


def atomic_write(folder: Path, name: str, data: bytes, tmp_dir: Path, *, mtime: float | None = None) -> Path:
    """Write `data` as folder/name so that readers see either nothing or the whole file."""
    tmp = write_temp(data, tmp_dir, name, mtime=mtime)
    dest = folder / name
    try:
        os.rename(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(folder)
    return dest


def rename_no_replace(src: Path, dest: Path) -> bool:
    """Rename `src` to `dest` unless `dest` exists, atomically. False when it exists.

    renameat2(RENAME_NOREPLACE) where the kernel and filesystem have it; else link, which
    also fails on an existing name, then unlink the source.
    """
    if _renameat2 is not None:
        if _renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dest), _RENAME_NOREPLACE) == 0:
            return True
        err = ctypes.get_errno()
        if err == errno.EEXIST:
            return False
        if err not in (errno.EINVAL, errno.ENOSYS, errno.EPERM):  # EINVAL: not on this filesystem
            raise OSError(err, os.strerror(err), str(dest))
    try:
        os.link(src, dest)
    except FileExistsError:
        return False
    os.unlink(src)
    return True


def _load_renameat2() -> Any:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    fn.restype = ctypes.c_int
    return fn


_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_renameat2 = _load_renameat2()


def durable_rename(src: str | Path, dest: Path) -> None:
    """Rename and make the new directory entry survive a crash."""
    os.rename(src, dest)
    fsync_dir(dest.parent)


def unique_path(folder: Path, name: str) -> Path:
    """folder/name, or folder/name.N if taken: dead letters never overwrite each other."""
    candidate = folder / name
    n = 1
    while os.path.lexists(candidate):  # one lstat: a file, a folder or any link (dangling too) is taken
        candidate = folder / f"{name}.{n}"
        n += 1
    return candidate


def prune(folder: Path, cutoff: float) -> int:
    """Remove the regular files in `folder` last modified before `cutoff` (RETENTION_DAYS).

    Dot files are someone else's (a .gitkeep) and are left alone, as are folders and links.
    """
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry.name.startswith("."):
            continue
        with contextlib.suppress(FileNotFoundError):
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(st.st_mode) and st.st_mtime < cutoff:
                os.unlink(entry.path)
                removed += 1
    return removed


def _start_ticks(pid: int) -> str | None:
    """The process start time in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    rest = stat[stat.rindex(b")") + 2 :].split()
    return rest[19].decode()


_own_tag: tuple[int, str] | None = None


def owner_tag() -> str:
    """'p<pid>-<start ticks>' for this process; recomputed after fork."""
    global _own_tag
    pid = os.getpid()
    if _own_tag is None or _own_tag[0] != pid:
        _own_tag = (pid, f"p{pid}-{_start_ticks(pid) or 0}")
    return _own_tag[1]


_TAG = re.compile(r"p(\d+)-(\d+)")
_held: dict[Path, FileLock] = {}


def hold_owner_lock(locks_dir: Path) -> None:
    """Hold locks_dir/owner-<tag>.lock for the rest of this process's life.

    Every claim this process makes happens under it, and the kernel drops it the moment
    the process dies, however it dies: the surest sign that a claimed task is orphaned.
    """
    path = locks_dir / f"owner-{owner_tag()}.lock"
    if path not in _held:
        lock = FileLock(path, thread_local=False)
        lock.acquire()
        _held[path] = lock


def owner_alive(tag: str, locks_dir: Path | None = None) -> bool:
    """True while the process that wrote `tag` still runs. A malformed tag counts as dead.

    With `locks_dir`, an owner that holds its lock there is alive and one whose lock can be
    taken is dead; without a lock file, the pid and its start time decide.
    """
    m = _TAG.fullmatch(tag)
    if not m:
        return False
    if locks_dir is not None:
        path = locks_dir / f"owner-{tag}.lock"
        if path.exists():
            probe = FileLock(path, thread_local=False)
            try:
                probe.acquire(timeout=0)
            except Timeout:
                return True
            probe.release()
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            return False
    pid = int(m[1])
    ticks = _start_ticks(pid)
    if ticks is None:
        return False
    return ticks == m[2] or m[2] == "0"
