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

import gc
import json
import os
import pickle
import sqlite3
import subprocess
import sys
from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timezone
from functools import partial
from hashlib import sha256
from operator import itemgetter, methodcaller
from typing import Any
from urllib.parse import quote

import orjson
import peewee

from .conversation import mails_for  # the mails each event queues: SPEC 15's table, in one place
from .db import migrations
from .db.connection import db, is_sqlite, open_database, translate_errors
from .db.models import Event, LedgerHead
from .errors import ConfigError, InvalidInput
from .i18n import N_, NP_, _, gettext_in, language, ngettext_in, pgettext_in
from .latvian import format_dt
from .ledger import (
    GENESIS,
    SEALED_TABLES,
    _connect,
    row_digest,
    sealed_columns,
    sealed_select,
    stored_instant,
    text_sha256,
    verify_chain,
)
from .ledger import witnessed as witnessed_event

# Request columns the replay derives, in the order findings are reported.
REPLAYED = ("status", "expert", "response_due", "resolution_due", "accepted_at", "resolved_at", "closed_at",
            "result", "planned_date", "delay_reason", "delay_reported_at", "refusal_reason", "paused_since",
            "registered_at", "registered_by", "service", "channel", "urgent", "institution", "catalog_version",
            "contacts_version", "received_at", "description")
# Deadlines travel in events as whole seconds (ISO with the Riga offset).
_SECONDS = ("response_due", "resolution_due", "base_resolution_due")


def anchor() -> str:
    """``EVENTS:SHA256``: how many events the chain holds and the hash of the last one."""
    with db.atomic():  # one snapshot: the count and the head agree
        count = Event.select().count()
        head = LedgerHead.get_or_none(LedgerHead.id == 1)
    return f"{count}:{head.last_hash if head is not None and count else GENESIS}"


def parse_anchor(text: str, option: str = "--anchor") -> tuple[int, str]:
    """'1234:<64 hex>' -> (1234, hash); anything else is exit 3."""
    count, sep, digest = (text or "").strip().partition(":")
    digest = digest.lower()
    if not (sep and count.isascii() and count.isdigit() and len(digest) == 64
            and all(c in "0123456789abcdef" for c in digest)):
        raise InvalidInput(_("{option} {text}: expected EVENTS:SHA256 as pd audit anchor prints it "
                             "(e.g. 1520:3f9a…, 64 hex digits)").format(option=option, text=repr(text)))
    return int(count), digest


class Findings:
    """What the audit found. Each finding is kept twice: in English for --json and scripts (`items`, as
    pd has always written them), and as (msgid, values) to be said in the desk's language (`said`)."""

    def __init__(self):
        self.items: list[dict[str, Any]] = []
        self.said: list[tuple[Any, dict]] = []
        self.named: set[tuple] = set()  # (request, table) of every finding so far

    def add(self, request: str | None, table: str, what: str, **values) -> None:
        """`what`: an English msgid (N_) with {placeholders} filled by `values`; a _Plural; or a _Said."""
        self.items.append({"request": request, "table": table, "what": _say(what, values, "en")})
        self.said.append((what, values))
        self.named.add((request, table))

    def extend(self, items: list[dict], said: list) -> None:
        """Another Findings' (a worker's) findings, after these."""
        for item, (what, values) in zip(items, said):
            self.add(item["request"], item["table"], what, **values)

    def lines(self, lang: str = "en") -> list[str]:
        return [f"{f['request'] + ' ' if f['request'] else ''}{_table(f['table'], lang)}: {_say(what, values, lang)}"
                for f, (what, values) in zip(self.items, self.said)]


class Report(dict):
    """The audit's result (a dict: what --json prints) and its findings said in the desk's language."""

    found: Findings | None = None

    def shown(self) -> list[str]:
        """The problems as a person reads them (PD_LANG); `self["problems"]` stays English."""
        return self.found.lines(language()) if self.found is not None else list(self.get("problems", []))


class _Word(str):
    """A value of a finding that is itself a word (e.g. 'nothing'): said in the desk's language too."""


class _Detail(str):
    """A technical detail of a finding (Python's own English words on a damaged value): --json keeps it whole,
    a person is shown its kind only."""

    short: str = ""


def _detail(exc: Exception) -> _Detail:
    detail = _Detail(f"{exc.__class__.__name__}: {str(exc)[:80]}")
    detail.short = exc.__class__.__name__
    return detail


class _Field(str):
    """A column a finding names: said as a person calls it (--json keeps the column's own name)."""


# The columns the replay compares, as a person calls them (context "audit field"; an unknown one as it is).
_FIELDS = {
    "status": NP_("audit field", "status"),
    "expert": NP_("audit field", "expert"),
    "response_due": NP_("audit field", "response deadline"),
    "resolution_due": NP_("audit field", "resolution deadline"),
    "base_resolution_due": NP_("audit field", "resolution deadline before pauses"),
    "accepted_at": NP_("audit field", "accepted at"),
    "resolved_at": NP_("audit field", "resolved at"),
    "closed_at": NP_("audit field", "closed at"),
    "result": NP_("audit field", "result"),
    "planned_date": NP_("audit field", "planned date"),
    "delay_reason": NP_("audit field", "reason for the delay"),
    "delay_reported_at": NP_("audit field", "delay reported at"),
    "refusal_reason": NP_("audit field", "reason for the refusal"),
    "paused_since": NP_("audit field", "waiting for the user since"),
    "registered_at": NP_("audit field", "registered at"),
    "registered_by": NP_("audit field", "registered by"),
    "service": NP_("audit field", "service"),
    "channel": NP_("audit field", "channel"),
    "urgent": NP_("audit field", "urgent"),
    "institution": NP_("audit field", "institution"),
    "catalog_version": NP_("audit field", "catalog version"),
    "contacts_version": NP_("audit field", "contacts version"),
    "received_at": NP_("audit field", "received at"),
    "assigned_at": NP_("audit field", "assigned at"),
    "assigned_by": NP_("audit field", "assigned by"),
    "reason": NP_("audit field", "reason"),
    "ended_at": NP_("audit field", "ended at"),
    "ended_reason": NP_("audit field", "how it ended"),
    "actor": NP_("audit field", "escalated by"),
    "manager": NP_("audit field", "manager"),
    "note": NP_("audit field", "note"),
    "assignment": NP_("audit field", "assignment"),
}


class _Plural(str):
    """A finding's msgid with a plural: the key of _PLURALS (values carry n)."""


class _Said(str):
    """A text the ledger's chain check said in English (`_english`), with its msgid and values."""

    msgid: str = ""
    plural: tuple[str, str] | None = None
    values: dict | None = None


# Table names in a finding's line, as a person reads them (--json keeps the table's own name).
_TABLES = {
    "request": lambda lang: pgettext_in(lang, "audit table", "request"),
    "event": lambda lang: pgettext_in(lang, "audit table", "event"),
    "assignment": lambda lang: pgettext_in(lang, "audit table", "assignment"),
    "escalation": lambda lang: pgettext_in(lang, "audit table", "escalation"),
    "outbox": lambda lang: pgettext_in(lang, "audit table", "outbox"),
    "pause": lambda lang: pgettext_in(lang, "audit table", "pause"),
    "inbound_message": lambda lang: pgettext_in(lang, "audit table", "inbound_message"),
    "intake_item": lambda lang: pgettext_in(lang, "audit table", "intake_item"),
    "config_snapshot": lambda lang: pgettext_in(lang, "audit table", "config_snapshot"),
    "number_sequence": lambda lang: pgettext_in(lang, "audit table", "number_sequence"),
    "database": lambda lang: pgettext_in(lang, "audit table", "database"),
    "row_seal": lambda lang: pgettext_in(lang, "audit table", "row_seal"),
}
# Words that are values of a finding (_Word).
_WORDS = {
    "nothing": lambda lang: pgettext_in(lang, "audit", "nothing"),
    "request": lambda lang: pgettext_in(lang, "audit row", "request"),
    "assignment": lambda lang: pgettext_in(lang, "audit row", "assignment"),
    "pause": lambda lang: pgettext_in(lang, "audit row", "pause"),
    "escalation": lambda lang: pgettext_in(lang, "audit row", "escalation"),
    "outbox message": lambda lang: pgettext_in(lang, "audit row", "outbox message"),
    "inbound mail": lambda lang: pgettext_in(lang, "audit row", "inbound mail"),
    "intake item": lambda lang: pgettext_in(lang, "audit row", "intake item"),
    "configuration snapshot": lambda lang: pgettext_in(lang, "audit row", "configuration snapshot"),
}
_PLURALS = {
    "queued": lambda lang, n: ngettext_in(lang, "message {ids} ({kind}) queued by no event",
                                          "messages {ids} ({kind}) queued by no event", n),
}


def _table(table: str, lang: str) -> str:
    said = _TABLES.get(table)
    return said(lang) if said is not None else table


def _say(what, values: dict, lang: str) -> str:
    """A finding in `lang` ("en": the msgid itself, as --json has it)."""
    if type(what) is _Said:
        if lang == "en" or not what.msgid:
            return str(what)
        values = what.values or {}
        text = ngettext_in(lang, *what.plural, values.get("n", 1)) if what.plural else gettext_in(lang, what.msgid)
    elif type(what) is _Plural:
        text = _PLURALS[what](lang, values["n"])
    else:
        text = gettext_in(lang, what)
    if not values:
        return text
    return text.format(**{k: _value(v, lang) for k, v in values.items()})


def _value(v, lang: str):
    """A finding's value in `lang`: a word or a column as a person says it, a detail's kind only (not in
    English, which --json keeps whole), anything else as it is."""
    if type(v) is _Word and v in _WORDS:
        return _WORDS[v](lang)
    if lang != "en" and type(v) is _Detail:
        return v.short
    if lang != "en" and type(v) is _Field and v in _FIELDS:
        return pgettext_in(lang, *_FIELDS[v])
    return v


def _english(msgid: str, plural: str | None = None, **values) -> _Said:
    """verify_chain's words here: English (--json), each remembering its msgid and values (_Said), so that
    a person is told them in the desk's language (`_say`)."""
    said = _Said((msgid if plural is None or values["n"] == 1 else plural).format(**values))
    said.msgid, said.plural, said.values = msgid, (msgid, plural) if plural else None, values
    return said


def verify_ledger(settings, anchor_text: str | None = None, since_text: str | None = None) -> dict[str, Any]:
    """Open the ledger of `settings` and audit it; a file too damaged to open is a finding, not a crash."""
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
            raise ConfigError(_("the ledger's schema is version {version}, older than this pd ({latest}); "
                                "an admin runs: pd db upgrade").format(version=version, latest=migrations.LATEST))
        return verify(anchor_text, since_text)
    finally:
        database.close()


def verify(anchor_text: str | None = None, since_text: str | None = None) -> dict[str, Any]:
    """The whole audit; 'ok' is False when anything was found. `since_text` (EVENTS:SHA256, an anchor
    trusted) checks only what came after it: its events, the rows their changes wrote, their requests."""
    witnessed = parse_anchor(anchor_text) if anchor_text is not None else None
    since = parse_anchor(since_text, "--since") if since_text is not None else None
    damage = (peewee.DatabaseError, sqlite3.DatabaseError)
    with _no_gc():
        result = _verify(witnessed, since, damage)
        if is_sqlite() and any("decode" in p.lower() for p in result["problems"]):
            # Text that is no longer UTF-8 stops SQLite's cursor: read it again as it is, to name the rows.
            conn = db.connection()
            conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
            try:
                result = _verify(witnessed, since, damage, jobs=False)
            finally:
                conn.text_factory = str
    return result


@contextmanager
def _no_gc():
    """The cyclic garbage collector off while the audit runs: it builds millions of small tuples and dicts
    (no cycles), and each of the collector's passes over them cost a third of the replay's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _verify(witnessed, since, damage, jobs: bool = True) -> dict[str, Any]:
    found = Findings()
    result: dict[str, Any] = {"events": 0, "last_event": 0, "head": None, "integrity": None, "anchor": None,
                              "requests": 0, "rows": 0, "since": f"{since[0]}:{since[1]}" if since else None}
    try:
        with _snapshot():  # one snapshot for every step
            head = db.execute_sql("SELECT last_event_id, last_hash FROM ledger_head WHERE id = 1").fetchone() \
                if is_sqlite() and jobs and since is None else None  # (this read begins the snapshot)
            if head is not None and (head[0] or 0) >= _PARALLEL_FROM and (os.cpu_count() or 1) > 1:
                _in_parallel(found, result, witnessed, damage, tuple(head))
            else:
                seals = _Seals(found)
                _steps(found, damage, [
                    ("database", lambda: _integrity(found, result)),
                    ("event", lambda: _chain(found, result, seals, since)),
                    ("event", lambda: _anchor(found, result, witnessed)),
                    ("request", lambda: _replay(found, result, seals.requests if since else None)),
                    ("row_seal", lambda: _rows(found, result, seals, since))])
    except damage as exc:  # ending the read snapshot failed too (nothing was written)
        if not found.items:
            found.add(None, "database", N_("cannot be read: {error}"), error=str(exc))
    problems = found.lines()
    result.update(ok=not problems, problems=problems, findings=found.items)
    report = Report(result)
    report.found = found
    return report


def _snapshot():
    """A read transaction: on SQLite a deferred one (its first read fixes the snapshot), so that the audit
    does not hold the write lock (the desk writes on while it runs; its workers read beside it)."""
    return db.atomic("DEFERRED") if is_sqlite() else db.atomic()


def _steps(found: Findings, damage, steps) -> None:
    for table, step in steps:
        try:
            step()
        except damage as exc:  # a damaged page, a dropped table…
            found.add(None, table, N_("cannot be read: {error}"), error=str(exc))


# ---------------------------------------------------------------------------- in parallel (big SQLite ledgers)
# From this many events the audit runs its parts in worker processes, one core each, each in a read snapshot
# of its own that holds the same ledger head as this one (the same committed history: every change writes
# the head); a worker whose snapshot differs, or that fails, has its part done here instead.
_PARALLEL_FROM = 200_000
_DAMAGE = (peewee.DatabaseError, sqlite3.DatabaseError)


def _job(name: str, found: Findings, result: dict) -> None:
    """One part of the whole audit (no --since), as a worker runs it."""
    if name == "chain":
        _steps(found, _DAMAGE, [("database", lambda: _integrity(found, result)),
                                ("event", lambda: _chain(found, result, None, None))])
    elif name == "rows":
        seals = _Seals(found)
        _steps(found, _DAMAGE, [("row_seal", lambda: _read_seals(found, seals, None))])
        if seals.read:
            try:
                result["candidates"], result["rows"] = _row_candidates(seals.rows, seals.start, None)
            except _DAMAGE as exc:
                found.add(None, "row_seal", N_("cannot be read: {error}"), error=str(exc))
    else:  # "replay k n": the requests with id % n = k
        k, n = (int(x) for x in name.split()[1:])
        _steps(found, _DAMAGE, [("request", lambda: _replay(found, result, None, (k, n)))])


def _worker() -> None:
    """python -c 'from pd.audit import _worker; _worker()': a job from stdin, its findings to stdout."""
    gc.disable()  # (as _no_gc: this process ends with its part)
    url, head, name = pickle.load(sys.stdin.buffer)
    found, result = Findings(), {}
    try:
        database = open_database(url)
        _connect(database)
        with _snapshot():
            row = db.execute_sql("SELECT last_event_id, last_hash FROM ledger_head WHERE id = 1").fetchone()
            out = ("ok", (found.items, found.said), result) if tuple(row or ()) == head and _job(name, found, result) is None \
                else ("moved", None, None)
        database.close()
    except BaseException as exc:  # noqa: BLE001 - the parent does this part itself
        out = ("failed", repr(exc), None)
    pickle.dump(out, sys.stdout.buffer)


def _start(name: str, head: tuple):
    try:
        proc = subprocess.Popen([sys.executable, "-c", "from pd.audit import _worker; _worker()"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        url = "sqlite:///" + quote(os.path.abspath(db.obj.database))
        pickle.dump((url, head, name), proc.stdin)
        proc.stdin.close()
        return proc
    except OSError:
        return None


def _finish(proc, name: str, found: Findings, result: dict) -> None:
    """Take a worker's findings into `found`; do its part here when it could not."""
    out = None
    if proc is not None:
        try:
            out = pickle.load(proc.stdout)
        except Exception:  # noqa: BLE001 - it died: the part is done here
            out = None
        proc.stdout.close()
        proc.wait()
    if out is None or out[0] != "ok":
        items, part = Findings(), {}
        _job(name, items, part)
        out = ("ok", (items.items, items.said), part)
    found.extend(*out[1])
    result.update(out[2])


def _in_parallel(found: Findings, result: dict, witnessed, damage, head: tuple) -> None:
    names = ["chain", "rows", "replay 1 2"]
    procs = [_start(name, head) for name in names]
    mine = Findings()
    _job("replay 0 2", mine, result)  # (this process's share)
    requests = result["requests"]
    _finish(procs[0], "chain", found, result)
    _steps(found, damage, [("event", lambda: _anchor(found, result, witnessed))])
    rows = Findings()
    _finish(procs[1], "rows", rows, result)
    found.extend(mine.items, mine.said)
    _finish(procs[2], "replay 1 2", found, result)
    result["requests"] += requests
    found.extend(rows.items, rows.said)
    _name_rows(found, result.pop("candidates", []))


def _integrity(found: Findings, result: dict) -> None:
    if not is_sqlite():
        result["integrity"] = "not checked (PostgreSQL checks its pages itself; see docs/security.md)"
        return

    try:
        rows = [r[0] for r in db.execute_sql("PRAGMA integrity_check(20)").fetchall()]
    except sqlite3.DatabaseError as exc:  # too damaged to be checked at all
        rows = [str(exc)]
    result["integrity"] = "ok" if rows == ["ok"] else "damaged"
    if rows != ["ok"]:
        for line in rows:
            found.add(None, "database", N_("SQLite's integrity check: {line}"), line=line)


def _chain(found: Findings, result: dict, seals: _Seals | None, since) -> None:
    chain = verify_chain(seals.add if seals is not None else None, since, say=_english)
    if seals is not None:
        seals.flush()
    result.update(events=chain["events"], last_event=chain["last_event"], head=chain["head"])
    for p in chain["problems"]:
        found.add(None, "event", p)
    if seals is not None:
        seals.read = True


def _anchor(found: Findings, result: dict, witnessed: tuple[int, str] | None) -> None:
    if witnessed is None:
        return
    count, digest = witnessed
    state = {"given": f"{count}:{digest}", "ok": False}
    result["anchor"] = state
    if count == 0:
        state["ok"] = digest == GENESIS
        if not state["ok"]:
            found.add(None, "event", N_("the anchor 0:{digest}… is not the empty ledger's (0:{genesis}…)"),
                      digest=digest[:16], genesis=GENESIS[:16])
        return
    eid, value = witnessed_event(count, digest)
    if eid is None:
        found.add(None, "event", N_("the anchor witnessed {count} events, the ledger holds {events}: "
                                    "events were removed"), count=count, events=result["events"])
    elif value is None:
        found.add(None, "event", N_("event {id} (the {count}th) is not the one the anchor witnessed "
                                    "({digest}…): the history up to it was rewritten"),
                  id=eid, count=count, digest=digest[:16])
    else:
        state["ok"] = True


# ---------------------------------------------------------------------------- sealed rows
# What a finding calls each sealed table's row.
_ROW_NAMES = {"request": "request", "assignment": "assignment", "pause": "pause", "escalation": "escalation",
              "outbox_message": "outbox message", "inbound_message": "inbound mail", "intake_item": "intake item",
              "config_snapshot": "configuration snapshot"}

_FINDING_TABLE = {"outbox_message": "outbox"}  # as the replay names it


def _seal_json(text):
    """json.loads(text) of a seal: orjson's (faster) unless the seal carries the first seal's `start` (whole
    numbers: orjson reads one beyond 64 bits as a float), or orjson refuses it (then json.loads reads it as
    before, or refuses it too). Digests are text: read the same by both."""
    if type(text) is str and '"start"' not in text:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


class _Seals:
    """The last seal of every row, from the chained seals in event order (a later change's wins)."""

    def __init__(self, found: Findings):
        self.found = found
        self.rows: dict[str, dict[str, str]] = {}
        self.start: dict[str, int] | None = None
        self.read = False
        self._batch: list[tuple[int, str]] = []

    def add(self, eid: int, text: str) -> None:
        self._batch.append((eid, text))
        if len(self._batch) >= 4096:
            self.flush()

    def flush(self) -> None:
        """Parse the seals gathered so far (`_seal_json`); each one that cannot be read is a finding."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        try:
            seals = list(map(_seal_json, [text for _, text in batch]))
        except (ValueError, TypeError):
            seals = None
        for n, (eid, text) in enumerate(batch):
            try:
                self._take(seals[n] if seals is not None else json.loads(text))
            except (ValueError, TypeError, AttributeError) as exc:
                self.found.add(None, "row_seal", N_("the seal of event {id} cannot be read ({error})"), id=eid,
                               error=exc.__class__.__name__)

    def _take(self, seal: dict) -> None:
        # ids stay text, as the seal writes them: a row's id is looked up as str(id)
        rows = self.rows
        for table, digests in seal.items():
            mine = rows.get(table)
            if mine is not None:
                mine.update(digests)
            elif table == "start":
                if self.start is None:
                    self.start = {t: int(v) for t, v in digests.items()}
            else:
                rows[table] = dict(digests)

    @property
    def requests(self) -> set[int]:
        """The requests whose rows the seals read cover (for --since)."""
        return {int(i) for i in self.rows.get("request", ())}


def _rows(found: Findings, result: dict, seals: _Seals, since) -> None:
    """Every row of the sealed tables against the last seal of it: changed, deleted, or written by no change."""
    if not seals.read:
        return  # the chain could not be read: no seal to compare with (named by the chain's step)
    candidates, result["rows"] = _row_candidates(seals.rows, seals.start, since)
    _name_rows(found, candidates)


def _read_seals(found: Findings, seals: _Seals, since=None) -> None:
    """The chained seals in event order, read directly (when the chain is checked elsewhere: --jobs)."""
    cursor = db.execute_sql("SELECT s.event_id, s.rows FROM row_seal s JOIN event e ON e.id = s.event_id "
                            "ORDER BY s.event_id")
    while True:
        chunk = cursor.fetchmany(4096)
        if not chunk:
            break
        seals._batch.extend(chunk)
        seals.flush()
    seals.read = True


_utf8 = partial(str.encode, encoding="utf-8", errors="surrogatepass")
_hex = methodcaller("hexdigest")


def _digests(rows: list) -> list[str]:
    """row_digest of each row, in bulk: the same text hashed the same way, without Python per row."""
    try:
        texts = list(map(repr, rows))
    except Exception:  # noqa: BLE001 - a value repr() cannot show: row by row (row_digest names it)
        return [row_digest(r) for r in rows]
    if not is_sqlite() and any("<memory at" in t for t in texts):  # PostgreSQL's bytea
        return [row_digest(r) for r in rows]
    return list(map(_hex, map(sha256, map(_utf8, texts))))


def _row_candidates(seals: dict, start: dict | None, since) -> tuple[list, int]:
    """(table, 'changed'|'inserted'|'deleted', row id, request number) of each sealed row that differs from
    its last seal, in the order the audit names them; and how many rows were compared."""
    numbers = _Numbers()
    checked = 0
    out = []
    for table in SEALED_TABLES:
        want = seals.get(table, {})
        top = None if since or start is None else start.get(table, 0)
        if since:
            ids = sorted(int(i) for i in want)
            rows = [row for i in range(0, len(ids), 900) for row in db.execute_sql(
                f"{sealed_select(table)} WHERE id IN ({', '.join(map(str, ids[i:i + 900]))})")]
        else:
            rows = db.execute_sql(sealed_select(table)).fetchall()
        checked += len(rows)
        keys = list(map(str, map(itemgetter(0), rows)))
        have = dict(zip(keys, _digests(rows)))
        if have == want:
            continue  # (the common case: every row as its last seal left it)
        differ = {k for k, _ in have.items() - want.items()}
        if differ:
            for key, row in zip(keys, rows):
                if key not in differ:
                    continue
                if key in want:
                    out.append((table, "changed", row[0], _number(table, row, numbers)))
                elif top is not None and _above(row[0], top):
                    out.append((table, "inserted", row[0], _number(table, row, numbers)))
                differ.discard(key)  # (a key twice: once)
        for rid in sorted(want.keys() - have.keys(), key=lambda i: (len(i), i)):
            number = numbers.get(int(rid)) if table == "request" and rid.isdigit() else None
            out.append((table, "deleted", rid, number))
    return out, checked


class _Numbers:
    """request id -> registration number, read when first asked (only a finding asks)."""

    def __init__(self):
        self._map: dict | None = None

    def get(self, rid, default=None):
        if self._map is None:
            self._map = dict(db.execute_sql("SELECT id, number FROM request").fetchall())
        return self._map.get(rid, default)


def _name_rows(found: Findings, candidates: list) -> None:
    """The findings of `_row_candidates`, less what the replay has named already."""
    for table, how, rid, number in candidates:
        name, shown = _ROW_NAMES[table], _FINDING_TABLE.get(table, table)
        if how == "deleted":
            if any(t == shown for _, t in found.named):
                continue  # the replay has named this table's missing rows already
            found.add(number, shown, N_("{row} {id} was written by a change but its row is missing (deleted)"),
                      row=_Word(name), id=rid)
            continue
        if (number, shown) in found.named and number is not None:
            continue  # the replay has named what differs in it already
        if how == "inserted":
            found.add(number, shown, N_("{row} {id} was written by no change (a row inserted behind pd's back)"),
                      row=_Word(name), id=repr(rid))
        else:
            found.add(number, shown, N_("{row} {id} is not what the change that last wrote it left "
                                        "(changed behind pd's back)"), row=_Word(name), id=rid)


def _above(rid, top: int) -> bool:
    return not isinstance(rid, int) or rid > top


def _number(table: str, row: tuple, numbers: dict) -> str | None:
    """The request a sealed row belongs to, for the finding (its registration number)."""
    if table == "request":
        return row[1] if isinstance(row[1], str) else None
    cols = sealed_columns(table)
    if "request_id" in cols:
        return numbers.get(row[cols.index("request_id")])
    return None


# ---------------------------------------------------------------------------- replay
# Instants are compared as the driver returns them (SQLite: naive UTC text as pd wrote it; PostgreSQL:
# naive UTC datetimes): an event's `at` and the columns its change set hold the same value, so the
# replay compares them without parsing either. Instants carried in an event's data (ISO text with an
# offset) are put in that form once.
_INSTANTS = {"response_due", "resolution_due", "base_resolution_due", "accepted_at", "resolved_at", "closed_at",
             "delay_reported_at", "paused_since", "registered_at", "received_at", "assigned_at", "ended_at"}
_DATA_KINDS = {"registered", "refused", "assigned", "reassigned", "resumed", "delay_reported", "resolved",
               "escalated", "mail_skipped", "report_sent", "mail_bounced", "mail_received"}  # the kinds whose data the replay reads
_NO_DATA: dict = {}


class _Raw:
    """An instant from event data (ISO text with an offset) as the driver returns the column; each text
    converted once (a desk's deadlines repeat: the end of a working day)."""

    def __init__(self, sqlite: bool):
        self.sqlite = sqlite
        self.seen: dict[str, Any] = {}

    def __call__(self, text) -> Any:
        if not text:
            return None
        value = self.seen.get(text) if type(text) is str else None
        if value is not None:
            return value
        dt = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc).replace(tzinfo=None)
        value = dt.isoformat(" ") if self.sqlite else dt
        if len(self.seen) < 100_000:
            self.seen[text] = value
        return value


# The kinds whose mails depend on more than (kind, from status, to status): conversation.mails_for reads
# their actor or data. The mails of every other event are looked up once per (kind, from, to).
_MAILS_BY_DATA = frozenset({"resumed", "reassigned", "mail_received"})
_scan = json.decoder.JSONDecoder().scan_once  # json.loads' own scanner (C), without its per-call Python


_SCALARS = frozenset({str, int, bool, type(None)})  # (orjson would read an integer beyond 64 bits as a float)


def _data(text):
    """json.loads(text or "{}") of an event's data: orjson's (5x faster) when it is an object of text,
    whole numbers, booleans and nulls, which orjson reads exactly as json.loads does; else the C scanner at
    once when the text is one whole JSON value, else json.loads itself (the same value or exception)."""
    if type(text) is str:
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError:
            value = None  # json.loads takes what orjson does not (NaN, a lone surrogate…) or says what is wrong
        if type(value) is dict and set(map(type, value.values())) <= _SCALARS:
            return value
    if text:
        try:
            value, end = _scan(text, 0)
        except Exception:  # noqa: BLE001 - json.loads says what is wrong
            return json.loads(text)
        if end == len(text):
            return value
    return json.loads(text or "{}")


def _same(field: str, row_value, expected) -> bool:
    if field in _SECONDS:  # deadlines travel in events as whole seconds
        if isinstance(row_value, str) and isinstance(expected, str):
            return row_value[:19] == expected[:19]
        if isinstance(row_value, datetime) and isinstance(expected, datetime):
            return row_value.replace(microsecond=0) == expected.replace(microsecond=0)
    if isinstance(row_value, date) and not isinstance(row_value, datetime):
        row_value = row_value.isoformat()
    return row_value == expected


def _shown(value, field: str | None = None) -> str:
    if value is None:
        return _Word("nothing")
    if field in _INSTANTS and isinstance(value, (str, datetime)):
        try:

            return format_dt(stored_instant(value))
        except (ValueError, TypeError):
            pass
    if isinstance(value, datetime):

        return format_dt(value)
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "…")


class _Open:
    """What one request's events say its row and its assignments must be."""

    __slots__ = ("state", "unchecked", "open_assignment", "last_assignment")

    def __init__(self):
        self.state: dict[str, Any] = dict.fromkeys(REPLAYED)
        self.unchecked: tuple[str, ...] = ("received_at", "description")  # older ledgers' events lack them
        self.open_assignment: int | None = None
        self.last_assignment: int | None = None


def _where(column: str, scope: set[int] | None, part: tuple[int, int] | None = None) -> str:
    """SQL for the rows of the requests in `scope` (all when None); `part` (k, n): of those whose request id
    is k modulo n (rows of no request go with part 0), each row in exactly one part."""
    clauses = []
    if scope is not None:
        clauses.append(f"{column} IN ({', '.join(map(str, sorted(scope)))})" if scope else "1 = 0")
    if part is not None:
        k, n = part
        clauses.append(f"coalesce(abs({column}) % {n}, 0) = {k}")
    return " WHERE " + " AND ".join(clauses) if clauses else ""


_REQUEST_COLUMNS = ("id", "number") + REPLAYED
_ASSIGNMENT_COLUMNS = ("id", "request_id", "expert", "assigned_at", "assigned_by", "response_due", "resolution_due",
                       "base_resolution_due", "reason", "ended_at", "ended_reason")


def _replay(found: Findings, result: dict, scope: set[int] | None = None, part: tuple[int, int] | None = None) -> None:
    """Each request row against the replay of its events (`scope`: only these requests, --since).
    Plain cursors and tuples throughout: the model layer would cost more than the replay."""
    raw = _Raw(is_sqlite())
    requests = {row[0]: row for row in db.execute_sql(
        "SELECT " + ", ".join(_REQUEST_COLUMNS) + " FROM request" + _where("id", scope, part))}
    result["requests"] = len(requests)
    numbers = {rid: row[1] for rid, row in requests.items()}
    replays: dict[int, _Open] = {}
    assignments: dict[int, dict] = {}  # id -> the row its events describe
    escalations: dict[tuple, dict] = {}
    mails: dict[tuple, list] = {}  # (request id, at) -> mail kinds the change queued
    skipped: dict[tuple, list] = defaultdict(list)  # … and those it recorded as not queued
    desk_notices: Counter = Counter()
    cause: dict[tuple, int] = {}  # (request id, at) -> an event id of that change, to name it
    missing_rows: set[int] = set()

    cursor = db.execute_sql("SELECT id, request_id, at, actor, kind, from_status, to_status, data FROM event"
                            + _where("request_id", scope, part) + " ORDER BY id")
    data_kinds, by_data, known = _DATA_KINDS, _MAILS_BY_DATA, {}  # known: (kind, from, to) -> its mails
    while True:
        chunk = cursor.fetchmany(4096)
        if not chunk:
            break
        for eid, rid, at, actor, kind, frm, to, text in chunk:
            data = _NO_DATA
            if kind in data_kinds:
                try:
                    data = _data(text)
                    if type(data) is not dict:
                        raise TypeError("not an object")
                except (ValueError, TypeError) as exc:
                    found.add(numbers.get(rid), "event", N_("event {id} cannot be replayed: its data is damaged "
                                                            "({error})"),
                              id=eid, error=_detail(exc))
                    continue
            if kind in by_data:
                causes = [mail for _, mail in mails_for(kind, from_status=frm, to_status=to, actor=actor, data=data)]
            else:
                causes = known.get((kind, frm, to))
                if causes is None:
                    causes = known[(kind, frm, to)] = [mail for _, mail in mails_for(
                        kind, from_status=frm, to_status=to, actor=actor, data=data)]
            if causes:
                key = (rid, at)
                have = mails.get(key)
                if have is None:
                    mails[key] = list(causes)
                    cause[key] = eid
                else:
                    have.extend(causes)
            elif kind == "mail_skipped":
                key = (rid, at)
                skipped[key].append(data.get("kind"))
                if data.get("kind") != "desk_notice":
                    desk_notices[key] += 1
            elif kind == "report_sent":  # an institution's report, or the Centre's overview
                key = (rid, at)
                mails.setdefault(key, []).append(data.get("kind", "monthly_report"))
                cause.setdefault(key, eid)
            elif kind == "mail_bounced" and data.get("kind") != "desk_notice":
                desk_notices[(rid, at)] += 1  # the desk is told of a bounced mail (SPEC 13)
            if rid is None:
                continue
            r = replays.get(rid)
            if r is None:
                if rid not in requests:
                    if rid not in missing_rows:
                        missing_rows.add(rid)
                        found.add(None, "request", N_("events (from event {event}) belong to request id {id}, "
                                                      "whose row is missing"), event=eid, id=rid)
                    continue
                r = replays[rid] = _Open()
                if kind != "registered":
                    found.add(numbers[rid], "event", N_("its history starts with {kind} (event {id}), not registered"),
                              kind=kind, id=eid)
            try:
                _apply(r, eid, kind, at, actor, to, data, assignments, escalations, rid, raw)
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                found.add(numbers[rid], "event", N_("event {id} cannot be replayed: its data is damaged ({error})"),
                          id=eid, error=_detail(exc))

    # every request row against its replay: the whole row at once, field by field only when it differs
    described = REPLAYED.index("description")
    replayed = itemgetter(*REPLAYED)
    for rid, row in requests.items():
        number = row[1]
        r = replays.get(rid)
        if r is None:
            found.add(number, "request", N_("no event registered it (a row inserted behind pd's back)"))
            continue
        state = r.state
        text = row[2 + described]
        actual = row[2:2 + described] + (text_sha256(text) if isinstance(text, str) else None,) \
            + row[3 + described:]
        for f in r.unchecked:
            state[f] = actual[REPLAYED.index(f)]
        expected = replayed(state)
        if actual == expected:
            continue
        for i, f in enumerate(REPLAYED):
            try:
                same = _same(f, actual[i], expected[i])
            except (TypeError, ValueError):  # a value of another type than its column's
                same = False
            if not same:
                if f == "description":
                    found.add(number, "request", N_("description: the text is not the one registered"))
                else:
                    found.add(number, "request", N_("{field}: the row says {row}, its events say {events}"), field=_Field(f),
                              row=_shown(actual[i], f), events=_shown(expected[i], f))

    # assignments, both ways
    for a in db.execute_sql("SELECT " + ", ".join(_ASSIGNMENT_COLUMNS) + " FROM assignment"
                            + _where("request_id", scope, part)):
        want = assignments.get(a[0])
        if want is not None and tuple(want.values()) == a[1:]:  # (the common case: the whole row at once)
            del assignments[a[0]]
            continue
        a = dict(zip(_ASSIGNMENT_COLUMNS, a))
        number = numbers.get(a["request_id"], f"request id {a['request_id']}")
        want = assignments.pop(a["id"], None)
        if want is None or want["request"] != a["request_id"]:
            found.add(number, "assignment", N_("assignment {id} (to {expert}) was made by no event"), id=a["id"],
                      expert=a["expert"])
            continue
        for f, v in want.items():
            if f == "request":
                continue
            try:
                same = _same("response_due" if f.endswith("_due") else f, a[f], v)
            except (TypeError, ValueError):
                same = False
            if not same:
                found.add(number, "assignment", N_("assignment {id} {field}: the row says {row}, its events say "
                                                   "{events}"), id=a["id"], field=_Field(f), row=_shown(a[f], f),
                          events=_shown(v, f))
    for aid, want in assignments.items():
        found.add(numbers.get(want["request"]), "assignment",
                  N_("assignment {id} (to {expert}) is recorded in the events but its row is missing"), id=aid,
                  expert=want["expert"])

    # escalations, both ways
    for eid_, req, reason, akey, level, actor, manager, note, assignment in db.execute_sql(
            "SELECT id, request_id, reason, assignment_key, level, actor, manager, note, assignment_id "
            "FROM escalation" + _where("request_id", scope, part)):
        e = {"actor": actor, "manager": manager, "note": note, "assignment": assignment}
        number = numbers.get(req, f"request id {req}")
        want = escalations.pop((req, reason, akey, level), None)
        if want is None:
            found.add(number, "escalation", N_("escalation {id} ({reason}, level {level}) was made by no event"),
                      id=eid_, reason=reason, level=level)
            continue
        for f in ("actor", "manager", "note", "assignment"):
            if e[f] != want[f]:
                found.add(number, "escalation", N_("escalation {id} {field}: the row says {row}, its event says "
                                                   "{events}"), id=eid_, field=_Field(f), row=_shown(e[f]),
                          events=_shown(want[f]))
    for k, want in escalations.items():
        found.add(numbers.get(k[0]), "escalation", N_("the escalation of event {event} ({reason}, level {level}) "
                                                      "has no row"), event=want["event"], reason=k[1], level=k[3])

    # the outbox, both ways: each change's mails
    rows: dict[tuple, list] = {}
    for mid, req, kind, created in db.execute_sql("SELECT id, request_id, kind, created_at FROM outbox_message"
                                                  + _where("request_id", scope, part)):
        key = (req, created)
        have = rows.get(key)
        if have is None:
            rows[key] = [(mid, kind)]
        else:
            have.append((mid, kind))
    for key, have in rows.items():  # the common case at once: a change's rows are the mails it queued
        queued = mails.get(key)
        if queued is not None and len(have) == len(queued) and key not in skipped and key not in desk_notices:
            kinds = [k for _, k in have]
            if kinds == queued or sorted(kinds) == sorted(queued):
                del mails[key]
                rows[key] = None
    for key in {k for k, v in rows.items() if v is not None} | mails.keys() | skipped.keys():
        have = rows.get(key) or ()
        queued = mails.get(key, ())
        number = numbers.get(key[0]) if key[0] is not None else None
        have_kinds = Counter(kind for _, kind in have)
        want = Counter(queued)
        for kind in skipped.get(key, ()):
            want[kind] -= 1
        for kind in set(have_kinds) | set(want):
            allowed = desk_notices[key] if kind == "desk_notice" else want[kind]
            if have_kinds[kind] > max(allowed, 0):
                ids = [i for i, k in have if k == kind]
                found.add(number, "outbox", _Plural("queued"), n=len(ids), ids=", ".join(map(str, ids)), kind=kind)
            elif kind != "desk_notice" and have_kinds[kind] < want[kind]:
                found.add(number, "outbox", N_("event {id} queued a message ({kind}); the outbox has none (a row "
                                               "was deleted)"), id=cause.get(key), kind=kind)

    # registration numbers: gap-free and not behind their sequence
    if part is not None and part[0] != 0:
        return  # (part 0 checks them)
    last = dict(db.execute_sql("SELECT year, last FROM number_sequence").fetchall())
    by_year: dict[int, list[int]] = defaultdict(list)
    for rid, number in db.execute_sql("SELECT id, number FROM request"):  # every request's (--since too)
        year, sep, seq = number.partition("-") if isinstance(number, str) else ("", "", "")
        if not (sep and len(year) == 4 and year.isascii() and year.isdigit() and len(seq) == 6 and seq.isascii()
                and seq.isdigit() and int(seq) > 0):
            found.add(None, "request", N_("request id {id}: its number {number} is not a registration number "
                                          "(YYYY-NNNNNN)"), id=rid, number=_shown(number))
            continue
        by_year[int(year)].append(int(seq))
    for year, seqs in sorted(by_year.items()):
        seqs.sort()
        top = last.get(year, 0)
        if not isinstance(top, int):
            found.add(None, "number_sequence", N_("the sequence of {year} holds {value}, not a number"), year=year,
                      value=_shown(top))
            continue
        if seqs[-1] > top:
            found.add(f"{year}-{seqs[-1]:06d}", "number_sequence",
                      N_("numbers of {year} reach {last} but the sequence stands at {top}: the next registration "
                         "would be given a number already issued"), year=year, last=seqs[-1], top=top)
        gaps = sorted(set(range(1, min(max(top, seqs[-1]), 999_999) + 1)) - set(seqs))
        if gaps:
            shown = ", ".join(f"{year}-{g:06d}" for g in gaps[:10]) + (" …" if len(gaps) > 10 else "")
            found.add(None, "request", N_("{n} issued number(s) of {year} have no row: {numbers}"), n=len(gaps),
                      year=year, numbers=shown)


def _apply(r: _Open, eid: int, kind: str, at, actor, to_status, data: dict, assignments: dict, escalations: dict,
           rid: int, raw: _Raw) -> None:
    """One event's effect on its request's row and assignments (pd/desk.py, pd/escalation.py)."""
    s = r.state
    if to_status is not None:
        s["status"] = to_status
    if kind == "accepted":  # (the kinds in about the order of how often they come)
        s["accepted_at"] = at
    elif kind == "closed":
        s["closed_at"] = at
    elif kind == "registered":
        s["registered_at"], s["registered_by"], s["status"] = at, actor, "registered"
        get = data.get
        s["service"], s["channel"], s["urgent"], s["institution"], s["catalog_version"], s["contacts_version"] = \
            get("service"), get("channel"), get("urgent"), get("institution"), get("catalog_version"), \
            get("contacts_version")
        unchecked = list(r.unchecked)
        if "received_at" in data:
            s["received_at"] = raw(data["received_at"])
            unchecked.remove("received_at")
        if "description_sha256" in data:
            s["description"] = data["description_sha256"]
            unchecked.remove("description")
        r.unchecked = tuple(unchecked)
    elif kind == "refused":
        s.update(refusal_reason=data.get("reason"), closed_at=at)
    elif kind == "assigned" or kind == "reassigned":
        s["expert"], s["response_due"], s["resolution_due"], s["accepted_at"] = \
            data.get("expert"), raw(data.get("response_due")), raw(data.get("resolution_due")), None
        if r.open_assignment is not None and r.open_assignment in assignments:
            prev = assignments[r.open_assignment]
            prev.update(ended_at=at, ended_reason="reassigned" if kind == "reassigned" else "rejected")
        aid = data.get("assignment")
        if aid is not None:
            assignments[aid] = {"request": rid, "expert": data.get("expert"), "assigned_at": at,
                                "assigned_by": actor, "response_due": s["response_due"],
                                "resolution_due": s["resolution_due"], "base_resolution_due": s["resolution_due"],
                                "reason": data.get("reason"), "ended_at": None, "ended_reason": None}
            r.open_assignment = r.last_assignment = aid
    elif kind == "rejected":
        _end(r, assignments, at, "rejected")
    elif kind == "waiting":
        s["paused_since"] = at
    elif kind == "resumed":
        s["paused_since"] = None
        if data.get("resolution_due"):
            s["resolution_due"] = raw(data["resolution_due"])
            if r.open_assignment in assignments:
                assignments[r.open_assignment]["resolution_due"] = s["resolution_due"]
    elif kind == "delay_reported":
        s.update(delay_reason=data.get("delay_reason"), planned_date=data.get("planned_date"),
                 delay_reported_at=s["delay_reported_at"] or at)
    elif kind == "resolved":
        s["resolved_at"], s["result"] = at, data.get("result")
        _end(r, assignments, at, "resolved")
    elif kind == "reopened":
        s.update(resolved_at=None, result=None)
        last = assignments.get(r.last_assignment)
        if to_status == "in_progress" and last is not None and last["ended_reason"] == "resolved":
            last.update(ended_at=None, ended_reason=None)
            r.open_assignment = r.last_assignment
    elif kind == "escalated":
        k = (rid, data.get("reason"), data.get("assignment") or 0, data.get("level"))
        escalations[k] = {"actor": actor, "manager": data.get("manager"), "note": data.get("note"),
                          "assignment": data.get("assignment"), "event": eid}


def _end(r: _Open, assignments: dict, at, reason: str) -> None:
    if r.open_assignment is not None and r.open_assignment in assignments:
        assignments[r.open_assignment].update(ended_at=at, ended_reason=reason)
    r.open_assignment = None
