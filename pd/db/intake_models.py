"""The e-mail intake's tables (SPEC 13): loaded on first use through pd.db.models."""
from __future__ import annotations

import peewee as pw

from .models import BaseModel, Request, UtcDateTimeField


class InboundMessage(BaseModel):
    """One message that reached the desk, stored whole after the password guard.

    `raw` is the message as received, except that disclosed secrets are replaced by
    [REDACTED] and attachments over the size limit are cut out (their name and size stay
    in `attachments`). `digest` is of the bytes as received, so the same copy twice is
    one message even without a Message-ID.
    """

    id = pw.BigAutoField()
    received_at = UtcDateTimeField(index=True)
    source = pw.CharField(max_length=200)  # ingest:stdin | ingest:FILE | imap:…
    message_id = pw.CharField(max_length=500, null=True, unique=True)
    digest = pw.CharField(max_length=64, unique=True)
    sender_name = pw.CharField(max_length=300, default="")
    sender_email = pw.CharField(max_length=320, default="", index=True)
    subject = pw.TextField(default="")
    sent_at = UtcDateTimeField(null=True)  # the mail's own Date
    text = pw.TextField(default="")  # the readable text (HTML turned into text), redacted
    reply = pw.TextField(default="")  # the text without the quoted history
    html = pw.BooleanField(default=False)  # the text came from an HTML-only mail
    charset_note = pw.TextField(null=True)  # how a text part was decoded when its charset was not declared/right
    attachments = pw.TextField(default="[]")  # JSON list of {name, size, type, stored}
    raw = pw.BlobField()
    redacted = pw.BooleanField(default=False)
    action = pw.CharField(max_length=16)  # new | follow_up | automatic | bounce
    flag = pw.CharField(max_length=16, null=True)  # answer | objection | expert | closed | None
    auto_reason = pw.TextField(null=True)  # why it counts as automatic mail
    request = pw.ForeignKeyField(Request, backref="inbound", null=True, on_delete="RESTRICT")
    event_id = pw.BigIntegerField(null=True)  # the follow-up's event in N's history
    seen_at = UtcDateTimeField(null=True)
    seen_by = pw.CharField(max_length=64, null=True)


class IntakeItem(BaseModel):
    """A mail waiting for the operator: register it, attach it to a request, or ignore it."""

    message = pw.ForeignKeyField(InboundMessage, unique=True, on_delete="RESTRICT")
    status = pw.CharField(max_length=12, index=True)  # new | registered | attached | ignored
    created_at = UtcDateTimeField()
    related = pw.ForeignKeyField(Request, null=True, on_delete="RESTRICT", backref="related_intake")  # a closed N it names
    request = pw.ForeignKeyField(Request, null=True, on_delete="RESTRICT", backref="intake_items")
    decided_at = UtcDateTimeField(null=True)
    decided_by = pw.CharField(max_length=64, null=True)
    reason = pw.TextField(null=True)


class QuarantinedMessage(BaseModel):
    """A message pd could not take apart: kept (redacted where it is readable) for a replay."""

    received_at = UtcDateTimeField(index=True)
    source = pw.CharField(max_length=200)
    digest = pw.CharField(max_length=64, unique=True)
    error = pw.TextField()
    raw = pw.BlobField()
    path = pw.TextField(null=True)  # the copy in PD_INTAKE_QUARANTINE_DIR
    replayed_at = UtcDateTimeField(null=True)
    replayed_as = pw.BigIntegerField(null=True)  # the InboundMessage a replay stored


class ImapMailbox(BaseModel):
    """Where `pd mail fetch` stands in one IMAP mailbox (SPEC 13): its UIDVALIDITY and the highest UID
    below which every message of the mailbox has been committed by the intake. A new UIDVALIDITY
    starts it from 0 again (the intake's Message-ID/digest check makes a rescan harmless)."""

    mailbox = pw.CharField(max_length=255, unique=True)  # user@host:port/folder, never the password
    uidvalidity = pw.BigIntegerField()
    last_uid = pw.BigIntegerField(default=0)
    last_fetch_at = UtcDateTimeField(null=True)
    fetched = pw.BigIntegerField(default=0)  # messages taken into the ledger, all time
    uidvalidity_changes = pw.IntegerField(default=0)
