"""Report files on disk: created 0640, their directories 0750, whatever the umask.

The reports carry requesters' names and what they asked for, so they are
readable by their owner and group only (issue 12). A file is written under a
hidden temporary name beside its final one and renamed into place, so a
reader never sees half a file.
"""
from __future__ import annotations

import os
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
