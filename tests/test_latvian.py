"""Latvian conventions (SPEC 12): collation, labels, dates, phones, e-mails, free text."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pd.errors import InvalidInput
from pd.latvian import (
    CHANNEL_LABELS,
    ESCALATION_REASON_LABELS,
    RIGA,
    STATUS_LABELS,
    YES_NO,
    clean_text,
    format_date,
    format_dt,
    iso,
    label,
    lv_sort_key,
    lv_sorted,
    normalize_email,
    normalize_phone,
    parse_instant,
    to_local,
)

UTC = timezone.utc


# --- collation ----------------------------------------------------------------
@pytest.mark.parametrize(
    "first,second",
    [
        ("Kuldīga", "Ķekava"),
        ("cukurs", "čūska"),
        ("abols", "ābols"),  # a tie on letters, broken by the macron: plain first
        ("ābols", "acs"),  # ā sorts with a: the macron matters only for ties
        ("Ādaži", "Aizkraukle"),
        ("zvejnieks", "žagata"),
        ("sala", "šalle"),
        ("gulbis", "ģimene"),
        ("lauks", "ļaudis"),
        ("nams", "ņaudēt"),
        ("Cēsis", "cukurs"),
        ("iela", "īss"),
        ("ūdens", "upe"),  # ū sorts with u
        ("abols", "Abols"),  # case only breaks ties: lowercase first
        ("Abols", "ābols"),  # the accent outranks the case
        ("9 lapa", "A lapa"),  # digits before letters
        ("Valsts policija", "Valstsbanka"),  # a space sorts before letters
    ],
)
def test_latvian_collation_pairs(first, second):
    assert lv_sort_key(first) < lv_sort_key(second)
    assert lv_sorted([second, first]) == [first, second]


def test_plain_sorted_gets_it_wrong():
    assert sorted(["Ķekava", "Kuldīga"]) == ["Kuldīga", "Ķekava"]  # by luck
    assert sorted(["Ādaži", "Zilupe"]) == ["Zilupe", "Ādaži"]  # wrong
    assert lv_sorted(["Ādaži", "Zilupe"]) == ["Ādaži", "Zilupe"]


EXPECTED_PLACES = [
    "Ādaži",
    "Aizkraukle",
    "Cēsis",
    "Čaka iela",
    "Gulbene",
    "Ģimene",
    "Kuldīga",
    "Ķekava",
    "Limbaži",
    "Ļaudona",
    "Naukšēni",
    "Ņukši",
    "Ogre",
    "Saldus",
    "Šķēde",
    "Valsts policija",
    "Valsts robežsardze",
    "Zilupe",
    "Žagare",
]


@pytest.mark.parametrize("seed", range(5))
def test_institution_names_sort_in_latvian_order(seed):
    shuffled = EXPECTED_PLACES[:]
    random.Random(seed).shuffle(shuffled)
    assert lv_sorted(shuffled) == EXPECTED_PLACES


def test_lv_sorted_with_key_and_nfd_input():
    rows = [{"name": "Ķekava"}, {"name": "Kuldi\u0304ga"}, {"name": "Cēsis"}]  # "Kuldīga" decomposed
    assert [r["name"] for r in lv_sorted(rows, key=lambda r: r["name"])] == ["Cēsis", "Kuldi\u0304ga", "Ķekava"]


def test_sort_key_is_a_total_order_on_distinct_strings():
    assert lv_sort_key("ABOLS") != lv_sort_key("abols")
    assert lv_sorted(["ABOLS", "abols", "Abols"]) == ["abols", "Abols", "ABOLS"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="aābcčeēgģiīkķlļnņsšuūzžAĀČĶŠŽ 1-", max_size=8), max_size=10))
def test_sorting_is_deterministic_whatever_the_input_order(names):
    assert lv_sorted(names) == lv_sorted(list(reversed(names)))


# --- labels ------------------------------------------------------------------
def test_status_labels_match_the_spec():
    assert {s: label(STATUS_LABELS, s, "lv") for s in STATUS_LABELS} == STATUS_LABELS["lv"] == {
        "registered": "reģistrēts",
        "assigned": "nodots ekspertam",
        "in_progress": "pieņemts izskatīšanai",
        "returned": "atgriezts Pakalpojumu dienestam",
        "waiting_user": "gaida lietotāja informāciju",
        "resolved": "izpildīts",
        "closed": "slēgts",
        "refused": "noraidīts (nav Centra kompetencē)",
    }
    assert set(STATUS_LABELS["en"]) == set(STATUS_LABELS["lv"])


@pytest.mark.parametrize("table", [STATUS_LABELS, CHANNEL_LABELS, ESCALATION_REASON_LABELS, YES_NO])
def test_every_table_has_both_languages_with_the_same_keys(table):
    """The English is the msgid, the Latvian pd.po's msgstr: every label has one, different from the English
    (but a word both languages spell alike); table[lang], the shape other modules read, still answers."""
    assert set(table["lv"]) == set(table["en"]) == set(table)
    assert all(table["lv"].values()) and all(table["en"].values())
    assert table["en"] == dict(table)
    assert all(table["lv"][k] != table["en"][k] for k in table)


def test_label_lookup():
    assert label(STATUS_LABELS, "waiting_user") == "gaida lietotāja informāciju"
    assert label(STATUS_LABELS, "closed", "en") == "closed"
    assert label(CHANNEL_LABELS, "email") == "e-pasts"
    assert set(ESCALATION_REASON_LABELS["lv"]) == {"not_accepted", "unjustified_rejection", "overdue"}
    assert label(ESCALATION_REASON_LABELS, "unjustified-rejection") == label(
        ESCALATION_REASON_LABELS, "unjustified_rejection"
    )
    assert label(YES_NO, "yes") == "Jā" and label(YES_NO, "no") == "Nē"
    assert label(YES_NO, True, "en") == "Yes" and label(YES_NO, False, "en") == "No"
    assert label(STATUS_LABELS, "something_new") == "something_new"
    with pytest.raises(ValueError):
        label(STATUS_LABELS, "closed", "de")


# --- time ---------------------------------------------------------------------
def test_format_dt_in_riga_winter_and_summer():
    assert format_dt(datetime(2026, 11, 28, 8, 15, tzinfo=UTC)) == "28.11.2026 10:15"  # EET +2
    assert format_dt(datetime(2026, 7, 1, 8, 15, tzinfo=UTC)) == "01.07.2026 11:15"  # EEST +3
    assert format_dt(datetime(2026, 11, 28, 8, 15)) == "28.11.2026 10:15"  # naive is UTC
    assert format_dt(None) == ""


def test_format_dt_across_the_spring_gap():
    # 29.03.2026: 03:00 EET becomes 04:00 EEST (00:59 and 01:00 UTC are one minute apart).
    assert format_dt(datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) == "29.03.2026 02:59"
    assert format_dt(datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == "29.03.2026 04:00"


def test_format_dt_across_the_autumn_fold():
    # 25.10.2026: 04:00 EEST becomes 03:00 EET; 03:30 happens twice.
    assert format_dt(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == "25.10.2026 03:30"
    assert format_dt(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "25.10.2026 03:30"
    assert iso(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == "2026-10-25T03:30:00+03:00"
    assert iso(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "2026-10-25T03:30:00+02:00"


def test_format_date():
    assert format_date(date(2026, 5, 4)) == "04.05.2026"
    assert format_date(datetime(2026, 12, 31, 22, 30, tzinfo=UTC)) == "01.01.2027"  # Riga's date
    assert format_date(None) == ""


def test_iso_has_riga_offset_and_seconds():
    assert iso(datetime(2026, 11, 28, 8, 15, 0, 123456, tzinfo=UTC)) == "2026-11-28T10:15:00+02:00"
    assert iso(datetime(2026, 6, 1, 9, 0, tzinfo=UTC)) == "2026-06-01T12:00:00+03:00"
    assert iso(None) is None


def test_to_local():
    local = to_local(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    assert (local.hour, local.utcoffset()) == (12, timedelta(hours=3))
    assert str(local.tzinfo) == RIGA


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2026-11-28T10:15:00+02:00", datetime(2026, 11, 28, 8, 15, tzinfo=UTC)),
        ("2026-11-28T10:15+02:00", datetime(2026, 11, 28, 8, 15, tzinfo=UTC)),
        ("2026-11-28T08:15:00Z", datetime(2026, 11, 28, 8, 15, tzinfo=UTC)),
        ("2026-11-28T10:15", datetime(2026, 11, 28, 8, 15, tzinfo=UTC)),  # Riga local
        ("2026-11-28 10:15", datetime(2026, 11, 28, 8, 15, tzinfo=UTC)),
        ("2026-07-01T10:15", datetime(2026, 7, 1, 7, 15, tzinfo=UTC)),  # summer time
        ("28.11.2026 10:15", datetime(2026, 11, 28, 8, 15, tzinfo=UTC)),
        ("1.7.2026 10:15", datetime(2026, 7, 1, 7, 15, tzinfo=UTC)),
        ("28.11.2026", datetime(2026, 11, 27, 22, 0, tzinfo=UTC)),
        ("2026-11-28", datetime(2026, 11, 27, 22, 0, tzinfo=UTC)),
        ("  2026-11-28  ", datetime(2026, 11, 27, 22, 0, tzinfo=UTC)),
        ("2000-01-01", datetime(1999, 12, 31, 22, 0, tzinfo=UTC)),  # the range is on the year as typed
        ("2100-12-31T23:00-05:00", datetime(2101, 1, 1, 4, 0, tzinfo=UTC)),
    ],
)
def test_parse_instant_accepts(text, expected):
    got = parse_instant(text)
    assert got == expected
    assert got.tzinfo is UTC


def test_parse_instant_spring_gap_is_read_with_the_offset_before_the_change():
    # 29.03.2026 03:30 does not exist in Riga; fold=0 reads it as +02:00.
    got = parse_instant("2026-03-29T03:30")
    assert got == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert format_dt(got) == "29.03.2026 04:30"
    assert parse_instant("29.03.2026 03:30") == got


def test_parse_instant_autumn_ambiguity_takes_the_first_occurrence():
    got = parse_instant("2026-10-25T03:30")
    assert got == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still summer time, +03:00
    assert iso(got) == "2026-10-25T03:30:00+03:00"
    assert parse_instant("2026-10-25T03:30+02:00") == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("", "nav norādīts"),
        ("   ", "nav norādīts"),
        ("tomorrow", "nav datums un laiks"),
        ("28/11/2026", "nav datums un laiks"),
        ("31.02.2026 10:00", "nav derīgs datums"),
        ("2026-13-01", "nav derīgs datums"),
        ("2026-11-28T25:00", "nav derīgs datums"),
        ("1999-12-31", "nav robežās 2000–2100"),
        ("2101-01-01", "nav robežās 2000–2100"),
        ("01.01.1970 00:00", "nav robežās 2000–2100"),
    ],
)
def test_parse_instant_rejects(text, fragment):
    with pytest.raises(InvalidInput) as exc:
        parse_instant(text)
    assert fragment in str(exc.value)
    assert exc.value.exit_code == 3


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2100, 12, 30)))
def test_iso_round_trips_through_parse_instant(naive_utc):
    instant = naive_utc.replace(microsecond=0, tzinfo=UTC)
    assert parse_instant(iso(instant)) == instant


# --- phones -------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("+371 2612 3456", "+37126123456"),
        ("26123456", "+37126123456"),
        ("00371 6712-3456", "+37167123456"),
        ("(+371) 67123456", "+37167123456"),
        ("+37167219111", "+37167219111"),
        ("67 219 111", "+37167219111"),
        ("371 26123456", "+37126123456"),
        (" 2612.3456 ", "+37126123456"),
        ("+371\u00a026123456", "+37126123456"),
    ],
)
def test_normalize_phone_accepts(text, expected):
    assert normalize_phone(text) == expected


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("", "nav norādīts"),
        ("19111", "ir 5 cipari; Latvijas numurā ir 8"),
        ("2612345", "ir 7 cipari"),
        ("+371 2612 34567", "pēc valsts koda ir 9 cipari"),
        ("+371 2612 3456789", "pēc valsts koda ir 11 ciparu"),  # Latvian's three plural forms
        ("+371 " + "2" * 21, "pēc valsts koda ir 21 cipars"),
        ("36123456", "sākas ar 3"),
        ("+370 612 34567", "nav Latvijas numurs"),
        ("0049 30 1234567", "nav Latvijas numurs"),
        ("2612345x", "ir 'x'"),
        ("26+123456", "ir '+', kas nav sākumā"),
        ("tel.", "ir 't'"),
    ],
)
def test_normalize_phone_rejects(text, fragment):
    with pytest.raises(InvalidInput) as exc:
        normalize_phone(text)
    assert fragment in str(exc.value)


def test_normalize_phone_does_not_echo_a_long_value():
    long_value = "2" * 200
    with pytest.raises(InvalidInput) as exc:
        normalize_phone(long_value)
    assert long_value not in str(exc.value)
    assert "200 ciparu" in str(exc.value)


# --- e-mail -------------------------------------------------------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("janis.berzins@vp.gov.lv", "janis.berzins@vp.gov.lv"),
        (" Janis.Berzins@VP.Gov.LV ", "Janis.Berzins@vp.gov.lv"),
        ("pd@ic.iem.gov.lv", "pd@ic.iem.gov.lv"),
        ("j.berzins+pd@rs.gov.lv", "j.berzins+pd@rs.gov.lv"),
        ("a_b-c@x-y.example.com.", "a_b-c@x-y.example.com"),
    ],
)
def test_normalize_email_accepts(text, expected):
    assert normalize_email(text) == expected


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("", "nav norādīta"),
        ("janis.berzins", "nav '@'"),
        ("a@b@vp.gov.lv", "vairāk nekā viens '@'"),
        ("@vp.gov.lv", "pirms '@' nekā nav"),
        ("janis@", "nav domēna"),
        ("janis@localhost", "vajag punktu"),
        ("janis berzins@vp.gov.lv", "ir atstarpe"),
        ("janis@vp..gov.lv", "tukša daļa"),
        ("janis.@vp.gov.lv", "punkts '.' ir nevietā"),
        ("ja\x07nis@vp.gov.lv", "vadības rakstzīme"),
        ("janis@-vp.gov.lv", "sākas vai beidzas ar '-'"),
        ("janis@vp.gov.1", "augstākā līmeņa domēnu"),
        ("jan<is>@vp.gov.lv", "pirms '@' ir '<'"),
        ("a" * 250 + "@vp.lv", "ne vairāk kā 254"),
        # the desk's mail server takes no SMTPUTF8: refused at the desk, not in the outbox later
        ("jānis@vp.gov.lv", "pirms '@' ir 'ā'"),
        ("janis@pārvalde.lv", "janis@xn--prvalde-s3a.lv"),
    ],
)
def test_normalize_email_rejects(text, fragment):
    with pytest.raises(InvalidInput) as exc:
        normalize_email(text)
    assert fragment in str(exc.value)


# --- free text ----------------------------------------------------------------
def test_clean_text_strips_and_normalises_to_nfc():
    assert clean_text("description", "  Kuldi\u0304ga\n ", max_len=100) == "Kuldīga"
    assert clean_text("description", "a\r\nb\rc", max_len=100) == "a\nb\nc"
    assert clean_text("description", "a\tb", max_len=100, multiline=False) == "a\tb"


def test_clean_text_limit_message():
    with pytest.raises(InvalidInput) as exc:
        clean_text("description", "x" * 1048576, max_len=4000)
    assert str(exc.value) == "laukā “apraksts” ir 1048576 rakstzīmes; atļauts ne vairāk kā 4000"
    assert clean_text("description", "x" * 4000, max_len=4000) == "x" * 4000


def test_clean_text_counts_characters_not_bytes():
    text = "ā" * 10
    assert clean_text("note", text, max_len=10) == text
    assert clean_text("note", "a\u0304" * 10, max_len=10) == text  # NFC before counting


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_clean_text_rejects_empty(text):
    with pytest.raises(InvalidInput, match="^lauks “iemesls” ir tukšs$"):
        clean_text("reason", text, max_len=100)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u202e", "\u2066"])
def test_clean_text_rejects_control_characters(char):
    with pytest.raises(InvalidInput) as exc:
        clean_text("note", f"abc{char}def", max_len=100)
    assert f"U+{ord(char):04X}" in str(exc.value)
    assert "4. vietā" in str(exc.value)


def test_clean_text_single_line():
    assert clean_text("name", "Jānis Bērziņš\n", max_len=100, multiline=False) == "Jānis Bērziņš"
    with pytest.raises(InvalidInput, match="jābūt vienā rindā"):
        clean_text("name", "Jānis\nBērziņš", max_len=100, multiline=False)
    assert clean_text("description", "Jānis\nBērziņš", max_len=100) == "Jānis\nBērziņš"
