"""The audit trail (SPEC 10): events are hash-chained; `pd audit verify` finds a row changed or removed."""
from __future__ import annotations

import pytest


@pytest.fixture
def ledger(pd, rawdb):
    """Two requests through their cycles; returns (the raw database, the first request's events)."""
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, user="jberzins")
    pd.ok("note", n, "--text", "Pārbaudu pastkastes kvotu", user="jberzins")
    pd.ok("resolve", n, "--result", "Pastkaste atbloķēta", user="jberzins")
    pd.ok("close", n, "--confirmed")
    m = pd.register(service="KONSULTACIJA")
    pd.ok("resolve", m, "--result", "Konsultēts")
    events = pd.ok("show", n, "--json").json()["events"]
    return rawdb, events


def sql(db, statement, *params):
    return db.execute(statement, *params)


def last_event_id(path) -> int:
    return sql(path, "SELECT MAX(id) FROM event")[0][0]


def test_verify_passes_after_a_cycle(pd, ledger):
    path, events = ledger
    r = pd.ok("audit", "verify")
    total = sql(path, "SELECT COUNT(*) FROM event")[0][0]
    assert str(total) in r.stdout and r.stderr == ""
    d = pd.ok("audit", "verify", "--json").json()
    assert (d["ok"], d["events"], d["last_event"], d["problems"]) == (True, total, last_event_id(path), [])
    assert total >= len(events) + 2
    # and keeps passing as the ledger grows
    pd.register()
    assert pd.ok("audit", "verify", "--json").json()["events"] == total + 1


def test_a_changed_event_is_named(pd, ledger):
    path, events = ledger
    resolved = [e for e in events if e["kind"] == "resolved"][0]
    assert resolved["id"] != last_event_id(path)  # a middle row
    sql(path, "UPDATE event SET data = replace(data, 'Pastkaste atbloķēta', 'Viss kārtībā') WHERE id = ?",
        resolved["id"])
    assert "Viss kārtībā" in sql(path, "SELECT data FROM event WHERE id = ?", resolved["id"])[0][0]
    r = pd("audit", "verify")
    assert r.exit_code == 7
    assert f"notikums {resolved['id']}" in r.stderr and "Traceback" not in r.stderr  # (--json: English)
    d = pd("audit", "verify", "--json")
    assert d.exit_code == 7
    j = d.json()
    assert j["ok"] is False and any(f"event {resolved['id']}" in p for p in j["problems"])


@pytest.mark.parametrize("column, value", [("actor", "operators2"), ("via", "email"), ("to_status", "closed"),
                                           ("at", "2026-01-01 00:00:00"), ("on_behalf_of", "lkalnina")])
def test_any_changed_column_is_found(pd, ledger, column, value):
    path, events = ledger
    accepted = [e for e in events if e["kind"] == "accepted"][0]
    sql(path, f"UPDATE event SET {column} = ? WHERE id = ?", value, accepted["id"])
    r = pd("audit", "verify")
    assert r.exit_code == 7 and f"notikums {accepted['id']}" in r.stderr


def test_a_rehashed_change_still_breaks_the_link(pd, ledger):
    """Changing a row and its own hash does not help: the next event points at the old hash."""
    path, events = ledger
    note = [e for e in events if e["kind"] == "note"][0]
    sql(path, "UPDATE event SET data = '{}', hash = ? WHERE id = ?", "f" * 64, note["id"])
    nxt = sql(path, "SELECT MIN(id) FROM event WHERE id > ?", note["id"])[0][0]
    r = pd("audit", "verify")
    assert r.exit_code == 7
    assert f"notikums {note['id']}" in r.stderr or f"notikums {nxt}" in r.stderr


def test_a_deleted_last_event_is_found(pd, ledger):
    path, _ = ledger
    last = last_event_id(path)
    sql(path, "DELETE FROM event WHERE id = ?", last)
    r = pd("audit", "verify")
    assert r.exit_code == 7
    assert "dzēsti" in r.stderr and str(last) in r.stderr
    assert pd("audit", "verify", "--json").json()["ok"] is False


def test_a_deleted_middle_event_is_found(pd, ledger):
    path, events = ledger
    note = [e for e in events if e["kind"] == "note"][0]
    nxt = sql(path, "SELECT MIN(id) FROM event WHERE id > ?", note["id"])[0][0]
    sql(path, "DELETE FROM event WHERE id = ?", note["id"])
    r = pd("audit", "verify")
    assert r.exit_code == 7
    assert f"notikums {nxt}" in r.stderr


def test_a_renumbered_request_breaks_its_events(pd, ledger):
    path, events = ledger
    sql(path, "UPDATE request SET number = '2026-000999' WHERE number = '2026-000001'")
    r = pd("audit", "verify")
    assert r.exit_code == 7 and f"notikums {events[0]['id']}" in r.stderr

