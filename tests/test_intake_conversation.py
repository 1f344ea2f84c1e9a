"""A whole conversation by mail, through a real SMTP server on loopback and `pd mail ingest`:
the user writes in, the operator registers it, the expert is assigned, the user answers the
question by replying, the request is resolved, and "Paldies!" comes back flagged, not reopened.
The desk's own mail fed back in is automatic and answered by nothing."""
from __future__ import annotations

import email
import email.policy
import email.utils

from tests import intake_mail as M

USER = "Jānis Bērziņš <janis.berzins@vp.gov.lv>"


def ingest(pd, raw: bytes) -> dict:
    r = pd("mail", "ingest", "--json", user="system", input=raw)
    assert r.exit_code == 0, r.stderr
    return r.json()


def send(pd, smtp_server) -> None:
    r = pd("mail", "send", user="system", env={"PD_SMTP_URL": smtp_server.url})
    assert r.exit_code == 0, r.stderr


def delivered(smtp_server) -> list[tuple[list[str], email.message.EmailMessage, bytes]]:
    return [(list(e.rcpt_tos), email.message_from_bytes(e.data, policy=email.policy.default), e.data)
            for e in smtp_server.envelopes]


def reply_to(msg, *, body: str, sender: str = USER, prefix: str = "Re: ") -> bytes:
    """What a mail client sends when the user presses Reply."""
    refs = str(msg.get("References", "")).split() + [str(msg["Message-ID"])]
    quoted = "".join(f"> {line}\n" for line in msg.get_body(("plain",)).get_content().splitlines())
    return M.plain(sender=sender, subject=prefix + str(msg["Subject"]), in_reply_to=str(msg["Message-ID"]),
                   references=refs, body=f"{body}\n\n{email.utils.format_datetime(msg['Date'].datetime)}, "
                                         f"Pakalpojumu dienests rakstīja:\n{quoted}")


def test_a_whole_conversation_by_mail(pd, smtp_server):
    # 1. the user writes to the desk
    first = M.plain(sender=USER, subject="Neienāk e-pasts Outlook programmā",
                    body="Labdien!\n\nKopš rīta neienāk e-pasts. Kļūda 0x800CCC0E.\n\nJānis Bērziņš\nValsts policija\n")
    res = ingest(pd, first)
    assert res["action"] == "new"
    item = res["intake"]
    # 2. the operator registers it: channel, name, address and the mail's date come from the mail
    reg = pd.ok("intake", "register", str(item), "--service", "EPASTS", "--institution", "VP",
                "--phone", "26123456", "--json").json()
    n = reg["number"]
    assert reg["channel"] == "email" and reg["requester"]["name"] == "Jānis Bērziņš"
    assert reg["requester"]["email"] == "janis.berzins@vp.gov.lv"
    assert reg["received_at"] == "2026-12-01T09:12:00+02:00"
    assert "Kļūda 0x800CCC0E" in reg["description"]
    # registering the same item again never makes a second request
    again = pd.ok("intake", "register", str(item), "--service", "EPASTS", "--institution", "VP", "--json").json()
    assert again["number"] == n
    assert pd.ok("list", "--json").json()[0]["number"] == n and len(pd.ok("list", "--json").json()) == 1
    kinds = [e["kind"] for e in pd.ok("show", n, "--json").json()["events"]]
    assert kinds == ["registered", "intake_registered"]

    # 3. the expert is assigned; the mails go out through the SMTP server
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, user="jberzins")
    pd.ok("wait", n, "--question", "Kādu Outlook versiju lietojat?", user="jberzins")
    send(pd, smtp_server)
    to_user = [m for rcpt, m, _ in delivered(smtp_server) if "janis.berzins@vp.gov.lv" in rcpt]
    assert to_user, "the user was told the request was forwarded"

    # 4. the user answers by replying to the desk's last mail: the request resumes
    res = ingest(pd, reply_to(to_user[-1], body="Outlook 2016, Windows 10."))
    assert (res["action"], res["request"], res["flag"]) == ("follow_up", n, "answer")
    d = pd.ok("show", n, "--json").json()
    assert d["status"] == "in_progress"
    answer = [e for e in d["events"] if e["kind"] == "mail_received"][-1]
    assert answer["data"]["text"] == "Outlook 2016, Windows 10."  # without the quoted mail under it
    assert [e["kind"] for e in d["events"]][-2:] == ["mail_received", "resumed"]

    # 5. resolved; the user is told
    pd.ok("resolve", n, "--result", "Pārkonfigurēts IMAP konts; pasts ienāk.", user="jberzins")
    send(pd, smtp_server)
    resolved_mail = [m for rcpt, m, _ in delivered(smtp_server) if "janis.berzins@vp.gov.lv" in rcpt][-1]
    assert "Pārkonfigurēts IMAP konts" in resolved_mail.get_body(("plain",)).get_content()

    # 6. "Paldies!" comes back: a possible objection for the operator, not reopened
    before = len(smtp_server.envelopes)
    res = ingest(pd, reply_to(resolved_mail, body="Paldies!", prefix="Atb.: "))
    assert (res["action"], res["request"], res["flag"]) == ("follow_up", n, "objection")
    assert pd.ok("show", n, "--json").json()["status"] == "resolved"
    assert [(e["reason"], e["request"]) for e in pd.ok("queue", "--json").json()["entries"]] == [("objection", n)]
    send(pd, smtp_server)
    assert len(smtp_server.envelopes) == before  # nothing was mailed in answer

    # 7. every message the desk sent about N is one thread in any reader, and none of them,
    #    fed back in (a forwarding loop, a copy to the desk), is answered or taken as a person's
    by_recipient: dict[str, list] = {}
    for rcpt, msg, data in delivered(smtp_server):
        assert str(msg["Subject"]).startswith(f"[PD {n}]")
        assert str(msg["Auto-Submitted"]) == "auto-generated"
        for r in rcpt:
            by_recipient.setdefault(r, []).append(msg)
        res = ingest(pd, data)
        assert res["action"] == "automatic" and res["request"] == n, res
    for r, msgs in by_recipient.items():
        head = {str(msgs[0]["Message-ID"])} | set(str(msgs[0].get("References", "")).split())
        for later in msgs[1:]:
            refs = set(str(later.get("References", "")).split()) | {str(later.get("In-Reply-To", ""))}
            assert refs & head, f"{r}: {later['Subject']} does not name the thread's first message"
    assert len(smtp_server.envelopes) == before
    out = pd.ok("mail", "list", "--pending", "--json").json()
    assert out == []
