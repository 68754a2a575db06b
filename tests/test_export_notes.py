"""Reviewer notes never reach the customer: corpus questionnaires of every format filled with
random answers, comments and statuses, each answer carrying a note; no note appears in any
part of any file the export writes (filled file, side-cars, answer report), while every
comment written is found there (so the search looks where the text goes)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from functools import cache
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.answering import Answer, AnsweredQuestion, AnsweredQuestionnaire
from service.answering.engine import AnswerStatus
from service.controls import load_knowledge_base
from service.export import export_filled
from service.ingest import Questionnaire, parse
from service.matching import QuestionMatch, Understanding
from service.settings import KNOWLEDGE_DIR

from .conftest import CORPUS

SOURCES = [
    "csv/HECVAT_Lite_IntelligentInsights_filled.csv",
    "docx/UK_ICO_DPIA_template_GDPR_blank.docx",
    "docx/FedRAMP_PIA_blank.docx",
    "pdf/UK_ICO_DPIA_template_GDPR_blank.pdf",
    "xlsx/HECVAT_Lite_v3.04_CanvasStudio_filled.xlsx",
    "xlsx/ISMSForum_Supply-Chain_Risk_Questionnaire_ES.xlsx",
    "xlsx/CISA_ICT-SCRM_Vendor_SCRM_questions.xlsx",
]
_NO_MATCH = QuestionMatch((), 0.0, None, None, Understanding("positive", ()))
# around each marker, text that must be escaped in XML and CSV, and spreadsheet-formula bait
_NOTE_TEXT = st.sampled_from(["", "Needs review. Closest controls: <IAM-01> & \"MFA\"; 'x'",
                              "=HYPERLINK(\"x\")", "Check with the CTO,\nthen approve."])


@cache
def _questionnaire(source: str) -> Questionnaire:
    return parse(CORPUS / source)


@cache
def _kb():
    return load_knowledge_base(KNOWLEDGE_DIR)


def _answers(questionnaire: Questionnaire, data: st.DataObject) -> AnsweredQuestionnaire:
    answers = []
    for i, question in enumerate(questionnaire.questions):
        status = data.draw(st.sampled_from(get_args(AnswerStatus)))
        choices = [""] + (list(question.options) or [f"zqvalue{i}x"])
        value = data.draw(st.sampled_from(choices))
        comment = data.draw(st.sampled_from(["", f"zqcomment{i}x"]))
        note = f"{data.draw(_NOTE_TEXT)} zqnote{i}x {data.draw(_NOTE_TEXT)}"
        answers.append(AnsweredQuestion(
            question, Answer(value, comment, 0.9, status, "control", note=note),
            _NO_MATCH, (), None))
    return AnsweredQuestionnaire(questionnaire, answers)


def _parts(path: Path) -> str:
    data = path.read_bytes()
    if not data.startswith(b"PK"):
        return data.decode("utf-8", "replace")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace")
                         for name in archive.namelist())


@pytest.mark.parametrize("source", SOURCES)
@settings(max_examples=4, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_no_reviewer_note_is_written_into_any_exported_file(source: str, data) -> None:
    questionnaire = _questionnaire(source)
    assert questionnaire.questions
    answered = _answers(questionnaire, data)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / f"filled{Path(source).suffix}"
        result = export_filled(answered, (CORPUS / source).read_bytes(), out, _kb(),
                               report=True)
        written = "\n".join(_parts(path) for path in result.paths)
    for i in range(len(questionnaire.questions)):
        assert f"zqnote{i}x" not in written, f"the note of question {i} was exported"
    comments = [w for w in result.written if w.role == "comment"]
    for write in comments:  # the search does look where exported text lands
        assert write.text in written
