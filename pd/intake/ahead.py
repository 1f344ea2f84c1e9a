"""Mail taken apart in a second process while the first one stores the batch before it.

`pd mail fetch` spends about a third of its time parsing and guarding messages
(`store.prepare`): pure CPU that needs no ledger. The rest is waiting for the
ledger and the IMAP server, and its own share of the work on their answers. A
thread cannot take the parsing off it (Python runs one thread at a time; tried:
no faster), a forked process can: while pd stores batch k and moves it, the
child takes batch k+1 apart on the other core.

The child is forked with nothing but the parser's work to do. It never touches
the ledger's or the IMAP server's connections it inherited (it ends with
os._exit, so nothing of the parent's is closed or flushed), ignores Ctrl-C and
SIGTERM (its parent decides), and ends when its parent closes the pipe, or dies:
a killed `pd mail fetch` leaves no child behind. When there is no child (no
fork on this system, the child died, an answer cannot be read), the messages are
prepared in this process, as `pd mail ingest` does: the same function, the same
result.
"""
from __future__ import annotations

import gc
import os
import pickle
import signal
import struct
import sys
from typing import Callable

from .store import Prepared

_LEN = struct.Struct("<Q")


class Preparer:
    """prepare(raw) for each message of a batch: submit() a batch, results() for it later."""

    def __init__(self, prepare: Callable[[bytes], Prepared]):
        self.prepare = prepare
        self.pid: int | None = None
        self._to = self._from = -1
        self._sent: list[bytes] | None = None
        self._start()

    @property
    def forked(self) -> bool:
        return self.pid is not None

    def _start(self) -> None:
        if not hasattr(os, "fork"):
            return
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            down_r, down_w = os.pipe()
            up_r, up_w = os.pipe()
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:
            for fd in (down_r, down_w, up_r, up_w):
                os.close(fd)
            return
        if pid == 0:  # the child
            code = 0
            try:
                os.close(down_w)
                os.close(up_r)
                _serve(down_r, up_w, self.prepare)
            except BaseException:  # noqa: BLE001 - whatever it was, the parent prepares the batch itself
                code = 1
            finally:
                os._exit(code)
        os.close(down_r)
        os.close(up_w)
        self.pid, self._to, self._from = pid, down_w, up_r

    def submit(self, raws: list[bytes]) -> None:
        """Start preparing `raws` (one batch at a time: results() before the next submit())."""
        self._sent = raws
        if self.forked:
            try:
                _send(self._to, raws)
            except OSError:
                self._stop()

    def results(self) -> list[Prepared]:
        """The prepared messages of the last batch submitted, in order."""
        raws, self._sent = self._sent or [], None
        answers: list = [None] * len(raws)
        if self.forked:
            try:
                answers = _recv(self._from)
                if len(answers) != len(raws):
                    raise ValueError("the worker answered for another batch")
            except Exception:  # noqa: BLE001 - the child is gone or confused: this process does it
                answers = [None] * len(raws)
                self._stop()
        out = []
        for raw, p in zip(raws, answers):
            if p is None:  # (the child could not: here, the error is raised or recorded as usual)
                out.append(self.prepare(raw))
                continue
            p.raw = raw
            if p.stored is None:
                p.stored = raw
            if p.mail is not None:
                p.mail.source = p.stored  # taken apart again from the kept copy, if ever asked
            out.append(p)
        return out

    def _stop(self) -> None:
        for fd in (self._to, self._from):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._to = self._from = -1
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)  # it holds nothing; waiting for a long parse would be idle
            except OSError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.pid = None

    def close(self) -> None:
        self._sent = None
        self._stop()

    def __enter__(self) -> "Preparer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _serve(down: int, up: int, prepare: Callable[[bytes], Prepared]) -> None:
    gc.freeze()  # the parent's objects (its connections among them) are never collected here
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            raws = _recv(down)
        except EOFError:
            return
        answers = []
        for raw in raws:
            try:
                p = prepare(raw)
            except BaseException:  # noqa: BLE001 - the parent runs it again and sees the error itself
                answers.append(None)
                continue
            if p.stored is p.raw or p.stored == p.raw:
                p.stored = None  # (the parent has those bytes: they are not sent back)
            p.raw = b""
            answers.append(p)
        _send(up, answers)


def _send(fd: int, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_LEN.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view):]


def _recv(fd: int):
    (n,) = _LEN.unpack(_read(fd, _LEN.size))
    return pickle.loads(_read(fd, n))


def _read(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the other end closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
