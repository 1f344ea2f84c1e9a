"""Setting up and checking the ledger: init, info, db upgrade, audit verify."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..i18n import _, ngettext, pgettext
from .common import Json, emit_json, is_terminal, out, say, state

db_app = typer.Typer(help="The ledger: schema upgrades, backup and restore.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail (SPEC 10).", no_args_is_help=True)
config_app = typer.Typer(help="What the ledger trusts: the identity mode, the catalog and contacts in force (SPEC 9).",
                         no_args_is_help=True)
config_set_app = typer.Typer(help="Change what the ledger trusts (admin of the contacts in force).",
                             no_args_is_help=True)
config_app.add_typer(config_set_app, name="set")


def init(ctx: typer.Context, as_json: Json = False) -> None:
    """Create the ledger (or bring its schema up to date); a new ledger takes this command's catalog,
    contacts and identity mode (PD_IDENTITY, default env) as the ones in force (SPEC 9).

    With no catalog.yaml or contacts.yaml in the configuration directory ($XDG_CONFIG_HOME/pd, else
    /etc/pd), it first puts the shipped examples there and says so. Safe to repeat; later versions are
    taken into force with pd catalog/contacts publish. Example: PD_IDENTITY=os pd init
    """
    from .. import examples
    from ..maintenance import ledger_info, migrate

    st = state(ctx)
    placed = examples.place(st.settings)
    if placed:
        say(examples.notice(placed, st.settings.lang))
    applied = migrate(st.settings)
    desk = st.desk
    cat, con = desk.catalog, desk.contacts
    led = ledger_info(st.settings)
    result = {"database": led["database"], "schema_version": led["schema_latest"],
              "migrations_applied": applied, "catalog_version": cat.version, "contacts_version": con.version,
              "catalog": st.settings.catalog_path, "contacts": st.settings.contacts_path,
              "examples_placed": [str(p) for p in placed]}
    if as_json:
        emit_json(result)
    else:
        if applied:
            out(_("Ledger ready: {database} (schema {version}, applied {migrations})").format(
                database=result["database"], version=led["schema_latest"], migrations=", ".join(map(str, applied))))
        else:
            out(_("Ledger ready: {database} (schema {version}, up to date)").format(
                database=result["database"], version=led["schema_latest"]))
        out(_("Catalog {catalog}, contacts {contacts}, identity mode {identity} in force").format(
            catalog=cat.version, contacts=con.version, identity=desk.in_force.identity))


def info(ctx: typer.Context, as_json: Json = False) -> None:
    """Show the configuration: ledger location and schema, catalog and contacts versions, mail settings.

    Example: pd info --json
    """
    from zoneinfo import ZoneInfo

    from .. import __version__
    from ..maintenance import ledger_info

    st = state(ctx)
    s = st.settings
    desk = st.desk
    desk.actor
    led = ledger_info(s)
    d = {
        "version": __version__,
        "database": led["database"],
        "schema_version": led["schema_version"],
        "schema_latest": led["schema_latest"],
        "catalog": s.catalog_path, "catalog_version": desk.catalog.version,
        "contacts": s.contacts_path, "contacts_version": desk.contacts.version,
        # the file each version in force was published from (pd catalog/contacts publish)
        "catalog_published_from": desk.catalog.source, "contacts_published_from": desk.contacts.source,
        "identity": desk.in_force.identity,  # the ledger's mode, or the caller's stricter PD_IDENTITY
        "user": s.user, "timezone": s.timezone, "lang": s.lang,
        "smtp": led["smtp"], "mail_dir": s.mail_dir, "mail_from": s.mail_from,
        "warnings": [],
    }
    from ..intake.fetch import intake_configuration

    d.update(intake_configuration(s))  # mail coming in (SPEC 13)
    if d.get("imap_last_fetch") is not None:
        from ..latvian import format_dt

        at = d["imap_last_fetch"]
        d["imap_last_fetch"] = format_dt(at, s.timezone) if not as_json else at.astimezone(ZoneInfo(s.timezone)).isoformat()
    if d.get("imap_error"):
        d["warnings"].append(d.pop("imap_error"))
    d["warnings"] += led["warnings"]
    if as_json:
        emit_json(d)
        return
    labels = {k: (INFO_LABELS[k]() if k in INFO_LABELS else k) for k in d if k != "warnings"}
    width = max(len(label) for label in labels.values()) + 2
    for k, label in labels.items():
        v = d[k]
        out(f"{label + ':':{width}}{'' if v is None else v}".rstrip())
    for w in d["warnings"]:
        say(_("Warning: {warning}").format(warning=w))


# pd info's labels, by JSON key (pgettext: short words that mean other things elsewhere)
INFO_LABELS = {
    "version": lambda: pgettext("pd info", "pd version"),
    "database": lambda: pgettext("pd info", "ledger"),
    "schema_version": lambda: pgettext("pd info", "schema version"),
    "schema_latest": lambda: pgettext("pd info", "latest schema"),
    "catalog": lambda: pgettext("pd info", "catalog file"),
    "catalog_version": lambda: pgettext("pd info", "catalog version"),
    "contacts": lambda: pgettext("pd info", "contacts file"),
    "contacts_version": lambda: pgettext("pd info", "contacts version"),
    "catalog_published_from": lambda: pgettext("pd info", "catalog published from"),
    "contacts_published_from": lambda: pgettext("pd info", "contacts published from"),
    "identity": lambda: pgettext("pd info", "identity mode"),
    "user": lambda: pgettext("pd info", "user (PD_USER)"),
    "timezone": lambda: pgettext("pd info", "time zone"),
    "lang": lambda: pgettext("pd info", "language"),
    "smtp": lambda: pgettext("pd info", "mail server (SMTP)"),
    "mail_dir": lambda: pgettext("pd info", "mail directory"),
    "mail_from": lambda: pgettext("pd info", "sender"),
    "imap": lambda: pgettext("pd info", "mailbox (IMAP)"),
    "imap_done": lambda: pgettext("pd info", "folder for processed mail"),
    "imap_last_fetch": lambda: pgettext("pd info", "last fetched"),
    "imap_uidvalidity": lambda: pgettext("pd info", "mailbox UIDVALIDITY"),
    "imap_fetched": lambda: pgettext("pd info", "mails fetched"),
    "intake_new": lambda: pgettext("pd info", "new intake items"),
    "quarantined": lambda: pgettext("pd info", "quarantined mails"),
}


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, as_json: Json = False) -> None:
    """Apply pending schema migrations (also done by pd init). Example: pd db upgrade

    A ledger from before pd kept its configuration in force (schema 6) takes the catalog, contacts
    and identity mode of this upgrade.
    """
    from ..maintenance import ledger_info, migrate

    st = state(ctx)
    applied = migrate(st.settings)
    st.desk.catalog  # the configuration in force: set now from the upgrader's files if the ledger had none
    version = ledger_info(st.settings)["schema_version"]
    if as_json:
        emit_json({"schema_version": version, "migrations_applied": applied})
    elif applied:
        out(_("Schema upgraded to {version} (applied {migrations})").format(
            version=version, migrations=", ".join(map(str, applied))))
    else:
        out(_("Schema {version} is up to date").format(version=version))


@db_app.command("backup")
def db_backup(ctx: typer.Context,
              file: Annotated[Path, typer.Argument(help="The new backup file.", metavar="FILE")],
              as_json: Json = False) -> None:
    """A consistent copy of the live SQLite ledger while others write (PostgreSQL: pg_dump).

    Example: pd db backup /srv/backup/ledger-$(date +%F).sqlite3
    """
    from ..maintenance import backup

    st = state(ctx)
    st.desk.require("admin", "system", what=_("back up the ledger"))
    result = backup(st.settings, file)
    if as_json:
        emit_json(result)
    else:
        out(ngettext("Backed up {source} to {backup} ({bytes} byte)", "Backed up {source} to {backup} ({bytes} bytes)",
                     result["bytes"]).format(**result))


@db_app.command("restore")
def db_restore(ctx: typer.Context,
               file: Annotated[Path, typer.Argument(help="A backup made by pd db backup.", metavar="FILE", exists=True, dir_okay=False)],
               yes: Annotated[bool, typer.Option("--yes", help="Really replace the ledger's content.")] = False,
               as_json: Json = False) -> None:
    """Replace the SQLite ledger's content with a backup, then verify its audit trail.

    First it says which registration numbers the ledger would issue again (requests registered after
    the backup was made), and asks; --yes answers for a script.
    Example: pd db restore ledger-2026-11-27.sqlite3 --yes
    """
    import sys

    from ..errors import UsageError
    from ..ledger import verify_chain
    from ..maintenance import number_ranges, restore, restore_would_reissue

    st = state(ctx)
    st.desk.require("admin", what=_("restore the ledger"))
    again = restore_would_reissue(st.settings, file)
    if again:
        say(ngettext("Restoring this copy, {n} registration number already issued will be issued again to another "
                     "request: {numbers}",
                     "Restoring this copy, {n} registration numbers already issued will be issued again to other "
                     "requests: {numbers}", len(again)).format(n=len(again), numbers=number_ranges(again)))
    if not yes:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise UsageError(_("restoring replaces everything in the ledger; add --yes"))
        from .common import confirm  # the yes/no question in the desk's language (j/jā/n/nē)

        if not confirm(_("Replace everything in the ledger with this copy?"), None, eof=False):
            say(_("Nothing was restored."))
            raise typer.Exit(2)
    result = restore(st.settings, file)
    result["reissued"] = again
    st.desk.ledger.reopen()
    check = verify_chain()
    result["audit"] = check
    if as_json:
        emit_json(result)
    else:
        out(_("Restored {ledger} from {source}; audit trail intact").format(
            ledger=result["ledger"], source=result["restored_from"]) if check["ok"] else
            _("Restored {ledger} from {source}; audit trail BROKEN: {problems}").format(
                ledger=result["ledger"], source=result["restored_from"], problems="; ".join(check["problems"])))


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: Json = False,
                 anchor: Annotated[str | None, typer.Option(
                     "--anchor", metavar="EVENTS:SHA256",
                     help="A witness from pd audit anchor (or a monthly report): prove the first EVENTS events "
                          "unchanged.")] = None,
                 since: Annotated[str | None, typer.Option(
                     "--since", metavar="EVENTS:SHA256",
                     help="An anchor you trust (pd audit anchor, kept from the last run): check only what came "
                          "after it — its events, the rows their changes wrote, their requests. For a nightly "
                          "cron; a wrong anchor is a finding.")] = None) -> None:
    """Audit the whole ledger: the hash chain of every event; every row a change wrote (request,
    assignment, escalation, pause, outbox message, inbound mail, intake item, configuration snapshot)
    against the seal its change left; each request against the replay of its events; and (SQLite) the
    file's integrity. Exit 7 on any finding.

    Example: pd audit verify --anchor 1520:3f9a…   (nightly: pd audit verify --since "$(cat last-anchor)")
    """
    from ..audit import parse_anchor, verify_ledger
    from ..desk import authorise
    from ..errors import ConfigError

    if anchor is not None:
        parse_anchor(anchor)  # a malformed witness is exit 3 before anything is read
    if since is not None:
        parse_anchor(since, "--since")
    st = state(ctx)
    authorise(st.settings, "admin", "operator", "supervisor", "manager", "expert", "system",
              what=_("audit the ledger"))
    result = verify_ledger(st.settings, anchor, since)  # opens the ledger itself: a damaged file is a finding
    if as_json:
        emit_json(result)
    elif result["ok"]:
        out(_("Audit trail intact: events {events}, requests {requests}, sealed rows {rows}, head {head}…").format(
            events=result["events"], requests=result["requests"], rows=result.get("rows", 0),
            head=(result["head"] or "")[:16]))
        if anchor:
            n = int(anchor.split(":")[0])
            out(ngettext("The first {n} event is the one the anchor witnessed.",
                         "The first {n} events are the ones the anchor witnessed.", n).format(n=n))
        if since:
            out(_("Checked what came after event {n} (the anchor given to --since).").format(n=since.split(":")[0]))
    else:
        from .layout import terminal_width, wrap

        for line in result.shown():
            if not is_terminal():  # a pipe, a mail from cron: one line per finding
                out(line)
                continue
            lines = wrap(line, max(terminal_width() - 2, 30)) or [""]
            out(lines[0])
            for more in lines[1:]:
                out("  " + more)  # whole words under the finding, never a word broken at the edge
    if not result["ok"]:
        problems = result.shown()  # (in the desk's language; --json keeps them in English)
        if len(problems) == 1:
            raise ConfigError(_("audit found 1 problem: {problem}").format(problem=problems[0]))
        n = len(problems)
        if as_json:
            raise ConfigError(ngettext("audit found {n} problem; the first: {problem}",
                                       "audit found {n} problems; the first: {problem}", n).format(
                n=n, problem=problems[0]))
        raise ConfigError(ngettext("audit found {n} problem, listed above; the first: {problem}",
                                   "audit found {n} problems, listed above; the first: {problem}", n).format(
            n=n, problem=problems[0]))


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



@config_app.command("show")
def config_show(ctx: typer.Context, as_json: Json = False) -> None:
    """Show what the ledger trusts: its identity mode and the catalog and contacts versions in force,
    who set each and when, and the mode this command ran under. Example: pd config show
    """
    from ..latvian import format_dt, iso
    from ..trust import describe

    st = state(ctx)
    desk = st.desk
    desk.actor
    rows = describe()
    d = {k: {**v, "set_at": iso(v["set_at"])} for k, v in rows.items()}
    d["effective_identity"] = desk.in_force.identity
    if as_json:
        emit_json(d)
        return
    labels = {"identity": pgettext("pd config show", "identity mode"),
              "catalog": pgettext("pd config show", "catalog"), "contacts": pgettext("pd config show", "contacts")}
    width = max(len(label) for label in labels.values()) + 2
    for key in ("identity", "catalog", "contacts"):
        if key in rows:
            r = rows[key]
            who = desk.contacts.staff.get(r["set_by"])  # people by name (SPEC 12); the login if they left
            out(f"{labels[key] + ':':{width}}"
                + _("{value}  (set by {name}, {at})").format(value=r["value"], name=who.name if who else r["set_by"],
                                                           at=format_dt(r["set_at"], st.settings.timezone)))
    if d["effective_identity"] != rows.get("identity", {}).get("value"):
        out(_("this command ran under identity mode {mode} (PD_IDENTITY, stricter)").format(
            mode=d["effective_identity"]))


@config_set_app.command("identity")
def config_set_identity(ctx: typer.Context,
                        mode: Annotated[str, typer.Argument(help="env, os or database.", metavar="MODE")],
                        as_json: Json = False) -> None:
    """Set how far the ledger trusts the name a caller gives (SPEC 9): env (PD_USER), os (the
    operating-system account), database (the PostgreSQL login role). An admin of the contacts in
    force sets it; refused if the admin would not be an admin under the new mode.

    Example: pd config set identity os
    """
    from ..config import IDENTITIES
    from ..desk import acting_person
    from ..errors import UsageError
    from ..trust import set_identity

    m = mode.strip().lower()
    if m not in IDENTITIES:
        raise UsageError(_("identity mode {mode} is not one of {modes}").format(mode=repr(mode),
                                                                             modes=", ".join(IDENTITIES)))
    st = state(ctx)
    desk = st.desk
    desk.catalog
    r = set_identity(st.settings, desk.ledger, desk.in_force, m, acting_person)
    if as_json:
        emit_json(r)
    elif r["changed"]:
        out(_("Identity mode {mode} is in force (was {before})").format(mode=r["identity"], before=r["before"]))
    else:
        out(_("Identity mode {mode} was already in force").format(mode=r["identity"]))

