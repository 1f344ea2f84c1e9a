"""Deliver composed bytes: ``SmtpTransport`` (``PD_SMTP_URL``) or ``DirTransport``
(``PD_MAIL_DIR``, one ``.eml`` file per message), and the outbox's retry delay
(``backoff``).

Failures are domain errors (``pd.errors``): ``TemporaryFailure`` (exit 8, try
again later), ``PermanentMailError`` (exit 3, the server refused this message
for good), ``ConfigError`` (exit 7: URL, credentials).
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
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from pd.errors import ConfigError, ExitCode, InvalidInput, PdError, TemporaryFailure
from pd.i18n import N_, _

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
        raise InvalidInput(_("{what}: not a valid e-mail address: {value!r}").format(what=_(what), value=value))
    return addr


def _envelope(sender: str, recipients: Sequence[str]) -> tuple[str, list[str]]:
    env_from = _addr_spec(sender, N_("sender"))
    rcpts = list(dict.fromkeys(_addr_spec(r, N_("recipient")) for r in recipients))
    if not rcpts:
        raise InvalidInput(_("no recipients to send to"))
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
        return ConfigError(_("PD_SMTP_URL: {reason}").format(reason=reason))

    text = (url or "").strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise bad(_("malformed URL ({error})").format(error=exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise bad(_("the scheme must be smtp:// or smtps://"))
    host = parts.hostname
    if not host:
        raise bad(_("no host"))
    if parts.path not in ("", "/") or parts.fragment:
        raise bad(_("unexpected path or fragment after host:port"))
    options: dict[str, str] = {}
    try:
        for key, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)):
            options[key.lower()] = value
    except ValueError:
        raise bad(_("malformed options {options!r}").format(options=parts.query)) from None
    unknown = sorted(set(options) - {"starttls", "timeout", "helo"})
    if unknown:
        raise bad(_("unknown option {option!r} (known: starttls, timeout, helo)").format(option=unknown[0]))

    starttls_opt = options.get("starttls", "").lower()
    if starttls_opt in _TRUE:
        starttls = True
    elif starttls_opt in _FALSE:
        starttls = False
    else:
        raise bad(_("starttls must be 1 or 0, not {value!r}").format(value=options["starttls"]))
    implicit = scheme == "smtps"
    if implicit and starttls:
        raise bad(_("smtps:// is already TLS; starttls=1 is for smtp://"))

    timeout = 30.0
    if "timeout" in options:
        try:
            timeout = float(options["timeout"])
        except ValueError:
            raise bad(_("timeout must be a number of seconds, not {value!r}").format(value=options["timeout"])) from None
        if not 0 < timeout <= 3600:
            raise bad(_("timeout must be between 0 and 3600 seconds"))

    if port is None:
        port = 465 if implicit else (587 if starttls else 25)
    if not 0 < port < 65536:
        raise bad(_("port {port} out of range").format(port=port))
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
        server = self.config.where
        where = _("mail server {server}").format(server=server)
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return ConfigError(_("mail server {server}: login as {user!r} refused: {code} {reply}").format(
                server=server, user=self.config.username, code=exc.smtp_code, reply=_reply_text(exc.smtp_error)))
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return ConfigError(f"{where}: {exc}")
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            refused = {a: (c, _reply_text(r)) for a, (c, r) in exc.recipients.items()}
            listed = "; ".join(f"{a} ({c} {r})" for a, (c, r) in refused.items())
            if any(c == 530 for c, _ in refused.values()):
                return self._auth_required(server, 530, next(iter(refused.values()))[1])
            if all(500 <= c < 600 for c, _ in refused.values()):
                first_code, first_reply = next(iter(refused.values()))
                return PermanentMailError(
                    _("mail server {server} refused every recipient: {listed}").format(server=server, listed=listed),
                    code=first_code, reply=first_reply, refused=refused,
                )
            return TemporaryFailure(_("mail server {server} refused the recipients for now: {listed}").format(
                server=server, listed=listed))
        if isinstance(exc, smtplib.SMTPResponseException):
            code, reply = exc.smtp_code, _reply_text(exc.smtp_error)
            if code == 530:
                return self._auth_required(server, code, reply)
            if isinstance(exc, smtplib.SMTPSenderRefused):
                said = _("mail server {server} refused the sender {sender}: {code} {reply}").format(
                    server=server, sender=exc.sender, code=code, reply=reply)
            elif isinstance(exc, smtplib.SMTPDataError):
                said = _("mail server {server} refused the message: {code} {reply}").format(
                    server=server, code=code, reply=reply)
            elif isinstance(exc, smtplib.SMTPHeloError):
                if 500 <= code < 600:
                    return ConfigError(_("mail server {server} refused our EHLO/HELO: {code} {reply} "
                                         "(set ?helo= in PD_SMTP_URL)").format(server=server, code=code, reply=reply))
                said = _("mail server {server} refused our EHLO/HELO: {code} {reply}").format(
                    server=server, code=code, reply=reply)
            elif isinstance(exc, smtplib.SMTPConnectError):
                return TemporaryFailure(_("mail server {server} is not accepting connections: {code} {reply}").format(
                    server=server, code=code, reply=reply))
            else:
                said = _("mail server {server} answered: {code} {reply}").format(server=server, code=code, reply=reply)
            if 500 <= code < 600 and stage == "send":
                return PermanentMailError(said, code=code, reply=reply)
            return TemporaryFailure(said)
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            # smtplib turns a read timeout into "Connection unexpectedly closed: timed out"
            if isinstance(exc.__context__, TimeoutError) or str(exc).endswith("timed out"):
                return TemporaryFailure(_("mail server {server}: no answer within {seconds} s").format(
                    server=server, seconds=f"{self.config.timeout:g}"))
            return TemporaryFailure(_("mail server {server}: connection closed by the server").format(server=server))
        if isinstance(exc, ssl.SSLCertVerificationError):
            return ConfigError(_("mail server {server}: TLS certificate not trusted: {error}").format(
                server=server, error=exc.verify_message or exc.reason))
        if isinstance(exc, ssl.SSLError):
            return TemporaryFailure(_("mail server {server}: TLS error: {error}").format(server=server, error=exc.reason or exc))
        if isinstance(exc, socket.gaierror):
            return TemporaryFailure(_("mail server {server}: cannot resolve host name: {error}").format(
                server=server, error=exc.strerror or exc))
        if isinstance(exc, TimeoutError):
            return TemporaryFailure(_("mail server {server}: no answer within {seconds} s").format(
                server=server, seconds=f"{self.config.timeout:g}"))
        if isinstance(exc, ConnectionRefusedError):
            return TemporaryFailure(_("mail server {server}: connection refused").format(server=server))
        if isinstance(exc, OSError):
            return TemporaryFailure(f"{where}: {exc.strerror or exc}")
        return TemporaryFailure(f"{where}: {exc}")

    def _auth_required(self, server: str, code: int, reply: str) -> ConfigError:
        if self.config.username:
            return ConfigError(_("mail server {server} requires authentication: {code} {reply}").format(
                server=server, code=code, reply=reply))
        return ConfigError(_("mail server {server} requires authentication: {code} {reply} "
                             "(put user:password@ in PD_SMTP_URL)").format(server=server, code=code, reply=reply))


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
            raise ConfigError(_("{where}: cannot create the directory: {error}").format(
                where=where, error=exc.strerror or exc)) from None
        if not self.directory.is_dir():
            raise ConfigError(_("{where}: not a directory").format(where=where))

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
            raise ConfigError(_("{where}: cannot write: {error}").format(where=where, error=exc.strerror or exc)) from None
        except OSError as exc:
            raise TemporaryFailure(_("{where}: cannot write: {error}").format(where=where, error=exc.strerror or exc)) from None
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
    raise ConfigError(_("no mail transport: set PD_SMTP_URL (or PD_MAIL_DIR to write .eml files)"))


def backoff(attempts: int, base_seconds: int = 60, cap_seconds: int = 6 * 3600) -> timedelta:
    """How long to wait after ``attempts`` failed deliveries: 1, 2, 4, 8 ... minutes, capped at 6 hours.

    ``attempts`` counts the failures so far (1 after the first); 0 or less -> no wait.
    """
    if attempts <= 0:
        return timedelta(0)
    exponent = min(attempts - 1, 62)
    return timedelta(seconds=min(base_seconds * (2 ** exponent), cap_seconds))
