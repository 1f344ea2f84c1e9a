"""The audit sees every row a change wrote (SPEC 10, issue 18 item 3): each table edited behind pd's
back is named; a damaged row is a finding (exit 7), never a crash; every change to a sealed column
is caught (a seeded byte-flip probe over every table); `--since` checks only what came after a
trusted anchor. On a real SQLite file, and on PostgreSQL via scripts/with-postgres."""
from __future__ import annotations

import json
import random

import pytest

from tests import intake_mail as M


@pytest.fixture
def ledger_rows(pd, rawdb, clock):
    """A row in every sealed table: requests (one refused, with its ICT contacts), an assignment, a
    pause, an escalation, pending mails, an inbound mail and its intake item, the config snapshots."""
    clock.set("2027-01-04T09:00")
    waiting = pd.register()
    pd.ok("assign", waiting, "--expert", "jberzins")
    pd.ok("accept", waiting, user="jberzins")
    pd.ok("wait", waiting, "--question", "Kurā telpā atrodas dators?", user="jberzins")
    refused = pd.register(out_of_scope=True, reason="Nav Informācijas centra kompetencē")
    late = pd.register()
    pd.ok("assign", late, "--expert", "jberzins")
    clock.set("2027-01-05T15:00")
    pd.ok("escalate-overdue")
    r = pd("mail", "ingest", "--json", user="system",
           input=M.plain(sender="Līga Ērgle <liga.ergle@vugd.gov.lv>", subject="Nestrādā VPN",
                         body="Labdien!\nNo rīta nevaru pieslēgties VPN.\n"))
    assert r.exit_code == 0, r.stderr
    d = verify(pd)[1]
    assert d["ok"] is True, d["problems"]
    assert rawdb.execute("SELECT COUNT(*) FROM request WHERE ict_contact IS NOT NULL")[0][0] == 1
    return rawdb, {"waiting": waiting, "refused": refused, "late": late, "intake": r.json()["intake"],
                   "message": r.json()["message"]}


def verify(pd, *extra):
    r = pd("audit", "verify", "--json", *extra)
    assert r.exit_code in (0, 7), r.stderr
    assert "Traceback" not in r.stderr
    return r.exit_code, r.json()


def rid(db, number):
    return db.execute("SELECT id FROM request WHERE number = ?", number)[0][0]


# each edit of the issue (and one per other sealed table): (table named, SQL, parameters from the ledger)
EDITS = {
    "pending mail's recipient": ("outbox", "UPDATE outbox_message SET recipients = ? WHERE status = 'pending' "
                                           "AND id = (SELECT MIN(id) FROM outbox_message)", ['["evil@example.com"]']),
    "pending mail's subject": ("outbox", "UPDATE outbox_message SET subject = subject || ' (mainīts)' "
                                         "WHERE id = (SELECT MIN(id) FROM outbox_message)", []),
    "pending mail's body": ("outbox", "UPDATE outbox_message SET body = 'Citāds teksts' "
                                      "WHERE id = (SELECT MAX(id) FROM outbox_message)", []),
    "intake item set to ignored": ("intake_item", "UPDATE intake_item SET status = 'ignored'", []),
    "intake mail deleted": ("inbound_message", "DELETE FROM inbound_message", []),
    "configuration snapshot edited": ("config_snapshot", "UPDATE config_snapshot SET raw = raw || '#' "
                                                         "WHERE kind = 'catalog'", []),
    "pause edited": ("pause", "UPDATE pause SET question = 'Cits jautājums'", []),
    "ict_contact edited": ("request", "UPDATE request SET ict_contact = '[]' WHERE ict_contact IS NOT NULL", []),
    "assignment's calendar": ("assignment", "UPDATE assignment SET calendar = '24x7'", []),
    "escalation's note": ("escalation", "UPDATE escalation SET note = 'Pierakstīts vēlāk'", []),
    "inbound mail's sender": ("inbound_message", "UPDATE inbound_message SET sender_email = 'cits@vp.gov.lv'", []),
    "requester's phone": ("request", "UPDATE request SET phone = '20000000' WHERE ict_contact IS NULL", []),
}


# The tables as `pd audit verify` names them to a person under PD_LANG=lv (--json keeps the table's own name).
LATVIAN = {"request": "pieteikums", "assignment": "nodošana ekspertam", "escalation": "eskalācija",
           "outbox": "izejošais pasts", "pause": "pauze", "inbound_message": "ienākošā vēstule",
           "intake_item": "ienākošo vēstuļu rinda", "config_snapshot": "konfigurācija", "event": "notikums"}


@pytest.mark.parametrize("edit", list(EDITS))
def test_each_table_edited_behind_pds_back_is_named(pd, ledger_rows, edit):
    db, n = ledger_rows
    table, statement, params = EDITS[edit]
    if edit == "intake mail deleted":  # its intake item goes with it (no foreign keys in the way)
        db.execute("DELETE FROM intake_item")
    db.execute(statement, *params)
    code, d = verify(pd)
    assert code == 7 and d["ok"] is False
    assert table in {f["table"] for f in d["findings"]}, d["problems"]
    r = pd("audit", "verify")
    assert r.exit_code == 7 and f"{LATVIAN[table]}: " in r.stdout and r.stderr.startswith("Kļūda: audits atrada")


def test_a_row_inserted_behind_pds_back_is_named(pd, ledger_rows):
    db, n = ledger_rows
    db.execute("INSERT INTO pause (request_id, started_at, question) VALUES (?, '2027-01-05 10:00:00', 'Viltots')",
               rid(db, n["late"]))
    code, d = verify(pd)
    assert code == 7 and any(f["table"] == "pause" and "written by no change" in f["what"] for f in d["findings"])


def test_pds_own_changes_and_a_purge_by_law_still_verify(pd, ledger_rows, clock):
    """Every writer seals what it wrote: the whole cycle, intake decisions, mail delivery state
    (not history) and `pd privacy purge` (the purged rows are sealed with its event)."""
    db, n = ledger_rows
    pd.ok("intake", "ignore", str(n["intake"]), "--reason", "Surogātpasts")
    pd.ok("resume", n["waiting"], user="jberzins")
    pd.ok("resolve", n["waiting"], "--result", "Atrisināts", user="jberzins")
    pd.ok("close", n["waiting"], "--confirmed")
    db.execute("UPDATE outbox_message SET status = 'sent', attempts = 1")  # delivery: outside history
    assert verify(pd)[1]["ok"] is True
    clock.set("2029-06-01T10:00")
    purged = pd.ok("privacy", "purge", "--before", "2029-01-01", "--json", user="admins",
                   env={"PD_RETENTION_DAYS": "30"}).json()
    assert purged["requests"] == 2  # the closed and the refused request
    assert db.execute("SELECT requester_name FROM request WHERE number = ?", n["waiting"])[0][0] != "Jānis Bērziņš"
    code, d = verify(pd)
    assert code == 0, d["problems"]
    db.execute("UPDATE request SET requester_name = 'Jānis Bērziņš' WHERE number = ?", n["waiting"])
    code, d = verify(pd)  # a purged name put back is caught too
    assert code == 7 and [f["table"] for f in d["findings"]] == ["request"]


# ---------------------------------------------------------------------------- damaged rows
DAMAGE = {
    "event data not JSON": "UPDATE event SET data = '{\"result\": ' WHERE kind = 'accepted'",
    "event data a list": "UPDATE event SET data = '[1, 2]' WHERE kind = 'assigned'",
    "event at not a time": "UPDATE event SET at = 'vakar' WHERE kind = 'waiting'",
    "event NULLs": "UPDATE event SET request_id = NULL, to_status = NULL WHERE kind = 'escalated'",
    "request number mangled": "UPDATE request SET number = '2027-00000x' WHERE ict_contact IS NOT NULL",
    "request number NULL-like": "UPDATE request SET number = '' WHERE ict_contact IS NULL AND status = 'assigned'",
    "request NULLs": "UPDATE request SET expert = NULL, response_due = NULL WHERE status = 'assigned'",
    "request urgent a word": "UPDATE request SET urgent = 'varbūt'",
    "request time a number": "UPDATE request SET registered_at = 12345",
    "assignment time a word": "UPDATE assignment SET resolution_due = 'rīt'",
    "row seal not JSON": "UPDATE row_seal SET rows = '{' WHERE event_id = (SELECT MAX(event_id) FROM row_seal)",
    "inbound attachments not JSON": "UPDATE inbound_message SET attachments = '[{'",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_row_is_a_finding_never_a_crash(pd, ledger_rows, damage):
    db, n = ledger_rows
    statement = DAMAGE[damage]
    if db.pg and any(w in damage for w in ("urgent a word", "time a number", "time a word", "NULL-like",
                                            "at not a time")):
        # PostgreSQL's columns refuse these types and NULLs themselves: the text forms a tamperer can write
        statement = {"request urgent a word": "UPDATE request SET urgent = NOT urgent",
                     "request time a number": "UPDATE request SET registered_at = '1970-01-01 03:25:45'",
                     "assignment time a word": "UPDATE assignment SET resolution_due = '2999-12-31 23:59:59'",
                     "event at not a time": "UPDATE event SET at = '1900-01-01 00:00:00' WHERE kind = 'waiting'",
                     }.get(damage, statement)
    try:
        db.execute(statement)
    except Exception as exc:  # noqa: BLE001 - a NOT NULL column refuses it: no such damage can be written
        assert "null" in str(exc).lower(), exc
        return
    r = pd("audit", "verify")
    assert r.exit_code == 7, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and r.stderr.startswith("Kļūda: audits atrada")
    code, d = verify(pd)
    assert code == 7 and d["findings"]


def test_text_that_is_no_longer_utf8_is_named_sqlite(pd, ledger_rows):
    db, n = ledger_rows
    if db.pg:
        # PostgreSQL's text refuses bytes that are not UTF-8: this damage cannot be written there at all
        with pytest.raises(Exception, match="(?i)utf8|utf-8|encoding"):
            db.execute("UPDATE pause SET question = convert_from('\\x4b7572e2ff'::bytea, 'UTF8')")
        assert verify(pd)[0] == 0
        return
    db.execute("UPDATE pause SET question = CAST(x'4b7572e2ff' AS TEXT)")
    db.execute("UPDATE event SET actor = CAST(x'ff6f70' AS TEXT) WHERE kind = 'accepted'")
    r = pd("audit", "verify")
    assert r.exit_code == 7 and "Traceback" not in r.stderr, r.stderr
    code, d = verify(pd)
    tables = {f["table"] for f in d["findings"]}
    assert code == 7 and {"pause", "event"} <= tables, d["problems"]


# ---------------------------------------------------------------------------- the byte-flip probe
def _columns(db, table):
    from pd.ledger import sealed_columns

    return [c for c in sealed_columns(table) if c != "id"]


def _flipped(value, rnd: random.Random, pg: bool):
    """The value with one random change of its content, never equal to it."""
    if value is None:
        return "x"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rnd.choice((1, -1, 1000))
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytearray(bytes(value) or b"\0")
        i = rnd.randrange(len(data))
        data[i] ^= 1 << rnd.randrange(8)
        return bytes(data)
    if not isinstance(value, str):  # PostgreSQL: datetime, date
        from datetime import timedelta

        return value + timedelta(seconds=rnd.choice((1, 3600, 86400)))
    text = value or " "
    i = rnd.randrange(len(text))
    ch = text[i]
    if ch.isdigit():
        new = str((int(ch) + rnd.randint(1, 8)) % 10)
    else:
        new = rnd.choice([c for c in "aZ āĒž\t-" if c != ch])
    return text[:i] + new + text[i + 1:]


def test_byte_flip_probe_catches_every_change_to_sealed_content(pd, ledger_rows):
    """Seeded: in every sealed table, every column of a row gets a random change of its bytes; the
    audit finds each one and names the table (then the value is put back and the audit is clean)."""
    from pd.audit import verify_ledger
    from pd.config import load_settings
    from pd.ledger import SEALED_TABLES

    db, n = ledger_rows
    rnd = random.Random(18_3)
    settings = load_settings()
    named = {"outbox_message": "outbox"}
    tried = 0
    for table in SEALED_TABLES:
        ids = [r[0] for r in db.execute(f'SELECT id FROM "{table}" ORDER BY id')]
        assert ids, table
        for column in _columns(db, table):
            row_id = rnd.choice(ids)
            (before,) = db.execute(f'SELECT "{column}" FROM "{table}" WHERE id = ?', row_id)[0]
            after = _flipped(before, rnd, db.pg)
            try:
                db.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE id = ?', after, row_id)
            except Exception as exc:  # noqa: BLE001 - PostgreSQL refuses a value its column cannot hold
                assert db.pg, exc
                continue
            (stored,) = db.execute(f'SELECT "{column}" FROM "{table}" WHERE id = ?', row_id)[0]
            if stored == before:
                continue  # the column's type made it the same value (SQLite's affinity): nothing changed
            result = verify_ledger(settings)
            assert result["ok"] is False, (table, column, before, after)
            assert named.get(table, table) in {f["table"] for f in result["findings"]}, \
                (table, column, result["problems"])
            db.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE id = ?', before, row_id)
            tried += 1
    assert tried >= 95  # (of 117 columns: a few cannot hold another value of their type on PostgreSQL)
    assert verify_ledger(settings)["ok"] is True  # everything put back: nothing else was touched


# ---------------------------------------------------------------------------- --since
def test_since_checks_only_what_came_after_a_trusted_anchor(pd, ledger_rows, clock):
    db, n = ledger_rows
    anchor = pd.ok("audit", "anchor").stdout.strip()
    code, d = verify(pd, "--since", anchor)
    assert code == 0 and d["events"] == int(anchor.split(":")[0]), d["problems"]
    # a change before the anchor is not re-checked (the full audit still finds it)
    db.execute("UPDATE pause SET question = 'Cits jautājums'")
    code, d = verify(pd, "--since", anchor)
    assert code == 0, d["problems"]
    assert verify(pd)[0] == 7
    db.execute("UPDATE pause SET question = ?", "Kurā telpā atrodas dators?")
    # after the anchor: new changes, then an edit of a row one of them wrote
    fresh = pd.register()
    pd.ok("assign", fresh, "--expert", "jberzins")
    code, d = verify(pd, "--since", anchor)
    assert code == 0 and d["events"] > int(anchor.split(":")[0]), d["problems"]
    (calendar,) = db.execute("SELECT calendar FROM assignment WHERE request_id = ?", rid(db, fresh))[0]
    db.execute("UPDATE assignment SET calendar = '24x7' WHERE request_id = ?", rid(db, fresh))
    code, d = verify(pd, "--since", anchor)
    assert code == 7 and [f["table"] for f in d["findings"]] == ["assignment"]
    assert d["findings"][0]["request"] == fresh
    db.execute("UPDATE assignment SET calendar = ? WHERE request_id = ?", calendar, rid(db, fresh))
    # a request row a later change wrote is replayed with its whole history
    db.execute("UPDATE request SET status = 'closed' WHERE number = ?", fresh)
    code, d = verify(pd, "--since", anchor)
    assert code == 7 and any(f["request"] == fresh and f["what"].startswith("status") for f in d["findings"])
    db.execute("UPDATE request SET status = 'assigned' WHERE number = ?", fresh)
    code, d = verify(pd, "--since", anchor)
    assert code == 0, d["problems"]
    # an event after the anchor changed: the chain from the anchor on breaks
    db.execute("UPDATE event SET actor = 'operators2' WHERE id = (SELECT MAX(id) FROM event)")
    code, d = verify(pd, "--since", anchor)
    assert code == 7 and d["findings"][0]["table"] == "event"


def test_a_wrong_since_anchor_is_a_finding(pd, ledger_rows):
    db, n = ledger_rows
    count, digest = pd.ok("audit", "anchor").stdout.strip().split(":")
    wrong = f"{count}:{'0' * 63}1"
    code, d = verify(pd, "--since", wrong)
    assert code == 7 and d["findings"][0]["table"] == "event" and "anchor" in d["findings"][0]["what"]
    code, d = verify(pd, "--since", f"{int(count) + 50}:{digest}")
    assert code == 7 and "fewer" in d["findings"][0]["what"]  # (--json: English in every language)
    r = pd("audit", "verify", "--since", "nonsense")
    assert r.exit_code == 3 and r.stderr.startswith("Kļūda: --since")


def test_an_anchor_printed_before_row_seals_still_proves_its_prefix(pd, ledger_rows):
    """pd before row seals printed the event's own hash as the anchor: it still proves the prefix."""
    db, n = ledger_rows
    eid, own = db.execute("SELECT id, hash FROM event WHERE id IN (SELECT event_id FROM row_seal) "
                          "ORDER BY id DESC LIMIT 1")[0]
    count = db.execute("SELECT COUNT(*) FROM event WHERE id <= ?", eid)[0][0]
    assert verify(pd, "--anchor", f"{count}:{own}")[0] == 0
    assert verify(pd, "--since", f"{count}:{own}")[0] == 0


def test_rows_of_a_ledger_older_than_seals_are_not_findings(pd, ledger_rows):
    """A ledger upgraded from before row seals: its rows are checked by the replay as before, and
    the first seal says which rows came before it; they are not reported as written by no change."""
    db, n = ledger_rows
    first = db.execute("SELECT event_id, rows FROM row_seal ORDER BY event_id LIMIT 1")[0]
    start = json.loads(first[1])["start"]
    assert set(start) == {"request", "assignment", "pause", "escalation", "outbox_message", "inbound_message",
                          "intake_item", "config_snapshot"}
    assert all(v == 0 for v in start.values())  # a new ledger: every row is sealed


def test_a_ledger_written_before_row_seals_verifies_and_seals_from_its_next_change(pd, ledger_rows):
    """Events written by pd before row seals: no seal, the chain without them. The audit says nothing of
    their rows beyond the replay (docs/security.md); the next change's seal records where sealing began,
    and from there a row edited or inserted behind pd's back is named."""
    from pd.ledger import GENESIS, chain_fields, event_hash, stored_instant

    db, n = ledger_rows
    numbers = dict(db.execute("SELECT id, number FROM request"))
    db.execute("DELETE FROM row_seal")
    prev = GENESIS
    for eid, req, at, actor, behalf, via, kind, frm, to, data in db.execute(
            "SELECT id, request_id, at, actor, on_behalf_of, via, kind, from_status, to_status, data FROM event "
            "ORDER BY id"):
        h = event_hash(prev, chain_fields(eid, numbers.get(req), stored_instant(at), actor, behalf, via, kind, frm,
                                          to, data))
        db.execute("UPDATE event SET prev_hash = ?, hash = ? WHERE id = ?", prev, h, eid)
        prev = h
    db.execute("UPDATE ledger_head SET last_hash = ?", prev)
    code, d = verify(pd)
    assert code == 0 and d["rows"] > 10, d["problems"]
    db.execute("UPDATE pause SET question = 'Vecs ieraksts, nav aizzīmogots'")  # before seals: not seen
    assert verify(pd)[0] == 0
    fresh = pd.register()
    start = json.loads(db.execute("SELECT rows FROM row_seal ORDER BY event_id LIMIT 1")[0][0])["start"]
    assert start["request"] == rid(db, fresh) - 1 and start["pause"] == 1
    assert verify(pd)[0] == 0
    (phone,) = db.execute("SELECT phone FROM request WHERE number = ?", fresh)[0]
    db.execute("UPDATE request SET phone = '20000000' WHERE number = ?", fresh)
    code, d = verify(pd)
    assert code == 7 and [(f["request"], f["table"]) for f in d["findings"]] == [(fresh, "request")]
    db.execute("UPDATE request SET phone = ? WHERE number = ?", phone, fresh)
    db.execute("INSERT INTO pause (request_id, started_at, question) VALUES (?, '2027-01-05 10:00:00', 'Viltots')",
               rid(db, fresh))
    code, d = verify(pd)
    assert code == 7 and [f["table"] for f in d["findings"]] == ["pause"] and "no change" in d["findings"][0]["what"]


def test_the_chains_fast_canonical_text_is_json_dumps_text():
    """The chain builds an event's canonical text directly (for speed): for any text in any column it is
    byte for byte what canonical(chain_fields(...)) gives, or None (then the general way is taken)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pd.ledger import _canonical_event, canonical, chain_fields, stored_instant

    text = st.one_of(st.none(), st.text())
    # what an editor may leave in a text column: a number, a float, a blob, a boolean (the general way)
    edited = st.one_of(text, st.integers(), st.floats(), st.binary(max_size=4), st.booleans())
    instant = st.datetimes().map(lambda dt: dt.isoformat(" "))

    @settings(max_examples=300, deadline=None)
    @given(st.integers(min_value=1, max_value=2**62), st.one_of(st.none(), st.text(max_size=11)), instant,
           edited, text, edited, text, text, edited, st.one_of(st.text(), edited))
    def same(eid, number, at, actor, behalf, via, kind, frm, to, data):
        fast = _canonical_event(eid, number, at, actor, behalf, via, kind, frm, to, data)
        usual = all(v is None or type(v) is str for v in (actor, via, to, data))
        assert fast is not None or at < "1000" or not usual
        assert fast is None or fast == canonical(chain_fields(eid, number, stored_instant(at), actor, behalf, via, kind, frm, to,
                                              data))

    same()
    assert _canonical_event(1, None, "2026-01-05T07:00:00+00:00", "a", None, "cli", "k", None, None, "{}") is None


# ---------------------------------------------------------------------------- in parallel (big ledgers)
@pytest.mark.parametrize("edit", ["pause edited", "pending mail's body", "requester's phone", "intake mail deleted"])
def test_the_audit_in_worker_processes_finds_what_one_process_finds(pd, ledger_rows, monkeypatch, edit):
    """A big SQLite ledger is audited in parts by worker processes (each in a snapshot holding the same
    ledger head): on this small one, forced, it counts and names exactly what the one-process audit does."""
    import pd.audit as audit
    from pd.config import load_settings

    db, n = ledger_rows
    settings = load_settings()
    serial = audit.verify_ledger(settings)
    monkeypatch.setattr(audit, "_PARALLEL_FROM", 0)
    started = []
    real_start = audit._start
    monkeypatch.setattr(audit, "_start", lambda *a: started.append(a[0]) or real_start(*a))
    parallel = audit.verify_ledger(settings)
    # the workers are SQLite's (each opens the file in its own snapshot); PostgreSQL, forced too, audits in one process
    assert started == ([] if db.pg else ["chain", "rows", "replay 1 2"])
    keys = ("ok", "events", "last_event", "head", "integrity", "requests", "rows")
    assert {k: parallel[k] for k in keys} == {k: serial[k] for k in keys} and parallel["ok"] is True
    table, statement, params = EDITS[edit]
    if edit == "intake mail deleted":
        db.execute("DELETE FROM intake_item")
    db.execute(statement, *params)
    parallel = audit.verify_ledger(settings)
    monkeypatch.setattr(audit, "_PARALLEL_FROM", 10**9)
    serial = audit.verify_ledger(settings)
    assert parallel["ok"] is False and table in {f["table"] for f in parallel["findings"]}
    assert sorted(parallel["problems"]) == sorted(serial["problems"])


def test_findings_are_said_in_latvian_and_json_stays_english(pd, ledger_rows, monkeypatch):
    """SPEC 12: a person reads the audit's findings in the desk's language, each table named in Latvian;
    --json is the same bytes in every language (English finding texts, as scripts read them)."""
    from tests.english import english

    db, n = ledger_rows
    db.execute("UPDATE outbox_message SET subject = subject || ' (mainīts)' WHERE status = 'pending'")
    db.execute("UPDATE request SET status = 'closed' WHERE number = ?", n["late"])
    db.execute("DELETE FROM pause")
    db.execute("UPDATE event SET data = '{' WHERE id = (SELECT MAX(id) FROM event WHERE kind = 'assigned')")
    aid = db.execute("SELECT MIN(id) FROM assignment")[0][0]
    db.execute("UPDATE assignment SET reason = 'pārrakstīts' WHERE id = ?", aid)
    r = pd("audit", "verify")
    assert r.exit_code == 7 and "Traceback" not in r.stderr
    said = r.stdout + r.stderr
    for table in ("pieteikums", "izejošais pasts", "pauze", "notikums"):
        assert f"{table}: " in r.stdout, r.stdout
    assert f"{n['late']} pieteikums: statuss: rindā ir 'closed', bet pēc notikumiem jābūt 'assigned'" in r.stdout
    # the columns as a person calls them (--json below keeps the column's own name)
    assert f"nodošana ekspertam: nodošana ekspertam {aid}, iemesls: rindā ir 'pārrakstīts', bet pēc notikumiem " \
           "jābūt (tukšs)" in r.stdout, r.stdout
    assert "reaģēšanas termiņš: rindā ir " in r.stdout
    # "Error:" is pd's prefix of every error (pd.cli); mail kinds are named as the outbox holds them
    from pd.conversation import TABLE

    codes = {word for _, kind in sum(TABLE.values(), ()) for word in kind.split("_")}
    assert english(said, allow=frozenset({"error", *codes})) == [], said
    lv = pd("audit", "verify", "--json")
    monkeypatch.setenv("PD_LANG", "en")
    en = pd("audit", "verify", "--json")
    assert lv.exit_code == en.exit_code == 7 and lv.stdout == en.stdout
    d = json.loads(en.stdout)
    assert {"request": n["late"], "table": "request",
            "what": "status: the row says 'closed', its events say 'assigned'"} in d["findings"]
    assert f"assignment {aid} reason: the row says 'pārrakstīts', its events say nothing" in \
        {f["what"] for f in d["findings"]}
    assert "outbox" in {f["table"] for f in d["findings"]}
    r = pd("audit", "verify")
    assert f"{n['late']} request: status: the row says 'closed', its events say 'assigned'" in r.stdout


@pytest.mark.parametrize("width", [80, 120])
def test_findings_on_a_terminal_wrap_whole_words_and_piped_stay_one_line_each(pd, pd_env, ledger_rows, width):
    """On a terminal each finding wraps at whole words under itself (never a word cut at the edge); piped,
    as cron mails it, each finding is one line."""
    import sys

    import pexpect

    from tests.conftest import subprocess_env

    db, n = ledger_rows
    db.execute("UPDATE request SET status = 'closed' WHERE number = ?", n["late"])
    db.execute("UPDATE assignment SET reason = 'pārrakstīts ar garu paskaidrojumu, kas neietilpst vienā rindā' "
               "WHERE id = (SELECT MIN(id) FROM assignment)")
    piped = pd("audit", "verify")
    assert piped.exit_code == 7
    findings = piped.stdout.splitlines()
    assert len(findings) >= 2 and any(len(f) > 80 for f in findings)
    env = subprocess_env(pd_env)
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    child = pexpect.spawn(sys.executable, ["-m", "pd", "audit", "verify"], env=env, encoding="utf-8", timeout=60,
                          dimensions=(60, width))
    screen = child.read().replace("\r\n", "\n")
    child.close()
    assert child.exitstatus == 7, screen
    lines = [line for line in screen.splitlines() if not line.startswith("Kļūda:")]
    assert all(len(line) <= width for line in lines), screen
    # the lines of each finding, joined at their breaks, are the finding as piped: no word was cut
    joined = "\n".join(lines).replace("\n  ", " ").splitlines()
    assert joined == findings, screen
