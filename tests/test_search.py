"""pd search (SPEC 14) on the test's ledger (SQLite, or PostgreSQL with PD_TEST_DATABASE_URL): numbers and
their fragments, requester name / e-mail / phone in the forms people type them, Latvian letters matching
their plain forms, notes / results / mail text, best matches first, and the index kept in the same
transaction as every change (a change is found at once; a purge is forgotten at once)."""
from __future__ import annotations

from datetime import datetime

import pytest


def numbers(run) -> list[str]:
    return [x["number"] for x in run.json()]


def found(pd, text: str, *extra: str) -> list[str]:
    return numbers(pd.ok("search", text, "--json", *extra))


@pytest.fixture
def people(pd):
    n = {}
    n["berzins"] = pd.register(name="Jānis Bērziņš", phone="26123456", email="janis.berzins@vp.gov.lv",
                               description="Neienāk e-pasts kopš rīta")
    n["kekava"] = pd.register(name="Ilze Ozola", phone="+371 67 554 433", email="ilze.ozola@vugd.gov.lv",
                              institution="VUGD", description="Ķekavas nodaļā nedrukā printeris")
    n["zarina"] = pd.register(name="Elīna Zariņa", phone="29 876 540", email="elina.zarina@pmlp.gov.lv",
                              institution="PMLP", description="VPN nesavienojas no mājām")
    return n


def test_latvian_letters_match_their_plain_forms(pd, people):
    assert found(pd, "berzins") == [people["berzins"]]
    assert found(pd, "BĒRZIŅŠ") == [people["berzins"]]
    assert found(pd, "Berzin") == [people["berzins"]]  # a beginning of a word is enough
    assert found(pd, "kekava") == [people["kekava"]]  # Ķekavas
    assert found(pd, "zarina") == [people["zarina"]]
    assert found(pd, "nedruka printeris") == [people["kekava"]]  # every word must match
    assert found(pd, "nedruka vpn") == []


def test_a_surname_finds_its_masculine_and_feminine_forms(pd, people):
    """Issue 19: "berzins" missed Bērziņa. Bērziņš / Bērziņa, Ozols / Ozola, Kalniņš / Kalniņa, Lācis / Lāce,
    Baltais / Baltā: either form typed, with or without Latvian letters, finds both."""
    anna = pd.register(name="Anna Bērziņa", phone="26000001", email="anna.berzina@vp.gov.lv")
    ozols = pd.register(name="Pēteris Ozols", phone="26000002", email="peteris.ozols@vp.gov.lv")
    kalnins = pd.register(name="Kārlis Kalniņš", phone="26000003", email="k.k@vp.gov.lv")
    kalnina = pd.register(name="Inese Kalniņa", phone="26000004", email="i.k@vp.gov.lv")
    lacis = pd.register(name="Juris Lācis", phone="26000005", email="j.l@vp.gov.lv")
    lace = pd.register(name="Maija Lāce", phone="26000006", email="m.l@vp.gov.lv")
    baltais = pd.register(name="Ivars Baltais", phone="26000007", email="i.b@vp.gov.lv")
    balta = pd.register(name="Rita Baltā", phone="26000008", email="r.b@vp.gov.lv")
    both = {people["berzins"], anna}
    for typed in ("berzins", "Bērziņš", "berzina", "Bērziņa", "BERZINS"):
        assert set(found(pd, typed)) == both, typed
    assert found(pd, "berzins") == [people["berzins"], anna]  # the form typed first, though older
    assert found(pd, "berzina") == [anna, people["berzins"]]
    for typed in ("ozols", "Ozola"):
        assert set(found(pd, typed)) == {people["kekava"], ozols}, typed  # Ilze Ozola, Pēteris Ozols
    for typed in ("kalnins", "Kalniņa"):
        assert set(found(pd, typed)) == {kalnins, kalnina}, typed
    for typed in ("lacis", "Lāce"):
        assert set(found(pd, typed)) == {lacis, lace}, typed
    for typed in ("baltais", "Baltā"):
        assert set(found(pd, typed)) == {baltais, balta}, typed
    assert found(pd, "anna berzins") == [anna]  # every word must still match
    assert found(pd, "janis berzina") == [people["berzins"]]
    assert found(pd, "zarins") == [people["zarina"]]
    assert found(pd, "ozoli") == []  # another word, not a gender form


def test_phones_and_e_mail_in_the_forms_people_type(pd, people):
    b, k, z = people["berzins"], people["kekava"], people["zarina"]
    assert found(pd, "26123456") == [b]
    assert found(pd, "+371 2612") == [b]
    assert found(pd, "+37126123456") == [b]
    assert found(pd, "26 12 34") == [b]
    assert found(pd, "3456") == [b]  # the end of the number
    assert found(pd, "554 433") == [k]
    assert sorted(found(pd, "+371 2")) == sorted([b, z])
    assert found(pd, "+371 6") == [k]
    assert found(pd, "janis.berzins@vp.gov.lv") == [b]
    assert found(pd, "ilze.ozola@vugd") == [k]


def test_numbers_and_their_fragments(pd, people):
    more = [pd.register(name=f"Pieteicējs {i}", phone="+371 20000000") for i in range(9)]
    all_ = [people["berzins"], people["kekava"], people["zarina"], *more]
    assert all_[9] == all_[0][:5] + "000010"
    assert found(pd, all_[9]) == [all_[9]]
    assert found(pd, all_[9][:5] + "10") == [all_[9]]  # 2026-10 is 2026-000010
    assert found(pd, "000012") == [all_[11]]
    assert set(found(pd, "12")) == {all_[11], people["berzins"]}  # …000012, and 26123456
    assert found(pd, "12 000") == []  # +371 20000000 has no "12000" (not across +371)
    assert set(found(pd, "+371 20")) == set(more)
    # 2026-00001 is also how 2026-000001 may be written: that request first, then those it begins
    hits = found(pd, all_[0][:5] + "00001")
    assert hits[0] == all_[0] and set(hits[1:]) == set(all_[9:12])
    assert found(pd, all_[0][:4]) and set(found(pd, all_[0][:4], "--limit", "50")) == set(all_)
    assert len(found(pd, all_[0][:4], "--limit", "5")) == 5


def test_notes_results_questions_and_mail_text_are_found(pd, people, clock):
    b, k, z = people["berzins"], people["kekava"], people["zarina"]
    pd.ok("assign", b, "--expert", "jberzins")
    pd.ok("accept", b, user="jberzins")
    pd.ok("note", b, "--text", "Pārbaudīts Exchange žurnāls", user="jberzins")
    pd.ok("wait", b, "--question", "Vai Outlook rāda kļūdu 0x800ccc0e?", user="jberzins")
    pd.ok("assign", z, "--expert", "mliepa", "--force")  # the wrong expert, who then rejects it
    pd.ok("reject", z, "--reason", "Šis ir tīkla segmenta jautājums", user="mliepa")
    pd.ok("assign", k, "--expert", "rkrumins", "--force")
    pd.ok("accept", k, user="rkrumins")
    pd.ok("resolve", k, "--result", "Nomainīta tonera kasetne", user="rkrumins")
    _mail_in_history(k, "ilze.ozola@vugd.gov.lv", "Re: printeris", "Paldies, tagad drukā ļoti gaiši")
    assert found(pd, "zurnals exchange") == [b]
    assert found(pd, "0x800ccc0e") == [b]
    assert found(pd, "segmenta") == [z]
    assert found(pd, "tonera kasetne") == [k]
    assert found(pd, "gaisi") == [k]  # the mail's text
    assert found(pd, "Re: printeris") == [k]


def _mail_in_history(number: str, sender: str, subject: str, text: str) -> None:
    """A follow-up mail recorded in the request's history as the intake does (data: from, subject, text)."""
    from pd.config import load_settings
    from pd.desk import Desk

    desk = Desk(load_settings())
    req = desk.get(number)
    with desk.ledger.change() as ch:
        ch.event(req, "mail_received", actor="system", via="email",
                 data={"from": sender, "subject": subject, "text": text})


def test_best_matches_first(pd, people):
    """A match in the number or the requester ranks above one in the description, above one in a note."""
    b, k, z = people["berzins"], people["kekava"], people["zarina"]
    pd.ok("note", z, "--text", "Zvanīja kolēģis Ozols no VP")
    n = pd.register(name="Andris Ozols", phone="+371 25000000", description="Parole jāatjauno")
    d = pd.register(name="Anna Liepa", description="Ozols teica, ka serveris ir pārslogots")
    # Ilze Ozola is Ozols's feminine form (issue 19): after the form typed, before the description
    assert found(pd, "ozols") == [n, k, d, z]
    r = pd.ok("search", "ozols", "--json").json()
    assert r[0]["score"] > r[1]["score"] > r[2]["score"] > r[3]["score"]
    prefix = found(pd, "ozol")
    assert set(prefix[:2]) == {n, k} and prefix[2:] == [d, z]
    # the number itself first, whatever else mentions it
    pd.ok("note", z, "--text", f"Saistīts ar {b}")
    assert found(pd, b)[0] == b


def test_several_words_best_where_every_one_is_found(pd):
    """Every word in the number or the requester first, then every word there or in the description, then
    anywhere (a note); among equals the newest first, and --limit keeps the best."""
    def person(name: str, description: str, **kw) -> str:
        return pd.register(name=name, description=description, email="pieteicejs@vp.gov.lv", **kw)

    history = person("Anna Liepa", "VPN nesavienojas")
    pd.ok("note", history, "--text", "Zvanīja Ozols")
    split = person("Andris Ozols", "VPN nesavienojas")  # the name, and the description
    older = person("Pēteris Ozols", "Nav interneta", location="VPN serveru telpa")  # both in ident
    body = person("Anna Liepa", "Ozols ziņo: VPN nesavienojas")  # both in the description
    ident = person("Pēteris Ozols", "Nav interneta", location="VPN serveru telpa")
    r = pd.ok("search", "ozols vpn", "--json").json()
    hits = [x["number"] for x in r]
    assert hits[:2] == [ident, older] and set(hits[2:4]) == {split, body} and hits[4:] == [history]
    assert hits[2:4] == sorted(hits[2:4], reverse=True)  # the newest first
    scores = [x["score"] for x in r]
    assert scores[0] == scores[1] > scores[2] == scores[3] > scores[4]
    assert found(pd, "ozols vpn", "--limit", "3") == hits[:3]


def test_every_way_a_beginning_is_matched_finds_the_same(pd, people, monkeypatch):
    """A word typed is a beginning: the index's words it begins are listed and matched exactly (SQLite), or
    the prefix query is run when they are many, when the beginning is short, or when it holds letters the
    tokenizer folds itself: the same requests either way, in the same order."""
    more = [pd.register(name="Ilze Ozoliņa", phone="29000001"), pd.register(name="Kārlis Ozols", phone="29000002"),
            pd.register(name="Søren Ødegård", phone="29000003", email="soren@vp.gov.lv")]
    listed = found(pd, "ozol")
    assert set(listed) == {people["kekava"], *more[:2]}
    assert found(pd, "ozoli") == [more[0]]
    assert found(pd, "2900000") == more[::-1]
    monkeypatch.setattr("pd.search.MAX_EXPANSIONS", 1)  # "ozol" begins ozola, ozolina, ozols: the prefix query
    assert found(pd, "ozol") == listed
    assert found(pd, "2900000") == more[::-1]
    assert found(pd, "oz", "--limit", "50") == listed  # too short to list
    assert found(pd, "Søre") == [more[2]]  # not plain ASCII: the prefix query
    assert found(pd, "ødegård") == [more[2]]
    # a letter the index's tokenizer folds on its own (the lunate sigma, "ς" once folded here, is "σ" there):
    # only the prefix query finds it as the tokenizer wrote it
    greek = pd.register(name="Ϲωκράτης Παππάς", phone="29000004")
    assert found(pd, "ϲωκρ") == [greek]


def test_a_change_is_found_at_once_and_a_purge_forgotten_at_once(pd, people, clock):
    b = people["berzins"]
    assert found(pd, "kurzeme") == []
    pd.ok("note", b, "--text", "Lietotājs pārcēlies uz Kurzemes pārvaldi")
    assert found(pd, "kurzeme") == [b]
    # purge: closed long ago, anonymised; its person is no longer findable, its description still is
    pd.ok("assign", b, "--expert", "jberzins")
    pd.ok("accept", b, user="jberzins")
    pd.ok("resolve", b, "--result", "Pastkaste atjaunota", user="jberzins")
    pd.ok("close", b, "--confirmed")
    from datetime import timedelta

    clock.now = clock() + timedelta(days=2)  # past a one-day retention: a purge never reaches into it
    r = pd.ok("privacy", "purge", "--json", user="admins", env={"PD_RETENTION_DAYS": "1"})
    assert b in r.json()["numbers"]
    assert found(pd, "berzins") == []
    assert found(pd, "26123456") == []
    assert found(pd, "kurzeme") == []  # notes may name people: gone with them
    assert found(pd, "pastkaste atjaunota") == [b]


def test_output_json_plain_and_errors(pd, people):
    r = pd.ok("search", "berzins", "--json")
    (hit,) = r.json()
    assert hit["number"] == people["berzins"] and hit["requester"]["name"] == "Jānis Bērziņš"
    assert datetime.fromisoformat(hit["received_at"]).utcoffset() is not None
    assert isinstance(hit["score"], float)
    plain = pd.ok("search", "berzins").stdout
    assert plain.splitlines()[0].split() == ["number", "status", "received", "requester", "description"]
    assert people["berzins"] in plain and "Jānis Bērziņš" in plain and "\x1b" not in plain
    none = pd.ok("search", "nekasnav")
    assert (none.stdout, none.stderr) == ("", "No requests match.\n")
    bad = pd("search", "  ")
    assert bad.exit_code == 3 and bad.stderr.startswith("Kļūda: search: give some text")


def test_migration_3_indexes_what_an_existing_ledger_holds(pd, pd_env, rawdb):
    """A ledger that had no index (as 0.1.0 made it): pd db upgrade builds it, and search works."""
    from pd.db import migrations

    monkeypatch = pytest.MonkeyPatch()  # its own: undo() leaves the test's environment alone
    first = migrations.MIGRATIONS[0]
    monkeypatch.setattr(migrations, "MIGRATIONS", [first])
    monkeypatch.setattr(migrations, "LATEST", 1)
    monkeypatch.setattr(migrations, "_search_index_ddl", lambda: None)
    monkeypatch.setattr("pd.db.fulltext.index", lambda ids: None)
    old = [pd.register(name="Kārlis Ūdris", phone="+371 29 000 111"),
           pd.register(name="Anna Ķēniņa", description="Kuldīgas filiālē nav interneta")]
    assert rawdb.execute("SELECT COUNT(*) FROM request")[0][0] == 2
    with pytest.raises(Exception, match="request_search"):
        rawdb.execute("SELECT COUNT(*) FROM request_search")
    monkeypatch.undo()
    assert pd("search", "udris").exit_code == 7  # the schema is older: an admin upgrades it
    up = pd.ok("db", "upgrade", "--json", user="admins").json()
    assert 3 in up["migrations_applied"]
    assert found(pd, "udris") == [old[0]]
    assert found(pd, "kuldigas") == [old[1]]
    assert found(pd, "29000") == [old[0]]
    new = pd.register(name="Kārlis Ūdris", phone="+371 29 000 111")
    assert found(pd, "karlis udris") == [new, old[0]]  # equal matches: the newest first
