"""What the user wrote (SPEC 15), over a corpus of real-shaped replies in Latvian and English.

Each case under tests/replytext/ is a mail body as a mail program writes it — NAME.txt (the plain
text part) or NAME.html (an HTML-only mail, turned into text by the intake's own conversion,
pd.intake.html) — and NAME.expected, exactly what the person wrote.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from pd.intake.html import html_to_text
from pd.replytext import clean_subject, what_they_wrote

CORPUS = Path(__file__).parent / "replytext"
CASES = sorted(p for p in CORPUS.iterdir() if p.suffix in (".txt", ".html"))


def test_the_corpus_has_every_kind_of_mail():
    names = {p.stem for p in CASES}
    for kind in ("outlook_desktop_lv", "outlook_desktop_en", "outlook_web_lv", "gmail_lv", "gmail_en", "thunderbird_lv",
                 "ios_lv", "ios_en", "android_outlook_en", "android_samsung_lv", "bottom_posting_en", "interleaved_lv",
                 "outlook_html_lv", "gmail_html_en", "owa_html_en", "forward_outlook_lv_no_comment",
                 "thunderbird_forward_lv", "forward_gmail_en", "expert_command_accept", "nothing_quoted_lv"):
        assert kind in names, kind
    for case in CASES:
        assert case.with_suffix(".expected").exists(), case.name


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_what_the_user_wrote(case: Path):
    body = case.read_text(encoding="utf-8")
    expected = case.with_suffix(".expected").read_text(encoding="utf-8")
    if case.suffix == ".html":
        got = what_they_wrote("", html_to_text(body))
    else:
        got = what_they_wrote(body)
    assert got == expected


def test_an_experts_command_stays_the_first_line():
    for name in ("expert_command_accept", "expert_command_resolved"):
        got = what_they_wrote((CORPUS / f"{name}.txt").read_text(encoding="utf-8"))
        assert got.split("\n", 1)[0].split()[0] in ("PIEŅEMU", "IZPILDĪTS")


def test_crlf_line_ends_give_the_same_text():
    body = (CORPUS / "outlook_desktop_lv.txt").read_text(encoding="utf-8")
    assert what_they_wrote(body.replace("\n", "\r\n")) == what_they_wrote(body)


def test_a_mail_that_is_only_a_signature_or_a_quote_is_not_emptied():
    assert what_they_wrote("Ar cieņu,\nJānis Bērziņš") == "Ar cieņu,\nJānis Bērziņš"
    assert what_they_wrote("> only a quote\n> nothing else") == "> only a quote\n> nothing else"
    assert what_they_wrote("") == ""
    assert what_they_wrote("", "Labdien,\n   HTML teksts") == "Labdien,\nHTML teksts"


@pytest.mark.parametrize("subject, clean", [
    ("Pārs.: Printeris nedrukā", "Printeris nedrukā"),
    ("Atb.: Pārs.: RE: [EXTERNAL] Printeris nedrukā", "Printeris nedrukā"),
    ("RE: Re: AW: Fwd: FW: Sv: VS: WG: Neienāk e-pasts", "Neienāk e-pasts"),
    ("Re[2]: RE (3): Fw:Parole", "Parole"),
    ("[ĀRĒJS] [SPAM?] Pārs. : Pieeja", "Pieeja"),
    ("Atb.: [PD 2026-000123] Neienāk e-pasts", "Neienāk e-pasts"),
    ("  Dators   neieslēdzas ", "Dators neieslēdzas"),
    ("Reģistrācija: jauns lietotājs", "Reģistrācija: jauns lietotājs"),  # a word, not a prefix
    ("Refund: bill", "Refund: bill"),
    ("Fwd:", ""),
])
def test_the_subject_without_prefixes(subject, clean):
    assert clean_subject(subject) == clean


# ------------------------------------------------------------------ hostile input: linear time, bounded
HOSTILE = {
    "1 MB without a newline": "a" * 1_000_000,
    "1 MB of 'On … wrote' without a newline": "On Monday John wrote " * 50_000,
    "1 MB of 'rakstīja' words with dates": "2026. gada 7. dec. Jānis rakstīja " * 30_000,
    "10,000 levels of '>'": "\n".join(">" * i + " x" for i in range(1, 1_400)) + "\n" + ">" * 10_000 + " deep",
    "a line of 1 MB '>'": ">" * 1_000_000,
    "100,000 header lines": "From: x@y.lv\nSent: 1\n" * 50_000,
    "1 MB of dashes": "-" * 1_000_000,
    "1 MB of underscores and words": ("_" * 40 + " Original Message ") * 17_000,
    "200,000 short lines": "Ar cieņu,\n" * 200_000,
    "1 MB of spaces then text": " " * 1_000_000 + "x",
    "notice words, 1 MB": ("Šis e-pasts " * 90_000),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_mail_is_read_in_linear_time(name):
    text = HOSTILE[name]
    assert len(text) >= 900_000
    started = time.process_time()
    out = what_they_wrote(text)
    spent = time.process_time() - started
    assert spent < 0.5, f"{name}: {spent:.2f} s"
    assert len(out) <= len(text)


def test_a_1_mb_reply_keeps_its_new_text_and_loses_its_quote_quickly():
    quoted = "".join(f"> rinda {i} no vēstures\n" for i in range(45_000))
    text = f"Labdien, dators neieslēdzas.\n\n2026. gada 7. dec. plkst. 10:15, Pakalpojumu dienests <s@x.lv> rakstīja:\n{quoted}"
    assert len(text.encode()) > 1_000_000
    started = time.process_time()
    assert what_they_wrote(text) == "Labdien, dators neieslēdzas."
    assert time.process_time() - started < 0.5


# ------------------------------------------------------------------ never invents, never empties
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PIECES = st.sampled_from([
    "Labdien!", "Printeris nedrukā.", "", "", "> citēts teksts", ">> vecāks", "-- ", "Ar cieņu,", "Jānis Bērziņš",
    "No: Pakalpojumu dienests <s@x.lv>", "Nosūtīts: otrdiena, 2026. gada 1. decembris 10:05", "Kam: Jānis",
    "Tēma: x", "On Tue, Dec 1, 2026 at 10:05 AM Desk <s@x.lv> wrote:", "07.12.2026 10:15, Desk rakstīja:",
    "-------- Pārsūtīta ziņa --------", "_" * 32, "Sent from my iPhone", "PIEŅEMU",
    "Šis e-pasts ir konfidenciāls un paredzēts tikai adresātam.", "Paldies!", "   ", "\t>"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=40)), max_size=30))
def test_it_only_takes_away_and_never_empties_a_mail(pieces):
    text = "\n".join(pieces)
    out = what_they_wrote(text)
    given_lines = {line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")}
    assert all(line in given_lines for line in out.split("\n") if line), (text, out)
    assert bool(out.strip()) == bool(text.strip())


def test_every_quotequail_pattern_ends_as_the_prefilter_expects():
    """pd.replytext asks quotequail only about text with a line ending in ':', '-', '_' or '>':
    each of the installed quotequail's patterns can match nothing else."""
    from quotequail import _patterns

    from pd.replytext.quoted import LIBRARY_LINE_ENDS

    ends = {":$": ":", "-+$": "-", "_$": "_", ">)$": ">"}
    for pattern in _patterns.COMPILED_PATTERNS:
        tail = next((e for e in ends if pattern.pattern.endswith(e)), None)
        assert tail is not None and ends[tail] in LIBRARY_LINE_ENDS, pattern.pattern
