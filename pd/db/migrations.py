"""Numbered migrations, recorded in `schema_version` and applied in order.

A new ledger is created from the current models and stamped with every
migration's number (so migration 1 never runs against a later schema).
An existing ledger is upgraded by `pd db upgrade` / `pd init`, which apply the
pending migrations in order; other commands refuse an older schema (exit 7)
rather than change a shared ledger behind the admin's back. A ledger newer than
this code is refused (exit 7).

A later migration changes the schema with `playhouse.migrate` operations; its
test starts from a ledger of the previous schema (tests/test_migrations.py).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import peewee as pw

from ..errors import ConfigError
from ..i18n import _
from . import fulltext
from . import models as m
from .connection import db, translate_errors


def all_models() -> list:
    """Every table, in creation order."""
    from . import intake_models as im  # lazy: opening the ledger (every command) needs no intake model

    return m.CORE_MODELS + [im.InboundMessage, im.IntakeItem, im.QuarantinedMessage, im.ImapMailbox]


def _m001_initial() -> None:
    db.create_tables(all_models(), safe=True)
    m.LedgerHead.insert(id=1, last_event_id=0, last_hash="0" * 64).on_conflict_ignore().execute()
    _search_index_ddl()
    _append_only_events()  # not a model: the trigger and grants of migration 4
    _settings_for_admins()  # and the grants of migration 6
    _append_only_seals()  # and those of migration 7


# Migration 4 (PostgreSQL only; SQLite has no roles: its file's owner can change anything,
# see docs/security.md). The desk's login roles are members of DESK_ROLE; they may write the
# ledger's state but only add to its history. A trigger refuses UPDATE, DELETE and TRUNCATE
# of events for every role, the owner included (only a superuser or the owner, by switching
# the trigger off, can rewrite history; the anchor held by institutions catches that).
DESK_ROLE = "pd_staff"


def _append_only_events() -> None:
    if isinstance(db.obj, pw.SqliteDatabase):
        return
    # (%% is one %: the driver formats every statement)
    db.execute_sql("""
        CREATE OR REPLACE FUNCTION pd_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the ledger''s history is append-only: %% on event is refused', TG_OP
                USING ERRCODE = '42501';
        END $$""")
    db.execute_sql("DROP TRIGGER IF EXISTS event_append_only ON event")
    db.execute_sql("CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event "
                   "FOR EACH ROW EXECUTE FUNCTION pd_event_append_only()")
    db.execute_sql("DROP TRIGGER IF EXISTS event_no_truncate ON event")
    db.execute_sql("CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event "
                   "FOR EACH STATEMENT EXECUTE FUNCTION pd_event_append_only()")
    # The desk's group role (NOLOGIN; an admin grants it to each person's login role).
    db.execute_sql(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{DESK_ROLE}') THEN
                CREATE ROLE {DESK_ROLE} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile
        END $$""")
    schema = _schema()
    existing = {r[0] for r in db.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").fetchall()}
    tables = [t._meta.table_name for t in all_models() if t is not m.Event and t._meta.table_name in existing]
    tables += [t for t in ("request_search",) if t in existing]  # pd search's index, kept by every change
    db.execute_sql("REVOKE ALL ON event FROM PUBLIC")
    db.execute_sql(f"GRANT USAGE ON SCHEMA {schema} TO {DESK_ROLE}")
    db.execute_sql(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(tables)} TO {DESK_ROLE}")
    db.execute_sql(f"GRANT SELECT, INSERT ON event TO {DESK_ROLE}")
    db.execute_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {DESK_ROLE}")
    # tables and sequences later migrations create (as this owner) are the desk's to use as well
    db.execute_sql(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT, INSERT, UPDATE, DELETE "
                   f"ON TABLES TO {DESK_ROLE}")
    db.execute_sql(f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {DESK_ROLE}")


# Migration 6: what the ledger trusts (SPEC 9) is the ledger's: the identity mode and the catalog and
# contacts in force (ledger_setting), and every version it has seen (config_snapshot). The desk's roles
# may only read them; ADMIN_ROLE (NOLOGIN, granted with DESK_ROLE to each admin's login role) may add
# a version and set what is in force. Nobody but the owner updates or deletes a snapshot.
ADMIN_ROLE = "pd_admin"


def _m006_settings() -> None:
    db.create_tables([m.LedgerSetting], safe=True)
    _settings_for_admins()


def _settings_for_admins() -> None:
    if isinstance(db.obj, pw.SqliteDatabase):
        return
    db.execute_sql(f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ADMIN_ROLE}') THEN
                CREATE ROLE {ADMIN_ROLE} NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;  -- created meanwhile
        END $$""")
    schema = _schema()
    db.execute_sql("REVOKE ALL ON ledger_setting, config_snapshot FROM PUBLIC")
    # (the default privileges of migration 4 gave the desk everything on a new table: taken back)
    db.execute_sql(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ledger_setting, config_snapshot FROM {DESK_ROLE}")
    db.execute_sql(f"GRANT SELECT ON ledger_setting, config_snapshot TO {DESK_ROLE}")
    db.execute_sql(f"GRANT USAGE ON SCHEMA {schema} TO {ADMIN_ROLE}")
    db.execute_sql(f"GRANT SELECT, INSERT, UPDATE ON ledger_setting TO {ADMIN_ROLE}")
    db.execute_sql(f"GRANT SELECT, INSERT ON config_snapshot TO {ADMIN_ROLE}")
    db.execute_sql(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {ADMIN_ROLE}")


def _schema() -> str:
    name = db.execute_sql("SELECT current_schema()").fetchone()[0]
    return '"' + name.replace('"', '""') + '"'


def _m002_intake() -> None:
    """E-mail intake (SPEC 13): inbound messages, the intake queue and the quarantine."""
    from . import intake_models as im  # (as in all_models)

    db.create_tables([im.InboundMessage, im.IntakeItem, im.QuarantinedMessage], safe=True)


def _m005_imap_mailbox() -> None:
    from . import intake_models as im  # (as in all_models)

    db.create_tables([im.ImapMailbox], safe=True)


def _m007_row_seal() -> None:
    """The audit sees every row a change wrote: each change's rows sealed with its last event."""
    db.create_tables([m.RowSeal], safe=True)
    _append_only_seals()


def _append_only_seals() -> None:
    """PostgreSQL: row seals are history as events are: the same trigger, only SELECT and INSERT."""
    if isinstance(db.obj, pw.SqliteDatabase):
        return
    db.execute_sql("DROP TRIGGER IF EXISTS row_seal_append_only ON row_seal")
    db.execute_sql("CREATE TRIGGER row_seal_append_only BEFORE UPDATE OR DELETE ON row_seal "
                   "FOR EACH ROW EXECUTE FUNCTION pd_event_append_only()")
    db.execute_sql("DROP TRIGGER IF EXISTS row_seal_no_truncate ON row_seal")
    db.execute_sql("CREATE TRIGGER row_seal_no_truncate BEFORE TRUNCATE ON row_seal "
                   "FOR EACH STATEMENT EXECUTE FUNCTION pd_event_append_only()")
    db.execute_sql(f"REVOKE ALL ON row_seal FROM PUBLIC, {DESK_ROLE}")
    db.execute_sql(f"GRANT SELECT, INSERT ON row_seal TO {DESK_ROLE}")


def _m008_job_runs() -> None:
    db.create_tables([m.JobRun], safe=True)


def _search_index_ddl() -> None:
    """The search index (not a model: an FTS5 table on SQLite, a tsvector table on PostgreSQL)."""
    fulltext.create_index()


def _m003_search_index() -> None:
    """pd search: the index, built for the requests an existing ledger already holds."""
    _search_index_ddl()
    fulltext.rebuild()


MIGRATIONS: list[tuple[int, str, Callable[[], None]]] = [
    (1, "initial ledger", _m001_initial),
    (2, "e-mail intake", _m002_intake),
    (3, "search index", _m003_search_index),
    (4, "events append-only for the desk's roles (PostgreSQL)", _append_only_events),
    (5, "pd mail fetch: each IMAP mailbox's UIDVALIDITY and last UID", _m005_imap_mailbox),
    (6, "the identity mode, catalog and contacts in force are the ledger's (SPEC 9)", _m006_settings),
    (7, "row seals: the audit sees every row a change wrote", _m007_row_seal),
    (8, "pd doctor: when each cron job last ran", _m008_job_runs),
]
LATEST = MIGRATIONS[-1][0]


def current_version() -> int:
    """The ledger's schema version (0 = empty database)."""
    if not db.table_exists("schema_version"):
        return 0
    # plain SQL: building the same query through the model costs more than running it
    row = db.execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def check_not_newer(version: int) -> None:
    if version > LATEST:
        raise ConfigError(_("the ledger's schema is version {version}, newer than this pd understands ({latest}); "
                            "upgrade pd").format(version=version, latest=LATEST))



def _lock() -> None:
    """Serialise migrating processes (SQLite: BEGIN IMMEDIATE already does)."""
    if not isinstance(db.obj, pw.SqliteDatabase):
        db.execute_sql("SELECT pg_advisory_xact_lock(72430001)")


def upgrade() -> list[int]:
    """Create a new ledger or apply pending migrations; returns the versions applied."""
    applied: list[int] = []
    now = datetime.now(timezone.utc)
    with translate_errors():
        version = current_version()
        check_not_newer(version)
        if version == LATEST:
            return applied
        with db.atomic():
            _lock()
            version = current_version()  # another process may have just done it
            if version == 0:
                _m001_initial()  # the current schema, every migration included
                for number, name, _fn in MIGRATIONS:
                    m.SchemaVersion.create(version=number, name=name, applied_at=now)
                    applied.append(number)
                return applied
        for number, name, fn in MIGRATIONS:
            if number <= version:
                continue
            with db.atomic():
                _lock()
                if number <= current_version():
                    continue
                fn()
                m.SchemaVersion.create(version=number, name=name, applied_at=now)
            applied.append(number)
    return applied
