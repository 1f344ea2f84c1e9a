"""Opening the ledger, the audit chain and the registration numbers.

Every write goes through `Ledger.change()`: one transaction that takes the
ledger's write lock (BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL),
so numbers are gap-free and the hash chain is linear under any number of
concurrent writers.
"""
from __future__ import annotations

import hashlib
import json
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

import peewee

from .config import Settings
from .db import connection, fulltext, migrations

# classify_operational_error: the Face maps a database error that escaped a command with it (pd.cli)
from .db.connection import (  # noqa: F401
    BUSY_TIMEOUT_S,
    classify_operational_error,
    db,
    is_sqlite,
    open_database,
    translate_errors,
    write_transaction,
)
from .db.models import Event, LedgerHead, NumberSequence, Request
from .errors import ConfigError

GENESIS = "0" * 64


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def canonical(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


def utc_text(dt: datetime | None) -> str | None:
    """An instant as exact UTC text (microseconds kept), as events carry it."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if dt is not None else None


def text_sha256(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


def hashed_fields(ev, number: str | None) -> dict[str, Any]:
    """What the chain protects: every column of an event but its own hashes."""
    return chain_fields(ev.id, number, ev.at, ev.actor, ev.on_behalf_of, ev.via, ev.kind, ev.from_status,
                        ev.to_status, ev.data)


def chain_fields(eid, number, at: datetime, actor, on_behalf_of, via, kind, from_status, to_status, data):
    return {
        "id": eid, "request": number, "at": utc_text(at), "actor": actor, "on_behalf_of": on_behalf_of,
        "via": via, "kind": kind, "from": from_status, "to": to_status, "data": data,
    }


class Ledger:
    """The opened database plus the settings it was opened with."""
    def __init__(self, settings: Settings, *, migrate: bool = True):
        self.settings = settings
        self._before_change: list[Callable[[], None]] = []
        self.database = connection.open_database(settings.database_url, busy_timeout=settings.busy_timeout)
        with translate_errors():
            _connect(self.database)
            version = migrations.current_version()
            migrations.check_not_newer(version)
            if version == 0 and migrate:
                migrations.upgrade()  # a new ledger
            elif version < migrations.LATEST:
                raise ConfigError(f"the ledger's schema is version {version}, older than this pd "
                                  f"({migrations.LATEST}); an admin runs: pd db upgrade")

    def before_next_change(self, fn: Callable[[], None]) -> None:
        """Run `fn` inside the transaction of the next change (once): what the ledger must learn only
        when someone permitted to change it does (the configuration snapshots: a refused command
        writes nothing)."""
        self._before_change.append(fn)

    def run_before_change(self) -> None:
        """Write what waits for the next change now, in its own transaction."""
        if self._before_change:
            with write_transaction():
                self._run_pending()

    def _run_pending(self) -> list[Callable[[], None]]:
        pending, self._before_change = self._before_change, []
        try:
            for fn in pending:
                fn()
        except BaseException:
            self._before_change[:0] = pending  # rolled back with the transaction: still to do
            raise
        return pending

    def close(self) -> None:
        if not self.database.is_closed():
            self.database.close()

    def reopen(self) -> None:
        """A new connection to the same file (after `pd db restore` replaced its content)."""
        if db.obj is not None and db.obj is not self.database:
            db.obj.close()
        self.database.close()
        self.database.connect(reuse_if_open=True)

    @contextmanager
    def change(self) -> Iterator["Change"]:
        """One state change: all its rows, events and e-mails commit together or not at all."""
        ran: list[Callable[[], None]] = []
        try:
            with write_transaction():
                query = LedgerHead.select().where(LedgerHead.id == 1)
                if self.database.for_update:  # PostgreSQL: queue on the head's row lock (SQLite holds BEGIN IMMEDIATE)
                    query = query.for_update()
                head = query.get()
                ran = self._run_pending()
                change = Change(head)
                yield change
                if change.touched:  # the search index, in the same transaction as the change (SPEC 14)
                    fulltext.index(change.touched)
                if change.dirty:
                    LedgerHead.update(last_event_id=head.last_event_id, last_hash=head.last_hash).where(
                        LedgerHead.id == 1
                    ).execute()
        except BaseException:
            self._before_change[:0] = ran  # rolled back: the next change writes them
            raise


def _connect(database) -> None:
    """Connect; on SQLite, retry while another process holds the lock that
    `PRAGMA journal_mode=wal` needs (that pragma does not wait on the busy handler)."""
    deadline = time.monotonic() + getattr(database, "pd_busy_timeout", BUSY_TIMEOUT_S)
    while True:
        try:
            database.connect(reuse_if_open=True)
            return
        except peewee.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            if not database.is_closed():
                database.close()
            time.sleep(0.05)


class Change:
    """The open transaction of one state change; appends events to the chain."""
    def __init__(self, head):
        self.head = head
        self.dirty = False
        self.at = utcnow()
        self.touched: set[int] = set()  # requests whose search documents this change rewrites

    def touch(self, request_ids) -> None:
        """Re-index these requests at the end of the change (a change that writes no event for them)."""
        self.touched.update(request_ids)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the change that may fail alone (a savepoint): when it raises, its rows are rolled
        back and so is the chain's head in memory; the rest of the change goes on."""
        saved = (self.head.last_event_id, self.head.last_hash, self.dirty, set(self.touched))
        try:
            with db.atomic():
                yield
        except BaseException:
            self.head.last_event_id, self.head.last_hash, self.dirty, self.touched = saved
            raise

    def chain(self, eid: int, request, kind: str, *, actor: str, via: str, on_behalf_of: str | None = None,
              from_status: str | None = None, to_status: str | None = None, data: dict | None = None) -> dict:
        """Event `eid` appended to the chain in memory: its columns by field name, for a caller that
        writes many events with one INSERT (`event()` writes one). `eid` must be an id nobody else
        takes: from the event table's sequence, or above its highest id while we hold the write lock."""
        text = canonical(data or {})
        prev = self.head.last_hash
        digest = event_hash(prev, chain_fields(eid, request.number if request is not None else None, self.at, actor,
                                               on_behalf_of, via, kind, from_status, to_status, text))
        if request is not None:
            self.touched.add(request.id)
        self.head.last_event_id, self.head.last_hash, self.dirty = eid, digest, True
        return {"id": eid, "request": request.id if request is not None else None, "at": self.at, "actor": actor,
                "on_behalf_of": on_behalf_of, "via": via, "kind": kind, "from_status": from_status,
                "to_status": to_status, "data": text, "prev_hash": prev, "hash": digest}

    def event(self, request, kind: str, *, actor: str, via: str, on_behalf_of: str | None = None,
              from_status: str | None = None, to_status: str | None = None, data: dict | None = None):

        # The id is hashed too, so it is taken before the row is written: one INSERT, complete,
        # and never an UPDATE (on PostgreSQL the event table refuses UPDATE and DELETE, SPEC 9).
        row = self.chain(_next_event_id(), request, kind, actor=actor, via=via, on_behalf_of=on_behalf_of,
                         from_status=from_status, to_status=to_status, data=data)
        ev = Event(**dict(row, request=request))
        ev.save(force_insert=True)
        return ev

    def next_number(self, year: int) -> str:
        """The next registration number of `year`, gap-free (we hold the write lock)."""
        NumberSequence.insert(year=year, last=0).on_conflict_ignore().execute()
        NumberSequence.update(last=NumberSequence.last + 1).where(NumberSequence.year == year).execute()
        last = NumberSequence.select(NumberSequence.last).where(NumberSequence.year == year).scalar()
        if last > 999_999:
            raise ConfigError(f"registration numbers for {year} are exhausted (999999)")
        return f"{year}-{last:06d}"


def _next_event_id() -> int:
    """The id the next event gets. We hold the ledger's write lock, so nobody else takes it."""
    if not is_sqlite():  # PostgreSQL: the column's own sequence (ids stay unique even across rollbacks)
        return db.execute_sql("SELECT nextval(pg_get_serial_sequence('event', 'id'))").fetchone()[0]
    return (Event.select(Event.id).order_by(Event.id.desc()).limit(1).scalar() or 0) + 1


def stored_instant(value) -> datetime:
    """An instant as the driver returns it for a UtcDateTimeField column (SQLite: naive UTC text;
    PostgreSQL: a naive UTC datetime), as an aware UTC datetime — without the model layer."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


EVENT_COLUMNS = "id, request_id, at, actor, on_behalf_of, via, kind, from_status, to_status, data, prev_hash, hash"


def verify_chain() -> dict[str, Any]:
    """Recompute the chain; report the first row changed, removed or inserted.

    Reads the rows through a plain cursor (the model layer costs more than the hashing) and
    hashes exactly what `hashed_fields` hashes."""
    numbers = dict(Request.select(Request.id, Request.number).tuples())
    prev = GENESIS
    count = 0
    last_id = 0
    problems: list[str] = []
    cursor = db.execute_sql(f"SELECT {EVENT_COLUMNS} FROM event ORDER BY id")
    for eid, rid, at, actor, behalf, via, kind, frm, to, data, prev_hash, digest in cursor:
        count += 1
        if prev_hash != prev:
            problems.append(f"event {eid}: its link to the previous event is broken (a row before it was changed or removed)")
            break
        fields = chain_fields(eid, numbers.get(rid) if rid else None, stored_instant(at), actor, behalf, via, kind,
                              frm, to, data)
        if digest != event_hash(prev, fields):
            problems.append(f"event {eid}: its content does not match its hash (the row was changed)")
            break
        prev = digest
        last_id = eid
    cursor.close()
    head = LedgerHead.get_or_none(LedgerHead.id == 1)
    if not problems and head is not None and (head.last_event_id != last_id or head.last_hash != prev):
        problems.append(f"the chain ends at event {last_id} but the ledger recorded {head.last_event_id}: events were removed from the end")
    return {"ok": not problems, "events": count, "last_event": last_id, "head": prev, "problems": problems}
