"""The web tables: the Alembic migrations build exactly what the models describe, on SQLite
and (when CANDOR_TEST_POSTGRES_URL is set) PostgreSQL, next to the KB tables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect
from sqlmodel import Session, SQLModel, col, select

from service.controls.db import engine_for
from service.ingest import parse
from service.web.answers import answered, complete_stored
from service.web.auth import authenticate, create_user, principal_for, start_session
from service.web.database import MIGRATIONS_DIR, migrate, open_database, web_tables_only
from service.web.models import (
    WEB_TABLE_NAMES,
    AnswerRecord,
    LoginSession,
    QuestionRecord,
    utcnow,
)


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


CSV = b"ID,Question,Answer,Comment\nA1,Do you encrypt data at rest?,,\nA2,Do you use MFA?,,\n"


def _upgrade(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_answers_stored_before_0007_migrate_whole(database_url: str, tmp_path: Path) -> None:
    """Rows written by 0006 keep everything: the question gets what its columns held, then its
    slots from the stored original at start-up; the needs-review text moves to the note."""
    engine = engine_for(database_url)
    try:
        _upgrade(engine, "0006")
        (tmp_path / "uploads").mkdir()
        (tmp_path / "uploads" / "old.csv").write_bytes(CSV)
        now = utcnow()
        with engine.begin() as connection:
            tables = MetaData()
            tables.reflect(connection, only=["app_user", "questionnaire", "question", "answer"])
            connection.execute(tables.tables["app_user"].insert().values(
                id=1, email="ed@example.com", name="Ed", role="editor", password_hash="x",
                created_at=now))
            connection.execute(tables.tables["questionnaire"].insert().values(
                id=1, prospect="Contoso", frameworks=[], filename="old.csv",
                file_path="uploads/old.csv", file_sha256="0" * 64, format="csv", mapping=[],
                notices=[], uploaded_by=1, created_at=now))
            for position, (ref, text) in enumerate((("A1", "Do you encrypt data at rest?"),
                                                    ("A2", "Do you use MFA?"))):
                connection.execute(tables.tables["question"].insert().values(
                    id=position + 1, questionnaire_id=1, position=position, ref=ref, text=text,
                    section="", answer_type="yes_no", options=[],
                    location={"kind": "row", "row": position + 2, "column": 3}))
            connection.execute(tables.tables["answer"].insert(), [
                dict(id=1, question_id=1, questionnaire_id=1, value="Yes",
                     comment="Encrypted with AES-256.", confidence=0.91, status="approved",
                     basis="control", gap_control=None, version=3, person_written=True,
                     updated_at=now, citations=[{"kind": "control", "id": "CRY-01",
                                                 "title": "Encryption at rest"}],
                     matches=[{"control": "CRY-01", "title": "Encryption at rest",
                               "score": 0.83, "frameworks": {"soc2": ["CC6.1"]}}]),
                dict(id=2, question_id=2, questionnaire_id=1, value="",
                     comment="Needs review. Closest controls: IAM-02 MFA.", confidence=0.4,
                     status="needs_review", basis="none", gap_control=None, version=1,
                     person_written=False, updated_at=now, citations=[],
                     matches=[{"control": "IAM-02", "title": "MFA", "score": 0.61,
                               "frameworks": {}}]),
            ])

        migrate(engine)
        with Session(engine) as session:
            first, _ = session.exec(select(QuestionRecord).order_by(
                col(QuestionRecord.position))).all()
            assert first.question == {"ref": "A1", "text": "Do you encrypt data at rest?",
                                      "section": "", "answer_type": "yes_no", "options": [],
                                      "location": {"kind": "row", "row": 2, "column": 3}}
            approved, waiting = session.exec(select(AnswerRecord).order_by(
                col(AnswerRecord.id))).all()
            assert (approved.comment, approved.note, approved.version) == (
                "Encrypted with AES-256.", "", 3)
            assert approved.match["controls"] == [{"control_id": "CRY-01", "score": 0.83}]
            assert (waiting.comment, waiting.note) == (
                "", "Needs review. Closest controls: IAM-02 MFA.")

        assert complete_stored(engine, tmp_path) == 1
        assert complete_stored(engine, tmp_path) == 0  # done once
        with Session(engine) as session:
            questions = session.exec(select(QuestionRecord).order_by(
                col(QuestionRecord.position))).all()
            answers = session.exec(select(AnswerRecord).order_by(col(AnswerRecord.id))).all()
            parsed = parse(CSV, "old.csv").questions
            items = [answered(q, a) for q, a in zip(questions, answers, strict=True)]
        assert [item.question for item in items] == parsed  # every slot, comment slot too
        assert items[0].question.comment_location is not None
        assert items[0].answer.status == "approved" and items[0].citations[0].id == "CRY-01"
        assert items[1].answer.note.startswith("Needs review") and not items[1].answer.comment
        assert items[1].match.understanding.polarity in ("positive", "negative", "neutral")
    finally:
        engine.dispose()
