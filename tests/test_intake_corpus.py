"""Ugly real-world mail through `pd mail ingest`: what the operator sees in `pd intake show`."""
from __future__ import annotations

import email
import email.policy

from hypothesis import given, settings
from hypothesis import strategies as st

from tests import intake_mail as M


def ingest(pd, raw: bytes, **env) -> dict:
    r = pd("mail", "ingest", "--json", user="system", input=raw, env=env)
    assert r.exit_code == 0, r.stderr
    return r.json()


def show(pd, item: int) -> dict:
    return pd.ok("intake", "show", str(item), "--json").json()


def test_undeclared_windows_1257_reads_as_latvian_and_says_how(pd):
    raw = M.undeclared_cp1257(body="Labdien! Ģērbtuvē nestrādā ņēmēja dators; žēl, ka šķērslis.\n",
                              subject="Ūdens telpā 12 — Ķekava")
    res = ingest(pd, raw)
    assert res["action"] == "new" and res["request"] is None
    d = show(pd, res["intake"])
    assert d["from"] == "Ēriks Ķēniņš <eriks.kenins@vugd.gov.lv>"
    assert d["subject"] == "Ūdens telpā 12 — Ķekava"
    assert d["text"] == "Labdien! Ģērbtuvē nestrādā ņēmēja dators; žēl, ka šķērslis."
    assert d["charset_note"] == "no charset declared; read as cp1257"
    human = pd.ok("intake", "show", str(res["intake"])).stdout
    assert "kodējums nav norādīts; nolasīts kā cp1257" in human and "Ģērbtuvē" in human


def test_a_declared_charset_that_does_not_fit_falls_back_without_dropping_a_letter(pd):
    body = "Paroles maiņa nestrādā, ķļūda ār ūūū".encode("utf-8")
    raw = (b"From: a@vp.gov.lv\r\nTo: servicedesk@ic.iem.gov.lv\r\nSubject: x\r\nMessage-ID: <w1@vp.gov.lv>\r\n"
           b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + body)
    d = show(pd, ingest(pd, raw)["intake"])
    assert d["text"] == body.decode("utf-8")
    # bytes no charset can read are shown as U+FFFD and said so, never dropped
    raw2 = (b"From: b@vp.gov.lv\r\nTo: servicedesk@ic.iem.gov.lv\r\nSubject: y\r\nMessage-ID: <w2@vp.gov.lv>\r\n"
            b"Content-Type: text/plain; charset=x-nonsense\r\n\r\nA\x98B\x81C")
    d2 = show(pd, ingest(pd, raw2)["intake"])
    assert len(d2["text"]) == 5 and d2["text"][0] == "A" and d2["text"][2] == "B" and d2["text"][4] == "C"
    assert d2["charset_note"]


def test_html_only_mail_becomes_readable_text_and_the_html_is_kept(pd, rawdb):
    html = ("<html><body><p>Labdien,</p><p>printeris <b>nedrukā</b> &ndash; kļūda E-05.</p>"
            "<table><tr><td>Telpa</td><td>305</td></tr><tr><td>Modelis</td><td>HP 400</td></tr></table>"
            "<p>Ar cieņu,<br>Līga</p></body></html>")
    res = ingest(pd, M.html_only(html=html))
    d = show(pd, res["intake"])
    assert d["html"] is True
    assert "<" not in d["text"] and "&ndash;" not in d["text"]
    assert "printeris nedrukā – kļūda E-05." in d["text"]
    assert "Telpa" in d["text"] and "305" in d["text"] and "Ar cieņu,\nLīga" in d["text"]
    raw = rawdb.execute("SELECT raw FROM inbound_message WHERE id = ?", res["message"])[0][0]
    kept = email.message_from_bytes(bytes(raw), policy=email.policy.default)
    assert kept.get_content_type() == "text/html" and "<b>nedrukā</b>" in kept.get_content()


def test_outlook_reply_in_latvian_quoted_printable_with_its_history(pd):
    n = pd.register()
    raw = M.outlook_reply_lv(subject=f"Atb.: [PD {n}] Neienāk e-pasts")
    res = ingest(pd, raw)
    assert res == {"action": "follow_up", "intake": None, "request": n, "message": res["message"], "flag": None}
    ev = [e for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "mail_received"][0]
    assert ev["via"] == "email" and ev["actor"] == "system"
    assert ev["data"]["from"] == "Jānis Bērziņš <janis.berzins@vp.gov.lv>"
    assert ev["data"]["subject"] == f"Atb.: [PD {n}] Neienāk e-pasts"
    # the history entry is what he wrote now: not the quoted mail of the desk under it, nor his signature
    assert ev["data"]["text"] == "Labdien!\n\nTelpa ir 214, dators ar inventāra nr. VP-4411."
    human = pd.ok("show", n).stdout
    assert "saņemts e-pasts" in human and "Telpa ir 214" in human  # the history says it in words


def test_gmail_reply_in_english_base64_drops_the_quote(pd):
    n = pd.register(name="Ilze Šķēle", email="ilze.skele@vp.gov.lv", service="PRINTERIS",
                    location="Čiekurkalna 1. līnija 1", room="305")
    res = ingest(pd, M.gmail_reply_en(subject=f"Re: [PD {n}] Printer"))
    assert res["action"] == "follow_up" and res["request"] == n
    ev = [e for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "mail_received"][0]
    assert ev["data"]["text"] == "Hi,\n\nthe printer is in room 305, second floor.\n\nThanks,\nIlze"
    assert ev["data"]["from"] == "Ilze Šķēle <ilze.skele@vp.gov.lv>"


def test_rfc2047_names_and_subjects_split_over_encoded_words_keep_their_spaces(pd):
    raw = (b"From: =?windows-1257?Q?J=E2nis_B=E7rzi=F2=F0?= <janis@vp.gov.lv>\r\n"
           b"To: servicedesk@ic.iem.gov.lv\r\n"
           b"Subject: =?UTF-8?B?TMWrZHp1IG5vZG90IGl6c2thdMSrxaFhbmFpOg==?=\r\n"
           b" =?UTF-8?Q?_Iek=C5=A1lietu_ministrijas_datoram?=\r\n"
           b"Message-ID: <r2047@vp.gov.lv>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nx\r\n")
    d = show(pd, ingest(pd, raw)["intake"])
    assert d["from"] == "Jānis Bērziņš <janis@vp.gov.lv>"
    assert d["subject"] == "Lūdzu nodot izskatīšanai: Iekšlietu ministrijas datoram"


def test_a_20_mb_attachment_is_recorded_by_name_and_size_and_not_stored(pd, rawdb):
    big = bytes(range(256)) * (20 * 1024 * 1024 // 256)
    small = b"%PDF-1.4 small"
    raw = M.with_attachment(name="Skenēts akts – ķēde.pdf", data=big)
    res = ingest(pd, raw)
    d = show(pd, res["intake"])
    assert d["attachments"] == [{"name": "Skenēts akts – ķēde.pdf", "size": len(big), "type": "application/pdf",
                                 "stored": False}]
    assert d["text"] == "Pielikumā skenētais akts."
    stored = rawdb.execute("SELECT length(raw) FROM inbound_message WHERE id = ?", res["message"])[0][0]
    assert stored < 100_000  # the 20 MB are not in the ledger
    human = pd.ok("intake", "show", str(res["intake"])).stdout
    assert "Skenēts akts – ķēde.pdf (20.0 MB, nav saglabāts: pārsniedz ierobežojumu)" in human
    # under the limit an attachment stays in the kept message
    res2 = ingest(pd, M.with_attachment(name="mazs.pdf", data=small, subject="Mazs"))
    assert show(pd, res2["intake"])["attachments"][0]["stored"] is True
    raw2 = rawdb.execute("SELECT raw FROM inbound_message WHERE id = ?", res2["message"])[0][0]
    part = [p for p in email.message_from_bytes(bytes(raw2), policy=email.policy.default).iter_attachments()][0]
    assert part.get_content() == small


def test_the_attachment_limit_is_a_setting_checked_before_anything_is_stored(pd, rawdb):
    raw = M.with_attachment(name="a.bin", data=b"x" * 5000, ctype="application/octet-stream")
    res = ingest(pd, raw, PD_INTAKE_MAX_ATTACHMENT="4k")
    assert show(pd, res["intake"])["attachments"][0]["stored"] is False
    r = pd("mail", "ingest", user="system", input=M.plain(subject="z"), env={"PD_INTAKE_MAX_ATTACHMENT": "lots"})
    assert r.exit_code == 75 and "PD_INTAKE_MAX_ATTACHMENT" in r.stderr
    assert rawdb.execute("SELECT count(*) FROM inbound_message")[0][0] == 1


def test_a_password_is_redacted_everywhere_including_the_kept_original(pd, rawdb):
    secret = "Ruden$Lapa2026"
    body = f"Labdien,\nnevaru ielogoties. Mans lietotājs jberzins, parole: {secret}\nPaldies\n"
    import base64

    raw = (b"From: janis.berzins@vp.gov.lv\r\nTo: servicedesk@ic.iem.gov.lv\r\n"
           b"Subject: =?utf-8?q?Parole_nestr=C4=81d=C4=81?=\r\nMessage-ID: <pw1@vp.gov.lv>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/alternative; boundary=XX\r\n\r\n--XX\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(body.encode()) + b"\r\n--XX\r\nContent-Type: text/html; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(f"<p>{body.replace(chr(10), '<br>')}</p>".encode()) + b"\r\n--XX--\r\n")
    res = ingest(pd, raw)
    d = show(pd, res["intake"])
    assert "parole: [REDACTED]" in d["text"] and d["redacted"] is True
    dump = rawdb.dump()
    assert secret.encode() not in dump
    kept = bytes(rawdb.execute("SELECT raw FROM inbound_message WHERE id = ?", res["message"])[0][0])
    msg = email.message_from_bytes(kept, policy=email.policy.default)
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            assert secret not in part.get_content()
            assert "[REDACTED]" in part.get_content()
    # registering it carries no secret either
    n = pd.ok("intake", "register", str(res["intake"]), "--service", "PAROLE", "--institution", "VP", "--name", "Jānis Bērziņš",
              "--json").json()["number"]
    assert "[REDACTED]" in pd.ok("show", n, "--json").json()["description"]
    assert secret.encode() not in rawdb.dump()


def test_a_password_in_the_subject_is_redacted_in_the_headers_too(pd, rawdb):
    raw = M.plain(subject="Mana parole: Zilonis#77 vairs neder", body="Lūdzu palīdziet.\n")
    res = ingest(pd, raw)
    assert show(pd, res["intake"])["subject"] == "Mana parole: [REDACTED] vairs neder"
    assert b"Zilonis#77" not in rawdb.dump()


def test_auto_reply_is_recorded_and_never_answered(pd):
    n = pd.register()
    before = len(pd.ok("mail", "list", "--json").json())
    res = ingest(pd, M.auto_reply(subject=f"[PD {n}] Neienāk e-pasts"))
    assert res["action"] == "automatic" and res["request"] == n and res["intake"] is None
    assert "Auto-Submitted" in res["reason"]
    assert len(pd.ok("mail", "list", "--json").json()) == before
    assert [e for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "mail_received"] == []
    assert pd.ok("intake", "list", "--json").json() == []


def test_each_kind_of_automatic_mail_is_recognised(pd):
    cases = {
        "Precedence: bulk\n": "Precedence: bulk",
        "List-Id: <it-news.vp.gov.lv>\n": "List-Id",
        "X-Loop: servicedesk@ic.iem.gov.lv\n": "X-Loop",
        "X-Autoreply: yes\n": "X-Autoreply",
        "X-Auto-Response-Suppress: OOF, AutoReply\n": "X-Auto-Response-Suppress",
    }
    for i, (header, word) in enumerate(cases.items()):
        res = ingest(pd, M.plain(subject=f"s{i}", headers=header))
        assert res["action"] == "automatic" and word in res["reason"], (header, res)
    res = ingest(pd, M.plain(sender="MAILER-DAEMON@mx.vp.gov.lv", subject="warning"))
    assert res["action"] == "automatic"
    res = ingest(pd, M.plain(subject="cilvēks", headers="Auto-Submitted: no\n"))
    assert res["action"] == "new"


def test_a_password_in_an_html_only_mail_split_by_tags_is_redacted_in_the_kept_html(pd, rawdb):
    raw = M.html_only(html="<p>Labdien,</p><p>mana parole: <b>Kaķis#2026</b></p><p>Jānis</p>", subject="Pieeja")
    res = ingest(pd, raw)
    assert "parole: [REDACTED]" in show(pd, res["intake"])["text"]
    kept = bytes(rawdb.execute("SELECT raw FROM inbound_message WHERE id = ?", res["message"])[0][0])
    html = email.message_from_bytes(kept, policy=email.policy.default).get_content()
    assert "Kaķis#2026" not in html and "[REDACTED]" in html
    assert "Kaķis#2026".encode() not in rawdb.dump()


def test_gmail_in_latvian_and_outlook_in_english_lose_their_quoted_history_too(pd):
    n = pd.register()
    lv = M.gmail_reply_en(subject=f"Re: [PD {n}] Neienāk e-pasts", sender="Jānis Bērziņš <janis.berzins@vp.gov.lv>",
                          reply="Sveiki!\n\nJā, tagad ienāk.\n\nJānis",
                          attribution="otrd., 2026. g. 1. dec., plkst. 10:05 — lietotājs Pakalpojumu dienests "
                                      "(<servicedesk@ic.iem.gov.lv>) rakstīja:",
                          quoted="Vai pasts jau ienāk?")
    en = M.plain(subject=f"RE: [PD {n}] Neienāk e-pasts", sender="Ilze Šķēle <ilze.skele@vp.gov.lv>",
                 body="Hello,\n\nstill nothing since 9:00.\n\nIlze\n\n-----Original Message-----\n"
                      "From: Pakalpojumu dienests <servicedesk@ic.iem.gov.lv>\nSent: Tuesday, December 1, 2026 10:05 AM\n"
                      "Subject: [PD x] Neienāk e-pasts\n\nIs the mail arriving now?\n")
    for raw in (lv, en):
        assert ingest(pd, raw)["action"] == "follow_up"
    texts = [e["data"]["text"] for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "mail_received"]
    assert texts == ["Sveiki!\n\nJā, tagad ienāk.\n\nJānis", "Hello,\n\nstill nothing since 9:00.\n\nIlze"]


# ---------------------------------------------------------------- the sender's address, the quick way

_NAME = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
_ATOM = st.text(alphabet="abcxyzABCĀā019_+-.'!#", min_size=1, max_size=8)


@settings(max_examples=500, deadline=None)
@given(_NAME, st.lists(_ATOM, min_size=1, max_size=3), st.lists(_ATOM, min_size=1, max_size=3),
       st.sampled_from(["", " ", "  ", "\t"]))
def test_the_quick_address_reading_is_parseaddrs(name, local, domain, space):
    """parse_address() reads `Name <local@domain>` itself when it can: exactly as parseaddr() would,
    as pd uses it (the name's words joined by one space); anything else goes to parseaddr()."""
    import email.utils

    from pd.intake.parse import parse_address

    value = f"{name}{space}<{'.'.join(local)}@{'.'.join(domain)}>"
    got = parse_address(value)
    want = email.utils.parseaddr(value)
    assert (" ".join(got[0].split()), got[1]) == (" ".join(want[0].split()), want[1])


def test_the_quick_address_reading_takes_the_plain_form():
    from pd.intake.parse import _PLAIN_ADDRESS

    assert _PLAIN_ADDRESS.fullmatch("Lietotājs 0 <lietotajs0@vp.gov.lv>")
    assert _PLAIN_ADDRESS.fullmatch("<janis.berzins@vp.gov.lv>")
    assert not _PLAIN_ADDRESS.fullmatch('"Bērziņš, Jānis" <janis@vp.gov.lv>')
