"""What reaches a terminal is safe (issue 18, item 5): control characters from stored mail are shown,
never obeyed, in every view (plain text piped, rich tables and pd's own layout on a real terminal),
while the ledger keeps the original and --json stays exact."""
from __future__ import annotations

import base64
import os
import pty
import select
import subprocess
import sys

import pytest

from tests.conftest import subprocess_env

DESK = "servicedesk@ic.iem.gov.lv"
CLEAR = "\x1b[2J\x1b[H"                    # clear the screen
HIDDEN = "\x1b[8mslepeni\x1b[0m"           # hidden text
OSC52 = "\x1b]52;c;cm0gLXJmIH4K\x07"       # write the operator's clipboard
C1 = "\x9b31m"                            # CSI as one C1 character
RLO = "\u202eexe.txt"                     # right-to-left override
HOSTILE = (CLEAR, HIDDEN, OSC52, C1, RLO)
RAW = ("\x1b", "\x07", "\x9b", "\u202e")  # none of these may reach the terminal


def _word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode('utf-8')).decode('ascii')}?="


def hostile_mail(subject_extra: str = "", message_id: str = "<hostile-1@vp.gov.lv>", subject: str | None = None) -> bytes:
    name = f"Jānis{CLEAR} Bērziņš{RLO}"
    subject = subject or f"Neienāk e-pasts{HIDDEN}{OSC52}{subject_extra}"
    body = f"Labdien!\nE-pasts neienāk{CLEAR}.{OSC52}\nSkat. pielikumu {RLO} {C1}beigas\n"
    head = (f"From: {_word(name)} <janis.berzins@vp.gov.lv>\nTo: <{DESK}>\nSubject: {_word(subject)}\n"
            f"Date: Tue, 01 Dec 2026 09:12:00 +0200\nMessage-ID: {message_id}\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n")
    return head.replace("\n", "\r\n").encode("ascii") + base64.encodebytes(body.encode("utf-8"))


def _ingest(pd, raw: bytes) -> dict:
    r = pd("mail", "ingest", "--json", user="system", input=raw)
    assert r.exit_code == 0, r.stderr
    return r.json()


def _safe(text: str, where: str) -> None:
    for ch in RAW:
        assert ch not in text, f"{where}: raw {ch!r} reaches the terminal: {text!r}"


@pytest.fixture
def hostile(pd):
    """A hostile mail as a new intake item, another one registered as a request, and a follow-up."""
    pd.ok("init")
    first = _ingest(pd, hostile_mail())
    second = _ingest(pd, hostile_mail(message_id="<hostile-2@vp.gov.lv>"))
    number = pd.ok("intake", "register", str(second["intake"]), "--service", "EPASTS", "--institution", "VP",
                   "--phone", "26123456", "--name", "Jānis Bērziņš", "--email", "janis.berzins@vp.gov.lv", "--description", "Neienāk e-pasts", "--json").json()["number"]
    _ingest(pd, hostile_mail(subject_extra=f" [PD {number}]", message_id="<hostile-3@vp.gov.lv>"))
    return {"intake": first["intake"], "number": number}


def test_the_ledger_and_json_keep_the_original(pd, hostile):
    item = pd.ok("intake", "show", str(hostile["intake"]), "--json").json()
    assert OSC52 in item["subject"] and "\x1b" in item["from"] and RLO in item["text"]  # stored as it came
    shown = pd.ok("show", hostile["number"], "--json")
    assert "\x1b" not in shown.stdout and "\u202e" not in shown.stdout and "\x9b" not in shown.stdout  # escaped
    assert OSC52 in "".join(e["data"].get("subject", "") for e in shown.json()["events"])  # and exact


def test_every_plain_view_shows_control_characters_visibly(pd, hostile):
    """Failed before: ESC, BEL, C1 and U+202E came out raw in each of these views."""
    views = [("intake", "list"), ("intake", "show", str(hostile["intake"])), ("queue",), ("show", hostile["number"]),
             ("list",), ("search", "neienāk")]
    for args in views:
        r = pd.ok(*args)
        _safe(r.stdout + r.stderr, "pd " + " ".join(args))
    shown = pd.ok("intake", "show", str(hostile["intake"])).stdout
    assert "␛]52;c;cm0gLXJmIH4K␇" in shown and "⟪U+202E⟫exe.txt" in shown and "⟪U+009B⟫31m" in shown
    assert "E-pasts neienāk␛[2J␛[H." in shown.splitlines()[-3:][0] or "E-pasts neienāk␛[2J␛[H." in shown
    assert "Labdien!\n" in shown  # a body keeps its lines


def _on_a_terminal(pd_env: dict, *args: str, columns: int = 200) -> str:
    """`pd ARGS` with its stdout on a real pseudo-terminal (rich tables, pd's own colours)."""
    master, slave = pty.openpty()
    env = subprocess_env(pd_env, COLUMNS=str(columns), LINES="50", TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    p = subprocess.Popen([sys.executable, "-m", "pd", *args], stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=subprocess.PIPE, env=env)
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not data:
            break
        chunks.append(data)
    p.wait(timeout=60)
    os.close(master)
    err = p.stderr.read().decode()
    assert p.returncode == 0, err
    return b"".join(chunks).decode("utf-8")


def test_every_terminal_view_shows_control_characters_visibly(pd, pd_env, hostile):
    """On a real terminal pd draws with rich or its own layout and colours: still nothing hostile comes
    through, and no rich markup in a subject is obeyed."""
    views = [("intake", "list"), ("queue",), ("show", hostile["number"]), ("list",), ("search", "neienāk"),
             ("intake", "show", str(hostile["intake"]))]
    for args in views:
        screen = _on_a_terminal(pd_env, *args)
        for seq in HOSTILE:
            assert seq not in screen, (args, seq, screen)
        assert "\x07" not in screen and "\x9b" not in screen and "\u202e" not in screen, (args, screen)
        assert "\x1b]" not in screen, (args, screen)  # no OSC at all: pd itself never writes one
        assert "\x1b[2J" not in screen and "\x1b[8m" not in screen, (args, screen)


def test_rich_markup_in_a_subject_is_text(pd, pd_env):
    pd.ok("init")
    raw = hostile_mail(subject="[link=https://evil.example]x[/link]", message_id="<markup@vp.gov.lv>")
    _ingest(pd, raw)
    screen = _on_a_terminal(pd_env, "intake", "list", columns=250)
    assert "[link=https://evil.example]" in screen
    assert "\x1b]8;" not in screen  # no hyperlink made of it


def test_visible_keeps_lines_and_shows_every_unsafe_character():
    from pd.visible import json_safe, visible

    assert visible("a\tb\nc\r\nd") == "a\tb\nc\nd"
    assert visible("a\rb") == "a␍b"
    assert visible("a\nb", lines=False) == "a␊b"
    for c in [*map(chr, range(0x20)), "\x7f", *map(chr, range(0x80, 0xA0)), "\u202a", "\u202e", "\u2066",
              "\u2069", "\u200e", "\u200f", "\u061c", "\u2028", "\u2029", "\ufeff", "\u200b"]:
        if c in "\t\n\r":
            continue
        shown = visible(f"x{c}y")
        assert c not in shown and shown.startswith("x") and shown.endswith("y"), repr(c)
    assert visible("Bērziņš 👩‍💻 ķēķis") == "Bērziņš 👩‍💻 ķēķis"  # letters and a joined emoji stay
    assert json_safe('{"a": "x\u202ey\x9b"}') == '{"a": "x\\u202ey\\u009b"}'
