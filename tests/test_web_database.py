"""The web tables: the Alembic migrations build exactly what the models describe, on SQLite
and (when CANDOR_TEST_POSTGRES_URL is set) PostgreSQL, next to the KB tables."""

from __future__ import annotations

from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, select

from service.web.auth import authenticate, create_user, principal_for, start_session
from service.web.database import migrate, open_database, web_tables_only
from service.web.models import WEB_TABLE_NAMES, LoginSession, utcnow


def test_migrations_match_the_models(database_url: str) -> None:
    engine = open_database(database_url)
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


def test_users_and_sessions_round_trip(database_url: str) -> None:
    engine = open_database(database_url)
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
