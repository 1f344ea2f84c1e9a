"""Step 6: store one message and act on it, in ONE transaction of the ledger.

The pipeline (receive): parse -> guard -> (in the write transaction) duplicate?
-> delivery report? -> automatic? -> which request? -> follow-up, answer,
objection, expert's word, or a new intake item. A message that cannot be taken
apart, or that trips over a fault of ours, goes to the quarantine instead and
never blocks the next one.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

from ...errors import PdError, TemporaryFailure


def digest_of(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def result(action: str, intake=None, request=None, **extra) -> dict:
    out = {"action": action, "intake": intake, "request": request}
    out.update(extra)
    return out


def receive(settings, raw: bytes, *, source: str, now: datetime | None = None, desk=None) -> dict:
    """Store one message and return SPEC 13's JSON for it.

    Raises TemporaryFailure when the ledger is busy or unreachable: nothing was stored,
    the caller retries (exit 75 for an MTA).
    """
    from .parse import parse
    from .redact import scrub

    raw = bytes(raw)
    digest = digest_of(raw)
    if desk is None:
        desk = _desk_for(settings)
    try:
        me = desk.require("system", "operator", what="take in mail")  # config and person checked before any write
        desk.ledger  # noqa: B018 - open the ledger (and check its schema) before taking the mail apart
    except PdError:
        _forget(settings)
        raise
    try:
        mail = parse(raw, max_attachment=settings.intake_max_attachment)
        stored, redacted = scrub(mail, raw, settings.intake_max_attachment)
    except TemporaryFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - a mail we cannot take apart is quarantined, whatever the reason
        return quarantine(desk, raw, digest, source, _reason(exc), now=now)
    try:
        return _store(desk, me, mail, stored, redacted, digest, source, now)
    except (TemporaryFailure, PdError) as exc:
        if isinstance(exc, TemporaryFailure) or not _is_mail_fault(exc):
            _forget(settings)  # the next message starts from a fresh connection
            raise
        return quarantine(desk, raw, digest, source, _reason(exc), now=now)
    except Exception as exc:  # noqa: BLE001 - a fault of ours on this mail must not stop the mailbox
        import peewee

        if isinstance(exc, (peewee.OperationalError, peewee.InterfaceError)):
            from ...db.connection import classify_operational_error

            _forget(settings)  # the ledger, not the mail: nothing is quarantined, the caller retries
            if isinstance(exc, peewee.InterfaceError):
                raise TemporaryFailure(f"lost the connection to the ledger: {exc}") from exc
            raise classify_operational_error(exc) from exc
        if isinstance(exc, peewee.IntegrityError):
            return _after_race(desk, mail, digest)
        return quarantine(desk, raw, digest, source, _reason(exc), now=now)


# One desk (its ledger connection, contacts and catalog) per process and settings, so that
# `pd mail fetch` does not reopen the ledger for every message; a changed contacts or
# catalog file, or another ledger opened in between, makes a new one.
_DESK: dict = {}


def _desk_for(settings):
    from ...db.connection import db
    from ...desk import Desk

    stamp = (settings, _mtime(settings.contacts_path), _mtime(settings.catalog_path))
    cached = _DESK.get("desk")
    if cached is not None and cached[0] == stamp and cached[1]._ledger is not None \
            and db.obj is cached[1]._ledger.database and not db.obj.is_closed():
        return cached[1]
    desk = Desk(settings)
    _DESK["desk"] = (stamp, desk)
    return desk


def _forget(settings) -> None:
    cached = _DESK.pop("desk", None)
    if cached is not None and cached[1]._ledger is not None:
        try:
            cached[1]._ledger.close()
        except Exception:  # noqa: BLE001 - a broken connection may not close cleanly
            pass


def _mtime(path: str) -> float | None:
    import os

    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _is_mail_fault(exc: PdError) -> bool:
    from ...errors import InvalidInput

    return isinstance(exc, InvalidInput)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _duplicate(mail, digest: str, *, quarantine: bool = True):
    from ...db.models import InboundMessage as IM, QuarantinedMessage as Q

    cond = IM.digest == digest
    if mail is not None and mail.message_id:
        cond = cond | (IM.message_id == mail.message_id)
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
    from ...db.connection import translate_errors

    with translate_errors():
        dup = _duplicate(mail, digest)
    if dup is None:
        raise TemporaryFailure("the same message was being stored by another pd; try again")
    return dup


def _store(desk, me, mail, stored: bytes, redacted: bool, digest: str, source: str, now, *,
           replay: bool = False) -> dict:
    from ... import guard
    from ...db.models import InboundMessage as IM
    from .classify import Context, automatic_reason, delivery_report
    from .match import find_request
    from ..compose import domain_of

    domain = domain_of(desk.settings.mail_from)
    with desk.ledger.change() as ch:
        if now is not None:
            ch.at = now
        dup = _duplicate(mail, digest, quarantine=not replay)
        if dup is not None:
            return dup
        ctx = Context(desk_addresses=_desk_addresses(desk))
        reason = automatic_reason(mail, ctx)
        text = guard.redact(mail.text)
        msg = IM.create(
            received_at=ch.at, source=source[:200], message_id=(mail.message_id or None) and mail.message_id[:500],
            digest=digest, sender_name=guard.redact(mail.sender_name)[:300], sender_email=mail.sender_email[:320],
            subject=guard.redact(mail.subject), sent_at=mail.sent_at, text=text, reply=guard.redact(mail.reply),
            html=mail.html, charset_note="; ".join(dict.fromkeys(mail.charset_notes)) or None,
            attachments=json.dumps([a.as_dict() for a in mail.attachments], ensure_ascii=False),
            raw=stored, redacted=redacted or text != mail.text, action="new",
        )
        bounce = delivery_report(mail) if reason else None
        if bounce is not None and (bounce.failed or bounce.delayed or bounce.original_ids):
            from .bounce import handle

            return handle(desk, ch, msg, bounce)
        req, how = find_request(mail, domain)
        if reason:
            msg.action, msg.auto_reason, msg.request = "automatic", reason, req
            msg.save()
            return result("automatic", None, req.number if req else None, message=msg.id, reason=reason)
        if req is None or req.status in ("closed", "refused"):
            return _new_item(desk, ch, msg, related=req)
        return _follow_up(desk, ch, msg, req, how)


def _desk_addresses(desk) -> set[str]:
    import email.utils

    out = {email.utils.parseaddr(desk.settings.mail_from)[1].lower()}
    try:
        if desk.contacts.desk.email:
            out.add(desk.contacts.desk.email.lower())
    except Exception:  # noqa: BLE001 - contacts are checked elsewhere
        pass
    out.discard("")
    return out


def _new_item(desk, ch, msg, *, related=None) -> dict:
    from ...db.models import IntakeItem

    item = IntakeItem.create(message=msg, status="new", created_at=ch.at, related=related)
    msg.action, msg.request = "new", related
    if related is not None:
        msg.flag = "closed"
    msg.save()
    ev = ch.event(related, "intake_received", actor=desk.actor.login, via="email",
                  to_status=related.status if related is not None else None,
                  data={"intake": item.id, "message": msg.id, "attachments": _names(msg)})
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


def _follow_up(desk, ch, msg, req, how: str) -> dict:
    role = sender_role(desk, req, msg.sender_email)
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
        desk._resume(ch, req, via="email", answer=(msg.reply or msg.text)[:4000] or None)
        msg.event_id = ch.head.last_event_id  # the last event this mail wrote: later ones are a person's
        msg.save()
    return result("follow_up", None, req.number, message=msg.id, flag=flag)


# -------------------------------------------------------------------- quarantine
def quarantine(desk, raw: bytes, digest: str, source: str, error: str, *, now=None) -> dict:
    """Keep a mail pd cannot take apart (a row, and a file when PD_INTAKE_QUARANTINE_DIR is set)."""
    from ...db.models import QuarantinedMessage as Q
    from .redact import redact_raw_text

    kept, _ = redact_raw_text(raw)
    with desk.ledger.change() as ch:
        if now is not None:
            ch.at = now
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
    import os

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
