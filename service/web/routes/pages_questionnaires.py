"""Dashboard, upload, a questionnaire's mapping and progress, and its review page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from service.answering.engine import FRAMEWORKS
from service.ingest import IngestError

from ..auth import Principal
from ..corrections import column_choice, correct_columns
from ..deps import Db, Editor, Viewer, render
from ..exports import export_check
from ..mapping import CORRECTABLE_FORMATS
from ..models import ANSWER_STATUSES, QuestionnaireRecord
from ..questionnaires import (
    CONFIDENCE_BANDS,
    InvalidInput,
    ReviewFilters,
    assignable_users,
    assignee_filter,
    create_questionnaire,
    deal_from_form,
    list_questionnaires,
    progress,
    review_rows,
    sections,
)
from ..review import NotFound, approve_listed, high_confidence_answers, parse_listed

router = APIRouter(include_in_schema=False)


def get_questionnaire(session: Session, questionnaire_id: int) -> QuestionnaireRecord:
    record = session.get(QuestionnaireRecord, questionnaire_id)
    if record is None:
        raise NotFound(f"no questionnaire {questionnaire_id}")
    return record


@router.get("/")
def dashboard(request: Request, me: Viewer, session: Db) -> Response:
    return render(request, "dashboard.html", me, rows=list_questionnaires(session),
                  statuses=ANSWER_STATUSES)


@router.get("/upload")
def upload_page(request: Request, me: Editor) -> Response:
    return render(request, "upload.html", me, frameworks=FRAMEWORKS, form={})


@router.post("/upload")
def upload(
    request: Request,
    me: Editor,
    session: Db,
    file: Annotated[UploadFile, File()],
    prospect: Annotated[str, Form()] = "",
    deal_value: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    frameworks: Annotated[list[str] | None, Form()] = None,
) -> Response:
    form = {"prospect": prospect, "deal_value": deal_value, "due_date": due_date,
            "frameworks": frameworks or []}
    try:
        deal = deal_from_form(prospect, deal_value, due_date, frameworks or [])
        record = create_questionnaire(session, request.app.state.settings.data_dir, me,
                                      file.file.read(), file.filename or "upload", deal)
    except (IngestError, InvalidInput) as exc:
        return render(request, "upload.html", me, status_code=422, frameworks=FRAMEWORKS,
                      form=form, error=str(exc))
    request.app.state.worker.wake()
    return RedirectResponse(f"/questionnaires/{record.id}", status_code=303)


@router.get("/questionnaires/{questionnaire_id}")
def questionnaire_page(
    request: Request, questionnaire_id: int, me: Viewer, session: Db
) -> Response:
    record = get_questionnaire(session, questionnaire_id)
    return render(request, "questionnaire.html", me, record=record,
                  state=progress(session, questionnaire_id), statuses=ANSWER_STATUSES,
                  correctable=record.format in CORRECTABLE_FORMATS,
                  check=export_check(session, record))


@router.post("/questionnaires/{questionnaire_id}/mapping")
def correct_mapping(
    request: Request,
    questionnaire_id: int,
    me: Editor,
    session: Db,
    part: Annotated[str, Form()],
    question_column: Annotated[str, Form()] = "",
    answer_column: Annotated[str, Form()] = "",
    comment_column: Annotated[str, Form()] = "",
) -> Response:
    record = get_questionnaire(session, questionnaire_id)
    choice = column_choice(part, question_column, answer_column, comment_column)
    correct_columns(session, request.app.state.settings.data_dir, me, record, part, choice)
    request.app.state.worker.wake()
    return RedirectResponse(f"/questionnaires/{questionnaire_id}", status_code=303)


@router.get("/questionnaires/{questionnaire_id}/review")
def review_page(
    request: Request,
    questionnaire_id: int,
    me: Viewer,
    session: Db,
    status: str = "",
    band: str = "",
    gap: str = "",
    section: str = "",
    assigned: str = "",
) -> Response:
    record = get_questionnaire(session, questionnaire_id)
    filters = ReviewFilters(status, band, gap, section,
                            assignee_filter(assigned, me)).validate()
    here = str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
    return render_review(request, session, me, record, filters, here)


@dataclass(frozen=True)
class Refused:
    """An edit the server refused: shown on its answer's card with what the person typed."""

    answer_id: int
    value: str
    comment: str
    message: str


def render_review(
    request: Request, session: Session, me: Principal, record: QuestionnaireRecord,
    filters: ReviewFilters, here: str, refused: Refused | None = None, status_code: int = 200,
) -> Response:
    assert record.id is not None
    return render(
        request, "review.html", me, status_code=status_code, record=record, filters=filters,
        assignable=assignable_users(session),
        rows=review_rows(session, request.app.state.knowledge.kb, record.id, filters),
        state=progress(session, record.id), sections=sections(session, record.id),
        statuses=ANSWER_STATUSES, bands=CONFIDENCE_BANDS, here=here, refused=refused,
        check=export_check(session, record),
    )


def filters_of(target: str, me: Principal) -> ReviewFilters:
    """The review filters in a page address (the `next` of a form); none if they are bad."""
    query = {k: v[-1] for k, v in parse_qs(urlsplit(target).query).items()}
    try:
        return ReviewFilters(query.get("status", ""), query.get("band", ""),
                             query.get("gap", ""), query.get("section", ""),
                             assignee_filter(query.get("assigned", ""), me)).validate()
    except InvalidInput:
        return ReviewFilters()


@router.get("/questionnaires/{questionnaire_id}/approve-high-confidence")
def bulk_approve_page(
    request: Request,
    questionnaire_id: int,
    me: Editor,
    session: Db,
    approved: int | None = None,
    skipped: str = "",
) -> Response:
    """What "approve all high-confidence answers" would approve, to confirm (and, after a
    confirmation, what was approved and what was left because it had changed)."""
    record = get_questionnaire(session, questionnaire_id)
    left = [int(i) for i in skipped.split(",") if i.isdigit()]
    return render(request, "bulk_approve.html", me, record=record,
                  candidates=high_confidence_answers(session, questionnaire_id),
                  approved=approved, skipped=left, state=progress(session, questionnaire_id))


@router.post("/questionnaires/{questionnaire_id}/approve-high-confidence")
def bulk_approve(
    questionnaire_id: int,
    me: Editor,
    session: Db,
    answer: Annotated[list[str] | None, Form()] = None,  # "id:version", as listed and confirmed
) -> Response:
    get_questionnaire(session, questionnaire_id)
    outcome = approve_listed(session, me, questionnaire_id, parse_listed(answer or []))
    skipped = ",".join(str(s["id"]) for s in outcome.skipped)
    return RedirectResponse(
        f"/questionnaires/{questionnaire_id}/approve-high-confidence?approved="
        f"{len(outcome.approved)}" + (f"&skipped={skipped}" if skipped else ""), status_code=303)
