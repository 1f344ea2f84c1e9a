"""Backups, restores and personal data (SPEC 12, GDPR; docs/postgres.md for PostgreSQL).

`pd db backup|restore` work on an SQLite ledger (the online backup API); on PostgreSQL they refuse with exit 7
and name pg_dump, as documented.  Purge and export work on both backends.
"""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from tests.conftest import run_pd, subprocess_env

PG = os.environ.get("PD_TEST_DATABASE_URL")

WRITER = r"""
import contextlib, io, json, os, sys, time
count, pause = int(sys.argv[1]), float(sys.argv[2])
import typer.main
from pd.cli import app
cli = typer.main.get_command(app)
for i in range(count):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = cli.main(["register", "--json", "--name", "Rakstītājs", "--institution", "VP", "--service", "EPASTS",
                         "--description", "Pieteikums rezerves kopijas laikā %d" % i, "--channel", "email"],
                        prog_name="pd", standalone_mode=False)
    if code not in (None, 0):
        print("EXIT", code, flush=True)
        sys.exit(code)
    print(json.loads(buf.getvalue())["number"], flush=True)
    time.sleep(pause)
"""


_env = subprocess_env


def _numbers(url: str, env: dict) -> list[str]:
    r = run_pd("list", "--json", env={**env, "PD_DATABASE_URL": url})
    assert r.returncode == 0, r.stderr
    return [x["number"] for x in json.loads(r.stdout)]


def _no_world_bits(path) -> None:
    mode = stat.S_IMODE(os.stat(path).st_mode)
    assert mode & 0o007 == 0, f"{path} has mode {oct(mode)}"


# --------------------------------------------------------------------------------------------- backup / restore
def test_backup_while_another_process_registers(pd, pd_env, tmp_path):
    pd.ok("init")
    env = _env(pd_env, PD_USER="admins")
    target = tmp_path / "backup" / "ledger-copy.sqlite3"
    target.parent.mkdir()
    if PG:
        r = run_pd("db", "backup", str(target), env=env)
        assert r.returncode == 7, r.stderr
        assert "pg_dump" in r.stderr and "Traceback" not in r.stderr
        assert not target.exists()
        return
    writer = subprocess.Popen([sys.executable, "-c", WRITER, "20", "0.05"], env=_env(pd_env), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    written = [writer.stdout.readline().strip() for _ in range(3)]  # it is under way
    r = run_pd("db", "backup", str(target), "--json", env=env)
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    written += out.split()
    assert r.returncode == 0, r.stderr
    assert len(written) == 20 and not any(w.startswith("EXIT") for w in written)
    _no_world_bits(target)
    # the copy is a ledger of its own: it opens, its audit trail verifies, its numbers are gap-free
    url = f"sqlite:///{target}"
    verify = run_pd("audit", "verify", "--json", env={**env, "PD_DATABASE_URL": url})
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["ok"] is True
    in_copy = _numbers(url, env)
    year = in_copy[0][:4]
    assert in_copy == [f"{year}-{i:06d}" for i in range(1, len(in_copy) + 1)]
    assert 3 <= len(in_copy) <= 20
    print(f"backup taken after {len(in_copy)} of 20 registrations")
    # the live ledger lost nothing
    assert _numbers(pd_env["PD_DATABASE_URL"], env) == sorted(written)


def test_backup_never_overwrites(pd, pd_env, tmp_path):
    pd.ok("init")
    target = tmp_path / "exists.sqlite3"
    target.write_bytes(b"keep me")
    r = pd("db", "backup", str(target), user="admins")
    assert r.exit_code == (7 if PG else 3), r.stderr
    assert target.read_bytes() == b"keep me"
    assert pd("db", "backup", str(tmp_path / "new.sqlite3"), user="operators1").exit_code == 6


def _restore_on_a_terminal(env: dict, backup, answer: str) -> tuple[int, str]:
    """pd db restore FILE with a person at a real pseudo-terminal who answers `answer` to its question."""
    import pty
    import select

    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "pd", "db", "restore", str(backup)], stdin=slave, stdout=slave,
                         stderr=slave, env=env)
    os.close(slave)
    seen = b""
    answered = False
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: pd has exited
            break
        if not data:
            break
        seen += data
        if not answered and b"[j/n]" in seen:
            os.write(master, answer.encode() + b"\n")
            answered = True
    p.wait(timeout=60)
    os.close(master)
    return p.returncode, seen.decode("utf-8", "replace")


def test_restore_of_an_older_backup_names_the_numbers_issued_again_and_asks(pd, pd_env, tmp_path):
    """Failed before: a restore said nothing of the numbers it would issue again, and --yes was the only way."""
    pd.ok("init")
    env = _env(pd_env, PD_USER="admins")
    first = [pd.register(), pd.register()]
    backup = tmp_path / "before.sqlite3"
    if PG:  # pg_restore's job: refused before anything is asked or changed
        backup.write_bytes(b"")
        r = run_pd("db", "restore", str(backup), "--yes", env=env)
        assert r.returncode == 7 and "pg_restore" in r.stderr and "issued again" not in r.stderr
        assert _numbers(pd_env["PD_DATABASE_URL"], env) == first
        return
    assert run_pd("db", "backup", str(backup), env=env).returncode == 0
    later = [pd.register() for _ in range(3)]
    # a script without --yes: exit 2, and it is told what a restore would issue again
    r = run_pd("db", "restore", str(backup), env={**env, "PD_LANG": "en"})
    assert r.returncode == 2, r.stderr
    assert f"3 registration numbers already issued will be issued again to other requests: {later[0]}…{later[-1]}" \
        in r.stderr
    # a person at the terminal is asked; "nē" keeps everything
    code, screen = _restore_on_a_terminal(env, backup, "nē")
    assert code == 2, screen
    assert f"{later[0]}…{later[-1]}" in screen and "Nekas netika atjaunots" in screen
    assert _numbers(pd_env["PD_DATABASE_URL"], env) == first + later
    # "jā" restores
    code, screen = _restore_on_a_terminal(env, backup, "jā")
    assert code == 0, screen
    assert _numbers(pd_env["PD_DATABASE_URL"], env) == first
    # --yes: a script says yes; it is told the same, and the JSON lists them (none now: it is the backup)
    r = run_pd("db", "restore", str(backup), "--yes", "--json", env=env)
    assert r.returncode == 0 and json.loads(r.stdout)["reissued"] == []


def test_restore_needs_yes_and_brings_the_backup_back(pd, pd_env, tmp_path):
    pd.ok("init")
    env = _env(pd_env, PD_USER="admins")
    first = [pd.register(), pd.register()]
    backup = tmp_path / "before.sqlite3"
    if PG:
        backup.write_bytes(b"")  # the argument must name an existing file
        r = run_pd("db", "restore", str(backup), env=env)
        assert r.returncode == 2, r.stderr
        r = run_pd("db", "restore", str(backup), "--yes", env=env)
        assert r.returncode == 7 and "pg_dump" in r.stderr and "pg_restore" in r.stderr, r.stderr
        assert [x["number"] for x in pd.ok("list", "--json").json()] == first
        return
    assert run_pd("db", "backup", str(backup), env=env).returncode == 0
    later = [pd.register() for _ in range(3)]
    no = run_pd("db", "restore", str(backup), env=env)
    assert no.returncode == 2 and "--yes" in no.stderr
    assert _numbers(pd_env["PD_DATABASE_URL"], env) == first + later
    assert run_pd("db", "restore", str(backup), "--yes", env={**env, "PD_USER": "operators1"}).returncode == 6
    r = run_pd("db", "restore", str(backup), "--yes", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["audit"]["ok"] is True
    assert _numbers(pd_env["PD_DATABASE_URL"], env) == first
    assert run_pd("audit", "verify", env=env).returncode == 0
    # numbering continues from the backup, gap-free
    assert pd.register() == first[0][:5] + "000003"
    not_a_ledger = tmp_path / "not-a-ledger.sqlite3"
    not_a_ledger.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    bad = run_pd("db", "restore", str(not_a_ledger), "--yes", env=env)
    assert bad.returncode == 3, bad.stderr
    assert _numbers(pd_env["PD_DATABASE_URL"], env) == first + [first[0][:5] + "000003"]


# --------------------------------------------------------------------------------------------- purge
PERSONAL = {"name": "Kārlis Ozoliņš", "phone": "+37129111222", "email": "karlis.ozolins@vp.gov.lv",
            "location": "Čiekurkalna 1. līnija 1", "room": "214", "username": "kozolins", "position": "inspektors",
            "unit": "Rīgas reģiona pārvalde"}
STATISTICS = ("number", "status", "service", "channel", "urgent", "received_at", "registered_at", "resolved_at",
              "closed_at", "accepted_at", "response_due", "resolution_due", "expert", "catalog_version")


def _personal(**extra):
    fields = {k: v for k, v in PERSONAL.items()}
    fields.update(extra)
    return fields


def _stats(d: dict) -> dict:
    out = {k: d[k] for k in STATISTICS}
    out["institution"] = d["requester"]["institution"]
    out["unit"] = d["requester"]["unit"]
    out["events"] = [(e["kind"], e["from"], e["to"], e["at"]) for e in d["events"]]
    out["escalations"] = d["escalations"]
    return out


def test_purge_anonymises_closed_requests_before_the_date_only(pd, clock, monkeypatch):
    clock.set("2025-03-03T10:00")
    pd.ok("init")
    old_closed = pd.register(service="DATORS", **_personal())
    pd.ok("assign", old_closed, "--expert", "rkrumins")
    pd.ok("accept", old_closed, user="rkrumins")
    pd.ok("resolve", old_closed, "--result", "Nomainīts barošanas bloks", user="rkrumins")
    pd.ok("close", old_closed, "--confirmed")
    old_refused = pd.register(out_of_scope=True, reason="Iestādes sistēma", **_personal(email="anna.liepa@vp.gov.lv"))
    old_open = pd.register(service="DATORS", **_personal(email="open.one@vp.gov.lv"))
    pd.ok("assign", old_open, "--expert", "rkrumins")
    old_resolved = pd.register(service="PAROLE", **_personal(email="resolved.one@vp.gov.lv"))
    pd.ok("resolve", old_resolved, "--result", "Atiestatīta")  # resolved, not closed: not purged
    clock.set("2026-06-01T10:00")
    new_closed = pd.register(service="PAROLE", **_personal(email="new.one@vp.gov.lv"))
    pd.ok("resolve", new_closed, "--result", "Atiestatīta")
    pd.ok("close", new_closed, "--confirmed")
    clock.now = None
    everyone = [old_closed, old_refused, old_open, old_resolved, new_closed]
    before = {n: pd.ok("show", n, "--json").json() for n in everyone}
    # these requests are young: a short retention lets 2026-01-01 be past it (longer is refused, issue 18)
    monkeypatch.setenv("PD_RETENTION_DAYS", "300")
    assert pd("privacy", "purge", "--before", "2026-01-01").exit_code == 6  # operators may not
    assert pd("privacy", "purge", "--before", "2026-01-01", user="supervizors").exit_code == 6
    dry = pd.ok("privacy", "purge", "--before", "2026-01-01", "--dry-run", "--json", user="admins").json()
    assert sorted(dry["numbers"]) == sorted([old_closed, old_refused])
    assert {n: pd.ok("show", n, "--json").json()["requester"] for n in everyone} == \
        {n: before[n]["requester"] for n in everyone}

    done = pd.ok("privacy", "purge", "--before", "2026-01-01", "--json", user="admins").json()
    assert done["requests"] == 2 and sorted(done["numbers"]) == sorted([old_closed, old_refused])
    after = {n: pd.ok("show", n, "--json").json() for n in everyone}
    for n in (old_closed, old_refused):
        req = after[n]["requester"]
        assert req["name"] != PERSONAL["name"] and PERSONAL["name"] not in json.dumps(after[n], ensure_ascii=False)
        for key in ("phone", "email", "location", "room", "username", "position"):
            assert req[key] in ("", None), (n, key, req[key])
        # the monthly statistics keep what they count
        assert _stats(after[n])["events"] == _stats(before[n])["events"]
        assert {k: v for k, v in _stats(after[n]).items() if k != "events"} == \
            {k: v for k, v in _stats(before[n]).items() if k != "events"}
    for n in (old_open, old_resolved, new_closed):
        assert after[n]["requester"] == before[n]["requester"], n
        assert _stats(after[n]) == _stats(before[n])
    verify = pd.ok("audit", "verify", "--json").json()
    assert verify["ok"] is True
    events = pd.ok("show", old_closed, "--json").json()["events"]
    assert all(PERSONAL["email"] not in json.dumps(e, ensure_ascii=False) for e in events)
    # a second purge has nothing left to do
    again = pd.ok("privacy", "purge", "--before", "2026-01-01", "--json", user="admins").json()
    assert again["requests"] == 0 and again["numbers"] == []
    assert pd.ok("audit", "verify", "--json").json()["ok"] is True


def test_purge_leaves_the_monthly_report_counts_unchanged(pd, clock):
    clock.set("2025-03-03T10:00")
    pd.ok("init")
    for i in range(3):
        n = pd.register(service="PAROLE", **_personal(email=f"p{i}@vp.gov.lv"))
        pd.ok("resolve", n, "--result", "Atiestatīta")
        pd.ok("close", n, "--confirmed")
    clock.now = None
    report = pd("report", "monthly", "--month", "2025-03", "--format", "json", "--out", "r1", user="supervizors")
    if report.exit_code != 0:
        pytest.fail(f"pd report monthly --format json: {report.stderr}")
    before = _report_counts("r1")
    pd.ok("privacy", "purge", "--before", "2026-01-01", user="admins", env={"PD_RETENTION_DAYS": "300"})
    pd.ok("report", "monthly", "--month", "2025-03", "--format", "json", "--out", "r2", user="supervizors")
    assert _report_counts("r2") == before


def _report_counts(out_dir: str) -> dict:
    """The numbers of each JSON report file (every value but names and contacts)."""
    from pathlib import Path

    found = {}
    for path in sorted(Path(out_dir).rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[path.name] = _numbers_in(data)
    assert found, f"no JSON report in {out_dir}"
    return found


def _numbers_in(data):
    if isinstance(data, dict):
        # the personal fields go (that is the point) and so does the fingerprint of the content they were in;
        # the audit anchor witnesses the event log, which the purge itself extends
        return {k: _numbers_in(v) for k, v in data.items()
                if not k.startswith("requester") and k not in ("fingerprint", "generated_at", "audit_anchor")}
    if isinstance(data, list):
        return [_numbers_in(v) for v in data]
    return data


# --------------------------------------------------------------------------------------------- export
def test_export_returns_the_persons_requests_events_and_mail_and_nothing_of_another(pd, pd_env):
    pd.ok("init")
    mine = [pd.register(name="Ilze Šķēle", email="ilze.skele@vp.gov.lv", phone="26123456"),
            pd.register(name="Ilze Šķēle", email="ilze.skele@vp.gov.lv", service="PAROLE")]
    theirs = pd.register(name="Guntis Āboliņš", email="guntis.abolins@vp.gov.lv", phone="29876543",
                         description="Guntis slepenais apraksts")
    pd.ok("assign", mine[0], "--expert", "jberzins")
    pd.ok("resolve", mine[1], "--result", "Atiestatīta")
    pd.ok("assign", theirs, "--expert", "jberzins")
    pd.ok("mail", "send", user="system", env={"PD_MAIL_DIR": "mail"})

    assert pd("privacy", "export", "--email", "ilze.skele@vp.gov.lv").exit_code == 6  # an operator may not
    r = pd.ok("privacy", "export", "--email", "ilze.skele@vp.gov.lv", user="admins")
    data = json.loads(r.stdout)
    assert sorted(x["number"] for x in data["requests"]) == sorted(mine)
    for x in data["requests"]:
        assert x["requester"]["email"] == "ilze.skele@vp.gov.lv"
        assert x["events"] and x["events"][0]["kind"] == "registered"
    kinds = sorted(m["kind"] for m in data["messages"])
    assert "forwarded_user" in kinds and "resolved_user" in kinds
    assert all("ilze.skele@vp.gov.lv" in m["recipients"] for m in data["messages"])
    assert all(m["request"] in mine for m in data["messages"])
    text = r.stdout
    for other in ("Guntis", "Āboliņš", "guntis.abolins", "29876543", theirs, "slepenais", "janis.berzins@ic"):
        assert other not in text, f"the export leaks {other!r}"
    # a supervisor may export too; an address nobody used gives an empty export, not an error
    empty = json.loads(pd.ok("privacy", "export", "--email", "nav.neviena@vp.gov.lv", user="supervizors").stdout)
    assert empty["requests"] == [] and empty["messages"] == []
    assert pd("privacy", "export", "--email", "not-an-address", user="admins").exit_code == 3


# --------------------------------------------------------------------------------------------- file permissions
def test_a_new_ledger_file_is_not_world_readable(pd, pd_env, tmp_path):
    if PG:
        # On PostgreSQL the server keeps the data: pd creates no file and has nothing to warn about.
        pd.ok("init")
        info = pd.ok("info", "--json").json()
        assert info["warnings"] == []
        assert info["database"].startswith("postgresql://")
        return
    # even under a careless umask (a cron job with umask 0)
    fresh = tmp_path / "deploy" / "ledger.sqlite3"
    env = _env(pd_env, PD_DATABASE_URL=f"sqlite:///{fresh}")
    r = subprocess.run([sys.executable, "-m", "pd", "init"], env=env, capture_output=True, text=True,
                       preexec_fn=lambda: os.umask(0), timeout=60)
    assert r.returncode == 0, r.stderr
    _no_world_bits(fresh)
    r = subprocess.run([sys.executable, "-c", WRITER, "2", "0"], env=env, capture_output=True, text=True,
                       preexec_fn=lambda: os.umask(0), timeout=60)
    assert r.returncode == 0, r.stderr
    for suffix in ("", "-wal", "-shm"):
        p = fresh.with_name(fresh.name + suffix)
        if p.exists():
            _no_world_bits(p)
    quiet = run_pd("info", env=env)
    assert quiet.returncode == 0 and "Brīdinājums" not in quiet.stderr
    assert json.loads(run_pd("info", "--json", env=env).stdout)["warnings"] == []
    os.chmod(fresh, stat.S_IMODE(os.stat(fresh).st_mode) | stat.S_IROTH)
    warned = run_pd("info", env=env)
    assert warned.returncode == 0
    assert "Brīdinājums" in warned.stderr and "var lasīt ikviens" in warned.stderr and str(fresh) in warned.stderr
    assert json.loads(run_pd("info", "--json", env=env).stdout)["warnings"]


def test_export_finds_the_person_whatever_the_case_of_the_address(pd):
    pd.ok("init")
    n = pd.register(name="Ilze Šķēle", email="Ilze.Skele@VP.gov.lv")
    data = json.loads(pd.ok("privacy", "export", "--email", "ilze.skele@vp.gov.lv", user="admins").stdout)
    assert [x["number"] for x in data["requests"]] == [n]
