"""pd mail fetch takes mail apart in a second process (pd/intake/ahead.py) and writes a batch's
new mail with one statement per table (COPY on PostgreSQL): the same result as taking each message
apart here and storing it alone, a child that dies costs nothing, and none is left behind."""
from __future__ import annotations

import os
import signal
from datetime import datetime, timezone

import pytest

from tests import intake_mail as M
from tests.conftest import process_gone
from tests.imap_server import DovecotServer

SECRET = "Zilonis#77"


def corpus() -> list[bytes]:
    """Mail of every shape the intake knows, a broken one and a password among them."""
    return [
        M.plain(subject="Neienāk e-pasts", body="Labdien!\nKopš rīta neienāk e-pasts.\n"),
        M.outlook_reply_lv(subject="RE: [PD 2026-000001] Printeris"),
        M.gmail_reply_en(subject="Re: [PD 2026-000002] VPN"),
        M.undeclared_cp1257(body="Ļoti steidzami: šķiet, ka ūdens sabojāja printeri.\n", subject="Printeris"),
        M.html_only(html="<p>Labdien,</p><p>mana parole: <b>Kaķis#2026</b></p><p>Jānis</p>"),
        M.with_attachment(name="akts_Nr.5.pdf", data=b"%PDF-1.4 " + bytes(range(256)) * 40),
        M.auto_reply(subject="[PD 2026-000003] Tīkls"),
        M.dsn(original_message_id="<pd-1@ic.iem.gov.lv>", recipient="nav.tada@vp.gov.lv"),
        M.plain(subject=f"Mana parole: {SECRET} vairs neder", body=f"parole: {SECRET}\n"),
        b"\x00\x01 this is not a mail at all",
        M.plain(subject="Tab\tun\\slīpsvītra", body="Rinda 1\r\nRinda\t2 \\n nav jaunā rinda\n"),
    ]


def _view(p) -> dict:
    """What the ledger is given of a prepared message."""
    out = {"raw": p.raw, "digest": p.digest, "stored": p.stored, "redacted": p.redacted, "error": p.error,
           "texts": p.texts}
    m = p.mail
    if m is not None:
        out.update({k: getattr(m, k) for k in (
            "message_id", "sender_name", "sender_email", "subject", "sent_at", "in_reply_to", "references", "text",
            "html", "charset_notes", "content_type", "report_type", "reply")})
        out["attachments"] = [a.as_dict() for a in m.attachments]
        out["headers"] = {h: m.header_values(h) for h in ("X-Loop", "Auto-Submitted", "Precedence", "Subject")}
        out["parts"] = [part.get_content_type() for part in m.message.walk()]
    return out


@pytest.fixture
def settings(pd_env):
    from pd.config import load_settings

    return load_settings()


def test_a_message_prepared_in_the_second_process_is_what_this_one_would_make(settings):
    from pd.intake.ahead import Preparer
    from pd.intake.classify import delivery_report
    from pd.intake.store import prepare

    raws = corpus()
    here = [prepare(settings, raw) for raw in raws]
    with Preparer(lambda raw: prepare(settings, raw)) as ahead:
        assert ahead.forked and ahead.pid != os.getpid()
        ahead.submit(raws)
        there = ahead.results()
        pid = ahead.pid
    assert process_gone(pid)
    # The message itself did not cross: it is taken apart again, from the kept copy, when asked for.
    assert all("message" not in p.mail.__dict__ for p in there if p.mail is not None)
    assert [_view(p) for p in there] == [_view(p) for p in here]
    assert there[9].mail is None and there[9].error.startswith("BrokenMail")
    assert there[8].redacted and SECRET.encode() not in there[8].stored and "[REDACTED]" in there[8].texts["subject"]
    report = delivery_report(there[7].mail)
    assert report is not None and report.failed[0]["recipient"] == "nav.tada@vp.gov.lv"
    assert report == delivery_report(here[7].mail)


def test_a_second_process_that_dies_costs_nothing_the_batch_is_prepared_here(settings):
    from pd.intake.ahead import Preparer
    from pd.intake.store import prepare

    raws = corpus()
    with Preparer(lambda raw: prepare(settings, raw)) as ahead:
        pid = ahead.pid
        os.kill(pid, signal.SIGKILL)
        ahead.submit(raws)  # (the pipe may take it or not: either way the answer is made here)
        got = ahead.results()
        assert not ahead.forked and process_gone(pid)
        ahead.submit(raws[:2])
        again = ahead.results()
    assert [_view(p) for p in got] == [_view(prepare(settings, raw)) for raw in raws]
    assert [p.digest for p in again] == [p.digest for p in got[:2]]


def test_an_error_the_second_process_meets_is_raised_here_as_it_would_be_alone(settings):
    from pd.errors import TemporaryFailure
    from pd.intake.ahead import Preparer
    from pd.intake.store import prepare

    def flaky(raw: bytes):
        if b"Printeris" in raw:
            raise TemporaryFailure("out of memory, for the test")
        return prepare(settings, raw)

    with Preparer(flaky) as ahead:
        ahead.submit([M.plain(subject="Labi"), M.plain(subject="Printeris")])
        with pytest.raises(TemporaryFailure, match="for the test"):
            ahead.results()


def test_copy_and_insert_store_every_kind_of_value_exactly(ledger_url, pd_env, rawdb):
    """The batch's writer (COPY on PostgreSQL, a many-row INSERT on SQLite): tabs, line ends, backslashes,
    Latvian letters, every byte value, NULL, flags and instants read back as they went in."""
    from pd.config import load_settings
    from pd.db.connection import write_transaction
    from pd.db.intake_models import InboundMessage as IM
    from pd.intake.store import _insert
    from pd.ledger import Ledger

    Ledger(load_settings())
    at = datetime(2026, 12, 2, 14, 5, 6, 123456, tzinfo=timezone.utc)
    tricky = "Ā\tč\\ē\nģ\r\nī \\N ķ\\x00ļ \u200b ņšūž"
    rows = [
        {"id": 7, "received_at": at, "source": "test", "message_id": "<a\\b@c>", "digest": "d1",
         "sender_name": tricky, "sender_email": "a@b.lv", "subject": tricky, "sent_at": None, "text": tricky,
         "reply": "", "html": True, "charset_note": None, "attachments": "[]", "raw": bytes(range(256)) * 3,
         "redacted": False, "action": "new", "flag": None},
        {"id": 8, "received_at": at, "source": "test", "message_id": None, "digest": "d2", "subject": "\\",
         "raw": b"", "redacted": True, "action": "new", "sent_at": datetime(2026, 1, 1, tzinfo=timezone.utc)},
    ]
    with write_transaction():
        _insert(IM, rows)
    a, b = IM.get_by_id(7), IM.get_by_id(8)
    assert (a.sender_name, a.subject, a.text, a.message_id) == (tricky, tricky, tricky, "<a\\b@c>")
    assert bytes(a.raw) == bytes(range(256)) * 3 and a.html is True and a.redacted is False
    assert a.received_at == at and a.sent_at is None and a.charset_note is None and a.flag is None
    assert b.message_id is None and b.subject == "\\" and bytes(b.raw) == b"" and b.redacted is True
    assert b.sender_name == "" and b.text == "" and b.sent_at == datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_new_mail_of_a_batch_is_written_together_not_one_by_one(pd_env, rawdb, monkeypatch):
    """The common case takes the batch writer; were it to fail each time (say, a value COPY cannot
    write), every mail would still be stored, alone and slowly: this test is what notices."""
    from pd.config import load_settings
    from pd.intake import store

    alone: list = []
    original = store._store_in
    monkeypatch.setattr(store, "_store_in", lambda *a, **k: alone.append(1) or original(*a, **k))
    raws = [M.plain(subject=f"Nr. {i}", body="Rinda\tar tabu\\ un jaunu\nrindu\n") for i in range(30)]
    results = store.receive_many(load_settings(), raws, source="test")
    assert [r["action"] for r in results] == ["new"] * 30 and alone == []
    assert rawdb.execute("SELECT COUNT(*) FROM intake_item") == [(30,)]
    assert rawdb.execute("SELECT text FROM inbound_message ORDER BY id")[0][0] == "Rinda\tar tabu\\ un jaunu\nrindu"


def test_fetch_of_several_batches_prepares_ahead_and_stores_what_receive_would(pd_env, rawdb, monkeypatch):
    """Three IMAP batches through the second process: each mail's outcome and stored row are what
    `pd mail ingest` makes of it; the child is gone when the fetch returns."""
    from pd.config import load_settings
    from pd.intake import ahead
    from pd.intake.fetch import fetch
    from pd.ledger import Ledger

    Ledger(load_settings())
    pids: list[int] = []
    original = ahead.Preparer._start

    def start(self):
        original(self)
        pids.append(self.pid)

    monkeypatch.setattr(ahead.Preparer, "_start", start)
    raws = [M.plain(subject=f"Pieprasījums nr. {i}", body=f"Labdien! Nr. {i}; ūdens šķīvī.\n") for i in range(250)]
    raws[120] = M.plain(subject=f"Mana parole: {SECRET} vairs neder", body=f"parole: {SECRET}\n")
    raws[150] = M.auto_reply(subject="[PD 2026-000009] Tīkls")
    raws[230] = b"\x00\x01 this is not a mail at all"
    with DovecotServer() as srv:
        srv.append(*raws)
        settings = load_settings(dict(os.environ, PD_IMAP_URL=srv.url(), PD_USER="system"))
        report = fetch(settings)
        assert srv.uids("INBOX") == []
    assert len(pids) == 1 and pids[0] is not None and process_gone(pids[0])
    actions = [m["action"] for m in report.messages]
    assert len(actions) == 250 and actions[150] == "automatic" and actions[230] == "quarantined"
    assert actions.count("new") == 248
    rows = rawdb.execute("SELECT subject, text, raw FROM inbound_message ORDER BY id")
    assert len(rows) == 249 and rows[120][0] == "Mana parole: [REDACTED] vairs neder"
    assert SECRET.encode() not in bytes(rows[120][2]) and SECRET not in rows[120][1]
    assert rows[7][1] == "Labdien! Nr. 7; ūdens šķīvī."
    assert rawdb.execute("SELECT COUNT(*) FROM quarantined_message") == [(1,)]
    from pd.ledger import verify_chain

    assert verify_chain()["ok"]


def test_a_fetch_of_one_batch_forks_nothing(pd_env, monkeypatch):
    """Cron's every-minute fetch of a few mails: the mail is taken apart in the one process."""
    from pd.config import load_settings
    from pd.intake import ahead
    from pd.intake.fetch import fetch
    from pd.ledger import Ledger

    Ledger(load_settings())
    monkeypatch.setattr(ahead.Preparer, "_start", lambda self: pytest.fail("forked for one batch"))
    with DovecotServer() as srv:
        srv.append(*[M.plain(subject=f"Nr. {i}") for i in range(3)])
        report = fetch(load_settings(dict(os.environ, PD_IMAP_URL=srv.url(), PD_USER="system")))
    assert [m["action"] for m in report.messages] == ["new"] * 3
