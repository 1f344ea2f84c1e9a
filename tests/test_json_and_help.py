"""For scripts and people (SPEC 11, 12): the JSON of a request and its history, ISO times with the Riga
offset, Latvian text end to end (in-process and through a real process), and help on every command."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

RIGA = ZoneInfo("Europe/Riga")
SPEC_KEYS = {"number", "status", "requester", "service", "description", "channel", "urgent", "expert",
             "received_at", "response_due", "resolution_due", "planned_date", "accepted_at", "resolved_at",
             "closed_at", "result", "escalations"}
REQUESTER_KEYS = {"name", "institution", "unit", "position", "phone", "email", "location", "room", "username"}
TIME_KEYS = ("received_at", "response_due", "resolution_due", "accepted_at", "resolved_at", "closed_at")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?[+-]\d\d:\d\d$")

LATVIAN = "Āā Čč Ēē Ģģ Īī Ķķ Ļļ Ņņ Šš Ūū Žž"
NAME = "Ģirts Ņikitins-Ķēniņš"
DESCRIPTION = f"Ļoti žēl, bet čūskas ķēķī neiet e-pasts; {LATVIAN} «pēdiņas» — domuzīme"


def assert_riga_iso(value: str, what: str) -> None:
    assert isinstance(value, str) and ISO.match(value), f"{what}: {value!r} is not ISO 8601 with an offset"
    dt = datetime.fromisoformat(value)
    assert dt.utcoffset() == dt.astimezone(RIGA).utcoffset(), f"{what}: {value} is not on the Riga clock"
    assert dt.utcoffset() in (timedelta(hours=2), timedelta(hours=3))


def full_cycle(pd) -> str:
    n = pd.register(name=NAME, unit="Šķūņu ielas nodaļa", position="Vecākais inspektors", username="gnikitins",
                    description=DESCRIPTION, email="girts.nikitins@vp.gov.lv", phone="+371 2912 3456")
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("reject", n, "--reason", "Nav mans", user="jberzins")
    pd.ok("escalate", n, "--reason", "unjustified-rejection", "--note", "E-pasts ir eksperta atbildībā")
    pd.ok("assign", n, "--expert", "lkalnina")
    pd.ok("accept", n, user="lkalnina")
    pd.ok("wait", n, "--question", "Kurā datorā?", user="lkalnina")
    pd.ok("resume", n, "--answer", "Telpa 214")
    planned = (datetime.now(RIGA).date() + timedelta(days=20)).isoformat()
    pd.ok("note", n, "--text", "Jāpārbauda serveris", "--delay-reason", "Servera apkope", "--planned", planned,
          user="lkalnina")
    pd.ok("resolve", n, "--result", "Pastkaste atjaunota; ķēķis strādā", user="lkalnina")
    pd.ok("close", n, "--confirmed")
    return n


# ---------------------------------------------------------------- pd show --json
def test_show_json_after_a_whole_cycle_has_every_key(pd):
    n = full_cycle(pd)
    d = pd.ok("show", n, "--json").json()
    assert SPEC_KEYS | {"events"} <= set(d)
    assert d["number"] == n and d["status"] == "closed"
    assert isinstance(d["requester"], dict) and REQUESTER_KEYS <= set(d["requester"])
    assert d["requester"] == {"name": NAME, "institution": "VP", "unit": "Šķūņu ielas nodaļa",
                              "position": "Vecākais inspektors", "phone": "+37129123456",
                              "email": "girts.nikitins@vp.gov.lv", "location": "", "room": "",
                              "username": "gnikitins"}
    assert (d["service"], d["channel"], d["urgent"], d["expert"]) == ("EPASTS", "phone", False, "lkalnina")
    assert d["description"] == DESCRIPTION
    assert d["result"] == "Pastkaste atjaunota; ķēķis strādā"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", d["planned_date"])
    for key in TIME_KEYS:
        assert_riga_iso(d[key], key)
    assert datetime.fromisoformat(d["accepted_at"]) <= datetime.fromisoformat(d["resolved_at"]) \
        <= datetime.fromisoformat(d["closed_at"])

    assert len(d["escalations"]) == 1
    esc = d["escalations"][0]
    assert (esc["reason"], esc["manager"]) == ("unjustified_rejection", "vkalejs")
    assert_riga_iso(esc["at"], "escalation at")

    kinds = [e["kind"] for e in d["events"]]
    for k in ("registered", "assigned", "rejected", "accepted", "waiting", "resumed", "delay_reported",
              "resolved", "closed"):
        assert k in kinds
    for e in d["events"]:
        assert {"at", "kind", "actor", "via", "from", "to", "data", "on_behalf_of"} <= set(e)
        assert_riga_iso(e["at"], f"event {e['kind']}")
        assert e["actor"] and e["via"]
        assert isinstance(e["data"], dict)
    ats = [datetime.fromisoformat(e["at"]) for e in d["events"]]
    assert ats == sorted(ats)


def test_a_fresh_request_has_every_key_with_nulls(pd):
    n = pd.register()
    d = pd.ok("show", n, "--json").json()
    assert SPEC_KEYS | {"events"} <= set(d)
    for key in ("expert", "response_due", "resolution_due", "planned_date", "accepted_at", "resolved_at",
                "closed_at", "result"):
        assert d[key] is None, key
    assert d["escalations"] == []
    assert_riga_iso(d["received_at"], "received_at")


def test_json_times_carry_summer_and_winter_offsets(pd):
    winter = pd.ok("register", "--name", "A B", "--institution", "VP", "--service", "EPASTS", "--description", "x",
                   "--channel", "phone", "--received-at", "15.01.2026 10:00", "--json").json()
    summer = pd.ok("register", "--name", "A B", "--institution", "VP", "--service", "EPASTS", "--description", "x",
                   "--channel", "phone", "--received-at", "2026-07-15T07:00:00Z", "--json").json()
    assert winter["received_at"] == "2026-01-15T10:00:00+02:00"
    assert summer["received_at"] == "2026-07-15T10:00:00+03:00"


# ---------------------------------------------------------------- one JSON document from every command
def test_every_reporting_command_prints_one_json_document(pd):
    n = pd.register()
    request_commands = [
        (["assign", n, "--expert", "jberzins"], None),
        (["wait", n, "--question", "Kur?"], "jberzins"),
        (["resume", n], None),
        (["accept", n], "jberzins"),
        (["note", n, "--text", "Strādāju"], "jberzins"),
        (["resolve", n, "--result", "Gatavs"], "jberzins"),
        (["reopen", n, "--reason", "Nestrādā"], None),
        (["resolve", n, "--result", "Gatavs"], "jberzins"),
        (["close", n, "--confirmed"], None),
        (["show", n], None),
    ]
    for args, user in request_commands:
        r = pd.ok(*args, "--json", user=user)
        d = json.loads(r.stdout)
        assert SPEC_KEYS <= set(d), args
    other = [["list"], ["list", "--status", "closed"], ["catalog", "list"], ["catalog", "show", "EPASTS"],
             ["catalog", "history"], ["catalog", "check"], ["contacts", "show", "VP"],
             ["contacts", "show", "jberzins"], ["contacts", "history"], ["contacts", "check"], ["audit", "verify"],
             ["info"], ["init"], ["db", "upgrade"], ["close", "--auto"]]
    for args in other:
        r = pd.ok(*args, "--json")
        json.loads(r.stdout)  # exactly one document, nothing else on stdout
    listed = pd.ok("list", "--json").json()
    assert isinstance(listed, list) and SPEC_KEYS <= set(listed[0])


# ---------------------------------------------------------------- Latvian text end to end
def test_latvian_text_round_trips_in_process(pd):
    n = pd.register(name=NAME, description=DESCRIPTION, unit="Ūdensvada iela 3, Ļaudona")
    d = pd.ok("show", n, "--json").json()
    assert (d["requester"]["name"], d["description"], d["requester"]["unit"]) == \
        (NAME, DESCRIPTION, "Ūdensvada iela 3, Ļaudona")
    plain = pd.ok("show", n).stdout
    assert NAME in plain and LATVIAN in plain
    assert any(r["description"] == DESCRIPTION for r in pd.ok("list", "--json").json())


def test_decomposed_latvian_letters_are_stored_composed(pd):
    """Text pasted with combining marks (a + U+0304) is stored as the letters people search for (NFC)."""
    n = pd.register(name="Ja\u0304nis Be\u0304rzin\u0327s",
                    description="Nedarbojas s\u030cifre\u0304s\u030canas sertifika\u0304ts")
    d = pd.ok("show", n, "--json").json()
    assert d["requester"]["name"] == "Jānis Bērziņs"
    assert d["description"] == "Nedarbojas šifrēšanas sertifikāts"


@pytest.mark.parametrize("locale_env", [{}, {"LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": None}])
def test_latvian_text_round_trips_through_a_real_process(pd_env, locale_env):
    env = dict(os.environ)
    env.update(pd_env)
    for k, v in locale_env.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v

    def run(*args):
        p = subprocess.run([sys.executable, "-m", "pd", *args], capture_output=True, env=env, timeout=60)
        assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
        return p.stdout.decode("utf-8"), p.stderr.decode("utf-8")  # strict: must be UTF-8

    out, _ = run("register", "--name", NAME, "--institution", "VP", "--service", "EPASTS",
                 "--description", DESCRIPTION, "--channel", "phone", "--json")
    n = json.loads(out)["number"]
    out, _ = run("show", n, "--json")
    d = json.loads(out)
    assert (d["requester"]["name"], d["description"]) == (NAME, DESCRIPTION)
    out, _ = run("show", n)
    assert NAME in out and LATVIAN in out
    # errors are UTF-8 too
    p = subprocess.run([sys.executable, "-m", "pd", "show", n], capture_output=True,
                       env={**env, "PD_USER": "svešinieks"}, timeout=60)
    assert p.returncode == 6 and "svešinieks" in p.stderr.decode("utf-8")


# ---------------------------------------------------------------- help everywhere
def _walk(cmd, path=()):
    yield path, cmd
    if hasattr(cmd, "list_commands"):  # groups build their commands lazily: ask for each
        import typer

        ctx = typer.Context(cmd)
        for name in cmd.list_commands(ctx):
            yield from _walk(cmd.get_command(ctx, name), path + (name,))


def _tree():
    import typer.main

    from pd.cli import app

    return list(_walk(typer.main.get_command(app)))


def test_every_command_has_help_text():
    tree = _tree()
    assert len(tree) > 20
    missing = [" ".join(path) or "pd" for path, cmd in tree if not (cmd.help or "").strip()]
    assert not missing, f"commands without help: {missing}"
    for must in (("register",), ("assign",), ("accept",), ("reject",), ("wait",), ("resume",), ("note",),
                 ("resolve",), ("close",), ("reopen",), ("show",), ("list",), ("catalog", "check"),
                 ("contacts", "check"), ("audit", "verify")):
        assert must in {p for p, _ in tree}, must


def test_every_option_and_argument_has_help_text():
    missing = []
    for path, cmd in _tree():
        for p in cmd.params:
            if p.name in ("help",) or getattr(p, "hidden", False):
                continue
            if not (getattr(p, "help", None) or "").strip():
                missing.append(f"pd {' '.join(path)} {p.opts[0] if p.opts else p.name}")
    assert not missing, f"without help: {missing}"


def test_every_help_page_works(pd):
    problems = []
    for path, cmd in _tree():
        r = pd(*path, "--help")
        first = (cmd.help or "").strip().splitlines()[0] if cmd.help else ""
        if r.exit_code != 0:
            problems.append(f"pd {' '.join(path)} --help: exit {r.exit_code} {r.stderr}")
        elif "Lietojums:" not in r.stdout or first.split()[0] not in r.stdout:
            problems.append(f"pd {' '.join(path)} --help: {r.stdout[:200]!r}")
        elif "Traceback" in r.stdout + r.stderr:
            problems.append(f"pd {' '.join(path)} --help: traceback")
    assert not problems, "\n".join(problems)


def test_top_level_help_lists_the_commands_and_version(pd):
    r = pd.ok("--help")
    for name in ("register", "assign", "accept", "reject", "wait", "resume", "note", "resolve", "close",
                 "reopen", "show", "list", "catalog", "contacts", "audit"):
        assert re.search(rf"^\s+{name}\s", r.stdout, re.M), name
    assert re.fullmatch(r"pd \d+\.\d+\.\d+\S*\n", pd.ok("--version").stdout)
    assert pd.ok("-h").stdout == r.stdout
