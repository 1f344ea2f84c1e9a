"""Time pd.calendars by hand: ``.venv/bin/python benchmarks/bench_calendar.py``.

Prints the median µs of one due() call for a day, a week and a month of working
time (warm cache), of elapsed() over a month, and the cold cost of the first
call on a fresh calendar (the `holidays` lookup plus one year's intervals).
Not a test: nothing here asserts.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pd.calendars import Calendar, build_calendar

RIGA = ZoneInfo("Europe/Riga")
DAY = ["08:30-12:00", "12:30-17:00"]
SPEC = {
    "kind": "working",
    "timezone": "Europe/Riga",
    "hours": {wd: DAY for wd in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "LV",
    "shorten_before_holiday": 60,
}
N = 5000


def median_us(fn: Callable[[int], object], n: int = N) -> float:
    times = []
    for i in range(n):
        t0 = time.perf_counter_ns()
        fn(i)
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1000


def starts(n: int) -> list[datetime]:
    rnd = random.Random(2026)
    base = datetime(2026, 1, 1, tzinfo=RIGA)
    return [base + timedelta(minutes=rnd.randrange(365 * 24 * 60)) for _ in range(n)]


def bench(cal: Calendar, durations: list[tuple[str, timedelta]]) -> None:
    ss = starts(N)
    for s in ss[:50]:  # warm the year caches the runs will touch
        cal.due(s, timedelta(hours=2000))
    for label, d in durations:

        def one(i: int, d: timedelta = d) -> object:
            return cal.due(ss[i], d)

        print(f"  due {label:<28} {median_us(one):8.1f} µs")
    ends = [s + timedelta(days=30) for s in ss]
    print(f"  elapsed over 30 calendar days  {median_us(lambda i: cal.elapsed(ss[i], ends[i])):8.1f} µs")


def cold() -> None:
    runs = []
    for _ in range(7):
        t0 = time.perf_counter()
        cal = build_calendar("darba-laiks", SPEC)
        cal.due(datetime(2026, 6, 1, 9, tzinfo=RIGA), timedelta(hours=8))
        runs.append((time.perf_counter() - t0) * 1000)
    print(f"  build + first due (one year)   {statistics.median(runs):8.2f} ms (median of 7)")


def main() -> None:
    print("working time (darba-laiks, LV):")
    bench(
        build_calendar("darba-laiks", SPEC),
        [
            ("1 working day (8h)", timedelta(hours=8)),
            ("1 working week (40h)", timedelta(hours=40)),
            ("1 working month (160h)", timedelta(hours=160)),
        ],
    )
    cold()
    print("24x7:")
    bench(
        build_calendar("24x7", {"kind": "24x7"}),
        [("1 day", timedelta(days=1)), ("1 week", timedelta(days=7)), ("1 month (30d)", timedelta(days=30))],
    )


if __name__ == "__main__":
    main()
