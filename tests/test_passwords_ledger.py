"""Passwords are never stored [§6.7, SPEC 3]: the guard through the CLI, for every free-text field,
and the raw bytes of the ledger (SQLite file and its WAL) after --redact."""
from __future__ import annotations

import re

import pytest

try:  # the phrasings the guard's own tests flag
    from tests.test_guard import DISCLOSED, DISCLOSED_PIN

    PHRASINGS = list(DISCLOSED) + list(DISCLOSED_PIN)
except ImportError:  # pragma: no cover - the guard's tests renamed their lists
    PHRASINGS = [
        ("parole: Vasara2024", "Vasara2024"), ("Parole ir Saule123", "Saule123"),
        ("mana parole ir kaķis", "kaķis"), ("paroli: qwerty", "qwerty"), ("password=hunter2", "hunter2"),
        ("password is letmein", "letmein"), ("pwd=abc123", "abc123"), ("pw: abc123", "abc123"),
        ("PIN kods 1234", "1234"), ("PIN-kods ir 1234", "1234"), ("PUK: 12345678", "12345678"),
    ]

BASE = ["--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS", "--channel", "phone",
        "--email", "janis.berzins@vp.gov.lv"]


def show(pd, n):
    return pd.ok("show", n, "--json").json()


def ledger_bytes(pd_env) -> bytes:
    """Every byte the ledger holds now (SQLite: the file and its WAL; PostgreSQL: every row)."""
    from tests.conftest import RawDB

    return RawDB(pd_env["PD_DATABASE_URL"]).dump()


def distinctive(secret: str) -> bool:
    """A secret long and odd enough that finding its bytes in the file cannot be chance
    (hex hashes, timestamps and the genesis hash are full of short digit and hex runs)."""
    core = secret.strip(",.;:!?'\"")
    return len(core) >= 5 and not re.fullmatch(r"[0-9a-fA-F]+", core)


@pytest.fixture
def two(pd):
    """Request A is assigned to jberzins, request B is in progress with him."""
    a = pd.register()
    pd.ok("assign", a, "--expert", "jberzins")
    b = pd.register()
    pd.ok("assign", b, "--expert", "jberzins")
    pd.ok("accept", b, user="jberzins")
    return a, b


# field -> the command that takes it (A assigned, B in progress)
FIELDS = {
    "description": lambda a, b, t: ["register", *BASE, "--description", t],
    "reason": lambda a, b, t: ["reject", a, "--reason", t],
    "note": lambda a, b, t: ["note", b, "--text", t],
    "result": lambda a, b, t: ["resolve", b, "--result", t],
    "question": lambda a, b, t: ["wait", a, "--question", t],
}
# more places a person types free text; one phrasing each is enough
MORE_FIELDS = {
    "reassign --reason": lambda a, b, t: ["assign", a, "--expert", "lkalnina", "--reason", t],
    "note --delay-reason": lambda a, b, t: ["note", b, "--text", "Kavējas", "--delay-reason", t, "--planned", "2099-01-01"],
    "out-of-scope --reason": lambda a, b, t: ["register", *BASE, "--description", "Ārpus kompetences",
                                              "--out-of-scope", "--reason", t],
}


@pytest.mark.parametrize("field", list(FIELDS))
def test_every_phrasing_is_refused_in_every_field(pd, two, field):
    a, b = two
    count_before = len(pd.ok("list", "--json").json())
    events_before = pd.ok("audit", "verify", "--json").json()["events"]
    problems = []
    for text, secret in PHRASINGS:
        r = pd(*FIELDS[field](a, b, text), user="jberzins" if field != "description" else None)
        if r.exit_code != 3:
            problems.append(f"{text!r}: exit {r.exit_code} {r.stderr.strip()}")
        elif secret.strip(",") in r.stderr or secret.strip(",") in r.stdout:
            problems.append(f"{text!r}: the secret is in the output: {r.stderr.strip()}")
        elif "--redact" not in r.stderr or "Traceback" in r.stderr:
            problems.append(f"{text!r}: the message does not say how to go on: {r.stderr.strip()}")
    assert not problems, "\n".join(problems)
    # nothing was written
    assert len(pd.ok("list", "--json").json()) == count_before
    assert pd.ok("audit", "verify", "--json").json()["events"] == events_before
    assert (show(pd, a)["status"], show(pd, b)["status"]) == ("assigned", "in_progress")


@pytest.mark.parametrize("field", list(MORE_FIELDS))
def test_other_free_texts_are_guarded_too(pd, two, field):
    a, b = two
    r = pd(*MORE_FIELDS[field](a, b, "Lietotāja parole: Kartupelis#77"))
    assert r.exit_code == 3 and "Kartupelis" not in r.stderr
    assert (show(pd, a)["status"], show(pd, b)["status"]) == ("assigned", "in_progress")


def test_the_refusal_leaves_no_trace_in_the_ledger_file(pd, pd_env, two):
    a, b = two
    secret = "Ķirbis#7731zx"
    for field, build in {**FIELDS, **MORE_FIELDS}.items():
        r = pd(*build(a, b, f"parole: {secret}"), user="jberzins" if field in ("reason", "note", "result", "question") else None)
        assert r.exit_code == 3, field
    assert secret.encode("utf-8") not in ledger_bytes(pd_env)


def test_every_phrasing_is_redacted_in_the_description(pd, pd_env):
    from pd.guard import redact

    baseline = ledger_bytes(pd_env)
    numbers = []
    for text, secret in PHRASINGS:
        r = pd("register", *BASE, "--description", f"Lietotājs zvanīja. {text}", "--redact", "--json")
        assert r.exit_code == 0, (text, r.stderr)
        assert secret.strip(",") not in r.stderr
        d = r.json()
        numbers.append(d["number"])
        assert "[REDACTED]" in d["description"], text
        assert d["description"] == redact(f"Lietotājs zvanīja. {text}")
        if distinctive(secret):
            assert secret not in d["description"], text
    # the user is told about each (forwarded_user carries the description)
    for n in numbers:
        pd.ok("assign", n, "--expert", "jberzins")
    raw = ledger_bytes(pd_env)
    leaked = [s for _, s in PHRASINGS if distinctive(s) and s.encode() not in baseline and s.encode() in raw]
    assert not leaked


@pytest.mark.parametrize("field", list(FIELDS))
def test_redact_in_each_field_stores_redacted_and_no_secret_bytes(pd, pd_env, two, field):
    a, b = two
    secret = "Zaķis2024!Qx"
    text = f"Lietotājs teica, ka parole: {secret} (lūdzu nepierakstīt)"
    r = pd(*FIELDS[field](a, b, text), "--redact", "--json", user="jberzins" if field != "description" else None)
    assert r.exit_code == 0, r.stderr
    assert secret not in r.stderr and secret not in r.stdout
    d = r.json()
    n = d["number"]
    stored = {
        "description": lambda: show(pd, n)["description"],
        "reason": lambda: [e for e in show(pd, a)["events"] if e["kind"] == "rejected"][0]["data"]["reason"],
        "note": lambda: show(pd, b)["events"][-1]["data"]["text"],
        "result": lambda: show(pd, b)["result"],
        "question": lambda: [e for e in show(pd, a)["events"] if e["kind"] == "waiting"][0]["data"]["question"],
    }[field]()
    assert stored == "Lietotājs teica, ka parole: [REDACTED] (lūdzu nepierakstīt)"
    # and the whole history, as shown, has no trace of it
    assert secret not in pd.ok("show", a, "--json").stdout + pd.ok("show", b, "--json").stdout
    raw = ledger_bytes(pd_env)
    assert b"[REDACTED]" in raw
    assert secret.encode("utf-8") not in raw
    assert "Zaķis2024".encode("utf-8") not in raw


def test_redacted_mail_to_the_user_has_no_secret(pd, pd_env):
    """The resolution e-mail carries the result: it is written to the outbox already redacted."""
    n = pd.register(service="PAROLE", description="Konts bloķēts")
    r = pd("resolve", n, "--result", "Konts atbloķēts, pagaidu parole: Vējš-Rīga-4711", "--redact")
    assert r.exit_code == 0, r.stderr
    assert show(pd, n)["result"] == "Konts atbloķēts, pagaidu parole: [REDACTED]"
    assert "Vējš-Rīga-4711".encode("utf-8") not in ledger_bytes(pd_env)


def test_ordinary_desk_text_about_passwords_is_accepted(pd):
    try:
        from tests.test_guard import DESK_SENTENCES
    except ImportError:  # pragma: no cover
        DESK_SENTENCES = ["aizmirsu paroli", "Lietotājs aizmirsa paroli, lūdzu atiestatīt.", "Parole nedarbojas"]
    for text in DESK_SENTENCES[:12]:
        r = pd("register", *BASE, "--description", text, "--json")
        assert r.exit_code == 0, (text, r.stderr)
        assert r.json()["description"] == text.strip()
