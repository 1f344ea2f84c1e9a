"""Mail in and the outbox speak the desk's language (SPEC 12): pd mail ingest|fetch|send|list and
pd intake's lines, headers, states and errors are Latvian by default and English with PD_LANG=en;
--json and what is stored stay as they are."""
from __future__ import annotations

import pytest

from tests import intake_mail as M
from tests.english import english, latvian

# pd/cli.py's "Error: {message}" (its Latvian is the CLI's to give): either prefix, then the message
ERR = ("Kļūda: ", "Error: ")

# what the people wrote and their names: Latvian under any PD_LANG
NAMES = ("Līga", "Ērgle", "Nestrādā", "Ķekava", "Ēriks", "Ķēniņš", "Ņēmējs", "Bērziņa", "rīta", "pieslēgties",
         "nesaņem", "ziņojumus", "reklāma")
STATUS_VALUES = frozenset({"new", "registered", "attached", "ignored"})  # what --status takes, as typed


def said(stderr: str) -> str:
    """The message without the prefix."""
    for e in ERR:
        if stderr.startswith(e):
            return stderr[len(e):]
    return stderr


def ingest(pd, raw: bytes, **kw):
    return pd("mail", "ingest", user="system", input=raw, **kw)


@pytest.fixture
def two_items(pd):
    ingest(pd, M.plain(sender="Līga Ērgle <liga.ergle@vugd.gov.lv>", subject="Nestrādā VPN",
                       body="Labdien!\nNo rīta nevaru pieslēgties VPN.\n"))
    ingest(pd, M.undeclared_cp1257(body="Ņēmējs nesaņem ziņojumus.\n", subject="Pasts — Ķekava"))
    return pd


def test_ingest_says_what_it_did_in_latvian(pd):
    raw = M.plain(subject="Nestrādā VPN")
    r = ingest(pd, raw)
    assert r.exit_code == 0 and r.stdout == "jauna ienākusī vēstule 1: pd intake show 1\n"
    again = ingest(pd, raw)
    assert again.stdout == "jau saglabāta (tāda pati vēstule jau saņemta); nekā jauna\n"
    auto = ingest(pd, M.plain(subject="Prombūtnē", headers="List-Id: <saraksts.vp.gov.lv>\n"))
    assert auto.stdout == "automātiska vēstule, reģistrēta un netiek atbildēta (List-Id (adresātu saraksts))\n"
    for text in (r.stdout, again.stdout, auto.stdout):
        assert english(text) == [], text
    r = ingest(pd, M.plain(subject="cits"), env={"PD_LANG": "en"})
    assert r.stdout == "new intake item 2: pd intake show 2\n"


def test_intake_list_and_show_in_latvian_with_names_and_dates(two_items):
    pd = two_items
    human = pd.ok("intake", "list").stdout
    for word in ("saņemts", "sūtītājs", "temats", "Līga Ērgle", "Nestrādā VPN"):
        assert word in human
    assert english(human) == [], human
    pd.ok("intake", "ignore", "2", "--reason", "reklāma")
    listed = pd.ok("intake", "list", "--all").stdout
    assert "statuss" in listed and "atlikta malā" in listed and "jauna" in listed
    assert english(listed) == [], listed
    shown = pd.ok("intake", "show", "2").stdout
    assert shown.startswith("Ienākusī vēstule 2: atlikta malā\n")
    assert "Piezīme:" in shown and "kodējums nav norādīts; nolasīts kā cp1257" in shown
    assert "reklāma (Anna Bērziņa)" in shown  # the person by name, never the login operators1
    assert "operators1" not in shown
    import re

    assert re.search(r"Saņemta: +\d\d\.\d\d\.\d{4} \d\d:\d\d\n", shown)
    assert english(shown) == [], shown
    # --json keeps its values (SPEC 12)
    d = pd.ok("intake", "show", "2", "--json").json()
    assert d["status"] == "ignored" and d["charset_note"] == "no charset declared; read as cp1257"
    assert d["decided_by"] == "operators1"


def test_intake_list_and_show_in_english_with_pd_lang_en(two_items):
    pd = two_items
    en = {"PD_LANG": "en"}
    pd.ok("intake", "ignore", "2", "--reason", "reklāma")
    listed = pd.ok("intake", "list", "--all", env=en).stdout
    assert "received" in listed and "ignored" in listed
    shown = pd.ok("intake", "show", "2", env=en).stdout
    assert shown.startswith("Intake item 2: ignored\n") and "no charset declared; read as cp1257" in shown
    for text in (listed, shown):
        assert latvian(text, allow=NAMES) == [], text


def test_intake_errors_in_latvian_and_in_english(two_items):
    pd = two_items
    cases = [
        (("intake", "show", "999"), 4, "nav ienākušās vēstules 999 (pd intake list)"),
        (("intake", "list", "--status", "lost"), 3, "--status 'lost': lietojiet vienu no new, registered,"),
        (("intake", "replay", "7"), 4, "karantīnā nav vēstules 7 (pd intake quarantine)"),
    ]
    pd.ok("intake", "ignore", "1", "--reason", "dublikāts")
    cases.append((("intake", "ignore", "1", "--reason", "x"), 5, "ienākusī vēstule 1 jau ir atlikta malā;"))
    for args, code, start in cases:
        r = pd(*args)
        assert r.exit_code == code and r.stderr.startswith(tuple(e + start for e in ERR)), r.stderr
        assert english(said(r.stderr), allow=STATUS_VALUES) == [], r.stderr
        r = pd(*args, env={"PD_LANG": "en"})
        assert r.exit_code == code and r.stderr.startswith("Error: "), r.stderr
        assert latvian(r.stderr, allow=NAMES) == [], r.stderr
    r = pd("intake", "list", user="jberzins")  # an expert may not read the queue
    assert r.exit_code == 6 and "skatīt ienākušo vēstuļu rindu" in r.stderr


def test_intake_seen_counts_in_three_latvian_forms(pd):
    from pd.commands.mail_fetch import _count
    from pd.i18n import ngettext, use

    use("lv")
    try:
        assert [_count("new", n) for n in (1, 2, 10, 11, 21, 0)] == [
            "1 jauna", "2 jaunas", "10 jaunas", "11 jaunas", "21 jauna", "0 jaunas"]
        assert _count("bounce", 1) == "1 piegādes ziņojums" and _count("bounce", 5) == "5 piegādes ziņojumi"
        many = "{n} mail of {number} marked seen", "{n} mails of {number} marked seen"
        assert ngettext(*many, 21).format(n=21, number="2026-000001") == \
            "21 pieteikuma 2026-000001 vēstule atzīmēta kā izskatīta"
        assert ngettext(*many, 3).format(n=3, number="2026-000001") == \
            "3 pieteikuma 2026-000001 vēstules atzīmētas kā izskatītas"
        use("en")
        assert _count("follow_up", 1) == "1 follow-up" and _count("follow_up", 2) == "2 follow-ups"
    finally:
        use(None)


def test_mail_commands_errors_and_empty_outbox(pd):
    r = pd("mail", "fetch", user="system")
    assert r.exit_code == 7 and r.stderr.startswith(tuple(e + "PD_IMAP_URL nav iestatīts" for e in ERR))
    assert english(said(r.stderr)) == []
    r = pd("mail", "fetch", user="system", env={"PD_LANG": "en"})
    assert r.exit_code == 7 and r.stderr.startswith("Error: PD_IMAP_URL is not set")
    r = pd("mail", "ingest", "nav-tada.eml", user="system")
    assert r.exit_code == 4 and said(r.stderr) == "nav faila nav-tada.eml\n"
    r = pd.ok("mail", "list")
    assert "Izejošo vēstuļu rinda ir tukša." in r.stderr and english(r.stdout + r.stderr) == []
    r = pd.ok("intake", "quarantine")
    assert "Karantīna ir tukša." in r.stderr


def test_stored_reasons_and_notes_stay_english_and_read_in_the_desks_language():
    from pd.i18n import use
    from pd.intake.classify import reason_words
    from pd.intake.parse import charset_words

    use("lv")
    try:
        assert reason_words("List-Id (mailing list)") == "List-Id (adresātu saraksts)"
        assert reason_words("from mailer-daemon@vp.gov.lv") == "no mailer-daemon@vp.gov.lv"
        assert reason_words("from the desk's own address servicedesk@ic.iem.gov.lv") == \
            "no Pakalpojumu dienesta paša adreses servicedesk@ic.iem.gov.lv"
        assert reason_words("Auto-Submitted: auto-replied") == "Auto-Submitted: auto-replied"  # the header itself
        assert reason_words("delivery status report") == "piegādes statusa ziņojums"
        note = ("declared 'iso-8859-13x' did not fit; read as utf-8; "
                "not utf-8, cp1257; 3 unreadable byte(s) shown as \ufffd")
        assert charset_words(note) == ("norādītā kodējuma 'iso-8859-13x' neder; nolasīts kā utf-8; "
                                       "ne utf-8, cp1257; 3 nenolasāmi baiti parādīti kā \ufffd")
        use("en")
        assert charset_words(note) == note.replace("byte(s)", "bytes")
    finally:
        use(None)


def test_the_experts_confirmation_by_mail_in_the_mail_language():
    import re

    from pd.intake.commands import words

    lv, en = words("lv"), words("en")
    assert lv["accept"] == "Pieteikums pieņemts izskatīšanai."
    assert en["accept"] == "The request is accepted."
    assert lv["why_date"].startswith("aiz vārda KAVĒJAS") and en["why_date"].startswith("after DELAYED")
    assert set(lv) == set(en) and all(lv[k] != en[k] for k in lv if k != "why_other")
    for text in lv.values():
        # ("Kavēšanās" reads as "Kav an s" to english(), which splits words at Latvian letters)
        assert english(re.sub(r"\{\w+\}", " ", text), allow=frozenset({"an"})) == [], text
