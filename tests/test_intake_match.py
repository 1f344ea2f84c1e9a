"""Matching a mail to its request, and what it does there: follow-up, answer, objection,
the expert's word, a closed request's new item; delivery reports; pd queue's feed."""
from __future__ import annotations

from datetime import datetime, timezone

from tests import intake_mail as M


def ingest(pd, raw: bytes, **env) -> dict:
    r = pd("mail", "ingest", "--json", user="system", input=raw, env=env)
    assert r.exit_code == 0, r.stderr
    return r.json()


def events(pd, n: str, kind: str | None = None) -> list[dict]:
    evs = pd.ok("show", n, "--json").json()["events"]
    return [e for e in evs if kind is None or e["kind"] == kind]


def outbox(pd) -> list[dict]:
    return pd.ok("mail", "list", "--limit", "1000", "--json").json()


def assigned(pd, **kw) -> str:
    n = pd.register(**kw)
    pd.ok("assign", n, "--expert", "jberzins")
    return n


def test_subject_tag_behind_any_chain_of_reply_and_forward_prefixes(pd):
    n = pd.register()
    for subject in (f"Re: [PD {n}] x", f"RE: AW: [PD {n}] x", f"Fwd: FW: [PD {n}]", f"Atb.: Pārs.: [PD {n}] x",
                    f"[EXTERNAL] Re[2]: [PD {n}] x", f"Atb: Atb: Atb: [PD {n}] Neienāk e-pasts"):
        res = ingest(pd, M.plain(subject=subject, sender="Cits <cits@vp.gov.lv>"))
        assert (res["action"], res["request"]) == ("follow_up", n), subject
    assert len(events(pd, n, "mail_received")) == 6


def test_never_a_fuzzy_subject_nor_a_number_in_passing(pd):
    n = pd.register(description="Neienāk e-pasts kopš rīta")
    for subject in ("Neienāk e-pasts kopš rīta", f"Jautājums par [PD {n}]", f"Re: PD {n}", "Re: [PD 2026-999999] x"):
        res = ingest(pd, M.plain(subject=subject))
        assert res["action"] == "new" and res["request"] is None, subject
    assert events(pd, n, "mail_received") == []


def test_in_reply_to_and_references_name_a_message_the_desk_sent(pd):
    n = assigned(pd)
    sent = [m for m in outbox(pd) if m["request"] == n]
    assert sent
    res = ingest(pd, M.plain(subject="bez numura", in_reply_to=sent[0]["message_id"]))
    assert (res["action"], res["request"]) == ("follow_up", n)
    assert events(pd, n, "mail_received")[0]["data"]["matched_by"] == "in-reply-to"
    # the thread root every message of the request names, in References only
    root = f"<pd-{n}@ic.iem.gov.lv>"
    res = ingest(pd, M.plain(subject="vēl", references=["<other@vp.gov.lv>", root]))
    assert (res["action"], res["request"]) == ("follow_up", n)
    # a root-shaped id of another domain is not ours
    res = ingest(pd, M.plain(subject="svešs", references=[f"<pd-{n}@example.org>"]))
    assert res["action"] == "new"


def test_the_requesters_answer_resumes_a_waiting_request_as_pd_resume_via_email_would(pd, clock, monkeypatch):
    clock.set("2026-12-01T09:00")
    by_mail, by_hand = assigned(pd), assigned(pd)
    for n in (by_mail, by_hand):
        pd.ok("accept", n, user="jberzins")
        pd.ok("wait", n, "--question", "Kurā telpā ir dators?", user="jberzins")
    due_before = pd.ok("show", by_mail, "--json").json()["resolution_due"]
    clock.set("2026-12-01T13:00")
    from pd.config import load_settings
    from pd.intake import receive

    monkeypatch.setenv("PD_USER", "system")
    res = receive(load_settings(), M.outlook_reply_lv(subject=f"Atb.: [PD {by_mail}] Neienāk e-pasts"), source="test")
    monkeypatch.setenv("PD_USER", "operators1")
    pd.ok("resume", by_hand, "--via", "email")
    assert res["action"] == "follow_up" and res["flag"] == "answer"
    d, control = (pd.ok("show", n, "--json").json() for n in (by_mail, by_hand))
    assert d["status"] == control["status"] == "in_progress"
    assert d["resolution_due"] == control["resolution_due"] > due_before  # the paused working time moved it
    resumed = events(pd, by_mail, "resumed")[-1]
    assert resumed["via"] == "email" and resumed["from"] == "waiting_user"
    assert resumed["data"]["paused_seconds"] == events(pd, by_hand, "resumed")[-1]["data"]["paused_seconds"] > 0
    assert "Telpa ir 214" in resumed["data"]["answer"]
    # one transaction: the mail's event and the resume are adjacent in the chain, at one instant
    mail_ev = events(pd, by_mail, "mail_received")[-1]
    assert resumed["id"] == mail_ev["id"] + 1 and resumed["at"] == mail_ev["at"]


def test_someone_else_writing_while_waiting_is_a_follow_up_and_does_not_resume(pd):
    n = assigned(pd)
    pd.ok("wait", n, "--question", "Kurā telpā?", user="jberzins")
    res = ingest(pd, M.plain(subject=f"Re: [PD {n}] x", sender="Kolēģis <kolegis@vp.gov.lv>"))
    assert res["action"] == "follow_up" and res["flag"] is None
    assert pd.ok("show", n, "--json").json()["status"] == "waiting_user"


def test_a_reply_after_resolved_is_a_possible_objection_and_is_not_reopened(pd):
    n = pd.register(service="KONSULTACIJA")
    pd.ok("resolve", n, "--result", "Izskaidrots pa tālruni")
    res = ingest(pd, M.plain(subject=f"Re: [PD {n}] Konsultācija", body="Paldies!\n"))
    assert res["action"] == "follow_up" and res["flag"] == "objection"
    assert pd.ok("show", n, "--json").json()["status"] == "resolved"
    entries = pd.ok("queue", "--json").json()["entries"]
    assert [(e["reason"], e["request"]) for e in entries] == [("objection", n)]
    assert "Paldies" in pd.ok("show", n).stdout
    # a plain close is refused, naming the reply (SPEC 15) [§8.10]
    r = pd("close", n)
    assert r.exit_code == 5 and "«Paldies!»" in r.stderr and "janis.berzins@vp.gov.lv" in r.stderr, r.stderr
    # the operator decides: closing it ends the question
    pd.ok("close", n, "--confirmed")
    assert pd.ok("queue", "--json").json()["entries"] == []


def test_mail_to_a_closed_request_becomes_a_new_intake_item_linked_to_it(pd):
    n = pd.register(service="KONSULTACIJA")
    pd.ok("resolve", n, "--result", "Izskaidrots")
    pd.ok("close", n, "--confirmed")
    res = ingest(pd, M.plain(subject=f"Re: [PD {n}] Konsultācija", body="Atkal nestrādā.\n"))
    assert res["action"] == "new" and res["request"] == n and res["intake"]
    item = pd.ok("intake", "show", str(res["intake"]), "--json").json()
    assert item["status"] == "new" and item["related"] == n and item["request"] is None
    assert pd.ok("show", n, "--json").json()["status"] == "closed"
    assert [e["data"]["intake"] for e in events(pd, n, "intake_received")] == [res["intake"]]
    assert f"({n})" in pd.ok("intake", "list").stdout


def test_mail_from_the_assigned_expert_is_marked_as_the_experts_word(pd):
    n = assigned(pd)
    res = ingest(pd, M.plain(subject=f"RE: [PD {n}] Neienāk e-pasts", sender="Jānis Bērziņš <janis.berzins@ic.iem.gov.lv>",
                             body="Pieņemu, ķeros klāt.\n"))
    assert res["flag"] == "expert"
    ev = events(pd, n, "mail_received")[-1]
    assert ev["data"]["sender_role"] == "expert"
    # the operator records what the expert said, through the channel it came
    pd.ok("accept", n, "--via", "email")
    acc = events(pd, n, "accepted")[-1]
    assert acc["via"] == "email" and acc["on_behalf_of"] == "jberzins" and acc["actor"] == "operators1"


def test_a_delivery_failure_marks_the_outbox_message_failed_and_tells_the_desk(pd):
    n = assigned(pd, email="nav.tads@vp.gov.lv")
    user_mail = [m for m in outbox(pd) if m["kind"] == "forwarded_user"][0]
    report = M.dsn(original_message_id=user_mail["message_id"], recipient="nav.tads@vp.gov.lv",
                   original_subject=user_mail["subject"])
    res = ingest(pd, report)
    assert res["action"] == "bounce" and res["request"] == n and res["intake"] is None
    after = {m["id"]: m for m in outbox(pd)}
    assert after[user_mail["id"]]["status"] == "failed"
    assert "nav.tads@vp.gov.lv 5.1.1" in after[user_mail["id"]]["last_error"]
    notices = [m for m in after.values() if m["kind"] == "desk_notice"]
    assert len(notices) == 1 and notices[0]["recipients"] == ["servicedesk@ic.iem.gov.lv"]
    body = pd.ok("mail", "show", str(notices[0]["id"]), "--json").json()["body"]
    assert "nav.tads@vp.gov.lv" in body and "nav piegādāts" in body
    assert [e["data"]["outbox"] for e in events(pd, n, "mail_bounced")] == [user_mail["id"]]
    # the report of a failed desk notice marks it, and begets no further mail
    res = ingest(pd, M.dsn(original_message_id=notices[0]["message_id"], recipient="servicedesk@ic.iem.gov.lv"))
    assert res["action"] == "bounce"
    assert len(outbox(pd)) == len(after)
    # the same report twice is one
    assert ingest(pd, report)["action"] == "duplicate"
    assert len(outbox(pd)) == len(after)


def test_queue_entries_new_items_unseen_follow_ups_and_when_they_are_seen(pd, clock):
    from pd.followups import queue_entries

    clock.set("2026-12-01T09:00")
    n = assigned(pd)
    r1 = ingest(pd, M.plain(subject="Jauns pieteikums", sender="Līga Ērgle <liga.ergle@vugd.gov.lv>",
                            date="Tue, 01 Dec 2026 09:00:00 +0200"))
    r2 = ingest(pd, M.plain(subject=f"Re: [PD {n}] x", body="Papildinu: arī kalendārs.\n"))
    entries = queue_entries(datetime.now(timezone.utc))
    assert [e["reason"] for e in entries] == ["intake_new", "follow_up"]
    new, follow = entries
    assert new["intake"] == r1["intake"] and new["request"] is None and new["due"] is None
    assert new["title"] == "Līga Ērgle: Jauns pieteikums" and "reģistrējiet" in new["detail"]
    assert new["since"].tzinfo is not None and new["since"].utcoffset().total_seconds() == 0
    assert follow["request"] == n and follow["intake"] is None and "vēl nav izskatīt" in follow["detail"]
    assert follow["title"] == f"Jānis Bērziņš: Re: [PD {n}] x"
    # an operator acting on the request has seen it; the event names them
    pd.ok("note", n, "--text", "Lietotājs papildināja")
    assert [e["reason"] for e in queue_entries(datetime.now(timezone.utc))] == ["intake_new"]
    # or explicitly
    ingest(pd, M.plain(subject=f"Re: [PD {n}] y", body="Vēl viens.\n"))
    assert len(queue_entries(datetime.now(timezone.utc))) == 2
    pd.ok("intake", "seen", n, user="operators2")
    seen = events(pd, n, "mail_seen")[-1]
    assert seen["actor"] == "operators2" and len(seen["data"]["messages"]) == 1
    assert [e["reason"] for e in queue_entries(datetime.now(timezone.utc))] == ["intake_new"]
    pd.ok("intake", "ignore", str(r1["intake"]), "--reason", "reklāma")
    assert queue_entries(datetime.now(timezone.utc)) == []
    assert r2["request"] == n


def test_close_auto_leaves_a_request_with_an_unseen_reply_to_the_operator(pd, clock):
    clock.set("2026-12-01T09:00")
    quiet, replied = pd.register(service="KONSULTACIJA"), pd.register(service="KONSULTACIJA")
    for n in (quiet, replied):
        pd.ok("resolve", n, "--result", "Izskaidrots")
    ingest(pd, M.plain(subject=f"Re: [PD {replied}] x", body="Bet tas joprojām nestrādā!\n"))
    clock.set("2026-12-20T09:00")
    pd.ok("close", "--auto", user="system")
    assert pd.ok("show", quiet, "--json").json()["status"] == "closed"
    assert pd.ok("show", replied, "--json").json()["status"] == "resolved"
    # once the operator has read it and judged it no objection, the next run closes it
    pd.ok("intake", "seen", replied)
    pd.ok("close", "--auto", user="system")
    assert pd.ok("show", replied, "--json").json()["status"] == "closed"


def test_queue_entries_are_as_of_the_given_instant(pd, clock):
    from datetime import timedelta

    from pd.followups import queue_entries

    clock.set("2026-12-01T09:00")
    ingest(pd, M.plain(subject="Rīta pasts"))
    at = clock.now
    assert queue_entries(at - timedelta(seconds=1)) == []
    assert [e["title"] for e in queue_entries(at)] == ["Jānis Bērziņš: Rīta pasts"]
    assert queue_entries(at)[0]["since"] == at
