"""Schema migrations (pd init / pd db upgrade): from the first released schema, idempotent, never guessing at a
newer ledger, safe when two processes set up the same fresh ledger at once.  SQLite and PostgreSQL."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import pg_schema, run_pd, subprocess_env

PG = os.environ.get("PD_TEST_DATABASE_URL")


_env = subprocess_env


@pytest.fixture
def first_release_only():
    """pd as it was released with migration 1 only: nothing later is applied while the ledger is filled.
    `.undo()` brings back this pd's migrations (its own MonkeyPatch: the test's environment stays)."""
    from pd.db import migrations

    first = migrations.MIGRATIONS[0]
    assert first[0] == 1
    mp = pytest.MonkeyPatch()
    mp.setattr(migrations, "MIGRATIONS", [first])
    mp.setattr(migrations, "LATEST", 1)
    yield mp
    mp.undo()


def _make_v1_ledger(url: str) -> None:
    """Apply migration 1 exactly as `pd db upgrade` does, and nothing else."""
    from pd.db import migrations
    from pd.db import models as m
    from pd.db.connection import db, open_database

    database = open_database(url)
    database.connect(reuse_if_open=True)
    try:
        assert migrations.current_version() == 0
        number, name, fn = migrations.MIGRATIONS[0]
        with db.atomic():
            fn()
            m.SchemaVersion.create(version=number, name=name, applied_at=datetime.now(timezone.utc))
        assert migrations.current_version() == 1
    finally:
        database.close()


def _table_rows() -> dict[str, tuple[list[str], list[tuple]]]:
    """Every row of every table, as the database returns it (column names, rows ordered by the first column)."""
    from pd.config import load_settings
    from pd.db import migrations
    from pd.db.connection import db
    from pd.ledger import Ledger

    led = Ledger(load_settings(), migrate=False)
    try:
        out = {}
        for model in migrations.all_models():
            table = model._meta.table_name
            cur = db.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1')
            cols = [d[0] for d in cur.description]
            rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in cur.fetchall()]
            out[table] = (cols, rows)
        return out
    finally:
        led.close()


def _project(cols: list[str], rows: list[tuple], keep: list[str]) -> list[tuple]:
    idx = [cols.index(c) for c in keep]
    return [tuple(r[i] for i in idx) for r in rows]


def _whole_cycle(pd, mail_dir) -> list[str]:
    """Every kind of row the first release writes: requests in every state, assignments, pauses, escalations,
    refusals, mail sent and pending, catalog and contacts snapshots."""
    a = pd.register()
    pd.ok("assign", a, "--expert", "jberzins")
    pd.ok("accept", a, user="jberzins")
    pd.ok("wait", a, "--question", "Kurā datorā?", user="jberzins")
    pd.ok("resume", a, "--answer", "Telpa 214")
    pd.ok("note", a, "--text", "Gaidām piegādi", "--delay-reason", "Piegāde",
          "--planned", (datetime.now(timezone.utc) + timedelta(days=5)).date().isoformat(), user="jberzins")
    pd.ok("resolve", a, "--result", "Pastkaste atbloķēta", user="jberzins")
    pd.ok("close", a, "--confirmed")
    b = pd.register(service="PAROLE", name="Ilze Šķēle", email="ilze.skele@vp.gov.lv")
    pd.ok("resolve", b, "--result", "Parole atiestatīta (bez paroles teksta)")
    pd.ok("reopen", b, "--reason", "Joprojām neiet")
    c = pd.register(institution="VRS", service="VPN", email="edgars.k@rs.gov.lv")
    pd.ok("assign", c, "--expert", "mliepa")
    pd.ok("reject", c, "--reason", "Nav VPN", user="mliepa")
    pd.ok("escalate", c, "--reason", "unjustified-rejection", "--note", "Tas ir VPN")
    pd.ok("assign", c, "--expert", "kvitols", "--force")  # outside his services: recorded
    d = pd.register(institution="PMLP", out_of_scope=True, reason="Iestādes iekšējā sistēma")
    e = pd.register(institution="VUGD", service="EPASTS", urgent=True)
    pd.ok("assign", e, "--expert", "lkalnina")
    later = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat(timespec="seconds")
    from tests.conftest import clock_at

    with clock_at(later):  # cron runs then: a --now later than the clock is for --dry-run only
        pd.ok("escalate-overdue", "--now", later, "--no-send", user="system")
    pd.ok("mail", "send", "--limit", "3", user="system", env={"PD_MAIL_DIR": str(mail_dir)})
    return [a, b, c, d, e]


def test_a_first_release_ledger_upgrades_with_every_row_intact(pd, pd_env, tmp_path, first_release_only):
    _make_v1_ledger(pd_env["PD_DATABASE_URL"])
    numbers = _whole_cycle(pd, tmp_path / "mail")
    before = _table_rows()
    assert len(before["request"][1]) == 5 and len(before["event"][1]) > 20 and before["escalation"][1]
    first_release_only.undo()  # from here on: this pd, with all its migrations

    env = _env(pd_env)
    from pd.db import migrations

    up = run_pd("db", "upgrade", "--json", env=env)
    assert up.returncode == 0, up.stderr
    assert json.loads(up.stdout)["schema_version"] == migrations.LATEST
    assert json.loads(up.stdout)["migrations_applied"] == [n for n, _, _ in migrations.MIGRATIONS if n > 1]
    again = run_pd("db", "upgrade", env=env)
    assert again.returncode == 0 and "ir jaunākā" in again.stdout, again.stdout + again.stderr
    init = run_pd("init", env=env)
    assert init.returncode == 0 and "jaunākā" in init.stdout, init.stdout + init.stderr
    init_json = run_pd("init", "--json", env=env)
    assert init_json.returncode == 0 and json.loads(init_json.stdout)["migrations_applied"] == []

    after = _table_rows()
    for table, (cols, rows) in before.items():
        cols_after, rows_after = after[table]
        assert set(cols) <= set(cols_after), f"{table} lost columns: {set(cols) - set(cols_after)}"
        projected = _project(cols_after, rows_after, cols)
        if table in ("schema_version", "config_snapshot"):
            assert set(rows) <= set(projected), f"{table}: rows changed or removed"
        else:
            assert projected == rows, f"{table}: rows changed by the upgrade"
    verify = run_pd("audit", "verify", "--json", env=env)
    assert verify.returncode == 0 and json.loads(verify.stdout)["ok"] is True, verify.stdout + verify.stderr
    for n in numbers:
        shown = run_pd("show", n, "--json", env=env)
        assert shown.returncode == 0 and json.loads(shown.stdout)["number"] == n
    # and the upgraded ledger keeps working: numbers go on without a gap
    assert pd.register().endswith("000006")


def test_init_and_upgrade_are_idempotent(pd):
    from pd.db import migrations

    first = pd.ok("init", "--json").json()
    assert first["migrations_applied"] == [n for n, _, _ in migrations.MIGRATIONS]
    for _ in range(3):
        assert pd.ok("init", "--json").json()["migrations_applied"] == []
        assert "jaunākā" in pd.ok("init").stdout
        assert "ir jaunākā" in pd.ok("db", "upgrade").stdout
        assert pd.ok("db", "upgrade", "--json").json() == {"schema_version": migrations.LATEST,
                                                             "migrations_applied": []}
    rows = _table_rows()
    assert [r[0] for r in rows["schema_version"][1]] == [n for n, _, _ in migrations.MIGRATIONS]
    assert len(rows["ledger_head"][1]) == 1
    assert len(rows["config_snapshot"][1]) == 2  # one catalog and one contacts version, not one per init


def _future_ledger(pd) -> str:
    """A ledger some newer pd has upgraded to schema 999."""
    from pd.config import load_settings
    from pd.db import models as m
    from pd.ledger import Ledger

    pd.ok("init")
    n = pd.register()
    led = Ledger(load_settings())
    try:
        m.SchemaVersion.create(version=999, name="from the future", applied_at=datetime.now(timezone.utc))
    finally:
        led.close()
    return n


LEDGER_COMMANDS = [
    ["init"], ["info"], ["db", "upgrade"], ["audit", "verify"], ["list"], ["show", "{n}"],
    ["register", "--name", "Anna Ozola", "--institution", "VP", "--service", "EPASTS", "--description", "x",
     "--channel", "phone"],
    ["assign", "{n}", "--expert", "jberzins"], ["accept", "{n}"], ["reject", "{n}", "--reason", "x"],
    ["wait", "{n}", "--question", "x"], ["resume", "{n}"], ["note", "{n}", "--text", "x"],
    ["resolve", "{n}", "--result", "x"], ["close", "{n}"], ["close", "--auto"], ["reopen", "{n}", "--reason", "x"],
    ["escalate", "{n}", "--reason", "unjustified-rejection"], ["escalate-overdue"], ["explain", "{n}"],
    ["mail", "send"], ["mail", "list"], ["mail", "retry", "1"], ["privacy", "purge"],
    ["privacy", "export", "--email", "janis.berzins@vp.gov.lv"], ["report", "monthly", "--month", "2026-10"],
    ["catalog", "list"], ["catalog", "history"], ["db", "backup", "{tmp}/b.sqlite3"],
]


def test_a_ledger_newer_than_this_pd_is_refused_by_every_command(pd, tmp_path):
    n = _future_ledger(pd)
    for cmd in LEDGER_COMMANDS:
        args = [a.format(n=n, tmp=tmp_path) for a in cmd]
        for user in ("operators1", "admins"):
            r = pd(*args, user=user)
            assert r.exit_code == 7, (args, user, r.exit_code, r.stderr)
            assert "jaunāka nekā šis pd" in r.stderr, (args, r.stderr)
            assert r.stderr.strip().count("\n") == 0
    # a real process says the same, and nothing was touched
    r = run_pd("register", "--name", "Anna Ozola", "--institution", "VP", "--service", "EPASTS", "--description",
               "x", "--channel", "phone")
    assert r.returncode == 7 and "jaunāka nekā šis pd" in r.stderr and "Traceback" not in r.stderr
    rows = _table_rows_raw_requests()
    assert rows == [n]


def _table_rows_raw_requests() -> list[str]:
    """Read the request numbers around pd's version check (the ledger is 'newer' than pd)."""
    from pd.config import load_settings
    from pd.db.connection import db, open_database

    database = open_database(load_settings().database_url)
    database.connect(reuse_if_open=True)
    try:
        return [r[0] for r in db.execute_sql('SELECT number FROM "request" ORDER BY number').fetchall()]
    finally:
        database.close()


def _fresh_ledger_urls(pd_env, tmp_path, count: int):
    """`count` fresh, empty ledgers (SQLite files, or PostgreSQL schemas dropped afterwards)."""
    if not PG:
        return [f"sqlite:///{tmp_path / f'fresh-{i}' / 'ledger.sqlite3'}" for i in range(count)], lambda: None
    made = [pg_schema(PG, "m_") for _ in range(count)]
    return [url for url, _ in made], lambda: [drop() for _, drop in made]


def test_inits_at_once_on_a_fresh_ledger_all_succeed(pd_env, tmp_path):
    rounds = 6
    urls, drop = _fresh_ledger_urls(pd_env, tmp_path, rounds)
    failures = []
    try:
        for url in urls:
            env = _env(pd_env, PD_DATABASE_URL=url)
            procs = [subprocess.Popen([sys.executable, "-m", "pd", "init", "--json"], env=env, text=True,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(3)]
            results = [(p.communicate(timeout=60), p.returncode) for p in procs]
            applied = []
            for (out, err), code in results:
                if code != 0:
                    failures.append((url, code, err.strip()))
                else:
                    applied.append(json.loads(out)["migrations_applied"])
            if len(applied) == 3:
                from pd.db import migrations

                # exactly one of them applied the migrations; the other found them done
                assert sorted(applied, key=len) == [[], [], [n for n, _, _ in migrations.MIGRATIONS]], applied
                verify = run_pd("audit", "verify", "--json", env=env)
                assert verify.returncode == 0, verify.stderr
                info = run_pd("info", "--json", env=env)
                assert info.returncode == 0 and json.loads(info.stdout)["schema_version"] == migrations.LATEST
    finally:
        drop()
    assert failures == []
