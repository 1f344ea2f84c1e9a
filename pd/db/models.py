"""The ledger's tables (portable peewee: SQLite and PostgreSQL).

Times are stored as aware UTC instants; they are shown in Europe/Riga by the
presentation layer only.

The e-mail intake's tables (SPEC 13) are defined in pd.db.intake_models, which only the
modules that use them import: defining a peewee model costs ~1.4M instructions, and most
commands never touch them (docs/benchmarks.md, Start-up). Every table in creation order is
pd.db.migrations.ALL_MODELS.
"""
from __future__ import annotations

from datetime import datetime, timezone

import peewee as pw

from .connection import db

#: What a purged requester's personal fields and a purged mail's texts become (`pd privacy purge`).
ANONYMOUS = "anonimizēts"

#: What a purged requester's personal fields and a purged mail's texts become (`pd privacy purge`).
ANONYMOUS = "anonimizēts"


class UtcDateTimeField(pw.DateTimeField):
    """An instant stored as ISO text-free naive UTC, returned aware (UTC)."""

    def db_value(self, value):  # type: ignore[override]
        if value is None:
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime given to the ledger")
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):  # type: ignore[override]
        value = super().python_value(value)
        if isinstance(value, datetime):
            return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return value


# The rows the open change has written through save()/create(), as (table, id): the ledger seals
# them with the change (pd.ledger, SPEC 10). None when no change is open.
WRITES: set | None = None


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False

    def save(self, *args, **kwargs):
        done = super().save(*args, **kwargs)
        if WRITES is not None:
            WRITES.add((self._meta.table_name, self._pk))
        return done


class SchemaVersion(BaseModel):
    """One row per applied migration (numbered, applied in order)."""

    version = pw.IntegerField(primary_key=True)
    name = pw.CharField(max_length=100)
    applied_at = UtcDateTimeField()


class ConfigSnapshot(BaseModel):
    """Every version of catalog.yaml / contacts.yaml the ledger has seen."""

    kind = pw.CharField(max_length=16)  # catalog | contacts
    version = pw.CharField(max_length=64)
    sha256 = pw.CharField(max_length=64)
    source = pw.TextField()  # the path it was read from
    content = pw.TextField()  # the validated data as JSON
    raw = pw.TextField()  # the file's text, for `pd catalog history`
    seen_at = UtcDateTimeField()

    class Meta:
        indexes = ((("kind", "version"), True), (("kind", "sha256"), False))


class LedgerSetting(BaseModel):
    """What the ledger trusts (SPEC 9): `identity` (the mode), `catalog` and `contacts` (the versions in
    force). Set only by an admin of the version in force (pd config, pd catalog/contacts publish), or by
    the command that creates the ledger; on PostgreSQL the desk's roles may only read it (migration 6)."""

    key = pw.CharField(max_length=32, primary_key=True)
    value = pw.CharField(max_length=64)
    set_by = pw.CharField(max_length=64)
    set_at = UtcDateTimeField()


class LedgerHead(BaseModel):
    """A single row that serialises writers and holds the audit chain's head.

    Every write transaction updates it first, so on PostgreSQL two writers
    queue on its row lock exactly as they queue on SQLite's write lock.
    """

    id = pw.IntegerField(primary_key=True)
    last_event_id = pw.BigIntegerField(default=0)
    last_hash = pw.CharField(max_length=64, default="0" * 64)


class NumberSequence(BaseModel):
    """Per-year registration numbers, gap-free: incremented in the writer's transaction."""

    year = pw.IntegerField(primary_key=True)
    last = pw.IntegerField(default=0)


class Request(BaseModel):
    number = pw.CharField(max_length=11, unique=True)
    status = pw.CharField(max_length=16)
    # requester [§6]
    requester_name = pw.CharField(max_length=200)
    institution = pw.CharField(max_length=16, index=True)
    unit = pw.CharField(max_length=200, default="")
    position = pw.CharField(max_length=200, default="")
    phone = pw.CharField(max_length=16, default="")
    email = pw.CharField(max_length=254, default="")
    location = pw.CharField(max_length=300, default="")
    room = pw.CharField(max_length=50, default="")
    username = pw.CharField(max_length=100, default="")
    # what and how
    service = pw.CharField(max_length=40, index=True)
    description = pw.TextField()
    channel = pw.CharField(max_length=8)
    urgent = pw.BooleanField(default=False)
    received_at = UtcDateTimeField(index=True)
    registered_at = UtcDateTimeField()
    registered_by = pw.CharField(max_length=64)
    catalog_version = pw.CharField(max_length=64)
    contacts_version = pw.CharField(max_length=64)
    idempotency_key = pw.CharField(max_length=200, null=True, unique=True)
    # progress
    expert = pw.CharField(max_length=64, null=True, index=True)
    response_due = UtcDateTimeField(null=True)
    resolution_due = UtcDateTimeField(null=True)
    planned_date = pw.DateField(null=True)
    delay_reason = pw.TextField(null=True)
    delay_reported_at = UtcDateTimeField(null=True)
    accepted_at = UtcDateTimeField(null=True)
    resolved_at = UtcDateTimeField(null=True)
    closed_at = UtcDateTimeField(null=True)
    result = pw.TextField(null=True)
    refusal_reason = pw.TextField(null=True)
    ict_contact = pw.TextField(null=True)  # JSON: the institution's ICT contact persons, for refused requests
    paused_since = UtcDateTimeField(null=True)
    updated_at = UtcDateTimeField()

    class Meta:
        indexes = (
            # escalate-overdue: cost follows the open set, not the ledger's size
            (("status", "response_due"), False),
            (("status", "resolution_due"), False),
        )


class Assignment(BaseModel):
    """One forwarding of a request to an expert [§8.2]; reassignment starts a new one."""

    request = pw.ForeignKeyField(Request, backref="assignments", on_delete="RESTRICT")
    expert = pw.CharField(max_length=64)
    assigned_at = UtcDateTimeField()
    assigned_by = pw.CharField(max_length=64)
    response_due = UtcDateTimeField()
    resolution_due = UtcDateTimeField()
    base_resolution_due = UtcDateTimeField()  # before any pause moved it
    calendar = pw.CharField(max_length=40)
    response_calendar = pw.CharField(max_length=40)
    catalog_version = pw.CharField(max_length=64)
    explicit = pw.BooleanField(default=False)  # --respond-by / --resolve-by given
    reason = pw.TextField(null=True)
    ended_at = UtcDateTimeField(null=True)
    ended_reason = pw.CharField(max_length=32, null=True)


class Pause(BaseModel):
    """Time spent waiting for the user [§8.8, §9.5]: the resolution clock stops."""

    request = pw.ForeignKeyField(Request, backref="pauses", on_delete="RESTRICT")
    started_at = UtcDateTimeField()
    ended_at = UtcDateTimeField(null=True)
    question = pw.TextField()
    paused_seconds = pw.IntegerField(null=True)  # working time of the pause on the assignment's calendar


class Event(BaseModel):
    """The append-only, hash-chained history of every change (SPEC 10)."""

    id = pw.BigAutoField()
    request = pw.ForeignKeyField(Request, backref="events", null=True, on_delete="RESTRICT")
    at = UtcDateTimeField()
    actor = pw.CharField(max_length=64)
    on_behalf_of = pw.CharField(max_length=64, null=True)
    via = pw.CharField(max_length=16)  # cli | phone | email | fax | cron | other
    kind = pw.CharField(max_length=32)
    from_status = pw.CharField(max_length=16, null=True)
    to_status = pw.CharField(max_length=16, null=True)
    data = pw.TextField(default="{}")  # canonical JSON
    prev_hash = pw.CharField(max_length=64)
    hash = pw.CharField(max_length=64)


class Escalation(BaseModel):
    """One escalation per request, reason, assignment and level: a unique key, not a lock file."""

    request = pw.ForeignKeyField(Request, backref="escalations", on_delete="RESTRICT")
    assignment = pw.ForeignKeyField(Assignment, null=True, on_delete="RESTRICT")
    assignment_key = pw.BigIntegerField(default=0)  # assignment id or 0: NULLs are never equal in a UNIQUE index
    reason = pw.CharField(max_length=32)
    level = pw.IntegerField(default=1)
    at = UtcDateTimeField()
    actor = pw.CharField(max_length=64)
    manager = pw.CharField(max_length=64, null=True)
    note = pw.TextField(null=True)

    class Meta:
        indexes = ((("request", "reason", "assignment_key", "level"), True),)


class OutboxMessage(BaseModel):
    """A message written in the transaction that caused it; delivered later by `pd mail send`."""

    id = pw.BigAutoField()
    request = pw.ForeignKeyField(Request, backref="messages", null=True, on_delete="RESTRICT")
    kind = pw.CharField(max_length=32)
    recipients = pw.TextField()  # JSON list
    subject = pw.TextField()
    body = pw.TextField()
    message_id = pw.CharField(max_length=255, unique=True)
    in_reply_to = pw.CharField(max_length=255, null=True)
    references = pw.TextField(null=True)
    attachment_name = pw.CharField(max_length=255, null=True)
    attachment = pw.BlobField(null=True)
    created_at = UtcDateTimeField()
    status = pw.CharField(max_length=10, default="pending")  # pending | sending | sent | failed
    attempts = pw.IntegerField(default=0)
    next_attempt_at = UtcDateTimeField(index=True)
    last_error = pw.TextField(null=True)
    sent_at = UtcDateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)


class RowSeal(BaseModel):
    """What the rows one change wrote held when it committed: canonical JSON {table: {id: sha256}}
    (pd.ledger.row_digest). Kept with the change's last event and chained after it (SPEC 10)."""

    event_id = pw.BigIntegerField(primary_key=True)
    rows = pw.TextField()


class ReportRun(BaseModel):
    """A monthly report sent to an institution [§11]: sending twice needs --resend."""

    month = pw.CharField(max_length=7)
    institution = pw.CharField(max_length=16)
    sent_at = UtcDateTimeField()
    actor = pw.CharField(max_length=64)
    fingerprint = pw.CharField(max_length=64)
    resend = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("month", "institution", "resend"), True),)


class JobRun(BaseModel):
    """When each cron job (escalate-overdue, mail send, close --auto) last ran, and last ran
    cleanly: what `pd doctor` asks (SPEC 16). One row per job, rewritten by every run."""

    job = pw.CharField(max_length=32, primary_key=True)
    last_run_at = UtcDateTimeField()
    last_ok_at = UtcDateTimeField(null=True)
    last_error = pw.TextField(null=True)  # the last run's error; None when it ended cleanly


CORE_MODELS: list[type[BaseModel]] = [
    SchemaVersion,
    ConfigSnapshot,
    LedgerSetting,
    LedgerHead,
    NumberSequence,
    Request,
    Assignment,
    Pause,
    Event,
    Escalation,
    OutboxMessage,
    ReportRun,
    RowSeal,
    JobRun,
]
