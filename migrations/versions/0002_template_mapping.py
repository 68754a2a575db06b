"""Column corrections remembered per questionnaire template.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("questionnaire", sa.Column("template_fingerprint", sa.String(), nullable=True))
    op.add_column("questionnaire", sa.Column("column_overrides", sa.JSON(), nullable=True))
    op.create_index("ix_questionnaire_template_fingerprint", "questionnaire",
                    ["template_fingerprint"])
    op.create_table(
        "template_mapping",
        sa.Column("fingerprint", sa.String(), primary_key=True),
        sa.Column("column_overrides", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("template_mapping")
    op.drop_index("ix_questionnaire_template_fingerprint", "questionnaire")
    op.drop_column("questionnaire", "column_overrides")
    op.drop_column("questionnaire", "template_fingerprint")
