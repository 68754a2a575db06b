"""Answers into the customer's Word document, in place, found exactly as ingest numbers them.

Only the main document part is rewritten, and in it only the answer slots: a slot's paragraph
keeps its properties and the first run's formatting, legacy checkbox fields and checkbox
content controls are ticked, other content controls get the chosen text. The numbering rules
(tables, paragraphs, controls) are those of service.ingest.docx, whose helpers are reused so
that a location written is the location read.
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Iterator

from lxml import etree

from service.ingest.docx import (
    _BLANK,
    _COMMENT_LABEL,
    _OFFICE_DOCUMENT,
    _P,
    _PARSER,
    _SDT,
    _SDT_CONTENT,
    _SDT_PR,
    _T,
    _TBL,
    _TC,
    _TR,
    _W14,
    _block_control,
    _children,
    _content_control,
    _int_property,
    _Sdt,
    _target,
    _w,
)
from service.ingest.model import Location

from .files import rezip
from .plan import CHOICE_SEPARATOR, NotWritten, Write

_R, _RPR, _PPR, _BR = _w("r"), _w("rPr"), _w("pPr"), _w("br")
_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
# Where ingest never looks for visible controls: deleted text, text boxes, fallback copies.
_UNSEEN = {_w("del"), _w("moveFrom"), _w("txbxContent"),
           "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"}
_CHECKED_GLYPH, _UNCHECKED_GLYPH = "2612", "2610"  # ☒ ☐, Word's defaults


class _SlotError(Exception):
    """The slot is not where the location says, or cannot take the value."""


def fill_docx(source: bytes, writes: list[Write]) -> tuple[bytes, list[Write], list[NotWritten]]:
    """The document with `writes` applied, the writes made and the ones refused."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        names = set(archive.namelist())
        part = _target(archive, names, "_rels/.rels", "", _OFFICE_DOCUMENT) or "word/document.xml"
        root = etree.fromstring(archive.read(part), _PARSER)
        body = root.find(_w("body"))
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
        self.tables = list(body.iter(_TBL))
        self.paragraphs = list(_body_paragraphs(body))
        self.checkboxes = [e for e in body.iter(_w("fldChar"), _SDT) if _is_checkbox(e)]
        self.boxes_of: dict[etree._Element, list[etree._Element]] = {}  # cell/paragraph -> boxes
        for box in self.checkboxes:
            self.boxes_of.setdefault(_owner(box), []).append(box)

    def fill(self, write: Write) -> None:
        container = self._container(write.location)
        control = write.location.control
        index = write.location.index or 0
        if control == "checkbox":
            self._tick(container, index, write)
        elif control == "content_control":
            _set_control_text(_nth(_answer_controls(container), index, "content control"),
                              write.text)
        elif control == "placeholder":
            _fill_blank(container, index, write.text)
        elif container.tag == _TC:
            _set_cell_text(container, write.text, write.after_label)
        else:
            _set_paragraph_text(container, write.text)

    def _container(self, location: Location) -> etree._Element:
        """The w:tc or w:p the location names."""
        if location.kind == "paragraph":
            return _nth(iter(self.paragraphs), location.paragraph or 0, "paragraph")
        if location.kind != "table":
            raise _SlotError("not a place in a Word document")
        table = _nth(iter(self.tables), location.table or 0, "table")
        row = _nth(_children(table, _TR), location.row or 0, "table row")
        column = _int_property(row.find(_w("trPr")), "gridBefore", 0)
        for cell in _children(row, _TC):
            if column == location.column:
                return cell
            column += max(1, _int_property(cell.find(_w("tcPr")), "gridSpan", 1))
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
        if child.tag == _P:
            yield child
        elif child.tag == _SDT:
            content = child.find(_SDT_CONTENT)
            if content is None:
                continue
            if _block_control(child) is None:
                yield from _body_paragraphs(content)
            else:
                yield from content.findall(_P)
        elif child.tag == _w("customXml"):
            yield from _body_paragraphs(child)


def _owner(element: etree._Element) -> etree._Element | None:
    """The cell, or else the body paragraph, an element belongs to (None when unseen); a
    content control around a whole cell belongs to that cell."""
    if element.tag == _SDT and (wrapped := element.find(f"{_SDT_CONTENT}/{_TC}")) is not None:
        return wrapped
    paragraph = None
    for ancestor in element.iterancestors():
        if ancestor.tag in _UNSEEN:
            return None
        if ancestor.tag == _TC:
            return ancestor
        if ancestor.tag == _P and paragraph is None:
            paragraph = ancestor
    return paragraph


def _is_checkbox(element: etree._Element) -> bool:
    if _owner(element) is None:
        return False
    if element.tag == _SDT:
        return element.find(f"{_SDT_PR}/{{{_W14}}}checkbox") is not None
    return element.get(_w("fldCharType")) == "begin" and \
        element.find(f"{_w('ffData')}/{_w('checkBox')}") is not None


def _set_checkbox(box: etree._Element, checked: bool) -> None:
    if box.tag == _SDT:
        checkbox = box.find(f"{_SDT_PR}/{{{_W14}}}checkbox")
        state = checkbox.find(f"{{{_W14}}}checked")
        if state is None:
            state = etree.Element(f"{{{_W14}}}checked")
            checkbox.insert(0, state)
        state.set(f"{{{_W14}}}val", "1" if checked else "0")
        glyph = checkbox.find(f"{{{_W14}}}{'checkedState' if checked else 'uncheckedState'}")
        code = glyph.get(f"{{{_W14}}}val") if glyph is not None else None
        shown = next(box.find(_SDT_CONTENT).iter(_T), None)
        if shown is not None:
            shown.text = chr(int(code or (_CHECKED_GLYPH if checked else _UNCHECKED_GLYPH), 16))
        return
    checkbox = box.find(f"{_w('ffData')}/{_w('checkBox')}")
    state = checkbox.find(_w("checked"))
    if state is None:  # w:checked follows w:default in the schema's order
        state = etree.SubElement(checkbox, _w("checked"))
    state.set(_w("val"), "1" if checked else "0")


def _answer_controls(container: etree._Element) -> Iterator[etree._Element]:
    """The content controls ingest counts as answer slots of the cell or paragraph: inline
    ones in paragraphs, block ones around a paragraph; a body paragraph inside a block control
    is answered by that control."""
    parent = container.getparent()
    if container.tag == _P and parent is not None and parent.tag == _SDT_CONTENT:
        control = parent.getparent()
        if control is not None and _block_control(control) is not None:
            yield control
            return
    for sdt in container.iter(_SDT):
        if _owner(sdt) is not container:
            continue
        if isinstance(_content_control(sdt), _Sdt) if _in_paragraph(sdt, container) else \
                _block_control(sdt) is not None:
            yield sdt


def _in_paragraph(element: etree._Element, container: etree._Element) -> bool:
    """Inside a paragraph (an inline control) rather than around paragraphs (a block one)."""
    for ancestor in element.iterancestors():
        if ancestor is container:
            return container.tag == _P
        if ancestor.tag == _P:
            return True
    return False


def _set_control_text(sdt: etree._Element, text: str) -> None:
    properties = sdt.find(_SDT_PR)
    if properties is not None:
        for flag in properties.findall(_w("showingPlcHdr")):
            properties.remove(flag)
    content = sdt.find(_SDT_CONTENT)
    if content is None:
        content = etree.SubElement(sdt, _SDT_CONTENT)
    paragraphs = content.findall(_P)
    if paragraphs:
        for extra in paragraphs[1:]:
            content.remove(extra)
        _set_paragraph_text(paragraphs[0], text)
    else:
        _replace_runs(content, text, _run_format(content))


def _fill_blank(container: etree._Element, index: int, text: str) -> None:
    """Replace the index-th run of underscores with the answer."""
    seen = 0
    for node in container.iter(_T):
        for blank in _BLANK.finditer(node.text or ""):
            if seen == index:
                node.text = node.text[:blank.start()] + text + node.text[blank.end():]
                node.set(_XML_SPACE, "preserve")
                return
            seen += 1
    raise _SlotError(f"no blank {index}")


def _set_cell_text(cell: etree._Element, text: str, after_label: bool) -> None:
    """A label's own cell ("Summary of advice:", "Comments:") keeps the label and gets the
    answer in a new paragraph after it; any other slot holds only the answer."""
    paragraphs = list(_children(cell, _P))
    if not paragraphs:
        paragraphs = [etree.SubElement(cell, _P)]
    label = "".join(t.text or "" for t in cell.iter(_T)).strip()
    if after_label or label.endswith(":") or _COMMENT_LABEL.match(label):
        last = paragraphs[-1]
        added = etree.Element(_P)
        properties = last.find(_PPR)
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
        if child.tag != _PPR:
            paragraph.remove(child)
    _replace_runs(paragraph, text, run_format)


def _run_format(container: etree._Element) -> etree._Element | None:
    """A copy of the first run's formatting, without a placeholder style."""
    found = next((r.find(_RPR) for r in container.iter(_R) if r.find(_RPR) is not None), None)
    if found is None:
        return None
    run_format = copy.deepcopy(found)
    for style in run_format.findall(_w("rStyle")):
        if "placeholder" in (style.get(_w("val")) or "").lower():
            run_format.remove(style)
    return run_format


def _replace_runs(container: etree._Element, text: str, run_format: etree._Element | None
                  ) -> None:
    """Runs of `container` replaced by one run of `text`, line breaks kept as w:br."""
    for run in container.findall(_R):
        container.remove(run)
    run = etree.SubElement(container, _R)
    if run_format is not None:
        run.append(run_format)
    for i, line in enumerate(text.split("\n")):
        if i:
            etree.SubElement(run, _BR)
        node = etree.SubElement(run, _T)
        node.text = line
        node.set(_XML_SPACE, "preserve")
