"""The web tables: the Alembic migrations build exactly what the models describe, on SQLite
and (when CANDOR_TEST_POSTGRES_URL is set) PostgreSQL, next to the KB tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session, SQLModel, select

from service.web.auth import authenticate, create_user, principal_for, start_session
from service.web.database import migrate, open_database, web_tables_only
from service.web.models import WEB_TABLE_NAMES, LoginSession, utcnow
from tests.conftest import DATABASES, POSTGRES_URL


@pytest.fixture(params=DATABASES)
def web_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite file, or the test PostgreSQL with only the web tables dropped (other
    packages' tables there are not ours to empty)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'candor.db'}"
        return
    _drop_web_tables(POSTGRES_URL)
    yield POSTGRES_URL
    _drop_web_tables(POSTGRES_URL)


def _drop_web_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        for name in (*WEB_TABLE_NAMES, "alembic_version"):
            connection.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    engine.dispose()


def test_migrations_match_the_models(web_database_url: str) -> None:
    engine = open_database(web_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables >= WEB_TABLE_NAMES
        assert {"kb_control", "company_evidence"} <= tables  # the KB's own tables sit beside
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_object": web_tables_only, "compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
        migrate(engine)  # a second run is a no-op
    finally:
        engine.dispose()


def test_users_and_sessions_round_trip(web_database_url: str) -> None:
    engine = open_database(web_database_url)
    try:
        with Session(engine) as session:
            user = create_user(session, "CTO@Example.com", "Cto", "admin", "long enough pw")
            assert user.password_hash.startswith("$argon2")
            assert authenticate(session, "cto@example.com", "long enough pw") is not None
            assert authenticate(session, "cto@example.com", "wrong password") is None
            token = start_session(session, user)
            principal = principal_for(session, token)
            assert principal is not None and principal.role == "admin"
            login = session.exec(select(LoginSession)).one()
            assert login.token_hash != token  # only a digest of the cookie is stored
            login.expires_at = utcnow() - timedelta(seconds=1)
            session.commit()
            assert principal_for(session, token) is None
    finally:
        engine.dispose()
