"""The intake queue: pd intake list|show|register|attach|ignore, each step an event with its
actor; stored mail in pd privacy export|purge."""
from __future__ import annotations

import json

from tests import intake_mail as M


def ingest(pd, raw: bytes) -> dict:
    r = pd("mail", "ingest", "--json", user="system", input=raw)
    assert r.exit_code == 0, r.stderr
    return r.json()


def test_list_and_show_have_the_keys_of_spec_13(pd):
    res = ingest(pd, M.plain(sender="Līga Ērgle <liga.ergle@vugd.gov.lv>", subject="Nestrādā VPN",
                             body="Labdien!\nNo rīta nevaru pieslēgties VPN.\n"))
    items = pd.ok("intake", "list", "--json").json()
    assert len(items) == 1
    item = items[0]
    assert {"id", "status", "from", "subject", "received_at", "request"} <= set(item)
    assert item["id"] == res["intake"] and item["status"] == "new" and item["request"] is None
    assert item["from"] == "Līga Ērgle <liga.ergle@vugd.gov.lv>" and item["subject"] == "Nestrādā VPN"
    assert item["received_at"].endswith(("+02:00", "+03:00"))
    shown = pd.ok("intake", "show", str(item["id"]), "--json").json()
    assert shown["text"] == "Labdien!\nNo rīta nevaru pieslēgties VPN."
    human = pd.ok("intake", "list").stdout
    assert "Līga Ērgle" in human and "Nestrādā VPN" in human
    assert pd("intake", "show", "999").exit_code == 4
    assert pd("intake", "list", "--status", "lost").exit_code == 3


def test_register_recalls_the_requesters_other_details_from_their_last_request(pd):
    pd.register(name="Līga Ērgle", institution="VUGD", email="liga.ergle@vugd.gov.lv", phone="29123456",
                unit="Rīgas reģiona pārvalde", position="Inspektore", service="DATORS", location="Maskavas iela 5",
                room="12", username="lergle")
    res = ingest(pd, M.plain(sender="Līga Ērgle <Liga.Ergle@vugd.gov.lv>", subject="Printeris nedrukā",
                             body="Printeris 12. kabinetā nedrukā.\n"))
    reg = pd.ok("intake", "register", str(res["intake"]), "--service", "PRINTERIS", "--json").json()
    r = reg["requester"]
    assert (r["institution"], r["unit"], r["position"], r["phone"], r["location"], r["room"], r["username"]) == (
        "VUGD", "Rīgas reģiona pārvalde", "Inspektore", "+37129123456", "Maskavas iela 5", "12", "lergle")
    assert r["email"] == "liga.ergle@vugd.gov.lv" and reg["channel"] == "email"
    assert reg["intake"] == res["intake"]
    item = pd.ok("intake", "show", str(res["intake"]), "--json").json()
    assert item["status"] == "registered" and item["request"] == reg["number"] and item["decided_by"] == "operators1"
    ev = [e for e in pd.ok("show", reg["number"], "--json").json()["events"] if e["kind"] == "intake_registered"]
    assert ev[0]["actor"] == "operators1" and ev[0]["data"]["intake"] == res["intake"]
    # an option given wins over what is recalled
    res2 = ingest(pd, M.plain(sender="Līga Ērgle <liga.ergle@vugd.gov.lv>", subject="Cits", body="Telefons.\n"))
    reg2 = pd.ok("intake", "register", str(res2["intake"]), "--service", "TALRUNIS", "--room", "14", "--json").json()
    assert reg2["requester"]["room"] == "14" and reg2["requester"]["unit"] == "Rīgas reģiona pārvalde"


def test_register_checks_like_register_and_stores_nothing_half(pd, rawdb):
    res = ingest(pd, M.plain(subject="x"))
    r = pd("intake", "register", str(res["intake"]), "--service", "NAV-TADA", "--institution", "VP")
    assert r.exit_code == 4 and r.stderr.startswith("Kļūda: no service")  # as pd register says it
    assert pd.ok("intake", "show", str(res["intake"]), "--json").json()["status"] == "new"
    assert rawdb.execute("SELECT count(*) FROM request")[0][0] == 0
    r = pd("intake", "register", str(res["intake"]), "--service", "EPASTS", "--institution", "VP", user="jberzins")
    assert r.exit_code == 6


def test_attach_and_ignore_are_events_with_their_actor_and_happen_once(pd, rawdb):
    n = pd.register()
    a = ingest(pd, M.with_attachment(name="ekrāns.png", data=b"\x89PNG....", ctype="image/png",
                                     body="Pielikumā ekrānuzņēmums.\n", subject="Par manu pieteikumu"))
    b = ingest(pd, M.plain(subject="Lēti ceļojumi!", sender="promo@example.com"))
    attached = pd.ok("intake", "attach", str(a["intake"]), n, "--json", user="operators2").json()
    assert attached["status"] == "attached" and attached["request"] == n
    ev = [e for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "mail_received"][-1]
    assert ev["actor"] == "operators2" and ev["data"]["attachments"] == ["ekrāns.png"]
    assert ev["data"]["text"] == "Pielikumā ekrānuzņēmums." and ev["data"]["from"].startswith("Mārtiņš Zariņš")
    again = pd("intake", "attach", str(a["intake"]), n)
    assert again.exit_code == 5 and f"already attached as request {n}" in again.stderr
    r = pd("intake", "ignore", str(b["intake"]))
    assert r.exit_code == 2  # --reason is required
    pd.ok("intake", "ignore", str(b["intake"]), "--reason", "reklāma")
    shown = pd.ok("intake", "show", str(b["intake"]), "--json").json()
    assert shown["status"] == "ignored" and shown["reason"] == "reklāma"
    rows = rawdb.execute("SELECT actor, data FROM event WHERE kind = 'intake_ignored'")
    assert rows[0][0] == "operators1" and json.loads(rows[0][1])["reason"] == "reklāma"
    assert pd("intake", "register", str(b["intake"]), "--service", "EPASTS", "--institution", "VP").exit_code == 5
    assert pd.ok("intake", "list", "--json").json() == []
    assert len(pd.ok("intake", "list", "--all", "--json").json()) == 2


def test_privacy_export_includes_stored_mail_and_purge_anonymises_it(pd, rawdb, clock):
    clock.set("2026-01-05T10:00")
    pd.ok("mail", "ingest", user="system", input=M.plain(subject="Vecs nereģistrēts", body="Vecs teksts Bērziņam\n"))
    res = ingest(pd, M.plain(subject="Reģistrēsim", body="Teksts par e-pastu\n"))
    n = pd.ok("intake", "register", str(res["intake"]), "--service", "KONSULTACIJA", "--institution", "VP",
              "--json").json()["number"]
    pd.ok("resolve", n, "--result", "Izskaidrots")
    pd.ok("close", n, "--confirmed")
    export = pd.ok("privacy", "export", "--email", "janis.berzins@vp.gov.lv", user="admins").json()
    assert [m["subject"] for m in export["mail"]] == ["Vecs nereģistrēts", "Reģistrēsim"]
    assert "Vecs teksts Bērziņam" in export["mail"][0]["raw"]
    clock.set("2026-12-01T10:00")
    recent = ingest(pd, M.plain(subject="Jauns", body="Jauns teksts\n"))
    out = pd.ok("privacy", "purge", "--before", "2026-06-01", "--json", user="admins",
                env={"PD_RETENTION_DAYS": "100"}).json()
    assert out["requests"] == 1 and out["mails"] == 2
    rows = rawdb.execute("SELECT sender_email, subject, text, length(raw) FROM inbound_message ORDER BY id")
    assert rows[0][:3] == ("", "[anonimizēts]", "[anonimizēts]") and rows[0][3] in (0, None)
    assert rows[1][:3] == ("", "[anonimizēts]", "[anonimizēts]")
    assert rows[2][1] == "Jauns"  # recent, never registered: kept until its retention ends
    assert recent["intake"]
    export = pd.ok("privacy", "export", "--email", "janis.berzins@vp.gov.lv", user="admins").json()
    assert [m["subject"] for m in export["mail"]] == ["Jauns"]
