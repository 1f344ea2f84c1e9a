"""What the user wrote, through the intake (SPEC 13, 15): `pd mail ingest`, then `pd intake register`.

The request's description and its thread title are what the person wrote, without the quoted
Outlook chain, the signature, the confidentiality notice or "Pārs.:"; the whole mail stays stored
with the request; a signature's logo is no attachment, a pasted screenshot is.
"""
from __future__ import annotations

import email.policy
from email.message import EmailMessage

from pd.intake.parse import is_decoration, parse
from tests import intake_mail as M

LOGO = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 41  # 70 bytes
SCREENSHOT = bytes.fromhex("89504e470d0a1a0a") + bytes(range(256)) * 160  # 40 KB
WROTE = "Labdien!\n\nPrinteris 3. stāvā (VP-PR-0311) nedrukā, displejā kļūda E-05.\nLūdzu palīdzēt."
PLAIN = (f"Sveiki, pārsūtu, jo pie mums tas pats.\n\n{WROTE}\n\nAr cieņu,\nInga Pūpola\nValsts policija\n"
         "Tālr. 67208888\n\n"
         "Šis e-pasts un tā pielikumi var saturēt konfidenciālu informāciju un ir paredzēti tikai adresātam.\n\n"
         "No: Andris Kalns <andris.kalns@vp.gov.lv>\nNosūtīts: pirmdiena, 2026. gada 7. decembris 08:30\n"
         "Kam: Inga Pūpola <inga.pupola@vp.gov.lv>\nTēma: RE: Printeris nedrukā\n\n"
         "Vai esi pieteikusi?\n")
HTML = ("<html><body><p>Sveiki, pārsūtu, jo pie mums tas pats.</p><p>" + WROTE.replace("\n", "<br>") + "</p>"
        "<p>Ar cieņu,<br>Inga Pūpola<br>Valsts policija<br><img src=\"cid:image001.png@01DB4A2F.5E3C1D20\"></p>"
        "<p><img src=\"cid:image002.png@01DB4A2F.5E3C1D20\"></p>"
        "<div style=\"border:none;border-top:solid #E1E1E1 1.0pt\"><p><b>No:</b> Andris Kalns<br>"
        "<b>Nosūtīts:</b> pirmdiena, 2026. gada 7. decembris 08:30<br><b>Kam:</b> Inga Pūpola<br>"
        "<b>Tēma:</b> RE: Printeris nedrukā</p></div><p>Vai esi pieteikusi?</p></body></html>")


def outlook_forward(*, html_only: bool = False) -> bytes:
    """Outlook (Latvian) forwarding a colleague's mail: text and HTML, the HTML with its signature's
    logo and a pasted screenshot shown by cid, and a PDF attached."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = "Inga Pūpola <inga.pupola@vp.gov.lv>"
    msg["To"] = f"Pakalpojumu dienests <{M.DESK}>"
    msg["Subject"] = "Pārs.: RE: [EXTERNAL] Printeris nedrukā"
    msg["Date"] = "Mon, 07 Dec 2026 09:12:00 +0200"
    msg["Message-ID"] = "<AM0PR01MB1234@EXCH01.vp.gov.lv>"
    if html_only:
        msg.set_content(HTML, subtype="html")
    else:
        msg.set_content(PLAIN)
        msg.add_alternative(HTML, subtype="html")
    html_part = msg if html_only else msg.get_payload()[1]
    html_part.add_related(LOGO, "image", "png", cid="<image001.png@01DB4A2F.5E3C1D20>", filename="image001.png",
                          disposition="inline")
    html_part.add_related(SCREENSHOT, "image", "png", cid="<image002.png@01DB4A2F.5E3C1D20>",
                          filename="image002.png", disposition="inline")
    msg.add_attachment(b"%PDF-1.4 akts", maintype="application", subtype="pdf", filename="Akts.pdf")
    return msg.as_bytes()


def ingest(pd, raw: bytes) -> dict:
    r = pd("mail", "ingest", "--json", user="system", input=raw)
    assert r.exit_code == 0, r.stderr
    return r.json()


def test_a_forwarded_outlook_mail_becomes_a_request_with_what_she_wrote(pd, rawdb):
    sent = outlook_forward()
    res = ingest(pd, sent)
    assert res["action"] == "new"
    item = pd.ok("intake", "show", str(res["intake"]), "--json").json()
    # the signature's 70-byte logo is not an attachment; the pasted screenshot and the PDF are
    assert [a["name"] for a in item["attachments"]] == ["image002.png", "Akts.pdf"]
    reg = pd.ok("intake", "register", str(res["intake"]), "--service", "EPASTS", "--institution", "VP",
                "--phone", "26123456", "--json").json()
    n = reg["number"]
    assert reg["description"] == f"Printeris nedrukā\n\nSveiki, pārsūtu, jo pie mums tas pats.\n\n{WROTE}"
    # the thread's title, in every mail about the request, is the subject without "Pārs.: RE: [EXTERNAL]"
    pd.ok("assign", n, "--expert", "jberzins")
    mails = pd.ok("mail", "list", "--json").json()
    assert mails and {m["subject"] for m in mails} == {f"[PD {n}] Printeris nedrukā"}
    for m in mails:
        body = pd.ok("mail", "show", str(m["id"]), "--json").json()["body"]
        for added in ("Nosūtīts:", "konfidenciāl", "Tālr. 67208888", "Vai esi pieteikusi", "Pārs.:"):
            assert added not in body, (added, body)
    # the whole mail stays with the request: its text, the quoted chain included, and its bytes
    rows = rawdb.execute("SELECT text, raw FROM inbound_message WHERE id = ?", res["message"])
    text, raw = rows[0][0], bytes(rows[0][1])
    assert "Nosūtīts: pirmdiena" in text and "Vai esi pieteikusi?" in text and "konfidenciālu" in text
    assert raw == sent  # byte for byte, the logo included
    events = pd.ok("show", n, "--json").json()["events"]
    assert [e["kind"] for e in events][:2] == ["registered", "intake_registered"]
    assert events[1]["data"]["message"] == res["message"]


def test_an_html_only_mail_is_read_the_same_way(pd):
    res = ingest(pd, outlook_forward(html_only=True))
    reg = pd.ok("intake", "register", str(res["intake"]), "--service", "EPASTS", "--institution", "VP",
                "--phone", "26123456", "--json").json()
    assert reg["description"] == f"Printeris nedrukā\n\nSveiki, pārsūtu, jo pie mums tas pats.\n\n{WROTE}"


def test_a_follow_up_in_the_history_is_what_was_written(pd):
    n = pd.register()
    raw = M.outlook_reply_lv(subject=f"Atb.: [PD {n}] Neienāk e-pasts",
                             reply="Labdien!\n\nJoprojām neienāk.\n\nAr labiem vēlējumiem\nJānis Bērziņš\n"
                                   "Nosūtīts no mana iPhone")
    assert ingest(pd, raw)["action"] == "follow_up"
    ev = [e for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "mail_received"][-1]
    assert ev["data"]["text"] == "Labdien!\n\nJoprojām neienāk."


def _part(headers: str, data: bytes):
    from pd.intake.parse import read_message

    return read_message(headers.replace("\n", "\r\n").encode() + b"\r\n" + data)


def test_which_inline_images_are_decoration():
    logo = "Content-Type: image/png\nContent-Disposition: inline; filename=image001.png\nContent-ID: <logo@x>\n"
    assert is_decoration(_part(logo, LOGO), 70, {"logo@x"})
    assert is_decoration(_part(logo, LOGO), 70, set())  # tiny and inline: a spacer, a tracking pixel
    assert not is_decoration(_part(logo, SCREENSHOT), len(SCREENSHOT), {"logo@x"})  # a pasted screenshot
    assert not is_decoration(_part(logo, b"x" * 2048), 2048, set())  # inline, 2 KB, shown by nothing
    attached = "Content-Type: image/png\nContent-Disposition: attachment; filename=logo.png\nContent-ID: <logo@x>\n"
    assert not is_decoration(_part(attached, LOGO), 70, {"logo@x"})
    pdf = "Content-Type: application/pdf\nContent-Disposition: inline\nContent-ID: <logo@x>\n"
    assert not is_decoration(_part(pdf, b"%PDF"), 4, {"logo@x"})


def test_the_parsed_mail_lists_only_real_attachments():
    mail = parse(outlook_forward(), max_attachment=10_000_000)
    assert [(a.name, a.size) for a in mail.attachments] == [("image002.png", len(SCREENSHOT)),
                                                           ("Akts.pdf", len(b"%PDF-1.4 akts"))]
    assert mail.reply == f"Sveiki, pārsūtu, jo pie mums tas pats.\n\n{WROTE}"
