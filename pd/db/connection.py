"""The one database object, chosen at run time by PD_DATABASE_URL.

Everything backend-specific lives here: SQLite pragmas and its write lock,
the PostgreSQL driver, and turning driver errors into pd's exit codes. The
models and the domain use only portable peewee.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlparse

import peewee

from .. import interrupts
from ..errors import ConfigError, TemporaryFailure
from ..i18n import N_, _

# SQLite's own words for the common failures, in the desk's language (any other driver text is shown as is).
SQLITE_REASONS = {
    "database is locked": N_("database is locked"),
    "database table is locked": N_("database table is locked"),
    "attempt to write a readonly database": N_("attempt to write a readonly database"),
    "database or disk is full": N_("database or disk is full"),
    "unable to open database file": N_("unable to open database file"),
    "disk I/O error": N_("disk I/O error"),
    "database disk image is malformed": N_("database disk image is malformed"),
    "file is not a database": N_("file is not a database"),
}

db = peewee.DatabaseProxy()

# The default wait for the ledger's lock; a deployment sets PD_BUSY_TIMEOUT (checked in pd.config).
BUSY_TIMEOUT_S = 10.0


def sqlite_path(url: str) -> Path | None:
    """sqlite:///relative.db -> relative.db; sqlite:////abs/ledger.db -> /abs/ledger.db."""
    if not url.startswith("sqlite:"):
        return None
    rest = url[len("sqlite://"):].split("?", 1)[0]
    return Path(unquote(rest[1:] if rest.startswith("/") else rest))


def open_database(url: str, busy_timeout: float = BUSY_TIMEOUT_S) -> peewee.Database:
    """Create (not yet connect) the database for `url` and bind the proxy to it.

    `busy_timeout` (seconds, Settings.busy_timeout) is how long a writer waits for the lock."""
    if url.startswith("sqlite:"):
        path = sqlite_path(url)
        assert path is not None
        if str(path) in ("", ":memory:"):
            raise ConfigError(_("PD_DATABASE_URL: an in-memory SQLite ledger would be lost; give a file path"))
        _prepare_sqlite_file(path)
        database: peewee.Database = peewee.SqliteDatabase(
            str(path),
            timeout=busy_timeout,  # sqlite3.connect sets the busy handler (PRAGMA busy_timeout) from it
            lock_type="IMMEDIATE",  # every write transaction takes the write lock up front: no upgrade deadlocks
            pragmas=(
                # Set on every open, although WAL persists in the file: skipping it when the file's
                # header already said WAL made the first statement after `pd db restore` fail with
                # "disk I/O error" in a process that had the ledger open (test_backup_privacy).
                ("journal_mode", "wal"),
                ("foreign_keys", 1),
                ("synchronous", "full"),  # a number once printed survives a power failure (SPEC 10)
            ),
        )
    elif url.startswith(("postgres://", "postgresql://")):
        parsed = urlparse(url)
        params = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        # The same busy timeout as SQLite's: a writer waits this long for the ledger's row lock,
        # then gives up with exit 8 (lock_timeout, SQLSTATE 55P03).
        timeout = f"-c lock_timeout={int(busy_timeout * 1000)}"
        params["options"] = f"{params['options']} {timeout}" if params.get("options") else timeout
        params.setdefault("connect_timeout", "10")
        try:
            import psycopg2  # noqa: F401  (the optional 'postgres' extra)
        except ImportError as exc:
            raise ConfigError(_("PostgreSQL needs its driver: pip install 'pd[postgres]'")) from exc
        database = peewee.PostgresqlDatabase(
            unquote(parsed.path.lstrip("/")) or "pd",
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            **params,
        )
    else:
        raise ConfigError(_("PD_DATABASE_URL: unsupported scheme in {url} (use sqlite:///PATH or postgresql://…)").format(
            url=repr(redact_url(url))))
    database.pd_busy_timeout = busy_timeout  # type: ignore[attr-defined]  (for pd.ledger._connect)
    db.initialize(database)
    return database


def _prepare_sqlite_file(path: Path) -> None:
    """Create a new ledger readable by owner and group only (issue: personal data)."""
    if path.exists():
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o007)
        try:
            fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o660)
            os.close(fd)
        finally:
            os.umask(old)
    except OSError as exc:
        raise ConfigError(_("cannot create the ledger {path}: {error}").format(path=path, error=exc.strerror)) from exc


def redact_url(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(f":{parsed.password}@", ":***@")
    return url


def is_sqlite() -> bool:
    return isinstance(db.obj, peewee.SqliteDatabase)


@contextmanager
def write_transaction() -> Iterator[None]:
    """One state change = one transaction (BEGIN IMMEDIATE on SQLite).

    The outermost one holds a Ctrl-C from just before its COMMIT (pd.interrupts): once stored,
    the command prints what it did instead of claiming that nothing was changed."""
    outermost = db.transaction_depth() == 0
    with translate_errors():
        if not outermost:
            with db.atomic():
                yield
            return
        with interrupts.committing(_settle_interrupted_commit):
            with db.atomic():
                yield
                interrupts.hold()


def _settle_interrupted_commit() -> bool:
    """A second Ctrl-C broke into a COMMIT: True when it had been stored; if the transaction is
    still open, it is rolled back here and this is False."""
    conn = db.obj.connection()
    if is_sqlite():
        still_open = conn.in_transaction
    else:  # psycopg2: 0 is TRANSACTION_STATUS_IDLE, no transaction open
        still_open = conn.get_transaction_status() != 0
    if still_open:
        conn.rollback()
    return not still_open


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn driver errors into pd errors with the exit codes of SPEC 11."""
    try:
        yield
    except peewee.OperationalError as exc:
        raise classify_operational_error(exc) from exc


def classify_operational_error(exc: BaseException) -> Exception:
    """A driver error as a pd error with its exit code: busy 8, read-only / full / other 7."""
    # SQLite rolls back by itself on SQLITE_FULL and the like; peewee's own ROLLBACK then
    # fails and would hide the real reason.
    if "cannot rollback" in str(exc).lower() and isinstance(exc.__context__, Exception):
        return classify_operational_error(exc.__context__)
    orig = getattr(exc, "orig", None) or (exc.args[0] if exc.args else None)
    pgcode = getattr(orig, "pgcode", None)  # the SQLSTATE decides, whatever the server's language
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]  # PostgreSQL adds LINE/caret lines
    text = reason.lower()
    if reason in SQLITE_REASONS:
        reason = _(SQLITE_REASONS[reason])
    if pgcode in ("40001", "40P01", "55P03") or any(
            w in text for w in ("locked", "busy", "could not obtain lock", "deadlock", "could not serialize",
                                "lock timeout")):
        return TemporaryFailure(_("the ledger is busy (another pd is writing); nothing was changed, try again "
                                  "({reason})").format(reason=reason))
    if pgcode == "25006" or "readonly" in text or "read-only" in text:
        return ConfigError(_("the ledger is read-only: {reason}").format(reason=reason))
    if pgcode == "53100" or "disk is full" in text or "no space" in text:
        return ConfigError(_("the disk is full: {reason}").format(reason=reason))
    if any(w in text for w in ("could not connect", "connection refused", "timeout expired")):
        return TemporaryFailure(_("cannot reach the database server: {reason}").format(reason=reason))
    if "unable to open" in text:
        return ConfigError(_("cannot open the ledger: {reason}").format(reason=reason))
    return ConfigError(_("database error: {reason}").format(reason=reason))

