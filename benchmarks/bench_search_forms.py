#!/usr/bin/env python3
"""What a surname's other gender forms cost pd search (issue 19), on a ledger kept by bench_search_queue.py.

    .venv/bin/python benchmarks/bench_search_queue.py --requests 200000 --small 20000 --keep /tmp/ledgers
    .venv/bin/python benchmarks/bench_search_forms.py /tmp/ledgers/ledger-200000

Each query is timed in-process (pd.search.search, limit 20, best of 9), as it is now (the form typed, then
its other gender's forms: up to six index queries) against the baseline of the form typed alone (three, as
before issue 19: gender_forms replaced by the identity), the two taken in turn in the same run, so a change
of load falls on both. Also the LIKE scan of bench_search_queue for the same query, the floor pd search is
held to (>= 20x faster).
"""
from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_search_queue as bench  # noqa: E402

QUERIES = [  # (typed, LIKE words)
    ("kenins", [bench.RARE]),
    ("berzins janis", ["Bērziņš", "Jānis"]),
    ("berzina", ["Bērziņa"]),
    ("ozols", ["Ozols"]),
    ("kalnins", ["Kalniņš"]),
    ("kekava printeris", ["Ķekavā", "printeris"]),
]


def main() -> None:
    work = Path(sys.argv[1])
    os.environ.update(bench.environment(work))
    from pd import search
    from pd.config import load_settings
    from pd.desk import Desk

    Desk(load_settings()).ledger  # opens the ledger, as a command does
    now_forms = search.gender_forms
    print(f"bench_search_forms: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, "
          f"ledger {work} ({sum(p.stat().st_size for p in work.glob('ledger.sqlite3*')) / 1e6:.0f} MB); "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    bench.warm(work)
    print(f"  {'query':<20} {'forms':>9} {'typed only':>11} {'ratio':>6} {'LIKE scan':>10} {'vs LIKE':>8}  shown", flush=True)
    for text, like_words in QUERIES:
        both, alone = [], []
        for _ in range(9):
            for forms, times in ((now_forms, both), (lambda t: [t], alone)):
                search.gender_forms = forms
                t0 = time.perf_counter()
                hits = search.search(text, 20)
                times.append(time.perf_counter() - t0)
                if forms is now_forms:
                    shown = len(hits)
        search.gender_forms = now_forms
        like_s, _, _ = bench.best_cpu(lambda: bench.like_scan(like_words), 3)
        print(f"  {text!r:<20} {min(both) * 1000:7.1f}ms {min(alone) * 1000:9.1f}ms {min(both) / min(alone):5.2f}x "
              f"{like_s * 1000:8.0f}ms {like_s / min(both):7.0f}x  {shown}")


if __name__ == "__main__":
    main()
