"""A real SMTP server on loopback for tests (aiosmtpd), as pytest fixtures.

Load it from a conftest with ``pytest_plugins = ["tests.smtp_fixture"]``, or
import the fixture names into a test module.

* ``smtp_server``: a running ``SmtpTestServer`` on 127.0.0.1 and a free port,
  stopped at teardown.  ``.url``, ``.envelopes`` (mail_from, rcpt_tos, data),
  ``.messages`` (parsed), ``.fail_next(n, code)``, ``.refuse(address)``,
  ``.stop()`` / ``.start()`` (the same port again), ``.clear()``.
* ``smtp_auth_server``: the same, requiring AUTH (PLAIN/LOGIN over plain
  loopback, ``auth_require_tls=False``) with ``.username`` / ``.password``.
* ``smtp_server_factory``: ``factory(**kwargs)`` -> a started server; all
  stopped at teardown.
* ``silent_port``: a port that accepts TCP connections and never answers
  (for timeouts).
* ``free_port()``: a currently free TCP port on 127.0.0.1.
"""
from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"

__all__ = [
    "HOST",
    "Received",
    "SmtpTestServer",
    "free_port",
    "smtp_server",
    "smtp_auth_server",
    "smtp_server_factory",
    "silent_port",
]


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    login: str | None = None

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]

    # tuple-like access: (mail_from, rcpt_tos, data)
    def __iter__(self) -> Iterator[Any]:
        return iter((self.mail_from, self.rcpt_tos, self.data))


_STAGES = ("mail", "rcpt", "data")


class _Controller(Controller):
    """aiosmtpd's Controller, without its UserWarning about AUTH over plain text (wanted here)."""

    def factory(self):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)
            return super().factory()


class _Handler:
    def __init__(self, server: SmtpTestServer):
        self._server = server

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        reply = self._server._take_failure("mail")
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        refused = self._server._refused_reply(address)
        if refused:
            return refused
        reply = self._server._take_failure("rcpt")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        reply = self._server._take_failure("data")
        if reply:
            return reply
        auth = getattr(session, "auth_data", None)
        login = auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else None
        self._server._record(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                data=bytes(envelope.original_content or envelope.content or b""),
                login=login,
            )
        )
        return "250 2.0.0 OK: queued"


_DEFAULT_TEXT = {
    421: "4.3.2 Service not available, closing channel",
    450: "4.2.1 Mailbox unavailable, try again later",
    451: "4.3.0 Local error in processing, try again later",
    452: "4.3.1 Insufficient system storage",
    550: "5.7.1 Message rejected",
    552: "5.3.4 Message too big",
    553: "5.1.3 Mailbox name not allowed",
    554: "5.6.0 Transaction failed",
}


class SmtpTestServer:
    """An aiosmtpd server in a thread, with knobs for failures and outages."""

    def __init__(
        self,
        host: str = HOST,
        port: int | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        ready_timeout: float = 5.0,
    ):
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.ready_timeout = ready_timeout
        self.envelopes: list[Received] = []
        self.logins: list[str] = []
        self.failed_logins: int = 0
        self._lock = threading.Lock()
        self._failures: dict[str, deque[str]] = {stage: deque() for stage in _STAGES}
        self._refused: dict[str, str] = {}
        self._controller: Controller | None = None

    # -- lifecycle ----------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def url(self) -> str:
        """``smtp://127.0.0.1:PORT`` (with ``user:password@`` when AUTH is required)."""
        if self.port is None:
            raise RuntimeError("the test SMTP server has no port yet: start() it")
        creds = ""
        if self.username is not None:
            from urllib.parse import quote

            creds = f"{quote(self.username, safe='')}:{quote(self.password or '', safe='')}@"
        return f"smtp://{creds}{self.host}:{self.port}"

    @property
    def plain_url(self) -> str:
        """``smtp://127.0.0.1:PORT`` without credentials."""
        return f"smtp://{self.host}:{self.port}"

    def _authenticator(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode("utf-8", "replace") == self.username
            and auth_data.password.decode("utf-8", "replace") == (self.password or "")
        )
        with self._lock:
            if ok:
                self.logins.append(self.username or "")
            else:
                self.failed_logins += 1
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def _make_controller(self, port: int) -> Controller:
        kwargs: dict[str, Any] = {}
        if self.username is not None:
            kwargs.update(
                authenticator=self._authenticator,
                auth_required=True,
                auth_require_tls=False,
            )
        return _Controller(
            _Handler(self),
            hostname=self.host,
            port=port,
            ready_timeout=self.ready_timeout,
            server_hostname="smtp.pd-test.invalid",
            **kwargs,
        )

    def start(self) -> SmtpTestServer:
        """Start listening (again on the same port when it ran before)."""
        if self._controller is not None:
            return self
        if self.port is None:
            last: BaseException | None = None
            for _ in range(20):          # another process may grab the free port first
                port = free_port(self.host)
                try:
                    self._start_on(port)
                    self.port = port
                    return self
                except OSError as exc:
                    last = exc
            raise RuntimeError(f"could not start the test SMTP server: {last}")
        deadline = time.monotonic() + 5.0
        while True:                      # the same port: retry briefly while it is released
            try:
                self._start_on(self.port)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _start_on(self, port: int) -> None:
        controller = self._make_controller(port)
        try:
            controller.start()
        except BaseException:
            try:
                controller.stop(no_assert=True)
            except Exception:  # noqa: BLE001
                pass
            raise
        self._controller = controller

    def stop(self) -> None:
        """Stop listening and drop every open connection (a server going down)."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- behaviour ----------------------------------------------------------

    def fail_next(self, count: int = 1, code: int = 451, text: str | None = None, *, stage: str = "data") -> None:
        """Answer ``code`` to the next ``count`` messages, at MAIL, RCPT or (default) DATA.

        451 is a temporary failure, 550 a permanent one.  At ``rcpt`` the reply
        applies to the next ``count`` recipients.
        """
        if stage not in _STAGES:
            raise ValueError(f"stage must be one of {_STAGES}")
        reply = f"{code} {text or _DEFAULT_TEXT.get(code, 'Test failure')}"
        with self._lock:
            self._failures[stage].extend([reply] * count)

    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 No such user here") -> None:
        """Refuse this recipient at RCPT (always, until ``clear()``)."""
        with self._lock:
            self._refused[address.lower()] = f"{code} {text}"

    def clear(self) -> None:
        """Forget received messages, pending failures and refusals."""
        with self._lock:
            self.envelopes.clear()
            self.logins.clear()
            self.failed_logins = 0
            for pending in self._failures.values():
                pending.clear()
            self._refused.clear()

    def _take_failure(self, stage: str) -> str | None:
        with self._lock:
            pending = self._failures[stage]
            return pending.popleft() if pending else None

    def _refused_reply(self, address: str) -> str | None:
        with self._lock:
            return self._refused.get(address.lower())

    def _record(self, received: Received) -> None:
        with self._lock:
            self.envelopes.append(received)

    # -- what arrived ---------------------------------------------------------

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            envelopes = list(self.envelopes)
        return [e.message for e in envelopes]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least ``count`` messages arrived (delivery is synchronous; this is a safety net)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if len(self.envelopes) >= count:
                    return list(self.envelopes)
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} message(s), got {len(self.envelopes)}")
            time.sleep(0.02)


@dataclass
class _Factory:
    servers: list[SmtpTestServer] = field(default_factory=list)

    def __call__(self, **kwargs: Any) -> SmtpTestServer:
        server = SmtpTestServer(**kwargs)
        self.servers.append(server)
        return server.start()

    def stop_all(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def smtp_server_factory() -> Iterator[_Factory]:
    factory = _Factory()
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture
def smtp_server() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_auth_server() -> Iterator[SmtpTestServer]:
    server = SmtpTestServer(username="pd-desk", password="Slēpts p@ss:wörd/1%").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose listener never accepts or answers: connecting works, the greeting never comes."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((HOST, 0))
        sock.listen(8)
        yield sock.getsockname()[1]
    finally:
        sock.close()
