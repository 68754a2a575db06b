"""XLSX questionnaires: every response sheet, with dropdown options and answer cells."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import operator
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from lxml import etree
from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string, get_column_letter, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from .grid import AnswerCodes, Cell, Grid, interpret
from .model import IngestError, Location, Question, Questionnaire, Skipped
from .ooxml import SPREADSHEETML, sheet_parts, workbook_part
from .source import Limits
from .text import NA_WORDS, NO_WORDS, YES_WORDS, clean, normalise_choice, split_choices

_XM = "http://schemas.microsoft.com/office/excel/2006/main"
_X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
_TRAILING_EMPTY_ROWS = 5_000
_EXCEL_MAX_COLUMNS = 16_384  # XFD: a row listing more cells than this is not a spreadsheet
_SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

# Sheets written for the requester, not the respondent. Generic words, not template names.
_HELPER_SHEET = re.compile(
    r"analyst|evaluation|scor(e|ing)|crosswalk|cross-walk|mapping|change ?log|lookup|"
    r"^lists?$|dv-lists|^values$|drop-?downs?|backend|instructions?|introduction|read ?me|"
    r"acknowledg|attribution|licen[cs]e|_meta$|^meta|chart|dashboard|summary|report|"
    r"roadmap|benchmark|glossary|definitions|version history|about|cover|reference",
    re.IGNORECASE,
)


@dataclass
class _SheetXml:
    """What openpyxl does not tell us: every list validation and which cells hold formulas."""

    validations: list[tuple[str, str]] = field(default_factory=list)  # (formula, sqref)
    formulas: set[str] = field(default_factory=set)
    merges: list[str] = field(default_factory=list)
    hidden_columns: set[int] = field(default_factory=set)  # 0-based
    rows: int = 0
    last_column: int = 0  # of any cell listed, even an empty styled one


def parse_xlsx(data: bytes, limits: Limits, macro_enabled: bool = False) -> Questionnaire:
    archive = zipfile.ZipFile(io.BytesIO(data))
    sheets = sheet_parts(archive)
    if len(sheets) > limits.max_sheets:
        raise IngestError(
            f"the workbook has {len(sheets)} sheets, over the limit of {limits.max_sheets}"
        )
    questionnaire = Questionnaire(format="xlsx")
    if macro_enabled:
        questionnaire.notices.append("macro-enabled workbook: macros were not run and are ignored")
    candidates: list[str] = []
    for name, (_, state) in sheets.items():
        if state != "visible":
            questionnaire.skipped.append(Skipped(name, "hidden_sheet", name))
        elif _HELPER_SHEET.search(name):
            questionnaire.skipped.append(Skipped(name, "analyst_or_helper_sheet", name))
        else:
            candidates.append(name)
    xml = {name: _read_sheet_xml(archive, sheets[name][0], name, limits) for name in candidates}
    _check_shared_strings(archive, limits)

    def sheet_xml(sheet: str) -> _SheetXml:
        if sheet not in xml:
            xml[sheet] = (
                _read_sheet_xml(archive, sheets[sheet][0], sheet, limits)
                if sheet in sheets
                else _SheetXml()
            )
        return xml[sheet]

    book = _Book(_load(data), limits, sheet_xml)
    codes = _answer_codes(book)
    for name in candidates:
        if name not in book.sheetnames:  # a chart sheet: one chart, no cells
            questionnaire.skipped.append(Skipped(name, "chart_sheet", name))
            continue
        grid = _grid(book, name, xml[name])
        result = interpret(grid, codes)
        if not result.questions:
            questionnaire.skipped.append(Skipped(name, "no_questions", name))
            continue
        if result.derived:
            questionnaire.skipped.append(Skipped(name, "derived_sheet", name))
            continue
        questionnaire.questions.extend(result.questions)
        questionnaire.skipped.extend(result.skipped)
    questionnaire.questions = _qualified_by_sheet(questionnaire.questions)
    return questionnaire


def _qualified_by_sheet(questions: list[Question]) -> list[Question]:
    """The same requirements on a sheet per platform or product ("Security Requirements -
    Android", "… - iOS"): each answer is its own, so each ref is qualified by what tells its
    sheet apart ("Android/MSTG-ARCH-1"). Sheets sharing only a few rows (contact fields
    repeated on every tab) keep their refs."""
    refs: dict[str, set[str]] = {}
    for question in questions:
        if not question.ref_generated:
            refs.setdefault(question.answer_location.sheet or "", set()).add(question.ref)
    group: dict[str, str] = {sheet: sheet for sheet in refs}  # sheet -> its group's first sheet
    for first, second in itertools.combinations(refs, 2):
        shared = len(refs[first] & refs[second])
        if shared >= 3 and 2 * shared >= min(len(refs[first]), len(refs[second])):
            group[second] = group[first]
    members: dict[str, list[str]] = {}
    for sheet, leader in group.items():
        members.setdefault(leader, []).append(sheet)
    qualifier = {sheet: name for names in members.values() if len(names) > 1
                 for sheet, name in zip(names, _distinct_parts(names), strict=True)}
    return [replace(q, ref=f"{qualifier[q.answer_location.sheet or '']}/{q.ref}")
            if not q.ref_generated and q.answer_location.sheet in qualifier else q
            for q in questions]


def _distinct_parts(names: list[str]) -> list[str]:
    """What tells sheet names apart: their words without those all of them begin or end with
    ("Security Requirements - Android" / "… - iOS" -> "Android" / "iOS"); a name whose
    difference is a mere letter or number stays whole."""
    words = [re.split(r"\s+", name.strip()) for name in names]
    start = 0
    while all(len(w) > start + 1 for w in words) and len({w[start] for w in words}) == 1:
        start += 1
    end = 0
    while all(len(w) > start + end + 1 for w in words) and \
            len({w[len(w) - 1 - end] for w in words}) == 1:
        end += 1
    parts = [" ".join(w[start:len(w) - end]).strip(" -–_:|") for w in words]
    return [part if len(part) >= 3 else name for part, name in zip(parts, names, strict=True)]


def _load(data: bytes) -> Workbook:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about every extension it drops
            return load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except IngestError:
        raise
    except Exception as exc:  # openpyxl raises anything from KeyError to TypeError on bad files
        raise IngestError(
            f"the workbook is corrupt or unreadable ({type(exc).__name__}: {str(exc)[:120]})"
        ) from None


def _read_sheet_xml(archive: zipfile.ZipFile, part: str, name: str, limits: Limits) -> _SheetXml:
    found = _SheetXml()
    try:
        stream = archive.open(part)
    except KeyError:
        raise IngestError(f"the workbook is corrupt: sheet {name!r} is missing") from None
    cell_tag, row_tag = f"{{{SPREADSHEETML}}}c", f"{{{SPREADSHEETML}}}row"
    classic, x14 = f"{{{SPREADSHEETML}}}dataValidation", f"{{{_X14}}}dataValidation"
    merge, column = f"{{{SPREADSHEETML}}}mergeCell", f"{{{SPREADSHEETML}}}col"
    cells = position = 0  # cells in the current row, and the column of the last one
    try:
        for _, element in etree.iterparse(
            stream, events=("end",), resolve_entities=False, no_network=True, huge_tree=False
        ):
            tag = element.tag
            if tag == cell_tag:
                if element.find(f"{{{SPREADSHEETML}}}f") is not None:
                    found.formulas.add(element.get("r", ""))
                ref = element.get("r")
                position = (
                    column_index_from_string(ref.rstrip("0123456789")) if ref else position + 1
                )
                found.last_column = max(found.last_column, position)
                if position > limits.max_columns and _has_value(element):
                    raise IngestError(
                        f"sheet {name!r} uses {position} columns, over the limit of "
                        f"{limits.max_columns}"
                    )
                cells += 1
                if cells > _EXCEL_MAX_COLUMNS:
                    # openpyxl would build every cell of the row in memory before we see it
                    raise IngestError(
                        f"sheet {name!r} has a row of more than {_EXCEL_MAX_COLUMNS:,} cells "
                        "(more than Excel allows): the workbook is corrupt"
                    )
            elif tag == row_tag:
                cells = position = 0
                found.rows += 1
                if found.rows > limits.max_rows:
                    raise IngestError(
                        f"sheet {name!r} has more than {limits.max_rows:,} rows, over the limit"
                    )
                element.clear()
            elif tag == merge:
                found.merges.append(element.get("ref", ""))
            elif tag == column and element.get("hidden") in ("1", "true"):
                first, last = int(element.get("min", "1")), int(element.get("max", "1"))
                found.hidden_columns.update(range(first - 1, min(last, limits.max_columns)))
            elif tag == classic and element.get("type") == "list":
                formula = element.findtext(f"{{{SPREADSHEETML}}}formula1") or ""
                found.validations.append((formula, element.get("sqref", "")))
            elif tag == x14 and element.get("type") == "list":
                formula = element.findtext(f"{{{_X14}}}formula1/{{{_XM}}}f") or ""
                found.validations.append((formula, element.findtext(f"{{{_XM}}}sqref") or ""))
    except etree.XMLSyntaxError as exc:
        raise IngestError(f"the workbook is corrupt: sheet {name!r}: {exc}") from None
    except ValueError as exc:  # a cell reference or column number that is none
        raise IngestError(f"the workbook is corrupt: sheet {name!r}: {exc}") from None
    return found


def _has_value(cell: etree._Element) -> bool:
    value = cell.findtext(f"{{{SPREADSHEETML}}}v") or ""
    inline = cell.find(f"{{{SPREADSHEETML}}}is")
    return bool(value.strip() or (inline is not None and "".join(inline.itertext()).strip()))


def _check_shared_strings(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Count the string table before openpyxl loads all of it into memory.

    Found the way openpyxl finds it (by content type). lxml also refuses what Excel never writes:
    nesting deeper than 256 and text nodes over 10 MB (a cell holds at most 32,767 characters).
    """
    types = workbook_part(archive, "[Content_Types].xml")
    part = next(
        (
            o.get("PartName", "").lstrip("/")
            for o in types.iter(f"{{{_CT}}}Override")
            if o.get("ContentType") == _SST_TYPE
        ),
        None,
    )
    if part is None or part not in archive.NameToInfo:
        return
    count = 0
    try:
        with archive.open(part) as stream:
            for _, element in etree.iterparse(
                stream,
                tag=f"{{{SPREADSHEETML}}}si",
                resolve_entities=False,
                no_network=True,
                huge_tree=False,
            ):
                count += 1
                if count > limits.max_shared_strings:
                    raise IngestError(
                        f"the workbook's shared-strings table has more than "
                        f"{limits.max_shared_strings:,} strings, over the limit"
                    )
                element.clear()
                while element.getprevious() is not None:  # keep the tree from growing
                    del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise IngestError(f"the workbook is corrupt: {part}: {exc}") from None


class _Book:
    """Cached cell values per sheet (read once, streamed) and the workbook's defined names."""

    def __init__(
        self, workbook: Workbook, limits: Limits, sheet_xml: Callable[[str], _SheetXml]
    ) -> None:
        self.workbook = workbook
        self.limits = limits
        # the bounded lxml pass over a sheet, which must come before openpyxl reads it: openpyxl
        # builds a whole row in memory, and pads it to its last listed cell
        self._sheet_xml = sheet_xml
        self._values: dict[str, list[tuple[object, ...]]] = {}
        # worksheets only: chart sheets have no cells
        self.sheetnames: list[str] = [sheet.title for sheet in workbook.worksheets]
        self.names: dict[tuple[str | None, str], str] = {}
        for name, defined in workbook.defined_names.items():
            self.names[(None, name.lower())] = defined.attr_text or ""
        for sheet in workbook.worksheets:
            for name, defined in getattr(sheet, "defined_names", {}).items():
                self.names[(sheet.title, name.lower())] = defined.attr_text or ""

    def values(self, sheet: str) -> list[tuple[object, ...]]:
        if sheet not in self._values:
            self._values[sheet] = self._read(sheet)
        return self._values[sheet]

    def _read(self, sheet: str) -> list[tuple[object, ...]]:
        # one empty styled cell in column XFD would make each row 16,384 wide: cut such rows
        # at the column limit (the lxml pass refused any content beyond it)
        limit = self.limits.max_columns
        window = limit if self._sheet_xml(sheet).last_column > limit else None
        rows: list[tuple[object, ...]] = []
        last_content = 0
        worksheet = self.workbook[sheet]
        worksheet.reset_dimensions()  # the declared dimension often spans a million empty rows
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for padded in worksheet.iter_rows(max_col=window, values_only=True):
                    row = self._trimmed(padded)
                    rows.append(row)
                    if any(v is not None and str(v).strip() for v in row):
                        last_content = len(rows)
                    if len(rows) - last_content > _TRAILING_EMPTY_ROWS:
                        break  # only formatting from here on
                    if last_content > self.limits.max_rows:
                        raise IngestError(
                            f"sheet {sheet!r} has more than "
                            f"{self.limits.max_rows:,} rows, over the limit"
                        )
        except IngestError:
            raise
        except Exception as exc:
            raise IngestError(
                f"the workbook is corrupt: sheet {sheet!r} cannot be read ({type(exc).__name__})"
            ) from None
        return rows[:last_content]

    @staticmethod
    def _trimmed(row: tuple[object, ...]) -> tuple[object, ...]:
        """The row without its trailing empty cells (styled cells far right pad it)."""
        if row and row[-1] is None:
            # count the trailing Nones with C iterators: a padded row can be 1,000 wide
            present = map(operator.is_not, reversed(row), itertools.repeat(None))
            row = row[: len(row) - next(itertools.compress(itertools.count(), present), len(row))]
        return row

    def text(self, sheet: str, row: int, col: int) -> str:
        """1-based row and column, like the spreadsheet."""
        rows = self.values(sheet)
        if row > len(rows) or col > len(rows[row - 1]):
            return ""
        return _display(rows[row - 1][col - 1])


def _list_values(formula: str, sheet: str, book: _Book, depth: int = 0) -> tuple[str, ...]:
    """The allowed values of a list validation, or () when they cannot be known offline."""
    formula = formula.strip().lstrip("=")
    if not formula or depth > 3:
        return ()
    if formula.startswith('"'):
        return tuple(v for v in (clean(p) for p in formula.strip('"').split(",")) if v)
    named = book.names.get((sheet, formula.lower())) or book.names.get((None, formula.lower()))
    if named is not None:
        return _list_values(named, sheet, book, depth + 1)
    target, _, area = formula.rpartition("!")
    target = target.strip("'").replace("''", "'") or sheet
    if "[" in target or "#REF" in formula.upper() or target not in book.sheetnames:
        return ()  # external workbook or broken reference: nothing to read
    try:
        min_col, min_row, max_col, max_row = range_boundaries(area.replace("$", ""))
    except (ValueError, TypeError):
        return ()  # OFFSET(), INDIRECT() and friends need a spreadsheet engine
    values = [
        book.text(target, r, c)
        for r in range(min_row, min(max_row or min_row, min_row + 500) + 1)
        for c in range(min_col, (max_col or min_col) + 1)
    ]
    return tuple(dict.fromkeys(v for v in values if v))


def _answer_codes(book: _Book) -> AnswerCodes:
    """Answer-type lookup tables (code | type | 'Yes/No/N/A') found on small sheets."""
    codes: dict[str, tuple[str, ...]] = {}
    for sheet in book.sheetnames:
        if not _small(_declared_dimension(book.workbook[sheet])):
            continue
        for row in book.values(sheet):
            texts = [_display(v) for v in row]
            if (
                not texts
                or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{1,15}", texts[0])
                or normalise_choice(texts[0]) in YES_WORDS | NO_WORDS | NA_WORDS
            ):
                continue
            kinds = " ".join(t.lower() for t in texts[1:])
            choices = next((split_choices(t) for t in texts[1:] if "/" in t or "," in t), ())
            if len(choices) >= 2 or re.search(r"\b(text|free|string|number|date)\b", kinds):
                codes[texts[0]] = choices if len(choices) >= 2 else ()
    return codes


def _declared_dimension(worksheet: ReadOnlyWorksheet) -> str:
    try:
        return worksheet.calculate_dimension(force=False)
    except ValueError:
        # <dimension> is optional and many writers omit it; sizing such a sheet would mean
        # reading it whole, so it is not taken for a small lookup table
        return ""


def _small(dimension: str) -> bool:
    try:
        _, _, max_col, max_row = range_boundaries(dimension)
    except (ValueError, TypeError):
        return False
    return (max_row or 0) <= 200 and (max_col or 0) <= 12


def _grid(book: _Book, title: str, xml: _SheetXml) -> Grid:
    values = book.values(title)
    max_row, max_col = _used_extent(values, title, book.limits)
    anchors = _merge_anchors(xml.merges)
    options = _options_by_cell(xml, title, book, max_row, max_col)

    def slot(r: int, c: int) -> Location:
        return Location(kind="cell", sheet=title, cell=f"{get_column_letter(c + 1)}{r + 1}")

    rows: list[list[Cell]] = []
    for r in range(max_row):
        source = values[r]
        row: list[Cell] = []
        for c in range(max_col):
            coordinate = f"{get_column_letter(c + 1)}{r + 1}"
            anchor = anchors.get(coordinate)
            text = "" if anchor or c >= len(source) else _display(source[c])
            where = anchor or coordinate
            row.append(
                Cell(
                    text=text,
                    location=Location(kind="cell", sheet=title, cell=where),
                    options=options.get(where, ()),
                    formula=where in xml.formulas,
                    hidden=c in xml.hidden_columns,
                )
            )
        rows.append(row)
    return Grid(name=title, rows=rows, slot=slot)


def _used_extent(values: list[tuple[object, ...]], title: str, limits: Limits) -> tuple[int, int]:
    """Rows and columns up to the last non-empty cell (the declared dimension often lies)."""
    last_row = last_col = 0
    for r, row in enumerate(values, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None and str(value).strip():
                last_row, last_col = r, max(last_col, c)
    if last_col > limits.max_columns:
        raise IngestError(
            f"sheet {title!r} uses {last_col} columns, over the limit of {limits.max_columns}"
        )
    return last_row, last_col


def _merge_anchors(merges: list[str]) -> dict[str, str]:
    """Covered cell -> the merge's top-left cell, where its value and any answer live."""
    anchors: dict[str, str] = {}
    for ref in merges:
        try:
            min_col, min_row, max_col, max_row = range_boundaries(ref)
        except (ValueError, TypeError):
            continue
        if (
            min_col is None
            or min_row is None
            or max_col is None
            or max_row is None
            or (max_row - min_row + 1) * (max_col - min_col + 1) > 10_000
        ):
            continue  # a whole-sheet merge tells nothing about slots
        top_left = f"{get_column_letter(min_col)}{min_row}"
        for row in range(min_row, max_row + 1):
            for col in range(min_col, max_col + 1):
                coordinate = f"{get_column_letter(col)}{row}"
                if coordinate != top_left:
                    anchors[coordinate] = top_left
    return anchors


def _options_by_cell(
    xml: _SheetXml, title: str, book: _Book, max_row: int, max_col: int
) -> dict[str, tuple[str, ...]]:
    options: dict[str, tuple[str, ...]] = {}
    for formula, sqref in xml.validations:
        values = _list_values(formula, title, book)
        if not values:
            continue
        for coordinate in _cells_of(sqref, max_row, max_col):
            options.setdefault(coordinate, values)
    return options


def _cells_of(sqref: str, max_row: int, max_col: int) -> Iterator[str]:
    for area in sqref.split():
        try:
            min_col, min_row, high_col, high_row = range_boundaries(area)
        except (ValueError, TypeError):
            continue
        for row in range(min_row, min(high_row or min_row, max_row) + 1):
            for col in range(min_col, min(high_col or min_col, max_col) + 1):
                yield f"{get_column_letter(col)}{row}"


def _display(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return clean(value)
