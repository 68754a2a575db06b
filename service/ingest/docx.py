"""Word questionnaires: questions and their answer slots in a .docx.

The XML is read directly (python-docx cannot see legacy form fields or content controls, and a
.docm or .dotx would not even open in it): docx_model.py turns the body into paragraphs and
tables with their form controls, numbered as slots are located; here their layout is read.

A question whose answer_location equals its question_location is answered inside the prompt's
own cell, after the prompt ("Summary of advice:" over an empty area).

A filled form (exported by us or answered by a vendor) reads with the same questions at the same
locations as its blank: slots are found by their shape (a prompt row over a one-cell row, a
label beside a value column, a header over one row of values), not only by their emptiness,
and what is written in them becomes existing_answer / existing_comment (template hints and
choice hints still read as no answer).
"""

from __future__ import annotations

import itertools
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from lxml import etree

from .docx_model import Group, Item, Paragraph, Table, TableCell, label_text, read_body
from .grid import Cell, Grid, interpret
from .model import IngestError, Location, Question, Questionnaire, Skipped
from .source import Limits
from .text import (
    COMMENT_LABEL,
    clean,
    infer_answer_type,
    is_placeholder,
    looks_like_id,
    looks_like_question,
    one_line,
    split_choices,
)

_BRACKETED = re.compile(r"^\s*(<[^<>]{1,80}>|\[[^\[\]]{1,80}\]|\{[^{}]{1,80}\})\s*$")
_CAPTION_LABEL = re.compile(r"^(table|figure|exhibit)\s*[\dA-Z]*(\s*[-–.]\s*\d+)*\s*[.:\-–]?\s*",
                            re.IGNORECASE)
# A printed reference leading a title or prompt: "AC-2 (1)", "Q12:", "1.2.", "A.1)".
_LEADING_REF = re.compile(r"^\s*(?P<ref>(?:\d+(?:\.\d+)*|[A-Za-z]{1,8}(?:[-.][A-Za-z]{1,4})?"
                          r"[-. ]?\d+(?:\.\d+)*[a-z]?)(?:\s?\(\d{1,3}\))*)[.):]?(?=\s|$)\s*")
# A box of guidance for the respondent, not a place to answer.
_GUIDANCE = re.compile(r"^\s*(instructions?|guidance|notes?|example|e\.g\.|tips?|hint)\s*[:.\-–]",
                       re.IGNORECASE)
# A line asking to pick from what follows: "Check one.", "Select all that apply:".
_CHOOSE = re.compile(r"^(please )?(check|tick|select|choose|mark)\b.{0,40}\b(one|all|apply|"
                     r"following|below)\b[^.?:]{0,20}[.:]?$", re.IGNORECASE)
_HINT_STOPWORDS = {"of", "the", "and", "a", "an", "to", "for", "in", "on", "by", "with", "here",
                   "enter", "type", "your", "name", "date", "click", "tap", "text", "insert"}


# ---------------------------------------------------------------------------------------------
# Fields found in tables and paragraphs, before they become questions


@dataclass
class _Field:
    text: str
    question_location: Location
    answer_location: Location
    section: str
    options: tuple[str, ...] = ()
    existing: str | None = None
    ref: str = ""
    comment_location: Location | None = None
    existing_comment: str | None = None

    def question(self) -> Question:
        text = one_line(self.text).rstrip(" :")
        return Question(
            ref=self.ref,
            text=text,
            section=self.section,
            answer_type=infer_answer_type(text, self.options),
            options=self.options,
            question_location=self.question_location,
            answer_location=self.answer_location,
            comment_location=self.comment_location,
            existing_answer=self.existing,
            existing_comment=self.existing_comment,
            ref_generated=not self.ref,
        )


def _leading_ref(text: str) -> tuple[str, str]:
    """('AC-2 (1)', 'What is ...') for 'AC-2 (1) What is ...'; ('', text) without a printed ID."""
    found = _LEADING_REF.match(text)
    if not found:
        return "", text
    ref = found.group("ref")
    base = ref.split("(")[0].strip()
    if not looks_like_id(base) or not any(ch.isdigit() for ch in base):
        return "", text
    return ref, text[found.end():]


def _choice_hint(text: str, where: Literal["slot", "label", "header"] = "slot"
                 ) -> tuple[str, ...]:
    """Options spelled out instead of an answer: 'Low, medium or high', 'Yes/No', and in an
    answer slot also bare words ('Low medium high'). Where a label could stand, only listed
    options count; a column header must say 'or' or list yes/no words."""
    line = one_line(text)
    if not line or len(line) > 60 or line.endswith("."):
        return ()
    parts = split_choices(re.sub(r"\s+or\s+", ",", line, flags=re.IGNORECASE))
    if len(parts) < 2 and where == "slot":
        words = line.split()
        # lower case after the first word, so not a name ("Acme Corp") or a label ("Part c")
        if 3 <= len(words) <= 5 and all(w.isalpha() and len(w) > 2 for w in words) and \
                all(w.islower() and w not in _HINT_STOPWORDS for w in words[1:]):
            parts = tuple(words)
    if len(parts) < 2 or any(len(p) > 30 or len(p.split()) > (2 if where == "header" else 3) or
                             not any(ch.isalpha() for ch in p) or p.count("(") != p.count(")")
                             for p in parts):
        return ()
    if where == "header" and not re.search(r"\bor\b", line, re.IGNORECASE) and \
            infer_answer_type("", parts) != "yes_no":
        return ()
    return parts


def _is_hint(text: str, prompt: str) -> bool:
    """Text in an answer slot that tells what to write instead of answering (a label that
    asks, ending in ':' or '?', is never one)."""
    if text.rstrip().endswith((":", "?")):
        return False
    return is_placeholder(text, prompt) or bool(_BRACKETED.match(text)) or \
        bool(_choice_hint(text))


@dataclass
class _Reading:
    """What one table (or one ID-titled block of tables) yields."""

    fields: list[_Field] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)  # from grid.interpret


@dataclass(frozen=True)
class _Prompt:
    text: str
    location: Location


class _TableReader:
    """Reads the rows of a table that is not a question grid with a header: prompt rows over
    answer rows, label | value rows, header rows over a single answer row, checkbox lists and
    checkbox matrices, in-cell prompts, section rows."""

    def __init__(self, table: Table, section: str, caption: str,
                 lead: _Prompt | None = None) -> None:
        self.table = table
        self.section = section
        self.caption = caption
        self.lead = lead  # the paragraph above the table that asks to choose ("Check one.")
        self.reading = _Reading()
        self.paired: int | None = None  # the answer row of the last prompt paired with one
        self.headers: dict[int, TableCell] = {}  # column -> header cell in force
        self.value_columns = _value_columns(table)
        self.title: _Prompt | None = None  # a one-cell row directly above the current row
        self.first = 0  # the first row read: where a header row may stand, or under a title

    def read(self, start: int = 0, prompt: _Prompt | None = None) -> _Reading:
        rows = self.table.rows
        r = start
        if prompt is not None and r < len(rows) and \
                (self._is_answer_row(r) or self._is_filled_answer_row(r, prompt.text)):
            self._pair(prompt, r)
            r += 1
        elif prompt is not None:
            self.title = prompt
        self.first = r
        while r < len(rows):
            r = self._row(r)
        return self.reading

    # -- one row; returns the next row to read
    def _row(self, r: int) -> int:
        anchors = self.table.anchors(r)
        title = self.title
        self.title = None
        filled = [a for a in anchors if not a.content.empty]
        if not filled:
            return r + 1
        if len(filled) == 1 and filled[0].text and not filled[0].content.groups and \
                all(a.column not in self.value_columns for a in anchors if a is not filled[0]):
            return self._title_row(r, filled[0])
        if self._is_data_table(r, anchors):
            # a header over rows to add entries to (an inventory, a contact list): no questions
            self.reading.skipped.append(Skipped(anchors[0].location, "data_table",
                                                one_line(" | ".join(a.text for a in anchors))))
            return len(self.table.rows)
        if (r == self.first or title is not None) and self._is_header_row(r, anchors):
            return self._header_row(r, anchors)
        if any(g.control == "checkbox" for a in anchors for g in a.content.groups):
            return self._checkbox_row(r, anchors, title)
        self._label_value_row(anchors)
        return r + 1

    def _title_row(self, r: int, cell: TableCell) -> int:
        text = one_line(cell.text)
        if _only_placeholders(text):
            self.reading.skipped.append(Skipped(cell.location, "placeholder", text))
            return r + 1
        if r + 1 < len(self.table.rows) and \
                (self._is_answer_row(r + 1) or self._is_filled_answer_row(r + 1, text)):
            self._pair(_Prompt(text, cell.location), r + 1)
            return r + 2
        fields = self.reading.fields
        label, written = _label_and_answer(cell.text)
        if COMMENT_LABEL.match(label) and fields and fields[-1].comment_location is None:
            # "Comments:" under the question above
            fields[-1].comment_location = cell.location
            fields[-1].existing_comment = written
        elif label.endswith(":") or (looks_like_question(text) and r + 1 == len(self.table.rows)):
            # "Summary of advice:" over room to write in the same cell (or written there)
            self.reading.fields.append(_Field(label, cell.location, cell.location, self.section,
                                              existing=written))
        else:
            kind = "section_header" if _is_section_title(text) else "instruction"
            if kind == "section_header":
                self.section = text
            self.title = _Prompt(text, cell.location)
            self.reading.skipped.append(Skipped(cell.location, kind, text))
        return r + 1

    def _is_answer_row(self, r: int) -> bool:
        """Empty cells, bare controls or hints: the row answers the prompt row above. (A hint
        here must read as one on its own: repeating the prompt's words is not enough.)"""
        anchors = self.table.anchors(r)
        if not anchors or self._has_label_value(anchors):
            return False
        return all(not a.content.prompted and (not a.text or _is_hint(a.text, ""))
                   for a in anchors)

    def _is_filled_answer_row(self, r: int, prompt: str) -> bool:
        """One cell of written text under a prompt that asks for it: the answer row of a
        filled form (the blank form leaves it empty, see _is_answer_row)."""
        anchors = self.table.anchors(r)
        if len(anchors) != 1 or not (looks_like_question(prompt) or
                                     prompt.rstrip().endswith((":", "?"))):
            return False
        content = anchors[0].content
        return bool(content.text) and not content.groups and not content.holds_table and \
            not _asks(content.text)

    def _is_filled_record(self, r: int) -> bool:
        """A header row over the table's last row of written values, one under each column
        name: a filled record form. Column names that ask for something, or values that are
        not sentences, tell it from a reference table with one row."""
        rows = self.table.rows
        if r + 2 != len(rows):
            return False
        header, below = self.table.anchors(r), self.table.anchors(r + 1)
        if len(header) < 2 or [a.column for a in header] != [a.column for a in below]:
            return False
        if any(a.content.prompted or a.content.holds_table or _asks(a.text) for a in below):
            return False
        if self._has_label_value(below) or self._is_filled_pair(header):
            return False  # label | value rows, the first one filled in
        if not any(a.text for a in below):
            return False
        asking = any(looks_like_question(one_line(a.text)) for a in header)
        return asking or not any(_is_sentence(a.text) for a in below if a.text)

    def _is_filled_pair(self, anchors: list[TableCell]) -> bool:
        """A label next to a value already written in a value column ("Name | Jane Doe"): a
        row of a filled form, not column names."""
        return any(_is_label(left) and cell.column in self.value_columns and cell.text and
                   not cell.content.groups and not _is_hint(cell.text, left.text)
                   for left, cell in itertools.pairwise(anchors))

    def _has_label_value(self, anchors: list[TableCell]) -> bool:
        """A label next to an empty answer cell ("Street Address | "): a row of questions."""
        return any(_is_label(left) and cell.column in self.value_columns and
                   (cell.content.empty or (cell.content.groups and not cell.content.prompted))
                   for left, cell in itertools.pairwise(anchors))

    def _pair(self, prompt: _Prompt, r: int) -> None:
        """A prompt row over an answer row: the answer goes in the first cell below."""
        answer = self.table.anchors(r)[0]
        self._slot_field(prompt.text, prompt.location, answer, "")
        self.paired = r

    def _is_header_row(self, r: int, anchors: list[TableCell]) -> bool:
        """Column names over rows with slots; a sentence over a value column is an answer
        already given ("Part a | See section 11."), not a column name."""
        if len(anchors) < 2 or any(not a.text or a.content.groups for a in anchors):
            return False
        if r + 1 >= len(self.table.rows):
            return False
        if self._is_answer_row(r + 1) or self._is_filled_record(r):
            return True
        if any(a.column in self.value_columns and _is_sentence(a.text) for a in anchors):
            return False
        if self._is_filled_pair(anchors):
            return False
        below = self.table.anchors(r + 1)
        return any(a.content.empty or a.content.groups or a.column in self.value_columns
                   for a in below)

    def _is_data_table(self, r: int, anchors: list[TableCell]) -> bool:
        rows = self.table.rows
        after = range(r + 1, len(rows))
        return len(anchors) >= 2 and all(a.text and not a.content.groups for a in anchors) and \
            len(after) >= 2 and all(a.content.empty for a in self.table.anchors(len(rows) - 1)) \
            and all(not a.content.groups for i in after for a in self.table.anchors(i))

    def _header_row(self, r: int, anchors: list[TableCell]) -> int:
        header_text = one_line(" | ".join(a.text for a in anchors))
        after = range(r + 1, len(self.table.rows))
        self.reading.skipped.append(Skipped(anchors[0].location, "header_row", header_text))
        self.headers = {a.column: a for a in anchors}
        if len(after) == 1 and (self._is_answer_row(r + 1) or self._is_filled_record(r)):
            # a record form: each column header asks for the cell below it
            for below in self.table.anchors(r + 1):
                header = self.headers.get(below.column)
                if header is not None:
                    self._slot_field(header.text, header.location, below, "")
            return r + 2
        return r + 1

    def _checkbox_row(self, r: int, anchors: list[TableCell], title: _Prompt | None) -> int:
        boxes = [(a, g) for a in anchors for g in a.content.groups if g.control == "checkbox"]
        texts = [a for a in anchors if a.text and not a.content.groups]
        unlabeled = [(a, g) for a, g in boxes if not g.prompt and not any(g.options)]
        if len(unlabeled) >= 2 and texts:
            # a matrix: option labels in the header row, one checkbox per option in each row
            options = tuple(self._header_text(a.column) for a, _ in unlabeled)
            ticked = [o for o, (_, g) in zip(options, unlabeled, strict=True)
                      if g.value is not None]
            first, group = unlabeled[0]
            self.reading.fields.append(_Field(
                texts[0].text, texts[0].location, first.at(group), self.section, options,
                "; ".join(ticked) or None))
            return r + 1
        if self._checkbox_item(r) is not None:
            return self._checkbox_list(r, title)
        self._label_value_row(anchors)
        return r + 1

    def _checkbox_list(self, r: int, title: _Prompt | None) -> int:
        """Rows of one checkbox each, labelled in the box's cell or the next: one choice. A
        row holding only a box between two options is that option's follow-up ("Explain …")."""
        rows = self.table.rows
        items = []
        follow_ups: list[Skipped] = []
        end = r
        while end < len(rows):
            item = self._checkbox_item(end)
            if item is None and end + 1 < len(rows) and items and \
                    (box := self._follow_up_box(end)) is not None and \
                    self._checkbox_item(end + 1) is not None:
                follow_ups.append(Skipped(box, "secondary_field", items[-1][0]))
                end += 1
                continue
            if item is None:
                break
            items.append(item)
            end += 1
        options = tuple(label for label, _, _ in items)
        ticked = "; ".join(label for label, _, checked in items if checked) or None
        self.reading.skipped.extend(follow_ups)
        fields = self.reading.fields
        if title is None and self.paired == r - 1 and fields and not fields[-1].options:
            # the options of the prompt answered just above: they are its answer, and what
            # was written under the prompt its comment
            question = fields[-1]
            question.comment_location, question.existing_comment = \
                question.answer_location, question.existing
            question.answer_location, question.options, question.existing = \
                items[0][1], options, ticked
            return end
        if title is not None:
            # the title row asked the question: it is not a section of its own
            self.reading.skipped = [s for s in self.reading.skipped if s.location != title.location]
            prompt = title
        elif self.caption or self.lead is None:
            prompt = _Prompt(self.caption or self.section, self.table.anchors(r)[0].location)
        else:
            prompt = self.lead
        fields.append(_Field(prompt.text, prompt.location, items[0][1], self.section, options,
                             ticked))
        return end

    def _follow_up_box(self, r: int) -> Location | None:
        """The slot of a row that holds nothing but one box to write in."""
        groups = [(a, g) for a in self.table.anchors(r) for g in a.content.groups]
        if len(groups) != 1 or any(a.text for a in self.table.anchors(r)):
            return None
        cell, group = groups[0]
        return None if group.control == "checkbox" or group.prompt else cell.at(group)

    def _checkbox_item(self, r: int) -> tuple[str, Location, bool] | None:
        """(label, checkbox location, ticked) for a row holding exactly one checkbox."""
        anchors = self.table.anchors(r)
        groups = [(a, g) for a in anchors for g in a.content.groups]
        if len(groups) != 1:
            return None
        cell, group = groups[0]
        if group.control != "checkbox" or group.prompt or len(group.options) > 1:
            return None
        # a label cell's later paragraphs guide the respondent ("Select all that apply.")
        label = group.options[0] if group.options and group.options[0] else \
            next((one_line(a.text.split("\n")[0]) for a in anchors if a.text), "")
        return label, cell.at(group), group.value is not None

    def _label_value_row(self, anchors: list[TableCell]) -> None:
        """Label | value pairs across a row; a cell with its own prompt and controls stands
        alone; text left over is guidance."""
        ref = ""
        cells = list(anchors)
        if len(cells) >= 3 and cells[0].text and _is_ref(cells[0].text) and cells[1].text:
            ref = one_line(cells[0].text)
            cells = cells[1:]
        label: TableCell | None = None
        leftover: list[TableCell] = []
        for cell in cells:
            content = cell.content
            if content.groups:
                for group in content.groups:
                    if group.prompt:
                        self._group_field(group.prompt, cell.location, cell, group, ref)
                    elif label is not None:
                        self._group_field(label.text, label.location, cell, group, ref)
                    else:
                        header = self._header_text(cell.column) or self.caption or self.section
                        self._group_field(header, cell.location, cell, group, ref)
                label = None
            elif label is not None and self._is_value(cell):
                self._slot_field(label.text, label.location, cell, ref)
                label = None
            elif cell.text:
                if label is not None:
                    leftover.append(label)
                label = cell
                if _BRACKETED.match(cell.text):  # "<insert logo>" with nothing asking for it
                    self.reading.skipped.append(Skipped(cell.location, "placeholder",
                                                        one_line(cell.text)))
                    label = None
        if label is not None:
            leftover.append(label)
        if leftover:  # text that asks for nothing: notes and guidance
            text = one_line(" | ".join(c.text for c in leftover))
            self.reading.skipped.append(Skipped(leftover[0].location, "instruction", text))

    def _is_value(self, cell: TableCell) -> bool:
        return cell.column in self.value_columns or bool(_BRACKETED.match(cell.text))

    def _header_text(self, column: int) -> str:
        header = self.headers.get(column)
        return one_line(header.text) if header is not None else ""

    # -- fields
    def _slot_field(self, text: str, question_location: Location, cell: TableCell,
                    ref: str) -> None:
        groups = cell.content.groups
        if groups:
            self._group_field(text, question_location, cell, groups[0], ref)
            return
        options = _choice_hint(self._header_text(cell.column), "header")
        existing = None
        if cell.text and _is_hint(cell.text, text):
            options = _choice_hint(cell.text) or options
            self.reading.skipped.append(Skipped(cell.location, "placeholder", one_line(cell.text)))
        elif cell.text:
            existing = cell.text
        self.reading.fields.append(_Field(text, question_location, cell.location, self.section,
                                          options, existing, ref))

    def _group_field(self, text: str, question_location: Location, cell: TableCell,
                     group: Group, ref: str) -> None:
        options = tuple(o for o in group.options if o)
        self.reading.fields.append(_Field(text, question_location, cell.at(group), self.section,
                                          options, group.value, ref))



def _is_label(cell: TableCell) -> bool:
    """Text that can name the cell to its right (a hint or a placeholder cannot)."""
    text = cell.text
    return bool(text) and not cell.content.groups and not _BRACKETED.match(text) and \
        not _choice_hint(text, "label")


def _asks(text: str) -> bool:
    """Text that asks for an answer rather than giving one."""
    line = one_line(text)
    return line.rstrip().endswith((":", "?")) or looks_like_question(line)


def _label_and_answer(text: str) -> tuple[str, str | None]:
    """'Summary of advice:' and what is written after it in the same cell, or None."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        label = one_line(" ".join(lines[:i + 1]))
        if line.rstrip().endswith(":") or COMMENT_LABEL.match(label):
            written = clean("\n".join(lines[i + 1:]))
            return label, written if written and not _is_hint(written, label) else None
    return one_line(text), None


def _is_sentence(text: str) -> bool:
    line = one_line(text)
    return len(line) > 60 or line.endswith((".", "!"))


def _only_placeholders(text: str) -> bool:
    """'<Name> <Date>': nothing but bracketed placeholders."""
    return bool(text) and not re.sub(r"<[^<>]*>|\[[^\[\]]*\]", "", text).strip()


def _is_ref(text: str) -> bool:
    ref, rest = _leading_ref(text)
    return bool(ref) and not rest.strip()


def _is_section_title(text: str) -> bool:
    return len(text) <= 100 and not text.endswith((".", ";")) and len(text.split()) <= 14


def _value_columns(table: Table) -> set[int]:
    """Columns that hold answers next to labels: at least a third empty (or controls, or
    hints) where a label sits to their left, or mostly right of labels ending in ':' or '?'."""
    slots: dict[int, int] = {}
    filled: dict[int, int] = {}
    asked: dict[int, int] = {}
    for r in range(len(table.rows)):
        anchors = table.anchors(r)
        if len(anchors) >= 3 and anchors[0].text and _is_ref(anchors[0].text):
            anchors = anchors[1:]
        for left, cell in itertools.pairwise(anchors):
            if not _is_label(left):
                continue
            content = cell.content
            slot_like = content.empty or (content.groups and not content.prompted) or \
                bool(_BRACKETED.match(content.text)) or bool(_choice_hint(content.text))
            counts = slots if slot_like else filled
            counts[cell.column] = counts.get(cell.column, 0) + 1
            if left.text.rstrip().endswith((":", "?")):
                asked[cell.column] = asked.get(cell.column, 0) + 1
    columns = {c for c, n in slots.items() if 2 * n >= filled.get(c, 0)}
    columns |= {c for c, n in asked.items() if n >= (slots.get(c, 0) + filled.get(c, 0)) / 2}
    return columns | _form_columns(table)


def _form_columns(table: Table) -> set[int]:
    """Value columns of a label | value form whether or not it is filled in: every row that
    has text in the column pairs it with a short label on its left, and no row holds more
    than that pair (besides a printed ID or a bracketed placeholder)."""
    good: dict[int, int] = {}
    terms: dict[int, int] = {}  # labels that are abbreviations: a glossary, not a form
    bad: set[int] = set()
    for r in range(len(table.rows)):
        anchors = table.anchors(r)
        if len(anchors) >= 3 and anchors[0].text and _is_ref(anchors[0].text):
            anchors = anchors[1:]
        if any(a.content.groups or a.content.holds_table for a in anchors):
            bad.update(a.column for a in anchors)
            continue
        texts = [a for a in anchors if a.text and not _BRACKETED.match(a.text)]
        if len(texts) < 2:
            continue
        left, value = texts[0], texts[1]
        if len(texts) > 2 or anchors.index(value) != anchors.index(left) + 1 or \
                not (_is_hint(value.text, left.text) or
                     (not _is_sentence(value.text) and not _asks(value.text))):
            bad.update(a.column for a in texts[1:])
        elif _is_label(left) and _is_short_label(left.text):
            good[value.column] = good.get(value.column, 0) + 1
            if _is_abbreviation(left.text):
                terms[value.column] = terms.get(value.column, 0) + 1
    return {c for c, n in good.items() if c not in bad and 2 * terms.get(c, 0) <= n}


def _is_abbreviation(text: str) -> bool:
    """'ATO', 'US-CERT', '3PAO': one word with several capitals or a digit."""
    word = one_line(text)
    return " " not in word and (sum(ch.isupper() for ch in word) >= 2 or
                                any(ch.isdigit() for ch in word))


def _is_short_label(text: str) -> bool:
    """A field name rather than prose: no sentence, unless it asks ("Hosted in the EU?")."""
    line = one_line(text)
    return any(ch.isalpha() for ch in line) and \
        (not _is_sentence(line) or line.endswith((":", "?")))


# ---------------------------------------------------------------------------------------------
# Whole tables


def _grid(table: Table, section: str) -> Grid:
    """The table as grid.interpret sees it: one Cell per grid column, merged cells pointing at
    their anchor, an answer cell's controls as its options and its current value as text."""
    rows: list[list[Cell]] = []
    for r, row in enumerate(table.rows):
        by_column: dict[int, Cell] = {}
        for cell in row:
            for column in range(cell.column, cell.column + cell.span):
                if column == cell.column and not cell.covered:
                    by_column[column] = _grid_cell(cell)
                else:
                    by_column[column] = Cell("", cell.location)
        rows.append([by_column.get(c) or Cell("", _slot(table.index, r, c))
                     for c in range(table.width)])
    return Grid(f"table {table.index}", rows, lambda r, c: _slot(table.index, r, c), section)


def _grid_cell(cell: TableCell) -> Cell:
    content = cell.content
    if not content.groups:
        return Cell(content.text, cell.location)
    group = content.groups[0]
    options = tuple(o for o in group.options if o)
    if content.prompted:
        return Cell(content.text, cell.location, options)
    return Cell(group.value or "", cell.at(group), options)


def _slot(table: int, row: int, column: int) -> Location:
    return Location(kind="table", table=table, row=row, column=column)


def _read_table(table: Table, section: str, caption: str, lead: _Prompt | None = None
                ) -> _Reading:
    if all(c.content.empty for row in table.rows for c in row):
        return _Reading(skipped=[Skipped(_slot(table.index, 0, 0), "empty_table")])
    result = interpret(_grid(table, caption or section))
    if result.has_layout and _reads_more(table, section, caption, result.questions):
        result = replace(result, has_layout=False)
    if result.has_layout:
        # a ticked box or a chosen item is an answer even when it repeats the question's words
        states = {c.at(c.content.groups[0]): c.content.groups[0].value for row in table.rows
                  for c in row if c.content.groups and not c.content.prompted}
        questions = [replace(q, existing_answer=states[q.answer_location])
                     if q.answer_location in states else q for q in result.questions]
        skipped = [s for s in result.skipped
                   if s.reason != "placeholder" or s.location not in states]
        return _Reading(skipped=skipped, questions=questions)
    reading = _TableReader(table, caption or section, caption, lead).read()
    if not reading.fields:
        data_tables = [s for s in reading.skipped if s.reason == "data_table"]
        if data_tables:
            return _Reading(skipped=data_tables)
        # nothing to answer: a reference table (definitions, a summary, a revision history)
        texts = [one_line(c.text) for row in table.rows for c in row if c.text]
        return _Reading(skipped=[Skipped(_slot(table.index, 0, 0), "reference_table",
                                         " | ".join(texts[:4]))])
    return reading


def _reads_more(table: Table, section: str, caption: str, questions: list[Question]) -> bool:
    """The row-by-row reading finds every slot the grid found, and more that are prompts
    answered in their own cells ("Summary of advice:" with an answer under it), which the grid
    takes for section rows: a filled form whose label and value columns look like a grid."""
    fields = _TableReader(table, caption or section, caption).read().fields
    slots = {f.answer_location for f in fields}
    found = {q.answer_location for q in questions}
    extra = [f for f in fields if f.answer_location not in found]
    return bool(extra) and found <= slots and \
        all(f.answer_location == f.question_location for f in extra)


@dataclass(frozen=True)
class _Titled:
    """A table whose first row starts with a printed ID: one part of a question block."""

    table: Table
    ref: str
    title: _Prompt


def _titled(table: Table) -> _Titled | None:
    if len(table.rows) < 2:
        return None
    anchors = table.anchors(0)
    first = next((a for a in anchors if a.text), None)
    if first is None or first.content.groups:
        return None
    ref, rest = _leading_ref(one_line(first.text))
    if not ref:
        return None
    for r in range(1, len(table.rows)):
        lead = next((a for a in table.anchors(r) if a.text), None)
        if lead is not None and _leading_ref(one_line(lead.text))[0]:
            return None  # IDs on several rows: a grid without a header, not a block
    others = [a for a in anchors if a is not first and a.text]
    title = one_line(" ".join([rest, *(a.text for a in others)]))
    title = re.sub(r"^(\(\s*\)|[\s:.\-–])+", "", title)  # "AC-2 () What": "What"
    location = others[0].location if others and not rest.strip() else first.location
    return _Titled(table, ref, _Prompt(title, location))


def _read_block(parts: list[_Titled], section: str) -> _Reading | None:
    """Tables titled with the same ID ask one question: a control's summary (status
    checkboxes, roles, parameters) and its narrative ("What is the solution ...?"). The first
    choice is the answer; the first field of the question-titled table is the comment. None
    when the tables neither offer a choice nor ask a question: then they are read one by one."""
    per_table = [_TableReader(p.table, section, "").read(1, p.title) for p in parts]
    fields = [f for reading in per_table for f in reading.fields]
    asking = next((i for i, p in enumerate(parts) if looks_like_question(p.title.text)), None)
    choice = next((f for f in fields if f.options), None)
    if choice is None and asking is None:
        return None
    asking = asking or 0
    narrative = next((f for f in per_table[asking].fields if not f.options), None) or \
        next((f for f in fields if not f.options), None)
    main = choice or narrative
    if main is None:
        return None
    comment = narrative if choice is not None else None
    title = parts[asking].title
    question = replace(
        main, text=title.text or main.text, question_location=title.location, section=section,
        ref=parts[0].ref,
        comment_location=comment.answer_location if comment else None,
        existing_comment=comment.existing if comment else None)
    reading = _Reading(fields=[question])
    prompts = {f.question_location for f in fields}
    for part, table_reading in zip(parts, per_table, strict=True):
        reading.skipped.extend(table_reading.skipped)
        if part.title is not title and part.title.location not in prompts:
            reading.skipped.append(Skipped(part.title.location, "section_header", part.title.text))
    reading.skipped.extend(Skipped(f.question_location, "secondary_field", label_text(f.text))
                           for f in fields if f is not main and f is not comment)
    return reading


# ---------------------------------------------------------------------------------------------
# The body


@dataclass
class _BodyReader:
    items: list[Item]
    out: Questionnaire
    section: str = ""
    fields: list[_Field] = field(default_factory=list)  # from paragraphs, not yet emitted
    block: list[_Titled] = field(default_factory=list)
    block_section: str = ""
    options_paragraph: int | None = None  # last paragraph that extended a checkbox field
    boxed: int = 0  # questions asked in a paragraph and answered in a box of their own below

    def read(self) -> None:
        consumed: set[int] = set()
        for i, item in enumerate(self.items):
            if i in consumed:
                continue
            if isinstance(item, Table):
                self._table(item, i)
            elif item.kind == "heading":
                self._flush_block()
                if item.text:
                    self.section = item.text
            elif item.kind == "body":
                consumed.update(self._paragraph(item, i))
        self._flush_block()
        self._emit_paragraph_fields()
        if self.boxed >= 3 and 2 * self.boxed >= len(self.out.questions):
            self._keep_questions()

    def _keep_questions(self) -> None:
        """A document that asks its questions in sentences, each over a box for its answer:
        a blank paragraph is spacing, not a slot, and a field whose label only names a value
        ("Street Address", "Phone Number": who prepared the document, its contacts) is one of
        the document's particulars, reported rather than taken as a question."""
        kept: list[Question] = []
        for question in self.out.questions:
            location = question.answer_location
            if location.kind == "paragraph" and location.control is None:
                self.out.skipped.append(Skipped(question.question_location, "instruction",
                                                question.text))
            elif not question.options and not _asks(question.text):
                self.out.skipped.append(Skipped(location, "form_field", question.text))
            else:
                kept.append(question)
        self.out.questions[:] = kept

    # -- tables
    def _table(self, table: Table, i: int) -> None:
        titled = _titled(table)
        if titled is not None:
            if self.block and self.block[0].ref != titled.ref and not self._completes(titled):
                self._flush_block()
            if not self.block:
                self.block_section = self.section
            self.block.append(titled)
        else:
            self._flush_block()
            self._take(_read_table(table, self.section, self._caption(i), self._lead(i)))
        for nested in _all_nested(table):
            self._take(_read_table(nested, self.section, ""))

    def _completes(self, titled: _Titled) -> bool:
        """A question-titled table right after a summary of choices belongs to that summary
        even when its printed ID differs (templates copy-paste and mistype IDs)."""
        return looks_like_question(titled.title.text) and \
            not _has_choice(titled.table) and \
            any(_has_choice(part.table) for part in self.block) and \
            not any(looks_like_question(part.title.text) for part in self.block)

    def _flush_block(self) -> None:
        if not self.block:
            return
        reading = _read_block(self.block, self.block_section)
        if reading is None:
            for part in self.block:
                self._take(_read_table(part.table, self.block_section, ""))
        else:
            self._take(reading)
        self.block = []

    def _take(self, reading: _Reading) -> None:
        self._emit_paragraph_fields()
        self.out.questions.extend(f.question() for f in reading.fields)
        self.out.questions.extend(reading.questions)
        self.out.skipped.extend(reading.skipped)

    def _emit_paragraph_fields(self) -> None:
        self.out.questions.extend(f.question() for f in self.fields)
        self.fields = []

    def _caption(self, i: int) -> str:
        for step in (1, -1):
            j = i + step
            while 0 <= j < len(self.items):
                item = self.items[j]
                if not isinstance(item, Paragraph) or item.text or item.content.groups:
                    break
                j += step
            if 0 <= j < len(self.items):
                item = self.items[j]
                if isinstance(item, Paragraph) and item.kind == "caption" and item.text:
                    return _CAPTION_LABEL.sub("", item.text).strip() or item.text
        return ""

    def _lead(self, i: int) -> _Prompt | None:
        """The paragraph just above a table that asks to choose from it ("Check one."), after
        the short title it completes ("Threshold Analysis"), if any."""
        above = [item for item in self.items[max(0, i - 4):i] if
                 not isinstance(item, Paragraph) or item.text or item.content.groups]
        if not above or not _is_plain(above[-1]) or not _CHOOSE.match(above[-1].text):
            return None
        asking = above[-1]
        titled = len(above) >= 2 and _is_plain(above[-2]) and _is_section_title(above[-2].text)
        text = f"{above[-2].text}: {asking.text}" if titled else asking.text
        return _Prompt(text, asking.location)

    # -- paragraphs; returns the items taken as this one's answer (and guidance before it)
    def _paragraph(self, paragraph: Paragraph, i: int) -> list[int]:
        if paragraph.content.groups:
            self._paragraph_controls(paragraph, i)
            return []
        text = paragraph.text
        if text and _asks(text) and (boxed := self._answer_box(paragraph, i)):
            return boxed
        following = self.items[i + 1] if i + 1 < len(self.items) else None
        if not text or not looks_like_question(text) or not isinstance(following, Paragraph) \
                or following.kind != "body" or following.content.groups:
            return []
        ref, question = _leading_ref(text)
        if not following.text or _is_hint(following.text, text):
            if following.text:
                self.out.skipped.append(Skipped(following.location, "placeholder",
                                                following.text))
            self.fields.append(_Field(question, paragraph.location, following.location,
                                      self.section, ref=ref))
            return [i + 1]
        if (ref or paragraph.numbered) and text.endswith("?") and \
                not looks_like_question(following.text):
            # a filled questionnaire: the answer is the paragraph below its question
            self.fields.append(_Field(question, paragraph.location, following.location,
                                      self.section, existing=following.content.text, ref=ref))
            return [i + 1]
        return []

    def _answer_box(self, paragraph: Paragraph, i: int) -> list[int]:
        """A question paragraph over its answer box: a table of one cell below it (blank
        lines and "Instructions:" boxes between), empty, a bare content control, a hint, or
        the answer once written. Returns the items it took, or [] when no box follows."""
        taken: list[int] = []
        guidance: list[Skipped] = []
        for j in range(i + 1, len(self.items)):
            item = self.items[j]
            if isinstance(item, Paragraph):
                if item.kind != "body" or item.text or item.content.groups:
                    return []
                continue
            box = _box_cell(item)
            if box is None:
                return []
            content = box.content
            taken.append(j)
            if content.text and not content.groups and _GUIDANCE.match(content.text):
                guidance.append(Skipped(box.location, "instruction", one_line(content.text)))
                continue
            if content.groups:
                group = content.groups[0]
                slot, existing = box.at(group), group.value
            elif content.text and _is_hint(content.text, paragraph.text):
                slot, existing = box.location, None
                guidance.append(Skipped(box.location, "placeholder", one_line(content.text)))
            elif content.text and _asks(content.text):
                return []  # a prompt of its own, not an answer
            else:
                slot, existing = box.location, content.text or None
            ref, question = _leading_ref(paragraph.text)
            self.fields.append(_Field(question, paragraph.location, slot, self.section,
                                      existing=existing, ref=ref))
            self.out.skipped.extend(guidance)
            self.boxed += 1
            return taken
        return []

    def _paragraph_controls(self, paragraph: Paragraph, i: int) -> None:
        for group in paragraph.content.groups:
            location = replace(paragraph.location, control=group.control, index=group.index)
            options = tuple(o for o in group.options if o)
            previous = self.fields[-1] if self.fields else None
            if not group.prompt and group.control == "checkbox" and previous is not None and \
                    self.options_paragraph == paragraph.index - 1:
                # "☐ Yes" / "☐ No" on lines of their own: more options of the question above
                value = "; ".join(v for v in (previous.existing, group.value) if v) or None
                self.fields[-1] = replace(previous, options=previous.options + options,
                                          existing=value)
                self.options_paragraph = paragraph.index
                continue
            prompt = group.prompt
            question_location = paragraph.location
            if not prompt:
                label = self._label_above(i)
                if label is None and not self.section:
                    self.out.skipped.append(Skipped(location, "placeholder", paragraph.text))
                    continue
                prompt = label.text if label is not None else self.section
                question_location = label.location if label is not None else location
                # a question over a control of its own line: its answer box
                self.boxed += label is not None and group.control == "content_control" and \
                    _asks(label.text)
            ref, question = _leading_ref(prompt)
            self.fields.append(_Field(question, question_location, location, self.section,
                                      options, group.value, ref))
            self.options_paragraph = paragraph.index if group.control == "checkbox" else None

    def _label_above(self, i: int) -> Paragraph | None:
        """The paragraph that labels a control standing on its own line."""
        j = i - 1
        while j >= 0:
            item = self.items[j]
            if not isinstance(item, Paragraph) or item.kind != "body" or item.content.groups:
                return None
            if item.text:
                return item
            j -= 1
        return None


def _is_plain(item: Item) -> bool:
    """A body paragraph of text alone."""
    return isinstance(item, Paragraph) and item.kind == "body" and bool(item.text) and \
        not item.content.groups


def _box_cell(table: Table) -> TableCell | None:
    """The one cell of a table drawn as a box to write in (no nested table, no prompt)."""
    if len(table.rows) != 1 or table.nested:
        return None
    anchors = table.anchors(0)
    if len(anchors) != 1:
        return None
    content = anchors[0].content
    if content.holds_table or content.prompted or len(content.groups) > 1 or \
            (content.groups and (content.text or content.groups[0].control == "checkbox")):
        return None
    return anchors[0]


def _has_choice(table: Table) -> bool:
    return any(g.options for row in table.rows for c in row for g in c.content.groups)


def _all_nested(table: Table) -> Iterator[Table]:
    for nested in table.nested:
        yield nested
        yield from _all_nested(nested)


# ---------------------------------------------------------------------------------------------
# Entry point


def parse_docx(data: bytes, limits: Limits) -> Questionnaire:
    """Questions, answer slots and skipped blocks of a Word questionnaire."""
    try:
        questionnaire = Questionnaire(format="docx")
        _BodyReader(read_body(data, limits), questionnaire).read()
        return questionnaire
    except IngestError:
        raise
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise IngestError(f"the Word document is corrupt: {one_line(str(exc))}") from None
    except Exception as exc:  # a reader bug must still reach the user as one clear line
        raise IngestError(f"could not read the Word document: {type(exc).__name__}: "
                          f"{one_line(str(exc))}") from None
