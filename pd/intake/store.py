"""Step 6: store messages and act on them, in ONE transaction of the ledger.

The pipeline: parse -> guard (outside the ledger's lock) -> (in the write
transaction) duplicate? -> delivery report? -> automatic? -> which request?
-> follow-up, answer, objection, expert's word, or a new intake item. A message
that cannot be taken apart, or that trips over a fault of ours, goes to the
quarantine instead and never blocks the next one.

`receive()` stores one message in one transaction (`pd mail ingest`);
`receive_many()` stores a run of them in one transaction (`pd mail fetch`: a
commit, with its fsync, per IMAP batch instead of per message), each message in
a savepoint of its own, so that one that fails is quarantined (or given back)
alone and the others are stored all the same. The common case, a new mail about
no request, is written for a run of messages at once: three INSERTs (messages,
intake items, events) in one savepoint; when that fails, the run is rolled back
and each of its messages is stored alone, as `receive()` would.
"""
from __future__ import annotations

import email.utils
import hashlib
import io
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

import peewee

from .. import guard
from ..db.connection import classify_operational_error, db, is_sqlite, translate_errors
from ..db.intake_models import InboundMessage as IM
from ..db.intake_models import IntakeItem
from ..db.intake_models import QuarantinedMessage as Q
from ..db.models import Event
from ..desk import Desk
from ..errors import DESK_FAULTS, InvalidInput, InvalidState, PdError, TemporaryFailure
from ..i18n import _
from ..latvian import STATUS_LABELS, format_date, label
from ..notify.notices import mail_lang
from ..notify.threads import domain_of
from ..trust import current
from . import match
from .bounce import handle
from .classify import Context, automatic_reason, delivery_report
from .commands import answers_desk_mail_to
from .commands import parse as parse_command
from .commands import words as reply_words
from .parse import parse
from .redact import redact_raw_text, scrub


def digest_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def result(action: str, intake=None, request=None, **extra) -> dict:
    out = {"action": action, "intake": intake, "request": request}
    out.update(extra)
    return out


def receive(settings, raw: bytes, *, source: str, now: datetime | None = None, desk=None) -> dict:
    """Store one message in one transaction and return SPEC 13's JSON for it.

    Raises TemporaryFailure when the ledger is busy or unreachable: nothing was stored,
    the caller retries (exit 75 for an MTA).
    """
    outcome = receive_many(settings, [raw], source=source, now=now, desk=desk)[0]
    if isinstance(outcome, BaseException):
        _forget(settings)  # the next message starts from a fresh connection
        raise outcome
    return outcome


#: How long one receive_many() holds the ledger's write lock at most (an operator's change waits
#: behind it); the messages it has no time for are left to the caller's next call.
LOCK_BUDGET_S = 0.25


def receive_many(settings, raws: list[bytes], *, source: str, now: datetime | None = None, desk=None,
                 stop: Callable[[], bool] | None = None, inside: Callable[[list], None] | None = None,
                 budget_s: float | None = None) -> list:
    """Store the first messages of `raws` in ONE transaction; a result per message taken, in order.

    At least one message is taken; more while the transaction has held the ledger's lock for less
    than `budget_s` (LOCK_BUDGET_S) and `stop()` is false. A result is SPEC 13's dict, or the PdError that kept the
    message out of the ledger (a fault of the desk's, not of the mail: it stays with the caller).
    When that error is a TemporaryFailure, ConfigError or NotPermitted, it is the last result: the
    messages before it are committed, the caller stops there. `inside(results)` runs in the
    transaction just before its commit (pd mail fetch records the UIDs taken there).

    Raises TemporaryFailure (busy, unreachable) or ConfigError (read-only, full…) when the ledger
    itself fails: then nothing of this call was stored.
    """
    if not raws:
        return []
    if desk is None:
        desk = _desk_for(settings)
    try:
        me = desk.require("system", "operator", what=_("take in mail"))  # config and person checked before any write
        desk.ledger  # noqa: B018 - open the ledger (and check its schema) before taking the mail apart
    except PdError:
        _forget(settings)
        raise
    prepared: list[Prepared] = []
    for raw in raws:  # outside the lock: the CPU-heavy part (pd mail fetch has it done ahead)
        if prepared and stop is not None and stop():
            break
        prepared.append(raw if isinstance(raw, Prepared) else prepare(settings, raw))
    try:
        return _Batch(desk, me, source).run(prepared, now, LOCK_BUDGET_S if budget_s is None else budget_s, inside)
    except BaseException as exc:

        _forget(settings)  # the ledger, not the mail: nothing is quarantined, the caller retries
        if isinstance(exc, peewee.InterfaceError):
            raise TemporaryFailure(_("lost the connection to the ledger: {error}").format(error=exc)) from exc
        if isinstance(exc, peewee.OperationalError):

            raise classify_operational_error(exc) from exc
        raise


@dataclass
class Prepared:
    raw: bytes
    digest: str
    mail: object | None  # ParsedMail; None when it cannot be taken apart (then `error` says why)
    stored: bytes = b""
    redacted: bool = False
    error: str = ""
    texts: dict | None = None  # the stored message's text columns, guarded (_guarded_texts)


def prepare(settings, raw: bytes) -> Prepared:
    """Take a message apart and guard it: what needs no ledger (any process may do it)."""
    raw = bytes(raw)
    digest = digest_of(raw)
    try:
        mail = parse(raw, max_attachment=settings.intake_max_attachment)
        stored, redacted = scrub(mail, raw, settings.intake_max_attachment)
        texts = _guarded_texts(mail)
    except TemporaryFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - a mail we cannot take apart is quarantined, whatever the reason
        return Prepared(raw, digest, None, error=_reason(exc))
    return Prepared(raw, digest, mail, stored, redacted, texts=texts)


def _ledger_fault(exc: BaseException) -> bool:
    """The ledger failed (busy, gone, full, read-only): the transaction cannot go on, whatever the mail."""
    if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError, TemporaryFailure)):
        return True
    return isinstance(exc, PdError) and isinstance(exc.__cause__, peewee.DatabaseError)


def _stops(outcome) -> bool:
    """A result that ends the run: the caller stops taking mail (exit 7 or 6), the rest stays."""
    return isinstance(outcome, DESK_FAULTS)


class _Batch:
    """One transaction of receive_many()."""
    def __init__(self, desk, me, source: str):
        self.desk, self.me, self.source = desk, me, source
        self.domain = domain_of(desk.settings.mail_from)
        self.ctx = Context(desk_addresses=_desk_addresses(desk))
        # Digests and Message-IDs already in the ledger or the quarantine, or taken in this
        # transaction: such a message gets the full duplicate check; the others cannot be one.
        self.digests: set[str] = set()
        self.mids: set[str] = set()
        self.check_all = False

    def run(self, prepared: list[Prepared], now, budget_s: float, inside) -> list:
        with self.desk.ledger.change() as ch:
            self.ch = ch
            if now is not None:
                ch.at = now
            started = time.monotonic()
            self._lookup(prepared)
            results: list = []
            i = 0
            while i < len(prepared) and not (results and time.monotonic() - started > budget_s):
                if results and _stops(results[-1]):
                    break
                taken = self._plain_run(prepared, i, results, started, budget_s)
                if not taken:
                    results.append(self._alone(prepared[i]))
                    taken = 1
                i += taken
            if inside is not None:
                inside(results)
        return results

    # -- which messages may be duplicates: one query for the whole batch
    def _lookup(self, prepared: list[Prepared]) -> None:
        """One query under the lock (no savepoint: a SELECT the server refuses is a fault of the
        ledger's); a value the driver cannot send makes every message get the full check."""
        digests = [p.digest for p in prepared]
        mids = []
        for p in prepared:
            if p.mail is not None and p.mail.message_id:
                if "\x00" in p.mail.message_id:  # (PostgreSQL cannot be sent it): checked alone
                    self.digests.add(p.digest)
                else:
                    mids.append(_mid(p.mail))
        cond = IM.digest.in_(digests)
        if mids:
            cond = cond | IM.message_id.in_(mids)
        query = IM.select(IM.digest, IM.message_id).where(cond).union_all(
            Q.select(Q.digest, peewee.SQL("NULL")).where(Q.digest.in_(digests)))
        try:
            rows = list(query.tuples())
        except (ValueError, UnicodeError):  # refused by the driver before it reached the server
            self.check_all = True
            return
        for digest, mid in rows:
            self.digests.add(digest)
            if mid:
                self.mids.add(mid)

    def _suspect(self, p: Prepared) -> bool:
        return self.check_all or p.digest in self.digests or (
            bool(p.mail.message_id) and _mid(p.mail) in self.mids)

    def _remember(self, p: Prepared) -> None:
        self.digests.add(p.digest)
        if p.mail is not None and p.mail.message_id:
            self.mids.add(_mid(p.mail))

    # -- the common case, many at once
    def _plain_run(self, prepared: list[Prepared], i: int, results: list, started: float, budget_s: float) -> int:
        """New mails about no request from prepared[i] on, written together; how many were taken (0: the
        message at i is not such a mail, or is perhaps a duplicate)."""
        ch = self.ch
        group: list[tuple[Prepared, dict]] = []
        j, deciding = i, True
        try:
            if not self._plain(prepared[i], automatic_reason):  # (no savepoint for a follow-up and the like)
                return 0
            with ch.savepoint():
                while j < len(prepared):
                    if group and time.monotonic() - started > budget_s:
                        break
                    p = prepared[j]
                    if not self._plain(p, automatic_reason):
                        break
                    req, _ = match.find_request(p.mail, self.domain)
                    if req is not None:
                        break
                    group.append((p, _message_fields(ch.at, self.source, p.mail, p.stored, p.redacted, p.digest,
                                                                   p.texts)))
                    self._remember(p)
                    j += 1
                deciding = False
                out = self._write(group) if group else []
        except Exception as exc:  # noqa: BLE001 - rolled back: each message of the run alone, as receive() would
            if _ledger_fault(exc):
                raise
            todo = prepared[i:j + 1] if deciding else prepared[i:j]  # (when deciding, j is the one that failed)
            for n, p in enumerate(todo, 1):
                results.append(self._alone(p))
                if _stops(results[-1]):
                    break
            return n
        results.extend(out)
        return len(group)

    def _plain(self, p: Prepared, automatic_reason) -> bool:
        """Not a duplicate and not automatic (what a new mail about no request needs; the request is asked after)."""
        return p.mail is not None and not self._suspect(p) and not automatic_reason(p.mail, self.ctx)

    def _write(self, group: list[tuple[Prepared, dict]]) -> list[dict]:
        ch, login = self.ch, self.desk.actor.login
        message_ids, item_ids, event_ids = _new_ids(len(group))
        messages, items, events, out = [], [], [], []
        for (p, fields), mid, iid, eid in zip(group, message_ids, item_ids, event_ids):
            names = [a.name for a in p.mail.attachments]
            events.append(ch.chain(eid, None, "intake_received", actor=login, via="email",
                                   data={"intake": iid, "message": mid, "attachments": names}))
            messages.append(dict(fields, id=mid, event_id=eid))
            items.append({"id": iid, "message": mid, "status": "new", "created_at": ch.at})
            out.append(result("new", iid, None, message=mid))
        _insert(IM, messages)
        _insert(IntakeItem, items)
        ch.wrote("inbound_message", message_ids)
        ch.wrote("intake_item", item_ids)
        _insert(Event, events)
        return out

    # -- one message alone, in a savepoint of its own
    def _alone(self, p: Prepared):
        ch = self.ch
        self._remember(p)
        if p.mail is None:
            return self._quarantine(p, p.error)
        try:
            with ch.savepoint():
                return _store_in(self.desk, ch, self.me, p.mail, p.stored, p.redacted, p.digest, self.source,
                                 domain=self.domain, ctx=self.ctx, texts=p.texts)
        except Exception as exc:  # noqa: BLE001 - sorted below
            if _ledger_fault(exc):
                raise
            if isinstance(exc, peewee.IntegrityError):
                return _after_race(self.desk, p.mail, p.digest)
            if isinstance(exc, PdError) and not _is_mail_fault(exc):
                return exc  # the desk's fault, not the mail's: it stays with the caller
            return self._quarantine(p, _reason(exc))

    def _quarantine(self, p: Prepared, error: str) -> dict:
        with self.ch.savepoint():
            return _quarantine_in(self.desk, self.ch, p.raw, p.digest, self.source, error)


def _mid(mail) -> str:
    return mail.message_id[:500]  # as stored


def _new_ids(n: int) -> tuple[list[int], list[int], list[int]]:
    """Ids for n messages, intake items and events, taken under the ledger's write lock: on SQLite
    above each table's highest (as SQLite itself would give them), on PostgreSQL from the sequences."""
    tables = [m._meta.table_name for m in (IM, IntakeItem, Event)]
    if is_sqlite():
        row = db.execute_sql("SELECT " + ", ".join(f'(SELECT COALESCE(MAX(id), 0) FROM "{t}")' for t in tables)
                             ).fetchone()
        return tuple(list(range(top + 1, top + 1 + n)) for top in row)  # type: ignore[return-value]
    rows = db.execute_sql("SELECT " + ", ".join(f"nextval(pg_get_serial_sequence('{t}', 'id'))" for t in tables)
                          + " FROM generate_series(1, %s)", (n,)).fetchall()
    return tuple(sorted(column) for column in zip(*rows))  # type: ignore[return-value]


_INSERT_ROWS = 200  # rows per INSERT (SQLite allows 32,766 parameters in one statement)


def _insert(model, rows: list[dict]) -> None:
    """Rows (by field name; a missing field takes its default): on SQLite with one INSERT per 200
    (peewee would build the statement value by value, which costs more than the insert itself), on
    PostgreSQL with COPY, which the server reads at a third less than an INSERT's literals (100
    intake messages: 6.6 ms against 9.3 ms, measured with the client's side included)."""
    fields = model._meta.sorted_fields
    values = [f.db_value(row[f.name] if f.name in row else (f.default() if callable(f.default) else f.default))
              for row in rows for f in fields]
    table, columns = model._meta.table_name, ", ".join(f'"{f.column_name}"' for f in fields)
    if not is_sqlite():
        _copy(table, columns, len(fields), values)
        return
    one = "(" + ", ".join([db.obj.param] * len(fields)) + ")"
    for start in range(0, len(rows), _INSERT_ROWS):
        part = values[start * len(fields):(start + _INSERT_ROWS) * len(fields)]
        db.execute_sql(f'INSERT INTO "{table}" ({columns}) VALUES ' + ", ".join([one] * (len(part) // len(fields))),
                       part)


def _copy(table: str, columns: str, width: int, values: list) -> None:
    """COPY … FROM STDIN in PostgreSQL's text format: a line per row, tab between the columns."""
    text = "".join(
        "\t".join(map(copy_text, values[start:start + width])) + "\n" for start in range(0, len(values), width))
    with peewee.__exception_wrapper__:  # (errors as peewee's, as an INSERT's would be)
        db.cursor().copy_expert(f'COPY "{table}" ({columns}) FROM STDIN', io.BytesIO(text.encode("utf-8")))


def copy_text(value) -> str:
    """One value as COPY's text format writes it (a column's db_value: text, a number, a flag, an
    instant in naive UTC, bytes, or NULL)."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        if "\x00" in value:  # as psycopg2 says of an INSERT's literal (PostgreSQL text cannot hold it)
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        if "\\" in value:
            value = value.replace("\\", "\\\\")
        return value.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(" ")
    data = getattr(value, "adapted", value)  # (psycopg2.Binary: a blob field's db_value)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return "\\\\x" + bytes(data).hex()
    raise TypeError(f"COPY cannot write a {type(value).__name__}")


# One desk (its ledger connection, contacts and catalog) per process and settings, so that
# `pd mail fetch` does not reopen the ledger for every message; a changed contacts or
# catalog file, or another ledger opened in between, makes a new one.
_DESK: dict = {}


def share_desk(settings, desk) -> None:
    """Let receive() and receive_many() use `desk`, which the command has opened already (its
    ledger connection, contacts and catalog), instead of opening and reading them a second time."""
    _DESK["desk"] = (_stamp(settings), desk)


def _stamp(settings) -> tuple:
    return (settings, _mtime(settings.contacts_path), _mtime(settings.catalog_path))


def _desk_for(settings):
    stamp = _stamp(settings)
    cached = _DESK.get("desk")
    if cached is not None and cached[0] == stamp and cached[1]._ledger is not None \
            and db.obj is cached[1]._ledger.database and not db.obj.is_closed() \
            and _still_in_force(cached[1]):
        return cached[1]
    desk = Desk(settings)
    _DESK["desk"] = (stamp, desk)
    return desk


def _still_in_force(desk) -> bool:
    """The versions and identity mode the desk loaded are still the ledger's (an admin may have
    published others while `pd mail fetch --watch` runs)."""
    if desk.in_force is None:
        return True

    return current() == desk.in_force.versions()


def _forget(settings) -> None:
    cached = _DESK.pop("desk", None)
    if cached is not None and cached[1]._ledger is not None:
        try:
            cached[1]._ledger.close()
        except Exception:  # noqa: BLE001 - a broken connection may not close cleanly
            pass


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _is_mail_fault(exc: PdError) -> bool:
    return isinstance(exc, InvalidInput)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _duplicate(mail, digest: str, *, quarantine: bool = True):
    cond = IM.digest == digest
    if mail is not None and mail.message_id:
        cond = cond | (IM.message_id == _mid(mail))
    found = IM.select().where(cond).first()
    if found is not None:
        item = found.intakeitem_set.first() if hasattr(found, "intakeitem_set") else None
        return result("duplicate", item.id if item else None, found.request.number if found.request_id else None,
                      message=found.id)
    q = Q.get_or_none(Q.digest == digest) if quarantine else None
    if q is not None and q.replayed_as is None:
        return result("duplicate", None, None, quarantine=q.id)
    return None


def _after_race(desk, mail, digest: str) -> dict:
    """Another process stored the same message between our check and our insert."""
    with translate_errors():
        dup = _duplicate(mail, digest)
    if dup is None:
        raise TemporaryFailure(_("the same message was being stored by another pd; try again"))
    return dup


def _store(desk, me, mail, stored: bytes, redacted: bool, digest: str, source: str, now, *,
           replay: bool = False) -> dict:
    """One message in a transaction of its own (`pd intake replay`)."""
    with desk.ledger.change() as ch:
        if now is not None:
            ch.at = now
        return _store_in(desk, ch, me, mail, stored, redacted, digest, source, replay=replay)


def _guarded_texts(mail) -> dict:
    """The stored message's columns that hold what a person wrote, through the password guard."""
    text = guard.redact(mail.text)
    return {"sender_name": guard.redact(mail.sender_name)[:300], "subject": guard.redact(mail.subject),
            "text": text, "reply": guard.redact(mail.reply), "redacted": text != mail.text}


def _message_fields(at, source: str, mail, stored: bytes, redacted: bool, digest: str,
                    texts: dict | None = None) -> dict:
    """The stored message's columns (by field name), every text a person wrote guarded (`texts`:
    _guarded_texts(mail), when prepare() has worked it out already)."""
    texts = dict(texts or _guarded_texts(mail))
    texts["redacted"] = redacted or texts["redacted"]
    return dict(texts, **{
        "received_at": at, "source": source[:200], "message_id": (mail.message_id or None) and _mid(mail),
        "digest": digest, "sender_email": mail.sender_email[:320], "sent_at": mail.sent_at, "html": mail.html,
        "charset_note": "; ".join(dict.fromkeys(mail.charset_notes)) or None,
        "attachments": json.dumps([a.as_dict() for a in mail.attachments], ensure_ascii=False),
        "raw": stored, "action": "new",
    })


def _store_in(desk, ch, me, mail, stored: bytes, redacted: bool, digest: str, source: str, *,
              replay: bool = False, domain: str | None = None, ctx=None, texts: dict | None = None) -> dict:
    """One message in the open change `ch`: a duplicate, a delivery report, automatic mail, a
    follow-up or a new intake item. `domain` and `ctx` (the desk's mail domain and addresses) when
    the caller has them already (a batch works them out once)."""
    dup = _duplicate(mail, digest, quarantine=not replay)
    if dup is not None:
        return dup
    if domain is None:
        domain = domain_of(desk.settings.mail_from)
    if ctx is None:
        ctx = Context(desk_addresses=_desk_addresses(desk))
    reason = automatic_reason(mail, ctx)
    msg = IM.create(**_message_fields(ch.at, source, mail, stored, redacted, digest, texts))
    bounce = delivery_report(mail) if reason else None
    if bounce is not None and (bounce.failed or bounce.delayed or bounce.original_ids):

        return handle(desk, ch, msg, bounce)
    req, how = match.find_request(mail, domain)
    if reason:
        msg.action, msg.auto_reason, msg.request = "automatic", reason, req
        msg.save()
        return result("automatic", None, req.number if req else None, message=msg.id, reason=reason)
    if req is None or req.status in ("closed", "refused"):
        return _new_item(desk, ch, msg, related=req)
    return _follow_up(desk, ch, msg, req, how, thread=list(mail.in_reply_to) + list(mail.references))


def _desk_addresses(desk) -> set[str]:
    out = {email.utils.parseaddr(desk.settings.mail_from)[1].lower()}
    try:
        if desk.contacts.desk.email:
            out.add(desk.contacts.desk.email.lower())
    except Exception:  # noqa: BLE001 - contacts are checked elsewhere
        pass
    out.discard("")
    return out


def _new_item(desk, ch, msg, *, related=None) -> dict:
    item = IntakeItem.create(message=msg, status="new", created_at=ch.at, related=related)
    msg.action, msg.request = "new", related
    if related is not None:
        msg.flag = "closed"
    msg.save()
    ev = ch.event(related, "intake_received", actor=desk.actor.login, via="email",
                  to_status=related.status if related is not None else None,
                  data={"intake": item.id, "message": msg.id, "attachments": _names(msg),
                        "from": f"{msg.sender_name} <{msg.sender_email}>" if msg.sender_name else msg.sender_email,
                        "subject": msg.subject})
    msg.event_id = ev.id
    msg.save()
    return result("new", item.id, related.number if related is not None else None, message=msg.id)


def _names(msg) -> list[str]:
    return [a["name"] for a in json.loads(msg.attachments)]


def sender_role(desk, req, address: str) -> str:
    """requester | expert | staff | other: who wrote, as far as the addresses tell."""
    address = (address or "").lower()
    if not address:
        return "other"
    if req.email and req.email.lower() == address:
        return "requester"
    staff = {p.email.lower(): p for p in desk.contacts.staff.values() if p.email}
    person = staff.get(address)
    if person is not None and req.expert and person.login == req.expert:
        return "expert"
    if person is not None:
        return "staff"
    return "other"


def _follow_up(desk, ch, msg, req, how: str, thread: list[str] | None = None) -> dict:
    role = sender_role(desk, req, msg.sender_email)
    if role in ("expert", "staff"):

        command = parse_command(msg.text)
        if command is not None:
            return _expert_command(desk, ch, msg, req, how, role, command, thread or [])
    flag = None
    if req.status == "resolved":
        flag = "objection"  # [§8.10]: not reopened by itself; "paldies" is the common reply
    elif role == "expert":
        flag = "expert"
    elif req.status == "waiting_user" and role == "requester":
        flag = "answer"
    sender = f"{msg.sender_name} <{msg.sender_email}>" if msg.sender_name else msg.sender_email
    ev = ch.event(req, "mail_received", actor=desk.actor.login, via="email", to_status=req.status, data={
        "from": sender, "subject": msg.subject, "text": msg.reply or msg.text, "attachments": _names(msg),
        "message": msg.id, "matched_by": how, "sender_role": role, "flag": flag,
    })
    msg.action, msg.flag, msg.request, msg.event_id = "follow_up", flag, req, ev.id
    msg.save()
    if flag == "answer":
        # The user's answer restarts the clock exactly as `pd resume --via email` would [§8.8].
        desk.resume_in(ch, req, via="email", answer=(msg.reply or msg.text)[:4000] or None)
        msg.event_id = ch.head.last_event_id  # the last event this mail wrote: later ones are a person's
        msg.save()
    return result("follow_up", None, req.number, message=msg.id, flag=flag)


def _expert_command(desk, ch, msg, req, how: str, role: str, command, thread: list[str]) -> dict:
    """A command word from staff (SPEC 15): done when the assigned expert's mail answers the desk's mail
    to them about this request; otherwise nothing changes and it stays a follow-up for the operator.
    Either way the staff member is told, at their address in the contacts, what was done or why not."""
    lang = mail_lang(desk)
    words = reply_words(lang)
    person = next(p for p in desk.contacts.staff.values() if p.email and p.email.lower() == msg.sender_email.lower())
    why = ""
    if role != "expert":
        why = words["why_not_theirs"]
    elif not answers_desk_mail_to(thread, req, person.email):
        why = words["why_no_thread"]
    elif command.problem == "date":
        why = words["why_date"]
    elif command.problem == "text":
        why = words["why_text"].format(word=command.word.upper(), what=words["what_" + command.name])
    sender = f"{msg.sender_name} <{msg.sender_email}>" if msg.sender_name else msg.sender_email
    data = {"from": sender, "subject": msg.subject, "text": msg.reply or msg.text, "attachments": _names(msg),
            "message": msg.id, "matched_by": how, "sender_role": role, "expert": person.login,
            "command": {"word": command.word, "name": command.name}}
    done = False
    if not why:
        try:
            with ch.savepoint():
                # the mail first in the history, then what it did
                ev = ch.event(req, "mail_received", actor=desk.actor.login, via="email", to_status=req.status,
                              data=dict(data, flag="command", command=dict(data["command"], done=True)))
                desk.act_by_mail(ch, req, person.login, command.name, command.text, command.planned)
                done = True
        except PdError as exc:

            why = (words["why_state"].format(status=label(STATUS_LABELS, req.status, lang))
                   if isinstance(exc, InvalidState) else words["why_other"].format(error=str(exc).rstrip(".")))
            req = type(req).get_by_id(req.id)  # as it was before the savepoint
    if not done:
        ev = ch.event(req, "mail_received", actor=desk.actor.login, via="email", to_status=req.status,
                      data=dict(data, flag="expert", command=dict(data["command"], done=False, why=why)))
        outcome = words["nothing"].format(why=why)
    else:
        outcome = words[command.name].format(text=command.text, planned=format_date(command.planned)
                                             if command.planned else "")
    msg.action, msg.flag, msg.request, msg.event_id = "follow_up", "command" if done else "expert", req, ev.id
    msg.save()
    detail = words["detail"].format(status=label(STATUS_LABELS, req.status, lang))
    desk.tell(ch, req, ev, outcome=outcome, detail=detail)
    return result("follow_up", None, req.number, message=msg.id, flag=msg.flag,
                  command={"name": command.name, "done": done, **({"why": why} if why else {})})


# -------------------------------------------------------------------- quarantine
def quarantine(desk, raw: bytes, digest: str, source: str, error: str, *, now=None) -> dict:
    """Keep a mail pd cannot take apart (a row, and a file when PD_INTAKE_QUARANTINE_DIR is set)."""
    with desk.ledger.change() as ch:
        if now is not None:
            ch.at = now
        return _quarantine_in(desk, ch, raw, digest, source, error)


def _quarantine_in(desk, ch, raw: bytes, digest: str, source: str, error: str) -> dict:
    kept, _ = redact_raw_text(raw)
    existing = Q.get_or_none(Q.digest == digest)
    if existing is not None:
        return result("duplicate", None, None, quarantine=existing.id)
    q = Q.create(received_at=ch.at, source=source[:200], digest=digest, error=error[:2000], raw=kept)
    file_error = None
    if desk.settings.intake_quarantine_dir:
        try:
            q.path = str(_write_file(Path(desk.settings.intake_quarantine_dir), q.id, kept))
            q.save()
        except OSError as exc:  # the row holds the mail; a folder we cannot write must not lose it
            file_error = f"{desk.settings.intake_quarantine_dir}: {exc.strerror}"
    ch.event(None, "mail_quarantined", actor=desk.actor.login, via="email",
             data={"quarantine": q.id, "error": error[:500], "bytes": len(raw), "file_error": file_error})
    return result("quarantined", None, None, quarantine=q.id, error=error)


def _write_file(folder: Path, qid: int, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"pd-quarantine-{qid:06d}.eml"
    tmp = path.with_suffix(".part")
    old = os.umask(0o007)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        os.umask(old)
    return path
