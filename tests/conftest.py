"""Fixtures: a fresh ledger per test (SQLite file in tmp_path, or a fresh schema on the
PostgreSQL server named by PD_TEST_DATABASE_URL), the shipped YAML copied so tests can
edit it, and `pd` run in-process (CliRunner) or as a real subprocess."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest_plugins = ["tests.smtp_fixture"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "pd" / "examples"  # the shipped catalog.yaml and contacts.yaml
PG_URL = os.environ.get("PD_TEST_DATABASE_URL")
if PG_URL:
    import psycopg2  # noqa: F401  (before pd.db, which hides unused drivers from peewee)


def pytest_report_header(config):
    return f"pd ledger backend: {'postgresql (' + PG_URL + ')' if PG_URL else 'sqlite'}"


def pg_admin(base: str, statement: str) -> None:
    """One statement on the PostgreSQL server at `base`, outside any test ledger."""
    import psycopg2

    conn = psycopg2.connect(base)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.close()


def process_gone(pid: int) -> bool:
    """The process has exited (reaped, or a zombie whose new parent has not reaped it yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def pg_schema(base: str, prefix: str = "t_"):
    """A fresh schema on the server: (a ledger URL that uses it, a function that drops it).
    Shared by the tests and the benchmarks."""
    schema = prefix + uuid.uuid4().hex[:12]
    pg_admin(base, f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in base else "?"
    return (f"{base}{sep}options=-csearch_path%3D{schema}",
            lambda: pg_admin(base, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def ledger_url(tmp_path):
    if PG_URL:
        url, drop = pg_schema(PG_URL)
        yield url
        from pd.db.connection import db

        if db.obj is not None and not db.obj.is_closed():
            db.obj.close()
        drop()
    else:
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        from pd.db.connection import db

        if db.obj is not None and not db.obj.is_closed():
            db.obj.close()


@pytest.fixture(autouse=True)
def pd_env(tmp_path, monkeypatch, ledger_url):
    """Every test gets its own ledger, YAML copies and no stray configuration."""
    for key in list(os.environ):
        if key.startswith("PD_") and key != "PD_TEST_DATABASE_URL":
            monkeypatch.delenv(key, raising=False)
    conf = tmp_path / "conf"
    conf.mkdir()
    shutil.copy(EXAMPLES / "catalog.yaml", conf / "catalog.yaml")
    shutil.copy(EXAMPLES / "contacts.yaml", conf / "contacts.yaml")
    env = {
        "PD_DATABASE_URL": ledger_url,
        "PD_CATALOG": str(conf / "catalog.yaml"),
        "PD_CONTACTS": str(conf / "contacts.yaml"),
        "PD_USER": "operators1",
        "PD_MAIL_FROM": "Pakalpojumu dienests <servicedesk@ic.iem.gov.lv>",
        "PD_BUSY_TIMEOUT": "10",
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    # no pd.env of the developer's or the machine's (SPEC 16: ~/.config/pd, /etc/pd)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setattr("pd.config.SYSTEM_CONFIG_DIR", tmp_path / "etc-pd")
    monkeypatch.chdir(tmp_path)
    return env


class Clock:
    """The ledger's clock (the time every change is stamped with), in-process commands only.

    clock.set("2027-01-04T09:00") is Riga time; an offset may be given. clock.now = None
    returns to the real clock."""

    def __init__(self):
        self.now = None

    def set(self, text: str) -> None:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        dt = datetime.fromisoformat(text)
        self.now = dt if dt.tzinfo else dt.replace(tzinfo=ZoneInfo("Europe/Riga"))

    def advance(self, **kw) -> None:
        from datetime import timedelta

        self.now += timedelta(**kw)

    def __call__(self):
        from datetime import datetime, timezone

        return self.now if self.now is not None else datetime.now(timezone.utc)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    # pd.desk binds ledger.utcnow when it is first imported: imported after the first patch below,
    # it would bind the Clock, and teardown would "restore" the Clock (a later test then ran a
    # month ahead: test_close_auto_through_resolved_at_in_the_ledger after test_queue's clock).
    import pd.desk  # noqa: F401
    monkeypatch.setattr("pd.ledger.utcnow", c)
    monkeypatch.setattr("pd.desk.utcnow", c)
    return c


_COMMANDS: dict = {}


@pytest.fixture(autouse=True)
def _build_the_cli_once(monkeypatch):
    """CliRunner rebuilds Typer's whole command tree on every call (~90% of an in-process
    run): build it once per session so the suite stays fast."""
    import typer.main
    import typer.testing

    def get_command(app):
        if id(app) not in _COMMANDS:
            _COMMANDS[id(app)] = typer.main.get_command(app)
        return _COMMANDS[id(app)]

    monkeypatch.setattr(typer.testing, "_get_command", get_command)


class RawDB:
    """The test's ledger reached around pd (to tamper with it, lock it, or read every byte),
    on SQLite or PostgreSQL alike. Statements use `?` placeholders."""

    def __init__(self, url: str):
        self.url = url
        self.pg = url.startswith("postgres")

    def _connect(self):
        if self.pg:
            import psycopg2

            con = psycopg2.connect(self.url)
            con.autocommit = True
            # The test server's user is a superuser, as a tamperer with the server would be: it
            # switches off the trigger that keeps events append-only (migration 4).
            con.cursor().execute("SET session_replication_role = replica")
            return con
        import sqlite3

        from pd.db.connection import sqlite_path

        return sqlite3.connect(sqlite_path(self.url), isolation_level=None)

    def execute(self, statement: str, *params):
        con = self._connect()
        try:
            cur = con.cursor()
            cur.execute(statement.replace("?", "%s") if self.pg else statement, params)
            return cur.fetchall() if cur.description else []
        finally:
            con.close()

    def dump(self) -> bytes:
        """Every byte the ledger holds (SQLite: the file and its WAL; PostgreSQL: every row as text)."""
        if not self.pg:
            from pd.db.connection import sqlite_path

            path = sqlite_path(self.url)
            return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
        tables = [r[0] for r in self.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
        out = []
        for t in tables:
            out += [r[0] for r in self.execute(f'SELECT t::text FROM "{t}" t')]
        return "\n".join(out).encode("utf-8")

    @contextmanager
    def write_lock(self):
        """Hold the ledger's write lock, as another writer would."""
        con = self._connect()
        try:
            cur = con.cursor()
            if self.pg:
                con.autocommit = False
                cur.execute("LOCK TABLE ledger_head IN ACCESS EXCLUSIVE MODE")
            else:
                cur.execute("BEGIN IMMEDIATE")
            yield
        finally:
            con.rollback() if self.pg else cur.execute("ROLLBACK")
            con.close()


@pytest.fixture
def rawdb(pd_env) -> RawDB:
    return RawDB(pd_env["PD_DATABASE_URL"])


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        import json

        return json.loads(self.stdout)


class Pd:
    """`pd` in-process: pd("register", ..., user="jberzins")."""

    def __init__(self, env):
        self.env = env
        self.runner = CliRunner()

    def __call__(self, *args: str, user: str | None = None, input: str | None = None, env: dict | None = None) -> Run:
        from pd.cli import app

        extra = dict(env or {})
        if user:
            extra["PD_USER"] = user
        result = self.runner.invoke(app, [str(a) for a in args], input=input, env=extra, catch_exceptions=False)
        return Run(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str, **kw) -> Run:
        r = self(*args, **kw)
        assert r.exit_code == 0, f"pd {' '.join(map(str, args))} -> {r.exit_code}: {r.stderr}{r.stdout}"
        return r

    def register(self, **fields) -> str:
        """Register a request with sensible defaults; returns its number."""
        values = {"name": "Jānis Bērziņš", "institution": "VP", "service": "EPASTS",
                  "description": "Neienāk e-pasts kopš rīta", "channel": "phone",
                  "email": "janis.berzins@vp.gov.lv", "phone": "26123456"}
        values.update(fields)
        args = ["register", "--json"]
        for k, v in values.items():
            if v is True:
                args.append("--" + k.replace("_", "-"))
            elif v not in (None, False):
                args += ["--" + k.replace("_", "-"), str(v)]
        return self.ok(*args).json()["number"]


@pytest.fixture
def pd(pd_env):
    return Pd(pd_env)


def subprocess_env(pd_env: dict, **extra: str) -> dict:
    """The environment for a real `pd` (or python) subprocess of the test: its ledger and files,
    and this checkout importable."""
    env = dict(os.environ)
    env.update(pd_env)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_pd(*args: str, env: dict | None = None, timeout: float = 60, input: str | None = None) -> subprocess.CompletedProcess:
    """A real `pd` process (python -m pd) with the test's environment."""
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run([sys.executable, "-m", "pd", *map(str, args)], capture_output=True, text=True,
                          env=full, timeout=timeout, input=input)


# ---------------------------------------------------------------- a clock that reads a given time
FAKE_CLOCK_DIR = ROOT / "tests" / "fakeclock"


def clock_env(when: str, env: dict | None = None) -> dict:
    """The environment for a `pd` subprocess whose clock reads `when` (frozen; Riga time unless
    an offset is given). `escalate-overdue --now` may not be later than the clock (SPEC 5)."""
    full = dict(env or {})
    full["PD_TEST_CLOCK"] = when
    base = full.get("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    full["PYTHONPATH"] = os.pathsep.join(p for p in (str(FAKE_CLOCK_DIR), str(ROOT), base) if p)
    return full


@contextmanager
def clock_at(when: str):
    """In-process: the ledger's clock reads `when` for the duration (like the `clock` fixture)."""
    from datetime import datetime
    from unittest import mock
    from zoneinfo import ZoneInfo

    at = datetime.fromisoformat(when)
    at = at if at.tzinfo else at.replace(tzinfo=ZoneInfo("Europe/Riga"))
    with mock.patch("pd.ledger.utcnow", lambda: at), mock.patch("pd.desk.utcnow", lambda: at):
        yield at


def pytest_configure(config):
    config.addinivalue_line("markers", "tampers: the test damages its ledger on purpose (no audit after it)")


@pytest.fixture(autouse=True)
def _every_history_verifies(request, ledger_url, tmp_path):
    """After each test, `pd audit verify` over the ledger it left: every legitimate history must
    verify clean (SPEC 10). Tests that damage their ledger on purpose (they use `rawdb`, or are
    marked `tampers`) are left out."""
    yield
    if "rawdb" in request.fixturenames or request.node.get_closest_marker("tampers"):
        return
    if not PG_URL:
        from pd.db.connection import sqlite_path

        path = sqlite_path(ledger_url)
        if path is None or not path.exists() or path.stat().st_size == 0:
            return
    result = audit_ledger(ledger_url)
    assert result is None or result["ok"], "pd audit verify after the test: " + "; ".join(result["problems"])


def audit_ledger(url: str):
    """`pd audit verify` in-process over the ledger at `url` (None: no ledger of this schema there)."""
    from pd import audit
    from pd.db import migrations
    from pd.db.connection import db, open_database

    if db.obj is not None and not db.obj.is_closed():
        db.obj.close()
    database = open_database(url)
    try:
        database.connect()
        if migrations.current_version() != migrations.LATEST:
            return None
        return audit.verify()
    finally:
        database.close()
