"""pd doctor (SPEC 16): what needs an admin, one line per check.

The checks, in order: the configuration (settings, both YAML files and their references), the
ledger's schema, its integrity (the hash chain; on SQLite the file's quick check), the outbox
(messages failed for good, or due and not sent for a while), the mailbox (when pd mail fetch
last took it), when the cron jobs last ran cleanly (pd.jobruns), next year's working-day
transfers (from 1 July), and the modes of the ledger file and the settings files. Nothing is
written; a check that cannot run because an earlier one failed says so ("skipped").
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .. import catalog, yamlfile
from ..calendars import WorkingCalendar
from ..catalog import cross_check, parse_file
from ..config import Settings, env_files
from ..db import migrations
from ..db.connection import db, is_sqlite, open_database, redact_url, sqlite_path, translate_errors
from ..db.intake_models import ImapMailbox
from ..db.models import JobRun, SchemaVersion
from ..db.models import OutboxMessage as M
from ..errors import PdError
from ..jobruns import JOBS
from ..latvian import format_dt, to_local
from ..ledger import _connect, stored_instant, verify_chain
from .wording import detail, title

CHECKS = ("configuration", "schema", "ledger", "outbox", "mailbox", "jobs", "calendar", "files")
STUCK_MINUTES = 15  # a message due this long and not sent: delivery is not running
MAILBOX_MINUTES = 30  # pd mail fetch --watch takes the mailbox at least every 9 minutes, cron every minute
TRANSFERS_FROM = (7, 1)  # the Cabinet orders next year's transfers by the summer


@dataclass
class Check:
    name: str
    status: str = "ok"  # ok | problem | skipped
    findings: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def say(self, key: str, **params: Any) -> "Check":
        self.findings.append((key, params))
        return self

    def problem(self, key: str, **params: Any) -> "Check":
        if self.status == "ok":  # the first problem replaces what was fine
            self.findings.clear()
        self.status = "problem"
        return self.say(key, **params)

    def detail(self, lang: str) -> str:
        return "; ".join(detail(lang, key, params).format(**{k: _shown(v, lang) for k, v in params.items()})
                         for key, params in self.findings)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail("en")}

    def title(self, lang: str) -> str:
        return title(lang, self.name)


def _shown(value: Any, lang: str) -> Any:
    if isinstance(value, tuple) and value and value[0] == "key":  # a nested wording key
        return detail(lang, value[1], {})
    if isinstance(value, list):  # nested findings: "a; b"
        return ", ".join(detail(lang, k, p).format(**p) for k, p in value)
    return value



def run(settings: Settings | None, config_error: PdError | None, now: datetime,
        mailbox: str | None = None) -> list[Check]:
    """Every check. `settings` is None when the settings themselves are broken (`config_error`);
    `mailbox` is the ledger's name of PD_IMAP_URL's mailbox (the command works it out)."""
    checks = {name: Check(name) for name in CHECKS}
    if settings is None:
        checks["configuration"].problem("config_bad", error=str(config_error))
        for name in CHECKS[1:]:
            _skip(checks[name], "no_config")
        return list(checks.values())
    catalog = _configuration(checks["configuration"], settings)
    database = _schema(checks["schema"], settings)
    try:
        if database is None:
            for name in ("ledger", "outbox", "mailbox", "jobs"):
                _skip(checks[name], "no_ledger_yet")
        else:
            _ledger(checks["ledger"])
            _outbox(checks["outbox"], now)
            _mailbox(checks["mailbox"], settings, mailbox, now)
            _jobs(checks["jobs"], settings, now)
            if catalog is not None:
                _same_versions(checks["configuration"], settings)
    finally:
        if database is not None:
            database.close()
    if catalog is None:
        _skip(checks["calendar"], "no_config")
    else:
        _calendar(checks["calendar"], catalog, settings, now)
    _files(checks["files"], settings)
    return list(checks.values())


def _skip(check: Check, reason: str) -> None:
    check.status = "skipped"
    check.findings = [("skipped", {"reason": ("key", reason)})]


# ------------------------------------------------------------------ the checks
def _configuration(check: Check, settings: Settings):
    """Both files, each against its schema and against the other (what every command loads)."""
    try:
        cat = parse_file("catalog", settings.catalog_path)
        con = parse_file("contacts", settings.contacts_path)
    except PdError as exc:
        check.problem("config_bad", error=str(exc))
        return None
    problems = cross_check(cat, con)  # type: ignore[arg-type]
    if problems:
        check.problem("config_bad", error=str(problems[0]))
        return None
    check.say("config_ok", catalog_version=cat.version, catalog=settings.catalog_path,
              contacts_version=con.version, contacts=settings.contacts_path)
    return cat


def _same_versions(check: Check, settings: Settings) -> None:
    """A file changed without a new version stops every command (SPEC 7)."""
    for kind, path in (("catalog", settings.catalog_path), ("contacts", settings.contacts_path)):
        data = yamlfile.read_bytes(path, kind)
        try:
            catalog._same_version(kind, path, data, yamlfile.sha256(data), catalog.parse_file(kind, path, data).version)
        except PdError as exc:
            check.problem("config_bad", error=str(exc))


def _schema(check: Check, settings: Settings):
    """The opened database when its schema is this pd's, else None (and the finding)."""
    shown = redact_url(settings.database_url)
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():  # connecting would create it
        check.problem("schema_none", database=shown)
        return None
    database = open_database(settings.database_url, busy_timeout=settings.busy_timeout)
    try:
        with translate_errors():
            _connect(database)
            version = migrations.current_version()
    except Exception as exc:  # noqa: BLE001 - a finding (server down, not a database), not a crash
        error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        check.problem("schema_error", database=shown, error=error)
        if not database.is_closed():
            database.close()
        return None
    if version == migrations.LATEST:
        check.say("schema_ok", version=version)
        return database
    key = "schema_none" if version == 0 else "schema_old" if version < migrations.LATEST else "schema_new"
    check.problem(key, database=shown, version=version, latest=migrations.LATEST)
    database.close()
    return None


def _ledger(check: Check) -> None:
    """The hash chain (the audit's quick path) and SQLite's own quick check of the file."""
    sound = None
    with db.atomic():  # one snapshot
        if is_sqlite():
            rows = [r[0] for r in db.execute_sql("PRAGMA quick_check(5)").fetchall()]
            sound = rows == ["ok"]
            for line in ([] if sound else rows):
                check.problem("ledger_bad", problem=f"SQLite: {line}")
        chain = verify_chain()
    for problem in chain["problems"]:
        check.problem("ledger_bad", problem=problem)
    if check.status == "ok":
        check.say("ledger_ok", events=chain["events"], integrity=("key", "ledger_integrity") if sound else "")


def _outbox(check: Check, now: datetime) -> None:
    failed = M.select().where(M.status == "failed").count()
    waiting = M.select().where(M.status.in_(("pending", "sending")))
    stuck = waiting.where(M.next_attempt_at <= now - timedelta(minutes=STUCK_MINUTES)).count()
    if failed:
        check.problem("outbox_failed", failed=failed)
    if stuck:
        check.problem("outbox_stuck", stuck=stuck, minutes=STUCK_MINUTES)
    if check.status == "ok":
        check.say("outbox_ok", pending=waiting.count())


def _mailbox(check: Check, settings: Settings, mailbox: str | None, now: datetime) -> None:
    if not settings.imap_url or mailbox is None:
        check.say("mailbox_off")
        return
    row = ImapMailbox.get_or_none(ImapMailbox.mailbox == mailbox)
    at = row.last_fetch_at if row is not None else None
    if at is None:
        check.problem("mailbox_never", mailbox=mailbox)
    elif now - at > timedelta(minutes=MAILBOX_MINUTES):
        check.problem("mailbox_stale", mailbox=mailbox, at=format_dt(at, settings.timezone), minutes=MAILBOX_MINUTES)
    else:
        check.say("mailbox_ok", at=format_dt(at, settings.timezone))


def _jobs(check: Check, settings: Settings, now: datetime) -> None:
    """Each job ran cleanly within its limit (a new ledger gives them that long to start)."""
    rows = {r.job: r for r in JobRun.select()}
    born = SchemaVersion.select(SchemaVersion.applied_at).order_by(SchemaVersion.version).limit(1).scalar()
    fine = []
    for job, limit in JOBS.items():
        r = rows.get(job)
        minutes = limit // 60
        if r is None or r.last_ok_at is None:
            if born is not None and now - _aware(born) <= timedelta(seconds=limit) and (r is None or not r.last_error):
                fine.append(("job_new", {"job": job}))
            elif r is not None and r.last_error:
                check.problem("job_failed", job=job, at=format_dt(r.last_run_at, settings.timezone), error=r.last_error)
            else:
                check.problem("job_never", job=job)
        elif now - r.last_ok_at > timedelta(seconds=limit):
            check.problem("job_stale", job=job, at=format_dt(r.last_ok_at, settings.timezone), minutes=minutes)
            if r.last_error and r.last_run_at > r.last_ok_at:
                check.say("job_failed", job=job, at=format_dt(r.last_run_at, settings.timezone), error=r.last_error)
        else:
            fine.append(("job_ran", {"job": job, "at": format_dt(r.last_ok_at, settings.timezone)}))
    if check.status == "ok":
        check.say("jobs_ok", runs=fine)


def _aware(value) -> datetime:
    return stored_instant(value)


def _calendar(check: Check, catalog, settings: Settings, now: datetime) -> None:
    """From 1 July, each working-time calendar with public holidays knows a transfer in next year."""
    today = to_local(now, settings.timezone).date()
    calendars = [catalog.calendar(n) for n in catalog.calendar_specs]
    calendars = [c for c in calendars if isinstance(c, WorkingCalendar) and c._country]
    if not calendars:
        check.say("calendar_none")
        return
    if (today.month, today.day) < TRANSFERS_FROM:
        check.say("calendar_early")
        return
    year = today.year + 1
    for cal in calendars:
        moved = [d for d in cal.days(date(year, 1, 1), date(year, 12, 31))
                 if d.reason in ("transferred_day_off", "transferred_working_day", "extra_day_off")]
        if moved:
            check.say("calendar_known", calendar=cal.name, year=year, count=len(moved))
        elif year in cal.transfers_checked:
            check.say("calendar_checked", calendar=cal.name, year=year)
        else:
            check.problem("calendar_missing", calendar=cal.name, year=year)


def _files(check: Check, settings: Settings) -> None:
    """The ledger file and the settings files (they may hold passwords) are nobody else's to read."""
    files = [p for p in [sqlite_path(settings.database_url)] if p is not None and p.exists()]
    files += [Path(os.path.abspath(p)) for p in env_files()]
    for p in files:
        mode = stat.S_IMODE(p.stat().st_mode)
        if mode & 0o007:
            check.problem("files_open", file=str(p), mode=f"{mode:04o}")
    if check.status == "ok":
        check.say("files_ok", files=", ".join(str(p) for p in files)) if files else check.say("files_none")
