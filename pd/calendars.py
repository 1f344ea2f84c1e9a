"""Deadline calendars: round-the-clock (``24x7``) and working time (``working``).

A working calendar knows the weekly hours (local wall-clock), the public holidays
and the Cabinet's transferred days of the ``holidays`` package (Latvian names),
the working day before a public holiday shortened (Labour Law §135), and the
catalog's own additions. Every instant in and out is timezone-aware; results are
UTC. Durations count working time only.

Speed: each year's working intervals are built once (lazily) as UTC microsecond
boundaries with cumulative working time, so ``due``/``elapsed`` are two bisects.
"""

from __future__ import annotations

import difflib
import importlib.util
import re
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .i18n import _
from .patterns import LazyPattern
from .record import Frozen, Record

__all__ = [
    "REASONS",
    "Calendar",
    "Calendar24x7",
    "CalendarSpecError",
    "DayInfo",
    "WorkingCalendar",
    "build_calendar",
    "format_duration",
    "parse_duration",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MIN_US = 60_000_000
_DAY_MIN = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
REASONS = (
    "weekend",
    "holiday",
    "transferred_day_off",
    "extra_day_off",
    "transferred_working_day",
    "shortened",
)
# How far due() may run past the cached years before we call the calendar empty.
_MAX_YEARS_AHEAD = 50


# --------------------------------------------------------------------------- durations

_DURATION_RE = LazyPattern(
    r"^(?:(?P<d>\d+)\s*d)?\s*(?:(?P<h>\d+)\s*h)?\s*(?:(?P<m>\d+)\s*m)?\s*(?:(?P<s>\d+)\s*s)?$",
    re.IGNORECASE,
)


def _invalid_duration(text: Any) -> str:
    return _("invalid duration {text}: expected minutes ('90') or d/h/m parts such as '30m', '2h', '1h30m', "
             "'3d' (d = 24 h)").format(text=repr(text))


def parse_duration(text: str | int) -> timedelta:
    """Parse "30m", "2h", "1h30m", "3d" (d = 24 h) or plain minutes ("90", 90).

    A trailing "Ns" is accepted too, so format_duration() output always parses.
    "0" is valid here; whether a zero SLA time is allowed is the catalog's call.
    """
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        # A ValueError, not TypeError: this is catalog/CLI input, and callers catch ValueError.
        raise ValueError(_invalid_duration(text))  # noqa: TRY004
    if isinstance(text, int):
        if text < 0:
            raise ValueError(_("invalid duration {text}: must not be negative").format(text=repr(text)))
        return timedelta(minutes=text)
    s = text.strip()
    if s.isdigit():
        return timedelta(minutes=int(s))
    m = _DURATION_RE.match(s)
    if not s or m is None or not any(m.groupdict().values()):
        raise ValueError(_invalid_duration(text))
    g = {k: int(v) if v else 0 for k, v in m.groupdict().items()}
    return timedelta(days=g["d"], hours=g["h"], minutes=g["m"], seconds=g["s"])


def format_duration(td: timedelta) -> str:
    """Format as hours and minutes, e.g. "1h30m", "27h", "45m"; inverse of parse_duration.

    Hours are not folded into days: on a working calendar "1d" would read as a
    working day. Leftover seconds appear as "s" (sub-second parts are dropped).
    """
    if td < timedelta(0):
        return "-" + format_duration(-td)
    secs = int(td.total_seconds()) if td.microseconds == 0 else td // timedelta(seconds=1)
    h, rest = divmod(secs, 3600)
    m, s = divmod(rest, 60)
    out = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{s}s" if s else "")
    return out or "0m"


# --------------------------------------------------------------------------- day info


class DayInfo(Frozen):
    """One calendar day of a calendar.

    ``intervals`` are local wall-clock hours; an end of ``time(0)`` means the
    midnight that ends the day (24:00). ``reason`` is one of REASONS or None
    for a plain working day; ``name`` is the holiday's (or transfer's) Latvian
    name, for a shortened day the name of the holiday it precedes.
    ``shortened_minutes``/``before`` are set on every shortened day, including a
    transferred working Saturday whose ``reason`` stays "transferred_working_day".
    """
    date: date
    working: bool
    intervals: list[tuple[time, time]]
    reason: str | None = None
    name: str | None = None
    shortened_minutes: int = 0
    before: str | None = None


@runtime_checkable
class Calendar(Protocol):
    """What the rest of pd codes against."""

    name: str
    kind: str

    def due(self, start: datetime, duration: timedelta) -> datetime: ...
    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...
    def is_working(self, instant: datetime) -> bool: ...
    def explain(self, start: datetime, duration: timedelta) -> dict[str, Any]: ...
    def days(self, first: date, last: date) -> list[DayInfo]: ...


class CalendarSpecError(ValueError):
    """An invalid calendar spec; ``path`` locates the key, e.g. ("calendars", "darba-laiks", "hours", "mon")."""

    def __init__(self, path: tuple[str | int, ...], problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{_dotted(path)}: {problem}")


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


# --------------------------------------------------------------------------- helpers


def _to_us(dt: datetime, what: str) -> int:
    """Aware datetime -> integer microseconds since the epoch (exact, no float)."""
    if not isinstance(dt, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {dt.isoformat()}")
    # Subtracting across different tzinfo objects converts via utcoffset: DST-correct.
    return (dt - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _duration_us(duration: timedelta) -> int:
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    return duration // _US


def _minutes(us: int) -> int | float:
    whole, rest = divmod(us, _MIN_US)
    return whole if rest == 0 else round(us / _MIN_US, 2)


def _clock(dt: datetime, day: date) -> str:
    """Local "HH:MM" (":SS" when needed); the midnight ending ``day`` is "24:00"."""
    if dt.date() > day and dt.time() == time(0):
        return "24:00"
    return dt.strftime("%H:%M:%S" if dt.second or dt.microsecond else "%H:%M")


def _minute_time(minute: int) -> time:
    return time(0) if minute == _DAY_MIN else time(minute // 60, minute % 60)


def _year_of(us: int, tz: ZoneInfo) -> int:
    return _from_us(us).astimezone(tz).year


# --------------------------------------------------------------------------- 24x7


class Calendar24x7:
    """Every instant counts: plain UTC arithmetic (DST changes are real time)."""
    kind = "24x7"

    def __init__(self, name: str, tz: ZoneInfo, title: dict[str, str] | None = None) -> None:
        self.name = name
        self.tz = tz
        self.title = title or {}

    def due(self, start: datetime, duration: timedelta) -> datetime:
        return _from_us(_to_us(start, "start") + _duration_us(duration))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        diff = _to_us(end, "end") - _to_us(start, "start")
        return timedelta(microseconds=max(diff, 0))

    def is_working(self, instant: datetime) -> bool:
        _to_us(instant, "instant")
        return True

    def days(self, first: date, last: date) -> list[DayInfo]:
        return [DayInfo(d, True, [(time(0), time(0))]) for d in _date_range(first, last)]

    def explain(self, start: datetime, duration: timedelta) -> dict[str, Any]:
        due = self.due(start, duration)
        s_loc, e_loc = start.astimezone(self.tz), due.astimezone(self.tz)
        entry: dict[str, Any] = {
            "date": s_loc.date().isoformat(),
            "from": _clock(s_loc, s_loc.date()),
            "to": e_loc.strftime("%H:%M:%S" if e_loc.second or e_loc.microsecond else "%H:%M"),
            "minutes": _minutes(_duration_us(duration)),
        }
        if e_loc.date() != s_loc.date():
            entry["to_date"] = e_loc.date().isoformat()
        return {
            "calendar": self.name,
            "kind": self.kind,
            "timezone": self.tz.key,
            "start": s_loc.isoformat(),
            "duration": format_duration(duration),
            "due": e_loc.isoformat(),
            "counted": [entry],
            "skipped": [],
            "shortened": [],
        }


def _date_range(first: date, last: date) -> list[date]:
    for what, d in (("first", first), ("last", last)):
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"{what} must be a date, got {d!r}")
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --------------------------------------------------------------------------- working time

Minutes = list[tuple[int, int]]  # local [start, end) minutes after midnight, end may be 1440


class _LibYear(Frozen):
    names: dict[date, str]  # public holidays of the library, incl. observed and transferred days off
    days_off: frozenset[date]  # Cabinet-transferred days off (not public holidays)
    worked: dict[date, str]  # Cabinet-transferred working weekend days -> a name


class _Year(Record):
    days: list[DayInfo]
    starts: list[int]
    ends: list[int]
    dates: list[date]


class WorkingCalendar:
    """Working hours on working days in a timezone, with Latvian-style exceptions."""

    kind = "working"
    transfers_checked: frozenset[int] = frozenset()

    def __init__(
        self,
        name: str,
        tz: ZoneInfo,
        hours: dict[int, Minutes],
        saturday_hours: Minutes,
        country: str | None = None,
        shorten_minutes: int = 0,
        days_off: dict[date, str | None] | None = None,
        working_days: dict[date, str | None] | None = None,
        title: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.tz = tz
        self.title = title or {}
        self._hours = {wd: list(hours.get(wd, [])) for wd in range(7)}
        self._sat_hours = list(saturday_hours)
        self._country = country
        self._shorten = shorten_minutes
        self._days_off = dict(days_off or {})
        self._working_days = dict(working_days or {})
        self._lib_class: Any = None  # the `holidays` class of the country, loaded on first use
        self._lang: str | None = None  # "lv" when the country offers Latvian names
        self._lib_cache: dict[int, _LibYear] = {}
        self._subs: list[tuple[date, date]] | None = None
        self._year_cache: dict[int, _Year] = {}
        # The contiguous span of years [lo, hi] flattened into the search arrays.
        self._lo: int | None = None
        self._hi: int | None = None
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._dates: list[date] = []
        self._cum: list[int] = []  # working µs before interval i
        self._cumend: list[int] = []  # working µs up to the end of interval i

    # ---- the library's data -------------------------------------------------------

    def _lib_object(self, year: int) -> Any:
        assert self._country is not None
        if self._lib_class is None:
            self._lib_class = _holiday_class(self._country)
            langs = getattr(self._lib_class, "supported_languages", ())
            self._lang = "lv" if "lv" in langs else None
        return self._lib_class(years=year, language=self._lang)

    def _substitutions(self, h: Any) -> list[tuple[date, date]]:
        """(day off, worked day) pairs from the library's Cabinet transfers, all years.

        ``special_public_holidays`` maps year -> (to_month, to_day, from_month,
        from_day[, from_year]) for a transfer; a 3-tuple is a one-off holiday.
        """
        if self._subs is None:
            subs: list[tuple[date, date]] = []
            for year, entries in (getattr(h, "special_public_holidays", None) or {}).items():
                if not isinstance(year, int) or not entries:
                    continue
                if isinstance(entries[0], int):
                    entries = (entries,)
                for e in entries:
                    if len(e) >= 4 and all(isinstance(x, int) for x in e[:4]):
                        from_year = e[4] if len(e) > 4 and isinstance(e[4], int) else year
                        subs.append((date(year, e[0], e[1]), date(from_year, e[2], e[3])))
            self._subs = subs
        return self._subs

    def _lib(self, year: int) -> _LibYear:
        got = self._lib_cache.get(year)
        if got is not None:
            return got
        if self._country is None:
            got = _LibYear({}, frozenset(), {})
        else:
            h = self._lib_object(year)
            names = {d: str(n) for d, n in h.items() if d.year == year}
            subs = self._substitutions(h)
            off = frozenset(to for to, _ in subs if to.year == year and to in names)
            worked: dict[date, str] = {}
            # The library exposes worked weekend days as `weekend_workdays` (public
            # attribute, filled for the populated years); the transfer table gives
            # us which day off each one pays for, for a readable name.
            pays_for = {frm: to for to, frm in subs}
            candidates = {d for d in getattr(h, "weekend_workdays", set()) if d.year == year}
            candidates |= {frm for _, frm in subs if frm.year == year and frm.weekday() >= 5}
            for d in candidates:
                to = pays_for.get(d)
                worked[d] = (
                    f"Pārceltā darba diena (brīvdiena {to.strftime('%d.%m.%Y')})" if to else "Pārceltā darba diena"
                )
            got = _LibYear(names, off, worked)
        self._lib_cache[year] = got
        return got

    # ---- the day plan -------------------------------------------------------------

    def _status(self, d: date) -> tuple[Minutes, str | None, str | None]:
        """Hours, reason, name of a day before any shortening.

        Precedence: the catalog's own additions beat the library (they exist to
        correct or extend it), the library's transfers beat the weekly pattern.
        """
        base = self._hours[d.weekday()]
        if d in self._working_days:
            return base or self._sat_hours, "transferred_working_day", self._working_days[d] or "Pārceltā darba diena"
        if d in self._days_off:
            return [], "extra_day_off", self._days_off[d]
        lib = self._lib(d.year)
        if d in lib.worked:
            return base or self._sat_hours, "transferred_working_day", lib.worked[d]
        if d in lib.names:
            # A Cabinet-transferred day off is a day off but not a public holiday:
            # the working day before it is NOT shortened (§135 speaks of holidays).
            # The Monday after 4 May / 18 Nov on a weekend counts as "holiday"
            # (the law makes it a day off for the holiday); the day before it is a
            # Sunday, so whether it shortens anything is moot.
            return [], ("transferred_day_off" if d in lib.days_off else "holiday"), lib.names[d]
        if not base:
            return [], "weekend", None
        return base, None, None

    def _day(self, d: date) -> tuple[DayInfo, Minutes]:
        hours, reason, name = self._status(d)
        cut, before = 0, None
        if hours and self._shorten:
            # Labour Law §135: a working day (any: a transferred working Saturday
            # too) directly before a public holiday is one hour shorter. Only the
            # next calendar day counts: Friday before a Sunday holiday is not
            # shortened, Friday before a Saturday holiday is. A transferred or
            # catalog day off is not a public holiday, so it shortens nothing.
            _hours, nxt_reason, nxt_name = self._status(d + timedelta(days=1))
            if nxt_reason == "holiday":
                total = sum(b - a for a, b in hours)
                hours = _cut_end(hours, self._shorten)
                cut, before = total - sum(b - a for a, b in hours), nxt_name
                if reason is None:
                    reason, name = "shortened", nxt_name
        info = DayInfo(
            date=d,
            working=bool(hours),
            intervals=[(_minute_time(a), _minute_time(b)) for a, b in hours],
            reason=reason,
            name=name,
            shortened_minutes=cut,
            before=before,
        )
        return info, hours

    def _wall_us(self, d: date, minute: int) -> int:
        """Local wall-clock minute of day ``d`` -> UTC µs.

        A wall time inside the spring-forward gap does not exist; work starts
        at the first one that does. An ambiguous autumn time takes its first
        occurrence (fold=0).
        """
        naive = datetime(d.year, d.month, d.day) + timedelta(minutes=minute)
        for _attempt in range(_DAY_MIN):
            aware = naive.replace(tzinfo=self.tz)
            if aware.astimezone(UTC).astimezone(self.tz).replace(tzinfo=None) == naive:
                return _to_us(aware, "wall time")
            naive += timedelta(minutes=1)
        raise ValueError(f"no valid local time near {d} minute {minute} in {self.tz.key}")  # pragma: no cover

    def _year(self, year: int) -> _Year:
        got = self._year_cache.get(year)
        if got is not None:
            return got
        days: list[DayInfo] = []
        starts: list[int] = []
        ends: list[int] = []
        dates: list[date] = []
        d = date(year, 1, 1)
        midnight = self._wall_us(d, 0)
        while d.year == year:
            info, minutes = self._day(d)
            days.append(info)
            next_midnight = self._wall_us(d + timedelta(days=1), 0)
            # A day without a DST change is 24 h long: local minutes map by one offset.
            plain = next_midnight - midnight == _DAY_MIN * _MIN_US
            for a, b in minutes:
                if plain:
                    s, e = midnight + a * _MIN_US, midnight + b * _MIN_US
                else:
                    s, e = self._wall_us(d, a), self._wall_us(d, b)
                # Keep intervals sorted and disjoint even on DST days.
                if starts and s < ends[-1]:
                    s = ends[-1]
                if e > s:
                    starts.append(s)
                    ends.append(e)
                    dates.append(d)
            d += timedelta(days=1)
            midnight = next_midnight
        got = _Year(days, starts, ends, dates)
        self._year_cache[year] = got
        return got

    def _ensure(self, lo: int, hi: int) -> None:
        """Make the search arrays cover the local years lo..hi (contiguous)."""
        if self._lo is not None and self._hi is not None:
            if self._lo <= lo and hi <= self._hi:
                return
            lo, hi = min(lo, self._lo), max(hi, self._hi)
        starts: list[int] = []
        ends: list[int] = []
        dates: list[date] = []
        for y in range(lo, hi + 1):
            yr = self._year(y)
            starts += yr.starts
            ends += yr.ends
            dates += yr.dates
        cum: list[int] = []
        cumend: list[int] = []
        total = 0
        for s, e in zip(starts, ends):
            cum.append(total)
            total += e - s
            cumend.append(total)
        self._lo, self._hi = lo, hi
        self._starts, self._ends, self._dates, self._cum, self._cumend = starts, ends, dates, cum, cumend

    def _worked_before(self, t: int) -> int:
        """Working µs from the start of the cached span up to instant t."""
        i = bisect_right(self._starts, t) - 1
        if i < 0:
            return 0
        return self._cum[i] + min(t, self._ends[i]) - self._starts[i]

    # ---- the Calendar interface -----------------------------------------------------

    def due(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of working time has passed."""
        s = _to_us(start, "start")
        d = _duration_us(duration)
        if d == 0:
            return _from_us(s)
        y = _year_of(s, self.tz)
        self._ensure(y, y)
        target = self._worked_before(s) + d
        ahead = 0
        while not self._cumend or target > self._cumend[-1]:
            ahead += 1
            if ahead > _MAX_YEARS_AHEAD:
                raise ValueError(_("calendar {name} has no working time in {years} years").format(
                    name=repr(self.name), years=_MAX_YEARS_AHEAD))
            assert self._lo is not None and self._hi is not None
            # Growing the span forwards keeps the earlier cumulative sums, so target stays valid.
            self._ensure(self._lo, self._hi + 1)
        # First interval whose cumulative end reaches the target: when the target
        # is reached exactly at an interval's end, due is that end (not the next start).
        i = bisect_left(self._cumend, target)
        return _from_us(self._starts[i] + (target - self._cum[i]))

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        s, e = _to_us(start, "start"), _to_us(end, "end")
        if e <= s:
            return timedelta(0)
        self._ensure(_year_of(s, self.tz), _year_of(e, self.tz))
        return timedelta(microseconds=self._worked_before(e) - self._worked_before(s))

    def is_working(self, instant: datetime) -> bool:
        t = _to_us(instant, "instant")
        y = _year_of(t, self.tz)
        self._ensure(y, y)
        i = bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def days(self, first: date, last: date) -> list[DayInfo]:
        out: list[DayInfo] = []
        for d in _date_range(first, last):
            out.append(self._year(d.year).days[d.timetuple().tm_yday - 1])
        return out

    def explain(self, start: datetime, duration: timedelta) -> dict[str, Any]:
        """How ``due(start, duration)`` was reached: days counted, skipped, shortened."""
        due = self.due(start, duration)
        s, e = _to_us(start, "start"), _to_us(due, "due")
        s_loc, e_loc = start.astimezone(self.tz), due.astimezone(self.tz)
        self._ensure(s_loc.year, e_loc.year)
        infos = {i.date: i for i in self.days(s_loc.date(), e_loc.date())}

        counted: list[dict[str, Any]] = []
        by_day: dict[date, dict[str, Any]] = {}
        i = max(bisect_right(self._starts, s) - 1, 0)
        while i < len(self._starts) and self._starts[i] < e:
            a, b = max(s, self._starts[i]), min(e, self._ends[i])
            if b > a:
                day = self._dates[i]
                a_loc, b_loc = _from_us(a).astimezone(self.tz), _from_us(b).astimezone(self.tz)
                entry = by_day.get(day)
                if entry is None:
                    entry = {"date": day.isoformat(), "from": _clock(a_loc, day), "to": "", "minutes": 0, "_us": 0}
                    info = infos.get(day)
                    if info is not None and info.reason not in (None, "shortened"):
                        entry["reason"] = info.reason
                        if info.name:
                            entry["name"] = info.name
                    by_day[day] = entry
                    counted.append(entry)
                elif a > entry["_end"]:  # a break (lunch) between two working intervals of the day
                    entry.setdefault("breaks", []).append(
                        {"from": _clock(_from_us(entry["_end"]).astimezone(self.tz), day), "to": _clock(a_loc, day)})
                entry["to"] = _clock(b_loc, day)
                entry["_us"] += b - a
                entry["_end"] = b
            i += 1
        for entry in counted:
            entry["minutes"] = _minutes(entry.pop("_us"))
            entry.pop("_end")

        skipped: list[dict[str, Any]] = []
        shortened: list[dict[str, Any]] = []
        for info in infos.values():
            if not info.working:
                item: dict[str, Any] = {"date": info.date.isoformat(), "reason": info.reason}
                if info.name:
                    item["name"] = info.name
                skipped.append(item)
            if info.shortened_minutes:
                shortened.append(
                    {"date": info.date.isoformat(), "minutes": info.shortened_minutes, "before": info.before}
                )
        return {
            "calendar": self.name,
            "kind": self.kind,
            "timezone": self.tz.key,
            "start": s_loc.isoformat(),
            "duration": format_duration(duration),
            "due": e_loc.isoformat(),
            "counted": counted,
            "skipped": skipped,
            "shortened": shortened,
        }


def _cut_end(hours: Minutes, minutes: int) -> Minutes:
    """Remove ``minutes`` of working time from the end of the day (across breaks)."""
    out = list(hours)
    rest = minutes
    while rest > 0 and out:
        a, b = out[-1]
        if b - a > rest:
            out[-1] = (a, b - rest)
            rest = 0
        else:
            rest -= b - a
            out.pop()
    return out


# --------------------------------------------------------------------------- building from the catalog

_INTERVAL_RE = LazyPattern(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_KEYS = {
    "24x7": {"kind", "name", "timezone"},
    "working": {
        "kind",
        "name",
        "timezone",
        "hours",
        "saturday_worked_hours",
        "holidays",
        "shorten_before_holiday",
        "days_off",
        "working_days",
        "transfers_checked",
    },
}


def _parse_intervals(value: Any, path: tuple[str | int, ...]) -> Minutes:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise CalendarSpecError(path, _('expected a list of "HH:MM-HH:MM" intervals, got {value}').format(
            value=repr(value)))
    out: Minutes = []
    for i, item in enumerate(value):
        m = _INTERVAL_RE.match(item) if isinstance(item, str) else None
        if m is None:
            raise CalendarSpecError(path + (i,), _('expected "HH:MM-HH:MM", got {value}').format(value=repr(item)))
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise CalendarSpecError(path + (i,), _("not a valid time of day in {value}").format(value=repr(item)))
        a, b = h1 * 60 + m1, h2 * 60 + m2
        if a >= b:
            raise CalendarSpecError(path + (i,), _("interval {value} ends before it starts").format(value=repr(item)))
        if out and a < out[-1][1]:
            raise CalendarSpecError(path + (i,), _("interval {value} overlaps or precedes the one before it").format(
                value=repr(item)))
        out.append((a, b))
    return out


def _parse_date(value: Any, path: tuple[str | int, ...]) -> date:
    if isinstance(value, datetime):
        raise CalendarSpecError(path, _("expected a date (YYYY-MM-DD), got a date and time {value}").format(
            value=repr(value)))
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarSpecError(path, _("expected a date YYYY-MM-DD, got {value}").format(value=repr(value)))


def _parse_years(value: Any, path: tuple[str | int, ...]) -> frozenset[int]:
    """`transfers_checked: [2027]`: years whose Cabinet transfers are all known (pd doctor)."""
    if value is None:
        return frozenset()
    if not isinstance(value, list) or not all(isinstance(y, int) and not isinstance(y, bool) and 2000 <= y <= 2100
                                              for y in value):
        raise CalendarSpecError(path, _("expected a list of years such as [2027], got {value}").format(
            value=repr(value)))
    return frozenset(value)


def _parse_day_list(value: Any, path: tuple[str | int, ...]) -> dict[date, str | None]:
    if value is None:
        return {}
    if not isinstance(value, list):
        raise CalendarSpecError(path, _("expected a list of {{date, name}} entries, got {value}").format(
            value=repr(value)))
    out: dict[date, str | None] = {}
    for i, item in enumerate(value):
        if isinstance(item, Mapping):
            extra = set(item) - {"date", "name"}
            if extra:
                raise CalendarSpecError(path + (i,), _("unknown key(s) {keys}; expected date, name").format(
                    keys=sorted(map(str, extra))))
            if "date" not in item:
                raise CalendarSpecError(path + (i,), _("missing 'date'"))
            d = _parse_date(item["date"], path + (i, "date"))
            name = item.get("name")
            if name is not None and not isinstance(name, str):
                raise CalendarSpecError(path + (i, "name"), _("expected text, got {value}").format(value=repr(name)))
        else:
            d, name = _parse_date(item, path + (i,)), None
        if d in out:
            raise CalendarSpecError(path + (i,), _("date {date} is listed twice").format(date=d.isoformat()))
        out[d] = name
    return out


def _parse_title(value: Any, path: tuple[str | int, ...]) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"lv": value}
    if isinstance(value, Mapping) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return dict(value)
    raise CalendarSpecError(path, _("expected text or {{lv: ..., en: ...}}, got {value}").format(value=repr(value)))


def _parse_tz(value: Any, path: tuple[str | int, ...]) -> ZoneInfo:
    if not isinstance(value, str) or not value.strip():
        raise CalendarSpecError(path, _("expected an IANA timezone such as Europe/Riga, got {value}").format(
            value=repr(value)))
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarSpecError(path, _("unknown timezone {value}").format(value=repr(value))) from None


def _country_module(code: str) -> tuple[str, str] | None:
    """(module, class) of a `holidays` country code, from the package's registry."""
    from holidays.registry import COUNTRIES  # lazy: `holidays` costs start-up; only a new year's calendar needs it

    for module, (cls_name, *codes) in COUNTRIES.items():
        if code in codes:
            return module, cls_name
    return None


def _holiday_class(code: str) -> Any:
    """The `holidays` class of one country, without importing all the others.

    `holidays.country_holidays()` imports `holidays.countries`, whose __init__
    imports ~250 country modules (+100 ms on every CLI call that computes a
    deadline). The country's own file only needs the package's core, so load
    just that file; fall back to the ordinary API if the layout ever changes.
    """
    import holidays  # lazy: start-up (docs/benchmarks.md); only a year not yet cached needs it

    found = _country_module(code)
    if found is None:
        raise ValueError(_("the holidays package does not know country {value}").format(value=repr(code)))
    module, cls_name = found
    loaded = sys.modules.get(f"holidays.countries.{module}")
    if loaded is None:
        try:
            path = Path(holidays.__file__).with_name("countries") / f"{module}.py"
            spec = importlib.util.spec_from_file_location(f"pd._holidays_{module}", path)
            if spec is not None and spec.loader is not None:
                loaded = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = loaded
                spec.loader.exec_module(loaded)
        except Exception:  # noqa: BLE001 - any surprise: use the documented, slower path
            loaded = None
    cls = getattr(loaded, cls_name, None) if loaded is not None else None
    return cls if cls is not None else getattr(holidays, cls_name)


def _parse_country(value: Any, path: tuple[str | int, ...]) -> str | None:
    if value is None or value is False:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CalendarSpecError(path, _("expected a country code such as LV, or null; got {value}").format(
            value=repr(value)))
    code = value.strip().upper()
    # The registry is a plain dict: checking it imports the `holidays` core, not its countries.
    if _country_module(code) is None:
        raise CalendarSpecError(path, _("the holidays package does not know country {value}").format(
            value=repr(value)))
    return code


def build_calendar(name: str, spec: dict[str, Any], tz: str = "Europe/Riga") -> Calendar:
    """Build a calendar from one entry of catalog.yaml's ``calendars:`` mapping.

    Raises CalendarSpecError (a ValueError) whose message starts with the key's
    dotted path, e.g. "calendars.darba-laiks.hours.mon[1]: ...".
    """
    root: tuple[str | int, ...] = ("calendars", name)
    if not isinstance(spec, Mapping):
        raise CalendarSpecError(root, _("expected a mapping with at least 'kind', got {value}").format(
            value=repr(spec)))
    kind = spec.get("kind")
    if kind not in _KEYS:
        raise CalendarSpecError(root + ("kind",), _("expected '24x7' or 'working', got {value}").format(
            value=repr(kind)))
    unknown = set(spec) - _KEYS[kind]
    if unknown:

        first = min(map(str, unknown))
        close = difflib.get_close_matches(first, sorted(_KEYS[kind]), n=1, cutoff=0.6)
        raise CalendarSpecError(
            root + (first,),
            (_("unknown key for a {kind} calendar (did you mean {key}?)").format(kind=kind, key=close[0]) if close
             else _("unknown key for a {kind} calendar; allowed: {keys}").format(
                kind=kind, keys=", ".join(sorted(_KEYS[kind]))))
        )
    title = _parse_title(spec.get("name"), root + ("name",))
    zone = _parse_tz(spec.get("timezone", tz) or tz, root + ("timezone",))
    if kind == "24x7":
        return Calendar24x7(name, zone, title)

    hours_spec = spec.get("hours")
    if not isinstance(hours_spec, Mapping) or not hours_spec:
        raise CalendarSpecError(
            root + ("hours",), _('expected weekday -> intervals (mon: ["08:30-17:00"]), got {value}').format(
                value=repr(hours_spec))
        )
    hours: dict[int, Minutes] = {}
    for key, value in hours_spec.items():
        if not isinstance(key, str) or key.lower() not in WEEKDAYS:
            raise CalendarSpecError(root + ("hours", str(key)), _("not a weekday; use {days}").format(
                days=", ".join(WEEKDAYS)))
        hours[WEEKDAYS.index(key.lower())] = _parse_intervals(value, root + ("hours", key))
    if not any(hours.values()):
        raise CalendarSpecError(root + ("hours",), _("no weekday has working hours"))
    default_sat = hours.get(0) or next(v for _, v in sorted(hours.items()) if v)
    sat = spec.get("saturday_worked_hours")
    saturday = default_sat if sat is None else _parse_intervals(sat, root + ("saturday_worked_hours",))
    if not saturday:
        raise CalendarSpecError(root + ("saturday_worked_hours",), _("must list at least one interval"))

    country = _parse_country(spec.get("holidays"), root + ("holidays",))
    shorten = spec.get("shorten_before_holiday", 0)
    if shorten is None:
        shorten = 0
    if isinstance(shorten, bool) or not isinstance(shorten, int) or not 0 <= shorten <= _DAY_MIN:
        raise CalendarSpecError(root + ("shorten_before_holiday",), _("expected minutes 0..1440, got {value}").format(
            value=repr(shorten)))

    if shorten:
        # Labour Law §135 shortens the day before a holiday by one hour: a shortening that
        # leaves no working time would silently erase a working day.
        shortest = min(sum(b - a for a, b in day) for day in [*hours.values(), saturday] if day)
        if shorten >= shortest:
            raise CalendarSpecError(root + ("shorten_before_holiday",),
                                    _("{minutes} minutes would erase a working day (the shortest has {shortest} "
                                      "minutes): at most {most}").format(minutes=shorten, shortest=shortest,
                                                                         most=shortest - 1))
    days_off = _parse_day_list(spec.get("days_off"), root + ("days_off",))
    working_days = _parse_day_list(spec.get("working_days"), root + ("working_days",))
    both = sorted(set(days_off) & set(working_days))
    if both:
        raise CalendarSpecError(root + ("working_days",), _("{date} is also listed in days_off").format(
            date=both[0].isoformat()))
    checked = _parse_years(spec.get("transfers_checked"), root + ("transfers_checked",))
    cal = WorkingCalendar(
        name,
        zone,
        hours,
        saturday,
        country=country,
        shorten_minutes=shorten,
        days_off=days_off,
        working_days=working_days,
        title=title,
    )
    # Years whose Cabinet transfers an admin has checked are all known (none is an answer too).
    cal.transfers_checked = checked
    return cal
