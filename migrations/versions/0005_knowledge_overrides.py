"""Admins' knowledge-base edits (control status, evidence dates) and which answers a person
wrote.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "control_override",
        sa.Column("company_key", sa.String(), primary_key=True),
        sa.Column("control_id", sa.String(), primary_key=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "evidence_override",
        sa.Column("company_key", sa.String(), primary_key=True),
        sa.Column("evidence_id", sa.String(), primary_key=True),
        sa.Column("collected", sa.Date(), nullable=False),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("answer") as batch:
        batch.add_column(sa.Column("person_written", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.execute("UPDATE answer SET person_written = TRUE WHERE status IN ('edited', 'approved')")


def downgrade() -> None:
    with op.batch_alter_table("answer") as batch:
        batch.drop_column("person_written")
    op.drop_table("evidence_override")
    op.drop_table("control_override")
