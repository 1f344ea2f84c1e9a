"""Step 5: the password guard on everything stored, the kept original included (SPEC 3, 13).

A mail cannot be refused, so a disclosed secret is replaced by [REDACTED] in the
text the desk reads and inside the stored message itself: each text part whose
decoded text holds a secret is re-encoded (UTF-8) with the secret replaced, as
is each header. Attachments over the size limit are cut out of the stored copy
in the same pass. A message that needs neither is kept byte for byte.
"""
from __future__ import annotations

import email.policy
import re
from email.message import EmailMessage
from html import escape, unescape

from .. import guard
from .html import html_to_text
from .parse import ParsedMail, attachment_name, decode_header, part_text, read_message

# Headers that hold structure, not words a person wrote.
_STRUCTURAL = {"content-type", "content-transfer-encoding", "mime-version", "message-id", "in-reply-to",
               "references", "date", "received", "dkim-signature", "arc-seal", "arc-message-signature",
               "authentication-results", "content-disposition"}


def redact_raw_text(raw: bytes) -> tuple[bytes, bool]:
    """Best effort for bytes that are not a readable message (the quarantine): redact what reads as text."""
    text = raw.decode("utf-8", "surrogateescape")
    red = guard.redact(text)
    return (red.encode("utf-8", "surrogateescape"), True) if red != text else (raw, False)


def scrub(mail: ParsedMail, raw: bytes, max_attachment: int) -> tuple[bytes, bool]:
    """(bytes to store, whether a secret was redacted)."""
    msg = mail.message
    changed = redacted = False
    names = {k.lower(): k for k, _ in msg.raw_items()}
    for lname, name in names.items():
        if lname in _STRUCTURAL:
            continue
        if any(guard.redact_labelled(name, v) != v for v in mail.header_values(lname)):
            _replace_header(msg, name)
            changed = redacted = True
    if redacted:
        mail.forget_headers()  # what is read of them from now on is the redacted text
    for part in list(msg.walk()):
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        if ctype.startswith("message/"):
            continue  # its own parts are walked
        data = part.get_payload(decode=True) or b""
        if _redact_file_name(part):
            changed = redacted = True
        if len(data) > max_attachment:
            name = attachment_name(part)
            part.set_content(f"[{name}: {len(data)} B; not stored (over PD_INTAKE_MAX_ATTACHMENT)]\n",
                             charset="utf-8", disposition="inline")
            changed = True
            continue
        text = guard.attached_text(part.get_filename(), data) if not ctype.startswith("text/") else None
        if text is not None:  # a text file sent as another type ("piezimes.txt", application/octet-stream)
            red = guard.redact(text)
            if red != text:
                _set_bytes(part, red.encode("utf-8"))
                changed = redacted = True
            continue
        if not ctype.startswith("text/"):
            continue
        text = part_text(part, data=data)
        if ctype == "text/html":
            red = guard.redact(text)
            # Only an HTML part that shows a secret is laid out properly (lxml is slow to load):
            # a secret split by tags shows in the bare text too.
            if red != text or guard.find_secrets(_bare(text)):

                if guard.find_secrets(html_to_text(red)):
                    red = "<pre>" + escape(guard.redact(html_to_text(text))) + "</pre>"
        else:
            red = guard.redact(text)
        if red != text:
            _set_text(part, red)
            changed = redacted = True
    if not changed:
        return raw, False
    out = msg.as_bytes(policy=msg.policy)
    if redacted and _still_secret(out):
        out = _plain_copy(mail)
    return out, redacted


def _bare(html: str) -> str:
    """The words of an HTML text without laying it out: tags become spaces, entities characters."""
    return unescape(re.sub(r"<[^<>]*>", " ", html))  # ("<[^>]*>" ran from each "<" of "<<<…" to the end)


def _replace_header(msg, name: str) -> None:
    values = [decode_header(v) for k, v in msg.raw_items() if k.lower() == name.lower()]
    del msg[name]
    for v in values:
        msg[name] = guard.redact_labelled(name, v)


def _redact_file_name(part) -> bool:
    """The part's file name (Content-Disposition filename, Content-Type name) through the guard."""
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - a name that cannot be read is not stored readable either
        return False
    red = guard.redact_file_name(str(name)) if name else None
    if red is None or red == str(name):
        return False
    for header, param in (("Content-Disposition", "filename"), ("Content-Type", "name")):
        if part.get_param(param, header=header.lower()) is not None:
            part.set_param(param, red, header=header)
    return True


def _set_bytes(part, data: bytes) -> None:
    maintype, subtype = part.get_content_type().split("/", 1)
    kw = {"disposition": part.get_content_disposition() or "attachment", "filename": part.get_filename()}
    part.set_content(data, maintype=maintype, subtype=subtype, **kw)


def _set_text(part, text: str) -> None:
    if part.get_content_subtype() == "html":  # the part is UTF-8 now: so says its own <meta>, too

        text = re.sub(r"(<meta[^<>]*charset=)[\"']?[\w-]+", r"\1utf-8", text, flags=re.IGNORECASE)
    disposition = part.get_content_disposition()
    filename = part.get_filename()
    kw = {"disposition": disposition} if disposition else {}
    if filename:
        kw["filename"] = filename
    part.set_content(text, subtype=part.get_content_subtype(), charset="utf-8", **kw)


def _still_secret(data: bytes) -> bool:
    msg = read_message(data)
    for name, value in msg.raw_items():
        if guard.redact_labelled(name, decode_header(value)) != decode_header(value):
            return True
    for part in msg.walk():
        if not part.is_multipart() and part.get_content_maintype() == "text":
            text = part_text(part)
            if part.get_content_subtype() == "html":

                text = html_to_text(text)
            if guard.find_secrets(text):
                return True
    return False


def _plain_copy(mail: ParsedMail) -> bytes:
    """The last resort: the headers that say who and when, and the redacted readable text."""

    out = EmailMessage(policy=email.policy.default)
    for name in ("From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References"):
        for v in mail.message.get_all(name, []):
            out[name] = str(v)
    out["Subject"] = guard.redact(mail.subject)
    out["X-PD-Note"] = "stored as text only: a disclosed secret could not be cut out of the original parts"
    out.set_content(guard.redact(mail.text) + "\n", charset="utf-8")
    return out.as_bytes()
