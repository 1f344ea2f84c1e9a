"""pd installed for real (SPEC 16): the wheel built from this checkout, installed into a clean
virtual environment outside it, run with an empty home from another directory: pd init puts the
examples in ~/.config/pd, and a request lives its whole life. On the PostgreSQL pass the wheel is
installed with its `postgres` extra and the ledger is a schema on the test server."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL, ROOT, pg_schema


def _run(args, **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, args))} -> {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the venv's bin directory, an empty home): the wheel of a copy of the source tree, so that
    nothing stale in the checkout (build/, *.egg-info) can slip into it."""
    base = tmp_path_factory.mktemp("installed")
    src = base / "src"
    shutil.copytree(ROOT / "pd", src / "pd", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PD_", "PYTHON", "XDG_", "VIRTUAL_ENV"))}
    env["HOME"] = str(home)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(src)], env=env,
         cwd=base)
    wheels = list((base / "dist").glob("pd-*.whl"))
    assert len(wheels) == 1, wheels
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], env=env, cwd=base)
    wanted = f"pd[postgres] @ {wheels[0].as_uri()}" if PG_URL else str(wheels[0])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", wanted], env=env, cwd=base)
    shutil.rmtree(home)  # what pip left there (its cache): pd starts from an empty home
    home.mkdir()
    yield venv / "bin", home


@pytest.fixture
def run(installed, tmp_path):
    bin_dir, home = installed
    for stale in home.iterdir():  # each test starts from the empty home
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    cwd = tmp_path / "anywhere"
    cwd.mkdir()
    env = {"HOME": str(home), "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "LANG": "C.UTF-8"}
    drop = None
    if PG_URL:
        env["PD_DATABASE_URL"], drop = pg_schema(PG_URL, "wheel_")

    def pd(*args, user="operators1", expect=0, **extra):
        r = subprocess.run(["pd", *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd,
                           env={**env, "PD_USER": user, **extra})
        assert r.returncode == expect, f"pd {' '.join(map(str, args))} -> {r.returncode}: {r.stderr}{r.stdout}"
        return r

    yield pd, home, bin_dir
    if drop:
        drop()


def test_the_installed_pd_is_the_wheel_not_the_checkout(installed, tmp_path):
    bin_dir, home = installed
    r = _run([str(bin_dir / "python"), "-c", "import pd, pd.examples; print(pd.__file__)"],
             cwd=tmp_path, env={"HOME": str(home), "PATH": "/usr/bin:/bin"})
    where = Path(r.stdout.strip())
    assert "site-packages" in where.parts and ROOT not in where.parents
    assert (where.parent / "examples" / "catalog.yaml").is_file()
    # the mail templates are catalog entries now: their Latvian travels in the compiled catalog
    assert (where.parent / "locale" / "lv" / "LC_MESSAGES" / "pd.mo").is_file()
    assert (where.parent / "notify" / "mails.py").is_file()


def test_init_and_a_whole_request(run):
    pd, home, _ = run
    init = pd("init")
    conf = home / ".config" / "pd"
    assert f"Piemēri ievietoti {conf}: catalog.yaml, contacts.yaml" in init.stderr
    assert (conf / "catalog.yaml").is_file() and (conf / "contacts.yaml").is_file()
    if not PG_URL:  # the default ledger, under the empty home
        assert (home / ".local" / "share" / "pd" / "ledger.sqlite3").is_file()
    n = json.loads(pd("register", "--json", "--name", "Līga Ērgle", "--institution", "VUGD", "--service", "EPASTS",
                      "--description", "Neienāk e-pasts", "--channel", "phone", "--phone", "26123456",
                      "--email", "liga.ergle@vugd.gov.lv").stdout)["number"]
    shown = json.loads(pd("show", n, "--json").stdout)
    assert shown["status"] == "registered" and shown["requester"]["name"] == "Līga Ērgle"
    pd("assign", n, "--expert", "jberzins")
    pd("accept", n, user="jberzins")
    pd("resolve", n, "--result", "Pastkaste atjaunota", user="jberzins")
    pd("close", n, "--confirmed")
    shown = json.loads(pd("show", n, "--json").stdout)
    assert shown["status"] == "closed" and shown["result"] == "Pastkaste atjaunota"
    assert [e["kind"] for e in shown["events"]][:2] == ["registered", "assigned"]
    assert "Audita pieraksti veseli" in pd("audit", "verify").stdout
    assert pd("show", n).stdout.startswith(f"{n}  slēgts\n")  # the state in words (SPEC 12)


def test_the_settings_come_from_pd_env_in_the_configuration_directory(run):
    pd, home, _ = run
    conf = home / ".config" / "pd"
    conf.mkdir(parents=True)
    (conf / "pd.env").write_text("PD_LANG=en\n", encoding="utf-8")
    r = pd("init")
    assert f"Examples placed in {conf}" in r.stderr
    (conf / "pd.env").write_text("PD_LANG=en\nPD_LNAG=lv\n", encoding="utf-8")
    r = pd("info", expect=7)
    assert r.stderr == f"Kļūda: {conf / 'pd.env'}:2: nezināms mainīgais PD_LNAG (vai domājāt PD_LANG?)\n"
