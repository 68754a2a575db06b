"""Answers assigned to a person.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite adds a foreign key only by rebuilding the table
    with op.batch_alter_table("answer") as answer:
        answer.add_column(sa.Column("assigned_to", sa.Integer(), nullable=True))
        answer.create_foreign_key("fk_answer_assigned_to", "app_user", ["assigned_to"], ["id"])
        answer.create_index("ix_answer_assigned_to", ["assigned_to"])


def downgrade() -> None:
    with op.batch_alter_table("answer") as answer:
        answer.drop_index("ix_answer_assigned_to")
        answer.drop_constraint("fk_answer_assigned_to", type_="foreignkey")
        answer.drop_column("assigned_to")
