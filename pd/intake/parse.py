"""Step 1: take one RFC 5322 message apart into what the desk reads.

Text is decoded by the declared charset, else UTF-8, else Windows-1257, else
the charset a detector finds (SPEC 13); a character that none of them can
read shows as U+FFFD and the message says so in `charset_note`: nothing is
dropped silently. The original bytes are never changed here.
"""
from __future__ import annotations

import codecs
import email
import email.header
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser

from .. import guard
from ..errors import InvalidInput
from ..i18n import N_, _, ngettext
from ..replytext import what_they_wrote
from .html import html_to_text


class BrokenMail(InvalidInput):
    """A message that cannot be taken apart: it goes to the quarantine."""


@dataclass
class Attachment:
    name: str
    size: int
    type: str
    stored: bool = True

    def as_dict(self) -> dict:
        return {"name": self.name, "size": self.size, "type": self.type, "stored": self.stored}


@dataclass
class ParsedMail:
    message: EmailMessage
    message_id: str | None
    sender_name: str
    sender_email: str
    subject: str
    sent_at: datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: bool
    attachments: list[Attachment] = field(default_factory=list)
    charset_notes: list[str] = field(default_factory=list)
    content_type: str = "text/plain"  # the message's own (a rule reads it for every mail)
    report_type: str = ""  # its report-type parameter, for a multipart/report
    # The message's headers by lower-case name, decoded when first asked for (a mail is asked for
    # ~20 headers: one pass over them instead of one each). Forgotten when a header is changed.
    _headers: dict[str, list] | None = field(default=None, repr=False, compare=False)
    _decoded: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)
    _reply: str | None = field(default=None, repr=False, compare=False)  # worked out on first use
    # The bytes `message` is taken apart from again, in a process the ParsedMail was sent to (below).
    source: bytes | None = field(default=None, repr=False, compare=False)

    def header(self, name: str) -> str:
        """A header's decoded text ('' when absent); several occurrences joined by ', '."""
        return ", ".join(self.header_values(name))

    def header_values(self, name: str) -> list[str]:
        """Every occurrence of a header, decoded: RFC 2047 words, and raw 8-bit text by the charset rules."""
        lname = name.lower()
        decoded = self._decoded.get(lname)
        if decoded is None:
            if self._headers is None:
                self._headers = _index(self.message)
            decoded = self._decoded[lname] = [decode_header(v) for v in self._headers.get(lname, ())]
        return decoded

    def forget_headers(self) -> None:
        """The message's headers were changed: read them again."""
        self._headers = None
        self._decoded.clear()

    @property
    def reply(self) -> str:
        """What the sender wrote now: no quoted history, signature or notice (worked out once)."""
        if self._reply is None:
            self._reply = what_they_wrote("", self.text) if self.html else what_they_wrote(self.text)
        return self._reply

    # A ParsedMail crosses to another process (pd mail fetch takes mail apart in a second one)
    # without its EmailMessage, whose header objects are of classes made on the fly: what the
    # desk reads of it is sent, and the message is taken apart again from `source` (the bytes
    # it was parsed from, as kept) only if something asks for it (a delivery report's parts).
    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("message", None)
        state["source"] = None
        if state["_headers"] is None:
            state["_headers"] = _index(self.message)
        state["_reply"] = self.reply
        return state

    def __getattr__(self, name: str):  # (only for an attribute not set: `message` after a crossing)
        if name == "message" and self.__dict__.get("source") is not None:
            msg = self.__dict__["message"] = read_message(self.__dict__["source"])
            return msg
        raise AttributeError(name)


class _RepeatedHeaders(HeaderRegistry):
    """The standard header factory, remembering the structural headers that repeat from mail to mail.

    The email package parses a header again each time it is looked at (and builds a new class for it):
    a plain one-part mail has its Content-Type parsed a dozen times (~0.1 ms each) while it is taken
    apart and guarded. Header objects are immutable, so one parse serves every look at the same value.
    """
    _NAMES = frozenset({"content-type", "content-transfer-encoding", "content-disposition", "mime-version"})
    _LIMIT = 512

    def __init__(self) -> None:
        super().__init__()
        self._seen: dict[tuple[str, str], object] = {}

    def __call__(self, name, value):
        if name.lower() not in self._NAMES:
            return super().__call__(name, value)
        key = (name, value)
        header = self._seen.get(key)
        if header is None:
            if len(self._seen) >= self._LIMIT:
                self._seen.clear()
            header = self._seen[key] = super().__call__(name, value)
        return header


#: email.policy.default with the header cache above: what every incoming mail is parsed with.
POLICY = email.policy.default.clone(header_factory=_RepeatedHeaders())


def read_message(raw: bytes) -> EmailMessage:
    """The standard library's parse of `raw`, with POLICY."""

    return BytesParser(policy=POLICY).parsebytes(raw)  # type: ignore[return-value]

FALLBACKS = ("utf-8", "cp1257")


# How a text part was read (stored, and given in --json, in English; a person reads charset_words()).
NOTE_DECLARED = N_("declared {charset} did not fit; read as {codec}")
NOTE_UNDECLARED = N_("no charset declared; read as {codec}")
NOTE_DETECTED = N_("not {tried}; read as {codec} (detected)")
NOTE_UNREADABLE = "not {tried}; {n} unreadable byte(s) shown as \ufffd"
_NOTES = (NOTE_DECLARED, NOTE_UNDECLARED, NOTE_DETECTED, NOTE_UNREADABLE)


def _note_pattern(template: str) -> "re.Pattern[str]":
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(t) if i % 2 == 0 else f"(?P<{t}>.*?)" for i, t in enumerate(parts))
                      + "(?:; |$)", re.DOTALL)


def charset_words(note: str) -> str:
    """A stored charset note (its parts joined by '; ') in the desk's language."""
    patterns = [(_note_pattern(t), t) for t in _NOTES]
    said, pos = [], 0
    while pos < len(note):
        for rx, template in patterns:
            m = rx.match(note, pos)
            if m and m.end() > pos:
                if template is NOTE_UNREADABLE:
                    n = int(m["n"]) if m["n"].isdigit() else 0
                    said.append(ngettext("not {tried}; {n} unreadable byte shown as \ufffd",
                                         "not {tried}; {n} unreadable bytes shown as \ufffd", n).format(
                        tried=m["tried"], n=n))
                else:
                    said.append(_(template).format(**m.groupdict()))
                pos = m.end()
                break
        else:
            said.append(note[pos:])
            break
    return "; ".join(said)


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """(text, note): the declared charset, else UTF-8, else Windows-1257, else detected.

    `note` says how the text was read when it was not simply its declared charset.
    """
    tried: list[str] = []
    if declared:
        codec = _codec(declared)
        if codec:
            try:
                return data.decode(codec), None
            except (UnicodeDecodeError, LookupError):
                tried.append(declared)
        else:
            tried.append(declared)
    for codec in FALLBACKS:
        if declared and _codec(declared) == codec:
            continue
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            tried.append(codec)
            continue
        if not declared and (codec == "utf-8" or data.isascii()):
            return text, None
        if declared:
            return text, NOTE_DECLARED.format(charset=repr(declared), codec=codec)
        return text, NOTE_UNDECLARED.format(codec=codec)
    from charset_normalizer import from_bytes  # lazy: costs ingest start-up; only a mislabelled mail needs it

    # A detector guesses wildly on a few bytes: trust it only on a text long enough to judge.
    best = from_bytes(data).best() if len(data) >= 64 else None
    if best is not None and best.percent_chaos < 0.2:
        try:
            return data.decode(best.encoding), NOTE_DETECTED.format(tried=", ".join(tried), codec=best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    # No charset reads every byte: the unreadable ones show as U+FFFD, and the note says so.
    text = data.decode("cp1257", errors="replace")
    return text, NOTE_UNREADABLE.format(tried=", ".join(tried), n=text.count(chr(0xFFFD)))


def _codec(name: str) -> str | None:
    name = name.strip().strip('"').lower()
    if name in ("unknown-8bit", "x-unknown", "unknown", "8bit", "us-ascii", "ascii"):
        return None if name != "us-ascii" and name != "ascii" else "utf-8"  # ASCII-declared 8-bit text is usually UTF-8
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _index(msg: EmailMessage) -> dict[str, list]:
    out: dict[str, list] = {}
    for key, value in msg.raw_items():
        out.setdefault(key.lower(), []).append(value)
    return out


def decode_header(value: str) -> str:
    """A raw header value (8-bit bytes surrogate-escaped) as text."""
    if not value.isascii() and any("\udc80" <= ch <= "\udcff" for ch in value):
        value, _ = decode_bytes(value.encode("ascii", "surrogateescape"))
    if "\n" in value:
        value = re.sub(r"\r?\n[ \t]", " ", value)  # unfold, keeping the space
    if "=?" not in value:
        return value.strip()
    try:
        parts = email.header.decode_header(value)
    except Exception:  # noqa: BLE001 - a malformed encoded word stays as written
        return value.strip()
    pieces = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            chunk, _ = decode_bytes(chunk, charset)
        pieces.append(chunk)
    # decode_header keeps the plain text between encoded words with its own spaces
    text = "".join(pieces) if any(isinstance(c, bytes) for c, _ in parts) else value
    return " ".join(text.split())


_MSGID = re.compile(r"<[^<>\s]+>")


def message_ids(value: str) -> list[str]:
    return _MSGID.findall(value or "")


def parse(raw: bytes, *, max_attachment: int) -> ParsedMail:
    """Take `raw` apart; BrokenMail when it is not a message at all."""
    if not raw or not raw.strip():
        raise BrokenMail("the message is empty")
    head = raw.lstrip()[:2000].split(b"\n", 1)[0]
    if b":" not in head or not re.match(rb"^[!-9;-~]+:", head):
        raise BrokenMail("the message does not begin with a header line")
    try:
        msg = read_message(raw)
    except Exception as exc:  # noqa: BLE001 - the parser is lenient; anything it throws is a broken mail
        raise BrokenMail(f"the message cannot be parsed: {type(exc).__name__}: {exc}") from exc
    if not any(True for _ in msg.raw_items()):
        raise BrokenMail("the message has no headers")

    mail = ParsedMail(message=msg, message_id=None, sender_name="", sender_email="", subject="", sent_at=None,
                      in_reply_to=[], references=[], text="", html=False)
    mail.sender_name, mail.sender_email = _sender(mail)
    mail.subject = " ".join(mail.header("Subject").split())
    mail.sent_at = _date(mail.header("Date"))
    mail.message_id = (message_ids(mail.header("Message-ID")) or [None])[0]
    mail.in_reply_to = message_ids(mail.header("In-Reply-To"))
    mail.references = message_ids(" ".join(mail.header_values("References")))
    mail.content_type = msg.get_content_type()
    if mail.content_type == "multipart/report":
        mail.report_type = str(msg.get_param("report-type") or "")
    body = _body(msg)
    mail.text, mail.html = body_text(msg, mail.charset_notes, body=body)
    mail.attachments = attachments(msg, max_attachment, body=body)
    return mail


# `Name <local@domain>` with nothing in the name that the address grammar gives a meaning to: what
# most mail has, and what parseaddr() reads as (the name's words, the address) at a tenth of its cost.
_PLAIN_ADDRESS = re.compile(r'([^"(),.:;<>@\[\]\\]*?)\s*<([\w+-]+(?:\.[\w+-]+)*@[\w-]+(?:\.[\w-]+)*)>\s*', re.ASCII)


def parse_address(value: str) -> tuple[str, str]:
    """email.utils.parseaddr(value), quickly for the plain form."""
    m = _PLAIN_ADDRESS.fullmatch(value)
    if m is not None and m.group(1).isprintable():
        return " ".join(m.group(1).split()), m.group(2)
    return email.utils.parseaddr(value)


def _sender(mail: ParsedMail) -> tuple[str, str]:
    for header in ("From", "Sender", "Return-Path"):
        values = mail.header_values(header)
        if values:
            name, addr = parse_address(values[0])
            if addr:
                return " ".join(name.split()), addr.strip().lower()
    return "", ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def part_text(part, notes: list[str] | None = None, *, data: bytes | None = None) -> str:
    """A text part's content as text, by the charset rules (`data`: its decoded payload, when known)."""
    if data is None:
        data = part.get_payload(decode=True)
    if data is None:
        payload = part.get_payload()
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    charset = part.get_param("charset")
    if isinstance(charset, tuple):  # RFC 2231 form
        charset = email.utils.collapse_rfc2231_value(charset)
    text, note = decode_bytes(data, charset)
    if note and notes is not None:
        notes.append(note)
    return text.replace("\r\n", "\n").replace("\r", "\n")


_UNKNOWN = object()


def _body(msg: EmailMessage):
    try:
        return msg.get_body(preferencelist=("plain", "html"))
    except Exception:  # noqa: BLE001
        return None


def body_text(msg: EmailMessage, notes: list[str], *, body=_UNKNOWN) -> tuple[str, bool]:
    """(text, came_from_html): the plain body, else the HTML body turned into text."""
    if body is _UNKNOWN:
        body = _body(msg)
    if body is None:
        if msg.get_content_maintype() == "text" and not _is_attachment(msg):
            body = msg
        else:
            return "", False
    text = part_text(body, notes)
    if body.get_content_subtype() == "html":

        return html_to_text(text), True
    return text.strip("\n").rstrip(), False


def _is_attachment(part) -> bool:
    return (part.get_content_disposition() == "attachment") or bool(part.get_filename())


def attachments(msg: EmailMessage, max_size: int, *, body=_UNKNOWN) -> list[Attachment]:
    """Every attachment with its name, size and type; `stored` is False over the limit."""
    out = []
    if body is _UNKNOWN:
        body = _body(msg)
    cids: set[str] | None = None
    for part in msg.walk():
        if part is msg or part.is_multipart() or part is body:
            continue
        ctype = part.get_content_type()
        if not _is_attachment(part) and ctype.startswith(("text/plain", "text/html", "multipart/")):
            continue  # an alternative of the body, not something attached
        data = part.get_payload(decode=True) or b""
        if ctype.startswith("image/"):
            if cids is None:
                cids = html_cids(msg)
            if is_decoration(part, len(data), cids):
                continue
        name = attachment_name(part)
        out.append(Attachment(name=name, size=len(data), type=ctype, stored=len(data) <= max_size))
    return out


#: An inline picture at most this large, that the HTML shows (or any inline one of TINY_IMAGE), is
#: the look of the mail (a signature's logo, a spacer): a screenshot pasted into the text is larger
#: and stays an attachment to list.
DECORATION_BYTES = 16 * 1024
TINY_IMAGE = 1024
_CID = re.compile(rb"cid:([^\"'\s<>()]{1,250})", re.IGNORECASE)


def html_cids(msg: EmailMessage) -> set[str]:
    """The Content-IDs that the mail's HTML parts show ("cid:image001.png@01DB…"), lower case."""
    out: set[str] = set()
    for part in msg.walk():
        if part.get_content_type() == "text/html" and not _is_attachment(part):
            data = part.get_payload(decode=True) or b""
            out.update(m.decode("ascii", "replace").lower() for m in _CID.findall(data))
    return out


def is_decoration(part, size: int, cids: set[str]) -> bool:
    """An image that is part of the mail's look, not an attachment to list: inline (not
    `attachment`) and either shown by the HTML through its Content-ID and at most
    DECORATION_BYTES, or at most TINY_IMAGE. The kept mail has it all the same."""
    if part.get_content_maintype() != "image" or part.get_content_disposition() == "attachment":
        return False
    try:
        cid = str(part.get("Content-ID", "") or "").strip().strip("<>").lower()
    except Exception:  # noqa: BLE001 - a Content-ID the header parser chokes on shows nothing
        cid = ""
    if cid and cid in cids and size <= DECORATION_BYTES:
        return True
    return size <= TINY_IMAGE and (bool(cid) or part.get_content_disposition() == "inline")


def attachment_name(part) -> str:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001
        name = None
    if name:
        return guard.redact_file_name(decode_header(str(name)))
    return f"(bez nosaukuma).{part.get_content_subtype()}"
