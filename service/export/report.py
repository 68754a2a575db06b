"""The answer report and the side-car: every question with what Candor says and why."""

from __future__ import annotations

from service.answering import AnsweredQuestion, AnsweredQuestionnaire
from service.answering.engine import FRAMEWORKS
from service.controls import KnowledgeBase

from .plan import Write
from .tables import Table

_FRAMEWORK_NAMES = {"soc2": "SOC 2", "hipaa": "HIPAA", "gdpr": "GDPR"}


def answer_report(answered: AnsweredQuestionnaire, kb: KnowledgeBase) -> Table:
    """Question -> answer -> status -> confidence -> controls -> framework refs -> evidence;
    needs-review rows highlighted."""
    header = ("ID", "Question", "Answer", "Comment", "Status", "Confidence", "Controls",
              *(_FRAMEWORK_NAMES[f] for f in FRAMEWORKS), "Evidence cited")
    table = Table("Answer report", header, (12, 60, 24, 60, 13, 11, 24, 18, 18, 18, 40))
    for item in answered.answers:
        controls = _cited(item, "control")
        refs = [
            ", ".join(dict.fromkeys(r for c in controls if c in kb.controls
                                    for r in kb.controls[c].refs(framework)))
            for framework in FRAMEWORKS
        ]
        if item.answer.status == "needs_review":
            table.highlighted.add(len(table.rows))
        table.rows.append((
            item.question.ref, item.question.text, item.answer.value, item.answer.comment,
            item.answer.status.replace("_", " "), f"{item.answer.confidence:.2f}",
            ", ".join(controls), *refs,
            "; ".join(f"{c.id} {c.title}" for c in item.citations if c.kind == "evidence"),
        ))
    return table


def _cited(item: AnsweredQuestion, kind: str) -> list[str]:
    return [c.id for c in item.citations if c.kind == kind]


def sidecar(answered: AnsweredQuestionnaire, writes: list[Write]) -> Table:
    """ID, question, answer, comment for a source with no slots to write into: the answers a
    filled file would get (with their comments), every question listed."""
    placed = {w.ref: w.text for w in writes if w.role == "answer"}
    table = Table("Answers", ("ID", "Question", "Answer", "Comment"), (12, 70, 28, 70))
    for item in answered.answers:
        ref = item.question.ref
        answer = placed.get(ref, "")
        table.rows.append((ref, item.question.text, answer,
                           item.answer.comment if answer else ""))
    return table
