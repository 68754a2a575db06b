"""Opening the database: the KB tables (owned by `service.controls.db`) plus the web tables,
brought up to date by the Alembic migrations in `migrations/`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, event, text

from service.controls.db import engine_for
from service.settings import REPO_ROOT

from .models import WEB_TABLE_NAMES

MIGRATIONS_DIR = REPO_ROOT / "migrations"
_PREPARE_LOCK = 0x43414E44  # "CAND": the PostgreSQL advisory lock taken while preparing


def open_database(database_url: str) -> Engine:
    engine = engine_for(database_url)
    if engine.dialect.name == "sqlite":
        # the job worker writes while requests read: WAL lets them, and waiting beats "locked"
        event.listen(engine, "connect", _sqlite_pragmas)
        engine.dispose()  # drop connections opened before the listener
    with exclusive(engine):
        migrate(engine)
    return engine


@contextmanager
def exclusive(engine: Engine) -> Iterator[None]:
    """One process at a time: app workers starting together on one PostgreSQL take turns to
    migrate and seed it. (Several workers are for PostgreSQL; SQLite serves one process.)"""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PREPARE_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PREPARE_LOCK})
            connection.commit()


def migrate(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _sqlite_pragmas(connection: object, _record: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def web_tables_only(
    item: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's filter: the migrations here manage the web tables, nothing else."""
    table = item if type_ == "table" else getattr(item, "table", None)
    return table is None or getattr(table, "name", None) in WEB_TABLE_NAMES
