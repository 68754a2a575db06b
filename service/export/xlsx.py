"""Answers into the customer's workbook by patching only the answer cells of the sheet XML.

openpyxl would re-save the whole workbook and drop what it does not model (x14 data
validations, some drawings, extensions), so every zip part except the patched sheets is copied
byte for byte, and inside a sheet only the written cells change. Answers go in as inline
strings: sharedStrings.xml stays untouched.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

from lxml import etree
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

from service.ingest.ooxml import SPREADSHEETML, sheet_parts

from .files import rezip
from .plan import FORMULA_CELL, MARK, NotWritten, Write, marked

_XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_ROW, _CELL, _FORMULA = f"{{{SPREADSHEETML}}}row", f"{{{SPREADSHEETML}}}c", f"{{{SPREADSHEETML}}}f"
_VALUE, _INLINE = f"{{{SPREADSHEETML}}}v", f"{{{SPREADSHEETML}}}is"
_MAX_CELL_TEXT = 32_767  # what a spreadsheet cell holds
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_COLUMN_LETTERS = re.compile(r"[A-Z]+")


def fill_xlsx(source: bytes, writes: list[Write]) -> tuple[bytes, list[Write], list[NotWritten]]:
    """The workbook with `writes` applied, the writes made and the ones refused."""
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        parts = {name: part for name, (part, _) in sheet_parts(archive).items()}
        by_part: dict[str, list[Write]] = {}
        refused: list[NotWritten] = []
        for write in writes:
            part = parts.get(write.location.sheet or "")
            if write.location.kind != "cell" or part is None:
                refused.append(_refuse(write, "not a cell of this workbook"))
            elif len(write.text) > _MAX_CELL_TEXT:
                refused.append(_refuse(write, "longer than a cell holds"))
            else:
                by_part.setdefault(part, []).append(write)
        written: list[Write] = []
        patched = {
            part: _patch_sheet(archive.read(part), part_writes, written, refused)
            for part, part_writes in by_part.items()
        }
        return rezip(archive, patched), written, refused


def _refuse(write: Write, reason: str) -> NotWritten:
    return NotWritten(write.ref, write.role, str(write.location), reason)


def _patch_sheet(xml: bytes, writes: list[Write], written: list[Write],
                 refused: list[NotWritten]) -> bytes:
    root = etree.fromstring(xml, _PARSER)
    sheet_data = root.find(f"{{{SPREADSHEETML}}}sheetData")
    if sheet_data is None:
        sheet_data = etree.SubElement(root, f"{{{SPREADSHEETML}}}sheetData")
    rows = _numbered(sheet_data, _ROW, lambda element: int(element.get("r", "0")))
    for write in writes:
        column_letters, row_number = coordinate_from_string(write.location.cell or "")
        column = column_index_from_string(column_letters)
        row = rows.get(row_number)
        if row is None:
            row = _insert(sheet_data, _ROW, row_number, rows, {"r": str(row_number)})
        cells = _numbered(row, _CELL, _column_of)
        if write.location.control == "mark":
            # the mark in the chosen option's column, none left in the others
            values = [MARK if chosen else "" for chosen in marked(write.options, write.text)]
        else:
            values = [write.text]
        targets = [(column + i, value) for i, value in enumerate(values)]
        if any(_is_formula(cells.get(c)) for c, _ in targets):
            refused.append(_refuse(write, FORMULA_CELL))
            continue
        for target, value in targets:
            cell = cells.get(target)
            if cell is None and not value:
                continue  # an empty column stays as it is
            if cell is None:
                letters = get_column_letter(target)
                cell = _insert(row, _CELL, target, cells, {"r": f"{letters}{row_number}"},
                               style=_default_style(root, row, target))
                _widen_spans(row, target)
            if value:
                _set_text(cell, value)
            else:
                _clear(cell)
        written.append(write)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _is_formula(cell: etree._Element | None) -> bool:
    return cell is not None and cell.find(_FORMULA) is not None


def _numbered(parent: etree._Element, tag: str,
              number_of: Callable[[etree._Element], int]) -> dict[int, etree._Element]:
    """Children by row or column number; an element without `r` follows the one before it."""
    found: dict[int, etree._Element] = {}
    previous = 0
    for child in parent.iterchildren(tag):
        number = number_of(child) if child.get("r") else previous + 1
        found[number] = child
        previous = number
    return found


def _column_of(cell: etree._Element) -> int:
    letters = _COLUMN_LETTERS.match(cell.get("r", ""))
    return column_index_from_string(letters.group(0)) if letters else 0


def _insert(parent: etree._Element, tag: str, number: int, existing: dict[int, etree._Element],
            attributes: dict[str, str], style: str | None = None) -> etree._Element:
    """A new row or cell, placed before the first sibling numbered after it (the schema wants
    rows and cells in order)."""
    element = etree.Element(tag, attributes)
    if style is not None:
        element.set("s", style)
    following = [n for n in existing if n > number]
    if following:
        existing[min(following)].addprevious(element)
    else:
        parent.append(element)
    existing[number] = element
    return element


def _default_style(root: etree._Element, row: etree._Element, column: int) -> str | None:
    """The style a new cell would show anyway: its row's, else its column's."""
    if row.get("customFormat") in ("1", "true") and row.get("s"):
        return row.get("s")
    for definition in root.iterfind(f"{{{SPREADSHEETML}}}cols/{{{SPREADSHEETML}}}col"):
        if int(definition.get("min", "0")) <= column <= int(definition.get("max", "0")):
            return definition.get("style")
    return None


def _widen_spans(row: etree._Element, column: int) -> None:
    """`spans` is a hint of the row's first:last column; keep it true for a new cell."""
    spans = row.get("spans", "")
    first, _, last = spans.partition(":")
    if first.isdigit() and last.isdigit():
        row.set("spans", f"{min(int(first), column)}:{max(int(last), column)}")


def _clear(cell: etree._Element) -> None:
    """The cell emptied of its value (a mark in another option's column); its style stays."""
    if cell.find(_VALUE) is None and cell.find(_INLINE) is None:
        return
    for old in (*cell.findall(_VALUE), *cell.findall(_INLINE)):
        cell.remove(old)
    for attribute in ("cm", "vm", "t"):
        cell.attrib.pop(attribute, None)


def _set_text(cell: etree._Element, text: str) -> None:
    """The cell's value becomes `text` as an inline string; its style `s` stays."""
    for old in (*cell.findall(_VALUE), *cell.findall(_INLINE)):
        cell.remove(old)
    for attribute in ("cm", "vm"):  # cell/value metadata describe the old value
        cell.attrib.pop(attribute, None)
    cell.set("t", "inlineStr")
    inline = etree.Element(_INLINE)
    text_element = etree.SubElement(inline, f"{{{SPREADSHEETML}}}t")
    text_element.text = text
    text_element.set(_XML_SPACE, "preserve")
    cell.insert(0, inline)
