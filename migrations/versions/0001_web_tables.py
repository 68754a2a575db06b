"""The web tables: users and sessions, questionnaires, questions, answers, jobs, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _text(name: str) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=False)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.JSON(), nullable=nullable)


def _ref(name: str, target: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "app_user", _id(), _text("email"), _text("name"), _text("role"), _text("password_hash"),
        _when("created_at"),
    )
    op.create_index("ix_app_user_email", "app_user", ["email"], unique=True)
    op.create_table(
        "login_session",
        sa.Column("token_hash", sa.String(), primary_key=True),
        _ref("user_id", "app_user.id"), _text("csrf_token"), _when("created_at"),
        _when("expires_at"),
    )
    op.create_index("ix_login_session_user_id", "login_session", ["user_id"])
    op.create_table(
        "questionnaire", _id(), _text("prospect"),
        sa.Column("deal_value", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        _json("frameworks"), _text("filename"), _text("file_path"), _text("file_sha256"),
        _text("format"), _json("mapping"), _json("notices"), _ref("uploaded_by", "app_user.id"),
        _when("created_at"),
    )
    op.create_index("ix_questionnaire_file_sha256", "questionnaire", ["file_sha256"])
    op.create_table(
        "question", _id(), _ref("questionnaire_id", "questionnaire.id"),
        sa.Column("position", sa.Integer(), nullable=False),
        _text("ref"), _text("text"), _text("section"), _text("answer_type"), _json("options"),
        _json("location"),
    )
    op.create_index("ix_question_questionnaire_id", "question", ["questionnaire_id"])
    op.create_table(
        "answer", _id(), _ref("question_id", "question.id"),
        _ref("questionnaire_id", "questionnaire.id"), _text("value"), _text("comment"),
        sa.Column("confidence", sa.Float(), nullable=False),
        _text("status"), _text("basis"), sa.Column("gap_control", sa.String(), nullable=True),
        _json("matches"), _json("citations"),
        sa.Column("version", sa.Integer(), nullable=False),
        _ref("updated_by", "app_user.id", nullable=True), _when("updated_at"),
        sa.UniqueConstraint("question_id"),
    )
    op.create_index("ix_answer_questionnaire_id", "answer", ["questionnaire_id"])
    op.create_table(
        "review_comment", _id(), _ref("answer_id", "answer.id"), _ref("user_id", "app_user.id"),
        _text("text"), _when("created_at"),
    )
    op.create_index("ix_review_comment_answer_id", "review_comment", ["answer_id"])
    op.create_table(
        "job", _id(), _text("kind"), _ref("questionnaire_id", "questionnaire.id"),
        _text("status"), sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False), _text("error"), _when("created_at"),
        _when("started_at", nullable=True), _when("finished_at", nullable=True),
    )
    op.create_index("ix_job_questionnaire_id", "job", ["questionnaire_id"])
    op.create_index("ix_job_status", "job", ["status"])
    op.create_table(
        "audit_event", _id(), _when("at"), _ref("user_id", "app_user.id", nullable=True),
        _text("actor"), _text("action"), _text("target"), _json("before", nullable=True),
        _json("after", nullable=True),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])


def downgrade() -> None:
    for table in (
        "audit_event", "job", "review_comment", "answer", "question", "questionnaire",
        "login_session", "app_user",
    ):
        op.drop_table(table)
