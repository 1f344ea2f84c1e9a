"""Configuration from .env, and the start-up discipline: heavy modules load only where used."""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import run_pd

HEAVY = ("peewee", "openpyxl", "smtplib", "email.message", "yaml", "holidays", "rich.console", "psycopg2", "orjson")


def _loaded_after(code: str, env: dict) -> list[str]:
    probe = f"import sys\n{code}\nprint(__import__('json').dumps([m for m in {HEAVY!r} if sys.modules.get(m) is not None]))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_help_imports_no_heavy_module(pd_env):
    import os

    env = dict(os.environ, **pd_env)
    code = "from pd.cli import app\ntry:\n    app(['--help'], prog_name='pd')\nexcept SystemExit:\n    pass"
    assert _loaded_after(code, env) == []


def test_show_json_needs_only_the_database(pd, pd_env):
    import os

    n = pd.register()
    env = dict(os.environ, **pd_env)
    code = f"from pd.cli import app\ntry:\n    app(['show', '{n}', '--json'], prog_name='pd')\nexcept SystemExit:\n    pass"
    assert _loaded_after(code, env) == (["peewee", "psycopg2"] if pd_env["PD_DATABASE_URL"].startswith("postgres")
                                        else ["peewee"])


def test_dotenv_in_the_working_directory_configures_pd(pd, pd_env, tmp_path, monkeypatch):
    pd.register()
    (tmp_path / ".env").write_text("PD_USER=jberzins\nPD_LANG=en\n", encoding="utf-8")
    monkeypatch.delenv("PD_USER")
    r = run_pd("info", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert (d["user"], d["lang"]) == ("jberzins", "en")
    # the environment wins over .env
    r = run_pd("info", "--json", env={"PD_USER": "operators1"})
    assert json.loads(r.stdout)["user"] == "operators1"


def test_info_text_lines_up_its_values(pd):
    """`pd info` on a terminal: every value starts in one column, past the longest key."""
    pd.register()
    lines = pd.ok("info").stdout.splitlines()
    pairs = [ln for ln in lines if not ln.startswith("Brīdinājums:")]
    assert len(pairs) > 10
    keys = [ln.split(":", 1)[0] for ln in pairs]
    column = max(len(k) for k in keys) + 2
    for ln, key in zip(pairs, keys):
        assert ln[:column].rstrip() == key + ":", ln
        assert len(ln) == len(key) + 1 or (ln[column - 1] == " " and ln[column] != " "), ln
    assert any(ln.startswith("kontaktu versija:") and ln.endswith("2026.3") for ln in pairs)


def test_show_builds_only_its_own_command(pd, pd_env):
    """The command table is lazy: `pd show` imports no other command module, not the password
    guard (it writes no text), YAML or the calendars; `--help` reads docstrings and builds nothing."""
    import os

    n = pd.register()
    env = dict(os.environ, **pd_env)
    probe = ("import sys, json\nfrom pd.cli import app\n"
             "try:\n    app(sys.argv[1:], prog_name='pd')\nexcept SystemExit:\n    pass\n"
             "sys.stdout = sys.__stdout__\n"
             "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pd.commands.')"
             " or m in ('pd.guard', 'yaml', 'pd.calendars'))))")
    for args, expected in (
        (["show", n, "--json"], ["pd.commands.common", "pd.commands.requests"]),
        (["--help"], [m for m in ("pd.commands.admin", "pd.commands.calendar", "pd.commands.catalog",
                                  "pd.commands.common", "pd.commands.completion", "pd.commands.doctor",
                                  "pd.commands.escalate",
                                  "pd.commands.intake", "pd.commands.mail", "pd.commands.mail_fetch",
                                  "pd.commands.privacy", "pd.commands.queue", "pd.commands.report",
                                  "pd.commands.requests", "pd.commands.search")]),
    ):
        r = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout.strip().splitlines()[-1]) == expected, args


# What every command used to pay for on start-up and no longer does (docs/benchmarks.md, Start-up):
# the dataclass decorator (it compiles each class's methods with exec on import; pd.record does
# without), getpass when PD_USER names the person, the e-mail intake's models, unicodedata and
# PyYAML/dotenv for a read.
NOT_ON_START = ("dataclasses", "getpass", "termios", "yaml", "dotenv", "pd.db.intake_models")


def _main_probe(args: list[str]) -> str:
    """`pd ARGS` through pd.__main__ (the console script's path), reporting at exit which of
    NOT_ON_START (and unicodedata) were imported and how the collector stood during the command."""
    return ("import atexit, gc, json, sys\n"
            "import pd.cli\n"
            "seen = {}\n"
            "real = pd.cli.main\n"
            "def main():\n"
            "    seen.update(enabled=gc.isenabled(), frozen=gc.get_freeze_count())\n"
            "    real()\n"
            "pd.cli.main = main\n"
            "@atexit.register\n"
            "def report():\n"
            f"    seen['loaded'] = [m for m in {NOT_ON_START + ('unicodedata',)!r} if m in sys.modules]\n"
            "    sys.__stdout__.write('\\n' + json.dumps(seen) + '\\n')\n"
            f"sys.argv = ['pd', *{args!r}]\n"
            "from pd.__main__ import main as start\n"
            "start()\n")


def _run_main_probe(args: list[str], env: dict) -> dict:
    r = subprocess.run([sys.executable, "-c", _main_probe(args)], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_show_and_register_skip_what_start_up_no_longer_needs(pd, pd_env):
    import os

    n = pd.register()
    env = dict(os.environ, **pd_env)
    shown = _run_main_probe(["show", n, "--json"], env)
    assert shown["loaded"] == []  # a read needs no unicodedata either
    registered = _run_main_probe(["register", "--json", "--name", "Jānis Bērziņš", "--institution", "VP",
                                  "--service", "EPASTS", "--description", "Neienāk e-pasts", "--channel", "phone"], env)
    assert registered["loaded"] == ["unicodedata"]  # text clean-up and the password guard need it


def test_the_collector_runs_for_the_command_with_start_up_set_aside(pd, pd_env):
    """pd.__main__ keeps the cyclic collector off while pd.cli loads and freezes what it loaded;
    the command itself runs with the collector on (a long `pd mail fetch --watch` must collect)."""
    import os

    seen = _run_main_probe(["--version"], dict(os.environ, **pd_env))
    assert seen["enabled"] is True and seen["frozen"] > 10_000
