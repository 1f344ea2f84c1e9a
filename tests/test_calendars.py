"""pd.calendars: Latvian working time, 24x7, DST, and the catalog spec.

Every expected deadline below was worked out by hand from the Latvian calendar
(working hours 08:30-12:00, 12:30-17:00: 8 h a day, 7 h on a shortened day).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pd.calendars import (
    Calendar,
    CalendarSpecError,
    DayInfo,
    build_calendar,
    format_duration,
    parse_duration,
)

RIGA = ZoneInfo("Europe/Riga")
DAY = ["08:30-12:00", "12:30-17:00"]
SPEC: dict[str, Any] = {
    "kind": "working",
    "name": {"lv": "Darba laiks", "en": "Working time"},
    "timezone": "Europe/Riga",
    "hours": {wd: list(DAY) for wd in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": "LV",
    "shorten_before_holiday": 60,
    "days_off": [{"date": date(2028, 7, 10), "name": "Dziesmu un deju svētku noslēguma diena (brīvdiena)"}],
    "working_days": [{"date": "2027-06-26", "name": "Pārceltā darba diena"}],
}
WORK = build_calendar("darba-laiks", SPEC)
TFS = build_calendar("24x7", {"kind": "24x7"})


def riga(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=RIGA)


def H(hours: float) -> timedelta:
    return timedelta(hours=hours)


def due_riga(cal: Calendar, start: datetime, duration: timedelta) -> str:
    out = cal.due(start, duration)
    assert out.utcoffset() == timedelta(0)
    return out.astimezone(RIGA).isoformat()


def day(d: date) -> DayInfo:
    (info,) = WORK.days(d, d)
    return info


# ------------------------------------------------------------------ hand-computed deadlines


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # 17 Nov 2026 shortened (6.5 h from 09:00), 18 Nov holiday, Thu 19 Nov 08:30 + 1.5 h.
        (riga(2026, 11, 17, 9), H(8), "2026-11-19T10:00:00+02:00"),
        # 30 Apr 2025 ends 16:00 (before 1 May); 1 May holiday, 2 May transferred off,
        # weekend, Mon 5 May is the day off for Sunday 4 May; Tue 6 May.
        (riga(2025, 4, 30, 15), H(2), "2025-05-06T09:30:00+03:00"),
        # Sat 10 May 2025 worked (for 2 May), shortened before Mother's Day (Sun 11 May).
        (riga(2025, 5, 9, 16), H(4), "2025-05-10T11:30:00+03:00"),
        (riga(2025, 5, 10, 15), H(2), "2025-05-12T09:30:00+03:00"),
        # 17 Nov 2025 transferred day off is no holiday: Fri 14 Nov is not shortened.
        (riga(2025, 11, 14, 16), H(2), "2025-11-19T09:30:00+02:00"),
        # Sat 8 Nov 2025 worked for 17 Nov, with the Monday hours.
        (riga(2025, 11, 7, 16), H(3), "2025-11-08T10:30:00+02:00"),
        # 30 Dec 2025 ends at 16:00; 31 Dec, 1 Jan holidays, 2 Jan 2026 transferred off.
        (riga(2025, 12, 30, 16, 30), H(1), "2026-01-05T09:30:00+02:00"),
        # Sat 17 Jan 2026 worked.
        (riga(2026, 1, 16, 16), H(2), "2026-01-17T09:30:00+02:00"),
        # Fri 19 Jun 2026 not shortened (next day Saturday); 22 Jun transferred off; 23-24 Jun.
        (riga(2026, 6, 19, 16), H(2), "2026-06-25T09:30:00+03:00"),
        # Sat 27 Jun 2026 worked; 8 h reached exactly at the end of the morning: 12:00, not 12:30.
        (riga(2026, 6, 26, 12), H(8), "2026-06-27T12:00:00+03:00"),
        # 2027: Tue 22 Jun shortened before Līgo; 23, 24 Jun holidays.
        (riga(2027, 6, 22, 15, 30), H(1), "2027-06-25T09:00:00+03:00"),
        # Christmas 2026: 23 Dec ends 16:00, 24-27 Dec off.
        (riga(2026, 12, 23, 15), H(3), "2026-12-28T10:30:00+02:00"),
        # New Year: 29 Dec 4.5 h, 30 Dec shortened 7 h, 31 Dec-3 Jan off, Mon 4 Jan 0.5 h.
        (riga(2026, 12, 29, 12), H(12), "2027-01-04T09:00:00+02:00"),
        # DST spring (29 Mar 2026) and autumn (25 Oct 2026) weekends on working time.
        (riga(2026, 3, 27, 16), H(2), "2026-03-30T09:30:00+03:00"),
        (riga(2026, 10, 23, 16), H(2), "2026-10-26T09:30:00+02:00"),
        # Registered at night, on a Saturday, on a holiday, during lunch.
        (riga(2026, 3, 10, 23, 10), H(3.5), "2026-03-11T12:00:00+02:00"),  # the end of the morning
        (riga(2026, 3, 10, 23, 10), H(4), "2026-03-11T13:00:00+02:00"),
        (riga(2026, 3, 14, 10), H(1), "2026-03-16T09:30:00+02:00"),
        (riga(2026, 5, 1, 10), H(1), "2026-05-05T09:30:00+03:00"),  # Fri 1 May, Mon 4 May holidays
        (riga(2026, 3, 11, 12, 10), timedelta(minutes=30), "2026-03-11T13:00:00+02:00"),
        # The catalog's additions: 10 Jul 2028 off, Sat 26 Jun 2027 worked.
        (riga(2028, 7, 7, 16), H(2), "2028-07-11T09:30:00+03:00"),
        (riga(2027, 6, 25, 16), H(2), "2027-06-26T09:30:00+03:00"),
        # A zero duration is due at once.
        (riga(2026, 3, 14, 10), timedelta(0), "2026-03-14T10:00:00+02:00"),
    ],
)
def test_working_due(start: datetime, duration: timedelta, expected: str) -> None:
    assert due_riga(WORK, start, duration) == expected


def test_24x7_across_dst() -> None:
    # Spring: 01:30 EET + 2 h of real time = 04:30 EEST (03:00-04:00 does not exist).
    assert due_riga(TFS, riga(2026, 3, 29, 1, 30), H(2)) == "2026-03-29T04:30:00+03:00"
    # Autumn: 02:30 EEST + 2 h = 03:30 EET (03:00-04:00 happens twice).
    assert due_riga(TFS, riga(2026, 10, 25, 2, 30), H(2)) == "2026-10-25T03:30:00+02:00"
    assert TFS.elapsed(riga(2026, 3, 29), riga(2026, 3, 30)) == H(23)
    assert TFS.elapsed(riga(2026, 10, 25), riga(2026, 10, 26)) == H(25)
    assert TFS.elapsed(riga(2026, 1, 2), riga(2026, 1, 1)) == timedelta(0)
    assert TFS.is_working(riga(2026, 12, 25, 3))


def test_working_elapsed() -> None:
    # Mon 16 - Fri 20 Nov 2026: 8 + 7 + 0 + 8 + 8.
    assert WORK.elapsed(riga(2026, 11, 16), riga(2026, 11, 21)) == H(31)
    # A pause over a weekend and a holiday counts only working time.
    assert WORK.elapsed(riga(2026, 6, 19, 16), riga(2026, 6, 25, 9)) == H(1.5)
    assert WORK.elapsed(riga(2026, 6, 20), riga(2026, 6, 24, 23)) == timedelta(0)
    assert WORK.elapsed(riga(2026, 6, 25), riga(2026, 6, 24)) == timedelta(0)
    # Same instant in two zones.
    assert WORK.elapsed(riga(2026, 3, 11, 9), datetime(2026, 3, 11, 8, tzinfo=UTC)) == H(1)


def _month_total(first: date, last: date) -> tuple[int, float]:
    days = WORK.days(first, last)
    hours = sum(
        (datetime.combine(d.date, b if b != time(0) else time(23, 59)) - datetime.combine(d.date, a)).seconds / 3600
        for d in days
        for a, b in d.intervals
    )
    return sum(d.working for d in days), hours


def test_published_norms() -> None:
    # Labklājības ministrija: Dec 2025 19 days / 150 h, Jan 2026 21 days / 168 h.
    assert _month_total(date(2025, 12, 1), date(2025, 12, 31)) == (19, 150)
    assert _month_total(date(2026, 1, 1), date(2026, 1, 31)) == (21, 168)
    # 2026: 261 weekdays - 13 off + 2 Saturdays = 250 days; 5 shortened days.
    assert _month_total(date(2026, 1, 1), date(2026, 12, 31)) == (250, 1995)
    assert WORK.elapsed(riga(2026, 1, 1), riga(2027, 1, 1)) == H(1995)


def test_days_reasons() -> None:
    nov17 = day(date(2026, 11, 17))
    assert nov17.working and nov17.reason == "shortened" and nov17.shortened_minutes == 60
    assert nov17.intervals == [(time(8, 30), time(12)), (time(12, 30), time(16))]
    assert nov17.name == nov17.before == "Latvijas Republikas Proklamēšanas diena"
    nov18 = day(date(2026, 11, 18))
    assert (nov18.working, nov18.reason, nov18.name) == (False, "holiday", "Latvijas Republikas Proklamēšanas diena")
    assert day(date(2026, 11, 21)).reason == "weekend"
    assert day(date(2026, 11, 19)).reason is None
    may5 = day(date(2025, 5, 5))
    assert (may5.working, may5.reason) == (False, "holiday")
    assert may5.name is not None and may5.name.startswith("Latvijas Republikas Neatkarības atjaunošanas diena")
    for off, worked in ((date(2026, 1, 2), date(2026, 1, 17)), (date(2026, 6, 22), date(2026, 6, 27))):
        assert (day(off).working, day(off).reason) == (False, "transferred_day_off")
        w = day(worked)
        assert (w.working, w.reason, w.shortened_minutes) == (True, "transferred_working_day", 0)
        assert w.intervals == [(time(8, 30), time(12)), (time(12, 30), time(17))]
    # A transferred day off is no holiday: the day before it keeps its full hours.
    assert day(date(2025, 11, 14)).reason is None
    assert day(date(2025, 11, 17)).reason == "transferred_day_off"
    assert day(date(2025, 11, 18)).reason == "holiday"
    # A transferred working Saturday before a holiday (Mother's Day) is shortened.
    sat = day(date(2025, 5, 10))
    assert (sat.reason, sat.shortened_minutes, sat.before) == ("transferred_working_day", 60, "Mātes diena")
    assert [(d.date.day, d.reason) for d in WORK.days(date(2026, 6, 22), date(2026, 6, 24))] == [
        (22, "transferred_day_off"),
        (23, "holiday"),
        (24, "holiday"),
    ]
    assert [d.name for d in WORK.days(date(2026, 6, 23), date(2026, 6, 24))] == ["Līgo diena", "Jāņu diena"]
    assert [(d.date.day, d.reason) for d in WORK.days(date(2025, 12, 23), date(2025, 12, 26))] == [
        (23, "shortened"),
        (24, "holiday"),
        (25, "holiday"),
        (26, "holiday"),
    ]
    assert day(date(2025, 12, 30)).reason == "shortened"
    assert day(date(2025, 12, 31)).name == "Vecgada diena"
    # A Friday before a Saturday holiday is shortened; before a Sunday one it is not.
    assert day(date(2028, 11, 17)).reason == "shortened"  # 18 Nov 2028 is a Saturday
    assert day(date(2028, 11, 20)).reason == "holiday"  # ...and Monday 20 Nov is off
    assert day(date(2025, 5, 2)).reason == "transferred_day_off"
    assert day(date(2026, 12, 24)).reason == "holiday"
    assert day(date(2028, 7, 10)).reason == "extra_day_off"
    assert day(date(2027, 6, 26)).reason == "transferred_working_day"
    assert WORK.days(date(2026, 1, 2), date(2026, 1, 1)) == []
    assert [d.date for d in WORK.days(date(2025, 12, 31), date(2026, 1, 1))] == [date(2025, 12, 31), date(2026, 1, 1)]
    assert TFS.days(date(2026, 3, 29), date(2026, 3, 29))[0].working


def test_is_working_boundaries() -> None:
    assert WORK.is_working(riga(2026, 3, 11, 8, 30))
    assert not WORK.is_working(riga(2026, 3, 11, 8, 29, 59))
    assert not WORK.is_working(riga(2026, 3, 11, 12))
    assert WORK.is_working(riga(2026, 3, 11, 16, 59, 59))
    assert not WORK.is_working(riga(2026, 3, 11, 17))
    assert not WORK.is_working(riga(2026, 11, 17, 16, 30))  # shortened
    assert not WORK.is_working(riga(2026, 11, 18, 10))  # holiday
    assert WORK.is_working(riga(2026, 1, 17, 10))  # worked Saturday
    assert WORK.is_working(datetime(2026, 3, 30, 6, 30, tzinfo=UTC))  # 09:30 EEST


def test_explain_names_the_skipped_days() -> None:
    got = WORK.explain(riga(2026, 11, 17, 8, 30), H(16))
    assert got == {
        "calendar": "darba-laiks",
        "kind": "working",
        "timezone": "Europe/Riga",
        "start": "2026-11-17T08:30:00+02:00",
        "duration": "16h",
        "due": "2026-11-20T09:30:00+02:00",
        "counted": [
            {"date": "2026-11-17", "from": "08:30", "to": "16:00", "minutes": 420,
             "breaks": [{"from": "12:00", "to": "12:30"}]},  # lunch is not counted, and explain says so
            {"date": "2026-11-19", "from": "08:30", "to": "17:00", "minutes": 480,
             "breaks": [{"from": "12:00", "to": "12:30"}]},
            {"date": "2026-11-20", "from": "08:30", "to": "09:30", "minutes": 60},
        ],
        "skipped": [{"date": "2026-11-18", "reason": "holiday", "name": "Latvijas Republikas Proklamēšanas diena"}],
        "shortened": [{"date": "2026-11-17", "minutes": 60, "before": "Latvijas Republikas Proklamēšanas diena"}],
    }
    json.dumps(got)
    weekend = WORK.explain(riga(2026, 6, 19, 16), H(2))
    assert [(s["date"], s["reason"]) for s in weekend["skipped"]] == [
        ("2026-06-20", "weekend"),
        ("2026-06-21", "weekend"),
        ("2026-06-22", "transferred_day_off"),
        ("2026-06-23", "holiday"),
        ("2026-06-24", "holiday"),
    ]
    sat = WORK.explain(riga(2026, 6, 26, 16), H(2))["counted"]
    assert sat[1]["reason"] == "transferred_working_day" and sat[1]["date"] == "2026-06-27"
    odd = WORK.explain(riga(2026, 3, 11, 9, 15, 30), H(1))["counted"]
    assert odd == [{"date": "2026-03-11", "from": "09:15:30", "to": "10:15:30", "minutes": 60}]


def test_explain_24x7() -> None:
    got = TFS.explain(riga(2026, 3, 28, 23, 30), H(4))
    assert got["due"] == "2026-03-29T04:30:00+03:00"
    assert got["counted"] == [
        {"date": "2026-03-28", "from": "23:30", "to": "04:30", "minutes": 240, "to_date": "2026-03-29"}
    ]
    assert got["skipped"] == [] and got["duration"] == "4h"
    json.dumps(got)


def test_saturday_hours_and_24h_days() -> None:
    spec = dict(SPEC, saturday_worked_hours=["09:00-13:00"])
    cal = build_calendar("x", spec)
    assert due_riga(cal, riga(2026, 1, 16, 16), H(2)) == "2026-01-17T10:00:00+02:00"
    # Round-the-clock weekdays (00:00-24:00) without holidays; the DST night is 23 h long.
    allday = build_calendar("y", {"kind": "working", "hours": {"sat": "00:00-24:00", "sun": ["00:00-24:00"]}})
    assert allday.elapsed(riga(2026, 3, 28), riga(2026, 3, 30)) == H(47)
    assert allday.elapsed(riga(2026, 10, 24), riga(2026, 10, 26)) == H(49)
    assert due_riga(allday, riga(2026, 3, 29, 1, 30), H(2)) == "2026-03-29T04:30:00+03:00"
    assert allday.days(date(2026, 3, 28), date(2026, 3, 28))[0].intervals == [(time(0), time(0))]
    # A gap hour on a worked Sunday counts from the first wall time that exists.
    night = build_calendar("z", {"kind": "working", "hours": {"sun": ["03:30-05:00"]}})
    assert night.elapsed(riga(2026, 3, 29), riga(2026, 3, 30)) == H(1)
    assert night.elapsed(riga(2026, 3, 22), riga(2026, 3, 23)) == H(1.5)


def test_naive_and_negative_inputs_refused() -> None:
    naive = datetime(2026, 3, 11, 9)
    for cal in (WORK, TFS):
        with pytest.raises(ValueError, match="timezone-aware"):
            cal.due(naive, H(1))
        with pytest.raises(ValueError, match="timezone-aware"):
            cal.elapsed(riga(2026, 3, 11), naive)
        with pytest.raises(ValueError, match="timezone-aware"):
            cal.is_working(naive)
        with pytest.raises(ValueError, match="negative"):
            cal.due(riga(2026, 3, 11), H(-1))
    with pytest.raises(TypeError):
        WORK.days(datetime(2026, 1, 1, tzinfo=RIGA), date(2026, 1, 2))


def test_protocol() -> None:
    assert isinstance(WORK, Calendar) and isinstance(TFS, Calendar)
    assert (WORK.name, WORK.kind, TFS.name, TFS.kind) == ("darba-laiks", "working", "24x7", "24x7")


# ------------------------------------------------------------------ properties

LO = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
HI = int(datetime(2028, 12, 31, tzinfo=UTC).timestamp() * 1_000_000)
instants = st.builds(
    lambda us, minute_only, tz: (
        datetime.fromtimestamp(0, UTC) + timedelta(microseconds=us - us % 60_000_000 if minute_only else us)
    ).astimezone(tz),
    st.integers(LO, HI),
    st.booleans(),
    st.sampled_from([UTC, RIGA]),
)
durations = st.one_of(
    st.integers(1, 300 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 300 * 3600).map(lambda s: timedelta(seconds=s)),
)
calendars = st.sampled_from([WORK, TFS])
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
US = timedelta(microseconds=1)


@PROPS
@given(calendars, instants, durations)
def test_due_is_exact_and_earliest(cal: Calendar, start: datetime, d: timedelta) -> None:
    due = cal.due(start, d)
    assert due.utcoffset() == timedelta(0) and due > start
    assert cal.elapsed(start, due) == d
    # Not later than needed: the instant just before due is working time still short of d.
    assert cal.elapsed(start, due - US) == d - US
    assert cal.is_working(due - US)


@PROPS
@given(calendars, instants, durations, durations)
def test_due_composes(cal: Calendar, start: datetime, a: timedelta, b: timedelta) -> None:
    assert cal.due(cal.due(start, a), b) == cal.due(start, a + b)


@PROPS
@given(calendars, instants, instants, instants)
def test_elapsed_is_additive(cal: Calendar, x: datetime, y: datetime, z: datetime) -> None:
    a, b, c = sorted((x, y, z))
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)
    assert cal.elapsed(c, a) == timedelta(0)


@PROPS
@given(calendars, instants, durations, st.floats(0, 0.999), durations)
def test_pause_moves_due_by_its_working_length(
    cal: Calendar, start: datetime, d: timedelta, where: float, pause: timedelta
) -> None:
    """Stopping the clock for [p1, p2) and resuming = extending d by elapsed(p1, p2)."""
    p1 = start + (cal.due(start, d) - start) * where
    used = cal.elapsed(start, p1)
    p2 = p1 + pause * 3  # pauses are wall-clock spans
    if used >= d:
        return
    resumed = cal.due(p2, d - used)
    assert resumed == cal.due(start, d + cal.elapsed(p1, p2))


@PROPS
@given(instants)
def test_is_working_matches_days(instant: datetime) -> None:
    local = instant.astimezone(RIGA)
    (info,) = WORK.days(local.date(), local.date())
    t = local.time().replace(tzinfo=None)
    inside = any(a <= t and (b == time(0) or t < b) for a, b in info.intervals)
    assert WORK.is_working(instant) == inside


# ------------------------------------------------------------------ durations


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("30m", 30),
        ("2h", 120),
        ("1h30m", 90),
        ("3d", 72 * 60),
        ("90", 90),
        (90, 90),
        (" 1h 30m ", 90),
        ("1d2h", 26 * 60),
        ("0", 0),
        ("2H", 120),
    ],
)
def test_parse_duration(text: str | int, minutes: int) -> None:
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("bad", ["", "   ", "h", "1x", "1.5h", "-5", -5, "30m1h", "1h30", "2 hours", None, 1.5, True])
def test_parse_duration_refuses(bad: Any) -> None:
    with pytest.raises(ValueError, match="ilgums"):
        parse_duration(bad)


def test_format_duration_round_trips() -> None:
    assert format_duration(timedelta(minutes=90)) == "1h30m"
    assert format_duration(H(16)) == "16h"
    assert format_duration(H(72)) == "72h"
    assert format_duration(timedelta(minutes=45)) == "45m"
    assert format_duration(timedelta(0)) == "0m"
    assert format_duration(timedelta(seconds=3725)) == "1h2m5s"
    assert format_duration(-timedelta(minutes=5)) == "-5m"
    for m in (1, 59, 60, 61, 1439, 1440, 4321, 18000):
        assert parse_duration(format_duration(timedelta(minutes=m))) == timedelta(minutes=m)


# ------------------------------------------------------------------ the catalog spec


def _with(**changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(json.dumps(SPEC, default=str))
    for key, value in changes.items():
        if value is _DROP:
            spec.pop(key, None)
        else:
            spec[key] = value
    return spec


_DROP = object()


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ("not a mapping", "calendars.c:"),
        (_with(kind="office"), "calendars.c.kind"),
        (_with(kind=_DROP), "calendars.c.kind"),
        (_with(shorten_before_holidays=60), "calendars.c.shorten_before_holidays"),
        (_with(hours=None), "calendars.c.hours"),
        (_with(hours={"mon": ["8:30-1200"]}), "calendars.c.hours.mon[0]"),
        (_with(hours={"mon": ["17:00-08:30"]}), "calendars.c.hours.mon[0]"),
        (_with(hours={"mon": ["08:30-12:00", "11:00-17:00"]}), "calendars.c.hours.mon[1]"),
        (_with(hours={"mon": ["25:00-26:00"]}), "calendars.c.hours.mon[0]"),
        (_with(hours={"monday": DAY}), "calendars.c.hours.monday"),
        (_with(hours={"mon": 8}), "calendars.c.hours.mon"),
        (_with(hours={"mon": []}), "calendars.c.hours"),
        (_with(saturday_worked_hours=["9-13"]), "calendars.c.saturday_worked_hours[0]"),
        (_with(holidays="XX"), "calendars.c.holidays"),
        (_with(holidays=True), "calendars.c.holidays"),
        (_with(shorten_before_holiday=-5), "calendars.c.shorten_before_holiday"),
        (_with(shorten_before_holiday="60"), "calendars.c.shorten_before_holiday"),
        (_with(timezone="Mars/Olympus"), "calendars.c.timezone"),
        (_with(days_off=[{"date": "2028-13-01"}]), "calendars.c.days_off[0].date"),
        (_with(days_off=[{"name": "x"}]), "calendars.c.days_off[0]"),
        (_with(days_off=[{"date": "2028-07-10", "nam": "x"}]), "calendars.c.days_off[0]"),
        (_with(days_off=[{"date": datetime(2028, 7, 10, 9)}]), "calendars.c.days_off[0].date"),
        (_with(days_off=["2028-07-10", {"date": date(2028, 7, 10)}]), "calendars.c.days_off[1]"),
        (_with(days_off="2028-07-10"), "calendars.c.days_off"),
        (_with(working_days=[{"date": "2028-07-10"}]), "calendars.c.working_days"),
        (_with(name=5), "calendars.c.name"),
        ({"kind": "24x7", "hours": {"mon": DAY}}, "calendars.c.hours"),
    ],
)
def test_spec_errors_name_the_key(spec: Any, where: str) -> None:
    with pytest.raises(CalendarSpecError) as info:
        build_calendar("c", spec)
    assert str(info.value).startswith(where), str(info.value)
    assert isinstance(info.value, ValueError)


def test_spec_accepts_strings_and_defaults() -> None:
    cal = build_calendar(
        "c",
        {
            "kind": "working",
            "hours": {"Mon": "09:00-17:00", "sat": None},
            "holidays": None,
            "days_off": ["2026-03-09"],
            "working_days": [date(2026, 3, 14)],
        },
    )
    assert not cal.is_working(riga(2026, 3, 9, 10))  # a days_off string date
    assert cal.is_working(riga(2026, 3, 14, 10))  # a working Saturday with the Monday hours
    assert not cal.is_working(riga(2026, 3, 10, 10))  # Tuesday has no hours
    assert (
        build_calendar("t", {"kind": "24x7", "timezone": "UTC"}).explain(datetime(2026, 1, 1, tzinfo=UTC), H(1))["due"]
        == "2026-01-01T01:00:00+00:00"
    )
    # Without the shortening rule 17 Nov 2026 is a full day.
    full = build_calendar("f", _with(shorten_before_holiday=0))
    assert full.days(date(2026, 11, 17), date(2026, 11, 17))[0].reason is None
