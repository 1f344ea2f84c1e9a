"""Numbered migrations, recorded in `schema_version` and applied in order.

Applied by `pd init` / `pd db upgrade` and on open; safe to repeat. A ledger
whose schema is newer than this code is refused (exit 7) rather than guessed at.

Migration 1 is the first released schema (0.1.0). Later migrations must change
the schema with `playhouse.migrate` operations, never by editing migration 1.
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


MIGRATIONS: list[tuple[int, str, Callable[[], None]]] = [
    (1, "initial ledger", _m001_initial),
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


def upgrade() -> list[int]:
    """Apply pending migrations; returns the versions applied."""
    applied: list[int] = []
    with translate_errors():
        version = current_version()
        check_not_newer(version)
        for number, name, fn in MIGRATIONS:
            if number <= version:
                continue
            with db.atomic():
                # Re-check inside the write lock: another process may have just migrated.
                if number <= current_version():
                    continue
                fn()
                m.SchemaVersion.create(version=number, name=name, applied_at=datetime.now(timezone.utc))
            applied.append(number)
    return applied
