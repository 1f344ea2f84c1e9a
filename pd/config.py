"""Configuration from the environment and a `.env` file (SPEC 11), checked before anything is written.

`load_settings()` builds ONE validated `Settings` at start: every variable of
`VARIABLES` is parsed and checked here, so a bad value is exit 7 naming the
variable before the ledger is opened, never an "internal error" after a write.
A `.env` line that is not `NAME=value`, or a `PD_…` name pd does not know,
is exit 7 naming `file:line`.

Adding a variable: one `Var(...)` line in VARIABLES (its field, default and
parser) and one field in `Settings`. Nothing here imports a heavy module.
"""
from __future__ import annotations

import difflib
import io
import math
import os
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .i18n import _
from .imapurl import parse_imap_url
from .record import Frozen

# The example catalog.yaml and contacts.yaml travel inside the package (SPEC 16).
EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
# The site's files (catalog.yaml, contacts.yaml, pd.env): the user's directory first, then this one.
SYSTEM_CONFIG_DIR = Path("/etc/pd")
SITE_FILES = ("catalog.yaml", "contacts.yaml")
DEFAULT_TZ = "Europe/Riga"
LANGS = ("lv", "en")
IDENTITIES = ("env", "os", "database")


def _default_database_url(env: dict[str, str]) -> str:
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'pd' / 'ledger.sqlite3'}"


def user_config_dir(env: dict[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/pd`, else `~/.config/pd`."""
    env = os.environ if env is None else env
    return Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "pd"


def config_dirs(env: dict[str, str] | None = None) -> tuple[Path, Path]:
    """Where the site's files are looked for, in order (SPEC 16)."""
    return user_config_dir(env), SYSTEM_CONFIG_DIR


def config_dir(env: dict[str, str] | None = None) -> Path:
    """THE configuration directory, where `pd init` puts the examples: the user's when it exists,
    else /etc/pd when it exists (an admin made it for the service's user), else the user's."""
    user, system = config_dirs(env)
    return system if not user.is_dir() and system.is_dir() else user


def _site_file(name: str) -> Callable[[dict[str, str]], str]:
    """The default of PD_CATALOG / PD_CONTACTS: the first of the configuration directories that
    holds the file; with none, where `pd init` will put the example."""
    def default(env: dict[str, str]) -> str:
        for d in config_dirs(env):
            if (d / name).is_file():
                return str(d / name)
        return str(config_dir(env) / name)
    return default


class Settings(Frozen):
    database_url: str
    catalog_path: str
    contacts_path: str
    user: str | None
    smtp_url: str | None
    mail_from: str
    mail_dir: str | None
    timezone: str
    lang: str
    templates_dir: str | None
    retention_days: int
    debug: bool
    # How far the acting person's name is trusted: env | os | database (SPEC 9).
    identity: str = "env"
    # E-mail intake (SPEC 13): the IMAP mailbox and the folder processed mail is moved to.
    imap_url: str | None = None
    imap_done: str = "pd-processed"
    # Seconds a writer waits for the ledger's lock before giving up with exit 8.
    busy_timeout: float = 10.0
    # Attachments of incoming mail larger than this (bytes) are recorded by name and size only.
    intake_max_attachment: int = 10 * 1024 * 1024
    # Where a mail pd cannot take apart is also written as a file (besides its quarantine row).
    intake_quarantine_dir: str | None = None
    # The variables the caller set (the rest are defaults). PD_IDENTITY, PD_CATALOG and PD_CONTACTS
    # unset mean "the ledger's" (SPEC 9; pd/trust.py).
    given: frozenset[str] = frozenset()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


# ------------------------------------------------------------------ the parsers: text -> value, or ValueError(reason)
def _text(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(_("contains a control character"))
    return value


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        v = value.strip().lower()
        if v not in choices:
            raise ValueError(_("{value} is not one of {choices}").format(value=repr(value), choices=", ".join(choices)))
        return v
    return parse


def _database_url(value: str) -> str:
    v = _text(value.strip())
    if v.startswith("sqlite:"):
        if not v.startswith("sqlite:///"):
            raise ValueError(_("{value}: write sqlite:///relative/path or sqlite:////absolute/path").format(value=repr(v)))
        rest = v[len("sqlite:///"):].split("?", 1)[0]
        if rest in ("", ":memory:", "/"):
            raise ValueError(_("an in-memory SQLite ledger would be lost; give a file path"))
        return v
    if v.startswith(("postgresql://", "postgres://")):

        try:
            urlsplit(v).port
        except ValueError as exc:
            raise ValueError(_("malformed URL ({error})").format(error=exc)) from None
        return v
    scheme = v.split(":", 1)[0] if ":" in v else v
    raise ValueError(_("unsupported scheme {scheme} (use sqlite:///PATH or postgresql://…)").format(scheme=repr(scheme)))


def _path(value: str) -> str:
    return _text(value.strip())


def _directory(value: str) -> str:
    v = _path(value)
    p = Path(v)
    if p.exists() and not p.is_dir():
        raise ValueError(_("{path} is not a directory").format(path=v))
    return v


def _existing_directory(value: str) -> str:
    v = _directory(value)
    if not Path(v).is_dir():
        raise ValueError(_("directory {path} does not exist").format(path=v))
    return v


def _login(value: str) -> str:
    v = value.strip()
    if not v or any(c.isspace() or not c.isprintable() for c in v) or len(v) > 100:
        raise ValueError(_("{value} is not a login name").format(value=repr(value)))
    return v


def _address(value: str) -> str:
    """A sender the mail server can take: 'Name <local@domain>' or 'local@domain', ASCII local part."""
    v = _text(value.strip())
    addr = v[v.rfind("<") + 1:].rstrip(">").strip() if v.endswith(">") else v
    if addr.count("@") != 1 or not all(addr.split("@")) or any(c.isspace() for c in addr):
        raise ValueError(_("{value} is not an e-mail address (Name <desk@example.lv>)").format(value=repr(v)))
    local = addr.rsplit("@", 1)[0]
    if not local.isascii():
        raise ValueError(_("{value}: the part before '@' must be ASCII for the mail server to take it").format(
            value=repr(v)))
    return v


def _timezone(value: str) -> str:
    v = value.strip()
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("{value} is not a time zone (e.g. Europe/Riga)").format(value=repr(value))) from None
    return v


def _positive_int(value: str) -> int:
    try:
        n = int(value.strip())
    except ValueError:
        raise ValueError(_("{value} is not a whole number of days").format(value=repr(value))) from None
    if n < 1:
        raise ValueError(_("{n} must be at least 1").format(n=n))
    return n


def _seconds(value: str) -> float:
    try:
        s = float(value.strip())
    except ValueError:
        raise ValueError(_("{value} is not a number of seconds").format(value=repr(value))) from None
    if not math.isfinite(s) or not 0 <= s <= 3600:
        raise ValueError(_("{value} must be between 0 and 3600 seconds").format(value=repr(value)))
    return s


def _flag(value: str) -> bool:
    v = value.strip().lower()
    if v in ("", "0", "false", "no", "off"):
        return False
    if v in ("1", "true", "yes", "on"):
        return True
    raise ValueError(_("{value} is not 1/0, true/false, yes/no").format(value=repr(value)))


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        v = _text(value.strip())
        try:
            parts = urlsplit(v)
            parts.port
        except ValueError as exc:
            raise ValueError(_("malformed URL ({error})").format(error=exc)) from None
        if parts.scheme.lower() not in schemes:
            raise ValueError(_("the scheme must be one of {schemes}").format(
                schemes=", ".join(s + "://" for s in schemes)))
        if not parts.hostname:
            raise ValueError(_("no host"))
        return v
    return parse


def _imap_url(value: str) -> str:
    """The one parser of PD_IMAP_URL is pd mail fetch's (imported only when the variable is set)."""
    v = _text(value.strip())
    try:
        parse_imap_url(v, done="\x00")  # the done folder is checked with PD_IMAP_DONE when fetching
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix("PD_IMAP_URL: ")) from None
    return v


def _folder(value: str) -> str:
    v = _text(value.strip())
    if not v:
        raise ValueError(_("empty folder name"))
    return v


def _size(text: str) -> int:
    """A byte count: 5000000, 500k, 10M (binary multiples)."""
    text = text.strip()
    factor = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}.get(text[-1].lower(), 1)
    number = text[:-1] if factor != 1 else text
    if not number.isdigit() or int(number) <= 0:
        raise ValueError(_("{value} is not a size in bytes (e.g. 10M, 500k, 2000000)").format(value=repr(text)))
    return int(number) * factor


class Var(Frozen):
    name: str
    field: str
    default: Callable[[dict[str, str]], Any] | Any  # a callable is given the environment
    parse: Callable[[str], Any]
    help: str = ""


# Every variable pd reads. An empty value means "not set" (the default applies).
VARIABLES: tuple[Var, ...] = (
    Var("PD_DATABASE_URL", "database_url", _default_database_url, _database_url, "the ledger"),
    Var("PD_CATALOG", "catalog_path", _site_file("catalog.yaml"), _path, "catalog.yaml"),
    Var("PD_CONTACTS", "contacts_path", _site_file("contacts.yaml"), _path, "contacts.yaml"),
    Var("PD_USER", "user", None, _login, "the acting person's login"),
    Var("PD_IDENTITY", "identity", "env", _choice(*IDENTITIES),
        "how far PD_USER is trusted (unset: the ledger's mode; only a stricter one is honoured)"),
    Var("PD_SMTP_URL", "smtp_url", None, _url("smtp", "smtps"), "the mail server"),
    Var("PD_MAIL_FROM", "mail_from", "Pakalpojumu dienests <servicedesk@ic.iem.gov.lv>", _address, "sender"),
    Var("PD_MAIL_DIR", "mail_dir", None, _directory, ".eml files instead of SMTP"),
    Var("PD_LANG", "lang", "lv", _choice(*LANGS), "language of mails and reports"),
    Var("PD_TEMPLATES_DIR", "templates_dir", None, _existing_directory, "own mail templates"),
    Var("PD_TIMEZONE", "timezone", DEFAULT_TZ, _timezone, "time zone shown to people"),
    Var("PD_BUSY_TIMEOUT", "busy_timeout", 10.0, _seconds, "seconds to wait for the ledger's lock"),
    Var("PD_RETENTION_DAYS", "retention_days", 5 * 365, _positive_int, "days before closed requests are anonymised"),
    Var("PD_IMAP_URL", "imap_url", None, _imap_url, "the desk's mailbox"),
    Var("PD_IMAP_DONE", "imap_done", "pd-processed", _folder, "folder for processed mail"),
    Var("PD_INTAKE_MAX_ATTACHMENT", "intake_max_attachment", 10 * 1024 * 1024, _size,
        "largest attachment of incoming mail stored (larger: name and size only)"),
    Var("PD_INTAKE_QUARANTINE_DIR", "intake_quarantine_dir", None, _directory, "a copy of each quarantined mail"),
    Var("PD_DEBUG", "debug", False, _flag, "tracebacks on errors"),
)
KNOWN = frozenset(v.name for v in VARIABLES) | {"PD_TEST_DATABASE_URL"}


def check_dotenv(path: Path) -> list[tuple[str, str]]:
    """The `NAME=value` pairs of a .env file; exit 7 naming `file:line` for a line that is not one,
    or for a PD_ name pd does not know (with a did-you-mean)."""
    from dotenv.parser import parse_stream  # lazy: start-up; only a directory with a .env needs it

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(_("{path}: not UTF-8 text (byte {byte})").format(path=path, byte=exc.start)) from None
    except OSError as exc:
        raise ConfigError(_("{path}: cannot read: {error}").format(path=path, error=exc.strerror or exc)) from None
    pairs = []
    for b in parse_stream(io.StringIO(text)):
        raw = b.original.string
        line = b.original.line + raw[:len(raw) - len(raw.lstrip())].count("\n")  # leading blank lines
        if b.error:
            shown = b.original.string.strip()[:40]
            raise ConfigError(_("{path}:{line}: not a NAME=value line: {text}").format(
                path=path, line=line, text=repr(shown)))
        if b.key is None:
            continue  # a comment or a blank line
        if b.value is None:  # python-dotenv takes a bare NAME as a variable without a value
            raise ConfigError(_("{path}:{line}: not a NAME=value line: {name} has no '=' "
                                "(write {name}=VALUE, or {name}= for an empty value)").format(
                path=path, line=line, name=b.key))
        if b.key.startswith("PD_") and b.key not in KNOWN:
            close = difflib.get_close_matches(b.key, sorted(KNOWN), n=1, cutoff=0.6)
            if close:
                raise ConfigError(_("{path}:{line}: unknown variable {name} (did you mean {close}?)").format(
                    path=path, line=line, name=b.key, close=close[0]))
            raise ConfigError(_("{path}:{line}: unknown variable {name} (known: {known})").format(
                path=path, line=line, name=b.key, known=", ".join(v.name for v in VARIABLES)))

        pairs.append((b.key, b.value or ""))
    return pairs


def env_files(env: dict[str, str] | None = None) -> list[Path]:
    """The settings files in force, the strongest first: `.env` in the working directory, then
    `pd.env` in the user's configuration directory, then in /etc/pd (SPEC 16)."""
    candidates = [Path(".env")] + [d / "pd.env" for d in config_dirs(env)]
    return [p for p in candidates if p.is_file()]


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build and check settings from `env` (default: os.environ after loading `.env` and `pd.env`).

    Raises ConfigError (exit 7) naming the variable, or `file:line`."""
    if env is None:
        for path in env_files():
            check_dotenv(path)
            from dotenv import load_dotenv  # lazy: start-up; only a directory with a .env or pd.env needs it

            load_dotenv(path, override=False)  # the environment wins over .env, .env over pd.env
        env = dict(os.environ)
    values: dict[str, Any] = {}
    given = set()
    for var in VARIABLES:
        raw = env.get(var.name)
        if raw is None or raw.strip() == "":
            values[var.field] = var.default(env) if callable(var.default) else var.default
            continue
        given.add(var.name)
        try:
            values[var.field] = var.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{var.name}: {exc}") from None
    return Settings(**values, given=frozenset(given))
