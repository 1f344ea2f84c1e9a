"""`pd mail ingest` as an MTA runs it: bytes on stdin of a real `pd` process, exit 0 only once
stored, 75 when it cannot store now; duplicates, races, and the quarantine."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests import intake_mail as M
from tests.conftest import subprocess_env


def pd_ingest(env: dict, raw: bytes, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pd", "mail", "ingest", *args], input=raw, capture_output=True,
                          env=env, timeout=timeout)


def count(rawdb, table: str) -> int:
    return rawdb.execute(f"SELECT count(*) FROM {table}")[0][0]


def test_stdin_bytes_through_the_real_entry_point_then_the_same_mail_again(pd_env, rawdb):
    env = subprocess_env(pd_env, PD_USER="system")
    raw = M.undeclared_cp1257(body="Ņēmējs nesaņem ziņojumus.\n", subject="Pasts — Ķekava")
    r = pd_ingest(env, raw, "--json")
    assert r.returncode == 0, r.stderr
    first = json.loads(r.stdout)
    assert first["action"] == "new" and first["intake"] == 1
    r = pd_ingest(env, raw, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["action"] == "duplicate"
    # the same Message-ID with other bytes (a relay added a header) is the same message
    r = pd_ingest(env, b"X-Relayed: yes\r\n" + raw, "--json")
    assert json.loads(r.stdout)["action"] == "duplicate"
    assert count(rawdb, "inbound_message") == 1 and count(rawdb, "intake_item") == 1
    subject = rawdb.execute("SELECT subject FROM inbound_message")[0][0]
    assert subject == "Pasts — Ķekava"
    # a file argument as well as stdin
    path = Path(pd_env["PD_CATALOG"]).parent / "m.eml"
    path.write_bytes(M.plain(subject="no faila"))
    r = pd_ingest(env, b"", str(path))
    assert r.returncode == 0 and r.stdout.decode().startswith("new intake item 2")


def test_exit_75_when_the_ledger_is_locked_past_its_timeout_and_nothing_is_stored(pd, pd_env, rawdb):
    pd.register()  # the ledger exists
    env = subprocess_env(pd_env, PD_USER="system", PD_BUSY_TIMEOUT="0.5")
    with rawdb.write_lock():
        r = pd_ingest(env, M.plain(subject="kamēr aizņemts"))
    assert r.returncode == 75, (r.returncode, r.stderr)
    err = r.stderr.decode()
    assert err.startswith("Error: ") and "busy" in err and "Traceback" not in err
    assert count(rawdb, "inbound_message") == 0
    # the MTA's retry later succeeds
    r = pd_ingest(env, M.plain(subject="kamēr aizņemts"))
    assert r.returncode == 0 and count(rawdb, "inbound_message") == 1


def test_exit_75_when_the_database_server_is_unreachable(pd_env):
    from tests.smtp_fixture import free_port

    env = subprocess_env(pd_env, PD_USER="system",
                         PD_DATABASE_URL=f"postgresql://pd@127.0.0.1:{free_port()}/pd?connect_timeout=2")
    r = pd_ingest(env, M.plain(subject="x"))
    assert r.returncode == 75 and "cannot reach the database server" in r.stderr.decode()


def test_exit_75_for_a_configuration_that_stops_storing_so_the_mta_keeps_the_mail(pd_env):
    env = subprocess_env(pd_env, PD_USER="nobody-here")
    r = pd_ingest(env, M.plain(subject="x"))
    assert r.returncode == 75 and "nav Centra darbinieks" in r.stderr.decode()


def test_two_ingests_of_the_same_message_at_once_store_it_once(pd, pd_env, rawdb):
    pd.register()
    env = subprocess_env(pd_env, PD_USER="system")
    raw = M.outlook_reply_lv(subject="Jauns: nestrādā VPN")
    for _ in range(3):
        procs = [subprocess.Popen([sys.executable, "-m", "pd", "mail", "ingest", "--json"], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(2)]
        for p in procs:
            p.stdin.write(raw)
            p.stdin.close()
        outs = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]
        for code, _, err in outs:
            assert code == 0, err
        actions = sorted(json.loads(o)["action"] for _, o, _ in outs)
        assert actions in (["duplicate", "new"], ["duplicate", "duplicate"])
        raw = raw.replace(b"Message-ID: <", b"Message-ID: <x")  # the next round: another message
    assert count(rawdb, "inbound_message") == 3
    assert count(rawdb, "intake_item") == 3


def test_a_broken_mail_is_quarantined_exit_0_kept_in_a_folder_and_the_next_one_goes_through(pd_env, rawdb, tmp_path):
    folder = tmp_path / "karantina"
    env = subprocess_env(pd_env, PD_USER="system", PD_INTAKE_QUARANTINE_DIR=str(folder))
    broken = b"\x00\x8f\xff binary junk, no header at all\r\nparole: Slepens#99\r\n"
    r = pd_ingest(env, broken, "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert res["action"] == "quarantined" and "header" in res["error"]
    files = list(folder.glob("*.eml"))
    assert len(files) == 1 and b"binary junk" in files[0].read_bytes()
    assert b"Slepens#99" not in files[0].read_bytes() and b"Slepens#99" not in rawdb.dump()
    r = pd_ingest(env, M.plain(subject="nākamais"), "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["action"] == "new"
    # the same broken bytes again: kept once
    assert json.loads(pd_ingest(env, broken, "--json").stdout)["action"] == "duplicate"
    assert count(rawdb, "quarantined_message") == 1
    r = subprocess.run([sys.executable, "-m", "pd", "intake", "quarantine", "--json"], capture_output=True, text=True,
                       env=subprocess_env(pd_env))
    q = json.loads(r.stdout)
    assert [x["id"] for x in q] == [res["quarantine"]] and q[0]["path"] == str(files[0])


def test_a_fault_of_ours_on_one_mail_quarantines_it_and_replay_takes_it_in_later(pd, monkeypatch, rawdb):
    import pd.intake.match as match

    good = M.plain(subject="Dators neieslēdzas", body="Labdien, dators neieslēdzas.\n")

    def broken(*a, **kw):
        raise RuntimeError("a bug in matching")

    original = match.find_request
    monkeypatch.setattr(match, "find_request", broken)
    r = pd("mail", "ingest", "--json", user="system", input=good)
    assert r.exit_code == 0 and r.json()["action"] == "quarantined" and "a bug in matching" in r.json()["error"]
    qid = r.json()["quarantine"]
    assert count(rawdb, "inbound_message") == 0
    monkeypatch.setattr(match, "find_request", original)
    r = pd("mail", "ingest", "--json", user="system", input=M.plain(subject="cits"))
    assert r.json()["action"] == "new"
    # pd fixed: the operator replays it, exactly once
    res = pd.ok("intake", "replay", str(qid), "--json").json()
    assert res["action"] == "new"
    item = pd.ok("intake", "show", str(res["intake"]), "--json").json()
    assert item["subject"] == "Dators neieslēdzas" and item["text"] == "Labdien, dators neieslēdzas."
    again = pd("intake", "replay", str(qid))
    assert again.exit_code == 5 and "replayed already" in again.stderr
    assert pd.ok("intake", "quarantine", "--json").json() == []


def test_replay_with_a_repaired_copy(pd, pd_env, rawdb):
    r = pd("mail", "ingest", "--json", user="system", input=b"Subject without a colon line\r\n\r\nbody")
    qid = r.json()["quarantine"]
    assert pd("intake", "replay", str(qid)).exit_code == 3  # still broken as it is
    fixed = Path(pd_env["PD_CATALOG"]).parent / "fixed.eml"
    fixed.write_bytes(M.plain(subject="Salabots", body="body\n"))
    res = pd.ok("intake", "replay", str(qid), "--file", str(fixed), "--json").json()
    assert res["action"] == "new"
    ev = [json.loads(d) for (d,) in rawdb.execute("SELECT data FROM event WHERE kind = 'mail_replayed'")]
    assert ev == [{"action": "new", "message": res["message"], "quarantine": qid}]


def test_a_quarantine_folder_that_cannot_be_written_still_keeps_the_mail_in_its_row(pd, tmp_path, rawdb):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    # (a file where the folder is would be refused by the configuration check, exit 75: a folder
    # under that file passes the check and fails only when the mail is written)
    r = pd("mail", "ingest", "--json", user="system", input=b"\x00junk",
           env={"PD_INTAKE_QUARANTINE_DIR": str(blocker / "quarantine")})
    assert r.exit_code == 0 and r.json()["action"] == "quarantined"
    (data,) = rawdb.execute("SELECT data FROM event WHERE kind = 'mail_quarantined'")[0]
    assert "not-a-folder" in json.loads(data)["file_error"]
    assert bytes(rawdb.execute("SELECT raw FROM quarantined_message")[0][0]) == b"\x00junk"


def test_a_ledger_of_the_first_release_keeps_the_mail_at_the_mta_until_the_admin_upgrades(pd_env, rawdb):
    from tests.test_migrations import _make_v1_ledger

    _make_v1_ledger(pd_env["PD_DATABASE_URL"])
    env = subprocess_env(pd_env, PD_USER="system")
    raw = M.plain(subject="Pirms jaunināšanas")
    r = pd_ingest(env, raw)
    assert r.returncode == 75 and "pd db upgrade" in r.stderr.decode()
    up = subprocess.run([sys.executable, "-m", "pd", "db", "upgrade", "--json"], capture_output=True, text=True,
                        env=subprocess_env(pd_env, PD_USER="admins"))
    assert up.returncode == 0, up.stderr
    assert rawdb.execute("SELECT max(version) FROM schema_version")[0][0] >= 2
    r = pd_ingest(env, raw, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["action"] == "new"
