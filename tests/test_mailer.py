"""pd.notify: templates, composing, SMTP and directory delivery, back-off."""
from __future__ import annotations

import email
import email.policy
import re
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pd.errors import ConfigError, ExitCode, InvalidInput, TemporaryFailure
from pd.notify import compose as composing
from pd.notify import render as rendering
from pd.notify import threads, transport
from pd.notify.compose import compose
from pd.notify.render import KINDS, VARIABLES, render
from pd.notify.threads import new_message_id, thread_root_id
from pd.notify.transport import DirTransport, PermanentMailError, SmtpTransport, parse_smtp_url, transport_from_env
from tests.smtp_fixture import free_port  # the fixtures come from conftest's plugin

NUMBER = "2026-000123"
DOMAIN = "ic.iem.gov.lv"
SENDER = "Pakalpojumu dienests <pd@ic.iem.gov.lv>"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

FULL_CONTEXT = {
    "number": NUMBER,
    "title": "Ģērbtuves printeris nedrukā",
    "urgent_word": "steidzams ",
    "service_code": "HW-PRINT",
    "service_full": "Printera darbības traucējumi (HW-PRINT)",
    "service_name": "Printera darbības traucējumi",
    "description": "Ģērbtuves printeris nedrukā; displejā kļūda E-42.\nLūdzu, pārbaudiet.",
    "status_label": "nodots ekspertam",
    "desk_name": "Iekšlietu ministrijas Informācijas centra Pakalpojumu dienests",
    "desk_email": "pd@ic.iem.gov.lv",
    "desk_phone": "+37167219111",
    "requester_name": "Līga Ozoliņa",
    "expert_name": "Jānis Bērziņš",
    "urgent_marker": "STEIDZAMI: ",
    "requester_institution": "Valsts policija",
    "requester_unit": "Rīgas reģiona pārvalde",
    "requester_position": "vecākā inspektore",
    "requester_phone": "+37120000000",
    "requester_email": "liga.ozolina@vp.gov.lv",
    "location": "Čiekurkalna 1. līnija 1, Rīga",
    "room": "214",
    "room_text": "telpa 214",
    "workplace": "Čiekurkalna 1. līnija 1, Rīga, telpa 214",
    "username": "lozolina",
    "received_at": "05.10.2026 09:15",
    "response_due": "05.10.2026 11:15",
    "resolution_due": "07.10.2026 09:15",
    "note": "Nodots atkārtoti: iepriekšējais eksperts atvaļinājumā.",
    "planned_date": "12.10.2026",
    "delay_reason": "Gaidām rezerves daļas piegādi.",
    "result": "Nomainīts tonera kasetnes čips; printeris drukā.",
    "close_after": "5 dienas",
    "close_by": "12.10.2026 09:15",
    "ict_contact_heading": "Kontaktpersona:",
    "role": "eksperta tiešajam vadītājam",
    "earlier": "",
    "what": "paziņojums pieteicējam par pieteikuma izpildi",
    "todo": "Lūdzu, pastāstiet to pieteicējam pa tālruni +371 20000000.",
    "reason": "Iestādes iekšējā tīkla printeri apkalpo iestāde pati.",
    "ict_contact": "Andris Kalniņš, IT nodaļa\ntālr. +37167000000, andris.kalnins@vp.gov.lv",
    "manager_name": "Dace Liepiņa",
    "reason_label": "eksperts noteiktajā termiņā nav apstiprinājis pieteikuma pieņemšanu",
    "history": "05.10.2026 09:15 reģistrēts (operators A. Egle)\n05.10.2026 09:20 nodots ekspertam J. Bērziņš",
    "level": "1",
    "institution_name": "Valsts policija",
    "month": "2026. gada oktobris",
    "summary": "Reģistrēti: 42\nIzpildīti termiņā: 39\nEskalēti: 2",
    "anchor": "1234:" + "ab" * 32,
    "details": "Lietotājam nav norādīta e-pasta adrese.",
    "closed_why": "Jūs apstiprinājāt, ka pieteikums ir izpildīts.",
    "question": "Kurā telpā atrodas printeris?",
    "answer": "Telpa 214.",
    "answer_via": "pa e-pastu",
    "to_new_expert": "ekspertei Laurai Kalniņai",
    "objection": "Joprojām nedrukā.",
    "previous_result": "Nomainīta kasetne.",
    "deadline_word": "izskatīšanas termiņš",
    "deadline": "07.10.2026 09:15",
    "time_left": "3 darba stundas",
    "outcome": "Pieteikums pieņemts izskatīšanai.",
    "detail": "Pieteikuma statuss: pieņemts izskatīšanai",
}


# --------------------------------------------------------------------------
# render()
# --------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["lv", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders_with_a_full_context(kind, lang):
    subject, body = render(kind, lang, FULL_CONTEXT)
    assert subject and "\n" not in subject
    if kind.startswith("monthly_report"):
        tag = "[PD pārskats 2026. gada oktobris]" if lang == "lv" else "[PD report 2026. gada oktobris]"
        assert tag in subject
    else:
        assert f"[PD {NUMBER}]" in subject
    assert body.endswith("\n") and not body.endswith("\n\n")
    # the template uses only variables the kind documents, each one shows, no placeholder is left
    text = subject + "\n" + body
    template = rendering.template_text(kind, lang)[1]
    used = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", template))
    assert used <= VARIABLES[kind], f"{lang}/{kind}: undocumented {used - VARIABLES[kind]}"
    flat = " ".join(text.split())
    for name in used:
        value = " ".join(FULL_CONTEXT[name].split())
        assert value in flat, f"{lang}/{kind}: ${name} not shown"
    assert not re.search(r"\$\{?[A-Za-z_]", text)


@pytest.mark.parametrize("kind", KINDS)
def test_latvian_templates_are_latvian(kind):
    subject, body = render(kind, "lv", FULL_CONTEXT)
    assert "Pakalpojumu dienest" in body
    assert re.search("[āčēģīķļņšūž]", subject + body)


def test_urgent_marker_follows_the_tag_and_the_title_is_the_subject():
    subject, _ = render("assigned_expert", "lv", FULL_CONTEXT)
    assert subject == f"[PD {NUMBER}] STEIDZAMI: Ģērbtuves printeris nedrukā"
    subject, _ = render("assigned_expert", "lv", {**FULL_CONTEXT, "urgent_marker": ""})
    assert subject == f"[PD {NUMBER}] Ģērbtuves printeris nedrukā"


def test_empty_optional_fields_leave_no_dangling_labels():
    ctx = {**FULL_CONTEXT, "note": "", "room": "", "location": "", "username": None}
    _, body = render("assigned_expert", "lv", ctx)
    assert "Piezīme:" not in body
    assert "Telpas numurs:" not in body
    assert "Darba vietas adrese:" not in body
    assert "Lietotājvārds" not in body
    assert "Amats: vecākā inspektore" in body
    assert "\n\n\n" not in body
    _, body = render("refused_user", "lv", {**FULL_CONTEXT, "ict_contact": "", "ict_contact_heading": ""})
    assert "Kontaktpersona" not in body


def test_multiline_values_are_kept_and_subject_is_one_line():
    ctx = {**FULL_CONTEXT, "service_name": "Printeris\nar  kļūdu"}
    subject, body = render("escalation_manager", "lv", ctx)
    assert "\n" not in subject and "Printeris ar kļūdu" not in body
    assert FULL_CONTEXT["history"] in body


def test_monthly_report_needs_no_number():
    ctx = {k: FULL_CONTEXT[k] for k in VARIABLES["monthly_report"]}
    subject, body = render("monthly_report", "lv", ctx)
    assert subject.startswith("[PD pārskats 2026. gada oktobris] ")
    assert "Reģistrēti: 42" in body


def test_shipped_templates_validate():
    assert rendering.validate_templates() == []


def _write(dirpath: Path, lang: str, kind: str, text: str) -> Path:
    path = dirpath / lang / f"{kind}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_deployment_templates_override_per_file(tmp_path):
    _write(tmp_path, "lv", "forwarded_user", "Subject: [PD $number] Saņemts\n\nSveiki, $requester_name!\n")
    subject, body = render("forwarded_user", "lv", FULL_CONTEXT, templates_dir=tmp_path)
    assert subject == f"[PD {NUMBER}] Saņemts"
    assert body == "Sveiki, Līga Ozoliņa!\n"
    # a kind the deployment did not copy falls back to the shipped template
    shipped = render("closed_user", "lv", FULL_CONTEXT)
    assert render("closed_user", "lv", FULL_CONTEXT, templates_dir=tmp_path) == shipped


def test_unknown_placeholder_is_a_config_error_naming_the_file(tmp_path):
    path = _write(tmp_path, "lv", "delay_user", "Subject: [PD $number] Kavējas\n\nTermiņš: $planed_date\n")
    with pytest.raises(ConfigError) as info:
        render("delay_user", "lv", FULL_CONTEXT, templates_dir=tmp_path)
    assert str(path) in str(info.value)
    assert "nezināms aizstājējs $planed_date" in str(info.value)
    assert info.value.exit_code == ExitCode.CONFIG


def test_unknown_placeholder_in_the_subject_too(tmp_path):
    _write(tmp_path, "en", "closed_user", "Subject: [PD $number] ${numbr}\n\nDone.\n")
    with pytest.raises(ConfigError, match=r"nezināms aizstājējs \$numbr"):
        render("closed_user", "en", FULL_CONTEXT, templates_dir=tmp_path)


def test_context_missing_a_variable_is_caught():
    ctx = dict(FULL_CONTEXT)
    del ctx["planned_date"]
    with pytest.raises(ConfigError, match=r"lv/delay_user: nezināms aizstājējs \$planned_date"):
        render("delay_user", "lv", ctx)


@pytest.mark.parametrize(
    "text, message",
    [
        ("Temats: x\n\nbody\n", "1. rindai jābūt 'Subject: ...'"),
        ("Subject: [PD $number] x\nbody\n", "2. rindai jābūt tukšai"),
        ("Subject: Bez numura\n\nbody\n", "temata rindā jābūt atzīmei [PD $number]"),
        ("Subject: [PD $number] x\n\nTermiņš: ${planned_date\n", "nepabeigts"),
        ("Subject:   \n\nbody\n", "temats ir tukšs"),
    ],
)
def test_malformed_templates(tmp_path, text, message):
    path = _write(tmp_path, "lv", "delay_user", text)
    with pytest.raises(ConfigError) as info:
        render("delay_user", "lv", FULL_CONTEXT, templates_dir=tmp_path)
    assert str(path) in str(info.value) and message in str(info.value)


def test_dollar_signs_are_text(tmp_path):
    _write(tmp_path, "lv", "closed_user", "Subject: [PD $number] Cena $$5\n\nMaksā 5 $ vai $$10, $1 un ${number}.\n")
    subject, body = render("closed_user", "lv", FULL_CONTEXT, templates_dir=tmp_path)
    assert subject == f"[PD {NUMBER}] Cena $5"
    assert body == f"Maksā 5 $ vai $10, $1 un {NUMBER}.\n"


def test_values_are_not_reinterpreted():
    _, body = render("closed_user", "en", {**FULL_CONTEXT, "result": "Set $HOME and ${PATH}"})
    assert "Set $HOME and ${PATH}" in body


def test_template_file_with_bom_and_crlf(tmp_path):
    path = tmp_path / "lv" / "closed_user.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes("\ufeffSubject: [PD $number] Slēgts\r\n\r\nRezultāts: $result\r\n".encode("utf-8"))
    subject, body = render("closed_user", "lv", FULL_CONTEXT, templates_dir=tmp_path)
    assert subject == f"[PD {NUMBER}] Slēgts"
    assert body == f"Rezultāts: {FULL_CONTEXT['result']}\n"


def test_non_utf8_template(tmp_path):
    path = tmp_path / "lv" / "closed_user.txt"
    path.parent.mkdir(parents=True)
    path.write_bytes("Subject: [PD $number] Slēgts\n\nx\n".encode("iso-8859-13"))
    with pytest.raises(ConfigError, match="nav UTF-8 teksts"):
        render("closed_user", "lv", FULL_CONTEXT, templates_dir=tmp_path)


def test_templates_dir_must_exist(tmp_path):
    with pytest.raises(ConfigError, match="PD_TEMPLATES_DIR"):
        render("closed_user", "lv", FULL_CONTEXT, templates_dir=tmp_path / "missing")


def test_unknown_kind_or_language():
    with pytest.raises(InvalidInput):
        render("nonexistent", "lv", FULL_CONTEXT)
    with pytest.raises(InvalidInput):
        render("closed_user", "de", FULL_CONTEXT)


# --------------------------------------------------------------------------
# Message-IDs and compose()
# --------------------------------------------------------------------------


def test_thread_root_is_stable_and_message_ids_unique():
    assert thread_root_id(NUMBER, DOMAIN) == f"<pd-{NUMBER}@{DOMAIN}>"
    assert thread_root_id(NUMBER, DOMAIN) == thread_root_id(NUMBER, DOMAIN)
    ids = {new_message_id(NUMBER, DOMAIN) for _ in range(100)}
    assert len(ids) == 100
    for mid in ids:
        assert re.fullmatch(rf"<pd-{NUMBER}\.[0-9a-f]{{32}}@{re.escape(DOMAIN)}>", mid)
    assert re.fullmatch(rf"<pd\.[0-9a-f]{{32}}@{re.escape(DOMAIN)}>", new_message_id(None, DOMAIN))
    assert threads.domain_of(SENDER) == DOMAIN


def _text(part) -> str:
    """The decoded text of a part; on the wire (and so after parsing) lines end in CRLF."""
    return part.get_content().replace("\r\n", "\n")


def _compose(**overrides):
    root = thread_root_id(NUMBER, DOMAIN)
    kwargs = dict(
        sender=SENDER,
        to=["Jānis Bērziņš <janis.berzins@vp.gov.lv>"],
        cc=["pd@ic.iem.gov.lv"],
        subject=f"[PD {NUMBER}] Pieteikums apstrādē – ģērbtuves printeris",
        body="Labdien!\n\nĢērbtuves printeris: ŠĶĪĒĻŅ čūska – 100% ✓\nGarā rinda " + "ā" * 120 + "\n",
        message_id=new_message_id(NUMBER, DOMAIN),
        in_reply_to=root,
        references=[root],
        date=datetime(2026, 10, 5, 9, 15, tzinfo=timezone(timedelta(hours=3))),
    )
    kwargs.update(overrides)
    return kwargs, compose(**kwargs)


def test_compose_round_trips():
    kwargs, data = _compose()
    assert isinstance(data, bytes)
    data.decode("ascii")                                   # 7-bit clean, any server takes it
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998

    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["Subject"] == kwargs["subject"]
    assert f"[PD {NUMBER}]" in msg["Subject"] and "ģērbtuves" in msg["Subject"]
    raw_subject = re.search(rb"^Subject:.*?(?=\r\n\S)", data, re.S | re.M).group(0)
    assert b"=?utf-8?" in raw_subject                    # RFC 2047
    assert msg["Message-ID"] == kwargs["message_id"]
    assert msg["In-Reply-To"] == f"<pd-{NUMBER}@{DOMAIN}>"
    assert msg["References"] == f"<pd-{NUMBER}@{DOMAIN}>"
    assert msg["To"].addresses[0].display_name == "Jānis Bērziņš"
    assert msg["To"].addresses[0].addr_spec == "janis.berzins@vp.gov.lv"
    assert msg["From"].addresses[0].display_name == "Pakalpojumu dienests"
    assert msg["Cc"].addresses[0].addr_spec == "pd@ic.iem.gov.lv"
    assert msg["Date"].datetime == kwargs["date"]
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert _text(msg) == kwargs["body"]
    # exactly the text, in the canonical CRLF form of a message on the wire
    assert msg.get_payload(decode=True) == kwargs["body"].replace("\n", "\r\n").encode("utf-8")


def test_compose_with_an_xlsx_attachment():
    payload = bytes(range(256)) * 40
    name = "Pārskats_VP_2026. gada oktobris.xlsx"
    kwargs, data = _compose(attachments=[(name, payload, XLSX), ("kopsavilkums.csv", b"a;b\r\n1;2\r\n", "text/csv")])
    data.decode("ascii")
    assert b"filename*=utf-8''P%C4%81rskats" in data      # RFC 2231
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/mixed"
    body = msg.get_body(preferencelist=("plain",))
    assert _text(body) == kwargs["body"]
    parts = list(msg.iter_attachments())
    assert [p.get_filename() for p in parts] == [name, "kopsavilkums.csv"]
    assert parts[0].get_content_type() == XLSX
    assert parts[0].get_content() == payload
    assert parts[1].get_payload(decode=True) == b"a;b\r\n1;2\r\n"


def test_compose_threading_headers():
    root = thread_root_id(NUMBER, DOMAIN)
    previous = new_message_id(NUMBER, DOMAIN)
    _, data = _compose(in_reply_to=previous, references=[root])
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["In-Reply-To"] == previous
    assert msg["References"].split() == [root, previous]
    _, data = _compose(in_reply_to=None, references=())
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["In-Reply-To"] is None and msg["References"] is None


def test_compose_defaults_and_extras():
    _, data = _compose(date=None, cc=(), reply_to="pd@ic.iem.gov.lv", headers={"X-PD-Request": NUMBER})
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert abs(msg["Date"].datetime - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert msg["Cc"] is None
    assert msg["Reply-To"] == "pd@ic.iem.gov.lv"
    assert msg["X-PD-Request"] == NUMBER
    _, data = _compose(date=datetime(2026, 10, 5, 6, 15))           # naive = UTC
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["Date"].datetime == datetime(2026, 10, 5, 6, 15, tzinfo=timezone.utc)


def test_ascii_body_stays_readable():
    _, data = _compose(body="Hello\n", subject=f"[PD {NUMBER}] Done")
    assert b"\r\n\r\nHello\r\n" in data
    assert b"Subject: [PD 2026-000123] Done\r\n" in data


@pytest.mark.parametrize("bad", ["not-an-address", "a@b\nBcc: x@y", "", "Jānis <jānis@vp.gov.lv>"])
def test_compose_rejects_bad_addresses(bad):
    with pytest.raises(InvalidInput):
        _compose(to=[bad])


def test_compose_needs_a_recipient():
    with pytest.raises(InvalidInput):
        _compose(to=[], cc=[])


def test_envelope_of():
    _, data = _compose()
    assert composing.envelope_of(data) == ("pd@ic.iem.gov.lv", ["janis.berzins@vp.gov.lv", "pd@ic.iem.gov.lv"])


# --------------------------------------------------------------------------
# PD_SMTP_URL and transport_from_env()
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.iem.gov.lv", dict(host="mail.iem.gov.lv", port=25, implicit_tls=False, starttls=False)),
        ("smtp://mail.iem.gov.lv:2525", dict(port=2525)),
        ("smtps://mail.iem.gov.lv", dict(port=465, implicit_tls=True, starttls=False)),
        ("smtps://mail.iem.gov.lv:4650", dict(port=4650, implicit_tls=True)),
        ("smtp://mail.iem.gov.lv?starttls=1", dict(port=587, starttls=True)),
        ("smtp://mail.iem.gov.lv:587?starttls=true&timeout=10", dict(port=587, starttls=True, timeout=10.0)),
        ("smtp://mail.iem.gov.lv?starttls=0&timeout=2.5", dict(port=25, starttls=False, timeout=2.5)),
        ("smtp://pd%40ic:p%C4%81r%3Aole%2F1@mail.iem.gov.lv:587?starttls=1",
         dict(username="pd@ic", password="pār:ole/1", port=587)),
        ("SMTP://Mail.IEM.gov.lv?helo=pd.ic.iem.gov.lv", dict(host="mail.iem.gov.lv", helo="pd.ic.iem.gov.lv")),
        ("smtp://[::1]:25", dict(host="::1", port=25)),
        ("smtp://mail.iem.gov.lv", dict(username=None, password=None, timeout=30.0, helo=None)),
    ],
)
def test_parse_smtp_url(url, expected):
    config = parse_smtp_url(url)
    for key, value in expected.items():
        assert getattr(config, key) == value, key


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.iem.gov.lv",
        "mail.iem.gov.lv:25",
        "smtp://",
        "smtp://:25",
        "smtp://mail.iem.gov.lv:99999",
        "smtp://mail.iem.gov.lv:port",
        "smtp://mail.iem.gov.lv?starttls=maybe",
        "smtp://mail.iem.gov.lv?timeout=soon",
        "smtp://mail.iem.gov.lv?timeout=0",
        "smtp://mail.iem.gov.lv?tls=1",
        "smtps://mail.iem.gov.lv?starttls=1",
        "smtp://mail.iem.gov.lv/path",
        "smtp://user:Sl3pens@mail.iem.gov.lv:xx",
    ],
)
def test_malformed_smtp_url_is_config_error(url):
    with pytest.raises(ConfigError) as info:
        parse_smtp_url(url)
    assert "PD_SMTP_URL" in str(info.value)
    assert "Sl3pens" not in str(info.value)


def test_password_not_in_repr():
    transport = SmtpTransport.from_url("smtp://desk:Sl3pens@mail.iem.gov.lv:587?starttls=1")
    assert "Sl3pens" not in repr(transport) and "Sl3pens" not in repr(transport.config)
    assert "mail.iem.gov.lv:587" in repr(transport)


def test_transport_from_env(tmp_path):
    assert isinstance(transport_from_env("smtp://127.0.0.1:2525", None), SmtpTransport)
    assert isinstance(transport_from_env("smtp://127.0.0.1:2525", str(tmp_path)), SmtpTransport)
    assert isinstance(transport_from_env(None, str(tmp_path)), DirTransport)
    assert isinstance(transport_from_env("  ", str(tmp_path)), DirTransport)
    with pytest.raises(ConfigError) as info:
        transport_from_env(None, "")
    assert str(info.value) == "pasta sūtīšana nav iestatīta: norādiet PD_SMTP_URL (vai PD_MAIL_DIR, lai rakstītu .eml failus)"
    with pytest.raises(ConfigError):
        transport_from_env("ftp://x", None)


# --------------------------------------------------------------------------
# SmtpTransport against a real aiosmtpd server on loopback
# --------------------------------------------------------------------------


def _message(subject_suffix: str = "") -> bytes:
    subject, body = render("forwarded_user", "lv", FULL_CONTEXT)
    return compose(
        sender=SENDER,
        to=["Līga Ozoliņa <liga.ozolina@vp.gov.lv>"],
        subject=subject + subject_suffix,
        body=body,
        message_id=new_message_id(NUMBER, DOMAIN),
        in_reply_to=thread_root_id(NUMBER, DOMAIN),
    )


def test_smtp_delivers_and_reuses_the_connection(smtp_server):
    data = _message()
    with SmtpTransport.from_url(smtp_server.url + "?timeout=5") as transport:
        assert transport.send(SENDER, ["liga.ozolina@vp.gov.lv", "Arhīvs <arhivs@ic.iem.gov.lv>"], data) == {}
        first = transport._conn
        assert transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message(" (2)")) == {}
        assert transport._conn is first
    assert transport._conn is None
    assert len(smtp_server.envelopes) == 2
    mail_from, rcpt_tos, raw = smtp_server.envelopes[0]
    assert mail_from == "pd@ic.iem.gov.lv"
    assert rcpt_tos == ["liga.ozolina@vp.gov.lv", "arhivs@ic.iem.gov.lv"]
    msg = smtp_server.messages[0]
    assert msg["Subject"] == render("forwarded_user", "lv", FULL_CONTEXT)[0]
    assert _text(msg) == render("forwarded_user", "lv", FULL_CONTEXT)[1]
    assert msg["In-Reply-To"] == thread_root_id(NUMBER, DOMAIN)


def test_smtp_451_is_a_temporary_failure_and_a_retry_works(smtp_server):
    smtp_server.fail_next(1, 451)
    transport = SmtpTransport.from_url(smtp_server.url)
    try:
        with pytest.raises(TemporaryFailure) as info:
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
        assert info.value.exit_code == ExitCode.TEMPORARY
        message = str(info.value)
        assert f"127.0.0.1:{smtp_server.port}" in message and "451" in message and "\n" not in message
        assert smtp_server.envelopes == []
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
        assert len(smtp_server.envelopes) == 1
    finally:
        transport.close()


def test_smtp_550_is_a_permanent_failure(smtp_server):
    smtp_server.fail_next(1, 550, "5.7.1 Message rejected as spam")
    with SmtpTransport.from_url(smtp_server.url) as transport:
        with pytest.raises(PermanentMailError) as info:
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
        assert info.value.exit_code == ExitCode.INVALID_INPUT
        assert info.value.code == 550
        assert "5.7.1 Message rejected as spam" in str(info.value)
        assert "5.7.1 Message rejected as spam" in info.value.reply
        # the connection is still good for the next message
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
    assert len(smtp_server.envelopes) == 1


def test_smtp_sender_refused(smtp_server):
    smtp_server.fail_next(1, 553, stage="mail")
    with SmtpTransport.from_url(smtp_server.url) as transport:
        with pytest.raises(PermanentMailError, match="noraidīja sūtītāju pd@ic.iem.gov.lv: 553"):
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
        smtp_server.fail_next(1, 451, stage="mail")
        with pytest.raises(TemporaryFailure):
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())


def test_smtp_all_recipients_refused(smtp_server):
    smtp_server.refuse("nav.tada@vp.gov.lv")
    with SmtpTransport.from_url(smtp_server.url) as transport:
        with pytest.raises(PermanentMailError) as info:
            transport.send(SENDER, ["nav.tada@vp.gov.lv"], _message())
        assert info.value.refused == {"nav.tada@vp.gov.lv": (550, "5.1.1 No such user here")}
        assert "nav.tada@vp.gov.lv" in str(info.value)
        smtp_server.fail_next(1, 450, stage="rcpt")
        with pytest.raises(TemporaryFailure):
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
    assert smtp_server.envelopes == []


def test_smtp_partial_refusal_sends_to_the_rest(smtp_server):
    smtp_server.refuse("nav.tada@vp.gov.lv")
    with SmtpTransport.from_url(smtp_server.url) as transport:
        refused = transport.send(SENDER, ["liga.ozolina@vp.gov.lv", "nav.tada@vp.gov.lv"], _message())
        assert refused == {"nav.tada@vp.gov.lv": (550, "5.1.1 No such user here")}
        assert transport.last_refused == refused
    assert smtp_server.envelopes[0].rcpt_tos == ["liga.ozolina@vp.gov.lv"]


def test_smtp_server_down_is_a_quick_temporary_failure():
    port = free_port()
    transport = SmtpTransport.from_url(f"smtp://desk:Sl3pens@127.0.0.1:{port}?timeout=2")
    started = time.monotonic()
    with pytest.raises(TemporaryFailure) as info:
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
    assert time.monotonic() - started < 2
    assert f"127.0.0.1:{port}" in str(info.value) and "savienojums atteikts" in str(info.value)
    assert "Sl3pens" not in str(info.value)
    transport.close()


def test_smtp_server_going_down_and_coming_back(smtp_server):
    transport = SmtpTransport.from_url(smtp_server.url + "?timeout=2")
    try:
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
        smtp_server.stop()
        started = time.monotonic()
        with pytest.raises(TemporaryFailure, match=f"127.0.0.1:{smtp_server.port}"):
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
        assert time.monotonic() - started < 3
        smtp_server.start()
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
    finally:
        transport.close()
    assert len(smtp_server.envelopes) == 2


def test_smtp_reconnects_once_when_the_server_dropped_the_connection(smtp_server):
    with SmtpTransport.from_url(smtp_server.url + "?timeout=2") as transport:
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
        stale = transport._conn
        smtp_server.stop()
        smtp_server.start()
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
        assert transport._conn is not stale
    assert len(smtp_server.envelopes) == 2


def test_smtp_silent_server_times_out(silent_port):
    transport = SmtpTransport.from_url(f"smtp://127.0.0.1:{silent_port}?timeout=0.5")
    started = time.monotonic()
    with pytest.raises(TemporaryFailure, match=rf"127\.0\.0\.1:{silent_port}: 0\.5 s laikā nav atbildes"):
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
    assert time.monotonic() - started < 3
    transport.close()


def test_smtp_auth_non_ascii_password(smtp_auth_server):
    assert "%" in smtp_auth_server.url        # the password is percent-encoded in the URL
    with SmtpTransport.from_url(smtp_auth_server.url) as transport:
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
    assert smtp_auth_server.logins == ["pd-desk"]
    assert len(smtp_auth_server.envelopes) == 1
    assert smtp_auth_server.envelopes[0].login == "pd-desk"


def test_smtp_auth_ascii_password(smtp_server_factory):
    server = smtp_server_factory(username="desk", password="pl@in:pass")
    with SmtpTransport.from_url(server.url) as transport:
        transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
    assert server.logins == ["desk"] and len(server.envelopes) == 1


def test_smtp_wrong_password_is_config_error(smtp_auth_server):
    url = f"smtp://pd-desk:Nepareiza%20parole@127.0.0.1:{smtp_auth_server.port}"
    with SmtpTransport.from_url(url) as transport:
        with pytest.raises(ConfigError) as info:
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
    assert info.value.exit_code == ExitCode.CONFIG
    assert "535" in str(info.value) and "Nepareiza" not in str(info.value)
    assert smtp_auth_server.failed_logins >= 1 and smtp_auth_server.envelopes == []


def test_smtp_missing_credentials_is_config_error(smtp_auth_server):
    with SmtpTransport.from_url(smtp_auth_server.plain_url) as transport:
        with pytest.raises(ConfigError, match="prasa pieteikšanos: 530"):
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())


def test_smtp_credentials_for_a_server_without_auth(smtp_server):
    url = f"smtp://desk:x@127.0.0.1:{smtp_server.port}"
    with SmtpTransport.from_url(url) as transport:
        with pytest.raises(ConfigError, match="AUTH"):
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())


def test_smtp_starttls_not_offered_is_config_error(smtp_server):
    with SmtpTransport.from_url(smtp_server.url + "?starttls=1") as transport:
        with pytest.raises(ConfigError, match="STARTTLS"):
            transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())


def test_smtp_needs_recipients(smtp_server):
    with SmtpTransport.from_url(smtp_server.url) as transport:
        with pytest.raises(InvalidInput):
            transport.send(SENDER, [], _message())


def test_smtp_close_is_idempotent(smtp_server):
    transport = SmtpTransport.from_url(smtp_server.url)
    transport.close()
    transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())
    transport.close()
    transport.close()


def test_fixture_restarts_on_the_same_port(smtp_server):
    port = smtp_server.port
    smtp_server.stop()
    assert not smtp_server.running
    smtp_server.start()
    assert smtp_server.port == port and smtp_server.running
    assert smtp_server.url == f"smtp://127.0.0.1:{port}"


def test_error_mapping_of_dns_failures():
    import socket

    transport = SmtpTransport.from_url("smtp://mail.invalid:25")
    error = transport._error(socket.gaierror(-2, "Name or service not known"), "connect")
    assert isinstance(error, TemporaryFailure)
    assert str(error) == "pasta serveris mail.invalid:25: neizdodas atrast servera nosaukumu: Name or service not known"


# --------------------------------------------------------------------------
# DirTransport
# --------------------------------------------------------------------------


def test_dir_transport_writes_readable_eml_files(tmp_path):
    outdir = tmp_path / "outbox" / "sent"
    transport = DirTransport(outdir)
    first, second = _message(), _message(" (2)")
    assert transport.send(SENDER, ["liga.ozolina@vp.gov.lv"], first) == {}
    path1 = transport.last_path
    transport.send(SENDER, ["liga.ozolina@vp.gov.lv", "pd@ic.iem.gov.lv"], second)
    path2 = transport.last_path
    transport.close()

    files = sorted(outdir.iterdir())
    assert files == [path1, path2]                      # no temporary files left, time order
    msgid = email.message_from_bytes(first, policy=email.policy.default)["Message-ID"]
    slug = msgid.strip("<>").replace("@", "_")
    assert re.fullmatch(r"\d{8}T\d{6}\.\d{6}Z-" + re.escape(slug) + r"\.eml", path1.name)

    msg = email.message_from_bytes(path1.read_bytes(), policy=email.policy.default)
    assert msg["Message-ID"] == msgid
    assert msg["X-PD-Envelope-From"] == "pd@ic.iem.gov.lv"
    assert msg["X-PD-Envelope-To"] == "liga.ozolina@vp.gov.lv"
    assert msg["Subject"] == render("forwarded_user", "lv", FULL_CONTEXT)[0]
    assert _text(msg) == render("forwarded_user", "lv", FULL_CONTEXT)[1]
    msg2 = email.message_from_bytes(path2.read_bytes(), policy=email.policy.default)
    assert msg2["X-PD-Envelope-To"] == "liga.ozolina@vp.gov.lv, pd@ic.iem.gov.lv"


def test_dir_transport_on_a_file_is_config_error(tmp_path):
    blocker = tmp_path / "mail"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="PD_MAIL_DIR"):
        DirTransport(blocker).send(SENDER, ["liga.ozolina@vp.gov.lv"], _message())


# --------------------------------------------------------------------------
# backoff()
# --------------------------------------------------------------------------


def test_backoff():
    assert transport.backoff(0) == timedelta(0)
    assert [transport.backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert transport.backoff(9) == timedelta(minutes=256)
    assert transport.backoff(10) == timedelta(hours=6)
    assert transport.backoff(10_000) == timedelta(hours=6)
    assert transport.backoff(3, base_seconds=10, cap_seconds=30) == timedelta(seconds=30)
