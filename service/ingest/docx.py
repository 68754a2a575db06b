"""Word questionnaires: questions, answer slots and form controls out of a .docx.

The XML is read directly: python-docx cannot see legacy form fields or content controls, and a
.docm or .dotx would not even open in it. The body is walked in document order; every answer
slot gets a location a writer can find again:

  table      `table` counts every w:tbl under w:body in document order (nested tables and tables
             inside content controls included); `row` counts the table's w:tr; `column` is the
             grid column (w:gridBefore and w:gridSpan counted), as python-docx's
             `table.cell(row, column)` addresses it. A merged cell is named by its top-left.
  paragraph  counts the w:p under w:body outside tables and text boxes (python-docx
             `Document.paragraphs`, unless block content controls wrap paragraphs).
  control    "checkbox": the slot's first checkbox is the `index`-th checkbox (legacy
             FORMCHECKBOX field or w14 checkbox content control) of the cell or paragraph; option
             i belongs to the i-th checkbox counted from there in document order, running on
             into the following cells, rows or paragraphs.
             "content_control": the `index`-th other w:sdt of the cell or paragraph.
             "placeholder": the `index`-th run of underscores ("____") of the cell or paragraph.
  A question whose answer_location equals its question_location is answered inside the prompt's
  own cell, after the prompt ("Summary of advice:" over an empty area).

A filled form (exported by us or answered by a vendor) reads with the same questions at the same
locations as its blank: slots are found by their shape (a prompt row over a one-cell row, a
label beside a value column, a header over one row of values), not only by their emptiness,
and what is written in them becomes existing_answer / existing_comment (template hints and
choice hints still read as no answer).
"""

from __future__ import annotations

import io
import itertools
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from lxml import etree

from .grid import Cell, Grid, interpret
from .model import IngestError, Location, Question, Questionnaire, Skipped
from .source import DEFAULT_LIMITS, Limits
from .text import (
    clean,
    infer_answer_type,
    is_placeholder,
    looks_like_id,
    looks_like_question,
    one_line,
    split_choices,
)

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_W14 = "http://schemas.microsoft.com/office/word/2010/wordml"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"


def _w(name: str) -> str:
    return f"{{{_W}}}{name}"


_P, _T, _TAB, _BR, _CR = _w("p"), _w("t"), _w("tab"), _w("br"), _w("cr")
_TBL, _TR, _TC, _SDT = _w("tbl"), _w("tr"), _w("tc"), _w("sdt")
_SDT_PR, _SDT_CONTENT, _CUSTOM_XML = _w("sdtPr"), _w("sdtContent"), _w("customXml")
_FLD_CHAR, _VAL = _w("fldChar"), _w("val")
_NO_BREAK_HYPHEN = _w("noBreakHyphen")
# Never visible text of the paragraph itself: text boxes and drawings (their own paragraphs),
# deleted revisions, field instructions and properties.
_HIDDEN = {_w("del"), _w("moveFrom"), _w("instrText"), _w("delText"), _w("drawing"), _w("pict"),
           _w("object"), _w("txbxContent"), _w("rPr"), _w("pPr"), _SDT_PR, _TBL,
           f"{{{_MC}}}AlternateContent"}
_WRAPPERS = {_SDT, _SDT_CONTENT, _CUSTOM_XML}  # may wrap rows or cells without changing layout
_ANSWER_CONTROL_TYPES = ("text", "date", "dropDownList", "comboBox")

_BLANK = re.compile(r"_{3,}")
_BRACKETED = re.compile(r"^\s*(<[^<>]{1,80}>|\[[^\[\]]{1,80}\]|\{[^{}]{1,80}\})\s*$")
_CAPTION_LABEL = re.compile(r"^(table|figure|exhibit)\s*[\dA-Z]*(\s*[-–.]\s*\d+)*\s*[.:\-–]?\s*",
                            re.IGNORECASE)
_COMMENT_LABEL = re.compile(r"^((additional|other|your) )?(comments?|notes?|remarks?|"
                            r"explanation)\s*:?$", re.IGNORECASE)
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

_ParagraphKind = Literal["heading", "caption", "body"]


# ---------------------------------------------------------------------------------------------
# What a paragraph or a cell holds


@dataclass(frozen=True)
class _Box:
    checked: bool


@dataclass(frozen=True)
class _Sdt:
    options: tuple[str, ...]
    value: str | None  # None while the control shows its placeholder
    shown: str = ""  # what the control displays: its value or its placeholder text
    bound: bool = False  # mapped to a document property (w:dataBinding): Word refills it


class _Blank:
    """A run of underscores where an answer is written."""


_Token = str | _Box | _Sdt | _Blank


@dataclass(frozen=True)
class _Group:
    """Form controls answered together: checkboxes whose labels are the options, one content
    control, or one underscore blank."""

    prompt: str  # text just before the controls that asks for them ("" when none)
    control: Literal["checkbox", "content_control", "placeholder"]
    index: int  # position of the first control among the cell's/paragraph's controls of that kind
    options: tuple[str, ...] = ()
    value: str | None = None  # ticked labels, chosen item or typed text; None when unanswered


@dataclass(frozen=True)
class _Content:
    text: str  # visible text that is neither a checkbox label nor a control's value
    groups: tuple[_Group, ...] = ()
    holds_table: bool = False  # a cell with a nested table is not a free answer slot

    @property
    def empty(self) -> bool:
        return not self.text and not self.groups and not self.holds_table

    @property
    def prompted(self) -> bool:
        return any(g.prompt for g in self.groups)


def _tokens(element: etree._Element) -> list[_Token]:
    """The visible run content of a paragraph, in order, with its form controls."""
    out: list[_Token] = []
    _collect(element, out)
    return out


def _collect(element: etree._Element, out: list[_Token]) -> None:
    for child in element:
        tag = child.tag
        if tag == _T:
            out.append(child.text or "")
        elif tag == _TAB:
            out.append("\t")
        elif tag in (_BR, _CR):
            out.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            out.append("-")
        elif tag == _FLD_CHAR:
            box = _legacy_checkbox(child)
            if box is not None:
                out.append(box)
        elif tag == _SDT:
            control = _content_control(child)
            if control is None:
                _collect(_find(child, _SDT_CONTENT), out)
            else:
                out.append(control)
        elif tag not in _HIDDEN and isinstance(tag, str):
            _collect(child, out)


def _find(element: etree._Element, tag: str) -> etree._Element:
    """The child with that tag, or an empty stand-in so callers need no None checks."""
    found = element.find(tag)
    return found if found is not None else etree.Element(tag)


def _is_on(element: etree._Element | None, attribute: str = _VAL) -> bool:
    if element is None:
        return False
    return element.get(attribute, "1").lower() in ("1", "true", "on")


def _legacy_checkbox(fld_char: etree._Element) -> _Box | None:
    if fld_char.get(_w("fldCharType")) != "begin":
        return None
    checkbox = fld_char.find(f"{_w('ffData')}/{_w('checkBox')}")
    if checkbox is None:
        return None
    checked = checkbox.find(_w("checked"))
    if checked is not None:  # the current state; w:default is only the initial one
        return _Box(_is_on(checked))
    return _Box(_is_on(checkbox.find(_w("default"))))


def _content_control(sdt: etree._Element) -> _Box | _Sdt | None:
    """A w:sdt as a form control, or None when it only wraps content (building blocks, locked
    text) and should read as plain text."""
    properties = sdt.find(_SDT_PR)
    if properties is None:
        return None
    checkbox = properties.find(f"{{{_W14}}}checkbox")
    if checkbox is not None:
        return _Box(_is_on(checkbox.find(f"{{{_W14}}}checked"), f"{{{_W14}}}val"))
    if properties.find(_w("docPartObj")) is not None or \
            properties.find(_w("docPartList")) is not None:
        return None
    lock = properties.find(_w("lock"))
    if lock is not None and lock.get(_VAL) in ("sdtContentLocked", "contentLocked"):
        return None
    options: tuple[str, ...] = ()
    for kind in ("dropDownList", "comboBox"):
        listing = properties.find(_w(kind))
        if listing is not None:
            items = (clean(i.get(_w("displayText")) or i.get(_VAL)) for i in listing
                     if i.tag == _w("listItem"))
            # Word lists its own hint ("Choose an item.") as the first item
            options = tuple(dict.fromkeys(i for i in items if i and not is_placeholder(i, "")))
    text = _plain_text(_find(sdt, _SDT_CONTENT))
    bound = properties.find(_w("dataBinding")) is not None
    showing_placeholder = properties.find(_w("showingPlcHdr")) is not None
    if showing_placeholder or is_placeholder(text, ""):
        return _Sdt(options, None, text, bound)
    return _Sdt(options, text, text, bound)


def _plain_text(content: etree._Element) -> str:
    """The text of a content control's content, whether it holds runs or paragraphs."""
    paragraphs = list(content.iter(_P)) or [content]
    return clean("\n".join("".join(t for t in _tokens(p) if isinstance(t, str))
                           for p in paragraphs))


def _split_blanks(tokens: list[_Token]) -> list[_Token]:
    """Merge neighbouring text and cut it at underscore blanks."""
    merged: list[_Token] = []
    for token in tokens:
        if isinstance(token, str) and merged and isinstance(merged[-1], str):
            merged[-1] += token
        else:
            merged.append(token)
    out: list[_Token] = []
    for token in merged:
        if not isinstance(token, str):
            out.append(token)
            continue
        pieces = _BLANK.split(token)
        for i, piece in enumerate(pieces):
            if i:
                out.append(_Blank())
            out.append(piece)
    return out


def _label(text: str) -> str:
    return one_line(clean(text)).strip(" :\t")


@dataclass
class _ContentBuilder:
    """Turns the paragraphs of a cell (or one body paragraph) into prompt text and groups."""

    texts: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # text waiting to become a group's prompt
    groups: list[_Group] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"checkbox": 0, "content_control": 0,
                                                            "placeholder": 0})
    open_boxes: bool = False  # the last group is a checkbox list later paragraphs may extend

    def paragraph(self, tokens: list[_Token]) -> None:
        pieces = _split_blanks(tokens)
        if any(isinstance(p, _Box) for p in pieces):
            self._box_paragraph(pieces)
            return
        line = ""
        for k, piece in enumerate(pieces):
            if isinstance(piece, str):
                line += piece
            elif isinstance(piece, _Sdt) and _inside_sentence(piece, pieces[k + 1:]):
                line += piece.shown
                self.counts["content_control"] += 1  # still numbered: writers count every control
            elif isinstance(piece, _Sdt):
                self._add("content_control", line, piece.options, piece.value, 1)
                line = ""
            else:
                self._add("placeholder", line, (), None, 1)
                line = ""
        if clean(line):
            self.texts.append(clean(line))
            self.pending.append(clean(line))
            self.open_boxes = False

    def _add(self, control: Literal["checkbox", "content_control", "placeholder"], prefix: str,
             options: tuple[str, ...], value: str | None, count: int) -> None:
        if clean(prefix):
            self.texts.append(clean(prefix))
        prompt = _label(" ".join([*self.pending, prefix]))
        self.groups.append(_Group(prompt, control, self.counts[control], options, value))
        self.counts[control] += count
        self.pending = []
        self.open_boxes = False

    def _box_paragraph(self, pieces: list[_Token]) -> None:
        segments: list[str] = [""]
        boxes: list[_Box] = []
        for piece in pieces:
            if isinstance(piece, _Box):
                boxes.append(piece)
                segments.append("")
            elif isinstance(piece, str):
                segments[-1] += piece
        labels_follow = bool(clean(segments[-1])) or not clean(segments[0])
        if labels_follow:
            prefix, labels = segments[0], segments[1:]
        else:  # "Encrypted?  Yes ☐  No ☐": the first segment holds the prompt and a label
            prefix, first = _split_prompt(segments[0])
            labels = [first, *segments[1:-1]]
        options = tuple(_label(label) for label in labels)
        ticked = [o for o, box in zip(options, boxes, strict=True) if box.checked]
        value = "; ".join(ticked) if ticked else None
        previous = self.groups[-1] if self.groups else None
        if self.open_boxes and previous is not None and not clean(prefix):
            merged_value = "; ".join(v for v in (previous.value, value) if v) or None
            self.groups[-1] = replace(previous, options=previous.options + options,
                                      value=merged_value)
            self.counts["checkbox"] += len(boxes)
        else:
            self._add("checkbox", prefix, options, value, len(boxes))
        self.open_boxes = True

    def build(self, holds_table: bool = False) -> _Content:
        return _Content("\n".join(self.texts), tuple(self.groups), holds_table)


def _inside_sentence(control: _Sdt, rest: list[_Token]) -> bool:
    """A content control that is a word of the sentence rather than its answer: one mapped to a
    document property ("Does [CSP Name] have …?": Word shows the property there and refills it
    from the document's data, so text written into it is lost), or one the sentence runs on
    after in lower case ("documented by [Name of organization] and reviewed by …")."""
    if control.bound:
        return True
    after = next((t for t in rest if not isinstance(t, str) or t.strip()), "")
    return isinstance(after, str) and after.lstrip(" ,;")[:1].islower()


def _split_prompt(segment: str) -> tuple[str, str]:
    """'Do you encrypt?  Yes' -> ('Do you encrypt?', 'Yes'): cut at the last tab, '?' or ':'."""
    for separator in ("\t", "?", ":"):
        head, found, tail = segment.rpartition(separator)
        if found and clean(tail):
            return head + (found if separator != "\t" else ""), tail
    return "", segment


# ---------------------------------------------------------------------------------------------
# Styles: which paragraphs are headings or captions


@dataclass(frozen=True)
class _Styles:
    kinds: dict[str, _ParagraphKind]
    numbered: frozenset[str]
    default: _ParagraphKind = "body"

    def kind(self, paragraph: etree._Element) -> _ParagraphKind:
        properties = paragraph.find(_w("pPr"))
        style = None
        if properties is not None:
            outline = properties.find(_w("outlineLvl"))
            if outline is not None and outline.get(_VAL, "9").isdigit() and \
                    int(outline.get(_VAL, "9")) < 9:
                return "heading"
            style = properties.find(_w("pStyle"))
        if style is None:
            return self.default
        return self.kinds.get(style.get(_VAL, ""), "body")

    def is_numbered(self, paragraph: etree._Element) -> bool:
        properties = paragraph.find(_w("pPr"))
        if properties is None:
            return False
        if properties.find(_w("numPr")) is not None:
            return True
        style = properties.find(_w("pStyle"))
        return style is not None and style.get(_VAL, "") in self.numbered


def _read_styles(root: etree._Element | None) -> _Styles:
    if root is None:
        return _Styles({}, frozenset())
    table: dict[str, etree._Element] = {}
    default = ""
    for style in root.iter(_w("style")):
        if style.get(_w("type")) == "paragraph" and style.get(_w("styleId")):
            table[style.get(_w("styleId"), "")] = style
            if _is_on(style, _w("default")) and style.get(_w("default")) is not None:
                default = style.get(_w("styleId"), "")
    kinds = {style_id: _style_kind(style_id, table) for style_id in table}
    numbered = frozenset(i for i in table if _inherits(i, table, f"{_w('pPr')}/{_w('numPr')}"))
    return _Styles(kinds, numbered, kinds.get(default, "body"))


def _chain(style_id: str, table: dict[str, etree._Element]) -> Iterator[etree._Element]:
    seen: set[str] = set()
    while style_id in table and style_id not in seen:
        seen.add(style_id)
        style = table[style_id]
        yield style
        based_on = style.find(_w("basedOn"))
        style_id = based_on.get(_VAL, "") if based_on is not None else ""


def _inherits(style_id: str, table: dict[str, etree._Element], path: str) -> bool:
    return any(style.find(path) is not None for style in _chain(style_id, table))


def _style_kind(style_id: str, table: dict[str, etree._Element]) -> _ParagraphKind:
    names = []
    for style in _chain(style_id, table):
        name = style.find(_w("name"))
        names.append((name.get(_VAL, "") if name is not None else "").lower())
    if any("caption" in name for name in names):
        return "caption"
    for style in _chain(style_id, table):
        outline = style.find(f"{_w('pPr')}/{_w('outlineLvl')}")
        if outline is not None and outline.get(_VAL, "9").isdigit():
            return "heading" if int(outline.get(_VAL, "9")) < 9 else "body"
    if any(re.fullmatch(r"heading \d|title|subtitle", name) for name in names):
        return "heading"
    return "body"


# ---------------------------------------------------------------------------------------------
# The body as a sequence of paragraphs and tables


@dataclass(frozen=True)
class _Paragraph:
    index: int
    kind: _ParagraphKind
    numbered: bool
    content: _Content

    @property
    def text(self) -> str:
        return one_line(self.content.text)

    @property
    def location(self) -> Location:
        return Location(kind="paragraph", paragraph=self.index)


@dataclass(frozen=True)
class _TableCell:
    column: int
    span: int
    content: _Content
    covered: bool  # continues a vertical merge: its content lives in the cell above
    location: Location  # the cell's own, or the merge anchor's for a covered cell

    @property
    def text(self) -> str:
        return self.content.text

    def at(self, group: _Group) -> Location:
        return replace(self.location, control=group.control, index=group.index)


@dataclass(frozen=True)
class _Table:
    index: int
    rows: list[list[_TableCell]]  # cells in column order, covered ones included
    width: int
    nested: list[_Table]

    def anchors(self, r: int) -> list[_TableCell]:
        return [c for c in self.rows[r] if not c.covered]


_Item = _Paragraph | _Table


@dataclass
class _Document:
    styles: _Styles
    table_numbers: dict[etree._Element, int]
    limits: Limits
    paragraphs: int = 0

    def body(self, container: etree._Element) -> Iterator[_Item]:
        for child in container:
            if child.tag == _P:
                yield self._paragraph(child)
            elif child.tag == _TBL:
                yield self.table(child)
            elif child.tag == _SDT:
                control = _block_control(child)
                content = _find(child, _SDT_CONTENT)
                if control is None:
                    yield from self.body(content)
                else:  # the control's first paragraph is its slot; the rest only count
                    for i, paragraph in enumerate(content.findall(_P)):
                        yield self._paragraph(paragraph, [control] if i == 0 else [])
            elif child.tag == _CUSTOM_XML:
                yield from self.body(child)

    def _paragraph(self, element: etree._Element, tokens: list[_Token] | None = None
                   ) -> _Paragraph:
        builder = _ContentBuilder()
        builder.paragraph(_tokens(element) if tokens is None else tokens)
        index = self.paragraphs
        self.paragraphs += 1
        return _Paragraph(index, self.styles.kind(element), self.styles.is_numbered(element),
                          builder.build())

    def table(self, element: etree._Element) -> _Table:
        index = self.table_numbers[element]
        rows: list[list[_TableCell]] = []
        nested: list[_Table] = []
        anchors: dict[int, Location] = {}  # column -> location of the open vertical merge
        for r, row in enumerate(_children(element, _TR)):
            if r >= self.limits.max_rows:
                raise IngestError(f"table {index} has more than {self.limits.max_rows} rows")
            cells: list[_TableCell] = []
            column = _int_property(row.find(_w("trPr")), "gridBefore", 0)
            for cell in _children(row, _TC):
                properties = cell.find(_w("tcPr"))
                span = max(1, _int_property(properties, "gridSpan", 1))
                merge = properties.find(_w("vMerge")) if properties is not None else None
                own = Location(kind="table", table=index, row=r, column=column)
                covered = merge is not None and merge.get(_VAL, "continue") == "continue" and \
                    column in anchors
                if covered:
                    content = _Content("")
                    location = anchors[column]
                else:
                    content = self._cell_content(cell, nested)
                    location = own
                    if merge is not None:
                        anchors[column] = own
                    else:
                        anchors.pop(column, None)
                cells.append(_TableCell(column, span, content, covered, location))
                column += span
            rows.append(cells)
        width = max((c.column + c.span for row in rows for c in row), default=0)
        if width > self.limits.max_columns:
            raise IngestError(f"table {index} has {width} columns, over the limit of "
                              f"{self.limits.max_columns}")
        return _Table(index, rows, width, nested)

    def _cell_content(self, cell: etree._Element, nested: list[_Table]) -> _Content:
        builder = _ContentBuilder()
        box = cell_checkbox(cell)
        if box is not None:  # the cell's text is only the box's glyph
            builder.paragraph([box])
            return builder.build()
        before = len(nested)
        self._fill(builder, cell, nested)
        return builder.build(holds_table=len(nested) > before)

    def _fill(self, builder: _ContentBuilder, container: etree._Element,
              nested: list[_Table]) -> None:
        for child in container:
            if child.tag == _P:
                builder.paragraph(_tokens(child))
            elif child.tag == _TBL:
                nested.append(self.table(child))
            elif child.tag == _SDT:
                control = _block_control(child)
                if control is None:
                    self._fill(builder, _find(child, _SDT_CONTENT), nested)
                else:
                    builder.paragraph([control])
            elif child.tag == _CUSTOM_XML:
                self._fill(builder, child, nested)


def _block_control(sdt: etree._Element) -> _Sdt | None:
    """A content control around whole paragraphs that is an answer slot: typed (text, date,
    list) or showing its placeholder. An untyped one around several paragraphs or a table is
    a wrapper whose content reads as usual."""
    control = _content_control(sdt)
    if not isinstance(control, _Sdt):
        return None
    properties = _find(sdt, _SDT_PR)
    typed = any(properties.find(_w(kind)) is not None for kind in _ANSWER_CONTROL_TYPES)
    content = _find(sdt, _SDT_CONTENT)
    if typed or properties.find(_w("showingPlcHdr")) is not None:
        return control
    return control if content.find(_TBL) is None and len(content.findall(_P)) == 1 else None


def cell_checkbox(cell: etree._Element) -> _Box | None:
    """The checkbox of a cell that is itself a checkbox content control (a w:sdt around the
    w:tc), or None."""
    parent = cell.getparent()
    if parent is None or parent.tag != _SDT_CONTENT:
        return None
    control = _content_control(parent.getparent())
    return control if isinstance(control, _Box) else None


def _children(element: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Rows of a table or cells of a row, looking through content-control and custom-XML
    wrappers."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


def _int_property(properties: etree._Element | None, name: str, default: int) -> int:
    if properties is None:
        return default
    found = properties.find(_w(name))
    value = found.get(_VAL, "") if found is not None else ""
    return int(value) if value.isdigit() else default


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

    def __init__(self, table: _Table, section: str, caption: str,
                 lead: _Prompt | None = None) -> None:
        self.table = table
        self.section = section
        self.caption = caption
        self.lead = lead  # the paragraph above the table that asks to choose ("Check one.")
        self.reading = _Reading()
        self.paired: int | None = None  # the answer row of the last prompt paired with one
        self.headers: dict[int, _TableCell] = {}  # column -> header cell in force
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

    def _title_row(self, r: int, cell: _TableCell) -> int:
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
        if _COMMENT_LABEL.match(label) and fields and fields[-1].comment_location is None:
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

    def _is_filled_pair(self, anchors: list[_TableCell]) -> bool:
        """A label next to a value already written in a value column ("Name | Jane Doe"): a
        row of a filled form, not column names."""
        return any(_is_label(left) and cell.column in self.value_columns and cell.text and
                   not cell.content.groups and not _is_hint(cell.text, left.text)
                   for left, cell in itertools.pairwise(anchors))

    def _has_label_value(self, anchors: list[_TableCell]) -> bool:
        """A label next to an empty answer cell ("Street Address | "): a row of questions."""
        return any(_is_label(left) and cell.column in self.value_columns and
                   (cell.content.empty or (cell.content.groups and not cell.content.prompted))
                   for left, cell in itertools.pairwise(anchors))

    def _pair(self, prompt: _Prompt, r: int) -> None:
        """A prompt row over an answer row: the answer goes in the first cell below."""
        answer = self.table.anchors(r)[0]
        self._slot_field(prompt.text, prompt.location, answer, "")
        self.paired = r

    def _is_header_row(self, r: int, anchors: list[_TableCell]) -> bool:
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

    def _is_data_table(self, r: int, anchors: list[_TableCell]) -> bool:
        rows = self.table.rows
        after = range(r + 1, len(rows))
        return len(anchors) >= 2 and all(a.text and not a.content.groups for a in anchors) and \
            len(after) >= 2 and all(a.content.empty for a in self.table.anchors(len(rows) - 1)) \
            and all(not a.content.groups for i in after for a in self.table.anchors(i))

    def _header_row(self, r: int, anchors: list[_TableCell]) -> int:
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

    def _checkbox_row(self, r: int, anchors: list[_TableCell], title: _Prompt | None) -> int:
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

    def _label_value_row(self, anchors: list[_TableCell]) -> None:
        """Label | value pairs across a row; a cell with its own prompt and controls stands
        alone; text left over is guidance."""
        ref = ""
        cells = list(anchors)
        if len(cells) >= 3 and cells[0].text and _is_ref(cells[0].text) and cells[1].text:
            ref = one_line(cells[0].text)
            cells = cells[1:]
        label: _TableCell | None = None
        leftover: list[_TableCell] = []
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

    def _is_value(self, cell: _TableCell) -> bool:
        return cell.column in self.value_columns or bool(_BRACKETED.match(cell.text))

    def _header_text(self, column: int) -> str:
        header = self.headers.get(column)
        return one_line(header.text) if header is not None else ""

    # -- fields
    def _slot_field(self, text: str, question_location: Location, cell: _TableCell,
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

    def _group_field(self, text: str, question_location: Location, cell: _TableCell,
                     group: _Group, ref: str) -> None:
        options = tuple(o for o in group.options if o)
        self.reading.fields.append(_Field(text, question_location, cell.at(group), self.section,
                                          options, group.value, ref))



def _is_label(cell: _TableCell) -> bool:
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
        if line.rstrip().endswith(":") or _COMMENT_LABEL.match(label):
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


def _value_columns(table: _Table) -> set[int]:
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


def _form_columns(table: _Table) -> set[int]:
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


def _grid(table: _Table, section: str) -> Grid:
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


def _grid_cell(cell: _TableCell) -> Cell:
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


def _read_table(table: _Table, section: str, caption: str, lead: _Prompt | None = None
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


def _reads_more(table: _Table, section: str, caption: str, questions: list[Question]) -> bool:
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

    table: _Table
    ref: str
    title: _Prompt


def _titled(table: _Table) -> _Titled | None:
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
    reading.skipped.extend(Skipped(f.question_location, "secondary_field", _label(f.text))
                           for f in fields if f is not main and f is not comment)
    return reading


# ---------------------------------------------------------------------------------------------
# The body


@dataclass
class _BodyReader:
    items: list[_Item]
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
            if isinstance(item, _Table):
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
    def _table(self, table: _Table, i: int) -> None:
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
                if not isinstance(item, _Paragraph) or item.text or item.content.groups:
                    break
                j += step
            if 0 <= j < len(self.items):
                item = self.items[j]
                if isinstance(item, _Paragraph) and item.kind == "caption" and item.text:
                    return _CAPTION_LABEL.sub("", item.text).strip() or item.text
        return ""

    def _lead(self, i: int) -> _Prompt | None:
        """The paragraph just above a table that asks to choose from it ("Check one."), after
        the short title it completes ("Threshold Analysis"), if any."""
        above = [item for item in self.items[max(0, i - 4):i] if
                 not isinstance(item, _Paragraph) or item.text or item.content.groups]
        if not above or not _is_plain(above[-1]) or not _CHOOSE.match(above[-1].text):
            return None
        asking = above[-1]
        titled = len(above) >= 2 and _is_plain(above[-2]) and _is_section_title(above[-2].text)
        text = f"{above[-2].text}: {asking.text}" if titled else asking.text
        return _Prompt(text, asking.location)

    # -- paragraphs; returns the items taken as this one's answer (and guidance before it)
    def _paragraph(self, paragraph: _Paragraph, i: int) -> list[int]:
        if paragraph.content.groups:
            self._paragraph_controls(paragraph, i)
            return []
        text = paragraph.text
        if text and _asks(text) and (boxed := self._answer_box(paragraph, i)):
            return boxed
        following = self.items[i + 1] if i + 1 < len(self.items) else None
        if not text or not looks_like_question(text) or not isinstance(following, _Paragraph) \
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

    def _answer_box(self, paragraph: _Paragraph, i: int) -> list[int]:
        """A question paragraph over its answer box: a table of one cell below it (blank
        lines and "Instructions:" boxes between), empty, a bare content control, a hint, or
        the answer once written. Returns the items it took, or [] when no box follows."""
        taken: list[int] = []
        guidance: list[Skipped] = []
        for j in range(i + 1, len(self.items)):
            item = self.items[j]
            if isinstance(item, _Paragraph):
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

    def _paragraph_controls(self, paragraph: _Paragraph, i: int) -> None:
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

    def _label_above(self, i: int) -> _Paragraph | None:
        """The paragraph that labels a control standing on its own line."""
        j = i - 1
        while j >= 0:
            item = self.items[j]
            if not isinstance(item, _Paragraph) or item.kind != "body" or item.content.groups:
                return None
            if item.text:
                return item
            j -= 1
        return None


def _is_plain(item: _Item) -> bool:
    """A body paragraph of text alone."""
    return isinstance(item, _Paragraph) and item.kind == "body" and bool(item.text) and \
        not item.content.groups


def _box_cell(table: _Table) -> _TableCell | None:
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


def _has_choice(table: _Table) -> bool:
    return any(g.options for row in table.rows for c in row for g in c.content.groups)


def _all_nested(table: _Table) -> Iterator[_Table]:
    for nested in table.nested:
        yield nested
        yield from _all_nested(nested)


# ---------------------------------------------------------------------------------------------
# Entry point


def parse_docx(data: bytes, limits: Limits) -> Questionnaire:
    """Questions, answer slots and skipped blocks of a Word questionnaire."""
    try:
        document, styles = _load(data, limits)
        body = document.find(_w("body"))
        if body is None:
            raise IngestError("the Word document has no body")
        table_numbers = {t: i for i, t in enumerate(body.iter(_TBL))}
        if len(table_numbers) > limits.max_tables:
            raise IngestError(f"the document has {len(table_numbers)} tables, over the limit of "
                              f"{limits.max_tables}")
        reader = _Document(_read_styles(styles), table_numbers, limits)
        questionnaire = Questionnaire(format="docx")
        _BodyReader(list(reader.body(body)), questionnaire).read()
        return questionnaire
    except IngestError:
        raise
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise IngestError(f"the Word document is corrupt: {one_line(str(exc))}") from None
    except Exception as exc:  # a reader bug must still reach the user as one clear line
        raise IngestError(f"could not read the Word document: {type(exc).__name__}: "
                          f"{one_line(str(exc))}") from None


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False)


def _load(
    data: bytes, limits: Limits = DEFAULT_LIMITS
) -> tuple[etree._Element, etree._Element | None]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        main = _target(archive, names, "_rels/.rels", "", _OFFICE_DOCUMENT) or "word/document.xml"
        size = archive.getinfo(main).file_size
        if size > limits.max_document_bytes:
            # parsed whole: reading it takes over ten times its size in memory
            raise IngestError(f"the Word document's text is {size / 1e6:.0f} MB of XML, over the "
                              f"{limits.max_document_bytes / 1e6:.0f} MB limit")
        folder, name = posixpath.split(main)
        styles = _target(archive, names, posixpath.join(folder, "_rels", f"{name}.rels"), folder,
                         _STYLES)
        document = etree.fromstring(archive.read(main), _PARSER)
        style_root = etree.fromstring(archive.read(styles), _PARSER) if styles else None
    return document, style_root


def _target(archive: zipfile.ZipFile, names: set[str], rels: str, folder: str,
            relationship: str) -> str | None:
    if rels not in names:
        return None
    for rel in etree.fromstring(archive.read(rels), _PARSER):
        if rel.get("Type") == relationship and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(folder, target))
            return path if path in names else None
    return None
