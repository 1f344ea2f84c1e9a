"""Trust comes from the ledger, not the caller (SPEC 9, issue 18 item 2).

The identity mode and the catalog and contacts in force are the ledger's: a caller's PD_IDENTITY
may only be stricter, and a caller's own contacts.yaml (a copy that makes them admin under a new
version) is exit 7, whoever they are. Proved with real operating-system accounts (useradd, pd run
through setpriv as each) and, on PostgreSQL, with real login roles that the server's grants keep
from changing what is in force."""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.conftest import PG_URL, ROOT, RawDB, pg_admin

REGISTER = ["register", "--json", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
            "--description", "Neienāk e-pasts", "--channel", "phone", "--phone", "26123456"]


def staff_line(login: str, roles: str) -> str:
    return (f'\n  - {{login: {login}, name: "Testa Lietotājs", email: testa.lietotajs@ic.iem.gov.lv, '
            f'roles: {roles}, manager: pdvaditajs}}\n')


def add_staff(path: Path, login: str, roles: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + staff_line(login, roles), encoding="utf-8")


def settings_rows(url: str) -> dict:
    return dict(RawDB(url).execute("SELECT key, value FROM ledger_setting"))


# ---------------------------------------------------------------- in-process, as PD_USER (env)
def test_a_copied_contacts_file_with_a_new_version_is_exit_7_and_grants_nothing(pd, pd_env, rawdb):
    """The probe: an operator copied contacts.yaml, gave themselves admin under a new version and ran
    pd privacy purge. Now that file is exit 7 naming it, nothing is purged or recorded."""
    n = pd.register(service="PAROLE")
    pd.ok("resolve", n, "--result", "Piekļuve atjaunota")
    pd.ok("close", n, "--confirmed")
    mine = Path(pd_env["PD_CONTACTS"]).with_name("mine.yaml")
    text = Path(pd_env["PD_CONTACTS"]).read_text(encoding="utf-8")
    text = text.replace('version: "2026.3"', 'version: "2026.3-mine"').replace(
        "roles: [operator], manager: pdvaditajs}\n  - {login: operators2", "roles: [operator, admin], "
        "manager: pdvaditajs}\n  - {login: operators2", 1)
    mine.write_text(text, encoding="utf-8")
    before = rawdb.execute("SELECT requester_name, status FROM request")
    for args in (["privacy", "purge", "--before", "2020-01-01"], ["list"]):
        r = pd(*args, env={"PD_CONTACTS": str(mine)})
        assert r.exit_code == 7, (args, r.stderr)
        assert str(mine) in r.stderr and "kontaktu versija '2026.3-mine' nav tā, kas spēkā žurnālā" in r.stderr
    r = pd("contacts", "publish", str(mine))
    assert r.exit_code == 6 and "Anna Bērziņa nedrīkst ieviest kontaktus" in r.stderr and "admin" in r.stderr
    r = pd("privacy", "purge", "--before", "2020-01-01")  # with the contacts in force: no admin
    assert r.exit_code == 6
    assert rawdb.execute("SELECT requester_name, status FROM request") == before
    assert [v for (v,) in rawdb.execute("SELECT version FROM config_snapshot WHERE kind = 'contacts'")] == ["2026.3"]
    assert settings_rows(pd_env["PD_DATABASE_URL"])["contacts"] == "2026.3"


def test_without_pd_catalog_and_pd_contacts_the_ledger_s_are_in_force(pd, pd_env):
    pd.register()
    path = Path(pd_env["PD_CATALOG"])
    path.write_text(path.read_text(encoding="utf-8").replace('version: "2026.2"', 'version: "2026.9"'),
                    encoding="utf-8")
    pd.ok("catalog", "publish", user="admins")
    # a caller with no files at all (the shipped ones are another version) works with the ledger's
    unset = {"PD_CATALOG": "", "PD_CONTACTS": ""}
    assert pd.ok("catalog", "list", "--json", env=unset).json()["version"] == "2026.9"
    d = pd.ok("config", "show", "--json", env=unset).json()
    assert (d["catalog"]["value"], d["catalog"]["set_by"], d["contacts"]["value"]) == ("2026.9", "admins", "2026.3")
    # the shipped file, named, is not in force
    r = pd("list", env={"PD_CATALOG": str(ROOT / "pd" / "examples" / "catalog.yaml")})
    assert r.exit_code == 7 and "kataloga versija '2026.2' nav tā, kas spēkā žurnālā" in r.stderr


def test_identity_mode_is_the_ledger_s_and_may_only_be_tightened(pd, pd_env):
    pd.register()
    assert settings_rows(pd_env["PD_DATABASE_URL"])["identity"] == "env"  # the first command's mode
    # only an admin sets it; an unknown mode is a usage error
    assert pd("config", "set", "identity", "os").exit_code == 6
    assert pd("config", "set", "identity", "xyz", user="admins").exit_code == 2
    # an admin who would not be an admin under the new mode is refused (nobody could set it back)
    r = pd("config", "set", "identity", "os", user="admins")
    assert r.exit_code == 6 and "identitātes režīmā 'os' jūs nebūtu neviens" in r.stderr
    assert settings_rows(pd_env["PD_DATABASE_URL"])["identity"] == "env"
    # a caller's stricter PD_IDENTITY is honoured: under os, PD_USER naming someone else is exit 6
    r = pd("list", env={"PD_IDENTITY": "os"})
    assert r.exit_code == 6 and "PD_USER='operators1' neatbilst jums" in r.stderr


def test_a_new_ledger_takes_the_first_commands_mode_and_a_looser_one_is_refused(pd, pd_env, tmp_path):
    """Bootstrap: the command that creates the ledger brings the files and the identity mode."""
    from pd.desk import os_login

    me = os_login()
    add_staff(Path(pd_env["PD_CONTACTS"]), me, "[admin, operator]")
    os_env = {"PD_IDENTITY": "os", "PD_USER": ""}
    pd.ok("init", env=os_env)
    assert settings_rows(pd_env["PD_DATABASE_URL"])["identity"] == "os"
    # the probe: PD_IDENTITY=env PD_USER=operators1 from the caller's environment
    for env in ({"PD_IDENTITY": "env", "PD_USER": "operators1"}, {"PD_USER": "operators1"}):
        r = pd(*REGISTER, env=env)
        assert r.exit_code == 6, r.stderr
    r = pd(*REGISTER, env={"PD_IDENTITY": "env", "PD_USER": "operators1"})
    assert "PD_IDENTITY=env ir vaļīgāks par žurnāla identitātes režīmu 'os'" in r.stderr
    n = pd.ok(*REGISTER, env={"PD_USER": ""}).json()["number"]  # the ledger's mode, no variable needed
    assert pd.ok("show", n, "--json", env={"PD_USER": ""}).json()["events"][0]["actor"] == me
    # the admin loosens it again, deliberately, and the event says who
    assert "(bija os)" in pd.ok("config", "set", "identity", "env", env=os_env).stdout
    assert pd("list", user="operators1").exit_code == 0


# ---------------------------------------------------------------- real operating-system accounts
def _as(user: str, *args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    entry = pwd.getpwnam(user)
    full = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": str(cwd), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(["setpriv", f"--reuid={entry.pw_uid}", f"--regid={entry.pw_gid}", "--init-groups", "--",
                           sys.executable, "-m", "pd", *args], capture_output=True, text=True, env=full, cwd=cwd,
                          timeout=120)


@pytest.fixture
def os_accounts(ledger_url):
    """Two unprivileged accounts (an admin and an operator) in a common group, and a directory they
    share (setgid, 2770) for the SQLite ledger; removed again after the test."""
    if os.geteuid() != 0:
        pytest.fail("this test creates operating-system accounts: run it as root")
    tag = uuid.uuid4().hex[:6]
    group, admin, operator = f"pdtg{tag}", f"pdta{tag}", f"pdto{tag}"
    shared = Path(f"/tmp/pd-trust-{tag}")
    created: list[str] = []
    try:
        subprocess.run(["groupadd", group], check=True)
        for user in (admin, operator):
            subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--gid", group, user],
                           check=True)
            created.append(user)
        shared.mkdir()
        os.chown(shared, 0, grp.getgrnam(group).gr_gid)
        shared.chmod(0o2770)
        for name in ("catalog.yaml", "contacts.yaml"):
            shutil.copy(ROOT / "pd" / "examples" / name, shared / name)
            (shared / name).chmod(0o644)
        add_staff(shared / "contacts.yaml", admin, "[admin]")
        add_staff(shared / "contacts.yaml", operator, "[operator]")
        url = ledger_url if PG_URL else f"sqlite:///{shared / 'ledger.sqlite3'}"
        yield {"admin": admin, "operator": operator, "dir": shared, "url": url}
    finally:
        shutil.rmtree(shared, ignore_errors=True)
        for user in created:
            subprocess.run(["userdel", user], check=False)
        subprocess.run(["groupdel", group], check=False, capture_output=True)


def test_an_unprivileged_os_account_cannot_be_anyone_else(os_accounts):
    acc = os_accounts
    shared: Path = acc["dir"]
    base = {"PD_DATABASE_URL": acc["url"], "PD_CATALOG": str(shared / "catalog.yaml"),
            "PD_CONTACTS": str(shared / "contacts.yaml")}
    admin, operator = acc["admin"], acc["operator"]

    def run(user, *args, **env):
        return _as(user, *args, env={**base, **env}, cwd=shared)

    r = run(admin, "init", PD_IDENTITY="os")  # the first init: its files and mode are the ledger's
    assert r.returncode == 0, r.stderr
    if not PG_URL:
        assert (shared / "ledger.sqlite3").stat().st_mode & 0o777 == 0o660
    # the operator acts as themselves, with no variable at all
    r = run(operator, *REGISTER)
    assert r.returncode == 0, r.stderr
    number = __import__("json").loads(r.stdout)["number"]
    # the probe: PD_IDENTITY=env PD_USER=operators1 in the caller's environment, and PD_USER alone
    for env in ({"PD_IDENTITY": "env", "PD_USER": "operators1"}, {"PD_USER": "operators1"},
                {"PD_IDENTITY": "env", "PD_USER": admin}):
        r = run(operator, "note", number, "--text", "Pārbaudu", **env)
        assert r.returncode == 6 and "Traceback" not in r.stderr, (env, r.stderr)
    # a copy of contacts.yaml that makes the operator admin under a new version
    mine = shared / f"{operator}-contacts.yaml"
    text = (shared / "contacts.yaml").read_text(encoding="utf-8").replace('version: "2026.3"', 'version: "2026.4"')
    mine.write_text(text.replace(staff_line(operator, "[operator]").strip("\n"),
                                 staff_line(operator, "[operator, admin]").strip("\n")), encoding="utf-8")
    mine.chmod(0o644)
    r = run(operator, "privacy", "purge", "--before", "2020-01-01", PD_CONTACTS=str(mine))
    assert r.returncode == 7 and str(mine) in r.stderr and "nav tā, kas spēkā žurnālā" in r.stderr, r.stderr
    for args in (["contacts", "publish", str(mine)], ["config", "set", "identity", "env"],
                 ["privacy", "purge", "--before", "2020-01-01"]):
        r = run(operator, *args)
        assert r.returncode == 6, (args, r.stderr)
    # the ledger is as the admin left it, and the history names the operator's own account
    d = run(admin, "config", "show", "--json")
    assert d.returncode == 0, d.stderr
    shown = __import__("json").loads(d.stdout)
    assert (shown["identity"]["value"], shown["contacts"]["value"], shown["identity"]["set_by"]) == \
        ("os", "2026.3", admin)
    events = __import__("json").loads(run(admin, "show", number, "--json").stdout)["events"]
    assert [e["actor"] for e in events] == [operator]
    r = run(admin, "audit", "verify")
    assert r.returncode == 0, r.stderr
    # the admin may publish that file (it is a valid contacts.yaml): then the operator is admin
    r = run(admin, "contacts", "publish", str(mine))
    assert r.returncode == 0 and "Spēkā kontaktu versija 2026.4 (bija 2026.3)" in r.stdout, r.stderr


# ---------------------------------------------------------------- PostgreSQL login roles
def test_database_roles_cannot_change_what_is_in_force(pd, pd_env):
    """PostgreSQL: the desk's login roles (pd_staff) may read the configuration in force but not
    change it, by pd or by SQL; an admin's role (pd_staff + pd_admin) publishes. SQLite has no
    roles: identity mode database is exit 7 there, and nothing is set."""
    if not PG_URL:
        pd.register()
        r = pd("config", "set", "identity", "database", user="admins")
        assert r.exit_code == 7 and "PostgreSQL" in r.stderr
        assert settings_rows(pd_env["PD_DATABASE_URL"])["identity"] == "env"
        return
    import psycopg2

    tag = uuid.uuid4().hex[:8]
    desk_role, admin_role = f"pdto_{tag}", f"pdta_{tag}"
    contacts = Path(pd_env["PD_CONTACTS"])
    add_staff(contacts, "pd", "[admin]")  # the owner's login (the test server's superuser) sets it up
    add_staff(contacts, desk_role, "[operator]")
    add_staff(contacts, admin_role, "[admin]")
    owner_url = pd_env["PD_DATABASE_URL"]
    pd.ok("init", env={"PD_IDENTITY": "database", "PD_USER": ""})
    for role in (desk_role, admin_role):
        pg_admin(PG_URL, f"CREATE ROLE {role} LOGIN")
    try:
        pg_admin(PG_URL, f"GRANT pd_staff TO {desk_role}")
        pg_admin(PG_URL, f"GRANT pd_staff TO {admin_role}")
        as_desk = {"PD_DATABASE_URL": owner_url.replace("://pd@", f"://{desk_role}@", 1), "PD_USER": ""}
        as_admin = {"PD_DATABASE_URL": owner_url.replace("://pd@", f"://{admin_role}@", 1), "PD_USER": ""}
        n = pd.ok(*REGISTER, env=as_desk).json()["number"]
        # the caller's environment cannot make the desk role anyone else
        for env in ({"PD_IDENTITY": "env", "PD_USER": "admins"}, {"PD_IDENTITY": "os"}, {"PD_USER": "admins"}):
            r = pd("privacy", "purge", "--before", "2020-01-01", env={**as_desk, **env})
            assert r.exit_code == 6, (env, r.stderr)
        # its own contacts copy making it admin: exit 7; publishing it: exit 6
        mine = contacts.with_name("mine.yaml")
        text = contacts.read_text(encoding="utf-8").replace('version: "2026.3"', 'version: "2026.4"')
        mine.write_text(text.replace(staff_line(desk_role, "[operator]").strip("\n"),
                                     staff_line(desk_role, "[admin]").strip("\n")), encoding="utf-8")
        r = pd("list", env={**as_desk, "PD_CONTACTS": str(mine)})
        assert r.exit_code == 7 and "nav tā, kas spēkā žurnālā" in r.stderr
        assert pd("contacts", "publish", str(mine), env=as_desk).exit_code == 6
        assert pd("config", "set", "identity", "env", env=as_desk).exit_code == 6
        # around pd, with SQL: the server refuses every change to what is in force
        con = psycopg2.connect(as_desk["PD_DATABASE_URL"])
        con.autocommit = True
        cur = con.cursor()
        for statement in ("UPDATE ledger_setting SET value = 'env' WHERE key = 'identity'",
                          "DELETE FROM ledger_setting",
                          "INSERT INTO ledger_setting (key, value, set_by, set_at) VALUES ('x', 'y', 'z', now())",
                          "UPDATE config_snapshot SET content = '{}'",
                          "DELETE FROM config_snapshot",
                          "INSERT INTO config_snapshot (kind, version, sha256, source, content, raw, seen_at) "
                          "VALUES ('contacts', '9', 'x', 'x', '{}', '', now())"):
            with pytest.raises(psycopg2.Error) as refused:
                cur.execute(statement)
            assert refused.value.pgcode == "42501", (statement, refused.value.pgerror)
        cur.execute("SELECT value FROM ledger_setting WHERE key = 'identity'")
        assert cur.fetchone()[0] == "database"
        con.close()
        # an admin in contacts whose login role lacks pd_admin: the server refuses, pd says what to grant
        r = pd("contacts", "publish", str(mine), env=as_admin)
        assert r.exit_code == 6 and "piešķiriet lomu pd_admin" in r.stderr, r.stderr
        assert settings_rows(owner_url)["contacts"] == "2026.3"
        # with pd_admin the admin's role publishes, and the event names it
        pg_admin(PG_URL, f"GRANT pd_admin TO {admin_role}")
        r = pd("contacts", "publish", str(mine), env=as_admin)
        assert r.exit_code == 0, r.stderr
        assert settings_rows(owner_url)["contacts"] == "2026.4"
        actors = RawDB(owner_url).execute("SELECT actor FROM event WHERE kind = 'config_in_force' ORDER BY id")
        assert [a for (a,) in actors] == ["pd", admin_role]
        # the desk (with no file of its own) now works under the published version
        assert pd.ok("show", n, "--json", env={**as_desk, "PD_CONTACTS": ""}).json()["events"][0]["actor"] == desk_role
    finally:
        from pd.db.connection import db

        if db.obj is not None and not db.obj.is_closed():
            db.obj.close()
        for role in (desk_role, admin_role):
            pg_admin(owner_url, f"DROP OWNED BY {role}")
            pg_admin(PG_URL, f"DROP ROLE {role}")


def test_a_long_running_intake_takes_up_a_version_published_meanwhile(pd, pd_env, tmp_path):
    """`pd mail fetch --watch` keeps one desk (ledger, contacts, catalog) between messages; when an
    admin publishes another version meanwhile, the next message is taken in under it."""
    from pd.config import load_settings
    from pd.intake import store
    from tests.conftest import run_pd, subprocess_env

    pd.register()
    settings = load_settings(dict(os.environ, PD_CATALOG="", PD_CONTACTS=""))  # the ledger's versions
    first = store._desk_for(settings)
    assert first.catalog.version == "2026.2" and store._desk_for(settings) is first
    new = tmp_path / "catalog-b.yaml"
    new.write_text(Path(pd_env["PD_CATALOG"]).read_text(encoding="utf-8")
                   .replace('version: "2026.2"', 'version: "2026.2-b"'), encoding="utf-8")
    r = run_pd("catalog", "publish", str(new), env=subprocess_env(pd_env, PD_USER="admins"))
    assert r.returncode == 0, r.stderr
    later = store._desk_for(settings)
    assert later is not first and later.catalog.version == "2026.2-b"
    store._forget(settings)


def test_a_catalog_and_contacts_that_need_each_other_are_published_together(pd, pd_env, tmp_path):
    """A new service served only by a new expert: neither file holds alone against the other in force;
    `pd catalog publish CAT --contacts CON` takes both in one transaction."""
    pd.register()
    cat, con = tmp_path / "cat.yaml", tmp_path / "con.yaml"
    cat.write_text(Path(pd_env["PD_CATALOG"]).read_text(encoding="utf-8")
                   .replace('version: "2026.2"', 'version: "2026.7"')
                   + '\n  - code: PLANSETE\n    name: "Planšetdators"\n    category: hardware\n'
                     '    experts: [jaunais]\n    times:\n'
                     '      normal: {calendar: darba-laiks, response: 4h, resolution: 24h}\n', encoding="utf-8")
    text = Path(pd_env["PD_CONTACTS"]).read_text(encoding="utf-8").replace('version: "2026.3"', 'version: "2026.7"')
    con.write_text(text.rstrip("\n") + '\n  - {login: jaunais, name: "Jauns Eksperts", email: jauns@ic.iem.gov.lv, '
                   'roles: [expert], manager: vkalejs, services: [PLANSETE]}\n', encoding="utf-8")
    r = pd("catalog", "publish", str(cat), user="admins")
    assert r.exit_code == 7 and "noklusētā eksperta 'jaunais' nav kontaktos" in r.stderr
    r = pd("contacts", "publish", str(con), user="admins")
    assert r.exit_code == 7 and "nezināms pakalpojums 'PLANSETE'" in r.stderr
    assert settings_rows(pd_env["PD_DATABASE_URL"]) == {"identity": "env", "catalog": "2026.2", "contacts": "2026.3"}
    out = pd.ok("catalog", "publish", str(cat), "--contacts", str(con), user="admins").stdout
    assert "Spēkā kataloga versija 2026.7 (bija 2026.2)" in out and "Spēkā kontaktu versija 2026.7" in out
    assert settings_rows(pd_env["PD_DATABASE_URL"]) == {"identity": "env", "catalog": "2026.7", "contacts": "2026.7"}
    unset = {"PD_CATALOG": "", "PD_CONTACTS": ""}
    n = pd.ok("register", "--json", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "PLANSETE",
              "--description", "Planšete neieslēdzas", "--channel", "phone", "--phone", "26123456",
              env=unset).json()["number"]
    pd.ok("assign", n, "--expert", "jaunais", env=unset)
