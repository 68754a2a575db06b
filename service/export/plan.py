"""Which text goes into which slot: the decisions every format shares."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from service.answering import Answer, AnsweredQuestionnaire
from service.ingest import Location, Question

Role = Literal["answer", "comment"]
CHOICE_SEPARATOR = "; "  # how ingest joins several ticked options; written back the same way
FORMULA_CELL = "formula cell, not overwritten"
NO_COMMENT_SLOT = "no comment slot"
NEEDS_REVIEW_NO_ANSWER = "needs review, no answer"
NEEDS_REVIEW_NO_MARK = "needs review: no column marked"
MARK = "X"  # what goes in the column of the chosen option of a mark slot


def marked(options: tuple[str, ...], text: str) -> list[bool]:
    """For a mark slot ("Yes | No | N/A" columns): whether the column of each option, the i-th
    from the slot's, gets the mark."""
    chosen = set(text.split(CHOICE_SEPARATOR))
    return [option in chosen for option in options]


@dataclass(frozen=True)
class Write:
    """One slot to fill: `text` already neutralised and, for a choice, spelled as the option."""

    ref: str
    role: Role
    location: Location
    text: str
    options: tuple[str, ...] = ()
    after_label: bool = False  # the slot is the label's own cell: write after the label


@dataclass(frozen=True)
class NotWritten:
    ref: str
    role: Role
    location: str
    reason: str

    def __str__(self) -> str:
        return f"{self.ref} {self.role} at {self.location}: {self.reason}"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula (=, +, -, @, or a leading tab/CR) gets a
    leading apostrophe, so it always reads as text; characters XML cannot hold are dropped."""
    text = _NOT_XML.sub("", text)  # characters no XML part can hold
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def fit_options(value: str, options: tuple[str, ...]) -> str | None:
    """`value` spelled exactly as the slot's option(s), or None when it is not one of them."""
    if not options:
        return value
    by_key = {o.strip().lower(): o for o in options}
    chosen = [by_key.get(part.strip().lower()) for part in value.split(CHOICE_SEPARATOR)]
    if any(c is None for c in chosen):
        return None
    return CHOICE_SEPARATOR.join(c for c in chosen if c is not None)


def plan_writes(answered: AnsweredQuestionnaire) -> tuple[list[Write], list[NotWritten]]:
    """Slots to fill and what stays unwritten with the reason. A needs-review answer without a
    value is left out entirely. An answer's `note` is for the reviewer: never written."""
    return plan_answers([(item.question, item.answer) for item in answered.answers])


def plan_answers(
    answers: Iterable[tuple[Question, Answer]],
) -> tuple[list[Write], list[NotWritten]]:
    """`plan_writes` from each question and its answer (all the plan depends on)."""
    writes: list[Write] = []
    refused: list[NotWritten] = []
    taken: set[Location] = set()

    def place(ref: str, role: Role, location: Location, text: str,
              options: tuple[str, ...] = (), after_label: bool = False) -> None:
        if location in taken:
            refused.append(NotWritten(ref, role, str(location), "slot already written"))
            return
        taken.add(location)
        writes.append(Write(ref, role, location, neutralise(text), options, after_label))

    for question, answer in answers:
        ref, where = question.ref, str(question.answer_location)
        if not answer.value:
            if answer.status == "needs_review":
                refused.append(NotWritten(ref, "answer", where, NEEDS_REVIEW_NO_ANSWER))
            continue
        if question.answer_formula:
            refused.append(NotWritten(ref, "answer", where, FORMULA_CELL))
            continue
        if question.answer_location.control == "mark" and answer.status == "needs_review":
            # a mark is a bare claim: one a person has not confirmed is not made
            refused.append(NotWritten(ref, "answer", where, NEEDS_REVIEW_NO_MARK))
            continue
        value = fit_options(answer.value, question.options)
        if value is None:
            refused.append(NotWritten(ref, "answer", where,
                                      f"{answer.value!r} is not one of the slot's options"))
            continue
        in_prompt_cell = question.answer_location == question.question_location
        place(ref, "answer", question.answer_location, value, question.options, in_prompt_cell)
        if answer.comment and question.comment_location is not None:
            place(ref, "comment", question.comment_location, answer.comment)
        elif answer.comment:
            refused.append(NotWritten(ref, "comment", where, NO_COMMENT_SLOT))
    return writes, refused
