"""Experts answer by mail (SPEC 15): PIEŅEMU / NORAIDU / IZPILDĪTS / KAVĒJAS as the first line of a
reply to the desk's mail to them. It acts only for the assigned expert's address, on a reply to a message
the desk sent that expert about that request, never on automatic mail; anything else changes nothing and
stays a follow-up. pd answers the expert with what it did, or why not. Through `pd mail ingest`."""
from __future__ import annotations

from tests import intake_mail as M

EXPERT = "janis.berzins@ic.iem.gov.lv"


def ingest(pd, raw: bytes) -> dict:
    r = pd("mail", "ingest", "--json", user="system", input=raw)
    assert r.exit_code == 0, r.stderr
    return r.json()


def outbox(pd) -> list[dict]:
    return sorted(pd.ok("mail", "list", "--json").json(), key=lambda m: m["id"])


def desk_mail_to(pd, n: str, address: str = EXPERT) -> dict:
    return [m for m in outbox(pd) if m["request"] == n and address in m["recipients"]][-1]


def reply(pd, n: str, body: str, *, sender=f"Jānis Bērziņš <{EXPERT}>", to_mail: dict | None = None,
          thread: bool = True, headers: str = "") -> bytes:
    parent = to_mail["message_id"] if to_mail else None
    return M.plain(sender=sender, subject=f"Re: [PD {n}] Nestrādā e-pasts", body=body,
                   in_reply_to=parent if thread else None, references=[parent] if thread and parent else None,
                   headers=headers)


def assigned(pd) -> str:
    n = pd.register(description="Nestrādā e-pasts")
    pd.ok("assign", n, "--expert", "jberzins")
    return n


def status(pd, n: str) -> str:
    return pd.ok("show", n, "--json").json()["status"]


def last_answer(pd, address: str = EXPERT) -> str:
    m = [m for m in outbox(pd) if m["kind"] == "command_expert" and address in m["recipients"]][-1]
    return " ".join(pd.ok("mail", "show", str(m["id"]), "--json").json()["body"].split())


def test_the_assignment_mail_says_how_to_answer(pd):
    n = assigned(pd)
    body = pd.ok("mail", "show", str(desk_mail_to(pd, n)["id"]), "--json").json()["body"]
    assert ("Kā atbildēt: atbildiet uz šo vēstuli, pirmajā rindā rakstot PIEŅEMU,\n"
            "NORAIDU un iemeslu, IZPILDĪTS un rezultātu, KAVĒJAS dd.mm.gggg un iemeslu.") in body


def test_accept_delay_and_resolve_by_mail_in_any_case_and_without_diacritics(pd):
    n = assigned(pd)
    res = ingest(pd, reply(pd, n, "pienemu\n\n> Labdien! Jums nodots izskatīšanai...\n", to_mail=desk_mail_to(pd, n)))
    assert res["command"] == {"name": "accept", "done": True} and status(pd, n) == "in_progress"
    ev = [e for e in pd.ok("show", n, "--json").json()["events"] if e["kind"] == "accepted"][0]
    assert (ev["on_behalf_of"], ev["via"]) == ("jberzins", "email")
    assert "Pieteikums pieņemts izskatīšanai." in last_answer(pd)

    res = ingest(pd, reply(pd, n, "Kavējas 31.12.2099 gaidām piegādātāju\n", to_mail=desk_mail_to(pd, n)))
    assert res["command"]["done"] is True
    shown = pd.ok("show", n, "--json").json()
    assert (shown["planned_date"], shown["status"]) == ("2099-12-31", "in_progress")
    assert "plānotais izpildes termiņš 31.12.2099" in last_answer(pd)
    kinds = [m["kind"] for m in outbox(pd)]
    assert "delay_user" in kinds  # the user is told of the delay as SPEC 15 says

    body = ("IZPILDĪTS Pārkonfigurēts IMAP konts; pasts ienāk.\n\n"
            "On Tue, 1 Dec 2026 at 10:00, Pakalpojumu dienests <servicedesk@ic.iem.gov.lv> wrote:\n> ...\n")
    res = ingest(pd, reply(pd, n, body, to_mail=desk_mail_to(pd, n)))
    assert res["command"]["done"] is True and status(pd, n) == "resolved"
    assert pd.ok("show", n, "--json").json()["result"] == "Pārkonfigurēts IMAP konts; pasts ienāk."
    assert "rezultāts: Pārkonfigurēts IMAP konts" in last_answer(pd)
    assert pd.ok("audit", "verify", "--json").json()["ok"]


def test_reject_needs_a_reason(pd):
    n = assigned(pd)
    res = ingest(pd, reply(pd, n, "NORAIDU\n", to_mail=desk_mail_to(pd, n)))
    assert res["command"]["done"] is False and status(pd, n) == "assigned"
    assert "aiz vārda NORAIDU jānorāda iemesls" in last_answer(pd)
    res = ingest(pd, reply(pd, n, "NORAIDU\nTas ir VPN, nevis e-pasts.\n", to_mail=desk_mail_to(pd, n)))
    assert res["command"]["done"] is True and status(pd, n) == "returned"


def test_a_forged_from_without_the_desks_message_id_changes_nothing(pd):
    n = assigned(pd)
    before = len(outbox(pd))
    # From right, but no In-Reply-To/References: the [PD N] subject alone is public
    res = ingest(pd, reply(pd, n, "PIEŅEMU\n", thread=False))
    assert res["command"]["done"] is False and status(pd, n) == "assigned"
    assert "nav atbilde uz Pakalpojumu dienesta vēstuli" in last_answer(pd)
    # naming a message the desk sent the requester, not the expert
    user_mail = desk_mail_to(pd, n, "liga.ergle@vugd.gov.lv") if any(
        "liga.ergle@vugd.gov.lv" in m["recipients"] for m in outbox(pd)) else [m for m in outbox(pd)
                                                                              if m["kind"] == "forwarded_user"][0]
    res = ingest(pd, reply(pd, n, "PIEŅEMU\n", to_mail=user_mail))
    assert res["command"]["done"] is False and status(pd, n) == "assigned"
    # another sender, with the right thread: an ordinary follow-up, nobody answered
    told = len(outbox(pd))
    res = ingest(pd, reply(pd, n, "PIEŅEMU\n", sender="Mallory <mallory@example.com>", to_mail=desk_mail_to(pd, n)))
    assert res["action"] == "follow_up" and "command" not in res and status(pd, n) == "assigned"
    assert len(outbox(pd)) == told
    assert [e["reason"] for e in pd.ok("queue", "--json").json()["entries"] if e["request"] == n] == ["follow_up"]
    assert len(outbox(pd)) == before + 2  # the two answers to the expert's own address


def test_an_out_of_office_reply_with_the_right_headers_is_never_acted_on_nor_answered(pd):
    n = assigned(pd)
    told = len(outbox(pd))
    raw = reply(pd, n, "PIEŅEMU\nEsmu atvaļinājumā līdz 15.12.\n", to_mail=desk_mail_to(pd, n),
                headers="Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n")
    res = ingest(pd, raw)
    assert res["action"] == "automatic" and status(pd, n) == "assigned"
    assert len(outbox(pd)) == told


def test_a_request_no_longer_theirs(pd):
    n = assigned(pd)
    old = desk_mail_to(pd, n)
    pd.ok("assign", n, "--expert", "lkalnina", "--reason", "Aizvieto")
    res = ingest(pd, reply(pd, n, "IZPILDĪTS salabots\n", to_mail=old))
    assert res["command"]["done"] is False and status(pd, n) == "assigned"
    assert "pieteikums vairs nav nodots Jums" in last_answer(pd)
    shown = pd.ok("show", n, "--json").json()
    ev = [e for e in shown["events"] if e["kind"] == "mail_received"][-1]
    assert ev["data"]["command"] == {"word": "IZPILDĪTS", "name": "resolve", "done": False,
                                     "why": "pieteikums vairs nav nodots Jums."}
