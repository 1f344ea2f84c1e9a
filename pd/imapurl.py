"""PD_IMAP_URL and PD_IMAP_DONE as a checked mailbox configuration (SPEC 13).

Configuration, not the fetcher: `pd.config` checks the variable with it before anything is
written, and `pd mail fetch` connects with what it returns.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import parse_qs, unquote, urlparse

from .errors import ConfigError
from .i18n import _
from .record import Frozen


class ImapConfig(Frozen):
    scheme: str  # imap | imaps
    host: str
    port: int
    user: str
    password: str
    folder: str
    starttls: bool
    done: str

    def __repr__(self) -> str:  # never the password
        return f"ImapConfig({mask_url(f'{self.scheme}://{self.user}:x@{self.host}:{self.port}/{self.folder}')})"

    @property
    def key(self) -> str:
        """The mailbox's name in the ledger: never the password."""
        return f"{self.user}@{self.host}:{self.port}/{self.folder}"

    @property
    def tls(self) -> bool:
        return self.scheme == "imaps" or self.starttls


def mask_url(url: str | None) -> str | None:
    """The URL with its password replaced by ***, for people and logs."""
    if not url:
        return url
    try:
        parsed = urlparse(url)
        if parsed.password is None:
            return url
        netloc = parsed.netloc
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        return parsed._replace(netloc=f"{user}:***@{hostport}").geturl()
    except ValueError:
        return _("(unreadable URL)")


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_imap_url(url: str | None, done: str) -> ImapConfig:
    """PD_IMAP_URL as a checked configuration; ConfigError (exit 7) naming the variable otherwise."""
    if not url:
        raise ConfigError(_("PD_IMAP_URL is not set (e.g. imaps://user:password@mail.example.lv/INBOX)"))
    shown = mask_url(url)
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError as exc:
        raise ConfigError(_("PD_IMAP_URL: cannot read {url}: {error}").format(url=repr(shown), error=exc)) from None
    scheme = parsed.scheme.lower()
    if scheme not in ("imap", "imaps"):
        if scheme:
            raise ConfigError(_("PD_IMAP_URL: use imaps://… or imap://…?starttls=1, not {scheme}:// ({url})").format(
                scheme=scheme, url=shown))
        raise ConfigError(_("PD_IMAP_URL: use imaps://… or imap://…?starttls=1; {url} has no scheme").format(url=shown))
    host = parsed.hostname
    if not host:
        raise ConfigError(_("PD_IMAP_URL: no host in {url}").format(url=repr(shown)))
    query = {k.lower(): v[-1] for k, v in parse_qs(parsed.query).items()}
    starttls = query.get("starttls", "0").lower() in ("1", "yes", "true", "on")
    unknown = set(query) - {"starttls"}
    if unknown:
        raise ConfigError(_("PD_IMAP_URL: unknown parameter {names} ({url})").format(
            names=", ".join(sorted(unknown)), url=shown))
    if scheme == "imaps" and starttls:
        raise ConfigError(_("PD_IMAP_URL: imaps:// is TLS already; starttls=1 is for imap:// ({url})").format(
            url=shown))
    if scheme == "imap" and not starttls and not _is_loopback(host):
        raise ConfigError(_("PD_IMAP_URL: plain imap:// (the password in clear) on loopback only; use imaps:// "
                            "or ?starttls=1 ({url})").format(url=shown))
    if not parsed.username:
        raise ConfigError(_("PD_IMAP_URL: no user name in {url} (imaps://user:password@host/INBOX)").format(
            url=repr(shown)))
    folder = unquote(parsed.path.lstrip("/")) or "INBOX"
    done = (done or "").strip()
    if not done:
        raise ConfigError(_("PD_IMAP_DONE: empty; name the folder processed mail is moved to"))
    if done == folder:
        raise ConfigError(_("PD_IMAP_DONE: {folder} is the mailbox fetched from; name another folder").format(
            folder=repr(done)))
    return ImapConfig(scheme=scheme, host=host, port=port or (993 if scheme == "imaps" else 143),
                      user=unquote(parsed.username), password=unquote(parsed.password or ""),
                      folder=folder, starttls=starttls, done=done)
