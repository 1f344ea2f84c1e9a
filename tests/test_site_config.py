"""Where pd finds the site's files (SPEC 16): PD_CATALOG/PD_CONTACTS, else $XDG_CONFIG_HOME/pd/,
else /etc/pd/; pd.env there is read with .env's strict checks; pd init with no files there puts
the shipped examples in the configuration directory and says that they are examples."""
from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from pd.config import EXAMPLES_DIR


@pytest.fixture
def site(tmp_path, monkeypatch):
    """No PD_CATALOG/PD_CONTACTS: the user's directory and a stand-in for /etc/pd, both empty."""
    monkeypatch.delenv("PD_CATALOG")
    monkeypatch.delenv("PD_CONTACTS")
    user = tmp_path / "xdg-config" / "pd"
    system = tmp_path / "etc-pd"
    return user, system


def _copy_examples(to: Path) -> None:
    to.mkdir(parents=True, exist_ok=True)
    for name in ("catalog.yaml", "contacts.yaml"):
        shutil.copy(EXAMPLES_DIR / name, to / name)


def test_init_places_the_examples_and_says_so_in_latvian(pd, site):
    user, system = site
    r = pd.ok("init", "--json")
    placed = [str(user / "catalog.yaml"), str(user / "contacts.yaml")]
    assert r.json()["examples_placed"] == placed
    assert r.json()["catalog"] == placed[0] and r.json()["contacts"] == placed[1]
    assert f"Piemēri ievietoti {user}: catalog.yaml, contacts.yaml" in r.stderr and "PIEMĒRI" in r.stderr
    for p in placed:
        assert Path(p).read_bytes() == (EXAMPLES_DIR / Path(p).name).read_bytes()
        assert stat.S_IMODE(os.stat(p).st_mode) == 0o640  # contacts.yaml holds people's details
    assert not system.exists()
    again = pd.ok("init", "--json")  # safe to repeat: the site's (possibly edited) files stay
    assert again.json()["examples_placed"] == [] and "Piemēri" not in again.stderr
    n = pd.register()
    assert pd.ok("show", n, "--json").json()["status"] == "registered"


def test_init_says_it_in_english_with_pd_lang_en(pd, site):
    user, _ = site
    r = pd.ok("init", env={"PD_LANG": "en"})
    assert f"Examples placed in {user}: catalog.yaml, contacts.yaml. They are EXAMPLES" in r.stderr
    assert "Piemēri" not in r.stderr


def test_without_init_the_missing_file_is_named(pd, site):
    user, _ = site
    r = pd("list")
    assert r.exit_code == 7
    assert r.stderr == f"Kļūda: {user / 'catalog.yaml'}: kataloga fails nav atrasts (pd init tur ievieto piemērus)\n"


def test_the_user_directory_comes_before_etc_pd(pd, site):
    user, system = site
    _copy_examples(system)
    info = pd.ok("info", "--json").json()
    assert (info["catalog"], info["contacts"]) == (str(system / "catalog.yaml"), str(system / "contacts.yaml"))
    assert pd.ok("init", "--json").json()["examples_placed"] == []  # /etc/pd has them: nothing copied
    assert not user.exists()
    _copy_examples(user)
    info = pd.ok("info", "--json").json()
    assert (info["catalog"], info["contacts"]) == (str(user / "catalog.yaml"), str(user / "contacts.yaml"))


def test_init_puts_the_examples_in_etc_pd_when_the_admin_made_it(pd, site):
    """The service's user has no ~/.config/pd; the admin made /etc/pd for it."""
    user, system = site
    system.mkdir()
    r = pd.ok("init", "--json")
    assert r.json()["examples_placed"] == [str(system / "catalog.yaml"), str(system / "contacts.yaml")]
    assert not user.exists()


def test_an_explicit_path_that_does_not_exist_stays_an_error(pd, site, tmp_path):
    user, _ = site
    missing = tmp_path / "nav" / "catalog.yaml"
    r = pd("init", env={"PD_CATALOG": str(missing)})
    assert r.exit_code == 7 and str(missing) in r.stderr
    assert not missing.exists()


def test_pd_env_in_the_configuration_directory_is_read(pd, site, tmp_path, monkeypatch):
    user, system = site
    _copy_examples(system)
    monkeypatch.delenv("PD_USER")
    (system / "pd.env").write_text("PD_USER=jberzins\nPD_LANG=en\n", encoding="utf-8")
    assert pd.ok("info", "--json").json()["user"] == "jberzins"
    # the user's pd.env beats /etc/pd's, the environment beats both
    user.mkdir(parents=True)
    (user / "pd.env").write_text("PD_USER=operators2\n", encoding="utf-8")
    monkeypatch.delenv("PD_USER", raising=False)
    d = pd.ok("info", "--json").json()
    assert (d["user"], d["lang"]) == ("operators2", "en")
    monkeypatch.delenv("PD_USER", raising=False)
    monkeypatch.delenv("PD_LANG", raising=False)
    monkeypatch.setenv("PD_USER", "operators3")
    assert pd.ok("info", "--json").json()["user"] == "operators3"


def test_pd_env_has_the_strict_checks_of_dotenv(pd, site):
    user, system = site
    _copy_examples(system)
    (system / "pd.env").write_text("# the desk\nPD_LNAG=en\n", encoding="utf-8")
    r = pd("info")
    assert r.exit_code == 7
    assert r.stderr == f"Kļūda: {system / 'pd.env'}:2: nezināms mainīgais PD_LNAG (vai domājāt PD_LANG?)\n"
    (system / "pd.env").write_text("PD_LANG=xx\n", encoding="utf-8")
    r = pd("info")
    assert r.exit_code == 7 and r.stderr == "Kļūda: PD_LANG: 'xx' nav neviens no šiem: lv, en\n"
    (system / "pd.env").write_text("not a line\n", encoding="utf-8")
    r = pd("info")
    assert r.exit_code == 7 and f"{system / 'pd.env'}:1: rinda nav formā NOSAUKUMS=vērtība" in r.stderr
