"""pd mail fetch: a real Dovecot on loopback (tests/imap_server.py), SQLite and PostgreSQL.

The IMAP layer's promises are tested twice: with an injected `deliver` that records what it
was given and when (so the test can see that nothing is moved before it returned), and end
to end through the intake's receive() with real `pd` processes, killed and run side by side.
"""
from __future__ import annotations

import email.policy
import json
import os
import re
import signal
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests.conftest import process_gone, run_pd, subprocess_env
from tests.english import english
from tests.imap_server import DovecotServer

DONE = "pd-processed"

# pd/cli.py's "Error: {message}" (its Latvian is the CLI's to give): either prefix, then the message
ERR = ("Kļūda: ", "Error: ")


@pytest.fixture
def imap():
    srv = DovecotServer()
    srv.start()
    yield srv
    srv.close()


def mail(n: int, *, subject: str | None = None, sender: str = "Jānis Bērziņš <janis.berzins@vp.gov.lv>",
         body: str | None = None) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "servicedesk@ic.iem.gov.lv"
    m["Subject"] = subject or f"Neienāk e-pasts nr. {n}"
    m["Date"] = "Tue, 01 Dec 2026 10:00:00 +0200"
    m["Message-ID"] = make_msgid(idstring=f"t{n}", domain="vp.gov.lv")
    m.set_content(body or f"Labdien! Kopš rīta neienāk e-pasts ({n}). Ar cieņu, Jānis")
    return m.as_bytes(policy=email.policy.SMTP)  # CRLF, as the server keeps it


def settings_for(url: str, done: str = DONE):
    from pd.config import load_settings

    env = dict(os.environ, PD_IMAP_URL=url, PD_IMAP_DONE=done)
    return load_settings(env)


class Recorder:
    """An intake stand-in: de-duplicates by Message-ID, and looks at the server while it is called."""

    def __init__(self, imap: DovecotServer, fail_on: dict | None = None):
        self.imap, self.fail_on, self.seen, self.calls = imap, fail_on or {}, {}, []
        self.in_inbox_when_called: list[bool] = []

    def __call__(self, raw: bytes) -> dict:
        import email

        mid = email.message_from_bytes(raw)["Message-ID"]
        self.calls.append(mid)
        self.in_inbox_when_called.append(raw in self.imap.messages("INBOX"))
        if mid in self.fail_on:
            raise self.fail_on[mid]
        if mid in self.seen:
            return {"action": "duplicate", "intake": self.seen[mid], "request": None}
        self.seen[mid] = len(self.seen) + 1
        return {"action": "new", "intake": self.seen[mid], "request": None}


@pytest.fixture
def ledger(pd_env):
    from pd.config import load_settings
    from pd.ledger import Ledger

    led = Ledger(load_settings())
    yield led
    led.close()


def mid_of(raw: bytes) -> str:
    import email

    return email.message_from_bytes(raw)["Message-ID"]


# ---------------------------------------------------------------------------- configuration
@pytest.mark.parametrize("url, words", [
    ("imap://pd:hunter2x@mail.example.lv/INBOX", "tikai lokālajā datorā"),
    ("pop3://pd:hunter2x@127.0.0.1/INBOX", "lietojiet imaps://"),
    ("imaps://pd:hunter2x@127.0.0.1/INBOX?starttls=1", "jau ir TLS"),
    ("imaps://127.0.0.1/INBOX", "nav norādīts lietotājvārds"),
    ("imaps://pd:hunter2x@127.0.0.1/INBOX?cafile=x", "nezināms parametrs cafile"),
])
def test_a_bad_url_is_exit_7_naming_the_variable_and_never_the_password(pd, url, words):
    r = pd("mail", "fetch", env={"PD_IMAP_URL": url})
    assert r.exit_code == 7, r.stderr
    assert r.stderr.startswith(tuple(e + "PD_IMAP_URL" for e in ERR)) and words in r.stderr
    assert english(r.stderr.removeprefix("Kļūda: ")) == []  # (the prefix is pd/cli.py's)
    assert len(r.stderr.strip().splitlines()) == 1
    assert "hunter2x" not in r.stderr + r.stdout


def test_no_url_and_a_done_folder_equal_to_the_mailbox_are_exit_7(pd):
    r = pd("mail", "fetch")
    assert r.exit_code == 7 and "PD_IMAP_URL nav iestatīts" in r.stderr
    r = pd("mail", "fetch", env={"PD_IMAP_URL": "imap://pd:x@127.0.0.1/INBOX", "PD_IMAP_DONE": "INBOX"})
    assert r.exit_code == 7 and r.stderr.startswith(tuple(e + "PD_IMAP_DONE" for e in ERR))


def test_an_unreachable_server_is_exit_8_in_one_line(pd):
    from tests.smtp_fixture import free_port

    r = pd("mail", "fetch", env={"PD_IMAP_URL": f"imap://pd:hunter2x@127.0.0.1:{free_port()}/INBOX"})
    assert r.exit_code == 8
    assert r.stderr.startswith(tuple(e + "nevar sazināties ar IMAP serveri 127.0.0.1:" for e in ERR))
    assert len(r.stderr.strip().splitlines()) == 1 and "hunter2x" not in r.stderr


def test_a_wrong_password_is_exit_7(pd, imap):
    url = imap.url().replace("s3cr%40t", "wrong")
    r = pd("mail", "fetch", env={"PD_IMAP_URL": url})
    assert r.exit_code == 7 and "atteica pieteikšanos lietotājam pd" in r.stderr, r.stderr


def test_only_the_system_or_an_operator_fetches_and_an_expert_touches_nothing(pd, imap):
    imap.append(mail(1))
    r = pd("mail", "fetch", user="jberzins", env={"PD_IMAP_URL": imap.url()})
    assert r.exit_code == 6 and r.stderr.startswith(ERR)
    assert imap.uids("INBOX") == [1] and imap.uids(DONE) == []


def test_the_url_is_shown_masked():
    from pd.intake.fetch import mask_url

    assert mask_url("imaps://desk:s3cr%40t@mail.example.lv:993/INBOX") == "imaps://desk:***@mail.example.lv:993/INBOX"
    assert mask_url("imap://127.0.0.1/INBOX") == "imap://127.0.0.1/INBOX"


# ---------------------------------------------------------------------------- the IMAP layer
def test_each_message_is_delivered_then_moved_and_a_second_fetch_takes_nothing(imap, ledger):
    from pd.intake.fetch import fetch

    raws = [mail(i) for i in range(3)]
    imap.append(*raws)
    rec = Recorder(imap)
    report = fetch(settings_for(imap.url()), deliver=rec)
    assert [m["action"] for m in report.messages] == ["new"] * 3
    assert rec.calls == [mid_of(r) for r in raws]
    assert rec.in_inbox_when_called == [True, True, True]  # nothing moved before the ledger had it
    assert imap.uids("INBOX") == []
    assert sorted(imap.messages(DONE)) == sorted(raws)  # the done folder was created, the bytes kept

    again = fetch(settings_for(imap.url()), deliver=rec)
    assert again.messages == [] and len(rec.calls) == 3


def test_a_busy_ledger_stops_the_fetch_and_leaves_the_rest_in_the_mailbox(imap, ledger):
    from pd.errors import TemporaryFailure
    from pd.intake.fetch import fetch

    raws = [mail(i) for i in range(3)]
    imap.append(*raws)
    rec = Recorder(imap, fail_on={mid_of(raws[1]): TemporaryFailure("the ledger is busy")})
    with pytest.raises(TemporaryFailure):
        fetch(settings_for(imap.url()), deliver=rec)
    assert imap.messages(DONE) == [raws[0]]  # the committed one was moved all the same
    assert imap.messages("INBOX") == raws[1:]
    rec.fail_on = {}
    report = fetch(settings_for(imap.url()), deliver=rec)
    assert [m["action"] for m in report.messages] == ["new", "new"]
    assert sorted(imap.messages(DONE)) == sorted(raws)


def test_a_message_the_intake_refuses_stays_and_does_not_hold_up_the_next(imap, ledger):
    from pd.errors import InvalidInput
    from pd.intake.fetch import fetch

    raws = [mail(i) for i in range(3)]
    imap.append(*raws)
    rec = Recorder(imap, fail_on={mid_of(raws[0]): InvalidInput("cannot store it")})
    report = fetch(settings_for(imap.url()), deliver=rec)
    assert [m["uid"] for m in report.messages] == [2, 3] and [u for u, _ in report.left] == [1]
    assert imap.messages("INBOX") == [raws[0]]
    # The mark did not pass the message left behind: it is offered again, and taken once it can be.
    rec.fail_on = {}
    report = fetch(settings_for(imap.url()), deliver=rec)
    assert [m["uid"] for m in report.messages] == [1]
    assert imap.uids("INBOX") == [] and len(imap.messages(DONE)) == 3


def test_killed_after_the_commit_and_before_the_move_the_message_is_moved_next_time_unread(imap, ledger, monkeypatch):
    from pd.intake import fetch as f

    raws = [mail(i) for i in range(2)]
    imap.append(*raws)
    rec = Recorder(imap)

    class Killed(BaseException):
        pass

    def killed(self, uids):
        if uids:
            raise Killed()

    monkeypatch.setattr(f.Session, "move_done", killed)
    with pytest.raises(Killed):
        f.fetch(settings_for(imap.url()), deliver=rec)
    assert len(rec.calls) == 2 and imap.messages("INBOX") == raws
    monkeypatch.undo()
    report = f.fetch(settings_for(imap.url()), deliver=rec)
    assert report.messages == [] and report.moved == 2  # committed already: moved without asking again
    assert len(rec.calls) == 2
    assert imap.uids("INBOX") == [] and sorted(imap.messages(DONE)) == sorted(raws)


def test_sigterm_or_ctrl_c_finishes_the_message_in_hand_and_leaves_the_rest(imap, ledger):
    from pd.intake.fetch import Stop, fetch

    raws = [mail(i) for i in range(3)]
    imap.append(*raws)
    stop = Stop()
    rec = Recorder(imap)

    def deliver(raw):
        result = rec(raw)
        stop.request()  # as the signal handler does, while this message is being stored
        return result

    report = fetch(settings_for(imap.url()), deliver=deliver, stop=stop)
    assert [m["uid"] for m in report.messages] == [1]
    assert imap.messages(DONE) == [raws[0]] and imap.messages("INBOX") == raws[1:]


def test_a_new_uidvalidity_rescans_instead_of_trusting_old_uids(imap, ledger):
    """The folder is re-created (as after a server migration): UIDs 1 and 2 now name other
    messages. Trusting the old mark would move them to the done folder unread."""
    from pd.db.intake_models import ImapMailbox
    from pd.intake.fetch import fetch

    url = imap.url("Desk")
    a, b, c, d = (mail(i) for i in range(4))
    imap.append(a, b, folder="Desk")
    rec = Recorder(imap)
    fetch(settings_for(url), deliver=rec)
    row = ImapMailbox.get()
    assert (row.last_uid, row.uidvalidity) == (2, imap.uidvalidity("Desk"))

    cl = imap.client()
    cl.delete_folder("Desk")
    cl.create_folder("Desk")
    cl.logout()
    imap.append(c, d, a, folder="Desk")  # UIDs 1, 2, 3 again; `a` is an old message delivered twice
    assert imap.uids("Desk") == [1, 2, 3] and imap.uidvalidity("Desk") != row.uidvalidity

    report = fetch(settings_for(url), deliver=rec)
    assert report.uidvalidity_changed
    assert [m["action"] for m in report.messages] == ["new", "new", "duplicate"]
    assert imap.uids("Desk") == [] and len(imap.messages(DONE)) == 5
    row = ImapMailbox.get()
    assert (row.last_uid, row.uidvalidity, row.uidvalidity_changes) == (3, imap.uidvalidity("Desk"), 1)


def test_a_uidvalidity_change_in_place_is_noticed(imap, ledger):
    from pd.intake.fetch import fetch

    raws = [mail(i) for i in range(2)]
    imap.append(raws[0])
    rec = Recorder(imap)
    fetch(settings_for(imap.url()), deliver=rec)
    imap.reset_uidvalidity("INBOX")
    imap.append(raws[1])
    report = fetch(settings_for(imap.url()), deliver=rec)
    assert report.uidvalidity_changed and [m["action"] for m in report.messages] == ["new"]


def test_without_move_it_copies_and_flags_deleted_and_never_expunges(ledger):
    from pd.intake.fetch import fetch

    with DovecotServer(capabilities_without=("MOVE",)) as imap:
        cl = imap.client()
        assert not cl.has_capability("MOVE")
        cl.logout()
        raws = [mail(i) for i in range(2)]
        imap.append(*raws)
        rec = Recorder(imap)
        report = fetch(settings_for(imap.url()), deliver=rec)
        assert len(report.messages) == 2
        assert imap.messages("INBOX") == raws  # still there: flagged, not expunged
        assert imap.uids("INBOX", deleted=False) == []
        assert sorted(imap.messages(DONE)) == sorted(raws)
        assert fetch(settings_for(imap.url()), deliver=rec).messages == [] and len(rec.calls) == 2


def test_imaps_and_starttls_with_a_certificate_made_for_the_test(imap, ledger, monkeypatch):
    from pd.errors import ConfigError
    from pd.intake.fetch import fetch

    imap.append(mail(1))
    with pytest.raises(ConfigError, match="sertifikāts nav uzticams"):
        fetch(settings_for(imap.url(scheme="imaps")), deliver=Recorder(imap))
    monkeypatch.setenv("SSL_CERT_FILE", str(imap.cert))
    rec = Recorder(imap)
    assert len(fetch(settings_for(imap.url(scheme="imaps")), deliver=rec).messages) == 1
    imap.append(mail(2))
    assert len(fetch(settings_for(imap.url(query="starttls=1")), deliver=rec).messages) == 1
    assert imap.uids("INBOX") == [] and len(imap.messages(DONE)) == 2


# ---------------------------------------------------------------------------- end to end: the intake behind it
def _mids(folder_raws: list[bytes]) -> list[str]:
    return [mid_of(r) for r in folder_raws]


def _stored(rawdb) -> list[str]:
    return [r[0] for r in rawdb.execute("SELECT message_id FROM inbound_message ORDER BY id")]


@pytest.fixture
def fetch_env(pd_env, imap):
    return subprocess_env(pd_env, PD_USER="system", PD_IMAP_URL=imap.url())


def test_pd_mail_fetch_takes_mail_into_the_intake_and_says_so_per_message(pd, imap, rawdb):
    raws = [mail(1), mail(2, subject="Re: [PD 2026-000001] kaut kas", body="Paldies!"), mail(3)]
    imap.append(raws[0], raws[2])
    r = pd.ok("mail", "fetch", "--json", user="system", env={"PD_IMAP_URL": imap.url()})
    got = r.json()
    assert [(g["uid"], g["action"]) for g in got] == [(1, "new"), (2, "new")]
    assert all(isinstance(g["intake"], int) and g["request"] is None for g in got)
    assert set(_stored(rawdb)) == {mid_of(raws[0]), mid_of(raws[2])}
    assert imap.uids("INBOX") == [] and len(imap.messages(DONE)) == 2
    r = pd.ok("mail", "fetch", user="system", env={"PD_IMAP_URL": imap.url()})
    assert r.stdout == "" and "pastkastē pd@127.0.0.1" in r.stderr and "jaunu vēstuļu nav" in r.stderr
    # The same message delivered again is recognised, and moved all the same.
    imap.append(raws[0])
    r = pd.ok("mail", "fetch", user="system", env={"PD_IMAP_URL": imap.url()})
    assert "UID 3: jau ir žurnālā" in r.stdout
    assert len(_stored(rawdb)) == 2 and imap.uids("INBOX") == []


def test_a_mail_that_cannot_be_taken_apart_is_quarantined_and_moved_on(pd, imap, rawdb):
    broken = b"\x8f\xff binary junk, no header at all\r\nparole: Slepens#99\r\n"
    imap.append(broken, mail(2))
    r = pd.ok("mail", "fetch", "--json", user="system", env={"PD_IMAP_URL": imap.url()})
    got = r.json()
    assert [g["action"] for g in got] == ["quarantined", "new"]
    assert rawdb.execute("SELECT id FROM quarantined_message") == [(got[0]["quarantine"],)]
    assert imap.uids("INBOX") == [] and len(imap.messages(DONE)) == 2  # moved on, never blocking the next
    imap.append(broken)
    r = pd.ok("mail", "fetch", user="system", env={"PD_IMAP_URL": imap.url()})
    assert r.stdout.startswith("UID 3: ") and imap.uids("INBOX") == []


def test_killed_mid_fetch_then_fetched_again_nothing_is_lost_or_doubled(imap, fetch_env, rawdb):
    # (four IMAP batches, so that the kill, after the first batch's lines, lands before the end)
    raws = [mail(i) for i in range(400)]
    imap.append(*raws)
    p = subprocess.Popen([sys.executable, "-m", "pd", "mail", "fetch"], env=fetch_env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    lines = [p.stdout.readline() for _ in range(20)]
    with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
        helpers = [int(pid) for pid in f.read().split()]  # the process that takes mail apart ahead
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    assert p.returncode == -signal.SIGKILL and all(line.startswith("UID ") for line in lines)
    assert len(helpers) == 1
    deadline = time.monotonic() + 10
    while not process_gone(helpers[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_gone(helpers[0])  # it ends with the fetch that forked it, however that ends
    before = _stored(rawdb)
    assert 20 <= len(before) < 400 and imap.uids("INBOX")  # killed half-way, for real
    r = run_pd("mail", "fetch", "--json", env=fetch_env)
    assert r.returncode == 0, r.stderr
    assert {g["action"] for g in json.loads(r.stdout)} <= {"new", "duplicate"}
    stored = _stored(rawdb)
    assert sorted(stored) == sorted(_mids(raws))  # each once: nothing lost, nothing doubled
    assert rawdb.execute("SELECT COUNT(*) FROM intake_item")[0][0] == 400
    assert imap.uids("INBOX") == []
    assert sorted(_mids(imap.messages(DONE))) == sorted(_mids(raws))  # each moved exactly once


# ---------------------------------------------------------------------------- batches: a transaction per IMAP batch
def _instants(rawdb) -> list:
    return [r[0] for r in rawdb.execute("SELECT received_at FROM inbound_message UNION ALL "
                                        "SELECT received_at FROM quarantined_message")]


def _chain_ok() -> bool:
    from pd.ledger import verify_chain

    return verify_chain()["ok"]


def test_a_mail_that_fails_mid_batch_is_quarantined_and_the_rest_of_the_batch_is_stored(imap, ledger, rawdb,
                                                                                        monkeypatch):
    """A fault of ours on the third mail of a batch: its savepoint is rolled back and it is quarantined
    in the same transaction; the mails before and after it are stored, all five moved."""
    from pd.intake import match
    from pd.intake.fetch import fetch

    raws = [mail(i) for i in range(5)]
    raws[2] = mail(2, subject="Šī izraisa kļūdu")
    original = match.find_request

    def find_request(m, domain):
        if m.subject == "Šī izraisa kļūdu":
            raise RuntimeError("a bug in matching")
        return original(m, domain)

    monkeypatch.setattr(match, "find_request", find_request)
    imap.append(*raws)
    report = fetch(settings_for(imap.url()))
    assert [m["action"] for m in report.messages] == ["new", "new", "quarantined", "new", "new"]
    assert sorted(_stored(rawdb)) == sorted(_mids(raws[:2] + raws[3:]))
    assert rawdb.execute("SELECT error FROM quarantined_message")[0][0].startswith("RuntimeError: a bug in matching")
    assert len(_instants(rawdb)) == 5 and len(set(_instants(rawdb))) == 1  # one transaction: one instant for all
    assert imap.uids("INBOX") == [] and len(imap.messages(DONE)) == 5
    assert _chain_ok()


def test_a_mail_refused_for_the_desks_reason_mid_batch_stays_and_the_rest_are_stored(imap, ledger, rawdb,
                                                                                     monkeypatch):
    """Not the mail's fault (a PdError other than invalid input): it stays in the mailbox, alone; the
    mark stops before it; the next fetch takes it once it can."""
    from pd.db.intake_models import ImapMailbox
    from pd.errors import InvalidState
    from pd.intake import match
    from pd.intake.fetch import fetch

    raws = [mail(i) for i in range(5)]
    original = match.find_request

    def find_request(m, domain):
        if m.message_id == mid_of(raws[2]):
            raise InvalidState("not now")
        return original(m, domain)

    monkeypatch.setattr(match, "find_request", find_request)
    imap.append(*raws)
    report = fetch(settings_for(imap.url()))
    assert [(m["uid"], m["action"]) for m in report.messages] == [(1, "new"), (2, "new"), (4, "new"), (5, "new")]
    assert report.left == [(3, "not now")]
    assert imap.messages("INBOX") == [raws[2]] and ImapMailbox.get().last_uid == 2
    assert len(set(_instants(rawdb))) == 1 and rawdb.execute("SELECT COUNT(*) FROM quarantined_message") == [(0,)]
    monkeypatch.setattr(match, "find_request", original)
    report = fetch(settings_for(imap.url()))
    assert [(m["uid"], m["action"]) for m in report.messages] == [(3, "new")]
    assert sorted(_stored(rawdb)) == sorted(_mids(raws)) and imap.uids("INBOX") == []
    assert _chain_ok()


def test_when_the_insert_of_a_run_fails_each_of_its_mails_is_stored_alone(imap, ledger, rawdb, monkeypatch):
    """The new mails of a batch are written with one INSERT per table; when the database refuses it,
    the run is rolled back to its savepoint (the chain's head too) and each mail is stored alone."""
    import peewee

    from pd.intake import store
    from pd.intake.fetch import fetch

    refused: list = []
    original = store._insert

    def insert(model, rows):
        if not refused:
            refused.append(len(rows))
            raise peewee.IntegrityError("refused by the test")
        return original(model, rows)

    monkeypatch.setattr(store, "_insert", insert)
    raws = [mail(i) for i in range(4)]
    imap.append(*raws)
    report = fetch(settings_for(imap.url()))
    assert refused == [4]
    assert [m["action"] for m in report.messages] == ["new"] * 4
    assert sorted(_stored(rawdb)) == sorted(_mids(raws))
    assert rawdb.execute("SELECT COUNT(*) FROM intake_item") == [(4,)]
    assert rawdb.execute("SELECT COUNT(*) FROM event WHERE kind = 'intake_received'") == [(4,)]
    assert len(set(_instants(rawdb))) == 1 and _chain_ok()


def test_a_text_the_database_refuses_mid_batch_never_holds_up_the_rest(ledger, rawdb):
    """A NUL character (Dovecot replaces it, so receive_many() is given the bytes directly): SQLite
    stores it; PostgreSQL refuses it in a text column, so the run's INSERT fails, then that mail
    alone, which is quarantined. The others are stored either way, in the one transaction."""
    from pd.config import load_settings
    from pd.intake.store import receive_many

    raws = [mail(0), mail(1, body="Labdien!\x00 Nulles baits."), mail(2)]
    results = receive_many(load_settings(), raws, source="test")
    assert [r["action"] for r in results] == ["new", "quarantined" if rawdb.pg else "new", "new"]
    assert set(_mids([raws[0], raws[2]])) <= set(_stored(rawdb))
    assert len(_instants(rawdb)) == 3 and len(set(_instants(rawdb))) == 1 and _chain_ok()


# Run as `python -c` with the test's environment: pd mail fetch, SIGKILLed inside the transaction that
# takes message nr. 150 (the second IMAP batch), after its messages are written and before the commit.
KILLED_INSIDE_A_BATCH = r"""
import os, signal, sys
from pd.intake import store

original = store._insert
armed = []

def insert(model, rows):
    if model.__name__ == "InboundMessage" and any(r["subject"].endswith("nr. 150") for r in rows):
        armed.append(True)
    elif armed:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(model, rows)

store._insert = insert
sys.argv = ["pd", "mail", "fetch"]
from pd.cli import main
main()
"""


def test_killed_inside_a_batch_transaction_then_fetched_again_each_message_is_stored_once(imap, fetch_env, rawdb):
    raws = [mail(i) for i in range(1, 251)]
    imap.append(*raws)
    p = subprocess.run([sys.executable, "-c", KILLED_INSIDE_A_BATCH], env=fetch_env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert p.returncode == -signal.SIGKILL, p.stderr
    stored = _stored(rawdb)
    # Committed: the first batch, and perhaps the start of the second (a transaction holds the lock
    # 0.25 s at most); nothing of the transaction that was killed.
    k = len(stored)
    assert 100 <= k < 150 and sorted(stored) == sorted(_mids(raws[:k]))
    assert rawdb.execute("SELECT last_uid FROM imap_mailbox") == [(k,)]  # raised with each commit
    assert sorted(_mids(imap.messages(DONE))) == sorted(_mids(raws[:100]))  # a batch is moved after its commits
    assert len(imap.uids("INBOX")) == 150
    r = run_pd("mail", "fetch", "--json", env=fetch_env)
    assert r.returncode == 0, r.stderr
    assert [g["action"] for g in json.loads(r.stdout)] == ["new"] * (250 - k)  # the committed ones moved unread
    assert sorted(_stored(rawdb)) == sorted(_mids(raws))
    assert imap.uids("INBOX") == [] and sorted(_mids(imap.messages(DONE))) == sorted(_mids(raws))
    assert rawdb.execute("SELECT COUNT(*) FROM event WHERE kind = 'intake_received'") == [(250,)]
    v = run_pd("audit", "verify", env=fetch_env)
    assert v.returncode == 0, v.stdout + v.stderr


def test_two_fetches_at_once_take_each_message_once(imap, fetch_env, rawdb):
    raws = [mail(i) for i in range(120)]
    imap.append(*raws)
    run_pd("db", "upgrade", env=fetch_env)  # a ledger to share (creating one at once is another test's)
    env = dict(fetch_env, PD_BUSY_TIMEOUT="60")  # two writers on a machine shared with other work
    procs = [subprocess.Popen([sys.executable, "-m", "pd", "mail", "fetch", "--json"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    reports = [json.loads(o) for o, _ in outs]
    assert sum(g["action"] == "new" for rep in reports for g in rep) == 120
    assert sorted(_stored(rawdb)) == sorted(_mids(raws))
    assert imap.uids("INBOX") == []
    assert sorted(_mids(imap.messages(DONE))) == sorted(_mids(raws))


def _lines(stream):
    import queue
    import threading

    q: queue.Queue = queue.Queue()

    def pump():
        for line in stream:
            q.put(line)
        q.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return q


def _next(q, timeout: float = 20.0) -> str:
    import queue

    try:
        line = q.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"nothing within {timeout} s") from None
    assert line is not None, "the stream ended"
    return line


def test_watch_takes_mail_as_it_comes_survives_a_server_restart_and_leaves_on_sigterm(imap, fetch_env, rawdb):
    a, b, c = mail(1), mail(2), mail(3)
    imap.append(a)
    p = subprocess.Popen([sys.executable, "-m", "pd", "mail", "fetch", "--watch", "--json"], env=fetch_env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = _lines(p.stdout), _lines(p.stderr)
        assert json.loads(_next(out))["action"] == "new"  # what was there already
        assert "gaida vēstules pastkastē imap://pd:***@127.0.0.1" in _next(err)
        time.sleep(0.5)  # it waits in IDLE now
        imap.append(b)
        assert json.loads(_next(out, 10))["action"] == "new"  # IDLE woke it
        imap.stop()
        assert "atkārtots mēģinājums pēc" in _next(err)
        imap.start()
        imap.append(c)
        assert json.loads(_next(out, 30))["action"] == "new"  # reconnected by itself
        assert sorted(_stored(rawdb)) == sorted(_mids([a, b, c]))
        # the line is printed once the ledger has committed; the MOVE to the done folder follows it
        deadline = time.monotonic() + 10
        while imap.uids("INBOX") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert imap.uids("INBOX") == []
        p.send_signal(signal.SIGTERM)
        assert p.wait(15) == 0
        rest = []
        while (line := _next(err)) is not None and "apturēts" not in line:
            rest.append(line)
        assert "šajā reizē saņemtas 3 vēstules" in line
        assert all("Traceback" not in x for x in rest)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(5)


def test_pd_info_shows_the_intake_configuration_with_the_password_masked(pd, imap):
    imap.append(mail(1), mail(2))
    env = {"PD_IMAP_URL": imap.url(), "PD_IMAP_DONE": "Apstrādāts"}
    pd.ok("mail", "fetch", user="system", env=env)
    assert imap.uids("Apstrādāts") == [1, 2]  # a Latvian folder name, created (modified UTF-7 on the wire)
    d = pd.ok("info", "--json", env=env).json()
    assert d["imap"] == f"imap://pd:***@127.0.0.1:{imap.port}/INBOX"
    assert d["imap_done"] == "Apstrādāts"
    assert d["imap_uidvalidity"] == imap.uidvalidity("INBOX") and d["imap_fetched"] == 2
    assert d["imap_last_fetch"].endswith(("+02:00", "+03:00")) and d["intake_new"] == 2
    text = pd.ok("info", env=env).stdout
    assert re.search(rf"^pastkaste \(IMAP\): +imap://pd:\*\*\*@127\.0\.0\.1:{imap.port}/INBOX$", text, re.M), text
    assert "s3cr" not in text + json.dumps(d)
