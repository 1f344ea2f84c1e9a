"""Setting up and checking the ledger: init, info, db upgrade, audit verify."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import Json, emit_json, out, say, state

db_app = typer.Typer(help="The ledger: schema upgrades, backup and restore.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail (SPEC 10).", no_args_is_help=True)


def _migrate(st) -> list[int]:
    """Check the person against contacts.yaml first, then create or upgrade the ledger."""
    from ..db import migrations
    from ..db.connection import open_database, translate_errors
    from ..desk import authorise
    from ..ledger import _connect

    authorise(st.settings, "admin", "operator", "system", what="set up or upgrade the ledger")
    database = open_database(st.settings.database_url, busy_timeout=st.settings.busy_timeout)
    with translate_errors():
        _connect(database)
        return migrations.upgrade()


def init(ctx: typer.Context, as_json: Json = False) -> None:
    """Create the ledger (or bring its schema up to date) and record the catalog and contacts versions.

    With no catalog.yaml or contacts.yaml in the configuration directory ($XDG_CONFIG_HOME/pd, else
    /etc/pd), it first puts the shipped examples there and says so. Safe to repeat. Example: pd init
    """
    from .. import examples
    from ..db import migrations
    from ..db.connection import redact_url

    st = state(ctx)
    placed = examples.place(st.settings)
    if placed:
        say(examples.notice(placed, st.settings.lang))
    applied = _migrate(st)
    desk = st.desk
    cat, con = desk.catalog, desk.contacts
    result = {"database": redact_url(st.settings.database_url), "schema_version": migrations.LATEST,
              "migrations_applied": applied, "catalog_version": cat.version, "contacts_version": con.version,
              "catalog": st.settings.catalog_path, "contacts": st.settings.contacts_path,
              "examples_placed": [str(p) for p in placed]}
    if as_json:
        emit_json(result)
    else:
        out(f"Ledger ready: {result['database']} (schema {migrations.LATEST}"
            + (f", applied {', '.join(map(str, applied))}" if applied else ", up to date") + ")")
        out(f"Catalog {cat.version}, contacts {con.version}")


def info(ctx: typer.Context, as_json: Json = False) -> None:
    """Show the configuration: ledger location and schema, catalog and contacts versions, mail settings.

    Example: pd info --json
    """
    import os
    from zoneinfo import ZoneInfo

    from .. import __version__
    from ..db import migrations
    from ..db.connection import redact_url, sqlite_path

    st = state(ctx)
    s = st.settings
    desk = st.desk
    desk.actor
    d = {
        "version": __version__,
        "database": redact_url(s.database_url),
        "schema_version": migrations.current_version(),
        "schema_latest": migrations.LATEST,
        "catalog": s.catalog_path, "catalog_version": desk.catalog.version,
        "contacts": s.contacts_path, "contacts_version": desk.contacts.version,
        "user": s.user, "timezone": s.timezone, "lang": s.lang,
        "smtp": redact_url(s.smtp_url) if s.smtp_url else None, "mail_dir": s.mail_dir, "mail_from": s.mail_from,
        "warnings": [],
    }
    from ..mail.fetch import intake_configuration

    d.update(intake_configuration(s))  # mail coming in (SPEC 13)
    if d.get("imap_last_fetch") is not None:
        from ..latvian import format_dt

        at = d["imap_last_fetch"]
        d["imap_last_fetch"] = format_dt(at, s.timezone) if not as_json else at.astimezone(ZoneInfo(s.timezone)).isoformat()
    if d.get("imap_error"):
        d["warnings"].append(d.pop("imap_error"))
    path = sqlite_path(s.database_url)
    if path is not None and path.exists() and os.stat(path).st_mode & 0o004:
        d["warnings"].append(f"the ledger {path} is readable by everyone: chmod o-rwx {path}")
    if as_json:
        emit_json(d)
        return
    width = max(len(k) for k in d if k != "warnings") + 2
    for k, v in d.items():
        if k != "warnings":
            out(f"{k + ':':{width}}{'' if v is None else v}".rstrip())
    for w in d["warnings"]:
        say(f"Warning: {w}")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, as_json: Json = False) -> None:
    """Apply pending schema migrations (also done by pd init). Example: pd db upgrade"""
    from ..db import migrations

    st = state(ctx)
    applied = _migrate(st)
    version = migrations.current_version()
    if as_json:
        emit_json({"schema_version": version, "migrations_applied": applied})
    elif applied:
        out(f"Schema upgraded to {version} (applied {', '.join(map(str, applied))})")
    else:
        out(f"Schema {version} is up to date")


@db_app.command("backup")
def db_backup(ctx: typer.Context,
              file: Annotated[Path, typer.Argument(help="The new backup file.", metavar="FILE")],
              as_json: Json = False) -> None:
    """A consistent copy of the live SQLite ledger while others write (PostgreSQL: pg_dump).

    Example: pd db backup /srv/backup/ledger-$(date +%F).sqlite3
    """
    from ..maintenance import backup

    st = state(ctx)
    st.desk.require("admin", "system", what="back up the ledger")
    result = backup(st.settings, file)
    emit_json(result) if as_json else out(f"Backed up {result['source']} to {result['backup']} ({result['bytes']} bytes)")


@db_app.command("restore")
def db_restore(ctx: typer.Context,
               file: Annotated[Path, typer.Argument(help="A backup made by pd db backup.", metavar="FILE", exists=True, dir_okay=False)],
               yes: Annotated[bool, typer.Option("--yes", help="Really replace the ledger's content.")] = False,
               as_json: Json = False) -> None:
    """Replace the SQLite ledger's content with a backup, then verify its audit trail.

    Example: pd db restore ledger-2026-11-27.sqlite3 --yes
    """
    from ..errors import UsageError
    from ..ledger import verify_chain
    from ..maintenance import restore

    st = state(ctx)
    st.desk.require("admin", what="restore the ledger")
    if not yes:
        raise UsageError("restoring replaces everything in the ledger; add --yes")
    result = restore(st.settings, file)
    from ..db.connection import db

    db.obj.close()
    st.desk.ledger.database.connect(reuse_if_open=True)
    check = verify_chain()
    result["audit"] = check
    if as_json:
        emit_json(result)
    else:
        out(f"Restored {result['ledger']} from {result['restored_from']}; audit trail "
            + ("intact" if check["ok"] else "BROKEN: " + "; ".join(check["problems"])))


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: Json = False,
                 anchor: Annotated[str | None, typer.Option(
                     "--anchor", metavar="EVENTS:SHA256",
                     help="A witness from pd audit anchor (or a monthly report): prove the first EVENTS events "
                          "unchanged.")] = None) -> None:
    """Audit the whole ledger: the hash chain of every event, each request, assignment, escalation and
    outbox row against the events that made it, and (SQLite) the file's integrity. Exit 7 on any finding.

    Example: pd audit verify --anchor 1520:3f9a…
    """
    from ..audit import parse_anchor, verify_ledger
    from ..desk import authorise
    from ..errors import ConfigError

    if anchor is not None:
        parse_anchor(anchor)  # a malformed witness is exit 3 before anything is read
    st = state(ctx)
    authorise(st.settings, "admin", "operator", "supervisor", "manager", "expert", "system", what="audit the ledger")
    result = verify_ledger(st.settings, anchor)  # opens the ledger itself: a damaged file is a finding
    if as_json:
        emit_json(result)
    elif result["ok"]:
        out(f"Audit trail intact: {result['events']} events, {result['requests']} requests, "
            f"head {(result['head'] or '')[:16]}…")
        if anchor:
            out(f"The first {anchor.split(':')[0]} events are the ones the anchor witnessed.")
    else:
        for line in result["problems"]:
            out(line)
    if not result["ok"]:
        problems = result["problems"]
        if len(problems) == 1:
            raise ConfigError(f"audit found 1 problem: {problems[0]}")
        raise ConfigError(f"audit found {len(problems)} problems{'' if as_json else ', listed above'}; "
                          f"the first: {problems[0]}")


@audit_app.command("anchor")
def audit_anchor(ctx: typer.Context, as_json: Json = False) -> None:
    """Print the chain's head as EVENTS:SHA256, a witness to keep outside the ledger.

    Example: pd audit anchor
    """
    from ..audit import anchor

    st = state(ctx)
    st.desk.actor
    value = anchor()
    if as_json:
        count, digest = value.split(":")
        emit_json({"anchor": value, "events": int(count), "sha256": digest})
    else:
        out(value)

