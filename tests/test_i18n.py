"""One language at a time (SPEC 12, issue 19): what pd says to a person is in the desk's language.

- the catalog is whole: every string pd, Typer and Click show has its Latvian (scripts/i18n.py);
- every command's --help under PD_LANG=lv has no English, and under PD_LANG=en no Latvian;
- Click's own usage errors are Latvian, exit 2, with the Latvian "Kļūda:" prefix;
- a yes/no question takes j/jā/n/nē in Latvian (y/yes/n/no in English) and asks again in the
  desk's language; the interactive register speaks Latvian end to end on a real terminal;
- an error raised by the domain reaches stderr with the Latvian prefix.
"""
from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import pexpect
import pytest
import typer

from tests.conftest import subprocess_env
from tests.english import english, latvian

ROOT = Path(__file__).resolve().parent.parent


def _i18n_script():
    spec = importlib.util.spec_from_file_location("pd_i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- (a) the catalog is whole
def test_every_string_a_person_sees_has_its_latvian():
    """scripts/i18n.py check: nothing untranslated, fuzzy, with other placeholders, or missing
    from pd.po / pd.mo. Each line names the msgid and the file:line that says it."""
    problems = _i18n_script().problems()
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------- (b) every command's help
def _command_paths() -> list[tuple[str, ...]]:
    """Every command and subcommand of the tree pd.cli builds (as scripts/i18n.py walks it)."""
    import typer.main

    from pd import cli

    root = typer.main.get_command(cli.app)
    paths: list[tuple[str, ...]] = []

    def walk(cmd, path: tuple[str, ...]) -> None:
        paths.append(path)
        names = list(getattr(cmd, "lazy", {}) or {}) + [n for n in getattr(cmd, "commands", {}) if n not in
                                                        (getattr(cmd, "lazy", {}) or {})]
        for name in names:
            sub = cmd.get_command(None, name)
            if sub is not None:
                walk(sub, (*path, name))

    walk(root, ())
    return paths


# Latvian words in the English help: names of people and places in the examples, and the rules'
# own terms that have no English (a Latvian letter tells the search's folding: "berzins" finds Bērziņš).
EN_ALLOW = ("Bērziņš", "Jānis")
# English words in the Latvian help: states typed as option values (pd list --status assigned; SPEC 12:
# JSON values stay as they are), each beside its Latvian where the help lists them.
LV_ALLOW = frozenset({"assigned", "registered"})


def test_every_help_is_latvian_under_lv_and_english_under_en(pd, monkeypatch):
    paths = _command_paths()
    assert len(paths) > 60  # the whole tree: pd, its commands, the groups' subcommands
    gaps = []
    for lang in ("lv", "en"):
        monkeypatch.setenv("PD_LANG", lang)
        for path in paths:
            r = pd(*path, "--help")
            assert r.exit_code == 0, (path, r.stderr)
            text = r.stdout.replace("root ", "pd ")  # in-process, Click names the program "root"
            found = english(text, allow=LV_ALLOW) if lang == "lv" else latvian(text, allow=EN_ALLOW)
            if found:
                lines = [x.strip() for x in text.splitlines() if any(w in x.lower().split() for w in found)]
                gaps.append(f"PD_LANG={lang} pd {' '.join(path)} --help: {sorted(set(found))} in {lines}")
    assert gaps == [], "\n".join(gaps)


def test_the_help_speaks_the_language_asked_even_in_one_process(pd, monkeypatch):
    """A command built under one language speaks the other when asked (the English is kept)."""
    for lang, want, other in (("lv", "Parāda pieteikumu", "Show a request"), ("en", "Show a request", "Parāda"),
                              ("lv", "Parāda pieteikumu", "Show a request")):
        monkeypatch.setenv("PD_LANG", lang)
        out = pd.ok("show", "--help").stdout
        assert want in out and other not in out, (lang, out)
        root = pd.ok("--help").stdout
        assert ("Lietojums:" in root) == (lang == "lv") and ("Komandas:" in root) == (lang == "lv")


def test_latvian_help_keeps_names_and_examples_as_they_are(pd):
    out = pd.ok("show", "--help").stdout
    assert "pd show 2026-000123 --json" in out and "--json" in out
    out = pd.ok("register", "--help").stdout
    assert "Lietojums: " in out and "register [OPCIJAS]" in out and "Opcijas:" in out and "--institution" in out


# ---------------------------------------------------------------- (c) Click's usage errors
USAGE_ERRORS = [
    (("list", "--bogus"), "Nav tādas opcijas: --bogus"),
    (("show",), "Trūkst argumenta 'N'."),
    (("list", "--limit", "abc"), "'abc' nav vesels skaitlis"),
    (("list", "--limit", "99999999999"), "nav robežās"),
    (("list", "--limit"), "Opcijai '--limit' jānorāda vērtība."),
    (("show", "1", "2"), "Lieki argumenti: 2"),
    (("completion", "tcsh"), "izvēlieties vienu no: bash, zsh, fish"),
    (("shw",), "Nav tādas komandas 'shw'."),
    (("mail", "nosuch"), "Nav tādas komandas 'nosuch'."),
]


@pytest.mark.parametrize(("args", "said"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_click_usage_errors_are_latvian_with_exit_2(pd, args, said):
    r = pd(*args)
    stderr = r.stderr.replace("root ", "pd ")  # in-process, Click names the program "root"
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert said in r.stderr, r.stderr
    assert "Kļūda: " in r.stderr and "Error:" not in r.stderr
    assert r.stderr.startswith("Lietojums: ") or "Lietojums:" not in r.stderr
    assert english(stderr) == [], stderr


def test_click_usage_errors_in_english_stay_english(pd, monkeypatch):
    monkeypatch.setenv("PD_LANG", "en")
    r = pd("list", "--bogus")
    assert r.exit_code == 2
    assert "Usage: " in r.stderr and " list [OPTIONS]" in r.stderr and "Error: No such option: --bogus" in r.stderr
    assert latvian(r.stderr) == []
    r = pd("show")
    assert "Error: Missing argument 'N'." in r.stderr and "show --help' for help."  in r.stderr


def test_pd_alone_shows_the_latvian_help_with_exit_2(pd_env):
    from tests.conftest import run_pd

    r = run_pd(env=subprocess_env(pd_env))
    assert r.returncode == 2
    text = r.stdout + r.stderr
    assert "Lietojums: pd [OPCIJAS] KOMANDA [ARGUMENTI]..." in text and "Komandas:" in text
    assert english(text) == [], text


# ---------------------------------------------------------------- (d) yes and no
def _ask(monkeypatch, capsys, answers: str, default=False, **kw):
    from pd.commands.common import confirm

    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))
    result = confirm("Turpināt?", default, **kw)
    return result, capsys.readouterr().err


@pytest.mark.parametrize(("answer", "meant"), [("j", True), ("jā", True), ("JĀ", True), ("ja", True), ("J", True),
                                               ("n", False), ("nē", False), ("NĒ", False), ("ne", False)])
def test_latvian_yes_and_no(monkeypatch, capsys, answer, meant):
    result, said = _ask(monkeypatch, capsys, answer + "\n", default=None)
    assert result is meant
    assert said == "Turpināt? [j/n]: "


def test_latvian_hint_shows_the_default_and_enter_takes_it(monkeypatch, capsys):
    assert _ask(monkeypatch, capsys, "\n", default=True) == (True, "Turpināt? [J/n]: ")
    assert _ask(monkeypatch, capsys, "\n", default=False) == (False, "Turpināt? [j/N]: ")


def test_a_wrong_answer_is_asked_again_in_latvian(monkeypatch, capsys):
    result, said = _ask(monkeypatch, capsys, "y\nvarbūt\njā\n")
    assert result is True
    assert said.count("Turpināt? [j/N]: ") == 3
    assert said.count("Lūdzu, atbildiet ar j (jā) vai n (nē).") == 2
    assert "invalid input" not in said and "Error" not in said


def test_english_yes_and_no(monkeypatch, capsys):
    monkeypatch.setenv("PD_LANG", "en")
    for answer, meant in (("y", True), ("YES", True), ("n", False), ("no", False)):
        assert _ask(monkeypatch, capsys, answer + "\n", default=None)[0] is meant
    result, said = _ask(monkeypatch, capsys, "jā\nyes\n", default=True)
    assert result is True
    assert "Continue" not in said and said.startswith("Turpināt? [Y/n]: ")
    assert "Please answer y (yes) or n (no)." in said


def test_end_of_input_aborts_or_answers_as_told(monkeypatch, capsys):
    with pytest.raises(typer.Abort):
        _ask(monkeypatch, capsys, "")
    assert _ask(monkeypatch, capsys, "", eof=False)[0] is False


def test_a_caller_s_own_hint_is_replaced_by_the_desk_s(monkeypatch, capsys):
    """db restore's question still carries "[j/n] " in its text: it is asked once, with the desk's hint."""
    from pd.commands.common import confirm

    monkeypatch.setattr(sys, "stdin", io.StringIO("nē\n"))
    assert confirm("Aizstāt visu žurnāla saturu ar šo kopiju? [j/n] ", None, eof=False) is False
    assert capsys.readouterr().err == "Aizstāt visu žurnāla saturu ar šo kopiju? [j/n]: "


def test_the_interactive_register_speaks_latvian_on_a_terminal(pd, pd_env):
    """Through a real pseudo-terminal at 80 columns, under PD_LANG=lv: an empty answer is
    "atbilde ir obligāta", not "an answer is required"; yes/no take jā and nē, a wrong answer is
    asked again in Latvian; nothing English on the way."""
    first = pd.register(name="Līga Ozola", institution="PMLP", phone="+371 2000 1111", email="liga.ozola@pmlp.gov.lv")
    env = subprocess_env(pd_env, PD_LANG="lv")
    env.pop("NO_COLOR", None)
    c = pexpect.spawn(sys.executable, ["-m", "pd", "register", "--service", "DATORS", "--channel", "phone"],
                      env=env, encoding="utf-8", timeout=30, dimensions=(50, 80))
    c.expect_exact("Tālrunis: "); c.sendline("")
    c.expect_exact("Bez tālruņa lietotājam nevarēs piezvanīt. Atstāt tukšu? [j/N]: "); c.sendline("varbūt")
    c.expect_exact("Lūdzu, atbildiet ar j (jā) vai n (nē)."); c.sendline("nē")
    c.expect_exact("Tālrunis: "); c.sendline("20001111")
    c.expect_exact(f"Šis pieteicējs jau ir zvanījis ({first}):")
    c.expect_exact("Izmantot šos datus? [J/n]: "); c.sendline("nē")
    c.expect_exact("E-pasts: "); c.sendline("anna.liepa@vp.gov.lv")
    c.expect_exact("Vārds, uzvārds: "); c.sendline("")
    c.expect_exact("✗ Vārds, uzvārds: atbilde ir obligāta")
    c.expect_exact("Vārds, uzvārds: "); c.sendline("Anna Liepa")
    c.expect_exact("Iestāde (numurs vai kods) (Tab papildina, ? saraksts): "); c.sendline("99")
    c.expect_exact("✗ 99 nav sarakstā (1–"); c.expect_exact("(? saraksts)")
    c.expect_exact("Iestāde (numurs vai kods) (Tab papildina, ? saraksts): "); c.sendline("VP")
    c.expect_exact("Adrese (iekārtas atrašanās vieta): "); c.sendline("Čiekurkalna 1. līnija 1")
    c.expect_exact("Telpa: "); c.sendline("   ")
    c.expect_exact("✗ Telpa: atbilde ir obligāta")
    c.expect_exact("Telpa: "); c.sendline("214")
    c.expect_exact("Apraksts: "); c.sendline("Dators neieslēdzas")
    c.expect_exact("Steidzams? [j/N]: ")
    asked = c.before
    c.sendline("JĀ")
    c.expect(pexpect.EOF)
    c.close()
    assert c.exitstatus == 0, c.before
    transcript = asked.replace("\r", "")
    assert "required" not in transcript and "Error" not in transcript and "invalid input" not in transcript
    assert english(transcript) == [], transcript
    assert all(len(line) <= 80 for line in transcript.splitlines())
    last = pd.ok("list", "--json").json()[-1]
    assert (last["requester"]["name"], last["requester"]["phone"], last["urgent"]) == ("Anna Liepa", "+37120001111", True)


# ---------------------------------------------------------------- (e) the domain's errors
def test_a_domain_error_has_the_latvian_prefix(pd, monkeypatch):
    pd.ok("init")
    r = pd("show", "2026-999999")
    assert r.exit_code != 0 and r.exit_code != 2
    assert r.stderr.startswith("Kļūda: ") and "Error:" not in r.stderr
    monkeypatch.setenv("PD_LANG", "en")
    r = pd("show", "2026-999999")
    assert r.stderr.startswith("Error: ")


def test_a_refusal_names_the_person_the_step_and_the_roles_in_words(pd, monkeypatch):
    pd.ok("init")
    r = pd("escalate-overdue", user="jberzins")
    assert r.exit_code == 6
    assert r.stderr == ("Kļūda: Jānis Bērziņš nedrīkst palaist escalate-overdue: vajadzīga loma sistēma (system), "
                        "operators (operator), administrators (admin)\n")
    monkeypatch.setenv("PD_LANG", "en")
    r = pd("escalate-overdue", user="jberzins")
    assert r.stderr == ("Error: Jānis Bērziņš may not run escalate-overdue: it needs the role system, operator, "
                        "admin\n")
    assert latvian(r.stderr, allow=("Jānis", "Bērziņš")) == []


def test_ctrl_c_words_are_latvian_with_three_plural_forms(monkeypatch):
    from pd import interrupts

    monkeypatch.delenv("PD_LANG", raising=False)
    assert interrupts.words("nothing") == "pārtraukts (Ctrl-C); nekas netika mainīts, komandu var atkārtot"
    assert "1 izmaiņa jau bija saglabāta: tā paliek" in interrupts.words("stored", n=1)
    assert "21 izmaiņa jau bija saglabāta" in interrupts.words("stored", n=21)
    assert "2 izmaiņas jau bija saglabātas: tās paliek" in interrupts.words("stored", n=2)
    assert "11 izmaiņas jau bija saglabātas" in interrupts.words("stored", n=11)
    monkeypatch.setenv("PD_LANG", "en")
    assert "after 2 changes had been stored: they stay" in interrupts.words("stored", n=2)
    monkeypatch.setenv("PD_LANG", "xx")  # a value the settings would refuse: still words, in Latvian
    assert interrupts.words("startup").startswith("pārtraukts")


def test_the_lazy_catalog_answers_as_pythons_gettext_for_every_message():
    """pd.i18n.Catalog (binary search, decoded on demand) against gettext.GNUTranslations (all parsed)."""
    import gettext

    from babel.messages.pofile import read_po

    from pd import i18n

    path = Path(i18n.LOCALEDIR) / "lv" / "LC_MESSAGES" / "pd.mo"
    data = path.read_bytes()
    ours, python = i18n.Catalog(data), gettext.GNUTranslations(io.BytesIO(data))
    with (path.parent / "pd.po").open("rb") as f:
        catalog = read_po(f, locale="lv")
    checked = 0
    for m in catalog:
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            for n in (0, 1, 2, 5, 10, 11, 12, 21, 22, 101, 111):
                if m.context:
                    assert ours.npgettext(m.context, *m.id, n) == python.npgettext(m.context, *m.id, n)
                else:
                    assert ours.ngettext(*m.id, n) == python.ngettext(*m.id, n), (m.id, n)
        elif m.context:
            assert ours.pgettext(m.context, m.id) == python.pgettext(m.context, m.id)
        else:
            assert ours.gettext(m.id) == python.gettext(m.id), m.id
        checked += 1
    assert checked > 1000
    for missing in ("no such message", "", "zzz", "\x00"):
        assert ours.gettext(missing) == python.gettext(missing)
    assert ours.ngettext("no such {n}", "no such {n}s", 1) == "no such {n}"
    assert ours.ngettext("no such {n}", "no such {n}s", 2) == "no such {n}s"
    assert ours.plural(1) == 1 and ours.plural(21) == 1 and ours.plural(11) == 0 and ours.plural(3) == 2
