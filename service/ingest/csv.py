"""CSV questionnaires: a single grid, any delimiter, BOM and multi-line quoted cells."""

from __future__ import annotations

import csv
import io

from .grid import Cell, Grid, interpret
from .model import IngestError, Location, Questionnaire
from .source import Limits, decode_text
from .text import clean


def parse_csv(data: bytes, limits: Limits) -> Questionnaire:
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        records = list(_bounded(csv.reader(io.StringIO(text, newline=""), dialect), limits))
    except csv.Error as exc:
        raise IngestError(f"the CSV file is malformed: {exc}") from None
    width = max((len(r) for r in records), default=0)
    if width < 2:
        raise IngestError(
            "the text file is not a questionnaire table: expected a CSV with at "
            "least a question and an answer column"
        )
    if width > limits.max_columns:
        raise IngestError(f"the CSV has {width} columns, over the limit of {limits.max_columns}")

    def slot(r: int, c: int) -> Location:
        return Location(kind="row", row=r + 1, column=c + 1)

    rows = [
        [
            Cell(text=clean(record[c]) if c < len(record) else "", location=slot(r, c))
            for c in range(width)
        ]
        for r, record in enumerate(records)
    ]
    result = interpret(Grid(name="CSV", rows=rows, slot=slot))
    return Questionnaire(format="csv", questions=result.questions, skipped=result.skipped)


def _bounded(reader: object, limits: Limits):
    for count, record in enumerate(reader, start=1):  # type: ignore[call-overload]
        if count > limits.max_rows:
            raise IngestError(f"the CSV has more than {limits.max_rows:,} rows, over the limit")
        yield record
