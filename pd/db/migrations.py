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
from .connection import db, translate_errors
from . import models as m


def _m001_initial() -> None:
    db.create_tables(m.ALL_MODELS, safe=True)
    m.LedgerHead.insert(id=1, last_event_id=0, last_hash="0" * 64).on_conflict_ignore().execute()
    _search_index_ddl()


def _search_index_ddl() -> None:
    """The search index (not a model: an FTS5 table on SQLite, a tsvector table on PostgreSQL)."""
    from ..search import create_index

    create_index()


def _m003_search_index() -> None:
    """pd search: the index, built for the requests an existing ledger already holds."""
    from ..search import rebuild

    _search_index_ddl()
    rebuild()


MIGRATIONS: list[tuple[int, str, Callable[[], None]]] = [
    (1, "initial ledger", _m001_initial),
    (3, "search index", _m003_search_index),
]
LATEST = MIGRATIONS[-1][0]


def current_version() -> int:
    """The ledger's schema version (0 = empty database)."""
    if not db.table_exists("schema_version"):
        return 0
    row = m.SchemaVersion.select(pw.fn.MAX(m.SchemaVersion.version)).scalar()
    return int(row or 0)


def check_not_newer(version: int) -> None:
    if version > LATEST:
        raise ConfigError(
            f"the ledger's schema is version {version}, newer than this pd understands ({LATEST}); upgrade pd"
        )


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
