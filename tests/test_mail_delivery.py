"""pd mail send against a real SMTP server (SPEC 6): what is queued, to whom, how it arrives.

Every message is written to the outbox by the change that causes it and
delivered afterwards by `pd mail send`; these tests parse what a real
(aiosmtpd, loopback) server received with the standard library.
"""
from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime

from tests.conftest import clock_at

DOMAIN = "ic.iem.gov.lv"
DESK = "servicedesk@ic.iem.gov.lv"
REQUESTER = "janis.berzins@vp.gov.lv"          # the conftest's default requester
EXPERT = "janis.berzins@ic.iem.gov.lv"         # jberzins
MANAGER = "valdis.kalejs@ic.iem.gov.lv"        # vkalejs, jberzins's manager

RESPOND_BY = "2027-01-04T10:00"                # a Monday, working time
RESOLVE_BY = "2027-01-05T10:00"


# ---------------------------------------------------------------- helpers
def _send(pd, smtp_url: str | None = None, **env):
    extra = dict(env)
    if smtp_url:
        extra["PD_SMTP_URL"] = smtp_url
    return pd("mail", "send", user="system", env=extra)


def _outbox(pd, *flags) -> list[dict]:
    return pd.ok("mail", "list", "--limit", "1000", "--json", *flags).json()


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def _body(msg) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None, "no text/plain part"
    assert part.get_content_charset() == "utf-8"
    return part.get_content()


def _received(server) -> dict[str, tuple]:
    """Message-ID -> (envelope, parsed message); asserts no Message-ID arrived twice."""
    by_id: dict[str, tuple] = {}
    for env in server.envelopes:
        msg = _parse(env.data)
        mid = str(msg["Message-ID"])
        assert mid not in by_id, f"{mid} arrived twice"
        by_id[mid] = (env, msg)
    return by_id


def _assigned(pd, n: str, expert: str = "jberzins") -> None:
    pd.ok("assign", n, "--expert", expert, "--respond-by", RESPOND_BY, "--resolve-by", RESOLVE_BY)


def _queue_requests(pd, count: int) -> list[str]:
    """`count` requests, each assigned: two messages each (assigned_expert, forwarded_user)."""
    numbers = []
    for i in range(count):
        n = pd.register(description=f"Neienāk e-pasts nr. {i + 1}")
        _assigned(pd, n)
        numbers.append(n)
    return numbers


def _future(iso_text: str) -> bool:
    return datetime.fromisoformat(iso_text) > datetime.now().astimezone()


# ---------------------------------------------------------------- the whole cycle
def test_every_message_kind_of_a_cycle_reaches_a_real_smtp_server(pd, smtp_server):
    description = "Neienāk e-pasts kopš rīta; Outlook rāda kļūdu, lūdzu pārbaudīt pastkasti"
    result = "Pastkaste atbloķēta, e-pasts atkal ienāk"
    delay_reason = "Nepieciešama piegādātāja iesaiste"
    n = pd.register(description=description)
    _assigned(pd, n)
    with clock_at("2027-01-04T10:00:01"):  # cron runs at that time: a later --now is for --dry-run only
        esc = pd.ok("escalate-overdue", "--now", "2027-01-04T10:00:01", "--no-send", user="system")
    assert f"{n} escalated: not_accepted (level 1) to vkalejs" in esc.stdout
    pd.ok("accept", n, user="jberzins")
    pd.ok("note", n, "--text", "Gaidām piegādātāja atbildi", "--delay-reason", delay_reason,
          "--planned", "2027-01-08", user="jberzins")
    pd.ok("resolve", n, "--result", result, user="jberzins")
    pd.ok("close", n, "--confirmed")
    refused_description = "Lūdzu salabot mājas printeri"
    m = pd.register(description=refused_description, service="DATORS", location="Čiekurkalna 1. līnija 1",
                    room="101", out_of_scope=True, reason="Privāta iekārta, nav Centra kompetencē")

    queued = {x["message_id"]: x for x in _outbox(pd)}
    assert sorted(x["kind"] for x in queued.values()) == sorted([
        "assigned_expert", "forwarded_user", "escalation_manager", "delay_user", "resolved_user", "closed_user",
        "refused_user"])

    with clock_at("2027-01-04T10:00:01"):  # the manager's mail is due from cron's run on
        r = _send(pd, smtp_server.url)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.count("sent message") == 7
    got = _received(smtp_server)
    assert set(got) == set(queued)

    want_to = {"assigned_expert": [EXPERT], "forwarded_user": [REQUESTER], "escalation_manager": [MANAGER],
               "delay_user": [REQUESTER], "resolved_user": [REQUESTER], "closed_user": [REQUESTER],
               "refused_user": [REQUESTER]}
    bodies = {}
    for mid, (env, msg) in got.items():
        row = queued[mid]
        kind = row["kind"]
        number = m if kind == "refused_user" else n
        # envelope and headers
        assert env.rcpt_tos == want_to[kind], kind
        assert [a.addr_spec for a in msg["To"].addresses] == want_to[kind], kind
        assert msg["From"].addresses[0].addr_spec == DESK
        assert env.mail_from == DESK
        # the subject: the number tag, Latvian letters survive RFC 2047, exactly what the outbox holds
        subject = str(msg["Subject"])
        assert f"[PD {number}]" in subject, subject
        assert subject == row["subject"]
        assert any(ch in subject for ch in "āčēģīķļņšūž"), subject
        assert env.data.isascii(), f"{kind}: not 7-bit clean"
        raw_headers = env.data.split(b"\r\n\r\n", 1)[0]
        assert b"=?utf-8?" in raw_headers.lower(), kind
        # threading: the request's pseudo-root leads References; each recipient's first
        # message is their root, a later one replies to their previous one (checked below)
        root = f"<pd-{number}@{DOMAIN}>"
        assert str(msg["References"]).split()[0] == root, kind
        assert mid != root and mid.startswith(f"<pd-{number}.") and mid.endswith(f"@{DOMAIN}>")
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["X-Auto-Response-Suppress"] == "All"
        assert msg["X-Loop"] == DESK
        body = _body(msg)
        assert msg.get_content_type() == "text/plain"
        bodies[kind] = body
        if kind == "refused_user":
            assert refused_description in body
        else:
            assert description in body, kind

    assert len(got) == len({str(msg["Message-ID"]) for _, msg in got.values()}) == 7
    # one subject per request: "[PD N] <short title of the description>"
    assert {str(msg["Subject"]) for env, msg in got.values() if f"[PD {n}]" in str(msg["Subject"])} == {
        f"[PD {n}] Neienāk e-pasts kopš rīta"}
    # per recipient: the first message is the root, each later one names it and its predecessor
    by_rcpt: dict[str, list] = {}
    for row in sorted(queued.values(), key=lambda x: x["id"]):
        by_rcpt.setdefault((row["request"], row["recipients"][0]), []).append(got[row["message_id"]][1])
    for rcpt, msgs in by_rcpt.items():
        first = msgs[0]
        assert first["In-Reply-To"] is None, rcpt
        for before, msg in zip(msgs, msgs[1:]):
            refs = str(msg["References"]).split()
            assert str(msg["In-Reply-To"]) == str(before["Message-ID"]), rcpt
            assert refs[1] == str(first["Message-ID"]) and refs[-1] == str(before["Message-ID"]), rcpt
    assert len(by_rcpt[(n, REQUESTER)]) == 4          # forwarded, delay, resolved, closed
    assert len(by_rcpt[(m, REQUESTER)]) == 1          # refused: a thread of its own
    assert "Reaģēšanas termiņš: 04.01.2027 10:00" in bodies["assigned_expert"]
    assert "Izskatīšanas termiņš: 05.01.2027 10:00" in bodies["assigned_expert"]
    assert "Izskatīšanas termiņš: 05.01.2027 10:00" in bodies["forwarded_user"]
    assert "Plānotais izpildes termiņš: 08.01.2027" in bodies["delay_user"]
    assert delay_reason in bodies["delay_user"]
    assert result in bodies["resolved_user"]
    assert result in bodies["closed_user"]
    assert "vadītājam Valdim Kalējam" in bodies["escalation_manager"]
    assert "— nodots ekspertam Jānim Bērziņam" in bodies["escalation_manager"]   # the history, by name
    assert "jberzins" not in bodies["escalation_manager"]
    assert "Guntis Āboliņš" in bodies["refused_user"]           # VP's ICT contact person [§7.3]

    # marked sent, once; a second run sends nothing
    outbox = _outbox(pd)
    assert {x["status"] for x in outbox} == {"sent"}
    assert {x["attempts"] for x in outbox} == {1}
    again = _send(pd, smtp_server.url)
    assert again.exit_code == 0 and again.stdout == ""
    assert len(smtp_server.envelopes) == 7


def test_the_user_is_told_of_the_forwarding_once_a_reassigned_expert_is_told_again(pd):
    n = pd.register()
    _assigned(pd, n)
    pd.ok("assign", n, "--expert", "lkalnina", "--reason", "Aizvieto atvaļinājuma laikā")
    outbox = sorted(_outbox(pd), key=lambda x: x["id"])
    assert [(x["kind"], x["recipients"]) for x in outbox] == [
        ("assigned_expert", [EXPERT]), ("forwarded_user", [REQUESTER]),
        ("assigned_expert", ["laura.kalnina@ic.iem.gov.lv"]), ("taken_expert", [EXPERT])]


def test_pd_lang_en_gives_english_subjects(pd, smtp_server, monkeypatch):
    monkeypatch.setenv("PD_LANG", "en")
    n = pd.register()
    _assigned(pd, n)
    pd.ok("accept", n, user="jberzins")
    pd.ok("resolve", n, "--result", "Mailbox unlocked", user="jberzins")
    pd.ok("close", n, "--confirmed")
    assert _send(pd, smtp_server.url).exit_code == 0
    got = sorted(_received(smtp_server).values(), key=lambda x: x[1]["Date"].datetime)
    assert {str(msg["Subject"]) for _, msg in got} == {f"[PD {n}] Neienāk e-pasts kopš rīta"}
    firsts = {_body(msg).splitlines()[0] for _, msg in got}
    assert firsts == {
        f"Hello, request No. {n} has been assigned to you.",
        f"Hello, your request No. {n} is registered and with an expert.",
        f"Hello, your request No. {n} has been resolved.",
        f"Hello, your request No. {n} has been closed.",
    }


def test_a_requester_without_email_gets_no_message_and_the_desk_is_told(pd, smtp_server):
    n = pd.register(email=None)
    r = pd("assign", n, "--expert", "jberzins", "--respond-by", RESPOND_BY, "--resolve-by", RESOLVE_BY)
    assert r.exit_code == 0, r.stderr
    pd.ok("accept", n, user="jberzins")
    assert pd("resolve", n, "--result", "Atbloķēts", user="jberzins").exit_code == 0
    kinds = Counter(x["kind"] for x in _outbox(pd))
    assert kinds == {"assigned_expert": 1, "desk_notice": 2}
    assert not any(k in kinds for k in ("forwarded_user", "resolved_user"))
    skipped = [e for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "mail_skipped"]
    assert [e["data"]["kind"] for e in skipped] == ["forwarded_user", "resolved_user"]

    r = _send(pd, smtp_server.url)
    assert r.exit_code == 0, r.stderr
    got = list(_received(smtp_server).values())
    assert len(got) == 3
    recipients = sorted(a for env, _ in got for a in env.rcpt_tos)
    assert recipients == sorted([EXPERT, DESK, DESK])
    notices = [msg for env, msg in got if env.rcpt_tos == [DESK]]
    notices.sort(key=lambda msg: _body(msg).count("izpildīts"))    # forwarded_user's, then resolved_user's
    for msg in notices:
        assert f"[PD {n}]" in str(msg["Subject"])
        assert str(msg["References"]).split()[0] == f"<pd-{n}@{DOMAIN}>"
        body = _body(msg)
        assert body.startswith("Vēstule netika nosūtīta: paziņojums pieteicējam par pieteikuma"), body
        assert "Iemesls: pieteicējs nav norādījis e-pasta adresi." in body
        assert "pieteicējam Jānim Bērziņam pa tālruni +371 26123456" in body
        assert "refused_user" not in body and "resolved_user" not in body and "forwarded_user" not in body
    assert notices[0]["In-Reply-To"] is None                       # the desk's first message of N: its root
    assert str(notices[1]["In-Reply-To"]) == str(notices[0]["Message-ID"])
    assert "Nenosūtītās vēstules teksts:\n  Labdien! Jūsu pieteikums Nr." in _body(notices[1]).replace("\r\n", "\n")
    assert "ir izpildīts" in _body(notices[1])


# ---------------------------------------------------------------- failures
def test_server_down_exit_8_nothing_lost_then_each_message_arrives_once(pd, smtp_server):
    _queue_requests(pd, 3)
    assert len(_outbox(pd, "--pending")) == 6
    url = smtp_server.url
    smtp_server.stop()

    r = _send(pd, url)
    assert r.exit_code == 8
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Kļūda: "), r.stderr
    assert "Traceback" not in r.stderr
    assert f"127.0.0.1:{smtp_server.port}" in lines[0]

    pending = _outbox(pd, "--pending")
    assert len(pending) == 6 and {x["status"] for x in pending} == {"pending"}
    # every waiting message backs off, not only the one that met the dead server
    for x in pending:
        assert x["attempts"] == 1
        assert x["last_error"] and "127.0.0.1" in x["last_error"]
        assert _future(x["next_attempt_at"]), x
    assert all(x["sent_at"] is None for x in pending)
    # a second run before the back-off is over tries nothing
    assert _send(pd, url).exit_code == 0

    smtp_server.start()
    for x in pending:
        pd.ok("mail", "retry", str(x["id"]))
    r = _send(pd, url)
    assert r.exit_code == 0, r.stderr
    got = _received(smtp_server)                       # asserts no Message-ID twice
    assert set(got) == {x["message_id"] for x in pending}
    outbox = _outbox(pd)
    assert {x["status"] for x in outbox} == {"sent"}

    again = _send(pd, url)
    assert again.exit_code == 0 and again.stdout == "" and again.stderr == ""
    assert len(smtp_server.envelopes) == 6


def test_a_550_refusal_fails_the_message_for_good_and_a_sent_one_is_not_retried(pd, smtp_server):
    n = pd.register()
    _assigned(pd, n)
    first, second = sorted(_outbox(pd), key=lambda x: x["id"])
    smtp_server.fail_next(1, 550)

    r = _send(pd, smtp_server.url)
    assert r.exit_code == 3, r.stderr  # a message failed for good in this run: not 0 (cron tells the admin)
    assert "Traceback" not in r.stderr
    assert f"Kļūda: 1 message(s) failed for good ({first['id']}; pd mail list --failed), 1 sent" in r.stderr
    again = _send(pd, smtp_server.url)
    assert (again.exit_code, again.stdout) == (0, "")  # nothing failed in this run
    failed = _outbox(pd, "--failed")
    assert [x["id"] for x in failed] == [first["id"]]
    assert failed[0]["status"] == "failed"
    assert "550 5.7.1 Message rejected" in failed[0]["last_error"]
    assert f"message {first['id']} failed for good" in r.stderr
    sent = _outbox(pd, "--sent")
    assert [x["id"] for x in sent] == [second["id"]]
    assert len(smtp_server.envelopes) == 1

    r = pd("mail", "retry", str(second["id"]))
    assert r.exit_code == 5
    assert "not sent twice" in r.stderr and "Traceback" not in r.stderr
    assert pd("mail", "retry", "99999").exit_code == 4

    # a failed message can be retried by hand and then arrives
    pd.ok("mail", "retry", str(first["id"]))
    assert _send(pd, smtp_server.url).exit_code == 0
    got = _received(smtp_server)
    assert set(got) == {first["message_id"], second["message_id"]}


def test_no_transport_is_exit_7_and_pd_mail_dir_writes_eml_files(pd, tmp_path):
    n = pd.register()
    _assigned(pd, n)
    r = _send(pd)
    assert r.exit_code == 7
    assert "PD_SMTP_URL" in r.stderr and "PD_MAIL_DIR" in r.stderr
    assert "2 message(s) wait in the outbox" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert {(x["status"], x["attempts"]) for x in _outbox(pd)} == {("pending", 0)}

    maildir = tmp_path / "outgoing"
    r = _send(pd, PD_MAIL_DIR=str(maildir))
    assert r.exit_code == 0, r.stderr
    files = sorted(maildir.glob("*.eml"))
    assert len(files) == 2
    queued = {x["message_id"]: x for x in _outbox(pd)}
    assert {x["status"] for x in queued.values()} == {"sent"}
    seen = set()
    for f in files:
        msg = _parse(f.read_bytes())
        mid = str(msg["Message-ID"])
        seen.add(mid)
        assert str(msg["Subject"]) == queued[mid]["subject"]
        assert f"[PD {n}]" in str(msg["Subject"])
        assert str(msg["References"]).split()[0] == f"<pd-{n}@{DOMAIN}>"
        assert "Neienāk e-pasts kopš rīta" in _body(msg)
        assert msg["X-PD-Envelope-To"] in (EXPERT, REQUESTER)
    assert seen == set(queued)
    assert not [p for p in maildir.iterdir() if p.name.startswith(".")]   # no temporary files left


def test_two_senders_at_once_deliver_each_message_exactly_once(pd, pd_env, smtp_server):
    _queue_requests(pd, 10)
    queued = {x["message_id"] for x in _outbox(pd)}
    assert len(queued) == 20
    env = dict(os.environ)
    env.update(pd_env)
    env.update({"PD_USER": "system", "PD_SMTP_URL": smtp_server.url})
    procs = [subprocess.Popen([sys.executable, "-m", "pd", "mail", "send"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (o, e) in zip(procs, outs):
        assert p.returncode == 0, e
    ids = Counter(str(_parse(env_.data)["Message-ID"]) for env_ in smtp_server.envelopes)
    assert set(ids) == queued
    assert all(c == 1 for c in ids.values()), [m for m, c in ids.items() if c > 1]
    # each message was reported sent by exactly one of the two processes
    reported = Counter(line for o, _ in outs for line in o.splitlines() if line.startswith("sent message"))
    assert len(reported) == 20 and set(reported.values()) == {1}
    outbox = _outbox(pd)
    assert {x["status"] for x in outbox} == {"sent"} and {x["attempts"] for x in outbox} == {1}


def test_bad_credentials_are_exit_7_and_the_messages_wait(pd, smtp_auth_server):
    _queue_requests(pd, 2)
    wrong = smtp_auth_server.plain_url.replace("smtp://", "smtp://pd-desk:wrong@")
    r = _send(pd, wrong)
    assert r.exit_code == 7, r.stderr
    assert "wrong" not in r.stderr
    pending = _outbox(pd, "--pending")
    assert len(pending) == 4 and all(x["attempts"] == 0 for x in pending)
    ok = _send(pd, smtp_auth_server.url)
    assert ok.exit_code == 0, ok.stderr
    assert len(smtp_auth_server.envelopes) == 4
