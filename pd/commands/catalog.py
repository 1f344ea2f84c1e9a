"""The versioned YAML files: pd catalog …, pd contacts …"""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from ..i18n import _, ngettext, pgettext
from .common import Json, emit_json, out, say, state, table

catalog_app = typer.Typer(help="The service catalog (catalog.yaml) and its versions.", no_args_is_help=True)
contacts_app = typer.Typer(help="Institutions and the Centre's staff (contacts.yaml).", no_args_is_help=True)


def _times(t) -> dict:
    from ..calendars import format_duration

    return {"calendar": t.calendar, "response": format_duration(t.response), "resolution": format_duration(t.resolution)}


def _service_dict(s, lang: str) -> dict:
    return {"code": s.code, "name": s.label(lang), "category": s.category, "description": s.description,
            "needs_location": s.needs_location, "operator_can_resolve": s.operator_can_resolve,
            "experts": list(s.experts), "urgent_variant": s.has_urgent,
            # without an urgent variant there is none to show (--urgent is refused for it)
            "times": {p: _times(t) for p, t in s.times.items() if p == "normal" or s.has_urgent}}


@catalog_app.command("list")
def catalog_list(ctx: typer.Context, as_json: Json = False) -> None:
    """List the services of the catalog in force. Example: pd catalog list"""
    st = state(ctx)
    st.desk.actor
    cat = st.desk.catalog
    lang = st.settings.lang
    services = [_service_dict(s, lang) for s in cat.services.values()]
    if as_json:
        emit_json({"version": cat.version, "services": services})
        return
    yes = pgettext("answer", "yes")
    table([[s["code"], s["category"], s["name"], s["times"]["normal"]["response"], s["times"]["normal"]["resolution"],
            s["times"]["normal"]["calendar"], yes if s["needs_location"] else ""] for s in services],
          [pgettext("catalog column", "code"), pgettext("catalog column", "category"),
           pgettext("catalog column", "name"), pgettext("catalog column", "respond"),
           pgettext("catalog column", "resolve"), pgettext("catalog column", "calendar"),
           pgettext("catalog column", "location")],
          title=_("Catalog {version}").format(version=cat.version))


@catalog_app.command("show")
def catalog_show(ctx: typer.Context, code: Annotated[str, typer.Argument(help="Service code.")], as_json: Json = False) -> None:
    """Show one service: times per priority, calendar, experts. Example: pd catalog show EPASTS"""
    st = state(ctx)
    st.desk.actor
    s = _service_dict(st.desk.catalog.service(code), st.settings.lang)
    if as_json:
        emit_json(s)
        return
    out(f"{s['code']}  {s['name']}  ({s['category']})")
    if s["description"]:
        out(s["description"])
    priorities = {"normal": pgettext("priority", "normal"), "urgent": pgettext("priority", "urgent")}
    width = max(len(p) for p in priorities.values())
    for prio, t in s["times"].items():
        out(f"{priorities.get(prio, prio):{width}} "
            + _("respond within {response}, resolve within {resolution} ({calendar})").format(**t))
    yes, no = pgettext("answer", "yes"), pgettext("answer", "no")
    out(_("needs location: {location}; the desk may resolve it: {desk}").format(
        location=yes if s["needs_location"] else no, desk=yes if s["operator_can_resolve"] else no))
    staff = st.desk.contacts.staff
    out(_("experts: {experts}").format(experts=", ".join(
        f"{staff[login].name} ({login})" if login in staff else login for login in s["experts"])))


def _check(kind: str, path: Optional[str], as_json: bool, st) -> None:
    from ..catalog import cross_check, parse_file

    s = st.settings
    cat = parse_file("catalog", path if kind == "catalog" and path else s.catalog_path)
    con = parse_file("contacts", path if kind == "contacts" and path else s.contacts_path)
    problems = [str(p) for p in cross_check(cat, con)]  # type: ignore[arg-type]
    this = cat if kind == "catalog" else con
    result = {"file": this.source, "version": this.version, "ok": not problems, "problems": problems}
    if as_json:
        emit_json(result)
    else:
        for p in problems:
            say(p)
        if not problems:
            out(_("{file}: version {version} is valid").format(file=this.source, version=this.version))
    if problems:
        from ..errors import ConfigError

        raise ConfigError(ngettext("{n} problem between catalog and contacts", "{n} problems between catalog and contacts",
                                   len(problems)).format(n=len(problems)))


@catalog_app.command("check")
def catalog_check(ctx: typer.Context,
                  path: Annotated[Optional[str], typer.Argument(help="File to check (default PD_CATALOG).")] = None,
                  as_json: Json = False) -> None:
    """Validate catalog.yaml (and its references into contacts.yaml) without touching the ledger.

    Errors name file:line and exit 7. Example: pd catalog check new-catalog.yaml
    """
    _check("catalog", path, as_json, state(ctx))


def _publish(kind: str, path: Optional[str], other: Optional[str], as_json: bool, st) -> None:
    from .. import trust
    from ..latvian import iso

    other_kind = "contacts" if kind == "catalog" else "catalog"
    files = {k: p for k, p in ((kind, path), (other_kind, other)) if p}
    desk = st.desk
    desk.ledger
    before = {k: v["value"] for k, v in trust.describe().items()}
    in_force = desk.publish((kind, other_kind) if other else (kind,), files)
    now = {"catalog": in_force.catalog.version, "contacts": in_force.contacts.version}
    result = {k: {"version": now[k], "before": before.get(k), "changed": before.get(k) != now[k]} for k in now}
    by = trust.describe()
    if as_json:
        emit_json({**result, "set_by": by[kind]["set_by"], "set_at": iso(by[kind]["set_at"])})
        return
    for k, r in result.items():
        if r["changed"]:
            out(PUBLISHED[k, "changed" if r["before"] else "first"]().format(version=r["version"], before=r["before"]))
        elif k == kind or k in files:
            out(PUBLISHED[k, "same"]().format(version=r["version"]))


PUBLISHED = {
    ("catalog", "changed"): lambda: _("Catalog version {version} is in force (was {before})"),
    ("catalog", "first"): lambda: _("Catalog version {version} is in force"),
    ("catalog", "same"): lambda: _("Catalog version {version} was already in force"),
    ("contacts", "changed"): lambda: _("Contacts version {version} is in force (was {before})"),
    ("contacts", "first"): lambda: _("Contacts version {version} is in force"),
    ("contacts", "same"): lambda: _("Contacts version {version} was already in force"),
}


PublishFile = Annotated[Optional[str], typer.Argument(help="The file to take into force (default PD_CATALOG / PD_CONTACTS).")]


@catalog_app.command("publish")
def catalog_publish(ctx: typer.Context, path: PublishFile = None,
                    contacts: Annotated[Optional[str], typer.Option(
                        "--contacts", metavar="FILE",
                        help="Take this contacts.yaml into force together with it (when each needs the other).")] = None,
                    as_json: Json = False) -> None:
    """Take a catalog.yaml into force for the whole desk (admin of the contacts in force).

    The file is checked like every load (exit 7 naming file:line); a version the ledger has seen
    before may be taken back into force. Everyone else's commands then use it; a PD_CATALOG naming
    another version is exit 7. Example: pd catalog publish /etc/pd/catalog.yaml
    """
    _publish("catalog", path, contacts, as_json, state(ctx))


@catalog_app.command("history")
def catalog_history(ctx: typer.Context, as_json: Json = False) -> None:
    """List every catalog version the ledger has seen. Example: pd catalog history"""
    _history("catalog", ctx, as_json)


def _history(kind: str, ctx: typer.Context, as_json: bool) -> None:
    from ..catalog import history
    from ..latvian import format_dt, iso

    st = state(ctx)
    st.desk.actor  # also records the files in force
    rows = history(kind)
    if as_json:
        emit_json([{**r, "seen_at": iso(r["seen_at"])} for r in rows])
        return
    table([[r["version"], format_dt(r["seen_at"], st.settings.timezone), r["sha256"][:12], r["source"]] for r in rows],
          [pgettext("history column", "version"), pgettext("history column", "first seen"), "sha256",
           pgettext("history column", "file")])


@contacts_app.command("show")
def contacts_show(ctx: typer.Context,
                  code: Annotated[str, typer.Argument(help="Institution code (VP) or a staff login.")],
                  as_json: Json = False) -> None:
    """Show an institution (ICT contacts, report recipients) or a staff member. Example: pd contacts show VP"""
    st = state(ctx)
    st.desk.actor
    con = st.desk.contacts
    if code.upper() in con.institutions:
        i = con.institution(code)
        d = {"code": i.code, "name": i.name, "ict_contacts": [p.as_dict() for p in i.ict_contacts],
             "report_recipients": list(i.report_recipients)}
        if as_json:
            emit_json(d)
            return
        out(f"{i.code}  {i.name}")
        for p in i.ict_contacts:
            out(_("ICT contact: {contact}").format(contact=", ".join(x for x in (p.name, p.phone, p.email) if x)))
        out(_("Reports to: {recipients}").format(recipients=", ".join(i.report_recipients)))
        return
    p = con.person(code)
    d = {"login": p.login, "name": p.name, "email": p.email, "phone": p.phone, "roles": list(p.roles),
         "manager": p.manager, "services": list(p.services)}
    if as_json:
        emit_json(d)
        return
    labels = {k: STAFF_LABELS[k]() for k in d}
    width = max(len(label) for label in labels.values()) + 2
    for k, v in d.items():
        out(f"{labels[k] + ':':{width}}{', '.join(v) if isinstance(v, list) else (v or '')}")


# pd contacts show's labels for a staff member, by JSON key
STAFF_LABELS = {
    "login": lambda: pgettext("staff field", "login"), "name": lambda: pgettext("staff field", "name"),
    "email": lambda: pgettext("staff field", "e-mail"), "phone": lambda: pgettext("staff field", "phone"),
    "roles": lambda: pgettext("staff field", "roles"), "manager": lambda: pgettext("staff field", "manager"),
    "services": lambda: pgettext("staff field", "services"),
}



@contacts_app.command("check")
def contacts_check(ctx: typer.Context,
                   path: Annotated[Optional[str], typer.Argument(help="File to check (default PD_CONTACTS).")] = None,
                   as_json: Json = False) -> None:
    """Validate contacts.yaml (and the catalog's references into it). Example: pd contacts check"""
    _check("contacts", path, as_json, state(ctx))


@contacts_app.command("publish")
def contacts_publish(ctx: typer.Context, path: PublishFile = None,
                     catalog: Annotated[Optional[str], typer.Option(
                         "--catalog", metavar="FILE",
                         help="Take this catalog.yaml into force together with it (when each needs the other).")] = None,
                     as_json: Json = False) -> None:
    """Take a contacts.yaml into force: who is staff and who has which role (admin of the contacts in force).

    It must leave somebody the role admin. Everyone else's commands then use it; a PD_CONTACTS naming
    another version is exit 7. Example: pd contacts publish /etc/pd/contacts.yaml
    """
    _publish("contacts", path, catalog, as_json, state(ctx))


@contacts_app.command("history")
def contacts_history(ctx: typer.Context, as_json: Json = False) -> None:
    """List every contacts version the ledger has seen. Example: pd contacts history"""
    _history("contacts", ctx, as_json)
