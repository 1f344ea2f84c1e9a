"""E-mail for pd: render templates, compose RFC 5322 messages, deliver them.

No database here: the outbox (what is sent to whom, when, retries) belongs to
the caller.  This module only

* renders a message kind from ``pd/templates/mail/<lang>/<kind>.txt``
  (``render``), overridable per file by a deployment's ``PD_TEMPLATES_DIR``;
* composes the bytes of a message (``compose``): UTF-8 text, RFC 2047 subject
  and display names, Message-ID / In-Reply-To / References for threading,
  attachments with RFC 2231 file names;
* delivers bytes through a ``Transport``: ``SmtpTransport`` (``PD_SMTP_URL``)
  or ``DirTransport`` (``PD_MAIL_DIR``, one ``.eml`` file per message);
* computes the outbox's retry delay (``backoff``).

Failures are domain errors (``pd.errors``): ``TemporaryFailure`` (exit 8, try
again later), ``PermanentMailError`` (exit 3, the server refused this message
for good: retrying will not help), ``ConfigError`` (exit 7: URL, credentials,
templates).  Only the standard library is imported.
"""
from __future__ import annotations

import base64
import email.policy
import email.utils
import os
import re
import smtplib
import socket
import ssl
import string
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from pd.errors import ConfigError, ExitCode, InvalidInput, PdError, TemporaryFailure

__all__ = [
    "KINDS",
    "VARIABLES",
    "SHIPPED_TEMPLATES_DIR",
    "LANGUAGES",
    "render",
    "template_path",
    "validate_templates",
    "thread_root_id",
    "new_message_id",
    "domain_of",
    "compose",
    "envelope_of",
    "Transport",
    "SmtpConfig",
    "parse_smtp_url",
    "SmtpTransport",
    "DirTransport",
    "PermanentMailError",
    "transport_from_env",
    "backoff",
]

# --------------------------------------------------------------------------
# Templates
# --------------------------------------------------------------------------

SHIPPED_TEMPLATES_DIR = Path(__file__).resolve().parent / "templates" / "mail"
LANGUAGES = ("lv", "en")

KINDS = (
    "assigned_expert",
    "forwarded_user",
    "delay_user",
    "resolved_user",
    "closed_user",
    "refused_user",
    "escalation_manager",
    "monthly_report",
    "desk_notice",
)

_DESK = frozenset({"desk_name", "desk_email", "desk_phone"})
_COMMON = _DESK | frozenset(
    {"number", "service_code", "service_name", "description", "status_label", "requester_name"}
)

#: The variables each kind's shipped template may use (what the caller is
#: expected to supply).  A supervisor's template may use any of them;
#: ``render`` itself only checks against the context it is given.
VARIABLES: Mapping[str, frozenset[str]] = {
    "assigned_expert": _COMMON
    | {
        "expert_name", "urgent_marker", "requester_institution", "requester_unit",
        "requester_position", "requester_phone", "requester_email", "location", "room",
        "username", "received_at", "response_due", "resolution_due", "note",
    },
    "forwarded_user": _COMMON | {"resolution_due"},
    "delay_user": _COMMON | {"planned_date", "delay_reason"},
    "resolved_user": _COMMON | {"result", "close_after"},
    "closed_user": _COMMON | {"result"},
    "refused_user": _COMMON | {"reason", "ict_contact"},
    "escalation_manager": _COMMON
    | {
        "manager_name", "expert_name", "reason_label", "response_due", "resolution_due",
        "planned_date", "history", "level",
    },
    # Not about one request: no number, no service; see render().
    "monthly_report": _DESK | {"institution_name", "month", "summary"},
    # To the desk itself; ``number`` may also name something other than a
    # request (e.g. "pārskats 2026-10"), it goes into the [PD ...] tag.
    "desk_notice": frozenset({"number", "reason", "details", "desk_name"}),
}

_SUBJECT_PREFIX = "subject:"


def template_path(kind: str, lang: str, templates_dir: Path | str | None = None) -> Path:
    """The file ``render`` reads: the deployment's copy if it has one, else the shipped one."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown mail kind {kind!r} (known: {', '.join(KINDS)})")
    if lang not in LANGUAGES:
        raise InvalidInput(f"unknown mail language {lang!r} (known: {', '.join(LANGUAGES)})")
    if templates_dir is not None and str(templates_dir) != "":
        base = Path(templates_dir)
        if not base.is_dir():
            raise ConfigError(f"PD_TEMPLATES_DIR {base}: not a directory")
        candidate = base / lang / f"{kind}.txt"
        if candidate.is_file():
            return candidate
    return SHIPPED_TEMPLATES_DIR / lang / f"{kind}.txt"


def _read_template(path: Path) -> tuple[str, str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"template {path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"template {path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"template {path}: cannot read: {exc.strerror or exc}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    first, sep, rest = text.partition("\n")
    if not first.lower().startswith(_SUBJECT_PREFIX):
        raise ConfigError(f"template {path}: line 1 must be 'Subject: ...'")
    subject = first[len(_SUBJECT_PREFIX):].strip()
    if not subject:
        raise ConfigError(f"template {path}: line 1: the subject is empty")
    second, _, body = rest.partition("\n")
    if second.strip():
        raise ConfigError(f"template {path}: line 2 must be blank (it separates the subject from the body)")
    return subject, body


def _placeholders(text: str, path: Path, line_offset: int) -> list[str]:
    """Names used in ``text``; an unterminated ``${`` is an error, a lone ``$`` is text."""
    names: list[str] = []
    for match in string.Template.pattern.finditer(text):
        name = match.group("named") or match.group("braced")
        if name:
            names.append(name)
        elif match.group("invalid") is not None:
            start = match.start("invalid")
            if text.startswith("{", start):
                line = text.count("\n", 0, start) + 1 + line_offset
                raise ConfigError(f"template {path}: line {line}: unterminated or invalid '${{' placeholder")
    return names


_LABEL_ONLY = re.compile(r"^[^\n]*:$")


def _without_placeholders(match: re.Match[str]) -> str:
    if match.group("escaped") is not None:
        return "$"
    if match.group("named") or match.group("braced"):
        return ""
    return match.group(0)


def _substitute_body(body: str, values: Mapping[str, str]) -> str:
    """Substitute line by line, leaving out a labelled field with nothing in it.

    A template line that uses placeholders which all render empty, and whose
    remaining text is nothing or a label ending in ':' ("Telpa: $room"), is
    left out, so optional fields do not leave dangling labels.
    """
    out: list[str] = []
    for line in body.split("\n"):
        names = [m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(line)]
        names = [n for n in names if n]
        if names and all(values.get(n, "") == "" for n in names):
            rest = string.Template.pattern.sub(_without_placeholders, line).strip()
            if rest == "" or _LABEL_ONLY.match(rest):
                continue
        out.append(string.Template(line).safe_substitute(values))
    text = "\n".join(out)
    text = re.sub(r"[ \t]+\n", "\n", text)          # no trailing blanks
    text = re.sub(r"\n{3,}", "\n\n", text)          # at most one empty line in a row
    return text.strip("\n") + "\n"


def render(
    kind: str,
    lang: str,
    context: Mapping[str, object],
    templates_dir: Path | None = None,
) -> tuple[str, str]:
    """Render a message kind in a language: ``(subject, body)``.

    The template is ``<templates_dir>/<lang>/<kind>.txt`` when that file exists
    (a deployment's ``PD_TEMPLATES_DIR``), else the shipped
    ``pd/templates/mail/<lang>/<kind>.txt``.  Its first line is
    ``Subject: ...``, then a blank line, then the body.  Placeholders are
    ``string.Template`` ones (``$name``, ``${name}``, ``$$`` for a dollar); a
    ``$`` not followed by a name is kept as text.  A placeholder the context
    lacks raises ``ConfigError("template <path>: unknown placeholder $x")``.

    Values are pre-formatted by the caller; ``None`` renders as "".  In the
    body a labelled line whose placeholders are all empty ("Telpa: $room") is
    left out.  The subject is one line (whitespace in values collapsed).

    Every subject must carry the request's tag ``[PD <number>]`` (checked:
    ``ConfigError`` when a template lost it), except ``monthly_report``, which
    is about no single request and is tagged ``[PD pārskats <month>]`` (lv) /
    ``[PD report <month>]`` (en): for it only the ``[PD `` prefix is checked.
    """
    path = template_path(kind, lang, templates_dir)
    subject_t, body_t = _read_template(path)
    values = {key: ("" if value is None else str(value)) for key, value in context.items()}

    used = _placeholders(subject_t, path, 0) + _placeholders(body_t, path, 2)
    missing = [name for name in dict.fromkeys(used) if name not in values]
    if missing:
        listed = ", ".join(f"${name}" for name in missing)
        plural = "s" if len(missing) > 1 else ""
        raise ConfigError(f"template {path}: unknown placeholder{plural} {listed}")

    subject = " ".join(string.Template(subject_t).safe_substitute(values).split())
    body = _substitute_body(body_t, values)

    if kind == "monthly_report":
        if "[PD " not in subject:
            raise ConfigError(f"template {path}: the subject must contain the tag [PD pārskats $month]")
    else:
        number = values.get("number")
        if number is None:
            raise ValueError(f"render({kind!r}): the context has no 'number'")
        if f"[PD {number}]" not in subject:
            raise ConfigError(f"template {path}: the subject must contain [PD $number]")
    return subject, body


def validate_templates(templates_dir: Path | str | None = None) -> list[str]:
    """Render every kind and language with its documented variables; return the problems found.

    For a ``pd`` check command or a test: an empty list means every template a
    deployment would use (its own or the shipped one) renders.
    """
    problems: list[str] = []
    for lang in LANGUAGES:
        for kind in KINDS:
            sample = {name: f"<{name}>" for name in VARIABLES[kind]}
            sample["number"] = "2026-000001"
            try:
                render(kind, lang, sample, Path(templates_dir) if templates_dir else None)
            except PdError as exc:
                problems.append(str(exc))
    return problems


# --------------------------------------------------------------------------
# Message-IDs and composing
# --------------------------------------------------------------------------

_ID_PART = re.compile(r"[^A-Za-z0-9-]+")
_DOMAIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def _check_domain(domain: str) -> str:
    domain = domain.strip().lower()
    if not _DOMAIN.match(domain):
        raise ValueError(f"not a mail domain: {domain!r}")
    return domain


def thread_root_id(number: str, domain: str) -> str:
    """``<pd-2026-000123@domain>``: the same for every message of one request.

    Not sent as any message's own Message-ID; every message of a request
    carries it in In-Reply-To and References, so mail clients thread them.
    """
    return f"<pd-{_ID_PART.sub('-', number).strip('-')}@{_check_domain(domain)}>"


def new_message_id(number: str | None, domain: str) -> str:
    """A fresh unique Message-ID: ``<pd-2026-000123.<uuid hex>@domain>`` (``<pd.<hex>@domain>`` without a number)."""
    stem = "pd" if not number else f"pd-{_ID_PART.sub('-', number).strip('-')}"
    return f"<{stem}.{uuid.uuid4().hex}@{_check_domain(domain)}>"


def domain_of(address: str) -> str:
    """The domain of an address (``"PD <pd@ic.iem.gov.lv>"`` -> ``ic.iem.gov.lv``), for Message-IDs."""
    _, addr = email.utils.parseaddr(address)
    if "@" not in addr:
        raise ConfigError(f"not an e-mail address: {address!r}")
    return addr.rpartition("@")[2].lower()


_MSGID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")

#: The policy of composed messages: SMTP (CRLF), and 7-bit clean, so a
#: non-ASCII text body is quoted-printable or base64 (whichever is shorter)
#: and any server takes it without 8BITMIME.
POLICY = email.policy.SMTP.clone(cte_type="7bit")


def _address(value: str, what: str) -> Address:
    if "\n" in value or "\r" in value:
        raise InvalidInput(f"{what}: line break in address {value!r}")
    name, addr = email.utils.parseaddr(value)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or not addr.isascii():
        raise InvalidInput(f"{what}: not a valid e-mail address: {value!r}")
    try:
        return Address(display_name=name, addr_spec=addr)
    except (ValueError, IndexError) as exc:
        raise InvalidInput(f"{what}: not a valid e-mail address: {value!r} ({exc})") from None


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
) -> bytes:
    """The RFC 5322 bytes (CRLF line ends, 7-bit clean) of one message.

    ``sender``/``to``/``cc``/``reply_to`` are addresses, optionally with a
    display name (``"Jānis Bērziņš <janis.berzins@vp.gov.lv>"``); a malformed
    one is ``InvalidInput``.  ``in_reply_to`` is also appended to
    ``References`` when missing there.  ``date`` defaults to now; a naive
    datetime is taken as UTC.  ``attachments`` are ``(filename, data,
    mimetype)``.  Every message also carries ``Auto-Submitted:
    auto-generated`` (RFC 3834: no out-of-office replies to the desk);
    ``headers`` adds others (e.g. ``X-PD-Request``).
    """
    recipients = [_address(a, "To") for a in to]
    copies = [_address(a, "Cc") for a in cc]
    if not recipients and not copies:
        raise InvalidInput("a message needs at least one recipient")

    msg = EmailMessage(policy=POLICY)
    msg["From"] = _address(sender, "From")
    if recipients:
        msg["To"] = recipients
    if copies:
        msg["Cc"] = copies
    if reply_to:
        msg["Reply-To"] = _address(reply_to, "Reply-To")
    msg["Subject"] = " ".join(subject.split())
    when = date or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    msg["Date"] = email.utils.format_datetime(when)
    msg["Message-ID"] = _msgid(message_id, "message_id")
    refs = [_msgid(r, "references") for r in references]
    if in_reply_to:
        parent = _msgid(in_reply_to, "in_reply_to")
        msg["In-Reply-To"] = parent
        if parent not in refs:
            refs.append(parent)
    if refs:
        msg["References"] = " ".join(dict.fromkeys(refs))
    msg["Auto-Submitted"] = "auto-generated"
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


# --------------------------------------------------------------------------
# Delivery
# --------------------------------------------------------------------------

#: A recipient refused while others were accepted: address -> (code, reply).
Refused = dict[str, tuple[int, str]]


class PermanentMailError(PdError):
    """The server refused this message for good (5xx): retrying will not help.

    ``code`` and ``reply`` are the server's answer; ``refused`` maps each
    refused recipient to ``(code, reply)`` when the refusal was per recipient.
    """

    exit_code = ExitCode.INVALID_INPUT

    def __init__(self, message: str, *, code: int | None = None, reply: str = "", refused: Refused | None = None):
        super().__init__(message)
        self.code = code
        self.reply = reply
        self.refused: Refused = dict(refused or {})


class Transport(Protocol):
    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> Refused:
        """Deliver ``data``; return the recipients refused while others were accepted (``{}`` normally)."""
        ...

    def close(self) -> None: ...


def _addr_spec(value: str, what: str) -> str:
    _, addr = email.utils.parseaddr(value)
    if "@" not in addr or "\n" in value or "\r" in value:
        raise InvalidInput(f"{what}: not a valid e-mail address: {value!r}")
    return addr


def _envelope(sender: str, recipients: Sequence[str]) -> tuple[str, list[str]]:
    env_from = _addr_spec(sender, "sender")
    rcpts = list(dict.fromkeys(_addr_spec(r, "recipient") for r in recipients))
    if not rcpts:
        raise InvalidInput("no recipients to send to")
    return env_from, rcpts


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool = False          # smtps://
    starttls: bool = False              # ?starttls=1
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0               # ?timeout=10 (seconds)
    helo: str | None = None             # ?helo=name: the name sent in EHLO (default: this host's FQDN)

    @property
    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def redacted_url(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        user = f"{self.username}:***@" if self.username is not None else ""
        query = "?starttls=1" if self.starttls else ""
        return f"{scheme}://{user}{self.where}{query}"


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def parse_smtp_url(url: str) -> SmtpConfig:
    """Parse ``PD_SMTP_URL``.

    ``smtp://host[:port]`` (default port 25), ``smtps://host[:port]`` (implicit
    TLS, default 465), ``user:password@`` (percent-decoded), options
    ``starttls=1`` (default port 587 then), ``timeout=SECONDS`` (default 30),
    ``helo=NAME``.  Anything else is ``ConfigError`` (the password never
    appears in the message).
    """
    def bad(reason: str) -> ConfigError:
        return ConfigError(f"PD_SMTP_URL: {reason}")

    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise bad(f"malformed URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise bad("the scheme must be smtp:// or smtps://")
    host = parts.hostname
    if not host:
        raise bad("no host")
    if parts.path not in ("", "/") or parts.fragment:
        raise bad("unexpected path or fragment after host:port")
    options: dict[str, str] = {}
    try:
        for key, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)):
            options[key.lower()] = value
    except ValueError:
        raise bad(f"malformed options {parts.query!r}") from None
    unknown = sorted(set(options) - {"starttls", "timeout", "helo"})
    if unknown:
        raise bad(f"unknown option {unknown[0]!r} (known: starttls, timeout, helo)")

    starttls_opt = options.get("starttls", "").lower()
    if starttls_opt in _TRUE:
        starttls = True
    elif starttls_opt in _FALSE:
        starttls = False
    else:
        raise bad(f"starttls must be 1 or 0, not {options['starttls']!r}")
    implicit = scheme == "smtps"
    if implicit and starttls:
        raise bad("smtps:// is already TLS; starttls=1 is for smtp://")

    timeout = 30.0
    if "timeout" in options:
        try:
            timeout = float(options["timeout"])
        except ValueError:
            raise bad(f"timeout must be a number of seconds, not {options['timeout']!r}") from None
        if not 0 < timeout <= 3600:
            raise bad("timeout must be between 0 and 3600 seconds")

    if port is None:
        port = 465 if implicit else (587 if starttls else 25)
    if not 0 < port < 65536:
        raise bad(f"port {port} out of range")
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    if username == "":
        username = None
    return SmtpConfig(
        host=host,
        port=port,
        implicit_tls=implicit,
        starttls=starttls,
        username=username,
        password=password,
        timeout=timeout,
        helo=options.get("helo") or None,
    )


def _reply_text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", errors="replace")
    return " ".join(reply.split())


class SmtpTransport:
    """Deliver over SMTP with one connection reused across ``send`` calls.

    The connection is opened on the first ``send``; before reusing it a NOOP
    checks it is alive, and a dropped one is reopened once.  ``send`` returns
    the recipients the server refused while accepting others (also kept in
    ``last_refused``): the message went to the rest; a 4xx code there means
    that recipient may be retried, a 5xx not.

    Raises ``TemporaryFailure`` (unreachable, timeout, DNS, disconnect, 4xx),
    ``PermanentMailError`` (5xx for this message: sender, every recipient or
    the data refused), ``ConfigError`` (authentication failed or required,
    AUTH/STARTTLS not offered, TLS certificate not trusted).  Messages name
    ``host:port``, never the password.
    """

    def __init__(self, config: SmtpConfig, *, ssl_context: ssl.SSLContext | None = None):
        self.config = config
        self._ssl_context = ssl_context
        self._conn: smtplib.SMTP | None = None
        self.last_refused: Refused = {}

    @classmethod
    def from_url(cls, url: str) -> SmtpTransport:
        return cls(parse_smtp_url(url))

    def __repr__(self) -> str:
        return f"SmtpTransport({self.config.redacted_url()})"

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- connection ---------------------------------------------------------

    def _tls(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        conn: smtplib.SMTP | None = None
        try:
            if cfg.implicit_tls:
                conn = smtplib.SMTP_SSL(local_hostname=cfg.helo, timeout=cfg.timeout, context=self._tls())
            else:
                conn = smtplib.SMTP(local_hostname=cfg.helo, timeout=cfg.timeout)
            conn.connect(cfg.host, cfg.port)
            conn.ehlo_or_helo_if_needed()
            if cfg.starttls:
                conn.starttls(context=self._tls())
                conn.ehlo()
            if cfg.username is not None:
                _login(conn, cfg.username, cfg.password or "")
        except BaseException as exc:
            if conn is not None:
                _close_quietly(conn)
            if isinstance(exc, (smtplib.SMTPException, OSError)):
                raise self._error(exc, "connect") from None
            raise
        return conn

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None:
            try:
                code, _ = self._conn.noop()
                if code == 250:
                    return self._conn
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()
        self._conn = self._connect()
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            _close_quietly(self._conn)
            self._conn = None

    def close(self) -> None:
        """QUIT and close the connection, if any (safe to call twice)."""
        if self._conn is not None:
            try:
                self._conn.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                _close_quietly(self._conn)
                self._conn = None

    # -- sending ------------------------------------------------------------

    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> Refused:
        env_from, rcpts = _envelope(sender, recipients)
        self.last_refused = {}
        conn = self._connection()
        options: list[str] = []
        if any(b > 127 for b in data) and conn.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")
        try:
            refused = conn.sendmail(env_from, rcpts, data, mail_options=options)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise self._error(exc, "send") from None
        except smtplib.SMTPException as exc:
            if getattr(conn, "sock", None) is None:   # smtplib closed it (e.g. after a 421)
                self._conn = None
            raise self._error(exc, "send") from None
        self.last_refused = {addr: (code, _reply_text(reply)) for addr, (code, reply) in refused.items()}
        return dict(self.last_refused)

    # -- error mapping ------------------------------------------------------

    def _error(self, exc: BaseException, stage: str) -> PdError:
        where = f"mail server {self.config.where}"
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return ConfigError(
                f"{where}: login as {self.config.username!r} refused: {exc.smtp_code} {_reply_text(exc.smtp_error)}"
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return ConfigError(f"{where}: {exc}")
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refused = {a: (c, _reply_text(r)) for a, (c, r) in exc.recipients.items()}
            listed = "; ".join(f"{a} ({c} {r})" for a, (c, r) in refused.items())
            if any(c == 530 for c, _ in refused.values()):
                return self._auth_required(where, 530, next(iter(refused.values()))[1])
            if all(500 <= c < 600 for c, _ in refused.values()):
                first_code, first_reply = next(iter(refused.values()))
                return PermanentMailError(
                    f"{where} refused every recipient: {listed}",
                    code=first_code, reply=first_reply, refused=refused,
                )
            return TemporaryFailure(f"{where} refused the recipients for now: {listed}")
        if isinstance(exc, smtplib.SMTPResponseException):
            code, reply = exc.smtp_code, _reply_text(exc.smtp_error)
            if code == 530:
                return self._auth_required(where, code, reply)
            if isinstance(exc, smtplib.SMTPSenderRefused):
                what = f"refused the sender {exc.sender}"
            elif isinstance(exc, smtplib.SMTPDataError):
                what = "refused the message"
            elif isinstance(exc, smtplib.SMTPHeloError):
                if 500 <= code < 600:
                    return ConfigError(f"{where} refused our EHLO/HELO: {code} {reply} (set ?helo= in PD_SMTP_URL)")
                what = "refused our EHLO/HELO"
            elif isinstance(exc, smtplib.SMTPConnectError):
                return TemporaryFailure(f"{where} is not accepting connections: {code} {reply}")
            else:
                what = "answered"
            if 500 <= code < 600 and stage == "send":
                return PermanentMailError(f"{where} {what}: {code} {reply}", code=code, reply=reply)
            return TemporaryFailure(f"{where} {what}: {code} {reply}")
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            # smtplib turns a read timeout into "Connection unexpectedly closed: timed out"
            if isinstance(exc.__context__, TimeoutError) or str(exc).endswith("timed out"):
                return TemporaryFailure(f"{where}: no answer within {self.config.timeout:g} s")
            return TemporaryFailure(f"{where}: connection closed by the server")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return ConfigError(f"{where}: TLS certificate not trusted: {exc.verify_message or exc.reason}")
        if isinstance(exc, ssl.SSLError):
            return TemporaryFailure(f"{where}: TLS error: {exc.reason or exc}")
        if isinstance(exc, socket.gaierror):
            return TemporaryFailure(f"{where}: cannot resolve host name: {exc.strerror or exc}")
        if isinstance(exc, TimeoutError):
            return TemporaryFailure(f"{where}: no answer within {self.config.timeout:g} s")
        if isinstance(exc, ConnectionRefusedError):
            return TemporaryFailure(f"{where}: connection refused")
        if isinstance(exc, OSError):
            return TemporaryFailure(f"{where}: {exc.strerror or exc}")
        return TemporaryFailure(f"{where}: {exc}")

    def _auth_required(self, where: str, code: int, reply: str) -> ConfigError:
        hint = "" if self.config.username else " (put user:password@ in PD_SMTP_URL)"
        return ConfigError(f"{where} requires authentication: {code} {reply}{hint}")


def _login(conn: smtplib.SMTP, username: str, password: str) -> None:
    """``conn.login``, but a non-ASCII user name or password goes as UTF-8 AUTH PLAIN (RFC 4616).

    smtplib encodes credentials as ASCII and would fail on "Slēpts".
    """
    if (username + password).isascii():
        conn.login(username, password)
        return
    conn.ehlo_or_helo_if_needed()
    if not conn.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    if "PLAIN" not in conn.esmtp_features["auth"].upper().split():
        raise smtplib.SMTPNotSupportedError("the server does not offer AUTH PLAIN, needed for a non-ASCII password")
    token = base64.b64encode(b"\0" + username.encode() + b"\0" + password.encode()).decode("ascii")
    code, reply = conn.docmd("AUTH", "PLAIN " + token)
    if code == 334:                       # the server wants the token on its own line
        code, reply = conn.docmd(token)
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, reply)


def _close_quietly(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - closing a broken socket must not mask the real error
        pass


_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


class DirTransport:
    """Write each message as ``<dir>/<UTC timestamp>-<message-id slug>.eml``.

    For a deployment without SMTP, for demos and tests.  Written atomically
    (a hidden temporary file in the same directory, fsync, ``os.replace``), so
    a reader never sees half a file.  The envelope is recorded in two headers
    put in front of the message, ``X-PD-Envelope-From`` and
    ``X-PD-Envelope-To``.  ``last_path`` is the file written last.
    """

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = Path(directory)
        self.last_path: Path | None = None
        self.last_refused: Refused = {}

    def __repr__(self) -> str:
        return f"DirTransport({str(self.directory)!r})"

    def __enter__(self) -> DirTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        pass

    def send(self, sender: str, recipients: Sequence[str], data: bytes) -> Refused:
        env_from, rcpts = _envelope(sender, recipients)
        where = f"PD_MAIL_DIR {self.directory}"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{where}: cannot create the directory: {exc.strerror or exc}") from None
        if not self.directory.is_dir():
            raise ConfigError(f"{where}: not a directory")

        msgid = BytesHeaderParser(policy=email.policy.default).parsebytes(data).get("Message-ID")
        slug = _SLUG.sub("_", str(msgid or "").strip().strip("<>")).strip("._")[:120] or uuid.uuid4().hex
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        target = self.directory / f"{stamp}-{slug}.eml"
        counter = 1
        while target.exists():
            target = self.directory / f"{stamp}-{slug}-{counter}.eml"
            counter += 1

        eol = b"\r\n" if b"\r\n" in data[:4096] else b"\n"
        prefix = (
            b"X-PD-Envelope-From: " + env_from.encode("ascii", "replace") + eol
            + b"X-PD-Envelope-To: " + ", ".join(rcpts).encode("ascii", "replace") + eol
        )
        tmp_name: str | None = None
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=".pd-", suffix=".tmp", dir=self.directory)
            with os.fdopen(fd, "wb") as fh:
                fh.write(prefix)
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp_name, target)
            tmp_name = None
        except PermissionError as exc:
            raise ConfigError(f"{where}: cannot write: {exc.strerror or exc}") from None
        except OSError as exc:
            raise TemporaryFailure(f"{where}: cannot write: {exc.strerror or exc}") from None
        finally:
            if tmp_name is not None:
                try:
                    os.unlink(tmp_name)
                except OSError:
                    pass
        self.last_path = target
        self.last_refused = {}
        return {}


def transport_from_env(smtp_url: str | None, mail_dir: str | None) -> Transport:
    """The transport the environment configures: ``PD_SMTP_URL`` wins over ``PD_MAIL_DIR``."""
    if smtp_url and smtp_url.strip():
        return SmtpTransport(parse_smtp_url(smtp_url))
    if mail_dir and mail_dir.strip():
        return DirTransport(mail_dir.strip())
    raise ConfigError("no mail transport: set PD_SMTP_URL (or PD_MAIL_DIR to write .eml files)")


def backoff(attempts: int, base_seconds: int = 60, cap_seconds: int = 6 * 3600) -> timedelta:
    """How long to wait after ``attempts`` failed deliveries: 1, 2, 4, 8 ... minutes, capped at 6 hours.

    ``attempts`` counts the failures so far (1 after the first); 0 or less -> no wait.
    """
    if attempts <= 0:
        return timedelta(0)
    exponent = min(attempts - 1, 62)
    return timedelta(seconds=min(base_seconds * (2 ** exponent), cap_seconds))
