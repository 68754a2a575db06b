"""Which controls go into the roadmap, and in what order of priority, each with its reason.

Priority is impact per person-day of effort. Impact is a sum of points a CTO can check:
severity, questions the fix turns to "Yes", deal value at stake (doubled when the deal is due
within a month), and open framework requirements it helps meet. A prerequisite ranks with the
most urgent control waiting for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from service.answering.engine import FRAMEWORKS
from service.controls import (
    CompanyProfile,
    Control,
    KnowledgeBase,
    Status,
    effective_status,
    framework_coverage,
)

from .inputs import QuestionnaireGaps

SEVERITY_POINTS = {"critical": 8.0, "high": 4.0, "medium": 2.0, "low": 1.0}
POINTS_PER_QUESTION = 1.0
POINTS_PER_100K_DEAL_VALUE = 3.0
POINTS_PER_REQUIREMENT = 1.0
URGENT_DEAL_WINDOW = timedelta(days=30)  # deals due this soon count double
QUICK_WIN_MAX_DAYS = 2.0
# A control that is in place but whose evidence lapsed needs fresh evidence, not a rebuild.
EVIDENCE_RENEWAL_DAYS = 0.5
RENEWAL_STEPS = (
    "Collect current evidence that the control operates and file it in the "
    "evidence register with an expiry date.",
)
FRAMEWORK_NAMES = {"soc2": "SOC 2", "hipaa": "HIPAA", "gdpr": "GDPR"}


@dataclass(frozen=True)
class QuestionRef:
    questionnaire: str  # label: the prospect, else the file name
    ref: str


@dataclass(frozen=True)
class PrioritisedItem:
    control: Control
    status: Status  # effective status today
    effort_days: float
    steps: tuple[str, ...]
    depends_on: tuple[str, ...]  # prerequisites that are themselves in the plan
    questions: tuple[QuestionRef, ...]  # turned to "Yes" once this (and its prerequisites) is done
    deal_value: float  # total value of the deals whose questionnaires it unblocks
    open_requirements: dict[str, tuple[str, ...]]  # unmet requirements it helps meet
    prerequisite_for: tuple[str, ...]  # set when it is in the plan only because others need it
    renewal: bool  # in place, only the evidence lapsed
    impact: float
    priority: float  # impact per person-day, inherited from dependents when higher
    rank: int
    why: str

    @property
    def id(self) -> str:
        return self.control.id

    @property
    def owner_role(self) -> str:
        return self.control.remediation.owner_role

    @property
    def severity(self) -> str:
        return self.control.remediation.severity

    @property
    def quick_win(self) -> bool:
        return self.effort_days <= QUICK_WIN_MAX_DAYS


def plan_controls(
    kb: KnowledgeBase,
    company: CompanyProfile,
    questionnaires: Sequence[QuestionnaireGaps],
    on: date,
) -> list[str]:
    """Every gap control of the questionnaires (or, with none, every control not effectively
    implemented), plus their not-implemented prerequisites, sorted by id."""
    if questionnaires:
        wanted = {
            g.control_id for q in questionnaires for g in q.gaps if g.control_id in kb.controls
        }
    else:
        wanted = {c for c in kb.controls if _needs_work(company, c, on)}
    pending = [c for c in wanted if not _renewal(company, c, on)]
    while pending:
        for dependency in kb.controls[pending.pop()].remediation.depends_on:
            if dependency not in wanted and _needs_work(company, dependency, on):
                wanted.add(dependency)
                pending.append(dependency)
    return sorted(wanted)


def prioritise(
    kb: KnowledgeBase,
    company: CompanyProfile,
    questionnaires: Sequence[QuestionnaireGaps],
    on: date,
) -> list[PrioritisedItem]:
    """The plan's controls, most urgent first (ties broken by control id)."""
    ids = plan_controls(kb, company, questionnaires, on)
    in_plan = set(ids)
    questions: dict[str, list[QuestionRef]] = {c: [] for c in ids}
    deals: dict[str, list[QuestionnaireGaps]] = {c: [] for c in ids}
    for questionnaire in questionnaires:
        for gap in questionnaire.gaps:
            if gap.control_id in in_plan:
                questions[gap.control_id] += [
                    QuestionRef(questionnaire.label, r) for r in gap.questions
                ]
                deals[gap.control_id].append(questionnaire)
    requested = {f for q in questionnaires for f in q.deal.frameworks} or set(FRAMEWORKS)
    open_requirements = _open_requirements(kb, company, on, requested, in_plan)
    dependents: dict[str, list[str]] = {c: [] for c in ids}
    for control_id in ids:
        for dependency in kb.controls[control_id].remediation.depends_on:
            if dependency in in_plan and not _renewal(company, control_id, on):
                dependents[dependency].append(control_id)

    drafts: dict[str, _Draft] = {}
    for control_id in ids:
        control = kb.controls[control_id]
        assessment = effective_status(company, control_id, on)
        renewal = _renewal(company, control_id, on)
        effort = EVIDENCE_RENEWAL_DAYS if renewal else control.remediation.effort_days
        deal_points = sum(_deal_points(q, on) for q in deals[control_id])
        impact = (
            SEVERITY_POINTS.get(control.remediation.severity, 1.0)
            + POINTS_PER_QUESTION * len(questions[control_id])
            + deal_points
            + POINTS_PER_REQUIREMENT * sum(map(len, open_requirements[control_id].values()))
        )
        drafts[control_id] = _Draft(
            control,
            assessment.effective,
            renewal,
            effort,
            tuple(questions[control_id]),
            tuple(deals[control_id]),
            open_requirements[control_id],
            impact,
            impact / max(effort, EVIDENCE_RENEWAL_DAYS),
        )
    inherited = {c: _inherited_priority(c, drafts, dependents) for c in ids}
    order = sorted(ids, key=lambda c: (-inherited[c][0], c))
    items = []
    for rank, control_id in enumerate(order, start=1):
        draft = drafts[control_id]
        # with questionnaires, a control none of them asks about is there for its dependents
        pulled_in = (
            tuple(sorted(dependents[control_id])) if questionnaires and not draft.questions else ()
        )
        item = PrioritisedItem(
            control=draft.control,
            status=draft.status,
            effort_days=draft.effort,
            steps=RENEWAL_STEPS if draft.renewal else draft.control.remediation.steps,
            depends_on=()
            if draft.renewal
            else tuple(d for d in draft.control.remediation.depends_on if d in in_plan),
            questions=draft.questions,
            deal_value=sum(q.deal.deal_value for q in draft.deals),
            open_requirements=draft.open_requirements,
            prerequisite_for=pulled_in,
            renewal=draft.renewal,
            impact=draft.impact,
            priority=inherited[control_id][0],
            rank=rank,
            why="",
        )
        items.append(_with_why(item, draft, inherited[control_id][1], len(ids), on))
    return items


@dataclass(frozen=True)
class _Draft:
    control: Control
    status: Status
    renewal: bool
    effort: float
    questions: tuple[QuestionRef, ...]
    deals: tuple[QuestionnaireGaps, ...]
    open_requirements: dict[str, tuple[str, ...]]
    impact: float
    priority: float


def _needs_work(company: CompanyProfile, control_id: str, on: date) -> bool:
    return effective_status(company, control_id, on).effective not in (
        Status.IMPLEMENTED,
        Status.NOT_APPLICABLE,
    )


def _renewal(company: CompanyProfile, control_id: str, on: date) -> bool:
    """Declared implemented but missing current evidence: its prerequisites were met when it
    was built, so renewing the evidence waits for nothing."""
    return effective_status(company, control_id, on).downgraded


def _open_requirements(
    kb: KnowledgeBase, company: CompanyProfile, on: date, frameworks: set[str], in_plan: set[str]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per planned control, the requested frameworks' unmet requirements it is mapped to."""
    found: dict[str, dict[str, list[str]]] = {c: {} for c in in_plan}
    for coverage in framework_coverage(kb, company, on):
        key = coverage.framework.key
        if key not in frameworks:
            continue
        for requirement in coverage.requirements:
            if requirement.state not in ("gap", "partly_met"):
                continue
            for control_id in requirement.controls:
                if control_id in in_plan:
                    found[control_id].setdefault(key, []).append(requirement.requirement.id)
    return {
        c: {f: tuple(refs) for f, refs in by_framework.items()} for c, by_framework in found.items()
    }


def _deal_points(questionnaire: QuestionnaireGaps, on: date) -> float:
    points = POINTS_PER_100K_DEAL_VALUE * questionnaire.deal.deal_value / 100_000
    due = questionnaire.deal.due_date
    return points * 2 if due is not None and due <= on + URGENT_DEAL_WINDOW else points


def _inherited_priority(
    control_id: str, drafts: dict[str, _Draft], dependents: dict[str, list[str]]
) -> tuple[float, str | None]:
    """The control's priority, raised to that of doing it together with a control waiting
    on it (transitively) when that pair is worth more per day; and which dependent it was."""
    own = drafts[control_id]
    best, source = own.priority, None
    seen, pending = {control_id}, list(dependents[control_id])
    while pending:
        other = pending.pop(0)
        if other in seen:
            continue
        seen.add(other)
        pair = (own.impact + drafts[other].impact) / (own.effort + drafts[other].effort)
        if pair > best:
            best, source = pair, other
        pending += dependents[other]
    return best, source


def _with_why(
    item: PrioritisedItem, draft: _Draft, urgency_from: str | None, total: int, on: date
) -> PrioritisedItem:
    reasons = [f"{item.severity} severity"]
    if item.renewal:
        reasons.append("already in place: only the evidence proving it is missing or lapsed")
    if item.questions:
        shown = ", ".join(f"{q.questionnaire} {q.ref}" for q in item.questions[:3])
        more = f" and {len(item.questions) - 3} more" if len(item.questions) > 3 else ""
        reasons.append(f"turns {_count(len(item.questions), 'question')} to Yes ({shown}{more})")
    for questionnaire in draft.deals:
        deal = questionnaire.deal
        if deal.deal_value or deal.due_date:
            due = f" due {deal.due_date.isoformat()}" if deal.due_date else ""
            urgent = (
                " (due within 30 days)"
                if _deal_points(questionnaire, on)
                > POINTS_PER_100K_DEAL_VALUE * deal.deal_value / 100_000
                else ""
            )
            reasons.append(f"{money(deal.deal_value)} {questionnaire.label} deal{due}{urgent}")
    requirements = [
        _requirement_refs(f, refs) for f, refs in sorted(item.open_requirements.items())
    ]
    if requirements:
        count = sum(map(len, item.open_requirements.values()))
        reasons.append(
            f"helps meet {_count(count, 'open requirement')} ({'; '.join(requirements)})"
        )
    if item.prerequisite_for:
        reasons.append(f"prerequisite for {', '.join(item.prerequisite_for)}")
    elif urgency_from:
        reasons.append(f"ranked early because {urgency_from} needs it first")
    effort = f"{item.effort_days:g} person-day{'s' if item.effort_days != 1 else ''}"
    quick = "quick win, scheduled first: " if item.quick_win else ""
    reasons.append(
        f"{quick}{effort} of {item.owner_role} time, "
        f"{draft.impact:.1f} impact points ({draft.priority:.1f} per day)"
    )
    return replace(item, why=f"Rank {item.rank} of {total}: " + "; ".join(reasons) + ".")


def _requirement_refs(framework: str, refs: tuple[str, ...]) -> str:
    name = FRAMEWORK_NAMES[framework]
    # GDPR ids already read "GDPR Art. 32"
    return ", ".join(refs) if refs[0].startswith(name) else f"{name} {', '.join(refs)}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def money(value: float) -> str:
    if value >= 1_000_000:
        return f"${value / 1_000_000:.1f}M"
    if value >= 1_000:
        return f"${value / 1_000:.0f}k"
    return f"${value:.0f}"
