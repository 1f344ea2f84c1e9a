"""Interactive `pd register` driven through a real pseudo-terminal (pexpect): each answer is
checked as it is typed and asked again with the reason; institutions and services are offered
by number; a returning caller's details are offered; Ctrl-C stores nothing and exits 130."""
from __future__ import annotations

import json
import re
import sys
import time

import pexpect
import pytest

from tests.conftest import run_pd, subprocess_env


def spawn(pd_env, *args, lang="en", **extra):
    env = subprocess_env(pd_env, PD_LANG=lang, **extra)
    env.pop("NO_COLOR", None)
    return pexpect.spawn(sys.executable, ["-m", "pd", "register", *args], env=env, encoding="utf-8",
                         timeout=30, dimensions=(50, 100))


def finish(child) -> int:
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus


def requests(pd) -> list[dict]:
    return pd.ok("list", "--json").json()


def test_every_answer_is_checked_and_asked_again_with_the_reason(pd, pd_env):
    c = spawn(pd_env)
    c.expect("Phone"); c.sendline("12345")
    c.expect("has 5 digits; a Latvian number has 8"); c.expect("Phone"); c.sendline("2612 3456")
    c.expect("E-mail"); c.sendline("jānis@vp.gov.lv")
    c.expect("only ASCII"); c.expect("E-mail"); c.sendline("anna.liepa@vp.gov.lv")
    c.expect("Name and surname"); c.sendline("Anna Liepa")
    c.expect(r"VP\s+Valsts policija")  # the institutions are offered, numbered
    c.expect("Institution"); c.sendline("XX")
    c.expect("no institution 'XX'"); c.expect("Institution"); c.sendline("?")
    c.expect(r"2\s+VP"); c.expect("Institution"); c.sendline("vp")
    c.expect(r"5\s+VPN\s+"); c.expect("Service"); c.sendline("99")
    c.expect(r"99 is not in the list \(1–16\)"); c.expect("Service"); c.sendline("12")  # DATORS: needs a location
    c.expect("Location"); c.sendline("Čiekurkalna 1. līnija 1")
    c.expect("Room"); c.sendline("214")
    c.expect("Description"); c.sendline("Dators neieslēdzas, parole: Ziema2026")
    c.expect("password or PIN"); c.expect("Description"); c.sendline("Dators neieslēdzas")
    c.expect("Channel"); c.sendline("telegrāfs")
    c.expect(r"is not one of phone, fax, e-mail, other")
    c.expect("Channel"); c.sendline("telefons")
    c.expect(r"Urgent\?"); c.sendline("n")
    c.expect(r"(\d{4}-\d{6}) registered")
    number = c.match.group(1)
    c.expect(r"response by (\d\d\.\d\d\.\d{4} \d\d:\d\d), resolution by (\d\d\.\d\d\.\d{4} \d\d:\d\d) \(Riga time\)")
    assert finish(c) == 0
    d = pd.ok("show", number, "--json").json()
    r = d["requester"]
    assert (r["name"], r["institution"], r["phone"], r["email"], r["location"], r["room"]) == (
        "Anna Liepa", "VP", "+37126123456", "anna.liepa@vp.gov.lv", "Čiekurkalna 1. līnija 1", "214")
    assert (d["service"], d["channel"], d["description"], d["urgent"]) == ("DATORS", "phone", "Dators neieslēdzas", False)
    assert "Ziema2026" not in json.dumps(d)


def test_latvian_prompts_take_a_number_for_the_service_and_a_latvian_channel_word(pd, pd_env):
    c = spawn(pd_env, "--name", "Jānis Bērziņš", "--institution", "VRS", "--phone", "67123456",
              "--email", "janis@vrs.gov.lv", lang="lv")
    c.expect("Pakalpojums"); c.sendline("5")
    c.expect("Apraksts"); c.sendline("VPN nestrādā")
    c.expect(r"Saņemšanas veids .*\[tālrunis\]"); c.sendline("e-pasts")
    c.expect(r"Steidzams\? \[j/N\]"); c.sendline("J")
    c.expect(r"Pieteicējam: reaģēšanas termiņš \d\d\.\d\d\.\d{4} \d\d:\d\d, izskatīšanas termiņš \d\d\.\d\d\.\d{4} \d\d:\d\d")
    assert finish(c) == 0
    (d,) = requests(pd)
    assert (d["service"], d["channel"], d["urgent"]) == ("VPN", "email", True)


def test_a_known_phone_offers_the_callers_earlier_details(pd, pd_env):
    first = pd.register(name="Līga Ozola", institution="PMLP", phone="+371 2000 1111", email="liga.ozola@pmlp.gov.lv",
                        unit="Vīzu nodaļa", position="vecākā inspektore")
    c = spawn(pd_env, "--service", "EPASTS", "--description", "Pastkaste pilna", "--channel", "phone")
    c.expect("Phone"); c.sendline("20001111")
    c.expect(f"This caller has called before \\({first}\\)")
    c.expect("Līga Ozola, PMLP, Vīzu nodaļa, vecākā inspektore, \\+37120001111, liga.ozola@pmlp.gov.lv")
    c.expect(r"Use these details\? \[Y/n\]"); c.sendline("")  # Enter accepts
    c.expect(r"Urgent\?"); c.sendline("")
    c.expect("registered")
    assert finish(c) == 0
    second = requests(pd)[-1]
    assert second["number"] != first
    assert second["requester"] == pd.ok("show", first, "--json").json()["requester"]


def test_an_empty_email_needs_a_confirmation(pd, pd_env):
    c = spawn(pd_env, "--name", "Anna", "--institution", "VP", "--service", "EPASTS", "--description", "x y z",
              "--channel", "fax", "--urgent")
    c.expect("Phone"); c.sendline("")
    c.expect(r"Without a phone .*Leave it empty\? \[y/N\]"); c.sendline("y")
    c.expect("E-mail"); c.sendline("")
    c.expect(r"not informed .*Leave it empty\? \[y/N\]"); c.sendline("")  # no: asked again
    c.expect("E-mail"); c.sendline("anna@vp.gov.lv")
    c.expect("registered")
    assert finish(c) == 0
    (d,) = requests(pd)
    assert (d["requester"]["phone"], d["requester"]["email"]) == ("", "anna@vp.gov.lv")


ANSWERS = (("Institution", "VP"), ("Service", "1"), ("Description", "Neienāk pasts"), ("Channel", "phone"))


@pytest.mark.parametrize("at", ["Phone", "Institution", "Description", r"Urgent\?"])
def test_ctrl_c_at_any_prompt_exits_130_and_stores_nothing(pd, pd_env, rawdb, at):
    pd.register()
    counts = "SELECT (SELECT COUNT(*) FROM request), (SELECT COUNT(*) FROM event), (SELECT COUNT(*) FROM outbox_message)"
    before = rawdb.execute(counts)
    c = spawn(pd_env, *([] if at == "Phone" else ["--phone", "26000000", "--email", "a@vp.gov.lv", "--name", "A B"]))
    if at != "Phone":
        for prompt, answer in ANSWERS:
            if prompt == at:
                break
            c.expect(prompt)
            c.sendline(answer)
    c.expect(at)
    time.sleep(0.5)  # a person presses Ctrl-C once the prompt waits for input (readline has set up)
    c.sendintr()
    c.expect("nothing was registered")
    finish(c)
    assert c.exitstatus == 130, (c.exitstatus, c.signalstatus)
    assert rawdb.execute(counts) == before


def test_elsewhere_a_missing_field_is_still_exit_3(pd_env):
    r = run_pd("register", "--name", "A", env=subprocess_env(pd_env), input="")
    assert r.returncode == 3 and "trūkst: --institution" in r.stderr


def _settle(child, pattern: str) -> str:
    """What the terminal was sent until `pattern` (readline answers a Tab with redraws, not lines)."""
    child.expect(pattern)
    return child.before + child.after


@pytest.mark.parametrize("width", [80, 120])
def test_tab_completes_the_prefix_typed_and_lists_only_its_matches(pd, pd_env, width):
    """Issue 19: Tab turned "IS-D" into "IS-DATORS" (it completed the "D" after the dash) and refused it,
    offered all 16 codes for "IS-", and drew over the prompt."""
    env = subprocess_env(pd_env, PD_LANG="en")
    env.pop("NO_COLOR", None)
    c = pexpect.spawn(sys.executable, ["-m", "pd", "register", "--name", "Jānis Bērziņš", "--institution", "VRS",
                                       "--phone", "67123456", "--email", "janis@vrs.gov.lv"],
                      env=env, encoding="utf-8", timeout=30, dimensions=(40, width))
    prompt = "Service (number or code) (Tab completes, ? lists): "
    c.expect_exact(prompt)
    c.send("IS-\t\t")  # two Tabs: the matches are listed, then the prompt is drawn again, whole, with "IS-"
    listed = _settle(c, re.escape(prompt) + "IS-")
    every = ["EPASTS", "EPASTS-KONTS", "EPASTS-SPAM", "INTERNETS", "VPN", "WIFI", "IS-PIEKLUVE", "PAROLE",
             "IS-IIS", "IS-RMS", "IS-DVS", "DATORS", "PRINTERIS", "TALRUNIS", "PROGRAMMATURA", "KONSULTACIJA"]
    offered = {code for code in every if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", listed)}
    assert offered == {"IS-PIEKLUVE", "IS-IIS", "IS-RMS", "IS-DVS"}, offered
    c.send("d\t")  # lower case: completed to the one code it begins
    c.expect_exact("DVS")
    c.send("\r")
    c.expect("Description")  # accepted, not refused
    after = c.before
    assert "✗" not in after and "no service" not in after
    c.sendline("Dokumenti neatveras")
    c.expect("Channel"); c.sendline("phone")
    c.expect(r"Urgent\?"); c.sendline("n")
    c.expect(r"\d{4}-\d{6} registered")
    assert finish(c) == 0
    (d,) = requests(pd)
    assert d["service"] == "IS-DVS"


@pytest.mark.parametrize("width", [80, 120])
def test_tab_on_the_screen_keeps_the_prompt_and_the_answer(pd_env, tmp_path, width):
    """The screen itself (tmux): after Tab Tab the list of matches stands under the prompt and the prompt
    is drawn again whole, with the answer as typed; Tab on "EPASTS-K" completes it, nothing drawn over."""
    import shutil
    import subprocess

    assert shutil.which("tmux")
    env = subprocess_env(pd_env, PD_LANG="lv", TERM="xterm-256color")

    def tmux(*args):
        return subprocess.run(["tmux", "-L", "pdregtab", *args], capture_output=True, text=True, timeout=20,
                              check=False).stdout

    def screen(until) -> str:
        end = time.monotonic() + 15
        text = ""
        while time.monotonic() < end:
            text = tmux("capture-pane", "-p", "-t", "reg")
            if until(text):
                return text
            time.sleep(0.2)
        raise AssertionError(text)

    script = tmp_path / "reg.sh"
    script.write_text(f"{sys.executable} -m pd register --name 'Anna Liepa' --institution VP --phone 67123456 "
                      f"--email anna@vp.gov.lv\nsleep 60\n")
    tmux("kill-server")
    try:
        tmux("new-session", "-d", "-s", "reg", "-x", str(width), "-y", "40",
             *[f"-e{k}={v}" for k, v in env.items() if k.startswith(("PD_", "PYTHON", "TERM", "PATH", "XDG"))],
             "sh", str(script))
        prompt = "Pakalpojums (numurs vai kods) (Tab papildina, ? saraksts): "
        screen(lambda t: prompt.rstrip() in t)  # (tmux leaves out a line's trailing spaces)
        tmux("send-keys", "-t", "reg", "EPASTS", "Tab", "Tab")
        text = screen(lambda t: t.count(prompt.rstrip()) == 2 and t.rstrip().endswith("EPASTS"))
        lines = [x.rstrip() for x in text.splitlines() if x.strip()]
        first = lines.index(prompt.rstrip() + " EPASTS")  # the prompt as typed, untouched
        assert lines[-1] == prompt + "EPASTS"  # drawn again whole after the list
        listed = " ".join(lines[first + 1:-1]).split()
        assert sorted(listed) == ["EPASTS", "EPASTS-KONTS", "EPASTS-SPAM"]
        assert all(len(x) <= width for x in text.splitlines())
        tmux("send-keys", "-t", "reg", "-l", "--", "-k")
        tmux("send-keys", "-t", "reg", "Tab")
        text = screen(lambda t: t.rstrip().splitlines()[-1].rstrip() == prompt + "EPASTS-KONTS")
        tmux("send-keys", "-t", "reg", "Enter")
        text = screen(lambda t: "Apraksts:" in t)
        assert "✗" not in text  # accepted as completed
    finally:
        tmux("kill-server")
