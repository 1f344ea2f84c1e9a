"""Compose RFC 5322 messages: UTF-8 text, RFC 2047 subject and display names,
Message-ID / In-Reply-To / References for threading, attachments with RFC 2231
file names.  No database and no network here.
"""
from __future__ import annotations

import email.policy
import email.utils
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser

from pd.errors import InvalidInput
from pd.i18n import _

# --------------------------------------------------------------------------
# Message-IDs and composing
# --------------------------------------------------------------------------

_MSGID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")

#: The policy of composed messages: SMTP (CRLF), and 7-bit clean, so a
#: non-ASCII text body is quoted-printable or base64 (whichever is shorter)
#: and any server takes it without 8BITMIME.
POLICY = email.policy.SMTP.clone(cte_type="7bit")


def _address(value: str, what: str) -> Address:
    if "\n" in value or "\r" in value:
        raise InvalidInput(_("{what}: line break in address {value!r}").format(what=what, value=value))
    name, addr = email.utils.parseaddr(value)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or not addr.isascii():
        raise InvalidInput(_("{what}: not a valid e-mail address: {value!r}").format(what=what, value=value))
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise InvalidInput(_("{what}: not a valid e-mail address: {value!r} ({error})").format(
            what=what, value=value, error=exc)) from None


# --------------------------------------------------------------------------
# The subject, folded by hand
# --------------------------------------------------------------------------
#
# The standard library's folder (email.policy, Python 3.11) loses a space when a
# long non-ASCII subject folds between two encoded words: "… izskatīšanai:
# Iekšlietu …" came out as "=?utf-8?b?…aWk6?=\r\n =?utf-8?q?Iek…" — the space
# between the words is in neither encoded word, and RFC 2047 (6.2) tells a
# reader to drop the white space between adjacent encoded words, so every
# client shows "izskatīšanai:Iekšlietu".  We fold the subject ourselves: the
# ASCII head stays readable, the rest is one run of Q-encoded words whose
# spaces are inside the words ("_"), each word at most 75 characters, each
# line at most 76.

_Q_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")
_EW_MAX = 75                     # RFC 2047: an encoded word is at most 75 characters
_EW_OVERHEAD = len("=?utf-8?q??=")


def _q_char(ch: str) -> str:
    if ch == " ":
        return "_"
    return "".join(chr(b) if b in _Q_SAFE else f"={b:02X}" for b in ch.encode("utf-8"))


def fold_subject(subject: str, name: str = "Subject") -> str:
    """The subject as an RFC 5322 header value, already folded ("\r\n " between lines).

    Pure ASCII is folded at spaces.  Otherwise the words before the first
    non-ASCII word stay as they are, and the rest is Q-encoded words that
    carry their own spaces, so a decoder puts back exactly ``subject``.
    """
    words = subject.split(" ")
    first = next((i for i, w in enumerate(words) if not w.isascii() or "=?" in w), len(words))
    head, tail = words[:first], " ".join(words[first:])
    lines: list[str] = []
    line = name + ":"
    for w in head:
        if len(line) + 1 + len(w) > 76 and line != name + ":":
            lines.append(line)
            line = ""
        line += " " + w
    if tail:
        # An encoded run starts after a space: the space before it is plain text (kept by readers).
        chunk = ""
        for ch in tail:
            q = _q_char(ch)
            if len(chunk) + len(q) + _EW_OVERHEAD > _EW_MAX or (
                    len(line) + 1 + _EW_OVERHEAD + len(chunk) + len(q) > 76 and chunk):
                line += f" =?utf-8?q?{chunk}?="
                lines.append(line)
                line, chunk = "", ""
            chunk += q
        if chunk:
            if len(line) + 1 + _EW_OVERHEAD + len(chunk) > 76 and line.strip() and line != name + ":":
                lines.append(line)
                line = ""
            line += f" =?utf-8?q?{chunk}?="
    lines.append(line)
    value = "\r\n".join(lines)
    return value[len(name) + 2:] if value.startswith(name + ": ") else value[len(name) + 1:]


def _msgid(value: str, what: str) -> str:
    value = value.strip()
    if not _MSGID.match(value):
        raise ValueError(f"{what}: not a Message-ID: {value!r}")
    return value


def compose(
    *,
    sender: str,
    to: Sequence[str],
    subject: str,
    body: str,
    message_id: str,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    date: datetime | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    reply_to: str | None = None,
    headers: Mapping[str, str] | None = None,
    loop: str | None = None,
) -> bytes:
    """The RFC 5322 bytes (CRLF line ends, 7-bit clean) of one message.

    ``sender``/``to``/``cc``/``reply_to`` are addresses, optionally with a
    display name (``"Jānis Bērziņš <janis.berzins@vp.gov.lv>"``); a malformed
    one is ``InvalidInput``.  ``in_reply_to`` is also appended to
    ``References`` when missing there.  ``date`` defaults to now; a naive
    datetime is taken as UTC.  ``attachments`` are ``(filename, data,
    mimetype)``.  Every message also carries ``Auto-Submitted:
    auto-generated`` (RFC 3834: no out-of-office replies to the desk),
    ``X-Auto-Response-Suppress: All`` (the same for Exchange) and ``X-Loop``
    naming the desk (``loop``, by default the sender's address); ``headers``
    adds others (e.g. ``X-PD-Request``).  ``references`` entries may each
    hold several Message-IDs separated by spaces (as the outbox stores them).
    The subject is folded by ``fold_subject`` (spaces kept).
    """
    recipients = [_address(a, "To") for a in to]
    copies = [_address(a, "Cc") for a in cc]
    if not recipients and not copies:
        raise InvalidInput(_("a message needs at least one recipient"))

    msg = EmailMessage(policy=POLICY)
    msg["From"] = _address(sender, "From")
    if recipients:
        msg["To"] = recipients
    if copies:
        msg["Cc"] = copies
    if reply_to:
        msg["Reply-To"] = _address(reply_to, "Reply-To")
    msg.set_raw("Subject", fold_subject(" ".join(subject.split())))
    when = date or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = _msgid(message_id, "message_id")
    refs = [_msgid(r, "references") for entry in references for r in entry.split()]
    if in_reply_to:
        parent = _msgid(in_reply_to, "in_reply_to")
        msg["In-Reply-To"] = parent
        if parent not in refs:
            refs.append(parent)
    if refs:
        msg["References"] = " ".join(dict.fromkeys(refs))
    # Never answered by a machine (RFC 3834; Exchange's out-of-office and read
    # receipts; our own intake knows its X-Loop, SPEC 13).
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Loop"] = loop or msg["From"].addresses[0].addr_spec
    for name, value in (headers or {}).items():
        if "\n" in value or "\r" in value:
            raise ValueError(f"header {name}: line break in value")
        msg[name] = value

    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    msg.set_content(text, subtype="plain", charset="utf-8")

    for filename, data, mimetype in attachments:
        maintype, slash, subtype = mimetype.partition("/")
        if not slash or not maintype or not subtype:
            raise ValueError(f"attachment {filename!r}: not a MIME type: {mimetype!r}")
        msg.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=filename)

    return msg.as_bytes(policy=POLICY)


def envelope_of(data: bytes) -> tuple[str, list[str]]:
    """``(sender, recipients)`` addresses from a message's From / To, Cc and Bcc headers."""
    headers = BytesHeaderParser(policy=email.policy.default).parsebytes(data)
    sender = email.utils.parseaddr(str(headers.get("From", "")))[1]
    seen: dict[str, None] = {}
    for name in ("To", "Cc", "Bcc"):
        for _, addr in email.utils.getaddresses([str(v) for v in headers.get_all(name, [])]):
            if addr:
                seen.setdefault(addr, None)
    return sender, list(seen)
