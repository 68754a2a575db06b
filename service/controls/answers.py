"""Rendering a control's answer template for a company, from its effective status."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import jinja2

from .issues import Issue
from .model import AnswerTemplates, CompanyProfile, Control, KnowledgeBase, Status
from .status import ControlAssessment, effective_status

# StrictUndefined: a template naming a fact the profile lacks fails loudly instead of
# printing an empty string into an answer a customer will read.
TEMPLATE_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)

TEMPLATE_KEYS = ("implemented", "partial", "not_implemented", "not_applicable")
_TEMPLATE_FOR_STATUS = {
    Status.IMPLEMENTED: "implemented",
    Status.PARTIAL: "partial",
    Status.PLANNED: "not_implemented",
    Status.NOT_IMPLEMENTED: "not_implemented",
    Status.NOT_APPLICABLE: "not_applicable",
}


def render_answer(kb: KnowledgeBase, company: CompanyProfile, control_id: str, on: date,
                  status: Status | None = None, reason: str | None = None, *,
                  default_template: bool = False) -> str:
    """The answer text for `control_id` as `company` stands on `on` (one paragraph).

    `status` renders the template of that status instead of the control's own, so that an
    answer's comment always says what its value says (a "Partial" built from two controls, one
    of them in place, reads as partial); `reason` then replaces the profile's note.
    `default_template` skips the control's own template for the knowledge base's default.
    """
    control = kb.controls[control_id]
    assessment = effective_status(company, control_id, on)
    key = _TEMPLATE_FOR_STATUS[status or assessment.effective]
    own = AnswerTemplates() if default_template else control.answers
    template = _pick(own, kb.answer_defaults, key)
    context = _context(company, control, assessment)
    if status is not None:
        context["status"] = status.value
    if reason is not None:
        context["reason"] = reason
    return _render(template, context)


def check_answer_templates(kb: KnowledgeBase, company: CompanyProfile, on: date, *,
                           every_status: bool = False) -> list[Issue]:
    """Render answers for `company` on `on`: finds templates naming facts the profile lacks.

    By default only the template for each control's current status is rendered (what
    `kb check` needs); `every_status` renders all four, as if the profile's statuses changed.
    """
    issues = []
    for control in kb.controls.values():
        assessment = effective_status(company, control.id, on)
        keys = TEMPLATE_KEYS if every_status else (_TEMPLATE_FOR_STATUS[assessment.effective],)
        for key in keys:
            try:
                _render(_pick(control.answers, kb.answer_defaults, key),
                        _context(company, control, assessment))
            except jinja2.TemplateError as exc:
                issues.append(Issue(control.source.path, control.source.line, control.id,
                                    f"answer template {key!r} fails for profile "
                                    f"{company.key}: {exc}"))
    return issues


def _context(company: CompanyProfile, control: Control,
             assessment: ControlAssessment) -> dict[str, Any]:
    state = company.control_states.get(control.id)
    return {
        "facts": {key: fact.value for key, fact in company.facts.items()},
        "company": company.name,
        "control": control,
        "status": assessment.effective.value,
        "reason": assessment.reason,
        "owner": state.owner if state else "",
        "target_date": state.target_date if state else None,
        "evidence": assessment.valid_evidence,
    }


def _render(template: str, context: dict[str, Any]) -> str:
    return " ".join(_compiled(template).render(context).split())


@lru_cache(maxsize=1024)
def _compiled(template: str) -> jinja2.Template:
    return TEMPLATE_ENV.from_string(template)


def _pick(own: AnswerTemplates, defaults: AnswerTemplates, key: str) -> str:
    return getattr(own, key) or getattr(defaults, key) or ""
