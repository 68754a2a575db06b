"""Answers into the customer's Word document, in place, found exactly as ingest numbers them.

Only the main document part is rewritten, and in it only the answer slots: a slot's paragraph
keeps its properties and the first run's formatting, legacy checkbox fields and checkbox
content controls are ticked, other content controls get the chosen text. The numbering rules
(tables, paragraphs, controls) are those of ingest, whose vocabulary (service.ingest.ooxml) is
shared so that a location written is the location read.
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Iterator
from dataclasses import replace

from lxml import etree

from service.ingest import Location
from service.ingest.ooxml import (
    BLANK,
    BR,
    MARKUP_COMPATIBILITY,
    PARSER,
    PPR,
    RPR,
    SDT,
    SDT_CONTENT,
    SDT_PR,
    TBL,
    TC,
    TR,
    WORDML_2010,
    P,
    R,
    Sdt,
    T,
    block_control,
    children,
    content_control,
    int_property,
    main_document,
    w,
)
from service.ingest.text import COMMENT_LABEL

from .files import rezip
from .plan import CHOICE_SEPARATOR, MARK, NotWritten, Write, marked

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Where ingest never looks for visible controls: deleted text, text boxes, fallback copies.
_UNSEEN = {w("del"), w("moveFrom"), w("txbxContent"), f"{{{MARKUP_COMPATIBILITY}}}Fallback"}
_CHECKED_GLYPH, _UNCHECKED_GLYPH = "2612", "2610"  # ☒ ☐, Word's defaults


class _SlotError(Exception):
    """The slot is not where the location says, or cannot take the value."""


def fill_docx(source: bytes, writes: list[Write]) -> tuple[bytes, list[Write], list[NotWritten]]:
    """The document with `writes` applied, the writes made and the ones refused."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        part = main_document(archive)
        root = etree.fromstring(archive.read(part), PARSER)
        body = root.find(w("body"))
        if body is None:
            return source, [], [_refuse(w, "the document has no body") for w in writes]
        document = _Body(body)
        written: list[Write] = []
        refused: list[NotWritten] = []
        for write in writes:
            try:
                document.fill(write)
            except _SlotError as exc:
                refused.append(_refuse(write, str(exc)))
            else:
                written.append(write)
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        return rezip(archive, {part: data}), written, refused


def _refuse(write: Write, reason: str) -> NotWritten:
    return NotWritten(write.ref, write.role, str(write.location), reason)


class _Body:
    def __init__(self, body: etree._Element) -> None:
        self.tables = list(body.iter(TBL))
        self.paragraphs = list(_body_paragraphs(body))
        self.checkboxes = [e for e in body.iter(w("fldChar"), SDT) if _is_checkbox(e)]
        self.boxes_of: dict[etree._Element, list[etree._Element]] = {}  # cell/paragraph -> boxes
        for box in self.checkboxes:
            self.boxes_of.setdefault(_owner(box), []).append(box)

    def fill(self, write: Write) -> None:
        control = write.location.control
        if control == "mark":
            self._mark(write)
            return
        container = self._container(write.location)
        index = write.location.index or 0
        if control == "checkbox":
            self._tick(container, index, write)
        elif control == "content_control":
            _set_control_text(_nth(_answer_controls(container), index, "content control"),
                              write.text)
        elif control == "placeholder":
            _fill_blank(container, index, write.text)
        elif container.tag == TC:
            _set_cell_text(container, write.text, write.after_label)
        else:
            _set_paragraph_text(container, write.text)

    def _mark(self, write: Write) -> None:
        """The mark in the chosen option's cell, the i-th grid column from the slot's; the
        other options' cells emptied of any mark."""
        cells = [self._container(replace(write.location, column=(write.location.column or 0) + i,
                                         control=None))
                 for i in range(len(write.options))]
        for cell, chosen in zip(cells, marked(write.options, write.text), strict=True):
            if chosen:
                _set_cell_text(cell, MARK, after_label=False)
            elif "".join(t.text or "" for t in cell.iter(T)).strip():
                _set_cell_text(cell, "", after_label=False)

    def _container(self, location: Location) -> etree._Element:
        """The w:tc or w:p the location names."""
        if location.kind == "paragraph":
            return _nth(iter(self.paragraphs), location.paragraph or 0, "paragraph")
        if location.kind != "table":
            raise _SlotError("not a place in a Word document")
        table = _nth(iter(self.tables), location.table or 0, "table")
        row = _nth(children(table, TR), location.row or 0, "table row")
        column = int_property(row.find(w("trPr")), "gridBefore", 0)
        for cell in children(row, TC):
            if column == location.column:
                return cell
            column += max(1, int_property(cell.find(w("tcPr")), "gridSpan", 1))
        raise _SlotError("no cell starts at that column")

    def _tick(self, container: etree._Element, index: int, write: Write) -> None:
        """Option i is the i-th checkbox from the slot's first one, in document order."""
        own = self.boxes_of.get(container, [])
        first = self.checkboxes.index(_nth(iter(own), index, "checkbox"))
        boxes = self.checkboxes[first:first + len(write.options)]
        if len(boxes) < len(write.options):
            raise _SlotError("fewer checkboxes than options")
        chosen = set(write.text.split(CHOICE_SEPARATOR))
        for option, box in zip(write.options, boxes, strict=True):
            _set_checkbox(box, option in chosen)


def _nth(elements: Iterator[etree._Element], index: int, what: str) -> etree._Element:
    for i, element in enumerate(elements):
        if i == index:
            return element
    raise _SlotError(f"no {what} {index}")


def _body_paragraphs(container: etree._Element) -> Iterator[etree._Element]:
    """Body paragraphs counted as ingest counts them: outside tables, through content-control
    and custom-XML wrappers (a control's own paragraphs count too)."""
    for child in container:
        if child.tag == P:
            yield child
        elif child.tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is None:
                continue
            if block_control(child) is None:
                yield from _body_paragraphs(content)
            else:
                yield from content.findall(P)
        elif child.tag == w("customXml"):
            yield from _body_paragraphs(child)


def _owner(element: etree._Element) -> etree._Element | None:
    """The cell, or else the body paragraph, an element belongs to (None when unseen); a
    content control around a whole cell belongs to that cell."""
    if element.tag == SDT and (wrapped := element.find(f"{SDT_CONTENT}/{TC}")) is not None:
        return wrapped
    paragraph = None
    for ancestor in element.iterancestors():
        if ancestor.tag in _UNSEEN:
            return None
        if ancestor.tag == TC:
            return ancestor
        if ancestor.tag == P and paragraph is None:
            paragraph = ancestor
    return paragraph


def _is_checkbox(element: etree._Element) -> bool:
    if _owner(element) is None:
        return False
    if element.tag == SDT:
        return element.find(f"{SDT_PR}/{{{WORDML_2010}}}checkbox") is not None
    return element.get(w("fldCharType")) == "begin" and \
        element.find(f"{w('ffData')}/{w('checkBox')}") is not None


def _set_checkbox(box: etree._Element, checked: bool) -> None:
    if box.tag == SDT:
        checkbox = box.find(f"{SDT_PR}/{{{WORDML_2010}}}checkbox")
        state = checkbox.find(f"{{{WORDML_2010}}}checked")
        if state is None:
            state = etree.Element(f"{{{WORDML_2010}}}checked")
            checkbox.insert(0, state)
        state.set(f"{{{WORDML_2010}}}val", "1" if checked else "0")
        glyph = checkbox.find(f"{{{WORDML_2010}}}{'checkedState' if checked else 'uncheckedState'}")
        code = glyph.get(f"{{{WORDML_2010}}}val") if glyph is not None else None
        shown = next(box.find(SDT_CONTENT).iter(T), None)
        if shown is not None:
            shown.text = chr(int(code or (_CHECKED_GLYPH if checked else _UNCHECKED_GLYPH), 16))
        return
    checkbox = box.find(f"{w('ffData')}/{w('checkBox')}")
    state = checkbox.find(w("checked"))
    if state is None:  # w:checked follows w:default in the schema's order
        state = etree.SubElement(checkbox, w("checked"))
    state.set(w("val"), "1" if checked else "0")


def _answer_controls(container: etree._Element) -> Iterator[etree._Element]:
    """The content controls ingest counts as answer slots of the cell or paragraph: inline
    ones in paragraphs, block ones around a paragraph; a body paragraph inside a block control
    is answered by that control."""
    parent = container.getparent()
    if container.tag == P and parent is not None and parent.tag == SDT_CONTENT:
        control = parent.getparent()
        if control is not None and block_control(control) is not None:
            yield control
            return
    for sdt in container.iter(SDT):
        if _owner(sdt) is not container:
            continue
        if isinstance(content_control(sdt), Sdt) if _in_paragraph(sdt, container) else \
                block_control(sdt) is not None:
            yield sdt


def _in_paragraph(element: etree._Element, container: etree._Element) -> bool:
    """Inside a paragraph (an inline control) rather than around paragraphs (a block one)."""
    for ancestor in element.iterancestors():
        if ancestor is container:
            return container.tag == P
        if ancestor.tag == P:
            return True
    return False


def _set_control_text(sdt: etree._Element, text: str) -> None:
    properties = sdt.find(SDT_PR)
    if properties is not None:
        for flag in properties.findall(w("showingPlcHdr")):
            properties.remove(flag)
    content = sdt.find(SDT_CONTENT)
    if content is None:
        content = etree.SubElement(sdt, SDT_CONTENT)
    paragraphs = content.findall(P)
    if paragraphs:
        for extra in paragraphs[1:]:
            content.remove(extra)
        _set_paragraph_text(paragraphs[0], text)
    else:
        _replace_runs(content, text, _run_format(content))


def _fill_blank(container: etree._Element, index: int, text: str) -> None:
    """Replace the index-th run of underscores with the answer."""
    seen = 0
    for node in container.iter(T):
        for blank in BLANK.finditer(node.text or ""):
            if seen == index:
                node.text = node.text[:blank.start()] + text + node.text[blank.end():]
                node.set(_XML_SPACE, "preserve")
                return
            seen += 1
    raise _SlotError(f"no blank {index}")


def _set_cell_text(cell: etree._Element, text: str, after_label: bool) -> None:
    """A label's own cell ("Summary of advice:", "Comments:") keeps the label and gets the
    answer in a new paragraph after it; any other slot holds only the answer."""
    paragraphs = list(children(cell, P))
    if not paragraphs:
        paragraphs = [etree.SubElement(cell, P)]
    label = "".join(t.text or "" for t in cell.iter(T)).strip()
    if after_label or label.endswith(":") or COMMENT_LABEL.match(label):
        last = paragraphs[-1]
        added = etree.Element(P)
        properties = last.find(PPR)
        if properties is not None:
            added.append(copy.deepcopy(properties))
        last.addnext(added)
        _replace_runs(added, text, _run_format(last))
        return
    for extra in paragraphs[1:]:
        extra.getparent().remove(extra)
    _set_paragraph_text(paragraphs[0], text)


def _set_paragraph_text(paragraph: etree._Element, text: str) -> None:
    """The paragraph holds only `text`, in its own properties and its first run's format."""
    run_format = _run_format(paragraph)
    for child in list(paragraph):
        if child.tag != PPR:
            paragraph.remove(child)
    _replace_runs(paragraph, text, run_format)


def _run_format(container: etree._Element) -> etree._Element | None:
    """A copy of the first run's formatting, without a placeholder style."""
    found = next((r.find(RPR) for r in container.iter(R) if r.find(RPR) is not None), None)
    if found is None:
        return None
    run_format = copy.deepcopy(found)
    for style in run_format.findall(w("rStyle")):
        if "placeholder" in (style.get(w("val")) or "").lower():
            run_format.remove(style)
    return run_format


def _replace_runs(container: etree._Element, text: str, run_format: etree._Element | None
                  ) -> None:
    """Runs of `container` replaced by one run of `text`, line breaks kept as w:br."""
    for run in container.findall(R):
        container.remove(run)
    run = etree.SubElement(container, R)
    if run_format is not None:
        run.append(run_format)
    for i, line in enumerate(text.split("\n")):
        if i:
            etree.SubElement(run, BR)
        node = etree.SubElement(run, T)
        node.text = line
        node.set(_XML_SPACE, "preserve")
