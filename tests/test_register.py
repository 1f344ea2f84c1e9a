"""Registering a request (SPEC 3) and who may do what (SPEC 9)."""
from __future__ import annotations

import json

import pytest

FULL = ["--name", "Līga Ērgle", "--institution", "vugd", "--unit", "Informācijas tehnoloģiju nodaļa",
        "--position", "Vecākā referente", "--phone", "+371 6707 5866", "--email", "Liga.Ergle@VUGD.gov.lv",
        "--location", "Maskavas iela 5, Rīga", "--room", "214", "--username", "lergle",
        "--service", "dators", "--description", "Monitors nerāda attēlu", "--channel", "Fax",
        "--received-at", "12.03.2026 09:15"]


def show(pd, n, **kw):
    return pd.ok("show", n, "--json", **kw).json()


def process_events(d):
    return [e for e in d["events"] if not e["kind"].startswith("mail")]


def count(pd) -> int:
    return len(pd.ok("list", "--json").json())


# ---------------------------------------------------------------- what is stored
def test_every_field_is_stored_normalised(pd):
    d = pd.ok("register", *FULL, "--json").json()
    assert d["number"] == "2026-000001"
    assert d["status"] == "registered"
    assert d["requester"] == {
        "name": "Līga Ērgle", "institution": "VUGD", "unit": "Informācijas tehnoloģiju nodaļa",
        "position": "Vecākā referente", "phone": "+37167075866", "email": "Liga.Ergle@vugd.gov.lv",
        "location": "Maskavas iela 5, Rīga", "room": "214", "username": "lergle",
    }
    assert (d["service"], d["channel"], d["urgent"]) == ("DATORS", "fax", False)
    assert d["description"] == "Monitors nerāda attēlu"
    assert d["received_at"] == "2026-03-12T09:15:00+02:00"
    assert d["catalog_version"] == "2026.2"
    assert show(pd, d["number"]) | {"events": None} == d | {"events": None}


@pytest.mark.parametrize("phone, stored", [
    ("26123456", "+37126123456"), ("+371 2612 3456", "+37126123456"), ("00371 67219000", "+37167219000"),
    ("6721-9000", "+37167219000"), ("(+371) 29 111 001", "+37129111001"),
])
def test_phone_is_stored_as_plus_371(pd, phone, stored):
    n = pd.register(phone=phone)
    assert show(pd, n)["requester"]["phone"] == stored


def test_urgent_flag_and_received_at_default_now(pd):
    d = pd.ok("register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
              "--description", "Nestrādā", "--channel", "phone", "--urgent", "--json").json()
    assert d["urgent"] is True
    assert d["received_at"] is not None and d["received_at"][-6:] in ("+02:00", "+03:00")


def test_the_number_follows_the_year_in_riga(pd):
    # 23:30 UTC on 31 December is already 1 January in Riga
    d = pd.ok("register", "--name", "A B", "--institution", "VP", "--service", "EPASTS", "--description", "x",
              "--channel", "phone", "--received-at", "2025-12-31T22:30:00Z", "--json").json()
    assert d["number"] == "2026-000001" and d["received_at"] == "2026-01-01T00:30:00+02:00"
    d = pd.ok("register", "--name", "A B", "--institution", "VP", "--service", "EPASTS", "--description", "x",
              "--channel", "phone", "--received-at", "31.12.2025 23:59", "--json").json()
    assert d["number"] == "2025-000001"
    assert pd.register(received_at="2026-02-01T10:00") == "2026-000002"
    assert pd.register(received_at="2025-06-01T10:00") == "2025-000002"


def test_received_at_in_the_future_is_refused(pd):
    r = pd("register", "--name", "A B", "--institution", "VP", "--service", "EPASTS", "--description", "x",
           "--channel", "phone", "--received-at", "2099-01-01T10:00")
    assert r.exit_code == 3 and "--received-at ir nākotnē" in r.stderr
    assert count(pd) == 0


# ---------------------------------------------------------------- missing fields (not a terminal: exit 3)
def test_missing_fields_are_listed_and_nothing_is_registered(pd):
    r = pd("register", "--name", "Jānis Bērziņš", "--channel", "phone")
    assert r.exit_code == 3
    for name in ("--institution", "--service", "--description"):
        assert name in r.stderr
    assert "--name" not in r.stderr and "--channel" not in r.stderr
    assert "Traceback" not in r.stderr
    assert count(pd) == 0


def test_nothing_given_lists_every_required_field(pd):
    r = pd("register", input="")
    assert r.exit_code == 3
    for name in ("--name", "--institution", "--service", "--description", "--channel"):
        assert name in r.stderr


@pytest.mark.parametrize("service", ["DATORS", "PRINTERIS", "INTERNETS"])
def test_needs_location_requires_location_and_room(pd, service):
    r = pd("register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", service,
           "--description", "Nestrādā", "--channel", "phone")
    assert r.exit_code == 3
    assert "--location" in r.stderr and "--room" in r.stderr
    r = pd("register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", service,
           "--description", "Nestrādā", "--channel", "phone", "--location", "Čiekurkalna 1. līnija 1")
    assert r.exit_code == 3 and "--room" in r.stderr and "--location" not in r.stderr
    assert count(pd) == 0
    n = pd.register(service=service, location="Čiekurkalna 1. līnija 1", room="7")
    assert show(pd, n)["requester"]["room"] == "7"


def test_a_service_without_needs_location_needs_no_location(pd):
    n = pd.register(service="EPASTS")
    d = show(pd, n)
    assert (d["requester"]["location"], d["requester"]["room"]) == ("", "")


# ---------------------------------------------------------------- who may do what (SPEC 9)
@pytest.mark.parametrize("args", [
    ["list"], ["show", "2026-000001"], ["assign", "2026-000001", "--expert", "jberzins"],
    ["accept", "2026-000001"], ["close", "2026-000001"],
])
def test_an_unknown_person_exits_6(pd, args):
    n = pd.register()
    assert n == "2026-000001"
    r = pd(*args, user="kāds.svešinieks")
    assert r.exit_code == 6
    assert "kāds.svešinieks" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert show(pd, n)["status"] == "registered"


def test_an_unknown_person_cannot_register(pd):
    r = pd("register", "--name", "A B", "--institution", "VP", "--service", "EPASTS", "--description", "x",
           "--channel", "phone", user="hakeris")
    assert r.exit_code == 6
    assert count(pd) == 0


def test_without_pd_user_the_login_name_is_the_actor(pd):
    n = pd.register()
    r = pd("show", n, "--json", env={"PD_USER": None, "LOGNAME": "operators2", "USER": "operators2",
                                     "LNAME": None, "USERNAME": None})
    assert r.exit_code == 0
    r = pd("show", n, env={"PD_USER": None, "LOGNAME": "root-nav-darbinieks", "USER": "root-nav-darbinieks",
                           "LNAME": None, "USERNAME": None})
    assert r.exit_code == 6 and "root-nav-darbinieks" in r.stderr


NAMES = {"jberzins": "Jānis Bērziņš", "vkalejs": "Valdis Kalējs", "supervizors": "Zane Priedīte",
         "admins": "Ēriks Grīnbergs", "lkalnina": "Laura Kalniņa"}


@pytest.mark.parametrize("user", ["jberzins", "vkalejs", "supervizors", "admins"])
def test_only_the_desk_registers(pd, user):
    r = pd("register", "--name", "A B", "--institution", "VP", "--service", "EPASTS", "--description", "x",
           "--channel", "phone", user=user)
    assert r.exit_code == 6
    assert f"{NAMES[user]} nedrīkst reģistrēt pieteikumus" in r.stderr and user not in r.stderr  # by name
    assert count(pd) == 0


@pytest.mark.parametrize("user", ["jberzins", "vkalejs", "supervizors"])
def test_only_the_desk_assigns(pd, user):
    n = pd.register()
    r = pd("assign", n, "--expert", "jberzins", user=user)
    assert r.exit_code == 6
    assert show(pd, n)["status"] == "registered"


@pytest.mark.parametrize("args, state", [
    (["accept", "{n}"], "assigned"),
    (["reject", "{n}", "--reason", "Nav mans"], "assigned"),
    (["wait", "{n}", "--question", "Kur?"], "assigned"),
])
def test_another_expert_may_not_answer_for_the_assigned_one(pd, args, state):
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    for user in ("lkalnina", "vkalejs"):
        r = pd(*[a.format(n=n) for a in args], user=user)
        assert r.exit_code == 6, (user, r.stderr)
        assert f"{NAMES[user]} nedrīkst" in r.stderr and "nodots ekspertam Jānim Bērziņam" in r.stderr
    assert show(pd, n)["status"] == state


def test_another_expert_may_not_resolve(pd):
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, user="jberzins")
    assert pd("resolve", n, "--result", "x", user="lkalnina").exit_code == 6
    assert show(pd, n)["status"] == "in_progress"


def test_the_expert_acting_themselves_is_the_actor(pd):
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, user="jberzins")
    ev = process_events(show(pd, n))[-1]
    assert (ev["kind"], ev["actor"], ev["on_behalf_of"], ev["via"]) == ("accepted", "jberzins", None, "cli")


def test_an_operator_records_the_experts_answers_on_their_behalf(pd):
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, "--via", "phone")
    pd.ok("resolve", n, "--result", "Atjaunota pastkaste", "--via", "email")
    m = pd.register()
    pd.ok("assign", m, "--expert", "jberzins")
    pd.ok("reject", m, "--reason", "Nav mana joma", "--via", "phone")
    ev = {e["kind"]: e for e in process_events(show(pd, n))}
    assert (ev["accepted"]["actor"], ev["accepted"]["on_behalf_of"], ev["accepted"]["via"]) == \
        ("operators1", "jberzins", "phone")
    assert (ev["resolved"]["actor"], ev["resolved"]["on_behalf_of"], ev["resolved"]["via"]) == \
        ("operators1", "jberzins", "email")
    rej = [e for e in process_events(show(pd, m)) if e["kind"] == "rejected"][0]
    assert (rej["actor"], rej["on_behalf_of"], rej["via"]) == ("operators1", "jberzins", "phone")


def test_every_event_records_who_when_and_how(pd):
    n = pd.register(via="phone")
    pd.ok("assign", n, "--expert", "lkalnina", "--via", "email")
    pd.ok("accept", n, user="lkalnina")
    pd.ok("wait", n, "--question", "Kāda adrese?", "--via", "fax", user="lkalnina")
    pd.ok("resume", n, "--via", "other")
    pd.ok("resolve", n, "--result", "Gatavs", user="lkalnina")
    pd.ok("close", n, "--confirmed", "--via", "phone")
    events = process_events(show(pd, n))
    assert [(e["kind"], e["actor"], e["via"]) for e in events] == [
        ("registered", "operators1", "phone"),
        ("assigned", "operators1", "email"),
        ("accepted", "lkalnina", "cli"),
        ("waiting", "lkalnina", "fax"),
        ("resumed", "operators1", "other"),
        ("resolved", "lkalnina", "cli"),
        ("closed", "operators1", "phone"),
    ]
    for e in show(pd, n)["events"]:
        assert e["actor"] and e["via"] and e["at"][-6:] in ("+02:00", "+03:00")


def test_an_unknown_via_is_refused(pd):
    n = pd.register()
    r = pd("assign", n, "--expert", "jberzins", "--via", "pigeon")
    assert r.exit_code in (2, 3) and "--via" in r.stderr
    assert show(pd, n)["status"] == "registered"


def test_on_a_terminal_missing_fields_are_prompted_for(pd, pd_env):
    """A real process whose stdin is a terminal asks for what is missing, location and room included."""
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env.update(pd_env)
    master, slave = os.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-m", "pd", "register", "--name", "Jānis Bērziņš", "--institution", "VP",
                              "--json"],
                             stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        os.close(slave)
        os.write(master, "26123456\njanis@vp.gov.lv\nDATORS\nBrīvības iela 61\n214\nMonitors nerāda attēlu\nphone\nn\n"
                 .encode("utf-8"))
        out, err = p.communicate(timeout=60)
    finally:
        os.close(master)
    assert p.returncode == 0, err.decode("utf-8")
    for prompt in ("Tālrunis", "E-pasts", "Pakalpojums", "Apraksts", "Saņemšanas veids", "Adrese", "Telpa"):
        assert prompt in err.decode("utf-8")
    assert json.loads(out.decode("utf-8"))["number"] == "2026-000001"  # prompts never mix into --json
    d = show(pd, "2026-000001")
    assert (d["service"], d["description"], d["channel"]) == ("DATORS", "Monitors nerāda attēlu", "phone")
    assert (d["requester"]["location"], d["requester"]["room"]) == ("Brīvības iela 61", "214")


def test_like_copies_the_requesters_fields_and_options_override_them(pd):
    first = pd.register(name="Līga Ozola", institution="PMLP", phone="20001111", email="liga.ozola@pmlp.gov.lv",
                        unit="Vīzu nodaļa", position="inspektore", username="lozola")
    r = pd.ok("register", "--like", first, "--service", "VPN", "--description", "VPN nestrādā", "--channel", "phone",
              "--position", "vecākā inspektore", "--json").json()
    assert r["number"] != first and r["service"] == "VPN"
    assert r["requester"] == {"name": "Līga Ozola", "institution": "PMLP", "unit": "Vīzu nodaļa",
                              "position": "vecākā inspektore", "phone": "+37120001111",
                              "email": "liga.ozola@pmlp.gov.lv", "location": "", "room": "", "username": "lozola"}
    missing = pd("register", "--like", "2026-000999", "--service", "VPN", "--description", "x", "--channel", "fax")
    assert missing.exit_code == 4 and "2026-000999" in missing.stderr


def test_register_tells_the_deadlines_to_give_the_caller(pd, clock):
    clock.set("2026-12-04T16:00")  # a Friday afternoon: EPASTS responds in 2 working hours
    r = pd.ok("register", "--name", "A B", "--institution", "VP", "--service", "EPASTS", "--description", "x y",
              "--channel", "phone", "--email", "a@vp.gov.lv", env={"PD_LANG": "en"})
    assert r.stdout.splitlines()[1] == "Tell the caller: response by 07.12.2026 09:30, resolution by 08.12.2026 16:00 (Riga time)"
