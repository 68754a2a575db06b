"""The answered question's JSON form: lossless for every question, slot, answer and match, and
shared with what `candor answer --json` prints."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.answering import (
    Answer,
    AnsweredQuestion,
    Citation,
    answer_from_dict,
    answer_to_dict,
    answered_from_dict,
    answered_to_dict,
)
from service.answering.engine import AnswerStatus, Basis
from service.answering.stored import from_json, to_json
from service.answering.values import Verdict
from service.controls import Status
from service.ingest import Location, Question
from service.ingest.model import ANSWER_TYPES
from service.matching import Candidate, ControlMatch, QuestionMatch, Understanding

texts = st.text(max_size=40)
maybe_texts = st.none() | texts
small = st.integers(min_value=0, max_value=10_000)
numbers = st.floats(allow_nan=False, allow_infinity=False, width=64)

locations = st.one_of(
    st.builds(Location, kind=st.just("cell"), sheet=texts, cell=texts),
    st.builds(Location, kind=st.just("row"), row=small, column=small),
    st.builds(Location, kind=st.just("table"), table=small, row=small, column=small,
              control=st.none() | st.sampled_from(["checkbox", "content_control", "placeholder"]),
              index=st.none() | small),
    st.builds(Location, kind=st.just("paragraph"), paragraph=small,
              control=st.none() | st.just("checkbox"), index=st.none() | small),
    st.builds(Location, kind=st.just("page"), page=small,
              box=st.none() | st.tuples(numbers, numbers, numbers, numbers)),
)
questions = st.builds(
    Question,
    ref=texts, text=texts, section=texts,
    answer_type=st.sampled_from(ANSWER_TYPES),
    options=st.lists(texts, max_size=4).map(tuple),
    question_location=locations, answer_location=locations,
    comment_location=st.none() | locations,
    existing_answer=maybe_texts, existing_comment=maybe_texts,
    ref_generated=st.booleans(), answer_formula=st.booleans(),
)
answers = st.builds(
    Answer, value=texts, comment=texts, confidence=numbers,
    status=st.sampled_from(get_args(AnswerStatus)), basis=st.sampled_from(get_args(Basis)),
    note=texts,
)
candidates = st.none() | st.builds(Candidate, target=texts, score=numbers)
matches = st.builds(
    QuestionMatch,
    controls=st.lists(st.builds(ControlMatch, control_id=texts, score=numbers),
                      max_size=5).map(tuple),
    confidence=numbers, fact=candidates, library=candidates,
    understanding=st.builds(Understanding,
                            polarity=st.sampled_from(["positive", "negative", "neutral"]),
                            qualifiers=st.lists(texts, max_size=3).map(tuple)),
)
answered_questions = st.builds(
    AnsweredQuestion, question=questions, answer=answers, match=matches,
    citations=st.lists(st.builds(Citation, kind=st.sampled_from(
        ["control", "evidence", "fact", "library"]), id=texts, title=texts),
        max_size=4).map(tuple),
    gap_control=maybe_texts, verdict=st.none() | st.sampled_from(get_args(Verdict)),
)


@settings(max_examples=300)
@given(locations)
def test_a_location_round_trips(location: Location) -> None:
    assert Location.from_dict(json.loads(json.dumps(location.to_dict()))) == location


@settings(max_examples=300)
@given(questions)
def test_a_question_round_trips_with_every_slot(question: Question) -> None:
    again = Question.from_dict(json.loads(json.dumps(question.to_dict())))
    assert again == question
    assert type(again.options) is tuple
    if question.answer_location.box is not None:
        assert type(again.answer_location.box) is tuple


@settings(max_examples=300)
@given(answered_questions)
def test_an_answered_question_round_trips_through_json(item: AnsweredQuestion) -> None:
    data = answered_to_dict(item)
    assert answered_from_dict(json.loads(json.dumps(data))) == item


@given(answers)
def test_the_answer_alone_round_trips(answer: Answer) -> None:
    assert answer_from_dict(json.loads(json.dumps(answer_to_dict(answer)))) == answer


def test_the_review_states_are_answer_statuses() -> None:
    assert {"auto", "needs_review", "edited", "approved"} == set(get_args(AnswerStatus))


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["answer"].update(status="done"), "status"),
    (lambda d: d["answer"].pop("value"), "value is missing"),
    (lambda d: d["match"].update(confidence="high"), "not a number"),
])
def test_data_of_the_wrong_shape_is_refused(change, message: str) -> None:
    item = AnsweredQuestion(
        Question("Q1", "Do you encrypt?", "", "yes_no", ("Yes", "No"),
                 Location("cell", "S", "B2"), Location("cell", "S", "C2")),
        Answer("Yes", "", 0.9, "auto", "control"),
        QuestionMatch((ControlMatch("CRY-01", 0.8),), 0.9, None, None,
                      Understanding("positive", ())),
        (), None, "yes")
    data = answered_to_dict(item)
    change(data)
    with pytest.raises(ValueError, match=message):
        answered_from_dict(data)


def test_an_older_stored_answer_without_a_note_reads_with_an_empty_one() -> None:
    data = answer_to_dict(Answer("No", "", 0.5, "auto", "control", note="x"))
    del data["note"]
    assert answer_from_dict(data).note == ""


def test_the_engines_own_answers_round_trip(tmp_path) -> None:
    """Whatever the engine puts in its answers and matches (fields added since included)
    survives JSON: the sample questionnaire answered as the sample company."""
    from datetime import date

    from service.answering import answer_questionnaire
    from service.controls import SAMPLE_PROFILE, load_company, load_knowledge_base
    from service.ingest import parse
    from service.matching.matcher import Matcher
    from service.settings import KNOWLEDGE_DIR, REPO_ROOT

    kb = load_knowledge_base(KNOWLEDGE_DIR)
    company = load_company(KNOWLEDGE_DIR / SAMPLE_PROFILE, kb)
    matcher = Matcher(kb, company, cache_dir=tmp_path)
    answered = answer_questionnaire(
        parse(REPO_ROOT / "samples" / "northwind_vendor_security_assessment.xlsx"), kb, company,
        matcher, date(2026, 11, 22))
    for item in answered.answers:
        assert answered_from_dict(json.loads(json.dumps(answered_to_dict(item)))) == item


@dataclass(frozen=True)
class _Shapes:
    """Shapes the engine's types may grow: sets, dates, enums, mappings, optional parts."""

    names: frozenset[str]
    when: date
    status: Status
    by_framework: dict[str, tuple[str, ...]]
    pair: tuple[int, float]
    inner: _Shapes | None = None


@given(st.recursive(
    st.builds(_Shapes, names=st.frozensets(texts), when=st.dates(),
              status=st.sampled_from(list(Status)),
              by_framework=st.dictionaries(texts, st.lists(texts).map(tuple), max_size=3),
              pair=st.tuples(small, numbers)),
    lambda inner: st.builds(_Shapes, names=st.frozensets(texts), when=st.dates(),
                            status=st.sampled_from(list(Status)), by_framework=st.just({}),
                            pair=st.tuples(small, numbers), inner=inner),
    max_leaves=3))
def test_sets_dates_enums_and_nesting_round_trip(value: _Shapes) -> None:
    data = json.loads(json.dumps(to_json(value)))
    assert from_json(_Shapes, data) == value
    assert to_json(from_json(_Shapes, data)) == data  # one set, one JSON
