"""A corpus of real-world-shaped mail for the intake tests, built as bytes the way the
mail programs the desk's users have write them (Outlook, Gmail, phones, MTAs)."""
from __future__ import annotations

import base64
import quopri
import uuid

DESK = "servicedesk@ic.iem.gov.lv"


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")


def _mid(domain: str = "vp.gov.lv") -> str:
    return f"<{uuid.uuid4().hex}@{domain}>"


def _qp(text: str, charset: str = "utf-8") -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def _b64(data: bytes) -> str:
    b = base64.b64encode(data).decode("ascii")
    return "\n".join(b[i:i + 76] for i in range(0, len(b), 76))


def _threading(in_reply_to: str | None, references: list[str] | None) -> str:
    out = ""
    if in_reply_to:
        out += f"In-Reply-To: {in_reply_to}\n"
    if references:
        out += "References: " + "\n ".join(references) + "\n"
    return out


def plain(*, sender="Jānis Bērziņš <janis.berzins@vp.gov.lv>", subject="Neienāk e-pasts", body="Labdien!\n",
          message_id=None, in_reply_to=None, references=None, headers="", date="Tue, 01 Dec 2026 09:12:00 +0200") -> bytes:
    """A plain UTF-8 mail, 8bit, RFC 2047 encoded name and subject (Thunderbird-like)."""
    from email.header import Header
    from email.utils import formataddr, parseaddr

    name, addr = parseaddr(sender)
    frm = formataddr((str(Header(name, "utf-8")), addr)) if name and not name.isascii() else sender
    subj = Header(subject, "utf-8").encode() if not subject.isascii() else subject
    head = (f"From: {frm}\nTo: Pakalpojumu dienests <{DESK}>\nSubject: {subj}\nDate: {date}\n"
            f"Message-ID: {message_id or _mid()}\n" + _threading(in_reply_to, references) + headers +
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8; format=flowed\nContent-Transfer-Encoding: 8bit\n\n")
    return head.replace("\n", "\r\n").encode("ascii") + body.replace("\n", "\r\n").encode("utf-8")


def outlook_reply_lv(*, subject: str, in_reply_to: str | None = None, references: list[str] | None = None,
                     sender_name="Jānis Bērziņš", sender="janis.berzins@vp.gov.lv",
                     reply="Labdien!\n\nTelpa ir 214, dators ar inventāra nr. VP-4411.\n\nAr cieņu,\nJānis Bērziņš\nValsts policija",
                     quoted_from="Pakalpojumu dienests", quoted_text="Lūdzu norādiet telpu un datora numuru.",
                     attachment: tuple[str, bytes, str] | None = None) -> bytes:
    """Outlook (Exchange) in Latvian: Windows-1257 quoted-printable text + HTML alternative, the
    quoted history under an Outlook header block, Thread-Index/Thread-Topic, RFC 2047 (Q) names."""
    text = (f"{reply}\n\n"
            f"From: {quoted_from} <{DESK}>\nSent: otrdiena, 2026. gada 1. decembris 10:05\n"
            f"To: {sender_name} <{sender}>\nSubject: {subject.split(': ', 1)[-1]}\n\n{quoted_text}\n")
    html = ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1257\"></head>"
            "<body lang=LV><div class=WordSection1><p class=MsoNormal>"
            + reply.replace("\n", "<br>") + "</p><div style='border:none;border-top:solid #E1E1E1 1.0pt'>"
            f"<p class=MsoNormal><b>From:</b> {quoted_from} &lt;{DESK}&gt;<br><b>Subject:</b> x</p></div>"
            f"<p>{quoted_text}</p></div></body></html>")
    from email.header import Header

    boundary = "_000_" + uuid.uuid4().hex[:20] + "_"
    alt = (f"--{boundary}\nContent-Type: text/plain; charset=\"windows-1257\"\nContent-Transfer-Encoding: quoted-printable\n\n"
           + _qp(text, "cp1257") + f"\n--{boundary}\nContent-Type: text/html; charset=\"windows-1257\"\n"
           "Content-Transfer-Encoding: quoted-printable\n\n" + _qp(html, "cp1257") + f"\n--{boundary}--\n")
    head = (f"From: {Header(sender_name, 'windows-1257').encode()} <{sender}>\n"
            f"To: Pakalpojumu dienests <{DESK}>\nSubject: {Header(subject, 'windows-1257').encode()}\n"
            "Thread-Topic: " + Header(subject.split(': ', 1)[-1], "windows-1257").encode() + "\n"
            "Thread-Index: AQHZxYz1k2bC3n0PQ0u7k9bW3eH8yA==\nDate: Tue, 1 Dec 2026 10:31:44 +0000\n"
            f"Message-ID: {_mid('EXCH01.vp.gov.lv')}\n" + _threading(in_reply_to, references) +
            "Accept-Language: lv-LV, en-US\nContent-Language: lv-LV\nX-MS-Has-Attach: " +
            ("yes" if attachment else "") + "\nX-MS-TNEF-Correlator:\nMIME-Version: 1.0\n")
    if not attachment:
        return _crlf(head + f"Content-Type: multipart/alternative;\n\tboundary=\"{boundary}\"\n\n" + alt)
    outer = "_004_" + uuid.uuid4().hex[:20] + "_"
    name, data, ctype = attachment
    return _crlf(head + f"Content-Type: multipart/mixed;\n\tboundary=\"{outer}\"\n\n--{outer}\n"
                 f"Content-Type: multipart/alternative;\n\tboundary=\"{boundary}\"\n\n{alt}\n--{outer}\n"
                 f"Content-Type: {ctype}; name=\"{Header(name, 'utf-8').encode()}\"\n"
                 f"Content-Description: {Header(name, 'utf-8').encode()}\n"
                 f"Content-Disposition: attachment; filename=\"{Header(name, 'utf-8').encode()}\"; size={len(data)}\n"
                 f"Content-Transfer-Encoding: base64\n\n{_b64(data)}\n--{outer}--\n")


def gmail_reply_en(*, subject: str, in_reply_to: str | None = None, references: list[str] | None = None,
                   sender="Ilze Šķēle <ilze.skele@vp.gov.lv>",
                   reply="Hi,\n\nthe printer is in room 305, second floor.\n\nThanks,\nIlze",
                   quoted="Please tell us the room of the printer.",
                   attribution=f"On Tue, 1 Dec 2026 at 10:05, Pakalpojumu dienests <\n{DESK}> wrote:") -> bytes:
    """Gmail: base64 UTF-8 text and HTML, an attribution line ('On … wrote:') and '>' quoting."""
    from email.header import Header
    from email.utils import parseaddr

    name, addr = parseaddr(sender)
    text = (f"{reply}\n\n{attribution}\n\n"
            + "".join(f"> {line}\n" for line in quoted.split("\n")))
    html = (f"<div dir=\"ltr\">{reply.replace(chr(10), '<br>')}</div><br><div class=\"gmail_quote\">"
            f"<blockquote class=\"gmail_quote\">{quoted}</blockquote></div>")
    b = "000000000000" + uuid.uuid4().hex[:16]
    return _crlf(
        f"MIME-Version: 1.0\nDate: Tue, 1 Dec 2026 11:02:13 +0200\nMessage-ID: {_mid('mail.gmail.com')}\n"
        + _threading(in_reply_to, references)
        + f"Subject: {Header(subject, 'utf-8').encode()}\nFrom: {Header(name, 'utf-8').encode()} <{addr}>\n"
        f"To: Pakalpojumu dienests <{DESK}>\nContent-Type: multipart/alternative; boundary=\"{b}\"\n\n"
        f"--{b}\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: base64\n\n"
        f"{_b64(text.encode('utf-8'))}\n--{b}\nContent-Type: text/html; charset=\"UTF-8\"\n"
        f"Content-Transfer-Encoding: base64\n\n{_b64(html.encode('utf-8'))}\n--{b}--\n")


def undeclared_cp1257(*, body: str, subject: str, sender="Ēriks Ķēniņš <eriks.kenins@vugd.gov.lv>") -> bytes:
    """An old mail program: 8-bit Windows-1257 in the body and the headers, no charset declared."""
    head = (f"From: {sender}\nTo: {DESK}\nSubject: {subject}\nDate: Tue, 1 Dec 2026 08:00:00 +0200\n"
            f"Message-ID: {_mid('vugd.gov.lv')}\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n")
    return head.replace("\n", "\r\n").encode("cp1257") + body.replace("\n", "\r\n").encode("cp1257")


def html_only(*, html: str, subject="Printeris nedrukā", sender="Līga Ērgle <liga.ergle@vugd.gov.lv>") -> bytes:
    from email.header import Header
    from email.utils import parseaddr

    name, addr = parseaddr(sender)
    return _crlf(f"From: {Header(name, 'utf-8').encode()} <{addr}>\nTo: {DESK}\n"
                 f"Subject: {Header(subject, 'utf-8').encode()}\nDate: Tue, 1 Dec 2026 12:00:00 +0200\n"
                 f"Message-ID: {_mid('vugd.gov.lv')}\nMIME-Version: 1.0\n"
                 "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" + _qp(html))


def with_attachment(*, name: str, data: bytes, ctype="application/pdf", body="Pielikumā skenētais akts.\n",
                    subject="Akts", sender="Mārtiņš Zariņš <martins.zarins@pmlp.gov.lv>") -> bytes:
    from email.header import Header
    from email.utils import parseaddr

    n, addr = parseaddr(sender)
    b = "b_" + uuid.uuid4().hex
    return _crlf(f"From: {Header(n, 'utf-8').encode()} <{addr}>\nTo: {DESK}\nSubject: {subject}\n"
                 f"Date: Tue, 1 Dec 2026 12:00:00 +0200\nMessage-ID: {_mid('pmlp.gov.lv')}\nMIME-Version: 1.0\n"
                 f"Content-Type: multipart/mixed; boundary=\"{b}\"\n\n--{b}\n"
                 "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                 f"{_qp(body)}\n--{b}\nContent-Type: {ctype}\n"
                 f"Content-Disposition: attachment; filename*=utf-8''{_pct(name)}\n"
                 f"Content-Transfer-Encoding: base64\n\n{_b64(data)}\n--{b}--\n")


def _pct(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def auto_reply(*, subject: str, in_reply_to: str | None = None, sender="Jānis Bērziņš <janis.berzins@vp.gov.lv>") -> bytes:
    """Exchange's out-of-office reply."""
    return plain(sender=sender, subject=f"Automātiskā atbilde: {subject}", in_reply_to=in_reply_to,
                 body="Esmu atvaļinājumā līdz 14.12.2026. Steidzamos jautājumos zvaniet 67075000.\n",
                 headers="Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n"
                         "X-MS-Exchange-Inbox-Rules-Loop: janis.berzins@vp.gov.lv\n")


def dsn(*, original_message_id: str, recipient: str, original_subject: str = "[PD] x") -> bytes:
    """Postfix's delivery status notification (RFC 3464) for a message the desk sent."""
    from email.header import Header

    original_subject = Header(original_subject, "utf-8").encode()
    b = "6A1B52E0C1.1764583200/mx.ic.iem.gov.lv"
    return _crlf(
        "From: MAILER-DAEMON@mx.ic.iem.gov.lv (Mail Delivery System)\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        f"To: {DESK}\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        f"Content-Type: multipart/report; report-type=delivery-status;\n\tboundary=\"{b}\"\n"
        f"Message-ID: <20261201100000.{uuid.uuid4().hex[:10].upper()}@mx.ic.iem.gov.lv>\nDate: Tue,  1 Dec 2026 12:00:00 +0200 (EET)\n\n"
        f"--{b}\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
        "This is the mail system at host mx.ic.iem.gov.lv.\n\nI'm sorry to have to inform you that your message could not\n"
        f"be delivered to one or more recipients.\n\n<{recipient}>: host mx.vp.gov.lv[10.0.0.5] said: 550 5.1.1\n"
        "    <" + recipient + ">: Recipient address rejected: User unknown\n\n"
        f"--{b}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.ic.iem.gov.lv\nX-Postfix-Queue-ID: 6A1B52E0C1\nArrival-Date: Tue,  1 Dec 2026 11:59:58 +0200 (EET)\n\n"
        f"Final-Recipient: rfc822; {recipient}\nOriginal-Recipient: rfc822;{recipient}\nAction: failed\nStatus: 5.1.1\n"
        "Remote-MTA: dns; mx.vp.gov.lv\nDiagnostic-Code: smtp; 550 5.1.1 <" + recipient + ">: Recipient address\n"
        "    rejected: User unknown\n\n"
        f"--{b}\nContent-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
        f"From: Pakalpojumu dienests <{DESK}>\nTo: {recipient}\nSubject: {original_subject}\n"
        f"Message-ID: {original_message_id}\nAuto-Submitted: auto-generated\n\n--{b}--\n")
