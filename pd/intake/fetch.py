"""`pd mail fetch [--watch]`: the IMAP mailbox into the intake (SPEC 13).

The client is imapclient (over the standard library's imaplib). Per batch of up to 100
messages (and 16 MB):

1. the bodies are fetched with BODY.PEEK[] (nothing is marked \\Seen by reading) and taken
   apart; with more than one batch to take, a second process takes the next batch apart while
   this one stores and moves the last (intake/ahead.py);
2. the intake's `receive_many()` stores them in ONE ledger transaction (or a few: it holds the
   ledger's lock ~0.25 s at most), each message in a savepoint of its own, de-duplicated by
   Message-ID and digest; the mailbox's mark (below) is raised in the same transaction;
3. only then the messages are MOVEd to the done folder (or COPYed and flagged \\Deleted when
   the server has no MOVE). Nothing is ever expunged.

A kill before 2 commits leaves nothing of that transaction in the ledger: the next fetch takes
those messages again. A kill between 2 and 3 leaves committed messages in the mailbox: the next
fetch moves them without reading them (the mark), or, past a gap in the mark, sees them again,
hears `duplicate`, and moves them. Two fetches at once both see them; one stores each, the
other hears `duplicate`. Nothing is lost and nothing is stored twice.

The ledger remembers each mailbox's UIDVALIDITY and the highest UID below which every
message has been committed (`ImapMailbox.last_uid`, advanced over an unbroken run only):
such a message still in the mailbox (killed before its move) is moved without being
fetched again. A new UIDVALIDITY means the UIDs name other messages: the mark starts
from 0 and everything is fetched (and de-duplicated by the intake) again.
"""
from __future__ import annotations

import fcntl
import hashlib
import imaplib
import os
import signal
import ssl
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import peewee
from imapclient import DELETED, IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from ..db import intake_models as im
from ..db.connection import write_transaction
from ..db.intake_models import ImapMailbox as M
from ..errors import DESK_FAULTS, ConfigError, PdError, TemporaryFailure
from ..i18n import _
from ..imapurl import ImapConfig, mask_url, parse_imap_url
from .ahead import Preparer
from .store import prepare, receive_many

Deliver = Callable[[bytes], dict]
# (bodies, stop, inside) -> a result (dict, or the PdError that kept it out) for each of the first
# bodies, committed in one transaction that ran inside(results) before its commit. A body is the
# message's bytes, or what the deliverer's `preparer` made of them (intake/ahead.py).
DeliverMany = Callable[[list[bytes], "Stop", Callable[[list], None]], list]
OnMessage = Callable[[dict], None]

BATCH_COUNT = 100  # messages per FETCH of bodies
BATCH_BYTES = 16 * 1024 * 1024  # ... and at most this many bytes (a 20 MB mail goes alone)
IDLE_RENEW_S = 9 * 60  # RFC 2177: re-issue IDLE before the server's 30-minute cut-off
BACKOFF_MAX_S = 60.0
TIMEOUT_S = 60.0


# ------------------------------------------------------------------ stopping cleanly
class Stop:
    """Set by SIGTERM / Ctrl-C: the messages in hand are stored, then the fetch leaves."""

    def __init__(self) -> None:
        self.requested = False

    def __bool__(self) -> bool:
        return self.requested

    def request(self, *_args: Any) -> None:
        self.requested = True

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self.request)

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.requested and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


# ------------------------------------------------------------------ the result of one run
@dataclass
class FetchReport:
    mailbox: str
    messages: list[dict] = field(default_factory=list)
    moved: int = 0
    uidvalidity: int | None = None
    uidvalidity_changed: bool = False
    left: list[tuple[int, str]] = field(default_factory=list)  # (uid, why): stays in the mailbox
    busy: bool = False  # another pd mail fetch on this machine was taking this mailbox: nothing taken

    def counts(self) -> dict[str, int]:
        c: dict[str, int] = {}
        for m in self.messages:
            c[m["action"]] = c.get(m["action"], 0) + 1
        return c


def _chunks(uids: list[int], size: int = 500) -> Iterator[list[int]]:
    """UID sets small enough for any server's command-line limit (Dovecot's is 64 kB)."""
    for i in range(0, len(uids), size):
        yield uids[i:i + size]


# ------------------------------------------------------------------ errors of the network
def _network_errors() -> tuple[type[BaseException], ...]:
    return (OSError, imaplib.IMAP4.abort, IMAPClientAbortError, EOFError)


def _one_line(exc: BaseException) -> str:
    text = exc.args[0] if len(exc.args) == 1 else (str(exc) or type(exc).__name__)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = str(text).strip() or type(exc).__name__
    return text.splitlines()[0]


class Session:
    """One logged-in connection with the fetched folder selected."""
    def __init__(self, cfg: ImapConfig):
        self.cfg = cfg
        self.client = None
        self.uidvalidity = 0
        self.can_move = False

    # -- connect -----------------------------------------------------------------
    def open(self) -> "Session":
        cfg = self.cfg
        where = f"{cfg.host}:{cfg.port}"
        context = ssl.create_default_context() if cfg.tls else None
        try:
            self.client = IMAPClient(cfg.host, port=cfg.port, ssl=cfg.scheme == "imaps", ssl_context=context,
                                     timeout=TIMEOUT_S)
            if cfg.starttls:
                if not self.client.has_capability("STARTTLS"):
                    raise ConfigError(_("PD_IMAP_URL: the IMAP server {server} does not offer STARTTLS").format(
                        server=where))
                self.client.starttls(context)
        except ssl.SSLCertVerificationError as exc:
            self.close()
            raise ConfigError(_("PD_IMAP_URL: the IMAP server {server} has a certificate we do not trust: {error} "
                                "(SSL_CERT_FILE names extra CAs)").format(
                server=where, error=exc.verify_message or _one_line(exc))) from None
        except _network_errors() as exc:
            self.close()
            raise TemporaryFailure(_("cannot reach the IMAP server {server}: {error}").format(
                server=where, error=_one_line(exc))) from None
        try:
            if cfg.password.isascii() and cfg.user.isascii():
                self.client.login(cfg.user, cfg.password)
            else:  # LOGIN is ASCII only; AUTHENTICATE PLAIN carries UTF-8
                self.client.plain_login(cfg.user, cfg.password)
        except LoginError as exc:
            self.close()
            why = _one_line(exc)
            if "UNAVAILABLE" in why.upper():
                raise TemporaryFailure(_("the IMAP server {server} cannot log in {user} now: {error}").format(
                    server=where, user=cfg.user, error=why)) from None
            raise ConfigError(_("PD_IMAP_URL: the IMAP server {server} refused the login of {user}: {error}").format(
                server=where, user=cfg.user, error=why)) from None
        except _network_errors() as exc:
            self.close()
            raise TemporaryFailure(_("the IMAP server {server} dropped the connection at login: {error}").format(
                server=where, error=_one_line(exc))) from None
        with self.network(_("selecting the folder")):
            self._ensure_done_folder()
            self._select()
        return self

    def _select(self) -> None:
        try:
            info = self.client.select_folder(self.cfg.folder)
        except IMAPClientError as exc:
            if isinstance(exc, _network_errors()):
                raise
            raise ConfigError(_("PD_IMAP_URL: cannot open the folder {folder}: {error}").format(
                folder=repr(self.cfg.folder), error=_one_line(exc))) from None
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        self.can_move = self.client.has_capability("MOVE")

    def _ensure_done_folder(self) -> None:
        c = self.client
        if c.folder_exists(self.cfg.done):
            return
        try:
            c.create_folder(self.cfg.done)
        except IMAPClientError as exc:
            if isinstance(exc, _network_errors()):
                raise
            if not c.folder_exists(self.cfg.done):  # not merely created by a fetch running beside us
                raise ConfigError(_("PD_IMAP_DONE: cannot create the folder {folder}: {error}").format(
                    folder=repr(self.cfg.done), error=_one_line(exc))) from None

    def close(self) -> None:
        c, self.client = self.client, None
        if c is None:
            return
        try:
            c.logout()
        except Exception:  # noqa: BLE001 - leaving; the connection may be gone already
            try:
                c.shutdown()
            except Exception:  # noqa: BLE001
                pass

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    class _Net:
        def __init__(self, session: "Session", doing: str):
            self.session, self.doing = session, doing

        def __enter__(self) -> None:
            return None

        def __exit__(self, et, exc, tb) -> bool:
            if exc is not None and isinstance(exc, _network_errors()):
                cfg = self.session.cfg
                raise TemporaryFailure(_("the IMAP connection to {server} failed while {doing}: {error}").format(
                    server=f"{cfg.host}:{cfg.port}", doing=self.doing, error=_one_line(exc))) from None
            return False

    def network(self, doing: str) -> "Session._Net":
        return Session._Net(self, doing)

    # -- the mailbox ---------------------------------------------------------------
    def pending(self) -> list[int]:
        with self.network(_("listing messages")):
            return sorted(int(u) for u in self.client.search(["NOT", "DELETED"]))

    def _fetch(self, uids: list[int], what: list[str], doing: str) -> dict:
        """FETCH; when a fetch beside us has just moved some of them (NO [EXPUNGEISSUED]), again for
        the ones still there."""

        with self.network(doing):
            try:
                return self.client.fetch(uids, what)
            except IMAPClientError as exc:
                if isinstance(exc, _network_errors()):
                    raise
                still = sorted(set(self.pending()) & set(uids))
                if not still:
                    return {}
                try:
                    return self.client.fetch(still, what)
                except IMAPClientError as again:
                    if isinstance(again, _network_errors()):
                        raise
                    raise TemporaryFailure(_("the IMAP server would not let us read messages in {folder}: {error}")
                                           .format(folder=repr(self.cfg.folder), error=_one_line(again))) from None

    def sizes(self, uids: list[int]) -> dict[int, int]:
        out: dict[int, int] = {}
        for part in _chunks(uids):
            got = self._fetch(part, ["RFC822.SIZE"], _("reading message sizes"))
            out.update({int(u): int(d.get(b"RFC822.SIZE", 0)) for u, d in got.items()})
        return out

    def bodies(self, uids: list[int]) -> dict[int, bytes]:
        got = self._fetch(uids, ["BODY.PEEK[]"], _("fetching messages"))
        return {int(u): d[b"BODY[]"] for u, d in got.items() if d.get(b"BODY[]") is not None}

    def move_done(self, uids: list[int]) -> None:
        """To the done folder; MOVE, else COPY + \\Deleted — never EXPUNGE."""
        if not uids:
            return

        with self.network(_("moving messages")):
            try:
                for part in _chunks(uids):
                    if self.can_move:
                        self.client.move(part, self.cfg.done)
                    else:  # a kill between the two leaves a second copy in the done folder, never a loss
                        self.client.copy(part, self.cfg.done)
                        self.client.add_flags(part, [DELETED], silent=True)
            except IMAPClientError as exc:
                if isinstance(exc, _network_errors()):
                    raise
                # A fetch beside us may have moved some already; what is left is moved next time.
                gone = set(uids) - set(self.pending())
                if gone == set(uids):
                    return
                raise TemporaryFailure(_("the IMAP server would not move messages to {folder}: {error}").format(
                    folder=repr(self.cfg.done), error=_one_line(exc))) from None

    def wait(self, stop: Stop, timeout: float = IDLE_RENEW_S) -> None:
        """Until the mailbox may hold something new (IDLE; NOOP polling without it), `timeout`, or stop."""
        deadline = time.monotonic() + timeout
        c = self.client
        with self.network(_("waiting for mail (IDLE)")):
            if not c.has_capability("IDLE"):
                while not stop and time.monotonic() < deadline:
                    stop.sleep(min(30.0, deadline - time.monotonic()))
                    if any(r[1] in (b"EXISTS", b"RECENT") for r in c.noop()[1] if isinstance(r, tuple) and len(r) > 1):
                        return
                return
            c.idle()
            quick_empty = 0
            try:
                while not stop and time.monotonic() < deadline:
                    slice_s = min(1.0, max(0.05, deadline - time.monotonic()))
                    started = time.monotonic()
                    responses = c.idle_check(timeout=slice_s)
                    if any(isinstance(r, tuple) and r and r[0] == b"BYE" for r in responses):
                        raise ConnectionError(_("the server said BYE"))
                    if any(isinstance(r, tuple) and len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                        return
                    # imapclient swallows EOF in idle_check: a socket that is "readable" again and again
                    # with nothing to read has been closed by the other side.
                    quick_empty = quick_empty + 1 if not responses and time.monotonic() - started < slice_s / 2 else 0
                    if quick_empty >= 3:
                        raise ConnectionError(_("the server closed the connection"))
            finally:
                c.idle_done()


# ------------------------------------------------------------------ the ledger's mark
def _state(cfg: ImapConfig, uidvalidity: int, now: datetime) -> tuple[int, bool]:
    """(last_uid, uidvalidity changed?) for this mailbox, recording a new UIDVALIDITY."""
    with write_transaction():
        M.insert(mailbox=cfg.key, uidvalidity=uidvalidity, last_uid=0).on_conflict_ignore().execute()
        row = M.get(M.mailbox == cfg.key)
        if row.uidvalidity == uidvalidity:
            return int(row.last_uid), False
        M.update(uidvalidity=uidvalidity, last_uid=0, uidvalidity_changes=M.uidvalidity_changes + 1).where(
            (M.mailbox == cfg.key) & (M.uidvalidity == row.uidvalidity)).execute()
        return 0, True


def _advance(cfg: ImapConfig, uidvalidity: int, last_uid: int | None, taken: int, now: datetime | None) -> None:
    """In a transaction of its own: raise the mark, count what was taken, note when."""
    with write_transaction():
        _raise_mark(cfg, uidvalidity, last_uid, taken, now)


def _raise_mark(cfg: ImapConfig, uidvalidity: int, last_uid: int | None, taken: int,
                now: datetime | None = None) -> None:
    """Raise the mark (never lower it: a fetch beside us may be further on) and count what was taken,
    in the open transaction."""


    values: dict = {}
    if taken:
        values[M.fetched] = M.fetched + taken
    if now is not None:
        values[M.last_fetch_at] = now
    if last_uid is not None:  # (one statement: it runs in every batch's transaction)
        values[M.last_uid] = peewee.Case(None, [((M.uidvalidity == uidvalidity) & (M.last_uid < last_uid), last_uid)],
                                         M.last_uid)
    if values:
        M.update(values).where(M.mailbox == cfg.key).execute()


def intake_configuration(settings) -> dict:
    """What `pd info` shows of the mail coming in: the mailbox (password masked), the done folder,
    the last fetch and its UIDVALIDITY, and what waits in the intake queue and the quarantine."""
    d: dict = {"imap": mask_url(settings.imap_url), "imap_done": settings.imap_done, "imap_last_fetch": None,
               "imap_uidvalidity": None, "imap_fetched": 0}
    try:
        cfg = parse_imap_url(settings.imap_url, settings.imap_done) if settings.imap_url else None
    except ConfigError as exc:
        d["imap_error"] = str(exc)
        cfg = None
    if cfg is not None:
        row = im.ImapMailbox.get_or_none(im.ImapMailbox.mailbox == cfg.key)
        if row is not None:
            d.update(imap_last_fetch=row.last_fetch_at, imap_uidvalidity=row.uidvalidity, imap_fetched=row.fetched)
    d["intake_new"] = im.IntakeItem.select().where(im.IntakeItem.status == "new").count()
    q = im.QuarantinedMessage
    d["quarantined"] = q.select().where(q.replayed_at.is_null()).count()
    return d


# ------------------------------------------------------------------ one pass over the mailbox
def _batches(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= BATCH_COUNT or total + size > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


@dataclass
class _Account:
    """What one delivery did to a batch: the UIDs to move, the mark, what is reported."""

    pos: int  # the index in the batch of the first UID not yet accounted for
    unbroken: bool
    mark: int | None = None
    taken: int = 0
    done: list[int] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)
    left: list[tuple[int, str]] = field(default_factory=list)
    stop: PdError | None = None  # delivery stopped here: raise it once the rest is recorded


def _account(batch: list[int], pos: int, uids: list[int], outcomes: list, unbroken: bool) -> _Account:
    """Walk the batch from `pos` over the delivered `uids` (those with a body, in order) and their outcomes."""
    acc = _Account(pos, unbroken)
    results = dict(zip(uids, outcomes))
    while acc.pos < len(batch) and results:
        uid = batch[acc.pos]
        acc.pos += 1
        if uid not in results:  # moved by a fetch beside us since we listed it (or so we hope:
            acc.unbroken = False  # the mark stops here, so nothing unseen is ever moved unread)
            continue
        outcome = results.pop(uid)
        if isinstance(outcome, DESK_FAULTS):  # not this message's fault: stop
            acc.unbroken, acc.stop = False, outcome
            break
        if isinstance(outcome, PdError):  # this message stays; the next one is not held up by it
            acc.unbroken = False
            acc.left.append((uid, str(outcome)))
            continue
        acc.done.append(uid)
        acc.taken += outcome.get("action") != "duplicate"
        if acc.unbroken:
            acc.mark = uid
        item = {"uid": uid, "action": outcome.get("action"), "intake": outcome.get("intake"),
                "request": outcome.get("request")}
        if outcome.get("quarantine") is not None:
            item["quarantine"] = outcome["quarantine"]
        acc.items.append(item)
    return acc


def _read_ahead(session: Session, batches: list[list[int]], preparer: Callable[[], Any] | None,
                stop: Stop) -> Iterator[tuple[list[int], dict[int, Any]]]:
    """(batch, {uid: body}) for each batch. With a `preparer` (the intake's, see intake/ahead.py) and
    more than one batch, the bodies come taken apart by a second process: batch k+1 is fetched
    while k is being prepared, and prepared while k is stored and moved."""
    if preparer is None or len(batches) < 2:
        for batch in batches:
            if stop:
                return
            yield batch, session.bodies(batch)
        return
    with preparer() as ahead:
        raw = session.bodies(batches[0])
        ahead.submit(list(raw.values()))
        for k, batch in enumerate(batches):
            following, failed = None, None
            if k + 1 < len(batches) and not stop:
                try:
                    following = session.bodies(batches[k + 1])
                except BaseException as exc:  # (the server went away): this batch is stored first
                    failed = exc
            prepared = dict(zip(raw, ahead.results()))
            if following is not None:
                ahead.submit(list(following.values()))
            yield batch, prepared
            if failed is not None:
                raise failed
            if following is None:
                return
            raw = following


def take(session: Session, deliver: DeliverMany, report: FetchReport, stop: Stop,
         on_message: OnMessage | None = None, clock: Callable[[], datetime] | None = None) -> None:
    """Every message now in the folder: into the ledger, then to the done folder."""
    now = (clock or _utcnow)()
    cfg = session.cfg
    validity = session.uidvalidity
    last_uid, changed = _state(cfg, validity, now)
    report.uidvalidity = validity
    if changed:
        report.uidvalidity_changed = True
        print(_("pd mail fetch: {mailbox} has a new UIDVALIDITY ({validity}); every message in it is checked again")
              .format(mailbox=cfg.key, validity=validity), file=sys.stderr)
    uids = session.pending()
    committed_before = [u for u in uids if u <= last_uid]  # committed by an earlier run, killed before its move
    session.move_done(committed_before)
    report.moved += len(committed_before)
    todo = [u for u in uids if u > last_uid]
    unbroken = True  # the mark advances only over a run with nothing left behind
    try:
        for batch, raw in _read_ahead(session, list(_batches(todo, session.sizes(todo))),
                                      getattr(deliver, "preparer", None), stop):
            if stop:
                break
            done: list[int] = []
            pos = 0
            try:
                while pos < len(batch):
                    if stop:
                        unbroken = False
                        break
                    rest = [u for u in batch[pos:] if u in raw]
                    if not rest:  # the rest were moved by a fetch beside us
                        unbroken = False
                        break
                    seen: dict = {}

                    def inside(outcomes: list, batch=batch, rest=rest, pos=pos, unbroken=unbroken, seen=seen) -> None:
                        # in the intake's transaction: the mark rises with the messages it commits
                        acc = seen["acc"] = _account(batch, pos, rest, outcomes, unbroken)
                        _raise_mark(cfg, validity, acc.mark, acc.taken)

                    outcomes = deliver([raw[u] for u in rest], stop, inside)
                    acc = seen.get("acc") or _account(batch, pos, rest, outcomes, unbroken)
                    pos, unbroken = acc.pos, acc.unbroken
                    done += acc.done
                    for uid, why in acc.left:
                        report.left.append((uid, why))
                        print(_("pd mail fetch: message UID {uid} stays in {folder}: {error}").format(
                            uid=uid, folder=cfg.folder, error=why), file=sys.stderr)
                    for item in acc.items:
                        report.messages.append(item)
                        if on_message is not None:
                            on_message(item)
                    if acc.stop is not None:
                        raise acc.stop
            finally:
                # Committed messages are moved even when the batch stops half-way.
                session.move_done(done)
                report.moved += len(done)
    finally:
        try:
            _advance(cfg, validity, None, 0, _utcnow())
        except PdError:
            pass


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


# ------------------------------------------------------------------ the command's entry points
def default_deliver(settings, cfg: ImapConfig) -> DeliverMany:
    """The intake: a batch of messages per ledger transaction."""
    source = f"imap:{cfg.key}"[:200]

    def deliver(bodies: list[bytes], stop: Stop, inside: Callable[[list], None]) -> list:
        return receive_many(settings, bodies, source=source, stop=lambda: bool(stop), inside=inside)

    def preparer():
        return Preparer(lambda raw: prepare(settings, raw))

    deliver.preparer = preparer  # type: ignore[attr-defined]
    return deliver


def one_at_a_time(deliver: Deliver) -> DeliverMany:
    """A `deliver(raw) -> dict` that commits each message itself, as a DeliverMany: the mark is
    raised in a transaction of its own after the messages it has taken."""
    def many(bodies: list[bytes], stop: Stop, inside: Callable[[list], None]) -> list:
        out: list = []
        for body in bodies:
            if out and stop:
                break
            try:
                out.append(deliver(body))
            except DESK_FAULTS as exc:
                if not out:
                    raise
                out.append(exc)  # the ones before it are committed: they are recorded, then it stops
                break
            except PdError as exc:
                out.append(exc)
        with write_transaction():
            inside(out)
        return out

    return many


class MailboxLock:
    """One pd mail fetch per mailbox on this machine at a time (an flock the kernel drops when the
    process dies, however it dies). Two sessions MOVEing the same UIDs at once can leave a copy of
    each in the done folder; the ledger is safe either way (receive() de-duplicates), the mailbox
    would not be. `blocking`: wait for it (--watch); otherwise `held` is False when it is taken."""

    def __init__(self, key: str, *, blocking: bool, stop: "Stop | None" = None):
        name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        self.path = Path(tempfile.gettempdir()) / f"pd-mail-fetch-{name}.lock"
        self.blocking, self.stop, self.held, self._fd = blocking, stop, False, None

    def __enter__(self) -> "MailboxLock":
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.held = True
                return self
            except BlockingIOError:
                if not self.blocking or (self.stop is not None and self.stop):
                    return self
                if self.stop is not None:
                    self.stop.sleep(1.0)
                else:
                    time.sleep(1.0)

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def _deliverer(settings, cfg: ImapConfig, deliver: Deliver | None, deliver_many: DeliverMany | None) -> DeliverMany:
    if deliver_many is not None:
        return deliver_many
    return one_at_a_time(deliver) if deliver is not None else default_deliver(settings, cfg)


def fetch(settings, *, deliver: Deliver | None = None, deliver_many: DeliverMany | None = None,
          on_message: OnMessage | None = None, stop: Stop | None = None) -> FetchReport:
    """One pass: connect, take every message, leave. TemporaryFailure (exit 8) when the server or the
    ledger is unreachable; what was committed before that is moved and reported. `deliver` (one
    message at a time) or `deliver_many` replace the intake (tests, benchmarks)."""
    cfg = parse_imap_url(settings.imap_url, settings.imap_done)
    deliver = _deliverer(settings, cfg, deliver, deliver_many)
    stop = Stop() if stop is None else stop  # (a Stop is falsy until requested)
    report = FetchReport(mailbox=cfg.key)
    with MailboxLock(cfg.key, blocking=False) as lock:
        if not lock.held:
            report.busy = True
            return report
        with Session(cfg) as session:
            session.open()
            take(session, deliver, report, stop, on_message)
    return report


def watch(settings, *, deliver: Deliver | None = None, deliver_many: DeliverMany | None = None,
          on_message: OnMessage | None = None, stop: Stop | None = None, say: Callable[[str], None] | None = None,
          idle_renew_s: float = IDLE_RENEW_S) -> FetchReport:
    """Take what is there, then wait with IDLE and take what comes, until `stop`. A lost connection
    or a busy ledger is retried with back-off (1 s doubling to 60 s); a configuration error ends it."""
    cfg = parse_imap_url(settings.imap_url, settings.imap_done)
    deliver = _deliverer(settings, cfg, deliver, deliver_many)
    stop = Stop() if stop is None else stop  # (a Stop is falsy until requested)
    say = say or (lambda text: print(text, file=sys.stderr, flush=True))
    report = FetchReport(mailbox=cfg.key)
    with MailboxLock(cfg.key, blocking=True, stop=stop):  # a cron fetch beside it takes nothing meanwhile
        return _watch(cfg, deliver, report, stop, say, on_message, idle_renew_s)


def _watch(cfg, deliver, report, stop, say, on_message, idle_renew_s) -> FetchReport:
    backoff = 1.0
    while not stop:
        try:
            with Session(cfg) as session:
                session.open()
                if backoff > 1.0:
                    say(_("pd mail fetch: connected to {mailbox} again").format(mailbox=cfg.key))
                backoff = 1.0
                while not stop:
                    take(session, deliver, report, stop, on_message)
                    if stop:
                        break
                    session.wait(stop, idle_renew_s)
        except TemporaryFailure as exc:
            if stop:
                break
            say(_("pd mail fetch: {error}; trying again in {seconds} s").format(error=exc, seconds=f"{backoff:g}"))
            stop.sleep(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX_S)
    return report
