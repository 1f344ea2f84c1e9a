"""Report files on disk: created 0640, their directories 0750, whatever the umask.

The reports carry requesters' names and what they asked for, so they are
readable by their owner and group only (issue 12). A file is written under a
hidden temporary name beside its final one and renamed into place, so a
reader never sees half a file.
"""
from __future__ import annotations

import errno
import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

FILE_MODE = 0o640
DIR_MODE = 0o750


def make_dir(path: Path) -> None:
    """Create ``path`` and its missing parents with mode 0750 (existing ones are left as they are)."""
    path = Path(path)
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    for d in reversed(missing):
        try:
            d.mkdir(mode=DIR_MODE)
        except FileExistsError:
            continue
        os.chmod(d, DIR_MODE)  # mkdir's mode is masked by the umask
    if not path.is_dir():
        raise NotADirectoryError(f"{path} is not a directory")


@contextmanager
def private_file(path: Path, mode: str = "wb", **open_kw) -> Iterator[IO]:
    """An open file that becomes ``path`` (mode 0640) when the block ends without error."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, mode, **open_kw) as fh:
            fd = -1
            yield fh
        os.replace(tmp, path)
    finally:
        if fd != -1:
            os.close(fd)
        if tmp.exists():
            tmp.unlink()


def write_text(path: Path, text: str, encoding: str = "utf-8") -> None:
    with private_file(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text)


# The run's own temporary files (openpyxl's sheet files) go into a private directory beside the
# reports, not the shared /tmp: the sheets carry requesters' names. A killed run leaves its
# directory and its half-written ``.part`` files behind; the next run clears them.
TMP_DIR = ".pd-report-tmp"
TMP_MODE = 0o700
_PART_GLOB = ".pd-*.part"
# What a full disk (or a quota, or a file size limit) looks like to a writer.
NO_SPACE = frozenset((errno.ENOSPC, errno.EDQUOT, errno.EFBIG))


@contextmanager
def run_dir(out_dir: Path) -> Iterator[Path]:
    """A private (0700) temporary directory for this run under ``out_dir``, removed at the end
    (with ``TMP_DIR`` itself when no other run is using it).

    When no other run is writing into ``out_dir`` (a shared lock on ``TMP_DIR/lock`` says who is),
    what a killed run left is cleared first: its temporary directories and its ``.part`` files."""
    out_dir = Path(out_dir)
    base = out_dir / TMP_DIR
    base.mkdir(mode=TMP_MODE, exist_ok=True)
    os.chmod(base, TMP_MODE)
    lock = os.open(base / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # another run is writing here: leave its files alone
        else:
            for p in base.iterdir():
                if p.name != "lock":
                    shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            for p in out_dir.glob(_PART_GLOB):
                p.unlink(missing_ok=True)
        fcntl.flock(lock, fcntl.LOCK_SH)
        mine = base / f"run-{os.getpid()}"
        shutil.rmtree(mine, ignore_errors=True)
        mine.mkdir(mode=TMP_MODE)
        try:
            yield mine
        finally:
            shutil.rmtree(mine, ignore_errors=True)
            try:  # the last run out leaves no directory behind
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass
            else:
                shutil.rmtree(base, ignore_errors=True)
    finally:
        os.close(lock)
