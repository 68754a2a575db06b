"""The shared layout interpreter, on small grids built by hand."""

from __future__ import annotations

from service.ingest.grid import Cell, Grid, GridResult, interpret
from service.ingest.model import Location

YES_NO = ("Yes", "No")


def _at(r: int, c: int) -> Location:
    return Location(kind="table", table=0, row=r, column=c)


def _interpret(
    rows: list[list[str]],
    options: dict[tuple[int, int], tuple[str, ...]] | None = None,
    hidden: frozenset[int] = frozenset(),
) -> GridResult:
    cells = [
        [
            Cell(text, _at(r, c), options=(options or {}).get((r, c), ()), hidden=c in hidden)
            for c, text in enumerate(row)
        ]
        for r, row in enumerate(rows)
    ]
    return interpret(Grid(name="table 0", rows=cells, slot=_at))


# An ID column in use: a short label in it names a question like an ID does


ID_HEADER = ["ID", "Question", "Answer"]
NUMBERED = [
    ["1.1", "Do you encrypt data at rest?", "Yes"],
    ["1.2", "Do you encrypt data in transit?", "Yes"],
    ["1.3", "Is access to production logged?", ""],
]


def test_short_label_in_the_id_column_is_the_ref() -> None:
    result = _interpret([ID_HEADER, *NUMBERED, ["Annex B2", "Do you host other tenants?", ""]])
    last = result.questions[-1]
    assert [q.ref for q in result.questions] == ["1.1", "1.2", "1.3", "Annex B2"]
    assert (last.text, last.ref_generated) == ("Do you host other tenants?", False)


def test_short_label_with_an_answer_is_a_question() -> None:
    result = _interpret(
        [ID_HEADER, *NUMBERED, ["Annex B2", "Additional requirements for hosting", "Yes"]],
        options={(4, 2): YES_NO},
    )
    assert [q.ref for q in result.questions][-1] == "Annex B2"
    assert result.questions[-1].options == YES_NO


def test_long_sentence_in_the_id_column_is_not_a_ref() -> None:
    sentence = "Answer the questions below for every hosting provider you use"
    result = _interpret(
        [
            ID_HEADER,
            *NUMBERED,
            [sentence, "Do you host other tenants?", ""],
            [sentence, "Hosting providers in scope", "Yes"],
        ],
        options={(5, 2): YES_NO},
    )
    asked = result.questions[-1]
    assert len(result.questions) == 4
    assert (asked.text, asked.ref, asked.ref_generated) == ("Do you host other tenants?", "", True)
    assert result.skipped[-1].reason == "instruction"
    assert result.skipped[-1].text == "Hosting providers in scope"


# A header naming questions and comments but no answers


def test_the_one_unnamed_column_between_question_and_comment_is_the_answer() -> None:
    result = _interpret(
        [
            ["Item", "Name, position and date", "Notes"],
            ["Measures approved by:", "Jane Doe, Head of Privacy, 1 March 2024", "Add to plan"],
            ["Residual risks approved by:", "", "Explain any accepted risk"],
        ]
    )
    assert result.has_layout
    approved = result.questions[0]
    assert approved.text == "Measures approved by:"
    assert approved.existing_answer == "Jane Doe, Head of Privacy, 1 March 2024"
    assert approved.answer_location == _at(1, 1)
    assert approved.comment_location == _at(1, 2)


def test_a_hidden_column_between_is_not_a_candidate() -> None:
    result = _interpret(
        [
            ["Item", "Internal", "Signed by", "Notes"],
            ["Measures approved by:", "x", "Jane Doe", ""],
        ],
        hidden=frozenset({1}),
    )
    assert [q.answer_location for q in result.questions] == [_at(1, 2)]


def test_two_unnamed_columns_between_give_no_answer_column() -> None:
    result = _interpret(
        [
            ["Item", "Name", "Date", "Notes"],
            ["Measures approved by:", "Jane Doe", "1 March 2024", "Add to plan"],
        ]
    )
    assert not result.has_layout
    assert result.questions == []


def test_an_empty_column_between_is_left_to_the_reader() -> None:
    # a blank form: the format reader pairs its labels with their fields itself
    result = _interpret(
        [
            ["Item", "Name, position and date", "Notes"],
            ["Measures approved by:", "", "Add to plan"],
        ]
    )
    assert not result.has_layout
