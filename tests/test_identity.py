"""Identity that means something (SPEC 9, PD_IDENTITY): env, os, database; and on PostgreSQL the
desk's login roles add history but never change it (migration 4), with a real second login role."""
from __future__ import annotations

import uuid

import pytest

from pd.desk import os_login
from tests.conftest import PG_URL, RawDB


def add_staff(pd_env, login: str, roles: str = "[operator, expert]") -> None:
    """A staff member in the test's contacts.yaml copy (before the ledger has seen the file)."""
    from pathlib import Path

    path = Path(pd_env["PD_CONTACTS"])
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + f'\n  - {{login: {login}, name: "Testa Lietotājs", email: '
                    f'testa.lietotajs@ic.iem.gov.lv, roles: {roles}, manager: pdvaditajs, services: [EPASTS]}}\n',
                    encoding="utf-8")


def events_by(rawdb_url: str, number: str) -> list[str]:
    return [r[0] for r in RawDB(rawdb_url).execute(
        "SELECT e.actor FROM event e JOIN request r ON r.id = e.request_id WHERE r.number = ? ORDER BY e.id", number)]


def count_requests(url: str) -> int:
    return RawDB(url).execute("SELECT COUNT(*) FROM request")[0][0]


def test_env_trusts_pd_user_as_before(pd, pd_env):
    n = pd.register()
    assert pd.ok("show", n, "--json", env={"PD_IDENTITY": "env"}).json()["events"][0]["actor"] == "operators1"
    assert pd("list", user="supervizors", env={"PD_IDENTITY": "env"}).exit_code == 0


def test_os_acts_as_the_login_and_refuses_another_pd_user(pd, pd_env):
    me = os_login()
    add_staff(pd_env, me)
    env = {"PD_IDENTITY": "os"}
    n = pd.ok("register", "--json", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
              "--description", "Neienāk e-pasts", "--channel", "phone", env={**env, "PD_USER": ""}).json()["number"]
    assert events_by(pd_env["PD_DATABASE_URL"], n) == [me]
    # PD_USER is only a check: naming yourself is fine, naming anyone else (the system role too) is exit 6
    assert pd("show", n, user=me, env=env).exit_code == 0
    for other in ("operators1", "system", "supervizors"):
        r = pd("register", "--name", "X", "--institution", "VP", "--service", "EPASTS", "--description", "Y",
               "--channel", "phone", user=other, env=env)
        assert r.exit_code == 6 and f"PD_USER={other!r} neatbilst jums" in r.stderr and me in r.stderr
    r = pd("report", "monthly", "--month", "2026-11", "--send", user="supervizors", env=env)
    assert r.exit_code == 6 and "Traceback" not in r.stderr
    assert count_requests(pd_env["PD_DATABASE_URL"]) == 1


def test_os_login_not_in_contacts_is_exit_6(pd, pd_env):
    r = pd("list", env={"PD_IDENTITY": "os", "PD_USER": ""})
    assert r.exit_code == 6 and f"{os_login()!r} nav Centra darbinieks" in r.stderr
    assert "operētājsistēmas lietotājvārds" in r.stderr


def test_database_identity(pd, pd_env):
    """SQLite has no users: exit 7. PostgreSQL: a real second login role, authenticated by the
    server, is the acting person; it may add events but not change or delete them."""
    if not PG_URL:
        r = pd("register", "--name", "X", "--institution", "VP", "--service", "EPASTS", "--description", "Y",
               "--channel", "phone", env={"PD_IDENTITY": "database"})
        assert r.exit_code == 7 and "PostgreSQL" in r.stderr and "Traceback" not in r.stderr
        assert not RawDB(pd_env["PD_DATABASE_URL"]).execute(
            "SELECT name FROM sqlite_master WHERE name = 'request'") or count_requests(pd_env["PD_DATABASE_URL"]) == 0
        return
    import psycopg2

    from tests.conftest import pg_admin

    role = "pdt_" + uuid.uuid4().hex[:10]
    add_staff(pd_env, role)
    owner_url = pd_env["PD_DATABASE_URL"]
    n = pd.register()  # the owner (the test server's superuser) creates the ledger: migration 4 runs
    pg_admin(PG_URL, f"CREATE ROLE {role} LOGIN")
    try:
        pg_admin(PG_URL, f"GRANT pd_staff TO {role}")
        role_url = owner_url.replace("://pd@", f"://{role}@", 1)
        assert role_url != owner_url
        env = {"PD_IDENTITY": "database", "PD_DATABASE_URL": role_url, "PD_USER": ""}
        # a real pd command as the role: its event is written, and names the role's person
        m = pd.ok("register", "--json", "--name", "Līga Ērgle", "--institution", "VP", "--service", "EPASTS",
                  "--description", "Neienāk e-pasts", "--channel", "phone", env=env).json()["number"]
        assert events_by(owner_url, m) == [role]
        pd.ok("note", m, "--text", "Pārbaudu", env=env)
        # PD_USER naming another person is refused; the server says who you are
        r = pd("note", m, "--text", "Cits", env={**env, "PD_USER": "operators1"})
        assert r.exit_code == 6 and "PD_USER='operators1' neatbilst jums" in r.stderr and role in r.stderr
        # the role may not change or delete history, nor empty it
        con = psycopg2.connect(role_url)
        con.autocommit = True
        cur = con.cursor()
        for statement in ("UPDATE event SET actor = 'operators2'", "DELETE FROM event",
                          "TRUNCATE event CASCADE"):
            with pytest.raises(psycopg2.Error) as refused:
                cur.execute(statement)
            assert refused.value.pgcode in ("42501",), (statement, refused.value.pgerror)
        cur.execute("SELECT COUNT(*) FROM event")
        total = cur.fetchone()[0]
        con.close()
        # not even the owner updates an event while the trigger stands
        con = psycopg2.connect(owner_url)
        con.autocommit = True
        with pytest.raises(psycopg2.Error) as refused:
            con.cursor().execute("UPDATE event SET actor = 'operators2'")
        assert "append-only" in refused.value.pgerror
        con.close()
        assert RawDB(owner_url).execute("SELECT COUNT(*) FROM event")[0][0] == total
        # the audit, as the role
        d = pd.ok("audit", "verify", "--json", env=env).json()
        assert d["ok"] is True and d["events"] == total and n != m
    finally:
        from pd.db.connection import db

        if db.obj is not None and not db.obj.is_closed():
            db.obj.close()
        pg_admin(owner_url, f"DROP OWNED BY {role}")
        pg_admin(PG_URL, f"DROP ROLE {role}")
