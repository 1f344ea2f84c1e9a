"""Registration numbers under concurrent writers (SPEC 2): real processes on one ledger, gap-free and unique."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from tests.conftest import ROOT, run_pd

# One writer: waits for the start signal, then registers COUNT requests one after another, each a full
# `pd register` through the CLI entry point (its own settings, connection and write transaction).
WRITER = r"""
import contextlib, io, json, os, sys, time
start, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
import typer.main
from pd.cli import app
cli = typer.main.get_command(app)
while not os.path.exists(start):
    time.sleep(0.002)
for i in range(count):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = cli.main(["register", "--json", "--name", "Rakstītājs Nr. %d" % worker, "--institution", "VP",
                    "--service", "EPASTS", "--description", "Vienlaicīgs pieteikums %d/%d" % (worker, i),
                    "--channel", "email", "--received-at", "2026-06-15T10:00:00+03:00"],
                   prog_name="pd", standalone_mode=False)
    if code not in (None, 0):
        print("EXIT", code, flush=True)
        sys.exit(code)
    print(json.loads(buf.getvalue())["number"], flush=True)
"""

REGISTER = ["register", "--json", "--name", "Anna Kalniņa", "--institution", "VRS", "--service", "VPN",
            "--description", "VPN nepieslēdzas", "--channel", "phone", "--received-at", "2026-06-15T10:00"]


def _env(pd_env):
    env = dict(os.environ)
    env.update(pd_env)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _numbers_in_ledger(pd):
    return [r["number"] for r in pd.ok("list", "--json").json()]


def test_four_processes_register_fifteen_each_gap_free(pd, pd_env, tmp_path):
    pd.ok("init")  # the schema and the YAML snapshots exist before the race
    start = tmp_path / "start"
    env = _env(pd_env)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(start), str(w), "15"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
             for w in range(4)]
    time.sleep(0.3)  # let every writer import pd and wait at the line
    start.write_text("go")
    outputs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, f"writer exited {p.returncode}: {out}{err}"
        assert "Traceback" not in err
    per_writer = [out.split() for out, _ in outputs]
    assert [len(w) for w in per_writer] == [15, 15, 15, 15]
    for w in per_writer:
        assert w == sorted(w)  # each writer's own numbers grow
    numbers = sorted(n for w in per_writer for n in w)
    assert numbers == [f"2026-{i:06d}" for i in range(1, 61)]
    assert _numbers_in_ledger(pd) == numbers
    verify = pd.ok("audit", "verify", "--json").json()
    assert verify["ok"] is True and verify["events"] >= 60


def test_separate_pd_processes_at_once(pd, pd_env):
    """Eight `python -m pd register` processes started together: eight distinct consecutive numbers."""
    pd.ok("init")
    env = _env(pd_env)
    procs = [subprocess.Popen([sys.executable, "-m", "pd", *REGISTER], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(8)]
    results = [(p.communicate(timeout=60), p.returncode) for p in procs]
    numbers = []
    for (out, err), code in results:
        assert code == 0, err.decode("utf-8")
        numbers.append(json.loads(out.decode("utf-8"))["number"])
    assert sorted(numbers) == [f"2026-{i:06d}" for i in range(1, 9)]
    assert _numbers_in_ledger(pd) == sorted(numbers)


def test_the_same_idempotency_key_at_once_registers_one_request(pd, pd_env):
    pd.ok("init")
    env = _env(pd_env)
    procs = [subprocess.Popen([sys.executable, "-m", "pd", *REGISTER, "--idempotency-key", "mail-<abc@vrs>"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    numbers = set()
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode("utf-8")
        numbers.add(json.loads(out)["number"])
    assert numbers == {"2026-000001"}
    assert _numbers_in_ledger(pd) == ["2026-000001"]


def test_numbers_continue_after_a_refused_registration(pd):
    """A registration refused for its input does not use up a number (gap-free)."""
    assert pd.register(received_at="2026-06-15T10:00") == "2026-000001"
    r = pd("register", "--name", "X Y", "--institution", "VP", "--service", "NAV-TADA", "--description", "x",
           "--channel", "phone", "--received-at", "2026-06-15T10:00")
    assert r.exit_code == 4
    r = pd("register", "--name", "X Y", "--institution", "VP", "--service", "EPASTS",
           "--description", "parole: Vasara2024", "--channel", "phone", "--received-at", "2026-06-15T10:00")
    assert r.exit_code == 3
    assert pd.register(received_at="2026-06-15T10:00") == "2026-000002"


def test_a_locked_ledger_is_a_temporary_failure(pd, rawdb):
    """Another writer holds the lock past the busy timeout: exit 8, nothing registered, safe to retry."""
    pd.ok("init")
    with rawdb.write_lock():
        r = run_pd(*REGISTER, env={"PD_BUSY_TIMEOUT": "0.3"})
        assert r.returncode == 8, r.stderr
        assert "Traceback" not in r.stderr and r.stderr.startswith("Kļūda:")
    assert _numbers_in_ledger(pd) == []
    r = run_pd(*REGISTER)
    assert r.returncode == 0 and json.loads(r.stdout)["number"] == "2026-000001"
