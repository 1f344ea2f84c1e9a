"""The audit of the whole ledger (SPEC 10): rows against the events that made them, the anchor,
SQLite's own integrity check. Each attack of the adversarial test (issue 12) is one test here,
on a real SQLite file or a real PostgreSQL server (as the superuser, who can switch triggers off)."""
from __future__ import annotations

import json
import os

import pytest

from tests.conftest import RawDB, run_pd, subprocess_env


@pytest.fixture
def history(pd, rawdb, clock):
    """Requests through their cycles, mails, an escalation: (raw db, {name: number})."""
    clock.set("2027-01-04T09:00")
    closed = pd.register()
    pd.ok("assign", closed, "--expert", "jberzins")
    pd.ok("accept", closed, user="jberzins")
    pd.ok("resolve", closed, "--result", "Pastkaste atbloķēta", user="jberzins")
    pd.ok("close", closed, "--confirmed")
    working = pd.register(service="EPASTS")
    pd.ok("assign", working, "--expert", "jberzins")
    pd.ok("accept", working, user="jberzins")
    late = pd.register()
    pd.ok("assign", late, "--expert", "jberzins")
    clock.set("2027-01-05T15:00")
    pd.ok("escalate-overdue")
    assert pd.ok("audit", "verify", "--json").json()["ok"] is True
    return rawdb, {"closed": closed, "working": working, "late": late}


def verify(pd, *extra):
    r = pd("audit", "verify", "--json", *extra)
    assert r.exit_code in (0, 7), r.stderr
    return r.exit_code, r.json()


def request_id(db: RawDB, number: str) -> int:
    return db.execute("SELECT id FROM request WHERE number = ?", number)[0][0]


def test_a_status_set_to_closed_in_the_file_is_named(pd, history):
    db, n = history
    db.execute("UPDATE request SET status = 'closed' WHERE number = ?", n["working"])
    r = pd("audit", "verify")
    assert r.exit_code == 7 and "Traceback" not in r.stderr
    line = f"{n['working']} pieteikums: statuss: rindā ir 'closed', bet pēc notikumiem jābūt 'in_progress'"
    assert line in r.stdout and line in r.stderr
    code, d = verify(pd)
    assert d["ok"] is False and {"request": n["working"], "table": "request",
                                 "what": "status: the row says 'closed', its events say 'in_progress'"} in d["findings"]
    assert d["integrity"] == ("ok" if not db.pg else d["integrity"])


@pytest.mark.parametrize("column, value", [("expert", "akalnins"), ("resolution_due", "2030-01-01 00:00:00"),
                                           ("accepted_at", None), ("result", "Cits rezultāts"),
                                           ("description", "Cits apraksts")])
def test_any_replayed_column_changed_in_the_file_is_named(pd, history, column, value):
    db, n = history
    number = n["closed"] if column == "result" else n["working"]
    db.execute(f"UPDATE request SET {column} = ? WHERE number = ?", value, number)
    code, d = verify(pd)
    assert code == 7
    assert [f["request"] for f in d["findings"]] == [number]
    assert d["findings"][0]["table"] == "request" and d["findings"][0]["what"].startswith(column)


def test_a_deleted_outbox_row_is_named(pd, history):
    db, n = history
    rid = request_id(db, n["closed"])
    mid = db.execute("SELECT id FROM outbox_message WHERE request_id = ? AND kind = 'resolved_user'", rid)[0][0]
    db.execute("DELETE FROM outbox_message WHERE id = ?", mid)
    code, d = verify(pd)
    assert code == 7 and len(d["findings"]) == 1
    f = d["findings"][0]
    assert (f["request"], f["table"]) == (n["closed"], "outbox")
    assert "resolved_user" in f["what"] and "deleted" in f["what"]


def test_an_outbox_row_no_event_made_is_named(pd, history):
    db, n = history
    rid = request_id(db, n["working"])
    db.execute("INSERT INTO outbox_message (request_id, kind, recipients, subject, body, message_id, created_at, "
               "status, attempts, next_attempt_at) VALUES (?, 'resolved_user', '[\"x@vp.gov.lv\"]', 'Atrisināts', "
               "'...', '<forged@ic>', '2027-01-04 10:00:00', 'pending', 0, '2027-01-04 10:00:00')", rid)
    code, d = verify(pd)
    assert code == 7 and len(d["findings"]) == 1
    assert d["findings"][0]["table"] == "outbox" and "queued by no event" in d["findings"][0]["what"]
    assert d["findings"][0]["request"] == n["working"]


def test_an_inserted_escalation_is_named(pd, history):
    db, n = history
    rid = request_id(db, n["working"])
    db.execute("INSERT INTO escalation (request_id, assignment_id, assignment_key, reason, level, at, actor, manager) "
               "VALUES (?, NULL, 0, 'overdue', 1, '2027-01-05 10:00:00', 'system', 'akalnins')", rid)
    code, d = verify(pd)
    assert code == 7 and len(d["findings"]) == 1
    f = d["findings"][0]
    assert (f["request"], f["table"]) == (n["working"], "escalation") and "made by no event" in f["what"]


def test_a_deleted_escalation_and_assignment_are_named(pd, history):
    db, n = history
    rid = request_id(db, n["late"])
    assert db.execute("SELECT COUNT(*) FROM escalation WHERE request_id = ?", rid)[0][0] == 1
    db.execute("DELETE FROM escalation WHERE request_id = ?", rid)
    code, d = verify(pd)
    assert code == 7 and [(f["request"], f["table"]) for f in d["findings"]] == [(n["late"], "escalation")]
    assert "has no row" in d["findings"][0]["what"]


def test_an_assignment_moved_to_another_expert_is_named(pd, history):
    db, n = history
    rid = request_id(db, n["working"])
    db.execute("UPDATE assignment SET expert = 'akalnins' WHERE request_id = ?", rid)
    code, d = verify(pd)
    assert code == 7 and [(f["request"], f["table"]) for f in d["findings"]] == [(n["working"], "assignment")]
    assert "expert" in d["findings"][0]["what"]


def test_a_rewound_number_sequence_is_named(pd, history):
    db, n = history
    db.execute("UPDATE number_sequence SET last = last - 1")
    code, d = verify(pd)
    assert code == 7 and d["findings"][0]["table"] == "number_sequence"
    assert "already issued" in d["findings"][0]["what"] and d["findings"][0]["request"] == n["late"]


def _cut_last_change(db: RawDB) -> None:
    """Delete the events of the last change (and their row seals) and point the head at the chain's
    value after the event before them, as an insider who knows the format would."""
    from pd.ledger import seal_hash

    last_at = db.execute("SELECT at FROM event ORDER BY id DESC LIMIT 1")[0][0]
    db.execute("DELETE FROM row_seal WHERE event_id IN (SELECT id FROM event WHERE at = ?)", last_at)
    db.execute("DELETE FROM event WHERE at = ?", last_at)
    eid, h = db.execute("SELECT id, hash FROM event ORDER BY id DESC LIMIT 1")[0]
    seal = db.execute("SELECT rows FROM row_seal WHERE event_id = ?", eid)
    db.execute("UPDATE ledger_head SET last_event_id = ?, last_hash = ?", eid, seal_hash(h, seal[0][0]) if seal else h)


def test_events_cut_from_the_end_with_the_head_rewound(pd, history):
    db, n = history
    witness = pd.ok("audit", "anchor").stdout.strip()
    _cut_last_change(db)
    code, d = verify(pd)
    # the chain alone is consistent again; the rows the cut events made are not
    assert code == 7 and not [f for f in d["findings"] if f["table"] == "event"]
    assert {f["table"] for f in d["findings"]} >= {"escalation"}
    code, d = verify(pd, "--anchor", witness)
    assert code == 7 and d["anchor"]["ok"] is False
    assert any(f["table"] == "event" and "events were removed" in f["what"] for f in d["findings"])


def test_a_chain_rehashed_from_the_start_is_caught_only_with_the_anchor(pd, history):
    """The strongest insider: change an event, re-hash every event after it and the head.
    The chain is consistent again; only a witness held outside the ledger shows it."""
    from pd.config import load_settings
    from pd.db.models import Event, Request
    from pd.ledger import GENESIS, Ledger, canonical, event_hash, hashed_fields, row_digest, seal_hash, sealed_select

    db, n = history
    witness = pd.ok("audit", "anchor").stdout.strip()
    count = int(witness.split(":")[0])
    ledger = Ledger(load_settings())
    numbers = dict(Request.select(Request.id, Request.number).tuples())
    events = list(Event.select().order_by(Event.id))
    ledger.close()
    db.execute("UPDATE escalation SET actor = 'operators2'")
    forged = {str(r[0]): row_digest(tuple(r)) for r in db.execute(sealed_select("escalation"))}
    prev = GENESIS
    for ev in events:
        if ev.kind == "note" or (ev.kind == "escalated"):
            ev.actor = "operators2"  # the forged change: someone else did it
        ev.prev_hash = prev
        ev.hash = event_hash(prev, hashed_fields(ev, numbers.get(ev.request_id)))
        db.execute("UPDATE event SET actor = ?, prev_hash = ?, hash = ? WHERE id = ?", ev.actor, ev.prev_hash,
                   ev.hash, ev.id)
        prev = ev.hash
        seal = db.execute("SELECT rows FROM row_seal WHERE event_id = ?", ev.id)
        if seal:  # the rows' seal too: the escalation as forged
            rows = json.loads(seal[0][0])
            rows.get("escalation", {}).update({k: forged[k] for k in rows.get("escalation", {})})
            db.execute("UPDATE row_seal SET rows = ? WHERE event_id = ?", canonical(rows), ev.id)
            prev = seal_hash(prev, canonical(rows))
    db.execute("UPDATE ledger_head SET last_hash = ?", prev)
    assert pd.ok("audit", "verify", "--json").json()["ok"] is True  # honest: the chain alone cannot tell
    code, d = verify(pd, "--anchor", witness)
    assert code == 7 and d["anchor"] == {"given": witness, "ok": False}
    assert [f["table"] for f in d["findings"]] == ["event"] and f"the {count}th" in d["findings"][0]["what"]
    r = pd("audit", "verify", "--anchor", witness)
    assert r.exit_code == 7 and "pārrakstīta" in r.stderr


def test_the_anchor_proves_a_prefix_while_the_ledger_grows(pd, history):
    db, n = history
    r = pd.ok("audit", "anchor")
    witness = r.stdout.strip()
    count, digest = witness.split(":")
    assert int(count) == db.execute("SELECT COUNT(*) FROM event")[0][0] and len(digest) == 64
    assert pd.ok("audit", "anchor", "--json").json() == {"anchor": witness, "events": int(count), "sha256": digest}
    pd.register()
    pd.ok("note", n["working"], "--text", "Vēl viena piezīme", user="jberzins")
    ok = pd.ok("audit", "verify", "--anchor", witness)
    assert f"Pirmie {count} notikumi ir tie, ko apliecināja enkurs." in ok.stdout
    assert pd.ok("audit", "verify", "--json", "--anchor", witness).json()["anchor"] == {"given": witness, "ok": True}
    # a witness of the empty ledger holds for any ledger; a malformed one is exit 3, nothing read
    assert pd.ok("audit", "verify", "--anchor", "0:" + "0" * 64).exit_code == 0
    for bad in ("12", "x:abc", f"{count}:{digest[:-1]}", f"-1:{digest}"):
        r = pd("audit", "verify", "--anchor", bad)
        assert r.exit_code == 3 and r.stderr.startswith("Kļūda: --anchor") and "Traceback" not in r.stderr
    wrong = f"{count}:{'a' * 64}"
    assert pd("audit", "verify", "--anchor", wrong).exit_code == 7


@pytest.mark.tampers
def test_random_bytes_over_a_page_mid_file_are_caught(pd_env, tmp_path):
    """SQLite's own integrity check, on a real file, whichever backend the suite runs on."""
    import random

    url = f"sqlite:///{tmp_path / 'damaged.sqlite3'}"
    env = subprocess_env(pd_env, PD_DATABASE_URL=url)
    # many requests at once, through pd itself, then fold the WAL into the file
    code = ("from pd.config import load_settings\nfrom pd.desk import Desk, RegisterInput\n"
            "d = Desk(load_settings())\n"
            "for i in range(300):\n"
            "    d.register(RegisterInput(name=f'Līga {i}', institution='VP', service='EPASTS',"
            " description='Printeris nedrukā ' * 30, channel='phone'))\n")
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=300)
    raw = RawDB(url)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert run_pd("audit", "verify", env=env).returncode == 0
    path = tmp_path / "damaged.sqlite3"
    page = raw.execute("PRAGMA page_size")[0][0]
    pages = path.stat().st_size // page
    assert pages > 50
    victim = pages // 2
    with open(path, "r+b") as f:
        f.seek(victim * page)
        f.write(random.Random(12).randbytes(page))
    r = run_pd("audit", "verify", "--json", env=env)
    assert r.returncode == 7, r.stderr
    d = json.loads(r.stdout)
    assert d["ok"] is False and d["integrity"] == "damaged"
    assert any(f["table"] == "database" and "integrity check" in f["what"] for f in d["findings"])
    r = run_pd("audit", "verify", env=env)
    assert r.returncode == 7 and "Traceback" not in r.stderr and "integritātes pārbaude" in r.stderr
    os.remove(path)
