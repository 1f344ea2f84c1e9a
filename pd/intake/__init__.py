"""Mail in (SPEC 13): one core behind `pd mail ingest` and `pd mail fetch`.

The pipeline is a row of small steps, one module each (as Zammad's channel
filters and Znuny's PostMaster modules are):

* ``parse``    — bytes to headers, text and attachments; charsets by SPEC 13's order;
* ``html``     — an HTML-only mail as readable text;
* ``redact``   — the password guard on everything stored, the kept original included;
* ``classify`` — automatic mail (auto-replies, lists, loops, daemons) and delivery reports;
* ``match``    — which request: `[PD N]` behind reply prefixes, or thread headers;
* ``store``    — one transaction: the message, and the follow-up / answer / objection / intake item;
* ``bounce``   — a delivery failure marks the desk's outbox message failed and tells the desk;
* ``items``    — the intake queue: list, show, register, attach, ignore, seen, replay;

The intake is an input channel like the command line: it calls the process as a command
would. What `pd queue` shows of the mail is the process's (`pd.followups`).
"""
from __future__ import annotations

from datetime import datetime

from .store import receive as _receive


def receive(settings, raw: bytes, *, source: str, now: datetime | None = None) -> dict:
    """Store ONE message in ONE transaction; SPEC 13's JSON: {"action", "intake", "request"}.

    Raises pd.errors.TemporaryFailure when the ledger is busy or unreachable (nothing stored).
    The same message again (Message-ID or digest of the bytes) is "duplicate"; a message that
    cannot be taken apart is kept in the quarantine ("action": "quarantined").
    """
    return _receive(settings, raw, source=source, now=now)

