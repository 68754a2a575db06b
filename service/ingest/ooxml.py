"""The Office Open XML vocabulary that reading a questionnaire and writing its answers back share.

WordprocessingML: element names, which run content is visible text, what a content control or
a legacy form field is (checkbox, text, list; or a mere wrapper), how rows and cells are found
through the wrappers Word puts around them, and where a package keeps its main document.
SpreadsheetML: which zip part holds which sheet. Ingest numbers slots with these rules and export
finds them again with the same ones, so a location written is the location read.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from .model import IngestError
from .text import clean, is_placeholder

__all__ = [
    "ANSWER_CONTROL_TYPES",
    "BLANK",
    "BR",
    "CR",
    "CUSTOM_XML",
    "FLD_CHAR",
    "MARKUP_COMPATIBILITY",
    "OFFICE_DOCUMENT",
    "PARSER",
    "PPR",
    "RPR",
    "SDT",
    "SDT_CONTENT",
    "SDT_PR",
    "SPREADSHEETML",
    "STYLES",
    "TAB",
    "TBL",
    "TC",
    "TR",
    "VAL",
    "WORDML",
    "WORDML_2010",
    "WRAPPERS",
    "Box",
    "P",
    "R",
    "Sdt",
    "T",
    "Token",
    "block_control",
    "cell_checkbox",
    "children",
    "content_control",
    "find",
    "int_property",
    "is_on",
    "main_document",
    "related_part",
    "sheet_parts",
    "tokens",
    "w",
    "workbook_part",
]

WORDML = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
WORDML_2010 = "http://schemas.microsoft.com/office/word/2010/wordml"  # w14: checkbox controls
MARKUP_COMPATIBILITY = "http://schemas.openxmlformats.org/markup-compatibility/2006"
OFFICE_DOCUMENT = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
                   "officeDocument")
STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
SPREADSHEETML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIP_ID = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"

# Office XML never needs a DTD or entities (source.py refuses parts that declare them).
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                         huge_tree=False)


def w(name: str) -> str:
    """A WordprocessingML element or attribute name in Clark notation."""
    return f"{{{WORDML}}}{name}"


P, T, TAB, BR, CR, R = w("p"), w("t"), w("tab"), w("br"), w("cr"), w("r")
RPR, PPR = w("rPr"), w("pPr")
TBL, TR, TC, SDT = w("tbl"), w("tr"), w("tc"), w("sdt")
SDT_PR, SDT_CONTENT, CUSTOM_XML = w("sdtPr"), w("sdtContent"), w("customXml")
FLD_CHAR, VAL = w("fldChar"), w("val")
_NO_BREAK_HYPHEN = w("noBreakHyphen")
# Never visible text of the paragraph itself: text boxes and drawings (their own paragraphs),
# deleted revisions, field instructions and properties.
_HIDDEN = {w("del"), w("moveFrom"), w("instrText"), w("delText"), w("drawing"), w("pict"),
           w("object"), w("txbxContent"), RPR, PPR, SDT_PR, TBL,
           f"{{{MARKUP_COMPATIBILITY}}}AlternateContent"}
WRAPPERS = {SDT, SDT_CONTENT, CUSTOM_XML}  # may wrap rows or cells without changing layout
ANSWER_CONTROL_TYPES = ("text", "date", "dropDownList", "comboBox")
BLANK = re.compile(r"_{3,}")  # a run of underscores to write an answer on


# ---------------------------------------------------------------------------------------------
# Visible run content and form controls


@dataclass(frozen=True)
class Box:
    """A checkbox: a legacy FORMCHECKBOX field or a w14 checkbox content control."""

    checked: bool


@dataclass(frozen=True)
class Sdt:
    """A content control that takes text or a choice."""

    options: tuple[str, ...]
    value: str | None  # None while the control shows its placeholder
    shown: str = ""  # what the control displays: its value or its placeholder text
    bound: bool = False  # mapped to a document property (w:dataBinding): Word refills it


Token = str | Box | Sdt


def tokens(element: etree._Element) -> list[Token]:
    """The visible run content of a paragraph, in order, with its form controls."""
    out: list[Token] = []
    _collect(element, out)
    return out


def _collect(element: etree._Element, out: list[Token]) -> None:
    for child in element:
        tag = child.tag
        if tag == T:
            out.append(child.text or "")
        elif tag == TAB:
            out.append("\t")
        elif tag in (BR, CR):
            out.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            out.append("-")
        elif tag == FLD_CHAR:
            box = _legacy_checkbox(child)
            if box is not None:
                out.append(box)
        elif tag == SDT:
            control = content_control(child)
            if control is None:
                _collect(find(child, SDT_CONTENT), out)
            else:
                out.append(control)
        elif tag not in _HIDDEN and isinstance(tag, str):
            _collect(child, out)


def find(element: etree._Element, tag: str) -> etree._Element:
    """The child with that tag, or an empty stand-in so callers need no None checks."""
    found = element.find(tag)
    return found if found is not None else etree.Element(tag)


def is_on(element: etree._Element | None, attribute: str = VAL) -> bool:
    if element is None:
        return False
    return element.get(attribute, "1").lower() in ("1", "true", "on")


def _legacy_checkbox(fld_char: etree._Element) -> Box | None:
    if fld_char.get(w("fldCharType")) != "begin":
        return None
    checkbox = fld_char.find(f"{w('ffData')}/{w('checkBox')}")
    if checkbox is None:
        return None
    checked = checkbox.find(w("checked"))
    if checked is not None:  # the current state; w:default is only the initial one
        return Box(is_on(checked))
    return Box(is_on(checkbox.find(w("default"))))


def content_control(sdt: etree._Element) -> Box | Sdt | None:
    """A w:sdt as a form control, or None when it only wraps content (building blocks, locked
    text) and should read as plain text."""
    properties = sdt.find(SDT_PR)
    if properties is None:
        return None
    checkbox = properties.find(f"{{{WORDML_2010}}}checkbox")
    if checkbox is not None:
        return Box(is_on(checkbox.find(f"{{{WORDML_2010}}}checked"), f"{{{WORDML_2010}}}val"))
    if properties.find(w("docPartObj")) is not None or \
            properties.find(w("docPartList")) is not None:
        return None
    lock = properties.find(w("lock"))
    if lock is not None and lock.get(VAL) in ("sdtContentLocked", "contentLocked"):
        return None
    options: tuple[str, ...] = ()
    for kind in ("dropDownList", "comboBox"):
        listing = properties.find(w(kind))
        if listing is not None:
            items = (clean(i.get(w("displayText")) or i.get(VAL)) for i in listing
                     if i.tag == w("listItem"))
            # Word lists its own hint ("Choose an item.") as the first item
            options = tuple(dict.fromkeys(i for i in items if i and not is_placeholder(i, "")))
    text = _plain_text(find(sdt, SDT_CONTENT))
    bound = properties.find(w("dataBinding")) is not None
    showing_placeholder = properties.find(w("showingPlcHdr")) is not None
    if showing_placeholder or is_placeholder(text, ""):
        return Sdt(options, None, text, bound)
    return Sdt(options, text, text, bound)


def _plain_text(content: etree._Element) -> str:
    """The text of a content control's content, whether it holds runs or paragraphs."""
    paragraphs = list(content.iter(P)) or [content]
    return clean("\n".join("".join(t for t in tokens(p) if isinstance(t, str))
                           for p in paragraphs))


def block_control(sdt: etree._Element) -> Sdt | None:
    """A content control around whole paragraphs that is an answer slot: typed (text, date,
    list) or showing its placeholder. An untyped one around several paragraphs or a table is
    a wrapper whose content reads as usual."""
    control = content_control(sdt)
    if not isinstance(control, Sdt):
        return None
    properties = find(sdt, SDT_PR)
    typed = any(properties.find(w(kind)) is not None for kind in ANSWER_CONTROL_TYPES)
    content = find(sdt, SDT_CONTENT)
    if typed or properties.find(w("showingPlcHdr")) is not None:
        return control
    return control if content.find(TBL) is None and len(content.findall(P)) == 1 else None


def cell_checkbox(cell: etree._Element) -> Box | None:
    """The checkbox of a cell that is itself a checkbox content control (a w:sdt around the
    w:tc), or None."""
    parent = cell.getparent()
    if parent is None or parent.tag != SDT_CONTENT:
        return None
    control = content_control(parent.getparent())
    return control if isinstance(control, Box) else None


# ---------------------------------------------------------------------------------------------
# Tables


def children(element: etree._Element, tag: str) -> Iterator[etree._Element]:
    """Rows of a table or cells of a row, looking through content-control and custom-XML
    wrappers."""
    for child in element:
        if child.tag == tag:
            yield child
        elif child.tag in WRAPPERS:
            yield from children(child, tag)


def int_property(properties: etree._Element | None, name: str, default: int) -> int:
    """An integer property such as w:gridSpan or w:gridBefore, or `default`."""
    if properties is None:
        return default
    found = properties.find(w(name))
    value = found.get(VAL, "") if found is not None else ""
    return int(value) if value.isdigit() else default


# ---------------------------------------------------------------------------------------------
# Packages


def related_part(archive: zipfile.ZipFile, source: str, relationship: str) -> str | None:
    """The part `source` ("" for the package itself) points to with `relationship`, if it is in
    the archive."""
    folder, name = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in archive.NameToInfo:
        return None
    for rel in etree.fromstring(archive.read(rels), PARSER):
        if rel.get("Type") == relationship and rel.get("TargetMode") != "External":
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join(folder, target))
            return path if path in archive.NameToInfo else None
    return None


def main_document(archive: zipfile.ZipFile) -> str:
    """The zip part holding a Word document's body."""
    return related_part(archive, "", OFFICE_DOCUMENT) or "word/document.xml"


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """A workbook's sheet name -> (zip part, visibility), in workbook order."""
    book = workbook_part(archive, "xl/workbook.xml")
    rels = workbook_part(archive, "xl/_rels/workbook.xml.rels")
    targets = {
        rel.get("Id"): rel.get("Target", "")
        for rel in rels.iter(f"{{{_PACKAGE_RELATIONSHIPS}}}Relationship")
    }
    sheets: dict[str, tuple[str, str]] = {}
    for sheet in book.iter(f"{{{SPREADSHEETML}}}sheet"):
        target = targets.get(sheet.get(f"{{{_RELATIONSHIP_ID}}}id"), "")
        part = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join("xl", target))
        )
        sheets[sheet.get("name", "")] = (part, sheet.get("state", "visible"))
    return sheets


def workbook_part(archive: zipfile.ZipFile, part: str) -> etree._Element:
    """A workbook's XML part, parsed; a missing or broken one is a corrupt workbook."""
    try:
        return etree.fromstring(archive.read(part), PARSER)
    except KeyError:
        raise IngestError(f"the workbook is corrupt: {part} is missing") from None
    except etree.XMLSyntaxError as exc:
        raise IngestError(f"the workbook is corrupt: {part}: {exc}") from None
