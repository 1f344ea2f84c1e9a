"""Issue 17's "Done when": a whole conversation by mail through the test IMAP server (Dovecot) and
a real SMTP sink, on SQLite and (PD_TEST_DATABASE_URL) PostgreSQL:

a new request by mail, registered from the intake; assigned; the expert accepts by mail; the expert
asks, the user answers by mail and the request resumes; the expert resolves by mail; the user
objects; reopened; resolved again; the user thanks, and the request is closed. Every mail the desk
sent is then read whole, as a mail client shows it."""
from __future__ import annotations

import email
import email.policy
import email.utils

import pytest

from tests import intake_mail as M
from tests.imap_server import DovecotServer
from tests.test_mail_templates import read_as_a_person

USER = "Inga Pūpola <inga.pupola@vugd.gov.lv>"
USER_ADDR = "inga.pupola@vugd.gov.lv"
EXPERT = "Jānis Bērziņš <janis.berzins@ic.iem.gov.lv>"
EXPERT_ADDR = "janis.berzins@ic.iem.gov.lv"


@pytest.fixture
def imap():
    srv = DovecotServer()
    srv.start()
    yield srv
    srv.close()


class Conversation:
    def __init__(self, pd, imap, smtp):
        self.pd, self.imap, self.smtp = pd, imap, smtp
        self.read = 0  # envelopes already handed out

    def fetch(self) -> list[dict]:
        return self.pd.ok("mail", "fetch", "--json", user="system", env={"PD_IMAP_URL": self.imap.url()}).json()

    def send(self) -> list[tuple[str, email.message.EmailMessage]]:
        """Deliver the outbox; the new mail as (recipient, message), in order."""
        r = self.pd("mail", "send", user="system", env={"PD_SMTP_URL": self.smtp.url})
        assert r.exit_code == 0, r.stderr
        new = self.smtp.envelopes[self.read:]
        self.read = len(self.smtp.envelopes)
        return [(rcpt, email.message_from_bytes(e.data, policy=email.policy.default))
                for e in new for rcpt in e.rcpt_tos]

    def write(self, msg, body: str, sender: str) -> None:
        """The recipient presses Reply in a mail client: the quoted history under "… rakstīja:"."""
        refs = str(msg.get("References", "")).split() + [str(msg["Message-ID"])]
        quoted = "".join(f"> {line}\n" for line in msg.get_body(("plain",)).get_content().splitlines())
        self.imap.append(M.plain(
            sender=sender, subject="Re: " + str(msg["Subject"]), in_reply_to=str(msg["Message-ID"]),
            references=refs, body=f"{body}\n\n{email.utils.format_datetime(msg['Date'].datetime)}, "
                                  f"Pakalpojumu dienests rakstīja:\n{quoted}"))


def only(sent, address: str, first_line: str):
    got = [m for rcpt, m in sent if rcpt == address]
    assert len(got) == 1, [(r, m.get_body(("plain",)).get_content().split("\n")[0]) for r, m in sent]
    body = " ".join(got[0].get_body(("plain",)).get_content().split())  # as read, whatever the wrapping
    assert body.startswith(first_line), body
    return got[0]


def test_a_whole_conversation_by_mail_over_imap_and_smtp(pd, imap, smtp_server):
    c = Conversation(pd, imap, smtp_server)
    # 1. a new request by mail, registered from the intake
    imap.append(M.plain(sender=USER, subject="Neienāk e-pasts Outlook programmā",
                        body="Labdien!\n\nKopš rīta neienāk e-pasts, Outlook rāda kļūdu 0x800CCC0E.\n\n"
                             "Ar cieņu\nInga Pūpola\n"))
    got = c.fetch()
    assert [g["action"] for g in got] == ["new"]
    reg = pd.ok("intake", "register", str(got[0]["intake"]), "--service", "EPASTS", "--institution", "VUGD",
                "--phone", "26123456", "--json").json()
    n = reg["number"]
    assert (reg["channel"], reg["requester"]["email"]) == ("email", USER_ADDR)

    # 2. assigned: the expert gets the request and how to answer, the user that it was forwarded
    pd.ok("assign", n, "--expert", "jberzins")
    sent = c.send()
    assigned = only(sent, EXPERT_ADDR, f"Labdien! Jums nodots izskatīšanai pieteikums Nr. {n}.")
    only(sent, USER_ADDR, f"Labdien! Jūsu pieteikums Nr. {n} ir reģistrēts un nodots ekspertam.")
    assert "PIEŅEMU" in assigned.get_body(("plain",)).get_content()

    # 3. the expert accepts by mail
    c.write(assigned, "Pieņemu", EXPERT)
    assert [(g["action"], g["request"]) for g in c.fetch()] == [("follow_up", n)]
    assert pd.ok("show", n, "--json").json()["status"] == "in_progress"
    only(c.send(), EXPERT_ADDR, f"Labdien! Jūsu atbilde par pieteikumu Nr. {n} ir saņemta.")

    # 4. the expert asks; the user is sent the question and answers by mail; the request resumes
    pd.ok("wait", n, "--question", "Kurā telpā atrodas dators, un kāds ir tā inventāra numurs?", user="jberzins")
    question = only(c.send(), USER_ADDR, f"Labdien! Lai izpildītu Jūsu pieteikumu Nr. {n}, ekspertam vajadzīga")
    c.write(question, "Telpa 214, inventāra numurs VUGD-0417.", USER)
    c.fetch()
    assert pd.ok("show", n, "--json").json()["status"] == "in_progress"
    answer = only(c.send(), EXPERT_ADDR, f"Labdien! Saņemta atbilde uz jautājumu par pieteikumu Nr. {n}.")
    assert "Telpa 214, inventāra numurs VUGD-0417." in answer.get_body(("plain",)).get_content()

    # 5. the expert resolves by mail; the user gets the result and until when to object
    c.write(answer, "IZPILDĪTS Pārkonfigurēts IMAP konts; pasts ienāk.", EXPERT)
    c.fetch()
    assert pd.ok("show", n, "--json").json()["status"] == "resolved"
    sent = c.send()
    result = only(sent, USER_ADDR, f"Labdien! Jūsu pieteikums Nr. {n} ir izpildīts.")
    assert "Iebildumu termiņš:" in result.get_body(("plain",)).get_content()

    # 6. the user objects: close is refused, naming the reply; the operator reopens; both are told
    c.write(result, "Joprojām nestrādā, tā pati kļūda.", USER)
    c.fetch()
    r = pd("close", n)
    assert r.exit_code == 5 and "«Joprojām nestrādā, tā pati kļūda.»" in r.stderr and USER_ADDR in r.stderr
    assert [(e["reason"], e["request"]) for e in pd.ok("queue", "--json").json()["entries"]] == [("objection", n)]
    pd.ok("reopen", n, "--reason", "Pēc lietotājas teiktā joprojām nestrādā")
    sent = c.send()
    only(sent, USER_ADDR, f"Labdien! Jūsu pieteikums Nr. {n} ir atvērts atkārtoti, jo Jūs iebildāt pret tā")
    back = only(sent, EXPERT_ADDR, f"Labdien! Pieteikums Nr. {n} atkal ir pie Jums: lietotājs iebilda pret")
    assert "Joprojām nestrādā, tā pati kļūda." in back.get_body(("plain",)).get_content()

    # 7. resolved again, by mail
    c.write(back, "Izpildīts: nomainīts Outlook profils, pasts ienāk.", EXPERT)
    c.fetch()
    result = only(c.send(), USER_ADDR, f"Labdien! Jūsu pieteikums Nr. {n} ir izpildīts.")

    # 8. the user thanks; the operator closes it as confirmed; the user is told why
    c.write(result, "Paldies, tagad strādā!", USER)
    c.fetch()
    pd.ok("close", n, "--confirmed")
    closed = only(c.send(), USER_ADDR, f"Labdien! Jūsu pieteikums Nr. {n} ir slēgts.")
    assert "Jūs apstiprinājāt, ka pieteikums ir izpildīts." in closed.get_body(("plain",)).get_content()
    assert pd.ok("show", n, "--json").json()["status"] == "closed"
    assert pd.ok("queue", "--json").json()["entries"] == []

    # every mail the desk sent, read whole: one thread per reader, plain Latvian for a person
    title = "Neienāk e-pasts Outlook programmā"
    firsts: dict[str, str] = {}
    for e in smtp_server.envelopes:
        msg = email.message_from_bytes(e.data, policy=email.policy.default)
        assert str(msg["Subject"]) == f"[PD {n}] {title}"
        assert msg["Auto-Submitted"] == "auto-generated"
        body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    
        read_as_a_person(str(msg["Subject"]) + "\n" + body, f"{e.rcpt_tos} {body.splitlines()[0]}")
        for rcpt in e.rcpt_tos:
            if rcpt in firsts:
                refs = str(msg.get("References", "")).split()
                assert firsts[rcpt] in refs, "not in the recipient's thread"
            else:
                firsts[rcpt] = str(msg["Message-ID"])
    assert set(firsts) == {USER_ADDR, EXPERT_ADDR}
    kinds = sorted(m["kind"] for m in pd.ok("mail", "list", "--limit", "100", "--json").json())
    assert kinds == sorted(["assigned_expert", "forwarded_user", "command_expert", "question_user",
                            "answer_expert", "command_expert", "resolved_user", "reopened_user",
                            "reopened_expert", "command_expert", "resolved_user", "closed_user"])
    assert pd.ok("audit", "verify", "--json").json()["ok"]
