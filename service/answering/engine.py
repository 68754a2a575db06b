"""Evidence-gated answers: what the company can truthfully say to each question, and why.

The one rule everything here serves: a "Yes" needs an implemented control with unexpired
evidence behind it (`ControlAssessment.supports_yes`), a confident match, a question that
asks for a safeguard (not a disclosure), and a control statement that backs every part of
the question. Anything less is "Partial", "No", "N/A" with the profile's reason, or
needs_review — never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import jinja2

from service.controls import CompanyProfile, ControlAssessment, KnowledgeBase, Status
from service.controls import effective_status as assess
from service.controls.answers import render_answer
from service.ingest import Question, Questionnaire
from service.matching import Matcher, QuestionMatch, unbacked_qualifiers

from .values import Verdict, fit_verdict, verdict_of

# The engine drafts `auto` or `needs_review`; people then edit or approve.
AnswerStatus = Literal["auto", "needs_review", "edited", "approved"]
Basis = Literal["control", "fact", "library", "none"]
FRAMEWORKS = ("soc2", "hipaa", "gdpr")
GAP_STATUSES = (Status.PARTIAL, Status.PLANNED, Status.NOT_IMPLEMENTED)
# The share of what a question asks about (support.coverage) that the control an automatic
# answer comes from must name; a drafted description ("How do you …?") says more than a "Yes",
# so its control must name more.
MIN_COVERAGE = 0.2
DESCRIPTION_COVERAGE = 0.5


@dataclass(frozen=True)
class Thresholds:
    # calibrated confidence a control answer needs to be automatic: fitted with CALIBRATION by
    # `candor eval --fit` so that every labelled family keeps 97% auto-precision
    control: float = 0.73
    description: float = 0.91  # the same for a drafted description ("How do you …?")
    fact: float = 0.72  # cosine between the question and a fact's phrasing
    fact_margin: float = 0.05  # a fact wins unless a control matches clearly better
    library: float = 0.93  # near-identical repeat of an approved question
    gap: float = 0.5  # confidence at which a non-implemented best match counts as a gap


@dataclass(frozen=True)
class Answer:
    value: str
    comment: str  # for the customer: written into their file beside the value
    confidence: float
    status: AnswerStatus
    basis: Basis
    note: str = ""  # for the reviewer only (why it needs review, the candidates): never exported


@dataclass(frozen=True)
class Citation:
    kind: Literal["control", "evidence", "fact", "library"]
    id: str
    title: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id, "title": self.title}


@dataclass(frozen=True)
class AnsweredQuestion:
    question: Question
    answer: Answer
    match: QuestionMatch
    citations: tuple[Citation, ...]
    gap_control: str | None  # the control whose absence keeps this from a "Yes"
    verdict: Verdict | None = None  # what the answer claims, whatever words carry it

    @property
    def gap(self) -> bool:
        return self.gap_control is not None


@dataclass(frozen=True)
class Gap:
    control_id: str
    title: str
    status: str  # effective status
    target_date: date | None
    questions: tuple[str, ...]  # refs
    frameworks: dict[str, list[str]]


@dataclass
class AnsweredQuestionnaire:
    questionnaire: Questionnaire
    answers: list[AnsweredQuestion] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    as_of: date | None = None


def answer_questionnaire(
    questionnaire: Questionnaire,
    kb: KnowledgeBase,
    company: CompanyProfile,
    matcher: Matcher,
    on: date,
    thresholds: Thresholds = Thresholds(),
    progress: Callable[[int, int], None] | None = None,
) -> AnsweredQuestionnaire:
    matches = matcher.match(questionnaire.questions, progress)
    return answer_matches(questionnaire, matches, kb, company, on, thresholds)


def answer_matches(
    questionnaire: Questionnaire,
    matches: list[QuestionMatch],
    kb: KnowledgeBase,
    company: CompanyProfile,
    on: date,
    thresholds: Thresholds = Thresholds(),
) -> AnsweredQuestionnaire:
    """Answers from matches already made: the company's state can change without re-matching."""
    answerer = _Answerer(kb, company, on, thresholds)
    answered = [
        answerer.answer(q, m) for q, m in zip(questionnaire.questions, matches, strict=True)
    ]
    gaps = collect_gaps(answered, kb, company, on)
    return AnsweredQuestionnaire(questionnaire, answered, gaps, on)


def drafts_description(question: Question, match: QuestionMatch) -> bool:
    """The answer would be a description of a practice ("How do you …?" in a text slot),
    not a yes/no about a safeguard (asked as a question or written as a requirement)."""
    return question.answer_type == "text" and match.understanding.polarity != "positive"


class _Answerer:
    def __init__(
        self, kb: KnowledgeBase, company: CompanyProfile, on: date, thresholds: Thresholds
    ) -> None:
        self.kb, self.company, self.on, self.limits = kb, company, on, thresholds
        self._assessments: dict[str, ControlAssessment] = {}

    def assessment(self, control_id: str) -> ControlAssessment:
        if control_id not in self._assessments:
            self._assessments[control_id] = assess(self.company, control_id, self.on)
        return self._assessments[control_id]

    def answer(self, question: Question, match: QuestionMatch) -> AnsweredQuestion:
        for decide in (self._from_library, self._from_fact, self._from_control):
            result = decide(question, match)
            if result is not None:
                return result
        return self._needs_review(question, match)

    # -- the three sources, most specific first ------------------------------------------

    def _from_library(self, question: Question, match: QuestionMatch) -> AnsweredQuestion | None:
        candidate = match.library
        if candidate is None or candidate.score < self.limits.library:
            return None
        if int(candidate.target) >= len(self.company.answer_library):
            return None
        approved = self.company.answer_library[int(candidate.target)]
        verdict = verdict_of(approved.answer)
        backing = [self.assessment(c) for c in approved.controls if c in self.kb.controls]
        if verdict == "yes" and not (backing and all(a.supports_yes for a in backing)):
            return None  # an approved "Yes" is only reused while its controls still back it
        value = _fit(question, verdict, approved.answer)
        if value is None:
            return None
        citations = (
            Citation("library", f"library-{int(candidate.target) + 1}", approved.question),
        )
        citations += tuple(
            Citation("control", a.control_id, self.kb.controls[a.control_id].title) for a in backing
        )
        citations += _evidence_citations(backing)
        comment = approved.answer if value != approved.answer else ""
        return AnsweredQuestion(
            question,
            Answer(value, comment, candidate.score, "auto", "library"),
            match,
            citations,
            None,
            verdict,
        )

    def _from_fact(self, question: Question, match: QuestionMatch) -> AnsweredQuestion | None:
        candidate = match.fact
        best_control = match.controls[0].score if match.controls else 0.0
        if (
            candidate is None
            or candidate.score < self.limits.fact
            or candidate.score < best_control - self.limits.fact_margin
        ):
            return None
        fact = self.company.facts.get(candidate.target)
        if fact is None:
            return None  # matched against another profile's facts
        citation = (Citation("fact", fact.key, fact.key.replace("_", " ")),)
        if isinstance(fact.value, bool):
            value = fit_verdict("yes" if fact.value else "no", question.options)
            if fact.value or value is None:
                # a fact is not evidence: a "Yes" from it waits for a person
                comment = f"Company fact '{fact.key}' is {'yes' if fact.value else 'no'}."
                return AnsweredQuestion(
                    question,
                    Answer("", "", candidate.score, "needs_review", "fact", note=comment),
                    match,
                    citation,
                    None,
                )
            return AnsweredQuestion(
                question,
                Answer(value, "", candidate.score, "auto", "fact"),
                match,
                citation,
                None,
                "no",
            )
        text = ", ".join(fact.value) if isinstance(fact.value, tuple) else str(fact.value)
        if question.answer_type in ("yes_no", "choice") and not _fits_options(text, question):
            return AnsweredQuestion(
                question,
                Answer("", "", candidate.score, "needs_review", "fact",
                       note=f"Company fact '{fact.key}': {text}"),
                match,
                citation,
                None,
            )
        return AnsweredQuestion(
            question, Answer(text, "", candidate.score, "auto", "fact"), match, citation, None
        )

    def _from_control(self, question: Question, match: QuestionMatch) -> AnsweredQuestion | None:
        understanding, backing = match.understanding, match.support
        described = drafts_description(question, match)
        bar = self.limits.description if described else self.limits.control
        if not match.controls or backing is None or match.confidence < bar:
            return None
        if understanding.commentary:
            return None  # "anything else?" is for a person, whatever the closest control
        if understanding.polarity == "negative":
            return None  # a disclosure or an adverse event: a control cannot answer it
        if understanding.polarity == "neutral" and not (
            question.answer_type == "text" and understanding.description
        ):
            return None  # not a yes/no about a safeguard: only "how do you …" can be drafted
        if backing.coverage < (DESCRIPTION_COVERAGE if described else MIN_COVERAGE):
            return None  # the control names too little of what the question asks about
        if question.answer_type in ("number", "date"):
            return None  # a count or a date comes from the facts or a person, not a control
        if (backing.actors_missing or backing.identifiers_missing or backing.concepts_missing
                or backing.parties_foreign):
            return None  # the control is about someone or something else
        control = self.kb.controls[match.controls[0].control_id]
        topic = self.assessment(control.id)
        policy = self.assessment(match.policy_control) if match.policy_control else None
        backing_assessments = [topic] + ([policy] if policy else [])
        citations = (
            Citation("control", control.id, control.title),
            *((Citation("control", policy.control_id,
                        self.kb.controls[policy.control_id].title),) if policy else ()),
            *_evidence_citations(backing_assessments),
        )
        verdict, reason = self._verdict(topic, policy)
        if verdict is None:
            return None
        if verdict == "yes":
            statements = " ".join(self.kb.controls[a.control_id].statement
                                  for a in backing_assessments)
            missing = unbacked_qualifiers(understanding.qualifiers, statements)
            if missing:
                note = (f"{control.id} {control.title} is in place, but the question also asks "
                        f"{', '.join(missing)}, which the control does not commit to.")
                return AnsweredQuestion(
                    question,
                    Answer("", "", match.confidence, "needs_review", "control", note=note),
                    match, citations, None)
        gap = control.id if verdict in ("partial", "no") else None
        if verdict == "partial" and topic.effective == Status.IMPLEMENTED and policy:
            gap = policy.control_id
        comment = self._comment(control.id, verdict, reason, backing_assessments)
        if question.answer_type == "text":
            value, comment = comment, ""  # "Describe …": the rendered answer is the answer
        else:
            fitted = fit_verdict(verdict, question.options)
            if fitted is None or verdict_of(fitted) != verdict:
                return None  # the options cannot say it (e.g. "partly" with only Yes/No)
            value = fitted
        return AnsweredQuestion(
            question,
            Answer(value, comment, match.confidence, "auto", "control"),
            match,
            citations,
            gap,
            verdict,
        )

    def _verdict(self, topic: ControlAssessment,
                 policy: ControlAssessment | None) -> tuple[Verdict | None, str | None]:
        """What the company can say about a topic control (and the written policy beside it,
        for a policy question), with the reason a partial answer gives."""
        if topic.effective == Status.NOT_APPLICABLE:
            return ("na", None) if topic.reason else (None, None)  # N/A needs a justification
        if topic.effective in (Status.PLANNED, Status.NOT_IMPLEMENTED):
            return "no", None
        if topic.effective == Status.PARTIAL:
            return "partial", None
        if policy is None or policy.effective == Status.IMPLEMENTED:
            return "yes", None
        policy_control = self.kb.controls[policy.control_id]
        return "partial", (
            f"{self.kb.controls[topic.control_id].title} is in place; the written policy "
            f"({policy_control.title}) is not yet. {policy.reason}".strip()
        )

    def _needs_review(self, question: Question, match: QuestionMatch) -> AnsweredQuestion:
        candidates = [self.kb.controls[m.control_id] for m in match.controls[:3]]
        backing = match.support
        objections = backing.objections if backing else ()
        gap = None
        if (
            candidates
            and match.confidence >= self.limits.gap
            and match.understanding.polarity == "positive"
            and not match.understanding.commentary
            and not objections
            and self.assessment(candidates[0].id).effective in GAP_STATUSES
        ):
            gap = candidates[0].id
        listed = "; ".join(f"{c.id} {c.title}" for c in candidates)
        if match.understanding.commentary:
            note = "A free comment: for a person to write, never drafted from a control."
        elif listed:
            why = f" {candidates[0].id} does not back it: {'; '.join(objections)}." if (
                objections) else ""
            note = _render_plain("Needs review.{{ why }} Closest controls: {{ listed }}.",
                                 why=why, listed=listed)
        else:
            note = "Needs review: nothing in the knowledge base covers this question."
        citations = tuple(Citation("control", c.id, c.title) for c in candidates)
        return AnsweredQuestion(
            question,
            Answer("", "", match.confidence, "needs_review", "none", note=note),
            match,
            citations,
            gap,
        )

    def _comment(self, control_id: str, verdict: Verdict, reason: str | None,
                 backing: list[ControlAssessment]) -> str:
        """The comment for `verdict`, from the template of that verdict: a "No" never carries
        the text written for "implemented"."""
        control = self.kb.controls[control_id]
        status = _STATUS_OF_VERDICT[verdict]
        try:
            text = render_answer(self.kb, self.company, control_id, self.on, status, reason)
        except jinja2.TemplateError:
            # a template needing a fact this profile lacks (`candor kb check` reports it):
            # the statement says what "implemented" means; other verdicts use the defaults
            if verdict != "yes":
                return render_answer(self.kb, self.company, control_id, self.on, status, reason,
                                     default_template=True)
            text = control.statement
        if verdict != "yes":
            return " ".join(text.split())
        evidence = [
            f"{e.title} ({e.id}, {e.type}, collected {e.collected.isoformat()})"
            for a in backing for e in a.valid_evidence
        ]
        if evidence:
            text = _render_plain(
                "{{ text }} Evidence: {{ evidence | join('; ') }}.", text=text,
                evidence=list(dict.fromkeys(evidence))
            )
        statements = " ".join(self.kb.controls[a.control_id].statement for a in backing)
        if unsupported_absolutes(text, statements):
            # an absolute claim the control does not make: fall back to the statement itself
            text = _render_plain("{{ statement }}", statement=control.statement)
        return " ".join(text.split())


_STATUS_OF_VERDICT: dict[Verdict, Status] = {
    "yes": Status.IMPLEMENTED,
    "partial": Status.PARTIAL,
    "no": Status.NOT_IMPLEMENTED,
    "na": Status.NOT_APPLICABLE,
}


_ABSOLUTE = re.compile(
    r"\b(all|always|every|never|100 ?%|24 ?[/x] ?7|guarantee[sd]?|"
    r"fully|completely|entire(ly)?|zero)\b",
    re.IGNORECASE,
)


def unsupported_absolutes(comment: str, statement: str) -> set[str]:
    """Absolute words in `comment` that the control's own statement does not use."""
    allowed = {m.group(0).lower() for m in _ABSOLUTE.finditer(statement)}
    return {m.group(0).lower() for m in _ABSOLUTE.finditer(comment)} - allowed


_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)


def _render_plain(template: str, **context: Any) -> str:
    return _ENV.from_string(template).render(**context)


def _evidence_citations(assessments: list[ControlAssessment]) -> tuple[Citation, ...]:
    seen: dict[str, Citation] = {}
    for assessment in assessments:
        for evidence in assessment.valid_evidence:
            seen.setdefault(evidence.id, Citation("evidence", evidence.id, evidence.title))
    return tuple(seen.values())


def _fit(question: Question, verdict: Verdict | None, text: str) -> str | None:
    if verdict is not None and question.answer_type in ("yes_no", "choice"):
        return fit_verdict(verdict, question.options)
    if question.options and not _fits_options(text, question):
        return None
    return text


def _fits_options(text: str, question: Question) -> bool:
    return not question.options or text.strip().lower() in {o.lower() for o in question.options}


def collect_gaps(
    answered: list[AnsweredQuestion], kb: KnowledgeBase, company: CompanyProfile, on: date
) -> list[Gap]:
    """One gap record per control that kept answers from a "Yes", with those questions."""
    return gaps_of([(item.question.ref, item.gap_control) for item in answered], kb, company, on)


def gaps_of(
    refs: list[tuple[str, str | None]], kb: KnowledgeBase, company: CompanyProfile, on: date
) -> list[Gap]:
    """`collect_gaps` from (question ref, the control keeping it from "Yes" or None) pairs."""
    by_control: dict[str, list[str]] = {}
    for ref, gap_control in refs:
        if gap_control:
            by_control.setdefault(gap_control, []).append(ref)
    gaps = []
    for control_id in sorted(by_control):
        control = kb.controls[control_id]
        state = company.control_states.get(control_id)
        gaps.append(
            Gap(
                control_id,
                control.title,
                assess(company, control_id, on).effective.value,
                state.target_date if state else None,
                tuple(dict.fromkeys(by_control[control_id])),
                {f: list(control.refs(f)) for f in FRAMEWORKS},
            )
        )
    return gaps
