"""The search index: one folded document per request, in the store (SPEC 14).

Built here in Python and folded here (lower case, Latvian letters to their plain forms), then indexed
by the database: SQLite FTS5, PostgreSQL full text. `pd.search` holds the queries; the ledger calls
`index()` in each change's transaction, and the migrations `create_index()` and `rebuild()`.
"""
from __future__ import annotations

import json
from typing import Iterable

from ..patterns import LazyPattern
from .connection import db, is_sqlite
from .models import ANONYMOUS, Event, Request

EVENT_KEYS = ("text", "subject", "from", "result", "reason", "question", "answer", "note")
WORD = LazyPattern(r"[^\W_]+")
# digits (with the spaces, dashes, dots and plus signs people type in numbers and phones), not inside a word
DIGIT_RUN = LazyPattern(r"(?<![^\W_])\+?(?:\d[\d\s\-./()]*\d|\d)(?![^\W_])")
MIN_SUFFIX = 3
WEIGHTS = (10.0, 4.0, 1.0)  # ident (number, requester), body (description, result), history (notes, mail)


def fold(text: str | None) -> str:
    """Lower case without diacritics: ā č ē ģ ī ķ ļ ņ š ū ž become a c e g i k l n s u z."""
    if not text:
        return ""
    import unicodedata  # lazy: a read (pd show) needs no unicodedata; a change's index does

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str | None) -> list[str]:
    return WORD.findall(fold(text))


def _digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isascii() and ch.isdigit())


def _suffixes(digits: str) -> list[str]:
    return [digits[i:] for i in range(len(digits) - MIN_SUFFIX + 1)]


def number_tokens(number: str) -> list[str]:
    """2026-000123: "2026000123", the sequence's suffixes "000123" … "123", and "123" itself."""
    year, _, seq = number.partition("-")
    return [year + seq, *_suffixes(seq), seq.lstrip("0") or "0"]


def phone_tokens(phone: str | None) -> list[str]:
    """+37126123456: "37126123456", and the suffixes of the local number "26123456" … "456" (not across the
    country code, or "12" would match every mobile phone)."""
    digits = _digits(phone)
    if not digits:
        return []
    local = digits[3:] if digits.startswith("371") and len(digits) == 11 else digits
    return [digits, *_suffixes(local)]


def document(req, events: Iterable) -> tuple[str, str, str]:
    """The three weighted columns of a request's search document, as space-separated folded words."""
    anonymised = req.requester_name == ANONYMOUS
    ident = [req.number, req.institution, req.service]
    ident += number_tokens(req.number)
    if not anonymised:  # after a privacy purge nothing personal stays findable
        ident += [req.requester_name, req.email, req.phone, req.username, req.unit, req.position, req.location,
                  req.room]
        ident += phone_tokens(req.phone)
    body = [req.description, req.result, req.refusal_reason, req.delay_reason]
    history = []
    if not anonymised:
        for ev in events:
            data = json.loads(ev.data or "{}")
            history += [str(data[k]) for k in EVENT_KEYS if data.get(k)]
    return (" ".join(w for part in ident for w in words(part)),
            " ".join(w for part in body for w in words(part)),
            " ".join(w for part in history for w in words(part)))


# ---------------------------------------------------------------- the index: DDL
def create_index() -> None:
    """The search index's tables (idempotent): run by migration 1 on a new ledger and by migration 3."""

    if is_sqlite():
        db.execute_sql("CREATE VIRTUAL TABLE IF NOT EXISTS request_search USING fts5("
                       "ident, body, history, tokenize = 'unicode61 remove_diacritics 2')")
    else:
        db.execute_sql("CREATE TABLE IF NOT EXISTS request_search ("
                       "request_id BIGINT PRIMARY KEY REFERENCES request (id) ON DELETE CASCADE, "
                       "doc TSVECTOR NOT NULL)")
        db.execute_sql("CREATE INDEX IF NOT EXISTS request_search_doc ON request_search USING GIN (doc)")


def rebuild() -> int:
    """Index every request (migration 3, for a ledger that had none); returns how many."""
    ids = [r[0] for r in Request.select(Request.id).order_by(Request.id).tuples()]
    for i in range(0, len(ids), 500):
        index(ids[i:i + 500])
    return len(ids)


def index(request_ids: Iterable[int]) -> None:
    """(Re)write the search documents of these requests, in the caller's transaction."""
    ids = sorted(set(request_ids))
    if not ids:
        return
    events: dict[int, list] = {i: [] for i in ids}
    # No ORDER BY: SQLite would walk the whole event table in id order instead of the request index.
    for ev in sorted(Event.select(Event.id, Event.request, Event.data).where(Event.request.in_(ids)),
                     key=lambda ev: ev.id):
        events[ev.request_id].append(ev)
    docs = [(r.id, *document(r, events[r.id])) for r in Request.select().where(Request.id.in_(ids))]
    if is_sqlite():
        db.execute_sql(f"DELETE FROM request_search WHERE rowid IN ({', '.join('?' * len(ids))})", ids)
        for doc in docs:
            db.execute_sql("INSERT INTO request_search (rowid, ident, body, history) VALUES (?, ?, ?, ?)", doc)
    else:
        for doc in docs:
            db.execute_sql(
                "INSERT INTO request_search (request_id, doc) VALUES (%s, "
                "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B') "
                "|| setweight(to_tsvector('simple', %s), 'C')) "
                "ON CONFLICT (request_id) DO UPDATE SET doc = EXCLUDED.doc", doc)
