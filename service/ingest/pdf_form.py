"""Fillable PDF forms (AcroForm): each field is a question, labelled from the text printed beside
it, since field names are often meaningless ("1", "CSO aligned" for a service description).

A field's slot is `Location(kind="field", field=<full name>, page, box)`: export sets the field
itself. Text and choice fields take text (a choice one of its options); a group of radio
buttons or checkboxes offers the labels printed beside its buttons, option i being the i-th
button in reading order (page, top, left), whose export value is written; a lone checkbox has
one option, Yes (ticked).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pdfminer.pdftypes import resolve1
from pdfminer.psparser import PSLiteral

from .model import Location, Question, Skipped
from .text import clean, infer_answer_type, is_placeholder, one_line

Box = tuple[float, float, float, float]  # x0, top, x1, bottom in points, origin top-left
FieldKind = Literal["text", "choice", "radio", "checkbox"]

_RADIO, _PUSHBUTTON = 1 << 15, 1 << 16  # button field flags (PDF 32000-1, table 226)
_HIDDEN, _NO_VIEW = 1 << 1, 1 << 5  # annotation flags: never shown
# A printed number leading a label: "1.1", "1.8 a", "2.", "A.3)".
_NUMBER = re.compile(r"^(?P<number>\d+(?:\.\d+)*(?:\s?[a-z](?![a-z]))?|[A-Z]\.\d+(?:\.\d+)*)"
                     r"[.):]?(?=\s|$)\s*")
_LINE_GAP = 1.6  # lines further apart than this many line heights belong to other blocks
_HEADING_REACH = 6.0  # how many line heights above its block a numbered heading may stand


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Widget:
    """One place a field shows on a page (a text box, or one radio button)."""

    name: str  # the field's full name ("parent.child")
    kind: FieldKind
    page: int
    box: Box
    state: str  # a button's export value when on ("" for other fields)
    value: str | None  # the field's value
    choices: tuple[str, ...] = ()  # a choice field's options


@dataclass
class FormField:
    name: str
    kind: FieldKind
    widgets: list[Widget] = field(default_factory=list)

    @property
    def value(self) -> str | None:
        return self.widgets[0].value

    @property
    def location(self) -> Location:
        first = self.widgets[0]
        return Location(kind="field", field=self.name, page=first.page, box=_rounded(first.box))


def widgets(annotations: object, page: int, top: float) -> list[Widget]:
    """The form widgets among a page's annotations (its /Annots, as pdfminer holds them;
    `top` is the page's top edge, to measure boxes from the top like the words)."""
    found = []
    for annotation in resolve1(annotations) or []:
        data = resolve1(annotation)
        if not isinstance(data, dict) or _name(data.get("Subtype")) != "Widget":
            continue
        flags = resolve1(data.get("F"))
        if isinstance(flags, int) and flags & (_HIDDEN | _NO_VIEW):
            continue
        box = _box_of(resolve1(data.get("Rect")), top)
        if box is None:
            continue
        chain = _field_chain(data)
        name = ".".join(_text(d.get("T")) for d in reversed(chain) if d.get("T") is not None)
        field_type = _name(_inherited(chain, "FT"))
        field_flags = _inherited(chain, "Ff")
        field_flags = field_flags if isinstance(field_flags, int) else 0
        kind: FieldKind
        if field_type == "Btn" and not field_flags & _PUSHBUTTON:
            kind = "radio" if field_flags & _RADIO else "checkbox"
        elif field_type in ("Tx", "Ch"):
            kind = "text" if field_type == "Tx" else "choice"
        else:
            continue  # a signature, a push button that runs an action: nothing to fill
        if not name:
            continue
        value = _inherited(chain, "V")
        found.append(Widget(name, kind, page, box,
                            _on_state(data) if kind in ("radio", "checkbox") else "",
                            _text(value) if value is not None else None,
                            _choice_options(_inherited(chain, "Opt"))))
    return found


def _box_of(rect: object, top: float) -> Box | None:
    """A /Rect as (x0, top, x1, bottom) from the page's top edge; None when it has no area."""
    if not isinstance(rect, list) or len(rect) != 4:
        return None
    try:
        x0, y0, x1, y1 = (float(resolve1(v)) for v in rect)
    except (TypeError, ValueError):
        return None
    x0, x1, y0, y1 = min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return x0, top - y1, x1, top - y0


def _field_chain(data: dict) -> list[dict]:
    """The widget's dictionary and its field ancestors, nearest first."""
    chain = [data]
    seen = {id(data)}
    parent = resolve1(data.get("Parent"))
    while isinstance(parent, dict) and id(parent) not in seen and len(chain) < 20:
        chain.append(parent)
        seen.add(id(parent))
        parent = resolve1(parent.get("Parent"))
    return chain


def _inherited(chain: list[dict], key: str) -> object:
    for dictionary in chain:
        if key in dictionary:
            return resolve1(dictionary[key])
    return None


def _name(value: object) -> str:
    value = resolve1(value)
    if isinstance(value, PSLiteral):
        return str(value.name)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value) if value is not None else ""


def _text(value: object) -> str:
    """A PDF text string (PDFDocEncoding or UTF-16 with its byte-order mark), or a name."""
    value = resolve1(value)
    if isinstance(value, bytes):
        if value.startswith((b"\xfe\xff", b"\xff\xfe")):
            return clean(value.decode("utf-16", errors="replace"))
        return clean(value.decode("latin-1"))
    return clean(_name(value))


def _on_state(data: dict) -> str:
    """A button's export value: the name of its 'on' appearance."""
    appearances = resolve1(data.get("AP"))
    normal = resolve1(appearances.get("N")) if isinstance(appearances, dict) else None
    states = [str(k) for k in normal] if isinstance(normal, dict) else []
    return next((s for s in states if s != "Off"), "Yes")


def _choice_options(options: object) -> tuple[str, ...]:
    """A choice field's options as shown ([export, display] pairs show their display text)."""
    items = resolve1(options)
    if not isinstance(items, list):
        return ()
    shown = []
    for item in items:
        item = resolve1(item)
        if isinstance(item, list) and item:
            item = resolve1(item[-1])
        text = _text(item)
        if text:
            shown.append(text)
    return tuple(dict.fromkeys(shown))


def fields_of(found: Iterable[Widget]) -> list[FormField]:
    """Widgets grouped into their fields, fields and buttons in reading order."""
    by_name: dict[str, FormField] = {}
    for widget in found:
        by_name.setdefault(widget.name, FormField(widget.name, widget.kind)).widgets.append(widget)
    for form_field in by_name.values():
        form_field.widgets.sort(key=_reading_order)
    return sorted(by_name.values(), key=lambda f: _reading_order(f.widgets[0]))


def _reading_order(widget: Widget) -> tuple[int, float, float]:
    return widget.page, round(widget.box[1]), widget.box[0]


# ---------------------------------------------------------------------------------------------
# Labels: the text printed beside each field


@dataclass
class _Page:
    lines: list[list[Word]]
    boxes: list[Box]  # where the page's fields show
    buttons: list[Box]  # the page's buttons: the words right of one are its option
    claimed: set[int] = field(default_factory=set)  # id() of words taken as a field's label

    def free(self, line: list[Word]) -> list[Word]:
        """The words of a line neither taken as a label nor printed as a button's option."""
        return [w for w in line if id(w) not in self.claimed and not any(
            _same_line(b, _box(w)) and b[2] <= w.x0 + 1 for b in self.buttons)]

    def claim(self, words: list[Word]) -> None:
        self.claimed.update(id(w) for w in words)


def form_questions(fields: list[FormField], words: dict[int, list[Word]]
                   ) -> tuple[list[Question], list[Skipped]]:
    """A question per labelled field; fields with no text beside them are reported."""
    pages = {number: _Page(
        _lines(page_words),
        [w.box for f in fields for w in f.widgets if w.page == number],
        [w.box for f in fields if f.kind in ("radio", "checkbox") for w in f.widgets
         if w.page == number]) for number, page_words in words.items()}
    questions: list[Question] = []
    skipped: list[Skipped] = []
    for form_field in fields:  # in reading order: a label goes to the first field it fits
        page = pages.get(form_field.widgets[0].page)
        label, label_box = _label(form_field, page) if page else ("", (0.0,) * 4)
        if not label:
            skipped.append(Skipped(form_field.location, "unlabelled_field", form_field.name))
            continue
        ref, text = _printed_number(label)
        text = one_line(text).rstrip(" :")
        options = _options(form_field, page)
        existing = _existing(form_field, options, text)
        if existing is None and form_field.value and form_field.kind == "text":
            skipped.append(Skipped(form_field.location, "placeholder", form_field.value))
        questions.append(Question(
            ref=ref, text=text, section="", answer_type=infer_answer_type(text, options),
            options=options, question_location=_location(form_field.widgets[0].page, label_box),
            answer_location=form_field.location, existing_answer=existing,
            ref_generated=not ref))
    return questions, skipped


def _lines(words: list[Word]) -> list[list[Word]]:
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        middle = (word.top + word.bottom) / 2
        if lines and lines[-1][0].top - 0.5 <= middle <= lines[-1][0].bottom + 0.5:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _label(form_field: FormField, page: _Page) -> tuple[str, Box]:
    """The text that asks for the field: the words left of it on its line (when it is the
    nearest field to their right), else the block of lines just above it, within its width
    (for buttons, with their printed options), and the numbered heading that block is under."""
    box = form_field.widgets[0].box
    left = [w for line in page.lines for w in page.free(line)
            if _same_line(_box(w), box) and w.x1 <= box[0] + 1 and
            _nearest_field_right(w, page.boxes) == box]
    if _lone_checkbox(form_field):  # "[ ] We confirm …": the statement the box confirms
        left += _option_words(form_field.widgets[0], page)
    if not left:
        buttons = form_field.kind in ("radio", "checkbox")
        span = _group_span(form_field, page) if buttons else (box[0], box[2])
        left = _block_above(page, box, span)
    page.claim(left)
    return (_joined(left), _union(_box(w) for w in left)) if left else ("", box)


def _nearest_field_right(word: Word, boxes: list[Box]) -> Box | None:
    right = [b for b in boxes if b[0] >= word.x1 - 1 and _same_line(b, _box(word))]
    return min(right, key=lambda b: b[0] - word.x1, default=None)


def _block_above(page: _Page, box: Box, span: tuple[float, float]) -> list[Word]:
    """The lines right above the field that reach into its width, up to a blank gap, and the
    numbered heading over them when they do not start with one."""
    block: list[list[Word]] = []
    limit = box[1]
    for line in reversed([line for line in page.lines if line[0].bottom <= box[1] + 2]):
        words = _segment(page.free(line), span)
        if not words:
            continue
        height = max(w.bottom - w.top for w in words)
        gap = limit - max(w.bottom for w in words)
        if gap > _LINE_GAP * height:
            heading = bool(block) and not _NUMBER.match(_joined(block[0])) and \
                bool(_NUMBER.match(_joined(words))) and gap <= _HEADING_REACH * height
            if heading:  # the item's heading over its guidance
                block.insert(0, words)
            break
        block.insert(0, words)
        limit = min(w.top for w in words)
    return [w for words in block for w in words]


def _segment(line: list[Word], span: tuple[float, float]) -> list[Word]:
    """The run of a line's words (split at wide gaps) that reaches into `span`."""
    runs: list[list[Word]] = []
    for word in line:
        if runs and word.x0 - runs[-1][-1].x1 <= 2 * (word.bottom - word.top):
            runs[-1].append(word)
        else:
            runs.append([word])
    inside = [run for run in runs if run[-1].x1 > span[0] - 2 and run[0].x0 < span[1] + 2]
    return max(inside, key=lambda run: min(run[-1].x1, span[1]) - max(run[0].x0, span[0]),
               default=[])


def _group_span(form_field: FormField, page: _Page) -> tuple[float, float]:
    """The horizontal extent of a button group with the labels printed beside its buttons."""
    x0 = min(w.box[0] for w in form_field.widgets)
    x1 = max(w.box[2] for w in form_field.widgets)
    for widget in form_field.widgets:
        x1 = max([x1] + [w.x1 for w in _option_words(widget, page)])
    return x0, x1


def _option_words(widget: Widget, page: _Page) -> list[Word]:
    """The words right of a button on its line, up to the next field or a wide gap."""
    stop = min((b[0] for b in page.boxes if _same_line(b, widget.box) and b[0] > widget.box[2]),
               default=float("inf"))
    words: list[Word] = []
    for line in page.lines:
        if not _same_line(_union(_box(w) for w in line), widget.box):
            continue
        for word in line:
            if widget.box[2] - 1 <= word.x0 < stop:
                edge = words[-1].x1 if words else widget.box[2]
                if word.x0 - edge > 3 * (word.bottom - word.top):
                    break
                words.append(word)
    return words


def _options(form_field: FormField, page: _Page | None) -> tuple[str, ...]:
    if form_field.kind == "choice":
        return form_field.widgets[0].choices
    if form_field.kind == "text":
        return ()
    if _lone_checkbox(form_field):
        return ("Yes",)  # ticked; "no" is a box left empty, which nothing tells from unanswered
    labels = [_joined(_option_words(w, page)) if page else "" for w in form_field.widgets]
    # a button with nothing printed beside it is named by its export value
    return tuple(label or widget.state for label, widget in
                 zip(labels, form_field.widgets, strict=True))


def _existing(form_field: FormField, options: tuple[str, ...], text: str) -> str | None:
    value = form_field.value
    if not value or value == "Off":
        return None
    if form_field.kind == "text":
        return None if is_placeholder(value, text) else value
    if form_field.kind == "choice":
        return value
    if _lone_checkbox(form_field):
        return "Yes"
    chosen = [o for o, w in zip(options, form_field.widgets, strict=True) if w.state == value]
    return "; ".join(chosen) or None


def _lone_checkbox(form_field: FormField) -> bool:
    return form_field.kind == "checkbox" and len(form_field.widgets) == 1


def _printed_number(label: str) -> tuple[str, str]:
    """('1.8a', 'Do you own …?') for '1.8 a Do you own …?'."""
    found = _NUMBER.match(label)
    if not found:
        return "", label
    return found.group("number").replace(" ", ""), label[found.end():]


# ---------------------------------------------------------------------------------------------
# Geometry


def _box(word: Word) -> Box:
    return word.x0, word.top, word.x1, word.bottom


def _union(boxes: Iterable[Box]) -> Box:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def _same_line(a: Box, b: Box) -> bool:
    """Vertically overlapping by at least half the smaller height."""
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= 0.5 * min(a[3] - a[1], b[3] - b[1])


def _joined(words: list[Word]) -> str:
    return one_line(" ".join(w.text for w in words))


def _rounded(box: Box) -> Box:
    x0, top, x1, bottom = (round(v, 1) for v in box)
    return x0, top, x1, bottom


def _location(page: int, box: Box) -> Location:
    return Location(kind="page", page=page, box=_rounded(box))
