"""Failed sign-ins for throttling; the worker holding a job and its heartbeat, so several
app processes can share one database.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    for column in ("email", "address", "at"):
        op.create_index(f"ix_login_failure_{column}", "login_failure", [column])
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    # a job running when this migration ran was left by a stopped process: stale at once
    op.execute("UPDATE job SET heartbeat_at = started_at WHERE status = 'running'")


def downgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_column("heartbeat_at")
        batch.drop_column("claimed_by")
    op.drop_table("login_failure")
