"""pd doctor (SPEC 16): one line per check, exit 0 when all is well and 7 when something needs an
admin; each check fails once here, and all pass on a fresh ledger."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import subprocess_env

CHECKS = ["configuration", "schema", "ledger", "outbox", "mailbox", "jobs", "calendar", "files"]


def doctor(pd, **kw) -> tuple[int, dict]:
    r = pd("doctor", "--json", **kw)
    assert r.exit_code in (0, 7), r.stderr
    d = r.json()
    assert [c["name"] for c in d["checks"]] == CHECKS and set(d) == {"ok", "checks"}
    assert d["ok"] == (r.exit_code == 0)
    return r.exit_code, {c["name"]: (c["status"], c["detail"]) for c in d["checks"]}


def problems(checks: dict) -> list[str]:
    return [name for name, (status, _) in checks.items() if status == "problem"]


@pytest.fixture
def now(clock):
    """The ledger's clock, starting at the real time (the ledger is born then)."""
    clock.now = datetime.now(timezone.utc)
    return clock


@pytest.fixture
def well(pd, clock, tmp_path):
    """A ledger whose cron jobs have just run, on 1 March 2027 (next year's transfers not due yet):
    every check passes."""
    clock.set("2027-03-01T10:00")
    pd.ok("init")
    (tmp_path / "mail").mkdir()
    pd.ok("escalate-overdue", user="system")
    pd.ok("close", "--auto", user="system")
    pd.ok("mail", "send", user="system", env={"PD_MAIL_DIR": str(tmp_path / "mail")})
    code, checks = doctor(pd)
    assert code == 0 and problems(checks) == [], checks
    return clock


# ------------------------------------------------------------------ all well
def test_all_pass_on_a_fresh_ledger_under_faketime(pd_env, tmp_path):
    """A real process whose clock (faketime) says 1 March 2027: the ledger is new, the cron jobs
    have not had to run yet, and next year's transfers are not due before July."""
    if shutil.which("faketime") is None:
        pytest.fail("faketime is needed (Debian: apt-get install faketime); scripts/test installs it as root")
    env = subprocess_env(pd_env)

    def run(at: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["faketime", at, sys.executable, "-m", "pd", *args],
                              capture_output=True, text=True, env=env, timeout=120)

    assert run("2027-03-01 08:00:00", "init").returncode == 0
    r = run("2027-03-01 08:03:00", "doctor")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 8 and all(line.startswith("✓ ") for line in lines), r.stdout
    assert lines[1].split() == ["✓", "shēma:", "versija", "8,", "jaunākā"]
    assert "escalate-overdue vēl nav darbojies (žurnāls ir jauns)" in lines[5]
    assert lines[6].endswith("nākamā gada pārcelšanu pārbauda no 1. jūlija")
    r = run("2027-03-01 08:03:00", "doctor", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["ok"] is True
    en = subprocess.run(["faketime", "2027-03-01 08:03:00", sys.executable, "-m", "pd", "doctor"],
                        capture_output=True, text=True, env={**env, "PD_LANG": "en"}, timeout=120)
    assert en.returncode == 0 and "✓ schema:" in en.stdout and "ā" not in en.stdout


# ------------------------------------------------------------------ each check failing once
def test_configuration(pd):
    pd.ok("init")
    code, checks = doctor(pd, env={"PD_LANG": "xx"})
    assert code == 7 and checks["configuration"] == ("problem", "PD_LANG: 'xx' is not one of lv, en")
    assert {name for name, (s, _) in checks.items() if s == "skipped"} == set(CHECKS[1:])
    r = pd("doctor", env={"PD_LANG": "xx"})
    assert r.exit_code == 7 and r.stderr == "Kļūda: 1 pārbaudei vajadzīgs administrators: konfigurācija\n"
    assert r.stdout.startswith("✗ konfigurācija:")


def test_configuration_broken_reference(pd, pd_env):
    pd.ok("init")
    path = pd_env["PD_CONTACTS"]
    text = open(path, encoding="utf-8").read()
    open(path, "w", encoding="utf-8").write(text.replace("login: jberzins,", "login: jberzins2,", 1))
    code, checks = doctor(pd)
    assert code == 7 and checks["configuration"][0] == "problem" and "jberzins" in checks["configuration"][1]


def test_configuration_changed_without_a_new_version(pd, pd_env):
    pd.ok("init")
    path = pd_env["PD_CATALOG"]
    with open(path, "a", encoding="utf-8") as f:
        f.write("# edited\n")
    code, checks = doctor(pd)
    assert code == 7 and "changed but its version is still" in checks["configuration"][1]


def test_schema_missing(pd):
    code, checks = doctor(pd)
    assert code == 7 and checks["schema"][0] == "problem" and "pd init" in checks["schema"][1]
    assert checks["ledger"] == ("skipped", "not checked: there is no ledger yet")


def test_schema_old(pd, rawdb, well):
    rawdb.execute("DELETE FROM schema_version WHERE version = 8")
    code, checks = doctor(pd)
    assert problems(checks) == ["schema"]
    assert checks["schema"][1] == "version 7, pd needs 8: an admin runs pd db upgrade"
    pd.ok("db", "upgrade")
    assert doctor(pd)[1]["schema"] == ("ok", "version 8, the latest")


def test_ledger_integrity(pd, rawdb, well):
    pd.register()
    assert doctor(pd)[1]["ledger"][0] == "ok"
    rawdb.execute("UPDATE event SET actor = 'operators2' WHERE id = 1")
    code, checks = doctor(pd)
    assert code == 7 and problems(checks) == ["ledger"]
    assert checks["ledger"][1].startswith("event 1: its content does not match its hash")


def test_outbox_failed_and_stuck(pd, rawdb, well):
    now = well
    n = pd.register(email="janis.berzins@vp.gov.lv")
    pd.ok("assign", n, "--expert", "jberzins")
    checks = doctor(pd)[1]
    assert checks["outbox"][0] == "ok" and checks["outbox"][1].startswith("2 waiting")
    now.advance(minutes=16)  # nobody ran pd mail send
    code, checks = doctor(pd)
    assert code == 7 and "outbox" in problems(checks)
    assert checks["outbox"][1] == "2 due for more than 15 min and not sent: is pd mail send running?"
    rawdb.execute("UPDATE outbox_message SET status = 'failed' WHERE id = 1")
    checks = doctor(pd)[1]
    assert checks["outbox"][1].startswith("1 failed for good (pd mail list --failed")


def test_mailbox(pd, rawdb, now):
    pd.ok("init")
    imap = {"PD_IMAP_URL": "imaps://desk:secret@mail.example.lv/INBOX"}
    code, checks = doctor(pd, env=imap)
    assert code == 7 and checks["mailbox"] == (
        "problem", "desk@mail.example.lv:993/INBOX has never been fetched: is pd mail fetch running?")
    at = now.now - timedelta(minutes=5)
    rawdb.execute("INSERT INTO imap_mailbox (mailbox, uidvalidity, last_uid, last_fetch_at, fetched, "
                  "uidvalidity_changes) VALUES (?, 1, 0, ?, 0, 0)", "desk@mail.example.lv:993/INBOX",
                  at.replace(tzinfo=None))
    checks = doctor(pd, env=imap)[1]
    assert checks["mailbox"][0] == "ok" and checks["mailbox"][1].startswith("last fetched ")
    now.advance(minutes=30)
    checks = doctor(pd, env=imap)[1]
    assert checks["mailbox"][0] == "problem" and "more than 30 min ago" in checks["mailbox"][1]
    assert doctor(pd)[1]["mailbox"] == ("ok", "not configured (PD_IMAP_URL)")


def test_cron_jobs(pd, now, tmp_path):
    pd.ok("init")
    now.advance(hours=1)  # close --auto (daily) may still be on its way; the others are late
    code, checks = doctor(pd)
    assert code == 7 and "jobs" in problems(checks)
    assert checks["jobs"][1] == ("escalate-overdue has never run: is its cron line or systemd timer installed?; "
                                 "mail send has never run: is its cron line or systemd timer installed?")
    now.set("2027-03-01T10:00")  # months later (next year's transfers not due yet)
    checks = doctor(pd)[1]
    assert checks["jobs"][1].count("has never run") == 3
    pd.ok("escalate-overdue", user="system")
    pd.ok("escalate-overdue", "--dry-run", user="system")  # a dry run is not a run
    pd.ok("close", "--auto", user="system")
    pd.ok("assign", pd.register(), "--expert", "jberzins")  # mail to send
    assert pd("mail", "send", user="system").exit_code == 7  # no transport: the run failed
    checks = doctor(pd)[1]
    assert checks["jobs"][0] == "problem"
    assert checks["jobs"][1].startswith("mail send failed in its last run at ")
    assert checks["jobs"][1].endswith(": pasta sūtīšana nav iestatīta: norādiet PD_SMTP_URL (vai PD_MAIL_DIR, lai rakstītu .eml failus)")
    (tmp_path / "mail").mkdir()
    pd.ok("mail", "send", user="system", env={"PD_MAIL_DIR": str(tmp_path / "mail")})
    code, checks = doctor(pd)
    assert code == 0 and checks["jobs"][1].startswith("escalate-overdue ")
    now.advance(minutes=10)
    checks = doctor(pd)[1]
    assert checks["jobs"][0] == "problem" and checks["jobs"][1].startswith("mail send last ran cleanly ")
    assert "more than 5 min ago" in checks["jobs"][1] and "escalate-overdue" not in checks["jobs"][1]


def test_next_years_transfers_from_1_july(pd, pd_env, clock):
    clock.set("2026-06-30T12:00")
    pd.ok("init")
    checks = doctor(pd)[1]
    assert checks["calendar"] == ("ok", "next year's transfers are checked from 1 July")
    clock.set("2026-07-01T09:00")
    code, checks = doctor(pd)
    assert checks["calendar"][0] == "problem" and code == 7
    assert checks["calendar"][1].startswith("darba-laiks: no transferred working day is known for 2027")
    assert "if it has ordered none, add 2027 to the calendar's transfers_checked" in checks["calendar"][1]
    path = pd_env["PD_CATALOG"]
    original = open(path, encoding="utf-8").read()
    # the admin has checked: the Cabinet ordered none for 2027
    open(path, "w", encoding="utf-8").write(original.replace('version: "2026.2"', 'version: "2026.8"', 1).replace(
        "    working_days: []", "    working_days: []\n    transfers_checked: [2027]", 1))
    assert doctor(pd)[1]["calendar"] == ("ok", "darba-laiks: the transfers of 2027 are checked (transfers_checked)")
    # ... or it ordered one
    open(path, "w", encoding="utf-8").write(original.replace('version: "2026.2"', 'version: "2026.9"', 1).replace(
        "    working_days: []", "    working_days:\n      - {date: 2027-05-08, name: \"Pārceltā darba diena\"}", 1))
    checks = doctor(pd)[1]
    assert checks["calendar"] == ("ok", "darba-laiks: 1 transferred day known in 2027")


def test_transfers_checked_is_a_list_of_years(pd, pd_env):
    path = pd_env["PD_CATALOG"]
    text = open(path, encoding="utf-8").read()
    open(path, "w", encoding="utf-8").write(text.replace("    working_days: []", "    working_days: []\n"
                                                         "    transfers_checked: 2027", 1))
    r = pd("catalog", "check")
    assert r.exit_code == 7 and "transfers_checked: jābūt gadu sarakstam, piemēram, [2027], bet ir 2027" in r.stderr


def test_schema_unreadable(pd, tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a ledger " * 500)
    code, checks = doctor(pd, env={"PD_DATABASE_URL": f"sqlite:///{junk}"})
    assert code == 7 and checks["schema"][0] == "problem"
    assert checks["schema"][1].startswith(f"cannot open the ledger sqlite:///{junk}: ")
    assert checks["ledger"][0] == "skipped"


def test_file_modes(pd, pd_env, tmp_path, well):
    from pd.db.connection import sqlite_path

    ledger = sqlite_path(pd_env["PD_DATABASE_URL"])
    env_file = tmp_path / "xdg-config" / "pd" / "pd.env"
    env_file.parent.mkdir(parents=True)
    env_file.write_text("PD_TIMEZONE=Europe/Riga\n", encoding="utf-8")
    os.chmod(env_file, 0o600)
    if ledger is not None:
        assert doctor(pd)[1]["files"] == ("ok", f"{ledger}, {env_file}: not readable by others")
        os.chmod(ledger, 0o644)
    os.chmod(env_file, 0o644)
    code, checks = doctor(pd)
    assert code == 7 and problems(checks) == ["files"]
    assert f"{env_file} is readable by everyone (mode 0644): chmod o-rwx {env_file}" in checks["files"][1]
    if ledger is not None:
        assert f"{ledger} is readable by everyone (mode 0644)" in checks["files"][1]
