"""PDF questionnaires: tables rebuilt from rulings or word positions, forms from labels and boxes.

A PDF has no fillable slot, so every location is a page and a box (x0, top, x1, bottom in PDF
points, origin top-left) of where the answer is or would be printed; a side-car file can be
produced from them later. Nothing in the file is executed: only text and vector graphics are read.

Three kinds of content are recognised, whatever produced the file:
  * ruled tables (cell borders drawn as lines or thin rectangles, outer borders optional);
  * unruled tables, e.g. a spreadsheet printed without gridlines: columns are found where many
    lines start at the same x and no text crosses, rows where the first column has text;
  * forms: "Label:" cells next to value cells, prompts above empty answer cells, check boxes.
Tabular content (a header naming an answer column, or an ID column) goes through
`grid.interpret`; forms are paired here.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import math
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import pdfplumber
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
from pdfminer.pdftypes import resolve1
from pdfminer.psparser import LIT
from pdfplumber.utils.exceptions import PdfminerException

from .grid import Cell, Grid, GridResult, header_roles, interpret
from .model import IngestError, Location, Question, Questionnaire, Skipped
from .pdf_form import FormField, Widget, fields_of, form_questions, widgets
from .pdf_form import Word as FormWord
from .source import Limits
from .text import (
    clean,
    infer_answer_type,
    is_placeholder,
    looks_like_id,
    looks_like_question,
    one_line,
    split_choices,
)

Box = tuple[float, float, float, float]  # x0, top, x1, bottom

_CHECKBOX_SIZE = (5.0, 16.0)  # side of a drawn check box, in points
_MAX_RULES = 3000  # more rules than this on one page is a drawing, not a table
_EMPTY_BOX_GLYPHS = {"☐", "□", "❑", "❒", "\uf06f", "\uf0a8", "\uf071"}  # unicode, Wingdings
_TICKED_BOX_GLYPHS = {"☑", "☒", "\uf0fe", "\uf0fd", "\uf078"}
_TICK_GLYPHS = {"x", "X", "✓", "✔", "✗", "✘", "\uf0fc", "\uf0fb"}
_TOP_MARGIN, _BOTTOM_MARGIN = 0.07, 0.12  # where running headers and footers live (of height)
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$|^[-–]\s*\d{1,4}\s*[-–]$",
                          re.IGNORECASE)
_EXAMPLE_ROW = re.compile(r"^\s*(example|e\.g\.|sample)\b", re.IGNORECASE)
_URL_PREFIX = re.compile(r"(://|^www\.|@)\S*[/.@\-_=?&#]$")
# How the tail of a word broken at a narrow cell's edge begins its line ("Documenta" "tion").
_WORD_ENDINGS = {"tion", "tions", "sion", "ment", "ments", "nt", "nts", "ing", "ings", "ed", "es",
                 "ly", "al", "ity", "ties", "ure", "ance", "ence", "ness", "able", "ible", "ive",
                 "ous", "ers", "ize", "ise", "ate", "ation"}
_SHORT_WORDS = {"a", "an", "and", "as", "at", "be", "by", "do", "for", "from", "if", "in", "is",
                "it", "no", "not", "of", "on", "or", "so", "the", "to", "up", "us", "we", "with",
                "yes", "you"}
_INLINE_LABEL = re.compile(r"^([^:\n]{2,40}):\s+(\S.{0,60})$", re.DOTALL)  # "Title: CISO"
_NOT_A_FIELD = re.compile(r"^(note|notes|example|for example|e\.g|important|warning|tip|hint|"
                          r"source|see|nb)$", re.IGNORECASE)
# a revision history: "Date | Version | Description of change"
_CHANGE_LOG = (re.compile(r"^(date|version|revision|rev\.?)$"),
               re.compile(r"\b(version|revision|change|amendment)s?$"),
               re.compile(r"^(description|changes?|summary|comments?|notes?|details|author)"))
_YES_NO = ("Yes", "No")
_JAVASCRIPT = re.compile(rb"/(JavaScript|JS)\b")
_ENCRYPTED = ("the PDF is encrypted (password-protected): remove the password and upload it "
              "again")
_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_FILTER = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+)")
_INFLATE_STEP = 1 << 20
_ASCII_FILTERS = (b"ASCIIHexDecode", b"AHx", b"ASCII85Decode", b"A85")


# ---------------------------------------------------------------------------------------------
# Entry point


def parse_pdf(data: bytes, limits: Limits) -> Questionnaire:
    if b"%%EOF" not in data[-4096:]:
        raise IngestError("the PDF is truncated or damaged (no end-of-file marker): export or "
                          "download it again")
    _refuse_decompression_bomb(data, limits)
    try:
        pages, notices, form = _read_document(data, limits)
        if form:
            return _form_questionnaire(pages, notices, fields_of(form))
        return _questionnaire(pages, notices)
    except IngestError:
        raise
    except Exception as exc:  # pdfminer raises anything from PSEOF to KeyError on broken files
        cause = exc.args[0] if isinstance(exc, PdfminerException) and exc.args and \
            isinstance(exc.args[0], Exception) else exc
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            raise IngestError(_ENCRYPTED) from None
        detail = one_line(str(cause))[:120]
        raise IngestError(f"the PDF is corrupt or unreadable ({type(cause).__name__}"
                          f"{': ' + detail if detail else ''})") from None


def _refuse_decompression_bomb(data: bytes, limits: Limits) -> None:
    """Measure, bounded, what the Flate streams inflate to before pdfminer inflates them whole.

    pdfminer holds every stream it decodes in memory, and zeros deflate 1000 to 1: a few MB of
    PDF could otherwise fill gigabytes. Streams are found by their keyword (no parser yet);
    ASCIIHex/ASCII85 layers in front of the Flate filter are undone first.
    """
    budget = limits.max_uncompressed_bytes
    measured_to = 0
    for match in _STREAM.finditer(data):
        start = match.end()
        if start < measured_to:
            continue  # the keyword was inside the stream just measured
        head = data[max(0, match.start() - 1024):match.start()]
        filters = _FILTER.findall(head[head.rfind(b"obj") + 1:])
        names = [re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), name)  # /A#385
                 for name in re.findall(rb"/([^\s/\[\]]+)", filters[-1] if filters else b"")]
        body: bytes | memoryview = memoryview(data)[start:]
        if names and names[0] in _ASCII_FILTERS:
            stop = data.find(b"endstream", start)
            body = data[start:stop if stop >= 0 else len(data)]
            while names and names[0] in _ASCII_FILTERS:
                body = _ascii_decoded(body, names.pop(0))
        size, used = _inflated_size(body, budget)
        budget -= size
        if budget < 0:
            raise IngestError("refusing a likely decompression bomb: the PDF's streams expand to "
                              f"more than {limits.max_uncompressed_bytes / 1e6:.0f} MB")
        if isinstance(body, memoryview):
            measured_to = start + used


def _ascii_decoded(body: bytes, name: bytes) -> bytes:
    hexadecimal = name in (b"ASCIIHexDecode", b"AHx")
    end = body.find(b">" if hexadecimal else b"~>")
    body = re.sub(rb"\s", b"", body if end < 0 else body[:end])
    try:
        if hexadecimal:
            return binascii.unhexlify(body + b"0" * (len(body) % 2))
        return base64.a85decode(body)
    except ValueError:
        return b""  # not decodable here: pdfminer will find it damaged too


def _inflated_size(compressed: bytes | memoryview, budget: int) -> tuple[int, int]:
    """How many bytes the zlib stream at the start of `compressed` inflates to (counting stops
    just past `budget`), and how many compressed bytes it took; (0, 0) when it is not zlib."""
    inflater = zlib.decompressobj()
    size = used = 0
    pending: bytes | memoryview = b""
    try:
        while size <= budget and not inflater.eof:
            if not pending:
                pending = compressed[used:used + _INFLATE_STEP]
                if not pending:
                    break
                used += len(pending)
            size += len(inflater.decompress(pending, _INFLATE_STEP))
            pending = inflater.unconsumed_tail
    except zlib.error:
        pass  # not zlib, or damaged: pdfminer keeps what inflated before the damage
    return size, used - len(pending) - len(inflater.unused_data)


def _read_document(data: bytes, limits: Limits
                   ) -> tuple[list[_PageContent], list[str], list[Widget]]:
    notices: list[str] = []
    form: list[Widget] = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        declared = resolve1((resolve1(pdf.doc.catalog.get("Pages")) or {}).get("Count"))
        if isinstance(declared, int) and declared > limits.max_pages:
            raise IngestError(_too_many_pages(declared, limits))
        if len(pdf.pages) > limits.max_pages:
            raise IngestError(_too_many_pages(len(pdf.pages), limits))
        if _JAVASCRIPT.search(data) or _catalog_javascript(pdf.doc.catalog):
            notices.append("the PDF carries JavaScript: it was not run; only the text was read")
        acroform = resolve1(pdf.doc.catalog.get("AcroForm"))
        fillable = isinstance(acroform, dict) and bool(resolve1(acroform.get("Fields")))
        pages = []
        for number, page in enumerate(pdf.pages, start=1):
            pages.append(_read_page(page, number))
            if fillable:
                form += widgets(page.page_obj.annots, number, float(page.page_obj.mediabox[3]))
            page.close()  # drop pdfplumber's per-page object cache as we go
    if not pages:
        raise IngestError("the PDF has no pages")
    if not any(page.words for page in pages):
        raise IngestError(f"the PDF has no text layer (scanned image?): {len(pages)} page(s) "
                          "without any text; OCR is not supported, export the questionnaire as "
                          "a text PDF or as XLSX/DOCX")
    blank = [str(p.number) for p in pages if not p.words and p.has_images]
    if blank:
        notices.append(f"page(s) {', '.join(blank)} have no text layer (scanned image?) and were "
                       "skipped: OCR is not supported")
    return pages, notices, form


def _catalog_javascript(catalog: dict) -> bool:
    """Document-level JavaScript the byte search misses: in a compressed object stream, or
    named with #-escapes (/Java#53cript)."""
    names = resolve1(catalog.get("Names"))
    if isinstance(names, dict) and "JavaScript" in names:
        return True
    action = resolve1(catalog.get("OpenAction"))
    return isinstance(action, dict) and resolve1(action.get("S")) == LIT("JavaScript")


def _too_many_pages(count: int, limits: Limits) -> str:
    return f"the PDF has {count} pages, over the limit of {limits.max_pages}"


def _questionnaire(pages: list[_PageContent], notices: list[str]) -> Questionnaire:
    result = Questionnaire(format="pdf", notices=notices)
    document = _Document(pages)
    document.drop_running_lines(result.skipped)
    blocks = document.ruled_blocks()
    free = document.free_lines()
    table, consumed = _unruled_table(free, document)
    if table is not None:
        result.questions += table.questions
        result.skipped += table.skipped
    section = ""
    plain: list[_Line] = []
    for item in _in_order(blocks, [line for line in free if line not in consumed]):
        if isinstance(item, _Block):
            found = _block_questions(item, section)
            result.questions += found.questions
            result.skipped += found.skipped
            section = found.section
        elif _is_heading(item, document):
            section = item.text
            result.skipped.append(Skipped(_location(item.page, item.box), "section_header",
                                          item.text))
        elif (question := _line_question(item, document, section)) is not None:
            result.questions.append(question)
        else:
            plain.append(item)
    result.skipped += _paragraphs(plain)
    result.questions.sort(key=_position)
    return result


def _form_questionnaire(pages: list[_PageContent], notices: list[str], fields: list[FormField]
                        ) -> Questionnaire:
    """A fillable form: its fields are the questions, each labelled by the text beside it."""
    document = _Document(pages)
    result = Questionnaire(format="pdf", notices=notices)
    document.drop_running_lines(result.skipped)
    words = {page.number: [FormWord(w.text, w.x0, w.top, w.x1, w.bottom) for w in page.words
                           if w.direction == "ltr"] for page in pages}
    result.questions, skipped = form_questions(fields, words)
    result.skipped += skipped
    return result


def _position(question: Question) -> tuple[int, float, float]:
    location = question.question_location
    box = location.box or (0.0, 0.0, 0.0, 0.0)
    return (location.page or 0, box[1], box[0])


# ---------------------------------------------------------------------------------------------
# Page content: words, check boxes, rules and the cells of ruled tables


@dataclass(frozen=True)
class _Word:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool
    direction: str = "ltr"  # "btt" / "ttb" for text rotated a quarter turn

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class _Checkbox:
    box: Box
    ticked: bool


@dataclass
class _PageContent:
    number: int  # 1-based
    width: float
    height: float
    words: list[_Word]
    checkboxes: list[_Checkbox]
    h_rules: list[Box]
    v_rules: list[Box]
    tables: list[list[list[Box]]]  # ruled tables: rows of the boxes of the cells starting there
    has_images: bool


def _read_page(page: pdfplumber.page.Page, number: int) -> _PageContent:
    marks: list[Box] = []  # tick strokes and fills that may sit inside check boxes
    h_rules: list[Box] = []
    v_rules: list[Box] = []
    squares: list[Box] = []
    for line in page.lines:
        _classify_segment((line["x0"], line["top"], line["x1"], line["bottom"]),
                          h_rules, v_rules, marks)
    for rect in page.rects:
        box = (rect["x0"], rect["top"], rect["x1"], rect["bottom"])
        width, height = box[2] - box[0], box[3] - box[1]
        if _is_checkbox_square(width, height) and rect.get("stroke"):
            squares.append(box)
        elif min(width, height) <= 2:  # a border drawn as a thin filled rectangle
            _classify_segment(box, h_rules, v_rules, marks)
        elif max(width, height) < _CHECKBOX_SIZE[1] and rect.get("fill"):
            marks.append(box)
        elif rect.get("stroke"):
            h_rules += [(box[0], box[1], box[2], box[1]), (box[0], box[3], box[2], box[3])]
            v_rules += [(box[0], box[1], box[0], box[3]), (box[2], box[1], box[2], box[3])]
        # a filled rectangle without a stroke is cell shading, often inset: not a border
    for curve in page.curves:
        box = (curve["x0"], curve["top"], curve["x1"], curve["bottom"])
        if _is_checkbox_square(box[2] - box[0], box[3] - box[1]) and curve.get("stroke") and \
                len(curve["pts"]) >= 4:
            squares.append(box)  # a drawn box, or a radio button's circle
            continue
        if curve.get("fill") and max(box[2] - box[0], box[3] - box[1]) < _CHECKBOX_SIZE[1]:
            marks.append(box)
            continue
        for (ax, ay), (bx, by) in itertools.pairwise(curve["pts"]):
            _classify_segment((min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)),
                              h_rules, v_rules, marks)
    glyph_boxes, words = _words(page)
    checkboxes, words = _checkboxes(squares, marks, glyph_boxes, words)
    h_rules = _merge_rules(h_rules, horizontal=True)
    v_rules = _merge_rules(v_rules, horizontal=False)
    return _PageContent(number=number, width=float(page.width), height=float(page.height),
                        words=words, checkboxes=checkboxes, h_rules=h_rules, v_rules=v_rules,
                        tables=_table_cells(page, h_rules, v_rules, words),
                        has_images=bool(page.images))


def _is_checkbox_square(width: float, height: float) -> bool:
    low, high = _CHECKBOX_SIZE
    return low <= width <= high and low <= height <= high and abs(width - height) <= 1.5


def _classify_segment(box: Box, h_rules: list[Box], v_rules: list[Box],
                      marks: list[Box]) -> None:
    x0, top, x1, bottom = box
    if bottom - top <= 2 and x1 - x0 >= 3:
        middle = (top + bottom) / 2
        h_rules.append((x0, middle, x1, middle))
    elif x1 - x0 <= 2 and bottom - top >= 3:
        middle = (x0 + x1) / 2
        v_rules.append((middle, top, middle, bottom))
    elif x1 - x0 > 1 and bottom - top > 1:
        marks.append(box)  # a diagonal stroke: part of a tick or a cross


def _merge_rules(rules: list[Box], horizontal: bool) -> list[Box]:
    """Join collinear pieces: table borders are often drawn one cell edge at a time."""
    keyed = sorted((r[1], r[0], r[2]) if horizontal else (r[0], r[1], r[3]) for r in rules)
    lines: list[list[tuple[float, float, float]]] = []  # pieces on one x (or y), within 1pt
    for piece in keyed:
        if lines and piece[0] - lines[-1][0][0] <= 1:
            lines[-1].append(piece)
        else:
            lines.append([piece])
    merged: list[Box] = []
    for pieces in lines:
        coord = pieces[0][0]
        runs: list[list[float]] = []
        for _, start, end in sorted(pieces, key=lambda p: p[1]):
            if runs and start <= runs[-1][1] + 2:
                runs[-1][1] = max(runs[-1][1], end)
            else:
                runs.append([start, end])
        merged += [(s, coord, e, coord) if horizontal else (coord, s, coord, e) for s, e in runs]
    return merged


def _words(page: pdfplumber.page.Page) -> tuple[list[tuple[Box, bool]], list[_Word]]:
    """Words in reading order per orientation, and check boxes printed as glyphs."""
    glyphs: list[tuple[Box, bool]] = []
    for char in page.chars:
        if char["text"] in _EMPTY_BOX_GLYPHS or char["text"] in _TICKED_BOX_GLYPHS:
            glyphs.append(((char["x0"], char["top"], char["x1"], char["bottom"]),
                           char["text"] in _TICKED_BOX_GLYPHS))
    rotated = {1 if char["matrix"][1] > 0 else -1 for char in page.chars if not char["upright"]}

    def keep(direction: int) -> Callable[[dict], bool]:
        def test(obj: dict) -> bool:
            if obj.get("object_type") != "char":
                return False
            if obj["text"] in _EMPTY_BOX_GLYPHS or obj["text"] in _TICKED_BOX_GLYPHS:
                return False
            if direction == 0:
                return bool(obj["upright"])
            return not obj["upright"] and (1 if obj["matrix"][1] > 0 else -1) == direction
        return test

    passes: list[tuple[int, dict[str, str]]] = [(0, {})]
    if 1 in rotated:  # turned counter-clockwise: read bottom to top, lines left to right
        passes.append((1, {"char_dir_rotated": "btt", "line_dir_rotated": "ltr"}))
    if -1 in rotated:
        passes.append((-1, {"char_dir_rotated": "ttb", "line_dir_rotated": "rtl"}))
    words: list[_Word] = []
    for direction, options in passes:
        source = page.filter(keep(direction)) if rotated or glyphs else page
        # pdfminer reports a turned glyph's advance as its size: size words by their width then
        attributes = ["size", "fontname"] if direction == 0 else ["fontname"]
        for raw in source.extract_words(extra_attrs=attributes, **options):
            text = clean(raw["text"])
            if not text or not all(math.isfinite(raw[k]) for k in ("x0", "x1", "top", "bottom")):
                continue
            words.append(_Word(text=text, x0=raw["x0"], top=raw["top"], x1=raw["x1"],
                              bottom=raw["bottom"],
                              size=float(raw["size"] if direction == 0 else raw["x1"] - raw["x0"]),
                              bold="bold" in str(raw["fontname"]).lower(),
                              direction=raw.get("direction", "ltr") if direction else "ltr"))
    return glyphs, words


def _checkboxes(squares: list[Box], marks: list[Box], glyphs: list[tuple[Box, bool]],
                words: list[_Word]) -> tuple[list[_Checkbox], list[_Word]]:
    """Drawn squares, ticked when a stroke, a fill or an X sits inside; and box glyphs."""
    boxes: list[_Checkbox] = []
    tick_words: set[int] = set()
    for square in _unique_boxes(squares):
        ticked = any(_inside(mark, square, slack=1.5) for mark in marks)
        for i, word in enumerate(words):
            if word.text in _TICK_GLYPHS and _inside(_word_box(word), square, slack=2.5):
                ticked = True
                tick_words.add(i)
        boxes.append(_Checkbox(square, ticked))
    boxes += [_Checkbox(box, ticked) for box, ticked in glyphs]
    return boxes, [w for i, w in enumerate(words) if i not in tick_words]


def _unique_boxes(boxes: list[Box]) -> list[Box]:
    unique: list[Box] = []
    for box in sorted(boxes):
        if not any(_overlap_ratio(box, seen) > 0.8 for seen in unique):
            unique.append(box)
    return unique


def _table_cells(page: pdfplumber.page.Page, h_rules: list[Box], v_rules: list[Box],
                 words: list[_Word]) -> list[list[list[Box]]]:
    """Cells of the ruled tables on a page, found by pdfplumber from our rules only (check
    boxes and shading would otherwise make cells of their own)."""
    if len(h_rules) + len(v_rules) > _MAX_RULES:
        return []  # a chart or a hostile page, not a table to read
    verticals = v_rules + _outer_borders(h_rules, v_rules, words)
    if len(h_rules) < 2 or len(verticals) < 2:
        return []
    settings = {
        "vertical_strategy": "explicit", "horizontal_strategy": "explicit",
        "explicit_vertical_lines": [_edge(r) for r in verticals],
        "explicit_horizontal_lines": [_edge(r) for r in h_rules],
        "snap_tolerance": 3, "join_tolerance": 3, "intersection_tolerance": 3,
        "edge_min_length": 3,
    }
    tables: list[list[list[Box]]] = []
    for table in page.find_tables(settings):
        x0, top, x1, bottom = table.bbox
        if x1 - x0 < 20 or bottom - top < 8:
            continue
        rows = [[(b[0], b[1], b[2], b[3]) for b in row.cells if b is not None]
                for row in table.rows]
        rows = [row for row in rows if row]
        if not rows or (all(len(row) == 1 for row in rows) and _columns_inside(rows, words)):
            continue  # rules between rows only: the columns are in the text, not the ruling
        tables.append(rows)
    return tables


def _edge(rule: Box) -> dict[str, object]:
    x0, top, x1, bottom = rule
    return {"object_type": "line", "x0": x0, "x1": x1, "top": top, "bottom": bottom,
            "width": x1 - x0, "height": bottom - top, "doctop": top}


def _outer_borders(h_rules: list[Box], v_rules: list[Box], words: list[_Word]) -> list[Box]:
    """_Word often draws a table without its left and right borders: close such tables where
    horizontal rules of the same extent follow each other and the row between is a cell row
    (an inner vertical rule, or a line or two of text)."""
    rules = sorted(h_rules, key=lambda r: r[1])
    borders: list[Box] = []
    heights = sorted(w.height for w in words)
    line_height = 3.5 * (heights[len(heights) // 2] if heights else 10.0)
    for i, upper in enumerate(rules):
        for lower in rules[i + 1:]:
            if abs(lower[0] - upper[0]) > 3 or abs(lower[2] - upper[2]) > 3:
                continue
            gap = lower[1] - upper[1]
            inner = any(upper[0] + 3 < v[0] < upper[2] - 3 and v[1] <= upper[1] + 3 and
                        v[3] >= lower[1] - 3 for v in v_rules)
            if inner or gap <= line_height:
                borders += [(upper[0], upper[1], upper[0], lower[1]),
                            (upper[2], upper[1], upper[2], lower[1])]
            break
    return borders


def _columns_inside(rows: list[list[Box]], words: list[_Word]) -> bool:
    """Most one-cell rows hold text with wide gaps inside a line: a table ruled only
    between its rows, whose columns have to be found from word positions."""
    gapped = filled = 0
    for (box,) in rows:
        inside = [w for w in words if _contains(box, _centre(_word_box(w)))]
        if not inside:
            continue
        filled += 1
        gapped += any(b.x0 - a.x1 > 2.5 * b.size for line in _lines(inside)
                      for a, b in itertools.pairwise(line))
    return filled >= 3 and gapped * 2 >= filled


# ---------------------------------------------------------------------------------------------
# Geometry and text


def _word_box(word: _Word) -> Box:
    return (word.x0, word.top, word.x1, word.bottom)


def _centre(box: Box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def _contains(box: Box, point: tuple[float, float], slack: float = 0.0) -> bool:
    x, y = point
    return box[0] - slack <= x <= box[2] + slack and box[1] - slack <= y <= box[3] + slack


def _inside(inner: Box, outer: Box, slack: float = 0.0) -> bool:
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack
            and inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def _overlap_ratio(a: Box, b: Box) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / smaller if smaller > 0 else 0.0


def _x_overlap(a: Box, b: Box) -> float:
    return min(a[2], b[2]) - max(a[0], b[0])


def _union(boxes: Iterable[Box]) -> Box:
    boxes = list(boxes)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes),
            max(b[3] for b in boxes))


def _location(page: int, box: Box) -> Location:
    x0, top, x1, bottom = (round(v, 1) for v in box)
    return Location(kind="page", page=page, box=(x0, top, x1, bottom))


def _lines(words: list[_Word]) -> list[list[_Word]]:
    """Upright words grouped into lines, top to bottom, each left to right. Text overflowing
    a cell can sit half a line into the next one: a word over another starts a new line."""
    lines: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        if lines:
            last = lines[-1]
            middle = (word.top + word.bottom) / 2
            if last[0].top - 0.5 <= middle <= last[0].bottom + 0.5 and \
                    not any(_x_overlap(_word_box(w), _word_box(word)) > 0.5 for w in last):
                last.append(word)
                continue
        lines.append([word])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _text(words: list[_Word], width: float | None = None) -> str:
    """Cell text as printed: wrapped lines joined, a blank line kept as a paragraph break."""
    upright = [w for w in words if w.direction == "ltr"]
    parts: list[str] = []
    previous: list[_Word] | None = None
    for line in _lines(upright):
        text = " ".join(w.text for w in line)
        if previous is None:
            parts.append(text)
        else:
            gap = min(w.top for w in line) - max(w.bottom for w in previous)
            height = max(w.height for w in line)
            parts.append(_joiner(previous, line, gap, height, width) + text)
        previous = line
    parts += [_rotated_text(w for w in words if w.direction == direction)
              for direction in ("btt", "ttb")]
    return clean("".join(p for p in parts if p))


def _joiner(previous: list[_Word], line: list[_Word], gap: float, height: float,
            width: float | None) -> str:
    last, first = previous[-1].text, line[0].text
    if gap > 0.8 * height:
        return "\n"
    if len(last) > 1 and last.endswith("-") and last[-2].isalnum():
        return ""  # "A&A-" + "05.1", "third-" + "party"
    if _URL_PREFIX.search(last) and first[:1].isalnum():
        return ""  # "https://example.org/" + "privacy", "name@" + "example.org"
    fragment = first.rstrip(".,;:")
    ending = fragment in _WORD_ENDINGS or (len(fragment) <= 2 and fragment not in _SHORT_WORDS)
    if not width or not last[-1].isalpha() or not fragment.isalpha() or \
            not fragment.islower() or not ending:
        return " "
    long_word = len(previous) == 1 and previous[0].x1 - previous[0].x0 > 0.7 * width
    # a line filled to the cell's edge that ends in a long word cut short ("responsibiliti")
    full_line = previous[-1].x1 - previous[0].x0 > 0.9 * width and len(last) >= 8
    # a word too long for its cell, broken at the cell edge ("Documenta" "tion")
    return "" if long_word or full_line else " "


def _rotated_text(words: Iterable[_Word]) -> str:
    """Text turned a quarter turn (e.g. a narrow header cell): columns are its lines."""
    words = list(words)
    if not words:
        return ""
    upward = words[0].direction == "btt"
    columns: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: w.x0, reverse=not upward):
        if columns and abs(columns[-1][0].x0 - word.x0) <= 0.5 * (word.x1 - word.x0):
            columns[-1].append(word)
        else:
            columns.append([word])
    lines = [" ".join(w.text for w in sorted(col, key=lambda w: -w.bottom if upward else w.top))
             for col in columns]
    return " ".join(lines)


def _shape(text: str) -> str:
    """Text with numbers masked: 'Page 3 of 9' and 'Page 4 of 9' are the same running line."""
    return re.sub(r"\d+", "#", one_line(text).lower())


# ---------------------------------------------------------------------------------------------
# The document: running headers and footers, ruled tables, free lines


@dataclass(eq=False)
class _Line:
    page: int
    words: list[_Word]

    @property
    def box(self) -> Box:
        return _union(_word_box(w) for w in self.words)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class _Choice:
    label: str
    ticked: bool
    box: Box


@dataclass(eq=False)
class _TableCell:
    page: int
    box: Box
    text: str  # everything printed in the cell
    prompt: str = ""  # the text that is not a check box label
    choices: tuple[_Choice, ...] = ()
    text_bottom: float = 0.0  # where the printed text ends, to find answer space inside the cell
    bold: bool = False  # every word bold: a heading rather than a label or a value
    lines: tuple[str, ...] = ()  # the text's printed lines

    @property
    def empty(self) -> bool:
        return not self.text and not self.choices

    @property
    def location(self) -> Location:
        return _location(self.page, self.box)


@dataclass(eq=False)
class _Block:
    """A ruled table, possibly continued over several pages."""

    page: int
    box: Box
    rows: list[list[_TableCell]]  # each row: the cells that start in it, left to right
    end_page: int = 0
    end_box: Box = (0.0, 0.0, 0.0, 0.0)
    repeated: list[Skipped] = field(default_factory=list)  # headers printed again, dropped


class _Document:
    def __init__(self, pages: list[_PageContent]) -> None:
        self.pages = pages
        sizes = Counter(round(w.size, 1) for p in pages for w in p.words)
        self.body_size = sizes.most_common(1)[0][0] if sizes else 10.0
        self.repeated_lines: set[tuple[int, str]] = set()  # (page, text) of repeated headers

    def drop_running_lines(self, skipped: list[Skipped]) -> None:
        """Remove page headers, footers and page numbers (lines in the top or bottom margin
        printed on several pages at the same place, or a lone page number), and remember a table
        header printed again at the top of later pages."""
        by_shape: dict[str, list[tuple[_PageContent, list[_Word], int]]] = {}
        for page in self.pages:
            cells = [box for table in page.tables for row in table for box in row]
            lines = _lines([w for w in page.words if w.direction == "ltr" and not any(
                _contains(box, _centre(_word_box(w))) for box in cells)])
            body = [line for line in lines if not self._in_margin(page, line)]
            for line in lines:
                rank = next((i for i, b in enumerate(body) if b is line), -1)
                by_shape.setdefault(_shape(" ".join(w.text for w in line)), []).append(
                    (page, line, rank))
        drop: set[int] = set()
        for occurrences in by_shape.values():
            reported = False
            for page, line, rank in occurrences:
                text = " ".join(w.text for w in line)
                elsewhere = [other for other in occurrences if other[0] is not page
                             and abs(other[1][0].top - line[0].top) <= 4]
                if rank < 0 and (elsewhere or _PAGE_NUMBER.match(text)):
                    drop.update(id(w) for w in line)
                    if not reported:
                        reason = "page_header" if line[0].top < page.height / 2 else "page_footer"
                        skipped.append(Skipped(_location(page.number, _union(
                            _word_box(w) for w in line)), reason, text))
                        reported = True
                elif rank == 0 and page is not occurrences[0][0] and \
                        any(other_rank == 0 for _, _, other_rank in elsewhere):
                    self.repeated_lines.add((page.number, _shape(text)))
        for page in self.pages:
            page.words = [w for w in page.words if id(w) not in drop]

    @staticmethod
    def _in_margin(page: _PageContent, line: list[_Word]) -> bool:
        top = min(w.top for w in line)
        bottom = max(w.bottom for w in line)
        return bottom < page.height * _TOP_MARGIN or top > page.height * (1 - _BOTTOM_MARGIN)

    def ruled_blocks(self) -> list[_Block]:
        blocks: list[_Block] = []
        for page in self.pages:
            blocks += _page_tables(page)
        return _stitch(blocks, self)

    def free_lines(self) -> list[_Line]:
        """Lines of the words outside ruled tables, page by page."""
        lines: list[_Line] = []
        for page in self.pages:
            boxes = [box for table in page.tables for row in table for box in row]
            words = [w for w in page.words
                     if not any(_contains(b, _centre(_word_box(w)), slack=1) for b in boxes)]
            lines += [_Line(page.number, line) for line in _lines(words)]
        return lines

    def page(self, number: int) -> _PageContent:
        return self.pages[number - 1]


# ---------------------------------------------------------------------------------------------
# Ruled tables: cells, check box labels, tables continued over a page break


def _page_tables(page: _PageContent) -> list[_Block]:
    blocks: list[_Block] = []
    for table in page.tables:
        rows = [[_make_cell(page, box) for box in row] for row in table]
        box = _union(b for row in table for b in row)
        blocks.append(_Block(page.number, box, rows, page.number, box))
    return blocks


def _make_cell(page: _PageContent, box: Box) -> _TableCell:
    words = [w for w in page.words if _contains(box, _centre(_word_box(w)), slack=0.5)]
    checkboxes = [c for c in page.checkboxes if _contains(box, _centre(c.box))]
    width = box[2] - box[0]
    text = _text(words, width)
    text_bottom = max((w.bottom for w in words), default=box[1])
    bold = bool(words) and all(w.bold for w in words)
    lines = tuple(" ".join(w.text for w in line) for line in _lines(words))
    if not checkboxes:
        return _TableCell(page.number, box, text, text, (), text_bottom, bold, lines)
    choices, label_words = _choices(checkboxes, words)
    prompt = _text([w for w in words if id(w) not in label_words], width)
    text_bottom = max([text_bottom] + [c.box[3] for c in checkboxes])
    return _TableCell(page.number, box, text, prompt, choices, text_bottom, bold, lines)


def _choices(checkboxes: list[_Checkbox], words: list[_Word]
             ) -> tuple[tuple[_Choice, ...], set[int]]:
    """Each box's label: the words right of it on its line (up to the next box), plus lines
    wrapped under the label's first word."""
    used: set[int] = set()
    choices: list[_Choice] = []
    ordered = [c for line in _rows_of(checkboxes) for c in line]
    for checkbox in ordered:
        _, top, x1, bottom = checkbox.box
        middle = (top + bottom) / 2
        same_line = [c for c in ordered if abs((c.box[1] + c.box[3]) / 2 - middle) < 4]
        stop = min((c.box[0] for c in same_line if c.box[0] > x1), default=float("inf"))
        label = [w for w in words if id(w) not in used and w.top - 3 <= middle <= w.bottom + 3
                 and x1 - 1 <= w.x0 < stop]
        if label:
            start = min(w.x0 for w in label)
            below = max(w.bottom for w in label)
            for line in _lines([w for w in words if id(w) not in used and w.top > below - 1]):
                boxes_on_line = any(c.box[1] - 2 <= line[0].top <= c.box[3] + 2 for c in ordered)
                if boxes_on_line or abs(line[0].x0 - start) > 3 or line[0].top - below > \
                        1.2 * line[0].height or line[-1].x0 >= stop:
                    break
                label += line
                below = max(w.bottom for w in line)
        used.update(id(w) for w in label)
        choices.append(_Choice(_text(label).rstrip(":"), checkbox.ticked, checkbox.box))
    return tuple(choices), used


def _rows_of(checkboxes: list[_Checkbox]) -> list[list[_Checkbox]]:
    rows: list[list[_Checkbox]] = []
    for checkbox in sorted(checkboxes, key=lambda c: c.box[1]):
        if rows and abs(rows[-1][0].box[1] - checkbox.box[1]) < 4:
            rows[-1].append(checkbox)
        else:
            rows.append([checkbox])
    return [sorted(row, key=lambda c: c.box[0]) for row in rows]


def _stitch(blocks: list[_Block], document: _Document) -> list[_Block]:
    """Join a table that runs over a page break: drop the header repeated on the new page and
    merge a row split by the break into the row it continues."""
    joined: list[_Block] = []
    for block in blocks:
        previous = joined[-1] if joined else None
        if previous is not None and block.page == previous.end_page + 1 and \
                _continues(previous, block, document):
            _append(previous, block)
        else:
            joined.append(block)
    return joined


def _continues(previous: _Block, block: _Block, document: _Document) -> bool:
    if abs(previous.end_box[0] - block.box[0]) > 6 or abs(previous.end_box[2] - block.box[2]) > 6:
        return False
    below = [w for w in document.page(previous.end_page).words if w.top > previous.end_box[3]]
    above = [w for w in document.page(block.page).words if w.bottom < block.box[1]]
    return not below and not above


def _append(previous: _Block, block: _Block) -> None:
    rows = block.rows
    if _row_shape(rows[0]) == _row_shape(previous.rows[0]):
        previous.repeated.append(Skipped(rows[0][0].location, "repeated_header",
                                         " | ".join(one_line(c.text) for c in rows[0])))
        rows = rows[1:]  # the header, printed again on the new page
    if rows and _split_row(previous.rows[-1], rows[0]):
        for cell in rows[0]:
            if not cell.empty:
                target = max(previous.rows[-1], key=lambda c: _x_overlap(c.box, cell.box))
                target.text = f"{target.text} {cell.text}".strip()
                target.prompt = f"{target.prompt} {cell.prompt}".strip()
                target.choices += cell.choices
                target.lines += cell.lines
        rows = rows[1:]
    previous.rows += rows
    previous.end_page, previous.end_box = block.page, block.box


def _split_row(last: list[_TableCell], first: list[_TableCell]) -> bool:
    """The first row on a page continues the last row of the page before: its first cell is
    empty, or its cells line up and the text runs on (a list after a colon, a lowercase word)."""
    if first[0].empty:
        return any(not c.empty for c in first[1:])
    aligned = len(last) == len(first) and all(
        abs(a.box[0] - b.box[0]) <= 4 for a, b in zip(last, first, strict=True))
    if not aligned or not last[0].text:
        return False
    runs_on = first[0].text[:1].islower() or (
        last[0].text.rstrip().endswith(":") and first[0].text[:1] in "•-–▪◦*·")
    return runs_on


def _row_shape(row: list[_TableCell]) -> list[str]:
    return [_shape(c.text) for c in row]


# ---------------------------------------------------------------------------------------------
# Questions from a ruled table: a questionnaire grid, or a form


@dataclass
class _Found:
    questions: list[Question] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    section: str = ""


def _block_questions(block: _Block, section: str) -> _Found:
    _label_boxes_from_column_headers(block)
    for r, row in enumerate(block.rows):
        block.rows[r] = _merge_choice_runs([c for c in row if not _spacer(c)])
    block.rows = [row for row in block.rows if row]
    if not block.rows:
        return _Found(section=section)
    grid = _block_grid(block, section)
    if _is_tabular(grid):
        result = interpret(grid)
        found = _Found(result.questions, result.skipped, section)
    else:
        found = _FormReader(block, section).read()
    found.skipped += block.repeated
    return found


def _spacer(cell: _TableCell) -> bool:
    return cell.empty and cell.box[2] - cell.box[0] < 12


def _label_boxes_from_column_headers(block: _Block) -> None:
    """A box with no words beside it is named by the header above it ("Yes" / "No")."""
    for r, row in enumerate(block.rows):
        for cell in row:
            if not cell.choices or all(choice.label for choice in cell.choices):
                continue
            named: list[_Choice] = []
            for choice in cell.choices:
                label = choice.label or _column_header(block, r, choice.box, cell)
                named.append(replace(choice, label=label))
            cell.choices = tuple(named)


def _column_header(block: _Block, r: int, box: Box, cell: _TableCell) -> str:
    x = _centre(box)[0]
    width = cell.box[2] - cell.box[0]
    for row in reversed(block.rows[:r]):
        for above in row:
            if above.box[0] <= x <= above.box[2] and above.text and not above.choices:
                narrow = above.box[2] - above.box[0] <= 3 * width
                return one_line(above.text) if narrow and len(above.text) <= 40 else ""
    return ""


def _merge_choice_runs(row: list[_TableCell]) -> list[_TableCell]:
    """Adjacent cells holding only a check box each are one question's options."""
    merged: list[_TableCell] = []
    for cell in row:
        last = merged[-1] if merged else None
        if last is not None and cell.choices and not cell.prompt and last.choices and \
                not last.prompt and cell.page == last.page:
            merged[-1] = _TableCell(last.page, _union([last.box, cell.box]), "", "",
                                    last.choices + cell.choices,
                                    max(last.text_bottom, cell.text_bottom))
        else:
            merged.append(cell)
    return merged


def _block_grid(block: _Block, section: str) -> Grid:
    """The block as a rectangular grid: a column starts at every distinct cell left edge; a
    cell spanning columns or rows covers those slots with its own location."""
    starts: list[float] = []
    for x in sorted(c.box[0] for row in block.rows for c in row):
        if not starts or x - starts[-1] > 3:
            starts.append(x)
    width = len(starts)
    grid_rows: list[list[Cell]] = []
    anchors: list[list[_TableCell | None]] = []
    for r, row in enumerate(block.rows):
        slots: list[_TableCell | None] = [None] * width
        texts: list[bool] = [False] * width
        for cell in row:
            for c, x in enumerate(starts):
                if cell.box[0] - 3 <= x < cell.box[2] - 3:
                    slots[c] = cell
                    texts[c] = x == min(s for s in starts if s >= cell.box[0] - 3)
        for c in range(width):
            if slots[c] is None:
                slots[c] = next((a[c] for a in reversed(anchors[:r]) if a[c] is not None and
                                 a[c].box[3] > row[0].box[1] + 3), None)
        anchors.append(slots)
        grid_rows.append([_grid_cell(slots[c], texts[c], block, r, starts, c)
                          for c in range(width)])
    right = max(c.box[2] for row in block.rows for c in row)

    def slot(r: int, c: int) -> Location:
        if c < width and r < len(grid_rows):
            return grid_rows[r][c].location
        row = block.rows[min(r, len(block.rows) - 1)]
        top, bottom = row[0].box[1], row[0].box[3]
        return _location(row[0].page, (right, top, right + 72, bottom))

    return Grid(name=f"table on page {block.page}", rows=grid_rows, slot=slot, section=section)


def _grid_cell(cell: _TableCell | None, anchor: bool, block: _Block, r: int, starts: list[float],
               c: int) -> Cell:
    if cell is None:  # a gap in the ruling
        row = block.rows[r]
        x1 = starts[c + 1] if c + 1 < len(starts) else max(x.box[2] for x in row)
        return Cell("", _location(row[0].page, (starts[c], row[0].box[1], x1, row[0].box[3])))
    if not anchor:
        return Cell("", cell.location)
    if cell.choices:
        ticked = ", ".join(ch.label for ch in cell.choices if ch.ticked)
        return Cell(ticked, cell.location, options=tuple(ch.label for ch in cell.choices))
    return Cell(cell.text, cell.location)


def _is_tabular(grid: Grid) -> bool:
    """A questionnaire table rather than a form: a header naming an answer column, or IDs."""
    if any("answer" in header_roles(row) for row in grid.rows):
        return True
    firsts = [next(c.text for c in row if c.text) for row in grid.rows if any(c.text for c in row)]
    ids = sum(1 for text in firsts if looks_like_id(text))
    return ids >= 3 and ids >= len(firsts) / 2


class _FormReader:
    """Questions of a form table: "Label:" cells and the value cell beside or below them,
    prompts over empty answer rows, check boxes and the statements they confirm."""

    def __init__(self, block: _Block, section: str) -> None:
        self.rows = block.rows
        self.found = _Found(section=section)

    def read(self) -> _Found:
        r = 0
        while r < len(self.rows):
            r += self._row(r)
        return self.found

    def _row(self, r: int) -> int:
        row = self.rows[r]
        if all(c.empty for c in row):
            return 1
        table = self._header_over_values(r, None)
        if table:
            return table
        if len(row) == 1 and not row[0].choices:
            cell = row[0]
            used = self._label_alone(r, cell) if _is_label(cell.text) else 0
            if not used:
                self._skip(cell, cell.text, banner=True)
            return used or 1
        self._pairs(row)
        return 1

    def _pairs(self, row: list[_TableCell]) -> None:
        if all(c.bold for c in row if c.text) and not any(c.text.endswith(":") or c.choices
                                                          for c in row):
            for cell in row:
                if cell.text:
                    self._skip(cell, cell.text)  # a row of column headings
            return
        i = 0
        while i < len(row):
            cell = row[i]
            after = row[i + 1] if i + 1 < len(row) else None
            if cell.choices:
                i += self._choice_cell(cell, after)
            elif (inline := _inline_label(cell.text)) is not None:
                self._add(inline[0], cell, cell, existing=inline[1])
                i += 1
            elif cell.text and after is not None and after.choices and not after.prompt and \
                    _is_label(cell.text):
                comment = row[i + 2] if i + 2 < len(row) and not row[i + 2].choices else None
                self._add(cell.text, cell, after, comment=comment)
                i += 3 if comment is not None else 2
            elif cell.text and after is not None and not after.choices and \
                    (_is_label(cell.text) or len(row) == 2) and not _is_label(after.text) and \
                    _inline_label(after.text) is None:
                self._add(cell.text, cell, after)
                i += 2
            else:
                if cell.text:
                    self._skip(cell, cell.text)
                i += 1

    def _choice_cell(self, cell: _TableCell, after: _TableCell | None) -> int:
        if cell.prompt:  # "Question? [ ] Yes [x] No" in one cell
            self._add(cell.prompt, cell, cell)
            return 1
        unnamed = len(cell.choices) == 1 and not cell.choices[0].label
        if unnamed and after is not None and len(after.text.split()) >= 3 and not after.choices:
            # a box confirming the statement printed in the next cell
            self._statement(after.text, after, cell, cell.choices[0].ticked)
            return 2
        statements = [ch for ch in cell.choices if len(ch.label.split()) > 6]
        for choice in statements:  # a statement printed right of its box
            self._statement(choice.label, cell, cell, choice.ticked, choice.box)
        if not statements:
            self.found.skipped.append(Skipped(cell.location, "options_without_question", "; ".join(
                ch.label for ch in cell.choices)))
        return 1

    def _label_alone(self, r: int, cell: _TableCell) -> int:
        """A label filling its row: the answer is in the rows below or in the cell itself."""
        label, rest = _split_label(cell.text)
        below = self.rows[r + 1:]
        options = []
        for row in below:
            if all(c.choices for c in row if not c.empty) and any(c.choices for c in row):
                options.append(row)
            else:
                break
        if options:
            cells = [c for row in options for c in row]
            answer = _TableCell(cells[0].page, _union(c.box for c in cells), "", "",
                            tuple(ch for c in cells for ch in c.choices))
            self._add(label, cell, answer)
            return 1 + len(options)
        table = self._header_over_values(r + 1, cell)
        if table:
            return 1 + table
        if below:
            following = [c for c in below[0] if not c.empty]
            if len(following) <= 1 and not any(c.choices or c.bold or _is_label(c.text)
                                               for c in following):
                cells = below[0]
                answer = cells[0] if len(cells) == 1 else _TableCell(
                    cells[0].page, _union(c.box for c in cells),
                    " ".join(c.text for c in cells if c.text))
                self._add(label, cell, answer)
                return 2
        room = cell.box[3] - cell.text_bottom
        if rest or room >= 24:
            space = (cell.box[0], cell.text_bottom + 1, cell.box[2], cell.box[3])
            self._add(label, cell, _TableCell(cell.page, space, rest))
            return 1
        return 0

    def _header_over_values(self, r: int, prompt: _TableCell | None) -> int:
        """Column names over one answer row (each column a question) or over a list to fill
        (one question: the prompt above, answered by the whole list)."""
        if r >= len(self.rows):
            return 0
        header = self.rows[r]
        if len(header) < 2 or any(c.empty or c.choices or _inline_label(c.text) for c in header):
            return 0
        colons = {c.text.rstrip().endswith(":") for c in header}
        if len(colons) > 1:
            return 0
        values: list[list[_TableCell]] = []
        for row in self.rows[r + 1:]:
            aligned = len(row) >= 2 and all(
                any(abs(c.box[0] - h.box[0]) <= 4 for h in header) for c in row)
            if not aligned or any(_is_label(c.text) or _inline_label(c.text) for c in row
                                  if not c.choices):
                break
            values.append(row)
        if not values:
            return 0
        if _is_change_log(header):
            for row in [header, *values]:  # a revision history, not questions
                self.found.skipped.append(Skipped(row[0].location, "change_log",
                                                  " | ".join(one_line(c.text) for c in row)))
            return 1 + len(values)
        if len(values) == 1:
            for column in header:
                value = max(values[0], key=lambda c: _x_overlap(c.box, column.box))
                self._add(column.text, column, value)
            return 2
        body = [row for row in values if not _EXAMPLE_ROW.match(row[0].text)]
        listed = "\n".join(" | ".join(_shown(c) for c in row) for row in body
                           if any(_shown(c) for c in row))
        asks = prompt is not None and looks_like_question(one_line(prompt.text))
        question = prompt.text if prompt is not None and asks else \
            " / ".join(one_line(c.text).rstrip(":") for c in header)
        cells = [c for row in body for c in row] or [c for row in values for c in row]
        answer = _TableCell(cells[0].page, _union(c.box for c in cells), listed)
        self._add(question, prompt or header[0], answer, listed=True)
        return 1 + len(values)

    def _add(self, label: str, question_cell: _TableCell, answer: _TableCell, *,
             comment: _TableCell | None = None, existing: str | None = None,
             listed: bool = False) -> None:
        text = one_line(label).rstrip(":").strip()
        if not text:
            return
        options = tuple(ch.label for ch in answer.choices if ch.label)
        if answer.choices:
            ticked = [ch.label for ch in answer.choices if ch.ticked and ch.label]
            existing = "; ".join(ticked) or None
        elif existing is None and answer is not question_cell:
            hint = _choice_hint(answer.lines or (answer.text,))
            if hint and not listed:
                options = hint
            elif answer.text and not is_placeholder(answer.text, text):
                existing = answer.text
        self.found.questions.append(Question(
            ref="", text=text, section=self.found.section,
            answer_type=infer_answer_type(text, options), options=options,
            question_location=question_cell.location, answer_location=answer.location,
            comment_location=comment.location if comment else None, existing_answer=existing,
            existing_comment=comment.text or None if comment else None, ref_generated=True))

    def _statement(self, text: str, question_cell: _TableCell, box_cell: _TableCell, ticked: bool,
                   box: Box | None = None) -> None:
        location = _location(box_cell.page, box) if box else box_cell.location
        self.found.questions.append(Question(
            ref="", text=one_line(text), section=self.found.section, answer_type="yes_no",
            options=_YES_NO, question_location=question_cell.location, answer_location=location,
            existing_answer="Yes" if ticked else None, ref_generated=True))

    def _skip(self, cell: _TableCell, text: str, banner: bool = False) -> None:
        """Text that asks nothing; a short one filling its row names the section."""
        line = one_line(text)
        heading = banner and len(line) <= 80 and len(line.split()) <= 12 and \
            not line.endswith((".", ":"))
        if heading:
            self.found.section = line
        self.found.skipped.append(Skipped(cell.location, "section_header" if heading else
                                          "instruction", line))


def _is_label(text: str) -> bool:
    line = one_line(text)
    if not line or len(line) > 1000:
        return False
    if line.rstrip("* ").endswith((":", "?")):
        return True
    return looks_like_question(line) and len(line.split()) >= 4


def _is_change_log(header: list[_TableCell]) -> bool:
    """A revision history table: 'Date | Version | Description of change'."""
    names = [one_line(c.text).lower().rstrip(":") for c in header]
    return all(any(p.search(name) for name in names) for p in _CHANGE_LOG)


def _inline_label(text: str) -> tuple[str, str] | None:
    """'Title: CISO' -> ('Title', 'CISO'): a short label and its value in one cell."""
    match = _INLINE_LABEL.match(text)
    if match is None or _NOT_A_FIELD.match(match.group(1).strip()):
        return None
    return match.group(1), match.group(2)


def _split_label(text: str) -> tuple[str, str]:
    """'Summary of advice:\\nThe DPO agreed…' -> the label and what was written under it."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.rstrip().endswith(":"):
            return " ".join(lines[: i + 1]), "\n".join(lines[i + 1:]).strip()
    return text, ""


def _shown(cell: _TableCell) -> str:
    if cell.choices:
        return ", ".join(ch.label for ch in cell.choices if ch.ticked)
    return one_line(cell.text)


def _choice_hint(lines: tuple[str, ...]) -> tuple[str, ...]:
    """'Remote, possible or probable', 'Yes/no' or 'Low' / 'medium' / 'high' on separate lines
    in a blank answer cell list the allowed answers."""
    text = "\n".join(lines)
    if not text or len(text) > 80:
        return ()
    parts = [p.strip() for part in split_choices(text)
             for p in re.split(r"(?:^|\s+)or(?:\s+|$)", part)]
    parts = [p for p in parts if p]
    plain = all(re.fullmatch(r"[^\W\d_]+( [^\W\d_]+)?", p) for p in parts)
    separated = " or " in text or "/" in text or len(lines) == len(parts)
    return tuple(parts) if 2 <= len(parts) <= 6 and plain and separated else ()


# ---------------------------------------------------------------------------------------------
# Unruled tables: columns and rows rebuilt from word positions


@dataclass(eq=False)
class _WordRow:
    lines: list[_Line] = field(default_factory=list)


def _unruled_table(lines: list[_Line], document: _Document
                   ) -> tuple[GridResult | None, set[_Line]]:
    """The text outside ruled tables read as one table, if it is one: it must have a
    question and an answer column (a header naming them, or answer options), or printed IDs
    on its questions (a list of requirements printed to be answered elsewhere)."""
    starts = _header_columns(lines, _column_starts(lines))
    if len(starts) < 2:
        return None, set()
    rows, repeats = _word_rows(lines, starts, document)
    result = interpret(_word_grid(rows, starts, document))
    numbered = len(result.questions) >= 3 and all(q.ref for q in result.questions)
    if not result.questions or not (result.has_layout or numbered):
        return None, set()
    result.skipped += [Skipped(_location(line.page, line.box), "repeated_header", line.text)
                       for line in repeats]
    return result, {line for row in rows for line in row.lines} | set(repeats)


def _column_starts(lines: list[_Line]) -> list[float]:
    """Left edges where many lines start a word after a gap and no word crosses: the columns
    of a table printed without rules. Words inside running text start anywhere, are crossed by
    words on other lines, and follow the word before at a word space."""
    starts: Counter[int] = Counter()
    after_gap: Counter[int] = Counter()  # first on its line, or after more than a word space
    for line in lines:
        previous: _Word | None = None
        for word in line.words:
            starts[round(word.x0)] += 1
            if previous is None or word.x0 - previous.x1 > 0.5 * word.size:
                after_gap[round(word.x0)] += 1
            previous = word
    clusters: list[list[int]] = []
    for x in sorted(starts):
        if clusters and x - clusters[-1][-1] <= 2:
            clusters[-1].append(x)
        else:
            clusters.append([x])
    columns: list[float] = []
    words = [w for line in lines for w in line.words]
    for keys in clusters:
        count = sum(starts[k] for k in keys)
        if sum(after_gap[k] for k in keys) < max(3, count / 2):
            continue
        x = float(keys[0])
        crossing = sum(1 for w in words if w.x0 < x - 2 and w.x1 > x + 2)
        if crossing * 2 <= count:
            columns.append(x)
    return columns


def _header_columns(lines: list[_Line], starts: list[float]) -> list[float]:
    """Add the columns a header names but the body leaves empty (a blank answer column): the
    first line that splits, at wide gaps and at known columns, into cells read as a header."""
    for line in lines:
        segments: list[list[_Word]] = []
        for word in line.words:
            previous = segments[-1][-1] if segments else None
            boundary = previous is None or word.x0 - previous.x1 > word.size or any(
                previous.x1 < x <= word.x0 + 2 for x in starts)
            if boundary:
                segments.append([word])
            else:
                segments[-1].append(word)
        if len(segments) < 2:
            continue
        where = _location(line.page, line.box)
        if header_roles([Cell(" ".join(w.text for w in s), where) for s in segments]):
            found = sorted({*starts, *(s[0].x0 for s in segments)})
            return [x for i, x in enumerate(found) if i == 0 or x - found[i - 1] > 3]
    return starts


def _column_of(word: _Word, starts: list[float]) -> int:
    column = 0
    for i, x in enumerate(starts):
        if word.x0 >= x - 2:
            column = i
    return column


def _word_rows(lines: list[_Line], starts: list[float], document: _Document
               ) -> tuple[list[_WordRow], list[_Line]]:
    """A row begins where the first column has text, unless that text continues the line above
    (an ID wrapped after a hyphen, a long section name wrapped inside a narrow column)."""
    pitch = _line_pitch(lines)
    rows: list[_WordRow] = []
    repeats: list[_Line] = []
    previous: _Line | None = None
    previous_first = ""
    for line in lines:
        if (line.page, _shape(line.text)) in document.repeated_lines:
            repeats.append(line)  # a table header printed again on a new page
            continue
        first = " ".join(w.text for w in line.words if _column_of(w, starts) == 0)
        begins = not rows
        if first and rows:
            complete_id = looks_like_id(previous_first) and not previous_first.endswith("-")
            wrapped = previous is not None and previous_first and previous.page == line.page and (
                previous_first.endswith("-") or (line.top - previous.top <= pitch * 1.15 and
                                                 not looks_like_id(first) and not complete_id))
            begins = not wrapped
        if begins:
            rows.append(_WordRow())
        rows[-1].lines.append(line)
        previous, previous_first = line, first
    return rows, repeats


def _line_pitch(lines: list[_Line]) -> float:
    """Distance between wrapped lines inside a cell: the smallest common step from one line to
    the next (rows add padding, so steps between rows are larger; text overflowing a cell can
    print over the next row, closer than a line height)."""
    heights = sorted(w.height for line in lines for w in line.words)
    floor = 0.9 * heights[len(heights) // 2] if heights else 0.0
    steps = Counter(round(2 * (b.top - a.top)) / 2 for a, b in itertools.pairwise(lines)
                    if a.page == b.page and b.top - a.top >= floor)
    common = [s for s, n in steps.items() if n >= max(2, 0.05 * sum(steps.values()))]
    return min(common or steps or [12.0])


def _word_grid(rows: list[_WordRow], starts: list[float], document: _Document) -> Grid:
    width = len(starts)
    right = max((w.x1 for row in rows for line in row.lines for w in line.words), default=0.0)
    edges = [*starts[1:], right]
    grid_rows: list[list[Cell]] = []
    bands: list[tuple[int, float, float]] = []
    for row in rows:
        page = row.lines[0].page
        on_page = [line for line in row.lines if line.page == page]
        top = min(line.top for line in on_page) - 1
        bottom = min(max(line.box[3] for line in on_page) + 1, document.page(page).height)
        bands.append((page, top, bottom))
        cells: list[Cell] = []
        for c in range(width):
            column_width = edges[c] - starts[c]
            parts = []
            for number in dict.fromkeys(line.page for line in row.lines):
                words = [w for line in row.lines if line.page == number for w in line.words
                         if _column_of(w, starts) == c]
                parts.append(_text(words, column_width))
            box = (starts[c] - 1, top, edges[c] - 1 if c + 1 < width else right + 1, bottom)
            cells.append(Cell(clean(" ".join(p for p in parts if p)), _location(page, box)))
        grid_rows.append(cells)

    def slot(r: int, c: int) -> Location:
        if r < len(grid_rows) and c < width:
            return grid_rows[r][c].location
        page, top, bottom = bands[min(r, len(bands) - 1)]
        return _location(page, (right + 1, top, document.page(page).width, bottom))

    return Grid(name="page tables", rows=grid_rows, slot=slot)


# ---------------------------------------------------------------------------------------------
# Text outside tables: headings name sections; a line with check boxes is a question


def _in_order(blocks: list[_Block], lines: list[_Line]) -> list[_Block | _Line]:
    items: list[_Block | _Line] = [*blocks, *lines]
    return sorted(items, key=lambda item: (item.page, item.box[1]))


def _is_heading(line: _Line, document: _Document) -> bool:
    text = line.text
    if len(text.split()) > 12 or text.endswith((".", ":", ",")) or not re.search(r"[A-Za-z]", text):
        return False
    large = min(w.size for w in line.words) >= document.body_size * 1.15
    return large or all(w.bold for w in line.words)


def _paragraphs(lines: list[_Line]) -> list[Skipped]:
    """Free text that asks nothing, reported once per paragraph."""
    groups: list[list[_Line]] = []
    for line in lines:
        last = groups[-1][-1] if groups else None
        if last is not None and last.page == line.page and \
                0 <= line.top - last.box[3] <= max(w.height for w in line.words):
            groups[-1].append(line)
        else:
            groups.append([line])
    return [Skipped(_location(group[0].page, _union(line.box for line in group)), "text",
                    one_line(" ".join(line.text for line in group))[:300]) for group in groups]


def _line_question(line: _Line, document: _Document, section: str) -> Question | None:
    """A line outside tables with check boxes on it: the words before them ask, the words
    after each box name an option."""
    page = document.page(line.page)
    _, top, _, bottom = line.box
    cells = [box for table in page.tables for row in table for box in row]
    boxes = [c for c in page.checkboxes if c.box[1] < bottom + 2 and c.box[3] > top - 2 and
             not any(_contains(cell, _centre(c.box)) for cell in cells)]
    if not boxes:
        return None
    line_box = _union([line.box, *(c.box for c in boxes)])
    choices, label_words = _choices(boxes, line.words)
    prompt = _text([w for w in line.words if id(w) not in label_words])
    if not prompt or not any(ch.label for ch in choices):
        return None
    options = tuple(ch.label for ch in choices if ch.label)
    ticked = [ch.label for ch in choices if ch.ticked and ch.label]
    answer_box = _union(ch.box for ch in choices)
    return Question(
        ref="", text=one_line(prompt).rstrip(":"), section=section,
        answer_type=infer_answer_type(prompt, options), options=options,
        question_location=_location(line.page, line_box), answer_location=_location(
            line.page, answer_box), existing_answer="; ".join(ticked) or None, ref_generated=True)
