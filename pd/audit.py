"""The audit of the whole ledger (SPEC 10) and the chain's witness, ``EVENTS:SHA256``.

`verify()` checks, in one read snapshot:

- the database file itself (SQLite: ``PRAGMA integrity_check``);
- the hash chain of every event (`ledger.verify_chain`), and with an anchor that the
  first EVENTS events are the ones the witness saw (a chain cut short or re-hashed from
  the start is caught only so);
- every request row against the replay of its events (status, expert, deadlines,
  accepted/resolved/closed times, result, delay report, refusal, what was registered);
- every assignment and escalation row against the event that made it, both ways;
- every outbox row against the change (the events of one transaction) that queued it,
  both ways;
- the registration numbers: gap-free, and never behind their sequence.

Each finding names the request, the table and what differs. Institutions keep the
anchor outside the ledger (the monthly report carries it).
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from typing import Any

from .conversation import mails_for  # the mails each event queues: SPEC 15's table, in one place


# Request columns the replay derives, in the order findings are reported.
REPLAYED = ("status", "expert", "response_due", "resolution_due", "accepted_at", "resolved_at", "closed_at",
            "result", "planned_date", "delay_reason", "delay_reported_at", "refusal_reason", "paused_since",
            "registered_at", "registered_by", "service", "channel", "urgent", "institution", "catalog_version",
            "contacts_version", "received_at", "description")
# Deadlines travel in events as whole seconds (ISO with the Riga offset).
_SECONDS = ("response_due", "resolution_due")


def anchor() -> str:
    """``EVENTS:SHA256``: how many events the chain holds and the hash of the last one."""
    from .db.connection import db
    from .db.models import Event, LedgerHead
    from .ledger import GENESIS

    with db.atomic():  # one snapshot: the count and the head agree
        count = Event.select().count()
        head = LedgerHead.get_or_none(LedgerHead.id == 1)
    return f"{count}:{head.last_hash if head is not None and count else GENESIS}"


def parse_anchor(text: str) -> tuple[int, str]:
    """'1234:<64 hex>' -> (1234, hash); anything else is exit 3."""
    from .errors import InvalidInput

    count, sep, digest = (text or "").strip().partition(":")
    digest = digest.lower()
    if not (sep and count.isascii() and count.isdigit() and len(digest) == 64
            and all(c in "0123456789abcdef" for c in digest)):
        raise InvalidInput(f"--anchor {text!r}: expected EVENTS:SHA256 as pd audit anchor prints it "
                           "(e.g. 1520:3f9a…, 64 hex digits)")
    return int(count), digest


class Findings:
    def __init__(self):
        self.items: list[dict[str, Any]] = []

    def add(self, request: str | None, table: str, what: str) -> None:
        self.items.append({"request": request, "table": table, "what": what})

    def lines(self) -> list[str]:
        return [f"{f['request'] + ' ' if f['request'] else ''}{f['table']}: {f['what']}" for f in self.items]


def verify_ledger(settings, anchor_text: str | None = None) -> dict[str, Any]:
    """Open the ledger of `settings` and audit it; a file too damaged to open is a finding, not a crash."""
    import peewee

    from .db import migrations
    from .db.connection import open_database, translate_errors
    from .ledger import _connect

    database = open_database(settings.database_url)
    with translate_errors():
        _connect(database)
    try:
        try:
            version = migrations.current_version()
        except peewee.DatabaseError:
            version = migrations.LATEST  # the steps below name the damage
        with translate_errors():
            migrations.check_not_newer(version)
        if version < migrations.LATEST:
            from .errors import ConfigError

            raise ConfigError(f"the ledger's schema is version {version}, older than this pd "
                              f"({migrations.LATEST}); an admin runs: pd db upgrade")
        return verify(anchor_text)
    finally:
        database.close()


def verify(anchor_text: str | None = None) -> dict[str, Any]:
    """The whole audit; 'ok' is False when anything was found."""
    import sqlite3

    import peewee

    from .db.connection import db
    from .ledger import verify_chain

    witnessed = parse_anchor(anchor_text) if anchor_text is not None else None
    found = Findings()
    result: dict[str, Any] = {"events": 0, "last_event": 0, "head": None, "integrity": None, "anchor": None,
                              "requests": 0}
    steps = [("database", lambda: _integrity(found, result)),
             ("event", lambda: _chain(found, result, verify_chain)),
             ("event", lambda: _anchor(found, result, witnessed)),
             ("request", lambda: _replay(found, result))]
    damage = (peewee.DatabaseError, sqlite3.DatabaseError)
    try:
        with db.atomic():  # one snapshot for every step
            for table, step in steps:
                try:
                    step()
                except damage as exc:  # a damaged page, a dropped table…
                    found.add(None, table, f"cannot be read: {exc}")
    except damage as exc:  # ending the read snapshot failed too (nothing was written)
        if not found.items:
            found.add(None, "database", f"cannot be read: {exc}")
    problems = found.lines()
    result.update(ok=not problems, problems=problems, findings=found.items)
    return result


def _integrity(found: Findings, result: dict) -> None:
    from .db.connection import db, is_sqlite

    if not is_sqlite():
        result["integrity"] = "not checked (PostgreSQL checks its pages itself; see docs/security.md)"
        return
    import sqlite3

    try:
        rows = [r[0] for r in db.execute_sql("PRAGMA integrity_check(20)").fetchall()]
    except sqlite3.DatabaseError as exc:  # too damaged to be checked at all
        rows = [str(exc)]
    result["integrity"] = "ok" if rows == ["ok"] else "damaged"
    if rows != ["ok"]:
        for line in rows:
            found.add(None, "database", f"SQLite's integrity check: {line}")


def _chain(found: Findings, result: dict, verify_chain) -> None:
    chain = verify_chain()
    result.update(events=chain["events"], last_event=chain["last_event"], head=chain["head"])
    for p in chain["problems"]:
        found.add(None, "event", p)


def _anchor(found: Findings, result: dict, witnessed: tuple[int, str] | None) -> None:
    from .db.models import Event
    from .ledger import GENESIS

    if witnessed is None:
        return
    count, digest = witnessed
    state = {"given": f"{count}:{digest}", "ok": False}
    result["anchor"] = state
    if count == 0:
        state["ok"] = digest == GENESIS
        if not state["ok"]:
            found.add(None, "event", f"the anchor 0:{digest[:16]}… is not the empty ledger's (0:{GENESIS[:16]}…)")
        return
    row = Event.select(Event.id, Event.hash).order_by(Event.id).offset(count - 1).limit(1).tuples().first()
    if row is None:
        found.add(None, "event", f"the anchor witnessed {count} events, the ledger holds {result['events']}: "
                                 "events were removed")
    elif row[1] != digest:
        found.add(None, "event", f"event {row[0]} (the {count}th) is not the one the anchor witnessed "
                                 f"({digest[:16]}…): the history up to it was rewritten")
    else:
        state["ok"] = True


# ---------------------------------------------------------------------------- replay
def _utc(text: str | None) -> datetime | None:
    if not text:
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt.astimezone(timezone.utc)


def _same(field: str, row_value, expected) -> bool:
    if field in _SECONDS and isinstance(row_value, datetime) and isinstance(expected, datetime):
        return row_value.replace(microsecond=0) == expected.replace(microsecond=0)
    if isinstance(row_value, date) and not isinstance(row_value, datetime):
        row_value = row_value.isoformat()
    return row_value == expected


def _shown(value) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, datetime):
        from .latvian import format_dt

        return format_dt(value)
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "…")


class _Open:
    """What one request's events say its row and its assignments must be."""

    def __init__(self):
        self.state: dict[str, Any] = dict.fromkeys(REPLAYED)
        self.unchecked: set[str] = {"received_at", "description"}  # older ledgers' events lack them
        self.open_assignment: int | None = None
        self.last_assignment: int | None = None
        self.first = True


def _replay(found: Findings, result: dict) -> None:
    from .db.connection import db
    from .db.models import Assignment, Escalation, NumberSequence, OutboxMessage, Request
    from .ledger import stored_instant, text_sha256

    requests = {r["id"]: r for r in Request.select().dicts()}
    result["requests"] = len(requests)
    numbers = {rid: r["number"] for rid, r in requests.items()}
    replays: dict[int, _Open] = {}
    assignments: dict[int, dict] = {}  # id -> the row its events describe
    escalations: dict[tuple, dict] = {}
    mails: dict[tuple, Counter] = defaultdict(Counter)  # (request id, at) -> mail kinds the change queued
    desk_notices: Counter = Counter()
    cause: dict[tuple, int] = {}  # (request id, at) -> an event id of that change, to name it
    missing_rows: set[int] = set()

    cursor = db.execute_sql("SELECT id, request_id, at, actor, kind, from_status, to_status, data FROM event "
                            "ORDER BY id")  # a plain cursor: the model layer would cost more than the replay
    for row in cursor:
        ev = dict(zip(("id", "request", "at", "actor", "kind", "from_status", "to_status"), row))
        ev["at"] = stored_instant(ev["at"])
        rid = ev["request"]
        data = json.loads(row[7] or "{}")
        key = (rid, ev["at"])
        kind = ev["kind"]
        for _, mail in mails_for(kind, from_status=ev["from_status"], to_status=ev["to_status"], actor=ev["actor"],
                                 data=data):
            mails[key][mail] += 1
            cause.setdefault(key, ev["id"])
        if kind == "mail_skipped":
            mails[key][data.get("kind")] -= 1
            if data.get("kind") != "desk_notice":
                desk_notices[key] += 1
        if kind == "report_sent":  # an institution's report, or the Centre's overview
            mails[key][data.get("kind", "monthly_report")] += 1
            cause.setdefault(key, ev["id"])
        if kind == "mail_bounced" and data.get("kind") != "desk_notice":
            desk_notices[key] += 1  # the desk is told of a bounced mail (SPEC 13)
        if rid is None:
            continue
        if rid not in requests:
            if rid not in missing_rows:
                missing_rows.add(rid)
                found.add(None, "request", f"events (from event {ev['id']}) belong to request id {rid}, "
                                           "whose row is missing")
            continue
        r = replays.setdefault(rid, _Open())
        if r.first and kind != "registered":
            found.add(numbers[rid], "event", f"its history starts with {kind} (event {ev['id']}), not registered")
        r.first = False
        _apply(r, ev, data, assignments, escalations, rid)

    # every request row against its replay
    for rid, row in requests.items():
        number = row["number"]
        r = replays.get(rid)
        if r is None:
            found.add(number, "request", "no event registered it (a row inserted behind pd's back)")
            continue
        expected = r.state
        actual = dict(row)
        actual["description"] = text_sha256(row["description"])
        for f in REPLAYED:
            if f in r.unchecked:
                continue
            if not _same(f, actual[f], expected[f]):
                what = "description: the text is not the one registered" if f == "description" else \
                    f"{f}: the row says {_shown(actual[f])}, its events say {_shown(expected[f])}"
                found.add(number, "request", what)

    # assignments, both ways
    for a in Assignment.select().dicts():
        number = numbers.get(a["request"], f"request id {a['request']}")
        want = assignments.pop(a["id"], None)
        if want is None or want["request"] != a["request"]:
            found.add(number, "assignment", f"assignment {a['id']} (to {a['expert']}) was made by no event")
            continue
        for f, v in want.items():
            if f != "request" and not _same("response_due" if f.endswith("_due") else f, a[f], v):
                found.add(number, "assignment", f"assignment {a['id']} {f}: the row says {_shown(a[f])}, "
                                                f"its events say {_shown(v)}")
    for aid, want in assignments.items():
        found.add(numbers.get(want["request"]), "assignment",
                  f"assignment {aid} (to {want['expert']}) is recorded in the events but its row is missing")

    # escalations, both ways
    for e in Escalation.select().dicts():
        number = numbers.get(e["request"], f"request id {e['request']}")
        k = (e["request"], e["reason"], e["assignment_key"], e["level"])
        want = escalations.pop(k, None)
        if want is None:
            found.add(number, "escalation", f"escalation {e['id']} ({e['reason']}, level {e['level']}) was made "
                                            "by no event")
            continue
        for f in ("actor", "manager", "note", "assignment"):
            if e[f] != want[f]:
                found.add(number, "escalation", f"escalation {e['id']} {f}: the row says {_shown(e[f])}, its "
                                                f"event says {_shown(want[f])}")
    for k, want in escalations.items():
        found.add(numbers.get(k[0]), "escalation", f"the escalation of event {want['event']} ({k[1]}, level "
                                                   f"{k[3]}) has no row")

    # the outbox, both ways: each change's mails
    rows: dict[tuple, list] = defaultdict(list)
    for m in OutboxMessage.select(OutboxMessage.id, OutboxMessage.request, OutboxMessage.kind,
                                  OutboxMessage.created_at).tuples().iterator():
        rows[(m[1], m[3])].append((m[0], m[2]))
    for key in set(rows) | set(mails):
        number = numbers.get(key[0]) if key[0] is not None else None
        have = Counter(kind for _, kind in rows.get(key, ()))
        want = mails.get(key, Counter())
        for kind in set(have) | set(want):
            allowed = desk_notices[key] if kind == "desk_notice" else want[kind]
            if have[kind] > max(allowed, 0):
                ids = [i for i, k in rows[key] if k == kind]
                found.add(number, "outbox", f"message{'s' if len(ids) > 1 else ''} "
                                            f"{', '.join(map(str, ids))} ({kind}) queued by no event")
            elif kind != "desk_notice" and have[kind] < want[kind]:
                found.add(number, "outbox", f"event {cause.get(key)} queued a message ({kind}); the outbox "
                                            "has none (a row was deleted)")

    # registration numbers: gap-free and not behind their sequence
    last = dict(NumberSequence.select(NumberSequence.year, NumberSequence.last).tuples())
    by_year: dict[int, list[int]] = defaultdict(list)
    for number in numbers.values():
        year, _, seq = number.partition("-")
        by_year[int(year)].append(int(seq))
    for year, seqs in sorted(by_year.items()):
        seqs.sort()
        top = last.get(year, 0)
        if seqs[-1] > top:
            found.add(f"{year}-{seqs[-1]:06d}", "number_sequence",
                      f"numbers of {year} reach {seqs[-1]} but the sequence stands at {top}: "
                      "the next registration would be given a number already issued")
        gaps = sorted(set(range(1, max(top, seqs[-1]) + 1)) - set(seqs))
        if gaps:
            shown = ", ".join(f"{year}-{g:06d}" for g in gaps[:10]) + (" …" if len(gaps) > 10 else "")
            found.add(None, "request", f"{len(gaps)} issued number(s) of {year} have no row: {shown}")


def _apply(r: _Open, ev: dict, data: dict, assignments: dict, escalations: dict, rid: int) -> None:
    """One event's effect on its request's row and assignments (pd/desk.py, pd/escalation.py)."""
    s = r.state
    kind, at = ev["kind"], ev["at"]
    if ev["to_status"] is not None:
        s["status"] = ev["to_status"]
    if kind == "registered":
        s.update(registered_at=at, registered_by=ev["actor"], status="registered")
        for f in ("service", "channel", "urgent", "institution", "catalog_version", "contacts_version"):
            s[f] = data.get(f)
        if "received_at" in data:
            s["received_at"] = _utc(data["received_at"])
            r.unchecked.discard("received_at")
        if "description_sha256" in data:
            s["description"] = data["description_sha256"]
            r.unchecked.discard("description")
    elif kind == "refused":
        s.update(refusal_reason=data.get("reason"), closed_at=at)
    elif kind in ("assigned", "reassigned"):
        s.update(expert=data.get("expert"), response_due=_utc(data.get("response_due")),
                 resolution_due=_utc(data.get("resolution_due")), accepted_at=None)
        if r.open_assignment is not None and r.open_assignment in assignments:
            prev = assignments[r.open_assignment]
            prev.update(ended_at=at, ended_reason="reassigned" if kind == "reassigned" else "rejected")
        aid = data.get("assignment")
        if aid is not None:
            assignments[aid] = {"request": rid, "expert": data.get("expert"), "assigned_at": at,
                                "assigned_by": ev["actor"], "response_due": s["response_due"],
                                "resolution_due": s["resolution_due"], "base_resolution_due": s["resolution_due"],
                                "reason": data.get("reason"), "ended_at": None, "ended_reason": None}
            r.open_assignment = r.last_assignment = aid
    elif kind == "accepted":
        s["accepted_at"] = at
    elif kind == "rejected":
        _end(r, assignments, at, "rejected")
    elif kind == "waiting":
        s["paused_since"] = at
    elif kind == "resumed":
        s["paused_since"] = None
        if data.get("resolution_due"):
            s["resolution_due"] = _utc(data["resolution_due"])
            if r.open_assignment in assignments:
                assignments[r.open_assignment]["resolution_due"] = s["resolution_due"]
    elif kind == "delay_reported":
        s.update(delay_reason=data.get("delay_reason"), planned_date=data.get("planned_date"),
                 delay_reported_at=s["delay_reported_at"] or at)
    elif kind == "resolved":
        s.update(resolved_at=at, result=data.get("result"))
        _end(r, assignments, at, "resolved")
    elif kind == "closed":
        s["closed_at"] = at
    elif kind == "reopened":
        s.update(resolved_at=None, result=None)
        last = assignments.get(r.last_assignment)
        if ev["to_status"] == "in_progress" and last is not None and last["ended_reason"] == "resolved":
            last.update(ended_at=None, ended_reason=None)
            r.open_assignment = r.last_assignment
    elif kind == "escalated":
        k = (rid, data.get("reason"), data.get("assignment") or 0, data.get("level"))
        escalations[k] = {"actor": ev["actor"], "manager": data.get("manager"), "note": data.get("note"),
                          "assignment": data.get("assignment"), "event": ev["id"]}


def _end(r: _Open, assignments: dict, at: datetime, reason: str) -> None:
    if r.open_assignment is not None and r.open_assignment in assignments:
        assignments[r.open_assignment].update(ended_at=at, ended_reason=reason)
    r.open_assignment = None
