"""Opening the ledger, the audit chain and the registration numbers.

Every write goes through `Ledger.change()`: one transaction that takes the
ledger's write lock (BEGIN IMMEDIATE on SQLite, a row lock on PostgreSQL),
so numbers are gap-free and the hash chain is linear under any number of
concurrent writers.
"""
from __future__ import annotations

import hashlib
import json
import json.encoder
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from hashlib import sha256
from typing import Any, Iterator

import peewee

from .config import Settings
from .db import connection, fulltext, migrations, models

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
from .db.models import Event, LedgerHead, NumberSequence, RowSeal
from .errors import ConfigError
from .i18n import N_, NN_, _, ngettext

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


# ---------------------------------------------------------------------------- row seals (SPEC 10)
# Every row a change writes in these tables is sealed with the change: at its commit, the digest of
# each such row (its columns below, read back from the database) goes into a `row_seal` kept with the
# change's last event, and the chain goes on from sha256(that event's hash + the seal). `pd audit
# verify` reads each table, recomputes the digests and compares them with the last seal of each row.
SEALED_TABLES = ("request", "assignment", "pause", "escalation", "outbox_message", "inbound_message",
                 "intake_item", "config_snapshot")
# Not history: the delivery state of a mail (pd mail send writes it outside any change).
UNSEALED_COLUMNS = {"outbox_message": ("status", "attempts", "next_attempt_at", "last_error", "sent_at")}
_COLUMNS: dict[str, tuple[str, ...]] = {}


def sealed_columns(table: str) -> tuple[str, ...]:
    """The columns of `table` a seal covers, id first, in the models' order."""
    cols = _COLUMNS.get(table)
    if cols is None:
        model = next((mdl for mdl in models.CORE_MODELS if mdl._meta.table_name == table), None) or \
            next(mdl for mdl in migrations.all_models() if mdl._meta.table_name == table)  # (the intake's)
        skip = UNSEALED_COLUMNS.get(table, ())
        cols = _COLUMNS[table] = tuple(f.column_name for f in model._meta.sorted_fields if f.column_name not in skip)
    return cols


def sealed_select(table: str) -> str:
    return "SELECT " + ", ".join(f'"{c}"' for c in sealed_columns(table)) + f' FROM "{table}"'


def row_digest(row) -> str:
    """sha256 of a row as the driver returns it (the `sealed_select` columns): the same code at the
    change's commit and in the audit, on the same database, so equal content gives equal digests."""
    try:
        text = repr(row)
    except Exception:  # noqa: BLE001 - a value repr() cannot show is damage: it matches no seal
        text = "\x00unreadable"
    if "<memory at" in text:  # PostgreSQL's bytea: the bytes, not the object's address
        text = repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def seal_hash(event_hash_: str, seal_text: str) -> str:
    """The chain's value after an event that carries a seal."""
    return hashlib.sha256((event_hash_ + "|rows|" + seal_text).encode("utf-8")).hexdigest()


def _seal(change: "Change") -> None:
    """Seal the rows `change` wrote (in its transaction, just before the head is written)."""
    by_table: dict[str, set] = {}
    for table, rid in change.written:
        if table in SEALED_TABLES and rid is not None:
            by_table.setdefault(table, set()).add(rid)
    rows: dict[str, dict[str, str]] = {}
    param = db.obj.param
    for table in sorted(by_table):
        ids = sorted(by_table[table])
        select = sealed_select(table)
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            cursor = db.execute_sql(f"{select} WHERE id IN ({', '.join([param] * len(part))})", part)
            for row in cursor:
                rows.setdefault(table, {})[str(row[0])] = row_digest(row)
    if not rows:
        return
    if not change.dirty:  # rows with no event (none of pd's changes does that): an event to seal them with
        change.event(None, "rows_recorded", actor="pd", via="cli",
                     data={"rows": {t: len(v) for t, v in rows.items()}})
    if db.execute_sql("SELECT 1 FROM row_seal LIMIT 1").fetchone() is None:
        # The ledger's first seal: the rows written before seals existed (an older pd's) are not sealed;
        # the audit checks rows above these ids only against seals.
        start = {}
        for table in SEALED_TABLES:
            mine = sorted(int(i) for i in rows.get(table, ()))
            where = f" WHERE id NOT IN ({', '.join(map(str, mine))})" if mine else ""
            start[table] = db.execute_sql(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"{where}').fetchone()[0]
        rows["start"] = start  # type: ignore[assignment]
    text = canonical(rows)
    RowSeal.insert(event_id=change.head.last_event_id, rows=text).execute()
    change.head.last_hash = seal_hash(change.head.last_hash, text)


class Ledger:
    """The opened database plus the settings it was opened with."""
    def __init__(self, settings: Settings, *, migrate: bool = True):
        self.settings = settings
        self.database = connection.open_database(settings.database_url, busy_timeout=settings.busy_timeout)
        with translate_errors():
            _connect(self.database)
            version = migrations.current_version()
            migrations.check_not_newer(version)
            if version == 0 and migrate:
                migrations.upgrade()  # a new ledger
            elif version < migrations.LATEST:
                raise ConfigError(_("the ledger's schema is version {version}, older than this pd ({latest}); "
                                    "an admin runs: pd db upgrade").format(version=version, latest=migrations.LATEST))

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
        with write_transaction():
            query = LedgerHead.select().where(LedgerHead.id == 1)
            if self.database.for_update:  # PostgreSQL: queue on the head's row lock (SQLite holds BEGIN IMMEDIATE)
                query = query.for_update()
            head = query.get()
            change = Change(head)
            outer, models.WRITES = models.WRITES, change.written
            try:
                yield change
            finally:
                models.WRITES = outer
            if change.touched:  # the search index, in the same transaction as the change (SPEC 14)
                fulltext.index(change.touched)
            if change.written:
                _seal(change)
            if change.dirty:
                LedgerHead.update(last_event_id=head.last_event_id, last_hash=head.last_hash).where(
                    LedgerHead.id == 1
                ).execute()

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
        self.written: set[tuple[str, Any]] = set()  # (table, id) of the rows it wrote: sealed at the commit

    def wrote(self, table: str, ids) -> None:
        """Rows this change wrote other than by a model's save()/create() (those are noted by themselves):
        a bulk UPDATE or INSERT. They are sealed when the change commits (SPEC 10)."""
        self.written.update((table, i) for i in ids)

    def touch(self, request_ids) -> None:
        """Re-index these requests at the end of the change (a change that writes no event for them)."""
        self.touched.update(request_ids)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the change that may fail alone (a savepoint): when it raises, its rows are rolled
        back and so is the chain's head in memory; the rest of the change goes on."""
        saved = (self.head.last_event_id, self.head.last_hash, self.dirty, set(self.touched), set(self.written))
        try:
            with db.atomic():
                yield
        except BaseException:
            self.head.last_event_id, self.head.last_hash, self.dirty, self.touched, written = saved
            self.written.clear()  # (the same set object: the models note rows into it)
            self.written.update(written)
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
            raise ConfigError(_("registration numbers for {year} are exhausted (999999)").format(year=year))
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


def said(msgid: str, plural: str | None = None, **values: Any) -> str:
    """A problem the chain check found, in the desk's language (the default `say` of verify_chain)."""
    return (ngettext(msgid, plural, values["n"]) if plural else _(msgid)).format(**values)


def verify_chain(on_seal=None, since: tuple[int, str] | None = None, say=said) -> dict[str, Any]:
    """Recompute the chain; report the first row changed, removed or inserted.

    Each event's seal (the rows its change wrote) is chained after it; `on_seal(event_id, text)` is
    given each seal of a chained event, in order (after a break too: the rows still get compared).
    `since` = (EVENTS, SHA256), an anchor trusted: only the events after the EVENTS-th are checked.
    A row too damaged to read is a problem, not an exception. Reads through a plain cursor (the
    model layer costs more than the hashing) and hashes exactly what `hashed_fields` hashes.
    `say(msgid, plural=None, **values)` words each problem (pd audit verify keeps its msgid and values)."""
    numbers = dict(db.execute_sql("SELECT id, number FROM request").fetchall())
    prev = GENESIS
    count = 0
    last_id = 0
    problems: list[str] = []
    after = 0
    if since is not None:
        start = _since(since, problems, say)
        if start is None:
            return {"ok": False, "events": 0, "last_event": 0, "head": None, "problems": problems, "seals": 0}
        count, after, prev = start
        last_id = after
    broken = False
    seals = 0
    sealed = db.table_exists("row_seal")  # (a ledger of schema 5 or older, e.g. a backup being restored: none)
    cursor = db.execute_sql(f"SELECT {', '.join('e.' + c for c in EVENT_COLUMNS.split(', '))}, "
                            + ("s.rows FROM event e LEFT JOIN row_seal s ON s.event_id = e.id" if sealed else
                               "NULL FROM event e") + f" WHERE e.id > {int(after)} ORDER BY e.id")
    for eid, rid, at, actor, behalf, via, kind, frm, to, data, prev_hash, digest, seal in cursor:
        count += 1
        if seal is not None:
            seals += 1
            if on_seal is not None:
                on_seal(eid, seal)
        if broken:
            continue
        if prev_hash != prev:
            problems.append(say(N_("event {id}: its link to the previous event is broken (a row before it was "
                                   "changed or removed)"), id=eid))
            broken = True
            continue
        number = numbers.get(rid) if rid else None
        text = _canonical_event(eid, number, at, actor, behalf, via, kind, frm, to, data)
        try:
            if text is None:  # not the common shape: the general (slower) way, exactly as written
                text = canonical(chain_fields(eid, number, stored_instant(at), actor, behalf, via, kind, frm, to,
                                              data))
            ok = digest == sha256((prev + text).encode("utf-8")).hexdigest()
        except Exception:  # noqa: BLE001 - a value of the wrong type or form: the row was changed
            ok = False
        if not ok:
            problems.append(say(N_("event {id}: its content does not match its hash (the row was changed)"), id=eid))
            broken = True
            continue
        prev = seal_hash(digest, seal) if seal is not None and isinstance(seal, str) else digest
        last_id = eid
    cursor.close()
    head = LedgerHead.select(LedgerHead.last_event_id, LedgerHead.last_hash).where(LedgerHead.id == 1).tuples().first()
    if not broken and head is not None and (head[0] != last_id or head[1] != prev):
        problems.append(say(N_("the chain ends at event {last} but the ledger recorded {recorded}: events were "
                               "removed from the end, or the last change's rows were rewritten"),
                            last=last_id, recorded=head[0]))
    total = db.execute_sql(f"SELECT COUNT(*) FROM row_seal WHERE event_id > {int(after)}").fetchone()[0] \
        if sealed else 0
    if total != seals:
        problems.append(say(*NN_("{n} row seal belongs to no event (its event was removed, or it was inserted "
                                 "behind pd's back)",
                                 "{n} row seals belong to no event (their event was removed, or they were "
                                 "inserted behind pd's back)"), n=total - seals))
    return {"ok": not problems, "events": count, "last_event": last_id, "head": prev, "problems": problems,
            "seals": seals}


_quote = json.encoder.encode_basestring  # json.dumps' own quoting of a str (ensure_ascii=False), in C


_EVENT_TEXT = ('{"actor":%s,"at":%s,"data":%s,"from":%s,"id":%s,"kind":%s,"on_behalf_of":%s,"request":%s,"to":%s,'
               '"via":%s}')  # canonical()'s text of an event's fields (keys sorted)


def _canonical_event(eid, number, at, actor, behalf, via, kind, frm, to, data) -> str | None:
    """canonical(chain_fields(...)) built directly for an event row of the usual shape (text columns, an
    instant as SQLite stores it: naive UTC 'YYYY-MM-DD HH:MM:SS[.ffffff]'); None for anything else,
    which the caller hashes the general way. The same text, at a fraction of json.dumps' cost."""
    if type(at) is not str or type(eid) is not int or at[:1] == "0":  # (strftime writes year 999 as "999")
        return None
    if len(at) == 26 and at[10] == " " and at[19] == ".":
        at_text = at[:10] + "T" + at[11:] + "Z"
    elif len(at) == 19 and at[10] == " ":
        at_text = at[:10] + "T" + at[11:] + ".000000Z"
    else:
        return None
    q = _quote  # json.dumps' quoting of a str (C); TypeError for any other value: the general way
    try:
        return _EVENT_TEXT % (q(actor) if actor is not None else "null", q(at_text),
                              q(data) if data is not None else "null", q(frm) if frm is not None else "null", eid,
                              q(kind) if kind is not None else "null", q(behalf) if behalf is not None else "null",
                              q(number) if number is not None else "null", q(to) if to is not None else "null",
                              q(via) if via is not None else "null")
    except TypeError:
        return None


def chain_value(eid: int, digest: str) -> str:
    """The chain's value after event `eid` whose hash is `digest` (its seal folded in, if it has one)."""
    row = db.execute_sql(f"SELECT rows FROM row_seal WHERE event_id = {int(eid)}").fetchone()
    return seal_hash(digest, row[0]) if row is not None else digest


def witnessed(count: int, digest: str) -> tuple[int | None, str | None]:
    """(event id, chain value) of the `count`-th event when an anchor `count:digest` names it: the value
    after it (seal included) or, as pd before row seals printed it, its own hash; (None, None) when not."""
    row = db.execute_sql(f"SELECT id, hash FROM event ORDER BY id LIMIT 1 OFFSET {int(count) - 1}").fetchone()
    if row is None:
        return None, None
    value = chain_value(row[0], row[1])
    return (row[0], value) if digest in (value, row[1]) else (row[0], None)


def _since(anchor: tuple[int, str], problems: list[str], say=said) -> tuple[int, int, str] | None:
    count, digest = anchor
    if count == 0:
        if digest != GENESIS:
            problems.append(say(N_("the anchor 0:{digest}… is not the empty ledger's"), digest=digest[:16]))
            return None
        return 0, 0, GENESIS
    eid, value = witnessed(count, digest)
    if eid is None:
        problems.append(say(N_("the anchor {count}:{digest}… names event number {count}; the ledger holds fewer: "
                               "events were removed"), count=count, digest=digest[:16]))
        return None
    if value is None:
        problems.append(say(N_("event {id} (number {count} in the chain) is not the one the anchor "
                               "{count}:{digest}… witnessed: the history up to it was rewritten, or the anchor is "
                               "not this ledger's"), id=eid, count=count, digest=digest[:16]))
        return None
    return count, eid, value
