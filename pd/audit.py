"""The audit trail's witness (SPEC 10): the chain's head as ``EVENTS:SHA256``.

Institutions keep the anchor outside the ledger (the monthly report carries
it); ``pd audit verify --anchor`` later proves the first EVENTS events unchanged.
"""
from __future__ import annotations


def anchor() -> str:
    """``EVENTS:SHA256``: how many events the chain holds and the hash of the last one."""
    from .db.connection import db
    from .db.models import Event, LedgerHead
    from .ledger import GENESIS

    with db.atomic():  # one snapshot: the count and the head agree
        count = Event.select().count()
        head = LedgerHead.get_or_none(LedgerHead.id == 1)
    return f"{count}:{head.last_hash if head is not None and count else GENESIS}"
