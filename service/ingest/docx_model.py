"""A Word document as a sequence of paragraphs and tables, each with its text and form controls,
numbered the way answer slots are located:

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

What the paragraphs and cells mean (questions, answers, sections) is read in docx.py.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from lxml import etree

from .model import IngestError, Location
from .ooxml import (
    BLANK,
    CUSTOM_XML,
    PARSER,
    SDT,
    SDT_CONTENT,
    STYLES,
    TBL,
    TC,
    TR,
    VAL,
    Box,
    P,
    Sdt,
    block_control,
    cell_checkbox,
    children,
    find,
    int_property,
    is_on,
    main_document,
    related_part,
    tokens,
    w,
)
from .source import DEFAULT_LIMITS, Limits
from .text import clean, one_line

ParagraphKind = Literal["heading", "caption", "body"]


class Blank:
    """A run of underscores where an answer is written."""


Piece = str | Box | Sdt | Blank


@dataclass(frozen=True)
class Group:
    """Form controls answered together: checkboxes whose labels are the options, one content
    control, or one underscore blank."""

    prompt: str  # text just before the controls that asks for them ("" when none)
    control: Literal["checkbox", "content_control", "placeholder"]
    index: int  # position of the first control among the cell's/paragraph's controls of that kind
    options: tuple[str, ...] = ()
    value: str | None = None  # ticked labels, chosen item or typed text; None when unanswered


@dataclass(frozen=True)
class Content:
    text: str  # visible text that is neither a checkbox label nor a control's value
    groups: tuple[Group, ...] = ()
    holds_table: bool = False  # a cell with a nested table is not a free answer slot

    @property
    def empty(self) -> bool:
        return not self.text and not self.groups and not self.holds_table

    @property
    def prompted(self) -> bool:
        return any(g.prompt for g in self.groups)


def _split_blanks(run: list[Piece]) -> list[Piece]:
    """Merge neighbouring text and cut it at underscore blanks."""
    merged: list[Piece] = []
    for token in run:
        if isinstance(token, str) and merged and isinstance(merged[-1], str):
            merged[-1] += token
        else:
            merged.append(token)
    out: list[Piece] = []
    for token in merged:
        if not isinstance(token, str):
            out.append(token)
            continue
        pieces = BLANK.split(token)
        for i, piece in enumerate(pieces):
            if i:
                out.append(Blank())
            out.append(piece)
    return out


def label_text(text: str) -> str:
    """A label as a prompt: one line, without the colon or tab that leads to its slot."""
    return one_line(clean(text)).strip(" :\t")


@dataclass
class _ContentBuilder:
    """Turns the paragraphs of a cell (or one body paragraph) into prompt text and groups."""

    texts: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # text waiting to become a group's prompt
    groups: list[Group] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"checkbox": 0, "content_control": 0,
                                                            "placeholder": 0})
    open_boxes: bool = False  # the last group is a checkbox list later paragraphs may extend

    def paragraph(self, run: list[Piece]) -> None:
        pieces = _split_blanks(run)
        if any(isinstance(p, Box) for p in pieces):
            self._box_paragraph(pieces)
            return
        line = ""
        for k, piece in enumerate(pieces):
            if isinstance(piece, str):
                line += piece
            elif isinstance(piece, Sdt) and _inside_sentence(piece, pieces[k + 1:]):
                line += piece.shown
                self.counts["content_control"] += 1  # still numbered: writers count every control
            elif isinstance(piece, Sdt):
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
        prompt = label_text(" ".join([*self.pending, prefix]))
        self.groups.append(Group(prompt, control, self.counts[control], options, value))
        self.counts[control] += count
        self.pending = []
        self.open_boxes = False

    def _box_paragraph(self, pieces: list[Piece]) -> None:
        segments: list[str] = [""]
        boxes: list[Box] = []
        for piece in pieces:
            if isinstance(piece, Box):
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
        options = tuple(label_text(text) for text in labels)
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

    def build(self, holds_table: bool = False) -> Content:
        return Content("\n".join(self.texts), tuple(self.groups), holds_table)


def _inside_sentence(control: Sdt, rest: list[Piece]) -> bool:
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


@dataclass(frozen=True)
class _Styles:
    kinds: dict[str, ParagraphKind]
    numbered: frozenset[str]
    default: ParagraphKind = "body"

    def kind(self, paragraph: etree._Element) -> ParagraphKind:
        properties = paragraph.find(w("pPr"))
        style = None
        if properties is not None:
            outline = properties.find(w("outlineLvl"))
            if outline is not None and outline.get(VAL, "9").isdigit() and \
                    int(outline.get(VAL, "9")) < 9:
                return "heading"
            style = properties.find(w("pStyle"))
        if style is None:
            return self.default
        return self.kinds.get(style.get(VAL, ""), "body")

    def is_numbered(self, paragraph: etree._Element) -> bool:
        properties = paragraph.find(w("pPr"))
        if properties is None:
            return False
        if properties.find(w("numPr")) is not None:
            return True
        style = properties.find(w("pStyle"))
        return style is not None and style.get(VAL, "") in self.numbered


def _read_styles(root: etree._Element | None) -> _Styles:
    if root is None:
        return _Styles({}, frozenset())
    table: dict[str, etree._Element] = {}
    default = ""
    for style in root.iter(w("style")):
        if style.get(w("type")) == "paragraph" and style.get(w("styleId")):
            table[style.get(w("styleId"), "")] = style
            if is_on(style, w("default")) and style.get(w("default")) is not None:
                default = style.get(w("styleId"), "")
    kinds = {style_id: _style_kind(style_id, table) for style_id in table}
    numbered = frozenset(i for i in table if _inherits(i, table, f"{w('pPr')}/{w('numPr')}"))
    return _Styles(kinds, numbered, kinds.get(default, "body"))


def _chain(style_id: str, table: dict[str, etree._Element]) -> Iterator[etree._Element]:
    seen: set[str] = set()
    while style_id in table and style_id not in seen:
        seen.add(style_id)
        style = table[style_id]
        yield style
        based_on = style.find(w("basedOn"))
        style_id = based_on.get(VAL, "") if based_on is not None else ""


def _inherits(style_id: str, table: dict[str, etree._Element], path: str) -> bool:
    return any(style.find(path) is not None for style in _chain(style_id, table))


def _style_kind(style_id: str, table: dict[str, etree._Element]) -> ParagraphKind:
    names = []
    for style in _chain(style_id, table):
        name = style.find(w("name"))
        names.append((name.get(VAL, "") if name is not None else "").lower())
    if any("caption" in name for name in names):
        return "caption"
    for style in _chain(style_id, table):
        outline = style.find(f"{w('pPr')}/{w('outlineLvl')}")
        if outline is not None and outline.get(VAL, "9").isdigit():
            return "heading" if int(outline.get(VAL, "9")) < 9 else "body"
    if any(re.fullmatch(r"heading \d|title|subtitle", name) for name in names):
        return "heading"
    return "body"


@dataclass(frozen=True)
class Paragraph:
    index: int
    kind: ParagraphKind
    numbered: bool
    content: Content

    @property
    def text(self) -> str:
        return one_line(self.content.text)

    @property
    def location(self) -> Location:
        return Location(kind="paragraph", paragraph=self.index)


@dataclass(frozen=True)
class TableCell:
    column: int
    span: int
    content: Content
    covered: bool  # continues a vertical merge: its content lives in the cell above
    location: Location  # the cell's own, or the merge anchor's for a covered cell

    @property
    def text(self) -> str:
        return self.content.text

    def at(self, group: Group) -> Location:
        return replace(self.location, control=group.control, index=group.index)


@dataclass(frozen=True)
class Table:
    index: int
    rows: list[list[TableCell]]  # cells in column order, covered ones included
    width: int
    nested: list[Table]

    def anchors(self, r: int) -> list[TableCell]:
        return [c for c in self.rows[r] if not c.covered]


Item = Paragraph | Table


@dataclass
class _Reader:
    styles: _Styles
    table_numbers: dict[etree._Element, int]
    limits: Limits
    paragraphs: int = 0

    def body(self, container: etree._Element) -> Iterator[Item]:
        for child in container:
            if child.tag == P:
                yield self._paragraph(child)
            elif child.tag == TBL:
                yield self.table(child)
            elif child.tag == SDT:
                control = block_control(child)
                content = find(child, SDT_CONTENT)
                if control is None:
                    yield from self.body(content)
                else:  # the control's first paragraph is its slot; the rest only count
                    for i, paragraph in enumerate(content.findall(P)):
                        yield self._paragraph(paragraph, [control] if i == 0 else [])
            elif child.tag == CUSTOM_XML:
                yield from self.body(child)

    def _paragraph(self, element: etree._Element, run: list[Piece] | None = None
                   ) -> Paragraph:
        builder = _ContentBuilder()
        builder.paragraph(tokens(element) if run is None else run)
        index = self.paragraphs
        self.paragraphs += 1
        return Paragraph(index, self.styles.kind(element), self.styles.is_numbered(element),
                          builder.build())

    def table(self, element: etree._Element) -> Table:
        index = self.table_numbers[element]
        rows: list[list[TableCell]] = []
        nested: list[Table] = []
        anchors: dict[int, Location] = {}  # column -> location of the open vertical merge
        for r, row in enumerate(children(element, TR)):
            if r >= self.limits.max_rows:
                raise IngestError(f"table {index} has more than {self.limits.max_rows} rows")
            cells: list[TableCell] = []
            column = int_property(row.find(w("trPr")), "gridBefore", 0)
            for cell in children(row, TC):
                properties = cell.find(w("tcPr"))
                span = max(1, int_property(properties, "gridSpan", 1))
                merge = properties.find(w("vMerge")) if properties is not None else None
                own = Location(kind="table", table=index, row=r, column=column)
                covered = merge is not None and merge.get(VAL, "continue") == "continue" and \
                    column in anchors
                if covered:
                    content = Content("")
                    location = anchors[column]
                else:
                    content = self._cell_content(cell, nested)
                    location = own
                    if merge is not None:
                        anchors[column] = own
                    else:
                        anchors.pop(column, None)
                cells.append(TableCell(column, span, content, covered, location))
                column += span
            rows.append(cells)
        width = max((c.column + c.span for row in rows for c in row), default=0)
        if width > self.limits.max_columns:
            raise IngestError(f"table {index} has {width} columns, over the limit of "
                              f"{self.limits.max_columns}")
        return Table(index, rows, width, nested)

    def _cell_content(self, cell: etree._Element, nested: list[Table]) -> Content:
        builder = _ContentBuilder()
        box = cell_checkbox(cell)
        if box is not None:  # the cell's text is only the box's glyph
            builder.paragraph([box])
            return builder.build()
        before = len(nested)
        self._fill(builder, cell, nested)
        return builder.build(holds_table=len(nested) > before)

    def _fill(self, builder: _ContentBuilder, container: etree._Element,
              nested: list[Table]) -> None:
        for child in container:
            if child.tag == P:
                builder.paragraph(tokens(child))
            elif child.tag == TBL:
                nested.append(self.table(child))
            elif child.tag == SDT:
                control = block_control(child)
                if control is None:
                    self._fill(builder, find(child, SDT_CONTENT), nested)
                else:
                    builder.paragraph([control])
            elif child.tag == CUSTOM_XML:
                self._fill(builder, child, nested)


def _load(data: bytes, limits: Limits) -> tuple[etree._Element, etree._Element | None]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        main = main_document(archive)
        size = archive.getinfo(main).file_size
        if size > limits.max_document_bytes:
            # parsed whole: reading it takes over ten times its size in memory
            raise IngestError(f"the Word document's text is {size / 1e6:.0f} MB of XML, over the "
                              f"{limits.max_document_bytes / 1e6:.0f} MB limit")
        styles = related_part(archive, main, STYLES)
        document = etree.fromstring(archive.read(main), PARSER)
        style_root = etree.fromstring(archive.read(styles), PARSER) if styles else None
    return document, style_root


def read_body(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[Item]:
    """The paragraphs and tables of a .docx body, in document order, numbered as locations."""
    document, styles = _load(data, limits)
    body = document.find(w("body"))
    if body is None:
        raise IngestError("the Word document has no body")
    table_numbers = {t: i for i, t in enumerate(body.iter(TBL))}
    if len(table_numbers) > limits.max_tables:
        raise IngestError(f"the document has {len(table_numbers)} tables, over the limit of "
                          f"{limits.max_tables}")
    return list(_Reader(_read_styles(styles), table_numbers, limits).body(body))
