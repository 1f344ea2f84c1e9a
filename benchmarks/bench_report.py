"""Benchmark of the monthly report's workbooks (run by hand, not in the tests).

    /tmp/bench-venv/bin/python benchmarks/bench_report.py [--rows 100000] [--institutions 10]

(pd from a regular install: ``pip install .`` into a separate venv; the children run
outside the checkout.)

Generates synthetic ReportRows with Latvian text, institution by institution
(as the report command streams them from the database), and measures, each
mode in its own subprocess:

* baseline — openpyxl write-only writing the same cells (the same values,
  prepared before the clock starts, no styles, no summary, no charts): per
  institution the three request sheets pd writes (11 + 12 + 8 columns), and the
  overview's refused requests;
* pd — every institution workbook plus the overview through
  ``pd.report.xlsx`` (values computed from the rows, styles, summary, charts).

Each mode is run once for the time (wall and CPU) and ru_maxrss (no tracing)
and once more under tracemalloc for its Python heap peak. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pd.report.rows import (
    ESCALATION_REASONS, STATUSES, ReportMeta, ReportRow, month_bounds,
)

INSTITUTIONS = [
    ("IEM", "Iekšlietu ministrija"), ("VP", "Valsts policija"),
    ("VRS", "Valsts robežsardze"),
    ("VUGD", "Valsts ugunsdzēsības un glābšanas dienests"),
    ("PMLP", "Pilsonības un migrācijas lietu pārvalde"),
    ("NVA", "Nodrošinājuma valsts aģentūra"), ("IDB", "Iekšējās drošības birojs"),
    ("VSC", "IeM veselības un sporta centrs"), ("IC", "Iekšlietu ministrijas Informācijas centrs"),
    ("RPP", "Rīgas pašvaldības policija"),
]
FIRST = ["Jānis", "Līga", "Ēriks", "Ģirts", "Ķirsis", "Ļena", "Ņikita", "Šarlote",
         "Žanis", "Ūna", "Čaba", "Anna", "Pēteris", "Inese", "Kārlis", "Dace"]
LAST = ["Bērziņš", "Kalniņa", "Ozoliņš", "Žagare", "Šmits", "Čakste", "Ķēniņš",
        "Ļaudaks", "Ņemcovs", "Grīnbergs", "Vītola", "Āboliņa"]
UNITS = ["Kriminālpolicijas pārvalde", "Personāla nodaļa", "Finanšu departaments",
         "Rīgas reģiona pārvalde", "Ģeogrāfijas daļa", "Ķīmijas laboratorija"]
POSITIONS = ["vecākais inspektors", "speciālists", "nodaļas vadītājs",
             "galvenā grāmatvede", "sekretāre", "inženieris"]
SERVICES = [
    ("E01", "E-pasta konta izveide"), ("E02", "E-pasta kastītes paplašināšana"),
    ("I01", "Interneta piekļuve"), ("S01", "Informācijas sistēmas piekļuve"),
    ("S02", "Šifrēšanas sertifikāts"), ("H01", "Datora bojājums"),
    ("H02", "Printera bojājums"), ("H03", "Ārējās ierīces pieslēgšana"),
    ("H04", "Čipkartes lasītājs"), ("S03", "Ģeotelpiskās sistēmas konts"),
    ("S04", "Ķēdes uzraudzības sistēma"), ("N01", "Tīkla ligzdas pieslēgšana"),
]
WORDS = ("nedarbojas dators printeris ekrāns lūdzu palīdzēt steidzami kļūda "
         "sistēmā nevar pieslēgties ķēde šifrēšana ģenerēt sertifikātu žurnāls "
         "čeks ūdens ēka īpašums").split()
EXPERTS = ["Aivars Zīle", "Baiba Čukure", "Edgars Ķuzis", "Gunta Šteina", ""]


# registered, assigned, in_progress, returned, waiting_user, resolved, closed, refused
STATUS_WEIGHTS = (3, 5, 8, 2, 4, 10, 65, 3)
REFUSED_CAP = 5000  # rows kept for the overview's refused sheet


def synthetic_rows(code: str, n: int, month: str = "2026-10", seed: int = 0,
                   first: int = 1, stride: int = 1):
    """n ReportRows of one institution, in number order, as a generator.

    Numbers are ``first, first + stride, …`` so institutions interleave.
    """
    rnd = random.Random(f"{seed}-{code}")
    start, end = month_bounds(month)
    span = int((end - start).total_seconds())
    for k in range(n):
        received = start + timedelta(seconds=rnd.randrange(span))
        status = rnd.choices(STATUSES, STATUS_WEIGHTS)[0]
        accepted = received + timedelta(minutes=rnd.randrange(5, 600)) if status not in ("registered", "refused") else None
        resolved = accepted + timedelta(hours=rnd.randrange(1, 90)) if accepted and status in ("resolved", "closed") else None
        closed = resolved + timedelta(days=2) if status == "closed" else None
        svc = rnd.choice(SERVICES)
        yield ReportRow(
            number=f"2026-{first + k * stride:06d}",
            institution=code,
            received_at=received,
            channel=rnd.choice(("phone", "fax", "email", "other")),
            requester_name=f"{rnd.choice(FIRST)} {rnd.choice(LAST)}",
            requester_unit=rnd.choice(UNITS),
            requester_position=rnd.choice(POSITIONS),
            service_code=svc[0],
            service_name=svc[1],
            description=" ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(5, 40))),
            expert=rnd.choice(EXPERTS),
            accepted_at=accepted,
            resolved_at=resolved,
            closed_at=closed,
            status=status,
            outcome="Atjaunota piekļuve; lietotājs informēts." if resolved else "",
            response_met=None if accepted is None else rnd.random() < 0.9,
            resolution_met=None if resolved is None else rnd.random() < 0.8,
            resolve_hours=None if resolved is None else round(rnd.uniform(0.2, 60), 2),
            escalations=(esc := tuple(rnd.sample(ESCALATION_REASONS, rnd.randrange(0, 2)))
                         if rnd.random() < 0.1 else ()),
            # the columns of issue 20: deadlines, lateness, escalation level, urgency
            urgent=rnd.random() < 0.1,
            response_due=received + timedelta(hours=2),
            resolution_due=received + timedelta(days=2),
            days_late=round(rnd.uniform(0.1, 9), 1) if rnd.random() < 0.15 else None,
            escalation_level=len(esc),
            month_escalations=esc,
            waiting_hours=round(rnd.uniform(0.5, 30), 1) if rnd.random() < 0.1 else None,
        )


def _split(rows: int, institutions: int) -> list[tuple[str, str, int, dict]]:
    per = rows // institutions
    out = []
    for i in range(institutions):
        code, name = INSTITUTIONS[i % len(INSTITUTIONS)]
        if i >= len(INSTITUTIONS):
            code = f"{code}{i}"
        n = per + (1 if i < rows % institutions else 0)
        out.append((code, name, n, {"first": i + 1, "stride": institutions}))
    return out


def run_baseline(out: Path, rows: int, institutions: int) -> tuple[float, float]:
    """openpyxl write-only alone: the same cells, values prepared untimed.

    The requests sheet of every institution, and an overview workbook with
    the refused requests (the same selection as pd's overview sheet).
    """
    from openpyxl import Workbook

    from pd.report.rows import DATE_COLUMNS, formatter
    from pd.report.xlsx import _REFUSED_COLUMNS, DETAIL_SHEETS

    values = formatter("lv").values
    dates = DATE_COLUMNS
    refused_cols = _REFUSED_COLUMNS
    elapsed = cpu = 0.0
    refused: list[tuple] = []
    for code, _name, n, numbering in _split(rows, institutions):
        prepared_sheets: list[list[tuple]] = [[] for _ in DETAIL_SHEETS]
        for r in synthetic_rows(code, n, **numbering):
            v = [x if x != "" else None for x in values(r)]
            for i in dates:
                if v[i] is not None:
                    v[i] = v[i].replace(tzinfo=None)
            for prepared, (_key, cols) in zip(prepared_sheets, DETAIL_SHEETS):
                prepared.append(tuple(v[i] for i in cols))
            if r.status == "refused" and len(refused) < REFUSED_CAP:
                ref = [v[i] for i in refused_cols]
                ref.insert(1, code)
                refused.append(tuple(ref))
        # The prepared cells must not slow the cyclic GC down (pd streams).
        gc.collect()
        gc.freeze()
        t0, c0 = time.perf_counter(), time.process_time()
        wb = Workbook(write_only=True)
        for (title, cols), prepared in zip(DETAIL_SHEETS, prepared_sheets):
            ws = wb.create_sheet(title)
            ws.append(["h"] * len(cols))
            for v in prepared:
                ws.append(v)
        wb.save(out / f"base-{code}.xlsx")
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        gc.unfreeze()
        del prepared_sheets
    gc.collect()
    gc.freeze()
    t0, c0 = time.perf_counter(), time.process_time()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Iestādes")
    for _ in range(institutions + 2):
        ws.append([1] * 21)
    ws = wb.create_sheet("Noraidītie")
    ws.append(["h"] * 11)
    for v in refused:
        ws.append(v)
    wb.save(out / "base-overview.xlsx")
    elapsed += time.perf_counter() - t0
    cpu += time.process_time() - c0
    gc.unfreeze()
    return elapsed, cpu


def run_pd(out: Path, rows: int, institutions: int) -> tuple[float, float]:
    """All institution workbooks and the overview through pd.report.xlsx.

    The rows are generated lazily; the generation time (wall and CPU) is
    subtracted (it stands for the database cursor, not the report).
    """
    from pd.report.measures import SummaryBuilder
    from pd.report.xlsx import write_institution_workbook, write_overview_workbook

    gen_time = gen_cpu = 0.0

    class Timed:
        def __init__(self, it):
            self.it = it

        def __iter__(self):
            return self

        def __next__(self):
            nonlocal gen_time, gen_cpu
            t, c = time.perf_counter(), time.process_time()
            try:
                return next(self.it)
            finally:
                gen_time += time.perf_counter() - t
                gen_cpu += time.process_time() - c

    generated = datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)
    t0, c0 = time.perf_counter(), time.process_time()
    totals = SummaryBuilder()
    summaries = []
    refused: list = []
    for code, name, n, numbering in _split(rows, institutions):
        meta = ReportMeta(code, name, "2026-10", generated, "2026.3", "2026.2", "lv", "")

        def tee(it):
            for r in it:
                if r.status == "refused" and len(refused) < REFUSED_CAP:
                    refused.append(r)
                yield r

        s = write_institution_workbook(
            out / f"pd-2026-10-{code}.xlsx", meta, tee(Timed(synthetic_rows(code, n, **numbering))),
            totals=totals,
        )
        summaries.append((code, name, s))
    meta = ReportMeta("IC", "Informācijas centrs", "2026-10", generated, "2026.3", "2026.2", "lv", "")
    write_overview_workbook(out / "pd-2026-10-overview.xlsx", meta, summaries, refused,
                            total=totals.result())
    return time.perf_counter() - t0 - gen_time, time.process_time() - c0 - gen_cpu


def child(mode: str, rows: int, institutions: int, trace: bool) -> None:
    import tracemalloc

    if trace:
        tracemalloc.start()
    with tempfile.TemporaryDirectory() as d:
        fn = run_baseline if mode == "baseline" else run_pd
        seconds, cpu = fn(Path(d), rows, institutions)
        size = sum(p.stat().st_size for p in Path(d).iterdir())
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "cpu": cpu, "tracemalloc_peak": peak, "maxrss_kb": rss_kb,
                      "bytes": size}))


def spawn(mode: str, rows: int, institutions: int, trace: bool) -> dict:
    cmd = [sys.executable, os.path.abspath(__file__), "--child", mode, "--rows", str(rows),
           "--institutions", str(institutions)] + (["--trace"] if trace else [])
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=tempfile.gettempdir())
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--institutions", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=1, help="timing runs per mode (best is kept)")
    ap.add_argument("--child", choices=("baseline", "pd"))
    ap.add_argument("--trace", action="store_true")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.rows, args.institutions, args.trace)
        return

    import openpyxl

    runs: dict[str, list] = {"baseline": [], "pd": []}
    for _ in range(args.repeat):  # alternate, so a busy moment hits both
        for mode in runs:
            runs[mode].append(spawn(mode, args.rows, args.institutions, False))
    results = {}
    for mode in runs:
        best = min(runs[mode], key=lambda r: r["seconds"])
        traced = spawn(mode, args.rows, args.institutions, True)
        results[mode] = (best, traced)
    base, pd_ = results["baseline"][0], results["pd"][0]
    cpu = {m: min(r["cpu"] for r in runs[m]) for m in runs}
    with open("/proc/loadavg") as fh:
        load = " ".join(fh.read().split()[:3])
    print(f"{args.rows} rows, {args.institutions} institutions; openpyxl {openpyxl.__version__}, "
          f"lxml {'yes' if openpyxl.LXML else 'no'}, Python {sys.version.split()[0]}; "
          f"{time.strftime('%Y-%m-%d')}, load average {load}\n")
    print("| mode | wall s | ratio | CPU s | ratio | ru_maxrss MB | tracemalloc peak MB | output MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for mode, label in (("baseline", "openpyxl write-only, same cells"),
                        ("pd", "pd: institution workbooks + overview")):
        best, traced = results[mode]
        print(f"| {label} | {best['seconds']:.2f} | {best['seconds'] / base['seconds']:.2f} "
              f"| {cpu[mode]:.2f} | {cpu[mode] / cpu['baseline']:.2f} "
              f"| {best['maxrss_kb'] / 1024:.0f} | {traced['tracemalloc_peak'] / 2**20:.1f} "
              f"| {best['bytes'] / 2**20:.1f} |")
    ratio = pd_["seconds"] / base["seconds"]
    print(f"\nratio pd / baseline = {ratio:.2f} wall, {cpu['pd'] / cpu['baseline']:.2f} CPU (target ≤ 1.30); "
          f"best of {args.repeat}; all runs (s): " + "; ".join(
              f"{m} " + ", ".join(f"{r['seconds']:.1f}" for r in runs[m]) for m in runs))

if __name__ == "__main__":
    main()
