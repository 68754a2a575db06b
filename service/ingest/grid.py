"""Questions out of a grid of cells: the layout logic every tabular format shares.

A format reader (XLSX sheet, CSV file, DOCX table, PDF table) turns its content into a `Grid`;
`interpret` finds the header row(s), decides which column holds IDs, questions, answers and
comments, and classifies each row as a question or a skipped row with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from .model import Location, Question, Skipped
from .text import (
    NA_WORDS,
    infer_answer_type,
    is_choice_word,
    is_end_marker,
    is_placeholder,
    looks_like_id,
    looks_like_question,
    normalise_choice,
    one_line,
    printed_id,
)


@dataclass(frozen=True)
class Cell:
    text: str  # displayed text, cleaned; "" when empty (or covered by a merge)
    location: Location  # where this cell's content goes (a merge's anchor for covered cells)
    options: tuple[str, ...] = ()  # allowed values (dropdown / checkbox labels / choices)
    formula: bool = False  # computed by a formula: readable, never an answer to overwrite
    hidden: bool = False  # in a hidden column


@dataclass
class Grid:
    name: str  # sheet name, "table 3", "page 2": used in messages
    rows: list[list[Cell]]  # rectangular: every row has the same number of cells
    slot: Callable[
        [int, int], Location
    ]  # location of (row index, column index), even past the edge
    section: str = ""  # section in force before the first row (e.g. a DOCX heading)


@dataclass
class GridResult:
    questions: list[Question] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    derived: bool = False  # answers are formulas fed from elsewhere: an analyst/summary view
    has_layout: bool = False  # a question and an answer column were found


AnswerCodes = Mapping[str, tuple[str, ...]]  # answer-type code -> allowed options ("" -> free text)


# Header cells, matched against the whole (normalised) cell text.
_ROLE_PATTERNS: dict[str, re.Pattern[str]] = {
    "answer": re.compile(
        r"^((vendor|supplier|solution provider|provider|your|company|institution|customer|"
        r"respondent|csp|cloud provider|service provider)'?s? )?([a-z]{2,6} (?=answer|response))?"
        r"(answers?|responses?|reply|respuestas?|r[ée]ponses?|antworte?n?|"
        r"risposta|resposta|yes ?/ ?no( ?/ ?n/?a)?|y/n|compliance|compliant\??|"
        r"((implementation|compliance|control|current|assessment) )?status|implemented\??|"
        r"selection|result)( \(.*\))?:?$"
    ),
    "comment": re.compile(
        r"^((vendor|supplier|additional|interview|supporting|other|your) )?(comments?|notes?|"
        r"remarks?|explanation|justification|details|information|evidence|"
        r"comentarios?|observaciones|notas|explicaci[óo]n|commentaires?|kommentare?)"
        r"( \(.*\))?( / .*)?:?$|^additional (information|details|comments)( \(.*\))?$"
        # how the respondent meets it, in their words
        r"|^((vendor|supplier|provider|csp|your) )?(implementation|capability|solution) "
        r"(description|details|statement)( \(.*\))?$|^describe (the |your )?(capability|"
        r"implementation|solution|how)\b.{0,40}$"
    ),
    "question": re.compile(
        r"^((assessment|vendor|[a-z]+ assessment) )?(questions?|question text|requirements?|"
        r"requirement text|controls?|control (description|statement|text)|criteria|item|"
        r"preguntas?|requisitos?|questions?/requirements?|inquiry|query|prompt)( \(.*\))?:?$"
    ),
    "id": re.compile(
        r"^(id|ref|ref[ _.]?id|reference|#|no\.?|nr\.?|num(ber)?|item ?(id|#|no\.?)|"
        r"question ?(id|#|no\.?|number)|control ?(id|#|no\.?)|identifier|identificador|"
        r"c[óo]digo|code|[a-z]{2,12}[ -]id)$"
    ),
    # columns for the requester or analyst: never an answer or comment slot
    "other": re.compile(
        r"^(guidance|analyst notes?|analyst|reviewer|preferred response|weight|score|scoring|"
        r"reason for question|follow-?up.*|instructions?|help|hint|example|notes? for .*|"
        r"compliant override|weight override|default weight|assessor.*|internal use.*)$"
    ),
}
_MIN_HEADER_ROLES = 2
_BULLET = re.compile(r"^\s*[-–•▪◦·*o]\s+\S")  # a sub-item printed as a list entry


@dataclass(frozen=True)
class _Layout:
    header_row: int | None  # index of the header row this layout came from
    id_col: int | None
    question_col: int
    answer_col: int | None
    comment_col: int | None
    excluded: frozenset[int]  # columns named for the requester/analyst
    edge: int  # first column past the table: where answers go when it has no answer column
    marks: tuple[int, ...] = ()  # "Yes | No | N/A" columns: the answer is a mark in one of them
    mark_options: tuple[str, ...] = ()  # their headings, the options


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip().lower().rstrip(":")


def header_roles(row: list[Cell]) -> dict[str, int]:
    """Role -> column for a row that reads as a header, else {}."""
    roles: dict[str, int] = {}
    other: list[int] = []
    # a role named twice ("ID | MSTG-ID", "Evidence | Notes"): which column plays it is read
    # later, from the data
    more: dict[str, list[int]] = {"id": [], "comment": []}
    filled = 0
    marks = _mark_columns(row)
    for col, cell in enumerate(row):
        if not cell.text:
            continue
        filled += 1
        if len(cell.text) > 60:
            return {}
        if col in marks:
            continue
        label = _norm(cell.text)
        for role, pattern in _ROLE_PATTERNS.items():
            if pattern.match(label):
                if role == "other":
                    other.append(col)
                elif role in more and role in roles:
                    more[role].append(col)
                else:
                    roles.setdefault(role, col)
                break
    named = len(roles) + len(other) + len(more["comment"])
    title_and_answer = "answer" in roles and filled <= 2
    # what makes it a questionnaire's header: a question or answer column, two columns for the
    # respondent's remarks ("Evidence | Notes"), or answer headings to mark ("Yes | No | N/A")
    # alone or beside other named columns (a row of questions may also read "Yes", "No")
    responses = {"answer", "question"} & roles.keys() or more["comment"]
    if marks and (named or filled == len(marks)):
        roles.update({f"mark{i}": col for i, col in enumerate(marks)})
    elif not title_and_answer and (named < _MIN_HEADER_ROLES or not responses):
        return {}
    roles.update({f"other{i}": col for i, col in enumerate(other)})
    for role, columns in more.items():
        roles.update({f"{role}{i}": col for i, col in enumerate(columns, start=1)})
    return roles


def _mark_columns(row: list[Cell]) -> list[int]:
    """The longest run (two or more) of adjacent cells headed by answers ("Yes | No | N/A",
    "Compliant | Partially compliant | Not compliant")."""
    best: list[int] = []
    run: list[int] = []
    for col, cell in enumerate(row):
        if cell.text and len(cell.text) <= 30 and is_choice_word(cell.text):
            run.append(col)
            if len(run) > len(best):
                best = list(run)
        else:
            run = []
    return best if len(best) >= 2 else []


def _marks(roles: dict[str, int]) -> list[int]:
    return sorted(col for role, col in roles.items() if role.startswith("mark"))


def _with_subheaders(headers: dict[int, dict[str, int]]) -> dict[int, dict[str, int]]:
    """A header row of answer headings under a header naming the other columns ("Question |
    Response | Comments" over " | Yes | No | N/A | "): one header of both rows, the headings
    replacing the umbrella they stand under."""
    merged = dict(headers)
    for r in sorted(headers):
        above = merged.get(r - 1)
        marks = _marks(headers[r])
        if above is None or not marks or _marks(above):
            continue
        roles = {**above, **headers[r]}
        if roles.get("answer") in marks or (
            "answer" in roles and marks[0] <= roles["answer"] <= marks[-1]
        ):
            del roles["answer"]
        merged[r - 1] = merged[r] = roles
    return merged


def interpret(grid: Grid, answer_codes: AnswerCodes | None = None) -> GridResult:
    """Classify every row of `grid` as a question or a skipped row."""
    rows = grid.rows
    result = GridResult()
    if not rows:
        return result
    headers = _with_subheaders(
        {r: roles for r, row in enumerate(rows) if (roles := header_roles(row))}
    )
    layouts = _layouts(rows, headers)
    if not layouts:
        return result
    result.has_layout = any(layout.answer_col is not None for _, layout in layouts)
    codes = answer_codes if answer_codes and _code_column(rows, layouts, answer_codes) else None
    uses_ids = _uses_ids(rows, layouts)
    section = grid.section
    previous: Question | None = None
    formula_answers = 0
    asked: dict[_Layout, list[list[Cell]]] = {}  # the rows of each layout's questions
    for r, row in enumerate(rows):
        layout = _layout_at(layouts, r)
        if r in headers:
            title = _header_title(row, headers[r])
            if title:
                section = title
            result.skipped.append(Skipped(row[0].location, "header_row", _row_text(row)))
            previous = None
            continue
        texts = [c.text for c in row]
        markers = [c for c in range(len(row)) if texts[c] and is_end_marker(texts[c])]
        for c in markers:
            texts[c] = ""
        question_text = texts[layout.question_col]
        ref = printed_id(texts[layout.id_col]) if layout.id_col is not None else ""
        if (
            ref
            and not looks_like_id(ref)
            and not (uses_ids and _labels_question(row, texts, layout))
        ):
            ref = ""
        if not question_text:
            filled = [t for t in texts if t]
            if not filled:
                if markers:
                    result.skipped.append(
                        Skipped(row[markers[0]].location, "end_marker", row[markers[0]].text)
                    )
                if ref:
                    result.skipped.append(Skipped(row[0].location, "blank", ref))
                continue
            # IDs and level numbers beside a title ("1 | Anexo-1 | GENERAL") are not the title
            words_only = [t for t in filled if not looks_like_id(t)] or filled
            title = max(words_only, key=len)
            kind = _non_question_kind(title, len(words_only))
            if kind == "section_header":
                section = one_line(title)
            result.skipped.append(
                Skipped(row[texts.index(title)].location, kind, one_line(" | ".join(filled)))
            )
            previous = None
            continue
        above_header = layout.header_row is not None and r < layout.header_row
        if not ref and previous is not None and _BULLET.match(question_text) and \
                _only_question_text(texts, layout):
            # "- including a deputy" under a requirement: one of its sub-items
            merged = replace(previous, text=f"{previous.text} {one_line(question_text)}")
            result.questions[-1] = merged
            previous = merged
            continue
        if not ref and not _is_question_row(row, texts, layout, uses_ids, above_header):
            if uses_ids and previous is not None and _only_question_text(texts, layout) and \
                    not _starts_section(previous, question_text):
                # the second line of a question that spans two rows
                merged = replace(previous, text=f"{previous.text} {one_line(question_text)}")
                result.questions[-1] = merged
                previous = merged
                continue
            kind = _non_question_kind(question_text, sum(1 for t in texts if t))
            if kind == "section_header":
                section = one_line(question_text)
            result.skipped.append(
                Skipped(row[layout.question_col].location, kind, one_line(question_text))
            )
            previous = None
            continue
        if ref and _is_title(question_text) and \
                not (layout.answer_col is not None and texts[layout.answer_col]) and \
                _extends(_next_ref(rows, layouts, r), ref):
            # "3.1 | Access Control" over "3.1.1 | Limit system access …": a family's title
            section = one_line(question_text)
            result.skipped.append(
                Skipped(row[layout.question_col].location, "section_header", section)
            )
            previous = None
            continue
        question, notes = _question(grid, r, row, layout, ref, section, codes)
        formula_answers += row[layout.answer_col].formula if layout.answer_col is not None else 0
        result.questions.append(question)
        result.skipped.extend(notes)
        asked.setdefault(layout, []).append(row)
        previous = question
    result.derived = len(result.questions) >= 3 and formula_answers > len(result.questions) / 2
    _set_aside_template_defaults(result)
    for layout, question_rows in asked.items():
        result.skipped.extend(_other_response_columns(rows, layout, question_rows))
    return result


def _other_response_columns(
    rows: list[list[Cell]], layout: _Layout, question_rows: list[list[Cell]]
) -> list[Skipped]:
    """Columns beside the answer that also offer the respondent a list on most question rows
    (an ownership or applicability dropdown): reported, as nothing is written there."""
    if layout.header_row is None:
        return []
    taken = {layout.id_col, layout.question_col, layout.answer_col, layout.comment_col,
             *layout.marks, *layout.excluded}
    header = rows[layout.header_row]
    return [
        Skipped(header[c].location, "other_response_column", one_line(header[c].text))
        for c in range(len(header))
        if c not in taken and header[c].text
        and 2 * sum(1 for row in question_rows if row[c].options) > len(question_rows)
    ]


def _set_aside_template_defaults(result: GridResult) -> None:
    """A template that ships "N/A" in answer cells (for optional requirements, say) has not
    answered: when every answer given on the grid is the same N/A and no comment is written,
    those are the template's defaults, reported and read as unanswered."""
    answered = [q for q in result.questions if q.existing_answer]
    values = {normalise_choice(q.existing_answer or "") for q in answered}
    if len(answered) < 3 or len(values) != 1 or not values <= NA_WORDS or \
            any(q.existing_comment for q in result.questions):
        return
    result.skipped.extend(Skipped(q.answer_location, "template_default", q.existing_answer or "")
                          for q in answered)
    result.questions = [replace(q, existing_answer=None) if q.existing_answer else q
                        for q in result.questions]


def _layouts(
    rows: list[list[Cell]], headers: dict[int, dict[str, int]]
) -> list[tuple[int, _Layout]]:
    """Column roles per stretch of rows: the first header's layout also covers the rows above it
    (contact fields often come first); a later header with other roles starts a new stretch."""
    if not headers:
        layout = _infer_layout(rows, None, {}, range(len(rows)))
        return [(0, layout)] if layout else []
    starts: list[int] = []
    for h in sorted(headers):
        if not starts or headers[h] != headers[starts[-1]]:
            starts.append(h)
    layouts: list[tuple[int, _Layout]] = []
    for i, h in enumerate(starts):
        begin = 0 if i == 0 else h
        end = starts[i + 1] if i + 1 < len(starts) else len(rows)
        layout = _infer_layout(rows, h, headers[h], range(begin, end))
        if layout:
            layouts.append((begin, layout))
    return layouts


def _layout_at(layouts: list[tuple[int, _Layout]], r: int) -> _Layout:
    current = layouts[0][1]
    for start, layout in layouts:
        if start <= r:
            current = layout
    return current


def _infer_layout(
    rows: list[list[Cell]], header_row: int | None, roles: dict[str, int], scope: range
) -> _Layout | None:
    """Column roles: named by the header where it names them, otherwise read off the data.

    IDs and questions are looked for over the whole grid (sections share them); the answer
    column without a header is the dropdown column right of the questions.
    """
    width = len(rows[0])
    excluded = frozenset(col for role, col in roles.items() if role.startswith("other"))
    hidden = {c for c in range(width) if all(row[c].hidden for row in rows)}
    body = [row for r, row in enumerate(rows) if r != header_row]
    named = set(roles.values())
    id_col = roles.get("id")
    if id_col is None:
        id_col = _best_column(body, looks_like_id, min_share=0.3, min_count=3, skip=named)
    elif "id1" in roles:
        id_col = _printed_id_column(body, [col for role, col in roles.items() if
                                           role.startswith("id")])
    comment_col = roles.get("comment")
    if comment_col is not None and comment_col in hidden:
        comment_col = None
    marks = tuple(_marks(roles))
    if any(row[c].location.control for row in body for c in marks):
        marks = ()  # checkboxes under the headings: a choice of boxes, read as such
    answer_col = marks[0] if marks else roles.get("answer")
    if answer_col is None and "question" in roles and comment_col is not None:
        data = [rows[r] for r in scope if r != header_row]
        answer_col = _column_between(
            data, roles["question"], comment_col, named | hidden | {id_col}
        )
    limit = answer_col if answer_col is not None else width
    skip = set(range(limit, width)) | {id_col} | named | hidden
    inferred = _best_column(
        body, _question_score, min_share=0.0, min_count=1, skip=skip, weigh=True
    )
    question_col = roles.get("question")
    if question_col is None or (
        inferred is not None
        and _column_score(body, question_col) < _column_score(body, inferred) / 2
    ):
        question_col = inferred  # the header named a section title, not the question column
    if question_col is None:
        return None
    if answer_col is None:
        answer_col = _column_with_options([rows[r] for r in scope], question_col, excluded | hidden)
    if answer_col is None and comment_col is not None and not any(
        c not in named | hidden | {id_col} for c in range(question_col + 1, comment_col)
    ):
        # the only response columns are for remarks ("Comments / Notes", or "Evidence |
        # Notes"), right of the questions: the first takes the answer, the next the comment
        answer_col, comment_col = comment_col, roles.get("comment1")
    if header_row is None and answer_col is None and not _mostly_questions(body, question_col):
        return None  # a table of names or descriptions, not a questionnaire
    return _Layout(
        header_row, id_col, question_col, answer_col, comment_col, excluded,
        _edge(rows, header_row), marks, _mark_options(rows, header_row, marks),
    )


def _mark_options(rows: list[list[Cell]], header_row: int | None, marks: tuple[int, ...]
                  ) -> tuple[str, ...]:
    """The headings of the mark columns, from the header row or the one under it."""
    if not marks or header_row is None:
        return ()
    for r in (header_row, header_row + 1):
        if r < len(rows) and all(is_choice_word(rows[r][c].text) for c in marks if rows[r][c].text):
            texts = tuple(one_line(rows[r][c].text) for c in marks)
            if all(texts):
                return texts
    return ()


def _column_between(
    body: list[list[Cell]], question_col: int, comment_col: int, skip: set[int | None]
) -> int | None:
    """A header naming questions and comments but not answers ("Item | Signed by | Notes")
    leaves the answer to the one unnamed column between them; with several, none is sure.
    An empty one stays unclaimed: without a layout, a reader pairs a blank form's fields
    itself, which an empty answer column would prevent."""
    between = [c for c in range(question_col + 1, comment_col) if c not in skip]
    if len(between) != 1:
        return None
    col = between[0]
    return col if any(row[col].text or row[col].options for row in body) else None


def _edge(rows: list[list[Cell]], header_row: int | None) -> int:
    """The column after the header's last named column (after the data without a header):
    answers written there must not move the edge when the filled file is read again."""
    if header_row is not None:
        named = [c for c, cell in enumerate(rows[header_row]) if cell.text]
        if named:
            return named[-1] + 1
    return len(rows[0])


def _printed_id_column(body: list[list[Cell]], columns: list[int]) -> int:
    """Of several columns named as IDs, the one that identifies the rows: its IDs unique,
    codes ("MSTG-ARCH-1") rather than outline numbers ("1.1", the same on every sheet), and on
    every row rather than on a group's first ("Control ID | Question ID")."""

    def rank(col: int) -> tuple[bool, float, int]:
        ids = [printed_id(row[col].text) for row in body if looks_like_id(row[col].text)]
        if not ids:
            return False, 0.0, 0
        coded = sum(1 for i in ids if any(ch.isalpha() for ch in i))
        return len(set(ids)) >= 0.95 * len(ids), round(coded / len(ids), 1), len(ids)

    return max(columns, key=rank)  # the first named wins a tie


def _mostly_questions(body: list[list[Cell]], col: int) -> bool:
    texts = [row[col].text for row in body if row[col].text]
    return bool(texts) and sum(looks_like_question(t) for t in texts) >= len(texts) / 2


def _question_score(text: str) -> float:
    if looks_like_question(text):
        return 2.0
    return 1.0 if len(text) > 25 else 0.0


def _column_score(body: list[list[Cell]], col: int) -> float:
    return sum(_question_score(row[col].text) for row in body if row[col].text)


def _best_column(
    body: list[list[Cell]],
    score: Callable[[str], float | bool],
    *,
    min_share: float,
    min_count: int,
    skip: set[int | None],
    weigh: bool = False,
) -> int | None:
    best: tuple[float, int] | None = None
    width = len(body[0]) if body else 0
    for col in range(width):
        if col in skip:
            continue
        filled = [row[col].text for row in body if row[col].text]
        if len(filled) < min_count:
            continue
        total = sum(float(score(t)) for t in filled)
        hits = sum(1 for t in filled if score(t))
        if hits < min_count or hits / len(filled) < min_share:
            continue
        key = total if weigh else hits
        if best is None or key > best[0]:
            best = (key, col)
    return best[1] if best else None


def _column_with_options(
    body: list[list[Cell]], question_col: int, skip: set[int] | frozenset[int]
) -> int | None:
    """Without an answer header, the dropdown column right of the questions is the answer."""
    width = len(body[0]) if body else 0
    asked = [row for row in body if row[question_col].text]
    for col in range(question_col + 1, width):
        if col in skip:
            continue
        with_options = sum(1 for row in asked if row[col].options)
        if asked and with_options >= max(2, len(asked) // 4):
            return col
    return None


def _code_column(
    rows: list[list[Cell]], layouts: list[tuple[int, _Layout]], answer_codes: AnswerCodes
) -> bool:
    """True when the 'answer' column holds answer-type codes defined on a lookup sheet."""
    if not answer_codes:
        return False
    values = [
        row[layout.answer_col].text
        for start, layout in layouts
        for row in rows[start:]
        if layout.answer_col is not None and row[layout.answer_col].text
    ]
    return bool(values) and sum(v in answer_codes for v in values) >= 0.8 * len(values)


def _uses_ids(rows: list[list[Cell]], layouts: list[tuple[int, _Layout]]) -> bool:
    with_text = with_id = 0
    for r, row in enumerate(rows):
        layout = _layout_at(layouts, r)
        if row[layout.question_col].text:
            with_text += 1
            if layout.id_col is not None and looks_like_id(row[layout.id_col].text):
                with_id += 1
    return with_text > 0 and with_id >= max(2, with_text // 3)


def _is_question_row(
    row: list[Cell], texts: list[str], layout: _Layout, uses_ids: bool, above_header: bool
) -> bool:
    text = texts[layout.question_col]
    if looks_like_question(text):
        return True  # even in a grid of IDs, a question the author forgot to number
    if uses_ids:
        return False
    if layout.answer_col is None or (above_header and not texts[layout.answer_col]):
        return False  # a title over the table, whatever validation runs down its column
    answer = row[layout.answer_col]
    if answer.options or (texts[layout.answer_col] and len(text) <= 200):
        return True
    if any(texts[c] for c in layout.marks):
        return True
    # a requirement written as a statement ("Limit system access to authorized users.")
    # beside an empty cell of a column the header names for answers; under answer headings to
    # mark, any item with cells of its own ("Customer-managed keys | ☐ | ☐")
    named = layout.header_row is not None
    own_slot = answer.location != row[layout.question_col].location
    return named and own_slot and (_is_statement(text) or bool(layout.marks))


def _is_statement(text: str) -> bool:
    """A sentence, not a title: ends with a full stop, or runs longer than a title does."""
    line = one_line(text)
    return len(line) <= 1000 and ((line.endswith(".") and len(line.split()) >= 4) or
                                  len(line.split()) > 12)


def _labels_question(row: list[Cell], texts: list[str], layout: _Layout) -> bool:
    """A short numbered label in the ID column ("Annex B2") stands in for the ID of a row that
    asks something or offers an answer; a long one is an instruction."""
    label = texts[layout.id_col] if layout.id_col is not None else ""
    # the digit tells a label from a column title ("Requirement") over the IDs
    if len(label) > 24 or len(label.split()) > 3 or not any(ch.isdigit() for ch in label):
        return False
    if looks_like_question(texts[layout.question_col]):
        return True
    if layout.answer_col is None:
        return False
    return bool(row[layout.answer_col].options or texts[layout.answer_col])


def _only_question_text(texts: list[str], layout: _Layout) -> bool:
    return all(
        not t
        for c, t in enumerate(texts)
        if c not in (layout.question_col, layout.id_col) and c not in layout.excluded
    )


def _next_ref(rows: list[list[Cell]], layouts: list[tuple[int, _Layout]], r: int) -> str:
    """The printed ID of the next row that has one (within a few rows), or ""."""
    for following in range(r + 1, min(r + 6, len(rows))):
        id_col = _layout_at(layouts, following).id_col
        if id_col is not None and looks_like_id(rows[following][id_col].text):
            return printed_id(rows[following][id_col].text)
    return ""


def _is_title(text: str) -> bool:
    return not looks_like_question(text) and _non_question_kind(text, 1) == "section_header"


def _extends(following: str, ref: str) -> bool:
    """The next ID is numbered under this one ("3.1" over "3.1.1", "AC" over "AC-1"): with a
    title, the row heads a family."""
    return following.startswith(ref) and following[len(ref):len(ref) + 1] in (".", "-", "_", " ")


def _starts_section(previous: Question, text: str) -> bool:
    """A title under a requirement that ended its sentence ("… via dynamic analysis." then
    "Device Binding") heads the rows below rather than continuing the one above."""
    return previous.text.endswith(".") and _non_question_kind(text, 1) == "section_header"


def _non_question_kind(text: str, filled_cells: int) -> str:
    line = one_line(text)
    if looks_like_id(line.split(" ")[0]):
        return "instruction"  # "GNRL-01 through GNRL-08; populated by …"
    if (
        filled_cells <= 2
        and len(line) <= 80
        and len(line.split()) <= 10
        and not line.endswith((".", ":", ";"))
        and any(ch.isalpha() for ch in line)
        and not re.fullmatch(r"[A-Z]{1,3}", line)
    ):
        return "section_header"
    return "instruction"


def _header_title(row: list[Cell], roles: dict[str, int]) -> str:
    """A header row that also carries one free cell is titled by it ("Qualifiers | Answer")."""
    named = set(roles.values())
    free = [cell.text for col, cell in enumerate(row) if cell.text and col not in named]
    return one_line(free[0]) if len(free) == 1 else ""


def _row_text(row: list[Cell]) -> str:
    return one_line(" | ".join(c.text for c in row if c.text))


def _question(
    grid: Grid,
    r: int,
    row: list[Cell],
    layout: _Layout,
    ref: str,
    section: str,
    codes: AnswerCodes | None,
) -> tuple[Question, list[Skipped]]:
    text = one_line(row[layout.question_col].text)
    notes: list[Skipped] = []
    options: tuple[str, ...] = ()
    existing = None
    if layout.answer_col is None or codes is not None:
        # no answer column (or it holds answer-type codes): answers go past the grid's edge
        if codes is not None and layout.answer_col is not None:
            options = codes.get(row[layout.answer_col].text, ())
        answer_location = grid.slot(r, layout.edge)
        answer_formula = False
        if layout.edge < len(row) and row[layout.edge].text:
            existing = row[layout.edge].text  # written there before, by a person or by Candor
    elif layout.marks:
        # option i is marked in the i-th column from the slot's
        answer_location = replace(row[layout.marks[0]].location, control="mark")
        answer_formula = False
        options = layout.mark_options
        marked = [o for o, c in zip(options, layout.marks, strict=True) if row[c].text]
        existing = "; ".join(marked) or None
    else:
        answer = row[layout.answer_col]
        answer_location = answer.location
        answer_formula = answer.formula
        options = answer.options
        if answer.text and is_placeholder(answer.text, text):
            notes.append(Skipped(answer.location, "placeholder", answer.text))
        elif answer.text:
            existing = answer.text
    comment_location = None
    existing_comment = None
    if layout.comment_col is not None and codes is None:
        comment = row[layout.comment_col]
        # a merge that runs from the answer over the comment column leaves no comment slot
        comment_location = comment.location if comment.location != answer_location else None
        if comment_location and comment.text and not is_placeholder(comment.text, text):
            existing_comment = comment.text
    question = Question(
        ref=ref,
        text=text,
        section=section,
        answer_type=infer_answer_type(text, options),
        options=options,
        question_location=row[layout.question_col].location,
        answer_location=answer_location,
        comment_location=comment_location,
        existing_answer=existing,
        existing_comment=existing_comment,
        ref_generated=not ref,
        answer_formula=answer_formula,
    )
    return question, notes
