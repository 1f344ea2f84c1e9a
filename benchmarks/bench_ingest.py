"""`pd mail ingest` of one message, as a ratio to `pd show N --json` in the same run.

Run by hand:  .venv/bin/python benchmarks/bench_ingest.py [--runs 20] [--venv DIR]

Both commands run from a regular (non-editable) install: `pip install .` into a
fresh virtual environment (or DIR, made once and reused). Each round runs the
baseline and each kind of message once, interleaved, so the machine's noise hits
all alike. Every ingest is a new message (its own Message-ID), so each run does
the whole pipeline: parse, guard, match, store, and for a reply the follow-up event.
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
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "pd" / "examples"  # the shipped catalog.yaml and contacts.yaml
sys.path.insert(0, str(ROOT))

from tests import intake_mail as M  # noqa: E402  (the corpus the tests use)


def regular_install(venv: Path) -> Path:
    pd = venv / "bin" / "pd"
    if not pd.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], check=True)
    return pd


def timed(cmd: list[str], env: dict, stdin: bytes | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--venv", type=Path, default=None, help="Reuse (or make) the regular install here.")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pd-bench-ingest-"))
    try:
        run(args, tmp)
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path) -> None:
    pd = str(regular_install(args.venv or tmp / "venv"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PD_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PD_DATABASE_URL=f"sqlite:///{tmp / 'ledger.sqlite3'}", PD_USER="operators1", PYTHONPATH="",
               PD_CATALOG=str(EXAMPLES / "catalog.yaml"), PD_CONTACTS=str(EXAMPLES / "contacts.yaml"))
    subprocess.run([pd, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([pd, "register", "--name", "Jānis Bērziņš", "--institution", "VP", "--service", "EPASTS",
                    "--description", "Neienāk e-pasts", "--channel", "phone", "--email", "janis.berzins@vp.gov.lv"],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    ingest_env = dict(env, PD_USER="system")

    def reply() -> bytes:
        return M.outlook_reply_lv(subject="Atb.: [PD 2026-000001] Neienāk e-pasts").replace(
            b"Message-ID: <", f"Message-ID: <{uuid.uuid4().hex}.".encode(), 1)

    def new() -> bytes:
        return M.plain(subject="Nestrādā VPN", body="Labdien!\n\nNo rīta nevaru pieslēgties VPN.\n")

    cases = {
        "pd show N --json": lambda: timed([pd, "show", "2026-000001", "--json"], env),
        "pd mail ingest (a reply: follow-up)": lambda: timed([pd, "mail", "ingest"], ingest_env, reply()),
        "pd mail ingest (a new mail: intake item)": lambda: timed([pd, "mail", "ingest"], ingest_env, new()),
    }
    samples: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(3):  # warm the page cache and the bytecode
        for run in cases.values():
            run()
    for _ in range(args.runs):
        for name, run in cases.items():
            samples[name].append(run())
    base = statistics.median(samples["pd show N --json"])
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · {time.strftime('%Y-%m-%d %H:%M')} · {args.runs} runs each\n")
    print("| command | median ms | ratio to `pd show N --json` | target |")
    print("|---|---|---|---|")
    for name, xs in samples.items():
        m = statistics.median(xs)
        target = "baseline" if name == "pd show N --json" else "≤ 1.5x"
        print(f"| `{name}` | {m * 1000:.0f} | {m / base:.2f}x | {target} |")


if __name__ == "__main__":
    main()
