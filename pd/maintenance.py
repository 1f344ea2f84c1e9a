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

import peewee

from . import privacy as mail_privacy
from .db import migrations
from .db.connection import open_database, redact_url, sqlite_path, translate_errors
from .db.models import ANONYMOUS, OutboxMessage, Request
from .desk import authorise
from .errors import ConfigError, InvalidInput
from .i18n import _
from .latvian import normalize_email
from .ledger import _connect
from .notify.outbox import message_dict
from .privacy import export as export_mail
from .views import event_dict, request_dict

if TYPE_CHECKING:  # pragma: no cover
    from .desk import Desk

PERSONAL_FIELDS = ("requester_name", "position", "phone", "email", "location", "room", "username")


def migrate(settings) -> list[int]:
    """`pd init`, `pd db upgrade`: check the person against contacts.yaml first, then create or
    upgrade the ledger; the migrations applied."""
    authorise(settings, "admin", "operator", "system", what=_("set up or upgrade the ledger"))
    database = open_database(settings.database_url, busy_timeout=settings.busy_timeout)
    with translate_errors():
        _connect(database)
        return migrations.upgrade()


def ledger_info(settings) -> dict[str, Any]:
    """Where the ledger is (password hidden), its schema, and what an admin should hear about it."""
    warnings = []
    path = sqlite_path(settings.database_url)
    if path is not None and path.exists() and os.stat(path).st_mode & 0o004:
        warnings.append(_("the ledger {path} is readable by everyone: chmod o-rwx {path}").format(path=path))
    return {"database": redact_url(settings.database_url), "schema_version": migrations.current_version(),
            "schema_latest": migrations.LATEST,
            "smtp": redact_url(settings.smtp_url) if settings.smtp_url else None, "warnings": warnings}


def _sqlite_file(settings) -> Path:
    path = sqlite_path(settings.database_url)
    if path is None:
        raise ConfigError(_("pd db backup/restore work on an SQLite ledger; for PostgreSQL use pg_dump -Fc and "
                            "pg_restore (see docs/postgres.md)"))
    return path


def backup(settings, target: Path) -> dict[str, Any]:
    """A consistent copy of the live ledger (others may keep writing)."""
    src = _sqlite_file(settings)
    if not src.exists():
        raise ConfigError(_("no ledger at {path}").format(path=src))
    target = Path(target)
    if target.exists():
        raise InvalidInput(_("{path} exists; choose a new file (a backup never overwrites)").format(path=target))
    tmp = target.with_name(target.name + ".part")
    old = os.umask(0o007)
    try:
        with sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=30) as s, sqlite3.connect(tmp) as d:
            s.backup(d, pages=1024)
            d.execute("PRAGMA journal_mode=DELETE")
            ok = d.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise ConfigError(_("the copy failed its integrity check: {result}").format(result=ok))
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise ConfigError(_("backup failed: {error}").format(error=exc)) from exc
    finally:
        os.umask(old)
    return {"source": str(src), "backup": str(target), "bytes": target.stat().st_size}


def _checked_backup(s: sqlite3.Connection, source: Path) -> None:
    tables = {r[0] for r in s.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not {"schema_version", "request", "event"} <= tables:
        raise InvalidInput(_("{path} is not a pd ledger backup").format(path=source))
    ok = s.execute("PRAGMA integrity_check").fetchone()[0]
    if ok != "ok":
        raise InvalidInput(_("{path} is damaged: {result}").format(path=source, result=ok))


def restore_would_reissue(settings, source: Path) -> list[str]:
    """The registration numbers the ledger holds now and the backup does not: restored, the ledger
    issues them again, to other requests (numbers are gap-free per year), while they may already
    have been printed or mailed to people."""
    if sqlite_path(settings.database_url) is None:
        return []  # PostgreSQL: restore() says pg_restore does it
    source = Path(source)
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as s:
            _checked_backup(s, source)
            kept = {n for (n,) in s.execute("SELECT number FROM request")}
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(_("{path}: not a readable SQLite ledger ({error})").format(path=source, error=exc)) from exc
    return sorted(n for (n,) in Request.select(Request.number).tuples() if n not in kept)


def number_ranges(numbers: list[str]) -> str:
    """2026-000003…2026-000005, 2027-000001 (consecutive numbers as one range)."""
    parts: list[str] = []
    run: list[str] = []

    def close() -> None:
        if run:
            parts.append(run[0] if len(run) == 1 else f"{run[0]}…{run[-1]}")

    for n in numbers:
        year, _, seq = n.partition("-")
        if run and run[-1].partition("-")[0] == year and int(run[-1].partition("-")[2]) + 1 == int(seq):
            run.append(n)
            continue
        close()
        run = [n]
    close()
    return ", ".join(parts)


def restore(settings, source: Path) -> dict[str, Any]:
    """Replace the ledger's content with a backup (through the backup API, under SQLite's locks)."""
    dst = _sqlite_file(settings)
    source = Path(source)
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as s:
            _checked_backup(s, source)
            dst.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(dst, timeout=30) as d:
                s.backup(d)
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(_("{path}: not a readable SQLite ledger ({error})").format(path=source, error=exc)) from exc
    return {"restored_from": str(source), "ledger": str(dst)}


def purge(desk: "Desk", before: datetime, *, dry_run: bool = False) -> dict[str, Any]:
    """Anonymise the requester of every request closed or refused before `before`."""
    desk.require("admin", what=_("purge personal data"))
    q = (Request.select(Request.id, Request.number)
         .where(Request.status.in_(("closed", "refused")) & (Request.closed_at < before)
                & (Request.requester_name != ANONYMOUS)).order_by(Request.id))
    targets = [(r.id, r.number) for r in q]

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
    desk.require("admin", "supervisor", what=_("export personal data"))

    email = normalize_email(email)
    tz = desk.settings.timezone

    reqs = list(Request.select().where(peewee.fn.LOWER(Request.email) == email.lower()).order_by(Request.number))
    out: dict[str, Any] = {"email": email, "generated_at": desk.now().isoformat(), "requests": [], "messages": []}
    for r in reqs:
        d = request_dict(r, tz=tz)
        d["events"] = [event_dict(e, tz) for e in desk.history(r)]
        out["requests"].append(d)
    for m in OutboxMessage.select().order_by(OutboxMessage.id):
        if email.lower() in (r.lower() for r in json.loads(m.recipients)):
            out["messages"].append(message_dict(m, tz, body=True))

    out["mail"] = export_mail(email, tz)
    person = next((s for s in desk.contacts.staff.values() if s.email.lower() == email.lower()), None)
    if person:
        out["staff"] = {"login": person.login, "name": person.name, "roles": list(person.roles)}
    return out
