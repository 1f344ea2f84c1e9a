"""`pd mail fetch` of 1,000 messages from a loopback Dovecot, as a ratio to imapclient alone.

Run by hand (as root or as a user who can run Dovecot; tests/imap_server.py starts it):

    .venv/bin/python benchmarks/bench_fetch.py                        # SQLite (+ PostgreSQL if PD_TEST_DATABASE_URL)
    scripts/with-postgres .venv/bin/python benchmarks/bench_fetch.py  # both, PostgreSQL on a throwaway server
    .venv/bin/python benchmarks/bench_fetch.py --messages 1000 --runs 3 --venv /tmp/pd-bench-fetch-venv

pd runs from a regular (non-editable) install: `pip install .` into --venv (made when missing,
reinstalled with --reinstall). Each run, on one server, interleaved:

1. the baseline — a fresh Python of that venv with imapclient alone: log in, select, list the
   UIDs, FETCH sizes and then BODY.PEEK[] in batches of 100 (as pd does), MOVE them to a folder;
   the messages are moved back (not timed);
2. pd's IMAP layer with the intake replaced by a no-op (what pd adds on the IMAP side alone);
   the messages are moved back;
3. `pd mail fetch` into a new ledger: every message parsed, guarded, matched and committed by
   the intake (a transaction per IMAP batch), then moved; with more than one batch, a second
   process takes the next batch apart meanwhile (its CPU is in pd's: wait4 counts it).

Each is a whole process, start-up included: its wall time and its CPU time (user + system, from
wait4). Medians over --runs; the load average is printed beside them (the machine is shared: the
CPU ratio is the steadier figure). The table is markdown.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "pd" / "examples"  # the shipped catalog.yaml and contacts.yaml
sys.path.insert(0, str(ROOT))

from tests.imap_server import DovecotServer  # noqa: E402  (after the sys.path line)

BASELINE = r"""
import sys
from imapclient import IMAPClient
host, port, user, password, folder, dest = sys.argv[1:7]
c = IMAPClient(host, port=int(port), ssl=False, timeout=60)
c.login(user, password)
c.select_folder(folder)
uids = sorted(c.search(["NOT", "DELETED"]))
c.fetch(uids, ["RFC822.SIZE"])
n = 0
for i in range(0, len(uids), 100):
    batch = uids[i:i + 100]
    got = c.fetch(batch, ["BODY.PEEK[]"])
    n += sum(len(d[b"BODY[]"]) for d in got.values())
    c.move(batch, dest)
c.logout()
print(len(uids), n)
"""

LAYER_ONLY = r"""
from pd.config import load_settings
from pd.ledger import Ledger
from pd.intake.fetch import fetch
settings = load_settings()
Ledger(settings)
report = fetch(settings, deliver=lambda raw: {"action": "new", "intake": None, "request": None})
print(len(report.messages))
"""


def messages(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        m = EmailMessage()
        m["From"] = f"Lietotājs {i} <lietotajs{i}@vp.gov.lv>"
        m["To"] = "servicedesk@ic.iem.gov.lv"
        m["Subject"] = f"Neienāk e-pasts kopš rīta ({i})"
        m["Date"] = "Tue, 01 Dec 2026 10:00:00 +0200"
        m["Message-ID"] = f"<bench-{i}-{time.time_ns()}@vp.gov.lv>"
        m.set_content("Labdien!\n\nKopš rīta neienāk e-pasts, lūdzu palīdziet.\n\n"
                      "Ar cieņu,\nLietotājs\n" + "Lūdzu, skatiet pielikumu un atbildiet. " * 20)
        out.append(m.as_bytes(policy=SMTP))
    return out


def ensure_venv(venv: Path, reinstall: bool) -> Path:
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        reinstall = True
    if reinstall:
        extra = ["postgres"] if os.environ.get("PD_TEST_DATABASE_URL") else []
        target = f"{ROOT}[{','.join(extra)}]" if extra else str(ROOT)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(ROOT)],
                       check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", target], check=True)
    return py


def move_all(srv: DovecotServer, source: str, dest: str) -> None:
    c = srv.client()
    c.select_folder(source)
    uids = c.search(["ALL"])
    if uids:
        c.move(uids, dest)
    c.logout()


def timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the child, from wait4)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        elapsed = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            err.seek(0)
            tail = err.read()[-2000:].decode(errors="replace")
            raise SystemExit(f"{' '.join(cmd[:4])}… failed ({p.returncode}): {tail}")
    return elapsed, usage.ru_utime + usage.ru_stime


def bench(py: Path, srv: DovecotServer, n: int, runs: int, ledger_url, label: str) -> list[str]:
    from tests.imap_server import PASSWORD, USER

    pd_bin = str(py.parent / "pd")
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PD_")}
    base_env.pop("PYTHONPATH", None)
    cwd = Path(tempfile.mkdtemp(prefix="pd-bench-fetch-"))
    samples: dict[str, list[tuple[float, float]]] = {"imapclient alone": [], "pd's IMAP layer, no-op intake": [],
                                                     "pd mail fetch": []}
    loads: list[str] = []
    srv.append(*messages(n))
    c = srv.client()
    for folder in ("bench-base", "bench-spent", "pd-processed"):
        if not c.folder_exists(folder):
            c.create_folder(folder)
    c.logout()
    for r in range(runs):
        loads.append(open("/proc/loadavg").read().split()[0])
        url, drop = ledger_url(cwd, r)
        env = dict(base_env, PD_DATABASE_URL=url, PD_USER="system", PD_IMAP_URL=srv.url(), PD_BUSY_TIMEOUT="30",
                   PD_CATALOG=str(EXAMPLES / "catalog.yaml"), PD_CONTACTS=str(EXAMPLES / "contacts.yaml"))
        subprocess.run([pd_bin, "init"], env=env, cwd=cwd, check=True, capture_output=True)
        samples["imapclient alone"].append(timed(
            [str(py), "-c", BASELINE, "127.0.0.1", str(srv.port), USER, PASSWORD, "INBOX", "bench-base"], env))
        move_all(srv, "bench-base", "INBOX")
        samples["pd's IMAP layer, no-op intake"].append(timed([str(py), "-c", LAYER_ONLY], env))
        move_all(srv, "pd-processed", "INBOX")
        # A new ledger for the real thing (the no-op run above only marked UIDs in its own).
        drop()
        url, drop = ledger_url(cwd, r + 1000)
        env["PD_DATABASE_URL"] = url
        subprocess.run([pd_bin, "init"], env=env, cwd=cwd, check=True, capture_output=True)
        samples["pd mail fetch"].append(timed([pd_bin, "mail", "fetch"], env))
        assert srv.uids("INBOX") == [], "pd mail fetch left messages behind"
        move_all(srv, "pd-processed", "INBOX")
        drop()
    loads.append(open("/proc/loadavg").read().split()[0])
    base = statistics.median(w for w, _ in samples["imapclient alone"])
    base_cpu = statistics.median(c for _, c in samples["imapclient alone"])
    rows = []
    for name, v in samples.items():
        wall, cpu = statistics.median(w for w, _ in v), statistics.median(c for _, c in v)
        rows.append(f"| {label} | {name} | {wall:.2f} | {1000 * wall / n:.1f} | {wall / base:.1f}x | {cpu:.2f} | "
                    f"{cpu / base_cpu:.1f}x | {', '.join(loads)} |")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "pd-bench-fetch-venv")
    ap.add_argument("--reinstall", action="store_true", help="pip install . into --venv again")
    ap.add_argument("--sqlite-only", action="store_true")
    args = ap.parse_args()
    py = ensure_venv(args.venv, args.reinstall)

    def sqlite_url(cwd: Path, r: int):
        path = cwd / f"ledger-{r}.sqlite3"
        return f"sqlite:///{path}", lambda: None

    backends = [("SQLite", sqlite_url)]
    pg = os.environ.get("PD_TEST_DATABASE_URL")
    if pg and not args.sqlite_only:
        from tests.conftest import pg_schema

        backends.append(("PostgreSQL", lambda cwd, r: pg_schema(pg, "bench_fetch_")))
    print(f"{platform.node()} · {platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()} · "
          f"{time.strftime('%Y-%m-%d %H:%M')} · {args.messages} messages · median of {args.runs} runs\n")
    print("| ledger | what | wall s | wall ms per message | wall ratio to imapclient alone | CPU s (user+sys) | "
          "CPU ratio | load average (1 min) at each run's start and the end |")
    print("|---|---|---|---|---|---|---|---|")
    with DovecotServer() as srv:
        for label, url in backends:
            for row in bench(py, srv, args.messages, args.runs, url, label):
                print(row, flush=True)
            move_all(srv, "INBOX", "bench-spent")  # each backend starts from the same number of messages


if __name__ == "__main__":
    main()
