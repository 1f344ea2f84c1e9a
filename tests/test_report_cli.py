"""pd report monthly against a real ledger: month boundaries in Riga time, carried-over
requests, isolation between institutions on every cell, CSV/JSON equal to the sheet, --send."""
from __future__ import annotations

import csv
import json
import re
import zipfile

import openpyxl
import pytest


def _cells(path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if v is not None:
                    yield str(v)


@pytest.fixture
def month_ledger(pd):
    """October 2026 for VP and VRS, with a request on each side of the Riga month boundary."""
    n = {}
    n["vp_oct_late"] = pd.register(name="Valdis Pēdējais", institution="VP", received_at="2026-10-31T23:30",
                                   description="Oktobra pēdējā pusstunda")
    n["vp_nov"] = pd.register(name="Nora Novembre", institution="VP", received_at="2026-11-01T00:30",
                              description="Novembra sākums")
    n["vp_sep_open"] = pd.register(name="Sergejs Septembris", institution="VP", received_at="2026-09-15T10:00",
                                   description="Atvērts kopš septembra")
    n["vrs_oct"] = pd.register(name="Rūta Robeža", institution="VRS", received_at="2026-10-10T09:00",
                               description="Robežsardzes pieteikums", email="ruta.robeza@rs.gov.lv")
    n["vp_refused"] = pd.register(name="Oskars Ārpus", institution="VP", received_at="2026-10-12T09:00",
                                  out_of_scope=True, reason="Nav Centra kompetencē")
    pd.ok("assign", n["vrs_oct"], "--expert", "jberzins")
    pd.ok("accept", n["vrs_oct"], user="jberzins")
    pd.ok("resolve", n["vrs_oct"], "--result", "Izlabots", user="jberzins")
    return n


def test_month_boundaries_and_carry_over(pd, month_ledger, tmp_path):
    out = tmp_path / "rep"
    r = pd.ok("report", "monthly", "--month", "2026-10", "--out", out, "--format", "json", "--institution", "VP",
              user="supervizors")
    doc = json.loads((out / "pd-2026-10-VP.json").read_text(encoding="utf-8"))
    numbers = [row["number"] for row in doc["rows"]]
    # 23:30 on 31 October in Riga is 21:30 UTC: October. 00:30 on 1 November: not.
    assert month_ledger["vp_oct_late"] in numbers
    assert month_ledger["vp_nov"] not in numbers
    # open since September: carried over into October
    assert month_ledger["vp_sep_open"] in numbers
    assert month_ledger["vp_refused"] in numbers
    assert numbers == sorted(numbers)
    assert doc["summary"]["total"] == 3
    assert doc["summary"]["by_status"]["refused"] == 1
    assert str(out / "pd-2026-10-VP.json") in r.stdout


def test_each_institution_sees_only_its_own(pd, month_ledger, tmp_path):
    out = tmp_path / "rep"
    pd.ok("report", "monthly", "--month", "2026-10", "--out", out, user="supervizors")
    vp = list(_cells(out / "pd-2026-10-VP.xlsx"))
    vrs = list(_cells(out / "pd-2026-10-VRS.xlsx"))
    for cell in vp:
        assert "Robež" not in cell and month_ledger["vrs_oct"] not in cell
    for cell in vrs:
        for secret in ("Valdis Pēdējais", "Sergejs", "Oskars", month_ledger["vp_oct_late"], month_ledger["vp_sep_open"]):
            assert secret not in cell
    assert month_ledger["vrs_oct"] in vrs and "Rūta Robeža" in vrs
    # the overview has every institution and a chart; the refused request is listed there
    assert (out / "pd-2026-10-overview.xlsx").exists()
    with zipfile.ZipFile(out / "pd-2026-10-VP.xlsx") as z:
        assert any(n.startswith("xl/charts/chart") for n in z.namelist())
    overview = list(_cells(out / "pd-2026-10-overview.xlsx"))
    assert month_ledger["vp_refused"] in overview


def test_csv_equals_sheet_rows(pd, month_ledger, tmp_path):
    out = tmp_path / "rep"
    pd.ok("report", "monthly", "--month", "2026-10", "--out", out, "--institution", "VP", user="supervizors")
    pd.ok("report", "monthly", "--month", "2026-10", "--out", out, "--institution", "VP", "--format", "csv",
          user="supervizors")
    wb = openpyxl.load_workbook(out / "pd-2026-10-VP.xlsx")
    ws = wb["Pieteikumi"]
    sheet = [list(r) for r in ws.iter_rows(values_only=True)]
    raw = (out / "pd-2026-10-VP.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    with open(out / "pd-2026-10-VP.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert all(len(r) == len(rows[0]) for r in rows)
    # the CSV has every column of the three request sheets, in one row per request
    deadlines = [list(r) for r in wb["Termiņi"].iter_rows(values_only=True)]
    progress = [list(r) for r in wb["Gaita"].iter_rows(values_only=True)]
    assert set(rows[0]) == set(sheet[0]) | set(deadlines[0]) | set(progress[0])
    assert [r[0] for r in rows[1:]] == [r[0] for r in sheet[1:]] == [r[0] for r in deadlines[1:]] \
        == [r[0] for r in progress[1:]]
    received = sheet[1][1]
    assert received.__class__.__name__ == "datetime"
    assert rows[1][1] == received.strftime("%d.%m.%Y %H:%M")


def test_only_supervisors_and_send_once(pd, month_ledger, tmp_path, smtp_server):
    out = tmp_path / "rep"
    r = pd("report", "monthly", "--month", "2026-10", "--out", out)
    assert r.exit_code == 6
    env = {"PD_SMTP_URL": smtp_server.url}
    pd.ok("report", "monthly", "--month", "2026-10", "--out", out, "--institution", "VP", "--institution", "VRS",
          "--send", user="supervizors", env=env)
    reports = [m for m in smtp_server.messages if "pārskats" in str(m["Subject"])]
    assert len(reports) == 3  # VP, VRS and the overview to the Centre's management
    by_to = {str(m["To"]): m for m in reports}
    overview = by_to["vadiba@ic.iem.gov.lv"]
    assert [a.get_filename() for a in overview.iter_attachments()] == ["pd-2026-10-overview.xlsx"]
    body = overview.get_body(("plain",)).get_content()
    assert "Pieteikumu kopā: 4" in body
    assert re.search(r"Audita enkurs \(notikumi:SHA-256\):\s+\d+:[0-9a-f]{64}\s", body)
    vp = by_to["ikt@vp.gov.lv"]
    att = [p for p in vp.iter_attachments()]
    assert [a.get_filename() for a in att] == ["pd-2026-10-VP.xlsx"]
    data = att[0].get_payload(decode=True)
    (tmp_path / "got.xlsx").write_bytes(data)
    assert "Valdis Pēdējais" in list(_cells(tmp_path / "got.xlsx"))
    assert "Pieteikumu kopā: 3" in vp.get_body(("plain",)).get_content()
    # the mail says the figures' basis too: two received in October, one carried over from September
    assert "saņemti šajā mēnesī: 2, pārnesti no iepriekšējiem: 1" in vp.get_body(("plain",)).get_content()
    again = pd("report", "monthly", "--month", "2026-10", "--out", out, "--institution", "VP", "--send",
               user="supervizors", env=env)
    assert again.exit_code == 5 and "--resend" in again.stderr and "kopsavilkums" in again.stderr
    pd.ok("report", "monthly", "--month", "2026-10", "--out", out, "--institution", "VP", "--send", "--resend",
          user="supervizors", env=env)
    assert len([m for m in smtp_server.messages if "pārskats" in str(m["Subject"])]) == 5


def test_empty_month_gives_valid_workbooks(pd, tmp_path):
    out = tmp_path / "rep"
    pd.ok("report", "monthly", "--month", "2025-02", "--out", out, "--institution", "IDB", user="supervizors")
    wb = openpyxl.load_workbook(out / "pd-2025-02-IDB.xlsx")
    # no requests in the month: one sheet of one page saying so, not pages of zeros and empty charts
    assert wb.sheetnames == ["Kopsavilkums"] and wb.active.title == "Kopsavilkums"
    ws = wb["Kopsavilkums"]
    texts = [v for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any("nebija neviena pieteikuma" in t for t in texts)
    assert ws.max_row <= 10 and not ws._charts


def test_bad_month_is_invalid_input(pd, tmp_path):
    r = pd("report", "monthly", "--month", "2026-13", "--out", tmp_path, user="supervizors")
    assert r.exit_code == 3 and "Traceback" not in r.stderr


def test_send_sends_the_reports_only(pd, month_ledger, tmp_path, smtp_server, rawdb):
    """--send delivers the report mails it queued; the rest of the outbox is left to pd mail send
    (it used to flush the whole outbox: "1559 message(s) sent")."""
    (waiting,), = rawdb.execute("SELECT COUNT(*) FROM outbox_message WHERE status = 'pending'")
    assert waiting > 0  # the month's acknowledgements and notices, not yet delivered
    env = {"PD_SMTP_URL": smtp_server.url}
    r = pd.ok("report", "monthly", "--month", "2026-10", "--out", tmp_path / "rep", "--institution", "VP",
              "--send", user="supervizors", env=env)
    subjects = [str(m["Subject"]) for m in smtp_server.messages]
    assert len(subjects) == 2 and all("pārskats" in s for s in subjects)  # VP's and the overview
    assert "nosūtītas pārskatu vēstules: 2" in r.stderr
    (still,), = rawdb.execute("SELECT COUNT(*) FROM outbox_message WHERE status = 'pending'")
    assert still == waiting
    pd.ok("mail", "send", env=env)
    assert len(smtp_server.messages) == 2 + waiting


def test_temporary_files_are_private_and_a_killed_runs_leftovers_go(pd, month_ledger, tmp_path, monkeypatch):
    """openpyxl's sheet files (requesters' names) go to a 0700 directory beside the reports, not
    the shared /tmp; what a killed run left (its directory, its .part workbooks) the next run clears."""
    import os
    import stat

    from openpyxl.worksheet import _writer

    out = tmp_path / "rep"
    stale = out / ".pd-report-tmp" / "run-999999"
    stale.mkdir(parents=True)
    (stale / "openpyxl.killed.xml").write_text("<worksheet>Valdis Pēdējais</worksheet>")
    part = out / ".pd-2026-10-VP.xlsx.part"
    part.write_bytes(b"PK half a workbook")
    made = []
    cleanup = _writer.WorksheetWriter.cleanup

    dirs = []

    def spy(self):
        made.append(self.out)
        dirs.append(stat.S_IMODE(os.stat(os.path.dirname(self.out)).st_mode))
        cleanup(self)

    monkeypatch.setattr(_writer.WorksheetWriter, "cleanup", spy)
    pd.ok("report", "monthly", "--month", "2026-10", "--out", out, "--institution", "VP", user="supervizors")
    assert made and all(os.path.dirname(os.path.dirname(p)) == str(out / ".pd-report-tmp") for p in made)
    assert not any(os.path.exists(p) for p in made)
    assert set(dirs) == {0o700}  # while it ran
    assert not part.exists()
    assert sorted(p.name for p in out.iterdir()) == ["pd-2026-10-VP.xlsx", "pd-2026-10-overview.xlsx"]


def test_a_full_disk_is_one_line_and_leaves_no_half_workbook(pd, month_ledger, tmp_path, pd_env, clock):
    """The file size limit (RLIMIT_FSIZE) makes every write past it fail as a full disk does."""
    # results too long to compress well: the workbooks outgrow the limit, the ledger's files do not
    import base64
    import random
    import resource
    import signal
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    rnd = random.Random(20)
    clock.set("2026-10-20T10:00")  # resolved in October: the results are in October's workbooks
    for i in range(16):  # 16 results of 4,000 characters: 64 kB of the Gaita sheet alone
        n = pd.register(name=f"Pilns Disks {i}", institution="VP", received_at="2026-10-20T10:00")
        pd.ok("assign", n, "--expert", "jberzins")
        pd.ok("accept", n, user="jberzins")
        pd.ok("resolve", n, "--result", base64.b64encode(rnd.randbytes(3000)).decode(), user="jberzins")
    clock.now = None
    out = tmp_path / "full"
    out.mkdir()

    def limit():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (48_000, 48_000))

    env = subprocess_env(pd_env, PD_USER="supervizors")
    r = subprocess.run([sys.executable, "-m", "pd", "report", "monthly", "--month", "2026-10", "--out", str(out),
                        "--institution", "VP"], env=env, capture_output=True, text=True, preexec_fn=limit,
                       timeout=120)
    assert r.returncode == 7, r.stderr  # a full disk needs an admin, as a full ledger does (SPEC 11)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Kļūda: ") and "nepietiek vietas" in lines[0], r.stderr
    assert "Traceback" not in r.stderr and "zipfile" not in r.stderr
    assert [p.name for p in out.iterdir()] == []
