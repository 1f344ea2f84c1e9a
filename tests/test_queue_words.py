"""The desk's views in the desk's language (SPEC 12, issue 19): the queue's reasons name people by
name and say durations in words with Latvian's three plural forms and the case the sentence needs;
escalate-overdue and escalate say what, why and to whom (by name, in the dative); explain speaks of
hours on a round-the-clock calendar and of working hours only on a working-time one, with weekday
names from the catalog. Under PD_LANG=en the same views carry no Latvian but names; --json is the same
in both languages."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.english import english, latvian

# the words that stay as they are in English: people's names and what the requesters wrote
NAMES = tuple(" ".join(("Jānis Bērziņš", "Elīna Zariņa", "Valdis Kalējs", "Gunta Siliņa", "Kārlis Vītols",
                        "Neienāk e-pasts kopš rīta", "Printeris nedrukā", "Piekļuve IIS jaunajam darbiniekam",
                        "Rīga Čiekurkalna")).split())


@pytest.mark.parametrize("days,by,ago,for_,plain", [
    (1, "1 dienu", "1 dienas", "1 dienu", "1 diena"),
    (2, "2 dienām", "2 dienām", "2 dienas", "2 dienas"),
    (11, "11 dienām", "11 dienām", "11 dienas", "11 dienas"),
    (21, "21 dienu", "21 dienas", "21 dienu", "21 diena"),
    (10, "10 dienām", "10 dienām", "10 dienas", "10 dienas"),
])
def test_days_take_latvians_three_plural_forms_in_each_case(monkeypatch, days, by, ago, for_, plain):
    from pd.queue import span_words

    monkeypatch.delenv("PD_LANG", raising=False)
    td = timedelta(days=days)
    assert (span_words(td, "by"), span_words(td, "ago"), span_words(td, "for"), span_words(td)) == (
        by, ago, for_, plain)


def test_hours_and_minutes_in_words_and_in_english(monkeypatch):
    from pd.queue import span_words

    monkeypatch.delenv("PD_LANG", raising=False)
    assert span_words(timedelta(days=10, hours=2), "by") == "10 dienām 2 stundām"
    assert span_words(timedelta(hours=1, minutes=45), "ago") == "1 stundas 45 minūtēm"
    assert span_words(timedelta(hours=21, minutes=1), "by") == "21 stundu 1 minūti"
    assert span_words(timedelta(minutes=12)) == "12 minūtes"
    monkeypatch.setenv("PD_LANG", "en")
    assert span_words(timedelta(days=10, hours=2), "by") == "10 days 2 hours"
    assert span_words(timedelta(hours=1, minutes=1), "ago") == "1 hour 1 minute"


@pytest.fixture
def late_and_returned(pd, clock):
    """One request late by 10 days 2 hours (resolution), one 1 day late in accepting, one returned by
    Elīna Zariņa 1 hour 45 minutes ago; the queue is read at 2027-01-22 11:00."""
    clock.set("2027-01-04T09:00")
    late = pd.register(description="Neienāk e-pasts kopš rīta")
    pd.ok("assign", late, "--expert", "jberzins", "--respond-by", "2027-01-05T09:00", "--resolve-by", "2027-01-12T09:00")
    pd.ok("accept", late, user="jberzins")
    slow = pd.register(description="Printeris nedrukā")
    pd.ok("assign", slow, "--expert", "jberzins", "--respond-by", "2027-01-21T11:00", "--resolve-by", "2027-01-29T09:00")
    back = pd.register(service="IS-PIEKLUVE", description="Piekļuve IIS jaunajam darbiniekam")
    pd.ok("assign", back, "--expert", "ezarina", "--respond-by", "2027-01-25T09:00", "--resolve-by", "2027-01-29T09:00")
    clock.set("2027-01-22T09:15")
    pd.ok("reject", back, "--reason", "Nav mūsu kompetencē", user="ezarina")
    clock.set("2027-01-22T11:00")
    return {"late": late, "slow": slow, "back": back}


def test_queue_reasons_in_latvian_name_the_expert_and_say_the_lateness_in_words(pd, late_and_returned):
    n = late_and_returned
    text = pd.ok("queue").stdout
    line = {k: next(x for x in text.splitlines() if v in x) for k, v in n.items()}
    assert "nokavēts par 10 dienām 2 stundām (izskatīšanas termiņš)" in line["late"]
    assert "nokavēts par 1 dienu (nav pieņemts izskatīšanai)" in line["slow"]
    assert "atgriezts Pakalpojumu dienestam (Elīna Zariņa) pirms 1 stundas 45 minūtēm" in line["back"]
    assert "ezarina" not in text
    assert english(text) == [], english(text)


def test_queue_in_english_has_no_latvian_but_names_and_its_json_is_the_same(pd, late_and_returned, monkeypatch):
    n = late_and_returned
    lv_json = pd.ok("queue", "--json").stdout
    monkeypatch.setenv("PD_LANG", "en")
    text = pd.ok("queue").stdout
    assert "late by 10 days 2 hours (resolution deadline)" in text
    assert "returned to the desk by Elīna Zariņa 1 hour 45 minutes ago" in text
    assert latvian(text, allow=NAMES) == [], latvian(text, allow=NAMES)
    assert pd.ok("queue", "--json").stdout == lv_json
    details = {e["request"]: e["detail"] for e in pd.ok("queue", "--json").json()["entries"]}
    assert details[n["late"]] == "late by 10 d 2 h (resolution)"  # scripts read the same as before
    assert details[n["back"]] == "returned by ezarina 1 h 45 min ago"


def test_escalate_overdue_says_what_why_and_to_whom_by_name(pd, late_and_returned, monkeypatch):
    n = late_and_returned
    dry = pd.ok("escalate-overdue", "--dry-run", "--json", user="system").stdout
    r = pd.ok("escalate-overdue", "--dry-run", user="system")
    assert (f"{n['late']} tiktu eskalēts vadītājam Valdim Kalējam (1. līmenis): "
            "pārsniegts pieteikuma izskatīšanas termiņš") in r.stdout.splitlines()
    assert english(r.stdout) == [] and "vkalejs" not in r.stdout
    monkeypatch.setenv("PD_LANG", "en")
    r = pd.ok("escalate-overdue", "--dry-run", user="system")
    assert (f"{n['late']} would be escalated to the manager Valdis Kalējs (level 1): "
            "the resolution deadline has passed") in r.stdout.splitlines()
    assert latvian(r.stdout, allow=NAMES) == []
    assert pd.ok("escalate-overdue", "--dry-run", "--json", user="system").stdout == dry


def test_escalate_names_the_manager_in_the_dative(pd, late_and_returned, monkeypatch):
    n = late_and_returned
    r = pd.ok("escalate", n["back"], "--reason", "unjustified-rejection", "--note", "Ir eksperta kompetencē")
    assert r.stdout == f"{n['back']} eskalēts vadītājai Guntai Siliņai: eksperts nepamatoti noraidījis pieteikumu\n"
    again = pd("escalate", n["back"], "--reason", "unjustified-rejection")
    assert again.exit_code == 5 and "noraidījums (Elīna Zariņa) jau ir eskalēts" in again.stderr
    assert english(again.stderr.split(":", 1)[1]) == []
    monkeypatch.setenv("PD_LANG", "en")
    again = pd("escalate", n["back"], "--reason", "unjustified-rejection")
    assert "the rejection of " + n["back"] + " by Elīna Zariņa was already escalated" in again.stderr


def test_explain_on_a_24x7_service_speaks_hours_with_latvian_weekdays(pd, clock, monkeypatch):
    clock.set("2027-01-08T22:00")  # a Friday night: urgent EPASTS runs round the clock
    n = pd.register(service="EPASTS", urgent=True)
    pd.ok("assign", n, "--expert", "jberzins")
    text = pd.ok("explain", n).stdout
    assert "Izskatīšanas termiņš: 09.01.2027 02:00" in text
    assert "no 08.01.2027 22:00 + 4 stundas visu diennakti" in text
    assert "skaitīts visu diennakti: piektdiena, 08.01.2027 22:00 – sestdiena, 09.01.2027 02:00 = 4 stundas" in text
    assert "darba" not in text and "min" not in text.replace("minūtes", "")
    assert english(text) == [], english(text)
    monkeypatch.setenv("PD_LANG", "en")
    text = pd.ok("explain", n).stdout
    assert "counted round the clock from Friday, 08.01.2027 22:00 to Saturday, 09.01.2027 02:00 = 4 hours" in text
    assert "working" not in text
    assert latvian(text, allow=NAMES) == []


def test_explain_on_a_working_calendar_speaks_working_hours_and_days(pd, clock, monkeypatch):
    clock.set("2026-11-17T15:00")
    n = pd.register(service="DATORS", location="Rīga, Čiekurkalna 1", room="12")
    pd.ok("assign", n, "--expert", "rkrumins")
    text = pd.ok("explain", n).stdout
    assert "+ 24 darba stundas pēc darba laika kalendāra" in text
    assert "skaitīts: ceturtdiena, 19.11.2026 08:30–17:00 = 8 darba stundas" in text
    assert "izlaists: sestdiena, 21.11.2026, brīvdiena" in text
    assert english(text) == [], english(text)
    monkeypatch.setenv("PD_LANG", "en")
    text = pd.ok("explain", n).stdout
    assert "counted Thursday, 19.11.2026 08:30–17:00 = 8 working hours" in text
    assert "skipped Saturday, 21.11.2026: weekend" in text
    assert latvian(text, allow=NAMES + ("Proklamēšanas",)) == []


def test_calendar_views_in_both_languages(pd, monkeypatch):
    text = pd.ok("calendar", "show", "2026-11").stdout
    assert "20 darba dienas, 159 darba stundas" in text and "trešdiena" not in text
    assert any(x.startswith("18.11.2026") and " T " in x for x in text.splitlines())
    assert english(text) == []
    due = pd.ok("calendar", "due", "--service", "EPASTS", "--urgent", "--from", "2027-01-08T22:00").stdout
    assert due.splitlines()[1:] == ["  reaģēšanas termiņš 08.01.2027 22:30", "  izskatīšanas termiņš 09.01.2027 02:00"]
    monkeypatch.setenv("PD_LANG", "en")
    text = pd.ok("calendar", "show", "2026-11").stdout
    assert "20 working days, 159 working hours" in text
    assert any(x.startswith("18.11.2026") and " Wed " in x for x in text.splitlines())


def test_the_more_line_takes_latvians_three_forms():
    from pd.commands.queue import more_line

    assert more_line(1, "lv") == "… vēl 1 ieraksts neietilpa ekrānā; visus rāda pd queue"
    assert more_line(21, "lv").startswith("… vēl 21 ieraksts ")
    assert more_line(11, "lv").startswith("… vēl 11 ieraksti ")
    assert more_line(2, "lv").startswith("… vēl 2 ieraksti ")
    assert more_line(2, "en").startswith("… 2 more entries ")
