"""Questionnaires over JSON: list, upload, progress, answers for review, bulk approval, jobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from pydantic import BaseModel

from ..corrections import column_choice, correct_columns
from ..deps import Db, Editor, Viewer
from ..models import Job
from ..questionnaires import (
    ReviewFilters,
    assignee_filter,
    create_questionnaire,
    deal_from_form,
    job_dict,
    list_questionnaires,
    progress,
    questionnaire_dict,
    review_rows,
)
from ..review import NotFound, approve_listed, high_confidence_answers
from .pages_questionnaires import get_questionnaire

router = APIRouter(prefix="/api/v1", tags=["questionnaires"])


@router.get("/questionnaires", summary="Questionnaires with deal context and progress")
def list_all(_me: Viewer, session: Db) -> list[dict[str, Any]]:
    return [questionnaire_dict(record, state) for record, state in list_questionnaires(session)]


@router.post(
    "/questionnaires",
    status_code=201,
    summary="Upload a questionnaire; answering starts in the background",
    description="Multipart form: `file`, `prospect`, optional `deal_value`, `due_date` "
    "(YYYY-MM-DD) and `frameworks` (soc2, hipaa, gdpr; repeatable). A file that cannot be "
    "ingested gives 422 with a one-line reason.",
)
def upload(
    request: Request,
    me: Editor,
    session: Db,
    file: Annotated[UploadFile, File()],
    prospect: Annotated[str, Form()],
    deal_value: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    frameworks: Annotated[list[str] | None, Form()] = None,
) -> dict[str, Any]:
    deal = deal_from_form(prospect, deal_value, due_date, frameworks or [])
    record = create_questionnaire(session, request.app.state.settings.data_dir, me,
                                  file.file.read(), file.filename or "upload", deal)
    request.app.state.worker.wake()
    assert record.id is not None
    return questionnaire_dict(record, progress(session, record.id))


@router.get("/questionnaires/{questionnaire_id}", summary="One questionnaire, its column "
            "mapping and progress")
def one(questionnaire_id: int, _me: Viewer, session: Db) -> dict[str, Any]:
    record = get_questionnaire(session, questionnaire_id)
    return questionnaire_dict(record, progress(session, questionnaire_id))


class MappingCorrection(BaseModel):
    part: str  # as listed in the questionnaire's `mapping`, e.g. "sheet 'Vendor Response'"
    question_column: str
    answer_column: str
    comment_column: str = ""  # empty: the part has no comment column


@router.put(
    "/questionnaires/{questionnaire_id}/mapping",
    summary="Correct one part's question / answer / comment columns (spreadsheets and CSV)",
    description="Columns are letters in a sheet (`C`), numbers in a CSV (`3`). The questions "
    "are re-read from those columns and answered again; the correction is remembered for "
    "later files of the same template. Refused (422) once answers were edited, approved or "
    "commented on, and while answering runs.",
)
def correct_mapping(
    questionnaire_id: int, correction: MappingCorrection, request: Request, me: Editor,
    session: Db,
) -> dict[str, Any]:
    record = get_questionnaire(session, questionnaire_id)
    choice = column_choice(correction.part, correction.question_column,
                           correction.answer_column, correction.comment_column)
    record = correct_columns(session, request.app.state.settings.data_dir, me, record,
                             correction.part, choice)
    request.app.state.worker.wake()
    return questionnaire_dict(record, progress(session, questionnaire_id))


@router.get(
    "/questionnaires/{questionnaire_id}/answers",
    summary="Every question with its answer, matched controls, framework refs and citations",
    description="Filters: `status` (needs_review, auto, edited, approved), `band` (high, "
    "medium, low), `gap` (yes, no), `section`, `assigned` (me).",
)
def answers(
    request: Request,
    questionnaire_id: int,
    me: Viewer,
    session: Db,
    status: str = "",
    band: str = "",
    gap: str = "",
    section: str = "",
    assigned: str = "",
) -> list[dict[str, Any]]:
    get_questionnaire(session, questionnaire_id)
    filters = ReviewFilters(status, band, gap, section, assignee_filter(assigned, me)).validate()
    kb = request.app.state.knowledge.kb
    return [row.to_dict() for row in review_rows(session, kb, questionnaire_id, filters)]


class HighConfidenceAnswer(BaseModel):
    id: int
    version: int  # name it to approve the answer as shown
    ref: str
    question: str
    value: str
    comment: str  # what the customer's file gets beside the value
    confidence: float


class HighConfidencePreview(BaseModel):
    count: int
    answers: list[HighConfidenceAnswer]


@router.get(
    "/questionnaires/{questionnaire_id}/approve-high-confidence",
    summary="What approving every high-confidence answer would approve",
    description="The automatic answers in the high confidence band whose value fits the "
    "slot, with the `version` to name when approving them (POST the same path).",
)
def bulk_approve_preview(questionnaire_id: int, _me: Editor, session: Db
                         ) -> HighConfidencePreview:
    get_questionnaire(session, questionnaire_id)
    answers = [
        HighConfidenceAnswer(id=answer.id or 0, version=answer.version, ref=question.ref,
                             question=question.text, value=answer.value,
                             comment=answer.comment, confidence=round(answer.confidence, 3))
        for question, answer in high_confidence_answers(session, questionnaire_id)]
    return HighConfidencePreview(count=len(answers), answers=answers)


class AnswerVersion(BaseModel):
    id: int
    version: int


class BulkApprovalRequest(BaseModel):
    answers: list[AnswerVersion]  # as listed by the GET of this path


class ApprovedAnswer(BaseModel):
    id: int
    version: int  # after the approval
    ref: str
    value: str


class SkippedAnswer(BaseModel):
    id: int
    reason: str


class BulkApprovalResult(BaseModel):
    approved: int
    answers: list[ApprovedAnswer]
    skipped: list[SkippedAnswer]


@router.post(
    "/questionnaires/{questionnaire_id}/approve-high-confidence",
    summary="Approve the listed high-confidence answers, as shown",
    description="Approves exactly the answers named with the version they were shown at "
    "(from the GET of this path); one that changed since, or is no longer an automatic "
    "high-confidence answer, is skipped with the reason. One audit entry.",
)
def bulk_approve(
    questionnaire_id: int, confirmed: BulkApprovalRequest, me: Editor, session: Db
) -> BulkApprovalResult:
    get_questionnaire(session, questionnaire_id)
    outcome = approve_listed(session, me, questionnaire_id,
                             [(a.id, a.version) for a in confirmed.answers])
    return BulkApprovalResult(
        approved=len(outcome.approved),
        answers=[ApprovedAnswer(**a) for a in outcome.approved],
        skipped=[SkippedAnswer(**s) for s in outcome.skipped])


@router.get("/jobs/{job_id}", summary="A background job's status and progress")
def job(job_id: int, _me: Viewer, session: Db) -> dict[str, Any]:
    found = session.get(Job, job_id)
    if found is None:
        raise NotFound(f"no job {job_id}")
    return job_dict(found)
