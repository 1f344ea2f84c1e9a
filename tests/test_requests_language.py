"""The request commands speak one language at a time (SPEC 12, issue 19): their errors, confirmations,
pd show and pd list in Latvian by default and in English with PD_LANG=en; people by name; --json unchanged."""
from __future__ import annotations

import json

import pytest

from tests import intake_mail as M
from tests.english import english, latvian

# The names and the rules' own words that stay as they are in English output.
NAMES = ("Jānis", "Bērziņš", "Bērziņa", "Jāni", "Bērziņam", "Ērgle", "Līga", "Konsultācija", "Nestrādā", "Neienāk",
         "kopš", "rīta", "Izskaidrots", "tālruni", "Valsts", "Pakalpojumu", "Tas", "nevis")


def message(stderr: str) -> str:
    """The message after the one "Error:" prefix (the CLI's word, translated where the CLI is)."""
    assert stderr.count("\n") == 1, stderr
    return stderr.split(":", 1)[1].strip()


def objected(pd) -> str:
    """A resolved request with a reply after its result, not yet decided on (a possible objection)."""
    n = pd.register(service="KONSULTACIJA")
    pd.ok("resolve", n, "--result", "Izskaidrots pa tālruni")
    r = pd("mail", "ingest", "--json", user="system",
           input=M.plain(subject=f"Re: [PD {n}] Konsultācija", body="Joprojām nestrādā.\n"))
    assert r.exit_code == 0, r.stderr
    return n


def key_errors(pd) -> dict[str, tuple[int, str]]:
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    out = {
        "no request": pd("show", "2026-999999"),
        "wrong state": pd("close", n),
        "missing reason": pd("reject", n, "--reason", "   ", user="jberzins"),
        "not the expert": pd("accept", n, user="lkalnina"),
        "objection": pd("close", objected(pd)),
    }
    return {k: (r.exit_code, r.stderr) for k, r in out.items()}


def test_key_errors_say_latvian(pd):
    errors = key_errors(pd)
    assert [code for code, _ in errors.values()] == [4, 5, 3, 6, 5]
    said = {k: message(err) for k, (_, err) in errors.items()}
    assert said["no request"] == "pieteikums 2026-999999 nav atrasts"
    assert said["wrong state"].startswith("pieteikums 2026-000001 ir stāvoklī “nodots ekspertam”; pd close der tikai "
                                          "stāvoklī “izpildīts”. No šī stāvokļa var: pd accept")
    assert said["missing reason"] == "jānorāda iemesls"
    assert said["not the expert"] == ("Laura Kalniņa nedrīkst pieņemt izskatīšanai pieteikumu 2026-000001: tas ir "
                                      "nodots ekspertam Jānim Bērziņam")
    assert said["objection"].startswith("pieteikumam 2026-000002 pēc rezultāta ir atbilde no Jānis Bērziņš "
                                        "<janis.berzins@vp.gov.lv>")
    assert "«Joprojām nestrādā.»" in said["objection"] and "Tas var būt iebildums" in said["objection"]
    for k, text in said.items():
        assert english(text) == [], (k, text)
        assert "jberzins" not in text and "lkalnina" not in text  # people by name, never by login


def test_key_errors_say_english_with_pd_lang_en(pd, monkeypatch):
    monkeypatch.setenv("PD_LANG", "en")
    errors = key_errors(pd)
    said = {k: message(err) for k, (_, err) in errors.items()}
    assert said["no request"] == "request 2026-999999 not found"
    assert said["wrong state"].startswith("request 2026-000001 is in the state “assigned to an expert”; pd close needs "
                                          "the state “resolved”")
    assert said["missing reason"] == "reason is required"
    assert said["not the expert"] == ("Laura Kalniņa may not accept request 2026-000001: it is assigned to the "
                                      "expert Jānis Bērziņš")
    assert "It may be an objection" in said["objection"]
    for k, text in said.items():
        assert latvian(text, allow=NAMES + ("Kalniņa", "Joprojām", "nestrādā")) == [], (k, text)


def test_confirmations_and_show_in_latvian_then_english(pd, monkeypatch):
    n = pd.register()
    assert pd.ok("assign", n, "--expert", "jberzins").stdout == f"Pieteikums {n} nodots ekspertam Jānim Bērziņam.\n"
    assert pd.ok("accept", n, user="jberzins").stdout == f"Pieteikums {n} pieņemts izskatīšanai.\n"
    shown = pd.ok("show", n).stdout
    assert shown.startswith(f"{n}  pieņemts izskatīšanai\n") and "in_progress" not in shown
    assert "Eksperts:" in shown and "Vēsture:" in shown and "nodeva ekspertam Jānim Bērziņam" in shown
    assert english(shown) == [] and "jberzins" not in shown
    monkeypatch.setenv("PD_LANG", "en")
    assert pd.ok("resolve", n, "--result", "Pastkaste atbloķēta", user="jberzins").stdout == f"Request {n} resolved.\n"
    shown = pd.ok("show", n).stdout
    assert shown.startswith(f"{n}  resolved\n") and "History:" in shown and "assigned it to Jānis Bērziņš" in shown
    assert latvian(shown, allow=NAMES + ("Pastkaste", "atbloķēta", "pakalpojums", "E-pasta")) == []


@pytest.mark.parametrize("lang, words", [("lv", "pieņemts izskatīšanai"), ("en", "accepted for processing")])
def test_list_shows_the_state_in_words_and_json_keeps_the_value(pd, monkeypatch, lang, words):
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    pd.ok("accept", n, user="jberzins")
    as_json = pd.ok("list", "--json").stdout
    monkeypatch.setenv("PD_LANG", lang)
    listed = pd.ok("list").stdout
    assert words in listed and "in_progress" not in listed
    assert "Jānis Bērziņš" in listed and "jberzins" not in listed  # the expert by name
    assert ("stāvoklis" if lang == "lv" else "state") in listed.splitlines()[0]
    # --json is the same document in either language, with the state as SPEC 11 spells it
    assert pd.ok("list", "--json").stdout == as_json
    assert [r["status"] for r in json.loads(as_json)] == ["in_progress"] and json.loads(as_json)[0]["expert"] == "jberzins"
