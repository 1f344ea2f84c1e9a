"""The service catalog and the contacts: versioned YAML, validated, snapshotted (SPEC 7).

`catalog.yaml` says what the Centre offers and how fast; `contacts.yaml` says
who is who. Both carry `version`; the ledger keeps every version it has seen
and refuses a file changed without a new version.
"""
from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

import peewee

from . import yamlfile
from .db.connection import translate_errors, write_transaction
from .db.models import ConfigSnapshot
from .errors import ConfigError, InvalidInput, NotFound
from .i18n import N_, _
from .latvian import format_dt, normalize_email, normalize_phone
from .record import Frozen, Record, fresh
from .yamlfile import LineDict, check_keys, did_you_mean, line_at, line_of, text_of

CATEGORIES = ("email", "internet", "information_system", "hardware", "access")
ROLES = ("operator", "expert", "manager", "supervisor", "admin", "system")
PRIORITIES = ("normal", "urgent")

# The strict schemas: every key a mapping may hold (an unknown one is exit 7 with a did-you-mean).
# A new key is one word here, plus reading it in validate_catalog / validate_contacts.
CATALOG_KEYS = {
    "the catalog": {"version", "settings", "calendars", "services"},
    "settings": {"close_after", "escalation", "remind_before"},
    "settings.escalation": {"repeat_after"},
    "settings.remind_before": {"response", "resolution"},
    "a service": {"code", "name", "category", "description", "needs_location", "operator_can_resolve",
                  "experts", "times"},
    "a service's times": {"calendar", "response", "resolution"},
    "a name": {"lv", "en"},
}
CONTACTS_KEYS = {
    "the contacts": {"version", "desk", "institutions", "staff"},
    "desk": {"name", "email", "phone"},
    "an institution": {"code", "name", "ict_contacts", "report_recipients"},
    "an ICT contact person": {"name", "email", "phone"},
    "a staff member": {"login", "name", "email", "phone", "roles", "manager", "services"},
}
# How an error names each part of a file ("unknown key 'x' in {part}"), translated where shown.
PARTS = {
    "the catalog": N_("the catalog"), "settings": N_("the catalog's settings"),
    "settings.escalation": N_("the catalog's settings.escalation"),
    "settings.remind_before": N_("the catalog's settings.remind_before"),
    "a service": N_("a service"), "a service's times": N_("a service's times"),
    "the contacts": N_("the contacts"), "desk": N_("the desk's contact details"),
    "an institution": N_("an institution"), "an ICT contact person": N_("an ICT contact person"),
    "a staff member": N_("a staff member"),
}
# Bumped when validation gets stricter: a snapshot validated under an older schema is checked again.
SCHEMA = 3
# The longest time a catalog may give (response, resolution, close_after, repeat_after).
MAX_DURATION = timedelta(days=365)
# Every deadline computed from the sample instants must fall within this of its start.
MAX_DEADLINE = timedelta(days=10 * 366)


class _Checker:
    """Collects the first problem as 'file:line: reason'."""

    def __init__(self, path: str, schema: dict[str, set[str]] | None = None):
        self.path = path
        self.schema = schema or {}

    def keys(self, node: Any, what: str) -> None:
        check_keys(node, self.schema[what], self.path, PARTS.get(what, what))

    def fail(self, obj: Any, key: Any, reason: str) -> None:
        raise ConfigError(f"{self.path}:{line_of(obj, key)}: {reason}")


    def mapping(self, parent: Any, key: Any, *, required: bool = True) -> dict:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.fail(parent, None, _("missing '{key}'").format(key=key))
            return LineDict()
        if not isinstance(value, dict):
            self.fail(parent, key, _("'{key}' must be a mapping").format(key=key))
        return value

    def seq(self, parent: Any, key: Any, *, required: bool = True) -> list:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.fail(parent, None, _("missing '{key}'").format(key=key))
            return []
        if not isinstance(value, list):
            self.fail(parent, key, _("'{key}' must be a list").format(key=key))
        return value

    def text(self, parent: Any, key: Any, *, required: bool = True, default: str = "") -> str:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None or value == "":
            if required:
                self.fail(parent, None, _("missing '{key}'").format(key=key))
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.fail(parent, key, _("'{key}' must be text").format(key=key))
        return value if isinstance(value, str) else text_of(parent, key)  # 2026.10 as written, not 2026.1

    def flag(self, parent: Any, key: Any, default: bool = False) -> bool:
        value = parent.get(key, default)
        if not isinstance(value, bool):
            self.fail(parent, key, _("'{key}' must be true or false").format(key=key))
        return value

    def duration(self, parent: Any, key: Any, *, required: bool = True, default: str | None = None) -> timedelta:
        value = parent.get(key, default) if isinstance(parent, dict) else default
        if value is None:
            if required:
                self.fail(parent, None, _("missing '{key}'").format(key=key))
            return timedelta(0)
        from .calendars import parse_duration  # lazy: pd.calendars costs start-up; a read checks no file

        try:
            td = parse_duration(value)
        except ValueError as exc:
            self.fail(parent, key, f"'{key}': {exc}")
        if td <= timedelta(0):
            self.fail(parent, key, _("'{key}' must be longer than zero").format(key=key))
        if td > MAX_DURATION:
            self.fail(parent, key, _("'{key}': {value} is longer than a desk's deadline can be "
                                     "(at most {days}d)").format(key=key, value=value, days=MAX_DURATION.days))
        return td

    def names(self, parent: Any, key: Any) -> dict[str, str]:
        value = parent.get(key)
        if isinstance(value, str) and value:
            return {"lv": value, "en": value}
        if not isinstance(value, dict) or not value.get("lv"):
            self.fail(parent, key if value is not None else None,
                      _("'{key}' must be text or a mapping with 'lv' (and 'en')").format(key=key))
        check_keys(value, {"lv", "en"}, self.path, f"'{key}'")
        return {"lv": str(value["lv"]), "en": str(value.get("en") or value["lv"])}


# --------------------------------------------------------------------------- catalog


class Times(Frozen):
    calendar: str
    response: timedelta
    resolution: timedelta


class Service(Frozen):
    code: str
    name: dict[str, str]
    category: str
    description: str
    needs_location: bool
    operator_can_resolve: bool
    experts: tuple[str, ...]
    times: dict[str, Times]
    # Whether the catalog gives an urgent variant; without one, --urgent is refused [§8.2].
    has_urgent: bool = True

    def label(self, lang: str = "lv") -> str:
        return self.name.get(lang) or self.name["lv"]


class Catalog(Record):
    version: str
    services: dict[str, Service]
    calendar_specs: dict[str, dict]
    close_after: timedelta
    repeat_after: timedelta
    # SPEC 15: the expert is reminded when less than this is left of a deadline (working time on a
    # working-time calendar)
    remind_response: timedelta = timedelta(hours=1)
    remind_resolution: timedelta = timedelta(hours=4)
    source: str = ""
    _calendars: dict[str, Any] = fresh(dict)
    # (service code, key) -> line in the file; only when parsed from YAML (not from a snapshot).
    lines: dict[tuple, int] = fresh(dict)
    schema: int = SCHEMA

    def urgent_services(self) -> list[str]:
        return [code for code, s in self.services.items() if s.has_urgent]

    def service(self, code: str) -> Service:
        try:
            return self.services[code.upper()]
        except KeyError:
            raise NotFound(_("no service {code} in catalog version {version} (see: pd catalog list)").format(
                code=repr(code), version=self.version)) from None

    def calendar(self, name: str):  # -> pd.calendars.Calendar
        cal = self._calendars.get(name)
        if cal is None:
            from .calendars import build_calendar  # lazy: pd.calendars costs start-up; a read builds no calendar

            cal = self._calendars[name] = build_calendar(name, self.calendar_specs[name])
        return cal

    def times(self, service: str, urgent: bool) -> Times:
        return self.service(service).times["urgent" if urgent else "normal"]

    def variant(self, service: str, urgent: bool) -> Times:
        """The times a new request gets: the one place that decides whether --urgent is allowed
        (pd register and pd calendar due alike). Without an urgent variant, --urgent is exit 3:
        otherwise the expert reads "urgent" under the normal deadline [§8.2]."""
        s = self.service(service)
        if urgent and not s.has_urgent:

            if not self.urgent_services():
                raise InvalidInput(_("service {code} has no urgent variant in catalog version {version}; "
                                     "no service has one").format(code=s.code, version=self.version))
            raise InvalidInput(_("service {code} has no urgent variant in catalog version {version}; "
                                 "--urgent is for: {services}").format(
                code=s.code, version=self.version, services=", ".join(self.urgent_services())))
        return s.times["urgent" if urgent else "normal"]

    # the snapshot is the validated data, so a past version can be rebuilt exactly
    def to_json(self) -> str:
        return json.dumps(
            {
                "schema": SCHEMA,
                "version": self.version,
                "close_after": self.close_after.total_seconds(),
                "repeat_after": self.repeat_after.total_seconds(),
                "remind_before": {"response": self.remind_response.total_seconds(),
                                  "resolution": self.remind_resolution.total_seconds()},
                "calendars": self.calendar_specs,
                "services": [
                    {
                        "code": s.code, "name": s.name, "category": s.category, "description": s.description,
                        "needs_location": s.needs_location, "operator_can_resolve": s.operator_can_resolve,
                        "experts": list(s.experts), "has_urgent": s.has_urgent,
                        "times": {p: {"calendar": t.calendar, "response": t.response.total_seconds(),
                                      "resolution": t.resolution.total_seconds()} for p, t in s.times.items()},
                    }
                    for s in self.services.values()
                ],
            },
            ensure_ascii=False, sort_keys=True, default=str,
        )

    @classmethod
    def from_json(cls, text: str, source: str = "") -> "Catalog":
        d = json.loads(text)
        services = {}
        for s in d["services"]:
            services[s["code"]] = Service(
                code=s["code"], name=s["name"], category=s["category"], description=s["description"],
                needs_location=s["needs_location"], operator_can_resolve=s["operator_can_resolve"],
                experts=tuple(s["experts"]),
                times={p: Times(t["calendar"], timedelta(seconds=t["response"]), timedelta(seconds=t["resolution"]))
                       for p, t in s["times"].items()},
                # snapshots from before the flag: an urgent variant equal to the normal one was the default
                has_urgent=s.get("has_urgent", s["times"].get("urgent") != s["times"]["normal"]),
            )
        return cls(version=d["version"], services=services, calendar_specs=d["calendars"],
                   close_after=timedelta(seconds=d["close_after"]), repeat_after=timedelta(seconds=d["repeat_after"]),
                   # snapshots from before reminders: the defaults
                   remind_response=timedelta(seconds=d.get("remind_before", {}).get("response", 3600)),
                   remind_resolution=timedelta(seconds=d.get("remind_before", {}).get("resolution", 4 * 3600)),
                   source=source, schema=d.get("schema", 1))


def _plain(obj: Any) -> Any:
    """LineDict/LineList/dates -> JSON-able plain data (dates as ISO text)."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return obj


def validate_catalog(doc: LineDict, path: str) -> Catalog:
    c = _Checker(path, CATALOG_KEYS)
    c.keys(doc, "the catalog")
    version = c.text(doc, "version")
    settings = c.mapping(doc, "settings", required=False)
    c.keys(settings, "settings")
    close_after = c.duration(settings, "close_after", required=False, default="5d")
    escalation = c.mapping(settings, "escalation", required=False)
    c.keys(escalation, "settings.escalation")
    repeat_after = c.duration(escalation, "repeat_after", required=False, default="1d")
    remind = c.mapping(settings, "remind_before", required=False)
    c.keys(remind, "settings.remind_before")
    remind_response = c.duration(remind, "response", required=False, default="1h")
    remind_resolution = c.duration(remind, "resolution", required=False, default="4h")

    calendars_node = c.mapping(doc, "calendars")
    calendar_specs: dict[str, dict] = {}

    for name, spec in calendars_node.items():
        if not isinstance(spec, dict):
            c.fail(calendars_node, name, _("calendar '{name}' must be a mapping").format(name=name))
        plain = _plain(spec)
        from .calendars import build_calendar  # (as in Catalog.calendar)

        try:
            build_calendar(str(name), plain)
        except ValueError as exc:
            where = tuple(getattr(exc, "path", ())[2:])
            raise ConfigError(_("{path}:{line}: calendar '{name}': {error}").format(
                path=path, line=line_at(spec, where) or line_of(calendars_node, name), name=name, error=exc)) from None
        calendar_specs[str(name)] = plain

    services: dict[str, Service] = {}
    lines: dict[tuple, int] = {}
    services_node = c.seq(doc, "services")
    if not services_node:
        c.fail(doc, "services", _("the catalog lists no services"))
    for i, node in enumerate(services_node):
        if not isinstance(node, dict):
            c.fail(services_node, i, _("each service must be a mapping"))
        c.keys(node, "a service")
        code = c.text(node, "code").upper()
        if code in services:
            c.fail(node, "code", _("duplicate service code {code}").format(code=repr(code)))
        category = c.text(node, "category")
        if category not in CATEGORIES:
            c.fail(node, "category", _("category {category} is not one of {categories}").format(
                category=repr(category), categories=", ".join(CATEGORIES)))
        times_node = c.mapping(node, "times")
        times: dict[str, Times] = {}
        for prio in PRIORITIES:
            t = c.mapping(times_node, prio, required=(prio == "normal"))
            if not t:
                continue
            c.keys(t, "a service's times")
            cal = c.text(t, "calendar")
            if cal not in calendar_specs:
                c.fail(t, "calendar", _("unknown calendar {calendar} (defined: {calendars})").format(
                    calendar=repr(cal), calendars=", ".join(calendar_specs)))
            response = c.duration(t, "response")
            resolution = c.duration(t, "resolution")
            if resolution < response:
                c.fail(t, "resolution", _("the resolution time is shorter than the response time"))
            times[prio] = Times(cal, response, resolution)
            lines[(code, prio)] = line_of(t, "resolution") or line_of(t)
        for extra in times_node:
            if extra not in PRIORITIES:

                c.fail(times_node, extra, _("unknown priority {priority}{hint}").format(
                    priority=repr(extra), hint=did_you_mean(extra, PRIORITIES)))
        has_urgent = "urgent" in times
        times.setdefault("urgent", times["normal"])
        experts = c.seq(node, "experts", required=False)
        lines[(code,)] = line_of(node)
        lines[(code, "experts")] = line_of(node, "experts") or line_of(node)
        services[code] = Service(
            code=code,
            name=c.names(node, "name"),
            category=category,
            description=c.text(node, "description", required=False),
            needs_location=c.flag(node, "needs_location"),
            operator_can_resolve=c.flag(node, "operator_can_resolve"),
            experts=tuple(str(e) for e in experts),
            times=times,
            has_urgent=has_urgent,
        )
    catalog = Catalog(version=version, services=services, calendar_specs=calendar_specs,
                      close_after=close_after, repeat_after=repeat_after, remind_response=remind_response,
                      remind_resolution=remind_resolution, source=path, lines=lines)
    _sample_deadlines(catalog)
    return catalog


def sample_instants(tz: str = "Europe/Riga") -> list:
    """The instants every service's deadlines are computed from when a catalog is checked: in this
    year, each month's first minute, a mid-month working hour and a late evening (both DST changes
    lie between them), and the last second of the year, in the desk's time zone."""
    zone = ZoneInfo(tz)
    year = date.today().year
    out = []
    for month in range(1, 13):
        out += [datetime(year, month, 1, 0, 0, tzinfo=zone), datetime(year, month, 15, 12, 15, tzinfo=zone),
                datetime(year, month, 28, 23, 59, tzinfo=zone)]
    out.append(datetime(year, 12, 31, 23, 59, 59, tzinfo=zone))
    return out


def _sample_deadlines(catalog: "Catalog") -> None:
    """Every service's response and resolution deadline, normal and urgent, from each sample instant:
    each must be computable and fall after its start and within MAX_DEADLINE (exit 7 naming the
    service's line otherwise), so no command meets a deadline it cannot compute."""
    from .calendars import format_duration  # (as in Catalog.calendar)

    instants = sample_instants()
    done: set[tuple[str, timedelta]] = set()
    for s in catalog.services.values():
        for prio, t in s.times.items():
            if prio == "urgent" and not s.has_urgent:
                continue
            for what, td in (("response", t.response), ("resolution", t.resolution)):
                if (t.calendar, td) in done:
                    continue
                cal = catalog.calendar(t.calendar)
                for start in instants:
                    try:
                        due = cal.due(start, td)
                        reason = None if start < due <= start + MAX_DEADLINE else _("it gives {due}").format(
                            due=format_dt(due, "Europe/Riga"))
                    except (ValueError, OverflowError, ArithmeticError) as exc:
                        reason = yamlfile.date_error(exc)
                    if reason:
                        line = catalog.lines.get((s.code, prio), catalog.lines.get((s.code,), 0))
                        message = (_("{path}:{line}: service {code} ({priority}): no sane response deadline "
                                     "{duration} on calendar {calendar} from {start}: {reason}")
                                   if what == "response" else
                                   _("{path}:{line}: service {code} ({priority}): no sane resolution deadline "
                                     "{duration} on calendar {calendar} from {start}: {reason}"))
                        raise ConfigError(message.format(
                            path=catalog.source, line=line, code=s.code, priority=prio, duration=format_duration(td),
                            calendar=repr(t.calendar), start=format_dt(start, "Europe/Riga"), reason=reason))
                done.add((t.calendar, td))


# --------------------------------------------------------------------------- contacts


class Person(Frozen):
    name: str
    email: str = ""
    phone: str = ""


class Institution(Frozen):
    code: str
    name: str
    ict_contacts: tuple[Person, ...]
    report_recipients: tuple[str, ...]


class Staff(Frozen):
    login: str
    name: str
    email: str
    phone: str
    roles: tuple[str, ...]
    manager: str | None
    services: tuple[str, ...]

    def has(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)


class Contacts(Record):
    version: str
    desk: Person
    institutions: dict[str, Institution]
    staff: dict[str, Staff]
    source: str = ""
    # (login, key) -> line in the file; only when parsed from YAML (not from a snapshot).
    lines: dict[tuple, int] = fresh(dict)
    schema: int = SCHEMA

    def institution(self, code: str) -> Institution:
        try:
            return self.institutions[code.upper()]
        except KeyError:
            raise NotFound(_("no institution {code} in contacts version {version}").format(
                code=repr(code), version=self.version)) from None

    def person(self, login: str) -> Staff:
        try:
            return self.staff[login]
        except KeyError:
            raise NotFound(_("no staff member {login} in contacts version {version}").format(
                login=repr(login), version=self.version)) from None

    def with_role(self, role: str) -> list[Staff]:
        return [s for s in self.staff.values() if role in s.roles]

    def to_json(self) -> str:
        return json.dumps(
            {
                "schema": SCHEMA,
                "version": self.version,
                "desk": self.desk.as_dict(),
                "institutions": [
                    {"code": i.code, "name": i.name, "ict_contacts": [p.as_dict() for p in i.ict_contacts],
                     "report_recipients": list(i.report_recipients)}
                    for i in self.institutions.values()
                ],
                "staff": [
                    {"login": s.login, "name": s.name, "email": s.email, "phone": s.phone, "roles": list(s.roles),
                     "manager": s.manager, "services": list(s.services)}
                    for s in self.staff.values()
                ],
            },
            ensure_ascii=False, sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str, source: str = "") -> "Contacts":
        d = json.loads(text)
        return cls(
            version=d["version"],
            desk=Person(**d["desk"]),
            institutions={
                i["code"]: Institution(i["code"], i["name"], tuple(Person(**p) for p in i["ict_contacts"]),
                                       tuple(i["report_recipients"]))
                for i in d["institutions"]
            },
            staff={
                s["login"]: Staff(s["login"], s["name"], s["email"], s["phone"], tuple(s["roles"]), s["manager"],
                                  tuple(s["services"]))
                for s in d["staff"]
            },
            source=source, schema=d.get("schema", 1),
        )


def _person(c: _Checker, node: Any, what: str | None = None) -> Person:
    if what:
        c.keys(node, what)
    email = c.text(node, "email", required=False)
    phone = c.text(node, "phone", required=False)
    try:
        email = normalize_email(email) if email else ""
    except InvalidInput as exc:
        c.fail(node, "email", str(exc))
    try:
        phone = normalize_phone(phone) if phone else ""
    except InvalidInput as exc:
        c.fail(node, "phone", str(exc))
    return Person(name=c.text(node, "name"), email=email, phone=phone)


def validate_contacts(doc: LineDict, path: str) -> Contacts:
    c = _Checker(path, CONTACTS_KEYS)
    c.keys(doc, "the contacts")
    version = c.text(doc, "version")
    desk = _person(c, c.mapping(doc, "desk"), "desk")
    institutions: dict[str, Institution] = {}
    inst_node = c.seq(doc, "institutions")
    for i, node in enumerate(inst_node):
        if not isinstance(node, dict):
            c.fail(inst_node, i, _("each institution must be a mapping"))
        c.keys(node, "an institution")
        code = c.text(node, "code").upper()
        if code in institutions:
            c.fail(node, "code", _("duplicate institution code {code}").format(code=repr(code)))
        contacts_node = c.seq(node, "ict_contacts")
        if not contacts_node:
            c.fail(node, "ict_contacts", _("institution {code} names no ICT contact person [§10]").format(code=code))
        recipients = []
        rec_node = c.seq(node, "report_recipients")
        for j, addr in enumerate(rec_node):
            try:
                recipients.append(normalize_email(str(addr)))
            except InvalidInput as exc:
                c.fail(rec_node, j, str(exc))
        institutions[code] = Institution(
            code=code, name=c.text(node, "name"),
            ict_contacts=tuple(_ict_contact(c, code, contacts_node, j) for j in range(len(contacts_node))),
            report_recipients=tuple(recipients),
        )
    staff: dict[str, Staff] = {}
    lines: dict[tuple, int] = {}
    staff_node = c.seq(doc, "staff")
    for i, node in enumerate(staff_node):
        if not isinstance(node, dict):
            c.fail(staff_node, i, _("each staff member must be a mapping"))
        c.keys(node, "a staff member")
        login = c.text(node, "login")
        if login in staff:
            c.fail(node, "login", _("duplicate login {login}").format(login=repr(login)))
        roles = tuple(str(r) for r in c.seq(node, "roles"))
        for r in roles:
            if r not in ROLES:
                c.fail(node, "roles", _("unknown role {role} (roles: {roles})").format(role=repr(r), roles=", ".join(ROLES)))
        p = _person(c, node)
        lines[(login,)] = line_of(node)
        lines[(login, "services")] = line_of(node, "services") or line_of(node)
        staff[login] = Staff(login=login, name=p.name, email=p.email, phone=p.phone, roles=roles,
                             manager=c.text(node, "manager", required=False) or None,
                             services=tuple(str(s).upper() for s in c.seq(node, "services", required=False)))
    for i, node in enumerate(staff_node):
        s = staff[str(node["login"])]
        if s.manager and s.manager not in staff:
            c.fail(node, "manager", _("the manager {manager} of {login} is not in staff").format(
                login=s.login, manager=repr(s.manager)))
        if s.manager == s.login:
            c.fail(node, "manager", _("{login} cannot be their own manager").format(login=s.login))
        if "expert" in s.roles and not s.manager:
            c.fail(node, None, _("expert {login} has no direct manager [§8.4]").format(login=s.login))
        if s.manager and not staff[s.manager].email:
            c.fail(node, "manager", _("the manager {manager} of {login} has no e-mail: escalations could not reach "
                                      "them [§8.4]").format(login=s.login, manager=s.manager))
    _check_manager_cycles(c, staff, staff_node)
    if not any("system" in s.roles for s in staff.values()):
        c.fail(doc, "staff", _("no staff member has the 'system' role (cron runs as it)"))
    return Contacts(version=version, desk=desk, institutions=institutions, staff=staff, source=path, lines=lines)


def _ict_contact(c: _Checker, code: str, contacts_node: list, j: int) -> Person:
    node = contacts_node[j]
    if not isinstance(node, dict):
        c.fail(contacts_node, j, _("institution {code}: each ICT contact person must be a mapping "
                                   "(name, phone, email)").format(code=code))
    p = _person(c, node, "an ICT contact person")
    if not (p.phone or p.email):
        c.fail(node, None, _("institution {code}: ICT contact {name} has neither phone nor e-mail [§7.3]").format(
            code=code, name=p.name))
    return p


def _check_manager_cycles(c: _Checker, staff: dict[str, Staff], staff_node: list) -> None:
    for i, node in enumerate(staff_node):
        seen = []
        cur: str | None = str(node["login"])
        while cur:
            if cur in seen:
                c.fail(node, "manager", _("managers form a cycle: {cycle}").format(cycle=" -> ".join(seen + [cur])))
            seen.append(cur)
            cur = staff[cur].manager


class Problem(Frozen):
    """A reference between the two files that does not hold, as `file:line: what`."""
    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}" if self.line else f"{self.source}: {self.message}"


def cross_check(catalog: Catalog, contacts: Contacts) -> list[Problem]:
    """Problems between the two files: a default expert who does not exist, is no expert or does
    not serve the service; a staff member's service that is not in the catalog."""
    problems = []
    for s in catalog.services.values():
        where = catalog.lines.get((s.code, "experts"), 0)
        for login in s.experts:
            person = contacts.staff.get(login)
            where_contacts = contacts.source or "contacts.yaml"
            if person is None:
                msg = _("service {code}: default expert {login} is not in {file}").format(
                    code=s.code, login=repr(login), file=where_contacts)
            elif "expert" not in person.roles:
                msg = _("service {code}: {name} ({login}) is not an expert").format(
                    code=s.code, name=person.name, login=login)
            elif s.code not in person.services:
                msg = (_("service {code}: default expert {name} ({login}) does not serve {code} (their services in "
                         "{file}: {services})").format(code=s.code, name=person.name, login=login,
                                                        file=where_contacts, services=", ".join(person.services))
                       if person.services else
                       _("service {code}: default expert {name} ({login}) does not serve {code} (in {file} they "
                         "serve no service)").format(code=s.code, name=person.name, login=login, file=where_contacts))
            else:
                continue
            problems.append(Problem(catalog.source, where, msg))
    for person in contacts.staff.values():
        for code in person.services:
            if code not in catalog.services:
                problems.append(Problem(contacts.source, contacts.lines.get((person.login, "services"), 0),
                                        _("staff {name} ({login}): unknown service {code} (not in {file} version "
                                          "{version})").format(name=person.name, login=person.login, code=repr(code),
                                                               file=catalog.source or "catalog.yaml",
                                                               version=catalog.version)))
    return problems


# --------------------------------------------------------------------------- loading and snapshots


def load(kind: str, path: str, data: bytes | None = None) -> Catalog | Contacts:
    """Load a file through the ledger's snapshots, recording a new version, for tools that build a
    ledger (benchmarks/). It does not take anything into force: commands load through pd.trust, which
    uses the versions in force and lets only an admin publish another (SPEC 9)."""
    if data is None:
        data = yamlfile.read_bytes(path, kind)
    obj, pending = _resolve(kind, path, data)
    record_snapshot(pending)
    return obj


def _resolve(kind: str, path: str, data: bytes) -> tuple[Catalog | Contacts, tuple | None]:
    """The validated file, and the snapshot still to record (None when the ledger has it)."""
    cls = Catalog if kind == "catalog" else Contacts
    digest = yamlfile.sha256(data)
    with translate_errors():
        snap = (ConfigSnapshot.select(ConfigSnapshot.id, ConfigSnapshot.content)
                .where((ConfigSnapshot.kind == kind) & (ConfigSnapshot.sha256 == digest))
                .order_by(ConfigSnapshot.id.desc()).first())
    if snap is not None:
        known = cls.from_json(snap.content, source=path)
        if known.schema >= SCHEMA:
            return known, None
        # validated by an older, looser pd: check it again, and keep the stricter result
        parsed = parse_file(kind, path, data)
        return parsed, ("update", snap.id, parsed)
    parsed = parse_file(kind, path, data)
    _same_version(kind, path, data, digest, parsed.version)
    return parsed, ("create", kind, path, data, digest, parsed)


def _same_version(kind: str, path: str, data: bytes, digest: str, version: str) -> None:
    """A file changed without a new version is refused (SPEC 7)."""
    existing = ConfigSnapshot.get_or_none((ConfigSnapshot.kind == kind) & (ConfigSnapshot.version == version))
    if existing is not None and existing.sha256 != digest:
        raise ConfigError(changed_same_version(kind, path, _version_line(data), version))


def record_snapshot(pending: tuple | None, change: Callable[[], Any] | None = None) -> None:
    """Store a new snapshot (or a stricter validation of a known one): in a change of the ledger when
    `change` is given, whose event `config_recorded` seals the row for the audit (SPEC 10)."""
    if pending is None:
        return

    def recorded(ch, snap_id: int, kind: str, version: str, digest: str) -> None:
        if ch is not None:
            ch.wrote("config_snapshot", [snap_id])
            ch.event(None, "config_recorded", actor="pd", via="cli",
                     data={"snapshot": snap_id, "kind": kind, "version": version, "sha256": digest})

    if pending[0] == "update":
        _, snap_id, parsed = pending
        with write_transaction(), (change() if change else nullcontext()) as ch:
            ConfigSnapshot.update(content=parsed.to_json()).where(ConfigSnapshot.id == snap_id).execute()
            snap = ConfigSnapshot.get_by_id(snap_id)
            recorded(ch, snap_id, snap.kind, snap.version, snap.sha256)
        return
    _, kind, path, data, digest, parsed = pending
    with write_transaction(), (change() if change else nullcontext()) as ch:
        _same_version(kind, path, data, digest, parsed.version)
        if ConfigSnapshot.get_or_none((ConfigSnapshot.kind == kind) & (ConfigSnapshot.version == parsed.version)) is None:
            try:
                with ConfigSnapshot._meta.database.atomic():
                    snap = ConfigSnapshot.create(kind=kind, version=parsed.version, sha256=digest, source=str(path),
                                                 content=parsed.to_json(), raw=data.decode("utf-8"),
                                                 seen_at=datetime.now(timezone.utc))
            except peewee.IntegrityError:
                return  # another process recorded it first
            recorded(ch, snap.id, kind, parsed.version, digest)


def parse_file(kind: str, path: str, data: bytes | None = None) -> Catalog | Contacts:
    if data is None:
        data = yamlfile.read_bytes(path, kind)
    doc = yamlfile.parse(data, path)
    return validate_catalog(doc, str(path)) if kind == "catalog" else validate_contacts(doc, str(path))


def at_version(kind: str, version: str) -> Catalog | Contacts:
    snap = ConfigSnapshot.get_or_none((ConfigSnapshot.kind == kind) & (ConfigSnapshot.version == version))
    if snap is None:
        raise ConfigError(_("the ledger has no snapshot of catalog version {version}").format(version=repr(version))
                          if kind == "catalog" else
                          _("the ledger has no snapshot of contacts version {version}").format(version=repr(version)))
    cls = Catalog if kind == "catalog" else Contacts
    return cls.from_json(snap.content, source=snap.source)


def history(kind: str) -> list[dict]:
    return [
        {"version": s.version, "sha256": s.sha256, "source": s.source, "seen_at": s.seen_at}
        for s in ConfigSnapshot.select().where(ConfigSnapshot.kind == kind).order_by(ConfigSnapshot.id)
    ]


def changed_same_version(kind: str, path: str, line: int, version: str) -> str:
    """The file changed but kept its version (SPEC 7): the error, for the catalog or the contacts."""
    message = (_("{path}:{line}: the catalog changed but its version is still {version}; give it a new version")
               if kind == "catalog" else
               _("{path}:{line}: the contacts changed but their version is still {version}; give them a new version"))
    return message.format(path=path, line=line, version=repr(version))


def _version_line(data: bytes) -> int:

    for i, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if line.startswith("version"):
            return i
    return 1
