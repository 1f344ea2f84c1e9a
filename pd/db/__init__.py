"""Storage: the database connection, the models, the migrations."""
import os
import sys


def _skip_unused_drivers() -> None:
    """peewee imports every driver it finds at import time; an SQLite process needs none (20-35 ms)."""
    if not os.environ.get("PD_DATABASE_URL", "").startswith("postgres"):
        for name in ("psycopg2", "psycopg", "psycopg2cffi", "pymysql", "MySQLdb", "mysql", "mariadb"):
            sys.modules.setdefault(name, None)  # type: ignore[arg-type]


_skip_unused_drivers()
