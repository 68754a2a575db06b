"""The web package's plain functions: column mapping, deal context, stored uploads, bands,
permissions, and answer changes with versions and audit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlmodel import Session, select

from service.answering import Answer, AnsweredQuestion
from service.answering.engine import AnswerStatus
from service.ingest import Question, parse
from service.matching import ControlMatch, QuestionMatch, understand
from service.settings import REPO_ROOT
from service.web.answers import answer_columns
from service.web.auth import AuthError, Principal, create_user, sign_in
from service.web.database import open_database
from service.web.mapping import apply_overrides, column_mapping, read_cells, template_fingerprint
from service.web.models import AnswerRecord, AuditEvent, Job, QuestionRecord
from service.web.questionnaires import (
    Deal,
    InvalidInput,
    confidence_band,
    create_questionnaire,
    deal_from_form,
    safe_filename,
    store_upload,
)
from service.web.review import (
    NotFound,
    VersionConflict,
    add_comment,
    approve_answer,
    approve_listed,
    edit_answer,
    high_confidence_answers,
)

SAMPLE = REPO_ROOT / "samples" / "northwind_vendor_security_assessment.xlsx"
CSV = b"ID,Question,Answer,Comment\nA1,Do you encrypt data at rest?,,\nA2,Do you use MFA?,,\n"


def test_column_mapping_of_a_spreadsheet_and_a_csv() -> None:
    [sheet] = column_mapping(parse(SAMPLE))
    assert (sheet.part, sheet.questions) == ("sheet 'Vendor Response'", 30)
    assert (sheet.question_column, sheet.answer_column, sheet.comment_column) == (
        "column B", "column C", "column D")
    assert sheet.samples[0] == "Legal name of your company"
    [rows] = column_mapping(parse(CSV, "q.csv"))
    assert rows.part == "rows" and rows.answer_column == "column 3"


def test_a_spreadsheet_correction_re_reads_the_rows_from_the_chosen_columns() -> None:
    questionnaire = parse(SAMPLE)
    cells = read_cells(SAMPLE, "xlsx")
    part = "sheet 'Vendor Response'"
    corrected = apply_overrides(questionnaire, cells,
                                {part: {"question": "B", "answer": "D", "comment": None}})
    before, after = questionnaire.questions[0], corrected.questions[0]
    row = before.answer_location.cell[1:]  # type: ignore[index]
    assert after.text == before.text and after.ref == before.ref
    assert after.answer_location.cell == f"D{row}" and after.comment_location is None
    [sheet] = column_mapping(corrected)
    assert (sheet.answer_column, sheet.comment_column) == ("column D", None)


def test_the_template_fingerprint_ignores_the_rows_but_not_the_headers(tmp_path: Path) -> None:
    def fingerprint(data: bytes) -> str | None:
        path = tmp_path / "q.csv"
        path.write_bytes(data)
        return template_fingerprint(parse(data, "q.csv"), read_cells(path, "csv"))

    other_rows = CSV.replace(b"Do you use MFA?", b"Do you back up daily?")
    assert fingerprint(CSV) == fingerprint(other_rows) is not None
    assert fingerprint(CSV) != fingerprint(CSV.replace(b"Comment", b"Notes"))
    assert template_fingerprint(parse(SAMPLE), {}) != fingerprint(CSV)


def test_deal_from_form() -> None:
    deal = deal_from_form(" Northwind ", "120,000", "2026-12-15", ["gdpr", "soc2"])
    assert deal == Deal("Northwind", 120000, date(2026, 12, 15), ("soc2", "gdpr"))
    assert deal_from_form("N", "", "", []) == Deal("N", None, None, ())
    for bad in (("", "", "", []), ("N", "-5", "", []), ("N", "", "15/12/2026", []),
                ("N", "", "", ["iso27001"])):
        with pytest.raises(InvalidInput):
            deal_from_form(*bad)


def test_uploads_are_content_addressed_and_never_rewritten(tmp_path: Path) -> None:
    first, digest = store_upload(tmp_path, b"same bytes", "a.XLSX")
    assert first == f"uploads/{digest}.xlsx"
    stored = tmp_path / first
    os.utime(stored, (1_000_000, 1_000_000))  # a rewrite would change this
    assert store_upload(tmp_path, b"same bytes", "b.xlsx") == (first, digest)
    assert stored.stat().st_mtime == 1_000_000
    assert store_upload(tmp_path, b"other", "c.xlsx")[0] != first
    assert not list((tmp_path / "uploads").glob("*.partial"))


def test_safe_filename_keeps_a_plain_last_component() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("a\\b\\..\\c:d*e?.xlsx") == "cde.xlsx"
    assert safe_filename("q\x00\x1b\x7f.csv") == "q.csv"
    assert safe_filename(".bashrc") == "bashrc"
    assert safe_filename("..") == safe_filename("") == safe_filename("/") == "upload"
    assert len(safe_filename("x" * 500 + ".docx")) == 200
    assert safe_filename("x" * 500 + ".docx").endswith(".docx")


def test_confidence_bands() -> None:
    """High is the engine's bar for an automatic answer, medium its bar for counting a gap."""
    from service.answering import Thresholds

    bars = Thresholds()
    assert [confidence_band(c) for c in (0.999, bars.control, bars.control - 0.01, bars.gap,
                                         bars.gap - 0.01)] == [
        "high", "high", "medium", "medium", "low"]


def test_roles_include_the_ones_below() -> None:
    editor = Principal(1, "e@x.io", "E", "editor", "t")
    assert editor.can("viewer") and editor.can("editor") and not editor.can("admin")


def test_create_user_checks_its_input(database_url: str) -> None:
    engine = open_database(database_url)
    with Session(engine) as session:
        create_user(session, "a@example.com", "", "viewer", "long enough pw")
        for email, role, password in (("a@example.com", "viewer", "long enough pw"),
                                      ("b@example.com", "owner", "long enough pw"),
                                      ("nobody", "viewer", "long enough pw"),
                                      ("c@example.com", "viewer", "short")):
            with pytest.raises(AuthError):
                create_user(session, email, "", role, password)
    engine.dispose()


def drafted(question: QuestionRecord, value: str, confidence: float,
            note: str = "") -> AnsweredQuestion:
    """A made-up engine answer to a stored question (no model needed)."""
    status: AnswerStatus = "auto" if value else "needs_review"
    return AnsweredQuestion(
        Question.from_dict(question.question),
        Answer(value, "", confidence, status, "control",
               note=note or ("" if value else "Needs review. Closest controls: IAM-01.")),
        QuestionMatch((ControlMatch("IAM-01", 0.7),), confidence, None, None,
                      understand(question.text)),
        (), None, "yes" if value == "Yes" else None)


@pytest.fixture
def answered(tmp_path: Path, database_url: str) -> Iterator[tuple[Engine, Principal, int]]:
    """A stored CSV questionnaire with made-up answers (no model needed)."""
    engine = open_database(database_url)
    with Session(engine) as session:
        user = create_user(session, "ed@example.com", "Ed", "editor", "long enough pw")
        assert user.id is not None
        actor = Principal(user.id, user.email, user.name, user.role, "csrf")
        record = create_questionnaire(session, tmp_path, actor, CSV, "q.csv",
                                      Deal("Contoso", None, None, ()))
        for question, (value, confidence) in zip(
            session.exec(select(QuestionRecord).order_by(QuestionRecord.position)).all(),
            (("Yes", 0.95), ("", 0.3)), strict=True,
        ):
            assert question.id is not None and record.id is not None
            session.add(AnswerRecord(question_id=question.id, questionnaire_id=record.id,
                                     **answer_columns(drafted(question, value, confidence))))
        session.commit()
        assert record.id is not None
        yield engine, actor, record.id
    engine.dispose()


def test_upload_queues_one_answering_job(answered: tuple[Engine, Principal, int]) -> None:
    engine, _, questionnaire_id = answered
    with Session(engine) as session:
        [job] = session.exec(select(Job)).all()
        assert (job.questionnaire_id, job.status, job.total) == (questionnaire_id, "pending", 2)


def test_changes_are_versioned_and_audited(answered: tuple[Engine, Principal, int]) -> None:
    engine, actor, questionnaire_id = answered
    with Session(engine) as session:
        yes, empty = session.exec(select(AnswerRecord).order_by(AnswerRecord.id)).all()
        assert yes.id is not None and empty.id is not None
        with pytest.raises(InvalidInput):
            approve_answer(session, actor, empty.id, empty.version)
        edited = edit_answer(session, actor, empty.id, "No", "Planned for Q2.", 1)
        assert (edited.version, edited.status, edited.updated_by) == (2, "edited", actor.user_id)
        with pytest.raises(VersionConflict) as conflict:
            edit_answer(session, actor, empty.id, "Yes", "", 1)
        assert conflict.value.current["value"] == "No"
        with pytest.raises(NotFound):
            add_comment(session, actor, 999, "hello")
        add_comment(session, actor, empty.id, "Ask the CTO.")
        shown = high_confidence_answers(session, questionnaire_id)
        assert [answer.id for _, answer in shown] == [yes.id]
        with pytest.raises(InvalidInput):
            approve_listed(session, actor, questionnaire_id, [])  # nothing approved blindly
        outcome = approve_listed(session, actor, questionnaire_id,
                                 [(yes.id, yes.version), (empty.id, 2)])
        assert [a["id"] for a in outcome.approved] == [yes.id]
        assert [s["id"] for s in outcome.skipped] == [empty.id]  # edited: not a draft
        assert session.get(AnswerRecord, yes.id).status == "approved"  # type: ignore[union-attr]
        actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["questionnaire.upload", "answer.edit", "answer.comment",
                           "answer.approve.bulk"]


def test_a_password_hashed_with_other_parameters_is_upgraded_at_sign_in(
    database_url: str,
) -> None:
    engine = open_database(database_url)
    with Session(engine) as session:
        user = create_user(session, "old@example.com", "Old", "viewer", "long enough pw")
        user.password_hash = PasswordHasher().hash("long enough pw")  # the library defaults
        session.commit()
        assert "m=65536,t=3,p=4" in user.password_hash
        assert sign_in(session, "old@example.com", "long enough pw", "127.0.0.1") is not None
        session.refresh(user)
        assert "m=19456,t=2,p=1" in user.password_hash
        assert sign_in(session, "old@example.com", "long enough pw", "127.0.0.1") is not None
    engine.dispose()
