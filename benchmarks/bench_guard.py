"""`pd mail ingest` of 1 MB hostile mails (issue 18), each against a 1 MB innocent mail in the same run.

Run by hand:  .venv/bin/python benchmarks/bench_guard.py [--runs 3] [--size 1000000] [--venv DIR]

`pd` runs from a regular (non-editable) install in a fresh virtual environment (or DIR, made once and
reused), on a SQLite ledger, as the MTA runs it: the message on stdin. Each round ingests the innocent
mail and every hostile one once, interleaved, so the machine's noise hits all alike; every message has
its own Message-ID, so each run does the whole pipeline (parse, guard, reply cut, store). Wall time and
the child's CPU time (user + system) are both reported: on a shared machine the CPU time is the steadier.
The target: each hostile mail in <= 2 s.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import intake_mail as M  # noqa: E402  (the corpus the tests use)

TARGET_S = 2.0


def shapes(size: int) -> dict[str, str]:
    def fill(unit: str, head: str = "") -> str:
        return (head + unit * (size // len(unit) + 1))[:size]

    def numbered(make) -> str:
        out, n, i = [], 0, 0
        while n < size:
            s = make(i)
            out.append(s)
            n, i = n + len(s), i + 1
        return "".join(out)[:size]

    return {
        "innocent (baseline)": fill("Labdien! Printeris 3. stāvā nedrukā, lūdzu palīdzēt ar šo jautājumu.\n"),
        'parole " unclosed, then words': fill("zils zirgs ", 'parole "'),
        'parole " unclosed, no spaces': fill("a", 'parole "'),
        "parole „ unclosed": fill("zaļš", "parole „"),
        "parole « unclosed": fill("x", "parole «"),
        'slepenais vārds " unclosed': fill("Ķ", 'slepenais vārds "'),
        "digits after parole": fill("7", "parole "),
        "letters and digits after parole:": fill("Abc1", "parole: "),
        "closing brackets after a value": fill(")", "parole: Abc123"),
        "spaces before the value": fill(" ", "parole") + "Abc123",
        '"parole " repeated': fill("parole "),
        '"pw:" repeated, no spaces': fill("pw:"),
        '"PIN kods " repeated': fill("PIN kods "),
        '"parole: Abc<n> " (a real secret each)': numbered(lambda i: f"parole: Abc{i} "),
        '"pw a<n> " (varied, no secret)': numbered(lambda i: f"pw a{i} "),
        '"my password: " repeated': fill("my password: "),
        "a line of letters and digits, no spaces": fill("a1"),
        '"On … wrote:" lines': fill("On " + "x1 " * 70 + "\n"),
        '"… rakstīja:" lines': fill("1 2 3 4 5 6 7 8 9 0 rakstīja:\n"),
        # HTML-only mail (the text the desk reads is laid out from it): "<html>" marks the shape as HTML
        'HTML: "<" repeated': "<html>" + fill("<"),
        'HTML: <p>parole " unclosed': "<html>" + fill("zils zirgs ", '<p>parole "'),
    }


def regular_install(venv: Path) -> Path:
    pd = venv / "bin" / "pd"
    if not pd.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], check=True)
    return pd


def timed(cmd: list[str], env: dict, stdin: bytes) -> tuple[float, float]:
    """(wall s, CPU s of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=600)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", type=int, default=1_000_000, help="characters of each mail's text")
    ap.add_argument("--venv", type=Path, default=None, help="Reuse (or make) the regular install here.")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pd-bench-guard-"))
    try:
        run(args, tmp)
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp: Path) -> None:
    pd = str(regular_install(args.venv or tmp / "venv"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PD_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PD_DATABASE_URL=f"sqlite:///{tmp / 'ledger.sqlite3'}", PD_USER="operators1", PYTHONPATH="",
               PD_CATALOG=str(ROOT / "pd" / "examples" / "catalog.yaml"), PD_CONTACTS=str(ROOT / "pd" / "examples" / "contacts.yaml"))
    subprocess.run([pd, "init"], env=env, check=True, stdout=subprocess.DEVNULL)
    ingest_env = dict(env, PD_USER="system")
    bodies = shapes(args.size)

    def mail(body: str) -> bytes:
        if body.startswith("<html>"):
            return M.html_only(html=body, subject="Pārbaude")  # (its own Message-ID each time)
        return M.plain(subject="Pārbaude", body=body, message_id=f"<{uuid.uuid4().hex}@vp.gov.lv>")

    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in bodies}
    timed([pd, "mail", "ingest"], ingest_env, mail(bodies["innocent (baseline)"]))  # warm the caches
    for _ in range(args.runs):
        for name, body in bodies.items():
            samples[name].append(timed([pd, "mail", "ingest"], ingest_env, mail(body)))
    base_wall = statistics.median(w for w, _ in samples["innocent (baseline)"])
    base_cpu = statistics.median(c for _, c in samples["innocent (baseline)"])
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · "
          f"Python {platform.python_version()} · {time.strftime('%Y-%m-%d %H:%M')} · load {os.getloadavg()[0]:.1f} · "
          f"{args.runs} runs each · {args.size:,} characters of text per mail\n")
    print("| mail | wall median s | wall max s | CPU median s | CPU ratio to innocent | ≤ 2 s |")
    print("|---|---|---|---|---|---|")
    for name, xs in samples.items():
        walls, cpus = [w for w, _ in xs], [c for _, c in xs]
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        ok = "yes" if max(walls) <= TARGET_S else ("CPU yes" if max(cpus) <= TARGET_S else "NO")
        print(f"| {name} | {wall:.2f} | {max(walls):.2f} | {cpu:.2f} | {cpu / base_cpu:.2f}x | {ok} |")
    print(f"\nbaseline (the innocent mail): wall {base_wall:.2f} s, CPU {base_cpu:.2f} s")


if __name__ == "__main__":
    main()
