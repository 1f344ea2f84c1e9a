"""Ctrl-C tells the truth (issue 18, item 4): real SIGINTs sent to a real `pd` process at chosen points.

The points are chosen from outside pd: a small launcher (below) wraps peewee's COMMIT or an import
so that the process sends itself SIGINT exactly there, then runs `python -m pd` as usual. pd has no
hook of its own for this."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import subprocess_env

REGISTER = ["register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
            "--description", "Neienāk e-pasts", "--channel", "phone", "--email", "janis.berzins@vp.gov.lv",
            "--phone", "26123456"]

LAUNCHER = textwrap.dedent('''
    import os, signal, sys
    import peewee

    WHERE, TIMES = os.environ["SIGINT_AT"], int(os.environ.get("SIGINT_TIMES", "1"))

    def ctrl_c():
        for _ in range(TIMES):
            os.kill(os.getpid(), signal.SIGINT)

    if WHERE == "after_commit":  # the COMMIT has returned: the change is stored
        original = peewee.Database.commit
        def commit(self):
            result = original(self)
            ctrl_c()
            return result
        peewee.Database.commit = commit
    elif WHERE == "in_commit":  # the COMMIT is about to be sent
        original = peewee.Database.commit
        def commit(self):
            ctrl_c()
            return original(self)
        peewee.Database.commit = commit
    elif WHERE == "before_commit":  # inside the change, before anything is stored
        import pd.ledger
        original = pd.ledger.Ledger.change
        from contextlib import contextmanager
        @contextmanager
        def change(self):
            with original(self) as ch:
                yield ch
                ctrl_c()
        pd.ledger.Ledger.change = change
    elif WHERE.startswith("import:"):  # while pd loads its modules
        name = WHERE[len("import:"):]
        class Finder:
            def find_spec(self, fullname, path=None, target=None):
                if fullname == name:
                    sys.meta_path.remove(self)
                    ctrl_c()
                return None
        sys.meta_path.insert(0, Finder())
    sys.argv = ["pd"] + sys.argv[1:]
    from pd.__main__ import main
    main()
''')


def _pd(tmp_path, pd_env, where: str, *args: str, times: int = 1) -> subprocess.CompletedProcess:
    launcher = tmp_path / "launch_pd.py"
    launcher.write_text(LAUNCHER)
    env = subprocess_env(pd_env, SIGINT_AT=where, SIGINT_TIMES=str(times))
    return subprocess.run([sys.executable, str(launcher), *args], capture_output=True, text=True, env=env, timeout=120)


def _numbers(pd) -> list[str]:
    return [r["number"] for r in pd.ok("list", "--json").json()]


def test_ctrl_c_just_after_the_commit_finishes_and_says_it_is_done(pd, pd_env, tmp_path):
    """Failed before: "interrupted; nothing was changed" with exit 8 although the request was stored."""
    pd.ok("init")
    first = pd.register()
    r = _pd(tmp_path, pd_env, "after_commit", *REGISTER, "--json")
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 0, r.stderr
    number = json.loads(r.stdout)["number"]  # the output of what was done is complete
    assert "nothing was changed" not in r.stderr and "nekas netika mainīts" not in r.stderr
    assert "Ctrl-C" in r.stderr and "augstāk" in r.stderr  # Latvian by default: it came after the storing
    assert sorted(_numbers(pd)) == [first, number]  # stored exactly once


def test_ctrl_c_after_the_commit_in_english_says_so(pd, pd_env, tmp_path):
    pd.ok("init")
    number = pd.register()
    r = _pd(tmp_path, dict(pd_env, PD_LANG="en"), "after_commit", "assign", number, "--expert", "jberzins")
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 0, r.stderr
    assert f"Request {number} assigned to the expert" in r.stdout
    assert "Ctrl-C came after the change was stored" in r.stderr
    assert pd.ok("show", number, "--json").json()["status"] == "assigned"


def test_ctrl_c_before_the_commit_stores_nothing_and_says_so(pd, pd_env, tmp_path):
    pd.ok("init")
    first = pd.register()
    r = _pd(tmp_path, dict(pd_env, PD_LANG="en"), "before_commit", *REGISTER)
    assert r.returncode == 8, r.stderr
    assert r.stderr.strip().splitlines() == ["Error: interrupted (Ctrl-C); nothing was changed, "
                                             "the command may be run again"]
    assert r.stdout == ""
    assert _numbers(pd) == [first]
    assert pd.register().endswith("000002")  # no number was used up


def test_a_second_ctrl_c_after_the_commit_stops_at_once_and_does_not_claim_nothing_changed(pd, pd_env, tmp_path):
    pd.ok("init")
    pd.register()
    r = _pd(tmp_path, dict(pd_env, PD_LANG="en"), "after_commit", *REGISTER, times=2)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 130, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: interrupted (Ctrl-C) after 1 change had been stored: it stays")
    assert len(_numbers(pd)) == 2  # stored, and said so


def test_two_ctrl_c_before_the_commit_is_sent_store_nothing_and_say_so(pd, pd_env, tmp_path):
    pd.ok("init")
    first = pd.register()
    r = _pd(tmp_path, dict(pd_env, PD_LANG="en"), "in_commit", *REGISTER, times=2)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 8, r.stderr
    assert "nothing was changed" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert _numbers(pd) == [first]


def test_ctrl_c_while_pd_loads_is_one_line_never_a_traceback(pd, pd_env, tmp_path):
    """Failed before: a KeyboardInterrupt traceback from the import of pd.cli."""
    for module in ("typer", "pd.cli", "pd.commands.requests", "pd.desk"):
        r = _pd(tmp_path, dict(pd_env, PD_LANG="en"), f"import:{module}", *REGISTER)
        assert "Traceback" not in r.stderr, (module, r.stderr)
        assert r.returncode == 8, (module, r.returncode, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1, (module, r.stderr)
        assert "nothing was changed" in r.stderr, (module, r.stderr)
    assert _numbers(pd) == []
