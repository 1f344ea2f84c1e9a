"""What an admin installs as it is (SPEC 16): deploy/systemd's units and timers pass
`systemd-analyze verify` (warnings included), every command they and deploy/cron/pd run is a
real pd command with real options, and both say the same schedule."""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

UNITS = ROOT / "deploy" / "systemd"
CRON = ROOT / "deploy" / "cron" / "pd"
PD = "/opt/pd/bin/pd"
# job -> (its pd command, the timer's OnCalendar, the cron schedule)
JOBS = {
    "pd-escalate-overdue": ("escalate-overdue", "*:0/5", "*/5 * * * *"),
    "pd-mail-send": ("mail send", "*:*:00", "* * * * *"),
    "pd-close-auto": ("close --auto", "*-*-* 02:30:00 Europe/Riga", "30 2 * * *"),
    "pd-report-monthly": ("report monthly --send --out /var/lib/pd/reports", "*-*-01 08:00:00 Europe/Riga",
                          "0 8 1 * *"),
}


def _keys(path: Path, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith(key + "=")]


def test_systemd_analyze_verifies_every_unit(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.fail("systemd-analyze is needed to check deploy/systemd (Debian: apt-get install systemd); "
                    "scripts/test installs it when run as root")
    files = sorted(p.name for p in UNITS.iterdir())
    assert files == sorted([f"{j}.{kind}" for j in JOBS for kind in ("service", "timer")] + ["pd-mail-fetch.service"])
    # verify checks that ExecStart's program exists: point it at this checkout's pd
    pd_here = Path(sys.executable).with_name("pd")
    assert pd_here.is_file()
    for name in files:
        text = (UNITS / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace(PD, str(pd_here)), encoding="utf-8")
    r = subprocess.run([tool, "verify", "--man=no", *files], cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr  # an unknown key is only a warning: none


def test_the_units_run_pd_as_its_own_user_hardened():
    for unit in UNITS.glob("*.service"):
        assert _keys(unit, "User") == ["pd"] and _keys(unit, "ProtectSystem") == ["strict"], unit.name
        assert _keys(unit, "NoNewPrivileges") == ["yes"] and _keys(unit, "StateDirectory") == ["pd"], unit.name
        assert _keys(unit, "ExecStart")[0].startswith(PD + " "), unit.name
    fetch = UNITS / "pd-mail-fetch.service"
    assert _keys(fetch, "ExecStart") == [f"{PD} mail fetch --watch"]
    assert _keys(fetch, "Restart") == ["on-failure"] and _keys(fetch, "Type") == ["simple"]
    for job, (command, when, _) in JOBS.items():
        assert _keys(UNITS / f"{job}.service", "ExecStart") == [f"{PD} {command}"]
        assert _keys(UNITS / f"{job}.service", "Type") == ["oneshot"]
        assert _keys(UNITS / f"{job}.timer", "OnCalendar") == [when]


def _cron_jobs() -> list[tuple[str, str, list[str]]]:
    """(schedule, user, pd's arguments) of each active line of deploy/cron/pd."""
    jobs = []
    for line in CRON.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or re.match(r"^[A-Z_]+=", line):
            continue
        fields = line.split(None, 6)
        words = shlex.split(fields[6])
        assert PD in words, line
        jobs.append((" ".join(fields[:5]), fields[5], words[words.index(PD) + 1:]))
    return jobs


def test_cron_runs_the_same_jobs_on_the_same_schedule():
    jobs = _cron_jobs()
    assert [(when, " ".join(args)) for when, _, args in jobs] == [(c, cmd) for cmd, _, c in JOBS.values()]
    assert {user for _, user, _ in jobs} == {"pd"}
    assert "PD_USER=system" in CRON.read_text(encoding="utf-8").splitlines()


def test_every_command_they_run_is_a_real_pd_command(pd):
    """`pd ARGS --help` fails (exit 2) on an unknown command or option."""
    commands = [shlex.split(_keys(u, "ExecStart")[0])[1:] for u in UNITS.glob("*.service")]
    commands += [args for _, _, args in _cron_jobs()]
    commented = [line.split(PD, 1)[1].split() for line in CRON.read_text(encoding="utf-8").splitlines()
                 if line.startswith("#") and PD in line]
    assert commented == [["mail", "fetch"]]
    for args in commands + commented:
        r = pd(*args, "--help")
        assert r.exit_code == 0, (args, r.stderr)
    assert pd("close", "--automatic", "--help").exit_code == 2  # (the check can fail)
