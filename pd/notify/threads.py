"""A request's thread (SPEC 6): its pseudo-root Message-ID, fresh Message-IDs, the desk's domain.

Light on purpose: `pd.notify.notices` (loaded with the desk) needs these, and `compose`
(RFC 5322 bytes, the `email` package) is loaded only by whoever sends.
"""
from __future__ import annotations

import uuid

from ..errors import ConfigError
from ..i18n import _
from ..patterns import LazyPattern

_ID_PART = LazyPattern(r"[^A-Za-z0-9-]+")
_DOMAIN = LazyPattern(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


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
    from email.utils import parseaddr  # lazy: ~10M instructions of start-up; only queuing a mail needs it

    _, addr = parseaddr(address)
    if "@" not in addr:
        raise ConfigError(_("not an e-mail address: {address!r}").format(address=address))
    return addr.rpartition("@")[2].lower()
