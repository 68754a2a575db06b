"""Export: the answers written back into the customer's own file.

result = export_filled(answered, source_bytes, filled_path(source_path, out), kb, report=True)

XLSX, DOCX and CSV are filled in place and differ from the original only in the answer and
comment slots; so is a fillable PDF form, in its fields. Any other PDF gets a side-car XLSX and
DOCX (ID, question, answer, comment). With `report`, an answer report XLSX is written beside
the output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from service.answering import Answer, AnsweredQuestionnaire
from service.controls import KnowledgeBase
from service.ingest import Question

from .csv import fill_csv
from .docx import fill_docx
from .files import ExportError, filled_path, sibling, write_atomic
from .pdf import fill_pdf
from .plan import FORMULA_CELL, NO_COMMENT_SLOT, NotWritten, Write, neutralise, plan_answers
from .report import answer_report, sidecar
from .tables import docx_bytes, xlsx_bytes
from .xlsx import fill_xlsx

__all__ = [
    "ExportError",
    "ExportResult",
    "NotWritten",
    "Write",
    "export_filled",
    "filled_path",
    "neutralise",
    "plan_export",
    "plan_format",
]

_FILLERS = {"xlsx": fill_xlsx, "docx": fill_docx, "csv": fill_csv, "pdf": fill_pdf}


@dataclass
class ExportResult:
    paths: list[Path] = field(default_factory=list)
    written: list[Write] = field(default_factory=list)  # slots filled (answers and comments)
    not_written: list[NotWritten] = field(default_factory=list)  # with the reason

    @property
    def formula_cells(self) -> list[NotWritten]:
        return [n for n in self.not_written if n.reason == FORMULA_CELL]


def export_filled(answered: AnsweredQuestionnaire, source: bytes, out: Path, kb: KnowledgeBase,
                  *, report: bool = False) -> ExportResult:
    """Write the answers into a copy of `source` at `out` (for a PDF: side-cars named like
    `out` with .xlsx and .docx), and with `report` the answer report beside it."""
    writes, not_written = plan_export(answered)
    result = ExportResult(not_written=not_written)
    file_format = answered.questionnaire.format
    questions = answered.questionnaire.questions
    filler = _FILLERS.get(file_format) if _fills_in_place(file_format, questions) else None
    if filler is None:  # no slots to write into: the answers go into side-cars
        table = sidecar(answered, writes)
        result.written = writes
        for suffix, content in ((".xlsx", xlsx_bytes([table])), (".docx", docx_bytes([table]))):
            result.paths.append(_save(out.with_suffix(suffix), content))
    else:
        try:
            filled, result.written, refused = filler(source, writes)
        except Exception as exc:  # a broken part must reach the user as one line
            raise ExportError(f"could not write into the {file_format} file: "
                              f"{type(exc).__name__}: {exc}") from None
        result.not_written.extend(refused)
        result.paths.append(_save(out, filled))
    if report:
        report_path = sibling(out, ".xlsx", "_report")
        result.paths.append(_save(report_path, xlsx_bytes([answer_report(answered, kb)])))
    return result


def plan_export(answered: AnsweredQuestionnaire) -> tuple[list[Write], list[NotWritten]]:
    """What `export_filled` will write and what it will leave out, with the reason, before
    any file is touched: not one of the slot's options, a formula cell, no comment slot, needs
    review with no answer… (A file's own writer can still refuse a slot its part lacks; the
    export reports those in `ExportResult.not_written`.) Reviewer notes are never written."""
    return plan_format(answered.questionnaire.format,
                       [(item.question, item.answer) for item in answered.answers])


def plan_format(
    file_format: str, answers: Iterable[tuple[Question, Answer]]
) -> tuple[list[Write], list[NotWritten]]:
    """`plan_export` from the file's format and each question with its answer."""
    answers = list(answers)
    writes, not_written = plan_answers(answers)
    if not _fills_in_place(file_format, [question for question, _ in answers]):
        # side-cars carry every comment
        not_written = [n for n in not_written if n.reason != NO_COMMENT_SLOT]
    return writes, not_written


def _fills_in_place(file_format: str, questions: Iterable[Question]) -> bool:
    """Whether the file has slots to write into: a PDF only when it is a fillable form."""
    if file_format == "pdf":
        return any(q.answer_location.kind == "field" for q in questions)
    return file_format in _FILLERS


def _save(path: Path, data: bytes) -> Path:
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise ExportError(f"could not write {path}: {exc.strerror or exc}") from None
    return path
