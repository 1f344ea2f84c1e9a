"""Stored mail is personal data (SPEC 13): `pd privacy export` includes it, and `pd privacy purge`
anonymises it with its request, and mail never registered after the same retention period."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import peewee

from .db.intake_models import InboundMessage as IM
from .db.intake_models import QuarantinedMessage as Q
from .db.models import ANONYMOUS
from .latvian import iso


def export(email: str, tz: str) -> list[dict[str, Any]]:
    """Every stored mail from this address (and each one stored with their requests)."""
    rows = IM.select().where(peewee.fn.LOWER(IM.sender_email) == email.lower()).order_by(IM.id)
    return [{"id": m.id, "received_at": iso(m.received_at, tz), "sent_at": iso(m.sent_at, tz),
             "from": f"{m.sender_name} <{m.sender_email}>" if m.sender_name else m.sender_email,
             "subject": m.subject, "text": m.text, "attachments": json.loads(m.attachments), "action": m.action,
             "request": m.request.number if m.request_id else None,
             "raw": bytes(m.raw).decode("utf-8", "replace")} for m in rows]


def purge_targets(request_ids: list[int], before: datetime) -> list[int]:
    """The stored mail to anonymise: that of these requests, and mail older than `before`
    that never became part of a request (new or ignored intake items, automatic mail)."""
    ids = set()
    for chunk in range(0, len(request_ids), 500):
        part = request_ids[chunk:chunk + 500]
        ids |= {m.id for m in IM.select(IM.id).where(IM.request.in_(part) & (IM.sender_email != ""))}
    ids |= {m.id for m in IM.select(IM.id).where(IM.request.is_null() & (IM.received_at < before)
                                                  & (IM.sender_email != ""))}
    return sorted(ids)


def purge(message_ids: list[int], before: datetime) -> int:
    """Anonymise the messages (sender, subject, text, the kept original) and drop old quarantined bytes."""
    for chunk in range(0, len(message_ids), 500):
        part = message_ids[chunk:chunk + 500]
        IM.update(sender_name=ANONYMOUS, sender_email="", subject=f"[{ANONYMOUS}]", text=f"[{ANONYMOUS}]",
                  reply=f"[{ANONYMOUS}]", raw=b"", attachments="[]").where(IM.id.in_(part)).execute()
    Q.update(raw=b"", error=f"[{ANONYMOUS}]").where((Q.received_at < before) & (Q.error != f"[{ANONYMOUS}]")).execute()
    return len(message_ids)
