"""Shell completion (Typer's machinery, `_PD_COMPLETE`): commands, options, service and
institution codes, experts and open request numbers; `pd completion SHELL` prints the script."""
from __future__ import annotations

import pytest

from tests.conftest import run_pd, subprocess_env


def complete(pd_env, line: str) -> list[str]:
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    r = run_pd(env=subprocess_env(pd_env, _PD_COMPLETE="complete_bash", COMP_WORDS=line, COMP_CWORD=str(cword)))
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_commands_options_and_subcommands(pd_env):
    assert complete(pd_env, "pd reg") == ["register"]
    assert "escalate-overdue" in complete(pd_env, "pd esc")
    assert complete(pd_env, "pd register --ser") == ["--service"]
    assert complete(pd_env, "pd mail ") == ["send", "list", "show", "retry", "ingest", "fetch"]


def test_codes_experts_and_open_numbers(pd, pd_env):
    a, b, c = pd.register(), pd.register(service="KONSULTACIJA"), pd.register()
    pd.ok("assign", c, "--expert", "jberzins")
    pd.ok("resolve", b, "--result", "Atrisināts pa tālruni")  # no longer open
    assert complete(pd_env, "pd register --service EPASTS-") == ["EPASTS-KONTS", "EPASTS-SPAM"]
    assert complete(pd_env, "pd register --institution V") == ["VP", "VRS", "VUGD", "VSC"]
    assert complete(pd_env, "pd register --channel f") == ["fax"]
    assert complete(pd_env, "pd assign 2026-000001 --expert l") == ["lkalnina"]
    assert complete(pd_env, "pd assign 2026-") == [c, a]  # open ones, newest first
    assert complete(pd_env, "pd register --like 2026-") == [c, b, a]  # any request


def test_a_broken_configuration_completes_nothing_quietly(pd_env, tmp_path):
    (tmp_path / "conf" / "catalog.yaml").write_text("version: [", encoding="utf-8")
    assert complete(pd_env, "pd register --service E") == []


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script(pd_env, shell):
    r = run_pd("completion", shell, env=subprocess_env(pd_env))
    assert r.returncode == 0 and "_PD_COMPLETE" in r.stdout
    assert "--install-completion" in run_pd("--help", env=subprocess_env(pd_env)).stdout


def test_completion_of_an_unknown_shell_is_a_usage_error(pd_env):
    r = run_pd("completion", "tcsh", env=subprocess_env(pd_env))
    assert r.returncode == 2 and "bash, zsh, fish" in r.stderr
