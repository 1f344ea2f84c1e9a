"""Configuration from the environment and a `.env` file (SPEC 11).

Read once per process; nothing here opens a file other than `.env`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TZ = "Europe/Riga"


def _default_database_url() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'pd' / 'ledger.sqlite3'}"


def _shipped(name: str) -> str:
    return str(PROJECT_ROOT / name)


@dataclass(frozen=True)
class Settings:
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
    # Attachments of incoming mail larger than this (bytes) are recorded by name and size only.
    intake_max_attachment: int = 10 * 1024 * 1024
    # Where a mail pd cannot take apart is also written as a file (besides its quarantine row).
    intake_quarantine_dir: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Build settings from `env` (default: os.environ after loading `.env`)."""
    if env is None:
        dotenv = Path(".env")
        if dotenv.is_file():
            from dotenv import load_dotenv

            load_dotenv(dotenv, override=False)
        env = dict(os.environ)
    return Settings(
        database_url=env.get("PD_DATABASE_URL") or _default_database_url(),
        catalog_path=env.get("PD_CATALOG") or _shipped("catalog.yaml"),
        contacts_path=env.get("PD_CONTACTS") or _shipped("contacts.yaml"),
        user=env.get("PD_USER") or None,
        smtp_url=env.get("PD_SMTP_URL") or None,
        mail_from=env.get("PD_MAIL_FROM") or "Pakalpojumu dienests <servicedesk@ic.iem.gov.lv>",
        mail_dir=env.get("PD_MAIL_DIR") or None,
        timezone=env.get("PD_TIMEZONE") or DEFAULT_TZ,
        lang=(env.get("PD_LANG") or "lv").lower(),
        templates_dir=env.get("PD_TEMPLATES_DIR") or None,
        retention_days=int(env.get("PD_RETENTION_DAYS") or 5 * 365),
        debug=(env.get("PD_DEBUG") or "") not in ("", "0", "false"),
        identity=(env.get("PD_IDENTITY") or "env").lower(),
        imap_url=env.get("PD_IMAP_URL") or None,
        imap_done=env.get("PD_IMAP_DONE") or "pd-processed",
        intake_max_attachment=_size(env, "PD_INTAKE_MAX_ATTACHMENT", 10 * 1024 * 1024),
        intake_quarantine_dir=env.get("PD_INTAKE_QUARANTINE_DIR") or None,
    )


def _size(env: dict[str, str], name: str, default: int) -> int:
    """A byte count: 5000000, 500k, 10M (binary multiples); a bad value is exit 7 naming the variable."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    factor = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}.get(text[-1].lower(), 1)
    number = text[:-1] if factor != 1 else text
    if not number.isdigit() or int(number) <= 0:
        from .errors import ConfigError

        raise ConfigError(f"{name}: {text!r} is not a size in bytes (e.g. 10M, 500k, 2000000)")
    return int(number) * factor
