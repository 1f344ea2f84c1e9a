"""Backups of an SQLite ledger and personal-data retention (SPEC 12, GDPR).

Backups use SQLite's online backup API, so a consistent copy is made while
other processes write. For PostgreSQL, pg_dump/pg_restore do this job
(docs/postgres.md).

Retention: `purge` anonymises the requester fields of requests closed (or
refused) before a date. The audit chain is unaffected by design: events never
carry the requester's personal fields (only the request's number, service,
channel, institution and the desk's own texts), so a purge changes no hashed
row; the purge itself is recorded as an event.
"""
from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, InvalidInput

if TYPE_CHECKING:  # pragma: no cover
    from .desk import Desk

ANONYMOUS = "anonimizēts"
PERSONAL_FIELDS = ("requester_name", "position", "phone", "email", "location", "room", "username")


def _sqlite_file(settings) -> Path:
    from .db.connection import sqlite_path

    path = sqlite_path(settings.database_url)
    if path is None:
        raise ConfigError("pd db backup/restore work on an SQLite ledger; for PostgreSQL use pg_dump -Fc and "
                          "pg_restore (see docs/postgres.md)")
    return path


def backup(settings, target: Path) -> dict[str, Any]:
    """A consistent copy of the live ledger (others may keep writing)."""
    src = _sqlite_file(settings)
    if not src.exists():
        raise ConfigError(f"no ledger at {src}")
    target = Path(target)
    if target.exists():
        raise InvalidInput(f"{target} exists; choose a new file (a backup never overwrites)")
    tmp = target.with_name(target.name + ".part")
    old = os.umask(0o007)
    try:
        with sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30) as s, sqlite3.connect(tmp) as d:
            s.backup(d, pages=1024)
            d.execute("PRAGMA journal_mode=DELETE")
            ok = d.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise ConfigError(f"the copy failed its integrity check: {ok}")
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"backup failed: {exc}") from exc
    finally:
        os.umask(old)
    return {"source": str(src), "backup": str(target), "bytes": target.stat().st_size}


def restore(settings, source: Path) -> dict[str, Any]:
    """Replace the ledger's content with a backup (through the backup API, under SQLite's locks)."""
    dst = _sqlite_file(settings)
    source = Path(source)
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as s:
            tables = {r[0] for r in s.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not {"schema_version", "request", "event"} <= tables:
                raise InvalidInput(f"{source} is not a pd ledger backup")
            ok = s.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise InvalidInput(f"{source} is damaged: {ok}")
            dst.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(dst, timeout=30) as d:
                s.backup(d)
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{source}: not a readable SQLite ledger ({exc})") from exc
    return {"restored_from": str(source), "ledger": str(dst)}


def purge(desk: "Desk", before: datetime, *, dry_run: bool = False) -> dict[str, Any]:
    """Anonymise the requester of every request closed or refused before `before`."""
    from .db.models import OutboxMessage, Request

    desk.require("admin", what="purge personal data")
    q = (Request.select(Request.id, Request.number)
         .where(Request.status.in_(("closed", "refused")) & (Request.closed_at < before)
                & (Request.requester_name != ANONYMOUS)).order_by(Request.id))
    targets = [(r.id, r.number) for r in q]
    from .mail.intake import privacy as mail_privacy

    mails = mail_privacy.purge_targets([i for i, _ in targets], before)
    if dry_run or not (targets or mails):
        return {"before": before.isoformat(), "requests": len(targets), "dry_run": dry_run,
                "numbers": [n for _, n in targets], "mails": len(mails)}
    ids = [i for i, _ in targets]
    with desk.ledger.change() as ch:
        mail_privacy.purge(mails, before)
        ch.wrote("inbound_message", mails)
        for chunk in range(0, len(ids), 500):
            part = ids[chunk:chunk + 500]
            Request.update(requester_name=ANONYMOUS, position="", phone="", email="", location="", room="",
                           username="", idempotency_key=None, updated_at=ch.at).where(Request.id.in_(part)).execute()
            purged = OutboxMessage.request.in_(part) & OutboxMessage.status.in_(("sent", "failed"))
            ch.wrote("outbox_message", [m for (m,) in OutboxMessage.select(OutboxMessage.id).where(purged).tuples()])
            OutboxMessage.update(body=f"[{ANONYMOUS}]", recipients="[]", attachment=None).where(purged).execute()
            ch.wrote("request", part)  # the rows as purged are sealed with the event (SPEC 10)
            ch.touch(part)  # the search index forgets them too
        ch.event(None, "privacy_purged", actor=desk.actor.login, via="cli",
                 data={"before": before.isoformat(), "requests": len(ids),
                       "first": targets[0][1] if targets else None, "last": targets[-1][1] if targets else None,
                       "fields": list(PERSONAL_FIELDS), "mails": len(mails)})
    return {"before": before.isoformat(), "requests": len(ids), "dry_run": False, "numbers": [n for _, n in targets],
            "mails": len(mails)}


def export_person(desk: "Desk", email: str) -> dict[str, Any]:
    """Everything the ledger holds about one person (GDPR Art. 15)."""
    from .db.models import OutboxMessage, Request
    from .mail.outbox import message_dict
    from .latvian import normalize_email
    from .views import event_dict, request_dict

    desk.require("admin", "supervisor", what="export personal data")
    email = normalize_email(email)
    tz = desk.settings.timezone
    import peewee

    reqs = list(Request.select().where(peewee.fn.LOWER(Request.email) == email.lower()).order_by(Request.number))
    out: dict[str, Any] = {"email": email, "generated_at": desk.now().isoformat(), "requests": [], "messages": []}
    for r in reqs:
        d = request_dict(r, tz=tz)
        d["events"] = [event_dict(e, tz) for e in desk.history(r)]
        out["requests"].append(d)
    for m in OutboxMessage.select().order_by(OutboxMessage.id):
        if email.lower() in (r.lower() for r in json.loads(m.recipients)):
            out["messages"].append(message_dict(m, tz, body=True))
    from .mail.intake.privacy import export as export_mail

    out["mail"] = export_mail(email, tz)
    person = next((s for s in desk.contacts.staff.values() if s.email.lower() == email.lower()), None)
    if person:
        out["staff"] = {"login": person.login, "name": person.name, "roles": list(person.roles)}
    return out
