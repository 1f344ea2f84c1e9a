"""What the ledger trusts (SPEC 9): the identity mode, and the catalog and contacts in force.

Nothing the caller controls loosens who they are or grants them a role. The ledger holds (table
`ledger_setting`) the identity mode and the catalog and contacts versions in force; every command
takes them from there:
- `PD_CATALOG` / `PD_CONTACTS` unset: the versions in force, from the ledger's snapshots.
  Set: the file must be the version in force. Another version is exit 7 naming the file; only an
  admin of the contacts in force takes it into force (`pd catalog publish`, `pd contacts publish`).
- `PD_IDENTITY` unset: the ledger's mode. Set: honoured when at least as strict as the ledger's
  (env < os < database); a looser one is refused with exit 6.
- A new ledger takes the files and the identity mode of the command that creates it (normally the
  first `pd init`): that person, who must be staff in those files, is the admin of that first version.
On PostgreSQL the desk's roles may only read both tables (migration 6); `pd_admin` may write them.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable

import peewee  # noqa: E402

from .catalog import (  # noqa: E402
    SCHEMA,
    Catalog,
    Contacts,
    _version_line,
    changed_same_version,
    cross_check,
    parse_file,
    record_snapshot,
)
from .config import Settings  # noqa: E402
from .db import migrations
from .db.connection import (
    open_database,
    translate_errors,  # first: pd.db keeps peewee from loading unused drivers
)
from .db.models import ConfigSnapshot, LedgerSetting
from .errors import ConfigError, NotPermitted
from .i18n import N_, _, ngettext
from .ledger import _connect
from .record import Frozen
from .yamlfile import read_bytes, sha256

# Who acts, given the contacts and the effective identity mode (pd.desk.acting_person, passed in).
Person = Callable[[Settings, Contacts, "str | None"], Any]
KINDS = ("catalog", "contacts")
VARIABLE = {"catalog": "PD_CATALOG", "contacts": "PD_CONTACTS"}
# How strictly each mode establishes who acts: a caller may only ask for a stricter one.
STRICTNESS = {"env": 0, "os": 1, "database": 2}

# Every sentence this module says to a person, translated where it is said (SPEC 12).
MESSAGES = {
    "not_in_force_catalog": N_("{path}: catalog version {version} is not the one in force in the ledger ({current}); "
                               "unset PD_CATALOG to use the ledger's, or an admin takes this file into force: "
                               "pd catalog publish {path}"),
    "not_in_force_contacts": N_("{path}: contacts version {version} is not the one in force in the ledger "
                                "({current}); unset PD_CONTACTS to use the ledger's, or an admin takes this file "
                                "into force: pd contacts publish {path}"),
    "looser": N_("PD_IDENTITY={asked} is looser than the ledger's identity mode {mode}: it may only be tightened "
                 "(unset PD_IDENTITY; an admin changes the mode with pd config set identity)"),
    "not_admin": N_("{name} may not {what}: it needs the role admin in contacts version {version} in force"),
    "no_admin_left": N_("{path}: contacts version {version} gives nobody the role admin: nobody could change "
                        "the configuration after it"),
    "refused_by_server": N_("the database server refused to let {name} {what} (grant the login role pd_admin): "
                            "{reason}"),
    "sqlite_database": N_("identity mode 'database' needs a PostgreSQL ledger: a SQLite file has no users"),
    "locks_out": N_("with identity mode {mode} you would act as {who}, who is not an admin in contacts version "
                    "{version}: set it from an account that stays an admin"),
    "locks_out_nobody": N_("with identity mode {mode} you would act as nobody ({reason}): set it from an account "
                           "that stays an admin"),
    "no_snapshot": N_("the ledger names {kind} version {version} in force but has no snapshot of it"),
    "needs_role": N_("{name} may not {what}: it needs the role {roles}"),
}
# What an admin does, as the refusals name it ("… may not {what}").
WHAT = {
    ("catalog",): N_("publish the catalog"), ("contacts",): N_("publish the contacts"),
    ("catalog", "contacts"): N_("publish the catalog and the contacts"),
    "identity": N_("set the identity mode"), "setup": N_("set up the ledger"),
}


class InForce(Frozen):
    """The configuration a command runs under."""

    catalog: Catalog
    contacts: Contacts
    identity: str  # the effective mode: the ledger's, or the caller's stricter one
    ledger_identity: str  # the ledger's own

    def versions(self) -> dict[str, str]:
        """As current() reads them from the ledger."""
        return {"catalog": self.catalog.version, "contacts": self.contacts.version, "identity": self.ledger_identity}


def current() -> dict[str, str]:
    """The ledger's identity mode and versions in force now (one small query)."""
    return {k: r.value for k, r in _settings().items()}


def _settings() -> dict[str, Any]:
    with translate_errors():
        return {r.key: r for r in LedgerSetting.select()}


def _snapshot(kind: str, version: str) -> ConfigSnapshot | None:
    with translate_errors():
        return ConfigSnapshot.get_or_none((ConfigSnapshot.kind == kind) & (ConfigSnapshot.version == version))


def _from_snapshot(kind: str, snap: ConfigSnapshot, source: str, ledger=None) -> Catalog | Contacts:
    cls = Catalog if kind == "catalog" else Contacts
    known = cls.from_json(snap.content, source=source)
    if known.schema >= SCHEMA:
        return known
    # validated by an older, looser pd: check it again from its own text, and keep the stricter result,
    # in a change whose event seals the rewritten row for the audit (SPEC 10)
    parsed = parse_file(kind, source, snap.raw.encode("utf-8"))
    if ledger is None:
        return parsed
    try:
        record_snapshot(("update", snap.id, parsed), ledger.change)
    except (peewee.ProgrammingError, NotPermitted):  # a desk role may not (PostgreSQL): checked in memory each time
        pass
    return parsed


def effective_identity(settings: Settings, ledger_mode: str | None) -> str:
    asked = settings.identity if "PD_IDENTITY" in settings.given else None
    if ledger_mode is None:
        return asked or "env"
    if asked is None:
        return ledger_mode
    if STRICTNESS[asked] < STRICTNESS[ledger_mode]:
        raise NotPermitted(_(MESSAGES["looser"]).format(asked=asked, mode=repr(ledger_mode)))
    return asked


class _Raced(Exception):
    """Another process set up the ledger's configuration between our read and our write."""
def load(settings: Settings, open_ledger: Callable[[], Any], person: Person, *, publish: tuple[str, ...] = (),
         files: dict[str, str] | None = None) -> InForce:
    try:
        return _load(settings, open_ledger, person, publish, files)
    except _Raced:  # the ledger is set up now: what it took into force decides
        return _load(settings, open_ledger, person, publish, files)


def _load(settings: Settings, open_ledger: Callable[[], Any], person: Person, publish: tuple[str, ...],
          files: dict[str, str] | None) -> InForce:
    """The configuration in force; with `publish` (kinds), the caller's files of those kinds taken into
    force by an admin of the contacts in force. `files` overrides the paths of the settings.

    The files the caller named are read before the ledger is opened (a missing file opens nothing);
    nothing is written unless the ledger is new or an admin publishes. `person(settings, contacts,
    mode)` is who acts (pd.desk.acting_person)."""
    paths = {k: (files or {}).get(k) or getattr(settings, f"{k}_path") for k in KINDS}
    named = {k for k in KINDS if VARIABLE[k] in settings.given or k in publish or k in (files or {})}
    data = {k: read_bytes(paths[k], k) for k in KINDS if k in named}
    ledger = open_ledger()
    rows = _settings()
    new_ledger = not all(k in rows for k in KINDS)
    if new_ledger:  # the command that creates the ledger brings the first files
        for k in KINDS:
            data.setdefault(k, read_bytes(paths[k], k))
    objs: dict[str, Any] = {}
    raw: dict[str, tuple[str, bytes]] = {}  # kind -> (where, text): to name lines of cross-check problems
    pending: dict[str, tuple] = {}  # kind -> (snapshot or None, object, text) to take into force
    not_in_force: list[str] = []
    for k in KINDS:
        current = None if new_ledger else _snapshot(k, rows[k].value)
        if not new_ledger and current is None:
            raise ConfigError(_(MESSAGES["no_snapshot"]).format(kind=k, version=repr(rows[k].value)))
        if k not in data:
            objs[k] = _from_snapshot(k, current, current.source, ledger)
            raw[k] = (current.source, current.raw.encode("utf-8"))
            continue
        digest = sha256(data[k])
        raw[k] = (paths[k], data[k])
        if current is not None and current.sha256 == digest:
            objs[k] = _from_snapshot(k, current, paths[k], ledger)
            continue
        parsed = parse_file(k, paths[k], data[k])
        seen = _snapshot(k, parsed.version)
        if seen is not None and seen.sha256 != digest:

            raise ConfigError(changed_same_version(k, paths[k], _version_line(data[k]), parsed.version))
        if not new_ledger and k not in publish:  # after the checks below: what is wrong with the file first
            not_in_force.append(_(MESSAGES["not_in_force_" + k]).format(
                path=paths[k], version=repr(parsed.version), current=repr(current.version)))
        objs[k] = parsed
        pending[k] = (seen, parsed, data[k])
    problems = cross_check(objs["catalog"], objs["contacts"])
    if problems:
        if not (objs["catalog"].lines and objs["contacts"].lines):  # from snapshots: parse again to name lines
            problems = cross_check(*(parse_file(k, raw[k][0], raw[k][1]) for k in KINDS))  # type: ignore[arg-type]
        if len(problems) > 1:
            n = len(problems) - 1
            raise ConfigError(ngettext("{problem} (and {n} more; pd catalog check lists them)",
                                       "{problem} (and {n} more; pd catalog check lists them)", n).format(
                problem=problems[0], n=n))
        raise ConfigError(str(problems[0]))
    if not_in_force:
        raise ConfigError(not_in_force[0])
    ledger_mode = None if "identity" not in rows else rows["identity"].value
    mode = effective_identity(settings, ledger_mode)
    if "contacts" in pending and not objs["contacts"].with_role("admin"):
        raise ConfigError(_(MESSAGES["no_admin_left"]).format(path=paths["contacts"],
                                                              version=repr(objs["contacts"].version)))
    if new_ledger:
        if mode == "database" and settings.is_sqlite:
            raise ConfigError(_(MESSAGES["sqlite_database"]))
        me = person(settings, objs["contacts"], mode)  # staff of the first version, or nothing is written
        _take(ledger, me, pending, identity=mode, what=WHAT["setup"], expect=rows)
        ledger_mode = mode
    elif pending:
        me = person(settings, _contacts_in_force(rows), mode)
        what = WHAT[tuple(k for k in KINDS if k in pending)]
        if not me.has("admin"):
            raise NotPermitted(_(MESSAGES["not_admin"]).format(name=me.name, what=_(what),
                                                               version=repr(rows["contacts"].value)))
        _take(ledger, me, pending, what=what, expect=rows)
    return InForce(catalog=objs["catalog"], contacts=objs["contacts"], identity=mode,
                   ledger_identity=ledger_mode or mode)


def _contacts_in_force(rows: dict) -> Contacts:
    snap = _snapshot("contacts", rows["contacts"].value)
    return _from_snapshot("contacts", snap, snap.source)  # type: ignore[return-value, arg-type]


def _take(ledger, me, pending: dict[str, tuple], *, identity: str | None = None, what: str,
          expect: dict) -> None:
    """Record the new snapshots and what is in force, with an event, in one transaction (under the
    ledger's write lock: if what was in force changed since it was read, the caller reads again)."""
    now = datetime.now(timezone.utc)
    login = me.login
    changed: dict[str, Any] = {}
    try:
        with ledger.change() as ch:
            if {r.key: r.value for r in LedgerSetting.select()} != {k: r.value for k, r in expect.items()}:
                raise _Raced()
            digests = {}
            for kind, (seen, parsed, text) in pending.items():
                digests[kind] = sha256(text)
                if seen is None:
                    ConfigSnapshot.create(kind=kind, version=parsed.version, sha256=digests[kind],
                                          source=str(parsed.source), content=parsed.to_json(),
                                          raw=text.decode("utf-8"), seen_at=now)
                changed[kind] = parsed.version
            if identity is not None:
                changed["identity"] = identity
            before = {r.key: r.value for r in LedgerSetting.select()}
            for key, value in changed.items():
                _put(key, str(value), login, now)
            # the file's digest: what the audit can hold each snapshot in force against
            ch.event(None, "config_in_force", actor=login, via="cli",
                     data={"set": changed, "before": {k: before.get(k) for k in changed}, "sha256": digests})
    except peewee.ProgrammingError as exc:
        raise _refused(exc, me.name, what) from None
    except peewee.IntegrityError:  # the same new version recorded by another process meanwhile
        raise _Raced() from None


def _put(key: str, value: str, login: str, at: datetime) -> None:
    updated = (LedgerSetting.update(value=value, set_by=login, set_at=at)
               .where(LedgerSetting.key == key).execute())
    if not updated:
        LedgerSetting.create(key=key, value=value, set_by=login, set_at=at)


def _refused(exc: Exception, name: str, what: str) -> Exception:
    """`what` is an English msgid (WHAT), said in the desk's language."""
    orig = getattr(exc, "orig", None) or (exc.args[0] if exc.args else None)
    if getattr(orig, "pgcode", None) == "42501":
        reason = (str(exc).strip().splitlines() or [""])[0]
        return NotPermitted(_(MESSAGES["refused_by_server"]).format(name=name, what=_(what), reason=reason))
    return exc


def set_identity(settings: Settings, ledger, in_force: InForce, mode: str, person: Person) -> dict:
    """`pd config set identity MODE`: an admin of the contacts in force sets the ledger's mode. Refused
    when the admin would no longer be an admin under it (nobody could change it back)."""
    me = person(settings, in_force.contacts, in_force.identity)
    if not me.has("admin"):
        raise NotPermitted(_(MESSAGES["not_admin"]).format(name=me.name, what=_(WHAT["identity"]),
                                                           version=repr(in_force.contacts.version)))
    if mode == "database" and settings.is_sqlite:
        raise ConfigError(_(MESSAGES["sqlite_database"]))
    asked = settings.identity if "PD_IDENTITY" in settings.given else mode
    try:
        after = person(settings, in_force.contacts, max(mode, asked, key=STRICTNESS.__getitem__))
    except NotPermitted as exc:
        raise NotPermitted(_(MESSAGES["locks_out_nobody"]).format(mode=repr(mode), reason=exc)) from None
    if not after.has("admin"):
        raise NotPermitted(_(MESSAGES["locks_out"]).format(mode=repr(mode), who=after.name,
                                                           version=repr(in_force.contacts.version)))
    before = in_force.ledger_identity
    if mode != before:
        now = datetime.now(timezone.utc)
        try:
            with ledger.change() as ch:
                _put("identity", mode, me.login, now)
                ch.event(None, "config_in_force", actor=me.login, via="cli",
                         data={"set": {"identity": mode}, "before": {"identity": before}})
        except peewee.ProgrammingError as exc:
            raise _refused(exc, me.name, WHAT["identity"]) from None
    return {"identity": mode, "before": before, "changed": mode != before, "by": me.login}


def describe() -> dict:
    """What is in force, who set it and when (pd config show)."""
    return {r.key: {"value": r.value, "set_by": r.set_by, "set_at": r.set_at} for r in LedgerSetting.select()}


def authorise(settings: Settings, person: Person, *roles: str, what: str):
    """The person, before a command that opens the ledger itself (pd init, pd db upgrade, pd audit verify):
    against the ledger's contacts and identity mode in force when it has them; a new ledger, one from
    before they were kept (schema < 6), or one too damaged to read them: against the caller's file."""
    database = open_database(settings.database_url, busy_timeout=settings.busy_timeout)
    rows = None
    try:
        with translate_errors():
            _connect(database)
        try:
            if migrations.current_version() >= 6:
                rows = _settings()
                if all(k in rows for k in KINDS):
                    contacts = _contacts_in_force(rows)
                else:
                    rows = None
        except (peewee.DatabaseError, ConfigError):
            rows = None  # the audit names the damage; the person is checked against their file
    finally:
        database.close()
    if rows is None:
        me = person(settings, parse_file("contacts", settings.contacts_path), None)
    else:
        me = person(settings, contacts, effective_identity(settings, rows["identity"].value if "identity" in rows else None))
    if not me.has(*roles):
        raise NotPermitted(_(MESSAGES["needs_role"]).format(name=me.name, what=_(what), roles=" / ".join(roles)))

    return me

