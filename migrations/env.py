"""Alembic environment for the web tables only: `kb_*` and `company_*` belong to
`service.controls.db`, which creates its own, so they are left out of comparisons."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from service.settings import Settings
from service.web.database import web_tables_only


def run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        include_object=web_tables_only,
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()


# `service.web.database.migrate` hands over its connection; the `alembic` command has none.
connection = context.config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = create_engine(Settings.from_env().database_url)
    with engine.connect() as opened:
        run(opened)
    engine.dispose()
