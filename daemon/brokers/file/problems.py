"""An OSError of the file backend as one line an operator can act on ("disk full on DATA_DIR")."""

from __future__ import annotations

import errno
from pathlib import Path

from daemon.broker import UnavailableError


def describe(exc: OSError, root: Path) -> str:
    # A rename names both ends; the destination's folder is the usual culprit.
    where = _relative(exc.filename2 or exc.filename, root)
    code = exc.errno
    if code == errno.ENOSPC:
        return f"disk full on DATA_DIR ({root})"
    if code == errno.EDQUOT:
        return f"disk quota exceeded on DATA_DIR ({root})"
    if code == errno.EROFS:
        return f"DATA_DIR ({root}) is on a read-only filesystem"
    if code in (errno.EACCES, errno.EPERM):
        return f"{where} not writable (permission denied)"
    if code == errno.EIO:
        return f"I/O error on DATA_DIR ({root}): check the disk"
    if code == errno.ENOENT:
        return f"{where} is missing"
    return f"{where}: {exc.strerror or exc}"


def unavailable(exc: OSError, root: Path) -> UnavailableError:
    return UnavailableError(describe(exc, root))


def _relative(filename: object, root: Path) -> str:
    """A folder under DATA_DIR as operators name it ("results/"), else the path as it is."""
    if not filename:
        return f"DATA_DIR ({root})"
    path = Path(str(filename))
    try:
        rel = path.relative_to(root)
    except ValueError:
        return str(path)
    parts = rel.parts
    if not parts:
        return f"DATA_DIR ({root})"
    # The folder a file sits in is what is not writable; name it the way `ls` shows it.
    folder = parts if path.is_dir() or len(parts) == 1 else parts[:-1]
    return "/".join(folder) + "/"
