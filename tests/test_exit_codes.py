"""Exit codes (SPEC 11) pinned: 2 usage · 3 invalid input · 4 not found · 5 state · 6 permission ·
7 configuration; one `Error:` line on stderr, nothing on stdout, never a traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest


def reg(**over):
    fields = {"--name": "Jānis Bērziņš", "--institution": "VP", "--service": "EPASTS",
              "--description": "Neienāk e-pasts", "--channel": "phone", "--phone": "26123456",
              "--email": "janis.berzins@vp.gov.lv"}
    fields.update(over)
    args = ["register"]
    for k, v in fields.items():
        if v is not None:
            args += [k, v]
    return args


# (arguments, exit code, words the message must have); {n} is a registered request, {user} via PD_USER
CASES = [
    # 2 usage
    (["show", "{n}", "--bogus"], 2, ["--bogus"]),
    (["registre"], 2, ["registre"]),
    (["assign", "{n}"], 2, ["--expert"]),
    (["list", "--limit", "daudz"], 2, ["--limit"]),
    (["close"], 2, ["--auto"]),
    # 3 invalid input
    (reg(**{"--phone": "12345"}), 3, ["12345"]),
    (reg(**{"--phone": "3612345678"}), 3, ["tālruņa numur"]),
    (reg(**{"--phone": "2612345a"}), 3, ["tālruņa numur"]),
    (reg(**{"--email": "janis.berzins.vp.gov.lv"}), 3, ["e-pasta adres"]),
    (reg(**{"--email": "janis@vp"}), 3, ["e-pasta adres"]),
    (["show", "abc"], 3, ["abc"]),
    (["show", "2026-1234567"], 3, ["2026-1234567"]),
    (["show", "26-000001"], 3, ["26-000001"]),
    (["accept", "2026/000001"], 3, ["2026/000001"]),
    (reg(**{"--channel": "pigeon"}), 3, ["pigeon", "--channel"]),
    (reg(**{"--service": "DATORS"}), 3, ["--location", "--room"]),
    (reg(**{"--received-at": "vakar"}), 3, ["vakar"]),
    (reg(**{"--received-at": "31.02.2026 10:00"}), 3, ["31.02.2026"]),
    (reg(**{"--description": "x" * 5000}), 3, ["apraksts"]),
    (reg(**{"--description": "parole: Vasara2024"}), 3, ["--redact"]),
    (["note", "{n}", "--text", "Kavējas", "--delay-reason", "Piegāde", "--planned", "31.12.2026"], 3, ["--planned"]),
    (["note", "{n}", "--text", "Kavējas", "--delay-reason", "Piegāde"], 3, ["--planned"]),
    (["list", "--status", "pending"], 3, ["pending"]),
    # 4 not found
    (["show", "2026-999999"], 4, ["2026-999999"]),
    (["accept", "2026-999999"], 4, ["2026-999999"]),
    (reg(**{"--service": "TELEPORTS"}), 4, ["TELEPORTS"]),
    (reg(**{"--institution": "NASA"}), 4, ["NASA"]),
    (["assign", "{n}", "--expert", "nezinams"], 4, ["nezinams"]),
    (["catalog", "show", "TELEPORTS"], 4, ["TELEPORTS"]),
    (["contacts", "show", "nezinams"], 4, ["nezinams"]),
    # 5 not allowed in the current state
    (["accept", "{n}"], 5, ["reģistrēts"]),
    (["close", "{n}"], 5, ["reģistrēts"]),
    (["resolve", "{n}", "--result", "Gatavs"], 5, ["reģistrēts"]),
    # 6 not permitted / unknown person
    (["show", "{n}", "{user=svešais}"], 6, ["svešais"]),
    (reg() + ["{user=jberzins}"], 6, ["Jānis Bērziņš"]),  # people by name, never by login (SPEC 12)
    (["assign", "{n}", "--expert", "jberzins", "{user=supervizors}"], 6, ["Zane Priedīte"]),
]


def _ids():
    return [f"{code}-{' '.join(a for a in args if not a.startswith('--'))[:40]}" for args, code, _ in CASES]


@pytest.mark.parametrize("args, code, words", CASES, ids=_ids())
def test_exit_code(pd, args, code, words):
    n = pd.register()
    user = None
    real = []
    for a in args:
        if a.startswith("{user="):
            user = a[6:-1]
        else:
            real.append(a.format(n=n))
    before = pd.ok("audit", "verify", "--json").json()["events"]
    r = pd(*real, user=user)
    assert r.exit_code == code, f"exit {r.exit_code}, wanted {code}: {r.stderr}{r.stdout}"
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    assert r.stdout == "", r.stdout
    assert r.stderr.startswith("Kļūda:" if code != 2 else "Lietojums:") or (code == 2 and "Kļūda" in r.stderr)
    for w in words:
        assert w in r.stderr, f"{w!r} not in {r.stderr!r}"
    if code != 2:
        assert len([line for line in r.stderr.splitlines() if line.strip()]) <= 3  # a message, not a dump
    # nothing was written
    assert pd.ok("audit", "verify", "--json").json()["events"] == before


def _future_schema():
    from pd.config import load_settings
    from pd.db.models import SchemaVersion
    from pd.ledger import Ledger

    Ledger(load_settings())
    SchemaVersion.create(version=999, name="from the future", applied_at=datetime.now(timezone.utc))


@pytest.mark.parametrize("args", [["list"], ["show", "2026-000001"], reg(), ["init"], ["db", "upgrade"],
                                  ["audit", "verify"]])
def test_a_ledger_newer_than_the_code_is_exit_7(pd, args):
    n = pd.register()
    _future_schema()
    r = pd(*args)
    assert r.exit_code == 7, r.stderr
    assert "999" in r.stderr and "jaunāka" in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    # it was not touched: still only one request, still at 999
    from pd.db.models import Request, SchemaVersion

    assert [x.number for x in Request.select()] == [n]
    assert max(v.version for v in SchemaVersion.select()) == 999


@pytest.mark.parametrize("url", ["mysql://localhost/pd", "sqlite:///:memory:", "sqlite:///{tmp}/fails/ledger.sqlite3"])
def test_an_unusable_database_url_is_exit_7(pd, tmp_path, url):
    (tmp_path / "fails").write_text("a file, not a directory")
    r = pd("list", env={"PD_DATABASE_URL": url.format(tmp=tmp_path)})
    assert r.exit_code == 7, r.stderr
    assert "Traceback" not in r.stderr and r.stderr.startswith("Kļūda:")


def test_a_real_process_exits_with_each_code(pd, pd_env):
    """The same codes from `python -m pd`, where the exit status is what cron and scripts see."""
    n = pd.register()
    env = dict(os.environ)
    env.update(pd_env)
    cases = {
        0: ["show", n],
        2: ["show", n, "--bogus"],
        3: ["show", "abc"],
        4: ["show", "2026-999999"],
        5: ["accept", n],
        6: ["show", n],  # as an unknown PD_USER
    }
    procs = {}
    for code, args in cases.items():
        e = dict(env, PD_USER="svešais") if code == 6 else env
        procs[code] = subprocess.Popen([sys.executable, "-m", "pd", *args], env=e, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE)
    for code, p in procs.items():
        out, err = p.communicate(timeout=60)
        err = err.decode("utf-8")
        assert p.returncode == code, f"{cases[code]}: {p.returncode} {err}"
        assert "Traceback" not in err
        if code:
            assert out == b""
    _future_schema()
    p = subprocess.run([sys.executable, "-m", "pd", "list"], env=env, capture_output=True, timeout=60)
    assert p.returncode == 7 and b"Traceback" not in p.stderr and "jaunāka".encode() in p.stderr


def test_a_real_process_prints_one_line(pd, pd_env):
    """A person sees one line naming the problem, nothing more."""
    env = dict(os.environ)
    env.update(pd_env)
    p = subprocess.run([sys.executable, "-m", "pd", "show", "2026-999999"], env=env, capture_output=True, timeout=60)
    line = p.stderr.decode("utf-8").strip()
    assert p.returncode == 4 and "\n" not in line and line == "Kļūda: pieteikums 2026-999999 nav atrasts"
