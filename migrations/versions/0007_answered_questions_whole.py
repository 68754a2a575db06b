"""Questions and answers stored whole: each question keeps the full ingested question (every
slot, options, flags), each answer its reviewer-only note, the engine's match and verdict.

Rows already stored are filled from their columns: the question gets what was kept (ref, text,
section, answer type, options and its answer slot; `service.web.answers.complete_stored`
completes the rest from the stored original when the app starts), the answer's match gets
the stored controls and scores. A needs-review answer without a value had its reviewer text
in the comment (never exported): it moves to the note.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_QUESTION = sa.table(
    "question", sa.column("id", sa.Integer()), sa.column("ref", sa.String()),
    sa.column("text", sa.String()), sa.column("section", sa.String()),
    sa.column("answer_type", sa.String()), sa.column("options", sa.JSON()),
    sa.column("location", sa.JSON()), sa.column("question", sa.JSON()),
)
_ANSWER = sa.table(
    "answer", sa.column("id", sa.Integer()), sa.column("value", sa.String()),
    sa.column("comment", sa.String()), sa.column("note", sa.String()),
    sa.column("confidence", sa.Float()), sa.column("status", sa.String()),
    sa.column("matches", sa.JSON()), sa.column("match", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("question") as question:
        question.add_column(sa.Column("question", sa.JSON(), nullable=True))
    with op.batch_alter_table("answer") as answer:
        answer.add_column(sa.Column("note", sa.String(), nullable=False, server_default=""))
        answer.add_column(sa.Column("verdict", sa.String(), nullable=True))
        answer.add_column(sa.Column("match", sa.JSON(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(
            _QUESTION.c.id, _QUESTION.c.ref, _QUESTION.c.text, _QUESTION.c.section,
            _QUESTION.c.answer_type, _QUESTION.c.options, _QUESTION.c.location)).all():
        # what was kept; the question and comment slots are read again from the original
        kept = {"ref": row.ref, "text": row.text, "section": row.section,
                "answer_type": row.answer_type, "options": list(row.options or []),
                "location": row.location}
        connection.execute(sa.update(_QUESTION).where(_QUESTION.c.id == row.id)
                           .values(question=kept))
    for row in connection.execute(sa.select(
            _ANSWER.c.id, _ANSWER.c.value, _ANSWER.c.comment, _ANSWER.c.confidence,
            _ANSWER.c.status, _ANSWER.c.matches)).all():
        values: dict[str, Any] = {"match": {
            "controls": [{"control_id": m["control"], "score": m["score"]}
                         for m in row.matches or []],
            "confidence": row.confidence, "fact": None, "library": None,
            "understanding": None,  # filled from the question text when the app starts
        }}
        if row.status == "needs_review" and not row.value and row.comment:
            values.update(note=row.comment, comment="")  # it never was for the customer
        connection.execute(sa.update(_ANSWER).where(_ANSWER.c.id == row.id).values(**values))
    with op.batch_alter_table("question") as question:
        question.alter_column("question", existing_type=sa.JSON(), nullable=False)
        question.drop_column("location")
    with op.batch_alter_table("answer") as answer:
        answer.alter_column("match", existing_type=sa.JSON(), nullable=False)
        answer.drop_column("matches")


def downgrade() -> None:
    with op.batch_alter_table("question") as question:
        question.add_column(sa.Column("location", sa.JSON(), nullable=True))
    with op.batch_alter_table("answer") as answer:
        answer.add_column(sa.Column("matches", sa.JSON(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(_QUESTION.c.id, _QUESTION.c.question)).all():
        connection.execute(sa.update(_QUESTION).where(_QUESTION.c.id == row.id)
                           .values(location=row.question["location"]))
    for row in connection.execute(sa.select(
            _ANSWER.c.id, _ANSWER.c.value, _ANSWER.c.comment, _ANSWER.c.note,
            _ANSWER.c.status, _ANSWER.c.match)).all():
        values: dict[str, Any] = {"matches": [
            {"control": m["control_id"], "title": "", "score": m["score"], "frameworks": {}}
            for m in row.match["controls"]]}
        if row.status == "needs_review" and not row.value and not row.comment and row.note:
            values["comment"] = row.note
        connection.execute(sa.update(_ANSWER).where(_ANSWER.c.id == row.id).values(**values))
    with op.batch_alter_table("question") as question:
        question.alter_column("location", existing_type=sa.JSON(), nullable=False)
        question.drop_column("question")
    with op.batch_alter_table("answer") as answer:
        answer.alter_column("matches", existing_type=sa.JSON(), nullable=False)
        answer.drop_column("match")
        answer.drop_column("verdict")
        answer.drop_column("note")
