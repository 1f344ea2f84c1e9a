"""pd search (SPEC 14): requests by number, requester, texts and mail, best matches first.

One search document per request, built here in Python and folded here (lower case, Latvian letters to
their plain forms: "Bērziņš" -> "berzins", "Ķekava" -> "kekava"), then indexed by the database:
SQLite FTS5 (unicode61, remove_diacritics 2) and PostgreSQL full text (the 'simple' configuration on a
tsvector column with a GIN index). Folding in Python rather than with the databases' own tools
(FTS5's diacritics removal, PostgreSQL's unaccent) makes both ledgers find exactly the same requests,
and needs no extension on the PostgreSQL server (unaccent is not installed everywhere, and an
extension is per database, not per schema).

Fragments: the registration number and the phone are also indexed as digit strings, whole and with every
suffix of at least three digits of the sequence / local number ("2026000123", "000123" … "123";
"37126123456", "26123456" … "456"), so a prefix query on the digits the person typed ("123",
"2026-0001", "+371 2", "6123 456") finds any run of digits inside them.

Surnames: a word typed also stands for its other gender's forms (GENDER_ENDINGS: "berzins" also finds
Bērziņa, "ozola" also Ozols), added to the query, never to the index; the form typed ranks first.

The index is the store's (`pd.db.fulltext`: the documents, the DDL and the rebuild) and is written in
the transaction of the change (Ledger.change: every request an event touches is re-indexed before the
commit), so a search sees a change the moment it is committed. This module holds the queries.
"""
from __future__ import annotations

from .db.connection import db, is_sqlite
from .db.fulltext import DIGIT_RUN, WEIGHTS, WORD, fold
from .db.models import Request
from .desk import normalize_number
from .errors import InvalidInput
from .i18n import _


# ---------------------------------------------------------------- the query
def terms(query: str) -> list[str]:
    """What the person typed as index terms, each matched as a prefix: runs of digits (with the spaces,
    dashes and plus signs people type inside numbers and phones) become one digit term; the rest words."""
    text = fold(query)
    out = []
    for m in DIGIT_RUN.finditer(text):
        out.append("".join(ch for ch in m.group() if ch.isdigit()))
    out += [w for w in WORD.findall(DIGIT_RUN.sub(" ", text))]
    return [t for t in dict.fromkeys(out) if t]


# A Latvian surname has a masculine and a feminine form (Bērziņš / Bērziņa, Ozols / Ozola, Lācis / Lāce,
# Baltais / Baltā): a word typed also stands for its other gender's forms, as more beginnings to match. Folded
# endings, longest first: masculine -ais, -is, -s (-š folds to -s; -js is -s) and -us; feminine -a and -e.
GENDER_ENDINGS = (("ais", ("a",)), ("is", ("e",)), ("us", ("a",)), ("s", ("a",)),
                  ("a", ("s", "ais")), ("e", ("is",)))
OTHER_FORM = 0.9  # found only by the other gender's form: after the form typed, in the same level
MIN_STEM = 3  # "ozols" -> "ozol": a shorter stem ("las", "ira") is not taken for a surname


def gender_forms(term: str) -> list[str]:
    """`term` (folded) and the other gender's forms of it, were it a surname: "berzins" -> berzins, berzina;
    "ozola" -> ozola, ozols, ozolais; "lace" -> lace, lacis. Digits and short words stand for themselves."""
    if not term.isalpha():
        return [term]
    for ending, others in GENDER_ENDINGS:
        stem = term[: -len(ending)]
        if term.endswith(ending) and len(stem) >= MIN_STEM:
            return [term, *(stem + o for o in others)]
    return [term]


# Best matches first, in three levels: every word found in the number or the requester (ident), then every
# word found there or in the description / result (body), then anywhere (history: notes, questions, mail);
# within a level the newest request first. Each level is one index query that stops at the LIMIT, so the
# cost follows what is shown, not how many requests match (bm25 over thousands of matches, and its pass over
# every matching document to weigh the words, cost as much again as the match itself).
LEVELS = ("{ident}", "{ident body}", "")  # FTS5 column filters; PostgreSQL: the weights A, AB, any
# A word typed is a prefix. On SQLite a prefix query reads and merges the whole document list of every
# indexed word it begins before it returns a row, once per query; the few words of the index it stands for
# are looked up instead (fts5vocab) and matched exactly, each read only as far as the LIMIT needs. This
# many such words or more (a short or common beginning), and the prefix query it is.
MAX_EXPANSIONS = 128
MIN_EXPANDED = 3  # shorter beginnings stand for too many words to list


def search(query: str, limit: int = 20) -> list[tuple[int, float]]:
    """(request id, score) of the best matches, best first (every term must match, as a prefix). The score
    is the weight of the level the request was found at (WEIGHTS: 10 number / requester, 4 description /
    result, 1 history)."""
    ts = terms(query)
    if not ts:
        return []
    if not is_sqlite():
        return _search_postgres(ts, limit)
    with db.atomic("DEFERRED"):  # the words of the index and the matches from one snapshot
        db.execute_sql("CREATE VIRTUAL TABLE IF NOT EXISTS temp.request_search_vocab "
                       "USING fts5vocab(main, request_search, row)")  # this connection's view of the words
        exact = " AND ".join(_phrase(t) for t in ts)
        either = " AND ".join(_either(gender_forms(t)) for t in ts)
        passes = [(exact, 1.0)] + ([(either, OTHER_FORM)] if either != exact else [])
        found: dict[int, float] = {}
        for (columns, weight), (match, factor) in ((lv, p) for lv in zip(LEVELS, WEIGHTS) for p in passes):
            score = weight * factor
            spec = f"{columns} : ({match})" if columns else match
            rows = db.execute_sql(
                "SELECT rowid FROM request_search WHERE request_search MATCH ? ORDER BY rowid DESC LIMIT ?",
                (spec, limit + len(found))).fetchall()
            for (rowid,) in rows:
                if len(found) < limit:
                    found.setdefault(int(rowid), score)
            if len(found) >= limit:
                break
    return list(found.items())


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _either(forms: list[str]) -> str:
    """The FTS5 query for a word typed: any of its forms, each as a prefix."""
    if len(forms) == 1:
        return _phrase(forms[0])
    return "(" + " OR ".join(_phrase(f) for f in forms) + ")"


def _phrase(term: str) -> str:
    """The FTS5 query for `term` typed as a prefix: the indexed words it begins, matched exactly (an OR of
    them), or `"term"*` when they are too many to list (or the term is not plain ASCII letters and digits,
    which the tokenizer could fold further: the prefix query folds it the same way as the index)."""
    if len(term) < MIN_EXPANDED or not (term.isascii() and term.isalnum()):
        return _quoted(term) + "*"
    # Words longer than the term that begin with it ("\x01" sorts before any character a word holds; the
    # term itself is matched whether or not it is indexed: its own list is never read here).
    longer = [r[0] for r in db.execute_sql(
        "SELECT term FROM temp.request_search_vocab WHERE term >= ? AND term < ? LIMIT ?",
        (term + "\x01", term[:-1] + chr(ord(term[-1]) + 1), MAX_EXPANSIONS)).fetchall()
        if r[0].startswith(term)]
    if len(longer) >= MAX_EXPANSIONS:
        return _quoted(term) + "*"
    if not longer:
        return _quoted(term)
    return "(" + " OR ".join(_quoted(t) for t in (term, *longer)) + ")"


def _search_postgres(ts: list[str], limit: int) -> list[tuple[int, float]]:
    """The same levels with the weights of the tsvector: A (ident), B (body), C (history)."""
    def tsquery(weights: str, forms=gender_forms) -> str:
        return " & ".join("(" + " | ".join("'" + f.replace("'", "''") + "':*" + weights for f in forms(t))
                          + ")" for t in ts)

    def typed(t: str) -> list[str]:
        return [t]

    # each level first by the forms typed, then by the other gender's forms too (score * OTHER_FORM)
    a, ab, c = WEIGHTS
    rows = db.execute_sql(
        "SELECT request_id, CASE WHEN doc @@ a1 THEN %s WHEN doc @@ a THEN %s WHEN doc @@ ab1 THEN %s "
        "WHEN doc @@ ab THEN %s WHEN doc @@ q1 THEN %s ELSE %s END AS score "
        "FROM request_search, to_tsquery('simple', %s) AS q, to_tsquery('simple', %s) AS a, "
        "to_tsquery('simple', %s) AS ab, to_tsquery('simple', %s) AS q1, to_tsquery('simple', %s) AS a1, "
        "to_tsquery('simple', %s) AS ab1 WHERE doc @@ q ORDER BY score DESC, request_id DESC LIMIT %s",
        (a, a * OTHER_FORM, ab, ab * OTHER_FORM, c, c * OTHER_FORM,
         tsquery(""), tsquery("A"), tsquery("AB"), tsquery("", typed), tsquery("A", typed), tsquery("AB", typed),
         limit)).fetchall()
    return [(int(r[0]), float(r[1])) for r in rows]


def find(desk, query: str, limit: int = 20) -> list[tuple[object, float]]:
    """The requests that match `query`, best first; the request whose number it is comes first of all."""
    if not query or not query.strip():
        raise InvalidInput(_("search: give some text to look for (a number, a name, a phone, words)"))
    if not 1 <= limit <= 1000:
        raise InvalidInput(_("--limit must be between 1 and 1000"))
    hits = search(query, limit)
    try:
        exact = Request.get_or_none(Request.number == normalize_number(query.strip()))
    except InvalidInput:
        exact = None
    if exact is not None:
        hits = [(exact.id, float("inf"))] + [h for h in hits if h[0] != exact.id][:limit - 1]
    rows = {r.id: r for r in Request.select().where(Request.id.in_([i for i, _ in hits]))} if hits else {}
    return [(rows[i], score) for i, score in hits if i in rows]
