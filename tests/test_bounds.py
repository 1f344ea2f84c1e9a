"""Bounds a desk would set (issue 18, items 7 and 8): each value below is exit 2 or 3 (7 for the
configuration) with one clear line, and nothing is stored; a refused command records no
configuration snapshot; a full disk is one line."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests import intake_mail as M
from tests.conftest import run_pd, subprocess_env


def _ledger_rows(rawdb) -> dict[str, int]:
    """What a refused command must leave as it was."""
    return {t: rawdb.execute(f"SELECT COUNT(*) FROM {t}")[0][0]
            for t in ("request", "event", "config_snapshot", "outbox_message", "intake_item")}


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert "Traceback" not in stderr, stderr
    return lines[-1]


def _refused(r, code: int, *words: str) -> str:
    assert r.exit_code == code, (r.exit_code, r.stderr)
    line = _one_line(r.stderr)
    assert line.startswith(("Kļūda: ", "Error: ")), r.stderr  # the desk's language (PD_LANG=en in some)
    for w in words:
        assert w in line, (w, line)
    return line


@pytest.fixture
def closed(pd, clock):
    """A request closed an hour ago."""
    clock.set("2026-12-01T09:00")
    pd.ok("init")
    n = pd.register(service="PAROLE")
    pd.ok("resolve", n, "--result", "Parole atiestatīta")
    pd.ok("close", n, "--confirmed")
    clock.set("2026-12-01T10:00")
    return n


def test_purge_refuses_a_date_in_the_future_or_within_the_retention_period(pd, rawdb, closed):
    """Failed before: --before 2031-12-08 anonymised a request closed minutes earlier (exit 0)."""
    before = _ledger_rows(rawdb)
    for when in ("2031-12-08", "2026-12-01T09:59", "2022-01-01"):  # the default retention is 5 years
        line = _refused(pd("privacy", "purge", "--before", when, user="admins", env={"PD_LANG": "en"}), 3,
                        "PD_RETENTION_DAYS", "02.12.2021")
        assert when in line
    _refused(pd("privacy", "purge", "--before", "2031-12-08", "--dry-run", user="admins"), 3, "PD_RETENTION_DAYS")
    assert _ledger_rows(rawdb) == before
    assert pd.ok("show", closed, "--json").json()["requester"]["name"] == "Jānis Bērziņš"
    # past the retention it is done as before
    done = pd.ok("privacy", "purge", "--before", "2026-11-30", "--json", user="admins",
                 env={"PD_RETENTION_DAYS": "1"})
    assert done.json()["requests"] == 0  # closed today: not before the date


def test_a_planned_date_is_at_most_a_year_ahead(pd, rawdb, clock):
    """Failed before: --planned 9999-12-31 was stored, postponing the escalation for ever."""
    clock.set("2026-12-01T09:00")
    pd.ok("init")
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    before = _ledger_rows(rawdb)
    for planned in ("9999-12-31", "2027-12-03"):
        _refused(pd("note", n, "--text", "Gaidām daļu", "--delay-reason", "Piegāde", "--planned", planned), 3,
                 "366 dienas", "02.12.2027")
    assert _ledger_rows(rawdb) == before
    assert pd.ok("show", n, "--json").json()["planned_date"] is None
    pd.ok("note", n, "--text", "Gaidām daļu", "--delay-reason", "Piegāde", "--planned", "2027-12-02")
    assert pd.ok("show", n, "--json").json()["planned_date"] == "2027-12-02"


@pytest.mark.parametrize("reason", ["\u200b", "\u200b\u2060\ufeff", " \u200d ", "\u0301"])
def test_a_reason_of_invisible_characters_is_no_reason(pd, rawdb, reason):
    """Failed before: a zero-width space passed as the required reason of a rejection."""
    pd.ok("init")
    n = pd.register()
    pd.ok("assign", n, "--expert", "jberzins")
    before = _ledger_rows(rawdb)
    _refused(pd("reject", n, "--reason", reason, user="jberzins"), 3, "iemesls")
    _refused(pd("wait", n, "--question", reason, user="jberzins"), 3, "jautājums")
    assert _ledger_rows(rawdb) == before
    assert pd.ok("show", n, "--json").json()["status"] == "assigned"


def _ingest(pd, raw: bytes) -> int:
    r = pd("mail", "ingest", "--json", user="system", input=raw)
    assert r.exit_code == 0, r.stderr
    return r.json()["intake"]


def test_intake_register_again_returns_its_request_or_refuses_other_content(pd, rawdb):
    """Failed before: the second register with another service was exit 0 and ignored it."""
    pd.ok("init")
    item = _ingest(pd, M.plain(subject="Neienāk e-pasts", body="Kopš rīta neienāk e-pasts.\n"))
    first = pd.ok("intake", "register", str(item), "--service", "EPASTS", "--institution", "VP", "--phone",
                  "26123456", "--json").json()
    before = _ledger_rows(rawdb)
    for again in ([], ["--service", "EPASTS"], ["--service", "epasts", "--phone", "+371 2612 3456"]):
        r = pd.ok("intake", "register", str(item), *again, "--json")
        assert r.json()["number"] == first["number"], again
    line = _refused(pd("intake", "register", str(item), "--service", "PAROLE", "--institution", "VP"), 3,
                    first["number"], "--service")
    assert "--institution" not in line  # the same as stored
    _refused(pd("intake", "register", str(item), "--urgent"), 3, "--urgent")
    assert _ledger_rows(rawdb) == before


@pytest.mark.parametrize("args", [
    ["list", "--limit", "99999999999999999999"], ["intake", "list", "--limit", "99999999999999999999"],
    ["mail", "list", "--limit", "99999999999999999999"], ["mail", "send", "--limit", "99999999999999999999"],
    ["intake", "show", "99999999999999999999"], ["mail", "show", "99999999999999999999"],
    ["report", "monthly", "--resend"],
])
def test_numbers_past_any_bound_and_lone_options_are_usage_errors(pd, rawdb, args):
    """Failed before: exit 1 (an OverflowError from the database), or --resend accepted without --send."""
    pd.ok("init")
    before = _ledger_rows(rawdb)
    r = pd(*args, user="supervizors" if args[0] == "report" else None)
    assert r.exit_code == 2, (args, r.exit_code, r.stderr)
    assert "Traceback" not in r.stderr and "Kļūda:" in r.stderr
    assert _ledger_rows(rawdb) == before


def test_a_calendar_month_past_the_calendars_is_exit_3(pd):
    """Failed before: pd calendar show 9999-12 was exit 1 (date value out of range)."""
    pd.ok("init")
    for month in ("9999-12", "0001-01", "2101-01"):
        _refused(pd("calendar", "show", month), 3, month, "1991", "2100")
    assert pd.ok("calendar", "show", "2100-12", "--json").json()["days"][-1]["date"] == "2100-12-31"


def test_a_report_of_a_month_that_has_not_begun_is_refused(pd, rawdb, clock, tmp_path):
    """Failed before: --month in the future wrote an empty report claiming to be one."""
    clock.set("2026-12-01T09:00")
    pd.ok("init")
    before = _ledger_rows(rawdb)
    _refused(pd("report", "monthly", "--month", "2027-01", "--out", str(tmp_path / "r"), user="supervizors",
                env={"PD_LANG": "en"}), 3, "2027-01", "has not begun", "01.12.2026")
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").iterdir())
    assert _ledger_rows(rawdb) == before
    pd.ok("report", "monthly", "--month", "2026-12", "--format", "json", "--out", str(tmp_path / "r"),
          user="supervizors")  # this month, so far: allowed


def test_a_dotenv_line_without_equals_is_exit_7_naming_its_line(pd, pd_env, tmp_path):
    """Failed before: a bare `PD_LANG` line was accepted."""
    (tmp_path / ".env").write_text("# the desk\nPD_BUSY_TIMEOUT=10\nPD_LANG\n", encoding="utf-8")
    r = run_pd("list", env=subprocess_env(pd_env))
    assert r.returncode == 7, r.stderr
    assert _one_line(r.stderr).startswith("Kļūda: .env:3:") and "PD_LANG" in r.stderr


def test_an_error_cuts_a_long_value_and_never_echoes_a_password(pd):
    """Failed before: a 5,000-character value came back in full; a password typed into --phone came back
    in the phone's error."""
    pd.ok("init")
    long_value = "x" * 5000
    for args in (["list", "--limit", "9" * 5000], ["register", "--name", "Jānis", "--institution", long_value,
                                                    "--service", "EPASTS", "--description", "x", "--channel", "phone",
                                                    "--email", "a@vp.gov.lv", "--phone", "26123456"],
                 ["show", long_value]):
        r = pd(*args)
        assert r.exit_code in (2, 3, 4), (args[0], r.exit_code, r.stderr)
        assert len(r.stderr) < 1500, (args[0], len(r.stderr))
        assert "9" * 300 not in r.stderr and "x" * 300 not in r.stderr
    r = pd("register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS", "--description",
           "Neienāk e-pasts", "--channel", "phone", "--email", "a@vp.gov.lv", "--phone", "parole: Sniegs2026")
    assert r.exit_code == 3 and "tālruņa numur" in r.stderr
    assert "Sniegs2026" not in r.stderr
    r = pd("list", "--limit", "parole: Sniegs2026")
    assert r.exit_code == 2 and "Sniegs2026" not in r.stderr


# --------------------------------------------------------------------------------------------- item 8
@pytest.mark.parametrize("args,user", [
    (["privacy", "purge"], "operators1"),          # a role the person lacks
    (["list"], "nobody"),                           # not Centre staff
    (["report", "monthly", "--format", "json"], "jberzins"),
])
def test_a_refused_command_records_no_configuration_snapshot(pd, pd_env, rawdb, args, user):
    """Failed before: a new catalog version was recorded by a command refused with exit 6. Now a
    refused command writes nothing, and a new version is taken into force only by an admin (SPEC 9)."""
    pd.ok("init")
    pd.register()
    before = _ledger_rows(rawdb)
    r = pd(*args, user=user)
    assert r.exit_code == 6, (args, r.exit_code, r.stderr)
    assert _ledger_rows(rawdb) == before
    path = Path(pd_env["PD_CATALOG"])
    path.write_text(path.read_text(encoding="utf-8").replace('version: "2026.', 'version: "2027.', 1),
                    encoding="utf-8")
    r = pd(*args, user=user)
    assert r.exit_code == 7 and "publish" in r.stderr, (args, r.exit_code, r.stderr)
    assert _ledger_rows(rawdb) == before
    pd.ok("catalog", "publish", user="admins")
    versions = [v for (v,) in rawdb.execute("SELECT version FROM config_snapshot WHERE kind = 'catalog' ORDER BY id")]
    assert versions[-1].startswith("2027.") and len(versions) == 2
    n = pd.ok("list", "--json").json()[0]
    assert pd.ok("show", n["number"], "--json").json()["number"] == n["number"]
