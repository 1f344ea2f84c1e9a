"""pd queue (SPEC 14): what needs the desk now, most urgent first, each entry saying why; the
wallboard (--watch) in a real terminal (tmux) at 80 and 120 columns, left with Ctrl-C.

The ledger of `desk_with_every_reason` holds one request for each reason (two late ones), and the
intake hook gives one new mail and one follow-up, as the e-mail intake package will."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import subprocess_env

RIGA = ZoneInfo("Europe/Riga")
NOW = "2027-01-12T11:00"  # a Tuesday, Riga time


def _reply_by_mail(pd, number: str, sender: str, text: str) -> None:
    """A reply to the desk's mail about `number`, taken in by the intake (`pd mail ingest`)."""
    from tests.intake_mail import plain

    raw = plain(sender=sender, subject=f"Re: [PD {number}] Nav pasta", body=text + "\n")
    r = pd("mail", "ingest", "--json", user="system", input=raw)
    assert r.exit_code == 0 and r.json()["request"] == number, r.stderr


@pytest.fixture
def desk_with_every_reason(pd, clock, monkeypatch):
    clock.set("2027-01-04T09:00")
    n = {k: pd.register(description=f"{k}: " + "Neienāk e-pasts kopš rīta, lūdzu palīdzēt ātri " * 2)
         for k in ("not_accepted", "overdue", "due_soon", "returned", "objection", "waiting_long",
                   "ready_to_close", "calm")}
    for k in n:
        respond, resolve = "2027-01-13T09:00", "2027-01-14T09:00"
        if k == "not_accepted":
            respond = "2027-01-12T09:00"
        if k == "overdue":
            respond, resolve = "2027-01-05T09:00", "2027-01-12T10:30"
        if k == "due_soon":
            respond = "2027-01-12T11:40"
        pd.ok("assign", n[k], "--expert", "jberzins", "--respond-by", respond, "--resolve-by", resolve)
        if k not in ("not_accepted", "due_soon", "returned"):
            pd.ok("accept", n[k], user="jberzins")
    clock.set("2027-01-05T10:00")
    pd.ok("resolve", n["ready_to_close"], "--result", "Pastkaste atjaunota", user="jberzins")
    clock.set("2027-01-08T15:00")
    pd.ok("wait", n["waiting_long"], "--question", "Kurā kabinetā?", user="jberzins")
    clock.set("2027-01-11T12:00")
    pd.ok("resolve", n["objection"], "--result", "Salabots", user="jberzins")
    clock.set("2027-01-12T09:15")
    pd.ok("reject", n["returned"], "--reason", "Tas ir tīkla jautājums", user="jberzins")
    clock.set("2027-01-12T10:00")
    _reply_by_mail(pd, n["objection"], "janis.berzins@vp.gov.lv", "Joprojām nestrādā!")
    n["not_forwarded"] = pd.register(description="not_forwarded: Printeris nedrukā")  # registered, never assigned
    clock.set(NOW)
    now = clock.now
    monkeypatch.setattr("pd.queue._intake_entries", lambda at: [
        {"reason": "follow_up", "request": n["calm"], "intake": None, "since": at - timedelta(minutes=5),
         "due": None, "title": "Re: Nav pasta", "detail": "mail from janis.berzins@vp.gov.lv 5 min ago"},
        {"reason": "intake_new", "request": None, "intake": 7, "since": at - timedelta(minutes=20),
         "due": None, "title": "Printeris nedrukā", "detail": "new mail from ilze@vp.gov.lv 20 min ago"},
    ])
    return n, now


def test_every_reason_in_urgency_order(pd, desk_with_every_reason):
    n, now = desk_with_every_reason
    doc = pd.ok("queue", "--json").json()
    assert doc["now"] == "2027-01-12T11:00:00+02:00"
    got = [(e["reason"], e["request"], e["intake"], e["detail"]) for e in doc["entries"]]
    assert got == [
        ("late", n["not_accepted"], None, "late by 2 h (not accepted)"),
        ("late", n["overdue"], None, "late by 30 min (resolution)"),
        ("due_soon", n["due_soon"], None, "due in 40 min (response)"),
        ("not_forwarded", n["not_forwarded"], None, "registered 1 h ago, not yet forwarded to an expert"),
        ("returned", n["returned"], None, "returned by jberzins 1 h 45 min ago"),
        ("intake_new", None, 7, "new mail from ilze@vp.gov.lv 20 min ago"),
        ("follow_up", n["calm"], None, "mail from janis.berzins@vp.gov.lv 5 min ago"),
        ("objection", n["objection"], None,
         f"reply from janis.berzins@vp.gov.lv 1 h ago, after the result: «Joprojām nestrādā!»; reopen, "
         f"close --reason, or pd intake seen {n['objection']} if it is no objection"),
        ("waiting_long", n["waiting_long"], None, "waiting for the user 3 d 20 h"),
        ("ready_to_close", n["ready_to_close"], None, "resolved 7 d 1 h ago, no objection"),
    ]
    first = doc["entries"][0]
    assert set(first) == {"reason", "request", "intake", "since", "due", "title", "detail"}
    assert first["due"] == "2027-01-12T09:00:00+02:00"
    assert first["title"].startswith("not_accepted: Neienāk e-pasts") and first["title"].endswith("…")
    assert len(first["title"]) == 60
    assert doc["entries"][5]["due"] is None
    for e in doc["entries"]:
        assert datetime.fromisoformat(e["since"]).utcoffset() == timedelta(hours=2)


def test_piped_it_is_plain_text_in_the_same_order(pd, desk_with_every_reason):
    n, _ = desk_with_every_reason
    r = pd.ok("queue")
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["why", "number", "due", "since", "detail", "title"]
    assert "\x1b" not in r.stdout
    assert lines[1].startswith("LATE") and n["not_accepted"] in lines[1] and "12.01.2027 09:00" in lines[1]
    assert [ln.split()[0] for ln in lines[1:]] == ["LATE", "LATE", "due", "not", "returned", "new", "follow-up",
                                                   "objection", "waiting", "to"]


def test_the_late_rule_is_escalate_overdues(pd, desk_with_every_reason):
    """Late in the queue = late for escalate-overdue (one rule, pd.escalation.late_conditions)."""
    n, now = desk_with_every_reason
    late = {e["request"] for e in pd.ok("queue", "--json").json()["entries"] if e["reason"] == "late"}
    found = pd.ok("escalate-overdue", "--dry-run", "--json", "--now", now.isoformat()).json()["escalations"]
    assert late == {f["number"] for f in found} == {n["not_accepted"], n["overdue"]}


def test_a_delay_reported_in_time_holds_and_its_end_may_be_due_soon(pd, clock):
    clock.set("2027-01-04T09:00")
    a = pd.register()
    pd.ok("assign", a, "--expert", "jberzins", "--respond-by", "2027-01-04T10:00", "--resolve-by", "2027-01-05T10:00")
    pd.ok("accept", a, user="jberzins")
    pd.ok("note", a, "--text", "Kavējas", "--delay-reason", "Piegāde", "--planned", "2027-01-06", user="jberzins")
    clock.set("2027-01-06T12:00")
    assert pd.ok("queue", "--json").json()["entries"] == []
    clock.set("2027-01-06T23:30")
    (e,) = pd.ok("queue", "--json").json()["entries"]
    assert (e["reason"], e["due"], e["detail"]) == ("due_soon", "2027-01-07T00:00:00+02:00",
                                                    "due in 30 min (resolution)")
    clock.set("2027-01-07T00:10")
    (e,) = pd.ok("queue", "--json").json()["entries"]
    assert (e["reason"], e["detail"]) == ("late", "late by 10 min (resolution)")


def test_empty_queue_and_watch_needs_a_terminal(pd):
    r = pd.ok("queue")
    assert (r.stdout, r.stderr) == ("", "Nothing needs the desk now.\n")
    assert pd.ok("queue", "--json").json()["entries"] == []
    r = pd("queue", "--watch")
    assert r.exit_code == 2 and r.stderr.startswith("Kļūda: --watch needs a terminal")


# ---------------------------------------------------------------- the wallboard in a real terminal
def _tmux(*args: str, check: bool = True) -> str:
    return subprocess.run(["tmux", "-L", "pdqueuetest", *args], capture_output=True, text=True, check=check,
                          timeout=20).stdout


def _screen(until, timeout: float = 15) -> str:
    end = time.monotonic() + timeout
    text = ""
    while time.monotonic() < end:
        text = _tmux("capture-pane", "-p", "-t", "wall")
        if until(text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"the screen never showed what was expected:\n{text}")


def _real_now_ledger(pd, clock) -> dict:
    """Requests late and due soon by the real clock (the wallboard runs as its own process)."""
    real = datetime.now(timezone.utc).replace(microsecond=0)
    clock.now = real - timedelta(hours=3)
    late, soon = pd.register(name="Ķēniņš"), pd.register(name="Ūdre")
    pd.ok("assign", late, "--expert", "jberzins", "--respond-by", (real - timedelta(hours=2)).isoformat(),
          "--resolve-by", (real + timedelta(days=2)).isoformat())
    pd.ok("assign", soon, "--expert", "jberzins", "--respond-by", (real + timedelta(minutes=45)).isoformat(),
          "--resolve-by", (real + timedelta(days=2)).isoformat())
    clock.now = None
    return {"late": late, "soon": soon,
            "late_due": (real - timedelta(hours=2)).astimezone(RIGA).strftime("%d.%m.%Y %H:%M"),
            "soon_due": (real + timedelta(minutes=45)).astimezone(RIGA).strftime("%d.%m.%Y %H:%M")}


def _check_whole(text: str, n: dict, width: int) -> None:
    lines = text.splitlines()
    assert all(len(ln) <= width for ln in lines)
    late_line = next(ln for ln in lines if n["late"] in ln)
    soon_line = next(ln for ln in lines if n["soon"] in ln)
    assert "LATE" in late_line and n["late_due"] in late_line
    assert "due soon" in soon_line and n["soon_due"] in soon_line
    assert re.search(r"late by 2 h", text)


@pytest.mark.parametrize("width", [80, 120])
def test_watch_in_tmux_fits_redraws_on_resize_and_leaves_on_ctrl_c(pd, clock, pd_env, tmp_path, width):
    assert shutil.which("tmux"), "tmux is needed for the wallboard test"
    n = _real_now_ledger(pd, clock)
    env = subprocess_env(pd_env, TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    script = tmp_path / "wall.sh"
    rc = tmp_path / "rc"
    # the shell survives the Ctrl-C it shares with pd (a handler, not an ignore: pd must get SIGINT)
    script.write_text("trap 'true' INT\nprintf 'before the wallboard\\n'\n"
                      f"{sys.executable} -m pd queue --watch --interval 30\n"
                      f"echo $? > {rc}\nprintf 'AFTER\\n'\nsleep 60\n")
    _tmux("kill-server", check=False)
    try:
        _tmux("new-session", "-d", "-s", "wall", "-x", str(width), "-y", "30",
              *[f"-e{k}={v}" for k, v in env.items() if k.startswith(("PD_", "PYTHON", "TERM", "PATH"))],
              "-eCOLUMNS=80", "-eLINES=24",  # exported by a shell long ago: the wallboard follows the terminal
              "sh", str(script))
        # (a detached tmux may settle the pane's size just after pd started: pd follows within 0.5 s)
        text = _screen(lambda t: n["soon"] in t and ("since" in t) == (width >= 110))
        assert "before the wallboard" not in text  # the alternate screen
        _check_whole(text, n, width)
        other = 120 if width == 80 else 80
        _tmux("resize-window", "-t", "wall", "-x", str(other), "-y", "30")
        text = _screen(lambda t: ("since" in t) == (other >= 110) and n["soon"] in t)
        _check_whole(text, n, other)  # redrawn at once, long before the 30 s refresh
        _tmux("send-keys", "-t", "wall", "C-c")
        text = _screen(lambda t: "AFTER" in t)
        assert rc.read_text().strip() == "0"
        assert "before the wallboard" in text and "pd queue ·" not in text and n["late"] not in text
        assert "Traceback" not in text and "Error" not in text
    finally:
        _tmux("kill-server", check=False)


@pytest.mark.parametrize("width", [80, 120])
def test_watch_says_how_many_entries_did_not_fit_on_the_screen(pd, clock, pd_env, tmp_path, width):
    """Issue 19: at 80x24 the wallboard showed 11 of 23 entries with no word that more exist."""
    assert shutil.which("tmux"), "tmux is needed for the wallboard test"
    real = datetime.now(timezone.utc).replace(microsecond=0)
    clock.now = real - timedelta(hours=3)
    numbers = []
    for i in range(23):
        n = pd.register(name=f"Pieteicējs {i}", description="Neienāk e-pasts kopš rīta, lūdzu palīdzēt ātri " * 2)
        pd.ok("assign", n, "--expert", "jberzins", "--respond-by", (real - timedelta(hours=2)).isoformat(),
              "--resolve-by", (real + timedelta(days=2)).isoformat())
        numbers.append(n)
    clock.now = None
    env = subprocess_env(pd_env, TERM="xterm-256color", PD_LANG="en")
    env.pop("NO_COLOR", None)
    script = tmp_path / "wall.sh"
    script.write_text(f"trap 'true' INT\n{sys.executable} -m pd queue --watch --interval 30\nsleep 60\n")
    _tmux("kill-server", check=False)
    try:
        _tmux("new-session", "-d", "-s", "wall", "-x", str(width), "-y", "24",
              *[f"-e{k}={v}" for k, v in env.items() if k.startswith(("PD_", "PYTHON", "TERM", "PATH"))],
              "sh", str(script))
        text = _screen(lambda t: "did not fit" in t and ("since" in t) == (width >= 110))
        lines = text.rstrip("\n").splitlines()
        assert len(lines) <= 24 and all(len(x) <= width for x in lines)
        assert "23 waiting for the desk" in lines[0]
        shown = [n for n in numbers if n in text]
        more = re.search(r"… (\d+) more entries did not fit on the screen; pd queue lists them all", text)
        assert more and len(shown) + int(more.group(1)) == 23, (len(shown), more and more.group(1))
        # the most urgent, one line each (the title gives way before the detail wraps): 24 lines less the
        # heading, the table header, the "more" line and the footer
        assert shown == numbers[:20]
        assert "refreshed every 30 s" in lines[-1]  # the footer, not cut off at the bottom
        _tmux("resize-window", "-t", "wall", "-x", str(width), "-y", "70")  # room for all: no such line
        text = _screen(lambda t: "did not fit" not in t and numbers[-1] in t)
        assert all(n in text for n in numbers)
        _tmux("send-keys", "-t", "wall", "C-c")
    finally:
        _tmux("kill-server", check=False)


def test_the_more_line_in_latvian_takes_the_right_plural():
    from pd.commands.queue import more_line

    assert more_line(1, "lv") == "… vēl 1 ieraksts neietilpa ekrānā; visus rāda pd queue"
    assert more_line(21, "lv").startswith("… vēl 21 ieraksts ")
    assert more_line(11, "lv").startswith("… vēl 11 ieraksti ")
    assert more_line(12, "lv").startswith("… vēl 12 ieraksti ")
    assert more_line(1, "en") == "… 1 more entry did not fit on the screen; pd queue lists them all"
    assert more_line(2, "en").startswith("… 2 more entries ")
