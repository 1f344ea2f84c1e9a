"""Delivering the outbox (SPEC 6): claimed, sent, marked sent only after the server said OK.

A message is claimed (pending -> sending) in one short transaction, sent, then
marked sent in another. Two `pd mail send` processes never send one message
both; a process killed between the server's OK and the mark leaves the message
`sending`, and it is retried only after STALE_CLAIM (at-least-once, documented).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..config import Settings
from ..db.connection import write_transaction
from ..db.models import OutboxMessage as M
from ..errors import ConfigError, InvalidState, NotFound, PdError, TemporaryFailure
from ..i18n import _, ngettext
from ..latvian import format_dt, iso
from .compose import compose
from .transport import PermanentMailError, backoff, transport_from_env

MAX_ATTEMPTS = 12
STALE_CLAIM = timedelta(minutes=30)


@dataclass
class SendReport:
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    deferred: list[tuple[int, str]] = field(default_factory=list)
    temporary_error: str | None = None


def due_messages(now: datetime, limit: int | None = None) -> list:
    q = (M.select(M.id).where(((M.status == "pending") & (M.next_attempt_at <= now))
                              | ((M.status == "sending") & (M.next_attempt_at <= now - STALE_CLAIM)))
         .order_by(M.next_attempt_at, M.id))
    if limit:
        q = q.limit(limit)
    return [m.id for m in q]


def _claim(msg_id: int, now: datetime) -> bool:
    with write_transaction():
        n = (M.update(status="sending", next_attempt_at=now)
             .where((M.id == msg_id) & (((M.status == "pending") & (M.next_attempt_at <= now))
                                        | ((M.status == "sending") & (M.next_attempt_at <= now - STALE_CLAIM))))
             .execute())
    return n == 1


def send_pending(settings: Settings, ledger, *, now: datetime, limit: int | None = None, transport=None,
                 only: set[int] | None = None) -> SendReport:
    """Send what is due (``only``: of these messages only, the rest left to ``pd mail send``).
    Raises ConfigError when no transport is configured (messages wait)."""
    ids = due_messages(now, limit)
    if only is not None:
        ids = [i for i in ids if i in only]
    report = SendReport()
    if not ids:
        return report
    if transport is None:
        try:
            transport = transport_from_env(settings.smtp_url, settings.mail_dir)
        except ConfigError as exc:
            raise ConfigError(ngettext("{n} message waits in the outbox: {error}",
                                       "{n} messages wait in the outbox: {error}", len(ids)).format(
                n=len(ids), error=exc)) from None
    try:
        for msg_id in ids:
            if not _claim(msg_id, now):
                continue  # another sender has it
            m = M.get_by_id(msg_id)
            recipients = json.loads(m.recipients)
            try:
                data = compose(
                    sender=settings.mail_from, to=recipients, subject=m.subject, body=m.body,
                    message_id=m.message_id, in_reply_to=m.in_reply_to,
                    references=[m.references] if m.references else (), date=m.created_at,
                    attachments=[(m.attachment_name, bytes(m.attachment), _mimetype(m.attachment_name))]
                    if m.attachment_name else (),
                )
                refused = transport.send(settings.mail_from, recipients, data)
            except TemporaryFailure as exc:
                # The server is down: this message and every other one due in this run wait,
                # each with its attempt counted and its next try pushed back.
                waiting = [m.id] + [i for i in ids[ids.index(msg_id) + 1:]]
                with write_transaction():
                    for w in M.select().where(M.id.in_(waiting) & M.status.in_(("pending", "sending"))):
                        attempts = w.attempts + 1
                        M.update(status="failed" if attempts >= MAX_ATTEMPTS else "pending", attempts=attempts,
                                 last_error=str(exc), next_attempt_at=now + backoff(attempts)).where(
                            M.id == w.id).execute()
                        report.deferred.append((w.id, str(exc)))
                report.temporary_error = str(exc)
                break
            except ConfigError:
                # Our configuration, not the message: put it back untouched and stop (exit 7).
                with write_transaction():
                    M.update(status="pending", next_attempt_at=now).where(M.id == m.id).execute()
                raise
            except (PermanentMailError, PdError) as exc:
                with write_transaction():
                    M.update(status="failed", attempts=m.attempts + 1, last_error=str(exc)).where(M.id == m.id).execute()
                report.failed.append((m.id, str(exc)))
                continue
            with write_transaction():
                note = _("refused by the server: {recipients}").format(
                    recipients=", ".join(sorted(refused))) if refused else None
                M.update(status="sent", attempts=m.attempts + 1, sent_at=now, last_error=note).where(M.id == m.id).execute()
            report.sent.append(m.id)
    finally:
        transport.close()
    return report


def retry(msg_id: int, now: datetime):
    with write_transaction():
        m = M.get_or_none(M.id == msg_id)
        if m is None:
            raise NotFound(_("no message {id} in the outbox").format(id=msg_id))
        if m.status == "sent":
            raise InvalidState(_("message {id} was sent at {at}; it is not sent twice").format(
                id=msg_id, at=format_dt(m.sent_at)))
        if m.status == "sending" and m.next_attempt_at > now - STALE_CLAIM:
            raise InvalidState(_("message {id} is being sent right now by another pd mail send").format(id=msg_id))
        M.update(status="pending", next_attempt_at=now).where(M.id == msg_id).execute()
    return M.get_by_id(msg_id)


def _mimetype(name: str | None) -> str:
    if name and name.endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    if name and name.endswith(".csv"):
        return "text/csv"
    return "application/octet-stream"


def message_dict(m, tz: str = "Europe/Riga", *, body: bool = False) -> dict:
    d = {
        "id": m.id, "request": m.request.number if m.request_id else None, "kind": m.kind,
        "recipients": json.loads(m.recipients), "subject": m.subject, "status": m.status,
        "attempts": m.attempts, "created_at": iso(m.created_at, tz), "next_attempt_at": iso(m.next_attempt_at, tz),
        "sent_at": iso(m.sent_at, tz), "last_error": m.last_error, "message_id": m.message_id,
        "attachment": m.attachment_name,
    }
    if body:
        d["body"] = m.body
    return d


# ------------------------------------------------------------------ reading the outbox (pd mail list|show)
def messages(statuses: list[str], limit: int) -> list:
    """The newest messages first, of these statuses (all when none is given)."""
    q = M.select()
    if statuses:
        q = q.where(M.status.in_(statuses))
    return list(q.order_by(M.id.desc()).limit(limit))


def message(message_id: int):
    m = M.get_or_none(M.id == message_id)
    if m is None:
        raise NotFound(_("no message {id} in the outbox").format(id=message_id))
    return m


def failed_for_good(report: SendReport) -> list[int]:
    """The messages this run failed for good: refused, or deferred past their last attempt."""
    ids = [i for i, _ in report.failed]
    deferred = [i for i, _ in report.deferred]
    if deferred:
        ids += [m.id for m in M.select(M.id).where(M.id.in_(deferred) & (M.status == "failed"))]
    return sorted(set(ids))
