"""The intake queue (SPEC 13): what the operator does with a mail that is not yet a request.

`register` turns an item into a request with the sender's details filled in, the
requester's other details recalled from their last request, and an idempotency key
derived from the item, so one item can never become two requests. `attach` puts it
into an existing request's history; `ignore` sets it aside with a reason; `seen`
marks a request's follow-ups as read; `replay` takes a quarantined mail in again.
Every step is an event with its actor.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import peewee

from ..db.connection import write_transaction
from ..db.intake_models import InboundMessage as IM
from ..db.intake_models import IntakeItem
from ..db.intake_models import QuarantinedMessage as Q
from ..db.models import Request
from ..errors import InvalidInput, InvalidState, NotFound
from ..followups import unseen_condition
from ..i18n import _, pgettext
from ..latvian import iso
from ..objections import unanswered
from ..replytext import clean_subject
from .parse import parse
from .redact import scrub
from .store import _store, digest_of

if TYPE_CHECKING:  # pragma: no cover
    from ..desk import Desk, RegisterInput

STATUSES = ("new", "registered", "attached", "ignored")


def status_words(status: str) -> str:
    """An intake item's status as a person reads it (the JSON keeps the value)."""
    return {"new": pgettext("intake item", "new"), "registered": pgettext("intake item", "registered"),
            "attached": pgettext("intake item", "attached"), "ignored": pgettext("intake item", "ignored")
            }.get(status, status)


def sender(msg) -> str:
    return f"{msg.sender_name} <{msg.sender_email}>" if msg.sender_name else msg.sender_email


def item_dict(item, tz: str = "Europe/Riga", *, text: bool = False) -> dict[str, Any]:
    msg = item.message
    d: dict[str, Any] = {
        "id": item.id, "status": item.status, "from": sender(msg), "subject": msg.subject,
        "received_at": iso(msg.received_at, tz), "request": item.request.number if item.request_id else None,
        # beyond SPEC 13's keys
        "related": item.related.number if item.related_id else None,
        "sent_at": iso(msg.sent_at, tz), "attachments": json.loads(msg.attachments),
        "decided_by": item.decided_by, "decided_at": iso(item.decided_at, tz), "reason": item.reason,
    }
    if text:
        d["text"] = msg.text
        d["html"] = bool(msg.html)
        d["charset_note"] = msg.charset_note
        d["redacted"] = bool(msg.redacted)
        d["message_id"] = msg.message_id
    return d


def list_items(statuses: list[str] | None = None, limit: int | None = None) -> list:
    for s in statuses or []:
        if s not in STATUSES:
            raise InvalidInput(_("--status {value}: use one of {choices}").format(value=repr(s),
                                                                                  choices=", ".join(STATUSES)))
    q = IntakeItem.select(IntakeItem, IM).join(IM)
    if statuses:
        q = q.where(IntakeItem.status.in_(statuses))
    q = q.order_by(IM.received_at.desc(), IntakeItem.id.desc())
    if limit:
        q = q.limit(limit)
    return list(q)


def get_item(item_id: int):
    item = IntakeItem.get_or_none(IntakeItem.id == item_id)
    if item is None:
        raise NotFound(_("no intake item {id} (pd intake list)").format(id=item_id))
    return item


def _open(item) -> None:
    if item.status != "new":
        if item.request_id:
            text = _("intake item {id} is already {status} ({number}); only a new item can be "
                     "registered, attached or ignored")
        else:
            text = _("intake item {id} is already {status}; only a new item can be registered, attached or ignored")
        raise InvalidState(text.format(id=item.id, status=status_words(item.status),
                                       number=item.request.number if item.request_id else ""))


def idempotency_key(item) -> str:
    return f"intake:{item.id}:{item.message.digest[:16]}"


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def prefill(desk: "Desk", item, data: "RegisterInput") -> "RegisterInput":
    """The register options the mail answers: channel, sender, its date; the rest from their last request."""
    msg = item.message
    data.channel = data.channel or "email"
    data.email = data.email or msg.sender_email or None
    data.name = data.name or msg.sender_name or None
    if data.received_at is None:
        when = msg.sent_at
        # A sender's clock may be wrong: a Date in the future, or before pd's own receipt by days, is not trusted.
        if when is None or when > msg.received_at + timedelta(minutes=5) or when < msg.received_at - timedelta(days=30):
            when = msg.received_at
        data.received_at = when
    if data.description is None:
        body = (msg.reply or msg.text or "").strip()  # what the user wrote (pd.replytext), the mail kept whole
        subject = clean_subject(msg.subject)  # no "Pārs.:"/"RE:" in the request's title
        text = f"{subject}\n\n{body}".strip() if subject and subject not in body else body
        data.description = _CONTROL.sub(" ", text)[:4000] or None
    if msg.sender_email:
        last = (Request.select().where(peewee.fn.LOWER(Request.email) == msg.sender_email.lower())
                .order_by(Request.id.desc()).first())
        if last is not None and last.requester_name != "anonimizēts":
            for field, value in (("name", last.requester_name), ("institution", last.institution),
                                 ("unit", last.unit), ("position", last.position), ("phone", last.phone),
                                 ("location", last.location), ("room", last.room), ("username", last.username)):
                if not getattr(data, field) and value:
                    setattr(data, field, value)
    return data


def register(desk: "Desk", item_id: int, data: "RegisterInput", *, redact: bool = False, via: str = "cli"):
    """The item as a new request, in one transaction with the item's own change."""
    desk.require("operator", what=_("register intake mail"))
    with write_transaction():
        item = get_item(item_id)
        if item.status == "registered" and item.request_id:
            # the same item again: its request, never a second one; other content is exit 3 (SPEC 11)
            desk.check_same_request(item.request, data, what=_("intake item {id}").format(id=item.id), redact=redact)
            return item, item.request
        _open(item)
        prefill(desk, item, data)
        req = desk.register(data, idempotency_key=idempotency_key(item), redact=redact, via=via)
        with desk.ledger.change() as ch:
            item = get_item(item_id)  # again, under the write lock: a second register at once stops here
            if item.status == "registered":
                return item, item.request
            _decide(item, "registered", req, ch, desk)
            msg = item.message
            msg.request = req
            msg.save()
            ch.event(req, "intake_registered", actor=desk.actor.login, via=via, to_status=req.status,
                     data={"intake": item.id, "message": msg.id, "from": sender(msg), "subject": msg.subject,
                           "attachments": [a["name"] for a in json.loads(msg.attachments)]})
    return item, req


def _decide(item, status: str, req, ch, desk, reason: str | None = None) -> None:
    item.status, item.request = status, req
    item.decided_at, item.decided_by, item.reason = ch.at, desk.actor.login, reason
    item.save()


def attach(desk: "Desk", item_id: int, number: str, *, via: str = "cli"):
    """Put the item's mail into request N's history (a follow-up the operator has seen)."""
    desk.require("operator", what=_("attach intake mail"))
    with desk.ledger.change() as ch:
        item = get_item(item_id)
        _open(item)
        req = desk.get(number)
        msg = item.message
        ev = ch.event(req, "mail_received", actor=desk.actor.login, via=via, to_status=req.status, data={
            "from": sender(msg), "subject": msg.subject, "text": msg.reply or msg.text,
            "attachments": [a["name"] for a in json.loads(msg.attachments)], "message": msg.id,
            "matched_by": "operator", "intake": item.id, "flag": None,
        })
        _decide(item, "attached", req, ch, desk)
        msg.request, msg.event_id, msg.seen_at, msg.seen_by = req, ev.id, ch.at, desk.actor.login
        msg.save()
    return item, req


def ignore(desk: "Desk", item_id: int, reason: str, *, redact: bool = False, via: str = "cli"):
    desk.require("operator", what=_("ignore intake mail"))
    reason = desk.checked_text("reason", reason, redact=redact)
    with desk.ledger.change() as ch:
        item = get_item(item_id)
        _open(item)
        _decide(item, "ignored", None, ch, desk, reason)
        ch.event(item.related if item.related_id else None, "intake_ignored", actor=desk.actor.login, via=via,
                 to_status=item.related.status if item.related_id else None,
                 data={"intake": item.id, "message": item.message_id, "reason": reason})
    return item


def seen(desk: "Desk", number: str, *, via: str = "cli") -> list[int]:
    """Mark the follow-ups of request N not yet seen as seen, and its replies after the result as no
    objection (close may go on, pd queue stops showing them); the event says who saw them."""
    desk.require("operator", what=_("mark mail as seen"))
    with desk.ledger.change() as ch:
        req = desk.get(number)
        # a reply after the result is decided on too: it is no objection (SPEC 15)
        ids = sorted({m.id for m in IM.select(IM.id).where((IM.request == req) & unseen_condition())}
                     | {m.id for m in unanswered(req)})
        if not ids:
            return []
        IM.update(seen_at=ch.at, seen_by=desk.actor.login).where(IM.id.in_(ids)).execute()
        ch.wrote("inbound_message", ids)
        ch.event(req, "mail_seen", actor=desk.actor.login, via=via, to_status=req.status, data={"messages": ids})
    return ids


def quarantined(limit: int | None = None, *, all_: bool = False) -> list:
    q = Q.select()
    if not all_:
        q = q.where(Q.replayed_at.is_null())
    q = q.order_by(Q.id.desc())
    return list(q.limit(limit) if limit else q)


def replay(desk: "Desk", qid: int, raw: bytes | None = None) -> dict:
    """Take a quarantined mail in again (after a fix of pd, or with `raw`, a repaired copy)."""
    me = desk.require("operator", "admin", what=_("replay quarantined mail"))
    q = Q.get_or_none(Q.id == qid)
    if q is None:
        raise NotFound(_("no quarantined mail {id} (pd intake quarantine)").format(id=qid))
    if q.replayed_at is not None:
        raise InvalidState(_("quarantined mail {id} was replayed already (as message {message})").format(
            id=qid, message=q.replayed_as))
    data = bytes(raw) if raw is not None else bytes(q.raw)
    settings = desk.settings
    try:
        mail = parse(data, max_attachment=settings.intake_max_attachment)
        stored, redacted = scrub(mail, data, settings.intake_max_attachment)
    except Exception as exc:  # noqa: BLE001
        raise InvalidInput(_("quarantined mail {id} still cannot be taken apart: {error}").format(
            id=qid, error=exc)) from None

    with write_transaction():
        res = _store(desk, me, mail, stored, redacted, digest_of(data), f"replay:{qid}", None, replay=True)
        with desk.ledger.change() as ch:
            Q.update(replayed_at=ch.at, replayed_as=res.get("message")).where(Q.id == qid).execute()
            ch.event(None, "mail_replayed", actor=desk.actor.login, via="cli",
                     data={"quarantine": qid, "message": res.get("message"), "action": res["action"]})
    return res
