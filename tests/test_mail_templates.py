"""The mails as their readers get them (SPEC 6, 12; issue 11 item 1, issue 9 item 5).

Every shipped template, in both languages, rendered with every optional part
missing and with all present; then the real thing: a request's whole life in
a real ledger, delivered to a real SMTP server on loopback, parsed back with
the standard library as a mail client would, and read: one subject per
request, what happened in the first line, per-recipient thread roots, no
internals, dates as dd.mm.yyyy hh:mm, durations in words, names, lines a
reader's window holds.
"""
from __future__ import annotations

import email
import email.header
import email.policy
import re
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pd.notify import render as rendering
from pd.notify.compose import compose, fold_subject
from pd.notify.render import KINDS, render, wrap
from pd.notify.wording import EXPERT, count, dative, duration_words, history_lines, short_title, to_person

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "pd" / "examples"  # the shipped catalog.yaml and contacts.yaml
NUMBER = "2026-000123"
DESK = "servicedesk@ic.iem.gov.lv"
#: Kinds about one request; the monthly report mails (monthly_report, monthly_report_overview) belong to the report (issue 11 item 2–3).
REQUEST_KINDS = [k for k in KINDS if not k.startswith("monthly_report")]

DMY_HM = re.compile(r"\b\d\d\.\d\d\.\d{4} \d\d:\d\d\b")
ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d")
FIELD_NAME = re.compile(r"\b[a-z]+_[a-z_]+\b")


def staff_logins() -> set[str]:
    """Every staff login in the shipped contacts, but 'system' (an English word too)."""
    text = (EXAMPLES / "contacts.yaml").read_text(encoding="utf-8")
    return set(re.findall(r"login: ([a-z0-9]+)", text)) - {"system"}


LOGINS = staff_logins()

HISTORY = "\n".join([
    "02.12.2026 10:15 — pieteikums reģistrēts pa tālruni (Anna Bērziņa)",
    "02.12.2026 10:16 — nodots ekspertam Jānim Bērziņam",
    "02.12.2026 12:16 — eskalēts (1. līmenis) vadītājam Valdim Kalējam: eksperts noteiktajā termiņā nav "
    "apstiprinājis pieteikuma pieņemšanu izskatīšanai",
])

FULL = {
    "number": NUMBER,
    "title": "Ģērbtuves printeris nedrukā",
    "urgent_marker": "STEIDZAMI: ",
    "urgent_word": "steidzams ",
    "service_code": "PRINTERIS",
    "service_name": "Printera darbības traucējumi",
    "service_full": "Printera darbības traucējumi (PRINTERIS)",
    "description": "Ģērbtuves printeris nedrukā; displejā kļūda E-42. Lūdzu, pārbaudiet arī, vai tonera "
                   "kasetne ir oriģināla, jo iepriekšējā bija neoriģināla un radīja svītras, skat. "
                   "https://intranet.vp.gov.lv/ikt/printeri/instrukcija-par-tonera-nomainu-2026.pdf\n"
                   "Otrā rindiņa.",
    "status_label": "nodots ekspertam",
    "desk_name": "IeM Informācijas centra Pakalpojumu dienests",
    "desk_email": DESK,
    "desk_phone": "+371 67219000",
    "requester_name": "Līga Ozoliņa",
    "requester_institution": "Valsts policija",
    "requester_unit": "Rīgas reģiona pārvalde",
    "requester_position": "vecākā inspektore",
    "requester_phone": "+371 20000000",
    "requester_email": "liga.ozolina@vp.gov.lv",
    "location": "Čiekurkalna 1. līnija 1, Rīga",
    "room": "214",
    "room_text": "telpa 214",
    "workplace": "Čiekurkalna 1. līnija 1, Rīga, telpa 214",
    "username": "lozolina.vp",
    "received_at": "02.12.2026 10:15",
    "response_due": "02.12.2026 12:15",
    "resolution_due": "04.12.2026 17:00",
    "note": "Nodots atkārtoti: iepriekšējais eksperts atvaļinājumā.",
    "expert_name": "Jānis Bērziņš",
    "planned_date": "11.12.2026",
    "delay_reason": "Gaidām rezerves daļas piegādi.",
    "result": "Nomainīts tonera kasetnes čips; printeris drukā.",
    "close_after": "5 dienas",
    "close_by": "09.12.2026 14:30",
    "reason": "Iestādes iekšējā tīkla printerus apkalpo iestāde pati.",
    "ict_contact": "  Guntis Āboliņš, tālr. +371 67075212, guntis.abolins@vp.gov.lv\n"
                   "  Ilze Šķēle, tālr. +371 26123456, ilze.skele@vp.gov.lv",
    "ict_contact_heading": "Kontaktpersonas:",
    "manager_name": "Valdis Kalējs",
    "reason_label": "eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu izskatīšanai",
    "level": "2",
    "role": "eksperta tiešā vadītāja vadītājam",
    "earlier": "Pieteikums jau 02.12.2026 12:16 tika eskalēts vadītājam Valdim Kalējam, bet noteiktajā "
               "laikā (8 darba stundas) tas nav atrisināts.",
    "history": HISTORY,
    "what": "paziņojums pieteicējam par pieteikuma izpildi",
    "todo": "Lūdzu, pastāstiet to pieteicējai Līgai Ozoliņai pa tālruni +371 20000000.",
    "details": "Labdien! Jūsu pieteikums Nr. 2026-000123 ir izpildīts.",
    "closed_why": "Iebildumu termiņā (09.12.2026 14:30) iebildumi netika saņemti.",
    "question": "Kurā telpā atrodas printeris, un kāds ir tā inventāra numurs?",
    "answer": "Telpa 214, inventāra numurs VP-00417.",
    "answer_via": "pa e-pastu",
    "to_new_expert": "ekspertei Laurai Kalniņai",
    "objection": "Joprojām nedrukā: displejā tā pati kļūda E-42.",
    "previous_result": "Nomainīts tonera kasetnes čips; printeris drukā.",
    "deadline_word": "izskatīšanas termiņš",
    "deadline": "04.12.2026 17:00",
    "time_left": "3 darba stundas",
    "outcome": "Pieteikums pieņemts izskatīšanai.",
    "detail": "Reaģēšanas termiņš ir ievērots.",
}

#: What every message of a request has, and what each kind cannot be without.
ALWAYS = {"number", "title", "service_code", "service_name", "service_full", "description", "status_label", "desk_name",
          "desk_email", "desk_phone", "requester_name"}
ESSENTIAL = {
    "resolved_user": {"result", "close_after", "close_by"},
    "closed_user": {"result"},
    "delay_user": {"planned_date", "delay_reason"},
    "escalation_manager": {"reason_label", "level", "role"},
    "desk_notice": {"what", "reason", "todo", "details"},
    "question_user": {"question"},
    "answer_expert": {"question"},
    "taken_expert": {"to_new_expert", "reason"},
    "reopened_user": {"reason"},
    "reopened_expert": {"reason", "resolution_due"},
    "reminder_expert": {"deadline_word", "deadline", "time_left", "todo"},
    "command_expert": {"outcome"},
}


def minimal(kind: str) -> dict[str, str]:
    keep = ALWAYS | ESSENTIAL.get(kind, set())
    return {k: (v if k in keep else "") for k, v in FULL.items()}


def read_as_a_person(text: str, where: str) -> None:
    """What no reader should meet: placeholders, None, field names, ISO times, logins, loose labels, long lines."""
    assert "$" not in text, where
    assert "None" not in text, where
    assert not FIELD_NAME.search(text), f"{where}: {FIELD_NAME.search(text).group(0)}"
    assert not ISO.search(text), f"{where}: {ISO.search(text).group(0)}"
    for login in LOGINS:
        assert not re.search(rf"(?<![\w.@]){login}(?![\w@])", text), f"{where}: login {login}"
    for artefact in ("()", "( ", " )", " .", " ,", "::", ": .", "Nr. .", "No. ."):
        assert artefact not in text, f"{where}: {artefact!r}"
    lines = text.split("\n")
    for i, line in enumerate(lines):
        assert len(line) <= 78 or " " not in line.strip(), f"{where}: line {i + 1} is {len(line)} long: {line}"
        assert line == line.rstrip(), f"{where}: trailing blanks on line {i + 1}"
        if line.endswith(":") and not line.startswith(" "):
            following = lines[i + 1] if i + 1 < len(lines) else ""
            assert following.strip(), f"{where}: the label {line!r} has nothing under it"


# ---------------------------------------------------------------- every template, every kind, both languages
@pytest.mark.parametrize("lang", ["lv", "en"])
@pytest.mark.parametrize("kind", REQUEST_KINDS)
@pytest.mark.parametrize("variant", ["all present", "optional missing"])
def test_every_template_reads_as_text_for_a_person(kind, lang, variant):
    ctx = FULL if variant == "all present" else minimal(kind)
    subject, body = render(kind, lang, ctx)
    where = f"{lang}/{kind} ({variant})"
    read_as_a_person(subject + "\n" + body, where)

    # the thread's subject: the number and the short title, nothing per kind
    marker = ctx.get("urgent_marker", "") if kind != "desk_notice" else ""
    assert subject == f"[PD {NUMBER}] {marker}{ctx['title']}", where
    # what happened, in the first line; the number there unless it is the desk's own notice
    first = body.split("\n")[0]
    if kind == "desk_notice":
        assert first.startswith("Vēstule netika nosūtīta: " if lang == "lv" else "A message was not sent: "), where
    else:
        assert first.startswith("Labdien! " if lang == "lv" else "Hello, "), where
        assert NUMBER in first, where
    flat = " ".join(body.split())
    # the facts the template uses are all there: dates as dd.mm.yyyy hh:mm, names, words
    template = rendering.template_text(kind, lang)[1]
    used = set(re.findall(r"\$\{?([a-z_]+)", template))
    for name in used:
        value = " ".join(ctx[name].split())
        assert value in flat or value in subject, f"{where}: ${name} ({value!r}) is not in the mail"
    for name in used & {"received_at", "response_due", "resolution_due", "close_by"}:
        if ctx[name]:
            assert DMY_HM.fullmatch(ctx[name]) and ctx[name] in body, where
    # the signature: the desk, its phone and address
    if kind != "desk_notice":
        assert body.rstrip().endswith(f"{FULL['desk_email']}"), where
    # the URL and the number are never broken across lines
    if "description" in used:
        assert "https://intranet.vp.gov.lv/ikt/printeri/instrukcija-par-tonera-nomainu-2026.pdf" in body, where
    assert body.count(NUMBER) >= (0 if kind == "desk_notice" else 1)


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_the_expert_and_the_manager_see_how_to_reach_the_requester(lang):
    for kind in ("assigned_expert", "escalation_manager"):
        _, body = render(kind, lang, FULL)
        assert "+371 20000000" in body and "Čiekurkalna 1. līnija 1, Rīga, telpa 214" in body, kind
        assert "liga.ozolina@vp.gov.lv" in body, kind


def test_the_level_two_mail_fits_its_level():
    _, level1 = render("escalation_manager", "lv", {**FULL, "level": "1", "role": "eksperta tiešajam vadītājam",
                                                    "earlier": ""})
    _, level2 = render("escalation_manager", "lv", FULL)
    one, two = (" ".join(b.split()) for b in (level1, level2))
    assert "Jums kā eksperta tiešajam vadītājam." in one and "(1. līmenis)" in level1.split("\n")[0]
    assert "Jums kā eksperta tiešā vadītāja vadītājam." in two and "(2. līmenis)" in level2.split("\n")[0]
    assert "tiešajam vadītājam" not in two.replace("vadītājam Valdim", "")
    assert "jau 02.12.2026 12:16 tika eskalēts vadītājam Valdim Kalējam" in two


def test_one_contact_person_is_singular_several_are_plural():
    one = {**FULL, "ict_contact": "  Dace Ozoliņa, tālr. +371 67219263", "ict_contact_heading": "Kontaktpersona:"}
    _, body = render("refused_user", "lv", one)
    assert "Kontaktpersona:\n  Dace Ozoliņa" in body
    _, body = render("refused_user", "lv", FULL)
    assert "Kontaktpersonas:\n  Guntis Āboliņš" in body and "\n  Ilze Šķēle" in body


def test_deployment_templates_stay_editable(tmp_path):
    (tmp_path / "lv").mkdir()
    (tmp_path / "lv" / "closed_user.txt").write_text(
        "Subject: [PD $number] $title\n\nLabdien! Pieteikums Nr. $number ir slēgts.\nStatuss: $status_label\n",
        encoding="utf-8")
    subject, body = render("closed_user", "lv", minimal("closed_user"), tmp_path)
    assert body == f"Labdien! Pieteikums Nr. {NUMBER} ir slēgts.\nStatuss: nodots ekspertam\n"
    assert rendering.validate_templates(tmp_path) == []


# ---------------------------------------------------------------- wrapping
def test_wrap_keeps_words_urls_and_hangs_history_lines():
    url = "https://example.gov.lv/" + "a" * 90
    text = wrap("Vārds " * 30 + url + " beigas\n" + "02.12.2026 10:15 — " + "ļoti gara rinda " * 10)
    lines = text.split("\n")
    assert url in lines and all(len(x) <= 76 for x in lines if x != url)
    history = [x for x in lines if x.startswith("02.12.2026") or x.startswith(" " * 19)]
    assert len(history) >= 2 and all(x.startswith(" " * 19) for x in history[1:])
    assert " ".join(text.split()) == " ".join(("Vārds " * 30 + url + " beigas " + "02.12.2026 10:15 — "
                                               + "ļoti gara rinda " * 10).split())


# ---------------------------------------------------------------- words
@pytest.mark.parametrize("n, lv, en", [
    (1, "1 diena", "1 day"), (2, "2 dienas", "2 days"), (5, "5 dienas", "5 days"), (11, "11 dienas", "11 days"),
    (21, "21 diena", "21 days"), (101, "101 diena", "101 days"), (111, "111 dienas", "111 days")])
def test_counts_agree_with_their_number(n, lv, en):
    assert count(n, "day", "lv") == lv and count(n, "day", "en") == en


@pytest.mark.parametrize("td, working, lv, en", [
    (timedelta(days=5), False, "5 dienas", "5 days"),
    (timedelta(hours=120), False, "5 dienas", "5 days"),
    (timedelta(hours=8), True, "8 darba stundas", "8 working hours"),
    (timedelta(hours=8), False, "8 stundas", "8 hours"),
    (timedelta(hours=1, minutes=30), False, "1 stunda 30 minūtes", "1 hour and 30 minutes"),
    (timedelta(minutes=21), False, "21 minūte", "21 minutes"),
    (timedelta(hours=24), True, "24 darba stundas", "24 working hours"),
])
def test_durations_in_words(td, working, lv, en):
    assert duration_words(td, "lv", working=working) == lv
    assert duration_words(td, "en", working=working) == en
    assert "0:00" not in lv and "h" not in lv.split()[-1]


@pytest.mark.parametrize("name, want", [
    ("Jānis Bērziņš", "Jānim Bērziņam"), ("Laura Kalniņa", "Laurai Kalniņai"), ("Māris Liepa", "Mārim Liepam"),
    ("Valdis Kalējs", "Valdim Kalējam"), ("Ināra Dūmiņa", "Inārai Dūmiņai"), ("Raivis Čakste", "Raivim Čakstem"),
    ("Ilze Šķēle", "Ilzei Šķēlei"), ("Ingus Baltais", "Ingum Baltajam"), ("Anna Baltā", "Annai Baltajai"),
    ("Oskars Ķēniņš", "Oskaram Ķēniņam"), ("Anna Kalniņa-Ozola", "Annai Kalniņai-Ozolai"),
    ("John Smith", None), ("J. Bērziņš", None), ("Pakalpojumu dienesta automātika", None), ("Bērziņš", None),
])
def test_names_in_the_dative(name, want):
    assert dative(name) == want


def test_a_name_that_does_not_decline_is_put_after_a_colon():
    assert to_person(EXPERT, "Laura Kalniņa") == "ekspertei Laurai Kalniņai"
    assert to_person(EXPERT, "Jānis Bērziņš") == "ekspertam Jānim Bērziņam"
    assert to_person(EXPERT, "John Smith") == "ekspertam: John Smith"


def test_short_title_is_the_first_sentence_cut_at_a_word():
    assert short_title("Neienāk e-pasts kopš rīta; Outlook rāda kļūdu") == "Neienāk e-pasts kopš rīta"
    assert short_title("Sveiki! Nedarbojas printeris otrajā stāvā") == "Sveiki! Nedarbojas printeris otrajā stāvā"
    long = "Lūdzu piešķirt piekļuvi Iekšlietu ministrijas informācijas sistēmai un arī e-pasta grupai"
    title = short_title(long)
    assert len(title) <= 60 and title.endswith("…") and long.startswith(title[:-1])
    assert short_title("Printeris nedrukā\nrinda divi") == "Printeris nedrukā"


def test_history_lines_say_what_happened_by_name():
    class Ev:
        def __init__(self, kind, actor, data, behalf=None):
            self.kind, self.actor, self.on_behalf_of, self.data, self.at = kind, actor, behalf, data, kind

    names = {"operators1": "Anna Bērziņa", "jberzins": "Jānis Bērziņš", "vkalejs": "Valdis Kalējs", "system": ""}
    events = [
        Ev("registered", "operators1", '{"channel": "phone", "urgent": true}'),
        Ev("assigned", "operators1", '{"expert": "jberzins", "response_due": "2026-12-02T12:15:00+02:00"}'),
        Ev("escalated", "system", '{"reason": "not_accepted", "level": 1, "manager": "vkalejs"}'),
        Ev("accepted", "operators1", "{}", behalf="jberzins"),
        Ev("delay_reported", "jberzins", '{"delay_reason": "Gaidām daļas", "planned_date": "2026-12-11"}'),
        Ev("resolved", "jberzins", '{"result": "' + "Nomainīts čips. " * 20 + '"}'),
        Ev("closed", "system", '{"auto": true}'),
        Ev("mail_followup", "system", '{"subject": "Re: [PD 2026-000123] paldies"}'),
    ]
    lines = history_lines(events, lang="lv", name_of=lambda x: names.get(x or "", x or ""), when=lambda k: "02.12.2026 10:15",
                          reason_label=lambda r: "eksperts nav apstiprinājis", date_of=lambda d: "11.12.2026")
    assert lines[:5] == [
        "02.12.2026 10:15 — pieteikums reģistrēts pa tālruni, steidzams (Anna Bērziņa)",
        "02.12.2026 10:15 — nodots ekspertam Jānim Bērziņam",
        "02.12.2026 10:15 — eskalēts (1. līmenis) vadītājam Valdim Kalējam: eksperts nav apstiprinājis",
        "02.12.2026 10:15 — Jānis Bērziņš pieņēma pieteikumu izskatīšanai",
        "02.12.2026 10:15 — paziņots par kavēšanos (Jānis Bērziņš): Gaidām daļas; plānotais izpildes termiņš 11.12.2026",
    ]
    assert lines[5].startswith("02.12.2026 10:15 — izpildīts (Jānis Bērziņš): Nomainīts čips.") and len(lines[5]) < 140
    assert lines[6] == "02.12.2026 10:15 — slēgts, jo iebildumi netika saņemti"
    assert lines[7] == "02.12.2026 10:15 — ieraksts pieteikuma vēsturē: Re: [PD 2026-000123] paldies"
    read_as_a_person(wrap("\n".join(lines)), "history")


# ---------------------------------------------------------------- subjects that fold and keep their spaces
LV_WORD = st.text(alphabet="aābcčdeēfgģhiījkķlļmnņoprsštuūvzžAĀBČĒĢĪĶĻŅŠŪŽ-:,.0123456789", min_size=1, max_size=18)


def _parsed_subject(data: bytes) -> str:
    return str(email.message_from_bytes(data, policy=email.policy.default)["Subject"])


@settings(max_examples=150, deadline=None)
@given(st.lists(LV_WORD, min_size=1, max_size=25))
def test_any_latvian_subject_folds_and_reads_back_exactly(words):
    subject = f"[PD {NUMBER}] " + " ".join(words)
    data = compose(sender=f"PD <{DESK}>", to=["a@vp.gov.lv"], subject=subject, body="x",
                   message_id="<m1@ic.iem.gov.lv>")
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    assert all(len(line) <= 78 for line in head.split("\r\n")), head
    assert _parsed_subject(data) == subject
    # a reader that decodes word by word (the compat32 API, as older clients do) agrees
    raw = email.message_from_bytes(data, policy=email.policy.compat32)["Subject"]
    assert str(email.header.make_header(email.header.decode_header(raw))) == subject


def test_the_subject_that_lost_its_space():
    subject = (f"[PD {NUMBER}] Pieteikums nodots izskatīšanai: Iekšlietu ministrijas Informācijas centra "
               "e-pasta pakalpojums nedarbojas")
    data = compose(sender=f"PD <{DESK}>", to=["a@vp.gov.lv"], subject=subject, body="x",
                   message_id="<m1@ic.iem.gov.lv>")
    assert "\r\n" in fold_subject(subject)                           # it does fold
    assert _parsed_subject(data) == subject
    assert "izskatīšanai: Iekšlietu" in _parsed_subject(data)


# ---------------------------------------------------------------- the real thing, through SMTP
RESPOND_BY, RESOLVE_BY = "2027-01-04T10:00", "2027-01-05T10:00"
LONG_DESCRIPTION = ("Pēc Iekšlietu ministrijas informācijas sistēmas atjaunināšanas nevaru pieslēgties; "
                    "kļūdas paziņojums: \"Lietotāja konts bloķēts\". Mēģināju arī no cita datora, skat. "
                    "https://intranet.vp.gov.lv/ikt/pieklude/bloketie-konti-un-ka-tos-atbloket-2026.html")


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def _text(msg) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None and part.get_content_charset() == "utf-8"
    assert not [p for p in msg.walk() if p.get_content_type() == "text/html"]      # plain text only
    return part.get_content().replace("\r\n", "\n")


def _life_of_a_request(pd, clock):
    """Registered, assigned, escalated twice, accepted, delayed, resolved, closed; one refused; one with no mail."""
    clock.set("2027-01-04T08:30")
    n = pd.register(description=LONG_DESCRIPTION, service="IS-PIEKLUVE", location="Čiekurkalna 1. līnija 1, Rīga",
                    room="214", unit="Rīgas reģiona pārvalde", phone="26123456")
    pd.ok("assign", n, "--expert", "ezarina", "--respond-by", RESPOND_BY, "--resolve-by", RESOLVE_BY)
    clock.set("2027-01-04T10:05")
    pd.ok("escalate-overdue", "--no-send", user="system")
    clock.set("2027-01-05T13:00")
    pd.ok("escalate-overdue", "--no-send", user="system")
    pd.ok("accept", n, user="ezarina")
    pd.ok("note", n, "--text", "Gaidām piegādātāja atbildi", "--delay-reason", "Nepieciešama piegādātāja iesaiste",
          "--planned", "2027-01-08", user="ezarina")
    pd.ok("resolve", n, "--result", "Konts atbloķēts, parole nav mainīta; lietotājs var pieslēgties", user="ezarina")
    pd.ok("close", n, "--confirmed")
    m = pd.register(description="Lūdzu salabot mājas printeri", service="DATORS", out_of_scope=True,
                    reason="Privāta iekārta")
    k = pd.register(email=None, description="Nedarbojas VPN no mājām", service="VPN")
    pd.ok("assign", k, "--expert", "mliepa")
    return n, m, k


FIRST_LINES = {
    "assigned_expert": "Labdien! Jums nodots izskatīšanai pieteikums Nr. {n}.",
    "forwarded_user": "Labdien! Jūsu pieteikums Nr. {n} ir reģistrēts un nodots ekspertam.",
    "escalation_manager": "Labdien! Jums eskalēts pieteikums Nr. {n} (",
    "delay_user": "Labdien! Jūsu pieteikuma Nr. {n} izpilde diemžēl kavējas.",
    "resolved_user": "Labdien! Jūsu pieteikums Nr. {n} ir izpildīts.",
    "closed_user": "Labdien! Jūsu pieteikums Nr. {n} ir slēgts.",
    "refused_user": "Labdien! Jūsu pieteikumu Nr. {n} nevaram izpildīt.",
    "desk_notice": "Vēstule netika nosūtīta: ",
}


def test_a_whole_request_read_in_a_mail_client(pd, clock, smtp_server):
    n, m, k = _life_of_a_request(pd, clock)
    r = pd("mail", "send", user="system", env={"PD_SMTP_URL": smtp_server.url})
    assert r.exit_code == 0, r.stderr
    queued = {x["message_id"]: x for x in pd.ok("mail", "list", "--limit", "100", "--json").json()}
    got = {str(_parse(e.data)["Message-ID"]): (e, _parse(e.data)) for e in smtp_server.envelopes}
    assert set(got) == set(queued) and len(got) == 11
    kinds = sorted(x["kind"] for x in queued.values())
    assert kinds == sorted(["assigned_expert", "forwarded_user", "escalation_manager", "escalation_manager",
                            "escalation_manager", "delay_user", "resolved_user", "closed_user", "refused_user",
                            "assigned_expert", "desk_notice"])

    threads: dict[tuple, list] = {}
    titles = {n: "Pēc Iekšlietu ministrijas informācijas sistēmas…", m: "Lūdzu salabot mājas printeri",
              k: "Nedarbojas VPN no mājām"}
    for row in sorted(queued.values(), key=lambda x: x["id"]):
        env, msg = got[row["message_id"]]
        kind, number = row["kind"], row["request"]
        where = f"{number} {kind} to {env.rcpt_tos}"
        assert env.data.isascii()
        # the headers a client and an auto-responder read
        assert str(msg["Subject"]) == f"[PD {number}] {titles[number]}", where
        assert msg["Auto-Submitted"] == "auto-generated" and msg["X-Auto-Response-Suppress"] == "All", where
        assert msg["X-Loop"] == DESK, where
        assert str(msg["References"]).split()[0] == f"<pd-{number}@ic.iem.gov.lv>", where
        body = _text(msg)
        read_as_a_person(body, where)
        assert body.split("\n")[0].startswith(FIRST_LINES[kind].format(n=number)), f"{where}: {body[:200]}"
        if kind != "desk_notice":
            assert "[PD " not in body          # the number is said in words, the tag lives in the subject
        threads.setdefault((number, tuple(env.rcpt_tos)), []).append(msg)

    # per recipient and request: the first message is the root, each later one replies to the one before
    for (number, rcpt), msgs in threads.items():
        assert msgs[0]["In-Reply-To"] is None, (number, rcpt)
        assert str(msgs[0]["References"]) == f"<pd-{number}@ic.iem.gov.lv>"
        for before, msg in zip(msgs, msgs[1:]):
            refs = str(msg["References"]).split()
            assert str(msg["In-Reply-To"]) == str(before["Message-ID"])
            assert refs[:2] == [f"<pd-{number}@ic.iem.gov.lv>", str(msgs[0]["Message-ID"])]
            assert refs[-1] == str(before["Message-ID"]) and len(refs) <= 3
    requester = threads[(n, ("janis.berzins@vp.gov.lv",))]
    assert len(requester) == 4                        # forwarded, delay, resolved, closed: one conversation
    # the manager of level 1 got two escalations of n (not accepted, then overdue): one thread
    assert len(threads[(n, ("gunta.silina@ic.iem.gov.lv",))]) == 2

    bodies = {(row["request"], row["kind"]): _text(got[mid][1]) for mid, row in sorted(
        queued.items(), key=lambda x: x[1]["id"])}
    expert = bodies[(n, "assigned_expert")]
    assert "Reaģēšanas termiņš: 04.01.2027 10:00" in expert and "Izskatīšanas termiņš: 05.01.2027 10:00" in expert
    assert "Tālrunis: +371 26123456" in expert and "Darba vieta: Čiekurkalna 1. līnija 1, Rīga, telpa 214" in expert
    assert "https://intranet.vp.gov.lv/ikt/pieklude/bloketie-konti-un-ka-tos-atbloket-2026.html" in expert
    resolved = bodies[(n, "resolved_user")]
    assert "Iebildumu termiņš: 10.01.2027 13:00 (5 dienas pēc izpildes)" in resolved
    assert "120h" not in resolved
    delay = bodies[(n, "delay_user")]
    assert "Plānotais izpildes termiņš: 08.01.2027" in delay and "izskatīšanai paredzētajā" not in delay
    refused = bodies[(m, "refused_user")]
    assert "Kontaktpersonas:\n  Guntis Āboliņš, tālr. +371 67075212" in refused
    notice = bodies[(k, "desk_notice")]
    assert "pieteicējam Jānim Bērziņam pa tālruni +371 26123456" in notice and "refused_user" not in notice
    assert "Nenosūtītās vēstules teksts:\n  Labdien! Jūsu pieteikums Nr." in notice
    assert "Pakalpojums: Attālināta piekļuve (VPN)\n" in bodies[(k, "assigned_expert")]

    manager_mails = sorted((row["id"], _text(got[mid][1])) for mid, row in queued.items()
                           if row["kind"] == "escalation_manager")
    level2 = manager_mails[-1][1]
    flat = " ".join(level2.split())
    assert "(2. līmenis)" in level2.split("\n")[0]
    assert "Jums kā eksperta tiešā vadītāja vadītājam." in flat
    assert "tika eskalēts vadītājai Guntai Siliņai" in flat
    history = level2.split("Izskatīšanas gaita:\n", 1)[1].split("\n\n", 1)[0].split("\n")
    stamped = [line for line in history if not line.startswith(" ")]
    assert stamped[0] == "04.01.2027 08:30 — pieteikums reģistrēts pa tālruni (Anna Bērziņa)"
    assert stamped[1] == "04.01.2027 08:30 — nodots ekspertei Elīnai Zariņai"
    assert all(re.match(r"\d\d\.\d\d\.\d{4} \d\d:\d\d — \S", line) for line in stamped)
    assert all(len(line) <= 76 for line in history)


def test_an_expert_who_joins_later_gets_a_root_of_their_own(pd, clock):
    clock.set("2027-01-04T08:30")
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins", "--respond-by", RESPOND_BY, "--resolve-by", RESOLVE_BY)
    pd.ok("assign", n, "--expert", "lkalnina", "--reason", "Aizvieto atvaļinājuma laikā")
    rows = sorted(pd.ok("mail", "list", "--json").json(), key=lambda x: x["id"])
    joined, taken = rows[-2], rows[-1]
    assert joined["recipients"] == ["laura.kalnina@ic.iem.gov.lv"]
    # the expert it was taken from is told so, and to whom, in the right case (SPEC 15)
    assert (taken["kind"], taken["recipients"]) == ("taken_expert", ["janis.berzins@ic.iem.gov.lv"])
    told = pd.ok("mail", "show", str(taken["id"]), "--json").json()["body"]
    assert told.startswith(f"Labdien! Pieteikums Nr. {n} vairs nav nodots Jums.\n"
                           "Pakalpojumu dienests to nodeva ekspertei Laurai Kalniņai.")
    assert "Iemesls: Aizvieto atvaļinājuma laikā" in told
    body = pd.ok("mail", "show", str(joined["id"]), "--json").json()["body"]
    assert body.startswith(f"Labdien! Jums nodots izskatīšanai pieteikums Nr. {n}.")
    assert "Piezīme: Aizvieto atvaļinājuma laikā" in body
    from pd.db.models import OutboxMessage

    msg = OutboxMessage.get(OutboxMessage.id == joined["id"])
    assert msg.in_reply_to is None and msg.references == f"<pd-{n}@ic.iem.gov.lv>"
    assert len({r["subject"] for r in rows}) == 1


def test_the_subject_stays_the_requests_when_a_deployment_template_says_otherwise(pd, tmp_path, monkeypatch):
    (tmp_path / "tpl" / "lv").mkdir(parents=True)
    (tmp_path / "tpl" / "lv" / "resolved_user.txt").write_text(
        "Subject: [PD $number] Izpildīts!\n\nLabdien! Pieteikums Nr. $number ir izpildīts: $result\n",
        encoding="utf-8")
    monkeypatch.setenv("PD_TEMPLATES_DIR", str(tmp_path / "tpl"))
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, user="jberzins")
    pd.ok("resolve", n, "--result", "Atbloķēts", user="jberzins")
    rows = sorted(pd.ok("mail", "list", "--json").json(), key=lambda x: x["id"])
    assert {r["subject"] for r in rows} == {f"[PD {n}] Neienāk e-pasts kopš rīta"}
    body = pd.ok("mail", "show", str(rows[-1]["id"]), "--json").json()["body"]
    assert body == f"Labdien! Pieteikums Nr. {n} ir izpildīts: Atbloķēts\n"


def test_close_auto_says_the_objection_time_in_words(pd, clock):
    clock.set("2027-01-04T09:00")
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, user="jberzins")
    pd.ok("resolve", n, "--result", "Atbloķēts", user="jberzins")
    clock.set("2027-01-09T09:01")
    out = pd.ok("close", "--auto", user="system").stdout
    assert out == f"Pieteikums {n} slēgts: 5 dienas nebija iebildumu.\n"
