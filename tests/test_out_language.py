"""Mail out and the monthly report in one language at a time (SPEC 12, issue 19).

The mails: every kind in both languages, with every field and with the optional ones empty, and
the words the notices are made of (counts in Latvian's three forms, durations, names in the
dative, a request's history), are byte for byte what they were before the texts moved into the
message catalog. ``tests/golden/mails.json`` was written once by ``sample()`` below run against
the code before the move (the per-language template files and lv/en tables), and reviewed.

The workbooks: under lv no English cell, under en no Latvian one but the names people typed
and the institutions', read back with openpyxl as their reader opens them.
"""
from __future__ import annotations

import json
import types
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from tests.english import english, latvian
from tests.test_report_basis import across  # noqa: F401  (the fixture: October and November)

GOLDEN = Path(__file__).resolve().parent / "golden" / "mails.json"
NUMBER = "2026-000123"


def _context(kind: str, full: bool) -> dict[str, str]:
    from pd.notify.render import VARIABLES

    ctx = {name: "" for name in VARIABLES[kind]}
    ctx.update({"number": NUMBER, "title": "Ģērbtuves printeris nedrukā", "desk_name": "IeM IC Pakalpojumu dienests",
                "desk_email": "servicedesk@ic.iem.gov.lv", "desk_phone": "+371 67219000", "month": "2026. gada oktobris"})
    if full:
        for name in VARIABLES[kind]:
            ctx.setdefault(name, "")
            if not ctx[name]:
                ctx[name] = f"«{name}» Jānis Bērziņš 02.12.2026 10:15"
        ctx["urgent_marker"], ctx["urgent_word"] = "STEIDZAMI: ", "steidzams "
        ctx["history"] = "02.12.2026 10:15 — pieteikums reģistrēts\n02.12.2026 10:16 — nodots ekspertam Jānim Bērziņam"
    return ctx


def _event(kind: str, data: dict, actor: str = "ozolina", behalf: str | None = None):
    return types.SimpleNamespace(kind=kind, at=datetime(2026, 12, 2, 8, 15), actor=actor, on_behalf_of=behalf,
                                 data=json.dumps(data))


EVENTS = [
    _event("registered", {"channel": "phone", "urgent": True}), _event("registered", {"channel": "other"}),
    _event("refused", {"reason": "Nav IC kompetencē"}), _event("assigned", {"expert": "jberzins"}),
    _event("assigned", {"expert": "lkalnina", "reason": "Aizvieto"}), _event("assigned", {"expert": "jsmith"}),
    _event("reassigned", {"expert": "lkalnina"}), _event("accepted", {}, actor="jberzins"),
    _event("accepted", {}, actor="system"), _event("rejected", {"reason": "Nav mans"}, actor="jberzins"),
    _event("waiting", {"question": "Kurā telpā?"}), _event("resumed", {"answer": "214"}),
    _event("note", {"text": "Zvanīju"}), _event("delay_reported", {"delay_reason": "Detaļa", "planned_date": "2026-12-20"}),
    _event("resolved", {"result": "Nomainīts toneris"}), _event("closed", {"auto": True}), _event("closed", {}),
    _event("reopened", {"reason": "Joprojām svītras"}),
    _event("escalated", {"manager": "vkalejs", "level": 1, "reason": "overdue"}),
    _event("escalated", {"manager": "ishkele", "level": 2, "reason": "overdue"}),
    _event("escalated", {"manager": "vkalejs,ishkele", "level": 2, "reason": "not_accepted"}),
    _event("escalated", {"level": 1, "reason": "not_accepted"}),
    _event("mail_skipped", {"reason": "nav adreses"}), _event("privacy_purged", {}),
    _event("mail_received", {"subject": "Re: [PD 2026-000123]"}),
]
NAMES = {"ozolina": "Anna Ozoliņa", "jberzins": "Jānis Bērziņš", "lkalnina": "Laura Kalniņa", "jsmith": "John Smith",
         "vkalejs": "Valdis Kalējs", "ishkele": "Ilze Šķēle", "system": ""}


def sample() -> dict:
    """What the golden file holds, from the public API alone (the same before and after the move)."""
    from pd.notify import wording
    from pd.notify.render import KINDS, render

    out: dict = {"mails": [], "words": {}}
    for lang in ("lv", "en"):
        for kind in KINDS:
            for full in (True, False):
                subject, body = render(kind, lang, _context(kind, full))
                out["mails"].append({"kind": kind, "lang": lang, "full": full, "subject": subject, "body": body})
        words = out["words"][lang] = {}
        for unit in ("day", "hour", "minute", "working_day", "working_hour"):
            words[unit] = [wording.count(n, unit, lang) for n in (0, 1, 2, 5, 10, 11, 12, 19, 20, 21, 22, 101, 111, 121)]
        words["durations"] = [wording.duration_words(timedelta(minutes=m), lang, working=w)
                              for m in (0, 1, 59, 60, 61, 90, 120, 1440, 2880, 1500, 7200) for w in (False, True)]
        words["history"] = wording.history_lines(
            EVENTS, lang=lang, name_of=lambda login: NAMES.get(login or "", login or ""),
            when=lambda at: at.strftime("%d.%m.%Y %H:%M"), reason_label=lambda r: f"<{r}>",
            date_of=lambda d: ".".join(reversed(d.split("-"))))
    words = out["words"]["lv"]
    words["to_person"] = [wording.to_person(getattr(wording, role), name)
                          for role in ("EXPERT", "MANAGER", "REQUESTER")
                          for name in ("Jānis Bērziņš", "Laura Kalniņa", "John Smith", "", "Ilze Šķēle-Ozola")]
    return out


def test_every_mail_and_its_words_are_as_before_the_catalog():
    want = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = sample()
    for before, now in zip(want["mails"], got["mails"], strict=True):
        assert (now["subject"], now["body"]) == (before["subject"], before["body"]), (before["kind"], before["lang"])
    assert got["words"] == want["words"]


def test_the_mails_speak_one_language():
    for m in sample()["mails"]:
        if m["full"]:
            continue  # the full context is Latvian data
        text = m["subject"] + "\n" + m["body"]
        if m["lang"] == "lv":
            assert english(text) == [], (m["kind"], english(text))
        else:
            assert latvian(text, allow=("Ģērbtuves", "nedrukā", "Pakalpojumu", "pārskats", "gada")) == [], m["kind"]


# --------------------------------------------------------------------------
# The workbooks

def _texts(path: Path) -> list[tuple[str, str, str]]:
    wb = openpyxl.load_workbook(path)
    out = [(ws.title, "sheet", ws.title) for ws in wb.worksheets]
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str):
                    out.append((ws.title, c.coordinate, c.value))
        for chart in ws._charts:
            rich = chart.title.tx.rich if chart.title and chart.title.tx else None
            if rich is not None:
                out.append((ws.title, "chart", "".join(r.t for p in rich.p for r in (p.r or ()))))
    return out


@pytest.fixture
def workbooks(pd, across, tmp_path):  # noqa: F811
    out = {}
    for lang in ("lv", "en"):
        d = tmp_path / lang
        pd.ok("report", "monthly", "--month", "2026-11", "--out", d, "--lang", lang, user="supervizors")
        out[lang] = sorted(d.glob("*.xlsx"))
    return out


def _typed(path: Path, lang: str, pd_env) -> tuple[str, ...]:
    """The words that are data, not ours to translate: what people typed (the requests sheet's free-text
    columns: names, units, descriptions, results) and the names the contacts and the catalog give."""
    import yaml

    from pd.report.rows import TEXT_COLUMNS, headers

    wanted = {headers(lang)[i] for i in TEXT_COLUMNS}
    wb = openpyxl.load_workbook(path)
    words: set[str] = set()
    for ws in wb.worksheets:
        head = [c.value for c in next(ws.iter_rows(max_row=1))] if ws.max_row else []
        cols = [i for i, h in enumerate(head) if h in wanted]
        for row in ws.iter_rows(min_row=2, values_only=True):
            for i in cols:
                if i < len(row) and isinstance(row[i], str):
                    words.update(row[i].replace("—", " ").split())

    def names_in(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("name", "label", "unit", "position") and isinstance(v, str):
                    yield v
                yield from names_in(v)
        elif isinstance(node, list):
            for v in node:
                yield from names_in(v)

    for key in ("PD_CONTACTS", "PD_CATALOG"):
        for n in names_in(yaml.safe_load(Path(pd_env[key]).read_text(encoding="utf-8"))):
            words.update(n.split())
    return tuple(sorted(words, key=len, reverse=True))


def test_the_latvian_workbook_has_no_english_cell(workbooks, pd_env):
    assert workbooks["lv"]
    for path in workbooks["lv"]:
        typed = _typed(path, "lv", pd_env)
        for sheet, where, text in _texts(path):
            ours = " ".join(w for w in text.split()  # no names, no hashes (b85a07…: "be" is no English there)
                            if w.strip(",.;:()") not in typed and not any(ch.isdigit() for ch in w))
            assert english(ours) == [], (path.name, sheet, where, text)


def test_the_english_workbook_has_no_latvian_cell(workbooks, pd_env):
    assert workbooks["en"]
    for path in workbooks["en"]:
        typed = _typed(path, "en", pd_env)
        for sheet, where, text in _texts(path):
            assert latvian(text, allow=typed) == [], (path.name, sheet, where, text)
